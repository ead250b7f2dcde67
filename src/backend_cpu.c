/* backend_cpu.c — the CPU backend (backend.h): the readable reference that the CUDA backend
 * must match, op for op.  GEMMs through OpenBLAS's cblas_sgemm; everything else is plain C
 * loops in float, ordered as PyTorch's CPU kernels order them (cited where it matters).
 * Owns a copy of the data (uint8), the flat parameters, gradients, optimizer state and the
 * activations of one batch, all allocated once in create: the step loop allocates nothing. */
#define _DEFAULT_SOURCE /* madvise, posix_memalign */
#include "backend.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "check.h"
#include "optim.h"
#include "philox.h"

/* The elementwise loops below are short and hot (at batch 128 a whole step's GEMMs take
 * ~0.4 ms).  The release build's -O2 does not vectorize, so they ask for it here, plus an
 * AVX2/FMA clone picked at load time.  Neither changes a single bit: every element still gets the
 * same IEEE float operations in the same order (no reassociation, no contraction under
 * -std=c11); "no-trapping-math" only lets gcc evaluate both sides of a select, which matters
 * for FP exceptions we never enable. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define CPU_VECTOR \
    __attribute__((optimize("tree-vectorize", "unswitch-loops", "no-trapping-math"), \
                   target_clones("arch=x86-64-v3", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
#define CPU_VECTOR __attribute__((optimize("tree-vectorize", "unswitch-loops", "no-trapping-math")))
#else
#define CPU_VECTOR
#endif

enum { SUM_LEVELS = 4 }; /* levels of torch's cascade sum (see column_sum) */

typedef struct {
    const uint8_t *pixels; /* (n, 784), into cpu_ctx.storage */
    const uint8_t *labels; /* (n) */
    int n;
} cpu_split;

/* Column sums of a batch (the bias gradients), in float as torch keeps them, accumulated
 * row by row as the rows are produced, in the order of torch's CPU sum over dim 0
 * (SumKernel.cpp multi_row_sum): rows go into level 0 in blocks of `step` (16 for any batch
 * up to 65536 rows), each full block is carried into level 1, every `step` level-1 carries
 * into level 2, and so on; the total is level 0 + level 1 + level 2 + level 3.  Far more
 * accurate than one running float sum over 4096 rows, and torch's result bit for bit for
 * columns in full blocks of 32 (its AVX2 kernel's 4 vectors of 8: all of a 128-wide layer).
 * Torch sums the remaining columns (the 10 logits) with 4 interleaved partial sums instead:
 * an ulp-level difference, inside the float32 noise band tests/reference measures. */
typedef struct {
    float *acc[SUM_LEVELS]; /* (cols) each; acc[0] is the destination */
    int cols, power;
    long step, mask;
    long rows;              /* rows added so far */
} column_sum;

typedef struct {
    model_shape shape;
    int batch;              /* rows of a full batch */
    optim_settings optim;
    int n_slots;            /* optimizer state buffers */
    int normalize;
    float mean, std;

    cpu_split split[3];     /* indexed by split_id */
    uint8_t *storage;       /* owns the copied pixels and labels */

    float *params;          /* (n_params) model.h layout */
    float *grads;           /* (n_params) same layout */
    float *state;           /* (n_slots, n_params) */
    /* act[0] = the gathered input (batch, 784); act[k] = the activated output of layer k-1
     * (batch, sizes[k]) for 0 < k < L; act[L] = the logits (batch, 10). */
    float *act[MODEL_MAX_LAYERS + 1];
    float *delta[2];        /* (batch, widest): dL/d(pre-activation), ping-pong */
    float *levels;          /* (SUM_LEVELS - 1, widest): column_sum's upper levels */
    int32_t *perm;          /* (n_train) this epoch's order */
} cpu_ctx;

/* ---- numeric leaves -------------------------------------------------------------------- */

static int ceil_log2(long x) /* as c10's CeilLog2: 1 for x <= 2 */
{
    int r = 0;
    if (x <= 2)
        return 1;
    for (unsigned long v = (unsigned long)(x - 1); v; v >>= 1)
        r++;
    return r;
}

/* Starts sums over `rows` rows of `cols` columns into dst; levels has room for
 * (SUM_LEVELS - 1) * cols floats. */
