/* store_read.c — reads run files back: the whole log (store_read_run: the one reader of the
 * layout, for `status`, the report and the runner's "is this run done?"), a final file's
 * validation (store_check_run) and the /model weights `model.init` names (store_load_weights).
 * Nothing read is trusted: versions, types, shapes and lengths are checked; errors name the
 * file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "settings_value.h"
#include "store.h"
#include "store_h5.h"

/* ---- settings read back generically ----------------------------------------------------- */

typedef struct {
    store_run_log *log;
    const char *path;
    char *err;
    size_t errlen;
    int failed;
} attr_walk;

static char *setting_text(hid_t a, hid_t type, hid_t space, double *number,
                          store_setting_kind *kind, const char *path, const char *name,
                          char *err, size_t n)
{
    *number = NAN;
    H5T_class_t c = H5Tget_class(type);
    hssize_t count = H5Sget_simple_extent_npoints(space);
    int rank = H5Sget_simple_extent_ndims(space);
    if ((c != H5T_INTEGER && c != H5T_FLOAT) || count < 0 || rank > 1) {
        snprintf(err, n, "%s: setting %s has an unsupported type", path, name);
        return NULL;
    }
    int is_bool = c == H5T_INTEGER && H5Tget_size(type) == 1;
    int is_unsigned = c == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE;
    size_t k = (size_t)(count ? count : 1);
    /* integers read as 64-bit integers: a uint64 seed does not survive a double */
    double *v = xmalloc(sizeof *v * k);
    long long *iv = xmalloc(sizeof *iv * k);
    unsigned long long *uv = xmalloc(sizeof *uv * k);
    int ok = 1;
    if (count > 0) {
        if (c == H5T_FLOAT) ok = H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0;
        else if (is_unsigned) ok = H5Aread(a, H5T_NATIVE_ULLONG, uv) >= 0;
        else ok = H5Aread(a, H5T_NATIVE_LLONG, iv) >= 0;
        for (hssize_t i = 0; i < count && c == H5T_INTEGER; i++)
            v[i] = is_unsigned ? (double)uv[i] : (double)iv[i];
    }
    if (!ok) {
        free(v);
        free(iv);
        free(uv);
        store_h5_fail(err, n, "%s: reading setting %s", path, name);
        return NULL;
    }
    size_t cap = 32 + (size_t)count * 26, len = 0;
    char *text = xmalloc(cap);
    text[0] = '\0';
    if (rank == 1) len += (size_t)snprintf(text + len, cap - len, "[");
    for (hssize_t i = 0; i < count; i++) {
        char one[40];
        if (is_bool) snprintf(one, sizeof one, "%s", iv[i] != 0 ? "true" : "false");
        else if (is_unsigned) snprintf(one, sizeof one, "%llu", uv[i]);
        else if (c == H5T_INTEGER) snprintf(one, sizeof one, "%lld", iv[i]);
        else settings_format_double(v[i], one, sizeof one); /* as the YAML writes reals */
        len += (size_t)snprintf(text + len, cap - len, "%s%s", i ? ", " : "", one);
    }
    free(iv);
    free(uv);
    *kind = rank == 1 ? STORE_SETTING_LIST : STORE_SETTING_NUMBER;
    if (rank == 1) snprintf(text + len, cap - len, "]");
    else *number = v[0];
    free(v);
    return text;
}

static herr_t read_setting_cb(hid_t loc, const char *name, const H5A_info_t *info, void *user)
{
    (void)info;
    attr_walk *w = user;
    if (!strchr(name, '.')) return 0; /* metadata, not a setting */
    store_run_log *log = w->log;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t s = a >= 0 ? H5Aget_space(a) : -1;
    char *text = NULL;
    double number = NAN;
    store_setting_kind kind = STORE_SETTING_TEXT;
    if (t < 0 || s < 0) {
        store_h5_fail(w->err, w->errlen, "%s: reading setting %s", w->path, name);
    } else if (H5Tget_class(t) == H5T_STRING) {
        store_h5_read_attr_string(loc, name, &text, w->path, w->err, w->errlen);
    } else {
        text = setting_text(a, t, s, &number, &kind, w->path, name, w->err, w->errlen);
    }
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    if (a >= 0) H5Aclose(a);
    if (!text) {
        w->failed = 1;
        return -1; /* stops the iteration */
    }
    log->settings = xrealloc(log->settings, sizeof *log->settings * (size_t)(log->n_settings + 1));
    store_setting *st = &log->settings[log->n_settings++];
    st->key = xstrdup(name);
    st->kind = kind;
    st->text = text;
    st->number = number;
    return 0;
}

