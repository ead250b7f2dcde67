/* backend_cpu.c — the CPU backend (backend.h): the readable reference that the CUDA backend
 * must match, op for op.  GEMMs through OpenBLAS's cblas_sgemm; everything else is plain C
 * loops in float, ordered as PyTorch's CPU kernels order them (cited where it matters).
 * Owns a copy of the data (uint8), the flat parameters, gradients, optimizer state and the
 * activations of one batch, all allocated once in create: the step loop allocates nothing.
 * Threads: a team (cpu_team.h) of as many threads as OpenBLAS is set to use shares each step,
 * by batch rows and then by weight rows, each member calling OpenBLAS single-threaded; a
 * run's bits depend on the team size only through OpenBLAS's tiling of the split GEMMs, and
 * never on timing (tests/engine "threads"). */
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
#include "cpu_kernel.h"
#include "cpu_team.h"
#include "optim.h"
#include "philox.h"
#include "torch_math.h"

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
    long mask;              /* rows per block - 1 */
    long rows;              /* rows added so far */
} column_sum;

/* One run's part of an epoch or an evaluation (see team_job). */
typedef struct cpu_ctx cpu_ctx;
typedef struct {
    cpu_ctx *c;
    double lr;
    const double *lr_steps, *momentum_steps; /* per step of the epoch, or NULL (job's) */
    long step0;             /* optimizer steps taken before this epoch */
    double loss_sum;        /* sum of the batch losses (team member 0 adds them, in order) */
    long batches, correct;
} run_job;

/* The work of cpu_team_run: an evaluation of one run, or an epoch of a cohort of pack
 * members that share the batch order (same seed and epoch), batch by batch: one gather per
 * batch serves them all; each run's own operations are the same, in the same order, as when
 * it trains alone (a cohort of one), so its bits do not depend on its packmates. */
typedef struct {
    run_job *runs;          /* (n_runs) */
    int n_runs;
    const int32_t *perm;    /* training: the cohort's epoch order */
    split_id split;
} team_job;

/* What the members of a pack share (backend_ops.create_member): the data copy, the team,
 * the gathered batch and the column-sum scratch.  The first member made it; the last one
 * freed frees it. */
typedef struct {
    int refs;
    cpu_team *team;
    cpu_split split[3];     /* indexed by split_id */
    uint8_t *storage;       /* owns the copied pixels and labels */
    float *input;           /* (batch, 784) the gathered batch */
    float *levels;          /* (team size, SUM_LEVELS - 1, widest) */
} cpu_shared;

struct cpu_ctx {
    model_shape shape;
    int batch;              /* rows of a full batch */
    optim_settings optim;
    int n_slots;            /* optimizer state buffers */
    int normalize;
    float mean, std;
    cpu_shared *shared;
    cpu_team *team;         /* shared->team */
    cpu_split split[3];     /* copies of shared->split */

    float *params;          /* (n_params) model.h layout */
    float *grads;           /* (n_params) same layout */
    float *state;           /* (n_slots, n_params) */
    /* act[0] = the gathered input (batch, 784), shared->input; act[k] = the activated output
     * of layer k-1 (batch, sizes[k]) for 0 < k < L; act[L] = the logits (batch, 10). */
    float *act[MODEL_MAX_LAYERS + 1];
    /* delta[k] = dL/d(pre-activation output of layer k) (batch, sizes[k+1]) */
    float *delta[MODEL_MAX_LAYERS];
    /* column_sum's upper levels, a block of (SUM_LEVELS - 1, widest) per team member: one
     * member can be summing layer k while another sums layer k - 1 (shared->levels) */
    float *levels;
    int widest;
    float *logp;            /* (batch) log-probability of each row's label */
    uint8_t *hit;           /* (batch) argmax == label, when evaluating */
    int32_t *perm;          /* (n_train) this epoch's order */
};

#define LEVELS_PER_MEMBER(c) ((size_t)(SUM_LEVELS - 1) * (size_t)(c)->widest)

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

/* Carries the block of rows just completed in acc[0] upwards (see column_sums). */
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

