/* Emulated Katapult node core (see node.h). Facts: Katapult src/command.c,
 * src/flashcmd.c, src/generic/canserial.c, src/generic/usb_cdc.c and
 * src/stm32/flash.c. */
#include "sim/node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/chipid.h"
#include "common/text.h"
#include "common/chips.h"
#include "image/image.h"
#include "katapult/proto.h"
#include "klipper/klipper.h"

#define BLOCK_SIZE 64u
#define RX_CAP 192u /* CAN and UART receive buffers of the real node */
#define TX_CAP 2048u
#define CANQ_CAP 256u
#define ADMIN_ID 0x3F0u
#define ADMIN_REPLY_ID 0x3F1u

enum { NEED_SYNC = 1, NEED_VALID = 2 };

typedef struct can_out {
    uint32_t id;
    uint8_t dlc;
    uint8_t data[8];
} can_out;

struct cf_kpn {
    cf_kpn_config cfg;
    char *flash_path;
    int flash_fd;
    uint8_t *flash;
    uint32_t base;
    size_t size;
    uint32_t page_size;
    uint32_t app_start;
    uint8_t uuid[6];
    char uuid_hex[13];
    char serial[32];

    cf_kpn_mode mode;    /* mode once visible */
    uint64_t visible_at; /* GONE until then (appear / reboot) */
    bool gone_forever;   /* disconnect fault */
    unsigned generation;
    bool reboot_pending; /* COMPLETE: start the app after the reply is out */
    uint64_t reboot_at;

    int node_id; /* CAN node id, -1 when unassigned */
    bool klipper_claimed;

    uint8_t rx[RX_CAP];
    size_t rx_len;
    uint8_t sync_state;

    uint8_t tx[TX_CAP];
    size_t tx_len;
    can_out canq[CANQ_CAP];
    size_t canq_head, canq_len;

    uint32_t baud;
    bool dtr;

    /* faults */
    unsigned send_blocks_dispatched;
    unsigned send_blocks_seen; /* SEND_BLOCK headers seen on the wire (lost fault) */
    uint8_t match[4];
    size_t match_len;
    unsigned drop_bytes; /* USB: bytes still to drop */
    bool drop_can_frame; /* CAN: drop the next data frame */
    bool corrupt_pending;

    uint32_t page_count;
    uint32_t written_end; /* flash offset after the last block written this session */
    uint64_t busy_ns;
    bool persist_failed;
    cf_kpn_stats stats;

    /* Klipper mode: the app's protocol side and where its dictionary sits. */
    cf_kl_mcu kl;
    size_t dict_off, dict_len;
};

/* ---------------------------------------------------------------- config */

void cf_kpn_config_default(cf_kpn_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->link = CF_KPN_CAN;
    cfg->chip = CF_KPN_F042;
    cfg->boot_ms = 300;
    cfg->timing = true;
    cfg->bitrate = 1000000;
    /* A Cartographer's unique ID as seen in user logs (USB serial
     * 16000C000F43304253373820). */
    static const uint8_t uid[12] = {0x16, 0x00, 0x0C, 0x00, 0x0F, 0x43,
                                    0x30, 0x42, 0x53, 0x37, 0x38, 0x20};
    memcpy(cfg->uid, uid, sizeof(uid));
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!*s)
        return false;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

#ifdef CF_SIM_FAULTS
static cf_code parse_fault(const char *v, cf_kpn_config *cfg, cf_error *err)
{
    static const struct {
        const char *name;
        cf_kpn_fault f;
    } kinds[] = {{"lost", CF_KPN_FAULT_LOST},
                 {"nack", CF_KPN_FAULT_NACK},
                 {"busy", CF_KPN_FAULT_BUSY},
                 {"disconnect", CF_KPN_FAULT_DISCONNECT},
                 {"readback", CF_KPN_FAULT_READBACK}};
    const char *at = strchr(v, '@');
    size_t klen = at ? (size_t)(at - v) : strlen(v);
    unsigned long n = 1;
    if (at && !parse_uint(at + 1, 1000000, &n))
        return cf_fail(err, CF_ERR_USAGE, "bad fault position in '%s'", v);
    if (n == 0)
        return cf_fail(err, CF_ERR_USAGE, "fault position counts from 1 in '%s'", v);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strlen(kinds[i].name) == klen && strncmp(v, kinds[i].name, klen) == 0) {
            cfg->fault = kinds[i].f;
            cfg->fault_at = (unsigned)n;
            return CF_OK;
        }
    }
    cf_fail(err, CF_ERR_USAGE, "unknown Katapult fault '%.*s'", (int)klen, v);
    cf_hint(err, "use fault=KIND@N with KIND one of lost, nack, busy, disconnect, readback");
    return CF_ERR_USAGE;
}
#else
/* Fault injection is for tests: a build without the test suite refuses the key. */
static cf_code parse_fault(const char *v, cf_kpn_config *cfg, cf_error *err)
{
    (void)cfg;
    cf_fail(err, CF_ERR_USAGE, "fault injection is not in this build (fault=%.60s)", v);
    cf_hint(err, "It comes with the test suite: build with -DCF_TESTS=ON.");
    return CF_ERR_USAGE;
}
#endif

