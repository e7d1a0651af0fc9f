/* dfu_gadget: the STM32 system bootloader emulator (src/sim) as a real USB
 * device on the guest's own USB stack, for end-to-end tests with cartoflash
 * and Debian's dfu-util.
 *
 *   dfu_gadget [options] [SPEC]
 *
 * SPEC is the --simulate SPEC (sim/stm32_dfu.h): "dfu", "dfu:g431",
 * "flash=PATH", "fault=KIND@N", "appear=SECONDS", "timing=on|off",
 * "start=error", comma-separated. Every control transfer the host sends is
 * handed to cf_emu_control() unchanged; this program only carries bytes (see
 * usbip_dev.h for why the transport is USB/IP and not GadgetFS).
 *
 * Options:
 *   --log FILE     event log, one line per event, each with a CLOCK_MONOTONIC
 *                  timestamp "t=SECONDS" (default: stderr)
 *   --verbose      log every control request and its outcome
 *   --ready FILE   created once the host has configured the device (tests
 *                  wait for it instead of sleeping)
 *   --stats FILE   written at exit: busy_ns=... requests=... (for the benchmark)
 *   --replug MS    after the device leaves DFU (or drops off the bus by a
 *                  disconnect fault), plug it back in DFU mode after MS
 *                  milliseconds instead of exiting
 *   --app-ms MS    how long the booted app stays on the bus at most when no
 *                  host asks it anything (default 8000)
 *
 * After leave the chip runs what its flash holds (sim/boot.h, the same model
 * as the in-process simulation): a USB build of the Cartographer app is
 * plugged in as its CDC ACM serial device (app_acm.h) on the bus the ROM was
 * on, answering identify, until the host has asked it and closed the port (or
 * --app-ms). SPEC's noapp keeps it off the bus. Then the device is gone
 * (exit 0) or, with --replug, back in DFU mode.
 *
 * Events logged: "attached port=N", "configured", "first-tool-request" (the
 * first request after configuration that the kernel never sends on its own,
 * see is_tool_request(): the earliest sign that a program found the device),
 * "left jump=0x...", "detached (why)", "boot: STORY", "app attached ...",
 * "app configured", "app detached (why) identifies=N".
 *
 * Exit status: 0 after the device left DFU (leave) or on SIGTERM/SIGINT;
 * 4 after a disconnect fault without --replug; 1 on errors; 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_acm.h"
#include "sim/boot.h"
#include "common/clock.h"
#include "sim/stm32_dfu.h"
#include "image/image.h"
#include "usbip_dev.h"

#define USB_SPEED_FULL 2 /* STM32F0/G4 bootloaders are full-speed devices */
#define MAX_TRANSFER 4096
#define MAX_PENDING 16

typedef struct options {
    const char *spec;
    const char *log_path;
    const char *ready_path;
    const char *stats_path;
    long replug_ms; /* -1: exit instead */
    long app_ms;
    int verbose;
} options;

typedef struct stats {
    uint64_t requests;
    uint64_t out_bytes;
    uint64_t in_bytes;
    unsigned attaches;
} stats;

typedef enum serve_end {
    END_LEFT,    /* the chip jumped to its application */
    END_DROPPED, /* disconnect fault: the device fell off the bus */
    END_HOST,    /* the host side closed the connection */
    END_SIGNAL,
    END_ERROR
} serve_end;

static volatile sig_atomic_t stop_requested;
static FILE *log_file;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    uint64_t now = cf_now_ns();
    fprintf(log_file, "t=%" PRIu64 ".%06" PRIu64 " ", now / 1000000000u, now % 1000000000u / 1000u);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file, fmt, ap);
    va_end(ap);
    fputc('\n', log_file);
    fflush(log_file);
}

static void usage(FILE *out)
{
    fputs("usage: dfu_gadget [--log FILE] [--verbose] [--ready FILE] [--stats FILE]\n"
          "                  [--replug MS] [--app-ms MS] [SPEC]\n"
          "SPEC as for cartoflash --simulate: dfu[:g431],flash=PATH,fault=KIND@N,\n"
          "appear=SECONDS,timing=on|off,start=error,noapp\n",
          out);
}

