/* plan_only.c — `--only PATTERN`: which runs of a plan a command keeps.  A pattern is either
 * KEY=VALUE (a dotted setting key; VALUE a glob over the setting's value as `plan` prints it,
 * or a number compared as a number: optimizer.lr=1e-2 matches 0.01; the keys `case` and `id`
 * name the case and the run id) or a glob over the run id and the case name (`adam-*`,
 * `nesterov`).  A run is kept when any pattern matches it. */
#include "plan.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "settings_value.h"

int plan_only_check(const char *pattern, char *err, size_t n)
{
    const char *eq = strchr(pattern, '=');
    if (!pattern[0] || (eq && eq == pattern)) {
        snprintf(err, n, "--only: expected a run id, a case name, a glob such as 'adam-*' or "
                 "KEY=VALUE such as optimizer.name=adam, found '%s'", pattern);
        return -1;
    }
    if (!eq) return 0;
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - pattern), pattern);
    if (strcmp(key, "case") != 0 && strcmp(key, "id") != 0 && settings_find_key(key) < 0) {
        snprintf(err, n, "--only %s: unknown key '%s' (a setting such as optimizer.name, or "
                 "case, or id)", pattern, key);
        return -1;
    }
    return 0;
}

/* Does one pattern match a run with this id, case and settings (value_of: the setting as
 * text into buf, or NULL where it does not apply)?  (pattern checked by plan_only_check) */
static int pattern_matches(const char *pattern, const char *id, const char *case_name,
                           plan_only_value value_of, const void *ctx)
{
    const char *eq = strchr(pattern, '=');
    if (!eq) return fnmatch(pattern, id, 0) == 0 || fnmatch(pattern, case_name, 0) == 0;
    char key[128], text[SETTINGS_PATH_LEN + 64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - pattern), pattern);
    const char *want = eq + 1;
    if (strcmp(key, "case") == 0) return fnmatch(want, case_name, 0) == 0;
    if (strcmp(key, "id") == 0) return fnmatch(want, id, 0) == 0;
    const char *v = value_of(ctx, key, text, sizeof text);
    if (!v) return strcmp(want, "-") == 0;
    double a, b;
    if (settings_parse_double(want, &a) == 0 && settings_parse_double(v, &b) == 0)
        return a == b;
    return fnmatch(want, v, 0) == 0;
}

int plan_only_matches(const char *const *patterns, int n, const char *id, const char *case_name,
                      plan_only_value value_of, const void *ctx)
{
    for (int i = 0; i < n; i++)
        if (pattern_matches(patterns[i], id, case_name, value_of, ctx)) return 1;
    return 0;
}

/* A plan run's setting as plan prints it. */
static const char *plan_value(const void *ctx, const char *key, char *buf, size_t n)
{
    const plan_run *r = ctx;
    const int k = settings_find_key(key);
    if (!settings_key_applies(k, &r->settings)) return NULL;
    settings_format(&r->settings, k, buf, n);
    return buf;
}

int plan_run_matches(const plan_run *r, const char *const *patterns, int n)
{
    return plan_only_matches(patterns, n, r->id, r->settings.case_name, plan_value, r);
}

void plan_keep_only(plan *p, const char *const *patterns, int n)
{
    int kept = 0;
    for (int i = 0; i < p->n_runs; i++)
        if (plan_run_matches(&p->runs[i], patterns, n)) p->runs[kept++] = p->runs[i];
    p->n_runs = kept;
}

/* Settings no file records: nothing applies. */
static const char *no_value(const void *ctx, const char *key, char *buf, size_t n)
{
    (void)ctx;
    (void)key;
    (void)buf;
    (void)n;
    return NULL;
}

int plan_only_matches_yaml(const char *const *patterns, int n, const char *id,
                           const char *case_name, const char *settings_yaml)
{
    if (!settings_yaml) {
        /* only the patterns over the id and the case can tell */
        for (int i = 0; i < n; i++) {
            const char *eq = strchr(patterns[i], '=');
            if (eq && strncmp(patterns[i], "id=", 3) != 0 && strncmp(patterns[i], "case=", 5) != 0)
                continue;
            if (pattern_matches(patterns[i], id, case_name, no_value, NULL)) return 1;
        }
        return 0;
    }
    sweep sw;
    plan p = {0};
    config_diags d;
    config_diags_init(&d);
    int rc = config_load_text(&sw, id, settings_yaml, strlen(settings_yaml), &d);
    if (rc == 0) rc = plan_expand(&sw, &p, 1, 0, &d);
    int match;
    if (rc == 0 && p.n_runs == 1) {
        check_copy_string(p.runs[0].settings.case_name, sizeof p.runs[0].settings.case_name,
                          case_name);
        check_copy_string(p.runs[0].id, sizeof p.runs[0].id, id);
        match = plan_run_matches(&p.runs[0], patterns, n);
    } else {
        match = plan_only_matches_yaml(patterns, n, id, case_name, NULL); /* unreadable */
    }
    plan_free(&p);
    config_free(&sw);
    config_diags_free(&d);
    return match;
}
