/* Pixel helpers shared by the overlay tests (test_overlay.c, test_overlay_dense.c): a W x H RGB24
 * frame of one grey level, a pixel's address, the overlay's 8-bit alpha blend as the CPU twin
 * computes it, and an exact pixel assertion. The includer defines W, H and GREY first. */
#ifndef VRT_TEST_OVERLAY_PX_UTIL_H
#define VRT_TEST_OVERLAY_PX_UTIL_H

#include <string.h>

#include "harness.h"
#include "vrt/image.h"

static vrt_frame *grey_frame(void) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, W, H, &f));
    memset(f->planes[0].data, GREY, (size_t)f->planes[0].stride * H);
    return f;
}

static const uint8_t *px(const vrt_frame *f, int x, int y) {
    return f->planes[0].data + (size_t)y * f->planes[0].stride + 3 * (size_t)x;
}

static int blend(int c, int col, int a) {
    return (c * (256 - a) + col * a + 128) >> 8;
}

#define ASSERT_PX(f, x, y, r, g, b)                                                                          \
    do {                                                                                                     \
        const uint8_t *_p = px(f, x, y);                                                                     \
        if (_p[0] != (r) || _p[1] != (g) || _p[2] != (b))                                                    \
            vrt_test_fail(__FILE__, __LINE__, "pixel (%d, %d) = %d %d %d, expected %d %d %d", x, y, _p[0],   \
                          _p[1], _p[2], (int)(r), (int)(g), (int)(b));                                       \
    } while (0)

#endif
