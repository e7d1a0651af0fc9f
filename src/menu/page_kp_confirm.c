/* Confirm a Katapult flash. */
#include <stdio.h>
#include <stdlib.h>

#include "common/safe.h"
#include "katapult/katapult.h"
#include "menu/menu.h"

enum { A_YES = 1, A_NO };

menu_page page_kp_confirm(menu_ctx *ctx)
{
    scr_header(ctx);
    char title[48];
    snprintf(title, sizeof(title), "Confirm %s Flash", menu_kp_via_name(ctx));
    scr_page(title);
    scr_label("Device to Flash:", "%s", ctx->kp_label);
    scr_label("Firmware to Flash:", "%s", ctx->kp_fw.label);
    char desc[160];
    menu_fw_describe(&ctx->kp_fw, desc, sizeof(desc));
    printf("  %s; written through Katapult from 0x08002000, read back before it is started.\n",
           cf_safe(desc));
    printf("\nAre these details correct?\n");
    menu m;
    menu_init(&m, "Confirmation");
    menu_add(&m, A_YES, COL_NONE, "Yes, proceed to flash");
    menu_add(&m, A_NO, COL_NONE, "No, return to %s menu", menu_kp_via_name(ctx));
    menu_add_exit(&m);
    int a = menu_show(&m);
    switch (a) {
    case A_YES: {
        /* a UUID printer.cfg or klippy.log gives to another board is never flashed from
         * the menu (the command line can, with --force) */
        cf_error err;
        cf_error_reset(&err);
        if (menu_kp_via_can(ctx) &&
            cf_kp_refuse_foreign_uuid(getenv("HOME"), ctx->kp_device, &err) != CF_OK) {
            menu_log(false, "refused: %s", err.message);
            scr_cf_error(&err);
            return term_pause(NULL) ? menu_kp_back_page(ctx) : PAGE_INTERRUPT;
        }
        char detail[256];
        menu_svc st = menu_klipper_state(ctx, detail, sizeof(detail));
        ctx->klipper_was_running = st == SVC_ACTIVE;
        ctx->flash_page = PAGE_KP_FLASH;
        ctx->back_page = menu_kp_back_page(ctx);
        return st == SVC_ACTIVE ? PAGE_DFU_KLIPPER : PAGE_KP_FLASH;
    }
    case A_NO:
        return menu_kp_back_page(ctx);
    default:
        return menu_next_page(a);
    }
}

/* Before the bootloader request: firmware for another chip than the probe
 * runs is refused, the build it already runs is nothing to do; *next is the
 * page to go to then. */
