/* test_report.c — `optsweep report` end to end on run files written by fixture_h5.c (the
 * documented format): summary.md's order, seed-group statistics (recomputed here with
 * Welford's method, not the report's code), relative figure links, every figure file (.png
 * magic, .svg, .dat, .gp), a .gp re-run by hand, --no-plots, --out/--plots-dir, and the
 * errors: missing directory, wrong format_version, damaged file, gnuplot missing or failing.
 * Usage: test_report WORK_DIR   (emptied first; left in place to look at the figures) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "commands.h"
#include "fixture_h5.h"
#include "report.h"
#include "test_util.h"


static char work[1024];

/* A formatted path in one of a ring of buffers: for immediate use only (a path kept across
 * other calls goes into a local array, see LOCAL_PATH). */
static char *path_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *path_of(const char *fmt, ...)
{
    static char bufs[16][4096];
    static int k = 0;
    char *b = bufs[k++ % 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof bufs[0], fmt, ap);
    va_end(ap);
    return b;
}

#define LOCAL_PATH(name, ...) \
    char name[4096];          \
    snprintf(name, sizeof name, __VA_ARGS__)

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* ---- fixtures ------------------------------------------------------------------------------- */

#define MAX_RUNS 256

typedef struct {
    char id[128];
    double test_acc;
    double best_val; /* best validation accuracy: the ranking key */
    int rank;  /* 0 completed, 1 diverged, 2 failed */
    double lr, momentum;
    char case_name[64];
} expected_run;

static expected_run expected[MAX_RUNS];
static size_t n_expected;

typedef struct {
    const char *sweep, *case_name, *optimizer, *schedule, *status, *message;
    double lr, momentum, weight_decay, test_acc, loss_floor;
    double val_bonus; /* added to the validation accuracy (rank apart from test accuracy) */
    long seed, epochs;
    int diverge_at;  /* epoch of the NaN loss, -1 none */
    int no_val;      /* 1: the run never validated */
    const char *select; /* report.select, NULL: absent */
} run_spec;

/* Loss curves that fall from 2.3 to loss_floor; NaN from diverge_at on (the last epoch). */
static void make_run(const char *runs_dir, const run_spec *p)
{
    static double train[400], lr_log[400], vloss[100], vacc[100];
    static int vep[100];
    fixture_run f = {0};
    char id[128];
    snprintf(id, sizeof id, "%s%s%s-lr%g-m%g%s-s%ld", p->sweep, p->case_name[0] ? "-" : "",
             p->case_name, p->lr, isnan(p->momentum) ? -1.0 : p->momentum,
             p->weight_decay > 0 ? "-wd" : "", p->seed);
    size_t n_ep = (size_t)(p->diverge_at >= 0 ? p->diverge_at + 1 : p->epochs);
    if (strcmp(p->status, "failed") == 0) n_ep = 0;
    size_t nv = 0;
    double best = NAN;
    for (size_t e = 0; e < n_ep; e++) {
        double t = exp(-(double)e / (0.15 * (double)p->epochs));
        train[e] = (2.3 - p->loss_floor) * t + p->loss_floor + 0.01 * (double)p->seed * t;
        lr_log[e] = p->lr * pow(0.5, (double)(e / 10));
        if ((int)e == p->diverge_at) train[e] = NAN;
        if (e % 5 == 0 && (int)e != p->diverge_at) {
            vep[nv] = (int)e + 1; /* the number of the epoch validated after */
            vloss[nv] = train[e] * 1.1 + 0.002;
            vacc[nv] = 0.1 + (isnan(p->test_acc) ? 0.3 : p->test_acc - 0.1) * (1.0 - t) +
                       p->val_bonus;
            if (isnan(best) || vacc[nv] > best) best = vacc[nv];
            nv++;
        }
    }
    int diverged = strcmp(p->status, "diverged") == 0, failed = strcmp(p->status, "failed") == 0;
    f.format_version = 2;
    f.run_id = id;
    f.sweep = p->sweep;
    f.case_name = p->case_name;
    f.status = p->status;
    f.status_epoch = diverged ? p->diverge_at + 1 : failed ? 1 : -1;
    f.status_message = p->message;
    f.optimizer = p->optimizer;
    f.lr = p->lr;
    f.momentum = p->momentum;
    f.weight_decay = p->weight_decay;
    f.batch_size = 4096;
    f.epochs = p->epochs;
    f.seed = p->seed;
    f.schedule = p->schedule;
    f.step_size = 10;
    f.gamma = 0.5;
    f.report_select = p->select;
    f.n_epochs = n_ep;
    f.train_loss = train;
    f.lr_log = strcmp(p->schedule, "step") == 0 ? lr_log : NULL;
    if (p->no_val) nv = 0, best = NAN;
    f.n_val = nv;
    f.val_epoch = vep;
    f.val_loss = vloss;
    f.val_acc = vacc;
    f.test_loss = diverged || failed ? NAN : p->loss_floor * 1.2;
    f.test_acc = diverged || failed ? NAN : p->test_acc;
    f.best_val_acc = best;
    f.mean_weight = diverged || failed ? NAN : 0.01 + 0.001 * (double)p->seed;
    f.wall_seconds = 12.5 + (double)p->seed;
    EXPECT(fixture_write_run(path_of("%s/%s.h5", runs_dir, id), &f) == 0, "writing %s", id);
    expected_run *x = &expected[n_expected++];
    snprintf(x->id, sizeof x->id, "%s", id);
    x->test_acc = f.test_acc;
    x->best_val = diverged || failed ? NAN : best;
    x->rank = failed ? 2 : diverged ? 1 : 0;
    x->lr = p->lr;
    x->momentum = p->momentum;
    snprintf(x->case_name, sizeof x->case_name, "%s", p->case_name);
}

/* grid: lr {0.01, 0.1, 1} x momentum {0, 0.9} x seeds {0, 1, 2}; lr 1 with momentum 0.9
 * diverges for every seed, lr 1 without momentum for seed 2. */
static void make_grid(void)
{
    LOCAL_PATH(runs, "%s/results/grid/runs", work);
    report_mkdir_p(runs);
    const double lrs[] = {0.01, 0.1, 1.0}, moms[] = {0.0, 0.9};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
            for (long seed = 0; seed < 3; seed++) {
                int div = (i == 2 && j == 1) || (i == 2 && j == 0 && seed == 2);
                run_spec p = {.sweep = "grid", .case_name = "", .optimizer = "sgd",
                              .schedule = "none", .status = div ? "diverged" : "completed",
                              .message = div ? "train loss is NaN" : "", .lr = lrs[i],
                              .momentum = moms[j], .weight_decay = 0.0,
                              .test_acc = 0.80 + 0.05 * i + 0.04 * j + 0.0031 * (double)seed +
                                          0.0007 * (double)(seed * seed),
                              .loss_floor = 0.05 / (1 + i + j), .seed = seed, .epochs = 20,
                              .diverge_at = div ? 3 + (int)seed : -1};
                make_run(runs, &p);
            }
    /* files the report must not read */
    test_write_text(path_of("%s/unfinished.h5.part", runs), "half a file");
    test_write_text(path_of("%s/unfinished.ckpt.h5", runs), "a checkpoint");
    test_write_text(path_of("%s/unfinished.ckpt.h5.tmp", runs), "a checkpoint being written");
    test_write_text(path_of("%s/unfinished.lock", runs), "host=x\npid=1\n");
    test_write_text(path_of("%s/old.h5.corrupt", runs), "set aside");
}

