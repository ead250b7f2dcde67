/* store_files.c — the plain-file side of the store: paths under results/<sweep>/, creating
 * and checking directories, atomic replace (write, fsync, rename, fsync the directory),
 * UTC timestamps, the host name, and plan.json. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "quote.h"
#include "store.h"

int store_path(char *out, size_t n, const char *dir, const char *id, const char *suffix,
               char *err, size_t errlen)
{
    int len = snprintf(out, n, "%s/%s%s", dir, id, suffix);
    if (len < 0 || (size_t)len >= n) {
        snprintf(err, errlen, "%s/%s%s: path too long", dir, id, suffix);
        return -1;
    }
    return 0;
}

int store_create_new(const char *path, char *err, size_t errlen)
{
    /* whatever has this name (a leftover of a crash, or something planted: a symbolic link
     * to a file elsewhere, a FIFO) is removed, never opened; O_EXCL | O_NOFOLLOW then refuse
     * anything that appears in between, so the file written is always a new regular file */
    if (unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return fd;
}

int store_file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* mkdir -p: every missing component of path, 0777 & ~umask. */
static int make_dirs(const char *path, char *err, size_t errlen)
{
    char buf[STORE_PATH_LEN];
    if (check_copy_string(buf, sizeof buf, path) < 0) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        struct stat sb;
        if (mkdir(buf, 0777) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create directory %s: %s", buf, strerror(errno));
            return -1;
        }
        if (stat(buf, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "%s: not a directory", buf);
            return -1;
        }
        *p = c;
        if (c == '\0') break;
    }
    return 0;
}

int store_prepare_dirs(const char *results_dir, const char *sweep, char *sweep_dir,
                       char *runs_dir, size_t n, char *err, size_t errlen)
{
    int a = snprintf(sweep_dir, n, "%s/%s", results_dir, sweep);
    int b = snprintf(runs_dir, n, "%s/%s/runs", results_dir, sweep);
    if (a < 0 || b < 0 || (size_t)a >= n || (size_t)b >= n) {
        snprintf(err, errlen, "%s/%s: path too long", results_dir, sweep);
        return -1;
    }
    if (make_dirs(runs_dir, err, errlen) < 0) return -1;
    /* access(W_OK) is not enough (read-only mounts, quotas, root): create a real file */
    char probe[STORE_PATH_LEN], host[256];
    store_hostname(host, sizeof host);
    snprintf(probe, sizeof probe, "%s/.write-test.%s.%ld", runs_dir, host, (long)getpid());
    int fd = store_create_new(probe, err, errlen);
    if (fd < 0) return -1;
    int rc = 0;
    if (write(fd, "x", 1) != 1) {
        snprintf(err, errlen, "cannot write in %s: %s", runs_dir, strerror(errno));
        rc = -1;
    }
    close(fd);
    unlink(probe);
    return rc;
}

