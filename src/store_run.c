/* store_run.c — writes a run's final HDF5 file (docs/FORMAT.md "Run file"): metadata and
 * settings as root attributes, the logs as datasets, the final weights under /model.
 * The file is written under a .part name and renamed only once it is complete and closed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store.h"
#include "store_h5.h"

#define TRY(call) do { if ((call) < 0) goto fail; } while (0)

/* /<group>/layer{k}/{weight,bias}, k = 1..L: the layout store_load_weights reads from
 * /model (group "model": the final weights; "averaged": ASGD's averaged ones; "model_best":
 * train.keep_best's, with their epoch as the attribute `epoch`, given when >= 0). */
static int write_weights(hid_t file, const char *group, const model_shape *shape,
                         const float *params, int epoch, char *err, size_t n)
{
    int rc = -1;
    hid_t model = H5Gcreate2(file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (model < 0) return store_h5_fail(err, n, "creating group /%s", group);
    int32_t sizes[MODEL_MAX_LAYERS + 1];
    for (int k = 0; k <= shape->n_layers; k++) sizes[k] = shape->sizes[k];
    TRY(store_h5_attr_int32(model, "n_layers", shape->n_layers, err, n));
    TRY(store_h5_attr_int32_array(model, "sizes", sizes, (size_t)shape->n_layers + 1, err, n));
    TRY(store_h5_attr_string(model, "activation", activation_kind_name(shape->activation), err, n));
    if (epoch >= 0) TRY(store_h5_attr_int32(model, "epoch", epoch, err, n));
    for (int k = 0; k < shape->n_layers; k++) {
        char name[32], w[64], b[64];
        snprintf(name, sizeof name, "layer%d", k + 1);
        hid_t g = H5Gcreate2(model, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0 || H5Gclose(g) < 0) {
            store_h5_fail(err, n, "creating group /%s/%s", group, name);
            goto fail;
        }
        /* full paths, so a write error names /model/layerK/... */
        snprintf(w, sizeof w, "/%s/%s/weight", group, name);
        snprintf(b, sizeof b, "/%s/%s/bias", group, name);
        size_t out = (size_t)shape->sizes[k + 1], in = (size_t)shape->sizes[k];
        TRY(store_h5_dset_float_2d(file, w, params + shape->weight_offset[k], out, in, err, n));
        TRY(store_h5_dset_float(file, b, params + shape->bias_offset[k], out, err, n));
    }
    rc = 0;
fail:
    if (H5Gclose(model) < 0 && rc == 0) rc = store_h5_fail(err, n, "closing /%s", group);
    return rc;
}

int store_write_logs(hid_t file, const train_state *st, char *err, size_t n)
{
    size_t ne = (size_t)st->n_epochs, nv = (size_t)st->n_val;
    TRY(store_h5_dset_int32(file, "epoch", st->epoch, ne, err, n));
    TRY(store_h5_dset_double(file, "train_loss", st->train_loss, ne, err, n));
    TRY(store_h5_dset_double(file, "lr", st->lr, ne, err, n));
    /* only where a schedule cycles the momentum (docs/FORMAT.md) */
    if (ne > 0 && !isnan(st->momentum[0]))
        TRY(store_h5_dset_double(file, "momentum", st->momentum, ne, err, n));
    TRY(store_h5_dset_double(file, "epoch_seconds", st->epoch_seconds, ne, err, n));
    TRY(store_h5_dset_int32(file, "val_epoch", st->val_epoch, nv, err, n));
    TRY(store_h5_dset_double(file, "val_loss", st->val_loss, nv, err, n));
    TRY(store_h5_dset_double(file, "val_acc", st->val_acc, nv, err, n));
    return 0;
fail:
    return -1;
}

static int write_metadata(hid_t file, const store_run_record *r, char *err, size_t n)
{
    const plan_run *run = r->run;
    const train_state *st = r->st;
    const run_settings *s = &run->settings;
    double mean_weight = r->params ? model_mean_weight(r->shape, r->params) : NAN;
    double train_seconds = st->elapsed_seconds;

    TRY(store_h5_attr_int32(file, "format_version", STORE_FORMAT_VERSION, err, n));
    TRY(store_h5_attr_string(file, "run_id", run->id, err, n));
    TRY(store_h5_attr_int64(file, "run_index", run->index, err, n));
    TRY(store_h5_attr_string(file, "sweep", s->sweep, err, n));
    TRY(store_h5_attr_string(file, "case", s->case_name, err, n));
    char sampled[SETTINGS_MAX_KEYS * 48];
    plan_sampled_text(run, sampled, sizeof sampled);
    TRY(store_h5_attr_int64(file, "sample", sampled[0] ? run->sample : -1, err, n));
    TRY(store_h5_attr_string(file, "sampled", sampled, err, n));
    TRY(store_h5_attr_uint64(file, "seed", s->train.seed, err, n));
    TRY(store_h5_attr_string(file, "backend", r->backend, err, n));
    TRY(store_h5_attr_string(file, "device", r->device, err, n));
    TRY(store_h5_attr_string(file, "optsweep_version", OPTSWEEP_VERSION, err, n));
    TRY(store_h5_attr_string(file, "git_revision", OPTSWEEP_GIT_REV, err, n));
    TRY(store_h5_attr_string(file, "host", r->host, err, n));
    TRY(store_h5_attr_string(file, "start_time", r->start_time, err, n));
    TRY(store_h5_attr_string(file, "end_time", r->end_time, err, n));
    TRY(store_h5_attr_double(file, "wall_seconds", r->wall_seconds, err, n));
    TRY(store_h5_attr_double(file, "train_seconds", train_seconds, err, n));
    TRY(store_h5_attr_int32(file, "attempts", r->attempts, err, n));
    TRY(store_h5_attr_string(file, "status", run_status_name(st->status), err, n));
    TRY(store_h5_attr_int32(file, "status_epoch", st->status_epoch, err, n));
    TRY(store_h5_attr_string(file, "status_message", st->message, err, n));
    TRY(store_h5_attr_double(file, "test_loss", st->test_loss, err, n));
    TRY(store_h5_attr_double(file, "test_acc", st->test_acc, err, n));
    TRY(store_h5_attr_double(file, "best_val_acc", st->best_val_acc, err, n));
    /* where the best validation was: the epoch (its number, as val_epoch) of the highest
     * accuracy (the first on ties) and of the lowest loss; -1 without validation */
    int best_acc = -1, best_loss = -1;
    for (int v = 0; v < st->n_val; v++) {
        if (isfinite(st->val_acc[v]) && (best_acc < 0 || st->val_acc[v] > st->val_acc[best_acc]))
            best_acc = v;
        if (isfinite(st->val_loss[v]) &&
            (best_loss < 0 || st->val_loss[v] < st->val_loss[best_loss]))
            best_loss = v;
    }
    TRY(store_h5_attr_int32(file, "best_epoch", best_acc >= 0 ? st->val_epoch[best_acc] : -1,
                            err, n));
    TRY(store_h5_attr_int32(file, "best_val_loss_epoch",
                            best_loss >= 0 ? st->val_epoch[best_loss] : -1, err, n));
    TRY(store_h5_attr_double(file, "best_val_loss",
                             best_loss >= 0 ? st->val_loss[best_loss] : NAN, err, n));
    TRY(store_h5_attr_double(file, "mean_weight", mean_weight, err, n));
    TRY(store_h5_attr_int64(file, "n_params", (int64_t)r->shape->n_params, err, n));
    TRY(store_h5_attr_int64(file, "n_train", r->n_images[0], err, n));
    TRY(store_h5_attr_int64(file, "n_val", r->n_images[1], err, n));
    TRY(store_h5_attr_int64(file, "n_test", r->n_images[2], err, n));
    char *yaml = store_settings_yaml(s);
    int rc = store_h5_attr_string(file, "settings_yaml", yaml, err, n);
    free(yaml);
    TRY(rc);
    TRY(store_write_settings(file, s, err, n));
    return 0;
fail:
    return -1;
}

int store_write_run(const char *path, const store_run_record *r, char *err, size_t errlen)
{
    char why[768] = "";
    hid_t file = store_h5_create(path, err, errlen);
    if (file < 0) return -1;
    int rc = write_metadata(file, r, why, sizeof why);
    if (rc == 0) rc = store_write_logs(file, r->st, why, sizeof why);
    if (rc == 0 && r->params)
        rc = write_weights(file, "model", r->shape, r->params, -1, why, sizeof why);
    if (rc == 0 && r->params && r->averaged_params)
        rc = write_weights(file, "averaged", r->shape, r->averaged_params, -1, why, sizeof why);
    if (rc == 0 && r->params && r->best_params)
        rc = write_weights(file, "model_best", r->shape, r->best_params, r->best_params_epoch,
                           why, sizeof why);
    if (rc == 0) rc = store_checksum_seal(file, why, sizeof why); /* last: covers the rest */
    /* closing flushes: a full disk often shows up only here */
    if (H5Fclose(file) < 0 && rc == 0) rc = store_h5_fail(why, sizeof why, "closing the file");
    if (rc < 0) snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

int store_finish_run(const char *runs_dir, const store_run_record *r, char *err, size_t errlen)
{
    char part[STORE_PATH_LEN], final[STORE_PATH_LEN];
    if (store_path(part, sizeof part, runs_dir, r->run->id, STORE_SUFFIX_PART, err, errlen) < 0
        || store_path(final, sizeof final, runs_dir, r->run->id, STORE_SUFFIX_FINAL, err,
                      errlen) < 0)
        return -1;
    if (store_write_run(part, r, err, errlen) < 0) {
        remove(part); /* a half-written .part is useless; the checkpoint stays */
        return -1;
    }
    return store_commit_file(part, final, err, errlen);
}
