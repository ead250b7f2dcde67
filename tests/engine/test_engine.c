/* test_engine.c — the CPU training core through its real interfaces (backend_cpu_create,
 * the backend slots, train_run): gradients against a float64 finite-difference reference,
 * a hand-checked SGD step, bit-identical repeats and resumes, divergence, early stopping,
 * scheduler stepping, packs (runs trained together give the bits they give alone), and a
 * short real training on the committed MNIST slice.
 * PyTorch parity itself is tests/reference (fixtures recorded from torch).
 * Usage: test_engine TEST [MNIST_SLICE_DIR]; TEST is one of the names in main() or "all".
 * Exits non-zero on any mismatch. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "cpu_kernel.h"
#include "data.h"
#include "model.h"
#include "optim.h"
#include "settings.h"
#include "train.h"

static int failures = 0;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

/* ---- fixtures: settings, synthetic data, a backend ---------------------------------------- */

static uint32_t lcg_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* A data set held in memory: n_train / n_val / n_test images of random bytes whose label is
 * a simple function of the pixels (learnable, so losses move), labels cycling 0..9. */
static dataset make_dataset(int n_train, int n_val, int n_test, uint32_t seed)
{
    dataset d = {0};
    const int n = n_train + n_val + n_test;
    d.storage = xmalloc((size_t)n * (DATA_DIM + 1) + 1);
    uint8_t *px = d.storage, *lb = d.storage + (size_t)n * DATA_DIM;
    for (int i = 0; i < n; i++) {
        const int label = i % 10;
        lb[i] = (uint8_t)label;
        for (int j = 0; j < DATA_DIM; j++) {
            uint32_t r = lcg_next(&seed) & 0xff;
            /* a bright band whose position says the label, over noise */
            px[(size_t)i * DATA_DIM + j] = (uint8_t)(j / 78 == label ? 128 + (r >> 1) : r >> 2);
        }
    }
    data_split *sp[3] = {&d.train, &d.val, &d.test};
    int counts[3] = {n_train, n_val, n_test}, first = 0;
    for (int s = 0; s < 3; s++) {
        sp[s]->pixels = px + (size_t)first * DATA_DIM;
        sp[s]->labels = lb + first;
        sp[s]->n = counts[s];
        sp[s]->dim = DATA_DIM;
        first += counts[s];
    }
    return d;
}

static run_settings base_settings(void)
{
    run_settings s;
    settings_set_defaults(&s);
    s.model.n_hidden = 2;
    s.model.hidden[0] = 32;
    s.model.hidden[1] = 16;
    s.model.activation = ACTIVATION_LEAKY_RELU;
    s.train.epochs = 6;
    s.train.batch_size = 64;
    s.train.seed = 7;
    s.train.validation_freq = 1;
    s.train.early_stopping = 0;
    s.optim = (optim_settings){.kind = OPTIM_SGD, .lr = 0.05};
    s.schedule = (schedule_settings){.kind = SCHEDULE_NONE, .every = SCHEDULE_EVERY_EPOCH};
    return s;
}

static backend *make_backend(const run_settings *s, const dataset *d)
{
    backend_config cfg = backend_config_from_settings(s, d);
    char err[512];
    backend *b = backend_cpu_create(&cfg, err, sizeof err);
    if (!b) {
        fprintf(stderr, "backend_cpu_create: %s\n", err);
        exit(1);
    }
    return b;
}

static float *read_params(backend *b)
{
    float *p = xmalloc(sizeof(float) * b->config.shape.n_params);
    CHECK(b->ops->read_params(b, p) == 0, "read_params failed");
    return p;
}

/* ---- (a) gradients against central finite differences of a float64 forward pass ---------- */

/* Mean cross-entropy of the model in float64 over all rows of the split. */
static double loss_f64(const model_shape *sh, const double *p, const data_split *sp)
{
    double total = 0.0;
    double a[2][256];
    for (int r = 0; r < sp->n; r++) {
        double x[DATA_DIM];
        for (int j = 0; j < DATA_DIM; j++)
            x[j] = sp->pixels[(size_t)r * DATA_DIM + j] / 255.0;
        const double *in = x;
        for (int k = 0; k < sh->n_layers; k++) {
            const int ni = sh->sizes[k], no = sh->sizes[k + 1];
            double *out = a[k % 2];
            for (int o = 0; o < no; o++) {
                double z = p[sh->bias_offset[k] + (size_t)o];
                for (int i = 0; i < ni; i++)
                    z += p[sh->weight_offset[k] + (size_t)o * (size_t)ni + (size_t)i] * in[i];
                if (k + 1 < sh->n_layers) {
                    if (sh->activation == ACTIVATION_LEAKY_RELU)
                        z = z > 0 ? z : 0.01 * z;
                    else if (sh->activation == ACTIVATION_RELU)
                        z = z > 0 ? z : 0.0;
                    else
                        z = tanh(z);
                }
                out[o] = z;
            }
            in = out;
        }
        double mx = in[0], sum = 0.0;
        for (int j = 1; j < MODEL_OUTPUT_DIM; j++)
            mx = in[j] > mx ? in[j] : mx;
        for (int j = 0; j < MODEL_OUTPUT_DIM; j++)
            sum += exp(in[j] - mx);
        total += -(in[sp->labels[r]] - mx - log(sum));
    }
    return total / sp->n;
}

/* The backend's gradient, read through one full-batch SGD step with a large lr:
 * p1 = fl(p0 - lr * g) (one rounding, fmaf), so g = (p0 - p1) / lr up to ulp(p1) / (2 lr),
 * i.e. 6e-8 relative to g once lr * |g| dominates |p0| (lr = 1e4, |p0| < 0.04). */
