/* Finds Klipper- and Katapult-mode USB serial devices through sysfs: every
 * /sys/class/tty entry whose device is a USB interface, identified by the USB
 * device above it (the usb layer's sysfs reader, usb/usb.h). Does not need
 * /dev/serial/by-id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/safe.h"
#include "katapult/katapult.h"
#include "usb/usb.h"

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

/* Where the walk collects the devices. */
typedef struct scan_ctx {
    cf_kp_usb_dev *devs;
    size_t cap, count;
} scan_ctx;

static bool take_tty(void *user, const char *tty, const char *devdir, const cf_usb_identity *id)
{
    scan_ctx *c = user;
    if (c->count >= c->cap)
        return false;
    cf_kp_usb_dev *d = &c->devs[c->count];
    memset(d, 0, sizeof(*d));
    d->vid = id->vid;
    d->pid = id->pid;
    cf_strlcpy(d->manufacturer, sizeof(d->manufacturer), id->manufacturer);
    cf_strlcpy(d->product, sizeof(d->product), id->product);
    cf_strlcpy(d->serial, sizeof(d->serial), id->serial);
    if (!classify(d))
        return true;
    cf_strlcpy(d->syspath, sizeof(d->syspath), devdir);
    cf_strlcpy(d->port, sizeof(d->port), id->bus_path);
    char path[300];
    snprintf(path, sizeof(path), "/dev/%s", tty);
    cf_strlcpy(d->tty, sizeof(d->tty), path);
    return ++c->count < c->cap;
}

cf_code cf_kp_sysfs_scan(const char *root, cf_kp_usb_dev *devs, size_t cap, size_t *count,
                         cf_error *err)
{
    *count = 0;
    scan_ctx c = {devs, cap, 0};
    cf_code rc = cf_usb_sysfs_ttys(root, take_tty, &c, err);
    *count = c.count;
    return rc;
}
