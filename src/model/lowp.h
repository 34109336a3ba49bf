/*
 * The ONNX element types the kernels do not compute in natively
 * (double, bfloat16, float8 e4m3fn/e4m3fnuz/e5m2/e5m2fnuz, float8 e8m0,
 * float4 e2m1, int4/uint4, int2/uint2): their conversions and how the
 * engine holds them.
 *
 * Inside the engine (vrt__plan_dtype):
 *   double, bfloat16, float8*, float4e2m1  -> fp32. Every value of these
 *       types except double is exactly representable in fp32, so holding
 *       them as fp32 and converting back at the boundary is bit-exact (NaN
 *       comes back as the type's canonical NaN). A Cast to one of them
 *       rounds the fp32 value to the type's grid (vrt__lowp_round) so the
 *       held value is always one the type can represent. double is computed
 *       in fp32 (like every float tensor of the engine).
 *   int4/int2   -> int8 (one per byte, sign-extended)
 *   uint4/uint2 -> uint8 (one per byte)
 * Host form (set_input/get_output, test-data tensors): bfloat16 2 bytes,
 * float8/float4/e8m0 1 byte of raw bits (float4 in the low nibble), 4-/2-bit
 * ints unpacked one per byte; double 8 bytes.
 *
 * Rounding follows the ONNX Cast spec: round to nearest, ties to even;
 * saturate=1 clamps out-of-range finite values and infinities to the largest
 * finite value; saturate=0 gives NaN (e4m3fn, e4m3fnuz, e5m2fnuz) or
 * infinity (e5m2). float4e2m1 always saturates (NaN becomes -0, as in
 * ONNX's reference). Sub-byte ints from floats: truncate toward zero, then
 * wrap to the type's bits (ONNX's reference and test data do this).
 */
#ifndef VRT_MODEL_LOWP_H
#define VRT_MODEL_LOWP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "model/dtype.h"

/* 1 for bfloat16, float8 (all four), float8e8m0 and float4e2m1. */
int vrt__dtype_is_lowp_float(vrt__dtype t);
/* 1 for int4, uint4, int2, uint2. */
int vrt__dtype_is_subbyte(vrt__dtype t);
/* Bits per element of the packed ONNX storage (raw_data): 4 or 2 for the
 * sub-byte types, else 8 * vrt__dtype_size. */
int vrt__dtype_bits(vrt__dtype t);

/* Unpacks n elements of packed sub-byte storage (low bits first) into one
 * (sign-extended for int4/int2) byte per element. */
void vrt__subbyte_unpack(vrt__dtype t, const uint8_t *packed, uint8_t *out, int64_t n);

/* Host form <-> engine form (see above) of n elements of type t. For
 * types the engine holds natively these are plain copies. */
void vrt__lowp_host_to_engine(vrt__dtype t, const void *host, void *eng, int64_t n);
void vrt__lowp_engine_to_host(vrt__dtype t, const void *eng, void *host, int64_t n);

#ifdef __cplusplus
}
#endif

/* ---- the scalar conversions ----------------------------------------------------
 * Defined here rather than in lowp.c so that there is one definition for the
 * CPU backend and the CUDA backend's Cast (cuda/eltwise.cu includes this
 * header): under nvcc they are host and device functions, so the GPU cannot
 * drift from the CPU reference (the pattern of vision/pixel.h). */
#if defined(__CUDACC__)
#define VRT__LOWP_FN static __host__ __device__ __forceinline__
#else
#define VRT__LOWP_FN static inline
#endif

/* float8 / float4 with a sign, exponent and mantissa. Kinds: no infinity
 * (NaN = all ones) / NaN = -0 / IEEE / no infinity and no NaN. */
typedef enum {
    VRT__LOWP_FN_KIND,
    VRT__LOWP_FNUZ_KIND,
    VRT__LOWP_IEEE_KIND,
    VRT__LOWP_SAT_KIND
} vrt__lowp_kind;

typedef struct {
    int nbits, mbits, bias;
    double maxv;
    vrt__lowp_kind kind;
} vrt__lowp_fmt;

