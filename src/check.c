/* check.c — checked allocation (abort with a message when memory runs out), the error printer
 * and the bounded string copy declared in check.h. */
#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void die_alloc(size_t n, const char *file, int line)
{
    fprintf(stderr, "optsweep: %s:%d: out of memory allocating %zu bytes: %s "
            "(hint: a smaller batch_size or fewer --jobs)\n", file, line, n, strerror(errno));
    abort();
}

void *check_malloc(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (!p) die_alloc(n, file, line);
    return p;
}

void *check_calloc(size_t count, size_t size, const char *file, int line)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) die_alloc(count * size, file, line);
    return p;
}

void *check_realloc(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die_alloc(n, file, line);
    return q;
}

char *check_strdup(const char *s, const char *file, int line)
{
    size_t n = strlen(s) + 1;
    char *d = check_malloc(n, file, line);
    memcpy(d, s, n);
    return d;
}

void check_report(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "optsweep: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int check_copy_string(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (n == 0) return -1;
    if (len >= n) {
        memcpy(dst, src, n - 1);
        dst[n - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, len + 1);
    return 0;
}
