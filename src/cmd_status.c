/* cmd_status.c — `optsweep status` (being written in this session; replaced by its owner). */
#include <stdio.h>
#include "commands.h"

int cmd_status(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "optsweep: status: not built yet\n");
    return 1;
}
