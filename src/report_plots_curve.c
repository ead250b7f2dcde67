/* report_plots_curve.c — the figure an optimizer study is made for: test accuracy against a
 * swept number (optimizer.lr on a log axis, momentum, ...), one line per configuration of the
 * other swept settings (case, optimizer, ...), each point the mean over seeds with a band of
 * ± one standard deviation.  One figure per numeric setting swept over at least
 * three values within a case; a sampled key (a search) gets a scatter plot instead
 * (report_plots_scatter.c). */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CURVE_MAX_LINES 12 /* the best lines: more would tangle (summary.md has every run) */
#define CURVE_LABEL 200

/* What names a line: the case and every swept setting but `key`, as "case a, momentum=0.9". */
static void line_label(const report_sweep *s, const report_swept *w, const report_run *r,
                       const char *key, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    if (w->cases_vary) used += (size_t)snprintf(buf, n, "%s", r->case_name);
    for (size_t k = 0; k < w->n && used < n; k++) {
        if (strcmp(w->keys[k], key) == 0) continue;
        if (w->cases_vary && !report_key_varies_within_a_case(s, w->keys[k])) continue;
        used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", used ? ", " : "",
                                 report_key_short(w->keys[k]),
                                 report_run_display(r, w->keys[k], "-"));
    }
    if (!buf[0]) snprintf(buf, n, "all runs");
}

typedef struct {
    char label[CURVE_LABEL];
    double *x, *mean, *sd; /* (n) points, sorted by x */
    size_t n;
    double best;           /* its best mean: lines are ranked by it */
    size_t case_index;     /* its case's colour (report_swept.cases) */
} curve;

static int by_best(const void *a, const void *b)
{
    double x = ((const curve *)a)->best, y = ((const curve *)b)->best;
    return x > y ? -1 : x < y;
}

/* The lines for `key` from the seed groups; returns how many. */
static size_t make_curves(const report_sweep *s, const report_swept *w, const char *key,
                          const report_group *g, size_t ng, curve **out)
{
    curve *c = NULL;
    size_t nc = 0;
    for (size_t k = 0; k < ng; k++) {
        const report_run *first = &s->runs[g[k].members[0]];
        const double x = report_run_number(first, key);
        double *acc = xcalloc(g[k].n, sizeof *acc), mean, sd;
        for (size_t i = 0; i < g[k].n; i++) {
            const report_run *r = &s->runs[g[k].members[i]];
            acc[i] = report_status_rank(r) == 0 ? r->test_acc : NAN;
        }
        const size_t finite = report_mean_std(acc, g[k].n, &mean, &sd);
        free(acc);
        if (!isfinite(x) || finite == 0) continue; /* diverged points are not drawn */
        char label[CURVE_LABEL];
        line_label(s, w, first, key, label, sizeof label);
        size_t j = 0;
        while (j < nc && strcmp(c[j].label, label) != 0) j++;
        if (j == nc) {
            c = xrealloc(c, sizeof *c * (nc + 1));
            memset(&c[nc], 0, sizeof *c);
            snprintf(c[nc].label, sizeof c[nc].label, "%s", label);
            c[nc].best = -INFINITY;
            c[nc].case_index = report_case_index(w, first->case_name);
            nc++;
        }
        curve *l = &c[j];
        l->x = xrealloc(l->x, sizeof(double) * (l->n + 1));
        l->mean = xrealloc(l->mean, sizeof(double) * (l->n + 1));
        l->sd = xrealloc(l->sd, sizeof(double) * (l->n + 1));
        size_t at = l->n; /* insertion by x */
        while (at > 0 && l->x[at - 1] > x) {
            l->x[at] = l->x[at - 1], l->mean[at] = l->mean[at - 1], l->sd[at] = l->sd[at - 1];
            at--;
        }
        l->x[at] = x, l->mean[at] = mean, l->sd[at] = finite > 1 ? sd : 0.0;
        l->n++;
        if (mean > l->best) l->best = mean;
    }
    qsort(c, nc, sizeof *c, by_best);
    *out = c;
    return nc;
}

static void free_curves(curve *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].x);
        free(c[i].mean);
        free(c[i].sd);
    }
    free(c);
}

