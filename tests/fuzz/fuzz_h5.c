/* fuzz_h5.c — libFuzzer target, structure-aware: the bytes are a program that builds an HDF5
 * file through the HDF5 API (attributes and datasets of the names a run file or a checkpoint
 * has, with fuzzed types, lengths and values, sealed with a valid checksum or not), which
 * the readers then validate: store_check_run, store_read_checkpoint, store_checkpoint_epoch.
 * They must refuse what is inconsistent with a message, without a crash, a leak or undefined
 * behaviour.  (HDF5's own parser is not the target: its files are well-formed here.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "store_h5.h"

static const char *const names[] = {
    "format_version", "checksum", "kind", "run_id", "sweep", "case", "status", "status_epoch",
    "status_message", "settings_yaml", "n_params", "seed", "run_index", "attempts",
    "wall_seconds", "test_acc", "next_epoch", "step", "schedule_steps", "epochs_since_best",
    "best_val_loss", "elapsed_seconds", "best_val_acc", "backend", "start_time",
    "epoch", "train_loss", "lr", "epoch_seconds", "val_epoch", "val_loss", "val_acc",
    "params", "optim_state", "optimizer.lr", "model.hidden", "train.epochs",
    "model/layer1/weight", "model/layer1/bias", "model/layer2/weight", "model/layer2/bias",
    "n_layers", "sizes",
};
#define N_NAMES (sizeof names / sizeof names[0])

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static unsigned take(input *in)
{
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

static int64_t take_int(input *in)
{
    static const int64_t special[] = {0, 1, 2, -1, 3, 5, 784, 10, INT32_MAX, INT64_MAX,
                                      INT64_MIN, 1LL << 62, 100000, 7};
    unsigned b = take(in);
    if (b < 2 * sizeof special / sizeof special[0]) return special[b % 14];
    return (int64_t)(int8_t)take(in) * (int64_t)(b - 27);
}

static void build(hid_t f, input *in)
{
    char err[512], text[64];
    while (in->n) {
        unsigned op = take(in) % 8, k = take(in) % N_NAMES;
        const char *name = names[k];
        hid_t loc = f;
        if (strchr(name, '/')) { /* model/layerK/...: make the groups first */
            H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
            char g[32];
            snprintf(g, sizeof g, "%.*s", (int)(strchr(name, '/') - name), name);
            if (H5Lexists(f, g, H5P_DEFAULT) <= 0) H5Gclose(H5Gcreate2(f, g, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
            snprintf(g, sizeof g, "%.*s", (int)(strrchr(name, '/') - name), name);
            if (H5Lexists(f, g, H5P_DEFAULT) <= 0) H5Gclose(H5Gcreate2(f, g, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        }
        size_t len = take(in) % 40;
        double *dv = calloc(len ? len * 784 : 1, sizeof *dv);
        int *iv = calloc(len ? len : 1, sizeof *iv);
        float *fv = calloc(len ? len * 784 : 1, sizeof *fv);
        for (size_t i = 0; i < len; i++) {
            iv[i] = (int)take_int(in);
            dv[i] = (double)take_int(in) / 7.0;
        }
        switch (op) {
        case 0: snprintf(text, sizeof text, "%.*s", (int)(take(in) % 20), (const char *)in->p);
                store_h5_attr_string(loc, name, text, err, sizeof err); break;
        case 1: store_h5_attr_int64(loc, name, take_int(in), err, sizeof err); break;
        case 2: store_h5_attr_int32(loc, name, (int32_t)take_int(in), err, sizeof err); break;
        case 3: store_h5_attr_double(loc, name, (double)take_int(in) / 3.0, err, sizeof err); break;
        case 4: store_h5_attr_int32_array(loc, name, iv, len, err, sizeof err); break;
        case 5: store_h5_dset_double(loc, name, dv, len, err, sizeof err); break;
        case 6: store_h5_dset_int32(loc, name, iv, len, err, sizeof err); break;
        default: store_h5_dset_float_2d(loc, name, fv, len, take(in) % 2 ? 784 : len, err,
                                        sizeof err); break;
        }
        free(dv);
        free(iv);
        free(fv);
        H5Eclear2(H5E_DEFAULT);
    }
}

/* A consistent checkpoint-and-run-file skeleton (2 epochs, the 784-4-10 model), for the
 * fuzzed operations to edit: without it most inputs stop at the first missing attribute. */
static void skeleton(hid_t f, int epochs)
{
    char err[512];
    enum { N_PARAMS = 784 * 4 + 4 + 4 * 10 + 10 };
    static float params[2 * N_PARAMS];
    int ep[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    double v[8] = {2.3, 2.0, 1.9, 1.8, 1.7, 1.6, 1.5, 1.4};
    store_h5_attr_int32(f, "format_version", STORE_FORMAT_VERSION, err, sizeof err);
    store_h5_attr_string(f, "kind", "checkpoint", err, sizeof err);
    store_h5_attr_string(f, "run_id", "fuzz-run", err, sizeof err);
    store_h5_attr_string(f, "settings_yaml", "", err, sizeof err);
    store_h5_attr_string(f, "status", "completed", err, sizeof err);
    store_h5_attr_int64(f, "n_params", N_PARAMS, err, sizeof err);
    store_h5_attr_int64(f, "next_epoch", epochs, err, sizeof err);
    store_h5_attr_int64(f, "step", epochs * 10, err, sizeof err);
    store_h5_attr_int64(f, "schedule_steps", epochs, err, sizeof err);
    store_h5_attr_int32(f, "epochs_since_best", 0, err, sizeof err);
    store_h5_attr_int32(f, "attempts", 1, err, sizeof err);
    store_h5_attr_double(f, "wall_seconds", 1.0, err, sizeof err);
    store_h5_dset_int32(f, "epoch", ep, (size_t)epochs, err, sizeof err);
    store_h5_dset_int32(f, "val_epoch", ep, (size_t)epochs, err, sizeof err);
    static const char *const logs[] = {"train_loss", "lr", "epoch_seconds", "val_loss",
                                       "val_acc"};
    for (int i = 0; i < 5; i++) store_h5_dset_double(f, logs[i], v, (size_t)epochs, err, sizeof err);
    store_h5_dset_float(f, "params", params, N_PARAMS, err, sizeof err);
    store_h5_dset_float(f, "optim_state", params, 2 * N_PARAMS, err, sizeof err);
    H5Eclear2(H5E_DEFAULT);
}

/* The file is <dir>/fuzz-run.h5: store_check_run wants a run file named after its run. */
static char dir[64];

static void remove_dir(void)
{
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[96];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/optsweep-fuzz-h5.%ld", (long)getpid());
        mkdir(dir, 0700);
        snprintf(path, sizeof path, "%s/fuzz-run.h5", dir);
        atexit(remove_dir);
    }
    input in = {data, size};
    unsigned flags = take(&in);
    char err[1024];
    hid_t f = store_h5_create(path, err, sizeof err);
    if (f < 0) return 0;
    if (flags & 2) skeleton(f, (int)(flags >> 2) % 9);
    build(f, &in);
    if (flags & 1) store_checksum_seal(f, err, sizeof err);
    H5Fclose(f);

    int done = 0;
    char status[32];
    store_check_run(path, &done, status, sizeof status, err, sizeof err);
    int next = 0;
    char *yaml = NULL;
    store_checkpoint_epoch(path, &next, &yaml, err, sizeof err);
    free(yaml);
    enum { EPOCHS = 8, N_PARAMS = 784 * 4 + 4 + 4 * 10 + 10 };
    train_state st;
    train_state_init(&st, EPOCHS);
    static float params[N_PARAMS], state[2 * N_PARAMS];
    store_checkpoint_info info;
    store_read_checkpoint(path, "fuzz-run", "", EPOCHS, &st, params, N_PARAMS, state,
                          2 * N_PARAMS, &info, err, sizeof err);
    train_state_free(&st);
    unlink(path);
    return 0;
}
