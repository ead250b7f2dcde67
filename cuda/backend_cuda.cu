/* backend_cuda.cu — the CUDA backend (backend.h): backend_cpu.c's training, op for op, on one
 * GPU.  GEMMs with cuBLAS (FP32; TF32 only when train.precision asks), our kernels for the rest
 * (ops.cuh), cuRAND's Philox for init and epoch order.  The data live on the GPU as uint8 from
 * create on; everything is allocated in create; each training step (gather, forward, loss,
 * backward, optimizer) is one CUDA graph, captured once per batch shape (full and last partial
 * batch; and 16 full steps in a row, to launch fewer graphs) and replayed; in the backward pass the weight gradients and the bias
 * gradients run on a second stream beside the chain of input gradients (a fork and a join in
 * the graph), since one such small GEMM leaves most of the GPU idle.  Within an epoch nothing
 * crosses PCIe but the epoch's table of step scalars going up at its start and its batch
 * losses coming back at its end.  A pack's members share the first's data and run their
 * epochs side by side, each on its own streams (cuda_train_epochs).
 * Every CUDA/cuBLAS call is checked; a failure fills b->error and the slot returns -1. */
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cuda_check.cuh"
#include "ops.cuh"
#include "philox.h"

extern "C" {
#include "check.h"
}

/* cuBLAS's workspace, ours so that graph capture never makes cuBLAS allocate (32 MiB is
 * NVIDIA's recommendation for Hopper). */
#define CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

typedef struct {
    const uint8_t *pixels; /* (n, 784) on the device */
    const uint8_t *labels; /* (n) on the device */
    int n;
} gpu_split;

typedef struct {
    cudaStream_t stream; /* every op of this backend runs on it, in order ... */
    cudaStream_t side;   /* ... but the weight and bias gradients, forked off and joined back */
    cublasHandle_t cublas, cublas_side; /* one per stream, each with its own workspace */
    void *cublas_workspace, *cublas_workspace_side;
    cudaEvent_t dz_ready[MODEL_MAX_LAYERS]; /* dz[k] complete on `stream`: fork */
    cudaEvent_t grads_done;                 /* `side` done with the step: join */

    model_shape shape;
    int batch;        /* rows of a full batch */
    int rows_cap;     /* rows of the activation buffers: min(batch, largest split) */
    optim_settings optim;
    int n_slots;      /* optimizer state buffers */
    int normalize;
    float mean, std;

    gpu_split split[3]; /* indexed by split_id */
    uint8_t *data;      /* owns every split's pixels and labels; NULL in a pack's member,
                         * whose splits point into the first backend's block */

    float *params;      /* (n_params) model.h layout */
    float *grads;       /* (n_params) */
    float *state;       /* (n_slots, n_params), at least one float */
    /* act[0] = the gathered input (rows_cap, 784); act[k] = the activated output of layer k-1
     * (rows_cap, sizes[k]) for 0 < k < L; act[L] = the logits (rows_cap, 10). */
    float *act[MODEL_MAX_LAYERS + 1];
    float *dz[MODEL_MAX_LAYERS]; /* dz[k] (rows_cap, sizes[k+1]): dL/d(pre-activation) of
                                  * layer k; dz[L-1] = d(loss)/d(logits) */
    bias_grad_table bias_table;  /* every layer's dz -> its bias gradient */
    float *bias_scratch;         /* op_bias_grads' partials */
    int32_t *labels_batch; /* (rows_cap) */
    float *row_loss;    /* (rows_cap) */
    int *row_correct;   /* (rows_cap) */
    int train_batches;  /* batches per epoch */
    int max_batches;    /* most batches of any split */
    float *batch_loss;  /* (max_batches) indexed by step within the epoch, or eval batch */
    int *batch_correct; /* (max_batches) */

    permutation_scratch perm_scratch;
    int32_t *perm;      /* (n_train) this epoch's order */
    optim_step *steps;  /* (train_batches) this epoch's step scalars */
    int *counter;       /* step within the epoch: the graphs' only moving part */

    optim_step *host_steps; /* (train_batches) pinned */
    float *host_loss;       /* (max_batches) pinned */
    int *host_correct;      /* (max_batches) pinned */

    cudaGraphExec_t step_full; /* one training step of `batch` rows (NULL if n_train < batch) */
    cudaGraphExec_t step_chunk; /* STEP_CHUNK such steps in a row (NULL if fewer per epoch) */
    cudaGraphExec_t step_last; /* the last partial batch (NULL if batch divides n_train) */
    int last_rows;
} cuda_ctx;

static cuda_ctx *ctx_of(backend *b) { return (cuda_ctx *)b->ctx; }

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* The slot functions' error buffer, for CUDA_TRY / CUBLAS_TRY. */
#define ERROR_BUFFER(b)             \
    char *err_ = (b)->error;        \
    size_t errlen_ = sizeof (b)->error

