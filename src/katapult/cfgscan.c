/* UUID and serial discovery from Klipper's printer.cfg (with [include]s) and
 * klippy.log (which holds a copy of the config at every start). Only the
 * probe's sections are read: [mcu scanner], [mcu cartographer], [scanner],
 * [cartographer]. */
#include <ctype.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fileio.h"
#include "common/text.h"
#include "katapult/katapult.h"

#define MAX_CFG_SIZE (8u * 1024u * 1024u)
#define MAX_INCLUDE_DEPTH 8
/* Files read for one printer.cfg, itself included. Klipper configs split into
 * a few dozen files at most; globs that include each other used to be read
 * again on every path through them (6 such files: millions of reads). */
#define MAX_INCLUDE_FILES 64

typedef struct scan {
    cf_kp_cfg_entry *out;
    size_t cap;
    size_t *count;
    char section[64];
    bool relevant;
    bool all_sections; /* every section's canbus_uuid, not only the probe's */
    /* real paths of the files read so far: each is read once, which also ends cycles */
    char (*seen)[PATH_MAX];
    size_t nseen;
    bool too_many;
    char too_many_at[PATH_MAX];
} scan;

static bool is_hex12(const char *s, size_t n)
{
    if (n != 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Section name lower-cased with runs of blanks collapsed. */
static void norm_section(const char *s, size_t n, char *out, size_t cap)
{
    size_t j = 0;
    bool blank = false;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c)) {
            blank = j > 0;
            continue;
        }
        if (blank && j + 2 < cap)
            out[j++] = ' ';
        blank = false;
        out[j++] = (char)tolower(c);
    }
    out[j] = 0;
}

static bool probe_section(const char *name)
{
    return strcmp(name, "mcu scanner") == 0 || strcmp(name, "mcu cartographer") == 0 ||
           strcmp(name, "scanner") == 0 || strcmp(name, "cartographer") == 0;
}

static void add_entry(scan *sc, bool can, const char *val, size_t vlen, const char *section,
                      const char *name, size_t line)
{
    char value[192];
    if (vlen >= sizeof(value))
        vlen = sizeof(value) - 1;
    for (size_t i = 0; i < vlen; i++)
        value[i] = can ? (char)tolower((unsigned char)val[i]) : val[i];
    value[vlen] = 0;
    cf_kp_cfg_entry *e = NULL;
    for (size_t i = 0; i < *sc->count; i++) {
        cf_kp_cfg_entry *o = &sc->out[i];
        if (o->can == can && strcmp(o->value, value) == 0 && strcmp(o->section, section) == 0)
            e = o; /* seen before: keep the latest place it was seen */
    }
    if (!e) {
        if (*sc->count >= sc->cap)
            return;
        e = &sc->out[(*sc->count)++];
        memset(e, 0, sizeof(*e));
        e->can = can;
        snprintf(e->value, sizeof(e->value), "%s", value);
        snprintf(e->section, sizeof(e->section), "%s", section);
    }
    snprintf(e->source, sizeof(e->source), "%s:%zu", name, line);
}

typedef void (*include_fn)(void *ctx, const char *spec, size_t n);