static int compare_settings(const void *a, const void *b)
{
    return strcmp(((const store_setting *)a)->key, ((const store_setting *)b)->key);
}

/* ---- the whole log ---------------------------------------------------------------------- */

static int read_int(hid_t f, const char *name, int *out, const char *path, char *err, size_t n)
{
    int64_t v;
    if (store_h5_read_attr_int64(f, name, &v, path, err, n) < 0) return -1;
    *out = (int)v;
    return 0;
}

static int read_series(hid_t f, const char *name, hid_t mem, size_t elem, void **out,
                       int *count, int expect, const char *path, char *err, size_t n)
{
    size_t len = 0;
    if (store_h5_dset_length(f, name, &len, path, err, n) < 0) return -1;
    if (expect >= 0 && len != (size_t)expect) {
        snprintf(err, n, "%s: dataset %s has %zu elements but %s has %d", path, name, len,
                 strncmp(name, "val", 3) == 0 ? "val_epoch" : "epoch", expect);
        return -1;
    }
    *out = xmalloc(elem * (len ? len : 1));
    if (count) *count = (int)len;
    return store_h5_read_dset(f, name, mem, *out, len, path, err, n);
}

#define TRY(call) do { if ((call) < 0) goto fail; } while (0)

static const char *const string_attrs[] = {
    "run_id", "sweep", "case", "backend", "device", "optsweep_version", "git_revision",
    "host", "start_time", "end_time", "status", "status_message", "settings_yaml",
};

/* A checkpoint (or any other optsweep file with a `kind`) is not a run file. */
static int check_not_other_kind(hid_t f, const char *path, char *err, size_t n)
{
    if (!store_h5_has_attr(f, "kind")) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    char *kind = NULL;
    if (store_h5_read_attr_string(f, "kind", &kind, path, err, n) < 0) return -1;
    snprintf(err, n, "%s: is a %s, not a finished run's file", path, kind);
    free(kind);
    return -1;
}

