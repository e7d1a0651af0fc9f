/* The interactive flasher's public contract: what the command line calls when
 * cartoflash runs with no command (or with cartographer-klipper's
 * scripts/firmware.py flags). Everything else in src/menu/ is internal
 * (menu/engine.h for the terminal and numbered menus, menu/menu.h for the pages).
 */
#ifndef CF_MENU_MENU_MAIN_H
#define CF_MENU_MENU_MAIN_H

#include "front/front.h"

/* Runs the menu until the user leaves; argv is the full command line
 * (argv[0] = program name). Returns the process exit status: 0, 130 after
 * Ctrl-C or end of input, a usage status for bad flags. */
int cf_menu_main(const cf_front *fe, int argc, char **argv);

#endif
