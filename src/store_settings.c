/* store_settings.c — a run's resolved settings into its HDF5 file: one typed root attribute
 * per applicable dotted key (settings.h's key table; docs/FORMAT.md "settings"), and the
 * resolved YAML as text.  Only this file knows how setting types map to HDF5 types. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "settings.h"
#include "store.h"
#include "store_h5.h"

#define VALUE_LEN (SETTINGS_PATH_LEN + 64)

/* Parses settings_format's "[a, b, c]" into numbers. */
static int parse_list(const char *text, double *v, int max)
{
    const char *p = strchr(text, '[');
    int n = 0;
    if (!p) return -1;
    p++;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ']') return n;
        char *end;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno == ERANGE || n == max) return -1;
        v[n++] = x;
        p = end;
    }
}

static int write_one(hid_t obj, const run_settings *s, int k, char *err, size_t n)
{
    const char *name = settings_key_name(k);
    char text[VALUE_LEN];
    settings_format(s, k, text, sizeof text);
    switch (settings_key_type(k)) {
    case SETTING_INT: {
        /* from the text, not settings_get_number: a 64-bit seed does not fit a double */
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno == ERANGE) {
            errno = 0;
            unsigned long long u = strtoull(text, &end, 10);
            if (errno == 0 && *end == '\0') return store_h5_attr_uint64(obj, name, u, err, n);
        }
        if ((end == text || *end != '\0') && settings_key_enum_names(k))
            /* an integer written as a word (train.pack: auto is 0) */
            return store_h5_attr_int64(obj, name, (long long)settings_get_number(s, k), err, n);
        if (end == text || *end != '\0') {
            snprintf(err, n, "setting %s: \"%s\" is not an integer", name, text);
            return -1;
        }
        return store_h5_attr_int64(obj, name, v, err, n);
    }
    case SETTING_DOUBLE:
        return store_h5_attr_double(obj, name, settings_get_number(s, k), err, n);
    case SETTING_BOOL:
        return store_h5_attr_int8(obj, name, settings_get_number(s, k) != 0, err, n);
    case SETTING_STRING:
    case SETTING_ENUM:
        return store_h5_attr_string(obj, name, text, err, n);
    case SETTING_INT_LIST:
    case SETTING_DOUBLE_LIST: {
        double v[SETTINGS_MAX_LIST];
        int count = parse_list(text, v, SETTINGS_MAX_LIST);
        if (count < 0) {
            snprintf(err, n, "setting %s: cannot read the list \"%s\"", name, text);
            return -1;
        }
        if (settings_key_type(k) == SETTING_DOUBLE_LIST)
            return store_h5_attr_double_array(obj, name, v, (size_t)count, err, n);
        int64_t iv[SETTINGS_MAX_LIST];
        for (int i = 0; i < count; i++) iv[i] = (int64_t)v[i];
        return store_h5_attr_int64_array(obj, name, iv, (size_t)count, err, n);
    }
    }
    snprintf(err, n, "setting %s: unknown type", name);
    return -1;
}

int store_write_settings(hid_t obj, const run_settings *s, char *err, size_t n)
{
    for (int k = 0; k < settings_n_keys(); k++) {
        if (!settings_key_applies(k, s)) continue;
        if (write_one(obj, s, k, err, n) < 0) return -1;
    }
    return 0;
}

char *store_settings_yaml(const run_settings *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return xstrdup("");
    settings_write_yaml(s, f);
    fclose(f);
    return buf ? buf : xstrdup("");
}
