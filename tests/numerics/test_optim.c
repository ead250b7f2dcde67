/* test_optim.c — the optimizer update rules (src/optim.h, optim.c), two ways:
 *  1. closed-form cases worked out by hand (lr = 1, beta = 0, single elements): first-step
 *     momentum without dampening, dampening, Nesterov, weight decay, Adagrad's lr_decay and
 *     initial accumulator with eps after the square root, RMSprop centered + momentum, Adam's
 *     bias correction at steps 1 and 2, AdamW's decoupled decay, AMSGrad's running max.
 *     Tolerance: exact where every intermediate is a small dyadic number (they are chosen so);
 *     else 2e-7 relative against the formula in double (a handful of float roundings).
 *  2. tests/reference/fixtures/optim_steps.txt: four steps of torch 1.13 on 37-element float32
 *     tensors, every optimizer option.  Tolerance: NONE — every float operation of the rule is
 *     one IEEE rounding in the same order as torch's CPU kernels, so params and state must
 *     match bit for bit, through optim_update_range (the CPU loop, FMA clone where the CPU has
 *     it) and optim_update_element (the shared per-element rule) alike.
 * Usage: test_optim FIXTURE_DIR.  Exit status 1 on any mismatch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture_optim.h"
#include "optim.h"

static int failures;
static int checks;

static void check_close(const char *what, double got, double want, double rel)
{
    checks++;
    double tol = rel * fabs(want);
    if (!(fabs(got - want) <= tol)) {
        failures++;
        printf("FAIL %-52s got %.9g want %.9g (tol %.3g)\n", what, got, want, tol);
    }
}

static void check_exact(const char *what, double got, double want)
{
    check_close(what, got, want, 0.0);
}

static optim_settings defaults(optim_kind kind)
{
    optim_settings o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    o.lr = 1.0;
    o.eps = kind == OPTIM_ADAGRAD ? 1e-10 : 1e-8;
    o.alpha = 0.99;
    o.beta1 = 0.9;
    o.beta2 = 0.999;
    return o;
}

/* One step on n elements through optim_update_range and, on copies, optim_update_element;
 * the two must agree bit for bit. */
static void step(const optim_settings *o, double lr, long k, float *p, const float *g,
                 float *state, size_t n)
{
    optim_step st;
    optim_prepare_step(o, lr, k, &st);
    const size_t slots = (size_t)optim_state_slots(o);
    float p2[8], s2[8 * OPTIM_MAX_SLOTS];
    memcpy(p2, p, n * sizeof(float));
    memcpy(s2, state, slots * n * sizeof(float));
    optim_update_range(&st, 0, n, n, p, g, state);
    for (size_t i = 0; i < n; i++) optim_update_element(&st, i, n, p2, g, s2);
    checks++;
    if (memcmp(p, p2, n * sizeof(float)) != 0 || memcmp(state, s2, slots * n * sizeof(float))) {
        failures++;
        printf("FAIL optim_update_range and optim_update_element differ (kind %d)\n", o->kind);
    }
}

