/* cpu_kernel.h — which OpenBLAS kernel (its "core type") the CPU backend trains on.  OpenBLAS
 * picks one when it loads, from the CPU's model number; on CPUs it does not know (cloud VMs
 * that hide the model, newer chips) it falls back to a generic SSE3 kernel (Prescott) that runs
 * several times below the machine.  optsweep compares that pick with what the CPU supports
 * (cpuid) and, when a better kernel from its tested list fits, starts itself again with
 * OPENBLAS_CORETYPE set: the only way to change the kernel, which OpenBLAS reads once at load.
 * A value the user or the machine put in OPENBLAS_CORETYPE is always respected. */
#ifndef OPTSWEEP_CPU_KERNEL_H
#define OPTSWEEP_CPU_KERNEL_H

#include <stddef.h>

#include "settings.h"

/* main: remembers the command line, for cpu_kernel_apply's restart.  Call first. */
void cpu_kernel_remember_argv(char **argv);

/* Makes this process train on the kernel `wanted` asks for (train.cpu_kernel): auto (the
 * best tested kernel the CPU supports, when OpenBLAS picked a worse one), openblas (OpenBLAS's
 * own pick) or a named one.  When that needs another kernel than the one loaded, this execs
 * the same command again with OPENBLAS_CORETYPE set (flush output first; it does not return).
 * Returns 0 when this process is right as it is (or cannot be changed: a note is printed to
 * stderr), -1 with a message in err when a named kernel is not supported by this CPU. */
int cpu_kernel_apply(cpu_kernel_kind wanted, char *err, size_t errlen);

/* 1 in a command that cpu_kernel_apply restarted, until its own cpu_kernel_apply returns
 * (which forgets it, so that commands this one starts decide afresh). */
int cpu_kernel_restarted(void);

/* Checks that the kernel loaded now computes the CPU backend's three GEMM forms exactly on
 * small-integer inputs (cpu_kernel_check.c); an illegal instruction fails the check rather
 * than the process.  Returns 0, or -1 with what went wrong in why. */
int cpu_kernel_self_check(char *why, size_t n);

/* The kernel in use and why: "SkylakeX, chosen by optsweep: OpenBLAS detected Prescott",
 * "Cooperlake, OpenBLAS's choice", "Haswell, set by OPENBLAS_CORETYPE", ... */
void cpu_kernel_describe(char *buf, size_t n);

/* The library and its version: "OpenBLAS 0.3.21" (openblas_get_config's first two words). */
void cpu_kernel_library(char *buf, size_t n);

/* The kernel's name alone ("SkylakeX"): what makes two CPU runs' bits comparable. */
const char *cpu_kernel_active(void);

/* What `train.cpu_kernel: auto` would train on in a fresh process, and why (for --version,
 * which does not restart): "SkylakeX (OpenBLAS would pick Prescott; optsweep chooses
 * SkylakeX)". */
void cpu_kernel_describe_auto(char *buf, size_t n);

/* The tested kernels, best last, by their OpenBLAS names; supported: 1 when this CPU (and
 * its OS) can run it.  For tests and benchmarks. */
int cpu_kernel_count(void);
const char *cpu_kernel_name(int i);
int cpu_kernel_supported(int i);
/* Index of a tested kernel by OpenBLAS name (case-insensitive), -1 if not one. */
int cpu_kernel_find(const char *name);
/* Index of the best tested kernel this CPU supports (-1: none, e.g. not x86-64). */
int cpu_kernel_best(void);
/* What the CPU has, for messages: "AVX-512 (F CD BW DQ VL) BF16, AVX2, FMA, SSE3". */
void cpu_kernel_features(char *buf, size_t n);

#endif
