/* idx.c — reads and validates one IDX file of unsigned bytes, raw or gzipped (idx.h).
 * The whole file is decompressed into memory first, so every size error can say exactly how
 * many bytes the file holds; MNIST's largest file is 47 MB, so this costs nothing. */
#include "idx.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"

static uint32_t read_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int fail(idx_array *a, char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(idx_array *a, char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s: %s", path, what);
    idx_free(a);
    return -1;
}

/* Size the header promises: magic + one 32-bit count per dimension + the values. */
static size_t header_bytes(idx_kind kind) { return kind == IDX_IMAGES ? 16 : 8; }

/* zlib's error for a stream that stopped early or failed, without the "<path>: " zlib puts
 * in front (our message names the file already); NULL when all is well. */
static const char *gz_problem(gzFile f, const char *path, int *errnum)
{
    const char *msg = gzerror(f, errnum);
    if (*errnum == Z_OK) return NULL;
    size_t pl = strlen(path);
    if (strncmp(msg, path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0) msg += pl + 2;
    return msg;
}

/* Reads the whole (decompressed) file into a->buf; sets *len and *gzipped.  Stops with an
 * error past IDX_MAX_BYTES.  The header, once read, presizes the buffer (one allocation for
 * a good file). */
static int read_all(const char *path, idx_kind kind, idx_array *a, size_t *len, int *gzipped,
                    char *err, size_t errlen)
{
    /* O_NONBLOCK and a regular file only: a FIFO planted as an IDX file would block open()
     * and read() forever, a device would never end */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(a, err, errlen, path, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail(a, err, errlen, path, "not a regular file");
    }
    errno = 0;
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd);
        return fail(a, err, errlen, path, "cannot open: %s",
                    errno ? strerror(errno) : "out of memory in zlib");
    }
    gzbuffer(f, 1 << 17);
    size_t cap = 1 << 16, n = 0;
    int presized = 0;
    a->buf = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (n > IDX_MAX_BYTES) {
                gzclose_r(f);
                return fail(a, err, errlen, path,
                            "larger than %zu bytes: not an MNIST-sized IDX file",
                            (size_t)IDX_MAX_BYTES);
            }
            cap = cap > IDX_MAX_BYTES / 2 ? IDX_MAX_BYTES + 1 : cap * 2;
            a->buf = xrealloc(a->buf, cap);
        }
        size_t want = cap - n;
        if (want > (1u << 30)) want = 1u << 30;
        errno = 0;
        int got = gzread(f, a->buf + n, (unsigned)want);
        if (got < 0) {
            int saved_errno = errno, errnum;
            const char *msg = gz_problem(f, path, &errnum);
            char why[256];
            snprintf(why, sizeof why, "%s", errnum == Z_ERRNO ? strerror(saved_errno)
                                            : msg ? msg : "unknown error");
            gzclose_r(f);
            if (errnum == Z_ERRNO) return fail(a, err, errlen, path, "cannot read: %s", why);
            return fail(a, err, errlen, path, "corrupt gzip data (zlib: %s)", why);
        }
        if (got == 0) break;
        n += (size_t)got;
        if (!presized && n >= header_bytes(kind)) {
            /* one allocation for a well-formed file: header + values + 1 byte to see trailing
             * data without a second grow; a lying header is capped by IDX_MAX_BYTES */
            uint64_t want_total = header_bytes(kind);
            uint32_t count = read_be32(a->buf + 4);
            uint64_t per = kind == IDX_IMAGES
                ? (uint64_t)read_be32(a->buf + 8) * read_be32(a->buf + 12) : 1;
            want_total += (uint64_t)count * per + 1;
            if (want_total > cap && want_total <= IDX_MAX_BYTES) {
                cap = (size_t)want_total;
                a->buf = xrealloc(a->buf, cap);
            }
            presized = 1;
        }
    }
    *gzipped = !gzdirect(f);
    int errnum;
    const char *msg = gz_problem(f, path, &errnum);
    if (msg) {
        char why[256];
        snprintf(why, sizeof why, "%s", msg);
        gzclose_r(f);
        if (errnum == Z_BUF_ERROR)
            return fail(a, err, errlen, path,
                        "corrupt gzip data: the compressed stream ends early (zlib: %s; "
                        "the .gz file is cut short)", why);
        return fail(a, err, errlen, path, "corrupt gzip data (zlib: %s)", why);
    }
    int rc = gzclose_r(f);
    if (rc != Z_OK)
        return fail(a, err, errlen, path, "corrupt gzip data (zlib close: error %d)", rc);
    *len = n;
    return 0;
}

