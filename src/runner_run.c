/* runner_run.c — a pack of runs of a sweep (pack.h; one run is a pack of one), start to end:
 * skip the runs whose final file is done, claim the others with their locks (runner_claim.c),
 * create the pack's backends (the first run's, then members that share its data and
 * threads), start each run from nn.Linear's init, a model.init file or its checkpoint, train
 * them in lockstep (train_pack) with an epoch hook that writes checkpoints (every
 * train.checkpoint_every epochs, or 60 s, and when a signal asks to stop), and as each run
 * ends write its final file (.part, renamed) and remove its checkpoint and lock. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "model.h"
#include "optim.h"
#include "runner_impl.h"
#include "signals.h"
#include "store.h"
#include "train.h"

#define CHECKPOINT_SECONDS 60.0 /* train.checkpoint_every: 0 */

typedef struct {
    runner *r;
    int i;                  /* the run's index in the plan */
    const plan_run *run;
    store_lock lock;
    backend *b;
    train_state st;
    model_shape shape;
    progress_run prog;
    char *what;             /* its varying settings, for the progress lines */
    long n_images[3];       /* train, validation, test images of its data; -1 before loaded */
    char start_time[STORE_TIME_LEN];
    runner_run_result result;
    float *params;          /* (n_params) */
    float *state;           /* (n_state) */
    size_t n_params, n_state;
    char *yaml;
    double wall_before;     /* seconds spent in earlier attempts */
    double t_attempt;       /* monotonic start of this attempt */
    double last_checkpoint; /* monotonic */
    int attempts;
    int stopped_by;         /* signal that stopped the run, or 0 */
    int target;             /* the epoch to stop at: its rung's (search.halving), or the end */
    int at_rung;            /* stopped at its rung, checkpoint written */
    int checkpoint_ok;      /* the last checkpoint write succeeded */
} run_ctx;

static double wall_seconds(const run_ctx *c)
{
    return c->wall_before + (progress_now() - c->t_attempt);
}

void runner_warn(runner *r, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    progress_end(&r->prog); /* clears a live line so the message starts a line */
    fprintf(stderr, "optsweep: %s%s\n", r->prog.prefix, msg);
}

static int write_checkpoint(run_ctx *c, const train_state *st, backend *b)
{
    char err[1024];
    if (b->ops->read_params(b, c->params) < 0
        || (c->n_state > 0 && b->ops->read_state(b, c->state) < 0)) {
        runner_warn(c->r, "run %s: reading the weights from the backend for a checkpoint: %s",
                    c->run->id, b->error);
        return -1;
    }
    store_checkpoint ck = {
        .run = c->run, .settings_yaml = c->yaml, .backend = b->ops->name,
        .numerics = b->numerics,
        .start_time = c->start_time, .wall_seconds = wall_seconds(c),
        .attempts = c->attempts, .st = st, .params = c->params, .n_params = c->n_params,
        .optim_state = c->state, .n_state = c->n_state,
    };
    if (store_write_checkpoint(c->r->runs_dir, &ck, err, sizeof err) < 0) {
        runner_warn(c->r, "cannot write checkpoint: %s", err);
        return -1;
    }
    c->last_checkpoint = progress_now();
    return 0;
}

static int after_epoch(void *user, const train_state *st, backend *b)
{
    run_ctx *c = user;
    const train_settings *t = &c->run->settings.train;
    progress_epoch(&c->r->prog, &c->prog, st);
    store_lock_touch(&c->lock);
    int sig = signals_pending();
    const int rung = st->next_epoch >= c->target && c->target < t->epochs;
    int due = sig != 0 || rung;
    if (st->next_epoch < t->epochs) {
        if (t->checkpoint_every > 0)
            due |= st->next_epoch % t->checkpoint_every == 0;
        else
            due |= progress_now() - c->last_checkpoint >= CHECKPOINT_SECONDS;
    }
    /* a failed periodic checkpoint only costs resumability: training goes on */
    if (due) c->checkpoint_ok = write_checkpoint(c, st, b) == 0;
    if (c->r->o->after_epoch) c->r->o->after_epoch(c->r->o->after_epoch_user);
    if (sig) {
        c->stopped_by = sig;
        return 1;
    }
    /* its rung: the pack stops after this round (its members share the rung) */
    if (rung) c->at_rung = c->checkpoint_ok;
    return rung;
}

