#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Splits path into its folder ("." when there is none) and checks the name. */
static cf_code split_dir(const char *path, char *dir, size_t size, cf_error *err)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (slash && n == 0)
        n = 1; /* a file in / */
    if (!slash)
        return snprintf(dir, size, ".") >= (int)size ? CF_ERR_USAGE : CF_OK;
    if (slash[1] == '\0')
        return cf_fail(err, CF_ERR_USAGE, "%s names a folder, not a file", path);
    if (n >= size)
        return cf_fail(err, CF_ERR_USAGE, "path too long: %s", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    return CF_OK;
}

static cf_code fsync_dir(const char *dir, cf_error *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return cf_fail(err, CF_ERR_IO, "cannot open folder %s: %s", dir, strerror(errno));
    /* some file systems (e.g. vfat through FUSE) refuse fsync on a folder: EINVAL is not
     * a lost write, so only a real I/O error fails */
    int rc = fsync(dfd);
    int e = errno;
    close(dfd);
    if (rc != 0 && e != EINVAL && e != ENOTSUP)
        return cf_fail(err, CF_ERR_IO, "cannot flush folder %s: %s", dir, strerror(e));
    return CF_OK;
}

/* The temporary file gets a random name made by mkostemp, which creates it
 * with O_CREAT|O_EXCL: a symbolic link planted at any name in the folder is
 * never followed, and the name cannot be predicted. */
static cf_code write_temp(const char *path, const char *dir, const void *data, size_t size,
                          char *tmp, size_t tmp_size, cf_error *err)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (snprintf(tmp, tmp_size, "%s/.%s.XXXXXX", dir, base) >= (int)tmp_size)
        return cf_fail(err, CF_ERR_USAGE, "path too long: %s", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return cf_fail(err, errno == EACCES ? CF_ERR_ACCESS : CF_ERR_IO,
                       "cannot create a file in %s: %s", dir, strerror(errno));
    /* mkostemp makes the file 0600; the files written here (backups, settings, the udev
     * rule, cache records) are not secret, so they get 0644 less the umask, as open(2)
     * with 0644 would have given them. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0644 & ~mask) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return cf_fail(err, CF_ERR_IO, "cannot set the mode of %s: %s", tmp, strerror(e));
    }
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
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return cf_fail(err, CF_ERR_IO, "cannot flush %s: %s", tmp, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return cf_fail(err, CF_ERR_IO, "cannot flush %s: %s", tmp, strerror(e));
    }
    return CF_OK;
}

/* The first half of both writers: path's folder, and a temporary file in it
 * that holds data. */
static cf_code stage(const char *path, const void *data, size_t size, char *dir, size_t dir_size,
                     char *tmp, size_t tmp_size, cf_error *err)
{
    cf_code rc = split_dir(path, dir, dir_size, err);
    return rc == CF_OK ? write_temp(path, dir, data, size, tmp, tmp_size, err) : rc;
}

cf_code cf_write_file_atomic(const char *path, const void *data, size_t size, cf_error *err)
{
    char dir[4096], tmp[4200];
    cf_code rc = stage(path, data, size, dir, sizeof(dir), tmp, sizeof(tmp), err);
    if (rc != CF_OK)
        return rc;
    /* rename(2) replaces the name itself: a symbolic link at path is replaced, its
     * target is never written */
    if (rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        return cf_fail(err, CF_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(saved));
    }
    return fsync_dir(dir, err);
}

cf_code cf_write_file_new(const char *path, const void *data, size_t size, cf_error *err)
{
    char dir[4096], tmp[4200];
    cf_code rc = stage(path, data, size, dir, sizeof(dir), tmp, sizeof(tmp), err);
    if (rc != CF_OK)
        return rc;
    /* RENAME_NOREPLACE fails with EEXIST for any existing name, a symbolic link or a
     * dangling one included; link(2) does the same where renameat2 is missing. */
    int r = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
    if (r != 0 && (errno == ENOSYS || errno == EINVAL)) {
        r = link(tmp, path);
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    if (r != 0) {
        int saved = errno;
        unlink(tmp);
        if (saved == EEXIST) {
            cf_fail(err, CF_ERR_IO, "%s already exists; it was not replaced", path);
            cf_hint(err, "Move or remove it (it may be a link planted by someone else), or "
                         "choose another name.");
            return CF_ERR_IO;
        }
        return cf_fail(err, CF_ERR_IO, "cannot create %s: %s", path, strerror(saved));
    }
    return fsync_dir(dir, err);
}

cf_code cf_open_append_nofollow(const char *path, int *fd_out, cf_error *err)
{
    *fd_out = -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == ELOOP)
            return cf_fail(err, CF_ERR_IO, "%s is a symbolic link; it is not followed", path);
        return cf_fail(err, errno == EACCES ? CF_ERR_ACCESS : CF_ERR_IO, "cannot open %s: %s", path,
                       strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cf_fail(err, CF_ERR_IO, "%s is not a regular file", path);
    }
    *fd_out = fd;
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

bool cf_same_path(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (strcmp(a, b) == 0)
        return true;
    if (!realpath(a, ra) || !realpath(b, rb))
        return false;
    return strcmp(ra, rb) == 0;
}
