/* test_gpu_no_device.c — what a user gets on a machine without a usable GPU (ctest runs it with
 * CUDA_VISIBLE_DEVICES=-1, so it means the same on a GPU machine, a machine with no driver, and
 * a build without CUDA): backend_cuda_available() says 0, `train.backend: cuda` fails at
 * create with a clear "cuda backend: ..." message instead of a crash or a hang, and
 * `train.backend: auto` falls back to the CPU.
 * usage: test_gpu_no_device DATA_DIR */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "check.h"
#include "data.h"
#include "model.h"
#include "progress.h"
#include "settings.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    run_settings s;
    settings_set_defaults(&s);
    check_copy_string(s.data.dir, sizeof s.data.dir, argv[1]);
    s.data.train_limit = 100;
    dataset d;
    char err[512];
    if (data_load(&d, &s.data, err, sizeof err) != 0) {
        fprintf(stderr, "data: %s\n", err);
        return 1;
    }
    s.train.batch_size = 32;
    backend_config cfg = backend_config_from_settings(&s, &d);
    int bad = 0;
    const double t0 = progress_now();

    if (backend_cuda_available()) {
        fprintf(stderr, "FAIL backend_cuda_available() = 1 with CUDA_VISIBLE_DEVICES=-1\n");
        bad++;
    }
    err[0] = '\0';
    backend *b = backend_create(BACKEND_CUDA, &cfg, err, sizeof err);
    if (b) {
        fprintf(stderr, "FAIL train.backend cuda: created a backend (%s) without a device\n",
                b->device_name);
        backend_free(b);
        bad++;
    } else if (strncmp(err, "cuda backend: ", 14) != 0 && strstr(err, "without CUDA") == NULL) {
        fprintf(stderr, "FAIL train.backend cuda: unclear message \"%s\"\n", err);
        bad++;
    } else {
        printf("train.backend cuda -> %s\n", err);
    }
    b = backend_create(BACKEND_AUTO, &cfg, err, sizeof err);
    if (!b || strcmp(b->ops->name, "cpu") != 0) {
        fprintf(stderr, "FAIL train.backend auto: %s\n", b ? b->ops->name : err);
        bad++;
    } else {
        printf("train.backend auto -> %s\n", b->device_name);
    }
    backend_free(b);
    const double secs = progress_now() - t0;
    if (secs > 20.0) { /* the probe must answer, not hang */
        fprintf(stderr, "FAIL the device probe took %.1f s\n", secs);
        bad++;
    }
    data_free(&d);
    printf("%s (%.2f s)\n", bad ? "FAIL" : "ok", secs);
    return bad ? 1 : 0;
}
