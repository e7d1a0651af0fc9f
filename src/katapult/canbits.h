/* Bits a classic CAN frame occupies on the wire, for the bus timing model. */
#ifndef CF_KATAPULT_CANBITS_H
#define CF_KATAPULT_CANBITS_H

#include <stdint.h>

/* Exact length in bit times of a classic data frame with an 11-bit id:
 * SOF..CRC with bit stuffing computed on the actual bits, then CRC
 * delimiter, ACK slot and delimiter, EOF and the 3-bit interframe space. */
unsigned cf_can_frame_bits(uint32_t id, const uint8_t *data, uint8_t dlc);

#endif
