/* plan.c — expands a checked sweep into runs: for each case (outer), each point of its
 * grid (last axis fastest: the file's grid with the case's own axes) and, under
 * search.method random | sobol, each sample (innermost; plan_sample.c draws) it layers
 * defaults < base < grid < case < --set, fills the defaults that depend on the optimizer,
 * and checks what only the combination can break (a key the run's optimizer does not have,
 * nesterov without momentum, ...).  Errors point at the key where it is written and say
 * where the conflicting value came from. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef enum { SRC_DEFAULT, SRC_BASE, SRC_GRID, SRC_CASE, SRC_SET } value_source;

/* One run being built, with where each key's value came from. */
typedef struct {
    run_settings s;
    unsigned char is_set[SETTINGS_MAX_KEYS];
    value_source src[SETTINGS_MAX_KEYS];
    config_loc loc[SETTINGS_MAX_KEYS];
    const config_case *c;
    const sweep *sw;
} building;

static void set_value(building *b, int k, const setting_value *v, config_loc loc, value_source src)
{
    settings_apply_value(&b->s, k, v);
    b->is_set[k] = 1;
    b->src[k] = src;
    b->loc[k] = loc;
    int g = settings_key_group(k); /* a sub-key switched its group on: point at it */
    if (g >= 0 && (!b->is_set[g] || b->src[g] != src)) {
        b->is_set[g] = 1;
        b->src[g] = src;
        b->loc[g] = loc;
    }
}

/* "optimizer.name is adam in case 'adam' at 12:5" */
static void describe(const building *b, int k, char *buf, size_t n)
{
    char v[SETTINGS_PATH_LEN + 8];
    settings_format(&b->s, k, v, sizeof v);
    const char *key = settings_key_name(k);
    config_loc l = b->loc[k];
    switch (b->src[k]) {
    case SRC_DEFAULT: snprintf(buf, n, "%s is %s by default", key, v); break;
    case SRC_BASE: snprintf(buf, n, "%s is %s at %d:%d", key, v, l.line, l.col); break;
    case SRC_GRID: snprintf(buf, n, "%s is %s in the grid at %d:%d", key, v, l.line, l.col); break;
    case SRC_CASE:
        snprintf(buf, n, "%s is %s in case '%s' at %d:%d", key, v, b->c ? b->c->name : "?", l.line,
                 l.col);
        break;
    case SRC_SET: snprintf(buf, n, "%s is %s from %s", key, v, l.file); break;
    }
}

/* Where to report a problem about key k: where it is written, else the case, else the file. */
static config_loc where(const building *b, int k)
{
    if (k >= 0 && b->is_set[k]) return b->loc[k];
    if (b->c) return b->c->loc;
    return (config_loc){b->sw->path, 0, 0};
}

/* ---- notes for runs left out (aggregated: one line per reason) -------------------------------- */
typedef struct {
    char **msgs;
    int *counts;
    int n;
} note_list;

static void note_add(note_list *nl, const char *msg)
{
    for (int i = 0; i < nl->n; i++)
        if (strcmp(nl->msgs[i], msg) == 0) {
            nl->counts[i]++;
            return;
        }
    nl->msgs = xrealloc(nl->msgs, (size_t)(nl->n + 1) * sizeof *nl->msgs);
    nl->counts = xrealloc(nl->counts, (size_t)(nl->n + 1) * sizeof *nl->counts);
    nl->msgs[nl->n] = xstrdup(msg);
    nl->counts[nl->n++] = 1;
}

static void note_free(note_list *nl)
{
    for (int i = 0; i < nl->n; i++) free(nl->msgs[i]);
    free(nl->msgs);
    free(nl->counts);
}

/* A combination PyTorch refuses.  When one of the keys involved got its value from the grid,
 * the run is one corner of a product (nesterov x momentum 0) and is left out with a note;
 * otherwise the sweep file asks for it directly, which is an error at `primary`. */
