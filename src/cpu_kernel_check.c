/* cpu_kernel_check.c — a kernel optsweep chose must compute right here before anything trains
 * on it: a few small sgemm calls in the three forms the CPU backend makes (A B^T forward,
 * A^T B weight gradient, A B input gradient), with edge tiles in every dimension, on
 * small-integer inputs whose products and sums are exact in float, against a plain loop.  An
 * illegal instruction (a kernel the CPU cannot run after all) fails the check instead of
 * killing the process.  The tests prove the tested kernels on the machines they run on; this
 * guards the machines they never ran on. */
#include "cpu_kernel.h"

#include <cblas.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sigjmp_buf escape;

static void on_fault(int sig) { siglongjmp(escape, sig); }

/* x[i] in -8..7, from i: exact products (at most 64) and sums (at most 211 * 64). */
static void fill(float *x, int n, int salt)
{
    for (int i = 0; i < n; i++)
        x[i] = (float)((i * 37 + salt * 11) % 16 - 8);
}

/* C = op(A) op(B) for row-major A, B with the shapes the transposes give; 0 when exact. */
static int one_case(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float *a,
                    float *b, float *c)
{
    fill(a, m * k, 1);
    fill(b, k * n, 2);
    const int lda = ta == CblasNoTrans ? k : m, ldb = tb == CblasNoTrans ? n : k;
    memset(c, 0, sizeof(float) * (size_t)m * (size_t)n);
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double want = 0;
            for (int p = 0; p < k; p++) {
                const float av = ta == CblasNoTrans ? a[i * lda + p] : a[p * lda + i];
                const float bv = tb == CblasNoTrans ? b[p * ldb + j] : b[j * ldb + p];
                want += (double)av * bv;
            }
            if ((double)c[i * n + j] != want) return -1;
        }
    return 0;
}

int cpu_kernel_self_check(char *why, size_t n)
{
    enum { M = 67, N = 133, K = 211 }; /* no tile of any kernel divides them */
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N),
          *c = malloc(sizeof(float) * M * N);
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        snprintf(why, n, "out of memory");
        return -1;
    }
    struct sigaction act, old_ill, old_segv, old_bus;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_fault;
    sigemptyset(&act.sa_mask);
    sigaction(SIGILL, &act, &old_ill);
    sigaction(SIGSEGV, &act, &old_segv);
    sigaction(SIGBUS, &act, &old_bus);
    /* on this thread only: a fault in one of OpenBLAS's workers could not be caught */
    const int threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    int rc = 0;
    const int sig = sigsetjmp(escape, 1);
    if (sig != 0) {
        snprintf(why, n, "%s in sgemm", sig == SIGILL ? "an illegal instruction"
                                        : sig == SIGSEGV ? "a segmentation fault" : "a bus error");
        rc = -1;
    } else if (one_case(CblasNoTrans, CblasTrans, M, N, K, a, b, c) != 0
               || one_case(CblasTrans, CblasNoTrans, M, N, K, a, b, c) != 0
               || one_case(CblasNoTrans, CblasNoTrans, M, N, K, a, b, c) != 0) {
        snprintf(why, n, "wrong sgemm results");
        rc = -1;
    }
    openblas_set_num_threads(threads);
    sigaction(SIGILL, &old_ill, NULL);
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    free(a);
    free(b);
    free(c);
    return rc;
}
