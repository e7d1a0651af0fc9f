/* A probe in DFU mode: the combined image over DFU, its interface, bitrate
 * and flavour kept from the firmware its flash holds (see update.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/version.h"
#include "common/clock.h"
#include "klipper/reach.h"
#include "update/update_internal.h"

/* What the flash of a probe in DFU mode holds, read with DfuSe upload (ST
 * AN3156 §6: the ROM bootloader reads flash back while read protection is
 * off); nothing is erased or written and leave is not sent. */
static cf_code read_dfu_firmware(cf_usb_backend *be, const cf_probe_status *r, cf_image_info *info,
                                 cf_error *err)
{
    memset(info, 0, sizeof(*info));
    uint8_t *buf = NULL;
    size_t size = 0;
    uint32_t start = 0;
    cf_flash_report rep;
    cf_code rc = cf_read_flash_dfu(be, r->port, &buf, &size, &start, NULL, &rep, err);
    if (rc != CF_OK) {
        cf_hint(err, "nothing was changed; the interface the new firmware uses is read from "
                     "the flash before anything is erased");
        return rc;
    }
    cf_image img = {0};
    char name[96];
    snprintf(name, sizeof(name), "flash of %s", r->port);
    cf_image_load_opts lo = {.address = start, .address_given = true};
    rc = cf_image_parse(buf, size, name, &lo, &img, err);
    free(buf);
    if (rc == CF_OK)
        cf_image_inspect(&img, info);
    cf_image_free(&img);
    return rc;
}

/* After leave: a USB build comes back as the Cartographer app on the same
 * port with the same chip and is asked what it runs (klipper/cameback.h), as
 * after every DFU flash; not seen is CF_ERR_NOT_SEEN. A CAN build shows
 * nothing on USB. */
static cf_code confirm_dfu(const cf_update_opts *o, const cf_update_events *ev, const cf_image *img,
                           cf_iface iface, cf_update_result *res, cf_error *err)
{
    const cf_probe_status *r = &res->probe;
    if (iface == CF_IFACE_CAN) {
        cf_up_note(ev, CF_UPN_CONFIRMED,
                   "A CAN build shows nothing on USB: once the probe is cabled to the CAN bus, "
                   "`cartoflash status` asks it what it runs.");
        return CF_OK;
    }
    cf_kp_env hw = {0};
    cf_cb_want w = {.iface = CF_IFACE_USB,
                    .wait_ms = CF_CB_USB_WAIT_MS,
                    .img = img,
                    .port = r->port,
                    .serial = r->serial};
    cf_came_back cb;
    cf_code rc =
        cf_came_back_wait(o->status.dfu, o->status.env ? o->status.env : &hw, &w, &cb, err);
    if (rc != CF_OK)
        return rc;
    return cf_up_confirm(ev, &cb, res, err);
}

/* The link the new firmware talks on: the options' choice, else the one of
 * the firmware its flash holds; neither is an error naming the flags. */
static cf_code choose_link(const cf_update_opts *o, const cf_update_events *ev, const char *device,
                           const cf_image_info *now, bool known, cf_iface *iface, uint32_t *bitrate,
                           cf_error *err)
{
    if (o->fw_iface != CF_IFACE_UNKNOWN) {
        *iface = o->fw_iface;
        *bitrate = o->fw_bitrate;
        if (*iface == CF_IFACE_CAN && !*bitrate && known && now->iface == CF_IFACE_CAN)
            *bitrate = now->can_bitrate;
        if (*iface == CF_IFACE_CAN && !*bitrate) {
            cf_fail(err, CF_ERR_AMBIGUOUS,
                    "a CAN build needs the bus bitrate, and the flash does not say it");
            cf_hint(err, "add --bitrate N (the bitrate of your CAN bus, e.g. 1000000)");
            return CF_ERR_AMBIGUOUS;
        }
        cf_up_note(ev, CF_UPN_INTERFACE, "Interface: %s - from %s.",
                   *iface == CF_IFACE_CAN ? "CAN" : "USB",
                   o->fw_iface_why ? o->fw_iface_why : "--firmware-interface");
        if (*iface == CF_IFACE_CAN && o->fw_bitrate)
            cf_up_note(ev, CF_UPN_INTERFACE, "Bitrate: %u bit/s - from %s.", (unsigned)*bitrate,
                       o->fw_bitrate_why ? o->fw_bitrate_why : "--bitrate");
        else if (*iface == CF_IFACE_CAN)
            cf_up_note(ev, CF_UPN_INTERFACE,
                       "Bitrate: %u bit/s - kept from the firmware in its flash.",
                       (unsigned)*bitrate);
        return CF_OK;
    }
    if (known) {
        *iface = now->iface;
        *bitrate = now->iface == CF_IFACE_CAN ? now->can_bitrate : 0;
        if (*iface == CF_IFACE_CAN)
            cf_up_note(ev, CF_UPN_INTERFACE,
                       "Interface: CAN at %u bit/s - kept from the firmware its flash holds.",
                       (unsigned)*bitrate);
        else
            cf_up_note(ev, CF_UPN_INTERFACE,
                       "Interface: USB - kept from the firmware its flash holds.");
        return CF_OK;
    }
    cf_fail(err, CF_ERR_AMBIGUOUS,
            "which link the new firmware talks on cannot be read from %s: its flash holds "
            "no Cartographer firmware to keep it from",
            device);
    cf_hint(err, "add --firmware-interface usb, or --firmware-interface can --bitrate N "
                 "(your CAN bus bitrate, e.g. 1000000)");
    return CF_ERR_AMBIGUOUS;
}

