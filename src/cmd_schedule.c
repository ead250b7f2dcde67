/* cmd_schedule.c — `optsweep schedule [FILE] [--set K=V]... [--steps N] [--plot DIR]`: the
 * learning rate of each distinct schedule of a sweep (or of --set alone) after 0, 1, ...
 * scheduler steps, computed by schedule_lr exactly as training uses it, printed as TSV and,
 * with --plot, drawn by gnuplot like the report's figures.  Nothing is trained or read. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd_sweep.h"
#include "commands.h"
#include "registry.h"
#include "report.h"
#include "schedule.h"
#include "settings_value.h"

/* schedule_lr replays the schedule from step 0, so a curve of N steps costs N^2 / 2 updates:
 * 100,000 steps is a few seconds */
#define SCHEDULE_MAX_STEPS 100000L

static void usage(FILE *f)
{
    fprintf(f,
            "usage: optsweep schedule [FILE] [--set KEY=VALUE]... [--steps N] [--plot DIR]\n"
            "                         [--name NAME]\n"
            "\n"
            "Prints the learning rate that each distinct schedule of the sweep FILE gives after\n"
            "0, 1, ..., N-1 scheduler steps (calls of PyTorch's scheduler.step()), computed\n"
            "the way training computes it: one column per schedule (named by its case), one\n"
            "row per step, tab-separated.  Without FILE the settings come from --set alone.\n"
            "Nothing is trained or written, unless --plot asks for a figure.\n"
            "\n"
            "  --set KEY=VALUE   a setting, as for optsweep plan (-s for short), e.g.\n"
            "                    --set optimizer.lr=0.05 --set 'schedule={name: step,\n"
            "                    step_size: 30, gamma: 0.1}'\n"
            "  --steps N         scheduler steps to show (default: as many as training takes:\n"
            "                    train.epochs, the validations with step_every: validation,\n"
            "                    or epochs x batches with step_every: batch;\n"
            "                    at most %ld)\n"
            "  --plot DIR        also draw DIR/NAME.png and .svg with gnuplot (the .dat and .gp\n"
            "                    files stay beside them)\n"
            "  --name NAME       the figure's file name (default: the sweep's name, or\n"
            "                    'schedule' without FILE)\n"
            "\n"
            "example (the notebook's StepLR demonstration):\n"
            "  optsweep schedule --set optimizer.lr=0.05 \\\n"
            "      --set 'schedule={name: step, step_size: 30, gamma: 0.1}' --steps 100 \\\n"
            "      --plot plots/notebook --name steplr-demo\n"
            "\n"
            "Exit status: 0 ok, 1 the figure could not be written or drawn, 2 a usage or\n"
            "settings error.\n", SCHEDULE_MAX_STEPS);
}

/* One distinct schedule (with its base lr) among the runs. */
typedef struct {
    const run_settings *s; /* its first run */
    char *key;             /* the schedule.* keys and optimizer.lr, exact: what makes it distinct */
    char desc[512];        /* "step step_size=30 gamma=0.1, lr 0.05" */
    char label[768];       /* the column / legend name */
    long steps;            /* scheduler steps its longest run takes in training */
    int cases_share;       /* runs of several cases have it */
} series;

static int is_schedule_key(int k)
{
    const char *name = settings_key_name(k);
    return strncmp(name, "schedule.", 9) == 0 || strcmp(name, "optimizer.lr") == 0;
}

/* Scheduler steps a run takes in training: one per epoch, one per validation (epochs e
 * with e % freq == 0, train.c), or one per batch (the training rows: train_limit or the
 * 60,000 of MNIST and Fashion-MNIST, less val_from_train, in batches, the last partial). */
static long training_steps(const run_settings *s)
{
    long epochs = s->train.epochs;
    if (s->schedule.every == SCHEDULE_EVERY_EPOCH) return epochs;
    if (s->schedule.every == SCHEDULE_EVERY_BATCH) {
        long rows = s->data.train_limit > 0 && s->data.train_limit < 60000 ? s->data.train_limit
                                                                         : 60000;
        rows -= s->data.val_from_train;
        const long bs = s->train.batch_size > 0 ? s->train.batch_size : 1;
        return rows > 0 ? epochs * ((rows + bs - 1) / bs) : 0;
    }
    int has_val = s->data.val_from_test > 0 || s->data.val_from_train > 0;
    int freq = s->train.validation_freq > 0 ? s->train.validation_freq : 1;
    return has_val && epochs > 0 ? (epochs - 1) / freq + 1 : 0;
}