int idx_read(const char *path, idx_kind kind, int want_rows, int want_cols, idx_array *a,
             char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    size_t len = 0;
    int gzipped = 0;
    if (read_all(path, kind, a, &len, &gzipped, err, errlen) != 0) return -1;

    const uint32_t magic = kind == IDX_IMAGES ? IDX_MAGIC_IMAGES : IDX_MAGIC_LABELS;
    const char *what = kind == IDX_IMAGES ? "IDX images: unsigned bytes, 3 dimensions"
                                          : "IDX labels: unsigned bytes, 1 dimension";
    const char *held = gzipped ? " once decompressed" : "";
    const size_t hdr = header_bytes(kind);
    if (len == 0) return fail(a, err, errlen, path, "empty file (0 bytes)");
    if (len < 4)
        return fail(a, err, errlen, path,
                    "truncated: the file holds %zu bytes%s, too short for the IDX magic", len,
                    held);
    uint32_t got_magic = read_be32(a->buf);
    if (got_magic != magic) {
        const char *looks = got_magic == IDX_MAGIC_IMAGES   ? " (an IDX image file)"
                            : got_magic == IDX_MAGIC_LABELS ? " (an IDX label file)"
                                                            : " (not an IDX file of bytes)";
        return fail(a, err, errlen, path, "bad magic 0x%08x%s: expected 0x%08x (%s)", got_magic,
                    looks, magic, what);
    }
    if (len < hdr)
        return fail(a, err, errlen, path,
                    "truncated: the file holds %zu bytes%s, shorter than the %zu-byte header",
                    len, held, hdr);
    uint32_t count = read_be32(a->buf + 4);
    uint32_t rows = kind == IDX_IMAGES ? read_be32(a->buf + 8) : 1;
    uint32_t cols = kind == IDX_IMAGES ? read_be32(a->buf + 12) : 1;
    if (kind == IDX_IMAGES && (rows != (uint32_t)want_rows || cols != (uint32_t)want_cols))
        return fail(a, err, errlen, path, "wrong dimensions: images are %" PRIu32 "x%" PRIu32
                    ", expected %dx%d", rows, cols, want_rows, want_cols);
    if (count > INT_MAX)
        return fail(a, err, errlen, path, "header says %" PRIu32 " items: implausibly many",
                    count);
    uint64_t expected = (uint64_t)hdr + (uint64_t)count * rows * cols;
    if (len != expected) {
        char says[160];
        if (kind == IDX_IMAGES)
            snprintf(says, sizeof says, "%" PRIu32 " images of %" PRIu32 "x%" PRIu32, count,
                     rows, cols);
        else
            snprintf(says, sizeof says, "%" PRIu32 " labels", count);
        return fail(a, err, errlen, path,
                    "%s: header says %s (%" PRIu64 " bytes) but the file holds %zu bytes%s",
                    len < expected ? "truncated" : "trailing bytes", says, expected, len, held);
    }
    a->data = a->buf + hdr;
    a->n = (int)count;
    a->rows = (int)rows;
    a->cols = (int)cols;
    return 0;
}

void idx_free(idx_array *a)
{
    free(a->buf);
    memset(a, 0, sizeof *a);
}
