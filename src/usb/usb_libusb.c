/* libusb-1.0 backend: real devices. Enumerates DFU interfaces from the cached
 * descriptors, opens a device only to read its strings (and, failing that,
 * still lists it so `list` can explain permissions), and maps libusb errors to
 * cf_codes with a hint the user can act on. */
#include <dirent.h>
#include <libusb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usb/usb.h"
#include "usb/usb_libusb_internal.h"

/* What listing learned of one device by opening it (its strings). A device
 * stays the same libusb_device while it is attached, so listing it again
 * (the CLI shows the device, then the flash opens it) reuses this instead of
 * opening it and asking for every string again. Devices we could not open are
 * never cached: a udev rule may be installed meanwhile. */
#define LU_CACHE_MAX 8
typedef struct lu_cached {
    libusb_device *dev; /* referenced while cached */
    cf_usb_dfu_info *items;
    size_t count;
} lu_cached;

typedef struct lu_backend {
    cf_usb_backend base;
    struct cf_usb_backend_ops ops; /* lu_ops, with wait_arrival when hotplug works */
    libusb_context *ctx;
    lu_cached cache[LU_CACHE_MAX];
    size_t cached;
    bool hotplug;
    libusb_hotplug_callback_handle hotplug_handle;
    int arrived;         /* set by the hotplug callback, read by wait_arrival */
    unsigned open_count; /* the context is replaced only while no device is open */
    bool have_signature;
    uint64_t signature; /* of the bus as the context last scanned it */
} lu_backend;

typedef struct lu_dev {
    cf_usb_dev base;
    lu_backend *lb;
    libusb_device_handle *handle;
    uint8_t interface_number;
    bool claimed;
} lu_dev;

static const struct cf_usb_backend_ops lu_ops;

cf_code cf_usb_libusb_error(int rc, cf_error *err, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);

    const char *name = libusb_error_name(rc);
    switch (rc) {
    case LIBUSB_ERROR_ACCESS:
        cf_fail(err, CF_ERR_ACCESS, "%s: permission denied (%s)", what, name);
        cf_hint(err, "%s", cf_usb_udev_hint());
        return CF_ERR_ACCESS;
    case LIBUSB_ERROR_PIPE:
        return cf_fail(err, CF_ERR_STALL, "%s: the device stalled the request (%s)", what, name);
    case LIBUSB_ERROR_TIMEOUT:
        return cf_fail(err, CF_ERR_TIMEOUT, "%s: the device did not answer in time (%s)", what,
                       name);
    case LIBUSB_ERROR_NO_DEVICE:
    case LIBUSB_ERROR_NOT_FOUND:
        cf_fail(err, CF_ERR_GONE, "%s: the device is no longer connected (%s)", what, name);
        cf_hint(err, "check the cable and hub; put the probe back in DFU mode and try again");
        return CF_ERR_GONE;
    case LIBUSB_ERROR_BUSY:
        cf_fail(err, CF_ERR_IO, "%s: the device is in use by another program (%s)", what, name);
        cf_hint(err, "close other flashing tools (dfu-util, STM32CubeProgrammer) and try again");
        return CF_ERR_IO;
    case LIBUSB_ERROR_NO_MEM:
        return cf_fail(err, CF_ERR_NOMEM, "%s: out of memory (%s)", what, name);
    default:
        return cf_fail(err, CF_ERR_IO, "%s: USB error %s", what, name);
    }
}

/* ---- context ---- */

static int LIBUSB_CALL on_arrival(libusb_context *ctx, libusb_device *dev,
                                  libusb_hotplug_event event, void *user);

static int start_context(lu_backend *lb)
{
    int rc = libusb_init(&lb->ctx);
    if (rc != 0)
        return rc;
    lb->hotplug = libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) &&
                  libusb_hotplug_register_callback(
                      lb->ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED, 0, LIBUSB_HOTPLUG_MATCH_ANY,
                      LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, on_arrival, lb,
                      &lb->hotplug_handle) == LIBUSB_SUCCESS;
    return 0;
}

