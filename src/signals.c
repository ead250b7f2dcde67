/* signals.c — the signal flag behind a clean stop (see signals.h).  The handler does only
 * async-signal-safe things: store to a sig_atomic_t, kill(2) to forward, clock_gettime(2),
 * and unlink(2) of the held locks, write(2) and _exit(2) for the "second signal: exit now"
 * case.  This is the one piece of process-wide
 * mutable state in the runner, because a signal handler has no other place to put what it
 * saw. */
#include "signals.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SIGNALS_MAX_WORKERS 256
#define SIGNALS_MAX_HELD 4
#define SIGNALS_PATH_LEN 4096
/* Copies of one stop arrive together (scancel -f signals every process, the parent forwards
 * what the terminal sent to the whole group); a SIGINT/SIGTERM this much later is a second
 * request: quit at once. */
#define SIGNALS_SAME_STOP_SECONDS 1.0

static volatile sig_atomic_t pending_signal;
static volatile sig_atomic_t n_signals;
static signals_role current_role;
/* stdin is a terminal: a second SIGINT/SIGTERM is a user who does not want to wait.  A batch
 * job can get the same signal twice for one stop (scancel -f, preemption and time limit
 * together) and must still write its checkpoint. */
static int interactive;
static pid_t workers[SIGNALS_MAX_WORKERS];
static volatile sig_atomic_t n_workers;
/* when the first SIGINT/SIGTERM came (CLOCK_MONOTONIC seconds; 0: none yet) */
static volatile double first_stop;
/* lock files this process holds, removed by a quit at once (the runs can be claimed again) */
static char held[SIGNALS_MAX_HELD][SIGNALS_PATH_LEN];
static volatile sig_atomic_t held_used[SIGNALS_MAX_HELD];

static const int handled[] = { SIGINT, SIGTERM, SIGUSR1 };

static void say(const char *s)
{
    ssize_t r = write(STDERR_FILENO, s, strlen(s));
    (void)r;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A later SIGINT/SIGTERM after a first one: remove the held locks and exit now. */
static void quit_if_second(int sig)
{
    if (sig != SIGINT && sig != SIGTERM) return;
    double t = now_seconds();
    if (first_stop == 0) {
        first_stop = t;
        return;
    }
    if (!interactive && t - first_stop < SIGNALS_SAME_STOP_SECONDS) return;
    for (int i = 0; i < SIGNALS_MAX_HELD; i++)
        if (held_used[i]) unlink(held[i]);
    say("optsweep: second signal: quitting at once, without a checkpoint (locks released)\n");
    _exit(128 + sig);
}

static void on_signal(int sig)
{
    if (pending_signal == 0) pending_signal = sig;
    n_signals++;
    if (current_role == SIGNALS_PARENT) {
        for (int i = 0; i < n_workers; i++)
            if (workers[i] > 0) kill(workers[i], sig);
        if (n_signals == 1)
            say("optsweep: signal received: workers stop after their current epoch "
                "(checkpoint written; a second signal quits at once)\n");
        /* the workers quit on the forwarded second signal; the parent waits for them */
        return;
    }
    if (current_role == SIGNALS_WORKER) {
        quit_if_second(sig);
        return;
    }
    if (current_role == SIGNALS_MAIN) {
        if (n_signals == 1)
            say("optsweep: signal received: stopping after the current epoch (a checkpoint "
                "is written; a second Ctrl-C or SIGTERM quits at once)\n");
        quit_if_second(sig);
    }
}

void signals_hold_lock(const char *path)
{
    size_t n = strlen(path);
    if (n >= SIGNALS_PATH_LEN) return;
    for (int i = 0; i < SIGNALS_MAX_HELD; i++)
        if (!held_used[i]) {
            memcpy(held[i], path, n + 1);
            held_used[i] = 1; /* after the copy: the handler never sees half a path */
            return;
        }
}

void signals_drop_lock(const char *path)
{
    for (int i = 0; i < SIGNALS_MAX_HELD; i++)
        if (held_used[i] && strcmp(held[i], path) == 0) held_used[i] = 0;
}

void signals_install(signals_role role)
{
    /* a signal already received (while the data loaded, say) stays pending */
    current_role = role;
    interactive = isatty(STDIN_FILENO);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: a signal during a file write or waitpid must not fail that call */
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++)
        sigaction(handled[i], &sa, NULL);
}

void signals_set_workers(const pid_t *pids, int n)
{
    if (n > SIGNALS_MAX_WORKERS) n = SIGNALS_MAX_WORKERS;
    n_workers = 0;
    for (int i = 0; i < n; i++) workers[i] = pids[i];
    n_workers = n;
}

int signals_pending(void)
{
    return pending_signal;
}

void signals_restore(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof handled / sizeof *handled; i++)
        sigaction(handled[i], &sa, NULL);
    pending_signal = 0;
    n_signals = 0;
    first_stop = 0;
    n_workers = 0;
}
