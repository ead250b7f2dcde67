/* report_gnuplot.c — what the report's figures share: finding gnuplot on PATH, running it on
 * the .gp scripts (checking its exit status, showing its stderr on failure), the common head
 * and tail of every .gp (PNG via pngcairo, then SVG), string quoting and the colours. */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

int report_gnuplot_find(char *buf, size_t n)
{
    const char *path = getenv("PATH");
    if (!path || !*path) return -1;
    char *copy = xstrdup(path);
    int found = -1;
    for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir && found < 0;
         dir = strtok_r(NULL, ":", &save)) {
        char *p = report_path_join(*dir ? dir : ".", "gnuplot");
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0 &&
            check_copy_string(buf, n, p) == 0)
            found = 0;
        free(p);
    }
    free(copy);
    return found;
}

/* Runs `gnuplot scripts...` in dir; returns its exit status (-1: could not run) and leaves
 * its stderr in err (a temporary file, rewound). */
static int run_once(const char *gnuplot, const char *dir, char **scripts, size_t n, FILE *err)
{
    char **argv = xcalloc(n + 2, sizeof *argv);
    argv[0] = (char *)"gnuplot";
    for (size_t i = 0; i < n; i++) argv[i + 1] = scripts[i];
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        report_error("cannot start gnuplot: fork: %s", strerror(errno));
        free(argv);
        return -1;
    }
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec */
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
        }
        dup2(fileno(err), STDERR_FILENO);
        if (chdir(dir) != 0) _exit(126);
        execv(gnuplot, argv);
        _exit(127);
    }
    free(argv);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            report_error("waiting for gnuplot: %s", strerror(errno));
            return -1;
        }
    }
    rewind(err);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void print_stderr(FILE *err)
{
    char line[1024];
    int any = 0;
    while (fgets(line, sizeof line, err)) {
        fprintf(stderr, "    gnuplot: %s", line);
        any = 1;
        size_t len = strlen(line);
        if (len && line[len - 1] != '\n') fputc('\n', stderr);
    }
    if (!any) fprintf(stderr, "    (gnuplot printed nothing on stderr)\n");
}

int report_gnuplot_check(const char *gnuplot)
{
    FILE *err = tmpfile();
    if (!err) {
        report_error("cannot create a temporary file for gnuplot's messages: %s", strerror(errno));
        return 1;
    }
    char *args[] = {"-e", "set terminal pngcairo; set terminal svg"};
    int rc = run_once(gnuplot, "/", args, 2, err);
    if (rc != 0) {
        fprintf(stderr, "optsweep: report: %s cannot draw PNG (pngcairo) or SVG (exit status "
                "%d); install a gnuplot built with cairo (`sudo apt-get install gnuplot-nox`), "
                "or pass --no-plots:\n", gnuplot, rc);
        print_stderr(err);
    }
    fclose(err);
    return rc == 0 ? 0 : 1;
}

/* gnuplot opens `set output` files as they are, through a link: the figures a script will
 * draw (X.gp: X.png and X.svg) are removed first, so that it always creates them anew and a
 * link planted in their place is never written through. */
static int remove_outputs(const char *dir, char **scripts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(scripts[i]);
        if (len < 3 || strcmp(scripts[i] + len - 3, ".gp") != 0) continue;
        static const char *const exts[] = {".png", ".svg"};
        for (int e = 0; e < 2; e++) {
            char *path = xmalloc(strlen(dir) + len + 8);
            sprintf(path, "%s/%.*s%s", dir, (int)(len - 3), scripts[i], exts[e]);
            int bad = unlink(path) < 0 && errno != ENOENT;
            if (bad) report_error("cannot replace %s: %s", path, strerror(errno));
            free(path);
            if (bad) return 1;
        }
    }
    return 0;
}

int report_gnuplot_run(const char *gnuplot, const char *dir, char **scripts, size_t n)
{
    if (n == 0) return 0;
    if (remove_outputs(dir, scripts, n) != 0) return 1;
    FILE *err = tmpfile();
    if (!err) {
        report_error("cannot create a temporary file for gnuplot's messages: %s", strerror(errno));
        return 1;
    }
    int rc = run_once(gnuplot, dir, scripts, n, err);
    if (rc == 0) {
        fclose(err);
        return 0;
    }
    if (rc < 0 || rc == 126 || rc == 127) {
        fprintf(stderr, "optsweep: report: could not run %s in %s (exit status %d)\n", gnuplot,
                dir, rc);
        fclose(err);
        return 1;
    }
    fclose(err);
    /* one run for all stops at the first bad script: redo them one by one to name every
     * failing figure and still draw the good ones */
    enum { SHOWN_MAX = 5 }; /* the same mistake in 200 figures needs saying 5 times at most */
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        FILE *e = tmpfile();
        if (!e) {
            report_error("cannot create a temporary file: %s", strerror(errno));
            return 1;
        }
        int r = run_once(gnuplot, dir, &scripts[i], 1, e);
        if (r != 0) {
            if (failures < SHOWN_MAX) {
                fprintf(stderr, "optsweep: report: gnuplot failed (exit status %d) on %s/%s:\n",
                        r, dir, scripts[i]);
                print_stderr(e);
            }
            failures++;
        }
        fclose(e);
    }
    if (failures > SHOWN_MAX)
        fprintf(stderr, "optsweep: report: gnuplot failed on %d more scripts in %s\n",
                failures - SHOWN_MAX, dir);
    if (failures == 0)
        fprintf(stderr, "optsweep: report: gnuplot failed on the batch of %zu scripts in %s but "
                "on none alone\n", n, dir);
    return 1;
}

