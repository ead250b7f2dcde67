/* cmd_fetch.c — `optsweep fetch mnist|fashion_mnist [--dir DIR]`: runs scripts/fetch_data.sh
 * (which downloads and verifies; see its header for the sources), then loads the result with
 * data_load to prove the files are usable.  The script is found next to the binary:
 * <dir of /proc/self/exe>/../scripts/fetch_data.sh (build/optsweep -> scripts/), else in the
 * source tree the binary was built from (a binary copied elsewhere); never in the working
 * directory. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "commands.h"
#include "data.h"

#define FETCH_SCRIPT "scripts/fetch_data.sh"

static void usage(void)
{
    fprintf(stderr, "usage: optsweep fetch mnist|fashion_mnist [--dir DIR] [--install]\n"
            "  puts the four IDX files in DIR (default data/mnist or data/fashion-mnist),\n"
            "  verified against scripts/<dataset>.sha256.  Fashion-MNIST comes from Debian's\n"
            "  dataset-fashion-mnist: installed already, else unpacked privately from its .deb;\n"
            "  --install installs the package system-wide (as root or with sudo) instead:\n"
            "  nothing is installed unless asked\n");
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Finds fetch_data.sh (see the header); 0 with `path` set, or -1. */
static int find_script(char *path, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            int w = snprintf(path, n, "%s/../%s", exe, FETCH_SCRIPT);
            if (w > 0 && (size_t)w < n && is_file(path)) return 0;
        }
    }
    /* the source tree it was built from: never the working directory, where a folder from
     * elsewhere could hold a scripts/fetch_data.sh of its own */
    int w = snprintf(path, n, "%s/%s", OPTSWEEP_SOURCE_DIR, FETCH_SCRIPT);
    if (w > 0 && (size_t)w < n && is_file(path)) return 0;
    return -1;
}

/* Runs `bash script set_name dir` and returns its exit status (1 when it could not run or was
 * killed). */
static int run_script(const char *script, const char *set_name, const char *dir, int install)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        report_error("fetch: fork: %s", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        if (install) execlp("bash", "bash", script, "--install", set_name, dir, (char *)NULL);
        else execlp("bash", "bash", script, set_name, dir, (char *)NULL);
        fprintf(stderr, "optsweep: fetch: cannot run bash %s: %s\n", script, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            report_error("fetch: waitpid: %s", strerror(errno));
            return 1;
        }
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    fprintf(stderr, "optsweep: fetch: %s was killed by signal %d\n", script, WTERMSIG(status));
    return 1;
}

int cmd_fetch(int argc, char **argv)
{
    const char *name = NULL, *dir = NULL;
    int install = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage();
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--dir")) {
            if (++i == argc) {
                fprintf(stderr, "optsweep: fetch: --dir needs a folder\n");
                usage();
                return EXIT_USAGE;
            }
            dir = argv[i];
        } else if (!strncmp(argv[i], "--dir=", 6)) {
            dir = argv[i] + 6;
        } else if (!strcmp(argv[i], "--install")) {
            install = 1;
        } else if (argv[i][0] == '-' || name) {
            fprintf(stderr, "optsweep: fetch: unexpected argument '%s'\n", argv[i]);
            usage();
            return EXIT_USAGE;
        } else {
            name = argv[i];
        }
    }
    data_settings s;
    memset(&s, 0, sizeof s);
    if (name && !strcmp(name, data_name(DATASET_MNIST))) {
        s.dataset = DATASET_MNIST;
    } else if (name && (!strcmp(name, data_name(DATASET_FASHION_MNIST)) ||
                        !strcmp(name, "fashion-mnist"))) {
        s.dataset = DATASET_FASHION_MNIST;
    } else {
        if (name) fprintf(stderr, "optsweep: fetch: unknown data set '%s'\n", name);
        usage();
        return EXIT_USAGE;
    }
    if (!dir || !*dir) dir = data_default_dir(s.dataset);
    if (check_copy_string(s.dir, sizeof s.dir, dir) != 0) {
        fprintf(stderr, "optsweep: fetch: --dir %s: name too long\n", dir);
        return EXIT_USAGE;
    }

    char script[PATH_MAX + 64];
    if (find_script(script, sizeof script) != 0) {
        fprintf(stderr, "optsweep: fetch: cannot find fetch_data.sh (looked in <folder of the "
                "optsweep binary>/../scripts/ and in %s/scripts/, the source tree it was built "
                "from): run %s from the repository yourself\n", OPTSWEEP_SOURCE_DIR,
                FETCH_SCRIPT);
        return EXIT_FAILURE_RUN;
    }
    int rc = run_script(script, data_name(s.dataset), dir, install);
    if (rc != 0) return rc == EXIT_USAGE ? EXIT_USAGE : EXIT_FAILURE_RUN;

    /* prove the files load (headers, sizes, labels), as a run would read them */
    dataset d;
    char err[2048];
    if (data_load(&d, &s, err, sizeof err) != 0) {
        fprintf(stderr, "optsweep: fetch: the files are there but do not load: %s\n", err);
        return EXIT_FAILURE_RUN;
    }
    printf("%s: %d training and %d test images in %s\n", data_name(s.dataset), d.train.n,
           d.test.n, dir);
    data_free(&d);
    return EXIT_OK;
}
