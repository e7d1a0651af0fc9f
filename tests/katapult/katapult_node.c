/* katapult_node: the emulated Katapult node (src/sim/node.h) on a real
 * Linux stack, for the guest tests.
 *
 *   katapult_node [--log FILE] [--ready FILE] [--can IF] SPEC
 *   katapult_node [--log FILE] [--ready FILE] --tty /dev/ttyGS0 --gadget DIR --udc UDC SPEC
 *
 * SPEC is a --simulate SPEC: "katapult-can,..." serves the node on the
 * SocketCAN interface IF (default vcan0); "katapult-usb,..." plugs it in as a
 * USB CDC-ACM device through the kernel's USB/IP virtual host controller
 * (tests/guest/gadget/usbip_dev.h), so the host side is the real cdc-acm
 * driver, /dev/ttyACM*, and real sysfs attributes. This device sees
 * SET_LINE_CODING and SET_CONTROL_LINE_STATE exactly as Klipper's firmware
 * does, so the 1200-baud touch works as on a probe; every reboot of the node
 * (bootloader request, COMPLETE) is an unplug and a plug-in with the new
 * identity (1d50:614e "Cartographer" <-> 1d50:6177 "katapult").
 *
 * With --tty, a "katapult-usb" node is served on the device side of a configfs
 * USB serial gadget (usb_f_acm): DIR is the gadget's configfs folder (with
 * an acm function already linked into a configuration); the node binds it
 * to UDC with the identity of its current mode and rebinds it on every
 * reboot. usb_f_acm does not pass the host's line coding or DTR to the
 * device side, so this mode cannot see the 1200-baud touch: start it with
 * mode=katapult (the USB/IP mode above covers the touch).
 *
 * The node is served on the link it talks on now (its spec's at start, or
 * what the app in its flash is built for), and follows it when it changes:
 * once a deployer has installed the other link's Katapult, the USB device
 * is unplugged and the node answers on IF (or the reverse), as if the probe
 * had been re-cabled. The usb_f_acm gadget mode does not move.
 *
 * Log lines ("t=SECONDS event ..."): attached vid:pid, configured, detached,
 * line baud=N dtr=D, bootloader-request, complete, app-start, deployer-run,
 * moved to can IF, moved to usb, and at exit stats completes=N blocks=N
 * bootloader_requests=N app_starts=N deployer_runs=N.
 * --ready FILE is created once the node is reachable (CAN: at start; USB:
 * when the host has configured the device).
 * Exit status: 0 on SIGTERM/SIGINT, 1 on errors, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "common/clock.h"
#include "sim/node.h"
#include "usbip_dev.h"

static volatile sig_atomic_t stop_requested;
static FILE *logfp;
static uint64_t t0;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(logfp, "t=%.3f ", (double)(cf_now_ns() - t0) / 1e9);
    vfprintf(logfp, fmt, ap);
    fputc('\n', logfp);
    fflush(logfp);
    va_end(ap);
}

static void touch(const char *path)
{
    if (!path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
}

/* Logs what the node did since the last call (whichever link it was on). */
static void log_stats(cf_kpn *n)
{
    static cf_kpn_stats last;
    cf_kpn_stats st;
    cf_kpn_get_stats(n, &st);
    if (st.bootloader_requests != last.bootloader_requests)
        logf_("bootloader-request");
    if (st.completes != last.completes)
        logf_("complete");
    if (st.app_starts != last.app_starts)
        logf_("app-start");
    if (st.deployer_runs != last.deployer_runs)
        logf_("deployer-run");
    last = st;
}

/* What a serve_* function ends with. SERVE_MOVED: the node now talks on the
 * other link (a deployer installed the other link's Katapult, or an app
 * built for the other link started), as a re-cabled probe would. */
enum { SERVE_STOPPED = 0, SERVE_ERROR = 1, SERVE_MOVED = 3 };

/* ------------------------------------------------------------------ CAN */

