/* config_set.c — `--set KEY=VALUE` from the command line.  VALUE is read as YAML (so
 * `model.hidden=[256, 256]` and quoting work): a single value overrides KEY for every run,
 * above the file's base, grid and cases; a list (or {logspace|linspace: ...}) on a scalar key
 * becomes a grid axis over KEY, replacing the file's axis over KEY if it has one (Hydra's
 * multirun); either way a case's own axis over KEY is dropped.  KEY may also be a section
 * or a group with a mapping of single values: `optimizer={name: adam, lr: 3e-4}`,
 * `train.early_stopping={patience: 5}`.  `search.samples=200` (any key of search:, or
 * `search={method: random, samples: 50}`) sets the search.
 * Errors name the argument: "--set optimizer.lrr=0.1: unknown key ...". */
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *add_label(sweep *sw, const char *arg)
{
    char *label = xmalloc(strlen(arg) + 8);
    snprintf(label, strlen(arg) + 8, "--set %s", arg);
    sw->labels = xrealloc(sw->labels, (size_t)(sw->n_labels + 1) * sizeof *sw->labels);
    sw->labels[sw->n_labels++] = label;
    return label;
}

/* Removes the axis over k from axes[0, *n); returns its index, or -1. */
static int remove_from(config_axis *axes, int *n, int k)
{
    for (int i = 0; i < *n; i++)
        if (axes[i].key == k) {
            config_axis_free(&axes[i]);
            memmove(&axes[i], &axes[i + 1], (size_t)(*n - i - 1) * sizeof *axes);
            (*n)--;
            return i;
        }
    return -1;
}

/* --set is above every case: a case's own axis over k would fight it */
static void remove_case_axes(sweep *sw, int k)
{
    for (int c = 0; c < sw->n_cases; c++)
        remove_from(sw->cases[c].axes, &sw->cases[c].n_axes, k);
}

static void remove_axis(sweep *sw, int k)
{
    int at = remove_from(sw->axes, &sw->n_axes, k);
    if (at >= 0 && at < sw->n_file_axes) sw->n_file_axes--;
    remove_case_axes(sw, k);
}

static void remove_set(sweep *sw, int k)
{
    for (int i = 0; i < sw->n_sets; i++)
        if (sw->sets[i].key == k) {
            setting_value_free(&sw->sets[i].value);
            memmove(&sw->sets[i], &sw->sets[i + 1], (size_t)(sw->n_sets - i - 1) * sizeof *sw->sets);
            sw->n_sets--;
            return;
        }
}

/* Is node v meant as several values of key k (an axis) rather than one value? */
static int is_axis(int k, const config_walker *w, yaml_node_t *v)
{
    setting_type t = settings_key_type(k);
    int list_key = t == SETTING_INT_LIST || t == SETTING_DOUBLE_LIST;
    if (v->type == YAML_MAPPING_NODE) return 1;
    if (v->type != YAML_SEQUENCE_NODE) return 0;
    if (!list_key || config_is_pair_parts(w, k, v)) return 1; /* [{uniform: [..]}, 0.999] */
    /* a list of lists: [[128], [256, 256]] */
    yaml_node_item_t *first = v->data.sequence.items.start;
    return first < v->data.sequence.items.top &&
           config_node(w, *first)->type == YAML_SEQUENCE_NODE;
}

static void set_single(sweep *sw, int k, setting_value *v, config_loc loc)
{
    /* one value for every run: the file's axis over the key would only make copies */
    remove_axis(sw, k);
    remove_set(sw, k); /* the last --set of a key wins */
    config_assign_push(&sw->sets, &sw->n_sets, k, v, loc);
}

