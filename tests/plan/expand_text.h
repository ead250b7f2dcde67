/* expand_text.h — the plan tests' one way to expand a sweep from text (plus --set arguments).
 * Included by test_plan.c and test_search.c. */
#ifndef OPTSWEEP_TEST_EXPAND_TEXT_H
#define OPTSWEEP_TEST_EXPAND_TEXT_H

#include <string.h>

#include "config.h"
#include "plan.h"

/* Expands text (plus --set arguments); returns the number of errors, 0 for a plan. */
static int expand_set(const char *text, const char *const *sets, long max_runs, plan *p)
{
    sweep sw;
    config_diags d;
    config_diags_init(&d);
    int rc = config_load_text(&sw, "t.yaml", text, strlen(text), &d);
    for (int i = 0; sets && sets[i]; i++)
        if (config_apply_set(&sw, sets[i], &d) != 0) rc = -1;
    if (rc == 0) rc = plan_expand(&sw, p, max_runs, 0, &d);
    else memset(p, 0, sizeof *p);
    int n = d.n;
    config_free(&sw);
    config_diags_free(&d);
    return rc == 0 ? 0 : (n ? n : 1);
}

#endif
