/* cartoflash: command-line entry point. Parses the global options, then hands
 * the rest to one command (or to the interactive flasher when there is none). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "front/simulate.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: cartoflash %s[--no-color] [--log FILE] [COMMAND [ARGS]]\n",
            cf_front_simulate_usage());
    fputs(
        "\n"
        "With no command, the interactive flasher starts (old script flags such as\n"
        "-f dfu|can|usb, -b BRANCH, -a, -H, -k, -t, -D, -d DEVICE go there).\n"
        "\n"
        "Commands:\n"
        "  list [--json] [--wait SECONDS]        DFU devices and probes attached now\n"
        "  inspect [--json] [--address A] FILE... what a firmware file is\n"
        "  flash dfu [--device SEL] [--address A] [--full] [--force] [--yes]\n"
        "            [--erase auto|pages|mass] [--no-leave] [--backup-dir DIR]\n"
        "            [--wait SECONDS] [--back-wait SECONDS] [--interface IF] [--dry-run] [--json]\n"
        "            FILE                         verified DFU flash (then leave DFU)\n"
        "  flash can --uuid UUID [--interface IF] [--yes] [--back-wait SECONDS] [--dry-run]\n"
        "            [--json] FILE                flash over Katapult on CAN\n"
        "  flash usb [--device PATH|SYSFS] [--yes] [--back-wait SECONDS] [--dry-run]\n"
        "            [--json] FILE                flash over Katapult on USB\n"
        "  Every flash then looks for the probe running its new firmware (same port and chip,\n"
        "  or the same CAN UUID) and asks it what it runs; not seen: exit 6.\n"
        "  backup dfu [--device SEL] [--json] OUT read the whole flash to OUT\n"
        "  firmware list|pick [filters] [--json]  the firmware catalogue\n"
        "  status [--json] [--interface IF]       what every probe runs; newer images\n"
        "  update [--yes] [--version V] [--dry-run] flash the newest image that fits\n"
        "  switch --to can[@BITRATE]|usb [--yes] [--stop-after deployed] [--restart] [--json]\n"
        "                                         move the probe between USB and CAN\n"
        "                                         (resumable: run it again to continue)\n"
        "\n"
        "Every flash asks first; without a terminal on stdin it needs --yes.\n"
        "--dry-run: find the device, run every check and print the plan (pages, erase\n"
        "method, backup file; Katapult blocks); nothing is erased or sent to the probe.\n"
        "--json: stdout is one JSON document with \"schema\": 1 (on failure\n"
        "{\"schema\": 1, \"error\": {\"code\", \"class\", \"message\", \"hint\"}}); the rest goes\n"
        "to stderr. The schema is docs/schema/cartoflash.schema.json.\n"
        "\n"
        "Global options:\n",
        out);
    fputs(cf_front_simulate_help(), out);
    fputs("  --no-color         no colours (also NO_COLOR=1, or when output is not a terminal)\n"
          "  --log FILE         the debug log flash, backup, update and the menu append to\n"
          "                     (default $XDG_STATE_HOME/cartoflash/cli.log, the menu's\n"
          "                     menu.log; rotated at 256 KiB, 3 kept;\n"
          "                     a symbolic link there is never followed)\n"
          "  --version, -h/--help\n"
          "\n"
          "DEVICE selectors: VID:PID (0483:df11), a bus path (1-1.3) or serial=XYZ.\n"
          "\n"
          "Exit status:\n",
          out);
    for (size_t i = 0; i < cf_exit_class_count; i++)
        fprintf(out, "  %3d  %s\n", cf_exit_classes[i].status, cf_exit_classes[i].meaning);
}

/* Removes argv[i] from the vector. */
static void drop_arg(int *argc, char **argv, int i)
{
    memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(char *));
    (*argc)--;
}

/* Global options may appear anywhere before a "--"; they are taken out of argv. */
static void take_globals(cf_front *cli, int *argc, char **argv, bool *no_color)
{
    for (int i = 1; i < *argc;) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strcmp(a, "--simulate") == 0) {
            cli->simulate = "";
            drop_arg(argc, argv, i);
        } else if (strncmp(a, "--simulate=", 11) == 0) {
            cli->simulate = a + 11;
            drop_arg(argc, argv, i);
        } else if (strcmp(a, "--log") == 0 && i + 1 < *argc) {
            cli->log = argv[i + 1];
            drop_arg(argc, argv, i);
            drop_arg(argc, argv, i);
        } else if (strncmp(a, "--log=", 6) == 0) {
            cli->log = a + 6;
            drop_arg(argc, argv, i);
        } else if (strcmp(a, "--no-color") == 0) {
            *no_color = true;
            drop_arg(argc, argv, i);
        } else {
            i++;
        }
    }
}

typedef int (*command_fn)(const cf_front *cli, int argc, char **argv);
/* The commands that touch a probe keep the debug log; the others (run by shell
 * completion too) do not. */
static const struct {
    const char *name;
    command_fn run;
    bool logs;
} commands[] = {
    {"list", cf_cmd_list, false},         {"inspect", cf_cmd_inspect, false},
    {"flash", cf_cmd_flash, true},        {"backup", cf_cmd_backup, true},
    {"firmware", cf_cmd_firmware, false}, {"status", cf_cmd_status, false},
    {"update", cf_cmd_update, true},      {"switch", cf_cmd_switch, true},
};

/* Runs one command, inside the debug log when it keeps one. */
static int run_command(size_t i, const cf_front *cli, int argc, char **argv)
{
    if (!commands[i].logs)
        return commands[i].run(cli, argc, argv);
    cf_error err;
    cf_error_reset(&err);
    if (cf_cli_log_open(cli, argc, argv, &err) != CF_OK) {
        cf_front local = *cli;
        local.json = cf_cli_wants_json(argc, argv);
        return cf_front_report_error(&local, &err);
    }
    int status = commands[i].run(cli, argc, argv);
    cf_log(false, "exit status %d", status);
    cf_log_close();
    return status;
}

int main(int argc, char **argv)
{
    cf_front cli = {0};
    bool no_color = false;
    take_globals(&cli, &argc, argv, &no_color);
    cf_error err;
    cf_error_reset(&err);
    if (cli.simulate && cf_front_check_simulator(cli.simulate, &err) != CF_OK) {
        cli.json = cf_cli_wants_json(argc, argv);
        return cf_front_report_error(&cli, &err);
    }
    const char *nc = getenv("NO_COLOR");
    cli.tty = isatty(STDOUT_FILENO);
    cli.color = cli.tty && !no_color && !(nc && nc[0]);

    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
            usage(stdout);
            return 0;
        }
        if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
            printf("cartoflash %s\n", CF_VERSION);
            return 0;
        }
        return cf_menu_main(&cli, argc, argv);
    }
    if (strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return run_command(i, &cli, argc - 1, argv + 1);
    fprintf(stderr, "cartoflash: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return cf_exit_status(CF_ERR_USAGE);
}
