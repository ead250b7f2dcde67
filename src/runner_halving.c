/* runner_halving.c — a sweep with search.halving, stage by stage (halving.h has the rules):
 * at stage k every run entering its bracket's k-th rung trains to that rung's epoch and
 * stops with a checkpoint; when every one of them has reached it (or ended), the best
 * ceil(n / eta) of each bracket are promoted and the others are written as pruned.  Which
 * runs enter a rung is recomputed from the files at every start, so workers, shards, SLURM
 * tasks and a resumed sweep walk the same stages to the same decisions; a rung waits for its
 * runs, and a process with nothing left to train helps with the rung's runs nobody holds.
 * Writes results/<sweep>/halving.tsv (docs/FORMAT.md) for `status` and the report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "runner_impl.h"
#include "signals.h"
#include "store.h"

#define WAIT_MIN_SECONDS 0.2
#define WAIT_MAX_SECONDS 5.0

typedef struct {
    runner *r;
    const config_halving *h;
    int R;                          /* every run's train.epochs */
    int n_brackets;
    int *bracket;                   // (n_runs)
    int rung[HALVING_MAX_RUNGS][HALVING_MAX_RUNGS]; /* [bracket][k]: epochs */
    int n_rungs[HALVING_MAX_RUNGS];
    unsigned char *entering;        // (n_runs) in the current stage
    halving_state *state;           // (n_runs) at the current stage's rung
    double *metric;                 // (n_runs)
    char *table;                    /* halving.tsv's text so far */
    size_t table_len;
} stages;

/* 1 when run i is this process's to train first (its shard); the others it trains only
 * when nobody holds them */
static int mine(const runner *r, int i)
{
    return r->shard_count <= 1 || r->p->runs[i].index % r->shard_count == r->shard_index;
}

/* 1 when another live process holds run i's lock (a stale lock is claimable) */
static int held_elsewhere(const runner *r, int i)
{
    char path[STORE_PATH_LEN], err[256];
    store_lock_info info;
    if (store_path(path, sizeof path, r->runs_dir, r->p->runs[i].id, STORE_SUFFIX_LOCK, err,
                   sizeof err) < 0
        || store_lock_inspect(path, &info, err, sizeof err) != 0)
        return 0;
    return info.alive != 0 && !info.garbage;
}

/* The entering runs' states at their rung of stage k; returns how many have not reached it */
static int read_states(stages *s, int k)
{
    runner *r = s->r;
    int missing = 0;
    for (int i = 0; i < r->p->n_runs; i++) {
        if (!s->entering[i]) continue;
        char err[STORE_PATH_LEN + 512];
        const int e = s->rung[s->bracket[i]][k];
        if (store_rung_result(r->runs_dir, r->p->runs[i].id, e, s->R, s->h->metric, &s->state[i],
                              &s->metric[i], err, sizeof err) < 0)
            progress_note(&r->prog, "rung %d: %s (taken as not there yet)", k + 1, err);
        missing += s->state[i] == HALVING_NOT_REACHED;
    }
    return missing;
}

/* One pass over the packs: trains this stage's runs that have not reached their rung and
 * that nobody else holds: this process's own (own = 1), or all of them (own = 0).
 * Packs are split by rung epoch (a pack's members stop together). */
static runner_run_result train_pass(stages *s, int own)
{
    runner *r = s->r;
    const int n = r->p->n_runs;
    int *runs = xmalloc(sizeof(int) * (size_t)n);
    runner_run_result worst = RUNNER_RUN_DONE;
    for (int pk = 0; pk < r->n_packs && worst != RUNNER_RUN_STOPPED
                     && worst != RUNNER_RUN_IO_ERROR; pk++) {
        for (int b = 0; b < s->n_brackets; b++) {
            int m = 0;
            for (int i = 0; i < n; i++)
                if (r->pack_of[i] == pk && s->entering[i] && s->bracket[i] == b
                    && s->state[i] == HALVING_NOT_REACHED && (!own || mine(r, i))
                    && !held_elsewhere(r, i))
                    runs[m++] = i;
            if (m == 0) continue;
            runner_run_result res = runner_run_pack(r, runs, m);
            if (res == RUNNER_RUN_STOPPED || res == RUNNER_RUN_IO_ERROR
                || (res == RUNNER_RUN_FAILED && worst == RUNNER_RUN_DONE))
                worst = res;
            if (worst == RUNNER_RUN_STOPPED || worst == RUNNER_RUN_IO_ERROR) break;
        }
    }
    free(runs);
    return worst;
}

