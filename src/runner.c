/* runner.c — `optsweep run`'s engine room for a whole plan: checks every input before
 * anything trains (data, model.init files, CUDA), prepares results/<sweep>/ and plan.json,
 * prints the settings table, then trains the runs in order here (jobs = 1) or in --jobs
 * worker processes that claim runs through the same lock files.  One run's life is in
 * runner_run.c. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT: a SLURM task's cores, not the node's */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "backend.h"
#include "pack.h"
#include "check.h"
#include "model.h"
#include "runner_impl.h"
#include "settings.h"
#include "signals.h"
#include "store.h"

#define VALUE_LEN (SETTINGS_PATH_LEN + 64)

static void say_error(const char *msg)
{
    fprintf(stderr, "optsweep: %s\n", msg);
}

/* ---- data cache --------------------------------------------------------------------------- */

const dataset *runner_data(runner *r, const data_settings *s, char *err, size_t errlen)
{
    if (r->have_data && data_same_load(&r->data_key, s)) return &r->data;
    if (r->have_data) data_free(&r->data);
    r->have_data = 0;
    if (data_load(&r->data, s, err, errlen) < 0) return NULL;
    r->data_key = *s;
    r->have_data = 1;
    return &r->data;
}

/* ---- checks before anything runs (exit 2) ------------------------------------------------ */

backend_kind runner_backend(const runner *r, const plan_run *run)
{
    return r->o->backend_override >= 0 ? (backend_kind)r->o->backend_override
                                       : run->settings.train.backend;
}

/* The first run of each distinct data setting, in plan order, into first; returns how many. */
static int distinct_data(const plan *p, int *first)
{
    int n = 0;
    for (int i = 0; i < p->n_runs; i++) {
        int seen = 0;
        for (int j = 0; j < n && !seen; j++)
            seen = data_same_load(&p->runs[first[j]].settings.data, &p->runs[i].settings.data);
        if (!seen) first[n++] = i;
    }
    return n;
}

/* Every run's model.init file loads for its shape (each (file, shape) once).  0, or -1 with
 * "model.init of run ID: why" in err. */
static int check_init_files(const plan *p, char *err, size_t errlen)
{
    char why[2048];
    for (int i = 0; i < p->n_runs; i++) {
        const plan_run *run = &p->runs[i];
        const char *init = run->settings.model.init;
        if (init[0] == '\0' || strcmp(init, "default") == 0) continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(p->runs[j].settings.model.init, init) == 0
                   && p->runs[j].settings.model.n_hidden == run->settings.model.n_hidden
                   && memcmp(p->runs[j].settings.model.hidden, run->settings.model.hidden,
                             sizeof run->settings.model.hidden) == 0;
        if (seen) continue;
        model_shape shape;
        model_shape_init(&shape, &run->settings.model);
        float *w = xmalloc(sizeof(float) * (shape.n_params ? shape.n_params : 1));
        int rc = store_load_weights(init, &shape, w, why, sizeof why);
        free(w);
        if (rc < 0) {
            snprintf(err, errlen, "model.init of run %s: %s", run->id, why);
            return -1;
        }
    }
    return 0;
}

int runner_check_files(const plan *p, char *err, size_t errlen)
{
    char why[2048];
    int *first = xmalloc(sizeof *first * (size_t)(p->n_runs ? p->n_runs : 1));
    const int n = distinct_data(p, first);
    for (int j = 0; j < n; j++) {
        dataset d;
        if (data_load(&d, &p->runs[first[j]].settings.data, why, sizeof why) < 0) {
            snprintf(err, errlen, "data of run %s: %s", p->runs[first[j]].id, why);
            free(first);
            return -1;
        }
        data_free(&d);
    }
    free(first);
    return check_init_files(p, err, errlen);
}

