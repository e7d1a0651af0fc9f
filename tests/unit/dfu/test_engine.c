/* The DFU/DfuSe engine against a scripted fake device: each test lists the
 * replies the device gives, in order, and checks the exact requests the
 * engine sent (request, wValue, wLength, payload). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "dfu/dfu.h"

enum {
    DNLOAD = CF_DFU_REQ_DNLOAD,
    UPLOAD = CF_DFU_REQ_UPLOAD,
    GETSTATUS = CF_DFU_REQ_GETSTATUS,
    CLRSTATUS = CF_DFU_REQ_CLRSTATUS,
    GETSTATE = CF_DFU_REQ_GETSTATE,
    ABORT = CF_DFU_REQ_ABORT
};

typedef struct step {
    uint8_t request; /* what the device expects next */
    cf_code rc;      /* transport result */
    uint8_t status, state;
    uint32_t poll_ms;
    size_t reply_len; /* GETSTATUS: 0 = 6 bytes; UPLOAD: 0 = as asked */
} step;

#define OK_REQ(r)                                                                                  \
    {                                                                                              \
        .request = (r)                                                                             \
    }
#define FAIL_REQ(r, code)                                                                          \
    {                                                                                              \
        .request = (r), .rc = (code)                                                               \
    }
#define STATUS(st, sta, poll)                                                                      \
    {                                                                                              \
        .request = GETSTATUS, .status = (st), .state = (sta), .poll_ms = (poll)                    \
    }
#define BUSY(poll) STATUS(CF_DFU_STATUS_OK, CF_DFU_DNBUSY, poll)
#define DNIDLE STATUS(CF_DFU_STATUS_OK, CF_DFU_DNLOAD_IDLE, 0)
#define IDLE STATUS(CF_DFU_STATUS_OK, CF_DFU_IDLE, 0)

typedef struct logged {
    uint8_t type, request;
    uint16_t value, index, length;
    uint8_t head[8]; /* first payload bytes (OUT) */
    uint8_t last;    /* last payload byte (OUT) */
    uint64_t at_ns;
} logged;

typedef struct fake {
    cf_usb_dev base;
    const step *steps;
    size_t nsteps, next;
    logged log[64];
    size_t nlog;
    const uint8_t *upload_src; /* UPLOAD replies come from here, in order */
    size_t upload_off;
    bool uploading; /* in dfuUPLOAD-IDLE: only ABORT (or more UPLOADs) allowed */
} fake;

static cf_code fake_control(cf_usb_dev *dev, const cf_usb_setup *s, uint8_t *data, size_t *actual,
                            unsigned timeout_ms, cf_error *err)
{
    fake *f = (fake *)dev;
    assert_int_equal(timeout_ms, 5000);
    assert_true(f->nlog < sizeof(f->log) / sizeof(f->log[0]));
    logged *l = &f->log[f->nlog++];
    memset(l, 0, sizeof(*l));
    *l = (logged){s->request_type, s->request, s->value, s->index, s->length, {0}, 0, cf_now_ns()};
    if (!(s->request_type & 0x80) && s->length) {
        memcpy(l->head, data, s->length < 8 ? s->length : 8);
        l->last = data[s->length - 1];
    }
    if (f->next >= f->nsteps)
        fail_msg("unscripted request %u (value %u) after %zu steps", s->request, s->value,
                 f->nsteps);
    const step *st = &f->steps[f->next++];
    if (st->request != s->request)
        fail_msg("step %zu: expected request %u, got %u", f->next - 1, st->request, s->request);
    /* The one state rule every ST ROM enforces that a script cannot show. */
    if (f->uploading && s->request == DNLOAD)
        fail_msg("step %zu: DNLOAD sent in dfuUPLOAD-IDLE (the ROM STALLs it)", f->next - 1);
    if (s->request == UPLOAD)
        f->uploading = true;
    if (s->request == ABORT)
        f->uploading = false;
    if (st->rc != CF_OK)
        return cf_fail(err, st->rc, "scripted %s", cf_code_name(st->rc));
    if (s->request == GETSTATUS) {
        uint8_t r[6] = {st->status,
                        (uint8_t)st->poll_ms,
                        (uint8_t)(st->poll_ms >> 8),
                        (uint8_t)(st->poll_ms >> 16),
                        st->state,
                        0};
        size_t n = st->reply_len ? st->reply_len : 6;
        memcpy(data, r, n < 6 ? n : 6);
        *actual = n;
    } else if (s->request == GETSTATE) {
        data[0] = st->state;
        *actual = 1;
    } else if (s->request == UPLOAD) {
        size_t n = st->reply_len ? st->reply_len : s->length;
        memcpy(data, f->upload_src + f->upload_off, n);
        f->upload_off += n;
        *actual = n;
    } else {
        *actual = s->length;
    }
    return CF_OK;
}

