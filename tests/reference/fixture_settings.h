/* fixture_settings.h — a run's settings from HDF5 attributes named by their setting keys
 * ("optimizer.name", "optimizer.lr", "optimizer.betas", "schedule.milestones"), as
 * gen_reference.py writes them: the key table (settings.c) is walked, so a new optimizer or
 * schedule option needs no change here.  Static helpers for the reference tests only. */
#ifndef OPTSWEEP_TESTS_FIXTURE_SETTINGS_H
#define OPTSWEEP_TESTS_FIXTURE_SETTINGS_H

#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "settings.h"
#include "settings_value.h"

/* Applies every attribute of obj whose name is a setting key (through the same parsing and
 * bound checks as a sweep file).  Returns the number of keys applied, or -1 (message in err)
 * on an attribute that is unreadable or fails its key's rules. */
static inline int fixture_apply_settings(hid_t obj, run_settings *s, char *err, size_t n)
{
    int applied = 0;
    for (int k = 0; k < settings_n_keys(); k++) {
        const char *key = settings_key_name(k);
        if (H5Aexists(obj, key) <= 0) continue;
        hid_t a = H5Aopen(obj, key, H5P_DEFAULT);
        hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
        hssize_t count = H5Sget_simple_extent_npoints(sp);
        setting_value v;
        setting_value_init(&v);
        int rc = 0;
        char text[256];
        setting_type type = settings_key_type(k);
        if (H5Tget_class(t) == H5T_STRING) {
            size_t len = H5Tget_size(t);
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, len + 1);
            if (H5Tis_variable_str(t) || len + 1 > sizeof text || H5Aread(a, mt, text) < 0)
                rc = -1;
            else
                rc = settings_parse_scalar(k, text, &v, err, n);
            H5Tclose(mt);
        } else {
            double vals[SETTINGS_MAX_LIST];
            if (count < 1 || count > SETTINGS_MAX_LIST ||
                H5Aread(a, H5T_NATIVE_DOUBLE, vals) < 0) {
                rc = -1;
            } else if (type == SETTING_INT_LIST || type == SETTING_DOUBLE_LIST) {
                for (hssize_t i = 0; i < count && rc == 0; i++) {
                    snprintf(text, sizeof text, "%.17g", vals[i]);
                    rc = settings_parse_element(k, text, &v, err, n);
                }
                /* no settings_check_list: the fixtures repeat milestones (torch counts
                 * them), which sweep files may not (config's rule, tested in tests/config) */
            } else {
                if (type == SETTING_BOOL) snprintf(text, sizeof text, vals[0] ? "true" : "false");
                else snprintf(text, sizeof text, "%.17g", vals[0]);
                rc = settings_parse_scalar(k, text, &v, err, n);
            }
        }
        if (rc == 0) {
            settings_apply_value(s, k, &v);
            applied++;
        } else if (err && n && !strstr(err, key)) {
            snprintf(err, n, "fixture attribute %s unreadable", key);
        }
        setting_value_free(&v);
        H5Sclose(sp);
        H5Tclose(t);
        H5Aclose(a);
        if (rc != 0) return -1;
    }
    settings_normalize(s);
    return applied;
}

#endif
