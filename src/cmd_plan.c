/* cmd_plan.c — `optsweep plan FILE [--set K=V]... [--format F] [--shard I/N] [--max-runs N]`:
 * prints the runs a sweep expands to (or its name, for scripts), training nothing and writing
 * nothing.  Config errors exit 2 with every error of the file listed. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cmd_sweep.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: optsweep plan FILE [--set KEY=VALUE]... [--format table|tsv|json|ids]\n"
            "                          [--shard I/N] [--max-runs N] [--sweep-name]\n"
            "\n"
            "Prints every run the sweep FILE expands to, in the order `optsweep run` trains\n"
            "them (cases outer, grid inner, the last grid axis fastest): its run id, its case,\n"
            "the value of each key that differs between runs, and its cost (epochs x batches\n"
            "per epoch), with the total.  Nothing is trained or written.\n"
            "\n"
            "  --set KEY=VALUE   override a setting for every run (-s for short), e.g.\n"
            "                    --set train.epochs=1; a list adds or replaces a grid axis:\n"
            "                    --set 'optimizer.lr=[0.1, 0.01]'  (repeatable; the last wins)\n"
            "  --format F        table (default), tsv (header, then one run per line, run id\n"
            "                    first), json (every resolved setting of every run), ids\n"
            "  --shard I/N       only the runs whose position mod N is I (default: from\n"
            "                    SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT when set)\n"
            "  --max-runs N      allow up to N runs (default 10000)\n"
            "  --sweep-name      print the sweep's name (its folder under results/) and exit\n"
            "\n"
            "Exit status: 0 ok, 2 a usage or sweep-file error (all errors are listed).\n");
}

int cmd_plan(int argc, char **argv)
{
    static const char *const options[] = {"--set", "--format", "--shard", "--max-runs",
                                          "--sweep-name", "--help", NULL};
    cmd_sweep_args a;
    cmd_sweep_args_init(&a);
    plan_format fmt = PLAN_FORMAT_TABLE;
    int name_only = 0, rc = EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        int missing, got;
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            cmd_sweep_args_free(&a);
            return EXIT_OK;
        }
        if ((got = cmd_sweep_option(&a, "plan", argc, argv, &i)) < 0) goto out;
        if (got) continue;
        if ((v = cmd_option_value(argc, argv, &i, "--format", &missing))) {
            if (plan_parse_format(v, &fmt) != 0) {
                fprintf(stderr, "optsweep plan: --format: expected table, tsv, json or ids, "
                        "found '%s'\n", v);
                goto out;
            }
        } else if (missing) {
            fprintf(stderr, "optsweep plan: --format needs table, tsv, json or ids\n");
            goto out;
        } else if (strcmp(argv[i], "--sweep-name") == 0) {
            name_only = 1;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cmd_unknown_option("plan", argv[i], options);
            goto out;
        } else if (a.file) {
            fprintf(stderr, "optsweep plan: one sweep file at a time (got '%s' and '%s')\n",
                    a.file, argv[i]);
            goto out;
        } else {
            a.file = argv[i];
        }
    }
    if (!a.file) {
        fprintf(stderr, "optsweep plan: which sweep file? (e.g. optsweep plan configs/quick.yaml)\n");
        usage(stderr);
        goto out;
    }
    plan full, shard;
    rc = cmd_sweep_plan(&a, "plan", !name_only, &full, &shard);
    if (rc == EXIT_OK) {
        if (name_only) printf("%s\n", full.name);
        else plan_print(&shard, fmt, stdout);
        plan_free(&shard);
        plan_free(&full);
        if (fflush(stdout) != 0) rc = EXIT_FAILURE_RUN; /* e.g. a full disk or a closed pipe */
    }
out:
    cmd_sweep_args_free(&a);
    return rc;
}
