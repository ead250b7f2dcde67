/* registry.c — the optimizer and schedule tables (registry.h), one row each, indexed by
 * their enums.  PyTorch 1.13's classes and the defaults they take where optsweep's shared
 * settings row says otherwise; the state buffers in the order optim.h's rules use them. */
#include "registry.h"

#include <pthread.h>
#include <stddef.h>

/* Rows leave out the trailing `averaged` where they have none. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
/* reference: https://pytorch.org/docs/1.13/optim.html#algorithms */
static const optim_info optims[] = {
    [OPTIM_SGD] = {"sgd", "torch.optim.SGD", "sgd",
                   {{"momentum_buffer", "optimizer.momentum"}},
                   {{"optimizer.lr", "PyTorch's SGD has no default lr"}},
                   {{NULL, NULL}}},
    [OPTIM_ADAGRAD] = {"adagrad", "torch.optim.Adagrad", "adagrad",
                       {{"sum", NULL}},
                       {{NULL, NULL}},
                       {{"optimizer.lr", "0.01"}, {"optimizer.eps", "1e-10"}}},
    [OPTIM_RMSPROP] = {"rmsprop", "torch.optim.RMSprop", "rmsprop",
                       {{"square_avg", NULL}, {"momentum_buffer", "optimizer.momentum"},
                        {"grad_avg", "optimizer.centered"}},
                       {{NULL, NULL}},
                       {{"optimizer.lr", "0.01"}}},
    [OPTIM_ADAM] = {"adam", "torch.optim.Adam", "adam",
                    {{"exp_avg", NULL}, {"exp_avg_sq", NULL},
                     {"max_exp_avg_sq", "optimizer.amsgrad"}},
                    {{NULL, NULL}},
                    {{"optimizer.lr", "0.001"}}},
    [OPTIM_ADAMW] = {"adamw", "torch.optim.AdamW", "adamw",
                     {{"exp_avg", NULL}, {"exp_avg_sq", NULL},
                      {"max_exp_avg_sq", "optimizer.amsgrad"}},
                     {{NULL, NULL}},
                     {{"optimizer.lr", "0.001"}, {"optimizer.weight_decay", "0.01"}}},
    [OPTIM_ADADELTA] = {"adadelta", "torch.optim.Adadelta", "adadelta",
                        {{"square_avg", NULL}, {"acc_delta", NULL}},
                        {{NULL, NULL}},
                        {{"optimizer.lr", "1.0"}, {"optimizer.eps", "1e-06"}}},
    [OPTIM_ADAMAX] = {"adamax", "torch.optim.Adamax", "adamax",
                      {{"exp_avg", NULL}, {"exp_inf", NULL}},
                      {{NULL, NULL}},
                      {{"optimizer.lr", "0.002"}}},
    [OPTIM_NADAM] = {"nadam", "torch.optim.NAdam", "nadam",
                     {{"exp_avg", NULL}, {"exp_avg_sq", NULL}},
                     {{NULL, NULL}},
                     {{"optimizer.lr", "0.002"}}},
    [OPTIM_RADAM] = {"radam", "torch.optim.RAdam", "radam",
                     {{"exp_avg", NULL}, {"exp_avg_sq", NULL}},
                     {{NULL, NULL}},
                     {{"optimizer.lr", "0.001"}}},
    [OPTIM_RPROP] = {"rprop", "torch.optim.Rprop", "rprop",
                     {{"prev", NULL}, {"step_size", NULL}},
                     {{NULL, NULL}},
                     {{"optimizer.lr", "0.01"}}},
    [OPTIM_ASGD] = {"asgd", "torch.optim.ASGD", "asgd",
                    {{"ax", NULL}},
                    {{NULL, NULL}},
                    {{"optimizer.lr", "0.01"}, {"optimizer.alpha", "0.75"}},
                    "ax"},
};

#pragma GCC diagnostic pop

