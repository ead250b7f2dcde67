/* store.h — the results on disk (docs/FORMAT.md is the contract): one HDF5 file per run,
 * written as .part and renamed when the run has ended; checkpoints (atomic) to resume a run
 * bit-identically; lock files that claim a run; plan.json.  Every function returns 0 on
 * success and -1 (or a negative code its comment names) with a message naming the file in
 * `err`; none exits or prints. */
#ifndef OPTSWEEP_STORE_H
#define OPTSWEEP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "halving.h"
#include "model.h"
#include "plan.h"
#include "train.h"

#define STORE_FORMAT_VERSION 2  /* 2: the `checksum` attribute (docs/FORMAT.md) */
#define STORE_TIME_LEN 32   /* "2025-01-31T12:34:56Z" */
#define STORE_PATH_LEN 4096

/* Checkpoint validation: the most training steps an epoch can take (one per image of the
 * largest training set, a batch of 1). */
#define STORE_MAX_STEPS_PER_EPOCH 1000000L

/* File name suffixes under results/<sweep>/runs/ (docs/FORMAT.md). */
#define STORE_SUFFIX_FINAL ".h5"
#define STORE_SUFFIX_PART ".h5.part"
#define STORE_SUFFIX_CORRUPT ".h5.corrupt"
#define STORE_SUFFIX_CKPT ".ckpt.h5"
#define STORE_SUFFIX_CKPT_TMP ".ckpt.h5.tmp"
#define STORE_SUFFIX_LOCK ".lock"

/* ---- paths, directories, small helpers (store_files.c) -------------------------------- */

/* out = "<dir>/<id><suffix>"; -1 (with err) when it does not fit. */
int store_path(char *out, size_t n, const char *dir, const char *id, const char *suffix,
               char *err, size_t errlen);
/* Creates <results_dir>/<sweep>/runs (like mkdir -p) and checks that files can be created
 * there; sweep_dir and runs_dir receive the two paths. */
int store_prepare_dirs(const char *results_dir, const char *sweep, char *sweep_dir,
                       char *runs_dir, size_t n, char *err, size_t errlen);
/* Writes data to tmp_path, fsyncs it, renames it to final_path and fsyncs the directory:
 * after a crash either the old or the new final_path is there, complete. */
int store_write_file_atomic(const char *final_path, const char *data, size_t len,
                            char *err, size_t errlen);
/* fsync(path), rename(tmp, final), fsync(directory of final). */
int store_commit_file(const char *tmp_path, const char *final_path, char *err, size_t errlen);
int store_file_exists(const char *path);
/* Creates path as a new, empty regular file (read-write, 0644): whatever had the name (a
 * stale temporary file, a planted symbolic link) is unlinked first and O_EXCL | O_NOFOLLOW
 * refuse what appears meanwhile, so nothing planted is ever opened.  Returns the fd, or -1. */
int store_create_new(const char *path, char *err, size_t errlen);
void store_utc_now(char out[STORE_TIME_LEN]);
void store_hostname(char *out, size_t n);

/* plan.json: the run ids of the full plan (docs/FORMAT.md). */
int store_write_plan(const char *sweep_dir, const plan *full, char *err, size_t errlen);
/* Reads plan.json: *ids (n entries) xmalloc'd, free with store_free_ids.  Returns 1 (and
 * *n = 0) when there is no plan.json. */
int store_read_plan(const char *sweep_dir, char ***ids, int *n, char *err, size_t errlen);
/* Reads the top-level string `key` of plan.json ("report_select") into *value (xmalloc'd).
 * Returns 0, 1 when there is no plan.json or no such key, or -1 with err. */
int store_read_plan_string(const char *sweep_dir, const char *key, char **value, char *err,
                           size_t errlen);
void store_free_ids(char **ids, int n);

/* ---- run files (store_run.c writes, store_read.c reads) ------------------------------- */

/* Everything a run file holds (docs/FORMAT.md "Run file"). */
typedef struct {
    const plan_run *run;           /* id, index, settings */
    const char *backend;           /* "cpu", "cuda" */
    const char *device;
    const char *host;
    const char *start_time;        /* first start, UTC ISO 8601 */
    const char *end_time;
    double wall_seconds;           /* over all attempts */
    int attempts;
    const train_state *st;         /* logs, status, test results */
    const model_shape *shape;
    const float *params;           /* (shape->n_params) final weights; NULL: none (failed) */
    const float *averaged_params;  /* (shape->n_params) ASGD's averaged weights, or NULL */
    const float *best_params;      /* (shape->n_params) train.keep_best's weights, or NULL */
    int best_params_epoch;         /* their epoch (train_state.best_params_epoch) */
    long n_images[3];              /* train, validation, test images; -1 when not loaded */
} store_run_record;

