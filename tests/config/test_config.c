/* test_config.c — the key table and the sweep-file parser: defaults (PyTorch's), number and
 * bool syntax, typed values with positions, generated grid values, --set, error collection
 * with carets, did-you-mean, and the resolved YAML of a run loading back as the same run.
 * Exits non-zero on the first mismatch (each CHECK names file:line). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"
#include "settings.h"
#include "settings_value.h"
#include "test_util.h"


static int key(const char *name)
{
    int k = settings_find_key(name);
    if (k < 0) {
        fprintf(stderr, "no key %s\n", name);
        exit(1);
    }
    return k;
}

/* Loads text as a sweep; returns the number of errors (printed when unexpected). */
static int load(sweep *sw, const char *text, config_diags *d, int expect_errors)
{
    config_diags_init(d);
    config_load_text(sw, "t.yaml", text, strlen(text), d);
    if ((d->n > 0) != (expect_errors > 0)) config_diags_print(d, stderr);
    return d->n;
}

/* Expands text into a plan that must have no errors. */
static void expand(const char *text, plan *p)
{
    sweep sw;
    config_diags d;
    CHECK(load(&sw, text, &d, 0) == 0);
    if (plan_expand(&sw, p, 0, 0, &d) != 0) {
        config_diags_print(&d, stderr);
        test_failures++;
    }
    config_free(&sw);
    config_diags_free(&d);
}

static void test_defaults(void)
{
    run_settings s;
    settings_set_defaults(&s);
    CHECK(s.optim.kind == OPTIM_SGD);
    CHECK(s.optim.lr == 1e-3);
    CHECK(s.optim.eps == 1e-8);
    CHECK(s.optim.alpha == 0.99);
    CHECK(s.optim.beta1 == 0.9 && s.optim.beta2 == 0.999);
    CHECK(s.optim.momentum == 0 && s.optim.dampening == 0 && s.optim.weight_decay == 0);
    CHECK(s.schedule.kind == SCHEDULE_NONE && s.schedule.gamma == 0.1);
    CHECK(s.schedule.start_factor == 1.0 / 3.0 && s.schedule.end_factor == 1.0);
    CHECK(s.schedule.total_iters == 5);
    CHECK(s.schedule.warmup == 0 && s.schedule.warmup_iters == 0);
    CHECK(s.schedule.warmup_start_factor == 1.0 / 3.0);
    CHECK(s.model.n_hidden == 3 && s.model.hidden[0] == 128 && s.model.hidden[2] == 128);
    CHECK(s.model.activation == ACTIVATION_LEAKY_RELU);
    CHECK(strcmp(s.model.init, "default") == 0);
    CHECK(strcmp(s.data.dir, "data/mnist") == 0);
    CHECK(s.data.mean == 0.1307 && s.data.std == 0.3081 && !s.data.normalize);
    CHECK(s.train.validation_freq == 1 && s.train.early_stopping == 0 && s.train.patience == 10);
    CHECK(s.train.backend == BACKEND_AUTO && s.train.precision == PRECISION_FP32);
    CHECK(settings_n_keys() <= SETTINGS_MAX_KEYS);

    /* every key: its formatted value parses back to the same text, and names are unique */
    char a[2048], b[2048], err[256];
    for (int k = 0; k < settings_n_keys(); k++) {
        CHECK(settings_find_key(settings_key_name(k)) == k);
        setting_type t = settings_key_type(k);
        if (t == SETTING_INT_LIST || t == SETTING_DOUBLE_LIST) continue;
        if (!settings_key_applies(k, &s)) continue; /* warm-up iterations read 0 when off */
        settings_format(&s, k, a, sizeof a);
        setting_value v;
        if (settings_parse_scalar(k, a, &v, err, sizeof err) != 0) {
            fprintf(stderr, "default of %s does not parse: %s\n", settings_key_name(k), err);
            test_failures++;
            continue;
        }
        run_settings t2 = s;
        settings_apply_value(&t2, k, &v);
        settings_format(&t2, k, b, sizeof b);
        CHECK_STR(b, a);
        setting_value_free(&v);
    }
    CHECK_STR(optim_kind_name(OPTIM_ADAMW), "adamw");
    CHECK_STR(schedule_kind_name(SCHEDULE_COSINE), "cosine");
    CHECK_STR(schedule_every_name(SCHEDULE_EVERY_VALIDATION), "validation");
    CHECK_STR(backend_kind_name(BACKEND_CUDA), "cuda");
    CHECK_STR(dataset_kind_name(DATASET_FASHION_MNIST), "fashion_mnist");
    CHECK(settings_get_number(&s, key("optimizer.name")) == OPTIM_SGD);
    CHECK(settings_get_number(&s, key("optimizer.betas")) == 0.9);
    CHECK(settings_key_is_incidental(key("data.dir")));
    CHECK(settings_key_is_incidental(key("train.backend")));
    CHECK(settings_key_is_incidental(key("train.checkpoint_every")));
    CHECK(!settings_key_is_incidental(key("optimizer.lr")));
}