static void cache_clear(lu_backend *lb)
{
    for (size_t i = 0; i < lb->cached; i++) {
        libusb_unref_device(lb->cache[i].dev);
        free(lb->cache[i].items);
    }
    lb->cached = 0;
}

static void stop_context(lu_backend *lb)
{
    cache_clear(lb);
    if (lb->hotplug)
        libusb_hotplug_deregister_callback(lb->ctx, lb->hotplug_handle);
    lb->hotplug = false;
    libusb_exit(lb->ctx);
    lb->ctx = NULL;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

/* A cheap fingerprint of the attached USB devices (name and device number of
 * each), order-independent. False where sysfs is not there. */
static bool bus_signature(uint64_t *out)
{
    DIR *dir = opendir("/sys/bus/usb/devices");
    if (!dir)
        return false;
    uint64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.' || strchr(e->d_name, ':'))
            continue; /* interfaces */
        char path[320], devnum[16] = "";
        snprintf(path, sizeof(path), "/sys/bus/usb/devices/%s/devnum", e->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(devnum, sizeof(devnum), f))
                devnum[0] = '\0';
            fclose(f);
        }
        sum += fnv1a(fnv1a(14695981039346656037ull, e->d_name), devnum);
    }
    closedir(dir);
    *out = sum;
    return true;
}

/* libusb (built with udev, as on Debian) learns about new devices only from
 * udevd's events; where udevd does not run (containers, minimal systems) its
 * device list stays as it was at libusb_init(). So without udevd, when the
 * bus has changed since the context's scan and nothing is open, start a fresh
 * context. With udevd the list is kept current (and restarting would only
 * delay finding the device). */
static bool udevd_running(void)
{
    return access("/run/udev/control", F_OK) == 0;
}

static cf_code refresh_context(lu_backend *lb, cf_error *err)
{
    if (lb->open_count > 0 || udevd_running())
        return CF_OK;
    uint64_t sig = 0;
    bool have = bus_signature(&sig);
    if (have && lb->have_signature && sig == lb->signature)
        return CF_OK;
    if (lb->have_signature || !have) {
        stop_context(lb);
        int rc = start_context(lb);
        if (rc != 0)
            return cf_usb_libusb_error(rc, err, "restarting libusb");
    }
    lb->have_signature = have;
    lb->signature = sig;
    return CF_OK;
}

/* ---- enumeration ---- */

static void format_bus_path(libusb_device *dev, char *out, size_t cap)
{
    uint8_t ports[8];
    int n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports));
    size_t len = (size_t)snprintf(out, cap, "%u", libusb_get_bus_number(dev));
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%c%u", i == 0 ? '-' : '.', ports[i]);
}

static void read_string(libusb_device_handle *h, uint8_t index, char *out, size_t cap)
{
    out[0] = '\0';
    if (!h || index == 0)
        return;
    int n = libusb_get_string_descriptor_ascii(h, index, (unsigned char *)out, (int)cap);
    if (n < 0)
        out[0] = '\0';
    else
        out[(size_t)n < cap ? (size_t)n : cap - 1] = '\0';
}

/* The functional descriptor sits after the last alt setting on ST ROMs; look
 * there first, then at the other alts, then the configuration, then ask. */
static bool find_functional(const struct libusb_config_descriptor *cfg,
                            const struct libusb_interface *itf, libusb_device_handle *h,
                            cf_dfu_functional *out)
{
    for (int a = itf->num_altsetting - 1; a >= 0; a--) {
        const struct libusb_interface_descriptor *alt = &itf->altsetting[a];
        if (alt->extra_length > 0 &&
            cf_usb_parse_functional(alt->extra, (size_t)alt->extra_length, out, NULL) == CF_OK)
            return true;
    }
    if (cfg->extra_length > 0 &&
        cf_usb_parse_functional(cfg->extra, (size_t)cfg->extra_length, out, NULL) == CF_OK)
        return true;
    if (h) {
        uint8_t buf[64];
        int n = libusb_get_descriptor(h, 0x21, 0, buf, (int)sizeof(buf));
        if (n > 0 && cf_usb_parse_functional(buf, (size_t)n, out, NULL) == CF_OK)
            return true;
    }
    return false;
}

