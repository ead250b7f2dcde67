/* report_summary.c — writes results/<sweep>/summary.md: every run in a table sorted by test
 * accuracy, the seed groups with mean ± sample std, problems (diverged/failed runs, unreadable
 * files), the figures embedded by their path relative to summary.md, and the command that
 * made it.  Written to a temporary file and renamed, so a reader never sees half of it. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "quote.h"

#define REPORT_UNFOLDED_RUNS 12 /* more runs: their loss curves go in a <details> block */

/* ---- cells ------------------------------------------------------------------------------- */

/* A setting's value, "—" when the run does not have it (it does not apply). */
static const char *setting(const report_run *r, const char *key)
{
    return report_run_display(r, key, "—");
}

/* The settings columns both tables share: optimizer, lr, momentum, weight decay, batch size,
 * schedule. */
static void put_setting_cells(FILE *f, const report_run *r)
{
    report_md_cell(f, setting(r, REPORT_KEY_OPTIMIZER));
    report_md_cell(f, setting(r, REPORT_KEY_LR));
    report_md_cell(f, setting(r, REPORT_KEY_MOMENTUM));
    report_md_cell(f, setting(r, REPORT_KEY_WEIGHT_DECAY));
    report_md_cell(f, setting(r, REPORT_KEY_BATCH_SIZE));
    report_md_cell(f, setting(r, REPORT_KEY_SCHEDULE));
}

static void status_text(const report_run *r, char *buf, size_t n)
{
    if (report_status_rank(r) == 0 && strcmp(r->status, "stopped_early") != 0)
        snprintf(buf, n, "%s", r->status);
    else if (isfinite(r->status_epoch))
        snprintf(buf, n, "%s (epoch %.0f)", r->status, r->status_epoch);
    else
        snprintf(buf, n, "%s", r->status);
}

static double last_train_loss(const report_run *r)
{
    return r->train_loss.n ? r->train_loss.v[r->train_loss.n - 1] : NAN;
}

/* "200", or "37 / 200" when the run ended before train.epochs. */
static void epochs_text(const report_run *r, char *buf, size_t n)
{
    double planned = report_run_number(r, REPORT_KEY_EPOCHS);
    if (isfinite(planned) && planned != (double)r->epoch.n)
        snprintf(buf, n, "%zu / %.0f", r->epoch.n, planned);
    else
        snprintf(buf, n, "%zu", r->epoch.n);
}

/* A path for a Markdown link: spaces and parentheses would end it. */
static void put_link_path(FILE *f, const char *p)
{
    for (; *p; p++) {
        if (*p == ' ') fputs("%20", f);
        else if (*p == '(') fputs("%28", f);
        else if (*p == ')') fputs("%29", f);
        else fputc(*p, f);
    }
}

/* ---- sections ------------------------------------------------------------------------------- */

/* 1 when key is one of the swept keys. */
static int swept(const report_swept *w, const char *key)
{
    for (size_t k = 0; k < w->n; k++)
        if (strcmp(w->keys[k], key) == 0) return 1;
    return 0;
}

/* What every run shares, so that a reader knows what the comparison holds fixed: the data
 * set and its sizes, the model, the epochs, the batch size (those that do not vary). */
static void write_fixed(FILE *f, const report_sweep *s, const report_swept *w)
{
    static const char *const keys[] = {"data.dataset", "model.hidden", "model.activation",
                                       "train.epochs", "train.batch_size"};
    if (s->n_runs == 0) return;
    const report_run *r0 = &s->runs[0];
    const char *sep = "Fixed:";
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        if (swept(w, keys[k]) || !report_run_attr(r0, keys[k])) continue;
        fprintf(f, "%s `%s` = %s", sep, keys[k], setting(r0, keys[k]));
        sep = ",";
    }
    int same_sizes = r0->n_images[0] >= 0;
    for (size_t i = 1; i < s->n_runs && same_sizes; i++)
        same_sizes = memcmp(s->runs[i].n_images, r0->n_images, sizeof r0->n_images) == 0;
    if (same_sizes)
        fprintf(f, "%s %ld training, %ld validation and %ld test images", sep, r0->n_images[0],
                r0->n_images[1], r0->n_images[2]);
    if (strcmp(sep, "Fixed:") != 0 || same_sizes) fprintf(f, ".\n\n");
}

