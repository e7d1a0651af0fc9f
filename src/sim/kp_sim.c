/* In-process hosts for the emulated node: a thread serving either a simulated
 * CAN bus (a SOCK_SEQPACKET socketpair carrying struct can_frame records, so
 * the host side is the same code as a SocketCAN socket) with bit timing at the
 * node's bitrate, or a pty standing in for the probe's USB CDC port.
 *
 * With mainboard=usb a second pty stands for a printer mainboard running
 * Klipper on USB (not a probe). It answers nothing and keeps a record of
 * everything a host did to it (bytes written, line-rate changes, the 1200-baud
 * bootloader request), so tests can show nothing was sent to it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/can.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "common/clock.h"
#include "katapult/canbits.h"
#include "katapult/katapult.h"
#include "sim/node.h"
#include "sim/sim.h"

struct cf_sim_kp {
    cf_kp_transport base; /* first: the node's buses as a Katapult transport */
    cf_kpn_config cfg;
    cf_kpn *node;
    pthread_t thread;
    bool running;
    pthread_mutex_t mu;
    bool stop;

    /* CAN */
    int host_fds[8]; /* host ends handed out (one per bus handle) */
    int sim_fds[8];
    size_t nfds;
    uint64_t bus_free_at;
    unsigned long bus_frames;
    unsigned long long bus_bits;
    uint64_t flash_busy_ns;

    /* USB */
    int master;
    char pty_path[64];
    unsigned gen_seen;
    speed_t last_speed;
    cf_kpn_usb_id ident; /* identity of the port now open */

    /* The simulated mainboard (mainboard=usb). */
    int mb_master;
    char mb_pty[64];
    speed_t mb_speed;
    cf_sim_kp_mainboard mb; /* its record */
};

static const struct cf_kp_transport_ops sim_ops; /* below: the node's buses as a transport */

/* The mainboard's identity, as Klipper builds for an STM32F446 enumerate
 * (Klipper's src/generic/usb_cdc.c: 1d50:614e, manufacturer "Klipper", product
 * the MCU name, serial the chip ID in hex; this chip ID is made up). */
#define MB_PORT "1-1.2"
#define MB_MANUFACTURER "Klipper"
#define MB_PRODUCT "stm32f446xx"
#define MB_SERIAL "33003A000851333034373738"

bool cf_sim_spec_is_katapult(const char *spec)
{
    return spec && strncmp(spec, "katapult-", 9) == 0;
}

/* The link the node talks on now (a deployer it ran may have changed it). */
static cf_kpn_link node_link(cf_sim_kp *s)
{
    pthread_mutex_lock(&s->mu);
    cf_kpn_link l = cf_kpn_get_link(s->node);
    pthread_mutex_unlock(&s->mu);
    return l;
}

bool cf_sim_kp_is_can(const cf_sim_kp *sim)
{
    return node_link((cf_sim_kp *)sim) == CF_KPN_CAN;
}

bool cf_sim_spec_has_usb(const char *spec)
{
    cf_kpn_config cfg;
    if (!cf_sim_spec_is_katapult(spec) || cf_kpn_parse_spec(spec, &cfg, NULL) != CF_OK)
        return false;
    return cfg.link == CF_KPN_USB || cfg.mainboard_usb;
}

/* ---- CAN bus model ---- */

/* Occupies the bus for one frame after whatever is already on it, and sleeps
 * until the frame has been transmitted. A `queued` frame was already waiting
 * while the bus was busy (the rest of a burst), so on a real bus it follows
 * the previous frame at once: it starts when the bus became free, not when
 * this thread woke up — otherwise every wake-up's latency (tens of us) would
 * be added to every frame and the bus would look up to 50% slower than it is. */
