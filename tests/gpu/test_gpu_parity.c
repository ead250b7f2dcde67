/* test_gpu_parity.c — the CUDA backend against the CPU backend, which is the reference.
 * (a) randomness: cuRAND's Philox draws and the GPU's epoch permutation (random keys + cub
 *     radix sort) equal philox.h's host functions bit for bit, and both backends start from
 *     bit-identical parameters;
 * (b) training: for every optimizer and option, every schedule kind and the model/data
 *     variants, train_run on cpu and on cuda from the same seed on the committed MNIST slice
 *     (1500 train / 500 validation / 1000 test, batch 256: 5 full batches and a partial one),
 *     and compare the logs within the float32 noise band (tolerances below);
 * (c) determinism: the same CUDA run twice gives the same bits;
 * (d) packs: runs of several cases and two seeds trained as one pack (train_pack) on cuda
 *     give, bit for bit, what each gives trained alone on cuda (pack.h's promise).
 * Without a CUDA device: prints "skipped: no CUDA device" and returns 77 (ctest: skipped).
 * usage: test_gpu_parity DATA_DIR [--only NAME] [--epochs N] [--list] [--harness]
 *   --harness  runs (b) with the CPU backend on both sides (no device needed): checks this
 *              program's own cases and comparisons, which must then agree bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "cuda_rng.h"
#include "data.h"
#include "model.h"
#include "optim.h"
#include "settings_value.h"
#include "philox.h"
#include "settings.h"
#include "train.h"

/* ---- tolerances ----------------------------------------------------------------------------
 * The two backends run the same float32 operations in different orders: OpenBLAS and cuBLAS
 * accumulate the GEMMs' dot products differently (a 784-long float dot product carries
 * ~sqrt(784) * 2^-24 ~ 2e-6 relative rounding noise, much less on average), CUDA's expf/logf
 * are within 2 ulp of glibc's, and the bias-gradient and loss sums are trees on the GPU but
 * torch's cascades on the CPU.  Everything else (init, permutation, pixel conversion, the
 * optimizer's element update, lr schedule) is bit-identical by construction.
 *
 * TOL_TIGHT — per-epoch train and validation loss, relative, for SGD (plain, momentum,
 *   dampening, Nesterov, weight decay) and every schedule: those updates are linear in the
 *   gradient, so the per-step noise (~1e-7) stays at that level over a few steps; 1e-5 is ten
 *   times the ~1e-6 band that issue 3 measured for PyTorch float32 against float64.  This holds
 *   on the slice (24 steps; every such case within 1.6e-7 on an H200).  Over the 160 steps of
 *   the full-MNIST runs some cases (Nesterov, dampening, ReLU, normalized inputs, the linear
 *   warm-up at lr 0.05-0.2) amplify the noise to 1e-4..1e-2 (seen on an H200): an activation
 *   input that rounding moves across 0 switches that unit's gradient slope, a discrete event,
 *   and the CPU does the same to itself from an init moved by one ulp (1.9e-3 for Nesterov
 *   here, 1.3e-3 for plain SGD at lr 0.2 on the H200 machine).  So the full-MNIST test
 *   (gpu_parity_full) judges every case by identical init and permutations, the adaptive
 *   cases' first steps and the final accuracy, and prints the loss differences.
 * TOL_ADAPTIVE_FIRST — Adagrad, RMSprop, Adam(W) divide by sqrt of a running mean of squared
 *   gradients, which amplifies the noise of near-zero gradient elements step after step
 *   (issue 3: the band "grows within a few steps"); they are held to 1e-4 over their first
 *   ADAPTIVE_FIRST_STEPS full-batch steps, then by final test accuracy.  (Measured on an
 *   H200 before this split: Adagrad's mean loss over a first epoch of 6 mini-batch steps
 *   already differed by 1.0e-4, since with eps = 1e-10 an element whose gradient is near
 *   zero moves by about +-lr with a sign set by rounding noise.)
 * TOL_ACC_POINTS — final test accuracy, in points (percent): 0.3 = 30 of the 10000 test
 *   images on full MNIST (gpu_parity_full, OPTSWEEP_PARITY_DATA), for every case; on the
 *   committed slice (1000 test images) 0.3 = 3 images holds the tight cases (0.0 seen), while
 *   the adaptive ones, whose trajectories part after a few steps, get TOL_ACC_POINTS_SLICE =
 *   1.0 = 10 images (Adagrad differed by 4 images on an H200: two equally good models); a real bug (a wrong rule, a missed bias, a wrong batch) moves it by far
 *   more after 4 epochs.
 * TF32 (train.precision: tf32) rounds GEMM inputs to 10 mantissa bits (~1e-3 relative): the
 *   tf32 case is held to 2e-2 on the loss and 1 point of accuracy, a sanity check only. */
#define TOL_TIGHT 1e-5
#define TOL_ADAPTIVE_FIRST 1e-4
#define ADAPTIVE_FIRST_STEPS 3
#define TOL_ACC_POINTS 0.3
#define TOL_ACC_POINTS_SLICE 1.0
#define TOL_TF32 2e-2
#define TOL_TF32_ACC_POINTS 1.0

