/* SocketCAN transport and Katapult's CAN admin messages. */
#include "katapult/can.h"

#include <errno.h>
#include <linux/can.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "katapult/canbits.h"

struct cf_kp_can {
    int fd;
    char name[64];
    unsigned long frames_out, frames_in;
    unsigned long long bits_out, bits_in;
};

cf_code cf_kp_can_from_fd(int fd, const char *name, cf_kp_can **out, cf_error *err)
{
    cf_kp_can *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    }
    c->fd = fd;
    snprintf(c->name, sizeof(c->name), "%s", name);
    *out = c;
    return CF_OK;
}

cf_code cf_kp_can_open(const char *ifname, cf_kp_can **out, cf_error *err)
{
    *out = NULL;
    if (strlen(ifname) >= IFNAMSIZ)
        return cf_fail(err, CF_ERR_USAGE, "CAN interface name '%s' is too long", ifname);
    int fd = socket(PF_CAN, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, CAN_RAW);
    if (fd < 0) {
        cf_fail(err, CF_ERR_UNSUPPORTED, "cannot create a CAN socket: %s", strerror(errno));
        cf_hint(err, "this system has no SocketCAN support (kernel module can-raw)");
        return CF_ERR_UNSUPPORTED;
    }
    unsigned idx = if_nametoindex(ifname);
    if (!idx) {
        close(fd);
        cf_fail(err, CF_ERR_NOT_FOUND, "there is no CAN interface named %s", ifname);
        cf_hint(err, "check `ip link` for the name, and that the USB-CAN adapter or HAT is "
                     "connected and configured (e.g. /etc/network/interfaces.d/can0)");
        return CF_ERR_NOT_FOUND;
    }
    struct sockaddr_can addr;
    memset(&addr, 0, sizeof(addr));
    addr.can_family = AF_CAN;
    addr.can_ifindex = (int)idx;
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int e = errno;
        close(fd);
        cf_fail(err, CF_ERR_IO, "cannot bind to CAN interface %s: %s", ifname, strerror(e));
        cf_hint(err, "bring it up first, e.g. sudo ip link set %s up type can bitrate 1000000",
                ifname);
        return CF_ERR_IO;
    }
    return cf_kp_can_from_fd(fd, ifname, out, err);
}

void cf_kp_can_close(cf_kp_can *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}

cf_code cf_kp_can_send(cf_kp_can *c, uint32_t id, const uint8_t *data, uint8_t dlc, cf_error *err)
{
    struct can_frame f;
    memset(&f, 0, sizeof(f));
    f.can_id = id & CAN_SFF_MASK;
    f.can_dlc = dlc > 8 ? 8 : dlc;
    memcpy(f.data, data, f.can_dlc);
    uint64_t deadline = cf_now_ns() + 1000000000ull;
    for (;;) {
        ssize_t n = write(c->fd, &f, sizeof(f));
        if (n == (ssize_t)sizeof(f))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        /* A full transmit queue (ENOBUFS with a small txqueuelen) is
         * congestion, not failure: wait and retry for a while. */
        if (n < 0 && (errno == ENOBUFS || errno == EAGAIN) && cf_now_ns() < deadline) {
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            if (poll(&p, 1, 2) <= 0)
                cf_sleep_ns(1000000);
            continue;
        }
        if (n < 0 && (errno == ENETDOWN || errno == ENXIO || errno == ENODEV))
            return cf_fail(err, CF_ERR_GONE, "CAN interface %s went down (%s)", c->name,
                           strerror(errno));
        if (n < 0 && (errno == ECONNREFUSED || errno == EPIPE))
            return cf_fail(err, CF_ERR_GONE, "the CAN bus on %s went away", c->name);
        cf_fail(err, CF_ERR_IO, "CAN write on %s failed: %s", c->name,
                n < 0 ? strerror(errno) : "short write");
        cf_hint(err,
                "check the bus state (ip -details link show %s); raise the queue with "
                "sudo ip link set %s txqueuelen 128",
                c->name, c->name);
        return CF_ERR_IO;
    }
    c->frames_out++;
    c->bits_out += cf_can_frame_bits(f.can_id, f.data, f.can_dlc);
    return CF_OK;
}

