/* ops_loss.cu — softmax cross-entropy (row losses, the logits' gradient, correct predictions)
 * and the per-batch reduction of those rows into the batch's mean loss and correct count.
 * The row math is torch_math.h's torch_cross_entropy_row, shared with the CPU backend; the batch
 * sum is a fixed-order tree in double (no atomics), rounded to float once. */
#include "ops.cuh"
#include "torch_math.h"

enum { LOSS_BLOCK = 256, REDUCE_BLOCK = 512 };

/* One thread per row (10 classes: a row is 40 bytes, the whole batch stays in L1/L2). */
static __global__ void softmax_cross_entropy_kernel(const float *z, const int32_t *y, int rows,
                                                    int classes, float *dz, float *row_loss,
                                                    int *row_correct)
{
    int r = blockIdx.x * blockDim.x + threadIdx.x;
    if (r >= rows)
        return;
    const float *zr = z + (size_t)r * (size_t)classes;
    const int label = y[r];
    if (label < 0 || label >= classes) { /* data.c validates labels; never read out of bounds */
        row_loss[r] = __int_as_float(0x7fc00000); /* NaN: the run is reported diverged */
        if (row_correct)
            row_correct[r] = 0;
        return;
    }
    int arg = 0; /* first maximum on ties, as torch.argmax */
    for (int j = 1; j < classes; j++)
        if (zr[j] > zr[arg])
            arg = j;
    /* nll's backward puts g = -1/m at the label; the row is torch_math.h's, as on the CPU */
    const float g = -__fdiv_rn(1.0f, (float)rows);
    float *dr = dz ? dz + (size_t)r * (size_t)classes : NULL;
    row_loss[r] = -torch_cross_entropy_row(zr, classes, label, g, dr);
    if (row_correct)
        row_correct[r] = arg == label;
}

cudaError_t op_softmax_cross_entropy(const float *z, const int32_t *y, int rows, int classes,
                                     float *dz, float *row_loss, int *row_correct,
                                     cudaStream_t stream)
{
    if (!z || !y || !row_loss || rows < 1 || classes < 1)
        return cudaErrorInvalidValue;
    unsigned int grid = (unsigned int)((rows + LOSS_BLOCK - 1) / LOSS_BLOCK);
    softmax_cross_entropy_kernel<<<grid, LOSS_BLOCK, 0, stream>>>(z, y, rows, classes, dz,
                                                                  row_loss, row_correct);
    return cudaGetLastError();
}

/* One block: thread t adds rows t, t + 512, ... in order (double), then a fixed tree. */
static __global__ void batch_reduce_kernel(const float *row_loss, const int *row_correct,
                                           int rows, const int *counter, int slot,
                                           float *batch_loss, int *batch_correct)
{
    __shared__ double loss[REDUCE_BLOCK];
    __shared__ int correct[REDUCE_BLOCK];
    const int t = threadIdx.x;
    double s = 0.0;
    int c = 0;
    for (int r = t; r < rows; r += REDUCE_BLOCK) {
        s += (double)row_loss[r];
        if (row_correct)
            c += row_correct[r];
    }
    loss[t] = s;
    correct[t] = c;
    __syncthreads();
    for (int half = REDUCE_BLOCK / 2; half > 0; half /= 2) {
        if (t < half) {
            loss[t] += loss[t + half];
            correct[t] += correct[t + half];
        }
        __syncthreads();
    }
    if (t == 0) {
        const int i = counter ? *counter : slot;
        /* the mean as the CPU takes it: a float sum divided by (float)m */
        batch_loss[i] = __fdiv_rn((float)loss[0], (float)rows);
        if (batch_correct)
            batch_correct[i] = correct[0];
    }
}

cudaError_t op_batch_reduce(const float *row_loss, const int *row_correct, int rows,
                            const int *counter, int slot, float *batch_loss, int *batch_correct,
                            cudaStream_t stream)
{
    if (!row_loss || !batch_loss || rows < 1 || slot < 0 || (row_correct && !batch_correct))
        return cudaErrorInvalidValue;
    batch_reduce_kernel<<<1, REDUCE_BLOCK, 0, stream>>>(row_loss, row_correct, rows, counter,
                                                        slot, batch_loss, batch_correct);
    return cudaGetLastError();
}

/* Loads this file's kernels now (CUDA loads modules lazily), so that none is first loaded
 * while a step is being captured into a graph. */
cudaError_t op_preload_loss(void)
{
    cudaFuncAttributes a;
    cudaError_t e = cudaSuccess;
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, softmax_cross_entropy_kernel);
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&a, batch_reduce_kernel);
    return e;
}