static int check_inputs(runner *r)
{
    const plan *p = r->p;
    char err[2400];
    /* every distinct data setting loads; the last one loaded is the first run's, which the
     * cache then hands to run 0 */
    int *first = xmalloc(sizeof *first * (size_t)p->n_runs);
    const int n_distinct = distinct_data(p, first);
    for (int j = n_distinct - 1; j >= 0; j--) {
        const plan_run *run = &p->runs[first[j]];
        if (!runner_data(r, &run->settings.data, err, sizeof err)) {
            char msg[2500];
            snprintf(msg, sizeof msg, "data of run %s: %s", run->id, err);
            say_error(msg);
            free(first);
            return -1;
        }
    }
    free(first);

    for (int i = 0; i < p->n_runs; i++) {
        const plan_run *run = &p->runs[i];
        if (runner_backend(r, run) == BACKEND_CUDA && !backend_cuda_available()) {
            snprintf(err, sizeof err, "run %s asks for the cuda backend, but %s", run->id,
#ifdef OPTSWEEP_HAVE_CUDA
                     "no CUDA device is usable here (use --backend cpu)"
#else
                     "this optsweep was built without CUDA (use --backend cpu)"
#endif
            );
            say_error(err);
            return -1;
        }
    }
    if (check_init_files(p, err, sizeof err) < 0) {
        say_error(err);
        return -1;
    }
    return 0;
}

/* ---- the settings table ------------------------------------------------------------------- */

static void find_varying(runner *r)
{
    const plan *p = r->p;
    int nk = settings_n_keys();
    r->varies = xcalloc((size_t)nk, sizeof *r->varies);
    char a[VALUE_LEN], b[VALUE_LEN];
    for (int k = 0; k < nk; k++) {
        int applies0 = settings_key_applies(k, &p->runs[0].settings);
        settings_format(&p->runs[0].settings, k, a, sizeof a);
        for (int i = 1; i < p->n_runs && !r->varies[k]; i++) {
            int applies = settings_key_applies(k, &p->runs[i].settings);
            if (applies != applies0) {
                r->varies[k] = 1;
            } else if (applies) {
                settings_format(&p->runs[i].settings, k, b, sizeof b);
                r->varies[k] = strcmp(a, b) != 0;
            }
        }
    }
}

char *runner_varying_settings(const runner *r, int i)
{
    const run_settings *s = &r->p->runs[i].settings;
    size_t cap = 256, len = 0;
    char *out = xmalloc(cap);
    out[0] = '\0';
    if (s->case_name[0]) len += (size_t)snprintf(out, cap, "case=%s", s->case_name);
    char v[VALUE_LEN];
    for (int k = 0; k < settings_n_keys(); k++) {
        if (!r->varies[k] || !settings_key_applies(k, s)) continue;
        settings_format(s, k, v, sizeof v);
        size_t need = len + strlen(settings_key_name(k)) + strlen(v) + 4;
        if (need > cap) out = xrealloc(out, cap = need * 2);
        len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", len ? " " : "",
                                settings_key_name(k), v);
    }
    return out;
}

static int largest_pack(const runner *r)
{
    int best = 0;
    for (int k = 0; k < r->n_packs; k++) {
        int n = 0;
        for (int i = 0; i < r->p->n_runs; i++)
            n += r->pack_of[i] == k;
        best = n > best ? n : best;
    }
    return best;
}

static void print_table(const runner *r, int n_done)
{
    const plan *p = r->p;
    const run_settings *s0 = &p->runs[0].settings;
    FILE *f = stdout;
    fprintf(f, "optsweep %s (%s): sweep %s, %d run%s (%d done, %d to train), results in %s\n",
            OPTSWEEP_VERSION, OPTSWEEP_GIT_REV, p->name, p->n_runs, p->n_runs == 1 ? "" : "s",
            n_done, p->n_runs - n_done, r->sweep_dir);
    char v[VALUE_LEN];
    int width = 8;
    for (int k = 0; k < settings_n_keys(); k++) {
        int len = (int)strlen(settings_key_name(k));
        if (len > width && !r->varies[k] && settings_key_applies(k, s0)) width = len;
    }
    fprintf(f, "  %-*s  %s\n", width, "setting", "value (same for every run)");
    for (int k = 0; k < settings_n_keys(); k++) {
        if (r->varies[k] || !settings_key_applies(k, s0)) continue;
        settings_format(s0, k, v, sizeof v);
        fprintf(f, "  %-*s  %s\n", width, settings_key_name(k), v);
    }
    int any = 0;
    for (int k = 0; k < settings_n_keys(); k++) {
        if (!r->varies[k]) continue;
        fprintf(f, "%s%s", any ? ", " : "  varying between runs: ", settings_key_name(k));
        any = 1;
    }
    if (any) fputc('\n', f);
    backend_kind kind = runner_backend(r, &p->runs[0]);
    fprintf(f, "  %-*s  %s%s\n", width, "backend", backend_kind_name(kind),
            kind == BACKEND_AUTO ? (backend_cuda_available() ? " (cuda)" : " (cpu)") : "");
    if (r->o->jobs > 1) fprintf(f, "  %-*s  %d worker processes\n", width, "jobs", r->o->jobs);
    if (r->n_packs < p->n_runs)
        fprintf(f, "  %-*s  %d pack%s of up to %d runs trained together (train.pack)\n", width,
                "packs", r->n_packs, r->n_packs == 1 ? "" : "s", largest_pack(r));
    fflush(f);
}

