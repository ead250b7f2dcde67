/* report_plots.c — the curve figures of the report: each run's train and validation loss
 * against epoch (like the notebook's), all runs' validation loss and accuracy overlaid
 * (coloured by case), and lr against epoch for runs with a schedule.  Each writes <base>.dat
 * and <base>.gp; report_gnuplot.c renders them.  The test-accuracy figures are in
 * report_plots_acc.c. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define LABEL_LEN 160
#define LABEL_MAX 40       /* longest legend label, in bytes */
#define KEY_RIGHT_MAX 14   /* up to this many entries the legend sits right of the plot */
#define KEY_ALL_MAX 60     /* beyond, the legend names cases (or the best runs) only */

/* A value in a .dat file; NaN and Inf are written "NaN", which gnuplot skips (undefined). */
static void put_number(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, " %.9g", v);
    else fputs(" NaN", f);
}

static int has_finite(const report_series *s, int positive_only)
{
    for (size_t i = 0; i < s->n; i++)
        if (isfinite(s->v[i]) && (!positive_only || s->v[i] > 0)) return 1;
    return 0;
}

/* Widens [*lo, *hi] by the finite positive values of s. */
static void positive_range(const report_series *s, double *lo, double *hi)
{
    for (size_t i = 0; i < s->n; i++)
        if (isfinite(s->v[i]) && s->v[i] > 0) {
            if (s->v[i] < *lo) *lo = s->v[i];
            if (s->v[i] > *hi) *hi = s->v[i];
        }
}

/* ---- the style of figures that overlay many runs -------------------------------------------- */

typedef struct {
    size_t n;            /* runs drawn */
    size_t *runs;        // (n) run indices in display order (the ranking, best first)
    char (*label)[LABEL_LEN]; // (n) legend labels
    const char **colour; // (n)
    int *dash;           // (n) gnuplot dash types 1..5
    int *point;          // (n) gnuplot point types
    int *in_key;         // (n) 1 when the run has a legend entry
    int width, height;
    int key_below;       /* legend under the plot (many runs) rather than right of it */
    int key_columns;
    char note[160];      /* what the legend leaves out, "" when nothing */
} overlay_style;

static void overlay_style_free(overlay_style *o)
{
    free(o->runs);
    free(o->label);
    free(o->colour);
    free(o->dash);
    free(o->point);
    free(o->in_key);
}

/* Colours by case when there are several cases (runs of one case differ by dash and point
 * type), else one colour per seed group (seeds differ by dash); places the legend so it
 * never covers the curves, naming runs, or cases / settings when there are too many. */
