/* Settings file: key = value data, checked per key, never executed. */
#include "menu/settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/host.h"

#define SETTINGS_MAX_FILE (64u * 1024u)

typedef enum { KIND_BOOL, KIND_BRANCH, KIND_PATH, KIND_UNIT, KIND_URL, KIND_IFACE } key_kind;

typedef struct key_def {
    const char *name;
    key_kind kind;
    size_t offset;
    size_t size; /* for strings */
} key_def;

#define STR_KEY(n, k, f)                                                                           \
    {                                                                                              \
        n, k, offsetof(menu_settings, f), sizeof(((menu_settings *)0)->f)                          \
    }
#define BOOL_KEY(n, f)                                                                             \
    {                                                                                              \
        n, KIND_BOOL, offsetof(menu_settings, f), sizeof(bool)                                     \
    }

static const key_def keys[] = {
    STR_KEY("branch", KIND_BRANCH, branch),
    BOOL_KEY("all_firmware", all_firmware),
    BOOL_KEY("debug", debug),
    BOOL_KEY("kseries", kseries),
    BOOL_KEY("katapult_type", katapult_type),
    BOOL_KEY("high_temp", high_temp),
    STR_KEY("firmware_dir", KIND_PATH, firmware_dir),
    STR_KEY("klipper_dir", KIND_PATH, klipper_dir),
    STR_KEY("katapult_dir", KIND_PATH, katapult_dir),
    STR_KEY("klippy_log", KIND_PATH, klippy_log),
    STR_KEY("klipper_service", KIND_UNIT, klipper_service),
    STR_KEY("moonraker_url", KIND_URL, moonraker_url),
    STR_KEY("can_interface", KIND_IFACE, can_interface),
};

static const char *home_dir(void)
{
    const char *h = getenv("HOME");
    return (h && h[0] == '/') ? h : "/";
}

void menu_settings_default(menu_settings *s)
{
    const char *home = home_dir();
    memset(s, 0, sizeof(*s));
    snprintf(s->branch, sizeof(s->branch), "master");
    snprintf(s->klipper_dir, sizeof(s->klipper_dir), "%s/klipper", home);
    snprintf(s->katapult_dir, sizeof(s->katapult_dir), "%s/katapult", home);
    cf_host host;
    cf_host_detect(&host, home); /* the K1 keeps its log under /usr/data */
    snprintf(s->klippy_log, sizeof(s->klippy_log), "%s", host.klippy_log);
    snprintf(s->klipper_service, sizeof(s->klipper_service), "klipper.service");
    snprintf(s->moonraker_url, sizeof(s->moonraker_url), "http://127.0.0.1:7125");
    snprintf(s->can_interface, sizeof(s->can_interface), "can0");
}

static const key_def *find_key(const char *name)
{
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static bool all_chars(const char *v, const char *extra)
{
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(extra, *p))
            return false;
    return true;
}

static cf_code parse_bool(const char *v, bool *out, cf_error *err)
{
    static const char *yes[] = {"true", "yes", "on", "1"};
    static const char *no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return CF_OK;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return CF_OK;
        }
    }
    return cf_fail(err, CF_ERR_FORMAT, "\"%.40s\" is not true or false", v);
}

/* Checks one value for its kind and writes it into *s. */
static cf_code apply(menu_settings *s, const key_def *k, const char *v, cf_error *err)
{
    char *field = (char *)s + k->offset;
    size_t len = strlen(v);
    char buf[PATH_MAX];

    switch (k->kind) {
    case KIND_BOOL:
        return parse_bool(v, (bool *)(void *)field, err);
    case KIND_BRANCH:
        /* goes into a download URL: keep it to git's safe branch characters */
        if (len == 0 || v[0] == '-' || strstr(v, "..") || !all_chars(v, "._/-"))
            return cf_fail(err, CF_ERR_FORMAT,
                           "branch \"%.40s\" may use only letters, digits, '.', '_', '/', '-'", v);
        break;
    case KIND_PATH:
        if (len == 0)
            break; /* empty = not set */
        if (v[0] == '~' && v[1] == '/') {
            if ((size_t)snprintf(buf, sizeof(buf), "%s%s", home_dir(), v + 1) >= sizeof(buf))
                return cf_fail(err, CF_ERR_FORMAT, "path is too long");
            v = buf;
            len = strlen(v);
        }
        if (v[0] != '/')
            return cf_fail(err, CF_ERR_FORMAT, "\"%.60s\" is not an absolute path", v);
        break;
    case KIND_UNIT:
        if (len == 0 || v[0] == '-' || !all_chars(v, "@._-"))
            return cf_fail(err, CF_ERR_FORMAT, "\"%.60s\" is not a systemd unit name", v);
        break;
    case KIND_URL:
        /* file:// lets tests (and offline demos) stand in for Moonraker */
        if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0 &&
            strncmp(v, "file://", 7) != 0)
            return cf_fail(err, CF_ERR_FORMAT, "\"%.60s\" is not an http(s) URL", v);
        for (const char *p = v; *p; p++)
            if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
                return cf_fail(err, CF_ERR_FORMAT, "the URL contains a space or control byte");
        break;
    case KIND_IFACE:
        if (len == 0 || len > 15 || !all_chars(v, "._-"))
            return cf_fail(err, CF_ERR_FORMAT, "\"%.40s\" is not a network interface name", v);
        break;
    }
    if (len >= k->size)
        return cf_fail(err, CF_ERR_FORMAT, "value is too long (at most %zu characters)",
                       k->size - 1);
    memset(field, 0, k->size); /* no tail of an older, longer value is kept */
    memcpy(field, v, len + 1);
    return CF_OK;
}

