/* Byte streams the Katapult command layer talks over: a serial port (USB CDC
 * or a pty) or one node's byte stream on a CAN bus. */
#ifndef CF_KATAPULT_STREAM_H
#define CF_KATAPULT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct cf_kp_stream cf_kp_stream;
struct cf_kp_stream {
    /* Writes all of data. CF_ERR_GONE when the device went away. */
    cf_code (*write)(cf_kp_stream *s, const uint8_t *data, size_t len, cf_error *err);
    /* Waits up to timeout_ms for input; *got = 0 on timeout. */
    cf_code (*read)(cf_kp_stream *s, uint8_t *buf, size_t cap, size_t *got, int timeout_ms,
                    cf_error *err);
    void (*close)(cf_kp_stream *s);
    char name[128];
    /* Traffic counters (CAN: frames and stuffed bits; serial: writes/reads and bytes*10). */
    unsigned long frames_out, frames_in;
    unsigned long long bits_out, bits_in;
};

/* Serial port (USB CDC, pty): raw 8N1, exclusive flock, DTR asserted. */
cf_code cf_kp_serial_open(const char *path, cf_kp_stream **out, cf_error *err);

/* Klipper's USB bootloader request: DTR up, line rate 1200, DTR down, close. */
cf_code cf_kp_serial_touch_1200(const char *path, cf_error *err);

/* PID and command name of another process holding path open, 0 if none. */
int cf_kp_port_user(const char *path, char *comm, size_t comm_size);

static inline void cf_kp_stream_close(cf_kp_stream *s)
{
    if (s)
        s->close(s);
}

#endif