/* reference: https://pytorch.org/docs/1.13/optim.html#how-to-adjust-learning-rate */
static const schedule_info schedules[] = {
    [SCHEDULE_NONE] = {"none", "constant", NULL, {{NULL, NULL}}, {{NULL, NULL}}},
    [SCHEDULE_STEP] = {"step", "StepLR", "step",
                       {{"schedule.step_size", "StepLR has no default step_size"}},
                       {{NULL, NULL}}},
    [SCHEDULE_MULTISTEP] = {"multistep", "MultiStepLR", "multistep",
                            {{"schedule.milestones", "MultiStepLR has no default milestones"}},
                            {{NULL, NULL}}},
    [SCHEDULE_EXPONENTIAL] = {"exponential", "ExponentialLR", "exp",
                              {{"schedule.gamma", "ExponentialLR has no default gamma"}},
                              {{NULL, NULL}}},
    [SCHEDULE_COSINE] = {"cosine", "CosineAnnealingLR", "cos",
                         {{"schedule.T_max", "CosineAnnealingLR has no default T_max"}},
                         {{NULL, NULL}}},
    [SCHEDULE_LINEAR] = {"linear", "LinearLR", "linear", {{NULL, NULL}}, {{NULL, NULL}}},
    [SCHEDULE_CONSTANT] = {"constant", "ConstantLR", "const", {{NULL, NULL}}, {{NULL, NULL}}},
    [SCHEDULE_POLYNOMIAL] = {"polynomial", "PolynomialLR", "poly", {{NULL, NULL}},
                             {{NULL, NULL}}},
    [SCHEDULE_COSINE_WARM_RESTARTS] = {"cosine_warm_restarts", "CosineAnnealingWarmRestarts",
                                       "cawr",
                                       {{"schedule.T_0",
                                         "CosineAnnealingWarmRestarts has no default T_0"}},
                                       {{NULL, NULL}}},
    [SCHEDULE_REDUCE_ON_PLATEAU] = {"reduce_on_plateau", "ReduceLROnPlateau", "plateau",
                                    {{NULL, NULL}},
                                    {{"schedule.factor", "0.1"}}},
    /* per-batch schedulers: they step after every optimizer step unless told otherwise */
    [SCHEDULE_CYCLIC] = {"cyclic", "CyclicLR", "cyclic",
                         {{"schedule.base_lr", "CyclicLR has no default base_lr"},
                          {"schedule.max_lr", "CyclicLR has no default max_lr"}},
                         {{"schedule.gamma", "1.0"}, {"schedule.mode", "triangular"},
                          {"schedule.step_every", "batch"}}},
    [SCHEDULE_ONE_CYCLE] = {"one_cycle", "OneCycleLR", "onecycle",
                            {{"schedule.max_lr", "OneCycleLR has no default max_lr"},
                             {"schedule.total_steps", "OneCycleLR needs total_steps"}},
                            {{"schedule.base_momentum", "0.85"}, {"schedule.max_momentum", "0.95"},
                             {"schedule.step_every", "batch"}}},
};

#define N_OPTIMS ((int)(sizeof optims / sizeof optims[0]))
#define N_SCHEDULES ((int)(sizeof schedules / sizeof schedules[0]))
_Static_assert(sizeof optims / sizeof optims[0] == OPTIM_KIND_COUNT, "one row per optim_kind");
_Static_assert(sizeof schedules / sizeof schedules[0] == SCHEDULE_KIND_COUNT,
               "one row per schedule_kind");

int registry_n_optims(void) { return N_OPTIMS; }
int registry_n_schedules(void) { return N_SCHEDULES; }

const optim_info *registry_optim(optim_kind k)
{
    return (int)k >= 0 && (int)k < N_OPTIMS ? &optims[k] : NULL;
}

const schedule_info *registry_schedule(schedule_kind k)
{
    return (int)k >= 0 && (int)k < N_SCHEDULES ? &schedules[k] : NULL;
}

/* The names lists, made once from the rows (so no second copy of any name exists). */
static const char *optim_names[N_OPTIMS + 1];
static const char *schedule_names[N_SCHEDULES + 1];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void make_names(void)
{
    for (int i = 0; i < N_OPTIMS; i++) optim_names[i] = optims[i].name;
    for (int i = 0; i < N_SCHEDULES; i++) schedule_names[i] = schedules[i].name;
}

const char *const *registry_optim_names(void)
{
    pthread_once(&names_once, make_names);
    return optim_names;
}

const char *const *registry_schedule_names(void)
{
    pthread_once(&names_once, make_names);
    return schedule_names;
}