/* cudaMalloc with a message that says what did not fit and how much memory is free. */
static int device_alloc(void **p, size_t bytes, const char *what, char *err, size_t errlen,
                        const char *file, int line)
{
    cudaError_t e = cudaMalloc(p, bytes ? bytes : 1);
    if (e == cudaSuccess)
        return 0;
    *p = NULL;
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    char call[160];
    snprintf(call, sizeof call, "cudaMalloc(%.1f MiB for %s; %.0f of %.0f MiB free)",
             (double)bytes / 1048576.0, what, (double)free_b / 1048576.0,
             (double)total_b / 1048576.0);
    return cuda_check_fail(err, errlen, file, line, call, cudaGetErrorString(e), (int)e);
}
#define DEVICE_ALLOC(ptr, bytes, what)                                                      \
    do {                                                                                   \
        if (device_alloc((void **)&(ptr), (bytes), (what), err_, errlen_, __FILE__,       \
                         __LINE__) != 0)                                                   \
            return -1;                                                                     \
    } while (0)

/* ---- the step, as a sequence of ops on the stream ---------------------------------------- */

static int enqueue_forward(cuda_ctx *c, int rows, char *err_, size_t errlen_)
{
    const model_shape *sh = &c->shape;
    const float one = 1.0f, zero = 0.0f;
    for (int k = 0; k < sh->n_layers; k++) {
        const int in = sh->sizes[k], out = sh->sizes[k + 1];
        /* row-major Z (rows, out) = X (rows, in) W^T, W (out, in): column-major, that is
         * Z^T = W X^T, with W's buffer read as the (in, out) matrix W^T, transposed */
        CUBLAS_TRY(cublasSgemm(c->cublas, CUBLAS_OP_T, CUBLAS_OP_N, out, rows, in, &one,
                               c->params + sh->weight_offset[k], in, c->act[k], in, &zero,
                               c->act[k + 1], out));
        CUDA_TRY(op_bias_activation(c->act[k + 1], c->params + sh->bias_offset[k], rows, out,
                                    k + 1 < sh->n_layers, sh->activation, c->stream));
    }
    return 0;
}

/* From dlogits in dz[L-1]: every layer's weight and bias gradient into c->grads (overwritten:
 * one backward per step, as after zero_grad).  The chain of input gradients stays on `stream`;
 * each weight gradient forks to `side` as soon as its dz is ready, the bias gradients follow
 * there, and `stream` waits for `side` at the end (in a captured graph: parallel branches). */
static int enqueue_backward(cuda_ctx *c, int rows, char *err_, size_t errlen_)
{
    const model_shape *sh = &c->shape;
    const float one = 1.0f, zero = 0.0f;
    for (int k = sh->n_layers - 1; k >= 0; k--) {
        const int in = sh->sizes[k], out = sh->sizes[k + 1];
        CUDA_TRY(cudaEventRecord(c->dz_ready[k], c->stream));
        CUDA_TRY(cudaStreamWaitEvent(c->side, c->dz_ready[k], 0));
        /* dW (out, in) = dZ^T X: column-major dW^T (in, out) = X^T dZ */
        CUBLAS_TRY(cublasSgemm(c->cublas_side, CUBLAS_OP_N, CUBLAS_OP_T, in, out, rows, &one,
                               c->act[k], in, c->dz[k], out, &zero,
                               c->grads + sh->weight_offset[k], in));
        if (k == 0)
            break; /* no gradient for the input */
        /* dX (rows, in) = dZ W: column-major dX^T (in, rows) = W^T dZ^T; then times act' */
        CUBLAS_TRY(cublasSgemm(c->cublas, CUBLAS_OP_N, CUBLAS_OP_N, in, rows, out, &one,
                               c->params + sh->weight_offset[k], in, c->dz[k], out, &zero,
                               c->dz[k - 1], in));
        CUDA_TRY(op_activation_backward(c->act[k], c->dz[k - 1], (size_t)rows * (size_t)in,
                                        sh->activation, c->stream));
    }
    CUDA_TRY(op_bias_grads(&c->bias_table, rows, c->bias_scratch, c->side));
    CUDA_TRY(cudaEventRecord(c->grads_done, c->side));
    CUDA_TRY(cudaStreamWaitEvent(c->stream, c->grads_done, 0));
    return 0;
}

