/*
 * Private: the per-pixel formulas of the guided filter (vrt/vision.h), one
 * source for the CPU twin (guided.c) and the CUDA one (cuda/guided.cu),
 * with each float/double operation rounded the same way on both
 * (VRT__RS_* of resample.h: explicit round-to-nearest intrinsics under
 * nvcc, no FMA contraction).
 */
#ifndef VRT_VISION_GUIDED_IMPL_H
#define VRT_VISION_GUIDED_IMPL_H

#include "vision/resample.h"

#if defined(__CUDACC__)
#define VRT__RS_FDIV(a, b) __fdiv_rn((a), (b))
#define VRT__RS_FSUB(a, b) __fsub_rn((a), (b))
#else
#define VRT__RS_FDIV(a, b) ((a) / (b))
#define VRT__RS_FSUB(a, b) ((a) - (b))
#endif

/* Index i mirrored into 0..n-1 (BORDER_REFLECT, repeated for any i). */
VRT__PX_FN int32_t vrt__gf_reflect(int32_t i, int32_t n) {
    int32_t m = i % (2 * n);
    if (m < 0) m += 2 * n;
    return m < n ? m : 2 * n - 1 - m;
}

/* The guide: luma of 8-bit RGB in 0..1. */
VRT__RS_FN float vrt__gf_luma(const int rgb[3]) {
    return VRT__RS_FDIV((float)((77 * rgb[0] + 150 * rgb[1] + 29 * rgb[2] + 128) >> 8), 255.0f);
}

/* A window's mean from its sum (k = (2 r + 1)^2 pixels). */
VRT__RS_FN float vrt__gf_mean(double sum, double k) {
    return VRT__RS_D2F(VRT__RS_DDIV(sum, k));
}

/* a and b of one pixel from the four means. */
VRT__RS_FN void vrt__gf_coeffs(float mI, float mp, float mII, float mIp, float eps, float *a, float *b) {
    float var = VRT__RS_FSUB(mII, VRT__RS_FMUL(mI, mI));
    float cov = VRT__RS_FSUB(mIp, VRT__RS_FMUL(mI, mp));
    *a = VRT__RS_FDIV(cov, VRT__RS_FADD(var, eps));
    *b = VRT__RS_FSUB(mp, VRT__RS_FMUL(*a, mI));
}

/* q = m(a) I + m(b). */
VRT__RS_FN float vrt__gf_out(float ma, float mb, float I) {
    return VRT__RS_FADD(VRT__RS_FMUL(ma, I), mb);
}

/* q in 0..1 -> 8 bits, half up, clamped. */
VRT__RS_FN uint8_t vrt__gf_to8(float q) {
    float v = floorf(VRT__RS_FADD(VRT__RS_FMUL(q, 255.0f), 0.5f));
    return (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
}

#endif
