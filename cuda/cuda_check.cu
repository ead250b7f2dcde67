/* cuda_check.cu — the message writer behind CUDA_TRY / CUBLAS_TRY (cuda_check.cuh): file and
 * line of the call, the call itself, the library's error string and, for the errors a user can
 * act on, a hint. */
#include "cuda_check.cuh"

#include <stdio.h>
#include <string.h>

/* "cuda/backend_cuda.cu" from the absolute path the compiler gives __FILE__. */
static const char *short_path(const char *file)
{
    const char *p = strstr(file, "cuda/");
    const char *q;
    while (p && (q = strstr(p + 1, "cuda/")) != NULL)
        p = q;
    return p ? p : file;
}

static const char *hint_for(int e)
{
    switch (e) {
    case cudaErrorNoDevice:
        return " (no CUDA device is visible: check nvidia-smi and CUDA_VISIBLE_DEVICES, or use "
               "train.backend: cpu)";
    case cudaErrorInsufficientDriver:
        return " (the NVIDIA driver is older than this build's CUDA runtime: update the "
               "driver, or use train.backend: cpu)";
    case cudaErrorNoKernelImageForDevice:
    case cudaErrorUnsupportedPtxVersion:
        return " (this build has no code for this GPU: rebuild with "
               "-DOPTSWEEP_CUDA_ARCH=<compute capability, e.g. 90>)";
    case cudaErrorMemoryAllocation:
        return " (out of GPU memory: a smaller batch_size, or fewer runs per GPU)";
    default:
        return "";
    }
}

int cuda_check_fail(char *err, size_t errlen, const char *file, int line, const char *call,
                    const char *what, int cuda_error)
{
    if (err && errlen)
        snprintf(err, errlen, "%s:%d: %s: %s%s", short_path(file), line, call, what,
                 cuda_error >= 0 ? hint_for(cuda_error) : "");
    return -1;
}
