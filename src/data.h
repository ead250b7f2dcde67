/* data.h — the image data sets (MNIST, Fashion-MNIST) as uint8 pixels and labels, split into
 * train / validation / test.  Reads IDX files, raw or gzipped, and validates everything it
 * reads.  Pixels stay uint8 here; backends convert to float (x / 255.0f, as torchvision's
 * ToTensor) when they gather a batch. */
#ifndef OPTSWEEP_DATA_H
#define OPTSWEEP_DATA_H

#include <stddef.h>
#include <stdint.h>
#include "settings.h"

#define DATA_ROWS 28
#define DATA_COLS 28
#define DATA_DIM (DATA_ROWS * DATA_COLS) /* 784 */
#define DATA_CLASSES 10

typedef struct {
    const uint8_t *pixels; /* (n, dim) row-major */
    const uint8_t *labels; /* (n), values 0..9 */
    int n;
    int dim;               /* 784 */
} data_split;

typedef struct {
    data_split train, val, test; /* val.n == 0 when validation is off */
    uint8_t *storage;            /* owns every array the splits point into */
} dataset;

/* Loads the data named by the settings.  Returns 0, or -1 with `err` set to
 * "<file>: <what is wrong>" (missing, truncated, bad magic, wrong dims, count mismatch, ...)
 * and *d zeroed (data_free on it is harmless).  Prints nothing; the caller reports `err` and
 * treats it as a data-input error (exit code 2).
 *
 * Files: <dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte, each raw or with .gz appended;
 * when both exist the raw file is read (faster).  dir "" means data_default_dir(dataset).
 *
 * Splits (every split keeps ascending original index order, so evaluation order is natural
 * and deterministic):
 *   train_limit N > 0   train = the first N training images (error if N > available)
 *   val_from_train n>0  of those, n images chosen at random become validation, the rest
 *                       train: the n smallest keys of philox_permutation(split_seed,
 *                       PHILOX_STREAM_SPLIT, n_train), as val_from_test does with the test set
 *                       (a random hold-out, not the last n: MNIST's order is not shuffled)
 *   val_from_test f > 0 the test set splits at random: validation = the first round(f * n_test)
 *                       entries of philox_permutation(split_seed, PHILOX_STREAM_SPLIT, n_test),
 *                       test = the rest
 *   neither             val.n = 0, test = the whole test set
 * val_from_train and val_from_test together are an error, as is a split that leaves train or
 * test empty, or an f > 0 that rounds to no validation image. */
int data_load(dataset *d, const data_settings *s, char *err, size_t errlen);

/* 1 when a and b give the same data_load result (normalize/mean/std are applied by the
 * backend, not data_load). */
int data_same_load(const data_settings *a, const data_settings *b);
void data_free(dataset *d);

/* "data/mnist" or "data/fashion-mnist": where `optsweep fetch` puts each data set. */
const char *data_default_dir(dataset_kind k);
/* "mnist" or "fashion_mnist": the YAML name (data.dataset) and `optsweep fetch` argument. */
const char *data_name(dataset_kind k);

#endif
