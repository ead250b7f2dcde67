/* bench_cpu.c — seconds per training epoch of the CPU backend on full MNIST, against the
 * floor: the GEMMs of one epoch (4 forward, 4 weight-gradient, 3 input-gradient per batch,
 * same shapes, transposes and beta), alone, each one whole cblas_sgemm call on OpenBLAS's own
 * threads.  optsweep splits those GEMMs over its thread team instead (backend_cpu.c) and does
 * the rest of the step besides, so optsweep / floor is the cost of everything that is not
 * arithmetic in OpenBLAS.  A throughput figure, never a pass/fail.  bench_cpu.sh runs it
 * beside PyTorch and prints one table.
 *
 * It trains on the OpenBLAS kernel `train.cpu_kernel: auto` picks (cpu_kernel.h), or on
 * --kernel's; --sgemm N instead times one large N x N x N cblas_sgemm on OpenBLAS's threads,
 * the rate the machine's best GEMMs reach, to set the model's FLOPs against.
 *
 * --pack M times, instead, M runs (the notebook's optimizers in turn, one seed) trained as one
 * pack against the same M runs trained one after the other, epoch for epoch.
 *
 * usage: bench_cpu [--data DIR] [--epochs N] [--optimizer sgd|adam] [--kernel K] [BATCH ...]
 *        bench_cpu --sgemm N [--kernel K]
 *        bench_cpu --pack M [--data DIR] [--epochs N] [--kernel K] [BATCH ...]
 * Prints one line per batch size: "batch <B> optsweep <s/epoch> floor <s/epoch> gflop <G>",
 * "pack <B> runs <M> packed <s> serial <s> gflop <G>" (seconds for one epoch of every run),
 * or "sgemm <N> gflops <rate> kernel <name> best <name>". */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "cpu_kernel.h"
#include "data.h"
#include "model.h"
#include "progress.h"

/* The GEMMs of one epoch of n rows in batches of `batch`, on buffers of arbitrary values
 * (timings do not depend on them).  Mirrors backend_cpu.c's forward() and backward(). */
static double gemm_epoch(const model_shape *sh, int n, int batch, float **act, float **delta,
                         float *params, float *grads)
{
    double t0 = progress_now();
    for (int first = 0; first < n; first += batch) {
        const int m = n - first < batch ? n - first : batch;
        for (int k = 0; k < sh->n_layers; k++) {
            const int in = sh->sizes[k], out = sh->sizes[k + 1];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, out, in, 1.0f, act[k], in,
                        params + sh->weight_offset[k], in, 1.0f, act[k + 1], out);
        }
        int cur = 0;
        for (int k = sh->n_layers - 1; k >= 0; k--) {
            const int in = sh->sizes[k], out = sh->sizes[k + 1];
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, m, 1.0f, delta[cur],
                        out, act[k], in, 0.0f, grads + sh->weight_offset[k], in);
            if (k == 0)
                break;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, in, out, 1.0f, delta[cur],
                        out, params + sh->weight_offset[k], in, 0.0f, delta[1 - cur], in);
            cur = 1 - cur;
        }
    }
    return progress_now() - t0;
}

static float *filled(size_t n)
{
    float *x = xmalloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((i * 2654435761u) % 1000) * 1e-4f - 0.05f;
    return x;
}

/* GEMM-floor buffers: the activations, deltas, weights and gradients of one batch. */
typedef struct {
    float *act[MODEL_MAX_LAYERS + 1], *delta[2], *params, *grads;
} floor_buffers;

static floor_buffers floor_alloc(const model_shape *sh, int batch)
{
    floor_buffers f;
    int widest = 0;
    for (int k = 0; k <= sh->n_layers; k++)
        f.act[k] = filled((size_t)batch * (size_t)sh->sizes[k]);
    for (int k = 1; k <= sh->n_layers; k++)
        widest = sh->sizes[k] > widest ? sh->sizes[k] : widest;
    f.delta[0] = filled((size_t)batch * (size_t)widest);
    f.delta[1] = filled((size_t)batch * (size_t)widest);
    f.params = filled(sh->n_params);
    f.grads = filled(sh->n_params);
    return f;
}

static void floor_free(const model_shape *sh, floor_buffers *f)
{
    for (int k = 0; k <= sh->n_layers; k++)
        free(f->act[k]);
    free(f->delta[0]);
    free(f->delta[1]);
    free(f->params);
    free(f->grads);
}

/* Best seconds per epoch of optsweep and of the floor at one batch size.  The two alternate
 * epoch by epoch, so that a machine shared with other work slows both alike. */