VRT__LOWP_FN int vrt__lowp_fmt_set(vrt__lowp_fmt *f, int nbits, int mbits, int bias, double maxv,
                                   vrt__lowp_kind kind) {
    f->nbits = nbits, f->mbits = mbits, f->bias = bias, f->maxv = maxv, f->kind = kind;
    return 1;
}

VRT__LOWP_FN int vrt__lowp_fmt_of(vrt__dtype t, vrt__lowp_fmt *f) {
    switch (t) {
    case VRT__DT_FLOAT8E4M3FN: return vrt__lowp_fmt_set(f, 8, 3, 7, 448.0, VRT__LOWP_FN_KIND);
    case VRT__DT_FLOAT8E4M3FNUZ: return vrt__lowp_fmt_set(f, 8, 3, 8, 240.0, VRT__LOWP_FNUZ_KIND);
    case VRT__DT_FLOAT8E5M2: return vrt__lowp_fmt_set(f, 8, 2, 15, 57344.0, VRT__LOWP_IEEE_KIND);
    case VRT__DT_FLOAT8E5M2FNUZ: return vrt__lowp_fmt_set(f, 8, 2, 16, 57344.0, VRT__LOWP_FNUZ_KIND);
    case VRT__DT_FLOAT4E2M1: return vrt__lowp_fmt_set(f, 4, 1, 1, 6.0, VRT__LOWP_SAT_KIND);
    default: return 0;
    }
}

VRT__LOWP_FN float vrt__lowp_small_to_float(const vrt__lowp_fmt *f, uint32_t bits) {
    int eb = f->nbits - 1 - f->mbits;
    uint32_t emask = (1u << eb) - 1, mmask = (1u << f->mbits) - 1;
    bits &= (1u << f->nbits) - 1;
    uint32_t s = (bits >> (f->nbits - 1)) & 1u, e = (bits >> f->mbits) & emask, m = bits & mmask;
    if (f->kind == VRT__LOWP_FNUZ_KIND && bits == (1u << (f->nbits - 1))) return NAN;
    if (f->kind == VRT__LOWP_FN_KIND && e == emask && m == mmask) return NAN;
    if (f->kind == VRT__LOWP_IEEE_KIND && e == emask) return m ? NAN : (s ? -INFINITY : INFINITY);
    int emin = 1 - f->bias;
    double v = e == 0 ? ldexp((double)m, emin - f->mbits)
                      : ldexp((double)((1u << f->mbits) + m), (int)e - f->bias - f->mbits);
    return (float)(s ? -v : v);
}

/* |a| (finite, >= 0) rounded to the format's grid, ties to even; may exceed maxv. */
VRT__LOWP_FN double vrt__lowp_round_grid(const vrt__lowp_fmt *f, double a) {
    if (a == 0) return 0;
    int emin = 1 - f->bias;
    int e = ilogb(a);
    if (e < emin) e = emin;
    double q = ldexp(1.0, e - f->mbits);
    return nearbyint(a / q) * q;
}

VRT__LOWP_FN uint32_t vrt__lowp_small_from_float(const vrt__lowp_fmt *f, float x, int saturate) {
    uint32_t sbit = 1u << (f->nbits - 1);
    uint32_t nan = f->kind == VRT__LOWP_FNUZ_KIND ? sbit : sbit - 1;
    int eb = f->nbits - 1 - f->mbits;
    uint32_t inf = ((1u << eb) - 1) << f->mbits; /* IEEE only */
    uint32_t s = signbit(x) ? sbit : 0;
    if (isnan(x))
        return f->kind == VRT__LOWP_SAT_KIND ? sbit
                                             : nan; /* float4e2m1 has no NaN: ONNX's reference gives -0 */
    if (f->kind == VRT__LOWP_SAT_KIND) saturate = 1;
    double a = fabs((double)x);
    double r = isinf(x) ? (double)INFINITY : vrt__lowp_round_grid(f, a);
    if (r > f->maxv) {
        if (saturate)
            r = f->maxv;
        else
            return f->kind == VRT__LOWP_IEEE_KIND ? (s | inf) : nan;
    }
    if (r == 0) return f->kind == VRT__LOWP_FNUZ_KIND ? 0 : s;
    int emin = 1 - f->bias;
    int e = ilogb(r);
    uint32_t ef, m;
    if (e < emin) {
        ef = 0;
        m = (uint32_t)ldexp(r, f->mbits - emin);
    } else {
        ef = (uint32_t)(e + f->bias);
        m = (uint32_t)(ldexp(r, f->mbits - e) - (double)(1u << f->mbits));
    }
    return s | (ef << f->mbits) | m;
}

