/* Host test: flashing over USB against the emulated node on a pty, starting
 * from "running Klipper" (1200-baud touch, re-enumeration as Katapult on the
 * same port with the same serial), verified byte for byte in the node's flash
 * file; every fault ends recoverable and a retry succeeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "flashtest.h"
#include "sim/sim.h"

#define USB_APP                                                                                    \
    "cartographer-klipper/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"

static cf_code flash_once(const char *spec, const cf_image *img, cf_kp_report *rep, cf_error *err,
                          unsigned *completes)
{
    cf_sim_kp *sim;
    cf_error_reset(err);
    assert_int_equal(cf_sim_kp_new(spec, &sim, err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_kp_timing t;
    fast_timing(&t);
    cf_kp_opts o = {.timing = &t, .wait_ms = 4000};
    events_seen seen = {0};
    cf_flash_events ev = {.user = &seen, .progress = on_progress, .notice = on_notice};
    cf_code rc = cf_kp_flash_usb(&env, img, &o, &ev, rep, err);
    if (rc == CF_OK) {
        assert_int_equal(seen.write_done, seen.write_total);
        assert_int_equal(seen.verify_done, seen.write_total);
        assert_true(seen.write_total >= cf_image_size(img));
    }
    if (getenv("CF_TEST_VERBOSE"))
        fprintf(stderr, "  flash: %s in %.2f s (transfer %.2f s)\n", cf_code_name(rc), rep->seconds,
                rep->transfer_seconds);
    cf_sim_kp_node_stats(sim, completes, NULL, NULL);
    cf_sim_kp_free(sim);
    return rc;
}

static void test_usb_flash_from_klipper(void **state)
{
    (void)state;
    make_tmpdir();
    cf_image img;
    load_image(USB_APP, &img);
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-usb,flash=%s,boot=100,timing=off", flash);
    cf_kp_report rep;
    cf_error err;
    unsigned completes = 0;
    cf_code rc = flash_once(spec, &img, &rep, &err, &completes);
    if (rc)
        fail_msg("%s | %s", err.message, err.hint);
    assert_true(rep.was_klipper);
    assert_true(rep.completed);
    assert_true(rep.came_back);
    assert_int_equal(completes, 1);
    assert_string_equal(rep.node.mcu, "stm32f042x6");
    assert_int_equal(rep.bytes_verified, rep.bytes_written);
    assert_int_equal(rep.blocks, (cf_image_size(&img) + 63) / 64);
    assert_flash_holds(flash, &img);
    /* Flashing again works from the app the first run started. */
    rc = flash_once(spec, &img, &rep, &err, &completes);
    if (rc)
        fail_msg("%s", err.message);
    assert_flash_holds(flash, &img);
    cf_image_free(&img);
    rm_tmpdir();
}

/* The v4/HT probe (STM32G431, 2 KiB pages) with a real v4 app image. */
static void test_usb_flash_g431(void **state)
{
    (void)state;
    make_tmpdir();
    cf_image img;
    load_image("cartographer_firmware/firmware/v4/firmware/6.2.0/"
               "CartographerV4_6.2.0_USB_full_8kib_offset.bin",
               &img);
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-usb:g431,flash=%s,boot=50,timing=off", flash);
    cf_kp_report rep;
    cf_error err;
    unsigned completes = 0;
    cf_code rc = flash_once(spec, &img, &rep, &err, &completes);
    if (rc)
        fail_msg("%s | %s", err.message, err.hint);
    assert_string_equal(rep.node.mcu, "stm32g431xx");
    assert_true(rep.came_back);
    assert_flash_holds(flash, &img);
    cf_image_free(&img);
    /* A v2/v3 image on this probe is refused after CONNECT, nothing written. */
    load_image(USB_APP, &img);
    rc = flash_once(spec, &img, &rep, &err, &completes);
    assert_int_equal(rc, CF_ERR_GATE);
    assert_non_null(strstr(err.message, "stm32f042x6 but the probe is stm32g431xx"));
    assert_non_null(strstr(err.hint, "v4/HT"));
    assert_int_equal(rep.bytes_written, 0);
    cf_image_free(&img);
    rm_tmpdir();
}

