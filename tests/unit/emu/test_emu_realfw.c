/* Real Cartographer combined images (CF_FIRMWARE_DIR) written through the
 * emulator with dfu-util 0.11's pattern, F042 and G431: the flash must equal
 * the file and the vector table the ROM jumps through must be sane. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu_helpers.h"

#define FLASH 0x08000000u

static uint8_t *load(const char *rel, size_t *size)
{
    const char *dir = getenv("CF_FIRMWARE_DIR");
    if (!dir || !*dir) {
        fail_msg("CF_FIRMWARE_DIR is not set (CTest sets it, see tests/CMakeLists.txt)");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail_msg("cannot open %s", path);
    }
    uint8_t *buf = malloc(256 * 1024);
    *size = fread(buf, 1, 256 * 1024, f);
    fclose(f);
    assert_true(*size > 1024);
    return buf;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void flash_like_dfu_util(cf_emu *emu, const uint8_t *img, size_t size, uint32_t page)
{
    for (uint32_t a = FLASH; a < FLASH + size; a += page) {
        assert_int_equal(dfuse_cmd_polled(emu, 0x41, a).status, S_OK);
    }
    for (size_t off = 0; off < size; off += 2048) {
        uint16_t n = (uint16_t)(size - off < 2048 ? size - off : 2048);
        assert_int_equal(dfuse_cmd_polled(emu, 0x21, FLASH + (uint32_t)off).status, S_OK);
        dfu_status st = write_polled(emu, 2, img + off, n);
        assert_int_equal(st.status, S_OK);
        assert_int_equal(st.state, ST_DNLOAD_IDLE);
    }
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(dfuse_cmd_polled(emu, 0x21, FLASH).status, S_OK);
    assert_int_equal(dnload(emu, 2, NULL, 0), CF_EMU_ACK);
    dfu_status st;
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_MANIFEST);
}

static void run(cf_emu_chip chip, const char *rel, uint32_t page, uint32_t ram_end)
{
    size_t size = 0;
    uint8_t *img = load(rel, &size);
    cf_emu *emu = emu_make(chip, false);
    flash_like_dfu_util(emu, img, size, page);
    size_t fsize = 0;
    const uint8_t *fl = cf_emu_flash(emu, NULL, &fsize);
    assert_true(size <= fsize);
    assert_memory_equal(fl, img, size);
    uint32_t jump = 0;
    assert_true(cf_emu_left(emu, &jump));
    assert_int_equal(jump, FLASH);
    /* What the ROM jumps through: SP in SRAM, reset handler in flash, Thumb. */
    uint32_t sp = le32(fl), pc = le32(fl + 4);
    assert_true(sp > 0x20000000u && sp <= ram_end);
    assert_true(pc >= FLASH && pc < FLASH + fsize);
    assert_int_equal(pc & 1, 1);
    cf_emu_free(emu);
    free(img);
}

static void test_f042_combined(void **state)
{
    (void)state;
    run(CF_EMU_CHIP_F042,
        "cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/"
        "Full_Survey_Cartographer_CAN_1M_5_1_0.bin",
        1024, 0x20001800u);
}

static void test_g431_combined(void **state)
{
    (void)state;
    run(CF_EMU_CHIP_G431,
        "cartographer_firmware/firmware/v4/combined-firmware/5.1.0/"
        "Full_Survey_Cartographer_V4_USB.bin",
        2048, 0x20008000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f042_combined),
        cmocka_unit_test(test_g431_combined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