/* Serves the node on the CAN interface until stopped or the node leaves CAN. */
static int serve_can(cf_kpn *n, const char *ifname, const char *ready)
{
    int fd = socket(PF_CAN, SOCK_RAW | SOCK_CLOEXEC, CAN_RAW);
    if (fd < 0) {
        logf_("error: socket: %s", strerror(errno));
        return SERVE_ERROR;
    }
    struct sockaddr_can addr = {.can_family = AF_CAN, .can_ifindex = (int)if_nametoindex(ifname)};
    if (!addr.can_ifindex || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        logf_("error: cannot bind to %s: %s", ifname, strerror(errno));
        close(fd);
        return SERVE_ERROR;
    }
    logf_("listening on %s uuid=%s", ifname, cf_kpn_uuid_hex(n));
    touch(ready);
    int rc = SERVE_STOPPED;
    while (!stop_requested && rc == SERVE_STOPPED) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5) > 0 && (p.revents & POLLIN)) {
            struct can_frame f;
            if (read(fd, &f, sizeof(f)) == (ssize_t)sizeof(f) &&
                !(f.can_id & (CAN_EFF_FLAG | CAN_RTR_FLAG | CAN_ERR_FLAG)))
                cf_kpn_can_rx(n, cf_now_ns(), f.can_id & CAN_SFF_MASK, f.data,
                              f.can_dlc > 8 ? 8 : f.can_dlc);
        }
        uint64_t busy = cf_kpn_take_busy_ns(n);
        if (busy)
            cf_sleep_ns(busy);
        struct can_frame out;
        uint32_t id;
        uint8_t dlc;
        memset(&out, 0, sizeof(out));
        while (cf_kpn_can_tx(n, cf_now_ns(), &id, out.data, &dlc)) {
            out.can_id = id;
            out.can_dlc = dlc;
            for (int tries = 0; tries < 1000; tries++) {
                if (write(fd, &out, sizeof(out)) == (ssize_t)sizeof(out))
                    break;
                if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
                    break;
                cf_sleep_ns(200000);
            }
        }
        log_stats(n);
        if (cf_kpn_get_link(n) != CF_KPN_CAN)
            rc = SERVE_MOVED;
    }
    close(fd);
    return rc;
}

/* ------------------------------------------------------------------ USB */

#define EP_INTR 1 /* 0x81 */
#define EP_BULK 2 /* 0x02 out, 0x82 in */
#define MAX_PENDING 32

typedef struct usb_server {
    cf_kpn *node;
    usbip_dev dev;
    bool attached, configured;
    const char *ready;
    uint32_t bulk_in[MAX_PENDING], bulk_in_len[MAX_PENDING];
    size_t n_bulk_in;
    uint32_t intr_in[MAX_PENDING];
    size_t n_intr_in;
    uint8_t tx[4096];
    size_t tx_len;
    uint32_t baud;
    bool dtr;
    uint8_t line_coding[7];
} usb_server;

static size_t put_string(uint8_t *buf, const char *s)
{
    size_t n = strlen(s);
    buf[0] = (uint8_t)(2 + 2 * n);
    buf[1] = 3;
    for (size_t i = 0; i < n; i++) {
        buf[2 + 2 * i] = (uint8_t)s[i];
        buf[3 + 2 * i] = 0;
    }
    return 2 + 2 * n;
}

/* The descriptor tables keep one descriptor (or field group) a line. */
/* clang-format off */

/* Device descriptor (USB 2.0 spec table 9-8): a full-speed CDC device, one
 * configuration; idVendor/idProduct (offsets 8-11) follow the node's mode. */
static const uint8_t device_desc[18] = {
    18, 1,            /* bLength, DEVICE */
    0x00, 0x02,       /* bcdUSB 2.00 */
    0x02, 0x00, 0x00, /* class CDC, no subclass or protocol */
    64,               /* bMaxPacketSize0 */
    0, 0, 0, 0,       /* idVendor, idProduct: filled in */
    0x00, 0x01,       /* bcdDevice 1.00 */
    1, 2, 3,          /* iManufacturer, iProduct, iSerialNumber */
    1,                /* bNumConfigurations */
};

/* Configuration descriptor, CDC ACM as Klipper's usb_cdc (CDC PSTN 1.2):
 * a communication interface (header, call management, ACM, union functional
 * descriptors; interrupt IN) and a data interface (bulk OUT and IN). */
