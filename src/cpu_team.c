/* cpu_team.c — the thread team (cpu_team.h).  A run is published by bumping `generation`;
 * members spin on it for a little while (a training epoch starts right after the previous
 * evaluation, so most wake-ups cost nothing), then sleep on a condition variable.  The
 * barrier is a sense-counter: the last member to arrive resets the count and bumps `phase`. */
#define _GNU_SOURCE /* sched_yield */
#include "cpu_team.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"

/* Pauses before a waiting member sleeps (team_wait_run) or yields its core (barrier): about
 * 0.1 to 1 ms, far longer than any phase of a step, far shorter than a person notices. */
enum { SPIN_BEFORE_SLEEP = 1 << 14, SPIN_BEFORE_YIELD = 1 << 12 };

struct cpu_team {
    int n;
    pthread_t *threads; /* (n - 1) members 1..n-1 */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_uint generation; /* bumped once per run */
    atomic_int busy;        /* members 1..n-1 still in the current run */
    atomic_int stop;
    cpu_team_fn fn;
    void *arg;
    atomic_int arrived; /* barrier */
    atomic_uint phase;
};

typedef struct {
    cpu_team *team;
    int t;
} member_start;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* One turn of a busy wait: pause, or, once the wait (i turns so far) grows long, yield the
 * core to whoever we are waiting for. */
static void wait_turn(long i)
{
    if (i < SPIN_BEFORE_YIELD)
        cpu_relax();
    else
        sched_yield();
}

/* Waits for a run after generation `seen`; returns the new generation. */
static unsigned team_wait_run(cpu_team *team, unsigned seen)
{
    for (long i = 0; i < SPIN_BEFORE_SLEEP; i++) {
        const unsigned g = atomic_load_explicit(&team->generation, memory_order_acquire);
        if (g != seen)
            return g;
        cpu_relax();
    }
    pthread_mutex_lock(&team->mu);
    unsigned g;
    while ((g = atomic_load_explicit(&team->generation, memory_order_acquire)) == seen)
        pthread_cond_wait(&team->wake, &team->mu);
    pthread_mutex_unlock(&team->mu);
    return g;
}

static void *member_main(void *p)
{
    member_start start = *(member_start *)p;
    free(p);
    cpu_team *team = start.team;
    unsigned seen = 0;
    for (;;) {
        seen = team_wait_run(team, seen);
        if (atomic_load_explicit(&team->stop, memory_order_acquire))
            return NULL;
        team->fn(team->arg, start.t, team->n);
        atomic_fetch_sub_explicit(&team->busy, 1, memory_order_acq_rel);
    }
}

cpu_team *cpu_team_create(int n)
{
    cpu_team *team = xcalloc(1, sizeof *team);
    team->n = 1;
    if (n <= 1)
        return team;
    pthread_mutex_init(&team->mu, NULL);
    pthread_cond_init(&team->wake, NULL);
    team->threads = xcalloc((size_t)n - 1, sizeof(pthread_t));
    /* members start with every signal blocked (they inherit the mask) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int t = 1; t < n; t++) {
        member_start *s = xmalloc(sizeof *s);
        *s = (member_start){team, t};
        if (pthread_create(&team->threads[t - 1], NULL, member_main, s) != 0) {
            free(s);
            break;
        }
        team->n = t + 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return team;
}

int cpu_team_size(const cpu_team *team) { return team->n; }

static void publish(cpu_team *team)
{
    atomic_fetch_add_explicit(&team->generation, 1, memory_order_acq_rel);
    pthread_mutex_lock(&team->mu);
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->mu);
}

void cpu_team_run(cpu_team *team, cpu_team_fn fn, void *arg)
{
    if (team->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    team->fn = fn;
    team->arg = arg;
    atomic_store_explicit(&team->busy, team->n - 1, memory_order_relaxed);
    publish(team);
    fn(arg, 0, team->n);
    for (long i = 0; atomic_load_explicit(&team->busy, memory_order_acquire) != 0; i++)
        wait_turn(i);
}

void cpu_team_barrier(cpu_team *team)
{
    if (team->n == 1)
        return;
    const unsigned phase = atomic_load_explicit(&team->phase, memory_order_acquire);
    if (atomic_fetch_add_explicit(&team->arrived, 1, memory_order_acq_rel) == team->n - 1) {
        atomic_store_explicit(&team->arrived, 0, memory_order_relaxed);
        atomic_fetch_add_explicit(&team->phase, 1, memory_order_acq_rel);
    } else {
        for (long i = 0; atomic_load_explicit(&team->phase, memory_order_acquire) == phase; i++)
            wait_turn(i);
    }
}

void cpu_team_share(long total, int t, int n, long *lo, long *hi)
{
    *lo = total * t / n;
    *hi = total * (t + 1) / n;
}

void cpu_team_free(cpu_team *team)
{
    if (!team)
        return;
    if (team->n > 1) {
        atomic_store_explicit(&team->stop, 1, memory_order_release);
        publish(team);
        for (int t = 1; t < team->n; t++)
            pthread_join(team->threads[t - 1], NULL);
        pthread_mutex_destroy(&team->mu);
        pthread_cond_destroy(&team->wake);
    }
    free(team->threads);
    free(team);
}
