#include "catalog/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/dlib_curl.h"
#include "common/fileio.h"

typedef struct transfer {
    const char *url;
    const char *part;
    const cf_fetch_opts *opts;
    CURL *curl;
    int fd;
    uint64_t offset;   /* bytes already in the file when the request started */
    uint64_t received; /* body bytes of this response */
    uint64_t limit;
    bool started; /* first body byte seen: status checked */
    bool too_big;
    bool bad_range;
    bool cancelled;
    bool io_failed;
    int io_errno;
    char etag[128];
    char content_range[96];
} transfer;

/* The .meta file next to the partial download remembers which URL and which
 * ETag its bytes belong to. */
static void meta_path(const char *part, char *out, size_t size)
{
    snprintf(out, size, "%s.meta", part);
}

static void read_meta(const char *part, const char *url, char *etag, size_t etag_size)
{
    char path[1200];
    etag[0] = '\0';
    meta_path(part, path, sizeof(path));
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line_url[2048], line_etag[256];
    if (fgets(line_url, sizeof(line_url), f) && fgets(line_etag, sizeof(line_etag), f)) {
        line_url[strcspn(line_url, "\n")] = '\0';
        line_etag[strcspn(line_etag, "\n")] = '\0';
        size_t n = strlen(line_etag);
        if (strcmp(line_url, url) == 0 && n < etag_size)
            memcpy(etag, line_etag, n + 1);
    }
    fclose(f);
}

static void write_meta(const char *part, const char *url, const char *etag)
{
    char path[1200];
    char buf[2600];
    meta_path(part, path, sizeof(path));
    int n = snprintf(buf, sizeof(buf), "%s\n%s\n", url, etag);
    if (n > 0 && (size_t)n < sizeof(buf))
        (void)cf_write_file_atomic(path, buf, (size_t)n, NULL);
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ctx)
{
    transfer *t = ctx;
    size_t len = size * nitems;
    char line[512];
    size_t n = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
    memcpy(line, buf, n);
    line[n] = '\0';
    trim(line);
    /* a new response (redirect, 100-continue) starts with its status line */
    if (strncmp(line, "HTTP/", 5) == 0) {
        t->etag[0] = '\0';
        t->content_range[0] = '\0';
    } else if (strncasecmp(line, "etag:", 5) == 0) {
        const char *v = line + 5;
        while (*v == ' ')
            v++;
        size_t vlen = strlen(v);
        if (vlen < sizeof(t->etag))
            memcpy(t->etag, v, vlen + 1);
    } else if (strncasecmp(line, "content-range:", 14) == 0) {
        const char *v = line + 14;
        while (*v == ' ')
            v++;
        /* Longer values are not ones we sent a Range for: cut on purpose. */
        snprintf(t->content_range, sizeof(t->content_range), "%.*s",
                 (int)sizeof(t->content_range) - 1, v);
    }
    return len;
}

/* First body bytes: decide between appending (206 for our offset) and
 * starting over (200, or no usable range). */
static bool start_body(transfer *t)
{
    long status = 0;
    sym_curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->offset && status == 206) {
        char expect[64];
        snprintf(expect, sizeof(expect), "bytes %" PRIu64 "-", t->offset);
        if (strncmp(t->content_range, expect, strlen(expect)) != 0) {
            t->bad_range = true;
            return false;
        }
    } else if (t->offset) {
        /* the server sent the whole file: drop what we had */
        if (ftruncate(t->fd, 0) != 0 || lseek(t->fd, 0, SEEK_SET) != 0) {
            t->io_failed = true;
            t->io_errno = errno;
            return false;
        }
        t->offset = 0;
    }
    if (t->etag[0])
        write_meta(t->part, t->url, t->etag);
    t->started = true;
    return true;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *ctx)
{
    transfer *t = ctx;
    size_t len = size * nmemb;
    if (!t->started && !start_body(t))
        return 0;
    if (t->offset + t->received + len > t->limit) {
        t->too_big = true;
        return 0;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(t->fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            t->io_failed = true;
            t->io_errno = errno;
            return 0;
        }
        done += (size_t)n;
    }
    t->received += len;
    return len;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    transfer *t = ctx;
    if (!t->opts->progress)
        return 0;
    uint64_t total = dltotal > 0 ? t->offset + (uint64_t)dltotal : 0;
    uint64_t now = t->offset + (dlnow > 0 ? (uint64_t)dlnow : 0);
    if (!t->opts->progress(t->opts->progress_ctx, t->opts->what ? t->opts->what : t->url, now,
                           total)) {
        t->cancelled = true;
        return 1;
    }
    return 0;
}

