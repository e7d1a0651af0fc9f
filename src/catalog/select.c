/* Filters, ordering and the choice of one image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"
#include "catalog/version.h"

static cf_image_kind mode_kind(cf_catalog_mode m)
{
    switch (m) {
    case CF_CATALOG_DFU:
        return CF_KIND_COMBINED;
    case CF_CATALOG_KATAPULT:
        return CF_KIND_APP;
    case CF_CATALOG_DEPLOYER:
        return CF_KIND_DEPLOYER;
    case CF_CATALOG_ANY:
        break;
    }
    return CF_KIND_UNKNOWN;
}

static const char *iface_word(cf_iface i)
{
    return i == CF_IFACE_CAN ? "CAN" : i == CF_IFACE_USB ? "USB" : "unknown interface";
}

/* A variant flag must be asked for to be allowed, and when asked for it is
 * required: a lite image never replaces a full one by accident. */
static bool variant(bool image, bool wanted, const char *what, const char *flag, char *reason,
                    size_t size)
{
    if (image && !wanted) {
        cf_catalog_fmt(reason, size, "%s image: only with %s", what, flag);
        return false;
    }
    if (!image && wanted) {
        cf_catalog_fmt(reason, size, "not a %s image (%s asked)", what, flag);
        return false;
    }
    return true;
}

bool cf_catalog_match(const cf_catalog_item *item, const cf_catalog_filter *f, char *reason,
                      size_t size)
{
    const cf_catalog_entry *e = &item->e;
    reason[0] = '\0';
    if (item->unusable[0]) {
        cf_catalog_fmt(reason, size, "%s", item->unusable);
        return false;
    }
    cf_image_kind want = mode_kind(f->mode);
    if (want != CF_KIND_UNKNOWN && e->kind != want) {
        cf_catalog_fmt(reason, size, "%s image, not %s (mode %s)", cf_image_kind_name(e->kind),
                       cf_image_kind_name(want), cf_catalog_mode_name(f->mode));
        return false;
    }
    if (f->mcu && f->mcu[0]) {
        if (!e->mcu[0]) {
            cf_catalog_fmt(reason, size, "MCU unknown (%s asked)", f->mcu);
            return false;
        }
        if (strcmp(e->mcu, f->mcu) != 0) {
            cf_catalog_fmt(reason, size, "for %s, not %s", e->mcu, f->mcu);
            return false;
        }
    }
    if (f->iface != CF_IFACE_UNKNOWN && e->iface != f->iface) {
        cf_catalog_fmt(reason, size, "%s image, not %s", iface_word(e->iface),
                       iface_word(f->iface));
        return false;
    }
    if (f->bitrate && e->iface == CF_IFACE_CAN && e->bitrate != f->bitrate) {
        if (e->bitrate)
            cf_catalog_fmt(reason, size, "CAN %u bit/s, not %u", e->bitrate, f->bitrate);
        else
            cf_catalog_fmt(reason, size, "CAN bitrate unknown (%u asked)", f->bitrate);
        return false;
    }
    return variant(e->kseries, f->kseries, "K-series (K1)", "--kseries", reason, size) &&
           variant(e->lite, f->lite, "lite", "--lite", reason, size) &&
           variant(e->high_temp, f->high_temp, "high-temperature (HT)", "--high-temp", reason,
                   size);
}

/* Included first, then newest version, then path (and root). */
static int entry_order(const void *pa, const void *pb)
{
    const cf_catalog_entry *a = pa, *b = pb;
    if (a->excluded != b->excluded)
        return a->excluded ? 1 : -1;
    int c = cf_semver_cmp(b->has_semver, b->semver, a->has_semver, a->semver);
    if (c)
        return c;
    c = strcmp(a->rel_path, b->rel_path);
    if (c)
        return c;
    return a->root == b->root ? 0 : (a->root < b->root ? -1 : 1);
}

