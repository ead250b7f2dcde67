/* test_philox.c — src/philox.h/.c: Philox4x32-10 against Random123's known-answer vectors,
 * the output layout (philox_u32) and permutations against tests/reference/gen_reference.py's
 * independent numpy version (fixtures/philox.txt), and philox_permutation's contract: a
 * permutation, keys ascending with ties broken by index, deterministic.  All exact.
 * (That philox_u32 equals curand() after curand_init(seed, stream, n) is checked on a GPU by
 * tests/gpu.)  Usage: test_philox FIXTURE_DIR.  Exit status 1 on any mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_text.h"
#include "philox.h"

static int failures;

static void fail(const char *fmt, const char *what, long long a, long long b)
{
    failures++;
    printf("FAIL ");
    printf(fmt, what, a, b);
    printf("\n");
}

/* Random123 1.14 examples/kat_vectors, "philox4x32 10": counter, key -> output. */
static void test_kat(void)
{
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int v = 0; v < 3; v++) {
        const uint32_t *k = kat[v];
        philox_ctr c = {k[0], k[1], k[2], k[3]};
        philox_ctr r = philox4x32_10(c, k[4], k[5]);
        uint32_t got[4] = {r.x, r.y, r.z, r.w};
        for (int j = 0; j < 4; j++)
            if (got[j] != k[6 + j])
                fail("%s word mismatch: got %llx want %llx", "KAT", got[j], k[6 + j]);
    }
    /* philox_u32's layout: counter (x, y) = n / 4, (z, w) = stream, key = seed, word n % 4.
     * The zero vector is the one KAT a 64-bit n can reach; then a counter with every half
     * distinct, against philox4x32_10 directly. */
    for (int j = 0; j < 4; j++)
        if (philox_u32(0, 0, (uint64_t)j) != kat[0][6 + j])
            fail("%s word %lld: got %llx", "philox_u32 on the zero KAT", j,
                 philox_u32(0, 0, (uint64_t)j));
    uint64_t seed = 0x299f31d0a4093822ull, stream = 0x0370734413198a2eull;
    uint64_t block = 0x05a308d3243f6a88ull; /* < 2^62, so 4 * block + j fits in n */
    philox_ctr c = {0x243f6a88u, 0x05a308d3u, 0x13198a2eu, 0x03707344u};
    philox_ctr r = philox4x32_10(c, 0xa4093822u, 0x299f31d0u);
    const uint32_t want[4] = {r.x, r.y, r.z, r.w};
    for (int j = 0; j < 4; j++)
        if (philox_u32(seed, stream, block * 4 + (uint64_t)j) != want[j])
            fail("%s word %lld: got %llx", "philox_u32 layout", j,
                 philox_u32(seed, stream, block * 4 + (uint64_t)j));
}

static void test_uniform(void)
{
    float lo = philox_uniform_from_u32(0), hi = philox_uniform_from_u32(0xffffffffu);
    if (!(lo > 0.0f) || !(hi <= 1.0f))
        fail("%s: uniform range (%lld, %lld) not in (0, 1]", "philox_uniform_from_u32",
             (long long)(lo > 0.0f), (long long)(hi <= 1.0f));
}

/* The contract, on n keys: perm is a permutation, keys ascend, equal keys by index. */
static void check_permutation(uint64_t seed, uint64_t stream, int n, int *ties)
{
    int32_t *perm = malloc(sizeof(int32_t) * (size_t)(n + 1));
    int32_t *again = malloc(sizeof(int32_t) * (size_t)(n + 1));
    char *seen = calloc((size_t)n + 1, 1);
    if (!perm || !again || !seen) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    if (philox_permutation(seed, stream, n, perm) != 0 ||
        philox_permutation(seed, stream, n, again) != 0) {
        fail("%s: philox_permutation failed (n %lld, %lld)", "perm", n, 0);
        goto done;
    }
    if (memcmp(perm, again, sizeof(int32_t) * (size_t)n) != 0)
        fail("%s: two calls differ (n %lld, stream %lld)", "determinism", n, (long long)stream);
    for (int i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] >= n || seen[perm[i]]) {
            fail("%s: entry %lld is %lld (out of range or repeated)", "permutation", i, perm[i]);
            goto done;
        }
        seen[perm[i]] = 1;
    }
    for (int i = 1; i < n; i++) {
        uint32_t a = philox_u32(seed, stream, (uint64_t)perm[i - 1]);
        uint32_t b = philox_u32(seed, stream, (uint64_t)perm[i]);
        if (a > b || (a == b && perm[i - 1] > perm[i])) {
            fail("%s: entries %lld and %lld out of (key, index) order", "sort", i - 1, i);
            break;
        }
        if (a == b) ++*ties;
    }
