/* config_search.c — the `search:` section of a sweep file: method (grid | random | sobol),
 * samples, seed, and halving's keys, each typed and range-checked where it is written, one
 * row per key below; --set search.KEY=VALUE; and the checks that need the whole sweep (a
 * distribution needs random or sobol, which need samples).  Sampling itself is plan_sample.c's;
 * what halving does is the engine's. */
#include "config_internal.h"

#include <stddef.h>
#include <string.h>

#define SEARCH_MAX_SAMPLES 1000000LL /* PLAN_MAX_RUNS: more could never be planned */

static const char *const method_names[] = {"grid", "random", "sobol", NULL};
static const char *const metric_names[] = {"val_loss", "val_acc", NULL};

const char *search_method_name(search_method m)
{
    return m >= SEARCH_GRID && m <= SEARCH_SOBOL ? method_names[m] : "?";
}

const char *halving_metric_name(halving_metric m)
{
    return m == HALVING_VAL_ACC ? metric_names[1] : metric_names[0];
}

/* One key: an enum (names) or an integer in [min, max], stored at `off` in config_search
 * (int, long or uint64_t by size) with its position at loc_off. */
typedef struct {
    const char *name;
    const char *const *names;
    long long min, max;
    size_t off, size, loc_off;
} search_key;

#define KEY_(name, names, min, max, field, loc)                                                  \
    {name, names, min, max, offsetof(config_search, field),                                    \
     sizeof(((config_search *)0)->field), offsetof(config_search, loc)}

static const search_key search_keys[] = {
    KEY_("method", method_names, 0, 0, method, method_loc),
    KEY_("samples", NULL, 1, SEARCH_MAX_SAMPLES, samples, samples_loc),
    KEY_("seed", NULL, 0, 0x7FFFFFFFFFFFFFFFLL, seed, seed_loc),
};
static const search_key halving_keys[] = {
    KEY_("metric", metric_names, 0, 0, halving.metric, halving.metric_loc),
    KEY_("min_epochs", NULL, 1, 1000000, halving.min_epochs, halving.min_epochs_loc),
    KEY_("eta", NULL, 2, 1000, halving.eta, halving.eta_loc),
    KEY_("max_epochs", NULL, 1, 1000000, halving.max_epochs, halving.max_epochs_loc),
    KEY_("brackets", NULL, 1, 64, halving.brackets, halving.brackets_loc),
};
#define N_SEARCH ((int)(sizeof search_keys / sizeof search_keys[0]))
#define N_HALVING ((int)(sizeof halving_keys / sizeof halving_keys[0]))

static const char *const search_names[] = {"method", "samples", "seed", "halving", NULL};
static const char *const halving_names[] = {"metric", "min_epochs", "eta", "max_epochs",
                                            "brackets", NULL};

void config_search_defaults(config_search *s)
{
    memset(s, 0, sizeof *s);
    s->method = SEARCH_GRID;
    s->halving.metric = HALVING_VAL_LOSS;
    s->halving.min_epochs = 1;
    s->halving.eta = 3;
    s->halving.brackets = 1;
}

static void store(config_search *s, const search_key *k, long long v, config_loc loc)
{
    char *f = (char *)s + k->off;
    if (k->size == sizeof(uint64_t)) {
        uint64_t u = (uint64_t)v;
        memcpy(f, &u, sizeof u);
    } else if (k->size == sizeof(long)) {
        long l = (long)v;
        memcpy(f, &l, sizeof l);
    } else {
        int i = (int)v;
        memcpy(f, &i, sizeof i);
    }
    memcpy((char *)s + k->loc_off, &loc, sizeof loc);
}

/* "one of: grid, random, sobol" */
static void list_names(const char *const *names, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; names[i] && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
}

