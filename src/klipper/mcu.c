/* The simulated probe's firmware side of the protocol: it keeps the MCU's
 * sequence rule (Protocol.md "Message flow": only the expected block is
 * taken, every block is answered by an ack or nak carrying the sequence
 * expected next) and answers identify from the dictionary in its flash
 * (basecmd.c: count is clipped to what is left; past the end, no data). */
#include <string.h>

#include "klipper/klipper.h"

void cf_kl_mcu_reset(cf_kl_mcu *m, const uint8_t *dict, size_t dict_len)
{
    memset(m, 0, sizeof(*m));
    m->dict = dict;
    m->dict_len = dict_len;
    m->next_seq = CF_KL_DEST;
}

static void emit(cf_kl_mcu *m, const uint8_t *content, size_t len, uint8_t *out, size_t cap,
                 size_t *out_len)
{
    uint8_t block[CF_KL_BLOCK_MAX];
    size_t n = cf_kl_block_encode(m->next_seq, content, len, block, sizeof(block));
    if (n && *out_len + n <= cap) {
        memcpy(out + *out_len, block, n);
        *out_len += n;
    }
}

static void dispatch(cf_kl_mcu *m, const uint8_t *c, size_t len, uint8_t *out, size_t cap,
                     size_t *out_len)
{
    size_t pos = 0;
    while (pos < len) {
        uint32_t id, offset, count;
        if (!cf_kl_vlq_get(c, len, &pos, &id))
            return;
        if (id != CF_KL_ID_IDENTIFY || !cf_kl_vlq_get(c, len, &pos, &offset) ||
            !cf_kl_vlq_get(c, len, &pos, &count)) {
            m->others++; /* unknown parameters: the rest of the block cannot be read */
            return;
        }
        count &= 0xff; /* %c */
        if (offset >= m->dict_len)
            count = 0;
        else if (count > m->dict_len - offset)
            count = (uint32_t)(m->dict_len - offset);
        uint8_t r[CF_KL_BLOCK_MAX];
        size_t n = cf_kl_vlq_put(r, sizeof(r), CF_KL_ID_IDENTIFY_RESPONSE);
        n += cf_kl_vlq_put(r + n, sizeof(r) - n, offset);
        n += cf_kl_vlq_put(r + n, sizeof(r) - n, count);
        if (n + count + CF_KL_BLOCK_MIN > CF_KL_BLOCK_MAX)
            count = (uint32_t)(CF_KL_BLOCK_MAX - CF_KL_BLOCK_MIN - n); /* never reached at 40 */
        if (count)
            memcpy(r + n, m->dict + offset, count);
        m->identifies++;
        emit(m, r, n + count, out, cap, out_len);
    }
}

void cf_kl_mcu_input(cf_kl_mcu *m, const uint8_t *data, size_t len, uint8_t *out, size_t cap,
                     size_t *out_len)
{
    for (size_t i = 0; i < len; i++)
        if (m->rx_len < sizeof(m->rx))
            m->rx[m->rx_len++] = data[i];
    for (;;) {
        size_t used = 0;
        int r = cf_kl_block_find(m->rx, m->rx_len, &used);
        if (r == 0)
            break;
        if (r < 0) {
            bool lone_sync = used == 1 && m->rx[0] == CF_KL_SYNC;
            if (!lone_sync && !m->nak_sent) {
                m->nak_sent = true; /* one nak per burst of garbage */
                emit(m, NULL, 0, out, cap, out_len);
            }
        } else {
            m->nak_sent = false;
            uint8_t seq = m->rx[1];
            if (seq == m->next_seq) {
                m->next_seq = (uint8_t)(CF_KL_DEST | ((seq + 1) & CF_KL_SEQ_MASK));
                dispatch(m, m->rx + 2, used - CF_KL_BLOCK_MIN, out, cap, out_len);
            }
            emit(m, NULL, 0, out, cap, out_len); /* ack, or nak for an out-of-order block */
        }
        memmove(m->rx, m->rx + used, m->rx_len - used);
        m->rx_len -= used;
    }
}
