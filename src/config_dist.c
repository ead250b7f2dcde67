/* config_dist.c — a distribution in place of a grid axis's values: {uniform: [a, b]} and
 * {loguniform: [a, b]} on number keys, {int: [a, b]} on integer keys, {choice: [...]} on any
 * key (each candidate checked as a grid value).  Every value a distribution can draw must be
 * a valid value of its key: that is checked here, at the bounds, so a bad range is an error
 * at load and never a failed run.  A pair key (optimizer.betas) may also be given element by
 * element, each a number or a distribution over that element's range:
 * [{uniform: [0.5, 0.99]}, 0.999].  Drawing is plan_sample.c's. */
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static const char *const dist_names[] = {"grid", "uniform", "loguniform", "int", "choice", NULL};

const char *config_dist_name(config_dist d)
{
    if (d == CONFIG_DIST_PAIR) return "pair";
    return d >= CONFIG_DIST_NONE && d <= CONFIG_DIST_CHOICE ? dist_names[d] : "?";
}

const char *config_axis_dist_name(const config_axis *a)
{
    if (a->dist == CONFIG_DIST_PAIR)
        for (int e = 0; e < 2; e++)
            if (a->parts[e].dist != CONFIG_DIST_NONE) return config_dist_name(a->parts[e].dist);
    return config_dist_name(a->dist);
}

void config_elem_name(int k, int e, char *buf, size_t n)
{
    if (e < 0) snprintf(buf, n, "%s", settings_key_name(k));
    else snprintf(buf, n, "%s[%d]", settings_key_name(k), e);
}

int config_is_dist_name(const char *name)
{
    for (int i = 1; dist_names[i]; i++)
        if (strcmp(name, dist_names[i]) == 0) return 1;
    return 0;
}

/* Can value x (as text) be key k's (elem < 0), or element elem of pair key k?  Else the key's
 * own message in err. */
static int valid_value(int k, int elem, const char *text, char *err, size_t n)
{
    setting_value v;
    setting_value_init(&v);
    if ((elem < 0 ? settings_parse_scalar(k, text, &v, err, n)
                  : settings_parse_element(k, text, &v, err, n)) != 0)
        return 0;
    setting_value_free(&v);
    return 1;
}

/* The two bounds [a, b] of uniform, loguniform or int, checked against the key's range (or
 * element elem's, elem >= 0). */
static int parse_bounds(config_walker *w, int k, int elem, config_dist dist, yaml_node_t *gv,
                        config_axis *out)
{
    char key[96];
    const char *name = config_dist_name(dist);
    config_elem_name(k, elem, key, sizeof key);
    config_loc loc = config_node_loc(w, gv);
    if (gv->type != YAML_SEQUENCE_NODE ||
        gv->data.sequence.items.top - gv->data.sequence.items.start != 2) {
        config_error(w->d, loc, "grid %s: %s takes [low, high], e.g. {%s: [%s]}", key, name,
                     name, dist == CONFIG_DIST_INT ? "16, 512" : dist == CONFIG_DIST_LOGUNIFORM
                                                    ? "1e-4, 1e-1" : "0.5, 0.99");
        return -1;
    }
    const char *text[2];
    for (int i = 0; i < 2; i++) {
        yaml_node_t *e = config_node(w, gv->data.sequence.items.start[i]);
        text[i] = e->type == YAML_SCALAR_NODE ? (const char *)e->data.scalar.value : "";
        long long x = 0;
        int bad = dist == CONFIG_DIST_INT ? settings_parse_integer(text[i], &x) != 0
                                          : settings_parse_double(text[i], i ? &out->hi : &out->lo) != 0;
        if (bad) {
            config_error(w->d, config_node_loc(w, e), "grid %s: %s: expected %s, found %s%s%s", key,
                         name, dist == CONFIG_DIST_INT ? "an integer" : "a number",
                         e->type == YAML_SCALAR_NODE ? "'" : "",
                         e->type == YAML_SCALAR_NODE ? text[i] : config_node_kind(e),
                         e->type == YAML_SCALAR_NODE ? "'" : "");
            return -1;
        }
        /* bounds and draws are computed in doubles: integers beyond 2^53 would not be exact */
        if (dist == CONFIG_DIST_INT && (x > (1LL << 53) || x < -(1LL << 53))) {
            config_error(w->d, config_node_loc(w, e), "grid %s: int bounds must be within "
                         "-2^53..2^53 (9007199254740992), found %s", key, text[i]);
            return -1;
        }
        if (dist == CONFIG_DIST_INT) *(i ? &out->hi : &out->lo) = (double)x;
    }
    if (!(out->lo < out->hi)) {
        config_error(w->d, loc, "grid %s: %s [%s, %s]: low must be less than high (for one "
                     "value, set %s instead)", key, name, text[0], text[1], key);
        return -1;
    }
    if (dist == CONFIG_DIST_LOGUNIFORM && out->lo <= 0) {
        config_error(w->d, loc, "grid %s: loguniform needs low greater than 0 (it draws log "
                     "values uniformly), found [%s, %s]", key, text[0], text[1]);
        return -1;
    }
    /* the key's ranges are intervals: the bounds decide.  high itself may be the key's open
     * end (momentum: {uniform: [0.5, 1]}): uniform and loguniform never draw it. */
    char err[512], below[64];
    snprintf(below, sizeof below, "%.17g", nextafter(out->hi, out->lo));
    for (int i = 0; i < 2; i++)
        if (!valid_value(k, elem, text[i], err, sizeof err) &&
            (i == 0 || dist == CONFIG_DIST_INT || !valid_value(k, elem, below, err, sizeof err))) {
            if (i == 1 && dist != CONFIG_DIST_INT) /* the key's own words, about high */
                valid_value(k, elem, text[1], err, sizeof err);
            config_error(w->d, loc, "grid %s: %s [%s, %s] draws values %s cannot take: %s", key,
                         name, text[0], text[1], key, err);
            return -1;
        }
    return 0;
}

