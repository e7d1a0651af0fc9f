/* DFU firmware list (dfu-firmware-select.png): combined images only, shown as
 * "<version dir>/<file>" plus what inspecting the bytes says; images that do
 * not fit the selected probe are marked and refused with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/safe.h"
#include "menu/menu.h"

enum { A_CHECK = 100, A_BACK, A_MAIN, A_PICK = 200 };

menu_page page_dfu_firmware(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("DFU Firmware Menu");

    menu_fw *list = NULL;
    size_t count = 0;
    cf_error err;
    cf_error_reset(&err);
    char sources[2048];
    cf_code rc = menu_fw_find(ctx, NULL, &list, &count, sources, sizeof(sources), &err);
    fputs(sources, stdout);
    if (rc != CF_OK)
        scr_cf_error(&err);
    if (count == 0 && rc == CF_OK) {
        scr_error("No combined firmware image was found.");
        printf("Clone cartographer-klipper into your home folder, or start cartoflash with\n"
               "--firmware-dir DIR or --firmware FILE.\n");
    }

    menu m;
    menu_init(&m, "Select Firmware");
    /* Refused images are listed, marked, when the list stays short; in a big
     * tree (or the whole download) they are counted instead, and "Show All
     * Firmware" lists them with their reasons. */
    size_t usable = 0;
    for (size_t i = 0; i < count; i++)
        usable += list[i].usable;
    bool show_refused = ctx->set.all_firmware || count <= 20;
    size_t shown = 0, hidden = 0;
    int map[MENU_MAX_ITEMS];
    for (size_t i = 0; i < count && m.count < MENU_MAX_ITEMS - 10; i++) {
        if (!list[i].usable && !show_refused) {
            hidden++;
            continue;
        }
        char line[sizeof(m.items[0].label)];
        menu_fw_item(&list[i], m.next_number, ctx->device_chip, line, sizeof(line));
        map[shown] = (int)i;
        menu_add(&m, A_PICK + (int)shown, list[i].usable ? COL_NONE : COL_RED, "%s", line);
        shown++;
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
    if (shown > 0)
        menu_sep(&m);
    menu_add(&m, A_CHECK, COL_NONE, "Check Again");
    menu_sep(&m);
    menu_add(&m, A_BACK, COL_NONE, "Back");
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);

    menu_page next;
    for (;;) {
        int a = menu_show(&m);
        if (a >= A_PICK && a < A_PICK + (int)shown) {
            const menu_fw *fw = &list[map[a - A_PICK]];
            if (!fw->usable) {
                menu_fw_explain_refusal(fw, "DFU");
                if (!term_pause(NULL)) {
                    next = PAGE_INTERRUPT;
                    break;
                }
                next = PAGE_DFU_FIRMWARE; /* draw the list again */
                break;
            }
            ctx->fw = *fw;
            ctx->have_firmware = true;
            menu_log(false, "firmware selected: %s (%s)", fw->path, fw->info.version);
            next = ctx->confirm_first && ctx->device[0] ? PAGE_DFU_CONFIRM : PAGE_DFU;
            break;
        }
        switch (a) {
        case A_CHECK:
            next = PAGE_DFU_FIRMWARE;
            break;
        case A_BACK:
            next = PAGE_DFU;
            break;
        case A_MAIN:
            next = PAGE_MAIN;
            break;
        case MENU_ACT_EXIT:
            next = PAGE_EXIT;
            break;
        default:
            next = PAGE_INTERRUPT;
            break;
        }
        break;
    }
    free(list);
    return next;
}
