/* libFuzzer: the DFU functional descriptor finder (descriptor bytes come from the device). */
#include <stdint.h>
#include <stdlib.h>

#include "usb/usb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_dfu_functional f;
    cf_error err = {0};
    cf_code rc = cf_usb_parse_functional(data, size, &f, &err);
    if (rc != CF_OK && rc != CF_ERR_FORMAT && rc != CF_ERR_NOT_FOUND)
        abort();
    if (rc != CF_OK && err.message[0] == '\0')
        abort();
    /* Selectors are user input; exercise them on a one-entry list. */
    cf_usb_dfu_info info = {.vid = 0x0483, .pid = 0xdf11, .dfu_mode = true};
    char sel[64];
    size_t n = size < sizeof(sel) - 1 ? size : sizeof(sel) - 1;
    for (size_t i = 0; i < n; i++)
        sel[i] = data[i] ? (char)data[i] : 'x';
    sel[n] = '\0';
    size_t index = 7;
    cf_error serr = {0};
    if (cf_usb_select(&info, 1, sel, &index, &serr) == CF_OK && index != 0)
        abort();
    return 0;
}
