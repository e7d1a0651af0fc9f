/* The STM32 system bootloader's USB DFU interface: standard requests and the
 * DfuSe state machine (ST AN3156, whose protocol AN2662 §4 spells out; ST's
 * USBD DFU class for what the ROM does between requests).
 *
 * Timing: an operation runs after the GETSTATUS that reports dfuDNBUSY. The
 * real ROM does the flash work inside its USB handler, so every request that
 * arrives meanwhile is NAKed until it is done; we model that by recording
 * busy_until and sleeping at the start of the next request.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "sim/emu_internal.h"

void cf_emu_config_default(cf_emu_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->chip = CF_EMU_CHIP_F042;
    cfg->flash_path = NULL;
    cfg->fault = CF_EMU_FAULT_NONE;
    cfg->fault_at = 1;
    cfg->appear_ms = 0;
    cfg->timing = true;
    cfg->start_in_error = false;
    cfg->not_erased_status = CF_DFU_ERR_PROG;
}

/* Power-on / USB reset state: dfuIDLE, or the dfuERROR/errFIRMWARE many ROMs
 * come up with. */
static void reinit(cf_emu *emu)
{
    emu->state = emu->cfg.start_in_error ? CF_DFU_ERROR : CF_DFU_IDLE;
    emu->status = emu->cfg.start_in_error ? CF_DFU_ERR_FIRMWARE : CF_DFU_STATUS_OK;
    emu->pointer = emu->chip->flash_base;
    emu->alt = 0;
    emu->op = EMU_OP_NONE;
    emu->op_done = false;
    emu->busy_forever = false;
}

cf_code cf_emu_new(const cf_emu_config *cfg, cf_emu **out, cf_error *err)
{
    *out = NULL;
    const emu_chip *chip = emu_chip_get(cfg->chip);
    if (!chip) {
        return cf_fail(err, CF_ERR_USAGE, "unknown simulated chip %d", (int)cfg->chip);
    }
    cf_emu *emu = calloc(1, sizeof *emu);
    if (!emu) {
        return cf_fail(err, CF_ERR_NOMEM, "out of memory for the simulated probe");
    }
    emu->cfg = *cfg;
    emu->cfg.flash_path = NULL;
    emu->cfg.flash_path_buf[0] = '\0';
    emu->chip = chip;
    if (cfg->flash_path && *cfg->flash_path) {
        emu->flash_path = strdup(cfg->flash_path);
        if (!emu->flash_path) {
            free(emu);
            return cf_fail(err, CF_ERR_NOMEM, "out of memory for the simulated probe");
        }
        emu->cfg.flash_path = emu->flash_path;
    }
    const emu_region *opt = NULL, *otp = NULL, *ram = NULL;
    for (int i = 0; i < chip->region_count; i++) {
        const emu_region *r = &chip->regions[i];
        if (r->kind == EMU_REGION_OPTION) {
            opt = r;
        } else if (r->kind == EMU_REGION_OTP) {
            otp = r;
        } else if (r->kind == EMU_REGION_RAM) {
            ram = r;
        }
    }
    emu->option = calloc(1, opt ? opt->size : 1);
    emu->otp = calloc(1, otp ? otp->size : 1);
    emu->ram = calloc(1, ram ? ram->size : 1);
    if (!emu->option || !emu->otp || !emu->ram) {
        cf_emu_free(emu);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory for the simulated probe");
    }
    if (opt) {
        memcpy(emu->option, chip->option_default, opt->size);
    }
    if (otp) {
        memset(emu->otp, 0xFF, otp->size);
    }
    cf_code rc = emu_flash_open(&emu->flash, chip, emu->flash_path, cfg->not_erased_status, err);
    if (rc != CF_OK) {
        emu->flash.fd = -1;
        cf_emu_free(emu);
        return rc;
    }
    if (emu->cfg.fault_at == 0) {
        emu->cfg.fault_at = 1;
    }
    emu->appear_at_ns = cf_now_ns() + (uint64_t)cfg->appear_ms * 1000000u;
    emu->configuration = 1;
    emu->generation = 1;
    reinit(emu);
    *out = emu;
    return CF_OK;
}

void cf_emu_free(cf_emu *emu)
{
    if (!emu) {
        return;
    }
    if (emu->flash.mem) {
        emu_flash_close(&emu->flash);
    }
    free(emu->option);
    free(emu->otp);
    free(emu->ram);
    free(emu->flash_path);
    free(emu);
}

/* ---- bus ---- */