/* Writes the run file at `path` (the caller's .part name). */
int store_write_run(const char *path, const store_run_record *rec, char *err, size_t errlen);
/* Writes <runs_dir>/<id>.h5.part, then renames it to <id>.h5 (atomic; see store_commit_file). */
int store_finish_run(const char *runs_dir, const store_run_record *rec, char *err,
                     size_t errlen);

/* One setting of a run file, read back generically from its dotted attribute. */
typedef enum {
    STORE_SETTING_TEXT,    /* a string attribute */
    STORE_SETTING_NUMBER,  /* a numeric scalar: integer, real or boolean (int8) */
    STORE_SETTING_LIST,    /* a 1-D numeric array */
} store_setting_kind;

typedef struct {
    char *key;      /* "optim.lr" */
    store_setting_kind kind;
    char *text;     /* "0.01", "sgd", "[128, 64]", "true": exact (integers as such, reals
                     * as settings_format_double writes them: the shortest %.15g..%.17g that
                     * reads back as the same double), so equal texts mean equal values */
    double number;  /* the value of a numeric scalar (booleans 0/1); NaN for text and lists */
} store_setting;

/* A run file read back (everything but the weights).  Strings are never NULL. */
typedef struct {
    int format_version;
    char *run_id, *sweep, *case_name, *backend, *device, *optsweep_version, *git_revision;
    char *host, *start_time, *end_time, *status, *status_message, *settings_yaml;
    char *sampled;  /* the keys a search drew and how, "optimizer.lr=loguniform, ..." (attribute
                     * `sampled`; "" when nothing was drawn or the file predates it) */
    long run_index;
    uint64_t seed;
    double wall_seconds, train_seconds;
    int attempts;
    int status_epoch;
    double test_loss, test_acc, best_val_acc, mean_weight;
    long n_params;
    long n_images[3];                    /* train, validation, test; -1 when not recorded */
    int n_epochs;
    int *epoch;                          /* (n_epochs) */
    double *train_loss, *lr, *epoch_seconds; /* (n_epochs) */
    double *momentum;   /* (n_epochs) where a schedule cycles it, else NULL */
    int n_val;
    int *val_epoch;                      /* (n_val) */
    double *val_loss, *val_acc;          /* (n_val) */
    int n_settings;
    store_setting *settings;             /* (n_settings), sorted by key */
} store_run_log;

/* store_read_run's return value for a file that is not a run file of this format version
 * (its format_version differs, or it has none). */
#define STORE_ERR_VERSION (-2)

/* Reads and validates a run file (format_version, required attributes and datasets, equal
 * lengths, a known status).  Returns 0; STORE_ERR_VERSION; -1 for any other problem.  On
 * failure the log is left empty (safe to free), except that log->format_version holds the
 * file's version after STORE_ERR_VERSION (0 when it has none). */
int store_read_run(const char *path, store_run_log *log, char *err, size_t errlen);
void store_run_log_free(store_run_log *log);
/* The setting named `key`, or NULL when the run does not have it. */
const store_setting *store_run_log_setting(const store_run_log *log, const char *key);
/* Validates a final file as store_read_run does, plus the /model weights when the status is
 * not "failed"; *done = 1 when its status counts as done (completed, diverged, stopped_early;
 * "pruned" is done only for a sweep with search.halving: the caller looks at `status`).
 * Returns -1 (err: why) for a file that must not be trusted. */
int store_check_run(const char *path, int *done, char *status, size_t status_len,
                    char *err, size_t errlen);

/* Reads /model/layer{k}/weight (out, in) and /bias (out), k = 1..n_layers, into params
 * (shape->n_params, model.h layout), checking every shape against `shape`. */
int store_load_weights(const char *path, const model_shape *shape, float *params,
                       char *err, size_t errlen);
/* The same from another group of the same layout: "model_best", "averaged". */
int store_load_weights_from(const char *path, const char *group, const model_shape *shape,
                            float *params, char *err, size_t errlen);

/* ---- checkpoints (store_ckpt.c) ------------------------------------------------------- */

typedef struct {
    const plan_run *run;
    const char *settings_yaml;     /* the run's resolved YAML: must match when resuming */
    const char *backend;
    const char *numerics;          /* backend.h: kernel and threads, or the GPU */
    const char *start_time;
    double wall_seconds;           /* over all attempts, up to now */
    int attempts;
    const train_state *st;         /* next_epoch etc. and the logs so far */
    const float *params;           /* (n_params) */
    size_t n_params;
    const float *optim_state;      /* (n_state) = optim_state_slots * n_params */
    size_t n_state;
} store_checkpoint;

/* Writes <runs_dir>/<id>.ckpt.h5.tmp and renames it to <id>.ckpt.h5 (atomic). */
int store_write_checkpoint(const char *runs_dir, const store_checkpoint *c, char *err,
                           size_t errlen);

typedef struct {
    char start_time[STORE_TIME_LEN];
    char backend[32];
    char numerics[128];            /* "" in checkpoints written before it was kept */
    double wall_seconds;
    int attempts;
} store_checkpoint_info;

