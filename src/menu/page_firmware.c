/* DFU firmware list (dfu-firmware-select.png): combined images only, shown as
 * "<version dir>/<file>" plus what inspecting the bytes says; images that do
 * not fit the selected probe are marked and refused with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "menu/menu.h"

enum { A_CHECK = 100, A_BACK, A_MAIN, A_PICK = 200 };

static void print_sources(const menu_ctx *ctx)
{
    if (ctx->set.firmware_dir[0])
        printf("Looking in %s\n", ctx->set.firmware_dir);
    printf("Looking in ~/cartographer-klipper and ~/cartographer_firmware (combined-firmware)\n");
}

menu_page page_dfu_firmware(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("DFU Firmware Menu");
    print_sources(ctx);

    menu_fw *list = NULL;
    size_t count = 0;
    cf_error err;
    cf_error_reset(&err);
    if (menu_fw_find(ctx, &list, &count, &err) != CF_OK)
        scr_cf_error(&err);
    if (count == 0) {
        scr_error("No combined firmware image was found.");
        printf("Clone cartographer-klipper into your home folder, or start cartoflash with\n"
               "--firmware-dir DIR or --firmware FILE.\n");
    } else if (ctx->device_chip[0]) {
        printf("Images that do not fit the selected probe (%s) are marked.\n", ctx->device_chip);
    }

    menu m;
    menu_init(&m, "Select Firmware");
    size_t shown = 0;
    for (size_t i = 0; i < count && m.count < MENU_MAX_ITEMS - 10; i++, shown++) {
        char desc[160];
        menu_fw_describe(&list[i], desc, sizeof(desc));
        if (list[i].usable)
            menu_add(&m, A_PICK + (int)i, COL_NONE, "%s  (%s)", list[i].label, desc);
        else
            menu_add(&m, A_PICK + (int)i, COL_RED, "%s  (%s) [refused]", list[i].label, desc);
    }
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
            const menu_fw *fw = &list[a - A_PICK];
            if (!fw->usable) {
                scr_error("%s cannot be flashed over DFU: %s.", fw->label, fw->why);
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