/* The value of one key from a scalar node.  0, or -1 after reporting. */
static int parse_key(config_walker *w, const char *where, const search_key *k, yaml_node_t *v)
{
    config_loc loc = config_node_loc(w, v);
    const char *text = v->type == YAML_SCALAR_NODE && !config_node_is_null(v)
                           ? (const char *)v->data.scalar.value : NULL;
    if (text && strlen(text) != v->data.scalar.length) text = NULL; /* an embedded NUL */
    if (k->names) {
        for (int i = 0; text && k->names[i]; i++)
            if (strcmp(text, k->names[i]) == 0) {
                store(&w->sw->search, k, i, loc);
                return 0;
            }
        char list[128], hint[96] = "";
        const char *best = text ? settings_suggest(text, k->names) : NULL;
        list_names(k->names, list, sizeof list);
        if (best) snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
        config_error(w->d, loc, "%s.%s must be one of: %s, found %s%s%s%s", where, k->name, list,
                     text ? "'" : "", text ? text : config_node_kind(v), text ? "'" : "", hint);
        return -1;
    }
    long long x;
    if (!text || settings_parse_integer(text, &x) != 0 || x < k->min || x > k->max) {
        config_error(w->d, loc, "%s.%s must be an integer from %lld to %lld, found %s%s%s", where,
                     k->name, k->min, k->max, text ? "'" : "", text ? text : config_node_kind(v),
                     text ? "'" : "");
        return -1;
    }
    store(&w->sw->search, k, x, loc);
    return 0;
}

static const search_key *find_key(const search_key *keys, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0) return &keys[i];
    return NULL;
}

static void unknown(config_walker *w, config_loc loc, const char *where, const char *typed,
                    const char *const *names)
{
    char list[160];
    const char *best = settings_suggest(typed, names);
    list_names(names, list, sizeof list);
    if (best)
        config_error(w->d, loc, "unknown key '%s' in %s (did you mean '%s'?)", typed, where, best);
    else
        config_error(w->d, loc, "unknown key '%s' in %s (expected one of: %s)", typed, where,
                     list);
}

static int walk_halving(config_walker *w, config_loc key_loc, yaml_node_t *v)
{
    config_search *s = &w->sw->search;
    s->has_halving = 1;
    s->halving_loc = key_loc;
    if (config_node_is_null(v)) return 0; /* `halving:` alone: every default */
    if (v->type != YAML_MAPPING_NODE) {
        config_error(w->d, config_node_loc(w, v), "search.halving: expected a mapping like "
                     "{metric: val_loss, min_epochs: 1, eta: 3}, found %s", config_node_kind(v));
        return -1;
    }
    int rc = 0;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *key = config_pair_key(w, v, p);
        if (!key) {
            rc = -1;
            continue;
        }
        const search_key *k = find_key(halving_keys, N_HALVING, key);
        if (!k) {
            unknown(w, config_node_loc(w, config_node(w, p->key)), "search.halving", key,
                    halving_names);
            rc = -1;
        } else if (parse_key(w, "search.halving", k, config_node(w, p->value)) != 0) {
            rc = -1;
        }
    }
    const config_halving *h = &s->halving;
    if (rc == 0 && h->max_epochs_loc.file && h->max_epochs < h->min_epochs) {
        config_error(w->d, h->max_epochs_loc, "search.halving.max_epochs (%d) must be at least "
                     "min_epochs (%d)", h->max_epochs, h->min_epochs);
        rc = -1;
    }
    return rc;
}

/* One `name: value` of the section. */
static int search_pair(config_walker *w, config_loc key_loc, const char *key, yaml_node_t *v)
{
    if (strcmp(key, "halving") == 0) return walk_halving(w, key_loc, v);
    const search_key *k = find_key(search_keys, N_SEARCH, key);
    if (!k) {
        unknown(w, key_loc, "search", key, search_names);
        return -1;
    }
    return parse_key(w, "search", k, v);
}

void config_walk_search(config_walker *w, yaml_node_t *kn, yaml_node_t *v)
{
    config_search *s = &w->sw->search;
    config_search_defaults(s);
    s->loc = config_node_loc(w, kn);
    if (config_node_is_null(v)) return;
    if (v->type != YAML_MAPPING_NODE) {
        config_error(w->d, config_node_loc(w, v), "search: expected a mapping like {method: "
                     "random, samples: 50, seed: 0}, found %s", config_node_kind(v));
        return;
    }
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *key = config_pair_key(w, v, p);
        if (key)
            search_pair(w, config_node_loc(w, config_node(w, p->key)), key,
                        config_node(w, p->value));
    }
}

