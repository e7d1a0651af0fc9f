/* Pick the application image for a Katapult flash from the catalogue. */
#include <stdio.h>
#include <stdlib.h>

#include "katapult/katapult.h"
#include "menu/menu.h"

enum { A_CHECK = 100, A_BACK, A_BACK_MAIN, A_PICK = 200 };

static uint32_t bus_bitrate(menu_ctx *ctx)
{
    cf_kp_env env;
    if (!menu_kp_via_can(ctx) || !menu_kp_env(ctx, &env))
        return 0;
    cf_kp_canlink link;
    cf_error err;
    cf_error_reset(&err);
    if (cf_kp_can_bus_info(&env, ctx->set.can_interface, &link, &err) != CF_OK || !link.has_bitrate)
        return 0;
    return link.bitrate;
}

menu_page page_kp_firmware(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page(menu_kp_via_can(ctx) ? "CAN Firmware Menu" : "USB Firmware Menu");
    ctx->kp_bitrate = bus_bitrate(ctx);
    if (menu_kp_via_can(ctx)) {
        if (ctx->kp_bitrate)
            printf("%s runs at %u bit/s: CAN images for other bitrates are refused.\n",
                   ctx->set.can_interface, ctx->kp_bitrate);
        else
            printf("The bitrate of %s is unknown: pick the image matching your bus.\n",
                   ctx->set.can_interface);
    }
    menu_fw_want want = {.katapult = true,
                         .iface = menu_kp_via_can(ctx) ? CF_IFACE_CAN : CF_IFACE_USB,
                         .bitrate = ctx->kp_bitrate};
    menu_fw *list = NULL;
    size_t count = 0;
    char sources[2048];
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = menu_fw_find(ctx, &want, &list, &count, sources, sizeof(sources), &err);
    fputs(sources, stdout);
    if (rc != CF_OK)
        scr_cf_error(&err);
    else if (count == 0)
        scr_error("No %s application image for Katapult was found.", menu_kp_via_name(ctx));

    menu m;
    menu_init(&m, "Select Firmware");
    bool show_refused = ctx->set.all_firmware || count <= 20;
    int map[MENU_MAX_ITEMS];
    size_t shown = 0, hidden = 0, refused = 0;
    for (size_t i = 0; i < count && m.count < MENU_MAX_ITEMS - 10; i++) {
        if (!list[i].usable && !show_refused) {
            hidden++;
            continue;
        }
        char line[sizeof(m.items[0].label)];
        menu_fw_item(&list[i], m.next_number, NULL, line, sizeof(line));
        map[shown] = (int)i;
        menu_add(&m, A_PICK + (int)shown, list[i].usable ? COL_NONE : COL_RED, "%s", line);
        shown++;
        refused += !list[i].usable;
    }
    if (refused)
        printf("Images marked [refused] cannot be flashed with these settings; choose one to see "
               "why.\n");
    if (hidden)
        printf("%zu more images that do not fit are hidden (advanced mode: Show All Firmware).\n",
               hidden);
    if (shown)
        menu_sep(&m);
    menu_add(&m, A_CHECK, COL_NONE, "Check Again");
    menu_add_footer(&m, A_BACK, A_BACK_MAIN, NULL);

    int a = menu_show(&m);
    menu_page next;
    if (a >= A_PICK && a < A_PICK + (int)shown) {
        const menu_fw *fw = &list[map[a - A_PICK]];
        if (!fw->usable) {
            menu_fw_explain_refusal(fw, "Katapult");
            next = term_pause(NULL) ? PAGE_KP_FIRMWARE : PAGE_INTERRUPT;
        } else {
            ctx->kp_fw = *fw;
            ctx->kp_have_fw = true;
            menu_log(false, "katapult firmware selected: %s", fw->path);
            next = menu_kp_back_page(ctx);
        }
    } else if (a == A_CHECK) {
        next = PAGE_KP_FIRMWARE;
    } else if (a == A_BACK) {
        next = menu_kp_back_page(ctx);
    } else if (a == A_BACK_MAIN) {
        next = PAGE_MAIN;
    } else {
        next = a == MENU_ACT_EXIT ? PAGE_EXIT : PAGE_INTERRUPT;
    }
    free(list);
    return next;
}