typedef struct lu_list {
    cf_usb_dfu_info *items;
    size_t count, cap;
} lu_list;

static cf_usb_dfu_info *list_add(lu_list *l)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        cf_usb_dfu_info *p = realloc(l->items, cap * sizeof(*p));
        if (!p)
            return NULL;
        l->items = p;
        l->cap = cap;
    }
    cf_usb_dfu_info *d = &l->items[l->count++];
    memset(d, 0, sizeof(*d));
    return d;
}

bool cf_usb_libusb_is_dfu(const struct libusb_interface *itf)
{
    if (itf->num_altsetting < 1)
        return false;
    const struct libusb_interface_descriptor *a = &itf->altsetting[0];
    return a->bInterfaceClass == 0xFE && a->bInterfaceSubClass == 0x01;
}

/* Opens dev once for string reads. Returns NULL and sets *denied on EACCES. */
static libusb_device_handle *open_for_strings(libusb_device *dev, bool *denied)
{
    libusb_device_handle *h = NULL;
    int rc = libusb_open(dev, &h);
    *denied = rc == LIBUSB_ERROR_ACCESS;
    return rc == 0 ? h : NULL;
}

void cf_usb_libusb_describe(const struct libusb_device_descriptor *dd,
                            const struct libusb_config_descriptor *cfg,
                            const struct libusb_interface *itf, libusb_device_handle *h,
                            bool denied, cf_usb_dfu_info *d)
{
    const struct libusb_interface_descriptor *a0 = &itf->altsetting[0];
    d->vid = dd->idVendor;
    d->pid = dd->idProduct;
    d->bcd_device = dd->bcdDevice;
    d->interface_number = a0->bInterfaceNumber;
    d->dfu_mode = a0->bInterfaceProtocol == 0x02;
    read_string(h, dd->iManufacturer, d->manufacturer, sizeof(d->manufacturer));
    read_string(h, dd->iProduct, d->product, sizeof(d->product));
    read_string(h, dd->iSerialNumber, d->serial, sizeof(d->serial));
    if (denied) {
        d->access_denied = true;
        snprintf(d->note, sizeof(d->note),
                 "no permission to open the device, names unknown (install the udev rule)");
    }
    d->has_functional = find_functional(cfg, itf, h, &d->functional);
    for (int a = 0; a < itf->num_altsetting && d->alt_count < CF_USB_MAX_ALTS; a++) {
        const struct libusb_interface_descriptor *alt = &itf->altsetting[a];
        d->alts[d->alt_count].alt = alt->bAlternateSetting;
        read_string(h, alt->iInterface, d->alts[d->alt_count].name,
                    sizeof(d->alts[d->alt_count].name));
        d->alt_count++;
    }
}

static cf_code add_interface(lu_list *l, libusb_device *dev,
                             const struct libusb_device_descriptor *dd,
                             const struct libusb_config_descriptor *cfg,
                             const struct libusb_interface *itf, libusb_device_handle *h,
                             bool denied, cf_error *err)
{
    cf_usb_dfu_info *d = list_add(l);
    if (!d)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory listing USB devices");
    d->bus = libusb_get_bus_number(dev);
    d->address = libusb_get_device_address(dev);
    format_bus_path(dev, d->bus_path, sizeof(d->bus_path));
    cf_usb_libusb_describe(dd, cfg, itf, h, denied, d);
    return CF_OK;
}