static void test_numbers(void)
{
    double x;
    long long i;
    /* any C float syntax: YAML 1.1 would read 1e-4 as a string */
    CHECK(settings_parse_double("1e-4", &x) == 0 && x == 1e-4);
    CHECK(settings_parse_double("1E-4", &x) == 0 && x == 1e-4);
    CHECK(settings_parse_double(".5", &x) == 0 && x == 0.5);
    CHECK(settings_parse_double("5.", &x) == 0 && x == 5.0);
    CHECK(settings_parse_double("+0.25", &x) == 0 && x == 0.25);
    CHECK(settings_parse_double("0x1p-3", &x) == 0 && x == 0.125);
    CHECK(settings_parse_double("1e-400", &x) == 0 && x >= 0); /* underflow is fine */
    CHECK(settings_parse_double("1e400", &x) != 0);
    CHECK(settings_parse_double("nan", &x) != 0);
    CHECK(settings_parse_double("inf", &x) != 0);
    CHECK(settings_parse_double(" 1", &x) != 0);
    CHECK(settings_parse_double("1 ", &x) != 0);
    CHECK(settings_parse_double("1e-4x", &x) != 0);
    CHECK(settings_parse_double("", &x) != 0);
    CHECK(settings_parse_integer("4096", &i) == 0 && i == 4096);
    CHECK(settings_parse_integer("1e3", &i) != 0);
    CHECK(settings_parse_integer("12.0", &i) != 0);
    CHECK(settings_parse_integer("99999999999999999999", &i) != 0);

    setting_value v;
    char err[256];
    CHECK(settings_parse_scalar(key("optimizer.nesterov"), "true", &v, err, sizeof err) == 0 &&
          v.i[0] == 1);
    CHECK(settings_parse_scalar(key("optimizer.nesterov"), "yes", &v, err, sizeof err) != 0);
    CHECK(settings_parse_scalar(key("optimizer.nesterov"), "True", &v, err, sizeof err) != 0);
    CHECK(settings_parse_scalar(key("optimizer.name"), "adamw", &v, err, sizeof err) == 0 &&
          v.i[0] == OPTIM_ADAMW);
    CHECK(settings_parse_scalar(key("optimizer.lr"), "0", &v, err, sizeof err) != 0);
    CHECK_STR(err, "optimizer.lr must be greater than 0, found 0");
    CHECK(settings_parse_scalar(key("optimizer.alpha"), "1", &v, err, sizeof err) == 0);
    CHECK(settings_parse_scalar(key("optimizer.alpha"), "1.01", &v, err, sizeof err) != 0);
    CHECK_STR(err, "optimizer.alpha must be between 0 and 1 inclusive, found 1.01");
    CHECK(settings_parse_scalar(key("train.seed"), "-1", &v, err, sizeof err) != 0);
    CHECK(settings_parse_scalar(key("train.seed"), "9223372036854775807", &v, err, sizeof err) == 0);
    CHECK(settings_parse_scalar(key("optimizer.name"), "Adam", &v, err, sizeof err) != 0);
    {   /* the list is the registry's, every name in enum order */
        char want[1024] = "optimizer.name must be one of: ";
        const char *const *names = settings_key_enum_names(key("optimizer.name"));
        for (int i = 0; names[i]; i++) {
            strcat(want, i ? ", " : "");
            strcat(want, names[i]);
        }
        strcat(want, "; found 'Adam' (did you mean 'adam'?)");
        CHECK_STR(err, want);
    }
}

