/* config.c — reads a sweep file: UTF-8 and YAML checks, then one walk over the document's
 * top level (name, description, settings sections, grid, cases with their own grids), each
 * mapping walked against the key table with unknown keys, duplicates and type errors
 * reported where they are.
 * Values are converted in config_values.c; --set arguments in config_set.c. */
#include "config_internal.h"

#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CONFIG_MAX_FILE (16L << 20)

static const char *const top_level_keys[] = {"name", "description", "data", "model", "train",
                                             "optimizer", "schedule", "grid", "cases", "search",
                                             "report", NULL};

int config_valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= SETTINGS_NAME_LEN || s[0] == '.') return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '+'))
            return 0;
    }
    return 1;
}

/* ---- scopes: where each key was set, to catch a key given twice ----------------------------- */
typedef struct {
    config_loc seen[SETTINGS_MAX_KEYS];
    config_assign **list;
    int *n;
    const char *where; /* "" for the base, "case 'x'" */
} scope;

static void scope_init(scope *s, config_assign **list, int *n, const char *where)
{
    memset(s->seen, 0, sizeof s->seen);
    s->list = list;
    s->n = n;
    s->where = where;
}

static void scope_add(config_walker *w, scope *s, int k, const setting_value *v, config_loc loc)
{
    if (s->seen[k].file) {
        char first[64];
        snprintf(first, sizeof first, "%d:%d", s->seen[k].line, s->seen[k].col);
        config_error(w->d, loc, "%s is set twice%s%s (first at %s)", settings_key_name(k),
                     s->where[0] ? " in " : "", s->where, first);
        setting_value tmp = *v;
        setting_value_free(&tmp);
        return;
    }
    s->seen[k] = loc;
    config_assign_push(s->list, s->n, k, v, loc);
}

/* ---- mappings ---------------------------------------------------------------------------------- */
/* A mapping key must be a scalar, and not repeat an earlier key of the same mapping. */
const char *config_pair_key(config_walker *w, yaml_node_t *map, yaml_node_pair_t *p)
{
    yaml_node_t *k = config_node(w, p->key);
    if (k->type != YAML_SCALAR_NODE) {
        config_error(w->d, config_node_loc(w, k), "expected a key name, found %s",
                     config_node_kind(k));
        return NULL;
    }
    const char *text = (const char *)k->data.scalar.value;
    for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
        yaml_node_t *qk = config_node(w, q->key);
        if (qk->type == YAML_SCALAR_NODE && strcmp((const char *)qk->data.scalar.value, text) == 0) {
            config_error(w->d, config_node_loc(w, k), "duplicate key '%s' (first at %d:%d)", text,
                         (int)qk->start_mark.line + 1, (int)qk->start_mark.column + 1);
            return NULL;
        }
    }
    return text;
}

static void join_dotted(char *buf, size_t n, const char *prefix, const char *key)
{
    if (prefix[0]) snprintf(buf, n, "%s.%s", prefix, key);
    else snprintf(buf, n, "%s", key);
}

/* "unknown key 'momentun' in optimizer (did you mean 'momentum'?)"; without a close match,
 * the keys that are allowed there. */
static void unknown_key(config_walker *w, yaml_node_t *keynode, const char *prefix,
                        const char *typed, const char *where)
{
    char hint[300] = "", in[200] = "";
    char best[128];
    const char *top = prefix[0] ? NULL : settings_suggest(typed, top_level_keys);
    if (prefix[0]) snprintf(in, sizeof in, " in %s", prefix);
    else if (where && where[0]) snprintf(in, sizeof in, " in %s", where);
    if (top) {
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", top);
    } else if (settings_suggest_key(prefix, typed, best, sizeof best)) {
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", best);
    } else if (prefix[0]) {
        /* list the keys of this section */
        size_t pl = strlen(prefix), used = 0;
        used += (size_t)snprintf(hint, sizeof hint, " (expected one of: ");
        for (int k = 0, first = 1; k < settings_n_keys() && used < sizeof hint; k++) {
            const char *key = settings_key_name(k);
            if (strncmp(key, prefix, pl) != 0 || key[pl] != '.' || strchr(key + pl + 1, '.'))
                continue;
            used += (size_t)snprintf(hint + used, sizeof hint - used, "%s%s", first ? "" : ", ",
                                     key + pl + 1);
            first = 0;
        }
        if (used < sizeof hint) snprintf(hint + used, sizeof hint - used, ")");
    }
    config_error(w->d, config_node_loc(w, keynode), "unknown key '%s'%s%s", typed, in, hint);
}

static void walk_settings(config_walker *w, scope *sc, const char *prefix, yaml_node_t *map);