static void column_sum_start(column_sum *s, float *dst, float *levels, int cols, long rows)
{
    s->cols = cols;
    s->power = ceil_log2(rows) / SUM_LEVELS > 4 ? ceil_log2(rows) / SUM_LEVELS : 4;
    s->step = 1L << s->power;
    s->mask = s->step - 1;
    s->rows = 0;
    s->acc[0] = dst;
    for (int l = 1; l < SUM_LEVELS; l++)
        s->acc[l] = levels + (size_t)(l - 1) * (size_t)cols;
    for (int l = 0; l < SUM_LEVELS; l++)
        memset(s->acc[l], 0, sizeof(float) * (size_t)cols);
}

/* Carries the block of rows just completed in acc[0] upwards (see column_sum_row_done). */
CPU_VECTOR static void column_sum_carry(column_sum *s)
{
    for (int l = 1; l < SUM_LEVELS; l++) {
        float *restrict up = s->acc[l], *restrict lo = s->acc[l - 1];
        for (int c = 0; c < s->cols; c++) {
            up[c] += lo[c];
            lo[c] = 0.0f;
        }
        if ((s->rows & (s->mask << (l * s->power))) != 0)
            break;
    }
}

/* Call after adding a row into acc[0]: carries a completed block upwards.  Inline, as it
 * runs once per row and does nothing for 15 rows in 16. */
static inline void column_sum_row_done(column_sum *s, long total_rows)
{
    s->rows++;
    /* torch's loop: while i + step <= size, add `step` rows, then carry; the last
     * (size % step) rows stay in level 0 */
    if ((s->rows & s->mask) != 0 || s->rows > total_rows - (total_rows & s->mask))
        return;
    column_sum_carry(s);
}

static void column_sum_finish(column_sum *s)
{
    for (int l = 1; l < SUM_LEVELS; l++)
        for (int c = 0; c < s->cols; c++)
            s->acc[0][c] += s->acc[l][c];
}

/* act[0] rows = the pixels of data rows rows[r] (or first + r when rows is NULL), as
 * ToTensor makes them: (float)v / 255.0f; then Normalize's (x - mean) / std, in float.
 * Training rows come in random order from a 47 MB array: each is a fresh trip to memory,
 * so the row GATHER_AHEAD rows on is prefetched (4x faster than waiting for each). */
enum { GATHER_AHEAD = 8 };

CPU_VECTOR static void gather_batch(float *restrict x, const uint8_t *restrict pixels,
                                    const int32_t *rows, int first, int m, int normalize,
                                    float mean, float std)
{
    for (int r = 0; r < m; r++) {
#if defined(__GNUC__)
        if (r + GATHER_AHEAD < m) {
            const uint8_t *next =
                pixels + (size_t)(rows ? rows[r + GATHER_AHEAD] : first + r + GATHER_AHEAD) *
                             MODEL_INPUT_DIM;
            for (int j = 0; j < MODEL_INPUT_DIM; j += 64)
                __builtin_prefetch(next + j);
            __builtin_prefetch(next + MODEL_INPUT_DIM - 1);
        }
#endif
        const uint8_t *restrict src =
            pixels + (size_t)(rows ? rows[r] : first + r) * MODEL_INPUT_DIM;
        float *restrict dst = x + (size_t)r * MODEL_INPUT_DIM;
        if (normalize)
            for (int j = 0; j < MODEL_INPUT_DIM; j++)
                dst[j] = ((float)src[j] / 255.0f - mean) / std;
        else
            for (int j = 0; j < MODEL_INPUT_DIM; j++)
                dst[j] = (float)src[j] / 255.0f;
    }
}

/* y = act(y) in place on n values, as torch's CPU kernels: LeakyReLU x > 0 ? x : x * 0.01f
 * (written as a multiply by 1 or the slope, which is exact, so that it vectorizes; the slope
 * is the double 0.01 made float once, as torch converts its Scalar); ReLU is clamp_min(x, 0),
 * x < 0 ? 0 : x (NaN passes through, so a diverging run shows NaN); tanh. */
CPU_VECTOR static void activation_forward(activation_kind a, float *restrict y, size_t n)
{
    const float slope = (float)0.01;
    switch (a) {
    case ACTIVATION_LEAKY_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] *= y[i] > 0.0f ? 1.0f : slope;
        break;
    case ACTIVATION_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = y[i] < 0.0f ? 0.0f : y[i];
        break;
    case ACTIVATION_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanhf(y[i]);
        break;
    }
}