static const uint8_t config_desc[67] = {
    9, 2, 67, 0, 2, 1, 0, 0xC0, 50,     /* CONFIGURATION: 2 interfaces, self-powered, 100 mA */
    9, 4, 0, 0, 1, 2, 2, 1, 0,          /* INTERFACE 0: CDC, ACM, AT commands, 1 endpoint */
    5, 0x24, 0x00, 0x10, 0x01,          /* header, CDC 1.10 */
    5, 0x24, 0x01, 0x00, 0x01,          /* call management: data on interface 1 */
    4, 0x24, 0x02, 0x02,                /* ACM: line coding and serial state */
    5, 0x24, 0x06, 0x00, 0x01,          /* union: master 0, slave 1 */
    7, 5, 0x80 | EP_INTR, 3, 8, 0, 255, /* interrupt IN, 8 bytes, every 255 ms */
    9, 4, 1, 0, 2, 0x0A, 0, 0, 0,       /* INTERFACE 1: CDC data, 2 endpoints */
    7, 5, EP_BULK, 2, 64, 0, 0,         /* bulk OUT, 64 bytes */
    7, 5, 0x80 | EP_BULK, 2, 64, 0, 0,  /* bulk IN, 64 bytes */
};

/* clang-format on */

static size_t copy_desc(uint8_t *buf, const uint8_t *desc, size_t len)
{
    memcpy(buf, desc, len);
    return len;
}

/* String descriptor `index` of the node's current identity (0: US English). */
static size_t string_desc(const cf_kpn_usb_id *id, uint8_t index, uint8_t *buf)
{
    static const uint8_t langs[4] = {4, 3, 0x09, 0x04};
    if (index == 0)
        return copy_desc(buf, langs, sizeof(langs));
    const char *s = index == 1   ? id->manufacturer
                    : index == 2 ? id->product
                    : index == 3 ? id->serial
                                 : NULL;
    return s ? put_string(buf, s) : 0;
}

static size_t descriptor(usb_server *sv, uint8_t type, uint8_t index, uint8_t *buf)
{
    cf_kpn_usb_id id;
    cf_kpn_usb_identity(sv->node, &id);
    if (type == 1) {
        copy_desc(buf, device_desc, sizeof(device_desc));
        buf[8] = id.vid & 0xFF, buf[9] = id.vid >> 8;
        buf[10] = id.pid & 0xFF, buf[11] = id.pid >> 8;
        return sizeof(device_desc);
    }
    if (type == 2)
        return copy_desc(buf, config_desc, sizeof(config_desc));
    if (type == 3)
        return string_desc(&id, index, buf);
    return 0;
}

/* Control transfer on ep0: returns reply length, or -1 to STALL. */
static int control(usb_server *sv, const uint8_t *setup, const uint8_t *data, uint8_t *out)
{
    uint8_t type = setup[0], req = setup[1];
    uint16_t value = (uint16_t)(setup[2] | setup[3] << 8);
    if (type == 0x80 && req == 6) { /* GET_DESCRIPTOR */
        size_t n = descriptor(sv, (uint8_t)(value >> 8), (uint8_t)value, out);
        return n ? (int)n : -1;
    }
    if (type == 0x80 && req == 0) { /* GET_STATUS */
        out[0] = out[1] = 0;
        return 2;
    }
    if (type == 0x80 && req == 8) {
        out[0] = sv->configured ? 1 : 0;
        return 1;
    }
    if (type == 0x00 && req == 9) { /* SET_CONFIGURATION */
        if (!sv->configured) {
            sv->configured = true;
            logf_("configured");
            touch(sv->ready);
        }
        return 0;
    }
    if ((type & 0x60) == 0x00) /* SET_ADDRESS, SET_INTERFACE, CLEAR_FEATURE ... */
        return 0;
    uint64_t now = cf_now_ns();
    if (type == 0x21 && req == 0x20) { /* SET_LINE_CODING */
        memcpy(sv->line_coding, data, 7);
        sv->baud = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                   (uint32_t)data[3] << 24;
        logf_("line baud=%u dtr=%d", sv->baud, sv->dtr);
        cf_kpn_line_state(sv->node, now, sv->baud, sv->dtr);
        return 0;
    }
    if (type == 0x21 && req == 0x22) { /* SET_CONTROL_LINE_STATE */
        sv->dtr = value & 1;
        logf_("line baud=%u dtr=%d", sv->baud, sv->dtr);
        cf_kpn_line_state(sv->node, now, sv->baud, sv->dtr);
        return 0;
    }
    if (type == 0xA1 && req == 0x21) { /* GET_LINE_CODING */
        memcpy(out, sv->line_coding, 7);
        return 7;
    }
    if (type == 0x21 && req == 0x23) /* SEND_BREAK */
        return 0;
    return -1;
}

/* Removes seq from a FIFO of pending requests, keeping the order. */
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