static cf_code list_device(lu_list *l, libusb_device *dev, cf_error *err)
{
    struct libusb_device_descriptor dd;
    if (libusb_get_device_descriptor(dev, &dd) != 0)
        return CF_OK;
    struct libusb_config_descriptor *cfg = NULL;
    if (libusb_get_active_config_descriptor(dev, &cfg) != 0 &&
        libusb_get_config_descriptor(dev, 0, &cfg) != 0)
        return CF_OK; /* no readable configuration: not something we can flash */

    cf_code rc = CF_OK;
    libusb_device_handle *h = NULL;
    bool opened = false, denied = false;
    for (int i = 0; i < cfg->bNumInterfaces && rc == CF_OK; i++) {
        const struct libusb_interface *itf = &cfg->interface[i];
        if (!cf_usb_libusb_is_dfu(itf))
            continue;
        if (!opened) {
            h = open_for_strings(dev, &denied);
            opened = true;
        }
        rc = add_interface(l, dev, &dd, cfg, itf, h, denied, err);
    }
    if (h)
        libusb_close(h);
    libusb_free_config_descriptor(cfg);
    return rc;
}

static const lu_cached *cache_find(const lu_backend *lb, libusb_device *dev)
{
    for (size_t i = 0; i < lb->cached; i++)
        if (lb->cache[i].dev == dev)
            return &lb->cache[i];
    return NULL;
}

/* Remembers entries [from, l->count) of the list as dev's. */
static void cache_add(lu_backend *lb, libusb_device *dev, const lu_list *l, size_t from)
{
    size_t n = l->count - from;
    if (n == 0 || lb->cached == LU_CACHE_MAX)
        return;
    for (size_t i = from; i < l->count; i++)
        if (l->items[i].access_denied)
            return;
    cf_usb_dfu_info *copy = malloc(n * sizeof(*copy));
    if (!copy)
        return; /* only a cache */
    memcpy(copy, l->items + from, n * sizeof(*copy));
    lb->cache[lb->cached++] = (lu_cached){libusb_ref_device(dev), copy, n};
}

/* Forgets devices that are no longer in devs. */
static void cache_prune(lu_backend *lb, libusb_device **devs, ssize_t n)
{
    for (size_t i = 0; i < lb->cached;) {
        bool present = false;
        for (ssize_t j = 0; j < n && !present; j++)
            present = devs[j] == lb->cache[i].dev;
        if (present) {
            i++;
            continue;
        }
        libusb_unref_device(lb->cache[i].dev);
        free(lb->cache[i].items);
        lb->cache[i] = lb->cache[--lb->cached];
    }
}

static cf_code list_or_reuse(lu_backend *lb, lu_list *l, libusb_device *dev, cf_error *err)
{
    const lu_cached *c = cache_find(lb, dev);
    if (!c) {
        size_t from = l->count;
        cf_code rc = list_device(l, dev, err);
        if (rc == CF_OK)
            cache_add(lb, dev, l, from);
        return rc;
    }
    for (size_t i = 0; i < c->count; i++) {
        cf_usb_dfu_info *d = list_add(l);
        if (!d)
            return cf_fail(err, CF_ERR_NOMEM, "out of memory listing USB devices");
        *d = c->items[i];
    }
    return CF_OK;
}

/* The bus's devices now, with a context that sees hotplugged ones. */
static cf_code device_list(lu_backend *lb, libusb_device ***devs, ssize_t *n, cf_error *err)
{
    cf_code rc = refresh_context(lb, err);
    if (rc != CF_OK)
        return rc;
    *n = libusb_get_device_list(lb->ctx, devs);
    if (*n < 0)
        return cf_usb_libusb_error((int)*n, err, "listing USB devices");
    return CF_OK;
}

static cf_code lu_list_dfu(cf_usb_backend *be, cf_usb_dfu_info **list, size_t *count, cf_error *err)
{
    lu_backend *lb = (lu_backend *)be;
    libusb_device **devs = NULL;
    ssize_t n = 0;
    cf_code crc = device_list(lb, &devs, &n, err);
    if (crc != CF_OK)
        return crc;

    cache_prune(lb, devs, n);
    lu_list l = {0};
    cf_code rc = CF_OK;
    for (ssize_t i = 0; i < n && rc == CF_OK; i++)
        rc = list_or_reuse(lb, &l, devs[i], err);
    libusb_free_device_list(devs, 1);
    if (rc != CF_OK) {
        free(l.items);
        return rc;
    }
    *list = l.items;
    *count = l.count;
    return CF_OK;
}

