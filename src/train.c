/* train.c — the backend-agnostic training loop of one run (train.h): epochs, the lr schedule,
 * validation, early stopping, divergence, the final test.  Everything a resume needs lives in
 * train_state (plus the parameters and optimizer state the backend holds), so stopping after
 * any epoch and resuming gives the same bits as an uninterrupted run.  No file I/O. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "optim.h"
#include "schedule.h"

const char *run_status_name(run_status s)
{
    switch (s) {
    case RUN_RUNNING: return "running";
    case RUN_COMPLETED: return "completed";
    case RUN_DIVERGED: return "diverged";
    case RUN_STOPPED_EARLY: return "stopped_early";
    case RUN_FAILED: return "failed";
    case RUN_PRUNED: return "pruned";
    }
    return "unknown";
}

void train_state_init(train_state *st, int max_epochs)
{
    size_t n = (size_t)(max_epochs > 0 ? max_epochs : 1);
    *st = (train_state){0};
    st->best_val_loss = INFINITY;
    st->epoch = xcalloc(n, sizeof(int));
    st->train_loss = xcalloc(n, sizeof(double));
    st->lr = xcalloc(n, sizeof(double));
    st->momentum = xcalloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++) st->momentum[i] = NAN;
    st->epoch_seconds = xcalloc(n, sizeof(double));
    st->val_epoch = xcalloc(n, sizeof(int));
    st->val_loss = xcalloc(n, sizeof(double));
    st->val_acc = xcalloc(n, sizeof(double));
    st->best_val_acc = NAN;
    st->test_loss = NAN;
    st->test_acc = NAN;
    st->status = RUN_RUNNING;
    st->status_epoch = -1;
    st->best_params_epoch = -1;
}

void train_state_free(train_state *st)
{
    free(st->epoch);
    free(st->train_loss);
    free(st->lr);
    free(st->momentum);
    free(st->epoch_seconds);
    free(st->val_epoch);
    free(st->val_loss);
    free(st->val_acc);
    free(st->best_params);
    *st = (train_state){0};
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static run_status fail(train_state *st, int epoch, const char *what, const backend *b)
{
    st->status = RUN_FAILED;
    st->status_epoch = epoch;
    /* the backend's message, cut to fit train_state.message */
    snprintf(st->message, sizeof st->message, "%s: %.230s", what, b->error);
    return st->status;
}

/* Loss and accuracy on a split; with optimizer.evaluate_averaged, of the averaged parameters
 * (ASGD's ax, an optimizer state slot): they stand in for the parameters during the
 * evaluation, which then go back, so training continues from its own parameters. */
static int evaluate(const run_settings *s, backend *b, split_id split, eval_result *r)
{
    const int slot = s->optim.evaluate_averaged ? optim_averaged_slot(&s->optim) : -1;
    if (slot < 0) return b->ops->evaluate(b, split, r);
    const size_t np = b->config.shape.n_params;
    const size_t slots = (size_t)optim_state_slots(&s->optim);
    float *params = xmalloc(np * sizeof(float)), *state = xmalloc(slots * np * sizeof(float));
    int rc = b->ops->read_params(b, params);
    if (rc == 0) rc = b->ops->read_state(b, state);
    if (rc == 0) rc = b->ops->load_params(b, state + (size_t)slot * np);
    if (rc == 0) rc = b->ops->evaluate(b, split, r);
    if (rc == 0) rc = b->ops->load_params(b, params);
    free(params);
    free(state);
    return rc;
}

/* A new best validation accuracy at `epoch`: with train.keep_best, the weights that validation
 * evaluated go into st->best_params (the averaged ones under evaluate_averaged); without it,
 * older best weights are dropped, so best_params always belong to best_val_acc. */
