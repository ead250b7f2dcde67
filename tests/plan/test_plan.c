/* test_plan.c — grid expansion: counts and order, override precedence, run ids (stable under
 * any rewriting of the file, blind to labels and to keys that cannot change results, and
 * pinned to golden values so they stay the same on every machine and release), duplicates,
 * left-out combinations, cases with their own grid, the run limit, costs, and sharding
 * (every run in exactly one shard; the SLURM array environment as default).  Exits non-zero
 * on the first mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"
#include "settings.h"
#include "test_util.h"
#include "expand_text.h"


static int expand(const char *text, plan *p)
{
    int n = expand_set(text, NULL, 0, p);
    if (n) fprintf(stderr, "unexpected errors expanding:\n%s\n", text);
    return n;
}

static const char *issue_example =
    "name: momentum-vs-lr\n"
    "data:      {dataset: mnist, dir: data/mnist, train_limit: 0, val_from_test: 0.5, split_seed: 0}\n"
    "model:     {hidden: [128, 128, 128], activation: leaky_relu, init: default}\n"
    "train:     {epochs: 200, batch_size: 4096, seed: 0, validation_freq: 5}\n"
    "optimizer: {name: sgd, lr: 1e-4, momentum: 0.0}\n"
    "schedule:  {name: none}\n"
    "grid:\n"
    "  optimizer.lr: [1e-4, 1e-3, 1e-2]\n"
    "  optimizer.momentum: [0.0, 0.9, 0.99]\n"
    "cases:\n"
    "  - {name: plain}\n"
    "  - {name: nesterov, optimizer: {nesterov: true}}\n";

/* The same sweep written differently: block style, keys in another order, dotted keys at
 * the top level, defaults spelled out, other labels, another data dir and backend. */
static const char *issue_example_rewritten =
    "cases:\n"
    "  - name: without\n"
    "  - name: with-nesterov\n"
    "    optimizer.nesterov: true\n"
    "grid:\n"
    "  optimizer:\n"
    "    lr: [0.0001, 0.001, 0.01]\n"
    "    momentum: [0, 0.90, 99e-2]\n"
    "schedule.name: none\n"
    "optimizer:\n"
    "  momentum: 0\n"
    "  lr: 0.0001\n"
    "  name: sgd\n"
    "  dampening: 0\n"
    "  weight_decay: 0.0\n"
    "train:\n"
    "  validation_freq: 5\n"
    "  backend: cpu\n"
    "  checkpoint_every: 10\n"
    "  seed: 0\n"
    "  batch_size: 4096\n"
    "  epochs: 200\n"
    "model: {init: default, hidden: [128, 128, 128]}\n"
    "data: {split_seed: 0, val_from_test: 5e-1, dir: /elsewhere/mnist}\n"
    "name: another-name\n";

static int is_hex8(const char *s)
{
    if (strlen(s) != 8) return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return 0;
    return 1;
}

