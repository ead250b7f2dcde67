/* cuda_check.cuh — checked CUDA and cuBLAS calls for the CUDA backend's host code.
 * A failing call writes "cuda/<file>:<line>: <call>: <error string> (hint)" into the caller's
 * error buffer and makes the enclosing function return -1: library code never exits, so one
 * failing run does not end a sweep.  Host-only. */
#ifndef OPTSWEEP_CUDA_CHECK_CUH
#define OPTSWEEP_CUDA_CHECK_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stddef.h>

/* Writes the message for a failed call into err (errlen bytes) and returns -1.  `what` is the
 * library's error string; a hint is added for the errors a user can act on (no device, old
 * driver, no kernel for this GPU, out of memory). */
int cuda_check_fail(char *err, size_t errlen, const char *file, int line, const char *call,
                    const char *what, int cuda_error);

/* The enclosing function must have `char *err_` and `size_t errlen_` in scope (the error
 * buffer) and return int. */
#define CUDA_TRY(call)                                                                     \
    do {                                                                                   \
        cudaError_t e_ = (call);                                                           \
        if (e_ != cudaSuccess)                                                             \
            return cuda_check_fail(err_, errlen_, __FILE__, __LINE__, #call,               \
                                   cudaGetErrorString(e_), (int)e_);                       \
    } while (0)

#define CUBLAS_TRY(call)                                                                   \
    do {                                                                                   \
        cublasStatus_t s_ = (call);                                                        \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                   \
            return cuda_check_fail(err_, errlen_, __FILE__, __LINE__, #call,               \
                                   cublasGetStatusString(s_), -1);                         \
    } while (0)

#endif