/* dst = the column sums of m rows of x (row stride ld, cols columns used), in torch's
 * order: rows go into level 0, each completed block of `step` rows is carried upwards
 * (while i + step <= size, add `step` rows, then carry; the last size % step rows stay in
 * level 0), then the levels are totalled into level 0.  Level l > 0 lives at
 * levels + (l - 1) * stride, with room for cols floats. */
CPU_VECTOR static void column_sums(float *dst, float *levels, int stride, const float *restrict x,
                                   int ld, int cols, long m)
{
    column_sum s = {.cols = cols, .acc = {dst}};
    s.power = ceil_log2(m) / SUM_LEVELS > 4 ? ceil_log2(m) / SUM_LEVELS : 4;
    s.mask = (1L << s.power) - 1;
    for (int l = 1; l < SUM_LEVELS; l++)
        s.acc[l] = levels + (size_t)(l - 1) * (size_t)stride;
    for (int l = 0; l < SUM_LEVELS; l++)
        memset(s.acc[l], 0, sizeof(float) * (size_t)cols);
    const long full = m - (m & s.mask);
    for (long r = 0; r < m; r++) {
        const float *restrict xr = x + (size_t)r * (size_t)ld;
        for (int c = 0; c < cols; c++)
            dst[c] += xr[c];
        s.rows++;
        if ((s.rows & s.mask) == 0 && s.rows <= full)
            column_sum_carry(&s);
    }
    for (int l = 1; l < SUM_LEVELS; l++)
        for (int c = 0; c < cols; c++)
            dst[c] += s.acc[l][c];
}

/* act[0] rows = the pixels of data rows rows[r] (or first + r when rows is NULL), as
 * ToTensor makes them: (float)v / 255.0f; then Normalize's (x - mean) / std, in float.
 * Training rows come in random order from a 47 MB array: each is a fresh trip to memory,
 * so the row GATHER_AHEAD rows on is prefetched (4x faster than waiting for each). */
enum { GATHER_AHEAD = 8 };

