/* cpu_kernel.c — choosing OpenBLAS's kernel (cpu_kernel.h): what the CPU supports (cpuid and
 * the OS's saved-state mask), how good OpenBLAS's own pick is, and the restart with
 * OPENBLAS_CORETYPE when a better tested kernel fits.  The tested kernels are the ones the
 * PyTorch reference, engine, numerics and parity tests run under (tests/kernels/): no other
 * kernel is ever chosen. */
#include "cpu_kernel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define CPU_KERNEL_X86 1
#endif

/* OpenBLAS (any build): the kernel in use, by the name OPENBLAS_CORETYPE takes, and the
 * build's description. */
char *openblas_get_corename(void);
char *openblas_get_config(void);

/* What a kernel needs from the CPU (cpuid) and the OS (XCR0 saves that register state). */
enum {
    NEED_SSE3 = 1 << 0,
    NEED_AVX2_FMA = 1 << 1,  /* AVX2, FMA, OS saves YMM */
    NEED_AVX512 = 1 << 2,    /* AVX-512 F CD BW DQ VL, OS saves ZMM and opmasks */
    NEED_BF16 = 1 << 3,      /* AVX512_BF16 */
};

/* How capable a kernel is: a pick below the best supported tier is replaced by `auto`. */
enum { TIER_SSE, TIER_AVX, TIER_AVX2, TIER_AVX512, TIER_BF16, TIER_NEWER };

/* The tested kernels, worst to best, in train.cpu_kernel's order after auto and openblas
 * (settings.h cpu_kernel_kind). */
static const struct {
    const char *name;
    unsigned needs;
    int tier;
} kernels[] = {
    {"Prescott", NEED_SSE3, TIER_SSE},
    {"Haswell", NEED_SSE3 | NEED_AVX2_FMA, TIER_AVX2},
    {"SkylakeX", NEED_SSE3 | NEED_AVX2_FMA | NEED_AVX512, TIER_AVX512},
    {"Cooperlake", NEED_SSE3 | NEED_AVX2_FMA | NEED_AVX512 | NEED_BF16, TIER_BF16},
};
#define N_KERNELS ((int)(sizeof kernels / sizeof kernels[0]))
_Static_assert(CPU_KERNEL_COOPERLAKE - CPU_KERNEL_PRESCOTT + 1 == N_KERNELS,
               "train.cpu_kernel's names follow the kernel table");

/* OpenBLAS's other x86 core names above the SSE tier (the rest, Core2, Nehalem, Atom, ...,
 * run SSE kernels). */
static const struct {
    const char *name;
    int tier;
} openblas_tiers[] = {
    {"Sandybridge", TIER_AVX}, {"Bulldozer", TIER_AVX}, {"Piledriver", TIER_AVX},
    {"Steamroller", TIER_AVX}, {"Excavator", TIER_AVX}, {"Haswell", TIER_AVX2},
    {"Zen", TIER_AVX2}, {"SkylakeX", TIER_AVX512}, {"Cooperlake", TIER_BF16},
    {"SapphireRapids", TIER_NEWER},
};

/* The environment optsweep leaves for its restarted self: "NAME|DETECTED|WHY". */
#define MARKER_ENV "OPTSWEEP_CPU_KERNEL"
#define RESTARTED_ENV "OPTSWEEP_CPU_KERNEL_RESTARTED"
/* kernels that failed cpu_kernel_self_check in this command: auto passes them over */
#define FAILED_ENV "OPTSWEEP_CPU_KERNEL_FAILED"

static char **saved_argv;

void cpu_kernel_remember_argv(char **argv) { saved_argv = argv; }

int cpu_kernel_restarted(void) { return getenv(RESTARTED_ENV) != NULL; }

static unsigned cpu_features(void)
{
    unsigned have = 0;
#ifdef CPU_KERNEL_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (c & (1u << 0)) have |= NEED_SSE3;
    const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    unsigned long long xcr0 = 0;
    if (osxsave) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = ((unsigned long long)hi << 32) | lo;
    }
    const int os_ymm = (xcr0 & 0x6) == 0x6, os_zmm = (xcr0 & 0xe6) == 0xe6;
    if (__get_cpuid_max(0, NULL) < 7) return have;
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned avx512 = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    if (avx && fma && os_ymm && (b & (1u << 5))) have |= NEED_AVX2_FMA;
    if (os_zmm && (b & avx512) == avx512) have |= NEED_AVX512;
    __cpuid_count(7, 1, a, b, c, d);
    if (a & (1u << 5)) have |= NEED_BF16;
#endif
    return have;
}

void cpu_kernel_features(char *buf, size_t n)
{
    const unsigned have = cpu_features();
    snprintf(buf, n, "%s%s%s%s", have & NEED_AVX512 ? "AVX-512 (F CD BW DQ VL), " : "",
             have & NEED_BF16 ? "AVX512_BF16, " : "", have & NEED_AVX2_FMA ? "AVX2, FMA, " : "",
             have & NEED_SSE3 ? "SSE3" : "none of SSE3, AVX2, AVX-512");
}