/* One figure: test accuracy against key. */
static int plot_against(const report_sweep *s, const report_swept *w, const char *key,
                        const report_group *g, size_t ng, const char *dir,
                        report_figures *figs)
{
    curve *c;
    const size_t nc = make_curves(s, w, key, g, ng, &c);
    size_t shown = nc > CURVE_MAX_LINES ? CURVE_MAX_LINES : nc;
    double xlo = INFINITY, xhi = -INFINITY;
    size_t most = 0; /* the most points of a line: a curve needs three values of key */
    for (size_t i = 0; i < shown; i++) {
        for (size_t j = 0; j < c[i].n; j++) {
            xlo = fmin(xlo, c[i].x[j]);
            xhi = fmax(xhi, c[i].x[j]);
        }
        if (c[i].n > most) most = c[i].n;
    }
    if (shown == 0 || most < 3 || !(xhi > xlo)) {
        free_curves(c, nc);
        return 0; /* nothing to draw against */
    }
    char base[200];
    char *safe = report_safe_name(report_key_short(key));
    snprintf(base, sizeof base, "test_acc_vs_%s", safe);
    free(safe);
    FILE *f = report_open_in(dir, base, ".dat");
    int rc = f ? 0 : 1;
    if (f) {
        fprintf(f, "# test accuracy against %s: one block per line (mean over seeds, sample std)\n"
                   "# %s mean std\n", key, key);
        for (size_t i = 0; i < shown; i++) {
            fprintf(f, "%s# line %zu\n", i ? "\n\n" : "", i + 1);
            for (size_t j = 0; j < c[i].n; j++)
                fprintf(f, "%.9g %.9g %.9g\n", c[i].x[j], c[i].mean[j], c[i].sd[j]);
        }
        rc = report_close(f, dir, base, ".dat");
    }
    const int logx = xlo > 0 && xhi / xlo >= 10;
    f = rc ? NULL : report_open_in(dir, base, ".gp");
    if (f) {
        const int width = 820, height = 520;
        char what[256], title[512];
        snprintf(what, sizeof what, "test accuracy against %s", key);
        report_gp_begin(f, base, what, width, height);
        snprintf(title, sizeof title, "Test accuracy against %s: sweep %s%s%s", key, s->name,
                 w->seeds_vary ? " (mean ± std over seeds)" : "",
                 shown < nc ? " — the best lines" : "");
        fputs("set title ", f);
        report_gp_string(f, title);
        fputs("\nset xlabel ", f);
        report_gp_string(f, key);
        fputs("\nset ylabel 'test accuracy'\nset key outside right top\nset grid\n", f);
        /* the first and last points off the border */
        if (logx)
            fprintf(f, "set logscale x\nset format x '%%g'\nset xrange [%.6g:%.6g]\n", xlo / 1.6,
                    xhi * 1.6);
        else
            fprintf(f, "set xrange [%.6g:%.6g]\n", xlo - 0.06 * (xhi - xlo),
                    xhi + 0.06 * (xhi - xlo));
        /* one line per case: the case's colour, as in every figure coloured by case */
        int by_case = w->cases_vary;
        for (size_t i = 0; i < shown && by_case; i++)
            for (size_t j = 0; j < i; j++) by_case &= c[i].case_index != c[j].case_index;
        int bands = 0; /* a band where seeds spread the points */
        for (size_t i = 0; i < shown; i++)
            for (size_t j = 0; j < c[i].n; j++) bands |= c[i].sd[j] > 0;
        for (size_t i = 0; i < shown; i++) {
            const char *colour = report_gp_colour(by_case ? c[i].case_index : i);
            fputs(i ? ", \\\n  " : "plot ", f);
            if (bands)
                fprintf(f, "'%s.dat' index %zu using 1:($2-$3):($2+$3) with filledcurves "
                           "fc rgb '%s' fs transparent solid 0.15 noborder notitle, \\\n  ",
                        base, i, colour);
            fprintf(f, "'%s.dat' index %zu using 1:2 with linespoints lw 2 pt 7 ps 0.8 "
                       "lc rgb '%s' title ", base, i, colour);
            report_gp_string(f, c[i].label);
        }
        fputc('\n', f);
        report_gp_end(f, base, width, height);
        rc = report_close(f, dir, base, ".gp");
    } else {
        rc = 1;
    }
    if (rc == 0) {
        char caption[300];
        snprintf(caption, sizeof caption, "Test accuracy against %s, one line per %s%s", key,
                 w->cases_vary ? "case and setting" : "setting",
                 w->seeds_vary ? ", mean ± std over seeds" : "");
        report_figures_add(figs, base, caption, -1);
    }
    free_curves(c, nc);
    return rc;
}

int report_plot_acc_curves(const report_sweep *s, const report_swept *w, const char *dir,
                           report_figures *figs)
{
    report_group *g;
    size_t ng;
    report_group_by_seed(s, &g, &ng);
    int rc = 0;
    for (size_t k = 0; k < w->n; k++) {
        if (!report_key_varies_within_a_case(s, w->keys[k])) continue;
        /* a key a search drew (momentum in the SGD case only) has its scatter even where
         * other cases do not hold it */
        if (report_key_drawn_from_range(s, w->keys[k]))
            rc |= report_plot_acc_scatter(s, w, w->keys[k], dir, figs);
        else if (!w->numeric[k])
            continue;
        else if (report_key_is_sampled(s, w->keys[k], ng))
            rc |= report_plot_acc_scatter(s, w, w->keys[k], dir, figs);
        else
            rc |= plot_against(s, w, w->keys[k], g, ng, dir, figs);
    }
    report_groups_free(g, ng);
    return rc;
}
