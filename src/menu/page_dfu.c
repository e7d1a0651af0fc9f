/* DFU menu (dfu-menu.png, dfu-both-selected.png): what is selected, then
 * 1. Find Cartographer Device, 2. Find DFU Firmware, "Flash Selected Firmware"
 * once both are chosen, Back to main menu, 0. Exit. */
#include <stdio.h>

#include "menu/menu.h"

static void show_selection(const menu_ctx *ctx)
{
    if (ctx->device[0])
        scr_label("Device Selected:", "%s", ctx->device_label);
    if (ctx->have_firmware)
        scr_label("Firmware Selected:", "%s", ctx->fw.label);
}

menu_page page_dfu(menu_ctx *ctx)
{
    ctx->confirm_first = false;
    scr_header(ctx);
    show_selection(ctx);

    menu m;
    menu_init(&m, "What would you like to do?");
    menu_add(&m, MENU_ACT_GO(PAGE_DFU_DEVICE), COL_NONE, "Find Cartographer Device");
    menu_add(&m, MENU_ACT_GO(PAGE_DFU_FIRMWARE), COL_NONE, "Find DFU Firmware");
    if (ctx->device[0] && ctx->have_firmware) {
        menu_sep(&m);
        menu_add(&m, MENU_ACT_GO(PAGE_DFU_CONFIRM), COL_NONE, "Flash Selected Firmware");
    }
    menu_add_footer(&m, MENU_ACT_NONE, MENU_ACT_GO(PAGE_MAIN), NULL);

    return menu_next_page(menu_show(&m));
}