static void fake_close(cf_usb_dev *dev)
{
    (void)dev;
}

static const struct cf_usb_backend_ops fake_ops = {
    .name = "fake", .control = fake_control, .close = fake_close};

static cf_dfu *setup_fake(fake *f, const step *steps, size_t nsteps)
{
    memset(f, 0, sizeof(*f));
    f->base.ops = &fake_ops;
    f->steps = steps;
    f->nsteps = nsteps;
    cf_usb_dfu_info info;
    memset(&info, 0, sizeof(info));
    info.vid = 0x0483;
    info.pid = 0xdf11;
    info.has_functional = true;
    info.functional = (cf_dfu_functional){0x0B, 255, 2048, 0x011A};
    cf_dfu *dfu = NULL;
    cf_error err = {0};
    assert_int_equal(cf_dfu_new(&f->base, &info, &dfu, &err), CF_OK);
    assert_int_equal(cf_dfu_transfer_size(dfu), 2048);
    return dfu;
}

#define SETUP(f, steps) setup_fake(&(f), (steps), sizeof(steps) / sizeof((steps)[0]))

static void done(fake *f, cf_dfu *dfu)
{
    assert_int_equal(f->next, f->nsteps); /* every scripted reply was asked for */
    cf_dfu_free(dfu);
}

/* Checks one logged request. */
static void expect_log(const fake *f, size_t i, uint8_t request, uint16_t value, uint16_t length)
{
    assert_true(i < f->nlog);
    const logged *l = &f->log[i];
    if (l->request != request || l->value != value || l->length != length)
        fail_msg("request %zu: got (%u, value %u, len %u), expected (%u, value %u, len %u)", i,
                 l->request, l->value, l->length, request, value, length);
    assert_int_equal(
        l->type, (request == GETSTATUS || request == GETSTATE || request == UPLOAD) ? 0xA1 : 0x21);
    assert_int_equal(l->index, 0);
}

static void expect_cmd(const fake *f, size_t i, uint8_t cmd, uint32_t addr)
{
    expect_log(f, i, DNLOAD, 0, 5);
    const uint8_t want[5] = {cmd, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                             (uint8_t)(addr >> 24)};
    assert_memory_equal(f->log[i].head, want, 5);
}

/* ---- status names ---- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(cf_dfu_state_name(CF_DFU_IDLE), "dfuIDLE");
    assert_string_equal(cf_dfu_state_name(CF_DFU_DNLOAD_IDLE), "dfuDNLOAD-IDLE");
    assert_string_equal(cf_dfu_state_name(CF_DFU_ERROR), "dfuERROR");
    assert_string_equal(cf_dfu_state_name(11), "INVALID");
    assert_string_equal(cf_dfu_status_name(CF_DFU_ERR_WRITE), "errWRITE");
    assert_string_equal(cf_dfu_status_meaning(CF_DFU_ERR_WRITE),
                        "Device is unable to write memory");
    assert_string_equal(cf_dfu_status_name(CF_DFU_ERR_STALLEDPKT), "errSTALLEDPKT");
    assert_string_equal(cf_dfu_status_name(0x10), "INVALID");
}

/* ---- start ---- */

