/* test_search.c — search.method random | sobol (#13): Sobol points against PyTorch's
 * SobolEngine (the same Joe & Kuo direction numbers), the scrambled sequence's stratification
 * and 2-D net property, its discrepancy against random points, seeds; the distributions'
 * ranges; and the plan: order (case x grid point x sample), purity (sample i of a key depends
 * only on seed, i and key: raising samples, adding a key or a grid axis changes no earlier
 * value or id), sampled values round-tripping through the stored YAML to the same run id;
 * one element of a pair key drawn on its own (optimizer.betas: [{uniform: [a, b]}, 0.999]).
 * Exits non-zero on the first mismatch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"
#include "settings.h"
#include "sobol.h"
#include "test_util.h"
#include "expand_text.h"

/* ---- Sobol against PyTorch -------------------------------------------------------------------- */
/* torch.quasirandom.SobolEngine(128, scramble=False): after draw number i its `quasi` holds
 * point i (Gray-code order, 30 bits), dimensions 0, 1, 2, 9, 40, 82, 127. */
static const int torch_dims[7] = {0, 1, 2, 9, 40, 82, 127};
static const struct {
    unsigned i;
    unsigned q[7];
} torch_points[] = {
    {1, {536870912, 536870912, 536870912, 536870912, 536870912, 536870912, 536870912}},
    {2, {805306368, 268435456, 268435456, 805306368, 268435456, 268435456, 268435456}},
    {3, {268435456, 805306368, 805306368, 268435456, 805306368, 805306368, 805306368}},
    {6, {671088640, 134217728, 939524096, 402653184, 671088640, 939524096, 939524096}},
    {100, {444596224, 276824064, 830472192, 746586112, 763363328, 578813952, 494927872}},
    {1000, {235929600, 103809024, 556793856, 74448896, 980418560, 997195776, 584056832}},
    {4097, {537264128, 1042153472, 360579072, 531234816, 159514624, 83492864, 551682048}},
};

static void test_sobol_matches_torch(void)
{
    for (size_t p = 0; p < sizeof torch_points / sizeof torch_points[0]; p++)
        for (int j = 0; j < 7; j++) {
            unsigned i = torch_points[p].i, gray = i ^ (i >> 1);
            uint32_t got = sobol_point(torch_dims[j], gray) >> 2;
            EXPECT(got == torch_points[p].q[j], "dim %d point %u: %u, torch %u", torch_dims[j], i,
                   got, torch_points[p].q[j]);
        }
    CHECK(sobol_point(5, 0) == 0);
}

/* The first 2^m scrambled points fall once into each of the 2^m equal intervals. */
static void test_sobol_strata(void)
{
    for (int dim = 0; dim < SOBOL_MAX_DIMS; dim += 7)
        for (int m = 1; m <= 10; m += 3) {
            int n = 1 << m;
            int *hits = calloc((size_t)n, sizeof *hits);
            for (int i = 0; i < n; i++) hits[sobol_scrambled(dim, (uint64_t)i, 42, 99) >> (32 - m)]++;
            int bad = 0;
            for (int s = 0; s < n; s++) bad += hits[s] != 1;
            EXPECT(bad == 0, "dim %d, 2^%d points: %d strata not hit exactly once", dim, m, bad);
            free(hits);
        }
}

/* Dimensions 0 and 1 form a (0, m, 2)-net: any 2^a x 2^(m-a) boxes hold one point each,
 * scrambled or not (the scramble maps elementary intervals onto elementary intervals). */
static void test_sobol_net_2d(void)
{
    const int m = 8, n = 1 << m;
    for (int a = 0; a <= m; a++) {
        int *hits = calloc((size_t)n, sizeof *hits);
        for (int i = 0; i < n; i++) {
            uint32_t x = sobol_scrambled(0, (uint64_t)i, 7, 1), y = sobol_scrambled(1, (uint64_t)i, 7, 2);
            uint32_t bx = a ? x >> (32 - a) : 0, by = m - a ? y >> (32 - (m - a)) : 0;
            hits[(bx << (m - a)) | by]++;
        }
        int bad = 0;
        for (int s = 0; s < n; s++) bad += hits[s] != 1;
        EXPECT(bad == 0, "boxes 2^%d x 2^%d: %d not hit exactly once", a, m - a, bad);
        free(hits);
    }
}

