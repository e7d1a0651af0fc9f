/* Host test: flashing over CAN against the emulated node on the in-process
 * bus (same code as SocketCAN, bit timing at the node's bitrate), starting
 * from "running Klipper" (REQUEST_BOOTLOADER by UUID), verified byte for byte
 * in the node's flash file; faults end recoverable and a retry succeeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flashtest.h"
#include "sim/sim.h"

#define CAN_APP                                                                                    \
    "cartographer-klipper/firmware/v2-v3/survey/5.1.0/"                                            \
    "Survey_Cartographer_CAN_1000000_8kib_offset.bin"

static cf_code flash_once(const char *spec, const cf_image *img, const char *uuid,
                          cf_kp_report *rep, cf_error *err, unsigned *completes)
{
    cf_sim_kp *sim;
    cf_error_reset(err);
    assert_int_equal(cf_sim_kp_new(spec, &sim, err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_kp_timing t;
    fast_timing(&t);
    cf_kp_opts o = {.timing = &t,
                    .wait_ms = 3000,
                    .interface = "can0",
                    .uuid = uuid ? uuid : cf_sim_kp_uuid(sim)};
    events_seen seen = {0};
    cf_flash_events ev = {.user = &seen, .progress = on_progress, .notice = on_notice};
    cf_code rc = cf_kp_flash_can(&env, img, &o, &ev, rep, err);
    if (getenv("CF_TEST_VERBOSE"))
        fprintf(stderr, "  flash: %s in %.2f s (transfer %.2f s), %lu/%lu frames\n",
                cf_code_name(rc), rep->seconds, rep->transfer_seconds, rep->frames_out,
                rep->frames_in);
    if (rc == CF_OK) {
        assert_int_equal(seen.write_done, seen.write_total);
        assert_int_equal(seen.verify_done, seen.write_total);
    }
    cf_sim_kp_node_stats(sim, completes, NULL, NULL);
    cf_sim_kp_free(sim);
    return rc;
}

static void test_can_flash_from_klipper(void **state)
{
    (void)state;
    make_tmpdir();
    cf_image img;
    load_image(CAN_APP, &img);
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-can,flash=%s,boot=100,timing=off", flash);
    cf_kp_report rep;
    cf_error err;
    unsigned completes = 0;
    cf_code rc = flash_once(spec, &img, NULL, &rep, &err, &completes);
    if (rc)
        fail_msg("%s | %s", err.message, err.hint);
    assert_true(rep.completed);
    assert_true(rep.came_back);
    assert_int_equal(completes, 1);
    assert_int_equal(rep.bus_bitrate, 1000000);
    assert_int_equal(rep.bytes_verified, rep.bytes_written);
    /* Per block: 10 frames out + 2 in (write), 2 out + 10 in (read-back). */
    size_t blocks = rep.blocks;
    assert_true(rep.frames_out >= blocks * 12);
    assert_true(rep.frames_in >= blocks * 12);
    assert_flash_holds(flash, &img);
    cf_image_free(&img);
    rm_tmpdir();
}

/* The v4/HT probe (STM32G431, 2 KiB pages) with a real v4 CAN app image. */
static void test_can_flash_g431(void **state)
{
    (void)state;
    make_tmpdir();
    cf_image img;
    load_image("cartographer_firmware/firmware/v4/firmware/6.2.0/"
               "CartographerV4_6.2.0_CAN_1M_full_8kib_offset.bin",
               &img);
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-can:g431,flash=%s,boot=50,timing=off", flash);
    cf_kp_report rep;
    cf_error err;
    unsigned completes = 0;
    cf_code rc = flash_once(spec, &img, NULL, &rep, &err, &completes);
    if (rc)
        fail_msg("%s | %s", err.message, err.hint);
    assert_string_equal(rep.node.mcu, "stm32g431xx");
    assert_int_equal(completes, 1);
    assert_flash_holds(flash, &img);
    cf_image_free(&img);
    rm_tmpdir();
}

