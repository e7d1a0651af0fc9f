/* "Switch USB <-> CAN": the same steps as `cartoflash switch`
 * (update/switch.h). The page asks the new link (USB, or CAN and its
 * bitrate), shows the probe and the deployer as the layer picks them, asks
 * before each flash, shows the re-cabling instructions and waits for the
 * probe on the new link with a countdown that any key stops, then flashes
 * the application and shows the probe's status. A switch under way (the
 * same state file the command line keeps) is offered to continue. A running
 * Klipper is asked about first, as on the other flash pages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front/simulate.h"
#include "katapult/katapult.h"
#include "menu/menu.h"
#include "update/switch.h"

enum { A_YES = 1, A_NO, A_MAIN, A_GO_ON, A_AFRESH, A_USB, A_CAN = 100 };

static const uint32_t rates[] = {1000000, 500000, 250000};

typedef struct sw_view {
    menu_ctx *ctx;
    menu_progress bars;
    cf_flash_events fev;
    bool flashing;
    bool raw;   /* the terminal is raw for the countdown's key poll */
    long shown; /* seconds left last drawn, -1 = none */
} sw_view;

/* The countdown is over: the line ends and the terminal reads lines again. */
static void end_wait(sw_view *v)
{
    if (!v->raw)
        return;
    term_raw_end();
    v->raw = false;
    if (scr_tty())
        printf("\n");
}

/* The bars of a flash end with its notices, before the next line. */
static void end_flash(sw_view *v)
{
    if (!v->flashing)
        return;
    term_hold_interrupt(false);
    term_discard_input();
    menu_progress_notices(&v->bars);
    v->flashing = false;
}

static void on_note(void *user, cf_switch_note kind, const char *text)
{
    sw_view *v = user;
    end_flash(v);
    end_wait(v);
    if (kind == CF_SWN_STEP || kind == CF_SWN_RECABLE)
        printf("\n");
    if (kind == CF_SWN_DONE || kind == CF_SWN_NOTHING)
        scr_say(COL_GREEN, "%s", text);
    else if (kind == CF_SWN_RECABLE)
        scr_say(COL_YELLOW, "%s", text);
    else
        scr_say(COL_NONE, "%s", text);
    fflush(stdout);
    menu_log(false, "switch: %s", text);
}

static cf_code on_confirm(void *user, const cf_switch_plan *plan, cf_error *err)
{
    sw_view *v = user;
    bool dep = plan->step == CF_SW_DEPLOYED;
    printf("\nFlash %s over %s%s?\n", plan->target->rel_path, cf_switch_link_word(plan->via),
           dep ? " (it installs Katapult for the new link; the probe then leaves this one)" : "");
    menu m;
    menu_init(&m, "Confirmation");
    menu_add(&m, A_YES, COL_NONE, dep ? "Yes, flash the deployer" : "Yes, flash the application");
    menu_add(&m, A_NO, COL_NONE, "No, return to main menu");
    int a = menu_show(&m);
    if (a == MENU_ACT_QUIT)
        return cf_fail(err, CF_ERR_CANCELLED, "interrupted; nothing was flashed");
    if (a != A_YES)
        return cf_fail(err, CF_ERR_CANCELLED, "not confirmed; nothing was flashed");
    menu_log(false, "switch: flashing %s", plan->target->abs_path);
    menu_progress_init(&v->bars, "Starting the new firmware", &v->fev);
    v->flashing = true;
    term_hold_interrupt(true);
    printf("\n");
    return CF_OK;
}

/* The countdown line, as the DFU search draws it; any key stops the wait. */
static bool on_waiting(void *user, unsigned left_ms)
{
    sw_view *v = user;
    if (!v->raw) {
        term_raw_begin();
        v->raw = true;
    }
    if (term_interrupted())
        return false;
    if (term_key_pressed())
        return false;
    long left = (long)((left_ms + 999) / 1000);
    if (left == v->shown)
        return true;
    bool draw = scr_tty() || v->shown < 0 || left % 10 == 0; /* a log: a line every 10 s */
    v->shown = left;
    if (!draw)
        return true;
    if (scr_tty())
        printf("\r\033[K");
    printf("Waiting for the probe on the new link: %s%3ld s%s left. Press any key to stop.",
           scr_code(COL_YELLOW), left, scr_reset());
    if (!scr_tty())
        fputc('\n', stdout);
    fflush(stdout);
    return true;
}

