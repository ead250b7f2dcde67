/* settings.h — the fully resolved settings of one training run.
 * A plain, fixed-size struct (copyable with `=`): config fills the base, plan copies it per run
 * and applies grid values and case overrides, the engine only reads it.  The table of keys
 * (names, types, bounds, defaults) lives in settings.c; nothing else knows key names. */
#ifndef OPTSWEEP_SETTINGS_H
#define OPTSWEEP_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#define SETTINGS_MAX_HIDDEN 16      /* hidden layers of the MLP */
#define SETTINGS_MAX_MILESTONES 32  /* multistep milestones */
#define SETTINGS_PATH_LEN 1024
#define SETTINGS_NAME_LEN 128

typedef enum { DATASET_MNIST, DATASET_FASHION_MNIST } dataset_kind;
typedef enum { ACTIVATION_LEAKY_RELU, ACTIVATION_RELU, ACTIVATION_TANH } activation_kind;
typedef enum { BACKEND_AUTO, BACKEND_CPU, BACKEND_CUDA } backend_kind;
typedef enum { PRECISION_FP32, PRECISION_TF32 } precision_kind;

typedef enum {
    OPTIM_SGD,
    OPTIM_ADAGRAD,
    OPTIM_RMSPROP,
    OPTIM_ADAM,
    OPTIM_ADAMW,
} optim_kind;

typedef enum {
    SCHEDULE_NONE,
    SCHEDULE_STEP,        /* torch.optim.lr_scheduler.StepLR */
    SCHEDULE_MULTISTEP,   /* MultiStepLR */
    SCHEDULE_EXPONENTIAL, /* ExponentialLR */
    SCHEDULE_COSINE,      /* CosineAnnealingLR */
    SCHEDULE_LINEAR,      /* LinearLR (linear warm-up) */
} schedule_kind;

typedef enum { SCHEDULE_EVERY_EPOCH, SCHEDULE_EVERY_VALIDATION } schedule_every;

typedef struct {
    dataset_kind dataset;
    char dir[SETTINGS_PATH_LEN]; /* folder with the four IDX files (raw or .gz) */
    long train_limit;            /* use the first N training images; 0 = all */
    double val_from_test;        /* fraction of the test set held out for validation */
    long val_from_train;         /* or: hold out this many training images */
    uint64_t split_seed;         /* seeds the validation/test split */
    int normalize;               /* 0: x/255 (ToTensor); 1: then (x - mean) / std */
    double mean, std;
} data_settings;

typedef struct {
    int hidden[SETTINGS_MAX_HIDDEN]; /* hidden layer widths, input 784 and output 10 implied */
    int n_hidden;
    activation_kind activation;
    char init[SETTINGS_PATH_LEN]; /* "default" (nn.Linear's init) or an HDF5 file of weights */
} model_settings;

typedef struct {
    int epochs;
    int batch_size;
    uint64_t seed;
    int validation_freq;        /* validate when epoch % freq == 0 (epochs counted from 0) */
    int early_stopping;         /* 1 when train.early_stopping is set */
    int patience;
    double delta;
    backend_kind backend;
    precision_kind precision;
    int checkpoint_every;       /* epochs between checkpoints; 0 = every 60 s of training */
} train_settings;

/* PyTorch's names and defaults; fields an optimizer does not have stay at their defaults. */
typedef struct {
    optim_kind kind;
    double lr;
    double momentum, dampening, weight_decay; /* sgd (momentum, weight_decay also rmsprop) */
    int nesterov;
    double lr_decay, initial_accumulator_value; /* adagrad */
    double eps;                                 /* adagrad 1e-10, rmsprop/adam 1e-8 */
    double alpha;                               /* rmsprop */
    int centered;
    double beta1, beta2;                        /* adam, adamw (`betas: [b1, b2]`) */
    int amsgrad;
} optim_settings;

typedef struct {
    schedule_kind kind;
    schedule_every every;
    int step_size;                               /* step */
    double gamma;                                /* step, multistep, exponential */
    int milestones[SETTINGS_MAX_MILESTONES];     /* multistep, increasing */
    int n_milestones;
    int T_max;                                   /* cosine */
    double eta_min;
    double start_factor, end_factor;             /* linear */
    int total_iters;
    /* optional linear warm-up before the schedule above, as PyTorch's
     * SequentialLR([LinearLR(warmup_start_factor, 1.0, warmup_iters), main], [warmup_iters]) */
    int warmup_iters;                            /* 0 = none */
    double warmup_start_factor;
} schedule_settings;

typedef struct {
    char sweep[SETTINGS_NAME_LEN]; /* the sweep's `name` */
    char case_name[SETTINGS_NAME_LEN]; /* the case's `name`, "" without cases */
    data_settings data;
    model_settings model;
    train_settings train;
    optim_settings optim;
    schedule_settings schedule;
} run_settings;

#endif
