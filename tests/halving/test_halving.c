/* test_halving.c — the arithmetic of successive halving and Hyperband (halving.c): rung
 * epochs (Li et al.'s example and a schedule whose rungs do not reach R exactly), brackets,
 * the promotion rule (metric direction, NaN, ties by run id, runs that ended or did not reach
 * the rung), the budget of the 81-run sweep. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "halving.h"
#include "test_util.h"

static config_halving settings(int r, int eta, int brackets, halving_metric m)
{
    return (config_halving){.metric = m, .min_epochs = r, .eta = eta,
                              .max_epochs = 0, .brackets = brackets};
}

static void test_rungs(void)
{
    int e[HALVING_MAX_RUNGS];
    config_halving h = settings(1, 3, 1, HALVING_VAL_LOSS);
    int n = halving_rungs(&h, 27, 0, e);
    EXPECT(n == 4 && e[0] == 1 && e[1] == 3 && e[2] == 9 && e[3] == 27, "n %d", n);
    /* rungs below R, then R itself */
    n = halving_rungs(&h, 20, 0, e);
    EXPECT(n == 4 && e[2] == 9 && e[3] == 20, "n %d last %d", n, e[n - 1]);
    h = settings(2, 2, 1, HALVING_VAL_LOSS);
    n = halving_rungs(&h, 4, 0, e);
    EXPECT(n == 2 && e[0] == 2 && e[1] == 4, "n %d", n);
    /* r >= R: one rung, the end */
    n = halving_rungs(&h, 2, 0, e);
    EXPECT(n == 1 && e[0] == 2, "n %d", n);
    /* Hyperband brackets start at r * eta^b */
    h = settings(1, 3, 4, HALVING_VAL_LOSS);
    n = halving_rungs(&h, 27, 1, e);
    EXPECT(n == 3 && e[0] == 3 && e[1] == 9 && e[2] == 27, "n %d", n);
    n = halving_rungs(&h, 27, 2, e);
    EXPECT(n == 2 && e[0] == 9 && e[1] == 27, "n %d", n);
    /* bracket 3 would start at R: no bracket */
    CHECK(halving_rungs(&h, 27, 3, e) == 0);
}

static void test_brackets(void)
{
    /* R = 27, eta 3, 4 brackets: Li et al.'s n = 27, 12, 6, 4 of 49 runs */
    config_halving h = settings(1, 3, 4, HALVING_VAL_LOSS);
    int R = 27;
    EXPECT(halving_n_brackets(&h, R) == 3, "brackets %d (bracket 3 would start at R)",
           halving_n_brackets(&h, R));
    h.brackets = 9;
    EXPECT(halving_n_brackets(&h, R) == 3, "brackets %d", halving_n_brackets(&h, R));
    h = settings(1, 3, 4, HALVING_VAL_LOSS);
    R = 81; /* 5 rungs 1..81: brackets 0..3 start below R */
    EXPECT(halving_n_brackets(&h, R) == 4, "brackets %d", halving_n_brackets(&h, R));
    /* weights ceil(5/5*81), ceil(5/4*27), ceil(5/3*9), ceil(5/2*3) = 81, 34, 15, 8 */
    int of[138], count[4] = {0};
    halving_assign_brackets(&h, R, 138, of);
    for (int i = 0; i < 138; i++) count[of[i]]++;
    EXPECT(count[0] == 81 && count[1] == 34 && count[2] == 15 && count[3] == 8,
           "counts %d %d %d %d", count[0], count[1], count[2], count[3]);
    /* interleaved: the first 10 runs are not all in bracket 0 */
    int first10[4] = {0};
    for (int i = 0; i < 10; i++) first10[of[i]]++;
    EXPECT(first10[0] < 10 && first10[1] > 0, "first ten: %d in bracket 0", first10[0]);
    /* one bracket: everything in 0 */
    h.brackets = 1;
    halving_assign_brackets(&h, R, 5, of);
    for (int i = 0; i < 5; i++) CHECK(of[i] == 0);
}

