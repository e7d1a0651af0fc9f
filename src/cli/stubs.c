/* Commands whose layer is not part of this build say so plainly instead of
 * pretending. Each stub is compiled only while its real implementation is
 * missing (see CMakeLists.txt). */
#include <stdio.h>

#include "cli/cli.h"

#ifndef CF_HAVE_MENU
int cf_menu_main(const cf_cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fputs("cartoflash: the interactive flasher is not part of this build yet; use the "
          "commands (cartoflash --help).\n",
          stderr);
    return 69;
}
#endif

#ifndef CF_HAVE_CATALOG_CMD
int cf_cmd_firmware(const cf_cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    fputs("cartoflash: the firmware catalogue is not part of this build yet.\n", stderr);
    return 69;
}
#endif

#ifndef CF_HAVE_KATAPULT_CMD
static int no_katapult(void)
{
    fputs("cartoflash: this build cannot flash over Katapult yet; use DFU (flash dfu).\n", stderr);
    return 69;
}
int cf_cmd_flash_can(const cf_cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    return no_katapult();
}
int cf_cmd_flash_usb(const cf_cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    return no_katapult();
}
void cf_list_katapult(const cf_cli *cli, struct json_t *json)
{
    (void)cli;
    (void)json;
}
#endif