/* Gather, forward, loss and its gradient; `order`/`counter` as op_gather's. */
static int enqueue_loss(cuda_ctx *c, const gpu_split *sp, const int32_t *order,
                        const int *counter, int first, int rows, int with_gradient,
                        char *err_, size_t errlen_)
{
    const int L = c->shape.n_layers;
    CUDA_TRY(op_gather(sp->pixels, sp->labels, MODEL_INPUT_DIM, order, counter, c->batch, first,
                       rows, c->normalize, c->mean, c->std, c->act[0], c->labels_batch,
                       c->stream));
    if (enqueue_forward(c, rows, err_, errlen_) != 0)
        return -1;
    CUDA_TRY(op_softmax_cross_entropy(c->act[L], c->labels_batch, rows, c->shape.sizes[L],
                                      with_gradient ? c->dz[L - 1] : NULL, c->row_loss,
                                      with_gradient ? NULL : c->row_correct, c->stream));
    return 0;
}

/* One training step of `rows` rows: the batch at position *counter of this epoch's order. */
static int enqueue_train_step(cuda_ctx *c, int rows, char *err_, size_t errlen_)
{
    if (enqueue_loss(c, &c->split[SPLIT_TRAIN], c->perm, c->counter, 0, rows, 1, err_,
                     errlen_) != 0)
        return -1;
    CUDA_TRY(op_batch_reduce(c->row_loss, NULL, rows, c->counter, 0, c->batch_loss, NULL,
                             c->stream));
    if (enqueue_backward(c, rows, err_, errlen_) != 0)
        return -1;
    CUDA_TRY(op_optimizer_step(c->steps, c->counter, c->shape.n_params, c->params, c->grads,
                               c->state, c->stream));
    CUDA_TRY(op_step_advance(c->counter, c->stream));
    return 0;
}

/* Full steps per launch of step_chunk: at batch 128 an epoch is 469 steps, and a pack of 64
 * runs would otherwise launch 30,000 graphs an epoch, enough for the host's launch cost to
 * bound the pack's speed.  The chunk holds the same ops in the same order as that many
 * launches of step_full, so the bits are the same. */
#define STEP_CHUNK 16

/* Captures `steps` times enqueue_train_step(rows) into an executable graph. */
static int capture_step(cuda_ctx *c, int rows, int steps, cudaGraphExec_t *exec, char *err_,
                        size_t errlen_)
{
    cudaGraph_t graph = NULL;
    CUDA_TRY(cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal));
    int rc = 0;
    for (int s = 0; s < steps && rc == 0; s++)
        rc = enqueue_train_step(c, rows, err_, errlen_);
    const cudaError_t end = cudaStreamEndCapture(c->stream, &graph);
    if (rc != 0 || end != cudaSuccess) {
        if (graph)
            cudaGraphDestroy(graph);
        cudaGetLastError(); /* the capture's own error, if any, is reported below */
        if (rc != 0)
            return -1;
        CUDA_TRY(end);
    }
    const cudaError_t inst = cudaGraphInstantiate(exec, graph, 0);
    cudaGraphDestroy(graph);
    if (inst != cudaSuccess) {
        *exec = NULL;
        CUDA_TRY(inst);
    }
    CUDA_TRY(cudaGraphUpload(*exec, c->stream));
    return 0;
}

/* ---- the slots ----------------------------------------------------------------------------- */

static void cuda_free(backend *b)
{
    cuda_ctx *c = ctx_of(b);
    if (c) {
        if (c->stream)
            cudaStreamSynchronize(c->stream);
        if (c->side)
            cudaStreamSynchronize(c->side);
        if (c->step_full)
            cudaGraphExecDestroy(c->step_full);
        if (c->step_chunk)
            cudaGraphExecDestroy(c->step_chunk);
        if (c->step_last)
            cudaGraphExecDestroy(c->step_last);
        if (c->cublas)
            cublasDestroy(c->cublas);
        if (c->cublas_side)
            cublasDestroy(c->cublas_side);
        cudaFree(c->cublas_workspace);
        cudaFree(c->cublas_workspace_side);
        for (int k = 0; k < MODEL_MAX_LAYERS; k++)
            if (c->dz_ready[k])
                cudaEventDestroy(c->dz_ready[k]);
        if (c->grads_done)
            cudaEventDestroy(c->grads_done);
        cudaFree(c->data);
        cudaFree(c->params);
        cudaFree(c->grads);
        cudaFree(c->state);
        for (int k = 0; k <= MODEL_MAX_LAYERS; k++)
            cudaFree(c->act[k]);
        for (int k = 0; k < MODEL_MAX_LAYERS; k++)
            cudaFree(c->dz[k]);
        cudaFree(c->bias_scratch);
        cudaFree(c->labels_batch);
        cudaFree(c->row_loss);
        cudaFree(c->row_correct);
        cudaFree(c->batch_loss);
        cudaFree(c->batch_correct);
        cudaFree(c->perm_scratch.keys);
        cudaFree(c->perm_scratch.keys_sorted);
        cudaFree(c->perm_scratch.iota);
        cudaFree(c->perm_scratch.temp);
        cudaFree(c->perm);
        cudaFree(c->steps);
        cudaFree(c->counter);
        cudaFreeHost(c->host_steps);
        cudaFreeHost(c->host_loss);
        cudaFreeHost(c->host_correct);
        if (c->stream)
            cudaStreamDestroy(c->stream);
        if (c->side)
            cudaStreamDestroy(c->side);
        cudaGetLastError(); /* nothing to report from a teardown */
        free(c);
    }
    free(b);
}

