/* Moonraker: discovery, one GET, and the Cartographer MCU's report (see
 * moonraker.h). */
#include "klipper/moonraker.h"

#include <ctype.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/dlib_curl.h"
#include "common/fileio.h"
#include "common/text.h"

#define REPLY_MAX (1024u * 1024u) /* configfile settings carry every macro's text */
#define CONF_MAX (1024u * 1024u)

const char cf_mr_mcu_query[] =
    "/printer/objects/query?mcu%20scanner&mcu%20cartographer&configfile=settings";

static char api_key[160];

void cf_mr_set_key(const char *key)
{
    snprintf(api_key, sizeof(api_key), "%s", key ? key : "");
}

/* ---- moonraker.conf ---- */

cf_code cf_mr_conf_port(const char *text, size_t len, unsigned *port, cf_error *err)
{
    *port = CF_MR_DEFAULT_PORT;
    bool in_server = false;
    size_t lineno = 0, pos = 0, n;
    const char *l;
    while ((l = cf_next_line(text, len, &pos, &n)) != NULL) {
        lineno++;
        /* comments: '#' or ';' (Python configparser, as Moonraker reads it) */
        for (size_t k = 0; k < n; k++)
            if (l[k] == '#' || l[k] == ';') {
                n = k;
                break;
            }
        bool indented = n && isspace((unsigned char)l[0]);
        cf_trim(&l, &n);
        if (!n || indented)
            continue;
        if (l[0] == '[') {
            const char *h = l + 1;
            const char *close = memchr(h, ']', n - 1);
            size_t hn = close ? (size_t)(close - h) : 0;
            cf_trim(&h, &hn);
            in_server = hn == 6 && strncasecmp(h, "server", 6) == 0;
            continue;
        }
        if (!in_server)
            continue;
        size_t k = 0;
        while (k < n && l[k] != ':' && l[k] != '=')
            k++;
        const char *key = l, *val = l + k + (k < n);
        size_t kn = k, vn = k < n ? n - k - 1 : 0;
        cf_trim(&key, &kn);
        cf_trim(&val, &vn);
        if (kn != 4 || strncasecmp(key, "port", 4) != 0)
            continue;
        unsigned long v = 0;
        size_t d = 0;
        while (d < vn && isdigit((unsigned char)val[d]) && v <= 65535)
            v = v * 10 + (unsigned long)(val[d++] - '0');
        if (d == 0 || d != vn || v == 0 || v > 65535)
            return cf_fail(err, CF_ERR_FORMAT,
                           "moonraker.conf line %zu: port \"%.*s\" is not a number from 1 to "
                           "65535",
                           lineno, (int)(vn < 20 ? vn : 20), val);
        *port = (unsigned)v;
    }
    return CF_OK;
}

size_t cf_mr_urls(const char *setting, const char *home, char urls[][256], size_t max, bool *found)
{
    if (max == 0)
        return 0;
    /* a URL set by hand (settings file or Advanced Mode) is the one to ask */
    if (found)
        *found = false;
    if (setting && setting[0] && strcmp(setting, CF_MR_DEFAULT_URL) != 0) {
        snprintf(urls[0], 256, "%s", setting);
        if (found)
            *found = true;
        return 1;
    }
    size_t n = 0;
    char pattern[4200];
    glob_t g;
    if (home && home[0] == '/' &&
        snprintf(pattern, sizeof(pattern), "%s/printer_data*/config/moonraker.conf", home) <
            (int)sizeof(pattern) &&
        glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && n < max; i++) {
            uint8_t *data;
            size_t size;
            unsigned port = CF_MR_DEFAULT_PORT;
            if (cf_read_file(g.gl_pathv[i], CONF_MAX, &data, &size, NULL) != CF_OK)
                continue;
            cf_code rc = cf_mr_conf_port((const char *)data, size, &port, NULL);
            free(data);
            if (rc != CF_OK)
                continue;
            char url[256];
            snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
            bool dup = false;
            for (size_t k = 0; k < n; k++)
                dup |= strcmp(urls[k], url) == 0;
            if (!dup)
                memcpy(urls[n++], url, sizeof(url));
        }
        globfree(&g);
    }
    if (found)
        *found = n > 0;
    if (n == 0)
        snprintf(urls[n++], 256, "%s", CF_MR_DEFAULT_URL);
    return n;
}

