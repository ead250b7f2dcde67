/* plan.h — expands a sweep (base settings x grid axes x cases, plus --set overrides) into the
 * list of fully resolved runs, each with a stable id derived only from its settings; shards
 * it; prints it.
 *
 * Order: cases outer (file order), grid inner (axes in file order, the last axis fastest,
 * like nested loops; a case's own grid axis over a key of the file's grid takes that axis's
 * place, its other axes follow the file's), --set axes last; under search.method random |
 * sobol, samples 0..N-1 of every distribution innermost (a case with no distribution runs
 * each grid point once).  Precedence for each run:
 * defaults < the file's base sections < grid values (the case's own included) < the case's
 * overrides < --set single values. */
#ifndef OPTSWEEP_PLAN_H
#define OPTSWEEP_PLAN_H

#include <stdio.h>
#include "config.h"
#include "settings.h"

#define PLAN_ID_LEN 128
#define PLAN_PREFIX_MAX 100 /* readable part of an id, before "-<8 hex>" */

typedef struct {
    char id[PLAN_ID_LEN];  /* e.g. "sgd-lr1e-04-m0.99-3f9a1c2e" */
    int index;             /* position in the full (unsharded) plan */
    long cost;             /* epochs x steps per epoch */
    run_settings settings;
    /* search.method random | sobol: the distribution (config_dist) each key's value was
     * drawn from, CONFIG_DIST_NONE (0) for keys not drawn, or for a pair key drawn element by
     * element 0x80 | element 0's | element 1's << 3 (plan_sampled_code, plan_sampled_items);
     * sample: the run's sample number
     * (-1 when nothing was drawn) */
    unsigned char sampled[SETTINGS_MAX_KEYS];
    long sample;
} plan_run;

typedef struct {
    char name[SETTINGS_NAME_LEN]; /* the sweep's name */
    char *source_path;            /* the sweep file */
    plan_run *runs;
    int n_runs;
    int n_total;                  /* runs in the whole plan (n_runs unless sharded) */
    int shard_index, shard_count; /* 0 and 1 unless sharded */
    int *swept;                   /* keys whose value differs between runs of the whole plan */
    int n_swept;
    int has_cases;                /* the sweep has named cases */
    config_search search;         /* the sweep's search: section (file and --set), as parsed */
} plan;

/* Expands the sweep.  Runs whose settings PyTorch refuses only because of a grid value
 * (nesterov x momentum 0) are left out with a note on stderr; two runs with identical
 * settings keep the first (a warning).  Errors (a key that does not apply to the run's
 * optimizer, a required key missing, more than max_runs runs, ...) go to d, reported where
 * the offending key is written.  verbose: print notes and warnings to stderr.
 * Returns 0, or -1 with errors in d (and *p empty; plan_free on it is harmless). */
int plan_expand(const sweep *sw, plan *p, long max_runs, int verbose, config_diags *d);
/* search.halving (plan_halving.c): apply sets s's train.epochs to max_epochs when given;
 * check reports (at search.halving) runs that differ in train.epochs, min_epochs not below
 * them, more brackets than start below them, runs without validation data.  0, or -1 with errors in d. */
void plan_halving_apply(const sweep *sw, run_settings *s);
int plan_halving_check(const sweep *sw, const plan *p, config_diags *d);
/* The rungs of each bracket and the budget: at most so many model-epochs (every promotion
 * full) against every run trained to the end; nothing without search.halving. */
void plan_print_halving(const plan *p, FILE *f);
/* The most runs one plan holds (--max-runs at most this): ~3 KiB each in memory. */
#define PLAN_MAX_RUNS 1000000L
void plan_free(plan *p);

/* The runs whose position mod count is index, as a new plan (full is unchanged). */
void plan_shard(const plan *full, int index, int count, plan *out);
/* "I/N" with 0 <= I < N.  0, or -1 with a message. */
int plan_parse_shard(const char *text, int *index, int *count, char *err, size_t n);
/* The shard given by SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (task ids counted from
 * SLURM_ARRAY_TASK_MIN in steps of SLURM_ARRAY_TASK_STEP when set).  1 when both are set
 * and valid, 0 when not set, -1 (with a message) when set but unusable. */
int plan_shard_from_env(int *index, int *count, char *err, size_t n);

/* The run id of resolved settings: readable prefix + "-" + 8 hex digits of the FNV-1a hash
 * of the canonical text (plan_canonical_text). */
void plan_run_id(const run_settings *s, char *id, size_t n);
/* "key=value\n" for every key that applies and can change results, sorted by key, doubles
 * with %.17g.  Returns a malloc'd string. */
char *plan_canonical_text(const run_settings *s);
/* epochs x ceil(training images / batch_size) */
long plan_run_cost(const run_settings *s);
/* The memory a run needs, in bytes, estimated from its settings (plan_memory.c); this
 * machine's physical memory (0: unknown); "12.3 GiB". */
