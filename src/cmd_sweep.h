/* cmd_sweep.h — what the commands that take a sweep file share (plan, run, and anything else
 * that needs a plan): the options --set, --shard, --max-runs, and load + expand + shard with
 * every error printed.  Its option parsing helpers ("--opt VALUE" and "--opt=VALUE", unknown
 * options with a suggestion) serve every command. */
#ifndef OPTSWEEP_CMD_SWEEP_H
#define OPTSWEEP_CMD_SWEEP_H

#include "plan.h"

typedef struct {
    const char *file;        /* the sweep file */
    const char **sets;       /* --set KEY=VALUE, in command-line order */
    int n_sets;
    long max_runs;           /* --max-runs, 0 = the default limit */
    int shard_index, shard_count, have_shard; /* --shard I/N */
    const char **only;       /* --only PATTERN (plan_only.c), repeatable: any matches */
    int n_only;
} cmd_sweep_args;

void cmd_sweep_args_init(cmd_sweep_args *a);
void cmd_sweep_args_free(cmd_sweep_args *a);

/* If argv[*i] is one of --set/-s, --shard, --max-runs, --only, consumes it (and its value) into a.
 * Returns 1 when consumed, 0 when it is not one of these, -1 after printing a usage error
 * ("optsweep <cmd>: --shard: expected I/N ..."). */
int cmd_sweep_option(cmd_sweep_args *a, const char *cmd, int argc, char **argv, int *i);

/* "--name VALUE" or "--name=VALUE" at argv[*i]: returns the value (advancing *i past it),
 * NULL when argv[*i] is another option; *missing = 1 when the value is absent. */
const char *cmd_option_value(int argc, char **argv, int *i, const char *name, int *missing);

/* Prints "optsweep <cmd>: unknown option '--x' (did you mean '--y'?); expected one of: ..."
 * with the command's options (a NULL-terminated list). */
void cmd_unknown_option(const char *cmd, const char *arg, const char *const *options);

/* Loads the file, applies --set, expands into *full and (when a shard is asked for, by
 * --shard or by a SLURM array task's environment) keeps that shard in *shard; without a shard
 * *shard is a copy of the full plan.  --only keeps, of *shard, the runs it matches (none is a
 * usage error); *full stays whole.  Prints every error with its source line.  Returns 0,
 * or 2 (the exit code for a config error) with nothing to free. */
int cmd_sweep_plan(const cmd_sweep_args *a, const char *cmd, int verbose, plan *full,
                   plan *shard);

#endif
