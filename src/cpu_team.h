/* cpu_team.h — a fixed team of threads that runs one function on every member at once, with
 * a barrier for the phases inside it.  The CPU backend splits each training step over the
 * team itself (rows of the batch, then rows of each weight matrix) and calls OpenBLAS
 * single-threaded from every member: the elementwise work between the GEMMs then runs on all
 * cores too, instead of on one core while OpenBLAS's own workers spin on the others.
 *
 * Members wait for work spinning briefly, then asleep; the barrier spins (pause), yielding
 * the core when a wait grows long (more threads than free cores).  Members block every
 * signal, so SIGINT/SIGTERM/SIGUSR1 always reach the main thread.  A team of one runs the
 * function on the caller and starts no thread. */
#ifndef OPTSWEEP_CPU_TEAM_H
#define OPTSWEEP_CPU_TEAM_H

typedef struct cpu_team cpu_team;

/* fn(arg, t, n) runs on member t of n; member 0 is the thread that called cpu_team_run. */
typedef void (*cpu_team_fn)(void *arg, int t, int n);

/* A team of n threads (the caller plus n - 1 started here).  Where the system refuses a
 * thread, the team is smaller: cpu_team_size says how many there are. */
cpu_team *cpu_team_create(int n);
int cpu_team_size(const cpu_team *team);

/* Runs fn on every member and returns when all have returned.  Not reentrant. */
void cpu_team_run(cpu_team *team, cpu_team_fn fn, void *arg);

/* Inside fn: returns once every member has reached it.  Every member must call it the
 * same number of times. */
void cpu_team_barrier(cpu_team *team);

/* Rows [*lo, *hi) of `total` that member t of n takes: contiguous, as even as can be. */
void cpu_team_share(long total, int t, int n, long *lo, long *hi);

void cpu_team_free(cpu_team *team);

#endif
