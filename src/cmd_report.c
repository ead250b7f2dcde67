/* cmd_report.c — `optsweep report results/<sweep> [--no-plots] [--plots-dir DIR] [--out FILE]`:
 * parses the command line and hands it to report_make (report.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "commands.h"
#include "report.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: optsweep report results/<sweep> [--no-plots] [--plots-dir DIR] [--out FILE]\n"
            "\n"
            "Reads the finished run files results/<sweep>/runs/*.h5 and writes\n"
            "  results/<sweep>/summary.md   every run sorted by test accuracy, seed groups\n"
            "                               (mean ± std), the figures\n"
            "  plots/<sweep>/               figures drawn by gnuplot (.png, .svg) with their\n"
            "                               .dat and .gp files\n"
            "\n"
            "  --no-plots       write summary.md only (gnuplot is not needed)\n"
            "  --plots-dir DIR  put the figures in DIR (default: plots/<sweep>)\n"
            "  --out FILE       write the summary to FILE (default: results/<sweep>/summary.md)\n");
}

/* Appends arg to the command text, single-quoted when the shell would split or expand it. */
static void append_quoted(char **cmd, size_t *len, const char *arg)
{
    int plain = *arg != '\0';
    for (const char *c = arg; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    "-_./=:,+@%", *c))
            plain = 0;
    size_t need = *len + 4 * strlen(arg) + 4;
    *cmd = xrealloc(*cmd, need);
    char *p = *cmd + *len;
    *p++ = ' ';
    if (plain) {
        p += sprintf(p, "%s", arg);
    } else {
        *p++ = '\'';
        for (const char *c = arg; *c; c++) {
            if (*c == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *c;
            }
        }
        *p++ = '\'';
        *p = '\0';
    }
    *len = (size_t)(p - *cmd);
}

/* The value of option name at argv[*i]: "--name VALUE" or "--name=VALUE"; NULL when it is
 * not this option.  *missing is set when the value is absent. */
static const char *option_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int cmd_report(int argc, char **argv)
{
    report_options o = {0};
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--no-plots") == 0) {
            o.no_plots = 1;
        } else if ((v = option_value(argc, argv, &i, "--plots-dir", &missing))) {
            o.plots_dir = v;
        } else if ((v = option_value(argc, argv, &i, "--out", &missing))) {
            o.out = v;
        } else if (missing) {
            fprintf(stderr, "optsweep: report: %s needs a value\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "optsweep: report: unknown option %s\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        } else if (o.sweep_dir) {
            fprintf(stderr, "optsweep: report: one sweep directory at a time (got %s and %s)\n",
                    o.sweep_dir, argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        } else {
            o.sweep_dir = argv[i];
        }
    }
    if (!o.sweep_dir) {
        fprintf(stderr, "optsweep: report: which sweep? give its results directory\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if ((o.plots_dir && !*o.plots_dir) || (o.out && !*o.out)) {
        fprintf(stderr, "optsweep: report: --plots-dir and --out need a non-empty value\n");
        return EXIT_USAGE;
    }
    /* the command as typed, for summary.md */
    size_t len = strlen("optsweep");
    char *command = xstrdup("optsweep");
    for (int i = 0; i < argc; i++) append_quoted(&command, &len, argv[i]);
    o.command = command;
    int rc = report_make(&o);
    free(command);
    return rc;
}
