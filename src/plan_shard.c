/* plan_shard.c — splitting a plan between processes: shard I of N keeps the runs whose
 * position in the full plan mod N equals I, so N shards cover the plan exactly once.  The
 * default shard of a SLURM array task comes from its environment. */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

void plan_shard(const plan *full, int index, int count, plan *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->name, full->name, sizeof out->name);
    out->source_path = xstrdup(full->source_path ? full->source_path : "");
    out->runs = xmalloc((size_t)(full->n_runs ? full->n_runs : 1) * sizeof *out->runs);
    for (int i = 0; i < full->n_runs; i++)
        if (full->runs[i].index % count == index) out->runs[out->n_runs++] = full->runs[i];
    out->n_total = full->n_total;
    out->shard_index = index;
    out->shard_count = count;
    out->has_cases = full->has_cases;
    out->search = full->search;
    out->n_swept = full->n_swept;
    out->swept = xmalloc((size_t)(full->n_swept ? full->n_swept : 1) * sizeof *out->swept);
    if (full->n_swept) memcpy(out->swept, full->swept, (size_t)full->n_swept * sizeof *out->swept);
}

static int parse_count(const char *text, long *out)
{
    if (!text || !text[0] || text[0] == '-' || text[0] == '+' || text[0] == ' ') return -1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*end || errno == ERANGE || v > 1000000000L) return -1;
    *out = v;
    return 0;
}

int plan_parse_shard(const char *text, int *index, int *count, char *err, size_t n)
{
    const char *slash = strchr(text, '/');
    char a[32];
    long i, c;
    if (!slash || (size_t)(slash - text) >= sizeof a) goto bad;
    memcpy(a, text, (size_t)(slash - text));
    a[slash - text] = '\0';
    if (parse_count(a, &i) != 0 || parse_count(slash + 1, &c) != 0 || c < 1 || i >= c) goto bad;
    *index = (int)i;
    *count = (int)c;
    return 0;
bad:
    snprintf(err, n, "--shard: expected I/N with 0 <= I < N (like 0/4), found '%s'", text);
    return -1;
}

int plan_shard_from_env(int *index, int *count, char *err, size_t n)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *min = getenv("SLURM_ARRAY_TASK_MIN"), *step = getenv("SLURM_ARRAY_TASK_STEP");
    if (!id || !cnt || !id[0] || !cnt[0]) return 0;
    long i, c, lo = 0, st = 1;
    if (parse_count(id, &i) != 0 || parse_count(cnt, &c) != 0 || c < 1 ||
        (min && min[0] && parse_count(min, &lo) != 0) ||
        (step && step[0] && (parse_count(step, &st) != 0 || st < 1))) {
        snprintf(err, n, "SLURM_ARRAY_TASK_ID=%s / SLURM_ARRAY_TASK_COUNT=%s: not a shard "
                 "(expected integers; pass --shard I/N to choose one)", id, cnt);
        return -1;
    }
    /* --array=1-8 numbers tasks 1..8: shard = (id - min) / step */
    long s = (i - lo) / st;
    if (i < lo || (i - lo) % st != 0 || s >= c) {
        snprintf(err, n, "SLURM_ARRAY_TASK_ID=%s is not one of the %ld tasks of the array "
                 "(SLURM_ARRAY_TASK_MIN=%s, SLURM_ARRAY_TASK_STEP=%s); use --array=0-%ld, or "
                 "pass --shard I/N", id, c, min ? min : "unset", step ? step : "unset", c - 1);
        return -1;
    }
    *index = (int)s;
    *count = (int)c;
    return 1;
}