int cpu_kernel_count(void) { return N_KERNELS; }
const char *cpu_kernel_name(int i) { return i >= 0 && i < N_KERNELS ? kernels[i].name : "?"; }

int cpu_kernel_supported(int i)
{
    if (i < 0 || i >= N_KERNELS) return 0;
    return (cpu_features() & kernels[i].needs) == kernels[i].needs;
}

int cpu_kernel_find(const char *name)
{
    for (int i = 0; i < N_KERNELS; i++)
        if (strcasecmp(name, kernels[i].name) == 0) return i;
    return -1;
}

int cpu_kernel_best(void)
{
    for (int i = N_KERNELS - 1; i >= 0; i--)
        if (cpu_kernel_supported(i)) return i;
    return -1;
}

/* The tier of an OpenBLAS core name; -1 for names that are not x86 (never replaced). */
static int tier_of(const char *core)
{
    for (size_t i = 0; i < sizeof openblas_tiers / sizeof openblas_tiers[0]; i++)
        if (strcasecmp(core, openblas_tiers[i].name) == 0) return openblas_tiers[i].tier;
#ifdef CPU_KERNEL_X86
    return TIER_SSE;
#else
    return -1;
#endif
}

void cpu_kernel_library(char *buf, size_t n)
{
    const char *cfg = openblas_get_config();
    int words = 0, len = 0;
    while (cfg[len] && !(cfg[len] == ' ' && ++words == 2))
        len++;
    snprintf(buf, n, "%.*s", len, cfg);
}

const char *cpu_kernel_active(void)
{
    const char *core = openblas_get_corename();
    return core && core[0] ? core : "unknown";
}

/* Our own marker, when the environment's OPENBLAS_CORETYPE was put there by optsweep: the
 * kernel, OpenBLAS's own pick (detected) and why (fields cut to fit). */
typedef struct {
    char name[32], detected[32], why[160];
} marker;

