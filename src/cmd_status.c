/* cmd_status.c — `optsweep status results/<sweep>`: what the files of a sweep say, read
 * while it runs, from any node: counts (done, diverged, failed, running, interrupted, not
 * started, damaged) and one line per unfinished run with its last epoch.  Reads only
 * results/<sweep>/ (plan.json, runs/): never the sweep file. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "cmd_sweep.h"
#include "commands.h"
#include "plan.h"
#include "store.h"

typedef struct {
    char *id;
    int has_final, has_ckpt, has_lock, has_part, has_corrupt;
    int outside;           /* plan.json does not list its id */
    char status[32];       /* of the final file: completed, ..., or "damaged" (unreadable,
                            * or its checksum does not match) */
    char message[256];
    int ckpt_epoch;        /* epochs done per the checkpoint; -1 unknown */
    int epochs;            /* train.epochs per the checkpoint's settings; 0 unknown */
    store_lock_info lock;
    int lock_ok;
    int live;              /* its lock is held (another host's lock counts as live) */
    char *yaml;            /* its settings (final file, else checkpoint), for --only; or NULL */
    char case_name[SETTINGS_NAME_LEN]; /* from the final file; "" unknown */
    int left_out;          /* --only matches it not */
} run_files;

typedef struct {
    run_files *v;
    int n, cap;
} run_table;

static int ends_with(const char *s, const char *suffix, size_t *stem)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    if (ls <= lx || strcmp(s + ls - lx, suffix) != 0) return 0;
    *stem = ls - lx;
    return 1;
}

static run_files *find_or_add(run_table *t, const char *id, size_t len)
{
    for (int i = 0; i < t->n; i++)
        if (strlen(t->v[i].id) == len && strncmp(t->v[i].id, id, len) == 0) return &t->v[i];
    if (t->n == t->cap) t->v = xrealloc(t->v, sizeof *t->v * (size_t)(t->cap = t->cap ? t->cap * 2 : 64));
    run_files *r = &t->v[t->n++];
    memset(r, 0, sizeof *r);
    r->id = xmalloc(len + 1);
    memcpy(r->id, id, len);
    r->id[len] = '\0';
    r->ckpt_epoch = -1;
    return r;
}

static void free_table(run_table *t)
{
    for (int i = 0; i < t->n; i++) {
        free(t->v[i].id);
        free(t->v[i].yaml);
    }
    free(t->v);
}

