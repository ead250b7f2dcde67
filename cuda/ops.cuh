/* ops.cuh — the CUDA backend's kernels, one entry point per op.  Each entry checks its shapes,
 * launches a static kernel on the given stream and returns cudaGetLastError() (or
 * cudaErrorInvalidValue for bad shapes): the caller checks it with CUDA_TRY.  Every op is
 * deterministic (no atomics; fixed-order reductions) and computes what backend_cpu.c computes,
 * in the same float operations where the order of operations is ours to choose.
 *
 * "counter" arguments: a device int holding the index of the current step within the epoch.
 * Ops of the training step read their batch offset and output slot from it, so one captured
 * CUDA graph replays every step of an epoch (op_step_advance increments it at the step's end).
 * Where counter is NULL the host-given index is used instead (evaluation). */
#ifndef OPTSWEEP_CUDA_OPS_CUH
#define OPTSWEEP_CUDA_OPS_CUH

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "optim.h"
#include "settings.h"

/* ---- randomness (ops_rng.cu) ---------------------------------------------------------- */

/* Per-layer ranges of the flat parameter buffer and their nn.Linear bounds. */
typedef struct {
    int n_layers;
    unsigned long long end[MODEL_MAX_LAYERS]; /* layer k owns [end[k-1], end[k]) */
    float bound[MODEL_MAX_LAYERS];            /* (float)(1 / sqrt(fan_in)), computed in double */
} init_table;

/* params[j] = philox_init_value(curand after curand_init(seed, PHILOX_STREAM_INIT, j), bound of
 * j's layer) for j < n: the CPU backend's init, bit for bit. */
cudaError_t op_init_params(const init_table *t, uint64_t seed, float *params, size_t n,
                           cudaStream_t stream);

/* out[i] = curand(&s) after curand_init(seed, stream_id, offset + i, &s), i < n. */
cudaError_t op_philox_u32(uint64_t seed, uint64_t stream_id, uint64_t offset, size_t n,
                          uint32_t *out, cudaStream_t stream);

/* Scratch for op_permutation of n items (n >= 1); all device buffers. */
typedef struct {
    int n;
    uint32_t *keys, *keys_sorted; /* (n) */
    int32_t *iota;                /* (n) */
    void *temp;                   /* cub's temporary storage */
    size_t temp_bytes;
} permutation_scratch;

/* Bytes of cub temporary storage op_permutation needs for n items. */
cudaError_t op_permutation_temp_bytes(int n, size_t *bytes);

/* perm (n) = the indices 0..n-1 sorted by their keys curand(seed, stream_id, i), ascending,
 * ties by index (cub's radix sort is stable): philox_permutation's result. */
cudaError_t op_permutation(const permutation_scratch *s, uint64_t seed, uint64_t stream_id,
                           int32_t *perm, cudaStream_t stream);

/* ---- layers (ops_layer.cu) ------------------------------------------------------------ */

/* x (rows, dim) = network input of the batch's rows, y (rows) = their labels.  Row r is data
 * row order[p] (or p when order is NULL), p = (*counter or 0) * batch + first + r.  Pixels
 * become (float)u / 255.0f, then (x - mean) / std when normalize (ToTensor, Normalize). */
cudaError_t op_gather(const uint8_t *pixels, const uint8_t *labels, int dim, const int32_t *order,
                      const int *counter, int batch, int first, int rows, int normalize,
                      float mean, float std, float *x, int32_t *y, cudaStream_t stream);

/* z (rows, cols) += bias (cols) per row, then the activation in place when `activate`. */
cudaError_t op_bias_activation(float *z, const float *bias, int rows, int cols, int activate,
                               activation_kind act, cudaStream_t stream);

/* d (n) *= act'(.), from the activation's output y (n): backend_cpu.c's activation_backward. */
cudaError_t op_activation_backward(const float *y, float *d, size_t n, activation_kind act,
                                   cudaStream_t stream);

/* ---- bias gradients (ops_bias.cu) ------------------------------------------------------ */

/* The bias gradient of every layer: out[k] (cols[k]) = column sums of dz[k] (rows, cols[k]). */
typedef struct {
    int n_layers;
    const float *dz[MODEL_MAX_LAYERS]; /* (rows, cols[k]) dL/d(pre-activation) of layer k */
    float *out[MODEL_MAX_LAYERS];      /* (cols[k]) into the flat gradient buffer */
    int cols[MODEL_MAX_LAYERS];
} bias_grad_table;

/* Floats of scratch op_bias_grads needs for `rows` rows and `total_cols` columns in all. */
size_t op_bias_grads_scratch(int rows, int total_cols);

/* Two launches for all layers, fixed order (no atomics): partial sums of 128-row chunks into
 * scratch, then each column's partials added in chunk order. */
cudaError_t op_bias_grads(const bias_grad_table *t, int rows, float *scratch,
                          cudaStream_t stream);

/* ---- loss (ops_loss.cu) --------------------------------------------------------------- */

/* Per row of logits z (rows, classes): row_loss = cross-entropy against y; dz (optional) =
 * d(mean loss)/dz; row_correct (optional) = argmax (first max) == y. */
cudaError_t op_softmax_cross_entropy(const float *z, const int32_t *y, int rows, int classes,
                                     float *dz, float *row_loss, int *row_correct,
                                     cudaStream_t stream);

/* batch_loss[i] = mean of row_loss (rows) and, when row_correct is given, batch_correct[i] =
 * its sum; i = *counter, or slot when counter is NULL.  One block, fixed-order tree in double. */
cudaError_t op_batch_reduce(const float *row_loss, const int *row_correct, int rows,
                            const int *counter, int slot, float *batch_loss, int *batch_correct,
                            cudaStream_t stream);

/* ---- optimizer (ops_optim.cu) --------------------------------------------------------- */

/* optim_update_element (optim.h) for every i < n with the step scalars steps[*counter]. */
cudaError_t op_optimizer_step(const optim_step *steps, const int *counter, size_t n,
                              float *params, const float *grads, float *state,
                              cudaStream_t stream);

/* *counter += 1: the last node of a training step. */
cudaError_t op_step_advance(int *counter, cudaStream_t stream);

/* ---- module loading ------------------------------------------------------------------- */

/* Each loads its file's kernels (cudaFuncGetAttributes), so that lazy module loading never
 * happens inside a stream capture.  Called once when the backend is created. */
cudaError_t op_preload_rng(void);
cudaError_t op_preload_layer(void);
cudaError_t op_preload_bias(void);
cudaError_t op_preload_loss(void);
cudaError_t op_preload_optim(void);

#endif
