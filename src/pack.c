/* pack.c — grouping a plan's runs into packs (pack.h): which runs may train together, how
 * many fit, and the partition the runner trains and `optsweep plan` shows. */
#include "pack.h"

#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "data.h"
#include "model.h"
#include "optim.h"

int pack_compatible(const run_settings *a, const run_settings *b)
{
    const model_settings *ma = &a->model, *mb = &b->model;
    const data_settings *da = &a->data, *db = &b->data;
    return ma->n_hidden == mb->n_hidden
           && memcmp(ma->hidden, mb->hidden, sizeof(int) * (size_t)ma->n_hidden) == 0
           && ma->activation == mb->activation && a->train.batch_size == b->train.batch_size
           && a->train.precision == b->train.precision && a->train.pack == b->train.pack
           && data_same_load(da, db) && da->normalize == db->normalize
           && (!da->normalize || (da->mean == db->mean && da->std == db->std));
}

size_t pack_run_bytes(const run_settings *s)
{
    model_shape shape;
    model_shape_init(&shape, &s->model);
    const size_t slots = (size_t)optim_state_slots(&s->optim);
    size_t widths = 0;
    for (int k = 1; k <= shape.n_layers; k++)
        widths += (size_t)shape.sizes[k];
    /* params, grads, state; act[1..L] and delta[0..L-1] of a batch */
    return sizeof(float) * ((2 + slots) * shape.n_params
                            + 2 * (size_t)s->train.batch_size * widths);
}

int pack_limit(const run_settings *s, int on_gpu)
{
    if (s->train.pack >= 1) return s->train.pack; /* off is 1 */
    const size_t budget = on_gpu ? PACK_GPU_BUDGET : PACK_CPU_BUDGET;
    const size_t per_run = pack_run_bytes(s);
    size_t n = per_run ? budget / per_run : PACK_AUTO_MAX;
    if (n > PACK_AUTO_MAX) n = PACK_AUTO_MAX;
    return n < 1 ? 1 : (int)n;
}

/* Runs in groups of compatible runs (pack_compatible, and the same backend), in plan order
 * inside each: sorting by (group key, plan position) keeps pack_partition near-linear on
 * sweeps of many thousand runs. */
typedef struct {
    const plan *p;
    const unsigned char *on_gpu;
    int i;
} run_ref;

static int compare_compat(const run_settings *a, const run_settings *b)
{
    /* an order consistent with pack_compatible: equal exactly when compatible */
    const model_settings *ma = &a->model, *mb = &b->model;
    const data_settings *da = &a->data, *db = &b->data;
#define CMP(x, y) do { if ((x) != (y)) return (x) < (y) ? -1 : 1; } while (0)
    CMP(ma->n_hidden, mb->n_hidden);
    for (int k = 0; k < ma->n_hidden; k++) CMP(ma->hidden[k], mb->hidden[k]);
    CMP((int)ma->activation, (int)mb->activation);
    CMP(a->train.batch_size, b->train.batch_size);
    CMP((int)a->train.precision, (int)b->train.precision);
    CMP(a->train.pack, b->train.pack);
    CMP((int)da->dataset, (int)db->dataset);
    int c = strcmp(da->dir, db->dir);
    if (c) return c;
    CMP(da->train_limit, db->train_limit);
    CMP(da->val_from_test, db->val_from_test);
    CMP(da->val_from_train, db->val_from_train);
    CMP(da->split_seed, db->split_seed);
    CMP(da->normalize, db->normalize);
    if (da->normalize) {
        CMP(da->mean, db->mean);
        CMP(da->std, db->std);
    }
#undef CMP
    return 0;
}

static int by_group(const void *x, const void *y)
{
    const run_ref *a = x, *b = y;
    const int ga = a->on_gpu ? a->on_gpu[a->i] : 0, gb = b->on_gpu ? b->on_gpu[b->i] : 0;
    if (ga != gb) return ga < gb ? -1 : 1;
    int c = compare_compat(&a->p->runs[a->i].settings, &b->p->runs[b->i].settings);
    if (c) return c;
    return a->i < b->i ? -1 : a->i > b->i;
}

static int by_int(const void *x, const void *y)
{
    const int a = *(const int *)x, b = *(const int *)y;
    return a < b ? -1 : a > b;
}

void pack_backends(const plan *p, int backend_override, unsigned char *on_gpu)
{
    const int gpu_here = backend_cuda_available(); /* asked once: it probes the driver */
    for (int i = 0; i < p->n_runs; i++) {
        const backend_kind kind = backend_override >= 0 ? (backend_kind)backend_override
                                                        : p->runs[i].settings.train.backend;
        on_gpu[i] = kind == BACKEND_CUDA || (kind == BACKEND_AUTO && gpu_here);
    }
}

int pack_partition(const plan *p, const unsigned char *on_gpu, int jobs, int *pack_of)
{
    const int n = p->n_runs;
    run_ref *r = xmalloc(sizeof *r * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        r[i] = (run_ref){p, on_gpu, i};
    qsort(r, (size_t)n, sizeof *r, by_group);
    /* each group in plan order, cut into packs: a pack starts at the group's first run not yet
     * in one, up to pack_limit of that run (and an even share between --jobs workers) */
    int packs = 0;
    for (int g = 0; g < n;) {
        int end = g + 1;
        while (end < n && (r[end].on_gpu ? r[end].on_gpu[r[end].i] : 0) ==
                              (r[g].on_gpu ? r[g].on_gpu[r[g].i] : 0) &&
               compare_compat(&p->runs[r[g].i].settings, &p->runs[r[end].i].settings) == 0)
            end++;
        for (int at = g; at < end;) {
            const run_settings *s = &p->runs[r[at].i].settings;
            int limit = pack_limit(s, r[at].on_gpu ? r[at].on_gpu[r[at].i] : 0);
            if (jobs > 1) {
                const int left = end - at, share = (left + jobs - 1) / jobs;
                if (share < limit) limit = share;
            }
            for (int k = 0; k < limit && at < end; k++, at++)
                pack_of[r[at].i] = packs; /* numbered again below */
            packs++;
        }
        g = end;
    }
    /* packs numbered by their first run in plan order */
    int *smallest = xmalloc(sizeof(int) * (size_t)(packs ? packs : 1));
    for (int k = 0; k < packs; k++) smallest[k] = n;
    for (int i = 0; i < n; i++)
        if (i < smallest[pack_of[i]]) smallest[pack_of[i]] = i;
    int *order = xmalloc(sizeof(int) * (size_t)(packs ? packs : 1) * 2);
    for (int k = 0; k < packs; k++) {
        order[2 * k] = smallest[k];
        order[2 * k + 1] = k;
    }
    qsort(order, (size_t)packs, 2 * sizeof(int), by_int); /* by smallest (first int) */
    int *renum = xmalloc(sizeof(int) * (size_t)(packs ? packs : 1));
    for (int k = 0; k < packs; k++) renum[order[2 * k + 1]] = k;
    for (int i = 0; i < n; i++) pack_of[i] = renum[pack_of[i]];
    free(renum);
    free(order);
    free(smallest);
    free(r);
    return packs;
}
