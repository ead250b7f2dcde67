/* plan_time.h — estimated training time of each run of a plan (plan_time.c), for `optsweep
 * plan`: from stored runs of the same shape and backend, else a short calibration. */
#ifndef OPTSWEEP_PLAN_TIME_H
#define OPTSWEEP_PLAN_TIME_H

#include <stddef.h>

#include "plan.h"

/* seconds (n_runs) gets each run's estimated training seconds (validation and test left
 * out; NaN where neither a stored run nor the calibration could say); how says where the
 * figures come from.  sweep_dir: the sweep's results folder (may not exist). */
int plan_time_estimate(const plan *p, const char *sweep_dir, double *seconds, char *how,
                       size_t n);

#endif
