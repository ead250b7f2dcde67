/* report_read.c — the report's view of a sweep: each finished run file (<id>.h5; never
 * *.part, *.ckpt.h5, *.corrupt) read through the store's reader (store_read_run, the one
 * definition of the run-file layout) and turned into a report_run: settings with an exact
 * text for comparing and a short one for people, logs as doubles. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "store.h"

/* ---- settings ------------------------------------------------------------------------------- */

const report_attr *report_run_attr(const report_run *r, const char *key)
{
    for (size_t i = 0; i < r->n_attrs; i++)
        if (strcmp(r->attrs[i].key, key) == 0) return &r->attrs[i];
    return NULL;
}

double report_run_number(const report_run *r, const char *key)
{
    const report_attr *a = report_run_attr(r, key);
    return a && a->kind == REPORT_VALUE_NUMBER ? a->number : NAN;
}

const char *report_run_display(const report_run *r, const char *key, const char *fallback)
{
    const report_attr *a = report_run_attr(r, key);
    return a ? a->display : fallback;
}

/* The value for people: each real of a number or list with %g (report_format_number),
 * integers as stored.  text is the store's exact text ("0.001", "[0.9, 0.999]"). */
static char *display_of(const char *text)
{
    size_t cap = 32 * (strlen(text) + 1), k = 0;
    char *out = xmalloc(cap);
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "[], ");
        if (len == 0) {
            out[k++] = *p++;
            continue;
        }
        char *tok = xmalloc(len + 1), *end;
        memcpy(tok, p, len);
        tok[len] = '\0';
        strtoll(tok, &end, 10);
        if (*end != '\0') {
            double v = strtod(tok, &end);
            if (*end == '\0') {
                tok = xrealloc(tok, 64);
                report_format_number(v, tok, 64);
            }
        }
        k += (size_t)snprintf(out + k, cap - k, "%s", tok);
        free(tok);
        p += len;
    }
    out[k] = '\0';
    return out;
}

/* One setting of the run file as the report compares and shows it.  Booleans are numbers
 * here, 0 and 1, like every other numeric setting. */
static report_attr attr_of(const store_setting *st)
{
    report_attr a = { .key = xstrdup(st->key), .number = NAN };
    if (st->kind == STORE_SETTING_NUMBER) {
        a.kind = REPORT_VALUE_NUMBER;
        a.number = st->number;
        int is_bool = strcmp(st->text, "true") == 0 || strcmp(st->text, "false") == 0;
        a.text = is_bool ? xstrdup(st->number != 0 ? "1" : "0") : xstrdup(st->text);
        a.display = display_of(a.text);
    } else if (st->kind == STORE_SETTING_LIST) {
        a.kind = REPORT_VALUE_TEXT;
        a.text = xstrdup(st->text);
        a.display = display_of(a.text);
    } else {
        a.kind = REPORT_VALUE_TEXT;
        a.text = xstrdup(st->text);
        a.display = xstrdup(st->text);
    }
    return a;
}

/* ---- one run -------------------------------------------------------------------------------- */

static void series_of_ints(report_series *s, const int *v, int n)
{
    s->n = (size_t)n;
    s->v = xcalloc(s->n ? s->n : 1, sizeof *s->v);
    for (size_t i = 0; i < s->n; i++) s->v[i] = v[i];
}

static void series_of_doubles(report_series *s, const double *v, int n)
{
    s->n = (size_t)n;
    s->v = xcalloc(s->n ? s->n : 1, sizeof *s->v);
    if (n > 0) memcpy(s->v, v, s->n * sizeof *s->v);
}

static char *id_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *id = xstrdup(base);
    size_t n = strlen(id);
    if (n > 3 && strcmp(id + n - 3, ".h5") == 0) id[n - 3] = '\0';
    return id;
}

/* Moves what the report needs from the store's log into r. */
static void run_from_log(report_run *r, const store_run_log *log)
{
    r->attrs = xcalloc(log->n_settings ? (size_t)log->n_settings : 1, sizeof *r->attrs);
    for (int i = 0; i < log->n_settings; i++) r->attrs[r->n_attrs++] = attr_of(&log->settings[i]);
    series_of_ints(&r->epoch, log->epoch, log->n_epochs);
    series_of_doubles(&r->train_loss, log->train_loss, log->n_epochs);
    series_of_doubles(&r->lr, log->lr, log->n_epochs);
    series_of_doubles(&r->epoch_seconds, log->epoch_seconds, log->n_epochs);
    series_of_ints(&r->val_epoch, log->val_epoch, log->n_val);
    series_of_doubles(&r->val_loss, log->val_loss, log->n_val);
    series_of_doubles(&r->val_acc, log->val_acc, log->n_val);
    r->id = log->run_id[0] ? xstrdup(log->run_id) : id_from_path(r->path);
    r->sweep = xstrdup(log->sweep);
    r->case_name = xstrdup(log->case_name);
    r->status = xstrdup(log->status);
    r->status_message = xstrdup(log->status_message);
    r->sampled = xstrdup(log->sampled);
    r->status_epoch = log->status_epoch < 0 ? NAN : log->status_epoch;
    r->wall_seconds = log->wall_seconds;
    r->test_loss = log->test_loss;
    r->test_acc = log->test_acc;
    r->best_val_acc = log->best_val_acc;
    r->mean_weight = log->mean_weight;
    memcpy(r->n_images, log->n_images, sizeof r->n_images);
}