typedef enum { CLASS_TIGHT, CLASS_ADAPTIVE, CLASS_TF32 } parity_class;

typedef struct {
    const char *name;
    parity_class cls;
    void (*setup)(run_settings *s);
} parity_case;

/* ---- the cases ------------------------------------------------------------------------------ */

static void sgd(run_settings *s) { s->optim.kind = OPTIM_SGD; s->optim.lr = 0.2; }
static void momentum(run_settings *s)
{
    s->optim.kind = OPTIM_SGD;
    s->optim.lr = 0.05;
    s->optim.momentum = 0.9;
}
static void dampening(run_settings *s) { momentum(s); s->optim.dampening = 0.5; }
static void nesterov(run_settings *s) { momentum(s); s->optim.nesterov = 1; }
static void sgd_weight_decay(run_settings *s) { momentum(s); s->optim.weight_decay = 5e-3; }
static void sgd_notebook(run_settings *s) /* the notebook's cell 17 */
{
    s->optim.kind = OPTIM_SGD;
    s->optim.lr = 1e-4;
    s->optim.momentum = 0.99;
}
static void adagrad(run_settings *s)
{
    s->optim.kind = OPTIM_ADAGRAD;
    s->optim.lr = 0.01;
    s->optim.eps = 1e-10;
}
static void adagrad_options(run_settings *s)
{
    adagrad(s);
    s->optim.lr = 0.02;
    s->optim.lr_decay = 0.01;
    s->optim.initial_accumulator_value = 0.1;
    s->optim.weight_decay = 1e-4;
}
static void rmsprop(run_settings *s)
{
    s->optim.kind = OPTIM_RMSPROP;
    s->optim.lr = 1e-3;
    s->optim.alpha = 0.99;
    s->optim.eps = 1e-8;
}
static void rmsprop_options(run_settings *s)
{
    rmsprop(s);
    s->optim.lr = 5e-4;
    s->optim.alpha = 0.9;
    s->optim.momentum = 0.5;
    s->optim.centered = 1;
    s->optim.weight_decay = 1e-4;
}
static void adam(run_settings *s)
{
    s->optim.kind = OPTIM_ADAM;
    s->optim.lr = 1e-3;
    s->optim.beta1 = 0.9;
    s->optim.beta2 = 0.999;
    s->optim.eps = 1e-8;
}
static void adam_options(run_settings *s)
{
    adam(s);
    s->optim.lr = 2e-3;
    s->optim.beta1 = 0.8;
    s->optim.beta2 = 0.99;
    s->optim.weight_decay = 1e-4;
    s->optim.amsgrad = 1;
}
static void adamw(run_settings *s) { adam(s); s->optim.kind = OPTIM_ADAMW; s->optim.weight_decay = 1e-2; }
static void adamw_amsgrad(run_settings *s) { adamw(s); s->optim.weight_decay = 5e-2; s->optim.amsgrad = 1; }

/* The newer optimizers with their PyTorch defaults (registry rows, as a sweep file gets them). */
static void with_defaults(run_settings *s, optim_kind kind)
{
    unsigned char is_set[SETTINGS_MAX_KEYS] = {0};
    int missing[SETTINGS_MAX_KEYS];
    s->optim.kind = kind;
    (void)settings_resolve_defaults(s, is_set, missing);
}
static void adadelta(run_settings *s) { with_defaults(s, OPTIM_ADADELTA); }
static void adadelta_options(run_settings *s)
{
    adadelta(s);
    s->optim.lr = 0.5;
    s->optim.rho = 0.8;
    s->optim.weight_decay = 1e-4;
}
static void adamax(run_settings *s) { with_defaults(s, OPTIM_ADAMAX); }
static void nadam(run_settings *s) { with_defaults(s, OPTIM_NADAM); }
static void nadam_options(run_settings *s)
{
    nadam(s);
    s->optim.momentum_decay = 0.01;
    s->optim.weight_decay = 1e-4;
}
static void radam(run_settings *s) { with_defaults(s, OPTIM_RADAM); }
static void rprop(run_settings *s) { with_defaults(s, OPTIM_RPROP); s->optim.lr = 1e-3; }
static void asgd(run_settings *s) { with_defaults(s, OPTIM_ASGD); s->optim.lr = 0.1; }
static void asgd_averaged(run_settings *s) /* the average from step 11 on, evaluated with it */
{
    asgd(s);
    s->optim.t0 = 10;
    s->optim.evaluate_averaged = 1;
}

