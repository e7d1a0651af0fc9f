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
#include "katapult/katapult.h"

#define MAX_CFG_SIZE (8u * 1024u * 1024u)
#define MAX_INCLUDE_DEPTH 8

typedef struct scan {
    cf_kp_cfg_entry *out;
    size_t cap;
    size_t *count;
    char section[64];
    bool relevant;
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

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
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
    trim(&l, &n);
    if (!n)
        return;
    if (l[0] == '[' && !indented) {
        const char *close = memchr(l, ']', n);
        if (!close)
            return;
        const char *h = l + 1;
        size_t hn = (size_t)(close - h);
        trim(&h, &hn);
        if (hn > 8 && strncmp(h, "include ", 8) == 0) {
            sc->relevant = false;
            sc->section[0] = 0;
            if (inc)
                inc(inc_ctx, h + 8, hn - 8);
            return;
        }
        norm_section(h, hn, sc->section, sizeof(sc->section));
        sc->relevant = probe_section(sc->section);
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
    trim(&key, &kn);
    trim(&val, &vn);
    if (kn == 11 && strncasecmp(key, "canbus_uuid", 11) == 0 && is_hex12(val, vn))
        add_entry(sc, true, val, vn, sc->section, name, lineno);
    else if (kn == 6 && strncasecmp(key, "serial", 6) == 0 && vn)
        add_entry(sc, false, val, vn, sc->section, name, lineno);
}

static void scan_text(scan *sc, const char *text, size_t len, const char *name, include_fn inc,
                      void *inc_ctx)
{
    size_t lineno = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        lineno++;
        size_t n = e - i;
        if (n && text[i + n - 1] == '\r')
            n--;
        scan_line(sc, text + i, n, name, lineno, inc, inc_ctx);
        i = e + 1;
    }
}

void cf_kp_config_scan_text(const char *text, size_t len, const char *name, cf_kp_cfg_entry *out,
                            size_t cap, size_t *count)
{
    scan sc = {.out = out, .cap = cap, .count = count};
    *count = 0;
    scan_text(&sc, text, len, name, NULL, NULL);
}

/* ---- files with [include] ---- */

typedef struct file_ctx {
    scan *sc;
    const char *dir;
    int depth;
    cf_error *err;
} file_ctx;

static void scan_file(scan *sc, const char *path, int depth, cf_error *err);

static void on_include(void *vctx, const char *spec, size_t n)
{
    file_ctx *ctx = vctx;
    trim(&spec, &n);
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

cf_code cf_kp_config_scan_file(const char *printer_cfg, cf_kp_cfg_entry *out, size_t cap,
                               size_t *count, cf_error *err)
{
    *count = 0;
    scan sc = {.out = out, .cap = cap, .count = count};
    cf_error local;
    cf_error_reset(&local);
    scan_file(&sc, printer_cfg, 0, &local);
    if (local.code) {
        if (err)
            *err = local;
        return local.code;
    }
    return CF_OK;
}

/* ---- klippy.log ---- */

static bool starts(const char *l, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return n >= p && memcmp(l, prefix, p) == 0;
}

void cf_kp_klippy_log_scan_text(const char *text, size_t len, const char *name,
                                cf_kp_cfg_entry *out, size_t cap, size_t *count)
{
    scan sc = {.out = out, .cap = cap, .count = count};
    *count = 0;
    bool in_cfg = false;
    size_t lineno = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        lineno++;
        const char *l = text + i;
        size_t n = e - i;
        if (n && l[n - 1] == '\r')
            n--;
        i = e + 1;
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
