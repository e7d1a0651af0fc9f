/* --simulate SPEC parsing: "dfu[:f042|:g431|:f446],flash=PATH,fault=KIND[@N],
 * appear=SECONDS,timing=on|off,start=idle|error,mainboard=f446|usb,noapp". Strict: anything unknown
 * is a usage error naming the valid forms, never silently ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/emu_internal.h"

#define SPEC_FORMS                                                                                 \
    "valid items: dfu, dfu:f042, dfu:g431, dfu:f446 (a mainboard, not a probe), flash=PATH, "      \
    "fault=stall|timeout|errwrite|errerase|bitflip|disconnect|busy[@N], appear=SECONDS, "          \
    "timing=on|off, start=idle|error, mainboard=f446|usb, noapp"

#define MAX_APPEAR_S 3600.0

static cf_code bad_item(cf_error *err, const char *item, size_t len, const char *why)
{
    cf_fail(err, CF_ERR_USAGE, "--simulate: %s \"%.*s\"", why, (int)(len > 200 ? 200 : len), item);
    cf_hint(err, "Use a comma list, e.g. --simulate=dfu:g431,flash=/tmp/f.bin,fault=stall@3 (%s).",
            SPEC_FORMS);
    return CF_ERR_USAGE;
}

/* Strict unsigned decimal in [s, s+len); false on anything else. */
static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > max) {
            return false;
        }
    }
    *out = v;
    return true;
}

/* "2", "0.5", "1.25": seconds to milliseconds (digits past the third
 * decimal are ignored); no sign, no exponent, a digit on each side of a dot. */
static bool parse_seconds(const char *s, size_t len, unsigned *ms)
{
    const char *dot = memchr(s, '.', len);
    size_t wlen = dot ? (size_t)(dot - s) : len;
    unsigned long whole = 0, frac_ms = 0, scale = 100;
    if (!parse_uint(s, wlen, (unsigned long)MAX_APPEAR_S, &whole)) {
        return false;
    }
    if (dot) {
        size_t flen = len - wlen - 1;
        if (flen == 0) {
            return false;
        }
        for (size_t i = 0; i < flen; i++) {
            char c = dot[1 + i];
            if (c < '0' || c > '9') {
                return false;
            }
            frac_ms += (unsigned long)(c - '0') * scale;
            scale /= 10;
        }
    }
    unsigned long total = whole * 1000 + frac_ms;
    if (total > (unsigned long)(MAX_APPEAR_S * 1000)) {
        return false;
    }
    *ms = (unsigned)total;
    return true;
}

static bool word_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

#ifdef CF_SIM_FAULTS
static bool parse_fault(const char *s, size_t len, cf_emu_config *cfg)
{
    static const struct {
        const char *name;
        cf_emu_fault kind;
    } kinds[] = {
        {"stall", CF_EMU_FAULT_STALL},       {"timeout", CF_EMU_FAULT_TIMEOUT},
        {"errwrite", CF_EMU_FAULT_ERRWRITE}, {"errerase", CF_EMU_FAULT_ERRERASE},
        {"bitflip", CF_EMU_FAULT_BITFLIP},   {"disconnect", CF_EMU_FAULT_DISCONNECT},
        {"busy", CF_EMU_FAULT_BUSY},
    };
    const char *at = memchr(s, '@', len);
    size_t klen = at ? (size_t)(at - s) : len;
    unsigned long n = 1;
    if (at && !parse_uint(at + 1, len - klen - 1, 1000000, &n)) {
        return false;
    }
    if (n == 0) {
        return false;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (word_is(s, klen, kinds[i].name)) {
            cfg->fault = kinds[i].kind;
            cfg->fault_at = (unsigned)n;
            return true;
        }
    }
    return false;
}
#endif

enum {
    SEEN_CHIP = 1,
    SEEN_FLASH = 2,
    SEEN_FAULT = 4,
    SEEN_APPEAR = 8,
    SEEN_TIMING = 16,
    SEEN_START = 32,
    SEEN_MAINBOARD = 64,
    SEEN_NOAPP = 128
};

/* Fault injection is for tests: a build without the test suite refuses the key. */
static cf_code fault_item(const char *item, size_t len, const char *v, size_t vlen,
                          cf_emu_config *cfg, cf_error *err)
{
#ifdef CF_SIM_FAULTS
    if (!parse_fault(v, vlen, cfg)) {
        return bad_item(err, item, len, "bad fault (KIND@N, N >= 1) in");
    }
    return CF_OK;
#else
    (void)v;
    (void)vlen;
    (void)cfg;
    cf_fail(err, CF_ERR_USAGE, "--simulate: fault injection is not in this build (\"%.*s\")",
            (int)(len > 200 ? 200 : len), item);
    cf_hint(err, "It comes with the test suite: build with -DCF_TESTS=ON.");
    return CF_ERR_USAGE;
#endif
}

/* A leading "katapult..." word names the other simulator: say so. */
static cf_code katapult_item(const char *item, size_t len, cf_error *err)
{
    cf_fail(err, CF_ERR_UNSUPPORTED,
            "--simulate: \"%.*s\" is a Katapult simulation, not the STM32 DFU bootloader",
            (int)(len > 200 ? 200 : len), item);
    cf_hint(err, "Use --simulate=katapult-can or katapult-usb with the Katapult commands "
                 "(flash can / flash usb), or --simulate=dfu for DFU.");
    return CF_ERR_UNSUPPORTED;
}