/* ---- one GET ---- */

typedef struct reply {
    char *data;
    size_t len;
    bool too_big;
} reply;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
    reply *r = user;
    size_t n = size * nmemb;
    if (r->len + n > REPLY_MAX) {
        r->too_big = true;
        return 0;
    }
    char *p = realloc(r->data, r->len + n + 1);
    if (!p)
        return 0;
    memcpy(p + r->len, ptr, n);
    r->data = p;
    r->len += n;
    r->data[r->len] = '\0';
    return n;
}

static const char *key_in_use(cf_error *err, bool *bad)
{
    *bad = false;
    const char *k = api_key[0] ? api_key : getenv("MOONRAKER_API_KEY");
    if (!k || !k[0])
        return NULL;
    /* it goes into an HTTP header: printable ASCII without blanks only, so it
     * cannot add a header line of its own */
    for (const char *p = k; *p; p++)
        if (!isgraph((unsigned char)*p) || p - k >= 128) {
            *bad = true;
            cf_fail(err, CF_ERR_USAGE, "the Moonraker API key is not 1-128 printable characters");
            return NULL;
        }
    return k;
}

static cf_code http_error(const char *base, CURLcode cc, long status, bool keyed, bool too_big,
                          cf_error *err)
{
    if (status == 401 || status == 403) {
        cf_fail(err, CF_ERR_ACCESS, "Moonraker at %s answered HTTP %ld: it wants %s API key", base,
                status, keyed ? "another" : "an");
        cf_hint(err, "Pass --moonraker-key KEY or set MOONRAKER_API_KEY (Moonraker's "
                     "[authorization] section, or `Settings > API key` in the web UI).");
        return CF_ERR_ACCESS;
    }
    return cf_fail(err, CF_ERR_IO, "Moonraker at %s did not answer: %s", base,
                   too_big ? "reply too large" : sym_curl_easy_strerror(cc));
}

cf_code cf_mr_get(const char *base, const char *path_query, char **body, size_t *len, cf_error *err)
{
    *body = NULL;
    *len = 0;
    bool bad_key;
    const char *key = key_in_use(err, &bad_key);
    if (bad_key)
        return CF_ERR_USAGE;
    char url[512];
    snprintf(url, sizeof(url), "%s%s", base, path_query);
    cf_code rc = cf_dlib_curl(err); /* libcurl is loaded here, on first use */
    if (rc != CF_OK)
        return rc;
    CURL *c = sym_curl_easy_init();
    if (!c)
        return cf_fail(err, CF_ERR_NOMEM, "libcurl could not start");
    struct curl_slist *hdrs = NULL;
    if (key) {
        char header[200];
        snprintf(header, sizeof(header), "X-Api-Key: %s", key);
        hdrs = sym_curl_slist_append(NULL, header);
        if (!hdrs) {
            sym_curl_easy_cleanup(c);
            return cf_fail(err, CF_ERR_NOMEM, "out of memory");
        }
        sym_curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    }
    reply r = {0};
    sym_curl_easy_setopt(c, CURLOPT_URL, url);
    sym_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    sym_curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    sym_curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1500L);
    sym_curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    sym_curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    sym_curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    CURLcode cc = sym_curl_easy_perform(c);
    long status = 0;
    sym_curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    sym_curl_easy_cleanup(c);
    sym_curl_slist_free_all(hdrs);
    if (cc != CURLE_OK) {
        free(r.data);
        return http_error(base, cc, status, key != NULL, r.too_big, err);
    }
    *body = r.data ? r.data : calloc(1, 1);
    *len = r.len;
    return *body ? CF_OK : cf_fail(err, CF_ERR_NOMEM, "out of memory");
}