static void write_header(FILE *f, const report_sweep *s, const report_options *o,
                         const report_swept *w)
{
    char when[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(f, "# Sweep `%s`\n\n", s->name);
    fprintf(f, "Made by `%s` on %s from %zu run file%s in `%s/runs/`", o->command, when,
            s->n_runs, s->n_runs == 1 ? "" : "s", s->dir);
    if (s->n_skipped) fprintf(f, " (%zu more could not be read, see below)", s->n_skipped);
    fprintf(f, ".\n\n");

    size_t done = 0, pruned = 0, diverged = 0, failed = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        int rank = report_status_rank(&s->runs[i]);
        if (strcmp(s->runs[i].status, "pruned") == 0) pruned++;
        else if (rank == 0) done++;
        else if (rank == 1) diverged++;
        else failed++;
    }
    write_fixed(f, s, w);
    fprintf(f, "%zu completed, ", done);
    if (pruned) fprintf(f, "%zu pruned, ", pruned);
    fprintf(f, "%zu diverged, %zu failed.", diverged, failed);
    if (w->n || w->cases_vary || w->seeds_vary) {
        fprintf(f, " Varied:");
        const char *sep = " ";
        if (w->cases_vary) {
            fprintf(f, "%s%zu cases", sep, w->n_cases);
            sep = ", ";
        }
        for (size_t k = 0; k < w->n; k++) {
            fprintf(f, "%s`%s`", sep, w->keys[k]);
            sep = ", ";
        }
        if (w->seeds_vary) fprintf(f, "%sthe seed (`train.seed`)", sep);
        fprintf(f, ".");
    }
    fprintf(f, "\n\n");
}

/* How many rows a table of n shows: all below scale, else the best REPORT_TOP_RUNS. */
static size_t rows_shown(const report_sweep *s, size_t n)
{
    return report_at_scale(s) && n > REPORT_TOP_RUNS ? REPORT_TOP_RUNS : n;
}

static void write_runs_table(FILE *f, const report_sweep *s)
{
    size_t *order = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *order);
    report_order_runs(s, order);
    const report_rank_metric m = report_rank_metric_of(s);
    const size_t shown = rows_shown(s, s->n_runs);
    fprintf(f, "## Runs, ranked by %s\n\n", report_rank_metric_name(m));
    fprintf(f, "Ranked by each run's %s%s; the test accuracy is shown, and takes no part in "
               "the ranking. ", report_rank_metric_name(m),
            m == REPORT_RANK_TRAIN_LOSS ? " (no run validated)" : "");
    if (shown < s->n_runs)
        fprintf(f, "The best %zu of %zu runs (a sweep of more than %d runs shows its best "
                   "%d); `runs.csv` beside this file has every run, every setting and every "
                   "result.\n\n", shown, s->n_runs, REPORT_SCALE_RUNS, REPORT_TOP_RUNS);
    else
        fprintf(f, "`runs.csv` beside this file has the same runs with every setting and "
                   "result.\n\n");
    fprintf(f, "| # | id | case | optimizer | lr | momentum | weight decay | batch size | "
               "schedule | epochs run | final train loss | best val acc | test acc | "
               "mean weight | status | wall time |\n");
    fprintf(f, "|--:|---|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|--:|\n");
    for (size_t k = 0; k < shown; k++) {
        const report_run *r = &s->runs[order[k]];
        char buf[256], id[192];
        snprintf(buf, sizeof buf, "%zu", k + 1);
        report_md_cell(f, buf);
        snprintf(id, sizeof id, "`%s`", r->id);
        report_md_cell(f, id);
        report_md_cell(f, r->case_name[0] ? r->case_name : "—");
        put_setting_cells(f, r);
        epochs_text(r, buf, sizeof buf);
        report_md_cell(f, buf);
        double loss = last_train_loss(r);
        if (r->train_loss.n && !isfinite(loss)) {
            report_format_number(loss, buf, sizeof buf); /* the divergence: NaN or inf */
            report_md_cell(f, buf);
        } else {
            report_md_cellf(f, "%.5g", loss);
        }
        report_md_cellf(f, "%.4f", r->best_val_acc);
        report_md_cellf(f, "%.4f", r->test_acc);
        report_md_cellf(f, "%#.4g", r->mean_weight);
        status_text(r, buf, sizeof buf);
        report_md_cell(f, buf);
        report_md_duration(r->wall_seconds, buf, sizeof buf);
        report_md_cell(f, buf);
        fprintf(f, "|\n");
    }
    fprintf(f, "\n");
    free(order);
}

