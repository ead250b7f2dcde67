/* commands.h — the subcommands of the optsweep binary; main.c dispatches to them.
 * Each takes the arguments after the subcommand name (argv[0] is the subcommand) and returns
 * the process exit code (0 ok, 1 a run or I/O failed, 2 usage or config error). */
#ifndef OPTSWEEP_COMMANDS_H
#define OPTSWEEP_COMMANDS_H

int cmd_plan(int argc, char **argv);   /* cmd_plan.c */
int cmd_run(int argc, char **argv);    /* cmd_run.c */
int cmd_report(int argc, char **argv); /* cmd_report.c */
int cmd_status(int argc, char **argv); /* cmd_status.c */
int cmd_fetch(int argc, char **argv);  /* cmd_fetch.c */
int cmd_slurm(int argc, char **argv);  /* cmd_slurm.c */
int cmd_schedule(int argc, char **argv); /* cmd_schedule.c */

#endif
