/* progress.h — what a running sweep prints: on a terminal one live line (\r) with run i/N
 * (or, for a pack, runs i-j), epoch e/E, the current loss and the sweep's ETA; elsewhere (a
 * cluster log) one plain line per validation and per finished run.  Messages (progress_note)
 * go to stdout between; a failed run's line goes to stderr. */
#ifndef OPTSWEEP_PROGRESS_H
#define OPTSWEEP_PROGRESS_H

#include <stdio.h>

#include "plan.h"
#include "train.h"

typedef struct {
    FILE *out;
    int live;              /* redraw one line with \r (stdout is a terminal, one process) */
    int quiet;             /* only errors and the final summary */
    char prefix[32];       /* "[job 2] " for --jobs workers, "" otherwise */
    int line_open;         /* a live line is on screen and must be cleared before a note */
    int jobs;              /* processes sharing the work (ETA divides by it) */
    double t0;             /* monotonic seconds at start */
    double total_cost;     /* cost units (epochs x steps) of the runs this sweep may train */
    double done_cost;      /* of those, done by this process */
    int run_n;             /* runs in the plan */
    int pack_first, pack_last, pack_size; /* the pack training now (1-based run numbers) */
} progress;

/* One run's part of the progress (a pack has several at once). */
typedef struct {
    int run_i;             /* 1-based, of progress.run_n */
    const char *run_id;
    int epochs;
    double cost_per_epoch;
    int last_n_val;
} progress_run;

double progress_now(void); /* monotonic seconds */
/* "42s", "3m05s", "2h10m"; "?" when s is not a duration. */
void progress_format_duration(char *buf, size_t n, double s);

void progress_init(progress *p, FILE *out, int quiet, int allow_live, int jobs,
                   const char *prefix, int run_n, double total_cost);
/* A pack of n runs starts: runs first..last (1-based) of the plan, the live line's label. */
void progress_pack_start(progress *p, int first, int last, int n);
/* A run starts (or resumes at st->next_epoch); `what` lists its varying settings. */
void progress_run_start(progress *p, progress_run *pr, int run_i, const plan_run *r,
                        const char *what, int resumed_at);
void progress_epoch(progress *p, progress_run *pr, const train_state *st);
void progress_run_end(progress *p, const progress_run *pr, const plan_run *r,
                      const train_state *st, double seconds);
/* A run this process will not train (done, busy elsewhere): its cost leaves the ETA. */
void progress_skip(progress *p, const plan_run *r);
/* A line of text (clears the live line first). */
void progress_note(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void progress_end(progress *p);

#endif
