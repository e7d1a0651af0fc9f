#include "catalog/manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fileio.h"
#include "common/safe.h"

/* ---- generic CSV ---- */

typedef struct csv_state {
    char *fields[CF_CSV_MAX_FIELDS];
    size_t count;
    char *field; /* current field being built */
    size_t flen;
} csv_state;

static void csv_clear(csv_state *st)
{
    for (size_t i = 0; i < st->count; i++)
        free(st->fields[i]);
    st->count = 0;
    free(st->field);
    st->field = NULL;
    st->flen = 0;
}

static cf_code csv_putc(csv_state *st, char c, const char *name, size_t line, cf_error *err)
{
    if (c == '\0')
        return cf_fail(err, CF_ERR_FORMAT, "%s line %zu: NUL byte in a field", name, line);
    if (st->flen + 1 >= CF_CSV_MAX_FIELD)
        return cf_fail(err, CF_ERR_FORMAT, "%s line %zu: field longer than %u bytes", name, line,
                       CF_CSV_MAX_FIELD);
    if (!st->field) {
        st->field = malloc(CF_CSV_MAX_FIELD);
        if (!st->field)
            return cf_fail(err, CF_ERR_NOMEM, "out of memory reading %s", name);
    }
    st->field[st->flen++] = c;
    return CF_OK;
}

static cf_code csv_end_field(csv_state *st, const char *name, size_t line, cf_error *err)
{
    if (st->count == CF_CSV_MAX_FIELDS)
        return cf_fail(err, CF_ERR_FORMAT, "%s line %zu: more than %u fields", name, line,
                       CF_CSV_MAX_FIELDS);
    char *f = st->field ? st->field : malloc(1);
    if (!f)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory reading %s", name);
    f[st->flen] = '\0';
    st->fields[st->count++] = f;
    st->field = NULL;
    st->flen = 0;
    return CF_OK;
}

/* A quoted field from the opening quote at buf[*i]: it runs to the closing
 * quote, "" is a quote, and only ',' or the end of the line may follow. */
static cf_code csv_quoted(csv_state *st, const char *buf, size_t len, size_t *i, size_t *line,
                          const char *name, cf_error *err)
{
    size_t open_line = *line;
    cf_code rc = CF_OK;
    (*i)++;
    for (;;) {
        if (*i >= len)
            return cf_fail(err, CF_ERR_FORMAT, "%s line %zu: quoted field never closed", name,
                           open_line);
        if (buf[*i] == '"' && !(*i + 1 < len && buf[*i + 1] == '"')) {
            (*i)++;
            break;
        }
        if (buf[*i] == '"') {
            rc = csv_putc(st, '"', name, *line, err);
            *i += 2;
        } else {
            if (buf[*i] == '\n')
                (*line)++;
            rc = csv_putc(st, buf[*i], name, *line, err);
            (*i)++;
        }
        if (rc != CF_OK)
            return rc;
    }
    /* make an empty quoted field exist */
    if (!st->field && !(st->field = malloc(CF_CSV_MAX_FIELD)))
        return cf_fail(err, CF_ERR_NOMEM, "out of memory reading %s", name);
    if (*i < len && buf[*i] != ',' && buf[*i] != '\n' && buf[*i] != '\r')
        return cf_fail(err, CF_ERR_FORMAT,
                       "%s line %zu: text after a closing quote (expected ',' or end of line)",
                       name, *line);
    return CF_OK;
}

/* Ends the record's last field and hands the record to row (blank lines are
 * skipped). */
static cf_code csv_end_record(csv_state *st, cf_csv_row_fn row, void *ctx, size_t record_line,
                              const char *name, size_t line, cf_error *err)
{
    cf_code rc = csv_end_field(st, name, line, err);
    bool blank = rc == CF_OK && st->count == 1 && st->fields[0][0] == '\0';
    if (rc == CF_OK && !blank && !row(ctx, record_line, st->fields, st->count, err))
        rc = err && err->code ? err->code : CF_ERR_FORMAT;
    return rc;
}

