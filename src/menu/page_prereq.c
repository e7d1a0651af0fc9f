/* Install Prerequisites: checks what flashing without sudo needs and, with
 * the user's consent, fixes it. System files are written only after being
 * shown, and only when running as root; otherwise the exact commands are
 * printed for the user to run. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "menu/menu.h"

enum { A_RULES = 1, A_GROUPS };

/* One line of the checklist: [ OK ] in place, [ !! ] missing, [ -- ] nothing to
 * judge (unknown, or not needed here). */
typedef enum { ST_BAD = 0, ST_OK, ST_INFO } status_kind;

static void vstatus(status_kind k, const char *fmt, va_list ap)
{
    static const char *const marks[] = {"[ !! ]", "[ OK ]", "[ -- ]"};
    static const menu_color colors[] = {COL_RED, COL_GREEN, COL_YELLOW};
    printf(" %s%s%s  ", scr_code(colors[k]), marks[k], scr_reset());
    vprintf(fmt, ap);
    fputc('\n', stdout);
}

static void status(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void status(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstatus(ok ? ST_OK : ST_BAD, fmt, ap);
    va_end(ap);
}

static void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstatus(ST_INFO, fmt, ap);
    va_end(ap);
}

static const char *user_name(void)
{
    const char *sudo_user = getenv("SUDO_USER");
    if (geteuid() == 0 && sudo_user && sudo_user[0])
        return sudo_user;
    struct passwd *pw = getpwuid(geteuid());
    return pw ? pw->pw_name : "your-user";
}

/* Returns true when everything about USB access is in place. */
static bool check_all(menu_ctx *ctx)
{
    /* Only the DFU bootloader needs a rule: a probe running Klipper or
     * Katapult is a serial device (group dialout), and sysfs is readable by
     * everyone. */
    char where[600] = "";
    bool ok = menu_udev_has_rule(0x0483, 0xdf11, where, sizeof(where));
    status(ok, "udev rule for 0483:df11 (STM32 DFU bootloader)%s%s", ok ? ": " : ": missing",
           where);
    info("1d50:614e (Klipper) and 1d50:6177 (Katapult) need no rule: serial ports, group "
         "dialout");
    static const char *const groups[] = {"plugdev", "dialout"};
    for (size_t i = 0; i < 2; i++) {
        bool exists;
        bool in = menu_in_group(groups[i], &exists);
        if (geteuid() == 0 && getenv("SUDO_USER") && getenv("SUDO_USER")[0])
            info("running as root: group %s is not needed now (%s needs it to flash without "
                 "sudo)",
                 groups[i], user_name());
        else if (geteuid() == 0)
            info("running as root: group %s is not needed (a user flashing without sudo needs "
                 "it)",
                 groups[i]);
        else
            status(in, "%s is %sin group %s%s", user_name(), in ? "" : "not ", groups[i],
                   exists ? "" : " (the group does not exist on this system)");
        ok = ok && (in || geteuid() == 0);
    }

    menu_canlink can;
    cf_error err;
    cf_error_reset(&err);
    if (menu_canlink_query(ctx->set.can_interface, &can, &err) != CF_OK)
        status(false, "CAN interface %s: %s", ctx->set.can_interface, err.message);
    else if (!can.present)
        info("CAN interface %s: not present (only needed to flash or run over CAN)",
             ctx->set.can_interface);
    else
        status(can.up && can.bitrate > 0, "CAN interface %s: %s, %s, bitrate %u, txqueuelen %u%s",
               ctx->set.can_interface, can.up ? "up" : "down",
               can.can_state[0] ? can.can_state : can.operstate, can.bitrate, can.txqlen,
               can.txqlen && can.txqlen < 128 ? " (Klipper recommends 128 or more)" : "");

    char detail[256];
    menu_svc svc = menu_klipper_state(ctx, detail, sizeof(detail));
    if (svc == SVC_UNKNOWN)
        info("Klipper service %s: cannot tell (%s)", ctx->set.klipper_service, detail);
    else
        status(true, "Klipper service %s: %s%s", ctx->set.klipper_service, detail,
               svc == SVC_ACTIVE ? " (offered to stop around a flash)" : "");
    return ok;
}