/* "default" (or empty): nn.Linear's init from Philox(seed); else an HDF5 weights file. */
static int init_weights(run_ctx *c, backend *b, const model_shape *shape, char *err,
                        size_t errlen)
{
    const model_settings *m = &c->run->settings.model;
    if (m->init[0] == '\0' || strcmp(m->init, "default") == 0) {
        if (b->ops->init_params(b, c->run->settings.train.seed) < 0) {
            snprintf(err, errlen, "initialising the weights: %s", b->error);
            return -1;
        }
        return 0;
    }
    if (store_load_weights(m->init, shape, c->params, err, errlen) < 0) return -1;
    if (b->ops->load_params(b, c->params) < 0) {
        snprintf(err, errlen, "loading the weights of %s: %s", m->init, b->error);
        return -1;
    }
    return 0;
}

/* Resumes from the run's checkpoint when there is a usable one.  Returns the epoch resumed
 * at (0: none).  An unusable checkpoint is set aside (.corrupt) with a message. */
static int resume(run_ctx *c, backend *b, train_state *st, char *start_time)
{
    runner *r = c->r;
    char path[STORE_PATH_LEN], err[1024];
    if (store_path(path, sizeof path, r->runs_dir, c->run->id, STORE_SUFFIX_CKPT, err,
                   sizeof err) < 0 || !store_file_exists(path))
        return 0;
    store_checkpoint_info info;
    int epochs = c->run->settings.train.epochs;
    if (store_read_checkpoint(path, c->run->id, c->yaml, epochs, st, c->params, c->n_params,
                              c->state, c->n_state, &info, err, sizeof err) < 0) {
        char aside[STORE_PATH_LEN + PLAN_ID_LEN + 32];
        snprintf(aside, sizeof aside, "%s.corrupt", path);
        runner_warn(r, "unusable checkpoint: %s; moved to %s, training run %s from the start",
                    err, aside, c->run->id);
        rename(path, aside);
        train_state_free(st);
        train_state_init(st, epochs);
        return 0;
    }
    if (b->ops->load_params(b, c->params) < 0
        || (c->n_state > 0 && b->ops->load_state(b, c->state) < 0)) {
        runner_warn(r, "run %s: loading its checkpoint into the backend: %s; training from the "
                    "start", c->run->id, b->error);
        train_state_free(st);
        train_state_init(st, epochs);
        return 0;
    }
    if (strcmp(info.backend, b->ops->name) != 0)
        runner_warn(r, "run %s: resuming a %s checkpoint on the %s backend: the result will not "
                    "be bit-identical to an uninterrupted run", c->run->id, info.backend,
                    b->ops->name);
    else if (info.numerics[0] && strcmp(info.numerics, b->numerics) != 0)
        runner_warn(r, "run %s: its checkpoint was written under %s and resumes under %s: after "
                    "its first %ld epochs, its bits differ from those of an uninterrupted run",
                    c->run->id, info.numerics, b->numerics, (long)st->next_epoch);
    c->wall_before = info.wall_seconds;
    c->attempts = info.attempts + 1;
    check_copy_string(start_time, STORE_TIME_LEN, info.start_time);
    return st->next_epoch > 0 ? st->next_epoch : 0;
}