CPU_VECTOR static void gather_batch(float *restrict x, const uint8_t *restrict pixels,
                                    const int32_t *rows, long first, long m, int normalize,
                                    float mean, float std)
{
    for (long r = 0; r < m; r++) {
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

/* d = d * act'(.) in place on n values, from the activation's OUTPUT y.  For (leaky) ReLU,
 * y > 0 exactly when the input x > 0 (0.01f * x keeps x's sign; -0 is not > 0), so this is
 * torch's leaky_relu_backward (x > 0 ? g : g * slope, the slope at x == 0 too) and
 * threshold_backward (y <= 0 ? 0 : g); tanh is tanh_backward, g * (1 - y * y). */
CPU_VECTOR static void activation_backward(activation_kind a, const float *restrict y,
                                           float *restrict d, size_t n)
{
    const float slope = (float)0.01;
    switch (a) {
    case ACTIVATION_LEAKY_RELU:
        for (size_t i = 0; i < n; i++)
            d[i] *= y[i] > 0.0f ? 1.0f : slope;
        break;
    case ACTIVATION_RELU:
        for (size_t i = 0; i < n; i++)
            d[i] = y[i] <= 0.0f ? 0.0f : d[i];
        break;
    case ACTIVATION_TANH:
        for (size_t i = 0; i < n; i++)
            d[i] = d[i] * (1.0f - y[i] * y[i]);
        break;
    }
}

/* Rows [r0, r1) of a batch of m logits z (m, classes): torch's CPU cross_entropy row by row
 * (torch_math.h, shared with the CUDA kernel: torch's SLEEF exp and log and its lane order,
 * since glibc's correctly rounded expf moved every trajectory off torch's the same way,
 * issue #12); logp[r] keeps the label's log-probability.  The label of row r is
 * labels[rows[r]], or labels[r] when rows is NULL.  Training (dz not NULL): dz = d(mean
 * loss)/dz, nll_loss's g = -(1 / m) at the label.  Evaluation (hit not NULL): hit[r] =
 * whether the argmax (the first maximum on ties, as torch.argmax) is the label. */
static void log_softmax_rows(const float *z, const int32_t *rows, const uint8_t *labels,
                             long r0, long r1, long m, int classes, float *logp, float *dz,
                             uint8_t *hit)
{
    const float g = -(1.0f / (float)m);
    for (long r = r0; r < r1; r++) {
        const float *zr = z + (size_t)r * (size_t)classes;
        const int y = labels[rows ? rows[r] : r];
        logp[r] = torch_cross_entropy_row(zr, classes, y, g,
                                          dz ? dz + (size_t)r * (size_t)classes : NULL);
        if (hit) {
            int arg = 0;
            for (int j = 1; j < classes; j++)
                if (zr[j] > zr[arg])
                    arg = j;
            hit[r] = arg == y;
        }
    }
}

/* nll_loss's mean over a batch of m label log-probabilities: its sum is a float cascade of
 * 8 levels of 16 (LossNLL.cpp nll_loss_out_frame), in row order. */
static float nll_mean(const float *logp, long m)
{
    enum { NLL_LEVELS = 8 };
    const int power = ceil_log2(m) / NLL_LEVELS > 4 ? ceil_log2(m) / NLL_LEVELS : 4;
    const long mask = (1L << power) - 1;
    float partial[NLL_LEVELS] = {0};
    for (long r = 0; r < m; r++) {
        partial[0] -= logp[r];
        for (int l = 0; l + 1 < NLL_LEVELS; l++) {
            if ((r & (mask << (l * power))) != 0)
                break;
            partial[l + 1] += partial[l];
            partial[l] = 0.0f;
        }
    }
    float total = 0.0f;
    for (int l = 0; l < NLL_LEVELS; l++)
        total += partial[l];
    return total / (float)m;
}

/* ---- a batch, split over the team ------------------------------------------------------
 * Phase A, by rows of the batch (member t takes rows [r0, r1)): gather, forward, the loss's
 * log-probabilities and, when training, every layer's delta; nothing here needs another
 * member's rows.  Phase B, after a barrier, by output rows of each layer (member t takes
 * rows [o0, o1) of every weight matrix): weight gradient, bias gradient, optimizer step.
 * Every element gets the same float operations in the same order whatever the team size;
 * only OpenBLAS's tiling of a GEMM split by rows can round its last bit differently. */

/* y rows = b: the starting value of an addmm output.  One vectorized loop rather than a
 * memcpy call per row (a call per 128-float row cost more than the copying); gcc would turn
 * the inner loop back into memcpy calls, hence no-tree-loop-distribute-patterns. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((optimize("tree-vectorize", "no-tree-loop-distribute-patterns"),
               target_clones("arch=x86-64-v3", "default")))
#endif
static void fill_rows(float *restrict y, const float *restrict b, long m, int cols)
{
    for (long r = 0; r < m; r++) {
        float *restrict yr = y + (size_t)r * (size_t)cols;
        for (int c = 0; c < cols; c++)
            yr[c] = b[c];
    }
}

/* Forward pass of rows [r0, r1): act[k+1] = act(act[k] W_k^T + b_k), logits last.  The
 * output rows start as the bias and sgemm adds the product (beta = 1): that is how torch's
 * addmm(bias, x, W^T) computes nn.Linear (the bias enters before the first K block). */
static void forward_rows(cpu_ctx *c, long r0, long r1)
{
    const model_shape *sh = &c->shape;
    const long m = r1 - r0;
    for (int k = 0; k < sh->n_layers; k++) {
        const int in = sh->sizes[k], out = sh->sizes[k + 1];
        const float *w = c->params + sh->weight_offset[k]; /* (out, in) */
        const float *b = c->params + sh->bias_offset[k];   /* (out) */
        float *y = c->act[k + 1] + (size_t)r0 * (size_t)out;
        fill_rows(y, b, m, out);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, out, in, 1.0f,
                    c->act[k] + (size_t)r0 * (size_t)in, in, w, in, 1.0f, y, out);
        if (k + 1 < sh->n_layers)
            activation_forward(sh->activation, y, (size_t)m * (size_t)out);
    }
}

/* Rows [r0, r1) of the batch of m rows at `first` in split sp, in the order `rows` (training:
 * the epoch's permutation from `first` on) or in place (rows NULL), into the shared input. */
static void gather_rows(cpu_ctx *c, const cpu_split *sp, const int32_t *rows, long first,
                        long r0, long r1)
{
    gather_batch(c->act[0] + (size_t)r0 * MODEL_INPUT_DIM, sp->pixels, rows ? rows + r0 : NULL,
                 first + r0, r1 - r0, c->normalize, c->mean, c->std);
}

/* Rows [r0, r1) of that batch, gathered: forward, the labels' log-probabilities into logp,
 * and dz (training) or hit (evaluation). */
static void forward_loss_rows(cpu_ctx *c, const cpu_split *sp, const int32_t *rows, long first,
                              long m, long r0, long r1, float *dz, uint8_t *hit)
{
    const model_shape *sh = &c->shape;
    forward_rows(c, r0, r1);
    log_softmax_rows(c->act[sh->n_layers], rows, rows ? sp->labels : sp->labels + first, r0, r1,
                     m, sh->sizes[sh->n_layers], c->logp, dz, hit);
}

/* Deltas of rows [r0, r1), from the top: delta[k-1] = (delta[k] W_k) * act'(act[k]).  The
 * top delta (the loss's) is already in delta[L-1]. */
static void backward_rows(cpu_ctx *c, long r0, long r1)
{
    const model_shape *sh = &c->shape;
    const long m = r1 - r0;
    for (int k = sh->n_layers - 1; k > 0; k--) {
        const int in = sh->sizes[k], out = sh->sizes[k + 1];
        float *dp = c->delta[k - 1] + (size_t)r0 * (size_t)in;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, in, out, 1.0f,
                    c->delta[k] + (size_t)r0 * (size_t)out, out, c->params + sh->weight_offset[k],
                    in, 0.0f, dp, in);
        activation_backward(sh->activation, c->act[k] + (size_t)r0 * (size_t)in, dp,
                            (size_t)m * (size_t)in);
    }
}