static void test_suggest(void)
{
    char buf[128];
    CHECK(settings_suggest_key("optimizer", "momentun", buf, sizeof buf) && !strcmp(buf, "momentum"));
    CHECK(settings_suggest_key("optimizer", "betta", buf, sizeof buf) && !strcmp(buf, "betas"));
    CHECK(settings_suggest_key("", "optimiser", buf, sizeof buf) && !strcmp(buf, "optimizer"));
    CHECK(settings_suggest_key("", "optimizer.lrr", buf, sizeof buf) && !strcmp(buf, "optimizer.lr"));
    CHECK(settings_suggest_key("optimizer", "epochs", buf, sizeof buf) &&
          !strcmp(buf, "train.epochs"));
    CHECK(!settings_suggest_key("optimizer", "zzzzzz", buf, sizeof buf));
    const char *const *names = settings_key_enum_names(key("optimizer.name"));
    CHECK(settings_suggest("rmsporp", names) && !strcmp(settings_suggest("rmsporp", names), "rmsprop"));
    CHECK(settings_suggest("xyz", names) == NULL);
}

static void test_parse_sweep(void)
{
    sweep sw;
    config_diags d;
    const char *text =
        "name: t\n"
        "description: a test\n"
        "data:\n"
        "  dataset: fashion_mnist\n"
        "  val_from_test: 0.5\n"
        "  train_limit: 1000\n"
        "model: {hidden: [64, 32], activation: tanh}\n"
        "optimizer: {name: adam, lr: \"3e-4\", betas: [0.8, 0.95], amsgrad: true}\n"
        "train:\n"
        "  epochs: 3\n"
        "  early_stopping: {patience: 4}\n"
        "schedule.name: cosine\n"
        "schedule: {T_max: 10, warmup: {total_iters: 2}}\n"
        "grid:\n"
        "  optimizer.lr: [1e-4, 1e-3]\n"
        "  train:\n"
        "    seed: [0, 1, 2]\n"
        "cases:\n"
        "  - {name: plain}\n"
        "  - name: wd\n"
        "    optimizer: {weight_decay: 1e-2}\n";
    CHECK(load(&sw, text, &d, 0) == 0);
    CHECK_STR(sw.name, "t");
    CHECK(sw.description && !strcmp(sw.description, "a test"));
    CHECK(sw.n_axes == 2 && sw.axes[0].key == key("optimizer.lr") &&
          sw.axes[1].key == key("train.seed"));
    CHECK(sw.axes[0].n_values == 2 && sw.axes[0].values[0].d[0] == 1e-4);
    CHECK(sw.axes[0].value_locs[1].line == 15 && sw.axes[0].value_locs[1].col == 24);
    CHECK(sw.n_cases == 2 && !strcmp(sw.cases[1].name, "wd") && sw.cases[1].n_assigns == 1);
    CHECK(sw.cases[1].loc.line == 20 && sw.cases[1].loc.col == 5);
    /* positions point at values */
    int found = 0;
    for (int i = 0; i < sw.n_base; i++)
        if (sw.base[i].key == key("optimizer.lr")) {
            found = 1;
            CHECK(sw.base[i].value.d[0] == 3e-4);
            CHECK(sw.base[i].loc.line == 8 && sw.base[i].loc.col == 29);
        }
    CHECK(found);
    config_diags_free(&d);

    plan p;
    sweep sw2 = sw;
    config_diags_init(&d);
    if (plan_expand(&sw2, &p, 0, 0, &d) != 0) {
        config_diags_print(&d, stderr);
        test_failures++;
    }
    CHECK(p.n_runs == 2 * 2 * 3);
    if (p.n_runs != 12) return;
    const run_settings *s = &p.runs[0].settings;
    CHECK(s->data.dataset == DATASET_FASHION_MNIST);
    CHECK_STR(s->data.dir, "data/fashion-mnist"); /* dataset-dependent default */
    CHECK(s->model.n_hidden == 2 && s->model.hidden[1] == 32);
    CHECK(s->optim.kind == OPTIM_ADAM && s->optim.beta1 == 0.8 && s->optim.amsgrad == 1);
    CHECK(s->train.early_stopping == 1 && s->train.patience == 4 && s->train.delta == 0);
    CHECK(s->schedule.kind == SCHEDULE_COSINE && s->schedule.T_max == 10);
    CHECK(s->schedule.warmup == 1 && s->schedule.warmup_iters == 2);
    CHECK(s->schedule.warmup_start_factor == 1.0 / 3.0);
    CHECK(p.runs[11].settings.optim.weight_decay == 1e-2);
    plan_free(&p);
    config_free(&sw);
    config_diags_free(&d);
}