static int read_marker(marker *m)
{
    const char *env = getenv("OPENBLAS_CORETYPE"), *s = getenv(MARKER_ENV);
    if (!env || !s) return 0;
    const char *bar1 = strchr(s, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (!bar2) return 0;
    snprintf(m->name, sizeof m->name, "%.*s", (int)(bar1 - s), s);
    snprintf(m->detected, sizeof m->detected, "%.*s", (int)(bar2 - bar1 - 1), bar1 + 1);
    snprintf(m->why, sizeof m->why, "%s", bar2 + 1);
    return strcasecmp(m->name, env) == 0; /* else the user changed it since: theirs */
}

void cpu_kernel_describe(char *buf, size_t n)
{
    const char *active = cpu_kernel_active(), *env = getenv("OPENBLAS_CORETYPE");
    marker m;
    if (read_marker(&m) && strcasecmp(m.name, active) == 0)
        snprintf(buf, n, "%s, %s", active, m.why);
    else if (env && env[0] && strcasecmp(env, active) != 0)
        snprintf(buf, n, "%s (OpenBLAS did not take OPENBLAS_CORETYPE=%s)", active, env);
    else if (env && env[0])
        snprintf(buf, n, "%s, set by OPENBLAS_CORETYPE", active);
    else
        snprintf(buf, n, "%s, OpenBLAS's choice", active);
}

/* 1 when kernel k failed its self-check earlier in this command (FAILED_ENV). */
static int failed_here(int k)
{
    const char *failed = getenv(FAILED_ENV);
    return failed && strcasecmp(failed, kernels[k].name) == 0;
}

/* auto: the best supported tested kernel when OpenBLAS's pick is below it, else -1 (keep). */
static int auto_choice(const char *detected)
{
    const int best = cpu_kernel_best(), tier = tier_of(detected);
    return best >= 0 && tier >= 0 && tier < kernels[best].tier && !failed_here(best) ? best : -1;
}

void cpu_kernel_describe_auto(char *buf, size_t n)
{
    const char *env = getenv("OPENBLAS_CORETYPE");
    marker m;
    const int ours = read_marker(&m);
    if (env && env[0] && !ours) {
        snprintf(buf, n, "%s (OPENBLAS_CORETYPE=%s is set: optsweep respects it)",
                 cpu_kernel_active(), env);
        return;
    }
    const char *detected = ours ? m.detected : cpu_kernel_active();
    const int k = auto_choice(detected);
    if (k >= 0)
        snprintf(buf, n, "%s (chosen by optsweep: OpenBLAS detects %s)", kernels[k].name,
                 detected);
    else
        snprintf(buf, n, "%s (OpenBLAS's choice, the best tested kernel for this CPU)", detected);
}

/* OPENBLAS_CORETYPE=name and its marker (why optsweep set it) for this process and the ones
 * it starts; name NULL: both unset (OpenBLAS's own pick). */
static void set_marker(const char *name, const char *detected, const char *why)
{
    if (!name) {
        unsetenv("OPENBLAS_CORETYPE");
        unsetenv(MARKER_ENV);
        return;
    }
    char mark[256];
    snprintf(mark, sizeof mark, "%s|%s|%s", name, detected, why);
    setenv("OPENBLAS_CORETYPE", name, 1);
    setenv(MARKER_ENV, mark, 1);
}

/* Starts this command again with OPENBLAS_CORETYPE=name (NULL: unset), so that OpenBLAS loads
 * with that kernel.  Returns only when that cannot be done (a note is printed). */
static void restart(const char *name, const char *detected, const char *why)
{
    if (getenv(RESTARTED_ENV)) {
        fprintf(stderr, "optsweep: note: OpenBLAS did not switch to the %s kernel (it answers "
                "%s); training on %s\n", name ? name : "default", cpu_kernel_active(),
                cpu_kernel_active());
        return;
    }
    if (!saved_argv) return;
    set_marker(name, detected, why);
    setenv(RESTARTED_ENV, "1", 1);
    fflush(stdout);
    fflush(stderr);
    execv("/proc/self/exe", saved_argv);
    int e = errno;
    set_marker(NULL, NULL, NULL);
    fprintf(stderr, "optsweep: note: cannot restart with the %s kernel (/proc/self/exe: %s); "
            "training on %s\n", name ? name : "default", strerror(e), cpu_kernel_active());
}

/* Marks the kernel loaded now as optsweep's pick, for the description and for child
 * processes (a --jobs worker, a restarted command), without restarting. */
static void mark_current(const char *detected, const char *why)
{
    set_marker(cpu_kernel_active(), detected, why);
}

static int apply(cpu_kernel_kind wanted, char *err, size_t errlen);

int cpu_kernel_apply(cpu_kernel_kind wanted, char *err, size_t errlen)
{
    int rc = apply(wanted, err, errlen);
    unsetenv(RESTARTED_ENV);
    return rc;
}

static int apply(cpu_kernel_kind wanted, char *err, size_t errlen)
{
    const char *env = getenv("OPENBLAS_CORETYPE"), *active = cpu_kernel_active();
    marker m;
    const int ours = read_marker(&m);
    int k = wanted >= CPU_KERNEL_PRESCOTT ? (int)(wanted - CPU_KERNEL_PRESCOTT) : -1;
    if (k >= 0 && !cpu_kernel_supported(k)) {
        char have[128];
        cpu_kernel_features(have, sizeof have);
        snprintf(err, errlen, "train.cpu_kernel: %s needs %s, which this CPU does not have "
                 "(it has: %s)", kernels[k].name,
                 kernels[k].needs & NEED_BF16 ? "AVX-512 (F CD BW DQ VL) with AVX512_BF16"
                 : kernels[k].needs & NEED_AVX512 ? "AVX-512 (F CD BW DQ VL)"
                 : kernels[k].needs & NEED_AVX2_FMA ? "AVX2 and FMA" : "SSE3", have);
        return -1;
    }
    if (env && env[0] && !ours) {
        /* the user's or the machine's: respected, never overridden */
        if (k >= 0 && strcasecmp(kernels[k].name, active) != 0)
            fprintf(stderr, "optsweep: note: train.cpu_kernel %s not applied: "
                    "OPENBLAS_CORETYPE=%s is set and respected (unset it to let the sweep "
                    "choose); training on %s\n", kernels[k].name, env, active);
        return 0;
    }
    const char *detected = ours ? m.detected : active;
    const char *why = "set by train.cpu_kernel";
    if (wanted == CPU_KERNEL_AUTO) {
        k = auto_choice(detected);
        why = "chosen by optsweep: OpenBLAS detected ";
    }
    char because[160];
    snprintf(because, sizeof because, "%s%s", why, wanted == CPU_KERNEL_AUTO ? detected : "");
    if (k < 0) { /* OpenBLAS's own pick */
        if (ours) restart(NULL, detected, "");
        return 0;
    }
    if (strcasecmp(kernels[k].name, active) == 0) {
        char why_bad[96];
        if (ours && cpu_kernel_restarted() && cpu_kernel_self_check(why_bad, sizeof why_bad) != 0) {
            /* the kernel we restarted on does not compute right here */
            if (wanted != CPU_KERNEL_AUTO) {
                snprintf(err, errlen, "train.cpu_kernel: OpenBLAS's %s kernel fails its check on "
                         "this CPU (%s)", kernels[k].name, why_bad);
                return -1;
            }
            fprintf(stderr, "optsweep: note: OpenBLAS's %s kernel fails its check on this CPU "
                    "(%s); training on OpenBLAS's own choice, %s\n", kernels[k].name, why_bad,
                    detected);
            setenv(FAILED_ENV, kernels[k].name, 1);
            unsetenv(RESTARTED_ENV); /* a restart of its own, not a loop */
            restart(NULL, detected, "");
            return 0;
        }
        if (!ours || strcmp(m.why, because) != 0) mark_current(detected, because);
        return 0;
    }
    restart(kernels[k].name, detected, because);
    return 0;
}
