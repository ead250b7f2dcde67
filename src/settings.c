/* settings.c — the table of every setting: one line per key with its type, field, bounds,
 * default and the optimizers/schedules it applies to (redis's config.c style), plus the
 * conversions between a key's YAML text and its field.  Nothing else knows key names.
 * YAML walking lives in config*.c; expansion in plan*.c. */
#include "settings.h"
#include "settings_value.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "registry.h"

/* ---- enum names (the YAML spelling, indexed by the enum's value) ---------------------------- */
static const char *const dataset_names[] = {"mnist", "fashion_mnist", NULL};
static const char *const activation_names[] = {"leaky_relu", "relu", "tanh", NULL};
static const char *const backend_names[] = {"auto", "cpu", "cuda", NULL};
static const char *const precision_names[] = {"fp32", "tf32", NULL};
static const char *const cpu_kernel_names[] = {"auto", "openblas", "prescott", "haswell",
                                               "skylakex", "cooperlake", NULL};
/* optimizer.name and schedule.name list registry.c's rows (registry_*_names) */
static const char *const every_names[] = {"epoch", "validation", "batch", NULL};
/* an integer key with names for its first values: train.pack auto (0), off (1, alone), N */
static const char *const pack_words[] = {"auto", "off", NULL};
static const char *const monitor_names[] = {"val_loss", "val_acc", NULL};
static const char *const select_names[] = {"val_acc", "val_loss", NULL};
static const char *const mode_names[] = {"min", "max", "triangular", "triangular2", "exp_range", NULL};
static const char *const anneal_names[] = {"cos", "linear", NULL};
static const char *const threshold_mode_names[] = {"rel", "abs", NULL};

/* enums are stored through an int pointer */
_Static_assert(sizeof(optim_kind) == sizeof(int), "enum fields are read as int");
_Static_assert(sizeof(schedule_kind) == sizeof(int), "enum fields are read as int");

typedef enum {
    STORE_INT,      /* int */
    STORE_LONG,     /* long */
    STORE_U64,      /* uint64_t (values 0 .. LLONG_MAX) */
    STORE_DOUBLE,
    STORE_BOOL,     /* int 0/1 */
    STORE_ENUM,     /* int index into names */
    STORE_STRING,   /* char[size] */
    STORE_INT_ARRAY,/* int[size] with its count at off2 */
    STORE_PAIR,     /* two doubles at off and off2 (optimizer.betas) */
} storage;

enum {
    FLAG_INCIDENTAL = 1 << 0,  /* cannot change results: left out of run ids */
    FLAG_INCREASING = 1 << 1,  /* list must be strictly increasing */
    FLAG_GROUP = 1 << 2,       /* bool switched on by a mapping of its sub-keys */
    FLAG_LENIENT = 1 << 3,     /* setting it where it does not apply is harmless, not an error */
    FLAG_STEPPING = 1 << 4,    /* applies only when a schedule or a warm-up steps the lr */
};

typedef struct {
    const char *key;          /* dotted, e.g. "optimizer.lr" */
    setting_type type;
    storage store;
    size_t off, off2, size;   /* field offset; count/second field; string or array capacity */
    double lo, hi;            /* bounds (per element for lists) */
    unsigned char lo_open, hi_open;
    int min_len, max_len;     /* lists */
    const char *const *names; /* enums */
    const char *def;          /* default as YAML text; "" for an empty list */
    unsigned optims;          /* bit per optim_kind it applies to; 0 = every optimizer */
    unsigned schedules;       /* bit per schedule_kind it applies to; 0 = every schedule */
    const char *requires;     /* a bool key that must be true for this one to apply */
    unsigned flags;
    const char *id;           /* run-id abbreviation when it differs from the default */
    const char *const *(*names_fn)(void); /* enums whose names the registry lists */
} setting_def;

#define FIELD(f) offsetof(run_settings, f)
#define FSIZE(f) sizeof(((run_settings *)0)->f)
#define O(k) (1u << (k))
#define PLATEAU O(SCHEDULE_REDUCE_ON_PLATEAU)
#define CYCLIC O(SCHEDULE_CYCLIC)
#define ONE_CYCLE O(SCHEDULE_ONE_CYCLE)
#define SGD O(OPTIM_SGD)
#define ADAGRAD O(OPTIM_ADAGRAD)
#define RMSPROP O(OPTIM_RMSPROP)
#define ADAMS (O(OPTIM_ADAM) | O(OPTIM_ADAMW))
#define BETAS (ADAMS | O(OPTIM_ADAMAX) | O(OPTIM_NADAM) | O(OPTIM_RADAM))
#define ALL 0u
#define ALL_BUT(m) ((O(OPTIM_KIND_COUNT) - 1u) & ~(m))

/* bounds: [lo, hi], with an open end where marked */
#define ANY -HUGE_VAL, HUGE_VAL, 0, 0
#define AT_LEAST(a) (a), HUGE_VAL, 0, 0
#define ABOVE(a) (a), HUGE_VAL, 1, 0
#define CLOSED(a, b) (a), (b), 0, 0
#define HALF_OPEN(a, b) (a), (b), 0, 1 /* [a, b) */
#define OPEN_CLOSED(a, b) (a), (b), 1, 0 /* (a, b] */
#define SEED 0, 9223372036854775807.0, 0, 0
#define BIG 2147483647.0

/* type + storage + field, one macro per kind of field */
#define INT_(f) SETTING_INT, STORE_INT, FIELD(f), 0, 0
#define LONG_(f) SETTING_INT, STORE_LONG, FIELD(f), 0, 0
#define U64_(f) SETTING_INT, STORE_U64, FIELD(f), 0, 0
#define DBL_(f) SETTING_DOUBLE, STORE_DOUBLE, FIELD(f), 0, 0
#define BOOL_(f) SETTING_BOOL, STORE_BOOL, FIELD(f), 0, 0
#define ENUM_(f) SETTING_ENUM, STORE_ENUM, FIELD(f), 0, 0
#define STR_(f) SETTING_STRING, STORE_STRING, FIELD(f), 0, FSIZE(f)
#define INTS_(f, n) SETTING_INT_LIST, STORE_INT_ARRAY, FIELD(f), FIELD(n), \
                    FSIZE(f) / sizeof(int)
#define PAIR_(a, b) SETTING_DOUBLE_LIST, STORE_PAIR, FIELD(a), FIELD(b), 2

/* One line per setting.  Defaults are PyTorch's (torch.optim, torch.optim.lr_scheduler)
 * where PyTorch has them; those that depend on the optimizer or dataset, and the arguments
 * PyTorch requires, are in `dependent_defaults` below. */
