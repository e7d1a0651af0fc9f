/* Where the DFU firmware list comes from.
 *
 * Until the catalogue (catalog/catalog.h) is wired in, this scans folders on
 * this machine: the --firmware-dir / firmware_dir setting, and the combined
 * firmware trees of a cartographer-klipper or cartographer_firmware clone in
 * the home folder. Every file is loaded and inspected (image/image.h), so what
 * the list shows comes from the bytes, not from the file name.
 * menu_fw_find() is the one function to swap for the catalogue. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "menu/menu.h"

#define FW_MAX 48
#define SCAN_DEPTH 3
#define FLASH_START 0x08000000u

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && strcasecmp(name + n - s, suffix) == 0;
}

static void make_label(const char *path, char *out, size_t size)
{
    /* "<version dir>/<file>", as the old script listed combined firmware */
    const char *file = strrchr(path, '/');
    file = file ? file + 1 : path;
    const char *dir_end = file > path ? file - 1 : path;
    const char *dir = dir_end;
    while (dir > path && dir[-1] != '/')
        dir--;
    if (dir < dir_end)
        snprintf(out, size, "%.*s/%s", (int)(dir_end - dir), dir, file);
    else
        menu_copy(out, size, file);
}

void menu_fw_describe(const menu_fw *fw, char *out, size_t size)
{
    const cf_image_info *in = &fw->info;
    const char *ver = in->version;
    if (strncasecmp(ver, "CARTOGRAPHER ", 13) == 0)
        ver += 13;
    char link[48] = "";
    if (in->iface == CF_IFACE_CAN)
        snprintf(link, sizeof(link), "CAN %u", in->can_bitrate);
    else if (in->iface == CF_IFACE_USB)
        snprintf(link, sizeof(link), "USB");
    else
        snprintf(link, sizeof(link), "USB/CAN unknown");
    snprintf(out, size, "%s, %s, %s", ver[0] ? ver : "version unknown", link,
             in->mcu[0] ? in->mcu : "chip unknown");
}

void menu_fw_examine(const menu_ctx *ctx, const char *path, const char *label, menu_fw *out)
{
    memset(out, 0, sizeof(*out));
    menu_copy(out->path, sizeof(out->path), path);
    if (label)
        menu_copy(out->label, sizeof(out->label), label);
    else
        make_label(path, out->label, sizeof(out->label));

    cf_image img;
    cf_error err;
    cf_error_reset(&err);
    cf_image_load_opts opts = {.default_address = FLASH_START};
    if (cf_image_load(path, &opts, &img, &err) != CF_OK) {
        menu_copy(out->why, sizeof(out->why), err.message);
        return;
    }
    cf_image_inspect(&img, &out->info);
    cf_image_free(&img);
    out->loadable = true;

    const cf_image_info *in = &out->info;
    if (in->kind != CF_KIND_COMBINED)
        snprintf(out->why, sizeof(out->why),
                 "not a combined image (it is a %s image): DFU writes from 0x08000000 and "
                 "needs Katapult and Cartographer in one file",
                 cf_image_kind_name(in->kind));
    else if (in->load_address != FLASH_START)
        snprintf(out->why, sizeof(out->why), "starts at 0x%08X, not at the start of flash",
                 in->load_address);
    else if (ctx && ctx->device_chip[0] && in->mcu[0] && strcasecmp(ctx->device_chip, in->mcu) != 0)
        snprintf(out->why, sizeof(out->why), "built for %s, the selected probe is %s", in->mcu,
                 ctx->device_chip);
    else
        out->usable = true;
}

typedef struct fw_vec {
    menu_fw *items;
    size_t count;
    char seen[FW_MAX * 4][PATH_MAX];
    size_t seen_count;
} fw_vec;

static bool wanted_by_filters(const menu_ctx *ctx, const char *path)
{
    /* The old script listed every combined image for DFU (it forced "all
     * firmware"); the K-series and high-temp toggles narrow the list. */
    const menu_settings *s = &ctx->set;
    if (s->all_firmware)
        return true;
    if (s->kseries && !strstr(path, "K1"))
        return false;
    if (s->high_temp && !strstr(path, "HT"))
        return false;
    return true;
}

static void add_file(const menu_ctx *ctx, fw_vec *v, const char *path)
{
    if (v->count >= FW_MAX || !wanted_by_filters(ctx, path))
        return;
    char real[PATH_MAX];
    if (!realpath(path, real))
        return;
    for (size_t i = 0; i < v->seen_count; i++)
        if (strcmp(v->seen[i], real) == 0)
            return;
    if (v->seen_count < sizeof(v->seen) / sizeof(v->seen[0]))
        menu_copy(v->seen[v->seen_count++], sizeof(v->seen[0]), real);

    menu_fw fw;
    menu_fw_examine(ctx, path, NULL, &fw);
    /* The DFU list shows combined images only; other files are someone else's job. */
    if (!fw.loadable || fw.info.kind != CF_KIND_COMBINED)
        return;
    v->items[v->count++] = fw;
}

static void scan(const menu_ctx *ctx, fw_vec *v, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
            continue;
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth > 0)
                scan(ctx, v, path, depth - 1);
        } else if (S_ISREG(st.st_mode) &&
                   (has_suffix(e->d_name, ".bin") || has_suffix(e->d_name, ".hex") ||
                    has_suffix(e->d_name, ".dfu"))) {
            add_file(ctx, v, path);
        }
    }
    closedir(d);
}

static int by_label(const void *a, const void *b)
{
    return strverscmp(((const menu_fw *)a)->label, ((const menu_fw *)b)->label);
}

cf_code menu_fw_find(const menu_ctx *ctx, menu_fw **list, size_t *count, cf_error *err)
{
    fw_vec *v = calloc(1, sizeof(*v));
    if (!v)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    v->items = calloc(FW_MAX, sizeof(menu_fw));
    if (!v->items) {
        free(v);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    }
    const char *home = getenv("HOME");
    static const char *const clones[] = {
        "cartographer-klipper/firmware/v2-v3/combined-firmware",
        "cartographer_firmware/firmware/v2-v3/combined-firmware",
        "cartographer_firmware/firmware/v4/combined-firmware",
    };
    if (ctx->set.firmware_dir[0])
        scan(ctx, v, ctx->set.firmware_dir, SCAN_DEPTH);
    for (size_t i = 0; home && home[0] == '/' && i < sizeof(clones) / sizeof(clones[0]); i++) {
        char dir[PATH_MAX];
        if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", home, clones[i]) < sizeof(dir))
            scan(ctx, v, dir, SCAN_DEPTH);
    }
    qsort(v->items, v->count, sizeof(menu_fw), by_label);
    *list = v->items;
    *count = v->count;
    free(v);
    return CF_OK;
}
