/* store_ckpt.c — checkpoints of unfinished runs (docs/FORMAT.md "Checkpoint"): the flat
 * parameters, the optimizer state, and the whole resumable train_state (position, early
 * stopping, logs so far), written to a temporary name and renamed, so a crash mid-write
 * leaves the previous checkpoint intact.  Reading checks the run id, the exact settings and
 * every size: a checkpoint that does not match is refused, never half-used. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "store_h5.h"

#define TRY(call) do { if ((call) < 0) goto fail; } while (0)

static int write_contents(hid_t f, const store_checkpoint *c, char *err, size_t n)
{
    const train_state *st = c->st;
    TRY(store_h5_attr_int32(f, "format_version", STORE_FORMAT_VERSION, err, n));
    TRY(store_h5_attr_string(f, "kind", "checkpoint", err, n));
    TRY(store_h5_attr_string(f, "run_id", c->run->id, err, n));
    TRY(store_h5_attr_string(f, "settings_yaml", c->settings_yaml, err, n));
    TRY(store_h5_attr_string(f, "backend", c->backend, err, n));
    TRY(store_h5_attr_string(f, "numerics", c->numerics, err, n));
    TRY(store_h5_attr_string(f, "start_time", c->start_time, err, n));
    TRY(store_h5_attr_double(f, "wall_seconds", c->wall_seconds, err, n));
    TRY(store_h5_attr_int32(f, "attempts", c->attempts, err, n));
    TRY(store_h5_attr_int64(f, "next_epoch", st->next_epoch, err, n));
    TRY(store_h5_attr_int64(f, "step", st->step, err, n));
    TRY(store_h5_attr_int64(f, "schedule_steps", st->schedule_steps, err, n));
    TRY(store_h5_attr_double(f, "best_val_loss", st->best_val_loss, err, n));
    TRY(store_h5_attr_int32(f, "epochs_since_best", st->epochs_since_best, err, n));
    TRY(store_h5_attr_double(f, "elapsed_seconds", st->elapsed_seconds, err, n));
    TRY(store_h5_attr_double(f, "best_val_acc", st->best_val_acc, err, n));
    TRY(store_write_logs(f, st, err, n));
    TRY(store_h5_dset_float(f, "params", c->params, c->n_params, err, n));
    TRY(store_h5_dset_float(f, "optim_state", c->optim_state, c->n_state, err, n));
    if (st->best_params) { /* train.keep_best */
        TRY(store_h5_attr_int32(f, "best_params_epoch", st->best_params_epoch, err, n));
        TRY(store_h5_dset_float(f, "best_params", st->best_params, c->n_params, err, n));
    }
    TRY(store_checksum_seal(f, err, n)); /* last: it covers everything above */
    return 0;
fail:
    return -1;
}

