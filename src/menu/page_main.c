/* Main menu, as in main-menu-basic.png: 1. Katapult - CAN, 2. Katapult - USB,
 * 3. DFU, 5. Enable Advanced Mode, 6. Install Prerequisites, 0. Exit (the
 * separator after Install Prerequisites takes 7). "4. Update Cartographer
 * (automatic)" takes the number the seed's first separator had: it is a way
 * of flashing like 1-3, and 4 was never a choice, so no number a user knows
 * from the docs moves (the line under it takes none). "7. Switch USB <-> CAN"
 * takes the number of the separator after Install Prerequisites, the only
 * number that neither the basic nor the advanced menu gives an item: on the
 * advanced menu a line that takes no number stands in that separator's place,
 * so Set Custom Directories stays 8 and everything after it stays too. */
#include <stdio.h>

#include "menu/menu.h"

enum { A_ADVANCED = 1, A_TOGGLE /* + menu_toggle */ };

static void show_notice(menu_ctx *ctx)
{
    if (!ctx->notice[0])
        return;
    scr_warn("%s", ctx->notice);
    ctx->notice[0] = '\0';
}

menu_page page_main(menu_ctx *ctx)
{
    scr_header(ctx);
    show_notice(ctx);
    menu_probe_lines(ctx);

    menu m;
    menu_init(&m, "Main Menu");
    menu_add(&m, MENU_ACT_GO(PAGE_KATAPULT_CAN), COL_NONE, "Katapult - CAN");
    menu_tag(&m, "[For Flashing via CAN]");
    menu_add(&m, MENU_ACT_GO(PAGE_KATAPULT_USB), COL_NONE, "Katapult - USB");
    menu_tag(&m, "[For Flashing via USB]");
    menu_add(&m, MENU_ACT_GO(PAGE_DFU), COL_NONE, "DFU");
    menu_tag(&m, "[For Flashing with DFU via USB]");
    menu_add(&m, MENU_ACT_GO(PAGE_UPDATE), COL_NONE, "Update Cartographer (automatic)");
    menu_rule(&m);
    if (ctx->advanced)
        menu_add(&m, A_ADVANCED, COL_RED, "Disable Advanced Mode");
    else
        menu_add(&m, A_ADVANCED, COL_GREEN, "Enable Advanced Mode");
    menu_add(&m, MENU_ACT_GO(PAGE_PREREQ), COL_NONE, "Install Prerequisites");
    menu_tag(&m, "[udev rules, groups, CAN, Klipper]");
    menu_add(&m, MENU_ACT_GO(PAGE_SWITCH), COL_NONE, "Switch USB <-> CAN");
    menu_tag(&m, "[deployer, re-cable, application]");
    if (ctx->advanced) {
        menu_rule(&m);
        menu_add(&m, MENU_ACT_GO(PAGE_DIRS), COL_CYAN, "Set Custom Directories");
        menu_sep(&m);
        menu_add(&m, MENU_ACT_GO(PAGE_MODE), COL_CYAN, "Switch Flash Mode");
        menu_add(&m, MENU_ACT_GO(PAGE_BRANCH), COL_CYAN, "Switch Branch");
        menu_sep(&m);
        for (int t = 0; t < TOGGLE_COUNT; t++) {
            bool on = menu_toggle_state(ctx, (menu_toggle)t);
            menu_add(&m, A_TOGGLE + t, on ? COL_RED : COL_GREEN, "%s %s", on ? "Disable" : "Enable",
                     menu_toggle_name((menu_toggle)t));
        }
    }
    menu_sep(&m);
    menu_add_exit(&m);

    int a = menu_show(&m);
    if (a == A_ADVANCED) {
        ctx->advanced = !ctx->advanced;
        menu_log(false, "advanced mode %s", ctx->advanced ? "on" : "off");
        return PAGE_MAIN;
    }
    if (a >= A_TOGGLE && a < A_TOGGLE + TOGGLE_COUNT) {
        menu_toggle_setting(ctx, (menu_toggle)(a - A_TOGGLE));
        return PAGE_MAIN;
    }
    return menu_next_page(a);
}
