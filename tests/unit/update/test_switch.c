/* The switch's contract (update/switch.h), against the emulated Katapult node
 * running a real 6.1.0 USB build and the real catalogue: the notes come in
 * the order the steps make them, a refusal at the deployer's question sends
 * nothing and leaves the switch after "found", the wait reports the time left
 * and stops when told to (the switch stays after "deployed"), and the switch
 * continued on the probe that is on CAN ends with its status there and the
 * state file gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "update/switch.h"
#include "sim/sim.h"

typedef struct seen {
    cf_switch_note kinds[64];
    size_t count;
    unsigned confirms, waits, stop_after_waits;
    unsigned last_left, first_left;
    cf_code answer;
} seen;

static void on_note(void *user, cf_switch_note kind, const char *text)
{
    (void)text;
    seen *s = user;
    if (s->count < 64)
        s->kinds[s->count++] = kind;
}

static cf_code on_confirm(void *user, const cf_switch_plan *plan, cf_error *err)
{
    seen *s = user;
    s->confirms++;
    assert_non_null(plan->target);
    assert_non_null(plan->state);
    if (s->answer != CF_OK)
        return cf_fail(err, s->answer, "not confirmed");
    return CF_OK;
}

static bool on_waiting(void *user, unsigned left_ms)
{
    seen *s = user;
    if (s->waits++ == 0)
        s->first_left = left_ms;
    else
        assert_true(left_ms <= s->last_left);
    s->last_left = left_ms;
    return s->waits < s->stop_after_waits;
}

static size_t index_of(const seen *s, cf_switch_note kind)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->kinds[i] == kind)
            return i;
    return SIZE_MAX;
}

static cf_code run(seen *s, cf_sim_kp *sim, cf_iface to, const char *cat, cf_switch_result *res,
                   cf_error *err)
{
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_switch_opts o = {.to = to,
                        .bitrate = to == CF_IFACE_CAN ? 1000000 : 0,
                        .wait_ms = 20000,
                        .env = &env,
                        .catalog = {.source = cat, .offline = true}};
    cf_switch_events ev = {
        .user = s, .note = on_note, .confirm = on_confirm, .waiting = on_waiting};
    s->count = s->confirms = s->waits = 0;
    cf_error_reset(err);
    return cf_switch_run(&o, &ev, res, err);
}

static cf_sim_kp *node(const char *flash, const char *app)
{
    char spec[2400];
    snprintf(spec, sizeof(spec), "katapult-usb,timing=off,flash=%s%s%s", flash, app ? ",app=" : "",
             app ? app : "");
    cf_sim_kp *sim = NULL;
    cf_error err = {0};
    assert_int_equal(cf_sim_kp_new(spec, &sim, &err), CF_OK);
    return sim;
}

/* One run of the scenario: the files, the probe on the emulated bus, and
 * what the events saw. */
typedef struct scenario {
    char dir[32], cat[1024], app[1400], f1[64], f2[64], sfile[64];
    cf_switch_result *res;
    seen s;
    cf_error err;
    cf_sim_kp *sim;
} scenario;

static void scenario_begin(scenario *t)
{
    const char *fw = getenv("CF_FIRMWARE_DIR");
    assert_non_null(fw);
    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/cf-switch-test-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    setenv("XDG_STATE_HOME", t->dir, 1);
    snprintf(t->cat, sizeof(t->cat), "%s/cartographer_firmware/firmware", fw);
    snprintf(t->app, sizeof(t->app),
             "%s/v2-v3/survey/6.1.0/CartographerV3_6.1.0_USB_full_8kib_offset.bin", t->cat);
    snprintf(t->f1, sizeof(t->f1), "%s/f1.bin", t->dir);
    snprintf(t->f2, sizeof(t->f2), "%s/f2.bin", t->dir);
    snprintf(t->sfile, sizeof(t->sfile), "%s/cartoflash/switch", t->dir);
    t->res = calloc(1, sizeof(*t->res));
    assert_non_null(t->res);
    t->s = (seen){.answer = CF_ERR_CANCELLED, .stop_after_waits = 3};
}