int store_write_checkpoint(const char *runs_dir, const store_checkpoint *c, char *err,
                           size_t errlen)
{
    char tmp[STORE_PATH_LEN], final[STORE_PATH_LEN], why[768] = "";
    if (store_path(tmp, sizeof tmp, runs_dir, c->run->id, STORE_SUFFIX_CKPT_TMP, err,
                   errlen) < 0
        || store_path(final, sizeof final, runs_dir, c->run->id, STORE_SUFFIX_CKPT, err,
                      errlen) < 0)
        return -1;
    hid_t f = store_h5_create(tmp, err, errlen);
    if (f < 0) return -1;
    int rc = write_contents(f, c, why, sizeof why);
    if (H5Fclose(f) < 0 && rc == 0) rc = store_h5_fail(why, sizeof why, "closing the file");
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", tmp, why);
        remove(tmp); /* the previous checkpoint, if any, stays valid */
        return -1;
    }
    if (store_commit_file(tmp, final, err, errlen) < 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

/* A string attribute into a fixed buffer (cut to fit). */
static int read_string_into(hid_t f, const char *name, char *buf, size_t len, const char *path,
                            char *err, size_t n)
{
    char *s = NULL;
    if (store_h5_read_attr_string(f, name, &s, path, err, n) < 0) return -1;
    check_copy_string(buf, len, s);
    free(s);
    return 0;
}

/* train.keep_best's weights, when the checkpoint has them: they must belong to the epoch of
 * the logs' best validation accuracy (the first on ties), as train.c keeps them. */
static int read_best_params(hid_t f, const char *path, train_state *st, size_t n_params,
                            char *err, size_t n)
{
    if (H5Lexists(f, "best_params", H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    int64_t epoch;
    if (store_h5_read_attr_int64(f, "best_params_epoch", &epoch, path, err, n) < 0) return -1;
    int best = -1;
    for (int v = 0; v < st->n_val; v++)
        if (best < 0 || st->val_acc[v] > st->val_acc[best]) best = v;
    if (best < 0 || epoch != st->val_epoch[best]) {
        snprintf(err, n, "%s: best_params_epoch %lld is not the epoch of its best validation "
                 "accuracy (%d)", path, (long long)epoch, best < 0 ? -1 : st->val_epoch[best]);
        return -1;
    }
    st->best_params = xmalloc((n_params ? n_params : 1) * sizeof(float));
    st->best_params_epoch = (int)epoch;
    return store_h5_read_dset(f, "best_params", H5T_NATIVE_FLOAT, st->best_params, n_params,
                              path, err, n);
}

static int read_contents(hid_t f, const char *path, const char *run_id,
                         const char *settings_yaml, int max_epochs, train_state *st,
                         float *params, size_t n_params, float *optim_state, size_t n_state,
                         store_checkpoint_info *info, char *err, size_t n)
{
    char *s = NULL;
    int64_t v;
    int version;
    size_t ne = 0, nv = 0;
    TRY(store_h5_check_version(f, path, &version, err, n));
    TRY(store_checksum_verify(f, path, err, n));
    TRY(store_h5_read_attr_string(f, "kind", &s, path, err, n));
    if (strcmp(s, "checkpoint") != 0) {
        snprintf(err, n, "%s: kind is '%.40s', not 'checkpoint'", path, s);
        goto fail;
    }
    free(s);
    s = NULL;
    TRY(store_h5_read_attr_string(f, "run_id", &s, path, err, n));
    if (strcmp(s, run_id) != 0) {
        snprintf(err, n, "%s: belongs to run %s, not %s", path, s, run_id);
        goto fail;
    }
    free(s);
    s = NULL;
    TRY(store_h5_read_attr_string(f, "settings_yaml", &s, path, err, n));
    if (!settings_yaml_same_results(s, settings_yaml)) {
        snprintf(err, n, "%s: was written for other settings (a different optsweep "
                 "version?)", path);
        goto fail;
    }
    free(s);
    s = NULL;
    TRY(read_string_into(f, "backend", info->backend, sizeof info->backend, path, err, n));
    info->numerics[0] = '\0';
    if (H5Aexists(f, "numerics") > 0)
        TRY(read_string_into(f, "numerics", info->numerics, sizeof info->numerics, path, err, n));
    TRY(read_string_into(f, "start_time", info->start_time, sizeof info->start_time, path, err,
                         n));
    TRY(store_h5_read_attr_double(f, "wall_seconds", &info->wall_seconds, path, err, n));
    TRY(store_h5_read_attr_int64(f, "attempts", &v, path, err, n));
    info->attempts = (int)v;

    TRY(store_h5_read_attr_int64(f, "next_epoch", &v, path, err, n));
    st->next_epoch = (int)v;
    TRY(store_h5_read_attr_int64(f, "step", &v, path, err, n));
    st->step = (long)v;
    TRY(store_h5_read_attr_int64(f, "schedule_steps", &v, path, err, n));
    st->schedule_steps = (long)v;
    TRY(store_h5_read_attr_double(f, "best_val_loss", &st->best_val_loss, path, err, n));
    TRY(store_h5_read_attr_int64(f, "epochs_since_best", &v, path, err, n));
    st->epochs_since_best = (int)v;
    TRY(store_h5_read_attr_double(f, "elapsed_seconds", &st->elapsed_seconds, path, err, n));
    TRY(store_h5_read_attr_double(f, "best_val_acc", &st->best_val_acc, path, err, n));

    /* the logs: no longer than the run's epochs (st's arrays have that room) */
    TRY(store_h5_dset_length(f, "epoch", &ne, path, err, n));
    TRY(store_h5_dset_length(f, "val_epoch", &nv, path, err, n));
    if (ne > (size_t)max_epochs || nv > (size_t)max_epochs) {
        snprintf(err, n, "%s: holds %zu epochs, more than the run's %d", path, ne,
                 max_epochs);
        goto fail;
    }
    if (st->next_epoch < 0 || (size_t)st->next_epoch != ne) {
        snprintf(err, n, "%s: next_epoch %d does not follow its %zu logged epochs", path,
                 st->next_epoch, ne);
        goto fail;
    }
    TRY(store_h5_read_dset(f, "epoch", H5T_NATIVE_INT, st->epoch, ne, path, err, n));
    TRY(store_h5_read_dset(f, "train_loss", H5T_NATIVE_DOUBLE, st->train_loss, ne, path, err,
                           n));
    TRY(store_h5_read_dset(f, "lr", H5T_NATIVE_DOUBLE, st->lr, ne, path, err, n));
    if (H5Lexists(f, "momentum", H5P_DEFAULT) > 0) /* written where momentum is cycled */
        TRY(store_h5_read_dset(f, "momentum", H5T_NATIVE_DOUBLE, st->momentum, ne, path, err,
                               n));
    TRY(store_h5_read_dset(f, "epoch_seconds", H5T_NATIVE_DOUBLE, st->epoch_seconds, ne, path,
                           err, n));
    TRY(store_h5_read_dset(f, "val_epoch", H5T_NATIVE_INT, st->val_epoch, nv, path, err, n));
    TRY(store_h5_read_dset(f, "val_loss", H5T_NATIVE_DOUBLE, st->val_loss, nv, path, err, n));
    TRY(store_h5_read_dset(f, "val_acc", H5T_NATIVE_DOUBLE, st->val_acc, nv, path, err, n));
    /* every field in its range, so that an edited one is refused, never resumed from: each
     * epoch takes at least one step and at most one per training image, the schedule steps
     * at most once per step, early stopping counts epochs */
    if (st->step < (long)ne || st->step > (long)ne * STORE_MAX_STEPS_PER_EPOCH
        || st->schedule_steps < 0 || st->schedule_steps > st->step
        || st->epochs_since_best < 0 || st->epochs_since_best > (int)ne
        || !(info->wall_seconds >= 0) || info->attempts < 0 || nv > ne) {
        snprintf(err, n, "%s: its position does not add up (step %ld, schedule_steps %ld, "
                 "epochs_since_best %d after %zu epochs and %zu validations)", path, st->step,
                 st->schedule_steps, st->epochs_since_best, ne, nv);
        goto fail;
    }
    st->n_epochs = (int)ne;
    st->n_val = (int)nv;
    TRY(store_h5_read_dset(f, "params", H5T_NATIVE_FLOAT, params, n_params, path, err, n));
    TRY(store_h5_read_dset(f, "optim_state", H5T_NATIVE_FLOAT, optim_state, n_state, path, err,
                           n));
    TRY(read_best_params(f, path, st, n_params, err, n));
    st->status = RUN_RUNNING;
    st->status_epoch = -1;
    st->message[0] = '\0';
    return 0;
fail:
    free(s);
    return -1;
}

int store_read_checkpoint(const char *path, const char *run_id, const char *settings_yaml,
                          int max_epochs, train_state *st, float *params, size_t n_params,
                          float *optim_state, size_t n_state, store_checkpoint_info *info,
                          char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    hid_t f = store_h5_open_result(path, err, errlen);
    if (f < 0) return -1;
    int rc = read_contents(f, path, run_id, settings_yaml, max_epochs, st, params, n_params,
                           optim_state, n_state, info, err, errlen);
    H5Fclose(f);
    return rc;
}

int store_checkpoint_epoch(const char *path, int *next_epoch, char **yaml, char *err,
                           size_t errlen)
{
    if (yaml) *yaml = NULL;
    hid_t f = store_h5_open_result(path, err, errlen);
    if (f < 0) return -1;
    int64_t v = 0;
    int rc = store_h5_read_attr_int64(f, "next_epoch", &v, path, err, errlen);
    *next_epoch = (int)v;
    if (rc == 0 && yaml) rc = store_h5_read_attr_string(f, "settings_yaml", yaml, path, err,
                                                        errlen);
    H5Fclose(f);
    return rc;
}
