/* cmd_report.c — `optsweep report` (being written in this session; replaced by its owner). */
#include <stdio.h>
#include "commands.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "optsweep: report: not built yet\n");
    return 1;
}