/* Hickernell's centered L2 discrepancy, squared, of n points in 2-D. */
static double centered_l2(const double (*x)[2], int n)
{
    double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double p = 1;
        for (int k = 0; k < 2; k++) {
            double z = fabs(x[i][k] - 0.5);
            p *= 1 + 0.5 * z - 0.5 * z * z;
        }
        s1 += p;
        for (int j = 0; j < n; j++) {
            double q = 1;
            for (int k = 0; k < 2; k++)
                q *= 1 + 0.5 * fabs(x[i][k] - 0.5) + 0.5 * fabs(x[j][k] - 0.5) -
                     0.5 * fabs(x[i][k] - x[j][k]);
            s2 += q;
        }
    }
    return 13.0 / 12.0 * 13.0 / 12.0 - 2.0 / n * s1 + s2 / ((double)n * n);
}

/* lr and momentum drawn by sobol cover the square far more evenly than random draws. */
static void test_sobol_discrepancy(void)
{
    enum { N = 256, SEEDS = 10 };
    static double pts[N][2];
    int k_lr = settings_find_key("optimizer.lr"), k_m = settings_find_key("optimizer.momentum");
    double sobol_mean = 0, random_mean = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
        for (int i = 0; i < N; i++) {
            pts[i][0] = plan_sample_unit(SEARCH_SOBOL, (uint64_t)seed, k_lr, (uint64_t)i);
            pts[i][1] = plan_sample_unit(SEARCH_SOBOL, (uint64_t)seed, k_m, (uint64_t)i);
        }
        sobol_mean += centered_l2((const double (*)[2])pts, N) / SEEDS;
        for (int i = 0; i < N; i++) {
            pts[i][0] = plan_sample_unit(SEARCH_RANDOM, (uint64_t)seed, k_lr, (uint64_t)i);
            pts[i][1] = plan_sample_unit(SEARCH_RANDOM, (uint64_t)seed, k_m, (uint64_t)i);
        }
        random_mean += centered_l2((const double (*)[2])pts, N) / SEEDS;
    }
    printf("centered L2 discrepancy^2 of 256 points (lr, momentum), mean of %d seeds: sobol "
           "%.3g, random %.3g\n", SEEDS, sobol_mean, random_mean);
    /* random points: E[CD^2] ~ c/n; a (t, m, 2)-net of 2^8 points is far below it */
    EXPECT(sobol_mean < 0.2 * random_mean, "sobol %g, random %g", sobol_mean, random_mean);
}

static void test_sobol_seeds(void)
{
    int differ = 0;
    for (uint64_t i = 0; i < 8; i++) {
        CHECK(sobol_scrambled(3, i, 5, 11) == sobol_scrambled(3, i, 5, 11));
        differ += sobol_scrambled(3, i, 5, 11) != sobol_scrambled(3, i, 6, 11);
    }
    EXPECT(differ == 8, "seeds 5 and 6 share %d of 8 points", 8 - differ);
}

/* Random draws: uniform in [0, 1) (16 bins of 16384 draws within 5 sigma), and key-specific. */
static void test_random_unit(void)
{
    enum { N = 16384, BINS = 16 };
    int hits[BINS] = {0};
    int k = settings_find_key("optimizer.lr"), k2 = settings_find_key("optimizer.momentum");
    int same = 0;
    for (int i = 0; i < N; i++) {
        double u = plan_sample_unit(SEARCH_RANDOM, 3, k, (uint64_t)i);
        CHECK(u >= 0 && u < 1);
        hits[(int)(u * BINS)]++;
        same += u == plan_sample_unit(SEARCH_RANDOM, 3, k2, (uint64_t)i);
    }
    double want = (double)N / BINS, sigma = sqrt(want * (1 - 1.0 / BINS));
    for (int b = 0; b < BINS; b++)
        EXPECT(fabs(hits[b] - want) < 5 * sigma, "bin %d: %d draws, expected %.0f", b, hits[b], want);
    EXPECT(same == 0, "two keys drew the same number %d times", same);
}

