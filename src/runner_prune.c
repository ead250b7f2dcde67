/* runner_prune.c — search.halving's end of a run that is not promoted at a rung: its final
 * file, status "pruned", is written from its rung checkpoint (logs, weights) without a
 * backend; the checkpoint stays, so that the same sweep without halving can train the run on
 * from there.  Under the run's lock, like any final file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "optim.h"
#include "runner_impl.h"
#include "store.h"

/* 1 when run's final file is there and valid (whatever its status) */
static int has_final(const runner *r, const plan_run *run)
{
    char path[STORE_PATH_LEN], err[1024], status[32];
    int done;
    return store_path(path, sizeof path, r->runs_dir, run->id, STORE_SUFFIX_FINAL, err,
                      sizeof err) == 0
           && store_file_exists(path)
           && store_check_run(path, &done, status, sizeof status, err, sizeof err) == 0;
}

/* The run file of a pruned run, from its checkpoint at ckpt_path. */
static int write_pruned(runner *r, const plan_run *run, const char *ckpt_path,
                        const char *why, char *err, size_t errlen)
{
    const run_settings *s = &run->settings;
    model_shape shape;
    model_shape_init(&shape, &s->model);
    const size_t n_params = shape.n_params;
    const size_t n_state = (size_t)optim_state_slots(&s->optim) * n_params;
    float *params = xcalloc(n_params ? n_params : 1, sizeof(float));
    float *state = xcalloc(n_state ? n_state : 1, sizeof(float));
    char *yaml = store_settings_yaml(s);
    train_state st;
    train_state_init(&st, s->train.epochs);
    store_checkpoint_info info;
    int rc = store_read_checkpoint(ckpt_path, run->id, yaml, s->train.epochs, &st, params,
                                   n_params, state, n_state, &info, err, errlen);
    if (rc == 0) {
        st.status = RUN_PRUNED;
        st.status_epoch = st.n_epochs > 0 ? st.epoch[st.n_epochs - 1] : -1;
        check_copy_string(st.message, sizeof st.message, why);
        const int avg_slot = optim_averaged_slot(&s->optim);
        char end_time[STORE_TIME_LEN];
        store_utc_now(end_time);
        store_run_record rec = {
            .run = run, .backend = info.backend,
            .device = info.numerics[0] ? info.numerics : info.backend, .host = r->host,
            .start_time = info.start_time, .end_time = end_time,
            .wall_seconds = info.wall_seconds, .attempts = info.attempts, .st = &st,
            .shape = &shape, .params = params,
            .averaged_params = avg_slot >= 0 ? state + (size_t)avg_slot * n_params : NULL,
            .n_images = {-1, -1, -1},
        };
        rc = store_finish_run(r->runs_dir, &rec, err, errlen);
    }
    train_state_free(&st);
    free(params);
    free(state);
    free(yaml);
    return rc;
}

runner_run_result runner_prune(runner *r, int i, const char *why)
{
    const plan_run *run = &r->p->runs[i];
    char lock_path[STORE_PATH_LEN], ckpt[STORE_PATH_LEN], err[STORE_PATH_LEN + 1024];
    if (store_path(lock_path, sizeof lock_path, r->runs_dir, run->id, STORE_SUFFIX_LOCK, err,
                   sizeof err) < 0
        || store_path(ckpt, sizeof ckpt, r->runs_dir, run->id, STORE_SUFFIX_CKPT, err,
                      sizeof err) < 0) {
        progress_note(&r->prog, "%s", err);
        return RUNNER_RUN_IO_ERROR;
    }
    if (has_final(r, run)) return RUNNER_RUN_DONE;
    store_lock lock;
    store_lock_info holder;
    const int rc = store_lock_acquire(&lock, lock_path, &holder, err, sizeof err);
    if (rc < 0) {
        progress_note(&r->prog, "%s", err);
        return RUNNER_RUN_IO_ERROR;
    }
    if (rc == 1) return RUNNER_RUN_SKIPPED; /* another process is pruning it */
    runner_run_result res = RUNNER_RUN_DONE;
    if (!has_final(r, run)) {
        if (write_pruned(r, run, ckpt, why, err, sizeof err) < 0) {
            progress_note(&r->prog, "run %d/%d %s: cannot write it as pruned: %s", i + 1,
                          r->p->n_runs, run->id, err);
            res = RUNNER_RUN_FAILED;
        } else {
            r->n_pruned++;
            if (!r->o->quiet)
                progress_note(&r->prog, "run %d/%d %s: pruned (%s)", i + 1, r->p->n_runs,
                              run->id, why);
        }
    }
    store_lock_release(&lock);
    return res;
}
