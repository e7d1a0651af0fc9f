/* Probes that are on USB but not in DFU mode: the "blue LED" case of the
 * Cartographer docs' "via DFU" page. A Cartographer running its (Klipper-based)
 * firmware enumerates as 1d50:614e and Katapult as 1d50:6177; neither has a DFU
 * interface, so libusb's DFU listing cannot see them. sysfs can, read-only and
 * without opening the device: the usb layer's cf_usb_list_runtime reads it.
 * Under --simulate only the simulated bus is looked at: the backend lists what
 * the simulated probe runs after leaving DFU (sim/boot.h), as sysfs would
 * show it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "menu/menu.h"

/* What a run-time VID:PID is, NULL for devices that are not probes. */
static const char *what_of(unsigned vid, unsigned pid)
{
    if (vid == 0x1d50 && pid == 0x614e)
        return "Cartographer/Klipper firmware";
    if (vid == 0x1d50 && pid == 0x6177)
        return "Katapult bootloader";
    return NULL;
}

/* The bus's devices without a DFU interface, by the usb layer's one list:
 * the libusb backend reads sysfs, the simulated one shows what its probe
 * runs. Before a backend is open (it is opened on first use) sysfs is read
 * the same way directly; never under --simulate. Nothing is opened, so this
 * is fine inside a wait. */
static size_t scan_runtime(menu_ctx *ctx, menu_runtime *out, size_t cap)
{
    cf_usb_runtime_info devs[64]; /* a host with more USB devices is rare */
    size_t count = 0, n = 0;
    cf_code rc = ctx->be              ? cf_usb_list_runtime(ctx->be, devs, 64, &count, NULL)
                 : ctx->cli->simulate ? CF_ERR_NOT_FOUND
                                      : cf_usb_sysfs_list("/sys", devs, 64, &count, NULL);
    if (rc != CF_OK)
        return 0;
    for (size_t i = 0; i < count && n < cap; i++) {
        const cf_usb_identity *id = &devs[i].id;
        const char *what = what_of(id->vid, id->pid);
        if (!what)
            continue;
        menu_runtime *r = &out[n++];
        memset(r, 0, sizeof(*r));
        r->vid = id->vid;
        r->pid = id->pid;
        r->what = what;
        menu_copy(r->path, sizeof(r->path), id->bus_path);
        menu_copy(r->product, sizeof(r->product), id->product);
    }
    return n;
}

size_t menu_runtime_scan(menu_ctx *ctx, menu_runtime *out, size_t cap, bool with_backend)
{
    size_t n = scan_runtime(ctx, out, cap);
    cf_usb_backend *be = with_backend ? ctx->be : NULL;
    cf_usb_dfu_info *list = NULL;
    size_t count = 0;
    if (be && cf_usb_list_dfu(be, &list, &count, NULL) == CF_OK) {
        for (size_t i = 0; i < count && n < cap; i++) {
            if (list[i].dfu_mode)
                continue;
            menu_runtime *r = &out[n++];
            memset(r, 0, sizeof(*r));
            r->vid = list[i].vid;
            r->pid = list[i].pid;
            r->what = "DFU run-time interface (firmware running)";
            menu_copy(r->path, sizeof(r->path), list[i].bus_path);
            menu_copy(r->product, sizeof(r->product), list[i].product);
        }
    }
    free(list);
    return n;
}

void menu_runtime_advice(const menu_runtime *r, char *out, size_t size)
{
    snprintf(out, size,
             "%04x:%04x at %s%s%s%s is in run-time mode (%s; the blue-LED case), not in DFU "
             "mode. Unplug it, bridge the BOOT0 pads and plug it back in while they are bridged.",
             r->vid, r->pid, r->path[0] ? r->path : "?", r->product[0] ? " (" : "", r->product,
             r->product[0] ? ")" : "", r->what);
}