static void step_lr(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_STEP;
    s->schedule.step_size = 2;
    s->schedule.gamma = 0.5;
}
static void multistep(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_MULTISTEP;
    s->schedule.milestones[0] = 1;
    s->schedule.milestones[1] = 3;
    s->schedule.n_milestones = 2;
    s->schedule.gamma = 0.3;
}
static void exponential(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_EXPONENTIAL;
    s->schedule.gamma = 0.7;
}
static void cosine(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_COSINE;
    s->schedule.T_max = 3;
    s->schedule.eta_min = 1e-3;
}
static void linear(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_LINEAR;
    s->schedule.start_factor = 0.25;
    s->schedule.end_factor = 1.0;
    s->schedule.total_iters = 3;
}
static void constant_lr(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_CONSTANT;
    s->schedule.factor = 0.5;
    s->schedule.total_iters = 2;
}
static void polynomial(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_POLYNOMIAL;
    s->schedule.total_iters = 4;
    s->schedule.power = 2.0;
}
static void warm_restarts(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_COSINE_WARM_RESTARTS;
    s->schedule.T_0 = 1;
    s->schedule.T_mult = 2;
    s->schedule.eta_min = 1e-3;
}
static void plateau(run_settings *s) /* every validation; patience 0 so the lr moves */
{
    momentum(s);
    s->schedule.kind = SCHEDULE_REDUCE_ON_PLATEAU;
    s->schedule.factor = 0.5;
    s->schedule.patience = 0;
    s->schedule.threshold = 0.05;
}
static void warmup_step(run_settings *s)
{
    momentum(s);
    s->schedule.kind = SCHEDULE_STEP;
    s->schedule.step_size = 1;
    s->schedule.gamma = 0.8;
    s->schedule.warmup = 1;
    s->schedule.warmup_iters = 2;
    s->schedule.warmup_start_factor = 0.1;
}
static void step_every_validation(run_settings *s) /* the notebook's scheduler placement */
{
    momentum(s);
    s->schedule.kind = SCHEDULE_STEP;
    s->schedule.step_size = 1;
    s->schedule.gamma = 0.5;
    s->schedule.every = SCHEDULE_EVERY_VALIDATION;
    s->train.validation_freq = 2;
}
/* per-batch schedulers: the lr and momentum tables train.c hands both backends */
static void cyclic_base(run_settings *s)
{
    s->schedule.kind = SCHEDULE_CYCLIC;
    s->schedule.every = SCHEDULE_EVERY_BATCH;
    s->schedule.base_lr = 0.01;
    s->schedule.max_lr = 0.1;
    s->schedule.step_size_up = 7;
    s->schedule.step_size_down = 0;
    s->schedule.mode = CYCLIC_TRIANGULAR2;
    s->schedule.gamma = 1.0;
    s->schedule.cycle_momentum = 1;
    s->schedule.base_momentum = 0.8;
    s->schedule.max_momentum = 0.9;
}
static void cyclic_sgd(run_settings *s) { momentum(s); cyclic_base(s); }
static void cyclic_rmsprop_exp(run_settings *s)
{
    rmsprop_options(s);
    cyclic_base(s);
    s->schedule.base_lr = 1e-4;
    s->schedule.max_lr = 1e-3;
    s->schedule.mode = CYCLIC_EXP_RANGE;
    s->schedule.gamma = 0.99;
}
static void one_cycle_base(run_settings *s)
{
    s->schedule.kind = SCHEDULE_ONE_CYCLE;
    s->schedule.every = SCHEDULE_EVERY_BATCH;
    s->schedule.max_lr = 0.1;
    /* at least the run's epochs x batches (base_settings has set them) */
    const long rows = s->data.train_limit > 0 ? s->data.train_limit : 60000;
    s->schedule.total_steps = (int)(s->train.epochs * (rows / s->train.batch_size + 1));
    s->schedule.pct_start = 0.3;
    s->schedule.anneal_strategy = ANNEAL_COS;
    s->schedule.div_factor = 25.0;
    s->schedule.final_div_factor = 1e4;
    s->schedule.three_phase = 0;
    s->schedule.cycle_momentum = 1;
    s->schedule.base_momentum = 0.85;
    s->schedule.max_momentum = 0.95;
}
static void one_cycle_sgd(run_settings *s) { momentum(s); one_cycle_base(s); }
static void one_cycle_adam(run_settings *s) /* beta1 cycled */
{
    adam(s);
    one_cycle_base(s);
    s->schedule.max_lr = 3e-3;
    s->schedule.anneal_strategy = ANNEAL_LINEAR;
    s->schedule.three_phase = 1;
}
static void relu(run_settings *s) { momentum(s); s->model.activation = ACTIVATION_RELU; }
static void tanh_act(run_settings *s) { momentum(s); s->model.activation = ACTIVATION_TANH; }
static void normalize(run_settings *s)
{
    momentum(s);
    s->data.normalize = 1;
    s->data.mean = 0.1307;
    s->data.std = 0.3081;
}
static void one_hidden(run_settings *s) /* another shape; 100 divides 1500: no partial batch */
{
    momentum(s);
    s->model.n_hidden = 1;
    s->model.hidden[0] = 64;
    s->train.batch_size = 100;
}
static void full_batch(run_settings *s) /* batch > training set: only the partial-batch graph */
{
    s->optim.kind = OPTIM_SGD;
    s->optim.lr = 0.1;
    s->optim.momentum = 0.9;
    s->train.batch_size = 4096;
}
static void tf32(run_settings *s) { momentum(s); s->train.precision = PRECISION_TF32; }

