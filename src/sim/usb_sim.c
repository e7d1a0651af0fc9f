/* The simulated USB backend: the in-process STM32 bootloader emulator
 * (sim/stm32_dfu.h) behind the cf_usb_backend interface, so the DFU engine
 * cannot tell it from a real probe.
 *
 * list() builds the device entry the way a host does, by parsing the
 * emulator's own device, configuration and string descriptors. Handles
 * remember the emulator's enumeration generation: after the device dropped
 * off the bus (leave, disconnect fault, reset after an option-byte write) an
 * old handle only ever gets CF_ERR_GONE, as with libusb.
 *
 * After leave the bus does not stay empty: the probe runs what its flash
 * holds. sim/boot.h decides that once per leave (the emulator only knows the
 * ROM), and list_runtime() shows the result the way sysfs shows a real
 * probe's firmware: on the same port, after its boot delay, with the identity
 * the firmware's own descriptors give it. A replug puts the probe back in the
 * ROM (DFU mode) and its firmware off the bus.
 *
 * A second DFU device may share the bus (cf_sim_usb_add(), e.g. a
 * printer mainboard's STM32F446 ROM on another port): listed and opened like
 * the probe, so front ends can be shown to tell them apart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/boot.h"
#include "common/clock.h"
#include "sim/stm32_dfu.h"
#include "sim/app_line.h"
#include "sim/sim.h"
#include "usb/usb.h"

/* Where the simulated probe sits on the simulated bus. */
#define SIM_BUS 1
#define SIM_ADDRESS 5
#define SIM_PATH "1-1.3"
/* Where a second device sits (a mainboard in DFU mode). */
#define SIM_EXTRA_ADDRESS 6
#define SIM_EXTRA_PATH "1-1.4"
/* A request the device never answers: the host waits its timeout. We return
 * CF_ERR_TIMEOUT after at most this long so tests stay fast. */
#define SIM_NO_ANSWER_MAX_MS 50u

/* The simulated chip's unique ID (sim/boot.h) is what its firmware reports as
 * USB serial; the F042 ROM itself reports the fixed serial FFFFFFFEFFFF. */

typedef struct sim_backend {
    struct cf_usb_backend base;
    cf_emu *emu;
    cf_emu *extra; /* a second DFU device on SIM_EXTRA_PATH, or NULL */
    /* What the probe runs after the leave it was decided for (one decision
     * per leave: the flash cannot change once the ROM has jumped). */
    cf_boot_probe boot;
    unsigned boot_generation;
    bool noapp;             /* the probe's firmware never enumerates */
    bool klipper_mainboard; /* a mainboard running Klipper sits on SIM_EXTRA_PATH */
    bool owns_emus;         /* cf_sim_usb_open(): emu and extra are freed with the backend */
} sim_backend;

typedef struct sim_dev {
    struct cf_usb_dev base;
    sim_backend *be;
    cf_emu *emu; /* the device this handle is open on */
    unsigned generation;
} sim_dev;

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* String descriptor `index` as ASCII; non-ASCII UTF-16 units become '?', as
 * libusb_get_string_descriptor_ascii() does. */
static void read_string(cf_emu *emu, uint8_t index, char *out, size_t cap)
{
    uint8_t d[256];
    out[0] = '\0';
    if (index == 0) {
        return;
    }
    size_t n = cf_emu_string_descriptor(emu, index, d, sizeof d);
    if (n < 2 || d[1] != 0x03) {
        return;
    }
    if (n > d[0]) {
        n = d[0];
    }
    size_t o = 0;
    for (size_t i = 2; i + 1 < n && o + 1 < cap; i += 2) {
        uint16_t u = rd16(d + i);
        out[o++] = (u >= 0x20 && u < 0x7F) ? (char)u : '?';
    }
    out[o] = '\0';
}

/* Fills info from the configuration descriptor: DFU interface, alt names,
 * functional descriptor. */