static void gradcheck_one(activation_kind act)
{
    enum { ROWS = 6 };
    const double lr = 1e4;
    dataset d = make_dataset(ROWS, 0, 1, 11);
    run_settings s = base_settings();
    s.model.hidden[0] = 5;
    s.model.hidden[1] = 4;
    s.model.activation = act;
    s.train.batch_size = ROWS;
    s.optim = (optim_settings){.kind = OPTIM_SGD, .lr = lr};
    backend *b = make_backend(&s, &d);
    const model_shape *sh = &b->config.shape;
    const size_t n = sh->n_params;
    b->ops->init_params(b, 3);
    float *p0 = read_params(b);
    long step = 0;
    double loss = 0.0;
    CHECK(b->ops->train_epoch(b, 1, 0, lr, &step, &loss) == 0, "train_epoch: %s", b->error);
    CHECK(step == 1, "one full batch is one step, got %ld", step);
    float *p1 = read_params(b);

    double *p = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++)
        p[i] = p0[i];
    const double loss64 = loss_f64(sh, p, &d.train);
    /* the float32 forward against float64: ~1e-7 relative */
    CHECK(fabs(loss - loss64) <= 1e-5 * loss64, "activation %d: loss %.9g vs float64 %.9g",
          act, loss, loss64);

    double gmax = 0.0, worst = 0.0;
    double *g = xmalloc(sizeof(double) * n), *fd = xmalloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) {
        const double h = 1e-6; /* truncation ~h^2 f''' ~1e-12, rounding ~1e-16 / h = 1e-10 */
        g[i] = ((double)p0[i] - (double)p1[i]) / lr;
        p[i] = (double)p0[i] + h;
        const double up = loss_f64(sh, p, &d.train);
        p[i] = (double)p0[i] - h;
        const double down = loss_f64(sh, p, &d.train);
        p[i] = p0[i];
        fd[i] = (up - down) / (2 * h);
        gmax = fabs(fd[i]) > gmax ? fabs(fd[i]) : gmax;
    }
    /* Tolerance: the backend computes in float32 (forward, softmax, GEMMs over at most 784
     * terms): ~1e-6 relative to the gradient's scale in practice, 5e-5 in the worst case;
     * 1e-4 * max|g| leaves room and still catches any wrong formula (a wrong slope, a
     * missing term, a transposed product all move gradients by O(max|g|)). */
    for (size_t i = 0; i < n; i++) {
        const double err = fabs(g[i] - fd[i]);
        worst = err > worst ? err : worst;
        CHECK(err <= 1e-4 * gmax + 1e-3 * fabs(fd[i]),
              "activation %d: gradient %zu: backend %.9g, finite differences %.9g", act, i,
              g[i], fd[i]);
        if (failures > 20)
            break;
    }
    printf("gradcheck activation %d: %zu parameters, max |g| %.3g, worst |diff| %.3g\n", act,
           n, gmax, worst);
    free(p);
    free(g);
    free(fd);
    free(p0);
    free(p1);
    backend_free(b);
    data_free(&d);
}

static void test_gradcheck(void)
{
    gradcheck_one(ACTIVATION_LEAKY_RELU);
    gradcheck_one(ACTIVATION_RELU);
    gradcheck_one(ACTIVATION_TANH);
}

/* ---- (b) one SGD step by hand ------------------------------------------------------------ */

/* No hidden layer (softmax regression), zero parameters, lr 1, two images:
 *   image 0: every pixel 255 (x = 1), label 3;  image 1: pixel 0 = 51 (x = 0.2), label 7.
 * Logits are 0, softmax is 0.1 everywhere, the loss is ln 10, and with B = 2
 *   dz[r][j] = (0.1 - [j == y_r]) / 2:  dz[0] = -0.45 at 3, 0.05 elsewhere;
 *                                        dz[1] = -0.45 at 7, 0.05 elsewhere.
 *   db = dz[0] + dz[1]: -0.4 at 3 and 7, 0.1 elsewhere;  b' = -db.
 *   dW[j][i] = dz[0][j] * 1 + dz[1][j] * (i == 0 ? 0.2 : 0);  W' = -dW:
 *     i >= 1: 0.45 at j = 3, -0.05 elsewhere;
 *     i == 0: 0.44 at j = 3, 0.04 at j = 7, -0.06 elsewhere. */
static void test_sgd_step(void)
{
    dataset d = make_dataset(2, 0, 1, 1);
    uint8_t *px = d.storage, *lb = d.storage + 3 * DATA_DIM;
    memset(px, 0, 2 * DATA_DIM);
    memset(px, 255, DATA_DIM);
    px[DATA_DIM] = 51;
    lb[0] = 3;
    lb[1] = 7;
    run_settings s = base_settings();
    s.model.n_hidden = 0;
    s.train.batch_size = 2;
    s.optim = (optim_settings){.kind = OPTIM_SGD, .lr = 1.0};
    backend *b = make_backend(&s, &d);
    const model_shape *sh = &b->config.shape;
    CHECK(sh->n_layers == 1 && sh->n_params == 7850, "shape: %d layers, %zu params",
          sh->n_layers, sh->n_params);
    float *zero = xcalloc(sh->n_params, sizeof(float));
    b->ops->load_params(b, zero);
    long step = 0;
    double loss = 0.0;
    CHECK(b->ops->train_epoch(b, 0, 0, 1.0, &step, &loss) == 0, "train_epoch: %s", b->error);
    /* every row's loss is logf(10.0f) exactly and the cascade mean of two equal values is
     * exact, so the reported loss is logf(10) to the bit */
    CHECK(loss == (double)logf(10.0f), "loss %.9g, expected ln 10 = %.9g", loss,
          (double)logf(10.0f));
    float *p = read_params(b);
    /* 1e-6: expf(-logf(10)) is 0.1 within 1 ulp; every other step is exact or one rounding */
    const double tol = 1e-6;
    for (int j = 0; j < 10; j++) {
        double want_b = (j == 3 || j == 7) ? 0.4 : -0.1;
        CHECK(fabs(p[sh->bias_offset[0] + (size_t)j] - want_b) < tol, "b'[%d] = %.9g, want %g",
              j, p[sh->bias_offset[0] + (size_t)j], want_b);
        for (int i = 0; i < DATA_DIM; i++) {
            double want = i >= 1 ? (j == 3 ? 0.45 : -0.05)
                                 : (j == 3 ? 0.44 : j == 7 ? 0.04 : -0.06);
            double got = p[sh->weight_offset[0] + (size_t)j * DATA_DIM + (size_t)i];
            if (fabs(got - want) >= tol) {
                CHECK(0, "W'[%d][%d] = %.9g, want %g", j, i, got, want);
                break;
            }
        }
    }
    free(p);
    free(zero);
    backend_free(b);
    data_free(&d);
}

