/* The state file of `cartoflash switch` (klipper/switchstate.h). */
#include "klipper/switchstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/safe.h"

#define FILE_MAX 4096u

static const char *const step_names[] = {"found", "deployed", "arrived", "app"};

const char *cf_sw_step_name(cf_sw_step s)
{
    return (unsigned)s < sizeof(step_names) / sizeof(step_names[0]) ? step_names[s] : "?";
}

static bool hex_only(const char *s, size_t want)
{
    size_t n = strlen(s);
    if (want && n != want)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdefABCDEF", s[i]))
            return false;
    return n > 0;
}

static bool parse_iface(const char *v, cf_iface *out)
{
    if (strcmp(v, "can") == 0)
        *out = CF_IFACE_CAN;
    else if (strcmp(v, "usb") == 0)
        *out = CF_IFACE_USB;
    else
        return false;
    return true;
}

/* One "key=value"; false when the key is known and the value is not valid. */
static bool take(cf_sw_state *st, const char *k, const char *v, unsigned *seen)
{
    if (strcmp(k, "from") == 0)
        return (*seen |= 1u, parse_iface(v, &st->from));
    if (strcmp(k, "to") == 0)
        return (*seen |= 2u, parse_iface(v, &st->to));
    if (strcmp(k, "step") == 0) {
        *seen |= 4u;
        for (size_t i = 0; i < sizeof(step_names) / sizeof(step_names[0]); i++)
            if (strcmp(v, step_names[i]) == 0)
                return (st->step = (cf_sw_step)i, true);
        return false;
    }
    if (strcmp(k, "bitrate") == 0) {
        char *end;
        errno = 0;
        unsigned long b = strtoul(v, &end, 10);
        st->bitrate = (uint32_t)b;
        return !errno && *v && !*end && b <= 1000000ul;
    }
    if (strcmp(k, "mcu") == 0)
        return (*seen |= 8u,
                cf_image_katapult_sp(v) != 0 && cf_strlcpy(st->mcu, sizeof(st->mcu), v));
    if (strcmp(k, "serial") == 0)
        return (!v[0] || hex_only(v, 24)) && cf_strlcpy(st->serial, sizeof(st->serial), v);
    if (strcmp(k, "uuid") == 0)
        return (!v[0] || hex_only(v, 12)) && cf_strlcpy(st->uuid, sizeof(st->uuid), v);
    if (strcmp(k, "interface") == 0)
        return cf_strlcpy(st->interface, sizeof(st->interface), v) && !strpbrk(v, "/ \t");
    if (strcmp(k, "deployer") == 0)
        return cf_strlcpy(st->deployer, sizeof(st->deployer), v);
    if (strcmp(k, "flavour") == 0) {
        st->lite = strstr(v, "lite") != NULL;
        st->kseries = strstr(v, "k1") != NULL;
        st->high_temp = strstr(v, "ht") != NULL;
        return true;
    }
    return true; /* a key of a newer cartoflash: ignored */
}

bool cf_sw_state_parse(const char *text, size_t len, cf_sw_state *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    unsigned seen = 0, line = 0;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        line++;
        char buf[640];
        size_t n = end - i;
        if (n >= sizeof(buf) || memchr(text + i, '\0', n)) {
            cf_fail(err, CF_ERR_FORMAT, "switch state, line %u: too long or not text", line);
            return false;
        }
        memcpy(buf, text + i, n);
        buf[n] = '\0';
        i = end + 1;
        char *eq = strchr(buf, '=');
        if (!buf[0] || buf[0] == '#')
            continue;
        if (!eq) {
            cf_fail(err, CF_ERR_FORMAT, "switch state, line %u: not key=value", line);
            return false;
        }
        *eq = '\0';
        if (!take(out, buf, eq + 1, &seen)) {
            cf_fail(err, CF_ERR_FORMAT, "switch state, line %u: bad value for %s", line, buf);
            return false;
        }
    }
    bool who = out->serial[0] || out->uuid[0]; /* a probe found on CAN has no serial */
    if ((seen & 15u) != 15u || !who || out->from == out->to ||
        (out->to == CF_IFACE_CAN && !out->bitrate)) {
        cf_fail(err, CF_ERR_FORMAT,
                "switch state: incomplete (links, step, chip, or serial and UUID)");
        return false;
    }
    return true;
}

static const char *link_word(cf_iface i)
{
    return cf_iface_name(i) ? cf_iface_name(i) : "unknown";
}

size_t cf_sw_state_format(const cf_sw_state *st, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "# cartoflash switch: where the USB/CAN change stands (cartoflash switch "
                     "continues it)\nfrom=%s\nto=%s\nbitrate=%u\nstep=%s\nmcu=%s\nserial=%s\n"
                     "uuid=%s\ninterface=%s\ndeployer=%s\nflavour=%s%s%s\n",
                     link_word(st->from), link_word(st->to), (unsigned)st->bitrate,
                     cf_sw_step_name(st->step), st->mcu, st->serial, st->uuid, st->interface,
                     st->deployer, st->lite ? "lite," : "", st->kseries ? "k1," : "",
                     st->high_temp ? "ht," : "");
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

cf_code cf_sw_state_path(char *out, size_t size, cf_error *err)
{
    char dir[900];
    cf_code rc = cf_xdg_dir("state", dir, sizeof(dir), err);
    if (rc)
        return rc;
    if ((size_t)snprintf(out, size, "%s/switch", dir) >= size)
        return cf_fail(err, CF_ERR_USAGE, "the state folder's path is too long");
    return CF_OK;
}

cf_code cf_sw_state_load(cf_sw_state *out, bool *found, cf_error *err)
{
    *found = false;
    char path[1024];
    cf_code rc = cf_sw_state_path(path, sizeof(path), err);
    if (rc)
        return rc;
    if (access(path, F_OK) != 0)
        return CF_OK;
    uint8_t *data = NULL;
    size_t size = 0;
    rc = cf_read_file(path, FILE_MAX, &data, &size, err);
    if (rc)
        return rc;
    bool ok = cf_sw_state_parse((const char *)data, size, out, err);
    free(data);
    if (!ok) {
        cf_error_prefix(err, "%s", path);
        cf_hint(err, "start the switch afresh: cartoflash switch --restart --to ...");
        return CF_ERR_FORMAT;
    }
    *found = true;
    return CF_OK;
}

cf_code cf_sw_state_save(const cf_sw_state *st, cf_error *err)
{
    char path[1024], dir[900], text[1400];
    cf_code rc = cf_sw_state_path(path, sizeof(path), err);
    if (rc == CF_OK)
        rc = cf_xdg_dir("state", dir, sizeof(dir), err);
    if (rc == CF_OK)
        rc = cf_mkdirs(dir, 0700, err);
    if (rc)
        return rc;
    size_t n = cf_sw_state_format(st, text, sizeof(text));
    if (!n)
        return cf_fail(err, CF_ERR_USAGE, "the switch state does not fit its file");
    return cf_write_file_atomic(path, text, n, err);
}

cf_code cf_sw_state_clear(cf_error *err)
{
    char path[1024];
    cf_code rc = cf_sw_state_path(path, sizeof(path), err);
    if (rc)
        return rc;
    if (unlink(path) != 0 && errno != ENOENT)
        return cf_fail(err, CF_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    return CF_OK;
}
