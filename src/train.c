/* train.c — the backend-agnostic training loop of one run (train.h): epochs, the lr schedule,
 * validation, early stopping, divergence, the final test.  Everything a resume needs lives in
 * train_state (plus the parameters and optimizer state the backend holds), so stopping after
 * any epoch and resuming gives the same bits as an uninterrupted run.  No file I/O. */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "schedule.h"

const char *run_status_name(run_status s)
{
    switch (s) {
    case RUN_RUNNING: return "running";
    case RUN_COMPLETED: return "completed";
    case RUN_DIVERGED: return "diverged";
    case RUN_STOPPED_EARLY: return "stopped_early";
    case RUN_FAILED: return "failed";
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
    st->epoch_seconds = xcalloc(n, sizeof(double));
    st->val_epoch = xcalloc(n, sizeof(int));
    st->val_loss = xcalloc(n, sizeof(double));
    st->val_acc = xcalloc(n, sizeof(double));
    st->best_val_acc = NAN;
    st->test_loss = NAN;
    st->test_acc = NAN;
    st->status = RUN_RUNNING;
    st->status_epoch = -1;
}

void train_state_free(train_state *st)
{
    free(st->epoch);
    free(st->train_loss);
    free(st->lr);
    free(st->epoch_seconds);
    free(st->val_epoch);
    free(st->val_loss);
    free(st->val_acc);
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
    if (b->ops->evaluate(b, SPLIT_VAL, &r) != 0) {
        *failed = 1;
        return 0;
    }
    if (r.n == 0)
        return 0; /* no validation split: nothing to record, nothing steps */
    st->val_epoch[st->n_val] = epoch;
    st->val_loss[st->n_val] = r.loss;
    st->val_acc[st->n_val] = r.acc;
    st->n_val++;
    if (isnan(st->best_val_acc) || r.acc > st->best_val_acc)
        st->best_val_acc = r.acc;
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

run_status train_run(const run_settings *s, backend *b, train_state *st,
                     const train_hooks *hooks)
{
    if (st->status != RUN_RUNNING)
        return st->status; /* already finished: nothing to do */
    const int freq = s->train.validation_freq;
    int stopped_early = 0;

    for (int epoch = st->next_epoch; epoch < s->train.epochs; epoch++) {
        const double lr = schedule_lr(&s->schedule, s->optim.lr, st->schedule_steps);
        double loss = 0.0;
        const double t0 = now_seconds();
        if (b->ops->train_epoch(b, s->train.seed, epoch, lr, &st->step, &loss) != 0)
            return fail(st, epoch, "training", b);
        const double secs = now_seconds() - t0;

        st->epoch[st->n_epochs] = epoch;
        st->train_loss[st->n_epochs] = loss;
        st->lr[st->n_epochs] = lr;
        st->epoch_seconds[st->n_epochs] = secs;
        st->n_epochs++;
        st->elapsed_seconds += secs;
        st->next_epoch = epoch + 1;

        if (!isfinite(loss)) {
            st->status = RUN_DIVERGED;
            st->status_epoch = epoch;
            snprintf(st->message, sizeof st->message, "train loss became %s at epoch %d",
                     isnan(loss) ? "NaN" : loss > 0 ? "+Inf" : "-Inf", epoch);
            return st->status;
        }
        if (freq > 0 && epoch % freq == 0) {
            int failed = 0;
            stopped_early = validate(s, b, st, epoch, &failed);
            if (failed)
                return fail(st, epoch, "validation", b);
        }
        if (s->schedule.every == SCHEDULE_EVERY_EPOCH)
            st->schedule_steps++;
        if (stopped_early) {
            st->status_epoch = epoch;
            break; /* no hook: a resume must not train past the stop */
        }
        if (hooks && hooks->after_epoch && hooks->after_epoch(hooks->user, st, b) != 0)
            return RUN_RUNNING; /* st->next_epoch says where to resume */
    }

    eval_result r;
    if (b->ops->evaluate(b, SPLIT_TEST, &r) != 0)
        return fail(st, st->next_epoch - 1, "test", b);
    st->test_loss = r.loss;
    st->test_acc = r.acc;
    st->status = stopped_early ? RUN_STOPPED_EARLY : RUN_COMPLETED;
    if (stopped_early)
        snprintf(st->message, sizeof st->message,
                 "early stopping at epoch %d: %d validations without improvement",
                 st->status_epoch, st->epochs_since_best);
    return st->status;
}
