/* ops_layer.cu — the per-layer kernels around cuBLAS's GEMMs: the batch gather (uint8 pixels
 * to float inputs), bias + activation forward, and the activation's backward (the bias
 * gradients are ops_bias.cu's).  Float operations are spelled with _rn intrinsics wherever nvcc
 * could otherwise fuse a multiply and an add, so they round as backend_cpu.c's C does. */
#include "ops.cuh"

enum { LAYER_BLOCK = 256 };

static unsigned int blocks_for(size_t n)
{
    return (unsigned int)((n + LAYER_BLOCK - 1) / LAYER_BLOCK);
}

/* ---- gather ----------------------------------------------------------------------------- */

/* ToTensor then Normalize, in backend_cpu.c's float operations. */
static __device__ __forceinline__ float pixel_value(unsigned int u, int normalize, float mean,
                                                    float std)
{
    float x = __fdiv_rn((float)u, 255.0f);
    if (normalize)
        x = __fdiv_rn(__fsub_rn(x, mean), std);
    return x;
}

static __device__ __forceinline__ int source_row(const int32_t *order, const int *counter,
                                                 int batch, int first, int r)
{
    int p = (counter ? *counter : 0) * batch + first + r;
    return order ? order[p] : p;
}

/* One thread per 4 pixels (dim % 4 == 0): one 32-bit load, one 128-bit store. */
static __global__ void gather_vec4_kernel(const uint8_t *pixels, const uint8_t *labels, int dim,
                                          const int32_t *order, const int *counter, int batch,
                                          int first, int rows, int normalize, float mean,
                                          float std, float *x, int32_t *y)
{
    const int groups = dim / 4;
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)rows * (size_t)groups)
        return;
    int r = (int)(t / (size_t)groups), g = (int)(t % (size_t)groups);
    int src = source_row(order, counter, batch, first, r);
    uchar4 u = reinterpret_cast<const uchar4 *>(pixels + (size_t)src * (size_t)dim)[g];
    float4 v;
    v.x = pixel_value(u.x, normalize, mean, std);
    v.y = pixel_value(u.y, normalize, mean, std);
    v.z = pixel_value(u.z, normalize, mean, std);
    v.w = pixel_value(u.w, normalize, mean, std);
    reinterpret_cast<float4 *>(x + (size_t)r * (size_t)dim)[g] = v;
    if (g == 0)
        y[r] = labels[src];
}

/* Any dim: one thread per pixel. */
static __global__ void gather_kernel(const uint8_t *pixels, const uint8_t *labels, int dim,
                                     const int32_t *order, const int *counter, int batch,
                                     int first, int rows, int normalize, float mean, float std,
                                     float *x, int32_t *y)
{
    size_t t = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= (size_t)rows * (size_t)dim)
        return;
    int r = (int)(t / (size_t)dim), c = (int)(t % (size_t)dim);
    int src = source_row(order, counter, batch, first, r);
    x[t] = pixel_value(pixels[(size_t)src * (size_t)dim + c], normalize, mean, std);
    if (c == 0)
        y[r] = labels[src];
}

cudaError_t op_gather(const uint8_t *pixels, const uint8_t *labels, int dim, const int32_t *order,
                      const int *counter, int batch, int first, int rows, int normalize,
                      float mean, float std, float *x, int32_t *y, cudaStream_t stream)
{
    if (!pixels || !labels || !x || !y || dim < 1 || rows < 1 || batch < 1 || first < 0)
        return cudaErrorInvalidValue;
    if (dim % 4 == 0 && (uintptr_t)pixels % 4 == 0) { /* rows of whole, aligned uchar4s */
        size_t n = (size_t)rows * (size_t)(dim / 4);
        gather_vec4_kernel<<<blocks_for(n), LAYER_BLOCK, 0, stream>>>(
            pixels, labels, dim, order, counter, batch, first, rows, normalize, mean, std, x, y);
    } else {
        size_t n = (size_t)rows * (size_t)dim;
        gather_kernel<<<blocks_for(n), LAYER_BLOCK, 0, stream>>>(
            pixels, labels, dim, order, counter, batch, first, rows, normalize, mean, std, x, y);
    }
    return cudaGetLastError();
}

/* ---- activations ------------------------------------------------------------------------ */

/* The slope is the double 0.01 converted to float once, as torch converts its Scalar. */
#define LEAKY_SLOPE ((float)0.01)

static __device__ __forceinline__ float activate(activation_kind a, float z)
{
    switch (a) {
    case ACTIVATION_LEAKY_RELU: return z > 0.0f ? z : __fmul_rn(z, LEAKY_SLOPE);
    case ACTIVATION_RELU: return z > 0.0f ? z : 0.0f;
    default: return tanhf(z);
    }
}

static __global__ void bias_activation_kernel(float *z, const float *bias, int rows, int cols,
                                              int do_activate, activation_kind act)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)rows * (size_t)cols)
        return;
    float v = __fadd_rn(z[i], bias[i % (size_t)cols]);
    z[i] = do_activate ? activate(act, v) : v;
}

cudaError_t op_bias_activation(float *z, const float *bias, int rows, int cols, int do_activate,
                               activation_kind act, cudaStream_t stream)
{
    if (!z || !bias || rows < 1 || cols < 1)
        return cudaErrorInvalidValue;
    size_t n = (size_t)rows * (size_t)cols;
    bias_activation_kernel<<<blocks_for(n), LAYER_BLOCK, 0, stream>>>(z, bias, rows, cols,
                                                                      do_activate, act);
    return cudaGetLastError();
}

/* From the activation's output y: (leaky) ReLU's y > 0 exactly when its input was > 0;
 * tanh' = 1 - y * y (torch's tanh_backward). */
static __global__ void activation_backward_kernel(const float *y, float *d, size_t n,
                                                  activation_kind act)
{
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float g = d[i], v = y[i];
    switch (act) {
    case ACTIVATION_LEAKY_RELU: d[i] = v > 0.0f ? g : __fmul_rn(g, LEAKY_SLOPE); break;
    case ACTIVATION_RELU: d[i] = v > 0.0f ? g : 0.0f; break;
    default: d[i] = __fmul_rn(g, __fsub_rn(1.0f, __fmul_rn(v, v))); break;
    }
}

cudaError_t op_activation_backward(const float *y, float *d, size_t n, activation_kind act,
                                   cudaStream_t stream)
{
    if (!y || !d || n == 0)
        return cudaErrorInvalidValue;
    activation_backward_kernel<<<blocks_for(n), LAYER_BLOCK, 0, stream>>>(y, d, n, act);
    return cudaGetLastError();
}

/* Loads this file's kernels now (CUDA loads modules lazily), so that none is first loaded
 * while a step is being captured into a graph. */
cudaError_t op_preload_layer(void)
{
    cudaFuncAttributes a;
    cudaError_t e = cudaSuccess;
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, gather_vec4_kernel);
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, gather_kernel);
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, bias_activation_kernel);
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, activation_backward_kernel);
    return e;
}