static int handle_cmd(usb_server *sv, const usbip_cmd *cmd)
{
    uint8_t buf[4096], out[512];
    if (cmd->command == USBIP_CMD_UNLINK) {
        bool found = take(sv->bulk_in, sv->bulk_in_len, &sv->n_bulk_in, cmd->unlink_seqnum) ||
                     take(sv->intr_in, NULL, &sv->n_intr_in, cmd->unlink_seqnum);
        return usbip_ret_unlink(&sv->dev, cmd->seqnum, found ? -ECONNRESET : 0);
    }
    bool in = cmd->direction == USBIP_DIR_IN;
    uint32_t len = cmd->buffer_length;
    if (!in && len) {
        if (len > sizeof(buf))
            return -1;
        if (usbip_read_data(&sv->dev, buf, len) != 0)
            return -1;
    }
    if (cmd->ep == 0) {
        int r = control(sv, cmd->setup, buf, out);
        if (r < 0)
            return usbip_ret_submit(&sv->dev, cmd->seqnum, -EPIPE, 0, NULL);
        if (in) {
            uint16_t wlen = (uint16_t)(cmd->setup[6] | cmd->setup[7] << 8);
            uint32_t n = (uint32_t)r < wlen ? (uint32_t)r : wlen;
            return usbip_ret_submit(&sv->dev, cmd->seqnum, 0, n, out);
        }
        return usbip_ret_submit(&sv->dev, cmd->seqnum, 0, len, NULL);
    }
    if (cmd->ep == EP_BULK && !in) {
        cf_kpn_stream_rx(sv->node, cf_now_ns(), buf, len);
        return usbip_ret_submit(&sv->dev, cmd->seqnum, 0, len, NULL);
    }
    if (cmd->ep == EP_BULK && in && sv->n_bulk_in < MAX_PENDING) {
        sv->bulk_in[sv->n_bulk_in] = cmd->seqnum;
        sv->bulk_in_len[sv->n_bulk_in++] = len;
        return 0;
    }
    if (cmd->ep == EP_INTR && in && sv->n_intr_in < MAX_PENDING) {
        sv->intr_in[sv->n_intr_in++] = cmd->seqnum; /* no notifications, ever */
        return 0;
    }
    return usbip_ret_submit(&sv->dev, cmd->seqnum, -EPIPE, 0, NULL);
}

/* Answers pending bulk IN requests with what the node has sent. */
static int flush_in(usb_server *sv)
{
    size_t k;
    while (sv->tx_len < sizeof(sv->tx) &&
           (k = cf_kpn_stream_tx(sv->node, cf_now_ns(), sv->tx + sv->tx_len,
                                 sizeof(sv->tx) - sv->tx_len)) > 0)
        sv->tx_len += k;
    while (sv->tx_len && sv->n_bulk_in) {
        uint32_t seq = sv->bulk_in[0], cap = sv->bulk_in_len[0];
        take(sv->bulk_in, sv->bulk_in_len, &sv->n_bulk_in, seq);
        uint32_t n = sv->tx_len < cap ? (uint32_t)sv->tx_len : cap;
        if (usbip_ret_submit(&sv->dev, seq, 0, n, sv->tx) != 0)
            return -1;
        memmove(sv->tx, sv->tx + n, sv->tx_len - n);
        sv->tx_len -= n;
    }
    return 0;
}

