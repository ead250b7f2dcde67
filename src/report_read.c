/* report_read.c — reads finished run files (docs/FORMAT.md, format version 1) for the report:
 * every root attribute generically (so any swept setting can be compared), the logs and the
 * final scalars.  Skips *.part, *.ckpt.h5, *.corrupt and other non-final files. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"

/* ---- attributes ----------------------------------------------------------------------------- */

/* Text of numeric values: integers exactly, reals with 17 digits (round-trips), so comparing
 * texts compares the stored values bit for bit; *display gets the same with %g for reals. */
static char *numbers_text(hid_t attr, hid_t type, H5T_class_t cls, hsize_t count, int scalar,
                          double *first, char **display)
{
    size_t cap = 32 * (size_t)(count ? count : 1) + 4, k = 0, kd = 0;
    char *text = xmalloc(cap), *disp = xmalloc(cap);
    *first = NAN;
    *display = NULL;
    if (!scalar) {
        text[k++] = '[';
        disp[kd++] = '[';
    }
    text[k] = disp[kd] = '\0';
    int ok = 1;
    if (count == 0) {
        /* nothing to read */
    } else if (cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE) {
        unsigned long long *v = xcalloc(count, sizeof *v);
        ok = H5Aread(attr, H5T_NATIVE_ULLONG, v) >= 0;
        for (hsize_t i = 0; ok && i < count; i++)
            k += (size_t)snprintf(text + k, cap - k, "%s%llu", i ? ", " : "", v[i]);
        if (ok) *first = (double)v[0];
        free(v);
        snprintf(disp + kd, cap - kd, "%s", text + kd);
        kd = strlen(disp);
    } else if (cls == H5T_INTEGER) {
        long long *v = xcalloc(count, sizeof *v);
        ok = H5Aread(attr, H5T_NATIVE_LLONG, v) >= 0;
        for (hsize_t i = 0; ok && i < count; i++)
            k += (size_t)snprintf(text + k, cap - k, "%s%lld", i ? ", " : "", v[i]);
        if (ok) *first = (double)v[0];
        free(v);
        snprintf(disp + kd, cap - kd, "%s", text + kd);
        kd = strlen(disp);
    } else {
        double *v = xcalloc(count, sizeof *v);
        ok = H5Aread(attr, H5T_NATIVE_DOUBLE, v) >= 0;
        for (hsize_t i = 0; ok && i < count; i++) {
            char num[64];
            k += (size_t)snprintf(text + k, cap - k, "%s%.17g", i ? ", " : "", v[i]);
            report_format_number(v[i], num, sizeof num);
            kd += (size_t)snprintf(disp + kd, cap - kd, "%s%s", i ? ", " : "", num);
        }
        if (ok) *first = v[0];
        free(v);
    }
    if (!ok) {
        free(text);
        free(disp);
        return NULL;
    }
    if (!scalar) {
        snprintf(text + k, cap - k, "]");
        snprintf(disp + kd, cap - kd, "]");
    }
    *display = disp;
    return text;
}

static char *string_text(hid_t attr, hid_t type)
{
    hid_t mem = H5Tcopy(H5T_C_S1);
    if (mem < 0) return NULL;
    char *out = NULL;
    H5Tset_cset(mem, H5Tget_cset(type));
    if (H5Tis_variable_str(type) > 0) {
        char *v = NULL;
        H5Tset_size(mem, H5T_VARIABLE);
        if (H5Aread(attr, mem, &v) >= 0) {
            out = xstrdup(v ? v : "");
            H5free_memory(v);
        }
    } else {
        size_t size = H5Tget_size(type);
        H5Tset_size(mem, size + 1);  /* room for the terminator whatever the padding */
        char *v = xcalloc(size + 2, 1);
        if (H5Aread(attr, mem, v) >= 0) out = xstrdup(v);
        free(v);
    }
    H5Tclose(mem);
    return out;
}

