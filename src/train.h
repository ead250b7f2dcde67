/* train.h — the backend-agnostic training loop of one run: epochs, learning-rate schedule,
 * validation, early stopping, divergence, test.  It drives a backend (backend.h) and keeps
 * the run's log and everything needed to resume it bit-identically (train_state).  It does
 * no file I/O: the store saves checkpoints from the epoch hook. */
#ifndef OPTSWEEP_TRAIN_H
#define OPTSWEEP_TRAIN_H

#include "backend.h"
#include "settings.h"

typedef enum {
    RUN_RUNNING,       /* not finished (interrupted; resumable from the state) */
    RUN_COMPLETED,
    RUN_DIVERGED,      /* loss became NaN or Inf; status_epoch says when */
    RUN_STOPPED_EARLY, /* early stopping; status_epoch is the stop epoch */
    RUN_FAILED,        /* a backend or data error; message says what */
    RUN_PRUNED,        /* search.halving ended it at a rung (the runner sets it, never
                        * train_run); status_epoch is its last epoch */
} run_status;

const char *run_status_name(run_status s);

/* The logs of a run so far, and its resumable position.  Arrays have room for
 * settings.train.epochs entries. */
typedef struct {
    int next_epoch;             /* epochs trained so far = the number of the last one (0 for a
                                   fresh run); the next to train counts from 0 as this */
    long step;                  /* optimizer steps taken (PyTorch's state['step']) */
    long schedule_steps;        /* scheduler.step() calls so far */
    double best_val_loss;       /* early stopping: best validation loss so far (INFINITY) */
    int epochs_since_best;      /* validations (not epochs) since it last improved by > delta */
    double elapsed_seconds;     /* training wall time so far */

    int n_epochs;
    int *epoch;                 /* (n_epochs) epoch numbers 1, 2, ...: "epoch e" is after e
                                   epochs of training (README "Epochs") */
    double *train_loss;         /* (n_epochs) mean of batch losses */
    double *lr;                 /* (n_epochs) lr used in that epoch (its first step's) */
    double *momentum;           /* (n_epochs) the cycled momentum / beta1 of its first step;
                                   NaN when the schedule cycles none */
    double *epoch_seconds;      /* (n_epochs) */
    int n_val;
    int *val_epoch;             /* (n_val) the numbers of the epochs validation followed */
    double *val_loss, *val_acc; /* (n_val) */
    double best_val_acc;        /* NaN before the first validation */
    double test_loss, test_acc; /* NaN until the run ends */
    /* train.keep_best: the weights whose validation accuracy is best_val_acc (the first on
     * ties; with optimizer.evaluate_averaged, the averaged ones the validation evaluated),
     * checkpointed with the rest.  NULL and -1 while there are none; never stale: a new best
     * without keep_best drops them (a checkpoint of a keep_best run resumed without it). */
    float *best_params;         /* (n_params) */
    int best_params_epoch;      /* val_epoch of best_val_acc when best_params is set, else -1 */

    run_status status;
    int status_epoch;           /* number of the epoch of divergence / early stop / failure
                                   (1..; a failed test: the last epoch), else -1 */
    char message[256];
} train_state;

void train_state_init(train_state *st, int max_epochs);
void train_state_free(train_state *st);

typedef struct {
    /* Called after every epoch (after its validation and scheduler step, before the next),
     * except the epoch that diverges or stops early (the run ends there).  Return nonzero to
     * stop: train_run then returns with status RUN_RUNNING and a resumable state. */
    int (*after_epoch)(void *user, const train_state *st, backend *b);
    void *user;
    /* May be NULL: called once when the run has ended (completed, stopped early, diverged or
     * failed; tested), in train_pack while its packmates train on. */
    void (*finished)(void *user, const train_state *st, backend *b);
} train_hooks;

/* Trains from st to the end.  The caller has put the starting parameters in the backend
 * (init_params or load_params) and, when resuming (st->next_epoch > 0), the optimizer state
 * too (load_state); a new backend starts with optim_state_init's state.  Returns st->status. */
run_status train_run(const run_settings *s, backend *b, train_state *st,
                     const train_hooks *hooks);

/* One run of a pack, for train_pack. */
typedef struct {
    const run_settings *s;
    backend *b;                 /* members of one pack (backend_create_member) */
    train_state *st;
    const train_hooks *hooks;   /* may be NULL */
} train_member;

/* Trains a pack's runs in lockstep, each as train_run would: every round trains one epoch of
 * each run still going, together (backend_train_epochs), then does each run's validation,
 * schedule, early stopping and hook.  Runs may differ in everything but the backend's
 * shape, batch size and data: optimizer, schedule, seed, epochs, where they resume.  A run
 * that ends leaves the pack (hooks->finished); the others go on.  When a hook asks to stop,
 * the pack stops after that round: every run not ended keeps status RUN_RUNNING and a
 * resumable state (each run's hook has seen that round). */
void train_pack(const train_member *members, int n);

#endif
