/* slurm_sbatch.c — submits a batch script with `sbatch --parsable` and reads back the job id.
 * sbatch runs as a child process (no shell in between: paths with spaces stay whole); its
 * stdout is the job id, its stderr goes straight to the user. */
#include "slurm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

int slurm_sbatch(const char *script, const char *after, char *job_id, size_t n, char *err,
                 size_t errlen)
{
    return slurm_sbatch_arg(script, NULL, after, job_id, n, err, errlen);
}

int slurm_sbatch_arg(const char *script, const char *arg, const char *after, char *job_id,
                     size_t n, char *err, size_t errlen)
{
    char dep[128], out[256];
    const char *argv[6];
    int argc = 0, fds[2], status;
    size_t len = 0;
    ssize_t got;
    pid_t pid;

    argv[argc++] = "sbatch";
    argv[argc++] = "--parsable";
    if (after) {
        snprintf(dep, sizeof dep, "--dependency=afterany:%s", after);
        argv[argc++] = dep;
    }
    argv[argc++] = script;
    if (arg) argv[argc++] = arg;
    argv[argc] = NULL;

    if (pipe(fds) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp("sbatch", (char *const *)argv);
        fprintf(stderr, "optsweep: cannot run sbatch: %s (SLURM's commands must be in PATH: "
                "run this on a login node of the cluster)\n", strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    while (len < sizeof out - 1) {
        got = read(fds[0], out + len, sizeof out - 1 - len);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        len += (size_t)got;
    }
    out[len] = '\0';
    /* drain the rest, if any, so sbatch never blocks on a full pipe */
    for (char sink[256];;) {
        got = read(fds[0], sink, sizeof sink);
        if (got == 0 || (got < 0 && errno != EINTR)) break;
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, errlen, "waiting for sbatch: %s", strerror(errno));
            return -1;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            snprintf(err, errlen, "sbatch %s: not run", script);
        else if (WIFEXITED(status))
            snprintf(err, errlen, "sbatch %s failed (exit status %d)", script,
                     WEXITSTATUS(status));
        else
            snprintf(err, errlen, "sbatch %s was killed by signal %d", script, WTERMSIG(status));
        return -1;
    }
    /* --parsable prints "<job id>" or "<job id>;<cluster>" */
    size_t id_len = strspn(out, "0123456789");
    if (id_len == 0 || (out[id_len] != '\0' && out[id_len] != ';' && out[id_len] != '\n')) {
        snprintf(err, errlen, "sbatch %s printed no job id (it printed \"%s\")", script, out);
        return -1;
    }
    if (id_len >= n) {
        snprintf(err, errlen, "job id too long: %s", out);
        return -1;
    }
    memcpy(job_id, out, id_len);
    job_id[id_len] = '\0';
    return 0;
}

int slurm_submit_rungs(const char *array_script, int rungs, char *last_id, size_t n, char *err,
                       size_t errlen)
{
    char prev[64] = "", id[64], rung[16];
    for (int k = 1; k <= rungs; k++) {
        /* the last array trains to the end: no --until-rung */
        snprintf(rung, sizeof rung, "%d", k);
        if (slurm_sbatch_arg(array_script, k < rungs ? rung : NULL, prev[0] ? prev : NULL, id,
                             sizeof id, err, errlen) < 0)
            return -1;
        printf("submitted array job %s for rung %d of %d%s%s\n", id, k, rungs,
               prev[0] ? ", after " : "", prev);
        check_copy_string(prev, sizeof prev, id);
    }
    check_copy_string(last_id, n, prev);
    return 0;
}
