/* settings.h — the fully resolved settings of one training run.
 * A plain, fixed-size struct (copyable with `=`): config fills the base, plan copies it per run
 * and applies grid values and case overrides, the engine only reads it.  The table of keys
 * (names, types, bounds, defaults) lives in settings.c; nothing else knows key names. */
#ifndef OPTSWEEP_SETTINGS_H
#define OPTSWEEP_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus /* included by the CUDA backend's .cu files */
extern "C" {
#endif

#define SETTINGS_MAX_HIDDEN 16      /* hidden layers of the MLP */
#define SETTINGS_MAX_MILESTONES 32  /* multistep milestones */
#define SETTINGS_PATH_LEN 1024
#define SETTINGS_NAME_LEN 128

typedef enum { DATASET_MNIST, DATASET_FASHION_MNIST } dataset_kind;
typedef enum { ACTIVATION_LEAKY_RELU, ACTIVATION_RELU, ACTIVATION_TANH } activation_kind;
typedef enum { BACKEND_AUTO, BACKEND_CPU, BACKEND_CUDA } backend_kind;
typedef enum { PRECISION_FP32, PRECISION_TF32 } precision_kind;
/* OpenBLAS's kernel for the CPU backend (cpu_kernel.h): auto, OpenBLAS's own pick, or one of
 * the tested kernels, worst to best */
typedef enum {
    CPU_KERNEL_AUTO, CPU_KERNEL_OPENBLAS, CPU_KERNEL_PRESCOTT, CPU_KERNEL_HASWELL,
    CPU_KERNEL_SKYLAKEX, CPU_KERNEL_COOPERLAKE
} cpu_kernel_kind;

typedef enum {
    OPTIM_SGD,
    OPTIM_ADAGRAD,
    OPTIM_RMSPROP,
    OPTIM_ADAM,
    OPTIM_ADAMW,
    OPTIM_ADADELTA,
    OPTIM_ADAMAX,
    OPTIM_NADAM,
    OPTIM_RADAM,
    OPTIM_RPROP,
    OPTIM_ASGD,
    OPTIM_KIND_COUNT /* not a kind: the number of rows in registry.c */
} optim_kind;

typedef enum {
    SCHEDULE_NONE,
    SCHEDULE_STEP,        /* torch.optim.lr_scheduler.StepLR */
    SCHEDULE_MULTISTEP,   /* MultiStepLR */
    SCHEDULE_EXPONENTIAL, /* ExponentialLR */
    SCHEDULE_COSINE,      /* CosineAnnealingLR */
    SCHEDULE_LINEAR,      /* LinearLR (linear warm-up) */
    SCHEDULE_CONSTANT,    /* ConstantLR */
    SCHEDULE_POLYNOMIAL,  /* PolynomialLR */
    SCHEDULE_COSINE_WARM_RESTARTS, /* CosineAnnealingWarmRestarts */
    SCHEDULE_REDUCE_ON_PLATEAU,    /* ReduceLROnPlateau (on validation loss or accuracy) */
    SCHEDULE_CYCLIC,      /* CyclicLR (per batch) */
    SCHEDULE_ONE_CYCLE,   /* OneCycleLR (per batch) */
    SCHEDULE_KIND_COUNT   /* not a kind: the number of rows in registry.c */
} schedule_kind;

typedef enum { SCHEDULE_EVERY_EPOCH, SCHEDULE_EVERY_VALIDATION, SCHEDULE_EVERY_BATCH } schedule_every;
/* schedule.mode: ReduceLROnPlateau's min | max, CyclicLR's triangular | triangular2 | exp_range */
typedef enum { PLATEAU_MIN, PLATEAU_MAX, CYCLIC_TRIANGULAR, CYCLIC_TRIANGULAR2, CYCLIC_EXP_RANGE } plateau_mode;
typedef enum { ANNEAL_COS, ANNEAL_LINEAR } anneal_strategy;    /* OneCycleLR anneal_strategy */
typedef enum { THRESHOLD_REL, THRESHOLD_ABS } threshold_mode;    /* its threshold_mode */
typedef enum { MONITOR_VAL_LOSS, MONITOR_VAL_ACC } plateau_monitor; /* the metric it steps on */
/* report.select: what `optsweep report` ranks runs and chooses each case's setting on */
typedef enum { SELECT_VAL_ACC, SELECT_VAL_LOSS } select_metric;

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
    int validation_freq;        /* validate after epochs 1, 1 + freq, 1 + 2 freq, ...: the
                                   notebook's epoch % freq == 0 with its epochs from 0 */
    int early_stopping;         /* 1 when train.early_stopping is set */
    int patience;
    double delta;
    backend_kind backend;
    precision_kind precision;
    cpu_kernel_kind cpu_kernel; /* one per process: the runs a process trains must agree */
    int pack;                   /* 0 auto, 1 off (alone), N: at most N runs trained together */
    int checkpoint_every;       /* epochs between checkpoints; 0 = every 60 s of training */
    int keep_best;              /* also store the weights of the best validation (best_epoch);
                                   what is stored, not how it trains: incidental */
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
    double beta1, beta2;                        /* adam(w), adamax, nadam, radam (`betas`) */
    int amsgrad;
    double rho;                                 /* adadelta */
    double momentum_decay;                      /* nadam */
    double etaminus, etaplus;                   /* rprop (`etas: [minus, plus]`) */
    double step_size_min, step_size_max;        /* rprop (`step_sizes: [min, max]`) */
    double lambd, t0;                           /* asgd (and alpha, weight_decay) */
    int evaluate_averaged;                      /* asgd: validate and test with the average */
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
    int total_iters;                             /* linear, constant, polynomial */
    double factor;                               /* constant, reduce_on_plateau */
    double power;                                /* polynomial */
    int T_0, T_mult;                             /* cosine_warm_restarts (and eta_min) */
    plateau_monitor monitor;                     /* reduce_on_plateau: */
    plateau_mode mode;
    int patience, cooldown;
    double threshold;
    threshold_mode threshold_mode;
    double min_lr, eps;
    double base_lr, max_lr;                      /* cyclic (base_lr), cyclic and one_cycle */
    int step_size_up, step_size_down;            /* cyclic; step_size_down 0: = step_size_up */
    int cycle_momentum;                          /* cyclic, one_cycle: momentum or beta1 */
    double base_momentum, max_momentum;
    int total_steps;                             /* one_cycle: */
    double pct_start, div_factor, final_div_factor;
    anneal_strategy anneal_strategy;
    int three_phase;
    /* optional linear warm-up before the schedule above, as PyTorch's
     * SequentialLR([LinearLR(warmup_start_factor, 1.0, warmup_iters), main], [warmup_iters]) */
    int warmup;                                  /* 1 when schedule.warmup is set */
    int warmup_iters;                            /* 0 = none (always 0 when !warmup) */
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
    struct {
        select_metric select;  /* how the report chooses, never how a run trains: incidental;
                                  one per sweep (a case cannot set it) */
    } report;
} run_settings;

