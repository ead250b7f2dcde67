/* bench_gpu.c — throughput of optsweep's CUDA backend on full MNIST (784-128-128-128-10,
 * LeakyReLU, SGD with momentum): epochs per second of one run at each batch size (after two
 * warm-up epochs), and the wall time of the notebook's run, 200 epochs at batch 4096 with
 * validation every 5 epochs and the final test (train_run, as `optsweep run` trains it).
 * With --pack M, instead: M runs (SGD with momentum, seeds 0..M-1 in turn over 4 seeds, so
 * that cohorts share batches) trained as one pack (backend_train_epochs), in model-epochs per
 * second, and the device memory each run takes.
 * Prints key=value lines that bench_gpu.sh reads; figures only, never a pass/fail.
 * usage: bench_gpu DATA_DIR [--epochs N] [--notebook-epochs N] [--batches B1,B2,...]
 *                           [--pack M] */
#include <cuda_runtime_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "data.h"
#include "model.h"
#include "progress.h"
#include "settings.h"
#include "train.h"

/* The notebook's model and optimizer (cell 14: SGD lr 1e-4, momentum 0.9), its split of the
 * test set into validation and test halves, validation every 5 epochs. */
static void notebook_settings(run_settings *s, const char *dir)
{
    settings_set_defaults(s);
    check_copy_string(s->data.dir, sizeof s->data.dir, dir);
    s->data.val_from_test = 0.5;
    s->model.n_hidden = 3;
    s->model.hidden[0] = s->model.hidden[1] = s->model.hidden[2] = 128;
    s->model.activation = ACTIVATION_LEAKY_RELU;
    s->optim.kind = OPTIM_SGD;
    s->optim.lr = 1e-4;
    s->optim.momentum = 0.9;
    s->train.epochs = 200;
    s->train.batch_size = 4096;
    s->train.validation_freq = 5;
    s->train.seed = 0;
    s->train.backend = BACKEND_CUDA;
}

static backend *make_backend(const run_settings *s, const dataset *d)
{
    char err[512];
    backend_config cfg = backend_config_from_settings(s, d);
    backend *b = backend_create(BACKEND_CUDA, &cfg, err, sizeof err);
    if (!b)
        fprintf(stderr, "bench_gpu: %s\n", err);
    else if (b->ops->init_params(b, s->train.seed) != 0) {
        fprintf(stderr, "bench_gpu: init: %s\n", b->error);
        backend_free(b);
        b = NULL;
    }
    return b;
}

/* Epochs per second of train_epoch at one batch size. */
static int bench_batch(const run_settings *base, const dataset *d, int batch, int epochs)
{
    run_settings s = *base;
    s.train.batch_size = batch;
    const double t_create = progress_now();
    backend *b = make_backend(&s, d);
    if (!b)
        return -1;
    const double create_s = progress_now() - t_create;
    long step = 0;
    double loss = 0.0;
    for (int e = 0; e < 2; e++) /* warm-up: first permutation, caches, clocks */
        if (b->ops->train_epoch(b, s.train.seed, e, s.optim.lr, &step, &loss) != 0)
            goto fail;
    const double t0 = progress_now();
    for (int e = 2; e < 2 + epochs; e++)
        if (b->ops->train_epoch(b, s.train.seed, e, s.optim.lr, &step, &loss) != 0)
            goto fail;
    const double secs = progress_now() - t0;
    printf("optsweep batch=%d epochs=%d seconds=%.4f epochs_per_s=%.2f ms_per_epoch=%.3f "
           "create_s=%.3f loss=%.6f\n", batch, epochs, secs, epochs / secs, 1e3 * secs / epochs,
           create_s, loss);
    backend_free(b);
    return 0;
fail:
    fprintf(stderr, "bench_gpu: batch %d: %s\n", batch, b->error);
    backend_free(b);
    return -1;
}