static int refuse(building *b, const int *keys, int n_keys, int primary, const char *msg,
                  const char *detail, note_list *notes, config_diags *d)
{
    char grid_part[512] = "";
    for (int i = 0; i < n_keys; i++)
        if (b->is_set[keys[i]] && b->src[keys[i]] == SRC_GRID) {
            char v[64];
            settings_format(&b->s, keys[i], v, sizeof v);
            size_t used = strlen(grid_part);
            snprintf(grid_part + used, sizeof grid_part - used, "%s%s = %s", used ? ", " : "",
                     settings_key_name(keys[i]), v);
        }
    if (grid_part[0]) {
        char note[1200];
        snprintf(note, sizeof note, "%s%s%s%s: %s", b->c ? "case '" : "", b->c ? b->c->name : "",
                 b->c ? "' with " : "", grid_part, msg);
        note_add(notes, note);
        return 0;
    }
    config_error_key(d, where(b, primary), "%s%s%s", msg, detail ? "; " : "",
                     detail ? detail : "");
    return 1;
}

/* CyclicLR / OneCycleLR: what PyTorch 1.13 refuses, and what optsweep cannot follow yet.
 * Returns refuse()'s 1 + 0|1, or 0 when the run is fine. */
static int check_cyclic(building *b, note_list *notes, config_diags *d)
{
    const run_settings *s = &b->s;
    const int cyclic = s->schedule.kind == SCHEDULE_CYCLIC;
    int k_name = settings_find_key("schedule.name"), k_mode = settings_find_key("schedule.mode");
    int k_cm = settings_find_key("schedule.cycle_momentum"), k_opt = settings_find_key("optimizer.name");
    int k_mom = settings_find_key("optimizer.momentum");
    int k_betas = settings_find_key("optimizer.betas");
    char msg[600];
    if (cyclic && s->schedule.mode != CYCLIC_TRIANGULAR && s->schedule.mode != CYCLIC_TRIANGULAR2 &&
        s->schedule.mode != CYCLIC_EXP_RANGE) {
        snprintf(msg, sizeof msg, "schedule.mode of cyclic is triangular, triangular2 or "
                 "exp_range (PyTorch refuses others)");
        return 1 + refuse(b, &k_mode, 1, k_mode, msg, NULL, notes, d);
    }
    if (s->schedule.warmup) {
        int keys[] = {k_name, settings_find_key("schedule.warmup")};
        snprintf(msg, sizeof msg, "schedule.warmup cannot precede %s (it sets the lr itself "
                 "from its first step)", schedule_kind_name(s->schedule.kind));
        return 1 + refuse(b, keys, 2, keys[1], msg, NULL, notes, d);
    }
    if (!s->schedule.cycle_momentum) return 0;
    /* PyTorch looks for 'momentum' (CyclicLR 1.13) or 'momentum' / 'betas' (OneCycleLR) in
     * the optimizer's defaults: the optimizers the settings rows give those keys. */
    const int has_momentum = settings_key_applies(k_mom, s);
    const int has_betas = !cyclic && settings_key_applies(k_betas, s);
    int keys[] = {k_cm, k_opt, k_name};
    /* the error points at cycle_momentum where it is written, else at schedule.name */
    const int at = b->is_set[k_cm] ? k_cm : k_name;
    if (!has_momentum && !has_betas) {
        snprintf(msg, sizeof msg, "%s with cycle_momentum needs an optimizer with %s (PyTorch "
                 "raises 'optimizer must support momentum with `cycle_momentum` option "
                 "enabled'): set schedule.cycle_momentum: false",
                 cyclic ? "CyclicLR" : "OneCycleLR", cyclic ? "momentum" : "momentum or betas");
        return 1 + refuse(b, keys, 3, at, msg, NULL, notes, d);
    }
    if (has_momentum && s->optim.momentum == 0.0) {
        int mk[] = {k_cm, k_mom};
        snprintf(msg, sizeof msg, "schedule.cycle_momentum replaces optimizer.momentum, which "
                 "must then be non-zero: with momentum 0 the optimizer keeps no momentum buffer "
                 "(set any value; the schedule overrides it)");
        return 1 + refuse(b, mk, 2, at, msg, NULL, notes, d);
    }
    if (s->optim.kind == OPTIM_NADAM) {
        snprintf(msg, sizeof msg, "cycling nadam's beta1 is not supported yet: its mu_product "
                 "would need every past step's beta1; set schedule.cycle_momentum: false");
        return 1 + refuse(b, keys, 3, at, msg, NULL, notes, d);
    }
    return 0;
}