static void test_optimizer_defaults(void)
{
    static const struct {
        const char *name;
        double lr, eps, wd;
    } cases[] = {
        /* PyTorch 1.13's defaults, written out by hand (registry.c must give them) */
        {"adagrad", 1e-2, 1e-10, 0}, {"rmsprop", 1e-2, 1e-8, 0},
        {"adam", 1e-3, 1e-8, 0},     {"adamw", 1e-3, 1e-8, 1e-2},
        {"adadelta", 1.0, 1e-6, 0},  {"adamax", 2e-3, 1e-8, 0},
        {"nadam", 2e-3, 1e-8, 0},    {"radam", 1e-3, 1e-8, 0},
        {"rprop", 1e-2, 1e-8, 0},    {"asgd", 1e-2, 1e-8, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "name: t\noptimizer: {name: %s}\n", cases[i].name);
        plan p;
        expand(text, &p);
        if (p.n_runs != 1) continue;
        const optim_settings *o = &p.runs[0].settings.optim;
        CHECK(o->lr == cases[i].lr);
        CHECK(o->eps == cases[i].eps);
        CHECK(o->weight_decay == cases[i].wd);
        plan_free(&p);
    }
    /* the rest of the newer optimizers' PyTorch defaults */
    plan p;
    expand("name: t\noptimizer: {name: asgd}\n", &p);
    CHECK(p.n_runs == 1 && p.runs[0].settings.optim.alpha == 0.75 &&
          p.runs[0].settings.optim.lambd == 1e-4 && p.runs[0].settings.optim.t0 == 1e6);
    plan_free(&p);
    expand("name: t\noptimizer: {name: rprop}\n", &p);
    CHECK(p.n_runs == 1 && p.runs[0].settings.optim.etaminus == 0.5 &&
          p.runs[0].settings.optim.etaplus == 1.2 &&
          p.runs[0].settings.optim.step_size_min == 1e-6 &&
          p.runs[0].settings.optim.step_size_max == 50);
    plan_free(&p);
    expand("name: t\noptimizer: {name: nadam}\n", &p);
    CHECK(p.n_runs == 1 && p.runs[0].settings.optim.momentum_decay == 4e-3 &&
          p.runs[0].settings.optim.beta1 == 0.9 && p.runs[0].settings.optim.beta2 == 0.999);
    plan_free(&p);
    expand("name: t\noptimizer: {name: adadelta}\n", &p);
    CHECK(p.n_runs == 1 && p.runs[0].settings.optim.rho == 0.9);
    plan_free(&p);
    /* explicit values win over the optimizer's defaults */
    expand("name: t\noptimizer: {name: adamw, weight_decay: 0, eps: 1e-6}\n", &p);
    CHECK(p.n_runs == 1 && p.runs[0].settings.optim.weight_decay == 0 &&
          p.runs[0].settings.optim.eps == 1e-6);
    plan_free(&p);
    /* early_stopping: false keeps it off; a grid over it works */
    expand("name: t\noptimizer: {name: adam}\ndata: {val_from_test: 0.5}\n"
           "grid: {train.early_stopping: [false, true]}\n", &p);
    CHECK(p.n_runs == 2 && !p.runs[0].settings.train.early_stopping &&
          p.runs[1].settings.train.early_stopping);
    plan_free(&p);
}

