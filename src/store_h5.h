/* store_h5.h — checked HDF5 helpers shared by the store's .c files (internal to the store).
 * Every helper checks every HDF5 call and, on failure, writes "<what>: <HDF5's deepest
 * reason>" to err and returns -1.  HDF5's own automatic error printing is turned off
 * (store_h5_quiet), so the user sees only our messages. */
#ifndef OPTSWEEP_STORE_H5_H
#define OPTSWEEP_STORE_H5_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Turns off HDF5's automatic error stack printing (idempotent; call before any HDF5 use). */
void store_h5_quiet(void);

/* Formats "<what>: <reason>" into err, where reason is the deepest HDF5 error message on the
 * stack (and strerror(errno) when the failure was a system call).  Clears the stack.
 * Always returns -1 so callers can `return store_h5_fail(...)`. */
int store_h5_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writing: attributes on an object (file or group id), datasets in a group. */
int store_h5_attr_string(hid_t obj, const char *name, const char *value, char *err, size_t n);
int store_h5_attr_int32(hid_t obj, const char *name, int32_t value, char *err, size_t n);
int store_h5_attr_int64(hid_t obj, const char *name, int64_t value, char *err, size_t n);
int store_h5_attr_uint64(hid_t obj, const char *name, uint64_t value, char *err, size_t n);
int store_h5_attr_int8(hid_t obj, const char *name, int8_t value, char *err, size_t n);
int store_h5_attr_double(hid_t obj, const char *name, double value, char *err, size_t n);
/* 1-D array attributes (count may be 0). */
int store_h5_attr_int64_array(hid_t obj, const char *name, const int64_t *v, size_t count,
                              char *err, size_t n);
int store_h5_attr_int32_array(hid_t obj, const char *name, const int32_t *v, size_t count,
                              char *err, size_t n);
int store_h5_attr_double_array(hid_t obj, const char *name, const double *v, size_t count,
                               char *err, size_t n);

/* Datasets: 1-D int32 / float64 / float32 of `count` elements (0 allowed), 2-D float32. */
int store_h5_dset_int32(hid_t loc, const char *name, const int *v, size_t count,
                        char *err, size_t n);
int store_h5_dset_double(hid_t loc, const char *name, const double *v, size_t count,
                         char *err, size_t n);
int store_h5_dset_float(hid_t loc, const char *name, const float *v, size_t count,
                        char *err, size_t n);
int store_h5_dset_float_2d(hid_t loc, const char *name, const float *v, size_t rows,
                           size_t cols, char *err, size_t n);

/* Opens path read-only; on failure err says why: the system's reason when it cannot be read,
 * "not a regular file" (a FIFO would block), "not an HDF5 file" when its signature is
 * missing, else HDF5's reason.  Turns HDF5's error
 * printing off first (store_h5_quiet). */
hid_t store_h5_open_read(const char *path, char *err, size_t n);
/* store_h5_open_read for a file under results/ (a run file, a checkpoint): a symbolic link
 * there was planted, not written by optsweep, and is refused, never followed. */
hid_t store_h5_open_result(const char *path, char *err, size_t n);
/* Creates path anew for writing (what had the name, a link included, is unlinked first, and
 * the file is created with O_EXCL); on failure err says "path: creating the file: why".
 * Turns HDF5's error printing off first (store_h5_quiet). */
hid_t store_h5_create(const char *path, char *err, size_t n);
/* Checks the file's format_version attribute against STORE_FORMAT_VERSION: 0, or
 * STORE_ERR_VERSION (*version: what the file says, 0 when it has none) with a message, or -1
 * when it cannot be read. */
int store_h5_check_version(hid_t f, const char *path, int *version, char *err, size_t n);

/* Reading.  `where` names the file in messages. */
int store_h5_has_attr(hid_t obj, const char *name);
int store_h5_read_attr_string(hid_t obj, const char *name, char **out, const char *where,
                              char *err, size_t n); /* *out: xmalloc'd */
int store_h5_read_attr_double(hid_t obj, const char *name, double *out, const char *where,
                              char *err, size_t n);
int store_h5_read_attr_int64(hid_t obj, const char *name, int64_t *out, const char *where,
                             char *err, size_t n);
int store_h5_read_attr_uint64(hid_t obj, const char *name, uint64_t *out, const char *where,
                              char *err, size_t n);
/* A numeric array attribute of exactly `count` elements (a scalar counts as one), converted
 * to int32. */
int store_h5_read_attr_int32_array(hid_t obj, const char *name, int32_t *out, size_t count,
                                   const char *where, char *err, size_t n);
/* Opens dataset `name` (a path like "model/layer1/weight" is fine): "is missing" when it or a
 * group on its path is not there.  Close with H5Dclose. */
hid_t store_h5_open_dset(hid_t loc, const char *name, const char *where, char *err, size_t n);
/* 1-D dataset: its length (the dataset must be rank 1; rank 0 is refused). */
int store_h5_dset_length(hid_t loc, const char *name, size_t *count, const char *where,
                         char *err, size_t n);
/* Reads a whole 1-D dataset of exactly `count` elements, converting to the memory type. */
int store_h5_read_dset(hid_t loc, const char *name, hid_t mem_type, void *out, size_t count,
                       const char *where, char *err, size_t n);

/* Writes every setting that applies to the run as a typed attribute of obj named by its
 * dotted key (store_settings.c; docs/FORMAT.md "settings"). */
#include "settings.h"
int store_write_settings(hid_t obj, const run_settings *s, char *err, size_t n);

/* Writes the log datasets (epoch, train_loss, lr, epoch_seconds, val_epoch, val_loss,
 * val_acc) of st at the root of file: the same in run files and checkpoints (store_run.c). */
#include "train.h"
int store_write_logs(hid_t file, const train_state *st, char *err, size_t n);

/* The content checksum (store_checksum.c, docs/FORMAT.md "Checksum"): seal computes it over
 * everything in f and writes the root attribute `checksum` (call it last, before closing);
 * verify recomputes it and compares: -1 with "<path>: damaged: ..." when they differ or
 * something cannot be read. */
int store_checksum_seal(hid_t f, char *err, size_t n);
int store_checksum_verify(hid_t f, const char *path, char *err, size_t n);

#endif
