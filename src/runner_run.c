/* runner_run.c — one run of a sweep, start to end: skip it when its final file is done, claim
 * it with its lock, create the backend, start from nn.Linear's init, a model.init file or
 * its checkpoint, train with an epoch hook that writes checkpoints (every
 * train.checkpoint_every epochs, or 60 s, and when a signal asks to stop), then write the
 * final file (.part, renamed) and remove the checkpoint and the lock. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    const plan_run *run;
    store_lock *lock;
    float *params;          /* (n_params) */
    float *state;           /* (n_state) */
    size_t n_params, n_state;
    const char *yaml;
    const char *start_time;
    double wall_before;     /* seconds spent in earlier attempts */
    double t_attempt;       /* monotonic start of this attempt */
    double last_checkpoint; /* monotonic */
    int attempts;
    int stopped_by;         /* signal that stopped the run, or 0 */
    int checkpoint_ok;      /* the last checkpoint write succeeded */
} run_ctx;

static double wall_seconds(const run_ctx *c)
{
    return c->wall_before + (progress_now() - c->t_attempt);
}

static void warn(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(runner *r, const char *fmt, ...)
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
        warn(c->r, "run %s: reading the weights from the backend for a checkpoint: %s",
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
        warn(c->r, "cannot write checkpoint: %s", err);
        return -1;
    }
    c->last_checkpoint = progress_now();
    return 0;
}

static int after_epoch(void *user, const train_state *st, backend *b)
{
    run_ctx *c = user;
    const train_settings *t = &c->run->settings.train;
    progress_epoch(&c->r->prog, st);
    store_lock_touch(c->lock);
    int sig = signals_pending();
    int due = sig != 0;
    if (st->next_epoch < t->epochs) {
        if (t->checkpoint_every > 0)
            due |= st->next_epoch % t->checkpoint_every == 0;
        else
            due |= progress_now() - c->last_checkpoint >= CHECKPOINT_SECONDS;
    }
    /* a failed periodic checkpoint only costs resumability: training goes on */
    if (due) c->checkpoint_ok = write_checkpoint(c, st, b) == 0;
    if (sig) {
        c->stopped_by = sig;
        return 1;
    }
    return 0;
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
        warn(r, "unusable checkpoint: %s; moved to %s, training run %s from the start", err,
             aside, c->run->id);
        rename(path, aside);
        train_state_free(st);
        train_state_init(st, epochs);
        return 0;
    }
    if (b->ops->load_params(b, c->params) < 0
        || (c->n_state > 0 && b->ops->load_state(b, c->state) < 0)) {
        warn(r, "run %s: loading its checkpoint into the backend: %s; training from the start",
             c->run->id, b->error);
        train_state_free(st);
        train_state_init(st, epochs);
        return 0;
    }
    if (strcmp(info.backend, b->ops->name) != 0)
        warn(r, "run %s: resuming a %s checkpoint on the %s backend: the result will not be "
             "bit-identical to an uninterrupted run", c->run->id, info.backend, b->ops->name);
    else if (info.numerics[0] && strcmp(info.numerics, b->numerics) != 0)
        warn(r, "run %s: its checkpoint was written under %s and resumes under %s: after its "
             "first %ld epochs, its bits differ from those of an uninterrupted run", c->run->id,
             info.numerics, b->numerics, (long)st->next_epoch);
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

/* The claimed run: everything from the backend to the final file. */
/* Removes run's checkpoint, if any, once its final file is written (lock held). */
static void remove_checkpoint(runner *r, const plan_run *run)
{
    char ckpt[STORE_PATH_LEN], err[256];
    if (store_path(ckpt, sizeof ckpt, r->runs_dir, run->id, STORE_SUFFIX_CKPT, err,
                   sizeof err) == 0 && remove(ckpt) < 0 && errno != ENOENT)
        warn(r, "cannot remove %s: %s", ckpt, strerror(errno));
}

