/* report_halving.c — the report's part for search.halving: the rung table (from
 * results/<sweep>/halving.tsv, store_read_halving) and the model-epochs trained in
 * summary.md, and a figure of the ranking metric against epochs trained for every run:
 * pruned runs in grey, the others in colour, a dashed line at each rung.  Epochs are counted
 * by position in a run's log (the k-th epoch trained), never by the stored epoch numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"
#include "store.h"

#define LABEL_LEN 160
#define LABEL_MAX 40

/* halving.tsv of the sweep: 0 with t filled, else nothing to show (a bad file is said) */
static int read_table(const report_sweep *s, store_halving *t)
{
    char err[STORE_PATH_LEN + 256];
    int rc = store_read_halving(s->dir, t, err, sizeof err);
    if (rc < 0) fprintf(stderr, "optsweep report: %s (no rung table)\n", err);
    return rc == 0 && t->n > 0 ? 0 : -1;
}

static int better(halving_metric m, double a, double b)
{
    if (isnan(b)) return !isnan(a);
    return m == HALVING_VAL_ACC ? a > b : a < b;
}

void report_write_halving(FILE *f, const report_sweep *s)
{
    store_halving t;
    if (read_table(s, &t) != 0) return;
    const char *metric = halving_metric_name(t.metric);
    fprintf(f, "## %s\n\n", t.brackets > 1 ? "Hyperband" : "Successive halving");
    fprintf(f, "Each rung promotes the best ⌈n/%d⌉ of the runs that reached it by %s (ties by "
               "run id); the others end there as `pruned`.  Runs from %d to %d epochs",
            t.eta, metric, t.min_epochs, t.max_epochs);
    if (t.brackets > 1) fprintf(f, ", %d brackets", t.brackets);
    double trained = 0;
    for (size_t i = 0; i < s->n_runs; i++) trained += (double)s->runs[i].epoch.n;
    const double all = (double)s->n_runs * t.max_epochs;
    if (all > 0)
        fprintf(f, "; %.0f model-epochs trained, %.1f %% of the %.0f of training these %zu "
                   "runs to the end", trained, 100 * trained / all, all, s->n_runs);
    fprintf(f, ".\n\n| bracket | rung | epoch | runs entering | reached it | promoted | "
               "best %s so far | run |\n|---:|---:|---:|---:|---:|---:|---:|---|\n", metric);
    double best = NAN;
    const char *best_run = "";
    for (int k = 0; k < t.n; k++) {
        const store_halving_row *w = &t.rows[k];
        if (k == 0 || w->bracket != t.rows[k - 1].bracket) {
            best = NAN;
            best_run = "";
        }
        if (w->best_run[0] && better(t.metric, w->best_metric, best)) {
            best = w->best_metric;
            best_run = w->best_run;
        }
        fprintf(f, "| %d | %d | %d | %d | %d | ", w->bracket + 1, w->rung, w->epoch,
                w->entering, w->reached);
        if (w->promoted || (k + 1 < t.n && t.rows[k + 1].bracket == w->bracket))
            fprintf(f, "%d", w->promoted);
        else
            fprintf(f, "— (the end)");
        if (best_run[0]) fprintf(f, " | %.6g | `%s` |\n", best, best_run);
        else fprintf(f, " | — | — |\n");
    }
    fprintf(f, "\n");
    store_halving_free(&t);
}

/* Writes run r's (epochs trained, metric) points as one block; returns how many. */
static size_t put_points(FILE *f, const report_run *r, halving_metric m)
{
    const report_series *v = m == HALVING_VAL_ACC ? &r->val_acc : &r->val_loss;
    size_t n = 0;
    for (size_t t = 0; t < r->val_epoch.n && t < v->n; t++) {
        size_t pos = 0;
        while (pos < r->epoch.n && r->epoch.v[pos] != r->val_epoch.v[t]) pos++;
        if (pos == r->epoch.n || !isfinite(v->v[t])) continue;
        if (m == HALVING_VAL_LOSS && !(v->v[t] > 0)) continue; /* log scale */
        fprintf(f, "%zu %.9g\n", pos + 1, v->v[t]);
        n++;
    }
    if (n) fprintf(f, "\n\n");
    return n;
}

/* The runs that reached the end named in the legend: the best ones, the rest drawn unnamed
 * (Hyperband ends many runs; dozens of legend lines would cover the figure). */
#define HALVING_NAMED 10

/* The top of a validation-loss axis: 20 times the median of every value drawn, when some
 * value is above that (a diverging run's loss of 1e8 would squash every other curve into
 * the bottom of the log axis); 0 when nothing needs cutting. */