/* refused at the deployer's question: nothing sent, the switch after "found" */
static void refused(scenario *t)
{
    unsigned completes, blocks, requests;
    t->sim = node(t->f1, t->app);
    assert_int_equal(run(&t->s, t->sim, CF_IFACE_CAN, t->cat, t->res, &t->err), CF_ERR_CANCELLED);
    assert_int_equal(t->s.confirms, 1);
    cf_sim_kp_node_stats(t->sim, &completes, &blocks, &requests);
    assert_int_equal(requests + blocks, 0);
    assert_true(t->res->has_state && t->res->has_deployer);
    assert_int_equal(t->res->state.step, CF_SW_FOUND);
    assert_int_equal(t->res->steps_done, 0);
    assert_string_equal(t->res->deployer.rel_path,
                        "v2-v3/katapult-deployer/katapult-deployer-1m.bin");
    size_t probe = index_of(&t->s, CF_SWN_PROBE), step = index_of(&t->s, CF_SWN_STEP),
           image = index_of(&t->s, CF_SWN_IMAGE), check = index_of(&t->s, CF_SWN_CHECK);
    assert_true(probe < step && step < image && image < check && check < t->s.count);
    assert_int_equal(access(t->sfile, F_OK), 0);
}

/* yes, stopped after the deployer: the probe waits on CAN in its new Katapult */
static void stopped_after_deployer(scenario *t)
{
    t->s.answer = CF_OK;
    cf_kp_env env = {.transport = cf_sim_kp_transport(t->sim)};
    cf_switch_opts o = {.wait_ms = 20000,
                        .stop_after_deployed = true,
                        .env = &env,
                        .catalog = {.source = t->cat, .offline = true}};
    cf_switch_events ev = {.user = &t->s, .note = on_note, .confirm = on_confirm};
    t->s.count = t->s.confirms = 0;
    assert_int_equal(cf_switch_run(&o, &ev, t->res, &t->err), CF_OK);
    assert_true(t->res->resumed && t->res->stopped);
    assert_int_equal(t->res->resumed_at, CF_SW_FOUND);
    assert_int_equal(t->res->steps_done, 1);
    assert_int_equal(t->res->state.step, CF_SW_DEPLOYED);
    assert_true(index_of(&t->s, CF_SWN_RECABLE) < index_of(&t->s, CF_SWN_STOPPED));
}

/* another probe that is not on CAN: the wait counts down and stops when told */
static void other_probe_waits(scenario *t)
{
    cf_sim_kp *other = node(t->f2, t->app);
    assert_int_equal(run(&t->s, other, CF_IFACE_UNKNOWN, t->cat, t->res, &t->err),
                     CF_ERR_CANCELLED);
    assert_int_equal(t->s.waits, 3);
    assert_true(t->s.first_left <= 20000 && t->s.first_left > 15000);
    assert_true(t->s.last_left < t->s.first_left);
    assert_int_equal(t->s.confirms, 0);
    assert_int_equal(t->res->state.step, CF_SW_DEPLOYED);
    assert_int_equal(t->res->steps_done, 0);
    cf_sim_kp_free(other);
}

/* the probe that is on CAN: found, the app flashed, its status on CAN */
static void continued_on_can(scenario *t)
{
    t->s.stop_after_waits = 1000;
    assert_int_equal(run(&t->s, t->sim, CF_IFACE_UNKNOWN, t->cat, t->res, &t->err), CF_OK);
    assert_int_equal(t->s.confirms, 1);
    assert_int_equal(t->res->steps_done, 2);
    assert_int_equal(t->res->done[0], CF_SW_ARRIVED);
    assert_int_equal(t->res->done[1], CF_SW_APP);
    assert_true(t->res->has_app && t->res->has_status);
    assert_string_equal(t->res->status.connection, "can");
    assert_string_equal(t->res->status.uuid, t->res->state.uuid);
    assert_true(index_of(&t->s, CF_SWN_WAIT) < index_of(&t->s, CF_SWN_DONE));
    assert_int_equal(access(t->sfile, F_OK), -1);
}

/* where it is already: nothing to do, no question, no state file */
static void nothing_to_do(scenario *t)
{
    assert_int_equal(run(&t->s, t->sim, CF_IFACE_CAN, t->cat, t->res, &t->err), CF_OK);
    assert_true(t->res->nothing_to_do);
    assert_int_equal(t->s.confirms, 0);
    assert_int_equal(access(t->sfile, F_OK), -1);
}

static void scenario_end(scenario *t)
{
    cf_sim_kp_free(t->sim);
    free(t->res);
    unlink(t->f1);
    unlink(t->f2);
    char sdir[64];
    snprintf(sdir, sizeof(sdir), "%s/cartoflash", t->dir);
    rmdir(sdir);
    rmdir(t->dir);
}

static void test_switch(void **state)
{
    (void)state;
    scenario *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    scenario_begin(t);
    refused(t);
    stopped_after_deployer(t);
    other_probe_waits(t);
    continued_on_can(t);
    nothing_to_do(t);
    scenario_end(t);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_switch)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