static void test_start_from_error(void **state)
{
    (void)state;
    static const step steps[] = {STATUS(CF_DFU_ERR_FIRMWARE, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
                                 IDLE};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfu_start(dfu, &err), CF_OK);
    expect_log(&f, 0, GETSTATUS, 0, 6);
    expect_log(&f, 1, CLRSTATUS, 0, 0);
    expect_log(&f, 2, GETSTATUS, 0, 6);
    done(&f, dfu);
}

static void test_start_from_dnload_idle(void **state)
{
    (void)state;
    static const step steps[] = {DNIDLE, OK_REQ(ABORT),
                                 STATUS(CF_DFU_STATUS_OK, CF_DFU_UPLOAD_IDLE, 0), OK_REQ(ABORT),
                                 IDLE};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfu_start(dfu, &err), CF_OK);
    expect_log(&f, 1, ABORT, 0, 0);
    expect_log(&f, 3, ABORT, 0, 0);
    done(&f, dfu);
}

static void test_start_runtime_and_cap(void **state)
{
    (void)state;
    static const step app[] = {STATUS(CF_DFU_STATUS_OK, CF_DFU_APP_IDLE, 0)};
    fake f;
    cf_dfu *dfu = SETUP(f, app);
    cf_error err = {0};
    assert_int_equal(cf_dfu_start(dfu, &err), CF_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "device is in run-time mode"));
    done(&f, dfu);

    /* A device that never leaves dfuERROR: bounded attempts, then an error. */
    static const step stuck[] = {
        STATUS(CF_DFU_ERR_UNKNOWN, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
        STATUS(CF_DFU_ERR_UNKNOWN, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
        STATUS(CF_DFU_ERR_UNKNOWN, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
        STATUS(CF_DFU_ERR_UNKNOWN, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
        STATUS(CF_DFU_ERR_UNKNOWN, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
        STATUS(CF_DFU_ERR_UNKNOWN, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
        STATUS(CF_DFU_ERR_UNKNOWN, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
        STATUS(CF_DFU_ERR_UNKNOWN, CF_DFU_ERROR, 0), OK_REQ(CLRSTATUS),
    };
    dfu = SETUP(f, stuck);
    cf_error_reset(&err);
    assert_int_equal(cf_dfu_start(dfu, &err), CF_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "did not reach dfuIDLE"));
    assert_non_null(strstr(err.message, "errUNKNOWN"));
    done(&f, dfu);
}

static void test_getstatus_must_be_six_bytes(void **state)
{
    (void)state;
    static const step steps[] = {{.request = GETSTATUS, .state = CF_DFU_IDLE, .reply_len = 5}};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    cf_dfu_status st;
    assert_int_equal(cf_dfu_get_status(dfu, &st, &err), CF_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "5 bytes, expected 6"));
    done(&f, dfu);
}

static void test_poll_timeout_honoured(void **state)
{
    (void)state;
    static const step steps[] = {STATUS(CF_DFU_STATUS_OK, CF_DFU_DNBUSY, 40),
                                 IDLE,
                                 IDLE,
                                 {.request = GETSTATE, .state = CF_DFU_IDLE}};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    cf_dfu_status st;
    assert_int_equal(cf_dfu_get_status(dfu, &st, &err), CF_OK);
    assert_int_equal(st.poll_timeout_ms, 40);
    assert_int_equal(st.state, CF_DFU_DNBUSY);
    assert_int_equal(cf_dfu_get_status(dfu, &st, &err), CF_OK);
    assert_int_equal(cf_dfu_get_status(dfu, &st, &err), CF_OK);
    uint8_t s = 0;
    assert_int_equal(cf_dfu_get_state(dfu, &s, &err), CF_OK);
    assert_int_equal(s, CF_DFU_IDLE);
    /* 40 ms between the busy reply and the next request; none after a 0. */
    assert_true(f.log[1].at_ns - f.log[0].at_ns >= 40000000u);
    assert_true(f.log[2].at_ns - f.log[1].at_ns < 10000000u);
    assert_true(f.log[3].at_ns - f.log[2].at_ns < 10000000u);
    done(&f, dfu);
}

/* ---- special commands ---- */

static void test_erase_page(void **state)
{
    (void)state;
    static const step steps[] = {OK_REQ(DNLOAD), BUSY(2), BUSY(0), DNIDLE};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_erase_page(dfu, 0x08000400, &err), CF_OK);
    expect_cmd(&f, 0, 0x41, 0x08000400);
    expect_log(&f, 1, GETSTATUS, 0, 6);
    expect_log(&f, 3, GETSTATUS, 0, 6);
    done(&f, dfu);
}

static void test_mass_erase(void **state)
{
    (void)state;
    static const step steps[] = {OK_REQ(DNLOAD), BUSY(1), DNIDLE};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_mass_erase(dfu, &err), CF_OK);
    expect_log(&f, 0, DNLOAD, 0, 1);
    assert_int_equal(f.log[0].head[0], 0x41);
    done(&f, dfu);
}

static void test_erase_wrong_state(void **state)
{
    (void)state;
    static const step steps[] = {OK_REQ(DNLOAD), DNIDLE};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_erase_page(dfu, 0x08000800, &err), CF_ERR_PROTOCOL);
    assert_string_equal(err.message, "page erase at 0x08000800 failed: wrong state after "
                                     "ERASE_PAGE: dfuDNLOAD-IDLE (expected dfuDNBUSY)");
    assert_non_null(strstr(err.hint, "still in DFU mode"));
    done(&f, dfu);
}

static void test_erase_device_error(void **state)
{
    (void)state;
    static const step steps[] = {OK_REQ(DNLOAD), BUSY(1),
                                 STATUS(CF_DFU_ERR_ERASE, CF_DFU_ERROR, 0)};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_erase_page(dfu, 0x08001C00, &err), CF_ERR_DEVICE);
    assert_string_equal(err.message, "page erase at 0x08001c00 failed: DFU status errERASE "
                                     "(Memory erase function failed), state dfuERROR");
    assert_non_null(strstr(err.hint, "still in DFU mode"));
    assert_non_null(strstr(err.hint, "safe to flash again"));
    done(&f, dfu);
}

