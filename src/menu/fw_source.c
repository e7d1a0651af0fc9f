/* Where the DFU firmware list comes from: the catalogue (catalog/catalog.h).
 * It reads --firmware-dir / the firmware_dir setting when given, else the
 * local cartographer-klipper / cartographer_firmware clones, else downloads
 * the branch's tarball (the old script's "Downloading tarball..."), and
 * classifies every file by its content. The list keeps combined images only;
 * the ones the catalogue excludes (another chip, another variant) stay in the
 * list, marked and refused with the catalogue's reason. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "katapult/katapult.h"
#include "menu/menu.h"

#define FW_MAX 48
#define FLASH_START 0x08000000u
#define KATAPULT_APP_START 0x08002000u

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

void menu_fw_examine(const menu_ctx *ctx, const menu_fw_want *want, const char *path,
                     const char *label, menu_fw *out)
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
    bool kp = want && want->katapult;
    cf_image_load_opts opts = {.default_address = kp ? KATAPULT_APP_START : FLASH_START};
    if (cf_image_load(path, &opts, &img, &err) != CF_OK) {
        menu_copy(out->why, sizeof(out->why), err.message);
        return;
    }
    cf_image_inspect(&img, &out->info);
    out->loadable = true;
    if (kp) {
        /* Katapult's own image gates: app image, interface, CAN bitrate */
        cf_image_info info;
        cf_error_reset(&err);
        cf_code rc = cf_kp_check_image(&img, want->iface, want->bitrate, false, &info, &err);
        if (rc == CF_ERR_GATE && want->iface == CF_IFACE_CAN && !want->bitrate)
            rc = CF_OK; /* bitrate unknown: the flash itself explains */
        cf_image_free(&img);
        if (rc != CF_OK)
            menu_copy(out->why, sizeof(out->why), err.message);
        else
            out->usable = true;
        return;
    }
    cf_image_free(&img);

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

/* Download progress, drawn in place ("Downloading firmware: 120 KiB of 800 KiB"). */
static bool on_download(void *user, const char *what, uint64_t done, uint64_t total)
{
    (void)user;
    if (scr_tty())
        printf("\r\033[K");
    printf("Downloading %s: %llu KiB", what, (unsigned long long)(done / 1024));
    if (total)
        printf(" of %llu KiB", (unsigned long long)(total / 1024));
    if (!scr_tty())
        fputc('\n', stdout);
    fflush(stdout);
    return !term_interrupted();
}

static void add_line(char *out, size_t size, const char *fmt, const char *a, const char *b)
{
    size_t used = strlen(out);
    if (used < size)
        snprintf(out + used, size - used, fmt, a, b);
}

cf_code menu_fw_find(const menu_ctx *ctx, const menu_fw_want *want, menu_fw **list, size_t *count,
                     char *sources, size_t sources_size, cf_error *err)
{
    bool kp = want && want->katapult;
    cf_image_kind kind = !kp                      ? CF_KIND_COMBINED
                         : ctx->set.katapult_type ? CF_KIND_DEPLOYER
                                                  : CF_KIND_APP;
    *list = NULL;
    *count = 0;
    sources[0] = '\0';
    cf_catalog_opts opts = {
        .source = ctx->set.firmware_dir[0] ? ctx->set.firmware_dir : NULL,
        .branch = ctx->set.branch,
        .progress = on_download,
    };
    cf_catalog *cat = NULL;
    cf_code rc = cf_catalog_open(&opts, &cat, err);
    if (scr_tty())
        printf("\r\033[K");
    if (rc != CF_OK)
        return rc;
    for (size_t i = 0; i < cf_catalog_root_count(cat); i++) {
        const cf_catalog_root *r = cf_catalog_root_at(cat, i);
        add_line(sources, sources_size, "Firmware from %s%s\n", r->label, "");
        if (r->note[0])
            add_line(sources, sources_size, "  %s%s\n", r->note, "");
    }
    if (cf_catalog_warnings(cat)[0])
        add_line(sources, sources_size, "Note: %s%s\n", cf_catalog_warnings(cat), "");

    cf_catalog_filter f = {
        .mode = !kp                      ? CF_CATALOG_DFU
                : ctx->set.katapult_type ? CF_CATALOG_DEPLOYER
                                         : CF_CATALOG_KATAPULT,
        .mcu = kp ? "" : ctx->device_chip,
        .iface = kp ? want->iface : CF_IFACE_UNKNOWN,
        .bitrate = kp ? want->bitrate : 0,
        .high_temp = ctx->set.high_temp,
        .kseries = ctx->set.kseries,
        .all = true, /* excluded images come back with their reason */
    };
    cf_catalog_entry *e = NULL;
    size_t n = 0;
    rc = cf_catalog_list(cat, &f, &e, &n, err);
    if (rc == CF_OK) {
        menu_fw *out = calloc(n ? n : 1, sizeof(*out));
        size_t k = 0;
        if (!out)
            rc = cf_fail(err, CF_ERR_NOMEM, "out of memory");
        for (size_t i = 0; out && i < n && k < FW_MAX; i++) {
            /* DFU writes from the start of flash: combined images only. Other
             * kinds are listed only with "Show All Firmware", refused. */
            if (e[i].kind != kind && !ctx->set.all_firmware)
                continue;
            char label[256];
            make_label(e[i].rel_path, label, sizeof(label));
            menu_fw_examine(ctx, want, e[i].abs_path, label, &out[k]);
            if (e[i].excluded && out[k].usable) {
                out[k].usable = false;
                menu_copy(out[k].why, sizeof(out[k].why), e[i].reason);
            }
            k++;
        }
        *list = out;
        *count = out ? k : 0;
    }
    cf_catalog_free_list(e);
    cf_catalog_close(cat);
    return rc;
}
