/* Generic half of the USB transport: dispatch to the backend, device
 * selection, waiting for a device to enumerate, and the descriptor parser.
 * Nothing here knows about libusb; both backends share it. */
#include "usb/usb.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "usb/udev_rule.h"

#define CF_USB_POLL_MS 10           /* list() period while waiting (issue: found within 100 ms) */
#define CF_USB_TICK_MS 100          /* front-end countdown period */
#define CF_USB_SETTLE_MS 1000       /* udev may still be applying permissions on arrival */
#define CF_USB_HOTPLUG_RELIST_MS 50 /* safety net: hotplug events may never come (no udevd) */

/* The rule file's text (data/udev/70-cartoflash.rules), fed to the shell as a
 * quoted here-document so nothing in it is expanded. */
static const char udev_hint_format[] =
    "let your user open the STM32 DFU bootloader with cartoflash's udev rule (once):\n"
    "  sudo tee /etc/udev/rules.d/70-cartoflash.rules >/dev/null <<'EOF'\n%sEOF\n"
    "  sudo udevadm control --reload-rules && sudo udevadm trigger\n"
    "then unplug and replug the probe (or run this command with sudo)";

const char *cf_usb_udev_rule(void)
{
    return cf_udev_rule_text;
}

const char *cf_usb_udev_hint(void)
{
    /* Built once; the rule file ends with a newline, as the here-document needs. */
    static char hint[sizeof udev_hint_format + sizeof cf_udev_rule_text];
    if (!hint[0])
        snprintf(hint, sizeof hint, udev_hint_format, cf_udev_rule_text);
    return hint;
}

void cf_usb_backend_free(cf_usb_backend *be)
{
    if (be)
        be->ops->free(be);
}

cf_code cf_usb_list_dfu(cf_usb_backend *be, cf_usb_dfu_info **list, size_t *count, cf_error *err)
{
    *list = NULL;
    *count = 0;
    return be->ops->list(be, list, count, err);
}

cf_code cf_usb_open(cf_usb_backend *be, const cf_usb_dfu_info *info, cf_usb_dev **out,
                    cf_error *err)
{
    *out = NULL;
    if (info->access_denied) {
        cf_fail(err, CF_ERR_ACCESS, "no permission to open the USB device %04x:%04x at %s",
                info->vid, info->pid, info->bus_path);
        cf_hint(err, "%s", cf_usb_udev_hint());
        return CF_ERR_ACCESS;
    }
    return be->ops->open(be, info, out, err);
}

cf_code cf_usb_set_alt(cf_usb_dev *dev, uint8_t alt, cf_error *err)
{
    return dev->ops->set_alt(dev, alt, err);
}

cf_code cf_usb_control(cf_usb_dev *dev, const cf_usb_setup *setup, uint8_t *data, size_t *actual,
                       unsigned timeout_ms, cf_error *err)
{
    size_t dummy = 0;
    if (!actual)
        actual = &dummy;
    *actual = 0;
    return dev->ops->control(dev, setup, data, actual, timeout_ms, err);
}

cf_code cf_usb_list_runtime(cf_usb_backend *be, cf_usb_runtime_info *out, size_t cap, size_t *count,
                            cf_error *err)
{
    *count = 0;
    if (!be->ops->list_runtime) {
        cf_fail(err, CF_ERR_UNSUPPORTED,
                "the %s USB backend does not list devices without a DFU interface", be->ops->name);
        cf_hint(err, "Read /sys/bus/usb/devices for run-time probes.");
        return CF_ERR_UNSUPPORTED;
    }
    return be->ops->list_runtime(be, out, cap, count, err);
}

bool cf_usb_backend_has_runtime_lines(const cf_usb_backend *be)
{
    return be && be->ops->open_runtime_line;
}