static int parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->spec = "dfu";
    o->replug_ms = -1;
    o->app_ms = 8000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **target = NULL;
        if (strcmp(a, "--log") == 0)
            target = &o->log_path;
        else if (strcmp(a, "--ready") == 0)
            target = &o->ready_path;
        else if (strcmp(a, "--stats") == 0)
            target = &o->stats_path;
        else if (strcmp(a, "--verbose") == 0) {
            o->verbose = 1;
            continue;
        } else if (strcmp(a, "--replug") == 0 || strcmp(a, "--app-ms") == 0) {
            if (i + 1 >= argc)
                return -1;
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0)
                return -1;
            *(a[2] == 'r' ? &o->replug_ms : &o->app_ms) = v;
            continue;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (a[0] == '-') {
            return -1;
        } else {
            o->spec = a;
            continue;
        }
        if (i + 1 >= argc)
            return -1;
        *target = argv[++i];
    }
    return 0;
}

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0)
        close(fd);
}

static cf_usb_setup decode_setup(const uint8_t s[8])
{
    cf_usb_setup setup = {
        .request_type = s[0],
        .request = s[1],
        .value = (uint16_t)(s[2] | s[3] << 8),
        .index = (uint16_t)(s[4] | s[5] << 8),
        .length = (uint16_t)(s[6] | s[7] << 8),
    };
    return setup;
}

static bool is_set_configuration(const cf_usb_setup *s)
{
    return s->request_type == 0x00 && s->request == 0x09 && s->value != 0;
}

/* Requests usbcore never sends by itself to a DFU device: SET_INTERFACE, DFU
 * class requests, and string reads of any length but 255 (usbcore always asks
 * for 255 bytes; libusb reads the language list with 4). */
static bool is_tool_request(const cf_usb_setup *s)
{
    bool set_interface = s->request_type == 0x01 && s->request == 0x0B;
    bool dfu_class = (s->request_type & 0x60) == 0x20;
    bool string_read = s->request_type == 0x80 && s->request == 0x06 && (s->value >> 8) == 0x03;
    return set_interface || dfu_class || (string_read && s->length != 255);
}

static const char *result_name(cf_emu_result r)
{
    switch (r) {
    case CF_EMU_ACK:
        return "ack";
    case CF_EMU_STALL:
        return "stall";
    case CF_EMU_NO_ANSWER:
        return "no-answer";
    case CF_EMU_GONE:
        return "gone";
    }
    return "?";
}

typedef struct server {
    const options *opt;
    cf_emu *emu;
    usbip_dev dev;
    stats st;
    bool configured;
    bool tool_seen;
    uint32_t pending[MAX_PENDING]; /* requests left unanswered (timeout fault) */
    size_t pending_count;
    uint8_t buf[MAX_TRANSFER];
} server;

static bool take_pending(server *sv, uint32_t seqnum)
{
    for (size_t i = 0; i < sv->pending_count; i++) {
        if (sv->pending[i] == seqnum) {
            sv->pending[i] = sv->pending[--sv->pending_count];
            return true;
        }
    }
    return false;
}

/* One CMD_SUBMIT: returns -1 on transport errors, 1 when serving must end
 * (*end set), 0 to go on. */
