/* Child processes for systemctl, ip and udevadm: fork + execvp with an argv
 * vector. No shell is involved, so nothing typed by a user or read from a file
 * can become a command. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "menu/engine.h"

int menu_run(const char *const argv[], char *out, size_t out_size, bool merge_stderr, cf_error *err)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        cf_fail(err, CF_ERR_IO, "cannot create a pipe for %s: %s", argv[0], strerror(errno));
        return -1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        cf_fail(err, CF_ERR_IO, "cannot start %s: %s", argv[0], strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        dup2(pipefd[1], STDOUT_FILENO);
        if (merge_stderr)
            dup2(pipefd[1], STDERR_FILENO);
        else if (devnull >= 0)
            dup2(devnull, STDERR_FILENO);
        signal(SIGINT, SIG_DFL);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t used = 0;
    char sink[256];
    for (;;) {
        char *dst = sink;
        size_t room = sizeof(sink);
        if (out && used + 1 < out_size) {
            dst = out + used;
            room = out_size - 1 - used;
        }
        ssize_t r = read(pipefd[0], dst, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (dst != sink)
            used += (size_t)r;
    }
    close(pipefd[0]);
    if (out && out_size)
        out[used] = '\0';
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            cf_fail(err, CF_ERR_IO, "waiting for %s failed: %s", argv[0], strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        cf_fail(err, CF_ERR_NOT_FOUND, "%s is not installed (not found in PATH)", argv[0]);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