static int keep_best(const run_settings *s, backend *b, train_state *st, int epoch)
{
    if (!s->train.keep_best) {
        free(st->best_params);
        st->best_params = NULL;
        st->best_params_epoch = -1;
        return 0;
    }
    const size_t np = b->config.shape.n_params;
    if (!st->best_params) st->best_params = xmalloc((np ? np : 1) * sizeof(float));
    const int slot = s->optim.evaluate_averaged ? optim_averaged_slot(&s->optim) : -1;
    int rc;
    if (slot < 0) {
        rc = b->ops->read_params(b, st->best_params);
    } else {
        const size_t slots = (size_t)optim_state_slots(&s->optim);
        float *state = xmalloc(slots * np * sizeof(float));
        rc = b->ops->read_state(b, state);
        if (rc == 0) memcpy(st->best_params, state + (size_t)slot * np, np * sizeof(float));
        free(state);
    }
    st->best_params_epoch = rc == 0 ? epoch : -1;
    return rc;
}

/* Validation of one epoch: records loss and accuracy, steps a `step_every: validation`
 * schedule, and updates early stopping.  Returns 1 when early stopping ends the run now.
 *
 * Early stopping, defined as PyTorch Lightning's EarlyStopping(mode="min") defines it: a
 * validation improves when its loss is below the best so far by more than `delta`
 * (val_loss < best - delta; the first finite one always does); `patience` counts VALIDATIONS
 * (not epochs) in a row without improvement, and the run stops at the validation that makes
 * that count reach `patience`.  With validation_freq 5 and patience 3 a run stops 15 epochs
 * after its last improvement.  The test then uses the final parameters (the notebook keeps
 * no best checkpoint). */
static int validate(const run_settings *s, backend *b, train_state *st, int epoch, int *failed)
{
    eval_result r;
    if (evaluate(s, b, SPLIT_VAL, &r) != 0) {
        *failed = 1;
        return 0;
    }
    if (r.n == 0)
        return 0; /* no validation split: nothing to record, nothing steps */
    st->val_epoch[st->n_val] = epoch;
    st->val_loss[st->n_val] = r.loss;
    st->val_acc[st->n_val] = r.acc;
    st->n_val++;
    if (isnan(st->best_val_acc) || r.acc > st->best_val_acc) {
        st->best_val_acc = r.acc;
        if (keep_best(s, b, st, epoch) != 0) {
            *failed = 1;
            return 0;
        }
    }
    /* The notebook calls scheduler.step() inside its validation branch. */
    if (s->schedule.every == SCHEDULE_EVERY_VALIDATION)
        st->schedule_steps++;
    if (!s->train.early_stopping)
        return 0;
    if (r.loss < st->best_val_loss - s->train.delta) {
        st->best_val_loss = r.loss;
        st->epochs_since_best = 0; /* counts validations, see above */
        return 0;
    }
    st->epochs_since_best++;
    return st->epochs_since_best >= s->train.patience;
}

/* What one epoch leaves to do: record it (lr and momentum: its first step's), then divergence, validation, the scheduler step
 * and early stopping.  Returns 1 when the run has ended here (diverged, failed: status set;
 * stopped early: *stopped_early, the test is still to come), 0 to go on. */
static int after_training(const run_settings *s, backend *b, train_state *st, int epoch,
                          double lr, double momentum, double loss, double secs,
                          int *stopped_early)
{
    /* `epoch` counts from 0 (the backend's shuffles, validation_freq); what is recorded and
     * shown is its number, 1..train.epochs: "epoch e" is after e epochs (README "Epochs") */
    const int number = epoch + 1;
    st->epoch[st->n_epochs] = number;
    st->train_loss[st->n_epochs] = loss;
    st->lr[st->n_epochs] = lr;
    st->momentum[st->n_epochs] = momentum;
    st->epoch_seconds[st->n_epochs] = secs;
    st->n_epochs++;
    st->elapsed_seconds += secs;
    st->next_epoch = epoch + 1;

    if (!isfinite(loss)) {
        st->status = RUN_DIVERGED;
        st->status_epoch = number;
        snprintf(st->message, sizeof st->message, "train loss became %s in epoch %d",
                 isnan(loss) ? "NaN" : loss > 0 ? "+Inf" : "-Inf", number);
        return 1;
    }
    const int freq = s->train.validation_freq;
    if (freq > 0 && epoch % freq == 0) { /* the notebook's test, its epochs from 0 */
        int failed = 0;
        *stopped_early = validate(s, b, st, number, &failed);
        if (failed) {
            fail(st, number, "validation", b);
            return 1;
        }
    }
    if (s->schedule.every == SCHEDULE_EVERY_EPOCH)
        st->schedule_steps++;
    if (*stopped_early) {
        st->status_epoch = number;
        return 1; /* no hook: a resume must not train past the stop */
    }
    return 0;
}

