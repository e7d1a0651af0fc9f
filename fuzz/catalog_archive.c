/* libFuzzer: extraction of arbitrary bytes as a (gzip) tar archive into a
 * folder. Whatever the input, nothing may be created outside the folder and
 * no link inside it may point out of it. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char parent[64], dest[96];

static void setup(void)
{
    if (parent[0])
        return;
    snprintf(parent, sizeof(parent), "/tmp/cf_fuzz_archive.XXXXXX");
    if (!mkdtemp(parent))
        abort();
    snprintf(dest, sizeof(dest), "%s/dest", parent);
}

/* The parent holds nothing but dest. */
static void check_parent(void)
{
    DIR *d = opendir(parent);
    if (!d)
        abort();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "dest"))
            abort();
    }
    closedir(d);
}

/* No symbolic link under dir is absolute or climbs with "..". */
static void check_links(const char *dir, int depth)
{
    if (depth > 64)
        abort();
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
            continue;
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlink(path, target, sizeof(target) - 1);
            if (n < 0)
                abort();
            target[n] = '\0';
            if (cf_archive_link_problem(target))
                abort();
        } else if (S_ISDIR(st.st_mode)) {
            check_links(path, depth + 1);
        } else if (!S_ISREG(st.st_mode)) {
            abort(); /* devices, fifos, sockets are never created */
        }
    }
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (mkdir(dest, 0755) != 0)
        abort();
    cf_extract_opts o = {.limits = {.max_total = 4u << 20, .max_entries = 512}};
    cf_error err = {0};
    cf_code rc = cf_archive_extract_memory(data, size, "fuzz.tar", dest, &o, &err);
    if (rc != CF_OK && err.message[0] == '\0')
        abort();
    check_parent();
    check_links(dest, 0);
    if (cf_remove_tree(dest, NULL) != CF_OK)
        abort();
    return 0;
}
