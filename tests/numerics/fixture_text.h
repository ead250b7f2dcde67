/* fixture_text.h — reading the whitespace-separated text fixtures that
 * tests/reference/gen_reference.py writes (one record per line, first word = record type).
 * Static helpers for the numerics tests only; every number goes through strtod/strtoull with
 * an end-pointer check, and a malformed fixture is a test failure, never a crash. */
#ifndef OPTSWEEP_TESTS_FIXTURE_TEXT_H
#define OPTSWEEP_TESTS_FIXTURE_TEXT_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "settings_value.h"

typedef struct {
    FILE *f;
    const char *path;
    char *line;     /* the current line (getline buffer) */
    size_t cap;
    char *cursor;   /* next unread character of `line` */
    long line_no;
    int bad;        /* set by any parse error (reported once, with the line number) */
} fixture_text;

static inline int fixture_open(fixture_text *t, const char *path)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->f = fopen(path, "r");
    if (!t->f) {
        fprintf(stderr, "%s: cannot open: %s (run tests/reference/gen_reference.py?)\n", path,
                strerror(errno));
        return -1;
    }
    return 0;
}

static inline void fixture_close(fixture_text *t)
{
    if (t->f) fclose(t->f);
    free(t->line);
    t->f = NULL;
    t->line = NULL;
}

static inline void fixture_error(fixture_text *t, const char *what)
{
    if (!t->bad) fprintf(stderr, "%s:%ld: %s\n", t->path, t->line_no, what);
    t->bad = 1;
}

/* Next non-comment line; returns its first word (the record type) or NULL at EOF. */
static inline const char *fixture_next_record(fixture_text *t)
{
    for (;;) {
        ssize_t len = getline(&t->line, &t->cap, t->f);
        if (len < 0) return NULL;
        t->line_no++;
        char *s = t->line;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '#' || *s == '\n' || *s == '\0') continue;
        t->cursor = s;
        char *end = s;
        while (*end && *end != ' ' && *end != '\n') end++;
        if (*end) *end++ = '\0';
        t->cursor = end;
        return s;
    }
}

/* The next word of the current line, or "" (and a parse error) when there is none. */
static inline const char *fixture_word(fixture_text *t)
{
    char *s = t->cursor;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\0' || *s == '\n') {
        fixture_error(t, "line ends too early");
        return "";
    }
    char *end = s;
    while (*end && *end != ' ' && *end != '\n' && *end != '\t') end++;
    if (*end) *end++ = '\0';
    t->cursor = end;
    return s;
}

static inline double fixture_double(fixture_text *t)
{
    const char *w = fixture_word(t);
    char *end;
    errno = 0;
    double v = strtod(w, &end);
    if (end == w || *end != '\0') fixture_error(t, "expected a number");
    return v;
}

static inline long long fixture_int(fixture_text *t)
{
    const char *w = fixture_word(t);
    char *end;
    errno = 0;
    long long v = strtoll(w, &end, 10);
    if (end == w || *end != '\0' || errno) fixture_error(t, "expected an integer");
    return v;
}

static inline uint64_t fixture_u64(fixture_text *t)
{
    const char *w = fixture_word(t);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(w, &end, 10);
    if (end == w || *end != '\0' || errno) fixture_error(t, "expected an unsigned integer");
    return (uint64_t)v;
}

/* n float32 values written as 8-hex-digit bit patterns. */
static inline void fixture_floats_hex(fixture_text *t, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *w = fixture_word(t);
        char *end;
        unsigned long v = strtoul(w, &end, 16);
        if (end == w || *end != '\0' || strlen(w) != 8) {
            fixture_error(t, "expected an 8-digit hex float32 pattern");
            v = 0;
        }
        uint32_t u = (uint32_t)v;
        memcpy(&out[i], &u, sizeof u);
    }
}

/* Expects the next record to be `type`; returns 0, or -1 with a parse error. */
static inline int fixture_expect(fixture_text *t, const char *type)
{
    const char *r = fixture_next_record(t);
    if (!r || strcmp(r, type) != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "expected a `%s` record, got `%s`", type, r ? r : "EOF");
        fixture_error(t, msg);
        return -1;
    }
    return 0;
}

/* The rest of the line as `key=value` words named by setting keys ("optimizer.lr=0.01",
 * "optimizer.betas=0.9,0.999", "optimizer.nesterov=1"), each parsed and bound-checked as a
 * sweep file's value would be and stored into *s.  Returns the number of keys, or -1 (and a
 * parse error) on an unknown key or a bad value. */
static inline int fixture_settings_words(fixture_text *t, run_settings *s)
{
    int count = 0;
    for (;;) {
        char *c = t->cursor;
        while (*c == ' ' || *c == '\t') c++;
        if (*c == '\0' || *c == '\n') return count;
        char word[512], err[256];
        snprintf(word, sizeof word, "%s", fixture_word(t));
        char *eq = strchr(word, '=');
        int k = eq ? (*eq = '\0', settings_find_key(word)) : -1;
        if (k < 0) {
            fixture_error(t, "expected key=value with a setting key");
            return -1;
        }
        const char *text = eq + 1;
        setting_value v;
        setting_value_init(&v);
        int rc = 0;
        setting_type type = settings_key_type(k);
        if (type == SETTING_INT_LIST || type == SETTING_DOUBLE_LIST) {
            for (char *item = strtok(eq + 1, ","); item && rc == 0; item = strtok(NULL, ","))
                rc = settings_parse_element(k, item, &v, err, sizeof err);
            /* no settings_check_list: the fixtures repeat milestones (torch counts them),
             * which sweep files may not (config's rule, tested in tests/config) */
        } else {
            if (type == SETTING_BOOL && (!strcmp(text, "0") || !strcmp(text, "1")))
                text = text[0] == '1' ? "true" : "false";
            rc = settings_parse_scalar(k, text, &v, err, sizeof err);
        }
        if (rc == 0) settings_apply_value(s, k, &v);
        setting_value_free(&v);
        if (rc != 0) {
            fixture_error(t, err);
            return -1;
        }
        count++;
    }
}

#endif
