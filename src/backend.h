/* backend.h — the interface between the backend-agnostic training loop (train.c) and a
 * device: a struct of function pointers plus a context, like ggml's backends.  A backend
 * owns the data (uploaded once), the flat parameter buffer (model.h layout), its gradients
 * and the optimizer state, and trains one run.  Implementations: backend_cpu.c (OpenBLAS)
 * and cuda/backend_cuda.cu.  Every slot returns 0 on success, -1 on failure after writing
 * a message to b->error. */
#ifndef OPTSWEEP_BACKEND_H
#define OPTSWEEP_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include "data.h"
#include "model.h"
#include "settings.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SPLIT_TRAIN, SPLIT_VAL, SPLIT_TEST } split_id;

typedef struct {
    model_shape shape;
    int batch_size;
    optim_settings optim;
    precision_kind precision;
    int normalize;          /* 0: x / 255.0f; 1: then (x - mean) / std, in float */
    float mean, std;
    const dataset *data;    /* uploaded by create; not referenced afterwards */
    int train_rows;         /* rows of the training split (batches per epoch follow);
                             * create sets it from data */
} backend_config;

typedef struct {
    double loss;  /* mean of the batch losses (each batch's mean cross-entropy) */
    double acc;   /* correct / n */
    long correct;
    long n;
} eval_result;

typedef struct backend backend;

/* One epoch of one backend, for train_epochs: the arguments and results of its train_epoch. */
typedef struct {
    backend *b;
    uint64_t seed;
    int epoch;
    double lr;
    long *step;
    double *mean_loss;
    /* step_every: batch — the lr and the cycled momentum (SGD/RMSprop momentum or beta1,
     * optim_set_momentum) of each of the epoch's steps in order; NULL: lr for every step,
     * the optimizer's own momentum.  Only train_epochs reads them (train_epoch: constant). */
    const double *lr_steps;
    const double *momentum_steps;
} backend_epoch_job;

typedef struct {
    const char *name; /* "cpu", "cuda" */
    void (*free)(backend *b);
    /* nn.Linear's default init from Philox(seed): see philox.h / model.h. */
    int (*init_params)(backend *b, uint64_t seed);
    int (*load_params)(backend *b, const float *host);   /* (n_params) */
    int (*read_params)(backend *b, float *host);         /* (n_params) */
    /* Optimizer state: optim_state_slots() buffers of n_params floats, back to back. */
    int (*load_state)(backend *b, const float *host);
    int (*read_state)(backend *b, float *host);
    /* One epoch: permutation of the training set from Philox(seed, epoch), batches in that
     * order (last partial batch kept), forward, backward, optimizer step with learning rate
     * lr.  `step` is the optimizer's step count before the epoch (PyTorch's state['step']);
     * on return it has grown by the number of batches.  *mean_loss = mean of batch losses. */
    int (*train_epoch)(backend *b, uint64_t seed, int epoch, double lr, long *step,
                       double *mean_loss);
    /* Loss (mean of batch losses, batches of batch_size in order) and accuracy on a split.
     * An empty split is not an error: out->n = 0, loss and acc NaN (train.c skips
     * validation that way when there is no validation split). */
    int (*evaluate)(backend *b, split_id split, eval_result *out);

    /* Packs (optional slots; NULL: the generic way in backend.c).  A member is a backend of
     * the same kind, model shape, batch size, precision and data as `first`, with its own
     * optimizer, parameters and state, that may share first's data and threads (first must
     * outlive it).  train_epochs trains one epoch of each job's backend (members of one
     * first, each at most once) and may share work between them, e.g. one gather per batch
     * for jobs with the same seed and epoch; each job's results are bit-identical to its
     * backend's own train_epoch.  On failure, the failing job's backend has the message. */
    backend *(*create_member)(backend *first, const optim_settings *optim, char *err,
                              size_t errlen);
    int (*train_epochs)(const backend_epoch_job *jobs, int n_jobs);
} backend_ops;

struct backend {
    const backend_ops *ops;
    void *ctx;
    backend_config config;
    /* what fixes a run's bits besides its settings: the kernel and team size on the CPU,
     * "OpenBLAS 0.3.21 SkylakeX, 2 threads"; the device on the GPU.  Kept in checkpoints: a
     * resume under other numerics says its result is not bit-identical. */
    char numerics[128];
    char device_name[256]; /* "cpu (OpenBLAS 0.3.21, 2 threads, kernel ...)", "NVIDIA H100 80GB HBM3" */
    char error[512];
};

/* The backend configuration of a run: its model shape, batch size, optimizer, precision and
 * input normalisation, over the data set d. */
backend_config backend_config_from_settings(const run_settings *s, const dataset *d);

/* Creates the backend of that kind (BACKEND_AUTO: cuda when a device is usable, else cpu).
 * Returns NULL with a message in err on failure (no device for BACKEND_CUDA, out of memory). */
backend *backend_create(backend_kind kind, const backend_config *cfg, char *err, size_t errlen);
void backend_free(backend *b);

/* A member of first's pack with its own optimizer (see backend_ops.create_member); data is
 * the data set first was created over (a backend keeps no pointer to it). */
backend *backend_create_member(backend *first, const optim_settings *optim, const dataset *data,
                               char *err, size_t errlen);

/* One epoch of each job (see backend_ops.train_epochs); the jobs' backends are members of
 * one pack.  Returns 0, or -1 with the failing job's backend's error set (*failed: its index). */
int backend_train_epochs(const backend_epoch_job *jobs, int n_jobs, int *failed);

/* Per-backend constructors used by backend_create. */
backend *backend_cpu_create(const backend_config *cfg, char *err, size_t errlen);
/* Defined in cuda/ when built with CUDA; otherwise a stub that reports it is not built. */
backend *backend_cuda_create(const backend_config *cfg, char *err, size_t errlen);
/* 1 when a CUDA device is present and usable (0 without CUDA support or device). */
int backend_cuda_available(void);

#ifdef __cplusplus
}
#endif
#endif
