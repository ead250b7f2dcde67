/* config_set.c — `--set KEY=VALUE` from the command line.  VALUE is read as YAML (so
 * `model.hidden=[256, 256]` and quoting work): a single value overrides KEY for every run,
 * above the file's base, grid and cases; a list (or {logspace|linspace: ...}) on a scalar key
 * becomes a grid axis over KEY, replacing the file's axis over KEY if it has one (Hydra's
 * multirun).  Errors name the argument: "--set optimizer.lrr=0.1: unknown key ...". */
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

static void remove_axis(sweep *sw, int k)
{
    for (int i = 0; i < sw->n_axes; i++)
        if (sw->axes[i].key == k) {
            config_axis_free(&sw->axes[i]);
            memmove(&sw->axes[i], &sw->axes[i + 1], (size_t)(sw->n_axes - i - 1) * sizeof *sw->axes);
            sw->n_axes--;
            return;
        }
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
    if (!list_key) return 1;
    /* a list of lists: [[128], [256, 256]] */
    yaml_node_item_t *first = v->data.sequence.items.start;
    return first < v->data.sequence.items.top &&
           config_node(w, *first)->type == YAML_SEQUENCE_NODE;
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
    if (k < 0) {
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
    } else if (is_axis(k, &w, root)) {
        config_axis a;
        if (config_parse_axis(&w, k, loc, root, &a) == 0) {
            /* replaces the file's axis over this key in place, else becomes the last axis */
            int at = -1;
            for (int i = 0; i < sw->n_axes; i++)
                if (sw->axes[i].key == k) at = i;
            remove_set(sw, k);
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
            /* one value for every run: the file's axis over the key would only make copies */
            remove_axis(sw, k);
            remove_set(sw, k); /* the last --set of a key wins */
            config_assign_push(&sw->sets, &sw->n_sets, k, &v, loc);
            rc = 0;
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}