/* d = d * act'(.) in place, on m rows of `cols`, from the activation's OUTPUT y, adding each
 * finished row into the column sums s (the previous layer's bias gradient).  For (leaky)
 * ReLU, y > 0 exactly when the input x > 0 (0.01f * x keeps x's sign; -0 is not > 0), so
 * this is torch's leaky_relu_backward (x > 0 ? g : g * slope, the slope at x == 0 too) and
 * threshold_backward (y <= 0 ? 0 : g); tanh is tanh_backward, g * (1 - y * y). */
CPU_VECTOR static void activation_backward(activation_kind a, const float *restrict y,
                                           float *restrict d, int m, int cols, column_sum *s)
{
    const float slope = (float)0.01;
    float *restrict acc = s->acc[0];
    for (int r = 0; r < m; r++) {
        const float *restrict yr = y + (size_t)r * (size_t)cols;
        float *restrict dr = d + (size_t)r * (size_t)cols;
        switch (a) {
        case ACTIVATION_LEAKY_RELU:
            for (int c = 0; c < cols; c++) {
                dr[c] *= yr[c] > 0.0f ? 1.0f : slope;
                acc[c] += dr[c];
            }
            break;
        case ACTIVATION_RELU:
            for (int c = 0; c < cols; c++) {
                dr[c] = yr[c] <= 0.0f ? 0.0f : dr[c];
                acc[c] += dr[c];
            }
            break;
        case ACTIVATION_TANH:
            for (int c = 0; c < cols; c++) {
                dr[c] = dr[c] * (1.0f - yr[c] * yr[c]);
                acc[c] += dr[c];
            }
            break;
        }
        column_sum_row_done(s, m);
    }
}

/* Mean cross-entropy of logits z (m, classes) against labels, as torch's CPU cross_entropy
 * computes it: log_softmax row by row, logp = (z - max) - log(sum exp(z - max)), in that
 * order (SoftMaxKernel.cpp _vec_log_softmax_lastdim), then nll_loss's mean, whose sum over
 * the batch is a float cascade of 8 levels of 16 (LossNLL.cpp nll_loss_out_frame).
 * The label of row r is labels[rows[r]], or labels[r] when rows is NULL.
 * Training (dz not NULL): dz = d(loss)/dz, as torch's backward makes it: nll_loss puts
 * g = -(1 / m) at the label, and log_softmax's backward gives g_row - exp(logp) * sum(g_row)
 * with sum(g_row) = g; each dz row is added into the column sums s (the last bias gradient).
 * Evaluation (correct not NULL): adds the rows whose argmax (first maximum on ties, as
 * torch.argmax) is the label. */
static float softmax_cross_entropy(const float *z, const int32_t *rows, const uint8_t *labels,
                                   int m, int classes, float *dz, column_sum *s, long *correct)
{
    enum { NLL_LEVELS = 8 };
    const int power = ceil_log2(m) / NLL_LEVELS > 4 ? ceil_log2(m) / NLL_LEVELS : 4;
    const long mask = (1L << power) - 1;
    float partial[NLL_LEVELS] = {0};
    const float g = -(1.0f / (float)m);

    for (int r = 0; r < m; r++) {
        const float *zr = z + (size_t)r * (size_t)classes;
        const int y = labels[rows ? rows[r] : r];
        float mx = zr[0];
        int arg = 0;
        for (int j = 1; j < classes; j++)
            if (zr[j] > mx) {
                mx = zr[j];
                arg = j;
            }
        float sum = 0.0f;
        for (int j = 0; j < classes; j++)
            sum += expf(zr[j] - mx);
        const float log_sum = logf(sum);

        partial[0] -= (zr[y] - mx) - log_sum;
        for (int l = 0; l + 1 < NLL_LEVELS; l++) {
            if ((r & (mask << (l * power))) != 0)
                break;
            partial[l + 1] += partial[l];
            partial[l] = 0.0f;
        }
        if (dz) {
            float *dr = dz + (size_t)r * (size_t)classes;
            for (int j = 0; j < classes; j++) {
                dr[j] = (j == y ? g : 0.0f) - expf((zr[j] - mx) - log_sum) * g;
                s->acc[0][j] += dr[j];
            }
            column_sum_row_done(s, m);
        }
        if (correct && arg == y)
            (*correct)++;
    }
    float total = 0.0f;
    for (int l = 0; l < NLL_LEVELS; l++)
        total += partial[l];
    return total / (float)m;
}

/* ---- a batch -------------------------------------------------------------------------- */

