/* plan_print.c — `optsweep plan` output: an aligned table for people (run id, case, the value
 * of every swept key, the pack it trains in, cost, and the total), TSV for scripts (header,
 * then the run id first on each line), JSON with every resolved setting, or bare run ids. */
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "progress.h"
#include "quote.h"

int plan_parse_format(const char *text, plan_format *f)
{
    static const struct {
        const char *name;
        plan_format f;
    } formats[] = {{"table", PLAN_FORMAT_TABLE}, {"tsv", PLAN_FORMAT_TSV},
                   {"json", PLAN_FORMAT_JSON}, {"ids", PLAN_FORMAT_IDS}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(text, formats[i].name) == 0) {
            *f = formats[i].f;
            return 0;
        }
    return -1;
}

/* The value of key k in a run, "-" where it does not apply. */
static void cell(const plan_run *r, int k, char *buf, size_t n)
{
    if (!settings_key_applies(k, &r->settings)) snprintf(buf, n, "-");
    else settings_format(&r->settings, k, buf, n);
}

/* Column title: the key's last part when no other swept key shares it ("lr"), else all of
 * it ("optimizer.start_factor" next to "schedule.start_factor"). */
static const char *title(const plan *p, int c)
{
    const char *key = settings_key_name(p->swept[c]), *leaf = strrchr(key, '.') + 1;
    for (int j = 0; j < p->n_swept; j++) {
        const char *other = settings_key_name(p->swept[j]);
        if (j != c && strcmp(strrchr(other, '.') + 1, leaf) == 0) return key;
    }
    return leaf;
}

/* 1 when some pack holds more than one run (the table then shows the pack column). */
static int any_pack(const plan *p, const int *pack_of)
{
    for (int i = 0; pack_of && i < p->n_runs; i++)
        for (int j = i + 1; j < p->n_runs; j++)
            if (pack_of[i] == pack_of[j]) return 1;
    return 0;
}

static void print_table(const plan *p, const plan_extras *x, FILE *f)
{
    const int *pack_of = x ? x->pack_of : NULL;
    const double *secs = x ? x->seconds : NULL;
    int nc = p->n_swept;
    const int packs = any_pack(p, pack_of);
    int n_packs = 0;
    for (int i = 0; packs && i < p->n_runs; i++)
        n_packs = pack_of[i] + 1 > n_packs ? pack_of[i] + 1 : n_packs;
    int w_index = 1, w_id = 6, w_case = 4, w_cost = 4, w_mem = 6;
    int *w = xcalloc((size_t)(nc ? nc : 1), sizeof *w);
    char buf[SETTINGS_PATH_LEN + 64];
    for (int c = 0; c < nc; c++) w[c] = (int)strlen(title(p, c));
    long total = 0;
    int n_too_big = 0;
    for (int i = 0; i < p->n_runs; i++) {
        const plan_run *r = &p->runs[i];
        int len = snprintf(buf, sizeof buf, "%d", r->index);
        if (len > w_index) w_index = len;
        if ((int)strlen(r->id) > w_id) w_id = (int)strlen(r->id);
        if ((int)strlen(r->settings.case_name) > w_case) w_case = (int)strlen(r->settings.case_name);
        len = snprintf(buf, sizeof buf, "%ld", r->cost);
        if (len > w_cost) w_cost = len;
        plan_format_bytes(plan_run_memory(&r->settings), buf, sizeof buf);
        if ((int)strlen(buf) > w_mem) w_mem = (int)strlen(buf);
        for (int c = 0; c < nc; c++) {
            cell(r, p->swept[c], buf, sizeof buf);
            if ((int)strlen(buf) > w[c]) w[c] = (int)strlen(buf);
        }
        total += r->cost;
    }
    fprintf(f, "sweep %s (%s): %d run%s", p->name, p->source_path, p->n_total,
            p->n_total == 1 ? "" : "s");
    if (p->shard_count > 1)
        fprintf(f, "; shard %d/%d: %d run%s", p->shard_index, p->shard_count, p->n_runs,
                p->n_runs == 1 ? "" : "s");
    fputs("\n\n", f);
    fprintf(f, "%*s  %-*s", w_index, "#", w_id, "run id");
    if (p->has_cases) fprintf(f, "  %-*s", w_case, "case");
    for (int c = 0; c < nc; c++) fprintf(f, "  %-*s", w[c], title(p, c));
    if (packs) fprintf(f, "  %4s", "pack");
    fprintf(f, "  %*s  %*s", w_cost, "cost", w_mem, "memory");
    fputs(secs ? "  ~time\n" : "\n", f);
    for (int i = 0; i < p->n_runs; i++) {
        const plan_run *r = &p->runs[i];
        fprintf(f, "%*d  %-*s", w_index, r->index, w_id, r->id);
        if (p->has_cases) fprintf(f, "  %-*s", w_case, r->settings.case_name);
        for (int c = 0; c < nc; c++) {
            cell(r, p->swept[c], buf, sizeof buf);
            fprintf(f, "  %-*s", w[c], buf);
        }
        if (packs) fprintf(f, "  %4d", pack_of[i] + 1);
        plan_format_bytes(plan_run_memory(&r->settings), buf, sizeof buf);
        fprintf(f, "  %*ld  %*s", w_cost, r->cost, w_mem, buf);
        if (secs) {
            progress_format_duration(buf, sizeof buf, secs[i]);
            fprintf(f, "  %6s", buf);
        }
        fputc('\n', f);
        if (plan_run_fits(&r->settings, buf, sizeof buf) < 0) n_too_big++;
    }
    fprintf(f, "\ntotal: %d run%s, %ld steps (cost = epochs x batches per epoch)\n", p->n_runs,
            p->n_runs == 1 ? "" : "s", total);
    if (secs) {
        double sum = 0;
        int unknown = 0;
        for (int i = 0; i < p->n_runs; i++) {
            if (isfinite(secs[i])) sum += secs[i];
            else unknown++;
        }
        progress_format_duration(buf, sizeof buf, sum);
        fprintf(f, "estimated training time: ~%s", buf);
        if (unknown) fprintf(f, " for all but %d run%s", unknown, unknown == 1 ? "" : "s");
        fprintf(f, " (%s; validation and test not included)\n",
                x->how && x->how[0] ? x->how : "no estimate");
    }
    if (packs)
        fprintf(f, "packs: %d (the runs of a pack train together, in one pass; train.pack)\n",
                n_packs);
    plan_print_halving(p, f);
    if (n_too_big) {
        plan_format_bytes(plan_memory_available(), buf, sizeof buf);
        fprintf(f, "%d run%s need%s more memory than this machine's %s: `run` records %s as "
                "failed without training\n", n_too_big, n_too_big == 1 ? "" : "s",
                n_too_big == 1 ? "s" : "", buf, n_too_big == 1 ? "it" : "them");
    }
    free(w);
}