cf_code cf_csv_parse(const char *buf, size_t len, const char *name, cf_csv_row_fn row, void *ctx,
                     cf_error *err)
{
    csv_state st = {0};
    size_t line = 1, record_line = 1;
    size_t i = 0;
    cf_code rc = CF_OK;
    bool in_record = false;

    while (i < len && rc == CF_OK) {
        char c = buf[i];
        if (!in_record) {
            record_line = line;
            in_record = true;
        }
        if (c == '"' && st.flen == 0 && !st.field) {
            rc = csv_quoted(&st, buf, len, &i, &line, name, err);
        } else if (c == ',') {
            rc = csv_end_field(&st, name, line, err);
            i++;
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < len && buf[i + 1] == '\n')
                i++;
            i++;
            rc = csv_end_record(&st, row, ctx, record_line, name, line, err);
            csv_clear(&st);
            line++;
            in_record = false;
        } else if (c == '"') {
            rc = cf_fail(err, CF_ERR_FORMAT, "%s line %zu: quote inside an unquoted field", name,
                         line);
        } else {
            rc = csv_putc(&st, c, name, line, err);
            i++;
        }
    }
    if (rc == CF_OK && in_record)
        rc = csv_end_record(&st, row, ctx, record_line, name, line, err);
    csv_clear(&st);
    if (rc != CF_OK && err && err->code == CF_OK)
        rc = cf_fail(err, rc, "%s: malformed CSV", name);
    return rc;
}

/* ---- firmware_list.csv ---- */

enum {
    COL_PATH,
    COL_TYPE,
    COL_PROTOCOL,
    COL_PROCESS,
    COL_PROBE,
    COL_VERSION,
    COL_SPEED,
    COL_LITE,
    COL_MIN_PLUGIN,
    COL_N
};

static const char *const col_names[COL_N] = {
    "filepath",  "firmware_type", "protocol",
    "process",   "probe_version", "firmware_version",
    "can_speed", "is_lite",       "min_plugin_version",
};

typedef struct manifest_ctx {
    const char *name;
    int col[COL_N];
    bool have_header;
    cf_manifest *m;
    size_t cap;
} manifest_ctx;

static const char *field_at(char **fields, size_t count, int col)
{
    return col >= 0 && (size_t)col < count ? fields[col] : "";
}

/* Manifest paths are relative to firmware/; some writers prefix it. */
static const char *strip_prefixes(const char *p)
{
    for (;;) {
        if (strncmp(p, "./", 2) == 0)
            p += 2;
        else if (strncmp(p, "firmware/", 9) == 0)
            p += 9;
        else
            return p;
    }
}

static bool manifest_header(manifest_ctx *mc, size_t line, char **fields, size_t count,
                            cf_error *err)
{
    for (int c = 0; c < COL_N; c++)
        mc->col[c] = -1;
    for (size_t i = 0; i < count; i++) {
        for (int c = 0; c < COL_N; c++) {
            if (strcasecmp(fields[i], col_names[c]) == 0 && mc->col[c] < 0)
                mc->col[c] = (int)i;
        }
    }
    if (mc->col[COL_PATH] < 0) {
        cf_fail(err, CF_ERR_FORMAT, "%s line %zu: no \"filepath\" column in the header", mc->name,
                line);
        return false;
    }
    mc->have_header = true;
    return true;
}

static bool parse_speed(const char *s, uint32_t *out)
{
    *out = 0;
    if (!*s)
        return true;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || s[0] == '-' || s[0] == '+' || v > 10000000ul)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* "x.y.z", each part 1-5 digits, nothing around it. */
static bool plain_version(const char *s)
{
    for (int part = 0; part < 3; part++) {
        size_t digits = 0;
        while (s[digits] >= '0' && s[digits] <= '9')
            digits++;
        if (digits == 0 || digits > 5)
            return false;
        s += digits;
        if (part < 2 && *s++ != '.')
            return false;
    }
    return *s == '\0';
}

