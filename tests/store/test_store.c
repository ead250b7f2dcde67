/* test_store.c — unit tests of the store on real HDF5 files in a temporary directory: run
 * file write/read-back, weights round trip and shape errors, .part never visible as final,
 * corrupt and foreign-version files refused, checkpoint round trip (bit for bit), lock
 * claiming (busy, stale takeover, another host's lock, a requeued SLURM task's own lock,
 * many processes racing), a second stop signal with and without a terminal, plan.json.
 * Usage: test_store [--write-sample DIR]  (the sample is what tests/store/layout.sh dumps). */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "model.h"
#include "optim.h"
#include "plan.h"
#include "settings.h"
#include "signals.h"
#include "store.h"
#include "test_util.h"
#include "train.h"


static char tmpdir[256];

/* A small run: hidden [16, 8], sgd with momentum, 5 epochs, 2 validations. */
static void make_run(plan_run *run, const char *id)
{
    memset(run, 0, sizeof *run);
    settings_set_defaults(&run->settings);
    run_settings *s = &run->settings;
    snprintf(s->sweep, sizeof s->sweep, "unit");
    snprintf(s->case_name, sizeof s->case_name, "momentum");
    s->model.n_hidden = 2;
    s->model.hidden[0] = 16;
    s->model.hidden[1] = 8;
    s->train.epochs = 5;
    s->train.seed = 18446744073709551557ull; /* > INT64_MAX: the uint64 path */
    s->optim.kind = OPTIM_SGD;
    s->optim.lr = 0.1;
    s->optim.momentum = 0.9;
    snprintf(run->id, sizeof run->id, "%s", id);
    run->index = 3;
    run->cost = 5 * 100;
}

static void fill_state(train_state *st, int n_epochs)
{
    for (int e = 0; e < n_epochs; e++) {
        st->epoch[e] = e;
        st->train_loss[e] = 2.3 / (e + 1) + 1e-17 * e;
        st->lr[e] = 0.1 * pow(0.5, e);
        st->epoch_seconds[e] = 0.25 + e;
    }
    st->n_epochs = n_epochs;
    st->n_val = 0;
    for (int e = 1; e < n_epochs; e += 2) {
        st->val_epoch[st->n_val] = e;
        st->val_loss[st->n_val] = 0.5 / e;
        st->val_acc[st->n_val] = 0.9 + 0.01 * e;
        st->n_val++;
    }
    st->next_epoch = n_epochs;
    st->step = 123L * n_epochs;
    st->schedule_steps = n_epochs;
    st->best_val_loss = 0.5 / 3;
    st->epochs_since_best = 1;
    st->elapsed_seconds = 4.5;
    st->best_val_acc = 0.93;
}

static void fill_params(float *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)((int)(seed >> 8) - (1 << 23)) / (float)(1 << 23);
    }
}

/* The completed run the file tests write: make_run's settings, weights from seed 7 and a
 * 5-epoch state with test results.  Free params (free) and st (train_state_free). */
static void sample_run(plan_run *run, const char *id, model_shape *shape, float **params,
                       train_state *st)
{
    make_run(run, id);
    model_shape_init(shape, &run->settings.model);
    *params = malloc(sizeof(float) * shape->n_params);
    fill_params(*params, shape->n_params, 7);
    train_state_init(st, 5);
    fill_state(st, 5);
    st->status = RUN_COMPLETED;
    st->test_loss = 0.31;
    st->test_acc = 0.912;
}

static int write_sample(const char *dir, const plan_run *run, train_state *st,
                        const model_shape *shape, const float *params)
{
    store_run_record rec = {
        .run = run, .backend = "cpu", .device = "cpu (test)", .host = "testhost",
        .start_time = "2025-01-31T12:00:00Z", .end_time = "2025-01-31T12:00:05Z",
        .wall_seconds = 5.0, .attempts = 2, .st = st, .shape = shape, .params = params,
    };
    char err[1024];
    int rc = store_finish_run(dir, &rec, err, sizeof err);
    EXPECT(rc == 0, "store_finish_run: %s", err);
    return rc;
}

