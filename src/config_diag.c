/* config_diag.c — collects configuration errors and prints them netplan-style:
 * "file:line:col: message", the offending source line, and a caret under the column.
 * Identical errors (same place, same text: e.g. one bad key seen by many runs) print once. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

void config_diags_init(config_diags *d) { memset(d, 0, sizeof *d); }

void config_diags_free(config_diags *d)
{
    for (int i = 0; i < d->n; i++) {
        free((char *)d->items[i].loc.file);
        free(d->items[i].msg);
    }
    free(d->items);
    for (int i = 0; i < d->n_sources; i++) {
        free(d->sources[i].path);
        free(d->sources[i].text);
    }
    free(d->sources);
    memset(d, 0, sizeof *d);
}

void config_diags_add_source(config_diags *d, const char *path, const char *text, size_t len)
{
    d->sources = xrealloc(d->sources, (size_t)(d->n_sources + 1) * sizeof *d->sources);
    struct config_source *s = &d->sources[d->n_sources++];
    s->path = xstrdup(path);
    s->text = xmalloc(len + 1);
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    s->len = len;
}

static int same_loc(config_loc a, config_loc b)
{
    return a.line == b.line && a.col == b.col &&
           strcmp(a.file ? a.file : "", b.file ? b.file : "") == 0;
}

/* Adds one error unless the same one is there already; 1 when added. */
static int add(config_diags *d, config_loc loc, const char *msg, int about_set_key)
{
    for (int i = 0; i < d->n; i++)
        if (same_loc(d->items[i].loc, loc) && strcmp(d->items[i].msg, msg) == 0) return 0;
    if (d->n >= CONFIG_MAX_DIAGS) {
        d->n_dropped++;
        return 0;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->items = xrealloc(d->items, (size_t)d->cap * sizeof *d->items);
    }
    config_diag *g = &d->items[d->n++];
    g->loc = loc;
    g->loc.file = xstrdup(loc.file ? loc.file : "");
    g->msg = xstrdup(msg);
    g->about_set_key = about_set_key;
    return 1;
}

static void vadd(config_diags *d, config_loc loc, int about_set_key, const char *fmt,
                 va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    add(d, loc, msg, about_set_key);
}

void config_error(config_diags *d, config_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(d, loc, 0, fmt, ap);
    va_end(ap);
}

void config_error_key(config_diags *d, config_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(d, loc, 1, fmt, ap);
    va_end(ap);
}

void config_diags_add_key_errors(config_diags *d, const config_diags *src)
{
    for (int i = 0; i < src->n; i++) {
        const config_diag *g = &src->items[i];
        /* an error already at that place (a bad value, say) says enough about it */
        int taken = 0;
        for (int j = 0; j < d->n && !taken; j++)
            taken = same_loc(d->items[j].loc, g->loc);
        if (g->about_set_key && !taken) add(d, g->loc, g->msg, 1);
    }
}

void config_loc_format(config_loc loc, char *buf, size_t n)
{
    if (loc.line > 0) snprintf(buf, n, "%s:%d:%d", loc.file, loc.line, loc.col);
    else snprintf(buf, n, "%s", loc.file ? loc.file : "");
}

/* The text of line `line` (1-based) of a stored source, or NULL. */
static const char *source_line(const config_diags *d, const char *path, int line, size_t *len)
{
    for (int i = 0; i < d->n_sources; i++) {
        if (strcmp(d->sources[i].path, path) != 0) continue;
        const char *p = d->sources[i].text, *end = p + d->sources[i].len;
        for (int l = 1; l < line && p < end; l++) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) return NULL;
            p = nl + 1;
        }
        if (p >= end) return NULL;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        *len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (*len && p[*len - 1] == '\r') (*len)--;
        return p;
    }
    return NULL;
}

static void print_caret(FILE *f, const char *line, size_t len, int col)
{
    fputs("    ", f);
    fwrite(line, 1, len, f);
    fputs("\n    ", f);
    /* columns count characters: skip UTF-8 continuation bytes, keep tabs as tabs */
    int c = 1;
    for (size_t i = 0; i < len && c < col; i++) {
        unsigned char ch = (unsigned char)line[i];
        if ((ch & 0xC0) == 0x80) continue;
        fputc(ch == '\t' ? '\t' : ' ', f);
        c++;
    }
    fputs("^\n", f);
}

/* Printing order: files in the order their first error was found, each file's errors by
 * line and column (a file's own errors and its expansion's come out interleaved as the
 * reader meets them); errors without a place keep their order. */
static int before(const config_diags *d, const config_diag *a, const config_diag *b)
{
    if (strcmp(a->loc.file, b->loc.file) != 0) {
        for (int i = 0; i < d->n; i++) { /* the file seen first comes first */
            if (strcmp(d->items[i].loc.file, a->loc.file) == 0) return 1;
            if (strcmp(d->items[i].loc.file, b->loc.file) == 0) return 0;
        }
        return 0;
    }
    return a->loc.line < b->loc.line || (a->loc.line == b->loc.line && a->loc.col < b->loc.col);
}

void config_diags_print(const config_diags *d, FILE *f)
{
    int *order = xmalloc(sizeof(int) * (size_t)(d->n ? d->n : 1));
    for (int i = 0; i < d->n; i++) { /* insertion sort: stable, a handful of errors */
        int j = i;
        while (j > 0 && before(d, &d->items[i], &d->items[order[j - 1]])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int o = 0; o < d->n; o++) {
        const config_diag *g = &d->items[order[o]];
        char where[1200];
        config_loc_format(g->loc, where, sizeof where);
        fprintf(f, "%s: %s\n", where, g->msg);
        size_t len;
        const char *line = g->loc.line > 0 ? source_line(d, g->loc.file, g->loc.line, &len) : NULL;
        if (line && len < 400) print_caret(f, line, len, g->loc.col);
    }
    if (d->n_dropped)
        fprintf(f, "... and %d more error%s\n", d->n_dropped, d->n_dropped == 1 ? "" : "s");
    free(order);
}