/* Serves the node as a USB/IP device until stopped or the node leaves USB. */
static int serve_usb(cf_kpn *n, const char *ready)
{
    usb_server sv = {.node = n, .ready = ready, .dev = {.fd = -1, .port = -1}};
    const uint8_t lc[7] = {0x80, 0x25, 0, 0, 0, 0, 8}; /* 9600 8N1 */
    memcpy(sv.line_coding, lc, 7);
    sv.baud = 9600;
    unsigned gen = cf_kpn_generation(n);
    while (!stop_requested) {
        uint64_t now = cf_now_ns();
        cf_kpn_mode mode = cf_kpn_get_mode(n, now);
        if (cf_kpn_generation(n) != gen) {
            gen = cf_kpn_generation(n);
            if (sv.attached) {
                usbip_detach(&sv.dev);
                logf_("detached (reboot)");
            }
            sv.attached = sv.configured = false;
            sv.n_bulk_in = sv.n_intr_in = sv.tx_len = 0;
        }
        log_stats(n);
        if (cf_kpn_get_link(n) != CF_KPN_USB) {
            if (sv.attached)
                usbip_detach(&sv.dev);
            return SERVE_MOVED;
        }
        if (!sv.attached) {
            if (mode == CF_KPN_GONE) {
                cf_sleep_ns(5000000);
                continue;
            }
            char msg[256];
            if (usbip_attach(&sv.dev, 2, msg, sizeof(msg)) != 0) {
                logf_("error: %s", msg);
                return SERVE_ERROR;
            }
            sv.attached = true;
            sv.baud = 9600;
            sv.dtr = false;
            cf_kpn_usb_id id;
            cf_kpn_usb_identity(n, &id);
            logf_("attached %04x:%04x %s %s port=%d", id.vid, id.pid, id.manufacturer, id.product,
                  sv.dev.port);
        }
        struct pollfd p = {.fd = sv.dev.fd, .events = POLLIN};
        int r = poll(&p, 1, 2);
        if (r > 0 && (p.revents & (POLLIN | POLLHUP))) {
            usbip_cmd cmd;
            int rc = usbip_read_cmd(&sv.dev, &cmd);
            if (rc == 0) {
                logf_("host closed the connection");
                return SERVE_ERROR;
            }
            if (rc < 0 && errno != EINTR) {
                logf_("error: reading from vhci: %s", strerror(errno));
                return SERVE_ERROR;
            }
            if (rc > 0 && handle_cmd(&sv, &cmd) != 0) {
                logf_("error: writing to vhci: %s", strerror(errno));
                return SERVE_ERROR;
            }
        }
        uint64_t busy = cf_kpn_take_busy_ns(n);
        if (busy)
            cf_sleep_ns(busy);
        if (sv.attached && cf_kpn_generation(n) == gen && flush_in(&sv) != 0)
            return SERVE_ERROR;
    }
    if (sv.attached)
        usbip_detach(&sv.dev);
    return SERVE_STOPPED;
}

/* ----------------------------------------------------- usb_f_acm gadget */

static int write_attr(const char *dir, const char *name, const char *val)
{
    char p[512];
    if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
        return -1;
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, val, strlen(val));
    close(fd);
    return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Unbinds, sets the identity of the node's mode, binds again. */
static int gadget_plug(cf_kpn *n, const char *dir, const char *udc)
{
    cf_kpn_usb_id id;
    cf_kpn_usb_identity(n, &id);
    char v[16], strings[512];
    (void)write_attr(dir, "UDC", "\n");
    snprintf(v, sizeof(v), "0x%04x", id.vid);
    if (write_attr(dir, "idVendor", v))
        return -1;
    snprintf(v, sizeof(v), "0x%04x", id.pid);
    if (write_attr(dir, "idProduct", v))
        return -1;
    snprintf(strings, sizeof(strings), "%s/strings/0x409", dir);
    if (write_attr(strings, "manufacturer", id.manufacturer) ||
        write_attr(strings, "product", id.product) ||
        write_attr(strings, "serialnumber", id.serial))
        return -1;
    if (write_attr(dir, "UDC", udc))
        return -1;
    logf_("attached %04x:%04x %s %s (gadget)", id.vid, id.pid, id.manufacturer, id.product);
    return 0;
}

static int serve_tty(cf_kpn *n, const char *tty, const char *dir, const char *udc,
                     const char *ready)
{
    unsigned gen = cf_kpn_generation(n);
    int fd = -1;
    bool bound = false;
    while (!stop_requested) {
        uint64_t now = cf_now_ns();
        cf_kpn_mode mode = cf_kpn_get_mode(n, now);
        if (cf_kpn_generation(n) != gen) {
            gen = cf_kpn_generation(n);
            if (fd >= 0)
                close(fd);
            fd = -1;
            if (bound) {
                (void)write_attr(dir, "UDC", "\n");
                logf_("detached (reboot)");
            }
            bound = false;
        }
        log_stats(n);
        if (!bound) {
            if (mode == CF_KPN_GONE) {
                cf_sleep_ns(5000000);
                continue;
            }
            if (gadget_plug(n, dir, udc) != 0) {
                logf_("error: cannot configure the gadget in %s: %s", dir, strerror(errno));
                return SERVE_ERROR;
            }
            bound = true;
            fd = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) {
                logf_("error: cannot open %s: %s", tty, strerror(errno));
                return SERVE_ERROR;
            }
            struct termios t;
            if (tcgetattr(fd, &t) == 0) {
                cfmakeraw(&t);
                tcsetattr(fd, TCSANOW, &t);
            }
            touch(ready);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 2) > 0 && (p.revents & POLLIN)) {
            uint8_t buf[512];
            ssize_t k = read(fd, buf, sizeof(buf));
            if (k > 0)
                cf_kpn_stream_rx(n, cf_now_ns(), buf, (size_t)k);
        } else if (p.revents & (POLLHUP | POLLERR)) {
            cf_sleep_ns(2000000); /* host not connected */
        }
        uint64_t busy = cf_kpn_take_busy_ns(n);
        if (busy)
            cf_sleep_ns(busy);
        uint8_t out[512];
        size_t k;
        while (cf_kpn_generation(n) == gen &&
               (k = cf_kpn_stream_tx(n, cf_now_ns(), out, sizeof(out))) > 0) {
            size_t done = 0;
            for (int tries = 0; done < k && tries < 2000; tries++) {
                ssize_t w = write(fd, out + done, k - done);
                if (w > 0)
                    done += (size_t)w;
                else
                    cf_sleep_ns(500000);
            }
        }
    }
    if (fd >= 0)
        close(fd);
    if (bound)
        (void)write_attr(dir, "UDC", "\n");
    return SERVE_STOPPED;
}