/* ---- one run ---------------------------------------------------------------------------------- */
/* Returns 1 when the run is valid, 0 when left out (noted), -1 on an error (in d). */
static int check_run(building *b, note_list *notes, config_diags *d)
{
    int bad = 0;
    /* keys set where they mean nothing: momentum under adam, step_size without step, ... */
    for (int k = 0; k < settings_n_keys(); k++) {
        if (!b->is_set[k] || settings_key_applies(k, &b->s)) continue;
        if (settings_key_is_lenient(k) || settings_key_group(k) >= 0) continue;
        char reason[512], cond[600] = "";
        settings_key_inapplicable_reason(k, &b->s, reason, sizeof reason);
        int c = settings_key_condition(k, &b->s);
        if (c >= 0) {
            char what[500];
            describe(b, c, what, sizeof what);
            snprintf(cond, sizeof cond, "; %s", what);
        }
        config_error_key(d, b->loc[k], "%s%s", reason, cond);
        bad = 1;
    }
    if (bad) return -1;

    const run_settings *s = &b->s;
    int k_nesterov = settings_find_key("optimizer.nesterov");
    int k_momentum = settings_find_key("optimizer.momentum");
    int k_dampening = settings_find_key("optimizer.dampening");
    int k_vtest = settings_find_key("data.val_from_test");
    int k_vtrain = settings_find_key("data.val_from_train");
    int k_limit = settings_find_key("data.train_limit");
    int k_early = settings_find_key("train.early_stopping");
    int k_every = settings_find_key("schedule.step_every");
    int has_validation = s->data.val_from_test > 0 || s->data.val_from_train > 0;
    char msg[600];
    int refused = 0;

    if (s->optim.kind == OPTIM_SGD && s->optim.nesterov &&
        (s->optim.momentum <= 0 || s->optim.dampening != 0)) {
        int keys[] = {k_nesterov, k_momentum, k_dampening};
        char what[500];
        describe(b, s->optim.momentum <= 0 ? k_momentum : k_dampening, what, sizeof what);
        snprintf(msg, sizeof msg, "optimizer.nesterov needs momentum > 0 and dampening = 0 "
                 "(PyTorch refuses it)");
        refused |= 1 + refuse(b, keys, 3, k_nesterov, msg, what, notes, d);
    }
    if (!refused && s->optim.kind == OPTIM_RPROP &&
        !(s->optim.etaminus < 1.0 && 1.0 < s->optim.etaplus)) {
        int k_etas = settings_find_key("optimizer.etas");
        snprintf(msg, sizeof msg, "optimizer.etas must be [etaminus, etaplus] with 0 < etaminus "
                 "< 1 < etaplus (PyTorch refuses others)");
        refused |= 1 + refuse(b, &k_etas, 1, k_etas, msg, NULL, notes, d);
    }
    if (!refused && s->optim.kind == OPTIM_ASGD &&
        (s->schedule.kind != SCHEDULE_NONE || s->schedule.warmup)) {
        int keys[] = {settings_find_key("schedule.name"), settings_find_key("optimizer.name")};
        snprintf(msg, sizeof msg, "asgd with an lr schedule is not supported yet: PyTorch's "
                 "ASGD takes each step's eta from the previous step's lr, which optsweep's "
                 "backends do not pass");
        refused |= 1 + refuse(b, keys, 2, keys[0], msg, NULL, notes, d);
    }
    if (!refused && s->schedule.kind == SCHEDULE_REDUCE_ON_PLATEAU) {
        int k_name = settings_find_key("schedule.name"), k_factor = settings_find_key("schedule.factor");
        int keys[] = {k_name, k_vtest, k_vtrain};
        if (!has_validation) {
            snprintf(msg, sizeof msg, "schedule reduce_on_plateau steps on validation results: "
                     "set data.val_from_test or data.val_from_train");
            refused |= 1 + refuse(b, keys, 3, k_name, msg, NULL, notes, d);
        } else if (s->schedule.warmup) {
            int wk[] = {k_name, settings_find_key("schedule.warmup")};
            snprintf(msg, sizeof msg, "schedule.warmup cannot precede reduce_on_plateau "
                     "(PyTorch's SequentialLR does not take ReduceLROnPlateau)");
            refused |= 1 + refuse(b, wk, 2, wk[1], msg, NULL, notes, d);
        } else if (s->schedule.mode != PLATEAU_MIN && s->schedule.mode != PLATEAU_MAX) {
            int k_mode = settings_find_key("schedule.mode");
            snprintf(msg, sizeof msg, "schedule.mode of reduce_on_plateau is min or max "
                     "(PyTorch refuses others)");
            refused |= 1 + refuse(b, &k_mode, 1, k_mode, msg, NULL, notes, d);
        } else if (!(s->schedule.factor < 1.0)) {
            snprintf(msg, sizeof msg, "schedule.factor must be less than 1 for "
                     "reduce_on_plateau (PyTorch refuses it)");
            refused |= 1 + refuse(b, &k_factor, 1, k_factor, msg, NULL, notes, d);
        }
    }
    if (!refused && s->schedule.kind == SCHEDULE_CONSTANT && s->schedule.factor == 0.0) {
        int k_factor = settings_find_key("schedule.factor");
        snprintf(msg, sizeof msg, "schedule.factor 0 makes ConstantLR divide by zero at "
                 "total_iters (PyTorch raises ZeroDivisionError)");
        refused |= 1 + refuse(b, &k_factor, 1, k_factor, msg, NULL, notes, d);
    }
    if (!refused && (s->schedule.kind == SCHEDULE_CYCLIC || s->schedule.kind == SCHEDULE_ONE_CYCLE))
        refused |= check_cyclic(b, notes, d);
    if (!refused && settings_key_applies(k_every, s) && s->schedule.every == SCHEDULE_EVERY_BATCH &&
        (s->schedule.kind == SCHEDULE_REDUCE_ON_PLATEAU)) {
        int keys[] = {k_every, settings_find_key("schedule.name")};
        snprintf(msg, sizeof msg, "schedule.step_every: batch does not apply to "
                 "reduce_on_plateau, which steps on validation results");
        refused |= 1 + refuse(b, keys, 2, k_every, msg, NULL, notes, d);
    }
    if (!refused && s->data.val_from_test > 0 && s->data.val_from_train > 0) {
        int keys[] = {k_vtrain, k_vtest};
        snprintf(msg, sizeof msg, "data.val_from_train and data.val_from_test cannot both be "
                 "set: validation comes from the training set or from the test set");
        refused |= 1 + refuse(b, keys, 2, k_vtrain, msg, NULL, notes, d);
    }
    long n_train = s->data.train_limit > 0 ? s->data.train_limit : 60000;
    if (!refused && s->data.val_from_train >= n_train) {
        int keys[] = {k_vtrain, k_limit};
        snprintf(msg, sizeof msg, "data.val_from_train = %ld leaves no training images (the "
                 "training set has %ld)", s->data.val_from_train, n_train);
        refused |= 1 + refuse(b, keys, 2, k_vtrain, msg, NULL, notes, d);
    }
    if (!refused && s->train.early_stopping && !has_validation) {
        int keys[] = {k_early, k_vtest, k_vtrain};
        snprintf(msg, sizeof msg, "train.early_stopping needs validation data: set "
                 "data.val_from_test or data.val_from_train");
        refused |= 1 + refuse(b, keys, 3, k_early, msg, NULL, notes, d);
    }
    if (!refused && settings_key_applies(k_every, s) &&
        s->schedule.every == SCHEDULE_EVERY_VALIDATION && !has_validation) {
        int keys[] = {k_every, k_vtest, k_vtrain};
        snprintf(msg, sizeof msg, "schedule.step_every: validation needs validation data: set "
                 "data.val_from_test or data.val_from_train");
        refused |= 1 + refuse(b, keys, 3, k_every, msg, NULL, notes, d);
    }
    if (refused & 2) return -1;
    return refused ? 0 : 1;
}

