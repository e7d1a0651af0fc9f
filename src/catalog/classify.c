/* Classification of one file by its content, with the file name, folders and
 * manifest row as hints that are checked against it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/catalog_internal.h"
#include "catalog/hints.h"
#include "catalog/sha256.h"
#include "catalog/version.h"
#include "common/chips.h"
#include "common/fileio.h"

#define FLASH_BASE CF_CHIP_FLASH_START
#define APP_BASE CF_APP_START

void cf_catalog_note(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 3 >= size)
        return;
    if (len) {
        memcpy(buf + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

bool cf_catalog_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size;
}

void cf_catalog_append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static const char *iface_word(cf_iface i)
{
    return i == CF_IFACE_CAN ? "CAN" : i == CF_IFACE_USB ? "USB" : "unknown";
}

/* The SRAM size bounds the initial stack pointer (common/chips.h). Used only
 * when the image carries no dictionary (Katapult, deployers). */
static const char *mcu_from_stack(uint32_t sp)
{
    const cf_chip *c = cf_chip_by_stack(sp);
    return c ? c->mcu : NULL;
}

static const char *mcu_of_probe(const char *probe_version)
{
    if (strcasecmp(probe_version, "v2") == 0 || strcasecmp(probe_version, "v3") == 0 ||
        strcasecmp(probe_version, "v2-v3") == 0)
        return CF_F042_MCU;
    if (strcasecmp(probe_version, "v4") == 0 || strcasecmp(probe_version, "ht") == 0)
        return CF_G431_MCU;
    return NULL;
}

/* A word of the manifest and what it stands for. */
typedef struct word_value {
    const char *word;
    int value;
} word_value;

/* The value of `word` (in any case) in map, or `none`. */
static int value_of(const word_value *map, size_t n, const char *word, int none)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(word, map[i].word) == 0)
            return map[i].value;
    return none;
}

static cf_image_kind kind_of_process(const char *process)
{
    static const word_value map[] = {{"DFU", CF_KIND_COMBINED}, {"Update", CF_KIND_APP}};
    return (cf_image_kind)value_of(map, 2, process, CF_KIND_UNKNOWN);
}

static cf_iface iface_of_protocol(const char *protocol)
{
    static const word_value map[] = {{"CAN", CF_IFACE_CAN}, {"USB", CF_IFACE_USB}};
    return (cf_iface)value_of(map, 2, protocol, CF_IFACE_UNKNOWN);
}

/* Loads the bytes as an image, placing a raw binary where its vectors say it
 * was linked (apps at 0x08002000). */
static cf_code inspect_bytes(const uint8_t *buf, size_t len, const char *name, cf_image_info *info,
                             cf_error *err)
{
    cf_image img;
    cf_image_load_opts lo = {.default_address = FLASH_BASE};
    cf_code rc = cf_image_parse(buf, len, name, &lo, &img, err);
    if (rc != CF_OK)
        return rc;
    cf_image_inspect(&img, info);
    if (img.format == CF_IMAGE_BIN && info->linked_address == APP_BASE &&
        info->load_address == FLASH_BASE) {
        cf_image_free(&img);
        lo.default_address = APP_BASE;
        rc = cf_image_parse(buf, len, name, &lo, &img, err);
        if (rc != CF_OK)
            return rc;
        cf_image_inspect(&img, info);
    }
    cf_image_free(&img);
    return CF_OK;
}

/* Where a hint came from, for messages. */
typedef struct hint_src {
    cf_name_hints name;
    const cf_manifest_row *row;
} hint_src;

static void check_kind(cf_catalog_entry *e, const cf_image_info *info, const hint_src *h)
{
    if (h->name.offset_kib && info->app_address &&
        info->app_address - FLASH_BASE != h->name.offset_kib * 1024u)
        cf_catalog_note(e->notes, sizeof(e->notes),
                        "file name says a %u KiB offset, the app is linked at 0x%08X",
                        h->name.offset_kib, (unsigned)info->app_address);
    if (h->name.kind != CF_KIND_UNKNOWN && h->name.kind != e->kind)
        cf_catalog_note(e->notes, sizeof(e->notes), "file name says %s, the content is %s",
                        cf_image_kind_name(h->name.kind), cf_image_kind_name(e->kind));
    if (h->row) {
        cf_image_kind mk = kind_of_process(h->row->process);
        if (mk != CF_KIND_UNKNOWN && mk != e->kind)
            cf_catalog_note(e->notes, sizeof(e->notes), "manifest says %s (%s), the content is %s",
                            cf_image_kind_name(mk), h->row->process, cf_image_kind_name(e->kind));
    }
}

