/* cmd_slurm.c — `optsweep slurm FILE --tasks N [--submit]`: checks the sweep like `plan`,
 * copies it under results/<sweep>/slurm/, writes the job array and report scripts there
 * (slurm_script.c), then either prints what each task would run (dry run) or submits both
 * jobs with sbatch.  The training itself is `optsweep run` over the whole plan inside each
 * task: the tasks claim runs as they go (lock files, store_lock.c), so none waits on a fixed
 * share. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "halving.h"
#include "commands.h"
#include "cmd_sweep.h"
#include "config.h"
#include "plan.h"
#include "quote.h"
#include "runner.h"
#include "slurm.h"
#include "store.h"

#define SLURM_MAX_TASKS 1000000 /* beyond any cluster's MaxArraySize */

static const char usage[] =
    "usage: optsweep slurm FILE --tasks N [options]\n"
    "Writes a SLURM job array for the sweep FILE under RESULTS/<sweep>/slurm/ (array.sbatch:\n"
    "every task runs `optsweep run FILE` over the whole plan, claiming the next run no task\n"
    "holds; report.sbatch: `optsweep report` once every task has ended) and prints the runs.\n"
    "With --submit, submits both with sbatch.\n"
    "\n"
    "  --tasks N            array tasks (0..N-1); at most one per run\n"
    "  --partition P        SLURM partition\n"
    "  --time T             time limit per task (SLURM syntax: 4:00:00, 90, 1-12:00:00);\n"
    "                       SIGUSR1 comes shortly before it: the task checkpoints and requeues\n"
    "  --gpus-per-task G    GPUs per task (G or TYPE:G)\n"
    "  --cpus-per-task C    cores per task (also its OpenBLAS threads)\n"
    "  --mem M              memory per task (SLURM syntax: 4G, 500M)\n"
    "  --set KEY=VALUE      override a setting, as for `optsweep run` (repeatable)\n"
    "  --max-runs N         allow sweeps larger than 10000 runs\n"
    "  --results DIR        results folder (default results/)\n"
    "  --sbatch-arg ARG     an extra #SBATCH line for the array and the report job, e.g.\n"
    "                       --sbatch-arg=--account=x (repeatable; comes last, so it overrides\n"
    "                       the lines above)\n"
    "  --setup LINE         a shell line both scripts run before optsweep, e.g.\n"
    "                       --setup 'module load cuda/12.4' (repeatable, in order)\n"
    "  --submit             submit the array and the report job (default: only print)\n"
    "\n"
    "The data (data.dir) and model.init files of the sweep must be readable from here, as\n"
    "from the nodes: they are checked before anything is written.\n"
    "Submitting again runs only what is missing: completed runs are skipped, unfinished ones\n"
    "resume from their checkpoints.  Follow a sweep with `optsweep status RESULTS/<sweep>`.\n";

typedef struct {
    cmd_sweep_args sweep;     /* FILE, --set, --max-runs (shared with plan and run) */
    long tasks;
    const char *partition, *gpus, *cpus, *mem, *results;
    long time_seconds;
    const char **sbatch_args;
    int n_sbatch_args;
    const char **setup;
    int n_setup;
    int submit;
} slurm_args;

