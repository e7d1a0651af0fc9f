#include "catalog/hints.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_WORDS 48
#define WORD_LEN 64

/* Splits s (one path component) into alphanumeric words. */
static int split_words(const char *s, size_t len, char words[][WORD_LEN], int max)
{
    int n = 0;
    size_t i = 0;
    while (i < len && n < max) {
        while (i < len && !isalnum((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < len && isalnum((unsigned char)s[i]))
            i++;
        size_t wl = i - start;
        if (wl == 0)
            break;
        if (wl >= WORD_LEN)
            wl = WORD_LEN - 1;
        memcpy(words[n], s + start, wl);
        words[n][wl] = '\0';
        n++;
    }
    return n;
}

uint32_t cf_bitrate_word(const char *word)
{
    static const uint32_t rates[] = {125000, 250000, 500000, 800000, 1000000};
    size_t len = strlen(word);
    if (len == 0 || len > 8 || !isdigit((unsigned char)word[0]))
        return 0;
    char *end;
    unsigned long v = strtoul(word, &end, 10);
    if (*end == 'k' || *end == 'K') {
        v *= 1000;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        v *= 1000000;
        end++;
    }
    if (*end)
        return 0;
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        if (v == rates[i])
            return rates[i];
    }
    return 0;
}

static bool all_digits(const char *w)
{
    if (!*w || strlen(w) > 3)
        return false;
    for (; *w; w++) {
        if (!isdigit((unsigned char)*w))
            return false;
    }
    return true;
}

/* Three short number words in a row ("5_1_0", "6.1.0") name a version. */
static bool version_words(char words[][WORD_LEN], int n, int v[3])
{
    for (int i = 0; i + 2 < n; i++) {
        if (all_digits(words[i]) && all_digits(words[i + 1]) && all_digits(words[i + 2])) {
            for (int k = 0; k < 3; k++)
                v[k] = atoi(words[i + k]);
            return true;
        }
    }
    return false;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static void set_mcu(cf_name_hints *h, const char *mcu)
{
    snprintf(h->mcu, sizeof(h->mcu), "%s", mcu);
}

/* Folder names: "v2-v3" -> F042, "v4" and "HT" -> G431, "combined-firmware",
 * "katapult-deployer", "katapult", "survey"/"firmware" (apps), "5.1.0". */
static void folder_hints(const char *comp, size_t len, cf_name_hints *h)
{
    char c[WORD_LEN];
    if (len >= sizeof(c))
        return;
    memcpy(c, comp, len);
    c[len] = '\0';
    if (strcasecmp(c, "v2-v3") == 0 || strcasecmp(c, "v2") == 0 || strcasecmp(c, "v3") == 0)
        set_mcu(h, "stm32f042x6");
    else if (strcasecmp(c, "v4") == 0)
        set_mcu(h, "stm32g431xx");
    else if (strcasecmp(c, "HT") == 0) {
        set_mcu(h, "stm32g431xx");
        h->high_temp = true;
    } else if (strcasecmp(c, "combined-firmware") == 0)
        h->kind = CF_KIND_COMBINED;
    else if (strcasecmp(c, "katapult-deployer") == 0)
        h->kind = CF_KIND_DEPLOYER;
    else if (strcasecmp(c, "katapult") == 0)
        h->kind = CF_KIND_KATAPULT;
    else if (strcasecmp(c, "survey") == 0 || strcasecmp(c, "firmware") == 0)
        h->kind = CF_KIND_APP;
    /* only a folder named exactly like a version ("5.1.0") gives one:
     * "for Klipper older than v0-12-0-85" is about Klipper, not the image */
    char words[MAX_WORDS][WORD_LEN];
    int n = split_words(c, len, words, MAX_WORDS);
    int v[3];
    if (n == 3 && strspn(c, "0123456789._") == len && version_words(words, n, v)) {
        memcpy(h->semver, v, sizeof(v));
        h->has_semver = true;
    }
}

static void file_hints(const char *base, cf_name_hints *h)
{
    char words[MAX_WORDS][WORD_LEN];
    int n = split_words(base, strlen(base), words, MAX_WORDS);
    bool saw_katapult = false, saw_plus = false, saw_full = false;
    for (int i = 0; i < n; i++) {
        const char *w = words[i];
        uint32_t rate = cf_bitrate_word(w);
        if (strcasecmp(w, "CAN") == 0 || strcasecmp(w, "canbus") == 0)
            h->iface = CF_IFACE_CAN;
        else if (strcasecmp(w, "USB") == 0)
            h->iface = CF_IFACE_USB;
        else if (rate)
            h->bitrate = rate;
        else if (strcasecmp(w, "lite") == 0)
            h->lite = true;
        else if (strcasecmp(w, "K1") == 0 || ends_with_ci(w, "K1"))
            h->kseries = true;
        else if (strcasecmp(w, "HT") == 0)
            h->high_temp = true;
        else if (strcasecmp(w, "V4") == 0 || ends_with_ci(w, "V4"))
            set_mcu(h, "stm32g431xx");
        else if (strcasecmp(w, "V3") == 0 || strcasecmp(w, "V2") == 0 || ends_with_ci(w, "V3"))
            set_mcu(h, "stm32f042x6");
        else if (strcasecmp(w, "katapult") == 0)
            saw_katapult = true;
        else if (strcasecmp(w, "plus") == 0)
            saw_plus = true;
        else if (strcasecmp(w, "full") == 0 && i == 0)
            saw_full = true;
        else if (strcasecmp(w, "deployer") == 0)
            h->kind = CF_KIND_DEPLOYER;
        else if (ends_with_ci(w, "kib") && isdigit((unsigned char)w[0]) && strlen(w) <= 6) {
            h->kind = CF_KIND_APP;
            h->offset_kib = (unsigned)atoi(w);
        }
    }
    if (h->kind != CF_KIND_DEPLOYER) {
        if (saw_full || (saw_katapult && saw_plus))
            h->kind = CF_KIND_COMBINED;
        else if (saw_katapult && strcasecmp(words[0], "katapult") == 0)
            h->kind = CF_KIND_KATAPULT;
    }
    /* "Katapult_1m.bin": a bitrate only makes sense on CAN */
    if (h->bitrate && h->iface == CF_IFACE_UNKNOWN)
        h->iface = CF_IFACE_CAN;
    int v[3];
    if (version_words(words, n, v)) {
        memcpy(h->semver, v, sizeof(v));
        h->has_semver = true;
    }
}

void cf_name_hints_parse(const char *rel_path, cf_name_hints *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = rel_path;
    const char *slash;
    while ((slash = strchr(p, '/')) != NULL) {
        folder_hints(p, (size_t)(slash - p), out);
        p = slash + 1;
    }
    /* the file name speaks last: it overrides what its folders said */
    cf_name_hints folders = *out;
    file_hints(p, out);
    if (!out->has_semver && folders.has_semver) {
        out->has_semver = true;
        memcpy(out->semver, folders.semver, sizeof(out->semver));
    }
}