static void test_generators(void)
{
    sweep sw;
    config_diags d;
    CHECK(load(&sw, "name: t\noptimizer: {name: sgd}\ngrid:\n"
                    "  optimizer.lr: {logspace: [1e-5, 1e-1, 9]}\n"
                    "  optimizer.momentum: {linspace: [0, 0.9, 4]}\n"
                    "  train.batch_size: {logspace: [32, 4096, 8]}\n",
               &d, 0) == 0);
    CHECK(sw.n_axes == 3);
    if (sw.n_axes == 3) {
        const config_axis *lr = &sw.axes[0], *m = &sw.axes[1], *bs = &sw.axes[2];
        CHECK(lr->n_values == 9);
        for (int i = 0; i < lr->n_values; i++) {
            /* 10^(-5 + i/2), rounded to 15 significant digits */
            char text[64];
            snprintf(text, sizeof text, "%.15g", pow(10.0, -5.0 + 0.5 * i));
            CHECK(lr->values[i].d[0] == strtod(text, NULL));
        }
        CHECK(lr->values[0].d[0] == 1e-5 && lr->values[2].d[0] == 1e-4 &&
              lr->values[8].d[0] == 1e-1);
        CHECK(lr->values[1].d[0] == 3.16227766016838e-05);
        CHECK(m->n_values == 4 && m->values[0].d[0] == 0 && m->values[1].d[0] == 0.3 &&
              m->values[2].d[0] == 0.6 && m->values[3].d[0] == 0.9);
        CHECK(bs->n_values == 8);
        for (int i = 0; i < bs->n_values; i++) CHECK(bs->values[i].i[0] == 32LL << i);
    }
    config_free(&sw);
    config_diags_free(&d);
}

static void test_set(void)
{
    sweep sw;
    config_diags d;
    CHECK(load(&sw, "name: t\noptimizer: {name: sgd, lr: 0.1}\n"
                    "grid: {optimizer.momentum: [0, 0.9], train.seed: [0, 1]}\n",
               &d, 0) == 0);
    CHECK(config_apply_set(&sw, "train.epochs=1", &d) == 0);
    CHECK(config_apply_set(&sw, "model.hidden=[256, 256]", &d) == 0);
    CHECK(config_apply_set(&sw, "optimizer.momentum=[0.5, 0.6, 0.7]", &d) == 0); /* replaces */
    CHECK(config_apply_set(&sw, "optimizer.lr={logspace: [1e-3, 1e-1, 3]}", &d) == 0); /* adds */
    CHECK(config_apply_set(&sw, "train.seed=5", &d) == 0); /* removes the seed axis */
    CHECK(config_apply_set(&sw, "model.hidden=[[64], [32, 32]]", &d) == 0); /* axis of lists */
    CHECK(d.n == 0);
    CHECK(sw.n_axes == 3 && sw.axes[0].key == key("optimizer.momentum") &&
          sw.axes[0].n_values == 3 && sw.axes[1].key == key("optimizer.lr") &&
          sw.axes[2].key == key("model.hidden") && sw.axes[2].values[1].n == 2);
    plan p;
    CHECK(plan_expand(&sw, &p, 0, 0, &d) == 0);
    CHECK(p.n_runs == 3 * 3 * 2);
    CHECK(p.runs[0].settings.train.epochs == 1 && p.runs[0].settings.train.seed == 5);
    CHECK(p.runs[0].settings.optim.momentum == 0.5 && p.runs[0].settings.optim.lr == 1e-3);
    CHECK(p.runs[0].settings.model.n_hidden == 1 && p.runs[1].settings.model.n_hidden == 2);
    plan_free(&p);

    /* sections and groups take a mapping */
    CHECK(config_apply_set(&sw, "optimizer={momentum: 0.25, weight_decay: 1e-3}", &d) == 0);
    CHECK(config_apply_set(&sw, "train.early_stopping={patience: 7}", &d) == 0);
    CHECK(config_apply_set(&sw, "data={val_from_test: 0.5}", &d) == 0);
    CHECK(d.n == 0);
    CHECK(plan_expand(&sw, &p, 0, 0, &d) == 0);
    CHECK(p.n_runs == 3 * 2 && p.runs[0].settings.optim.momentum == 0.25 &&
          p.runs[0].settings.optim.weight_decay == 1e-3 &&
          p.runs[0].settings.train.early_stopping && p.runs[0].settings.train.patience == 7);
    plan_free(&p);
    CHECK(config_apply_set(&sw, "optimizer={momentun: 0.5}", &d) != 0);
    CHECK(d.n == 1 && !strcmp(d.items[0].msg,
                              "unknown key 'momentun' in optimizer (did you mean 'momentum'?)"));
    CHECK(config_apply_set(&sw, "optimizer=adam", &d) != 0);
    config_diags_free(&d);
    config_diags_init(&d);
    CHECK(config_apply_set(&sw, "optimizer.lrr=0.1", &d) != 0);
    CHECK(d.n == 1 && !strcmp(d.items[0].msg,
                              "unknown key 'optimizer.lrr' (did you mean 'optimizer.lr'?)"));
    CHECK(d.n == 1 && !strcmp(d.items[0].loc.file, "--set optimizer.lrr=0.1"));
    CHECK(config_apply_set(&sw, "optimizer.lr", &d) != 0);
    CHECK(config_apply_set(&sw, "optimizer.lr=", &d) != 0);
    CHECK(config_apply_set(&sw, "optimizer.lr=[]", &d) != 0);
    CHECK(config_apply_set(&sw, "=3", &d) != 0);
    CHECK(d.n == 5);
    config_free(&sw);
    config_diags_free(&d);
}