static int usage_error(const char *fmt, const char *a)
{
    fputs("optsweep slurm: ", stderr);
    fprintf(stderr, fmt, a);
    fputs("\n(optsweep slurm --help shows the usage)\n", stderr);
    return EXIT_USAGE;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* A value that goes onto an #SBATCH line must stay on one line and be one word. */
static int one_word(const char *s)
{
    return *s != '\0' && strpbrk(s, " \t\r\n") == NULL;
}

/* SLURM's memory size: digits with an optional K/M/G/T suffix. */
static int valid_mem(const char *s)
{
    size_t d = strspn(s, "0123456789");
    if (d == 0) return 0;
    return s[d] == '\0' || (strchr("KMGTkmgt", s[d]) && s[d + 1] == '\0');
}

/* --gpus-per-task: a count, or TYPE:count. */
static int valid_gpus(const char *s)
{
    const char *count = strrchr(s, ':');
    long v;
    if (!one_word(s)) return 0;
    count = count ? count + 1 : s;
    return parse_long(count, 1, 1024, &v) == 0;
}

/* Returns 0, 1 after --help, or EXIT_USAGE after printing the error. */
static int parse_args(int argc, char **argv, slurm_args *a)
{
    static const char *const options[] = {
        "--tasks", "--partition", "--time", "--gpus-per-task", "--cpus-per-task", "--mem",
        "--set", "--max-runs", "--results", "--sbatch-arg", "--setup", "--submit", "--help",
        NULL};
    a->tasks = -1;
    a->time_seconds = -1;
    a->results = "results";
    a->sbatch_args = xcalloc((size_t)argc, sizeof *a->sbatch_args);
    a->setup = xcalloc((size_t)argc, sizeof *a->setup);
    for (int i = 1; i < argc; i++) {
        const char *v, *opt = argv[i];
        int missing = 0, got;
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        }
        if (strncmp(opt, "--shard", 7) == 0)
            return usage_error("%s: the array's tasks share the whole plan (--tasks N)", opt);
        if ((got = cmd_sweep_option(&a->sweep, "slurm", argc, argv, &i)) < 0) return EXIT_USAGE;
        if (got) continue;
        if (strcmp(opt, "--submit") == 0) {
            a->submit = 1;
        } else if ((v = cmd_option_value(argc, argv, &i, "--tasks", &missing))) {
            if (parse_long(v, 1, SLURM_MAX_TASKS, &a->tasks) < 0)
                return usage_error("--tasks: expected a whole number from 1 to 1000000, found "
                                   "'%s'", v);
        } else if ((v = cmd_option_value(argc, argv, &i, "--partition", &missing))) {
            if (!one_word(v)) return usage_error("--partition: expected a name, found '%s'", v);
            a->partition = v;
        } else if ((v = cmd_option_value(argc, argv, &i, "--time", &missing))) {
            if (slurm_parse_time(v, &a->time_seconds) < 0)
                return usage_error("--time: expected minutes, MM:SS, HH:MM:SS or D-HH:MM:SS "
                                   "(SLURM's syntax), found '%s'", v);
        } else if ((v = cmd_option_value(argc, argv, &i, "--gpus-per-task", &missing))) {
            if (!valid_gpus(v))
                return usage_error("--gpus-per-task: expected a count or TYPE:count, found "
                                   "'%s'", v);
            a->gpus = v;
        } else if ((v = cmd_option_value(argc, argv, &i, "--cpus-per-task", &missing))) {
            long c;
            if (parse_long(v, 1, 100000, &c) < 0)
                return usage_error("--cpus-per-task: expected a whole number >= 1, found '%s'",
                                   v);
            a->cpus = v;
        } else if ((v = cmd_option_value(argc, argv, &i, "--mem", &missing))) {
            if (!valid_mem(v))
                return usage_error("--mem: expected a size such as 4G or 500M, found '%s'", v);
            a->mem = v;
        } else if ((v = cmd_option_value(argc, argv, &i, "--results", &missing))) {
            if (!*v) return usage_error("--results needs a folder%s", "");
            a->results = v;
        } else if ((v = cmd_option_value(argc, argv, &i, "--sbatch-arg", &missing))) {
            if (v[0] != '-' || strpbrk(v, "\r\n"))
                return usage_error("--sbatch-arg: expected one sbatch option such as "
                                   "--sbatch-arg=--account=NAME, found '%s'", v);
            a->sbatch_args[a->n_sbatch_args++] = v;
        } else if ((v = cmd_option_value(argc, argv, &i, "--setup", &missing))) {
            if (!v[0] || strpbrk(v, "\r\n"))
                return usage_error("--setup: expected one shell line such as --setup 'module "
                                   "load cuda', found '%s'", v);
            a->setup[a->n_setup++] = v;
        } else if (missing) {
            return usage_error("%s needs a value", opt);
        } else if (opt[0] == '-' && opt[1] != '\0') {
            cmd_unknown_option("slurm", opt, options);
            return EXIT_USAGE;
        } else if (a->sweep.file) {
            fprintf(stderr, "optsweep slurm: one sweep file at a time (got '%s' and '%s')\n",
                    a->sweep.file, opt);
            return EXIT_USAGE;
        } else {
            a->sweep.file = opt;
        }
    }
    if (!a->sweep.file)
        return usage_error("which sweep file? (e.g. optsweep slurm configs/quick.yaml --tasks "
                           "8)%s", "");
    if (a->tasks < 0) return usage_error("--tasks N is required (the number of array tasks)%s", "");
    return 0;
}