/* Appends ", key=value" (the first without the comma) for the keys of one scheduler: those
 * under prefix whose rest has no further dot. */
static size_t put_args(const run_settings *s, const char *prefix, char *desc, size_t dl, size_t n)
{
    size_t pl = strlen(prefix);
    int first = 1;
    char v[256];
    for (int k = 0; k < settings_n_keys(); k++) {
        const char *name = settings_key_name(k);
        if (strncmp(name, prefix, pl) != 0 || strchr(name + pl, '.')) continue;
        if (!settings_key_applies(k, s) || settings_key_is_group(k)) continue;
        if (strcmp(name, "schedule.name") == 0 || strcmp(name, "schedule.step_every") == 0)
            continue;
        settings_format(s, k, v, sizeof v);
        dl += (size_t)snprintf(desc + (dl < n ? dl : n), dl < n ? n - dl : 0, "%s%s=%s",
                               first ? "" : ", ", name + pl, v);
        first = 0;
    }
    return dl;
}

/* The exact identity text of a run's schedule (every schedule.* key that applies, and
 * optimizer.lr, as run ids write them) and a readable description in PyTorch's words:
 * "StepLR(step_size=30, gamma=0.1), lr 0.05". */
static void describe(const run_settings *s, char **key, char *desc, size_t n)
{
    size_t kn = 4096, kl = 0, dl = 0;
    *key = xmalloc(kn);
    (*key)[0] = '\0';
    char v[256];
    for (int k = 0; k < settings_n_keys(); k++) {
        if (!is_schedule_key(k) || !settings_key_applies(k, s)) continue;
        settings_format_canonical(s, k, v, sizeof v);
        kl += (size_t)snprintf(*key + (kl < kn ? kl : kn), kl < kn ? kn - kl : 0, "%s=%s\n",
                               settings_key_name(k), v);
    }
    desc[0] = '\0';
    if (s->schedule.warmup) {
        dl += (size_t)snprintf(desc, n, "LinearLR warm-up(");
        dl = put_args(s, "schedule.warmup.", desc, dl, n);
        dl += (size_t)snprintf(desc + (dl < n ? dl : n), dl < n ? n - dl : 0, ") then ");
    }
    dl += (size_t)snprintf(desc + (dl < n ? dl : n), dl < n ? n - dl : 0, "%s",
                           registry_schedule(s->schedule.kind)->torch_class);
    if (s->schedule.kind != SCHEDULE_NONE) {
        dl += (size_t)snprintf(desc + (dl < n ? dl : n), dl < n ? n - dl : 0, "(");
        dl = put_args(s, "schedule.", desc, dl, n);
        dl += (size_t)snprintf(desc + (dl < n ? dl : n), dl < n ? n - dl : 0, ")");
    }
    if ((s->schedule.kind != SCHEDULE_NONE || s->schedule.warmup) &&
        s->schedule.every == SCHEDULE_EVERY_VALIDATION)
        dl += (size_t)snprintf(desc + (dl < n ? dl : n), dl < n ? n - dl : 0,
                               " stepped per validation");
    else if ((s->schedule.kind != SCHEDULE_NONE || s->schedule.warmup) &&
             s->schedule.every == SCHEDULE_EVERY_BATCH)
        dl += (size_t)snprintf(desc + (dl < n ? dl : n), dl < n ? n - dl : 0,
                               " stepped per batch");
    settings_format(s, settings_find_key("optimizer.lr"), v, sizeof v);
    snprintf(desc + (dl < n ? dl : n), dl < n ? n - dl : 0, ", lr %s", v);
}