int report_read_run(const char *path, report_run *r)
{
    memset(r, 0, sizeof *r);
    r->path = xstrdup(path);
    store_run_log log;
    char err[2048];
    int rc = store_read_run(path, &log, err, sizeof err);
    if (rc == STORE_ERR_VERSION && log.format_version != 0) {
        fprintf(stderr, "optsweep: report: %s: format_version is %d, but this optsweep reads "
                "version %d only (docs/FORMAT.md); report it with the optsweep that wrote it\n",
                path, log.format_version, STORE_FORMAT_VERSION);
        return 2;
    }
    if (rc < 0) {
        fprintf(stderr, "optsweep: report: %s\n", err);
        return rc == STORE_ERR_VERSION ? 2 : 1;
    }
    run_from_log(r, &log);
    store_run_log_free(&log);
    return 0;
}

void report_run_free(report_run *r)
{
    for (size_t i = 0; i < r->n_attrs; i++) {
        free(r->attrs[i].key);
        free(r->attrs[i].text);
        free(r->attrs[i].display);
    }
    free(r->attrs);
    report_series *all[] = {&r->epoch, &r->train_loss, &r->lr, &r->epoch_seconds,
                            &r->val_epoch, &r->val_loss, &r->val_acc};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]->v);
    free(r->path);
    free(r->id);
    free(r->sweep);
    free(r->case_name);
    free(r->status);
    free(r->status_message);
    free(r->sampled);
    memset(r, 0, sizeof *r);
}

/* ---- a sweep -------------------------------------------------------------------------------- */

/* A finished run file: "<id>.h5", but not "<id>.ckpt.h5" (checkpoints) nor hidden files;
 * *.h5.part, *.h5.corrupt, *.tmp and *.lock do not end in .h5 at all. */
static int is_run_file_name(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.' || n <= 3 || strcmp(name + n - 3, ".h5") != 0) return 0;
    if (n >= 8 && strcmp(name + n - 8, ".ckpt.h5") == 0) return 0;
    return 1;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *base_name(const char *dir)
{
    char *d = xstrdup(dir);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/') d[--n] = '\0';
    const char *slash = strrchr(d, '/');
    char *b = xstrdup(slash && slash[1] ? slash + 1 : d);
    free(d);
    return b;
}

int report_read_sweep(const char *dir, report_sweep *s)
{
    memset(s, 0, sizeof *s);
    s->dir = xstrdup(dir);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "optsweep: report: %s: %s (expected results/<sweep>, the directory "
                "`optsweep run` writes)\n", dir, stat(dir, &st) != 0 ? strerror(errno)
                                                             : "not a directory");
        return 2;
    }
    char *runs_dir = report_path_join(dir, "runs");
    DIR *d = opendir(runs_dir);
    if (!d) {
        fprintf(stderr, "optsweep: report: %s: %s (no runs have finished in this sweep "
                "directory yet?)\n", runs_dir, strerror(errno));
        free(runs_dir);
        return 2;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!is_run_file_name(e->d_name)) continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, compare_names);

    int rc = 0;
    s->runs = xcalloc(n ? n : 1, sizeof *s->runs);
    for (size_t i = 0; i < n; i++) {
        char *path = report_path_join(runs_dir, names[i]);
        report_run r;
        int rr = report_read_run(path, &r);
        if (rr == 0) {
            s->runs[s->n_runs++] = r;
        } else {
            report_run_free(&r);
            if (rr == 2) rc = 2;
            s->skipped = xrealloc(s->skipped, (s->n_skipped + 1) * sizeof *s->skipped);
            s->skipped[s->n_skipped++] = xstrdup(names[i]);
        }
        free(path);
        free(names[i]);
    }
    free(names);
    if (rc == 0 && s->n_runs == 0) {
        fprintf(stderr, "optsweep: report: %s: no finished run file (*.h5) to report%s\n",
                runs_dir, s->n_skipped ? " (every one failed to read)" : "");
        rc = 2;
    }
    free(runs_dir);
    if (rc) return rc;
    /* the sweep's name: what the runs say (they agree unless results were merged by hand) */
    s->name = xstrdup(s->runs[0].sweep[0] ? s->runs[0].sweep : "");
    if (!s->name[0]) {
        free(s->name);
        s->name = base_name(dir);
    }
    return 0;
}

void report_sweep_free(report_sweep *s)
{
    for (size_t i = 0; i < s->n_runs; i++) report_run_free(&s->runs[i]);
    free(s->runs);
    for (size_t i = 0; i < s->n_skipped; i++) free(s->skipped[i]);
    free(s->skipped);
    free(s->dir);
    free(s->name);
    memset(s, 0, sizeof *s);
}