static void print_tsv(const plan *p, const plan_extras *x, FILE *f)
{
    const int *pack_of = x ? x->pack_of : NULL;
    char buf[SETTINGS_PATH_LEN + 64];
    fputs("id\tindex\tcase", f);
    for (int c = 0; c < p->n_swept; c++) fprintf(f, "\t%s", settings_key_name(p->swept[c]));
    fputs(pack_of ? "\tpack\tcost\n" : "\tcost\n", f);
    for (int i = 0; i < p->n_runs; i++) {
        const plan_run *r = &p->runs[i];
        fprintf(f, "%s\t%d\t%s", r->id, r->index, r->settings.case_name);
        for (int c = 0; c < p->n_swept; c++) {
            cell(r, p->swept[c], buf, sizeof buf);
            /* tabs and newlines cannot appear in a TSV field */
            for (char *q = buf; *q; q++)
                if (*q == '\t' || *q == '\n') *q = ' ';
            fprintf(f, "\t%s", buf);
        }
        if (pack_of) fprintf(f, "\t%d", pack_of[i] + 1);
        fprintf(f, "\t%ld\n", r->cost);
    }
}

static void print_json(const plan *p, const plan_extras *x, FILE *f)
{
    const int *pack_of = x ? x->pack_of : NULL;
    char buf[SETTINGS_PATH_LEN + 64];
    fputs("[", f);
    for (int i = 0; i < p->n_runs; i++) {
        const plan_run *r = &p->runs[i];
        fputs(i ? ",\n  {" : "\n  {", f);
        fputs("\"id\": ", f);
        quote_json(f, r->id);
        fprintf(f, ", \"index\": %d, \"sweep\": ", r->index);
        quote_json(f, p->name);
        fputs(", \"case\": ", f);
        quote_json(f, r->settings.case_name);
        if (pack_of) fprintf(f, ", \"pack\": %d", pack_of[i] + 1);
        if (r->sample >= 0) { /* search.method random | sobol */
            fprintf(f, ", \"sample\": %ld, \"sampled\": {", r->sample);
            for (int k = 0, first = 1; k < settings_n_keys(); k++) {
                char names[2][96];
                const char *dists[2];
                int m = plan_sampled_items(k, r->sampled[k], names, dists);
                for (int j = 0; j < m; j++) {
                    fputs(first ? "" : ", ", f);
                    first = 0;
                    quote_json(f, names[j]);
                    fputs(": ", f);
                    quote_json(f, dists[j]);
                }
            }
            fputs("}", f);
        }
        fprintf(f, ", \"cost\": %ld, \"memory_bytes\": %.0f,\n   \"settings\": {", r->cost,
                plan_run_memory(&r->settings));
        int first = 1;
        for (int k = 0; k < settings_n_keys(); k++) {
            if (!settings_key_applies(k, &r->settings)) continue;
            fputs(first ? "" : ", ", f);
            first = 0;
            quote_json(f, settings_key_name(k));
            fputs(": ", f);
            settings_format(&r->settings, k, buf, sizeof buf);
            setting_type t = settings_key_type(k);
            /* an integer may be written as a word (train.pack: auto) */
            if (t == SETTING_STRING || t == SETTING_ENUM
                || (t == SETTING_INT && !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9'))))
                quote_json(f, buf);
            else fputs(buf, f); /* numbers, true/false and [a, b] are JSON as they are */
        }
        fputs("}}", f);
    }
    fputs(p->n_runs ? "\n]\n" : "]\n", f);
}

void plan_print(const plan *p, const plan_extras *x, plan_format fmt, FILE *f)
{
    switch (fmt) {
    case PLAN_FORMAT_TABLE: print_table(p, x, f); break;
    case PLAN_FORMAT_TSV: print_tsv(p, x, f); break;
    case PLAN_FORMAT_JSON: print_json(p, x, f); break;
    case PLAN_FORMAT_IDS:
        for (int i = 0; i < p->n_runs; i++) fprintf(f, "%s\n", p->runs[i].id);
        break;
    }
}
