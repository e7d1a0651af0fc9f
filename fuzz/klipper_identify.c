/* libFuzzer: the identify client against a device that answers anything.
 * The input is what the "MCU" sends back, one slice per request; the client
 * must end (answered, timed out or refused) without reading out of bounds,
 * and a success must carry a dictionary that parsed. The input is also fed
 * to the dictionary decoder as a compressed dictionary, and to the parser of
 * the remembered CAN node ids (a file under XDG state). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "klipper/klipper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct replay {
    cf_kp_stream base;
    const uint8_t *data;
    size_t size, pos;
    size_t pending; /* bytes released by the last write */
} replay;

static cf_code r_write(cf_kp_stream *s, const uint8_t *d, size_t len, cf_error *err)
{
    (void)d;
    (void)len;
    (void)err;
    replay *r = (replay *)s;
    if (r->pos < r->size) {
        size_t slice = (size_t)r->data[r->pos] + 1; /* the first byte says how many follow */
        r->pos++;
        r->pending = slice < r->size - r->pos ? slice : r->size - r->pos;
    }
    return CF_OK;
}

static cf_code r_read(cf_kp_stream *s, uint8_t *buf, size_t cap, size_t *got, int timeout_ms,
                      cf_error *err)
{
    (void)timeout_ms;
    (void)err;
    replay *r = (replay *)s;
    size_t n = r->pending < cap ? r->pending : cap;
    memcpy(buf, r->data + r->pos, n);
    r->pos += n;
    r->pending -= n;
    *got = n;
    return CF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    replay r = {.base = {.write = r_write, .read = r_read}, .data = data, .size = size};
    cf_kl_ident id = {0};
    /* reply_ms 1: an input that runs dry times out at once. */
    if (cf_kl_identify_stream(&r.base, "fuzz", 1, &id, NULL) == CF_OK &&
        (!id.json || !id.info.has_dictionary))
        abort();
    cf_kl_ident_free(&id);
    cf_kl_ident d = {0};
    if (cf_kl_decode_dictionary(data, size, "fuzz", &d, NULL) == CF_OK && !d.json)
        abort();
    cf_kl_ident_free(&d);
    cf_kl_nodeid ids[16];
    size_t n = cf_kl_nodeids_parse((const char *)data, size, ids, 16);
    for (size_t i = 0; i < n; i++)
        if (strlen(ids[i].uuid) != 12 || ids[i].id < 0x90 || ids[i].id >= 0xe0)
            abort();
    return 0;
}