/* One `key: value` under prefix: a setting, a group (early_stopping: {...}), or a section. */
static void walk_setting_pair(config_walker *w, scope *sc, const char *prefix, yaml_node_t *keynode,
                              const char *key, yaml_node_t *v)
{
    char full[256];
    join_dotted(full, sizeof full, prefix, key);
    int k = settings_find_key(full);
    if (k >= 0) {
        setting_value sv;
        if (settings_key_is_group(k) && (v->type == YAML_MAPPING_NODE || config_node_is_null(v))) {
            /* `early_stopping: {patience: 5}` switches it on; `early_stopping:` alone too */
            setting_value_init(&sv);
            sv.n = 1;
            sv.i[0] = 1;
            scope_add(w, sc, k, &sv, config_node_loc(w, keynode));
            if (v->type == YAML_MAPPING_NODE) walk_settings(w, sc, full, v);
            return;
        }
        if (config_parse_value(w, k, v, &sv) == 0) scope_add(w, sc, k, &sv, config_node_loc(w, v));
        return;
    }
    if (settings_is_prefix(full)) {
        if (v->type == YAML_MAPPING_NODE) walk_settings(w, sc, full, v);
        else if (!config_node_is_null(v))
            config_error(w->d, config_node_loc(w, v),
                         "%s is a section: expected a mapping of its keys, like %s", full,
                         strcmp(full, "optimizer") == 0 ? "{name: sgd, lr: 0.1}" : "{key: value}");
        return;
    }
    unknown_key(w, keynode, prefix, key, sc->where);
}

static void walk_settings(config_walker *w, scope *sc, const char *prefix, yaml_node_t *map)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *key = config_pair_key(w, map, p);
        if (key) walk_setting_pair(w, sc, prefix, config_node(w, p->key), key,
                                   config_node(w, p->value));
    }
}

/* ---- grid ------------------------------------------------------------------------------------------ */
/* The axes being read: the file's grid or one case's.  where: "" or " in case 'x'". */
typedef struct {
    config_axis **axes;
    int *n;
    const char *where;
} axis_list;

static void add_axis(config_walker *w, axis_list *l, const config_axis *a)
{
    for (int i = 0; i < *l->n; i++)
        if ((*l->axes)[i].key == a->key) {
            config_error(w->d, a->loc, "grid %s is given twice%s (first at %d:%d)",
                         settings_key_name(a->key), l->where, (*l->axes)[i].loc.line,
                         (*l->axes)[i].loc.col);
            config_axis tmp = *a;
            config_axis_free(&tmp);
            return;
        }
    *l->axes = xrealloc(*l->axes, (size_t)(*l->n + 1) * sizeof **l->axes);
    (*l->axes)[(*l->n)++] = *a;
}

static void walk_grid(config_walker *w, axis_list *l, const char *prefix, yaml_node_t *map)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *key = config_pair_key(w, map, p);
        if (!key) continue;
        yaml_node_t *kn = config_node(w, p->key), *v = config_node(w, p->value);
        char full[256];
        join_dotted(full, sizeof full, prefix, key);
        int k = settings_find_key(full);
        if (k >= 0) {
            config_axis a;
            if (config_parse_axis(w, k, config_node_loc(w, kn), v, &a) == 0) add_axis(w, l, &a);
        } else if (settings_is_prefix(full) && v->type == YAML_MAPPING_NODE) {
            walk_grid(w, l, full, v); /* grid: {optimizer: {lr: [...]}} */
        } else {
            char best[128], hint[200] = "";
            if (settings_suggest_key(prefix, key, best, sizeof best))
                snprintf(hint, sizeof hint, " (did you mean '%s%s%s'?)", prefix,
                         prefix[0] ? "." : "", best);
            config_error(w->d, config_node_loc(w, kn), "unknown key '%s' in grid%s%s", full,
                         l->where, hint);
        }
    }
}

/* `grid:` at the top level or in a case: a mapping of axes (or nothing). */
static void walk_grid_node(config_walker *w, axis_list *l, yaml_node_t *v)
{
    if (v->type == YAML_MAPPING_NODE) walk_grid(w, l, "", v);
    else if (!config_node_is_null(v))
        config_error(w->d, config_node_loc(w, v), "grid%s: expected a mapping of dotted "
                     "keys to lists, like optimizer.lr: [0.1, 0.01]", l->where);
}