/* The distinct schedules of the plan, in plan order, with their labels. */
static size_t collect(const plan *p, series **out)
{
    series *ser = xcalloc((size_t)(p->n_runs ? p->n_runs : 1), sizeof *ser);
    size_t n = 0;
    for (int i = 0; i < p->n_runs; i++) {
        const run_settings *s = &p->runs[i].settings;
        char *key, desc[512];
        describe(s, &key, desc, sizeof desc);
        size_t j = 0;
        while (j < n && strcmp(ser[j].key, key) != 0) j++;
        long steps = training_steps(s);
        if (j < n) {
            free(key);
            if (strcmp(ser[j].s->case_name, s->case_name) != 0) ser[j].cases_share = 1;
            if (steps > ser[j].steps) ser[j].steps = steps;
            continue;
        }
        ser[n].s = s;
        ser[n].key = key;
        check_copy_string(ser[n].desc, sizeof ser[n].desc, desc);
        ser[n].steps = steps;
        n++;
    }
    /* a case's name says which schedule it is, unless several cases share the schedule (then
     * its description does); a case with several schedules (a grid over them) adds the
     * description */
    for (size_t j = 0; j < n; j++) {
        const char *c = ser[j].s->case_name;
        int shared = 0;
        for (size_t m = 0; m < n; m++) shared |= m != j && strcmp(ser[m].s->case_name, c) == 0;
        if (!c[0] || ser[j].cases_share)
            snprintf(ser[j].label, sizeof ser[j].label, "%s", ser[j].desc);
        else if (shared) snprintf(ser[j].label, sizeof ser[j].label, "%s (%s)", c, ser[j].desc);
        else snprintf(ser[j].label, sizeof ser[j].label, "%s", c);
    }
    *out = ser;
    return n;
}

static void series_free(series *ser, size_t n)
{
    for (size_t j = 0; j < n; j++) free(ser[j].key);
    free(ser);
}

/* The plan of FILE, or of --set alone on an empty sweep named "schedule". */
static int load_plan(const cmd_sweep_args *a, plan *p)
{
    if (a->file) {
        plan shard;
        int rc = cmd_sweep_plan(a, "schedule", 1, p, &shard);
        if (rc == EXIT_OK) plan_free(&shard);
        return rc;
    }
    static const char text[] = "name: schedule\n";
    sweep sw;
    config_diags d;
    config_diags_init(&d);
    int rc = config_load_text(&sw, "(no sweep file)", text, strlen(text), &d);
    for (int i = 0; i < a->n_sets; i++)
        if (config_apply_set(&sw, a->sets[i], &d) != 0) rc = -1;
    if (rc == 0) rc = plan_expand(&sw, p, a->max_runs, 1, &d);
    if (rc != 0) {
        config_diags_print(&d, stderr);
        int n = d.n + d.n_dropped;
        fprintf(stderr, "optsweep schedule: %d error%s in the --set settings\n", n,
                n == 1 ? "" : "s");
    }
    config_free(&sw);
    config_diags_free(&d);
    return rc == 0 ? EXIT_OK : EXIT_USAGE;
}

/* A schedule's column ends after its own steps (empty cells below). */
static void print_tsv(FILE *f, const series *ser, size_t n, long rows)
{
    fprintf(f, "step");
    for (size_t j = 0; j < n; j++) fprintf(f, "\t%s", ser[j].label);
    fputc('\n', f);
    for (long k = 0; k < rows; k++) {
        fprintf(f, "%ld", k);
        for (size_t j = 0; j < n; j++) {
            fputc('\t', f);
            if (k < ser[j].steps)
                fprintf(f, "%.10g", schedule_lr(&ser[j].s->schedule, ser[j].s->optim.lr, k));
        }
        fputc('\n', f);
    }
}

/* <dir>/<base>.dat: one block per schedule, "step lr" for steps 0..N-1 and a last row at N
 * repeating step N-1's lr, so that `with steps` draws the last step's lr to its end. */