static void bus_transmit(cf_sim_kp *s, uint32_t id, const uint8_t *data, uint8_t dlc, bool queued)
{
    unsigned bits = cf_can_frame_bits(id, data, dlc);
    uint64_t now = cf_now_ns();
    uint64_t start = s->bus_free_at > now || queued ? s->bus_free_at : now;
    s->bus_free_at = start + (uint64_t)bits * 1000000000ull / s->cfg.bitrate;
    pthread_mutex_lock(&s->mu);
    s->bus_frames++;
    s->bus_bits += bits;
    pthread_mutex_unlock(&s->mu);
    cf_sleep_until_ns(s->bus_free_at);
}

static void can_deliver_to_hosts(cf_sim_kp *s, int except, const struct can_frame *f)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nfds; i++)
        if ((int)i != except && s->sim_fds[i] >= 0)
            (void)send(s->sim_fds[i], f, sizeof(*f), MSG_DONTWAIT | MSG_NOSIGNAL);
    pthread_mutex_unlock(&s->mu);
}

static void can_node_output(cf_sim_kp *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t busy = cf_kpn_take_busy_ns(s->node);
    s->flash_busy_ns += busy;
    pthread_mutex_unlock(&s->mu);
    if (busy)
        cf_sleep_ns(busy); /* the node answers only when the flash is done */
    struct can_frame f;
    uint32_t id;
    uint8_t dlc;
    for (bool queued = false;; queued = true) {
        pthread_mutex_lock(&s->mu);
        bool more = cf_kpn_can_tx(s->node, cf_now_ns(), &id, f.data, &dlc);
        pthread_mutex_unlock(&s->mu);
        if (!more)
            break;
        f.can_id = id;
        f.can_dlc = dlc;
        bus_transmit(s, id, f.data, dlc, queued);
        can_deliver_to_hosts(s, -1, &f);
    }
}

static void can_step(cf_sim_kp *s)
{
    struct pollfd p[8];
    pthread_mutex_lock(&s->mu);
    size_t n = s->nfds;
    for (size_t i = 0; i < n; i++) {
        p[i].fd = s->sim_fds[i];
        p[i].events = POLLIN;
        p[i].revents = 0;
    }
    pthread_mutex_unlock(&s->mu);
    if (poll(p, n, 2) <= 0) {
        can_node_output(s); /* delayed output, e.g. after a reboot */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (p[i].revents & (POLLHUP | POLLERR)) {
            pthread_mutex_lock(&s->mu);
            close(s->sim_fds[i]);
            s->sim_fds[i] = -1;
            pthread_mutex_unlock(&s->mu);
            continue;
        }
        if (!(p[i].revents & POLLIN))
            continue;
        struct can_frame f;
        for (bool queued = false;
             recv(s->sim_fds[i], &f, sizeof(f), MSG_DONTWAIT) == (ssize_t)sizeof(f);
             queued = true) {
            uint8_t dlc = f.can_dlc > 8 ? 8 : f.can_dlc;
            bus_transmit(s, f.can_id & CAN_SFF_MASK, f.data, dlc, queued);
            can_deliver_to_hosts(s, (int)i, &f); /* other bus users see it too */
            pthread_mutex_lock(&s->mu);
            cf_kpn_can_rx(s->node, cf_now_ns(), f.can_id & CAN_SFF_MASK, f.data, dlc);
            pthread_mutex_unlock(&s->mu);
            can_node_output(s);
        }
    }
}

/* ---- USB (pty) ---- */

static void usb_close_port(cf_sim_kp *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->master >= 0)
        close(s->master);
    s->master = -1;
    s->pty_path[0] = 0;
    pthread_mutex_unlock(&s->mu);
}

