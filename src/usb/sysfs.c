/* The one reader of USB devices in sysfs (Linux Documentation/ABI/stable/
 * sysfs-bus-usb and sysfs-class-tty): read-only, nothing is opened, no
 * permission is needed. A USB device's folder is named after its port
 * ("1-1.3"); its interfaces are "1-1.3:1.0" below it, and a CDC interface's
 * tty appears in /sys/class/tty with a "device" link to that interface. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/safe.h"
#include "usb/usb.h"

/* One line of a sysfs attribute, without its newline; "" when unreadable. */
static bool read_attr(const char *dir, const char *name, char *out, size_t cap)
{
    char p[PATH_MAX];
    out[0] = '\0';
    if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) >= sizeof(p))
        return false;
    FILE *f = fopen(p, "re");
    if (!f)
        return false;
    bool ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\r\n")] = '\0';
    else
        out[0] = '\0';
    return ok;
}

static uint16_t hex16(const char *s)
{
    return (uint16_t)strtoul(s, NULL, 16);
}

bool cf_usb_sysfs_identity(const char *devdir, cf_usb_identity *out)
{
    char vid[8], pid[8], bcd[8];
    memset(out, 0, sizeof(*out));
    if (!read_attr(devdir, "idVendor", vid, sizeof(vid)) || !vid[0] ||
        !read_attr(devdir, "idProduct", pid, sizeof(pid)) || !pid[0])
        return false;
    out->vid = hex16(vid);
    out->pid = hex16(pid);
    if (read_attr(devdir, "bcdDevice", bcd, sizeof(bcd)))
        out->bcd_device = hex16(bcd);
    read_attr(devdir, "manufacturer", out->manufacturer, sizeof(out->manufacturer));
    read_attr(devdir, "product", out->product, sizeof(out->product));
    read_attr(devdir, "serial", out->serial, sizeof(out->serial));
    const char *base = strrchr(devdir, '/');
    cf_strlcpy(out->bus_path, sizeof(out->bus_path), base ? base + 1 : devdir);
    return true;
}

/* True when one of the device's interfaces is a DFU-mode one (class 0xFE,
 * subclass 0x01, protocol 0x02; DFU 1.1 section 4.2.3): those the DFU
 * listing shows. */
static bool has_dfu_mode_interface(const char *devdir, const char *name)
{
    DIR *d = opendir(devdir);
    if (!d)
        return false;
    bool dfu = false;
    size_t n = strlen(name);
    struct dirent *e;
    while (!dfu && (e = readdir(d)) != NULL) {
        char iface[PATH_MAX], cls[8], sub[8], proto[8];
        if (strncmp(e->d_name, name, n) != 0 || e->d_name[n] != ':' ||
            (size_t)snprintf(iface, sizeof(iface), "%s/%s", devdir, e->d_name) >= sizeof(iface))
            continue;
        dfu = read_attr(iface, "bInterfaceClass", cls, sizeof(cls)) && strcmp(cls, "fe") == 0 &&
              read_attr(iface, "bInterfaceSubClass", sub, sizeof(sub)) && strcmp(sub, "01") == 0 &&
              read_attr(iface, "bInterfaceProtocol", proto, sizeof(proto)) &&
              strcmp(proto, "02") == 0;
    }
    closedir(d);
    return dfu;
}

/* Opens the folder sub of sysfs_root (its path in path); NULL, told, if it cannot. */
static DIR *open_under(const char *sysfs_root, const char *sub, char *path, size_t size,
                       cf_error *err)
{
    snprintf(path, size, "%s/%s", sysfs_root, sub);
    DIR *d = opendir(path);
    if (!d)
        cf_fail(err, CF_ERR_IO, "cannot read %s", path);
    return d;
}

cf_code cf_usb_sysfs_list(const char *sysfs_root, cf_usb_runtime_info *out, size_t cap,
                          size_t *count, cf_error *err)
{
    *count = 0;
    char bus[PATH_MAX];
    DIR *d = open_under(sysfs_root, "bus/usb/devices", bus, sizeof(bus), err);
    if (!d)
        return CF_ERR_IO;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && *count < cap) {
        /* devices are "1-1.3"; skip roots ("usb1") and interfaces ("1-1.3:1.0") */
        char dev[PATH_MAX];
        if (e->d_name[0] == '.' || strchr(e->d_name, ':') || strncmp(e->d_name, "usb", 3) == 0 ||
            (size_t)snprintf(dev, sizeof(dev), "%s/%s", bus, e->d_name) >= sizeof(dev))
            continue;
        cf_usb_runtime_info *r = &out[*count];
        memset(r, 0, sizeof(*r));
        if (cf_usb_sysfs_identity(dev, &r->id) && !has_dfu_mode_interface(dev, e->d_name))
            (*count)++;
    }
    closedir(d);
    return CF_OK;
}

cf_code cf_usb_sysfs_ttys(const char *sysfs_root, cf_usb_tty_fn fn, void *user, cf_error *err)
{
    char cls[PATH_MAX];
    DIR *dir = open_under(sysfs_root, "class/tty", cls, sizeof(cls), err);
    if (!dir)
        return CF_ERR_IO;
    struct dirent *de;
    bool more = true;
    while (more && (de = readdir(dir))) {
        char link[PATH_MAX], iface[PATH_MAX];
        if (de->d_name[0] == '.' ||
            (size_t)snprintf(link, sizeof(link), "%s/%s/device", cls, de->d_name) >= sizeof(link))
            continue;
        if (!realpath(link, iface))
            continue; /* virtual ttys have no device */
        /* iface is the USB interface ("1-1.3:1.0"); its parent is the device. */
        char *slash = strrchr(iface, '/');
        if (!slash || !strchr(slash, ':'))
            continue;
        *slash = '\0';
        cf_usb_identity id;
        if (cf_usb_sysfs_identity(iface, &id))
            more = fn(user, de->d_name, iface, &id);
    }
    closedir(dir);
    return CF_OK;
}
