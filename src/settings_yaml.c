/* settings_yaml.c — writes one run's resolved settings as a sweep file: the keys that apply
 * to the run, section by section in the table's order.  The text is valid input to
 * config_load and loads back as the same run (tests/config checks the round trip). */
#include "settings.h"
#include "settings_value.h"
#include "quote.h"

#include <string.h>

static void write_value(const run_settings *s, int k, FILE *f)
{
    char buf[SETTINGS_PATH_LEN + 64];
    settings_format(s, k, buf, sizeof buf);
    /* strings always double-quoted, so paths like "a: b" or "#x" stay strings */
    if (settings_key_type(k) == SETTING_STRING) quote_json(f, buf);
    else fputs(buf, f);
}

void settings_write_yaml(const run_settings *s, FILE *f)
{
    const char *section = "";
    size_t section_len = 0;
    int n = settings_n_keys();
    if (s->sweep[0]) {
        fputs("name: ", f);
        quote_json(f, s->sweep);
        fputc('\n', f);
    }
    for (int k = 0; k < n; k++) {
        const char *key = settings_key_name(k);
        if (settings_key_group(k) >= 0) continue; /* written with its group */
        if (!settings_key_applies(k, s)) continue;
        size_t len = strcspn(key, ".");
        if (len != section_len || strncmp(key, section, len) != 0) {
            fprintf(f, "%.*s:\n", (int)len, key);
            section = key;
            section_len = len;
        }
        fprintf(f, "  %s: ", key + len + 1);
        if (settings_key_is_group(k) && settings_get_number(s, k) != 0) {
            /* train.early_stopping: {patience: 10, delta: 0} */
            int first = 1;
            fputc('{', f);
            for (int j = 0; j < n; j++) {
                if (settings_key_group(j) != k || !settings_key_applies(j, s)) continue;
                fprintf(f, "%s%s: ", first ? "" : ", ", strrchr(settings_key_name(j), '.') + 1);
                write_value(s, j, f);
                first = 0;
            }
            fputs("}\n", f);
            continue;
        }
        write_value(s, k, f);
        fputc('\n', f);
    }
}

/* Whether the line p (n chars, "  key: value") of `section` is an incidental key's. */
static int incidental_line(const char *p, size_t n, const char *section)
{
    const char *colon = memchr(p, ':', n);
    char key[128];
    return n > 2 && p[0] == ' ' && p[1] == ' ' && colon
           && snprintf(key, sizeof key, "%s.%.*s", section, (int)(colon - p - 2), p + 2)
                  < (int)sizeof key
           && settings_key_is_incidental(settings_find_key(key));
}

/* Whether every key of the section whose lines start at p is incidental (`report:`, whose
 * only key is report.select): then its header line is left out too, so that a text written
 * before the section existed compares equal. */
static int incidental_section(const char *p, const char *section)
{
    while (p[0] == ' ' && p[1] == ' ') {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (!incidental_line(p, n, section)) return 0;
        p = end ? end + 1 : p + n;
    }
    return 1;
}

/* The next line of a settings_write_yaml text that is not an incidental key's, or NULL at the
 * end; *section tracks the last "section:" line ("train"), *len the line's length. */
static const char *next_essential(const char *p, char *section, size_t cap, size_t *len)
{
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *next = end ? end + 1 : p + n;
        if (n > 2 && p[0] == ' ' && p[1] == ' ') { /* "  key: value" in a section */
            if (incidental_line(p, n, section)) {
                p = next;
                continue;
            }
        } else if (n > 1 && p[n - 1] == ':' && n < cap) { /* "section:" */
            memcpy(section, p, n - 1);
            section[n - 1] = '\0';
            if (incidental_section(next, section)) {
                p = next;
                continue;
            }
        }
        *len = n;
        return p;
    }
    return NULL;
}

int settings_yaml_same_results(const char *a, const char *b)
{
    char sa[64] = "", sb[64] = "";
    for (;;) {
        size_t na = 0, nb = 0;
        const char *la = next_essential(a, sa, sizeof sa, &na);
        const char *lb = next_essential(b, sb, sizeof sb, &nb);
        if (!la || !lb) return !la && !lb;
        if (na != nb || memcmp(la, lb, na) != 0) return 0;
        a = la + na + (la[na] == '\n');
        b = lb + nb + (lb[nb] == '\n');
    }
}
