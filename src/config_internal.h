/* config_internal.h — what the config_*.c files share: a walker over one libyaml document,
 * and the conversion of a value node (scalar, list, grid axis, logspace/linspace) into typed
 * setting values with errors at the node's position.  Not for use outside config. */
#ifndef OPTSWEEP_CONFIG_INTERNAL_H
#define OPTSWEEP_CONFIG_INTERNAL_H

#include <yaml.h>
#include "config.h"

typedef struct {
    sweep *sw;
    config_diags *d;
    yaml_document_t *doc;
    const char *path;  /* positions are in this file ... */
    const char *label; /* ... unless label is set (a --set argument): then no line:col */
} config_walker;

/* Sweep files and --set values nest at most this deep (config_depth.c). */
#define CONFIG_MAX_DEPTH 64
/* 1, with the 1-based place of the first collection nested deeper than CONFIG_MAX_DEPTH, when
 * text has one; 0 otherwise (syntax errors are left to the load).  Linear time. */
int config_find_too_deep(const char *text, size_t len, int *line, int *col);

config_loc config_node_loc(const config_walker *w, const yaml_node_t *n);
yaml_node_t *config_node(const config_walker *w, int id);
/* "a list", "a mapping", "'text'" for messages */
const char *config_node_kind(const yaml_node_t *n);
int config_node_is_null(const yaml_node_t *n);

/* A single value of key k from node v (a scalar, or a list for list-typed keys).
 * 0, or -1 after reporting the error at the right node. */
int config_parse_value(config_walker *w, int k, yaml_node_t *v, setting_value *out);
/* A grid axis over key k from node v: a list of values or {logspace|linspace: [a, b, n]}.
 * key_loc is where the axis is named.  0, or -1 after reporting. */
int config_parse_axis(config_walker *w, int k, config_loc key_loc, yaml_node_t *v,
                      config_axis *out);
void config_axis_free(config_axis *a);

/* A mapping key's text: a scalar that does not repeat an earlier key of the same mapping
 * (else NULL after reporting). */
const char *config_pair_key(config_walker *w, yaml_node_t *map, yaml_node_pair_t *p);
/* A distribution {uniform|loguniform|int: [lo, hi]} or {choice: [...]} over key k, from the
 * one-pair mapping v whose name is a distribution's (config_is_dist_name); config_dist.c.
 * 0, or -1 after reporting. */
int config_is_dist_name(const char *name);
int config_parse_dist(config_walker *w, int k, yaml_node_t *v, config_axis *out);
/* Pair key k given element by element in a grid: list v of two elements, at least one a
 * mapping ([{uniform: [0.5, 0.99]}, 0.999]); config_is_pair_parts says whether v is one.
 * An axis with dist CONFIG_DIST_PAIR and parts[2]; 0, or -1 after reporting. */
int config_is_pair_parts(const config_walker *w, int k, yaml_node_t *v);
int config_parse_pair_parts(config_walker *w, int k, yaml_node_t *v, config_axis *out);
/* The `search:` section at key node kn (config_search.c); --set search.KEY=VALUE or
 * search={...}: key is "search" or "search.KEY", v its value.  0, or -1 after reporting. */
void config_search_defaults(config_search *s);
void config_walk_search(config_walker *w, yaml_node_t *kn, yaml_node_t *v);
int config_set_search(config_walker *w, const char *key, yaml_node_t *v);

/* Appends to a growable array of assignments. */
void config_assign_push(config_assign **list, int *n, int key, const setting_value *v,
                        config_loc loc);

#endif
