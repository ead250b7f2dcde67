/* store_halving.c — reads results/<sweep>/halving.tsv (written by runner_halving.c, docs/
 * FORMAT.md) for `status` and the report: a file from a results folder, so untrusted: no
 * link followed, a size limit, every field parsed strictly, run ids limited to the
 * characters run ids have. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

#define TABLE_MAX_BYTES (1 << 20)

static int id_chars_ok(const char *s)
{
    if (!s[0]) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
              || *s == '.' || *s == '_' || *s == '+' || *s == '-'))
            return 0;
    return 1;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* One data line, split at tabs in place.  0, or -1 when it does not parse. */
static int parse_row(char *line, store_halving_row *row)
{
    char *f[8];
    int n = 0;
    for (char *p = line; n < 8; n++) {
        f[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab) {
            n++;
            break;
        }
        *tab = '\0';
        p = tab + 1;
    }
    if (n != 8) return -1;
    char *end;
    if (parse_int(f[0], 0, HALVING_MAX_RUNGS, &row->bracket) < 0
        || parse_int(f[1], 1, HALVING_MAX_RUNGS, &row->rung) < 0
        || parse_int(f[2], 1, 1000000000, &row->epoch) < 0
        || parse_int(f[3], 0, 1000000000, &row->entering) < 0
        || parse_int(f[4], 0, row->entering, &row->reached) < 0
        || parse_int(f[5], 0, row->entering, &row->promoted) < 0)
        return -1;
    row->best_metric = strtod(f[6], &end);
    if (end == f[6] || *end) return -1;
    if (strcmp(f[7], "-") == 0) row->best_run[0] = '\0';
    else if (!id_chars_ok(f[7]) || strlen(f[7]) >= sizeof row->best_run) return -1;
    else check_copy_string(row->best_run, sizeof row->best_run, f[7]);
    return 0;
}

/* by bracket, then rung: the file lists them stage by stage */
static int row_cmp(const void *pa, const void *pb)
{
    const store_halving_row *a = pa, *b = pb;
    if (a->bracket != b->bracket) return a->bracket < b->bracket ? -1 : 1;
    return (a->rung > b->rung) - (a->rung < b->rung);
}

int store_read_halving(const char *sweep_dir, store_halving *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    char path[STORE_PATH_LEN];
    if (snprintf(path, sizeof path, "%s/halving.tsv", sweep_dir) >= (int)sizeof path) {
        snprintf(err, errlen, "%s/halving.tsv: path too long", sweep_dir);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 1;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = xmalloc(TABLE_MAX_BYTES + 1);
    size_t len = 0;
    ssize_t got;
    while (len < TABLE_MAX_BYTES
           && (got = read(fd, text + len, TABLE_MAX_BYTES - len)) > 0)
        len += (size_t)got;
    close(fd);
    text[len] = '\0';
    int rc = 0;
    char *save = NULL;
    int line_no = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        if (line[0] == '#') {
            char metric[16];
            if (sscanf(line, "# search.halving: metric %15[a-z_], eta %d, min_epochs %d, "
                       "max_epochs %d, brackets %d", metric, &t->eta, &t->min_epochs,
                       &t->max_epochs, &t->brackets) == 5)
                t->metric = strcmp(metric, "val_acc") == 0 ? HALVING_VAL_ACC : HALVING_VAL_LOSS;
            continue;
        }
        if (strncmp(line, "bracket\t", 8) == 0) continue;
        store_halving_row row;
        if (parse_row(line, &row) < 0) {
            snprintf(err, errlen, "%s:%d: not a line of halving.tsv", path, line_no);
            rc = -1;
            break;
        }
        t->rows = xrealloc(t->rows, sizeof *t->rows * (size_t)(t->n + 1));
        t->rows[t->n++] = row;
    }
    free(text);
    if (rc < 0) store_halving_free(t);
    else if (t->n > 1) qsort(t->rows, (size_t)t->n, sizeof *t->rows, row_cmp);
    return rc;
}

void store_halving_free(store_halving *t)
{
    free(t->rows);
    t->rows = NULL;
    t->n = 0;
}