/* ---- the loop ----------------------------------------------------------------------------- */

/* Trains the plan's packs in order (claiming their runs); returns the exit status. */
static int sweep_loop(runner *r)
{
    int rc = 0, io_error = 0;
    if (r->p->search.has_halving) {
        rc = runner_halving_loop(r);
        progress_end(&r->prog);
        progress_note(&r->prog, "sweep %s: %d trained to the end (%d diverged), %d pruned, %d "
                      "failed, %d already done, %d being trained by other processes "
                      "(search.halving)%s", r->p->name, r->n_trained, r->n_diverged,
                      r->n_pruned, r->n_failed, r->n_done_before, r->n_busy,
                      rc > 128 ? " — stopped by a signal; run again to resume" : "");
        return rc;
    }
    int *runs = xmalloc(sizeof(int) * (size_t)r->p->n_runs);
    for (int k = 0; k < r->n_packs; k++) {
        int n = 0;
        for (int i = 0; i < r->p->n_runs; i++)
            if (r->pack_of[i] == k) runs[n++] = i;
        runner_run_result res = runner_run_pack(r, runs, n);
        if (res == RUNNER_RUN_STOPPED) {
            rc = 128 + r->stop_signal;
            break;
        }
        if (res == RUNNER_RUN_IO_ERROR) {
            rc = EXIT_FAILURE_RUN;
            io_error = 1;
            break;
        }
        if (res == RUNNER_RUN_FAILED) rc = EXIT_FAILURE_RUN;
    }
    free(runs);
    progress_end(&r->prog);
    /* --quiet keeps this line: what its help promises */
    progress_note(&r->prog, "sweep %s: %d trained (%d diverged), %d failed, %d already "
                  "done, %d being trained by other processes%s", r->p->name, r->n_trained,
                  r->n_diverged, r->n_failed, r->n_done_before, r->n_busy,
                  rc > 128 ? " — stopped by a signal; run again to resume"
                  : io_error ? " — stopped: results could not be written" : "");
    return rc;
}

static int count_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* The exit status of the sweep from its workers': a signal stop wins (the job should be
 * requeued), then failure. */
static int run_workers(runner *r, double total_cost)
{
    int jobs = r->o->jobs;
    int threads = count_cores() / jobs;
    if (threads < 1) threads = 1;
    pid_t *pids = xcalloc((size_t)jobs, sizeof *pids);
    fflush(NULL);
    signals_install(SIGNALS_PARENT);
    if (signals_pending()) {
        int sig = signals_pending();
        signals_restore();
        free(pids);
        return 128 + sig;
    }
    int started = 0;
    for (int k = 0; k < jobs; k++) {
        pid_t pid = fork();
        if (pid < 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "cannot start worker %d: %s", k + 1, strerror(errno));
            say_error(msg);
            break;
        }
        if (pid == 0) {
            signals_install(SIGNALS_WORKER);
            /* a worker whose parent dies (kill -9) stops cleanly instead of training on */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() == 1) raise(SIGTERM);
            /* OpenBLAS already started its threads in the parent; this resizes the pool */
            char env[32];
            snprintf(env, sizeof env, "%d", threads);
            setenv("OPENBLAS_NUM_THREADS", env, 1);
            openblas_set_num_threads(threads);
            char prefix[32];
            snprintf(prefix, sizeof prefix, "[job %d] ", k + 1);
            progress_init(&r->prog, stdout, r->o->quiet, 0, jobs, prefix, r->p->n_runs,
                          total_cost);
            int rc = sweep_loop(r);
            fflush(NULL);
            _exit(rc);
        }
        pids[started++] = pid;
        signals_set_workers(pids, started);
    }
    int rc = started == jobs ? 0 : EXIT_FAILURE_RUN, stop = 0;
    for (int k = 0; k < started; k++) {
        int status;
        pid_t w;
        do w = waitpid(pids[k], &status, 0);
        while (w < 0 && errno == EINTR);
        if (w < 0) continue;
        if (WIFEXITED(status)) {
            int code = WEXITSTATUS(status);
            if (code > 128) stop = code;
            else if (code != 0) rc = EXIT_FAILURE_RUN;
        } else if (WIFSIGNALED(status)) {
            char msg[128];
            snprintf(msg, sizeof msg, "worker %d was killed by signal %d", k + 1,
                     WTERMSIG(status));
            say_error(msg);
            rc = EXIT_FAILURE_RUN;
        }
    }
    int sig = signals_pending();
    signals_restore();
    free(pids);
    if (stop) return stop;
    if (sig) return 128 + sig;
    return rc;
}

