/* libFuzzer: the DFU engine fed arbitrary device behaviour. A fake device
 * takes each reply (transport result, length, bytes) from the input, so the
 * engine meets short, long, wrong-state and failing replies in any order.
 * Poll timeouts are zeroed so a run cannot sleep. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfu/dfu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_dev {
    cf_usb_dev base;
    const uint8_t *p;
    size_t left;
} fuzz_dev;

static uint8_t take(fuzz_dev *d)
{
    if (d->left == 0)
        return 0xFF;
    d->left--;
    return *d->p++;
}

static cf_code fuzz_control(cf_usb_dev *dev, const cf_usb_setup *s, uint8_t *buf, size_t *actual,
                            unsigned timeout_ms, cf_error *err)
{
    (void)timeout_ms;
    fuzz_dev *d = (fuzz_dev *)dev;
    if (d->left == 0)
        return cf_fail(err, CF_ERR_GONE, "input exhausted");
    uint8_t what = take(d);
    switch (what & 7) {
    case 1:
        return cf_fail(err, CF_ERR_STALL, "stall");
    case 2:
        return cf_fail(err, CF_ERR_TIMEOUT, "timeout");
    case 3:
        return cf_fail(err, CF_ERR_GONE, "gone");
    default:
        break;
    }
    if (!(s->request_type & 0x80)) {
        *actual = s->length;
        return CF_OK;
    }
    size_t n = take(d);
    if (n > s->length)
        n = s->length;
    for (size_t i = 0; i < n; i++)
        buf[i] = take(d);
    if (s->request == CF_DFU_REQ_GETSTATUS && n >= 4)
        buf[1] = buf[2] = buf[3] = 0;
    *actual = n;
    return CF_OK;
}

static void fuzz_close(cf_usb_dev *dev)
{
    (void)dev;
}

static const struct cf_usb_backend_ops ops = {
    .name = "fuzz", .control = fuzz_control, .close = fuzz_close};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dev d = {.base.ops = &ops, .p = data, .left = size};
    cf_usb_dfu_info info;
    memset(&info, 0, sizeof(info));
    info.has_functional = true;
    info.functional.transfer_size = 64;
    info.functional.dfu_version = 0x011A;
    cf_dfu *dfu = NULL;
    if (cf_dfu_new(&d.base, &info, &dfu, NULL) != CF_OK)
        return 0;
    uint8_t img[150], back[150];
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)i;
    cf_error err = {0};
    cf_dfu_start(dfu, &err);
    cf_error_reset(&err);
    cf_dfuse_erase_page(dfu, 0x08000000, &err);
    cf_error_reset(&err);
    cf_dfuse_write(dfu, 0x08000000, img, 131, NULL, NULL, &err);
    cf_error_reset(&err);
    cf_dfuse_read(dfu, 0x08000000, back, sizeof(back), NULL, NULL, &err);
    cf_error_reset(&err);
    if (cf_dfuse_leave(dfu, 0x08000000, &err) != CF_OK && err.message[0] == '\0')
        abort();
    cf_dfu_free(dfu);
    return 0;
}
