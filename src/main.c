/* main.c — the optsweep binary: --version, --help, and dispatch to a subcommand (commands.h).
 * Everything else lives in the commands; main only sets up and dispatches. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "commands.h"
#include "cpu_kernel.h"
#include "settings_value.h"

#ifndef OPTSWEEP_VERSION
#define OPTSWEEP_VERSION "unknown"
#endif
#ifndef OPTSWEEP_GIT_REV
#define OPTSWEEP_GIT_REV "unknown"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *args, *summary;
} commands[] = {
    {"plan", cmd_plan, "FILE", "print the runs a sweep file expands to (nothing is trained)"},
    {"run", cmd_run, "FILE", "train the runs of a sweep; results go to results/<name>/"},
    {"report", cmd_report, "DIR", "write summary.md and figures for results/<name>"},
    {"status", cmd_status, "DIR", "count done, running and pending runs of results/<name>"},
    {"fetch", cmd_fetch, "NAME", "download a data set (mnist, fashion_mnist) into data/"},
    {"slurm", cmd_slurm, "FILE", "write (and --submit) a SLURM job array for a sweep"},
    {"schedule", cmd_schedule, "[FILE]", "print (and --plot) the lr of a sweep's schedules by step"},
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: optsweep COMMAND [ARGS]   (optsweep COMMAND --help for its options)\n"
               "\n"
               "Hyperparameter sweeps of neural-network optimizers from YAML files.\n"
               "\n"
               "commands:\n");
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-8s %-6s  %s\n", commands[i].name, commands[i].args, commands[i].summary);
    fprintf(f, "\n"
               "options:\n"
               "  --help     this text\n"
               "  --version  the version and git revision of this build\n"
               "\n"
               "example:\n"
               "  optsweep plan configs/quick.yaml\n"
               "  optsweep run configs/quick.yaml --set train.epochs=1\n"
               "  optsweep report results/quick\n");
}

int main(int argc, char **argv)
{
    cpu_kernel_remember_argv(argv); /* `run` may restart itself on a better OpenBLAS kernel */
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        char lib[64], kernel[256], have[128];
        cpu_kernel_library(lib, sizeof lib);
        cpu_kernel_describe_auto(kernel, sizeof kernel);
        cpu_kernel_features(have, sizeof have);
        printf("optsweep %s (git %s)\n", OPTSWEEP_VERSION, OPTSWEEP_GIT_REV);
        printf("CPU backend: %s, kernel %s\n", lib, kernel);
        printf("CPU: %s\n", have);
        return EXIT_OK;
    }
    /* `optsweep help plan` is `optsweep plan --help` */
    if (strcmp(cmd, "help") == 0) {
        if (argc == 2) {
            usage(stdout);
            return EXIT_OK;
        }
        for (int i = 0; i < N_COMMANDS; i++)
            if (strcmp(argv[2], commands[i].name) == 0) {
                char help[] = "--help";
                char *args[] = {argv[2], help, NULL};
                return commands[i].run(2, args);
            }
        cmd = argv[2];
    } else {
        for (int i = 0; i < N_COMMANDS; i++)
            if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    }
    const char *names[N_COMMANDS + 1];
    for (int i = 0; i < N_COMMANDS; i++) names[i] = commands[i].name;
    names[N_COMMANDS] = NULL;
    const char *best = settings_suggest(cmd, names);
    if (cmd[0] == '-') fprintf(stderr, "optsweep: unknown option '%s'", cmd);
    else fprintf(stderr, "optsweep: unknown command '%s'", cmd);
    if (best) fprintf(stderr, " (did you mean '%s'?)", best);
    fputs("; expected one of:", stderr);
    for (int i = 0; i < N_COMMANDS; i++) fprintf(stderr, " %s,", commands[i].name);
    fputs(" --help, --version\n", stderr);
    return EXIT_USAGE;
}
