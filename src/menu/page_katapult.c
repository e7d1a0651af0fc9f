/* Katapult - CAN and Katapult - USB: firmware.py's menus for flashing
 * through the Katapult layer (katapult/katapult.h). The next pages find the
 * probe (page_kp_device.c), pick an application image (page_kp_firmware.c),
 * confirm (page_kp_confirm.c), flash (page_kp_flash.c) and say how it went
 * (page_kp_result.c). */

#include "menu/menu.h"

static void enter(menu_ctx *ctx, menu_flash_mode via)
{
    if (ctx->kp_via != via) { /* a CAN selection means nothing to the USB menu */
        ctx->kp_via = via;
        ctx->kp_device[0] = '\0';
        ctx->kp_have_fw = false;
    }
}

static menu_page katapult_menu(menu_ctx *ctx, menu_flash_mode via)
{
    enter(ctx, via);
    scr_header(ctx);
    if (ctx->kp_device[0])
        scr_label("Device Selected:", "%s", ctx->kp_label);
    if (ctx->kp_have_fw)
        scr_label("Firmware Selected:", "%s", ctx->kp_fw.label);

    menu m;
    menu_init(&m, "What would you like to do?");
    menu_add(&m, MENU_ACT_GO(PAGE_KP_DEVICE), COL_NONE, "Find Cartographer Device");
    menu_add(&m, MENU_ACT_GO(PAGE_KP_FIRMWARE), COL_NONE, "Select %s Firmware",
             menu_kp_via_name(ctx));
    if (ctx->kp_device[0] && ctx->kp_have_fw) {
        menu_sep(&m);
        menu_add(&m, MENU_ACT_GO(PAGE_KP_CONFIRM), COL_NONE, "Flash Selected Firmware");
    }
    menu_add_footer(&m, MENU_ACT_NONE, MENU_ACT_GO(PAGE_MAIN), NULL);

    return menu_next_page(menu_show(&m));
}

menu_page page_katapult_can(menu_ctx *ctx)
{
    return katapult_menu(ctx, MODE_CAN);
}

menu_page page_katapult_usb(menu_ctx *ctx)
{
    return katapult_menu(ctx, MODE_USB);
}
