/* report_plots_acc.c — the test-accuracy figure of the report: a heatmap over the two swept
 * numeric settings when exactly two are swept (one per combination of swept text settings,
 * e.g. per optimizer), else a sorted horizontal bar chart of the seed groups (mean ± std). */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define LABEL_LEN 160
#define LABEL_MAX 40
#define HEATMAP_MAX_PANELS 12 /* more combinations of text settings: the bar chart instead */
#define BAR_MAX 50            /* bars in the bar chart */

static unsigned rgb_of(const char *hex)
{
    return (unsigned)strtoul(hex + 1, NULL, 16);
}

/* A label as a double-quoted gnuplot data-file field (a double quote inside becomes '). */
/* A quoted text column of a .dat: a '"' would end it and a control byte (a newline from a
 * run file) would break the line, so they become ' and '?'. */
static void put_field(FILE *f, const char *s)
{
    fputs(" \"", f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c == '"' ? '\'' : c < 0x20 || c == 0x7f ? '?' : c, f);
    }
    fputc('"', f);
}

/* The sorted distinct values of a numeric key over the runs in members. */
static size_t distinct_values(const report_sweep *s, const size_t *members, size_t n,
                              const char *key, double *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double v = report_run_number(&s->runs[members[i]], key);
        size_t j = 0;
        while (j < k && out[j] != v) j++;
        if (j == k) out[k++] = v;
    }
    qsort(out, k, sizeof *out, report_compare_doubles);
    return k;
}

static size_t index_of(const double *values, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        if (values[i] == v) return i;
    return 0;
}

/* ---- heatmap -------------------------------------------------------------------------------- */

/* What the runs of one heatmap share besides the two axes: the case (when cases vary) and
 * the swept text settings ("case adam, optimizer.name=adam"); "" when nothing. */
static void panel_name(const report_sweep *s, const report_swept *w, size_t i, char *buf,
                       size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    if (w->cases_vary) k += (size_t)snprintf(buf, n, "case %s", s->runs[i].case_name);
    for (size_t j = 0; j < w->n && k < n; j++) {
        if (w->numeric[j]) continue;
        /* a setting each case fixes (optimizer.name=adam in case adam) goes without saying */
        if (w->cases_vary && !report_key_varies_within_a_case(s, w->keys[j])) continue;
        const report_attr *a = report_run_attr(&s->runs[i], w->keys[j]);
        k += (size_t)snprintf(buf + k, n - k, "%s%s=%s", k ? ", " : "", w->keys[j],
                              a ? a->display : "(unset)");
    }
}