static void overlay_style_init(overlay_style *o, const report_sweep *s, const report_swept *w,
                               const size_t *runs, size_t n)
{
    static const int points[] = {7, 5, 9, 11, 13, 6, 4, 8};
    memset(o, 0, sizeof *o);
    o->n = n;
    o->runs = xcalloc(n ? n : 1, sizeof *o->runs);
    o->label = xcalloc(n ? n : 1, sizeof *o->label);
    o->colour = xcalloc(n ? n : 1, sizeof *o->colour);
    o->dash = xcalloc(n ? n : 1, sizeof *o->dash);
    o->point = xcalloc(n ? n : 1, sizeof *o->point);
    o->in_key = xcalloc(n ? n : 1, sizeof *o->in_key);
    const char **cases = xcalloc(n ? n : 1, sizeof *cases);
    size_t *in_case = xcalloc(n ? n : 1, sizeof *in_case);
    size_t n_cases = 0;
    /* without cases, runs that differ only by seed share a colour (seed groups are ordered
     * best first, so the colours follow the table) */
    report_group *groups;
    size_t n_groups;
    report_group_by_seed(s, &groups, &n_groups);
    size_t *group_of = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *group_of);
    size_t *in_group = xcalloc(n_groups ? n_groups : 1, sizeof *in_group);
    for (size_t g = 0; g < n_groups; g++)
        for (size_t m = 0; m < groups[g].n; m++) group_of[groups[g].members[m]] = g;
    report_groups_free(groups, n_groups);
    for (size_t k = 0; k < n; k++) {
        const report_run *r = &s->runs[runs[k]];
        o->runs[k] = runs[k];
        report_run_label(s, w, runs[k], 1, o->label[k], LABEL_LEN, LABEL_MAX);
        size_t c = 0;
        while (c < n_cases && strcmp(cases[c], r->case_name) != 0) c++;
        if (c == n_cases) cases[n_cases++] = r->case_name;
        size_t j = in_case[c]++;
        if (w->cases_vary) {
            o->colour[k] = report_gp_colour(report_case_index(w, r->case_name));
            o->dash[k] = 1 + (int)(j % 5);
            o->point[k] = points[j % (sizeof points / sizeof points[0])];
        } else {
            size_t g = group_of[runs[k]], m = in_group[g]++;
            o->colour[k] = report_gp_colour(g);
            o->dash[k] = 1 + (int)((m + g / 10) % 5);
            o->point[k] = points[(m + g / 10) % (sizeof points / sizeof points[0])];
        }
        o->in_key[k] = 1;
    }
    size_t entries = n;
    size_t n_groups_drawn = 0;
    for (size_t g = 0; g < n_groups; g++) n_groups_drawn += in_group[g] ? 1 : 0;
    if (n > KEY_ALL_MAX) {
        /* too many names to read: one entry per case when cases tell runs apart, else one
         * per seed group (which share a colour), else the best KEY_ALL_MAX / 2 runs */
        if (!w->cases_vary && n_groups_drawn < n && n_groups_drawn <= KEY_ALL_MAX) {
            size_t *seen = xcalloc(n_groups ? n_groups : 1, sizeof *seen);
            for (size_t k = 0; k < n; k++) {
                size_t g = group_of[runs[k]];
                o->in_key[k] = seen[g]++ == 0;
                if (!o->in_key[k]) continue;
                report_run_label(s, w, runs[k], 0, o->label[k], LABEL_LEN, LABEL_MAX);
                size_t len = strlen(o->label[k]);
                snprintf(o->label[k] + len, LABEL_LEN - len, " (%zu seeds)", in_group[g]);
            }
            free(seen);
            entries = n_groups_drawn;
            snprintf(o->note, sizeof o->note, "the legend names their %zu settings; seeds "
                     "share a colour", n_groups_drawn);
        } else if (w->cases_vary && n_cases <= KEY_ALL_MAX) {
            for (size_t k = 0; k < n; k++) o->in_key[k] = 0;
            for (size_t c = 0; c < n_cases; c++)
                for (size_t k = 0; k < n; k++)
                    if (strcmp(s->runs[runs[k]].case_name, cases[c]) == 0) {
                        o->in_key[k] = 1;
                        check_copy_string(o->label[k], LABEL_LEN, cases[c]);
                        break;
                    }
            entries = n_cases;
            snprintf(o->note, sizeof o->note, "the legend names their %zu cases", n_cases);
        } else {
            entries = KEY_ALL_MAX / 2;
            for (size_t k = entries; k < n; k++) o->in_key[k] = 0;
            snprintf(o->note, sizeof o->note, "the legend names the best %zu", entries);
        }
    }
    size_t longest = 1;
    for (size_t k = 0; k < n; k++)
        if (o->in_key[k] && strlen(o->label[k]) > longest) longest = strlen(o->label[k]);
    /* about 7 px per character at 10 pt (8 to be safe), plus the line sample */
    int entry_px = 8 * (int)longest + 90;
    if (entries <= KEY_RIGHT_MAX) {
        o->width = 720 + entry_px;
        o->height = 540;
    } else {
        o->key_below = 1;
        o->width = 1200;
        o->key_columns = (o->width - 80) / entry_px;
        if (o->key_columns < 1) o->key_columns = 1;
        int rows = (int)((entries + (size_t)o->key_columns - 1) / (size_t)o->key_columns);
        o->height = 520 + 19 * rows;
    }
    free(cases);
    free(in_case);
    free(group_of);
    free(in_group);
}

static void overlay_key(FILE *f, const overlay_style *o)
{
    if (o->key_below)
        /* the blank key title keeps the legend clear of the x axis label */
        fprintf(f, "set key outside bottom center horizontal maxcols %d Left reverse "
                   "samplen 3 spacing 1.1 title ' '\n", o->key_columns);
    else
        /* width 2: gnuplot sizes the key from its own font estimate, which cairo's glyphs
         * overrun by a character or two at the canvas edge */
        fprintf(f, "set key outside right top vertical Left reverse samplen 3 spacing 1.1 "
                   "width 2\n");
}

/* One plot clause per run: block k of the .dat, columns x:y; style "linespoints", "lines"
 * or "steps". */
