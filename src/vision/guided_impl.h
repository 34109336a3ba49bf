/*
 * Private: the per-pixel formulas of the guided filter (vrt/vision.h), one
 * source for the CPU twin (guided.c) and the CUDA one (cuda/guided.cu),
 * with each float/double operation rounded the same way on both
 * (VRT__RS_* of resample.h: explicit round-to-nearest intrinsics under
 * nvcc, no FMA contraction).
 *
 * The guide is the 8-bit luma L (I = L / 255), so its window sums (of L and
 * L^2, and of C and L C for an 8-bit channel C of the frame filter) are
 * integers, exact in any summation order: both twins compute the means and
 * the variance from the same integers (the variance as (k sLL - sL^2) /
 * (255^2 k^2), without the cancellation of mean(I^2) - mean(I)^2), so the
 * CPU's running sums and the GPU's tiles give the same bits. Sums of floats
 * (a float map p, I p, a, b) are taken in double (exact for any realistic
 * map), each horizontal sum rounded to float, as the CPU twin does.
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

/* The guide's 8-bit luma of 8-bit RGB. */
VRT__PX_FN int32_t vrt__gf_l8(const int rgb[3]) {
    return (77 * rgb[0] + 150 * rgb[1] + 29 * rgb[2] + 128) >> 8;
}

/* The guide I = L / 255 (in q = m(a) I + m(b) and in I p). */
VRT__RS_FN float vrt__gf_i(int32_t l) {
    return VRT__RS_FDIV((float)l, 255.0f);
}

/* A window's mean from its double sum; invk = 1.0 / (2 r + 1)^2. */
VRT__RS_FN float vrt__gf_mean(double sum, double invk) {
    return VRT__RS_D2F(VRT__RS_DMUL(sum, invk));
}

/* mean(I) and var(I) of a window of k pixels from sL = sum L, sLL = sum L^2. */
VRT__RS_FN void vrt__gf_guide(int32_t sl, int32_t sll, int32_t k, float *mi, float *var) {
    *mi = VRT__RS_FDIV((float)sl, (float)(255 * k));
    *var = VRT__RS_FDIV((float)((int64_t)k * sll - (int64_t)sl * sl), (float)(65025LL * k * k));
}

/* a and b from the guide's mean and variance, the mean of p and cov(I, p). */
VRT__RS_FN void vrt__gf_ab(float mi, float var, float mp, float cov, float eps, float *a, float *b) {
    *a = VRT__RS_FDIV(cov, VRT__RS_FADD(var, eps));
    *b = VRT__RS_FSUB(mp, VRT__RS_FMUL(*a, mi));
}

/* The frame filter's a and b: p = C / 255 of an 8-bit channel, from the
 * integer sums of L, L^2, C and L C over k pixels. */
VRT__RS_FN void vrt__gf_coeffs8(int32_t sl, int32_t sll, int32_t sc, int32_t slc, int32_t k, float eps,
                                float *a, float *b) {
    float mi, var;
    vrt__gf_guide(sl, sll, k, &mi, &var);
    const float mp = VRT__RS_FDIV((float)sc, (float)(255 * k));
    const float cov = VRT__RS_FDIV((float)((int64_t)k * slc - (int64_t)sl * sc), (float)(65025LL * k * k));
    vrt__gf_ab(mi, var, mp, cov, eps, a, b);
}

/* The map filter's a and b: the guide's integer sums, the means of p and I p. */
VRT__RS_FN void vrt__gf_coeffsf(int32_t sl, int32_t sll, int32_t k, float mp, float mip, float eps, float *a,
                                float *b) {
    float mi, var;
    vrt__gf_guide(sl, sll, k, &mi, &var);
    vrt__gf_ab(mi, var, mp, VRT__RS_FSUB(mip, VRT__RS_FMUL(mi, mp)), eps, a, b);
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