/* Does the file's grid (not --set's additions) sweep key? */
static int file_has_axis(const sweep *sw, int key)
{
    for (int a = 0; a < sw->n_file_axes; a++)
        if (sw->axes[a].key == key) return 1;
    return 0;
}

/* The grid of one case: the file's axes in file order (the case's own axis over the same key
 * in its place), then the case's other axes, then the axes --set added (--set has already
 * dropped case axes over its keys).  out has room for sw->n_axes + c->n_axes; returns how
 * many. */
static int case_axes(const sweep *sw, const config_case *c, const config_axis **out)
{
    int n = 0;
    for (int a = 0; a < sw->n_file_axes; a++) {
        const config_axis *ax = &sw->axes[a];
        for (int j = 0; c && j < c->n_axes; j++)
            if (c->axes[j].key == ax->key) ax = &c->axes[j];
        out[n++] = ax;
    }
    for (int j = 0; c && j < c->n_axes; j++)
        if (!file_has_axis(sw, c->axes[j].key)) out[n++] = &c->axes[j];
    for (int a = sw->n_file_axes; a < sw->n_axes; a++) out[n++] = &sw->axes[a];
    return n;
}

static void build_run(building *b, const sweep *sw, const config_case *c,
                      const config_axis *const *axes, int n_axes, const int *idx,
                      const config_axis *const *sampled, const setting_value *drawn, int n_sampled)
{
    memset(b, 0, sizeof *b);
    b->sw = sw;
    b->c = c;
    settings_set_defaults(&b->s);
    for (int i = 0; i < sw->n_base; i++)
        set_value(b, sw->base[i].key, &sw->base[i].value, sw->base[i].loc, SRC_BASE);
    for (int a = 0; a < n_axes; a++)
        set_value(b, axes[a]->key, &axes[a]->values[idx[a]], axes[a]->value_locs[idx[a]],
                  SRC_GRID);
    for (int a = 0; a < n_sampled; a++)
        set_value(b, sampled[a]->key, &drawn[a], sampled[a]->dist_loc, SRC_GRID);
    for (int i = 0; c && i < c->n_assigns; i++)
        set_value(b, c->assigns[i].key, &c->assigns[i].value, c->assigns[i].loc, SRC_CASE);
    for (int i = 0; i < sw->n_sets; i++)
        set_value(b, sw->sets[i].key, &sw->sets[i].value, sw->sets[i].loc, SRC_SET);
    check_copy_string(b->s.sweep, sizeof b->s.sweep, sw->name);
    check_copy_string(b->s.case_name, sizeof b->s.case_name, c ? c->name : "");
}

