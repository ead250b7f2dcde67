/* optim.c — host side of the optimizers: state layout and initial state, the per-step
 * scalars computed in double exactly as torch 1.13's Python code computes them, and the
 * CPU update loop.  The element rules themselves live in optim.h (shared with CUDA). */
#include "optim.h"

#include "registry.h"

#include <math.h>
#include <string.h>

_Static_assert(REGISTRY_MAX_SLOTS == OPTIM_MAX_SLOTS, "registry rows hold every state slot");

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

int optim_averaged_slot(const optim_settings *o)
{
    const optim_info *row = registry_optim(o->kind);
    if (!row || !row->averaged) return -1;
    int n = 0;
    for (int j = 0; j < REGISTRY_MAX_SLOTS && row->slots[j].name; j++) {
        if (!slot_exists(&row->slots[j], o)) continue;
        if (strcmp(row->slots[j].name, row->averaged) == 0) return n;
        n++;
    }
    return -1;
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

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.NAdam.html
 * mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)) in double; torch keeps
 * mu_product as a float32 tensor (torch.tensor(1.), then mu_product *= mu each step), so it
 * is the float32 product of mu_1 .. mu_step, each factor rounded to float first.  It depends
 * on the step number only, so it is recomputed here (O(step) multiplications, ~10 us at
 * step 10^4) rather than kept: a resumed run needs nothing but the step count. */
static double nadam_mu(const optim_settings *o, double t)
{
    return o->beta1 * (1.0 - 0.5 * pow(0.96, t * o->momentum_decay));
}

static void nadam_scalars(const optim_settings *o, double lr, long step, optim_step *out)
{
    const double s = torch_step_value(step);
    float mu_product = 1.0f;
    for (long t = 1; t <= step; t++)
        mu_product = mu_product * (float)nadam_mu(o, torch_step_value(t));
    const double mu = nadam_mu(o, s), mu_next = nadam_mu(o, s + 1.0);
    /* mu_product_next = mu_product * mu * mu_next, float32 tensor ops */
    const float mu_product_next = (mu_product * (float)mu) * (float)mu_next;
    out->c[OPTIM_NADAM_GRAD_COEF] = (float)(-lr * (1.0 - mu) / (1.0 - (double)mu_product));
    out->c[OPTIM_NADAM_AVG_COEF] = (float)(-lr * mu_next / (1.0 - (double)mu_product_next));
    out->c[OPTIM_NADAM_BETA1] = (float)o->beta1;
    out->c[OPTIM_NADAM_ONE_MINUS_BETA1] = (float)(1.0 - o->beta1);
    out->c[OPTIM_NADAM_BETA2] = (float)o->beta2;
    out->c[OPTIM_NADAM_ONE_MINUS_BETA2] = (float)(1.0 - o->beta2);
    out->c[OPTIM_NADAM_BC2] = (float)(1.0 - pow(o->beta2, s));
    out->c[OPTIM_NADAM_EPS] = (float)o->eps;
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.RAdam.html
 * rho_inf = 2 / (1 - beta2) - 1; rho_t = rho_inf - 2 step beta2^step / (1 - beta2^step);
 * rect = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)), all in
 * double as Python computes them. */