/* ---- cases ----------------------------------------------------------------------------------------- */
static void walk_case(config_walker *w, yaml_node_t *m)
{
    sweep *sw = w->sw;
    config_loc loc = config_node_loc(w, m);
    if (m->type != YAML_MAPPING_NODE) {
        config_error(w->d, loc, "a case must be a mapping like {name: nesterov, optimizer: "
                     "{nesterov: true}}, found %s", config_node_kind(m));
        return;
    }
    /* the name first, so errors inside can say which case */
    const char *name = NULL;
    yaml_node_t *name_node = NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = config_node(w, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, "name") == 0) {
            name_node = config_node(w, p->value);
            break;
        }
    }
    if (!name_node) {
        config_error(w->d, loc, "case without a name (each case needs name: <label>)");
        return;
    }
    if (name_node->type != YAML_SCALAR_NODE ||
        !config_valid_name(name = (const char *)name_node->data.scalar.value)) {
        config_error(w->d, config_node_loc(w, name_node),
                     "case name %s%s%s: use 1 to 127 letters, digits, '.', '_', '-' or '+'",
                     name_node->type == YAML_SCALAR_NODE ? "'" : "",
                     name_node->type == YAML_SCALAR_NODE ? (const char *)name_node->data.scalar.value
                                                         : config_node_kind(name_node),
                     name_node->type == YAML_SCALAR_NODE ? "'" : "");
        return;
    }
    for (int i = 0; i < sw->n_cases; i++)
        if (strcmp(sw->cases[i].name, name) == 0) {
            config_error(w->d, config_node_loc(w, name_node),
                         "duplicate case name '%s' (first at %d:%d)", name, sw->cases[i].loc.line,
                         sw->cases[i].loc.col);
            return;
        }
    sw->cases = xrealloc(sw->cases, (size_t)(sw->n_cases + 1) * sizeof *sw->cases);
    config_case *c = &sw->cases[sw->n_cases++];
    memset(c, 0, sizeof *c);
    check_copy_string(c->name, sizeof c->name, name);
    c->loc = loc;
    char where[SETTINGS_NAME_LEN + 16];
    snprintf(where, sizeof where, "case '%s'", name);
    scope sc;
    scope_init(&sc, &c->assigns, &c->n_assigns, where);
    char in_case[SETTINGS_NAME_LEN + 16];
    snprintf(in_case, sizeof in_case, " in %s", where);
    axis_list grid = {&c->axes, &c->n_axes, in_case};
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        const char *key = config_pair_key(w, m, p);
        if (!key || strcmp(key, "name") == 0) continue;
        yaml_node_t *kn = config_node(w, p->key);
        if (strcmp(key, "grid") == 0) {
            walk_grid_node(w, &grid, config_node(w, p->value));
            continue;
        }
        if (strcmp(key, "cases") == 0 || strcmp(key, "description") == 0 ||
            strcmp(key, "search") == 0 || strcmp(key, "report") == 0) {
            config_error(w->d, config_node_loc(w, kn),
                         "'%s' is not allowed in a case (a case holds name, settings and its "
                         "own grid; put %s at the top level)", key, key);
            continue;
        }
        walk_setting_pair(w, &sc, "", kn, key, config_node(w, p->value));
    }
    /* a key both set and swept by the case: which value would it mean? */
    for (int a = 0; a < c->n_axes; a++)
        for (int i = 0; i < c->n_assigns; i++)
            if (c->assigns[i].key == c->axes[a].key)
                config_error(w->d, c->axes[a].loc, "%s is both set (at %d:%d) and swept by the "
                             "grid of case '%s': keep one", settings_key_name(c->axes[a].key),
                             c->assigns[i].loc.line, c->assigns[i].loc.col, name);
}

static void walk_cases(config_walker *w, yaml_node_t *kn, yaml_node_t *v)
{
    if (v->type != YAML_SEQUENCE_NODE) {
        config_error(w->d, config_node_loc(w, v), "cases: expected a list of cases like "
                     "- {name: plain}, found %s", config_node_kind(v));
        return;
    }
    if (v->data.sequence.items.top == v->data.sequence.items.start) {
        config_error(w->d, config_node_loc(w, kn), "cases: empty list (remove it, or add a case)");
        return;
    }
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
        walk_case(w, config_node(w, *it));
}