cf_code cf_usb_open_runtime_line(cf_usb_backend *be, const char *bus_path,
                                 struct cf_kp_stream **out, cf_error *err)
{
    *out = NULL;
    if (!be->ops->open_runtime_line)
        return cf_fail(err, CF_ERR_UNSUPPORTED,
                       "the %s USB backend has no line to a device's firmware; open its tty",
                       be->ops->name);
    return be->ops->open_runtime_line(be, bus_path, out, err);
}

void cf_usb_close(cf_usb_dev *dev)
{
    if (dev)
        dev->ops->close(dev);
}

/* ---- functional descriptor ---- */

cf_code cf_usb_parse_functional(const uint8_t *buf, size_t len, cf_dfu_functional *out,
                                cf_error *err)
{
    size_t off = 0;
    while (off < len) {
        if (len - off < 2)
            return cf_fail(err, CF_ERR_FORMAT, "descriptor list ends with a stray byte");
        size_t dlen = buf[off];
        uint8_t type = buf[off + 1];
        if (dlen < 2)
            return cf_fail(err, CF_ERR_FORMAT, "descriptor at offset %zu has bLength %zu", off,
                           dlen);
        if (dlen > len - off)
            return cf_fail(err, CF_ERR_FORMAT,
                           "descriptor at offset %zu claims %zu bytes, only %zu present", off, dlen,
                           len - off);
        if (type == 0x21) {
            const uint8_t *d = buf + off;
            if (dlen < 7)
                return cf_fail(err, CF_ERR_FORMAT,
                               "DFU functional descriptor is %zu bytes, expected 7 or 9", dlen);
            out->attributes = d[2];
            out->detach_timeout = (uint16_t)(d[3] | d[4] << 8);
            out->transfer_size = (uint16_t)(d[5] | d[6] << 8);
            /* DFU 1.0 descriptors stop before bcdDFUVersion. */
            out->dfu_version = dlen >= 9 ? (uint16_t)(d[7] | d[8] << 8) : 0x0100;
            return CF_OK;
        }
        off += dlen;
    }
    return cf_fail(err, CF_ERR_NOT_FOUND, "no DFU functional descriptor");
}

/* ---- selection ---- */

typedef enum { SEL_ANY, SEL_VIDPID, SEL_PATH, SEL_SERIAL } sel_kind;

typedef struct selector {
    sel_kind kind;
    uint16_t vid, pid;
    const char *text; /* path or serial */
} selector;

static bool parse_hex16(const char *s, size_t n, uint16_t *out)
{
    if (n == 0 || n > 4)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
        v = v * 16 + (unsigned)(isdigit((unsigned char)s[i])
                                    ? s[i] - '0'
                                    : (tolower((unsigned char)s[i]) - 'a' + 10));
    }
    *out = (uint16_t)v;
    return true;
}

/* "1-1.3": bus number, '-', port numbers separated by dots. */
static bool looks_like_path(const char *s)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p != '-')
        return false;
    p++;
    for (;;) {
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '\0')
            return true;
        if (*p != '.')
            return false;
        p++;
    }
}

static void parse_selector(const char *text, selector *sel)
{
    memset(sel, 0, sizeof(*sel));
    if (!text || !*text) {
        sel->kind = SEL_ANY;
        return;
    }
    if (strncmp(text, "serial=", 7) == 0) {
        sel->kind = SEL_SERIAL;
        sel->text = text + 7;
        return;
    }
    const char *colon = strchr(text, ':');
    if (colon && parse_hex16(text, (size_t)(colon - text), &sel->vid) &&
        parse_hex16(colon + 1, strlen(colon + 1), &sel->pid)) {
        sel->kind = SEL_VIDPID;
        return;
    }
    if (looks_like_path(text)) {
        sel->kind = SEL_PATH;
        sel->text = text;
        return;
    }
    sel->kind = SEL_SERIAL;
    sel->text = text;
}

static bool matches(const cf_usb_dfu_info *d, const selector *sel)
{
    switch (sel->kind) {
    case SEL_ANY:
        return true;
    case SEL_VIDPID:
        return d->vid == sel->vid && d->pid == sel->pid;
    case SEL_PATH:
        return strcmp(d->bus_path, sel->text) == 0;
    case SEL_SERIAL:
        return strcmp(d->serial, sel->text) == 0;
    }
    return false;
}