static cf_code parse_option(char *opt, cf_kpn_config *cfg, cf_error *err)
{
    char *eq = strchr(opt, '=');
    const char *val = eq ? eq + 1 : "";
    if (eq)
        *eq = 0;
    unsigned long n;
    if (strcmp(opt, "flash") == 0 && *val && strlen(val) < sizeof(cfg->flash_path_buf)) {
        strcpy(cfg->flash_path_buf, val);
        cfg->flash_path = cfg->flash_path_buf;
    } else if (strcmp(opt, "fault") == 0) {
        return parse_fault(val, cfg, err);
    } else if (strcmp(opt, "appear") == 0 && parse_uint(val, 3600, &n)) {
        cfg->appear_ms = (unsigned)n * 1000u;
    } else if (strcmp(opt, "boot") == 0 && parse_uint(val, 60000, &n)) {
        cfg->boot_ms = (unsigned)n;
    } else if (strcmp(opt, "mode") == 0 && strcmp(val, "klipper") == 0) {
        cfg->start_katapult = false;
    } else if (strcmp(opt, "mode") == 0 && strcmp(val, "katapult") == 0) {
        cfg->start_katapult = true;
    } else if (strcmp(opt, "claimed") == 0 && !eq) {
        cfg->claimed = true;
    } else if (strcmp(opt, "wedge") == 0 && (strcmp(val, "on") == 0 || !eq)) {
        cfg->wedge = true;
    } else if (strcmp(opt, "timing") == 0 && (strcmp(val, "off") == 0 || strcmp(val, "on") == 0)) {
        cfg->timing = strcmp(val, "on") == 0;
    } else if (strcmp(opt, "bitrate") == 0 && parse_uint(val, 8000000, &n) && n >= 10000) {
        cfg->bitrate = (uint32_t)n;
    } else if (strcmp(opt, "app") == 0 && *val && strlen(val) < sizeof(cfg->app_path_buf)) {
        strcpy(cfg->app_path_buf, val);
        cfg->app_path = cfg->app_path_buf;
    } else if (strcmp(opt, "record") == 0 && *val && strlen(val) < sizeof(cfg->record_path_buf)) {
        strcpy(cfg->record_path_buf, val);
        cfg->record_path = cfg->record_path_buf;
    } else if (strcmp(opt, "mainboard") == 0 && strcmp(val, "usb") == 0) {
        cfg->mainboard_usb = true;
    } else if (strcmp(opt, "noapp") == 0 && !eq) {
        cfg->noapp = true;
    } else if (strcmp(opt, "uid") == 0 && strlen(val) == 24) {
        for (int i = 0; i < 12; i++) {
            int hi = cf_hex_digit(val[2 * i]), lo = cf_hex_digit(val[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return cf_fail(err, CF_ERR_USAGE, "uid must be 24 hex digits");
            cfg->uid[i] = (uint8_t)(hi << 4 | lo);
        }
    } else {
        cf_fail(err, CF_ERR_USAGE, "unknown or malformed Katapult simulator option '%s%s%s'", opt,
                eq ? "=" : "", val);
        cf_hint(err, "options: flash=PATH, fault=KIND@N, appear=SECONDS, boot=MS, "
                     "mode=klipper|katapult, claimed, wedge=on, timing=off, bitrate=N, uid=HEX24, "
                     "app=PATH, record=PATH, mainboard=usb, noapp");
        return CF_ERR_USAGE;
    }
    return CF_OK;
}

cf_code cf_kpn_parse_spec(const char *spec, cf_kpn_config *cfg, cf_error *err)
{
    char spec_copy[1024];
    cf_kpn_config_default(cfg);
    if (!spec || strlen(spec) >= sizeof(spec_copy))
        return cf_fail(err, CF_ERR_USAGE, "missing or too long --simulate SPEC");
    strcpy(spec_copy, spec);
    char *save = NULL;
    char *first = strtok_r(spec_copy, ",", &save);
    if (!first)
        return cf_fail(err, CF_ERR_USAGE, "empty --simulate SPEC");
    char *chip = strchr(first, ':');
    if (chip)
        *chip++ = 0;
    if (strcmp(first, "katapult-can") == 0)
        cfg->link = CF_KPN_CAN;
    else if (strcmp(first, "katapult-usb") == 0)
        cfg->link = CF_KPN_USB;
    else
        return cf_fail(err, CF_ERR_USAGE,
                       "'%s' is not a Katapult simulator (katapult-can, "
                       "katapult-usb)",
                       first);
    if (chip) {
        if (strcmp(chip, "f042") == 0)
            cfg->chip = CF_KPN_F042;
        else if (strcmp(chip, "g431") == 0)
            cfg->chip = CF_KPN_G431;
        else
            return cf_fail(err, CF_ERR_USAGE, "unknown chip '%s' (f042 or g431)", chip);
    }
    for (char *opt; (opt = strtok_r(NULL, ",", &save));) {
        cf_code rc = parse_option(opt, cfg, err);
        if (rc)
            return rc;
    }
    return CF_OK;
}

/* ---------------------------------------------------------------- flash */

/* The chip table's entry for the node's chip. */
static const cf_chip *chip_of(const cf_kpn *n)
{
    return cf_chip_by_mcu(n->cfg.chip == CF_KPN_G431 ? CF_G431_MCU : CF_F042_MCU);
}

static cf_code flash_open(cf_kpn *n, cf_error *err)
{
    n->base = chip_of(n)->flash_start;
    n->size = chip_of(n)->flash_size;
    n->page_size = chip_of(n)->page_size;
    n->app_start = CF_APP_START;
    n->flash = malloc(n->size);
    if (!n->flash)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory for the emulated flash");
    memset(n->flash, 0xFF, n->size);
    n->flash_fd = -1;
    if (!n->cfg.flash_path)
        return CF_OK;
    n->flash_path = strdup(n->cfg.flash_path);
    n->cfg.flash_path = n->flash_path;
    int fd = open(n->flash_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cf_fail(err, CF_ERR_IO, "cannot open emulated flash file %s: %s", n->flash_path,
                       strerror(errno));
    n->flash_fd = fd;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return cf_fail(err, CF_ERR_IO, "cannot stat %s: %s", n->flash_path, strerror(errno));
    if (st.st_size == 0) {
        if (pwrite(fd, n->flash, n->size, 0) != (ssize_t)n->size)
            return cf_fail(err, CF_ERR_IO, "cannot initialise %s", n->flash_path);
        return CF_OK;
    }
    if ((size_t)st.st_size != n->size)
        return cf_fail(err, CF_ERR_FORMAT,
                       "emulated flash file %s has %lld bytes, expected %zu "
                       "for this chip",
                       n->flash_path, (long long)st.st_size, n->size);
    if (pread(fd, n->flash, n->size, 0) != (ssize_t)n->size)
        return cf_fail(err, CF_ERR_IO, "cannot read %s", n->flash_path);
    return CF_OK;
}

static void flash_persist(cf_kpn *n, uint32_t off, size_t len)
{
    /* The in-memory model stays authoritative; a failed write-through only
     * means the test's view of the file is stale, which it will notice. */
    if (n->flash_fd >= 0 && pwrite(n->flash_fd, n->flash + off, len, (off_t)off) != (ssize_t)len)
        n->persist_failed = true;
}

static bool region_erased(const cf_kpn *n, uint32_t off, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (n->flash[off + i] != 0xFF)
            return false;
    return true;
}

static void flash_erase_page(cf_kpn *n, uint32_t page_off)
{
    memset(n->flash + page_off, 0xFF, n->page_size);
    flash_persist(n, page_off, n->page_size);
    n->stats.pages_erased++;
    if (n->cfg.timing)
        n->busy_ns += n->cfg.chip == CF_KPN_G431 ? 22000000ull : 30000000ull;
}

static void flash_program(cf_kpn *n, uint32_t off, const uint8_t *data)
{
    for (size_t i = 0; i < BLOCK_SIZE; i++)
        n->flash[off + i] &= data[i]; /* programming only clears bits */
    flash_persist(n, off, BLOCK_SIZE);
    if (n->cfg.timing)
        n->busy_ns += n->cfg.chip == CF_KPN_G431 ? 8u * 82000ull : 32u * 53500ull;
}

/* Katapult's STM32 write rules (src/stm32/flash.c). Returns 0 or a negative error. */
static int flash_write_block(cf_kpn *n, uint32_t addr, const uint8_t *data)
{
    if (addr % BLOCK_SIZE)
        return -1;
    if (addr < n->base || addr - n->base + BLOCK_SIZE > n->size)
        return -1; /* the real node would fault; refuse instead */
    uint32_t off = addr - n->base;
    uint32_t page_off = off - off % n->page_size;
    if (off == page_off) {
        if (region_erased(n, page_off, n->page_size)) {
            n->page_count++;
        } else if (memcmp(n->flash + off, data, BLOCK_SIZE) == 0 &&
                   region_erased(n, off + BLOCK_SIZE, n->page_size - BLOCK_SIZE)) {
            return 0; /* retransmission of a page's first block */
        } else {
            flash_erase_page(n, page_off);
            n->page_count++;
        }
    } else if (!region_erased(n, off, BLOCK_SIZE)) {
        return memcmp(n->flash + off, data, BLOCK_SIZE) == 0 ? 0 : -2;
    }
    flash_program(n, off, data);
    if (off + BLOCK_SIZE > n->written_end)
        n->written_end = off + BLOCK_SIZE;
    if (n->corrupt_pending) {
        for (size_t i = 0; i < BLOCK_SIZE; i++) {
            uint8_t b = n->flash[off + i];
            if (b) {
                n->flash[off + i] = (uint8_t)(b & (b - 1)); /* clear the lowest set bit */
                flash_persist(n, off + (uint32_t)i, 1);
                n->corrupt_pending = false;
                break;
            }
        }
        return 0; /* silently wrong: only a read-back notices */
    }
    return memcmp(n->flash + off, data, BLOCK_SIZE) == 0 ? 0 : -3;
}

/* ---------------------------------------------------------------- output */

static void can_push(cf_kpn *n, uint32_t id, const uint8_t *data, uint8_t dlc)
{
    if (n->canq_len == CANQ_CAP)
        return; /* a full TX queue drops, as on the chip */
    can_out *f = &n->canq[(n->canq_head + n->canq_len) % CANQ_CAP];
    f->id = id;
    f->dlc = dlc;
    memcpy(f->data, data, dlc);
    n->canq_len++;
}

static void send_frame(cf_kpn *n, uint8_t code, const uint8_t *payload, size_t len)
{
    uint8_t buf[CF_KP_FRAME_MAX];
    size_t flen = cf_kp_frame_encode(code, payload, len, buf, sizeof(buf));
    if (!flen)
        return;
    if (code == CF_KP_RESP_NACK)
        n->stats.nacks_sent++;
    if (code == CF_KP_RESP_ERROR)
        n->stats.errors_sent++;
    if (n->cfg.link == CF_KPN_USB) {
        if (n->tx_len + flen <= TX_CAP) {
            memcpy(n->tx + n->tx_len, buf, flen);
            n->tx_len += flen;
        }
        return;
    }
    if (n->node_id < 0)
        return;
    uint32_t id = 0x100u + 2u * (uint32_t)n->node_id + 1u;
    for (size_t i = 0; i < flen; i += 8) {
        size_t chunk = flen - i < 8 ? flen - i : 8;
        can_push(n, id, buf + i, (uint8_t)chunk);
    }
}

static void send_ack(cf_kpn *n, uint8_t cmd, const uint8_t *extra, size_t len)
{
    uint8_t p[4 + 128];
    cf_kp_put_le32(p, cmd);
    if (len)
        memcpy(p + 4, extra, len);
    send_frame(n, CF_KP_RESP_ACK, p, 4 + len);
}

/* ---------------------------------------------------------------- Klipper app */

/* The app starts: its MCU state is fresh (sequence 0) and its dictionary is
 * whatever its flash holds now. */
static void klipper_app_start(cf_kpn *n)
{
    uint32_t off = n->app_start - n->base;
    size_t doff = 0, dlen = 0;
    if (!cf_image_dictionary_locate(n->flash + off, n->size - off, &doff, &dlen))
        doff = dlen = 0;
    /* An app built for the other MCU does not run on this one (sim/boot.h). */
    cf_kl_ident id = {0};
    if (dlen && (cf_kl_decode_dictionary(n->flash + off + doff, dlen, "flash", &id, NULL) ||
                 strcmp(id.info.mcu, cf_kpn_mcu(n)) != 0))
        doff = dlen = 0;
    /* A CAN build talks on CAN, a USB build on USB, whatever cable the
     * simulation started with. */
    if (dlen && id.info.iface != CF_IFACE_UNKNOWN)
        n->cfg.link = id.info.iface == CF_IFACE_CAN ? CF_KPN_CAN : CF_KPN_USB;
    cf_kl_ident_free(&id);
    n->dict_off = off + doff;
    n->dict_len = dlen;
    cf_kl_mcu_reset(&n->kl, n->flash + n->dict_off, n->dict_len);
}

/* Host bytes for the running app (USB serial, or CAN frames on its node id). */
static void klipper_input(cf_kpn *n, const uint8_t *data, size_t len)
{
    if (!n->dict_len)
        return; /* no dictionary in flash: nothing this model can run answers */
    uint8_t out[512];
    size_t out_len = 0;
    unsigned before = n->kl.identifies;
    cf_kl_mcu_input(&n->kl, data, len, out, sizeof(out), &out_len);
    n->stats.identifies += n->kl.identifies - before;
    if (n->cfg.link == CF_KPN_USB) {
        if (n->tx_len + out_len <= TX_CAP) {
            memcpy(n->tx + n->tx_len, out, out_len);
            n->tx_len += out_len;
        }
        return;
    }
    uint32_t id = 0x100u + 2u * (uint32_t)n->node_id + 1u;
    for (size_t i = 0; i < out_len; i += 8)
        can_push(n, id, out + i, (uint8_t)(out_len - i < 8 ? out_len - i : 8));
}

/* app=PATH: the image's bytes in flash, as a previous flash left them. */
static cf_code load_app_image(cf_kpn *n, const char *path, cf_error *err)
{
    cf_image img;
    cf_image_load_opts lo = {.default_address = n->app_start};
    cf_code rc = cf_image_load(path, &lo, &img, err);
    if (rc)
        return rc;
    for (size_t i = 0; rc == CF_OK && i < img.segment_count; i++) {
        const cf_image_segment *sg = &img.segments[i];
        if (sg->address < n->app_start || sg->address - n->base + (size_t)sg->size > n->size) {
            rc = cf_fail(err, CF_ERR_USAGE,
                         "app=%s does not fit the simulated %s's application area (0x%08x..)", path,
                         cf_kpn_mcu(n), (unsigned)n->app_start);
            break;
        }
        memcpy(n->flash + (sg->address - n->base), sg->data, sg->size);
        flash_persist(n, sg->address - n->base, sg->size);
    }
    cf_image_free(&img);
    return rc;
}

/* ---------------------------------------------------------------- modes */

static void reset_session(cf_kpn *n)
{
    n->rx_len = 0;
    n->sync_state = 0;
    n->tx_len = 0;
    n->canq_len = 0;
    n->node_id = -1;
    n->klipper_claimed = false;
    n->match_len = 0;
    n->drop_bytes = 0;
    n->drop_can_frame = false;
}

/* The node leaves the bus now and comes back in `mode` after `ms`. */
static void reboot(cf_kpn *n, uint64_t now, cf_kpn_mode mode, unsigned ms)
{
    reset_session(n);
    n->mode = mode;
    n->visible_at = now + (uint64_t)ms * 1000000ull;
    n->generation++;
    if (mode == CF_KPN_KATAPULT)
        n->page_count = n->written_end = 0; /* a fresh bootloader session */
    if (mode == CF_KPN_KLIPPER) {
        n->stats.app_starts++;
        n->klipper_claimed = n->cfg.claimed;
        klipper_app_start(n);
    }
}

static bool app_present(const cf_kpn *n)
{
    uint32_t sp = cf_kp_le32(n->flash + (n->app_start - n->base));
    return sp != 0 && sp != 0xFFFFFFFFu;
}

/* Bytes of the application area up to its last programmed (non-0xFF) one,
 * or (limit) up to the end of what this session wrote: past it the flash
 * may still hold the tail of an older, longer application. */
static size_t app_used(const cf_kpn *n, size_t limit)
{
    size_t off = n->app_start - n->base, len = n->size - off;
    if (limit > off && limit - off < len)
        len = limit - off;
    while (len && n->flash[off + len - 1] == 0xFF)
        len--;
    return len;
}

/* Inspects flash bytes [off, off + len) as an image at their address. */
static bool inspect_flash(const cf_kpn *n, uint32_t off, size_t len, cf_image_info *info)
{
    cf_image img;
    cf_image_load_opts lo = {.address = n->base + off, .address_given = true};
    if (!len || cf_image_parse(n->flash + off, len, "flash", &lo, &img, NULL) != CF_OK)
        return false;
    cf_image_inspect(&img, info);
    cf_image_free(&img);
    return true;
}

/* What a Katapult deployer does when it starts (Katapult src/deployer.c):
 * unless the bootloader area already holds the Katapult it embeds, it writes
 * that Katapult there; then it requests Katapult, which stays in its
 * bootloader on its own link: a CAN Katapult leaves USB for the CAN bus. A
 * deployer for the other chip faults at once, as any foreign image does
 * (sim/boot.h): nothing runs. `fresh`: it was just flashed, so this
 * session's extent bounds it. Returns false when the app is no deployer. */
static bool deployer_start(cf_kpn *n, uint64_t now, bool fresh)
{
    uint32_t off = n->app_start - n->base;
    cf_image_info info, boot;
    if (!inspect_flash(n, off, app_used(n, fresh ? n->written_end : 0), &info) ||
        info.kind != CF_KIND_DEPLOYER)
        return false;
    if (strcmp(info.katapult_mcu, cf_kpn_mcu(n)) != 0) {
        n->gone_forever = true;
        n->generation++;
        return true;
    }
    /* Katapult there already (an earlier start wrote it): it is only entered. */
    bool installed = inspect_flash(n, 0, off, &boot) && boot.kind == CF_KIND_KATAPULT &&
                     strcmp(boot.katapult_mcu, info.katapult_mcu) == 0;
    if (fresh || !installed) {
        size_t len = app_used(n, fresh ? n->written_end : 0) - info.katapult_offset;
        if (len > off)
            len = off;
        memset(n->flash, 0xFF, off);
        memcpy(n->flash, n->flash + off + info.katapult_offset, len);
        flash_persist(n, 0, off);
    }
    /* The link is the installed Katapult's, read from the bootloader area
     * alone (the deployer's copy may be followed by an older app's bytes). */
    if (inspect_flash(n, 0, off, &boot) && boot.kind == CF_KIND_KATAPULT &&
        boot.katapult_iface != CF_IFACE_UNKNOWN)
        n->cfg.link = boot.katapult_iface == CF_IFACE_CAN ? CF_KPN_CAN : CF_KPN_USB;
    n->stats.deployer_runs += fresh;
    reboot(n, now, CF_KPN_KATAPULT, n->cfg.boot_ms);
    return true;
}

void cf_kpn_tick(cf_kpn *n, uint64_t now)
{
    if (n->reboot_pending && now >= n->reboot_at) {
        n->reboot_pending = false;
        /* Katapult's reset path: start the app if it has a vector table,
         * else stay in the bootloader (src/bootentry.c). */
        if (!app_present(n))
            reboot(n, n->reboot_at, CF_KPN_KATAPULT, n->cfg.boot_ms);
        else if (!deployer_start(n, n->reboot_at, true))
            reboot(n, n->reboot_at, CF_KPN_KLIPPER, n->cfg.boot_ms);
        /* noapp: the app started by COMPLETE never enumerates or answers */
        if (n->cfg.noapp && n->mode == CF_KPN_KLIPPER)
            n->gone_forever = true;
    }
}

cf_kpn_mode cf_kpn_get_mode(cf_kpn *n, uint64_t now)
{
    cf_kpn_tick(n, now);
    if (n->gone_forever || now < n->visible_at)
        return CF_KPN_GONE;
    return n->mode;
}

unsigned cf_kpn_generation(const cf_kpn *n)
{
    return n->generation;
}

/* ---------------------------------------------------------------- commands */

static void cmd_connect(cf_kpn *n)
{
    uint8_t p[128];
    memset(p, 0, sizeof(p));
    const char *mcu = cf_kpn_mcu(n);
    const char *ver = "v0.0.1-emu-cartoflash";
    size_t mlen = strlen(mcu), vlen = strlen(ver);
    size_t mwords = (mlen + 3) / 4, vwords = (vlen + 3) / 4;
    cf_kp_put_le32(p, CF_KP_PROTO_VERSION);
    cf_kp_put_le32(p + 4, n->app_start);
    cf_kp_put_le32(p + 8, BLOCK_SIZE);
    memcpy(p + 12, mcu, mlen);
    size_t off = 12 + 4 * mwords + 4; /* zero separator word */
    memcpy(p + off, ver, vlen);
    off += 4 * vwords;
    n->stats.connects++;
    send_ack(n, CF_KP_CMD_CONNECT, p, off);
}

/* The fault armed for this SEND_BLOCK, if any: true when it answered the
 * block instead of the node (NACK, BUSY, gone). Only builds with the test
 * suite inject faults. */
static bool send_block_fault(cf_kpn *n)
{
#ifdef CF_SIM_FAULTS
    if (n->cfg.fault_at != n->send_blocks_dispatched)
        return false;
    switch (n->cfg.fault) {
    case CF_KPN_FAULT_NACK:
        send_frame(n, CF_KP_RESP_NACK, NULL, 0);
        return true;
    case CF_KPN_FAULT_BUSY:
        send_frame(n, CF_KP_RESP_BUSY, NULL, 0);
        return true;
    case CF_KPN_FAULT_DISCONNECT:
        reset_session(n);
        n->gone_forever = true;
        n->generation++;
        return true;
    case CF_KPN_FAULT_READBACK:
        n->corrupt_pending = true;
        return false;
    default:
        return false;
    }
#else
    (void)n;
    return false;
#endif
}

static void cmd_send_block(cf_kpn *n, const uint8_t *p, size_t len, uint64_t now)
{
    (void)now;
    n->send_blocks_dispatched++;
    if (send_block_fault(n))
        return;
    if (len != 4 + BLOCK_SIZE) {
        send_frame(n, CF_KP_RESP_ERROR, NULL, 0);
        return;
    }
    uint32_t addr = cf_kp_le32(p);
    if (addr < n->app_start || flash_write_block(n, addr, p + 4) != 0) {
        send_frame(n, CF_KP_RESP_ERROR, NULL, 0);
        return;
    }
    n->stats.blocks_written++;
    send_ack(n, CF_KP_CMD_SEND_BLOCK, p, 4);
}

static void cmd_request_block(cf_kpn *n, const uint8_t *p, size_t len)
{
    uint8_t out[4 + BLOCK_SIZE];
    uint32_t addr = len >= 4 ? cf_kp_le32(p) : 0;
    cf_kp_put_le32(out, addr);
    for (uint32_t i = 0; i < BLOCK_SIZE; i++) {
        uint32_t a = addr + i;
        out[4 + i] = (a >= n->base && a - n->base < n->size) ? n->flash[a - n->base] : 0xFF;
    }
    n->stats.blocks_read++;
    send_ack(n, CF_KP_CMD_REQUEST_BLOCK, out, sizeof(out));
}

static void dispatch(cf_kpn *n, uint8_t cmd, const uint8_t *p, size_t len, uint64_t now)
{
    uint8_t w[8];
    switch (cmd) {
    case CF_KP_CMD_CONNECT:
        cmd_connect(n);
        break;
    case CF_KP_CMD_SEND_BLOCK:
        cmd_send_block(n, p, len, now);
        break;
    case CF_KP_CMD_SEND_EOF:
        n->stats.eofs++;
        cf_kp_put_le32(w, n->page_count);
        send_ack(n, CF_KP_CMD_SEND_EOF, w, 4);
        break;
    case CF_KP_CMD_REQUEST_BLOCK:
        cmd_request_block(n, p, len);
        break;
    case CF_KP_CMD_COMPLETE:
        n->stats.completes++;
        send_ack(n, CF_KP_CMD_COMPLETE, NULL, 0);
        n->reboot_pending = true;
        n->reboot_at = now + 100000000ull; /* the node waits 100 ms, then resets */
        break;
    case CF_KP_CMD_GET_CANBUS_ID:
        if (n->cfg.link == CF_KPN_CAN) {
            memset(w, 0, sizeof(w));
            memcpy(w, n->uuid, 6);
            send_ack(n, CF_KP_CMD_GET_CANBUS_ID, w, 8);
            break;
        }
        send_frame(n, CF_KP_RESP_ERROR, NULL, 0); /* USB builds have no CAN id */
        break;
    default:
        send_frame(n, CF_KP_RESP_ERROR, NULL, 0);
    }
}

/* One pass of the node's frame finder (command_find_block). Returns
 * 1 = frame of *pop bytes, 0 = need more, -1 = *pop bytes dropped. */
static int find_block(cf_kpn *n, size_t *pop)
{
    const uint8_t *b = n->rx;
    size_t len = n->rx_len;
    size_t search_from = 0;
    if (len && (n->sync_state & NEED_SYNC))
        goto need_sync;
    if (len < CF_KP_FRAME_MIN) {
        *pop = 0;
        return 0;
    }
    if (b[0] != CF_KP_STX1 || b[1] != CF_KP_STX2)
        goto error;
    size_t msglen = (size_t)b[3] * 4 + 8;
    if (msglen > CF_KP_MSG_MAX)
        goto error;
    if (len < msglen) {
        *pop = 0;
        return 0;
    }
    if (b[msglen - 2] != CF_KP_ETX1 || b[msglen - 1] != CF_KP_ETX2)
        goto error;
    if (cf_kp_crc16(b + 2, msglen - 6) != (uint16_t)(b[msglen - 4] | b[msglen - 3] << 8))
        goto error;
    n->sync_state &= (uint8_t)~NEED_VALID;
    *pop = msglen;
    return 1;
error:
    n->sync_state |= NEED_SYNC;
    search_from = n->cfg.wedge ? 0 : 1;
need_sync:;
    const uint8_t *next = NULL;
    if (search_from < len)
        next = memchr(b + search_from, CF_KP_STX1, len - search_from);
    if (next) {
        n->sync_state &= (uint8_t)~NEED_SYNC;
        *pop = (size_t)(next - b);
    } else {
        *pop = len;
    }
    if (!(n->sync_state & NEED_VALID)) {
        n->sync_state |= NEED_VALID;
        send_frame(n, CF_KP_RESP_NACK, NULL, 0);
    }
    return -1;
}

static void process_rx(cf_kpn *n, uint64_t now)
{
    for (int guard = 0; guard < 64 && n->rx_len; guard++) {
        size_t pop = 0;
        int r = find_block(n, &pop);
        if (r == 0)
            return;
        if (r > 0)
            dispatch(n, n->rx[2], n->rx + 4, pop - 8, now);
        if (pop == 0)
            continue; /* resynced at offset 0, or wedged (wedge=on): the guard ends it */
        if (n->gone_forever)
            return;
        memmove(n->rx, n->rx + pop, n->rx_len - pop);
        n->rx_len -= pop;
    }
}

/* Watches the byte stream for SEND_BLOCK headers (01 88 12 11) to place the
 * lost-frame fault; returns true when the bytes after the Nth header are to
 * be lost. */
static bool watch_send_block(cf_kpn *n, uint8_t byte)
{
    static const uint8_t hdr[4] = {CF_KP_STX1, CF_KP_STX2, CF_KP_CMD_SEND_BLOCK, 17};
    if (byte == hdr[n->match_len]) {
        n->match_len++;
    } else {
        n->match_len = byte == hdr[0] ? 1 : 0;
    }
    if (n->match_len < 4)
        return false;
    n->match_len = 0;
    n->send_blocks_seen++;
#ifdef CF_SIM_FAULTS
    return n->cfg.fault == CF_KPN_FAULT_LOST && n->send_blocks_seen == n->cfg.fault_at;
#else
    return false; /* no fault injection without the test suite */
#endif
}

static void stream_in(cf_kpn *n, uint64_t now, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (n->drop_bytes) {
            n->drop_bytes--;
            continue;
        }
        if (n->rx_len < RX_CAP)
            n->rx[n->rx_len++] = data[i];
        if (watch_send_block(n, data[i])) {
            if (n->cfg.link == CF_KPN_USB)
                n->drop_bytes = 8;
            else
                n->drop_can_frame = true;
        }
    }
    process_rx(n, now);
}

/* ---------------------------------------------------------------- CAN */

static void admin_katapult(cf_kpn *n, const uint8_t *d, uint8_t dlc)
{
    uint8_t r[8];
    switch (d[0]) {
    case 0x00: /* QUERY_UNASSIGNED */
        if (n->node_id < 0) {
            r[0] = 0x20;
            memcpy(r + 1, n->uuid, 6);
            r[7] = 0x11;
            can_push(n, ADMIN_REPLY_ID, r, 8);
        }
        break;
    case 0x11: /* SET_CANBOOT_NODEID */
        if (dlc < 8)
            break;
        if (memcmp(d + 1, n->uuid, 6) == 0)
            n->node_id = d[7];
        else if (n->node_id == d[7])
            n->node_id = -1; /* someone else got our id */
        break;
    case 0x12: /* CLEAR_CANBOOT_NODEID */
        n->node_id = -1;
        break;
    default:
        break;
    }
}

static void admin_klipper(cf_kpn *n, const uint8_t *d, uint8_t dlc, uint64_t now)
{
    uint8_t r[8];
    switch (d[0]) {
    case 0x00:
        if (n->node_id < 0 && !n->klipper_claimed) {
            r[0] = 0x20;
            memcpy(r + 1, n->uuid, 6);
            r[7] = 0x01;
            can_push(n, ADMIN_REPLY_ID, r, 8);
        }
        break;
    case 0x01: /* SET_KLIPPER_NODEID: klippy claims the node */
        if (dlc >= 8 && memcmp(d + 1, n->uuid, 6) == 0)
            n->node_id = d[7];
        break;
    case 0x02: /* REQUEST_BOOTLOADER: obeyed even when claimed */
        if (dlc >= 7 && memcmp(d + 1, n->uuid, 6) == 0) {
            n->stats.bootloader_requests++;
            reboot(n, now, CF_KPN_KATAPULT, n->cfg.boot_ms);
        }
        break;
    default:
        break;
    }
}

void cf_kpn_can_rx(cf_kpn *n, uint64_t now, uint32_t id, const uint8_t *data, uint8_t dlc)
{
    if (cf_kpn_get_mode(n, now) == CF_KPN_GONE || dlc > 8 || n->cfg.link != CF_KPN_CAN)
        return;
    if (id == ADMIN_ID) {
        if (!dlc)
            return;
        if (n->mode == CF_KPN_KATAPULT)
            admin_katapult(n, data, dlc);
        else
            admin_klipper(n, data, dlc, now);
        return;
    }
    if (n->node_id >= 0 && n->mode == CF_KPN_KLIPPER) {
        if (id == 0x100u + 2u * (uint32_t)n->node_id)
            klipper_input(n, data, dlc);
        return;
    }
    if (n->node_id < 0 || n->mode != CF_KPN_KATAPULT)
        return;
    uint32_t rx_id = 0x100u + 2u * (uint32_t)n->node_id;
    if (id == rx_id + 1) {
        n->node_id = -1; /* another node answers on our id: conflict */
        return;
    }
    if (id != rx_id)
        return;
    if (n->drop_can_frame) {
        n->drop_can_frame = false;
        return;
    }
    stream_in(n, now, data, dlc);
}

bool cf_kpn_can_tx(cf_kpn *n, uint64_t now, uint32_t *id, uint8_t *data, uint8_t *dlc)
{
    cf_kpn_tick(n, now);
    if (!n->canq_len)
        return false;
    can_out *f = &n->canq[n->canq_head];
    *id = f->id;
    *dlc = f->dlc;
    memcpy(data, f->data, f->dlc);
    n->canq_head = (n->canq_head + 1) % CANQ_CAP;
    n->canq_len--;
    return true;
}

/* ---------------------------------------------------------------- USB */

void cf_kpn_stream_rx(cf_kpn *n, uint64_t now, const uint8_t *data, size_t len)
{
    cf_kpn_mode mode = cf_kpn_get_mode(n, now);
    if (mode == CF_KPN_KLIPPER && n->cfg.link == CF_KPN_USB) {
        klipper_input(n, data, len); /* the app's protocol, as far as identify */
        return;
    }
    if (mode != CF_KPN_KATAPULT || n->cfg.link != CF_KPN_USB)
        return;
    stream_in(n, now, data, len);
}

size_t cf_kpn_stream_tx(cf_kpn *n, uint64_t now, uint8_t *buf, size_t cap)
{
    cf_kpn_tick(n, now);
    size_t k = n->tx_len < cap ? n->tx_len : cap;
    memcpy(buf, n->tx, k);
    memmove(n->tx, n->tx + k, n->tx_len - k);
    n->tx_len -= k;
    return k;
}

void cf_kpn_line_state(cf_kpn *n, uint64_t now, uint32_t baud, bool dtr)
{
    n->baud = baud;
    n->dtr = dtr;
    /* Klipper's usb_cdc check_reboot: 1200 baud with DTR low. Katapult's
     * own check is empty. */
    if (cf_kpn_get_mode(n, now) == CF_KPN_KLIPPER && baud == 1200 && !dtr) {
        n->stats.bootloader_requests++;
        reboot(n, now, CF_KPN_KATAPULT, n->cfg.boot_ms);
    }
}

void cf_kpn_usb_identity(const cf_kpn *n, cf_kpn_usb_id *id)
{
    memset(id, 0, sizeof(*id));
    id->vid = 0x1d50;
    if (n->mode == CF_KPN_KATAPULT) {
        id->pid = 0x6177;
        snprintf(id->manufacturer, sizeof(id->manufacturer), "katapult");
        snprintf(id->product, sizeof(id->product), "%s", cf_kpn_mcu(n));
    } else {
        id->pid = 0x614e;
        snprintf(id->manufacturer, sizeof(id->manufacturer), "Cartographer");
        snprintf(id->product, sizeof(id->product), "614e");
    }
    snprintf(id->serial, sizeof(id->serial), "%s", n->serial);
}

/* ---------------------------------------------------------------- misc */

cf_code cf_kpn_new(const cf_kpn_config *cfg, uint64_t now, cf_kpn **out, cf_error *err)
{
    *out = NULL;
    cf_kpn *n = calloc(1, sizeof(*n));
    if (!n)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    n->cfg = *cfg;
    n->flash_fd = -1;
    cf_code rc = flash_open(n, err);
    if (rc == CF_OK && cfg->app_path)
        rc = load_app_image(n, cfg->app_path, err);
    if (rc) {
        cf_kpn_free(n);
        return rc;
    }
    cf_chipid_can_uuid(cfg->uid, sizeof(cfg->uid), n->uuid);
    for (int i = 0; i < 6; i++)
        snprintf(n->uuid_hex + 2 * i, 3, "%02x", n->uuid[i]);
    for (int i = 0; i < 12; i++)
        snprintf(n->serial + 2 * i, 3, "%02X", cfg->uid[i]);
    reset_session(n);
    n->mode = cfg->start_katapult ? CF_KPN_KATAPULT : CF_KPN_KLIPPER;
    n->klipper_claimed = cfg->claimed && !cfg->start_katapult;
    klipper_app_start(n);
    n->visible_at = now + (uint64_t)cfg->appear_ms * 1000000ull;
    /* A flash file left by an earlier run may hold a deployer: powered up,
     * the probe runs it (and then its Katapult, on that Katapult's link). */
    if (!cfg->start_katapult && app_present(n))
        deployer_start(n, n->visible_at, false);
    *out = n;
    return CF_OK;
}

void cf_kpn_free(cf_kpn *n)
{
    if (!n)
        return;
    if (n->flash_fd >= 0)
        close(n->flash_fd);
    free(n->flash);
    free(n->flash_path);
    free(n);
}

const char *cf_kpn_uuid_hex(const cf_kpn *n)
{
    return n->uuid_hex;
}

const uint8_t *cf_kpn_uuid(const cf_kpn *n)
{
    return n->uuid;
}

cf_kpn_link cf_kpn_get_link(const cf_kpn *n)
{
    return n->cfg.link;
}

const char *cf_kpn_mcu(const cf_kpn *n)
{
    return chip_of(n)->mcu;
}

uint64_t cf_kpn_take_busy_ns(cf_kpn *n)
{
    uint64_t b = n->busy_ns;
    n->busy_ns = 0;
    return b;
}

const uint8_t *cf_kpn_flash(const cf_kpn *n, uint32_t *base, size_t *size)
{
    if (base)
        *base = n->base;
    if (size)
        *size = n->size;
    return n->flash;
}

void cf_kpn_get_stats(const cf_kpn *n, cf_kpn_stats *st)
{
    *st = n->stats;
}
