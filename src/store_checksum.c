/* store_checksum.c — the content checksum of run files and checkpoints (docs/FORMAT.md
 * "Checksum"): one FNV-1a 64 hash over every object's name, every attribute and every
 * dataset's shape and bytes, in name order, kept in the root attribute `checksum`.  Written
 * last (store_checksum_seal), verified by every reader (store_checksum_verify), so bytes
 * overwritten anywhere in a file are caught instead of read as results. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store_h5.h"

#define CHECKSUM_ATTR "checksum"
#define CHECKSUM_PREFIX "fnv1a64:"

#if H5_VERSION_GE(1, 12, 0)
typedef H5O_info2_t object_info;
#define VISIT(f, cb, w) H5Ovisit3((f), H5_INDEX_NAME, H5_ITER_INC, (cb), (w), H5O_INFO_BASIC)
#else
typedef H5O_info_t object_info;
#define VISIT(f, cb, w) H5Ovisit2((f), H5_INDEX_NAME, H5_ITER_INC, (cb), (w), H5O_INFO_BASIC)
#endif

typedef struct {
    uint64_t h;
    int at_root;   /* the root's own `checksum` attribute is left out */
    char *err;
    size_t n;
    int failed;
} hash_walk;

static void hash_bytes(hash_walk *w, const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t h = w->h;
    /* reference: http://www.isthe.com/chongo/tech/comp/fnv/ (FNV-1a, 64 bits) */
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    w->h = h;
}

/* integers as 8 bytes, little-endian: the same hash on every machine */
static void hash_u64(hash_walk *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    hash_bytes(w, b, sizeof b);
}

static void hash_text(hash_walk *w, const char *s)
{
    hash_bytes(w, s, strlen(s) + 1); /* with its NUL: "ab","c" differs from "a","bc" */
}

/* A dataspace's element count, after its rank and dims went into the hash. */
static hsize_t hash_space(hash_walk *w, hid_t space)
{
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0 || rank > H5S_MAX_RANK) return 0;
    H5Sget_simple_extent_dims(space, dims, NULL);
    hash_u64(w, (uint64_t)rank);
    hsize_t count = 1;
    for (int i = 0; i < rank; i++) {
        hash_u64(w, (uint64_t)dims[i]);
        count *= dims[i];
    }
    return count;
}

/* Strings as their text (variable-length or fixed), numbers as their stored bytes. */
static herr_t hash_attr(hid_t obj, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    hash_walk *w = data;
    if (w->at_root && strcmp(name, CHECKSUM_ATTR) == 0) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    hid_t s = a < 0 ? -1 : H5Aget_space(a);
    int rc = a < 0 || t < 0 || s < 0 ? -1 : 0;
    hash_text(w, name);
    hsize_t count = rc == 0 ? hash_space(w, s) : 0;
    if (rc == 0 && H5Tget_class(t) == H5T_STRING) {
        char *text = NULL;
        rc = store_h5_read_attr_string(obj, name, &text, "", w->err, w->n);
        if (rc == 0) hash_text(w, text);
        free(text);
    } else if (rc == 0) {
        size_t size = H5Tget_size(t);
        if (size == 0 || (count && size > SIZE_MAX / count)) {
            rc = -1;
        } else {
            void *buf = xmalloc(size * (count ? count : 1));
            rc = H5Aread(a, t, buf) < 0 ? -1 : 0;
            if (rc == 0) hash_bytes(w, buf, size * count);
            free(buf);
        }
    }
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    if (a >= 0) H5Aclose(a);
    if (rc < 0 && !w->failed) {
        store_h5_fail(w->err, w->n, "reading attribute %s", name);
        w->failed = 1;
    }
    return rc < 0 ? -1 : 0;
}

static int hash_dataset(hash_walk *w, hid_t d)
{
    hid_t t = H5Dget_type(d), s = H5Dget_space(d);
    int rc = t < 0 || s < 0 ? -1 : 0;
    hsize_t count = rc == 0 ? hash_space(w, s) : 0;
    size_t size = rc == 0 ? H5Tget_size(t) : 0;
    if (rc == 0 && count > 0) {
        if (size == 0 || H5Tget_class(t) == H5T_STRING || size > SIZE_MAX / count) {
            rc = -1; /* optsweep writes numeric datasets only */
        } else {
            void *buf = xmalloc(size * count);
            rc = H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0 ? -1 : 0;
            if (rc == 0) hash_bytes(w, buf, size * count);
            free(buf);
        }
    }
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    return rc;
}

static herr_t hash_object(hid_t root, const char *name, const object_info *info, void *data)
{
    hash_walk *w = data;
    hash_text(w, name);
    w->at_root = strcmp(name, ".") == 0;
    hsize_t idx = 0;
    hid_t o = H5Oopen(root, name, H5P_DEFAULT);
    if (o < 0) {
        store_h5_fail(w->err, w->n, "opening %s", name);
        w->failed = 1;
        return -1;
    }
    int rc = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, hash_attr, w) < 0 ? -1 : 0;
    if (rc == 0 && info->type == H5O_TYPE_DATASET && hash_dataset(w, o) < 0) {
        store_h5_fail(w->err, w->n, "reading dataset %s", name);
        rc = -1;
    }
    H5Oclose(o);
    if (rc < 0) w->failed = 1;
    return rc < 0 ? -1 : 0;
}

/* The hash of the open file f; -1 (with err) when something in it cannot be read. */
static int compute(hid_t f, uint64_t *h, char *err, size_t n)
{
    hash_walk w = {.h = 14695981039346656037ULL, .err = err, .n = n};
    herr_t rc = VISIT(f, hash_object, &w);
    if (rc < 0 || w.failed) {
        if (!w.failed) store_h5_fail(err, n, "walking the file");
        return -1;
    }
    *h = w.h;
    return 0;
}

int store_checksum_seal(hid_t f, char *err, size_t n)
{
    uint64_t h;
    if (compute(f, &h, err, n) < 0) return -1;
    char text[40];
    snprintf(text, sizeof text, CHECKSUM_PREFIX "%016" PRIx64, h);
    return store_h5_attr_string(f, CHECKSUM_ATTR, text, err, n);
}

int store_checksum_verify(hid_t f, const char *path, char *err, size_t n)
{
    char *stored = NULL;
    if (store_h5_read_attr_string(f, CHECKSUM_ATTR, &stored, path, err, n) < 0) return -1;
    char why[512];
    uint64_t h;
    if (compute(f, &h, why, sizeof why) < 0) {
        snprintf(err, n, "%s: damaged: %s", path, why);
        free(stored);
        return -1;
    }
    char want[40];
    snprintf(want, sizeof want, CHECKSUM_PREFIX "%016" PRIx64, h);
    int ok = strcmp(stored, want) == 0;
    if (!ok)
        snprintf(err, n, "%s: damaged: its content does not match its checksum (%.39s, the "
                 "content hashes to %s): bytes were changed after it was written", path,
                 stored, want);
    free(stored);
    return ok ? 0 : -1;
}
