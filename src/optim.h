/* optim.h — the one definition of each optimizer's update rule, PyTorch's exactly.
 * The host computes a step's scalars in double, as PyTorch's Python code does
 * (optim_prepare_step); the per-element update (optim_update_element) is float math,
 * static inline, compiled by gcc for the CPU loop and by nvcc (__host__ __device__) for the
 * CUDA kernel.  State: optim_state_slots() buffers of n floats each, back to back
 * (slot j of element i is state[j * n + i]).  Host-only helpers are defined in optim.c.
 *
 * Float operations follow torch 1.13's CPU kernels (the _single_tensor_* paths, which run
 * for float32 on the CPU; ATen's AVX2 build, the one any x86-64 CPU of the last decade
 * runs), one rounding per kernel:
 *   a.add(b, alpha=s)        fmaf(s, b, a)          (ufunc add: vec::fmadd, fused)
 *   a.addcmul(b, c, value=s) fmaf(s * b, c, a)      (fused after rounding s * b)
 *   a.addcdiv(b, c, value=s) a + (s * b) / c        (three roundings)
 *   a.mul(s), a / s, a + s, sqrt(a)                 one rounding each, s = (float)s
 * and every Python-float scalar becomes (float)scalar when it meets a float32 tensor.
 * Verified bit for bit against torch by tests/numerics/test_optim.c
 * (tests/reference/fixtures/optim_steps.txt). */
#ifndef OPTSWEEP_OPTIM_H
#define OPTSWEEP_OPTIM_H

#include <stddef.h>
#include "settings.h"

#ifdef __CUDACC__
#define OPTIM_HD __host__ __device__
#else
#define OPTIM_HD
#endif
/* The rules are inlined into their callers (so the CPU loop's FMA clone gets them too). */
#if defined(__CUDACC__)
#define OPTIM_INLINE static OPTIM_HD __forceinline__
#elif defined(__GNUC__)
#define OPTIM_INLINE static inline __attribute__((always_inline))
#else
#define OPTIM_INLINE static inline
#endif
#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OPTIM_MAX_SLOTS 3

/* Everything one optimizer step needs besides the tensors: filled on the host. */
typedef struct {
    int kind;        /* optim_kind */
    int first_step;  /* 1 on the run's first step (SGD's momentum buffer starts as the grad) */
    int nesterov, centered, amsgrad, has_momentum;
    int rectify;      /* radam: rho_t > 5, the variance-rectified update */
    int copy_average; /* asgd: mu == 1, the average is a copy of the parameters */
    float lr;
    float weight_decay; /* (float)weight_decay added to the gradient; 0 = none, and always 0
                         * for adamw, whose decay is decoupled (c[OPTIM_ADAM_DECAY]) */
    float c[8];      /* per-kind scalars, indexed by the enum below */
} optim_step;

/* Indices into optim_step.c, per kind.  Each is (float) of a double computed on the host. */
enum {
    OPTIM_SGD_NEG_LR = 0,          /* -lr */
    OPTIM_SGD_MOMENTUM = 1,        /* momentum */
    OPTIM_SGD_ONE_MINUS_DAMP = 2,  /* 1 - dampening */

    OPTIM_ADAGRAD_NEG_CLR = 0,     /* -lr / (1 + (step - 1) * lr_decay) */
    OPTIM_ADAGRAD_EPS = 1,

    OPTIM_RMSPROP_NEG_LR = 0,
    OPTIM_RMSPROP_ALPHA = 1,
    OPTIM_RMSPROP_ONE_MINUS_ALPHA = 2,
    OPTIM_RMSPROP_EPS = 3,
    OPTIM_RMSPROP_MOMENTUM = 4,

    OPTIM_ADAM_NEG_STEP_SIZE = 0,  /* -lr / (1 - beta1^step) */
    OPTIM_ADAM_BETA1 = 1,
    OPTIM_ADAM_ONE_MINUS_BETA1 = 2,
    OPTIM_ADAM_BETA2 = 3,
    OPTIM_ADAM_ONE_MINUS_BETA2 = 4,
    OPTIM_ADAM_BC2_SQRT = 5,       /* sqrt(1 - beta2^step) */
    OPTIM_ADAM_EPS = 6,
    OPTIM_ADAM_DECAY = 7,          /* adamw: 1 - lr * weight_decay; adam: 1 (p * 1 == p) */