static cf_code parse_config(cf_emu *emu, cf_usb_dfu_info *info, cf_error *err)
{
    uint8_t cfg[512];
    size_t n = cf_emu_config_descriptor(emu, cfg, sizeof cfg);
    if (n < 9 || n > sizeof cfg || cfg[1] != 0x02 || rd16(cfg + 2) != n) {
        return cf_fail(err, CF_ERR_FORMAT, "simulated device: bad configuration descriptor");
    }
    for (size_t off = 0; off + 2 <= n;) {
        uint8_t blen = cfg[off], type = cfg[off + 1];
        if (blen < 2 || off + blen > n) {
            return cf_fail(err, CF_ERR_FORMAT,
                           "simulated device: bad descriptor length at offset %zu", off);
        }
        const uint8_t *d = cfg + off;
        if (type == 0x04 && blen >= 9 && d[5] == 0xFE && d[6] == 0x01) {
            info->interface_number = d[2];
            info->dfu_mode = d[7] == 0x02;
            if (info->alt_count < CF_USB_MAX_ALTS) {
                info->alts[info->alt_count].alt = d[3];
                read_string(emu, d[8], info->alts[info->alt_count].name,
                            sizeof info->alts[info->alt_count].name);
                info->alt_count++;
            }
        } else if (type == 0x21 && blen >= 7) {
            info->has_functional = true;
            info->functional.attributes = d[2];
            info->functional.detach_timeout = rd16(d + 3);
            info->functional.transfer_size = rd16(d + 5);
            info->functional.dfu_version = blen >= 9 ? rd16(d + 7) : 0x0100;
        }
        off += blen;
    }
    if (info->alt_count == 0) {
        return cf_fail(err, CF_ERR_FORMAT, "simulated device: no DFU interface");
    }
    return CF_OK;
}

/* Builds the entry of one emulated device the way a host does. */
static cf_code describe_emu(cf_emu *emu, uint8_t address, const char *path, cf_usb_dfu_info *info,
                            cf_error *err)
{
    memset(info, 0, sizeof *info);
    uint8_t dev[18];
    if (cf_emu_device_descriptor(emu, dev, sizeof dev) != sizeof dev || dev[1] != 0x01) {
        return cf_fail(err, CF_ERR_FORMAT, "simulated device: bad device descriptor");
    }
    info->vid = rd16(dev + 8);
    info->pid = rd16(dev + 10);
    info->bcd_device = rd16(dev + 12);
    info->bus = SIM_BUS;
    info->address = address;
    snprintf(info->bus_path, sizeof info->bus_path, "%s", path);
    read_string(emu, dev[14], info->manufacturer, sizeof info->manufacturer);
    read_string(emu, dev[15], info->product, sizeof info->product);
    read_string(emu, dev[16], info->serial, sizeof info->serial);
    return parse_config(emu, info, err);
}

static cf_code sim_list(cf_usb_backend *be_, cf_usb_dfu_info **list, size_t *count, cf_error *err)
{
    sim_backend *be = (sim_backend *)be_;
    *list = NULL;
    *count = 0;
    cf_usb_dfu_info *info = calloc(2, sizeof *info);
    if (!info) {
        return cf_fail(err, CF_ERR_NOMEM, "out of memory listing the simulated device");
    }
    size_t n = 0;
    cf_code rc = CF_OK;
    if (cf_emu_present(be->emu)) {
        rc = describe_emu(be->emu, SIM_ADDRESS, SIM_PATH, &info[n], err);
        n += rc == CF_OK;
    }
    if (rc == CF_OK && be->extra && cf_emu_present(be->extra)) {
        rc = describe_emu(be->extra, SIM_EXTRA_ADDRESS, SIM_EXTRA_PATH, &info[n], err);
        n += rc == CF_OK;
    }
    if (rc != CF_OK || n == 0) {
        free(info);
        return rc;
    }
    *list = info;
    *count = n;
    return CF_OK;
}

