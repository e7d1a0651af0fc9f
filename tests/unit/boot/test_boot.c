/* The boot model (sim/boot.h): what the probe runs after its ROM lets go,
 * judged from real firmware files placed in an emulated flash. Times are
 * passed in, so the boot delay is checked to the millisecond. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/boot.h"

#define FLASH_BASE 0x08000000u
#define MS 1000000ull
#define T0 (5000 * MS) /* an arbitrary clock reading at the jump */

#define V23 "cartographer-klipper/firmware/v2-v3/"
#define V4 "cartographer_firmware/firmware/v4/"
#define USB_5 V23 "combined-firmware/5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
#define CAN_5 V23 "combined-firmware/5.0.0/Full_Survey_Cartographer_CAN_1M_5_0_0.bin"
#define KATAPULT_USB V23 "Katapult_USB.bin"
#define KATAPULT_CAN V23 "Katapult_1m.bin"
#define APP_6_F042                                                                                 \
    "cartographer_firmware/firmware/v2-v3/survey/6.1.0/"                                           \
    "CartographerV3_6.1.0_USB_full_8kib_offset.bin"
#define USB_V4 V4 "combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_USB.bin"

static const uint8_t uid[12] = {0x16, 0x00, 0x0C, 0x00, 0x0F, 0x43,
                                0x30, 0x42, 0x53, 0x37, 0x38, 0x20};

typedef struct chip_flash {
    cf_boot_chip chip;
    uint8_t *flash;
} chip_flash;

static chip_flash f042(void)
{
    chip_flash c = {.chip = {.mcu = "stm32f042x6",
                             .flash_base = FLASH_BASE,
                             .flash_size = 32 * 1024,
                             .sram_base = 0x20000000,
                             .sram_size = 6 * 1024}};
    memcpy(c.chip.uid, uid, sizeof(uid));
    c.flash = malloc(c.chip.flash_size);
    assert_non_null(c.flash);
    memset(c.flash, 0xFF, c.chip.flash_size); /* factory state: erased */
    return c;
}

static chip_flash g431(void)
{
    chip_flash c = f042();
    free(c.flash);
    c.chip.mcu = "stm32g431xx";
    c.chip.flash_size = 128 * 1024;
    c.chip.sram_size = 32 * 1024;
    c.flash = malloc(c.chip.flash_size);
    assert_non_null(c.flash);
    memset(c.flash, 0xFF, c.chip.flash_size);
    return c;
}

/* Writes a firmware file (relative to CF_FIRMWARE_DIR) at addr; returns its size. */
static size_t put(chip_flash *c, const char *rel, uint32_t addr)
{
    const char *dir = getenv("CF_FIRMWARE_DIR");
    if (!dir)
        print_message("CF_FIRMWARE_DIR is not set\n");
    assert_non_null(dir);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        print_message("cannot open %s\n", path);
    assert_non_null(f);
    uint32_t off = addr - c->chip.flash_base;
    size_t n = fread(c->flash + off, 1, c->chip.flash_size - off, f);
    fclose(f);
    assert_true(n > 8);
    return n;
}

static void decide(chip_flash *c, cf_boot *b)
{
    cf_boot_decide(&c->chip, c->flash, FLASH_BASE, b);
    print_message("  story: %s\n", b->story);
}

static void test_usb_image_appears_after_boot_delay(void **state)
{
    (void)state;
    chip_flash c = f042();
    put(&c, USB_5, FLASH_BASE);
    cf_boot_probe p;
    cf_boot_probe_reset(&p);
    cf_boot_usb u;
    assert_false(cf_boot_probe_usb(&p, T0, &u)); /* before leave: in the ROM */
    cf_boot_probe_jump(&p, &c.chip, c.flash, FLASH_BASE, T0);
    print_message("  story: %s\n", p.boot.story);
    assert_int_equal(p.boot.runs, CF_BOOT_APP);
    assert_int_equal(p.boot.entry, 0x08002000); /* Katapult started the app */
    assert_int_equal(p.boot.iface, CF_IFACE_USB);
    assert_string_equal(p.boot.version, "CARTOGRAPHER 5.0.0");
    assert_true(p.boot.on_usb);
    assert_int_equal(p.boot.usb_after_ms, CF_BOOT_KATAPULT_WAIT_MS + CF_BOOT_USB_ENUM_MS);
    assert_int_equal(p.boot.usb_after_ms, 1000); /* "about a second" */

    assert_false(cf_boot_probe_usb(&p, T0, &u));
    assert_false(cf_boot_probe_usb(&p, T0 + 999 * MS, &u));
    assert_true(cf_boot_probe_usb(&p, T0 + 1000 * MS, &u));
    assert_true(cf_boot_probe_usb(&p, T0 + 60000 * MS, &u));
    /* the identity the app's own descriptors give it */
    assert_int_equal(u.vid, 0x1d50);
    assert_int_equal(u.pid, 0x614e);
    assert_int_equal(u.bcd_device, 0x0100);
    assert_string_equal(u.manufacturer, "Cartographer");
    assert_string_equal(u.product, ""); /* 5.x sends an empty product string */
    assert_string_equal(u.serial, "16000C000F43304253373820");

    cf_boot_probe_reset(&p); /* replugged in DFU mode */
    assert_false(cf_boot_probe_usb(&p, T0 + 60000 * MS, &u));
    free(c.flash);
}

