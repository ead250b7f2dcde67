/* backend.c — picks a backend (backend.h) for a run: `cpu`, `cuda`, or `auto` (the GPU when
 * one is usable, else the CPU), and frees one.  The backends themselves live in
 * backend_cpu.c and cuda/. */
#include "backend.h"

#include <stdio.h>

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
        .data = d,
    };
    model_shape_init(&cfg.shape, &s->model);
    return cfg;
}
