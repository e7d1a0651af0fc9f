/* What the Katapult pages share: which link they flash over (CAN or USB),
 * the Katapult environment (hardware, or the emulated node under
 * --simulate=katapult-...), and the way back to their menu. */
#include <stdio.h>
#include <string.h>

#include "front/simulate.h"
#include "katapult/katapult.h"
#include "menu/menu.h"

bool menu_kp_via_can(const menu_ctx *ctx)
{
    return ctx->kp_via == MODE_CAN;
}

const char *menu_kp_via_name(const menu_ctx *ctx)
{
    return menu_kp_via_can(ctx) ? "CAN" : "USB";
}

void menu_kp_close(menu_ctx *ctx)
{
    cf_kp_transport_free(ctx->kp_sim);
    ctx->kp_sim = NULL;
}

/* Hardware, or the emulated node under --simulate=katapult-...; false (with
 * a message) when the simulation is of something else, so that a simulated
 * session never touches the real bus. */
bool menu_kp_env(menu_ctx *ctx, cf_kp_env *env)
{
    memset(env, 0, sizeof(*env));
    const char *spec = ctx->cli->simulate;
    if (!spec)
        return true;
    const char *want = menu_kp_via_can(ctx) ? "katapult-can" : "katapult-usb";
    bool usable = menu_kp_via_can(ctx)
                      ? cf_front_sim_is_katapult(spec) && strncmp(spec, want, 12) == 0
                      : cf_front_sim_has_usb(spec);
    if (!usable) {
        scr_error("The simulated probe (--simulate=%s) is not on %s through Katapult.", spec,
                  menu_kp_via_name(ctx));
        printf("Start cartoflash with --simulate=%s to try this menu without hardware.\n", want);
        return false;
    }
    if (!ctx->kp_sim) {
        cf_error err;
        cf_error_reset(&err);
        if (cf_front_sim_katapult(spec, &ctx->kp_sim, &err) != CF_OK) {
            scr_cf_error(&err);
            return false;
        }
    }
    env->transport = ctx->kp_sim;
    return true;
}

menu_page menu_kp_back_page(const menu_ctx *ctx)
{
    return menu_kp_via_can(ctx) ? PAGE_KATAPULT_CAN : PAGE_KATAPULT_USB;
}