static void test_run_file(void)
{
    plan_run run;
    model_shape shape;
    float *params;
    train_state st;
    sample_run(&run, "unit-run-1", &shape, &params, &st);
    EXPECT(shape.n_params == 784 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10, "n_params %zu",
           shape.n_params);
    write_sample(tmpdir, &run, &st, &shape, params);

    char final[512], part[512];
    snprintf(final, sizeof final, "%s/unit-run-1.h5", tmpdir);
    snprintf(part, sizeof part, "%s/unit-run-1.h5.part", tmpdir);
    EXPECT(access(final, F_OK) == 0, "final file missing");
    EXPECT(access(part, F_OK) != 0, ".part left behind");

    store_run_log log;
    char err[1024];
    int rc = store_read_run(final, &log, err, sizeof err);
    EXPECT(rc == 0, "store_read_run: %s", err);
    if (rc == 0) {
        EXPECT(strcmp(log.run_id, "unit-run-1") == 0, "run_id %s", log.run_id);
        EXPECT(strcmp(log.sweep, "unit") == 0, "sweep %s", log.sweep);
        EXPECT(strcmp(log.case_name, "momentum") == 0, "case %s", log.case_name);
        EXPECT(strcmp(log.status, "completed") == 0, "status %s", log.status);
        EXPECT(strcmp(log.host, "testhost") == 0, "host %s", log.host);
        EXPECT(log.seed == 18446744073709551557ull, "seed %llu", (unsigned long long)log.seed);
        EXPECT(log.run_index == 3, "run_index %ld", log.run_index);
        EXPECT(log.attempts == 2, "attempts %d", log.attempts);
        EXPECT(log.status_epoch == -1, "status_epoch %d", log.status_epoch);
        EXPECT(log.n_epochs == 5 && log.n_val == 2, "n_epochs %d n_val %d", log.n_epochs,
               log.n_val);
        for (int e = 0; e < log.n_epochs && e < 5; e++) {
            EXPECT(log.epoch[e] == e, "epoch[%d] %d", e, log.epoch[e]);
            /* doubles are stored as float64: exact */
            EXPECT(log.train_loss[e] == st.train_loss[e], "train_loss[%d]", e);
            EXPECT(log.lr[e] == st.lr[e], "lr[%d]", e);
        }
        EXPECT(log.val_epoch[1] == 3 && log.val_acc[1] == st.val_acc[1], "val");
        EXPECT(log.test_acc == 0.912 && log.test_loss == 0.31, "test");
        EXPECT(log.mean_weight == model_mean_weight(&shape, params), "mean_weight %g",
               log.mean_weight);
        EXPECT(log.n_params == (long)shape.n_params, "n_params");
        EXPECT(strstr(log.settings_yaml, "epochs: 5") != NULL, "yaml:\n%s", log.settings_yaml);
        const store_setting *lr = store_run_log_setting(&log, "optimizer.lr");
        EXPECT(lr && lr->number == 0.1 && strcmp(lr->text, "0.1") == 0, "optimizer.lr %s",
               lr ? lr->text : "missing");
        const store_setting *hid = store_run_log_setting(&log, "model.hidden");
        EXPECT(hid && strcmp(hid->text, "[16, 8]") == 0, "model.hidden %s",
               hid ? hid->text : "missing");
        const store_setting *kind = store_run_log_setting(&log, "optimizer.name");
        EXPECT(kind && strcmp(kind->text, "sgd") == 0, "optimizer.name");
        const store_setting *seed = store_run_log_setting(&log, "train.seed");
        EXPECT(seed && strcmp(seed->text, "18446744073709551557") == 0, "train.seed %s",
               seed ? seed->text : "missing");
        /* a key that does not apply to sgd is absent */
        EXPECT(store_run_log_setting(&log, "optimizer.beta1") == NULL
                   && store_run_log_setting(&log, "optimizer.betas") == NULL,
               "adam's betas present for sgd");
        store_run_log_free(&log);
    }

    int done = 0;
    char status[32];
    rc = store_check_run(final, &done, status, sizeof status, err, sizeof err);
    EXPECT(rc == 0 && done == 1 && strcmp(status, "completed") == 0, "check_run: %s", err);

    /* weights round trip, bit for bit */
    float *back = calloc(shape.n_params, sizeof(float));
    rc = store_load_weights(final, &shape, back, err, sizeof err);
    EXPECT(rc == 0, "store_load_weights: %s", err);
    EXPECT(memcmp(back, params, sizeof(float) * shape.n_params) == 0, "weights differ");

    /* a model of another shape: refused, naming the file and the dataset */
    plan_run other;
    make_run(&other, "x");
    other.settings.model.hidden[0] = 32;
    model_shape shape2;
    model_shape_init(&shape2, &other.settings.model);
    float *w2 = calloc(shape2.n_params, sizeof(float));
    rc = store_load_weights(final, &shape2, w2, err, sizeof err);
    EXPECT(rc < 0 && strstr(err, final) && strstr(err, "/model/layer1/weight")
               && strstr(err, "(16, 784)") && strstr(err, "(32, 784)"),
           "shape mismatch message: %s", err);
    /* a deeper model: layer 3 missing */
    other.settings.model.n_hidden = 3;
    other.settings.model.hidden[0] = 16;
    other.settings.model.hidden[2] = 8;
    model_shape_init(&shape2, &other.settings.model);
    free(w2);
    w2 = calloc(shape2.n_params, sizeof(float));
    rc = store_load_weights(final, &shape2, w2, err, sizeof err);
    EXPECT(rc < 0 && strstr(err, "layer3"), "deeper model: %s", err);
    free(w2);
    /* a shallower model: the file has a layer too many */
    other.settings.model.n_hidden = 1;
    model_shape_init(&shape2, &other.settings.model);
    w2 = calloc(shape2.n_params, sizeof(float));
    rc = store_load_weights(final, &shape2, w2, err, sizeof err);
    EXPECT(rc < 0, "shallower model accepted");
    free(w2);
    rc = store_load_weights("/nonexistent/w.h5", &shape, back, err, sizeof err);
    EXPECT(rc < 0 && strstr(err, "/nonexistent/w.h5"), "missing file: %s", err);

    /* a diverged run without weights is not valid, a failed one is */
    train_state_free(&st);
    free(back);
    free(params);
}