/* Draws one heatmap over the runs in members; kx, ky are the two numeric keys. */
static int heatmap_panel(const report_sweep *s, const char *kx, const char *ky,
                         const size_t *members, size_t n, const char *panel, const char *base,
                         const char *dir, double lo, double hi, report_figures *figs)
{
    double *xs = xcalloc(n, sizeof *xs), *ys = xcalloc(n, sizeof *ys);
    size_t nx = distinct_values(s, members, n, kx, xs);
    size_t ny = distinct_values(s, members, n, ky, ys);
    size_t cells = nx * ny;
    double *acc = xcalloc(cells * n, sizeof *acc); // (cells, n) test accuracies per cell
    size_t *count = xcalloc(cells, sizeof *count);
    size_t *failed = xcalloc(cells, sizeof *failed); // runs with status failed, per cell
    for (size_t i = 0; i < n; i++) {
        const report_run *r = &s->runs[members[i]];
        size_t c = index_of(ys, ny, report_run_number(r, ky)) * nx +
                   index_of(xs, nx, report_run_number(r, kx));
        acc[c * n + count[c]++] = report_status_rank(r) == 0 ? r->test_acc : NAN;
        failed[c] += report_status_rank(r) == 2;
    }
    double *mean = xcalloc(cells, sizeof *mean), *sd = xcalloc(cells, sizeof *sd);
    size_t *finite = xcalloc(cells, sizeof *finite);
    int seeds = 0;
    for (size_t c = 0; c < cells; c++) {
        finite[c] = report_mean_std(acc + c * n, count[c], &mean[c], &sd[c]);
        if (count[c] > 1) seeds = 1;
    }

    int rc = 0;
    FILE *f = report_open_in(dir, base, ".dat");
    if (!f) rc = 1;
    if (f) {
        fprintf(f, "# test accuracy over %s (x) and %s (y)%s%s\n", kx, ky,
                panel[0] ? " for " : "", panel);
        fprintf(f, "# block 0, cells with a result: xi yi %s %s mean std runs text_rgb "
                   "\"mean\" \"± std (n)\"\n", kx, ky);
        for (int block = 0; block < 2; block++) {
            if (block == 1)
                fprintf(f, "\n\n# block 1, cells where no run has a test accuracy (diverged or "
                           "failed): xi yi %s %s runs \"text\"\n", kx, ky);
            for (size_t c = 0; c < cells; c++) {
                if (count[c] == 0 || (block == 0) != (finite[c] > 0)) continue;
                size_t xi = c % nx, yi = c / nx;
                fprintf(f, "%zu %zu %.9g %.9g", xi, yi, xs[xi], ys[yi]);
                if (block == 1) {
                    fprintf(f, " %zu", count[c]);
                    const char *what = failed[c] == count[c] ? "failed"
                                       : failed[c] ? "diverged/failed" : "diverged";
                    char text[64];
                    snprintf(text, sizeof text, "%s%s", count[c] > 1 ? "all " : "", what);
                    put_field(f, text);
                    fputc('\n', f);
                    continue;
                }
                /* dark cells (low end of the palette) get white text */
                unsigned text_rgb = (mean[c] - lo) / (hi - lo) < 0.55 ? 0xFFFFFFu : 0x000000u;
                char m[64], line2[96];
                snprintf(m, sizeof m, "%.4f", mean[c]);
                if (finite[c] > 1 && count[c] > finite[c])
                    snprintf(line2, sizeof line2, "± %.4f (n=%zu, %zu %s)", sd[c], finite[c],
                             count[c] - finite[c], failed[c] ? "failed/diverged" : "diverged");
                else if (finite[c] > 1)
                    snprintf(line2, sizeof line2, "± %.4f (n=%zu)", sd[c], finite[c]);
                else if (count[c] > finite[c])
                    snprintf(line2, sizeof line2, "(%zu of %zu diverged)", count[c] - finite[c],
                             count[c]);
                else
                    line2[0] = '\0';
                fprintf(f, " %.9g", mean[c]);
                if (isfinite(sd[c])) fprintf(f, " %.9g", sd[c]);
                else fprintf(f, " NaN");
                fprintf(f, " %zu %u", count[c], text_rgb);
                put_field(f, m);
                put_field(f, line2);
                fputc('\n', f);
            }
        }
        rc = report_close(f, dir, base, ".dat");
    }
    int any_failed_cell = 0, any_finite_cell = 0;
    for (size_t c = 0; c < cells; c++) {
        if (count[c] && !finite[c]) any_failed_cell = 1;
        if (finite[c]) any_finite_cell = 1;
    }

    int cell_w = 110, cell_h = seeds ? 64 : 48;
    int width = 260 + (int)nx * cell_w, height = 170 + (int)ny * cell_h;
    if (width < 640) width = 640;
    if (height < 420) height = 420;
    f = rc ? NULL : report_open_in(dir, base, ".gp");
    if (!f) rc = 1;
    if (f) {
        report_gp_begin(f, base, "test accuracy over two swept settings", width, height);
        char title[512];
        snprintf(title, sizeof title, "Test accuracy%s: sweep %s%s%s", seeds ?
                 " (mean ± std over seeds)" : "", s->name, panel[0] ? "\n" : "", panel);
        fprintf(f, "set title ");
        report_gp_string(f, title);
        fprintf(f, "\nset xlabel ");
        report_gp_string(f, kx);
        fprintf(f, "\nset ylabel ");
        report_gp_string(f, ky);
        fprintf(f, "\nset cblabel 'test accuracy'\n");
        fprintf(f, "unset grid\nset tics scale 0\n");
        fprintf(f, "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", nx - 1, ny - 1);
        /* categorical axes: the swept values are often log-spaced (lr 1e-4, 1e-3, ...) */
        fprintf(f, "set xtics (");
        for (size_t i = 0; i < nx; i++) {
            char v[64];
            snprintf(v, sizeof v, "%.3g", xs[i]); /* 0.000316, not 0.000316228 */
            fprintf(f, "%s\"%s\" %zu", i ? ", " : "", v, i);
        }
        fprintf(f, ")\nset ytics (");
        for (size_t i = 0; i < ny; i++) {
            char v[64];
            snprintf(v, sizeof v, "%.3g", ys[i]);
            fprintf(f, "%s\"%s\" %zu", i ? ", " : "", v, i);
        }
        fprintf(f, ")\n");
        /* viridis: perceptually uniform, readable in grey */
        fprintf(f, "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', "
                   "4 '#fde725')\n");
        fprintf(f, "set cbrange [%.9g:%.9g]\n", lo, hi);
        fprintf(f, "set style fill solid 1.0 border rgb 'white'\n");
        /* clauses joined by ", \\": gnuplot fails on a clause without points, so a block
         * that is empty is not plotted */
        const char *sep = "plot ";
        if (any_finite_cell) {
            fprintf(f, "%s'%s.dat' index 0 using 1:2:(0.5):(0.5):5 with boxxyerror "
                       "fc palette notitle", sep, base);
            sep = ", \\\n  ";
        }
        if (any_failed_cell) {
            fprintf(f, "%s'%s.dat' index 1 using 1:2:(0.5):(0.5) with boxxyerror "
                       "fc rgb '#bbbbbb' notitle", sep, base);
            sep = ", \\\n  ";
            fprintf(f, "%s'%s.dat' index 1 using 1:2:6 with labels tc rgb '#d62728' notitle",
                    sep, base);
        }
        if (any_finite_cell) {
            fprintf(f, "%s'%s.dat' index 0 using 1:2:9:8 with labels offset 0,%s "
                       "tc rgb variable notitle", sep, base, seeds ? "0.5" : "0");
            if (seeds)
                fprintf(f, "%s'%s.dat' index 0 using 1:2:10:8 with labels offset 0,-0.7 "
                           "font ',8' tc rgb variable notitle", sep, base);
        }
        fprintf(f, "\n");
        report_gp_end(f, base, width, height);
        rc = report_close(f, dir, base, ".gp");
    }
    if (rc == 0) {
        char caption[512];
        snprintf(caption, sizeof caption, "Test accuracy over %s and %s%s%s", kx, ky,
                 panel[0] ? " for " : "", panel);
        report_figures_add(figs, base, caption, -1);
    }
    free(xs);
    free(ys);
    free(acc);
    free(count);
    free(failed);
    free(mean);
    free(sd);
    free(finite);
    return rc;
}

