/* ops_rng.cu — the GPU's randomness with cuRAND's Philox4x32-10 device API: nn.Linear's
 * default init and each epoch's permutation (random keys + cub's stable radix sort).  Both
 * equal the host's philox.h functions bit for bit (tests/gpu checks it), which is what makes
 * a CUDA run start from the same weights and visit batches in the same order as a CPU run.
 * Also the two C entry points tests/gpu uses to compare them (cuda_rng.h). */
#include <cub/device/device_radix_sort.cuh>
#include <curand_kernel.h>

#include <string.h>

#include "cuda_check.cuh"
#include "cuda_rng.h"
#include "ops.cuh"
#include "philox.h"

enum { RNG_BLOCK = 256 };

static unsigned int blocks_for(size_t n)
{
    return (unsigned int)((n + RNG_BLOCK - 1) / RNG_BLOCK);
}

/* The value of curand(&s) after curand_init(seed, stream_id, index, &s). */
static __device__ __forceinline__ uint32_t philox_draw(uint64_t seed, uint64_t stream_id,
                                                       uint64_t index)
{
    curandStatePhilox4_32_10_t s;
    curand_init(seed, stream_id, index, &s);
    return curand(&s);
}

/* ---- init ------------------------------------------------------------------------------ */

static __global__ void init_params_kernel(init_table t, uint64_t seed, float *params, size_t n)
{
    size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= n)
        return;
    int k = 0;
    while (k + 1 < t.n_layers && j >= t.end[k])
        k++;
    params[j] = philox_init_value(philox_draw(seed, PHILOX_STREAM_INIT, j), t.bound[k]);
}

cudaError_t op_init_params(const init_table *t, uint64_t seed, float *params, size_t n,
                           cudaStream_t stream)
{
    if (!t || t->n_layers < 1 || t->n_layers > MODEL_MAX_LAYERS || !params ||
        t->end[t->n_layers - 1] != n)
        return cudaErrorInvalidValue;
    init_params_kernel<<<blocks_for(n), RNG_BLOCK, 0, stream>>>(*t, seed, params, n);
    return cudaGetLastError();
}

/* ---- raw draws (for the test) ---------------------------------------------------------- */

static __global__ void philox_u32_kernel(uint64_t seed, uint64_t stream_id, uint64_t offset,
                                         size_t n, uint32_t *out)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        out[i] = philox_draw(seed, stream_id, offset + i);
}

cudaError_t op_philox_u32(uint64_t seed, uint64_t stream_id, uint64_t offset, size_t n,
                          uint32_t *out, cudaStream_t stream)
{
    if (!out || n == 0)
        return cudaErrorInvalidValue;
    philox_u32_kernel<<<blocks_for(n), RNG_BLOCK, 0, stream>>>(seed, stream_id, offset, n, out);
    return cudaGetLastError();
}

/* ---- permutation ----------------------------------------------------------------------- */

static __global__ void permutation_keys_kernel(uint64_t seed, uint64_t stream_id, int n,
                                               uint32_t *keys, int32_t *iota)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    keys[i] = philox_draw(seed, stream_id, (uint64_t)i);
    iota[i] = i;
}

cudaError_t op_permutation_temp_bytes(int n, size_t *bytes)
{
    if (n < 1 || !bytes)
        return cudaErrorInvalidValue;
    *bytes = 0;
    return cub::DeviceRadixSort::SortPairs(NULL, *bytes, (const uint32_t *)NULL,
                                           (uint32_t *)NULL, (const int32_t *)NULL,
                                           (int32_t *)NULL, n, 0, 32);
}

cudaError_t op_permutation(const permutation_scratch *s, uint64_t seed, uint64_t stream_id,
                           int32_t *perm, cudaStream_t stream)
{
    if (!s || s->n < 1 || !s->keys || !s->keys_sorted || !s->iota || !s->temp || !perm)
        return cudaErrorInvalidValue;
    permutation_keys_kernel<<<blocks_for((size_t)s->n), RNG_BLOCK, 0, stream>>>(
        seed, stream_id, s->n, s->keys, s->iota);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess)
        return e;
    /* LSD radix sort over all 32 key bits: stable, so equal keys keep index order, exactly
     * as philox_permutation's four 8-bit passes on the host. */
    size_t bytes = s->temp_bytes;
    e = cub::DeviceRadixSort::SortPairs(s->temp, bytes, s->keys, s->keys_sorted, s->iota, perm,
                                        s->n, 0, 32, stream);
    if (e != cudaSuccess)
        return e;
    return cudaGetLastError();
}

/* Loads this file's kernels now (CUDA loads modules lazily), so that none is first loaded
 * while a step is being captured into a graph. */
cudaError_t op_preload_rng(void)
{
    cudaFuncAttributes a;
    cudaError_t e = cudaSuccess;
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, init_params_kernel);
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, philox_u32_kernel);
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, permutation_keys_kernel);
    return e;
}

/* ---- the C entry points of cuda_rng.h --------------------------------------------------- */

int cuda_rng_u32(uint64_t seed, uint64_t stream_id, uint64_t offset, size_t n, uint32_t *out,
                 char *err, size_t errlen)
{
    char *err_ = err;
    size_t errlen_ = errlen;
    if (n == 0)
        return 0;
    uint32_t *d = NULL;
    CUDA_TRY(cudaMalloc((void **)&d, n * sizeof(uint32_t)));
    cudaError_t e = op_philox_u32(seed, stream_id, offset, n, d, 0);
    if (e == cudaSuccess)
        e = cudaMemcpy(out, d, n * sizeof(uint32_t), cudaMemcpyDeviceToHost);
    cudaFree(d);
    CUDA_TRY(e);
    return 0;
}

int cuda_rng_permutation(uint64_t seed, uint64_t stream_id, int n, int32_t *perm, char *err,
                         size_t errlen)
{
    char *err_ = err;
    size_t errlen_ = errlen;
    if (n < 1)
        return 0;
    permutation_scratch s;
    memset(&s, 0, sizeof s);
    s.n = n;
    int32_t *d_perm = NULL;
    cudaError_t e = op_permutation_temp_bytes(n, &s.temp_bytes);
    if (e == cudaSuccess) e = cudaMalloc((void **)&s.keys, (size_t)n * sizeof(uint32_t));
    if (e == cudaSuccess) e = cudaMalloc((void **)&s.keys_sorted, (size_t)n * sizeof(uint32_t));
    if (e == cudaSuccess) e = cudaMalloc((void **)&s.iota, (size_t)n * sizeof(int32_t));
    if (e == cudaSuccess) e = cudaMalloc(&s.temp, s.temp_bytes ? s.temp_bytes : 1);
    if (e == cudaSuccess) e = cudaMalloc((void **)&d_perm, (size_t)n * sizeof(int32_t));
    if (e == cudaSuccess) e = op_permutation(&s, seed, stream_id, d_perm, 0);
    if (e == cudaSuccess)
        e = cudaMemcpy(perm, d_perm, (size_t)n * sizeof(int32_t), cudaMemcpyDeviceToHost);
    cudaFree(s.keys);
    cudaFree(s.keys_sorted);
    cudaFree(s.iota);
    cudaFree(s.temp);
    cudaFree(d_perm);
    CUDA_TRY(e);
    return 0;
}
