#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cf_code cf_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size, cf_error *err)
{
    *data = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cf_code code = errno == ENOENT   ? CF_ERR_NOT_FOUND
                       : errno == EACCES ? CF_ERR_ACCESS
                                         : CF_ERR_IO;
        return cf_fail(err, code, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cf_fail(err, CF_ERR_IO, "%s is not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_size) {
        close(fd);
        return cf_fail(err, CF_ERR_FORMAT, "%s is %lld bytes, more than the %zu allowed", path,
                       (long long)st.st_size, max_size);
    }
    size_t want = (size_t)st.st_size;
    uint8_t *buf = malloc(want ? want : 1);
    if (!buf) {
        close(fd);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            close(fd);
            return cf_fail(err, CF_ERR_IO, "cannot read %s: %s", path,
                           n < 0 ? strerror(errno) : "file shrank while reading");
        }
        got += (size_t)n;
    }
    close(fd);
    *data = buf;
    *size = got;
    return CF_OK;
}

cf_code cf_write_file_atomic(const char *path, const void *data, size_t size, cf_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return cf_fail(err, CF_ERR_USAGE, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return cf_fail(err, errno == EACCES ? CF_ERR_ACCESS : CF_ERR_IO, "cannot create %s: %s",
                       tmp, strerror(errno));
    const uint8_t *p = data;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, p + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            unlink(tmp);
            return cf_fail(err, CF_ERR_IO, "cannot write %s: %s", tmp, strerror(saved));
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return cf_fail(err, CF_ERR_IO, "cannot flush %s: %s", tmp, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        return cf_fail(err, CF_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(saved));
    }
    return CF_OK;
}

cf_code cf_mkdirs(const char *path, unsigned mode, cf_error *err)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf))
        return cf_fail(err, CF_ERR_USAGE, "bad folder path '%s'", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
                return cf_fail(err, errno == EACCES ? CF_ERR_ACCESS : CF_ERR_IO,
                               "cannot create folder %s: %s", buf, strerror(errno));
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    return CF_OK;
}

cf_code cf_xdg_dir(const char *kind, char *out, size_t out_size, cf_error *err)
{
    const char *env_name = NULL, *fallback = NULL;
    if (strcmp(kind, "cache") == 0) {
        env_name = "XDG_CACHE_HOME";
        fallback = ".cache";
    } else if (strcmp(kind, "state") == 0) {
        env_name = "XDG_STATE_HOME";
        fallback = ".local/state";
    } else if (strcmp(kind, "config") == 0) {
        env_name = "XDG_CONFIG_HOME";
        fallback = ".config";
    } else {
        return cf_fail(err, CF_ERR_USAGE, "unknown XDG folder kind '%s'", kind);
    }
    const char *base = getenv(env_name);
    int n;
    /* The XDG spec says relative values are invalid and must be ignored. */
    if (base && base[0] == '/') {
        n = snprintf(out, out_size, "%s/cartoflash", base);
    } else {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/')
            return cf_fail(err, CF_ERR_NOT_FOUND, "neither $%s nor $HOME is set", env_name);
        n = snprintf(out, out_size, "%s/%s/cartoflash", home, fallback);
    }
    if (n < 0 || (size_t)n >= out_size)
        return cf_fail(err, CF_ERR_USAGE, "XDG %s path too long", kind);
    return CF_OK;
}
