/* Which DFU devices are Cartographer probes, and what the others are: the
 * layouts of real ST ROM bootloaders (dfu-util listings; reference manuals
 * for sector sizes), plus a probe's layout behind another maker's strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "flash/flash.h"

static cf_usb_dfu_info rom(const char *flash, const char *option_bytes)
{
    cf_usb_dfu_info d = {.vid = 0x0483, .pid = 0xdf11, .dfu_mode = true, .alt_count = 2};
    snprintf(d.manufacturer, sizeof(d.manufacturer), "STMicroelectronics");
    snprintf(d.bus_path, sizeof(d.bus_path), "1-1.4");
    snprintf(d.alts[0].name, sizeof(d.alts[0].name), "%s", flash);
    snprintf(d.alts[1].name, sizeof(d.alts[1].name), "%s", option_bytes);
    d.alts[1].alt = 1;
    return d;
}

static void expect(const cf_usb_dfu_info *d, const char *family, uint32_t size, const char *summary)
{
    cf_dfu_kind k;
    cf_dfu_identify(d, &k);
    assert_null(k.probe);
    assert_string_equal(k.family, family);
    assert_int_equal(k.flash_size, size);
    assert_string_equal(k.summary, summary);
}

static void test_probes(void **state)
{
    (void)state;
    cf_usb_dfu_info d =
        rom("@Internal Flash  /0x08000000/032*0001Kg", "@Option Bytes  /0x1FFFF800/01*016 e");
    cf_dfu_kind k;
    cf_dfu_identify(&d, &k);
    assert_non_null(k.probe);
    assert_string_equal(k.family, "stm32f042x6");
    assert_string_equal(k.summary, "stm32f042x6 (Cartographer v2/v3)");
    d = rom("@Internal Flash   /0x08000000/64*02Kg", "@Option Bytes   /0x1FFF7800/01*40Be");
    cf_dfu_identify(&d, &k);
    assert_non_null(k.probe);
    assert_string_equal(k.summary, "stm32g431xx (Cartographer v4/HT)");
    assert_int_equal(k.flash_size, 128 * 1024);
}

static void test_mainboards(void **state)
{
    (void)state;
    cf_usb_dfu_info d = rom("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
                            "@Option Bytes  /0x1FFFC000/01*016 e");
    expect(&d, "STM32F4", 512 * 1024, "STM32F4 family, 512 KiB flash: not a Cartographer probe");
    d = rom("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
            "@Option Bytes  /0x1FFFC000/01*016 e");
    expect(&d, "STM32F4", 1024 * 1024, "STM32F4 family, 1 MiB flash: not a Cartographer probe");
    d = rom("@Internal Flash   /0x08000000/08*128Kg", "@Option Bytes   /0x5200201C/01*128 e");
    expect(&d, "STM32H7", 1024 * 1024, "STM32H7 family, 1 MiB flash: not a Cartographer probe");
    /* An F072 (CAN adapters, some toolheads): the G431's 128 KiB in 2 KiB pages,
     * but F0 option bytes. */
    d = rom("@Internal Flash  /0x08000000/064*0002Kg", "@Option Bytes  /0x1FFFF800/01*016 e");
    expect(&d, "STM32F0/F3", 128 * 1024,
           "STM32F0/F3 family, 128 KiB flash: not a Cartographer probe");
    /* A G0B1 (newer toolheads): 2 KiB pages, option bytes at 0x1FFF7800, 512 KiB. */
    d = rom("@Internal Flash   /0x08000000/256*02Kg", "@Option Bytes   /0x1FFF7800/01*128 e");
    expect(&d, "STM32G0/G4/L4", 512 * 1024,
           "STM32G0/G4/L4 family, 512 KiB flash: not a Cartographer probe");
}

static void test_probe_layout_other_strings(void **state)
{
    (void)state;
    /* A probe's layout from something that is not ST's ROM is not a probe. */
    cf_usb_dfu_info d =
        rom("@Internal Flash  /0x08000000/032*0001Kg", "@Option Bytes  /0x1FFFF800/01*016 e");
    snprintf(d.manufacturer, sizeof(d.manufacturer), "SomeBoard");
    assert_null(cf_chip_from_device(&d));
    expect(&d, "unknown", 32 * 1024,
           "not ST's ROM bootloader (SomeBoard), 32 KiB flash: not a Cartographer probe");
    d = rom("@Internal Flash  /0x08000000/032*0001Kg", "@Option Bytes  /0x1FFFF800/01*016 e");
    d.vid = 0x1d50;
    d.pid = 0x6017;
    assert_null(cf_chip_from_device(&d));
    d = rom("garbage", "");
    expect(&d, "unknown", 0, "unknown chip (no readable memory layout): not a Cartographer probe");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probes),
        cmocka_unit_test(test_mainboards),
        cmocka_unit_test(test_probe_layout_other_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
