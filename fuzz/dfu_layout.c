/* libFuzzer: the DfuSe memory layout parser (alt-setting names come from the device). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dfu/dfu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cf_dfuse_layout layout;
    cf_error err = {0};
    if (cf_dfuse_parse_layout(text, &layout, &err) == CF_OK) {
        /* Whatever parses must be self-consistent. */
        if (layout.segment_count == 0 || layout.segment_count > CF_DFUSE_MAX_SEGMENTS)
            abort();
        for (size_t i = 0; i < layout.segment_count; i++) {
            const cf_dfuse_segment *s = &layout.segments[i];
            if (s->page_size == 0 || s->page_count == 0 || cf_dfuse_segment_end(s) <= s->start)
                abort();
            if (cf_dfuse_find(&layout, s->start) == NULL)
                abort();
            /* in address order, no overlap, and the sizes derived from it are bounded */
            if (i > 0 && s->start < cf_dfuse_segment_end(&layout.segments[i - 1]))
                abort();
        }
        if (cf_dfuse_contiguous_bytes(&layout) > CF_DFUSE_MAX_BYTES)
            abort();
    } else if (err.code != CF_ERR_FORMAT || err.message[0] == '\0') {
        abort();
    }
    free(text);
    return 0;
}
