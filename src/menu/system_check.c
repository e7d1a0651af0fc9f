/* Checks behind Install Prerequisites: udev rules, group membership, the CAN
 * interface. Read-only; writing is page_prereq.c's job, after showing it. */
#include <dirent.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "katapult/canlink.h"
#include "menu/menu.h"

/* The rule the CLI hint prints and the install step installs (one file,
 * data/udev/70-cartoflash.rules, built into cf_usb). */
const char *menu_udev_rules_text(void)
{
    return cf_usb_udev_rule();
}

/* A line that names both ids (any case) is taken as a rule for the device. */
static bool file_has_rule(const char *path, const char *vid, const char *pid)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#')
            continue;
        found = strcasestr(line, vid) && strcasestr(line, pid);
    }
    fclose(f);
    return found;
}

bool menu_udev_has_rule(uint16_t vid, uint16_t pid, char *where, size_t size)
{
    static const char *const dirs[] = {"/etc/udev/rules.d", "/run/udev/rules.d",
                                       "/lib/udev/rules.d", "/usr/lib/udev/rules.d"};
    char v[8], p[8];
    snprintf(v, sizeof(v), "%04x", vid);
    snprintf(p, sizeof(p), "%04x", pid);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        struct dirent *e;
        bool hit = false;
        while (!hit && (e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 7 || strcmp(e->d_name + n - 6, ".rules") != 0)
                continue;
            char path[600];
            snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
            if (file_has_rule(path, v, p)) {
                menu_copy(where, size, path);
                hit = true;
            }
        }
        closedir(d);
        if (hit)
            return true;
    }
    return false;
}

bool menu_in_group(const char *group, bool *group_exists)
{
    struct group *g = getgrnam(group);
    *group_exists = g != NULL;
    if (!g)
        return false;
    if (getegid() == g->gr_gid)
        return true;
    gid_t groups[256];
    int n = getgroups(256, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == g->gr_gid)
            return true;
    return false;
}

/* The link as the one CAN link reader (rtnetlink, katapult/canlink.h) sees it. */
cf_code menu_canlink_query(const char *iface, menu_canlink *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    cf_kp_canlink link;
    cf_error e;
    cf_error_reset(&e);
    cf_code rc = cf_kp_canlink_get(iface, &link, &e);
    if (rc == CF_ERR_NOT_FOUND)
        return CF_OK; /* not present */
    if (rc != CF_OK) {
        if (err)
            *err = e;
        return rc;
    }
    out->present = true;
    out->up = link.up;
    menu_copy(out->operstate, sizeof(out->operstate), cf_kp_oper_state_name(link.operstate));
    if (link.has_state)
        menu_copy(out->can_state, sizeof(out->can_state), cf_kp_can_state_name(link.state));
    out->bitrate = link.has_bitrate ? link.bitrate : 0;
    out->txqlen = link.txqlen < 1000000 ? (unsigned)link.txqlen : 0;
    return CF_OK;
}