static int compare_runs(const void *a, const void *b)
{
    return strcmp(((const run_files *)a)->id, ((const run_files *)b)->id);
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "train:\n  epochs: 20": the run's epochs from its resolved YAML, 0 when not found. */
static int yaml_epochs(const char *yaml)
{
    for (const char *p = yaml; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *q = p;
        while (*q == ' ') q++;
        if (strncmp(q, "epochs:", 7) == 0) {
            char *end;
            long e = strtol(q + 7, &end, 10);
            return end != q + 7 && (*end == '\0' || *end == '\n') && e > 0 && e <= INT_MAX
                       ? (int)e : 0;
        }
    }
    return 0;
}

static void read_checkpoint_position(const char *runs_dir, run_files *r)
{
    char path[STORE_PATH_LEN], err[1024];
    if (store_path(path, sizeof path, runs_dir, r->id, STORE_SUFFIX_CKPT, err, sizeof err) < 0)
        return;
    int e;
    char *yaml = NULL;
    if (store_checkpoint_epoch(path, &e, &yaml, err, sizeof err) == 0) {
        r->ckpt_epoch = e;
        r->epochs = yaml_epochs(yaml);
    }
    if (!r->yaml) r->yaml = yaml; /* the final file's, when there is one, comes first */
    else free(yaml);
}

static void read_final(const char *runs_dir, run_files *r)
{
    char path[STORE_PATH_LEN], err[1024];
    if (store_path(path, sizeof path, runs_dir, r->id, STORE_SUFFIX_FINAL, err, sizeof err) < 0)
        return;
    store_run_log log;
    if (store_read_run(path, &log, err, sizeof err) < 0) {
        check_copy_string(r->status, sizeof r->status, "damaged");
        check_copy_string(r->message, sizeof r->message, err);
        return;
    }
    check_copy_string(r->status, sizeof r->status, log.status);
    check_copy_string(r->message, sizeof r->message, log.status_message);
    r->epochs = yaml_epochs(log.settings_yaml);
    if (strcmp(log.status, "failed") == 0) r->ckpt_epoch = log.n_epochs;
    r->yaml = xstrdup(log.settings_yaml);
    check_copy_string(r->case_name, sizeof r->case_name, log.case_name);
    store_run_log_free(&log);
}

/* search.halving's rungs completed so far (halving.tsv), one line each */
static void print_rungs(const char *sweep_dir)
{
    store_halving h;
    char err[STORE_PATH_LEN + 256];
    int rc = store_read_halving(sweep_dir, &h, err, sizeof err);
    if (rc < 0) fprintf(stderr, "optsweep: status: %s (ignored)\n", err);
    if (rc != 0) return;
    printf("  rungs complete (search.halving, %s):\n", halving_metric_name(h.metric));
    for (int k = 0; k < h.n; k++) {
        const store_halving_row *w = &h.rows[k];
        printf("    bracket %d rung %d (epoch %d): %d entered, %d reached it, ", w->bracket + 1,
               w->rung, w->epoch, w->entering, w->reached);
        if (w->promoted) printf("%d promoted", w->promoted);
        else printf("the end");
        if (w->best_run[0]) printf("; best %.6g (%s)", w->best_metric, w->best_run);
        printf("\n");
    }
    store_halving_free(&h);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: optsweep status results/<sweep> [--only PATTERN]...\n"
               "  counts the runs of a sweep (done, diverged, failed, running, interrupted,\n"
               "  not started) from its files, and lists each unfinished run's last epoch\n"
               "  --only PATTERN  only the runs it matches (repeatable: any): a run id, a case\n"
               "                  name or a glob ('adam-*'), or KEY=VALUE (optimizer.name=adam),\n"
               "                  matched on the settings a run's files hold: runs with no file\n"
               "                  yet (not started) match by id only\n");
}

/* The arguments: the sweep folder and --only patterns.  EXIT_OK to go on, else the exit. */
static int parse_args(int argc, char **argv, const char **sweep_dir, const char **only,
                      int *n_only, int *help)
{
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            *help = 1;
            return EXIT_OK;
        } else if ((v = cmd_option_value(argc, argv, &i, "--only", &missing))) {
            char err[256];
            if (plan_only_check(v, err, sizeof err) != 0) {
                fprintf(stderr, "optsweep: status: %s\n", err);
                return EXIT_USAGE;
            }
            only[(*n_only)++] = v;
        } else if (missing || argv[i][0] == '-' || *sweep_dir) {
            if (missing) fprintf(stderr, "optsweep: status: %s needs a value\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        } else {
            *sweep_dir = argv[i];
        }
    }
    if (*sweep_dir) return EXIT_OK;
    usage(stderr);
    return EXIT_USAGE;
}