/* nn.Linear's default init, U(+-1/sqrt(fan_in)) for weights and biases, each value from
 * Philox by its flat index: the CPU backend's numbers, bit for bit. */
static int cuda_init_params(backend *b, uint64_t seed)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    const model_shape *sh = &c->shape;
    init_table t;
    memset(&t, 0, sizeof t);
    t.n_layers = sh->n_layers;
    for (int k = 0; k < sh->n_layers; k++) {
        t.end[k] = sh->bias_offset[k] + (size_t)sh->sizes[k + 1];
        t.bound[k] = (float)(1.0 / sqrt((double)sh->sizes[k]));
    }
    CUDA_TRY(op_init_params(&t, seed, c->params, sh->n_params, c->stream));
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    return 0;
}

static int copy_sync(backend *b, void *dst, const void *src, size_t bytes, cudaMemcpyKind kind)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    if (bytes == 0)
        return 0;
    CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, kind, c->stream));
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    return 0;
}

static int cuda_load_params(backend *b, const float *host)
{
    cuda_ctx *c = ctx_of(b);
    return copy_sync(b, c->params, host, sizeof(float) * c->shape.n_params,
                     cudaMemcpyHostToDevice);
}

static int cuda_read_params(backend *b, float *host)
{
    cuda_ctx *c = ctx_of(b);
    return copy_sync(b, host, c->params, sizeof(float) * c->shape.n_params,
                     cudaMemcpyDeviceToHost);
}

static int cuda_load_state(backend *b, const float *host)
{
    cuda_ctx *c = ctx_of(b);
    return copy_sync(b, c->state, host, sizeof(float) * (size_t)c->n_slots * c->shape.n_params,
                     cudaMemcpyHostToDevice);
}

static int cuda_read_state(backend *b, float *host)
{
    cuda_ctx *c = ctx_of(b);
    return copy_sync(b, host, c->state, sizeof(float) * (size_t)c->n_slots * c->shape.n_params,
                     cudaMemcpyDeviceToHost);
}

/* The first half of one epoch, enqueued on the backend's stream without waiting: the step
 * scalars go up, the permutation, every step's graph, and the batch losses come back into
 * pinned memory.  lr_steps / momentum_steps: each step's lr and cycled momentum, or NULL
 * (backend_epoch_job).  cuda_epoch_finish waits for it and sums the losses. */
static int cuda_epoch_enqueue(backend *b, uint64_t seed, int epoch, double lr,
                              const double *lr_steps, const double *momentum_steps, long step)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    const int n = c->split[SPLIT_TRAIN].n;
    if (n <= 0) {
        snprintf(b->error, sizeof b->error, "cuda backend: the training split is empty");
        return -1;
    }
    const int batches = c->train_batches, full = n / c->batch;
    /* the step scalars of the whole epoch, computed on the host as the CPU loop does per step */
    for (int s = 0; s < batches; s++) {
        optim_settings o = c->optim;
        if (momentum_steps) optim_set_momentum(&o, momentum_steps[s]);
        optim_prepare_step(&o, lr_steps ? lr_steps[s] : lr, step + 1 + s, &c->host_steps[s]);
    }
    CUDA_TRY(cudaMemcpyAsync(c->steps, c->host_steps, sizeof(optim_step) * (size_t)batches,
                             cudaMemcpyHostToDevice, c->stream));
    CUDA_TRY(op_permutation(&c->perm_scratch, seed, PHILOX_STREAM_EPOCH0 + (uint64_t)epoch,
                            c->perm, c->stream));
    CUDA_TRY(cudaMemsetAsync(c->counter, 0, sizeof(int), c->stream));
    int s = 0;
    for (; c->step_chunk && s + STEP_CHUNK <= full; s += STEP_CHUNK)
        CUDA_TRY(cudaGraphLaunch(c->step_chunk, c->stream));
    for (; s < full; s++)
        CUDA_TRY(cudaGraphLaunch(c->step_full, c->stream));
    if (c->last_rows)
        CUDA_TRY(cudaGraphLaunch(c->step_last, c->stream));
    CUDA_TRY(cudaMemcpyAsync(c->host_loss, c->batch_loss, sizeof(float) * (size_t)batches,
                             cudaMemcpyDeviceToHost, c->stream));
    return 0;
}

