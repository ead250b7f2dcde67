/* plan_time.c — how long each run of a plan should take to train, for `optsweep plan`: the
 * seconds per step of finished runs with the same model, batch size, training data and
 * backend stored in the sweep's results folder, else a short calibration (two steps on
 * synthetic images on the backend the run would use).  Validation and test time are left
 * out.  An estimate, and shown as one. */
#include "plan_time.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "model.h"
#include "progress.h"
#include "store.h"

#define CALIBRATION_BUDGET 2.0 /* seconds of calibration per plan at most */

/* The settings a step's time depends on: runs with the same key (these settings as text,
 * and the backend) train as fast. */
static const char *const time_keys[] = {"model.hidden", "model.activation", "data.dataset",
                                        "train.batch_size", "data.train_limit",
                                        "data.val_from_train"};
#define N_TIME_KEYS (sizeof time_keys / sizeof time_keys[0])

static void plan_key(const run_settings *s, const char *backend, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "%s", backend);
    for (size_t k = 0; k < N_TIME_KEYS && used < n; k++) {
        char v[256];
        settings_format(s, settings_find_key(time_keys[k]), v, sizeof v);
        used += (size_t)snprintf(buf + used, n - used, " %s", v);
    }
}

/* The same key from a run file's settings; 0, or -1 when one is missing. */
static int stored_key(const store_run_log *log, char *buf, size_t n)
{
    size_t used = (size_t)snprintf(buf, n, "%s", log->backend);
    for (size_t k = 0; k < N_TIME_KEYS && used < n; k++) {
        const store_setting *v = store_run_log_setting(log, time_keys[k]);
        if (!v) return -1;
        used += (size_t)snprintf(buf + used, n - used, " %s", v->text);
    }
    return 0;
}

typedef struct {
    char key[512];
    double step_seconds; /* NAN: not known yet */
    int from_store;      /* 1: measured on stored runs, 0: calibrated here */
} timing;

/* Seconds per step of a stored run: its mean epoch time over its steps per epoch. */
static double stored_step_seconds(const store_run_log *log, long steps_per_epoch)
{
    if (log->n_epochs <= 0 || steps_per_epoch <= 0) return NAN;
    double sum = 0;
    for (int e = 0; e < log->n_epochs; e++)
        sum += log->epoch_seconds[e];
    return sum / log->n_epochs / (double)steps_per_epoch;
}

/* Step times of the finished runs stored in sweep_dir/runs, by time_key. */
static int read_stored(const char *sweep_dir, timing **t, int *n)
{
    char runs_dir[4096];
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", sweep_dir);
    DIR *d = opendir(runs_dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".h5") != 0) continue;
        char path[8192], err[512];
        snprintf(path, sizeof path, "%s/%s", runs_dir, e->d_name);
        store_run_log log;
        if (store_read_run(path, &log, err, sizeof err) != 0) continue;
        char key[512];
        const store_setting *batch = store_run_log_setting(&log, "train.batch_size");
        const long b = batch ? strtol(batch->text, NULL, 10) : 0;
        const long steps = b > 0 && log.n_images[0] > 0 ? (log.n_images[0] + b - 1) / b : 0;
        const double per_step = stored_step_seconds(&log, steps);
        const int ok = stored_key(&log, key, sizeof key) == 0;
        store_run_log_free(&log);
        if (!ok || !isfinite(per_step)) continue;
        int j = 0;
        while (j < *n && strcmp((*t)[j].key, key) != 0) j++;
        if (j == *n) {
            *t = xrealloc(*t, sizeof **t * (size_t)(*n + 1));
            (*t)[j] = (timing){.step_seconds = 0, .from_store = 0};
            snprintf((*t)[j].key, sizeof (*t)[j].key, "%s", key);
            (*n)++;
        }
        /* a running mean over the stored runs of that key */
        (*t)[j].from_store++;
        (*t)[j].step_seconds += (per_step - (*t)[j].step_seconds) / (*t)[j].from_store;
        found++;
    }
    closedir(d);
    return found;
}

/* Seconds per step of s on `kind`, from two steps on synthetic images (after one untimed);
 * NaN for a run this machine cannot hold, or whose steps are too big to try in passing
 * (more than about a second each). */
static double calibrate(const run_settings *s, backend_kind kind)
{
    char why[256];
    model_shape shape;
    model_shape_init(&shape, &s->model);
    if (plan_run_fits(s, why, sizeof why) != 0
        || 6.0 * (double)shape.n_params * s->train.batch_size > 5e10)
        return NAN;
    const int batch = s->train.batch_size, rows = batch < 4096 ? 2 * batch : batch;
    dataset d = {0};
    d.storage = xcalloc((size_t)rows * (DATA_DIM + 1) + 1, 1);
    for (size_t i = 0; i < (size_t)rows * DATA_DIM; i++)
        d.storage[i] = (uint8_t)((i * 2654435761u) >> 24);
    d.train = (data_split){d.storage, d.storage + (size_t)rows * DATA_DIM, rows, DATA_DIM};
    backend_config cfg = backend_config_from_settings(s, &d);
    char err[512];
    backend *b = backend_create(kind, &cfg, err, sizeof err);
    double per_step = NAN;
    if (b && b->ops->init_params(b, 0) == 0) {
        long step = 0;
        double loss, best = INFINITY;
        const long steps = (rows + batch - 1) / batch;
        for (int e = 0; e < 3; e++) {
            const double t0 = progress_now();
            if (b->ops->train_epoch(b, 0, e, s->optim.lr, &step, &loss) != 0) break;
            const double t = progress_now() - t0;
            if (e > 0 && t < best) best = t;
        }
        if (isfinite(best)) per_step = best / (double)steps;
    }
    if (b) backend_free(b);
    free(d.storage);
    return per_step;
}

int plan_time_estimate(const plan *p, const char *sweep_dir, double *seconds, char *how,
                       size_t n)
{
    timing *t = NULL;
    int n_t = 0, calibrated = 0;
    /* calibration stops after CALIBRATION_BUDGET seconds: a sweep over thousands of batch
     * sizes gets "?" for the rest rather than a plan that takes minutes */
    const double t_start = progress_now();
    const int stored = read_stored(sweep_dir, &t, &n_t);
    const int gpu_here = backend_cuda_available();
    for (int i = 0; i < p->n_runs; i++) {
        const run_settings *s = &p->runs[i].settings;
        const backend_kind kind = s->train.backend == BACKEND_AUTO
                                      ? (gpu_here ? BACKEND_CUDA : BACKEND_CPU)
                                      : s->train.backend;
        char key[512];
        plan_key(s, kind == BACKEND_CUDA ? "cuda" : "cpu", key, sizeof key);
        int j = 0;
        while (j < n_t && strcmp(t[j].key, key) != 0) j++;
        if (j == n_t) {
            t = xrealloc(t, sizeof *t * (size_t)(n_t + 1));
            const int in_budget = progress_now() - t_start < CALIBRATION_BUDGET;
            t[j] = (timing){.step_seconds = in_budget ? calibrate(s, kind) : NAN,
                            .from_store = 0};
            snprintf(t[j].key, sizeof t[j].key, "%s", key);
            n_t++;
            calibrated++;
        }
        seconds[i] = t[j].step_seconds * (double)p->runs[i].cost;
    }
    snprintf(how, n, "%s%s%s", stored ? "from the runs stored in " : "",
             stored ? sweep_dir : "",
             calibrated ? (stored ? ", and calibrated here" : "calibrated here (two steps on "
                                                              "synthetic images per model and "
                                                              "batch size)") : "");
    free(t);
    return 0;
}
