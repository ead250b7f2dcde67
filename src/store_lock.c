/* store_lock.c — claiming a run with a lock file, so two processes (two shells, job-array
 * tasks, --jobs workers) never train the same run.  How (docs/FORMAT.md "Lock"):
 *  - the lock is built under a private name, fcntl-locked, filled (host, pid, start), then
 *    link(2)ed to <id>.lock: link fails if the name exists, so exactly one process wins, and
 *    the lock never appears empty or unlocked;
 *  - the holder keeps the fcntl lock until it unlinks the file.  The kernel drops fcntl locks
 *    when a process dies, so on this host "fcntl lock free" means "holder dead": the process
 *    that gets the fcntl lock on a stale file owns it and rewrites it (no rename race: a
 *    second process trying the same takeover finds the fcntl lock held);
 *  - after getting the fcntl lock, the path must still name that same inode (the holder may
 *    have just finished and unlinked it);
 *  - where fcntl locks do not work (ENOLCK: some network file systems), a same-host lock is
 *    stale when kill(pid, 0) says ESRCH;
 *  - a lock from another host is respected (we cannot see its processes), except one left
 *    by this same SLURM job before it was requeued onto this node. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "signals.h"
#include "store.h"

#define LOCK_CONTENT_LEN 1024

/* 0: locked, 1: held by someone else, -1: fcntl locks unsupported here (errno kept). */
static int try_fcntl_lock(int fd)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) == 0) return 0;
    if (errno == EACCES || errno == EAGAIN) return 1;
    return -1;
}

static const char *env_or_null(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The SLURM job this process belongs to, as squeue names it: "1234_5" for task 5 of array
 * 1234 (SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID: what a requeued task keeps, wherever it
 * runs), "1240" for a job outside an array (SLURM_JOB_ID), "" outside SLURM. */
static void slurm_job(char *buf, size_t n)
{
    const char *array = env_or_null("SLURM_ARRAY_JOB_ID");
    const char *task = env_or_null("SLURM_ARRAY_TASK_ID");
    const char *job = env_or_null("SLURM_JOB_ID");
    if (task && (array || job)) snprintf(buf, n, "%s_%s", array ? array : job, task);
    else if (job) snprintf(buf, n, "%s", job);
    else buf[0] = '\0';
}

static void lock_content(char *buf, size_t n)
{
    char host[256], start[STORE_TIME_LEN], job[64];
    store_hostname(host, sizeof host);
    store_utc_now(start);
    slurm_job(job, sizeof job);
    int len = snprintf(buf, n, "host=%s\npid=%ld\nstart=%s\n", host, (long)getpid(), start);
    if (job[0] && len > 0 && (size_t)len < n)
        snprintf(buf + len, n - (size_t)len, "slurm_job=%s\n", job);
}

static int write_all(int fd, const char *buf, size_t len)
{
    if (ftruncate(fd, 0) < 0) return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = pwrite(fd, buf + off, len - off, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        off += (size_t)w;
    }
    return fsync(fd) < 0 && errno != EINVAL ? -1 : 0;
}

/* A pid written by lock_content; 0 (no such process) when it is not a number. */
static long parse_pid(const char *v)
{
    char *end;
    errno = 0;
    long pid = strtol(v, &end, 10);
    return end != v && *end == '\0' && errno == 0 && pid > 0 ? pid : 0;
}

static void parse_content(const char *text, store_lock_info *info)
{
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[512];
        if (len >= sizeof line) len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            const char *v = eq + 1;
            if (strcmp(line, "host") == 0) check_copy_string(info->host, sizeof info->host, v);
            else if (strcmp(line, "pid") == 0) info->pid = parse_pid(v);
            else if (strcmp(line, "start") == 0)
                check_copy_string(info->start, sizeof info->start, v);
            else if (strcmp(line, "slurm_job") == 0)
                check_copy_string(info->slurm_job, sizeof info->slurm_job, v);
        }
        p += len;
        if (*p == '\n') p++;
    }
}

