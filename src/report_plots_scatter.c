/* report_plots_scatter.c — test accuracy against a sampled key (a random or Sobol search, or
 * a dense grid): when nearly every setting has its own value of the key, lines through the
 * points would zigzag, so each run is a point, coloured by case.  The axis is logarithmic
 * for a key drawn log-uniformly (the run files' `sampled` attribute says how each key was
 * drawn), linear for one drawn uniformly; for the others (a dense grid, older files) when the
 * values are positive and span more than 1.5 decades. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define SCATTER_MIN_VALUES 8 /* more distinct values than this (and than half the settings) */
#define SCATTER_LOG_SPAN 31.6227766 /* 10^1.5: a positive key spanning more gets a log axis */

/* How a search drew key ("uniform", "loguniform", "int", "choice"), as the first run whose
 * `sampled` attribute names it says; NULL when none does. */
static const char *drawn_as(const report_sweep *s, const char *key)
{
    static const char *const dists[] = {"uniform", "loguniform", "int", "choice"};
    const size_t kn = strlen(key);
    for (size_t i = 0; i < s->n_runs; i++) {
        /* items "key=dist" separated by ", " */
        for (const char *p = s->runs[i].sampled; p && *p;) {
            const char *end = strstr(p, ", ");
            const size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len > kn && strncmp(p, key, kn) == 0 && p[kn] == '=')
                for (size_t d = 0; d < sizeof dists / sizeof *dists; d++)
                    if (len - kn - 1 == strlen(dists[d]) &&
                        strncmp(p + kn + 1, dists[d], len - kn - 1) == 0)
                        return dists[d];
            p = end ? end + 2 : p + len;
        }
    }
    return NULL;
}

/* A key drawn from a range: every run its own value, whatever their number. */
static int drawn_from_range(const char *dist)
{
    return dist && strcmp(dist, "choice") != 0;
}

int report_key_drawn_from_range(const report_sweep *s, const char *key)
{
    return drawn_from_range(drawn_as(s, key));
}

int report_key_is_sampled(const report_sweep *s, const char *key, size_t n_groups)
{
    double *v = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *v);
    size_t n = 0, distinct = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        double x = report_run_number(&s->runs[i], key);
        if (isfinite(x)) v[n++] = x;
    }
    qsort(v, n, sizeof *v, report_compare_doubles);
    for (size_t i = 0; i < n; i++) distinct += i == 0 || v[i] != v[i - 1];
    free(v);
    return distinct > SCATTER_MIN_VALUES && 2 * distinct > n_groups;
}

int report_plot_acc_scatter(const report_sweep *s, const report_swept *w, const char *key,
                            const char *dir, report_figures *figs)
{
    /* the runs that ended well with a test accuracy, grouped by case (one .dat block each) */
    size_t *runs = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *runs), n = 0;
    double xlo = INFINITY, xhi = -INFINITY;
    for (size_t c = 0; c < w->n_cases; c++)
        for (size_t i = 0; i < s->n_runs; i++) {
            const report_run *r = &s->runs[i];
            double x = report_run_number(r, key);
            if (report_status_rank(r) != 0 || !isfinite(r->test_acc) || !isfinite(x) ||
                report_case_index(w, r->case_name) != c)
                continue;
            runs[n++] = i;
            xlo = fmin(xlo, x);
            xhi = fmax(xhi, x);
        }
    int rc = 0;
    if (n == 0 || !(xhi > xlo)) goto out;
    char base[200];
    char *safe = report_safe_name(report_key_short(key));
    snprintf(base, sizeof base, "test_acc_vs_%s", safe);
    free(safe);
    FILE *f = report_open_in(dir, base, ".dat");
    if (!f) {
        rc = 1;
        goto out;
    }
    fprintf(f, "# test accuracy against %s, one point per run, one block per case\n"
               "# %s test_acc\n", key, key);
    size_t blocks = 0;
    for (size_t k = 0; k < n; k++) {
        const report_run *r = &s->runs[runs[k]];
        if (k == 0 || strcmp(r->case_name, s->runs[runs[k - 1]].case_name) != 0) {
            fprintf(f, "%s# block %zu: case ", blocks ? "\n\n" : "", blocks);
            for (const char *c = r->case_name; *c; c++)
                fputc(*c == '\n' || *c == '\r' ? ' ' : *c, f);
            fputc('\n', f);
            blocks++;
        }
        fprintf(f, "%.9g %.9g\n", report_run_number(r, key), r->test_acc);
    }
    rc = report_close(f, dir, base, ".dat");
    const char *dist = drawn_as(s, key);
    const int logx = xlo > 0 && (dist && strcmp(dist, "loguniform") == 0 ? 1
                                 : drawn_from_range(dist)            ? 0
                                                                     : xhi / xlo > SCATTER_LOG_SPAN);
    f = rc ? NULL : report_open_in(dir, base, ".gp");
    if (!f) {
        rc = 1;
        goto out;
    }
    const int width = 820, height = 520;
    char what[256], title[512];
    snprintf(what, sizeof what, "test accuracy against %s, one point per run", key);
    report_gp_begin(f, base, what, width, height);
    snprintf(title, sizeof title, "Test accuracy against %s: sweep %s, %zu runs%s", key, s->name,
             n, w->cases_vary ? " (colour: case)" : "");
    fputs("set title ", f);
    report_gp_string(f, title);
    fputs("\nset xlabel ", f);
    report_gp_string(f, logx ? report_key_short(key) : key);
    if (logx) fputs(".' (log scale)'", f);
    fputs("\nset ylabel 'test accuracy'\nset offsets 0, 0, graph 0.04, graph 0.04\n", f);
    if (logx)
        fprintf(f, "set logscale x\nset format x '%%g'\nset xrange [%.6g:%.6g]\n", xlo / 1.3,
                xhi * 1.3);
    else
        fprintf(f, "set xrange [%.6g:%.6g]\n", xlo - 0.04 * (xhi - xlo), xhi + 0.04 * (xhi - xlo));
    fputs(w->cases_vary ? "set key outside right top\n" : "unset key\n", f);
    fputs("plot \\\n", f);
    size_t block = 0;
    for (size_t k = 0; k < n; k++) {
        const report_run *r = &s->runs[runs[k]];
        if (k && strcmp(r->case_name, s->runs[runs[k - 1]].case_name) == 0) continue;
        fprintf(f, "%s  '%s.dat' index %zu using 1:2 with points pt 7 ps 0.7 lc rgb '%s' title ",
                block ? ", \\\n" : "", base, block,
                report_gp_colour(report_case_index(w, r->case_name)));
        report_gp_string(f, r->case_name[0] ? r->case_name : "runs");
        block++;
    }
    fputc('\n', f);
    report_gp_end(f, base, width, height);
    rc = report_close(f, dir, base, ".gp");
    if (rc == 0) {
        char caption[300];
        snprintf(caption, sizeof caption, "Test accuracy against %s, one point per run%s%s", key,
                 w->cases_vary ? " (colour: case)" : "", logx ? " (log axis)" : "");
        report_figures_add(figs, base, caption, -1);
    }
out:
    free(runs);
    return rc;
}