    OPTIM_ADADELTA_NEG_LR = 0,
    OPTIM_ADADELTA_RHO = 1,
    OPTIM_ADADELTA_ONE_MINUS_RHO = 2,
    OPTIM_ADADELTA_EPS = 3,

    OPTIM_ADAMAX_NEG_CLR = 0,      /* -lr / (1 - beta1^step) */
    OPTIM_ADAMAX_BETA1 = 1,
    OPTIM_ADAMAX_ONE_MINUS_BETA1 = 2,
    OPTIM_ADAMAX_BETA2 = 3,
    OPTIM_ADAMAX_EPS = 4,

    OPTIM_NADAM_GRAD_COEF = 0,     /* -lr * (1 - mu) / (1 - mu_product) */
    OPTIM_NADAM_AVG_COEF = 1,      /* -lr * mu_next / (1 - mu_product_next) */
    OPTIM_NADAM_BETA1 = 2,
    OPTIM_NADAM_ONE_MINUS_BETA1 = 3,
    OPTIM_NADAM_BETA2 = 4,
    OPTIM_NADAM_ONE_MINUS_BETA2 = 5,
    OPTIM_NADAM_BC2 = 6,           /* 1 - beta2^step */
    OPTIM_NADAM_EPS = 7,

    OPTIM_RADAM_BC1 = 0,           /* 1 - beta1^step */
    OPTIM_RADAM_BC2_SQRT = 1,      /* sqrt(1 - beta2^step) */
    OPTIM_RADAM_RECT = 2,          /* the rectification term (when rectify) */
    OPTIM_RADAM_BETA1 = 3,
    OPTIM_RADAM_ONE_MINUS_BETA1 = 4,
    OPTIM_RADAM_BETA2 = 5,
    OPTIM_RADAM_ONE_MINUS_BETA2 = 6,
    OPTIM_RADAM_EPS = 7,

    OPTIM_RPROP_ETAMINUS = 0,
    OPTIM_RPROP_ETAPLUS = 1,
    OPTIM_RPROP_STEP_MIN = 2,
    OPTIM_RPROP_STEP_MAX = 3,

    OPTIM_ASGD_DECAY = 0,          /* 1 - lambd * eta */
    OPTIM_ASGD_NEG_ETA = 1,        /* -eta */
    OPTIM_ASGD_MU = 2,
};

/* State slots (slot j of element i is state[j * n + i]):
 *   sgd      0 momentum_buffer (only when momentum != 0)
 *   adagrad  0 sum
 *   rmsprop  0 square_avg, then momentum_buffer (momentum > 0), then grad_avg (centered)
 *   adam(w)  0 exp_avg, 1 exp_avg_sq, 2 max_exp_avg_sq (amsgrad)
 *   adadelta 0 square_avg, 1 acc_delta;  adamax 0 exp_avg, 1 exp_inf
 *   nadam, radam  0 exp_avg, 1 exp_avg_sq;  rprop 0 prev, 1 step_size;  asgd 0 ax
 * (registry.c lists them with PyTorch's names; optim_state_slots counts them from there.) */

/* Host functions (optim.c; C linkage, callable from .cu files too). */
/* Number of state buffers the optimizer keeps (its registry row's slots that exist for
 * these options). */
int optim_state_slots(const optim_settings *o);
/* The slot (0 .. slots-1) that holds averaged parameters (ASGD's ax), or -1. */
int optim_averaged_slot(const optim_settings *o);
/* Initial state (Adagrad's initial_accumulator_value, zeros elsewhere); state has
 * slots * n floats. */
void optim_state_init(const optim_settings *o, float *state, size_t n);
/* A cycled momentum (CyclicLR / OneCycleLR cycle_momentum) put where PyTorch's schedulers
 * put it: group['momentum'] for the optimizers with a momentum setting (SGD, RMSprop, per
 * the settings rows), else beta1 (group['betas'][0]). */
