/* plan_halving.c — what search.halving asks of a plan's runs: every run trains R =
 * max_epochs (train.epochs when not given), so that a run promoted to the end is the same
 * run, with the same id and the same bits, as when trained straight through; and every run
 * has validation data, since promotions rank runs by their validation metric
 * (train.validation_freq is at least 1 already). */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "halving.h"
#include "plan.h"

void plan_halving_apply(const sweep *sw, run_settings *s)
{
    if (sw->search.has_halving && sw->search.halving.max_epochs > 0)
        s->train.epochs = sw->search.halving.max_epochs;
}

int plan_halving_check(const sweep *sw, const plan *p, config_diags *d)
{
    const config_search *se = &sw->search;
    if (!se->has_halving || p->n_runs == 0) return 0;
    const int before = d->n + d->n_dropped;
    const config_loc at = se->halving_loc;
    const int R = p->runs[0].settings.train.epochs;
    for (int i = 1; i < p->n_runs; i++)
        if (p->runs[i].settings.train.epochs != R) {
            config_error(d, at, "search.halving needs every run to train the same "
                         "train.epochs (R): run %d trains %d, run %d trains %d (set "
                         "search.halving.max_epochs)", 0, R, i,
                         p->runs[i].settings.train.epochs);
            break;
        }
    if (se->halving.min_epochs >= R)
        config_error(d, se->halving.min_epochs_loc.file ? se->halving.min_epochs_loc : at,
                     "search.halving.min_epochs (%d) must be less than the epochs every run "
                     "trains (%d): no rung before the end", se->halving.min_epochs, R);
    else if (halving_n_brackets(&se->halving, R) < se->halving.brackets)
        config_error(d, se->halving.brackets_loc.file ? se->halving.brackets_loc : at,
                     "search.halving.brackets (%d) is more than the %d that start below the "
                     "end (bracket b starts at min_epochs * eta^b = %d * %d^b < %d epochs)",
                     se->halving.brackets, halving_n_brackets(&se->halving, R),
                     se->halving.min_epochs, se->halving.eta, R);
    for (int i = 0; i < p->n_runs; i++) {
        const run_settings *s = &p->runs[i].settings;
        if (s->data.val_from_test > 0 || s->data.val_from_train > 0) continue;
        config_error(d, at, "search.halving ranks runs by %s, but run %d has no validation "
                     "data (set data.val_from_test or data.val_from_train)",
                     halving_metric_name(se->halving.metric), i);
        break;
    }
    return d->n + d->n_dropped > before ? -1 : 0;
}

/* "1, 3, 9, 27" */
static void print_rungs(const int *e, int n, FILE *f)
{
    for (int k = 0; k < n; k++) fprintf(f, "%s%d", k ? ", " : "", e[k]);
}

void plan_print_halving(const plan *p, FILE *f)
{
    const config_halving *h = &p->search.halving;
    if (!p->search.has_halving || p->n_runs == 0) return;
    const int R = p->runs[0].settings.train.epochs, n = p->n_runs;
    const int nb = halving_n_brackets(h, R);
    int *bracket = xmalloc(sizeof(int) * (size_t)n);
    halving_assign_brackets(h, R, n, bracket);
    int e[HALVING_MAX_RUNGS];
    double most = 0;
    for (int b = 0; b < nb; b++) {
        int m = 0;
        for (int i = 0; i < n; i++) m += bracket[i] == b;
        const int nr = halving_rungs(h, R, b, e);
        most += halving_bracket_budget(h, R, b, m);
        if (nb == 1) {
            fprintf(f, "halving (%s, eta %d): rungs at ", halving_metric_name(h->metric), h->eta);
        } else {
            if (b == 0) fprintf(f, "hyperband (%s, eta %d): %d brackets\n",
                                halving_metric_name(h->metric), h->eta, nb);
            fprintf(f, "  bracket %d: %d run%s, rungs at ", b + 1, m, m == 1 ? "" : "s");
        }
        print_rungs(e, nr, f);
        fputs(" epochs\n", f);
    }
    const double all = (double)n * R;
    fprintf(f, "%s: at most %.0f model-epochs against %.0f for every run to %d (%.1f %%)\n",
            nb == 1 ? "halving budget" : "hyperband budget", most, all, R, 100 * most / all);
    free(bracket);
}