/* The per-step tables of a run's next epoch (backend_epoch_job.lr_steps / momentum_steps)
 * when its schedule steps every batch or cycles the momentum: the scheduler position is the
 * optimizer's step count (step_every: batch) or schedule_steps, both checkpointed, so a
 * resume continues mid-schedule exactly.  Returns the number of steps filled (0: no tables,
 * the job's lr holds), or -1 with a message when OneCycleLR would step past total_steps. */
static long step_tables(const run_settings *s, const backend *b, const train_state *st,
                        double **lr, double **mom, char *msg, size_t n_msg)
{
    const schedule_settings *sc = &s->schedule;
    const int batch = sc->every == SCHEDULE_EVERY_BATCH &&
                      (sc->kind != SCHEDULE_NONE || sc->warmup);
    if (!batch && !schedule_cycles_momentum(sc)) return 0;
    const long bs = b->config.batch_size > 0 ? b->config.batch_size : 1;
    const long n = ((long)b->config.train_rows + bs - 1) / bs;
    if (n <= 0) return 0; /* the backend reports the empty split */
    *lr = xrealloc(*lr, (size_t)n * sizeof(double));
    *mom = xrealloc(*mom, (size_t)n * sizeof(double));
    if (batch) {
        schedule_fill_steps(sc, s->optim.lr, st->step, n, *lr, *mom);
    } else {
        double m, v = schedule_value(sc, s->optim.lr, st->schedule_steps, &m);
        for (long i = 0; i < n; i++) {
            (*lr)[i] = v;
            (*mom)[i] = m;
        }
    }
    for (long i = 0; i < n; i++)
        if (isnan((*lr)[i])) {
            /* reference: torch 1.13 OneCycleLR.get_lr raises ValueError */
            const long done = batch ? st->step + i : st->schedule_steps;
            snprintf(msg, n_msg, "Tried to step %ld times. The specified number of total steps "
                     "is %d (OneCycleLR)", done + 1, sc->total_steps);
            return -1;
        }
    return n;
}

/* The end of a run that completed or stopped early: the test. */
static void finish_run(const run_settings *s, backend *b, train_state *st, int stopped_early)
{
    eval_result r;
    if (evaluate(s, b, SPLIT_TEST, &r) != 0) {
        fail(st, st->next_epoch, "test", b); /* after the last epoch trained */
        return;
    }
    st->test_loss = r.loss;
    st->test_acc = r.acc;
    st->status = stopped_early ? RUN_STOPPED_EARLY : RUN_COMPLETED;
    if (stopped_early)
        snprintf(st->message, sizeof st->message,
                 "early stopping at epoch %d: %d validations without improvement",
                 st->status_epoch, st->epochs_since_best);
}

run_status train_run(const run_settings *s, backend *b, train_state *st,
                     const train_hooks *hooks)
{
    train_member m = {s, b, st, hooks};
    train_pack(&m, 1);
    return st->status;
}

/* A run has ended and leaves the pack: its `finished` hook. */
static void leave_pack(const train_member *m)
{
    if (m->hooks && m->hooks->finished) m->hooks->finished(m->hooks->user, m->st, m->b);
}