static void test_slots_and_init(void)
{
    optim_settings o = defaults(OPTIM_SGD);
    check_exact("slots sgd", optim_state_slots(&o), 0);
    o.momentum = 0.9;
    check_exact("slots sgd momentum", optim_state_slots(&o), 1);
    o = defaults(OPTIM_ADAGRAD);
    check_exact("slots adagrad", optim_state_slots(&o), 1);
    o.initial_accumulator_value = 0.25;
    float s[3] = {9, 9, 9};
    optim_state_init(&o, s, 3);
    check_exact("adagrad initial_accumulator_value", s[2], 0.25);
    o = defaults(OPTIM_RMSPROP);
    check_exact("slots rmsprop", optim_state_slots(&o), 1);
    o.centered = 1;
    o.momentum = 0.5;
    check_exact("slots rmsprop centered momentum", optim_state_slots(&o), 3);
    o = defaults(OPTIM_ADAM);
    check_exact("slots adam", optim_state_slots(&o), 2);
    o.amsgrad = 1;
    check_exact("slots adam amsgrad", optim_state_slots(&o), 3);
    float z[6] = {1, 1, 1, 1, 1, 1};
    optim_state_init(&o, z, 2);
    check_exact("adam state starts at zero", z[0] + z[5], 0.0);
    o = defaults(OPTIM_ADAMW);
    check_exact("slots adamw", optim_state_slots(&o), 2);
    optim_step st;
    optim_prepare_step(&o, 1.0, 1, &st);
    check_exact("first_step at step 1", st.first_step, 1);
    optim_prepare_step(&o, 1.0, 2, &st);
    check_exact("first_step at step 2", st.first_step, 0);
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.SGD.html */
static void test_sgd(void)
{
    optim_settings o = defaults(OPTIM_SGD);
    float p[1] = {1}, g[1] = {0.5f}, s[1] = {0};
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("sgd lr 1: p - g", p[0], 0.5);
    p[0] = 1;
    step(&o, 0.5, 1, p, g, s, 1);
    check_exact("sgd lr 0.5", p[0], 0.75);

    o.weight_decay = 0.5; /* d = g + wd p = 1 + 1 */
    p[0] = 2;
    g[0] = 1;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("sgd weight decay: p - (g + wd p)", p[0], 0.0);

    /* momentum 0.5, dampening 0.5: buf starts as the gradient itself (no dampening) */
    o = defaults(OPTIM_SGD);
    o.momentum = 0.5;
    o.dampening = 0.5;
    p[0] = 10;
    s[0] = 123; /* the first step must not read the buffer */
    g[0] = 1;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("sgd first step: buf = g, undampened", s[0], 1.0);
    check_exact("sgd first step: p - buf", p[0], 9.0);
    g[0] = 2;
    step(&o, 1.0, 2, p, g, s, 1);
    check_exact("sgd step 2: buf = 0.5*1 + (1-0.5)*2", s[0], 1.5);
    check_exact("sgd step 2: p", p[0], 7.5);
    g[0] = 0;
    step(&o, 1.0, 3, p, g, s, 1);
    check_exact("sgd step 3: buf decays", s[0], 0.75);
    check_exact("sgd step 3: p", p[0], 6.75);

    /* momentum with weight decay: the decayed gradient is what the buffer clones */
    o = defaults(OPTIM_SGD);
    o.momentum = 0.5;
    o.weight_decay = 0.5;
    p[0] = 4;
    g[0] = 1;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("sgd momentum+wd step 1: buf = g + wd p = 3", s[0], 3.0);
    check_exact("sgd momentum+wd step 1: p", p[0], 1.0);
    step(&o, 1.0, 2, p, g, s, 1);
    check_exact("sgd momentum+wd step 2: buf = 1.5 + 1.5", s[0], 3.0);
    check_exact("sgd momentum+wd step 2: p", p[0], -2.0);

    /* nesterov: d = g + momentum * buf */
    o = defaults(OPTIM_SGD);
    o.momentum = 0.5;
    o.nesterov = 1;
    p[0] = 10;
    g[0] = 1;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("nesterov step 1: p - (g + 0.5 g)", p[0], 8.5);
    g[0] = 2;
    step(&o, 1.0, 2, p, g, s, 1);
    check_exact("nesterov step 2: buf = 0.5 + 2", s[0], 2.5);
    check_exact("nesterov step 2: p - (2 + 1.25)", p[0], 5.25);
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adagrad.html */
static void test_adagrad(void)
{
    optim_settings o = defaults(OPTIM_ADAGRAD);
    o.lr_decay = 1.0;
    o.eps = 0.0;
    float p[1] = {100}, g[1] = {3}, s[1];
    optim_state_init(&o, s, 1);
    step(&o, 10.0, 1, p, g, s, 1);
    check_exact("adagrad step 1: sum = 9", s[0], 9.0);
    check_exact("adagrad step 1: clr = lr, p - 10*3/3", p[0], 90.0);
    g[0] = 4;
    step(&o, 10.0, 2, p, g, s, 1);
    check_exact("adagrad step 2: sum = 25", s[0], 25.0);
    check_exact("adagrad step 2: clr = lr/(1+1*decay) = 5, p - 5*4/5", p[0], 86.0);
    g[0] = 0;
    step(&o, 10.0, 3, p, g, s, 1);
    check_exact("adagrad zero grad: no move", p[0], 86.0);

    /* eps after the square root: std = sqrt(9) + 1 = 4 (inside it would be sqrt(10)) */
    o = defaults(OPTIM_ADAGRAD);
    o.eps = 1.0;
    p[0] = 10;
    g[0] = 3;
    optim_state_init(&o, s, 1);
    step(&o, 4.0, 1, p, g, s, 1);
    check_exact("adagrad eps after sqrt: p - 4*3/(3+1)", p[0], 7.0);

    /* initial_accumulator_value 5 and weight decay 0.5: g' = 1 + 0.5*2 = 2, sum = 5 + 4 */
    o = defaults(OPTIM_ADAGRAD);
    o.eps = 0.0;
    o.initial_accumulator_value = 5.0;
    o.weight_decay = 0.5;
    optim_state_init(&o, s, 1);
    p[0] = 2;
    g[0] = 1;
    step(&o, 3.0, 1, p, g, s, 1);
    check_exact("adagrad iav+wd: sum = 5 + 2^2", s[0], 9.0);
    check_exact("adagrad iav+wd: p - 3*2/3", p[0], 0.0);

    /* lr_decay 0.1 at step 7 (not dyadic): clr = lr / 1.6 */
    o = defaults(OPTIM_ADAGRAD);
    o.lr_decay = 0.1;
    o.eps = 0.0;
    optim_state_init(&o, s, 1);
    p[0] = 0;
    g[0] = 2;
    step(&o, 1.0, 7, p, g, s, 1);
    check_close("adagrad lr_decay at step 7: -(1/1.6)*2/2", p[0], -1.0 / 1.6, 2e-7);
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.RMSprop.html */
static void test_rmsprop(void)
{
    optim_settings o = defaults(OPTIM_RMSPROP);
    o.alpha = 0.75;
    o.eps = 0.0;
    float p[1] = {10}, g[1] = {4}, s[3] = {0, 0, 0};
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("rmsprop step 1: v = 0.25*16", s[0], 4.0);
    check_exact("rmsprop step 1: p - 4/2", p[0], 8.0);
    g[0] = 2;
    step(&o, 1.0, 2, p, g, s, 1);
    check_exact("rmsprop step 2: v = 3 + 1", s[0], 4.0);
    check_exact("rmsprop step 2: p - 2/2", p[0], 7.0);

    o.eps = 1.0; /* after the square root: 4 / (2 + 1) */
    s[0] = 0;
    p[0] = 0;
    g[0] = 4;
    step(&o, 1.0, 1, p, g, s, 1);
    check_close("rmsprop eps after sqrt: -4/(2+1)", p[0], -4.0 / 3.0, 2e-7);

    o = defaults(OPTIM_RMSPROP); /* weight decay: g' = 1 + 0.5*2 = 2, v = 0.25*4 = 1 */
    o.alpha = 0.75;
    o.eps = 0.0;
    o.weight_decay = 0.5;
    s[0] = 0;
    p[0] = 2;
    g[0] = 1;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("rmsprop weight decay: p - 2/1", p[0], 0.0);

    o = defaults(OPTIM_RMSPROP); /* momentum, buffer starts at zero (not at the gradient) */
    o.alpha = 0.75;
    o.eps = 0.0;
    o.momentum = 0.5;
    memset(s, 0, sizeof s);
    p[0] = 10;
    g[0] = 4;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("rmsprop momentum step 1: buf = 0.5*0 + 4/2", s[1], 2.0);
    check_exact("rmsprop momentum step 1: p", p[0], 8.0);
    g[0] = 0;
    step(&o, 1.0, 2, p, g, s, 1);
    check_exact("rmsprop momentum step 2: buf = 0.5*2 + 0", s[1], 1.0);
    check_exact("rmsprop momentum step 2: p", p[0], 7.0);

    o = defaults(OPTIM_RMSPROP); /* centered, alpha 0.5: avg = sqrt(v - ga^2) */
    o.alpha = 0.5;
    o.eps = 0.0;
    o.centered = 1;
    memset(s, 0, sizeof s);
    p[0] = 10;
    g[0] = 2;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("rmsprop centered: v = 2", s[0], 2.0);
    check_exact("rmsprop centered: grad_avg = 1 (slot 1 without momentum)", s[1], 1.0);
    check_exact("rmsprop centered: p - 2/sqrt(2 - 1)", p[0], 8.0);

    o.momentum = 0.5; /* centered + momentum: slots v, buf, grad_avg */
    memset(s, 0, sizeof s);
    p[0] = 10;
    g[0] = 4;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("rmsprop centered+momentum step 1: v = 8", s[0], 8.0);
    check_exact("rmsprop centered+momentum step 1: grad_avg = 2 (slot 2)", s[2], 2.0);
    check_exact("rmsprop centered+momentum step 1: buf = 4/sqrt(8-4)", s[1], 2.0);
    check_exact("rmsprop centered+momentum step 1: p", p[0], 8.0);
    g[0] = 3;
    step(&o, 1.0, 2, p, g, s, 1);
    check_exact("rmsprop centered+momentum step 2: v = 4 + 4.5", s[0], 8.5);
    check_exact("rmsprop centered+momentum step 2: grad_avg = 1 + 1.5", s[2], 2.5);
    check_exact("rmsprop centered+momentum step 2: buf = 1 + 3/sqrt(8.5-6.25)", s[1], 3.0);
    check_exact("rmsprop centered+momentum step 2: p", p[0], 5.0);
}

/* reference: https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html
 * reference: https://pytorch.org/docs/1.13/generated/torch.optim.AdamW.html */
static void test_adam(void)
{
    optim_settings o = defaults(OPTIM_ADAM);
    o.beta1 = 0.5;
    o.beta2 = 0.75;
    o.eps = 0.0;
    float p[1] = {10}, g[1] = {2}, s[3] = {0, 0, 0};
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("adam step 1: m = 0.5*2", s[0], 1.0);
    check_exact("adam step 1: v = 0.25*4", s[1], 1.0);
    /* step_size = 1/(1-0.5) = 2, denom = sqrt(1)/sqrt(1-0.75) = 2: the step is lr * sign */
    check_exact("adam step 1: bias-corrected, p - lr", p[0], 9.0);
    g[0] = 4;
    step(&o, 1.0, 2, p, g, s, 1);
    check_exact("adam step 2: m = 0.5 + 2", s[0], 2.5);
    check_exact("adam step 2: v = 0.75 + 4", s[1], 4.75);
    {
        double step_size = 1.0 / (1.0 - 0.25), denom = sqrt(4.75) / sqrt(1.0 - 0.5625);
        check_close("adam step 2: bias correction 1-b^2", p[0], 9.0 - step_size * 2.5 / denom,
                    2e-7);
    }

    o = defaults(OPTIM_ADAM); /* beta = 0: m = g, v = g^2, no correction: p - lr*g/|g| */
    o.beta1 = 0.0;
    o.beta2 = 0.0;
    o.eps = 0.0;
    memset(s, 0, sizeof s);
    p[0] = 0;
    g[0] = -3;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("adam beta 0: p - g/|g|", p[0], 1.0);
    o.eps = 1.0; /* denom = 3 + 1 */
    p[0] = 0;
    step(&o, 1.0, 5, p, g, s, 1);
    check_exact("adam beta 0, eps after sqrt: -(-3)/(3+1)", p[0], 0.75);

    o = defaults(OPTIM_ADAM); /* amsgrad: the max of v, not v, when v shrinks */
    o.beta1 = 0.5;
    o.beta2 = 0.5;
    o.eps = 0.0;
    o.amsgrad = 1;
    memset(s, 0, sizeof s);
    p[0] = 10;
    g[0] = 4;
    step(&o, 1.0, 1, p, g, s, 1);
    check_exact("amsgrad step 1: max = v = 8", s[2], 8.0);
    check_close("amsgrad step 1: p - 2*2/(sqrt(8)/sqrt(0.5))", p[0], 9.0, 2e-7);
    g[0] = 0;
    step(&o, 1.0, 2, p, g, s, 1);
    check_exact("amsgrad step 2: v = 4", s[1], 4.0);
    check_exact("amsgrad step 2: max stays 8", s[2], 8.0);
    check_close("amsgrad step 2: denom from the max", p[0],
                9.0 - (1.0 / 0.75) * 1.0 / (sqrt(8.0) / sqrt(0.75)), 2e-7);

    /* coupled (adam) vs decoupled (adamw) weight decay, lr 0.5, wd 0.5, p = 2, g = 1 */
    o = defaults(OPTIM_ADAMW);
    o.beta1 = 0.5;
    o.beta2 = 0.75;
    o.eps = 0.0;
    o.weight_decay = 0.5;
    memset(s, 0, sizeof s);
    p[0] = 2;
    g[0] = 1;
    step(&o, 0.5, 1, p, g, s, 1);
    check_exact("adamw: m from the raw gradient", s[0], 0.5);
    check_exact("adamw step 1: p*(1 - 0.25) - 0.5", p[0], 1.0);
    step(&o, 0.5, 2, p, g, s, 1);
    /* p = 0.75; m = 0.75, v = 0.4375; step_size = 0.5/0.75; denom = sqrt(v)/sqrt(v) = 1 */
    check_close("adamw step 2: bias corrections", p[0], 0.75 - (0.5 / 0.75) * 0.75, 2e-7);

    o.kind = OPTIM_ADAM;
    memset(s, 0, sizeof s);
    p[0] = 2;
    step(&o, 0.5, 1, p, g, s, 1);
    check_exact("adam coupled wd: m = 0.5*(1 + 0.5*2)", s[0], 1.0);
    check_exact("adam coupled wd step 1: p - 0.5", p[0], 1.5);
}

/* ---- bit-for-bit against torch -------------------------------------------------------- */

static long ulps_apart(float a, float b)
{
    int32_t ia, ib;
    memcpy(&ia, &a, 4);
    memcpy(&ib, &b, 4);
    if (ia < 0) ia = INT32_MIN - ia;
    if (ib < 0) ib = INT32_MIN - ib;
    return labs((long)ia - (long)ib);
}

static int compare_bits(const char *cs, int k, const char *what, const float *got,
                        const float *want, size_t n)
{
    checks++;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&got[i], &want[i], sizeof(float)) != 0) {
            failures++;
            printf("FAIL torch %-18s step %d %-8s [%zu]: got %.9g want %.9g (%ld ulp)\n", cs,
                   k, what, i, got[i], want[i], ulps_apart(got[i], want[i]));
            return 1;
        }
    }
    return 0;
}

