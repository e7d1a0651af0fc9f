/* flash can|usb: what the probe runs, asked from the probe itself
 * (klipper/reach.h) before any bootloader request: firmware for another chip
 * is refused there, and the image it already runs is nothing to do. */
#include <stdio.h>

#include "cli/cli.h"
#include "common/log.h"
#include "klipper/reach.h"

cf_code cf_cli_precheck(FILE *out, const cf_kp_env *env, bool can, const cf_kp_opts *o,
                        const cf_image *img, bool *same, cf_error *err)
{
    cf_kl_precheck pc;
    cf_code rc = cf_kl_precheck_flash(env, can, o, img, &pc, err);
    *same = rc == CF_OK && pc.same;
    if (pc.identified)
        cf_log(false, "the probe (%s) runs %s on %s, %s; the image is %s", pc.device, pc.runs,
               pc.mcu, pc.source,
               rc != CF_OK ? "refused"
               : *same     ? "the same build"
                           : "a different build");
    else
        cf_log(false, "what the probe runs is not known: %s", pc.why);
    if (!pc.identified)
        fprintf(out,
                "Could not read what the probe runs (%s); its MCU is checked when Katapult "
                "answers.\n",
                pc.why);
    else if (rc != CF_OK)
        fprintf(out, "The probe runs %s on %s (%s).\n", pc.runs, pc.mcu, pc.source);
    else if (*same)
        fprintf(out,
                "The probe already runs %s; nothing to do.\n"
                "  (%s, %s; --force flashes it anyway)\n",
                pc.runs, pc.device, pc.source);
    else
        fprintf(out, "The probe runs %s (%s); the image is a different build.\n", pc.runs,
                pc.source);
    return rc;
}
