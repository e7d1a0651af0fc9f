/* Backups: before anything is erased, what the pages held is saved so a flash
 * can always be undone (`cartoflash flash dfu --address A BACKUP`). */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "common/fileio.h"
#include "flash/flash_internal.h"

static cf_code backup_folder(const char *dir, char *folder, size_t cap, cf_error *err)
{
    if (dir) {
        snprintf(folder, cap, "%s", dir);
        return CF_OK;
    }
    char state[4000];
    cf_code rc = cf_xdg_dir("state", state, sizeof(state), err);
    if (rc == CF_OK)
        snprintf(folder, cap, "%s/backups", state);
    return rc;
}

static cf_code name_in(const char *folder, const char *chip, uint32_t address, char *path_out,
                       size_t path_size, cf_error *err)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
    /* The name carries the address, so restoring is one command with --address. */
    int n = snprintf(path_out, path_size, "%s/%s-%s-0x%08x.bin", folder, chip, stamp, address);
    if (n < 0 || (size_t)n >= path_size)
        return cf_fail(err, CF_ERR_USAGE, "backup path too long");
    /* Two flashes in the same second must not overwrite each other's backup. lstat, so
     * a dangling link planted at the name counts as taken; the write itself refuses any
     * name that appeared since (cf_write_file_new never replaces or follows one). */
    struct stat st;
    for (int i = 2; i < 100 && lstat(path_out, &st) == 0; i++)
        snprintf(path_out, path_size, "%s/%s-%s-%d-0x%08x.bin", folder, chip, stamp, i, address);
    return CF_OK;
}

cf_code cf_flash_backup_name(const char *dir, const char *chip, uint32_t address, char *path_out,
                             size_t path_size, cf_error *err)
{
    char folder[4096];
    cf_code rc = backup_folder(dir, folder, sizeof(folder), err);
    return rc == CF_OK ? name_in(folder, chip, address, path_out, path_size, err) : rc;
}

cf_code cf_flash_save_backup(const char *dir, const char *chip, uint32_t address,
                             const uint8_t *data, size_t size, char *path_out, size_t path_size,
                             cf_error *err)
{
    char folder[4096];
    cf_code rc = backup_folder(dir, folder, sizeof(folder), err);
    if (rc == CF_OK)
        rc = cf_mkdirs(folder, 0755, err);
    if (rc == CF_OK)
        rc = name_in(folder, chip, address, path_out, path_size, err);
    if (rc != CF_OK)
        return rc;
    rc = cf_write_file_new(path_out, data, size, err);
    if (rc != CF_OK)
        cf_hint(err, "Nothing was erased. Free some space or pass --backup-dir.");
    return rc;
}
