/* test_slurm_script.c — checks slurm_script.c without a cluster: SLURM's time syntax, the
 * signal lead, bash quoting (round trip through a real bash), and that the generated scripts
 * are valid bash holding the lines SLURM and the runner need.  Usage: test_slurm_script OUTDIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "quote.h"
#include "slurm.h"
#include "test_util.h"


static void check_time(const char *text, long want)
{
    long got = -7;
    int rc = slurm_parse_time(text, &got);
    if (want < 0)
        EXPECT(rc == -1, "'%s' should be refused, got %ld", text, got);
    else
        EXPECT(rc == 0 && got == want, "'%s': want %ld s, got rc %d, %ld s", text, want, rc, got);
}

/* Quotes s, lets bash print it back, compares. */
static void check_quote(const char *dir, const char *s)
{
    char path[4096], cmd[4200], back[512];
    size_t n;
    FILE *f;
    snprintf(path, sizeof path, "%s/quote.sh", dir);
    f = fopen(path, "w");
    if (!f) {
        EXPECT(0, "cannot write %s", path);
        return;
    }
    fputs("printf %s ", f);
    quote_shell(f, s);
    fputc('\n', f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "bash '%s'", path);
    f = popen(cmd, "r");
    n = f ? fread(back, 1, sizeof back - 1, f) : 0;
    back[n] = '\0';
    EXPECT(f && pclose(f) == 0 && strcmp(back, s) == 0, "quoting [%s] came back as [%s]", s, back);
}

static void expect_line(const char *text, const char *line, const char *file)
{
    EXPECT(text && strstr(text, line), "%s lacks the line [%s]", file, line);
}

