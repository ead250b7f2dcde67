/* report_plots_band.c — the overlays of validation loss and accuracy with seeds folded: one
 * curve per setting (seed group) at the mean over its seeds, with a band from mean − std to
 * mean + std (clipped to the seeds' own range), at most REPORT_TOP_SETTINGS settings, the
 * best by the ranking.  report_plot_overlays (report_plots.c) draws these instead of one line
 * per run when seeds vary or the sweep is past REPORT_SCALE_RUNS runs. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define BAND_LABEL 160
#define BAND_LABEL_MAX 48 /* longest legend label, in bytes */

typedef struct {
    double *epoch, *mean, *lo, *hi; // (n)
    size_t *count;                  // (n) seeds with a value at that epoch
    size_t n;
} band;

static void band_free(band *b)
{
    free(b->epoch);
    free(b->mean);
    free(b->lo);
    free(b->hi);
    free(b->count);
    memset(b, 0, sizeof *b);
}

/* The value of run r at validation epoch e (NaN when it has none there, or one a log axis
 * cannot show). */
static double value_at(const report_run *r, int loss, double e, int positive_only)
{
    const report_series *y = loss ? &r->val_loss : &r->val_acc;
    for (size_t v = 0; v < r->val_epoch.n && v < y->n; v++)
        if (r->val_epoch.v[v] == e)
            return isfinite(y->v[v]) && (!positive_only || y->v[v] > 0) ? y->v[v] : NAN;
    return NAN;
}

/* The band of the runs `runs` (n): every validation epoch any of them has. */
static void band_of(const report_sweep *s, const size_t *runs, size_t n, int loss, band *b)
{
    memset(b, 0, sizeof *b);
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) cap += s->runs[runs[i]].val_epoch.n;
    double *all = xcalloc(cap ? cap : 1, sizeof *all);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t v = 0; v < s->runs[runs[i]].val_epoch.n; v++)
            all[m++] = s->runs[runs[i]].val_epoch.v[v];
    qsort(all, m, sizeof *all, report_compare_doubles);
    b->epoch = xcalloc(m ? m : 1, sizeof *b->epoch);
    b->mean = xcalloc(m ? m : 1, sizeof *b->mean);
    b->lo = xcalloc(m ? m : 1, sizeof *b->lo);
    b->hi = xcalloc(m ? m : 1, sizeof *b->hi);
    b->count = xcalloc(m ? m : 1, sizeof *b->count);
    double *x = xcalloc(n ? n : 1, sizeof *x);
    for (size_t k = 0; k < m; k++) {
        if (k && all[k] == all[k - 1]) continue;
        double lo = INFINITY, hi = -INFINITY, mean, sd;
        for (size_t i = 0; i < n; i++) {
            x[i] = value_at(&s->runs[runs[i]], loss, all[k], loss);
            if (isfinite(x[i])) lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
        }
        size_t c = report_mean_std(x, n, &mean, &sd);
        if (c == 0) continue;
        if (c == 1) sd = 0;
        b->epoch[b->n] = all[k];
        b->mean[b->n] = mean;
        b->lo[b->n] = fmax(mean - sd, lo);
        b->hi[b->n] = fmin(mean + sd, hi);
        b->count[b->n] = c;
        b->n++;
    }
    free(x);
    free(all);
}

/* The runs of a group that ended well (a diverged seed's loss would drag the mean off the
 * plot; the Problems section names it); *n set. */
static size_t *good_members(const report_sweep *s, const report_group *g, size_t *n)
{
    size_t *m = xcalloc(g->n, sizeof *m);
    *n = 0;
    for (size_t i = 0; i < g->n; i++)
        if (report_status_rank(&s->runs[g->members[i]]) == 0) m[(*n)++] = g->members[i];
    return m;
}

typedef struct {
    const char *base, *what, *title, *ylabel, *caption;
    int loss; /* 1 validation loss (log axis), 0 validation accuracy */
} band_spec;

