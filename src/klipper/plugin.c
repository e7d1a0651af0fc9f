/* Reading the Cartographer Klipper plugin's version from what pip or its
 * build left on disk (see plugin.h for the files and where they are
 * documented). */
#include "klipper/plugin.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/text.h"

#define PLUGIN_FILE_MAX (256u * 1024u)

static bool copy_trimmed(const char *s, size_t n, char *out, size_t size)
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n == 0 || n >= size)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false; /* a version is printable ASCII without spaces (PEP 440) */
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

bool cf_plugin_version_parse(const char *s, int release[3], bool *prerelease)
{
    release[0] = release[1] = release[2] = 0;
    *prerelease = false;
    if (*s == 'v' || *s == 'V') /* PEP 440 allows a leading v */
        s++;
    int parts = 0;
    while (parts < 3) {
        long v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 6) {
            v = v * 10 + (*s++ - '0');
            digits++;
        }
        if (digits == 0 || (*s >= '0' && *s <= '9'))
            return false;
        release[parts++] = (int)v;
        if (*s != '.' || !(s[1] >= '0' && s[1] <= '9'))
            break;
        s++;
    }
    if (parts < 2)
        return false;
    while (*s == '.' && s[1] >= '0' && s[1] <= '9') { /* a fourth release part: ignored */
        s++;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    /* What follows: a/b/rc/dev come before the release, post and +local after it. */
    const char *t = s;
    if (*t == '.' || *t == '-' || *t == '_')
        t++;
    if (*t == '\0' || *t == '+' || strncasecmp(t, "post", 4) == 0 || strncasecmp(t, "r", 1) == 0)
        *prerelease = strncasecmp(t, "rc", 2) == 0;
    else
        *prerelease = true;
    return true;
}

cf_code cf_plugin_parse_metadata(const char *buf, size_t len, const char *name, char *version,
                                 size_t size, cf_error *err)
{
    size_t pos = 0, n;
    const char *line;
    while ((line = cf_next_line_crlf(buf, len, &pos, &n)) != NULL) {
        if (n == 0)
            break; /* the header block ends at the first empty line; the body follows */
        if (n > 8 && strncasecmp(line, "Version:", 8) == 0) {
            if (!copy_trimmed(line + 8, n - 8, version, size))
                return cf_fail(err, CF_ERR_FORMAT,
                               "%s: the Version: header is empty or not a "
                               "version",
                               name);
            int rel[3];
            bool pre;
            if (!cf_plugin_version_parse(version, rel, &pre))
                return cf_fail(err, CF_ERR_FORMAT, "%s: Version: \"%s\" is not a release number",
                               name, version);
            return CF_OK;
        }
    }
    return cf_fail(err, CF_ERR_FORMAT, "%s has no Version: header", name);
}

cf_code cf_plugin_parse_version_py(const char *buf, size_t len, const char *name, char *version,
                                   size_t size, cf_error *err)
{
    size_t pos = 0, n;
    const char *line;
    while ((line = cf_next_line(buf, len, &pos, &n)) != NULL) {
        if (n < 11 || strncmp(line, "__version__", 11) != 0)
            continue;
        /* the first quoted string on the line: '1.6.0' or "1.6.0" */
        const char *q = NULL;
        for (size_t i = 11; i < n && !q; i++)
            if (line[i] == '\'' || line[i] == '"')
                q = line + i;
        const char *end = q ? memchr(q + 1, *q, n - (size_t)(q + 1 - line)) : NULL;
        int rel[3];
        bool pre;
        if (!end || !copy_trimmed(q + 1, (size_t)(end - q - 1), version, size) ||
            !cf_plugin_version_parse(version, rel, &pre))
            return cf_fail(err, CF_ERR_FORMAT, "%s: __version__ is not a quoted release number",
                           name);
        return CF_OK;
    }
    return cf_fail(err, CF_ERR_FORMAT, "%s sets no __version__", name);
}

/* The Name: of a METADATA block names this plugin ("cartographer3d-plugin";
 * pip folds case and treats - _ . alike). */