/* path made absolute against the working directory cwd (not resolving symlinks: a
 * cluster's shared home is often reached through one). */
static char *absolute(const char *cwd, const char *path)
{
    size_t n;
    char *out;
    if (path[0] == '/') return xstrdup(path);
    while (path[0] == '.' && path[1] == '/') path += 2;
    n = strlen(cwd) + strlen(path) + 2;
    out = xmalloc(n);
    snprintf(out, n, "%s/%s", cwd, path);
    return out;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *out = xmalloc(n);
    snprintf(out, n, "%s/%s", a, b);
    return out;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(path, 0755) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return 0;
    snprintf(err, errlen, "cannot create directory %s: %s", path, strerror(errno));
    return -1;
}

/* Reads a whole file (xmalloc'd, *len bytes); NULL with a message in err. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: cannot read it", path);
        fclose(f);
        return NULL;
    }
    buf = xmalloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        snprintf(err, errlen, "%s: short read", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Copies the sweep file into slurm_dir as <name>-<hash of its bytes>.yaml and returns that
 * path (xmalloc'd), or NULL with err.  Each version of the file gets its own copy, so neither
 * an edit of the original nor a later `optsweep slurm` of an edited version changes what the
 * tasks of an array already submitted read when they start (or restart). */
static char *copy_sweep(const char *src, const char *slurm_dir, char *err, size_t errlen)
{
    size_t len, stem;
    uint32_t h = 2166136261u; /* FNV-1a, 32 bits: a name, not a checksum */
    const char *base = strrchr(src, '/');
    char *text = read_file(src, &len, err, errlen), *name, *dest, suffix[32];
    if (!text) return NULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)text[i]) * 16777619u;
    base = base ? base + 1 : src;
    snprintf(suffix, sizeof suffix, "-%08x.yaml", (unsigned)h);
    stem = strcspn(base, ".");
    if (stem == 0) stem = strlen(base);
    if (strlen(base) > strlen(suffix)
        && strcmp(base + strlen(base) - strlen(suffix), suffix) == 0)
        stem = strlen(base) - strlen(suffix); /* submitted again from such a copy */
    name = xmalloc(stem + sizeof suffix);
    snprintf(name, stem + sizeof suffix, "%.*s%s", (int)stem, base, suffix);
    dest = join(slurm_dir, name);
    free(name);
    /* written even when a copy of that name exists: the same bytes (the name is their hash),
     * but whatever had the name (a link planted in a results folder from elsewhere) is
     * replaced, never followed by the tasks */
    if (store_write_file_atomic(dest, text, len, err, errlen) < 0) {
        free(dest);
        dest = NULL;
    }
    free(text);
    return dest;
}

static void print_task_plans(const plan *full, int tasks)
{
    long cost = 0;
    for (int i = 0; i < full->n_runs; i++) cost += full->runs[i].cost;
    printf("\nthe %d task%s take the runs in this order as they go, each claiming the next run "
           "(or pack) no task holds;\na task that finds nothing left ends at once (cost %ld in "
           "all):\n", tasks, tasks == 1 ? "" : "s", cost);
    for (int i = 0; i < full->n_runs; i++) { /* plan index (as `optsweep plan`), id, case */
        const plan_run *r = &full->runs[i];
        printf("    %5d  %s%s%s\n", r->index, r->id, full->has_cases ? "  " : "",
               full->has_cases ? r->settings.case_name : "");
    }
}

/* Appends "<time>\t<array job>\t<report job>\t<tasks>" to slurm/jobs.tsv (a record for
 * scancel and sacct; failure to write it is only a warning). */
static void record_jobs(const char *slurm_dir, const char *array_id, const char *report_id,
                        int tasks)
{
    char *path = join(slurm_dir, "jobs.tsv"), now[STORE_TIME_LEN];
    /* appended to in place, but never through a planted link, nor to a FIFO or device */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
    struct stat st;
    FILE *f = NULL;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
        errno = EINVAL;
    }
    if (fd >= 0 && !(f = fdopen(fd, "a"))) close(fd);
    const int fresh = f && st.st_size == 0;
    store_utc_now(now);
    if (!f) {
        fprintf(stderr, "optsweep slurm: warning: cannot append to %s: %s\n", path,
                errno == ELOOP || errno == EINVAL ? "not a regular file (a symbolic link or "
                "something else planted there: never followed)" : strerror(errno));
    } else {
        if (fresh) fputs("submitted\tarray_job\treport_job\ttasks\n", f);
        fprintf(f, "%s\t%s\t%s\t%d\n", now, array_id, report_id, tasks);
        fclose(f);
    }
    free(path);
}