static void fault_case(const char *fault, cf_code want)
{
    make_tmpdir();
    cf_image img;
    load_image(USB_APP, &img);
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-usb,flash=%s,boot=50,timing=off,fault=%s", flash, fault);
    cf_kp_report rep;
    cf_error err;
    unsigned completes = 9;
    cf_code rc = flash_once(spec, &img, &rep, &err, &completes);
    assert_int_equal(rc, want);
    if (want != CF_OK) {
        /* A clear message, a hint saying what to do, and never COMPLETE. */
        assert_true(strlen(err.message) > 20);
        assert_true(strlen(err.hint) > 20);
        assert_false(rep.completed);
        assert_int_equal(completes, 0);
        assert_true(flash_diffs(flash, &img) > 0);
        if (getenv("CF_TEST_VERBOSE"))
            fprintf(stderr, "  %s -> %s | %s\n", fault, err.message, err.hint);
    } else {
        assert_true(rep.retries >= 1); /* the fault happened and was retried */
        assert_int_equal(completes, 1);
    }
    /* Retry without the fault: succeeds, byte for byte. */
    snprintf(spec, sizeof(spec), "katapult-usb,flash=%s,boot=50,timing=off", flash);
    rc = flash_once(spec, &img, &rep, &err, &completes);
    if (rc)
        fail_msg("retry after %s: %s", fault, err.message);
    assert_flash_holds(flash, &img);
    cf_image_free(&img);
    rm_tmpdir();
}

static void test_fault_lost(void **state)
{
    (void)state;
    fault_case("lost@7", CF_OK);
}
static void test_fault_nack(void **state)
{
    (void)state;
    fault_case("nack@3", CF_OK);
}
static void test_fault_busy(void **state)
{
    (void)state;
    fault_case("busy@12", CF_OK);
}
static void test_fault_disconnect(void **state)
{
    (void)state;
    fault_case("disconnect@40", CF_ERR_GONE);
}
static void test_fault_readback(void **state)
{
    (void)state;
    fault_case("readback@20", CF_ERR_VERIFY);
}

static void test_gates(void **state)
{
    (void)state;
    make_tmpdir();
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-usb,flash=%s,boot=50,timing=off", flash);
    struct {
        const char *file;
        const char *words;
    } cases[] = {
        {"cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/"
         "Full_Survey_Cartographer_USB_5_1_0.bin",
         "combined"},
        {"cartographer-klipper/firmware/v2-v3/survey/5.1.0/"
         "Survey_Cartographer_CAN_1000000_8kib_offset.bin",
         "can image"},
        {"cartographer_firmware/firmware/v4/firmware/6.2.0/"
         "CartographerV4_6.2.0_USB_full_8kib_offset.bin",
         "stm32g431xx"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cf_image img;
        load_image(cases[i].file, &img);
        cf_kp_report rep;
        cf_error err;
        unsigned completes = 9;
        cf_code rc = flash_once(spec, &img, &rep, &err, &completes);
        assert_int_equal(rc, CF_ERR_GATE);
        if (!strstr(err.message, cases[i].words))
            fail_msg("'%s' lacks '%s'", err.message, cases[i].words);
        assert_int_equal(completes, 0);
        assert_int_equal(rep.bytes_written, 0);
        cf_image_free(&img);
    }
    /* Nothing was ever written: the flash file is still erased. */
    uint8_t *data;
    size_t size;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_read_file(flash, 1 << 20, &data, &size, &err), CF_OK);
    for (size_t i = 0; i < size; i++)
        if (data[i] != 0xFF)
            fail_msg("flash touched at 0x%zx", i);
    free(data);
    rm_tmpdir();
}

#define DEPLOYER_V3_CAN                                                                            \
    "cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-1m.bin"
#define DEPLOYER_V4_CAN                                                                            \
    "cartographer_firmware/firmware/v4/katapult-deployer/katapult_deployer_v4_CAN_1M.bin"

/* A v3 probe on USB takes the CAN deployer without --force: it installs its
 * Katapult over the bootloader area and leaves USB for the CAN bus, where it
 * answers with the UUID its chip serial gives. */
