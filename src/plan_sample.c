/* plan_sample.c — the values a distribution gives (search.method random | sobol).  Sample i of
 * key k is a pure function of (search.seed, i, k): never of the other keys sampled, of
 * search.samples, of the case or the grid point, so raising samples from 50 to 200 keeps the
 * first 50 runs and their ids.  random: Philox4x32-10 (philox.h) under search.seed, stream
 * the FNV-1a hash of the key's name, outputs 2i and 2i+1 (53 bits).  sobol: dimension = the
 * key's number in the key table, scrambled from (seed, key) (sobol.c).  An element of a pair
 * key drawn on its own ([{uniform: [0.5, 0.99]}, 0.999]) is a key of its own here, named
 * "optimizer.betas[0]" (random: that name's hash; sobol: plan_sample_dim).  The unit number is
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

static uint64_t name_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = name; c && *c; c++) {
        h ^= (unsigned char)*c;
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t plan_sample_key_hash(int k)
{
    return name_hash(settings_key_name(k));
}

/* Sobol dimensions: key k has dimension k (its number in the key table), element 0 of a pair
 * key too (the key is then drawn only through its elements).  Element 1 of the j-th pair key
 * (table order, j from 0) takes dimension SOBOL_MAX_DIMS - 1 - j: the top of the 128, above
 * every key's number (settings_n_keys() + pair keys <= SOBOL_MAX_DIMS; test_search checks
 * it), so no two things drawn in one sweep share a dimension, and a key added to the table
 * moves no element 1 (it is counted from the top). */
int plan_sample_dim(int k, int e)
{
    if (e <= 0) return k;
    int j = 0;
    for (int q = 0; q < k; q++) j += settings_key_is_pair(q);
    return SOBOL_MAX_DIMS - 1 - j;
}

static double unit(search_method m, uint64_t seed, int dim, uint64_t h, uint64_t i)
{
    if (m == SEARCH_SOBOL) return sobol_scrambled(dim, i, seed, h) * 0x1p-32;
    uint64_t a = philox_u32(seed, h, 2 * i), b = philox_u32(seed, h, 2 * i + 1);
    return (double)((a << 21) | (b >> 11)) * 0x1p-53;
}

double plan_sample_unit(search_method m, uint64_t seed, int k, uint64_t i)
{
    return unit(m, seed, k, plan_sample_key_hash(k), i);
}

double plan_sample_unit_elem(search_method m, uint64_t seed, int k, int e, uint64_t i)
{
    char name[96];
    config_elem_name(k, e, name, sizeof name);
    return unit(m, seed, plan_sample_dim(k, e), name_hash(name), i);
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

static int choice_index(const config_axis *a, double u)
{
    int j = (int)(u * a->n_values);
    return j >= a->n_values ? a->n_values - 1 : j;
}

/* The number (as text) that axis a (uniform, loguniform, int; a pair element's choice) gives
 * for u. */
static int draw_text(const config_axis *a, double u, char *text, size_t n_text, char *err,
                     size_t n)
{
    double x;
    switch (a->dist) {
    case CONFIG_DIST_CHOICE: /* a pair element's: one-number candidates */
        snprintf(text, n_text, "%.17g", a->values[choice_index(a, u)].d[0]);
        break;
    case CONFIG_DIST_INT: {
        double span = a->hi - a->lo + 1.0;
        double off = floor(u * span);
        if (off > a->hi - a->lo) off = a->hi - a->lo;
        snprintf(text, n_text, "%.0f", a->lo + off);
        break;
    }
    case CONFIG_DIST_LOGUNIFORM:
        x = exp(log(a->lo) + u * (log(a->hi) - log(a->lo)));
        round_in(x, a->lo, a->hi, text, n_text);
        break;
    case CONFIG_DIST_UNIFORM:
        x = a->lo + u * (a->hi - a->lo);
        round_in(x, a->lo, a->hi, text, n_text);
        break;
    default:
        snprintf(err, n, "not a distribution");
        return -1;
    }
    return 0;
}

int plan_sample_value(const config_axis *a, double u, setting_value *out, char *err, size_t n)
{
    char text[64];
    if (a->dist == CONFIG_DIST_CHOICE) {
        setting_value_copy(out, &a->values[choice_index(a, u)]);
        return 0;
    }
    if (draw_text(a, u, text, sizeof text, err, n) != 0) return -1;
    return settings_parse_scalar(a->key, text, out, err, n);
}

int plan_sample_pair(const config_search *search, const config_axis *a, uint64_t i,
                     setting_value *out, char *err, size_t n)
{
    setting_value_init(out);
    for (int e = 0; e < 2; e++) {
        const config_axis *p = &a->parts[e];
        char text[64];
        if (p->dist == CONFIG_DIST_NONE)
            snprintf(text, sizeof text, "%.17g", p->lo);
        else if (draw_text(p, plan_sample_unit_elem(search->method, search->seed, a->key, e, i),
                           text, sizeof text, err, n) != 0)
            return -1;
        if (settings_parse_element(a->key, text, out, err, n) != 0) return -1;
    }
    return settings_check_list(a->key, out, err, n);
}

unsigned char plan_sampled_code(const config_axis *a)
{
    if (a->dist != CONFIG_DIST_PAIR) return (unsigned char)a->dist;
    return (unsigned char)(0x80 | a->parts[0].dist | a->parts[1].dist << 3);
}

int plan_sampled_items(int k, unsigned char code, char names[2][96], const char *dists[2])
{
    if (!(code & 0x80)) {
        if (!code) return 0;
        config_elem_name(k, -1, names[0], sizeof names[0]);
        dists[0] = config_dist_name((config_dist)code);
        return 1;
    }
    int n = 0;
    for (int e = 0; e < 2; e++) {
        config_dist d = (config_dist)(e ? (code >> 3) & 7 : code & 7);
        if (d == CONFIG_DIST_NONE) continue;
        config_elem_name(k, e, names[n], sizeof names[n]);
        dists[n++] = config_dist_name(d);
    }
    return n;
}

void plan_sampled_text(const plan_run *r, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < settings_n_keys() && used < n; k++) {
        char names[2][96];
        const char *dists[2];
        int m = plan_sampled_items(k, r->sampled[k], names, dists);
        for (int j = 0; j < m && used < n; j++)
            used += (size_t)snprintf(buf + used, n - used, "%s%s=%s", used ? ", " : "",
                                     names[j], dists[j]);
    }
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
        setting_value_free(&drawn[a]);
        int rc = sampled[a]->dist == CONFIG_DIST_PAIR
            ? plan_sample_pair(search, sampled[a], (uint64_t)i, &drawn[a], err, sizeof err)
            : plan_sample_value(sampled[a], plan_sample_unit(search->method, search->seed,
                                                             sampled[a]->key, (uint64_t)i),
                                &drawn[a], err, sizeof err);
        if (rc != 0) {
            config_error(d, sampled[a]->dist_loc, "sample %ld: %s", i, err);
            return -1;
        }
    }
    return 0;
}