static int write_dat(const char *dir, const char *base, const series *ser, size_t n,
                     double *lo, double *hi)
{
    FILE *f = report_open_in(dir, base, ".dat");
    if (!f) return 1;
    fprintf(f, "# step lr: the learning rate after `step` calls of scheduler.step(), one block "
               "per schedule (gnuplot: index k)\n");
    *lo = INFINITY;
    *hi = 0;
    for (size_t j = 0; j < n; j++) {
        if (j) fprintf(f, "\n\n");
        fprintf(f, "# block %zu: %s (%s)\n", j, ser[j].label, ser[j].desc);
        double lr = NAN;
        long steps = ser[j].steps;
        for (long k = 0; k < steps; k++) {
            lr = schedule_lr(&ser[j].s->schedule, ser[j].s->optim.lr, k);
            fprintf(f, "%ld %.17g\n", k, lr);
            if (lr > 0 && lr < *lo) *lo = lr;
            if (lr > *hi) *hi = lr;
        }
        fprintf(f, "%ld %.17g  # end of the last step\n", steps, lr);
    }
    return report_close(f, dir, base, ".dat");
}

static int write_gp(const char *dir, const char *base, const char *sweep_name,
                    const series *ser, size_t n, long steps, double lo, double hi)
{
    FILE *f = report_open_in(dir, base, ".gp");
    if (!f) return 1;
    const int width = n == 1 ? 820 : 1000, height = 520;
    /* log scale when the lr falls by a factor 10 or more (StepLR with gamma 0.1): on a
     * linear axis every step after the first would sit flat on zero */
    int log_y = hi > 0 && isfinite(lo) && hi / lo >= 10.0;
    report_gp_begin(f, base, "learning rate against scheduler step", width, height);
    char title[1024];
    if (n == 1 && strcmp(ser[0].label, ser[0].desc) == 0)
        snprintf(title, sizeof title, "Learning rate schedule: %s", ser[0].desc);
    else if (n == 1)
        snprintf(title, sizeof title, "Learning rate schedule: %s\n%s", ser[0].label,
                 ser[0].desc);
    else
        snprintf(title, sizeof title, "Learning rate schedules of sweep %s (%zu schedules)",
                 sweep_name, n);
    fprintf(f, "set title ");
    report_gp_string(f, title);
    fprintf(f, "\nset xlabel 'scheduler step (calls of scheduler.step())'\n");
    fprintf(f, "set ylabel '%s'\n", log_y ? "learning rate (log scale)" : "learning rate");
    if (log_y) {
        fprintf(f, "set logscale y\nset format y '%%g'\n");
        report_gp_log_tics(f, lo, hi);
    } else {
        fprintf(f, "set offsets 0, 0, graph 0.05, graph 0.05\n");
    }
    fprintf(f, "set xrange [0:%ld]\n", steps);
    /* one schedule: the title names it; several: the legend, beside the plot, where it
     * cannot hide a curve */
    if (n == 1) fprintf(f, "unset key\n");
    else fprintf(f, "set key outside right top box samplen 3\n");
    fprintf(f, "plot \\\n");
    for (size_t j = 0; j < n; j++) {
        fprintf(f, "  '%s.dat' index %zu using 1:2 with steps lc rgb '%s' lw 1.8 title ", base, j,
                report_gp_colour(j));
        report_gp_string(f, n == 1 ? ser[j].desc : ser[j].label);
        fprintf(f, "%s\n", j + 1 < n ? ", \\" : "");
    }
    report_gp_end(f, base, width, height);
    return report_close(f, dir, base, ".gp");
}

static int draw(const char *dir, const char *name, const char *sweep_name, const series *ser,
                size_t n, long steps)
{
    char gnuplot[4096];
    if (report_gnuplot_find(gnuplot, sizeof gnuplot) != 0) {
        fprintf(stderr, "optsweep schedule: gnuplot is not on PATH: install it (sudo apt-get "
                "install gnuplot-nox) to draw the figure\n");
        return EXIT_FAILURE_RUN;
    }
    if (report_gnuplot_check(gnuplot) != 0) return EXIT_FAILURE_RUN;
    if (report_mkdir_p(dir) != 0) {
        fprintf(stderr, "optsweep schedule: cannot create %s: %s\n", dir, strerror(errno));
        return EXIT_FAILURE_RUN;
    }
    char *base = report_safe_name(name);
    double lo, hi;
    int rc = write_dat(dir, base, ser, n, &lo, &hi);
    if (rc == 0) rc = write_gp(dir, base, sweep_name, ser, n, steps, lo, hi);
    if (rc == 0) {
        size_t len = strlen(base) + 4;
        char *script = xmalloc(len);
        snprintf(script, len, "%s.gp", base);
        rc = report_gnuplot_run(gnuplot, dir, &script, 1);
        free(script);
    }
    if (rc == 0) fprintf(stderr, "optsweep schedule: drew %s/%s.png and .svg\n", dir, base);
    free(base);
    return rc ? EXIT_FAILURE_RUN : EXIT_OK;
}