bool cf_emu_present(cf_emu *emu)
{
    return !emu->gone && cf_now_ns() >= emu->appear_at_ns;
}

void cf_emu_bus_reset(cf_emu *emu)
{
    reinit(emu);
}

void cf_emu_replug(cf_emu *emu)
{
    emu->gone = false;
    emu->left = false;
    emu->drop_next = false;
    emu->appear_at_ns = 0;
    emu->busy_until_ns = 0;
    emu->fault_fired = true; /* disarmed: a retry must succeed */
    emu->configuration = 1;
    emu->generation++;
    reinit(emu);
}

unsigned cf_emu_generation(const cf_emu *emu)
{
    return emu->generation;
}

const uint8_t *cf_emu_flash(const cf_emu *emu, uint32_t *base, size_t *size)
{
    if (base) {
        *base = emu->flash.base;
    }
    if (size) {
        *size = emu->flash.size;
    }
    return emu->flash.mem;
}

bool cf_emu_left(const cf_emu *emu, uint32_t *jump_address)
{
    if (emu->left && jump_address) {
        *jump_address = emu->jump_address;
    }
    return emu->left;
}

uint64_t cf_emu_left_ns(const cf_emu *emu)
{
    return emu->left ? emu->left_ns : 0;
}

cf_emu_chip cf_emu_chip_of(const cf_emu *emu)
{
    return emu->chip->id;
}

void cf_emu_sram(const cf_emu *emu, uint32_t *base, uint32_t *size)
{
    *base = 0;
    *size = 0;
    for (int i = 0; i < emu->chip->region_count; i++) {
        if (emu->chip->regions[i].kind == EMU_REGION_RAM) {
            *base = emu->chip->regions[i].base;
            *size = emu->chip->regions[i].size;
        }
    }
}

uint64_t cf_emu_busy_ns(const cf_emu *emu)
{
    return emu->busy_total_ns;
}

uint8_t cf_emu_dfu_state(const cf_emu *emu)
{
    return emu->state;
}

uint8_t cf_emu_dfu_status(const cf_emu *emu)
{
    return emu->status;
}

size_t cf_emu_device_descriptor(const cf_emu *emu, uint8_t *buf, size_t cap)
{
    return emu_build_device_descriptor(emu->chip, buf, cap);
}

size_t cf_emu_config_descriptor(const cf_emu *emu, uint8_t *buf, size_t cap)
{
    return emu_build_config_descriptor(emu->chip, buf, cap);
}

size_t cf_emu_string_descriptor(const cf_emu *emu, uint8_t index, uint8_t *buf, size_t cap)
{
    return emu_build_string_descriptor(emu->chip, index, buf, cap);
}

/* ---- faults ---- */

/* True when the configured fault `kind` fires on this event (the fault_at-th
 * download block, or erase for errerase). Fires once per emulator. */
#ifdef CF_SIM_FAULTS
static bool fault_now(cf_emu *emu, cf_emu_fault kind, unsigned count)
{
    if (emu->cfg.fault != kind || emu->fault_fired || count != emu->cfg.fault_at) {
        return false;
    }
    emu->fault_fired = true;
    return true;
}
#else
/* A build without the test suite has no fault injection: nothing fires, and
 * the compiler drops the branches that would. */
static bool fault_now(cf_emu *emu, cf_emu_fault kind, unsigned count)
{
    (void)emu;
    (void)kind;
    (void)count;
    return false;
}
#endif

/* ---- memory access ---- */

static uint8_t *region_mem(cf_emu *emu, const emu_region *r)
{
    switch (r->kind) {
    case EMU_REGION_FLASH:
        return emu->flash.mem;
    case EMU_REGION_OPTION:
        return emu->option;
    case EMU_REGION_OTP:
        return emu->otp;
    case EMU_REGION_RAM:
        return emu->ram;
    case EMU_REGION_SYSMEM:
        return NULL;
    }
    return NULL;
}

/* Reads up to `want` bytes at addr; returns the count (short at a region's
 * end), or -1 when addr is not readable. */
static long read_memory(cf_emu *emu, uint32_t addr, uint8_t *out, size_t want)
{
    const emu_region *r = emu_chip_region(emu->chip, addr);
    if (!r) {
        return -1;
    }
    size_t avail = r->size - (addr - r->base);
    size_t n = want < avail ? want : avail;
    const uint8_t *mem = region_mem(emu, r);
    if (mem) {
        memcpy(out, mem + (addr - r->base), n);
    } else {
        memset(out, 0, n); /* ROM content is not modelled */
    }
    return (long)n;
}