typedef struct {
    report_run *run;
    const char *path;
    int failed;
} attr_walk;

static herr_t read_one_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    attr_walk *w = data;
    hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
    hid_t space = attr >= 0 ? H5Aget_space(attr) : -1;
    if (attr < 0 || type < 0 || space < 0) {
        fprintf(stderr, "optsweep: report: %s: cannot read attribute %s\n", w->path, name);
        w->failed = 1;
        if (type >= 0) H5Tclose(type);
        if (space >= 0) H5Sclose(space);
        if (attr >= 0) H5Aclose(attr);
        return -1;
    }
    H5T_class_t cls = H5Tget_class(type);
    int rank = H5Sget_simple_extent_ndims(space);
    hssize_t count = H5Sget_simple_extent_npoints(space);
    report_attr a = {.key = xstrdup(name), .kind = REPORT_VALUE_TEXT, .number = NAN};
    if ((cls == H5T_INTEGER || cls == H5T_FLOAT) && count >= 0 && rank <= 1) {
        a.text = numbers_text(attr, type, cls, (hsize_t)count, rank == 0, &a.number,
                              &a.display);
        if (rank == 0) a.kind = REPORT_VALUE_NUMBER;
    } else if (cls == H5T_STRING && count == 1) {
        a.text = string_text(attr, type);
    } else {
        a.text = xstrdup("(unsupported type)");
    }
    H5Tclose(type);
    H5Sclose(space);
    H5Aclose(attr);
    if (a.text && !a.display) a.display = xstrdup(a.text);
    if (!a.text) {
        fprintf(stderr, "optsweep: report: %s: cannot read attribute %s\n", w->path, name);
        free(a.key);
        w->failed = 1;
        return -1;
    }
    report_run *r = w->run;
    r->attrs = xrealloc(r->attrs, (r->n_attrs + 1) * sizeof *r->attrs);
    r->attrs[r->n_attrs++] = a;
    return 0;
}

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

/* ---- datasets ------------------------------------------------------------------------------- */

static int read_series(hid_t file, const char *name, report_series *out, const char *path)
{
    out->v = NULL;
    out->n = 0;
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
        fprintf(stderr, "optsweep: report: %s: dataset %s is missing (incomplete or damaged run "
                "file)\n", path, name);
        return 1;
    }
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t space = d >= 0 ? H5Dget_space(d) : -1;
    int rc = 1;
    if (space >= 0 && H5Sget_simple_extent_ndims(space) == 1) {
        hssize_t count = H5Sget_simple_extent_npoints(space);
        if (count >= 0) {
            out->n = (size_t)count;
            out->v = xcalloc(out->n ? out->n : 1, sizeof *out->v);
            rc = (count == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                        out->v) >= 0) ? 0 : 1;
        }
    }
    if (rc) fprintf(stderr, "optsweep: report: %s: cannot read dataset %s (expected a 1-D "
                    "numeric array)\n", path, name);
    if (space >= 0) H5Sclose(space);
    if (d >= 0) H5Dclose(d);
    return rc;
}

/* ---- one run -------------------------------------------------------------------------------- */

