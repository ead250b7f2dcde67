/* cmd_sweep.c — the sweep options shared by the commands that take a sweep file (--set,
 * --shard, --max-runs), the one path from a file name to a checked, expanded, sharded plan
 * (all errors printed, netplan style, before the command exits 2), and the option parsing
 * helpers every command uses. */
#include "cmd_sweep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "settings_value.h"

void cmd_sweep_args_init(cmd_sweep_args *a)
{
    memset(a, 0, sizeof *a);
    a->shard_count = 1;
}

void cmd_sweep_args_free(cmd_sweep_args *a)
{
    free(a->sets);
    free(a->only);
    memset(a, 0, sizeof *a);
}

const char *cmd_option_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    *missing = 0;
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

void cmd_unknown_option(const char *cmd, const char *arg, const char *const *options)
{
    char typed[64];
    snprintf(typed, sizeof typed, "%.*s", (int)strcspn(arg, "="), arg);
    const char *best = settings_suggest(typed, options);
    fprintf(stderr, "optsweep %s: unknown option '%s'", cmd, typed);
    if (best) fprintf(stderr, " (did you mean '%s'?)", best);
    fputs("; expected one of:", stderr);
    for (int i = 0; options[i]; i++) fprintf(stderr, "%s %s", i ? "," : "", options[i]);
    fprintf(stderr, "\n(optsweep %s --help shows the usage)\n", cmd);
}

int cmd_sweep_option(cmd_sweep_args *a, const char *cmd, int argc, char **argv, int *i)
{
    int missing;
    const char *v;
    const char *opt = argv[*i];
    if ((v = cmd_option_value(argc, argv, i, "--set", &missing)) ||
        (!missing && (v = cmd_option_value(argc, argv, i, "-s", &missing)))) {
        a->sets = xrealloc(a->sets, (size_t)(a->n_sets + 1) * sizeof *a->sets);
        a->sets[a->n_sets++] = v;
        return 1;
    }
    if (missing) {
        fprintf(stderr, "optsweep %s: %s needs KEY=VALUE, like --set optimizer.lr=0.01\n", cmd, opt);
        return -1;
    }
    if ((v = cmd_option_value(argc, argv, i, "--shard", &missing))) {
        char err[256];
        if (plan_parse_shard(v, &a->shard_index, &a->shard_count, err, sizeof err) != 0) {
            fprintf(stderr, "optsweep %s: %s\n", cmd, err);
            return -1;
        }
        a->have_shard = 1;
        return 1;
    }
    if (missing) {
        fprintf(stderr, "optsweep %s: --shard needs I/N, like --shard 0/4\n", cmd);
        return -1;
    }
    if ((v = cmd_option_value(argc, argv, i, "--only", &missing))) {
        char err[256];
        if (plan_only_check(v, err, sizeof err) != 0) {
            fprintf(stderr, "optsweep %s: %s\n", cmd, err);
            return -1;
        }
        a->only = xrealloc(a->only, (size_t)(a->n_only + 1) * sizeof *a->only);
        a->only[a->n_only++] = v;
        return 1;
    }
    if (missing) {
        fprintf(stderr, "optsweep %s: --only needs a pattern, like --only 'adam-*' or --only "
                "optimizer.name=adam\n", cmd);
        return -1;
    }
    if ((v = cmd_option_value(argc, argv, i, "--max-runs", &missing))) {
        long long n;
        if (settings_parse_integer(v, &n) != 0 || n < 1 || n > PLAN_MAX_RUNS) {
            fprintf(stderr, "optsweep %s: --max-runs: expected a positive integer (at most "
                    "%ld: larger sweeps are split into several files), found '%s'\n", cmd,
                    PLAN_MAX_RUNS, v);
            return -1;
        }
        a->max_runs = (long)n;
        return 1;
    }
    if (missing) {
        fprintf(stderr, "optsweep %s: --max-runs needs a number\n", cmd);
        return -1;
    }
    return 0;
}

int cmd_sweep_plan(const cmd_sweep_args *a, const char *cmd, int verbose, plan *full,
                   plan *shard)
{
    sweep sw;
    config_diags d;
    config_diags_init(&d);
    memset(full, 0, sizeof *full);
    memset(shard, 0, sizeof *shard);
    int rc = config_load(&sw, a->file, &d);
    /* --set errors are reported even when the file has errors of its own */
    for (int i = 0; i < a->n_sets; i++)
        if (config_apply_set(&sw, a->sets[i], &d) != 0) rc = -1;
    if (rc == 0) {
        rc = plan_expand(&sw, full, a->max_runs, verbose, &d);
    } else {
        /* every error at once: what the expansion says about keys the file sets (momentum
         * with adam) stands beside the file's own errors; the rest of it could be their echo */
        config_diags more;
        config_diags_init(&more);
        plan scratch;
        memset(&scratch, 0, sizeof scratch);
        plan_expand(&sw, &scratch, a->max_runs, 0, &more);
        plan_free(&scratch);
        config_diags_add_key_errors(&d, &more);
        config_diags_free(&more);
    }
    if (rc != 0) {
        config_diags_print(&d, stderr);
        int n = d.n + d.n_dropped;
        fprintf(stderr, "optsweep %s: %d error%s in %s%s\n", cmd, n, n == 1 ? "" : "s", a->file,
                strcmp(cmd, "plan") == 0 ? "" : "; nothing was run or written");
        plan_free(full);
        config_free(&sw);
        config_diags_free(&d);
        return EXIT_USAGE;
    }
    config_free(&sw);
    config_diags_free(&d);

    int index = 0, count = 1;
    if (a->have_shard) {
        index = a->shard_index;
        count = a->shard_count;
    } else {
        char err[512];
        int env = plan_shard_from_env(&index, &count, err, sizeof err);
        if (env < 0) {
            fprintf(stderr, "optsweep %s: %s\n", cmd, err);
            plan_free(full);
            return EXIT_USAGE;
        }
    }
    plan_shard(full, index, count, shard);
    if (a->n_only > 0) {
        plan_keep_only(shard, a->only, a->n_only);
        if (shard->n_runs == 0) {
            fprintf(stderr, "optsweep %s: --only matches none of the %d runs of %s%s (optsweep "
                    "plan %s lists them)\n", cmd, full->n_runs, a->file,
                    count > 1 ? " in this shard" : "", a->file);
            plan_free(shard);
            plan_free(full);
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}