static void install_rules(void)
{
    printf("\nThe rules file %s would contain:\n\n", MENU_UDEV_RULES_PATH);
    scr_say(COL_CYAN, "%s", menu_udev_rules_text());
    if (geteuid() != 0) {
        printf("You are not root, so cartoflash will not write it. Run these commands:\n\n");
        const char *rule = menu_udev_rules_text();
        size_t len = strlen(rule);
        printf("  sudo tee %s >/dev/null <<'EOF'\n%s%sEOF\n", MENU_UDEV_RULES_PATH, rule,
               len && rule[len - 1] == '\n' ? "" : "\n");
        printf("  sudo udevadm control --reload-rules\n");
        printf("  sudo udevadm trigger --subsystem-match=usb\n");
        return;
    }
    menu m;
    menu_init(&m, "Write this file now?");
    menu_add(&m, 1, COL_NONE, "Yes, write %s and reload udev", MENU_UDEV_RULES_PATH);
    menu_add(&m, 2, COL_NONE, "No");
    int a = menu_show(&m);
    if (a != 1)
        return;
    cf_error err;
    cf_error_reset(&err);
    const char *text = menu_udev_rules_text();
    if (cf_write_file_atomic(MENU_UDEV_RULES_PATH, text, strlen(text), &err) != CF_OK) {
        scr_cf_error(&err);
        return;
    }
    const char *reload[] = {"udevadm", "control", "--reload-rules", NULL};
    const char *trigger[] = {"udevadm", "trigger", "--subsystem-match=usb", NULL};
    char out[512];
    if (menu_run(reload, out, sizeof(out), true, &err) != 0 ||
        menu_run(trigger, out, sizeof(out), true, &err) != 0)
        scr_warn("The file is written, but reloading udev failed (%s). Unplug and replug the "
                 "probe, or reboot.",
                 err.message[0] ? err.message : out);
    else
        scr_success("Wrote %s and reloaded udev.", MENU_UDEV_RULES_PATH);
    menu_log(false, "udev rules written to %s", MENU_UDEV_RULES_PATH);
}

static void fix_groups(void)
{
    const char *user = user_name();
    if (geteuid() != 0 || strcmp(user, "root") == 0) {
        printf("\nRun this (then log out and back in so the groups apply):\n\n");
        printf("  sudo usermod -aG plugdev,dialout %s\n", geteuid() == 0 ? "<your-user>" : user);
        return;
    }
    printf("\nThis adds %s to the groups plugdev and dialout:\n  usermod -aG plugdev,dialout %s\n",
           user, user);
    menu m;
    menu_init(&m, "Run it now?");
    menu_add(&m, 1, COL_NONE, "Yes");
    menu_add(&m, 2, COL_NONE, "No");
    if (menu_show(&m) != 1)
        return;
    const char *argv[] = {"usermod", "-aG", "plugdev,dialout", user, NULL};
    char out[512];
    cf_error err;
    cf_error_reset(&err);
    if (menu_run(argv, out, sizeof(out), true, &err) != 0)
        scr_error("usermod failed: %s", err.message[0] ? err.message : out);
    else
        scr_success("%s added; it applies at the next login.", user);
}

menu_page page_prereq(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Install Prerequisites");
    bool ok = check_all(ctx);
    if (ok)
        printf("\nUSB access is set up: flashing needs no sudo.\n");

    menu m;
    menu_init(&m, "Options");
    menu_add(&m, A_RULES, COL_NONE, "Install the udev rule (show the file first)");
    menu_add(&m, A_GROUPS, COL_NONE, "Add the user to plugdev and dialout");
    menu_add(&m, MENU_ACT_GO(PAGE_PREREQ), COL_NONE, "Check Again");
    menu_add_footer(&m, MENU_ACT_NONE, MENU_ACT_GO(PAGE_MAIN), NULL);
    int a = menu_show(&m);
    switch (a) {
    case A_RULES:
        install_rules();
        return term_pause(NULL) ? PAGE_PREREQ : PAGE_INTERRUPT;
    case A_GROUPS:
        fix_groups();
        return term_pause(NULL) ? PAGE_PREREQ : PAGE_INTERRUPT;
    default:
        return menu_next_page(a);
    }
}