static cf_code gone_error(cf_error *err)
{
    cf_fail(err, CF_ERR_GONE, "the simulated probe is no longer on the bus");
    cf_hint(err, "It left DFU mode or was disconnected; put it back in DFU mode and retry.");
    return CF_ERR_GONE;
}

static cf_code map_result(cf_emu_result r, const cf_usb_setup *s, unsigned timeout_ms,
                          cf_error *err)
{
    switch (r) {
    case CF_EMU_ACK:
        return CF_OK;
    case CF_EMU_STALL:
        return cf_fail(err, CF_ERR_STALL,
                       "the simulated probe stalled request 0x%02x (bmRequestType 0x%02x)",
                       s->request, s->request_type);
    case CF_EMU_NO_ANSWER: {
        unsigned wait = timeout_ms < SIM_NO_ANSWER_MAX_MS ? timeout_ms : SIM_NO_ANSWER_MAX_MS;
        cf_sleep_ns((uint64_t)wait * 1000000u);
        cf_fail(err, CF_ERR_TIMEOUT,
                "the simulated probe did not answer request 0x%02x within %u ms", s->request,
                timeout_ms);
        cf_hint(err, "The probe stopped answering; it is still in DFU mode, so retry.");
        return CF_ERR_TIMEOUT;
    }
    case CF_EMU_GONE:
        return gone_error(err);
    }
    return cf_fail(err, CF_ERR_IO, "simulated probe: unexpected result %d", (int)r);
}

static cf_code sim_control(cf_usb_dev *dev_, const cf_usb_setup *setup, uint8_t *data,
                           size_t *actual, unsigned timeout_ms, cf_error *err)
{
    sim_dev *dev = (sim_dev *)dev_;
    size_t len = 0;
    if (actual) {
        *actual = 0;
    }
    if (cf_emu_generation(dev->emu) != dev->generation) {
        return gone_error(err);
    }
    cf_emu_result r = cf_emu_control(dev->emu, setup, data, &len);
    cf_code rc = map_result(r, setup, timeout_ms, err);
    if (rc == CF_OK && actual) {
        *actual = (setup->request_type & 0x80) ? len : setup->length;
    }
    return rc;
}

static cf_code sim_set_alt(cf_usb_dev *dev, uint8_t alt, cf_error *err)
{
    cf_usb_setup s = {.request_type = 0x01, .request = 0x0B, .value = alt, .index = 0};
    return sim_control(dev, &s, NULL, NULL, 5000, err);
}

static cf_code sim_open(cf_usb_backend *be_, const cf_usb_dfu_info *info, cf_usb_dev **out,
                        cf_error *err)
{
    sim_backend *be = (sim_backend *)be_;
    *out = NULL;
    cf_emu *emu = be->extra && strcmp(info->bus_path, SIM_EXTRA_PATH) == 0 ? be->extra : be->emu;
    if (!cf_emu_present(emu)) {
        return gone_error(err);
    }
    sim_dev *dev = calloc(1, sizeof *dev);
    if (!dev) {
        return cf_fail(err, CF_ERR_NOMEM, "out of memory opening the simulated probe");
    }
    dev->base.ops = be->base.ops;
    dev->be = be;
    dev->emu = emu;
    dev->generation = cf_emu_generation(emu);
    /* Claiming is a no-op here; selecting alt 0 is a real request, as with
     * libusb_set_interface_alt_setting(). */
    cf_code rc = sim_set_alt(&dev->base, 0, err);
    if (rc != CF_OK) {
        free(dev);
        return rc;
    }
    *out = &dev->base;
    return CF_OK;
}

/* A printer mainboard running Klipper (an STM32F446 build): 1d50:614e like
 * the probe's firmware, with its own strings and chip serial. */
static void mainboard_entry(cf_usb_runtime_info *out)
{
    memset(out, 0, sizeof *out);
    cf_usb_identity *id = &out->id;
    id->vid = 0x1d50;
    id->pid = 0x614e;
    id->bcd_device = 0x0100;
    snprintf(id->bus_path, sizeof id->bus_path, "%s", SIM_EXTRA_PATH);
    snprintf(id->manufacturer, sizeof id->manufacturer, "Klipper");
    snprintf(id->product, sizeof id->product, "stm32f446xx");
    snprintf(id->serial, sizeof id->serial, "3E0027000E51353432383931");
}