/* ---- the plan ---------------------------------------------------------------------------------- */
static const char *search_sweep =
    "name: s\n"
    "optimizer: {name: sgd}\n"
    "search: {method: random, samples: 5, seed: 11}\n"
    "grid:\n"
    "  optimizer.lr: {loguniform: [1e-4, 1e-1]}\n"
    "  train.seed: [0, 1]\n"
    "cases:\n"
    "  - {name: plain}\n"
    "  - {name: mom, grid: {optimizer.momentum: {uniform: [0.5, 0.99]}}}\n";

static void test_plan_order_and_purity(void)
{
    for (int method = 0; method < 2; method++) {
        const char *m = method ? "search.method=sobol" : "search.method=random";
        const char *set5[] = {m, NULL}, *set40[] = {m, "search.samples=40", NULL};
        plan a, b;
        if (expand_set(search_sweep, set5, 100000, &a) != 0 ||
            expand_set(search_sweep, set40, 100000, &b) != 0) {
            test_fail(__FILE__, __LINE__, "expand", "%s", m);
            return;
        }
        EXPECT(a.n_runs == 20 && b.n_runs == 160, "%s: %d and %d runs", m, a.n_runs, b.n_runs);
        for (int r = 0; r < a.n_runs && b.n_runs == 160; r++) {
            int block = r / 5, i = r % 5; /* case x grid point, then the sample */
            const plan_run *x = &a.runs[r], *y = &b.runs[block * 40 + i];
            CHECK_STR(x->id, y->id);
            EXPECT(x->sample == i, "run %d: sample %ld", r, x->sample);
            EXPECT(x->settings.train.seed == (uint64_t)(block % 2), "run %d: seed", r);
            EXPECT(strcmp(x->settings.case_name, block < 2 ? "plain" : "mom") == 0, "run %d", r);
            /* sample i's lr is the same at every grid point and in every case */
            EXPECT(x->settings.optim.lr == a.runs[i].settings.optim.lr, "%s run %d lr", m, r);
            CHECK(x->settings.optim.lr >= 1e-4 && x->settings.optim.lr < 1e-1);
            CHECK(block < 2 || (x->settings.optim.momentum >= 0.5 && x->settings.optim.momentum < 0.99));
            int k_lr = settings_find_key("optimizer.lr"), k_m = settings_find_key("optimizer.momentum");
            CHECK(x->sampled[k_lr] == CONFIG_DIST_LOGUNIFORM);
            CHECK(x->sampled[k_m] == (block < 2 ? CONFIG_DIST_NONE : CONFIG_DIST_UNIFORM));
        }
        plan_free(&a);
        plan_free(&b);
    }
    /* a distribution over another key in the file's grid leaves lr's draws as they were */
    plan a, c;
    const char *more[] = {"optimizer.dampening={uniform: [0, 0.5]}", NULL};
    if (expand_set(search_sweep, NULL, 100000, &a) == 0 &&
        expand_set(search_sweep, more, 100000, &c) == 0) {
        for (int r = 0; r < a.n_runs && r < c.n_runs; r++)
            EXPECT(a.runs[r].settings.optim.lr == c.runs[r].settings.optim.lr, "run %d", r);
        plan_free(&a);
        plan_free(&c);
    } else {
        test_fail(__FILE__, __LINE__, "expand", "%s", more[0]);
    }
}

/* Each distribution's values: in range, ints reaching both ends, every choice drawn, shown
 * with at most 6 significant digits; and the stored YAML loads back as the same run id. */