static void fault_case(const char *fault, cf_code want)
{
    make_tmpdir();
    cf_image img;
    load_image(CAN_APP, &img);
    char spec[600], flash[512];
    snprintf(flash, sizeof(flash), "%s/flash.bin", tmpdir);
    snprintf(spec, sizeof(spec), "katapult-can,flash=%s,boot=50,timing=off,fault=%s", flash, fault);
    cf_kp_report rep;
    cf_error err;
    unsigned completes = 9;
    cf_code rc = flash_once(spec, &img, NULL, &rep, &err, &completes);
    assert_int_equal(rc, want);
    if (want != CF_OK) {
        assert_true(strlen(err.message) > 20);
        assert_true(strlen(err.hint) > 20);
        assert_false(rep.completed);
        assert_int_equal(completes, 0);
        assert_true(flash_diffs(flash, &img) > 0);
        if (getenv("CF_TEST_VERBOSE"))
            fprintf(stderr, "  %s -> %s | %s\n", fault, err.message, err.hint);
    } else {
        assert_true(rep.retries >= 1);
        assert_int_equal(completes, 1);
    }
    snprintf(spec, sizeof(spec), "katapult-can,flash=%s,boot=50,timing=off", flash);
    rc = flash_once(spec, &img, NULL, &rep, &err, &completes);
    if (rc)
        fail_msg("retry after %s: %s", fault, err.message);
    assert_flash_holds(flash, &img);
    cf_image_free(&img);
    rm_tmpdir();
}

static void test_fault_lost(void **state)
{
    (void)state;
    fault_case("lost@9", CF_OK);
}
static void test_fault_nack(void **state)
{
    (void)state;
    fault_case("nack@2", CF_OK);
}
static void test_fault_busy(void **state)
{
    (void)state;
    fault_case("busy@30", CF_OK);
}
static void test_fault_disconnect(void **state)
{
    (void)state;
    fault_case("disconnect@50", CF_ERR_TIMEOUT);
}
static void test_fault_readback(void **state)
{
    (void)state;
    fault_case("readback@5", CF_ERR_VERIFY);
}

static void test_wrong_uuid_and_bitrate(void **state)
{
    (void)state;
    cf_image img;
    load_image(CAN_APP, &img);
    cf_kp_report rep;
    cf_error err;
    unsigned completes = 9;
    /* No node with this UUID: a clear timeout naming it. */
    assert_int_equal(
        flash_once("katapult-can,timing=off", &img, "0123456789ab", &rep, &err, &completes),
        CF_ERR_TIMEOUT);
    assert_non_null(strstr(err.message, "0123456789ab"));
    assert_int_equal(completes, 0);
    /* A bad UUID text. */
    assert_int_equal(flash_once("katapult-can,timing=off", &img, "xyz", &rep, &err, &completes),
                     CF_ERR_USAGE);
    cf_image_free(&img);
    /* 250 kbit/s image on a 1 Mbit/s bus: refused before anything is sent. */
    load_image("cartographer-klipper/firmware/v2-v3/survey/5.1.0/"
               "Survey_Cartographer_CAN_250000_8kib_offset.bin",
               &img);
    assert_int_equal(flash_once("katapult-can,timing=off", &img, NULL, &rep, &err, &completes),
                     CF_ERR_GATE);
    assert_non_null(strstr(err.message, "250000"));
    assert_int_equal(rep.frames_out, 0);
    /* ...and accepted on a 250 kbit/s bus. */
    assert_int_equal(
        flash_once("katapult-can,timing=off,bitrate=250000", &img, NULL, &rep, &err, &completes),
        CF_OK);
    assert_int_equal(completes, 1);
    cf_image_free(&img);
}

static void test_query(void **state)
{
    (void)state;
    cf_sim_kp *sim;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_sim_kp_new("katapult-can,timing=off", &sim, &err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_kp_found_uuid f[4];
    size_t n = 0;
    assert_int_equal(cf_kp_can_query_env(&env, "can0", 300, f, 4, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(f[0].uuid, cf_sim_kp_uuid(sim));
    assert_int_equal(f[0].app, CF_KP_APP_KLIPPER);
    cf_sim_kp_free(sim);
    /* Claimed by a running Klipper: silent. */
    assert_int_equal(cf_sim_kp_new("katapult-can,timing=off,claimed", &sim, &err), CF_OK);
    env.transport = cf_sim_kp_transport(sim);
    assert_int_equal(cf_kp_can_query_env(&env, "can0", 300, f, 4, &n, &err), CF_OK);
    assert_int_equal(n, 0);
    cf_sim_kp_free(sim);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_can_flash_from_klipper),
        cmocka_unit_test(test_fault_lost),
        cmocka_unit_test(test_fault_nack),
        cmocka_unit_test(test_fault_busy),
        cmocka_unit_test(test_fault_disconnect),
        cmocka_unit_test(test_fault_readback),
        cmocka_unit_test(test_wrong_uuid_and_bitrate),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_can_flash_g431),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* ctest runs groups in parallel */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
