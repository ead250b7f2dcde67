/* plan_memory.c — how much memory a run needs, estimated from its settings before anything
 * is allocated, and whether that fits this machine: `plan` shows it, and the runner records a
 * run that cannot fit as failed (and goes on) instead of aborting on its allocation. */
#include <stdio.h>
#include <unistd.h>

#include "model.h"
#include "optim.h"
#include "plan.h"

/* MNIST-sized data (train and test images as bytes, shared by every run of a process) */
#define PLAN_DATA_BYTES ((60000.0 + 10000.0) * MODEL_INPUT_DIM)

double plan_run_memory(const run_settings *s)
{
    /* in doubles: hidden [1048576, 1048576] is 1.1e12 parameters, past what size_t math
     * should be trusted with */
    double sizes = MODEL_INPUT_DIM + MODEL_OUTPUT_DIM, params = 0, prev = MODEL_INPUT_DIM;
    for (int k = 0; k < s->model.n_hidden; k++) {
        double h = (double)s->model.hidden[k];
        params += prev * h + h;
        sizes += h;
        prev = h;
    }
    params += prev * MODEL_OUTPUT_DIM + MODEL_OUTPUT_DIM;
    /* weights, gradients, the optimizer's slots, the host copy and a checkpoint's copy of
     * both; per batch row, each layer's activations and their gradients (twice: forward
     * and backward buffers) */
    double floats = params * (4.0 + 2.0 * optim_state_slots(&s->optim))
                    + (double)s->train.batch_size * sizes * 4.0;
    return floats * sizeof(float) + PLAN_DATA_BYTES;
}

double plan_memory_available(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : 0;
}

void plan_format_bytes(double bytes, char *buf, size_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = 0;
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

int plan_run_fits(const run_settings *s, char *why, size_t n)
{
    double need = plan_run_memory(s), have = plan_memory_available();
    if (have <= 0 || need <= have) return 0;
    char a[32], b[32];
    plan_format_bytes(need, a, sizeof a);
    plan_format_bytes(have, b, sizeof b);
    snprintf(why, n, "needs about %s of memory (model.hidden, train.batch_size), more than this "
             "machine's %s: not trained", a, b);
    return -1;
}