static int band_figure(const report_sweep *s, const report_swept *w, const report_group *g,
                       size_t ng, const band_spec *spec, const char *dir, report_figures *figs)
{
    band *b = xcalloc(REPORT_TOP_SETTINGS, sizeof *b);
    size_t *idx = xcalloc(REPORT_TOP_SETTINGS, sizeof *idx); /* drawn band -> group rank */
    size_t nb = 0, candidates = 0, max_seeds = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < ng; k++) {
        size_t n;
        size_t *m = good_members(s, &g[k], &n);
        band one;
        band_of(s, m, n, spec->loss, &one);
        free(m);
        if (one.n == 0) {
            band_free(&one);
            continue;
        }
        candidates++;
        if (nb == REPORT_TOP_SETTINGS) {
            band_free(&one);
            continue;
        }
        for (size_t e = 0; e < one.n; e++) {
            lo = fmin(lo, one.lo[e]);
            hi = fmax(hi, one.hi[e]);
            if (one.count[e] > max_seeds) max_seeds = one.count[e];
        }
        idx[nb] = k;
        b[nb++] = one;
    }
    int rc = 0;
    if (nb == 0) goto out;
    FILE *f = report_open_in(dir, spec->base, ".dat");
    if (!f) {
        rc = 1;
        goto out;
    }
    char (*label)[BAND_LABEL] = xcalloc(nb, sizeof *label);
    fprintf(f, "# %s, one block per setting (gnuplot: index k), seeds folded\n"
               "# val_epoch mean lo hi seeds   (lo, hi: mean -/+ sample std, clipped to the "
               "seeds' range)\n", spec->what);
    for (size_t k = 0; k < nb; k++) {
        const report_group *gr = &g[idx[k]];
        report_run_label(s, w, gr->members[0], 0, label[k], BAND_LABEL, BAND_LABEL_MAX);
        if (w->seeds_vary) {
            size_t len = strlen(label[k]);
            snprintf(label[k] + len, BAND_LABEL - len, " (%zu seed%s)", gr->n,
                     gr->n == 1 ? "" : "s");
        }
        fprintf(f, "%s# block %zu: ", k ? "\n\n" : "", k);
        for (const char *c = label[k]; *c; c++) fputc(*c == '\n' || *c == '\r' ? ' ' : *c, f);
        fputc('\n', f);
        for (size_t e = 0; e < b[k].n; e++)
            fprintf(f, "%.0f %.9g %.9g %.9g %zu\n", b[k].epoch[e], b[k].mean[e], b[k].lo[e],
                    b[k].hi[e], b[k].count[e]);
    }
    rc = report_close(f, dir, spec->base, ".dat");
    f = rc ? NULL : report_open_in(dir, spec->base, ".gp");
    if (f) {
        size_t longest = 1;
        for (size_t k = 0; k < nb; k++)
            if (strlen(label[k]) > longest) longest = strlen(label[k]);
        const int width = 720 + 8 * (int)longest + 90, height = 540;
        report_gp_begin(f, spec->base, spec->what, width, height);
        char title[768];
        size_t len = (size_t)snprintf(title, sizeof title, "%s: sweep %s, %zu setting%s%s",
                                      spec->title, s->name, nb, nb == 1 ? "" : "s",
                                      max_seeds > 1 ? ", mean over seeds, band ± std" : "");
        if (nb < candidates && len < sizeof title)
            snprintf(title + len, sizeof title - len, "\nthe best %zu of %zu settings by %s "
                     "(runs.csv has every run)", nb, candidates,
                     report_rank_metric_name(report_rank_metric_of(s)));
        fputs("set title ", f);
        report_gp_string(f, title);
        fputs("\nset xlabel 'epoch'\nset ylabel ", f);
        char ylabel[160];
        snprintf(ylabel, sizeof ylabel, "%s%s", spec->ylabel, spec->loss ? " (log scale)" : "");
        report_gp_string(f, ylabel);
        fputc('\n', f);
        if (spec->loss) {
            /* fitted to the bands, not to the next decades */
            fprintf(f, "set logscale y\nset format y '%%g'\nset yrange [%.6g:%.6g]\n", lo / 1.1,
                    hi * 1.1);
            report_gp_log_tics(f, lo / 1.1, hi * 1.1);
        } else {
            fputs("set offsets 0, 0, graph 0.03, graph 0.03\n", f);
        }
        fputs("set xrange [0:*]\n", f);
        double last = 0;
        for (size_t k = 0; k < nb; k++) last = fmax(last, b[k].epoch[b[k].n - 1]);
        if (last <= 10) fputs("set xtics 1\n", f); /* whole epochs */
        fputs("set key outside right top vertical Left reverse samplen 3 spacing 1.1 width 2\n",
              f);
        fputs("plot \\\n", f);
        for (size_t k = 0; k < nb; k++) {
            /* colour and dash by the setting's rank: the same setting looks the same in
             * every folded figure */
            const char *colour = report_gp_colour(idx[k]);
            const int dash = 1 + (int)(idx[k] / 10) % 5;
            fprintf(f, "  '%s.dat' index %zu using 1:3:4 with filledcurves fc rgb '%s' "
                       "fs transparent solid 0.18 noborder notitle, \\\n", spec->base, k, colour);
            fprintf(f, "  '%s.dat' index %zu using 1:2 with lines lc rgb '%s' lw 2 dt %d "
                       "title ", spec->base, k, colour, dash);
            report_gp_string(f, label[k]);
            fputs(k + 1 < nb ? ", \\\n" : "\n", f);
        }
        report_gp_end(f, spec->base, width, height);
        rc = report_close(f, dir, spec->base, ".gp");
    } else {
        rc = 1;
    }
    if (rc == 0) report_figures_add(figs, spec->base, spec->caption, -1);
    free(label);
out:
    for (size_t k = 0; k < nb; k++) band_free(&b[k]);
    free(b);
    free(idx);
    return rc;
}

int report_plot_bands(const report_sweep *s, const report_swept *w, const char *dir,
                      report_figures *figs)
{
    report_group *g;
    size_t ng;
    report_group_by_seed(s, &g, &ng);
    const band_spec loss = {
        .base = "val_loss", .what = "validation loss of each setting against epoch",
        .title = "Validation loss", .ylabel = "validation loss (cross-entropy)", .loss = 1,
        .caption = "Validation loss of the best settings, mean ± std over seeds (log scale)"};
    const band_spec acc = {
        .base = "val_acc", .what = "validation accuracy of each setting against epoch",
        .title = "Validation accuracy", .ylabel = "validation accuracy", .loss = 0,
        .caption = "Validation accuracy of the best settings, mean ± std over seeds"};
    int rc = band_figure(s, w, g, ng, &loss, dir, figs);
    rc |= band_figure(s, w, g, ng, &acc, dir, figs);
    report_groups_free(g, ng);
    return rc;
}