static void test_values(void)
{
    const char *text =
        "name: v\n"
        "search: {method: random, samples: 300, seed: 2}\n"
        "grid:\n"
        "  optimizer.name: {choice: [sgd, adam, rmsprop]}\n"
        "  optimizer.lr: {loguniform: [1e-5, 1]}\n"
        "  train.batch_size: {int: [30, 32]}\n"
        "  data.val_from_test: {uniform: [0.1, 0.2]}\n";
    plan p;
    if (expand_set(text, NULL, 100000, &p) != 0) {
        test_fail(__FILE__, __LINE__, "expand", "%s", "values");
        return;
    }
    CHECK(p.n_runs == 300);
    int names[OPTIM_KIND_COUNT] = {0}, sizes[3] = {0}, long_texts = 0;
    double lo_lr = 1, hi_lr = 0;
    for (int r = 0; r < p.n_runs; r++) {
        const run_settings *s = &p.runs[r].settings;
        names[s->optim.kind]++;
        EXPECT(s->train.batch_size >= 30 && s->train.batch_size <= 32, "batch %d", s->train.batch_size);
        if (s->train.batch_size >= 30 && s->train.batch_size <= 32) sizes[s->train.batch_size - 30]++;
        CHECK(s->data.val_from_test >= 0.1 && s->data.val_from_test < 0.2);
        lo_lr = fmin(lo_lr, s->optim.lr);
        hi_lr = fmax(hi_lr, s->optim.lr);
        char buf[64];
        settings_format(s, settings_find_key("optimizer.lr"), buf, sizeof buf);
        long_texts += strlen(buf) > 12; /* 6 digits: 0.000123456 or 1.23456e-05 */
        /* the run's YAML (what run files store) loads back as the same run */
        char *yaml = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&yaml, &len);
        settings_write_yaml(s, f);
        fclose(f);
        sweep sw;
        config_diags d;
        config_diags_init(&d);
        plan q;
        if (config_load_text(&sw, "run.yaml", yaml, len, &d) == 0 &&
            plan_expand(&sw, &q, 10, 0, &d) == 0) {
            EXPECT(q.n_runs == 1 && strcmp(q.runs[0].id, p.runs[r].id) == 0, "run %d: %s reloads "
                   "as %s", r, p.runs[r].id, q.n_runs ? q.runs[0].id : "nothing");
            plan_free(&q);
        } else {
            test_fail(__FILE__, __LINE__, "reload", "run %d", r);
        }
        config_free(&sw);
        config_diags_free(&d);
        free(yaml);
    }
    EXPECT(names[OPTIM_SGD] && names[OPTIM_ADAM] && names[OPTIM_RMSPROP] &&
           names[OPTIM_SGD] + names[OPTIM_ADAM] + names[OPTIM_RMSPROP] == 300, "choices %d %d %d",
           names[OPTIM_SGD], names[OPTIM_ADAM], names[OPTIM_RMSPROP]);
    EXPECT(sizes[0] && sizes[1] && sizes[2], "int [30, 32]: %d %d %d", sizes[0], sizes[1], sizes[2]);
    EXPECT(lo_lr < 1e-4 && hi_lr > 0.1, "loguniform [1e-5, 1]: %g .. %g", lo_lr, hi_lr);
    EXPECT(long_texts == 0, "%d lr values shown with more than 6 digits", long_texts);
    plan_free(&p);
}

/* A case that sets a drawn key keeps its value: its runs are not drawn (and its samples,
 * all alike, are one run). */
static void test_case_overrides_draw(void)
{
    const char *text = "name: o\n"
                       "optimizer: {name: sgd}\n"
                       "search: {method: random, samples: 4}\n"
                       "grid: {optimizer.lr: {loguniform: [1e-4, 1e-1]}}\n"
                       "cases:\n"
                       "  - {name: drawn}\n"
                       "  - {name: fixed, optimizer: {lr: 0.1}}\n";
    plan p;
    if (expand_set(text, NULL, 100000, &p) != 0) {
        test_fail(__FILE__, __LINE__, "expand", "%s", "case override");
        return;
    }
    int k_lr = settings_find_key("optimizer.lr");
    EXPECT(p.n_runs == 5, "%d runs", p.n_runs);
    if (p.n_runs == 5) {
        CHECK(p.runs[3].sample == 3 && p.runs[3].sampled[k_lr] == CONFIG_DIST_LOGUNIFORM);
        CHECK(p.runs[4].sample == -1 && p.runs[4].sampled[k_lr] == CONFIG_DIST_NONE &&
              p.runs[4].settings.optim.lr == 0.1);
    }
    plan_free(&p);
}