/* Reads the checkpoint at path into st (train_state_init'ed with max_epochs), params
 * (n_params) and optim_state (n_state), after checking that it belongs to run_id with exactly
 * settings_yaml and that every size matches.  Returns 0, or -1 (err: why it is unusable). */
int store_read_checkpoint(const char *path, const char *run_id, const char *settings_yaml,
                          int max_epochs, train_state *st, float *params, size_t n_params,
                          float *optim_state, size_t n_state, store_checkpoint_info *info,
                          char *err, size_t errlen);
/* Only the position: next_epoch of the checkpoint and, when yaml is not NULL, its settings
 * YAML (xmalloc'd) — for `optsweep status`. */
int store_checkpoint_epoch(const char *path, int *next_epoch, char **yaml, char *err,
                           size_t errlen);

/* ---- rungs of search.halving (store_rung.c) ------------------------------------------- */

/* Run id's state at the rung after `epochs` epochs, from what runs_dir holds: its final file
 * when there is one, else its checkpoint, else HALVING_NOT_REACHED.  A run reached the rung
 * when it trained `epochs` epochs and was still going after them (a final file that is
 * completed or pruned there, or a checkpoint at or past it); it ended when its final file
 * ends it sooner (diverged, stopped early or failed at or before that epoch).  *metric: the
 * last validation among its first `epochs` epochs (NaN: none).  Results never change once
 * reached, so every process that reads them decides alike.  At the run's end (epochs ==
 * end, its train.epochs) only a final file counts: a checkpoint there still needs its test.
 * 0, or -1 with err for a file that cannot be read (*state is then HALVING_NOT_REACHED). */
int store_rung_result(const char *runs_dir, const char *id, int epochs, int end,
                      halving_metric metric, halving_state *state, double *value, char *err,
                      size_t errlen);

/* results/<sweep>/halving.tsv (store_halving.c; docs/FORMAT.md): one row per complete rung
 * of each bracket (read back sorted by bracket, then rung). */
typedef struct {
    int bracket;                   /* from 0 */
    int rung;                      /* from 1 */
    int epoch;
    int entering, reached, promoted; /* promoted 0 at the last rung (the end) */
    double best_metric;            /* NaN: none */
    char best_run[PLAN_ID_LEN];    /* "" when none */
} store_halving_row;

typedef struct {
    halving_metric metric;
    int eta, min_epochs, max_epochs, brackets; /* 0 when the header line is missing */
    store_halving_row *rows;
    int n;
} store_halving;

/* Reads it: 0; 1 when there is none (t empty); -1 with err when it does not parse. */
int store_read_halving(const char *sweep_dir, store_halving *t, char *err, size_t errlen);
void store_halving_free(store_halving *t);

/* ---- locks (store_lock.c) ------------------------------------------------------------- */

/* A lock is written in full before it gets its name, so an empty or unparsable one was not
 * made by a live optsweep: stale once this old (the margin covers file systems that show a
 * new file's content late). */
#define STORE_LOCK_GARBAGE_AGE 10.0

typedef struct {
    int fd;                        /* -1 when not held */
    char path[STORE_PATH_LEN];
} store_lock;

typedef struct {
    char host[256];
    long pid;
    char start[STORE_TIME_LEN];
    char slurm_job[64];
    int same_host;                 /* the lock was made on this host */
    int alive;                     /* 1 live, 0 stale (dead process on this host), -1 unknown
                                    * (another host) */
    double age_seconds;            /* since the holder last touched it (heartbeat) */
    int garbage;                   /* empty or unparsable: no optsweep process wrote it (a
                                    * lock is complete before it gets its name) */
} store_lock_info;

/* Claims the run whose lock file is `path`: creates it atomically (host, pid, start time),
 * holding an fcntl lock on it; takes over a stale lock of a dead process on this host, and
 * a garbage lock (empty or unparsable, unlocked, older than STORE_LOCK_GARBAGE_AGE s), then
 * with holder->garbage set so that the caller can say so.
 * Returns 0 (held), 1 when another live process, or another host, holds it (*holder filled
 * when not NULL), -1 on error. */
int store_lock_acquire(store_lock *l, const char *path, store_lock_info *holder, char *err,
                       size_t errlen);
/* Refreshes the lock's mtime (a heartbeat that `optsweep status` shows). */
void store_lock_touch(store_lock *l);
/* Removes the lock file and releases it.  Safe on a lock not held. */
void store_lock_release(store_lock *l);
/* Reads a lock file (without taking it): 0 with info, 1 when there is none, -1 unreadable. */
int store_lock_inspect(const char *path, store_lock_info *info, char *err, size_t errlen);

/* ---- settings as attributes / YAML (store_settings.c) --------------------------------- */

/* The run's resolved settings as YAML text (xmalloc'd). */
char *store_settings_yaml(const run_settings *s);

#endif