static void radam_scalars(const optim_settings *o, double lr, long step, optim_step *out)
{
    (void)lr; /* the rule multiplies by out->lr, (float)lr, as torch's tensor * lr does */
    const double s = torch_step_value(step);
    const double bc1 = 1.0 - pow(o->beta1, s), bc2 = 1.0 - pow(o->beta2, s);
    const double rho_inf = 2.0 / (1.0 - o->beta2) - 1.0;
    const double rho_t = rho_inf - 2.0 * s * pow(o->beta2, s) / bc2;
    out->rectify = rho_t > 5.0;
    if (out->rectify)
        out->c[OPTIM_RADAM_RECT] = (float)sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                               ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
    out->c[OPTIM_RADAM_BC1] = (float)bc1;
    out->c[OPTIM_RADAM_BC2_SQRT] = (float)sqrt(bc2);
    out->c[OPTIM_RADAM_BETA1] = (float)o->beta1;
    out->c[OPTIM_RADAM_ONE_MINUS_BETA1] = (float)(1.0 - o->beta1);
    out->c[OPTIM_RADAM_BETA2] = (float)o->beta2;
    out->c[OPTIM_RADAM_ONE_MINUS_BETA2] = (float)(1.0 - o->beta2);
    out->c[OPTIM_RADAM_EPS] = (float)o->eps;
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.ASGD.html
 * torch keeps eta and mu as float32 tensors: eta = lr at the first step, then after step t
 * eta = lr / (1 + lambd * lr * t) ** alpha and mu = 1 / max(1, t - t0), so step t uses the
 * values made after step t - 1, with the lr of step t - 1.  optsweep steps the lr between
 * epochs only, and config rejects a schedule with asgd, so that lr is this one. */
static void asgd_scalars(const optim_settings *o, double lr, long step, optim_step *out)
{
    const double prev = torch_step_value(step - 1); /* t of the step that made eta and mu */
    float eta = (float)lr, mu = 1.0f;
    if (step > 1) {
        eta = (float)(lr / pow(1.0 + o->lambd * lr * prev, o->alpha));
        mu = (float)(1.0 / fmax(1.0, prev - o->t0));
    }
    out->copy_average = (double)mu == 1.0; /* mu.item() != 1 */
    out->c[OPTIM_ASGD_DECAY] = (float)(1.0 - o->lambd * (double)eta);
    out->c[OPTIM_ASGD_NEG_ETA] = (float)(-(double)eta);
    out->c[OPTIM_ASGD_MU] = mu;
}

void optim_set_momentum(optim_settings *o, double momentum)
{
    run_settings rs;
    memset(&rs, 0, sizeof rs);
    rs.optim = *o;
    if (settings_key_applies(settings_find_key("optimizer.momentum"), &rs))
        o->momentum = momentum;
    else
        o->beta1 = momentum;
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
    case OPTIM_ADADELTA:
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adadelta.html */
        out->c[OPTIM_ADADELTA_NEG_LR] = (float)(-lr);
        out->c[OPTIM_ADADELTA_RHO] = (float)o->rho;
        out->c[OPTIM_ADADELTA_ONE_MINUS_RHO] = (float)(1.0 - o->rho);
        out->c[OPTIM_ADADELTA_EPS] = (float)o->eps;
        break;
    case OPTIM_ADAMAX:
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adamax.html
         * bias_correction = 1 - beta1 ** step; clr = lr / bias_correction */
        out->c[OPTIM_ADAMAX_NEG_CLR] =
            (float)(-(lr / (1.0 - pow(o->beta1, torch_step_value(step)))));
        out->c[OPTIM_ADAMAX_BETA1] = (float)o->beta1;
        out->c[OPTIM_ADAMAX_ONE_MINUS_BETA1] = (float)(1.0 - o->beta1);
        out->c[OPTIM_ADAMAX_BETA2] = (float)o->beta2;
        out->c[OPTIM_ADAMAX_EPS] = (float)o->eps;
        break;
    case OPTIM_NADAM:
        nadam_scalars(o, lr, step, out);
        break;
    case OPTIM_RADAM:
        radam_scalars(o, lr, step, out);
        break;
    case OPTIM_RPROP:
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Rprop.html
         * (the sign tensor holds etaplus/etaminus as float32; clamp's bounds likewise) */
        out->c[OPTIM_RPROP_ETAMINUS] = (float)o->etaminus;
        out->c[OPTIM_RPROP_ETAPLUS] = (float)o->etaplus;
        out->c[OPTIM_RPROP_STEP_MIN] = (float)o->step_size_min;
        out->c[OPTIM_RPROP_STEP_MAX] = (float)o->step_size_max;
        break;
    case OPTIM_ASGD:
        asgd_scalars(o, lr, step, out);
        break;
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

/* The newer optimizers: one loop each; the weight decay branch is loop-invariant. */
#define OPTIM_PLAIN_LOOP(fname, rule, ...)                                                   \
    OPTIM_LOOP static void fname(const optim_step *step, size_t begin, size_t end,           \
                                 float *restrict p, const float *restrict g,                 \
                                 float *restrict s0, float *restrict s1)                     \
    {                                                                                        \
        const optim_step st = *step;                                                         \
        (void)s1;                                                                            \
        for (size_t i = begin; i < end; i++) rule(&st, i, p, g, __VA_ARGS__);                \
    }
OPTIM_PLAIN_LOOP(adadelta_loop, optim_update_adadelta, s0, s1)
OPTIM_PLAIN_LOOP(adamax_loop, optim_update_adamax, s0, s1)
OPTIM_PLAIN_LOOP(nadam_loop, optim_update_nadam, s0, s1)
OPTIM_PLAIN_LOOP(radam_loop, optim_update_radam, s0, s1)
OPTIM_PLAIN_LOOP(rprop_loop, optim_update_rprop, s0, s1)
OPTIM_PLAIN_LOOP(asgd_loop, optim_update_asgd, s0)

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
    case OPTIM_ADADELTA:
        adadelta_loop(st, begin, end, params, grads, state, state + n);
        break;
    case OPTIM_ADAMAX:
        adamax_loop(st, begin, end, params, grads, state, state + n);
        break;
    case OPTIM_NADAM:
        nadam_loop(st, begin, end, params, grads, state, state + n);
        break;
    case OPTIM_RADAM:
        radam_loop(st, begin, end, params, grads, state, state + n);
        break;
    case OPTIM_RPROP:
        rprop_loop(st, begin, end, params, grads, state, state + n);
        break;
    case OPTIM_ASGD:
        asgd_loop(st, begin, end, params, grads, state, NULL);
        break;
    default: /* adam, adamw */
        adam_loop(st, begin, end, params, grads, state, state + n, state + 2 * n);
        break;
    }
}