static void test_busy_poll_stalls(void **state)
{
    (void)state;
    /* Up to 3 STALLed polls after a non-zero poll timeout are "still busy". */
    static const step ok[] = {OK_REQ(DNLOAD),
                              BUSY(1),
                              FAIL_REQ(GETSTATUS, CF_ERR_STALL),
                              FAIL_REQ(GETSTATUS, CF_ERR_STALL),
                              FAIL_REQ(GETSTATUS, CF_ERR_STALL),
                              DNIDLE};
    fake f;
    cf_dfu *dfu = SETUP(f, ok);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_set_address(dfu, 0x08000000, &err), CF_OK);
    done(&f, dfu);

    static const step bad[] = {OK_REQ(DNLOAD),
                               BUSY(1),
                               FAIL_REQ(GETSTATUS, CF_ERR_STALL),
                               FAIL_REQ(GETSTATUS, CF_ERR_STALL),
                               FAIL_REQ(GETSTATUS, CF_ERR_STALL),
                               FAIL_REQ(GETSTATUS, CF_ERR_STALL),
                               STATUS(CF_DFU_STATUS_OK, CF_DFU_DNBUSY, 0)};
    dfu = SETUP(f, bad);
    cf_error_reset(&err);
    assert_int_equal(cf_dfuse_set_address(dfu, 0x08000000, &err), CF_ERR_STALL);
    assert_non_null(strstr(err.message, "set address at 0x08000000 failed: "));
    done(&f, dfu);
}

/* A device that answers dfuDNBUSY for ever, each time asking for 40 s more: the
 * wait ends at the busy limit (the long bwPollTimeout is cut short to it), with
 * a timeout that names the state. */