/* Phase B of member t of n for a batch of m rows: for rows [o0, o1) of every layer,
 *   dW_k rows = delta[k]^T act[k]      (a (o1 - o0, in) slice of the (out, in) gradient)
 *   db_k      = column sums of delta[k] (torch's cascade order, see column_sums)
 * and then the optimizer step (optim.h's rule through optim_update_range) on just those
 * weights and biases, while their gradients are in cache. */
static void gradients_and_update(cpu_ctx *c, long m, const optim_step *st, int t, int n)
{
    const model_shape *sh = &c->shape;
    for (int k = sh->n_layers - 1; k >= 0; k--) {
        const int in = sh->sizes[k], out = sh->sizes[k + 1];
        long o0, o1;
        cpu_team_share(out, t, n, &o0, &o1);
        if (o1 <= o0)
            continue;
        const size_t w0 = sh->weight_offset[k] + (size_t)o0 * (size_t)in;
        const size_t w1 = sh->weight_offset[k] + (size_t)o1 * (size_t)in;
        const size_t b0 = sh->bias_offset[k] + (size_t)o0, b1 = sh->bias_offset[k] + (size_t)o1;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(o1 - o0), in, (int)m, 1.0f,
                    c->delta[k] + o0, out, c->act[k], in, 0.0f, c->grads + w0, in);
        column_sums(c->grads + b0, c->levels + (size_t)t * LEVELS_PER_MEMBER(c), c->widest,
                    c->delta[k] + o0, out, (int)(o1 - o0), m);
        optim_update_range(st, w0, w1, sh->n_params, c->params, c->grads, c->state);
        optim_update_range(st, b0, b1, sh->n_params, c->params, c->grads, c->state);
    }
}

/* One training epoch of a cohort, as team member t of n: every batch in the epoch's order,
 * gathered once; then for each run, phase A (its forward and backward for rows [r0, r1)),
 * barrier, phase B, barrier, as when it trains alone: each run's weights stay in cache from
 * its forward to its update, and only the gather is shared.  Team member 0 also sums each
 * run's batch losses, in batch order. */