/* The second half: waits for the epoch cuda_epoch_enqueue started, then *mean_loss (the
 * batch losses summed in batch order, in double, as the CPU backend) and *step. */
static int cuda_epoch_finish(backend *b, long *step, double *mean_loss)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    const int batches = c->train_batches;
    double loss_sum = 0.0;
    for (int s = 0; s < batches; s++)
        loss_sum += (double)c->host_loss[s];
    *step += batches;
    *mean_loss = loss_sum / (double)batches;
    return 0;
}

static int cuda_evaluate(backend *b, split_id split, eval_result *out)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    const gpu_split *sp = &c->split[split];
    if (sp->n == 0) {
        out->n = 0;
        out->correct = 0;
        out->loss = NAN;
        out->acc = NAN;
        return 0;
    }
    const int batches = ceil_div(sp->n, c->batch);
    for (int i = 0; i < batches; i++) {
        const int first = i * c->batch;
        const int rows = sp->n - first < c->batch ? sp->n - first : c->batch;
        if (enqueue_loss(c, sp, NULL, NULL, first, rows, 0, err_, errlen_) != 0)
            return -1;
        CUDA_TRY(op_batch_reduce(c->row_loss, c->row_correct, rows, NULL, i, c->batch_loss,
                                 c->batch_correct, c->stream));
    }
    CUDA_TRY(cudaMemcpyAsync(c->host_loss, c->batch_loss, sizeof(float) * (size_t)batches,
                             cudaMemcpyDeviceToHost, c->stream));
    CUDA_TRY(cudaMemcpyAsync(c->host_correct, c->batch_correct, sizeof(int) * (size_t)batches,
                             cudaMemcpyDeviceToHost, c->stream));
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    double loss_sum = 0.0;
    long correct = 0;
    for (int i = 0; i < batches; i++) {
        loss_sum += (double)c->host_loss[i];
        correct += c->host_correct[i];
    }
    out->n = sp->n;
    out->correct = correct;
    out->loss = loss_sum / (double)batches;
    out->acc = (double)correct / (double)sp->n;
    return 0;
}

static int cuda_train_epoch(backend *b, uint64_t seed, int epoch, double lr, long *step,
                            double *mean_loss)
{
    if (cuda_epoch_enqueue(b, seed, epoch, lr, NULL, NULL, *step) != 0)
        return -1;
    return cuda_epoch_finish(b, step, mean_loss);
}

/* A pack's epoch: every job's epoch is enqueued on its own backend's streams first, then
 * each is waited for, so that the runs' small kernels fill the GPU side by side instead of
 * one run at a time.  Each run's ops keep their order on its own streams, with its own cuBLAS
 * handles and buffers: its bits are those of the run alone, whatever its packmates. */
static int cuda_train_epochs(const backend_epoch_job *jobs, int n_jobs)
{
    int enqueued = 0, rc = 0;
    for (; enqueued < n_jobs; enqueued++) {
        const backend_epoch_job *j = &jobs[enqueued];
        if (cuda_epoch_enqueue(j->b, j->seed, j->epoch, j->lr, j->lr_steps, j->momentum_steps,
                               *j->step) != 0) {
            rc = -1;
            /* what it did enqueue ends before the caller sees the failure */
            cudaStreamSynchronize(ctx_of(j->b)->stream);
            cudaGetLastError();
            break;
        }
    }
    /* every enqueued epoch is waited for, also after a failure, so that no stream still
     * works on a backend the caller may free */
    for (int i = 0; i < enqueued; i++)
        if (cuda_epoch_finish(jobs[i].b, jobs[i].step, jobs[i].mean_loss) != 0)
            rc = -1;
    return rc;
}

/* defined below, with create */
static backend *cuda_create_member(backend *first, const optim_settings *optim, char *err,
                                   size_t errlen);

static const backend_ops cuda_ops = {
    "cuda",           cuda_free,       cuda_init_params, cuda_load_params, cuda_read_params,
    cuda_load_state,  cuda_read_state, cuda_train_epoch, cuda_evaluate,
    cuda_create_member, cuda_train_epochs,
};


/* ---- create ------------------------------------------------------------------------------ */

