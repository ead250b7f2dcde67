/* cmd_plan.c — `optsweep plan` (being written in this session; replaced by its owner). */
#include <stdio.h>
#include "commands.h"

int cmd_plan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "optsweep: plan: not built yet\n");
    return 1;
}