static int bash_syntax_ok(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "bash -n '%s'", path);
    return system(cmd) == 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    mkdir(dir, 0755); /* may exist */
    char array[4096], report[4096], err[512];
    const char *sets[] = { "optimizer.lr=0.1", "model.hidden=[16, 8]", "data.dir=it's here" };
    const char *extra[] = { "--account=abc" };
    slurm_spec sp;
    char *text;

    check_time("90", 5400);
    check_time("1:30", 90);
    check_time("04:00:00", 14400);
    check_time("1-0", 86400);
    check_time("2-03:04", 2 * 86400 + 3 * 3600 + 4 * 60);
    check_time("1-00:00:05", 86405);
    check_time("0", -1);
    check_time("", -1);
    check_time("1:2:3:4", -1);
    check_time("-5", -1);
    check_time("abc", -1);
    check_time("10m", -1);
    check_time("INFINITE", -1);
    check_time("1::3", -1);

    /* the lead: 300 s without a limit; a tenth within [60, 300]; at most half the limit */
    EXPECT(slurm_signal_lead(-1) == 300, "no --time");
    EXPECT(slurm_signal_lead(4 * 3600) == 300, "4 h");
    EXPECT(slurm_signal_lead(1200) == 120, "20 min");
    EXPECT(slurm_signal_lead(300) == 60, "5 min");
    EXPECT(slurm_signal_lead(60) == 30, "1 min");

    check_quote(dir, "plain/path-1.0_x");
    check_quote(dir, "with space");
    check_quote(dir, "it's");
    check_quote(dir, "$HOME `x` \"q\" \\ ;&|*?[]{}~#!");
    check_quote(dir, "");

    memset(&sp, 0, sizeof sp);
    sp.sweep_name = "demo";
    sp.n_runs = 6;
    sp.tasks = 4;
    sp.partition = "gpu";
    sp.time_seconds = 3600;
    sp.gpus_per_task = "1";
    sp.cpus_per_task = "4";
    sp.mem = "8G";
    sp.sets = sets;
    sp.n_sets = 3;
    sp.sbatch_args = extra;
    sp.n_sbatch_args = 1;
    static const char *const setup[] = {"module load cuda/12.4", "source /opt/env/bin/activate"};
    sp.setup = setup;
    sp.n_setup = 2;
    sp.binary = "/opt/opt sweep/optsweep";
    sp.sweep_file = "/r/demo/slurm/demo.yaml";
    sp.results_dir = "/r";
    sp.sweep_dir = "/r/demo";
    sp.logs_dir = "/r/demo/slurm/logs";
    sp.workdir = "/home/u/my project";
    sp.command_line = "optsweep slurm demo.yaml --tasks 4 --set 'data.dir=a\nrm -rf x'";
    snprintf(array, sizeof array, "%s/array.sbatch", dir);
    snprintf(report, sizeof report, "%s/report.sbatch", dir);
    EXPECT(slurm_write_array_script(&sp, array, err, sizeof err) == 0, "array: %s", err);
    EXPECT(slurm_write_report_script(&sp, report, err, sizeof err) == 0, "report: %s", err);
    EXPECT(bash_syntax_ok(array), "bash -n %s failed", array);
    EXPECT(bash_syntax_ok(report), "bash -n %s failed", report);

    text = test_read_file(array, NULL);
    expect_line(text, "\n#SBATCH --array=0-3\n", array);
    expect_line(text, "\n#SBATCH --requeue\n", array);
    expect_line(text, "\n#SBATCH --open-mode=append\n", array);
    expect_line(text, "\n#SBATCH --signal=B:USR1@300\n", array);
    expect_line(text, "\n#SBATCH --output=/r/demo/slurm/logs/%A_%a.out\n", array);
    expect_line(text, "\n#SBATCH --partition=gpu\n", array);
    expect_line(text, "\n#SBATCH --time=01:00:00\n", array);
    expect_line(text, "\n#SBATCH --gpus-per-task=1\n", array);
    expect_line(text, "\n#SBATCH --cpus-per-task=4\n", array);
    expect_line(text, "\n#SBATCH --mem=8G\n", array);
    expect_line(text, "\n#SBATCH --account=abc\n", array);
    expect_line(text, "\noptsweep='/opt/opt sweep/optsweep'\n", array);
    /* every task over the whole plan, claiming runs as it goes: never a mod-N shard */
    expect_line(text, "--results \"$results\" --shard 0/1 --shared-by \"$n_tasks\" --set "
                      "optimizer.lr=0.1 --set "
                      "'model.hidden=[16, 8]' --set 'data.dir=it'\\''s here')",
                array);
    EXPECT(text && !strstr(text, "$task/$n_tasks\""), "a task still takes a fixed shard");
    expect_line(text, "\n#SBATCH --chdir=\"/home/u/my project\"\n", array);
    EXPECT(text && !strstr(text, "\nrm -rf x"), "a line break in the command line escaped the "
           "header comment");
    /* every #SBATCH line must come before the first command, or sbatch ignores it */
    EXPECT(text && strstr(text, "#SBATCH --account=abc") < strstr(text, "\nset -u"),
           "#SBATCH lines after the first command");
    expect_line(text, "\nmodule load cuda/12.4\nsource /opt/env/bin/activate\n", array);
    EXPECT(text && strstr(text, "\nmodule load") < strstr(text, "\"$optsweep\" \"${args[@]}\""),
           "the --setup lines must run before optsweep");
    EXPECT(text && !strstr(text, "--until-rung"), "--until-rung in a sweep without halving");
    free(text);

    /* search.halving with 3 rungs: `sbatch array.sbatch K` runs --until-rung K */
    sp.rungs = 3;
    EXPECT(slurm_write_array_script(&sp, array, err, sizeof err) == 0, "array: %s", err);
    EXPECT(bash_syntax_ok(array), "bash -n %s failed (halving)", array);
    text = test_read_file(array, NULL);
    expect_line(text, "\nif [ -n \"${1:-}\" ]; then args+=(--until-rung \"$1\"); fi\n", array);
    expect_line(text, "(K = 1..2)", array);
    EXPECT(text && strstr(text, "--until-rung") < strstr(text, "\"$optsweep\" \"${args[@]}\""),
           "the rung must be in args before optsweep runs");
    free(text);
    sp.rungs = 0;

    text = test_read_file(report, NULL);
    expect_line(text, "\n#SBATCH --partition=gpu\n", report);
    expect_line(text, "\n#SBATCH --time=00:30:00\n", report);
    expect_line(text, "\n#SBATCH --output=/r/demo/slurm/logs/report_%j.out\n", report);
    expect_line(text, "\nexec \"$optsweep\" report \"$sweep_dir\"\n", report);
    /* a cluster that requires --account refuses a report job without it */
    expect_line(text, "\n#SBATCH --account=abc\n", report);
    EXPECT(text && strstr(text, "#SBATCH --account=abc") < strstr(text, "\nset -u"),
           "#SBATCH lines after the first command (report)");
    expect_line(text, "\nmodule load cuda/12.4\nsource /opt/env/bin/activate\n", report);
    EXPECT(text && !strstr(text, "--array"), "the report job must not be an array");
    EXPECT(text && !strstr(text, "gpus"), "the report job needs no GPU");
    free(text);

    /* a path sbatch cannot take is refused, not written half-quoted */
    sp.workdir = "/home/u/say \"hi\"";
    EXPECT(slurm_write_array_script(&sp, array, err, sizeof err) == -1 && strstr(err, "quote"),
           "a double quote in --chdir was accepted");
    EXPECT(slurm_write_report_script(&sp, report, err, sizeof err) == -1,
           "a double quote in --chdir was accepted (report)");

    return test_finish("test_slurm_script");
}