cf_code cf_kp_can_recv(cf_kp_can *c, uint32_t *id, uint8_t *data, uint8_t *dlc, int timeout_ms,
                       bool *got, cf_error *err)
{
    *got = false;
    uint64_t deadline = cf_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
    for (;;) {
        struct can_frame f;
        ssize_t n = read(c->fd, &f, sizeof(f));
        if (n == (ssize_t)sizeof(f)) {
            if (f.can_id & (CAN_EFF_FLAG | CAN_RTR_FLAG | CAN_ERR_FLAG))
                continue; /* Katapult uses classic 11-bit data frames only */
            *id = f.can_id & CAN_SFF_MASK;
            *dlc = f.can_dlc > 8 ? 8 : f.can_dlc;
            memcpy(data, f.data, *dlc);
            c->frames_in++;
            c->bits_in += cf_can_frame_bits(*id, data, *dlc);
            *got = true;
            return CF_OK;
        }
        if (n == 0)
            return cf_fail(err, CF_ERR_GONE, "the CAN bus on %s went away", c->name);
        if (n > 0)
            continue; /* not a classic frame record */
        if (errno == ENETDOWN || errno == ENODEV)
            return cf_fail(err, CF_ERR_GONE, "CAN interface %s went down", c->name);
        if (errno != EAGAIN && errno != EINTR)
            return cf_fail(err, CF_ERR_IO, "CAN read on %s failed: %s", c->name, strerror(errno));
        uint64_t now = cf_now_ns();
        if (now >= deadline)
            return CF_OK;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
        if (r > 0 && (p.revents & POLLHUP) && !(p.revents & POLLIN))
            return cf_fail(err, CF_ERR_GONE, "the CAN bus on %s went away", c->name);
    }
}

void cf_kp_can_counters(const cf_kp_can *c, unsigned long *fo, unsigned long *fi,
                        unsigned long long *bo, unsigned long long *bi)
{
    if (fo)
        *fo = c->frames_out;
    if (fi)
        *fi = c->frames_in;
    if (bo)
        *bo = c->bits_out;
    if (bi)
        *bi = c->bits_in;
}

bool cf_kp_uuid_parse(const char *t, uint8_t uuid[6])
{
    if (!t || strlen(t) != 12)
        return false;
    for (int i = 0; i < 6; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = t[2 * i + k];
            v <<= 4;
            if (ch >= '0' && ch <= '9')
                v |= (unsigned)(ch - '0');
            else if (ch >= 'a' && ch <= 'f')
                v |= (unsigned)(ch - 'a' + 10);
            else if (ch >= 'A' && ch <= 'F')
                v |= (unsigned)(ch - 'A' + 10);
            else
                return false;
        }
        uuid[i] = (uint8_t)v;
    }
    return true;
}

void cf_kp_uuid_format(const uint8_t uuid[6], char out[13])
{
    for (int i = 0; i < 6; i++)
        snprintf(out + 2 * i, 3, "%02x", uuid[i]);
}

cf_code cf_kp_can_query(cf_kp_can *c, int wait_ms, cf_kp_can_node *nodes, size_t cap, size_t *count,
                        cf_error *err)
{
    *count = 0;
    uint8_t q = 0x00;
    cf_code rc = cf_kp_can_send(c, CF_KP_CAN_ADMIN, &q, 1, err);
    if (rc)
        return rc;
    uint64_t deadline = cf_now_ns() + (uint64_t)wait_ms * 1000000ull;
    for (;;) {
        uint64_t now = cf_now_ns();
        if (now >= deadline)
            return CF_OK;
        uint32_t id;
        uint8_t d[8], dlc;
        bool got;
        rc = cf_kp_can_recv(c, &id, d, &dlc, (int)((deadline - now) / 1000000ull) + 1, &got, err);
        if (rc)
            return rc;
        if (!got || id != CF_KP_CAN_ADMIN_REPLY || dlc < 7 || d[0] != 0x20)
            continue;
        bool dup = false;
        for (size_t i = 0; i < *count; i++)
            dup |= memcmp(nodes[i].uuid, d + 1, 6) == 0;
        if (dup || *count >= cap)
            continue;
        memcpy(nodes[*count].uuid, d + 1, 6);
        nodes[*count].app = dlc >= 8 ? d[7] : 0;
        (*count)++;
    }
}

