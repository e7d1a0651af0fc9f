/* "Update Cartographer (automatic)": the same flow as `cartoflash update`
 * (update/update.h). The page shows each choice as the update layer makes
 * it (what the probe runs, the image and why), asks before anything changes,
 * draws the flash like the other flash pages and ends with what the device
 * reports. What the flow cannot decide alone (two probes, the link of a DFU
 * probe with empty flash) is asked here and the flow runs again with the
 * answer; what cannot be done (no fitting image) is explained. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/safe.h"
#include "front/simulate.h"
#include "katapult/katapult.h"
#include "menu/menu.h"
#include "update/update.h"

enum { A_YES = 1, A_NO, A_MAIN, A_PICK = 100 };

typedef struct up_view {
    menu_ctx *ctx;
    menu_progress bars;
    cf_flash_events fev;
    bool flashing;
} up_view;

static void on_note(void *user, cf_update_note kind, const char *text)
{
    (void)user;
    if (kind == CF_UPN_NOTHING || kind == CF_UPN_CONFIRMED)
        scr_say(COL_GREEN, "%s", text);
    else
        scr_say(COL_NONE, "%s", text);
    fflush(stdout);
}

/* The question before the first change; the bars follow on yes. */
static cf_code on_confirm(void *user, const cf_update_plan *plan, cf_error *err)
{
    up_view *v = user;
    printf("\nFlash %s %s?\n", plan->target->rel_path,
           plan->dfu ? "over DFU (erase, write, verify, leave DFU mode)"
                     : "through Katapult (written from 0x08002000, read back before it is "
                       "started)");
    menu m;
    menu_init(&m, "Confirmation");
    menu_add(&m, A_YES, COL_NONE, "Yes, update the probe");
    menu_add(&m, A_NO, COL_NONE, "No, return to main menu");
    int a = menu_show(&m);
    if (a == MENU_ACT_QUIT)
        return cf_fail(err, CF_ERR_CANCELLED, "interrupted; nothing was changed");
    if (a != A_YES)
        return cf_fail(err, CF_ERR_CANCELLED, "not confirmed; nothing was changed");
    if (!menu_klipper_let_go(v->ctx, PAGE_UPDATE))
        return cf_fail(err, CF_ERR_CANCELLED, "Klipper was left as it was; nothing was changed");
    menu_log(false, "update: flashing %s", plan->target->abs_path);
    menu_progress_init(&v->bars, plan->dfu ? "Leaving DFU mode" : "Starting the new firmware",
                       &v->fev);
    v->flashing = true;
    term_hold_interrupt(true);
    printf("\n");
    return CF_OK;
}

/* Where probes are looked for: the simulated node, the simulated DFU
 * probe, or on hardware both sides. */
static bool sides(menu_ctx *ctx, cf_kp_env *env, cf_update_opts *o)
{
    memset(env, 0, sizeof(*env));
    const char *spec = ctx->cli->simulate;
    if (spec && cf_front_sim_is_katapult(spec)) {
        cf_error err = {0};
        if (!ctx->kp_sim && cf_front_sim_katapult(spec, &ctx->kp_sim, &err) != CF_OK) {
            scr_cf_error(&err);
            return false;
        }
        env->transport = ctx->kp_sim;
        o->status.env = env;
        return true;
    }
    o->status.env = spec ? NULL : env;
    o->status.dfu = menu_backend(ctx);
    return o->status.env || o->status.dfu;
}

static void fill_opts(menu_ctx *ctx, cf_update_opts *o)
{
    if (ctx->up_choice[0] && ctx->up_choice_can)
        o->uuid = ctx->up_choice;
    else if (ctx->up_choice[0])
        o->device = ctx->up_choice;
    o->fw_iface = ctx->up_iface;
    o->fw_bitrate = ctx->up_bitrate;
    o->fw_iface_why = "your answer";
    o->fw_bitrate_why = "your answer";
    o->status.config = !ctx->cli->simulate;
    o->status.moonraker = true;
    o->status.moonraker_url = ctx->set.moonraker_url;
    if (ctx->set.can_interface[0]) {
        o->status.can_ifs[0] = ctx->set.can_interface;
        o->status.can_if_count = 1;
    }
}

static cf_code run_flow(menu_ctx *ctx, up_view *v, cf_update_result *res, cf_error *err)
{
    cf_update_opts o = {0};
    cf_kp_env env;
    fill_opts(ctx, &o);
    if (!sides(ctx, &env, &o))
        return cf_fail(err, CF_ERR_NOT_FOUND, "no side to look for the probe on");
    cf_catalog_opts copts = {
        .source = ctx->set.firmware_dir[0] ? ctx->set.firmware_dir : NULL,
        .branch = ctx->set.branch,
    };
    cf_catalog *cat = NULL;
    cf_code rc = cf_catalog_open(&copts, &cat, err);
    if (rc != CF_OK)
        return rc;
    scr_label("Catalogue:", "%s", cf_catalog_root_at(cat, 0)->label);
    o.status.catalog = cat;
    cf_update_events ev = {.user = v, .note = on_note, .confirm = on_confirm, .flash = &v->fev};
    rc = cf_update_run(&o, &ev, res, err);
    if (v->flashing) {
        term_hold_interrupt(false);
        term_discard_input();
        menu_progress_notices(&v->bars);
    }
    cf_catalog_close(cat);
    return rc;
}