static void test_busy_forever_is_bounded(void **state)
{
    (void)state;
    static const step erase[] = {OK_REQ(DNLOAD), BUSY(40000), BUSY(40000)};
    fake f;
    cf_dfu *dfu = SETUP(f, erase);
    cf_dfu_set_busy_limit(dfu, 200);
    cf_error err = {0};
    uint64_t t0 = cf_now_ns();
    assert_int_equal(cf_dfuse_erase_page(dfu, 0x08000400, &err), CF_ERR_TIMEOUT);
    uint64_t took = cf_now_ns() - t0;
    assert_true(took >= 190000000u && took < 1000000000u);
    assert_non_null(strstr(err.message, "page erase at 0x08000400 failed"));
    assert_non_null(strstr(err.message, "still answers dfuDNBUSY 200 ms after"));
    done(&f, dfu);

    /* the start-up polls: the same bound */
    static const step start[] = {BUSY(40000), BUSY(40000)};
    dfu = SETUP(f, start);
    cf_dfu_set_busy_limit(dfu, 200);
    cf_error_reset(&err);
    t0 = cf_now_ns();
    assert_int_equal(cf_dfu_start(dfu, &err), CF_ERR_TIMEOUT);
    took = cf_now_ns() - t0;
    assert_true(took < 1000000000u);
    assert_non_null(strstr(err.message, "still in state dfuDNBUSY after 200 ms"));
    done(&f, dfu);
}

/* ---- write ---- */

static uint8_t image[2048 * 2 + 101];

static void fill_image(void)
{
    for (size_t i = 0; i < sizeof(image); i++)
        image[i] = (uint8_t)(i * 7 + 3);
}

static size_t progress_calls, progress_last, progress_total;

static void on_progress(void *user, size_t done_bytes, size_t total)
{
    (void)user;
    assert_true(done_bytes > progress_last);
    progress_calls++;
    progress_last = done_bytes;
    progress_total = total;
}

static void test_write_blocks(void **state)
{
    (void)state;
    fill_image();
    static const step steps[] = {
        OK_REQ(DNLOAD), BUSY(1), DNIDLE, /* Set Address 0x08000000 */
        OK_REQ(DNLOAD), BUSY(1), DNIDLE, /* block 2 */
        OK_REQ(DNLOAD), DNIDLE,          /* block 3: no busy reply needed for data */
        OK_REQ(DNLOAD), BUSY(0), DNIDLE, /* Set Address 0x08001000 before the short block */
        OK_REQ(DNLOAD), BUSY(1), DNIDLE, /* block 2, 101 bytes padded to 102 */
    };
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    progress_calls = progress_last = progress_total = 0;
    assert_int_equal(cf_dfuse_write(dfu, 0x08000000, image, sizeof(image), on_progress, NULL, &err),
                     CF_OK);
    expect_cmd(&f, 0, 0x21, 0x08000000);
    expect_log(&f, 3, DNLOAD, 2, 2048);
    assert_memory_equal(f.log[3].head, image, 8);
    expect_log(&f, 6, DNLOAD, 3, 2048);
    assert_memory_equal(f.log[6].head, image + 2048, 8);
    expect_cmd(&f, 8, 0x21, 0x08001000);
    expect_log(&f, 11, DNLOAD, 2, 102);
    assert_memory_equal(f.log[11].head, image + 4096, 8);
    assert_int_equal(f.log[11].last, 0xFF);
    assert_int_equal(progress_calls, 3);
    assert_int_equal(progress_last, sizeof(image));
    assert_int_equal(progress_total, sizeof(image));
    done(&f, dfu);
}

static void test_write_device_error(void **state)
{
    (void)state;
    fill_image();
    static const step steps[] = {
        OK_REQ(DNLOAD), BUSY(1),        DNIDLE,  OK_REQ(DNLOAD),
        DNIDLE,         OK_REQ(DNLOAD), BUSY(1), STATUS(CF_DFU_ERR_WRITE, CF_DFU_ERROR, 0),
    };
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_write(dfu, 0x08000000, image, 4096, NULL, NULL, &err), CF_ERR_DEVICE);
    assert_string_equal(err.message, "write at 0x08000800 failed: DFU status errWRITE (Device is "
                                     "unable to write memory), state dfuERROR");
    assert_non_null(strstr(err.hint, "still in DFU mode"));
    done(&f, dfu);
}