static void overlay_plot(FILE *f, const overlay_style *o, const char *base, const char *style)
{
    int with_points = strcmp(style, "linespoints") == 0;
    fprintf(f, "plot \\\n");
    for (size_t k = 0; k < o->n; k++) {
        fprintf(f, "  '%s.dat' index %zu using 1:2 with %s lc rgb '%s' dt %d", base, k, style,
                o->colour[k], o->dash[k]);
        if (with_points) fprintf(f, " pt %d ps 0.6", o->point[k]);
        if (o->in_key[k]) {
            fprintf(f, " title ");
            report_gp_string(f, o->label[k]);
        } else {
            fprintf(f, " notitle");
        }
        fprintf(f, "%s\n", k + 1 < o->n ? ", \\" : "");
    }
}

/* ---- one run's loss curves ------------------------------------------------------------------ */

static void run_title(const report_run *r, char *buf, size_t n)
{
    const char *optim = report_run_display(r, REPORT_KEY_OPTIMIZER, "?");
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "%s%s%s lr=%s", r->case_name,
                          r->case_name[0] ? ": " : "", optim,
                          report_run_display(r, REPORT_KEY_LR, "?"));
    /* the settings the notebook varies next to lr, shown when they are in effect */
    static const char *const extras[][2] = {
        {REPORT_KEY_MOMENTUM, "momentum"}, {REPORT_KEY_WEIGHT_DECAY, "weight_decay"},
        {REPORT_KEY_NESTEROV, "nesterov"}, {REPORT_KEY_SCHEDULE, "schedule"}};
    for (size_t i = 0; i < sizeof extras / sizeof extras[0] && k < n; i++) {
        const report_attr *a = report_run_attr(r, extras[i][0]);
        if (!a || strcmp(a->text, "0") == 0 || strcmp(a->text, "none") == 0) continue;
        k += (size_t)snprintf(buf + k, n - k, ", %s=%s", extras[i][1], a->display);
    }
    if (k >= n) return;
    k += (size_t)snprintf(buf + k, n - k, "\nrun %s, seed %s, batch %s: %s", r->id,
                          report_run_display(r, REPORT_KEY_SEED, "?"),
                          report_run_display(r, REPORT_KEY_BATCH_SIZE, "?"), r->status);
    if (k < n && isfinite(r->status_epoch) && report_status_rank(r) != 0)
        snprintf(buf + k, n - k, " at epoch %.0f", r->status_epoch);
}