/* ---- (c) determinism and resume ------------------------------------------------------------ */

typedef struct {
    int stop_after; /* stop once next_epoch reaches this */
} stop_hook;

static int stop_after_epoch(void *user, const train_state *st, backend *b)
{
    (void)b;
    return st->next_epoch >= ((stop_hook *)user)->stop_after;
}

typedef struct {
    train_state st;
    float *params, *state;
    size_t n_params, n_state;
} run_result;

static void run_free(run_result *r)
{
    train_state_free(&r->st);
    free(r->params);
    free(r->state);
}

/* Trains s on d from init seed 5; with stop_at > 0, stops after that epoch (hook), moves the
 * parameters and optimizer state into a NEW backend, and finishes there. */
static run_result run_training(const run_settings *s, const dataset *d, int stop_at)
{
    run_result r = {0};
    train_state_init(&r.st, s->train.epochs);
    backend *b = make_backend(s, d);
    r.n_params = b->config.shape.n_params;
    r.n_state = (size_t)optim_state_slots(&s->optim) * r.n_params;
    r.params = xmalloc(sizeof(float) * r.n_params);
    r.state = xmalloc(sizeof(float) * (r.n_state + 1));
    b->ops->init_params(b, 5);
    if (stop_at > 0) {
        stop_hook h = {stop_at};
        train_hooks hooks = {.after_epoch = stop_after_epoch, .user = &h};
        run_status st = train_run(s, b, &r.st, &hooks);
        CHECK(st == RUN_RUNNING && r.st.next_epoch == stop_at,
              "stopped run: status %s, next_epoch %d", run_status_name(st), r.st.next_epoch);
        b->ops->read_params(b, r.params);
        b->ops->read_state(b, r.state);
        backend_free(b);
        b = make_backend(s, d); /* a fresh process would do exactly this */
        b->ops->load_params(b, r.params);
        b->ops->load_state(b, r.state);
    }
    train_run(s, b, &r.st, NULL);
    b->ops->read_params(b, r.params);
    b->ops->read_state(b, r.state);
    backend_free(b);
    return r;
}

static int same_doubles(const double *a, const double *b, int n)
{
    return memcmp(a, b, sizeof(double) * (size_t)n) == 0;
}

/* Bit-identical logs, final parameters and optimizer state (wall times aside). */
static void check_identical(const char *what, const run_result *a, const run_result *b)
{
    const train_state *x = &a->st, *y = &b->st;
    CHECK(x->status == y->status && x->n_epochs == y->n_epochs && x->n_val == y->n_val &&
              x->step == y->step && x->schedule_steps == y->schedule_steps,
          "%s: status %s/%s, epochs %d/%d, validations %d/%d, steps %ld/%ld", what,
          run_status_name(x->status), run_status_name(y->status), x->n_epochs, y->n_epochs,
          x->n_val, y->n_val, x->step, y->step);
    if (x->n_epochs != y->n_epochs || x->n_val != y->n_val)
        return;
    CHECK(same_doubles(x->train_loss, y->train_loss, x->n_epochs), "%s: train losses differ",
          what);
    CHECK(same_doubles(x->lr, y->lr, x->n_epochs), "%s: lrs differ", what);
    CHECK(same_doubles(x->momentum, y->momentum, x->n_epochs), "%s: momentum logs differ", what);
    CHECK(same_doubles(x->val_loss, y->val_loss, x->n_val) &&
              same_doubles(x->val_acc, y->val_acc, x->n_val),
          "%s: validations differ", what);
    CHECK(memcmp(&x->test_loss, &y->test_loss, sizeof(double)) == 0 &&
              memcmp(&x->test_acc, &y->test_acc, sizeof(double)) == 0,
          "%s: test %.17g/%.17g vs %.17g/%.17g", what, x->test_loss, x->test_acc, y->test_loss,
          y->test_acc);
    CHECK(memcmp(&x->best_val_loss, &y->best_val_loss, sizeof(double)) == 0 &&
              x->epochs_since_best == y->epochs_since_best,
          "%s: early-stopping state differs", what);
    CHECK(memcmp(a->params, b->params, sizeof(float) * a->n_params) == 0,
          "%s: parameters differ", what);
    CHECK(memcmp(a->state, b->state, sizeof(float) * a->n_state) == 0,
          "%s: optimizer state differs", what);
}

static void determinism_case(const char *name, const run_settings *s, const dataset *d)
{
    run_result a = run_training(s, d, 0), b = run_training(s, d, 0);
    CHECK(a.st.status == RUN_COMPLETED && a.st.n_epochs == s->train.epochs,
          "%s: status %s after %d epochs (%s)", name, run_status_name(a.st.status),
          a.st.n_epochs, a.st.message);
    /* every epoch takes ceil(n / batch) steps: the last partial batch is kept */
    const long per_epoch = (d->train.n + s->train.batch_size - 1) / s->train.batch_size;
    CHECK(a.st.step == per_epoch * s->train.epochs, "%s: %ld optimizer steps, want %ld", name,
          a.st.step, per_epoch * s->train.epochs);
    CHECK(a.st.train_loss[a.st.n_epochs - 1] < a.st.train_loss[0],
          "%s: the loss did not decrease (%g -> %g)", name, a.st.train_loss[0],
          a.st.train_loss[a.st.n_epochs - 1]);
    char what[128];
    snprintf(what, sizeof what, "%s repeat", name);
    check_identical(what, &a, &b);
    for (int stop = 1; stop < s->train.epochs; stop += 2) {
        run_result c = run_training(s, d, stop);
        snprintf(what, sizeof what, "%s resumed after epoch %d", name, stop - 1);
        check_identical(what, &a, &c);
        run_free(&c);
    }
    printf("%s: %d epochs, loss %.6f -> %.6f, test acc %.4f; repeat and resumes bit-identical\n",
           name, a.st.n_epochs, a.st.train_loss[0], a.st.train_loss[a.st.n_epochs - 1],
           a.st.test_acc);
    run_free(&a);
    run_free(&b);
}