int runner_run_plan(const plan *p, const runner_options *o)
{
    runner r;
    memset(&r, 0, sizeof r);
    runner_options opts = *o;
    if (!opts.results_dir || !opts.results_dir[0]) opts.results_dir = "results";
    if (opts.jobs < 1) opts.jobs = 1;
    if (p->search.has_halving && o->full) {
        /* halving decides over the whole plan; the shard only orders the work */
        r.shard_index = p->shard_index;
        r.shard_count = p->shard_count;
        p = o->full;
    }
    r.p = p;
    r.o = &opts;
    store_hostname(r.host, sizeof r.host);
    if (p->n_runs == 0) {
        if (!opts.quiet) printf("sweep %s: no runs to train\n", p->name);
        return 0;
    }
    if (opts.jobs > p->n_runs) opts.jobs = p->n_runs;

    /* a file-size limit (ulimit -f) must give a write error naming the file, not kill us */
    signal(SIGXFSZ, SIG_IGN);
    /* from here on a signal only raises the flag, even while the data loads */
    signals_install(SIGNALS_MAIN);
    if (check_inputs(&r) < 0) {
        if (r.have_data) data_free(&r.data);
        signals_restore();
        return EXIT_USAGE;
    }
    char err[STORE_PATH_LEN + 256];
    if (store_prepare_dirs(opts.results_dir, p->name, r.sweep_dir, r.runs_dir,
                           sizeof r.runs_dir, err, sizeof err) < 0
        || store_write_plan(r.sweep_dir, o->full ? o->full : p, err, sizeof err) < 0) {
        say_error(err);
        if (r.have_data) data_free(&r.data);
        signals_restore();
        return EXIT_USAGE;
    }

    /* cost of what may still be trained, for the ETA (a quick look: existence only) */
    double total_cost = 0;
    int n_done = 0;
    r.force_dev = xcalloc((size_t)p->n_runs, sizeof *r.force_dev);
    r.force_ino = xcalloc((size_t)p->n_runs, sizeof *r.force_ino);
    for (int i = 0; i < p->n_runs; i++) {
        char path[STORE_PATH_LEN];
        struct stat sb;
        int exists = store_path(path, sizeof path, r.runs_dir, p->runs[i].id,
                                STORE_SUFFIX_FINAL, err, sizeof err) == 0
                     && stat(path, &sb) == 0;
        if (exists) {
            r.force_dev[i] = (unsigned long long)sb.st_dev;
            r.force_ino[i] = (unsigned long long)sb.st_ino;
        }
        if (exists && !opts.force) n_done++;
        /* every run: the ones found done leave the ETA's work when the loop skips them
         * (progress_skip), as do the ones another process holds */
        total_cost += (double)p->runs[i].cost;
    }
    find_varying(&r);
    unsigned char *on_gpu = xcalloc((size_t)p->n_runs, 1);
    pack_backends(p, opts.backend_override, on_gpu);
    r.pack_of = xmalloc(sizeof(int) * (size_t)p->n_runs);
    /* every worker of every process sharing the plan gets a share of the packs */
    const int split = opts.jobs * (opts.shared_by > 1 ? opts.shared_by : 1);
    r.n_packs = pack_partition(p, on_gpu, split, r.pack_of);
    free(on_gpu);
    if (!opts.quiet) print_table(&r, n_done);

    int rc;
    if (opts.jobs > 1) {
        rc = run_workers(&r, total_cost);
    } else {
        progress_init(&r.prog, stdout, opts.quiet, isatty(STDOUT_FILENO), 1, "", p->n_runs,
                      total_cost);
        rc = sweep_loop(&r);
        signals_restore();
    }
    if (r.have_data) data_free(&r.data);
    free(r.varies);
    free(r.pack_of);
    free(r.force_dev);
    free(r.force_ino);
    return rc;
}