/* Model-epochs per second of a pack of m runs at one batch size. */
static int bench_pack(const run_settings *base, const dataset *d, int batch, int m, int epochs)
{
    run_settings s = *base;
    s.train.batch_size = batch;
    size_t free0 = 0, free1 = 0, total = 0;
    cudaMemGetInfo(&free0, &total);
    backend **b = xcalloc((size_t)m, sizeof *b);
    backend_epoch_job *jobs = xcalloc((size_t)m, sizeof *jobs);
    long *step = xcalloc((size_t)m, sizeof *step);
    double *loss = xcalloc((size_t)m, sizeof *loss);
    char err[512];
    int rc = -1, made = 0, failed = -1;
    for (; made < m; made++) {
        backend_config cfg = backend_config_from_settings(&s, d);
        b[made] = made == 0 ? backend_create(BACKEND_CUDA, &cfg, err, sizeof err)
                            : backend_create_member(b[0], &s.optim, d, err, sizeof err);
        if (!b[made] || b[made]->ops->init_params(b[made], (uint64_t)(made % 4)) != 0) {
            fprintf(stderr, "bench_gpu: pack member %d: %s\n", made, b[made] ? b[made]->error : err);
            if (b[made]) backend_free(b[made]);
            goto out;
        }
    }
    cudaMemGetInfo(&free1, &total);
    double t0 = 0;
    for (int e = 0; e < 2 + epochs; e++) { /* two warm-up epochs */
        if (e == 2) t0 = progress_now();
        for (int j = 0; j < m; j++)
            jobs[j] = (backend_epoch_job){b[j], (uint64_t)(j % 4), e, s.optim.lr, &step[j], &loss[j], NULL, NULL};
        if (backend_train_epochs(jobs, m, &failed) != 0) {
            fprintf(stderr, "bench_gpu: pack: %s\n", jobs[failed].b->error);
            goto out;
        }
    }
    const double secs = progress_now() - t0;
    printf("optsweep_pack batch=%d runs=%d epochs=%d seconds=%.4f model_epochs_per_s=%.2f "
           "mem_per_run_mb=%.1f loss=%.6f\n", batch, m, epochs, secs, (double)m * epochs / secs,
           (double)(free0 > free1 ? free0 - free1 : 0) / m / (1 << 20), loss[0]);
    rc = 0;
out:
    for (int j = made - 1; j >= 0; j--)
        backend_free(b[j]);
    free(b);
    free(jobs);
    free(step);
    free(loss);
    return rc;
}

/* The notebook's whole run through train_run. */
static int bench_notebook(const run_settings *base, const dataset *d, int epochs)
{
    run_settings s = *base;
    s.train.epochs = epochs;
    const double t_create = progress_now();
    backend *b = make_backend(&s, d);
    if (!b)
        return -1;
    const double create_s = progress_now() - t_create;
    train_state st;
    train_state_init(&st, s.train.epochs);
    const double t0 = progress_now();
    run_status rs = train_run(&s, b, &st, NULL);
    const double secs = progress_now() - t0;
    int rc = 0;
    if (rs != RUN_COMPLETED) {
        fprintf(stderr, "bench_gpu: notebook run ended %s: %s\n", run_status_name(rs), st.message);
        rc = -1;
    } else {
        printf("notebook epochs=%d batch=%d seconds=%.3f create_s=%.3f train_loss=%.5f "
               "test_acc=%.4f device=\"%s\"\n", epochs, s.train.batch_size, secs, create_s,
               st.train_loss[st.n_epochs - 1], st.test_acc, b->device_name);
    }
    train_state_free(&st);
    backend_free(b);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int epochs = 30, notebook_epochs = 200, pack = 0;
    int batches[8] = {1024, 4096}, n_batches = 2;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc) {
            epochs = (int)strtol(argv[++i], &end, 10);
            if (*end || epochs < 1)
                goto usage;
        } else if (strcmp(argv[i], "--pack") == 0 && i + 1 < argc) {
            pack = (int)strtol(argv[++i], &end, 10);
            if (*end || pack < 1)
                goto usage;
        } else if (strcmp(argv[i], "--notebook-epochs") == 0 && i + 1 < argc) {
            notebook_epochs = (int)strtol(argv[++i], &end, 10);
            if (*end || notebook_epochs < 0)
                goto usage;
        } else if (strcmp(argv[i], "--batches") == 0 && i + 1 < argc) {
            const char *p = argv[++i];
            n_batches = 0;
            while (*p && n_batches < 8) {
                batches[n_batches] = (int)strtol(p, &end, 10);
                if (end == p || batches[n_batches] < 1 || (*end && *end != ','))
                    goto usage;
                n_batches++;
                p = *end ? end + 1 : end;
            }
        } else if (!dir && argv[i][0] != '-') {
            dir = argv[i];
        } else {
            goto usage;
        }
    }
    if (!dir)
        goto usage;
    if (!backend_cuda_available()) {
        printf("skipped: no CUDA device\n");
        return 77;
    }
    run_settings s;
    notebook_settings(&s, dir);
    dataset d;
    char err[512];
    if (data_load(&d, &s.data, err, sizeof err) != 0) {
        fprintf(stderr, "bench_gpu: data: %s\n", err);
        return 2;
    }
    printf("data train=%d val=%d test=%d dir=%s\n", d.train.n, d.val.n, d.test.n, dir);
    int rc = 0;
    for (int i = 0; i < n_batches; i++)
        rc |= (pack > 0 ? bench_pack(&s, &d, batches[i], pack, epochs)
                        : bench_batch(&s, &d, batches[i], epochs)) != 0;
    if (notebook_epochs > 0 && pack == 0)
        rc |= bench_notebook(&s, &d, notebook_epochs) != 0;
    data_free(&d);
    return rc;
usage:
    fprintf(stderr, "usage: %s DATA_DIR [--epochs N] [--notebook-epochs N] [--batches B1,B2] "
            "[--pack M]\n", argv[0]);
    return 2;
}
