/*
 * Private: per-pixel fetch of 8-bit RGB from a raw frame, with the exact
 * integer BT.601 limited-range formula documented in vrt/image.h (and used by
 * src/image/convert.c): the pre-processing of a YUV frame equals
 * vrt_image_convert() to RGB24 followed by the resize. The unit tests check
 * that equality on random frames of every format, so a change on either side
 * shows up. The CUDA twin includes this header.
 */
#ifndef VRT_VISION_PIXEL_H
#define VRT_VISION_PIXEL_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/frame.h"

/* One definition for the CPU and the CUDA twins (src/vision/cuda/
 * preprocess_impl.cuh includes this header): under nvcc these are host and
 * device functions, so the GPU cannot drift from the CPU reference. */
#if defined(__CUDACC__)
#define VRT__PX_FN static __host__ __device__ __forceinline__
#else
#define VRT__PX_FN static inline
#endif

VRT__PX_FN int vrt__px_clamp8(int v) {
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* c = Y - 16, d = U - 128, e = V - 128; 16 fractional bits, round half up. */
VRT__PX_FN void vrt__px_yuv_to_rgb(int y, int u, int v, int rgb[3]) {
    int c = y - 16, d = u - 128, e = v - 128;
    rgb[0] = vrt__px_clamp8((76309 * c + 104597 * e + 32768) >> 16);
    rgb[1] = vrt__px_clamp8((76309 * c - 25675 * d - 53279 * e + 32768) >> 16);
    rgb[2] = vrt__px_clamp8((76309 * c + 132201 * d + 32768) >> 16);
}

/* R, G, B of pixel (x, y) given the planes of a raw frame (p1/s1: NV12's UV
 * plane); chroma from the pixel's own sample (nearest, no interpolation). */
VRT__PX_FN void vrt__px_fetch_rgb_planes(uint32_t fourcc, const uint8_t *p0, size_t s0, const uint8_t *p1,
                                         size_t s1, uint32_t x, uint32_t y, int rgb[3]) {
    const uint8_t *row = p0 + (size_t)y * s0;
    switch (fourcc) {
    case VRT_FMT_RGB24: rgb[0] = row[3 * x], rgb[1] = row[3 * x + 1], rgb[2] = row[3 * x + 2]; return;
    case VRT_FMT_BGR24: rgb[2] = row[3 * x], rgb[1] = row[3 * x + 1], rgb[0] = row[3 * x + 2]; return;
    case VRT_FMT_GREY: rgb[0] = rgb[1] = rgb[2] = row[x]; return;
    case VRT_FMT_YUYV: {
        const uint8_t *p = row + 4 * (size_t)(x >> 1);
        vrt__px_yuv_to_rgb(p[(x & 1) ? 2 : 0], p[1], p[3], rgb);
        return;
    }
    case VRT_FMT_UYVY: {
        const uint8_t *p = row + 4 * (size_t)(x >> 1);
        vrt__px_yuv_to_rgb(p[(x & 1) ? 3 : 1], p[0], p[2], rgb);
        return;
    }
    case VRT_FMT_NV12: {
        const uint8_t *uv = p1 + (size_t)(y >> 1) * s1 + 2 * (size_t)(x >> 1);
        vrt__px_yuv_to_rgb(row[x], uv[0], uv[1], rgb);
        return;
    }
    default: rgb[0] = rgb[1] = rgb[2] = 0; return;
    }
}

#if !defined(__CUDACC__)
/* The same for a host frame descriptor. fourcc must be one of the raw formats. */
static inline void vrt__px_fetch_rgb(const vrt_frame *f, uint32_t x, uint32_t y, int rgb[3]) {
    vrt__px_fetch_rgb_planes(f->fourcc, f->planes[0].data, f->planes[0].stride, f->planes[1].data,
                             f->planes[1].stride, x, y, rgb);
}
#endif

#endif