int report_plot_run_loss(const report_sweep *s, const report_swept *w, size_t i,
                         const char *dir, report_figures *figs)
{
    (void)w;
    const report_run *r = &s->runs[i];
    char *safe = report_safe_name(r->id);
    size_t blen = strlen(safe) + 8;
    char *base = xmalloc(blen);
    snprintf(base, blen, "loss_%s", safe);
    free(safe);

    FILE *f = report_open_in(dir, base, ".dat");
    if (!f) {
        free(base);
        return 1;
    }
    fprintf(f, "# run %s (%s): loss per epoch\n# block 0: epoch train_loss lr\n", r->id,
            r->case_name);
    for (size_t e = 0; e < r->epoch.n; e++) {
        fprintf(f, "%.0f", r->epoch.v[e]);
        put_number(f, r->train_loss.v[e]);
        put_number(f, r->lr.v[e]);
        fputc('\n', f);
    }
    fprintf(f, "\n\n# block 1: val_epoch val_loss val_acc\n");
    for (size_t e = 0; e < r->val_epoch.n; e++) {
        fprintf(f, "%.0f", r->val_epoch.v[e]);
        put_number(f, r->val_loss.v[e]);
        put_number(f, r->val_acc.v[e]);
        fputc('\n', f);
    }
    int rc = report_close(f, dir, base, ".dat");

    int has_train = has_finite(&r->train_loss, 0), has_val = has_finite(&r->val_loss, 0);
    double lo = INFINITY, hi = 0;
    positive_range(&r->train_loss, &lo, &hi);
    positive_range(&r->val_loss, &lo, &hi);
    /* log scale when the loss falls by more than a factor 30 (Adam reaches 1e-4 from 2.3):
     * on a linear axis the end of the curve would sit flat on zero */
    int log_y = hi > 0 && hi / lo > 30.0;
    int points = r->val_epoch.n <= 60;

    const int width = 820, height = 520;
    char title[512];
    run_title(r, title, sizeof title);
    f = rc ? NULL : report_open_in(dir, base, ".gp");
    if (!f) {
        free(base);
        return 1;
    }
    report_gp_begin(f, base, "train and validation loss of one run against epoch", width, height);
    fprintf(f, "set title ");
    report_gp_string(f, title);
    fprintf(f, "\nset xlabel 'epoch'\n");
    fprintf(f, "set ylabel '%s'\n", log_y ? "loss (cross-entropy, log scale)"
                                            : "loss (cross-entropy)");
    if (log_y) {
        fprintf(f, "set logscale y\nset format y '%%g'\n");
        report_gp_log_tics(f, lo, hi);
    }
    fprintf(f, "set key top right box opaque samplen 3\n");
    if (r->epoch.n > 0 && r->epoch.n <= 10) fprintf(f, "set xtics 1\n"); /* whole epochs */
    /* a little air around the data so the first and extreme points do not sit on the frame */
    fprintf(f, "set xrange [0:*]\n");
    /* on a linear axis a little air keeps extreme points off the frame (on a log axis
     * autoscaling already extends to the next decade) */
    if (!log_y) fprintf(f, "set offsets 0, 0, graph 0.04, graph 0.04\n");
    /* where a diverged or failed run stopped: a dashed line (the title says what happened;
     * text inside the plot would sit on the curve, which rises exactly there) */
    int mark = report_status_rank(r) != 0 && isfinite(r->status_epoch) && (has_train || has_val);
    if (mark) {
        fprintf(f, "set arrow 1 from %.0f, graph 0 to %.0f, graph 1 nohead dt 2 lw 1.5 "
                   "lc rgb '#d62728'\n", r->status_epoch, r->status_epoch);
        /* past the line, so it does not hide in the frame */
        fprintf(f, "set xrange [0:%.0f]\n", ceil(r->status_epoch * 1.08 + 1));
    }
    if (!has_train && !has_val) {
        /* a run that diverged at once has no finite loss; gnuplot refuses an empty plot */
        fprintf(f, "# '%s.dat' holds no finite loss: draw an empty frame with a note\n", base);
        fprintf(f, "set xrange [0:1]\nset yrange [0:1]\nunset logscale y\nunset key\n");
        fprintf(f, "set label 2 'no finite loss to draw' at graph 0.5,0.5 center\n");
        fprintf(f, "plot NaN notitle\n");
    } else {
        fprintf(f, "plot \\\n");
        if (has_train)
            fprintf(f, "  '%s.dat' index 0 using 1:2 with lines lc rgb '#1f77b4' lw 1.5 "
                       "title 'train loss'%s\n", base, has_val || mark ? ", \\" : "");
        if (has_val)
            fprintf(f, "  '%s.dat' index 1 using 1:2 with %s lc rgb '#ff7f0e' lw 1.5%s "
                       "title 'validation loss'%s\n", base, points ? "linespoints" : "lines",
                    points ? " pt 7 ps 0.6" : "", mark ? ", \\" : "");
        if (mark)  /* names the dashed line in the legend */
            fprintf(f, "  NaN with lines dt 2 lw 1.5 lc rgb '#d62728' title '%s at epoch %.0f'\n",
                    strcmp(r->status, "diverged") == 0 ? "diverged" : "failed", r->status_epoch);
    }
    report_gp_end(f, base, width, height);
    rc = report_close(f, dir, base, ".gp");
    if (rc == 0) {
        char caption[256];
        snprintf(caption, sizeof caption, "Loss curves of run %s", r->id);
        report_figures_add(figs, base, caption, (long)i);
    }
    free(base);
    return rc;
}

/* ---- overlays ------------------------------------------------------------------------------- */

/* Writes <base>.dat with one block per drawn run: x, y (from the series pair). */
static int write_blocks(const report_sweep *s, const overlay_style *o, const char *dir,
                        const char *base, const char *columns,
                        const report_series *(*pick)(const report_run *, int), int steps)
{
    FILE *f = report_open_in(dir, base, ".dat");
    if (!f) return 1;
    fprintf(f, "# %s, one block per run (gnuplot: index k)\n", columns);
    for (size_t k = 0; k < o->n; k++) {
        const report_run *r = &s->runs[o->runs[k]];
        const report_series *x = pick(r, 0), *y = pick(r, 1);
        if (k) fprintf(f, "\n\n");
        fprintf(f, "# block %zu: run %s (%s)\n", k, r->id, o->label[k]);
        size_t m = x->n < y->n ? x->n : y->n;
        /* a step holds during its epoch: epoch e (after e epochs) spans e - 1 to e, so each
         * starts one earlier and the last one ends at its epoch */
        const double start = steps ? 1 : 0;
        for (size_t e = 0; e < m; e++) {
            fprintf(f, "%.0f", x->v[e] - start);
            put_number(f, y->v[e]);
            fputc('\n', f);
        }
        if (steps && m) {
            fprintf(f, "%.0f", x->v[m - 1]);
            put_number(f, y->v[m - 1]);
            fprintf(f, "  # end of the last epoch\n");
        }
    }
    return report_close(f, dir, base, ".dat");
}