static void measure(const backend_config *cfg, int epochs, double *ours, double *floor,
                    char *device, size_t dn)
{
    char err[512];
    backend *b = backend_cpu_create(cfg, err, sizeof err);
    if (!b) {
        fprintf(stderr, "bench_cpu: %s\n", err);
        exit(1);
    }
    snprintf(device, dn, "%s", b->device_name);
    const model_shape *sh = &cfg->shape;
    const int n = cfg->data->train.n;
    floor_buffers f = floor_alloc(sh, cfg->batch_size);
    long step = 0;
    double loss;
    b->ops->init_params(b, 0);
    b->ops->train_epoch(b, 0, 0, cfg->optim.lr, &step, &loss); /* warm-ups */
    gemm_epoch(sh, n, cfg->batch_size, f.act, f.delta, f.params, f.grads);
    *ours = *floor = 1e300;
    for (int e = 1; e <= epochs; e++) {
        double t0 = progress_now();
        b->ops->train_epoch(b, 0, e, cfg->optim.lr, &step, &loss);
        double t = progress_now() - t0;
        *ours = t < *ours ? t : *ours;
        t = gemm_epoch(sh, n, cfg->batch_size, f.act, f.delta, f.params, f.grads);
        *floor = t < *floor ? t : *floor;
    }
    floor_free(sh, &f);
    backend_free(b);
}

/* Floating-point operations of one training sample: 2 per multiply-add of the forward
 * GEMMs, as many for the weight gradients, and the input gradients of every layer but the
 * first (nothing needs the gradient of the images).  36.3 GFLOP per epoch of full MNIST
 * for 784-128-128-128-10.  The elementwise work is left out, as it is from GEMM rates. */
static double model_flops(const model_shape *sh)
{
    double f = 0;
    for (int k = 0; k < sh->n_layers; k++) {
        const double macs = (double)sh->sizes[k] * sh->sizes[k + 1];
        f += 2 * macs * (k == 0 ? 2 : 3);
    }
    return f;
}

