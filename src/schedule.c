/* schedule.c — torch 1.13's lr schedulers (StepLR, MultiStepLR, ExponentialLR,
 * CosineAnnealingLR, LinearLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR,
 * OneCycleLR, the
 * SequentialLR warm-up chain, and ReduceLROnPlateau over the validation history), replayed in
 * double with the same formulas, in the same order of operations, as
 * torch/optim/lr_scheduler.py, so the lr equals PyTorch's to the last bit or so (libm's cos
 * and pow are the only functions involved). */
#include "schedule.h"

#include <math.h>
#include <string.h>

/* Python's math.pi, the double nearest pi (M_PI is not in strict C11) */
static const double SCHEDULE_PI = 3.141592653589793;

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.LinearLR.html
 * LinearLR.get_lr (chainable form) at last_epoch k, from the group's current lr. */
static double linear_get_lr(double start, double end, int total_iters, double lr, long k)
{
    if (k == 0) return lr * start;
    if (k > total_iters) return lr;
    return lr * (1.0 + (end - start) /
                           ((double)total_iters * start + (double)(k - 1) * (end - start)));
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.ConstantLR.html
 * ConstantLR.get_lr (chainable) at last_epoch k from the group's current lr. */
static double constant_get_lr(const schedule_settings *s, double lr, long k)
{
    if (k == 0) return lr * s->factor;
    if (k != s->total_iters) return lr;
    return lr * (1.0 / s->factor);
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.PolynomialLR.html
 * decay_factor = ((1 - k / T) / (1 - (k - 1) / T)) ** power for 0 < k <= T */
static double polynomial_get_lr(const schedule_settings *s, double lr, long k)
{
    if (k == 0 || k > s->total_iters) return lr;
    const double T = (double)s->total_iters;
    return lr * pow((1.0 - (double)k / T) / (1.0 - (double)(k - 1) / T), s->power);
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.CosineAnnealingWarmRestarts.html
 * After k steps from construction: T_cur counts up by one per step and, on reaching T_i, drops
 * by T_i while T_i grows by T_mult (step() without an epoch; the cycles are skipped whole
 * here).  lr = eta_min + (base - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, not chainable. */
static double warm_restarts_lr(const schedule_settings *s, double base, long k)
{
    double T_cur = (double)k, T_i = (double)s->T_0;
    while (T_cur >= T_i) {
        T_cur -= T_i;
        T_i *= (double)s->T_mult;
    }
    return s->eta_min + (base - s->eta_min) * (1.0 + cos(SCHEDULE_PI * T_cur / T_i)) / 2.0;
}

/* How many times k appears among the milestones (MultiStepLR keeps a Counter, so a repeated
 * milestone multiplies by gamma ** count). */
static int milestone_count(const schedule_settings *s, long k)
{
    int c = 0;
    for (int j = 0; j < s->n_milestones; j++) c += s->milestones[j] == k;
    return c;
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.CyclicLR.html
 * CyclicLR.get_lr at last_epoch k: cycle = floor(1 + k / total_size);
 * x = 1 + k / total_size - cycle; scale = x / step_ratio or (x - 1) / (step_ratio - 1);
 * lr = base_lr + (max_lr - base_lr) * scale * scale_fn; momentum = max_momentum -
 * (max_momentum - base_momentum) * scale * scale_fn; scale_fn: 1 (triangular),
 * 1 / 2 ** (cycle - 1) (triangular2, of the cycle), gamma ** k (exp_range, of k). */
static double cyclic_value(const schedule_settings *s, long k, double *momentum)
{
    const double up = (double)s->step_size_up;
    const double down = s->step_size_down > 0 ? (double)s->step_size_down : up;
    const double total_size = up + down, step_ratio = up / total_size;
    const double cycle = floor(1.0 + (double)k / total_size);
    const double x = 1.0 + (double)k / total_size - cycle;
    const double scale_factor = x <= step_ratio ? x / step_ratio : (x - 1.0) / (step_ratio - 1.0);
    double fn;
    if (s->mode == CYCLIC_TRIANGULAR2) fn = 1.0 / pow(2.0, cycle - 1.0);
    else if (s->mode == CYCLIC_EXP_RANGE) fn = pow(s->gamma, (double)k);
    else fn = 1.0;
    const double base_height = (s->max_lr - s->base_lr) * scale_factor;
    if (momentum) {
        const double mh = (s->max_momentum - s->base_momentum) * scale_factor;
        *momentum = s->max_momentum - mh * fn;
    }
    return s->base_lr + base_height * fn;
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.OneCycleLR.html
 * _annealing_cos: end + (start - end) / 2.0 * (cos(pi * pct) + 1);
 * _annealing_linear: (end - start) * pct + start */
static double one_cycle_anneal(const schedule_settings *s, double start, double end, double pct)
{
    if (s->anneal_strategy == ANNEAL_LINEAR) return (end - start) * pct + start;
    const double cos_out = cos(SCHEDULE_PI * pct) + 1.0;
    return end + (start - end) / 2.0 * cos_out;
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.OneCycleLR.html
 * OneCycleLR.get_lr at step_num k: initial_lr = max_lr / div_factor, min_lr = initial_lr /
 * final_div_factor; phases end at pct_start * T - 1 (up), [2 * pct_start * T - 2 (down, three
 * phases)], T - 1; pct = (k - start_step) / (end_step - start_step) in the first phase with
 * k <= end_step (or the last).  k > total_steps raises in PyTorch: NAN here. */
static double one_cycle_value(const schedule_settings *s, long k, double *momentum)
{
    const double T = (double)s->total_steps;
    const double initial_lr = s->max_lr / s->div_factor;
    const double min_lr = initial_lr / s->final_div_factor;
    const double hi_m = s->max_momentum, lo_m = s->base_momentum;
    /* {end_step, start_lr, end_lr, start_momentum, end_momentum} */
    double ph[3][5];
    int n_ph;
    if (s->three_phase) {
        const double a[3][5] = {{s->pct_start * T - 1.0, initial_lr, s->max_lr, hi_m, lo_m},
                                {2.0 * s->pct_start * T - 2.0, s->max_lr, initial_lr, lo_m, hi_m},
                                {T - 1.0, initial_lr, min_lr, hi_m, hi_m}};
        memcpy(ph, a, sizeof a);
        n_ph = 3;
    } else {
        const double a[2][5] = {{s->pct_start * T - 1.0, initial_lr, s->max_lr, hi_m, lo_m},
                                {T - 1.0, s->max_lr, min_lr, lo_m, hi_m}};
        memcpy(ph, a, sizeof a);
        n_ph = 2;
    }
    if (k > s->total_steps) {
        if (momentum) *momentum = NAN;
        return NAN;
    }
    const double step_num = (double)k;
    double start_step = 0.0;
    for (int i = 0; i < n_ph; i++) {
        const double end_step = ph[i][0];
        if (step_num <= end_step || i == n_ph - 1) {
            const double pct = (step_num - start_step) / (end_step - start_step);
            if (momentum) *momentum = one_cycle_anneal(s, ph[i][3], ph[i][4], pct);
            return one_cycle_anneal(s, ph[i][1], ph[i][2], pct);
        }
        start_step = end_step;
    }
    return NAN; /* not reached */
}

/* The main scheduler's get_lr() at last_epoch k (k = 0 is the step made by construction).
 * `lr` is the group's current lr, `base` its initial_lr. */
static double main_get_lr(const schedule_settings *s, double base, double lr, long k)
{
    switch (s->kind) {
    case SCHEDULE_NONE:
    case SCHEDULE_KIND_COUNT:
        return lr;
    case SCHEDULE_STEP:
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.StepLR.html */
        if (k == 0 || k % s->step_size != 0) return lr;
        return lr * s->gamma;
    case SCHEDULE_MULTISTEP: {
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.MultiStepLR.html */
        int c = milestone_count(s, k);
        if (c == 0) return lr;
        return lr * pow(s->gamma, (double)c); /* Python: gamma ** count */
    }
    case SCHEDULE_EXPONENTIAL:
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.ExponentialLR.html */
        if (k == 0) return lr;
        return lr * s->gamma;
    case SCHEDULE_COSINE: {
        /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.CosineAnnealingLR.html
         * The recursive form; PyTorch's `_step_count == 1 and last_epoch > 0` branch only
         * runs for a scheduler built with last_epoch >= 0, which we never do. */
        const double T = (double)s->T_max, eta_min = s->eta_min;
        if (k == 0) return lr;
        /* (k - 1 - T_max) % (2 * T_max) == 0: Python's % and C's differ in sign for a
         * negative left side, but agree on whether the remainder is zero. */
        if ((k - 1 - s->T_max) % (2L * s->T_max) == 0)
            return lr + (base - eta_min) * (1.0 - cos(SCHEDULE_PI / T)) / 2.0;
        return (1.0 + cos(SCHEDULE_PI * (double)k / T)) /
                   (1.0 + cos(SCHEDULE_PI * (double)(k - 1) / T)) * (lr - eta_min) +
               eta_min;
    }
    case SCHEDULE_LINEAR:
        return linear_get_lr(s->start_factor, s->end_factor, s->total_iters, lr, k);
    case SCHEDULE_CONSTANT:
        return constant_get_lr(s, lr, k);
    case SCHEDULE_POLYNOMIAL:
        return polynomial_get_lr(s, lr, k);
    case SCHEDULE_COSINE_WARM_RESTARTS:
        return warm_restarts_lr(s, base, k);
    case SCHEDULE_REDUCE_ON_PLATEAU: /* steps on metrics: schedule_plateau_lr */
        return lr;
    case SCHEDULE_CYCLIC:
        return cyclic_value(s, k, NULL);
    case SCHEDULE_ONE_CYCLE:
        return one_cycle_value(s, k, NULL);
    }
    return lr;
}

/* The main scheduler's _get_closed_form_lr() at last_epoch k: what scheduler.step(k) sets
 * (SequentialLR calls step(0) at its milestone).  SCHEDULE_NONE stands for a constant
 * factor of 1 (ConstantLR(factor=1) / LambdaLR(lambda e: 1)), whose value is base. */
static double main_closed_form(const schedule_settings *s, double base, long k)
{
    switch (s->kind) {
    case SCHEDULE_NONE:
    case SCHEDULE_KIND_COUNT:
        return base;
    case SCHEDULE_STEP:
        return base * pow(s->gamma, (double)(k / s->step_size));
    case SCHEDULE_MULTISTEP: {
        int c = 0; /* bisect_right(sorted(milestones), k) */
        for (int j = 0; j < s->n_milestones; j++) c += s->milestones[j] <= k;
        return base * pow(s->gamma, (double)c);
    }
    case SCHEDULE_EXPONENTIAL:
        return base * pow(s->gamma, (double)k);
    case SCHEDULE_COSINE:
        return s->eta_min +
               (base - s->eta_min) * (1.0 + cos(SCHEDULE_PI * (double)k / (double)s->T_max)) / 2.0;
    case SCHEDULE_LINEAR: {
        long m = k < s->total_iters ? k : s->total_iters;
        return base * (s->start_factor + (s->end_factor - s->start_factor) * (double)m /
                                             (double)s->total_iters);
    }
    case SCHEDULE_CONSTANT:
        return base * (s->factor + (double)(k >= s->total_iters) * (1.0 - s->factor));
    case SCHEDULE_POLYNOMIAL: {
        long m = k < s->total_iters ? k : s->total_iters;
        return base * pow(1.0 - (double)m / (double)s->total_iters, s->power);
    }
    case SCHEDULE_COSINE_WARM_RESTARTS: /* step(epoch) restarts the count at epoch */
        return warm_restarts_lr(s, base, k);
    case SCHEDULE_REDUCE_ON_PLATEAU:
        return base;
    case SCHEDULE_CYCLIC:
        return cyclic_value(s, k, NULL);
    case SCHEDULE_ONE_CYCLE:
        return one_cycle_value(s, k, NULL);
    }
    return base;
}

double schedule_lr(const schedule_settings *s, double base_lr, long n_steps)
{
    if (s->warmup_iters <= 0) {
        /* construction performs step() once (last_epoch 0), then n_steps more */
        double lr = main_get_lr(s, base_lr, base_lr, 0);
        for (long k = 1; k <= n_steps; k++) lr = main_get_lr(s, base_lr, lr, k);
        return lr;
    }
    /* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.SequentialLR.html
     * SequentialLR([warm, main], milestones=[W]) in torch 1.13:
     *  - construction resets the group lr to initial_lr and redoes warm's initial step
     *    (lr = base * warmup_start_factor); main's construction-time step is undone
     *    (its last_epoch goes back to -1) and has no lasting effect;
     *  - step number k < W steps warm (LinearLR's recursive form at last_epoch k);
     *  - at k == W it calls main.step(0): the deprecated epoch argument makes main use its
     *    CLOSED form at last_epoch 0 (base for step/exponential/cosine, base * gamma ** #
     *    milestones at 0 for multistep, base * start_factor for linear), discarding the
     *    warm-up's last lr rather than continuing from it;
     *  - at k > W main.step() continues recursively at last_epoch k - W from that lr.
     * So warm's own step at last_epoch W (which would reach base * 1.0) never runs. */
    const int W = s->warmup_iters;
    double lr = linear_get_lr(s->warmup_start_factor, 1.0, W, base_lr, 0);
    for (long k = 1; k <= n_steps; k++) {
        if (k < W)
            lr = linear_get_lr(s->warmup_start_factor, 1.0, W, lr, k);
        else if (k == W)
            lr = main_closed_form(s, base_lr, 0);
        else
            lr = main_get_lr(s, base_lr, lr, k - W);
    }
    return lr;
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.lr_scheduler.ReduceLROnPlateau.html
 * step(metric): better = below best * (1 - threshold) (mode min, rel), below best - threshold
 * (min, abs), above best * (threshold + 1) (max, rel) or above best + threshold (max, abs);
 * a better metric resets the bad count, else it grows; cooldown steps count down and reset it;
 * more than `patience` bad steps: lr = max(lr * factor, min_lr) if that lowers lr by more
 * than eps, then the cooldown starts and the count resets.  A pure function of the metrics
 * seen, so a resumed run replays its logged validations and needs no scheduler state. */
static int plateau_better(const schedule_settings *s, double a, double best)
{
    if (s->mode == PLATEAU_MIN)
        return s->threshold_mode == THRESHOLD_REL ? a < best * (1.0 - s->threshold)
                                                  : a < best - s->threshold;
    return s->threshold_mode == THRESHOLD_REL ? a > best * (s->threshold + 1.0)
                                              : a > best + s->threshold;
}

double schedule_plateau_lr(const schedule_settings *s, double base_lr, const double *metrics,
                           int n)
{
    double lr = base_lr, best = s->mode == PLATEAU_MIN ? INFINITY : -INFINITY;
    int bad = 0, cooldown = 0;
    for (int i = 0; i < n; i++) {
        if (plateau_better(s, metrics[i], best)) {
            best = metrics[i];
            bad = 0;
        } else {
            bad++;
        }
        if (cooldown > 0) {
            cooldown--;
            bad = 0; /* ignore any bad epochs in cooldown */
        }
        if (bad > s->patience) {
            const double reduced = fmax(lr * s->factor, s->min_lr);
            if (lr - reduced > s->eps) lr = reduced;
            cooldown = s->cooldown;
            bad = 0;
        }
    }
    return lr;
}

double schedule_lr_of_run(const schedule_settings *s, double base_lr, long n_steps,
                          const double *val_loss, const double *val_acc, int n_val)
{
    if (s->kind == SCHEDULE_REDUCE_ON_PLATEAU)
        return schedule_plateau_lr(s, base_lr, s->monitor == MONITOR_VAL_ACC ? val_acc : val_loss,
                                   n_val);
    return schedule_lr(s, base_lr, n_steps);
}

int schedule_cycles_momentum(const schedule_settings *s)
{
    return (s->kind == SCHEDULE_CYCLIC || s->kind == SCHEDULE_ONE_CYCLE) && s->cycle_momentum;
}

double schedule_value(const schedule_settings *s, double base_lr, long n_steps, double *momentum)
{
    double m = NAN, lr;
    if (s->kind == SCHEDULE_CYCLIC && s->warmup_iters <= 0)
        lr = cyclic_value(s, n_steps, &m);
    else if (s->kind == SCHEDULE_ONE_CYCLE && s->warmup_iters <= 0)
        lr = one_cycle_value(s, n_steps, &m);
    else
        lr = schedule_lr(s, base_lr, n_steps);
    if (momentum) *momentum = schedule_cycles_momentum(s) ? m : NAN;
    return lr;
}

void schedule_fill_steps(const schedule_settings *s, double base_lr, long n0, long n, double *lr,
                         double *momentum)
{
    if (s->kind == SCHEDULE_CYCLIC || s->kind == SCHEDULE_ONE_CYCLE) {
        for (long i = 0; i < n; i++) {
            double m;
            lr[i] = schedule_value(s, base_lr, n0 + i, &m);
            if (momentum) momentum[i] = m;
        }
        return;
    }
    /* the recursive forms: replay once, then continue step by step (as schedule_lr does) */
    for (long i = 0; i < n; i++) {
        if (momentum) momentum[i] = NAN;
    }
    if (n <= 0) return;
    if (s->warmup_iters > 0 || s->kind == SCHEDULE_REDUCE_ON_PLATEAU) {
        for (long i = 0; i < n; i++) lr[i] = schedule_lr(s, base_lr, n0 + i);
        return;
    }
    double cur = main_get_lr(s, base_lr, base_lr, 0);
    for (long k = 1; k <= n0; k++) cur = main_get_lr(s, base_lr, cur, k);
    lr[0] = cur;
    for (long i = 1; i < n; i++) {
        cur = main_get_lr(s, base_lr, cur, n0 + i);
        lr[i] = cur;
    }
}
