/* The booted app as a CDC ACM device over USB/IP (see app_acm.h). The
 * descriptors are the ones Klipper's usb_cdc.c sends: a communication
 * interface (header, call management, ACM, union, interrupt IN) and a data
 * interface with bulk OUT and IN. */
#include "app_acm.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>

#include "common/clock.h"
#include "klipper/klipper.h"
#include "usbip_dev.h"

#define EP_INTR 1
#define EP_BULK 2
#define MAX_PENDING 32
#define LINGER_MS 200 /* after the host closed the port: its last requests settle */

typedef struct acm {
    const cf_boot *boot;
    usbip_dev dev;
    cf_kl_mcu mcu;
    bool configured, dtr, was_open;
    uint32_t bulk_in[MAX_PENDING], bulk_in_len[MAX_PENDING];
    size_t n_bulk_in;
    uint32_t intr_in[MAX_PENDING];
    size_t n_intr_in;
    uint8_t tx[4096];
    size_t tx_len;
    uint8_t line_coding[7];
    app_acm_log log;
} acm;

static size_t put_string(uint8_t *buf, const char *s)
{
    size_t n = strlen(s);
    if (n > 126)
        n = 126;
    buf[0] = (uint8_t)(2 + 2 * n);
    buf[1] = 3;
    for (size_t i = 0; i < n; i++) {
        buf[2 + 2 * i] = (uint8_t)s[i];
        buf[3 + 2 * i] = 0;
    }
    return 2 + 2 * n;
}

static const uint8_t acm_config[67] = {
    9,
    2,
    67,
    0,
    2,
    1,
    0,
    0xC0,
    50, /* configuration */
    9,
    4,
    0,
    0,
    1,
    2,
    2,
    1,
    0, /* comm interface */
    5,
    0x24,
    0x00,
    0x10,
    0x01, /* header */
    5,
    0x24,
    0x01,
    0x00,
    0x01, /* call management */
    4,
    0x24,
    0x02,
    0x02, /* ACM */
    5,
    0x24,
    0x06,
    0x00,
    0x01, /* union */
    7,
    5,
    0x80 | EP_INTR,
    3,
    8,
    0,
    255, /* interrupt IN */
    9,
    4,
    1,
    0,
    2,
    0x0A,
    0,
    0,
    0, /* data interface */
    7,
    5,
    EP_BULK,
    2,
    64,
    0,
    0,
    7,
    5,
    0x80 | EP_BULK,
    2,
    64,
    0,
    0, /* bulk OUT, IN */
};

static size_t descriptor(const acm *a, uint8_t type, uint8_t index, uint8_t *buf)
{
    const cf_boot_usb *u = &a->boot->usb;
    if (type == 1) {
        const uint8_t d[18] = {18,
                               1,
                               0x00,
                               0x02,
                               0x02,
                               0x00,
                               0x00,
                               64,
                               (uint8_t)(u->vid & 0xFF),
                               (uint8_t)(u->vid >> 8),
                               (uint8_t)(u->pid & 0xFF),
                               (uint8_t)(u->pid >> 8),
                               (uint8_t)(u->bcd_device & 0xFF),
                               (uint8_t)(u->bcd_device >> 8),
                               u->manufacturer[0] ? 1 : 0,
                               2,
                               3,
                               1};
        memcpy(buf, d, sizeof(d));
        return sizeof(d);
    }
    if (type == 2) {
        memcpy(buf, acm_config, sizeof(acm_config));
        return sizeof(acm_config);
    }
    if (type != 3)
        return 0;
    if (index == 0) {
        const uint8_t l[4] = {4, 3, 0x09, 0x04};
        memcpy(buf, l, 4);
        return 4;
    }
    const char *s = index == 1   ? u->manufacturer
                    : index == 2 ? u->product
                    : index == 3 ? u->serial
                                 : NULL;
    return s ? put_string(buf, s) : 0;
}

/* Control transfer on ep0: reply length, or -1 to STALL. */
static int control(acm *a, const uint8_t *setup, const uint8_t *data, uint8_t *out)
{
    uint8_t type = setup[0], req = setup[1];
    uint16_t value = (uint16_t)(setup[2] | setup[3] << 8);
    if (type == 0x80 && req == 6) {
        size_t n = descriptor(a, (uint8_t)(value >> 8), (uint8_t)value, out);
        return n ? (int)n : -1;
    }
    if (type == 0x80 && req == 0) {
        out[0] = out[1] = 0;
        return 2;
    }
    if (type == 0x80 && req == 8) {
        out[0] = a->configured ? 1 : 0;
        return 1;
    }
    if (type == 0x00 && req == 9) {
        if (!a->configured)
            a->log("app configured");
        a->configured = true;
        return 0;
    }
    if ((type & 0x60) == 0x00)
        return 0;
    if (type == 0x21 && req == 0x20) {
        memcpy(a->line_coding, data, 7);
        return 0;
    }
    if (type == 0x21 && req == 0x22) {
        a->dtr = value & 1;
        a->was_open |= a->dtr;
        return 0;
    }
    if (type == 0xA1 && req == 0x21) {
        memcpy(out, a->line_coding, 7);
        return 7;
    }
    return type == 0x21 && req == 0x23 ? 0 : -1;
}