/* ---- one element of a pair key -------------------------------------------------------------- */
static const char *pair_sweep =
    "name: p\n"
    "optimizer: {name: adam}\n"
    "search: {method: random, samples: 200, seed: 5}\n"
    "grid:\n"
    "  optimizer.betas: [{uniform: [0.5, 0.99]}, 0.999]\n";

/* beta1 drawn in [0.5, 0.99) with 6 digits, beta2 fixed; named "optimizer.betas[0]"; its draws
 * are those of the stream "optimizer.betas[0]" (not the key's, not element 1's); another key
 * drawn beside it changes neither its draws nor the other key's. */
static void test_pair_element(void)
{
    int k = settings_find_key("optimizer.betas"), k_lr = settings_find_key("optimizer.lr");
    const char *with_lr[] = {"optimizer.lr={loguniform: [1e-4, 1e-1]}", NULL};
    const char *lr_only[] = {"optimizer.lr={loguniform: [1e-4, 1e-1]}",
                             "optimizer.betas=[[0.9, 0.999]]", NULL};
    plan a, b, c;
    if (expand_set(pair_sweep, NULL, 100000, &a) != 0 ||
        expand_set(pair_sweep, with_lr, 100000, &b) != 0 ||
        expand_set(pair_sweep, lr_only, 100000, &c) != 0) {
        test_fail(__FILE__, __LINE__, "expand", "%s", "pair element");
        return;
    }
    CHECK(a.n_runs == 200 && b.n_runs == 200 && c.n_runs == 200);
    int distinct = 0, same_as_key = 0, same_as_elem1 = 0;
    for (int r = 0; r < a.n_runs && r < b.n_runs && r < c.n_runs; r++) {
        const optim_settings *o = &a.runs[r].settings.optim;
        EXPECT(o->beta1 >= 0.5 && o->beta1 < 0.99, "run %d: beta1 %.17g", r, o->beta1);
        EXPECT(o->beta2 == 0.999, "run %d: beta2 %.17g", r, o->beta2);
        char six[32];
        snprintf(six, sizeof six, "%.6g", o->beta1);
        EXPECT(strtod(six, NULL) == o->beta1, "run %d: beta1 %.17g has more than 6 digits", r,
               o->beta1);
        double u = plan_sample_unit_elem(SEARCH_RANDOM, 5, k, 0, (uint64_t)r);
        snprintf(six, sizeof six, "%.6g", 0.5 + u * (0.99 - 0.5));
        EXPECT(strtod(six, NULL) == o->beta1, "run %d: beta1 %.17g, stream gives %s", r,
               o->beta1, six);
        same_as_key += u == plan_sample_unit(SEARCH_RANDOM, 5, k, (uint64_t)r);
        same_as_elem1 += u == plan_sample_unit_elem(SEARCH_RANDOM, 5, k, 1, (uint64_t)r);
        distinct += r == 0 || o->beta1 != a.runs[r - 1].settings.optim.beta1;
        EXPECT(a.runs[r].sampled[k] == plan_sampled_code(&(config_axis){
                   .dist = CONFIG_DIST_PAIR,
                   .parts = (config_axis[2]){{.dist = CONFIG_DIST_UNIFORM}, {.dist = 0}}}),
               "run %d: sampled code %#x", r, a.runs[r].sampled[k]);
        /* lr drawn beside it: beta1 as without; lr as when betas is not drawn */
        EXPECT(b.runs[r].settings.optim.beta1 == o->beta1, "run %d: beta1 moved with lr", r);
        EXPECT(b.runs[r].settings.optim.lr == c.runs[r].settings.optim.lr, "run %d: lr moved", r);
        EXPECT(b.runs[r].sampled[k_lr] == CONFIG_DIST_LOGUNIFORM, "run %d", r);
    }
    EXPECT(distinct > 190, "%d of 200 beta1 draws differ from the one before", distinct);
    EXPECT(same_as_key == 0 && same_as_elem1 == 0, "element 0 shares %d draws with the key, "
           "%d with element 1", same_as_key, same_as_elem1);
    char text[256];
    plan_sampled_text(&b.runs[0], text, sizeof text);
    CHECK_STR(text, "optimizer.lr=loguniform, optimizer.betas[0]=uniform");
    plan_free(&a);
    plan_free(&b);
    plan_free(&c);
}