static runner_run_result train_claimed(runner *r, int i, store_lock *lock)
{
    const plan_run *run = &r->p->runs[i];
    const run_settings *s = &run->settings;
    char err[STORE_PATH_LEN + 2048], start_time[STORE_TIME_LEN];
    store_utc_now(start_time);
    model_shape shape;
    model_shape_init(&shape, &s->model);
    train_state st;
    train_state_init(&st, s->train.epochs);
    int slots = optim_state_slots(&s->optim);
    char *yaml = store_settings_yaml(s);
    run_ctx c = {
        .r = r, .run = run, .lock = lock, .n_params = shape.n_params,
        .n_state = (size_t)slots * shape.n_params, .yaml = yaml, .start_time = start_time,
        .t_attempt = progress_now(), .attempts = 1,
    };
    c.last_checkpoint = c.t_attempt;
    c.params = xcalloc(c.n_params ? c.n_params : 1, sizeof(float));
    c.state = xcalloc(c.n_state ? c.n_state : 1, sizeof(float));
    backend *b = NULL;
    int resumed_at = 0, announced = 0;
    runner_run_result result = RUNNER_RUN_DONE;
    char *what = runner_varying_settings(r, i);

    const dataset *data = runner_data(r, &s->data, err, sizeof err);
    if (!data) {
        set_failed(&st, -1, "data: %s", err);
        goto finish;
    }
    backend_config cfg = backend_config_from_settings(s, data);
    b = backend_create(runner_backend(r, run), &cfg, err, sizeof err);
    if (!b) {
        set_failed(&st, -1, "backend: %s", err);
        goto finish;
    }
    if (!r->device_printed && !r->o->quiet) {
        progress_note(&r->prog, "device: %s", b->device_name);
        r->device_printed = 1;
    }
    resumed_at = resume(&c, b, &st, start_time);
    if (resumed_at == 0 && init_weights(&c, b, &shape, err, sizeof err) < 0) {
        set_failed(&st, -1, "%s", err);
        goto finish;
    }
    progress_run_start(&r->prog, i + 1, run, what, resumed_at);
    announced = 1;

    train_hooks hooks = { after_epoch, &c };
    train_run(s, b, &st, &hooks);
    if (st.status == RUN_RUNNING) {
        /* stopped by a signal after its checkpoint: the lock goes, the checkpoint stays */
        r->stop_signal = c.stopped_by ? c.stopped_by : signals_pending();
        result = RUNNER_RUN_STOPPED;
        progress_note(&r->prog, "run %d/%d %s: stopped at epoch %d/%d (%s)", i + 1,
                      r->p->n_runs, run->id, st.next_epoch, s->train.epochs,
                      c.checkpoint_ok ? "checkpoint saved"
                                      : "the checkpoint could NOT be written: it will resume "
                                        "from an earlier checkpoint, if any");
        goto out;
    }
    if (st.status != RUN_FAILED && b->ops->read_params(b, c.params) < 0)
        set_failed(&st, st.next_epoch, "reading the final weights: %s", b->error);

finish:;
    int have_weights = b && st.status != RUN_FAILED;
    char end_time[STORE_TIME_LEN];
    store_utc_now(end_time);
    store_run_record rec = {
        .run = run, .backend = b ? b->ops->name : "none",
        .device = b ? b->device_name : "none", .host = r->host, .start_time = start_time,
        .end_time = end_time, .wall_seconds = wall_seconds(&c), .attempts = c.attempts,
        .st = &st, .shape = &shape, .params = have_weights ? c.params : NULL,
    };
    if (!announced)
        progress_run_start(&r->prog, i + 1, run, what, 0);
    if (store_finish_run(r->runs_dir, &rec, err, sizeof err) < 0) {
        warn(r, "cannot write the results of run %s: %s", run->id, err);
        result = RUNNER_RUN_IO_ERROR;
        goto out;
    }
    progress_run_end(&r->prog, run, &st, wall_seconds(&c) - c.wall_before);
    if (st.status == RUN_FAILED) {
        /* the checkpoint (if any) stays: a re-run of the sweep retries from it */
        result = RUNNER_RUN_FAILED;
        r->n_failed++;
    } else {
        remove_checkpoint(r, run);
        r->n_trained++;
        if (st.status == RUN_DIVERGED) r->n_diverged++;
    }
out:
    if (b) backend_free(b);
    train_state_free(&st);
    free(c.params);
    free(c.state);
    free(yaml);
    free(what);
    return result;
}

