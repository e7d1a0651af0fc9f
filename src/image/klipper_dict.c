/* The Klipper data dictionary: Klipper's build compresses a JSON description
 * of the firmware (version, config constants, commands) with zlib and links
 * it into the binary, so the host can ask the MCU for it. We find it by
 * trying every plausible zlib header and keeping the first stream that
 * inflates to a JSON object with "version" or "config".
 *
 * What the real Cartographer dictionaries say (the images of the
 * cartographer-klipper and cartographer_firmware repositories):
 *  - "version" is the product string, not Klipper's git version: e.g.
 *    "CARTOGRAPHER 5.1.0", "Cartographer 4.0.0", "CARTOGRAPHER V3" (3.0.0),
 *    "CARTOGRAPHER 2.2.0", "CARTOGRAPHER V3 6.1.0 lite", "CARTOGRAPHER v4 6.2.0".
 *    K1 builds say "K1" ("CARTOGRAPHER K1 5.1.0", "CARTOGRAPHER 5.0.0 K1"),
 *    lite builds "lite"/"Lite", the first G431 builds "Cartographer HT 5.1.0".
 *  - config.MCU is "stm32f042x6" (v2/v3, CLOCK_FREQ 48 MHz) or "stm32g431xx"
 *    (HT builds in the v2-v3 tree at 150 MHz; v4 builds at 170 MHz).
 *  - CAN builds declare RESERVE_PINS_CAN and CANBUS_FREQUENCY; USB builds
 *    RESERVE_PINS_USB and no CANBUS_FREQUENCY. Both reserve PA11,PA12.
 *  - Only 6.1.0 and later carry "app": "Cartographer" (and "license"). */
#include "common/mem.h"
#include "image/image_internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define DICT_MAX_OUT (1024u * 1024u) /* inflate output bound */
#define MAX_PROBES 65536u            /* zlib headers tried per image */
#define MAX_INFLATES 8u              /* full inflates (stream began with '{') */
#define PROBE_IN 4096u               /* input a probe may use to yield its first byte */

/* Copies printable ASCII only: the text ends up on a terminal. */
static void copy_clean(char *dst, size_t size, const char *src)
{
    size_t n = 0;
    for (; src[n] && n + 1 < size; n++) {
        unsigned char c = (unsigned char)src[n];
        dst[n] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    dst[n] = '\0';
}

static bool get_u32(json_t *obj, const char *key, uint32_t *out, cf_image_info *info)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return false;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > (json_int_t)UINT32_MAX) {
        cf_note(info->problems, sizeof(info->problems),
                "dictionary config.%s is not a 32-bit number", key);
        return false;
    }
    *out = (uint32_t)json_integer_value(v);
    return true;
}

static void app_from_version(const char *version, char *app, size_t size)
{
    static const char carto[] = "cartographer";
    bool is_carto = strlen(version) >= sizeof(carto) - 1;
    for (size_t i = 0; is_carto && i < sizeof(carto) - 1; i++)
        is_carto = tolower((unsigned char)version[i]) == carto[i];
    copy_clean(app, size, is_carto ? "cartographer" : "klipper");
}

static void read_config(json_t *config, cf_image_info *info)
{
    json_t *mcu = json_object_get(config, "MCU");
    if (json_is_string(mcu))
        copy_clean(info->mcu, sizeof(info->mcu), json_string_value(mcu));
    get_u32(config, "CANBUS_FREQUENCY", &info->can_bitrate, info);
    get_u32(config, "CLOCK_FREQ", &info->clock_freq, info);
    /* Klipper reserves the pins of the host link: PA11/PA12 are USB on an
     * F042 built for USB and CAN on one built for CAN. */
    bool can = json_object_get(config, "RESERVE_PINS_CAN") != NULL;
    bool usb = json_object_get(config, "RESERVE_PINS_USB") != NULL;
    if (can && usb)
        cf_note(info->problems, sizeof(info->problems),
                "dictionary reserves both CAN and USB pins (a USB-to-CAN bridge?)");
    else if (can)
        info->iface = CF_IFACE_CAN;
    else if (usb)
        info->iface = CF_IFACE_USB;
    if (can && !usb && info->can_bitrate == 0)
        cf_note(info->problems, sizeof(info->problems),
                "CAN firmware without config.CANBUS_FREQUENCY");
}