static void test_write_stall_names_status(void **state)
{
    (void)state;
    fill_image();
    static const step steps[] = {
        OK_REQ(DNLOAD),
        BUSY(1),
        DNIDLE,
        FAIL_REQ(DNLOAD, CF_ERR_STALL),
        STATUS(CF_DFU_ERR_STALLEDPKT, CF_DFU_ERROR, 0),
    };
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_write(dfu, 0x08000000, image, 16, NULL, NULL, &err), CF_ERR_STALL);
    assert_non_null(strstr(err.message, "write at 0x08000000 failed: scripted stall"));
    assert_non_null(strstr(err.message, "errSTALLEDPKT"));
    assert_non_null(strstr(err.hint, "still in DFU mode"));
    done(&f, dfu);
}

static void test_write_gone(void **state)
{
    (void)state;
    fill_image();
    static const step steps[] = {OK_REQ(DNLOAD), BUSY(1), DNIDLE, FAIL_REQ(DNLOAD, CF_ERR_GONE)};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_write(dfu, 0x08000000, image, 16, NULL, NULL, &err), CF_ERR_GONE);
    assert_non_null(strstr(err.message, "write at 0x08000000 failed"));
    assert_non_null(strstr(err.hint, "BOOT0"));
    done(&f, dfu);
}

/* ---- read ---- */

static void test_read(void **state)
{
    (void)state;
    fill_image();
    static const step steps[] = {
        OK_REQ(ABORT),  IDLE,                           /* state unknown at start: to idle */
        OK_REQ(DNLOAD), BUSY(1),        DNIDLE,         /* Set Address 0x08000000 */
        OK_REQ(ABORT),  IDLE,                           /* UPLOAD needs dfuIDLE */
        OK_REQ(UPLOAD), OK_REQ(UPLOAD),                 /* blocks 2, 3 */
        OK_REQ(ABORT),  IDLE,                           /* DNLOAD is refused in UPLOAD-IDLE */
        OK_REQ(DNLOAD), BUSY(1),        DNIDLE,         /* Set Address 0x08001000 */
        OK_REQ(ABORT),  IDLE,           OK_REQ(UPLOAD), /* block 2, 101 bytes */
        OK_REQ(ABORT),                                  /* leave it idle */
    };
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    f.upload_src = image;
    uint8_t out[sizeof(image)];
    memset(out, 0, sizeof(out));
    cf_error err = {0};
    progress_calls = progress_last = 0;
    assert_int_equal(cf_dfuse_read(dfu, 0x08000000, out, sizeof(out), on_progress, NULL, &err),
                     CF_OK);
    assert_memory_equal(out, image, sizeof(image));
    expect_log(&f, 0, ABORT, 0, 0);
    expect_cmd(&f, 2, 0x21, 0x08000000);
    expect_log(&f, 5, ABORT, 0, 0);
    expect_log(&f, 7, UPLOAD, 2, 2048);
    expect_log(&f, 8, UPLOAD, 3, 2048);
    expect_log(&f, 9, ABORT, 0, 0);
    expect_cmd(&f, 11, 0x21, 0x08001000);
    expect_log(&f, 14, ABORT, 0, 0);
    expect_log(&f, 16, UPLOAD, 2, 101);
    expect_log(&f, 17, ABORT, 0, 0);
    assert_int_equal(progress_calls, 3);
    done(&f, dfu);
}

static void test_read_short_reply(void **state)
{
    (void)state;
    fill_image();
    static const step steps[] = {
        OK_REQ(ABORT), IDLE,          OK_REQ(DNLOAD), BUSY(1),
        DNIDLE,        OK_REQ(ABORT), IDLE,           {.request = UPLOAD, .reply_len = 100},
    };
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    f.upload_src = image;
    uint8_t out[2048];
    cf_error err = {0};
    assert_int_equal(cf_dfuse_read(dfu, 0x08000000, out, sizeof(out), NULL, NULL, &err),
                     CF_ERR_PROTOCOL);
    assert_string_equal(err.message,
                        "read at 0x08000000 failed: device returned 100 of 2048 bytes");
    done(&f, dfu);
}

