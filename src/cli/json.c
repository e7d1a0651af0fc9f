/* The JSON pieces only the commands use (the shared ones are in front/front.h),
 * and the usage error every command reports the same way. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"

bool cf_cli_wants_json(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--json") == 0)
            return true;
    }
    return false;
}

cf_front cf_cli_front_of(const cf_front *outer, int argc, char **argv)
{
    cf_front local = *outer;
    local.json = cf_cli_wants_json(argc, argv);
    return local;
}

int cf_cli_help_or_usage_error(const cf_front *cli, int c, const char *usage)
{
    if (c != 'h')
        return cf_cli_usage_error(cli, usage);
    fputs(usage, stdout);
    return 0;
}

json_t *cf_cli_json_usb_id(unsigned vid, unsigned pid)
{
    char id[16];
    snprintf(id, sizeof(id), "%04x:%04x", vid, pid);
    return json_string(id);
}

json_t *cf_cli_json_root(const char *command)
{
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_integer(CF_JSON_SCHEMA));
    json_object_set_new(root, "command", json_string(command));
    return root;
}

json_t *cf_cli_json_firmware(const char *file, const cf_image *img)
{
    cf_image_info info;
    cf_image_inspect(img, &info);
    json_t *o = json_object();
    const char *iface = cf_iface_name(info.iface);
    json_object_set_new(o, "file", cf_front_json_text(file));
    json_object_set_new(o, "format", json_string(cf_image_format_name(img->format)));
    json_object_set_new(o, "kind", json_string(cf_image_kind_name(info.kind)));
    json_object_set_new(o, "version",
                        info.version[0] ? cf_front_json_text(info.version) : json_null());
    const char *mcu = cf_image_target_mcu(&info);
    json_object_set_new(o, "mcu", mcu[0] ? cf_front_json_text(mcu) : json_null());
    json_object_set_new(o, "interface", iface ? json_string(iface) : json_null());
    json_object_set_new(o, "can_bitrate",
                        info.can_bitrate ? json_integer(info.can_bitrate) : json_null());
    json_object_set_new(o, "size", json_integer((json_int_t)cf_image_size(img)));
    json_object_set_new(o, "load_address", json_integer(cf_image_start(img)));
    return o;
}

int cf_cli_usage_error(const cf_front *cli, const char *usage)
{
    fputs(usage, stderr);
    if (cli->json) {
        cf_error err;
        cf_error_reset(&err);
        cf_fail(&err, CF_ERR_USAGE, "bad arguments");
        cf_hint(&err, "%s", usage);
        json_t *root = json_object();
        json_object_set_new(root, "schema", json_integer(CF_JSON_SCHEMA));
        json_object_set_new(root, "error", cf_front_json_error(&err));
        cf_front_json_print(root);
    }
    return cf_exit_status(CF_ERR_USAGE);
}