/* cases: notebook-like cases (bar chart), one with a StepLR schedule, a failed run and a run
 * that diverged at its first epoch (no finite loss at all). */
static void make_cases(void)
{
    LOCAL_PATH(runs, "%s/results/cases/runs", work);
    report_mkdir_p(runs);
    for (long seed = 0; seed < 3; seed++) {
        run_spec a = {.sweep = "cases", .case_name = "sgd_plain", .optimizer = "sgd",
                      .schedule = "none", .status = "completed", .message = "", .lr = 1e-4,
                      .momentum = 0.0, .weight_decay = 0.0,
                      .test_acc = 0.1164 + 0.01 * (double)seed, .loss_floor = 2.2,
                      .seed = seed, .epochs = 40, .diverge_at = -1};
        make_run(runs, &a);
        run_spec b = a;
        b.case_name = "sgd_momentum";
        b.momentum = 0.9;
        b.test_acc = 0.2551 - 0.02 * (double)seed * (double)seed;
        b.loss_floor = 1.9;
        make_run(runs, &b);
    }
    run_spec adam = {.sweep = "cases", .case_name = "adam", .optimizer = "adam",
                     .schedule = "none", .status = "completed", .message = "", .lr = 1e-3,
                     .momentum = NAN, .weight_decay = 0.0, .test_acc = 0.9712,
                     .loss_floor = 1.18e-4, .seed = 0, .epochs = 60, .diverge_at = -1};
    make_run(runs, &adam);
    run_spec step = {.sweep = "cases", .case_name = "step_lr", .optimizer = "sgd",
                     .schedule = "step", .status = "completed", .message = "", .lr = 0.1,
                     .momentum = 0.99, .weight_decay = 0.0, .test_acc = 0.9605,
                     .loss_floor = 0.02, .seed = 0, .epochs = 40, .diverge_at = -1};
    make_run(runs, &step);
    run_spec fail = {.sweep = "cases", .case_name = "failed_oom", .optimizer = "sgd",
                     .schedule = "none", .status = "failed",
                     .message = "out of memory allocating 12 GB", .lr = 0.5, .momentum = 0.5,
                     .weight_decay = 1e-3, .test_acc = NAN, .loss_floor = 1, .seed = 0,
                     .epochs = 40, .diverge_at = -1};
    make_run(runs, &fail);
    run_spec nan0 = {.sweep = "cases", .case_name = "instant_nan", .optimizer = "sgd",
                     .schedule = "none", .status = "diverged", .message = "train loss is NaN",
                     .lr = 50, .momentum = 0.0, .weight_decay = 0.0, .test_acc = NAN,
                     .loss_floor = 1, .seed = 0, .epochs = 40, .diverge_at = 0};
    make_run(runs, &nan0);
}

/* ---- running the command -------------------------------------------------------------------- */

/* Runs `optsweep report args...` in a child (cwd dir, PATH path when not NULL) with stdout
 * and stderr captured; returns the exit code and the stderr text in *err (malloc'd). */
static int run_report(const char *dir, const char *path, char **err, ...)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = "report";
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) && argc < 15;) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    LOCAL_PATH(err_path, "%s/stderr.txt", work);
    LOCAL_PATH(out_path, "%s/stdout.txt", work);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fe, 2);
        dup2(fo, 1);
        if (chdir(dir) != 0) _exit(99);
        if (path) setenv("PATH", path, 1);
        int rc = cmd_report(argc, argv);
        fflush(NULL);
        exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    *err = test_read_file(err_path, NULL);
    if (!*err) *err = strdup("");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* ---- checking summary.md -------------------------------------------------------------------- */

/* Splits a Markdown table row into trimmed cells (an escaped \| stays in the cell). */
static int split_row(char *line, char **cells, int max)
{
    int n = 0;
    char *p = line;
    if (*p != '|') return 0;
    p++;
    while (*p && n < max) {
        char *start = p;
        while (*p && !(*p == '|' && p[-1] != '\\')) p++;
        if (!*p) break;
        *p = '\0';
        while (*start == ' ') start++;
        char *end = start + strlen(start);
        while (end > start && end[-1] == ' ') *--end = '\0';
        cells[n++] = start;
        p++;
    }
    return n;
}

/* The rows (cells) of the table under the heading; returns the number of rows. */
static int table_rows(const char *md, const char *heading, char rows[][32][160], int max_rows)
{
    const char *h = strstr(md, heading);
    if (!h) return -1;
    const char *p = strstr(h, "\n|");
    if (!p) return -1;
    p++;
    int line_no = 0, n = 0;
    while (*p == '|' && n < max_rows) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        if (line_no++ >= 2) {  /* header and alignment rows */
            char *cells[32];
            int nc = split_row(line, cells, 32);
            for (int c = 0; c < nc; c++) snprintf(rows[n][c], 160, "%s", cells[c]);
            for (int c = nc; c < 32; c++) rows[n][c][0] = '\0';
            n++;
        }
        p = eol ? eol + 1 : p + len;
    }
    return n;
}

static int compare_expected(const void *pa, const void *pb)
{
    const expected_run *a = pa, *b = pb;
    if (a->rank != b->rank) return a->rank - b->rank;
    if (isnan(a->best_val) != isnan(b->best_val)) return isnan(a->best_val) ? 1 : -1;
    if (!isnan(a->best_val) && a->best_val != b->best_val)
        return a->best_val > b->best_val ? -1 : 1;
    if (isnan(a->test_acc) != isnan(b->test_acc)) return isnan(a->test_acc) ? 1 : -1;
    if (!isnan(a->test_acc) && a->test_acc != b->test_acc)
        return a->test_acc > b->test_acc ? -1 : 1;
    return strcmp(a->id, b->id);
}

static char rows[MAX_RUNS][32][160];

/* Runs table: every run once, in the expected order (computed here from the fixtures). */
static void check_order(const char *md, expected_run *runs, size_t n)
{
    qsort(runs, n, sizeof *runs, compare_expected);
    int got = table_rows(md, "## Runs, ranked by best validation accuracy", rows, MAX_RUNS);
    EXPECT(got == (int)n, "runs table has %d rows, expected %zu", got, n);
    for (int i = 0; i < got && i < (int)n; i++) {
        char want[160];
        snprintf(want, sizeof want, "`%s`", runs[i].id);
        EXPECT(strcmp(rows[i][1], want) == 0, "row %d is %s, expected %s", i + 1, rows[i][1],
               want);
        char acc[32];
        if (isnan(runs[i].test_acc)) snprintf(acc, sizeof acc, "—");
        else snprintf(acc, sizeof acc, "%.4f", runs[i].test_acc);
        EXPECT(strcmp(rows[i][12], acc) == 0, "row %d test acc %s, expected %s", i + 1,
               rows[i][12], acc);
    }
}

/* Welford's running mean and variance: a different method from the report's two passes. */
static void welford(const double *x, size_t n, double *mean, double *sd, size_t *k)
{
    double m = 0, s = 0;
    *k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) continue;
        (*k)++;
        double d = x[i] - m;
        m += d / (double)*k;
        s += d * (x[i] - m);
    }
    *mean = *k ? m : NAN;
    *sd = *k > 1 ? sqrt(s / (double)(*k - 1)) : NAN;
}