static void train_epoch_member(void *arg, int t, int n)
{
    team_job *job = arg;
    cpu_ctx *c0 = job->runs[0].c;
    const cpu_split *sp = &c0->split[SPLIT_TRAIN];
    long step = 0; /* batches of this epoch so far */
    for (long first = 0; first < sp->n; first += c0->batch) {
        const long m = sp->n - first < c0->batch ? sp->n - first : c0->batch;
        long r0, r1;
        cpu_team_share(m, t, n, &r0, &r1);
        step++;
        if (r1 > r0)
            gather_rows(c0, sp, job->perm + first, first, r0, r1);
        for (int j = 0; j < job->n_runs; j++) {
            run_job *rj = &job->runs[j];
            cpu_ctx *c = rj->c;
            if (r1 > r0) {
                forward_loss_rows(c, sp, job->perm + first, first, m, r0, r1,
                                  c->delta[c->shape.n_layers - 1], NULL);
                backward_rows(c, r0, r1);
            }
            cpu_team_barrier(c0->team);
            optim_step st;
            optim_settings o = c->optim;
            if (rj->momentum_steps) optim_set_momentum(&o, rj->momentum_steps[step - 1]);
            optim_prepare_step(&o, rj->lr_steps ? rj->lr_steps[step - 1] : rj->lr,
                               rj->step0 + step, &st);
            if (t == 0) {
                rj->loss_sum += (double)nll_mean(c->logp, m);
                rj->batches++;
            }
            gradients_and_update(c, m, &st, t, n);
            cpu_team_barrier(c0->team);
        }
    }
}

/* Loss and accuracy over a split, as member t of n: batches of the training batch size in
 * order, each batch's mean loss summed in double (the notebook's running loss). */
static void evaluate_member(void *arg, int t, int n)
{
    team_job *job = arg;
    run_job *rj = &job->runs[0];
    cpu_ctx *c = rj->c;
    const cpu_split *sp = &c->split[job->split];
    for (long first = 0; first < sp->n; first += c->batch) {
        const long m = sp->n - first < c->batch ? sp->n - first : c->batch;
        long r0, r1;
        cpu_team_share(m, t, n, &r0, &r1);
        if (r1 > r0) {
            gather_rows(c, sp, NULL, first, r0, r1);
            forward_loss_rows(c, sp, NULL, first, m, r0, r1, NULL, c->hit);
        }
        cpu_team_barrier(c->team);
        if (t == 0) {
            rj->loss_sum += (double)nll_mean(c->logp, m);
            rj->batches++;
            for (long r = 0; r < m; r++)
                rj->correct += c->hit[r];
        }
        cpu_team_barrier(c->team);
    }
}

/* The team's GEMMs run OpenBLAS single-threaded in every member; the caller's own thread
 * count (the user's OPENBLAS_NUM_THREADS, or what the runner set) is put back afterwards. */