static bool take(uint32_t *list, uint32_t *lens, size_t *n, uint32_t seq)
{
    for (size_t i = 0; i < *n; i++) {
        if (list[i] != seq)
            continue;
        memmove(list + i, list + i + 1, (*n - i - 1) * sizeof(*list));
        if (lens)
            memmove(lens + i, lens + i + 1, (*n - i - 1) * sizeof(*lens));
        (*n)--;
        return true;
    }
    return false;
}

static int handle_cmd(acm *a, const usbip_cmd *cmd)
{
    uint8_t buf[4096], out[512];
    if (cmd->command == USBIP_CMD_UNLINK) {
        bool found = take(a->bulk_in, a->bulk_in_len, &a->n_bulk_in, cmd->unlink_seqnum) ||
                     take(a->intr_in, NULL, &a->n_intr_in, cmd->unlink_seqnum);
        return usbip_ret_unlink(&a->dev, cmd->seqnum, found ? -ECONNRESET : 0);
    }
    bool in = cmd->direction == USBIP_DIR_IN;
    uint32_t len = cmd->buffer_length;
    if (!in && len && (len > sizeof(buf) || usbip_read_data(&a->dev, buf, len) != 0))
        return -1;
    if (cmd->ep == 0) {
        int r = control(a, cmd->setup, buf, out);
        if (r < 0)
            return usbip_ret_submit(&a->dev, cmd->seqnum, -EPIPE, 0, NULL);
        uint16_t wlen = (uint16_t)(cmd->setup[6] | cmd->setup[7] << 8);
        uint32_t n = (uint32_t)r < wlen ? (uint32_t)r : wlen;
        return usbip_ret_submit(&a->dev, cmd->seqnum, 0, in ? n : len, in ? out : NULL);
    }
    if (cmd->ep == EP_BULK && !in) {
        cf_kl_mcu_input(&a->mcu, buf, len, a->tx, sizeof(a->tx), &a->tx_len);
        return usbip_ret_submit(&a->dev, cmd->seqnum, 0, len, NULL);
    }
    if (cmd->ep == EP_BULK && in && a->n_bulk_in < MAX_PENDING) {
        a->bulk_in[a->n_bulk_in] = cmd->seqnum;
        a->bulk_in_len[a->n_bulk_in++] = len;
        return 0;
    }
    if (cmd->ep == EP_INTR && in && a->n_intr_in < MAX_PENDING) {
        a->intr_in[a->n_intr_in++] = cmd->seqnum; /* no notifications, ever */
        return 0;
    }
    return usbip_ret_submit(&a->dev, cmd->seqnum, -EPIPE, 0, NULL);
}

/* Answers pending bulk IN requests with what the app has to send. */
static int flush_in(acm *a)
{
    while (a->tx_len && a->n_bulk_in) {
        uint32_t seq = a->bulk_in[0], cap = a->bulk_in_len[0];
        take(a->bulk_in, a->bulk_in_len, &a->n_bulk_in, seq);
        uint32_t n = a->tx_len < cap ? (uint32_t)a->tx_len : cap;
        if (usbip_ret_submit(&a->dev, seq, 0, n, a->tx) != 0)
            return -1;
        memmove(a->tx, a->tx + n, a->tx_len - n);
        a->tx_len -= n;
    }
    return 0;
}

/* One poll round; 1 when the host has finished with the app. */
static int step(acm *a, uint64_t *closed_at)
{
    struct pollfd p = {.fd = a->dev.fd, .events = POLLIN};
    if (poll(&p, 1, 2) > 0 && (p.revents & (POLLIN | POLLHUP))) {
        usbip_cmd cmd;
        int rc = usbip_read_cmd(&a->dev, &cmd);
        if (rc == 0 || (rc < 0 && errno != EINTR))
            return -1;
        if (rc > 0 && handle_cmd(a, &cmd) != 0)
            return -1;
    }
    if (flush_in(a) != 0)
        return -1;
    if (a->mcu.identifies && a->was_open && !a->dtr && !*closed_at)
        *closed_at = cf_now_ns();
    return *closed_at && cf_now_ns() - *closed_at > LINGER_MS * 1000000ull ? 1 : 0;
}

int app_acm_serve(const cf_boot *boot, const uint8_t *dict, size_t dict_len, unsigned max_ms,
                  volatile sig_atomic_t *stop, app_acm_log log)
{
    static acm a; /* large buffers */
    memset(&a, 0, sizeof(a));
    a.boot = boot;
    a.log = log;
    a.dev.fd = a.dev.port = -1;
    const uint8_t lc[7] = {0x80, 0x25, 0, 0, 0, 0, 8}; /* 9600 8N1 */
    memcpy(a.line_coding, lc, 7);
    cf_kl_mcu_reset(&a.mcu, dict, dict_len);
    char msg[256];
    if (usbip_attach(&a.dev, 2, msg, sizeof(msg)) != 0) {
        log("error: %s", msg);
        return -1;
    }
    log("app attached %04x:%04x %s %s serial=%s port=%d", boot->usb.vid, boot->usb.pid,
        boot->usb.manufacturer, boot->usb.product, boot->usb.serial, a.dev.port);
    uint64_t end = cf_now_ns() + (uint64_t)max_ms * 1000000ull, closed_at = 0;
    int rc = 0;
    while (!*stop && cf_now_ns() < end && (rc = step(&a, &closed_at)) == 0)
        ;
    log("app detached (%s) identifies=%u",
        rc < 0   ? "error"
        : rc > 0 ? "host done"
                 : "time",
        a.mcu.identifies);
    usbip_detach(&a.dev);
    return rc < 0 ? -1 : 0;
}