static void test_torch_steps(const char *path)
{
    fixture_text t;
    if (fixture_open(&t, path) != 0) {
        failures++;
        return;
    }
    int cases = 0;
    unsigned char seen[OPTIM_KIND_COUNT] = {0};
    fixture_optim_case c;
    while (fixture_next_optim_case(&t, &c) == 1) {
        const char *name = c.name;
        optim_settings o = c.o;
        seen[o.kind] = 1;
        size_t n = c.n;
        int steps = c.steps, slots = c.slots;
        checks++;
        if (optim_state_slots(&o) != slots) {
            failures++;
            printf("FAIL torch %s: optim_state_slots %d, torch keeps %d buffers\n", name,
                   optim_state_slots(&o), slots);
            break;
        }
        float *p = calloc(n, sizeof(float)), *p2 = calloc(n, sizeof(float));
        float *g = calloc(n, sizeof(float)), *want = calloc(n, sizeof(float));
        float *s = calloc((size_t)slots * n + 1, sizeof(float));
        float *s2 = calloc((size_t)slots * n + 1, sizeof(float));
        if (!p || !p2 || !g || !want || !s || !s2) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        if (fixture_expect(&t, "p0") == 0) fixture_floats_hex(&t, p, n);
        memcpy(p2, p, n * sizeof(float));
        optim_state_init(&o, s, n);
        optim_state_init(&o, s2, n);
        for (int k = 1; k <= steps && !t.bad; k++) {
            if (fixture_expect(&t, "step") != 0) break;
            double lr = fixture_double(&t);
            if (fixture_expect(&t, "g") != 0) break;
            fixture_floats_hex(&t, g, n);
            optim_step st;
            optim_prepare_step(&o, lr, k, &st);
            optim_update_range(&st, 0, n, n, p, g, s);
            for (size_t i = 0; i < n; i++) optim_update_element(&st, i, n, p2, g, s2);
            if (fixture_expect(&t, "p") != 0) break;
            fixture_floats_hex(&t, want, n);
            compare_bits(name, k, "param", p, want, n);
            compare_bits(name, k, "param(e)", p2, want, n);
            for (int j = 0; j < slots; j++) {
                char tag[16];
                snprintf(tag, sizeof tag, "s%d", j);
                if (fixture_expect(&t, tag) != 0) break;
                fixture_floats_hex(&t, want, n);
                char what[24];
                snprintf(what, sizeof what, "slot %d", j);
                compare_bits(name, k, what, s + (size_t)j * n, want, n);
                compare_bits(name, k, what, s2 + (size_t)j * n, want, n);
            }
        }
        free(p);
        free(p2);
        free(g);
        free(want);
        free(s);
        free(s2);
        if (fixture_expect(&t, "end") != 0) break;
        cases++;
    }
    if (t.bad) failures++;
    fixture_close(&t);
    printf("torch optimizer steps: %d cases compared bit for bit\n", cases);
    /* every optimizer.name the registry has must be in the fixture */
    const char *const *names = settings_key_enum_names(settings_find_key("optimizer.name"));
    for (int k = 0; names[k]; k++)
        if (!seen[k]) {
            failures++;
            printf("FAIL optimizer %s has no case in the fixture\n", names[k]);
        }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR (tests/reference/fixtures)\n", argv[0]);
        return 2;
    }
    test_slots_and_init();
    test_sgd();
    test_adagrad();
    test_rmsprop();
    test_adam();
    char path[4096];
    snprintf(path, sizeof path, "%s/optim_steps.txt", argv[1]);
    test_torch_steps(path);
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
