/* report.h — `optsweep report`: reads a sweep's finished HDF5 run files
 * (results/<sweep>/runs/<run id>.h5; never .part files or checkpoints) and writes summary.md
 * and gnuplot figures.  report_read.c reads the files, report_sweep.c compares runs (order,
 * swept keys, seed groups, labels), report_summary.c writes summary.md, report_plots*.c write
 * the .dat/.gp files, report_gnuplot.c runs gnuplot, report_fs.c holds path helpers, report.c
 * ties them together, cmd_report.c is the command line. */
#ifndef OPTSWEEP_REPORT_H
#define OPTSWEEP_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* The setting keys the report shows by name (settings.c's key table; docs/FORMAT.md). */
#define REPORT_KEY_OPTIMIZER "optimizer.name"
#define REPORT_KEY_LR "optimizer.lr"
#define REPORT_KEY_MOMENTUM "optimizer.momentum"
#define REPORT_KEY_WEIGHT_DECAY "optimizer.weight_decay"
#define REPORT_KEY_NESTEROV "optimizer.nesterov"
#define REPORT_KEY_SCHEDULE "schedule.name"
#define REPORT_KEY_BATCH_SIZE "train.batch_size"
#define REPORT_KEY_EPOCHS "train.epochs"
#define REPORT_KEY_SEED "train.seed"

/* ---- one run file (report_read.c) ---------------------------------------------------------- */

typedef enum { REPORT_VALUE_NUMBER, REPORT_VALUE_TEXT } report_value_kind;

/* One setting of a run (a root attribute with a dotted key, "optimizer.lr"). */
typedef struct {
    char *key;
    report_value_kind kind;
    double number;  /* REPORT_VALUE_NUMBER: integers, floats and booleans (0/1) alike */
    char *text;     /* exact: strings as stored, numbers round-trip (store_setting.text;
                     * booleans "0"/"1"), arrays "[a, b, c]"; equal texts = equal values */
    char *display;  /* for people: numbers with %g, arrays "[128, 128]" */
} report_attr;

typedef struct {
    double *v; // (n)
    size_t n;
} report_series;

typedef struct {
    char *path;       /* the .h5 file read */
    char *id;         /* run id (attribute run_id; the file name without .h5 as a fallback) */
    char *sweep;      /* the sweep's name */
    char *case_name;  /* "" without cases */
    char *status;     /* completed | diverged | stopped_early | pruned | failed */
    char *status_message;  /* "" when none */
    char *sampled;    /* what a search drew: "optimizer.lr=loguniform, ..." ("" when none) */
    double status_epoch;   /* NaN when none */
    double wall_seconds;   /* NaN when absent */
    report_attr *attrs; // (n_attrs) every setting, sorted by key
    size_t n_attrs;
    report_series epoch, train_loss, lr, epoch_seconds;  /* one per epoch */
    report_series val_epoch, val_loss, val_acc;          /* one per validation */
    double test_loss, test_acc, best_val_acc, mean_weight; /* NaN when absent */
    long n_images[3]; /* train, validation, test images; -1 when the file does not say */
} report_run;

typedef struct {
    char *dir;        /* results/<sweep> as given */
    char *name;       /* the sweep's name (attribute `sweep`, else the directory's name) */
    report_run *runs; // (n_runs) in file-name order
    size_t n_runs;
    char **skipped;   // (n_skipped) names of the files that could not be read (the reason
                      //             was printed)
    size_t n_skipped;
    int select_loss;  /* how runs are ranked (report_make sets it from --select, else from
                       * report.select, as plan.json or the runs hold it): 0 the best
                       * validation accuracy, 1 the lowest validation loss */
    const char *select_from; /* where that came from, for summary.md: "--select",
                              * "report.select" (the sweep file), "default" or "disagree" */
    size_t select_count[2];  /* runs that say report.select val_acc, val_loss */
} report_sweep;

/* Reads one run file with store_read_run (store.h).  Returns 0, 1 (I/O: unreadable or
 * incomplete file) or 2 (a format_version other than STORE_FORMAT_VERSION, or none); prints
 * why to stderr. */
int report_read_run(const char *path, report_run *r);
void report_run_free(report_run *r);

/* Reads every finished run file of <dir>/runs.  Unreadable files are listed in s->skipped
 * (and printed) and the rest is read; a format_version mismatch stops with 2.  Returns 0, or
 * 2 when dir or dir/runs is missing, holds no run file, or a version mismatches. */
int report_read_sweep(const char *dir, report_sweep *s);
void report_sweep_free(report_sweep *s);

/* The attribute named key, or NULL. */
const report_attr *report_run_attr(const report_run *r, const char *key);
/* The attribute as a number (NaN when absent or text) / for display (fallback when
 * absent). */