static void test_determinism(void)
{
    dataset d = make_dataset(300, 100, 100, 5); /* 300 = 4 batches of 64 + one of 44 */
    run_settings s = base_settings();
    s.train.validation_freq = 2;
    s.train.early_stopping = 1; /* its counters are part of what a resume must restore */
    s.train.patience = 100;
    s.train.delta = 0.0;
    s.optim = (optim_settings){.kind = OPTIM_SGD, .lr = 0.05, .momentum = 0.9,
                               .nesterov = 1, .weight_decay = 1e-4};
    s.schedule = (schedule_settings){.kind = SCHEDULE_STEP, .every = SCHEDULE_EVERY_VALIDATION,
                                     .step_size = 1, .gamma = 0.5};
    determinism_case("sgd nesterov + step/validation", &s, &d);

    s.optim = (optim_settings){.kind = OPTIM_ADAM, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                               .eps = 1e-8, .amsgrad = 1};
    s.schedule = (schedule_settings){.kind = SCHEDULE_COSINE, .every = SCHEDULE_EVERY_EPOCH,
                                     .T_max = 6, .eta_min = 1e-5};
    s.model.activation = ACTIVATION_TANH;
    determinism_case("adam amsgrad + cosine/epoch", &s, &d);

    /* per-batch schedules: resumed mid-schedule from the optimizer's step count */
    s.optim = (optim_settings){.kind = OPTIM_SGD, .lr = 0.05, .momentum = 0.9};
    s.schedule = (schedule_settings){.kind = SCHEDULE_CYCLIC, .every = SCHEDULE_EVERY_BATCH,
                                     .base_lr = 0.01, .max_lr = 0.1, .step_size_up = 3,
                                     .step_size_down = 4, .mode = CYCLIC_TRIANGULAR2,
                                     .gamma = 1.0, .cycle_momentum = 1, .base_momentum = 0.8,
                                     .max_momentum = 0.95};
    determinism_case("sgd + cyclic/batch, momentum cycled", &s, &d);
    s.optim = (optim_settings){.kind = OPTIM_ADAM, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                               .eps = 1e-8};
    s.schedule = (schedule_settings){.kind = SCHEDULE_ONE_CYCLE, .every = SCHEDULE_EVERY_BATCH,
                                     .max_lr = 3e-3, .total_steps = 30, .pct_start = 0.3,
                                     .anneal_strategy = ANNEAL_COS, .div_factor = 25.0,
                                     .final_div_factor = 1e4, .cycle_momentum = 1,
                                     .base_momentum = 0.85, .max_momentum = 0.95};
    determinism_case("adam + one_cycle/batch, beta1 cycled", &s, &d);
    data_free(&d);
}

/* ---- (d) divergence ------------------------------------------------------------------------ */

static void test_divergence(void)
{
    dataset d = make_dataset(200, 50, 50, 9);
    run_settings s = base_settings();
    s.train.epochs = 5;
    s.optim = (optim_settings){.kind = OPTIM_SGD, .lr = 1e30};
    backend *b = make_backend(&s, &d);
    b->ops->init_params(b, 1);
    train_state st;
    train_state_init(&st, s.train.epochs);
    run_status rs = train_run(&s, b, &st, NULL);
    CHECK(rs == RUN_DIVERGED && st.status == RUN_DIVERGED, "status %s", run_status_name(rs));
    /* epoch numbers count from 1: the diverging epoch is the last one logged */
    CHECK(st.status_epoch >= 1 && st.status_epoch <= s.train.epochs &&
              st.n_epochs == st.status_epoch && st.epoch[st.n_epochs - 1] == st.status_epoch &&
              !isfinite(st.train_loss[st.n_epochs - 1]),
          "divergence epoch %d, %d epochs logged, last loss %g", st.status_epoch, st.n_epochs,
          st.n_epochs ? st.train_loss[st.n_epochs - 1] : 0.0);
    CHECK(isnan(st.test_acc), "a diverged run has no test result");
    printf("divergence: %s at epoch %d (%s)\n", run_status_name(rs), st.status_epoch,
           st.message);
    train_state_free(&st);
    backend_free(b);
    data_free(&d);
}

/* ---- (e) real training on the MNIST slice --------------------------------------------------- */

static void test_mnist(const char *slice_dir)
{
    run_settings s = base_settings();
    snprintf(s.data.dir, sizeof s.data.dir, "%s", slice_dir);
    s.data.val_from_test = 0.5;
    s.data.split_seed = 0;
    s.model.n_hidden = 3;
    s.model.hidden[0] = s.model.hidden[1] = s.model.hidden[2] = 128;
    s.train.epochs = 5;
    s.train.validation_freq = 1;
    s.optim = (optim_settings){.kind = OPTIM_ADAM, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                               .eps = 1e-8};
    dataset d;
    char err[1024];
    if (data_load(&d, &s.data, err, sizeof err) != 0) {
        CHECK(0, "data_load: %s", err);
        return;
    }
    backend *b = make_backend(&s, &d);
    b->ops->init_params(b, 0);
    train_state st;
    train_state_init(&st, s.train.epochs);
    train_run(&s, b, &st, NULL);
    CHECK(st.status == RUN_COMPLETED, "status %s (%s)", run_status_name(st.status), st.message);
    CHECK(st.n_val == 5 && st.val_epoch[0] == 1 && st.val_epoch[4] == 5 && st.epoch[0] == 1,
          "validations: %d", st.n_val);
    /* 2000 training images, 5 epochs of Adam: ~90% on held-out digits; 0.8 is far from
     * chance (0.1) and from a broken pipeline, and safe against seed luck */
    CHECK(st.test_acc > 0.8, "test accuracy %.4f after 5 epochs of adam", st.test_acc);
    CHECK(st.best_val_acc > 0.8, "best validation accuracy %.4f", st.best_val_acc);
    CHECK(st.train_loss[4] < st.train_loss[0], "train loss %g -> %g", st.train_loss[0],
          st.train_loss[4]);
    printf("mnist slice: %d train, %d val, %d test; train loss %.4f -> %.4f, val acc %.4f, "
           "test acc %.4f, %.2f s\n",
           d.train.n, d.val.n, d.test.n, st.train_loss[0], st.train_loss[4],
           st.val_acc[st.n_val - 1], st.test_acc, st.elapsed_seconds);
    train_state_free(&st);
    backend_free(b);
    data_free(&d);
}