/* ---- hotplug ---- */

static int LIBUSB_CALL on_arrival(libusb_context *ctx, libusb_device *dev,
                                  libusb_hotplug_event event, void *user)
{
    (void)ctx;
    (void)dev;
    (void)event;
    ((lu_backend *)user)->arrived = 1;
    return 0; /* keep the callback registered */
}

static cf_code lu_wait_arrival(cf_usb_backend *be, unsigned timeout_ms, cf_error *err)
{
    lu_backend *lb = (lu_backend *)be;
    if (!lb->arrived) {
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        int rc = libusb_handle_events_timeout_completed(lb->ctx, &tv, &lb->arrived);
        if (rc != 0 && rc != LIBUSB_ERROR_INTERRUPTED)
            return cf_usb_libusb_error(rc, err, "waiting for USB events");
    }
    if (!lb->arrived)
        return CF_ERR_TIMEOUT; /* nothing arrived; not worth an error message */
    lb->arrived = 0;
    return CF_OK;
}

/* ---- open / control / close ---- */

static libusb_device *find_device(libusb_device **devs, ssize_t n, const cf_usb_dfu_info *info)
{
    libusb_device *by_path = NULL;
    for (ssize_t i = 0; i < n; i++) {
        struct libusb_device_descriptor dd;
        if (libusb_get_device_descriptor(devs[i], &dd) != 0 || dd.idVendor != info->vid ||
            dd.idProduct != info->pid)
            continue;
        char path[sizeof(info->bus_path)];
        format_bus_path(devs[i], path, sizeof(path));
        if (strcmp(path, info->bus_path) != 0)
            continue;
        if (libusb_get_device_address(devs[i]) == info->address)
            return devs[i];
        by_path = devs[i]; /* re-enumerated on the same port */
    }
    return by_path;
}

static cf_code claim(lu_dev *d, cf_error *err)
{
    int rc = libusb_set_auto_detach_kernel_driver(d->handle, 1);
    if (rc != 0 && rc != LIBUSB_ERROR_NOT_SUPPORTED)
        return cf_usb_libusb_error(rc, err, "enabling kernel driver detach");
    rc = libusb_claim_interface(d->handle, d->interface_number);
    if (rc != 0)
        return cf_usb_libusb_error(rc, err, "claiming interface %u", d->interface_number);
    d->claimed = true;
    rc = libusb_set_interface_alt_setting(d->handle, d->interface_number, 0);
    if (rc != 0)
        return cf_usb_libusb_error(rc, err, "selecting alt setting 0");
    return CF_OK;
}

/* The device info names, on the bus now; referenced (the caller unrefs it)
 * so that the list it was found in can go. */
static cf_code find_attached(lu_backend *lb, const cf_usb_dfu_info *info, libusb_device **out,
                             cf_error *err)
{
    libusb_device **devs = NULL;
    ssize_t n = 0;
    cf_code rc = device_list(lb, &devs, &n, err);
    if (rc != CF_OK)
        return rc;
    libusb_device *dev = find_device(devs, n, info);
    if (dev)
        libusb_ref_device(dev);
    libusb_free_device_list(devs, 1);
    if (!dev) {
        cf_fail(err, CF_ERR_GONE, "the USB device %04x:%04x at %s is no longer connected",
                info->vid, info->pid, info->bus_path);
        cf_hint(err, "check the cable; put the probe back in DFU mode and try again");
        return CF_ERR_GONE;
    }
    *out = dev;
    return CF_OK;
}

static void lu_close(cf_usb_dev *dev);

