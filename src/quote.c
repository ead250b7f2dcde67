/* quote.c — the string quoting of quote.h: JSON/YAML double-quoted strings and shell words,
 * each read back by its reader (a JSON or YAML parser, bash) as exactly the original bytes. */
#include "quote.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

void quote_json(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

void quote_shell(FILE *f, const char *s)
{
    int safe = *s != '\0';
    for (const char *p = s; *p && safe; p++)
        safe = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=,+-@%",
                      *p) != NULL;
    if (safe) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '\'') fputs("'\\''", f);
        else fputc(*p, f);
    }
    fputc('\'', f);
}

char *quote_shell_text(const char *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return xstrdup("''");
    quote_shell(f, s);
    if (fclose(f) != 0 || !text) {
        free(text);
        return xstrdup("''");
    }
    return text;
}

char *quote_command_line(int argc, char **argv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return xstrdup("optsweep");
    fputs("optsweep", f);
    for (int i = 0; i < argc; i++) {
        fputc(' ', f);
        quote_shell(f, argv[i]);
    }
    if (fclose(f) != 0 || !text) {
        free(text);
        return xstrdup("optsweep");
    }
    return text;
}