/* Copies a file, only its first truncate_to bytes when that is not negative. */
static void copy_file(const char *from, const char *to, long truncate_to)
{
    size_t n = 0;
    char *data = test_read_file(from, &n);
    if (truncate_to >= 0 && (size_t)truncate_to < n) n = (size_t)truncate_to;
    EXPECT(data && test_write_file(to, data, n) == 0, "cannot copy %s to %s", from, to);
    free(data);
}

static void test_corrupt_files(void)
{
    char final[512], bad[512], err[1024], status[32];
    int done;
    snprintf(final, sizeof final, "%s/unit-run-1.h5", tmpdir);

    /* truncated: HDF5 notices its end-of-file address is past the end */
    struct stat sb;
    stat(final, &sb);
    snprintf(bad, sizeof bad, "%s/trunc.h5", tmpdir);
    copy_file(final, bad, sb.st_size / 2);
    EXPECT(store_check_run(bad, &done, status, sizeof status, err, sizeof err) < 0 && !done,
           "truncated file accepted");
    EXPECT(strstr(err, bad) != NULL, "message does not name the file: %s", err);

    /* not HDF5 at all */
    snprintf(bad, sizeof bad, "%s/garbage.h5", tmpdir);
    test_write_text(bad, "this is not an HDF5 file\n");
    EXPECT(store_check_run(bad, &done, status, sizeof status, err, sizeof err) < 0,
           "garbage accepted");
    EXPECT(strstr(err, bad) != NULL, "message: %s", err);

    /* a future format version */
    snprintf(bad, sizeof bad, "%s/v3.h5", tmpdir);
    copy_file(final, bad, -1);
    hid_t h = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(h, "format_version", H5P_DEFAULT);
    int v3 = 3;
    H5Awrite(a, H5T_NATIVE_INT, &v3);
    H5Aclose(a);
    H5Fclose(h);
    EXPECT(store_check_run(bad, &done, status, sizeof status, err, sizeof err) < 0
               && strstr(err, "format_version 3"),
           "version 3 accepted: %s", err);

    /* weights removed from a completed run */
    /* named after its run (<id>.h5), or store_check_run refuses it for that alone */
    snprintf(bad, sizeof bad, "%s/noweights", tmpdir);
    mkdir(bad, 0777);
    snprintf(bad, sizeof bad, "%s/noweights/unit-run-1.h5", tmpdir);
    copy_file(final, bad, -1);
    h = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(h, "model/layer2/bias", H5P_DEFAULT);
    H5Fclose(h);
    EXPECT(store_check_run(bad, &done, status, sizeof status, err, sizeof err) < 0
               && strstr(err, "damaged"),
           "missing bias accepted: %s", err);
}

static void test_failed_run_file(void)
{
    plan_run run;
    make_run(&run, "unit-failed");
    model_shape shape;
    model_shape_init(&shape, &run.settings.model);
    train_state st;
    train_state_init(&st, 5);
    st.status = RUN_FAILED;
    st.status_epoch = -1;
    snprintf(st.message, sizeof st.message, "backend: no device");
    store_run_record rec = {
        .run = &run, .backend = "none", .device = "none", .host = "h",
        .start_time = "2025-01-31T12:00:00Z", .end_time = "2025-01-31T12:00:00Z",
        .attempts = 1, .st = &st, .shape = &shape, .params = NULL,
    };
    char err[1024], path[512], status[32];
    EXPECT(store_finish_run(tmpdir, &rec, err, sizeof err) == 0, "failed run: %s", err);
    snprintf(path, sizeof path, "%s/unit-failed.h5", tmpdir);
    int done = 1;
    EXPECT(store_check_run(path, &done, status, sizeof status, err, sizeof err) == 0 && !done
               && strcmp(status, "failed") == 0,
           "a failed run must be valid but not done: %s", err);
    store_run_log log;
    EXPECT(store_read_run(path, &log, err, sizeof err) == 0 && log.n_epochs == 0
               && strcmp(log.status_message, "backend: no device") == 0 && isnan(log.test_acc),
           "failed run read back: %s", err);
    store_run_log_free(&log);
    train_state_free(&st);
}