void train_pack(const train_member *members, int n)
{
    /* 1: still training; 0: ended or stopped */
    unsigned char *going = xcalloc((size_t)(n > 0 ? n : 1), 1);
    int *stopped_early = xcalloc((size_t)(n > 0 ? n : 1), sizeof(int));
    backend_epoch_job *jobs = xcalloc((size_t)(n > 0 ? n : 1), sizeof *jobs);
    int *which = xcalloc((size_t)(n > 0 ? n : 1), sizeof(int));
    double *loss = xcalloc((size_t)(n > 0 ? n : 1), sizeof(double));
    /* each member's per-step tables (step_tables), NULL until needed */
    double **lr_tab = xcalloc((size_t)(n > 0 ? n : 1), sizeof(double *));
    double **mom_tab = xcalloc((size_t)(n > 0 ? n : 1), sizeof(double *));
    for (int i = 0; i < n; i++)
        going[i] = members[i].st->status == RUN_RUNNING; /* finished ones: nothing to do */

    for (;;) {
        int n_jobs = 0;
        for (int i = 0; i < n; i++) {
            const train_member *m = &members[i];
            if (!going[i]) continue;
            if (m->st->next_epoch >= m->s->train.epochs) { /* its epochs are done */
                going[i] = 0;
                finish_run(m->s, m->b, m->st, stopped_early[i]);
                leave_pack(m);
                continue;
            }
            char msg[200];
            const long n_tab = step_tables(m->s, m->b, m->st, &lr_tab[i], &mom_tab[i], msg,
                                           sizeof msg);
            if (n_tab < 0) {
                m->st->status = RUN_FAILED;
                m->st->status_epoch = m->st->next_epoch + 1; /* the epoch it would train */
                snprintf(m->st->message, sizeof m->st->message, "schedule: %s", msg);
                going[i] = 0;
                leave_pack(m);
                continue;
            }
            which[n_jobs] = i;
            jobs[n_jobs++] = (backend_epoch_job){
                .b = m->b, .seed = m->s->train.seed, .epoch = m->st->next_epoch,
                .lr = n_tab > 0 ? lr_tab[i][0]
                                : schedule_lr_of_run(&m->s->schedule, m->s->optim.lr,
                                                     m->st->schedule_steps, m->st->val_loss,
                                                     m->st->val_acc, m->st->n_val),
                .step = &m->st->step, .mean_loss = &loss[i],
                .lr_steps = n_tab > 0 ? lr_tab[i] : NULL,
                .momentum_steps = n_tab > 0 && schedule_cycles_momentum(&m->s->schedule)
                                      ? mom_tab[i] : NULL,
            };
        }
        if (n_jobs == 0) break;

        const double t0 = now_seconds();
        int failed = -1;
        int rc = backend_train_epochs(jobs, n_jobs, &failed);
        /* each run's share of the round's time */
        const double secs = (now_seconds() - t0) / (double)n_jobs;
        if (rc != 0) {
            /* a backend error: the round's epochs may be half done, so every run of the
             * round fails (with the failing backend's message where it has none of its own);
             * a later sweep retries them from their checkpoints */
            const backend *bad = jobs[failed].b;
            for (int j = 0; j < n_jobs; j++) {
                const train_member *m = &members[which[j]];
                fail(m->st, m->st->next_epoch + 1, "training", m->b->error[0] ? m->b : bad);
                going[which[j]] = 0;
                leave_pack(m);
            }
            continue;
        }
        int stop = 0;
        for (int j = 0; j < n_jobs; j++) {
            const int i = which[j];
            const train_member *m = &members[i];
            const double mom = jobs[j].momentum_steps ? jobs[j].momentum_steps[0] : NAN;
            if (after_training(m->s, m->b, m->st, jobs[j].epoch, jobs[j].lr, mom, loss[i], secs,
                               &stopped_early[i])) {
                going[i] = 0;
                if (stopped_early[i]) finish_run(m->s, m->b, m->st, 1);
                leave_pack(m);
                continue;
            }
            if (m->hooks && m->hooks->after_epoch && m->hooks->after_epoch(m->hooks->user, m->st, m->b) != 0)
                stop = 1;
        }
        if (stop) break; /* st->next_epoch says where each resumes */
    }
    free(going);
    free(stopped_early);
    free(jobs);
    free(which);
    free(loss);
    for (int i = 0; i < n; i++) {
        free(lr_tab[i]);
        free(mom_tab[i]);
    }
    free(lr_tab);
    free(mom_tab);
}
