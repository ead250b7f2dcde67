/* ops_optim.cu — the fused optimizer step: one kernel applies optim.h's shared update rule to
 * every parameter, with the step's scalars taken from the epoch's table by the device-side
 * step counter (so the captured graph replays every step); and the counter's advance. */
#include "ops.cuh"

enum { OPTIM_BLOCK = 256 };

static __global__ void optimizer_step_kernel(const optim_step *steps, const int *counter,
                                             size_t n, float *params, const float *grads,
                                             float *state)
{
    const optim_step st = steps[*counter];
    const size_t stride = (size_t)gridDim.x * blockDim.x;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        optim_update_element(&st, i, n, params, grads, state);
}

cudaError_t op_optimizer_step(const optim_step *steps, const int *counter, size_t n,
                              float *params, const float *grads, float *state,
                              cudaStream_t stream)
{
    if (!steps || !counter || !params || !grads || !state || n == 0)
        return cudaErrorInvalidValue;
    size_t blocks = (n + OPTIM_BLOCK - 1) / OPTIM_BLOCK;
    if (blocks > 65535)
        blocks = 65535; /* the loop strides over the rest */
    optimizer_step_kernel<<<(unsigned int)blocks, OPTIM_BLOCK, 0, stream>>>(steps, counter, n,
                                                                            params, grads, state);
    return cudaGetLastError();
}

static __global__ void step_advance_kernel(int *counter)
{
    if (blockIdx.x == 0 && threadIdx.x == 0)
        *counter += 1;
}

cudaError_t op_step_advance(int *counter, cudaStream_t stream)
{
    if (!counter)
        return cudaErrorInvalidValue;
    step_advance_kernel<<<1, 1, 0, stream>>>(counter);
    return cudaGetLastError();
}

/* Loads this file's kernels now (CUDA loads modules lazily), so that none is first loaded
 * while a step is being captured into a graph. */
cudaError_t op_preload_optim(void)
{
    cudaFuncAttributes a;
    cudaError_t e = cudaSuccess;
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, optimizer_step_kernel);
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, step_advance_kernel);
    return e;
}
