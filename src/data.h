/* data.h — the image data sets (MNIST, Fashion-MNIST) as uint8 pixels and labels, split into
 * train / validation / test.  Reads IDX files, raw or gzipped, and validates everything it
 * reads.  Pixels stay uint8 here; backends convert to float (x / 255.0f, as torchvision's
 * ToTensor) when they gather a batch. */
#ifndef OPTSWEEP_DATA_H
#define OPTSWEEP_DATA_H

#include <stddef.h>
#include <stdint.h>
#include "settings.h"

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
 * "<file>: <what is wrong>" (missing, truncated, bad magic, wrong dims, count mismatch, ...). */
int data_load(dataset *d, const data_settings *s, char *err, size_t errlen);
void data_free(dataset *d);

#endif