/* {choice: [x, ...]} over element elem of pair key k: numbers, each in the element's range,
 * none twice; kept as one-number values. */
static int parse_elem_choice(config_walker *w, int k, int elem, const char *key, yaml_node_t *gv,
                             config_axis *out)
{
    int n = (int)(gv->data.sequence.items.top - gv->data.sequence.items.start), bad = 0;
    if (n == 0) {
        config_error(w->d, config_node_loc(w, gv), "grid %s: choice: empty list", key);
        return -1;
    }
    out->values = xcalloc((size_t)n, sizeof *out->values);
    out->value_locs = xcalloc((size_t)n, sizeof *out->value_locs);
    for (int i = 0; i < n; i++) {
        yaml_node_t *e = config_node(w, gv->data.sequence.items.start[i]);
        char err[512];
        setting_value *v = &out->values[out->n_values];
        setting_value_init(v);
        if (e->type != YAML_SCALAR_NODE) {
            config_error(w->d, config_node_loc(w, e), "grid %s: choice: expected a number, "
                         "found %s", key, config_node_kind(e));
            bad = 1;
            continue;
        }
        if (!valid_value(k, elem, (const char *)e->data.scalar.value, err, sizeof err)) {
            config_error(w->d, config_node_loc(w, e), "%s", err);
            bad = 1;
            continue;
        }
        settings_parse_element(k, (const char *)e->data.scalar.value, v, err, sizeof err);
        int twice = 0;
        for (int j = 0; j < out->n_values && !twice; j++) twice = out->values[j].d[0] == v->d[0];
        if (twice) { /* a short list of numbers: the quadratic check is cheap */
            config_error(w->d, config_node_loc(w, e), "grid %s: choice: duplicate value %s", key,
                         (const char *)e->data.scalar.value);
            bad = 1;
            continue;
        }
        out->value_locs[out->n_values++] = config_node_loc(w, e);
    }
    return bad ? -1 : 0;
}

/* A distribution over key k (elem < 0) or over element elem of pair key k: one-pair mapping v
 * whose name is a distribution's. */
