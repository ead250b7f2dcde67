/* store_rung.c — what a run's files say about it at a rung of search.halving (store.h): its
 * final file or its checkpoint, read and validated, reduced to reached / ended / not yet and
 * the metric at the rung's epoch.  Positions in the logs are counted (the k-th epoch logged),
 * never taken from the stored epoch numbers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "store_h5.h"

/* The last validation among the first `epochs` logged epochs: its value, or NaN. */
static double metric_at(const int *epoch, int n_epochs, const int *val_epoch,
                        const double *values, int n_val, int epochs)
{
    const int last = epochs < n_epochs ? epochs : n_epochs; /* epochs logged up to the rung */
    if (last <= 0) return NAN;
    double v = NAN;
    for (int t = 0; t < n_val; t++) {
        int pos = -1;
        for (int j = 0; j < last && pos < 0; j++)
            if (epoch[j] == val_epoch[t]) pos = j;
        if (pos >= 0) v = values[t];
    }
    return v;
}

static int from_final(const char *path, int epochs, halving_metric m, halving_state *state,
                      double *value, char *err, size_t errlen)
{
    store_run_log log;
    if (store_read_run(path, &log, err, errlen) < 0) return -1;
    /* completed or pruned: going through its last logged epoch; the others ended there */
    const int alive = strcmp(log.status, "completed") == 0 || strcmp(log.status, "pruned") == 0;
    const int reached = alive ? log.n_epochs >= epochs : log.n_epochs > epochs;
    *state = reached ? HALVING_REACHED : HALVING_ENDED;
    *value = metric_at(log.epoch, log.n_epochs, log.val_epoch,
                       m == HALVING_VAL_ACC ? log.val_acc : log.val_loss, log.n_val,
                       epochs);
    store_run_log_free(&log);
    return 0;
}

#define TRY(call) do { if ((call) < 0) goto done; } while (0)

static int from_checkpoint(const char *path, int epochs, halving_metric m,
                           halving_state *state, double *value, char *err, size_t errlen)
{
    hid_t f = store_h5_open_result(path, err, errlen);
    if (f < 0) return -1;
    int rc = -1, version;
    int *epoch = NULL, *val_epoch = NULL;
    double *values = NULL;
    int64_t next = 0;
    size_t ne = 0, nv = 0;
    TRY(store_h5_check_version(f, path, &version, err, errlen));
    TRY(store_checksum_verify(f, path, err, errlen));
    TRY(store_h5_read_attr_int64(f, "next_epoch", &next, path, err, errlen));
    TRY(store_h5_dset_length(f, "epoch", &ne, path, err, errlen));
    TRY(store_h5_dset_length(f, "val_epoch", &nv, path, err, errlen));
    if (next < 0 || (size_t)next != ne || nv > ne) {
        snprintf(err, errlen, "%s: next_epoch %lld does not follow its %zu logged epochs",
                 path, (long long)next, ne);
        goto done;
    }
    epoch = xmalloc(sizeof *epoch * (ne ? ne : 1));
    val_epoch = xmalloc(sizeof *val_epoch * (nv ? nv : 1));
    values = xmalloc(sizeof *values * (nv ? nv : 1));
    TRY(store_h5_read_dset(f, "epoch", H5T_NATIVE_INT, epoch, ne, path, err, errlen));
    TRY(store_h5_read_dset(f, "val_epoch", H5T_NATIVE_INT, val_epoch, nv, path, err, errlen));
    TRY(store_h5_read_dset(f, m == HALVING_VAL_ACC ? "val_acc" : "val_loss",
                           H5T_NATIVE_DOUBLE, values, nv, path, err, errlen));
    *state = (int64_t)epochs <= next ? HALVING_REACHED : HALVING_NOT_REACHED;
    *value = metric_at(epoch, (int)ne, val_epoch, values, (int)nv, epochs);
    rc = 0;
done:
    H5Fclose(f);
    free(epoch);
    free(val_epoch);
    free(values);
    return rc;
}

int store_rung_result(const char *runs_dir, const char *id, int epochs, int end,
                      halving_metric metric, halving_state *state, double *value, char *err,
                      size_t errlen)
{
    char path[STORE_PATH_LEN];
    *state = HALVING_NOT_REACHED;
    *value = NAN;
    if (store_path(path, sizeof path, runs_dir, id, STORE_SUFFIX_FINAL, err, errlen) < 0)
        return -1;
    int rc = 0;
    if (store_file_exists(path)) {
        rc = from_final(path, epochs, metric, state, value, err, errlen);
    } else if (epochs < end) {
        if (store_path(path, sizeof path, runs_dir, id, STORE_SUFFIX_CKPT, err, errlen) < 0)
            return -1;
        if (store_file_exists(path))
            rc = from_checkpoint(path, epochs, metric, state, value, err, errlen);
    }
    if (rc < 0) {
        *state = HALVING_NOT_REACHED;
        *value = NAN;
    }
    return rc;
}