/* The grouped table's test accuracy of the group with this case / lr / momentum. */
static void check_group(const char *md, const char *case_name, double lr, double momentum,
                        const char *momentum_text)
{
    double acc[MAX_RUNS];
    size_t n = 0;
    for (size_t i = 0; i < n_expected; i++)
        if (strcmp(expected[i].case_name, case_name) == 0 && expected[i].lr == lr &&
            (expected[i].momentum == momentum ||
             (isnan(momentum) && isnan(expected[i].momentum))))
            acc[n++] = expected[i].test_acc;
    double mean, sd;
    size_t k;
    welford(acc, n, &mean, &sd, &k);
    char want[96], lr_text[32], runs_text[64];
    if (k == 0) snprintf(want, sizeof want, "—");
    else if (k == 1) snprintf(want, sizeof want, "%.4f", mean);
    else snprintf(want, sizeof want, "%.4f ± %.4f", mean, sd);
    snprintf(lr_text, sizeof lr_text, "%g", lr);
    if (k == n) snprintf(runs_text, sizeof runs_text, "%zu", n);
    else snprintf(runs_text, sizeof runs_text, "%zu (%zu diverged)", n, n - k);
    int got = table_rows(md, "## Runs that differ only by seed", rows, MAX_RUNS);
    EXPECT(got > 0, "no seed-group table");
    int found = 0;
    for (int i = 0; i < got; i++) {
        const char *c = case_name[0] ? case_name : "—";
        if (strcmp(rows[i][0], c) != 0 || strcmp(rows[i][2], lr_text) != 0 ||
            strcmp(rows[i][3], momentum_text) != 0)
            continue;
        found = 1;
        EXPECT(strcmp(rows[i][11], want) == 0, "group %s lr %s momentum %s: test acc %s, "
               "expected %s", c, lr_text, momentum_text, rows[i][11], want);
        EXPECT(strcmp(rows[i][7], runs_text) == 0, "group %s lr %s: runs %s, expected %s", c,
               lr_text, rows[i][7], runs_text);
    }
    EXPECT(found, "no group row for case '%s' lr %s momentum %s", case_name, lr_text,
           momentum_text);
}

/* Every figure link of summary.md resolves (relative to summary.md) to a non-empty file;
 * returns how many links there are. */
static int check_links(const char *md, const char *summary_dir)
{
    int n = 0;
    for (const char *p = md; (p = strstr(p, "](")); p += 2) {
        const char *end = strchr(p + 2, ')');
        if (!end) break;
        char rel[2048];
        snprintf(rel, sizeof rel, "%.*s", (int)(end - p - 2), p + 2);
        EXPECT(rel[0] != '/', "link %s is absolute", rel);
        EXPECT(strstr(rel, ".png") != NULL, "link %s is not a PNG", rel);
        LOCAL_PATH(full, "%s/%s", summary_dir, rel);
        EXPECT(file_size(full) > 0, "link %s (from %s) does not resolve to a file", rel,
               summary_dir);
        n++;
    }
    return n;
}

static void check_figure(const char *dir, const char *base_in)
{
    LOCAL_PATH(base, "%s", base_in);
    static const char *const ext[] = {".png", ".svg", ".dat", ".gp"};
    for (int i = 0; i < 4; i++) {
        const char *p = path_of("%s/%s%s", dir, base, ext[i]);
        EXPECT(file_size(p) > 0, "%s missing or empty", p);
    }
    unsigned char magic[8] = {0};
    FILE *f = fopen(path_of("%s/%s.png", dir, base), "rb");
    if (f) {
        EXPECT(fread(magic, 1, 8, f) == 8, "short PNG");
        fclose(f);
    }
    EXPECT(memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0, "%s.png has no PNG signature", base);
    char *svg = test_read_file(path_of("%s/%s.svg", dir, base), NULL);
    EXPECT(svg && strstr(svg, "<svg"), "%s.svg is not SVG", base);
    free(svg);
    char *gp = test_read_file(path_of("%s/%s.gp", dir, base), NULL);
    /* the .gp names its data by relative name, so it runs from its own directory */
    char want[4200];
    snprintf(want, sizeof want, "'%s.dat'", base);
    EXPECT(gp && strstr(gp, want), "%s.gp does not read %s", base, want);
    free(gp);
}

/* 1 when the file at path holds every one of the strings (a NULL-terminated list). */
static int file_has_all(const char *path, ...)
{
    char *text = test_read_file(path, NULL);
    int ok = text != NULL;
    va_list ap;
    va_start(ap, path);
    for (const char *want; ok && (want = va_arg(ap, const char *));) ok = strstr(text, want) != NULL;
    va_end(ap);
    free(text);
    return ok;
}

static void check_no_figure(const char *dir, const char *base)
{
    EXPECT(file_size(path_of("%s/%s.png", dir, base)) < 0, "%s/%s.png should not exist", dir,
           base);
}

/* ---- the scenarios -------------------------------------------------------------------------- */

static void test_relative_paths(void)
{
    LOCAL_PATH(a, "%s/rel/a/b", work);
    LOCAL_PATH(c, "%s/rel/c", work);
    report_mkdir_p(a);
    report_mkdir_p(c);
    char *r1 = report_relative_path(a, c);
    char *r2 = report_relative_path(c, a);
    char *r3 = report_relative_path(a, a);
    char *r4 = report_relative_path(path_of("%s/rel", work), a);
    EXPECT(r1 && strcmp(r1, "../../c") == 0, "a/b -> c gave %s", r1 ? r1 : "NULL");
    EXPECT(r2 && strcmp(r2, "../a/b") == 0, "c -> a/b gave %s", r2 ? r2 : "NULL");
    EXPECT(r3 && strcmp(r3, ".") == 0, "same dir gave %s", r3 ? r3 : "NULL");
    EXPECT(r4 && strcmp(r4, "a/b") == 0, "rel -> a/b gave %s", r4 ? r4 : "NULL");
    free(r1);
    free(r2);
    free(r3);
    free(r4);
}