/* The device, stream and cuBLAS handle. */
static int setup_device(backend *b, const backend_config *cfg)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    int dev = 0;
    CUDA_TRY(cudaGetDevice(&dev));
    CUDA_TRY(cudaSetDevice(dev)); /* creates the context: a broken driver fails here */
    cudaDeviceProp prop;
    CUDA_TRY(cudaGetDeviceProperties(&prop, dev));
    snprintf(b->device_name, sizeof b->device_name, "%.127s", prop.name);
    snprintf(b->numerics, sizeof b->numerics, "%.127s", prop.name);
    CUDA_TRY(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    CUDA_TRY(cudaStreamCreateWithFlags(&c->side, cudaStreamNonBlocking));
    for (int k = 0; k < MODEL_MAX_LAYERS; k++)
        CUDA_TRY(cudaEventCreateWithFlags(&c->dz_ready[k], cudaEventDisableTiming));
    CUDA_TRY(cudaEventCreateWithFlags(&c->grads_done, cudaEventDisableTiming));
    /* FP32 GEMMs: the default math mode never uses TF32 unless asked to */
    const cublasMath_t math = cfg->precision == PRECISION_TF32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                               : CUBLAS_DEFAULT_MATH;
    CUBLAS_TRY(cublasCreate(&c->cublas));
    CUBLAS_TRY(cublasSetStream(c->cublas, c->stream));
    DEVICE_ALLOC(c->cublas_workspace, CUBLAS_WORKSPACE_BYTES, "the cuBLAS workspace");
    CUBLAS_TRY(cublasSetWorkspace(c->cublas, c->cublas_workspace, CUBLAS_WORKSPACE_BYTES));
    CUBLAS_TRY(cublasSetMathMode(c->cublas, math));
    CUBLAS_TRY(cublasCreate(&c->cublas_side));
    CUBLAS_TRY(cublasSetStream(c->cublas_side, c->side));
    DEVICE_ALLOC(c->cublas_workspace_side, CUBLAS_WORKSPACE_BYTES, "the cuBLAS workspace");
    CUBLAS_TRY(cublasSetWorkspace(c->cublas_side, c->cublas_workspace_side,
                                  CUBLAS_WORKSPACE_BYTES));
    CUBLAS_TRY(cublasSetMathMode(c->cublas_side, math));
    CUDA_TRY(op_preload_rng());
    CUDA_TRY(op_preload_bias());
    CUDA_TRY(op_preload_layer());
    CUDA_TRY(op_preload_loss());
    CUDA_TRY(op_preload_optim());
    return 0;
}

/* Bytes rounded up to 256, so that every array in the data block starts aligned (the gather
 * reads pixels four at a time). */
static size_t aligned_bytes(size_t n) { return (n + 255) / 256 * 256; }

/* The three splits into one device block. */
static int upload_data(backend *b, const dataset *d)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    const data_split *src[3] = {&d->train, &d->val, &d->test};
    size_t bytes = 0;
    for (int s = 0; s < 3; s++)
        bytes += aligned_bytes((size_t)src[s]->n * MODEL_INPUT_DIM) +
                 aligned_bytes((size_t)src[s]->n);
    DEVICE_ALLOC(c->data, bytes, "the data set");
    uint8_t *p = c->data;
    for (int s = 0; s < 3; s++) {
        const size_t n = (size_t)src[s]->n;
        c->split[s].n = src[s]->n;
        if (n == 0)
            continue;
        /* on our stream (non-blocking: it would not wait for the legacy stream's copies) */
        CUDA_TRY(cudaMemcpyAsync(p, src[s]->pixels, n * MODEL_INPUT_DIM, cudaMemcpyHostToDevice,
                                 c->stream));
        c->split[s].pixels = p;
        p += aligned_bytes(n * MODEL_INPUT_DIM);
        CUDA_TRY(cudaMemcpyAsync(p, src[s]->labels, n, cudaMemcpyHostToDevice, c->stream));
        c->split[s].labels = p;
        p += aligned_bytes(n);
    }
    CUDA_TRY(cudaStreamSynchronize(c->stream));
    return 0;
}

