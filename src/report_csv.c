/* report_csv.c — runs.csv beside summary.md: one row per run, in the ranking's order, with
 * every setting any run has (constant ones too, so a reader can filter on them) and every
 * result, for pandas or a spreadsheet (RFC 4180).  Numbers are written so they read back as
 * the same double; a missing value is an empty field. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "settings_value.h"

/* One text field.  Quoted when it holds a comma, quote, CR or LF (quotes doubled), or starts
 * or ends with a space.  The strings come from run files: one that starts like a spreadsheet
 * formula (= + - @, a tab or a CR) gets a leading ' so that a spreadsheet shows it as text
 * instead of evaluating it (OWASP's CSV injection advice); numbers are never touched. */
static void put_text(FILE *f, const char *s)
{
    int formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (quote) fputc('"', f);
    if (formula) fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    if (quote) fputc('"', f);
}

static void put_sep_text(FILE *f, const char *s)
{
    fputc(',', f);
    put_text(f, s);
}

/* A real: the shortest text that reads back as the same double; NaN and infinities as an
 * empty field (pandas reads it as NaN). */
static void put_real(FILE *f, double v)
{
    char buf[64];
    fputc(',', f);
    if (!isfinite(v)) return;
    settings_format_double(v, buf, sizeof buf);
    fputs(buf, f);
}

/* An integer count or epoch; negative (unknown) as an empty field. */
static void put_count(FILE *f, long v)
{
    fputc(',', f);
    if (v >= 0) fprintf(f, "%ld", v);
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every setting key of any run, sorted (each run's attrs are sorted: a merge would do, but
 * the union of a few dozen keys is cheap); *n set. */
static const char **all_keys(const report_sweep *s, size_t *n)
{
    const char **keys = NULL;
    size_t k = 0, cap = 0;
    for (size_t i = 0; i < s->n_runs; i++)
        for (size_t a = 0; a < s->runs[i].n_attrs; a++) {
            const char *key = s->runs[i].attrs[a].key;
            size_t j = 0;
            while (j < k && strcmp(keys[j], key) != 0) j++;
            if (j < k) continue;
            if (k == cap) keys = xrealloc(keys, (cap = cap ? 2 * cap : 32) * sizeof *keys);
            keys[k++] = key;
        }
    if (k > 1) qsort(keys, k, sizeof *keys, compare_keys);
    *n = k;
    return keys;
}

/* Where the best validation was (epoch numbers, from 1, as the run file's best_epoch and
 * best_val_loss_epoch: the first on ties); -1 without validation. */
static void best_validation(const report_run *r, long *acc_epoch, double *loss, long *loss_epoch)
{
    long ba = -1, bl = -1;
    for (size_t v = 0; v < r->val_epoch.n; v++) {
        if (v < r->val_acc.n && isfinite(r->val_acc.v[v]) &&
            (ba < 0 || r->val_acc.v[v] > r->val_acc.v[ba]))
            ba = (long)v;
        if (v < r->val_loss.n && isfinite(r->val_loss.v[v]) &&
            (bl < 0 || r->val_loss.v[v] < r->val_loss.v[bl]))
            bl = (long)v;
    }
    *acc_epoch = ba >= 0 ? (long)r->val_epoch.v[ba] : -1;
    *loss_epoch = bl >= 0 ? (long)r->val_epoch.v[bl] : -1;
    *loss = bl >= 0 ? r->val_loss.v[bl] : NAN;
}

static const char *const result_columns =
    "test_acc,test_loss,best_val_acc,best_epoch,best_val_loss,best_val_loss_epoch,"
    "final_train_loss,epochs_run,mean_epoch_seconds,wall_seconds,mean_weight,n_train,n_val,"
    "n_test";

static void put_results(FILE *f, const report_run *r)
{
    long best_epoch, loss_epoch;
    double best_loss, mean_epoch, sd;
    best_validation(r, &best_epoch, &best_loss, &loss_epoch);
    report_mean_std(r->epoch_seconds.v, r->epoch_seconds.n, &mean_epoch, &sd);
    put_real(f, r->test_acc);
    put_real(f, r->test_loss);
    put_real(f, r->best_val_acc);
    put_count(f, best_epoch);
    put_real(f, best_loss);
    put_count(f, loss_epoch);
    put_real(f, r->train_loss.n ? r->train_loss.v[r->train_loss.n - 1] : NAN);
    put_count(f, (long)r->epoch.n);
    put_real(f, mean_epoch);
    put_real(f, r->wall_seconds);
    put_real(f, r->mean_weight);
    for (int i = 0; i < 3; i++) put_count(f, r->n_images[i]);
}

int report_write_csv(const report_sweep *s, const char *path)
{
    char *tmp;
    FILE *f = report_atomic_open(path, &tmp);
    if (!f) return 1;
    size_t n_keys;
    const char **keys = all_keys(s, &n_keys);
    fputs("rank,run_id,case,status,status_epoch,status_message", f);
    for (size_t k = 0; k < n_keys; k++) put_sep_text(f, keys[k]);
    fprintf(f, ",%s\r\n", result_columns);
    size_t *order = xcalloc(s->n_runs ? s->n_runs : 1, sizeof *order);
    report_order_runs(s, order);
    for (size_t k = 0; k < s->n_runs; k++) {
        const report_run *r = &s->runs[order[k]];
        fprintf(f, "%zu", k + 1);
        put_sep_text(f, r->id);
        put_sep_text(f, r->case_name);
        put_sep_text(f, r->status);
        put_count(f, isfinite(r->status_epoch) ? (long)r->status_epoch : -1);
        put_sep_text(f, r->status_message);
        for (size_t j = 0; j < n_keys; j++) {
            const report_attr *a = report_run_attr(r, keys[j]);
            if (!a) fputc(',', f);
            else if (a->kind == REPORT_VALUE_NUMBER) fprintf(f, ",%s", a->text);
            else put_sep_text(f, a->text);
        }
        put_results(f, r);
        fputs("\r\n", f);
    }
    free(order);
    free(keys);
    return report_atomic_commit(f, &tmp, path);
}