/* ---- the top level --------------------------------------------------------------------------------- */
static void walk_top(config_walker *w, yaml_node_t *root)
{
    sweep *sw = w->sw;
    scope sc;
    scope_init(&sc, &sw->base, &sw->n_base, "");
    int have_name = 0;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *key = config_pair_key(w, root, p);
        if (!key) continue;
        yaml_node_t *kn = config_node(w, p->key), *v = config_node(w, p->value);
        if (strcmp(key, "name") == 0) {
            have_name = 1;
            if (v->type != YAML_SCALAR_NODE || !config_valid_name((const char *)v->data.scalar.value))
                config_error(w->d, config_node_loc(w, v), "name %s%s%s: use 1 to 127 letters, "
                             "digits, '.', '_', '-' or '+' (it names the folder results/<name>)",
                             v->type == YAML_SCALAR_NODE ? "'" : "",
                             v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value
                                                         : config_node_kind(v),
                             v->type == YAML_SCALAR_NODE ? "'" : "");
            else
                check_copy_string(sw->name, sizeof sw->name, (const char *)v->data.scalar.value);
        } else if (strcmp(key, "description") == 0) {
            if (v->type != YAML_SCALAR_NODE)
                config_error(w->d, config_node_loc(w, v), "description: expected text, found %s",
                             config_node_kind(v));
            else
                sw->description = xstrdup((const char *)v->data.scalar.value);
        } else if (strcmp(key, "grid") == 0) {
            sw->grid_loc = config_node_loc(w, kn);
            axis_list grid = {&sw->axes, &sw->n_axes, ""};
            walk_grid_node(w, &grid, v);
            sw->n_file_axes = sw->n_axes;
        } else if (strcmp(key, "cases") == 0) {
            walk_cases(w, kn, v);
        } else if (strcmp(key, "search") == 0) {
            config_walk_search(w, kn, v);
        } else {
            walk_setting_pair(w, &sc, "", kn, key, v);
        }
    }
    if (!have_name) {
        /* default: the file's name without its folder and .yaml */
        const char *base = strrchr(sw->path, '/');
        base = base ? base + 1 : sw->path;
        size_t len = strlen(base);
        const char *dot = strrchr(base, '.');
        if (dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0))
            len = (size_t)(dot - base);
        char stem[SETTINGS_NAME_LEN];
        snprintf(stem, sizeof stem, "%.*s", (int)(len < sizeof stem ? len : 0), base);
        /* a longer file name is not cut: two files would share one results folder */
        if (len >= sizeof stem)
            config_error(w->d, (config_loc){sw->path, 1, 1}, "the file name is longer than %d "
                         "characters, too long to name the sweep: add name: <label> (it names "
                         "the folder results/<name>)", SETTINGS_NAME_LEN - 1);
        else if (config_valid_name(stem)) check_copy_string(sw->name, sizeof sw->name, stem);
        else config_error(w->d, (config_loc){sw->path, 1, 1}, "the sweep has no name "
                          "(add name: <label>; it names the folder results/<name>)");
    }
}

/* ---- bytes ---------------------------------------------------------------------------------------- */
/* Finds the first byte that is not UTF-8 (overlongs and surrogates included); 0 when clean. */
static int find_bad_utf8(const unsigned char *s, size_t n, size_t *at)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; }
        else { *at = i; return 1; }
        if (i + len > n) { *at = i; return 1; }
        unsigned cp = c & (0x7F >> len);
        for (size_t j = 1; j < len; j++) {
            if ((s[i + j] & 0xC0) != 0x80) { *at = i; return 1; }
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { *at = i; return 1; }
        i += len;
    }
    return 0;
}

static config_loc offset_loc(const char *path, const char *text, size_t off)
{
    config_loc loc = {path, 1, 1};
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            loc.line++;
            loc.col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            loc.col++;
        }
    }
    return loc;
}

static void yaml_problem(config_walker *w, yaml_parser_t *parser, const char *text, size_t len)
{
    config_loc loc;
    if (parser->error == YAML_READER_ERROR) {
        loc = offset_loc(w->path, text, parser->problem_offset < len ? parser->problem_offset : len);
    } else {
        loc = (config_loc){w->path, (int)parser->problem_mark.line + 1,
                           (int)parser->problem_mark.column + 1};
    }
    char context[160] = "";
    if (parser->context)
        snprintf(context, sizeof context, " (%s at %d:%d)", parser->context,
                 (int)parser->context_mark.line + 1, (int)parser->context_mark.column + 1);
    /* the usual cause of "cannot start any token" is a tab used for indentation */
    const char *hint = "";
    if (parser->problem && strstr(parser->problem, "cannot start any token")) {
        size_t off = parser->problem_mark.index;
        if (off < len && text[off] == '\t') hint = "; YAML indents with spaces, not tabs";
    }
    config_error(w->d, loc, "not valid YAML: %s%s%s", parser->problem ? parser->problem : "error",
                 context, hint);
}