static int handle_submit(server *sv, const usbip_cmd *cmd, serve_end *end)
{
    cf_usb_setup s = decode_setup(cmd->setup);
    bool in = cmd->direction == USBIP_DIR_IN;
    uint32_t buflen = cmd->buffer_length;

    if (!in && buflen > 0) {
        if (buflen > sizeof sv->buf) {
            /* Cannot happen with wTransferSize 2048; refuse like a chip would. */
            while (buflen > 0) {
                size_t n = buflen < sizeof sv->buf ? buflen : sizeof sv->buf;
                if (usbip_read_data(&sv->dev, sv->buf, n) != 0)
                    return -1;
                buflen -= (uint32_t)n;
            }
            return usbip_ret_submit(&sv->dev, cmd->seqnum, -EPIPE, 0, NULL);
        }
        if (usbip_read_data(&sv->dev, sv->buf, buflen) != 0)
            return -1;
        sv->st.out_bytes += buflen;
    }
    if (cmd->ep != 0) /* the bootloader has no other endpoint */
        return usbip_ret_submit(&sv->dev, cmd->seqnum, -EPIPE, 0, NULL);

    if (!sv->tool_seen && sv->configured && is_tool_request(&s)) {
        sv->tool_seen = true;
        logf_("first-tool-request type=0x%02x req=0x%02x", s.request_type, s.request);
    }

    size_t len = 0;
    if (in) {
        if (s.length > sizeof sv->buf || s.length > buflen)
            s.length = (uint16_t)(buflen < sizeof sv->buf ? buflen : sizeof sv->buf);
    }
    sv->st.requests++;
    cf_emu_result r = cf_emu_control(sv->emu, &s, sv->buf, &len);
    if (sv->opt->verbose)
        logf_("setup %02x %02x %04x %04x %u -> %s %zu", s.request_type, s.request, s.value, s.index,
              s.length, result_name(r), in ? len : (size_t)buflen);

    switch (r) {
    case CF_EMU_ACK:
        if (in) {
            if (len > s.length)
                len = s.length;
            sv->st.in_bytes += len;
            if (usbip_ret_submit(&sv->dev, cmd->seqnum, 0, (uint32_t)len, sv->buf) != 0)
                return -1;
        } else if (usbip_ret_submit(&sv->dev, cmd->seqnum, 0, buflen, NULL) != 0) {
            return -1;
        }
        break;
    case CF_EMU_STALL:
        if (usbip_ret_submit(&sv->dev, cmd->seqnum, -EPIPE, 0, NULL) != 0)
            return -1;
        break;
    case CF_EMU_NO_ANSWER:
        if (sv->pending_count < MAX_PENDING)
            sv->pending[sv->pending_count++] = cmd->seqnum;
        break;
    case CF_EMU_GONE:
        *end = END_DROPPED;
        return 1;
    }

    if (r == CF_EMU_ACK && is_set_configuration(&s) && !sv->configured) {
        sv->configured = true;
        logf_("configured");
        if (sv->opt->ready_path)
            touch(sv->opt->ready_path);
    }
    uint32_t jump = 0;
    if (cf_emu_left(sv->emu, &jump)) {
        logf_("left jump=0x%08" PRIx32, jump);
        *end = END_LEFT;
        return 1;
    }
    return 0;
}

static serve_end serve(server *sv)
{
    for (;;) {
        if (stop_requested)
            return END_SIGNAL;
        usbip_cmd cmd;
        int rc = usbip_read_cmd(&sv->dev, &cmd);
        if (rc == 0)
            return END_HOST;
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            logf_("error: reading from vhci: %s", strerror(errno));
            return END_ERROR;
        }
        if (cmd.command == USBIP_CMD_UNLINK) {
            /* The host gave up on a request (its timeout). If we never
             * answered it, say it was unlinked; otherwise it is complete. */
            int32_t status = take_pending(sv, cmd.unlink_seqnum) ? -ECONNRESET : 0;
            if (sv->opt->verbose)
                logf_("unlink seq=%" PRIu32 " status=%d", cmd.unlink_seqnum, status);
            if (usbip_ret_unlink(&sv->dev, cmd.seqnum, status) != 0)
                return END_ERROR;
            continue;
        }
        serve_end end = END_ERROR;
        rc = handle_submit(sv, &cmd, &end);
        if (rc < 0) {
            logf_("error: writing to vhci: %s", strerror(errno));
            return END_ERROR;
        }
        if (rc > 0)
            return end;
    }
}

static int plug(server *sv)
{
    char msg[256];
    if (usbip_attach(&sv->dev, USB_SPEED_FULL, msg, sizeof msg) != 0) {
        logf_("error: %s", msg);
        return -1;
    }
    sv->configured = false;
    sv->tool_seen = false;
    sv->pending_count = 0;
    sv->st.attaches++;
    logf_("attached port=%d", sv->dev.port);
    return 0;
}

static void unplug(server *sv, const char *why)
{
    /* The last reply (the GETSTATUS showing dfuMANIFEST) must reach the host
     * before the device vanishes, as on the chip, which jumps to its
     * application only after the status stage; unplugging at once would race
     * vhci's receive thread and fail the host's request instead. */
    usbip_drain(&sv->dev, 200);
    cf_sleep_ns(20 * 1000000u);
    usbip_detach(&sv->dev);
    logf_("detached (%s)", why);
}

static void write_stats(const server *sv, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        logf_("error: cannot write %s: %s", path, strerror(errno));
        return;
    }
    uint32_t base = 0;
    size_t size = 0;
    cf_emu_flash(sv->emu, &base, &size);
    fprintf(f,
            "busy_ns=%" PRIu64 " requests=%" PRIu64 " out_bytes=%" PRIu64 " in_bytes=%" PRIu64
            " attaches=%u flash_size=%zu\n",
            cf_emu_busy_ns(sv->emu), sv->st.requests, sv->st.out_bytes, sv->st.in_bytes,
            sv->st.attaches, size);
    fclose(f);
}