void report_gp_string(FILE *f, const char *s)
{
    /* Strings come from run files and sweep files, which are untrusted: gnuplot runs
     * `...` inside double-quoted strings (and expands @macros) as shell commands, but takes
     * single-quoted strings literally, with '' as the only escape.  So every piece is
     * single-quoted, a newline is joined in as the expression "\n" (a newline cannot sit
     * inside a string), and other control bytes, which could end the command, become '?'. */
    fputc('\'', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'') fputs("''", f);
        else if (c == '\n') fputs("'.\"\\n\".'", f);
        else if (c < 0x20 || c == 0x7f) fputc('?', f);
        else fputc(c, f);
    }
    fputc('\'', f);
}

#define REPORT_GP_FONT "DejaVu Sans,10"

void report_gp_begin(FILE *f, const char *base, const char *what, int width, int height)
{
    fprintf(f, "# %s.gp — %s\n", base, what);
    fprintf(f, "# Written by `optsweep report`; the numbers are in %s.dat.  Restyle freely "
               "and run\n#   gnuplot %s.gp\n"
               "# in this directory to redraw %s.png and %s.svg.\n", base, base, base, base);
    /* reset: gnuplot runs many scripts in one process, settings must not leak between them */
    fprintf(f, "reset\n");
    fprintf(f, "set encoding utf8\n");
    /* noenhanced: case names like cell_21 must not turn into subscripts */
    fprintf(f, "set terminal pngcairo size %d,%d noenhanced font \"%s\" linewidth 1.3\n",
            width, height, REPORT_GP_FONT);
    fprintf(f, "set output '%s.png'\n", base);
    fprintf(f, "set grid lc rgb '#dddddd' lw 0.8\n");
    fprintf(f, "set border lc rgb '#444444'\n");
}

void report_gp_end(FILE *f, const char *base, int width, int height)
{
    fprintf(f, "\n# the same figure as SVG\n");
    fprintf(f, "set terminal svg size %d,%d noenhanced font \"%s\" linewidth 1.3 "
               "background rgb 'white'\n", width, height, REPORT_GP_FONT);
    fprintf(f, "set output '%s.svg'\n", base);
    fprintf(f, "replot\n");
    fprintf(f, "unset output\n");
}

void report_gp_log_tics(FILE *f, double lo, double hi)
{
    if (!(lo > 0) || !(hi > lo) || hi / lo >= 1000.0) return;
    static const double steps[] = {1, 2, 5};
    int first = 1;
    fprintf(f, "set ytics (");
    for (int d = (int)floor(log10(lo)) - 1; d <= (int)ceil(log10(hi)) + 1; d++)
        for (int i = 0; i < 3; i++) {
            double v = steps[i] * pow(10.0, d);
            fprintf(f, "%s%g", first ? "" : ", ", v);
            first = 0;
        }
    fprintf(f, ")\n");
}

const char *report_gp_colour(size_t k)
{
    /* Tableau's ten colours (matplotlib's default cycle): distinct, readable on white */
    static const char *const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                          "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                          "#bcbd22", "#17becf"};
    return colours[k % (sizeof colours / sizeof colours[0])];
}

FILE *report_open_in(const char *dir, const char *base, const char *ext)
{
    size_t n = strlen(dir) + strlen(base) + strlen(ext) + 2;
    char *path = xmalloc(n);
    snprintf(path, n, "%s/%s%s", dir, base, ext);
    /* a new file, whatever had the name (a link planted in a plots folder from elsewhere) */
    char err[1024];
    int fd = store_create_new(path, err, sizeof err);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) {
            report_error("cannot write %s: %s", path, strerror(errno));
            close(fd);
        } else {
            report_error("%s", err);
        }
    }
    free(path);
    return f;
}

int report_close(FILE *f, const char *dir, const char *base, const char *ext)
{
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad) report_error("cannot write %s/%s%s: %s", dir, base, ext, strerror(errno));
    return bad ? 1 : 0;
}

void report_figures_add(report_figures *figs, const char *base, const char *caption, long run)
{
    figs->items = xrealloc(figs->items, (figs->n + 1) * sizeof *figs->items);
    figs->items[figs->n].base = xstrdup(base);
    figs->items[figs->n].caption = xstrdup(caption);
    figs->items[figs->n].run = run;
    figs->n++;
}

void report_figures_free(report_figures *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].base);
        free(f->items[i].caption);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}