static void fill_mcu(cf_catalog_entry *e, const cf_image_info *info, const hint_src *h)
{
    const char *mm = h->row ? mcu_of_probe(h->row->probe_version) : NULL;
    if (cf_image_target_mcu(info)[0]) { /* the dictionary's, else the Katapult's */
        cf_catalog_fmt(e->mcu, sizeof(e->mcu), "%s", cf_image_target_mcu(info));
    } else if (info->initial_sp && mcu_from_stack(info->initial_sp)) {
        cf_catalog_fmt(e->mcu, sizeof(e->mcu), "%s", mcu_from_stack(info->initial_sp));
    } else if (mm || h->name.mcu[0]) {
        cf_catalog_fmt(e->mcu, sizeof(e->mcu), "%s", mm ? mm : h->name.mcu);
        e->from_hint |= CF_HINT_MCU;
        cf_catalog_note(e->notes, sizeof(e->notes),
                        "MCU %s taken from the %s (the image does "
                        "not say)",
                        e->mcu, mm ? "manifest" : "file name");
        return;
    }
    if (!e->mcu[0])
        return;
    if (h->name.mcu[0] && strcmp(h->name.mcu, e->mcu) != 0)
        cf_catalog_note(e->notes, sizeof(e->notes), "path says %s, the content is %s", h->name.mcu,
                        e->mcu);
    if (mm && strcmp(mm, e->mcu) != 0)
        cf_catalog_note(e->notes, sizeof(e->notes),
                        "manifest says probe %s (%s), the content is "
                        "%s",
                        h->row->probe_version, mm, e->mcu);
}

static void fill_iface(cf_catalog_entry *e, const cf_image_info *info, const hint_src *h)
{
    cf_iface mi = h->row ? iface_of_protocol(h->row->protocol) : CF_IFACE_UNKNOWN;
    if (info->iface != CF_IFACE_UNKNOWN) {
        e->iface = info->iface;
        e->bitrate = info->iface == CF_IFACE_CAN ? info->can_bitrate : 0;
        if (h->name.iface != CF_IFACE_UNKNOWN && h->name.iface != e->iface)
            cf_catalog_note(e->notes, sizeof(e->notes), "file name says %s, the content is %s",
                            iface_word(h->name.iface), iface_word(e->iface));
        if (mi != CF_IFACE_UNKNOWN && mi != e->iface)
            cf_catalog_note(e->notes, sizeof(e->notes), "manifest says %s, the content is %s",
                            iface_word(mi), iface_word(e->iface));
        if (e->iface == CF_IFACE_CAN && !e->bitrate) {
            /* Katapult and deployers know CAN but keep the rate in code */
            uint32_t rate = h->row && h->row->can_speed ? h->row->can_speed : h->name.bitrate;
            if (rate) {
                e->bitrate = rate;
                e->from_hint |= CF_HINT_BITRATE;
                cf_catalog_note(e->notes, sizeof(e->notes),
                                "bitrate %u taken from the %s (the image does not say)", rate,
                                h->row && h->row->can_speed ? "manifest" : "file name");
            }
        } else if (e->iface == CF_IFACE_CAN) {
            if (h->name.bitrate && e->bitrate && h->name.bitrate != e->bitrate)
                cf_catalog_note(e->notes, sizeof(e->notes),
                                "file name says %u bit/s, the content is %u bit/s", h->name.bitrate,
                                e->bitrate);
            if (h->row && h->row->can_speed && e->bitrate && h->row->can_speed != e->bitrate)
                cf_catalog_note(e->notes, sizeof(e->notes),
                                "manifest says %u bit/s, the content is %u bit/s",
                                h->row->can_speed, e->bitrate);
        }
        return;
    }
    /* no dictionary: only the hints can say (Katapult, deployers) */
    cf_iface hi = mi != CF_IFACE_UNKNOWN ? mi : h->name.iface;
    if (hi == CF_IFACE_UNKNOWN)
        return;
    e->iface = hi;
    e->from_hint |= CF_HINT_IFACE;
    const char *src = mi != CF_IFACE_UNKNOWN ? "manifest" : "file name";
    if (hi == CF_IFACE_CAN) {
        uint32_t rate = h->row && h->row->can_speed ? h->row->can_speed : h->name.bitrate;
        if (rate) {
            e->bitrate = rate;
            e->from_hint |= CF_HINT_BITRATE;
        }
        cf_catalog_note(e->notes, sizeof(e->notes),
                        "interface CAN%s%.0u taken from the %s (the image does not say)",
                        rate ? " " : "", rate, src);
    } else {
        cf_catalog_note(e->notes, sizeof(e->notes),
                        "interface USB taken from the %s (the image does not say)", src);
    }
}