static const parity_case cases[] = {
    {"sgd", CLASS_TIGHT, sgd},
    {"sgd_momentum", CLASS_TIGHT, momentum},
    {"sgd_dampening", CLASS_TIGHT, dampening},
    {"sgd_nesterov", CLASS_TIGHT, nesterov},
    {"sgd_weight_decay", CLASS_TIGHT, sgd_weight_decay},
    {"sgd_notebook", CLASS_TIGHT, sgd_notebook},
    {"adagrad", CLASS_ADAPTIVE, adagrad},
    {"adagrad_options", CLASS_ADAPTIVE, adagrad_options},
    {"rmsprop", CLASS_ADAPTIVE, rmsprop},
    {"rmsprop_options", CLASS_ADAPTIVE, rmsprop_options},
    {"adam", CLASS_ADAPTIVE, adam},
    {"adam_options", CLASS_ADAPTIVE, adam_options},
    {"adamw", CLASS_ADAPTIVE, adamw},
    {"adamw_amsgrad", CLASS_ADAPTIVE, adamw_amsgrad},
    {"adadelta", CLASS_ADAPTIVE, adadelta},
    {"adadelta_options", CLASS_ADAPTIVE, adadelta_options},
    {"adamax", CLASS_ADAPTIVE, adamax},
    {"nadam", CLASS_ADAPTIVE, nadam},
    {"nadam_options", CLASS_ADAPTIVE, nadam_options},
    {"radam", CLASS_ADAPTIVE, radam},
    {"rprop", CLASS_ADAPTIVE, rprop},
    {"asgd", CLASS_TIGHT, asgd},
    {"asgd_averaged", CLASS_TIGHT, asgd_averaged},
    {"schedule_step", CLASS_TIGHT, step_lr},
    {"schedule_multistep", CLASS_TIGHT, multistep},
    {"schedule_exponential", CLASS_TIGHT, exponential},
    {"schedule_cosine", CLASS_TIGHT, cosine},
    {"schedule_linear", CLASS_TIGHT, linear},
    {"schedule_constant", CLASS_TIGHT, constant_lr},
    {"schedule_polynomial", CLASS_TIGHT, polynomial},
    {"schedule_cosine_warm_restarts", CLASS_TIGHT, warm_restarts},
    {"schedule_reduce_on_plateau", CLASS_TIGHT, plateau},
    {"schedule_warmup_step", CLASS_TIGHT, warmup_step},
    {"schedule_every_validation", CLASS_TIGHT, step_every_validation},
    {"schedule_cyclic_sgd", CLASS_TIGHT, cyclic_sgd},
    {"schedule_cyclic_rmsprop_exp_range", CLASS_ADAPTIVE, cyclic_rmsprop_exp},
    {"schedule_one_cycle_sgd", CLASS_TIGHT, one_cycle_sgd},
    {"schedule_one_cycle_adam", CLASS_ADAPTIVE, one_cycle_adam},
    {"relu", CLASS_TIGHT, relu},
    {"tanh", CLASS_TIGHT, tanh_act},
    {"normalize", CLASS_TIGHT, normalize},
    {"one_hidden_64", CLASS_TIGHT, one_hidden},
    {"full_batch", CLASS_TIGHT, full_batch},
    {"tf32", CLASS_TF32, tf32},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *data_dir = NULL;
static int full_mnist = 0; /* data_dir holds full MNIST: train on 10000, test on all 10000 */
static int n_epochs = 4;
static backend_kind other_backend = BACKEND_CUDA; /* BACKEND_CPU with --harness */

static void base_settings(run_settings *s)
{
    settings_set_defaults(s);
    check_copy_string(s->data.dir, sizeof s->data.dir, data_dir);
    if (full_mnist) {
        /* 0.3 accuracy points are 30 of the 10000 test images: far above the few-image
         * disagreement of two equally good models whose adaptive trajectories parted ways */
        s->data.train_limit = 11000; /* 10000 train, 1000 validation, the 10000 test images */
        s->data.val_from_train = 1000;
    } else {
        s->data.val_from_train = 500; /* 1500 train, 500 validation, the 1000 test images */
    }
    s->data.split_seed = 3;
    s->model.n_hidden = 3;
    s->model.hidden[0] = s->model.hidden[1] = s->model.hidden[2] = 128;
    s->model.activation = ACTIVATION_LEAKY_RELU;
    s->train.epochs = n_epochs;
    s->train.batch_size = 256;
    s->train.seed = 11;
    s->train.validation_freq = 1;
    s->train.precision = PRECISION_FP32;
}

static double rel_diff(double a, double b)
{
    if (a == b)
        return 0.0;
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) / (m > 0 ? m : 1.0);
}