int store_read_run(const char *path, store_run_log *log, char *err, size_t n)
{
    memset(log, 0, sizeof *log);
    hid_t f = store_h5_open_result(path, err, n);
    if (f < 0) return -1;
    int version = 0;
    int vrc = store_h5_check_version(f, path, &version, err, n);
    if (vrc < 0) {
        H5Fclose(f);
        log->format_version = version;
        return vrc;
    }
    if (store_checksum_verify(f, path, err, n) < 0) {
        H5Fclose(f);
        return -1;
    }
    char **strings[] = {
        &log->run_id, &log->sweep, &log->case_name, &log->backend, &log->device,
        &log->optsweep_version, &log->git_revision, &log->host, &log->start_time,
        &log->end_time, &log->status, &log->status_message, &log->settings_yaml,
    };
    int64_t i64;
    TRY(check_not_other_kind(f, path, err, n));
    log->format_version = STORE_FORMAT_VERSION;
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        TRY(store_h5_read_attr_string(f, string_attrs[i], strings[i], path, err, n));
    if (H5Aexists(f, "sampled") > 0)
        TRY(store_h5_read_attr_string(f, "sampled", &log->sampled, path, err, n));
    else
        log->sampled = xstrdup("");
    TRY(store_h5_read_attr_int64(f, "run_index", &i64, path, err, n));
    log->run_index = (long)i64;
    TRY(store_h5_read_attr_uint64(f, "seed", &log->seed, path, err, n));
    TRY(store_h5_read_attr_double(f, "wall_seconds", &log->wall_seconds, path, err, n));
    TRY(store_h5_read_attr_double(f, "train_seconds", &log->train_seconds, path, err, n));
    TRY(read_int(f, "attempts", &log->attempts, path, err, n));
    TRY(read_int(f, "status_epoch", &log->status_epoch, path, err, n));
    TRY(store_h5_read_attr_double(f, "test_loss", &log->test_loss, path, err, n));
    TRY(store_h5_read_attr_double(f, "test_acc", &log->test_acc, path, err, n));
    TRY(store_h5_read_attr_double(f, "best_val_acc", &log->best_val_acc, path, err, n));
    TRY(store_h5_read_attr_double(f, "mean_weight", &log->mean_weight, path, err, n));
    TRY(store_h5_read_attr_int64(f, "n_params", &i64, path, err, n));
    log->n_params = (long)i64;
    /* the image counts came later: a file without them still reads */
    static const char *const counts[3] = {"n_train", "n_val", "n_test"};
    for (int k = 0; k < 3; k++) {
        log->n_images[k] = -1;
        if (H5Aexists(f, counts[k]) > 0) {
            TRY(store_h5_read_attr_int64(f, counts[k], &i64, path, err, n));
            log->n_images[k] = (long)i64;
        }
    }
    if (strcmp(log->status, "completed") && strcmp(log->status, "diverged")
        && strcmp(log->status, "stopped_early") && strcmp(log->status, "failed")
        && strcmp(log->status, "pruned")) {
        snprintf(err, n, "%s: unknown status \"%s\"", path, log->status);
        goto fail;
    }

    TRY(read_series(f, "epoch", H5T_NATIVE_INT, sizeof(int), (void **)&log->epoch,
                    &log->n_epochs, -1, path, err, n));
    TRY(read_series(f, "train_loss", H5T_NATIVE_DOUBLE, sizeof(double),
                    (void **)&log->train_loss, NULL, log->n_epochs, path, err, n));
    TRY(read_series(f, "lr", H5T_NATIVE_DOUBLE, sizeof(double), (void **)&log->lr, NULL,
                    log->n_epochs, path, err, n));
    if (H5Lexists(f, "momentum", H5P_DEFAULT) > 0) /* only where cycled */
        TRY(read_series(f, "momentum", H5T_NATIVE_DOUBLE, sizeof(double),
                        (void **)&log->momentum, NULL, log->n_epochs, path, err, n));
    TRY(read_series(f, "epoch_seconds", H5T_NATIVE_DOUBLE, sizeof(double),
                    (void **)&log->epoch_seconds, NULL, log->n_epochs, path, err, n));
    TRY(read_series(f, "val_epoch", H5T_NATIVE_INT, sizeof(int), (void **)&log->val_epoch,
                    &log->n_val, -1, path, err, n));
    TRY(read_series(f, "val_loss", H5T_NATIVE_DOUBLE, sizeof(double), (void **)&log->val_loss,
                    NULL, log->n_val, path, err, n));
    TRY(read_series(f, "val_acc", H5T_NATIVE_DOUBLE, sizeof(double), (void **)&log->val_acc,
                    NULL, log->n_val, path, err, n));

    attr_walk w = { log, path, err, n, 0 };
    hsize_t idx = 0;
    if (H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, &idx, read_setting_cb, &w) < 0) {
        if (!w.failed) store_h5_fail(err, n, "%s: listing attributes", path);
        goto fail;
    }
    if (log->n_settings > 1)
        qsort(log->settings, (size_t)log->n_settings, sizeof *log->settings, compare_settings);
    if (H5Fclose(f) < 0) {
        store_h5_fail(err, n, "%s: closing", path);
        store_run_log_free(log);
        return -1;
    }
    return 0;
fail:
    H5Fclose(f);
    store_run_log_free(log);
    return -1;
}

void store_run_log_free(store_run_log *log)
{
    char *strings[] = {
        log->run_id, log->sweep, log->case_name, log->backend, log->device,
        log->optsweep_version, log->git_revision, log->host, log->start_time, log->end_time,
        log->status, log->status_message, log->settings_yaml, log->sampled,
    };
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) free(strings[i]);
    free(log->epoch);
    free(log->train_loss);
    free(log->lr);
    free(log->momentum);
    free(log->epoch_seconds);
    free(log->val_epoch);
    free(log->val_loss);
    free(log->val_acc);
    for (int i = 0; i < log->n_settings; i++) {
        free(log->settings[i].key);
        free(log->settings[i].text);
    }
    free(log->settings);
    memset(log, 0, sizeof *log);
}

const store_setting *store_run_log_setting(const store_run_log *log, const char *key)
{
    store_setting probe = { .key = (char *)key };
    if (log->n_settings == 0) return NULL;
    return bsearch(&probe, log->settings, (size_t)log->n_settings, sizeof *log->settings,
                   compare_settings);
}