static const report_series *pick_val_loss(const report_run *r, int which)
{
    return which ? &r->val_loss : &r->val_epoch;
}

static const report_series *pick_val_acc(const report_run *r, int which)
{
    return which ? &r->val_acc : &r->val_epoch;
}

static const report_series *pick_lr(const report_run *r, int which)
{
    return which ? &r->lr : &r->epoch;
}

typedef struct {
    const char *base;
    const char *what;      /* for the .gp header */
    const char *title;
    const char *ylabel;
    const char *columns;   /* the .dat's column names */
    const report_series *(*pick)(const report_run *, int);
    int positive_only;     /* log scale: runs without a positive value are left out */
    int log_y;             /* 1 always, -1 when the values span a factor of 10 or more */
    int steps;             /* piecewise constant (lr): drawn as steps, no points */
    const char *caption;
} overlay_spec;

static int overlay_figure(const report_sweep *s, const report_swept *w, const char *dir,
                          const overlay_spec *spec, const size_t *candidates, size_t n_cand,
                          report_figures *figs)
{
    size_t *runs = xcalloc(n_cand ? n_cand : 1, sizeof *runs);
    size_t n = 0, left_out = 0;
    double lo = INFINITY, hi = 0, ok_lo = INFINITY, ok_hi = 0, x_last = 0;
    int many_points = 0;
    for (size_t k = 0; k < n_cand; k++) {
        const report_run *r = &s->runs[candidates[k]];
        const report_series *y = spec->pick(r, 1);
        if (!has_finite(y, spec->positive_only)) {
            left_out++;
            continue;
        }
        positive_range(y, &lo, &hi);
        if (report_status_rank(r) == 0) positive_range(y, &ok_lo, &ok_hi);
        const report_series *x = spec->pick(r, 0);
        if (x->n && x->v[x->n - 1] > x_last) x_last = x->v[x->n - 1];
        if (y->n > 40) many_points = 1;
        runs[n++] = candidates[k];
    }
    if (n == 0) {
        free(runs);
        return 0;
    }
    int log_y = spec->log_y == 1 || (spec->log_y == -1 && hi > 0 && hi / lo >= 10.0);
    /* a diverged run's loss reaches 1e12 before it turns NaN and would squash every other
     * curve against the bottom: the axis ends a little above the runs that did not diverge
     * and the diverged ones leave through the top */
    double y_max = 0;
    if (ok_hi > 0 && hi > ok_hi * (log_y ? 3.0 : 1.5))
        y_max = log_y ? ok_hi * 2.0 : ok_hi + 0.1 * (ok_hi - (isfinite(ok_lo) ? ok_lo : 0));
    overlay_style o;
    overlay_style_init(&o, s, w, runs, n);
    free(runs);
    int rc = write_blocks(s, &o, dir, spec->base, spec->columns, spec->pick, spec->steps);
    FILE *f = rc ? NULL : report_open_in(dir, spec->base, ".gp");
    if (!f) {
        overlay_style_free(&o);
        return 1;
    }
    report_gp_begin(f, spec->base, spec->what, o.width, o.height);
    /* what the figure leaves out goes in a second title line, where it cannot cover the
     * curves or the legend */
    char title[768], left[224] = "";
    size_t k = 0;
    if (left_out)
        k += (size_t)snprintf(left, sizeof left, "not drawn: %zu run%s without a finite%s value",
                              left_out, left_out == 1 ? "" : "s",
                              spec->positive_only ? " positive" : "");
    if (y_max > 0 && k < sizeof left)
        snprintf(left + k, sizeof left - k, "%sdiverged runs leave the top of the plot",
                 k ? "; " : "");
    snprintf(title, sizeof title, "%s: sweep %s, %zu run%s%s%s%s%s%s", spec->title, s->name, n,
             n == 1 ? "" : "s", w->cases_vary ? " (colour: case)" : "",
             o.note[0] || left[0] ? "\n" : "", o.note, o.note[0] && left[0] ? "; " : "", left);
    fprintf(f, "set title ");
    report_gp_string(f, title);
    char ylabel[160];
    snprintf(ylabel, sizeof ylabel, "%s%s", spec->ylabel, log_y ? " (log scale)" : "");
    fprintf(f, "\nset xlabel 'epoch'\nset ylabel ");
    report_gp_string(f, ylabel);
    fprintf(f, "\n");
    if (log_y) {
        fprintf(f, "set logscale y\nset format y '%%g'\n");
        report_gp_log_tics(f, isfinite(lo) ? lo : 0, y_max > 0 ? y_max : hi);
    }
    fprintf(f, "set xrange [0:*]\n");
    if (x_last <= 10) fprintf(f, "set xtics 1\n"); /* whole epochs */
    if (y_max > 0) fprintf(f, "set yrange [*:%.6g]\n", y_max);
    if (!log_y) fprintf(f, "set offsets 0, 0, graph 0.03, graph 0.03\n");
    overlay_key(f, &o);
    overlay_plot(f, &o, spec->base, spec->steps ? "steps" : many_points ? "lines"
                                                                      : "linespoints");
    report_gp_end(f, spec->base, o.width, o.height);
    rc = report_close(f, dir, spec->base, ".gp");
    if (rc == 0) report_figures_add(figs, spec->base, spec->caption, -1);
    overlay_style_free(&o);
    return rc;
}