static void run_on_team(cpu_ctx *c, cpu_team_fn fn, team_job *job)
{
    const int saved = openblas_get_num_threads();
    if (saved != 1)
        openblas_set_num_threads(1);
    cpu_team_run(c->team, fn, job);
    if (saved != 1)
        openblas_set_num_threads(saved);
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

static void shared_release(cpu_shared *sh)
{
    if (!sh || --sh->refs > 0) return;
    free(sh->storage);
    free(sh->input);
    free(sh->levels);
    cpu_team_free(sh->team);
    free(sh);
}

static void cpu_free(backend *b)
{
    cpu_ctx *c = ctx_of(b);
    if (c) {
        free(c->params);
        free(c->grads);
        free(c->state);
        for (int k = 1; k <= MODEL_MAX_LAYERS; k++) /* act[0] is shared->input */
            free(c->act[k]);
        for (int k = 0; k < MODEL_MAX_LAYERS; k++)
            free(c->delta[k]);
        free(c->logp);
        free(c->hit);
        free(c->perm);
        shared_release(c->shared);
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

/* One epoch of each job, jobs grouped into cohorts of the same (seed, epoch): each cohort
 * shares its permutation (drawn once, into its first run's buffer) and every batch's gather
 * (train_epoch_member).  A job alone is a cohort of one: the one code path keeps a run's
 * bits the same in a pack and alone. */
static int cpu_train_epochs(const backend_epoch_job *jobs, int n_jobs)
{
    run_job *runs = xcalloc((size_t)n_jobs, sizeof *runs);
    unsigned char *done = xcalloc((size_t)n_jobs, 1);
    int *which = xmalloc(sizeof(int) * (size_t)n_jobs); /* a cohort's jobs */
    int rc = 0;
    for (int j = 0; j < n_jobs && rc == 0; j++) {
        if (done[j]) continue;
        backend *b = jobs[j].b;
        cpu_ctx *c = ctx_of(b);
        const int n = c->split[SPLIT_TRAIN].n;
        if (n <= 0) {
            snprintf(b->error, sizeof b->error, "cpu backend: the training split is empty");
            rc = -1;
            break;
        }
        if (philox_permutation(jobs[j].seed, PHILOX_STREAM_EPOCH0 + (uint64_t)jobs[j].epoch, n,
                               c->perm) != 0) {
            snprintf(b->error, sizeof b->error, "cpu backend: out of memory (epoch permutation)");
            rc = -1;
            break;
        }
        int n_runs = 0;
        for (int i = j; i < n_jobs; i++) {
            if (done[i] || jobs[i].seed != jobs[j].seed || jobs[i].epoch != jobs[j].epoch)
                continue;
            done[i] = 1;
            which[n_runs] = i;
            runs[n_runs++] = (run_job){.c = ctx_of(jobs[i].b), .lr = jobs[i].lr,
                                       .lr_steps = jobs[i].lr_steps,
                                       .momentum_steps = jobs[i].momentum_steps,
                                       .step0 = *jobs[i].step};
        }
        team_job job = {.runs = runs, .n_runs = n_runs, .perm = c->perm, .split = SPLIT_TRAIN};
        run_on_team(c, train_epoch_member, &job);
        /* the notebook's running_loss += loss.item(): a double sum of the batch losses */
        for (int r = 0; r < n_runs; r++) {
            const backend_epoch_job *jb = &jobs[which[r]];
            *jb->step += runs[r].batches;
            *jb->mean_loss = runs[r].loss_sum / (double)runs[r].batches;
        }
    }
    free(which);
    free(done);
    free(runs);
    return rc;
}

static int cpu_train_epoch(backend *b, uint64_t seed, int epoch, double lr, long *step,
                           double *mean_loss)
{
    backend_epoch_job job = {b, seed, epoch, lr, step, mean_loss, NULL, NULL};
    return cpu_train_epochs(&job, 1);
}

static int cpu_evaluate(backend *b, split_id split, eval_result *out)
{
    cpu_ctx *c = ctx_of(b);
    const cpu_split *sp = &c->split[split];
    run_job run = {.c = c};
    team_job job = {.runs = &run, .n_runs = 1, .split = split};
    run_on_team(c, evaluate_member, &job);
    out->n = sp->n;
    out->correct = run.correct;
    out->loss = run.batches ? run.loss_sum / (double)run.batches : NAN;
    out->acc = sp->n ? (double)run.correct / (double)sp->n : NAN;
    return 0;
}

static backend *cpu_create_member(backend *first, const optim_settings *optim, char *err,
                                  size_t errlen);

static const backend_ops cpu_ops = {
    .name = "cpu",
    .free = cpu_free,
    .init_params = cpu_init_params,
    .load_params = cpu_load_params,
    .read_params = cpu_read_params,
    .load_state = cpu_load_state,
    .read_state = cpu_read_state,
    .train_epoch = cpu_train_epoch,
    .create_member = cpu_create_member,
    .train_epochs = cpu_train_epochs,
    .evaluate = cpu_evaluate,
};

/* "cpu (OpenBLAS 0.3.21, 2 threads, kernel SkylakeX, chosen by optsweep: OpenBLAS detected
 * Prescott)": the library, the team and the kernel with why it was chosen (cpu_kernel.h). */
static void describe_device(char *buf, size_t n, int threads)
{
    char lib[64], kernel[192];
    cpu_kernel_library(lib, sizeof lib);
    cpu_kernel_describe(kernel, sizeof kernel);
    snprintf(buf, n, "cpu (%s, %d thread%s, kernel %s)", lib, threads, threads == 1 ? "" : "s",
             kernel);
}

/* A run's own buffers over a shared block (the first member's, or a new one). */
static backend *create_on(const backend_config *cfg, cpu_shared *shared)
{
    const model_shape *sh = &cfg->shape;
    backend *b = xcalloc(1, sizeof *b);
    cpu_ctx *c = xcalloc(1, sizeof *c);
    b->ops = &cpu_ops;
    b->ctx = c;
    b->config = *cfg;
    if (cfg->data) b->config.train_rows = cfg->data->train.n; /* for train.c's tables */
    b->config.data = NULL; /* not referenced after create */
    c->shared = shared;
    shared->refs++;
    c->team = shared->team;
    memcpy(c->split, shared->split, sizeof c->split);
    const int threads = cpu_team_size(c->team);
    describe_device(b->device_name, sizeof b->device_name, threads);
    char lib[64];
    cpu_kernel_library(lib, sizeof lib);
    snprintf(b->numerics, sizeof b->numerics, "%s %s, %d thread%s", lib, cpu_kernel_active(),
             threads, threads == 1 ? "" : "s");

    c->shape = *sh;
    c->optim = cfg->optim;
    c->n_slots = optim_state_slots(&cfg->optim);
    c->normalize = cfg->normalize;
    c->mean = cfg->mean;
    c->std = cfg->std;

    const size_t np = sh->n_params, batch = (size_t)cfg->batch_size;
    int widest = 0;
    for (int k = 1; k <= sh->n_layers; k++)
        widest = sh->sizes[k] > widest ? sh->sizes[k] : widest;
    c->batch = cfg->batch_size;
    c->params = xcalloc(np, sizeof(float));
    c->grads = xcalloc(np, sizeof(float));
    c->state = xcalloc((size_t)c->n_slots * np + 1, sizeof(float));
    optim_state_init(&cfg->optim, c->state, np);
    c->act[0] = shared->input;
    for (int k = 1; k <= sh->n_layers; k++)
        c->act[k] = xmalloc(sizeof(float) * batch * (size_t)sh->sizes[k]);
    for (int k = 0; k < sh->n_layers; k++)
        c->delta[k] = xmalloc(sizeof(float) * batch * (size_t)sh->sizes[k + 1]);
    c->widest = widest;
    c->levels = shared->levels;
    c->logp = xmalloc(sizeof(float) * batch);
    c->hit = xmalloc(batch);
    c->perm = xmalloc(sizeof(int32_t) * (size_t)(c->split[SPLIT_TRAIN].n + 1));
    return b;
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
    cpu_shared *shared = xcalloc(1, sizeof *shared);
    shared->refs = 1; /* this function's, until the backend holds it */
    /* as many threads as OpenBLAS would use: OPENBLAS_NUM_THREADS, the runner's share of the
     * cores for --jobs, or every core */
    shared->team = cpu_team_create(openblas_get_num_threads());

    /* a private copy of the three splits, in one block */
    const data_split *src[3] = {&d->train, &d->val, &d->test};
    size_t bytes = 0;
    for (int s = 0; s < 3; s++)
        bytes += (size_t)src[s]->n * (MODEL_INPUT_DIM + 1);
    shared->storage = alloc_storage(bytes);
    uint8_t *p = shared->storage;
    for (int s = 0; s < 3; s++) {
        const size_t n = (size_t)src[s]->n;
        shared->split[s].n = src[s]->n;
        shared->split[s].pixels = p;
        memcpy(p, src[s]->pixels, n * MODEL_INPUT_DIM);
        p += n * MODEL_INPUT_DIM;
        shared->split[s].labels = p;
        memcpy(p, src[s]->labels, n);
        p += n;
    }
    int widest = 0;
    for (int k = 1; k <= sh->n_layers; k++)
        widest = sh->sizes[k] > widest ? sh->sizes[k] : widest;
    shared->input = xmalloc(sizeof(float) * (size_t)cfg->batch_size * MODEL_INPUT_DIM);
    shared->levels = xmalloc(sizeof(float) * (SUM_LEVELS - 1) * (size_t)widest *
                             (size_t)cpu_team_size(shared->team));
    backend *b = create_on(cfg, shared);
    shared_release(shared); /* the backend holds it now */
    return b;
}

static backend *cpu_create_member(backend *first, const optim_settings *optim, char *err,
                                  size_t errlen)
{
    (void)err;
    (void)errlen;
    backend_config cfg = first->config;
    cfg.optim = *optim;
    return create_on(&cfg, ctx_of(first)->shared);
}
