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

void config_error(config_diags *d, config_loc loc, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (int i = 0; i < d->n; i++)
        if (same_loc(d->items[i].loc, loc) && strcmp(d->items[i].msg, msg) == 0) return;
    if (d->n >= CONFIG_MAX_DIAGS) {
        d->n_dropped++;
        return;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 16;
        d->items = xrealloc(d->items, (size_t)d->cap * sizeof *d->items);
    }
    config_diag *g = &d->items[d->n++];
    g->loc = loc;
    g->loc.file = xstrdup(loc.file ? loc.file : "");
    g->msg = xstrdup(msg);
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

void config_diags_print(const config_diags *d, FILE *f)
{
    for (int i = 0; i < d->n; i++) {
        const config_diag *g = &d->items[i];
        char where[1200];
        config_loc_format(g->loc, where, sizeof where);
        fprintf(f, "%s: %s\n", where, g->msg);
        size_t len;
        const char *line = g->loc.line > 0 ? source_line(d, g->loc.file, g->loc.line, &len) : NULL;
        if (line && len < 400) print_caret(f, line, len, g->loc.col);
    }
    if (d->n_dropped)
        fprintf(f, "... and %d more error%s\n", d->n_dropped, d->n_dropped == 1 ? "" : "s");
}