cf_code cf_catalog_list(cf_catalog *cat, const cf_catalog_filter *filter,
                        cf_catalog_entry **entries, size_t *n, cf_error *err)
{
    *entries = NULL;
    *n = 0;
    cf_catalog_filter none = {0};
    if (!filter)
        filter = &none;
    cf_catalog_entry *v = calloc(cat->count ? cat->count : 1, sizeof(*v));
    if (!v)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory listing firmware");
    size_t k = 0;
    for (size_t i = 0; i < cat->count; i++) {
        char reason[256];
        bool ok = cf_catalog_match(&cat->items[i], filter, reason, sizeof(reason));
        if (!ok && !filter->all)
            continue;
        v[k] = cat->items[i].e;
        v[k].excluded = !ok;
        cf_catalog_fmt(v[k].reason, sizeof(v[k].reason), "%s", ok ? "" : reason);
        k++;
    }
    qsort(v, k, sizeof(*v), entry_order);
    *entries = v;
    *n = k;
    return CF_OK;
}

void cf_catalog_free_list(cf_catalog_entry *entries)
{
    free(entries);
}

/* "combined stm32f042x6 CAN 500000 bit/s" */
static void describe_filter(const cf_catalog_filter *f, char *buf, size_t size)
{
    cf_catalog_fmt(buf, size, "%s", cf_image_kind_name(mode_kind(f->mode)));
    if (f->kseries)
        cf_catalog_append(buf, size, " K-series");
    if (f->high_temp)
        cf_catalog_append(buf, size, " high-temperature");
    if (f->lite)
        cf_catalog_append(buf, size, " lite");
    if (f->mcu && f->mcu[0])
        cf_catalog_append(buf, size, " %s", f->mcu);
    if (f->iface != CF_IFACE_UNKNOWN)
        cf_catalog_append(buf, size, " %s", iface_word(f->iface));
    if (f->bitrate && f->iface != CF_IFACE_USB)
        cf_catalog_append(buf, size, " %u bit/s", f->bitrate);
}

static void describe_roots(const cf_catalog *cat, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < cat->root_count; i++)
        cf_catalog_append(buf, size, "%s%s", i ? " and " : "", cat->roots[i].label);
}

/* CAN bitrates of the images that match when the bitrate is left open, to
 * tell the user what does exist. */
static void available_bitrates(const cf_catalog *cat, const cf_catalog_filter *f, char *buf,
                               size_t size)
{
    cf_catalog_filter g = *f;
    g.bitrate = 0;
    uint32_t seen[16];
    size_t ns = 0;
    for (size_t i = 0; i < cat->count; i++) {
        char reason[256];
        const cf_catalog_entry *e = &cat->items[i].e;
        if (e->iface != CF_IFACE_CAN || !e->bitrate ||
            !cf_catalog_match(&cat->items[i], &g, reason, sizeof(reason)))
            continue;
        bool dup = false;
        for (size_t k = 0; k < ns; k++)
            dup |= seen[k] == e->bitrate;
        if (!dup && ns < 16)
            seen[ns++] = e->bitrate;
    }
    buf[0] = '\0';
    for (size_t k = 0; k < ns; k++)
        cf_catalog_append(buf, size, "%s%u", k ? ", " : "", seen[k]);
}

static cf_code pick_none(cf_catalog *cat, const cf_catalog_filter *f, cf_error *err)
{
    char what[160], where[600], rates[128];
    describe_filter(f, what, sizeof(what));
    describe_roots(cat, where, sizeof(where));
    cf_code rc = cf_fail(err, CF_ERR_NOT_FOUND, "no %s image in %s", what, where);
    available_bitrates(cat, f, rates, sizeof(rates));
    if (f->bitrate && f->iface != CF_IFACE_USB && rates[0]) {
        cf_catalog_filter g = *f;
        g.bitrate = 0;
        describe_filter(&g, what, sizeof(what));
        cf_hint(err,
                "%s images exist only for CAN %s bit/s here; set the CAN interface to one of "
                "those, flash over USB, or use another firmware source (--source, --branch)",
                what, rates);
    } else
        cf_hint(err, "see what there is with `cartoflash firmware list --all` (each excluded "
                     "file says why)");
    return rc;
}

