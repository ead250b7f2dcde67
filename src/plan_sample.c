/* plan_sample.c — the values a distribution gives (search.method random | sobol).  Sample i of
 * key k is a pure function of (search.seed, i, k): never of the other keys sampled, of
 * search.samples, of the case or the grid point, so raising samples from 50 to 200 keeps the
 * first 50 runs and their ids.  random: Philox4x32-10 (philox.h) under search.seed, stream
 * the FNV-1a hash of the key's name, outputs 2i and 2i+1 (53 bits).  sobol: dimension = the
 * key's number in the key table, scrambled from (seed, key) (sobol.c).  The unit number is
 * mapped to the key's value and rounded to 6 significant digits (more only where needed to
 * stay in range): the value shown is the value used, and the same on every machine even
 * where exp/log differ in the last bit. */
#include "plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "philox.h"
#include "sobol.h"

_Static_assert(SOBOL_MAX_DIMS >= SETTINGS_MAX_KEYS, "a Sobol dimension for every key");

uint64_t plan_sample_key_hash(int k)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = settings_key_name(k); c && *c; c++) {
        h ^= (unsigned char)*c;
        h *= 1099511628211ULL;
    }
    return h;
}

double plan_sample_unit(search_method m, uint64_t seed, int k, uint64_t i)
{
    uint64_t h = plan_sample_key_hash(k);
    if (m == SEARCH_SOBOL) return sobol_scrambled(k, i, seed, h) * 0x1p-32;
    uint64_t a = philox_u32(seed, h, 2 * i), b = philox_u32(seed, h, 2 * i + 1);
    return (double)((a << 21) | (b >> 11)) * 0x1p-53;
}

/* x as the shortest of 6..17 significant digits that stays in [lo, hi). */
static void round_in(double x, double lo, double hi, char *buf, size_t n)
{
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, x);
        double y = strtod(buf, NULL);
        if (y >= lo && y < hi) return;
    }
    snprintf(buf, n, "%.17g", x);
}

int plan_sample_value(const config_axis *a, double u, setting_value *out, char *err, size_t n)
{
    char text[64];
    double x;
    switch (a->dist) {
    case CONFIG_DIST_CHOICE: {
        int j = (int)(u * a->n_values);
        if (j >= a->n_values) j = a->n_values - 1;
        setting_value_copy(out, &a->values[j]);
        return 0;
    }
    case CONFIG_DIST_INT: {
        double span = a->hi - a->lo + 1.0;
        double off = floor(u * span);
        if (off > a->hi - a->lo) off = a->hi - a->lo;
        snprintf(text, sizeof text, "%.0f", a->lo + off);
        break;
    }
    case CONFIG_DIST_LOGUNIFORM:
        x = exp(log(a->lo) + u * (log(a->hi) - log(a->lo)));
        round_in(x, a->lo, a->hi, text, sizeof text);
        break;
    case CONFIG_DIST_UNIFORM:
        x = a->lo + u * (a->hi - a->lo);
        round_in(x, a->lo, a->hi, text, sizeof text);
        break;
    default:
        snprintf(err, n, "not a distribution");
        return -1;
    }
    return settings_parse_scalar(a->key, text, out, err, n);
}

void plan_sampled_text(const plan_run *r, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < settings_n_keys() && used < n; k++)
        if (r->sampled[k] != CONFIG_DIST_NONE)
            used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", used ? ", " : "",
                                     settings_key_name(k), config_dist_name(r->sampled[k]));
}

int plan_split_sampled(const config_axis **axes, int n, const config_axis **sampled,
                       int *n_sampled)
{
    int g = 0;
    *n_sampled = 0;
    for (int a = 0; a < n; a++) {
        if (axes[a]->dist != CONFIG_DIST_NONE) sampled[(*n_sampled)++] = axes[a];
        else axes[g++] = axes[a];
    }
    return g;
}

int plan_draw_samples(const config_search *search, const config_axis *const *sampled,
                      int n_sampled, long i, setting_value *drawn, config_diags *d)
{
    for (int a = 0; a < n_sampled; a++) {
        char err[512];
        double u = plan_sample_unit(search->method, search->seed, sampled[a]->key,
                                    (uint64_t)i);
        setting_value_free(&drawn[a]);
        if (plan_sample_value(sampled[a], u, &drawn[a], err, sizeof err) != 0) {
            config_error(d, sampled[a]->dist_loc, "sample %ld: %s", i, err);
            return -1;
        }
    }
    return 0;
}
