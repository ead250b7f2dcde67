/* cmd_run.c — `optsweep run FILE [options]`: checks the command line and the sweep (any error
 * exits 2 before anything is written), then hands the plan, or this process's shard of it,
 * to the runner (runner.h), which trains, stores and resumes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd_sweep.h"
#include "commands.h"
#include "cpu_kernel.h"
#include "halving.h"
#include "runner.h"
#include "settings_value.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: optsweep run FILE [--set KEY=VALUE]... [--shard I/N] [--only PATTERN]...\n"
            "                         [--max-runs N]\n"
            "                         [--results DIR] [--backend auto|cpu|cuda] [--force]\n"
            "                         [--jobs N] [--shared-by N] [--quiet] [--until-rung K]\n"
            "\n"
            "Trains every run of the sweep FILE (see optsweep plan FILE) and writes one HDF5\n"
            "file per run under DIR/<name>/runs/.  Runs already complete there are skipped and\n"
            "interrupted ones resume from their checkpoint, so running it again finishes a\n"
            "sweep.  A sweep-file error is reported before anything is written.\n"
            "\n"
            "  --set KEY=VALUE   override a setting for every run (-s for short); a list such as\n"
            "                    --set 'optimizer.lr=[0.1, 0.01]' adds or replaces a grid axis\n"
            "  --shard I/N       train only the runs whose position mod N is I (default: from\n"
            "                    SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT when set)\n"
            "  --only PATTERN    train only the runs it matches (repeatable: any of them): a run id,\n"
            "                    a case name or a glob ('adam-*'), or KEY=VALUE\n"
            "                    (optimizer.name=adam, optimizer.lr=0.01, train.seed='[12]')\n"
            "  --max-runs N      allow up to N runs (default 10000)\n"
            "  --results DIR     where results go (default: results); the sweep writes under\n"
            "                    DIR/<name>/\n"
            "  --backend B       auto (GPU when there is one), cpu or cuda: overrides\n"
            "                    train.backend of every run\n"
            "  --force           train again runs that are already complete\n"
            "  --jobs N          train N runs at once in worker processes (default 1)\n"
            "  --shared-by N     N processes (the tasks of a SLURM array) claim runs from this\n"
            "                    plan at once: packs hold at most an N-th of the runs they could,\n"
            "                    so that each process gets some\n"
            "  --quiet           print only errors and the final line\n"
            "  --until-rung K    search.halving: train up to rung K (1 = the first) and exit\n"
            "                    without waiting for the rung's other runs (one SLURM array\n"
            "                    per rung)\n"
            "\n"
            "Exit status: 0 every run ended (completed, diverged or stopped early), 1 a run\n"
            "failed or results could not be written, 2 a usage, sweep-file or data error,\n"
            "128+N stopped by signal N (checkpoints written; run it again to resume).\n");
}

/* The OpenBLAS kernel of this process (cpu_kernel.h): train.cpu_kernel of the runs that may
 * train on the CPU, which must agree (OpenBLAS takes one kernel per process).  May restart
 * the command on another kernel.  Returns 0, or EXIT_USAGE after a message. */