/* Duration of the buffered op, ns (0 with timing off). */
static uint64_t op_duration(const cf_emu *emu)
{
    if (!emu->cfg.timing) {
        return 0;
    }
    switch (emu->op) {
    case EMU_OP_SET_ADDRESS:
        return emu->chip->set_address_ns;
    case EMU_OP_ERASE_PAGE: {
        uint32_t start = 0, size = 0;
        uint64_t ns = emu->chip->page_erase_ns;
        if (emu->op_addr >= emu->chip->flash_base)
            (void)emu_chip_erase_unit(emu->chip, emu->op_addr - emu->chip->flash_base, &start,
                                      &size, &ns);
        return ns;
    }
    case EMU_OP_MASS_ERASE:
    case EMU_OP_UNPROTECT:
        return emu->chip->mass_erase_ns;
    case EMU_OP_WRITE: {
        const emu_region *r = emu_chip_region(emu->chip, emu->op_addr);
        if (r && (r->kind == EMU_REGION_FLASH || r->kind == EMU_REGION_OTP ||
                  r->kind == EMU_REGION_OPTION)) {
            return emu_duration_program(emu->chip, emu->op_len);
        }
        return 0;
    }
    case EMU_OP_NONE:
    case EMU_OP_BAD_COMMAND:
        return 0;
    }
    return 0;
}

/* Clears one bit that should be 1 in the first byte that has one: a weak cell. */
static void flip_one_bit(uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] != 0) {
            data[i] &= (uint8_t)(data[i] - 1); /* clears the lowest set bit */
            return;
        }
    }
}

static uint8_t write_memory(cf_emu *emu, uint32_t addr, uint8_t *data, size_t len)
{
    const emu_region *r = emu_chip_region(emu->chip, addr);
    if (!r || !r->writable || len > r->size - (addr - r->base)) {
        return CF_DFU_ERR_TARGET;
    }
    uint32_t off = addr - r->base;
    switch (r->kind) {
    case EMU_REGION_FLASH:
        return emu_flash_program(&emu->flash, addr, data, len);
    case EMU_REGION_OTP:
        return emu_program_bits(emu->otp, off, data, len, emu->chip->prog_unit,
                                emu->cfg.not_erased_status);
    case EMU_REGION_OPTION:
        /* The ROM takes the whole option area from its start. */
        if (off != 0) {
            return CF_DFU_ERR_TARGET;
        }
        memcpy(emu->option, data, len);
        return CF_DFU_STATUS_OK;
    case EMU_REGION_RAM:
        memcpy(emu->ram + off, data, len);
        return CF_DFU_STATUS_OK;
    case EMU_REGION_SYSMEM:
        return CF_DFU_ERR_TARGET;
    }
    return CF_DFU_ERR_TARGET;
}

/* A page or mass erase; errERASE instead where the fault plan says so. */
static uint8_t run_erase(cf_emu *emu, bool mass)
{
    emu->erases++;
    if (fault_now(emu, CF_EMU_FAULT_ERRERASE, emu->erases)) {
        return CF_DFU_ERR_ERASE;
    }
    return mass ? emu_flash_mass_erase(&emu->flash)
                : emu_flash_erase_page(&emu->flash, emu->op_addr);
}

/* Runs the buffered op; sets op_status. */
static void run_op(cf_emu *emu)
{
    uint8_t st = CF_DFU_STATUS_OK;
    switch (emu->op) {
    case EMU_OP_SET_ADDRESS:
        if (emu_chip_region(emu->chip, emu->op_addr)) {
            emu->pointer = emu->op_addr;
        } else {
            st = CF_DFU_ERR_TARGET;
        }
        break;
    case EMU_OP_ERASE_PAGE:
    case EMU_OP_MASS_ERASE:
        st = run_erase(emu, emu->op == EMU_OP_MASS_ERASE);
        break;
    case EMU_OP_UNPROTECT:
        /* ROP is never active in this model; unprotect still mass-erases. */
        st = emu_flash_mass_erase(&emu->flash);
        break;
    case EMU_OP_BAD_COMMAND:
        st = CF_DFU_ERR_STALLEDPKT;
        break;
    case EMU_OP_WRITE: {
        uint32_t addr = (uint32_t)(emu->op_block - 2) * EMU_TRANSFER_SIZE + emu->pointer;
        if (emu->op_fault_errwrite) {
            st = CF_DFU_ERR_WRITE;
            break;
        }
        if (emu->op_fault_bitflip) {
            flip_one_bit(emu->buf, emu->op_len);
        }
        st = write_memory(emu, addr, emu->buf, emu->op_len);
        const emu_region *r = emu_chip_region(emu->chip, addr);
        if (st == CF_DFU_STATUS_OK && r && r->kind == EMU_REGION_OPTION) {
            emu->option_reset = true;
        }
        break;
    }
    case EMU_OP_NONE:
        break;
    }
    emu->op_status = st;
    emu->op_done = true;
}