static void test_issue_example(void)
{
    plan p, q;
    if (expand(issue_example, &p) || expand(issue_example_rewritten, &q)) {
        test_failures++;
        return;
    }
    /* 2 cases x 3 x 3, less nesterov with momentum 0 (PyTorch refuses it): 3 left out */
    CHECK(p.n_runs == 15 && p.n_total == 15);
    CHECK(p.has_cases);
    /* cases outer, grid inner, last axis fastest */
    CHECK_STR(p.runs[0].settings.case_name, "plain");
    CHECK(p.runs[0].settings.optim.lr == 1e-4 && p.runs[0].settings.optim.momentum == 0.0);
    CHECK(p.runs[1].settings.optim.lr == 1e-4 && p.runs[1].settings.optim.momentum == 0.9);
    CHECK(p.runs[3].settings.optim.lr == 1e-3 && p.runs[3].settings.optim.momentum == 0.0);
    CHECK(p.runs[8].settings.optim.lr == 1e-2 && p.runs[8].settings.optim.momentum == 0.99);
    CHECK_STR(p.runs[9].settings.case_name, "nesterov");
    CHECK(p.runs[9].settings.optim.nesterov && p.runs[9].settings.optim.momentum == 0.9);
    for (int i = 0; i < p.n_runs; i++) CHECK(p.runs[i].index == i);
    /* ids: readable prefix + 8 hex digits; the issue's example prefix */
    CHECK(strncmp(p.runs[2].id, "sgd-lr1e-04-m0.99-", 18) == 0 && is_hex8(p.runs[2].id + 18));
    CHECK(strncmp(p.runs[0].id, "sgd-lr1e-04-", 12) == 0 && is_hex8(p.runs[0].id + 12));
    CHECK(strncmp(p.runs[9].id, "sgd-lr1e-04-m0.9-nesterov-", 26) == 0);
    /* golden ids: a change here changes the id of every stored result (bump with care) */
    CHECK_STR(p.runs[0].id, "sgd-lr1e-04-5e94cd2a");
    CHECK_STR(p.runs[2].id, "sgd-lr1e-04-m0.99-0d4fc5cb");
    CHECK_STR(p.runs[14].id, "sgd-lr1e-02-m0.99-nesterov-ffd126f7");
    /* stable under rewriting: same runs, same order, same ids */
    CHECK(q.n_runs == p.n_runs);
    for (int i = 0; i < p.n_runs && i < q.n_runs; i++) CHECK_STR(q.runs[i].id, p.runs[i].id);
    /* all different */
    for (int i = 0; i < p.n_runs; i++)
        for (int j = i + 1; j < p.n_runs; j++) CHECK(strcmp(p.runs[i].id, p.runs[j].id) != 0);
    /* swept keys: the grid's, then what the cases change */
    CHECK(p.n_swept == 3);
    CHECK(p.n_swept == 3 && !strcmp(settings_key_name(p.swept[0]), "optimizer.lr") &&
          !strcmp(settings_key_name(p.swept[1]), "optimizer.momentum") &&
          !strcmp(settings_key_name(p.swept[2]), "optimizer.nesterov"));
    /* cost: 200 epochs x ceil(60000 / 4096) */
    CHECK(p.runs[0].cost == 200 * 15);
    plan_free(&p);
    plan_free(&q);
}

static void test_id_rules(void)
{
    plan a, b;
    /* what cannot change results is not in the id; what can, is */
    if (expand("name: a\noptimizer: {name: adam}\n", &a) ||
        expand("name: b\noptimizer: {name: adam}\ntrain: {backend: cuda, checkpoint_every: 3}\n"
               "data: {dir: x}\ncases: [{name: c}]\n", &b)) {
        test_failures++;
        return;
    }
    CHECK_STR(a.runs[0].id, b.runs[0].id);
    CHECK(strncmp(a.runs[0].id, "adam-lr1e-03-", 13) == 0);
    plan_free(&b);
    /* a key that does not apply keeps its default and stays out (sgd's momentum under adam) */
    const char *const set_lr[] = {"optimizer.lr=0.002", NULL};
    CHECK(expand_set("name: a\noptimizer: {name: adam}\n", set_lr, 0, &b) == 0);
    CHECK(strcmp(a.runs[0].id, b.runs[0].id) != 0);
    CHECK(strncmp(b.runs[0].id, "adam-lr2e-03-", 13) == 0);
    plan_free(&b);
    /* defaults written out give the same run */
    CHECK(expand("name: a\noptimizer: {name: adam, lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, "
                 "weight_decay: 0, amsgrad: false}\n", &b) == 0);
    CHECK_STR(a.runs[0].id, b.runs[0].id);
    plan_free(&b);
    /* the seed, the schedule and non-default options show in the prefix */
    CHECK(expand("name: a\noptimizer: {name: adamw, lr: 3e-4, amsgrad: true}\n"
                 "schedule: {name: cosine, T_max: 10, warmup: {}}\ntrain: {seed: 3}\n", &b) == 0);
    CHECK(strncmp(b.runs[0].id, "adamw-lr3e-04-amsgrad-cos-warmup-s3-", 36) == 0);
    plan_free(&b);
    CHECK(expand("name: a\noptimizer: {name: rmsprop, alpha: 0.9, centered: true, momentum: 0.5, "
                 "weight_decay: 1e-4}\n", &b) == 0);
    CHECK(strncmp(b.runs[0].id, "rmsprop-lr1e-02-m0.5-wd0.0001-a0.9-centered-", 44) == 0);
    plan_free(&b);
    /* pairs show every value (not the first pair's); the newer optimizers' and schedules'
     * abbreviations */
    CHECK(expand("name: a\noptimizer: {name: rprop, etas: [0.4, 1.3], step_sizes: [1e-5, 10]}\n",
                 &b) == 0);
    CHECK(strncmp(b.runs[0].id, "rprop-lr1e-02-etas0.4_1.3-ss1e-05_10-", 37) == 0);
    plan_free(&b);
    CHECK(expand("name: a\noptimizer: {name: adamax, betas: [0.8, 0.99]}\n", &b) == 0);
    CHECK(strncmp(b.runs[0].id, "adamax-lr2e-03-b0.8_0.99-", 25) == 0);
    plan_free(&b);
    CHECK(expand("name: a\noptimizer: {name: asgd, t0: 100, evaluate_averaged: true}\n"
                 "schedule: {name: none}\n", &b) == 0);
    CHECK(strncmp(b.runs[0].id, "asgd-lr1e-02-t0100-avg-", 23) == 0);
    plan_free(&b);
    CHECK(expand("name: a\noptimizer: {name: nadam, momentum_decay: 0.01}\n"
                 "schedule: {name: cosine_warm_restarts, T_0: 5}\n", &b) == 0);
    CHECK(strncmp(b.runs[0].id, "nadam-lr2e-03-md0.01-cawr-", 26) == 0);
    plan_free(&b);
    plan_free(&a);
    /* the canonical text: sorted, applicable, no incidental keys, %.17g */
    CHECK(expand("name: a\noptimizer: {name: sgd, lr: 0.1}\n", &a) == 0);
    char *text = plan_canonical_text(&a.runs[0].settings);
    CHECK(strstr(text, "optimizer.lr=0.10000000000000001\n") != NULL);
    CHECK(strstr(text, "data.dir") == NULL && strstr(text, "train.backend") == NULL &&
          strstr(text, "checkpoint_every") == NULL && strstr(text, "optimizer.betas") == NULL);
    CHECK(strncmp(text, "data.dataset=mnist\n", 19) == 0);
    free(text);
    /* report.select (#15) says how the report chooses, not what a run learns: same id */
    CHECK(expand("name: a\noptimizer: {name: sgd, lr: 0.1}\nreport: {select: val_loss}\n",
                 &b) == 0);
    CHECK(b.runs[0].settings.report.select == SELECT_VAL_LOSS &&
          a.runs[0].settings.report.select == SELECT_VAL_ACC);
    CHECK(strcmp(a.runs[0].id, b.runs[0].id) == 0);
    plan_free(&b);
    plan_free(&a);
}

