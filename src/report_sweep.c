/* report_sweep.c — compares the runs of a sweep for the report: which settings were swept,
 * the ranking (the selection metric on validation, best first; diverged and failed last), the groups of
 * runs that differ only by seed with their mean ± sample std, and short labels naming runs. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

void report_format_number(double v, char *buf, size_t n)
{
    if (isnan(v)) snprintf(buf, n, "NaN");
    else if (isinf(v)) snprintf(buf, n, v > 0 ? "inf" : "-inf");
    else snprintf(buf, n, "%g", v);
}

const char *report_key_short(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

int report_key_is_setting(const char *key)
{
    /* FORMAT.md: a name contains a dot iff it is a setting.  The seed is handled apart (seed
     * groups); where the data lives, how often checkpoints are written and whether the best
     * weights are kept do not change what a run learns, nor does how the report chooses, so
     * runs differing only there are the same experiment. */
    static const char *const not_compared[] = {REPORT_KEY_SEED, "data.dir",
                                               "train.checkpoint_every", "train.keep_best",
                                               "report.select"};
    if (!strchr(key, '.')) return 0;
    for (size_t i = 0; i < sizeof not_compared / sizeof not_compared[0]; i++)
        if (strcmp(key, not_compared[i]) == 0) return 0;
    return 1;
}

/* ---- swept keys ----------------------------------------------------------------------------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void report_find_swept(const report_sweep *s, report_swept *out)
{
    memset(out, 0, sizeof *out);
    /* the union of the setting keys of all runs */
    char **all = NULL;
    size_t n_all = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        const report_run *r = &s->runs[i];
        for (size_t a = 0; a < r->n_attrs; a++) {
            const char *key = r->attrs[a].key;
            if (!report_key_is_setting(key)) continue;
            size_t j = 0;
            while (j < n_all && strcmp(all[j], key) != 0) j++;
            if (j < n_all) continue;
            all = xrealloc(all, (n_all + 1) * sizeof *all);
            all[n_all++] = r->attrs[a].key;
        }
    }
    if (n_all > 1) qsort(all, n_all, sizeof *all, compare_strings);
    out->keys = xcalloc(n_all ? n_all : 1, sizeof *out->keys);
    out->numeric = xcalloc(n_all ? n_all : 1, sizeof *out->numeric);
    /* Swept: the value differs between runs that have the key.  A key present in some runs
     * only (optim.momentum for sgd but not adam) follows from another swept key (optim.kind)
     * and does not count by itself. */
    for (size_t k = 0; k < n_all; k++) {
        const char *first = NULL;
        int differs = 0, numeric = 1, everywhere = 1;
        for (size_t i = 0; i < s->n_runs; i++) {
            const report_attr *a = report_run_attr(&s->runs[i], all[k]);
            if (!a) {
                everywhere = 0;
                continue;
            }
            if (a->kind != REPORT_VALUE_NUMBER) numeric = 0;
            if (!first) first = a->text;
            else if (strcmp(first, a->text) != 0) differs = 1;
        }
        if (!differs) continue;
        out->keys[out->n] = xstrdup(all[k]);
        out->numeric[out->n] = numeric && everywhere;
        out->n++;
    }
    free(all);
    for (size_t i = 1; i < s->n_runs; i++) {
        const report_attr *a = report_run_attr(&s->runs[0], REPORT_KEY_SEED);
        const report_attr *b = report_run_attr(&s->runs[i], REPORT_KEY_SEED);
        if ((a == NULL) != (b == NULL) || (a && strcmp(a->text, b->text) != 0)) out->seeds_vary = 1;
        if (strcmp(s->runs[0].case_name, s->runs[i].case_name) != 0) out->cases_vary = 1;
    }
    size_t *order = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *order);
    report_order_runs(s, order);
    out->cases = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *out->cases);
    for (size_t k = 0; k < s->n_runs; k++) {
        const char *c = s->runs[order[k]].case_name;
        size_t j = 0;
        while (j < out->n_cases && strcmp(out->cases[j], c) != 0) j++;
        if (j == out->n_cases) out->cases[out->n_cases++] = xstrdup(c);
    }
    free(order);
}