/* y rows = b: the starting value of an addmm output.  One vectorized loop rather than a
 * memcpy call per row (a call per 128-float row cost more than the copying); gcc would turn
 * the inner loop back into memcpy calls, hence no-tree-loop-distribute-patterns. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((optimize("tree-vectorize", "no-tree-loop-distribute-patterns"),
               target_clones("arch=x86-64-v3", "default")))
#endif
static void fill_rows(float *restrict y, const float *restrict b, int m, int cols)
{
    for (int r = 0; r < m; r++) {
        float *restrict yr = y + (size_t)r * (size_t)cols;
        for (int c = 0; c < cols; c++)
            yr[c] = b[c];
    }
}

/* Forward pass of m gathered rows: act[k+1] = act(act[k] W_k^T + b_k), logits last.  The
 * output rows start as the bias and sgemm adds the product (beta = 1): that is how torch's
 * addmm(bias, x, W^T) computes nn.Linear (the bias enters before the first K block). */
static void forward(cpu_ctx *c, int m)
{
    const model_shape *sh = &c->shape;
    for (int k = 0; k < sh->n_layers; k++) {
        const int in = sh->sizes[k], out = sh->sizes[k + 1];
        const float *w = c->params + sh->weight_offset[k]; /* (out, in) */
        const float *b = c->params + sh->bias_offset[k];   /* (out) */
        float *y = c->act[k + 1];                          /* (m, out) */
        fill_rows(y, b, m, out);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, out, in, 1.0f, c->act[k], in, w,
                    in, 1.0f, y, out);
        if (k + 1 < sh->n_layers)
            activation_forward(sh->activation, y, (size_t)m * (size_t)out);
    }
}

/* Backward pass and optimizer step (optim.h's update rule through its CPU loop,
 * optim_update_range), layer by layer from the top.  delta[cur] holds
 * dL/d(output of layer k) (m, out) and the bias gradient of layer k is already summed.
 *   dW_k = delta^T act[k]                       (out, in)
 *   delta_prev = (delta W_k) * act'(act[k])     (m, in), its column sums = the bias
 *                                                gradient of layer k-1
 *   then layer k's weights and bias take their optimizer step.
 * Updating layer k right after its last use (delta_prev needs the old W_k) gives exactly the
 * result of one pass over the flat buffer after the whole backward, since the update is
 * elementwise, while the gradients are still in cache. */
static void backward_and_update(cpu_ctx *c, int m, const optim_step *st)
{
    const model_shape *sh = &c->shape;
    int cur = 0;
    for (int k = sh->n_layers - 1; k >= 0; k--) {
        const int in = sh->sizes[k], out = sh->sizes[k + 1];
        const float *d = c->delta[cur]; /* (m, out) */
        float *w = c->params + sh->weight_offset[k];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, m, 1.0f, d, out,
                    c->act[k], in, 0.0f, c->grads + sh->weight_offset[k], in);
        if (k > 0) {
            float *dp = c->delta[1 - cur];
            column_sum s;
            column_sum_start(&s, c->grads + sh->bias_offset[k - 1], c->levels, in, m);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, in, out, 1.0f, d, out, w,
                        in, 0.0f, dp, in);
            activation_backward(sh->activation, c->act[k], dp, m, in, &s);
            column_sum_finish(&s);
            cur = 1 - cur;
        }
        optim_update_range(st, sh->weight_offset[k], sh->bias_offset[k] + (size_t)out,
                           sh->n_params, c->params, c->grads, c->state);
    }
}

/* The copy of the data set: rows are read in random order, one 784-byte row per 4 KiB page
 * of a 47 MB array, so with small pages nearly every row costs a TLB miss and a page walk.
 * On Linux the block is 2 MiB aligned and asks for transparent huge pages (a hint: the
 * kernel may refuse, and nothing else changes).  Freed with free(). */
static uint8_t *alloc_storage(size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    enum { HUGE_PAGE = 2 << 20 };
    void *p = NULL;
    if (bytes >= HUGE_PAGE && posix_memalign(&p, HUGE_PAGE, bytes) == 0) {
        (void)madvise(p, bytes, MADV_HUGEPAGE);
        return p;
    }
#endif
    return xmalloc(bytes ? bytes : 1);
}

/* ---- the slots --------------------------------------------------------------------------- */

static cpu_ctx *ctx_of(backend *b) { return (cpu_ctx *)b->ctx; }

