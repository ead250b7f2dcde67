/* report_scale.c — what the report leaves out of its figures and tables at sweep scale (more
 * than REPORT_SCALE_RUNS runs): a 300-run sweep would otherwise give 300 per-run figures and
 * a 300-row table.  runs.csv keeps every run; this file only decides which runs are shown on
 * their own. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

int report_at_scale(const report_sweep *s)
{
    return s->n_runs > REPORT_SCALE_RUNS;
}

size_t report_featured_runs(const report_sweep *s, int *featured)
{
    if (!report_at_scale(s)) {
        for (size_t i = 0; i < s->n_runs; i++) featured[i] = 1;
        return s->n_runs;
    }
    size_t *order = xcalloc(s->n_runs, sizeof *order);
    report_order_runs(s, order);
    memset(featured, 0, s->n_runs * sizeof *featured);
    size_t n = 0;
    /* the best runs, then the best of every case (a case's first run in the ranking): a case
     * that did badly everywhere still shows what went wrong */
    const char **seen = xcalloc(s->n_runs, sizeof *seen);
    size_t n_seen = 0;
    for (size_t k = 0; k < s->n_runs; k++) {
        const report_run *r = &s->runs[order[k]];
        size_t c = 0;
        while (c < n_seen && strcmp(seen[c], r->case_name) != 0) c++;
        int first_of_case = c == n_seen;
        if (first_of_case) seen[n_seen++] = r->case_name;
        if (k < REPORT_TOP_RUNS || first_of_case) {
            featured[order[k]] = 1;
            n++;
        }
    }
    free(seen);
    free(order);
    return n;
}