/* ---- the key table (settings.c) ------------------------------------------------------------
 * Every setting has a dotted key ("optimizer.lr"), a type, bounds, a default (PyTorch's where
 * PyTorch has one) and the optimizers/schedules it applies to.  Keys are numbered 0 ..
 * settings_n_keys()-1 in a fixed order (the table's); iterate them to write attributes. */

typedef enum {
    SETTING_INT,         /* int, long or (non-negative) 64-bit seed */
    SETTING_DOUBLE,
    SETTING_BOOL,        /* true | false */
    SETTING_STRING,
    SETTING_ENUM,        /* one of a fixed list of names */
    SETTING_INT_LIST,    /* model.hidden, schedule.milestones */
    SETTING_DOUBLE_LIST, /* optimizer.betas */
} setting_type;

#define SETTINGS_MAX_PACK 4096 /* train.pack */
#define SETTINGS_MAX_LIST 32 /* >= SETTINGS_MAX_HIDDEN, SETTINGS_MAX_MILESTONES */

/* Fills every field with its default: sgd (lr 0.001, PyTorch >= 2.2's default; a sweep file
 * must still give lr for sgd, as PyTorch 1.x requires), no schedule, mnist in data/mnist,
 * hidden [128, 128, 128], 10 epochs, batch_size 64.  See the table in settings.c. */
void settings_set_defaults(run_settings *s);

int settings_n_keys(void);
const char *settings_key_name(int k);     /* "optimizer.lr" */
setting_type settings_key_type(int k);
int settings_find_key(const char *dotted); /* the key's number, or -1 */
/* 1 when key k means something for this run (0: momentum under adam, step_size without a
 * step schedule, data.mean without normalize, ...). */
int settings_key_applies(int k, const run_settings *s);
/* 1 for keys that cannot change a run's results (data.dir, train.backend,
 * train.checkpoint_every): left out of the run id. */
int settings_key_is_incidental(int k);
/* The value as YAML-ready text: "0.0001", "sgd", "true", "[128, 128, 128]", "data/mnist".
 * Doubles use the shortest text that reads back to the same double. */
void settings_format(const run_settings *s, int k, char *buf, size_t n);
/* int/double value, bool as 0/1, enum as its index; first element of a list; NAN for
 * strings. */
double settings_get_number(const run_settings *s, int k);
/* The values of a list key (a pair, an int list) as doubles: their count (<= max), 0 for
 * other types. */
int settings_get_list(const run_settings *s, int k, double *out, int max);
/* Names of an enum key's values (NULL-terminated), NULL for other types. */
const char *const *settings_key_enum_names(int k);
/* The key's abbreviation in run ids ("m" for optimizer.momentum), NULL for keys that never
 * appear there. */
const char *settings_key_id(int k);
/* The run's resolved YAML (applicable keys only, sections in table order): valid input to
 * config_load, and the same run when loaded. */
void settings_write_yaml(const run_settings *s, FILE *f);
/* 1 when two texts of settings_write_yaml describe runs with the same results: equal but for
 * the lines of incidental keys (data.dir, train.backend, train.pack, ...), which say how a
 * run was trained, not what it gives.  A checkpoint written under train.pack: off resumes
 * under auto. */
int settings_yaml_same_results(const char *a, const char *b);

const char *optim_kind_name(optim_kind k);        /* "sgd", "adagrad", ... */
const char *schedule_kind_name(schedule_kind k);  /* "none", "step", ... */
const char *schedule_every_name(schedule_every e);/* "epoch" | "validation" */
const char *dataset_kind_name(dataset_kind k);    /* "mnist" | "fashion_mnist" */
const char *activation_kind_name(activation_kind k);
const char *backend_kind_name(backend_kind k);    /* "auto" | "cpu" | "cuda" */
const char *precision_kind_name(precision_kind k);/* "fp32" | "tf32" */
const char *cpu_kernel_kind_name(cpu_kernel_kind k);/* "auto" | "openblas" | "skylakex" ... */
const char *select_metric_name(select_metric m);  /* "val_acc" | "val_loss" */

#ifdef __cplusplus
}
#endif

#endif