/* Rows leave out their trailing columns (run-id abbreviation, names from the registry)
 * where those are empty. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const setting_def table[] = {
/*   key                              type+field                          bounds                len    enum names        default          optimizers       schedules  requires                 flags  run-id  names from */
    {"data.dataset",                  ENUM_(data.dataset),                ANY,                  0, 0,  dataset_names,    "mnist",         ALL,             0, NULL,                      0},
    {"data.dir",                      STR_(data.dir),                     ANY,                  0, 0,  NULL,             "data/mnist",    ALL,             0, NULL,                      FLAG_INCIDENTAL},
    {"data.train_limit",              LONG_(data.train_limit),            CLOSED(0, 60000),     0, 0,  NULL,             "0",             ALL,             0, NULL,                      0},
    {"data.val_from_test",            DBL_(data.val_from_test),           HALF_OPEN(0, 1),      0, 0,  NULL,             "0",             ALL,             0, NULL,                      0},
    {"data.val_from_train",           LONG_(data.val_from_train),         CLOSED(0, 60000),     0, 0,  NULL,             "0",             ALL,             0, NULL,                      0},
    {"data.split_seed",               U64_(data.split_seed),              SEED,                 0, 0,  NULL,             "0",             ALL,             0, NULL,                      0},
    {"data.normalize",                BOOL_(data.normalize),              ANY,                  0, 0,  NULL,             "false",         ALL,             0, NULL,                      0},
    {"data.mean",                     DBL_(data.mean),                    ANY,                  0, 0,  NULL,             "0.1307",        ALL,             0, "data.normalize",          0},
    {"data.std",                      DBL_(data.std),                     ABOVE(0),             0, 0,  NULL,             "0.3081",        ALL,             0, "data.normalize",          0},
    {"model.hidden",                  INTS_(model.hidden, model.n_hidden),CLOSED(1, 1 << 20),   1, SETTINGS_MAX_HIDDEN, NULL, "[128, 128, 128]", ALL,     0, NULL,                      0},
    {"model.activation",              ENUM_(model.activation),            ANY,                  0, 0,  activation_names, "leaky_relu",    ALL,             0, NULL,                      0},
    {"model.init",                    STR_(model.init),                   ANY,                  0, 0,  NULL,             "default",       ALL,             0, NULL,                      0},
    {"train.epochs",                  INT_(train.epochs),                 CLOSED(1, BIG),       0, 0,  NULL,             "10",            ALL,             0, NULL,                      0},
    {"train.batch_size",              INT_(train.batch_size),             CLOSED(1, BIG),       0, 0,  NULL,             "64",            ALL,             0, NULL,                      0},
    {"train.seed",                    U64_(train.seed),                   SEED,                 0, 0,  NULL,             "0",             ALL,             0, NULL,                      0},
    {"train.validation_freq",         INT_(train.validation_freq),        CLOSED(1, BIG),       0, 0,  NULL,             "1",             ALL,             0, NULL,                      0},
    {"train.early_stopping",          BOOL_(train.early_stopping),        ANY,                  0, 0,  NULL,             "false",         ALL,             0, NULL,                      FLAG_GROUP},
    {"train.early_stopping.patience", INT_(train.patience),               CLOSED(1, BIG),       0, 0,  NULL,             "10",            ALL,             0, "train.early_stopping",    0},
    {"train.early_stopping.delta",    DBL_(train.delta),                  AT_LEAST(0),          0, 0,  NULL,             "0",             ALL,             0, "train.early_stopping",    0},
    {"train.backend",                 ENUM_(train.backend),               ANY,                  0, 0,  backend_names,    "auto",          ALL,             0, NULL,                      FLAG_INCIDENTAL},
    {"train.precision",               ENUM_(train.precision),             ANY,                  0, 0,  precision_names,  "fp32",          ALL,             0, NULL,                      0},
    {"train.cpu_kernel",              ENUM_(train.cpu_kernel),            ANY,                  0, 0,  cpu_kernel_names, "auto",          ALL,             0, NULL,                      FLAG_INCIDENTAL},
    {"train.pack",                    INT_(train.pack),                   CLOSED(0, SETTINGS_MAX_PACK), 0, 0, pack_words, "auto",          ALL,             0, NULL,                      FLAG_INCIDENTAL},
    {"train.checkpoint_every",        INT_(train.checkpoint_every),       CLOSED(0, BIG),       0, 0,  NULL,             "0",             ALL,             0, NULL,                      FLAG_INCIDENTAL},
    {"train.keep_best",               BOOL_(train.keep_best),             ANY,                  0, 0,  NULL,             "false",         ALL,             0, NULL,                      FLAG_INCIDENTAL},
    {"optimizer.name",                ENUM_(optim.kind),                  ANY,                  0, 0,  NULL,             "sgd",           ALL,             0, NULL,                      0, NULL, registry_optim_names},
    {"optimizer.lr",                  DBL_(optim.lr),                     ABOVE(0),             0, 0,  NULL,             "0.001",         ALL,             0, NULL,                      0},
    {"optimizer.momentum",            DBL_(optim.momentum),               HALF_OPEN(0, 1),      0, 0,  NULL,             "0",             SGD | RMSPROP,   0, NULL,                      0, "m"},
    {"optimizer.dampening",           DBL_(optim.dampening),              CLOSED(0, 1),         0, 0,  NULL,             "0",             SGD,             0, NULL,                      0, "d"},
    {"optimizer.nesterov",            BOOL_(optim.nesterov),              ANY,                  0, 0,  NULL,             "false",         SGD,             0, NULL,                      0, "nesterov"},
    {"optimizer.weight_decay",        DBL_(optim.weight_decay),           AT_LEAST(0),          0, 0,  NULL,             "0",             ALL_BUT(O(OPTIM_RPROP)), 0, NULL,                      0, "wd"},
    {"optimizer.lr_decay",            DBL_(optim.lr_decay),               AT_LEAST(0),          0, 0,  NULL,             "0",             ADAGRAD,         0, NULL,                      0, "lrd"},
    {"optimizer.initial_accumulator_value", DBL_(optim.initial_accumulator_value), AT_LEAST(0), 0, 0, NULL,            "0",             ADAGRAD,         0, NULL,                      0, "iav"},
    {"optimizer.alpha",               DBL_(optim.alpha),                  CLOSED(0, 1),         0, 0,  NULL,             "0.99",          RMSPROP | O(OPTIM_ASGD), 0, NULL,                      0, "a"},
    {"optimizer.eps",                 DBL_(optim.eps),                    AT_LEAST(0),          0, 0,  NULL,             "1e-08",         ADAGRAD | RMSPROP | BETAS | O(OPTIM_ADADELTA), 0, NULL, 0, "eps"},
    {"optimizer.centered",            BOOL_(optim.centered),              ANY,                  0, 0,  NULL,             "false",         RMSPROP,         0, NULL,                      0, "centered"},
    {"optimizer.betas",               PAIR_(optim.beta1, optim.beta2),    HALF_OPEN(0, 1),      2, 2,  NULL,             "[0.9, 0.999]",  BETAS,           0, NULL,                      0, "b"},
    {"optimizer.amsgrad",             BOOL_(optim.amsgrad),               ANY,                  0, 0,  NULL,             "false",         ADAMS,           0, NULL,                      0, "amsgrad"},
    {"optimizer.rho",                 DBL_(optim.rho),                    CLOSED(0, 1),         0, 0,  NULL,             "0.9",           O(OPTIM_ADADELTA), 0, NULL,                    0, "rho"},
    {"optimizer.momentum_decay",      DBL_(optim.momentum_decay),         AT_LEAST(0),          0, 0,  NULL,             "0.004",         O(OPTIM_NADAM),  0, NULL,                      0, "md"},
    {"optimizer.etas",                PAIR_(optim.etaminus, optim.etaplus), ABOVE(0),           2, 2,  NULL,             "[0.5, 1.2]",    O(OPTIM_RPROP),  0, NULL,                      0, "etas"},
    {"optimizer.step_sizes",          PAIR_(optim.step_size_min, optim.step_size_max), AT_LEAST(0), 2, 2, NULL,          "[1e-06, 50]",   O(OPTIM_RPROP),  0, NULL,                      0, "ss"},
    {"optimizer.lambd",               DBL_(optim.lambd),                  AT_LEAST(0),          0, 0,  NULL,             "0.0001",        O(OPTIM_ASGD),   0, NULL,                      0, "lambd"},
    {"optimizer.t0",                  DBL_(optim.t0),                     AT_LEAST(0),          0, 0,  NULL,             "1000000",       O(OPTIM_ASGD),   0, NULL,                      0, "t0"},
    {"optimizer.evaluate_averaged",   BOOL_(optim.evaluate_averaged),     ANY,                  0, 0,  NULL,             "false",         O(OPTIM_ASGD),   0, NULL,                      0, "avg"},
    {"schedule.name",                 ENUM_(schedule.kind),               ANY,                  0, 0,  NULL,             "none",          ALL,             0, NULL,                      0, NULL, registry_schedule_names},
    {"schedule.step_every",           ENUM_(schedule.every),              ANY,                  0, 0,  every_names,      "epoch",         ALL,             0, NULL,                      FLAG_LENIENT | FLAG_STEPPING},
    {"schedule.step_size",            INT_(schedule.step_size),           CLOSED(1, BIG),       0, 0,  NULL,             "1",             ALL,             O(SCHEDULE_STEP), NULL,       0},
    {"schedule.gamma",                DBL_(schedule.gamma),               ABOVE(0),             0, 0,  NULL,             "0.1",           ALL,             O(SCHEDULE_STEP) | O(SCHEDULE_MULTISTEP) | O(SCHEDULE_EXPONENTIAL) | CYCLIC, NULL, 0},
    {"schedule.milestones",           INTS_(schedule.milestones, schedule.n_milestones), CLOSED(1, BIG), 1, SETTINGS_MAX_MILESTONES, NULL, "[]", ALL, O(SCHEDULE_MULTISTEP), NULL, FLAG_INCREASING},
    {"schedule.T_max",                INT_(schedule.T_max),               CLOSED(1, BIG),       0, 0,  NULL,             "1",             ALL,             O(SCHEDULE_COSINE), NULL,     0},
    {"schedule.eta_min",              DBL_(schedule.eta_min),             AT_LEAST(0),          0, 0,  NULL,             "0",             ALL,             O(SCHEDULE_COSINE) | O(SCHEDULE_COSINE_WARM_RESTARTS), NULL,     0},
    {"schedule.start_factor",         DBL_(schedule.start_factor),        OPEN_CLOSED(0, 1),    0, 0,  NULL,             "0.33333333333333331", ALL,      O(SCHEDULE_LINEAR), NULL,     0},
    {"schedule.end_factor",           DBL_(schedule.end_factor),          CLOSED(0, 1),         0, 0,  NULL,             "1",             ALL,             O(SCHEDULE_LINEAR), NULL,     0},
    {"schedule.total_iters",          INT_(schedule.total_iters),         CLOSED(1, BIG),       0, 0,  NULL,             "5",             ALL,             O(SCHEDULE_LINEAR) | O(SCHEDULE_CONSTANT) | O(SCHEDULE_POLYNOMIAL), NULL,     0},
    {"schedule.factor",               DBL_(schedule.factor),              CLOSED(0, 1),         0, 0,  NULL,             "0.33333333333333331", ALL,      O(SCHEDULE_CONSTANT) | PLATEAU, NULL, 0},
    {"schedule.power",                DBL_(schedule.power),               AT_LEAST(0),          0, 0,  NULL,             "1",             ALL,             O(SCHEDULE_POLYNOMIAL), NULL, 0},
    {"schedule.T_0",                  INT_(schedule.T_0),                 CLOSED(1, BIG),       0, 0,  NULL,             "1",             ALL,             O(SCHEDULE_COSINE_WARM_RESTARTS), NULL, 0},
    {"schedule.T_mult",               INT_(schedule.T_mult),              CLOSED(1, BIG),       0, 0,  NULL,             "1",             ALL,             O(SCHEDULE_COSINE_WARM_RESTARTS), NULL, 0},
    {"schedule.monitor",              ENUM_(schedule.monitor),            ANY,                  0, 0,  monitor_names,    "val_loss",      ALL,             PLATEAU, NULL,                0},
    {"schedule.mode",                 ENUM_(schedule.mode),               ANY,                  0, 0,  mode_names,       "min",           ALL,             PLATEAU | CYCLIC, NULL,       0},
    {"schedule.patience",             INT_(schedule.patience),            CLOSED(0, BIG),       0, 0,  NULL,             "10",            ALL,             PLATEAU, NULL,                0},
    {"schedule.threshold",            DBL_(schedule.threshold),           AT_LEAST(0),          0, 0,  NULL,             "0.0001",        ALL,             PLATEAU, NULL,                0},
    {"schedule.threshold_mode",       ENUM_(schedule.threshold_mode),     ANY,                  0, 0,  threshold_mode_names, "rel",       ALL,             PLATEAU, NULL,                0},
    {"schedule.cooldown",             INT_(schedule.cooldown),            CLOSED(0, BIG),       0, 0,  NULL,             "0",             ALL,             PLATEAU, NULL,                0},
    {"schedule.min_lr",               DBL_(schedule.min_lr),              AT_LEAST(0),          0, 0,  NULL,             "0",             ALL,             PLATEAU, NULL,                0},
    {"schedule.eps",                  DBL_(schedule.eps),                 AT_LEAST(0),          0, 0,  NULL,             "1e-08",         ALL,             PLATEAU, NULL,                0},
    {"schedule.base_lr",              DBL_(schedule.base_lr),             ABOVE(0),             0, 0,  NULL,             "0.001",         ALL,             CYCLIC, NULL,                 0},
    {"schedule.max_lr",               DBL_(schedule.max_lr),              ABOVE(0),             0, 0,  NULL,             "0.01",          ALL,             CYCLIC | ONE_CYCLE, NULL,     0},
    {"schedule.step_size_up",         INT_(schedule.step_size_up),        CLOSED(1, BIG),       0, 0,  NULL,             "2000",          ALL,             CYCLIC, NULL,                 0},
    {"schedule.step_size_down",       INT_(schedule.step_size_down),      CLOSED(0, BIG),       0, 0,  NULL,             "0",             ALL,             CYCLIC, NULL,                 0},
    {"schedule.cycle_momentum",       BOOL_(schedule.cycle_momentum),     ANY,                  0, 0,  NULL,             "true",          ALL,             CYCLIC | ONE_CYCLE, NULL,     0},
    {"schedule.base_momentum",        DBL_(schedule.base_momentum),       OPEN_CLOSED(0, 1),    0, 0,  NULL,             "0.8",           ALL,             CYCLIC | ONE_CYCLE, NULL,     0},
    {"schedule.max_momentum",         DBL_(schedule.max_momentum),        OPEN_CLOSED(0, 1),    0, 0,  NULL,             "0.9",           ALL,             CYCLIC | ONE_CYCLE, NULL,     0},
    {"schedule.total_steps",          INT_(schedule.total_steps),         CLOSED(1, BIG),       0, 0,  NULL,             "1",             ALL,             ONE_CYCLE, NULL,              0},
    {"schedule.pct_start",            DBL_(schedule.pct_start),           CLOSED(0, 1),         0, 0,  NULL,             "0.3",           ALL,             ONE_CYCLE, NULL,              0},
    {"schedule.anneal_strategy",      ENUM_(schedule.anneal_strategy),    ANY,                  0, 0,  anneal_names,     "cos",           ALL,             ONE_CYCLE, NULL,              0},
    {"schedule.div_factor",           DBL_(schedule.div_factor),          ABOVE(0),             0, 0,  NULL,             "25",            ALL,             ONE_CYCLE, NULL,              0},
    {"schedule.final_div_factor",     DBL_(schedule.final_div_factor),    ABOVE(0),             0, 0,  NULL,             "10000",         ALL,             ONE_CYCLE, NULL,              0},
    {"schedule.three_phase",          BOOL_(schedule.three_phase),        ANY,                  0, 0,  NULL,             "false",         ALL,             ONE_CYCLE, NULL,              0},
    {"schedule.warmup",               BOOL_(schedule.warmup),             ANY,                  0, 0,  NULL,             "false",         ALL,             0, NULL,                      FLAG_GROUP},
    {"schedule.warmup.start_factor",  DBL_(schedule.warmup_start_factor), OPEN_CLOSED(0, 1),    0, 0,  NULL,             "0.33333333333333331", ALL,      0, "schedule.warmup",         0},
    {"schedule.warmup.total_iters",   INT_(schedule.warmup_iters),        CLOSED(1, BIG),       0, 0,  NULL,             "5",             ALL,             0, "schedule.warmup",         0},
    {"report.select",                 ENUM_(report.select),               ANY,                  0, 0,  select_names,     "val_acc",       ALL,             0, NULL,                      FLAG_INCIDENTAL},
};
#pragma GCC diagnostic pop
#define N_KEYS ((int)(sizeof table / sizeof table[0]))
_Static_assert(sizeof table / sizeof table[0] <= SETTINGS_MAX_KEYS, "raise SETTINGS_MAX_KEYS");