/* The report of the sweep in sweep_dir, over the runs `only` matches (all when n_only is 0). */
static int status_of(const char *sweep_dir, const char *const *only, int n_only)
{
    char runs_dir[STORE_PATH_LEN], err[2048];

    struct stat sb;
    if (stat(sweep_dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "optsweep: status: %s: %s\n", sweep_dir,
                errno == ENOENT || !errno ? "no such directory (no sweep has run there)"
                                          : strerror(errno));
        return EXIT_USAGE;
    }
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", sweep_dir);
    char **plan_ids = NULL;
    int n_plan = 0;
    int have_plan = store_read_plan(sweep_dir, &plan_ids, &n_plan, err, sizeof err);
    if (have_plan < 0) fprintf(stderr, "optsweep: status: %s (ignored)\n", err);
    if (have_plan == 1 && (stat(runs_dir, &sb) < 0 || !S_ISDIR(sb.st_mode))) {
        fprintf(stderr, "optsweep: status: %s: not a sweep's results folder (neither runs/ nor "
                "plan.json; expected results/<sweep>)\n", sweep_dir);
        return EXIT_USAGE;
    }
    /* sorted, to tell in O(log n) whether a run file belongs to the plan */
    if (n_plan > 1) qsort(plan_ids, (size_t)n_plan, sizeof *plan_ids, compare_ids);

    run_table t = { NULL, 0, 0 };
    DIR *d = opendir(runs_dir);
    if (!d && errno != ENOENT) {
        fprintf(stderr, "optsweep: status: %s: %s\n", runs_dir, strerror(errno));
        store_free_ids(plan_ids, n_plan);
        return EXIT_FAILURE_RUN;
    }
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t stem;
        const char *name = e->d_name;
        if (name[0] == '.') continue;
        /* the order matters: ".ckpt.h5" also ends with ".h5", ".ckpt.h5.corrupt" with
         * ".h5.corrupt" (a checkpoint set aside: nothing to count) */
        if (ends_with(name, STORE_SUFFIX_CKPT ".corrupt", &stem)) continue;
        if (ends_with(name, STORE_SUFFIX_CKPT, &stem)) find_or_add(&t, name, stem)->has_ckpt = 1;
        else if (ends_with(name, STORE_SUFFIX_FINAL, &stem))
            find_or_add(&t, name, stem)->has_final = 1;
        else if (ends_with(name, STORE_SUFFIX_LOCK, &stem))
            find_or_add(&t, name, stem)->has_lock = 1;
        else if (ends_with(name, STORE_SUFFIX_PART, &stem))
            find_or_add(&t, name, stem)->has_part = 1;
        else if (ends_with(name, STORE_SUFFIX_CORRUPT, &stem))
            find_or_add(&t, name, stem)->has_corrupt = 1;
    }
    if (d) closedir(d);
    if (t.n > 1) qsort(t.v, (size_t)t.n, sizeof *t.v, compare_runs);
    /* plan runs without any file: not started; run files of ids outside the plan (an
     * earlier version of the sweep): counted apart, not as this plan's */
    int not_started = 0, n_outside = 0, n_matched = 0;
    for (int i = 0; i < n_plan; i++) {
        run_files key = {.id = plan_ids[i]};
        if (bsearch(&key, t.v, (size_t)t.n, sizeof *t.v, compare_runs)) continue;
        /* no file: only its id can match */
        if (n_only && !plan_only_matches_yaml(only, n_only, plan_ids[i], "", NULL)) continue;
        not_started++;
        n_matched++;
    }
    for (int i = 0; have_plan == 0 && i < t.n; i++)
        t.v[i].outside = !bsearch(&t.v[i].id, plan_ids, (size_t)n_plan, sizeof *plan_ids,
                                  compare_ids);

    int n_completed = 0, n_stopped = 0, n_diverged = 0, n_failed = 0, n_running = 0;
    int n_interrupted = 0, n_corrupt = 0, n_foreign = 0, n_pruned = 0;
    for (int i = 0; i < t.n; i++) {
        run_files *r = &t.v[i];
        /* files outside the plan: read only for --only's settings */
        const int read = !r->outside || n_only;
        if (r->has_final && read) read_final(runs_dir, r);
        if (r->has_ckpt && read) read_checkpoint_position(runs_dir, r);
        r->left_out = n_only && !plan_only_matches_yaml(only, n_only, r->id, r->case_name,
                                                        r->yaml);
        if (r->left_out) continue;
        n_matched++;
        if (r->outside) {
            n_outside++;
            continue;
        }
        if (r->has_lock) {
            char lock_path[STORE_PATH_LEN];
            if (store_path(lock_path, sizeof lock_path, runs_dir, r->id, STORE_SUFFIX_LOCK, err,
                           sizeof err) == 0)
                r->lock_ok = store_lock_inspect(lock_path, &r->lock, err, sizeof err) == 0;
        }
        r->live = r->lock_ok && r->lock.alive != 0;
        if (r->live) {
            n_running++;
            if (r->lock.alive < 0) n_foreign++;
        } else if (r->has_final && strcmp(r->status, "completed") == 0) n_completed++;
        else if (r->has_final && strcmp(r->status, "stopped_early") == 0) n_stopped++;
        else if (r->has_final && strcmp(r->status, "diverged") == 0) n_diverged++;
        else if (r->has_final && strcmp(r->status, "failed") == 0) n_failed++;
        else if (r->has_final && strcmp(r->status, "pruned") == 0) n_pruned++;
        else if (r->has_final) n_corrupt++;
        else if (r->has_ckpt || r->has_lock || r->has_part) n_interrupted++;
        else if (r->has_corrupt) n_corrupt++;
    }

    if (n_only && n_matched == 0) {
        fprintf(stderr, "optsweep: status: --only matches none of the runs of %s (runs with no "
                "file yet match by id only)\n", sweep_dir);
        free_table(&t);
        store_free_ids(plan_ids, n_plan);
        return EXIT_USAGE;
    }
    printf("sweep %s\n", sweep_dir);
    if (n_only)
        printf("  --only: %d runs match (runs with no file yet match by id only)\n", n_matched);
    if (have_plan == 0)
        printf("  plan.json: %d runs\n", n_plan);
    else
        printf("  no plan.json: runs not started yet are not counted\n");
    printf("  done         %d  (completed %d, stopped early %d)\n", n_completed + n_stopped,
           n_completed, n_stopped);
    if (n_pruned) printf("  pruned       %d  (search.halving: ended at a rung)\n", n_pruned);
    printf("  diverged     %d\n", n_diverged);
    printf("  failed       %d\n", n_failed);
    printf("  running      %d", n_running);
    if (n_foreign) printf("  (%d locked from other hosts: cannot tell if alive)", n_foreign);
    printf("\n  pending      %d  (interrupted %d, not started %s", n_interrupted + not_started,
           n_interrupted, have_plan == 0 ? "" : "?");
    if (have_plan == 0) printf("%d", not_started);
    printf(")\n");
    if (n_outside)
        printf("  outside the plan %d  (run files whose ids plan.json does not list: from an "
               "earlier version of the sweep; not counted above)\n", n_outside);
    if (n_corrupt) printf("  damaged      %d  (`optsweep run` sets them aside and trains them "
                          "again)\n", n_corrupt);

    print_rungs(sweep_dir);

    int header = 0;
    for (int i = 0; i < t.n; i++) {
        run_files *r = &t.v[i];
        if (r->outside || r->left_out) continue;
        const int live = r->live;
        int done = r->has_final && !live && strcmp(r->status, "failed") != 0
                   && strcmp(r->status, "damaged") != 0;
        if (done || (!r->has_final && !r->has_ckpt && !r->has_lock && !r->has_part
                     && !r->has_corrupt))
            continue;
        if (!header) {
            printf("unfinished runs:\n");
            header = 1;
        }
        const char *state = live ? "running"
                            : r->has_final ? r->status
                            : r->has_ckpt || r->has_lock || r->has_part ? "interrupted"
                            : "damaged";
        char epoch[48] = "-";
        if (r->ckpt_epoch >= 0 && r->epochs > 0)
            snprintf(epoch, sizeof epoch, "epoch %d/%d", r->ckpt_epoch, r->epochs);
        else if (r->ckpt_epoch >= 0)
            snprintf(epoch, sizeof epoch, "epoch %d", r->ckpt_epoch);
        else if (live)
            snprintf(epoch, sizeof epoch, "no checkpoint yet");
        printf("  %-40s %-12s %-18s", r->id, state, epoch);
        if (r->has_lock && r->lock_ok && r->lock.garbage)
            printf(" lock file empty or unreadable (not written by optsweep), %.0f s old: "
                   "stale %s", r->lock.age_seconds, live ? "once 10 s old"
                                                          : "(taken over by the next run)");
        else if (live)
            printf(" pid %ld on %s since %s, heartbeat %.0f s ago%s%s", r->lock.pid,
                   r->lock.host, r->lock.start, r->lock.age_seconds,
                   r->lock.slurm_job[0] ? ", slurm job " : "", r->lock.slurm_job);
        else if (r->has_lock && r->lock_ok)
            printf(" stale lock of dead pid %ld (taken over by the next run)", r->lock.pid);
        if (r->message[0] && !live) printf(" %s", r->message);
        printf("\n");
    }
    free_table(&t);
    store_free_ids(plan_ids, n_plan);
    return EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
    const char *sweep_dir = NULL;
    const char **only = xcalloc((size_t)argc, sizeof *only);
    int n_only = 0, help = 0;
    int rc = parse_args(argc, argv, &sweep_dir, only, &n_only, &help);
    if (rc != EXIT_OK || help) {
        free(only);
        return rc;
    }
    rc = status_of(sweep_dir, only, n_only);
    free(only);
    return rc;
}