static void fill_version(cf_catalog_entry *e, const cf_image_info *info, const hint_src *h)
{
    cf_catalog_fmt(e->version, sizeof(e->version), "%s", info->version);
    e->has_semver = cf_semver_parse(e->version, e->semver);
    cf_version_flags fl;
    cf_version_flags_parse(e->version, &fl);
    if (info->version[0]) {
        e->lite = fl.lite;
        e->kseries = fl.kseries;
        e->high_temp = fl.high_temp;
    } else {
        e->lite = h->name.lite;
        e->kseries = h->name.kseries;
        e->high_temp = h->name.high_temp;
    }
    if (e->has_semver && h->name.has_semver &&
        cf_semver_cmp(true, e->semver, true, h->name.semver) != 0)
        cf_catalog_note(e->notes, sizeof(e->notes), "path says version %d.%d.%d, the image is %s",
                        h->name.semver[0], h->name.semver[1], h->name.semver[2], e->version);
    int mv[3];
    if (h->row && e->has_semver && cf_semver_parse(h->row->version, mv) &&
        cf_semver_cmp(true, e->semver, true, mv) != 0)
        cf_catalog_note(e->notes, sizeof(e->notes), "manifest says version %s, the image is %s",
                        h->row->version, e->version);
    if (!info->version[0])
        return;
    if (h->name.lite != e->lite)
        cf_catalog_note(e->notes, sizeof(e->notes), "file name %s lite, the image's version %s",
                        h->name.lite ? "says" : "does not say", e->lite ? "does" : "does not");
    if (h->row && h->row->is_lite >= 0 && (h->row->is_lite == 1) != e->lite)
        cf_catalog_note(e->notes, sizeof(e->notes), "manifest says %slite, the image's version %s",
                        h->row->is_lite ? "" : "not ", e->lite ? "does say lite" : "does not");
    if (h->name.kseries != e->kseries)
        cf_catalog_note(e->notes, sizeof(e->notes), "file name %s K1, the image's version %s",
                        h->name.kseries ? "says" : "does not say",
                        e->kseries ? "does" : "does not");
    if (h->name.high_temp != e->high_temp)
        cf_catalog_note(e->notes, sizeof(e->notes), "path %s HT, the image's version %s",
                        h->name.high_temp ? "says" : "does not say",
                        e->high_temp ? "does" : "does not");
}

cf_code cf_catalog_classify(const char *abs_path, const char *rel_path, const cf_catalog_root *root,
                            const cf_root_ctx *ctx, cf_catalog_item *item, cf_error *err)
{
    memset(item, 0, sizeof(*item));
    cf_catalog_entry *e = &item->e;
    e->root = root;
    cf_catalog_fmt(e->rel_path, sizeof(e->rel_path), "%s", rel_path);
    cf_catalog_fmt(e->abs_path, sizeof(e->abs_path), "%s", abs_path);

    uint8_t *buf;
    size_t len;
    cf_error ferr;
    cf_error_reset(&ferr);
    if (cf_read_file(abs_path, CF_IMAGE_MAX_SIZE, &buf, &len, &ferr) != CF_OK) {
        cf_catalog_fmt(item->unusable, sizeof(item->unusable), "%s", ferr.message);
        return CF_OK;
    }
    e->size = len;
    cf_code rc = cf_sha256_buf(buf, len, e->sha256, err);
    if (rc != CF_OK) {
        free(buf);
        return rc;
    }
    if (ctx && ctx->has_sums) {
        char inside[1100];
        cf_catalog_fmt(inside, sizeof(inside), "%s%s", ctx->sums_prefix, rel_path);
        const char *rec = cf_cache_sum_for(&ctx->sums, inside);
        if (!rec)
            cf_catalog_fmt(item->unusable, sizeof(item->unusable),
                           "not in the checksum list recorded at download");
        else if (strcmp(rec, e->sha256) != 0)
            cf_catalog_fmt(
                item->unusable, sizeof(item->unusable),
                "changed since it was downloaded (sha256 differs from the cache manifest)");
    }

    cf_image_info info;
    rc = inspect_bytes(buf, len, rel_path, &info, &ferr);
    free(buf);
    if (rc != CF_OK) {
        if (!item->unusable[0])
            cf_catalog_fmt(item->unusable, sizeof(item->unusable), "not a firmware image: %s",
                           ferr.message);
        return CF_OK;
    }
    e->kind = info.kind;
    cf_catalog_fmt(e->app_name, sizeof(e->app_name), "%s", info.app_name);
    if (e->kind == CF_KIND_UNKNOWN && !item->unusable[0])
        cf_catalog_fmt(item->unusable, sizeof(item->unusable), "not a Cartographer STM32 image: %s",
                       info.problems[0] ? info.problems : "unknown layout");
    else if (info.problems[0])
        cf_catalog_note(e->notes, sizeof(e->notes), "%s", info.problems);

    hint_src h = {.row =
                      ctx && ctx->has_manifest ? cf_manifest_find(&ctx->manifest, rel_path) : NULL};
    cf_name_hints_parse(rel_path, &h.name);
    if (e->kind != CF_KIND_UNKNOWN)
        check_kind(e, &info, &h);
    fill_mcu(e, &info, &h);
    fill_iface(e, &info, &h);
    fill_version(e, &info, &h);
    if (h.row)
        cf_catalog_fmt(e->min_plugin, sizeof(e->min_plugin), "%s", h.row->min_plugin_version);
    return CF_OK;
}