double report_run_number(const report_run *r, const char *key);
const char *report_run_display(const report_run *r, const char *key, const char *fallback);

/* ---- comparing runs (report_sweep.c) ------------------------------------------------------- */

/* The keys that make runs differ: settings (dotted keys) whose value differs between the
 * runs that have it (a key only some runs have, like optimizer.momentum without adam, follows
 * from another swept key).  train.seed and keys that do not change what is learned
 * (data.dir, train.checkpoint_every, train.keep_best) are left out. */
typedef struct {
    char **keys;    // (n) swept setting keys, sorted
    int *numeric;   // (n) 1 when every run holds a number for it
    size_t n;
    int seeds_vary; /* train.seed differs between some runs */
    int cases_vary; /* more than one case name */
    char **cases;   // (n_cases) case names by their best run (report_order_runs): a case's
    size_t n_cases; //           index is its colour in every figure
} report_swept;

/* Runs whose settings are equal except train.seed (and whose case is the same). */
typedef struct {
    size_t *members; // (n) indices into the sweep's runs, in the sweep's order
    size_t n;
    double rank_mean; /* the mean ranking value of its members (report_rank_value; NaN when
                       * none has one) */
} report_group;

void report_find_swept(const report_sweep *s, report_swept *out);
void report_swept_free(report_swept *w);
/* The index of a case in w->cases (0 when unknown). */
size_t report_case_index(const report_swept *w, const char *case_name);

/* 1 when some case holds runs with different values of key: a grid axis, not a setting
 * each case fixes (without cases, the same as swept). */
int report_key_varies_within_a_case(const report_sweep *s, const char *key);

/* 1 when the key is a setting that can distinguish runs (dotted, not the seed, ...). */
int report_key_is_setting(const char *key);

/* What ranks runs and settings (#15): the selection metric on validation, never the test
 * set; the final train loss in a sweep where no run validated. */
typedef enum {
    REPORT_RANK_VAL_ACC,    /* best validation accuracy, higher is better (the default) */
    REPORT_RANK_VAL_LOSS,   /* lowest validation loss, lower is better (--select val_loss) */
    REPORT_RANK_TRAIN_LOSS, /* final train loss, lower is better (no run validated) */
} report_rank_metric;

report_rank_metric report_rank_metric_of(const report_sweep *s);
/* "best validation accuracy", "lowest validation loss", "final train loss". */
const char *report_rank_metric_name(report_rank_metric m);
/* A run's ranking value: NaN for a run that did not end well (diverged, failed) or has none.
 * Lower is better for the losses. */
double report_rank_value(const report_run *r, report_rank_metric m);
/* 1 when a is a better ranking value than b (NaN never is). */
int report_rank_better(report_rank_metric m, double a, double b);

/* Fills order (n_runs) with run indices: completed/stopped early/pruned by the ranking value
 * (report_rank_value), best first, ties by test accuracy, then diverged, then failed (ties
 * by id). */
void report_order_runs(const report_sweep *s, size_t *order);
/* 0 completed, stopped early or pruned, 1 diverged, 2 failed or other. */
int report_status_rank(const report_run *r);

/* Groups runs that differ only by seed; *groups (n_groups) are ordered by their mean ranking
 * value, best first (ties by mean test accuracy).  Free with report_groups_free. */
void report_group_by_seed(const report_sweep *s, report_group **groups, size_t *n_groups);
void report_groups_free(report_group *g, size_t n);

/* Mean and sample standard deviation (n - 1) of the finite values of x (NaN, NaN when none;
 * std NaN when one).  Returns how many values were finite. */
size_t report_mean_std(const double *x, size_t n, double *mean, double *std);

/* A short legend label naming run i: its case (when cases vary), the swept values that tell
 * it apart, and its seed (with_seed and seeds vary).  At most max_len bytes plus "..." . */
void report_run_label(const report_sweep *s, const report_swept *w, size_t i, int with_seed,
                      char *buf, size_t n, size_t max_len);
/* The short name of a key: its last dotted component ("optimizer.lr" -> "lr"). */
const char *report_key_short(const char *key);

/* Formats a setting's value the way tables and labels show it: %g ("0.0001", "1e-05",
 * "NaN", "inf"). */
void report_format_number(double v, char *buf, size_t n);

/* ---- figures (report_plots*.c, report_gnuplot.c) ------------------------------------------- */

typedef struct {
    char *base;      /* file name without extension in the plots dir: "val_loss" */
    char *caption;   /* what it shows, for summary.md */
    long run;        /* the run index for per-run figures, -1 for sweep figures */
} report_figure;