/* The combined image for that link, in the flavour the flash held. */
static cf_code pick_combined(const cf_update_opts *o, const cf_update_events *ev,
                             const cf_image_info *now, bool known, cf_iface iface, uint32_t bitrate,
                             cf_update_result *res, cf_error *err)
{
    const cf_probe_status *r = &res->probe;
    cf_version_flags fl = {0};
    if (known)
        cf_version_flags_parse(now->version, &fl);
    cf_catalog_filter f = {.mode = CF_CATALOG_DFU,
                           .mcu = r->mcu,
                           .iface = iface,
                           .bitrate = bitrate,
                           .high_temp = fl.high_temp,
                           .kseries = fl.kseries,
                           .lite = fl.lite};
    cf_catalog *cat = o->status.catalog;
    cf_code rc = o->version ? cf_up_pick_version(cat, &f, o->version, &res->target, err)
                            : cf_catalog_pick(cat, &f, &res->target, err);
    if (rc != CF_OK)
        return rc;
    res->picked = true;
    char link[32];
    if (iface == CF_IFACE_CAN)
        snprintf(link, sizeof(link), "CAN %u", (unsigned)bitrate);
    else
        snprintf(link, sizeof(link), "USB");
    cf_up_note(ev, CF_UPN_IMAGE, "Image: %s (%s) - %s combined image (Katapult + app) for %s %s%s.",
               res->target.version, res->target.rel_path, o->version ? "the" : "the newest", r->mcu,
               link,
               known ? ", in the flavour the flash held"
                     : ", standard flavour (no firmware in the flash to keep one from)");
    return CF_OK;
}

static cf_code flash_dfu(const cf_update_opts *o, const cf_update_events *ev, cf_iface iface,
                         cf_update_result *res, cf_error *err)
{
    cf_image img = {0};
    cf_image_load_opts lo = {.default_address = 0x08000000u};
    cf_code rc = cf_image_load(res->target.abs_path, &lo, &img, err);
    if (rc != CF_OK)
        return rc;
    cf_update_plan plan = {.dfu = true, .probe = &res->probe, .target = &res->target, .img = &img};
    rc = !o->dry_run && ev && ev->confirm ? ev->confirm(ev->user, &plan, err) : CF_OK;
    cf_flash_report rep;
    cf_flash_opts fo = {.device = res->probe.port, .dry_run = o->dry_run};
    if (rc == CF_OK)
        rc = cf_flash_dfu(o->status.dfu, &img, &fo, ev ? ev->flash : NULL, &rep, err);
    if (rc == CF_OK && o->dry_run) {
        res->planned = true;
        res->planned_dfu = true;
        res->dfu = rep;
    } else if (rc == CF_OK) {
        res->flashed = true;
        cf_up_note(ev, CF_UPN_WRITTEN,
                   "Written and verified %zu bytes over DFU (%zu of %zu pages changed); left DFU "
                   "mode.",
                   rep.bytes_verified, rep.pages_changed, rep.pages_total);
        rc = confirm_dfu(o, ev, &img, iface, res, err);
    }
    cf_image_free(&img);
    return rc;
}

cf_code cf_up_run_dfu(const cf_update_opts *o, const cf_update_events *ev, cf_update_result *res,
                      cf_error *err)
{
    const cf_probe_status *r = &res->probe;
    cf_up_note(ev, CF_UPN_PROBE, "Probe: %s, %s (%s), in DFU mode (the STM32 ROM bootloader).",
               r->device, r->mcu, r->generation);
    cf_image_info now;
    cf_code rc = read_dfu_firmware(o->status.dfu, r, &now, err);
    if (rc != CF_OK)
        return rc;
    /* Only a dictionary built for this very chip says what the probe ran. */
    bool known = now.has_dictionary && now.iface != CF_IFACE_UNKNOWN &&
                 strcmp(now.mcu, r->mcu) == 0 && (now.iface == CF_IFACE_USB || now.can_bitrate);
    if (known) {
        char held[160];
        cf_kl_describe(&now, held, sizeof(held));
        cf_up_note(ev, CF_UPN_HOLDS,
                   "Its flash holds %s (its Klipper data dictionary, read with DfuSe upload).",
                   held);
    } else {
        cf_up_note(ev, CF_UPN_HOLDS,
                   "Its flash holds no Cartographer firmware for %s (read with DfuSe upload).",
                   r->mcu);
    }
    cf_iface iface = CF_IFACE_UNKNOWN;
    uint32_t bitrate = 0;
    rc = choose_link(o, ev, r->device, &now, known, &iface, &bitrate, err);
    if (rc == CF_OK)
        rc = pick_combined(o, ev, &now, known, iface, bitrate, res, err);
    if (rc == CF_OK)
        rc = cf_up_plugin_gate(o, ev, &res->target, err);
    if (rc == CF_OK)
        rc = flash_dfu(o, ev, iface, res, err);
    return rc;
}
