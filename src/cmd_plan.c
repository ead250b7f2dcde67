/* cmd_plan.c — `optsweep plan FILE... [--set K=V]... [--format F] [--shard I/N] [--max-runs N]`:
 * prints the runs each sweep expands to (or its name, for scripts), training nothing and
 * writing nothing.  Config errors exit 2 with every error of every file listed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "cmd_sweep.h"
#include "commands.h"
#include "pack.h"
#include "plan_time.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: optsweep plan FILE... [--set KEY=VALUE]... [--format table|tsv|json|ids]\n"
            "                             [--shard I/N] [--only PATTERN]... [--max-runs N]\n"
            "                             [--sweep-name]\n"
            "\n"
            "Prints every run the sweep FILE expands to, in the order `optsweep run` trains\n"
            "them (cases outer, grid inner, the last grid axis fastest): its run id, its case,\n"
            "the value of each key that differs between runs, its pack (runs with the same\n"
            "model shape, batch size and data train together, in one pass: train.pack) and\n"
            "its cost (epochs x batches per epoch) and, in the table, an estimate of its\n"
            "training time, with the totals.  Nothing is trained or written.  Several files\n"
            "(optsweep plan configs/*.yaml) print one plan after the other (table and ids).\n"
            "\n"
            "  --set KEY=VALUE   override a setting for every run (-s for short), e.g.\n"
            "                    --set train.epochs=1; a list adds or replaces a grid axis:\n"
            "                    --set 'optimizer.lr=[0.1, 0.01]'  (repeatable; the last wins)\n"
            "  --format F        table (default), tsv (header, then one run per line, run id\n"
            "                    first), json (every resolved setting of every run), ids\n"
            "  --shard I/N       only the runs whose position mod N is I (default: from\n"
            "                    SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT when set)\n"
            "  --only PATTERN    only the runs it matches (repeatable: any of them): a run id,\n"
            "                    a case name or a glob ('adam-*'), or KEY=VALUE\n"
            "                    (optimizer.name=adam, optimizer.lr=0.01, train.seed='[12]')\n"
            "  --max-runs N      allow up to N runs (default 10000)\n"
            "  --results DIR     where to look for finished runs to estimate times from\n"
            "                    (default: results; else a short calibration here)\n"
            "  --sweep-name      print the sweep's name (its folder under results/) and exit\n"
            "\n"
            "Exit status: 0 ok, 2 a usage or sweep-file error (all errors are listed).\n");
}

int cmd_plan(int argc, char **argv)
{
    static const char *const options[] = {"--set", "--format", "--shard", "--max-runs", "--only",
                                          "--results", "--sweep-name", "--help", NULL};
    const char *results = "results";
    cmd_sweep_args a;
    cmd_sweep_args_init(&a);
    plan_format fmt = PLAN_FORMAT_TABLE;
    int name_only = 0, rc = EXIT_USAGE, n_files = 0;
    const char **files = xcalloc((size_t)argc, sizeof *files);
    for (int i = 1; i < argc; i++) {
        int missing, got;
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            rc = EXIT_OK;
            goto out;
        }
        if ((got = cmd_sweep_option(&a, "plan", argc, argv, &i)) < 0) goto out;
        if (got) continue;
        if ((v = cmd_option_value(argc, argv, &i, "--format", &missing))) {
            if (plan_parse_format(v, &fmt) != 0) {
                fprintf(stderr, "optsweep plan: --format: expected table, tsv, json or ids, "
                        "found '%s'\n", v);
                goto out;
            }
        } else if (missing && strcmp(argv[i], "--format") == 0) {
            fprintf(stderr, "optsweep plan: --format needs table, tsv, json or ids\n");
            goto out;
        } else if ((v = cmd_option_value(argc, argv, &i, "--results", &missing))) {
            results = v;
        } else if (missing) {
            fprintf(stderr, "optsweep plan: %s needs a value\n", argv[i]);
            goto out;
        } else if (strcmp(argv[i], "--sweep-name") == 0) {
            name_only = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cmd_unknown_option("plan", argv[i], options);
            goto out;
        } else {
            files[n_files++] = argv[i];
        }
    }
    if (n_files > 1 && (fmt == PLAN_FORMAT_TSV || fmt == PLAN_FORMAT_JSON)) {
        fprintf(stderr, "optsweep plan: --format %s prints one plan: give one sweep file\n",
                fmt == PLAN_FORMAT_TSV ? "tsv" : "json");
        goto out;
    }
    if (n_files == 0) {
        fprintf(stderr, "optsweep plan: which sweep file? (e.g. optsweep plan configs/quick.yaml)\n");
        usage(stderr);
        goto out;
    }
    rc = EXIT_OK;
    for (int f = 0; f < n_files; f++) {
        plan full, shard;
        a.file = files[f];
        int frc = cmd_sweep_plan(&a, "plan", !name_only, &full, &shard);
        if (frc != EXIT_OK) {
            rc = frc; /* the other files are still checked and printed */
            continue;
        }
        if (f > 0 && fmt == PLAN_FORMAT_TABLE && !name_only) putchar('\n');
        if (name_only) printf("%s\n", full.name);
        else {
            /* the packs `optsweep run` trains this plan in (one process, no --backend) */
            int *pack_of = xmalloc(sizeof(int) * (size_t)(shard.n_runs ? shard.n_runs : 1));
            unsigned char *on_gpu = xcalloc((size_t)(shard.n_runs ? shard.n_runs : 1), 1);
            pack_backends(&shard, -1, on_gpu);
            pack_partition(&shard, on_gpu, 1, pack_of);
            plan_extras x = {.pack_of = pack_of};
            double *secs = NULL;
            char how[600] = "";
            if (fmt == PLAN_FORMAT_TABLE) { /* for people; scripts do not wait for it */
                char sweep_dir[4096];
                snprintf(sweep_dir, sizeof sweep_dir, "%s/%s", results, shard.name);
                secs = xcalloc((size_t)(shard.n_runs ? shard.n_runs : 1), sizeof *secs);
                plan_time_estimate(&shard, sweep_dir, secs, how, sizeof how);
                x.seconds = secs;
                x.how = how;
            }
            plan_print(&shard, &x, fmt, stdout);
            free(secs);
            free(on_gpu);
            free(pack_of);
        }
        plan_free(&shard);
        plan_free(&full);
    }
    if (fflush(stdout) != 0 && rc == EXIT_OK) rc = EXIT_FAILURE_RUN; /* a full disk, a closed pipe */
out:
    free(files);
    cmd_sweep_args_free(&a);
    return rc;
}