/* One config line (without newline). */
static void scan_line(scan *sc, const char *l, size_t n, const char *name, size_t lineno,
                      include_fn inc, void *inc_ctx)
{
    /* SAVE_CONFIG's block lives in comments prefixed "#*#". */
    if (n >= 3 && memcmp(l, "#*#", 3) == 0) {
        l += 3;
        n -= 3;
        while (n && *l == ' ') { /* "#*# [section]": the blank is not an indent */
            l++;
            n--;
        }
    }
    const char *hash = memchr(l, '#', n);
    if (hash)
        n = (size_t)(hash - l);
    for (size_t i = 0; i < n; i++) /* inline ';' comment after a blank */
        if (l[i] == ';' && (i == 0 || isspace((unsigned char)l[i - 1]))) {
            n = i;
            break;
        }
    bool indented = n && isspace((unsigned char)l[0]);
    cf_trim(&l, &n);
    if (!n)
        return;
    if (l[0] == '[' && !indented) {
        const char *close = memchr(l, ']', n);
        if (!close)
            return;
        const char *h = l + 1;
        size_t hn = (size_t)(close - h);
        cf_trim(&h, &hn);
        if (hn > 8 && strncmp(h, "include ", 8) == 0) {
            sc->relevant = false;
            sc->section[0] = 0;
            if (inc)
                inc(inc_ctx, h + 8, hn - 8);
            return;
        }
        norm_section(h, hn, sc->section, sizeof(sc->section));
        sc->relevant = sc->all_sections || probe_section(sc->section);
        return;
    }
    if (!sc->relevant || indented)
        return;
    size_t k = 0;
    while (k < n && l[k] != ':' && l[k] != '=')
        k++;
    if (k == n)
        return;
    const char *key = l, *val = l + k + 1;
    size_t kn = k, vn = n - k - 1;
    cf_trim(&key, &kn);
    cf_trim(&val, &vn);
    if (kn == 11 && strncasecmp(key, "canbus_uuid", 11) == 0 && is_hex12(val, vn))
        add_entry(sc, true, val, vn, sc->section, name, lineno);
    else if (kn == 6 && strncasecmp(key, "serial", 6) == 0 && vn)
        add_entry(sc, false, val, vn, sc->section, name, lineno);
}

static void scan_text(scan *sc, const char *text, size_t len, const char *name, include_fn inc,
                      void *inc_ctx)
{
    size_t lineno = 0, pos = 0, n;
    const char *l;
    while ((l = cf_next_line_crlf(text, len, &pos, &n)) != NULL) {
        lineno++;
        scan_line(sc, l, n, name, lineno, inc, inc_ctx);
    }
}

void cf_kp_config_scan_text(const char *text, size_t len, const char *name, cf_kp_cfg_entry *out,
                            size_t cap, size_t *count)
{
    scan sc = {.out = out, .cap = cap, .count = count};
    *count = 0;
    scan_text(&sc, text, len, name, NULL, NULL);
}

static void scan_log(bool all_sections, const char *text, size_t len, const char *name,
                     cf_kp_cfg_entry *out, size_t cap, size_t *count);

/* ---- files with [include] ---- */

typedef struct file_ctx {
    scan *sc;
    const char *dir;
    int depth;
    cf_error *err;
} file_ctx;

static void scan_file(scan *sc, const char *path, int depth, cf_error *err);

/* True (and recorded) when path's real path has not been read yet and the cap
 * allows one more file. */
static bool first_visit(scan *sc, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return true; /* cf_read_file reports it (depth 0) or skips it */
    for (size_t i = 0; i < sc->nseen; i++)
        if (strcmp(sc->seen[i], real) == 0)
            return false;
    if (sc->nseen >= MAX_INCLUDE_FILES) {
        if (!sc->too_many)
            snprintf(sc->too_many_at, sizeof(sc->too_many_at), "%s", path);
        sc->too_many = true;
        return false;
    }
    memcpy(sc->seen[sc->nseen++], real, sizeof(real));
    return true;
}

static void on_include(void *vctx, const char *spec, size_t n)
{
    file_ctx *ctx = vctx;
    cf_trim(&spec, &n);
    if (!n || ctx->depth >= MAX_INCLUDE_DEPTH)
        return;
    char pattern[PATH_MAX];
    if (spec[0] == '/')
        snprintf(pattern, sizeof(pattern), "%.*s", (int)n, spec);
    else
        snprintf(pattern, sizeof(pattern), "%s/%.*s", ctx->dir, (int)n, spec);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (first_visit(ctx->sc, g.gl_pathv[i]))
                scan_file(ctx->sc, g.gl_pathv[i], ctx->depth + 1, ctx->err);
    }
    globfree(&g);
}