/* Defaults that depend on another key's value, first match wins.  (Those that depend on the
 * optimizer or the schedule, and the arguments PyTorch requires, are registry.c's rows.) */
static const struct {
    const char *key, *when_key, *when_value, *value;
} dependent_defaults[] = {
    {"data.dir",               "data.dataset",   "fashion_mnist", "data/fashion-mnist"},
};
#define N_DEPENDENT ((int)(sizeof dependent_defaults / sizeof dependent_defaults[0]))

/* ---- small helpers ------------------------------------------------------------------------- */
static void *field(run_settings *s, size_t off) { return (char *)s + off; }
static const void *cfield(const run_settings *s, size_t off) { return (const char *)s + off; }

static void errf(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    if (!err || n == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static int valid_key(int k) { return k >= 0 && k < N_KEYS; }

/* ---- names ----------------------------------------------------------------------------------- */
/* names[v] of a NULL-terminated list, "?" out of range */
static const char *name_of(const char *const *names, int v)
{
    for (int i = 0; names && names[i]; i++)
        if (i == v) return names[i];
    return "?";
}
const char *optim_kind_name(optim_kind k) { return name_of(registry_optim_names(), (int)k); }
const char *schedule_kind_name(schedule_kind k)
{
    return name_of(registry_schedule_names(), (int)k);
}
const char *schedule_every_name(schedule_every e) { return name_of(every_names, (int)e); }
const char *dataset_kind_name(dataset_kind k) { return name_of(dataset_names, (int)k); }
const char *activation_kind_name(activation_kind k) { return name_of(activation_names, (int)k); }
const char *backend_kind_name(backend_kind k) { return name_of(backend_names, (int)k); }
const char *precision_kind_name(precision_kind k) { return name_of(precision_names, (int)k); }

/* an enum key's names: its own list, or the registry's */
static const char *const *enum_names(const setting_def *d)
{
    return d->names_fn ? d->names_fn() : d->names;
}
const char *cpu_kernel_kind_name(cpu_kernel_kind k) { return name_of(cpu_kernel_names, (int)k); }
const char *select_metric_name(select_metric m) { return name_of(select_names, (int)m); }

/* ---- key lookup ----------------------------------------------------------------------------- */
int settings_n_keys(void) { return N_KEYS; }
const char *settings_key_name(int k) { return valid_key(k) ? table[k].key : NULL; }
setting_type settings_key_type(int k) { return valid_key(k) ? table[k].type : SETTING_STRING; }
const char *const *settings_key_enum_names(int k) { return valid_key(k) ? enum_names(&table[k]) : NULL; }
const char *settings_key_id(int k) { return valid_key(k) ? table[k].id : NULL; }
int settings_key_is_incidental(int k) { return valid_key(k) && (table[k].flags & FLAG_INCIDENTAL); }
int settings_key_is_pair(int k) { return valid_key(k) && table[k].store == STORE_PAIR; }
int settings_key_is_group(int k) { return valid_key(k) && (table[k].flags & FLAG_GROUP); }
int settings_key_is_lenient(int k) { return valid_key(k) && (table[k].flags & FLAG_LENIENT); }

int settings_find_key(const char *dotted)
{
    for (int k = 0; k < N_KEYS; k++)
        if (strcmp(table[k].key, dotted) == 0) return k;
    return -1;
}

int settings_is_prefix(const char *prefix)
{
    size_t n = strlen(prefix);
    for (int k = 0; k < N_KEYS; k++)
        if (strncmp(table[k].key, prefix, n) == 0 && table[k].key[n] == '.') return 1;
    return 0;
}

int settings_key_group(int k)
{
    if (!valid_key(k) || !table[k].requires) return -1;
    int g = settings_find_key(table[k].requires);
    return settings_key_is_group(g) ? g : -1;
}

/* ---- applicability -------------------------------------------------------------------------- */
static int get_int_field(const run_settings *s, int k)
{
    int v;
    memcpy(&v, cfield(s, table[k].off), sizeof v);
    return v;
}

int settings_key_applies(int k, const run_settings *s)
{
    if (!valid_key(k)) return 0;
    const setting_def *d = &table[k];
    if (d->optims && !(d->optims & O(s->optim.kind))) return 0;
    if (d->schedules && !(d->schedules & O(s->schedule.kind))) return 0;
    if (d->requires && !get_int_field(s, settings_find_key(d->requires))) return 0;
    /* a schedule's stepping rhythm only matters when something steps */
    if (d->flags & FLAG_STEPPING) return s->schedule.kind != SCHEDULE_NONE || s->schedule.warmup;
    return 1;
}

/* "a, b, c": the names whose bit O(i) is set in mask, NULL-terminated names. */
static void mask_names(unsigned mask, const char *const *names, char *list, size_t n)
{
    list[0] = '\0';
    for (int o = 0; names[o]; o++)
        if (mask & O(o)) {
            if (list[0]) strncat(list, ", ", n - strlen(list) - 1);
            strncat(list, names[o], n - strlen(list) - 1);
        }
}

int settings_key_inapplicable_reason(int k, const run_settings *s, char *buf, size_t n)
{
    const setting_def *d = &table[k];
    if (d->optims && !(d->optims & O(s->optim.kind))) {
        char list[128];
        mask_names(d->optims, registry_optim_names(), list, sizeof list);
        errf(buf, n, "%s does not apply to %s (only to: %s)", d->key,
             optim_kind_name(s->optim.kind), list);
        return 1;
    }
    if (d->schedules && !(d->schedules & O(s->schedule.kind))) {
        char list[128];
        mask_names(d->schedules, registry_schedule_names(), list, sizeof list);
        errf(buf, n, "%s does not apply to schedule %s (only to: %s)", d->key,
             schedule_kind_name(s->schedule.kind), list);
        return 1;
    }
    if (d->requires && !get_int_field(s, settings_find_key(d->requires))) {
        errf(buf, n, "%s only applies when %s is true", d->key, d->requires);
        return 1;
    }
    return 0;
}

/* Which key decides applicability: optimizer.name, schedule.name or the required bool. */
int settings_key_condition(int k, const run_settings *s)
{
    const setting_def *d = &table[k];
    if (d->optims && !(d->optims & O(s->optim.kind))) return settings_find_key("optimizer.name");
    if (d->schedules && !(d->schedules & O(s->schedule.kind)))
        return settings_find_key("schedule.name");
    if (d->requires) return settings_find_key(d->requires);
    return -1;
}

/* ---- text -> value ---------------------------------------------------------------------------- */
void setting_value_init(setting_value *v) { memset(v, 0, sizeof *v); }

void setting_value_free(setting_value *v)
{
    free(v->s);
    v->s = NULL;
}

void setting_value_copy(setting_value *dst, const setting_value *src)
{
    *dst = *src;
    dst->s = src->s ? xstrdup(src->s) : NULL;
}

int setting_value_equal(const setting_value *a, const setting_value *b)
{
    if (a->n != b->n) return 0;
    if ((a->s == NULL) != (b->s == NULL)) return 0;
    if (a->s && strcmp(a->s, b->s) != 0) return 0;
    for (int i = 0; i < a->n && i < SETTINGS_MAX_LIST; i++)
        if (a->i[i] != b->i[i] || a->d[i] != b->d[i]) return 0;
    return 1;
}

/* "at least 0 and less than 1", "greater than 0", "between 0 and 1 inclusive" */
void settings_describe_bounds(int k, char *buf, size_t n)
{
    const setting_def *d = &table[k];
    char lo[32], hi[32];
    int has_lo = isfinite(d->lo), has_hi = isfinite(d->hi) && d->hi < BIG;
    settings_format_double(d->lo, lo, sizeof lo);
    settings_format_double(d->hi, hi, sizeof hi);
    if (d->store == STORE_U64 || (!has_lo && !has_hi)) {
        errf(buf, n, "%s", d->store == STORE_U64 ? "must be between 0 and 2^63-1" : "any number");
    } else if (has_lo && has_hi && !d->lo_open && !d->hi_open) {
        errf(buf, n, "must be between %s and %s inclusive", lo, hi);
    } else if (has_lo && has_hi) {
        errf(buf, n, "must be %s %s and %s %s", d->lo_open ? "greater than" : "at least", lo,
             d->hi_open ? "less than" : "at most", hi);
    } else if (has_lo) {
        errf(buf, n, "must be %s %s", d->lo_open ? "greater than" : "at least", lo);
    } else {
        errf(buf, n, "must be %s %s", d->hi_open ? "less than" : "at most", hi);
    }
}

static int in_bounds(const setting_def *d, double x)
{
    if (d->lo_open ? !(x > d->lo) : !(x >= d->lo)) return 0;
    if (d->hi_open ? !(x < d->hi) : !(x <= d->hi)) return 0;
    return 1;
}

/* strtod over the whole text: any C float syntax ("1e-4", "0x1p-3", ".5"); finite only. */
int settings_parse_double(const char *text, double *out)
{
    if (!text[0] || isspace((unsigned char)text[0])) return -1;
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (*end != '\0' || end == text) return -1;
    if (!isfinite(x)) return -1;
    if (errno == ERANGE && x != 0 && fabs(x) >= 1) return -1; /* overflow (underflow is fine) */
    *out = x;
    return 0;
}

int settings_parse_integer(const char *text, long long *out)
{
    if (!text[0] || isspace((unsigned char)text[0])) return -1;
    char *end;
    errno = 0;
    long long x = strtoll(text, &end, 10);
    if (*end != '\0' || end == text || errno == ERANGE) return -1;
    *out = x;
    return 0;
}

static const char *type_word(const setting_def *d)
{
    switch (d->type) {
    case SETTING_INT: case SETTING_INT_LIST: return "an integer";
    case SETTING_DOUBLE: case SETTING_DOUBLE_LIST: return "a number";
    case SETTING_BOOL: return "true or false";
    case SETTING_ENUM: return "a name";
    case SETTING_STRING: return "a string";
    }
    return "a value";
}

static void join_names(const char *const *names, char *buf, size_t n);

/* One number (scalar or list element) with its bound check. */
static int parse_number(const setting_def *d, const char *text, long long *iv, double *dv,
                        char *err, size_t n)
{
    char rule[128];
    if (d->type == SETTING_INT || d->type == SETTING_INT_LIST) {
        long long x;
        double dx;
        for (int i = 0; d->names && d->names[i]; i++)
            if (strcmp(text, d->names[i]) == 0) { /* train.pack: auto, off */
                *iv = i;
                *dv = i;
                return 0;
            }
        if (settings_parse_integer(text, &x) != 0) {
            if (d->names) {
                char list[128];
                join_names(d->names, list, sizeof list);
                errf(err, n, "%s: expected %s or an integer, found '%s'", d->key, list, text);
                return -1;
            }
            if (settings_parse_double(text, &dx) == 0 && dx == nearbyint(dx))
                errf(err, n, "%s: expected an integer written without exponent or decimal "
                     "point, found '%s'", d->key, text);
            else
                errf(err, n, "%s: expected an integer, found '%s'", d->key, text);
            return -1;
        }
        if (!in_bounds(d, (double)x) || (d->store == STORE_U64 && x < 0)) {
            settings_describe_bounds((int)(d - table), rule, sizeof rule);
            /* the rule leaves out an upper bound of BIG (the int the value is kept in): a
             * value past it is told that bound, not the lower one */
            if (d->store != STORE_U64 && (double)x > d->hi && d->hi >= BIG)
                errf(err, n, "%s must be at most %.0f, found %s", d->key, d->hi, text);
            else
                errf(err, n, "%s %s, found %s", d->key, rule, text);
            return -1;
        }
        *iv = x;
        *dv = (double)x;
        return 0;
    }
    double x;
    if (settings_parse_double(text, &x) != 0) {
        char *end;
        (void)strtod(text, &end);
        if (end != text && *end == '\0')
            errf(err, n, "%s: '%s' is not a finite number a double can hold", d->key, text);
        else
            errf(err, n, "%s: expected a number, found '%s'", d->key, text);
        return -1;
    }
    if (!in_bounds(d, x)) {
        settings_describe_bounds((int)(d - table), rule, sizeof rule);
        errf(err, n, "%s %s, found %s", d->key, rule, text);
        return -1;
    }
    *dv = x;
    *iv = 0;
    return 0;
}

int settings_enum_index(int k, const char *text)
{
    const char *const *names = enum_names(&table[k]);
    for (int i = 0; names && names[i]; i++)
        if (strcmp(names[i], text) == 0) return i;
    return -1;
}

static void join_names(const char *const *names, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; names[i]; i++) {
        if (i) strncat(buf, ", ", n - strlen(buf) - 1);
        strncat(buf, names[i], n - strlen(buf) - 1);
    }
}

int settings_parse_scalar(int k, const char *text, setting_value *v, char *err, size_t n)
{
    const setting_def *d = &table[k];
    setting_value_init(v);
    v->n = 1;
    switch (d->type) {
    case SETTING_INT:
    case SETTING_DOUBLE:
        return parse_number(d, text, &v->i[0], &v->d[0], err, n);
    case SETTING_BOOL:
        if (strcmp(text, "true") == 0) v->i[0] = 1;
        else if (strcmp(text, "false") == 0) v->i[0] = 0;
        else {
            errf(err, n, "%s: expected true or false, found '%s'", d->key, text);
            return -1;
        }
        return 0;
    case SETTING_ENUM: {
        int i = settings_enum_index(k, text);
        if (i < 0) {
            char list[256], hint[160] = "";
            join_names(enum_names(d), list, sizeof list);
            const char *best = settings_suggest(text, enum_names(d));
            if (best) snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
            errf(err, n, "%s must be one of: %s; found '%s'%s", d->key, list, text, hint);
            return -1;
        }
        v->i[0] = i;
        return 0;
    }
    case SETTING_STRING:
        if (!text[0]) {
            errf(err, n, "%s: expected a non-empty string", d->key);
            return -1;
        }
        if (strlen(text) >= d->size) {
            errf(err, n, "%s: longer than %zu characters", d->key, d->size - 1);
            return -1;
        }
        v->s = xstrdup(text);
        return 0;
    case SETTING_INT_LIST:
    case SETTING_DOUBLE_LIST:
        errf(err, n, "%s: expected a list like %s, found '%s'", d->key, d->def[1] == ']' ?
             "[10, 20]" : d->def, text);
        return -1;
    }
    return -1;
}

int settings_parse_element(int k, const char *text, setting_value *v, char *err, size_t n)
{
    const setting_def *d = &table[k];
    if (d->type != SETTING_INT_LIST && d->type != SETTING_DOUBLE_LIST) {
        errf(err, n, "%s: expected %s, found a list", d->key, type_word(d));
        return -1;
    }
    if (v->n >= d->max_len) {
        errf(err, n, "%s: at most %d values", d->key, d->max_len);
        return -1;
    }
    if (parse_number(d, text, &v->i[v->n], &v->d[v->n], err, n) != 0) return -1;
    v->n++;
    return 0;
}

int settings_check_list(int k, const setting_value *v, char *err, size_t n)
{
    const setting_def *d = &table[k];
    if (d->min_len == d->max_len && v->n != d->min_len) {
        errf(err, n, "%s: expected exactly %d values, found %d", d->key, d->min_len, v->n);
        return -1;
    }
    if (v->n < d->min_len) {
        errf(err, n, "%s: expected at least %d value%s, found %d", d->key, d->min_len,
             d->min_len == 1 ? "" : "s", v->n);
        return -1;
    }
    if (d->flags & FLAG_INCREASING)
        for (int i = 1; i < v->n; i++)
            if (v->i[i] <= v->i[i - 1]) {
                errf(err, n, "%s must be strictly increasing, found %lld after %lld", d->key,
                     v->i[i], v->i[i - 1]);
                return -1;
            }
    return 0;
}

/* Parses a default text (a scalar or a flow list "[a, b]") from the table. */
static void parse_default(int k, const char *text, setting_value *v)
{
    char err[256];
    if (table[k].type == SETTING_INT_LIST || table[k].type == SETTING_DOUBLE_LIST) {
        setting_value_init(v);
        const char *p = text + 1; /* after '[' */
        while (*p && *p != ']') {
            char item[64];
            size_t len = strcspn(p, ",]");
            if (len >= sizeof item) len = sizeof item - 1;
            memcpy(item, p, len);
            item[len] = '\0';
            char *t = item;
            while (*t == ' ') t++;
            if (*t) (void)settings_parse_element(k, t, v, err, sizeof err);
            p += strcspn(p, ",]");
            if (*p == ',') p++;
        }
        return;
    }
    if (settings_parse_scalar(k, text, v, err, sizeof err) != 0) {
        /* a bug in the table above, caught by the unit tests */
        fprintf(stderr, "optsweep: internal error: bad default for %s: %s\n", table[k].key, err);
        abort();
    }
}

/* ---- value -> field --------------------------------------------------------------------------- */
void settings_apply_value(run_settings *s, int k, const setting_value *v)
{
    const setting_def *d = &table[k];
    void *p = field(s, d->off);
    switch (d->store) {
    case STORE_INT: case STORE_BOOL: case STORE_ENUM: {
        int x = (int)v->i[0];
        memcpy(p, &x, sizeof x);
        break;
    }
    case STORE_LONG: {
        long x = (long)v->i[0];
        memcpy(p, &x, sizeof x);
        break;
    }
    case STORE_U64: {
        uint64_t x = (uint64_t)v->i[0];
        memcpy(p, &x, sizeof x);
        break;
    }
    case STORE_DOUBLE:
        memcpy(p, &v->d[0], sizeof(double));
        break;
    case STORE_STRING:
        check_copy_string(p, d->size, v->s ? v->s : "");
        break;
    case STORE_INT_ARRAY: {
        int *a = p, count = v->n < (int)d->size ? v->n : (int)d->size;
        for (int i = 0; i < count; i++) a[i] = (int)v->i[i];
        for (int i = count; i < (int)d->size; i++) a[i] = 0;
        memcpy(field(s, d->off2), &count, sizeof count);
        break;
    }
    case STORE_PAIR:
        memcpy(p, &v->d[0], sizeof(double));
        memcpy(field(s, d->off2), &v->d[1], sizeof(double));
        break;
    }
    /* setting a sub-key (train.early_stopping.patience) switches its group on */
    int g = settings_key_group(k);
    if (g >= 0) {
        int on = 1;
        memcpy(field(s, table[g].off), &on, sizeof on);
    }
}

void settings_set_defaults(run_settings *s)
{
    memset(s, 0, sizeof *s);
    for (int k = 0; k < N_KEYS; k++) {
        setting_value v;
        parse_default(k, table[k].def, &v);
        if (table[k].requires) {
            /* don't let a sub-key's default switch its group on */
            int g = settings_find_key(table[k].requires);
            int keep = get_int_field(s, g);
            settings_apply_value(s, k, &v);
            memcpy(field(s, table[g].off), &keep, sizeof keep);
        } else {
            settings_apply_value(s, k, &v);
        }
        setting_value_free(&v);
    }
    settings_normalize(s);
}

void settings_normalize(run_settings *s)
{
    /* the engine reads warmup_iters only: 0 means no warm-up */
    if (!s->schedule.warmup) s->schedule.warmup_iters = 0;
}

/* The registry rows of the run's optimizer and schedule, as one list of pairs each. */
static const registry_pair *row_pairs(const run_settings *s, int schedule, int required)
{
    if (schedule) {
        const schedule_info *r = registry_schedule(s->schedule.kind);
        return r ? (required ? r->required : r->defaults) : NULL;
    }
    const optim_info *r = registry_optim(s->optim.kind);
    return r ? (required ? r->required : r->defaults) : NULL;
}

int settings_resolve_defaults(run_settings *s, const unsigned char *is_set, int *missing)
{
    int n_missing = 0;
    for (int i = 0; i < N_DEPENDENT; i++) {
        int k = settings_find_key(dependent_defaults[i].key);
        if (is_set[k]) continue;
        int w = settings_find_key(dependent_defaults[i].when_key);
        if (get_int_field(s, w) != settings_enum_index(w, dependent_defaults[i].when_value))
            continue;
        /* first match wins: skip later rows for the same key */
        int seen = 0;
        for (int j = 0; j < i; j++) {
            if (strcmp(dependent_defaults[j].key, dependent_defaults[i].key) != 0) continue;
            int wj = settings_find_key(dependent_defaults[j].when_key);
            if (get_int_field(s, wj) == settings_enum_index(wj, dependent_defaults[j].when_value))
                seen = 1;
        }
        if (seen) continue;
        if (!dependent_defaults[i].value) {
            if (settings_key_applies(k, s)) missing[n_missing++] = k;
            continue;
        }
        setting_value v;
        parse_default(k, dependent_defaults[i].value, &v);
        settings_apply_value(s, k, &v);
        setting_value_free(&v);
    }
    /* the optimizer's and the schedule's own defaults, and the arguments they require */
    for (int sched = 0; sched < 2; sched++) {
        const registry_pair *def = row_pairs(s, sched, 0), *req = row_pairs(s, sched, 1);
        for (int i = 0; def && i < REGISTRY_MAX_DEFAULTS && def[i].key; i++) {
            int k = settings_find_key(def[i].key);
            if (k < 0 || is_set[k]) continue;
            setting_value v;
            parse_default(k, def[i].value, &v);
            settings_apply_value(s, k, &v);
            setting_value_free(&v);
        }
        for (int i = 0; req && i < REGISTRY_MAX_REQUIRED && req[i].key; i++) {
            int k = settings_find_key(req[i].key);
            if (k >= 0 && !is_set[k] && settings_key_applies(k, s)) missing[n_missing++] = k;
        }
    }
    /* sub-keys of a group switched on without them take their defaults (warmup: {} -> 5) */
    for (int k = 0; k < N_KEYS; k++) {
        int g = settings_key_group(k);
        if (g < 0 || is_set[k] || !get_int_field(s, g)) continue;
        setting_value v;
        parse_default(k, table[k].def, &v);
        settings_apply_value(s, k, &v);
        setting_value_free(&v);
    }
    settings_normalize(s);
    return n_missing;
}

const char *settings_required_reason(int k, const run_settings *s)
{
    for (int sched = 0; sched < 2; sched++) {
        const registry_pair *p = row_pairs(s, sched, 1);
        for (int i = 0; p && i < REGISTRY_MAX_REQUIRED && p[i].key; i++)
            if (valid_key(k) && strcmp(p[i].key, table[k].key) == 0) return p[i].value;
    }
    return "it has no default";
}

/* ---- field -> text ------------------------------------------------------------------------------ */
void settings_format_double(double x, char *buf, size_t n)
{
    /* the shortest of %.15g .. %.17g that reads back as the same double */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
}

void settings_format(const run_settings *s, int k, char *buf, size_t n)
{
    if (!valid_key(k) || n == 0) {
        if (n) buf[0] = '\0';
        return;
    }
    const setting_def *d = &table[k];
    const void *p = cfield(s, d->off);
    switch (d->store) {
    case STORE_INT: {
        int x;
        memcpy(&x, p, sizeof x);
        if (d->names && x >= 0 && x < 2 && d->names[x]) /* train.pack's words */
            snprintf(buf, n, "%s", d->names[x]);
        else
            snprintf(buf, n, "%d", x);
        break;
    }
    case STORE_LONG: {
        long x;
        memcpy(&x, p, sizeof x);
        snprintf(buf, n, "%ld", x);
        break;
    }
    case STORE_U64: {
        uint64_t x;
        memcpy(&x, p, sizeof x);
        snprintf(buf, n, "%llu", (unsigned long long)x);
        break;
    }
    case STORE_DOUBLE: {
        double x;
        memcpy(&x, p, sizeof x);
        settings_format_double(x, buf, n);
        break;
    }
    case STORE_BOOL:
        snprintf(buf, n, "%s", get_int_field(s, k) ? "true" : "false");
        break;
    case STORE_ENUM:
        snprintf(buf, n, "%s", name_of(enum_names(d), get_int_field(s, k)));
        break;
    case STORE_STRING:
        snprintf(buf, n, "%s", (const char *)p);
        break;
    case STORE_INT_ARRAY: {
        int count;
        memcpy(&count, cfield(s, d->off2), sizeof count);
        const int *a = p;
        size_t used = (size_t)snprintf(buf, n, "[");
        for (int i = 0; i < count && used < n; i++)
            used += (size_t)snprintf(buf + used, n - used, "%s%d", i ? ", " : "", a[i]);
        if (used < n) snprintf(buf + used, n - used, "]");
        break;
    }
    case STORE_PAIR: {
        double a, b;
        char ta[32], tb[32];
        memcpy(&a, p, sizeof a);
        memcpy(&b, cfield(s, d->off2), sizeof b);
        settings_format_double(a, ta, sizeof ta);
        settings_format_double(b, tb, sizeof tb);
        snprintf(buf, n, "[%s, %s]", ta, tb);
        break;
    }
    }
}

/* Canonical text of one value for run ids: numbers with %.17g, so equal text means equal bits. */
void settings_format_canonical(const run_settings *s, int k, char *buf, size_t n)
{
    const setting_def *d = &table[k];
    if (d->store == STORE_DOUBLE) {
        double x;
        memcpy(&x, cfield(s, d->off), sizeof x);
        snprintf(buf, n, "%.17g", x);
    } else if (d->store == STORE_PAIR) {
        double a, b;
        memcpy(&a, cfield(s, d->off), sizeof a);
        memcpy(&b, cfield(s, d->off2), sizeof b);
        snprintf(buf, n, "[%.17g, %.17g]", a, b);
    } else {
        settings_format(s, k, buf, n);
    }
}

double settings_get_number(const run_settings *s, int k)
{
    if (!valid_key(k)) return NAN;
    const setting_def *d = &table[k];
    const void *p = cfield(s, d->off);
    switch (d->store) {
    case STORE_INT: case STORE_BOOL: case STORE_ENUM:
        return (double)get_int_field(s, k);
    case STORE_LONG: {
        long x;
        memcpy(&x, p, sizeof x);
        return (double)x;
    }
    case STORE_U64: {
        uint64_t x;
        memcpy(&x, p, sizeof x);
        return (double)x;
    }
    case STORE_DOUBLE: case STORE_PAIR: {
        double x;
        memcpy(&x, p, sizeof x);
        return x;
    }
    case STORE_INT_ARRAY: {
        int count;
        memcpy(&count, cfield(s, d->off2), sizeof count);
        return count > 0 ? (double)((const int *)p)[0] : NAN;
    }
    case STORE_STRING:
        return NAN;
    }
    return NAN;
}

int settings_get_list(const run_settings *s, int k, double *out, int max)
{
    if (!valid_key(k)) return 0;
    const setting_def *d = &table[k];
    if (d->store == STORE_PAIR) {
        if (max < 2) return 0;
        memcpy(&out[0], cfield(s, d->off), sizeof(double));
        memcpy(&out[1], cfield(s, d->off2), sizeof(double));
        return 2;
    }
    if (d->store != STORE_INT_ARRAY) return 0;
    int count;
    memcpy(&count, cfield(s, d->off2), sizeof count);
    const int *a = cfield(s, d->off);
    for (int i = 0; i < count && i < max; i++) out[i] = (double)a[i];
    return count < max ? count : max;
}

/* ---- did you mean ------------------------------------------------------------------------------- */
/* Damerau-Levenshtein (optimal string alignment) distance, bounded lengths. */
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63 || lb > 63) return 99;
    int dp[64][64];
    for (int i = 0; i <= la; i++) dp[i][0] = i;
    for (int j = 0; j <= lb; j++) dp[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = dp[i - 1][j] + 1;
            if (dp[i][j - 1] + 1 < best) best = dp[i][j - 1] + 1;
            if (dp[i - 1][j - 1] + cost < best) best = dp[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                dp[i - 2][j - 2] + 1 < best)
                best = dp[i - 2][j - 2] + 1;
            dp[i][j] = best;
        }
    return dp[la][lb];
}

