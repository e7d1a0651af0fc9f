/* Where the DFU firmware list comes from: the catalogue (catalog/catalog.h).
 * It reads --firmware-dir / the firmware_dir setting when given, else the
 * local cartographer-klipper / cartographer_firmware clones, else downloads
 * the branch's tarball (firmware.py's "Downloading tarball..."), and
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

static bool has_digit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return true;
    return false;
}

static void make_label(const char *path, char *out, size_t size)
{
    /* "<version dir>/<file>", as firmware.py lists combined firmware. A
     * variant folder inside a version ("5.1.0/HT/...") keeps the version too,
     * or the HT images of every version would look alike. */
    const char *file = strrchr(path, '/');
    file = file ? file + 1 : path;
    const char *dir_end = file > path ? file - 1 : path;
    const char *dir = dir_end;
    while (dir > path && dir[-1] != '/')
        dir--;
    if (dir < dir_end && !has_digit(dir, (size_t)(dir_end - dir)) && dir - 1 > path) {
        const char *up = dir - 1;
        while (up > path && up[-1] != '/')
            up--;
        if (up < dir - 1)
            dir = up;
    }
    if (dir < dir_end)
        snprintf(out, size, "%.*s/%s", (int)(dir_end - dir), dir, file);
    else
        menu_copy(out, size, file);
}

static void describe(const menu_fw *fw, bool with_mcu, char *out, size_t size)
{
    const cf_image_info *in = &fw->info;
    const char *ver = in->version;
    if (strncasecmp(ver, "CARTOGRAPHER ", 13) == 0)
        ver += 13;
    char link[48] = "";
    if (in->kind == CF_KIND_DEPLOYER && in->iface != CF_IFACE_UNKNOWN)
        snprintf(link, sizeof(link), "installs Katapult for %s",
                 in->iface == CF_IFACE_CAN ? "CAN" : "USB");
    else if (in->iface == CF_IFACE_CAN && in->can_bitrate)
        snprintf(link, sizeof(link), "CAN %u", in->can_bitrate);
    else if (in->iface == CF_IFACE_CAN)
        snprintf(link, sizeof(link), "CAN");
    else if (in->iface == CF_IFACE_USB)
        snprintf(link, sizeof(link), "USB");
    else
        snprintf(link, sizeof(link), "USB/CAN unknown");
    snprintf(out, size, "%s, %s%s%s", ver[0] ? ver : "version unknown", link, with_mcu ? ", " : "",
             !with_mcu                    ? ""
             : cf_image_target_mcu(in)[0] ? cf_image_target_mcu(in)
                                          : "chip unknown");
}

void menu_fw_describe(const menu_fw *fw, char *out, size_t size)
{
    describe(fw, true, out, size);
}

void menu_fw_item(const menu_fw *fw, int number, const char *chip, char *out, size_t size)
{
    char desc[160], tag[64] = "";
    describe(fw, true, desc, sizeof(desc));
    if (!fw->usable)
        snprintf(tag, sizeof(tag), " [refused%s%s]", fw->tag[0] ? ": " : "", fw->tag);
    /* " 12. " before the label, as menu_render() prints it */
    int prefix = snprintf(NULL, 0, " %d. ", number);
    int n = snprintf(out, size, "%s  (%s)%s", fw->label, desc, tag);
    if (prefix + n > MENU_WIDTH && chip && chip[0] &&
        strcasecmp(chip, cf_image_target_mcu(&fw->info)) == 0) {
        /* the page says which chip the list is for */
        describe(fw, false, desc, sizeof(desc));
        n = snprintf(out, size, "%s  (%s)%s", fw->label, desc, tag);
    }
    if (!fw->usable && prefix + n > MENU_WIDTH)
        snprintf(out, size, "%s %s", fw->label, tag);
}

void menu_fw_explain_refusal(const menu_fw *fw, const char *via)
{
    char desc[160];
    menu_fw_describe(fw, desc, sizeof(desc));
    scr_error("%s (%s) cannot be flashed over %s: %s.", fw->label, desc, via,
              fw->why[0] ? fw->why : "unknown reason");
    if (fw->fix[0])
        printf("%s\n", fw->fix);
}

/* The catalogue's reason in a few words, and the setting that changes it, in
 * the order cf_catalog_match() checks (the catalogue's reason stays the full
 * one, shown when the image is chosen). */