static void test_precedence(void)
{
    /* defaults < base < grid < case < --set */
    const char *text = "name: p\n"
                       "optimizer: {name: sgd, lr: 0.1, momentum: 0.5}\n"
                       "train: {epochs: 2, batch_size: 100}\n"
                       "grid: {optimizer.lr: [0.2, 0.3], train.epochs: [3, 4]}\n"
                       "cases:\n"
                       "  - {name: base}\n"
                       "  - {name: case-lr, optimizer: {lr: 0.4}, train: {batch_size: 50}}\n";
    plan p;
    if (expand(text, &p)) {
        test_failures++;
        return;
    }
    /* case-lr makes lr 0.4 for both grid lrs: 2 duplicates, the first kept */
    CHECK(p.n_runs == 4 + 2);
    CHECK(p.runs[0].settings.optim.lr == 0.2 && p.runs[0].settings.train.epochs == 3);
    CHECK(p.runs[0].settings.optim.momentum == 0.5 && p.runs[0].settings.train.batch_size == 100);
    CHECK(p.runs[3].settings.optim.lr == 0.3 && p.runs[3].settings.train.epochs == 4);
    CHECK(p.runs[4].settings.optim.lr == 0.4 && p.runs[4].settings.train.epochs == 3);
    CHECK(p.runs[4].settings.train.batch_size == 50);
    CHECK(p.runs[5].settings.optim.lr == 0.4 && p.runs[5].settings.train.epochs == 4);
    plan_free(&p);
    /* --set beats the case; --set on a swept key replaces the axis by one value */
    const char *const sets[] = {"optimizer.lr=0.5", "train.batch_size=25", NULL};
    CHECK(expand_set(text, sets, 0, &p) == 0);
    /* the lr axis is gone, and --set makes both cases the same: 2 epochs x 1 */
    CHECK(p.n_runs == 2);
    for (int i = 0; i < p.n_runs; i++)
        CHECK(p.runs[i].settings.optim.lr == 0.5 && p.runs[i].settings.train.batch_size == 25);
    plan_free(&p);
    /* --set list: a new axis, last (fastest) */
    const char *const axis[] = {"train.seed=[0, 1, 2]", NULL};
    CHECK(expand_set("name: p\noptimizer: {name: adam}\ngrid: {optimizer.lr: [0.1, 0.2]}\n", axis,
                     0, &p) == 0);
    CHECK(p.n_runs == 6 && p.runs[1].settings.train.seed == 1 &&
          p.runs[3].settings.optim.lr == 0.2 && p.runs[3].settings.train.seed == 0);
    plan_free(&p);
}