static int fsync_path(const char *path, int flags, char *err, size_t errlen)
{
    int fd = open(path, flags);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* EINVAL: the file system cannot sync (some do not for directories); nothing to do */
    if (fsync(fd) < 0 && errno != EINVAL) {
        snprintf(err, errlen, "%s: fsync: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int store_commit_file(const char *tmp_path, const char *final_path, char *err, size_t errlen)
{
    if (fsync_path(tmp_path, O_RDONLY, err, errlen) < 0) return -1;
    if (rename(tmp_path, final_path) < 0) {
        snprintf(err, errlen, "renaming %s to %s: %s", tmp_path, final_path, strerror(errno));
        return -1;
    }
    char dir[STORE_PATH_LEN];
    check_copy_string(dir, sizeof dir, final_path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0';
    else if (slash) *slash = '\0';
    else check_copy_string(dir, sizeof dir, ".");
    return fsync_path(dir, O_RDONLY | O_DIRECTORY, err, errlen);
}

int store_write_file_atomic(const char *final_path, const char *data, size_t len,
                            char *err, size_t errlen)
{
    /* host and pid: SLURM tasks on several nodes write plan.json into one shared folder */
    char tmp[STORE_PATH_LEN], host[256];
    store_hostname(host, sizeof host);
    int l = snprintf(tmp, sizeof tmp, "%s.tmp.%s.%ld", final_path, host, (long)getpid());
    if (l < 0 || (size_t)l >= sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", final_path);
        return -1;
    }
    int fd = store_create_new(tmp, err, errlen);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "writing %s: %s", tmp, strerror(w < 0 ? errno : EIO));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) < 0) {
        snprintf(err, errlen, "writing %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (store_commit_file(tmp, final_path, err, errlen) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

void store_utc_now(char out[STORE_TIME_LEN])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, STORE_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void store_hostname(char *out, size_t n)
{
    if (gethostname(out, n) < 0 || out[0] == '\0') check_copy_string(out, n, "unknown");
    out[n - 1] = '\0';
}

/* ---- plan.json -------------------------------------------------------------------------- */

int store_write_plan(const char *sweep_dir, const plan *full, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(err, errlen, "plan.json: %s", strerror(errno));
        return -1;
    }
    fprintf(f, "{\"format_version\": %d, \"sweep\": ", STORE_FORMAT_VERSION);
    quote_json(f, full->name);
    fprintf(f, ", \"source\": ");
    quote_json(f, full->source_path ? full->source_path : "");
    fprintf(f, ", \"n_runs\": %d,", full->n_runs);
    /* how the report chooses (report.select, one per sweep): the sweep file's as of this
     * command, which the report follows over the value stored in runs trained earlier */
    if (full->n_runs > 0)
        fprintf(f, " \"report_select\": \"%s\",",
                select_metric_name(full->runs[0].settings.report.select));
    fprintf(f, "\n \"runs\": [");
    for (int i = 0; i < full->n_runs; i++) {
        fputs(i ? ",\n  " : "\n  ", f);
        quote_json(f, full->runs[i].id);
    }
    fputs("]}\n", f);
    fclose(f);
    char path[STORE_PATH_LEN];
    snprintf(path, sizeof path, "%s/plan.json", sweep_dir);
    int rc = store_write_file_atomic(path, buf, len, err, errlen);
    free(buf);
    return rc;
}

/* Parses the JSON string at *p (just past its opening quote) into a new string. */
static char *json_parse_string(const char **p)
{
    size_t cap = 64, len = 0;
    char *out = xmalloc(cap);
    const char *s = *p;
    while (*s && *s != '"') {
        char c = *s++;
        if (c == '\\' && *s) {
            c = *s++;
            if (c == 'u') { /* only what store_write_plan writes: \u00XX */
                char hex[5] = { 0 }, *end;
                for (int i = 0; i < 4 && *s; i++) hex[i] = *s++;
                long v = strtol(hex, &end, 16);
                c = *end == '\0' && v >= 0 && v < 0x80 ? (char)v : '?';
            } else if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
        }
        if (len + 2 > cap) out = xrealloc(out, cap *= 2);
        out[len++] = c;
    }
    out[len] = '\0';
    *p = *s ? s + 1 : s;
    return out;
}

/* plan.json's text, read as the store reads everything in a results folder: never through
 * a planted link, only a regular file, and not past a size no plan reaches (100,000 runs
 * take 4 MB).  1 when there is none, 0, or -1 with err. */
#define PLAN_JSON_MAX (64L << 20)
static int read_plan_text(const char *sweep_dir, char *path, size_t path_len, char **text,
                          char *err, size_t errlen)
{
    *text = NULL;
    snprintf(path, path_len, "%s/plan.json", sweep_dir);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: %s", path, errno == ELOOP ? "a symbolic link (never followed)"
                                                              : strerror(errno));
        return -1;
    }
    struct stat st;
    const char *why = fstat(fd, &st) < 0    ? strerror(errno)
                      : !S_ISREG(st.st_mode) ? "not a regular file"
                      : st.st_size > PLAN_JSON_MAX ? "larger than any plan (64 MiB)"
                                                   : NULL;
    if (why) {
        snprintf(err, errlen, "%s: %s", path, why);
        close(fd);
        return -1;
    }
    size_t len = 0, cap = (size_t)st.st_size + 1;
    char *buf = xmalloc(cap);
    ssize_t r;
    while (len + 1 < cap && (r = read(fd, buf + len, cap - 1 - len)) > 0) len += (size_t)r;
    close(fd);
    buf[len] = '\0';
    *text = buf;
    return 0;
}

int store_read_plan(const char *sweep_dir, char ***ids, int *n, char *err, size_t errlen)
{
    *ids = NULL;
    *n = 0;
    char path[STORE_PATH_LEN], *text;
    int rc = read_plan_text(sweep_dir, path, sizeof path, &text, err, errlen);
    if (rc != 0) return rc;
    const char *p = strstr(text, "\"runs\"");
    p = p ? strchr(p, '[') : NULL;
    if (!p) {
        snprintf(err, errlen, "%s: no \"runs\" list", path);
        free(text);
        return -1;
    }
    p++;
    int cap_ids = 16;
    char **list = xmalloc(sizeof *list * (size_t)cap_ids);
    int count = 0;
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',') p++;
        if (*p == ']') break;
        if (*p != '"') {
            snprintf(err, errlen, "%s: malformed \"runs\" list", path);
            store_free_ids(list, count);
            free(text);
            return -1;
        }
        p++;
        if (count == cap_ids) list = xrealloc(list, sizeof *list * (size_t)(cap_ids *= 2));
        list[count++] = json_parse_string(&p);
    }
    free(text);
    *ids = list;
    *n = count;
    return 0;
}

int store_read_plan_string(const char *sweep_dir, const char *key, char **value, char *err,
                           size_t errlen)
{
    *value = NULL;
    char path[STORE_PATH_LEN], *text, quoted[64];
    int rc = read_plan_text(sweep_dir, path, sizeof path, &text, err, errlen);
    if (rc != 0) return rc;
    /* a top-level key: before the runs list (ids and names cannot hold a quote, and the
     * source path's quotes are escaped, so "key" matches only the key) */
    char *runs = strstr(text, "\"runs\"");
    if (runs) *runs = '\0';
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *p = strstr(text, quoted);
    rc = 1;
    if (p) {
        p += strlen(quoted);
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
        if (*p == ':') p++;
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
        if (*p == '"') {
            p++;
            *value = json_parse_string(&p);
            rc = 0;
        } else {
            snprintf(err, errlen, "%s: \"%s\" is not a string", path, key);
            rc = -1;
        }
    }
    free(text);
    return rc;
}

void store_free_ids(char **ids, int n)
{
    for (int i = 0; i < n; i++) free(ids[i]);
    free(ids);
}
