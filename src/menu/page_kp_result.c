/* How the Katapult flash went, and what can be done next. */
#include <stdio.h>

#include "common/safe.h"
#include "menu/menu.h"

enum { A_BACKR = 1, A_START_KLIPPER, A_MAINR };

menu_page page_kp_result(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page(ctx->kp_ok ? "Flashed Successfully" : "Flash Failed");
    if (ctx->kp_ok) {
        scr_success("Firmware flashed successfully to device!");
    } else {
        scr_cf_error(&ctx->flash_err);
        scr_label("Failed during:", "%s", cf_flash_phase_name(ctx->kp_failed_phase));
    }
    if (ctx->kp_result[0]) {
        /* two lines (what was written, then whether it came back): the
         * newline is ours, the rest quotes device strings and is filtered */
        char shown[sizeof(ctx->kp_result) * 4];
        printf("%s\n", cf_safe_text_buf(shown, sizeof(shown), ctx->kp_result));
    }
    if (ctx->klipper_stopped_by_us)
        printf("\nKlipper (%s) was stopped for the flash.\n", ctx->set.klipper_service);

    menu m;
    menu_init(&m, ctx->kp_ok ? "What next?" : "Options");
    if (!ctx->kp_ok) {
        menu_add(&m, MENU_ACT_GO(PAGE_KP_FLASH), COL_NONE, "Retry");
        menu_add(&m, A_BACKR, COL_NONE, "Back");
    }
    if (ctx->kp_ok && ctx->klipper_stopped_by_us)
        menu_add(&m, A_START_KLIPPER, COL_NONE, "Start Klipper again (%s)",
                 ctx->set.klipper_service);
    if (ctx->kp_ok)
        menu_add(&m, A_MAINR, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);
    int a = menu_show(&m);
    switch (a) {
    case A_BACKR:
        return menu_kp_back_page(ctx);
    case A_START_KLIPPER:
        return menu_klipper_restart(ctx) ? PAGE_KP_RESULT : PAGE_INTERRUPT;
    case A_MAINR:
        ctx->kp_have_fw = false;
        return PAGE_MAIN;
    default:
        return menu_next_page(a);
    }
}