VRT__LOWP_FN float vrt__lowp_bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

VRT__LOWP_FN uint32_t vrt__lowp_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Raw bits of a lowp float type -> its value. */
VRT__LOWP_FN float vrt__lowp_to_float(vrt__dtype t, uint32_t bits) {
    vrt__lowp_fmt f;
    if (vrt__lowp_fmt_of(t, &f)) return vrt__lowp_small_to_float(&f, bits);
    if (t == VRT__DT_BFLOAT16) return vrt__lowp_bits_f32((bits & 0xffffu) << 16);
    if (t == VRT__DT_FLOAT8E8M0) {
        bits &= 0xffu;
        if (bits == 0xffu) return NAN;
        return (float)ldexp(1.0, (int)bits - 127);
    }
    return NAN;
}

/* float -> raw bits of a lowp float type (rounding/saturation above).
 * round_mode applies to float8e8m0 only: 0 up (default), 1 down, 2 nearest. */
VRT__LOWP_FN uint32_t vrt__lowp_from_float(vrt__dtype t, float x, int saturate, int round_mode) {
    vrt__lowp_fmt f;
    if (vrt__lowp_fmt_of(t, &f)) return vrt__lowp_small_from_float(&f, x, saturate);
    if (t == VRT__DT_BFLOAT16) {
        uint32_t u = vrt__lowp_f32_bits(x);
        if (isnan(x)) return ((u >> 16) & 0x8000u) | 0x7fc0u;
        u += 0x7fffu + ((u >> 16) & 1u); /* ties to even; carries into the exponent (and to inf) correctly */
        return u >> 16;
    }
    if (t == VRT__DT_FLOAT8E8M0) {
        if (isnan(x)) return 0xffu;
        if (isinf(x)) return saturate ? 0xfeu : 0xffu;
        uint32_t u = vrt__lowp_f32_bits(x) & 0x7fffffffu;
        uint32_t e = u >> 23, m = u & 0x7fffffu;
        if (round_mode == 0 && m && e)
            e++; /* up */
        else if (round_mode == 2 && e && (m > 0x400000u || (m == 0x400000u && (e & 1u))))
            e++; /* nearest */
        if (e > 0xfeu) return saturate ? 0xfeu : 0xffu;
        return e;
    }
    return 0;
}

/* f rounded to the nearest value of type t, as fp32. */
VRT__LOWP_FN float vrt__lowp_round(vrt__dtype t, float x, int saturate, int round_mode) {
    return vrt__lowp_to_float(t, vrt__lowp_from_float(t, x, saturate, round_mode));
}

/* A value converted to a sub-byte int type t (int4, uint4, int2, uint2):
 * floats truncate toward zero, then everything wraps to the low bits (two's
 * complement). (For an 8-bit t: its own wrap.) */
VRT__LOWP_FN int8_t vrt__subbyte_wrap(vrt__dtype t, int64_t v) {
    int bits = t == VRT__DT_INT4 || t == VRT__DT_UINT4 ? 4 : t == VRT__DT_INT2 || t == VRT__DT_UINT2 ? 2 : 8;
    int64_t mask = (1 << bits) - 1, half = 1 << (bits - 1);
    int64_t u = v & mask;
    if (t == VRT__DT_INT4 || t == VRT__DT_INT2) u = (u ^ half) - half;
    return (int8_t)u;
}

VRT__LOWP_FN int8_t vrt__subbyte_from_float(vrt__dtype t, double v) {
    /* ONNX's reference (and test data): truncate toward zero, then wrap. */
    if (isnan(v) || !(v > -9.2e18 && v < 9.2e18)) return 0;
    return vrt__subbyte_wrap(t, (int64_t)v);
}

#endif