static void refusal_tag(const cf_catalog_entry *e, const cf_catalog_filter *f,
                        cf_image_kind want_kind, menu_fw *out)
{
    int toggle = -1;
    bool image_has = false;
    if (e->kind != want_kind)
        snprintf(out->tag, sizeof(out->tag), "%s image", cf_image_kind_name(e->kind));
    else if (f->mcu && f->mcu[0] && strcmp(e->mcu, f->mcu) != 0)
        snprintf(out->tag, sizeof(out->tag), "for %s", e->mcu[0] ? e->mcu : "an unknown MCU");
    else if (f->iface != CF_IFACE_UNKNOWN && e->iface != f->iface)
        snprintf(out->tag, sizeof(out->tag), "%s image",
                 e->iface == CF_IFACE_CAN   ? "CAN"
                 : e->iface == CF_IFACE_USB ? "USB"
                                            : "link unknown");
    else if (f->bitrate && e->iface == CF_IFACE_CAN && e->bitrate != f->bitrate)
        snprintf(out->tag, sizeof(out->tag), "%s",
                 e->bitrate ? "other bitrate" : "bitrate unknown");
    else if (e->kseries != f->kseries) {
        snprintf(out->tag, sizeof(out->tag), "%s", e->kseries ? "K-series image" : "not K-series");
        toggle = TOGGLE_KSERIES;
        image_has = e->kseries;
    } else if (e->lite != f->lite)
        snprintf(out->tag, sizeof(out->tag), "%s", e->lite ? "lite image" : "not lite");
    else if (e->high_temp != f->high_temp) {
        snprintf(out->tag, sizeof(out->tag), "%s", e->high_temp ? "HT image" : "not HT");
        toggle = TOGGLE_HIGH_TEMP;
        image_has = e->high_temp;
    }
    if (toggle >= 0)
        snprintf(out->fix, sizeof(out->fix), "To flash it, choose \"%s %s\" in advanced mode%s.",
                 image_has ? "Enable" : "Disable", menu_toggle_name((menu_toggle)toggle),
                 !image_has                 ? ""
                 : toggle == TOGGLE_KSERIES ? " (or start cartoflash with -k)"
                                            : " (or start cartoflash with -H)");
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
        if (rc != CF_OK) {
            menu_copy(out->why, sizeof(out->why), err.message);
            const cf_image_info *in = &out->info;
            if (in->kind != CF_KIND_APP && in->kind != CF_KIND_DEPLOYER)
                snprintf(out->tag, sizeof(out->tag), "%s image", cf_image_kind_name(in->kind));
            else if (in->iface != want->iface && in->iface != CF_IFACE_UNKNOWN)
                snprintf(out->tag, sizeof(out->tag), "%s image",
                         in->iface == CF_IFACE_CAN ? "CAN" : "USB");
            else if (in->iface == CF_IFACE_CAN && want->bitrate && in->can_bitrate != want->bitrate)
                snprintf(out->tag, sizeof(out->tag), "other bitrate");
        } else {
            out->usable = true;
        }
        return;
    }
    cf_image_free(&img);

    const cf_image_info *in = &out->info;
    if (in->kind != CF_KIND_COMBINED) {
        snprintf(out->why, sizeof(out->why),
                 "not a combined image (it is %s %s image): DFU writes from 0x08000000 and "
                 "needs Katapult and Cartographer in one file",
                 in->kind == CF_KIND_APP || in->kind == CF_KIND_UNKNOWN ? "an" : "a",
                 cf_image_kind_name(in->kind));
        snprintf(out->tag, sizeof(out->tag), "%s image", cf_image_kind_name(in->kind));
    } else if (in->load_address != FLASH_START) {
        snprintf(out->why, sizeof(out->why), "starts at 0x%08X, not at the start of flash",
                 in->load_address);
        snprintf(out->tag, sizeof(out->tag), "not at 0x%08X", FLASH_START);
    } else if (ctx && ctx->device_chip[0] && in->mcu[0] &&
               strcasecmp(ctx->device_chip, in->mcu) != 0) {
        snprintf(out->why, sizeof(out->why), "built for %s, the selected probe is %s", in->mcu,
                 ctx->device_chip);
        snprintf(out->tag, sizeof(out->tag), "for %s", in->mcu);
    } else {
        out->usable = true;
    }
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
        /* a deployer may install Katapult for either link, whichever it is sent over */
        .iface = kp && !ctx->set.katapult_type ? want->iface : CF_IFACE_UNKNOWN,
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
        size_t k = 0, left_out = 0;
        if (!out)
            rc = cf_fail(err, CF_ERR_NOMEM, "out of memory");
        for (size_t i = 0; out && i < n; i++) {
            /* DFU writes from the start of flash: combined images only. Other
             * kinds are listed only with "Show All Firmware", refused. */
            if (e[i].kind != kind && !ctx->set.all_firmware)
                continue;
            if (k >= FW_MAX) { /* usable ones come first, newest first */
                left_out++;
                continue;
            }
            char label[256];
            make_label(e[i].rel_path, label, sizeof(label));
            menu_fw_examine(ctx, want, e[i].abs_path, label, &out[k]);
            if (e[i].excluded && out[k].usable) {
                out[k].usable = false;
                menu_copy(out[k].why, sizeof(out[k].why), e[i].reason);
                refusal_tag(&e[i], &f, kind, &out[k]);
            }
            k++;
        }
        *list = out;
        *count = out ? k : 0;
        if (left_out) {
            char note[160];
            snprintf(note, sizeof(note),
                     "The first %d are listed; %zu more (older, or refused) are left out.", FW_MAX,
                     left_out);
            add_line(sources, sources_size, "%s%s\n", note, "");
        }
    }
    cf_catalog_free_list(e);
    cf_catalog_close(cat);
    return rc;
}