/* A raw pty: the master fd, the slave's path in name. -1 on failure. */
static int open_pty(char *name, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (m < 0)
        return -1;
    if (grantpt(m) || unlockpt(m) || ptsname_r(m, name, cap)) {
        close(m);
        return -1;
    }
    /* Raw slave (no echo) before any host opens it, then close it: the
     * termios stays with the pty while the master is open. */
    int sl = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (sl >= 0) {
        struct termios t;
        if (tcgetattr(sl, &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(sl, TCSANOW, &t);
        }
        close(sl);
    }
    return m;
}

static void usb_open_port(cf_sim_kp *s)
{
    char name[64];
    int m = open_pty(name, sizeof(name));
    if (m < 0)
        return;
    struct termios t;
    s->last_speed = tcgetattr(m, &t) == 0 ? cfgetospeed(&t) : B0;
    pthread_mutex_lock(&s->mu);
    s->master = m;
    snprintf(s->pty_path, sizeof(s->pty_path), "%s", name);
    cf_kpn_usb_identity(s->node, &s->ident);
    pthread_mutex_unlock(&s->mu);
}

static uint32_t speed_value(speed_t sp)
{
    switch (sp) {
    case B1200:
        return 1200;
    case B9600:
        return 9600;
    case B38400:
        return 38400;
    case B115200:
        return 115200;
    case B230400:
        return 230400;
    default:
        return 0;
    }
}

static void usb_step(cf_sim_kp *s)
{
    uint64_t now = cf_now_ns();
    pthread_mutex_lock(&s->mu);
    cf_kpn_mode mode = cf_kpn_get_mode(s->node, now);
    unsigned gen = cf_kpn_generation(s->node);
    pthread_mutex_unlock(&s->mu);
    if (gen != s->gen_seen) {
        s->gen_seen = gen;
        usb_close_port(s); /* the device left the bus */
    }
    if (mode == CF_KPN_GONE || s->master < 0) {
        if (mode != CF_KPN_GONE)
            usb_open_port(s); /* enumerated */
        else
            cf_sleep_ns(2000000);
        return;
    }
    /* The device side of SET_LINE_CODING: the line rate the host set on the
     * slave. A pty has no DTR, so DTR reads as low. */
    struct termios t;
    if (tcgetattr(s->master, &t) == 0 && cfgetospeed(&t) != s->last_speed) {
        s->last_speed = cfgetospeed(&t);
        pthread_mutex_lock(&s->mu);
        cf_kpn_line_state(s->node, now, speed_value(s->last_speed), false);
        gen = cf_kpn_generation(s->node);
        pthread_mutex_unlock(&s->mu);
        if (gen != s->gen_seen)
            return;
    }
    struct pollfd p = {.fd = s->master, .events = POLLIN};
    int r = poll(&p, 1, 2);
    if (r > 0 && (p.revents & POLLIN)) {
        uint8_t buf[512];
        ssize_t n = read(s->master, buf, sizeof(buf));
        if (n > 0) {
            pthread_mutex_lock(&s->mu);
            cf_kpn_stream_rx(s->node, cf_now_ns(), buf, (size_t)n);
            pthread_mutex_unlock(&s->mu);
        }
    } else if (r > 0) {
        cf_sleep_ns(2000000); /* no slave open: POLLHUP until the host opens it */
    }
    pthread_mutex_lock(&s->mu);
    uint64_t busy = cf_kpn_take_busy_ns(s->node);
    s->flash_busy_ns += busy;
    pthread_mutex_unlock(&s->mu);
    if (busy)
        cf_sleep_ns(busy);
    uint8_t out[512];
    for (;;) {
        pthread_mutex_lock(&s->mu);
        size_t k = cf_kpn_stream_tx(s->node, cf_now_ns(), out, sizeof(out));
        pthread_mutex_unlock(&s->mu);
        if (!k)
            break;
        size_t done = 0;
        for (int guard = 0; done < k && guard < 1000; guard++) {
            ssize_t w = write(s->master, out + done, k - done);
            if (w > 0)
                done += (size_t)w;
            else
                cf_sleep_ns(200000);
        }
    }
}

/* The mainboard takes whatever comes and records it; it never answers. */
static void mainboard_step(cf_sim_kp *s)
{
    struct termios t;
    if (tcgetattr(s->mb_master, &t) == 0 && cfgetospeed(&t) != s->mb_speed) {
        s->mb_speed = cfgetospeed(&t);
        pthread_mutex_lock(&s->mu);
        s->mb.line_changes++;
        if (s->mb_speed == B1200)
            s->mb.bootloader_requests++; /* Klipper would reboot into its bootloader */
        pthread_mutex_unlock(&s->mu);
    }
    uint8_t buf[512];
    ssize_t n = read(s->mb_master, buf, sizeof(buf));
    if (n > 0) {
        pthread_mutex_lock(&s->mu);
        s->mb.bytes += (unsigned long)n;
        pthread_mutex_unlock(&s->mu);
    }
}

static void *sim_main(void *arg)
{
    cf_sim_kp *s = arg;
    /* Bit times are ~1 us: the default 50 us timer slack would dominate. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    for (;;) {
        pthread_mutex_lock(&s->mu);
        bool stop = s->stop;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
        if (s->mb_master >= 0)
            mainboard_step(s);
        if (node_link(s) == CF_KPN_CAN)
            can_step(s);
        else
            usb_step(s);
    }
    return NULL;
}

cf_code cf_sim_kp_new(const char *spec, cf_sim_kp **out, cf_error *err)
{
    *out = NULL;
    cf_sim_kp *s = calloc(1, sizeof(*s));
    if (!s)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    s->base.ops = &sim_ops;
    s->master = -1;
    s->mb_master = -1;
    pthread_mutex_init(&s->mu, NULL);
    cf_code rc = cf_kpn_parse_spec(spec, &s->cfg, err);
    if (!rc)
        rc = cf_kpn_new(&s->cfg, cf_now_ns(), &s->node, err);
    if (!rc && s->cfg.mainboard_usb) {
        s->mb_master = open_pty(s->mb_pty, sizeof(s->mb_pty));
        struct termios t;
        if (s->mb_master < 0)
            rc = cf_fail(err, CF_ERR_IO, "cannot open a pty for the simulated mainboard");
        else
            s->mb_speed = tcgetattr(s->mb_master, &t) == 0 ? cfgetospeed(&t) : B0;
        s->mb.present = s->mb_master >= 0;
        snprintf(s->mb.tty, sizeof(s->mb.tty), "%s", s->mb_pty);
    }
    if (rc) {
        cf_sim_kp_free(s);
        return rc;
    }
    s->gen_seen = cf_kpn_generation(s->node);
    if (pthread_create(&s->thread, NULL, sim_main, s) != 0) {
        cf_sim_kp_free(s);
        return cf_fail(err, CF_ERR_IO, "cannot start the simulator thread");
    }
    s->running = true;
    *out = s;
    return CF_OK;
}

/* record=PATH: what the node was asked, one "name=N" per line, so a CLI
 * test can tell from the simulator's own account whether e.g. a bootloader
 * request was sent. */
static void write_record(cf_sim_kp *s)
{
    if (!s->cfg.record_path || !s->node)
        return;
    cf_kpn_stats st;
    cf_kpn_get_stats(s->node, &st);
    FILE *f = fopen(s->cfg.record_path, "w");
    if (!f)
        return;
    fprintf(f,
            "bootloader_requests=%u\nidentifies=%u\nconnects=%u\nblocks_written=%u\n"
            "completes=%u\napp_starts=%u\ndeployer_runs=%u\nlink=%s\n",
            st.bootloader_requests, st.identifies, st.connects, st.blocks_written, st.completes,
            st.app_starts, st.deployer_runs,
            cf_kpn_get_link(s->node) == CF_KPN_CAN ? "can" : "usb");
    fclose(f);
}

void cf_sim_kp_free(cf_sim_kp *s)
{
    if (!s)
        return;
    if (s->running) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    write_record(s);
    for (size_t i = 0; i < s->nfds; i++)
        if (s->sim_fds[i] >= 0)
            close(s->sim_fds[i]);
    if (s->master >= 0)
        close(s->master);
    if (s->mb_master >= 0)
        close(s->mb_master);
    cf_kpn_free(s->node);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static cf_code sim_can_open(cf_kp_transport *t, const char *ifname, cf_kp_can **out, cf_error *err)
{
    cf_sim_kp *s = (cf_sim_kp *)t;
    if (node_link(s) != CF_KPN_CAN) {
        cf_fail(err, CF_ERR_UNSUPPORTED, "the simulated probe is on USB, not CAN");
        cf_hint(err, "use --simulate=katapult-can for CAN");
        return CF_ERR_UNSUPPORTED;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return cf_fail(err, CF_ERR_IO, "socketpair: %s", strerror(errno));
    int fl = fcntl(sv[0], F_GETFL);
    fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
    pthread_mutex_lock(&s->mu);
    size_t slot = s->nfds;
    for (size_t i = 0; i < s->nfds; i++)
        if (s->sim_fds[i] < 0)
            slot = i;
    if (slot == sizeof(s->sim_fds) / sizeof(s->sim_fds[0])) {
        pthread_mutex_unlock(&s->mu);
        close(sv[0]);
        close(sv[1]);
        return cf_fail(err, CF_ERR_IO, "too many handles on the simulated CAN bus");
    }
    s->sim_fds[slot] = sv[1];
    if (slot == s->nfds)
        s->nfds++;
    pthread_mutex_unlock(&s->mu);
    char name[64];
    snprintf(name, sizeof(name), "%s", ifname ? ifname : "can0");
    return cf_kp_can_from_fd(sv[0], name, out, err);
}

/* The node (on USB) and the mainboard as sysfs would show them. */
static size_t usb_list(cf_sim_kp *s, cf_kp_usb_dev *devs, size_t cap)
{
    size_t n = 0;
    if (cap > 0 && s->mb_master >= 0) { /* first on the bus, as a hub's port 2 would be */
        cf_kp_usb_dev *d = &devs[n++];
        memset(d, 0, sizeof(*d));
        snprintf(d->syspath, sizeof(d->syspath),
                 "/sys/devices/platform/cartoflash-sim/usb1/" MB_PORT);
        snprintf(d->port, sizeof(d->port), MB_PORT);
        snprintf(d->tty, sizeof(d->tty), "%s", s->mb_pty);
        d->vid = 0x1d50;
        d->pid = 0x614e;
        snprintf(d->manufacturer, sizeof(d->manufacturer), MB_MANUFACTURER);
        snprintf(d->product, sizeof(d->product), MB_PRODUCT);
        snprintf(d->serial, sizeof(d->serial), MB_SERIAL);
        d->app = CF_KP_APP_KLIPPER;
        d->cartographer = false;
    }
    if (node_link(s) != CF_KPN_USB || n >= cap)
        return n;
    pthread_mutex_lock(&s->mu);
    if (s->master >= 0 && s->pty_path[0]) {
        cf_kpn_usb_id id = s->ident;
        cf_kp_usb_dev *d = &devs[n];
        memset(d, 0, sizeof(*d));
        snprintf(d->syspath, sizeof(d->syspath), "/sys/devices/platform/cartoflash-sim/usb1/1-1");
        snprintf(d->port, sizeof(d->port), "1-1");
        snprintf(d->tty, sizeof(d->tty), "%s", s->pty_path);
        d->vid = id.vid;
        d->pid = id.pid;
        snprintf(d->manufacturer, sizeof(d->manufacturer), "%s", id.manufacturer);
        snprintf(d->product, sizeof(d->product), "%s", id.product);
        snprintf(d->serial, sizeof(d->serial), "%s", id.serial);
        d->app = id.pid == 0x6177 ? CF_KP_APP_KATAPULT : CF_KP_APP_KLIPPER;
        d->cartographer = d->app == CF_KP_APP_KLIPPER;
        n++;
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

static cf_code sim_usb_list(cf_kp_transport *t, const char *sysfs_root, cf_kp_usb_dev *devs,
                            size_t cap, size_t *count, cf_error *err)
{
    (void)sysfs_root; /* the simulated bus is not in any sysfs */
    (void)err;
    *count = usb_list((cf_sim_kp *)t, devs, cap);
    return CF_OK;
}

static cf_code sim_can_info(cf_kp_transport *t, const char *ifname, cf_kp_canlink *out,
                            cf_error *err)
{
    (void)ifname; /* every interface name reaches the one simulated bus */
    cf_sim_kp *s = (cf_sim_kp *)t;
    memset(out, 0, sizeof(*out));
    if (node_link(s) != CF_KPN_CAN)
        return cf_fail(err, CF_ERR_UNSUPPORTED, "the simulated probe is on USB, not CAN");
    out->up = true;
    snprintf(out->kind, sizeof(out->kind), "can");
    out->has_bitrate = true;
    out->bitrate = s->cfg.bitrate;
    out->has_state = true;
    return CF_OK;
}

static size_t sim_can_interfaces(cf_kp_transport *t, char names[][CF_KP_IFNAME_MAX], size_t cap)
{
    if (cap == 0 || node_link((cf_sim_kp *)t) != CF_KPN_CAN)
        return 0;
    snprintf(names[0], CF_KP_IFNAME_MAX, "can0");
    return 1;
}

static bool sim_probe_may_be_on(cf_kp_transport *t, cf_iface link)
{
    bool can = node_link((cf_sim_kp *)t) == CF_KPN_CAN;
    return link == CF_IFACE_CAN ? can : !can;
}

static void sim_free(cf_kp_transport *t)
{
    cf_sim_kp_free((cf_sim_kp *)t);
}

static const struct cf_kp_transport_ops sim_ops = {
    .name = "simulated",
    .machine = false,
    .can_open = sim_can_open,
    .can_info = sim_can_info,
    .can_interfaces = sim_can_interfaces,
    .usb_list = sim_usb_list,
    .probe_may_be_on = sim_probe_may_be_on,
    .free = sim_free,
};

cf_kp_transport *cf_sim_kp_transport(cf_sim_kp *sim)
{
    return sim ? &sim->base : NULL;
}

cf_sim_kp *cf_sim_kp_of(cf_kp_transport *t)
{
    return t && t->ops == &sim_ops ? (cf_sim_kp *)t : NULL;
}

size_t cf_sim_kp_flash_copy(cf_sim_kp *s, uint8_t *buf, size_t cap, uint32_t *base)
{
    pthread_mutex_lock(&s->mu);
    size_t size;
    const uint8_t *f = cf_kpn_flash(s->node, base, &size);
    size_t n = size < cap ? size : cap;
    memcpy(buf, f, n);
    pthread_mutex_unlock(&s->mu);
    return n;
}

const char *cf_sim_kp_uuid(cf_sim_kp *s)
{
    return cf_kpn_uuid_hex(s->node);
}

uint32_t cf_sim_kp_bitrate(cf_sim_kp *s)
{
    return s->cfg.bitrate;
}

void cf_sim_kp_bus_stats(cf_sim_kp *s, unsigned long *frames, unsigned long long *bits,
                         uint64_t *busy)
{
    pthread_mutex_lock(&s->mu);
    if (frames)
        *frames = s->bus_frames;
    if (bits)
        *bits = s->bus_bits;
    if (busy)
        *busy = s->flash_busy_ns;
    pthread_mutex_unlock(&s->mu);
}

void cf_sim_kp_node_stats(cf_sim_kp *s, unsigned *completes, unsigned *blocks_written,
                          unsigned *bootloader_requests)
{
    cf_kpn_stats st;
    pthread_mutex_lock(&s->mu);
    cf_kpn_get_stats(s->node, &st);
    pthread_mutex_unlock(&s->mu);
    if (completes)
        *completes = st.completes;
    if (blocks_written)
        *blocks_written = st.blocks_written;
    if (bootloader_requests)
        *bootloader_requests = st.bootloader_requests;
}

void cf_sim_kp_mainboard_record(cf_sim_kp *s, cf_sim_kp_mainboard *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->mb;
    pthread_mutex_unlock(&s->mu);
}

bool cf_sim_kp_has_mainboard(const cf_sim_kp *s)
{
    return s->mb_master >= 0;
}
