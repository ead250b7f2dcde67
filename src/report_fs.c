/* report_fs.c — path helpers of the report: mkdir -p, the relative path from summary.md's
 * directory to the figures, joining and sanitizing names, and the atomic replace of
 * summary.md and runs.csv (the store's no-symlink create and commit).  No HDF5, no gnuplot
 * here. */
/* realpath() is XSI: ask for it (the build defines only _POSIX_C_SOURCE) */
#define _XOPEN_SOURCE 700
#include "report.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

int report_mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    size_t len = strlen(p);
    int rc = 0;
    for (size_t i = 1; i <= len && rc == 0; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) rc = -1;
        p[i] = c;
    }
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) != 0) rc = -1;
        else if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; rc = -1; }
    }
    free(p);
    return rc;
}

char *report_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = xmalloc(a + b + 2);
    memcpy(p, dir, a);
    size_t k = a;
    if (a > 0 && dir[a - 1] != '/') p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

char *report_safe_name(const char *s)
{
    char *d = xstrdup(s);
    for (char *c = d; *c; c++) {
        int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                 (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-';
        if (!ok) *c = '_';
    }
    if (d[0] == '.') d[0] = '_';  /* never a hidden file, never ".." */
    return d;
}

char *report_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    size_t n = (size_t)(slash - path);
    char *d = xmalloc(n + 1);
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

/* Splits an absolute path into its components (in place); returns how many. */
static size_t split_components(char *p, char **parts, size_t max)
{
    size_t n = 0;
    for (char *tok = strtok(p, "/"); tok && n < max; tok = strtok(NULL, "/")) parts[n++] = tok;
    return n;
}

char *report_relative_path(const char *from_dir, const char *path)
{
    char *from = realpath(from_dir, NULL);
    char *to = realpath(path, NULL);
    if (!from || !to) {
        report_error("cannot resolve %s: %s", from ? path : from_dir, strerror(errno));
        free(from);
        free(to);
        return NULL;
    }
    /* both are absolute and canonical: drop the common leading components, then climb out
     * of what is left of from and descend into what is left of to */
    size_t max = strlen(from) + strlen(to) + 2;
    char **fp = xcalloc(max, sizeof *fp);
    char **tp = xcalloc(max, sizeof *tp);
    size_t nf = split_components(from, fp, max);
    size_t nt = split_components(to, tp, max);
    size_t common = 0;
    while (common < nf && common < nt && strcmp(fp[common], tp[common]) == 0) common++;
    size_t cap = 3 * (nf - common) + strlen(path) + max + 2;
    char *rel = xcalloc(cap, 1);
    size_t k = 0;
    for (size_t i = common; i < nf; i++) {
        memcpy(rel + k, "../", 3);
        k += 3;
    }
    for (size_t i = common; i < nt; i++) {
        size_t len = strlen(tp[i]);
        memcpy(rel + k, tp[i], len);
        k += len;
        rel[k++] = '/';
    }
    if (k == 0) rel[k++] = '.';
    else k--;  /* the trailing slash */
    rel[k] = '\0';
    free(fp);
    free(tp);
    free(from);
    free(to);
    return rel;
}

/* ---- atomic replace ------------------------------------------------------------------------- */

FILE *report_atomic_open(const char *path, char **tmp)
{
    size_t n = strlen(path) + 32;
    *tmp = xmalloc(n);
    snprintf(*tmp, n, "%s.tmp.%ld", path, (long)getpid());
    char err[1024];
    int fd = store_create_new(*tmp, err, sizeof err);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) {
            report_error("cannot write %s: %s", *tmp, strerror(errno));
            close(fd);
            unlink(*tmp);
        } else {
            report_error("%s", err);
        }
        free(*tmp);
        *tmp = NULL;
    }
    return f;
}

int report_atomic_commit(FILE *f, char **tmp, const char *path)
{
    int bad = ferror(f) || fflush(f) != 0;
    int saved = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    char err[1024];
    if (bad) report_error("cannot write %s: %s", path, strerror(saved));
    else if (store_commit_file(*tmp, path, err, sizeof err) != 0) {
        bad = 1;
        report_error("%s", err);
    }
    if (bad) unlink(*tmp);
    free(*tmp);
    *tmp = NULL;
    return bad ? 1 : 0;
}