static bool names_plugin(const char *buf, size_t len)
{
    static const char want[] = "cartographer3d-plugin";
    size_t pos = 0, n;
    const char *line;
    while ((line = cf_next_line(buf, len, &pos, &n)) != NULL) {
        if (n == 0 || (n == 1 && line[0] == '\r'))
            return false;
        if (n > 5 && strncasecmp(line, "Name:", 5) == 0) {
            const char *s = line + 5;
            size_t m = n - 5;
            while (m && (*s == ' ' || *s == '\t')) {
                s++;
                m--;
            }
            while (m && (s[m - 1] == ' ' || s[m - 1] == '\r'))
                m--;
            if (m != sizeof(want) - 1)
                return false;
            for (size_t i = 0; i < m; i++) {
                char c = s[i] == '_' || s[i] == '.' ? '-' : s[i];
                if (c >= 'A' && c <= 'Z')
                    c = (char)(c - 'A' + 'a');
                if (c != want[i])
                    return false;
            }
            return true;
        }
    }
    return false;
}

static void fill(cf_plugin *out, const char *where)
{
    out->found = true;
    snprintf(out->where, sizeof(out->where), "%s", where);
    cf_plugin_version_parse(out->version, out->release, &out->prerelease);
}

cf_code cf_plugin_find(const char *home, cf_plugin *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!home || !*home)
        return CF_OK;
    char pattern[1200];
    snprintf(pattern, sizeof(pattern),
             "%s/klippy-env/lib/python3*/site-packages/cartographer*.dist-info/METADATA", home);
    glob_t g;
    memset(&g, 0, sizeof(g));
    cf_code rc = CF_OK;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !out->found && rc == CF_OK; i++) {
            uint8_t *data = NULL;
            size_t len = 0;
            cf_error rerr = {0};
            if (cf_read_file(g.gl_pathv[i], PLUGIN_FILE_MAX, &data, &len, &rerr) != CF_OK)
                continue;
            const char *buf = (const char *)data;
            if (names_plugin(buf, len)) {
                rc = cf_plugin_parse_metadata(buf, len, g.gl_pathv[i], out->version,
                                              sizeof(out->version), err);
                if (rc == CF_OK) {
                    fill(out, g.gl_pathv[i]);
                    snprintf(out->upgrade, sizeof(out->upgrade),
                             "%s/klippy-env/bin/pip install --upgrade cartographer3d-plugin", home);
                }
            }
            free(data);
        }
    }
    globfree(&g);
    if (rc != CF_OK || out->found)
        return rc;
    char path[1200];
    snprintf(path, sizeof(path), "%s/cartographer3d-plugin/src/cartographer/__version__.py", home);
    struct stat st;
    if (stat(path, &st) != 0)
        return CF_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    rc = cf_read_file(path, PLUGIN_FILE_MAX, &data, &len, err);
    if (rc == CF_OK)
        rc = cf_plugin_parse_version_py((const char *)data, len, path, out->version,
                                        sizeof(out->version), err);
    free(data);
    if (rc == CF_OK) {
        fill(out, path);
        snprintf(out->upgrade, sizeof(out->upgrade),
                 "git -C %s/cartographer3d-plugin pull, then its scripts/install.sh", home);
    }
    return rc;
}

cf_code cf_plugin_check(const cf_plugin *p, const char *image, const char *min_version, char *note,
                        size_t note_size, cf_error *err)
{
    if (note_size)
        note[0] = '\0';
    if (!min_version || !*min_version)
        return CF_OK;
    int need[3];
    bool need_pre;
    if (!cf_plugin_version_parse(min_version, need, &need_pre))
        return cf_fail(err, CF_ERR_FORMAT, "%s: min_plugin_version \"%s\" is not a version", image,
                       min_version);
    if (!p->found) {
        snprintf(note, note_size,
                 "%s needs the Cartographer Klipper plugin %s or newer; no installed plugin was "
                 "found to check (klippy-env or a cartographer3d-plugin checkout)",
                 image, min_version);
        return CF_OK;
    }
    int cmp = 0;
    for (int i = 0; i < 3 && !cmp; i++)
        cmp = p->release[i] < need[i] ? -1 : p->release[i] > need[i];
    if (cmp == 0 && p->prerelease && !need_pre)
        cmp = -1;
    if (cmp >= 0)
        return CF_OK;
    cf_fail(err, CF_ERR_GATE,
            "%s needs the Cartographer Klipper plugin %s or newer; the installed one is %s (%s)",
            image, min_version, p->version, p->where);
    cf_hint(err, "upgrade the plugin first: %s (cartoflash does not install Python packages)",
            p->upgrade);
    return CF_ERR_GATE;
}
