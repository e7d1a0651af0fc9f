/* A byte line to the simulated probe's app after DFU leave: what its USB
 * serial port would carry. Writes go to Klipper's MCU side (cf_kl_mcu) at
 * once and its answers wait to be read, so the host's identify client runs
 * unchanged against it. */
#include "sim/app_line.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "klipper/klipper.h"

typedef struct app_line {
    cf_kp_stream base;
    cf_kl_mcu mcu;
    uint8_t out[2048]; /* the app's answers not yet read */
    size_t out_len;
} app_line;

static cf_code line_write(cf_kp_stream *s, const uint8_t *data, size_t len, cf_error *err)
{
    (void)err;
    app_line *m = (app_line *)s;
    cf_kl_mcu_input(&m->mcu, data, len, m->out, sizeof(m->out), &m->out_len);
    return CF_OK;
}

static cf_code line_read(cf_kp_stream *s, uint8_t *buf, size_t cap, size_t *got, int timeout_ms,
                         cf_error *err)
{
    (void)timeout_ms; /* the answer, if any, is already there */
    (void)err;
    app_line *m = (app_line *)s;
    size_t n = m->out_len < cap ? m->out_len : cap;
    memcpy(buf, m->out, n);
    memmove(m->out, m->out + n, m->out_len - n);
    m->out_len -= n;
    *got = n;
    return CF_OK;
}

static void line_close(cf_kp_stream *s)
{
    free(s);
}

cf_code cf_sim_app_line_open(const uint8_t *code, size_t len, const char *port, cf_kp_stream **out,
                             cf_error *err)
{
    *out = NULL;
    size_t off = 0, zlen = 0;
    if (!code || !cf_image_dictionary_locate(code, len, &off, &zlen))
        return cf_fail(err, CF_ERR_TIMEOUT, "the simulated firmware on %s does not answer identify",
                       port);
    app_line *m = calloc(1, sizeof(*m));
    if (!m)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory asking the simulated probe");
    m->base.write = line_write;
    m->base.read = line_read;
    m->base.close = line_close;
    /* what the host names as where it asked ("identify over ...") */
    snprintf(m->base.name, sizeof(m->base.name), "the simulated USB serial line");
    cf_kl_mcu_reset(&m->mcu, code + off, zlen);
    *out = &m->base;
    return CF_OK;
}
