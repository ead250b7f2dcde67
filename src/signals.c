/* signals.c — the signal flag behind a clean stop (see signals.h).  The handler does only
 * async-signal-safe things: store to a sig_atomic_t, kill(2) to forward, write(2) and _exit(2)
 * for the "second Ctrl-C at a terminal: exit now" case.  This is the one piece of process-wide
 * mutable state in the runner, because a signal handler has no other place to put what it
 * saw. */
#include "signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define SIGNALS_MAX_WORKERS 256

static volatile sig_atomic_t pending_signal;
static volatile sig_atomic_t n_signals;
static signals_role current_role;
/* stdin is a terminal: a second SIGINT/SIGTERM is a user who does not want to wait.  A batch
 * job can get the same signal twice for one stop (scancel -f, preemption and time limit
 * together) and must still write its checkpoint. */
static int interactive;
static pid_t workers[SIGNALS_MAX_WORKERS];
static volatile sig_atomic_t n_workers;

static const int handled[] = { SIGINT, SIGTERM, SIGUSR1 };

static void say(const char *s)
{
    ssize_t r = write(STDERR_FILENO, s, strlen(s));
    (void)r;
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
                "(checkpoint written)\n");
        return;
    }
    if (current_role == SIGNALS_MAIN) {
        int quit_now = interactive && (sig == SIGINT || sig == SIGTERM);
        if (n_signals == 1 && interactive) {
            say("optsweep: signal received: stopping after the current epoch (a checkpoint "
                "is written; press Ctrl-C again to quit at once)\n");
        } else if (n_signals == 1) {
            say("optsweep: signal received: stopping after the current epoch (a checkpoint "
                "is written)\n");
        } else if (quit_now) {
            say("optsweep: second signal: quitting without a checkpoint\n");
            _exit(128 + sig);
        }
    }
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
    n_workers = 0;
}