/* Reads the content of an open lock file and fills info (not `alive`). */
static int read_info(int fd, store_lock_info *info)
{
    char buf[LOCK_CONTENT_LEN];
    ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
    if (r < 0) return -1;
    buf[r] = '\0';
    memset(info, 0, sizeof *info);
    info->alive = -1;
    parse_content(buf, info);
    info->garbage = info->host[0] == '\0' || info->pid <= 0 || info->start[0] == '\0';
    char host[256];
    store_hostname(host, sizeof host);
    info->same_host = strcmp(host, info->host) == 0;
    struct stat sb;
    if (fstat(fd, &sb) == 0) info->age_seconds = difftime(time(NULL), sb.st_mtime);
    return 0;
}

/* Opens an existing lock file without following a planted symbolic link or blocking on a
 * FIFO; anything but a regular file is refused (errno ELOOP or EINVAL). */
static int open_lock(const char *path, int flags)
{
    int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

static const char *lock_open_error(int e)
{
    return e == ELOOP || e == EINVAL ? "not a regular file (a symbolic link, FIFO or folder "
                                       "planted there?): remove it"
                                     : strerror(e);
}

static int pid_alive(long pid)
{
    if (pid <= 0) return 0;
    return !(kill((pid_t)pid, 0) < 0 && errno == ESRCH);
}

static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev
           && a.st_ino == b.st_ino;
}

/* The lock at `path` exists: is it stale, and if so take it over.  Returns 0 (now ours, *fd_out
 * holds it), 1 (live or foreign; holder filled), 2 (it changed under us: try again), -1. */