/* One heatmap per combination of the swept text settings; returns -1 when there would be
 * too many panels (the caller draws the bar chart instead). */
static int heatmaps(const report_sweep *s, const report_swept *w, const char **key,
                    const char *dir, report_figures *figs)
{
    char (*panel)[LABEL_LEN * 2] = xcalloc(s->n_runs, sizeof *panel);
    size_t *panel_of = xcalloc(s->n_runs, sizeof *panel_of);
    size_t n_panels = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        char name[LABEL_LEN * 2];
        panel_name(s, w, i, name, sizeof name);
        size_t p = 0;
        while (p < n_panels && strcmp(panel[p], name) != 0) p++;
        if (p == n_panels) memcpy(panel[n_panels++], name, sizeof name);
        panel_of[i] = p;
    }
    int rc = 0;
    if (n_panels > HEATMAP_MAX_PANELS) {
        rc = -1;
    } else {
        /* the axis with more values goes across, unless it has so many that the figure
         * would be too wide to read (rows are cheaper than columns) */
        /* one colour scale for all panels, so the same colour is the same accuracy in each:
         * the range of the runs' accuracies holds the range of every cell's mean */
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < s->n_runs; i++)
            if (report_status_rank(&s->runs[i]) == 0 && isfinite(s->runs[i].test_acc)) {
                lo = fmin(lo, s->runs[i].test_acc);
                hi = fmax(hi, s->runs[i].test_acc);
            }
        if (!(hi > lo)) {  /* one value (or none): a range gnuplot accepts */
            lo = isfinite(lo) ? lo - 0.01 : 0.0;
            hi = isfinite(hi) ? hi + 0.01 : 1.0;
        }
        double *tmp = xcalloc(s->n_runs, sizeof *tmp);
        size_t *all = xcalloc(s->n_runs, sizeof *all);
        for (size_t i = 0; i < s->n_runs; i++) all[i] = i;
        size_t n0 = distinct_values(s, all, s->n_runs, key[0], tmp);
        size_t n1 = distinct_values(s, all, s->n_runs, key[1], tmp);
        int swap = n1 > n0;
        if ((swap ? n1 : n0) > 12) swap = !swap;
        const char *kx = swap ? key[1] : key[0], *ky = swap ? key[0] : key[1];
        for (size_t p = 0; p < n_panels && rc == 0; p++) {
            size_t n = 0;
            for (size_t i = 0; i < s->n_runs; i++)
                if (panel_of[i] == p) all[n++] = i;
            /* test_acc_heatmap, or test_acc_heatmap_<k>_<what the panel shares> */
            char base[96];
            if (n_panels == 1) {
                snprintf(base, sizeof base, "test_acc_heatmap");
            } else {
                const char *tag = strncmp(panel[p], "case ", 5) == 0 ? panel[p] + 5 : panel[p];
                char *safe = report_safe_name(tag);
                snprintf(base, sizeof base, "test_acc_heatmap_%zu_%.40s", p + 1, safe);
                free(safe);
            }
            rc = heatmap_panel(s, kx, ky, all, n, panel[p], base, dir, lo, hi, figs);
        }
        free(tmp);
        free(all);
    }
    free(panel);
    free(panel_of);
    return rc;
}

