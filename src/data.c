/* data.c — loads MNIST / Fashion-MNIST from their four IDX files (idx.c does the file format)
 * and makes the train / validation / test splits the settings ask for (data.h says which).
 * Owns the file names, the default folders, the label check and the split rules. */
#include "data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "idx.h"
#include "philox.h"
#include "quote.h"

enum { FILE_TRAIN_IMAGES, FILE_TRAIN_LABELS, FILE_TEST_IMAGES, FILE_TEST_LABELS, FILE_COUNT };

/* The names every MNIST-format data set uses (LeCun's, kept by Fashion-MNIST). */
static const char *const file_base[FILE_COUNT] = {
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
};

#define DATA_PATH_LEN (SETTINGS_PATH_LEN + 64)

const char *data_default_dir(dataset_kind k)
{
    return k == DATASET_FASHION_MNIST ? "data/fashion-mnist" : "data/mnist";
}

const char *data_name(dataset_kind k)
{
    return k == DATASET_FASHION_MNIST ? "fashion_mnist" : "mnist";
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Picks <dir>/<base> when it exists, else <dir>/<base>.gz; -1 and a "missing" error (with the
 * command that fetches the data) when neither does. */
static int find_file(const char *dir, const char *base, dataset_kind k, char *path,
                     char *err, size_t errlen)
{
    size_t dl = strlen(dir);
    const char *sep = dl > 0 && dir[dl - 1] == '/' ? "" : "/";
    int w = snprintf(path, DATA_PATH_LEN, "%s%s%s", dir, sep, base);
    if (w < 0 || w + 4 >= DATA_PATH_LEN) {
        snprintf(err, errlen, "%s: data directory name too long", dir);
        return -1;
    }
    if (exists(path)) return 0;
    snprintf(path + w, DATA_PATH_LEN - (size_t)w, ".gz"); /* fits: checked above */
    if (exists(path)) return 0;
    path[w] = '\0';
    /* the folder as a shell word: the hint is meant to be pasted */
    char *word = quote_shell_text(dir);
    snprintf(err, errlen, "%s(.gz): missing (run `optsweep fetch %s%s%s` or ./run_sweep.sh)",
             path, data_name(k), strcmp(dir, data_default_dir(k)) ? " --dir " : "",
             strcmp(dir, data_default_dir(k)) ? word : "");
    free(word);
    return -1;
}

/* Reads one images + labels pair and checks they belong together; ipath (DATA_PATH_LEN)
 * receives the images file's path. */
static int load_pair(const char *dir, dataset_kind k, int which, idx_array *images,
                     idx_array *labels, char *ipath, char *err, size_t errlen)
{
    char lpath[DATA_PATH_LEN];
    if (find_file(dir, file_base[which], k, ipath, err, errlen) != 0) return -1;
    if (find_file(dir, file_base[which + 1], k, lpath, err, errlen) != 0) return -1;
    if (idx_read(ipath, IDX_IMAGES, DATA_ROWS, DATA_COLS, images, err, errlen) != 0) return -1;
    if (idx_read(lpath, IDX_LABELS, 1, 1, labels, err, errlen) != 0) {
        idx_free(images);
        return -1;
    }
    if (images->n == 0) {
        snprintf(err, errlen, "%s: holds no images (the header's count is 0)", ipath);
        goto fail;
    }
    if (labels->n != images->n) {
        snprintf(err, errlen, "%s: count mismatch: holds %d labels but %s holds %d images",
                 lpath, labels->n, ipath, images->n);
        goto fail;
    }
    for (int i = 0; i < labels->n; i++) {
        if (labels->data[i] >= DATA_CLASSES) {
            snprintf(err, errlen, "%s: label %d at index %d is outside 0..%d", lpath,
                     labels->data[i], i, DATA_CLASSES - 1);
            goto fail;
        }
    }
    return 0;
fail:
    idx_free(images);
    idx_free(labels);
    return -1;
}

/* is_val (n): 1 for the n_val indices whose Philox keys come first in the permutation. */
static int choose_validation(uint64_t split_seed, int n, int n_val, uint8_t *is_val)
{
    int32_t *perm = xmalloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (philox_permutation(split_seed, PHILOX_STREAM_SPLIT, n, perm) != 0) {
        free(perm);
        return -1;
    }
    memset(is_val, 0, (size_t)n);
    for (int i = 0; i < n_val; i++) is_val[perm[i]] = 1;
    free(perm);
    return 0;
}

/* Copies rows 0..n-1 of (px, lb) in ascending order: to `val` where is_val[i], else to `keep`
 * (is_val NULL: all to keep).  Both splits must already point at room for their rows. */
static void copy_split(const uint8_t *px, const uint8_t *lb, int n, const uint8_t *is_val,
                       data_split *keep, data_split *val)
{
    uint8_t *kp = (uint8_t *)keep->pixels, *kl = (uint8_t *)keep->labels;
    uint8_t *vp = val ? (uint8_t *)val->pixels : NULL, *vl = val ? (uint8_t *)val->labels : NULL;
    int nk = 0, nv = 0;
    for (int i = 0; i < n; i++) {
        if (is_val && is_val[i]) {
            memcpy(vp + (size_t)nv * DATA_DIM, px + (size_t)i * DATA_DIM, DATA_DIM);
            vl[nv++] = lb[i];
        } else {
            memcpy(kp + (size_t)nk * DATA_DIM, px + (size_t)i * DATA_DIM, DATA_DIM);
            kl[nk++] = lb[i];
        }
    }
}

/* Checks the split settings against the loaded counts; sets the three split sizes. */
static int plan_splits(const data_settings *s, const char *train_path, int n_train_file,
                       int n_test_file, int *n_train, int *n_val, int *n_test, char *err,
                       size_t errlen)
{
    if (s->train_limit < 0) {
        snprintf(err, errlen, "data.train_limit: %ld must be >= 0 (0 = all)", s->train_limit);
        return -1;
    }
    if (s->train_limit > n_train_file) {
        snprintf(err, errlen, "%s: data.train_limit %ld asks for more images than the %d the "
                 "file holds", train_path, s->train_limit, n_train_file);
        return -1;
    }
    int nt = s->train_limit > 0 ? (int)s->train_limit : n_train_file;
    if (s->val_from_train < 0 || !(s->val_from_test >= 0.0 && s->val_from_test < 1.0)) {
        snprintf(err, errlen, "data.val_from_train (%ld) must be >= 0 and data.val_from_test "
                 "(%g) in [0, 1)", s->val_from_train, s->val_from_test);
        return -1;
    }
    if (s->val_from_train > 0 && s->val_from_test > 0) {
        snprintf(err, errlen, "data.val_from_train and data.val_from_test are exclusive: set "
                 "one of them (or neither, for no validation)");
        return -1;
    }
    if (s->val_from_train > 0) {
        if (s->val_from_train >= nt) {
            snprintf(err, errlen, "data.val_from_train %ld leaves no training image (the "
                     "training set has %d)", s->val_from_train, nt);
            return -1;
        }
        *n_val = (int)s->val_from_train;
        *n_train = nt - *n_val;
        *n_test = n_test_file;
        return 0;
    }
    *n_train = nt;
    *n_val = (int)lround(s->val_from_test * n_test_file);
    *n_test = n_test_file - *n_val;
    if (s->val_from_test > 0 && *n_val == 0) {
        snprintf(err, errlen, "data.val_from_test %g of %d test images is no image; use 0 to "
                 "turn validation off, or a larger fraction", s->val_from_test, n_test_file);
        return -1;
    }
    if (*n_test == 0) {
        snprintf(err, errlen, "data.val_from_test %g of %d test images leaves no test image",
                 s->val_from_test, n_test_file);
        return -1;
    }
    return 0;
}

int data_load(dataset *d, const data_settings *s, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    if (s->dataset != DATASET_MNIST && s->dataset != DATASET_FASHION_MNIST) {
        snprintf(err, errlen, "data.dataset: unknown data set %d", (int)s->dataset);
        return -1;
    }
    const char *dir = s->dir[0] ? s->dir : data_default_dir(s->dataset);
    idx_array tri, trl, tei, tel;
    char train_path[DATA_PATH_LEN], test_path[DATA_PATH_LEN];
    if (load_pair(dir, s->dataset, FILE_TRAIN_IMAGES, &tri, &trl, train_path, err, errlen) != 0)
        return -1;
    if (load_pair(dir, s->dataset, FILE_TEST_IMAGES, &tei, &tel, test_path, err, errlen) != 0) {
        idx_free(&tri);
        idx_free(&trl);
        return -1;
    }
    int n_train, n_val, n_test, rc = -1;
    uint8_t *is_val = NULL;
    if (plan_splits(s, train_path, tri.n, tei.n, &n_train, &n_val, &n_test, err, errlen) != 0)
        goto done;

    /* one block: pixels of train, val, test, then their labels */
    size_t rows = (size_t)n_train + (size_t)n_val + (size_t)n_test;
    d->storage = xmalloc(rows * (DATA_DIM + 1));
    uint8_t *px = d->storage, *lb = d->storage + rows * DATA_DIM;
    data_split *parts[3] = { &d->train, &d->val, &d->test };
    int counts[3] = { n_train, n_val, n_test };
    for (int p = 0; p < 3; p++) {
        parts[p]->pixels = px;
        parts[p]->labels = lb;
        parts[p]->n = counts[p];
        parts[p]->dim = DATA_DIM;
        px += (size_t)counts[p] * DATA_DIM;
        lb += counts[p];
    }

    int n_limited = s->val_from_train > 0 ? n_train + n_val : n_train;
    if (s->val_from_train > 0 || s->val_from_test > 0) {
        int n_from = s->val_from_train > 0 ? n_limited : tei.n;
        is_val = xmalloc((size_t)(n_from > 0 ? n_from : 1));
        if (choose_validation(s->split_seed, n_from, n_val, is_val) != 0) {
            snprintf(err, errlen, "data: out of memory choosing the validation split");
            goto done;
        }
    }
    if (s->val_from_train > 0) {
        copy_split(tri.data, trl.data, n_limited, is_val, &d->train, &d->val);
        copy_split(tei.data, tel.data, tei.n, NULL, &d->test, NULL);
    } else {
        copy_split(tri.data, trl.data, n_limited, NULL, &d->train, NULL);
        copy_split(tei.data, tel.data, tei.n, is_val, &d->test, &d->val);
    }
    rc = 0;
done:
    free(is_val);
    idx_free(&tri);
    idx_free(&trl);
    idx_free(&tei);
    idx_free(&tel);
    if (rc != 0) data_free(d);
    return rc;
}

void data_free(dataset *d)
{
    free(d->storage);
    memset(d, 0, sizeof *d);
}

int data_same_load(const data_settings *a, const data_settings *b)
{
    return a->dataset == b->dataset && strcmp(a->dir, b->dir) == 0
           && a->train_limit == b->train_limit && a->val_from_test == b->val_from_test
           && a->val_from_train == b->val_from_train && a->split_seed == b->split_seed;
}