static void test_grid(void)
{
    char *err;
    size_t first = n_expected;
    make_grid();
    int rc = run_report(work, NULL, &err, "results/grid", (char *)NULL);
    EXPECT(rc == 0, "report grid exited %d: %s", rc, err);
    free(err);
    char *md = test_read_file(path_of("%s/results/grid/summary.md", work), NULL);
    EXPECT(md != NULL, "no results/grid/summary.md");
    if (!md) return;
    EXPECT(strstr(md, "from 18 run files") != NULL, "summary does not count 18 run files "
           "(the .part/.ckpt.h5/.lock/.corrupt files must be ignored)");
    EXPECT(strstr(md, "Made by `optsweep report results/grid` on ") != NULL, "no command line");
    check_order(md, expected + first, n_expected - first);
    /* the choice is made on validation, for the one optimizer of this sweep */
    const char *chosen = strstr(md, "## Chosen on validation");
    EXPECT(chosen && strstr(chosen, "| sgd | ") && strstr(chosen, "took no part in the choice"),
           "summary has no 'Chosen on validation' section with the sgd row");
    /* groups: sort above reordered expected[first..]; check_group searches all of them */
    check_group(md, "", 0.1, 0.9, "0.9");
    check_group(md, "", 0.01, 0.0, "0");
    check_group(md, "", 1.0, 0.0, "0");   /* one of three diverged */
    check_group(md, "", 1.0, 0.9, "0.9"); /* all diverged: no test accuracy */
    int links = check_links(md, path_of("%s/results/grid", work));
    EXPECT(links == 18 + 4, "%d figure links, expected 18 runs + val_loss, val_acc, heatmap, "
           "test_acc_vs_lr", links);
    EXPECT(strstr(md, "](../../plots/grid/") != NULL, "links are not ../../plots/grid/...");
    LOCAL_PATH(plots, "%s/plots/grid", work);
    for (size_t i = first; i < n_expected; i++)
        check_figure(plots, path_of("loss_%s", expected[i].id));
    check_figure(plots, "val_loss");
    check_figure(plots, "val_acc");
    check_figure(plots, "test_acc_heatmap");
    /* accuracy against lr (3 values, a log axis), a line per momentum; momentum has only two
     * values: no curve against it */
    check_figure(plots, "test_acc_vs_lr");
    check_no_figure(plots, "test_acc_vs_momentum");
    EXPECT(file_has_all(path_of("%s/test_acc_vs_lr.gp", plots), "set logscale x",
                        "title 'momentum=0.9'", "title 'momentum=0'",
                        "using 1:($2-$3):($2+$3) with filledcurves", (char *)NULL),
           "test_acc_vs_lr.gp: no log axis, line titles or seed band");
    check_no_figure(plots, "test_acc");
    check_no_figure(plots, "lr");
    /* the heatmap: lr has more values, so it goes across; the diverged cell is marked */
    char *gp = test_read_file(path_of("%s/test_acc_heatmap.gp", plots), NULL);
    EXPECT(gp && strstr(gp, "set xlabel 'optimizer.lr'") && strstr(gp, "set ylabel "
           "'optimizer.momentum'"), "heatmap axes are not lr across, momentum up");
    free(gp);
    char *dat = test_read_file(path_of("%s/test_acc_heatmap.dat", plots), NULL);
    EXPECT(dat && strstr(dat, "all diverged"), "heatmap does not mark the diverged cell");
    free(dat);
    /* a user re-runs a .gp from the figures directory */
    EXPECT(system(path_of("cd '%s' && rm -f val_loss.png && gnuplot val_loss.gp 2>&1", plots))
           == 0 && file_size(path_of("%s/val_loss.png", plots)) > 0, "val_loss.gp does not "
           "re-run from its directory");
    free(md);
}

static void test_cases(void)
{
    char *err;
    size_t first = n_expected;
    make_cases();
    LOCAL_PATH(out, "%s/elsewhere/sub/summary.md", work);
    LOCAL_PATH(figs, "%s/figs/cases", work);
    int rc = run_report(work, NULL, &err, "results/cases", "--out", out, "--plots-dir", figs,
                        (char *)NULL);
    EXPECT(rc == 0, "report cases exited %d: %s", rc, err);
    free(err);
    char *md = test_read_file(out, NULL);
    EXPECT(md != NULL, "no %s", out);
    if (!md) return;
    EXPECT(file_size(path_of("%s/results/cases/summary.md", work)) < 0,
           "--out given, but results/cases/summary.md was written");
    check_order(md, expected + first, n_expected - first);
    check_group(md, "sgd_plain", 1e-4, 0.0, "0");
    check_group(md, "sgd_momentum", 1e-4, 0.9, "0.9");
    check_group(md, "adam", 1e-3, NAN, "—"); /* momentum does not apply to adam */
    EXPECT(strstr(md, "out of memory allocating 12 GB") != NULL, "failed run's message missing");
    EXPECT(strstr(md, "## Problems") != NULL, "no Problems section");
    int links = check_links(md, path_of("%s/elsewhere/sub", work));
    EXPECT(links == 10 + 4, "%d links, expected 10 runs + val_loss, val_acc, lr, test_acc",
           links);
    EXPECT(strstr(md, "](../../figs/cases/") != NULL, "links are not ../../figs/cases/...");
    for (size_t i = first; i < n_expected; i++)
        check_figure(figs, path_of("loss_%s", expected[i].id));
    check_figure(figs, "val_loss");
    check_figure(figs, "val_acc");
    check_figure(figs, "lr");
    check_figure(figs, "test_acc");
    check_no_figure(figs, "test_acc_heatmap");
    /* the lr figure shows the scheduled run only */
    char *dat = test_read_file(path_of("%s/lr.dat", figs), NULL);
    EXPECT(dat && strstr(dat, "step_lr") && !strstr(dat, "sgd_plain"), "lr.dat is not the "
           "step_lr run alone");
    /* epoch 1's lr holds from 0 to 1 (epoch e is after e epochs), the last epoch's ends at
     * 40: the 40 epochs of the step_lr fixture run */
    EXPECT(dat && strstr(dat, ")\n0 0.1\n1 0.1\n") && strstr(dat, "\n40 0.0125  # end of"),
           "lr steps not on epochs 0..40: %.300s", dat ? dat : "(none)");
    free(dat);
    free(md);
}

/* A grid of lr x weight_decay under two cases (sgd with momentum, adam): one heatmap per
 * case, on one colour scale; momentum, fixed by the sgd case, is not an axis. */
static void test_heatmap_panels(void)
{
    LOCAL_PATH(runs, "%s/results/panels/runs", work);
    report_mkdir_p(runs);
    const double lrs[] = {0.01, 0.1}, wds[] = {0.0, 1e-4};
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                run_spec p = {.sweep = "panels", .case_name = c ? "adam" : "sgd_momentum",
                              .optimizer = c ? "adam" : "sgd", .schedule = "none",
                              .status = "completed", .message = "", .lr = lrs[i],
                              .momentum = c ? NAN : 0.9, .weight_decay = wds[j],
                              .test_acc = 0.9 + 0.01 * i - 0.02 * j + 0.03 * c,
                              .loss_floor = 0.05, .seed = 0, .epochs = 10, .diverge_at = -1};
                make_run(runs, &p);
            }
    char *err;
    LOCAL_PATH(figs, "%s/figs/panels", work);
    int rc = run_report(work, NULL, &err, "results/panels", "--plots-dir", figs, (char *)NULL);
    EXPECT(rc == 0, "report panels exited %d: %s", rc, err);
    free(err);
    check_figure(figs, "test_acc_heatmap_1_adam");
    check_figure(figs, "test_acc_heatmap_2_sgd_momentum");
    check_no_figure(figs, "test_acc");
    check_no_figure(figs, "test_acc_heatmap");
    char *a = test_read_file(path_of("%s/test_acc_heatmap_1_adam.gp", figs), NULL);
    char *b = test_read_file(path_of("%s/test_acc_heatmap_2_sgd_momentum.gp", figs), NULL);
    const char *ra = a ? strstr(a, "set cbrange") : NULL, *rb = b ? strstr(b, "set cbrange") : NULL;
    EXPECT(ra && rb && strncmp(ra, rb, strcspn(ra, "\n")) == 0, "panels have different colour "
           "scales");
    EXPECT(a && strstr(a, "set xlabel 'optimizer.lr'") &&
           strstr(a, "set ylabel 'optimizer.weight_decay'"), "panel axes are not lr x wd");
    free(a);
    free(b);
    char *md = test_read_file(path_of("%s/results/panels/summary.md", work), NULL);
    EXPECT(md && strstr(md, "Test accuracy over optimizer.lr and optimizer.weight_decay for "
           "case adam"), "summary does not caption the adam panel");
    free(md);
}

/* Files in dir whose name starts with prefix and ends with suffix. */
static int count_files(const char *dir, const char *prefix, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name), sl = strlen(suffix);
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0 && len >= sl &&
             strcmp(e->d_name + len - sl, suffix) == 0;
    }
    closedir(d);
    return n;
}

