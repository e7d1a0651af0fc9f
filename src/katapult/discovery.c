/* Finding probes: which Katapult- and Klipper-mode USB devices are
 * Cartographer probes, the CAN query for unassigned nodes, and the CAN UUID a
 * chip's USB serial implies. The sysfs scan itself is usbprobe.c, the
 * printer.cfg and klippy.log scan cfgscan.c. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/chipid.h"
#include "katapult/katapult.h"
#include "common/fileio.h"

cf_code cf_kp_can_query_env(const cf_kp_env *env, const char *ifname, unsigned wait_ms,
                            cf_kp_found_uuid *out, size_t cap, size_t *count, cf_error *err)
{
    *count = 0;
    if (!ifname)
        ifname = "can0";
    cf_kp_can *can;
    cf_code rc = cf_kp_env_can_open(env, ifname, &can, err);
    if (rc)
        return rc;
    cf_kp_can_node nodes[32];
    size_t n = 0;
    rc = cf_kp_can_query(can, (int)wait_ms, nodes, 32, &n, err);
    cf_kp_can_close(can);
    for (size_t i = 0; i < n && *count < cap; i++) {
        cf_kp_found_uuid *f = &out[(*count)++];
        memset(f, 0, sizeof(*f));
        cf_kp_uuid_format(nodes[i].uuid, f->uuid);
        f->app = nodes[i].app == 0x01   ? CF_KP_APP_KLIPPER
                 : nodes[i].app == 0x11 ? CF_KP_APP_KATAPULT
                                        : CF_KP_APP_UNKNOWN;
        snprintf(f->source, sizeof(f->source), "CAN query on %s", ifname);
    }
    return rc;
}

/* Whether a /dev/serial/by-id name for this tty says Cartographer (udev builds
 * those names from the same USB strings; they are what users see and pass). */
static bool by_id_says_cartographer(const cf_kp_env *env, const char *tty)
{
    if (!cf_kp_env_on_machine(env) || (env && env->sysfs_root) || !tty[0])
        return false; /* an in-process or fake bus has no /dev/serial of its own */
    DIR *dir = opendir("/dev/serial/by-id");
    if (!dir)
        return false;
    bool found = false;
    for (struct dirent *de; !found && (de = readdir(dir));) {
        if (!strcasestr(de->d_name, "cartographer"))
            continue;
        char link[PATH_MAX];
        if ((size_t)snprintf(link, sizeof(link), "/dev/serial/by-id/%s", de->d_name) < sizeof(link))
            found = cf_same_path(link, tty);
    }
    closedir(dir);
    return found;
}

/* Without --device only a device that identifies as a Cartographer may be
 * chosen (and so be sent anything, even the 1200-baud bootloader request): the
 * Cartographer app by its USB strings or by-id name, or Katapult running on a
 * probe's MCU (Katapult's strings name only the MCU). A printer mainboard
 * running Klipper is 1d50:614e too. */
bool cf_kp_usb_is_probe(const cf_kp_env *env, const cf_kp_usb_dev *d)
{
    if (d->app == CF_KP_APP_KLIPPER)
        return d->cartographer || by_id_says_cartographer(env, d->tty);
    if (d->app == CF_KP_APP_KATAPULT)
        return strcasecmp(d->product, "stm32f042x6") == 0 ||
               strcasecmp(d->product, "stm32g431xx") == 0 || by_id_says_cartographer(env, d->tty);
    return false;
}

bool cf_kp_uuid_from_serial(const char *serial, char out[13])
{
    uint8_t uid[CF_CHIPID_LEN];
    if (!cf_chipid_from_klipper_serial(serial, uid))
        return false;
    cf_chipid_can_uuid_hex(uid, out);
    return true;
}
