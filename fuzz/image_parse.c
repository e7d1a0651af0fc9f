/* libFuzzer: the image loaders (.bin + DFU suffix, Intel HEX, DfuSe) picked by
 * content, then the inspector on whatever parsed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_image(const cf_image *img)
{
    /* Segments are sorted, non-empty, non-overlapping and below 4 GiB. */
    size_t total = 0;
    for (size_t i = 0; i < img->segment_count; i++) {
        const cf_image_segment *s = &img->segments[i];
        if (s->size == 0 || (uint64_t)s->address + s->size > 0xFFFFFFFFull)
            abort();
        if (i > 0 &&
            (uint64_t)img->segments[i - 1].address + img->segments[i - 1].size >= s->address)
            abort(); /* touching segments must have been merged */
        uint8_t b;
        if (!cf_image_byte(img, s->address, &b) || b != s->data[0])
            abort();
        total += s->size;
    }
    if (img->segment_count == 0 || total != cf_image_size(img))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_image img;
    cf_error err = {0};
    cf_image_load_opts opts = {.default_address = 0x08000000};
    if (cf_image_parse(data, size, "fuzz", &opts, &img, &err) == CF_OK) {
        check_image(&img);
        cf_image_info info;
        cf_image_inspect(&img, &info);
        if (memchr(info.problems, '\0', sizeof(info.problems)) == NULL ||
            memchr(info.version, '\0', sizeof(info.version)) == NULL)
            abort();
        cf_image_free(&img);
    } else if (err.code != CF_ERR_FORMAT || err.message[0] == '\0' || img.segments != NULL) {
        abort(); /* every rejection is one clear format error */
    }
    return 0;
}