int cmd_schedule(int argc, char **argv)
{
    static const char *const options[] = {"--set", "--steps", "--plot", "--name", "--help",
                                          NULL};
    cmd_sweep_args a;
    cmd_sweep_args_init(&a);
    const char *plot_dir = NULL, *name = NULL;
    long steps = 0; /* 0: from the runs */
    int rc = EXIT_USAGE;
    for (int i = 1; i < argc; i++) {
        int missing, got;
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            rc = EXIT_OK;
            goto out;
        }
        if ((got = cmd_sweep_option(&a, "schedule", argc, argv, &i)) < 0) goto out;
        if (got) continue;
        if ((v = cmd_option_value(argc, argv, &i, "--steps", &missing))) {
            long long s;
            if (settings_parse_integer(v, &s) != 0 || s < 1 || s > SCHEDULE_MAX_STEPS) {
                fprintf(stderr, "optsweep schedule: --steps: expected an integer from 1 to %ld, "
                        "found '%s'\n", SCHEDULE_MAX_STEPS, v);
                goto out;
            }
            steps = (long)s;
        } else if ((v = cmd_option_value(argc, argv, &i, "--plot", &missing))) {
            plot_dir = v;
        } else if ((v = cmd_option_value(argc, argv, &i, "--name", &missing))) {
            if (!config_valid_name(v)) {
                fprintf(stderr, "optsweep schedule: --name '%s': use 1 to 127 letters, digits, "
                        "'.', '_', '-' or '+'\n", v);
                goto out;
            }
            name = v;
        } else if (missing) {
            fprintf(stderr, "optsweep schedule: %s needs a value\n", argv[i]);
            goto out;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cmd_unknown_option("schedule", argv[i], options);
            goto out;
        } else if (a.file) {
            fprintf(stderr, "optsweep schedule: one sweep file at most (found '%s' and '%s')\n",
                    a.file, argv[i]);
            goto out;
        } else {
            a.file = argv[i];
        }
    }
    plan p;
    if ((rc = load_plan(&a, &p)) != EXIT_OK) goto out;
    series *ser;
    size_t n = collect(&p, &ser);
    /* --steps: every schedule over N steps; else each over the steps its training takes */
    long rows = 0;
    for (size_t j = 0; j < n; j++) {
        if (steps) ser[j].steps = steps;
        if (ser[j].steps > SCHEDULE_MAX_STEPS) {
            fprintf(stderr, "optsweep schedule: %s: showing the first %ld of its %ld scheduler "
                    "steps\n", ser[j].label, SCHEDULE_MAX_STEPS, ser[j].steps);
            ser[j].steps = SCHEDULE_MAX_STEPS;
        }
        if (ser[j].steps > rows) rows = ser[j].steps;
    }
    if (rows == 0) {
        fprintf(stderr, "optsweep schedule: the runs never step their scheduler (it steps at "
                "validations and there is no validation data): pass --steps N\n");
        rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK) {
        print_tsv(stdout, ser, n, rows);
        if (fflush(stdout) != 0) rc = EXIT_FAILURE_RUN;
        if (plot_dir) {
            int drc = draw(plot_dir, name ? name : p.name, p.name, ser, n, rows);
            if (drc != EXIT_OK) rc = drc;
        }
    }
    series_free(ser, n);
    plan_free(&p);
out:
    cmd_sweep_args_free(&a);
    return rc;
}