/* ---- (f) early stopping --------------------------------------------------------------------- */

static train_state run_to_end(const run_settings *s, const dataset *d)
{
    backend *b = make_backend(s, d);
    b->ops->init_params(b, 2);
    train_state st;
    train_state_init(&st, s->train.epochs);
    train_run(s, b, &st, NULL);
    backend_free(b);
    return st;
}

static void test_early_stopping(void)
{
    dataset d = make_dataset(200, 50, 50, 4);
    run_settings s = base_settings();
    s.train.epochs = 10;
    s.train.validation_freq = 1;
    s.train.early_stopping = 1;
    s.train.patience = 2;
    s.train.delta = 0.0;
    /* lr 0: the validation loss never changes, so only the first validation improves (on
     * +inf); the second and third do not, and the third reaches patience 2: stop in epoch 3 */
    s.optim.lr = 0.0;
    train_state st = run_to_end(&s, &d);
    CHECK(st.status == RUN_STOPPED_EARLY && st.status_epoch == 3 && st.n_epochs == 3 &&
              st.n_val == 3,
          "lr 0: status %s at epoch %d after %d epochs", run_status_name(st.status),
          st.status_epoch, st.n_epochs);
    CHECK(isfinite(st.test_acc), "the test runs after an early stop");
    train_state_free(&st);

    /* patience counts validations, not epochs: every 3 epochs (after epochs 1, 4, 7: the
     * notebook's epoch % 3 == 0 counting from 0), stop at the third -> stop in epoch 7 */
    s.train.validation_freq = 3;
    st = run_to_end(&s, &d);
    CHECK(st.status == RUN_STOPPED_EARLY && st.status_epoch == 7 && st.n_epochs == 7,
          "freq 3: status %s at epoch %d", run_status_name(st.status), st.status_epoch);
    train_state_free(&st);

    /* learning, but by less than delta per validation: still stops */
    s.train.validation_freq = 1;
    s.optim.lr = 0.01;
    s.train.delta = 10.0;
    st = run_to_end(&s, &d);
    CHECK(st.status == RUN_STOPPED_EARLY && st.status_epoch == 3,
          "delta 10: status %s at epoch %d", run_status_name(st.status), st.status_epoch);
    train_state_free(&st);

    /* learning with delta 0 and patience 2: every validation improves, the run completes */
    s.optim.lr = 0.05;
    s.train.delta = 0.0;
    st = run_to_end(&s, &d);
    CHECK(st.status == RUN_COMPLETED && st.n_epochs == 10,
          "improving run: status %s after %d epochs (val losses %g .. %g)",
          run_status_name(st.status), st.n_epochs, st.val_loss[0],
          st.val_loss[st.n_val ? st.n_val - 1 : 0]);
    printf("early stopping: stops at the validation that reaches patience; improving runs "
           "complete\n");
    train_state_free(&st);
    data_free(&d);
}

/* ---- (g) when the scheduler steps ----------------------------------------------------------- */

static void check_lrs(const char *what, const train_state *st, const double *want, int n)
{
    CHECK(st->n_epochs == n, "%s: %d epochs", what, st->n_epochs);
    for (int e = 0; e < n && e < st->n_epochs; e++)
        CHECK(fabs(st->lr[e] - want[e]) <= 1e-12 * want[e], "%s: epoch %d lr %.17g, want %.17g",
              what, e, st->lr[e], want[e]);
}

