/*
 * Fuzz target for the image decoders: any bytes through vrt_jpeg_info /
 * vrt_png_info and vrt_jpeg_decode / vrt_png_decode into each raw format
 * (libjpeg-turbo and libpng behind our error handling: a corrupt file is a
 * status, never a longjmp out of place, an over-read or a huge allocation).
 * Seeds: the JPEG/PNG files of the test data. Replayed by fuzz_image_replay.
 */
#include <stddef.h>
#include <stdint.h>

#include "vrt/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint32_t fmts[] = {VRT_FMT_RGB24, VRT_FMT_YUYV, VRT_FMT_NV12, VRT_FMT_GREY};
    char err[256];
    uint32_t w, h;
    /* The first byte picks the target format so one input explores all of them. */
    uint32_t fourcc = size ? fmts[data[0] % 4] : VRT_FMT_RGB24;
    vrt_frame *f = NULL;
    if (vrt_jpeg_info(data, size, &w, &h, err, sizeof(err)) == VRT_OK &&
        vrt_jpeg_decode(data, size, fourcc, &f, err, sizeof(err)) == VRT_OK)
        vrt_frame_unref(&f);
    if (vrt_png_info(data, size, &w, &h, err, sizeof(err)) == VRT_OK &&
        vrt_png_decode(data, size, fourcc, &f, err, sizeof(err)) == VRT_OK)
        vrt_frame_unref(&f);
    return 0;
}