int config_set_search(config_walker *w, const char *key, yaml_node_t *v)
{
    config_search *s = &w->sw->search;
    if (!s->loc.file) s->loc = config_node_loc(w, v); /* no search: in the file */
    if (strcmp(key, "search") == 0) {
        if (v->type != YAML_MAPPING_NODE) {
            config_error(w->d, config_node_loc(w, v), "search is a section: expected "
                         "{method: random, samples: 50}");
            return -1;
        }
        int rc = 0;
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = config_node(w, p->key);
            if (kn->type != YAML_SCALAR_NODE) {
                config_error(w->d, config_node_loc(w, kn), "expected a key name in search");
                rc = -1;
            } else if (search_pair(w, config_node_loc(w, kn), (const char *)kn->data.scalar.value,
                                   config_node(w, p->value)) != 0) {
                rc = -1;
            }
        }
        return rc;
    }
    const char *sub = key + strlen("search.");
    if (strncmp(sub, "halving.", 8) == 0) {
        const search_key *k = find_key(halving_keys, N_HALVING, sub + 8);
        if (!k) {
            unknown(w, config_node_loc(w, v), "search.halving", sub + 8, halving_names);
            return -1;
        }
        if (!s->has_halving) {
            s->has_halving = 1;
            s->halving_loc = config_node_loc(w, v);
        }
        return parse_key(w, "search.halving", k, v);
    }
    return search_pair(w, config_node_loc(w, v), sub, v);
}

/* ---- the whole sweep ----------------------------------------------------------------------- */
/* The first distribution of the sweep (the file's grid, the cases' own), or NULL. */
static const config_axis *first_dist(const sweep *sw)
{
    for (int a = 0; a < sw->n_axes; a++)
        if (sw->axes[a].dist != CONFIG_DIST_NONE) return &sw->axes[a];
    for (int c = 0; c < sw->n_cases; c++)
        for (int a = 0; a < sw->cases[c].n_axes; a++)
            if (sw->cases[c].axes[a].dist != CONFIG_DIST_NONE) return &sw->cases[c].axes[a];
    return NULL;
}

int config_check_search(const sweep *sw, config_diags *d)
{
    const config_search *s = &sw->search;
    const config_axis *dist = first_dist(sw);
    int before = d->n + d->n_dropped;
    if (s->method == SEARCH_GRID) {
        /* every distribution is an error; say it at each */
        for (int pass = 0; pass < 1 + sw->n_cases; pass++) {
            const config_axis *axes = pass == 0 ? sw->axes : sw->cases[pass - 1].axes;
            int n = pass == 0 ? sw->n_axes : sw->cases[pass - 1].n_axes;
            for (int a = 0; a < n; a++)
                if (axes[a].dist != CONFIG_DIST_NONE)
                    config_error(d, axes[a].dist_loc, "grid %s: a distribution (%s) needs "
                                     "search.method random or sobol (and search.samples)",
                                     settings_key_name(axes[a].key),
                                     config_axis_dist_name(&axes[a]));
        }
        if (s->samples_loc.file)
            config_error(d, s->samples_loc, "search.samples needs search.method random or "
                             "sobol (method grid runs every grid point once)");
    } else {
        config_loc at = s->method_loc.file ? s->method_loc : s->loc;
        if (!s->samples_loc.file)
            config_error(d, at, "search.method %s needs search.samples: how many values to "
                             "draw for each case and grid point", search_method_name(s->method));
        if (!dist)
            config_error(d, at, "search.method %s needs a distribution in grid, like "
                             "optimizer.lr: {loguniform: [1e-4, 1e-1]}",
                             search_method_name(s->method));
    }
    return d->n + d->n_dropped > before ? -1 : 0;
}