/* ---- the Cartographer MCU's report ---- */

static void copy_str(char *dst, size_t size, json_t *v)
{
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    snprintf(dst, size, "%s", s);
}

/* mcu_version and mcu_constants are the dictionary's version and config:
 * put back together, the dictionary parser reads them as identify does. */
static cf_code parse_one(json_t *obj, json_t *settings, const char *section, cf_mr_mcu *m,
                         cf_error *err)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->object, sizeof(m->object), "mcu %s", section);
    json_t *version = json_object_get(obj, "mcu_version");
    json_t *constants = json_object_get(obj, "mcu_constants");
    if (!json_is_string(version) || (constants && !json_is_object(constants)))
        return cf_fail(err, CF_ERR_FORMAT,
                       "Moonraker's \"%s\" has no mcu_version string (or its mcu_constants is "
                       "not an object)",
                       m->object);
    json_t *config = constants ? json_incref(constants) : json_object();
    json_t *dict = json_pack("{s:O,s:o}", "version", version, "config", config);
    char *text = dict ? json_dumps(dict, JSON_COMPACT) : NULL;
    json_decref(dict);
    if (!text)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    cf_code rc = cf_image_parse_dictionary(text, strlen(text), &m->fw, err);
    free(text);
    if (rc != CF_OK)
        return rc;
    json_t *sec = json_object_get(settings, section);
    copy_str(m->serial, sizeof(m->serial), json_object_get(sec, "serial"));
    copy_str(m->canbus_uuid, sizeof(m->canbus_uuid), json_object_get(sec, "canbus_uuid"));
    for (char *p = m->canbus_uuid; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return CF_OK;
}

cf_code cf_mr_parse_mcus(const char *json, size_t len, cf_mr_mcu *out, size_t cap, size_t *n,
                         cf_error *err)
{
    static const char *const sections[] = {"scanner", "cartographer"};
    *n = 0;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    json_t *status = json_object_get(json_object_get(root, "result"), "status");
    if (!json_is_object(status)) {
        json_decref(root);
        return cf_fail(err, CF_ERR_FORMAT,
                       "Moonraker's answer is not {\"result\": {\"status\": {...}}}");
    }
    json_t *settings = json_object_get(json_object_get(status, "configfile"), "settings");
    cf_code rc = CF_OK;
    for (size_t i = 0; i < 2 && rc == CF_OK && *n < cap; i++) {
        char name[32];
        snprintf(name, sizeof(name), "mcu %s", sections[i]);
        json_t *obj = json_object_get(status, name);
        if (!obj)
            continue;
        rc = parse_one(obj, settings, sections[i], &out[*n], err);
        if (rc == CF_OK)
            (*n)++;
    }
    json_decref(root);
    return rc;
}

size_t cf_mr_query_mcus(char urls[][256], size_t nurls, cf_mr_mcu *out, size_t cap, char *why,
                        size_t why_size)
{
    size_t got = 0;
    why[0] = '\0';
    for (size_t i = 0; i < nurls && got < cap; i++) {
        char *body = NULL;
        size_t len = 0, k = 0;
        cf_error err = {0};
        cf_code rc = cf_mr_get(urls[i], cf_mr_mcu_query, &body, &len, &err);
        if (rc == CF_OK)
            rc = cf_mr_parse_mcus(body, len, out + got, cap - got, &k, &err);
        free(body);
        for (size_t j = 0; rc == CF_OK && j < k; j++)
            snprintf(out[got + j].url, sizeof(out[0].url), "%s", urls[i]);
        got += rc == CF_OK ? k : 0;
        if (rc != CF_OK) {
            size_t used = strlen(why);
            snprintf(why + used, why_size - used, "%s%s", used ? "; " : "", err.message);
        }
    }
    return got;
}
