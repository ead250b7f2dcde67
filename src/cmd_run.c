/* cmd_run.c — `optsweep run` (being written in this session; replaced by its owner). */
#include <stdio.h>
#include "commands.h"

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "optsweep: run: not built yet\n");
    return 1;
}