static double loss_ceiling(const report_sweep *s)
{
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < s->n_runs; i++) cap += s->runs[i].val_loss.n;
    double *v = xcalloc(cap ? cap : 1, sizeof *v);
    for (size_t i = 0; i < s->n_runs; i++)
        for (size_t t = 0; t < s->runs[i].val_loss.n; t++) {
            const double x = s->runs[i].val_loss.v[t];
            if (isfinite(x) && x > 0) v[n++] = x;
        }
    double ceiling = 0;
    if (n > 0) {
        qsort(v, n, sizeof *v, report_compare_doubles);
        if (v[n - 1] > 20 * v[n / 2]) ceiling = 20 * v[n / 2];
    }
    free(v);
    return ceiling;
}

int report_plot_halving(const report_sweep *s, const report_swept *w, const char *dir,
                        report_figures *figs)
{
    store_halving t;
    if (read_table(s, &t) != 0) return 0;
    const char *base = "halving";
    FILE *f = report_open_in(dir, base, ".dat");
    if (!f) {
        store_halving_free(&t);
        return 1;
    }
    fprintf(f, "# %s against epochs trained, one block per run: the pruned runs first, then "
               "the others\n", halving_metric_name(t.metric));
    size_t *order = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *order);
    report_order_runs(s, order);
    size_t n_pruned = 0, n_other = 0;
    size_t *others = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *others);
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < s->n_runs; k++) {
            const report_run *r = &s->runs[order[k]];
            const int pruned = strcmp(r->status, "pruned") == 0;
            if (pruned != (pass == 0)) continue;
            if (put_points(f, r, t.metric) == 0) continue;
            if (pruned) n_pruned++;
            else others[n_other++] = order[k];
        }
    int rc = report_close(f, dir, base, ".dat");
    f = rc ? NULL : report_open_in(dir, base, ".gp");
    if (!f) rc = 1;
    if (f && n_pruned + n_other > 0) {
        report_gp_begin(f, base, "the halving metric of every run against epochs trained",
                        900, 560);
        char title[256];
        char named[96] = "";
        if (n_other > HALVING_NAMED)
            snprintf(named, sizeof named, "\nthe best %d of the %zu runs not pruned named",
                     HALVING_NAMED, n_other);
        snprintf(title, sizeof title, "%s: %s against epochs trained (grey: pruned at a rung; "
                 "dashed: rungs)%s", s->name, halving_metric_name(t.metric), named);
        fprintf(f, "set title ");
        report_gp_string(f, title);
        fprintf(f, "\nset xlabel 'epochs trained'\nset ylabel '%s'\n",
                halving_metric_name(t.metric));
        if (t.metric == HALVING_VAL_LOSS) {
            fprintf(f, "set logscale y\nset format y '%%g'\n");
            const double top = loss_ceiling(s);
            if (top > 0)
                fprintf(f, "set yrange [:%.6g]  # higher values (diverging runs) cut\n", top);
        }
        fprintf(f, "set xrange [0:%d]\nset key outside right top\n", t.max_epochs + 1);
        for (int k = 0; k < t.n; k++)
            fprintf(f, "set arrow from %d, graph 0 to %d, graph 1 nohead dt 2 lc rgb '#888888'\n",
                    t.rows[k].epoch, t.rows[k].epoch);
        fprintf(f, "plot ");
        const char *sep = "";
        if (n_pruned) {
            fprintf(f, "for [i=0:%zu] '%s.dat' index i using 1:2 with linespoints pt 7 ps 0.4 "
                       "lc rgb '#bbbbbb' title (i == 0 ? 'pruned' : '')", n_pruned - 1, base);
            sep = ", \\\n     ";
        }
        for (size_t j = 0; j < n_other; j++) {
            char label[LABEL_LEN + 16];
            report_run_label(s, w, others[j], 1, label, LABEL_LEN, LABEL_MAX);
            fprintf(f, "%s'%s.dat' index %zu using 1:2 with linespoints pt 7 ps 0.6 lc rgb '%s' ",
                    sep, base, n_pruned + j, report_gp_colour(j));
            if (j < HALVING_NAMED) {
                fprintf(f, "title ");
                report_gp_string(f, label);
            } else {
                fprintf(f, "notitle");
            }
            sep = ", \\\n     ";
        }
        fprintf(f, "\n");
        report_gp_end(f, base, 900, 560);
        rc = report_close(f, dir, base, ".gp");
        if (rc == 0)
            report_figures_add(figs, base, "Successive halving: the metric of every run against "
                               "epochs trained (grey: pruned)", -1);
    } else if (f) {
        rc = report_close(f, dir, base, ".gp");
    }
    free(order);
    free(others);
    store_halving_free(&t);
    return rc;
}
