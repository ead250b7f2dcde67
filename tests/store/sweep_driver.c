/* sweep_driver.c — runs a small real sweep through runner_run_plan (real data, CPU backend,
 * HDF5 files, locks, signals), without the YAML front end, so the store's end-to-end tests
 * (resume after kill, concurrent processes, stale locks, corrupt files) exercise exactly
 * the runner.  Runs: sgd with lr 0.02 * (k + 1), momentum 0.9 on odd k, hidden [64, 32],
 * batch 64, seed 7 + k, on the first 2000 MNIST training images (tests/data/mnist-slice),
 * validation = 20% of the test slice.
 * Usage: sweep_driver RESULTS DATA_DIR [--runs K] [--epochs E] [--jobs N] [--force]
 *        [--ckpt-every C] [--name NAME] [--quiet] [--init FILE] [--diverge K] [--pack P]
 *        [--halving R:ETA[:BRACKETS[:acc]]] [--shard I/N] [--until-rung K]
 *        [--epoch-pause-ms MS]
 * (--pack: train.pack, 0 auto (the default: one pack of all the runs), 1 off, N;
 *  --halving: search.halving with min_epochs R, eta ETA, metric val_loss (val_acc with :acc)) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "commands.h"
#include "plan.h"
#include "runner.h"
#include "settings.h"

static long arg_long(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end) {
        fprintf(stderr, "sweep_driver: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

/* --epoch-pause-ms: a floor on an epoch's length, so that resume.sh's kills (a progress line,
 * then 0-40 ms) land inside the sweep on a fast machine as on a slow one */
static void pause_after_epoch(void *user)
{
    const int ms = *(const int *)user;
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) < 0 && errno == EINTR) {}
}

int main(int argc, char **argv)
{
    /* `sweep_driver status DIR`: the status command itself (until main.c dispatches it) */
    if (argc >= 2 && strcmp(argv[1], "status") == 0) return cmd_status(argc - 1, argv + 1);
    if (argc < 3) {
        fprintf(stderr, "usage: sweep_driver RESULTS DATA_DIR [options]\n");
        return 2;
    }
    int n_runs = 4, epochs = 6, jobs = 1, force = 0, ckpt_every = 1, quiet = 0, diverge = -1,
        pack = 0, until_rung = 0, shard_i = 0, shard_n = 1, pause_ms = 0;
    const char *name = "drv", *init = "default";
    config_halving halving = {0};
    int has_halving = 0;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--runs") == 0) n_runs = (int)arg_long(v, a), i++;
        else if (strcmp(a, "--epochs") == 0) epochs = (int)arg_long(v, a), i++;
        else if (strcmp(a, "--jobs") == 0) jobs = (int)arg_long(v, a), i++;
        else if (strcmp(a, "--ckpt-every") == 0) ckpt_every = (int)arg_long(v, a), i++;
        else if (strcmp(a, "--diverge") == 0) diverge = (int)arg_long(v, a), i++;
        else if (strcmp(a, "--pack") == 0) pack = (int)arg_long(v, a), i++;
        else if (strcmp(a, "--epoch-pause-ms") == 0) pause_ms = (int)arg_long(v, a), i++;
        else if (strcmp(a, "--until-rung") == 0) until_rung = (int)arg_long(v, a), i++;
        else if (strcmp(a, "--halving") == 0) {
            char acc[8] = "";
            halving = (config_halving){.brackets = 1};
            has_halving = 1;
            if (sscanf(v, "%d:%d:%d:%3s", &halving.min_epochs, &halving.eta, &halving.brackets,
                       acc) < 2 || halving.min_epochs < 1 || halving.eta < 2) {
                fprintf(stderr, "sweep_driver: bad --halving %s\n", v);
                return 2;
            }
            halving.metric = strcmp(acc, "acc") == 0 ? HALVING_VAL_ACC
                                                     : HALVING_VAL_LOSS;
            i++;
        } else if (strcmp(a, "--shard") == 0) {
            if (sscanf(v, "%d/%d", &shard_i, &shard_n) != 2) return 2;
            i++;
        }
        else if (strcmp(a, "--name") == 0) name = v, i++;
        else if (strcmp(a, "--init") == 0) init = v, i++;
        else if (strcmp(a, "--force") == 0) force = 1;
        else if (strcmp(a, "--quiet") == 0) quiet = 1;
        else {
            fprintf(stderr, "sweep_driver: unknown option %s\n", a);
            return 2;
        }
    }
    plan p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.source_path = "tests/store/sweep_driver.c";
    p.n_runs = n_runs;
    p.n_total = n_runs;
    p.shard_count = 1;
    p.search.has_halving = has_halving;
    p.search.halving = halving;
    p.runs = xcalloc((size_t)n_runs, sizeof *p.runs);
    for (int k = 0; k < n_runs; k++) {
        plan_run *r = &p.runs[k];
        run_settings *s = &r->settings;
        settings_set_defaults(s);
        snprintf(s->sweep, sizeof s->sweep, "%s", name);
        snprintf(s->case_name, sizeof s->case_name, "%s", k % 2 ? "momentum" : "plain");
        check_copy_string(s->data.dir, sizeof s->data.dir, argv[2]);
        s->data.val_from_test = 0.2;
        s->data.split_seed = 1;
        s->model.n_hidden = 2;
        s->model.hidden[0] = 64;
        s->model.hidden[1] = 32;
        check_copy_string(s->model.init, sizeof s->model.init, init);
        s->train.epochs = epochs;
        s->train.batch_size = 64;
        s->train.seed = 7 + (uint64_t)k;
        s->train.backend = BACKEND_CPU;
        s->train.checkpoint_every = ckpt_every;
        s->train.pack = pack;
        s->optim.kind = OPTIM_SGD;
        s->optim.lr = k == diverge ? 1e6 : 0.02 * (k + 1);
        s->optim.momentum = k % 2 ? 0.9 : 0;
        snprintf(r->id, sizeof r->id, "%s-%d-lr%g", name, k, s->optim.lr);
        r->index = k;
        r->cost = (long)epochs * ((2000 + 63) / 64);
    }
    runner_options o = {
        .results_dir = argv[1], .backend_override = -1, .force = force, .jobs = jobs,
        .quiet = quiet, .full = NULL, .until_rung = until_rung,
        .after_epoch = pause_ms > 0 ? pause_after_epoch : NULL, .after_epoch_user = &pause_ms,
    };
    int rc;
    if (shard_n > 1) {
        plan shard;
        plan_shard(&p, shard_i, shard_n, &shard);
        o.full = &p;
        rc = runner_run_plan(&shard, &o);
        free(shard.runs);
        free(shard.swept);
        free(shard.source_path);
    } else {
        rc = runner_run_plan(&p, &o);
    }
    free(p.runs);
    return rc;
}
