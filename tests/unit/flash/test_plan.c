/* The flash plan: touched pages, targets padded with 0xFF, differential diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "flash/flash.h"
#include "flash/flash_internal.h"

static uint8_t seg_a[1500], seg_b[10];

static cf_image two_segments(cf_image_segment segs[2])
{
    memset(seg_a, 0x11, sizeof(seg_a));
    memset(seg_b, 0x22, sizeof(seg_b));
    segs[0] = (cf_image_segment){0x08000000u, sizeof(seg_a), seg_a};
    segs[1] = (cf_image_segment){0x08001005u, sizeof(seg_b), seg_b}; /* page 4, after a gap */
    return (cf_image){
        .format = CF_IMAGE_HEX, .segments = segs, .segment_count = 2, .dfuse_alt = -1};
}

/* A 16-page flash of 1 KiB pages at 0x08000000; the image covers pages 0..4. */
#define PAGES 16
#define PAGE 1024u

static void build(cf_flash_plan *plan)
{
    static cf_image_segment segs[2];
    static cf_image img;
    img = two_segments(segs);
    assert_int_equal(cf_flash_plan_build(&img, 0x08000000u, PAGES, PAGE, plan, NULL), CF_OK);
}

/* The device holds `fill` in pages [first, end) and is erased elsewhere; all read. */
static void device_holds(cf_flash_plan *plan, uint8_t fill, size_t first, size_t end)
{
    memset(plan->current, 0xFF, PAGES * PAGE);
    memset(plan->current + first * PAGE, fill, (end - first) * PAGE);
    cf_flash_plan_learned(plan, 0, PAGES);
}

static size_t count(const bool *flags)
{
    size_t n = 0;
    for (size_t p = 0; p < PAGES; p++)
        n += flags[p];
    return n;
}

static void test_plan_pages_and_targets(void **state)
{
    (void)state;
    cf_flash_plan plan;
    build(&plan);
    assert_int_equal(plan.start, 0x08000000u);
    assert_int_equal(plan.page_count, PAGES);
    assert_int_equal(plan.first, 0);
    assert_int_equal(plan.end, 5);
    /* Pages 0,1 hold segment a; 2,3 are a gap (left alone); 4 holds segment b. */
    assert_true(plan.touched[0] && plan.touched[1] && plan.touched[4]);
    assert_false(plan.touched[2] || plan.touched[3] || plan.touched[5]);
    assert_int_equal(plan.target[0], 0x11);
    assert_int_equal(plan.target[1499], 0x11);
    assert_int_equal(plan.target[1500], 0xFF); /* rest of page 1 is erased content */
    assert_int_equal(plan.target[4 * PAGE + 4], 0xFF);
    assert_int_equal(plan.target[4 * PAGE + 5], 0x22);
    /* Once read, an untouched page's target is what it holds: it is kept. */
    plan.current[2 * PAGE] = 0x5A;
    cf_flash_plan_learned(&plan, 0, 5);
    assert_int_equal(plan.target[2 * PAGE], 0x5A);
    assert_int_equal(cf_flash_plan_unknown(&plan), PAGES - 5);
    cf_flash_plan_free(&plan);
}

static void test_plan_pages_method(void **state)
{
    (void)state;
    cf_flash_plan plan;
    build(&plan);
    /* Device already holds the targets: nothing changes unless forced. */
    memcpy(plan.current, plan.target, PAGES * PAGE);
    memset(plan.current + 2 * PAGE, 0x00, 2 * PAGE); /* gap pages differ but are not touched */
    cf_flash_plan_learned(&plan, 0, PAGES);
    assert_int_equal(cf_flash_plan_pages(&plan, false), 0);
    assert_int_equal(count(plan.erase) + count(plan.write) + count(plan.verify), 0);
    assert_int_equal(cf_flash_plan_pages(&plan, true), 3);
    /* One byte differs in page 1 only: erase, write and verify page 1. */
    plan.current[PAGE + 7] ^= 1;
    assert_int_equal(cf_flash_plan_pages(&plan, false), 1);
    assert_true(plan.changed[1] && plan.erase[1] && plan.write[1] && plan.verify[1]);
    assert_int_equal(count(plan.changed), 1);
    assert_false(plan.mass);
    cf_flash_plan_free(&plan);
}