/* A case's own grid: crossed with the file's grid for that case only; an axis over a key
 * the file sweeps replaces the file's axis there (in its place); its other axes come after
 * the file's and before --set's; --set drops a case's axis over its key; ids are those of
 * the same settings written without a case grid. */
static void test_case_grid(void)
{
    const char *text = "name: g\n"
                       "optimizer: {name: sgd, lr: 0.1}\n"
                       "grid: {train.seed: [0, 1, 2], optimizer.lr: [0.1, 0.2]}\n"
                       "cases:\n"
                       "  - {name: all}\n"
                       "  - name: seed0\n"
                       "    grid: {train.seed: [0]}\n"
                       "    train: {epochs: 3}\n"
                       "  - name: mom\n"
                       "    grid: {optimizer: {momentum: [0.5, 0.9]}, train.seed: [7]}\n";
    plan p;
    if (expand(text, &p)) {
        test_failures++;
        return;
    }
    /* all: 3 x 2; seed0: 1 x 2; mom: seed 7 in the seed axis's place x lr x momentum */
    CHECK(p.n_runs == 6 + 2 + 4);
    CHECK_STR(p.runs[6].settings.case_name, "seed0");
    CHECK(p.runs[6].settings.train.seed == 0 && p.runs[6].settings.optim.lr == 0.1 &&
          p.runs[6].settings.train.epochs == 3);
    CHECK(p.runs[7].settings.train.seed == 0 && p.runs[7].settings.optim.lr == 0.2);
    /* mom: lr (file axis) before momentum (the case's own), momentum fastest */
    CHECK_STR(p.runs[8].settings.case_name, "mom");
    CHECK(p.runs[8].settings.train.seed == 7 && p.runs[8].settings.optim.lr == 0.1 &&
          p.runs[8].settings.optim.momentum == 0.5);
    CHECK(p.runs[9].settings.optim.lr == 0.1 && p.runs[9].settings.optim.momentum == 0.9);
    CHECK(p.runs[10].settings.optim.lr == 0.2 && p.runs[10].settings.optim.momentum == 0.5);
    /* momentum is swept (by a case's grid): listed with the grid keys */
    int k_mom = settings_find_key("optimizer.momentum"), found = 0;
    for (int i = 0; i < p.n_swept; i++) found |= p.swept[i] == k_mom;
    CHECK(found);
    /* the same settings written as plain cases give the same ids */
    plan q;
    if (expand("name: other\noptimizer: {name: sgd, lr: 0.1}\ntrain: {seed: 0, epochs: 3}\n"
               "grid: {optimizer.lr: [0.1, 0.2]}\ncases: [{name: x}]\n", &q) == 0) {
        CHECK(q.n_runs == 2);
        CHECK_STR(q.runs[0].id, p.runs[6].id);
        CHECK_STR(q.runs[1].id, p.runs[7].id);
        plan_free(&q);
    } else {
        test_failures++;
    }
    plan_free(&p);

    /* --set on the key: one value drops every axis over it, the cases' too */
    const char *const one[] = {"train.seed=4", NULL};
    CHECK(expand_set(text, one, 0, &p) == 0);
    /* all: 2 lrs; seed0: 2 (3 epochs); mom: 2 x 2 */
    CHECK(p.n_runs == 2 + 2 + 4);
    for (int i = 0; i < p.n_runs; i++) CHECK(p.runs[i].settings.train.seed == 4);
    plan_free(&p);
    /* a --set list replaces the cases' axes as well */
    const char *const list[] = {"train.seed=[5, 6]", NULL};
    CHECK(expand_set(text, list, 0, &p) == 0);
    CHECK(p.n_runs == 4 + 4 + 8);
    CHECK(p.runs[4].settings.train.seed == 5 && p.runs[5].settings.train.seed == 5 &&
          p.runs[6].settings.train.seed == 6 && p.runs[4].settings.train.epochs == 3);
    plan_free(&p);
    /* a --set axis over a new key comes after the case's own axes */
    const char *const added[] = {"train.batch_size=[10, 20]", NULL};
    CHECK(expand_set(text, added, 0, &p) == 0);
    CHECK(p.n_runs == 2 * (6 + 2 + 4));
    /* mom starts at 16: seed 7, lr 0.1, momentum 0.5, batch 10 then 20 */
    CHECK(p.runs[16].settings.optim.momentum == 0.5 && p.runs[16].settings.train.batch_size == 10);
    CHECK(p.runs[17].settings.optim.momentum == 0.5 && p.runs[17].settings.train.batch_size == 20);
    CHECK(p.runs[18].settings.optim.momentum == 0.9 && p.runs[18].settings.train.batch_size == 10);
    plan_free(&p);

    /* errors: a key both set and swept in a case; an axis given twice in a case; a key the
     * case's optimizer does not have */
    CHECK(expand_set("name: e\noptimizer: {name: sgd, lr: 0.1}\ncases:\n"
                     "  - {name: a, train: {seed: 1}, grid: {train.seed: [2, 3]}}\n",
                     NULL, 0, &p) == 1);
    CHECK(expand_set("name: e\noptimizer: {name: sgd, lr: 0.1}\ncases:\n"
                     "  - {name: a, grid: {train.seed: [2], train: {seed: [3]}}}\n",
                     NULL, 0, &p) == 1);
    CHECK(expand_set("name: e\noptimizer: {name: adam}\ncases:\n"
                     "  - {name: a, grid: {optimizer.momentum: [0.5]}}\n", NULL, 0, &p) == 1);
    /* the run limit counts each case's own grid */
    CHECK(expand_set("name: e\noptimizer: {name: adam}\ncases:\n  - {name: a}\n"
                     "  - {name: b, grid: {train.seed: {linspace: [0, 99, 100]}}}\n",
                     NULL, 100, &p) == 1);
    CHECK(expand_set("name: e\noptimizer: {name: adam}\ncases:\n  - {name: a}\n"
                     "  - {name: b, grid: {train.seed: {linspace: [0, 99, 100]}}}\n",
                     NULL, 101, &p) == 0);
    CHECK(p.n_runs == 100); /* b's seed 0 is a's run: kept once */
    plan_free(&p);
}