typedef struct serve_opts {
    const char *ifname, *ready;
    const char *tty, *gadget, *udc; /* all three: the usb_f_acm gadget */
} serve_opts;

/* Serves the node on its link until stopped, following it when it moves:
 * the deployer of a USB probe installs a CAN Katapult and the probe is on
 * the CAN bus from then on (or the reverse). The usb_f_acm gadget stays. */
static int serve(cf_kpn *n, const serve_opts *o)
{
    bool gadget = o->tty && o->gadget && o->udc;
    int rc = SERVE_MOVED;
    for (bool first = true; rc == SERVE_MOVED && !stop_requested; first = false) {
        bool can = cf_kpn_get_link(n) == CF_KPN_CAN;
        if (!first && can)
            logf_("moved to can %s", o->ifname);
        else if (!first)
            logf_("moved to usb");
        rc = can      ? serve_can(n, o->ifname, o->ready)
             : gadget ? serve_tty(n, o->tty, o->gadget, o->udc, o->ready)
                      : serve_usb(n, o->ready);
    }
    return rc == SERVE_MOVED ? SERVE_STOPPED : rc;
}

int main(int argc, char **argv)
{
    const char *log_path = NULL, *spec = NULL;
    serve_opts so = {.ifname = "vcan0"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--log") == 0 && i + 1 < argc)
            log_path = argv[++i];
        else if (strcmp(argv[i], "--ready") == 0 && i + 1 < argc)
            so.ready = argv[++i];
        else if (strcmp(argv[i], "--can") == 0 && i + 1 < argc)
            so.ifname = argv[++i];
        else if (strcmp(argv[i], "--tty") == 0 && i + 1 < argc)
            so.tty = argv[++i];
        else if (strcmp(argv[i], "--gadget") == 0 && i + 1 < argc)
            so.gadget = argv[++i];
        else if (strcmp(argv[i], "--udc") == 0 && i + 1 < argc)
            so.udc = argv[++i];
        else if (argv[i][0] != '-' && !spec)
            spec = argv[i];
        else {
            fprintf(stderr, "usage: katapult_node [--log FILE] [--ready FILE] [--can IF | --tty "
                            "TTY --gadget DIR --udc UDC] SPEC\n");
            return 2;
        }
    }
    logfp = stderr;
    if (log_path && !(logfp = fopen(log_path, "a"))) {
        perror(log_path);
        return 2;
    }
    t0 = cf_now_ns();
    cf_kpn_config cfg;
    cf_error err = {0};
    if (cf_kpn_parse_spec(spec ? spec : "katapult-can", &cfg, &err) != CF_OK) {
        fprintf(stderr, "katapult_node: %s\n", err.message);
        return 2;
    }
    cf_kpn *n;
    if (cf_kpn_new(&cfg, cf_now_ns(), &n, &err) != CF_OK) {
        fprintf(stderr, "katapult_node: %s\n", err.message);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int rc = serve(n, &so);
    cf_kpn_stats st;
    cf_kpn_get_stats(n, &st);
    logf_("stats completes=%u blocks=%u bootloader_requests=%u app_starts=%u deployer_runs=%u",
          st.completes, st.blocks_written, st.bootloader_requests, st.app_starts, st.deployer_runs);
    cf_kpn_free(n);
    return rc;
}
