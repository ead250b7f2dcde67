/* config_dist.c — a distribution in place of a grid axis's values: {uniform: [a, b]} and
 * {loguniform: [a, b]} on number keys, {int: [a, b]} on integer keys, {choice: [...]} on any
 * key (each candidate checked as a grid value).  Every value a distribution can draw must be
 * a valid value of its key: that is checked here, at the bounds, so a bad range is an error
 * at load and never a failed run.  Drawing is plan_sample.c's. */
#include "config_internal.h"

#include <math.h>
#include <string.h>

static const char *const dist_names[] = {"grid", "uniform", "loguniform", "int", "choice", NULL};

const char *config_dist_name(config_dist d)
{
    return d >= CONFIG_DIST_NONE && d <= CONFIG_DIST_CHOICE ? dist_names[d] : "?";
}

int config_is_dist_name(const char *name)
{
    for (int i = 1; dist_names[i]; i++)
        if (strcmp(name, dist_names[i]) == 0) return 1;
    return 0;
}

/* Can value x (as text) be key k's?  Else the key's own message in err. */
static int valid_value(int k, const char *text, char *err, size_t n)
{
    setting_value v;
    if (settings_parse_scalar(k, text, &v, err, n) != 0) return 0;
    setting_value_free(&v);
    return 1;
}

/* The two bounds [a, b] of uniform, loguniform or int, checked against the key's range. */
static int parse_bounds(config_walker *w, int k, config_dist dist, yaml_node_t *gv,
                        config_axis *out)
{
    const char *key = settings_key_name(k), *name = config_dist_name(dist);
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
        if (!valid_value(k, text[i], err, sizeof err) &&
            (i == 0 || dist == CONFIG_DIST_INT || !valid_value(k, below, err, sizeof err))) {
            if (i == 1 && dist != CONFIG_DIST_INT) /* the key's own words, about high */
                valid_value(k, text[1], err, sizeof err);
            config_error(w->d, loc, "grid %s: %s [%s, %s] draws values %s cannot take: %s", key,
                         name, text[0], text[1], key, err);
            return -1;
        }
    return 0;
}

int config_parse_dist(config_walker *w, int k, yaml_node_t *v, config_axis *out)
{
    const char *key = settings_key_name(k);
    yaml_node_pair_t *p = v->data.mapping.pairs.start;
    yaml_node_t *gk = config_node(w, p->key), *gv = config_node(w, p->value);
    const char *name = (const char *)gk->data.scalar.value;
    config_dist dist = CONFIG_DIST_NONE;
    for (int i = 1; dist_names[i]; i++)
        if (strcmp(name, dist_names[i]) == 0) dist = (config_dist)i;
    config_loc loc = config_node_loc(w, gk);
    setting_type t = settings_key_type(k);
    if (dist == CONFIG_DIST_CHOICE) {
        if (gv->type != YAML_SEQUENCE_NODE) {
            config_error(w->d, config_node_loc(w, gv), "grid %s: choice takes a list of values, "
                         "like {choice: [%s]}", key, t == SETTING_INT_LIST || t == SETTING_DOUBLE_LIST
                                                         ? "[128], [256, 256]" : "a, b");
            return -1;
        }
        config_loc key_loc = out->loc;
        if (config_parse_axis(w, k, key_loc, gv, out) != 0) return -1;
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
        if (parse_bounds(w, k, dist, gv, out) != 0) return -1;
    }
    out->dist = dist;
    out->dist_loc = loc;
    return 0;
}