static const char *or_unknown(const char *s)
{
    return *s ? s : "?";
}

static const char no_device_hint[] =
    "put the probe in DFU mode: hold BOOT0 (bridge the two pads) while plugging it in or "
    "pressing RESET; use a data-capable USB cable; run `cartoflash list` to see what is attached";

cf_code cf_usb_select(const cf_usb_dfu_info *list, size_t count, const char *selector_text,
                      size_t *index, cf_error *err)
{
    selector sel;
    parse_selector(selector_text, &sel);

    size_t found = 0, first = 0, runtime = 0;
    for (size_t i = 0; i < count; i++) {
        if (!matches(&list[i], &sel))
            continue;
        if (!list[i].dfu_mode) {
            runtime++;
            continue;
        }
        if (found++ == 0)
            first = i;
    }

    const char *what = selector_text && *selector_text ? selector_text : NULL;
    if (found == 1) {
        const cf_usb_dfu_info *d = &list[first];
        if (d->access_denied) {
            /* Selecting it would only fail later, and less clearly. */
            cf_fail(err, CF_ERR_ACCESS,
                    "found %04x:%04x in DFU mode at %s, but this user has no permission to open "
                    "it (LIBUSB_ERROR_ACCESS)",
                    d->vid, d->pid, d->bus_path);
            cf_hint(err, "%s", cf_usb_udev_hint());
            return CF_ERR_ACCESS;
        }
        *index = first;
        return CF_OK;
    }
    if (found == 0) {
        if (runtime > 0) {
            cf_fail(err, CF_ERR_NOT_FOUND,
                    "the probe%s%s is in run-time mode (DFU protocol 1), not in its DFU "
                    "bootloader",
                    what ? " matching " : "", what ? what : "");
            cf_hint(err, "%s", no_device_hint);
            return CF_ERR_NOT_FOUND;
        }
        if (what)
            cf_fail(err, CF_ERR_NOT_FOUND, "no DFU-mode USB device matches \"%s\"", what);
        else
            cf_fail(err, CF_ERR_NOT_FOUND, "no DFU-mode USB device found");
        cf_hint(err, "%s", no_device_hint);
        return CF_ERR_NOT_FOUND;
    }

    char msg[sizeof(((cf_error *)0)->message)];
    size_t n = (size_t)snprintf(msg, sizeof(msg), "%zu DFU-mode devices match%s%s:", found,
                                what ? " " : "", what ? what : "");
    for (size_t i = 0; i < count && n < sizeof(msg); i++) {
        if (!list[i].dfu_mode || !matches(&list[i], &sel))
            continue;
        n += (size_t)snprintf(msg + n, sizeof(msg) - n, " [%04x:%04x at %s, serial %s, %s]",
                              list[i].vid, list[i].pid, list[i].bus_path,
                              or_unknown(list[i].serial), or_unknown(list[i].product));
    }
    cf_fail(err, CF_ERR_AMBIGUOUS, "%s", msg);
    cf_hint(err,
            "pick one with --device and its bus path (e.g. --device %s); serial numbers do not "
            "tell STM32F042 probes apart, they all report the same one",
            list[first].bus_path);
    return CF_ERR_AMBIGUOUS;
}

/* ---- waiting for enumeration ---- */

/* One look at the bus. CF_OK with *found filled, CF_ERR_NOT_FOUND (err_last
 * holds why) to keep waiting, anything else is final. */
