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
