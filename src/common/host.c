#include "common/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Creality's K1 firmware starts Klipper from this SysV-style script (busybox
 * init, no systemd) and keeps printer_data under /usr/data. */
#define K1_INIT "/etc/init.d/S55klipper_service"
#define K1_DATA "/usr/data/printer_data"

static void join(char *out, const char *root, const char *path)
{
    if ((size_t)snprintf(out, CF_HOST_PATH, "%s%s", root, path) >= CF_HOST_PATH)
        out[0] = '\0'; /* too long to be real: nothing will be found there */
}

/* os-release(5): ID=buildroot, the value possibly quoted. */
static bool os_release_is_buildroot(const char *root)
{
    char path[CF_HOST_PATH];
    join(path, root, "/etc/os-release");
    FILE *f = path[0] ? fopen(path, "re") : NULL;
    if (!f)
        return false;
    char line[256];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "ID=", 3) != 0)
            continue;
        const char *v = line + 3;
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
            v++;
            n -= 2;
        }
        found = n == strlen("buildroot") && strncmp(v, "buildroot", n) == 0;
    }
    fclose(f);
    return found;
}

void cf_host_detect(cf_host *h, const char *home)
{
    memset(h, 0, sizeof(*h));
    const char *root = getenv("CARTOFLASH_TEST_ROOT");
    if (root && root[0] == '/' && strlen(root) < CF_HOST_PATH)
        snprintf(h->root, sizeof(h->root), "%s", root);
    join(h->sysfs, h->root, "/sys");

    char init[CF_HOST_PATH];
    join(init, h->root, K1_INIT);
    struct stat st;
    bool has_init = init[0] && stat(init, &st) == 0 && S_ISREG(st.st_mode);
    if (has_init || os_release_is_buildroot(h->root)) {
        h->kind = CF_HOST_K1;
        if (has_init)
            snprintf(h->klipper_init, sizeof(h->klipper_init), "%s", init);
        join(h->printer_cfg, h->root, K1_DATA "/config/printer.cfg");
        join(h->klippy_log, h->root, K1_DATA "/logs/klippy.log");
        return;
    }
    h->kind = CF_HOST_DEBIAN;
    if (!home)
        home = getenv("HOME");
    if (!home || !home[0])
        return;
    char rel[CF_HOST_PATH];
    if ((size_t)snprintf(rel, sizeof(rel), "%s/printer_data/config/printer.cfg", home) <
        sizeof(rel))
        join(h->printer_cfg, h->root, rel);
    if ((size_t)snprintf(rel, sizeof(rel), "%s/printer_data/logs/klippy.log", home) < sizeof(rel))
        join(h->klippy_log, h->root, rel);
}

static bool cmdline_is_klippy(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    static const char name[] = "klippy.py";
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
        size_t len = strlen(buf + i);
        if (len >= sizeof(name) - 1 && strcmp(buf + i + len - (sizeof(name) - 1), name) == 0 &&
            (len == sizeof(name) - 1 || buf[i + len - sizeof(name)] == '/'))
            return true;
    }
    return false;
}

bool cf_host_klipper_running(const cf_host *h)
{
    char proc[CF_HOST_PATH];
    join(proc, h->root, "/proc");
    DIR *d = proc[0] ? opendir(proc) : NULL;
    if (!d)
        return false;
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d));) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
            strspn(e->d_name, "0123456789") != strlen(e->d_name))
            continue;
        char path[CF_HOST_PATH + 300];
        snprintf(path, sizeof(path), "%s/%s/cmdline", proc, e->d_name);
        found = cmdline_is_klippy(path);
    }
    closedir(d);
    return found;
}

const char *cf_host_kind_name(cf_host_kind kind)
{
    return kind == CF_HOST_K1 ? "Creality K1 (buildroot)" : "Debian";
}

cf_code cf_host_klipper_service(const cf_host *h, const char *verb, char *out, size_t out_size,
                                cf_error *err)
{
    if (out && out_size)
        out[0] = '\0';
    if (!h->klipper_init[0])
        return cf_fail(err, CF_ERR_UNSUPPORTED, "this host has no Klipper init script");
    if (strcmp(verb, "stop") != 0 && strcmp(verb, "start") != 0)
        return cf_fail(err, CF_ERR_USAGE, "unknown service action '%s'", verb);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return cf_fail(err, CF_ERR_IO, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return cf_fail(err, CF_ERR_IO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        char *const argv[] = {(char *)h->klipper_init, (char *)verb, NULL};
        execv(h->klipper_init, argv);
        _exit(127);
    }
    close(fds[1]);
    size_t used = 0;
    char buf[256];
    for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) != 0;) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (ssize_t i = 0; out && i < n && used + 1 < out_size; i++)
            out[used++] = buf[i];
    }
    if (out && out_size)
        out[used] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cf_fail(err, CF_ERR_ACCESS, "%s %s failed (%s %d)", h->klipper_init, verb,
                WIFEXITED(status) ? "exit status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        cf_hint(err, "Run it yourself in another SSH session: %s %s", K1_INIT, verb);
        return CF_ERR_ACCESS;
    }
    return CF_OK;
}