/* An item without "=": the chip, or noapp. Sets *bit to what it sets. */
static cf_code word_item(const char *item, size_t len, unsigned *bit, cf_emu_config *cfg,
                         cf_error *err)
{
    *bit = SEEN_CHIP;
    if (word_is(item, len, "dfu") || word_is(item, len, "dfu:f042")) {
        cfg->chip = CF_EMU_CHIP_F042;
    } else if (word_is(item, len, "dfu:g431")) {
        cfg->chip = CF_EMU_CHIP_G431;
    } else if (word_is(item, len, "dfu:f446")) {
        cfg->chip = CF_EMU_CHIP_F446;
    } else if (word_is(item, len, "noapp")) {
        *bit = SEEN_NOAPP;
        cfg->noapp = true;
    } else {
        return bad_item(err, item, len, "unknown item");
    }
    return CF_OK;
}

/* on|off, idle|error and the mainboard: the keys with a fixed set of values. */
static cf_code choice_item(const char *item, size_t len, size_t klen, const char *v, size_t vlen,
                           unsigned *bit, cf_emu_config *cfg, cf_error *err)
{
    if (word_is(item, klen, "timing")) {
        *bit = SEEN_TIMING;
        if (!word_is(v, vlen, "on") && !word_is(v, vlen, "off")) {
            return bad_item(err, item, len, "timing must be on or off in");
        }
        cfg->timing = word_is(v, vlen, "on");
    } else if (word_is(item, klen, "mainboard")) {
        *bit = SEEN_MAINBOARD;
        if (word_is(v, vlen, "usb")) {
            cfg->mainboard_klipper = true;
        } else if (word_is(v, vlen, "f446")) {
            cfg->mainboard = true;
            cfg->mainboard_chip = CF_EMU_CHIP_F446;
        } else {
            return bad_item(err, item, len, "the simulated mainboard is f446 or usb, not");
        }
    } else if (word_is(item, klen, "start")) {
        *bit = SEEN_START;
        if (!word_is(v, vlen, "idle") && !word_is(v, vlen, "error")) {
            return bad_item(err, item, len, "start must be idle or error in");
        }
        cfg->start_in_error = word_is(v, vlen, "error");
    } else {
        return bad_item(err, item, len, "unknown item");
    }
    return CF_OK;
}

/* A KEY=VALUE item (eq points at its "="). Sets *bit to what it sets. */
static cf_code key_item(const char *item, size_t len, const char *eq, unsigned *bit,
                        cf_emu_config *cfg, cf_error *err)
{
    size_t klen = (size_t)(eq - item);
    const char *v = eq + 1;
    size_t vlen = len - klen - 1;
    if (word_is(item, klen, "flash")) {
        *bit = SEEN_FLASH;
        if (vlen == 0 || vlen >= sizeof cfg->flash_path_buf || memchr(v, '\0', vlen)) {
            return bad_item(err, item, len, "flash=PATH needs a path (under 4096 bytes) in");
        }
        memcpy(cfg->flash_path_buf, v, vlen);
        cfg->flash_path_buf[vlen] = '\0';
        cfg->flash_path = cfg->flash_path_buf;
        return CF_OK;
    }
    if (word_is(item, klen, "fault")) {
        *bit = SEEN_FAULT;
        return fault_item(item, len, v, vlen, cfg, err);
    }
    if (word_is(item, klen, "appear")) {
        *bit = SEEN_APPEAR;
        if (!parse_seconds(v, vlen, &cfg->appear_ms)) {
            return bad_item(err, item, len, "bad appear=SECONDS (0 to 3600) in");
        }
        return CF_OK;
    }
    return choice_item(item, len, klen, v, vlen, bit, cfg, err);
}

/* One item of the list; `first` is true for the leading item. */
static cf_code parse_item(const char *item, size_t len, bool first, unsigned *seen,
                          cf_emu_config *cfg, cf_error *err)
{
    const char *eq = memchr(item, '=', len);
    if (len == 0) {
        return bad_item(err, item, len, "empty item in");
    }
    if (first && len >= 8 && memcmp(item, "katapult", 8) == 0 && !eq) {
        return katapult_item(item, len, err);
    }
    unsigned bit = 0;
    cf_code rc =
        eq ? key_item(item, len, eq, &bit, cfg, err) : word_item(item, len, &bit, cfg, err);
    if (rc != CF_OK) {
        return rc;
    }
    if (*seen & bit) {
        return bad_item(err, item, len, "repeated setting");
    }
    *seen |= bit;
    return CF_OK;
}

cf_code cf_emu_parse_spec(const char *spec, cf_emu_config *cfg, cf_error *err)
{
    cf_emu_config_default(cfg);
    if (!spec || !*spec) {
        return CF_OK;
    }
    unsigned seen = 0;
    const char *p = spec;
    bool first = true;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        cf_code rc = parse_item(p, len, first, &seen, cfg, err);
        if (rc != CF_OK) {
            cf_emu_config_default(cfg);
            return rc;
        }
        if (!comma) {
            return CF_OK;
        }
        p = comma + 1;
        first = false;
    }
}