/* Two probes: which one. */
static menu_page ask_probe(menu_ctx *ctx, const cf_update_result *res)
{
    printf("\nMore than one probe could be meant; which one should be updated?\n");
    menu m;
    menu_init(&m, "Choose the probe");
    for (size_t i = 0; i < res->choice_count; i++)
        menu_add(&m, A_PICK + (int)i, COL_NONE, "%s", res->choices[i].label);
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    menu_add_exit(&m);
    int a = menu_show(&m);
    if (a >= A_PICK && a < A_PICK + (int)res->choice_count) {
        const cf_update_choice *c = &res->choices[a - A_PICK];
        menu_copy(ctx->up_choice, sizeof(ctx->up_choice), c->value);
        ctx->up_choice_can = c->can;
        return PAGE_UPDATE;
    }
    return a == MENU_ACT_EXIT ? PAGE_EXIT : a == MENU_ACT_QUIT ? PAGE_INTERRUPT : PAGE_MAIN;
}

/* A probe in DFU mode whose flash holds no firmware to keep the link from. */
static menu_page ask_link(menu_ctx *ctx)
{
    static const uint32_t rates[] = {1000000, 500000, 250000};
    printf("\nThe probe's flash does not say which link its firmware talks on. Which one?\n");
    menu m;
    menu_init(&m, "Firmware interface");
    menu_add(&m, A_PICK, COL_NONE, "USB");
    for (int i = 0; i < 3; i++)
        menu_add(&m, A_PICK + 1 + i, COL_NONE, "CAN at %u bit/s (the bitrate of your CAN bus)",
                 (unsigned)rates[i]);
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    menu_add_exit(&m);
    int a = menu_show(&m);
    if (a >= A_PICK && a <= A_PICK + 3) {
        ctx->up_iface = a == A_PICK ? CF_IFACE_USB : CF_IFACE_CAN;
        ctx->up_bitrate = a == A_PICK ? 0 : rates[a - A_PICK - 1];
        return PAGE_UPDATE;
    }
    return a == MENU_ACT_EXIT ? PAGE_EXIT : a == MENU_ACT_QUIT ? PAGE_INTERRUPT : PAGE_MAIN;
}

static void forget_answers(menu_ctx *ctx)
{
    ctx->up_choice[0] = '\0';
    ctx->up_choice_can = false;
    ctx->up_iface = CF_IFACE_UNKNOWN;
    ctx->up_bitrate = 0;
}

/* What the flow ended with, and what next. */
static menu_page finish(menu_ctx *ctx, cf_code rc, const cf_update_result *res, const cf_error *err)
{
    if (rc == CF_ERR_AMBIGUOUS && res->choice_count > 1)
        return ask_probe(ctx, res);
    bool dfu = res->found && strcmp(res->probe.mode, "dfu") == 0;
    if (rc == CF_ERR_AMBIGUOUS && dfu && !res->picked && ctx->up_iface == CF_IFACE_UNKNOWN)
        return ask_link(ctx);
    forget_answers(ctx);
    printf("\n");
    if (rc == CF_OK && res->nothing_to_do)
        scr_success("Nothing to do: the probe already runs the newest firmware that fits it.");
    else if (rc == CF_OK)
        scr_success("The probe was updated%s%s.", res->now[0] ? "; it now runs " : "", res->now);
    else if (rc != CF_ERR_CANCELLED)
        scr_cf_error(err);
    menu_log(false, "update: %s",
             rc == CF_OK ? (res->nothing_to_do ? "nothing to do" : res->now) : err->message);
    bool again = rc != CF_OK && rc != CF_ERR_CANCELLED;
    return menu_klipper_what_next(ctx, "update", again ? "Try again" : NULL, PAGE_UPDATE);
}

menu_page page_update(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Update Cartographer (automatic)");
    printf("Finds the probe, asks it what it runs, picks the newest firmware for the same\n"
           "chip, interface, CAN bitrate and flavour, flashes it the way the probe is connected\n"
           "and reads the new version back.\n\n");
    fflush(stdout);
    up_view *v = calloc(1, sizeof(*v));
    cf_update_result *res = calloc(1, sizeof(*res));
    if (!v || !res) {
        free(v);
        free(res);
        scr_error("out of memory");
        return PAGE_MAIN;
    }
    v->ctx = ctx;
    menu_progress_init(&v->bars, "Starting the new firmware", &v->fev);
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = run_flow(ctx, v, res, &err);
    menu_page next = term_interrupted() ? PAGE_INTERRUPT : finish(ctx, rc, res, &err);
    free(v);
    free(res);
    return next;
}