static void test_checkpoint(void)
{
    plan_run run;
    make_run(&run, "unit-ckpt");
    model_shape shape;
    model_shape_init(&shape, &run.settings.model);
    size_t n = shape.n_params;
    size_t n_state = (size_t)optim_state_slots(&run.settings.optim) * n;
    EXPECT(n_state == n, "sgd with momentum keeps one slot");
    float *params = malloc(sizeof(float) * n), *state = malloc(sizeof(float) * n_state);
    fill_params(params, n, 1);
    fill_params(state, n_state, 2);
    train_state st;
    train_state_init(&st, 5);
    fill_state(&st, 3);
    char *yaml = store_settings_yaml(&run.settings);
    store_checkpoint ck = {
        .run = &run, .settings_yaml = yaml, .backend = "cpu",
        .start_time = "2025-01-31T12:00:00Z", .wall_seconds = 12.5, .attempts = 1, .st = &st,
        .params = params, .n_params = n, .optim_state = state, .n_state = n_state,
    };
    char err[1024];
    EXPECT(store_write_checkpoint(tmpdir, &ck, err, sizeof err) == 0, "write ckpt: %s", err);
    char path[512], tmp[512];
    snprintf(path, sizeof path, "%s/unit-ckpt.ckpt.h5", tmpdir);
    snprintf(tmp, sizeof tmp, "%s/unit-ckpt.ckpt.h5.tmp", tmpdir);
    EXPECT(access(path, F_OK) == 0 && access(tmp, F_OK) != 0, "checkpoint files");

    train_state back;
    train_state_init(&back, 5);
    float *p2 = calloc(n, sizeof(float)), *s2 = calloc(n_state, sizeof(float));
    store_checkpoint_info info;
    int rc = store_read_checkpoint(path, "unit-ckpt", yaml, 5, &back, p2, n, s2, n_state, &info,
                                   err, sizeof err);
    EXPECT(rc == 0, "read ckpt: %s", err);
    EXPECT(memcmp(p2, params, n * sizeof(float)) == 0, "params differ");
    EXPECT(memcmp(s2, state, n_state * sizeof(float)) == 0, "optimizer state differs");
    EXPECT(back.next_epoch == 3 && back.step == st.step && back.schedule_steps == 3
               && back.best_val_loss == st.best_val_loss && back.epochs_since_best == 1
               && back.elapsed_seconds == 4.5 && back.best_val_acc == st.best_val_acc,
           "train_state position");
    EXPECT(back.n_epochs == 3 && back.n_val == 1
               && memcmp(back.train_loss, st.train_loss, 3 * sizeof(double)) == 0
               && memcmp(back.lr, st.lr, 3 * sizeof(double)) == 0
               && back.val_epoch[0] == 1 && back.val_acc[0] == st.val_acc[0],
           "logs so far");
    EXPECT(info.attempts == 1 && info.wall_seconds == 12.5 && strcmp(info.backend, "cpu") == 0
               && strcmp(info.start_time, "2025-01-31T12:00:00Z") == 0,
           "checkpoint info");
    EXPECT(back.status == RUN_RUNNING, "status after resume");
    int e = -1;
    EXPECT(store_checkpoint_epoch(path, &e, NULL, err, sizeof err) == 0 && e == 3,
           "checkpoint epoch %d", e);

    /* wrong run, other settings, wrong sizes, too many epochs: refused */
    EXPECT(store_read_checkpoint(path, "other-run", yaml, 5, &back, p2, n, s2, n_state, &info,
                                 err, sizeof err) < 0 && strstr(err, "other-run"),
           "other run's checkpoint accepted: %s", err);
    EXPECT(store_read_checkpoint(path, "unit-ckpt", "train:\n  epochs: 6\n", 5, &back, p2, n,
                                 s2, n_state, &info, err, sizeof err) < 0,
           "checkpoint of other settings accepted");
    EXPECT(store_read_checkpoint(path, "unit-ckpt", yaml, 5, &back, p2, n - 1, s2, n_state,
                                 &info, err, sizeof err) < 0 && strstr(err, "params"),
           "wrong n_params accepted: %s", err);
    EXPECT(store_read_checkpoint(path, "unit-ckpt", yaml, 2, &back, p2, n, s2, n_state, &info,
                                 err, sizeof err) < 0,
           "more epochs than the run accepted");
    /* a second write replaces the first atomically */
    fill_state(&st, 4);
    EXPECT(store_write_checkpoint(tmpdir, &ck, err, sizeof err) == 0, "rewrite: %s", err);
    EXPECT(store_checkpoint_epoch(path, &e, NULL, err, sizeof err) == 0 && e == 4, "epoch %d", e);

    train_state_free(&st);
    train_state_free(&back);
    free(yaml);
    free(params);
    free(state);
    free(p2);
    free(s2);
}

/* ---- locks ----------------------------------------------------------------------------- */