/* 1 when run's final file is there, valid and done (with --force: and written during this
 * command, by another process or worker).  With `claimed`, a corrupt file is set aside with a message
 * (only the lock holder may touch the final file). */
static int final_done(runner *r, const plan_run *run, int claimed)
{
    char path[STORE_PATH_LEN], err[1024];
    if (store_path(path, sizeof path, r->runs_dir, run->id, STORE_SUFFIX_FINAL, err,
                   sizeof err) < 0 || !store_file_exists(path))
        return 0;
    int done = 0;
    if (store_check_run(path, &done, NULL, 0, err, sizeof err) < 0) {
        if (claimed) {
            char aside[STORE_PATH_LEN + 16];
            snprintf(aside, sizeof aside, "%s.corrupt", path); /* STORE_SUFFIX_CORRUPT */
            warn(r, "corrupt run file: %s; moved to %s, training run %s again", err, aside,
                 run->id);
            if (rename(path, aside) < 0)
                warn(r, "cannot move %s aside: %s", path, strerror(errno));
        }
        return 0;
    }
    if (!done) return 0; /* failed: try again */
    if (r->o->force) {
        /* a rename puts a new inode there: a file we did not see at the start is new */
        struct stat sb;
        int i = (int)(run - r->p->runs);
        return stat(path, &sb) == 0 && ((unsigned long long)sb.st_dev != r->force_dev[i]
                                        || (unsigned long long)sb.st_ino != r->force_ino[i]);
    }
    return 1;
}

/* A done run whose lock is still there: its process was killed between renaming the final
 * file and cleaning up (removing the checkpoint, then the lock).  Take the lock over (a dead
 * holder's lock is stale) and finish that clean-up; a live holder is still at it. */
static void finish_cleanup(runner *r, const plan_run *run, const char *lock_path)
{
    store_lock lock;
    store_lock_info holder;
    char err[1024];
    if (!store_file_exists(lock_path) ||
        store_lock_acquire(&lock, lock_path, &holder, err, sizeof err) != 0)
        return;
    remove_checkpoint(r, run);
    store_lock_release(&lock);
}

runner_run_result runner_run_one(runner *r, int i)
{
    const plan_run *run = &r->p->runs[i];
    char lock_path[STORE_PATH_LEN], err[1024];
    if (signals_pending()) {
        r->stop_signal = signals_pending();
        return RUNNER_RUN_STOPPED;
    }
    if (store_path(lock_path, sizeof lock_path, r->runs_dir, run->id, STORE_SUFFIX_LOCK, err,
                   sizeof err) < 0) {
        warn(r, "%s", err);
        return RUNNER_RUN_IO_ERROR;
    }
    if (final_done(r, run, 0)) {
        finish_cleanup(r, run, lock_path);
        r->n_done_before++;
        progress_skip(&r->prog, run);
        return RUNNER_RUN_DONE;
    }
    store_lock lock;
    store_lock_info holder;
    int rc = store_lock_acquire(&lock, lock_path, &holder, err, sizeof err);
    if (rc < 0) {
        warn(r, "%s", err);
        return RUNNER_RUN_IO_ERROR;
    }
    if (rc == 1) {
        if (!r->o->quiet)
            progress_note(&r->prog, "run %d/%d %s: being trained by pid %ld on %s (since %s); "
                          "skipped", i + 1, r->p->n_runs, run->id, holder.pid, holder.host,
                          holder.start);
        r->n_busy++;
        progress_skip(&r->prog, run);
        return RUNNER_RUN_SKIPPED;
    }
    /* another process may have finished it between our look and our claim */
    if (final_done(r, run, 1)) {
        store_lock_release(&lock);
        r->n_done_before++;
        progress_skip(&r->prog, run);
        return RUNNER_RUN_DONE;
    }
    runner_run_result res = train_claimed(r, i, &lock);
    store_lock_release(&lock);
    return res;
}