static void set_failed(train_state *st, int epoch, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_failed(train_state *st, int epoch, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
    st->status = RUN_FAILED;
    st->status_epoch = epoch;
}

void runner_remove_checkpoint(runner *r, const plan_run *run)
{
    char ckpt[STORE_PATH_LEN], err[256];
    if (store_path(ckpt, sizeof ckpt, r->runs_dir, run->id, STORE_SUFFIX_CKPT, err,
                   sizeof err) == 0 && remove(ckpt) < 0 && errno != ENOENT)
        runner_warn(r, "cannot remove %s: %s", ckpt, strerror(errno));
}

/* A claimed run's context, before anything is trained. */
static void ctx_init(run_ctx *c, runner *r, int i, const store_lock *lock)
{
    const plan_run *run = &r->p->runs[i];
    const run_settings *s = &run->settings;
    memset(c, 0, sizeof *c);
    c->r = r;
    c->i = i;
    c->run = run;
    c->lock = *lock;
    store_utc_now(c->start_time);
    model_shape_init(&c->shape, &s->model);
    train_state_init(&c->st, s->train.epochs);
    c->target = r->target ? r->target[i] : s->train.epochs;
    c->n_params = c->shape.n_params;
    c->n_state = (size_t)optim_state_slots(&s->optim) * c->shape.n_params;
    c->yaml = store_settings_yaml(s);
    c->t_attempt = progress_now();
    c->last_checkpoint = c->t_attempt;
    c->attempts = 1;
    /* before any allocation: a run that cannot fit is a failed run, not an abort */
    char why[512];
    int fits = plan_run_fits(s, why, sizeof why) == 0;
    c->params = fits ? xcalloc(c->n_params ? c->n_params : 1, sizeof(float)) : NULL;
    c->state = fits ? xcalloc(c->n_state ? c->n_state : 1, sizeof(float)) : NULL;
    c->what = runner_varying_settings(r, i);
    c->result = RUNNER_RUN_DONE;
    c->n_images[0] = c->n_images[1] = c->n_images[2] = -1;
    if (!fits) set_failed(&c->st, -1, "%s", why);
}

static void ctx_free(run_ctx *c)
{
    train_state_free(&c->st);
    free(c->params);
    free(c->state);
    free(c->yaml);
    free(c->what);
}

/* The run's backend and its starting point: its checkpoint, else nn.Linear's init or its
 * model.init file.  A failure leaves the run failed (st), announced or not. */
static void start_run(run_ctx *c, int *announced)
{
    runner *r = c->r;
    char err[STORE_PATH_LEN + 2048];
    int resumed_at = resume(c, c->b, &c->st, c->start_time);
    if (resumed_at == 0 && init_weights(c, c->b, &c->shape, err, sizeof err) < 0) {
        set_failed(&c->st, -1, "%s", err);
        return;
    }
    progress_run_start(&r->prog, &c->prog, c->i + 1, c->run, c->what, resumed_at);
    *announced = 1;
}

/* A run has ended (completed, stopped early, diverged or failed): its final file, then the
 * clean-up; c->result says how it went for the sweep. */
static void finish_run(run_ctx *c, int announced)
{
    runner *r = c->r;
    train_state *st = &c->st;
    char err[STORE_PATH_LEN + 2048];
    if (st->status != RUN_FAILED && c->b && c->b->ops->read_params(c->b, c->params) < 0)
        set_failed(st, st->next_epoch, "reading the final weights: %s", c->b->error);
    /* ASGD's averaged weights (an optimizer state slot) go into the run file too */
    const int avg_slot = optim_averaged_slot(&c->run->settings.optim);
    if (avg_slot >= 0 && st->status != RUN_FAILED && c->b &&
        c->b->ops->read_state(c->b, c->state) < 0)
        set_failed(st, st->next_epoch, "reading the averaged weights: %s", c->b->error);
    int have_weights = c->b && st->status != RUN_FAILED;
    char end_time[STORE_TIME_LEN];
    store_utc_now(end_time);
    store_run_record rec = {
        .run = c->run, .backend = c->b ? c->b->ops->name : "none",
        .device = c->b ? c->b->device_name : "none", .host = r->host,
        .start_time = c->start_time, .end_time = end_time, .wall_seconds = wall_seconds(c),
        .attempts = c->attempts, .st = st, .shape = &c->shape,
        .params = have_weights ? c->params : NULL,
        .n_images = {c->n_images[0], c->n_images[1], c->n_images[2]},
        .averaged_params = have_weights && avg_slot >= 0
                               ? c->state + (size_t)avg_slot * c->n_params : NULL,
        .best_params = have_weights ? st->best_params : NULL,
        .best_params_epoch = st->best_params_epoch,
    };
    if (!announced)
        progress_run_start(&r->prog, &c->prog, c->i + 1, c->run, c->what, 0);
    if (store_finish_run(r->runs_dir, &rec, err, sizeof err) < 0) {
        runner_warn(r, "cannot write the results of run %s: %s", c->run->id, err);
        c->result = RUNNER_RUN_IO_ERROR;
    } else {
        progress_run_end(&r->prog, &c->prog, c->run, st, wall_seconds(c) - c->wall_before);
        if (st->status == RUN_FAILED) {
            /* the checkpoint (if any) stays: a re-run of the sweep retries from it */
            c->result = RUNNER_RUN_FAILED;
            r->n_failed++;
        } else {
            runner_remove_checkpoint(r, c->run);
            r->n_trained++;
            if (st->status == RUN_DIVERGED) r->n_diverged++;
        }
    }
    store_lock_release(&c->lock);
}

/* train_pack's hook: a run of the pack has ended. */
static void run_finished(void *user, const train_state *st, backend *b)
{
    (void)st;
    (void)b;
    finish_run(user, 1);
}

/* The claimed runs c[0..n): one set of backends, lockstep training, each run's files. */
static void train_claimed(runner *r, run_ctx *c, int n)
{
    char err[STORE_PATH_LEN + 2048];
    const run_settings *s0 = &c[0].run->settings;
    int *announced = xcalloc((size_t)n, sizeof(int));
    const dataset *data = runner_data(r, &s0->data, err, sizeof err);
    if (!data) {
        for (int j = 0; j < n; j++)
            set_failed(&c[j].st, -1, "data: %s", err);
    } else {
        for (int j = 0; j < n; j++) {
            c[j].n_images[0] = data->train.n;
            c[j].n_images[1] = data->val.n;
            c[j].n_images[2] = data->test.n;
        }
        backend_config cfg = backend_config_from_settings(s0, data);
        c[0].b = backend_create(runner_backend(r, c[0].run), &cfg, err, sizeof err);
        for (int j = 0; j < n; j++) {
            if (!c[0].b) {
                set_failed(&c[j].st, -1, "backend: %s", err);
                continue;
            }
            if (j > 0 && !(c[j].b = backend_create_member(c[0].b, &c[j].run->settings.optim,
                                                          data, err, sizeof err))) {
                set_failed(&c[j].st, -1, "backend: %s", err);
                continue;
            }
            if (j == 0 && !r->device_printed && !r->o->quiet) {
                progress_note(&r->prog, "device: %s", c[0].b->device_name);
                r->device_printed = 1;
            }
            start_run(&c[j], &announced[j]);
        }
    }
    /* runs that failed before training end now; the others train together */
    train_member *members = xcalloc((size_t)n, sizeof *members);
    train_hooks *hooks = xcalloc((size_t)n, sizeof *hooks);
    int m = 0;
    for (int j = 0; j < n; j++) {
        if (c[j].st.status == RUN_FAILED) {
            finish_run(&c[j], announced[j]);
            continue;
        }
        if (c[j].st.next_epoch >= c[j].target && c[j].target < c[j].run->settings.train.epochs) {
            /* resumed at or past its rung (another process took it there): nothing to do */
            c[j].at_rung = 1;
            continue;
        }
        hooks[m] = (train_hooks){.after_epoch = after_epoch, .user = &c[j],
                                 .finished = run_finished};
        members[m] = (train_member){&c[j].run->settings, c[j].b, &c[j].st, &hooks[m]};
        m++;
    }
    train_pack(members, m);
    for (int j = 0; j < m; j++) {
        run_ctx *cj = hooks[j].user;
        if (cj->st.status != RUN_RUNNING) continue;
        if (!cj->stopped_by && !signals_pending() && !cj->at_rung) {
            /* stopped at a rung (its own or a packmate's) without a signal: it resumes from
             * this checkpoint in the next pass; no checkpoint, and the results folder fails */
            cj->at_rung = write_checkpoint(cj, &cj->st, cj->b) == 0;
            if (!cj->at_rung) cj->result = RUNNER_RUN_IO_ERROR;
            store_lock_release(&cj->lock);
            continue;
        }
        if (cj->at_rung) {
            store_lock_release(&cj->lock);
            continue;
        }
        /* stopped by a signal after its checkpoint: the lock goes, the checkpoint stays */
        r->stop_signal = cj->stopped_by ? cj->stopped_by : signals_pending();
        cj->result = RUNNER_RUN_STOPPED;
        progress_note(&r->prog, "run %d/%d %s: stopped after epoch %d/%d (%s)", cj->i + 1,
                      r->p->n_runs, cj->run->id, cj->st.next_epoch,
                      cj->run->settings.train.epochs,
                      cj->checkpoint_ok ? "checkpoint saved"
                                        : "the checkpoint could NOT be written: it will resume "
                                          "from an earlier checkpoint, if any");
        store_lock_release(&cj->lock);
    }
    for (int j = 0; j < n; j++)
        if (c[j].at_rung) store_lock_release(&c[j].lock);
    /* members before the first, which holds what they share */
    for (int j = n - 1; j >= 0; j--)
        if (c[j].b) backend_free(c[j].b);
    free(members);
    free(hooks);
    free(announced);
}

runner_run_result runner_run_pack(runner *r, const int *runs, int n)
{
    if (signals_pending()) {
        r->stop_signal = signals_pending();
        return RUNNER_RUN_STOPPED;
    }
    run_ctx *c = xcalloc((size_t)n, sizeof *c);
    int claimed = 0;
    runner_run_result result = RUNNER_RUN_DONE;
    for (int j = 0; j < n; j++) {
        store_lock lock;
        int rc = runner_claim(r, runs[j], &lock);
        if (rc < 0) {
            result = RUNNER_RUN_IO_ERROR;
            break;
        }
        if (rc == 1) ctx_init(&c[claimed++], r, runs[j], &lock);
    }
    if (result == RUNNER_RUN_IO_ERROR) {
        for (int j = 0; j < claimed; j++) {
            store_lock_release(&c[j].lock);
            ctx_free(&c[j]);
        }
        free(c);
        return result;
    }
    /* runs too big for this machine (ctx_init) end now, failed, before any backend; the
     * others move to the front and train */
    int fit = 0;
    for (int j = 0; j < claimed; j++) {
        if (c[j].st.status == RUN_FAILED) {
            finish_run(&c[j], 0);
            continue;
        }
        if (fit != j) {
            run_ctx t = c[fit];
            c[fit] = c[j];
            c[j] = t;
        }
        fit++;
    }
    if (fit > 0) {
        progress_pack_start(&r->prog, c[0].i + 1, c[fit - 1].i + 1, fit);
        train_claimed(r, c, fit);
    }
    /* the sweep's view of the pack: a stop or an I/O error ends it, a failure is noted */
    for (int j = 0; j < claimed; j++) {
        runner_run_result res = c[j].result;
        if (res == RUNNER_RUN_STOPPED || (res == RUNNER_RUN_IO_ERROR &&
                                          result != RUNNER_RUN_STOPPED)
            || (res == RUNNER_RUN_FAILED && result == RUNNER_RUN_DONE))
            result = res;
        ctx_free(&c[j]);
    }
    free(c);
    return result;
}
