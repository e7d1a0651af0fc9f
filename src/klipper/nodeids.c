/* The CAN node ids cartoflash gives probes to identify them.
 *
 * Why a file: a Klipper node keeps an id until it restarts, and a node that
 * sees its own id given to another UUID shuts down ("Another CAN node
 * assigned this ID", src/generic/canserial.c). So every UUID gets its own id,
 * the same one each time, remembered under XDG state; that also lets a later
 * run reach a node that no longer answers QUERY_UNASSIGNED because we gave it
 * an id. Ids come from 0x90..0xDF: klippy assigns from 4 upward, one per CAN
 * MCU (klippy/extras/canbus_ids.py), and Katapult's flashtool uses 0x81. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "klipper/klipper.h"

#define FIRST_ID 0x90u
#define ID_COUNT 0x50u
#define FILE_MAX 65536u

static bool is_uuid(const char *s, size_t n)
{
    if (n != 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

size_t cf_kl_nodeids_parse(const char *text, size_t len, cf_kl_nodeid *out, size_t cap)
{
    size_t n = 0;
    size_t i = 0;
    while (i < len && n < cap) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        /* "<12 hex digits> <id in decimal>"; anything else is skipped. */
        const char *l = text + i;
        size_t ll = end - i;
        if (ll >= 14 && ll <= 16 && is_uuid(l, 12) && l[12] == ' ') {
            unsigned v = 0;
            bool ok = true;
            for (size_t k = 13; k < ll; k++) {
                if (l[k] < '0' || l[k] > '9')
                    ok = false;
                else
                    v = v * 10 + (unsigned)(l[k] - '0');
            }
            if (ok && v >= FIRST_ID && v < FIRST_ID + ID_COUNT) {
                memcpy(out[n].uuid, l, 12);
                out[n].uuid[12] = 0;
                out[n].id = (uint8_t)v;
                n++;
            }
        }
        i = end + 1;
    }
    return n;
}

static cf_code state_path(char *out, size_t size, cf_error *err)
{
    char dir[900];
    cf_code rc = cf_xdg_dir("state", dir, sizeof(dir), err);
    if (rc)
        return rc;
    snprintf(out, size, "%s/can-node-ids", dir);
    return CF_OK;
}

static size_t load(const char *path, cf_kl_nodeid *e, size_t cap)
{
    uint8_t *data = NULL;
    size_t size = 0;
    if (cf_read_file(path, FILE_MAX, &data, &size, NULL) != CF_OK)
        return 0;
    size_t n = cf_kl_nodeids_parse((const char *)data, size, e, cap);
    free(data);
    return n;
}

size_t cf_kl_nodeids_load(cf_kl_nodeid *out, size_t cap)
{
    char path[1024];
    if (state_path(path, sizeof(path), NULL) != CF_OK)
        return 0;
    return load(path, out, cap);
}

cf_code cf_kl_can_temp_id(const char *uuid, uint8_t *id, bool *known, cf_error *err)
{
    char path[1024];
    cf_code rc = state_path(path, sizeof(path), err);
    if (rc)
        return rc;
    if (!is_uuid(uuid, strlen(uuid)))
        return cf_fail(err, CF_ERR_USAGE, "'%s' is not a CAN UUID (12 lower-case hex digits)",
                       uuid);
    cf_kl_nodeid e[ID_COUNT];
    size_t n = load(path, e, ID_COUNT);
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].uuid, uuid) == 0) {
            *id = e[i].id;
            *known = true;
            return CF_OK;
        }
    *known = false;
    /* FNV-1a of the UUID picks where to start, so ids spread even without the file. */
    uint32_t h = 2166136261u;
    for (const char *p = uuid; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    for (unsigned k = 0; k < ID_COUNT; k++) {
        uint8_t cand = (uint8_t)(FIRST_ID + (h + k) % ID_COUNT);
        bool used = false;
        for (size_t i = 0; i < n; i++)
            used |= e[i].id == cand;
        if (!used) {
            *id = cand;
            break;
        }
        if (k + 1 == ID_COUNT)
            return cf_fail(err, CF_ERR_UNSUPPORTED, "all %u temporary CAN node ids are taken in %s",
                           ID_COUNT, path);
    }
    /* Remember it before the node gets it. */
    char text[ID_COUNT * 20 + 20];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s %u\n", e[i].uuid,
                                (unsigned)e[i].id);
    len += (size_t)snprintf(text + len, sizeof(text) - len, "%s %u\n", uuid, (unsigned)*id);
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    rc = cf_mkdirs(dir, 0700, err);
    if (rc == CF_OK)
        rc = cf_write_file_atomic(path, text, len, err);
    if (rc)
        cf_hint(err, "cartoflash remembers which CAN node id it gave each probe there, so two "
                     "probes never get the same one; make the folder writable");
    return rc;
}