cf_code cf_catalog_pick(cf_catalog *cat, const cf_catalog_filter *filter, cf_catalog_entry *out,
                        cf_error *err)
{
    memset(out, 0, sizeof(*out));
    if (filter->mode == CF_CATALOG_ANY)
        return cf_fail(err, CF_ERR_USAGE,
                       "choosing an image needs a mode (dfu, katapult or "
                       "deployer)");
    cf_catalog_filter f = *filter;
    f.all = false;
    cf_catalog_entry *v;
    size_t n;
    cf_code rc = cf_catalog_list(cat, &f, &v, &n, err);
    if (rc != CF_OK)
        return rc;
    if (n == 0) {
        cf_catalog_free_list(v);
        return pick_none(cat, &f, err);
    }
    bool mcus = false, ifaces = false, can = false;
    for (size_t i = 0; i < n; i++) {
        mcus |= strcmp(v[i].mcu, v[0].mcu) != 0;
        ifaces |= v[i].iface != v[0].iface;
        can |= v[i].iface == CF_IFACE_CAN;
    }
    if (mcus && !(f.mcu && f.mcu[0])) {
        rc = cf_fail(err, CF_ERR_AMBIGUOUS,
                     "images for different probes match (stm32f042x6 = v2/v3, stm32g431xx = "
                     "v4/HT); which probe is it?");
        cf_hint(err, "give --mcu stm32f042x6 or --mcu stm32g431xx (the DFU device tells)");
    } else if (ifaces && f.iface == CF_IFACE_UNKNOWN) {
        rc = cf_fail(err, CF_ERR_AMBIGUOUS,
                     "both CAN and USB images match; which does the "
                     "probe use?");
        cf_hint(err, "give --interface can or --interface usb");
    } else if (can && !f.bitrate) {
        char rates[128];
        available_bitrates(cat, &f, rates, sizeof(rates));
        rc = cf_fail(err, CF_ERR_AMBIGUOUS,
                     "the CAN bitrate is unknown and a CAN image must match it exactly (images "
                     "exist for %s bit/s); not guessing",
                     rates[0] ? rates : "unknown");
        cf_hint(err, "give --bitrate N with your CAN interface's bitrate (see `ip -details "
                     "link show can0`), or choose a USB image");
    } else {
        for (size_t i = 1; i < n && rc == CF_OK; i++) {
            if (cf_semver_cmp(v[i].has_semver, v[i].semver, v[0].has_semver, v[0].semver) != 0)
                break;
            if (strcmp(v[i].sha256, v[0].sha256) != 0) {
                rc = cf_fail(
                    err, CF_ERR_AMBIGUOUS, "two different images are the newest (%s): %s and %s",
                    v[0].version[0] ? v[0].version : "no version", v[0].rel_path, v[i].rel_path);
                cf_hint(err, "name the file to flash explicitly, or narrow the choice (--lite, "
                             "--kseries, --high-temp, --source)");
            }
        }
    }
    if (rc == CF_OK)
        *out = v[0];
    cf_catalog_free_list(v);
    return rc;
}

void cf_catalog_entry_summary(const cf_catalog_entry *e, char *buf, size_t size)
{
    char iface[32];
    if (e->iface == CF_IFACE_CAN && e->bitrate)
        cf_catalog_fmt(iface, sizeof(iface), "CAN %u", e->bitrate);
    else
        cf_catalog_fmt(iface, sizeof(iface), "%s",
                       e->iface == CF_IFACE_UNKNOWN ? "?" : iface_word(e->iface));
    cf_catalog_fmt(buf, size, "%-28s %-12s %-12s %-9s %s", e->version[0] ? e->version : "-",
                   e->mcu[0] ? e->mcu : "?", iface, cf_image_kind_name(e->kind), e->rel_path);
}

const char *cf_catalog_mode_name(cf_catalog_mode m)
{
    switch (m) {
    case CF_CATALOG_DFU:
        return "dfu";
    case CF_CATALOG_KATAPULT:
        return "katapult";
    case CF_CATALOG_DEPLOYER:
        return "deployer";
    case CF_CATALOG_ANY:
        break;
    }
    return "any";
}

bool cf_catalog_mode_parse(const char *s, cf_catalog_mode *out)
{
    static const cf_catalog_mode modes[] = {CF_CATALOG_DFU, CF_CATALOG_KATAPULT,
                                            CF_CATALOG_DEPLOYER};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, cf_catalog_mode_name(modes[i])) == 0) {
            *out = modes[i];
            return true;
        }
    }
    return false;
}