void optim_set_momentum(optim_settings *o, double momentum);
/* Scalars of step number `step` (1-based, PyTorch's state['step'] after increment) at lr. */
void optim_prepare_step(const optim_settings *o, double lr, long step, optim_step *out);
/* optim_update_element for i in [begin, end): the CPU loop, vectorised where the compiler
 * can (see optim.c), with the same bits as the element rule.  params, grads and the state
 * block must not overlap. */
void optim_update_range(const optim_step *st, size_t begin, size_t end, size_t n,
                        float *params, const float *grads, float *state);

/* ---- float arithmetic, one rounding per call, identical on host and device -------------
 * On the device the _rn intrinsics keep nvcc from contracting a*b+c into an FMA where
 * PyTorch rounds twice (and from approximating / and sqrt).  On the host, C11 mode
 * (-std=c11, -ffp-contract=off) keeps gcc from contracting. */
OPTIM_INLINE float optim_fma(float a, float b, float c)
{
#ifdef __CUDA_ARCH__
    return __fmaf_rn(a, b, c);
#else
    return fmaf(a, b, c);
#endif
}

OPTIM_INLINE float optim_mul(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}

OPTIM_INLINE float optim_add(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}

OPTIM_INLINE float optim_div(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}

OPTIM_INLINE float optim_sqrt(float a)
{
#ifdef __CUDA_ARCH__
    return __fsqrt_rn(a);
#else
    return sqrtf(a);
#endif
}

/* torch.maximum: NaN if either is NaN, else std::max(a, b).  Selects, no branches (the CPU
 * loop vectorises them). */
OPTIM_INLINE float optim_maximum(float a, float b)
{
    float r = (a < b) ? b : a;
    r = (b != b) ? b : r;
    return (a != a) ? a : r;
}

/* ---- the rules ----------------------------------------------------------------------- */

/* Each rule updates element i given its slot arrays (optim_update_element below finds them in
 * the state block; the CPU loop passes them as restrict pointers so it vectorises).  A slot
 * the options do not use is never read or written. */

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.SGD.html
 *   d = g + wd*p;  buf = d (first step) | momentum*buf + (1 - dampening)*d;
 *   d = d + momentum*buf (nesterov) | buf;  p = p - lr*d */