static void test_plan_blank_pages_need_no_erase(void **state)
{
    (void)state;
    cf_flash_plan plan;
    build(&plan);
    device_holds(&plan, 0xFF, 0, 0); /* erased chip */
    assert_int_equal(cf_flash_plan_pages(&plan, false), 3);
    assert_int_equal(count(plan.erase), 0);
    assert_int_equal(count(plan.write), 3);
    cf_flash_plan_free(&plan);
}

static const cf_flash_costs f042 = {.page_erase_ns = 40000000,
                                    .mass_erase_ns = 40000000,
                                    .page_program_ns = 27392000,
                                    .transfer_ns_per_byte = 1000};

static void test_mass_pays_when_most_pages_change(void **state)
{
    (void)state;
    cf_flash_plan plan;
    build(&plan);
    device_holds(&plan, 0x33, 0, 5); /* another image in pages 0..4, blank after */
    assert_int_equal(cf_flash_plan_pages(&plan, false), 3);
    /* 3 page erases (120 ms) vs one mass erase (40 ms) + writing back gap pages 2,3. */
    assert_false(cf_flash_mass_pays(&plan, &f042));
    /* With a whole-flash image the mass erase wins: make every page of it change. */
    cf_image_segment seg = {0x08000000u, 12 * PAGE, NULL};
    static uint8_t data[12 * PAGE];
    memset(data, 0x44, sizeof(data));
    seg.data = data;
    cf_image img = {.format = CF_IMAGE_BIN, .segments = &seg, .segment_count = 1, .dfuse_alt = -1};
    cf_flash_plan_free(&plan);
    assert_int_equal(cf_flash_plan_build(&img, 0x08000000u, PAGES, PAGE, &plan, NULL), CF_OK);
    device_holds(&plan, 0x33, 0, 14); /* pages 12, 13 hold data the image does not cover */
    assert_int_equal(cf_flash_plan_pages(&plan, false), 12);
    assert_true(cf_flash_mass_pays(&plan, &f042));
    cf_flash_plan_mass(&plan);
    assert_true(plan.mass);
    assert_int_equal(count(plan.erase), 0);
    assert_int_equal(plan.restored, 2); /* pages 12 and 13 are written back */
    assert_true(plan.write[12] && plan.write[13] && plan.verify[13]);
    assert_false(plan.write[14] || plan.verify[15]); /* blank pages stay blank */
    assert_int_equal(plan.target[13 * PAGE], 0x33);
    cf_flash_plan_free(&plan);
}

static void test_mass_counts_unread_pages(void **state)
{
    (void)state;
    cf_image_segment seg = {0x08000000u, 8 * PAGE, NULL};
    static uint8_t data[8 * PAGE];
    memset(data, 0x44, sizeof(data));
    seg.data = data;
    cf_image img = {.format = CF_IMAGE_BIN, .segments = &seg, .segment_count = 1, .dfuse_alt = -1};
    cf_flash_plan plan;
    assert_int_equal(cf_flash_plan_build(&img, 0x08000000u, PAGES, PAGE, &plan, NULL), CF_OK);
    memset(plan.current, 0x33, 8 * PAGE);
    cf_flash_plan_learned(&plan, 0, 8); /* pages 8..15 not read yet */
    assert_int_equal(cf_flash_plan_pages(&plan, false), 8);
    /* 8 erases = 320 ms; mass = 40 ms + reading 8 KiB at 1 us/byte (8 ms): worth it. */
    assert_true(cf_flash_mass_pays(&plan, &f042));
    /* On a slow link reading the rest costs more than it could save. */
    cf_flash_costs slow = f042;
    slow.transfer_ns_per_byte = 40000;
    assert_false(cf_flash_mass_pays(&plan, &slow));
    /* Once read: data in all 8 other pages makes writing it back too dear. */
    memset(plan.current + 8 * PAGE, 0x55, 8 * PAGE);
    cf_flash_plan_learned(&plan, 8, PAGES);
    assert_false(cf_flash_mass_pays(&plan, &f042));
    cf_flash_plan_free(&plan);
}

static void test_plan_rejects_bad_page_size(void **state)
{
    (void)state;
    cf_image_segment segs[2];
    cf_image img = two_segments(segs);
    cf_flash_plan plan;
    cf_error err = {0};
    assert_int_equal(cf_flash_plan_build(&img, 0x08000000u, 32, 1000, &plan, &err),
                     CF_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "page size"));
    cf_error_reset(&err);
    assert_int_equal(cf_flash_plan_build(&img, 0x08000000u, 2, 1024, &plan, &err), CF_ERR_USAGE);
    assert_non_null(strstr(err.message, "not inside the flash"));
}