static int child_acquire(const char *path, int hold_and_die)
{
    pid_t pid = fork();
    if (pid == 0) {
        store_lock l;
        store_lock_info h;
        char err[512];
        int rc = store_lock_acquire(&l, path, &h, err, sizeof err);
        if (hold_and_die) _exit(rc == 0 ? 0 : 3); /* exits holding it: a stale lock */
        if (rc == 0) store_lock_release(&l);
        _exit(rc == 0 ? 0 : rc == 1 ? 1 : 3);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

/* A child with stdin from stdin_path installs the runner's handlers (SIGNALS_MAIN) and gets
 * SIGTERM twice.  Returns its exit status: 143 when it quit at once in the handler, 0 when
 * both signals only raised the flag (it goes on to write its checkpoint). */
static int child_two_signals(const char *stdin_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int in = open(stdin_path, O_RDWR | O_NOCTTY);
        int null = open("/dev/null", O_WRONLY);
        if (in < 0 || null < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
            _exit(5);
        signals_install(SIGNALS_MAIN);
        raise(SIGTERM);
        raise(SIGTERM);
        _exit(signals_pending() == SIGTERM ? 0 : 4);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static void test_signals(void)
{
    /* a batch job (no terminal) that gets its stop signal twice still checkpoints */
    int rc = child_two_signals("/dev/null");
    EXPECT(rc == 0, "without a terminal a second SIGTERM must not quit at once (exit %d)", rc);
    /* at a terminal, a second Ctrl-C/SIGTERM is an impatient user: quit now */
    char tty[256] = "";
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0 && ptsname(m))
        snprintf(tty, sizeof tty, "%s", ptsname(m));
    if (!tty[0]) {
        printf("test_store: no pseudo-terminal here (%s): the terminal case is not checked\n",
               strerror(errno));
    } else {
        rc = child_two_signals(tty);
        EXPECT(rc == 128 + SIGTERM, "at a terminal a second SIGTERM should quit at once "
               "(exit %d)", rc);
    }
    if (m >= 0) close(m);
}

static void test_locks(void)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/run-a.lock", tmpdir);
    store_lock l;
    store_lock_info h;
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 0, "acquire: %s", err);
    EXPECT(child_acquire(path, 0) == 1, "a second process got a held lock");
    /* inspected from another process (as `optsweep status` does): alive, ours */
    pid_t me = getpid(), child = fork();
    if (child == 0) {
        store_lock_info i2;
        int ok = store_lock_inspect(path, &i2, err, sizeof err) == 0 && i2.alive == 1
                 && i2.same_host && i2.pid == (long)me;
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "inspect of a live lock");
    store_lock_info info;
    store_lock_release(&l);
    EXPECT(access(path, F_OK) != 0, "release left the file");
    EXPECT(child_acquire(path, 0) == 0, "a released lock could not be taken");

    /* a process that dies holding the lock leaves a stale one: taken over */
    EXPECT(child_acquire(path, 1) == 0, "child could not take the lock");
    EXPECT(access(path, F_OK) == 0, "the dead child's lock file should still be there");
    EXPECT(store_lock_inspect(path, &info, err, sizeof err) == 0 && info.alive == 0,
           "a dead holder's lock looks alive");
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 0, "stale takeover: %s", err);
    EXPECT(store_lock_inspect(path, &info, err, sizeof err) == 0 && info.pid == (long)getpid(),
           "takeover did not rewrite the lock: pid %ld", info.pid);
    store_lock_release(&l);

    /* a stale lock written by hand (no fcntl lock, dead pid on this host) */
    char host[256];
    store_hostname(host, sizeof host);
    test_write_text(path, "host=%s\npid=999999\nstart=2025-01-01T00:00:00Z\n", host);
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 0, "hand-made stale: %s", err);
    store_lock_release(&l);

    /* another host's lock is respected even though nobody here holds it */
    test_write_text(path, "host=some-other-node\npid=%ld\nstart=2025-01-01T00:00:00Z\n"
                    "slurm_job=77_3\n", (long)getpid());
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 1 && !h.same_host
               && strcmp(h.host, "some-other-node") == 0 && strcmp(h.slurm_job, "77_3") == 0,
           "another host's lock not respected");
    EXPECT(store_lock_inspect(path, &info, err, sizeof err) == 0 && info.alive == -1,
           "another host's lock: alive should be unknown");
    /* ...unless it is this very SLURM task's, left on another node by an incarnation that
     * was killed (SIGKILL, node failure) before SLURM requeued it here: SLURM never runs one
     * task twice at once.  An array task is <SLURM_ARRAY_JOB_ID>_<SLURM_ARRAY_TASK_ID>, as
     * squeue shows it; its own SLURM_JOB_ID (80) is another number. */
    setenv("SLURM_ARRAY_JOB_ID", "77", 1);
    setenv("SLURM_ARRAY_TASK_ID", "3", 1);
    setenv("SLURM_JOB_ID", "80", 1);
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 0,
            "our own requeued SLURM job's lock from another node not taken over: %s", err);
    EXPECT(store_lock_inspect(path, &info, err, sizeof err) == 0 && info.same_host
                && strcmp(info.slurm_job, "77_3") == 0,
            "lock after the takeover: host %s job %s", info.host, info.slurm_job);
    store_lock_release(&l);
    /* another task of the same array (77_4) is someone else */
    test_write_text(path, "host=some-other-node\npid=1\nstart=2025-01-01T00:00:00Z\n"
                    "slurm_job=77_4\n");
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 1, "another task's lock taken");
    /* so is the task whose SLURM_JOB_ID happens to be 77 */
    test_write_text(path, "host=some-other-node\npid=1\nstart=2025-01-01T00:00:00Z\n"
                    "slurm_job=80\n");
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 1,
           "a lock of job 80 taken over by array task 77_3");
    /* a job outside an array is named by its SLURM_JOB_ID */
    unsetenv("SLURM_ARRAY_JOB_ID");
    unsetenv("SLURM_ARRAY_TASK_ID");
    setenv("SLURM_JOB_ID", "91", 1);
    test_write_text(path, "host=some-other-node\npid=1\nstart=2025-01-01T00:00:00Z\n"
                    "slurm_job=91\n");
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 0,
            "job 91's own lock from another node not taken over: %s", err);
    EXPECT(store_lock_inspect(path, &info, err, sizeof err) == 0
               && strcmp(info.slurm_job, "91") == 0,
           "lock of job 91 after the takeover: job %s", info.slurm_job);
    store_lock_release(&l);
    test_write_text(path, "host=some-other-node\npid=1\nstart=2025-01-01T00:00:00Z\n"
                    "slurm_job=92\n");
    EXPECT(store_lock_acquire(&l, path, &h, err, sizeof err) == 1, "job 92's lock taken by 91");
    unsetenv("SLURM_JOB_ID");
    unlink(path);
}

