/* registry.h — one row per optimizer and per lr schedule: its YAML name, its PyTorch class,
 * its run-id abbreviation, the arguments PyTorch gives no default (and why), the defaults that
 * differ from the shared settings rows, and (optimizers) its state buffers.  Adding one means:
 * its enum value (settings.h), its row here, its rule (optim.h) or lr function (schedule.c),
 * and the rows of its own keys in settings.c.  Everything else walks these tables. */
#ifndef OPTSWEEP_REGISTRY_H
#define OPTSWEEP_REGISTRY_H

#include "settings.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REGISTRY_MAX_SLOTS 3    /* = OPTIM_MAX_SLOTS (optim.h) */
#define REGISTRY_MAX_REQUIRED 3
#define REGISTRY_MAX_DEFAULTS 4

typedef struct {
    const char *key;   /* "optimizer.lr" */
    const char *value; /* defaults: YAML text; required: why it must be given */
} registry_pair;

/* A state buffer of n_params floats, PyTorch's name for it; `when` names a key whose value
 * must be non-zero for the buffer to exist (NULL: always). */
typedef struct {
    const char *name, *when;
} registry_slot;

typedef struct {
    const char *name;        /* optimizer.name */
    const char *torch_class; /* "torch.optim.Adam" */
    const char *id;          /* run-id prefix */
    registry_slot slots[REGISTRY_MAX_SLOTS];
    registry_pair required[REGISTRY_MAX_REQUIRED]; /* {key, why} */
    registry_pair defaults[REGISTRY_MAX_DEFAULTS]; /* {key, value} where not the row's default */
    const char *averaged;    /* the slot holding averaged parameters (asgd's ax), or NULL */
} optim_info;

typedef struct {
    const char *name;        /* schedule.name */
    const char *torch_class; /* "StepLR"; "constant" for none */
    const char *id;          /* run-id part; NULL: nothing (no schedule) */
    registry_pair required[REGISTRY_MAX_REQUIRED];
    registry_pair defaults[REGISTRY_MAX_DEFAULTS];
} schedule_info;

int registry_n_optims(void);
int registry_n_schedules(void);
const optim_info *registry_optim(optim_kind k);          /* NULL when out of range */
const schedule_info *registry_schedule(schedule_kind k);
/* The names in enum order, NULL-terminated (settings.c's enum lists). */
const char *const *registry_optim_names(void);
const char *const *registry_schedule_names(void);

#ifdef __cplusplus
}
#endif
#endif
