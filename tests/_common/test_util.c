/* test_util.c — the shared test helpers of test_util.h: failure reports, temporary
 * directories, whole-file reads and writes.  Plain libc and POSIX only. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "test_util.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int test_failures;

void test_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "FAIL %s:%d: %s%s%s\n", file, line, cond, msg[0] ? ": " : "", msg);
    test_failures++;
}

int test_finish(const char *name)
{
    if (test_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

int test_temp_dir(char *out, size_t n, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    int len = snprintf(out, n, "%s/optsweep-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
    if (len < 0 || (size_t)len >= n) {
        fprintf(stderr, "test_temp_dir: the path for %s is too long\n", name);
        return -1;
    }
    if (!mkdtemp(out)) {
        fprintf(stderr, "test_temp_dir: %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* Directories get their owner's rwx back first: a test may leave one read-only. */
static int make_writable(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D || flag == FTW_DNR) chmod(p, (st->st_mode & 07777) | S_IRWXU);
    return 0;
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    if (remove(p) != 0) {
        fprintf(stderr, "test_remove_tree: %s: %s\n", p, strerror(errno));
        return -1;
    }
    return 0;
}

int test_remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return errno == ENOENT ? 0 : -1;
    nftw(path, make_writable, 16, FTW_PHYS);
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) free(buf);
            buf = bigger;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

int test_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "test_write_file: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int test_write_text(const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = malloc((size_t)(len < 0 ? 0 : len) + 1);
    if (!text || len < 0) {
        free(text);
        fprintf(stderr, "test_write_text: %s: cannot format\n", path);
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(text, (size_t)len + 1, fmt, ap);
    va_end(ap);
    int rc = test_write_file(path, text, (size_t)len);
    free(text);
    return rc;
}
