/* Probes that are on USB but not in DFU mode: the "blue LED" case of the
 * Cartographer docs' "via DFU" page. A Cartographer running its (Klipper-based)
 * firmware enumerates as 1d50:614e and Katapult as 1d50:6177; neither has a DFU
 * interface, so libusb's DFU listing cannot see them. sysfs can, read-only and
 * without opening the device. Under --simulate only the simulated bus is
 * looked at: the backend lists what the simulated probe runs after leaving DFU
 * (sim/boot.h), as sysfs would show it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "menu/menu.h"

#define SYSFS_USB "/sys/bus/usb/devices"

static bool read_attr(const char *dev, const char *attr, char *out, size_t size)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s/%s", SYSFS_USB, dev, attr);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool ok = fgets(out, (int)size, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\r\n")] = '\0';
    return ok;
}

/* What a run-time VID:PID is, NULL for devices that are not probes. */
static const char *what_of(unsigned vid, unsigned pid)
{
    if (vid == 0x1d50 && pid == 0x614e)
        return "Cartographer/Klipper firmware";
    if (vid == 0x1d50 && pid == 0x6177)
        return "Katapult bootloader";
    return NULL;
}

static size_t scan_sysfs(menu_runtime *out, size_t cap)
{
    DIR *d = opendir(SYSFS_USB);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < cap) {
        /* devices are "1-1.3"; skip roots ("usb1") and interfaces ("1-1.3:1.0") */
        if (e->d_name[0] == '.' || strchr(e->d_name, ':') || strncmp(e->d_name, "usb", 3) == 0)
            continue;
        char vid[8], pid[8];
        if (!read_attr(e->d_name, "idVendor", vid, sizeof(vid)) ||
            !read_attr(e->d_name, "idProduct", pid, sizeof(pid)))
            continue;
        unsigned v = (unsigned)strtoul(vid, NULL, 16), p = (unsigned)strtoul(pid, NULL, 16);
        const char *what = what_of(v, p);
        if (!what)
            continue;
        menu_runtime *r = &out[n++];
        memset(r, 0, sizeof(*r));
        r->vid = (uint16_t)v;
        r->pid = (uint16_t)p;
        r->what = what;
        menu_copy(r->path, sizeof(r->path), e->d_name);
        read_attr(e->d_name, "product", r->product, sizeof(r->product));
    }
    closedir(d);
    return n;
}

/* The simulated bus's devices without a DFU interface (the backend answers
 * without opening anything, so this is fine inside a wait). */
static size_t scan_simulated(cf_usb_backend *be, menu_runtime *out, size_t cap)
{
    cf_usb_runtime_info devs[4];
    size_t count = 0, n = 0;
    if (!be || cf_usb_list_runtime(be, devs, 4, &count, NULL) != CF_OK)
        return 0;
    for (size_t i = 0; i < count && n < cap; i++) {
        const char *what = what_of(devs[i].vid, devs[i].pid);
        if (!what)
            continue;
        menu_runtime *r = &out[n++];
        memset(r, 0, sizeof(*r));
        r->vid = devs[i].vid;
        r->pid = devs[i].pid;
        r->what = what;
        menu_copy(r->path, sizeof(r->path), devs[i].bus_path);
        menu_copy(r->product, sizeof(r->product), devs[i].product);
    }
    return n;
}

size_t menu_runtime_scan(menu_ctx *ctx, menu_runtime *out, size_t cap, bool with_backend)
{
    size_t n = 0;
    if (!ctx->cli->simulate)
        n = scan_sysfs(out, cap);
    else
        n = scan_simulated(ctx->be, out, cap);
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