/* ---- bar chart ------------------------------------------------------------------------------ */

static int bar_chart(const report_sweep *s, const report_swept *w, const char *dir,
                     report_figures *figs)
{
    const char *base = "test_acc";
    report_group *g;
    size_t ng;
    report_group_by_seed(s, &g, &ng);
    int any_std = 0, any_seeds = 0;
    size_t longest = 10;
    FILE *f = report_open_in(dir, base, ".dat");
    if (!f) {
        report_groups_free(g, ng);
        return 1;
    }
    /* a readable chart has a few dozen bars: the best BAR_MAX (summary.md lists them all),
     * at sweep scale as many as summary.md's tables (runs.csv has them all) */
    const size_t bar_max = report_at_scale(s) ? REPORT_TOP_RUNS : BAR_MAX;
    size_t shown = ng > bar_max ? bar_max : ng;
    fprintf(f, "# test accuracy per group of runs that differ only by seed, best first\n"
               "# row \"label\" mean std runs bar_rgb \"text\" text_x text_rgb\n"
               "# (std 0 with one run; mean 0 when no run has a test accuracy; text_x: where\n"
               "# the bar and its error bar end, the .gp puts the text a little right of it)\n");
    double lo = INFINITY, hi = -INFINITY; /* the span the bars and error bars cover */
    for (size_t k = 0; k < shown; k++) {
        double *v = xcalloc(g[k].n, sizeof *v), mean, sd;
        size_t diverged = 0, failed = 0; /* diverged: here, diverged or failed */
        for (size_t i = 0; i < g[k].n; i++) {
            const report_run *r = &s->runs[g[k].members[i]];
            const int rank = report_status_rank(r);
            v[i] = rank == 0 ? r->test_acc : NAN;
            if (rank != 0) diverged++;
            if (rank == 2) failed++;
        }
        size_t nf = report_mean_std(v, g[k].n, &mean, &sd);
        free(v);
        const report_run *first = &s->runs[g[k].members[0]];
        char label[LABEL_LEN + 16], text[128];
        report_run_label(s, w, g[k].members[0], 0, label, LABEL_LEN, LABEL_MAX);
        if (g[k].n > 1) {
            size_t len = strlen(label);
            snprintf(label + len, sizeof label - len, " (n=%zu)", g[k].n);
            any_seeds = 1;
        }
        if (strlen(label) > longest) longest = strlen(label);
        if (nf == 0 && g[k].n == 1)
            snprintf(text, sizeof text, "%s", first->status);
        else if (nf == 0)
            snprintf(text, sizeof text, "all %s", failed == g[k].n ? "failed"
                                                  : failed ? "diverged or failed" : "diverged");
        else if (nf > 1)
            snprintf(text, sizeof text, "%.4f ± %.4f", mean, sd);
        else
            snprintf(text, sizeof text, "%.4f", mean);
        if (nf > 0 && diverged) {
            size_t len = strlen(text);
            snprintf(text + len, sizeof text - len, " (%zu %s)", diverged,
                     failed == diverged ? "failed" : failed ? "diverged or failed"
                                                            : "diverged");
        }
        if (nf > 1) any_std = 1;
        const char *colour = report_gp_colour(w->cases_vary ?
                                              report_case_index(w, first->case_name) : 0);
        /* every column is a number: gnuplot skips a whole row when a column it uses is NaN,
         * and a row without a bar (length 0) must keep its label and its text */
        double end = nf ? mean + (nf > 1 ? sd : 0.0) : 0.0;
        if (nf) {
            lo = fmin(lo, nf > 1 ? mean - sd : mean);
            hi = fmax(hi, end);
        }
        fprintf(f, "%zu", k);
        put_field(f, label);
        fprintf(f, " %.9g %.9g %zu %u", nf ? mean : 0.0, nf > 1 ? sd : 0.0, g[k].n,
                rgb_of(colour));
        put_field(f, text);
        fprintf(f, " %.9g %u\n", end, nf ? 0x222222u : 0xd62728u);
    }
    int rc = report_close(f, dir, base, ".dat");
    int width = 560 + 7 * (int)longest, height = 150 + 24 * (int)shown;
    if (height < 320) height = 320;
    f = rc ? NULL : report_open_in(dir, base, ".gp");
    if (!f) rc = 1;
    if (f) {
        report_gp_begin(f, base, "test accuracy per run (seed groups: mean ± std), sorted",
                        width, height);
        char title[512];
        char more[96] = "";
        if (shown < ng) snprintf(more, sizeof more, "\nthe best %zu of %zu settings", shown, ng);
        snprintf(title, sizeof title, "Test accuracy%s: sweep %s\nranked by %s%s%s",
                 any_seeds ? " (mean ± std over seeds)" : "", s->name,
                 report_rank_metric_name(report_rank_metric_of(s)),
                 w->cases_vary ? " (colour: case)" : "", more);
        fprintf(f, "set title ");
        report_gp_string(f, title);
        fprintf(f, "\nset xlabel 'test accuracy'\n");
        fprintf(f, "unset ylabel\nset grid noytics xtics\nset ytics scale 0\n");
        /* the run labels are the y tics: reserve them explicitly, gnuplot's own estimate
         * clips a character of cairo's wider glyphs */
        fprintf(f, "set lmargin %zu\n", longest + 3);
        /* the axis zoomed to the data, so that 0.85 against 0.88 and the error bars show:
         * from a little below the lowest bar or error bar to the highest, then room right
         * of it for the values (as wide again as half the data's span).  Bars start at x0;
         * change x0 and x1 here to restyle, the bars and their texts follow. */
        if (!(hi >= lo)) lo = 0, hi = 1; /* no run has a test accuracy */
        const double pad = fmax(0.1 * (hi - lo), 0.005);
        const double x0 = fmax(0.0, lo - pad), x1 = fmin(1.0, hi + pad);
        fprintf(f, "x0 = %.6g\nx1 = %.6g\n", x0, x1);
        fprintf(f, "set xrange [x0:x1 + 0.55 * (x1 - x0)]\nset xtics nomirror\n");
        fprintf(f, "set yrange [%zu.5:-0.5]\n", shown - 1);
        fprintf(f, "set style fill solid 0.85 noborder\n");
        fprintf(f, "bar(m) = m > x0 ? m : x0\n");
        fprintf(f, "plot '%s.dat' using ((x0 + bar($3)) / 2):1:((bar($3) - x0) / 2):(0.36):6:"
                   "ytic(2) with boxxyerror lc rgb variable notitle, \\\n", base);
        if (any_std)
            fprintf(f, "  '%s.dat' using 3:1:($3-$4):($3+$4) with xerrorbars pt -1 "
                       "lc rgb '#333333' notitle, \\\n", base);
        fprintf(f, "  '%s.dat' using (bar($8)):1:7:9 with labels left offset char 0.8,0 "
                   "tc rgb variable notitle\n", base);
        report_gp_end(f, base, width, height);
        rc = report_close(f, dir, base, ".gp");
    }
    if (rc == 0) {
        char caption[256];
        snprintf(caption, sizeof caption, "Test accuracy of %s%s, ranked by %s",
                 shown < ng ? "the best settings" : any_seeds ? "every setting" : "every run",
                 any_seeds ? ", mean ± std over seeds" : "",
                 report_rank_metric_name(report_rank_metric_of(s)));
        report_figures_add(figs, base, caption, -1);
    }
    report_groups_free(g, ng);
    return rc;
}

int report_plot_test_acc(const report_sweep *s, const report_swept *w, const char *dir,
                         report_figures *figs)
{
    /* the grid axes: numeric settings swept within a case (a setting each case fixes, like
     * the notebook's momentum per cell, is a panel's property, not an axis) */
    const char *key[3] = {NULL, NULL, NULL};
    size_t n_axes = 0;
    for (size_t j = 0; j < w->n && n_axes < 3; j++)
        if (w->numeric[j] && report_key_varies_within_a_case(s, w->keys[j]))
            key[n_axes++] = w->keys[j];
    if (n_axes == 2) {
        int rc = heatmaps(s, w, key, dir, figs);
        if (rc >= 0) return rc;
    }
    return bar_chart(s, w, dir, figs);
}
