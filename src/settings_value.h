/* settings_value.h — typed values of settings and their conversions, for config and plan.
 * (settings.h is what the rest of the program needs; this is what parsing and expanding
 * need on top: text -> value, value -> field, defaults that depend on other keys, and the
 * did-you-mean helpers.)  Implemented in settings.c next to the key table. */
#ifndef OPTSWEEP_SETTINGS_VALUE_H
#define OPTSWEEP_SETTINGS_VALUE_H

#include <stddef.h>
#include "settings.h"

#ifdef __cplusplus /* the numerics fixtures read settings in .cu tests too */
extern "C" {
#endif

#define SETTINGS_MAX_KEYS 128

/* One key's value: scalars use element 0, lists n elements; integers (bools and enum
 * indexes too) in i, numbers in d (integers also as double), strings in s (owned). */
typedef struct {
    int n;
    long long i[SETTINGS_MAX_LIST];
    double d[SETTINGS_MAX_LIST];
    char *s;
} setting_value;

void setting_value_init(setting_value *v);
void setting_value_free(setting_value *v);
void setting_value_copy(setting_value *dst, const setting_value *src);
int setting_value_equal(const setting_value *a, const setting_value *b);

/* Text of one YAML scalar -> value of key k, with type and bound checks.  0, or -1 with a
 * message in err that names the key and states the rule
 * ("optimizer.momentum must be at least 0 and less than 1, found 1.5"). */
int settings_parse_scalar(int k, const char *text, setting_value *v, char *err, size_t n);
/* Appends one element of a list-typed key (v starts zeroed); then settings_check_list. */
int settings_parse_element(int k, const char *text, setting_value *v, char *err, size_t n);
int settings_check_list(int k, const setting_value *v, char *err, size_t n);
/* strtod / strtoll over the whole text (end-pointer checked); doubles must be finite. */
int settings_parse_double(const char *text, double *out);
int settings_parse_integer(const char *text, long long *out);
/* "must be at least 0 and less than 1" */
void settings_describe_bounds(int k, char *buf, size_t n);
int settings_enum_index(int k, const char *text);

/* Stores v into the field of key k; a sub-key (train.early_stopping.patience) also switches
 * its group (train.early_stopping) on. */
void settings_apply_value(run_settings *s, int k, const setting_value *v);
/* Fills defaults that depend on other keys (lr and eps by optimizer, data.dir by dataset)
 * for keys not in is_set[]; returns how many required keys are missing (PyTorch has no
 * default: lr for sgd, step_size for step, ...), their numbers in missing[]. */
int settings_resolve_defaults(run_settings *s, const unsigned char *is_set, int *missing);
/* Why key k must be given for this run (the registry row's words). */
const char *settings_required_reason(int k, const run_settings *s);
/* Keeps derived fields consistent (warmup_iters = 0 without warm-up). */
void settings_normalize(run_settings *s);

int settings_key_is_group(int k);    /* train.early_stopping, schedule.warmup */
int settings_key_is_pair(int k);     /* optimizer.betas, etas, step_sizes: two numbers */
int settings_key_is_lenient(int k);  /* harmless where it does not apply (step_every) */
int settings_key_group(int k);       /* the group a sub-key belongs to, or -1 */
int settings_is_prefix(const char *prefix); /* "optimizer", "train.early_stopping" */
/* Why key k does not apply to s ("optimizer adam has no 'momentum' (it applies to: sgd,
 * rmsprop)"); returns 0 when it does apply.  settings_key_condition: the key that decides
 * (optimizer.name, schedule.name, or the group switch), or -1. */
int settings_key_inapplicable_reason(int k, const run_settings *s, char *buf, size_t n);
int settings_key_condition(int k, const run_settings *s);

/* Shortest text that reads back as the same double. */
void settings_format_double(double x, char *buf, size_t n);
/* As settings_format, but doubles always with %.17g: the text run ids hash. */
void settings_format_canonical(const run_settings *s, int k, char *buf, size_t n);

/* Did you mean: the closest candidate within a typo's distance, or NULL. */
const char *settings_suggest(const char *typed, const char *const *candidates);
/* A key for `typed` under `prefix` ("optimizer"; "" at the top level): a close sibling, the
 * dotted key it resembles, or the same word in another section.  1 and buf filled, or 0. */
int settings_suggest_key(const char *prefix, const char *typed, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
