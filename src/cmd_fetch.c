/* cmd_fetch.c — `optsweep fetch` (being written in this session; replaced by its owner). */
#include <stdio.h>
#include "commands.h"

int cmd_fetch(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "optsweep: fetch: not built yet\n");
    return 1;
}