/* ---- entry points ---------------------------------------------------------------------------------- */
int config_load_text(sweep *sw, const char *path, const char *text, size_t len, config_diags *d)
{
    memset(sw, 0, sizeof *sw);
    sw->path = xstrdup(path);
    config_search_defaults(&sw->search);
    int before = d->n + d->n_dropped;
    /* a UTF-8 byte order mark (editors on Windows write one): not part of the YAML */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    config_diags_add_source(d, path, text, len);
    config_walker w = {sw, d, NULL, sw->path, NULL};

    size_t bad;
    if (find_bad_utf8((const unsigned char *)text, len, &bad)) {
        config_error(d, offset_loc(sw->path, text, bad),
                     "not UTF-8: byte 0x%02x cannot start or continue a character here "
                     "(save the file as UTF-8)", (unsigned char)text[bad]);
        return -1;
    }

    int line, col;
    if (config_find_too_deep(text, len, &line, &col)) {
        config_error(d, (config_loc){sw->path, line, col}, "nested more than %d levels deep: "
                     "not a sweep file", CONFIG_MAX_DEPTH);
        return -1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        config_error(d, (config_loc){sw->path, 0, 0}, "libyaml: cannot initialize the parser");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_problem(&w, &parser, text, len);
        yaml_parser_delete(&parser);
        return -1;
    }
    w.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || config_node_is_null(root)) {
        config_error(d, (config_loc){sw->path, 1, 1}, "empty file: expected a sweep (name, data, "
                     "model, train, optimizer, schedule, grid, cases)");
    } else if (root->type != YAML_MAPPING_NODE) {
        config_error(d, config_node_loc(&w, root), "expected a mapping of sections at the top "
                     "level (name, data, model, train, optimizer, schedule, grid, cases), found %s",
                     root->type == YAML_SEQUENCE_NODE ? "a list" : "a single value");
    } else {
        walk_top(&w, root);
        /* a second document ("---") would be silently ignored: refuse it */
        yaml_document_t next;
        if (!yaml_parser_load(&parser, &next)) {
            yaml_problem(&w, &parser, text, len);
        } else {
            yaml_node_t *r2 = yaml_document_get_root_node(&next);
            if (r2)
                config_error(d, (config_loc){sw->path, (int)next.start_mark.line + 1,
                                             (int)next.start_mark.column + 1},
                             "a second YAML document: a sweep file holds exactly one");
            yaml_document_delete(&next);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return d->n + d->n_dropped > before ? -1 : 0;
}

int config_load(sweep *sw, const char *path, config_diags *d)
{
    memset(sw, 0, sizeof *sw);
    /* opened without blocking and checked to be a regular file: a FIFO (or a device) named
     * as the sweep file would otherwise hang open() or read forever */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        config_error(d, (config_loc){path, 0, 0}, "not a regular file: a sweep file must be "
                     "a file (this is a %s)", S_ISFIFO(st.st_mode) ? "FIFO"
                     : S_ISDIR(st.st_mode) ? "directory" : "special file");
        return -1;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        config_error(d, (config_loc){path, 0, 0}, "cannot open the sweep file: %s",
                     strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            text = xrealloc(text, cap + 1);
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
        if ((long)len > CONFIG_MAX_FILE) break;
    }
    int err = ferror(f);
    int saved = errno;
    fclose(f);
    if (err) {
        config_error(d, (config_loc){path, 0, 0}, "cannot read the sweep file: %s",
                     strerror(saved));
        free(text);
        return -1;
    }
    if ((long)len > CONFIG_MAX_FILE) {
        config_error(d, (config_loc){path, 0, 0}, "larger than %ld MiB: not a sweep file",
                     CONFIG_MAX_FILE >> 20);
        free(text);
        return -1;
    }
    int rc = config_load_text(sw, path, text, len, d);
    free(text);
    return rc;
}

void config_free(sweep *sw)
{
    for (int i = 0; i < sw->n_base; i++) setting_value_free(&sw->base[i].value);
    free(sw->base);
    for (int i = 0; i < sw->n_axes; i++) config_axis_free(&sw->axes[i]);
    free(sw->axes);
    for (int c = 0; c < sw->n_cases; c++) {
        for (int i = 0; i < sw->cases[c].n_assigns; i++)
            setting_value_free(&sw->cases[c].assigns[i].value);
        free(sw->cases[c].assigns);
        for (int i = 0; i < sw->cases[c].n_axes; i++) config_axis_free(&sw->cases[c].axes[i]);
        free(sw->cases[c].axes);
    }
    free(sw->cases);
    for (int i = 0; i < sw->n_sets; i++) setting_value_free(&sw->sets[i].value);
    free(sw->sets);
    for (int i = 0; i < sw->n_labels; i++) free(sw->labels[i]);
    free(sw->labels);
    free(sw->description);
    free(sw->path);
    memset(sw, 0, sizeof *sw);
}