/* Missing keys PyTorch has no default for (lr for sgd, step_size for step, ...). */
static int resolve_run(building *b, config_diags *d)
{
    int missing[SETTINGS_MAX_KEYS];
    int n = settings_resolve_defaults(&b->s, b->is_set, missing);
    for (int i = 0; i < n; i++) {
        int k = missing[i];
        const char *key = settings_key_name(k);
        int cond = settings_find_key(strncmp(key, "optimizer.", 10) == 0 ? "optimizer.name"
                                                                            : "schedule.name");
        char what[500] = "";
        if (!b->is_set[cond]) describe(b, cond, what, sizeof what);
        config_error(d, where(b, cond), "%s must be given: %s%s%s%s", key,
                     settings_required_reason(k, &b->s), what[0] ? " (" : "", what, what[0] ? ")" : "");
    }
    return n ? -1 : 0;
}

/* ---- dedup: identical settings keep the first run --------------------------------------------- */
typedef struct {
    uint64_t *hash;
    char **text;
    int *run;   /* index into the runs, -1 empty */
    size_t cap;
} run_table;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Returns the index of an earlier run with the same text, or inserts and returns -1. */
static int table_find_or_add(run_table *t, char *text, int run)
{
    uint64_t h = fnv1a(text);
    size_t i = (size_t)h & (t->cap - 1);
    while (t->run[i] >= 0) {
        if (t->hash[i] == h && strcmp(t->text[i], text) == 0) return t->run[i];
        i = (i + 1) & (t->cap - 1);
    }
    t->hash[i] = h;
    t->text[i] = text;
    t->run[i] = run;
    return -1;
}

