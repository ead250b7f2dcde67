/* runner.h — runs the runs of a plan: for each, loads data, creates the backend, trains
 * (train.h), and hands the results to the store.  Used by `optsweep run`. */
#ifndef OPTSWEEP_RUNNER_H
#define OPTSWEEP_RUNNER_H

#include "plan.h"
#include "settings.h"

typedef struct {
    const char *results_dir;   /* default "results"; a sweep writes under results_dir/<name>/ */
    int backend_override;      /* -1: the run's train.backend; else a backend_kind */
    int force;                 /* rerun completed runs */
    int jobs;                  /* worker processes (1 = in this process) */
    int quiet;
} runner_options;

/* Returns 0 when every run completed or ended as diverged/stopped early, 1 when any run
 * failed, 2 for a usage error (bad results dir, ...). */
int runner_run_plan(const plan *p, const runner_options *o);

#endif
