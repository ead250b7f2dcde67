/* optim.h — the one definition of each optimizer's update rule, PyTorch's exactly.
 * The host computes a step's scalars in double, as PyTorch's Python code does
 * (optim_prepare_step); the per-element update (optim_update_element) is float math,
 * static inline, compiled by gcc for the CPU loop and by nvcc (__host__ __device__) for the
 * CUDA kernel.  State: optim_state_slots() buffers of n floats each, back to back
 * (slot j of element i is state[j * n + i]).  Host-only helpers are defined in optim.c. */
#ifndef OPTSWEEP_OPTIM_H
#define OPTSWEEP_OPTIM_H

#include <stddef.h>
#include "settings.h"

#ifdef __CUDACC__
#define OPTIM_HD __host__ __device__
#else
#define OPTIM_HD
#endif

#define OPTIM_MAX_SLOTS 3

/* Everything one optimizer step needs besides the tensors: filled on the host. */
typedef struct {
    int kind;        /* optim_kind */
    int first_step;  /* 1 on the run's first step (SGD's momentum buffer starts as the grad) */
    int nesterov, centered, amsgrad, has_momentum;
    float lr;
    float weight_decay;
    float c[8];      /* per-kind scalars (see optim_prepare_step) */
} optim_step;

#ifndef __CUDACC__
/* Number of state buffers the optimizer keeps (sgd: 1 with momentum else 0; adagrad 1;
 * rmsprop 1 + momentum + centered; adam/adamw 2 + amsgrad). */
int optim_state_slots(const optim_settings *o);
/* Initial state (Adagrad's initial_accumulator_value, zeros elsewhere); state has
 * slots * n floats. */
void optim_state_init(const optim_settings *o, float *state, size_t n);
/* Scalars of step number `step` (1-based, PyTorch's state['step'] after increment) at lr. */
void optim_prepare_step(const optim_settings *o, double lr, long step, optim_step *out);
#endif

/* The update of element i: params[i] from grads[i] and its state (n = elements).
 * OPTIM_HD static inline void optim_update_element(const optim_step *st, size_t i, size_t n,
 *                                                  float *params, const float *grads,
 *                                                  float *state);
 * (definition below, one small static inline function per optimizer) */

#endif