static void test_schedule_every(void)
{
    dataset d = make_dataset(100, 30, 30, 3);
    run_settings s = base_settings();
    s.train.epochs = 7;
    s.train.validation_freq = 3;
    s.optim.lr = 0.08;
    s.schedule = (schedule_settings){.kind = SCHEDULE_STEP, .every = SCHEDULE_EVERY_VALIDATION,
                                     .step_size = 1, .gamma = 0.5};
    /* validations at epochs 0, 3, 6, each followed by scheduler.step() (the notebook) */
    const double by_validation[7] = {0.08, 0.04, 0.04, 0.04, 0.02, 0.02, 0.02};
    train_state st = run_to_end(&s, &d);
    check_lrs("step_every validation", &st, by_validation, 7);
    CHECK(st.schedule_steps == 3, "3 validations, %ld scheduler steps", st.schedule_steps);
    train_state_free(&st);

    s.schedule.every = SCHEDULE_EVERY_EPOCH;
    const double by_epoch[7] = {0.08, 0.04, 0.02, 0.01, 0.005, 0.0025, 0.00125};
    st = run_to_end(&s, &d);
    check_lrs("step_every epoch", &st, by_epoch, 7);
    train_state_free(&st);

    /* no validation split: validation never runs, so a per-validation schedule never steps */
    data_free(&d);
    d = make_dataset(100, 0, 30, 3);
    s.schedule.every = SCHEDULE_EVERY_VALIDATION;
    const double constant[7] = {0.08, 0.08, 0.08, 0.08, 0.08, 0.08, 0.08};
    st = run_to_end(&s, &d);
    check_lrs("no validation split", &st, constant, 7);
    CHECK(st.n_val == 0, "no validation split, %d validations", st.n_val);
    train_state_free(&st);
    data_free(&d);

    /* step_every: batch — 100 rows in batches of 64: 2 steps per epoch, so epoch e starts
     * after 2e scheduler steps.  CyclicLR triangular, up 3, down 3 (by hand):
     * k = 0, 2, 4, 6, ...: lr 0.01, 0.01 + 0.04 * 2/3 (both sides of the peak), 0.01, ...;
     * momentum 0.9, 0.9 - 0.1 * 2/3, 0.9 - 0.1 * 2/3, 0.9, ... */
    d = make_dataset(100, 30, 30, 3);
    s.optim = (optim_settings){.kind = OPTIM_SGD, .lr = 0.08, .momentum = 0.5};
    s.schedule = (schedule_settings){.kind = SCHEDULE_CYCLIC, .every = SCHEDULE_EVERY_BATCH,
                                     .base_lr = 0.01, .max_lr = 0.05, .step_size_up = 3,
                                     .mode = CYCLIC_TRIANGULAR, .gamma = 1.0,
                                     .cycle_momentum = 1, .base_momentum = 0.8,
                                     .max_momentum = 0.9};
    const double hi = 0.01 + 0.04 * (2.0 / 3.0), mhi = 0.9 - 0.1 * (2.0 / 3.0);
    const double by_batch[7] = {0.01, hi, hi, 0.01, hi, hi, 0.01};
    const double mom[7] = {0.9, mhi, mhi, 0.9, mhi, mhi, 0.9};
    st = run_to_end(&s, &d);
    check_lrs("step_every batch", &st, by_batch, 7);
    for (int e = 0; e < 7 && e < st.n_epochs; e++)
        CHECK(fabs(st.momentum[e] - mom[e]) <= 1e-12, "step_every batch: epoch %d momentum "
              "%.17g, want %.17g", e, st.momentum[e], mom[e]);
    CHECK(st.step == 14 && st.schedule_steps == 0, "step_every batch: %ld steps, %ld epoch "
          "or validation scheduler steps", st.step, st.schedule_steps);
    train_state_free(&st);

    /* OneCycleLR past total_steps: steps 1-6 use the lrs after 0-5 scheduler steps (epochs
     * 0-2); epoch 3 would need the 7th, where PyTorch raises: the run fails there */
    s.schedule = (schedule_settings){.kind = SCHEDULE_ONE_CYCLE, .every = SCHEDULE_EVERY_BATCH,
                                     .max_lr = 0.1, .total_steps = 5, .pct_start = 0.3,
                                     .div_factor = 25.0, .final_div_factor = 1e4};
    st = run_to_end(&s, &d);
    CHECK(st.status == RUN_FAILED && st.n_epochs == 3 &&
              strstr(st.message, "Tried to step 7 times") != NULL,
          "one_cycle past total_steps: %s after %d epochs (%s)", run_status_name(st.status),
          st.n_epochs, st.message);
    CHECK(isnan(st.momentum[0]), "no momentum cycled: the log is NaN");
    printf("schedule: steps per validation only on validation epochs, per epoch every epoch, "
           "per batch every step; one_cycle fails past total_steps\n");
    train_state_free(&st);
    data_free(&d);
}

/* ---- (h) the thread team: the same bits on every repeat, the same training at any size ---- */

/* Largest |a - b| / max(|b|, 1) over n floats. */
static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)a[i] - (double)b[i]) / fmax(fabs((double)b[i]), 1.0);
        worst = d > worst ? d : worst;
    }
    return worst;
}

/* The CPU backend splits every step over as many threads as OpenBLAS is set to use (batch
 * rows, then weight rows).  A team of 2 or 3 must repeat and resume bit for bit (a race
 * shows up as a difference here), and train as a team of 1 does up to OpenBLAS's rounding:
 * splitting a GEMM by rows changes its tiling, not its arithmetic.  Odd layer widths and a
 * last batch of one row make the shares uneven and leave a member with no rows. */
static void test_threads(void)
{
    const int saved = openblas_get_num_threads();
    dataset d = make_dataset(257, 50, 61, 9); /* 4 batches of 64 and one of 1 row, or 1 */
    run_settings s = base_settings();
    s.model.hidden[0] = 33;
    s.model.hidden[1] = 17;
    s.train.epochs = 6;
    const optim_settings optims[] = {
        {.kind = OPTIM_SGD, .lr = 0.05, .momentum = 0.9, .nesterov = 1, .weight_decay = 1e-4},
        {.kind = OPTIM_ADAM, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
         .amsgrad = 1},
        {.kind = OPTIM_RMSPROP, .lr = 1e-3, .alpha = 0.99, .eps = 1e-8, .momentum = 0.5,
         .centered = 1},
        {.kind = OPTIM_ADAGRAD, .lr = 0.05, .eps = 1e-10, .lr_decay = 1e-3},
    };
    const char *names[] = {"sgd nesterov, batch 64", "sgd nesterov, full batch",
                           "adam amsgrad, batch 64", "adam amsgrad, full batch",
                           "rmsprop centered, batch 64", "rmsprop centered, full batch",
                           "adagrad, batch 64", "adagrad, full batch"};
    for (size_t o = 0; o < 2 * sizeof optims / sizeof optims[0]; o++) {
        s.optim = optims[o / 2];
        s.train.batch_size = o % 2 ? 257 : 64; /* mini-batches, then full batches */
        openblas_set_num_threads(1);
        run_result one = run_training(&s, &d, 0);
        for (int team = 2; team <= 3; team++) {
            openblas_set_num_threads(team);
            backend *b = make_backend(&s, &d);
            char want[64];
            snprintf(want, sizeof want, ", %d threads, kernel %s", team, cpu_kernel_active());
            CHECK(strstr(b->device_name, want) != NULL, "device name %s", b->device_name);
            backend_free(b);
            run_result a = run_training(&s, &d, 0);
            char what[96];
            for (int rep = 0; rep < 6; rep++) {
                run_result r = run_training(&s, &d, rep == 1 ? 2 : 0);
                snprintf(what, sizeof what, "%s, team of %d, %s %d", names[o], team,
                         rep == 1 ? "resume" : "repeat", rep);
                check_identical(what, &a, &r);
                run_free(&r);
            }
            double loss_rel = 0.0;
            for (int e = 0; e < a.st.n_epochs; e++)
                loss_rel = fmax(loss_rel, fabs(a.st.train_loss[e] - one.st.train_loss[e]) /
                                              one.st.train_loss[e]);
            const double param_rel = max_rel_diff(a.params, one.params, a.n_params);
            CHECK(a.st.n_epochs == one.st.n_epochs && loss_rel < 1e-5 && param_rel < 1e-4 &&
                      fabs(a.st.test_acc - one.st.test_acc) <= 1.0 / 61,
                  "%s: team of %d vs 1: losses %.3g, params %.3g apart, test acc %.4f vs %.4f",
                  names[o], team, loss_rel, param_rel, a.st.test_acc, one.st.test_acc);
            printf("%s, team of %d: repeats and a resume bit-identical; vs a team of 1: "
                   "losses within %.2g, params within %.2g\n",
                   names[o], team, loss_rel, param_rel);
            run_free(&a);
        }
        run_free(&one);
    }
    openblas_set_num_threads(saved);
    data_free(&d);
}