done:
    free(perm);
    free(again);
    free(seen);
}

static void test_permutations(void)
{
    int ties = 0;
    int32_t one = 7;
    if (philox_permutation(1, 2, 0, &one) != 0) fail("%s: n = 0 failed %lld %lld", "perm", 0, 0);
    check_permutation(1, 2, 1, &ties);
    check_permutation(42, PHILOX_STREAM_EPOCH0, 1000, &ties);
    check_permutation(42, PHILOX_STREAM_EPOCH0 + 1, 999, &ties);
    /* 2^19 keys of 32 bits: about 32 colliding pairs expected, so the tie rule is exercised */
    int big_ties = 0;
    check_permutation(5, PHILOX_STREAM_EPOCH0 + 3, 1 << 19, &big_ties);
    if (big_ties == 0) fail("%s: %lld ties in 2^19 keys (expected ~32) %lld", "ties", 0, 0);
    printf("permutation contract: ok on n = 0, 1, 999, 1000, 2^19 (%d equal keys ordered by "
           "index)\n", big_ties);
    /* different epochs give different orders */
    int32_t a[64], b[64];
    philox_permutation(9, PHILOX_STREAM_EPOCH0, 64, a);
    philox_permutation(9, PHILOX_STREAM_EPOCH0 + 1, 64, b);
    if (memcmp(a, b, sizeof a) == 0) fail("%s: epochs 0 and 1 give one order %lld %lld",
                                          "streams", 0, 0);
}

/* The numpy twin in gen_reference.py wrote these; it orders the mini-batches of the
 * trajectory fixtures, so both sides must agree exactly. */
static void test_fixture(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/philox.txt", dir);
    fixture_text t;
    if (fixture_open(&t, path) != 0) {
        failures++;
        return;
    }
    int values = 0, perms = 0;
    const char *rec;
    while ((rec = fixture_next_record(&t)) != NULL && !t.bad) {
        uint64_t seed = fixture_u64(&t), stream = fixture_u64(&t);
        if (strcmp(rec, "u32") == 0) {
            uint64_t n = fixture_u64(&t), want = fixture_u64(&t);
            if (philox_u32(seed, stream, n) != want)
                fail("%s: philox_u32 got %lld want %lld", "fixture",
                     (long long)philox_u32(seed, stream, n), (long long)want);
            values++;
        } else if (strcmp(rec, "perm") == 0) {
            int n = (int)fixture_int(&t);
            int32_t *perm = malloc(sizeof(int32_t) * (size_t)(n + 1));
            if (!perm || philox_permutation(seed, stream, n, perm) != 0) {
                fail("%s: permutation of %lld failed %lld", "fixture", n, 0);
                free(perm);
                break;
            }
            for (int i = 0; i < n && !t.bad; i++) {
                long long want = fixture_int(&t);
                if (perm[i] != want) {
                    fail("%s: permutation entry differs: got %lld want %lld", "fixture",
                         perm[i], want);
                    break;
                }
            }
            free(perm);
            perms++;
        } else {
            fixture_error(&t, "unknown record");
        }
    }
    if (t.bad) failures++;
    fixture_close(&t);
    if (values < 8 || perms < 3) fail("%s: read %lld values, %lld permutations", "fixture",
                                      values, perms);
    printf("numpy twin: %d philox_u32 values and %d permutations agree\n", values, perms);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR (tests/reference/fixtures)\n", argv[0]);
        return 2;
    }
    test_kat();
    test_uniform();
    test_permutations();
    test_fixture(argv[1]);
    printf("%s\n", failures ? "philox: FAILED" : "philox: ok");
    return failures ? 1 : 0;
}
