/* runner_claim.c — whether a run of the plan is this process's to train: its final file
 * done (a damaged one set aside), its lock held by another process, or claimed here; and the
 * clean-up a killed process left between renaming a final file and removing its lock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "runner_impl.h"
#include "store.h"

/* 1 when run's final file is there, valid and done (with --force: and written during this
 * command, by another process or worker); 2 when it is done as "pruned" (search.halving: a
 * pruned run keeps its checkpoint; without halving it is not done and trains on).  With
 * `claimed`, a corrupt file is set aside with a message (only the lock holder may touch the
 * final file). */
static int final_done(runner *r, const plan_run *run, int claimed)
{
    char path[STORE_PATH_LEN], err[1024];
    if (store_path(path, sizeof path, r->runs_dir, run->id, STORE_SUFFIX_FINAL, err,
                   sizeof err) < 0 || !store_file_exists(path))
        return 0;
    int done = 0;
    char status[32] = "";
    if (store_check_run(path, &done, status, sizeof status, err, sizeof err) < 0) {
        if (claimed) {
            char aside[STORE_PATH_LEN + 16];
            snprintf(aside, sizeof aside, "%s.corrupt", path); /* STORE_SUFFIX_CORRUPT */
            runner_warn(r, "damaged run file: %s; moved to %s, training run %s again", err,
                        aside, run->id);
            if (rename(path, aside) < 0)
                runner_warn(r, "cannot move %s aside: %s", path, strerror(errno));
        }
        return 0;
    }
    const int pruned = strcmp(status, "pruned") == 0 && r->p->search.has_halving;
    if (!done && !pruned) return 0; /* failed (or pruned, without halving): try again */
    if (r->o->force) {
        /* a rename puts a new inode there: a file we did not see at the start is new */
        struct stat sb;
        int i = (int)(run - r->p->runs);
        if (stat(path, &sb) < 0 || ((unsigned long long)sb.st_dev == r->force_dev[i]
                                     && (unsigned long long)sb.st_ino == r->force_ino[i]))
            return 0;
    }
    return pruned ? 2 : 1;
}

/* A done run whose lock is still there: its process was killed between renaming the final
 * file and cleaning up (removing the checkpoint, then the lock).  Take the lock over (a dead
 * holder's lock is stale) and finish that clean-up; a live holder is still at it. */
static void finish_cleanup(runner *r, const plan_run *run, const char *lock_path,
                           int keep_checkpoint)
{
    store_lock lock;
    store_lock_info holder;
    char err[1024];
    if (!store_file_exists(lock_path) ||
        store_lock_acquire(&lock, lock_path, &holder, err, sizeof err) != 0)
        return;
    if (!keep_checkpoint) runner_remove_checkpoint(r, run);
    store_lock_release(&lock);
}

void runner_tidy(runner *r, int i)
{
    const plan_run *run = &r->p->runs[i];
    char lock_path[STORE_PATH_LEN], err[1024];
    if (store_path(lock_path, sizeof lock_path, r->runs_dir, run->id, STORE_SUFFIX_LOCK, err,
                   sizeof err) < 0 || !store_file_exists(lock_path))
        return;
    const int done = final_done(r, run, 0);
    if (done) finish_cleanup(r, run, lock_path, done == 2);
}

int runner_claim(runner *r, int i, store_lock *lock)
{
    const plan_run *run = &r->p->runs[i];
    char lock_path[STORE_PATH_LEN], err[1024];
    if (store_path(lock_path, sizeof lock_path, r->runs_dir, run->id, STORE_SUFFIX_LOCK, err,
                   sizeof err) < 0) {
        runner_warn(r, "%s", err);
        return -1;
    }
    const int done = final_done(r, run, 0);
    if (done) {
        finish_cleanup(r, run, lock_path, done == 2); /* a pruned run keeps its checkpoint */
        r->n_done_before++;
        progress_skip(&r->prog, run);
        return 0;
    }
    store_lock_info holder;
    int rc = store_lock_acquire(lock, lock_path, &holder, err, sizeof err);
    if (rc < 0) {
        runner_warn(r, "%s", err);
        return -1;
    }
    if (rc == 0 && holder.garbage)
        progress_note(&r->prog, "run %d/%d %s: %s was empty or unreadable (not written by "
                      "optsweep), %.0f s old: taken as stale", i + 1, r->p->n_runs, run->id,
                      lock_path, holder.age_seconds);
    if (rc == 1 && holder.garbage) {
        progress_note(&r->prog, "run %d/%d %s: %s is empty or unreadable but only %.0f s old; "
                      "skipped (taken as stale from %.0f s on)", i + 1, r->p->n_runs, run->id,
                      lock_path, holder.age_seconds, STORE_LOCK_GARBAGE_AGE);
        r->n_busy++;
        progress_skip(&r->prog, run);
        return 0;
    }
    if (rc == 1) {
        if (!r->o->quiet)
            progress_note(&r->prog, "run %d/%d %s: being trained by pid %ld on %s (since %s); "
                          "skipped", i + 1, r->p->n_runs, run->id, holder.pid, holder.host,
                          holder.start);
        r->n_busy++;
        progress_skip(&r->prog, run);
        return 0;
    }
    /* another process may have finished it between our look and our claim */
    if (final_done(r, run, 1)) {
        store_lock_release(lock);
        r->n_done_before++;
        progress_skip(&r->prog, run);
        return 0;
    }
    return 1;
}