static void test_diagnostics(void)
{
    sweep sw;
    config_diags d;
    /* every error of the file is collected, in file order */
    CHECK(load(&sw, "name: t\noptimizer:\n  name: sgd\n  lr: -1\n  momentun: 0.9\n"
                    "train: {epochs: x}\n",
               &d, 3) == 3);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_diags_print(&d, f);
    fclose(f);
    CHECK_STR(buf, "t.yaml:4:7: optimizer.lr must be greater than 0, found -1\n"
                   "      lr: -1\n"
                   "          ^\n"
                   "t.yaml:5:3: unknown key 'momentun' in optimizer (did you mean 'momentum'?)\n"
                   "      momentun: 0.9\n"
                   "      ^\n"
                   "t.yaml:6:17: train.epochs: expected an integer, found 'x'\n"
                   "    train: {epochs: x}\n"
                   "                    ^\n");
    free(buf);
    config_free(&sw);
    config_diags_free(&d);
    /* the same error twice (one bad key seen by many runs) prints once */
    config_diags_init(&d);
    config_loc l = {"x.yaml", 3, 4};
    config_error(&d, l, "same %d", 1);
    config_error(&d, l, "same %d", 1);
    config_error(&d, l, "other");
    CHECK(d.n == 2);
    config_diags_free(&d);
}

/* The resolved YAML of a run is a sweep file that loads back as the same run (same id). */
static void test_yaml_round_trip(void)
{
    const char *sweeps[] = {
        "name: rt\noptimizer: {name: sgd, lr: 0.1, momentum: 0.9, dampening: 0.1, "
        "weight_decay: 1e-4}\nschedule: {name: step, step_size: 3, gamma: 0.5, step_every: "
        "validation}\ndata: {val_from_test: 0.5, normalize: true, mean: 0.5, std: 0.25}\n",
        "name: rt\noptimizer: {name: sgd, lr: 0.1, momentum: 0.9, nesterov: true}\n"
        "schedule: {name: multistep, milestones: [3, 7, 9]}\nmodel: {init: \"w: #1.h5\"}\n",
        "name: rt\noptimizer: {name: adagrad, lr_decay: 1e-3, initial_accumulator_value: 0.1}\n"
        "schedule: {name: exponential, gamma: 0.95, warmup: {start_factor: 0.1}}\n",
        "name: rt\noptimizer: {name: rmsprop, alpha: 0.9, centered: true, momentum: 0.5}\n"
        "schedule: {name: cosine, T_max: 20, eta_min: 1e-5}\ntrain: {precision: tf32}\n",
        "name: rt\noptimizer: {name: adamw, betas: [0.85, 0.99], amsgrad: true}\n"
        "schedule: {name: linear, start_factor: 0.25, end_factor: 0.75, total_iters: 4}\n"
        "data: {val_from_train: 500, train_limit: 2000, split_seed: 7}\n"
        "train: {early_stopping: {patience: 3, delta: 1e-4}, seed: 12345678901234}\n",
    };
    for (size_t i = 0; i < sizeof sweeps / sizeof sweeps[0]; i++) {
        plan p, q;
        expand(sweeps[i], &p);
        if (p.n_runs != 1) continue;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        settings_write_yaml(&p.runs[0].settings, f);
        fclose(f);
        expand(buf, &q);
        if (q.n_runs == 1) {
            CHECK_STR(q.runs[0].id, p.runs[0].id);
            char *a = plan_canonical_text(&p.runs[0].settings);
            char *b = plan_canonical_text(&q.runs[0].settings);
            CHECK_STR(b, a);
            CHECK_STR(q.runs[0].settings.model.init, p.runs[0].settings.model.init);
            free(a);
            free(b);
            plan_free(&q);
        } else {
            fprintf(stderr, "round trip %zu did not load:\n%s\n", i, buf);
        }
        free(buf);
        plan_free(&p);
    }
}