static bool is_http(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0;
}

static cf_code setup(transfer *t, char *errbuf, const char *if_range, struct curl_slist **hdrs)
{
    CURL *c = t->curl;
    const cf_fetch_opts *o = t->opts;
    const char *protos = is_http(t->url) ? "http,https" : "https";
    sym_curl_easy_setopt(c, CURLOPT_URL, t->url);
    sym_curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protos);
    sym_curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protos);
    sym_curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    sym_curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    sym_curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    sym_curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file)
        sym_curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    sym_curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    sym_curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    sym_curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                         o->connect_timeout_s ? o->connect_timeout_s : 15L);
    sym_curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s ? o->timeout_s : 300L);
    sym_curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    sym_curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->low_speed_s ? o->low_speed_s : 30L);
    sym_curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->limit);
    sym_curl_easy_setopt(c, CURLOPT_USERAGENT, "cartoflash/" CF_VERSION);
    sym_curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    sym_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    sym_curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    sym_curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    sym_curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    sym_curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    sym_curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
    sym_curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    char h[200];
    if (t->offset) {
        sym_curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t->offset);
        snprintf(h, sizeof(h), "If-Range: %s", if_range);
    } else if (o->if_none_match && o->if_none_match[0]) {
        snprintf(h, sizeof(h), "If-None-Match: %s", o->if_none_match);
    } else {
        return CF_OK;
    }
    struct curl_slist *l = sym_curl_slist_append(NULL, h);
    if (!l)
        return CF_ERR_NOMEM;
    *hdrs = l;
    sym_curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
    return CF_OK;
}

static cf_code curl_failure(transfer *t, CURLcode cc, const char *errbuf, cf_error *err)
{
    const char *detail = errbuf[0] ? errbuf : sym_curl_easy_strerror(cc);
    long status = 0;
    sym_curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    uint64_t have = t->offset + t->received;
    cf_code rc;
    switch (cc) {
    case CURLE_ABORTED_BY_CALLBACK:
        return cf_fail(err, CF_ERR_CANCELLED, "download of %s cancelled", t->url);
    case CURLE_WRITE_ERROR:
        if (t->too_big || t->bad_range || t->io_failed)
            break;
        return cf_fail(err, CF_ERR_IO, "download of %s failed: %s", t->url, detail);
    case CURLE_FILESIZE_EXCEEDED:
        t->too_big = true;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        rc = cf_fail(err, CF_ERR_TIMEOUT, "download of %s timed out after %" PRIu64 " bytes: %s",
                     t->url, have, detail);
        cf_hint(err, "check the network; run the command again to continue the download");
        return rc;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        rc = cf_fail(err, CF_ERR_IO,
                     "download of %s was cut off after %" PRIu64 " bytes (the server closed "
                     "the connection): %s",
                     t->url, have, detail);
        cf_hint(err, "run the command again: the download continues or restarts");
        return rc;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
        rc = cf_fail(err, CF_ERR_ACCESS, "TLS verification of %s failed: %s", t->url, detail);
        cf_hint(err, "the server's certificate is not trusted; check the date and the CA bundle "
                     "(CARTOFLASH_CA_FILE)");
        return rc;
    case CURLE_HTTP_RETURNED_ERROR:
        rc = cf_fail(err, status == 404 ? CF_ERR_NOT_FOUND : CF_ERR_IO,
                     "download of %s failed: HTTP %ld", t->url, status);
        if (status == 404)
            cf_hint(err, "check the branch name (--branch) and the URL (--source)");
        return rc;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        rc = cf_fail(err, CF_ERR_IO, "cannot reach %s: %s", t->url, detail);
        cf_hint(err, "check the network connection, or use a local copy (--source DIR)");
        return rc;
    default:
        return cf_fail(err, CF_ERR_IO, "download of %s failed: %s", t->url, detail);
    }
    if (t->too_big)
        return cf_fail(err, CF_ERR_FORMAT,
                       "download of %s is larger than the %" PRIu64 " bytes allowed", t->url,
                       t->limit);
    if (t->bad_range)
        return cf_fail(err, CF_ERR_PROTOCOL,
                       "server answered a resume request for %s with the wrong range (%s)", t->url,
                       t->content_range);
    return cf_fail(err, CF_ERR_IO, "cannot write %s: %s", t->part, strerror(t->io_errno));
}