static int choose_cpu_kernel(const plan *p, int backend_override)
{
    const plan_run *first = NULL;
    for (int i = 0; i < p->n_runs; i++) {
        const plan_run *r = &p->runs[i];
        int kind = backend_override >= 0 ? backend_override : (int)r->settings.train.backend;
        if (kind == BACKEND_CUDA) continue;
        if (!first) {
            first = r;
        } else if (r->settings.train.cpu_kernel != first->settings.train.cpu_kernel) {
            fprintf(stderr, "optsweep run: train.cpu_kernel is %s for run %s but %s for run %s: "
                    "OpenBLAS takes one kernel per process, so it must be the same for every "
                    "run a process trains (use one sweep file, or one --set, per kernel)\n",
                    cpu_kernel_kind_name(first->settings.train.cpu_kernel), first->id,
                    cpu_kernel_kind_name(r->settings.train.cpu_kernel), r->id);
            return EXIT_USAGE;
        }
    }
    if (!first) return 0;
    char err[512];
    if (cpu_kernel_apply(first->settings.train.cpu_kernel, err, sizeof err) != 0) {
        fprintf(stderr, "optsweep run: %s; nothing was run or written\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

/* The value of --jobs / --shared-by: 1..max.  0, or -1 after a message. */
static int parse_count(const char *option, const char *v, long long max, int *out)
{
    long long n;
    if (settings_parse_integer(v, &n) != 0 || n < 1 || n > max) {
        fprintf(stderr, "optsweep run: %s: expected an integer from 1 to %lld, found '%s'\n",
                option, max, v);
        return -1;
    }
    *out = (int)n;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    static const char *const options[] = {"--set", "--shard", "--max-runs", "--only", "--results",
                                          "--backend", "--force", "--jobs", "--shared-by",
                                          "--quiet", "--help", "--until-rung", NULL};
    cmd_sweep_args a;
    cmd_sweep_args_init(&a);
    runner_options o;
    memset(&o, 0, sizeof o);
    o.results_dir = "results";
    o.backend_override = -1;
    o.jobs = 1;
    int rc = EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        int missing, got;
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            cmd_sweep_args_free(&a);
            return EXIT_OK;
        }
        if ((got = cmd_sweep_option(&a, "run", argc, argv, &i)) < 0) goto out;
        if (got) continue;
        if ((v = cmd_option_value(argc, argv, &i, "--results", &missing))) {
            if (!v[0]) {
                fprintf(stderr, "optsweep run: --results needs a folder\n");
                goto out;
            }
            o.results_dir = v;
        } else if (missing && strcmp(argv[i], "--results") == 0) {
            fprintf(stderr, "optsweep run: --results needs a folder\n");
            goto out;
        } else if ((v = cmd_option_value(argc, argv, &i, "--backend", &missing))) {
            if (strcmp(v, "auto") == 0) o.backend_override = BACKEND_AUTO;
            else if (strcmp(v, "cpu") == 0) o.backend_override = BACKEND_CPU;
            else if (strcmp(v, "cuda") == 0) o.backend_override = BACKEND_CUDA;
            else {
                fprintf(stderr, "optsweep run: --backend: expected auto, cpu or cuda, found '%s'\n",
                        v);
                goto out;
            }
        } else if (missing && strcmp(argv[i], "--backend") == 0) {
            fprintf(stderr, "optsweep run: --backend needs auto, cpu or cuda\n");
            goto out;
        } else if ((v = cmd_option_value(argc, argv, &i, "--jobs", &missing))) {
            if (parse_count("--jobs", v, 1024, &o.jobs) != 0) goto out;
        } else if ((v = cmd_option_value(argc, argv, &i, "--shared-by", &missing))) {
            if (parse_count("--shared-by", v, 1000000, &o.shared_by) != 0) goto out;
        } else if (missing && (strcmp(argv[i], "--jobs") == 0
                               || strcmp(argv[i], "--shared-by") == 0)) {
            fprintf(stderr, "optsweep run: %s needs a number\n", argv[i]);
            goto out;
        } else if ((v = cmd_option_value(argc, argv, &i, "--until-rung", &missing))) {
            if (parse_count("--until-rung", v, HALVING_MAX_RUNGS, &o.until_rung) != 0) goto out;
        } else if (missing && strcmp(argv[i], "--until-rung") == 0) {
            fprintf(stderr, "optsweep run: --until-rung needs a rung number\n");
            goto out;
        } else if (strcmp(argv[i], "--force") == 0) {
            o.force = 1;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            o.quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cmd_unknown_option("run", argv[i], options);
            goto out;
        } else if (a.file) {
            fprintf(stderr, "optsweep run: one sweep file at a time (got '%s' and '%s')\n", a.file,
                    argv[i]);
            goto out;
        } else {
            a.file = argv[i];
        }
    }
    if (!a.file) {
        fprintf(stderr, "optsweep run: which sweep file? (e.g. optsweep run configs/quick.yaml)\n");
        usage(stderr);
        goto out;
    }
    plan full, shard;
    /* a command restarted on another kernel has printed the plan's notes already */
    rc = cmd_sweep_plan(&a, "run", !o.quiet && !cpu_kernel_restarted(), &full, &shard);
    if (rc == EXIT_OK && (rc = choose_cpu_kernel(&shard, o.backend_override)) != EXIT_OK) {
        plan_free(&shard);
        plan_free(&full);
    }
    if (rc == EXIT_OK && ((o.until_rung && !shard.search.has_halving)
                          || (o.force && shard.search.has_halving))) {
        /* --force: the rungs are read from the files it would redo */
        fprintf(stderr, "optsweep run: %s\n", o.force
                ? "--force does not work with search.halving (rungs are decided from the "
                  "files it would redo): move the sweep's results folder away instead"
                : "--until-rung needs a sweep with search.halving");
        plan_free(&shard);
        plan_free(&full);
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK) {
        o.full = shard.shard_count > 1 ? &full : NULL;
        rc = runner_run_plan(&shard, &o);
        plan_free(&shard);
        plan_free(&full);
    }
out:
    cmd_sweep_args_free(&a);
    return rc;
}