OPTIM_INLINE void optim_update_sgd(const optim_step *st, size_t i, float *params,
                                   const float *grads, float *momentum_buffer)
{
    float p = params[i];
    float d = grads[i];
    if (st->weight_decay != 0.0f)
        d = optim_fma(st->weight_decay, p, d); /* d_p.add(param, alpha=weight_decay) */
    if (st->has_momentum) {
        float b;
        if (st->first_step)
            b = d; /* torch.clone(d_p): no dampening on the first step */
        else       /* buf.mul_(momentum).add_(d_p, alpha=1 - dampening) */
            b = optim_fma(st->c[OPTIM_SGD_ONE_MINUS_DAMP], d,
                          optim_mul(momentum_buffer[i], st->c[OPTIM_SGD_MOMENTUM]));
        momentum_buffer[i] = b;
        d = st->nesterov ? optim_fma(st->c[OPTIM_SGD_MOMENTUM], b, d) : b;
    }
    params[i] = optim_fma(st->c[OPTIM_SGD_NEG_LR], d, p); /* param.add_(d_p, alpha=-lr) */
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adagrad.html
 *   g = g + wd*p;  clr = lr / (1 + (step - 1)*lr_decay);  sum = sum + g*g;
 *   p = p - clr * g / (sqrt(sum) + eps)   (eps after the square root) */
OPTIM_INLINE void optim_update_adagrad(const optim_step *st, size_t i, float *params,
                                       const float *grads, float *sum)
{
    float p = params[i];
    float g = grads[i];
    if (st->weight_decay != 0.0f) g = optim_fma(st->weight_decay, p, g);
    float s = optim_fma(g, g, sum[i]); /* state_sum.addcmul_(grad, grad, value=1) */
    sum[i] = s;
    float std = optim_add(optim_sqrt(s), st->c[OPTIM_ADAGRAD_EPS]);
    /* param.addcdiv_(grad, std, value=-clr) */
    params[i] = optim_add(p, optim_div(optim_mul(st->c[OPTIM_ADAGRAD_NEG_CLR], g), std));
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.RMSprop.html
 *   g = g + wd*p;  v = alpha*v + (1 - alpha)*g*g;
 *   centered: ga = alpha*ga + (1 - alpha)*g, avg = sqrt(v - ga*ga) + eps; else sqrt(v) + eps;
 *   momentum > 0: buf = momentum*buf + g/avg, p = p - lr*buf;  else p = p - lr*g/avg */
OPTIM_INLINE void optim_update_rmsprop(const optim_step *st, size_t i, float *params,
                                       const float *grads, float *square_avg,
                                       float *momentum_buffer, float *grad_avg)
{
    float p = params[i];
    float g = grads[i];
    const float alpha = st->c[OPTIM_RMSPROP_ALPHA];
    const float one_minus_alpha = st->c[OPTIM_RMSPROP_ONE_MINUS_ALPHA];
    if (st->weight_decay != 0.0f) g = optim_fma(st->weight_decay, p, g);
    /* square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha) */
    float sa = optim_fma(optim_mul(one_minus_alpha, g), g, optim_mul(square_avg[i], alpha));
    square_avg[i] = sa;
    float avg;
    if (st->centered) {
        /* grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha) */
        float ga = optim_fma(one_minus_alpha, g, optim_mul(grad_avg[i], alpha));
        grad_avg[i] = ga;
        /* square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_() */
        avg = optim_sqrt(optim_fma(-ga, ga, sa));
    } else {
        avg = optim_sqrt(sa);
    }
    avg = optim_add(avg, st->c[OPTIM_RMSPROP_EPS]);
    if (st->has_momentum) {
        /* buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr) */
        float b = optim_add(optim_mul(momentum_buffer[i], st->c[OPTIM_RMSPROP_MOMENTUM]),
                            optim_div(g, avg));
        momentum_buffer[i] = b;
        params[i] = optim_fma(st->c[OPTIM_RMSPROP_NEG_LR], b, p);
    } else {
        /* param.addcdiv_(grad, avg, value=-lr) */
        params[i] = optim_add(p, optim_div(optim_mul(st->c[OPTIM_RMSPROP_NEG_LR], g), avg));
    }
}

/* The moving averages of the Adam family, in PyTorch's op order:
 * exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1) and
 * exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2). */
OPTIM_INLINE float optim_first_moment(float m, float g, float beta1, float one_minus_beta1)
{
    return optim_fma(one_minus_beta1, g, optim_mul(m, beta1));
}

OPTIM_INLINE float optim_second_moment(float v, float g, float beta2, float one_minus_beta2)
{
    return optim_fma(optim_mul(one_minus_beta2, g), g, optim_mul(v, beta2));
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html
 * reference: https://pytorch.org/docs/1.13/generated/torch.optim.AdamW.html
 *   adam: g = g + wd*p (coupled);  adamw: p = p * (1 - lr*wd) (decoupled, before the rest);
 *   m = beta1*m + (1 - beta1)*g;  v = beta2*v + (1 - beta2)*g*g;  amsgrad: vmax = max(vmax, v);
 *   denom = sqrt(v or vmax) / sqrt(1 - beta2^step) + eps;
 *   p = p - (lr / (1 - beta1^step)) * m / denom */
OPTIM_INLINE void optim_update_adam(const optim_step *st, size_t i, float *params,
                                    const float *grads, float *exp_avg, float *exp_avg_sq,
                                    float *max_exp_avg_sq)
{
    float g = grads[i];
    /* adamw: param.mul_(1 - lr * weight_decay); adam multiplies by 1, which changes no bit */
    float p = optim_mul(params[i], st->c[OPTIM_ADAM_DECAY]);
    if (st->weight_decay != 0.0f)
        g = optim_fma(st->weight_decay, p, g); /* adam: grad.add(param, alpha=weight_decay) */
    /* exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1) */
    float m = optim_first_moment(exp_avg[i], g, st->c[OPTIM_ADAM_BETA1],
                                 st->c[OPTIM_ADAM_ONE_MINUS_BETA1]);
    /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2) */
    float v = optim_second_moment(exp_avg_sq[i], g, st->c[OPTIM_ADAM_BETA2],
                                  st->c[OPTIM_ADAM_ONE_MINUS_BETA2]);
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    if (st->amsgrad) {
        v = optim_maximum(max_exp_avg_sq[i], v); /* torch.maximum(max_exp_avg_sq, exp_avg_sq) */
        max_exp_avg_sq[i] = v;
    }
    /* (v.sqrt() / bias_correction2_sqrt).add_(eps) */
    float denom = optim_add(optim_div(optim_sqrt(v), st->c[OPTIM_ADAM_BC2_SQRT]),
                            st->c[OPTIM_ADAM_EPS]);
    /* param.addcdiv_(exp_avg, denom, value=-step_size) */
    params[i] = optim_add(p, optim_div(optim_mul(st->c[OPTIM_ADAM_NEG_STEP_SIZE], m), denom));
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adadelta.html
 *   g = g + wd*p;  v = rho*v + (1 - rho)*g*g;  delta = sqrt(u + eps) / sqrt(v + eps) * g;
 *   u = rho*u + (1 - rho)*delta*delta;  p = p - lr*delta */
OPTIM_INLINE void optim_update_adadelta(const optim_step *st, size_t i, float *params,
                                        const float *grads, float *square_avg,
                                        float *acc_delta)
{
    float p = params[i];
    float g = grads[i];
    const float rho = st->c[OPTIM_ADADELTA_RHO], one_minus_rho = st->c[OPTIM_ADADELTA_ONE_MINUS_RHO];
    const float eps = st->c[OPTIM_ADADELTA_EPS];
    if (st->weight_decay != 0.0f) g = optim_fma(st->weight_decay, p, g);
    /* square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho) */
    float v = optim_fma(optim_mul(one_minus_rho, g), g, optim_mul(square_avg[i], rho));
    square_avg[i] = v;
    float std = optim_sqrt(optim_add(v, eps)); /* square_avg.add(eps).sqrt_() */
    /* acc_delta.add(eps).sqrt_().div_(std).mul_(grad) */
    float delta = optim_mul(optim_div(optim_sqrt(optim_add(acc_delta[i], eps)), std), g);
    /* acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho) */
    acc_delta[i] = optim_fma(optim_mul(one_minus_rho, delta), delta, optim_mul(acc_delta[i], rho));
    params[i] = optim_fma(st->c[OPTIM_ADADELTA_NEG_LR], delta, p); /* param.add_(delta, alpha=-lr) */
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adamax.html
 *   g = g + wd*p;  m = beta1*m + (1 - beta1)*g;  u = max(beta2*u, |g| + eps);
 *   p = p - (lr / (1 - beta1^step)) * m / u */
OPTIM_INLINE void optim_update_adamax(const optim_step *st, size_t i, float *params,
                                      const float *grads, float *exp_avg, float *exp_inf)
{
    float p = params[i];
    float g = grads[i];
    if (st->weight_decay != 0.0f) g = optim_fma(st->weight_decay, p, g);
    /* exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1) */
    float m = optim_first_moment(exp_avg[i], g, st->c[OPTIM_ADAMAX_BETA1],
                                 st->c[OPTIM_ADAMAX_ONE_MINUS_BETA1]);
    /* torch.amax(cat([exp_inf.mul_(beta2), grad.abs().add_(eps)]), 0): NaN wins */
    float u = optim_maximum(optim_mul(exp_inf[i], st->c[OPTIM_ADAMAX_BETA2]),
                            optim_add(fabsf(g), st->c[OPTIM_ADAMAX_EPS]));
    exp_avg[i] = m;
    exp_inf[i] = u;
    /* param.addcdiv_(exp_avg, exp_inf, value=-clr) */
    params[i] = optim_add(p, optim_div(optim_mul(st->c[OPTIM_ADAMAX_NEG_CLR], m), u));
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.NAdam.html
 *   g = g + wd*p;  m = beta1*m + (1 - beta1)*g;  v = beta2*v + (1 - beta2)*g*g;
 *   denom = sqrt(v / (1 - beta2^step)) + eps;
 *   p = p - lr*(1 - mu)/(1 - mu_product) * g/denom - lr*mu_next/(1 - mu_product_next) * m/denom
 *   (mu, mu_next, the products: optim_prepare_step) */
OPTIM_INLINE void optim_update_nadam(const optim_step *st, size_t i, float *params,
                                     const float *grads, float *exp_avg, float *exp_avg_sq)
{
    float p = params[i];
    float g = grads[i];
    if (st->weight_decay != 0.0f) g = optim_fma(st->weight_decay, p, g);
    float m = optim_first_moment(exp_avg[i], g, st->c[OPTIM_NADAM_BETA1],
                                 st->c[OPTIM_NADAM_ONE_MINUS_BETA1]);
    float v = optim_second_moment(exp_avg_sq[i], g, st->c[OPTIM_NADAM_BETA2],
                                  st->c[OPTIM_NADAM_ONE_MINUS_BETA2]);
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    /* exp_avg_sq.div(bias_correction2).sqrt().add_(eps) */
    float denom = optim_add(optim_sqrt(optim_div(v, st->c[OPTIM_NADAM_BC2])), st->c[OPTIM_NADAM_EPS]);
    /* param.addcdiv_(grad, denom, value=...); param.addcdiv_(exp_avg, denom, value=...) */
    p = optim_add(p, optim_div(optim_mul(st->c[OPTIM_NADAM_GRAD_COEF], g), denom));
    params[i] = optim_add(p, optim_div(optim_mul(st->c[OPTIM_NADAM_AVG_COEF], m), denom));
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.RAdam.html
 *   g = g + wd*p;  m = beta1*m + (1 - beta1)*g;  v = beta2*v + (1 - beta2)*g*g;
 *   mhat = m / (1 - beta1^step);  rho_t > 5 (rectify): p = p - mhat*lr*(sqrt(1 - beta2^step) /
 *   (sqrt(v) + eps))*rect;  else p = p - mhat*lr */
OPTIM_INLINE void optim_update_radam(const optim_step *st, size_t i, float *params,
                                     const float *grads, float *exp_avg, float *exp_avg_sq)
{
    float p = params[i];
    float g = grads[i];
    if (st->weight_decay != 0.0f) g = optim_fma(st->weight_decay, p, g);
    float m = optim_first_moment(exp_avg[i], g, st->c[OPTIM_RADAM_BETA1],
                                 st->c[OPTIM_RADAM_ONE_MINUS_BETA1]);
    float v = optim_second_moment(exp_avg_sq[i], g, st->c[OPTIM_RADAM_BETA2],
                                  st->c[OPTIM_RADAM_ONE_MINUS_BETA2]);
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    float update = optim_mul(optim_div(m, st->c[OPTIM_RADAM_BC1]), st->lr); /* exp_avg / bc1 * lr */
    if (st->rectify) {
        /* math.sqrt(bc2) / exp_avg_sq.sqrt().add_(eps): Tensor.__rtruediv__ is
         * reciprocal() * other */
        float adaptive = optim_mul(optim_div(1.0f, optim_add(optim_sqrt(v), st->c[OPTIM_RADAM_EPS])),
                                   st->c[OPTIM_RADAM_BC2_SQRT]);
        update = optim_mul(optim_mul(update, adaptive), st->c[OPTIM_RADAM_RECT]);
    }
    params[i] = optim_fma(-1.0f, update, p); /* param.add_(..., alpha=-1.0) */
}

/* torch.sign as its AVX2 kernel computes it: (0 < x) - (x < 0), so NaN and -0 give 0 */
OPTIM_INLINE float optim_sign(float x) { return (float)((0.0f < x) - (x < 0.0f)); }

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Rprop.html
 *   s = sign(g * prev);  step_size = clamp(step_size * (etaplus | etaminus | 1), min, max);
 *   g = 0 where s < 0;  p = p - sign(g) * step_size;  prev = g.
 *   step_size starts as the lr of the first step (torch fills it then). */
OPTIM_INLINE void optim_update_rprop(const optim_step *st, size_t i, float *params,
                                     const float *grads, float *prev, float *step_size)
{
    const float etaminus = st->c[OPTIM_RPROP_ETAMINUS];
    float g = grads[i];
    float sign = optim_sign(optim_mul(g, prev[i])); /* grad.mul(prev).sign() */
    float factor = sign > 0.0f ? st->c[OPTIM_RPROP_ETAPLUS] : sign < 0.0f ? etaminus : 1.0f;
    float ss = optim_mul(st->first_step ? st->lr : step_size[i], factor);
    /* clamp_(min, max): NaN stays NaN */
    ss = ss < st->c[OPTIM_RPROP_STEP_MIN] ? st->c[OPTIM_RPROP_STEP_MIN] : ss;
    ss = st->c[OPTIM_RPROP_STEP_MAX] < ss ? st->c[OPTIM_RPROP_STEP_MAX] : ss;
    step_size[i] = ss;
    if (factor == etaminus) g = 0.0f; /* grad[sign.eq(etaminus)] = 0 */
    params[i] = optim_fma(-optim_sign(g), ss, params[i]); /* param.addcmul_(grad.sign(), ss, value=-1) */
    prev[i] = g;
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.ASGD.html
 *   g = g + wd*p;  p = p * (1 - lambd*eta);  p = p - eta*g;
 *   ax = p (while mu == 1) | ax + (p - ax)*mu;  (eta, mu per step: optim_prepare_step) */
OPTIM_INLINE void optim_update_asgd(const optim_step *st, size_t i, float *params,
                                    const float *grads, float *ax)
{
    float p = params[i];
    float g = grads[i];
    if (st->weight_decay != 0.0f) g = optim_fma(st->weight_decay, p, g);
    p = optim_mul(p, st->c[OPTIM_ASGD_DECAY]);          /* param.mul_(1 - lambd * eta) */
    p = optim_fma(st->c[OPTIM_ASGD_NEG_ETA], g, p);     /* param.add_(grad, alpha=-eta) */
    params[i] = p;
    /* ax.add_(param.sub(ax).mul(mu)) | ax.copy_(param) */
    ax[i] = st->copy_average ? p
                             : optim_add(ax[i], optim_mul(optim_add(p, -ax[i]), st->c[OPTIM_ASGD_MU]));
}

/* The update of element i: params[i] from grads[i] and its state (n = elements; the slots
 * as listed above optim_state_slots). */
OPTIM_INLINE void optim_update_element(const optim_step *st, size_t i, size_t n,
                                       float *params, const float *grads, float *state)
{
    switch (st->kind) {
    case OPTIM_SGD:
        optim_update_sgd(st, i, params, grads, state);
        break;
    case OPTIM_ADAGRAD:
        optim_update_adagrad(st, i, params, grads, state);
        break;
    case OPTIM_RMSPROP:
        optim_update_rmsprop(st, i, params, grads, state, state + n,
                             state + (size_t)(1 + st->has_momentum) * n);
        break;
    case OPTIM_ADADELTA:
        optim_update_adadelta(st, i, params, grads, state, state + n);
        break;
    case OPTIM_ADAMAX:
        optim_update_adamax(st, i, params, grads, state, state + n);
        break;
    case OPTIM_NADAM:
        optim_update_nadam(st, i, params, grads, state, state + n);
        break;
    case OPTIM_RADAM:
        optim_update_radam(st, i, params, grads, state, state + n);
        break;
    case OPTIM_RPROP:
        optim_update_rprop(st, i, params, grads, state, state + n);
        break;
    case OPTIM_ASGD:
        optim_update_asgd(st, i, params, grads, state);
        break;
    default: /* adam, adamw */
        optim_update_adam(st, i, params, grads, state, state + n, state + 2 * n);
        break;
    }
}

#ifdef __cplusplus
}
#endif
#endif
