/* fixture_h5.h — writes run files exactly as docs/FORMAT.md (format version 2, with its
 * checksum) lays them out,
 * with the HDF5 C API and no optsweep code, so the report's reader is tested against the
 * documented format rather than against the store's writer. */
#ifndef OPTSWEEP_TEST_FIXTURE_H5_H
#define OPTSWEEP_TEST_FIXTURE_H5_H

#include <stddef.h>

typedef struct {
    int format_version;       /* 2; anything else to test the mismatch (no checksum below 2) */
    const char *run_id, *sweep, *case_name;
    const char *status;       /* completed | diverged | stopped_early | failed */
    int status_epoch;         /* -1 when completed */
    const char *status_message;
    /* settings (root attributes with dotted names); NaN / NULL = absent (does not apply) */
    const char *optimizer;    /* optimizer.name */
    double lr, momentum, weight_decay;
    long batch_size, epochs, seed;
    const char *schedule;     /* schedule.name; "none" writes no step_size/gamma */
    long step_size;
    double gamma;
    const char *report_select; /* report.select, NULL: absent (files of earlier builds) */
    /* logs */
    size_t n_epochs;
    const double *train_loss; // (n_epochs)
    const double *lr_log;     // (n_epochs) NULL: constant lr
    size_t n_val;
    const int *val_epoch;     // (n_val)
    const double *val_loss;   // (n_val)
    const double *val_acc;    // (n_val)
    /* results */
    double test_loss, test_acc, best_val_acc, mean_weight, wall_seconds;
} fixture_run;

/* Writes path; returns 0, or -1 with a message on stderr. */
int fixture_write_run(const char *path, const fixture_run *f);

#endif
