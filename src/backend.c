/* backend.c — picks a backend (backend.h) for a run: `cpu`, `cuda`, or `auto` (the GPU when
 * one is usable, else the CPU), and frees one.  The backends themselves live in
 * backend_cpu.c and cuda/. */
#include "backend.h"

#include <stdio.h>
#include <string.h>

backend *backend_create(backend_kind kind, const backend_config *cfg, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    switch (kind) {
    case BACKEND_CPU:
        return backend_cpu_create(cfg, err, errlen);
    case BACKEND_CUDA:
        return backend_cuda_create(cfg, err, errlen);
    case BACKEND_AUTO:
        if (backend_cuda_available())
            return backend_cuda_create(cfg, err, errlen);
        return backend_cpu_create(cfg, err, errlen);
    }
    snprintf(err, errlen, "unknown backend kind %d", (int)kind);
    return NULL;
}

backend *backend_create_member(backend *first, const optim_settings *optim, const dataset *data,
                               char *err, size_t errlen)
{
    if (first->ops->create_member) return first->ops->create_member(first, optim, err, errlen);
    /* the generic way: a backend of its own over the same data */
    backend_config cfg = first->config;
    cfg.optim = *optim;
    cfg.data = data;
    backend_kind kind = strcmp(first->ops->name, "cuda") == 0 ? BACKEND_CUDA : BACKEND_CPU;
    return backend_create(kind, &cfg, err, errlen);
}

int backend_train_epochs(const backend_epoch_job *jobs, int n_jobs, int *failed)
{
    *failed = -1;
    if (n_jobs <= 0) return 0;
    const backend_ops *ops = jobs[0].b->ops;
    for (int j = 0; j < n_jobs; j++)
        jobs[j].b->error[0] = '\0';
    if (ops->train_epochs) {
        if (ops->train_epochs(jobs, n_jobs) == 0) return 0;
        for (int j = 0; j < n_jobs && *failed < 0; j++)
            if (jobs[j].b->error[0]) *failed = j;
        if (*failed < 0) *failed = 0;
        return -1;
    }
    /* the generic way: one after the other */
    for (int j = 0; j < n_jobs; j++) {
        const backend_epoch_job *job = &jobs[j];
        if (job->lr_steps || job->momentum_steps) {
            snprintf(job->b->error, sizeof job->b->error, "%s backend: no per-batch schedules",
                     job->b->ops->name);
            *failed = j;
            return -1;
        }
        if (job->b->ops->train_epoch(job->b, job->seed, job->epoch, job->lr, job->step,
                                     job->mean_loss) != 0) {
            *failed = j;
            return -1;
        }
    }
    return 0;
}

void backend_free(backend *b)
{
    if (b)
        b->ops->free(b);
}

backend_config backend_config_from_settings(const run_settings *s, const dataset *d)
{
    backend_config cfg = {
        .batch_size = s->train.batch_size, .optim = s->optim, .precision = s->train.precision,
        .normalize = s->data.normalize, .mean = (float)s->data.mean, .std = (float)s->data.std,
        .data = d, .train_rows = d ? d->train.n : 0,
    };
    model_shape_init(&cfg.shape, &s->model);
    return cfg;
}