double plan_run_memory(const run_settings *s);
double plan_memory_available(void);
void plan_format_bytes(double bytes, char *buf, size_t n);
/* 0 when the run fits in this machine's memory, else -1 with the reason in why. */
int plan_run_fits(const run_settings *s, char *why, size_t n);

/* ---- sampling (plan_sample.c) ----
 * Sample i of key k (search.method random | sobol): a number in [0, 1) that depends only on
 * (seed, i, k), and the value it gives on axis a (a distribution): 0, or -1 with a message. */
double plan_sample_unit(search_method m, uint64_t seed, int k, uint64_t i);
int plan_sample_value(const config_axis *a, double u, setting_value *out, char *err, size_t n);
uint64_t plan_sample_key_hash(int k); /* FNV-1a of the key's name: its random stream */
/* Element e of pair key k drawn on its own: the same, from (seed, i, "optimizer.betas[e]");
 * its Sobol dimension is plan_sample_dim(k, e) (plan_sample.c says which). */
double plan_sample_unit_elem(search_method m, uint64_t seed, int k, int e, uint64_t i);
int plan_sample_dim(int k, int e);
/* Sample i of a CONFIG_DIST_PAIR axis: both elements (drawn or fixed) as the key's value. */
int plan_sample_pair(const config_search *search, const config_axis *a, uint64_t i,
                     setting_value *out, char *err, size_t n);
/* What plan_run.sampled[] keeps for axis a, and the (name, distribution) items such a code
 * stands for: none, "optimizer.lr"=loguniform, or up to two "optimizer.betas[e]"=...  */
unsigned char plan_sampled_code(const config_axis *a);
int plan_sampled_items(int k, unsigned char code, char names[2][96], const char *dists[2]);
/* "optimizer.lr=loguniform, optimizer.momentum=uniform": the keys run r drew, in key-table
 * order ("" when none); run files keep it as the `sampled` attribute */
void plan_sampled_text(const plan_run *r, char *buf, size_t n);
/* For plan_expand: moves the distributions of axes[0, n) to sampled[] (in order) and
 * returns how many grid axes stay in axes[]; draws sample i of each distribution into
 * drawn[] (freeing what was there): 0, or -1 with the error in d. */
int plan_split_sampled(const config_axis **axes, int n, const config_axis **sampled,
                       int *n_sampled);
int plan_draw_samples(const config_search *search, const config_axis *const *sampled,
                      int n_sampled, long i, setting_value *drawn, config_diags *d);

typedef enum {
    PLAN_FORMAT_TABLE, /* aligned columns for people */
    PLAN_FORMAT_TSV,   /* header, then one line per run, the run id first */
    PLAN_FORMAT_JSON,  /* an array of objects with every resolved setting */
    PLAN_FORMAT_IDS,   /* one run id per line */
} plan_format;
int plan_parse_format(const char *text, plan_format *f);
/* --only PATTERN (plan_only.c): KEY=VALUE (a glob over the value as plan prints it, or a
 * number compared as a number; "-" matches runs the key does not apply to) or a glob over the
 * run id and the case name. */
int plan_only_check(const char *pattern, char *err, size_t n); /* 0, or -1 with a message */
int plan_run_matches(const plan_run *r, const char *const *patterns, int n);
/* The same for any run: its id, case and settings (value_of: key's value as text into buf,
 * NULL where the key does not apply); `optsweep report --only` matches stored runs so. */
typedef const char *(*plan_only_value)(const void *ctx, const char *key, char *buf, size_t n);
int plan_only_matches(const char *const *patterns, int n, const char *id, const char *case_name,
                      plan_only_value value_of, const void *ctx);
/* The same for a run known by its files: its id, case ("" when unknown) and resolved settings
 * YAML (a run file's or checkpoint's settings_yaml); with settings_yaml NULL (a run no file
 * records yet, or unreadable settings) only the patterns over the id and the case can match. */
int plan_only_matches_yaml(const char *const *patterns, int n, const char *id,
                           const char *case_name, const char *settings_yaml);
/* Keeps the runs any pattern matches, in order (their index, and so --shard, unchanged). */
void plan_keep_only(plan *p, const char *const *patterns, int n);

/* What plan_print shows beside the runs, each part optional (NULL): pack_of (n_runs) each
 * run's pack (pack.h), shown from 1; seconds (n_runs) each run's estimated training time
 * (plan_time.h), with where the estimate comes from in `how`. */
typedef struct {
    const int *pack_of;
    const double *seconds;
    const char *how;
} plan_extras;
void plan_print(const plan *p, const plan_extras *x, plan_format fmt, FILE *f);

#endif
