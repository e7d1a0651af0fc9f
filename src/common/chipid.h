/* The STM32's 96-bit unique device ID (UID, 12 bytes at UID_BASE) and the
 * three names a probe shows for it, so a device seen after a flash can be
 * matched to the one that was flashed.
 *
 * Facts (public sources, checked):
 *  - Klipper's and Katapult's USB serial string (CONFIG_USB_SERIAL_NUMBER_CHIPID,
 *    usb_fill_serial in src/generic/usb_cdc.c): every UID byte in memory
 *    order as two upper-case hex digits, high nibble first: 24 characters.
 *  - Klipper's and Katapult's CAN UUID (canserial_set_uuid in
 *    src/generic/canserial.c, called with UID_BASE and 12): fasthash64 of the
 *    12 bytes with seed 0xA16231A7; the UUID is the hash's first 6 bytes in
 *    memory (little-endian) order.
 *  - ST's USB device stack (Get_SerialNum in usbd_desc.c), which the ROM
 *    bootloaders of newer parts such as the G431 follow: the 32-bit words
 *    w0, w1, w2 of the UID (little-endian), then 8 hex digits of w0 + w2 and
 *    the top 4 hex digits of w1, upper case: 12 characters. It is one-way
 *    (a sum), so it is computed from the UID and compared, never decoded.
 *  - The F042's ROM reports FFFFFFFEFFFF on every chip (its USB serial
 *    string descriptor, as `dfu-util -l` lists it on any STM32F042 in DFU
 *    mode): it names no chip, so only the port tells such a probe apart.
 *
 * Pure: no I/O.
 */
#ifndef CF_COMMON_CHIPID_H
#define CF_COMMON_CHIPID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_CHIPID_LEN 12
/* The serial the F042 ROM reports on every chip. */
#define CF_CHIPID_F042_ROM_SERIAL "FFFFFFFEFFFF"

/* Klipper's USB serial: 24 upper-case hex digits and a NUL (out >= 25 bytes). */
void cf_chipid_klipper_serial(const uint8_t uid[CF_CHIPID_LEN], char out[25]);
/* The UID back from a Klipper/Katapult USB serial (24 hex digits, any case);
 * false for anything else (a build with a fixed serial string). */
bool cf_chipid_from_klipper_serial(const char *serial, uint8_t uid[CF_CHIPID_LEN]);
/* The serial ST's ROM bootloader derives from the UID: 12 characters and a NUL. */
void cf_chipid_rom_serial(const uint8_t uid[CF_CHIPID_LEN], char out[13]);
/* True when the ROM serial names a chip (not the F042's fixed one, 12 hex digits). */
bool cf_chipid_rom_serial_names_chip(const char *rom_serial);
/* Klipper's CAN UUID from a UID of len bytes (12 on STM32). */
void cf_chipid_can_uuid(const uint8_t *uid, size_t len, uint8_t uuid[6]);
/* The same as 12 lower-case hex digits and a NUL, as Klipper prints it. */
void cf_chipid_can_uuid_hex(const uint8_t uid[CF_CHIPID_LEN], char out[13]);

#endif