size_t report_case_index(const report_swept *w, const char *case_name)
{
    for (size_t j = 0; j < w->n_cases; j++)
        if (strcmp(w->cases[j], case_name) == 0) return j;
    return 0;
}

void report_swept_free(report_swept *w)
{
    for (size_t i = 0; i < w->n; i++) free(w->keys[i]);
    free(w->keys);
    free(w->numeric);
    for (size_t i = 0; i < w->n_cases; i++) free(w->cases[i]);
    free(w->cases);
    memset(w, 0, sizeof *w);
}

/* ---- ranking and order ---------------------------------------------------------------------- */

int report_status_rank(const report_run *r)
{
    /* a pruned run (successive halving) stopped on purpose, like an early stop */
    if (strcmp(r->status, "completed") == 0 || strcmp(r->status, "stopped_early") == 0 ||
        strcmp(r->status, "pruned") == 0)
        return 0;
    if (strcmp(r->status, "diverged") == 0) return 1;
    return 2;
}

report_rank_metric report_rank_metric_of(const report_sweep *s)
{
    for (size_t i = 0; i < s->n_runs; i++)
        if (s->runs[i].val_epoch.n > 0)
            return s->select_loss ? REPORT_RANK_VAL_LOSS : REPORT_RANK_VAL_ACC;
    return REPORT_RANK_TRAIN_LOSS;
}

const char *report_rank_metric_name(report_rank_metric m)
{
    return m == REPORT_RANK_VAL_ACC    ? "best validation accuracy"
           : m == REPORT_RANK_VAL_LOSS ? "lowest validation loss"
                                       : "final train loss";
}

double report_rank_value(const report_run *r, report_rank_metric m)
{
    if (report_status_rank(r) != 0) return NAN;
    double v = NAN;
    if (m == REPORT_RANK_VAL_ACC) {
        v = r->best_val_acc;
    } else if (m == REPORT_RANK_VAL_LOSS) {
        for (size_t e = 0; e < r->val_loss.n; e++)
            if (isfinite(r->val_loss.v[e]) && !(r->val_loss.v[e] >= v)) v = r->val_loss.v[e];
    } else if (r->train_loss.n) {
        v = r->train_loss.v[r->train_loss.n - 1];
    }
    return isfinite(v) ? v : NAN;
}

int report_rank_better(report_rank_metric m, double a, double b)
{
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return m == REPORT_RANK_VAL_ACC ? a > b : a < b;
}

/* -1 when a ranks before b, 1 after, 0 equal; NaN last. */
static int compare_rank(report_rank_metric m, double a, double b)
{
    return report_rank_better(m, a, b) ? -1 : report_rank_better(m, b, a) ? 1 : 0;
}

/* Descending by value, NaN last. */
static int compare_desc(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return a > b ? -1 : a < b ? 1 : 0;
}

/* qsort has no context argument: set just around it */
static const report_sweep *order_sweep;
static report_rank_metric order_metric;

static int compare_runs(const void *pa, const void *pb)
{
    const report_run *a = &order_sweep->runs[*(const size_t *)pa];
    const report_run *b = &order_sweep->runs[*(const size_t *)pb];
    int ra = report_status_rank(a), rb = report_status_rank(b);
    if (ra != rb) return ra - rb;
    int c = compare_rank(order_metric, report_rank_value(a, order_metric),
                         report_rank_value(b, order_metric));
    if (!c) c = compare_desc(a->test_acc, b->test_acc);
    return c ? c : strcmp(a->id, b->id);
}

void report_order_runs(const report_sweep *s, size_t *order)
{
    for (size_t i = 0; i < s->n_runs; i++) order[i] = i;
    order_sweep = s;
    order_metric = report_rank_metric_of(s);
    qsort(order, s->n_runs, sizeof *order, compare_runs);
    order_sweep = NULL;
}

/* ---- statistics and seed groups ------------------------------------------------------------- */