static void test_can_image_not_on_usb(void **state)
{
    (void)state;
    chip_flash c = f042();
    put(&c, CAN_5, FLASH_BASE);
    cf_boot b;
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_APP);
    assert_int_equal(b.iface, CF_IFACE_CAN);
    assert_false(b.on_usb);
    assert_non_null(strstr(b.story, "CAN (1000000 bit/s)"));
    cf_boot_probe p;
    cf_boot_probe_jump(&p, &c.chip, c.flash, FLASH_BASE, T0);
    assert_false(cf_boot_probe_usb(&p, T0 + 60000 * MS, NULL));
    free(c.flash);
}

static void test_erased_flash_runs_nothing(void **state)
{
    (void)state;
    chip_flash c = f042();
    cf_boot b;
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_NOTHING);
    assert_false(b.on_usb);
    assert_int_equal(b.entry, 0);
    assert_non_null(strstr(b.story, "erased"));
    cf_boot_probe p;
    cf_boot_probe_jump(&p, &c.chip, c.flash, FLASH_BASE, T0);
    assert_false(cf_boot_probe_usb(&p, T0 + 60000 * MS, NULL));
    free(c.flash);
}

static void test_garbage_runs_nothing(void **state)
{
    (void)state;
    chip_flash c = f042();
    cf_boot b;
    /* pseudo-random bytes: SP not in SRAM */
    uint32_t x = 12345;
    for (uint32_t i = 0; i < c.chip.flash_size; i++) {
        x = x * 1103515245u + 12345u;
        c.flash[i] = (uint8_t)(x >> 16);
    }
    c.flash[3] = 0x40; /* SP 0x40xxxxxx: a peripheral address */
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_NOTHING);
    assert_non_null(strstr(b.story, "not in SRAM"));

    /* a good SP, a reset vector without the Thumb bit */
    const uint8_t even_pc[8] = {0x00, 0x18, 0x00, 0x20, 0xC8, 0x00, 0x00, 0x08};
    memcpy(c.flash, even_pc, 8);
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_NOTHING);
    assert_non_null(strstr(b.story, "not a Thumb address in flash"));

    /* SP past the top of the F042's 6 KiB of SRAM */
    const uint8_t high_sp[8] = {0x00, 0x80, 0x00, 0x20, 0xC9, 0x00, 0x00, 0x08};
    memcpy(c.flash, high_sp, 8);
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_NOTHING);

    /* valid vectors into random code: runs, but nothing this model knows */
    const uint8_t valid[8] = {0x00, 0x18, 0x00, 0x20, 0xC9, 0x00, 0x00, 0x08};
    memcpy(c.flash, valid, 8);
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_UNKNOWN);
    assert_false(b.on_usb);
    free(c.flash);
}

static void test_katapult_without_app_stays(void **state)
{
    (void)state;
    chip_flash c = f042();
    put(&c, KATAPULT_USB, FLASH_BASE);
    cf_boot b;
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_KATAPULT);
    assert_true(b.on_usb);
    assert_int_equal(b.usb_after_ms, CF_BOOT_USB_ENUM_MS); /* no double-reset wait */
    assert_int_equal(b.usb.vid, 0x1d50);
    assert_int_equal(b.usb.pid, 0x6177);
    assert_string_equal(b.usb.manufacturer, "katapult");
    assert_string_equal(b.usb.product, "stm32f042x6");
    assert_string_equal(b.usb.serial, "16000C000F43304253373820");

    chip_flash k = f042();
    put(&k, KATAPULT_CAN, FLASH_BASE);
    decide(&k, &b);
    assert_int_equal(b.runs, CF_BOOT_KATAPULT);
    assert_int_equal(b.iface, CF_IFACE_CAN);
    assert_false(b.on_usb);
    free(c.flash);
    free(k.flash);
}