cf_code cf_kp_can_request_bootloader(cf_kp_can *c, const uint8_t uuid[6], cf_error *err)
{
    uint8_t d[7] = {0x02};
    memcpy(d + 1, uuid, 6);
    return cf_kp_can_send(c, CF_KP_CAN_ADMIN, d, 7, err);
}

cf_code cf_kp_can_clear_ids(cf_kp_can *c, cf_error *err)
{
    uint8_t d = 0x12;
    return cf_kp_can_send(c, CF_KP_CAN_ADMIN, &d, 1, err);
}

cf_code cf_kp_can_set_id(cf_kp_can *c, const uint8_t uuid[6], uint8_t nodeid, cf_error *err)
{
    uint8_t d[8] = {0x11};
    memcpy(d + 1, uuid, 6);
    d[7] = nodeid;
    return cf_kp_can_send(c, CF_KP_CAN_ADMIN, d, 8, err);
}

/* ---- one node's byte stream ---- */

typedef struct can_stream {
    cf_kp_stream base;
    cf_kp_can *can;
    uint32_t tx_id, rx_id;
} can_stream;

static void sync_counters(can_stream *cs)
{
    cs->base.frames_out = cs->can->frames_out;
    cs->base.frames_in = cs->can->frames_in;
    cs->base.bits_out = cs->can->bits_out;
    cs->base.bits_in = cs->can->bits_in;
}

static cf_code cs_write(cf_kp_stream *s, const uint8_t *data, size_t len, cf_error *err)
{
    can_stream *cs = (can_stream *)s;
    /* Consecutive 8-byte frames, the last one carrying the rest (Katapult
     * src/generic/canserial.c). */
    for (size_t i = 0; i < len; i += 8) {
        size_t n = len - i < 8 ? len - i : 8;
        cf_code rc = cf_kp_can_send(cs->can, cs->tx_id, data + i, (uint8_t)n, err);
        if (rc)
            return rc;
    }
    sync_counters(cs);
    return CF_OK;
}

static cf_code cs_read(cf_kp_stream *s, uint8_t *buf, size_t cap, size_t *got, int timeout_ms,
                       cf_error *err)
{
    can_stream *cs = (can_stream *)s;
    *got = 0;
    uint64_t deadline = cf_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
    while (cap >= 8) {
        uint64_t now = cf_now_ns();
        int left = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
        if (*got)
            left = 0; /* return what we have once the queue is empty */
        uint32_t id;
        uint8_t d[8], dlc;
        bool have;
        cf_code rc = cf_kp_can_recv(cs->can, &id, d, &dlc, left, &have, err);
        if (rc)
            return rc;
        if (!have)
            break;
        if (id != cs->rx_id)
            continue;
        memcpy(buf + *got, d, dlc);
        *got += dlc;
        cap -= dlc;
    }
    sync_counters(cs);
    return CF_OK;
}

static void cs_close(cf_kp_stream *s)
{
    free(s);
}

cf_code cf_kp_can_stream(cf_kp_can *can, uint8_t nodeid, cf_kp_stream **out, cf_error *err)
{
    can_stream *cs = calloc(1, sizeof(*cs));
    if (!cs)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    cs->can = can;
    cs->tx_id = 0x100u + 2u * nodeid;
    cs->rx_id = cs->tx_id + 1;
    cs->base.write = cs_write;
    cs->base.read = cs_read;
    cs->base.close = cs_close;
    snprintf(cs->base.name, sizeof(cs->base.name), "%s node 0x%03x", can->name,
             (unsigned)cs->tx_id);
    *out = &cs->base;
    return CF_OK;
}
