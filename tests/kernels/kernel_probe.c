/* kernel_probe.c — for tests/kernels: `kernel_probe NAME` exits 77 (skipped) when this CPU
 * cannot run the OpenBLAS kernel NAME (one of cpu_kernel.h's tested kernels), 0 when OpenBLAS
 * in this process runs it (start it with OPENBLAS_CORETYPE=NAME) and it passes optsweep's
 * self-check (cpu_kernel_self_check), 1 otherwise, so that a test said to run under a kernel
 * never silently runs under another. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cpu_kernel.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: kernel_probe NAME\n");
        return 2;
    }
    int k = cpu_kernel_find(argv[1]);
    if (k < 0) {
        fprintf(stderr, "kernel_probe: %s is not one of optsweep's tested kernels\n", argv[1]);
        return 2;
    }
    if (!cpu_kernel_supported(k)) {
        char have[128];
        cpu_kernel_features(have, sizeof have);
        printf("skipped: this CPU cannot run the %s kernel (it has: %s)\n", cpu_kernel_name(k),
               have);
        return 77;
    }
    if (strcasecmp(cpu_kernel_active(), cpu_kernel_name(k)) != 0) {
        fprintf(stderr, "kernel_probe: OpenBLAS runs %s, not %s (is OPENBLAS_CORETYPE=%s "
                "set?)\n", cpu_kernel_active(), cpu_kernel_name(k), cpu_kernel_name(k));
        return 1;
    }
    char why[96];
    if (cpu_kernel_self_check(why, sizeof why) != 0) {
        fprintf(stderr, "kernel_probe: the %s kernel fails its self-check: %s\n",
                cpu_kernel_name(k), why);
        return 1;
    }
    return 0;
}