static int parse_dist(config_walker *w, int k, int elem, yaml_node_t *v, config_axis *out)
{
    char key[96];
    config_elem_name(k, elem, key, sizeof key);
    yaml_node_pair_t *p = v->data.mapping.pairs.start;
    yaml_node_t *gk = config_node(w, p->key), *gv = config_node(w, p->value);
    const char *name = (const char *)gk->data.scalar.value;
    config_dist dist = CONFIG_DIST_NONE;
    for (int i = 1; dist_names[i]; i++)
        if (strcmp(name, dist_names[i]) == 0) dist = (config_dist)i;
    config_loc loc = config_node_loc(w, gk);
    setting_type t = elem < 0 ? settings_key_type(k) : SETTING_DOUBLE; /* an element: a number */
    if (dist == CONFIG_DIST_CHOICE) {
        if (gv->type != YAML_SEQUENCE_NODE) {
            config_error(w->d, config_node_loc(w, gv), "grid %s: choice takes a list of values, "
                         "like {choice: [%s]}", key, t == SETTING_INT_LIST || t == SETTING_DOUBLE_LIST
                                                         ? "[128], [256, 256]" : "a, b");
            return -1;
        }
        config_loc key_loc = out->loc;
        if ((elem < 0 ? config_parse_axis(w, k, key_loc, gv, out)
                      : parse_elem_choice(w, k, elem, key, gv, out)) != 0)
            return -1;
    } else {
        /* a number drawn between two bounds: for the key's own kind of number only */
        int want_int = dist == CONFIG_DIST_INT;
        if ((want_int && t != SETTING_INT) || (!want_int && t != SETTING_DOUBLE)) {
            const char *hint = t == SETTING_INT ? "use {int: [a, b]}"
                               : t == SETTING_DOUBLE ? "use {uniform: [a, b]} or {loguniform: [a, b]}"
                                                     : "use {choice: [...]}";
            config_error(w->d, loc, "grid %s: %s means nothing for %s, which takes %s: %s", key,
                         name, key, t == SETTING_INT ? "integers" : t == SETTING_DOUBLE
                         ? "numbers" : t == SETTING_ENUM ? "a name" : t == SETTING_BOOL
                         ? "true or false" : t == SETTING_STRING ? "text" : "a list", hint);
            return -1;
        }
        if (parse_bounds(w, k, elem, dist, gv, out) != 0) return -1;
    }
    out->dist = dist;
    out->dist_loc = loc;
    return 0;
}

int config_parse_dist(config_walker *w, int k, yaml_node_t *v, config_axis *out)
{
    return parse_dist(w, k, -1, v, out);
}

/* v a one-pair mapping whose name is a distribution's? */
static int is_dist_node(const config_walker *w, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE ||
        v->data.mapping.pairs.top - v->data.mapping.pairs.start != 1)
        return 0;
    yaml_node_t *gk = config_node(w, v->data.mapping.pairs.start->key);
    return gk->type == YAML_SCALAR_NODE && config_is_dist_name((const char *)gk->data.scalar.value);
}

int config_is_pair_parts(const config_walker *w, int k, yaml_node_t *v)
{
    if (!settings_key_is_pair(k) || v->type != YAML_SEQUENCE_NODE) return 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        if (config_node(w, *it)->type == YAML_MAPPING_NODE) return 1;
    return 0;
}

int config_parse_pair_parts(config_walker *w, int k, yaml_node_t *v, config_axis *out)
{
    const char *key = settings_key_name(k);
    if (v->data.sequence.items.top - v->data.sequence.items.start != 2) {
        config_error(w->d, config_node_loc(w, v), "grid %s: expected two elements, each a number "
                     "or a distribution, like [{uniform: [0.5, 0.99]}, 0.999]", key);
        return -1;
    }
    out->parts = xcalloc(2, sizeof *out->parts);
    int bad = 0;
    for (int e = 0; e < 2; e++) {
        yaml_node_t *n = config_node(w, v->data.sequence.items.start[e]);
        config_axis *part = &out->parts[e];
        char name[96], err[512];
        config_elem_name(k, e, name, sizeof name);
        part->key = k;
        part->loc = config_node_loc(w, n);
        if (is_dist_node(w, n)) {
            if (parse_dist(w, k, e, n, part) != 0) bad = 1;
            else if (!out->dist_loc.file) out->dist_loc = part->dist_loc; /* the first drawn */
        } else if (n->type == YAML_SCALAR_NODE && !config_node_is_null(n)) {
            setting_value x;
            setting_value_init(&x);
            if (settings_parse_element(k, (const char *)n->data.scalar.value, &x, err,
                                       sizeof err) != 0) {
                config_error(w->d, part->loc, "%s", err);
                bad = 1;
            }
            part->lo = x.d[0];
        } else {
            config_error(w->d, part->loc, "grid %s: expected a number or a distribution "
                         "({uniform: [a, b]}, {loguniform: [a, b]}, {choice: [...]}), found %s",
                         name, n->type == YAML_SCALAR_NODE ? "nothing" : config_node_kind(n));
            bad = 1;
        }
    }
    out->dist = CONFIG_DIST_PAIR;
    return bad ? -1 : 0;
}