/* ---- swept keys: what differs between runs ---------------------------------------------------- */
static void find_swept(plan *p, const sweep *sw)
{
    int nk = settings_n_keys();
    int *varies = xcalloc((size_t)nk, sizeof *varies);
    char a[SETTINGS_PATH_LEN + 64], b[SETTINGS_PATH_LEN + 64];
    /* a key is swept when it takes two values among the runs it applies to (only applying
     * to some runs, like adagrad's lr_decay next to adam, is not a sweep over it) */
    for (int k = 0; k < nk; k++) {
        int first = -1;
        for (int i = 0; i < p->n_runs && !varies[k]; i++) {
            const run_settings *s = &p->runs[i].settings;
            if (!settings_key_applies(k, s)) continue;
            settings_format(s, k, first < 0 ? a : b, first < 0 ? sizeof a : sizeof b);
            if (first < 0) first = i;
            else varies[k] = strcmp(a, b) != 0;
        }
    }
    p->swept = xmalloc((size_t)nk * sizeof *p->swept);
    p->n_swept = 0;
    /* grid axes first, in file order (the file's, then the cases' own), then the rest in
     * table order */
    for (int i = 0; i < sw->n_axes; i++) {
        int k = sw->axes[i].key;
        if (varies[k]) {
            p->swept[p->n_swept++] = k;
            varies[k] = 0;
        }
    }
    for (int c = 0; c < sw->n_cases; c++)
        for (int i = 0; i < sw->cases[c].n_axes; i++) {
            int k = sw->cases[c].axes[i].key;
            if (varies[k]) {
                p->swept[p->n_swept++] = k;
                varies[k] = 0;
            }
        }
    for (int k = 0; k < nk; k++)
        if (varies[k]) p->swept[p->n_swept++] = k;
    free(varies);
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(const plan_run *const *)a)->id, (*(const plan_run *const *)b)->id);
}