typedef struct {
    train_state st;
    float *init;  /* (n_params) right after init_params */
    float *final; /* (n_params) after training */
    size_t n_params;
    char device[128];
} run_result;

static void run_result_free(run_result *r)
{
    train_state_free(&r->st);
    free(r->init);
    free(r->final);
}

/* One run of settings s on the given backend; 0, or -1 with a message printed. */
static int run_on(const run_settings *s, const dataset *d, backend_kind kind, run_result *out)
{
    char err[512];
    backend_config cfg = backend_config_from_settings(s, d);
    memset(out, 0, sizeof *out);
    backend *b = backend_create(kind, &cfg, err, sizeof err);
    if (!b) {
        fprintf(stderr, "  %s backend: %s\n", kind == BACKEND_CUDA ? "cuda" : "cpu", err);
        return -1;
    }
    snprintf(out->device, sizeof out->device, "%s", b->device_name);
    out->n_params = cfg.shape.n_params;
    out->init = xmalloc(sizeof(float) * out->n_params);
    out->final = xmalloc(sizeof(float) * out->n_params);
    train_state_init(&out->st, s->train.epochs);
    int rc = 0;
    if (b->ops->init_params(b, s->train.seed) != 0 || b->ops->read_params(b, out->init) != 0) {
        fprintf(stderr, "  %s: init: %s\n", b->ops->name, b->error);
        rc = -1;
    } else if (train_run(s, b, &out->st, NULL) != RUN_COMPLETED) {
        fprintf(stderr, "  %s: run ended %s: %s\n", b->ops->name, run_status_name(out->st.status),
                out->st.message);
        rc = -1;
    } else if (b->ops->read_params(b, out->final) != 0) {
        fprintf(stderr, "  %s: read_params: %s\n", b->ops->name, b->error);
        rc = -1;
    }
    backend_free(b);
    return rc;
}

/* ---- (a) randomness -------------------------------------------------------------------------- */

static int check_draws(void)
{
    static const uint64_t seeds[] = {0, 1, 11, 0xDEADBEEFCAFEF00DULL};
    static const uint64_t streams[] = {PHILOX_STREAM_INIT, PHILOX_STREAM_SPLIT, PHILOX_STREAM_EPOCH0,
                                       PHILOX_STREAM_EPOCH0 + 3999, (1ULL << 32) + 5};
    /* counters near 2^32 blocks cross into the counter's high word */
    static const uint64_t offsets[] = {0, 1, 3, 1001, (4ULL << 32) - 6};
    enum { N = 1027 }; /* not a multiple of 4: every component position */
    uint32_t *gpu = xmalloc(sizeof(uint32_t) * N);
    char err[512];
    int bad = 0;
    for (size_t a = 0; a < sizeof seeds / sizeof seeds[0]; a++)
        for (size_t b = 0; b < sizeof streams / sizeof streams[0]; b++)
            for (size_t c = 0; c < sizeof offsets / sizeof offsets[0]; c++) {
                if (cuda_rng_u32(seeds[a], streams[b], offsets[c], N, gpu, err, sizeof err) != 0) {
                    fprintf(stderr, "FAIL philox draws: %s\n", err);
                    free(gpu);
                    return 1;
                }
                for (int i = 0; i < N; i++) {
                    uint32_t host = philox_u32(seeds[a], streams[b], offsets[c] + (uint64_t)i);
                    if (host != gpu[i]) {
                        if (bad++ < 5)
                            fprintf(stderr, "FAIL philox seed %llu stream %llu index %llu: "
                                    "curand %08x, philox_u32 %08x\n",
                                    (unsigned long long)seeds[a], (unsigned long long)streams[b],
                                    (unsigned long long)(offsets[c] + (uint64_t)i), gpu[i], host);
                        break;
                    }
                }
            }
    free(gpu);
    printf("%-28s %s\n", "philox draws (curand)", bad ? "FAIL" : "ok");
    return bad != 0;
}

static int check_permutations(void)
{
    static const int sizes[] = {1, 7, 1500, 2000, 60000};
    static const uint64_t seeds[] = {0, 11, 0xDEADBEEFCAFEF00DULL};
    int bad = 0;
    char err[512];
    int32_t *host = xmalloc(sizeof(int32_t) * 60000);
    int32_t *gpu = xmalloc(sizeof(int32_t) * 60000);
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++)
        for (size_t b = 0; b < sizeof seeds / sizeof seeds[0]; b++)
            for (int epoch = 0; epoch < 4; epoch++) {
                const int n = sizes[a];
                const uint64_t stream = PHILOX_STREAM_EPOCH0 + (uint64_t)epoch;
                if (philox_permutation(seeds[b], stream, n, host) != 0 ||
                    cuda_rng_permutation(seeds[b], stream, n, gpu, err, sizeof err) != 0) {
                    fprintf(stderr, "FAIL permutation n=%d: %s\n", n, err);
                    bad++;
                    continue;
                }
                if (memcmp(host, gpu, sizeof(int32_t) * (size_t)n) != 0) {
                    int i = 0;
                    while (host[i] == gpu[i])
                        i++;
                    if (bad++ < 5)
                        fprintf(stderr, "FAIL permutation n=%d seed %llu epoch %d: first "
                                "difference at %d (host %d, gpu %d)\n", n,
                                (unsigned long long)seeds[b], epoch, i, host[i], gpu[i]);
                }
            }
    free(host);
    free(gpu);
    printf("%-28s %s\n", "epoch permutations (cub)", bad ? "FAIL" : "ok");
    return bad != 0;
}