static char *text_or(const report_run *r, const char *key, const char *fallback)
{
    const report_attr *a = report_run_attr(r, key);
    return xstrdup(a && a->kind == REPORT_VALUE_TEXT ? a->text : fallback);
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

static int read_run_file(hid_t file, const char *path, report_run *r)
{
    attr_walk w = {.run = r, .path = path};
    hsize_t idx = 0;
    if (H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, &idx, read_one_attr, &w) < 0 || w.failed) {
        fprintf(stderr, "optsweep: report: %s: cannot read its attributes (damaged file?)\n", path);
        return 1;
    }
    const report_attr *v = report_run_attr(r, "format_version");
    if (!v || v->kind != REPORT_VALUE_NUMBER) {
        fprintf(stderr, "optsweep: report: %s: no format_version attribute: not an optsweep run "
                "file (docs/FORMAT.md)\n", path);
        return 2;
    }
    if (v->number != REPORT_FORMAT_VERSION) {
        fprintf(stderr, "optsweep: report: %s: format_version is %s, but this optsweep reads "
                "version %d only (docs/FORMAT.md); report it with the optsweep that wrote it\n",
                path, v->text, REPORT_FORMAT_VERSION);
        return 2;
    }
    const report_attr *kind = report_run_attr(r, "kind");
    if (kind && kind->kind == REPORT_VALUE_TEXT && strcmp(kind->text, "checkpoint") == 0) {
        fprintf(stderr, "optsweep: report: %s: is a checkpoint, not a finished run\n", path);
        return 1;
    }
    if (!report_run_attr(r, "status")) {
        fprintf(stderr, "optsweep: report: %s: no status attribute (incomplete run file)\n", path);
        return 1;
    }
    struct { const char *name; report_series *s; } logs[] = {
        {"epoch", &r->epoch}, {"train_loss", &r->train_loss}, {"lr", &r->lr},
        {"epoch_seconds", &r->epoch_seconds}, {"val_epoch", &r->val_epoch},
        {"val_loss", &r->val_loss}, {"val_acc", &r->val_acc},
    };
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++)
        if (read_series(file, logs[i].name, logs[i].s, path)) return 1;
    if (r->train_loss.n != r->epoch.n || r->lr.n != r->epoch.n ||
        r->val_loss.n != r->val_epoch.n || r->val_acc.n != r->val_epoch.n) {
        fprintf(stderr, "optsweep: report: %s: log datasets have inconsistent lengths "
                "(epoch %zu, train_loss %zu, lr %zu; val_epoch %zu, val_loss %zu, val_acc %zu)\n",
                path, r->epoch.n, r->train_loss.n, r->lr.n, r->val_epoch.n, r->val_loss.n,
                r->val_acc.n);
        return 1;
    }
    r->id = text_or(r, "run_id", "");
    if (!r->id[0]) {
        free(r->id);
        r->id = id_from_path(path);
    }
    r->sweep = text_or(r, "sweep", "");
    r->case_name = text_or(r, "case", "");
    r->status = text_or(r, "status", "");
    r->status_message = text_or(r, "status_message", "");
    r->status_epoch = report_run_number(r, "status_epoch");
    if (r->status_epoch < 0) r->status_epoch = NAN;
    r->wall_seconds = report_run_number(r, "wall_seconds");
    r->test_loss = report_run_number(r, "test_loss");
    r->test_acc = report_run_number(r, "test_acc");
    r->best_val_acc = report_run_number(r, "best_val_acc");
    r->mean_weight = report_run_number(r, "mean_weight");
    return 0;
}

int report_read_run(const char *path, report_run *r)
{
    memset(r, 0, sizeof *r);
    r->path = xstrdup(path);
    /* our messages replace HDF5's error stack dump; restore the caller's setting after */
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = 1;
    hid_t file = -1;
#if H5_VERSION_GE(1, 12, 0)
    htri_t is_hdf5 = H5Fis_accessible(path, H5P_DEFAULT);
#else
    htri_t is_hdf5 = H5Fis_hdf5(path);
#endif
    if (is_hdf5 <= 0) {
        struct stat st;
        if (stat(path, &st) != 0)
            fprintf(stderr, "optsweep: report: %s: %s\n", path, strerror(errno));
        else
            fprintf(stderr, "optsweep: report: %s: not an HDF5 file (damaged or truncated)\n",
                    path);
    } else if ((file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        fprintf(stderr, "optsweep: report: %s: cannot open the HDF5 file\n", path);
    } else {
        rc = read_run_file(file, path, r);
        H5Fclose(file);
    }
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    if (rc) {
        char *keep = r->path;
        r->path = NULL;
        report_run_free(r);
        r->path = keep;
    }
    return rc;
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
