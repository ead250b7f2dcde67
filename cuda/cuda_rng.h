/* cuda_rng.h — C entry points to the CUDA backend's random draws, for tests/gpu: they run the
 * very kernels the backend runs (ops_rng.cu), so comparing them with philox.h's host
 * functions checks the backend's init and epoch order.  Defined only in CUDA builds. */
#ifndef OPTSWEEP_CUDA_RNG_H
#define OPTSWEEP_CUDA_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out[i] = curand(&s) after curand_init(seed, stream, offset + i, &s) on the device, i < n.
 * Returns 0, or -1 with a message in err. */
int cuda_rng_u32(uint64_t seed, uint64_t stream, uint64_t offset, size_t n, uint32_t *out,
                 char *err, size_t errlen);

/* perm (n) = the GPU's permutation for (seed, stream): Philox keys sorted by cub's radix sort.
 * Returns 0, or -1 with a message in err. */
int cuda_rng_permutation(uint64_t seed, uint64_t stream, int n, int32_t *perm, char *err,
                         size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
