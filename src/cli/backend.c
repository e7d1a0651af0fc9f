/* Chooses the USB backend: the simulated probe behind --simulate, libusb otherwise,
 * and prints errors the same way for every command. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/safe.h"
#include "cli/simulate.h"

cf_code cf_cli_open_backend(const cf_cli *cli, cf_usb_backend **be, cf_error *err)
{
    *be = NULL;
    if (!cli->simulate)
        return cf_usb_backend_libusb(be, err);
    return cf_cli_sim_usb(cli->simulate, be, err);
}

void cf_cli_close_backend(cf_usb_backend *be)
{
    cf_usb_backend_free(be); /* a simulated bus frees its emulators with it */
}

json_t *cf_cli_json_text(const char *s)
{
    /* jansson refuses a string that is not UTF-8 (json_string gives NULL and the
     * key would silently go missing): such a string is shown escaped instead */
    json_t *j = json_string(s ? s : "");
    return j ? j : json_string(cf_safe(s));
}

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

json_t *cf_cli_json_root(const char *command)
{
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_integer(CF_JSON_SCHEMA));
    json_object_set_new(root, "command", json_string(command));
    return root;
}

json_t *cf_cli_json_error(const cf_error *err)
{
    cf_code code = err->code == CF_OK ? CF_ERR_IO : err->code;
    json_t *o = json_object();
    json_object_set_new(o, "code", json_integer(cf_exit_status(code)));
    json_object_set_new(o, "class", json_string(cf_code_name(code)));
    json_object_set_new(o, "message",
                        cf_cli_json_text(err->message[0] ? err->message : cf_code_name(code)));
    json_object_set_new(o, "hint", cf_cli_json_text(err->hint));
    return o;
}

json_t *cf_cli_json_firmware(const char *file, const cf_image *img)
{
    cf_image_info info;
    cf_image_inspect(img, &info);
    json_t *o = json_object();
    const char *iface = cf_iface_name(info.iface);
    json_object_set_new(o, "file", cf_cli_json_text(file));
    json_object_set_new(o, "format", json_string(cf_image_format_name(img->format)));
    json_object_set_new(o, "kind", json_string(cf_image_kind_name(info.kind)));
    json_object_set_new(o, "version",
                        info.version[0] ? cf_cli_json_text(info.version) : json_null());
    const char *mcu = cf_image_target_mcu(&info);
    json_object_set_new(o, "mcu", mcu[0] ? cf_cli_json_text(mcu) : json_null());
    json_object_set_new(o, "interface", iface ? json_string(iface) : json_null());
    json_object_set_new(o, "can_bitrate",
                        info.can_bitrate ? json_integer(info.can_bitrate) : json_null());
    json_object_set_new(o, "size", json_integer((json_int_t)cf_image_size(img)));
    json_object_set_new(o, "load_address", json_integer(cf_image_start(img)));
    return o;
}

void cf_cli_json_print(json_t *root)
{
    /* durations to the microsecond at most, not 17 digits of binary fraction */
    json_dumpf(root, stdout,
               JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    putchar('\n');
    fflush(stdout);
    json_decref(root);
}

int cf_cli_usage_error(const cf_cli *cli, const char *usage)
{
    fputs(usage, stderr);
    if (cli->json) {
        cf_error err;
        cf_error_reset(&err);
        cf_fail(&err, CF_ERR_USAGE, "bad arguments");
        cf_hint(&err, "%s", usage);
        json_t *root = json_object();
        json_object_set_new(root, "schema", json_integer(CF_JSON_SCHEMA));
        json_object_set_new(root, "error", cf_cli_json_error(&err));
        cf_cli_json_print(root);
    }
    return cf_exit_status(CF_ERR_USAGE);
}

int cf_cli_report_error(const cf_cli *cli, const cf_error *err)
{
    int status = cf_exit_status(err->code == CF_OK ? CF_ERR_IO : err->code);
    cf_log(false, "error (exit %d, %s): %s%s%s", status, cf_code_name(err->code), err->message,
           err->hint[0] ? "; next: " : "", err->hint);
    if (cli->json) {
        json_t *root = json_object();
        json_object_set_new(root, "schema", json_integer(CF_JSON_SCHEMA));
        json_object_set_new(root, "error", cf_cli_json_error(err));
        cf_cli_json_print(root);
    }
    const char *red = cli->color ? "\033[31m" : "", *reset = cli->color ? "\033[0m" : "";
    /* messages quote file names, device strings and replies: shown through the filter */
    char msg[sizeof(err->message) * 4], hint[sizeof(err->hint) * 4];
    fprintf(stderr, "%scartoflash: error:%s %s\n", red, reset,
            err->message[0] ? cf_safe_buf(msg, sizeof(msg), err->message)
                            : cf_code_name(err->code));
    if (err->hint[0])
        fprintf(stderr, "  next: %s\n", cf_safe_text_buf(hint, sizeof(hint), err->hint));
    return status;
}