static void test_errors_and_limits(void)
{
    plan p;
    /* a key the optimizer does not have, arising only from the combination: an error */
    CHECK(expand_set("name: e\noptimizer: {name: sgd, lr: 0.1, momentum: 0.9}\n"
                     "grid: {optimizer.name: [sgd, adam]}\n", NULL, 0, &p) == 1);
    /* nesterov refused by PyTorch in the base: an error; from the grid: left out */
    CHECK(expand_set("name: e\noptimizer: {name: sgd, lr: 0.1, nesterov: true}\n", NULL, 0, &p) == 1);
    CHECK(expand_set("name: e\noptimizer: {name: sgd, lr: 0.1, nesterov: true}\n"
                     "grid: {optimizer.momentum: [0, 0.5]}\n", NULL, 0, &p) == 0);
    CHECK(p.n_runs == 1 && p.runs[0].settings.optim.momentum == 0.5);
    plan_free(&p);
    /* every run left out: an error */
    CHECK(expand_set("name: e\noptimizer: {name: sgd, lr: 0.1, nesterov: true}\n"
                     "grid: {optimizer.momentum: [0]}\n", NULL, 0, &p) == 1);
    /* the run limit: 10000 by default, --max-runs raises it */
    const char *big = "name: big\noptimizer: {name: adam}\n"
                      "grid:\n  optimizer.lr: {logspace: [1e-6, 1, 101]}\n"
                      "  train.seed: {linspace: [0, 99, 100]}\n";
    CHECK(expand_set(big, NULL, 0, &p) == 1);
    CHECK(expand_set(big, NULL, 10100, &p) == 0);
    CHECK(p.n_runs == 10100);
    /* sharding: every run in exactly one shard, in plan order, for several N */
    for (int count = 1; count <= 7; count++) {
        int *seen = calloc((size_t)p.n_runs, sizeof *seen);
        for (int index = 0; index < count; index++) {
            plan s;
            plan_shard(&p, index, count, &s);
            CHECK(s.n_total == p.n_runs && s.shard_index == index && s.shard_count == count);
            for (int i = 0; i < s.n_runs; i++) {
                int k = s.runs[i].index;
                CHECK(k % count == index);
                CHECK(i == 0 || k > s.runs[i - 1].index);
                CHECK(strcmp(s.runs[i].id, p.runs[k].id) == 0);
                seen[k]++;
            }
            plan_free(&s);
        }
        for (int i = 0; i < p.n_runs; i++) CHECK(seen[i] == 1);
        free(seen);
    }
    plan_free(&p);
}