/* A sweep past the scale threshold (#13): 2 cases x 12 lr x 3 seeds = 72 runs.  Validation
 * accuracy falls with lr while test accuracy rises (the ranking must follow validation), and
 * case b validates worse than all of case a (its best run is drawn as the best of its case).
 * summary.md: the best 20 runs and settings; 21 per-run figures; overlays folded by seed
 * (mean and band checked against the fixture's numbers); runs.csv has all 72. */
static void test_scale(void)
{
    LOCAL_PATH(runs, "%s/results/scale/runs", work);
    LOCAL_PATH(figs, "%s/plots/scale", work);
    report_mkdir_p(runs);
    const size_t first = n_expected;
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < 12; i++)
            for (long seed = 0; seed < 3; seed++) {
                run_spec p = {.sweep = "scale", .case_name = c ? "b" : "a", .optimizer = "sgd",
                              .schedule = "none", .status = "completed", .message = "",
                              .lr = 0.001 * pow(1.5, i), .momentum = 0.9, .weight_decay = 0,
                              .test_acc = 0.5 + 0.02 * i + 0.001 * (double)seed - 0.1 * c,
                              .val_bonus = -0.03 * i - 0.2 * c, .loss_floor = 0.05,
                              .seed = seed, .epochs = 20, .diverge_at = -1};
                make_run(runs, &p);
            }
    char *err;
    int rc = run_report(work, NULL, &err, "results/scale", (char *)NULL);
    EXPECT(rc == 0, "report scale exited %d: %s", rc, err);
    free(err);
    char *md = test_read_file(path_of("%s/results/scale/summary.md", work), NULL);
    EXPECT(md && strstr(md, "The best 20 of 72 runs") && strstr(md, "`runs.csv`"),
           "summary.md does not say it shows the best 20 of 72 runs and where the rest is");
    if (!md) return;
    /* the top 20 in the ranking's order: by validation, not test accuracy */
    expected_run *x = expected + first;
    const size_t n = n_expected - first;
    qsort(x, n, sizeof *x, compare_expected);
    int got = table_rows(md, "## Runs, ranked by best validation accuracy", rows, MAX_RUNS);
    EXPECT(got == 20, "runs table has %d rows at scale, expected 20", got);
    for (int i = 0; i < got && i < 20; i++) {
        char want[160];
        snprintf(want, sizeof want, "`%s`", x[i].id);
        EXPECT(strcmp(rows[i][1], want) == 0, "row %d is %s, expected %s", i + 1, rows[i][1], want);
    }
    size_t best_test = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i].test_acc > x[best_test].test_acc) best_test = i;
    EXPECT(best_test >= 20, "the best test accuracy is in the top 20 by validation: the fixture "
           "does not tell the rankings apart");
    got = table_rows(md, "## Runs that differ only by seed", rows, MAX_RUNS);
    EXPECT(got == 20, "seed-group table has %d rows at scale, expected 20", got);
    /* per-run figures: the best 20 (all of case a) and the best of case b */
    EXPECT(count_files(figs, "loss_", ".png") == 21, "%d per-run figures, expected 21",
           count_files(figs, "loss_", ".png"));
    const expected_run *best_b = NULL;
    for (size_t i = 0; i < n && !best_b; i++)
        if (strcmp(x[i].case_name, "b") == 0) best_b = &x[i];
    if (best_b) check_figure(figs, path_of("loss_%s", best_b->id));
    /* folded overlays: 12 settings of 24, each a mean and a band over 3 seeds */
    check_figure(figs, "val_loss");
    check_figure(figs, "val_acc");
    EXPECT(file_has_all(path_of("%s/val_loss.gp", figs), "filledcurves",
                        "the best 12 of 24 settings", "(3 seeds)'", (char *)NULL),
           "val_loss.gp is not folded (band, best 12 of 24, seeds)");
    char *dat = test_read_file(path_of("%s/val_loss.dat", figs), NULL);
    int blocks = 0;
    for (const char *p = dat; p && (p = strstr(p, "# block ")); p++) blocks++;
    EXPECT(blocks == 12, "val_loss.dat has %d blocks, expected 12", blocks);
    /* block 0, epoch 1 (the first, numbered from 1): val_loss = 1.1 (2.3 + 0.01 seed) + 0.002
     * over seeds 0, 1, 2 */
    const char *b0 = dat ? strstr(dat, "# block 0") : NULL;
    const char *line = b0 ? strchr(b0, '\n') : NULL;
    double e, mean, lo, hi, cnt;
    EXPECT(line && sscanf(line + 1, "%lf %lf %lf %lf %lf", &e, &mean, &lo, &hi, &cnt) == 5 &&
           e == 1 && fabs(mean - 2.543) < 1e-7 && fabs(lo - 2.532) < 1e-7 &&
           fabs(hi - 2.554) < 1e-7 && cnt == 3, "val_loss.dat block 0 does not start with "
           "1 2.543 2.532 2.554 3 (mean, mean -/+ std over the 3 seeds)");
    free(dat);
    char *csv = test_read_file(path_of("%s/results/scale/runs.csv", work), NULL);
    int lines = 0;
    for (const char *p = csv; p && (p = strchr(p, '\n')); p++) lines++;
    EXPECT(lines == 73, "runs.csv has %d lines, expected a header and 72 runs", lines);
    char want[200];
    snprintf(want, sizeof want, "\n1,%s,a,completed,", x[0].id);
    EXPECT(csv && strstr(csv, want), "runs.csv does not rank %s first", x[0].id);
    free(csv);
    free(md);
}

/* Without validation the ranking is the final train loss, lowest first (#15): here the
 * opposite of the test accuracy's order. */
static void test_rank_train_loss(void)
{
    LOCAL_PATH(runs, "%s/results/noval/runs", work);
    report_mkdir_p(runs);
    for (int i = 0; i < 3; i++) {
        run_spec p = {.sweep = "noval", .case_name = "", .optimizer = "sgd", .schedule = "none",
                      .status = "completed", .message = "", .lr = 0.01 * (i + 1),
                      .momentum = 0.0, .test_acc = 0.8 + 0.05 * i, .loss_floor = 0.1 + 0.1 * i,
                      .seed = 0, .epochs = 10, .diverge_at = -1, .no_val = 1};
        make_run(runs, &p);
    }
    char *err;
    int rc = run_report(work, NULL, &err, "results/noval", "--no-plots", (char *)NULL);
    EXPECT(rc == 0, "report noval exited %d: %s", rc, err);
    free(err);
    char *md = test_read_file(path_of("%s/results/noval/summary.md", work), NULL);
    int got = md ? table_rows(md, "## Runs, ranked by final train loss", rows, MAX_RUNS) : -1;
    EXPECT(got == 3, "no table ranked by final train loss (%d rows)", got);
    for (int i = 0; i < got && i < 3; i++)
        EXPECT(strstr(rows[i][1], i == 0 ? "lr0.01-" : i == 1 ? "lr0.02-" : "lr0.03-") != NULL,
               "row %d is %s: not the lowest final train loss first", i + 1, rows[i][1]);
    free(md);
}

/* report.select (#15): the sweep file's rule, stored in every run, ranks the runs unless
 * --select says otherwise; runs that disagree fall back to val_acc, and summary.md says
 * which rule chose and where it came from.  The runs are made so that the two metrics rank
 * them in opposite orders (val_acc rises with i, and so does val_loss). */