static cf_code look_once(cf_usb_backend *be, const char *selector_text, cf_usb_dfu_info *found,
                         cf_error *err_last, cf_error *err)
{
    cf_usb_dfu_info *list = NULL;
    size_t count = 0, index = 0;
    cf_error lerr = {0};
    cf_code rc = cf_usb_list_dfu(be, &list, &count, &lerr);
    if (rc != CF_OK) {
        free(list);
        cf_fail(err, rc, "%s", lerr.message);
        if (lerr.hint[0])
            cf_hint(err, "%s", lerr.hint);
        return rc;
    }
    cf_error_reset(err_last);
    rc = cf_usb_select(list, count, selector_text, &index, err_last);
    if (rc == CF_OK)
        *found = list[index];
    free(list);
    if (rc == CF_ERR_AMBIGUOUS) {
        cf_fail(err, rc, "%s", err_last->message);
        cf_hint(err, "%s", err_last->hint);
    }
    return rc;
}

cf_code cf_usb_wait_dfu(cf_usb_backend *be, const char *selector_text, uint64_t timeout_ms,
                        cf_usb_tick_fn tick, void *user, cf_usb_dfu_info *found, cf_error *err)
{
    const uint64_t start = cf_now_ns();
    /* With hotplug an arrival wakes us at once, so listing (which opens DFU
     * devices to read their names) is needed less often; it still runs every
     * 50 ms because events need udevd, which minimal systems lack. Without
     * hotplug, list often enough to notice a device well within 100 ms. */
    const uint64_t list_period_ms =
        be->ops->wait_arrival ? CF_USB_HOTPLUG_RELIST_MS : CF_USB_POLL_MS;
    uint64_t next_tick_ms = 0;
    uint64_t denied_since_ms = UINT64_MAX;
    uint64_t last_list_ms = 0;
    bool need_list = true;
    cf_error last = {0};

    for (;;) {
        uint64_t elapsed_ms = (cf_now_ns() - start) / 1000000u;
        if (tick && elapsed_ms >= next_tick_ms) {
            if (!tick(user, elapsed_ms, timeout_ms))
                return cf_fail(err, CF_ERR_CANCELLED, "stopped waiting for the DFU device");
            next_tick_ms = elapsed_ms - elapsed_ms % CF_USB_TICK_MS + CF_USB_TICK_MS;
        }

        if (need_list || elapsed_ms - last_list_ms >= list_period_ms || elapsed_ms >= timeout_ms) {
            last_list_ms = elapsed_ms;
            need_list = false;
            cf_code rc = look_once(be, selector_text, found, &last, err);
            if (rc == CF_OK)
                return CF_OK;
            if (rc == CF_ERR_ACCESS) {
                /* Right after arrival udev may not have granted access yet;
                 * give it a moment before reporting a permission problem. */
                if (denied_since_ms == UINT64_MAX)
                    denied_since_ms = elapsed_ms;
                if (elapsed_ms - denied_since_ms >= CF_USB_SETTLE_MS || elapsed_ms >= timeout_ms) {
                    cf_fail(err, rc, "%s", last.message);
                    cf_hint(err, "%s", last.hint);
                    return rc;
                }
            } else if (rc != CF_ERR_NOT_FOUND) {
                return rc;
            }
        }

        if (elapsed_ms >= timeout_ms) {
            cf_fail(err, CF_ERR_NOT_FOUND, "%s (waited %llu.%01llu s)", last.message,
                    (unsigned long long)(timeout_ms / 1000),
                    (unsigned long long)(timeout_ms % 1000 / 100));
            cf_hint(err, "%s", last.hint[0] ? last.hint : no_device_hint);
            return CF_ERR_NOT_FOUND;
        }

        uint64_t nap = CF_USB_POLL_MS;
        if (timeout_ms - elapsed_ms < nap)
            nap = timeout_ms - elapsed_ms;
        if (be->ops->wait_arrival) {
            cf_error werr = {0};
            cf_code rc = be->ops->wait_arrival(be, (unsigned)nap, &werr);
            if (rc == CF_OK)
                need_list = true;
            else if (rc != CF_ERR_TIMEOUT)
                cf_sleep_ns(nap * 1000000u); /* event loop trouble: fall back to polling */
        } else {
            cf_sleep_ns(nap * 1000000u);
        }
    }
}
