/* store_h5.c — checked HDF5 helpers for the store (see store_h5.h): typed attributes and
 * datasets, written and read with every call checked, and error messages built from HDF5's
 * error stack instead of HDF5's own printing. */
#include "store_h5.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

void store_h5_quiet(void)
{
    static int done;
    if (done) return;
    done = 1;
    /* HDF5's atexit handler re-closes files whose H5Fclose failed (a full disk) and crashes
     * in H5F__close_cb; without it the OS just closes the descriptors.  Must come before
     * the first call that initialises the library. */
    H5dont_atexit();
    /* HDF5 prints its whole error stack to stderr by default; we print one line instead. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct {
    char desc[256];
    int have;
} h5_deepest;

/* Walks downward from the API call to the innermost failure and keeps the last description
 * (the most specific: "No space left on device", "unable to open file", ...). */
static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *user)
{
    (void)n;
    h5_deepest *d = user;
    if (e->desc && e->desc[0]) {
        check_copy_string(d->desc, sizeof d->desc, e->desc);
        d->have = 1;
    }
    return 0;
}

int store_h5_fail(char *err, size_t errlen, const char *fmt, ...)
{
    int saved_errno = errno;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);

    h5_deepest d = { "", 0 };
    hid_t stack = H5Eget_current_stack();
    if (stack >= 0) {
        H5Ewalk2(stack, H5E_WALK_DOWNWARD, walk_cb, &d);
        H5Eclose_stack(stack);
    }
    if (!err || errlen == 0) return -1;
    /* HDF5 reports system-call failures as "file write failed: time = ..., filename = ...,
     * errno = 28, error message = 'No space left on device', ..." over several lines: keep
     * the first words and the system's message */
    const char *msg = d.have ? strstr(d.desc, "error message = '") : NULL;
    if (msg) {
        msg += strlen("error message = '");
        const char *q = strchr(msg, '\'');
        int mlen = q ? (int)(q - msg) : (int)strlen(msg);
        const char *colon = strchr(d.desc, ':');
        int hlen = colon ? (int)(colon - d.desc) : (int)strlen(d.desc);
        snprintf(err, errlen, "%s: %.*s: %.*s", what, hlen, d.desc, mlen, msg);
    } else if (d.have && saved_errno && saved_errno != ENOENT)
        snprintf(err, errlen, "%s: %s (%s)", what, d.desc, strerror(saved_errno));
    else if (d.have)
        snprintf(err, errlen, "%s: %s", what, d.desc);
    else if (saved_errno)
        snprintf(err, errlen, "%s: %s", what, strerror(saved_errno));
    else
        snprintf(err, errlen, "%s", what);
    return -1;
}

/* ---- writing --------------------------------------------------------------------------- */

static int write_attr(hid_t obj, const char *name, hid_t file_type, hid_t mem_type,
                      hid_t space, const void *value, char *err, size_t n)
{
    int rc = 0;
    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return store_h5_fail(err, n, "replacing attribute %s", name);
    hid_t a = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return store_h5_fail(err, n, "creating attribute %s", name);
    if (H5Awrite(a, mem_type, value) < 0) rc = store_h5_fail(err, n, "writing attribute %s", name);
    if (H5Aclose(a) < 0 && rc == 0) rc = store_h5_fail(err, n, "closing attribute %s", name);
    return rc;
}

static int write_scalar_attr(hid_t obj, const char *name, hid_t file_type, hid_t mem_type,
                             const void *value, char *err, size_t n)
{
    hid_t s = H5Screate(H5S_SCALAR);
    if (s < 0) return store_h5_fail(err, n, "attribute %s: creating dataspace", name);
    int rc = write_attr(obj, name, file_type, mem_type, s, value, err, n);
    H5Sclose(s);
    return rc;
}

static int write_array_attr(hid_t obj, const char *name, hid_t file_type, hid_t mem_type,
                            const void *v, size_t count, char *err, size_t n)
{
    hsize_t dims[1] = { count };
    hid_t s = H5Screate_simple(1, dims, NULL);
    if (s < 0) return store_h5_fail(err, n, "attribute %s: creating dataspace", name);
    /* H5Awrite with zero elements still wants a valid pointer */
    static const double dummy = 0;
    int rc = write_attr(obj, name, file_type, mem_type, s, count ? v : (const void *)&dummy,
                        err, n);
    H5Sclose(s);
    return rc;
}