static void scan_file(scan *sc, const char *path, int depth, cf_error *err)
{
    uint8_t *data;
    size_t size;
    cf_error tmp;
    cf_error_reset(&tmp);
    if (cf_read_file(path, MAX_CFG_SIZE, &data, &size, &tmp)) {
        if (depth == 0 && err)
            *err = tmp;
        return;
    }
    char dirbuf[PATH_MAX];
    snprintf(dirbuf, sizeof(dirbuf), "%s", path);
    file_ctx ctx = {.sc = sc, .dir = dirname(dirbuf), .depth = depth, .err = err};
    /* Each file starts outside any section, as Klipper parses them. */
    char saved[64];
    bool saved_rel = sc->relevant;
    snprintf(saved, sizeof(saved), "%s", sc->section);
    sc->section[0] = 0;
    sc->relevant = false;
    scan_text(sc, (const char *)data, size, path, on_include, &ctx);
    snprintf(sc->section, sizeof(sc->section), "%s", saved);
    sc->relevant = saved_rel;
    free(data);
}

static cf_code scan_config(const char *printer_cfg, bool all_sections, cf_kp_cfg_entry *out,
                           size_t cap, size_t *count, cf_error *err)
{
    *count = 0;
    scan sc = {.out = out, .cap = cap, .count = count, .all_sections = all_sections};
    sc.seen = malloc(MAX_INCLUDE_FILES * sizeof(*sc.seen));
    if (!sc.seen)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory reading %s", printer_cfg);
    cf_error local;
    cf_error_reset(&local);
    (void)first_visit(&sc, printer_cfg);
    scan_file(&sc, printer_cfg, 0, &local);
    free(sc.seen);
    if (local.code) {
        if (err)
            *err = local;
        return local.code;
    }
    if (sc.too_many) {
        cf_fail(err, CF_ERR_FORMAT,
                "%s and its [include]s name more than %d files; stopped before %s", printer_cfg,
                MAX_INCLUDE_FILES, sc.too_many_at);
        cf_hint(err, "Check the [include] lines of %s: a glob may match far more than meant.",
                printer_cfg);
        return CF_ERR_FORMAT;
    }
    return CF_OK;
}

cf_code cf_kp_config_scan_file(const char *printer_cfg, cf_kp_cfg_entry *out, size_t cap,
                               size_t *count, cf_error *err)
{
    return scan_config(printer_cfg, false, out, cap, count, err);
}

#define OWNER_SCAN_MAX 256

/* The first entry for canbus_uuid `uuid` in a section that is not the probe's. */
static bool foreign(const cf_kp_cfg_entry *e, size_t n, const char *uuid, cf_kp_cfg_entry *owner)
{
    for (size_t i = 0; i < n; i++) {
        if (e[i].can && e[i].section[0] && !probe_section(e[i].section) &&
            strcasecmp(e[i].value, uuid) == 0) {
            *owner = e[i];
            return true;
        }
    }
    return false;
}

bool cf_kp_uuid_foreign_owner(const char *printer_cfg, const char *klippy_log, const char *uuid,
                              cf_kp_cfg_entry *owner)
{
    cf_kp_cfg_entry *e = malloc(OWNER_SCAN_MAX * sizeof(*e));
    if (!e)
        return false;
    size_t n = 0;
    bool hit = false;
    if (printer_cfg) {
        (void)scan_config(printer_cfg, true, e, OWNER_SCAN_MAX, &n, NULL);
        hit = foreign(e, n, uuid, owner);
    }
    if (!hit && klippy_log) {
        uint8_t *data;
        size_t size;
        if (cf_read_file(klippy_log, 64u * 1024u * 1024u, &data, &size, NULL) == CF_OK) {
            scan_log(true, (const char *)data, size, klippy_log, e, OWNER_SCAN_MAX, &n);
            free(data);
            hit = foreign(e, n, uuid, owner);
        }
    }
    free(e);
    return hit;
}

