/* plan.h — expands a sweep (base settings x grid axes x cases, plus --set overrides) into the
 * list of fully resolved runs, each with a stable id derived only from its settings. */
#ifndef OPTSWEEP_PLAN_H
#define OPTSWEEP_PLAN_H

#include "config.h"
#include "settings.h"

#define PLAN_ID_LEN 128

typedef struct {
    char id[PLAN_ID_LEN];  /* e.g. "sgd-lr1e-04-m0.99-3f9a1c2e" */
    int index;             /* position in the full (unsharded) plan */
    long cost;             /* epochs x steps per epoch */
    run_settings settings;
} plan_run;

typedef struct {
    char name[SETTINGS_NAME_LEN]; /* the sweep's name */
    char *source_path;            /* the sweep file */
    plan_run *runs;
    int n_runs;
} plan;

#endif
