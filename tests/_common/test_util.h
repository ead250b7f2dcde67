/* test_util.h — what the C tests share: failure counting with file:line (CHECK, EXPECT,
 * CHECK_STR, test_finish), temporary directories, and reading/writing whole files.  Built
 * into the static library optsweep_test_util (tests/_common/tests.cmake).  A test binary
 * returns test_finish()'s value, or its own code after looking at test_failures. */
#ifndef OPTSWEEP_TEST_UTIL_H
#define OPTSWEEP_TEST_UTIL_H

#include <stddef.h>
#include <string.h>

/* Checks that failed so far. */
extern int test_failures;

/* Prints "FAIL file:line: cond[: message]" to stderr and counts one failure. */
void test_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* EXPECT(cond, fmt, ...): a check with a message saying what was found. */
#define EXPECT(cond, ...)                                                                  \
    do {                                                                                   \
        if (!(cond)) test_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                    \
    } while (0)
/* CHECK(cond): a check whose condition says it all. */
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) test_fail(__FILE__, __LINE__, #cond, "%s", "");                       \
    } while (0)
/* CHECK_STR(got, want): two strings equal. */
#define CHECK_STR(got, want)                                                               \
    do {                                                                                   \
        const char *got_ = (got), *want_ = (want);                                         \
        if (strcmp(got_, want_) != 0)                                                      \
            test_fail(__FILE__, __LINE__, #got, "expected \"%s\", got \"%s\"", want_, got_); \
    } while (0)

/* Prints "<name>: N check(s) failed" (stderr) or "<name>: all checks passed" (stdout);
 * returns the exit status, 1 or 0. */
int test_finish(const char *name);

/* Creates a fresh directory $TMPDIR/optsweep-<name>-XXXXXX (/tmp without TMPDIR) into out.
 * Returns 0, or -1 after saying why. */
int test_temp_dir(char *out, size_t n, const char *name);
/* rm -rf path, read-only directories inside included; a missing path is fine.  0 or -1. */
int test_remove_tree(const char *path);

/* The whole file, NUL-terminated (malloc'd; *len its size when len is not NULL), or NULL when
 * it cannot be read. */
char *test_read_file(const char *path, size_t *len);
/* Writes len bytes to path (created or truncated); 0, or -1 after saying why. */
int test_write_file(const char *path, const void *data, size_t len);
/* Writes formatted text to path (created or truncated); 0, or -1 after saying why. */
int test_write_text(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