size_t report_mean_std(const double *x, size_t n, double *mean, double *std)
{
    /* two passes: the mean, then the squared deviations from it (no cancellation) */
    double sum = 0.0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            sum += x[i];
            k++;
        }
    *mean = k ? sum / (double)k : NAN;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) ss += (x[i] - *mean) * (x[i] - *mean);
    *std = k > 1 ? sqrt(ss / (double)(k - 1)) : NAN;
    return k;
}

/* Everything that makes two runs different experiments: the case and every compared
 * setting (present or not, and its exact value).  Attributes are read sorted by name. */
static char *group_signature(const report_run *r)
{
    size_t cap = strlen(r->case_name) + 2, k;
    for (size_t a = 0; a < r->n_attrs; a++)
        cap += strlen(r->attrs[a].key) + strlen(r->attrs[a].text) + 2;
    char *sig = xmalloc(cap);
    k = (size_t)snprintf(sig, cap, "%s\x1f", r->case_name);
    for (size_t a = 0; a < r->n_attrs; a++) {
        if (!report_key_is_setting(r->attrs[a].key)) continue;
        k += (size_t)snprintf(sig + k, cap - k, "%s=%s\x1e", r->attrs[a].key, r->attrs[a].text);
    }
    return sig;
}

/* The mean of a group's ranking values, or of its test accuracies (NaN when none is
 * finite). */
static double group_mean(const report_sweep *s, const report_group *g, report_rank_metric m,
                         int test_acc)
{
    double *v = xcalloc(g->n, sizeof *v), mean, std;
    for (size_t i = 0; i < g->n; i++) {
        const report_run *r = &s->runs[g->members[i]];
        v[i] = test_acc ? r->test_acc : report_rank_value(r, m);
    }
    report_mean_std(v, g->n, &mean, &std);
    free(v);
    return mean;
}

typedef struct {
    report_group g;
    double test_mean;
} ranked_group;

static report_rank_metric group_metric;

static int compare_groups(const void *pa, const void *pb)
{
    const ranked_group *a = pa, *b = pb;
    int c = compare_rank(group_metric, a->g.rank_mean, b->g.rank_mean);
    if (!c) c = compare_desc(a->test_mean, b->test_mean);
    if (c) return c;
    return a->g.members[0] < b->g.members[0] ? -1 : a->g.members[0] > b->g.members[0];
}

static char **sig_of; /* the signatures while sorting runs by them */

static int compare_by_signature(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = strcmp(sig_of[a], sig_of[b]);
    return c ? c : (a > b) - (a < b);
}

void report_group_by_seed(const report_sweep *s, report_group **groups, size_t *n_groups)
{
    /* sorting by signature puts each group's runs side by side, in the sweep's order
     * (n log n: a 1,000-run sweep has as many comparisons as a pairwise scan of 100) */
    const size_t n = s->n_runs;
    char **sig = xcalloc(n ? n : 1, sizeof *sig);
    size_t *by_sig = xcalloc(n ? n : 1, sizeof *by_sig);
    for (size_t i = 0; i < n; i++) {
        sig[i] = group_signature(&s->runs[i]);
        by_sig[i] = i;
    }
    sig_of = sig;
    qsort(by_sig, n, sizeof *by_sig, compare_by_signature);
    sig_of = NULL;
    ranked_group *rg = xcalloc(n ? n : 1, sizeof *rg);
    size_t ng = 0;
    const report_rank_metric m = report_rank_metric_of(s);
    for (size_t k = 0; k < n;) {
        size_t end = k + 1;
        while (end < n && strcmp(sig[by_sig[end]], sig[by_sig[k]]) == 0) end++;
        report_group *g = &rg[ng].g;
        g->n = end - k;
        g->members = xcalloc(g->n, sizeof *g->members);
        memcpy(g->members, by_sig + k, g->n * sizeof *g->members);
        g->rank_mean = group_mean(s, g, m, 0);
        rg[ng].test_mean = group_mean(s, g, m, 1);
        ng++;
        k = end;
    }
    for (size_t i = 0; i < n; i++) free(sig[i]);
    free(sig);
    free(by_sig);
    group_metric = m;
    qsort(rg, ng, sizeof *rg, compare_groups);
    report_group *g = xcalloc(ng ? ng : 1, sizeof *g);
    for (size_t k = 0; k < ng; k++) g[k] = rg[k].g;
    free(rg);
    *groups = g;
    *n_groups = ng;
}

