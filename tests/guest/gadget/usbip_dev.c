/* USB/IP device side over vhci_hcd: attach/detach and the message codec. */
#include "usbip_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VHCI_SYSFS "/sys/devices/platform/vhci_hcd.0"
#define VHCI_HS_PORTS 15 /* CONFIG_USBIP_VHCI_HC_PORTS: ports 0..14 are the USB 2 hub */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Returns 1 when len bytes were read, 0 on a clean EOF before any byte. */
static int read_all(int fd, uint8_t *buf, size_t len, bool eintr_aborts)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR && !(eintr_aborts && got == 0))
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            if (got == 0)
                return 0;
            errno = EPROTO;
            return -1;
        }
        got += (size_t)n;
    }
    return 1;
}

static int sysfs_write(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, VHCI_SYSFS "/%s", name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int usbip_attach(usbip_dev *dev, unsigned speed, char *msg, size_t msg_cap)
{
    int sv[2];
    dev->fd = -1;
    dev->port = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(msg, msg_cap, "socketpair: %s", strerror(errno));
        return -1;
    }
    /* The kernel takes its own reference to sv[1] during the write, by its
     * number in our descriptor table; we close our copy afterwards. */
    int last_errno = 0;
    for (int port = 0; port < VHCI_HS_PORTS; port++) {
        char text[64];
        /* devid is what a real USB/IP server would call (busnum << 16 | devnum). */
        snprintf(text, sizeof text, "%d %d %u %u", port, sv[1], (1u << 16) | (unsigned)(port + 2),
                 speed);
        if (sysfs_write("attach", text) == 0) {
            close(sv[1]);
            dev->fd = sv[0];
            dev->port = port;
            return 0;
        }
        last_errno = errno;
        if (errno == ENOENT || errno == EACCES || errno == EPERM)
            break; /* no vhci_hcd, or not root: no other port will do better */
    }
    close(sv[0]);
    close(sv[1]);
    snprintf(msg, msg_cap, "cannot attach to " VHCI_SYSFS "/attach: %s (is vhci-hcd loaded?)",
             strerror(last_errno));
    return -1;
}

void usbip_detach(usbip_dev *dev)
{
    if (dev->port >= 0) {
        char text[16];
        snprintf(text, sizeof text, "%d", dev->port);
        /* Fails harmlessly when the kernel already dropped the connection. */
        (void)sysfs_write("detach", text);
        dev->port = -1;
    }
    if (dev->fd >= 0) {
        shutdown(dev->fd, SHUT_RDWR);
        close(dev->fd);
        dev->fd = -1;
    }
}

void usbip_drain(usbip_dev *dev, unsigned timeout_ms)
{
    const struct timespec tick = {.tv_sec = 0, .tv_nsec = 1000000};
    for (unsigned waited = 0; dev->fd >= 0 && waited < timeout_ms; waited++) {
        int queued = 0;
        if (ioctl(dev->fd, SIOCOUTQ, &queued) != 0 || queued == 0)
            break;
        nanosleep(&tick, NULL);
    }
}

int usbip_read_cmd(usbip_dev *dev, usbip_cmd *cmd)
{
    uint8_t h[USBIP_HEADER_SIZE];
    int rc = read_all(dev->fd, h, sizeof h, true);
    if (rc <= 0)
        return rc;
    memset(cmd, 0, sizeof *cmd);
    cmd->command = get32(h + 0);
    cmd->seqnum = get32(h + 4);
    cmd->direction = get32(h + 12);
    cmd->ep = get32(h + 16);
    if (cmd->command == USBIP_CMD_SUBMIT) {
        cmd->buffer_length = get32(h + 24);
        memcpy(cmd->setup, h + 40, 8);
    } else if (cmd->command == USBIP_CMD_UNLINK) {
        cmd->unlink_seqnum = get32(h + 20);
    } else {
        errno = EPROTO;
        return -1;
    }
    return 1;
}

int usbip_read_data(usbip_dev *dev, uint8_t *buf, size_t len)
{
    return read_all(dev->fd, buf, len, false) == 1 ? 0 : -1;
}

int usbip_ret_submit(usbip_dev *dev, uint32_t seqnum, int32_t status, uint32_t actual,
                     const uint8_t *in_data)
{
    uint8_t h[USBIP_HEADER_SIZE] = {0};
    put32(h + 0, USBIP_RET_SUBMIT);
    put32(h + 4, seqnum);
    /* devid, direction and ep are 0 in replies. */
    put32(h + 20, (uint32_t)status);
    put32(h + 24, actual);
    if (write_all(dev->fd, h, sizeof h) != 0)
        return -1;
    if (in_data && actual > 0)
        return write_all(dev->fd, in_data, actual);
    return 0;
}

int usbip_ret_unlink(usbip_dev *dev, uint32_t seqnum, int32_t status)
{
    uint8_t h[USBIP_HEADER_SIZE] = {0};
    put32(h + 0, USBIP_RET_UNLINK);
    put32(h + 4, seqnum);
    put32(h + 20, (uint32_t)status);
    return write_all(dev->fd, h, sizeof h);
}