/* ---- (b) training ---------------------------------------------------------------------------- */

typedef struct {
    double train, val, tight; /* max relative differences: all epochs, and over the tight range */
    double acc_points;        /* |test accuracy difference| in points */
    double test_loss;         /* relative */
    double param_max;         /* max |final param difference| */
} parity_figures;

static int compare_runs(const parity_case *pc, const run_result *cpu, const run_result *gpu,
                        parity_figures *f)
{
    int bad = 0;
    memset(f, 0, sizeof *f);
    if (memcmp(cpu->init, gpu->init, sizeof(float) * cpu->n_params) != 0) {
        fprintf(stderr, "  FAIL %s: initial parameters differ\n", pc->name);
        bad++;
    }
    if (cpu->st.n_epochs != gpu->st.n_epochs || cpu->st.n_val != gpu->st.n_val) {
        fprintf(stderr, "  FAIL %s: %d/%d epochs, %d/%d validations\n", pc->name,
                cpu->st.n_epochs, gpu->st.n_epochs, cpu->st.n_val, gpu->st.n_val);
        return bad + 1;
    }
    const double tol = pc->cls == CLASS_TIGHT ? TOL_TIGHT
                       : pc->cls == CLASS_ADAPTIVE ? TOL_ADAPTIVE_FIRST : TOL_TF32;
    /* adaptive optimizers: held tight over their first steps by first_steps_differ(); here
     * only by the end result.  Full MNIST (160 steps): every case by its end result */
    const int tight_epochs = (full_mnist || pc->cls == CLASS_ADAPTIVE) ? 0 : cpu->st.n_epochs;
    for (int e = 0; e < cpu->st.n_epochs; e++) {
        if (cpu->st.lr[e] != gpu->st.lr[e]) {
            fprintf(stderr, "  FAIL %s: epoch %d lr %.17g vs %.17g\n", pc->name, e, cpu->st.lr[e],
                    gpu->st.lr[e]);
            bad++;
        }
        const double d = rel_diff(cpu->st.train_loss[e], gpu->st.train_loss[e]);
        f->train = d > f->train ? d : f->train;
        if (e < tight_epochs) {
            f->tight = d > f->tight ? d : f->tight;
            if (!(d <= tol)) {
                fprintf(stderr, "  FAIL %s: epoch %d train loss %.9g (cpu) vs %.9g (cuda): "
                        "relative %.2e > %.2e\n", pc->name, e, cpu->st.train_loss[e],
                        gpu->st.train_loss[e], d, tol);
                bad++;
            }
        }
    }
    for (int v = 0; v < cpu->st.n_val; v++) {
        const double d = rel_diff(cpu->st.val_loss[v], gpu->st.val_loss[v]);
        f->val = d > f->val ? d : f->val;
        if (cpu->st.val_epoch[v] <= tight_epochs) { /* epoch numbers count from 1 */
            f->tight = d > f->tight ? d : f->tight;
            if (!(d <= tol)) {
                fprintf(stderr, "  FAIL %s: validation at epoch %d loss %.9g vs %.9g: "
                        "relative %.2e > %.2e\n", pc->name, cpu->st.val_epoch[v],
                        cpu->st.val_loss[v], gpu->st.val_loss[v], d, tol);
                bad++;
            }
        }
    }
    f->test_loss = rel_diff(cpu->st.test_loss, gpu->st.test_loss);
    if (!full_mnist && pc->cls == CLASS_TIGHT && !(f->test_loss <= TOL_TIGHT)) {
        fprintf(stderr, "  FAIL %s: test loss %.9g vs %.9g: relative %.2e > %.2e\n", pc->name,
                cpu->st.test_loss, gpu->st.test_loss, f->test_loss, TOL_TIGHT);
        bad++;
    }
    f->acc_points = 100.0 * fabs(cpu->st.test_acc - gpu->st.test_acc);
    const double acc_tol = full_mnist ? TOL_ACC_POINTS
                           : pc->cls == CLASS_TIGHT ? TOL_ACC_POINTS : TOL_ACC_POINTS_SLICE;
    if (!(f->acc_points <= acc_tol + 1e-9)) {
        fprintf(stderr, "  FAIL %s: test accuracy %.4f (cpu) vs %.4f (cuda): %.2f points > %.1f\n",
                pc->name, cpu->st.test_acc, gpu->st.test_acc, f->acc_points, acc_tol);
        bad++;
    }
    for (size_t i = 0; i < cpu->n_params; i++) {
        double d = fabs((double)cpu->final[i] - (double)gpu->final[i]);
        f->param_max = d > f->param_max ? d : f->param_max;
    }
    return bad;
}