static void check_select(const char *sweep, const char *option, const char *heading,
                         const char *first, const char *source)
{
    char *err;
    LOCAL_PATH(dir, "results/%s", sweep);
    int rc = option ? run_report(work, NULL, &err, dir, "--no-plots", "--select", option,
                                 (char *)NULL)
                    : run_report(work, NULL, &err, dir, "--no-plots", (char *)NULL);
    EXPECT(rc == 0, "report %s exited %d: %s", sweep, rc, err);
    free(err);
    char *md = test_read_file(path_of("%s/results/%s/summary.md", work, sweep), NULL);
    int got = md ? table_rows(md, heading, rows, MAX_RUNS) : -1;
    EXPECT(got == 3, "%s (--select %s): no table '%s' (%d rows)", sweep,
           option ? option : "not given", heading, got);
    EXPECT(got < 1 || strstr(rows[0][1], first), "%s (--select %s): %s ranked first, not %s",
           sweep, option ? option : "not given", got > 0 ? rows[0][1] : "nothing", first);
    EXPECT(md && strstr(md, source), "%s (--select %s): summary.md does not say '%s'", sweep,
           option ? option : "not given", source);
    free(md);
}

static void test_select(void)
{
    const char *const sweeps[] = {"sel_loss", "sel_mixed", "sel_none"};
    for (int k = 0; k < 3; k++) {
        LOCAL_PATH(runs, "%s/results/%s/runs", work, sweeps[k]);
        report_mkdir_p(runs);
        for (int i = 0; i < 3; i++) {
            const char *sel = k == 0 ? "val_loss" : k == 1 ? (i ? "val_loss" : "val_acc") : NULL;
            run_spec p = {.sweep = sweeps[k], .case_name = "", .optimizer = "sgd",
                          .schedule = "none", .status = "completed", .message = "",
                          .lr = 0.01 * (i + 1), .momentum = 0.0, .test_acc = 0.8 + 0.05 * i,
                          .loss_floor = 0.1 + 0.1 * i, .seed = 0, .epochs = 10,
                          .diverge_at = -1, .select = sel};
            make_run(runs, &p);
        }
    }
    const char *acc = "## Runs, ranked by best validation accuracy";
    const char *loss = "## Runs, ranked by lowest validation loss";
    const char *by_file = "Chosen by the sweep's `report.select: val_loss`";
    check_select("sel_loss", NULL, loss, "lr0.01-", by_file);
    check_select("sel_loss", "val_acc", acc, "lr0.03-", "Chosen with `optsweep report --select "
                 "val_acc`");
    check_select("sel_mixed", NULL, acc, "lr0.03-", "The runs disagree on `report.select`** "
                 "(val_acc in 1, val_loss in 2");
    check_select("sel_mixed", "val_loss", loss, "lr0.01-", "Chosen with `optsweep report "
                 "--select val_loss`");
    check_select("sel_none", NULL, acc, "lr0.03-", "The default; set `report.select: val_loss`");
    /* plan.json holds the sweep file's rule as of the last `optsweep run`: it wins over the
     * runs' (trained under an earlier rule); damaged or planted, a clear error */
    LOCAL_PATH(plan_json, "%s/results/sel_mixed/plan.json", work);
    const char *plan_head = "{\"format_version\": 2, \"sweep\": \"sel_mixed\", \"source\": "
                            "\"s.yaml\", \"n_runs\": 3, \"report_select\": ";
    const char *text = path_of("%s\"val_loss\",\n \"runs\": []}\n", plan_head);
    test_write_file(plan_json, text, strlen(text));
    check_select("sel_mixed", NULL, loss, "lr0.01-", by_file);
    char *err;
    text = path_of("%s\"test_acc\",\n \"runs\": []}\n", plan_head);
    test_write_file(plan_json, text, strlen(text));
    int rc = run_report(work, NULL, &err, "results/sel_mixed", "--no-plots", (char *)NULL);
    EXPECT(rc == 2 && strstr(err, "plan.json: report_select must be val_acc or val_loss"),
           "plan.json's report_select test_acc: exit %d: %s", rc, err);
    free(err);
    unlink(plan_json);
    EXPECT(symlink(path_of("%s/results/sel_loss/summary.md", work), plan_json) == 0,
           "symlink %s", plan_json);
    rc = run_report(work, NULL, &err, "results/sel_mixed", "--no-plots", (char *)NULL);
    EXPECT(rc == 2 && strstr(err, "symbolic link"), "a planted plan.json link: exit %d: %s", rc,
           err);
    free(err);
    unlink(plan_json);
    rc = run_report(work, NULL, &err, "results/sel_none", "--select", "test_acc",
                    (char *)NULL);
    EXPECT(rc == 2 && strstr(err, "val_acc or val_loss"), "--select test_acc exited %d: %s", rc,
           err);
    free(err);
}

static void test_no_plots(void)
{
    char *err;
    LOCAL_PATH(figs, "%s/noplots", work);
    int rc = run_report(work, NULL, &err, "results/grid", "--no-plots", "--plots-dir", figs,
                        (char *)NULL);
    EXPECT(rc == 0, "--no-plots exited %d: %s", rc, err);
    free(err);
    EXPECT(file_size(figs) < 0, "--no-plots created %s", figs);
    char *md = test_read_file(path_of("%s/results/grid/summary.md", work), NULL);
    EXPECT(md && strstr(md, "Not drawn (`--no-plots`)") && !strstr(md, "]("),
           "--no-plots summary embeds figures");
    EXPECT(md && strstr(md, "## Runs that differ only by seed"), "--no-plots lost the groups");
    free(md);
}