int report_plot_overlays(const report_sweep *s, const report_swept *w, const char *dir,
                         report_figures *figs)
{
    if (w->seeds_vary || report_at_scale(s)) return report_plot_bands(s, w, dir, figs);
    size_t *order = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *order);
    report_order_runs(s, order);
    const overlay_spec loss = {
        .base = "val_loss", .what = "validation loss of every run against epoch",
        .title = "Validation loss", .ylabel = "validation loss (cross-entropy)",
        .columns = "val_epoch val_loss", .pick = pick_val_loss, .positive_only = 1,
        .log_y = 1, .caption = "Validation loss of every run (log scale)"};
    const overlay_spec acc = {
        .base = "val_acc", .what = "validation accuracy of every run against epoch",
        .title = "Validation accuracy", .ylabel = "validation accuracy",
        .columns = "val_epoch val_acc", .pick = pick_val_acc, .positive_only = 0, .log_y = 0,
        .caption = "Validation accuracy of every run"};
    int rc = overlay_figure(s, w, dir, &loss, order, s->n_runs, figs);
    rc |= overlay_figure(s, w, dir, &acc, order, s->n_runs, figs);
    free(order);
    return rc;
}

int report_plot_lr(const report_sweep *s, const report_swept *w, const char *dir,
                   report_figures *figs)
{
    size_t *order = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *order);
    report_order_runs(s, order);
    size_t order_len = s->n_runs;
    if (w->seeds_vary || report_at_scale(s)) {
        /* seeds share a schedule: one run per setting, the best REPORT_TOP_SETTINGS */
        report_group *g;
        size_t ng, k = 0;
        report_group_by_seed(s, &g, &ng);
        for (size_t j = 0; j < ng && k < REPORT_TOP_SETTINGS; j++) order[k++] = g[j].members[0];
        report_groups_free(g, ng);
        order_len = k;
    }
    size_t n = 0;
    for (size_t k = 0; k < order_len; k++) {
        const report_attr *a = report_run_attr(&s->runs[order[k]], REPORT_KEY_SCHEDULE);
        if (a && a->kind == REPORT_VALUE_TEXT && a->text[0] && strcmp(a->text, "none") != 0)
            order[n++] = order[k];
    }
    const overlay_spec lr = {
        .base = "lr", .what = "learning rate against epoch for the runs with a schedule",
        .title = "Learning rate schedule", .ylabel = "learning rate",
        .columns = "epoch lr", .pick = pick_lr, .positive_only = 0, .log_y = -1, .steps = 1,
        .caption = "Learning rate against epoch (runs with a schedule)"};
    int rc = n ? overlay_figure(s, w, dir, &lr, order, n, figs) : 0;
    free(order);
    return rc;
}