static cf_code lu_open(cf_usb_backend *be, const cf_usb_dfu_info *info, cf_usb_dev **out,
                       cf_error *err)
{
    lu_backend *lb = (lu_backend *)be;
    libusb_device *dev = NULL;
    cf_code crc = find_attached(lb, info, &dev, err);
    if (crc != CF_OK)
        return crc;
    lu_dev *d = calloc(1, sizeof(*d));
    if (!d) {
        libusb_unref_device(dev);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory opening the USB device");
    }
    d->base.ops = &lu_ops;
    d->lb = lb;
    d->interface_number = info->interface_number;
    int rc = libusb_open(dev, &d->handle); /* the handle holds its own reference */
    libusb_unref_device(dev);
    if (rc != 0) {
        free(d);
        return cf_usb_libusb_error(rc, err, "opening %04x:%04x at %s", info->vid, info->pid,
                                   info->bus_path);
    }
    lb->open_count++;
    crc = claim(d, err);
    if (crc != CF_OK) {
        lu_close(&d->base);
        return crc;
    }
    *out = &d->base;
    return CF_OK;
}

static cf_code lu_set_alt(cf_usb_dev *dev, uint8_t alt, cf_error *err)
{
    lu_dev *d = (lu_dev *)dev;
    int rc = libusb_set_interface_alt_setting(d->handle, d->interface_number, alt);
    if (rc != 0)
        return cf_usb_libusb_error(rc, err, "selecting alt setting %u", alt);
    return CF_OK;
}

static cf_code lu_control(cf_usb_dev *dev, const cf_usb_setup *s, uint8_t *data, size_t *actual,
                          unsigned timeout_ms, cf_error *err)
{
    lu_dev *d = (lu_dev *)dev;
    int rc = libusb_control_transfer(d->handle, s->request_type, s->request, s->value, s->index,
                                     data, s->length, timeout_ms);
    if (rc < 0)
        return cf_usb_libusb_error(rc, err, "USB control request 0x%02x", s->request);
    *actual = (size_t)rc;
    return CF_OK;
}

static void lu_close(cf_usb_dev *dev)
{
    lu_dev *d = (lu_dev *)dev;
    if (d->claimed)
        libusb_release_interface(d->handle, d->interface_number); /* fails harmlessly if gone */
    libusb_close(d->handle);
    d->lb->open_count--;
    free(d);
}

static void lu_free(cf_usb_backend *be)
{
    lu_backend *lb = (lu_backend *)be;
    stop_context(lb);
    free(lb);
}

/* Run-time devices are read from sysfs, not libusb: nothing is opened. */
static cf_code lu_list_runtime(cf_usb_backend *be, cf_usb_runtime_info *out, size_t cap,
                               size_t *count, cf_error *err)
{
    (void)be;
    return cf_usb_sysfs_list("/sys", out, cap, count, err);
}

/* Without hotplug there is no wait_arrival: usb.c then polls the bus.
 * A backend whose context has hotplug uses a copy with it (lu_backend.ops). */
static const struct cf_usb_backend_ops lu_ops = {
    .name = "libusb",
    .list = lu_list_dfu,
    .wait_arrival = NULL,
    .open = lu_open,
    .set_alt = lu_set_alt,
    .control = lu_control,
    .close = lu_close,
    .free = lu_free,
    .list_runtime = lu_list_runtime,
};

cf_code cf_usb_backend_libusb(cf_usb_backend **out, cf_error *err)
{
    *out = NULL;
    lu_backend *lb = calloc(1, sizeof(*lb));
    if (!lb)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory starting libusb");
    int rc = start_context(lb);
    if (rc != 0) {
        free(lb);
        return cf_usb_libusb_error(rc, err, "starting libusb");
    }
    /* The fingerprint is only needed where udevd does not keep libusb current. */
    lb->have_signature = !udevd_running() && bus_signature(&lb->signature);
    /* Hotplug only shortens waits; listing stays correct without it. */
    lb->ops = lu_ops;
    if (lb->hotplug)
        lb->ops.wait_arrival = lu_wait_arrival;
    lb->base.ops = &lb->ops;
    *out = &lb->base;
    return CF_OK;
}
