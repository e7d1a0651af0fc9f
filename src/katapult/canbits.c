/* CAN 2.0A frame length with real bit stuffing (ISO 11898-1). */
#include "katapult/canbits.h"

#include <stdbool.h>

typedef struct bitbuf {
    bool bits[160];
    unsigned n;
} bitbuf;

static void put_bits(bitbuf *b, uint32_t value, unsigned count)
{
    for (unsigned i = count; i-- > 0;)
        b->bits[b->n++] = (value >> i) & 1u;
}

unsigned cf_can_frame_bits(uint32_t id, const uint8_t *data, uint8_t dlc)
{
    if (dlc > 8)
        dlc = 8;
    bitbuf b = {.n = 0};
    put_bits(&b, 0, 1); /* SOF (dominant) */
    put_bits(&b, id & 0x7FFu, 11);
    put_bits(&b, 0, 1); /* RTR: data frame */
    put_bits(&b, 0, 1); /* IDE: standard id */
    put_bits(&b, 0, 1); /* r0 */
    put_bits(&b, dlc, 4);
    for (unsigned i = 0; i < dlc; i++)
        put_bits(&b, data[i], 8);
    uint16_t crc = 0;
    for (unsigned i = 0; i < b.n; i++) {
        bool next = b.bits[i] ^ ((crc >> 14) & 1u);
        crc = (uint16_t)((crc << 1) & 0x7FFFu);
        if (next)
            crc ^= 0x4599u;
    }
    put_bits(&b, crc, 15);
    /* Stuffing: after five equal bits a complementary bit is inserted, and it
     * starts the next run. */
    unsigned stuffed = 0, run = 0;
    bool last = false;
    for (unsigned i = 0; i < b.n; i++) {
        if (i > 0 && b.bits[i] == last) {
            run++;
        } else {
            run = 1;
            last = b.bits[i];
        }
        if (run == 5) {
            stuffed++;
            last = !last;
            run = 1;
        }
    }
    return b.n + stuffed + 1 /* CRC delim */ + 2 /* ACK */ + 7 /* EOF */ + 3 /* IFS */;
}