cf_code cf_image_parse_dictionary(const char *json, size_t len, cf_image_info *info, cf_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return cf_fail(err, CF_ERR_FORMAT, "data dictionary line %d: %s", jerr.line, jerr.text);
    json_t *version = json_object_get(root, "version");
    json_t *config = json_object_get(root, "config");
    if (!json_is_object(root) || (!json_is_string(version) && !json_is_object(config))) {
        json_decref(root);
        return cf_fail(err, CF_ERR_FORMAT,
                       "data dictionary: not a Klipper dictionary (no \"version\" or \"config\")");
    }
    info->has_dictionary = true;
    if (json_is_string(version))
        copy_clean(info->version, sizeof(info->version), json_string_value(version));
    if (json_is_object(config))
        read_config(config, info);
    json_t *app = json_object_get(root, "app");
    if (json_is_string(app)) {
        copy_clean(info->app_name, sizeof(info->app_name), json_string_value(app));
        for (char *p = info->app_name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    } else {
        app_from_version(info->version, info->app_name, sizeof(info->app_name));
    }
    json_decref(root);
    return CF_OK;
}

static bool zlib_header(const uint8_t *p)
{
    /* CMF 0x78 (deflate, 32 KiB window), FCHECK valid, no preset dictionary. */
    return p[0] == 0x78 && ((p[0] << 8) | p[1]) % 31 == 0 && !(p[1] & 0x20);
}

/* Inflates at most DICT_MAX_OUT bytes; returns a malloc'd NUL-terminated text
 * or NULL if the stream is not a complete zlib stream starting with '{'. */
static char *inflate_json(z_stream *zs, const uint8_t *p, size_t avail, size_t *out_len)
{
    /* One stream is reset per candidate: far cheaper than init/end each time. */
    if (inflateReset(zs) != Z_OK)
        return NULL;
    unsigned char first = 0;
    /* Probe: the first output byte must come early and be '{'. Bounding the
     * probe's input keeps a file full of fake headers cheap to scan. */
    if (avail > UINT32_MAX)
        avail = UINT32_MAX;
    zs->next_in = (Bytef *)(uintptr_t)p;
    zs->avail_in = (uInt)(avail < PROBE_IN ? avail : PROBE_IN);
    zs->next_out = &first;
    zs->avail_out = 1;
    int rc = inflate(zs, Z_NO_FLUSH);
    if ((rc != Z_OK && rc != Z_STREAM_END) || zs->avail_out != 0 || first != '{')
        return NULL;
    zs->avail_in = (uInt)(avail - (size_t)(zs->next_in - p));
    size_t cap = 16384, len = 1;
    char *buf = malloc(cap + 1);
    if (!buf) {
        return NULL;
    }
    buf[0] = '{';
    while (rc != Z_STREAM_END) {
        if (len == cap && (cap >= DICT_MAX_OUT || !cf_grow_text(&buf, &cap)))
            break;
        zs->next_out = (Bytef *)buf + len;
        zs->avail_out = (uInt)(cap - len);
        rc = inflate(zs, Z_NO_FLUSH);
        len = cap - zs->avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        if (rc == Z_OK && zs->avail_out != 0 && zs->avail_in == 0)
            break; /* stream cut short */
    }
    if (rc != Z_STREAM_END) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    *out_len = len;
    return buf;
}

/* The first zlib stream in buf that inflates to a Klipper dictionary: its
 * offset, compressed length and JSON (the caller's). */
static bool scan_dictionary(z_stream *zs, const uint8_t *buf, size_t size, unsigned *probes,
                            unsigned *inflates, size_t *offset, size_t *zlen, char **json_out,
                            size_t *json_len, cf_image_info *info)
{
    for (size_t i = 0; i + 2 < size; i++) {
        if (!zlib_header(buf + i))
            continue;
        if (++*probes > MAX_PROBES || *inflates >= MAX_INFLATES)
            return false;
        size_t len = 0;
        char *json = inflate_json(zs, buf + i, size - i, &len);
        if (!json)
            continue;
        ++*inflates;
        cf_image_info tmp;
        if (info)
            tmp = *info;
        else
            memset(&tmp, 0, sizeof(tmp));
        if (cf_image_parse_dictionary(json, len, &tmp, NULL) == CF_OK) {
            if (info)
                *info = tmp;
            *offset = i;
            *zlen = zs->total_in;
            *json_out = json;
            *json_len = len;
            return true;
        }
        free(json);
    }
    return false;
}

bool cf_image_find_dictionary(const cf_image *img, cf_image_info *info)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK)
        return false;
    unsigned probes = 0, inflates = 0;
    bool found = false;
    for (size_t s = 0; s < img->segment_count && !found; s++) {
        size_t off, zlen, jlen;
        char *json;
        found = scan_dictionary(&zs, img->segments[s].data, img->segments[s].size, &probes,
                                &inflates, &off, &zlen, &json, &jlen, info);
        if (found)
            free(json);
    }
    inflateEnd(&zs);
    return found;
}

bool cf_image_dictionary_locate(const uint8_t *buf, size_t len, size_t *offset, size_t *zlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK)
        return false;
    unsigned probes = 0, inflates = 0;
    size_t jlen;
    char *json = NULL;
    bool found =
        scan_dictionary(&zs, buf, len, &probes, &inflates, offset, zlen, &json, &jlen, NULL);
    free(json);
    inflateEnd(&zs);
    return found;
}

char *cf_image_dictionary_json(const cf_image *img, size_t *len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK)
        return NULL;
    unsigned probes = 0, inflates = 0;
    char *json = NULL;
    for (size_t s = 0; s < img->segment_count && !json; s++) {
        size_t off, zlen;
        if (!scan_dictionary(&zs, img->segments[s].data, img->segments[s].size, &probes, &inflates,
                             &off, &zlen, &json, len, NULL))
            json = NULL;
    }
    inflateEnd(&zs);
    return json;
}