static cf_usb_dfu_info device(const char *flash, const char *option_bytes)
{
    cf_usb_dfu_info d = {.vid = 0x0483, .pid = 0xdf11, .alt_count = 2};
    snprintf(d.alts[0].name, sizeof(d.alts[0].name), "%s", flash);
    snprintf(d.alts[1].name, sizeof(d.alts[1].name), "%s", option_bytes);
    d.alts[1].alt = 1;
    return d;
}

static void test_chip_from_device(void **state)
{
    (void)state;
    cf_usb_dfu_info d =
        device("@Internal Flash  /0x08000000/032*0001Kg", "@Option Bytes  /0x1FFFF800/01*016 e");
    const cf_chip *chip = cf_chip_from_device(&d);
    assert_non_null(chip);
    assert_string_equal(chip->mcu, "stm32f042x6");
    d = device("@Internal Flash   /0x08000000/64*02Kg", "@Option Bytes   /0x1FFF7800/01*40Be");
    chip = cf_chip_from_device(&d);
    assert_non_null(chip);
    assert_string_equal(chip->mcu, "stm32g431xx");
    /* An F072 has the G431's flash geometry but F0 option bytes: not ours. */
    d = device("@Internal Flash  /0x08000000/064*0002Kg", "@Option Bytes  /0x1FFFF800/01*016 e");
    assert_null(cf_chip_from_device(&d));
    d = device("garbage", "@Option Bytes  /0x1FFFF800/01*016 e");
    assert_null(cf_chip_from_device(&d));
    d.alt_count = 0;
    assert_null(cf_chip_from_device(&d));
}

static void test_blank(void **state)
{
    (void)state;
    uint8_t page[16];
    memset(page, 0xFF, sizeof(page));
    assert_true(cf_flash_page_blank(page, sizeof(page)));
    page[15] = 0xFE;
    assert_false(cf_flash_page_blank(page, sizeof(page)));
}

/* Backups go to a name anyone can predict (chip, second, address). Links are
 * planted at it and at the temp names the old writer used: the targets stay
 * untouched and the backup lands in a new regular file. */
static void test_backup_planted_links(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf-backup-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char victim[300], name[400], tmp[500];
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    FILE *f = fopen(victim, "w");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    time_t now = time(NULL);
    for (time_t t = now; t <= now + 2; t++) {
        struct tm tm;
        localtime_r(&t, &tm);
        char stamp[32];
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        snprintf(name, sizeof(name), "%s/stm32f042x6-%s-0x08000000.bin", dir, stamp);
        assert_int_equal(symlink("/nonexistent/cf-dangling", name), 0);
        for (int pid = (int)getpid() - 2; pid <= (int)getpid() + 2; pid++) {
            snprintf(tmp, sizeof(tmp), "%s.tmp.%d", name, pid);
            assert_int_equal(symlink(victim, tmp), 0);
            snprintf(tmp, sizeof(tmp), "%s/stm32f042x6-%s-2-0x08000000.bin.tmp.%d", dir, stamp,
                     pid);
            assert_int_equal(symlink(victim, tmp), 0);
        }
    }
    char out[600];
    uint8_t data[64];
    memset(data, 0x5A, sizeof(data));
    assert_int_equal(cf_flash_save_backup(dir, "stm32f042x6", 0x08000000u, data, sizeof(data), out,
                                          sizeof(out), NULL),
                     CF_OK);
    struct stat st;
    assert_int_equal(lstat(out, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, sizeof(data));
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, 8);
    assert_int_equal(lstat("/nonexistent/cf-dangling", &st), -1);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(name, sizeof(name), "%s/%s", dir, e->d_name);
        assert_int_equal(unlink(name), 0);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_pages_and_targets),
        cmocka_unit_test(test_plan_pages_method),
        cmocka_unit_test(test_plan_blank_pages_need_no_erase),
        cmocka_unit_test(test_mass_pays_when_most_pages_change),
        cmocka_unit_test(test_mass_counts_unread_pages),
        cmocka_unit_test(test_plan_rejects_bad_page_size),
        cmocka_unit_test(test_chip_from_device),
        cmocka_unit_test(test_blank),
        cmocka_unit_test(test_backup_planted_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
