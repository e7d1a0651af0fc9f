/* DFU firmware list (dfu-firmware-select.png): combined images only, shown as
 * "<version dir>/<file>" plus what inspecting the bytes says; images that do
 * not fit the selected probe are marked and refused with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/safe.h"
#include "menu/menu.h"

enum { A_PICK = 200 };

/* The firmware list as shown: which image each numbered item is. */
typedef struct fw_list {
    menu m;
    int map[MENU_MAX_ITEMS]; /* item A_PICK + k is list[map[k]] */
    size_t shown;
} fw_list;

/* Finds the images and says where they came from (or why there are none). */
static void find_firmware(menu_ctx *ctx, menu_fw **list, size_t *count)
{
    cf_error err;
    cf_error_reset(&err);
    char sources[2048];
    cf_code rc = menu_fw_find(ctx, NULL, list, count, sources, sizeof(sources), &err);
    fputs(sources, stdout);
    if (rc != CF_OK)
        scr_cf_error(&err);
    if (*count == 0 && rc == CF_OK) {
        scr_error("No combined firmware image was found.");
        printf("Clone cartographer-klipper into your home folder, or start cartoflash with\n"
               "--firmware-dir DIR or --firmware FILE.\n");
    }
}

/* Refused images are listed, marked, when the list stays short; in a big
 * tree (or the whole download) they are counted instead, and "Show All
 * Firmware" lists them with their reasons. */
static void build_list(const menu_ctx *ctx, const menu_fw *list, size_t count, fw_list *l)
{
    menu_init(&l->m, "Select Firmware");
    size_t usable = 0;
    for (size_t i = 0; i < count; i++)
        usable += list[i].usable;
    bool show_refused = ctx->set.all_firmware || count <= 20;
    size_t hidden = 0;
    l->shown = 0;
    for (size_t i = 0; i < count && l->m.count < MENU_MAX_ITEMS - 10; i++) {
        if (!list[i].usable && !show_refused) {
            hidden++;
            continue;
        }
        char line[sizeof(l->m.items[0].label)];
        menu_fw_item(&list[i], l->m.next_number, ctx->device_chip, line, sizeof(line));
        l->map[l->shown] = (int)i;
        menu_add(&l->m, A_PICK + (int)l->shown, list[i].usable ? COL_NONE : COL_RED, "%s", line);
        l->shown++;
    }
    if (ctx->device_chip[0])
        printf("Selected probe: %s, %s.\n", cf_safe(ctx->device_label), ctx->device_chip);
    if (show_refused && usable < count)
        printf("Images marked [refused] cannot be flashed with these settings; choose one to see "
               "why.\n");
    if (hidden)
        printf("%zu usable; %zu more that do not fit this probe or its settings are hidden\n"
               "(advanced mode: Show All Firmware).\n",
               usable, hidden);
    if (l->shown > 0)
        menu_sep(&l->m);
    menu_add(&l->m, MENU_ACT_GO(PAGE_DFU_FIRMWARE), COL_NONE, "Check Again");
    menu_add_footer(&l->m, MENU_ACT_GO(PAGE_DFU), MENU_ACT_GO(PAGE_MAIN), NULL);
}

/* A refused image says why and the list is drawn again; a usable one is chosen. */
static menu_page pick(menu_ctx *ctx, const menu_fw *fw)
{
    if (!fw->usable) {
        menu_fw_explain_refusal(fw, "DFU");
        return term_pause(NULL) ? PAGE_DFU_FIRMWARE : PAGE_INTERRUPT;
    }
    ctx->fw = *fw;
    ctx->have_firmware = true;
    menu_log(false, "firmware selected: %s (%s)", fw->path, fw->info.version);
    return ctx->confirm_first && ctx->device[0] ? PAGE_DFU_CONFIRM : PAGE_DFU;
}

menu_page page_dfu_firmware(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("DFU Firmware Menu");
    menu_fw *list = NULL;
    size_t count = 0;
    find_firmware(ctx, &list, &count);
    fw_list l;
    build_list(ctx, list, count, &l);
    int a = menu_show(&l.m);
    menu_page next = menu_next_page(a);
    if (a >= A_PICK && a < A_PICK + (int)l.shown)
        next = pick(ctx, &list[l.map[a - A_PICK]]);
    free(list);
    return next;
}