/* 6 processes claim 40 runs the way the runner does (look, claim, look again, do, release);
 * some are killed while holding a claim.  Every run must be done exactly once: the marker
 * is created with O_EXCL, so a second "training" of a run fails loudly. */
static void test_lock_race(void)
{
    enum { N_PROC = 6, N_RUNS = 40 };
    pid_t pids[N_PROC];
    for (int p = 0; p < N_PROC; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            int doubles = 0;
            for (int pass = 0; pass < 3; pass++)
                for (int i = 0; i < N_RUNS; i++) {
                    int r = (i + p * 7) % N_RUNS;
                    char lock[512], done[512], err[512];
                    snprintf(lock, sizeof lock, "%s/race-%d.lock", tmpdir, r);
                    snprintf(done, sizeof done, "%s/race-%d.done", tmpdir, r);
                    if (access(done, F_OK) == 0) continue;
                    store_lock l;
                    store_lock_info h;
                    if (store_lock_acquire(&l, lock, &h, err, sizeof err) != 0) continue;
                    if (access(done, F_OK) == 0) {
                        store_lock_release(&l);
                        continue;
                    }
                    /* process 0 "crashes" in the middle of its third run */
                    if (p == 0 && i == 2) _exit(0);
                    nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
                    int fd = open(done, O_CREAT | O_EXCL | O_WRONLY, 0644);
                    if (fd < 0) doubles++;
                    else close(fd);
                    store_lock_release(&l);
                }
            _exit(doubles ? 1 : 0);
        }
    }
    for (int p = 0; p < N_PROC; p++) {
        int status;
        waitpid(pids[p], &status, 0);
        EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "process %d trained a run twice",
               p);
    }
    int n_done = 0;
    for (int r = 0; r < N_RUNS; r++) {
        char done[512];
        snprintf(done, sizeof done, "%s/race-%d.done", tmpdir, r);
        n_done += access(done, F_OK) == 0;
    }
    /* the crashed process's run is either done by another (stale takeover in a later pass)
     * or still pending behind its stale lock: at least N_RUNS - 1 done */
    EXPECT(n_done >= N_RUNS - 1, "only %d of %d runs done", n_done, N_RUNS);
}

static void test_plan_json(void)
{
    plan p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "unit \"quoted\"");
    p.source_path = "configs/x.yaml";
    p.n_runs = 3;
    p.runs = calloc(3, sizeof *p.runs);
    snprintf(p.runs[0].id, PLAN_ID_LEN, "a-1");
    snprintf(p.runs[1].id, PLAN_ID_LEN, "b\\2");
    snprintf(p.runs[2].id, PLAN_ID_LEN, "c\"3");
    char err[512];
    EXPECT(store_write_plan(tmpdir, &p, err, sizeof err) == 0, "write plan: %s", err);
    char **ids;
    int n;
    EXPECT(store_read_plan(tmpdir, &ids, &n, err, sizeof err) == 0 && n == 3, "read plan: %s",
           err);
    if (n == 3)
        EXPECT(strcmp(ids[0], "a-1") == 0 && strcmp(ids[1], "b\\2") == 0
                   && strcmp(ids[2], "c\"3") == 0,
               "ids %s %s %s", ids[0], ids[1], ids[2]);
    store_free_ids(ids, n);
    char empty[512];
    snprintf(empty, sizeof empty, "%s/none", tmpdir);
    EXPECT(store_read_plan(empty, &ids, &n, err, sizeof err) == 1 && n == 0, "missing plan");
    free(p.runs);
}

static void test_dirs(void)
{
    char sweep_dir[1024], runs_dir[1024], err[1024], base[512];
    snprintf(base, sizeof base, "%s/results/deeper", tmpdir);
    EXPECT(store_prepare_dirs(base, "sw", sweep_dir, runs_dir, sizeof runs_dir, err,
                              sizeof err) == 0, "prepare: %s", err);
    struct stat sb;
    EXPECT(stat(runs_dir, &sb) == 0 && S_ISDIR(sb.st_mode), "runs dir not made");
    /* a file where a directory should be */
    snprintf(base, sizeof base, "%s/afile", tmpdir);
    test_write_text(base, "%s", "");
    EXPECT(store_prepare_dirs(base, "sw", sweep_dir, runs_dir, sizeof runs_dir, err,
                              sizeof err) < 0 && strstr(err, base),
           "a file as results dir: %s", err);
    if (geteuid() != 0) { /* root writes anywhere: only the e2e test's read-only mount helps */
        snprintf(base, sizeof base, "%s/ro", tmpdir);
        mkdir(base, 0555);
        EXPECT(store_prepare_dirs(base, "sw", sweep_dir, runs_dir, sizeof runs_dir, err,
                                  sizeof err) < 0 && strstr(err, "ro"),
               "read-only dir: %s", err);
    }
}