/* search.halving: the rungs of the first bracket, one SLURM array each; 1 without */
static int sweep_rungs(const plan *p)
{
    if (!p->search.has_halving || p->n_runs == 0) return 1;
    int e[HALVING_MAX_RUNGS];
    return halving_rungs(&p->search.halving, p->runs[0].settings.train.epochs, 0, e);
}

int cmd_slurm(int argc, char **argv)
{
    slurm_args a;
    plan full, shard;
    char err[STORE_PATH_LEN + 512], cwd[STORE_PATH_LEN], exe[STORE_PATH_LEN];
    char array_id[64], report_id[64];
    char *results = NULL, *sweep_dir = NULL, *slurm_dir = NULL, *logs_dir = NULL;
    char *sweep_copy = NULL, *array_path = NULL, *report_path = NULL, *cmdline = NULL;
    int rc, expanded = 0, tasks;
    ssize_t n;

    memset(&a, 0, sizeof a);
    cmd_sweep_args_init(&a.sweep);
    rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        rc = rc == 1 ? EXIT_OK : rc;
        goto out;
    }

    /* the sweep, checked exactly as `optsweep plan` checks it: errors exit 2 */
    rc = cmd_sweep_plan(&a.sweep, "slurm", 1, &full, &shard);
    if (rc != EXIT_OK) goto out;
    expanded = 1;
    if (full.n_runs == 0) {
        printf("sweep %s: no runs: nothing to submit\n", full.name);
        goto out;
    }
    tasks = (int)a.tasks;
    if (tasks > full.n_runs) {
        fprintf(stderr, "optsweep slurm: note: --tasks %d is more than the %d runs of the sweep; "
                "using %d tasks\n", tasks, full.n_runs, full.n_runs);
        tasks = full.n_runs;
    }

    /* absolute paths: a task starts in a spool folder on some node */
    if (!getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "optsweep slurm: getcwd: %s\n", strerror(errno));
        rc = EXIT_FAILURE_RUN;
        goto out;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        fprintf(stderr, "optsweep slurm: cannot find this program's path (/proc/self/exe): "
                "%s\n", strerror(errno));
        rc = EXIT_FAILURE_RUN;
        goto out;
    }
    exe[n] = '\0';
    results = absolute(cwd, a.results);
    sweep_dir = join(results, full.name);
    slurm_dir = join(sweep_dir, "slurm");
    logs_dir = join(slurm_dir, "logs");
    array_path = join(slurm_dir, "array.sbatch");
    report_path = join(slurm_dir, "report.sbatch");
    cmdline = quote_command_line(argc, argv);
    /* before anything is written: a path the scripts cannot hold is a usage error */
    if (!slurm_path_ok(logs_dir) || !slurm_path_ok(cwd)) {
        fprintf(stderr, "optsweep slurm: %s: a path with a double quote or a line break cannot "
                "go on an #SBATCH line; use another --results folder or working folder\n",
                slurm_path_ok(cwd) ? logs_dir : cwd);
        rc = EXIT_USAGE;
        goto out;
    }
    /* the data and model.init files, as the tasks will read them: a wrong path is found now,
     * not in every task's log */
    if (runner_check_files(&full, err, sizeof err) < 0) {
        fprintf(stderr, "optsweep slurm: %s; nothing was written\n", err);
        rc = EXIT_USAGE;
        goto out;
    }
    if (make_dir(results, err, sizeof err) < 0 || make_dir(sweep_dir, err, sizeof err) < 0
        || make_dir(slurm_dir, err, sizeof err) < 0 || make_dir(logs_dir, err, sizeof err) < 0
        || !(sweep_copy = copy_sweep(a.sweep.file, slurm_dir, err, sizeof err))) {
        fprintf(stderr, "optsweep slurm: %s\n", err);
        rc = EXIT_FAILURE_RUN;
        goto out;
    }

    slurm_spec spec = {
        .sweep_name = full.name, .n_runs = full.n_runs, .tasks = tasks,
        .partition = a.partition, .time_seconds = a.time_seconds,
        .gpus_per_task = a.gpus, .cpus_per_task = a.cpus, .mem = a.mem,
        .sets = a.sweep.sets, .n_sets = a.sweep.n_sets, .sbatch_args = a.sbatch_args,
        .n_sbatch_args = a.n_sbatch_args, .setup = a.setup, .n_setup = a.n_setup,
        .max_runs = a.sweep.max_runs, .binary = exe,
        .sweep_file = sweep_copy, .results_dir = results, .sweep_dir = sweep_dir,
        .logs_dir = logs_dir, .workdir = cwd, .command_line = cmdline,
        .rungs = sweep_rungs(&full),
    };
    if (slurm_write_array_script(&spec, array_path, err, sizeof err) < 0
        || slurm_write_report_script(&spec, report_path, err, sizeof err) < 0) {
        fprintf(stderr, "optsweep slurm: %s\n", err);
        rc = EXIT_FAILURE_RUN;
        goto out;
    }

    /* plan.json now, so that `optsweep status` counts every run before a task starts */
    if (store_write_plan(sweep_dir, &full, err, sizeof err) < 0)
        fprintf(stderr, "optsweep slurm: warning: %s\n", err);
    printf("sweep %s: %d run%s in %d array task%s\n", full.name, full.n_runs,
           full.n_runs == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s");
    printf("  array script   %s\n", array_path);
    printf("  report script  %s\n", report_path);
    printf("  sweep file     %s (a copy of %s)\n", sweep_copy, a.sweep.file);
    printf("  results        %s\n", sweep_dir);
    printf("  task logs      %s/<array job id>_<task>.out\n", logs_dir);

    if (!a.submit) {
        print_task_plans(&full, tasks);
        /* paths as shell words: they are meant to be pasted */
        printf("\nnothing submitted; with --submit this runs:\n  sbatch --parsable ");
        quote_shell(stdout, array_path);
        for (int k = 1; k < spec.rungs; k++) { /* search.halving: an array per rung */
            printf(" %d\n  sbatch --parsable --dependency=afterany:<rung %d array job id> ", k,
                   k);
            quote_shell(stdout, array_path);
        }
        printf("\n  sbatch --parsable --dependency=afterany:<array job id> ");
        quote_shell(stdout, report_path);
        printf("\n");
        rc = EXIT_OK;
        goto out;
    }

    if (spec.rungs > 1
            ? slurm_submit_rungs(array_path, spec.rungs, array_id, sizeof array_id, err,
                                 sizeof err) < 0
            : slurm_sbatch(array_path, NULL, array_id, sizeof array_id, err, sizeof err) < 0) {
        fprintf(stderr, "optsweep slurm: %s; %s\n", err,
                spec.rungs > 1 ? "the arrays printed above were submitted; submitting again "
                                 "continues the sweep" : "nothing was submitted");
        rc = EXIT_FAILURE_RUN;
        goto out;
    }
    printf("submitted array job %s (tasks 0-%d): logs %s/%s_<task>.out\n", array_id, tasks - 1,
           logs_dir, array_id);
    if (slurm_sbatch(report_path, array_id, report_id, sizeof report_id, err, sizeof err) < 0) {
        fprintf(stderr, "optsweep slurm: %s; the array job %s was submitted: after it ends, "
                "run optsweep report ", err, array_id);
        quote_shell(stderr, sweep_dir);
        fprintf(stderr, " (or sbatch ");
        quote_shell(stderr, report_path);
        fprintf(stderr, ")\n");
        record_jobs(slurm_dir, array_id, "-", tasks);
        rc = EXIT_FAILURE_RUN;
        goto out;
    }
    printf("submitted report job %s: runs when the array has ended (afterany), writes %s/"
           "summary.md\n", report_id, sweep_dir);
    printf("follow it with: optsweep status ");
    quote_shell(stdout, sweep_dir);
    printf("   (or: squeue -j %s,%s)\n", array_id, report_id);
    record_jobs(slurm_dir, array_id, report_id, tasks);
    rc = EXIT_OK;

out:
    if (expanded) {
        plan_free(&full);
        plan_free(&shard); /* a SLURM task's environment may shard it; only full is used */
    }
    cmd_sweep_args_free(&a.sweep);
    free(a.sbatch_args);
    free(a.setup);
    free(results);
    free(sweep_dir);
    free(slurm_dir);
    free(logs_dir);
    free(sweep_copy);
    free(array_path);
    free(report_path);
    free(cmdline);
    return rc;
}