static void test_deployer_usb_to_can(void **state)
{
    (void)state;
    make_tmpdir();
    cf_image img;
    load_image(DEPLOYER_V3_CAN, &img);
    cf_image_info info;
    cf_image_inspect(&img, &info);
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-usb,flash=%s,boot=50,timing=off", flash);
    cf_sim_kp *sim;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_sim_kp_new(spec, &sim, &err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_kp_timing t;
    fast_timing(&t);
    cf_kp_opts o = {.timing = &t, .wait_ms = 4000};
    cf_kp_report rep;
    cf_code rc = cf_kp_flash_usb(&env, &img, &o, NULL, &rep, &err);
    if (rc)
        fail_msg("%s | %s", err.message, err.hint);
    assert_true(rep.completed);
    assert_int_equal(rep.installed_katapult, CF_IFACE_CAN);
    assert_string_equal(rep.can_uuid, cf_sim_kp_uuid(sim));
    assert_true(cf_sim_kp_is_can(sim)); /* the probe now talks CAN */
    size_t n = 0;
    cf_kp_usb_dev devs[4];
    assert_int_equal(cf_kp_usb_list(&env, devs, 4, &n, &err), CF_OK);
    assert_int_equal(n, 0); /* and is gone from USB */
    /* the bootloader area holds the Katapult the deployer embeds */
    static uint8_t chip[32 * 1024];
    uint32_t base;
    assert_int_equal(cf_sim_kp_flash_copy(sim, chip, sizeof(chip), &base), sizeof(chip));
    uint8_t b;
    for (uint32_t i = 0; i < 4096; i++) {
        assert_true(cf_image_byte(&img, 0x08002000u + info.katapult_offset + i, &b));
        assert_int_equal(chip[i], b);
    }
    cf_sim_kp_free(sim);
    cf_image_free(&img);
    rm_tmpdir();
}

/* A v4 deployer on a v3 probe in Katapult is refused from its USB product
 * string (the MCU), before CONNECT; nothing is written. */
static void test_deployer_other_chip(void **state)
{
    (void)state;
    make_tmpdir();
    cf_image img;
    load_image(DEPLOYER_V4_CAN, &img);
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-usb,flash=%s,boot=50,timing=off,mode=katapult", flash);
    cf_kp_report rep;
    cf_error err;
    unsigned completes = 9;
    cf_code rc = flash_once(spec, &img, &rep, &err, &completes);
    assert_int_equal(rc, CF_ERR_GATE);
    assert_non_null(strstr(err.message, "for stm32g431xx but the probe is stm32f042x6"));
    assert_non_null(strstr(err.message, "USB product string"));
    assert_int_equal(rep.bytes_written, 0);
    assert_int_equal(completes, 0);
    cf_image_free(&img);
    rm_tmpdir();
}

static void test_selector_not_found(void **state)
{
    (void)state;
    cf_sim_kp *sim;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_sim_kp_new("katapult-usb,timing=off", &sim, &err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_image img;
    load_image(USB_APP, &img);
    cf_kp_opts o = {.device = "/dev/ttyACM7", .wait_ms = 300};
    cf_kp_report rep;
    /* Let the device enumerate first. */
    cf_kp_usb_dev devs[4];
    size_t n = 0;
    for (int i = 0; i < 100 && n == 0; i++) {
        cf_kp_usb_list(&env, devs, 4, &n, &err);
        usleep(10000);
    }
    assert_int_equal(n, 1);
    assert_int_equal(devs[0].app, CF_KP_APP_KLIPPER);
    assert_true(devs[0].cartographer);
    assert_int_equal(cf_kp_flash_usb(&env, &img, &o, NULL, &rep, &err), CF_ERR_NOT_FOUND);
    cf_image_free(&img);
    cf_sim_kp_free(sim);
}

/* A port held by another program (Klipper) is refused, naming the process. */
static void test_port_in_use(void **state)
{
    (void)state;
    cf_sim_kp *sim;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_sim_kp_new("katapult-usb,timing=off", &sim, &err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_kp_usb_dev devs[2];
    size_t n = 0;
    for (int i = 0; i < 100 && n == 0; i++) {
        cf_kp_usb_list(&env, devs, 2, &n, &err);
        usleep(10000);
    }
    assert_int_equal(n, 1);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int fd = open(devs[0].tty, O_RDWR | O_NOCTTY);
        if (write(ready[1], "x", 1) != 1 || fd < 0)
            _exit(1);
        pause();
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    cf_image img;
    load_image(USB_APP, &img);
    cf_kp_opts o = {.wait_ms = 1000};
    cf_kp_report rep;
    assert_int_equal(cf_kp_flash_usb(&env, &img, &o, NULL, &rep, &err), CF_ERR_GATE);
    char want[32];
    snprintf(want, sizeof(want), "process %d", (int)child);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.hint, "systemctl stop klipper"));
    assert_false(rep.was_klipper); /* the touch was never sent */
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    cf_image_free(&img);
    cf_sim_kp_free(sim);
}

/* ---- a printer mainboard running Klipper on USB (1d50:614e, not a probe) ---- */

static void expect_untouched(cf_sim_kp *sim)
{
    usleep(50000); /* the simulator notices line-rate changes within a few ms */
    cf_sim_kp_mainboard mb;
    cf_sim_kp_mainboard_record(sim, &mb);
    assert_true(mb.present);
    assert_int_equal(mb.bytes, 0);
    assert_int_equal(mb.line_changes, 0);
    assert_int_equal(mb.bootloader_requests, 0);
}

/* The probe is on CAN, the mainboard on USB: flash usb sends the mainboard
 * nothing (by the simulator's own record) and says why and what to do. */
static void test_mainboard_probe_on_can(void **state)
{
    (void)state;
    cf_sim_kp *sim;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_sim_kp_new("katapult-can,mainboard=usb,timing=off", &sim, &err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_image img;
    load_image(USB_APP, &img);
    cf_kp_opts o = {.wait_ms = 500};
    cf_kp_report rep;
    cf_error_reset(&err);
    assert_int_equal(cf_kp_flash_usb(&env, &img, &o, NULL, &rep, &err), CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "no Cartographer probe on USB"));
    assert_non_null(strstr(err.message, "\"Klipper\" \"stm32f446xx\""));
    assert_non_null(strstr(err.message, "nothing was sent to it"));
    assert_non_null(strstr(err.hint, "cartoflash flash can --uuid"));
    assert_false(rep.was_klipper);
    expect_untouched(sim);
    cf_image_free(&img);
    cf_sim_kp_free(sim);
}

/* Both on USB (the mainboard listed first): the Cartographer is chosen and
 * flashed; the mainboard received nothing. */
static void test_mainboard_and_probe_on_usb(void **state)
{
    (void)state;
    make_tmpdir();
    char spec[600];
    snprintf(spec, sizeof(spec),
             "katapult-usb,mainboard=usb,flash=%s/flash.bin,boot=100,timing=off", tmpdir);
    cf_sim_kp *sim;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_sim_kp_new(spec, &sim, &err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_image img;
    load_image(USB_APP, &img);
    cf_kp_timing t;
    fast_timing(&t);
    cf_kp_opts o = {.timing = &t, .wait_ms = 4000};
    cf_kp_report rep;
    cf_error_reset(&err);
    cf_code rc = cf_kp_flash_usb(&env, &img, &o, NULL, &rep, &err);
    if (rc)
        fail_msg("%s | %s", err.message, err.hint);
    assert_true(rep.was_klipper);
    assert_true(rep.completed);
    assert_null(strstr(rep.device, "1-1.2")); /* not the mainboard's port */
    char flash[600];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    assert_flash_holds(flash, &img);
    expect_untouched(sim);
    cf_image_free(&img);
    cf_sim_kp_free(sim);
    rm_tmpdir();
}

/* Named with --device, the mainboard is used (the user's explicit choice,
 * with a warning): the record then shows the bootloader request, so the
 * record is what proves "nothing" above. */
static void test_mainboard_named_explicitly(void **state)
{
    (void)state;
    cf_sim_kp *sim;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_sim_kp_new("katapult-can,mainboard=usb,timing=off", &sim, &err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_sim_kp_mainboard mb;
    cf_sim_kp_mainboard_record(sim, &mb);
    cf_image img;
    load_image(USB_APP, &img);
    cf_kp_opts o = {.device = mb.tty, .wait_ms = 300};
    events_seen seen = {0};
    cf_flash_events ev = {.user = &seen, .progress = on_progress, .notice = on_notice};
    cf_kp_report rep;
    cf_error_reset(&err);
    assert_int_equal(cf_kp_flash_usb(&env, &img, &o, &ev, &rep, &err), CF_ERR_TIMEOUT);
    assert_true(rep.was_klipper);
    for (int i = 0; i < 100; i++) {
        cf_sim_kp_mainboard_record(sim, &mb);
        if (mb.bootloader_requests)
            break;
        usleep(10000);
    }
    assert_int_equal(mb.bootloader_requests, 1);
    cf_image_free(&img);
    cf_sim_kp_free(sim);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usb_flash_from_klipper),
        cmocka_unit_test(test_fault_lost),
        cmocka_unit_test(test_fault_nack),
        cmocka_unit_test(test_fault_busy),
        cmocka_unit_test(test_fault_disconnect),
        cmocka_unit_test(test_fault_readback),
        cmocka_unit_test(test_gates),
        cmocka_unit_test(test_deployer_usb_to_can),
        cmocka_unit_test(test_deployer_other_chip),
        cmocka_unit_test(test_selector_not_found),
        cmocka_unit_test(test_port_in_use),
        cmocka_unit_test(test_usb_flash_g431),
        cmocka_unit_test(test_mainboard_probe_on_can),
        cmocka_unit_test(test_mainboard_and_probe_on_usb),
        cmocka_unit_test(test_mainboard_named_explicitly),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* ctest runs groups in parallel */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
