/* Checks behind Install Prerequisites: udev rules, group membership, the CAN
 * interface. Read-only; writing is page_prereq.c's job, after showing it. */
#include <dirent.h>
#include <grp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

cf_code menu_canlink_parse(const char *json, size_t len, menu_canlink *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!root)
        return cf_fail(err, CF_ERR_FORMAT, "ip's answer is not JSON (line %d: %s)", jerr.line,
                       jerr.text);
    json_t *link = json_array_get(root, 0);
    cf_code rc = CF_OK;
    if (!json_is_object(link)) {
        rc = cf_fail(err, CF_ERR_FORMAT, "ip's answer holds no link");
        goto out;
    }
    out->present = true;
    const char *op = json_string_value(json_object_get(link, "operstate"));
    menu_copy(out->operstate, sizeof(out->operstate), op ? op : "");
    json_t *flags = json_object_get(link, "flags");
    size_t i;
    json_t *f;
    json_array_foreach(flags, i, f)
    {
        const char *s = json_string_value(f);
        if (s && strcmp(s, "UP") == 0)
            out->up = true;
    }
    json_t *q = json_object_get(link, "txqlen");
    if (json_is_integer(q) && json_integer_value(q) >= 0 && json_integer_value(q) < 1000000)
        out->txqlen = (unsigned)json_integer_value(q);
    json_t *data = json_object_get(json_object_get(link, "linkinfo"), "info_data");
    const char *st = json_string_value(json_object_get(data, "state"));
    menu_copy(out->can_state, sizeof(out->can_state), st ? st : "");
    json_t *br = json_object_get(json_object_get(data, "bittiming"), "bitrate");
    if (json_is_integer(br) && json_integer_value(br) > 0 && json_integer_value(br) <= 10000000)
        out->bitrate = (uint32_t)json_integer_value(br);
out:
    json_decref(root);
    return rc;
}

cf_code menu_canlink_query(const char *iface, menu_canlink *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    char sys[96];
    snprintf(sys, sizeof(sys), "/sys/class/net/%s", iface);
    if (access(sys, F_OK) != 0)
        return CF_OK; /* not present */
    const char *argv[] = {"ip", "-j", "-d", "link", "show", "dev", iface, NULL};
    char buf[16384];
    int st = menu_run(argv, buf, sizeof(buf), false, err);
    if (st < 0)
        return err ? err->code : CF_ERR_IO;
    if (st != 0)
        return cf_fail(err, CF_ERR_IO, "ip link show %s failed (status %d)", iface, st);
    return menu_canlink_parse(buf, strlen(buf), out, err);
}
