/* optim.c — host side of the optimizers: state layout and initial state, the per-step
 * scalars computed in double exactly as torch 1.13's Python code computes them, and the
 * CPU update loop.  The element rules themselves live in optim.h (shared with CUDA). */
#include "optim.h"

#include "registry.h"

#include <math.h>
#include <string.h>

/* A slot exists when its registry row says so: always, or while its key is non-zero. */
static int slot_exists(const registry_slot *slot, const optim_settings *o)
{
    if (!slot->when) return 1;
    run_settings s;
    memset(&s, 0, sizeof s);
    s.optim = *o;
    return settings_get_number(&s, settings_find_key(slot->when)) != 0.0;
}

int optim_state_slots(const optim_settings *o)
{
    const optim_info *row = registry_optim(o->kind);
    int n = 0;
    for (int j = 0; row && j < REGISTRY_MAX_SLOTS && row->slots[j].name; j++)
        n += slot_exists(&row->slots[j], o);
    return n;
}

void optim_state_init(const optim_settings *o, float *state, size_t n)
{
    size_t total = (size_t)optim_state_slots(o) * n;
    if (o->kind == OPTIM_ADAGRAD) {
        /* torch.full_like(p, initial_accumulator_value) */
        const float v = (float)o->initial_accumulator_value;
        for (size_t i = 0; i < total; i++) state[i] = v;
    } else if (total > 0) {
        memset(state, 0, total * sizeof(float)); /* torch.zeros_like */
    }
}

/* PyTorch keeps Adagrad's and Adam's step in a float32 tensor (step_t += 1, then
 * step_t.item()): exact up to 2^24, where it stops growing. */
static double torch_step_value(long step)
{
    return step > 16777216L ? 16777216.0 : (double)step;
}

void optim_prepare_step(const optim_settings *o, double lr, long step, optim_step *out)
{
    memset(out, 0, sizeof *out);
    out->kind = (int)o->kind;
    out->first_step = step <= 1;
    out->lr = (float)lr;
    out->weight_decay = o->kind == OPTIM_ADAMW ? 0.0f : (float)o->weight_decay;
    switch (o->kind) {
    case OPTIM_SGD:
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.SGD.html */
        out->has_momentum = o->momentum != 0.0;
        out->nesterov = o->nesterov != 0;
        out->c[OPTIM_SGD_NEG_LR] = (float)(-lr);
        out->c[OPTIM_SGD_MOMENTUM] = (float)o->momentum;
        out->c[OPTIM_SGD_ONE_MINUS_DAMP] = (float)(1.0 - o->dampening);
        break;
    case OPTIM_ADAGRAD: {
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adagrad.html
         * clr = lr / (1 + (step - 1) * lr_decay) */
        double s = torch_step_value(step);
        double clr = lr / (1.0 + (s - 1.0) * o->lr_decay);
        out->c[OPTIM_ADAGRAD_NEG_CLR] = (float)(-clr);
        out->c[OPTIM_ADAGRAD_EPS] = (float)o->eps;
        break;
    }
    case OPTIM_RMSPROP:
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.RMSprop.html */
        out->has_momentum = o->momentum > 0.0;
        out->centered = o->centered != 0;
        out->c[OPTIM_RMSPROP_NEG_LR] = (float)(-lr);
        out->c[OPTIM_RMSPROP_ALPHA] = (float)o->alpha;
        out->c[OPTIM_RMSPROP_ONE_MINUS_ALPHA] = (float)(1.0 - o->alpha);
        out->c[OPTIM_RMSPROP_EPS] = (float)o->eps;
        out->c[OPTIM_RMSPROP_MOMENTUM] = (float)o->momentum;
        break;
    case OPTIM_ADAM:
    case OPTIM_ADAMW: {
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html
         * reference: https://pytorch.org/docs/1.13/generated/torch.optim.AdamW.html
         * bias_correction1 = 1 - beta1 ** step; step_size = lr / bias_correction1;
         * bias_correction2_sqrt = math.sqrt(1 - beta2 ** step) */
        double s = torch_step_value(step);
        double bc1 = 1.0 - pow(o->beta1, s);
        double bc2 = 1.0 - pow(o->beta2, s);
        double step_size = lr / bc1;
        out->amsgrad = o->amsgrad != 0;
        out->c[OPTIM_ADAM_NEG_STEP_SIZE] = (float)(-step_size);
        out->c[OPTIM_ADAM_BETA1] = (float)o->beta1;
        out->c[OPTIM_ADAM_ONE_MINUS_BETA1] = (float)(1.0 - o->beta1);
        out->c[OPTIM_ADAM_BETA2] = (float)o->beta2;
        out->c[OPTIM_ADAM_ONE_MINUS_BETA2] = (float)(1.0 - o->beta2);
        out->c[OPTIM_ADAM_BC2_SQRT] = (float)sqrt(bc2);
        out->c[OPTIM_ADAM_EPS] = (float)o->eps;
        out->c[OPTIM_ADAM_DECAY] =
            o->kind == OPTIM_ADAMW ? (float)(1.0 - lr * o->weight_decay) : 1.0f;
        break;
    }
    case OPTIM_KIND_COUNT:
        break;
    }
}