cf_code menu_settings_set(menu_settings *s, const char *key, const char *value, cf_error *err)
{
    const key_def *k = find_key(key);
    if (!k)
        return cf_fail(err, CF_ERR_FORMAT, "unknown setting \"%.40s\"", key);
    cf_error local;
    cf_error_reset(&local);
    cf_code rc = apply(s, k, value, &local);
    if (rc != CF_OK) {
        cf_fail(err, rc, "%s: %s", k->name, local.message);
        return rc;
    }
    return CF_OK;
}

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        p[--n] = '\0';
    return p;
}

/* Parses one line (already NUL-terminated, writable). */
static cf_code parse_line(menu_settings *s, char *line, cf_error *err)
{
    char *p = trim(line);
    if (*p == '\0' || *p == '#' || *p == ';')
        return CF_OK;
    char *eq = strchr(p, '=');
    if (!eq)
        return cf_fail(err, CF_ERR_FORMAT, "expected \"key = value\"");
    *eq = '\0';
    char *key = trim(p);
    char *value = trim(eq + 1);
    size_t vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    if (strchr(value, '"'))
        return cf_fail(err, CF_ERR_FORMAT, "unbalanced quote");
    return menu_settings_set(s, key, value, err);
}

cf_code menu_settings_parse(const char *text, size_t len, menu_settings *s, cf_error *err)
{
    char line[PATH_MAX + 64];
    size_t pos = 0;
    unsigned lineno = 0;
    cf_code first = CF_OK;

    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        size_t n = end - pos;
        cf_error local;
        cf_error_reset(&local);
        cf_code rc;
        if (n >= sizeof(line))
            rc = cf_fail(&local, CF_ERR_FORMAT, "line is too long");
        else if (memchr(text + pos, '\0', n))
            rc = cf_fail(&local, CF_ERR_FORMAT, "line contains a NUL byte");
        else {
            memcpy(line, text + pos, n);
            line[n] = '\0';
            rc = parse_line(s, line, &local);
        }
        if (rc != CF_OK && first == CF_OK) {
            first = rc;
            cf_fail(err, rc, "line %u: %s", lineno, local.message);
        }
        pos = end + 1;
    }
    return first;
}

cf_code menu_settings_load(const char *path, menu_settings *s, cf_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return CF_OK;
    uint8_t *data = NULL;
    size_t size = 0;
    cf_code rc = cf_read_file(path, SETTINGS_MAX_FILE, &data, &size, err);
    if (rc != CF_OK)
        return rc;
    rc = menu_settings_parse((const char *)data, size, s, err);
    free(data);
    if (rc != CF_OK) {
        cf_error_prefix(err, "%s: ", path);
        cf_hint(err, "Fix or delete that line; the other settings were applied.");
    }
    return rc;
}

size_t menu_settings_format(const menu_settings *s, char *out, size_t size)
{
    size_t used = 0;
    int n =
        snprintf(out, size, "# cartoflash settings (key = value). Read as data, never executed.\n");
    used = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *field = (const char *)s + keys[i].offset;
        const char *value;
        if (keys[i].kind == KIND_BOOL)
            value = *(const bool *)(const void *)field ? "true" : "false";
        else
            value = field;
        /* strings are quoted so leading/trailing spaces survive a round trip */
        const char *q = keys[i].kind == KIND_BOOL ? "" : "\"";
        n = snprintf(used < size ? out + used : NULL, used < size ? size - used : 0,
                     "%s = %s%s%s\n", keys[i].name, q, value, q);
        if (n > 0)
            used += (size_t)n;
    }
    return used;
}

cf_code menu_settings_save(const char *path, const menu_settings *s, cf_error *err)
{
    char dir[PATH_MAX];
    size_t plen = strlen(path);
    if (plen >= sizeof(dir))
        return cf_fail(err, CF_ERR_USAGE, "settings path is too long");
    memcpy(dir, path, plen + 1);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        cf_code rc = cf_mkdirs(dir, 0700, err);
        if (rc != CF_OK)
            return rc;
    }
    size_t need = menu_settings_format(s, NULL, 0) + 1;
    char *text = malloc(need);
    if (!text)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    menu_settings_format(s, text, need);
    cf_code rc = cf_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}