static int has_group(const char *path, const char *group)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int yes = f >= 0 && H5Lexists(f, group, H5P_DEFAULT) > 0;
    if (f >= 0) H5Fclose(f);
    return yes;
}

/* --best-epoch FILE: prints the run file's run_index, best_epoch and its /model_best's epoch
 * (-2 when it has none), for keep_best.sh. */
static int print_best_epoch(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 1;
    int best = -3, kept = -2;
    long long index = -1;
    hid_t a = H5Aopen(f, "best_epoch", H5P_DEFAULT);
    if (a >= 0) {
        H5Aread(a, H5T_NATIVE_INT, &best);
        H5Aclose(a);
    }
    a = H5Aopen(f, "run_index", H5P_DEFAULT);
    if (a >= 0) {
        H5Aread(a, H5T_NATIVE_LLONG, &index);
        H5Aclose(a);
    }
    if (H5Lexists(f, "model_best", H5P_DEFAULT) > 0) {
        a = H5Aopen_by_name(f, "model_best", "epoch", H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) {
            H5Aread(a, H5T_NATIVE_INT, &kept);
            H5Aclose(a);
        }
    }
    H5Fclose(f);
    printf("%lld %d %d\n", index, best, kept);
    return 0;
}

/* The model shape of a run file, from its /model sizes (store_check_run validated them).
 * Returns 0, or -1 when it has none. */
static int file_shape(const char *path, model_shape *shape)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t g = f >= 0 ? H5Aopen_by_name(f, "model", "sizes", H5P_DEFAULT, H5P_DEFAULT) : -1;
    int sizes[MODEL_MAX_LAYERS + 1] = { 0 };
    hid_t sp = g >= 0 ? H5Aget_space(g) : -1;
    int n_sizes = sp >= 0 ? (int)H5Sget_simple_extent_npoints(sp) : 0;
    if (g >= 0 && n_sizes >= 2 && n_sizes <= MODEL_MAX_LAYERS + 1)
        H5Aread(g, H5T_NATIVE_INT, sizes);
    if (sp >= 0) H5Sclose(sp);
    if (g >= 0) H5Aclose(g);
    if (f >= 0) H5Fclose(f);
    if (n_sizes < 2 || n_sizes > MODEL_MAX_LAYERS + 1) return -1;
    model_settings m;
    memset(&m, 0, sizeof m);
    m.n_hidden = n_sizes - 2;
    for (int k = 0; k < m.n_hidden; k++) m.hidden[k] = sizes[k + 1];
    model_shape_init(shape, &m);
    return 0;
}

/* --same-weights A GROUP_A B GROUP_B: /GROUP_A of A holds the bits of /GROUP_B of B (the
 * shape from A's /model sizes). */
static int same_weights(const char *a, const char *ga, const char *b, const char *gb)
{
    model_shape shape;
    if (file_shape(a, &shape) < 0) return 1;
    float *wa = calloc(shape.n_params, sizeof(float)), *wb = calloc(shape.n_params, sizeof(float));
    char err[1024];
    int rc = 1;
    if (store_load_weights_from(a, ga, &shape, wa, err, sizeof err) < 0
        || store_load_weights_from(b, gb, &shape, wb, err, sizeof err) < 0)
        fprintf(stderr, "%s\n", err);
    else if (memcmp(wa, wb, shape.n_params * sizeof(float)) != 0)
        fprintf(stderr, "%s /%s differs from %s /%s\n", a, ga, b, gb);
    else
        rc = 0;
    free(wa);
    free(wb);
    return rc;
}

/* --compare A B: the results of two run files are the same bits (logs, test, weights);
 * timings, times, host and attempts may differ.  Prints what differs. */
