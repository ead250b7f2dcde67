/* ops_bias.cu — the bias gradients of all layers at once: each layer's column sums of its
 * dL/d(pre-activation) (rows, cols), in two launches for the whole network.  No atomics: the
 * same input gives the same bits every time. */
#include "ops.cuh"

/* Pass 1 blocks are 32 columns x 8 row lanes over a chunk of 128 rows. */
enum { SUM_COLS = 32, SUM_LANES = 8, SUM_CHUNK = 128, FINISH_BLOCK = 256 };

static int chunks_for(int rows) { return (rows + SUM_CHUNK - 1) / SUM_CHUNK; }

/* Pass 1.  The x blocks walk the layers' 32-column groups, layer after layer; block
 * (x, chunk): thread (tx, ty) adds column c = 32 * group + tx over rows chunk*128 + ty, + 8,
 * ... in order (a row's 32 columns are one coalesced read), then the 8 lanes of a column meet
 * in a fixed tree.  Partials of layer k: scratch + chunks * (columns of layers before k),
 * (chunks, cols[k]). */
static __global__ void bias_partials_kernel(bias_grad_table t, int rows, float *scratch)
{
    __shared__ float lane[SUM_LANES][SUM_COLS + 1];
    int group = blockIdx.x, k = 0;
    size_t cols_before = 0;
    while (k < t.n_layers) {
        const int groups = (t.cols[k] + SUM_COLS - 1) / SUM_COLS;
        if (group < groups)
            break;
        group -= groups;
        cols_before += (size_t)t.cols[k];
        k++;
    }
    if (k >= t.n_layers) /* the grid has exactly the groups: never, but stay in bounds */
        return;
    const int tx = threadIdx.x, ty = threadIdx.y, cols = t.cols[k];
    const int c = group * SUM_COLS + tx;
    const int r0 = blockIdx.y * SUM_CHUNK;
    const int r1 = min(rows, r0 + SUM_CHUNK);
    const float *dz = t.dz[k];
    float s = 0.0f;
    if (c < cols)
        for (int r = r0 + ty; r < r1; r += SUM_LANES)
            s = __fadd_rn(s, dz[(size_t)r * (size_t)cols + c]);
    lane[ty][tx] = s;
    __syncthreads();
    for (int half = SUM_LANES / 2; half > 0; half /= 2) {
        if (ty < half)
            lane[ty][tx] = __fadd_rn(lane[ty][tx], lane[ty + half][tx]);
        __syncthreads();
    }
    if (ty == 0 && c < cols) {
        const size_t chunks = gridDim.y;
        scratch[chunks * cols_before + (size_t)blockIdx.y * (size_t)cols + (size_t)c] = lane[0][tx];
    }
}

/* Pass 2.  One thread per column of the network: its chunks' partials added in chunk order. */
static __global__ void bias_finish_kernel(bias_grad_table t, int chunks, int total_cols,
                                          const float *scratch)
{
    int g = blockIdx.x * blockDim.x + threadIdx.x;
    if (g >= total_cols)
        return;
    int k = 0;
    size_t cols_before = 0;
    while (k + 1 < t.n_layers && g >= t.cols[k]) {
        g -= t.cols[k];
        cols_before += (size_t)t.cols[k];
        k++;
    }
    const int cols = t.cols[k];
    const float *p = scratch + (size_t)chunks * cols_before + (size_t)g;
    float s = p[0];
    for (int i = 1; i < chunks; i++)
        s = __fadd_rn(s, p[(size_t)i * (size_t)cols]);
    t.out[k][g] = s;
}

size_t op_bias_grads_scratch(int rows, int total_cols)
{
    return (size_t)chunks_for(rows) * (size_t)total_cols;
}

cudaError_t op_bias_grads(const bias_grad_table *t, int rows, float *scratch,
                          cudaStream_t stream)
{
    if (!t || t->n_layers < 1 || t->n_layers > MODEL_MAX_LAYERS || rows < 1 || !scratch)
        return cudaErrorInvalidValue;
    int groups = 0, total_cols = 0;
    for (int k = 0; k < t->n_layers; k++) {
        if (!t->dz[k] || !t->out[k] || t->cols[k] < 1)
            return cudaErrorInvalidValue;
        groups += (t->cols[k] + SUM_COLS - 1) / SUM_COLS;
        total_cols += t->cols[k];
    }
    const int chunks = chunks_for(rows);
    if (chunks > 65535)
        return cudaErrorInvalidValue; /* grid y limit: 8M rows */
    dim3 block(SUM_COLS, SUM_LANES);
    dim3 grid((unsigned int)groups, (unsigned int)chunks);
    bias_partials_kernel<<<grid, block, 0, stream>>>(*t, rows, scratch);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess)
        return e;
    unsigned int blocks = (unsigned int)((total_cols + FINISH_BLOCK - 1) / FINISH_BLOCK);
    bias_finish_kernel<<<blocks, FINISH_BLOCK, 0, stream>>>(*t, chunks, total_cols, scratch);
    return cudaGetLastError();
}

/* Loads this file's kernels now (CUDA loads modules lazily), so that none is first loaded
 * while a step is being captured into a graph. */
cudaError_t op_preload_bias(void)
{
    cudaFuncAttributes a;
    cudaError_t e = cudaFuncGetAttributes(&a, bias_partials_kernel);
    if (e == cudaSuccess)
        e = cudaFuncGetAttributes(&a, bias_finish_kernel);
    return e;
}
