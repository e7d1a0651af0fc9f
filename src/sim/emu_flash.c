/* Flash model: NOR flash as the STM32 flash controller sees it.
 *
 * Erased cells read 0xFF. Erase works on whole pages. Programming works in
 * units (F0: 16-bit half-word, G4: 64-bit double-word) and the controller
 * refuses to program a unit that is not erased (PGERR / PROGERR), except that
 * F0 silicon accepts writing all-zero to anything. We model that by refusing
 * with a configurable DFU status. Where the write is accepted, the cell can
 * only lose bits (new = old & data).
 *
 * The backing file, when given, mirrors the whole flash and is written through
 * with pwrite() on every erase and program, so another process (a test, the
 * guest test next to the USB/IP device server) sees the result at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/emu_internal.h"

/* Moves len bytes between the file at off and memory, resuming after signals
 * and short transfers: from `out` to the file when it is given, else from
 * the file into `in`. */
static cf_code transfer_all(int fd, const uint8_t *out, uint8_t *in, size_t len, off_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = out ? pwrite(fd, out + done, len - done, off + (off_t)done)
                        : pread(fd, in + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return CF_ERR_IO;
        }
        done += (size_t)n;
    }
    return CF_OK;
}

static cf_code write_all(int fd, const uint8_t *data, size_t len, off_t off)
{
    return transfer_all(fd, data, NULL, len, off);
}

static cf_code read_all(int fd, uint8_t *data, size_t len)
{
    return transfer_all(fd, NULL, data, len, 0);
}

static cf_code open_backing(emu_flash *fl, const char *path, cf_error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        cf_fail(err, CF_ERR_IO, "cannot open the simulated flash file %s: %s", path,
                strerror(errno));
        cf_hint(err, "Check that the folder exists and is writable, or drop flash=PATH.");
        return CF_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        cf_fail(err, CF_ERR_USAGE, "the simulated flash file %s is not a regular file", path);
        return CF_ERR_USAGE;
    }
    if (st.st_size == 0) {
        /* New (or empty) file: the chip comes out of the factory erased. */
        if (write_all(fd, fl->mem, fl->size, 0) != CF_OK) {
            close(fd);
            return cf_fail(err, CF_ERR_IO, "cannot write the simulated flash file %s: %s", path,
                           strerror(errno));
        }
    } else if ((uint64_t)st.st_size != fl->size) {
        close(fd);
        cf_fail(err, CF_ERR_USAGE,
                "the simulated flash file %s holds %lld bytes, but this chip has %u bytes of "
                "flash",
                path, (long long)st.st_size, (unsigned)fl->size);
        cf_hint(err, "Use a file made for this chip (dfu:f042 = 32768 bytes, dfu:g431 = 131072 "
                     "bytes, dfu:f446 = 524288 bytes), or delete it to start with an erased "
                     "chip.");
        return CF_ERR_USAGE;
    } else if (read_all(fd, fl->mem, fl->size) != CF_OK) {
        close(fd);
        return cf_fail(err, CF_ERR_IO, "cannot read the simulated flash file %s: %s", path,
                       strerror(errno));
    }
    fl->fd = fd;
    return CF_OK;
}

cf_code emu_flash_open(emu_flash *fl, const emu_chip *chip, const char *path,
                       uint8_t not_erased_status, cf_error *err)
{
    memset(fl, 0, sizeof *fl);
    fl->fd = -1;
    fl->base = chip->flash_base;
    fl->size = chip->flash_size;
    fl->chip = chip;
    fl->page_size = chip->page_size;
    fl->unit = chip->prog_unit;
    fl->not_erased_status = not_erased_status;
    fl->mem = malloc(fl->size);
    if (!fl->mem) {
        return cf_fail(err, CF_ERR_NOMEM, "out of memory for the simulated flash");
    }
    memset(fl->mem, 0xFF, fl->size);
    if (path && *path) {
        cf_code rc = open_backing(fl, path, err);
        if (rc != CF_OK) {
            free(fl->mem);
            fl->mem = NULL;
            return rc;
        }
    }
    return CF_OK;
}

void emu_flash_close(emu_flash *fl)
{
    if (fl->fd >= 0) {
        close(fl->fd);
    }
    free(fl->mem);
    fl->mem = NULL;
    fl->fd = -1;
}

/* Writes [offset, offset+len) of the model through to the backing file. */
static uint8_t sync_range(emu_flash *fl, uint32_t offset, size_t len)
{
    if (fl->fd < 0) {
        return CF_DFU_STATUS_OK;
    }
    return write_all(fl->fd, fl->mem + offset, len, (off_t)offset) == CF_OK ? CF_DFU_STATUS_OK
                                                                            : CF_DFU_ERR_WRITE;
}

uint8_t emu_flash_erase_page(emu_flash *fl, uint32_t addr)
{
    if (addr < fl->base || addr - fl->base >= fl->size) {
        return CF_DFU_ERR_TARGET;
    }
    uint32_t offset = 0, size = 0;
    uint64_t ns = 0;
    if (!emu_chip_erase_unit(fl->chip, addr - fl->base, &offset, &size, &ns)) {
        return CF_DFU_ERR_TARGET;
    }
    memset(fl->mem + offset, 0xFF, size);
    return sync_range(fl, offset, size);
}

uint8_t emu_flash_mass_erase(emu_flash *fl)
{
    memset(fl->mem, 0xFF, fl->size);
    return sync_range(fl, 0, fl->size);
}

uint8_t emu_program_bits(uint8_t *mem, size_t offset, const uint8_t *data, size_t len,
                         uint32_t unit, uint8_t not_erased_status)
{
    /* Check every unit touched before changing anything: the ROM programs a
     * buffer unit by unit and stops at the first error, but a half-written
     * buffer helps nobody in a model; refusing whole keeps state simple. The
     * unit is padded with 0xFF (no change) where the data does not cover it. */
    size_t first = offset / unit * unit;
    size_t end = offset + len;
    for (size_t u = first; u < end; u += unit) {
        bool erased = true, zero = true;
        for (size_t i = u; i < u + unit; i++) {
            uint8_t v = (i >= offset && i < end) ? data[i - offset] : 0xFF;
            if (mem[i] != 0xFF) {
                erased = false;
            }
            if (v != 0x00) {
                zero = false;
            }
        }
        if (!erased && !zero) {
            return not_erased_status;
        }
    }
    for (size_t i = 0; i < len; i++) {
        mem[offset + i] &= data[i];
    }
    return CF_DFU_STATUS_OK;
}

uint8_t emu_flash_program(emu_flash *fl, uint32_t addr, const uint8_t *data, size_t len)
{
    if (addr < fl->base || addr - fl->base >= fl->size || len > fl->size - (addr - fl->base)) {
        return CF_DFU_ERR_TARGET;
    }
    uint32_t offset = addr - fl->base;
    /* A unit straddling the end of flash cannot exist: flash size is a
     * multiple of the unit, so the padded tail stays inside. */
    uint8_t st = emu_program_bits(fl->mem, offset, data, len, fl->unit, fl->not_erased_status);
    if (st != CF_DFU_STATUS_OK) {
        return st;
    }
    size_t first = offset / fl->unit * fl->unit;
    size_t end = ((size_t)offset + len + fl->unit - 1) / fl->unit * fl->unit;
    return sync_range(fl, (uint32_t)first, end - first);
}

uint64_t emu_duration_program(const emu_chip *chip, size_t len)
{
    size_t units = (len + chip->prog_unit - 1) / chip->prog_unit;
    return (uint64_t)units * chip->prog_unit_ns;
}