int store_h5_attr_string(hid_t obj, const char *name, const char *value, char *err, size_t n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0) return store_h5_fail(err, n, "attribute %s: string type", name);
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return store_h5_fail(err, n, "attribute %s: string type", name);
    }
    const char *v = value ? value : "";
    int rc = write_scalar_attr(obj, name, t, t, &v, err, n);
    H5Tclose(t);
    return rc;
}

int store_h5_attr_int32(hid_t obj, const char *name, int32_t value, char *err, size_t n)
{
    return write_scalar_attr(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &value, err, n);
}

int store_h5_attr_int64(hid_t obj, const char *name, int64_t value, char *err, size_t n)
{
    return write_scalar_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, err, n);
}

int store_h5_attr_uint64(hid_t obj, const char *name, uint64_t value, char *err, size_t n)
{
    return write_scalar_attr(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &value, err, n);
}

int store_h5_attr_int8(hid_t obj, const char *name, int8_t value, char *err, size_t n)
{
    return write_scalar_attr(obj, name, H5T_STD_I8LE, H5T_NATIVE_INT8, &value, err, n);
}

int store_h5_attr_double(hid_t obj, const char *name, double value, char *err, size_t n)
{
    return write_scalar_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, err, n);
}

int store_h5_attr_int64_array(hid_t obj, const char *name, const int64_t *v, size_t count,
                              char *err, size_t n)
{
    return write_array_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, v, count, err, n);
}

int store_h5_attr_int32_array(hid_t obj, const char *name, const int32_t *v, size_t count,
                              char *err, size_t n)
{
    return write_array_attr(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, v, count, err, n);
}

int store_h5_attr_double_array(hid_t obj, const char *name, const double *v, size_t count,
                               char *err, size_t n)
{
    return write_array_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, count, err, n);
}

static int write_dset(hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                      const void *v, int rank, const hsize_t *dims, char *err, size_t n)
{
    int rc = 0;
    hid_t s = H5Screate_simple(rank, dims, NULL);
    if (s < 0) return store_h5_fail(err, n, "dataset %s: creating dataspace", name);
    hid_t d = H5Dcreate2(loc, name, file_type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d < 0) {
        H5Sclose(s);
        return store_h5_fail(err, n, "creating dataset %s", name);
    }
    hsize_t total = 1;
    for (int i = 0; i < rank; i++) total *= dims[i];
    if (total > 0 && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
        rc = store_h5_fail(err, n, "writing dataset %s", name);
    if (H5Dclose(d) < 0 && rc == 0) rc = store_h5_fail(err, n, "closing dataset %s", name);
    H5Sclose(s);
    return rc;
}

int store_h5_dset_int32(hid_t loc, const char *name, const int *v, size_t count,
                        char *err, size_t n)
{
    hsize_t dims[1] = { count };
    return write_dset(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, v, 1, dims, err, n);
}

int store_h5_dset_double(hid_t loc, const char *name, const double *v, size_t count,
                         char *err, size_t n)
{
    hsize_t dims[1] = { count };
    return write_dset(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, 1, dims, err, n);
}

int store_h5_dset_float(hid_t loc, const char *name, const float *v, size_t count,
                        char *err, size_t n)
{
    hsize_t dims[1] = { count };
    return write_dset(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, v, 1, dims, err, n);
}

int store_h5_dset_float_2d(hid_t loc, const char *name, const float *v, size_t rows,
                           size_t cols, char *err, size_t n)
{
    hsize_t dims[2] = { rows, cols };
    return write_dset(loc, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, v, 2, dims, err, n);
}

/* ---- files ----------------------------------------------------------------------------- */

hid_t store_h5_open_read(const char *path, char *err, size_t n)
{
    store_h5_quiet();
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, n, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* a FIFO or a device would block open() or never end */
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, n, "%s: not a regular file", path);
        return -1;
    }
#if H5_VERSION_GE(1, 12, 0)
    htri_t is_hdf5 = H5Fis_accessible(path, H5P_DEFAULT);
#else
    htri_t is_hdf5 = H5Fis_hdf5(path);
#endif
    if (is_hdf5 == 0) {
        H5Eclear2(H5E_DEFAULT);
        snprintf(err, n, "%s: not an HDF5 file (damaged or truncated)", path);
        return -1;
    }
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        char why[512];
        store_h5_fail(why, sizeof why, "cannot open as HDF5");
        snprintf(err, n, "%s: %s", path, why);
    }
    return f;
}