static int inspect_or_take(const char *path, const char *mine, int *fd_out,
                           store_lock_info *holder, char *err, size_t errlen)
{
    int fd = open_lock(path, O_RDWR);
    if (fd < 0) {
        if (errno == ENOENT) return 2; /* released meanwhile */
        snprintf(err, errlen, "%s: %s", path, lock_open_error(errno));
        return -1;
    }
    store_lock_info info;
    if (read_info(fd, &info) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    char job[64];
    slurm_job(job, sizeof job);
    int fl = -1, stale;
    if (info.garbage) {
        /* no optsweep wrote it; only a live fcntl holder or a young age keep it */
        fl = try_fcntl_lock(fd);
        stale = fl != 1 && info.age_seconds >= STORE_LOCK_GARBAGE_AGE;
        if (!stale && fl == 0) {
            struct flock un = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
            fcntl(fd, F_SETLK, &un);
        }
    } else if (!info.same_host) {
        /* another host: alive as far as we can tell, unless it is an earlier incarnation of
         * this very SLURM job (requeued onto another node): SLURM never runs one job twice
         * at once, so that holder is dead.  (--jobs workers of one task share the job id
         * but also the host, and same-host locks are judged by fcntl below.) */
        stale = info.slurm_job[0] && strcmp(info.slurm_job, job) == 0;
    } else {
        fl = try_fcntl_lock(fd);
        if (fl == 0) stale = 1;             /* the holder would hold it if alive */
        else if (fl == 1) stale = 0;
        else stale = !pid_alive(info.pid);  /* no fcntl locks on this file system */
    }
    if (!stale) {
        if (info.same_host) info.alive = 1;
        *holder = info;
        close(fd);
        return 1;
    }
    if (!same_file(fd, path)) {             /* released and maybe re-claimed meanwhile */
        close(fd);
        return 2;
    }
    if (fl != 0) {
        /* without fcntl: move the stale file aside, then check that what we moved is the
         * one we judged stale (another process may have replaced it in between) */
        char aside[STORE_PATH_LEN];
        snprintf(aside, sizeof aside, "%s.stale.%ld", path, (long)getpid());
        if (rename(path, aside) < 0) {
            close(fd);
            return 2;
        }
        /* not the one we judged: someone's fresh lock, put back if its name is still free;
         * ours: the name is free now, claim it the normal way */
        if (!same_file(fd, aside) && link(aside, path) < 0) { /* nothing better to do */ }
        unlink(aside);
        close(fd);
        return 2;
    }
    if (write_all(fd, mine, strlen(mine)) < 0) {
        snprintf(err, errlen, "taking over stale lock %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (info.garbage) *holder = info;
    *fd_out = fd;
    return 0;
}

int store_lock_acquire(store_lock *l, const char *path, store_lock_info *holder, char *err,
                       size_t errlen)
{
    store_lock_info dummy;
    if (!holder) holder = &dummy;
    holder->garbage = 0;
    l->fd = -1;
    if (check_copy_string(l->path, sizeof l->path, path) < 0) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    char mine[LOCK_CONTENT_LEN], tmp[STORE_PATH_LEN];
    lock_content(mine, sizeof mine);
    char host[256];
    store_hostname(host, sizeof host);
    snprintf(tmp, sizeof tmp, "%s.%s.%ld", path, host, (long)getpid());

    int tfd = store_create_new(tmp, err, errlen);
    if (tfd < 0) return -1;
    if (try_fcntl_lock(tfd) == 1 || write_all(tfd, mine, strlen(mine)) < 0) {
        snprintf(err, errlen, "writing %s: %s", tmp, strerror(errno));
        close(tfd);
        unlink(tmp);
        return -1;
    }
    for (int attempt = 0; attempt < 20; attempt++) {
        if (link(tmp, path) == 0) {
            unlink(tmp);
            l->fd = tfd; /* the fcntl lock lives on the inode, now named `path` */
            signals_hold_lock(path);
            return 0;
        }
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create lock %s: %s", path, strerror(errno));
            break;
        }
        int fd = -1;
        int r = inspect_or_take(path, mine, &fd, holder, err, errlen);
        if (r == 0) {
            close(tfd);
            unlink(tmp);
            l->fd = fd;
            signals_hold_lock(path);
            return 0;
        }
        if (r == 1 || r < 0) {
            close(tfd);
            unlink(tmp);
            return r;
        }
        /* r == 2: the lock changed under us; look again */
    }
    if (errno == EEXIST) snprintf(err, errlen, "%s: the lock keeps changing; giving up", path);
    close(tfd);
    unlink(tmp);
    return -1;
}

void store_lock_touch(store_lock *l)
{
    if (l->fd >= 0) futimens(l->fd, NULL);
}

void store_lock_release(store_lock *l)
{
    if (l->fd < 0) return;
    signals_drop_lock(l->path);
    /* unlink while still holding the fcntl lock: closing first would let another process
     * take the still-named file over, and we would then unlink *its* lock */
    if (same_file(l->fd, l->path)) unlink(l->path);
    close(l->fd);
    l->fd = -1;
}

int store_lock_inspect(const char *path, store_lock_info *info, char *err, size_t errlen)
{
    /* O_RDWR so fcntl can test a write lock; read-only results dirs fall back to O_RDONLY.
     * A process never inspects a lock it holds (closing this fd would drop its fcntl lock). */
    int fd = open_lock(path, O_RDWR);
    if (fd < 0 && (errno == EACCES || errno == EROFS)) fd = open_lock(path, O_RDONLY);
    if (fd < 0) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: %s", path, lock_open_error(errno));
        return -1;
    }
    if (read_info(fd, info) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (info->same_host || info->garbage) {
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        /* F_GETLK tests without taking: works on read-only descriptors too */
        if (fcntl(fd, F_GETLK, &fl) == 0)
            info->alive = fl.l_type != F_UNLCK;
        else
            info->alive = info->garbage ? 0 : pid_alive(info->pid);
        if (info->garbage && info->alive == 0 && info->age_seconds < STORE_LOCK_GARBAGE_AGE)
            info->alive = 1; /* young: being made, as far as we can tell */
    }
    close(fd);
    return 0;
}