/* The seeds of a group, "0–4" when consecutive integers, else listed. */
static void seeds_text(const report_sweep *s, const report_group *g, char *buf, size_t n)
{
    int consecutive = 1;
    double prev = NAN;
    for (size_t i = 0; i < g->n; i++) {
        double v = report_run_number(&s->runs[g->members[i]], REPORT_KEY_SEED);
        if (i && v != prev + 1) consecutive = 0;
        prev = v;
    }
    size_t k = 0;
    buf[0] = '\0';
    if (consecutive && g->n > 2) {
        snprintf(buf, n, "%s–%s", setting(&s->runs[g->members[0]], REPORT_KEY_SEED),
                 setting(&s->runs[g->members[g->n - 1]], REPORT_KEY_SEED));
        return;
    }
    for (size_t i = 0; i < g->n && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? ", " : "",
                              setting(&s->runs[g->members[i]], REPORT_KEY_SEED));
}

static void write_groups_table(FILE *f, const report_sweep *s)
{
    report_group *g;
    size_t ng;
    report_group_by_seed(s, &g, &ng);
    int any = 0;
    for (size_t k = 0; k < ng; k++)
        if (g[k].n > 1) any = 1;
    if (!any) {
        report_groups_free(g, ng);
        return;
    }
    const size_t shown = rows_shown(s, ng);
    fprintf(f, "## Runs that differ only by seed\n\n");
    fprintf(f, "Mean ± sample standard deviation (n − 1) over the runs of each group that "
               "have a value (diverged and failed runs have no test accuracy); ordered by the "
               "mean %s, best first.", report_rank_metric_name(report_rank_metric_of(s)));
    if (shown < ng)
        fprintf(f, " The best %zu of %zu settings (`runs.csv` has every run).", shown, ng);
    fprintf(f, "\n\n");
    fprintf(f, "| case | optimizer | lr | momentum | weight decay | batch size | schedule | "
               "runs | seeds | final train loss | best val acc | test acc | mean weight | "
               "wall time |\n");
    fprintf(f, "|---|---|--:|--:|--:|--:|---|--:|---|--:|--:|--:|--:|--:|\n");
    for (size_t k = 0; k < shown; k++) {
        const report_group *gr = &g[k];
        const report_run *r = &s->runs[gr->members[0]];
        double *loss = xcalloc(gr->n, sizeof *loss), *val = xcalloc(gr->n, sizeof *val);
        double *test = xcalloc(gr->n, sizeof *test), *mw = xcalloc(gr->n, sizeof *mw);
        double *wall = xcalloc(gr->n, sizeof *wall);
        size_t diverged = 0, failed = 0;
        for (size_t i = 0; i < gr->n; i++) {
            const report_run *m = &s->runs[gr->members[i]];
            const int rank = report_status_rank(m);
            int ok = rank == 0;
            diverged += rank == 1;
            failed += rank == 2;
            /* a diverged run's numbers describe the divergence, not the setting's result */
            loss[i] = ok ? last_train_loss(m) : NAN;
            val[i] = ok ? m->best_val_acc : NAN;
            test[i] = ok ? m->test_acc : NAN;
            mw[i] = ok ? m->mean_weight : NAN;
            wall[i] = m->wall_seconds;
        }
        char buf[256];
        report_md_cell(f, r->case_name[0] ? r->case_name : "—");
        put_setting_cells(f, r);
        size_t k = (size_t)snprintf(buf, sizeof buf, "%zu", gr->n);
        if (diverged && failed)
            snprintf(buf + k, sizeof buf - k, " (%zu diverged, %zu failed)", diverged, failed);
        else if (diverged || failed)
            snprintf(buf + k, sizeof buf - k, " (%zu %s)", diverged + failed,
                     diverged ? "diverged" : "failed");
        report_md_cell(f, buf);
        seeds_text(s, gr, buf, sizeof buf);
        report_md_cell(f, buf);
        /* accuracies: 4 decimals for both (the notebook prints 4); others: the mean with 5
         * (losses) or 4 significant digits, the spread with 2 */
        report_md_stat(f, "%.5g", "%.2g", loss, gr->n);
        report_md_stat(f, "%.4f", "%.4f", val, gr->n);
        report_md_stat(f, "%.4f", "%.4f", test, gr->n);
        report_md_stat(f, "%#.4g", "%.2g", mw, gr->n);
        report_md_duration_stat(f, wall, gr->n);
        fprintf(f, "|\n");
        free(loss);
        free(val);
        free(test);
        free(mw);
        free(wall);
    }
    fprintf(f, "\n");
    report_groups_free(g, ng);
}

