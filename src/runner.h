/* runner.h — runs the runs of a plan: for each, claims it (lock file), loads data, creates the
 * backend, initialises or resumes from a checkpoint, trains (train.h) and hands the results
 * to the store (store.h).  Used by `optsweep run` (and by SLURM array tasks, each over the
 * whole plan, claiming runs as they go).  docs/FORMAT.md describes the files it writes. */
#ifndef OPTSWEEP_RUNNER_H
#define OPTSWEEP_RUNNER_H

#include "plan.h"
#include "settings.h"

typedef struct {
    const char *results_dir;   /* default "results"; a sweep writes under results_dir/<name>/ */
    int backend_override;      /* -1: the run's train.backend; else a backend_kind */
    int force;                 /* rerun completed runs */
    int jobs;                  /* worker processes (1 = in this process) */
    int shared_by;             /* processes sharing the plan (the tasks of a SLURM array),
                                  0 or 1: none; packs are capped as for jobs x shared_by
                                  workers, so that each gets runs to claim */
    int quiet;
    /* The whole plan when `p` is one shard of it (SLURM array task, --shard): its run ids go
     * into results/<sweep>/plan.json so `optsweep status` can count the runs not started.
     * NULL: p is the whole plan. */
    const plan *full;
    /* search.halving: train up to this rung (1 = the first) and exit without waiting for
     * the rung to complete (a SLURM array per rung); 0: every rung */
    int until_rung;
    /* Called after each epoch of each run, once its progress line is out and any checkpoint
     * written (in the process that trains it).  NULL in the tool; tests use it to hold a run
     * between epochs so that a kill lands mid-sweep however fast the machine is. */
    void (*after_epoch)(void *user);
    void *after_epoch_user;
} runner_options;

/* Returns 0 when every run completed or ended as diverged/stopped early (or was being
 * trained by another process), 1 when any run failed or the results could not be written,
 * 2 for an input error found before anything ran (unreadable data, bad model.init file, no
 * CUDA device for a cuda run, results directory that cannot be created or written), and
 * 128 + signo after SIGINT/SIGTERM/SIGUSR1 stopped it (checkpoint written). */
int runner_run_plan(const plan *p, const runner_options *o);

/* The files the plan's runs read, checked as `run` checks them before training: every
 * distinct data setting loads, every model.init file loads for its run's shape.  For
 * `optsweep slurm`, before it writes scripts.  0, or -1 with "data of run ID: why" or
 * "model.init of run ID: why" in err. */
int runner_check_files(const plan *p, char *err, size_t errlen);

#endif
