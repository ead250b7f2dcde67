/* fixture_optim.h — the header line of one optimizer case of optim_steps.txt
 * (tests/reference/gen_reference.py): "case NAME key=value..." (setting keys), then
 * "n N steps S slots K",
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

/* Reads the rest of a `case` record into c; 0, or -1 with t->bad set (and reported). */
static inline int fixture_read_optim_case(fixture_text *t, fixture_optim_case *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", fixture_word(t));
    run_settings rs;
    settings_set_defaults(&rs);
    if (fixture_settings_words(t, &rs) < 1) return -1;
    c->o = rs.optim;
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