/* Decides once per leave what the probe runs (the flash cannot change once
 * the ROM has jumped); false while it is still in the ROM. */
static bool probe_booted(sim_backend *be)
{
    uint32_t jump = 0;
    if (!cf_emu_left(be->emu, &jump)) {
        cf_boot_probe_reset(&be->boot); /* in the ROM: its firmware is not running */
        return false;
    }
    uint64_t left_ns = cf_emu_left_ns(be->emu);
    if (!be->boot.jumped || be->boot.jump_ns != left_ns ||
        be->boot_generation != cf_emu_generation(be->emu)) {
        cf_boot_chip chip = {.mcu = cf_emu_chip_name(cf_emu_chip_of(be->emu))};
        size_t size = 0;
        const uint8_t *flash = cf_emu_flash(be->emu, &chip.flash_base, &size);
        chip.flash_size = (uint32_t)size;
        cf_emu_sram(be->emu, &chip.sram_base, &chip.sram_size);
        memcpy(chip.uid, cf_boot_sim_uid, sizeof chip.uid);
        cf_boot_probe_jump(&be->boot, &chip, flash, jump, left_ns);
        be->boot_generation = cf_emu_generation(be->emu);
    }
    return true;
}

/* The probe's firmware as sysfs would show it, when it is on the bus. */
static bool probe_entry(sim_backend *be, cf_usb_runtime_info *out)
{
    cf_boot_usb u;
    if (!probe_booted(be) || be->noapp || !cf_boot_probe_usb(&be->boot, cf_now_ns(), &u)) {
        return false;
    }
    memset(out, 0, sizeof *out);
    out->id = u;
    snprintf(out->id.bus_path, sizeof out->id.bus_path, "%s", SIM_PATH); /* the same port */
    return true;
}

/* The bytes the probe's app runs from (its flash from the vector table on),
 * where its Klipper dictionary is; NULL when what runs is not the app. */
static const uint8_t *app_code(sim_backend *be, size_t *len)
{
    uint32_t base = 0;
    size_t size = 0;
    const uint8_t *flash = cf_emu_flash(be->emu, &base, &size);
    uint32_t entry = be->boot.boot.entry;
    if (be->boot.boot.runs != CF_BOOT_APP || entry < base || entry - base >= size) {
        return NULL;
    }
    *len = size - (entry - base);
    return flash + (entry - base);
}

/* The app answers identify on its port; the mainboard (and a probe that
 * runs no app) answers nothing. */
static cf_code sim_open_runtime_line(cf_usb_backend *be_, const char *bus_path,
                                     struct cf_kp_stream **out, cf_error *err)
{
    sim_backend *be = (sim_backend *)be_;
    cf_usb_runtime_info rt;
    const uint8_t *code = NULL;
    size_t len = 0;
    if (strcmp(bus_path, SIM_PATH) == 0 && probe_entry(be, &rt)) {
        code = app_code(be, &len);
    }
    return cf_sim_app_line_open(code, len, bus_path, out, err);
}

static cf_code sim_list_runtime(cf_usb_backend *be_, cf_usb_runtime_info *out, size_t cap,
                                size_t *count, cf_error *err)
{
    sim_backend *be = (sim_backend *)be_;
    (void)err;
    *count = 0;
    if (cap > *count && probe_entry(be, &out[*count])) {
        (*count)++;
    }
    if (cap > *count && be->klipper_mainboard) {
        mainboard_entry(&out[(*count)++]);
    }
    return CF_OK;
}

static void sim_close(cf_usb_dev *dev)
{
    free(dev);
}

static void sim_free(cf_usb_backend *be_)
{
    sim_backend *be = (sim_backend *)be_;
    if (be->owns_emus) {
        cf_emu_free(be->emu);
        cf_emu_free(be->extra);
    }
    free(be);
}

