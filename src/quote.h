/* quote.h — quoting strings into the text files optsweep writes: JSON strings (`plan --format
 * json`, plan.json), which are also valid YAML double-quoted scalars (a run's settings_yaml),
 * and shell words (the SLURM scripts, the command line summary.md shows). */
#ifndef OPTSWEEP_QUOTE_H
#define OPTSWEEP_QUOTE_H

#include <stdio.h>

/* Writes s between double quotes: " and \ escaped, \n and \t as such, other control
 * characters as \u00XX; every other byte (UTF-8 included) as it is. */
void quote_json(FILE *f, const char *s);

/* Writes s as one shell word: as it is when it holds only characters no shell treats
 * specially ([A-Za-z0-9_./:=,+-@%]), else single-quoted ('it'\''s'). */
void quote_shell(FILE *f, const char *s);

/* quote_shell into a new string (malloc'd), for messages that hint a command. */
char *quote_shell_text(const char *s);

/* "optsweep ARG..." for the subcommand's argv (argv[0] is the subcommand's name), each
 * argument a shell word (quote_shell): the command as typed, for the files that record it
 * (summary.md, the SLURM scripts).  malloc'd. */
char *quote_command_line(int argc, char **argv);

#endif