static void test_errors(void)
{
    char *err;
    /* a missing directory is a usage error */
    int rc = run_report(work, NULL, &err, "results/nope", (char *)NULL);
    EXPECT(rc == 2, "missing dir exited %d", rc);
    EXPECT(strstr(err, "results/nope") != NULL, "message does not name the dir: %s", err);
    free(err);
    rc = run_report(work, NULL, &err, (char *)NULL);
    EXPECT(rc == 2, "no argument exited %d", rc);
    free(err);
    rc = run_report(work, NULL, &err, "results/grid", "--bogus", (char *)NULL);
    EXPECT(rc == 2 && strstr(err, "--bogus"), "unknown option exited %d: %s", rc, err);
    free(err);
    rc = run_report(work, NULL, &err, "results/grid", "--out", (char *)NULL);
    EXPECT(rc == 2, "--out without a value exited %d", rc);
    free(err);

    /* a file of another format version: a clear error, nothing written */
    LOCAL_PATH(runs, "%s/results/badver/runs", work);
    report_mkdir_p(runs);
    double loss[3] = {2.3, 2.0, 1.8}, vl[1] = {2.2}, va[1] = {0.3};
    int ve[1] = {1};
    fixture_run f = {.format_version = 2, .run_id = "good", .sweep = "badver", .case_name = "",
                     .status = "completed", .status_epoch = -1, .status_message = "",
                     .optimizer = "sgd", .lr = 0.1, .momentum = 0, .weight_decay = 0,
                     .batch_size = 64, .epochs = 3, .seed = 0, .schedule = "none",
                     .n_epochs = 3, .train_loss = loss, .n_val = 1, .val_epoch = ve,
                     .val_loss = vl, .val_acc = va, .test_loss = 1.8, .test_acc = 0.5,
                     .best_val_acc = 0.3, .mean_weight = 0.01, .wall_seconds = 1};
    EXPECT(fixture_write_run(path_of("%s/good.h5", runs), &f) == 0, "fixture");
    f.format_version = 3;
    f.run_id = "future";
    EXPECT(fixture_write_run(path_of("%s/future.h5", runs), &f) == 0, "fixture");
    rc = run_report(work, NULL, &err, "results/badver", "--no-plots", (char *)NULL);
    EXPECT(rc == 2, "format_version 3 exited %d", rc);
    EXPECT(strstr(err, "future.h5") && strstr(err, "format_version is 3"),
           "unclear version message: %s", err);
    EXPECT(file_size(path_of("%s/results/badver/summary.md", work)) < 0,
           "summary written despite a version mismatch");
    free(err);

    /* a damaged file: reported and listed, the rest summarized, exit 1 */
    LOCAL_PATH(damaged, "%s/results/damaged/runs", work);
    report_mkdir_p(damaged);
    f.format_version = 2;
    f.run_id = "good";
    f.sweep = "damaged";
    EXPECT(fixture_write_run(path_of("%s/good.h5", damaged), &f) == 0, "fixture");
    test_write_text(path_of("%s/broken.h5", damaged), "this is not HDF5");
    /* issue #11 class 8: one byte overwritten inside a dataset of a valid file is caught by
     * the checksum (before, the report showed the changed number) */
    f.run_id = "flipped";
    LOCAL_PATH(flipped, "%s/flipped.h5", damaged);
    EXPECT(fixture_write_run(flipped, &f) == 0, "fixture");
    hid_t h5 = H5Fopen(flipped, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(h5, "train_loss", H5P_DEFAULT);
    haddr_t at = H5Dget_offset(ds);
    H5Dclose(ds);
    H5Fclose(h5);
    int fd = open(flipped, O_WRONLY);
    EXPECT(fd >= 0 && at != HADDR_UNDEF && pwrite(fd, "\x55", 1, (off_t)at + 3) == 1,
           "flipping a byte of %s", flipped);
    if (fd >= 0) close(fd);
    rc = run_report(work, NULL, &err, "results/damaged", "--no-plots", (char *)NULL);
    EXPECT(rc == 1, "damaged file exited %d", rc);
    EXPECT(strstr(err, "broken.h5") != NULL, "message does not name broken.h5: %s", err);
    EXPECT(strstr(err, "flipped.h5: damaged") != NULL, "flipped byte not caught: %s", err);
    free(err);
    char *md = test_read_file(path_of("%s/results/damaged/summary.md", work), NULL);
    EXPECT(md && strstr(md, "`runs/broken.h5` is damaged") && strstr(md, "`good`") &&
           strstr(md, "`runs/flipped.h5` is damaged"), "damaged sweep summary wrong");
    free(md);
    remove(flipped);

    /* an empty runs directory */
    report_mkdir_p(path_of("%s/results/empty/runs", work));
    rc = run_report(work, NULL, &err, "results/empty", (char *)NULL);
    EXPECT(rc == 2, "empty sweep exited %d", rc);
    free(err);

    /* gnuplot missing: named, with the apt command; the summary is still written */
    LOCAL_PATH(bare, "%s/bare-path", work);
    report_mkdir_p(bare);
    LOCAL_PATH(figs, "%s/nognuplot", work);
    rc = run_report(work, bare, &err, "results/damaged", "--plots-dir", figs, (char *)NULL);
    EXPECT(rc == 1, "missing gnuplot exited %d", rc);
    EXPECT(strstr(err, "gnuplot is not installed") && strstr(err, "apt-get install gnuplot-nox"),
           "unclear missing-gnuplot message: %s", err);
    free(err);
    md = test_read_file(path_of("%s/results/damaged/summary.md", work), NULL);
    EXPECT(md && strstr(md, "None could be drawn"), "summary does not say why there are no "
           "figures");
    free(md);
    /* --no-plots needs no gnuplot at all */
    rc = run_report(work, bare, &err, "results/badver", "--no-plots", (char *)NULL);
    EXPECT(rc == 2, "badver without gnuplot exited %d", rc); /* still the version error */
    free(err);
    LOCAL_PATH(plain, "%s/results/plain/runs", work);
    report_mkdir_p(plain);
    f.sweep = "plain";
    EXPECT(fixture_write_run(path_of("%s/good.h5", plain), &f) == 0, "fixture");
    rc = run_report(work, bare, &err, "results/plain", "--no-plots", (char *)NULL);
    EXPECT(rc == 0, "--no-plots without gnuplot exited %d: %s", rc, err);
    free(err);
}

/* Reads one RFC 4180 record at *p into cells (malloc'd); returns the field count, 0 at the
 * end.  Written here from the RFC, apart from the report's writer. */
static int csv_row(const char **p, char **cells, int max)
{
    const char *s = *p;
    if (!*s) return 0;
    int n = 0;
    for (;;) {
        size_t cap = strlen(s) + 1, k = 0;
        char *cell = malloc(cap);
        if (*s == '"') {
            for (s++; *s; s++) {
                if (*s == '"' && s[1] == '"') cell[k++] = *s++;
                else if (*s == '"') { s++; break; }
                else cell[k++] = *s;
            }
        } else {
            while (*s && *s != ',' && *s != '\r' && *s != '\n') cell[k++] = *s++;
        }
        cell[k] = '\0';
        if (n < max) cells[n++] = cell;
        else free(cell);
        if (*s == ',') { s++; continue; }
        if (*s == '\r') s++;
        if (*s == '\n') s++;
        break;
    }
    *p = s;
    return n;
}

static void csv_free(char **cells, int n)
{
    for (int i = 0; i < n; i++) free(cells[i]);
}

/* Issue #11, class 1: run files are untrusted (results folders are copied and merged).
 * Strings edited into them (sweep, case, optimizer.name) with backticks, quotes, backslashes,
 * newlines and gnuplot macros must reach the figures as text and never run: real gnuplot
 * draws every figure and no file appears from the commands. */
static void test_hostile_strings(void)
{
    LOCAL_PATH(runs, "%s/results/hostile/runs", work);
    LOCAL_PATH(figs, "%s/figs/hostile", work);
    report_mkdir_p(runs);
    /* no '/' (they become file names): the marker lands in gnuplot's working directory */
    const char *evil[3] = {"s`touch PWNED`\"@x", "c'`touch PWNED`\n`touch PWNED`\\",
                           "sgd\"; system('touch PWNED'); x=\""};
    /* a spreadsheet formula, with a comma and quotes (runs.csv must keep it one inert cell) */
    const char *formula = "=HYPERLINK(\"http://x\",\"a,b\")";
    /* 45 runs, each its own lr: past the scale threshold (folded overlays, best runs only)
     * and a sampled key (the scatter figure) */
    for (int i = 0; i < 45; i++) {
        run_spec p = {.sweep = evil[0], .case_name = i % 3 == 2 ? "plain" : evil[1],
                      .optimizer = i % 3 ? evil[2] : "sgd", .schedule = i % 3 == 1 ? "step" : "none",
                      .status = "completed", .message = i % 3 == 2 ? formula : evil[1],
                      .lr = 0.001 * (i + 1), .momentum = 0.0, .weight_decay = 0.0,
                      .test_acc = 0.9 - 0.001 * i, .loss_floor = 0.05, .seed = i % 3,
                      .epochs = 12, .diverge_at = -1};
        make_run(runs, &p);
    }
    char *err;
    int rc = run_report(work, NULL, &err, "results/hostile", "--plots-dir", figs, (char *)NULL);
    EXPECT(rc == 0, "report on hostile strings exited %d: %s", rc, err);
    free(err);
    EXPECT(file_size(path_of("%s/PWNED", figs)) < 0 && file_size(path_of("%s/PWNED", work)) < 0,
           "a string from a run file ran as a command (PWNED exists)");
    check_figure(figs, "test_acc");
    check_figure(figs, "val_loss");
    check_figure(figs, "test_acc_vs_lr");
    EXPECT(file_has_all(path_of("%s/test_acc_vs_lr.gp", figs), "with points", (char *)NULL),
           "test_acc_vs_lr is not the scatter of a sampled key");
    /* runs.csv: every string back exactly as the run file holds it (RFC 4180), the formula
     * behind a ' */
    char *csv = test_read_file(path_of("%s/results/hostile/runs.csv", work), NULL);
    EXPECT(csv != NULL, "no runs.csv");
    if (!csv) return;
    char *cells[64];
    const char *p = csv;
    int n_header = csv_row(&p, cells, 64), col_case = -1, col_msg = -1, col_opt = -1;
    for (int c = 0; c < n_header; c++) {
        if (strcmp(cells[c], "case") == 0) col_case = c;
        if (strcmp(cells[c], "status_message") == 0) col_msg = c;
        if (strcmp(cells[c], "optimizer.name") == 0) col_opt = c;
    }
    csv_free(cells, n_header);
    EXPECT(col_case >= 0 && col_msg >= 0 && col_opt >= 0, "runs.csv header lacks case, "
           "status_message or optimizer.name");
    int rows = 0, evil_rows = 0, formula_rows = 0;
    char want_formula[128];
    snprintf(want_formula, sizeof want_formula, "'%s", formula);
    for (int n; (n = csv_row(&p, cells, 64)) > 0; rows++) {
        EXPECT(n == n_header, "runs.csv row %d has %d fields, the header %d", rows + 1, n,
               n_header);
        if (n == n_header) {
            evil_rows += strcmp(cells[col_case], evil[1]) == 0 &&
                         strcmp(cells[col_msg], evil[1]) == 0;
            formula_rows += strcmp(cells[col_case], "plain") == 0 &&
                            strcmp(cells[col_msg], want_formula) == 0 &&
                            strcmp(cells[col_opt], evil[2]) == 0;
        }
        csv_free(cells, n);
    }
    EXPECT(rows == 45 && evil_rows == 30 && formula_rows == 15, "runs.csv: %d rows, %d with "
           "the hostile case and message intact (30 expected), %d with the formula behind a ' "
           "(15 expected)", rows, evil_rows, formula_rows);
    free(csv);

    /* a plots folder from elsewhere with every file of the report replaced by a link to a
     * file outside it: the report writes new files (its own .dat, .gp, and gnuplot's .png,
     * .svg), never through a link */
    LOCAL_PATH(victim, "%s/victim.txt", work);
    test_write_file(victim, "kept\n", 5);
    DIR *d = opendir(figs);
    struct dirent *e;
    int planted = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        LOCAL_PATH(f, "%s/%s", figs, e->d_name);
        planted += unlink(f) == 0 && symlink(victim, f) == 0;
    }
    if (d) closedir(d);
    EXPECT(planted >= 20, "planted %d links in %s", planted, figs);
    rc = run_report(work, NULL, &err, "results/hostile", "--plots-dir", figs, (char *)NULL);
    EXPECT(rc == 0, "report over planted links exited %d: %s", rc, err);
    free(err);
    char *kept = test_read_file(victim, NULL);
    EXPECT(kept && strcmp(kept, "kept\n") == 0, "a link planted in the plots folder was written "
           "through: %s now holds %.40s", victim, kept ? kept : "(nothing)");
    free(kept);
    int links = 0;
    d = opendir(figs);
    while (d && (e = readdir(d))) {
        struct stat st;
        LOCAL_PATH(f, "%s/%s", figs, e->d_name);
        links += lstat(f, &st) == 0 && S_ISLNK(st.st_mode);
    }
    if (d) closedir(d);
    EXPECT(links == 0, "%d planted links are still in %s", links, figs);
    check_figure(figs, "test_acc");
}