/* Adaptive optimizers, first steps: full-batch epochs, so epoch e's loss is the loss after
 * e steps; held to TOL_ADAPTIVE_FIRST before the noise of near-zero gradient elements has been
 * amplified.  Returns the number of failures and the max relative difference in *max_d. */
static int first_steps_differ(const parity_case *pc, const dataset *d, double *max_d)
{
    run_settings s;
    base_settings(&s);
    pc->setup(&s);
    s.train.batch_size = d->train.n;
    s.train.epochs = ADAPTIVE_FIRST_STEPS;
    run_result cpu = {0}, gpu = {0};
    int bad = 0;
    *max_d = 0.0;
    if (run_on(&s, d, BACKEND_CPU, &cpu) != 0 || run_on(&s, d, other_backend, &gpu) != 0) {
        fprintf(stderr, "  FAIL %s: a first-steps run failed\n", pc->name);
        run_result_free(&cpu);
        run_result_free(&gpu);
        return 1;
    }
    for (int e = 0; e < cpu.st.n_epochs && e < gpu.st.n_epochs; e++) {
        const double dl = rel_diff(cpu.st.train_loss[e], gpu.st.train_loss[e]);
        *max_d = dl > *max_d ? dl : *max_d;
        if (!(dl <= TOL_ADAPTIVE_FIRST)) {
            fprintf(stderr, "  FAIL %s: full-batch step %d loss %.9g (cpu) vs %.9g (cuda): "
                    "relative %.2e > %.0e\n", pc->name, e, cpu.st.train_loss[e],
                    gpu.st.train_loss[e], dl, TOL_ADAPTIVE_FIRST);
            bad++;
        }
    }
    run_result_free(&cpu);
    run_result_free(&gpu);
    return bad;
}

static int check_case(const parity_case *pc, const dataset *d)
{
    run_settings s;
    base_settings(&s);
    pc->setup(&s);
    run_result cpu, gpu;
    const int cpu_rc = run_on(&s, d, BACKEND_CPU, &cpu);
    const int gpu_rc = run_on(&s, d, other_backend, &gpu);
    if (cpu_rc != 0 || gpu_rc != 0) {
        printf("%-28s FAIL (the %s run failed)\n", pc->name, cpu_rc ? "cpu" : "cuda");
        run_result_free(&cpu);
        run_result_free(&gpu);
        return 1;
    }
    parity_figures f;
    int bad = compare_runs(pc, &cpu, &gpu, &f);
    if (pc->cls == CLASS_ADAPTIVE)
        bad += first_steps_differ(pc, d, &f.tight);
    printf("%-28s %-4s  loss %.2e (tight %.2e)  val %.2e  test %.2e  acc %.4f/%.4f (%.1f pt)  "
           "|dp| %.1e\n", pc->name, bad ? "FAIL" : "ok", f.train, f.tight, f.val, f.test_loss,
           cpu.st.test_acc, gpu.st.test_acc, f.acc_points, f.param_max);
    run_result_free(&cpu);
    run_result_free(&gpu);
    return bad != 0;
}

/* ---- (c) determinism ------------------------------------------------------------------------ */

static int check_determinism(const dataset *d)
{
    run_settings s;
    base_settings(&s);
    adam(&s);
    run_result a, b;
    const int rc_a = run_on(&s, d, BACKEND_CUDA, &a);
    const int rc_b = run_on(&s, d, BACKEND_CUDA, &b);
    if (rc_a != 0 || rc_b != 0) {
        printf("%-28s FAIL (a run failed)\n", "cuda determinism");
        run_result_free(&a);
        run_result_free(&b);
        return 1;
    }
    int bad = memcmp(a.st.train_loss, b.st.train_loss, sizeof(double) * (size_t)a.st.n_epochs) != 0 ||
              memcmp(a.final, b.final, sizeof(float) * a.n_params) != 0 ||
              a.st.test_loss != b.st.test_loss;
    printf("%-28s %s\n", "cuda determinism (adam x2)", bad ? "FAIL" : "ok");
    run_result_free(&a);
    run_result_free(&b);
    return bad;
}

/* (d): a pack of runs as different as a pack allows, each against itself trained alone on
 * the same backend: the same bits.  With --harness both sides are the CPU's. */