/* ---- small pieces: model layout, backend choice --------------------------- */

static void test_model(void)
{
    model_settings m = {.n_hidden = 3, .hidden = {128, 128, 128},
                        .activation = ACTIVATION_LEAKY_RELU};
    model_shape sh;
    model_shape_init(&sh, &m);
    CHECK(sh.n_layers == 4 && sh.n_params == 784 * 128 + 128 + 2 * (128 * 128 + 128) + 1290,
          "notebook model: %d layers, %zu params", sh.n_layers, sh.n_params);
    CHECK(sh.weight_offset[1] == 784 * 128 + 128 && sh.bias_offset[0] == 784 * 128 &&
              sh.bias_offset[3] == sh.n_params - 10,
          "offsets");
    /* mean weight: tensors W0 (all 1), b0 (all 3), W1 (all -1), b1 (all 1) of a 784-2-10
     * model: tensor means 1, 3, -1, 1 -> mean 1 */
    model_settings m2 = {.n_hidden = 1, .hidden = {2}};
    model_shape_init(&sh, &m2);
    float *p = xmalloc(sizeof(float) * sh.n_params);
    for (size_t i = 0; i < sh.n_params; i++)
        p[i] = i < sh.bias_offset[0] ? 1.0f : i < sh.weight_offset[1] ? 3.0f
               : i < sh.bias_offset[1] ? -1.0f : 1.0f;
    CHECK(fabs(model_mean_weight(&sh, p) - 1.0) < 1e-12, "mean weight %g",
          model_mean_weight(&sh, p));
    free(p);

    dataset d = make_dataset(10, 0, 10, 1);
    run_settings s = base_settings();
    backend_config cfg = {.batch_size = 4, .optim = s.optim, .data = &d};
    model_shape_init(&cfg.shape, &s.model);
    char err[256];
    backend *b = backend_create(BACKEND_AUTO, &cfg, err, sizeof err);
    CHECK(b != NULL, "backend auto: %s", err);
    if (b && !backend_cuda_available())
        CHECK(strcmp(b->ops->name, "cpu") == 0, "auto without a GPU gives %s", b->ops->name);
    if (b)
        printf("backend auto: %s, %s\n", b->ops->name, b->device_name);
    backend_free(b);
    b = backend_create(BACKEND_CPU, &cfg, err, sizeof err);
    CHECK(b && strncmp(b->device_name, "cpu (", 5) == 0, "cpu device name");
    backend_free(b);
    data_free(&d);
}

/* ---- packs: a run's bits do not depend on its packmates ----------------------------------- */

enum { PACK_RUNS = 8, PACK_RESUMED = 7, PACK_RESUME_AT = 2 };

/* Eight runs as different as a pack allows: every optimizer, schedules, two seeds (two
 * cohorts sharing batches), other epoch counts, early stopping, a diverging one, per-batch
 * lr (and momentum) tables, and one that joins the pack resumed from epoch PACK_RESUME_AT. */
static void pack_settings(run_settings *s)
{
    for (int m = 0; m < PACK_RUNS; m++)
        s[m] = base_settings();
    s[0].optim = (optim_settings){.kind = OPTIM_SGD, .lr = 0.05};
    s[1].optim = (optim_settings){.kind = OPTIM_SGD, .lr = 0.05, .momentum = 0.9, .nesterov = 1};
    s[1].schedule = (schedule_settings){.kind = SCHEDULE_STEP, .step_size = 2, .gamma = 0.5};
    s[2].optim = (optim_settings){.kind = OPTIM_ADAGRAD, .lr = 0.01, .eps = 1e-10};
    s[2].train.epochs = 4;
    /* per-batch lr tables (no momentum: adagrad has none) */
    s[2].schedule = (schedule_settings){.kind = SCHEDULE_ONE_CYCLE, .every = SCHEDULE_EVERY_BATCH,
                                        .max_lr = 0.02, .total_steps = 1000, .pct_start = 0.01,
                                        .anneal_strategy = ANNEAL_LINEAR, .div_factor = 25.0,
                                        .final_div_factor = 1e4};
    s[3].optim = (optim_settings){.kind = OPTIM_RMSPROP, .lr = 1e-3, .alpha = 0.99, .eps = 1e-8,
                                  .momentum = 0.5, .centered = 1};
    s[3].train.seed = 11;
    s[4].optim = (optim_settings){.kind = OPTIM_ADAM, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                                  .eps = 1e-8, .amsgrad = 1, .weight_decay = 0.01};
    s[4].schedule = (schedule_settings){.kind = SCHEDULE_COSINE, .T_max = 5};
    s[4].train.seed = 11;
    s[4].train.epochs = 8;
    /* never improves by 10 after the first validation: stops at the second */
    s[5].optim = (optim_settings){.kind = OPTIM_ADAMW, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                                  .eps = 1e-8, .weight_decay = 0.01};
    s[5].train.early_stopping = 1;
    s[5].train.patience = 1;
    s[5].train.delta = 10.0;
    s[6].optim = (optim_settings){.kind = OPTIM_SGD, .lr = 1e6}; /* diverges */
    s[7].optim = (optim_settings){.kind = OPTIM_SGD, .lr = 0.02, .momentum = 0.9};
    /* per-batch lr and momentum tables */
    s[7].schedule = (schedule_settings){.kind = SCHEDULE_CYCLIC, .every = SCHEDULE_EVERY_BATCH,
                                        .base_lr = 0.005, .max_lr = 0.05, .step_size_up = 2,
                                        .mode = CYCLIC_TRIANGULAR, .gamma = 1.0,
                                        .cycle_momentum = 1, .base_momentum = 0.8,
                                        .max_momentum = 0.9};
}