/* ---- weights ---------------------------------------------------------------------------- */

/* Reads one 1-D or 2-D float dataset whose dims must equal want (rank want_rank). */
static int read_tensor(hid_t f, const char *name, int want_rank, const hsize_t *want,
                       float *out, const char *path, char *err, size_t n)
{
    hid_t d = store_h5_open_dset(f, name, path, err, n);
    if (d < 0) return -1;
    int rc = 0;
    hid_t s = H5Dget_space(d);
    hid_t t = H5Dget_type(d);
    hsize_t dims[2] = { 0, 0 };
    int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (s < 0 || t < 0 || rank < 0) {
        rc = store_h5_fail(err, n, "%s: dataset %s: reading its shape", path, name);
    } else if (H5Tget_class(t) != H5T_FLOAT && H5Tget_class(t) != H5T_INTEGER) {
        snprintf(err, n, "%s: dataset %s is not numeric", path, name);
        rc = -1;
    } else if (H5Sget_simple_extent_dims(s, dims, NULL) < 0) {
        rc = store_h5_fail(err, n, "%s: dataset %s: reading its shape", path, name);
    } else if (rank != want_rank || dims[0] != want[0] || (rank == 2 && dims[1] != want[1])) {
        char got[64], exp[64];
        if (rank == 2)
            snprintf(got, sizeof got, "(%llu, %llu)", (unsigned long long)dims[0],
                     (unsigned long long)dims[1]);
        else if (rank == 1)
            snprintf(got, sizeof got, "(%llu)", (unsigned long long)dims[0]);
        else
            snprintf(got, sizeof got, "rank %d", rank);
        if (want_rank == 2)
            snprintf(exp, sizeof exp, "(%llu, %llu)", (unsigned long long)want[0],
                     (unsigned long long)want[1]);
        else
            snprintf(exp, sizeof exp, "(%llu)", (unsigned long long)want[0]);
        snprintf(err, n, "%s: dataset /%s has shape %s, the model needs %s", path, name, got,
                 exp);
        rc = -1;
    } else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
        rc = store_h5_fail(err, n, "%s: reading dataset %s", path, name);
    }
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    H5Dclose(d);
    return rc;
}

/* /<group>/layer{k}/{weight,bias} ("model", "model_best", ...) into params. */
static int read_weights(hid_t f, const char *group, const char *path, const model_shape *shape,
                        float *params, char *err, size_t n)
{
    for (int k = 0; k < shape->n_layers; k++) {
        char name[96];
        hsize_t w[2] = { (hsize_t)shape->sizes[k + 1], (hsize_t)shape->sizes[k] };
        snprintf(name, sizeof name, "%s/layer%d/weight", group, k + 1);
        if (read_tensor(f, name, 2, w, params + shape->weight_offset[k], path, err, n) < 0)
            return -1;
        snprintf(name, sizeof name, "%s/layer%d/bias", group, k + 1);
        if (read_tensor(f, name, 1, w, params + shape->bias_offset[k], path, err, n) < 0)
            return -1;
    }
    /* one layer too many means the file's model is deeper than this run's */
    char extra[96];
    snprintf(extra, sizeof extra, "%s/layer%d", group, shape->n_layers + 1);
    if (H5Lexists(f, group, H5P_DEFAULT) > 0 && H5Lexists(f, extra, H5P_DEFAULT) > 0) {
        snprintf(err, n, "%s: has /%s but the model has %d layers", path, extra,
                 shape->n_layers);
        return -1;
    }
    H5Eclear2(H5E_DEFAULT);
    return 0;
}

int store_load_weights_from(const char *path, const char *group, const model_shape *shape,
                            float *params, char *err, size_t errlen)
{
    hid_t f = store_h5_open_read(path, err, errlen);
    if (f < 0) return -1;
    int rc = read_weights(f, group, path, shape, params, err, errlen);
    H5Fclose(f);
    return rc;
}

int store_load_weights(const char *path, const model_shape *shape, float *params, char *err,
                       size_t errlen)
{
    return store_load_weights_from(path, "model", shape, params, err, errlen);
}

/* ---- validation of a final file ----------------------------------------------------------- */

/* A weights group of a run that has weights (/model, /model_best): its n_layers and sizes
 * give the model's flat layout (model_shape_init), which must hold the n_params floats the
 * metadata promises, and every tensor must be there with its shape.  /model_best's `epoch`
 * must be the run's best_epoch. */
