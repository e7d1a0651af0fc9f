/* Katapult - CAN and Katapult - USB menus. Their flashing arrives with the
 * Katapult layer; until it is wired in here, menu_katapult_available() is the
 * one place that says so, and the menus tell users plainly what to do. */
#include <stdio.h>

#include "menu/menu.h"

enum { A_DEVICE = 1, A_FIRMWARE, A_DFU, A_MAIN };

bool menu_katapult_available(void)
{
    return false;
}

static menu_page katapult_menu(menu_ctx *ctx, const char *link)
{
    scr_header(ctx);
    menu_show_selection(ctx);
    if (!menu_katapult_available()) {
        scr_warn("This build of cartoflash cannot flash over Katapult (%s) yet.", link);
        printf("To update now, use DFU: it needs the BOOT0 pads bridged (see the docs' via-DFU\n"
               "page), and flashes a combined image that also restores Katapult.\n");
    }
    menu m;
    menu_init(&m, "What would you like to do?");
    menu_add(&m, A_DEVICE, COL_NONE, "Find Cartographer Device");
    menu_add(&m, A_FIRMWARE, COL_NONE, "Select %s Firmware", link);
    menu_sep(&m);
    menu_add(&m, A_DFU, COL_NONE, "Use DFU instead");
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);

    for (bool first = true;; first = false) {
        int a = first ? menu_show(&m) : menu_ask(&m);
        switch (a) {
        case A_DEVICE:
        case A_FIRMWARE:
            scr_error("Katapult %s flashing is not in this build yet; choose %d to use DFU.", link,
                      menu_number_of(&m, A_DFU));
            continue;
        case A_DFU:
            ctx->mode = MODE_DFU;
            return PAGE_DFU;
        case A_MAIN:
            return PAGE_MAIN;
        case MENU_ACT_EXIT:
            return PAGE_EXIT;
        default:
            return PAGE_INTERRUPT;
        }
    }
}

menu_page page_katapult_can(menu_ctx *ctx)
{
    return katapult_menu(ctx, "CAN");
}

menu_page page_katapult_usb(menu_ctx *ctx)
{
    return katapult_menu(ctx, "USB");
}
