/* flash can|usb: nothing to do when the probe already runs the image's build.
 * Asked from the probe itself (klipper/reach.h) before any bootloader request. */
#include <stdio.h>

#include "cli/cli.h"
#include "common/log.h"
#include "klipper/reach.h"

bool cf_cli_already_runs(FILE *out, const cf_kp_env *env, bool can, const cf_kp_opts *o,
                         const cf_image *img)
{
    cf_kl_ident id = {0};
    cf_error err = {0};
    cf_code rc = can ? cf_kl_identify_can(env, o->interface, o->uuid, &id, &err)
                     : cf_kl_identify_usb_select(env, o->device, &id, &err);
    bool same = false;
    if (rc == CF_OK) {
        char what[160];
        cf_kl_describe(&id.info, what, sizeof(what));
        same = cf_kl_image_is_running(&id, img);
        cf_log(false, "the probe (%s) runs %s, %s; the image is %s", id.device, what, id.source,
               same ? "the same build" : "a different build");
        if (same)
            fprintf(out,
                    "The probe already runs %s; nothing to do.\n"
                    "  (%s, %s; --force flashes it anyway)\n",
                    what, id.device, id.source);
        else
            fprintf(out, "The probe runs %s (%s); the image is a different build.\n", what,
                    id.source);
    } else {
        cf_log(false, "what the probe runs is not known: %s", err.message);
        fprintf(out, "Could not read what the probe runs (%s); flashing without that check.\n",
                err.message);
    }
    cf_kl_ident_free(&id);
    return same;
}
