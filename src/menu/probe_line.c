/* What the probe runs, on the menu's screens: the main screen's "Probe:" lines
 * (the same as `cartoflash status`) and the Katapult flash's "nothing to do"
 * when the probe already runs the chosen build (klipper/status.h, reach.h). */
#include <stdio.h>
#include <string.h>

#include "front/simulate.h"
#include "katapult/katapult.h"
#include "klipper/reach.h"
#include "klipper/status.h"
#include "menu/menu.h"

#define ROWS 8

void menu_probe_lines(menu_ctx *ctx)
{
    const char *spec = ctx->cli->simulate;
    /* A simulated DFU probe appears some time after it is first looked for:
     * the main screen must not start that clock. */
    if (spec && !cf_front_sim_is_katapult(spec))
        return;
    if (spec && !ctx->kp_sim) {
        cf_error err = {0};
        if (cf_front_sim_katapult(spec, &ctx->kp_sim, &err) != CF_OK)
            return; /* the Katapult pages report it */
    }
    cf_kp_env env = {.transport = ctx->kp_sim};
    /* Never a download from the main screen: local trees or the cache only. */
    cf_catalog_opts copts = {
        .source = ctx->set.firmware_dir[0] ? ctx->set.firmware_dir : NULL,
        .branch = ctx->set.branch,
        .offline = true,
    };
    cf_catalog *cat = NULL;
    cf_error cerr = {0};
    if (cf_catalog_open(&copts, &cat, &cerr) != CF_OK)
        cat = NULL;
    cf_status_opts so = {
        .env = &env,
        .config = !spec,
        .catalog = cat,
        .catalog_why = cerr.message,
        .skip_can_identify = true,
    };
    if (ctx->set.can_interface[0]) {
        so.can_ifs[0] = ctx->set.can_interface;
        so.can_if_count = 1;
    }
    cf_probe_status rows[ROWS];
    size_t n = 0;
    cf_error err = {0};
    if (cf_status_scan(&so, rows, ROWS, &n, &err) == CF_OK)
        for (size_t i = 0; i < n; i++) {
            char line[1024];
            cf_status_line(&rows[i], line, sizeof(line));
            scr_label("Probe:", "%s", line);
        }
    cf_catalog_close(cat);
}

cf_code menu_kp_precheck(const cf_kp_env *env, bool can, const cf_kp_opts *o, const cf_image *img,
                         char *what, size_t size, bool *same, cf_error *err)
{
    cf_kl_precheck pc;
    cf_code rc = cf_kl_precheck_flash(env, can, o, img, &pc, err);
    *same = rc == CF_OK && pc.same;
    if (pc.identified && rc != CF_OK)
        snprintf(what, size, "%s on %s", pc.runs, pc.mcu);
    else
        snprintf(what, size, "%s", pc.identified ? pc.runs : pc.why);
    menu_log(false, "before the Katapult flash: %s%s%s", pc.identified ? "the probe runs " : "",
             what, rc == CF_OK ? "" : " (refused: another chip)");
    return rc;
}