hid_t store_h5_open_result(const char *path, char *err, size_t n)
{
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
        snprintf(err, n, "%s: a symbolic link, not a file optsweep wrote (results are never "
                 "read through links)", path);
        return -1;
    }
    return store_h5_open_read(path, err, n);
}

hid_t store_h5_create(const char *path, char *err, size_t n)
{
    store_h5_quiet();
    /* H5F_ACC_EXCL is open(O_CREAT | O_EXCL), which never follows a symbolic link: what had
     * the name (a leftover, or a link planted at the .part name) is removed, not written
     * through */
    if (unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, n, "cannot replace %s: %s", path, strerror(errno));
        return -1;
    }
    hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        char why[512];
        store_h5_fail(why, sizeof why, "creating the file");
        snprintf(err, n, "%s: %s", path, why);
    }
    return f;
}

int store_h5_check_version(hid_t f, const char *path, int *version, char *err, size_t n)
{
    *version = 0;
    if (!store_h5_has_attr(f, "format_version")) {
        H5Eclear2(H5E_DEFAULT);
        snprintf(err, n, "%s: no format_version attribute: not an optsweep file "
                 "(docs/FORMAT.md)", path);
        return STORE_ERR_VERSION;
    }
    int64_t v = 0;
    if (store_h5_read_attr_int64(f, "format_version", &v, path, err, n) < 0) return -1;
    if (v != STORE_FORMAT_VERSION) {
        *version = v >= INT32_MIN && v <= INT32_MAX ? (int)v : -1;
        snprintf(err, n, "%s: format_version %lld, but this optsweep reads version %d only "
                 "(docs/FORMAT.md): written by another optsweep version?", path,
                 (long long)v, STORE_FORMAT_VERSION);
        return STORE_ERR_VERSION;
    }
    *version = STORE_FORMAT_VERSION;
    return 0;
}

/* ---- reading --------------------------------------------------------------------------- */

int store_h5_has_attr(hid_t obj, const char *name)
{
    return H5Aexists(obj, name) > 0;
}

static hid_t open_attr(hid_t obj, const char *name, const char *where, char *err, size_t n)
{
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0) {
        store_h5_fail(err, n, "%s: checking attribute %s", where, name);
        return -1;
    }
    if (ex == 0) {
        H5Eclear2(H5E_DEFAULT);
        snprintf(err, n, "%s: attribute %s is missing", where, name);
        return -1;
    }
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) store_h5_fail(err, n, "%s: opening attribute %s", where, name);
    return a;
}

/* A numeric attribute of exactly `count` elements (a scalar counts as one), read with HDF5's
 * conversion to mem_type. */