/* GFLOP/s of one n x n x n sgemm on OpenBLAS's own threads: the best of 5 after a warm-up. */
static double sgemm_rate(int n)
{
    const size_t nn = (size_t)n * (size_t)n;
    float *a = filled(nn), *b = filled(nn), *c = filled(nn);
    double best = 1e300;
    for (int r = 0; r < 6; r++) {
        double t0 = progress_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        double t = progress_now() - t0;
        if (r > 0 && t < best) best = t;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * (double)n * (double)nn / best * 1e-9;
}

/* M runs of the notebook's optimizers in turn (SGD with momentum, Adam, RMSprop, Adagrad). */
static optim_settings pack_optim(int m)
{
    switch (m % 4) {
    case 0: return (optim_settings){.kind = OPTIM_SGD, .lr = 0.01, .momentum = 0.9};
    case 1: return (optim_settings){.kind = OPTIM_ADAM, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                                    .eps = 1e-8};
    case 2: return (optim_settings){.kind = OPTIM_RMSPROP, .lr = 1e-3, .alpha = 0.99, .eps = 1e-8};
    default: return (optim_settings){.kind = OPTIM_ADAGRAD, .lr = 0.01, .eps = 1e-10};
    }
}

/* Best seconds for one epoch of each of m runs: as one pack, and one run after the other
 * (each its own backend, as with train.pack: off).  The two alternate epoch by epoch. */
static void measure_pack(backend_config *cfg, int m, int epochs, double *packed, double *serial)
{
    char err[512];
    backend **pk = xcalloc((size_t)m, sizeof *pk), **alone = xcalloc((size_t)m, sizeof *alone);
    backend_epoch_job *jobs = xcalloc((size_t)m, sizeof *jobs);
    long *step = xcalloc((size_t)m * 2, sizeof *step);
    double *loss = xcalloc((size_t)m, sizeof *loss);
    for (int j = 0; j < m; j++) {
        backend_config c = *cfg;
        c.optim = pack_optim(j);
        pk[j] = j == 0 ? backend_cpu_create(&c, err, sizeof err)
                       : backend_create_member(pk[0], &c.optim, cfg->data, err, sizeof err);
        alone[j] = backend_cpu_create(&c, err, sizeof err);
        if (!pk[j] || !alone[j]) {
            fprintf(stderr, "bench_cpu: %s\n", err);
            exit(1);
        }
        pk[j]->ops->init_params(pk[j], 0);
        alone[j]->ops->init_params(alone[j], 0);
    }
    *packed = *serial = 1e300;
    for (int e = 0; e <= epochs; e++) { /* epoch 0 warms up */
        for (int j = 0; j < m; j++)
            jobs[j] = (backend_epoch_job){pk[j], 0, e, pack_optim(j).lr, &step[j], &loss[j], NULL, NULL};
        int failed;
        double t0 = progress_now();
        if (backend_train_epochs(jobs, m, &failed) != 0) {
            fprintf(stderr, "bench_cpu: %s\n", jobs[failed].b->error);
            exit(1);
        }
        double t = progress_now() - t0;
        if (e > 0 && t < *packed) *packed = t;
        t0 = progress_now();
        for (int j = 0; j < m; j++)
            alone[j]->ops->train_epoch(alone[j], 0, e, pack_optim(j).lr, &step[m + j], &loss[j]);
        t = progress_now() - t0;
        if (e > 0 && t < *serial) *serial = t;
    }
    for (int j = m - 1; j >= 0; j--) {
        backend_free(pk[j]);
        backend_free(alone[j]);
    }
    free(pk);
    free(alone);
    free(jobs);
    free(step);
    free(loss);
}

int main(int argc, char **argv)
{
    const char *dir = "data/mnist";
    const char *opt = "sgd";
    int epochs = 3, batches[16], n_batches = 0, sgemm = 0, pack = 0;
    cpu_kernel_kind kernel = CPU_KERNEL_AUTO;
    cpu_kernel_remember_argv(argv);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--sgemm") && i + 1 < argc)
            sgemm = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--pack") && i + 1 < argc)
            pack = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--kernel") && i + 1 < argc) {
            const char *k = argv[++i];
            int idx = cpu_kernel_find(k);
            if (!strcmp(k, "auto")) kernel = CPU_KERNEL_AUTO;
            else if (!strcmp(k, "openblas")) kernel = CPU_KERNEL_OPENBLAS;
            else if (idx >= 0) kernel = (cpu_kernel_kind)(CPU_KERNEL_PRESCOTT + idx);
            else {
                fprintf(stderr, "bench_cpu: --kernel: auto, openblas or a tested kernel "
                                "(Prescott, Haswell, SkylakeX, Cooperlake), found '%s'\n", k);
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc)
            epochs = (int)strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--optimizer") && i + 1 < argc)
            opt = argv[++i];
        else if (n_batches < 16 && strtol(argv[i], NULL, 10) > 0)
            batches[n_batches++] = (int)strtol(argv[i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_cpu [--data DIR] [--epochs N] [--optimizer sgd|adam] "
                            "[--kernel K] [BATCH ...] | --sgemm N [--kernel K]\n");
            return 2;
        }
    }
    char err[512];
    if (cpu_kernel_apply(kernel, err, sizeof err) != 0) { /* may restart this program */
        fprintf(stderr, "bench_cpu: %s\n", err);
        return 2;
    }
    if (sgemm > 0) {
        printf("sgemm %d gflops %.1f kernel %s best %s\n", sgemm, sgemm_rate(sgemm),
               cpu_kernel_active(), cpu_kernel_name(cpu_kernel_best()));
        return 0;
    }
    if (n_batches == 0) {
        batches[0] = 128, batches[1] = 1024, batches[2] = 4096;
        n_batches = 3;
    }

    dataset d = {0};
    data_settings ds = {0};
    snprintf(ds.dir, sizeof ds.dir, "%s", dir);
    if (data_load(&d, &ds, err, sizeof err) != 0) {
        fprintf(stderr, "bench_cpu: %s\n", err);
        return 2;
    }

    model_settings ms = {.n_hidden = 3, .hidden = {128, 128, 128},
                         .activation = ACTIVATION_LEAKY_RELU};
    backend_config cfg = {0};
    model_shape_init(&cfg.shape, &ms);
    cfg.data = &d;
    /* The notebook's optimizers: SGD with momentum 0.9, or Adam with PyTorch's defaults. */
    if (!strcmp(opt, "adam"))
        cfg.optim = (optim_settings){.kind = OPTIM_ADAM, .lr = 1e-3, .beta1 = 0.9,
                                     .beta2 = 0.999, .eps = 1e-8};
    else
        cfg.optim = (optim_settings){.kind = OPTIM_SGD, .lr = 0.01, .momentum = 0.9};

    char device[256] = "";
    for (int i = 0; pack > 0 && i < n_batches; i++) {
        cfg.batch_size = batches[i];
        double packed, serial;
        measure_pack(&cfg, pack, epochs, &packed, &serial);
        printf("pack %d runs %d packed %.4f serial %.4f gflop %.2f\n", batches[i], pack, packed,
               serial, model_flops(&cfg.shape) * d.train.n * 1e-9);
        fflush(stdout);
    }
    for (int i = 0; pack == 0 && i < n_batches; i++) {
        cfg.batch_size = batches[i];
        double ours, floor;
        measure(&cfg, epochs, &ours, &floor, device, sizeof device);
        printf("batch %d optsweep %.4f floor %.4f gflop %.2f\n", batches[i], ours, floor,
               model_flops(&cfg.shape) * d.train.n * 1e-9);
        fflush(stdout);
    }
    fprintf(stderr, "bench_cpu: device %s\n", device);
    data_free(&d);
    return 0;
}