static void test_promote(void)
{
    config_halving h = settings(1, 3, 1, HALVING_VAL_LOSS);
    halving_entry e[7] = {
        {"e", 0, HALVING_REACHED, 0.5},  {"b", 1, HALVING_REACHED, 0.3},
        {"a", 2, HALVING_REACHED, 0.5},  {"d", 3, HALVING_ENDED, 0.01},
        {"c", 4, HALVING_REACHED, NAN},  {"f", 5, HALVING_REACHED, 0.9},
        {"g", 6, HALVING_NOT_REACHED, NAN},
    };
    unsigned char p[7];
    /* ceil(7/3) = 3: b (0.3), then a before e (tie at 0.5, by id) */
    int n = halving_promote(e, 7, &h, p);
    EXPECT(n == 3 && p[1] && p[2] && p[0] && !p[3] && !p[4] && !p[5] && !p[6],
           "n %d: %d%d%d%d%d%d%d", n, p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    int order[7];
    halving_rank(e, 7, h.metric, order);
    EXPECT(order[0] == 1 && order[1] == 2 && order[2] == 0 && order[3] == 5 && order[4] == 4,
           "order %d %d %d %d %d", order[0], order[1], order[2], order[3], order[4]);
    /* the ended run ("d") and the one not reached ("g") rank last, by id */
    EXPECT(order[5] == 3 && order[6] == 6, "last %d %d", order[5], order[6]);
    /* accuracy: higher is better; the tie a/e still by id */
    h.metric = HALVING_VAL_ACC;
    n = halving_promote(e, 7, &h, p);
    EXPECT(n == 3 && p[5] && p[2] && p[0] && !p[1], "acc: n %d", n);
    /* fewer reached than the quota: only those */
    halving_entry few[4] = {
        {"a", 0, HALVING_ENDED, NAN}, {"b", 1, HALVING_ENDED, NAN},
        {"c", 2, HALVING_ENDED, NAN}, {"d", 3, HALVING_REACHED, 2.0},
    };
    h.metric = HALVING_VAL_LOSS;
    n = halving_promote(few, 4, &h, p);
    EXPECT(n == 1 && p[3] && !p[0], "few: n %d", n);
    /* the input order does not matter */
    halving_entry rev[7];
    for (int i = 0; i < 7; i++) rev[i] = e[6 - i];
    unsigned char q[7];
    halving_promote(rev, 7, &h, q);
    h.metric = HALVING_VAL_LOSS;
    halving_promote(e, 7, &h, p);
    for (int i = 0; i < 7; i++) EXPECT(p[i] == q[6 - i], "entry %d", i);
    CHECK(halving_n_promoted(81, 3) == 27 && halving_n_promoted(10, 3) == 4
          && halving_n_promoted(1, 3) == 1 && halving_n_promoted(0, 3) == 0);
}

static void test_budget(void)
{
    /* the sweep: 81 runs, rungs 1, 3, 9, 27: 81*1 + 27*2 + 9*6 + 3*18 = 243 of 2187 */
    config_halving h = settings(1, 3, 1, HALVING_VAL_LOSS);
    double b = halving_bracket_budget(&h, 27, 0, 81);
    EXPECT(b == 243, "budget %g", b);
    EXPECT(b / (81.0 * 27) <= 0.30, "%.1f %%", 100 * b / (81.0 * 27));
    /* R not a rung of the geometric series: 10 runs, rungs 2, 4, 5 with eta 2 */
    h = settings(2, 2, 1, HALVING_VAL_LOSS);
    b = halving_bracket_budget(&h, 5, 0, 10);
    EXPECT(b == 10 * 2 + 5 * 2 + 3 * 1, "budget %g", b);
}

int main(void)
{
    test_rungs();
    test_brackets();
    test_promote();
    test_budget();
    return test_finish("test_halving");
}