static cf_code attempt(transfer *t, const char *if_range, cf_fetch_result *res, cf_error *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    t->curl = sym_curl_easy_init();
    if (!t->curl)
        return cf_fail(err, CF_ERR_NOMEM, "cannot start libcurl");
    cf_code rc = setup(t, errbuf, if_range, &hdrs);
    if (rc != CF_OK) {
        sym_curl_easy_cleanup(t->curl);
        return cf_fail(err, rc, "out of memory preparing the download");
    }
    CURLcode cc = sym_curl_easy_perform(t->curl);
    sym_curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &res->http_status);
    if (cc == CURLE_OK && res->http_status == 304) {
        res->not_modified = true;
    } else if (cc == CURLE_OK && !t->started) {
        /* an empty body: still decide what the file holds */
        if (!start_body(t))
            cc = CURLE_WRITE_ERROR;
    }
    rc = cc == CURLE_OK ? CF_OK : curl_failure(t, cc, errbuf, err);
    sym_curl_slist_free_all(hdrs);
    sym_curl_easy_cleanup(t->curl);
    t->curl = NULL;
    return rc;
}

cf_code cf_fetch(const char *url, const char *part_path, const cf_fetch_opts *opts,
                 cf_fetch_result *res, cf_error *err)
{
    memset(res, 0, sizeof(*res));
    if (strncasecmp(url, "https://", 8) != 0 && !is_http(url))
        return cf_fail(err, CF_ERR_USAGE, "%s is not an http(s) URL", url);
    cf_code rc = cf_dlib_curl(err); /* libcurl is loaded here, on first use */
    if (rc != CF_OK)
        return rc;
    transfer t = {.url = url, .part = part_path, .opts = opts, .fd = -1};
    t.limit = opts->max_bytes ? opts->max_bytes : CF_CATALOG_MAX_DOWNLOAD;

    /* Resume only what we know the origin of; anything else starts over. */
    char etag[128];
    read_meta(part_path, url, etag, sizeof(etag));
    t.fd = open(part_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (t.fd < 0)
        return cf_fail(err, CF_ERR_IO, "cannot create %s: %s", part_path, strerror(errno));
    struct stat st;
    if (fstat(t.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(t.fd);
        return cf_fail(err, CF_ERR_IO, "%s is not a regular file", part_path);
    }
    if (etag[0] && st.st_size > 0 && (uint64_t)st.st_size < t.limit) {
        t.offset = (uint64_t)st.st_size;
        lseek(t.fd, 0, SEEK_END);
    } else if (ftruncate(t.fd, 0) != 0) {
        int e = errno;
        close(t.fd);
        return cf_fail(err, CF_ERR_IO, "cannot truncate %s: %s", part_path, strerror(e));
    }
    res->resumed_at = t.offset;
    rc = attempt(&t, etag, res, err);
    if (rc != CF_OK && t.offset && res->http_status == 416) {
        /* our partial file is not a prefix of what the server has: restart */
        cf_error_reset(err);
        if (ftruncate(t.fd, 0) == 0 && lseek(t.fd, 0, SEEK_SET) == 0) {
            t.offset = 0;
            t.received = 0;
            t.started = false;
            res->resumed_at = 0;
            rc = attempt(&t, "", res, err);
        }
    }
    if (fsync(t.fd) != 0 && rc == CF_OK)
        rc = cf_fail(err, CF_ERR_IO, "cannot write %s: %s", part_path, strerror(errno));
    close(t.fd);
    if (rc == CF_OK) {
        res->bytes = t.offset + t.received;
        snprintf(res->etag, sizeof(res->etag), "%s", t.etag);
    } else if (t.too_big || t.bad_range) {
        /* nothing worth resuming */
        unlink(part_path);
    }
    return rc;
}
