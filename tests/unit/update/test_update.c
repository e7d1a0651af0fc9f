/* The update layer's contract (update/update.h), against the emulated
 * Katapult node running a real 5.0.0 USB build: the choices come as notes in
 * the order they are made, the confirm callback is asked once and before the
 * first change (a refusal sends nothing), a flash ends with the version read
 * back, and a probe that already runs the newest is nothing to do without
 * being asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "update/update.h"
#include "sim/sim.h"

typedef struct seen {
    cf_update_note kinds[32];
    char texts[32][256];
    size_t count;
    unsigned confirms, flashed_before_confirm;
    cf_code answer;
    cf_sim_kp *sim;
} seen;

static void on_note(void *user, cf_update_note kind, const char *text)
{
    seen *s = user;
    if (s->count < 32) {
        s->kinds[s->count] = kind;
        snprintf(s->texts[s->count], sizeof(s->texts[0]), "%s", text);
        s->count++;
    }
}

static cf_code on_confirm(void *user, const cf_update_plan *plan, cf_error *err)
{
    seen *s = user;
    s->confirms++;
    assert_false(plan->dfu);
    assert_non_null(
        strstr(plan->target->rel_path, "CartographerV3_6.1.0_USB_full_8kib_offset.bin"));
    unsigned completes = 0, blocks = 0, requests = 0;
    cf_sim_kp_node_stats(s->sim, &completes, &blocks, &requests);
    s->flashed_before_confirm = blocks + requests;
    if (s->answer != CF_OK)
        return cf_fail(err, s->answer, "not confirmed");
    return CF_OK;
}

static size_t index_of(const seen *s, cf_update_note kind)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->kinds[i] == kind)
            return i;
    return SIZE_MAX;
}

static cf_code run(seen *s, cf_catalog *cat, cf_update_result *res, cf_error *err)
{
    cf_kp_env env = {.transport = cf_sim_kp_transport(s->sim)};
    cf_update_opts o = {.status = {.env = &env, .catalog = cat}, .home = "/nonexistent"};
    cf_update_events ev = {.user = s, .note = on_note, .confirm = on_confirm};
    s->count = 0;
    s->confirms = 0;
    cf_error_reset(err);
    return cf_update_run(&o, &ev, res, err);
}

static void test_flow(void **state)
{
    (void)state;
    const char *fw = getenv("CF_FIRMWARE_DIR");
    assert_non_null(fw);
    char survey[1024], spec[2300], flash[] = "/tmp/cf-update-test-XXXXXX";
    snprintf(survey, sizeof(survey), "%s/cartographer_firmware/firmware/v2-v3/survey", fw);
    int fd = mkstemp(flash);
    assert_true(fd >= 0);
    close(fd);
    unlink(flash); /* the node creates it erased */
    snprintf(
        spec, sizeof(spec),
        "katapult-usb,timing=off,flash=%s,app=%s/5.0.0/Survey_Cartographer_USB_8kib_offset.bin",
        flash, survey);
    seen s = {.answer = CF_ERR_CANCELLED};
    cf_error err = {0};
    assert_int_equal(cf_sim_kp_new(spec, &s.sim, &err), CF_OK);
    cf_catalog_opts copts = {.source = survey, .offline = true};
    cf_catalog *cat = NULL;
    assert_int_equal(cf_catalog_open(&copts, &cat, &err), CF_OK);
    cf_update_result *res = calloc(1, sizeof(*res));
    assert_non_null(res);

    /* refused at the question: nothing was sent, nothing flashed */
    assert_int_equal(run(&s, cat, res, &err), CF_ERR_CANCELLED);
    assert_int_equal(s.confirms, 1);
    assert_int_equal(s.flashed_before_confirm, 0);
    assert_false(res->flashed);
    assert_true(res->found && res->picked);
    size_t probe = index_of(&s, CF_UPN_PROBE), image = index_of(&s, CF_UPN_IMAGE),
           check = index_of(&s, CF_UPN_CHECK);
    assert_true(probe < image && image < check && check < s.count);
    assert_non_null(strstr(s.texts[probe], "runs CARTOGRAPHER 5.0.0 (USB)"));
    assert_non_null(strstr(s.texts[image], "the newest app image"));
    unsigned completes = 0, blocks = 0, requests = 0;
    cf_sim_kp_node_stats(s.sim, &completes, &blocks, &requests);
    assert_int_equal(requests, 0);

    /* yes: flashed, read back */
    s.answer = CF_OK;
    assert_int_equal(run(&s, cat, res, &err), CF_OK);
    assert_int_equal(s.confirms, 1);
    assert_true(res->flashed);
    assert_false(res->nothing_to_do);
    assert_string_equal(res->now, "CARTOGRAPHER V3 6.1.0 (USB)");
    size_t written = index_of(&s, CF_UPN_WRITTEN), confirmed = index_of(&s, CF_UPN_CONFIRMED);
    assert_true(written < confirmed && confirmed < s.count);
    cf_sim_kp_node_stats(s.sim, &completes, &blocks, &requests);
    assert_int_equal(requests, 1);
    assert_int_equal(completes, 1);

    /* again: nothing to do, not asked, nothing sent */
    assert_int_equal(run(&s, cat, res, &err), CF_OK);
    assert_true(res->nothing_to_do);
    assert_false(res->flashed);
    assert_int_equal(s.confirms, 0);
    assert_true(index_of(&s, CF_UPN_NOTHING) < s.count);
    cf_sim_kp_node_stats(s.sim, &completes, &blocks, &requests);
    assert_int_equal(requests, 1);

    /* a probe that is not there: named, with the flag's value */
    cf_kp_env env = {.transport = cf_sim_kp_transport(s.sim)};
    cf_update_opts o = {.status = {.env = &env, .catalog = cat}, .device = "9-9.9"};
    assert_int_equal(cf_update_run(&o, NULL, res, &err), CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "matching 9-9.9"));
    assert_false(res->found);

    free(res);
    cf_catalog_close(cat);
    cf_sim_kp_free(s.sim);
    unlink(flash);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_flow)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