typedef struct {
    report_figure *items; // (n)
    size_t n;
} report_figures;

void report_figures_free(report_figures *f);

/* Writes every figure's .dat and .gp into plots_dir (created) and renders them with gnuplot
 * to .png and .svg; figs lists the figures whose PNG was drawn.  Returns 0, or 1 when gnuplot
 * is missing (says so, with the apt command), writing failed, or gnuplot failed (its stderr
 * is printed). */
int report_draw_figures(const report_sweep *s, const char *plots_dir, report_figures *figs);

/* Writers of the individual figures (report_plots.c, report_plots_acc.c): each writes
 * <dir>/<base>.dat and <dir>/<base>.gp and appends to figs; returns 0 or 1 (I/O).  A figure
 * with nothing to show is not written. */
int report_plot_run_loss(const report_sweep *s, const report_swept *w, size_t i,
                         const char *dir, report_figures *figs);
int report_plot_overlays(const report_sweep *s, const report_swept *w, const char *dir,
                         report_figures *figs);
/* report_plots_scatter.c: test accuracy against a sampled key, one point per run.  A key is
 * sampled when the run files say a search drew it from a range (report_key_drawn_from_range),
 * or, what report_key_is_sampled tells from the values alone (a dense grid, files that do not
 * say), when it has more than 8 distinct values and more than half as many as there are
 * settings (n_groups seed groups). */
int report_key_is_sampled(const report_sweep *s, const char *key, size_t n_groups);
/* qsort's comparison of two doubles, ascending. */
int report_compare_doubles(const void *a, const void *b);
/* 1 when the run files say a search drew key from a range (uniform, loguniform, int). */
int report_key_drawn_from_range(const report_sweep *s, const char *key);
int report_plot_acc_scatter(const report_sweep *s, const report_swept *w, const char *key,
                            const char *dir, report_figures *figs);
/* report_plots_band.c: the same two overlays with seeds folded, one curve per setting (mean,
 * ± std band), the best REPORT_TOP_SETTINGS; report_plot_overlays calls it when seeds vary
 * or the sweep is at scale. */
int report_plot_bands(const report_sweep *s, const report_swept *w, const char *dir,
                      report_figures *figs);
int report_plot_lr(const report_sweep *s, const report_swept *w, const char *dir,
                   report_figures *figs);
int report_plot_test_acc(const report_sweep *s, const report_swept *w, const char *dir,
                         report_figures *figs);
/* report_plots_curve.c: test accuracy against each swept number, one line per setting. */
int report_plot_acc_curves(const report_sweep *s, const report_swept *w, const char *dir,
                           report_figures *figs);

/* search.halving (report_halving.c): the rung table of halving.tsv in summary.md (nothing
 * without one), and the figure of the metric against epochs trained for every run,
 * pruned runs in grey, the others in colour, a line at each rung. */
void report_write_halving(FILE *f, const report_sweep *s);
int report_plot_halving(const report_sweep *s, const report_swept *w, const char *dir,
                        report_figures *figs);

/* gnuplot helpers (report_gnuplot.c). */
/* The full path of gnuplot on PATH into buf, 0; or -1 when missing. */
int report_gnuplot_find(char *buf, size_t n);
/* 0 when gnuplot has the pngcairo and svg terminals; else says so (with gnuplot's words) and
 * returns 1. */
int report_gnuplot_check(const char *gnuplot);
/* Runs gnuplot on the scripts (names relative to dir) with dir as working directory, one
 * process for all; on failure reruns them one by one so every failing script is named with
 * gnuplot's stderr.  Returns 0 or 1. */
int report_gnuplot_run(const char *gnuplot, const char *dir, char **scripts, size_t n);
/* Writes s as an inert gnuplot string expression: single-quoted pieces (no backtick or macro
 * expansion), a newline joined in as "\n", other control bytes as '?'.  Every string that
 * comes from a file or the command line reaches a .gp only through this. */
void report_gp_string(FILE *f, const char *s);
/* Writes the header comment, terminal and output lines of a .gp that draws <base>.png then
 * <base>.svg; report_gp_end writes the SVG replot.  width/height in pixels. */
void report_gp_begin(FILE *f, const char *base, const char *what, int width, int height);
void report_gp_end(FILE *f, const char *base, int width, int height);
/* On a log axis spanning less than three decades gnuplot labels only the powers of ten
 * (one or two labels): writes `set ytics (...)` with 1-2-5 steps over [lo, hi] instead. */