cf_code cf_kp_refuse_foreign_uuid(const char *home, const char *uuid, cf_error *err)
{
    if (!home || home[0] != '/' || !uuid)
        return CF_OK;
    /* every Klipper instance of a multi-instance host: ~/printer_data, ~/printer_data_2, ... */
    static const char *const kinds[2] = {"config/printer.cfg", "logs/klippy.log"};
    for (int k = 0; k < 2; k++) {
        char pattern[PATH_MAX];
        if (snprintf(pattern, sizeof(pattern), "%s/printer_data*/%s", home, kinds[k]) >=
            (int)sizeof(pattern))
            return CF_OK;
        glob_t g;
        if (glob(pattern, 0, NULL, &g) != 0) {
            globfree(&g);
            continue;
        }
        cf_kp_cfg_entry owner;
        bool hit = false;
        for (size_t i = 0; i < g.gl_pathc && i < 16 && !hit; i++)
            hit = cf_kp_uuid_foreign_owner(k == 0 ? g.gl_pathv[i] : NULL,
                                           k == 1 ? g.gl_pathv[i] : NULL, uuid, &owner);
        globfree(&g);
        if (hit) {
            cf_fail(err, CF_ERR_GATE,
                    "canbus_uuid %s belongs to [%s] (%s), not to the probe; flashing it would "
                    "replace that board's firmware",
                    uuid, owner.section, owner.source);
            cf_hint(err,
                    "The probe's UUID is the canbus_uuid of [scanner], [cartographer], [mcu "
                    "scanner] or [mcu cartographer]; `cartoflash list` shows them. If [%s] really "
                    "is the probe, pass --force.",
                    owner.section);
            return CF_ERR_GATE;
        }
    }
    return CF_OK;
}

/* ---- klippy.log ---- */

static bool starts(const char *l, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return n >= p && memcmp(l, prefix, p) == 0;
}

static void scan_log(bool all_sections, const char *text, size_t len, const char *name,
                     cf_kp_cfg_entry *out, size_t cap, size_t *count)
{
    scan sc = {.out = out, .cap = cap, .count = count, .all_sections = all_sections};
    *count = 0;
    bool in_cfg = false;
    size_t lineno = 0, pos = 0, n;
    const char *l;
    while ((l = cf_next_line_crlf(text, len, &pos, &n)) != NULL) {
        lineno++;
        if (starts(l, n, "===== Config file =====")) {
            in_cfg = true;
            sc.section[0] = 0;
            sc.relevant = false;
            continue;
        }
        if (in_cfg && starts(l, n, "=======================")) {
            in_cfg = false;
            continue;
        }
        if (in_cfg) {
            scan_line(&sc, l, n, name, lineno, NULL, NULL);
            continue;
        }
        /* Elsewhere: any "canbus_uuid" followed by a UUID, e.g. in errors. */
        for (size_t k = 0; k + 11 <= n; k++) {
            if (memcmp(l + k, "canbus_uuid", 11) != 0)
                continue;
            size_t v = k + 11;
            while (v < n &&
                   (l[v] == ' ' || l[v] == '=' || l[v] == ':' || l[v] == '\'' || l[v] == '"'))
                v++;
            if (v + 12 <= n && is_hex12(l + v, 12) &&
                (v + 12 == n || !isxdigit((unsigned char)l[v + 12])))
                add_entry(&sc, true, l + v, 12, "", name, lineno);
        }
    }
}

void cf_kp_klippy_log_scan_text(const char *text, size_t len, const char *name,
                                cf_kp_cfg_entry *out, size_t cap, size_t *count)
{
    scan_log(false, text, len, name, out, cap, count);
}

cf_code cf_kp_klippy_log_scan_file(const char *path, cf_kp_cfg_entry *out, size_t cap,
                                   size_t *count, cf_error *err)
{
    *count = 0;
    uint8_t *data;
    size_t size;
    /* Logs rotate at a few MiB; read at most the newest 64 MiB. */
    cf_code rc = cf_read_file(path, 64u * 1024u * 1024u, &data, &size, err);
    if (rc)
        return rc;
    cf_kp_klippy_log_scan_text((const char *)data, size, path, out, cap, count);
    free(data);
    return CF_OK;
}
