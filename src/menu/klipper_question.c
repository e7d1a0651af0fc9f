/* When Klipper is running: the question of what to do with it before the
 * probe goes away (a page of its own, PAGE_DFU_KLIPPER), asked the same way
 * before a DFU, Katapult, update or switch flash, and starting it again after. */
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "menu/menu.h"
#include "menu/moonraker.h"

enum { A_NO = 1, A_STOP, A_KEEP, A_FORCE };

menu_page page_dfu_klipper(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Klipper is running");
    printf("%s is active. While the probe is being flashed Klipper cannot reach it, and after\n"
           "the flash Klipper has to be started again to reconnect.\n\n",
           ctx->set.klipper_service);

    /* every Moonraker of the host is asked; if any cannot be, the state is unknown and
     * stopping Klipper needs the word typed, not a number that could be a habit */
    char detail[2048];
    menu_print_state ps = menu_printer_state(ctx, detail, sizeof(detail));
    if (ps == PRINT_UNKNOWN)
        printf("Moonraker could not tell whether a print is running: %s\n", cf_safe(detail));
    else
        printf("Moonraker reports the printer as: %s\n", cf_safe(detail));

    menu m;
    menu_init(&m, "What should happen to Klipper?");
    if (ps == PRINT_BUSY) {
        scr_error("A print is in progress. Stopping Klipper would end it.");
        menu_add(&m, A_NO, COL_CYAN, "Back (flash after the print)");
        menu_sep(&m);
        menu_add(&m, A_FORCE, COL_RED, "Stop Klipper anyway and end the print (type stop)");
    } else if (ps == PRINT_UNKNOWN) {
        scr_warn("The printer's state is unknown. If it is printing, stopping Klipper or "
                 "flashing its probe ends the print.");
        menu_add(&m, A_NO, COL_CYAN, "Back");
        menu_sep(&m);
        menu_add(&m, A_FORCE, COL_RED, "Stop Klipper for the flash (type stop to confirm)");
    } else {
        menu_add(&m, A_STOP, COL_NONE,
                 "Stop Klipper for the flash (offered to start it again after)");
        menu_add(&m, A_KEEP, COL_NONE, "Flash without stopping Klipper");
        menu_sep(&m);
        menu_add(&m, A_NO, COL_CYAN, "Back");
    }
    menu_sep(&m);
    menu_add_exit(&m);

    cf_error err;
    int a = menu_show(&m);
    switch (a) {
    case A_FORCE: {
        char line[32];
        printf("Type stop and press Enter to stop %s; anything else goes back: ",
               ctx->set.klipper_service);
        if (!term_read_line(line, sizeof(line)))
            return PAGE_INTERRUPT;
        if (strcmp(line, "stop") != 0) {
            menu_log(false, "klipper not stopped: confirmation was \"%s\"", line);
            return ctx->back_page;
        }
        menu_log(false, "klipper stop confirmed by typing (print state %s)",
                 ps == PRINT_BUSY ? "printing" : "unknown");
    }
        /* fall through */
    case A_STOP:
        cf_error_reset(&err);
        if (menu_klipper_stop(ctx, &err) != CF_OK) {
            scr_cf_error(&err);
            return term_pause(NULL) ? PAGE_DFU_KLIPPER : PAGE_INTERRUPT;
        }
        ctx->klipper_stopped_by_us = true;
        scr_success("%s stopped.", ctx->set.klipper_service);
        return ctx->flash_page;
    case A_KEEP:
        return ctx->flash_page;
    case A_NO:
        return ctx->back_page;
    default:
        return menu_next_page(a);
    }
}

bool menu_klipper_let_go(menu_ctx *ctx, menu_page page)
{
    char detail[256];
    menu_svc st = menu_klipper_state(ctx, detail, sizeof(detail));
    ctx->klipper_was_running = st == SVC_ACTIVE;
    if (st != SVC_ACTIVE)
        return true;
    ctx->flash_page = page; /* page_dfu_klipper's "go on" */
    ctx->back_page = PAGE_MAIN;
    return page_dfu_klipper(ctx) == page;
}

bool menu_klipper_restart(menu_ctx *ctx)
{
    cf_error err;
    cf_error_reset(&err);
    if (menu_klipper_start(ctx, &err) == CF_OK) {
        scr_success("%s started.", ctx->set.klipper_service);
        ctx->klipper_stopped_by_us = false;
    } else {
        scr_cf_error(&err);
    }
    return term_pause(NULL);
}

menu_page menu_klipper_start_page(menu_ctx *ctx)
{
    return menu_klipper_restart(ctx) ? PAGE_MAIN : PAGE_INTERRUPT;
}

menu_page menu_klipper_what_next(menu_ctx *ctx, const char *flow, const char *again_label,
                                 menu_page again_page)
{
    enum { A_MAIN = 1, A_AGAIN, A_START };
    if (ctx->klipper_stopped_by_us)
        printf("\nKlipper (%s) was stopped for the %s.\n", ctx->set.klipper_service, flow);
    menu m;
    menu_init(&m, "What next?");
    if (ctx->klipper_stopped_by_us)
        menu_add(&m, A_START, COL_NONE, "Start Klipper again (%s)", ctx->set.klipper_service);
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    if (again_label)
        menu_add(&m, A_AGAIN, COL_NONE, "%s", again_label);
    menu_sep(&m);
    menu_add_exit(&m);
    int a = menu_show(&m);
    if (a == A_START)
        return menu_klipper_start_page(ctx);
    return a == A_AGAIN         ? again_page
           : a == MENU_ACT_EXIT ? PAGE_EXIT
           : a == MENU_ACT_QUIT ? PAGE_INTERRUPT
                                : PAGE_MAIN;
}
