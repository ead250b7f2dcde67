/* check.h — checked allocation (xmalloc & co.), the error printer, a bounded string copy, the
 * exit codes, and the error conventions.  A failure prints "file:line: what failed: why
 * (hint)" to stderr.  Library code returns an error code instead of exiting, so one bad run
 * never ends a sweep; only allocation failure (nothing sensible to do) aborts the process. */
#ifndef OPTSWEEP_CHECK_H
#define OPTSWEEP_CHECK_H

#include <stddef.h>
#include <stdio.h>

/* Exit codes of the optsweep command. */
enum { EXIT_OK = 0, EXIT_FAILURE_RUN = 1, EXIT_USAGE = 2 };

void *check_malloc(size_t n, const char *file, int line);
void *check_calloc(size_t count, size_t size, const char *file, int line);
void *check_realloc(void *p, size_t n, const char *file, int line);
char *check_strdup(const char *s, const char *file, int line);
#define xmalloc(n) check_malloc((n), __FILE__, __LINE__)
#define xcalloc(c, s) check_calloc((c), (s), __FILE__, __LINE__)
#define xrealloc(p, n) check_realloc((p), (n), __FILE__, __LINE__)
#define xstrdup(s) check_strdup((s), __FILE__, __LINE__)

/* Prints "optsweep: file:line: <formatted message>" to stderr. */
void check_report(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define report_error(...) check_report(__FILE__, __LINE__, __VA_ARGS__)

/* Copies src into dst of size n; returns 0, or -1 (and leaves dst truncated) when too long. */
int check_copy_string(char *dst, size_t n, const char *src);

#endif