/* settings_yaml_same_results: what a checkpoint is resumed by.  Incidental keys never count,
 * and neither does a section holding only incidental keys (`report:`), so a checkpoint whose
 * settings were written before report.select existed still resumes. */
static void settings_text(const char *sweep_text, char **out)
{
    plan p;
    *out = NULL;
    expand(sweep_text, &p);
    if (p.n_runs != 1) return;
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    settings_write_yaml(&p.runs[0].settings, f);
    fclose(f);
    plan_free(&p);
}

static void test_same_results(void)
{
    char *a, *b, *c, *d;
    settings_text("name: s\noptimizer: {name: sgd, lr: 0.1}\n", &a);
    settings_text("name: s\noptimizer: {name: sgd, lr: 0.1}\nreport: {select: val_loss}\n"
                  "train: {keep_best: true, checkpoint_every: 3}\n", &b);
    settings_text("name: s\noptimizer: {name: sgd, lr: 0.2}\n", &c);
    if (!a || !b || !c) {
        CHECK(!"settings texts");
        return;
    }
    CHECK(strstr(a, "report:\n  select: val_acc") != NULL);
    CHECK(settings_yaml_same_results(a, b));
    CHECK(!settings_yaml_same_results(a, c));
    /* the text of an earlier build: no report section at all */
    d = strdup(a);
    char *r = strstr(d, "report:\n");
    if (r) *r = '\0';
    CHECK(r && settings_yaml_same_results(d, b) && settings_yaml_same_results(b, d));
    free(a);
    free(b);
    free(c);
    free(d);
}

/* search: (#13): defaults without it; every key with its value and position; distributions
 * in the file's grid and a case's; --set search.KEY and --set of a distribution. */
