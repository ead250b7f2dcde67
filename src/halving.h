/* halving.h — successive halving and Hyperband as pure functions (no I/O): the rung epochs
 * of each bracket, which bracket each run of a plan belongs to, which runs of a rung are
 * promoted, and the training budget.  The runner (runner_halving.c) applies them to what the
 * store holds; plan, report and slurm print them.  README "Successive halving" is the
 * user's description. */
#ifndef OPTSWEEP_HALVING_H
#define OPTSWEEP_HALVING_H

#include "config.h"

#define HALVING_MAX_RUNGS 64 /* r * eta^k <= R with eta >= 2 and R < 2^31: at most 32 */

/* One run's result at a rung, as the store holds it. */
typedef enum {
    HALVING_NOT_REACHED, /* still training towards the rung (or not started) */
    HALVING_REACHED,     /* trained to the rung's epoch and still going: metric holds */
    HALVING_ENDED,       /* ended at or before the rung (diverged, stopped early, failed) */
} halving_state;

typedef struct {
    const char *id;      /* run id: breaks ties */
    int index;           /* the run's index in the plan */
    halving_state state;
    double metric;       /* at the rung (the last validation at or before its epoch); NaN
                          * when the run has no validation by then */
} halving_entry;

/* The epochs of bracket b's rungs, ascending: r * eta^(b + i) while below R, then R itself
 * (the last rung is the end of training).  Returns their number (>= 1), 0 when bracket b
 * has no rung below R (b too large).  epochs has room for HALVING_MAX_RUNGS. */
int halving_rungs(const config_halving *h, int R, int b, int *epochs);

/* The brackets used: h->brackets, but at most as many as start below R (halving_rungs > 0),
 * and at least 1. */
int halving_n_brackets(const config_halving *h, int R);

/* Each run's bracket (0 = the most aggressive, starting at r epochs): runs are dealt out in
 * plan order by smooth weighted round robin with Li et al. (2018)'s weights
 * n_s = ceil((s_max + 1) / (s + 1) * eta^s), s = the bracket's number of halvings, so that
 * every bracket gets a share of every part of a grid.  bracket_of (n_runs). */
void halving_assign_brackets(const config_halving *h, int R, int n_runs, int *bracket_of);

/* How many of n runs entering a rung are promoted: ceil(n / eta). */
int halving_n_promoted(int n, int eta);

/* order (n) = the entries' indices best first: reached runs by metric (val_loss ascending,
 * val_acc descending, NaN last), then the ended and not-reached ones; ties by run id. */
void halving_rank(const halving_entry *entries, int n, halving_metric m, int *order);

/* Marks promoted[k] = 1 for the first ceil(n / eta) entries in halving_rank's order that
 * reached the rung (fewer when fewer reached it), the others 0.  A pure function of the
 * entries: every process computes the same promotions.  Returns the number promoted. */
int halving_promote(const halving_entry *entries, int n, const config_halving *h,
                    unsigned char *promoted);

/* Most model-epochs the schedule trains for n runs in bracket b (every promotion full, no
 * run ending early): sum over rungs of runs entering x epochs to the rung. */
double halving_bracket_budget(const config_halving *h, int R, int b, int n);

#endif
