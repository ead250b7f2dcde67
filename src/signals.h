/* signals.h — stopping a sweep cleanly: SIGINT, SIGTERM and SIGUSR1 only raise a flag that
 * the runner looks at after each epoch (it then writes a checkpoint and exits with status
 * 128 + the signal number); the parent of --jobs workers forwards them to its workers. */
#ifndef OPTSWEEP_SIGNALS_H
#define OPTSWEEP_SIGNALS_H

#include <sys/types.h>

typedef enum {
    SIGNALS_MAIN,   /* the process that trains (jobs = 1): a second SIGINT/SIGTERM exits at
                     * once, without a checkpoint, its locks removed; outside a terminal a
                     * copy within 1 s of the first (scancel -f) counts as the same stop */
    SIGNALS_WORKER, /* a --jobs worker: the same, a copy within 1 s being the same stop (the
                     * parent forwards what the terminal already sent to the group) */
    SIGNALS_PARENT, /* the parent of --jobs workers: forwards each signal to them */
} signals_role;

/* Installs the handlers of SIGINT, SIGTERM and SIGUSR1 for that role (a signal received
 * under an earlier role stays pending). */
void signals_install(signals_role role);
/* The parent's workers, to forward signals to (pids copied; at most 256). */
void signals_set_workers(const pid_t *pids, int n);
/* The first signal received since signals_install, or 0. */
int signals_pending(void);
/* The lock file a run holds, removed by a quit at once (at most 4 at a time); drop it before
 * releasing it. */
void signals_hold_lock(const char *path);
void signals_drop_lock(const char *path);
/* Back to the default handlers (a worker right after fork, or at the end). */
void signals_restore(void);

#endif