static void test_search(void)
{
    sweep sw;
    config_diags d;
    CHECK(load(&sw, "name: t\noptimizer: {name: sgd, lr: 0.1}\n", &d, 0) == 0);
    const config_search *s = &sw.search;
    CHECK(s->method == SEARCH_GRID && s->samples == 0 && s->seed == 0 && !s->has_halving);
    CHECK(!s->loc.file && !s->method_loc.file && !s->samples_loc.file);
    CHECK(s->halving.metric == HALVING_VAL_LOSS && s->halving.min_epochs == 1 &&
          s->halving.eta == 3 && s->halving.max_epochs == 0 && s->halving.brackets == 1);
    config_free(&sw);
    config_diags_free(&d);

    CHECK(load(&sw, "name: t\n"
                    "optimizer: {name: sgd}\n"
                    "search:\n"
                    "  method: sobol\n"
                    "  samples: 64\n"
                    "  seed: 12345678901\n"
                    "  halving: {metric: val_acc, min_epochs: 2, eta: 4, max_epochs: 32, brackets: 3}\n"
                    "grid:\n"
                    "  optimizer.lr: {loguniform: [1e-4, 1e-1]}\n"
                    "  train.batch_size: {int: [16, 512]}\n"
                    "  train.seed: [0, 1]\n"
                    "cases:\n"
                    "  - {name: a, grid: {optimizer.momentum: {uniform: [0.5, 1]}}}\n"
                    "  - {name: b, grid: {model.hidden: {choice: [[64], [128, 128]]}}}\n",
               &d, 0) == 0);
    s = &sw.search;
    CHECK(s->method == SEARCH_SOBOL && s->samples == 64 && s->seed == 12345678901ULL);
    CHECK(s->loc.line == 3 && s->loc.col == 1 && s->method_loc.line == 4 &&
          s->method_loc.col == 11 && s->samples_loc.line == 5 && s->seed_loc.line == 6);
    CHECK(s->has_halving && s->halving_loc.line == 7 && s->halving_loc.col == 3);
    const config_halving *h = &s->halving;
    CHECK(h->metric == HALVING_VAL_ACC && h->min_epochs == 2 && h->eta == 4 &&
          h->max_epochs == 32 && h->brackets == 3);
    CHECK(h->metric_loc.line == 7 && h->metric_loc.col == 21 && h->eta_loc.line == 7 &&
          h->brackets_loc.line == 7);
    CHECK(sw.n_axes == 3 && sw.n_cases == 2);
    if (sw.n_axes == 3 && sw.n_cases == 2) {
        CHECK(sw.axes[0].dist == CONFIG_DIST_LOGUNIFORM && sw.axes[0].lo == 1e-4 &&
              sw.axes[0].hi == 1e-1 && sw.axes[0].dist_loc.line == 9 && sw.axes[0].dist_loc.col == 18);
        CHECK(sw.axes[1].dist == CONFIG_DIST_INT && sw.axes[1].lo == 16 && sw.axes[1].hi == 512);
        CHECK(sw.axes[2].dist == CONFIG_DIST_NONE && sw.axes[2].n_values == 2);
        /* momentum's open end 1 may bound uniform: it is never drawn */
        CHECK(sw.cases[0].n_axes == 1 && sw.cases[0].axes[0].dist == CONFIG_DIST_UNIFORM);
        CHECK(sw.cases[1].n_axes == 1 && sw.cases[1].axes[0].dist == CONFIG_DIST_CHOICE &&
              sw.cases[1].axes[0].n_values == 2 && sw.cases[1].axes[0].values[1].n == 2);
    }
    CHECK(config_check_search(&sw, &d) == 0);
    /* --set: search keys, the halving group, and a distribution replacing a grid axis */
    CHECK(config_apply_set(&sw, "search.samples=200", &d) == 0 && sw.search.samples == 200);
    CHECK(sw.search.samples_loc.file && strcmp(sw.search.samples_loc.file, "--set search.samples=200") == 0);
    CHECK(config_apply_set(&sw, "search={method: random, seed: 5}", &d) == 0 &&
          sw.search.method == SEARCH_RANDOM && sw.search.seed == 5 && sw.search.samples == 200);
    CHECK(config_apply_set(&sw, "search.halving.eta=5", &d) == 0 && sw.search.halving.eta == 5);
    CHECK(config_apply_set(&sw, "search.halving={brackets: 2}", &d) == 0 &&
          sw.search.halving.brackets == 2 && sw.search.halving.eta == 5);
    CHECK(config_apply_set(&sw, "train.seed={int: [0, 9]}", &d) == 0);
    CHECK(sw.n_axes == 3 && sw.axes[2].key == key("train.seed") &&
          sw.axes[2].dist == CONFIG_DIST_INT && sw.axes[2].hi == 9);
    CHECK(d.n == 0);
    if (d.n) config_diags_print(&d, stderr);
    /* method grid: each distribution is an error where it is written */
    CHECK(config_apply_set(&sw, "search.method=grid", &d) == 0);
    CHECK(config_check_search(&sw, &d) != 0 && d.n == 6); /* 5 distributions and samples */
    config_free(&sw);
    config_diags_free(&d);
}

int main(void)
{
    test_defaults();
    test_numbers();
    test_suggest();
    test_parse_sweep();
    test_optimizer_defaults();
    test_generators();
    test_search();
    test_set();
    test_diagnostics();
    test_yaml_round_trip();
    test_same_results();
    return test_finish("test_config");
}
