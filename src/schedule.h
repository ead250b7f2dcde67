/* schedule.h — learning-rate schedules as torch 1.13's lr_scheduler computes them: the lr
 * after n calls of scheduler.step(), replayed in double with PyTorch's recursive (chainable)
 * formulas from the base lr.  When to step (every epoch, validation or batch) is train.c's
 * business; this module only maps a step count to an lr (and a cycled momentum).
 * Host-only, no state. */
#ifndef OPTSWEEP_SCHEDULE_H
#define OPTSWEEP_SCHEDULE_H

#include "settings.h"

/* The lr in the optimizer's param group after the scheduler was constructed and then
 * stepped n_steps times (n_steps = 0: right after construction; LinearLR has already
 * multiplied by start_factor then).  With s->warmup_iters > 0 the scheduler is
 * SequentialLR([LinearLR(warmup_start_factor, 1.0, warmup_iters), main],
 * milestones=[warmup_iters]), main being the schedule of s->kind (SCHEDULE_NONE: a constant
 * factor of 1).  Cost O(n_steps). */
double schedule_lr(const schedule_settings *s, double base_lr, long n_steps);

/* ReduceLROnPlateau (SCHEDULE_REDUCE_ON_PLATEAU): the lr after step(metric) on each of the n
 * metrics in order, from base_lr. */
double schedule_plateau_lr(const schedule_settings *s, double base_lr, const double *metrics,
                           int n);

/* The lr of a run's next epoch: schedule_lr after n_steps scheduler steps, or, for
 * reduce_on_plateau, schedule_plateau_lr over the validations so far (schedule.monitor picks
 * val_loss or val_acc).  What train.c calls. */
/* CyclicLR and OneCycleLR (closed forms of last_epoch = n_steps, not chainable): the lr and,
 * with schedule.cycle_momentum, the momentum (SGD/RMSprop momentum or Adam-family beta1) the
 * scheduler leaves in the param group after n_steps steps; *momentum = NAN when nothing is
 * cycled.  Other kinds: schedule_lr and NAN.  OneCycleLR past total_steps: NAN lr (PyTorch
 * raises ValueError there). */
double schedule_value(const schedule_settings *s, double base_lr, long n_steps, double *momentum);

/* 1 when the schedule sets the optimizer's momentum or beta1 (cyclic/one_cycle with
 * cycle_momentum). */
int schedule_cycles_momentum(const schedule_settings *s);

/* step_every: batch — the lr (and momentum, when cycled; else momentum may be NULL) of n
 * consecutive optimizer steps, the first after n0 scheduler steps.  O(n0 + n). */
void schedule_fill_steps(const schedule_settings *s, double base_lr, long n0, long n, double *lr,
                         double *momentum);

double schedule_lr_of_run(const schedule_settings *s, double base_lr, long n_steps,
                          const double *val_loss, const double *val_acc, int n_val);

#endif
