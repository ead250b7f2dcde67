/* slurm.h — the SLURM side of `optsweep slurm` (cmd_slurm.c): the two batch scripts, a job
 * array whose task i trains shard i/N of a sweep (array.sbatch) and the dependent job that
 * runs the report (report.sbatch), written by slurm_script.c (shell words quoted by quote.h);
 * SLURM's time syntax; submitting with sbatch (slurm_sbatch.c).  Knows nothing of plans. */
#ifndef OPTSWEEP_SLURM_H
#define OPTSWEEP_SLURM_H

#include <stddef.h>
#include <stdio.h>

/* Exit status of `optsweep run` stopped by SIGUSR1 (128 + 10): the script requeues itself. */
#define SLURM_EXIT_USR1 138

/* Everything the scripts say.  Paths are absolute; optional fields are NULL (or 0) when unset. */
typedef struct {
    const char *sweep_name;
    int n_runs;                 /* runs in the whole plan (for the header comment) */
    int tasks;                  /* N: array 0..N-1, each over the whole plan */
    const char *partition;
    long time_seconds;          /* parsed --time; -1 when unset */
    const char *gpus_per_task;
    const char *cpus_per_task;
    const char *mem;
    const char *const *sets;    /* (n_sets) "KEY=VALUE", passed to optsweep run as --set */
    int n_sets;
    const char *const *sbatch_args; /* (n_sbatch_args) extra #SBATCH lines of both scripts */
    int n_sbatch_args;
    const char *const *setup;   /* (n_setup) shell lines both scripts run before optsweep */
    int n_setup;
    long max_runs;              /* passed as --max-runs when > 0 */
    const char *binary;         /* the optsweep executable */
    const char *sweep_file;     /* the copy of the sweep file under slurm/ */
    const char *results_dir;    /* --results of optsweep run */
    const char *sweep_dir;      /* results_dir/<sweep> */
    const char *logs_dir;       /* sweep_dir/slurm/logs */
    const char *workdir;        /* --chdir: where `optsweep slurm` ran, for relative paths */
    const char *command_line;   /* the `optsweep slurm ...` that generated the scripts */
    int rungs;                  /* search.halving: rungs of the first bracket (one array per
                                 * rung); 0 or 1 without */
} slurm_spec;

/* Parses SLURM's --time syntax (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) into
 * seconds.  Returns 0, or -1 for anything else (INFINITE included: give no --time then). */
int slurm_parse_time(const char *text, long *seconds);

/* Seconds before the time limit at which SLURM should send SIGUSR1 (--signal=B:USR1@s):
 * enough to finish a step and write a checkpoint although slurmctld checks limits only about
 * every 30 s, and at most half the limit.  time_seconds < 0 (no --time): 300. */
long slurm_signal_lead(long time_seconds);

/* 1 when path can go on an #SBATCH line (no double quote, no line break), else 0: checked
 * before anything is written, so such a path is a usage error that leaves nothing behind. */
int slurm_path_ok(const char *path);
/* Write the scripts to `path` atomically.  0, or -1 with a message in err. */
int slurm_write_array_script(const slurm_spec *spec, const char *path, char *err,
                             size_t errlen);
int slurm_write_report_script(const slurm_spec *spec, const char *path, char *err,
                              size_t errlen);

/* Runs `sbatch --parsable [--dependency=afterany:<after>] script` (after may be NULL) and puts
 * the new job's id in job_id.  sbatch's own messages go to our stderr.  0, or -1 with a
 * message in err (sbatch missing, failed, or printed no job id). */
int slurm_sbatch(const char *script, const char *after, char *job_id, size_t n, char *err,
                 size_t errlen);
/* The same with one argument for the script after its path (arg may be NULL). */
int slurm_sbatch_arg(const char *script, const char *arg, const char *after, char *job_id,
                     size_t n, char *err, size_t errlen);
/* search.halving: the array once per rung, `sbatch array.sbatch K` (its tasks run
 * --until-rung K) for K = 1 .. rungs - 1 and without K for the last, each after the previous
 * one has ended (afterany); prints each job id; the last one's id into last_id. */
int slurm_submit_rungs(const char *array_script, int rungs, char *last_id, size_t n, char *err,
                       size_t errlen);

#endif
