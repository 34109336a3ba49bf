/*
 * Private: the per-axis sampling of OpenCV's cv::resize INTER_AREA, one
 * source for the CPU twin (preprocess.c) and the CUDA one
 * (cuda/preprocess_impl.cuh), like pixel.h.
 *
 * INTER_AREA, as OpenCV does it (imgproc/resize.cpp), with scale = 1 /
 * (dst / src) in double per axis:
 *  - both scales >= 1 (shrinking): each output pixel is the area average of
 *    the source cells it covers. Along an axis, output d covers [d s, d s + s)
 *    (cut at the border: cell width min(s, n - d s)); whole source pixels
 *    inside get 1 / cell, the partial first and last ones the covered
 *    fraction / cell, where a partial piece of at most 1e-3 pixels is
 *    dropped (computeResizeAreaTab). Exact for integer and fractional
 *    scales; the value is sum_y wy (sum_x wx p) in float, OpenCV's order.
 *  - otherwise (an axis grows): bilinear with OpenCV's area coefficients on
 *    both axes: s0 = floor(d s), f = (d + 1) - (s0 + 1) / s, f = f <= 0 ? 0 :
 *    f - floor(f), clamped at the last pixel like INTER_LINEAR.
 * OpenCV then rounds to 8 bits; the pre-processing keeps the float.
 *
 * The arithmetic goes through VRT__RS_* so that nvcc rounds each operation
 * as the host does (no contraction into FMA).
 */
#ifndef VRT_VISION_RESAMPLE_H
#define VRT_VISION_RESAMPLE_H

#include <math.h>
#include <stdint.h>

#include "vision/pixel.h"

/* Device-only under nvcc (the rounding intrinsics are device functions). */
#if defined(__CUDACC__)
#define VRT__RS_FN static __device__ __forceinline__
#define VRT__RS_DMUL(a, b) __dmul_rn((a), (b))
#define VRT__RS_DADD(a, b) __dadd_rn((a), (b))
#define VRT__RS_DDIV(a, b) __ddiv_rn((a), (b))
#define VRT__RS_D2F(a) __double2float_rn(a)
#define VRT__RS_FMUL(a, b) __fmul_rn((a), (b))
#define VRT__RS_FADD(a, b) __fadd_rn((a), (b))
#else
#define VRT__RS_FN static inline
#define VRT__RS_DMUL(a, b) ((a) * (b))
#define VRT__RS_DADD(a, b) ((a) + (b))
#define VRT__RS_DDIV(a, b) ((a) / (b))
#define VRT__RS_D2F(a) ((float)(a))
#define VRT__RS_FMUL(a, b) ((a) * (b))
#define VRT__RS_FADD(a, b) ((a) + (b))
#endif

/* The source pixels one output pixel averages along an axis: first..last
 * (inclusive), weight wf for first, wl for last, wm for those between. */
typedef struct vrt__area_span {
    int32_t first, last;
    float wf, wm, wl;
} vrt__area_span;

/* Output index d of an axis of n source pixels at scale s (>= 1). */
VRT__RS_FN void vrt__area_span_at(int32_t d, double s, uint32_t n, vrt__area_span *sp) {
    double f1 = VRT__RS_DMUL((double)d, s);
    double f2 = VRT__RS_DADD(f1, s);
    double rest = VRT__RS_DADD((double)n, -f1);
    double cell = s < rest ? s : rest;
    int32_t x1 = (int32_t)ceil(f1), x2 = (int32_t)floor(f2);
    if (x2 > (int32_t)n - 1) x2 = (int32_t)n - 1;
    if (x1 > x2) x1 = x2;
    double lead = VRT__RS_DADD((double)x1, -f1), tail = VRT__RS_DADD(f2, -(double)x2);
    int has_first = lead > 1e-3, has_last = tail > 1e-3;
    if (tail > 1.0) tail = 1.0;
    if (tail > cell) tail = cell;
    sp->wm = VRT__RS_D2F(VRT__RS_DDIV(1.0, cell));
    sp->wf = has_first ? VRT__RS_D2F(VRT__RS_DDIV(lead, cell)) : sp->wm;
    sp->wl = has_last ? VRT__RS_D2F(VRT__RS_DDIV(tail, cell)) : sp->wm;
    sp->first = has_first ? x1 - 1 : x1;
    sp->last = has_last ? x2 : x2 - 1;
    if (sp->first == sp->last && !has_first) sp->wf = sp->wl; /* one piece: the last one */
}

/* Weight of source index k inside span sp. */
VRT__RS_FN float vrt__area_weight(const vrt__area_span *sp, int32_t k) {
    return k == sp->first ? sp->wf : k == sp->last ? sp->wl : sp->wm;
}

/* The bilinear pair of INTER_AREA when an axis grows: inv = dst / src, s = 1 / inv. */
VRT__RS_FN void vrt__area_linear_at(int32_t d, double s, double inv, uint32_t n, uint32_t *i0, uint32_t *i1,
                                    float *f) {
    int32_t x = (int32_t)floor(VRT__RS_DMUL((double)d, s));
    float fx = VRT__RS_D2F(VRT__RS_DADD((double)(d + 1), -VRT__RS_DMUL((double)(x + 1), inv)));
    fx = fx <= 0.0f ? 0.0f : VRT__RS_FADD(fx, -floorf(fx));
    if (x >= (int32_t)n - 1) {
        x = (int32_t)n - 1;
        fx = 0.0f;
    }
    *i0 = (uint32_t)x;
    *i1 = (uint32_t)x + 1 < n ? (uint32_t)x + 1 : n - 1;
    *f = fx;
}

/* The area average of one output pixel: spans sx, sy inside the region
 * whose origin is (rx, ry) of the frame's planes; v = RGB. */
VRT__RS_FN void vrt__area_sample(uint32_t fourcc, const uint8_t *p0, size_t s0, const uint8_t *p1, size_t s1,
                                 uint32_t rx, uint32_t ry, const vrt__area_span *sx, const vrt__area_span *sy,
                                 float v[3]) {
    v[0] = v[1] = v[2] = 0.0f;
    for (int32_t y = sy->first; y <= sy->last; y++) {
        float row[3] = {0.0f, 0.0f, 0.0f};
        for (int32_t x = sx->first; x <= sx->last; x++) {
            int rgb[3];
            vrt__px_fetch_rgb_planes(fourcc, p0, s0, p1, s1, rx + (uint32_t)x, ry + (uint32_t)y, rgb);
            float w = vrt__area_weight(sx, x);
            for (int c = 0; c < 3; c++)
                row[c] = VRT__RS_FADD(row[c], VRT__RS_FMUL(w, (float)rgb[c]));
        }
        float w = vrt__area_weight(sy, y);
        for (int c = 0; c < 3; c++)
            v[c] = VRT__RS_FADD(v[c], VRT__RS_FMUL(w, row[c]));
    }
}

#endif