void report_gp_log_tics(FILE *f, double lo, double hi);
/* The colour of series k of a palette of distinct colours ("#1f77b4", ...). */
const char *report_gp_colour(size_t k);
/* Opens <dir>/<base><ext> for writing (prints why on failure). */
FILE *report_open_in(const char *dir, const char *base, const char *ext);
/* Closes f, reporting a write error on path; returns 0 or 1. */
int report_close(FILE *f, const char *dir, const char *base, const char *ext);
/* Appends a figure to figs. */
void report_figures_add(report_figures *figs, const char *base, const char *caption, long run);

/* ---- paths (report_fs.c) ------------------------------------------------------------------- */

/* mkdir -p; returns 0 or -1 (errno set). */
int report_mkdir_p(const char *path);
/* The relative path from directory from_dir to path (both must exist; symlinks resolved),
 * malloc'd; NULL on error. */
char *report_relative_path(const char *from_dir, const char *path);
/* dir + "/" + name, malloc'd. */
char *report_path_join(const char *dir, const char *name);
/* A copy of s safe as a file name component ([A-Za-z0-9._-], others -> '_'), malloc'd. */
char *report_safe_name(const char *s);
/* The directory part of path ("." when none), malloc'd. */
char *report_dirname(const char *path);

/* Writes path atomically: report_atomic_open creates <path>.tmp.<pid> as a new regular file
 * (whatever had that name removed, never followed: store_create_new) and returns it with
 * *tmp (malloc'd); NULL after saying why.  report_atomic_commit flushes, fsyncs, closes and
 * renames it onto path (store_commit_file), or removes it after saying why; frees *tmp;
 * returns 0 or 1. */
FILE *report_atomic_open(const char *path, char **tmp);
int report_atomic_commit(FILE *f, char **tmp, const char *path);

/* ---- sweep scale (report_scale.c) ---------------------------------------------------------- */

#define REPORT_SCALE_RUNS 40   /* more runs than this: the report at sweep scale */
#define REPORT_TOP_RUNS 20     /* at scale: rows of summary.md's tables, per-run figures */
#define REPORT_TOP_SETTINGS 12 /* settings (seed groups) an overlay draws at most */

/* 1 when the sweep has more than REPORT_SCALE_RUNS runs. */
int report_at_scale(const report_sweep *s);
/* Fills featured (n_runs) with 1 for the runs whose own loss figure is drawn: every run
 * below scale; at scale the best REPORT_TOP_RUNS (report_order_runs) and the best run of
 * each case.  Returns how many. */
size_t report_featured_runs(const report_sweep *s, int *featured);

/* ---- runs.csv (report_csv.c) --------------------------------------------------------------- */

/* Writes path (atomically): a header and one row per run in the ranking's order, with every
 * setting any run has and the results.  Returns 0 or 1. */
int report_write_csv(const report_sweep *s, const char *path);

/* ---- the command (report.c) ---------------------------------------------------------------- */

typedef struct {
    const char *sweep_dir;  /* results/<sweep> */
    const char *plots_dir;  /* NULL: plots/<name of sweep_dir> relative to the working
                             * directory (results/quick -> plots/quick) */
    const char *out;        /* NULL: <sweep_dir>/summary.md */
    int no_plots;
    const char *command;    /* the command line that made it, shown in summary.md */
    const char *const *only; /* (n_only) --only PATTERN (plan.h's plan_only_*): the runs kept */
    int select;             /* --select: -1 not given (the sweep file's report.select), else
                             * a select_metric (settings.h) */
    int n_only;
} report_options;

/* summary.md's table cells (report_md.c): the text with '|' escaped and newlines as spaces;
 * a number with fmt ("—" for NaN); "mean ± std" of the finite values of v (fmt, std_fmt; the
 * mean alone for one, "—" for none); a duration ("3.20 s", "4m 05s", "1h 02m"; "—"). */
void report_md_cell(FILE *f, const char *s);
void report_md_cellf(FILE *f, const char *fmt, double v);
void report_md_stat(FILE *f, const char *fmt, const char *std_fmt, const double *v, size_t n);
void report_md_duration(double s, char *buf, size_t n);
void report_md_duration_stat(FILE *f, const double *v, size_t n);
/* The section "Chosen on validation" (report_summary_chosen.c); nothing when no run
 * validated. */
void report_write_chosen(FILE *f, const report_sweep *s, const report_swept *w);

/* Writes summary.md (atomically) from the figures described in figs (may be empty). */
int report_write_summary(const report_sweep *s, const report_options *o, const char *out_path,
                         const char *plots_dir, const report_figures *figs);

/* Reads, draws, summarizes.  Returns the exit code: 0; 1 when gnuplot is missing or failed,
 * writing failed or some run files could not be read (summary.md is still written from the
 * rest); 2 when the directory is missing, holds no run file, or a file's format_version is
 * not STORE_FORMAT_VERSION (nothing is written). */
int report_make(const report_options *o);

#endif