/* Single values for every key of a mapping under prefix (a section or a group, k >= 0). */
static int set_mapping(sweep *sw, config_walker *w, const char *prefix, int k, yaml_node_t *map,
                       config_loc loc)
{
    int rc = 0;
    if (k >= 0) { /* the group itself switches on */
        setting_value on;
        setting_value_init(&on);
        on.n = 1;
        on.i[0] = 1;
        set_single(sw, k, &on, loc);
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = config_node(w, p->key), *v = config_node(w, p->value);
        char full[256];
        if (kn->type != YAML_SCALAR_NODE) {
            config_error(w->d, loc, "expected a key name in %s, found %s", prefix,
                         config_node_kind(kn));
            rc = -1;
            continue;
        }
        snprintf(full, sizeof full, "%s.%s", prefix, (const char *)kn->data.scalar.value);
        int kk = settings_find_key(full);
        if (kk < 0 && settings_is_prefix(full) && v->type == YAML_MAPPING_NODE) {
            rc |= set_mapping(sw, w, full, -1, v, loc);
        } else if (kk >= 0 && settings_key_is_group(kk) && v->type == YAML_MAPPING_NODE) {
            rc |= set_mapping(sw, w, full, kk, v, loc);
        } else if (kk < 0) {
            char best[128], hint[200] = "";
            if (settings_suggest_key(prefix, (const char *)kn->data.scalar.value, best, sizeof best))
                snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
            config_error(w->d, loc, "unknown key '%s' in %s%s",
                         (const char *)kn->data.scalar.value, prefix, hint);
            rc = -1;
        } else {
            setting_value sv;
            if (config_parse_value(w, kk, v, &sv) == 0) set_single(sw, kk, &sv, loc);
            else rc = -1;
        }
    }
    return rc;
}

int config_apply_set(sweep *sw, const char *arg, config_diags *d)
{
    const char *label = add_label(sw, arg);
    config_loc loc = {label, 0, 0};
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        config_error(d, loc, "expected KEY=VALUE, like optimizer.lr=0.01");
        return -1;
    }
    char key[256];
    size_t klen = (size_t)(eq - arg);
    if (klen >= sizeof key) klen = sizeof key - 1;
    memcpy(key, arg, klen);
    key[klen] = '\0';
    int k = settings_find_key(key);
    int search = strcmp(key, "search") == 0 || strncmp(key, "search.", 7) == 0;
    if (k < 0 && !settings_is_prefix(key) && !search) {
        char best[128], hint[200] = "";
        if (settings_suggest_key("", key, best, sizeof best))
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
        config_error(d, loc, "unknown key '%s'%s", key, hint);
        return -1;
    }
    const char *value = eq + 1;
    if (!value[0]) {
        config_error(d, loc, "no value after '=' for %s", key);
        return -1;
    }

    int line, col;
    if (config_find_too_deep(value, strlen(value), &line, &col)) {
        config_error(d, loc, "the value is nested more than %d levels deep (at character %d)",
                     CONFIG_MAX_DEPTH, col);
        return -1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        config_error(d, loc, "libyaml: cannot initialize the parser");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)value, strlen(value));
    if (!yaml_parser_load(&parser, &doc)) {
        config_error(d, loc, "the value is not valid YAML: %s",
                     parser.problem ? parser.problem : "error");
        yaml_parser_delete(&parser);
        return -1;
    }
    config_walker w = {sw, d, &doc, sw->path, label};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = -1;
    if (!root) {
        config_error(d, loc, "no value after '=' for %s", key);
    } else if (search) {
        rc = config_set_search(&w, key, root);
    } else if (k < 0 || (settings_key_is_group(k) && root->type == YAML_MAPPING_NODE)) {
        /* a section or a group: --set 'optimizer={name: adam, lr: 3e-4}' */
        if (root->type != YAML_MAPPING_NODE)
            config_error(d, loc, "%s is a section: expected {key: value, ...}", key);
        else
            rc = set_mapping(sw, &w, key, k, root, loc);
    } else if (is_axis(k, &w, root)) {
        config_axis a;
        if (config_parse_axis(&w, k, loc, root, &a) == 0) {
            /* replaces the file's axis over this key in place, else becomes the last axis */
            int at = -1;
            for (int i = 0; i < sw->n_axes; i++)
                if (sw->axes[i].key == k) at = i;
            remove_set(sw, k);
            remove_case_axes(sw, k);
            if (at >= 0) {
                config_axis_free(&sw->axes[at]);
                sw->axes[at] = a;
            } else {
                sw->axes = xrealloc(sw->axes, (size_t)(sw->n_axes + 1) * sizeof *sw->axes);
                sw->axes[sw->n_axes++] = a;
            }
            rc = 0;
        }
    } else {
        setting_value v;
        if (config_parse_value(&w, k, root, &v) == 0) {
            set_single(sw, k, &v, loc);
            rc = 0;
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}