static int check_model(hid_t f, const char *group, const char *path, long n_params, char *err,
                       size_t n)
{
    if (H5Lexists(f, group, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        snprintf(err, n, "%s: group /%s is missing", path, group);
        return -1;
    }
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    if (g < 0) return store_h5_fail(err, n, "%s: opening group /%s", path, group);
    int64_t n_layers = 0;
    int32_t sizes[MODEL_MAX_LAYERS + 1];
    int rc = store_h5_read_attr_int64(g, "n_layers", &n_layers, path, err, n);
    if (rc == 0 && (n_layers < 1 || n_layers > MODEL_MAX_LAYERS)) {
        snprintf(err, n, "%s: /%s n_layers %lld out of range", path, group,
                 (long long)n_layers);
        rc = -1;
    }
    if (rc == 0)
        rc = store_h5_read_attr_int32_array(g, "sizes", sizes, (size_t)n_layers + 1, path, err,
                                            n);
    if (rc == 0 && strcmp(group, "model") != 0) {
        int64_t epoch = 0, best = 0;
        rc = store_h5_read_attr_int64(g, "epoch", &epoch, path, err, n);
        if (rc == 0) rc = store_h5_read_attr_int64(f, "best_epoch", &best, path, err, n);
        if (rc == 0 && epoch != best) {
            snprintf(err, n, "%s: /%s is of epoch %lld, best_epoch says %lld", path, group,
                     (long long)epoch, (long long)best);
            rc = -1;
        }
    }
    H5Gclose(g);
    if (rc < 0) return -1;

    model_settings m = { .n_hidden = (int)n_layers - 1 };
    for (int k = 0; k < m.n_hidden; k++) m.hidden[k] = sizes[k + 1];
    model_shape shape;
    model_shape_init(&shape, &m);
    for (int k = 0; k <= shape.n_layers; k++) {
        if (sizes[k] != shape.sizes[k] || sizes[k] < 1) {
            snprintf(err, n, "%s: /%s sizes[%d] is %d: not a %d-...-%d MLP", path, group, k,
                     (int)sizes[k], MODEL_INPUT_DIM, MODEL_OUTPUT_DIM);
            return -1;
        }
    }
    if ((long)shape.n_params != n_params) {
        snprintf(err, n, "%s: /%s holds %zu parameters, n_params says %ld", path, group,
                 shape.n_params, n_params);
        return -1;
    }
    float *p = xmalloc(sizeof(float) * (shape.n_params ? shape.n_params : 1));
    rc = read_weights(f, group, path, &shape, p, err, n);
    free(p);
    return rc;
}

int store_check_run(const char *path, int *done, char *status, size_t status_len, char *err,
                    size_t errlen)
{
    store_run_log log;
    *done = 0;
    if (store_read_run(path, &log, err, errlen) < 0) return -1;
    int rc = 0;
    /* <id>.h5 must hold run <id>: another run's file copied over it is not this run done */
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t len = strlen(name), suffix = strlen(STORE_SUFFIX_FINAL);
    if (len <= suffix || strncmp(name, log.run_id, len - suffix) != 0
        || log.run_id[len - suffix] != '\0') {
        snprintf(err, errlen, "%s: holds run %s, not the run its name says", path, log.run_id);
        rc = -1;
    }
    if (status) check_copy_string(status, status_len, log.status);
    int failed = strcmp(log.status, "failed") == 0;
    if (rc == 0 && !failed) {
        /* the weights must be there, complete, with the sizes the metadata promises */
        hid_t f = store_h5_open_result(path, err, errlen);
        rc = f < 0 ? -1 : check_model(f, "model", path, log.n_params, err, errlen);
        /* train.keep_best's weights, where kept, likewise */
        if (rc == 0 && H5Lexists(f, "model_best", H5P_DEFAULT) > 0)
            rc = check_model(f, "model_best", path, log.n_params, err, errlen);
        H5Eclear2(H5E_DEFAULT);
        if (f >= 0) H5Fclose(f);
    }
    /* pruned: done for a sweep that halves (the runner decides), else it trains on */
    if (rc == 0) *done = !failed && strcmp(log.status, "pruned") != 0;
    store_run_log_free(&log);
    return rc;
}