/* ---- leave ---- */

static void test_leave_manifest(void **state)
{
    (void)state;
    /* After start the device is idle: no ABORT before Set Address. */
    static const step steps[] = {IDLE,           OK_REQ(DNLOAD),
                                 BUSY(1),        DNIDLE,
                                 OK_REQ(DNLOAD), STATUS(CF_DFU_STATUS_OK, CF_DFU_MANIFEST, 0)};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfu_start(dfu, &err), CF_OK);
    assert_int_equal(cf_dfuse_leave(dfu, 0x08000000, &err), CF_OK);
    expect_cmd(&f, 1, 0x21, 0x08000000);
    expect_log(&f, 4, DNLOAD, 2, 0);
    expect_log(&f, 5, GETSTATUS, 0, 6);
    done(&f, dfu);
}

static void test_leave_device_vanishes(void **state)
{
    (void)state;
    /* State unknown: ABORT to idle first; then the device drops off right
     * after accepting the zero-length DNLOAD. That is what leaving looks like. */
    static const step steps[] = {OK_REQ(ABORT),
                                 IDLE,
                                 OK_REQ(DNLOAD),
                                 BUSY(1),
                                 DNIDLE,
                                 OK_REQ(DNLOAD),
                                 FAIL_REQ(GETSTATUS, CF_ERR_GONE)};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_leave(dfu, 0x08000000, &err), CF_OK);
    assert_int_equal(err.code, CF_OK);
    done(&f, dfu);
}

static void test_leave_wrong_state(void **state)
{
    (void)state;
    static const step steps[] = {IDLE, OK_REQ(DNLOAD), BUSY(1), DNIDLE, OK_REQ(DNLOAD), DNIDLE};
    fake f;
    cf_dfu *dfu = SETUP(f, steps);
    cf_error err = {0};
    assert_int_equal(cf_dfu_start(dfu, &err), CF_OK);
    assert_int_equal(cf_dfuse_leave(dfu, 0x08000000, &err), CF_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "leave at 0x08000000 failed: state dfuDNLOAD-IDLE"));
    done(&f, dfu);
}

static void test_no_functional_descriptor(void **state)
{
    (void)state;
    fake f;
    memset(&f, 0, sizeof(f));
    f.base.ops = &fake_ops;
    cf_usb_dfu_info info;
    memset(&info, 0, sizeof(info));
    cf_dfu *dfu = NULL;
    cf_error err = {0};
    assert_int_equal(cf_dfu_new(&f.base, &info, &dfu, &err), CF_ERR_UNSUPPORTED);
    assert_null(dfu);
    assert_non_null(strstr(err.message, "functional descriptor"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_start_from_error),
        cmocka_unit_test(test_start_from_dnload_idle),
        cmocka_unit_test(test_start_runtime_and_cap),
        cmocka_unit_test(test_getstatus_must_be_six_bytes),
        cmocka_unit_test(test_poll_timeout_honoured),
        cmocka_unit_test(test_erase_page),
        cmocka_unit_test(test_mass_erase),
        cmocka_unit_test(test_erase_wrong_state),
        cmocka_unit_test(test_erase_device_error),
        cmocka_unit_test(test_busy_poll_stalls),
        cmocka_unit_test(test_busy_forever_is_bounded),
        cmocka_unit_test(test_write_blocks),
        cmocka_unit_test(test_write_device_error),
        cmocka_unit_test(test_write_stall_names_status),
        cmocka_unit_test(test_write_gone),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_read_short_reply),
        cmocka_unit_test(test_leave_manifest),
        cmocka_unit_test(test_leave_device_vanishes),
        cmocka_unit_test(test_leave_wrong_state),
        cmocka_unit_test(test_no_functional_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
