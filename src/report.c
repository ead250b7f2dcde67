/* report.c — the report from start to end: read the run files, write and render the figures,
 * write summary.md.  The pieces live in report_read.c, report_plots*.c, report_gnuplot.c and
 * report_summary.c; this file only orders them and decides the exit code. */
#include "report.h"
#include "plan.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "settings.h"
#include "store.h"

/* Removes the per-run and per-panel figures (loss_*, test_acc_heatmap_*: .png .svg .dat .gp)
 * of an earlier report that this one did not write: runs that no longer exist, panels that
 * no longer apply.  Only names the report itself writes are touched. */
static void remove_stale(const report_figures *figs, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    static const char *const exts[] = {".png", ".svg", ".dat", ".gp"};
    for (struct dirent *e; (e = readdir(d));) {
        const char *name = e->d_name, *dot = strrchr(name, '.');
        if (!dot || (strncmp(name, "loss_", 5) != 0 && strncmp(name, "test_acc_heatmap_", 17) != 0
                     && strncmp(name, "test_acc_vs_", 12) != 0))
            continue;
        int ours = 0;
        for (size_t x = 0; x < sizeof exts / sizeof *exts; x++) ours |= strcmp(dot, exts[x]) == 0;
        size_t len = (size_t)(dot - name);
        for (size_t i = 0; ours && i < figs->n; i++)
            if (strlen(figs->items[i].base) == len && strncmp(figs->items[i].base, name, len) == 0)
                ours = 0; /* drawn now */
        if (!ours) continue;
        char *path = report_path_join(dir, name);
        if (unlink(path) != 0) report_error("cannot remove the old figure %s: %s", path, strerror(errno));
        free(path);
    }
    closedir(d);
}

/* Keeps the figures whose PNG exists and is not empty (gnuplot may have failed on some). */
static void keep_drawn(report_figures *figs, const char *dir)
{
    size_t k = 0;
    for (size_t i = 0; i < figs->n; i++) {
        size_t n = strlen(dir) + strlen(figs->items[i].base) + 8;
        char *png = xmalloc(n);
        snprintf(png, n, "%s/%s.png", dir, figs->items[i].base);
        struct stat st;
        int drawn = stat(png, &st) == 0 && st.st_size > 0;
        free(png);
        if (drawn) {
            figs->items[k++] = figs->items[i];
        } else {
            free(figs->items[i].base);
            free(figs->items[i].caption);
        }
    }
    figs->n = k;
}

int report_draw_figures(const report_sweep *s, const char *plots_dir, report_figures *figs)
{
    char gnuplot[4096];
    if (report_gnuplot_find(gnuplot, sizeof gnuplot) != 0) {
        fprintf(stderr, "optsweep: report: gnuplot is not installed (not found on PATH); it "
                "draws the figures.  Install it with `sudo apt-get install gnuplot-nox` (or "
                "your system's gnuplot package), or pass --no-plots to skip the figures.\n");
        return 1;
    }
    if (report_gnuplot_check(gnuplot) != 0) return 1;
    if (report_mkdir_p(plots_dir) != 0) {
        report_error("cannot create the figures directory %s: %s", plots_dir, strerror(errno));
        return 1;
    }
    report_swept w;
    report_find_swept(s, &w);
    int rc = 0;
    /* summary.md shows the sweep figures in this order: the answer first */
    rc |= report_plot_test_acc(s, &w, plots_dir, figs);
    rc |= report_plot_acc_curves(s, &w, plots_dir, figs);
    rc |= report_plot_overlays(s, &w, plots_dir, figs);
    rc |= report_plot_lr(s, &w, plots_dir, figs);
    rc |= report_plot_halving(s, &w, plots_dir, figs);
    /* at sweep scale the best runs only (report_scale.c); runs.csv has the rest */
    int *featured = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *featured);
    report_featured_runs(s, featured);
    for (size_t i = 0; i < s->n_runs; i++)
        if (featured[i]) rc |= report_plot_run_loss(s, &w, i, plots_dir, figs);
    free(featured);
    report_swept_free(&w);
    remove_stale(figs, plots_dir);

    char **scripts = xcalloc(figs->n ? figs->n : 1, sizeof *scripts);
    for (size_t i = 0; i < figs->n; i++) {
        size_t n = strlen(figs->items[i].base) + 4;
        scripts[i] = xmalloc(n);
        snprintf(scripts[i], n, "%s.gp", figs->items[i].base);
    }
    rc |= report_gnuplot_run(gnuplot, plots_dir, scripts, figs->n);
    for (size_t i = 0; i < figs->n; i++) free(scripts[i]);
    free(scripts);
    keep_drawn(figs, plots_dir);
    return rc ? 1 : 0;
}

/* A stored run's setting as its file holds it (plan_only_value). */
static const char *stored_value(const void *ctx, const char *key, char *buf, size_t n)
{
    const report_attr *a = report_run_attr(ctx, key);
    if (!a) return NULL;
    snprintf(buf, n, "%s", a->text);
    return buf;
}

