/* Confirm DFU Flash (dfu-confirm.png). */
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "menu/menu.h"
#include "menu/moonraker.h"

enum { A_YES = 1 };

menu_page page_dfu_confirm(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Confirm DFU Flash");
    if (!ctx->device[0] || !ctx->have_firmware) {
        scr_error("%s", !ctx->device[0] ? "You have not selected a device to flash."
                                        : "You have not selected a firmware file.");
        return term_pause(NULL) ? PAGE_DFU : PAGE_INTERRUPT;
    }
    scr_label("Device to Flash:", "%s", ctx->device_label);
    scr_label("Firmware to Flash:", "%s", ctx->fw.label);
    if (ctx->fw.loadable) {
        char desc[160];
        menu_fw_describe(&ctx->fw, desc, sizeof(desc));
        printf("  %s; %zu bytes written from 0x%08X\n", cf_safe(desc), ctx->fw.info.size,
               ctx->fw.info.load_address);
        printf("  The pages it changes are backed up first; everything written is read back.\n");
    }
    bool ok = ctx->fw.usable;
    if (!ok)
        scr_error("This firmware cannot be flashed over DFU: %s.",
                  ctx->fw.why[0] ? ctx->fw.why : "unknown reason");
    else
        printf("\nAre these details correct?\n");

    menu m;
    menu_init(&m, "Confirmation");
    if (ok)
        menu_add(&m, A_YES, COL_NONE, "Yes, proceed to flash");
    else
        m.next_number++; /* keep "2. No, return to DFU menu" where users expect it */
    menu_add(&m, MENU_ACT_GO(PAGE_DFU), COL_NONE, "No, return to DFU menu");
    menu_add_exit(&m);

    int a = menu_show(&m);
    switch (a) {
    case A_YES: {
        char detail[256];
        menu_svc st = menu_klipper_state(ctx, detail, sizeof(detail));
        menu_log(false, "klipper service %s: %s", ctx->set.klipper_service, detail);
        ctx->klipper_was_running = st == SVC_ACTIVE;
        ctx->flash_page = PAGE_DFU_FLASH;
        ctx->back_page = PAGE_DFU;
        return st == SVC_ACTIVE ? PAGE_DFU_KLIPPER : PAGE_DFU_FLASH;
    }
    default:
        return menu_next_page(a);
    }
}