/* The new link: a switch under way continues (or restarts), else asked. */
static bool ask_target(cf_switch_opts *o)
{
    cf_sw_state st;
    bool found = false;
    cf_error err = {0};
    if (cf_sw_state_load(&st, &found, &err) != CF_OK) {
        scr_cf_error(&err);
        found = false;
    }
    menu m;
    if (found) {
        printf("A switch from %s to %s is under way (%s, after step \"%s\").\n",
               cf_switch_link_word(st.from), cf_switch_link_word(st.to), st.mcu,
               cf_sw_step_name(st.step));
        menu_init(&m, "Switch under way");
        menu_add(&m, A_GO_ON, COL_NONE, "Continue it");
        menu_add(&m, A_AFRESH, COL_NONE, "Start afresh (forget it)");
    } else {
        printf("Which link should the probe use from now on?\n");
        menu_init(&m, "New link");
        menu_add(&m, A_USB, COL_NONE, "USB");
        for (int i = 0; i < 3; i++)
            menu_add(&m, A_CAN + i, COL_NONE, "CAN at %u bit/s (the bitrate of your CAN bus)",
                     (unsigned)rates[i]);
    }
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    int a = menu_show(&m);
    if (a == A_AFRESH && cf_sw_state_clear(&err) != CF_OK) {
        scr_cf_error(&err);
        return false;
    }
    if (a == A_AFRESH)
        return ask_target(o);
    o->to = a == A_USB ? CF_IFACE_USB : a >= A_CAN && a < A_CAN + 3 ? CF_IFACE_CAN : o->to;
    o->bitrate = a >= A_CAN && a < A_CAN + 3 ? rates[a - A_CAN] : 0;
    return a == A_GO_ON || a == A_USB || (a >= A_CAN && a < A_CAN + 3);
}

/* The simulated node (--simulate=katapult-...) or the real buses. */
static bool sides(menu_ctx *ctx, cf_kp_env *env)
{
    memset(env, 0, sizeof(*env));
    const char *spec = ctx->cli->simulate;
    if (!spec)
        return true;
    cf_error err = {0};
    if (!cf_front_sim_is_katapult(spec)) {
        cf_fail(&err, CF_ERR_USAGE, "the switch simulates a probe running its firmware");
        cf_hint(&err, "start with --simulate=katapult-usb or --simulate=katapult-can");
        scr_cf_error(&err);
        return false;
    }
    if (!ctx->kp_sim && cf_front_sim_katapult(spec, &ctx->kp_sim, &err) != CF_OK) {
        scr_cf_error(&err);
        return false;
    }
    env->transport = ctx->kp_sim;
    return true;
}

static cf_code run_flow(menu_ctx *ctx, sw_view *v, cf_switch_opts *o, cf_switch_result *res,
                        cf_error *err)
{
    cf_kp_env env;
    if (!sides(ctx, &env))
        return cf_fail(err, CF_ERR_CANCELLED, "no side to look for the probe on");
    o->env = &env;
    o->config = !ctx->cli->simulate;
    o->wait_ms = 120000;
    o->interface = ctx->set.can_interface[0] ? ctx->set.can_interface : NULL;
    o->catalog.source = ctx->set.firmware_dir[0] ? ctx->set.firmware_dir : NULL;
    o->catalog.branch = ctx->set.branch;
    cf_switch_events ev = {
        .user = v, .note = on_note, .confirm = on_confirm, .waiting = on_waiting, .flash = &v->fev};
    cf_code rc = cf_switch_run(o, &ev, res, err);
    end_flash(v);
    end_wait(v);
    return rc;
}

/* What the switch ended with, and what next. */
static menu_page finish(menu_ctx *ctx, cf_code rc, const cf_switch_result *res, const cf_error *err)
{
    printf("\n");
    char line[1024] = "";
    if (res->has_status)
        cf_status_line(&res->status, line, sizeof(line));
    if (rc == CF_OK && res->nothing_to_do)
        scr_success("Nothing to do: the probe is on that link already.");
    else if (rc == CF_OK)
        scr_success("Switched to %s.%s%s", cf_switch_link_word(res->state.to),
                    line[0] ? " Status: " : "", line);
    else
        scr_cf_error(err);
    if (rc != CF_OK && res->has_state)
        printf("The switch stands after step \"%s\": choose Switch USB <-> CAN again to "
               "continue.\n",
               cf_sw_step_name(res->state.step));
    menu_log(false, "switch: %s",
             rc == CF_OK ? (res->nothing_to_do ? "nothing to do" : line) : err->message);
    return menu_klipper_what_next(ctx, "switch", rc != CF_OK ? "Continue the switch" : NULL,
                                  PAGE_SWITCH);
}

menu_page page_switch(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Switch USB <-> CAN");
    printf("Moves the probe from USB to CAN or back: flashes the Katapult deployer for its\n"
           "chip and the new link, tells you how to re-cable it, waits for it on the new link,\n"
           "flashes the application for that link and shows its status.\n\n");
    cf_switch_opts o = {0};
    if (!ask_target(&o) || !menu_klipper_let_go(ctx, PAGE_SWITCH))
        return term_interrupted() ? PAGE_INTERRUPT : PAGE_MAIN;
    sw_view *v = calloc(1, sizeof(*v));
    cf_switch_result *res = calloc(1, sizeof(*res));
    if (!v || !res) {
        free(v);
        free(res);
        scr_error("out of memory");
        return PAGE_MAIN;
    }
    v->ctx = ctx;
    v->shown = -1;
    menu_progress_init(&v->bars, "Starting the new firmware", &v->fev);
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = run_flow(ctx, v, &o, res, &err);
    menu_page next = term_interrupted() ? PAGE_INTERRUPT : finish(ctx, rc, res, &err);
    free(v);
    free(res);
    return next;
}
