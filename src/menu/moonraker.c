/* Moonraker discovery and the print-state question (see moonraker.h).
 * API: GET /printer/objects/query?print_stats, result.status.print_stats.state
 * (Moonraker's documentation, "Printer Administration / Query printer object
 * status"); an API key goes in the X-Api-Key header (Moonraker's
 * "Authorization" documentation). */
#include "menu/moonraker.h"

#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/dlib_curl.h"
#include "common/fileio.h"
#include "menu/menu.h"

#define REPLY_MAX (256u * 1024u)
#define CONF_MAX (1024u * 1024u)
#define DEFAULT_URL "http://127.0.0.1:7125"

static char api_key[160];

void menu_moonraker_set_key(const char *key)
{
    snprintf(api_key, sizeof(api_key), "%s", key ? key : "");
}

/* ---- moonraker.conf ---- */

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

cf_code menu_moonraker_conf_port(const char *text, size_t len, unsigned *port, cf_error *err)
{
    *port = MENU_MOONRAKER_DEFAULT_PORT;
    bool in_server = false;
    size_t lineno = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        lineno++;
        const char *l = text + i;
        size_t n = e - i;
        i = e + 1;
        /* comments: '#' or ';' (Python configparser, as Moonraker reads it) */
        for (size_t k = 0; k < n; k++)
            if (l[k] == '#' || l[k] == ';') {
                n = k;
                break;
            }
        bool indented = n && isspace((unsigned char)l[0]);
        trim(&l, &n);
        if (!n || indented)
            continue;
        if (l[0] == '[') {
            const char *h = l + 1;
            const char *close = memchr(h, ']', n - 1);
            size_t hn = close ? (size_t)(close - h) : 0;
            trim(&h, &hn);
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
        trim(&key, &kn);
        trim(&val, &vn);
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

size_t menu_moonraker_urls(const char *setting, const char *home, char urls[][256], size_t max)
{
    if (max == 0)
        return 0;
    /* a URL set by hand (settings file or Advanced Mode) is the one to ask */
    if (setting && setting[0] && strcmp(setting, DEFAULT_URL) != 0) {
        snprintf(urls[0], 256, "%s", setting);
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
            unsigned port = MENU_MOONRAKER_DEFAULT_PORT;
            if (cf_read_file(g.gl_pathv[i], CONF_MAX, &data, &size, NULL) != CF_OK)
                continue;
            cf_code rc = menu_moonraker_conf_port((const char *)data, size, &port, NULL);
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
    if (n == 0)
        snprintf(urls[n++], 256, "%s", DEFAULT_URL);
    return n;
}

/* ---- asking one Moonraker ---- */

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

static cf_code ask(const char *base, char *state, size_t size, cf_error *err)
{
    bool bad_key;
    const char *key = key_in_use(err, &bad_key);
    if (bad_key)
        return CF_ERR_USAGE;
    char url[400];
    snprintf(url, sizeof(url), "%s/printer/objects/query?print_stats", base);
    cf_code rc = cf_dlib_curl(err); /* libcurl is loaded here, on first use */
    if (rc != CF_OK)
        return rc;
    CURL *c = sym_curl_easy_init();
    if (!c)
        return cf_fail(err, CF_ERR_NOMEM, "libcurl could not start");
    struct curl_slist *hdrs = NULL;
    char header[200];
    if (key) {
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
    if (cc != CURLE_OK && (status == 401 || status == 403)) {
        rc = cf_fail(err, CF_ERR_ACCESS, "Moonraker at %s answered HTTP %ld: it wants %s API key",
                     base, status, key ? "another" : "an");
        cf_hint(err, "Pass --moonraker-key KEY or set MOONRAKER_API_KEY (Moonraker's "
                     "[authorization] section, or `Settings > API key` in the web UI).");
    } else if (cc != CURLE_OK) {
        rc = cf_fail(err, CF_ERR_IO, "Moonraker at %s did not answer: %s", base,
                     r.too_big ? "reply too large" : sym_curl_easy_strerror(cc));
    } else {
        rc = menu_moonraker_parse(r.data ? r.data : "", r.len, state, size, err);
    }
    free(r.data);
    return rc;
}

cf_code menu_moonraker_state(const menu_ctx *ctx, char *state, size_t size, cf_error *err)
{
    return ask(ctx->set.moonraker_url, state, size, err);
}

menu_print_state menu_printer_state(const menu_ctx *ctx, char *detail, size_t size)
{
    char urls[MENU_MOONRAKER_MAX][256];
    size_t n =
        menu_moonraker_urls(ctx->set.moonraker_url, getenv("HOME"), urls, MENU_MOONRAKER_MAX);
    menu_print_state result = PRINT_IDLE;
    detail[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char state[64] = "", part[700];
        cf_error err;
        cf_error_reset(&err);
        const char *where = strncmp(urls[i], "http://", 7) == 0 ? urls[i] + 7 : urls[i];
        if (ask(urls[i], state, sizeof(state), &err) == CF_OK) {
            snprintf(part, sizeof(part), "%.63s (%.255s)", state, where);
            if (menu_moonraker_busy(state))
                result = PRINT_BUSY;
        } else {
            snprintf(part, sizeof(part), "%s", err.message);
            if (result != PRINT_BUSY)
                result = PRINT_UNKNOWN;
        }
        menu_log(false, "moonraker %s: %s", urls[i], part);
        size_t used = strlen(detail);
        snprintf(detail + used, size - used, "%s%s", used ? "; " : "", part);
    }
    return result;
}