static int check_pack(const dataset *d)
{
    void (*setups[])(run_settings *) = {sgd, nesterov, adagrad_options, rmsprop_options,
                                        adam_options, adamw_amsgrad, step_lr, cosine};
    enum { N = sizeof setups / sizeof setups[0] };
    run_settings s[N];
    run_result alone[N];
    backend *b[N] = {0};
    train_state st[N];
    train_member members[N];
    float *params = NULL;
    char err[512];
    int bad = 0, made = 0;
    for (int m = 0; m < N; m++) {
        base_settings(&s[m]);
        setups[m](&s[m]);
        s[m].train.seed = 11 + (uint64_t)(m % 2); /* two cohorts */
        s[m].train.epochs = n_epochs - m % 3 + 1;  /* leaving the pack at other times */
        if (run_on(&s[m], d, other_backend, &alone[m]) != 0) bad = 1;
    }
    for (int m = 0; m < N && !bad; m++, made++) {
        backend_config cfg = backend_config_from_settings(&s[m], d);
        b[m] = m == 0 ? backend_create(other_backend, &cfg, err, sizeof err)
                      : backend_create_member(b[0], &s[m].optim, d, err, sizeof err);
        if (!b[m] || b[m]->ops->init_params(b[m], s[m].train.seed) != 0) {
            fprintf(stderr, "  pack member %d: %s\n", m, b[m] ? b[m]->error : err);
            bad = 1;
            break;
        }
        train_state_init(&st[m], s[m].train.epochs);
        members[m] = (train_member){&s[m], b[m], &st[m], NULL};
    }
    if (!bad) {
        train_pack(members, N);
        params = xmalloc(sizeof(float) * alone[0].n_params);
        for (int m = 0; m < N; m++) {
            b[m]->ops->read_params(b[m], params);
            int same = st[m].n_epochs == alone[m].st.n_epochs
                       && memcmp(st[m].train_loss, alone[m].st.train_loss,
                                 sizeof(double) * (size_t)st[m].n_epochs) == 0
                       && memcmp(&st[m].test_acc, &alone[m].st.test_acc, sizeof(double)) == 0
                       && memcmp(params, alone[m].final, sizeof(float) * alone[m].n_params) == 0;
            if (!same) {
                printf("  pack member %d (%s): differs from the run alone\n", m,
                       optim_kind_name(s[m].optim.kind));
                bad = 1;
            }
        }
        free(params);
    }
    for (int m = made - 1; m >= 0; m--) {
        if (b[m]) backend_free(b[m]);
        train_state_free(&st[m]);
    }
    for (int m = 0; m < N; m++)
        run_result_free(&alone[m]);
    printf("%-28s %s\n", "pack of 8 vs alone (bits)", bad ? "FAIL" : "ok");
    return bad;
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    int list = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100) {
                fprintf(stderr, "bad --epochs %s\n", argv[i]);
                return 2;
            }
            n_epochs = (int)v;
        } else if (strcmp(argv[i], "--list") == 0)
            list = 1;
        else if (strcmp(argv[i], "--harness") == 0)
            other_backend = BACKEND_CPU;
        else if (!data_dir && argv[i][0] != '-')
            data_dir = argv[i];
        else {
            fprintf(stderr, "usage: %s DATA_DIR [--only NAME] [--epochs N] [--list] [--harness]\n",
                    argv[0]);
            return 2;
        }
    }
    if (list) {
        for (int c = 0; c < N_CASES; c++)
            printf("%s\n", cases[c].name);
        return 0;
    }
    const char *full = getenv("OPTSWEEP_PARITY_DATA");
    if (full && *full) {
        data_dir = full;
        full_mnist = 1;
    }
    if (!data_dir) {
        fprintf(stderr, "usage: %s DATA_DIR [--only NAME] [--epochs N] [--list] [--harness]\n"
                "  (OPTSWEEP_PARITY_DATA=DIR: full MNIST instead, 10000 train and test images)\n",
                argv[0]);
        return 2;
    }
    if (other_backend == BACKEND_CUDA && !backend_cuda_available()) {
        printf("skipped: no CUDA device\n");
        return 77;
    }

    run_settings s;
    base_settings(&s);
    dataset d;
    char err[512];
    if (data_load(&d, &s.data, err, sizeof err) != 0) {
        if (full_mnist) { /* full MNIST is optional: it is git-ignored and fetched by users */
            printf("skipped: no full MNIST (%s)\n", err);
            return 77;
        }
        fprintf(stderr, "data: %s\n", err);
        return 1;
    }
    printf("data: %d train, %d validation, %d test from %s; %d epochs per run\n", d.train.n,
           d.val.n, d.test.n, data_dir, n_epochs);

    int failed = 0, ran = 0;
    if (!only && other_backend == BACKEND_CUDA) {
        failed += check_draws();
        failed += check_permutations();
        failed += check_determinism(&d);
    }
    if (!only || strcmp(only, "pack") == 0) {
        failed += check_pack(&d);
        ran++;
    }
    for (int c = 0; c < N_CASES; c++) {
        if (only && strcmp(only, cases[c].name) != 0)
            continue;
        failed += check_case(&cases[c], &d);
        ran++;
    }
    data_free(&d);
    if (only && ran == 0) {
        fprintf(stderr, "no case named %s (--list)\n", only);
        return 2;
    }
    printf("%s: %d check(s) failed\n", failed ? "FAIL" : "ok", failed);
    return failed ? 1 : 0;
}