static int read_numeric_attr(hid_t obj, const char *name, hid_t mem_type, void *out,
                             size_t count, const char *where, char *err, size_t n)
{
    hid_t a = open_attr(obj, name, where, err, n);
    if (a < 0) return -1;
    int rc = 0;
    hid_t t = H5Aget_type(a);
    hid_t s = H5Aget_space(a);
    if (t < 0 || s < 0) {
        rc = store_h5_fail(err, n, "%s: attribute %s: reading its type", where, name);
    } else {
        H5T_class_t c = H5Tget_class(t);
        if ((c != H5T_INTEGER && c != H5T_FLOAT)
            || H5Sget_simple_extent_npoints(s) != (hssize_t)count) {
            if (count == 1) snprintf(err, n, "%s: attribute %s is not a number", where, name);
            else snprintf(err, n, "%s: attribute %s is not %zu numbers", where, name, count);
            rc = -1;
        } else if (H5Aread(a, mem_type, out) < 0) {
            rc = store_h5_fail(err, n, "%s: reading attribute %s", where, name);
        }
    }
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

int store_h5_read_attr_double(hid_t obj, const char *name, double *out, const char *where,
                              char *err, size_t n)
{
    return read_numeric_attr(obj, name, H5T_NATIVE_DOUBLE, out, 1, where, err, n);
}

int store_h5_read_attr_int64(hid_t obj, const char *name, int64_t *out, const char *where,
                             char *err, size_t n)
{
    return read_numeric_attr(obj, name, H5T_NATIVE_INT64, out, 1, where, err, n);
}

int store_h5_read_attr_uint64(hid_t obj, const char *name, uint64_t *out, const char *where,
                              char *err, size_t n)
{
    return read_numeric_attr(obj, name, H5T_NATIVE_UINT64, out, 1, where, err, n);
}

int store_h5_read_attr_int32_array(hid_t obj, const char *name, int32_t *out, size_t count,
                                   const char *where, char *err, size_t n)
{
    return read_numeric_attr(obj, name, H5T_NATIVE_INT32, out, count, where, err, n);
}

int store_h5_read_attr_string(hid_t obj, const char *name, char **out, const char *where,
                              char *err, size_t n)
{
    *out = NULL;
    hid_t a = open_attr(obj, name, where, err, n);
    if (a < 0) return -1;
    int rc = 0;
    hid_t t = H5Aget_type(a);
    hid_t s = H5Aget_space(a);
    hid_t mt = -1;
    if (t < 0 || s < 0) {
        rc = store_h5_fail(err, n, "%s: attribute %s: reading its type", where, name);
    } else if (H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_npoints(s) != 1) {
        snprintf(err, n, "%s: attribute %s is not a string", where, name);
        rc = -1;
    } else if (H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        mt = H5Tcopy(H5T_C_S1);
        if (mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, H5Tget_cset(t)) < 0
            || H5Aread(a, mt, &v) < 0) {
            rc = store_h5_fail(err, n, "%s: reading attribute %s", where, name);
        } else {
            *out = xstrdup(v ? v : "");
            H5free_memory(v);
        }
    } else {
        /* a fixed-length string (files written by other tools) */
        size_t len = H5Tget_size(t);
        char *v = xcalloc(len + 1, 1);
        mt = H5Tcopy(t);
        if (mt < 0 || H5Aread(a, mt, v) < 0) {
            free(v);
            rc = store_h5_fail(err, n, "%s: reading attribute %s", where, name);
        } else {
            v[len] = '\0';
            *out = v;
        }
    }
    if (mt >= 0) H5Tclose(mt);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    H5Aclose(a);
    return rc;
}

hid_t store_h5_open_dset(hid_t loc, const char *name, const char *where, char *err, size_t n)
{
    /* H5Lexists fails (rather than saying 0) when an intermediate group is missing */
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        snprintf(err, n, "%s: dataset %s is missing", where, name);
        return -1;
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) store_h5_fail(err, n, "%s: opening dataset %s", where, name);
    return d;
}

/* The length of the open 1-D dataset d. */
static int dset_length(hid_t d, const char *name, size_t *count, const char *where, char *err,
                       size_t n)
{
    hid_t s = H5Dget_space(d);
    if (s < 0) return store_h5_fail(err, n, "%s: dataset %s: reading its shape", where, name);
    int rc = 0;
    hsize_t dims[1];
    if (H5Sget_simple_extent_ndims(s) != 1) {
        snprintf(err, n, "%s: dataset %s is not one-dimensional", where, name);
        rc = -1;
    } else if (H5Sget_simple_extent_dims(s, dims, NULL) < 0) {
        rc = store_h5_fail(err, n, "%s: dataset %s: reading its shape", where, name);
    } else {
        *count = (size_t)dims[0];
    }
    H5Sclose(s);
    return rc;
}

int store_h5_dset_length(hid_t loc, const char *name, size_t *count, const char *where,
                         char *err, size_t n)
{
    hid_t d = store_h5_open_dset(loc, name, where, err, n);
    if (d < 0) return -1;
    int rc = dset_length(d, name, count, where, err, n);
    H5Dclose(d);
    return rc;
}

int store_h5_read_dset(hid_t loc, const char *name, hid_t mem_type, void *out, size_t count,
                       const char *where, char *err, size_t n)
{
    hid_t d = store_h5_open_dset(loc, name, where, err, n);
    if (d < 0) return -1;
    size_t len = 0;
    int rc = dset_length(d, name, &len, where, err, n);
    if (rc == 0 && len != count) {
        snprintf(err, n, "%s: dataset %s has %zu elements, expected %zu", where, name, len,
                 count);
        rc = -1;
    }
    if (rc == 0 && count > 0 && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        rc = store_h5_fail(err, n, "%s: reading dataset %s", where, name);
    H5Dclose(d);
    return rc;
}
