/* fixture_h5.c — the test fixture writer of fixture_h5.h: every root attribute, log dataset
 * and the /model group of docs/FORMAT.md (format version 1), with FORMAT.md's HDF5 types. */
#include "fixture_h5.h"

#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                    \
    do {                                                                               \
        if ((call) < 0) {                                                              \
            fprintf(stderr, "fixture_h5.c:%d: %s failed\n", __LINE__, #call);          \
            return -1;                                                                 \
        }                                                                              \
    } while (0)

static int attr_scalar(hid_t obj, const char *name, hid_t file_type, hid_t mem_type,
                       const void *v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (space < 0 || a < 0 || H5Awrite(a, mem_type, v) < 0) ? -1 : 0;
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    if (rc) fprintf(stderr, "fixture_h5.c: attribute %s\n", name);
    return rc;
}

/* FORMAT.md: variable-length UTF-8 string, scalar dataspace */
static int attr_string(hid_t obj, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    CHECK(H5Tset_size(t, H5T_VARIABLE));
    CHECK(H5Tset_cset(t, H5T_CSET_UTF8));
    int rc = attr_scalar(obj, name, t, t, &v);
    H5Tclose(t);
    return rc;
}

static int attr_int32(hid_t obj, const char *name, int32_t v)
{
    return attr_scalar(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &v);
}

static int attr_int64(hid_t obj, const char *name, int64_t v)
{
    return attr_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
}

static int attr_uint64(hid_t obj, const char *name, uint64_t v)
{
    return attr_scalar(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

static int attr_int8(hid_t obj, const char *name, int8_t v)
{
    return attr_scalar(obj, name, H5T_STD_I8LE, H5T_NATIVE_INT8, &v);
}

static int attr_double(hid_t obj, const char *name, double v)
{
    return attr_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

static int attr_array(hid_t obj, const char *name, hid_t file_type, hid_t mem_type,
                      const void *v, size_t n)
{
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t a = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (space < 0 || a < 0 || (n && H5Awrite(a, mem_type, v) < 0)) ? -1 : 0;
    if (a >= 0) H5Aclose(a);
    if (space >= 0) H5Sclose(space);
    return rc;
}

static int dataset(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, const void *v,
                   size_t rank, const hsize_t *dims)
{
    hid_t space = H5Screate_simple((int)rank, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    size_t count = 1;
    for (size_t i = 0; i < rank; i++) count *= dims[i];
    int rc = (space < 0 || d < 0 ||
              (count && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)) ? -1 : 0;
    if (d >= 0) H5Dclose(d);
    if (space >= 0) H5Sclose(space);
    if (rc) fprintf(stderr, "fixture_h5.c: dataset %s\n", name);
    return rc;
}

static int dset_1d(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, const void *v,
                   size_t n)
{
    hsize_t dims[1] = {n};
    return dataset(loc, name, file_type, mem_type, v, 1, dims);
}

/* /model with one hidden layer of 4: layer1 (4, 784), layer2 (10, 4) */
static int write_model(hid_t file)
{
    hid_t g = H5Gcreate2(file, "model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(g);
    int32_t sizes[3] = {784, 4, 10};
    int rc = attr_int32(g, "n_layers", 2);
    rc |= attr_array(g, "sizes", H5T_STD_I32LE, H5T_NATIVE_INT32, sizes, 3);
    rc |= attr_string(g, "activation", "leaky_relu");
    for (int l = 1; l <= 2 && rc == 0; l++) {
        char name[32];
        snprintf(name, sizeof name, "layer%d", l);
        hid_t lg = H5Gcreate2(g, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        CHECK(lg);
        hsize_t wd[2] = {(hsize_t)sizes[l], (hsize_t)sizes[l - 1]}, bd[1] = {(hsize_t)sizes[l]};
        float *w = calloc(wd[0] * wd[1], sizeof *w), *b = calloc(bd[0], sizeof *b);
        for (size_t i = 0; i < wd[0] * wd[1]; i++) w[i] = 0.01f * (float)((int)(i % 7) - 3);
        rc |= dataset(lg, "weight", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, w, 2, wd);
        rc |= dataset(lg, "bias", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, b, 1, bd);
        free(w);
        free(b);
        H5Gclose(lg);
    }
    H5Gclose(g);
    return rc;
}

static int write_settings(hid_t file, const fixture_run *f)
{
    int rc = 0;
    int64_t hidden[1] = {4};
    double betas[2] = {0.9, 0.999};
    rc |= attr_string(file, "data.dataset", "mnist");
    rc |= attr_string(file, "data.dir", "tests/data/mnist-slice");
    rc |= attr_double(file, "data.val_from_test", 0.5);
    rc |= attr_int64(file, "data.split_seed", 0);
    rc |= attr_array(file, "model.hidden", H5T_STD_I64LE, H5T_NATIVE_INT64, hidden, 1);
    rc |= attr_string(file, "model.activation", "leaky_relu");
    rc |= attr_string(file, "model.init", "default");
    rc |= attr_int64(file, "train.epochs", f->epochs);
    rc |= attr_int64(file, "train.batch_size", f->batch_size);
    rc |= attr_uint64(file, "train.seed", (uint64_t)f->seed); /* as the store: u64 */
    rc |= attr_int64(file, "train.validation_freq", 5);
    rc |= attr_string(file, "train.backend", "cpu");
    rc |= attr_int64(file, "train.checkpoint_every", 0);
    if (f->report_select) rc |= attr_string(file, "report.select", f->report_select);
    rc |= attr_string(file, "optimizer.name", f->optimizer);
    rc |= attr_double(file, "optimizer.lr", f->lr);
    if (!isnan(f->momentum)) rc |= attr_double(file, "optimizer.momentum", f->momentum);
    if (!isnan(f->weight_decay))
        rc |= attr_double(file, "optimizer.weight_decay", f->weight_decay);
    if (strcmp(f->optimizer, "sgd") == 0) {
        rc |= attr_double(file, "optimizer.dampening", 0.0);
        rc |= attr_int8(file, "optimizer.nesterov", 0);
    }
    if (strcmp(f->optimizer, "adam") == 0) {
        rc |= attr_array(file, "optimizer.betas", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, betas, 2);
        rc |= attr_double(file, "optimizer.eps", 1e-8);
        rc |= attr_int8(file, "optimizer.amsgrad", 0);
    }
    rc |= attr_string(file, "schedule.name", f->schedule);
    if (strcmp(f->schedule, "step") == 0) {
        rc |= attr_int64(file, "schedule.step_size", f->step_size);
        rc |= attr_double(file, "schedule.gamma", f->gamma);
        rc |= attr_string(file, "schedule.step_every", "epoch");
    }
    return rc;
}

/* ---- the checksum, written from docs/FORMAT.md "Checksum" (not from store_checksum.c) ---- */

typedef struct {
    uint64_t h;
    int root;
} fnv;

static void fnv_bytes(fnv *w, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        w->h ^= ((const unsigned char *)p)[i];
        w->h *= 1099511628211ULL;
    }
}

static void fnv_u64(fnv *w, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        unsigned char b = (unsigned char)(v >> (8 * i));
        fnv_bytes(w, &b, 1);
    }
}

static size_t fnv_space(fnv *w, hid_t space)
{
    hsize_t dims[8];
    int rank = H5Sget_simple_extent_ndims(space);
    H5Sget_simple_extent_dims(space, dims, NULL);
    fnv_u64(w, (uint64_t)rank);
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        fnv_u64(w, dims[i]);
        count *= dims[i];
    }
    return count;
}

static herr_t fnv_attr(hid_t obj, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    fnv *w = data;
    if (w->root && strcmp(name, "checksum") == 0) return 0;
    fnv_bytes(w, name, strlen(name) + 1);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = H5Aget_type(a), sp = H5Aget_space(a);
    size_t count = fnv_space(w, sp);
    if (H5Tget_class(t) == H5T_STRING) { /* the fixture writes variable-length strings */
        char *text = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(t));
        if (H5Aread(a, mt, &text) < 0 || !text) return -1;
        fnv_bytes(w, text, strlen(text) + 1);
        H5free_memory(text);
        H5Tclose(mt);
    } else {
        size_t size = H5Tget_size(t) * count;
        void *buf = malloc(size ? size : 1);
        H5Aread(a, t, buf);
        fnv_bytes(w, buf, size);
        free(buf);
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return 0;
}

#if H5_VERSION_GE(1, 12, 0)
static herr_t fnv_object(hid_t root, const char *name, const H5O_info2_t *info, void *data)
#else
static herr_t fnv_object(hid_t root, const char *name, const H5O_info_t *info, void *data)
#endif
{
    fnv *w = data;
    fnv_bytes(w, name, strlen(name) + 1);
    w->root = strcmp(name, ".") == 0;
    hid_t o = H5Oopen(root, name, H5P_DEFAULT);
    hsize_t idx = 0;
    H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, fnv_attr, w);
    if (info->type == H5O_TYPE_DATASET) {
        hid_t t = H5Dget_type(o), sp = H5Dget_space(o);
        size_t size = H5Tget_size(t) * fnv_space(w, sp);
        void *buf = malloc(size ? size : 1);
        if (size) H5Dread(o, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        fnv_bytes(w, buf, size);
        free(buf);
        H5Sclose(sp);
        H5Tclose(t);
    }
    H5Oclose(o);
    return 0;
}

static int write_checksum(hid_t file)
{
    fnv w = {.h = 14695981039346656037ULL};
#if H5_VERSION_GE(1, 12, 0)
    H5Ovisit3(file, H5_INDEX_NAME, H5_ITER_INC, fnv_object, &w, H5O_INFO_BASIC);
#else
    H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, fnv_object, &w, H5O_INFO_BASIC);
#endif
    char text[40];
    snprintf(text, sizeof text, "fnv1a64:%016llx", (unsigned long long)w.h);
    return attr_string(file, "checksum", text);
}

int fixture_write_run(const char *path, const fixture_run *f)
{
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        fprintf(stderr, "fixture_h5.c: cannot create %s\n", path);
        return -1;
    }
    int rc = 0;
    rc |= attr_int32(file, "format_version", f->format_version);
    rc |= attr_string(file, "run_id", f->run_id);
    rc |= attr_int64(file, "run_index", 0);
    rc |= attr_string(file, "sweep", f->sweep);
    rc |= attr_string(file, "case", f->case_name);
    rc |= attr_uint64(file, "seed", (uint64_t)f->seed);
    rc |= attr_string(file, "backend", "cpu");
    rc |= attr_string(file, "device", "cpu (OpenBLAS, 2 threads)");
    rc |= attr_string(file, "optsweep_version", "0.1.0");
    rc |= attr_string(file, "git_revision", "unknown");
    rc |= attr_string(file, "host", "fixture");
    rc |= attr_string(file, "start_time", "2025-01-31T12:00:00Z");
    rc |= attr_string(file, "end_time", "2025-01-31T12:01:00Z");
    rc |= attr_double(file, "wall_seconds", f->wall_seconds);
    rc |= attr_double(file, "train_seconds", f->wall_seconds * 0.9);
    rc |= attr_int32(file, "attempts", 1);
    rc |= attr_string(file, "status", f->status);
    rc |= attr_int32(file, "status_epoch", f->status_epoch);
    rc |= attr_string(file, "status_message", f->status_message ? f->status_message : "");
    rc |= attr_double(file, "test_loss", f->test_loss);
    rc |= attr_double(file, "test_acc", f->test_acc);
    rc |= attr_double(file, "best_val_acc", f->best_val_acc);
    rc |= attr_double(file, "mean_weight", f->mean_weight);
    rc |= attr_int64(file, "n_params", 784 * 4 + 4 + 4 * 10 + 10);
    rc |= attr_string(file, "settings_yaml", "name: fixture\n");
    rc |= write_settings(file, f);

    size_t ne = f->n_epochs;
    int *epoch = calloc(ne ? ne : 1, sizeof *epoch);
    double *lr = calloc(ne ? ne : 1, sizeof *lr), *secs = calloc(ne ? ne : 1, sizeof *secs);
    for (size_t e = 0; e < ne; e++) {
        epoch[e] = (int)e + 1; /* epoch numbers count from 1 (FORMAT.md) */
        lr[e] = f->lr_log ? f->lr_log[e] : f->lr;
        secs[e] = 0.25;
    }
    rc |= dset_1d(file, "epoch", H5T_STD_I32LE, H5T_NATIVE_INT, epoch, ne);
    rc |= dset_1d(file, "train_loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->train_loss, ne);
    rc |= dset_1d(file, "lr", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, lr, ne);
    rc |= dset_1d(file, "epoch_seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, secs, ne);
    rc |= dset_1d(file, "val_epoch", H5T_STD_I32LE, H5T_NATIVE_INT, f->val_epoch, f->n_val);
    rc |= dset_1d(file, "val_loss", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->val_loss, f->n_val);
    rc |= dset_1d(file, "val_acc", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->val_acc, f->n_val);
    free(epoch);
    free(lr);
    free(secs);
    if (strcmp(f->status, "failed") != 0 || ne > 0) rc |= write_model(file);
    if (f->format_version >= 2) rc |= write_checksum(file);
    if (H5Fclose(file) < 0) rc = -1;
    if (rc) fprintf(stderr, "fixture_h5.c: writing %s failed\n", path);
    return rc ? -1 : 0;
}