static int compare_runs(const char *a, const char *b)
{
    store_run_log la, lb;
    char err[1024];
    if (store_read_run(a, &la, err, sizeof err) < 0 || store_read_run(b, &lb, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int bad = 0;
#define SAME(cond, what) do { if (!(cond)) { fprintf(stderr, "%s vs %s: %s differ\n", a, b, what); bad = 1; } } while (0)
    SAME(strcmp(la.status, lb.status) == 0 && la.status_epoch == lb.status_epoch, "status");
    SAME(la.n_epochs == lb.n_epochs && la.n_val == lb.n_val, "lengths");
    if (!bad) {
        size_t ne = (size_t)la.n_epochs, nv = (size_t)la.n_val;
        SAME(memcmp(la.epoch, lb.epoch, ne * sizeof(int)) == 0, "epoch");
        SAME(memcmp(la.train_loss, lb.train_loss, ne * sizeof(double)) == 0, "train_loss");
        SAME(memcmp(la.lr, lb.lr, ne * sizeof(double)) == 0, "lr");
        SAME(!la.momentum == !lb.momentum &&
                 (!la.momentum || memcmp(la.momentum, lb.momentum, ne * sizeof(double)) == 0),
             "momentum");
        SAME(memcmp(la.val_epoch, lb.val_epoch, nv * sizeof(int)) == 0, "val_epoch");
        SAME(memcmp(la.val_loss, lb.val_loss, nv * sizeof(double)) == 0, "val_loss");
        SAME(memcmp(la.val_acc, lb.val_acc, nv * sizeof(double)) == 0, "val_acc");
    }
    SAME(memcmp(&la.test_loss, &lb.test_loss, sizeof(double)) == 0, "test_loss");
    SAME(memcmp(&la.test_acc, &lb.test_acc, sizeof(double)) == 0, "test_acc");
    SAME(memcmp(&la.best_val_acc, &lb.best_val_acc, sizeof(double)) == 0, "best_val_acc");
    SAME(memcmp(&la.mean_weight, &lb.mean_weight, sizeof(double)) == 0, "mean_weight");
    SAME(settings_yaml_same_results(la.settings_yaml, lb.settings_yaml), "settings");
    /* weights: the shape from the run's own settings would need the YAML parser; the file's
     * /model sizes give it */
    model_shape shape;
    if (strcmp(la.status, "failed") != 0 && file_shape(a, &shape) == 0) {
        float *wa = calloc(shape.n_params, sizeof(float)), *wb = calloc(shape.n_params, sizeof(float));
        if (store_load_weights(a, &shape, wa, err, sizeof err) < 0
            || store_load_weights(b, &shape, wb, err, sizeof err) < 0) {
            fprintf(stderr, "%s\n", err);
            bad = 1;
        } else {
            SAME(memcmp(wa, wb, shape.n_params * sizeof(float)) == 0, "weights");
        }
        /* train.keep_best's weights: in both or neither, the same bits */
        int ba = has_group(a, "model_best"), bb = has_group(b, "model_best");
        SAME(ba == bb, "/model_best presence");
        if (ba && bb) {
            if (store_load_weights_from(a, "model_best", &shape, wa, err, sizeof err) < 0
                || store_load_weights_from(b, "model_best", &shape, wb, err, sizeof err) < 0) {
                fprintf(stderr, "%s\n", err);
                bad = 1;
            } else {
                SAME(memcmp(wa, wb, shape.n_params * sizeof(float)) == 0, "/model_best");
            }
        }
        free(wa);
        free(wb);
    }
#undef SAME
    store_run_log_free(&la);
    store_run_log_free(&lb);
    return bad;
}

/* For hostile.sh (issue #11 class 8): what a damaged disk or a hand edit does to a file,
 * behind HDF5's back or through it.  --flip FILE DATASET overwrites one byte of the
 * dataset's data in place; --set-int64 FILE ATTR VALUE rewrites a root attribute. */
static int damage_file(int argc, char **argv)
{
    hid_t f = H5Fopen(argv[2], argc == 4 ? H5F_ACC_RDONLY : H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return 1;
    int rc = 1;
    if (argc == 4) {
        hid_t d = H5Dopen2(f, argv[3], H5P_DEFAULT);
        haddr_t at = d < 0 ? HADDR_UNDEF : H5Dget_offset(d);
        if (d >= 0) H5Dclose(d);
        H5Fclose(f);
        int fd = at == HADDR_UNDEF ? -1 : open(argv[2], O_WRONLY);
        if (fd >= 0 && pwrite(fd, "\x5a", 1, (off_t)at + 2) == 1) rc = 0;
        if (fd >= 0) close(fd);
        return rc;
    }
    long long v = strtoll(argv[4], NULL, 0);
    hid_t a = H5Aopen(f, argv[3], H5P_DEFAULT);
    if (a >= 0 && H5Awrite(a, H5T_NATIVE_LLONG, &v) >= 0) rc = 0;
    if (a >= 0) H5Aclose(a);
    H5Fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    if ((argc == 4 && strcmp(argv[1], "--flip") == 0)
        || (argc == 5 && strcmp(argv[1], "--set-int64") == 0))
        return damage_file(argc, argv);
    if (argc == 4 && strcmp(argv[1], "--compare") == 0) return compare_runs(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "--best-epoch") == 0) return print_best_epoch(argv[2]);
    if (argc == 6 && strcmp(argv[1], "--same-weights") == 0)
        return same_weights(argv[2], argv[3], argv[4], argv[5]);
    if (argc == 3 && strcmp(argv[1], "--write-sample") == 0) {
        /* for layout.sh: one completed run file in argv[2] */
        plan_run run;
        model_shape shape;
        float *params;
        train_state st;
        sample_run(&run, "sample-run", &shape, &params, &st);
        params[0] = 0.5f; /* layer1 weight (0, 0), checked in the dump */
        params[shape.bias_offset[1]] = -0.25f; /* layer2 bias[0] */
        int rc = write_sample(argv[2], &run, &st, &shape, params);
        train_state_free(&st);
        free(params);
        return rc == 0 && test_failures == 0 ? 0 : 1;
    }
    if (test_temp_dir(tmpdir, sizeof tmpdir, "test-store") < 0) return 1;
    test_run_file();
    test_corrupt_files();
    test_failed_run_file();
    test_checkpoint();
    test_locks();
    test_lock_race();
    test_signals();
    test_plan_json();
    test_dirs();
    if (test_failures == 0) test_remove_tree(tmpdir); /* kept to look at after a failure */
    return test_finish("test_store");
}
