/* progress.c — the runner's progress output (see progress.h).  The ETA is the cost still to
 * do (epochs x steps of the remaining runs) divided by this process's rate so far, times the
 * number of processes sharing the work: an estimate, shown as such. */
#include "progress.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "check.h"

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_format_duration(char *buf, size_t n, double s)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
}

static void eta(const progress *p, char *buf, size_t n)
{
    double spent = progress_now() - p->t0;
    if (p->done_cost <= 0 || spent <= 0) {
        snprintf(buf, n, "?");
        return;
    }
    double rate = p->done_cost / spent * (p->jobs > 0 ? p->jobs : 1);
    progress_format_duration(buf, n, (p->total_cost - p->done_cost * (p->jobs > 0 ? p->jobs : 1)) / rate);
}

void progress_init(progress *p, FILE *out, int quiet, int allow_live, int jobs,
                   const char *prefix, int run_n, double total_cost)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->quiet = quiet;
    p->live = allow_live && !quiet;
    p->jobs = jobs;
    check_copy_string(p->prefix, sizeof p->prefix, prefix ? prefix : "");
    p->t0 = progress_now();
    p->run_n = run_n;
    p->total_cost = total_cost;
}

static void clear_line(progress *p)
{
    if (p->line_open) {
        fputs("\r\033[K", p->out);
        p->line_open = 0;
    }
}

/* One prefixed line on f, after clearing a live line. */
static void vnote(progress *p, FILE *f, const char *fmt, va_list ap)
{
    clear_line(p);
    fflush(p->out); /* what came before stays before, when f is another stream */
    fputs(p->prefix, f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    fflush(f);
}

void progress_note(progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(p, p->out, fmt, ap);
    va_end(ap);
}

/* A note that reports an error: on stderr. */
static void error_note(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void error_note(progress *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(p, stderr, fmt, ap);
    va_end(ap);
}

void progress_pack_start(progress *p, int first, int last, int n)
{
    p->pack_first = first;
    p->pack_last = last;
    p->pack_size = n;
    if (!p->quiet && n > 1)
        progress_note(p, "pack of %d runs (%d-%d of %d): trained together", n, first, last,
                      p->run_n);
}

void progress_run_start(progress *p, progress_run *pr, int run_i, const plan_run *r,
                        const char *what, int resumed_at)
{
    pr->run_i = run_i;
    pr->run_id = r->id;
    pr->epochs = r->settings.train.epochs;
    pr->cost_per_epoch = pr->epochs > 0 ? (double)r->cost / pr->epochs : 0;
    pr->last_n_val = 0;
    if (resumed_at > 0) p->total_cost -= resumed_at * pr->cost_per_epoch; /* done before */
    if (p->quiet) return;
    if (resumed_at > 0)
        progress_note(p, "run %d/%d %s: resuming after epoch %d/%d%s%s", run_i, p->run_n, r->id,
                      resumed_at, pr->epochs, what && *what ? "  " : "", what ? what : "");
    else
        progress_note(p, "run %d/%d %s%s%s", run_i, p->run_n, r->id,
                      what && *what ? "  " : "", what ? what : "");
}

void progress_epoch(progress *p, progress_run *pr, const train_state *st)
{
    p->done_cost += pr->cost_per_epoch;
    if (p->quiet || st->n_epochs == 0) return;
    char e[32];
    eta(p, e, sizeof e);
    int last = st->n_epochs - 1;
    int new_val = st->n_val > pr->last_n_val;
    pr->last_n_val = st->n_val;
    if (p->live) {
        clear_line(p);
        if (p->pack_size > 1) /* one line for the pack: its runs move together */
            fprintf(p->out, "%sruns %d-%d/%d (pack of %d)  epoch %d/%d", p->prefix,
                    p->pack_first, p->pack_last, p->run_n, p->pack_size, st->epoch[last],
                    pr->epochs);
        else
            fprintf(p->out, "%srun %d/%d  epoch %d/%d  loss %.4f", p->prefix, pr->run_i,
                    p->run_n, st->epoch[last], pr->epochs, st->train_loss[last]);
        if (st->n_val > 0 && p->pack_size <= 1)
            fprintf(p->out, "  val_acc %.2f%%", 100 * st->val_acc[st->n_val - 1]);
        fprintf(p->out, "  ETA %s", e);
        fflush(p->out);
        p->line_open = 1;
    } else if (new_val) {
        progress_note(p, "run %d/%d %s epoch %d/%d train_loss %.6f val_loss %.6f "
                      "val_acc %.4f (sweep ETA %s)", pr->run_i, p->run_n, pr->run_id,
                      st->epoch[last], pr->epochs, st->train_loss[last],
                      st->val_loss[st->n_val - 1], st->val_acc[st->n_val - 1], e);
    }
}

void progress_run_end(progress *p, const progress_run *pr, const plan_run *r,
                      const train_state *st, double seconds)
{
    /* epochs not trained (early stop, divergence) leave the ETA's work too */
    int left = r->settings.train.epochs - st->n_epochs;
    if (left > 0 && st->status != RUN_RUNNING) p->done_cost += left * pr->cost_per_epoch;
    if (p->quiet && st->status != RUN_FAILED) return;
    char d[32];
    progress_format_duration(d, sizeof d, seconds);
    char e[32];
    eta(p, e, sizeof e);
    if (st->status == RUN_FAILED)
        error_note(p, "run %d/%d %s: failed: %s", pr->run_i, p->run_n, r->id, st->message);
    else if (st->status == RUN_DIVERGED)
        progress_note(p, "run %d/%d %s: diverged at epoch %d (%s) in %s", pr->run_i, p->run_n,
                      r->id, st->status_epoch, st->message, d);
    else
        progress_note(p, "run %d/%d %s: %s, %d epochs, train_loss %.6f, test_acc %.4f, %s "
                      "(sweep ETA %s)", pr->run_i, p->run_n, r->id, run_status_name(st->status),
                      st->n_epochs, st->n_epochs ? st->train_loss[st->n_epochs - 1] : NAN,
                      st->test_acc, d, e);
}

void progress_skip(progress *p, const plan_run *r)
{
    p->total_cost -= (double)r->cost;
    if (p->total_cost < 0) p->total_cost = 0;
}

void progress_end(progress *p)
{
    clear_line(p);
    fflush(p->out);
}
