/* Find device (dfu-device-found-2.png): "Querying DFU devices..", the BOOT0 /
 * RESET instructions, up to 30 s of waiting with a countdown that any key
 * stops, then "Detected DFU device: 0483:df11" / "Success: DFU Device Found"
 * and the options Select / Check Again / Back / Back to main menu / Exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/safe.h"
#include "menu/menu.h"

#define WAIT_SECONDS 30
#define MAX_FOUND 8

enum { A_SELECT = 200 };

/* One line per DFU-mode device, always with what its chip is (a mainboard in
 * DFU mode is also 0483:df11); the bus path only when there are several. */
static void describe(const cf_usb_dfu_info *d, bool several, char *out, size_t size)
{
    cf_dfu_kind kind;
    cf_dfu_identify(d, &kind);
    char where[48] = "";
    if (several)
        snprintf(where, sizeof(where), " at %s", d->bus_path);
    if (d->access_denied)
        snprintf(out, size, "%04x:%04x%s (chip unknown: no permission to read it)", d->vid, d->pid,
                 where);
    else if (kind.probe)
        snprintf(out, size, "%04x:%04x%s (%s, %s)", d->vid, d->pid, where, kind.probe->mcu,
                 kind.probe->probe);
    else
        snprintf(out, size, "%04x:%04x%s (%.100s: NOT a Cartographer probe)", d->vid, d->pid, where,
                 kind.what);
}

static void select_device(menu_ctx *ctx, const cf_usb_dfu_info *d, bool several)
{
    if (several)
        menu_copy(ctx->device, sizeof(ctx->device), d->bus_path);
    else
        snprintf(ctx->device, sizeof(ctx->device), "%04x:%04x", d->vid, d->pid);
    describe(d, several, ctx->device_label, sizeof(ctx->device_label));
    const cf_chip *chip = cf_chip_from_device(d);
    menu_copy(ctx->device_chip, sizeof(ctx->device_chip), chip ? chip->mcu : "");
    if (ctx->have_firmware) { /* judge the chosen firmware again against this chip */
        /* menu_fw_examine() clears its output first: pass copies, not ctx->fw's own fields. */
        menu_fw chosen = ctx->fw;
        menu_fw_examine(ctx, NULL, chosen.path, chosen.label, &ctx->fw);
    }
    menu_log(false, "device selected: %s (%s)", ctx->device_label, ctx->device_chip);
}

/* The DFU-mode devices attached after the wait, probes first, so the number
 * the Cartographer docs tell you to press (1) is never another board; stable
 * otherwise. found is the one the wait saw, for a backend that lists none. */
static size_t list_devices(menu_ctx *ctx, const cf_usb_dfu_info *found, cf_usb_dfu_info *devs)
{
    size_t ndev = 0;
    cf_usb_dfu_info *list = NULL;
    size_t count = 0;
    if (cf_usb_list_dfu(ctx->be, &list, &count, NULL) == CF_OK)
        for (size_t i = 0; i < count && ndev < MAX_FOUND; i++)
            if (list[i].dfu_mode)
                devs[ndev++] = list[i];
    free(list);
    if (ndev == 0 && found)
        devs[ndev++] = *found;
    for (size_t i = 1; i < ndev; i++)
        for (size_t j = i;
             j > 0 && menu_dfu_offerable(&devs[j]) && !menu_dfu_offerable(&devs[j - 1]); j--) {
            cf_usb_dfu_info t = devs[j];
            devs[j] = devs[j - 1];
            devs[j - 1] = t;
        }
    return ndev;
}

