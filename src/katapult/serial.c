/* Serial transport over termios (USB CDC ACM and ptys). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/clock.h"
#include "katapult/stream.h"
#include "common/safe.h"

typedef struct serial_stream {
    cf_kp_stream base;
    int fd;
} serial_stream;

static cf_code gone(cf_kp_stream *s, cf_error *err, int e)
{
    return cf_fail(err, CF_ERR_GONE, "the device on %s went away (%s)", s->name, strerror(e));
}

static cf_code serial_write(cf_kp_stream *s, const uint8_t *data, size_t len, cf_error *err)
{
    serial_stream *ss = (serial_stream *)s;
    size_t done = 0;
    uint64_t deadline = cf_now_ns() + 2000000000ull;
    while (done < len) {
        ssize_t n = write(ss->fd, data + done, len - done);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            return gone(s, err, errno);
        if (cf_now_ns() > deadline)
            return cf_fail(err, CF_ERR_TIMEOUT, "writing to %s timed out", s->name);
        struct pollfd p = {.fd = ss->fd, .events = POLLOUT};
        poll(&p, 1, 10);
    }
    s->frames_out++;
    s->bits_out += 10ull * len;
    return CF_OK;
}

static cf_code serial_read(cf_kp_stream *s, uint8_t *buf, size_t cap, size_t *got, int timeout_ms,
                           cf_error *err)
{
    serial_stream *ss = (serial_stream *)s;
    *got = 0;
    uint64_t deadline = cf_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000ull;
    for (;;) {
        /* poll first: with VMIN = VTIME = 0 a tty read returns 0 both when
         * there is nothing to read and after a hang-up. */
        uint64_t now = cf_now_ns();
        int left = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
        struct pollfd p = {.fd = ss->fd, .events = POLLIN};
        int r = poll(&p, 1, left);
        if (r < 0 && errno != EINTR)
            return cf_fail(err, CF_ERR_IO, "waiting on %s: %s", s->name, strerror(errno));
        if (r <= 0) {
            if (cf_now_ns() >= deadline)
                return CF_OK;
            continue;
        }
        if (p.revents & POLLIN) {
            ssize_t n = read(ss->fd, buf, cap);
            if (n > 0) {
                *got = (size_t)n;
                s->frames_in++;
                s->bits_in += 10ull * (size_t)n;
                return CF_OK;
            }
            if (n == 0 || errno == EIO || errno == ENODEV || errno == ENXIO)
                return gone(s, err, n == 0 ? EIO : errno);
            if (errno != EAGAIN && errno != EINTR)
                return cf_fail(err, CF_ERR_IO, "reading %s: %s", s->name, strerror(errno));
            continue;
        }
        if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
            return gone(s, err, EIO);
    }
}

static void serial_close(cf_kp_stream *s)
{
    serial_stream *ss = (serial_stream *)s;
    close(ss->fd);
    free(ss);
}

cf_code cf_kp_serial_open(const char *path, cf_kp_stream **out, cf_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == EACCES) {
            cf_fail(err, CF_ERR_ACCESS, "no permission to open %s", path);
            cf_hint(err, "add yourself to the dialout group (sudo usermod -aG dialout $USER, then "
                         "log in again) or install cartoflash's udev rules");
            return CF_ERR_ACCESS;
        }
        return cf_fail(err, errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO, "cannot open %s: %s",
                       path, strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        cf_fail(err, CF_ERR_GATE, "%s is locked by another program", path);
        cf_hint(err, "stop Klipper (sudo systemctl stop klipper) or whatever holds the port");
        return CF_ERR_GATE;
    }
    struct termios t;
    if (tcgetattr(fd, &t) == 0) {
        /* The CDC line rate means nothing to Katapult; 1200 would mean
         * "reboot" to Klipper, so use an ordinary rate. */
        cfmakeraw(&t);
        t.c_cflag |= CLOCAL | CREAD;
        t.c_cflag &= (tcflag_t)~CRTSCTS;
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
        tcsetattr(fd, TCSANOW, &t);
    }
    int dtr = TIOCM_DTR | TIOCM_RTS;
    (void)ioctl(fd, TIOCMBIS, &dtr); /* ptys have no modem lines: ignore */
    tcflush(fd, TCIFLUSH);
    serial_stream *ss = calloc(1, sizeof(*ss));
    if (!ss) {
        close(fd);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    }
    ss->fd = fd;
    ss->base.write = serial_write;
    ss->base.read = serial_read;
    ss->base.close = serial_close;
    cf_strlcpy(ss->base.name, sizeof(ss->base.name), path);
    *out = &ss->base;
    return CF_OK;
}

cf_code cf_kp_serial_touch_1200(const char *path, cf_error *err)
{
    /* O_NOCTTY: a hang-up on this tty must not signal us. */
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return cf_fail(err, errno == EACCES ? CF_ERR_ACCESS : CF_ERR_IO,
                       "cannot open %s to request the bootloader: %s", path, strerror(errno));
    int dtr = TIOCM_DTR;
    (void)ioctl(fd, TIOCMBIS, &dtr);
    struct termios t;
    cf_code rc = CF_OK;
    if (tcgetattr(fd, &t) == 0) {
        cfsetispeed(&t, B1200);
        cfsetospeed(&t, B1200);
        if (tcsetattr(fd, TCSANOW, &t) != 0)
            rc = cf_fail(err, CF_ERR_IO, "cannot set 1200 baud on %s: %s", path, strerror(errno));
    }
    (void)ioctl(fd, TIOCMBIC, &dtr);
    close(fd);
    return rc;
}

int cf_kp_port_user(const char *path, char *comm, size_t comm_size)
{
    struct stat target;
    if (stat(path, &target) != 0)
        return 0;
    DIR *proc = opendir("/proc");
    if (!proc)
        return 0;
    int found = 0;
    pid_t self = getpid();
    struct dirent *de;
    while (!found && (de = readdir(proc))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0 || pid == self)
            continue;
        char fddir[64];
        snprintf(fddir, sizeof(fddir), "/proc/%ld/fd", pid);
        DIR *fds = opendir(fddir);
        if (!fds)
            continue;
        struct dirent *fe;
        while ((fe = readdir(fds))) {
            char fdpath[400];
            struct stat st;
            if ((size_t)snprintf(fdpath, sizeof(fdpath), "%s/%s", fddir, fe->d_name) >=
                sizeof(fdpath))
                continue;
            if (stat(fdpath, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == target.st_rdev) {
                found = (int)pid;
                break;
            }
        }
        closedir(fds);
    }
    closedir(proc);
    if (found && comm && comm_size) {
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/comm", found);
        comm[0] = 0;
        FILE *f = fopen(p, "r");
        if (f) {
            if (fgets(comm, (int)comm_size, f))
                comm[strcspn(comm, "\n")] = 0;
            fclose(f);
        }
    }
    return found;
}