/* Parameters, optimizer state, activations, and the per-epoch buffers. */
static int allocate_buffers(backend *b, const backend_config *cfg)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    const model_shape *sh = &c->shape;
    const size_t np = sh->n_params;
    int largest = 1, total_cols = 0;
    for (int s = 0; s < 3; s++)
        largest = c->split[s].n > largest ? c->split[s].n : largest;
    for (int k = 1; k <= sh->n_layers; k++)
        total_cols += sh->sizes[k];
    c->rows_cap = c->batch < largest ? c->batch : largest;
    const size_t rows = (size_t)c->rows_cap;
    c->train_batches = ceil_div(c->split[SPLIT_TRAIN].n, c->batch);
    c->max_batches = 1;
    for (int s = 0; s < 3; s++) {
        const int nb = ceil_div(c->split[s].n, c->batch);
        c->max_batches = nb > c->max_batches ? nb : c->max_batches;
    }

    DEVICE_ALLOC(c->params, sizeof(float) * np, "the parameters");
    DEVICE_ALLOC(c->grads, sizeof(float) * np, "the gradients");
    DEVICE_ALLOC(c->state, sizeof(float) * ((size_t)c->n_slots * np + 1), "the optimizer state");
    for (int k = 0; k <= sh->n_layers; k++)
        DEVICE_ALLOC(c->act[k], sizeof(float) * rows * (size_t)sh->sizes[k], "activations");
    c->bias_table.n_layers = sh->n_layers;
    for (int k = 0; k < sh->n_layers; k++) {
        DEVICE_ALLOC(c->dz[k], sizeof(float) * rows * (size_t)sh->sizes[k + 1],
                     "activation gradients");
        c->bias_table.dz[k] = c->dz[k];
        c->bias_table.out[k] = c->grads + sh->bias_offset[k];
        c->bias_table.cols[k] = sh->sizes[k + 1];
    }
    DEVICE_ALLOC(c->bias_scratch, sizeof(float) * op_bias_grads_scratch(c->rows_cap, total_cols),
                 "bias-gradient partial sums");
    DEVICE_ALLOC(c->labels_batch, sizeof(int32_t) * rows, "batch labels");
    DEVICE_ALLOC(c->row_loss, sizeof(float) * rows, "row losses");
    DEVICE_ALLOC(c->row_correct, sizeof(int) * rows, "row predictions");
    DEVICE_ALLOC(c->batch_loss, sizeof(float) * (size_t)c->max_batches, "batch losses");
    DEVICE_ALLOC(c->batch_correct, sizeof(int) * (size_t)c->max_batches, "batch counts");
    DEVICE_ALLOC(c->steps, sizeof(optim_step) * (size_t)(c->train_batches + 1), "step scalars");
    DEVICE_ALLOC(c->counter, sizeof(int), "the step counter");

    const int n_train = c->split[SPLIT_TRAIN].n > 0 ? c->split[SPLIT_TRAIN].n : 1;
    permutation_scratch *ps = &c->perm_scratch;
    ps->n = n_train;
    CUDA_TRY(op_permutation_temp_bytes(n_train, &ps->temp_bytes));
    DEVICE_ALLOC(ps->keys, sizeof(uint32_t) * (size_t)n_train, "permutation keys");
    DEVICE_ALLOC(ps->keys_sorted, sizeof(uint32_t) * (size_t)n_train, "permutation keys");
    DEVICE_ALLOC(ps->iota, sizeof(int32_t) * (size_t)n_train, "permutation indices");
    DEVICE_ALLOC(ps->temp, ps->temp_bytes, "the radix sort's scratch");
    DEVICE_ALLOC(c->perm, sizeof(int32_t) * (size_t)n_train, "the epoch's order");

    CUDA_TRY(cudaMallocHost((void **)&c->host_steps,
                            sizeof(optim_step) * (size_t)(c->train_batches + 1)));
    CUDA_TRY(cudaMallocHost((void **)&c->host_loss, sizeof(float) * (size_t)c->max_batches));
    CUDA_TRY(cudaMallocHost((void **)&c->host_correct, sizeof(int) * (size_t)c->max_batches));

    /* defined contents before anything reads them (the warm-up below, initcheck) */
    CUDA_TRY(cudaMemsetAsync(c->params, 0, sizeof(float) * np, c->stream));
    CUDA_TRY(cudaMemsetAsync(c->perm, 0, sizeof(int32_t) * (size_t)n_train, c->stream));
    CUDA_TRY(cudaMemsetAsync(c->counter, 0, sizeof(int), c->stream));
    /* a new backend starts with optim_state_init's state, as the CPU one */
    float *state0 = (float *)xcalloc((size_t)c->n_slots * np + 1, sizeof(float));
    optim_state_init(&cfg->optim, state0, np);
    cudaError_t e = cudaMemcpyAsync(c->state, state0,
                                    sizeof(float) * ((size_t)c->n_slots * np + 1),
                                    cudaMemcpyHostToDevice, c->stream);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(c->stream); /* before state0 goes */
    free(state0);
    CUDA_TRY(e);
    return 0;
}

/* One eager forward + backward per batch shape (parameters untouched), so that cuBLAS and
 * the kernels are loaded and any launch problem shows up here with a plain message; then
 * the two step graphs. */
static int build_step_graphs(backend *b)
{
    ERROR_BUFFER(b);
    cuda_ctx *c = ctx_of(b);
    const int n = c->split[SPLIT_TRAIN].n;
    if (n <= 0)
        return 0;
    c->last_rows = n % c->batch;
    const int shapes[2] = {n >= c->batch ? c->batch : 0, c->last_rows};
    for (int i = 0; i < 2; i++) {
        if (shapes[i] == 0)
            continue;
        if (enqueue_loss(c, &c->split[SPLIT_TRAIN], c->perm, c->counter, 0, shapes[i], 1, err_,
                         errlen_) != 0 ||
            enqueue_backward(c, shapes[i], err_, errlen_) != 0)
            return -1;
        CUDA_TRY(cudaStreamSynchronize(c->stream));
    }
    if (shapes[0] && capture_step(c, shapes[0], 1, &c->step_full, err_, errlen_) != 0)
        return -1;
    if (n / c->batch >= STEP_CHUNK &&
        capture_step(c, shapes[0], STEP_CHUNK, &c->step_chunk, err_, errlen_) != 0)
        return -1;
    if (shapes[1] && capture_step(c, shapes[1], 1, &c->step_last, err_, errlen_) != 0)
        return -1;
    return 0;
}

