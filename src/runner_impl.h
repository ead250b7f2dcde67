/* runner_impl.h — what runner.c (the sweep: checks, table, --jobs workers) and runner_run.c
 * (one run: claim, resume, train, store) share.  Internal to the runner. */
#ifndef OPTSWEEP_RUNNER_IMPL_H
#define OPTSWEEP_RUNNER_IMPL_H


#include "data.h"
#include "progress.h"
#include "runner.h"
#include "store.h"

/* Result of one run for the sweep loop. */
typedef enum {
    RUNNER_RUN_DONE,      /* trained (completed, diverged, stopped early) or already done */
    RUNNER_RUN_SKIPPED,   /* another process holds it */
    RUNNER_RUN_FAILED,    /* recorded as failed; the sweep goes on */
    RUNNER_RUN_STOPPED,   /* a signal: checkpoint written, the sweep stops */
    RUNNER_RUN_IO_ERROR,  /* results cannot be written: the sweep stops */
} runner_run_result;

typedef struct {
    const plan *p;
    const runner_options *o;
    char sweep_dir[STORE_PATH_LEN];
    char runs_dir[STORE_PATH_LEN];
    char host[256];
    /* --force: the final files as they were when the command started (st_dev, st_ino; 0 when
     * none): only those are redone, not ones another process (or worker) wrote since */
    unsigned long long *force_dev, *force_ino; // (n_runs)
    /* the last data set loaded, reused while consecutive runs have the same data settings */
    dataset data;
    data_settings data_key;
    int have_data;
    progress prog;
    int device_printed;
    int *pack_of;              /* (n_runs) each run's pack (pack_partition) */
    int n_packs;
    int *varies;               /* (settings_n_keys()) 1 when the key differs between runs */
    int stop_signal;           /* the signal that stopped the sweep, or 0 */
    /* search.halving (runner_halving.c): each run's epoch to stop at in this stage (its
     * rung's; train.epochs at the last rung); NULL: train.epochs */
    int *target;               // (n_runs)
    /* search.halving: the whole plan is p; the shard given (--shard, SLURM) only says which
     * runs this process trains first */
    int shard_index, shard_count;
    int n_trained, n_done_before, n_busy, n_failed, n_diverged;
    int n_pruned;              /* search.halving: runs this process wrote as pruned */
} runner;

/* Trains (or skips) the pack of runs[0..n) of the plan (pack.h): the runs this process can
 * claim train together; the result is the worst of theirs (stopped, I/O error, failed). */
runner_run_result runner_run_pack(runner *r, const int *runs, int n);

/* search.halving: ends run i, whose checkpoint is at a rung, as pruned: its final file from
 * the checkpoint (status "pruned", `why` as its message), the checkpoint kept, so that the
 * same sweep without halving trains it on.  Skips a run held by another process or already
 * ended. */
runner_run_result runner_prune(runner *r, int i, const char *why);

/* Claims run i for this process (runner_claim.c): 1 claimed (lock in *lock), 0 not to train
 * here (done, or held by another process), -1 the results folder failed (message given). */
int runner_claim(runner *r, int i, store_lock *lock);

/* A warning on stderr that starts its own line (a live progress line is ended first). */
void runner_warn(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Removes run's checkpoint, if any, once its final file is written (lock held). */
void runner_remove_checkpoint(runner *r, const plan_run *run);

/* Run i's final file is done but its lock is still there (its process was killed between
 * the two): takes the stale lock over and finishes the clean-up, as a claim would. */
void runner_tidy(runner *r, int i);

/* The stages of a sweep with search.halving (runner_halving.c): the exit status. */
int runner_halving_loop(runner *r);

/* The data for settings s (cached across consecutive runs with the same data settings). */
const dataset *runner_data(runner *r, const data_settings *s, char *err, size_t errlen);

/* The backend run trains on: --backend when given, else its train.backend. */
backend_kind runner_backend(const runner *r, const plan_run *run);

/* "optimizer.lr=0.1 optimizer.momentum=0.9": run i's values of the keys that differ between
 * the plan's runs (r->varies), xmalloc'd. */
char *runner_varying_settings(const runner *r, int i);

#endif