/* gnuplot's failure on a broken script is reported with the script's name and gnuplot's
 * message, and the good scripts beside it are still drawn. */
static void test_gnuplot_failure(void)
{
    char gnuplot[4096];
    if (report_gnuplot_find(gnuplot, sizeof gnuplot) != 0) return;
    LOCAL_PATH(dir, "%s/gpfail", work);
    report_mkdir_p(dir);
    test_write_text(path_of("%s/bad.gp", dir), "set terminal pngcairo\nset output 'bad.png'\n"
                    "plot nonsense_function(x)\n");
    test_write_text(path_of("%s/good.gp", dir), "set terminal pngcairo\nset output 'good.png'\n"
                    "plot x\n");
    char *scripts[2] = {"bad.gp", "good.gp"};
    LOCAL_PATH(err_path, "%s/gpfail.txt", work);
    fflush(NULL);
    int saved = dup(2);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fe, 2);
    int rc = report_gnuplot_run(gnuplot, dir, scripts, 2);
    fflush(stderr);
    dup2(saved, 2);
    close(fe);
    close(saved);
    char *err = test_read_file(err_path, NULL);
    EXPECT(rc == 1, "a failing script returned %d", rc);
    EXPECT(err && strstr(err, "bad.gp") && strstr(err, "nonsense_function"),
           "gnuplot's error not shown: %s", err ? err : "");
    EXPECT(err && !strstr(err, "good.gp"), "good.gp reported as failing");
    EXPECT(file_size(path_of("%s/good.png", dir)) > 0, "good.gp not drawn");
    free(err);
}

int main(int argc, char **argv)
{
    /* --hostile: only the untrusted-strings check (its own ctest, report_hostile_strings) */
    int hostile_only = argc == 3 && strcmp(argv[2], "--hostile") == 0;
    if ((argc != 2 && !hostile_only) || argv[1][0] != '/') {
        fprintf(stderr, "usage: test_report /absolute/work/dir [--hostile]\n");
        return 2;
    }
    snprintf(work, sizeof work, "%s", argv[1]);
    test_remove_tree(work);
    if (report_mkdir_p(work) != 0) {
        fprintf(stderr, "cannot create %s: %s\n", work, strerror(errno));
        return 1;
    }
    char gnuplot[4096];
    int have_gnuplot = report_gnuplot_find(gnuplot, sizeof gnuplot) == 0;
    if (hostile_only) {
        if (have_gnuplot) test_hostile_strings();
    } else {
        test_relative_paths();
        test_errors();
        /* what is kept, not what is learnt: never a setting the report compares */
        CHECK(!report_key_is_setting("train.keep_best") &&
              report_key_is_setting("train.epochs"));
    }
    if (have_gnuplot && !hostile_only) {
        test_grid();
        test_cases();
        test_heatmap_panels();
        test_scale();
        test_rank_train_loss();
        test_select();
        test_no_plots();
        test_gnuplot_failure();
    }
    if (test_failures) {
        fprintf(stderr, "test_report: %d failure(s); files in %s\n", test_failures, work);
        return 1;
    }
    if (!have_gnuplot) {
        printf("test_report: gnuplot not installed: figure tests skipped\n");
        return 77;
    }
    printf("test_report: all checks passed; figures in %s\n", work);
    return 0;
}