/* ---- the CPU loop ------------------------------------------------------------------------
 * One loop per optimizer over restrict slot pointers, so that gcc can vectorise the element
 * rule: vfmadd, vmulps, vdivps, vsqrtps round exactly as their scalar forms (one IEEE rounding
 * each), so every variant gives optim_update_element's bits (tests/numerics checks the loop
 * against torch bit for bit).  Each loop works on a copy of the step, so no store can change
 * its scalars, and fixes the options that decide which slots are stored to as constants (one
 * loop per combination), so no loop holds a conditional store.
 * On x86-64 gcc: a clone with the FMA instruction, picked at load time (elsewhere fmaf is a
 * libm call per element, ~10x slower), and the vectoriser's dynamic cost model for these
 * functions (-O2's "very cheap" one vectorises none of them).  The loops with a square root
 * (adagrad, rmsprop, adam) vectorise only where optim.c is compiled with -fno-math-errno
 * (sqrtf must otherwise keep a scalar path that sets errno; the flag changes no result).
 * Measured on 134k parameters, 2 cores: 0.15-0.3 ns per element vectorised, 1.8-2.4 scalar. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OPTIM_LOOP                                                                           \
    __attribute__((target_clones("fma", "default"),                                        \
                   optimize("tree-loop-vectorize", "vect-cost-model=dynamic")))
#else
#define OPTIM_LOOP
#endif

OPTIM_LOOP static void adagrad_loop(const optim_step *step, size_t begin, size_t end,
                                    float *restrict p, const float *restrict g,
                                    float *restrict sum)
{
    const optim_step st = *step;
    for (size_t i = begin; i < end; i++) optim_update_adagrad(&st, i, p, g, sum);
}

/* Sets an option of the local step to a constant, then loops (see above). */
#define OPTIM_FIXED_LOOP(field, value, rule_call)                                            \
    do {                                                                                     \
        st.field = (value);                                                                  \
        for (size_t i = begin; i < end; i++) rule_call;                                      \
    } while (0)

OPTIM_LOOP static void sgd_loop(const optim_step *step, size_t begin, size_t end,
                                float *restrict p, const float *restrict g,
                                float *restrict buf)
{
    optim_step st = *step;
#define RULE optim_update_sgd(&st, i, p, g, buf)
    if (!st.has_momentum) {
        OPTIM_FIXED_LOOP(has_momentum, 0, RULE);
    } else {
        st.has_momentum = 1;
        if (st.first_step) {
            st.first_step = 1;
            if (st.nesterov) OPTIM_FIXED_LOOP(nesterov, 1, RULE);
            else OPTIM_FIXED_LOOP(nesterov, 0, RULE);
        } else {
            st.first_step = 0;
            if (st.nesterov) OPTIM_FIXED_LOOP(nesterov, 1, RULE);
            else OPTIM_FIXED_LOOP(nesterov, 0, RULE);
        }
    }
#undef RULE
}

OPTIM_LOOP static void rmsprop_loop(const optim_step *step, size_t begin, size_t end,
                                    float *restrict p, const float *restrict g,
                                    float *restrict sq, float *restrict buf,
                                    float *restrict ga)
{
    optim_step st = *step;
#define RULE optim_update_rmsprop(&st, i, p, g, sq, buf, ga)
    if (st.centered) {
        st.centered = 1;
        if (st.has_momentum) OPTIM_FIXED_LOOP(has_momentum, 1, RULE);
        else OPTIM_FIXED_LOOP(has_momentum, 0, RULE);
    } else {
        st.centered = 0;
        if (st.has_momentum) OPTIM_FIXED_LOOP(has_momentum, 1, RULE);
        else OPTIM_FIXED_LOOP(has_momentum, 0, RULE);
    }
#undef RULE
}

OPTIM_LOOP static void adam_loop(const optim_step *step, size_t begin, size_t end,
                                 float *restrict p, const float *restrict g, float *restrict m,
                                 float *restrict v, float *restrict vmax)
{
    optim_step st = *step;
#define RULE optim_update_adam(&st, i, p, g, m, v, vmax)
    if (st.amsgrad) OPTIM_FIXED_LOOP(amsgrad, 1, RULE);
    else OPTIM_FIXED_LOOP(amsgrad, 0, RULE);
#undef RULE
}

void optim_update_range(const optim_step *st, size_t begin, size_t end, size_t n,
                        float *params, const float *grads, float *state)
{
    switch (st->kind) {
    case OPTIM_SGD:
        sgd_loop(st, begin, end, params, grads, state);
        break;
    case OPTIM_ADAGRAD:
        adagrad_loop(st, begin, end, params, grads, state);
        break;
    case OPTIM_RMSPROP:
        rmsprop_loop(st, begin, end, params, grads, state, state + n,
                     state + (size_t)(1 + st->has_momentum) * n);
        break;
    default: /* adam, adamw */
        adam_loop(st, begin, end, params, grads, state, state + n, state + 2 * n);
        break;
    }
}