static void cpu_free(backend *b)
{
    cpu_ctx *c = ctx_of(b);
    if (c) {
        free(c->storage);
        free(c->params);
        free(c->grads);
        free(c->state);
        for (int k = 0; k <= MODEL_MAX_LAYERS; k++)
            free(c->act[k]);
        free(c->delta[0]);
        free(c->delta[1]);
        free(c->levels);
        free(c->perm);
        free(c);
    }
    free(b);
}

/* nn.Linear's default init: kaiming_uniform_(a=sqrt(5)) for the weight and
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias both come to U(+-1/sqrt(fan_in)).  Each
 * value is drawn from Philox by its flat index, so the CUDA backend draws the same numbers
 * (philox.h). */
static int cpu_init_params(backend *b, uint64_t seed)
{
    cpu_ctx *c = ctx_of(b);
    const model_shape *sh = &c->shape;
    for (int k = 0; k < sh->n_layers; k++) {
        const float bound = (float)(1.0 / sqrt((double)sh->sizes[k]));
        const size_t end = sh->bias_offset[k] + (size_t)sh->sizes[k + 1];
        for (size_t j = sh->weight_offset[k]; j < end; j++)
            c->params[j] = philox_init_value(philox_u32(seed, PHILOX_STREAM_INIT, j), bound);
    }
    return 0;
}

static int cpu_load_params(backend *b, const float *host)
{
    memcpy(ctx_of(b)->params, host, sizeof(float) * ctx_of(b)->shape.n_params);
    return 0;
}

static int cpu_read_params(backend *b, float *host)
{
    memcpy(host, ctx_of(b)->params, sizeof(float) * ctx_of(b)->shape.n_params);
    return 0;
}

static int cpu_load_state(backend *b, const float *host)
{
    cpu_ctx *c = ctx_of(b);
    memcpy(c->state, host, sizeof(float) * (size_t)c->n_slots * c->shape.n_params);
    return 0;
}

static int cpu_read_state(backend *b, float *host)
{
    cpu_ctx *c = ctx_of(b);
    memcpy(host, c->state, sizeof(float) * (size_t)c->n_slots * c->shape.n_params);
    return 0;
}

static int cpu_train_epoch(backend *b, uint64_t seed, int epoch, double lr, long *step,
                           double *mean_loss)
{
    cpu_ctx *c = ctx_of(b);
    const cpu_split *sp = &c->split[SPLIT_TRAIN];
    const model_shape *sh = &c->shape;
    const int n = sp->n, classes = sh->sizes[sh->n_layers];
    if (n <= 0) {
        snprintf(b->error, sizeof b->error, "cpu backend: the training split is empty");
        return -1;
    }
    if (philox_permutation(seed, PHILOX_STREAM_EPOCH0 + (uint64_t)epoch, n, c->perm) != 0) {
        snprintf(b->error, sizeof b->error, "cpu backend: out of memory (epoch permutation)");
        return -1;
    }
    double loss_sum = 0.0; /* the notebook's running_loss += loss.item(): a double sum */
    long batches = 0;
    for (int first = 0; first < n; first += c->batch) {
        const int m = n - first < c->batch ? n - first : c->batch;
        const int32_t *rows = c->perm + first;
        gather_batch(c->act[0], sp->pixels, rows, 0, m, c->normalize, c->mean, c->std);
        forward(c, m);
        column_sum s;
        column_sum_start(&s, c->grads + sh->bias_offset[sh->n_layers - 1], c->levels, classes,
                         m);
        float loss = softmax_cross_entropy(c->act[sh->n_layers], rows, sp->labels, m, classes,
                                           c->delta[0], &s, NULL);
        column_sum_finish(&s);
        optim_step st;
        optim_prepare_step(&c->optim, lr, ++*step, &st);
        backward_and_update(c, m, &st);
        loss_sum += (double)loss;
        batches++;
    }
    *mean_loss = loss_sum / (double)batches;
    return 0;
}

static int cpu_evaluate(backend *b, split_id split, eval_result *out)
{
    cpu_ctx *c = ctx_of(b);
    const cpu_split *sp = &c->split[split];
    const int classes = c->shape.sizes[c->shape.n_layers];
    double loss_sum = 0.0;
    long batches = 0, correct = 0;
    for (int first = 0; first < sp->n; first += c->batch) {
        const int m = sp->n - first < c->batch ? sp->n - first : c->batch;
        gather_batch(c->act[0], sp->pixels, NULL, first, m, c->normalize, c->mean, c->std);
        forward(c, m);
        loss_sum += (double)softmax_cross_entropy(c->act[c->shape.n_layers], NULL,
                                                  sp->labels + first, m, classes, NULL, NULL,
                                                  &correct);
        batches++;
    }
    out->n = sp->n;
    out->correct = correct;
    out->loss = batches ? loss_sum / (double)batches : NAN;
    out->acc = sp->n ? (double)correct / (double)sp->n : NAN;
    return 0;
}