/* After leave: what the flash starts (the boot model); a USB build of the
 * app is served as its serial device for a while, as the probe would be. */
static void run_app(server *sv, const cf_emu_config *cfg)
{
    uint32_t jump = 0;
    cf_emu_left(sv->emu, &jump);
    cf_boot_chip chip = {.mcu = cf_emu_chip_name(cfg->chip)};
    size_t size = 0;
    const uint8_t *flash = cf_emu_flash(sv->emu, &chip.flash_base, &size);
    chip.flash_size = (uint32_t)size;
    cf_emu_sram(sv->emu, &chip.sram_base, &chip.sram_size);
    memcpy(chip.uid, cf_boot_sim_uid, sizeof chip.uid);
    static cf_boot boot;
    cf_boot_decide(&chip, flash, jump, &boot);
    logf_("boot: %s", boot.story);
    if (!boot.on_usb || boot.runs != CF_BOOT_APP || cfg->noapp) {
        if (cfg->noapp)
            logf_("boot: noapp, nothing enumerates");
        return;
    }
    const uint8_t *code = flash + (boot.entry - chip.flash_base);
    size_t off = 0, zlen = 0;
    size_t left = size - (boot.entry - chip.flash_base);
    if (!cf_image_dictionary_locate(code, left, &off, &zlen))
        off = zlen = 0;
    cf_sleep_ns((uint64_t)boot.usb_after_ms * 1000000u);
    if (!stop_requested)
        app_acm_serve(&boot, zlen ? code + off : NULL, zlen, (unsigned)sv->opt->app_ms,
                      &stop_requested, logf_);
}

static void wait_until_present(cf_emu *emu)
{
    /* appear=SECONDS: the chip is plugged in that long after start. */
    while (!cf_emu_present(emu) && !stop_requested)
        cf_sleep_ns(1000000u);
}

int main(int argc, char **argv)
{
    options opt;
    if (parse_options(argc, argv, &opt) != 0) {
        usage(stderr);
        return 2;
    }
    log_file = stderr;
    if (opt.log_path) {
        log_file = fopen(opt.log_path, "a");
        if (!log_file) {
            fprintf(stderr, "dfu_gadget: cannot open %s: %s\n", opt.log_path, strerror(errno));
            return 1;
        }
    }

    static cf_emu_config cfg; /* large (holds a path buffer) */
    cf_error err = {0};
    if (cf_emu_parse_spec(opt.spec, &cfg, &err) != CF_OK) {
        fprintf(stderr, "dfu_gadget: %s\n", err.message);
        return 2;
    }
    static server sv;
    sv.opt = &opt;
    sv.dev.fd = -1;
    sv.dev.port = -1;
    if (cf_emu_new(&cfg, &sv.emu, &err) != CF_OK) {
        fprintf(stderr, "dfu_gadget: %s\n", err.message);
        return 1;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    logf_("start spec=%s chip=%s", opt.spec, cf_emu_chip_name(cfg.chip));
    int status = 0;
    wait_until_present(sv.emu);
    if (!stop_requested && plug(&sv) != 0)
        status = 1;
    while (status == 0 && !stop_requested) {
        serve_end end = serve(&sv);
        if (end == END_LEFT) {
            unplug(&sv, "left DFU");
            run_app(&sv, &cfg);
        } else if (end == END_DROPPED) {
            unplug(&sv, "disconnect fault");
        } else if (end == END_HOST) {
            unplug(&sv, "host closed the connection");
            status = 1;
            break;
        } else if (end == END_ERROR) {
            unplug(&sv, "error");
            status = 1;
            break;
        } else {
            break;
        }
        if (opt.replug_ms < 0) {
            status = end == END_DROPPED ? 4 : 0;
            break;
        }
        cf_sleep_ns((uint64_t)opt.replug_ms * 1000000u);
        if (stop_requested)
            break;
        cf_emu_replug(sv.emu);
        if (plug(&sv) != 0)
            status = 1;
    }
    if (sv.dev.fd >= 0)
        unplug(&sv, "stopped");
    if (opt.stats_path)
        write_stats(&sv, opt.stats_path);
    logf_("exit status=%d busy_ns=%" PRIu64, status, cf_emu_busy_ns(sv.emu));
    cf_emu_free(sv.emu);
    if (log_file != stderr)
        fclose(log_file);
    return status;
}
