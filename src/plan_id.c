/* plan_id.c — run ids and costs.  An id is a readable prefix made from the run's optimizer
 * settings (name, lr, the options that differ from the optimizer's defaults, the schedule,
 * the seed) and 8 hex digits of the FNV-1a hash of the canonical text of every setting that
 * can change the results.  Both parts depend on the resolved settings only, never on the
 * sweep file's layout, its name or a case's label: the same run has the same id anywhere. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "registry.h"

static int by_key_name(const void *a, const void *b)
{
    return strcmp(settings_key_name(*(const int *)a), settings_key_name(*(const int *)b));
}

char *plan_canonical_text(const run_settings *s)
{
    int nk = settings_n_keys();
    int order[SETTINGS_MAX_KEYS];
    for (int k = 0; k < nk; k++) order[k] = k;
    qsort(order, (size_t)nk, sizeof order[0], by_key_name);
    size_t cap = 4096, len = 0;
    char *text = xmalloc(cap);
    text[0] = '\0';
    char v[SETTINGS_PATH_LEN + 64];
    for (int i = 0; i < nk; i++) {
        int k = order[i];
        if (settings_key_is_incidental(k) || !settings_key_applies(k, s)) continue;
        settings_format_canonical(s, k, v, sizeof v);
        size_t need = strlen(settings_key_name(k)) + strlen(v) + 3;
        if (len + need >= cap) {
            cap = 2 * (len + need);
            text = xrealloc(text, cap);
        }
        len += (size_t)snprintf(text + len, cap - len, "%s=%s\n", settings_key_name(k), v);
    }
    return text;
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* reference: http://www.isthe.com/chongo/tech/comp/fnv/ */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* 3 significant digits, exponent form for lr ("1e-04", "3.16e-05"), %g otherwise ("0.99"). */
static void short_number(double x, int exponent, char *buf, size_t n)
{
    if (!exponent) {
        snprintf(buf, n, "%.3g", x);
        return;
    }
    char m[32];
    snprintf(m, sizeof m, "%.2e", x); /* "1.00e-04" */
    char *e = strchr(m, 'e');
    char *end = e;
    while (end > m && end[-1] == '0') end--;
    if (end > m && end[-1] == '.') end--;
    snprintf(buf, n, "%.*s%s", (int)(end - m), m, e);
}

static void append(char *buf, size_t n, const char *part)
{
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s", len ? "-" : "", part);
}

void plan_run_id(const run_settings *s, char *id, size_t n)
{
    char prefix[512] = "", part[128], v[64];
    /* the optimizer's own defaults, to show only what differs from them */
    run_settings def;
    settings_set_defaults(&def);
    def.optim.kind = s->optim.kind;
    unsigned char none[SETTINGS_MAX_KEYS] = {0};
    int missing[SETTINGS_MAX_KEYS];
    none[settings_find_key("optimizer.name")] = 1;
    settings_resolve_defaults(&def, none, missing);

    append(prefix, sizeof prefix, registry_optim(s->optim.kind)->id);
    short_number(s->optim.lr, 1, v, sizeof v);
    snprintf(part, sizeof part, "lr%s", v);
    append(prefix, sizeof prefix, part);
    /* every key with a run-id abbreviation (settings.c), in table order */
    for (int k = 0; k < settings_n_keys(); k++) {
        const char *abbrev = settings_key_id(k);
        if (!abbrev || !settings_key_applies(k, s)) continue;
        char a[128], b[128];
        settings_format_canonical(s, k, a, sizeof a);
        settings_format_canonical(&def, k, b, sizeof b);
        if (strcmp(a, b) == 0) continue;
        setting_type t = settings_key_type(k);
        if (t == SETTING_BOOL) {
            snprintf(part, sizeof part, "%s", abbrev);
        } else if (t == SETTING_DOUBLE_LIST) { /* "b0.8_0.99": the values joined by _ */
            double x[SETTINGS_MAX_LIST];
            int nx = settings_get_list(s, k, x, SETTINGS_MAX_LIST);
            snprintf(part, sizeof part, "%s", abbrev);
            for (int j = 0; j < nx; j++) {
                short_number(x[j], 0, v, sizeof v);
                size_t used = strlen(part);
                snprintf(part + used, sizeof part - used, "%s%s", j ? "_" : "", v);
            }
        } else {
            short_number(settings_get_number(s, k), 0, v, sizeof v);
            snprintf(part, sizeof part, "%s%s", abbrev, v);
        }
        append(prefix, sizeof prefix, part);
    }
    const char *sched = registry_schedule(s->schedule.kind)->id;
    if (sched) append(prefix, sizeof prefix, sched);
    if (s->schedule.warmup) append(prefix, sizeof prefix, "warmup");
    if (s->data.dataset == DATASET_FASHION_MNIST) append(prefix, sizeof prefix, "fashion");
    if (s->train.seed) {
        snprintf(part, sizeof part, "s%llu", (unsigned long long)s->train.seed);
        append(prefix, sizeof prefix, part);
    }
    /* file-name safe, and short */
    for (char *c = prefix; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == '_' || *c == '+'))
            *c = '_';
    prefix[PLAN_PREFIX_MAX] = '\0';

    char *text = plan_canonical_text(s);
    uint64_t h = fnv1a64(text);
    free(text);
    unsigned folded = (unsigned)((h >> 32) ^ (h & 0xffffffffu));
    snprintf(id, n, "%s-%08x", prefix, folded);
}

long plan_run_cost(const run_settings *s)
{
    long n_train = s->data.train_limit > 0 ? s->data.train_limit : 60000;
    n_train -= s->data.val_from_train;
    if (n_train < 1) n_train = 1;
    long steps = (n_train + s->train.batch_size - 1) / s->train.batch_size;
    return (long)s->train.epochs * steps;
}
