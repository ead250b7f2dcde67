/* idx.h — reads one IDX file of unsigned bytes (MNIST's format: big-endian magic, counts, then
 * the values), raw or gzipped, and validates it: magic, dimensions, exact size.  Knows nothing
 * of data sets or splits (data.c); knows nothing of where files live.
 * reference: http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS FOR THE MNIST DATABASE") */
#ifndef OPTSWEEP_IDX_H
#define OPTSWEEP_IDX_H

#include <stddef.h>
#include <stdint.h>

#define IDX_MAGIC_LABELS 0x00000801u /* unsigned bytes, 1 dimension: n */
#define IDX_MAGIC_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions: n, rows, cols */
#define IDX_MAX_BYTES ((size_t)1 << 30) /* bigger files are not MNIST-like; refuse them */

typedef enum { IDX_LABELS, IDX_IMAGES } idx_kind;

typedef struct {
    uint8_t *buf;         /* the whole decompressed file; owns the memory */
    const uint8_t *data;  /* (n, rows * cols) for images, (n) for labels: buf + header */
    int n;                /* count from the header */
    int rows, cols;       /* 1, 1 for labels */
} idx_array;

/* Reads `path` (gzip or raw: zlib's gzread passes raw files through unchanged) and checks it
 * against `kind`: magic, then size == header + n * rows * cols exactly.  Images must be
 * want_rows x want_cols.  Returns 0, or -1 with err = "<path>: <what is wrong>" and *a zeroed.
 * Does not check label values (the caller knows the number of classes). */
int idx_read(const char *path, idx_kind kind, int want_rows, int want_cols, idx_array *a,
             char *err, size_t errlen);
void idx_free(idx_array *a);

#endif
