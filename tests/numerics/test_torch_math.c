/* test_torch_math.c — src/torch_math.h against torch 1.13, bit for bit
 * (tests/reference/fixtures/torch_math.txt, from gen_reference.py): torch.exp and torch.log
 * on float32 tensors (SLEEF's u10 functions in torch's AVX2 kernels), and cross-entropy rows
 * (log_softmax and the logits' gradient of the mean loss).  Tolerance: NONE — these are the
 * operations whose glibc versions differed from torch's in the last bit and drifted every
 * trajectory the same way (issue #12).
 * Usage: test_torch_math FIXTURE_DIR.  Exit status 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_text.h"
#include "torch_math.h"

enum { MAX_VALUES = 8192, CLASSES = 10 };

static int failures, checks;

static void check_bits(const char *what, long i, float got, float want)
{
    checks++;
    if (memcmp(&got, &want, sizeof got) != 0 && failures++ < 20)
        printf("FAIL %s[%ld]: got %a want %a\n", what, i, got, want);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/torch_math.txt", argv[1]);
    fixture_text t;
    if (fixture_open(&t, path) != 0) return 1;
    static float x[MAX_VALUES], want[MAX_VALUES], lsm[MAX_VALUES], grad[MAX_VALUES];
    long labels[MAX_VALUES / CLASSES];
    int sections = 0;
    const char *record;
    while ((record = fixture_next_record(&t)) != NULL && !t.bad) {
        char type[16]; /* the line buffer is reused by the next record */
        snprintf(type, sizeof type, "%s", record);
        long long n = fixture_int(&t);
        if (strcmp(type, "exp") == 0 || strcmp(type, "log") == 0) {
            if (n < 1 || n > MAX_VALUES) fixture_error(&t, "count");
            if (t.bad) break;
            if (fixture_expect(&t, "x") == 0) fixture_floats_hex(&t, x, (size_t)n);
            if (fixture_expect(&t, "y") == 0) fixture_floats_hex(&t, want, (size_t)n);
            if (t.bad) break;
            for (long i = 0; i < n; i++)
                check_bits(type, i, type[0] == 'e' ? torch_expf(x[i]) : torch_logf(x[i]), want[i]);
        } else if (strcmp(type, "ce") == 0) {
            long long classes = fixture_int(&t);
            if (n < 1 || classes != CLASSES || n * classes > MAX_VALUES) fixture_error(&t, "shape");
            if (t.bad) break;
            const size_t total = (size_t)(n * classes);
            if (fixture_expect(&t, "labels") == 0)
                for (long r = 0; r < n; r++) labels[r] = (long)fixture_int(&t);
            if (fixture_expect(&t, "z") == 0) fixture_floats_hex(&t, x, total);
            if (fixture_expect(&t, "logp") == 0) fixture_floats_hex(&t, lsm, total);
            if (fixture_expect(&t, "grad") == 0) fixture_floats_hex(&t, grad, total);
            for (long r = 0; r < n && !t.bad; r++)
                if (labels[r] < 0 || labels[r] >= CLASSES) fixture_error(&t, "label");
            const float g = -(1.0f / (float)n);
            for (long r = 0; r < n && !t.bad; r++) {
                float dz[CLASSES];
                const float *z = x + r * CLASSES;
                /* every class's log-probability: ask for each one as the label */
                for (int j = 0; j < CLASSES; j++)
                    check_bits("log_softmax", r * CLASSES + j,
                               torch_cross_entropy_row(z, CLASSES, j, g, NULL), lsm[r * CLASSES + j]);
                torch_cross_entropy_row(z, CLASSES, (int)labels[r], g, dz);
                for (int j = 0; j < CLASSES; j++)
                    check_bits("dlogits", r * CLASSES + j, dz[j], grad[r * CLASSES + j]);
            }
        } else {
            fixture_error(&t, "unknown record");
        }
        sections++;
    }
    int bad = t.bad;
    fixture_close(&t);
    printf("torch_math: %d sections, %d values checked, %d differ from torch\n", sections,
           checks, failures);
    return bad || failures || sections < 3 ? 1 : 0;
}
