/* Looking for the probe after a flash, for the CLI (see back.h). */
#include "cli/back.h"

#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "common/safe.h"

cf_code cf_cli_parse_back_wait(const char *text, unsigned *ms, bool *given, cf_error *err)
{
    uint64_t v = 0;
    if (cf_parse_seconds(text, &v, err) != CF_OK) {
        cf_hint(err, "--back-wait wants seconds to look for the probe after the flash (0 = do "
                     "not look)");
        return CF_ERR_USAGE;
    }
    *ms = v > 600000 ? 600000u : (unsigned)v;
    *given = true;
    return CF_OK;
}

void cf_cli_back_want(const cf_image *img, unsigned wait_ms, bool given, cf_cb_want *w)
{
    cf_image_info info;
    cf_image_inspect(img, &info);
    memset(w, 0, sizeof(*w));
    w->img = img;
    /* a deployer installs Katapult and leaves the probe in it: no app to see */
    w->iface = info.kind == CF_KIND_DEPLOYER ? CF_IFACE_UNKNOWN : info.iface;
    if (info.kind == CF_KIND_DEPLOYER)
        w->why_not = "a deployer installs Katapult and leaves the probe in it (`cartoflash list` "
                     "shows it there)";
    if (given)
        w->wait_ms = wait_ms;
    else
        w->wait_ms = w->iface == CF_IFACE_CAN ? CF_CB_CAN_WAIT_MS : CF_CB_USB_WAIT_MS;
}

cf_code cf_cli_came_back(FILE *out, cf_usb_backend *be, const cf_kp_env *env, const cf_cb_want *w,
                         cf_came_back *cb, cf_error *err)
{
    if (w->wait_ms && (w->iface == CF_IFACE_USB || (w->iface == CF_IFACE_CAN && !w->no_can)))
        fprintf(out, "Looking for the probe running its new firmware on %s (up to %.0f s)...\n",
                w->iface == CF_IFACE_CAN ? "CAN" : "USB", w->wait_ms / 1000.0);
    fflush(out);
    cf_code rc = cf_came_back_wait(be, env, w, cb, err);
    char line[1024];
    cf_came_back_describe(cb, line, sizeof(line));
    if (rc == CF_OK) {
        fprintf(out, "%s%s.\n", cb->looked ? "Came back: " : "Not looked for: ", cf_safe(line));
        if (cb->looked && cb->note[0])
            fprintf(out, "  (%s)\n", cf_safe(cb->note));
    }
    return rc;
}

static json_t *text_or_null(const char *s)
{
    return s && s[0] ? cf_front_json_text(s) : json_null();
}

json_t *cf_cli_came_back_json(const cf_came_back *cb)
{
    json_t *o = json_object();
    const char *iface = cb->seen ? cf_iface_name(cb->iface) : NULL;
    json_object_set_new(o, "looked", json_boolean(cb->looked));
    json_object_set_new(o, "seen", json_boolean(cb->seen));
    json_object_set_new(o, "device", cb->seen ? text_or_null(cb->device) : json_null());
    json_object_set_new(o, "interface", iface ? json_string(iface) : json_null());
    json_object_set_new(o, "version", cb->seen ? text_or_null(cb->version) : json_null());
    json_object_set_new(o, "same_build", json_boolean(cb->seen && cb->same_build));
    json_object_set_new(o, "seconds", json_real(cb->seconds));
    json_object_set_new(o, "note", text_or_null(cb->note));
    return o;
}
