/* Finds Klipper- and Katapult-mode USB serial devices through sysfs: every
 * /sys/class/tty entry whose device is a USB interface, identified by the USB
 * device above it (VID:PID, manufacturer, product, serial). Does not need
 * /dev/serial/by-id. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "katapult/katapult.h"
#include "common/safe.h"

static void read_attr(const char *dir, const char *name, char *out, size_t cap)
{
    char p[PATH_MAX];
    out[0] = 0;
    if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p))
        return;
    FILE *f = fopen(p, "r");
    if (!f)
        return;
    if (fgets(out, (int)cap, f))
        out[strcspn(out, "\r\n")] = 0;
    else
        out[0] = 0;
    fclose(f);
}

static bool icontains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* Classifies a USB identity; false if it is neither Klipper nor Katapult. */
static bool classify(cf_kp_usb_dev *d)
{
    bool kp =
        (d->vid == 0x1d50 && d->pid == 0x6177) || strcasecmp(d->manufacturer, "katapult") == 0;
    bool carto =
        icontains(d->manufacturer, "cartographer") || strcasecmp(d->manufacturer, "IDM") == 0;
    bool kl = (d->vid == 0x1d50 && d->pid == 0x614e) ||
              strcasecmp(d->manufacturer, "klipper") == 0 || carto;
    if (kp) {
        d->app = CF_KP_APP_KATAPULT;
        return true;
    }
    if (kl) {
        d->app = CF_KP_APP_KLIPPER;
        d->cartographer = carto || strcmp(d->product, "614e") == 0;
        return true;
    }
    return false;
}

cf_code cf_kp_sysfs_scan(const char *root, cf_kp_usb_dev *devs, size_t cap, size_t *count,
                         cf_error *err)
{
    *count = 0;
    char cls[PATH_MAX];
    snprintf(cls, sizeof(cls), "%s/class/tty", root);
    DIR *dir = opendir(cls);
    if (!dir)
        return cf_fail(err, CF_ERR_IO, "cannot read %s", cls);
    struct dirent *de;
    while ((de = readdir(dir)) && *count < cap) {
        if (de->d_name[0] == '.')
            continue;
        char link[PATH_MAX], iface[PATH_MAX];
        if ((size_t)snprintf(link, sizeof(link), "%s/%s/device", cls, de->d_name) >= sizeof(link))
            continue;
        if (!realpath(link, iface))
            continue; /* virtual ttys have no device */
        /* iface is the USB interface ("1-1.3:1.0"); its parent is the device. */
        char *slash = strrchr(iface, '/');
        if (!slash || !strchr(slash, ':'))
            continue;
        *slash = 0;
        char vid[8], pid[8];
        read_attr(iface, "idVendor", vid, sizeof(vid));
        read_attr(iface, "idProduct", pid, sizeof(pid));
        if (!vid[0] || !pid[0])
            continue;
        cf_kp_usb_dev *d = &devs[*count];
        memset(d, 0, sizeof(*d));
        d->vid = (uint16_t)strtoul(vid, NULL, 16);
        d->pid = (uint16_t)strtoul(pid, NULL, 16);
        read_attr(iface, "manufacturer", d->manufacturer, sizeof(d->manufacturer));
        read_attr(iface, "product", d->product, sizeof(d->product));
        read_attr(iface, "serial", d->serial, sizeof(d->serial));
        if (!classify(d))
            continue;
        cf_strlcpy(d->syspath, sizeof(d->syspath), iface);
        const char *base = strrchr(iface, '/');
        cf_strlcpy(d->port, sizeof(d->port), base ? base + 1 : iface);
        char tty[300];
        snprintf(tty, sizeof(tty), "/dev/%s", de->d_name);
        cf_strlcpy(d->tty, sizeof(d->tty), tty);
        (*count)++;
    }
    closedir(dir);
    return CF_OK;
}