static void test_costs(void)
{
    plan p;
    if (expand("name: c\noptimizer: {name: adam}\ntrain: {epochs: 10, batch_size: 64}\n"
               "data: {train_limit: 1000}\ngrid: {data.val_from_train: [0, 100]}\n", &p)) {
        test_failures++;
        return;
    }
    CHECK(p.runs[0].cost == 10 * 16);       /* ceil(1000 / 64) */
    CHECK(p.runs[1].cost == 10 * 15);       /* ceil(900 / 64) */
    CHECK(plan_run_cost(&p.runs[0].settings) == 160);
    plan_free(&p);
}

static void test_shard_parsing(void)
{
    int i, n;
    char err[256];
    CHECK(plan_parse_shard("0/1", &i, &n, err, sizeof err) == 0 && i == 0 && n == 1);
    CHECK(plan_parse_shard("3/4", &i, &n, err, sizeof err) == 0 && i == 3 && n == 4);
    CHECK(plan_parse_shard("4/4", &i, &n, err, sizeof err) != 0);
    CHECK(plan_parse_shard("-1/4", &i, &n, err, sizeof err) != 0);
    CHECK(plan_parse_shard("1/0", &i, &n, err, sizeof err) != 0);
    CHECK(plan_parse_shard("1", &i, &n, err, sizeof err) != 0);
    CHECK(plan_parse_shard("a/b", &i, &n, err, sizeof err) != 0);
    CHECK(plan_parse_shard("1/4x", &i, &n, err, sizeof err) != 0);
    CHECK_STR(err, "--shard: expected I/N with 0 <= I < N (like 0/4), found '1/4x'");

    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_COUNT");
    unsetenv("SLURM_ARRAY_TASK_MIN");
    unsetenv("SLURM_ARRAY_TASK_STEP");
    CHECK(plan_shard_from_env(&i, &n, err, sizeof err) == 0);
    setenv("SLURM_ARRAY_TASK_ID", "2", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
    CHECK(plan_shard_from_env(&i, &n, err, sizeof err) == 1 && i == 2 && n == 4);
    setenv("SLURM_ARRAY_TASK_MIN", "1", 1); /* --array=1-4 */
    setenv("SLURM_ARRAY_TASK_ID", "4", 1);
    CHECK(plan_shard_from_env(&i, &n, err, sizeof err) == 1 && i == 3 && n == 4);
    setenv("SLURM_ARRAY_TASK_ID", "5", 1);
    CHECK(plan_shard_from_env(&i, &n, err, sizeof err) == -1);
    setenv("SLURM_ARRAY_TASK_ID", "x", 1);
    CHECK(plan_shard_from_env(&i, &n, err, sizeof err) == -1);
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_COUNT");
    unsetenv("SLURM_ARRAY_TASK_MIN");
}

static void test_print(void)
{
    plan p;
    if (expand(issue_example, &p)) {
        test_failures++;
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    plan_print(&p, NULL, PLAN_FORMAT_TSV, f);
    fclose(f);
    CHECK(strncmp(buf, "id\tindex\tcase\toptimizer.lr\toptimizer.momentum\toptimizer.nesterov\tcost\n"
                       "sgd-lr1e-04-5e94cd2a\t0\tplain\t0.0001\t0\tfalse\t3000\n", 119) == 0);
    int lines = 0;
    for (char *c = buf; *c; c++) lines += *c == '\n';
    CHECK(lines == 16);
    free(buf);
    f = open_memstream(&buf, &len);
    plan_print(&p, NULL, PLAN_FORMAT_IDS, f);
    fclose(f);
    CHECK(strncmp(buf, "sgd-lr1e-04-5e94cd2a\nsgd-lr1e-04-m0.9-", 38) == 0);
    free(buf);
    f = open_memstream(&buf, &len);
    plan_print(&p, NULL, PLAN_FORMAT_JSON, f);
    fclose(f);
    CHECK(strstr(buf, "\"optimizer.lr\": 0.0001") != NULL);
    CHECK(strstr(buf, "\"model.hidden\": [128, 128, 128]") != NULL);
    CHECK(strstr(buf, "\"optimizer.name\": \"sgd\"") != NULL);
    CHECK(buf[0] == '[' && buf[len - 2] == ']');
    free(buf);
    plan_free(&p);
}

int main(void)
{
    test_issue_example();
    test_id_rules();
    test_precedence();
    test_case_grid();
    test_errors_and_limits();
    test_costs();
    test_shard_parsing();
    test_print();
    return test_finish("test_plan");
}