/* ---- DFU class requests ---- */

static void status_reply(uint8_t *data, size_t *len, size_t cap, uint8_t status, uint32_t poll_ms,
                         uint8_t state)
{
    uint8_t r[6] = {status,
                    (uint8_t)(poll_ms & 0xFF),
                    (uint8_t)((poll_ms >> 8) & 0xFF),
                    (uint8_t)((poll_ms >> 16) & 0xFF),
                    state,
                    0};
    size_t n = cap < sizeof r ? cap : sizeof r;
    memcpy(data, r, n);
    *len = n;
}

static cf_emu_result do_getstatus(cf_emu *emu, uint8_t *data, size_t *len, size_t cap)
{
    if (emu->busy_forever && emu->state == CF_DFU_DNLOAD_SYNC) {
        /* a hung flash controller: busy, ask again in 50 ms, never done */
        status_reply(data, len, cap, CF_DFU_STATUS_OK, 50, CF_DFU_DNBUSY);
        return CF_EMU_ACK;
    }
    if (emu->state == CF_DFU_DNLOAD_SYNC && emu->op != EMU_OP_NONE && !emu->op_done) {
        uint64_t dur = op_duration(emu);
        uint32_t poll_ms = (uint32_t)((dur + 999999u) / 1000000u);
        status_reply(data, len, cap, CF_DFU_STATUS_OK, poll_ms, CF_DFU_DNBUSY);
        run_op(emu);
        emu->busy_total_ns += dur;
        if (dur) {
            emu->busy_until_ns = cf_now_ns() + dur;
        }
        /* dfuDNBUSY ends when the work does; the next request sees SYNC. */
        emu->state = CF_DFU_DNLOAD_SYNC;
        if (emu->option_reset) {
            /* New option bytes take effect through a system reset: the chip
             * drops off the bus and enumerates again (in the bootloader, as
             * BOOT0 is still held), so the pending GETSTATUS is never answered
             * on this connection. */
            emu->option_reset = false;
            emu->generation++;
            emu->drop_next = true;
            reinit(emu);
        }
        return CF_EMU_ACK;
    }
    if (emu->state == CF_DFU_DNLOAD_SYNC) {
        bool ok = emu->op_status == CF_DFU_STATUS_OK;
        emu->state = ok ? CF_DFU_DNLOAD_IDLE : CF_DFU_ERROR;
        emu->status = emu->op_status;
        emu->op = EMU_OP_NONE;
        emu->op_done = false;
        status_reply(data, len, cap, emu->status, 0, emu->state);
        return CF_EMU_ACK;
    }
    if (emu->state == CF_DFU_MANIFEST_SYNC) {
        /* The ROM answers dfuMANIFEST, then disconnects and jumps. */
        status_reply(data, len, cap, CF_DFU_STATUS_OK, 0, CF_DFU_MANIFEST);
        emu->state = CF_DFU_MANIFEST;
        emu->left = true;
        emu->jump_address = emu->pointer;
        emu->left_ns = cf_now_ns();
        emu->gone = true;
        return CF_EMU_ACK;
    }
    status_reply(data, len, cap, emu->status, 0, emu->state);
    return CF_EMU_ACK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* DNLOAD block 0: a DfuSe command; decode now, run on GETSTATUS. */
static void buffer_command(cf_emu *emu, const uint8_t *data, size_t len)
{
    emu->op_addr = 0;
    if (len == 5 && data[0] == 0x21) {
        emu->op = EMU_OP_SET_ADDRESS;
        emu->op_addr = le32(data + 1);
    } else if (len == 5 && data[0] == 0x41) {
        emu->op = EMU_OP_ERASE_PAGE;
        emu->op_addr = le32(data + 1);
    } else if (len == 1 && data[0] == 0x41) {
        emu->op = EMU_OP_MASS_ERASE;
    } else if (len == 1 && data[0] == 0x92) {
        emu->op = EMU_OP_UNPROTECT;
    } else {
        emu->op = EMU_OP_BAD_COMMAND; /* AN2662 Fig. 55: errSTALLEDPKT */
    }
}

static cf_emu_result do_dnload(cf_emu *emu, const cf_usb_setup *s, const uint8_t *data)
{
    if (s->length > EMU_TRANSFER_SIZE || s->value == 1) {
        return CF_EMU_STALL;
    }
    if (emu->state != CF_DFU_IDLE && emu->state != CF_DFU_DNLOAD_IDLE) {
        return CF_EMU_STALL; /* ST: STALL, state unchanged */
    }
    if (s->length == 0) {
        emu->state = CF_DFU_MANIFEST_SYNC; /* leave request */
        emu->op = EMU_OP_NONE;
        return CF_EMU_ACK;
    }
    emu->op_fault_errwrite = false;
    emu->op_fault_bitflip = false;
    if (s->value == 0) {
        buffer_command(emu, data, s->length);
    } else {
        unsigned n = ++emu->data_blocks;
        if (fault_now(emu, CF_EMU_FAULT_STALL, n)) {
            return CF_EMU_STALL;
        }
        if (fault_now(emu, CF_EMU_FAULT_TIMEOUT, n)) {
            return CF_EMU_NO_ANSWER;
        }
        if (fault_now(emu, CF_EMU_FAULT_DISCONNECT, n)) {
            emu->gone = true;
            return CF_EMU_GONE;
        }
        emu->busy_forever = fault_now(emu, CF_EMU_FAULT_BUSY, n);
        emu->op_fault_errwrite = fault_now(emu, CF_EMU_FAULT_ERRWRITE, n);
        emu->op_fault_bitflip = fault_now(emu, CF_EMU_FAULT_BITFLIP, n);
        emu->op = EMU_OP_WRITE;
        emu->op_block = s->value;
        emu->op_len = s->length;
        memcpy(emu->buf, data, s->length);
    }
    emu->op_done = false;
    emu->state = CF_DFU_DNLOAD_SYNC;
    return CF_EMU_ACK;
}

static cf_emu_result do_upload(cf_emu *emu, const cf_usb_setup *s, uint8_t *data, size_t *len)
{
    if (s->length == 0 || s->length > EMU_TRANSFER_SIZE || s->value == 1) {
        return CF_EMU_STALL;
    }
    if (emu->state != CF_DFU_IDLE && emu->state != CF_DFU_UPLOAD_IDLE) {
        return CF_EMU_STALL;
    }
    size_t n;
    if (s->value == 0) {
        n = emu->chip->command_count < s->length ? emu->chip->command_count : s->length;
        memcpy(data, emu->chip->commands, n);
    } else {
        uint32_t addr = (uint32_t)(s->value - 2) * EMU_TRANSFER_SIZE + emu->pointer;
        long got = read_memory(emu, addr, data, s->length);
        if (got < 0) {
            emu->state = CF_DFU_ERROR;
            emu->status = CF_DFU_ERR_TARGET;
            return CF_EMU_STALL;
        }
        n = (size_t)got;
    }
    *len = n;
    /* A short frame ends the upload. */
    emu->state = n < s->length ? CF_DFU_IDLE : CF_DFU_UPLOAD_IDLE;
    return CF_EMU_ACK;
}

static cf_emu_result class_request(cf_emu *emu, const cf_usb_setup *s, uint8_t *data, size_t *len)
{
    bool in = (s->request_type & 0x80) != 0;
    if ((s->request_type & 0x1F) != 0x01 || s->index != 0) {
        return CF_EMU_STALL; /* DFU requests go to interface 0 */
    }
    switch (s->request) {
    case 0x00: /* DETACH: meaningless in the bootloader; the F042 ROM fails it */
        return CF_EMU_STALL;
    case 0x01:
        return in ? CF_EMU_STALL : do_dnload(emu, s, data);
    case 0x02:
        return in ? do_upload(emu, s, data, len) : CF_EMU_STALL;
    case 0x03:
        return in ? do_getstatus(emu, data, len, s->length) : CF_EMU_STALL;
    case 0x04: /* CLRSTATUS */
        if (in) {
            return CF_EMU_STALL;
        }
        if (emu->state == CF_DFU_ERROR) {
            emu->state = CF_DFU_IDLE;
            emu->status = CF_DFU_STATUS_OK;
        } else {
            /* ST stacks treat it as an error outside dfuERROR. */
            emu->state = CF_DFU_ERROR;
            emu->status = CF_DFU_ERR_UNKNOWN;
        }
        emu->op = EMU_OP_NONE;
        return CF_EMU_ACK;
    case 0x05: /* GETSTATE */
        if (!in) {
            return CF_EMU_STALL;
        }
        if (s->length >= 1) {
            data[0] = emu->state;
            *len = 1;
        }
        return CF_EMU_ACK;
    case 0x06: /* ABORT */
        if (in) {
            return CF_EMU_STALL;
        }
        if (emu->state != CF_DFU_ERROR) {
            emu->state = CF_DFU_IDLE;
            emu->status = CF_DFU_STATUS_OK;
            emu->op = EMU_OP_NONE;
            emu->op_done = false;
        }
        return CF_EMU_ACK;
    default:
        return CF_EMU_STALL;
    }
}

/* ---- standard requests ---- */

static cf_emu_result get_descriptor(cf_emu *emu, const cf_usb_setup *s, uint8_t *data, size_t *len)
{
    uint8_t type = (uint8_t)(s->value >> 8), index = (uint8_t)(s->value & 0xFF);
    size_t full;
    switch (type) {
    case 0x01:
        full = emu_build_device_descriptor(emu->chip, data, s->length);
        break;
    case 0x02:
        if (index != 0) {
            return CF_EMU_STALL;
        }
        full = emu_build_config_descriptor(emu->chip, data, s->length);
        break;
    case 0x03:
        full = emu_build_string_descriptor(emu->chip, index, data, s->length);
        if (full == 0) {
            return CF_EMU_STALL;
        }
        break;
    default:
        return CF_EMU_STALL; /* full-speed only: no qualifier; no DFU GET_DESCRIPTOR */
    }
    *len = full < s->length ? full : s->length;
    return CF_EMU_ACK;
}

static cf_emu_result standard_request(cf_emu *emu, const cf_usb_setup *s, uint8_t *data,
                                      size_t *len)
{
    uint8_t recipient = s->request_type & 0x1F;
    bool in = (s->request_type & 0x80) != 0;
    switch (s->request) {
    case 0x00: /* GET_STATUS */
        if (!in || s->length < 2) {
            return CF_EMU_STALL;
        }
        data[0] = recipient == 0 ? 0x01 : 0x00; /* self-powered */
        data[1] = 0;
        *len = 2;
        return CF_EMU_ACK;
    case 0x05: /* SET_ADDRESS: the host controller's business */
        return in ? CF_EMU_STALL : CF_EMU_ACK;
    case 0x06:
        return in ? get_descriptor(emu, s, data, len) : CF_EMU_STALL;
    case 0x08: /* GET_CONFIGURATION */
        if (!in || s->length < 1) {
            return CF_EMU_STALL;
        }
        data[0] = emu->configuration;
        *len = 1;
        return CF_EMU_ACK;
    case 0x09: /* SET_CONFIGURATION: re-initialises the DFU state */
        if (in || s->value > 1) {
            return CF_EMU_STALL;
        }
        emu->configuration = (uint8_t)s->value;
        reinit(emu);
        return CF_EMU_ACK;
    case 0x0A: /* GET_INTERFACE */
        if (!in || s->index != 0 || s->length < 1) {
            return CF_EMU_STALL;
        }
        data[0] = emu->alt;
        *len = 1;
        return CF_EMU_ACK;
    case 0x0B: /* SET_INTERFACE */
        if (in || s->index != 0 || s->value >= emu->chip->alt_count) {
            return CF_EMU_STALL;
        }
        emu->alt = (uint8_t)s->value;
        return CF_EMU_ACK;
    default:
        return CF_EMU_STALL;
    }
}

cf_emu_result cf_emu_control(cf_emu *emu, const cf_usb_setup *setup, uint8_t *data, size_t *len)
{
    size_t dummy;
    if (!len) {
        len = &dummy;
    }
    *len = 0;
    if (!cf_emu_present(emu)) {
        return CF_EMU_GONE;
    }
    if (emu->drop_next) {
        emu->drop_next = false;
        return CF_EMU_GONE;
    }
    if (emu->busy_until_ns) {
        /* The chip is still erasing/programming: the host's request waits. */
        cf_sleep_until_ns(emu->busy_until_ns);
        emu->busy_until_ns = 0;
    }
    if (setup->length > 0 && !data) {
        return CF_EMU_STALL;
    }
    uint8_t type = (setup->request_type >> 5) & 0x03;
    if (type == 0) {
        return standard_request(emu, setup, data, len);
    }
    if (type == 1) {
        return class_request(emu, setup, data, len);
    }
    return CF_EMU_STALL;
}