/* ---- the expansion ---------------------------------------------------------------------------- */
int plan_expand(const sweep *sw, plan *p, long max_runs, int verbose, config_diags *d)
{
    memset(p, 0, sizeof *p);
    p->shard_count = 1;
    check_copy_string(p->name, sizeof p->name, sw->name);
    p->source_path = xstrdup(sw->path ? sw->path : "");
    p->has_cases = sw->n_cases > 0;
    p->search = sw->search;
    int before = d->n + d->n_dropped;
    if (config_check_search(sw, d) != 0) {
        plan_free(p);
        return -1;
    }

    /* count first: a huge product is refused before anything is allocated */
    int n_cases = sw->n_cases > 0 ? sw->n_cases : 1;
    int max_axes = sw->n_axes;
    for (int ci = 0; ci < sw->n_cases; ci++) max_axes += sw->cases[ci].n_axes;
    const config_axis **axes = xmalloc((size_t)(max_axes ? max_axes : 1) * sizeof *axes);
    const config_axis **sampled = xmalloc((size_t)(max_axes ? max_axes : 1) * sizeof *sampled);
    setting_value *drawn = xcalloc((size_t)(max_axes ? max_axes : 1), sizeof *drawn);
    double total = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        int n_axes = case_axes(sw, sw->n_cases > 0 ? &sw->cases[ci] : NULL, axes);
        int n_sampled;
        n_axes = plan_split_sampled(axes, n_axes, sampled, &n_sampled);
        double runs = n_sampled ? (double)sw->search.samples : 1.0;
        for (int a = 0; a < n_axes; a++) runs *= axes[a]->n_values;
        total += runs;
    }
    if (max_runs <= 0) max_runs = CONFIG_MAX_RUNS_DEFAULT;
    /* what the plan will hold: the runs, their canonical texts and the duplicate table */
    double need = total * ((double)sizeof(plan_run) + 2048.0), have = plan_memory_available();
    if (total > (double)max_runs || total > (double)PLAN_MAX_RUNS || (have > 0 && need > have / 2)) {
        config_loc loc = sw->grid_loc.file ? sw->grid_loc : (config_loc){sw->path, 0, 0};
        char a[32], b[32];
        plan_format_bytes(need, a, sizeof a);
        plan_format_bytes(have, b, sizeof b);
        if (total > (double)PLAN_MAX_RUNS || (have > 0 && need > have / 2))
            /* no --max-runs hint past what can be planned: it would only fail later */
            config_error(d, loc, "the sweep expands to %.0f runs: more than optsweep plans at "
                         "once (at most %ld runs, and planning these needs about %s of this "
                         "machine's %s): split it into several sweep files", total,
                         PLAN_MAX_RUNS, a, b);
        else if (max_runs == CONFIG_MAX_RUNS_DEFAULT)
            config_error(d, loc, "the sweep expands to %.0f runs, more than %ld: pass "
                         "--max-runs %.0f to run them anyway", total, max_runs, total);
        else
            config_error(d, loc, "the sweep expands to %.0f runs, more than --max-runs %ld",
                         total, max_runs);
        free(axes);
        free(sampled);
        free(drawn);
        plan_free(p);
        return -1;
    }
    int n_total = (int)total;
    p->runs = xmalloc((size_t)(n_total ? n_total : 1) * sizeof *p->runs);
    char **texts = xcalloc((size_t)(n_total ? n_total : 1), sizeof *texts);
    run_table t;
    t.cap = 16;
    while (t.cap < 2 * (size_t)n_total) t.cap *= 2;
    t.hash = xmalloc(t.cap * sizeof *t.hash);
    t.text = xmalloc(t.cap * sizeof *t.text);
    t.run = xmalloc(t.cap * sizeof *t.run);
    for (size_t i = 0; i < t.cap; i++) t.run[i] = -1;

    note_list notes = {0};
    int n_dups = 0, n_errors_runs = 0;
    int *idx = xcalloc((size_t)(max_axes ? max_axes : 1), sizeof *idx);
    building *b = xmalloc(sizeof *b);
    for (int ci = 0; ci < n_cases; ci++) {
        const config_case *c = sw->n_cases > 0 ? &sw->cases[ci] : NULL;
        int n_axes = case_axes(sw, c, axes), n_sampled;
        n_axes = plan_split_sampled(axes, n_axes, sampled, &n_sampled);
        long n_samples = n_sampled ? sw->search.samples : 1; /* each grid point x samples */
        memset(idx, 0, (size_t)(max_axes ? max_axes : 1) * sizeof *idx);
        for (long si = 0;;) {
            if (plan_draw_samples(&sw->search, sampled, n_sampled, si, drawn, d) != 0) break;
            build_run(b, sw, c, axes, n_axes, idx, sampled, drawn, n_sampled);
            int ok = -1;
            if (resolve_run(b, d) == 0) {
                plan_halving_apply(sw, &b->s); /* before the checks and the id */
                ok = check_run(b, &notes, d);
            }
            if (ok < 0) n_errors_runs++;
            if (ok > 0) {
                plan_run *r = &p->runs[p->n_runs];
                memset(r, 0, sizeof *r);
                r->settings = b->s;
                char *text = plan_canonical_text(&b->s);
                int first = table_find_or_add(&t, text, p->n_runs);
                if (first >= 0) {
                    if (verbose && n_dups < 5)
                        fprintf(stderr, "optsweep: warning: %s%s%shas the same settings as run %d"
                                "%s%s%s: keeping the first\n", c ? "case '" : "",
                                c ? c->name : "", c ? "' " : "a run ", first,
                                p->runs[first].settings.case_name[0] ? " (case '" : "",
                                p->runs[first].settings.case_name,
                                p->runs[first].settings.case_name[0] ? "')" : "");
                    n_dups++;
                    free(text);
                } else {
                    texts[p->n_runs] = text;
                    r->index = p->n_runs;
                    /* a drawn key the case sets keeps the case's value: not drawn */
                    r->sample = -1;
                    for (int a = 0; a < n_sampled; a++)
                        if (b->src[sampled[a]->key] == SRC_GRID) {
                            r->sampled[sampled[a]->key] = plan_sampled_code(sampled[a]);
                            r->sample = si;
                        }
                    r->cost = plan_run_cost(&r->settings);
                    plan_run_id(&r->settings, r->id, sizeof r->id);
                    p->n_runs++;
                }
            }
            if (d->n >= CONFIG_MAX_DIAGS) break; /* enough to fix first */
            if (++si < n_samples) continue; /* the samples turn fastest */
            si = 0;
            /* odometer: the last axis turns fastest */
            int a = n_axes - 1;
            while (a >= 0 && ++idx[a] == axes[a]->n_values) idx[a--] = 0;
            if (a < 0) break;
        }
        if (d->n >= CONFIG_MAX_DIAGS) break;
    }
    for (int a = 0; a < max_axes; a++) setting_value_free(&drawn[a]);
    free(drawn);
    free(sampled);
    free(b);
    free(idx);
    free(axes);

    if (verbose && n_dups > 5)
        fprintf(stderr, "optsweep: warning: ... %d duplicate runs in all, each kept once\n", n_dups);
    if (verbose)
        for (int i = 0; i < notes.n; i++)
            fprintf(stderr, "optsweep: note: left out %d run%s: %s\n", notes.counts[i],
                    notes.counts[i] == 1 ? "" : "s", notes.msgs[i]);
    if (d->n + d->n_dropped == before && p->n_runs == 0)
        config_error(d, (config_loc){sw->path, 0, 0}, "the sweep has no runs left%s",
                     notes.n ? " (see the notes above)" : "");

    /* two different settings with the same id would share a result file: never allowed
     * (texts are unique here, so equal ids mean a hash collision) */
    if (d->n + d->n_dropped == before && p->n_runs > 1) {
        const plan_run **order = xmalloc((size_t)p->n_runs * sizeof *order);
        for (int i = 0; i < p->n_runs; i++) order[i] = &p->runs[i];
        qsort(order, (size_t)p->n_runs, sizeof *order, by_id);
        for (int i = 1; i < p->n_runs; i++)
            if (strcmp(order[i]->id, order[i - 1]->id) == 0) {
                config_error(d, (config_loc){sw->path, 0, 0}, "runs %d and %d have different "
                             "settings but the same id %s (a hash collision: change a seed)",
                             order[i - 1]->index, order[i]->index, order[i]->id);
                break;
            }
        free(order);
    }

    if (d->n + d->n_dropped == before) plan_halving_check(sw, p, d);

    for (int i = 0; i < p->n_runs; i++) free(texts[i]);
    free(texts);
    free(t.hash);
    free(t.text);
    free(t.run);
    note_free(&notes);
    (void)n_errors_runs;
    if (d->n + d->n_dropped > before) {
        plan_free(p);
        return -1;
    }
    p->n_total = p->n_runs;
    find_swept(p, sw);
    return 0;
}

void plan_free(plan *p)
{
    free(p->runs);
    free(p->source_path);
    free(p->swept);
    memset(p, 0, sizeof *p);
}