static const backend_ops cpu_ops = {
    .name = "cpu",
    .free = cpu_free,
    .init_params = cpu_init_params,
    .load_params = cpu_load_params,
    .read_params = cpu_read_params,
    .load_state = cpu_load_state,
    .read_state = cpu_read_state,
    .train_epoch = cpu_train_epoch,
    .evaluate = cpu_evaluate,
};

/* "cpu (OpenBLAS 0.3.21, 2 threads)": the first two words of openblas_get_config(). */
static void describe_device(char *buf, size_t n)
{
    const char *cfg = openblas_get_config();
    int words = 0, len = 0;
    while (cfg[len] && !(cfg[len] == ' ' && ++words == 2))
        len++;
    const int threads = openblas_get_num_threads();
    snprintf(buf, n, "cpu (%.*s, %d thread%s)", len, cfg, threads, threads == 1 ? "" : "s");
}

backend *backend_cpu_create(const backend_config *cfg, char *err, size_t errlen)
{
    const model_shape *sh = &cfg->shape;
    const dataset *d = cfg->data;
    if (cfg->batch_size <= 0 || sh->n_layers < 1 || sh->sizes[0] != MODEL_INPUT_DIM || !d ||
        (d->train.n > 0 && d->train.dim != MODEL_INPUT_DIM)) {
        snprintf(err, errlen, "cpu backend: bad configuration (batch_size %d, %d layers, "
                 "input dim %d)", cfg->batch_size, sh->n_layers, d ? d->train.dim : -1);
        return NULL;
    }
    backend *b = xcalloc(1, sizeof *b);
    cpu_ctx *c = xcalloc(1, sizeof *c);
    b->ops = &cpu_ops;
    b->ctx = c;
    b->config = *cfg;
    b->config.data = NULL; /* not referenced after create */
    describe_device(b->device_name, sizeof b->device_name);

    c->shape = *sh;
    c->optim = cfg->optim;
    c->n_slots = optim_state_slots(&cfg->optim);
    c->normalize = cfg->normalize;
    c->mean = cfg->mean;
    c->std = cfg->std;

    /* a private copy of the three splits, in one block */
    const data_split *src[3] = {&d->train, &d->val, &d->test};
    size_t bytes = 0;
    for (int s = 0; s < 3; s++)
        bytes += (size_t)src[s]->n * (MODEL_INPUT_DIM + 1);
    c->storage = alloc_storage(bytes);
    uint8_t *p = c->storage;
    for (int s = 0; s < 3; s++) {
        const size_t n = (size_t)src[s]->n;
        c->split[s].n = src[s]->n;
        c->split[s].pixels = p;
        memcpy(p, src[s]->pixels, n * MODEL_INPUT_DIM);
        p += n * MODEL_INPUT_DIM;
        c->split[s].labels = p;
        memcpy(p, src[s]->labels, n);
        p += n;
    }

    const size_t np = sh->n_params, batch = (size_t)cfg->batch_size;
    int widest = 0;
    for (int k = 1; k <= sh->n_layers; k++)
        widest = sh->sizes[k] > widest ? sh->sizes[k] : widest;
    c->batch = cfg->batch_size;
    c->params = xcalloc(np, sizeof(float));
    c->grads = xcalloc(np, sizeof(float));
    c->state = xcalloc((size_t)c->n_slots * np + 1, sizeof(float));
    optim_state_init(&cfg->optim, c->state, np);
    for (int k = 0; k <= sh->n_layers; k++)
        c->act[k] = xmalloc(sizeof(float) * batch * (size_t)sh->sizes[k]);
    c->delta[0] = xmalloc(sizeof(float) * batch * (size_t)widest);
    c->delta[1] = xmalloc(sizeof(float) * batch * (size_t)widest);
    c->levels = xmalloc(sizeof(float) * (SUM_LEVELS - 1) * (size_t)widest);
    c->perm = xmalloc(sizeof(int32_t) * (size_t)(c->split[SPLIT_TRAIN].n + 1));
    return b;
}
