/* report_summary_chosen.c — summary.md's "Chosen on validation": for each case (or each
 * optimizer, without cases) the setting a study would pick on validation, and its test
 * accuracy, which takes no part in the choice. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* For each case (or each optimizer, without cases): the setting chosen on validation, the
 * seed group with the best mean selection value, and its test accuracy, which took no part
 * in the choice.  Skipped when no run validated. */
/* Where the selection rule came from, after the sentence that states it. */
static void write_select_source(FILE *f, const report_sweep *s)
{
    const char *name = s->select_loss ? "val_loss" : "val_acc";
    if (strcmp(s->select_from, "--select") == 0)
        fprintf(f, "Chosen with `optsweep report --select %s`.", name);
    else if (strcmp(s->select_from, "report.select") == 0)
        fprintf(f, "Chosen by the sweep's `report.select: %s` (val_acc unless the sweep file "
                   "sets it; `optsweep report --select` overrides it).", name);
    else if (strcmp(s->select_from, "disagree") == 0)
        fprintf(f, "**The runs disagree on `report.select`** (val_acc in %zu, val_loss in %zu: "
                   "files from two sweep files?), so the default, val_acc, is used; give "
                   "`optsweep report --select` to choose.",
                s->select_count[0], s->select_count[1]);
    else
        fprintf(f, "The default; set `report.select: val_loss` in the sweep file or give "
                   "`optsweep report --select val_loss` to choose on validation loss.");
    fputs("\n\n", f);
}

void report_write_chosen(FILE *f, const report_sweep *s, const report_swept *w)
{
    const int select_loss = s->select_loss;
    report_group *g;
    size_t ng;
    report_group_by_seed(s, &g, &ng);
    const char *family_key = w->cases_vary ? NULL : REPORT_KEY_OPTIMIZER;
    const report_rank_metric m = select_loss ? REPORT_RANK_VAL_LOSS : REPORT_RANK_VAL_ACC;
    size_t *best = xcalloc(ng ? ng : 1, sizeof *best); /* per family: its chosen group + 1 */
    double *best_value = xcalloc(ng ? ng : 1, sizeof *best_value);
    const char **family = xcalloc(ng ? ng : 1, sizeof *family);
    size_t n_families = 0;
    for (size_t k = 0; k < ng; k++) {
        const report_run *r = &s->runs[g[k].members[0]];
        const char *fam = family_key ? report_run_display(r, family_key, "—") : r->case_name;
        double *v = xcalloc(g[k].n, sizeof *v), mean, sd;
        for (size_t i = 0; i < g[k].n; i++) v[i] = report_rank_value(&s->runs[g[k].members[i]], m);
        const size_t finite = report_mean_std(v, g[k].n, &mean, &sd);
        free(v);
        size_t j = 0;
        while (j < n_families && strcmp(family[j], fam) != 0) j++;
        if (j == n_families) family[n_families++] = fam;
        if (finite == 0) continue;
        if (!best[j] || report_rank_better(m, mean, best_value[j])) {
            best[j] = k + 1;
            best_value[j] = mean;
        }
    }
    int any = 0;
    for (size_t j = 0; j < n_families; j++) any |= best[j] != 0;
    if (any) {
        const char *metric = select_loss ? "lowest validation loss" : "best validation accuracy";
        fprintf(f, "## Chosen on validation\n\n");
        fprintf(f, "For each %s, the setting with the %s (each run's best over its epochs, "
                   "mean over seeds); its test accuracy is reported, and took no part in the "
                   "choice.  ", w->cases_vary ? "case" : "optimizer", metric);
        write_select_source(f, s);
        fprintf(f, "| %s | chosen setting | runs | %s | test acc |\n|---|---|--:|--:|--:|\n",
                w->cases_vary ? "case" : "optimizer",
                select_loss ? "lowest val loss" : "best val acc");
        for (size_t j = 0; j < n_families; j++) {
            if (!best[j]) continue;
            const report_group *gr = &g[best[j] - 1];
            char label[256], buf[32];
            report_run_label(s, w, gr->members[0], 0, label, sizeof label, 120);
            double *v = xcalloc(gr->n, sizeof *v), *t = xcalloc(gr->n, sizeof *t);
            for (size_t i = 0; i < gr->n; i++) {
                const report_run *r = &s->runs[gr->members[i]];
                v[i] = report_rank_value(r, m);
                t[i] = report_status_rank(r) == 0 ? r->test_acc : NAN;
            }
            report_md_cell(f, family[j][0] ? family[j] : "—");
            report_md_cell(f, label);
            snprintf(buf, sizeof buf, "%zu", gr->n);
            report_md_cell(f, buf);
            report_md_stat(f, "%.4f", "%.4f", v, gr->n);
            /* search.halving may have pruned the setting chosen: it has no test, say why */
            const report_run *first = &s->runs[gr->members[0]];
            int all_pruned = 1;
            for (size_t i = 0; i < gr->n; i++)
                all_pruned &= strcmp(s->runs[gr->members[i]].status, "pruned") == 0;
            if (all_pruned && isfinite(first->status_epoch)) {
                char why[64];
                snprintf(why, sizeof why, "— (pruned after epoch %.0f)", first->status_epoch);
                report_md_cell(f, why);
            } else {
                report_md_stat(f, "%.4f", "%.4f", t, gr->n);
            }
            fprintf(f, "|\n");
            free(v);
            free(t);
        }
        fprintf(f, "\n");
    }
    free(best);
    free(best_value);
    free(family);
    report_groups_free(g, ng);
}
