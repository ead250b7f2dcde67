/* halving.c — the arithmetic of successive halving and Hyperband (halving.h): rung epochs,
 * brackets, promotions, budget.  Pure functions of their arguments, so that every process of
 * a sweep (workers, shards, SLURM tasks) reaches the same decisions from the same files. */
#include "halving.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int halving_rungs(const config_halving *h, int R, int b, int *epochs)
{
    int n = 0;
    long e = h->min_epochs;
    for (int k = 0; k < b && e < R; k++) e *= h->eta;
    if (e >= R && b > 0) return 0;
    for (; e < R && n < HALVING_MAX_RUNGS - 1; e *= h->eta) epochs[n++] = (int)e;
    epochs[n++] = R;
    return n;
}

int halving_n_brackets(const config_halving *h, int R)
{
    int epochs[HALVING_MAX_RUNGS];
    int b = 1;
    while (b < h->brackets && halving_rungs(h, R, b, epochs) > 0) b++;
    return b;
}

/* Li et al. (2018), Algorithm 1: bracket s (s halvings) starts n = ceil((s_max + 1) /
 * (s + 1) * eta^s) configurations.  reference: https://arxiv.org/abs/1603.06560 */
static double bracket_weight(const config_halving *h, int R, int b)
{
    int epochs[HALVING_MAX_RUNGS];
    const int s_max = halving_rungs(h, R, 0, epochs) - 1;
    const int s = halving_rungs(h, R, b, epochs) - 1;
    return ceil((double)(s_max + 1) / (s + 1) * pow(h->eta, s));
}

void halving_assign_brackets(const config_halving *h, int R, int n_runs, int *bracket_of)
{
    const int nb = halving_n_brackets(h, R);
    double w[HALVING_MAX_RUNGS], credit[HALVING_MAX_RUNGS], total = 0;
    for (int b = 0; b < nb; b++) {
        w[b] = bracket_weight(h, R, b);
        credit[b] = 0;
        total += w[b];
    }
    /* smooth weighted round robin (nginx's): deterministic, interleaved, proportional */
    for (int i = 0; i < n_runs; i++) {
        int best = 0;
        for (int b = 0; b < nb; b++) {
            credit[b] += w[b];
            if (credit[b] > credit[best]) best = b;
        }
        credit[best] -= total;
        bracket_of[i] = best;
    }
}

int halving_n_promoted(int n, int eta)
{
    return (n + eta - 1) / eta;
}

/* 1 when a ranks before b: reached before the rest; then the metric (NaN last); then the
 * run id */
static int entry_before(const halving_entry *a, const halving_entry *b, halving_metric m)
{
    const int ra = a->state == HALVING_REACHED, rb = b->state == HALVING_REACHED;
    if (ra != rb) return ra;
    if (ra) {
        const int na = isnan(a->metric) != 0, nb = isnan(b->metric) != 0;
        if (na != nb) return nb;
        if (!na && a->metric != b->metric)
            return m == HALVING_VAL_ACC ? a->metric > b->metric : a->metric < b->metric;
    }
    return strcmp(a->id, b->id) < 0;
}

void halving_rank(const halving_entry *entries, int n, halving_metric m, int *order)
{
    /* insertion sort: a rung holds few runs, and it is stable and needs no global */
    for (int k = 0; k < n; k++) {
        int j = k;
        while (j > 0 && entry_before(&entries[k], &entries[order[j - 1]], m)) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
}

int halving_promote(const halving_entry *entries, int n, const config_halving *h,
                    unsigned char *promoted)
{
    int *order = xmalloc(sizeof *order * (size_t)(n > 0 ? n : 1));
    halving_rank(entries, n, h->metric, order);
    memset(promoted, 0, (size_t)n);
    const int quota = halving_n_promoted(n, h->eta);
    int n_promoted = 0;
    for (int k = 0; k < n && n_promoted < quota; k++) {
        if (entries[order[k]].state != HALVING_REACHED) break;
        promoted[order[k]] = 1;
        n_promoted++;
    }
    free(order);
    return n_promoted;
}

double halving_bracket_budget(const config_halving *h, int R, int b, int n)
{
    int epochs[HALVING_MAX_RUNGS];
    const int nr = halving_rungs(h, R, b, epochs);
    double total = 0;
    int prev = 0;
    for (int k = 0; k < nr; k++) {
        total += (double)n * (epochs[k] - prev);
        prev = epochs[k];
        n = halving_n_promoted(n, h->eta);
    }
    return total;
}
