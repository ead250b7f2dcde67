/* pack.c — grouping a plan's runs into packs (pack.h): which runs may train together, how
 * many fit, and the partition the runner trains and `optsweep plan` shows. */
#include "pack.h"

#include <string.h>

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

int pack_partition(const plan *p, const unsigned char *on_gpu, int jobs, int *pack_of)
{
    const int n = p->n_runs;
    for (int i = 0; i < n; i++)
        pack_of[i] = -1;
    int packs = 0;
    for (int i = 0; i < n; i++) {
        if (pack_of[i] >= 0) continue;
        const run_settings *s = &p->runs[i].settings;
        const int gpu = on_gpu ? on_gpu[i] : 0;
        int limit = pack_limit(s, gpu);
        if (jobs > 1) {
            int left = 0; /* compatible runs not yet in a pack, this one included */
            for (int j = i; j < n; j++)
                left += pack_of[j] < 0 && (on_gpu ? on_gpu[j] : 0) == gpu
                        && pack_compatible(s, &p->runs[j].settings);
            const int share = (left + jobs - 1) / jobs;
            if (share < limit) limit = share;
        }
        int size = 0;
        for (int j = i; j < n && size < limit; j++) {
            if (pack_of[j] >= 0 || (on_gpu ? on_gpu[j] : 0) != gpu
                || !pack_compatible(s, &p->runs[j].settings))
                continue;
            pack_of[j] = packs;
            size++;
        }
        packs++;
    }
    return packs;
}