/* --only: keeps the runs a pattern matches; 2 (nothing left) after a message, else 0. */
static int keep_only(report_sweep *s, const report_options *o)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        report_run *r = &s->runs[i];
        if (plan_only_matches(o->only, o->n_only, r->id, r->case_name, stored_value, r))
            s->runs[kept++] = *r;
        else
            report_run_free(r);
    }
    const size_t had = s->n_runs;
    s->n_runs = kept;
    if (kept > 0) return 0;
    fprintf(stderr, "optsweep: report: --only matches none of the %zu runs in %s/runs\n", had,
            o->sweep_dir);
    return 2;
}

/* What ranks runs (#15): --select; else the sweep file's report.select, as plan.json holds
 * it from the last `optsweep run` or `optsweep slurm` (so a changed rule is followed without
 * retraining); else, without plan.json (run files gathered by hand), the value stored in
 * every run, unless they disagree; else val_acc.  Returns 0, or 2 after a message (a
 * plan.json that cannot be read, or whose rule is neither name). */
/* A select_metric from its name (settings.c's), or -1. */
static int select_of_name(const char *text)
{
    for (int m = SELECT_VAL_ACC; text && m <= SELECT_VAL_LOSS; m++)
        if (strcmp(text, select_metric_name((select_metric)m)) == 0) return m;
    return -1;
}

static int choose_select(report_sweep *s, int select, const char *sweep_dir)
{
    for (size_t i = 0; i < s->n_runs; i++) {
        const report_attr *a = report_run_attr(&s->runs[i], "report.select");
        const int m = a && a->kind == REPORT_VALUE_TEXT ? select_of_name(a->text) : -1;
        if (m >= 0) s->select_count[m]++;
    }
    s->select_loss = 0;
    s->select_from = "default";
    if (select >= 0) {
        s->select_loss = select == SELECT_VAL_LOSS;
        s->select_from = "--select";
        return 0;
    }
    char *planned = NULL, err[512];
    int rc = store_read_plan_string(sweep_dir, "report_select", &planned, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "optsweep: report: %s (give --select to report without it)\n", err);
        return 2;
    }
    if (rc == 0) {
        const int m = select_of_name(planned);
        free(planned);
        if (m < 0) {
            fprintf(stderr, "optsweep: report: %s/plan.json: report_select must be val_acc or "
                    "val_loss (give --select to report without it)\n", sweep_dir);
            return 2;
        }
        s->select_loss = m == SELECT_VAL_LOSS;
        s->select_from = "report.select";
        return 0;
    }
    const size_t acc = s->select_count[SELECT_VAL_ACC], loss = s->select_count[SELECT_VAL_LOSS];
    if (acc > 0 && loss > 0) {
        s->select_from = "disagree";
    } else if (acc > 0 || loss > 0) {
        s->select_loss = loss > 0;
        s->select_from = "report.select";
    }
    return 0;
}

int report_make(const report_options *o)
{
    report_sweep s;
    int rc = report_read_sweep(o->sweep_dir, &s);
    if (rc == 0 && o->n_only > 0) rc = keep_only(&s, o);
    if (rc != 0) {
        report_sweep_free(&s);
        return rc;
    }
    if (choose_select(&s, o->select, o->sweep_dir) != 0) {
        report_sweep_free(&s);
        return 2;
    }
    char *plots_dir = NULL;
    if (o->plots_dir) {
        plots_dir = xstrdup(o->plots_dir);
    } else {
        /* plots/<the results directory's name>: normally the sweep's name, and a copied
         * results/<sweep>-old gets its own figures instead of overwriting the sweep's */
        char *trimmed = xstrdup(o->sweep_dir);
        size_t len = strlen(trimmed);
        while (len > 1 && trimmed[len - 1] == '/') trimmed[--len] = '\0';
        const char *slash = strrchr(trimmed, '/');
        const char *base = slash && slash[1] ? slash + 1 : trimmed;
        char *safe = report_safe_name(strcmp(base, ".") && strcmp(base, "..") && strcmp(base, "/")
                                      ? base : s.name);
        plots_dir = report_path_join("plots", safe);
        free(safe);
        free(trimmed);
    }
    char *out = o->out ? xstrdup(o->out) : report_path_join(o->sweep_dir, "summary.md");

    report_figures figs = {0};
    int draw_rc = 0;
    if (!o->no_plots) draw_rc = report_draw_figures(&s, plots_dir, &figs);
    /* runs.csv beside summary.md: every run, whatever the summary leaves out */
    char *out_dir = report_dirname(out);
    char *csv = report_path_join(out_dir, "runs.csv");
    int write_rc = 0;
    if (report_mkdir_p(out_dir) != 0) {
        report_error("cannot create %s: %s", out_dir, strerror(errno));
        write_rc = 1;
    }
    free(out_dir);
    if (!write_rc) write_rc = report_write_csv(&s, csv);
    if (!write_rc) write_rc = report_write_summary(&s, o, out, plots_dir, &figs);
    if (write_rc == 0) {
        printf("optsweep report: %s: %zu run%s", out, s.n_runs, s.n_runs == 1 ? "" : "s");
        if (!o->no_plots) printf(", %zu figure%s in %s/", figs.n, figs.n == 1 ? "" : "s",
                                 plots_dir);
        printf("\n");
    }
    rc = (draw_rc || write_rc || s.n_skipped) ? 1 : 0;
    report_figures_free(&figs);
    free(plots_dir);
    free(out);
    free(csv);
    report_sweep_free(&s);
    return rc;
}