/* "Detected DFU device: ..." per device, with a warning for those not offered. */
static void show_devices(const cf_usb_dfu_info *devs, size_t ndev)
{
    bool several = ndev > 1;
    for (size_t i = 0; i < ndev; i++) {
        char line[192];
        describe(&devs[i], several, line, sizeof(line));
        printf("Detected DFU device: %s\n", cf_safe(line));
        if (devs[i].access_denied)
            scr_warn("%s Use Install Prerequisites (main menu) to add the udev rule.",
                     devs[i].note[0] ? devs[i].note : "No permission to open it.");
        else if (!menu_dfu_offerable(&devs[i]))
            scr_warn("Not offered: this menu flashes only Cartographer probes (STM32F042 or "
                     "STM32G431). It is probably a printer mainboard or toolhead board in "
                     "DFU mode.");
    }
    size_t probes = 0;
    for (size_t i = 0; i < ndev; i++)
        probes += menu_dfu_offerable(&devs[i]);
    if (probes)
        scr_success("DFU Device Found");
    else
        scr_error("No Cartographer probe in DFU mode: put the probe itself in DFU mode (BOOT0 "
                  "bridged while plugging it in), then Check Again.");
    menu_log(false, "DFU devices found: %zu (%zu Cartographer)", ndev, probes);
}

/* Why no device is listed: a key stopped the wait, the time ran out, or an error. */
static void show_none(cf_code rc, const cf_error *err)
{
    if (rc == CF_ERR_CANCELLED) {
        /* the user pressed a key: not an error */
        scr_say(COL_YELLOW, "%s", err->message);
        printf("Bridge BOOT0 while plugging the probe in, then Check Again.\n");
    } else if (rc == CF_ERR_NOT_FOUND || rc == CF_ERR_TIMEOUT) {
        /* cf_usb_wait_dfu() says CF_ERR_NOT_FOUND when the time is up */
        scr_error("No device in DFU mode appeared within %d s.", WAIT_SECONDS);
        printf("Check the cable carries data, bridge BOOT0 while plugging in, then Check Again.\n");
    } else {
        scr_cf_error(err);
    }
}

/* Select (each probe), Check Again, Back, Back to main menu, Exit. */
static menu_page ask_device(menu_ctx *ctx, const cf_usb_dfu_info *devs, size_t ndev)
{
    bool several = ndev > 1;
    menu m;
    menu_init(&m, "Options");
    size_t offered = 0;
    for (size_t i = 0; i < ndev; i++) {
        if (!menu_dfu_offerable(&devs[i]))
            continue;
        char line[192];
        describe(&devs[i], several, line, sizeof(line));
        menu_add(&m, A_SELECT + (int)i, COL_NONE, "Select %s", line);
        offered++;
    }
    if (offered > 0)
        menu_sep(&m);
    menu_add(&m, MENU_ACT_GO(PAGE_DFU_DEVICE), COL_NONE, "Check Again");
    menu_add_footer(&m, MENU_ACT_GO(PAGE_DFU), MENU_ACT_GO(PAGE_MAIN), NULL);

    int a = menu_show(&m);
    if (a >= A_SELECT && a < A_SELECT + (int)ndev && menu_dfu_offerable(&devs[a - A_SELECT])) {
        select_device(ctx, &devs[a - A_SELECT], several);
        return ctx->confirm_first && ctx->have_firmware ? PAGE_DFU_CONFIRM : PAGE_DFU;
    }
    return menu_next_page(a);
}

menu_page page_dfu_device(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Querying DFU devices..");
    printf("You can now bridge the %sBOOT0%s pins while plugging in Cartographer via USB at the "
           "same time.\n",
           scr_code(COL_YELLOW), scr_reset());
    printf("Already plugged in? Keep %sBOOT0%s bridged and briefly bridge the %sRESET%s pads.\n",
           scr_code(COL_YELLOW), scr_reset(), scr_code(COL_YELLOW), scr_reset());
    printf(
        "No LED is lit in DFU mode; a blue LED, even flickering, means it is not in DFU mode.\n\n");

    cf_usb_dfu_info found;
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = menu_wait_dfu(ctx, NULL, WAIT_SECONDS, &found, &err);
    if (rc == CF_ERR_CANCELLED && term_interrupted())
        return PAGE_INTERRUPT;

    cf_usb_dfu_info devs[MAX_FOUND];
    size_t ndev = 0;
    if ((rc == CF_OK || rc == CF_ERR_AMBIGUOUS) && ctx->be)
        ndev = list_devices(ctx, rc == CF_OK ? &found : NULL, devs);
    if (ndev > 0)
        show_devices(devs, ndev);
    else
        show_none(rc, &err);
    return ask_device(ctx, devs, ndev);
}