static const struct cf_usb_backend_ops sim_ops = {
    .name = "simulated",
    .list = sim_list,
    .wait_arrival = NULL,
    .open = sim_open,
    .set_alt = sim_set_alt,
    .control = sim_control,
    .close = sim_close,
    .free = sim_free,
    .list_runtime = sim_list_runtime,
    .open_runtime_line = sim_open_runtime_line,
};

cf_code cf_sim_usb_backend(struct cf_emu *emu, cf_usb_backend **out, cf_error *err)
{
    *out = NULL;
    if (!emu) {
        return cf_fail(err, CF_ERR_USAGE, "no emulator given to the simulated USB backend");
    }
    sim_backend *be = calloc(1, sizeof *be);
    if (!be) {
        return cf_fail(err, CF_ERR_NOMEM, "out of memory for the simulated USB backend");
    }
    be->base.ops = &sim_ops;
    be->emu = emu;
    *out = &be->base;
    return CF_OK;
}

cf_code cf_sim_usb_runtime(cf_usb_backend *be_, bool noapp, bool klipper_mainboard, cf_error *err)
{
    if (!be_ || be_->ops != &sim_ops) {
        return cf_fail(err, CF_ERR_USAGE, "only the simulated USB backend has a simulated bus");
    }
    sim_backend *be = (sim_backend *)be_;
    be->noapp = noapp;
    be->klipper_mainboard = klipper_mainboard;
    return CF_OK;
}

cf_code cf_sim_usb_add(cf_usb_backend *be_, struct cf_emu *emu, cf_error *err)
{
    if (!be_ || be_->ops != &sim_ops || !emu) {
        return cf_fail(err, CF_ERR_USAGE, "a second device needs the simulated USB backend");
    }
    sim_backend *be = (sim_backend *)be_;
    if (be->extra) {
        return cf_fail(err, CF_ERR_USAGE, "the simulated bus holds at most two DFU devices");
    }
    be->extra = emu;
    return CF_OK;
}

/* The mainboard next to the probe (mainboard=CHIP): its ROM, with the probe's timing. */
static cf_code add_mainboard(cf_usb_backend *be, const cf_emu_config *probe, cf_error *err)
{
    cf_emu_config mb;
    cf_emu_config_default(&mb);
    mb.chip = probe->mainboard_chip;
    mb.timing = probe->timing;
    cf_emu *emu = NULL;
    cf_code rc = cf_emu_new(&mb, &emu, err);
    if (rc == CF_OK)
        rc = cf_sim_usb_add(be, emu, err);
    if (rc != CF_OK)
        cf_emu_free(emu);
    return rc;
}

cf_code cf_sim_usb_open(const char *spec, cf_usb_backend **out, cf_error *err)
{
    *out = NULL;
    if (spec && strncmp(spec, "katapult", 8) == 0) {
        cf_fail(err, CF_ERR_USAGE, "--simulate=%s simulates a Katapult node, not a DFU device",
                spec);
        cf_hint(err, "Use --simulate=dfu (or dfu:g431) for DFU commands.");
        return CF_ERR_USAGE;
    }
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cf_emu *emu = NULL;
    cf_code rc = cf_emu_parse_spec(spec, &cfg, err);
    if (rc == CF_OK)
        rc = cf_emu_new(&cfg, &emu, err);
    if (rc == CF_OK)
        rc = cf_sim_usb_backend(emu, out, err);
    if (rc != CF_OK) {
        cf_emu_free(emu);
        return rc;
    }
    sim_backend *be = (sim_backend *)*out;
    be->owns_emus = true;
    be->noapp = cfg.noapp;
    be->klipper_mainboard = cfg.mainboard_klipper;
    if (cfg.mainboard)
        rc = add_mainboard(*out, &cfg, err);
    if (rc != CF_OK) {
        cf_usb_backend_free(*out);
        *out = NULL;
    }
    return rc;
}