static bool manifest_row(void *ctx, size_t line, char **fields, size_t count, cf_error *err)
{
    manifest_ctx *mc = ctx;
    if (!mc->have_header)
        return manifest_header(mc, line, fields, count, err);
    cf_manifest *m = mc->m;
    if (m->count == CF_MANIFEST_MAX_ROWS) {
        cf_fail(err, CF_ERR_FORMAT, "%s: more than %u rows", mc->name, CF_MANIFEST_MAX_ROWS);
        return false;
    }
    if (m->count == mc->cap) {
        size_t cap = mc->cap ? mc->cap * 2 : 64;
        cf_manifest_row *rows = realloc(m->rows, cap * sizeof(*rows));
        if (!rows) {
            cf_fail(err, CF_ERR_NOMEM, "out of memory reading %s", mc->name);
            return false;
        }
        m->rows = rows;
        mc->cap = cap;
    }
    cf_manifest_row *r = &m->rows[m->count];
    memset(r, 0, sizeof(*r));
    r->line = line;
    const char *path = strip_prefixes(field_at(fields, count, mc->col[COL_PATH]));
    if (!*path) {
        cf_fail(err, CF_ERR_FORMAT, "%s line %zu: empty filepath", mc->name, line);
        return false;
    }
    if (!cf_strlcpy(r->path, sizeof(r->path), path) ||
        !cf_strlcpy(r->firmware_type, sizeof(r->firmware_type),
                    field_at(fields, count, mc->col[COL_TYPE])) ||
        !cf_strlcpy(r->protocol, sizeof(r->protocol),
                    field_at(fields, count, mc->col[COL_PROTOCOL])) ||
        !cf_strlcpy(r->process, sizeof(r->process),
                    field_at(fields, count, mc->col[COL_PROCESS])) ||
        !cf_strlcpy(r->probe_version, sizeof(r->probe_version),
                    field_at(fields, count, mc->col[COL_PROBE])) ||
        !cf_strlcpy(r->version, sizeof(r->version),
                    field_at(fields, count, mc->col[COL_VERSION]))) {
        cf_fail(err, CF_ERR_FORMAT, "%s line %zu: a field is too long", mc->name, line);
        return false;
    }
    if (!parse_speed(field_at(fields, count, mc->col[COL_SPEED]), &r->can_speed)) {
        cf_fail(err, CF_ERR_FORMAT, "%s line %zu: can_speed \"%s\" is not a bitrate", mc->name,
                line, field_at(fields, count, mc->col[COL_SPEED]));
        return false;
    }
    /* The plugin release the image needs: x.y.z or empty; anything else is a
     * broken list, not a version to compare with. */
    const char *minp = field_at(fields, count, mc->col[COL_MIN_PLUGIN]);
    if (*minp && (!plain_version(minp) ||
                  !cf_strlcpy(r->min_plugin_version, sizeof(r->min_plugin_version), minp))) {
        cf_fail(err, CF_ERR_FORMAT, "%s line %zu: min_plugin_version \"%s\" is not x.y.z", mc->name,
                line, minp);
        return false;
    }
    const char *lite = field_at(fields, count, mc->col[COL_LITE]);
    if (strcasecmp(lite, "yes") == 0 || strcasecmp(lite, "true") == 0 || strcmp(lite, "1") == 0)
        r->is_lite = 1;
    else if (strcasecmp(lite, "no") == 0 || strcasecmp(lite, "false") == 0 ||
             strcmp(lite, "0") == 0)
        r->is_lite = 0;
    else
        r->is_lite = -1;
    m->count++;
    return true;
}

cf_code cf_manifest_parse(const char *buf, size_t len, const char *name, cf_manifest *out,
                          cf_error *err)
{
    memset(out, 0, sizeof(*out));
    if (len > CF_MANIFEST_MAX_BYTES)
        return cf_fail(err, CF_ERR_FORMAT, "%s is larger than %u bytes", name,
                       CF_MANIFEST_MAX_BYTES);
    /* a UTF-8 byte order mark before the header is tolerated */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    manifest_ctx mc = {.name = name, .m = out};
    cf_code rc = cf_csv_parse(buf, len, name, manifest_row, &mc, err);
    if (rc == CF_OK && !mc.have_header)
        rc = cf_fail(err, CF_ERR_FORMAT, "%s is empty (no header line)", name);
    if (rc != CF_OK)
        cf_manifest_free(out);
    return rc;
}

cf_code cf_manifest_load(const char *path, cf_manifest *out, cf_error *err)
{
    uint8_t *data;
    size_t size;
    memset(out, 0, sizeof(*out));
    cf_code rc = cf_read_file(path, CF_MANIFEST_MAX_BYTES, &data, &size, err);
    if (rc != CF_OK)
        return rc;
    rc = cf_manifest_parse((const char *)data, size, path, out, err);
    free(data);
    return rc;
}

const cf_manifest_row *cf_manifest_find(const cf_manifest *m, const char *rel_path)
{
    for (size_t i = 0; m && i < m->count; i++) {
        if (strcmp(m->rows[i].path, rel_path) == 0)
            return &m->rows[i];
    }
    return NULL;
}

void cf_manifest_free(cf_manifest *m)
{
    free(m->rows);
    m->rows = NULL;
    m->count = 0;
}