static void write_problems(FILE *f, const report_sweep *s)
{
    size_t *order = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *order);
    report_order_runs(s, order);
    int any = s->n_skipped > 0;
    for (size_t i = 0; i < s->n_runs; i++)
        if (report_status_rank(&s->runs[i]) != 0) any = 1;
    if (any) {
        fprintf(f, "## Problems\n\n");
        size_t listed = 0, more = 0;
        for (size_t k = 0; k < s->n_runs; k++) {
            const report_run *r = &s->runs[order[k]];
            if (report_status_rank(r) == 0) continue;
            if (report_at_scale(s) && listed == REPORT_TOP_RUNS) {
                more++;
                continue;
            }
            listed++;
            char st[128];
            status_text(r, st, sizeof st);
            fprintf(f, "- `%s`%s%s: %s%s%s\n", r->id, r->case_name[0] ? " " : "", r->case_name,
                    st, r->status_message[0] ? ": " : "", r->status_message);
        }
        if (more)
            fprintf(f, "- and %zu more diverged or failed runs (`runs.csv`: the columns status "
                       "and status_message)\n", more);
        for (size_t i = 0; i < s->n_skipped; i++)
            fprintf(f, "- `runs/%s` is damaged (unreadable, or its checksum does not match) "
                       "and is not in this report (optsweep report printed why; `optsweep run` "
                       "sets it aside and trains the run again)\n",
                    s->skipped[i]);
        fprintf(f, "\n");
    }
    free(order);
}

static void put_figure(FILE *f, const char *rel, const report_figure *fig)
{
    fprintf(f, "![%s](", fig->caption);
    if (strcmp(rel, ".") != 0) {
        put_link_path(f, rel);
        fputc('/', f);
    }
    put_link_path(f, fig->base);
    fprintf(f, ".png)\n");
}