/* Why no device is usable, with the driver and runtime versions when that is the reason. */
static void describe_no_device(cudaError_t e, int count, char *err, size_t errlen)
{
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    cudaGetLastError();
    if (e == cudaSuccess && count == 0)
        snprintf(err, errlen, "cuda backend: no CUDA device found (use train.backend: cpu)");
    else if (driver == 0) /* the runtime says "insufficient driver" when there is none */
        snprintf(err, errlen, "cuda backend: no NVIDIA driver found (cudaGetDeviceCount: %s); "
                 "this machine has no usable GPU: use train.backend: cpu", cudaGetErrorString(e));
    else if (e == cudaErrorInsufficientDriver)
        snprintf(err, errlen, "cuda backend: the NVIDIA driver (CUDA %d.%d) is older than this "
                 "build's CUDA runtime (%d.%d): update the driver, or use train.backend: cpu",
                 driver / 1000, driver % 1000 / 10, runtime / 1000, runtime % 1000 / 10);
    else
        snprintf(err, errlen, "cuda backend: no usable CUDA device: cudaGetDeviceCount: %s "
                 "(driver CUDA %d.%d, runtime %d.%d; use train.backend: cpu)",
                 cudaGetErrorString(e), driver / 1000, driver % 1000 / 10, runtime / 1000,
                 runtime % 1000 / 10);
}

extern "C" int backend_cuda_available(void)
{
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    cudaGetLastError(); /* a failed probe must not linger as the runtime's last error */
    return e == cudaSuccess && count > 0;
}

/* A backend over cfg's data (uploaded), or, for a pack's member, over the data that
 * `first` holds on the device (no second copy: the first outlives its members). */
static backend *create_backend(const backend_config *cfg, const cuda_ctx *first, char *err,
                               size_t errlen)
{
    const model_shape *sh = &cfg->shape;
    const dataset *d = cfg->data;
    if (cfg->batch_size <= 0 || sh->n_layers < 1 || sh->n_layers > MODEL_MAX_LAYERS ||
        (!first && (!d || d->train.dim != MODEL_INPUT_DIM)) ||
        sh->sizes[0] != MODEL_INPUT_DIM) {
        snprintf(err, errlen, "cuda backend: bad configuration (batch_size %d, %d layers, "
                 "input dim %d)", cfg->batch_size, sh->n_layers, d ? d->train.dim : -1);
        return NULL;
    }
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count <= 0) {
        describe_no_device(e, count, err, errlen);
        return NULL;
    }

    backend *b = (backend *)xcalloc(1, sizeof *b);
    cuda_ctx *c = (cuda_ctx *)xcalloc(1, sizeof *c);
    b->ops = &cuda_ops;
    b->ctx = c;
    b->config = *cfg;
    if (cfg->data) b->config.train_rows = cfg->data->train.n; /* for train.c's tables */
    b->config.data = NULL; /* not referenced after create */
    c->shape = *sh;
    c->batch = cfg->batch_size;
    c->optim = cfg->optim;
    c->n_slots = optim_state_slots(&cfg->optim);
    c->normalize = cfg->normalize;
    c->mean = cfg->mean;
    c->std = cfg->std;
    if (first)
        memcpy(c->split, first->split, sizeof c->split);

    if (setup_device(b, cfg) != 0 || (!first && upload_data(b, d) != 0) ||
        allocate_buffers(b, cfg) != 0 || build_step_graphs(b) != 0) {
        snprintf(err, errlen, "cuda backend: %s", b->error);
        cuda_free(b);
        return NULL;
    }
    return b;
}

extern "C" backend *backend_cuda_create(const backend_config *cfg, char *err, size_t errlen)
{
    return create_backend(cfg, NULL, err, errlen);
}

/* A pack's member (backend_ops.create_member): first's model shape, batch size, precision
 * and data, its own optimizer, parameters, state, streams and graphs. */
static backend *cuda_create_member(backend *first, const optim_settings *optim, char *err,
                                   size_t errlen)
{
    backend_config cfg = first->config;
    cfg.optim = *optim;
    cfg.data = NULL;
    return create_backend(&cfg, ctx_of(first), err, errlen);
}
