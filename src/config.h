/* config.h — a sweep file, parsed and checked: base settings, grid axes, cases, and the
 * --set overrides of the command line, each value typed and carrying its position in the file.
 * Errors are collected (config_diags) as "file:line:col: message" with the source line and a
 * caret, all of a file before the caller exits 2.  Expansion into runs is plan.h's job. */
#ifndef OPTSWEEP_CONFIG_H
#define OPTSWEEP_CONFIG_H

#include <stdio.h>
#include "settings.h"
#include "settings_value.h"

#define CONFIG_MAX_RUNS_DEFAULT 10000L

/* Where a value came from.  file is the sweep file's path, or the whole "--set K=V" argument
 * (then line = col = 0).  line and col count from 1. */
typedef struct {
    const char *file;
    int line, col;
} config_loc;

typedef struct {
    config_loc loc;
    char *msg;
    int about_set_key;  /* about a key the sweep sets (config_error_key): valid even when the
                         * sweep has errors of its own, so reported with them */
} config_diag;

/* Errors of one load + expansion, deduplicated, in the order found. */
typedef struct {
    config_diag *items;
    int n, cap;
    int n_dropped;                   /* beyond CONFIG_MAX_DIAGS */
    struct config_source {
        char *path;
        char *text;
        size_t len;
    } *sources;                      /* file texts, to print the line under each error */
    int n_sources;
} config_diags;

#define CONFIG_MAX_DIAGS 100

void config_diags_init(config_diags *d);
void config_diags_free(config_diags *d);
void config_error(config_diags *d, config_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "file:line:col: message", then the source line and a caret under the column. */
void config_diags_print(const config_diags *d, FILE *f);
/* config_error for an error about a key the sweep sets, where it means nothing or PyTorch
 * refuses it: it stands even when other parts of the file are wrong. */
void config_error_key(config_diags *d, config_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds src's errors about set keys (config_error_key) to d: the expansion of a sweep that has
 * errors of its own, so that every error of a file comes at once. */
void config_diags_add_key_errors(config_diags *d, const config_diags *src);
/* Keeps a copy of a file's text so errors can show their line. */
void config_diags_add_source(config_diags *d, const char *path, const char *text, size_t len);
/* "x.yaml:12:5" or "--set optimizer.lr=0" (for messages that point at a second place). */
void config_loc_format(config_loc loc, char *buf, size_t n);

/* key = value, at loc */
typedef struct {
    int key;
    setting_value value;
    config_loc loc;
} config_assign;

/* One grid axis: a key and its values, in file order. */
typedef struct {
    int key;
    config_loc loc;          /* the key in the file */
    setting_value *values;
    config_loc *value_locs;
    int n_values;
} config_axis;

/* A named variant: overrides applied on top of base and grid values.  A case may have its
 * own grid (`grid:` inside the case): its axes are crossed with the file's grid for this case
 * only, and an axis over a key the file's grid also sweeps replaces the file's axis here
 * (e.g. seeds 0-4 for the file, seed 0 alone for one case). */
typedef struct {
    char name[SETTINGS_NAME_LEN];
    config_loc loc;
    config_assign *assigns;
    int n_assigns;
    config_axis *axes;       /* the case's own grid, in file order */
    int n_axes;
} config_case;

typedef struct sweep {
    char name[SETTINGS_NAME_LEN];
    char *path;              /* the sweep file as given */
    char *description;       /* optional free text, or NULL */
    config_assign *base;     /* top-level sections, in file order */
    int n_base;
    config_axis *axes;       /* grid, in file order (then --set axes) */
    int n_axes;
    int n_file_axes;         /* axes[0, n_file_axes) hold the file's grid positions (an axis
                              * --set replaced keeps its place); the rest were added by --set */
    config_loc grid_loc;
    config_case *cases;      /* in file order; none = one unnamed case */
    int n_cases;
    config_assign *sets;     /* --set KEY=VALUE single values: applied last, over everything */
    int n_sets;
    char **labels;           /* owned "--set K=V" texts that config_loc.file points to */
    int n_labels;
} sweep;

/* Reads and checks a sweep file.  0, or -1 with every error of the file in d. */
int config_load(sweep *sw, const char *path, config_diags *d);
/* The same from text in memory (tests); path names it in messages. */
int config_load_text(sweep *sw, const char *path, const char *text, size_t len, config_diags *d);
/* Applies one --set KEY=VALUE: a single value overrides KEY everywhere (and replaces a grid
 * axis over KEY); a list [a, b] or {logspace: [a, b, n]} on a scalar key adds or replaces
 * the grid axis over KEY.  Either way a case's own axis over KEY is dropped: --set is above
 * every case.  0, or -1 with the error in d. */
int config_apply_set(sweep *sw, const char *arg, config_diags *d);
void config_free(sweep *sw);

/* Name rules shared by the sweep name and case names: 1..127 of [A-Za-z0-9._+-], not
 * starting with '.' (the sweep name is a directory under results/). */
int config_valid_name(const char *s);

#endif
