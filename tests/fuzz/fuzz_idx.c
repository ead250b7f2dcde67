/* fuzz_idx.c — libFuzzer target: any bytes as an IDX file (raw, or gzip when they start with
 * gzip's magic), read as labels and as 28x28 images: idx_read must accept or refuse them
 * with a message, without a crash, a leak or undefined behaviour.  Seeds: the MNIST slice. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/optsweep-fuzz-idx.%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char err[1024];
    idx_array a;
    if (idx_read(path, IDX_LABELS, 1, 1, &a, err, sizeof err) == 0) idx_free(&a);
    if (idx_read(path, IDX_IMAGES, 28, 28, &a, err, sizeof err) == 0) idx_free(&a);
    unlink(path);
    return 0;
}