void report_groups_free(report_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++) free(g[i].members);
    free(g);
}

/* ---- labels --------------------------------------------------------------------------------- */

/* 1 when every run of this case holds the same value of key (then the case name says it). */
static int constant_within_case(const report_sweep *s, const char *case_name, const char *key)
{
    const char *first = NULL;
    int seen = 0;
    for (size_t i = 0; i < s->n_runs; i++) {
        if (strcmp(s->runs[i].case_name, case_name) != 0) continue;
        const report_attr *a = report_run_attr(&s->runs[i], key);
        const char *t = a ? a->text : "";
        if (!seen) {
            first = t;
            seen = 1;
        } else if (strcmp(first, t) != 0) {
            return 0;
        }
    }
    return 1;
}

int report_key_varies_within_a_case(const report_sweep *s, const char *key)
{
    /* each case's first value, compared with its other runs: n x cases, not n x n */
    const char **case_of = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *case_of);
    const char **first = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *first);
    size_t n_cases = 0;
    int varies = 0;
    for (size_t i = 0; i < s->n_runs && !varies; i++) {
        const report_attr *a = report_run_attr(&s->runs[i], key);
        const char *t = a ? a->text : "";
        size_t c = 0;
        while (c < n_cases && strcmp(case_of[c], s->runs[i].case_name) != 0) c++;
        if (c == n_cases) {
            case_of[n_cases] = s->runs[i].case_name;
            first[n_cases++] = t;
        } else if (strcmp(first[c], t) != 0) {
            varies = 1;
        }
    }
    free(case_of);
    free(first);
    return varies;
}

/* 1 when another swept key has the same short name (then the full key is shown). */
static int short_name_clashes(const report_swept *w, size_t k)
{
    for (size_t j = 0; j < w->n; j++)
        if (j != k && strcmp(report_key_short(w->keys[j]), report_key_short(w->keys[k])) == 0)
            return 1;
    return 0;
}

static void append(char *buf, size_t n, size_t *k, const char *text)
{
    if (*k >= n) return;
    int w = snprintf(buf + *k, n - *k, "%s", text);
    *k += w > 0 ? (size_t)w : 0;
    if (*k >= n) *k = n - 1;
}

void report_run_label(const report_sweep *s, const report_swept *w, size_t i, int with_seed,
                      char *buf, size_t n, size_t max_len)
{
    const report_run *r = &s->runs[i];
    size_t k = 0;
    buf[0] = '\0';
    if (w->cases_vary && r->case_name[0]) append(buf, n, &k, r->case_name);
    for (size_t j = 0; j < w->n; j++) {
        const report_attr *a = report_run_attr(r, w->keys[j]);
        if (!a) continue;
        if (w->cases_vary && constant_within_case(s, r->case_name, w->keys[j])) continue;
        if (k) append(buf, n, &k, " ");
        append(buf, n, &k, short_name_clashes(w, j) ? w->keys[j] : report_key_short(w->keys[j]));
        append(buf, n, &k, "=");
        append(buf, n, &k, a->display);
    }
    if (with_seed && w->seeds_vary) {
        const report_attr *a = report_run_attr(r, REPORT_KEY_SEED);
        if (k) append(buf, n, &k, " ");
        append(buf, n, &k, "seed ");
        append(buf, n, &k, a ? a->display : "?");
    }
    if (k == 0) append(buf, n, &k, r->case_name[0] ? r->case_name : r->id);
    /* cap the length so legends stay narrow; cut on a UTF-8 character boundary */
    if (max_len >= 4 && strlen(buf) > max_len && max_len + 1 <= n) {
        size_t cut = max_len - 3;
        while (cut > 0 && ((unsigned char)buf[cut] & 0xC0) == 0x80) cut--;
        memcpy(buf + cut, "...", 4);
    }
}

int report_compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