/* The runs of s trained as one pack, in the order `order`; run PACK_RESUMED first trains
 * PACK_RESUME_AT epochs alone and joins from its checkpointed state. */
static void train_as_pack(const run_settings *s, const dataset *d, const int *order,
                          run_result *out)
{
    backend *b[PACK_RUNS];
    train_member members[PACK_RUNS];
    for (int j = 0; j < PACK_RUNS; j++) {
        const int m = order[j];
        run_result *r = &out[m];
        memset(r, 0, sizeof *r);
        train_state_init(&r->st, s[m].train.epochs);
        char err[256];
        b[j] = j == 0 ? make_backend(&s[m], d)
                      : backend_create_member(b[0], &s[m].optim, d, err, sizeof err);
        CHECK(b[j] != NULL, "backend_create_member: %s", err);
        r->n_params = b[j]->config.shape.n_params;
        r->n_state = (size_t)optim_state_slots(&s[m].optim) * r->n_params;
        r->params = xmalloc(sizeof(float) * r->n_params);
        r->state = xmalloc(sizeof(float) * (r->n_state + 1));
        if (m == PACK_RESUMED) { /* its first epochs alone, then in the pack from there */
            backend *alone = make_backend(&s[m], d);
            alone->ops->init_params(alone, 5);
            stop_hook h = {PACK_RESUME_AT};
            train_hooks hooks = {.after_epoch = stop_after_epoch, .user = &h};
            train_run(&s[m], alone, &r->st, &hooks);
            alone->ops->read_params(alone, r->params);
            alone->ops->read_state(alone, r->state);
            backend_free(alone);
            b[j]->ops->load_params(b[j], r->params);
            b[j]->ops->load_state(b[j], r->state);
        } else {
            b[j]->ops->init_params(b[j], 5);
        }
        members[j] = (train_member){&s[m], b[j], &r->st, NULL};
    }
    train_pack(members, PACK_RUNS);
    for (int j = PACK_RUNS - 1; j >= 0; j--) { /* members before the first */
        const int m = order[j];
        b[j]->ops->read_params(b[j], out[m].params);
        b[j]->ops->read_state(b[j], out[m].state);
        backend_free(b[j]);
    }
}

static void test_pack(void)
{
    const int saved = openblas_get_num_threads();
    dataset d = make_dataset(257, 60, 61, 3); /* 4 batches of 64 and one of 1 row */
    run_settings s[PACK_RUNS];
    pack_settings(s);
    const int forward[PACK_RUNS] = {0, 1, 2, 3, 4, 5, 6, 7};
    const int shuffled[PACK_RUNS] = {6, 3, 7, 0, 5, 2, 4, 1};
    for (int team = 1; team <= 3; team++) {
        openblas_set_num_threads(team);
        const int failures_before = failures;
        run_result alone[PACK_RUNS], packed[PACK_RUNS], again[PACK_RUNS];
        for (int m = 0; m < PACK_RUNS; m++)
            alone[m] = run_training(&s[m], &d, 0);
        CHECK(alone[5].st.status == RUN_STOPPED_EARLY && alone[6].st.status == RUN_DIVERGED &&
                  alone[0].st.status == RUN_COMPLETED && alone[2].st.n_epochs == 4,
              "the pack's cases: %s, %s, %s, %d epochs", run_status_name(alone[5].st.status),
              run_status_name(alone[6].st.status), run_status_name(alone[0].st.status),
              alone[2].st.n_epochs);
        {   /* the two seeds' cohorts really see different batches */
            run_settings other = s[3];
            other.train.seed = s[0].train.seed;
            run_result o = run_training(&other, &d, 0);
            CHECK(!same_doubles(o.st.train_loss, alone[3].st.train_loss, o.st.n_epochs),
                  "seeds %llu and %llu give the same losses",
                  (unsigned long long)s[0].train.seed, (unsigned long long)s[3].train.seed);
            run_free(&o);
        }
        train_as_pack(s, &d, forward, packed);
        train_as_pack(s, &d, shuffled, again);
        for (int m = 0; m < PACK_RUNS; m++) {
            char what[96];
            snprintf(what, sizeof what, "team of %d, run %d in a pack of %d", team, m, PACK_RUNS);
            check_identical(what, &alone[m], &packed[m]);
            snprintf(what, sizeof what, "team of %d, run %d, other pack order", team, m);
            check_identical(what, &alone[m], &again[m]);
            run_free(&alone[m]);
            run_free(&packed[m]);
            run_free(&again[m]);
        }
        if (failures == failures_before)
            printf("pack of %d (all optimizers, 2 seeds, early stop, divergence, a resumed "
                   "run), team of %d: every run bit-identical to its run alone, in two pack "
                   "orders\n", PACK_RUNS, team);
    }
    openblas_set_num_threads(saved);
    data_free(&d);
}

int main(int argc, char **argv)
{
    const char *test = argc > 1 ? argv[1] : "all";
    const char *slice = argc > 2 ? argv[2] : OPTSWEEP_SOURCE_DIR "/tests/data/mnist-slice";
    int all = !strcmp(test, "all"), ran = 0;
#define RUN(name, call)                                                                        \
    if (all || !strcmp(test, name)) {                                                          \
        call;                                                                                  \
        ran++;                                                                                 \
    }
    RUN("gradcheck", test_gradcheck());
    RUN("sgd_step", test_sgd_step());
    RUN("determinism", test_determinism());
    RUN("divergence", test_divergence());
    RUN("mnist", test_mnist(slice));
    RUN("early_stopping", test_early_stopping());
    RUN("schedule_every", test_schedule_every());
    RUN("model", test_model());
    RUN("threads", test_threads());
    RUN("pack", test_pack());
    if (!ran) {
        fprintf(stderr, "test_engine: unknown test %s\n", test);
        return 2;
    }
    if (failures) {
        fprintf(stderr, "test_engine %s: %d failure(s)\n", test, failures);
        return 1;
    }
    printf("test_engine %s: ok\n", test);
    return 0;
}
