/* cmd_report.c — `optsweep report results/<sweep> [--no-plots] [--plots-dir DIR] [--out FILE]`:
 * parses the command line and hands it to report_make (report.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plan.h"
#include "cmd_sweep.h"
#include "commands.h"
#include "quote.h"
#include "report.h"
#include "settings.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: optsweep report results/<sweep> [--no-plots] [--plots-dir DIR] [--out FILE]\n"
            "\n"
            "Reads the finished run files results/<sweep>/runs/*.h5 and writes\n"
            "  results/<sweep>/summary.md   runs and seed groups (mean ± std) ranked by the\n"
            "                               selection metric on validation, the figures (past\n"
            "                               40 runs: the best 20)\n"
            "  results/<sweep>/runs.csv     every run: every setting and result (RFC 4180)\n"
            "  plots/<sweep>/               figures drawn by gnuplot (.png, .svg) with their\n"
            "                               .dat and .gp files\n"
            "\n"
            "  --no-plots       write summary.md only (gnuplot is not needed)\n"
            "  --plots-dir DIR  put the figures in DIR (default: plots/<sweep>)\n"
            "  --out FILE       write the summary to FILE (default: results/<sweep>/summary.md)\n"
            "  --select METRIC  val_acc or val_loss: what summary.md ranks runs and chooses\n"
            "                   each case's setting on (never the test set); default: the\n"
            "                   sweep file's report.select, else val_acc\n"
            "  --only PATTERN   only the runs it matches (repeatable: any): a run id, a case\n"
            "                   name or a glob ('adam-*'), or KEY=VALUE (optimizer.name=adam);\n"
            "                   with --out and --plots-dir, a report of part of a sweep beside\n"
            "                   the whole one\n");
}

int cmd_report(int argc, char **argv)
{
    report_options o = {.select = -1};
    const char **only = xcalloc((size_t)argc, sizeof *only);
    int rc = EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            rc = EXIT_OK;
            goto out;
        } else if (strcmp(argv[i], "--no-plots") == 0) {
            o.no_plots = 1;
        } else if ((v = cmd_option_value(argc, argv, &i, "--plots-dir", &missing))) {
            o.plots_dir = v;
        } else if (!missing && (v = cmd_option_value(argc, argv, &i, "--out", &missing))) {
            o.out = v;
        } else if (!missing && (v = cmd_option_value(argc, argv, &i, "--select", &missing))) {
            if (strcmp(v, "val_acc") == 0) o.select = SELECT_VAL_ACC;
            else if (strcmp(v, "val_loss") == 0) o.select = SELECT_VAL_LOSS;
            else {
                fprintf(stderr, "optsweep: report: --select: expected val_acc or val_loss, "
                        "found '%s'\n", v);
                goto out;
            }
        } else if (!missing && (v = cmd_option_value(argc, argv, &i, "--only", &missing))) {
            char err[256];
            if (plan_only_check(v, err, sizeof err) != 0) {
                fprintf(stderr, "optsweep: report: %s\n", err);
                goto out;
            }
            only[o.n_only++] = v;
        } else if (missing) {
            fprintf(stderr, "optsweep: report: %s needs a value\n", argv[i]);
            usage(stderr);
            goto out;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "optsweep: report: unknown option %s\n", argv[i]);
            usage(stderr);
            goto out;
        } else if (o.sweep_dir) {
            fprintf(stderr, "optsweep: report: one sweep directory at a time (got %s and %s)\n",
                    o.sweep_dir, argv[i]);
            usage(stderr);
            goto out;
        } else {
            o.sweep_dir = argv[i];
        }
    }
    if (!o.sweep_dir) {
        fprintf(stderr, "optsweep: report: which sweep? give its results directory\n");
        usage(stderr);
        goto out;
    }
    if ((o.plots_dir && !*o.plots_dir) || (o.out && !*o.out)) {
        fprintf(stderr, "optsweep: report: --plots-dir and --out need a non-empty value\n");
        goto out;
    }
    char *command = quote_command_line(argc, argv); /* the command as typed, for summary.md */
    o.command = command;
    o.only = only;
    rc = report_make(&o);
    free(command);
out:
    free(only);
    return rc;
}