/* A combined image whose app part was erased, or holds a non-erased but
 * invalid vector table (Katapult only checks the first word). */
static void test_combined_with_broken_app(void **state)
{
    (void)state;
    chip_flash c = f042();
    size_t n = put(&c, USB_5, FLASH_BASE);
    memset(c.flash + 0x2000, 0xFF, n - 0x2000);
    cf_boot b;
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_KATAPULT);
    assert_int_equal(b.usb.pid, 0x6177);

    memset(c.flash + 0x2000, 0x00, 4); /* first word 0: still "no app" */
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_KATAPULT);

    const uint8_t bad[8] = {0x00, 0x18, 0x00, 0x20, 0xFF, 0xFF, 0xFF, 0xFF};
    memcpy(c.flash + 0x2000, bad, 8);
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_NOTHING);
    assert_false(b.on_usb);
    assert_non_null(strstr(b.story, "Katapult starts the app at 0x08002000"));
    free(c.flash);
}

static void test_v4_image(void **state)
{
    (void)state;
    chip_flash c = g431();
    put(&c, USB_V4, FLASH_BASE);
    cf_boot b;
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_APP);
    assert_true(b.on_usb);
    assert_int_equal(b.usb.pid, 0x614e);
    assert_string_equal(b.usb.manufacturer, "Cartographer");
    assert_string_equal(b.usb.product, "stm32g431xx"); /* 6.x names the MCU */
    assert_string_equal(b.mcu, "stm32g431xx");

    /* the same image on a v2/v3 probe: its stack is past the F042's SRAM */
    chip_flash f = f042();
    put(&f, USB_V4, FLASH_BASE);
    decide(&f, &b);
    assert_int_equal(b.runs, CF_BOOT_NOTHING);
    free(c.flash);
    free(f.flash);
}

static void test_wrong_mcu_app(void **state)
{
    (void)state;
    /* an F042 image on a G431: valid vectors there, but the wrong chip */
    chip_flash c = g431();
    put(&c, USB_5, FLASH_BASE);
    cf_boot b;
    decide(&c, &b);
    assert_int_equal(b.runs, CF_BOOT_NOTHING);
    assert_false(b.on_usb);
    assert_non_null(strstr(b.story, "built for stm32f042x6"));
    free(c.flash);
}

static void test_app_jumped_to_directly(void **state)
{
    (void)state;
    chip_flash c = f042();
    put(&c, APP_6_F042, 0x08002000);
    cf_boot b;
    cf_boot_decide(&c.chip, c.flash, 0x08002000, &b);
    assert_int_equal(b.runs, CF_BOOT_APP);
    assert_int_equal(b.usb_after_ms, CF_BOOT_USB_ENUM_MS); /* no Katapult on the way */
    assert_string_equal(b.usb.product, "stm32f042x6");

    /* the app image written at the start of flash: linked for 0x08002000 */
    chip_flash m = f042();
    put(&m, APP_6_F042, FLASH_BASE);
    decide(&m, &b);
    assert_int_equal(b.runs, CF_BOOT_UNKNOWN);
    assert_false(b.on_usb);
    free(c.flash);
    free(m.flash);
}

static void test_jump_outside_flash(void **state)
{
    (void)state;
    chip_flash c = f042();
    put(&c, USB_5, FLASH_BASE);
    cf_boot b;
    cf_boot_decide(&c.chip, c.flash, 0x1FFFF800, &b); /* option bytes */
    assert_int_equal(b.runs, CF_BOOT_NOTHING);
    assert_false(b.on_usb);
    cf_boot_decide(&c.chip, NULL, FLASH_BASE, &b);
    assert_int_equal(b.runs, CF_BOOT_NOTHING);
    free(c.flash);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usb_image_appears_after_boot_delay),
        cmocka_unit_test(test_can_image_not_on_usb),
        cmocka_unit_test(test_erased_flash_runs_nothing),
        cmocka_unit_test(test_garbage_runs_nothing),
        cmocka_unit_test(test_katapult_without_app_stays),
        cmocka_unit_test(test_combined_with_broken_app),
        cmocka_unit_test(test_v4_image),
        cmocka_unit_test(test_wrong_mcu_app),
        cmocka_unit_test(test_app_jumped_to_directly),
        cmocka_unit_test(test_jump_outside_flash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