static void write_figures(FILE *f, const report_sweep *s, const char *rel,
                          const report_figures *figs, const report_options *o)
{
    fprintf(f, "## Figures\n\n");
    if (o->no_plots) {
        fprintf(f, "Not drawn (`--no-plots`); run `optsweep report ");
        quote_shell(f, s->dir); /* a command to paste: the folder as one shell word */
        fprintf(f, "` to draw them.\n\n");
        return;
    }
    if (!figs || figs->n == 0) {
        fprintf(f, "None could be drawn: gnuplot is missing or failed (the messages of "
                   "`optsweep report` say why).\n\n");
        return;
    }
    fprintf(f, "PNG and SVG in `%s/`, with the `.dat` and `.gp` files that made them "
               "(edit a `.gp` and run `gnuplot <name>.gp` in that directory to restyle it).\n\n",
            rel);
    for (size_t i = 0; i < figs->n; i++) {
        if (figs->items[i].run >= 0) continue;
        fprintf(f, "### %s\n\n", figs->items[i].caption);
        put_figure(f, rel, &figs->items[i]);
        fprintf(f, "\n");
    }
    /* per-run curves in the order of the runs table */
    size_t *order = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *order);
    report_order_runs(s, order);
    size_t drawn = 0;
    for (size_t i = 0; i < figs->n; i++) drawn += figs->items[i].run >= 0;
    if (report_at_scale(s)) {
        fprintf(f, "### Loss curves of the best runs\n\n");
        fprintf(f, "A sweep of more than %d runs draws the loss curves of its best %d runs and "
                   "of the best run of each case: %zu of %zu runs here (`runs.csv` has every "
                   "run; `optsweep report --only` draws any part of the sweep in full).\n\n",
                REPORT_SCALE_RUNS, REPORT_TOP_RUNS, drawn, s->n_runs);
    } else {
        fprintf(f, "### Loss curves of each run\n\n");
    }
    /* many runs: folded, so the page stays readable (GitHub and most viewers unfold it) */
    int fold = drawn > REPORT_UNFOLDED_RUNS;
    if (fold)
        fprintf(f, "<details>\n<summary>Train and validation loss of %s %zu runs, "
                   "in the order of the table</summary>\n\n",
                drawn < s->n_runs ? "these" : "each of the", drawn);
    for (size_t k = 0; k < s->n_runs; k++)
        for (size_t i = 0; i < figs->n; i++) {
            if (figs->items[i].run != (long)order[k]) continue;
            const report_run *r = &s->runs[order[k]];
            fprintf(f, "#### %zu. `%s`%s%s\n\n", k + 1, r->id, r->case_name[0] ? " — " : "",
                    r->case_name);
            put_figure(f, rel, &figs->items[i]);
            fprintf(f, "\n");
        }
    if (fold) fprintf(f, "</details>\n\n");
    free(order);
}

/* ---- the file ------------------------------------------------------------------------------- */

int report_write_summary(const report_sweep *s, const report_options *o, const char *out_path,
                         const char *plots_dir, const report_figures *figs)
{
    char *out_dir = report_dirname(out_path);
    if (report_mkdir_p(out_dir) != 0) {
        report_error("cannot create %s: %s", out_dir, strerror(errno));
        free(out_dir);
        return 1;
    }
    char *rel = NULL;
    if (!o->no_plots && figs && figs->n) {
        rel = report_relative_path(out_dir, plots_dir);
        if (!rel) {
            free(out_dir);
            return 1;
        }
    }
    free(out_dir);
    char *tmp;
    FILE *f = report_atomic_open(out_path, &tmp);
    if (!f) {
        free(rel);
        return 1;
    }
    report_swept w;
    report_find_swept(s, &w);
    write_header(f, s, o, &w);
    report_write_chosen(f, s, &w);
    write_runs_table(f, s);
    report_write_halving(f, s);
    write_groups_table(f, s);
    write_problems(f, s);
    write_figures(f, s, rel ? rel : ".", figs, o);
    report_swept_free(&w);
    free(rel);

    return report_atomic_commit(f, &tmp, out_path);
}
