/* What the pages share about the session: the USB backend, opened on first
 * use, the names of the flashing modes and where an answer leads. */
#include "menu/menu.h"

const char *menu_mode_name(menu_flash_mode m)
{
    switch (m) {
    case MODE_CAN:
        return "CAN";
    case MODE_USB:
        return "USB";
    case MODE_DFU:
        return "DFU";
    case MODE_NONE:
        break;
    }
    return "";
}

cf_usb_backend *menu_backend(menu_ctx *ctx)
{
    if (ctx->be)
        return ctx->be;
    cf_error err;
    cf_error_reset(&err);
    if (cf_front_open_backend(ctx->cli, &ctx->be, &err) != CF_OK) {
        ctx->be = NULL;
        scr_cf_error(&err);
        menu_log(false, "opening the USB backend failed: %s", err.message);
        return NULL;
    }
    menu_log(false, "USB backend opened%s", ctx->cli->simulate ? " (simulated probe)" : "");
    return ctx->be;
}

menu_page menu_next_page(int action)
{
    int target = menu_go_target(action);
    if (target >= 0 && target < PAGE_COUNT)
        return (menu_page)target;
    return action == MENU_ACT_EXIT ? PAGE_EXIT : PAGE_INTERRUPT;
}