/* Sobol: every key and every pair's element 1 its own dimension within the 128; element 1
 * drawn (element 0 fixed), stratified like any Sobol coordinate; both elements drawn at once,
 * element 0 a choice of numbers. */
static void test_pair_element_sobol(void)
{
    char used[SOBOL_MAX_DIMS] = {0};
    int clash = 0;
    for (int k = 0; k < settings_n_keys(); k++)
        for (int e = 0; e <= settings_key_is_pair(k); e++) {
            int dim = plan_sample_dim(k, e ? 1 : -1);
            EXPECT(dim >= 0 && dim < SOBOL_MAX_DIMS, "key %d element %d: dimension %d", k, e, dim);
            if (dim >= 0 && dim < SOBOL_MAX_DIMS) clash += used[dim]++ != 0;
        }
    EXPECT(clash == 0, "%d dimensions used twice", clash);
    int k = settings_find_key("optimizer.betas");
    CHECK(plan_sample_dim(k, 0) == plan_sample_dim(k, -1));
    const char *set[] = {"search.method=sobol", "search.samples=64",
                         "optimizer.betas=[0.9, {loguniform: [0.9, 0.9999]}]", NULL};
    plan p;
    if (expand_set(pair_sweep, set, 100000, &p) != 0) {
        test_fail(__FILE__, __LINE__, "expand", "%s", "sobol pair");
        return;
    }
    int hits[64] = {0}, bad = 0;
    for (int r = 0; r < p.n_runs; r++) {
        const optim_settings *o = &p.runs[r].settings.optim;
        EXPECT(o->beta1 == 0.9 && o->beta2 >= 0.9 && o->beta2 < 0.9999, "run %d: [%.17g, %.17g]",
               r, o->beta1, o->beta2);
        hits[(int)(plan_sample_unit_elem(SEARCH_SOBOL, 5, k, 1, (uint64_t)r) * 64)]++;
    }
    for (int s = 0; s < 64; s++) bad += hits[s] != 1;
    EXPECT(p.n_runs == 64 && bad == 0, "%d runs, %d of 64 strata not hit once", p.n_runs, bad);
    plan_free(&p);
    const char *both[] = {"search.method=sobol", "search.samples=16",
                          "optimizer.betas=[{choice: [0.5, 0.8]}, {uniform: [0.9, 0.99]}]", NULL};
    if (expand_set(pair_sweep, both, 100000, &p) != 0) {
        test_fail(__FILE__, __LINE__, "expand", "%s", "sobol both");
        return;
    }
    int n5 = 0, n8 = 0;
    for (int r = 0; r < p.n_runs; r++) {
        const optim_settings *o = &p.runs[r].settings.optim;
        n5 += o->beta1 == 0.5;
        n8 += o->beta1 == 0.8;
        CHECK(o->beta2 >= 0.9 && o->beta2 < 0.99);
    }
    EXPECT(n5 == 8 && n8 == 8, "choice [0.5, 0.8] drawn %d and %d times of 16", n5, n8);
    char text[256];
    plan_sampled_text(&p.runs[0], text, sizeof text);
    CHECK_STR(text, "optimizer.betas[0]=choice, optimizer.betas[1]=uniform");
    plan_free(&p);
}

int main(void)
{
    test_sobol_matches_torch();
    test_sobol_strata();
    test_sobol_net_2d();
    test_sobol_discrepancy();
    test_sobol_seeds();
    test_random_unit();
    test_plan_order_and_purity();
    test_values();
    test_case_overrides_draw();
    test_pair_element();
    test_pair_element_sobol();
    return test_finish("test_search");
}