/* Sleeps up to `seconds`, waking early for a signal.  0, or the signal. */
static int pause_for(double seconds)
{
    const double end = progress_now() + seconds;
    while (progress_now() < end) {
        if (signals_pending()) return signals_pending();
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return signals_pending();
}

/* One line of halving.tsv (the rung of bracket b at stage k is complete). */
static void table_add(stages *s, int b, int k, int entering, int reached, int promoted,
                      int best)
{
    char line[PLAN_ID_LEN + 256], v[32] = "nan";
    if (best >= 0 && !isnan(s->metric[best])) snprintf(v, sizeof v, "%.17g", s->metric[best]);
    int len = snprintf(line, sizeof line, "%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", b, k + 1,
                       s->rung[b][k], entering, reached, promoted, v,
                       best >= 0 ? s->r->p->runs[best].id : "-");
    s->table = xrealloc(s->table, s->table_len + (size_t)len + 1);
    memcpy(s->table + s->table_len, line, (size_t)len + 1);
    s->table_len += (size_t)len;
}

static void table_write(stages *s)
{
    char path[STORE_PATH_LEN], err[STORE_PATH_LEN + 256];
    snprintf(path, sizeof path, "%s/halving.tsv", s->r->sweep_dir);
    /* every process writes the same text: whichever rename lands last, it is right */
    if (store_write_file_atomic(path, s->table, s->table_len, err, sizeof err) < 0)
        progress_note(&s->r->prog, "cannot write halving.tsv: %s", err);
}

/* The rung of stage k is complete for every bracket: promotions (the entering set of stage
 * k + 1) and pruning.  Returns the worst result of the pruning. */
static runner_run_result promote(stages *s, int k)
{
    runner *r = s->r;
    const int n = r->p->n_runs;
    halving_entry *e = xmalloc(sizeof *e * (size_t)n);
    int *who = xmalloc(sizeof(int) * (size_t)n);
    int *order = xmalloc(sizeof(int) * (size_t)n);
    unsigned char *promoted = xmalloc((size_t)n);
    runner_run_result worst = RUNNER_RUN_DONE;
    for (int b = 0; b < s->n_brackets; b++) {
        if (k >= s->n_rungs[b]) continue;
        int m = 0, reached = 0;
        for (int i = 0; i < n; i++) {
            if (!s->entering[i] || s->bracket[i] != b) continue;
            e[m] = (halving_entry){r->p->runs[i].id, i, s->state[i], s->metric[i]};
            reached += s->state[i] == HALVING_REACHED;
            who[m++] = i;
        }
        halving_rank(e, m, s->h->metric, order);
        const int best = m > 0 && e[order[0]].state == HALVING_REACHED ? who[order[0]] : -1;
        const int last = k == s->n_rungs[b] - 1;
        if (last) { /* the end of training: nothing to promote */
            table_add(s, b, k, m, reached, 0, best);
            for (int j = 0; j < m; j++) s->entering[who[j]] = 0;
            continue;
        }
        const int n_prom = halving_promote(e, m, s->h, promoted);
        table_add(s, b, k, m, reached, n_prom, best);
        for (int j = 0; j < m; j++) {
            const int i = who[j];
            s->entering[i] = promoted[j];
            if (promoted[j] || e[j].state != HALVING_REACHED) continue;
            int rank = 0;
            while (order[rank] != j) rank++;
            char why[256];
            snprintf(why, sizeof why, "pruned at rung %d (epoch %d): %s %.6g, %d%s of %d, "
                     "%d promoted", k + 1, s->rung[b][k], halving_metric_name(s->h->metric),
                     e[j].metric, rank + 1, rank == 0 ? "st" : rank == 1 ? "nd"
                     : rank == 2 ? "rd" : "th", m, n_prom);
            runner_run_result res = runner_prune(r, i, why);
            if (res == RUNNER_RUN_IO_ERROR || (res == RUNNER_RUN_FAILED
                                               && worst == RUNNER_RUN_DONE))
                worst = res;
        }
    }
    free(e);
    free(who);
    free(order);
    free(promoted);
    return worst;
}

/* Stage k: train, wait, promote.  0 to go on; 1 when this process stops here (--until-rung,
 * or the last stage with runs held elsewhere); else an exit status in *rc. */
static int run_stage(stages *s, int k, int *rc)
{
    runner *r = s->r;
    for (int i = 0; i < r->p->n_runs; i++)
        r->target[i] = s->entering[i] ? s->rung[s->bracket[i]][k] : r->p->runs[i].settings.train.epochs;
    const int last_stage = r->o->until_rung == k + 1;
    double wait = WAIT_MIN_SECONDS;
    for (int own = 1;; own = 0) {
        read_states(s, k);
        runner_run_result res = train_pass(s, own);
        if (res == RUNNER_RUN_STOPPED) {
            *rc = 128 + r->stop_signal;
            return 2;
        }
        if (res == RUNNER_RUN_IO_ERROR) {
            *rc = EXIT_FAILURE_RUN;
            return 2;
        }
        if (res == RUNNER_RUN_FAILED) *rc = EXIT_FAILURE_RUN;
        if (read_states(s, k) == 0) break;
        if (last_stage) return 1; /* a SLURM array per rung: the next one waits */
        if (own) continue;        /* first help with the others' runs */
        const int sig = pause_for(wait);
        if (sig) {
            *rc = 128 + sig;
            return 2;
        }
        wait = wait * 2 < WAIT_MAX_SECONDS ? wait * 2 : WAIT_MAX_SECONDS;
    }
    for (int i = 0; i < r->p->n_runs; i++)
        if (s->entering[i] && s->state[i] != HALVING_NOT_REACHED) runner_tidy(r, i);
    runner_run_result res = promote(s, k);
    table_write(s);
    if (res == RUNNER_RUN_IO_ERROR) {
        *rc = EXIT_FAILURE_RUN;
        return 2;
    }
    if (res == RUNNER_RUN_FAILED) *rc = EXIT_FAILURE_RUN;
    return last_stage ? 1 : 0;
}

int runner_halving_loop(runner *r)
{
    const plan *p = r->p;
    stages s = {.r = r, .h = &p->search.halving, .R = p->runs[0].settings.train.epochs};
    const int n = p->n_runs;
    s.n_brackets = halving_n_brackets(s.h, s.R);
    int n_stages = 0;
    for (int b = 0; b < s.n_brackets; b++) {
        s.n_rungs[b] = halving_rungs(s.h, s.R, b, s.rung[b]);
        if (s.n_rungs[b] > n_stages) n_stages = s.n_rungs[b];
    }
    s.bracket = xmalloc(sizeof(int) * (size_t)n);
    halving_assign_brackets(s.h, s.R, n, s.bracket);
    s.entering = xmalloc((size_t)n);
    memset(s.entering, 1, (size_t)n);
    s.state = xcalloc((size_t)n, sizeof *s.state);
    s.metric = xcalloc((size_t)n, sizeof *s.metric);
    r->target = xmalloc(sizeof(int) * (size_t)n);
    char head[256];
    snprintf(head, sizeof head, "# search.halving: metric %s, eta %d, min_epochs %d, "
             "max_epochs %d, brackets %d\nbracket\trung\tepoch\tentering\treached\tpromoted\t"
             "best_metric\tbest_run\n", halving_metric_name(s.h->metric), s.h->eta,
             s.h->min_epochs, s.R, s.n_brackets);
    s.table = xstrdup(head);
    s.table_len = strlen(head);
    int rc = 0;
    for (int k = 0; k < n_stages; k++)
        if (run_stage(&s, k, &rc) != 0) break;
    free(r->target);
    r->target = NULL;
    free(s.bracket);
    free(s.entering);
    free(s.state);
    free(s.metric);
    free(s.table);
    return rc;
}