/* Close enough to be a typo: at most 2 edits (1 for very short words), under a third of the
 * length for long ones. */
static int is_close(const char *typed, const char *cand, int d)
{
    int len = (int)strlen(typed), lc = (int)strlen(cand);
    int longer = len > lc ? len : lc;
    int limit = longer <= 3 ? 1 : longer <= 10 ? 2 : longer / 4;
    return d <= limit && d < longer;
}

const char *settings_suggest(const char *typed, const char *const *candidates)
{
    const char *best = NULL;
    int best_d = 1000;
    for (int i = 0; candidates && candidates[i]; i++) {
        int d = edit_distance(typed, candidates[i]);
        if (d < best_d && is_close(typed, candidates[i], d)) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

/* Suggests a key for `typed` under `prefix` ("optimizer", "" for the top level):
 * a close sibling ("momentun" -> "momentum"), or the same word under another section
 * ("epochs" in optimizer -> "train.epochs").  Returns 1 and fills buf, or 0. */
int settings_suggest_key(const char *prefix, const char *typed, char *buf, size_t n)
{
    size_t pl = strlen(prefix);
    const char *best = NULL;
    int best_d = 1000;
    char child[128];
    /* siblings: the next component of every key under prefix */
    for (int k = 0; k < N_KEYS; k++) {
        const char *key = table[k].key;
        if (pl && (strncmp(key, prefix, pl) != 0 || key[pl] != '.')) continue;
        const char *rest = pl ? key + pl + 1 : key;
        size_t len = strcspn(rest, ".");
        if (len >= sizeof child) continue;
        memcpy(child, rest, len);
        child[len] = '\0';
        int d = edit_distance(typed, child);
        if (d < best_d && is_close(typed, child, d)) {
            best_d = d;
            best = rest;
            snprintf(buf, n, "%.*s", (int)len, rest);
        }
    }
    if (best) return 1;
    /* the same leaf under another section */
    for (int k = 0; k < N_KEYS; k++) {
        const char *leaf = strrchr(table[k].key, '.');
        if (leaf && strcmp(leaf + 1, typed) == 0) {
            snprintf(buf, n, "%s", table[k].key);
            return 1;
        }
    }
    /* the whole dotted text typed as a key ("optimizer.lrr" at the top level or in --set) */
    if (!strchr(typed, '.')) return 0;
    for (int k = 0; k < N_KEYS; k++) {
        char full[256];
        snprintf(full, sizeof full, "%s%s%s", prefix, pl ? "." : "", typed);
        int d = edit_distance(full, table[k].key);
        if (d < best_d && is_close(full, table[k].key, d)) {
            best_d = d;
            snprintf(buf, n, "%s", pl && strncmp(table[k].key, prefix, pl) == 0 ?
                     table[k].key + pl + 1 : table[k].key);
            best = table[k].key;
        }
    }
    return best != NULL;
}
