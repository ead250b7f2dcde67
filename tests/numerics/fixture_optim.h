/* fixture_optim.h — the header line of one optimizer case of optim_steps.txt
 * (tests/reference/gen_reference.py): "case NAME KIND <13 settings> n N steps S slots K",
 * read the same way by test_optim.c (CPU) and device_check.cu (the rules in a kernel). */
#ifndef OPTSWEEP_TESTS_FIXTURE_OPTIM_H
#define OPTSWEEP_TESTS_FIXTURE_OPTIM_H

#include "fixture_text.h"
#include "optim.h"

typedef struct {
    char name[64];
    optim_settings o;
    size_t n;     /* parameters, 1..4096 */
    int steps;
    int slots;    /* state buffers torch keeps, 0..OPTIM_MAX_SLOTS */
} fixture_optim_case;

static inline int fixture_optim_kind(const char *w, optim_kind *k)
{
    static const char *const names[] = {"sgd", "adagrad", "rmsprop", "adam", "adamw"};
    static const optim_kind kinds[] = {OPTIM_SGD, OPTIM_ADAGRAD, OPTIM_RMSPROP, OPTIM_ADAM,
                                       OPTIM_ADAMW};
    for (int i = 0; i < 5; i++)
        if (strcmp(w, names[i]) == 0) {
            *k = kinds[i];
            return 0;
        }
    return -1;
}

/* Reads the rest of a `case` record into c; 0, or -1 with t->bad set (and reported). */
static inline int fixture_read_optim_case(fixture_text *t, fixture_optim_case *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", fixture_word(t));
    optim_settings *o = &c->o;
    if (fixture_optim_kind(fixture_word(t), &o->kind) != 0) fixture_error(t, "unknown kind");
    o->lr = fixture_double(t);
    o->momentum = fixture_double(t);
    o->dampening = fixture_double(t);
    o->weight_decay = fixture_double(t);
    o->nesterov = (int)fixture_double(t);
    o->lr_decay = fixture_double(t);
    o->initial_accumulator_value = fixture_double(t);
    o->eps = fixture_double(t);
    o->alpha = fixture_double(t);
    o->centered = (int)fixture_double(t);
    o->beta1 = fixture_double(t);
    o->beta2 = fixture_double(t);
    o->amsgrad = (int)fixture_double(t);
    if (fixture_expect(t, "n") != 0) return -1;
    long long n = fixture_int(t);
    fixture_word(t); /* "steps" */
    c->steps = (int)fixture_int(t);
    fixture_word(t); /* "slots" */
    c->slots = (int)fixture_int(t);
    if (t->bad || n < 1 || n > 4096 || c->slots < 0 || c->slots > OPTIM_MAX_SLOTS) {
        fixture_error(t, "bad case header");
        return -1;
    }
    c->n = (size_t)n;
    return 0;
}

/* The next case of the file into c: 1, or 0 at its end, or -1 (t->bad set) on anything but a
 * well-formed `case` record. */
static inline int fixture_next_optim_case(fixture_text *t, fixture_optim_case *c)
{
    const char *rec = t->bad ? NULL : fixture_next_record(t);
    if (!rec) return t->bad ? -1 : 0;
    if (strcmp(rec, "case") != 0) {
        fixture_error(t, "expected `case`");
        return -1;
    }
    return fixture_read_optim_case(t, c) == 0 ? 1 : -1;
}

#endif
