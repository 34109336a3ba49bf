/*
 * Conversions of the low-precision ONNX element types (see lowp.h).
 */
#include "engine/backend/cpu/lowp.h"

#include <math.h>
#include <string.h>

int vrt__dtype_is_lowp_float(vrt__dtype t) {
    switch (t) {
    case VRT__DT_BFLOAT16: case VRT__DT_FLOAT8E4M3FN: case VRT__DT_FLOAT8E4M3FNUZ: case VRT__DT_FLOAT8E5M2:
    case VRT__DT_FLOAT8E5M2FNUZ: case VRT__DT_FLOAT8E8M0: case VRT__DT_FLOAT4E2M1:
        return 1;
    default: return 0;
    }
}

int vrt__dtype_is_subbyte(vrt__dtype t) {
    return t == VRT__DT_INT4 || t == VRT__DT_UINT4 || t == VRT__DT_INT2 || t == VRT__DT_UINT2;
}

int vrt__dtype_bits(vrt__dtype t) {
    if (t == VRT__DT_INT4 || t == VRT__DT_UINT4 || t == VRT__DT_FLOAT4E2M1) return 4;
    if (t == VRT__DT_INT2 || t == VRT__DT_UINT2) return 2;
    return (int)(8 * vrt__dtype_size(t));
}

/* ---- float8 / float4 with a sign, exponent and mantissa ------------------------ */

typedef enum { K_FN, K_FNUZ, K_IEEE, K_SAT } fkind; /* no inf (NaN = all ones) / NaN = -0 / IEEE / no inf, no NaN */

typedef struct {
    int nbits, mbits, bias;
    double maxv;
    fkind kind;
} ffmt;

static int fmt_of(vrt__dtype t, ffmt *f) {
    switch (t) {
    case VRT__DT_FLOAT8E4M3FN: *f = (ffmt){8, 3, 7, 448.0, K_FN}; return 1;
    case VRT__DT_FLOAT8E4M3FNUZ: *f = (ffmt){8, 3, 8, 240.0, K_FNUZ}; return 1;
    case VRT__DT_FLOAT8E5M2: *f = (ffmt){8, 2, 15, 57344.0, K_IEEE}; return 1;
    case VRT__DT_FLOAT8E5M2FNUZ: *f = (ffmt){8, 2, 16, 57344.0, K_FNUZ}; return 1;
    case VRT__DT_FLOAT4E2M1: *f = (ffmt){4, 1, 1, 6.0, K_SAT}; return 1;
    default: return 0;
    }
}

static float small_to_float(const ffmt *f, uint32_t bits) {
    int eb = f->nbits - 1 - f->mbits;
    uint32_t emask = (1u << eb) - 1, mmask = (1u << f->mbits) - 1;
    bits &= (1u << f->nbits) - 1;
    uint32_t s = (bits >> (f->nbits - 1)) & 1u, e = (bits >> f->mbits) & emask, m = bits & mmask;
    if (f->kind == K_FNUZ && bits == (1u << (f->nbits - 1))) return NAN;
    if (f->kind == K_FN && e == emask && m == mmask) return NAN;
    if (f->kind == K_IEEE && e == emask) return m ? NAN : (s ? -INFINITY : INFINITY);
    int emin = 1 - f->bias;
    double v = e == 0 ? ldexp((double)m, emin - f->mbits) : ldexp((double)((1u << f->mbits) + m), (int)e - f->bias - f->mbits);
    return (float)(s ? -v : v);
}

/* |a| (finite, >= 0) rounded to the format's grid, ties to even; may exceed maxv. */
static double round_grid(const ffmt *f, double a) {
    if (a == 0) return 0;
    int emin = 1 - f->bias;
    int e = ilogb(a);
    if (e < emin) e = emin;
    double q = ldexp(1.0, e - f->mbits);
    return nearbyint(a / q) * q;
}

static uint32_t small_from_float(const ffmt *f, float x, int saturate) {
    uint32_t sbit = 1u << (f->nbits - 1);
    uint32_t nan = f->kind == K_FNUZ ? sbit : f->kind == K_FN ? sbit - 1 : f->kind == K_IEEE ? sbit - 1 : sbit - 1;
    int eb = f->nbits - 1 - f->mbits;
    uint32_t inf = ((1u << eb) - 1) << f->mbits; /* IEEE only */
    uint32_t s = signbit(x) ? sbit : 0;
    if (isnan(x)) return f->kind == K_SAT ? sbit : nan; /* float4e2m1 has no NaN: ONNX's reference gives -0 */
    if (f->kind == K_SAT) saturate = 1;
    double a = fabs((double)x);
    double r = isinf(x) ? INFINITY : round_grid(f, a);
    if (r > f->maxv) {
        if (saturate) r = f->maxv;
        else return f->kind == K_IEEE ? (s | inf) : nan;
    }
    if (r == 0) return f->kind == K_FNUZ ? 0 : s;
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

/* ---- bfloat16 and float8e8m0 -------------------------------------------------- */

static float bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

float vrt__lowp_to_float(vrt__dtype t, uint32_t bits) {
    ffmt f;
    if (fmt_of(t, &f)) return small_to_float(&f, bits);
    if (t == VRT__DT_BFLOAT16) return bits_to_f32((bits & 0xffffu) << 16);
    if (t == VRT__DT_FLOAT8E8M0) {
        bits &= 0xffu;
        if (bits == 0xffu) return NAN;
        return (float)ldexp(1.0, (int)bits - 127);
    }
    return NAN;
}

uint32_t vrt__lowp_from_float(vrt__dtype t, float x, int saturate, int round_mode) {
    ffmt f;
    if (fmt_of(t, &f)) return small_from_float(&f, x, saturate);
    if (t == VRT__DT_BFLOAT16) {
        uint32_t u = f32_to_bits(x);
        if (isnan(x)) return ((u >> 16) & 0x8000u) | 0x7fc0u;
        u += 0x7fffu + ((u >> 16) & 1u); /* ties to even; carries into the exponent (and to inf) correctly */
        return u >> 16;
    }
    if (t == VRT__DT_FLOAT8E8M0) {
        if (isnan(x)) return 0xffu;
        if (isinf(x)) return saturate ? 0xfeu : 0xffu;
        uint32_t u = f32_to_bits(x) & 0x7fffffffu;
        uint32_t e = u >> 23, m = u & 0x7fffffu;
        if (round_mode == 0 && m && e) e++;                 /* up */
        else if (round_mode == 2 && e && (m > 0x400000u || (m == 0x400000u && (e & 1u)))) e++; /* nearest */
        if (e > 0xfeu) return saturate ? 0xfeu : 0xffu;
        return e;
    }
    return 0;
}

float vrt__lowp_round(vrt__dtype t, float x, int saturate, int round_mode) {
    return vrt__lowp_to_float(t, vrt__lowp_from_float(t, x, saturate, round_mode));
}

/* ---- sub-byte ints -------------------------------------------------------------- */

int8_t vrt__subbyte_from_float(vrt__dtype t, double v) {
    /* ONNX's reference (and test data): truncate toward zero, then wrap. */
    if (isnan(v) || !(v > -9.2e18 && v < 9.2e18)) return 0;
    return vrt__subbyte_wrap(t, (int64_t)v);
}

int8_t vrt__subbyte_wrap(vrt__dtype t, int64_t v) {
    int bits = vrt__dtype_bits(t);
    int64_t mask = (1 << bits) - 1, half = 1 << (bits - 1);
    int64_t u = v & mask;
    if (t == VRT__DT_INT4 || t == VRT__DT_INT2) u = (u ^ half) - half;
    return (int8_t)u;
}

void vrt__subbyte_unpack(vrt__dtype t, const uint8_t *packed, uint8_t *out, int64_t n) {
    int bits = vrt__dtype_bits(t), per = 8 / bits;
    for (int64_t i = 0; i < n; i++) {
        int v = (packed[i / per] >> ((i % per) * bits)) & ((1 << bits) - 1);
        out[i] = (uint8_t)vrt__subbyte_wrap(t, v);
    }
}

void vrt__lowp_host_to_engine(vrt__dtype t, const void *host, void *eng, int64_t n) {
    if (t == VRT__DT_DOUBLE) {
        const double *s = host;
        float *d = eng;
        for (int64_t i = 0; i < n; i++) d[i] = (float)s[i];
    } else if (t == VRT__DT_BFLOAT16) {
        const uint16_t *s = host;
        float *d = eng;
        for (int64_t i = 0; i < n; i++) d[i] = vrt__lowp_to_float(t, s[i]);
    } else if (vrt__dtype_is_lowp_float(t)) {
        const uint8_t *s = host;
        float *d = eng;
        for (int64_t i = 0; i < n; i++) d[i] = vrt__lowp_to_float(t, s[i]);
    } else if (vrt__dtype_is_subbyte(t)) {
        const int8_t *s = host;
        int8_t *d = eng;
        for (int64_t i = 0; i < n; i++) d[i] = vrt__subbyte_wrap(t, s[i]);
    } else if (n > 0) {
        memmove(eng, host, (size_t)n * vrt__dtype_size(t));
    }
}

void vrt__lowp_engine_to_host(vrt__dtype t, const void *eng, void *host, int64_t n) {
    if (t == VRT__DT_DOUBLE) {
        const float *s = eng;
        double *d = host;
        for (int64_t i = 0; i < n; i++) d[i] = (double)s[i];
    } else if (t == VRT__DT_BFLOAT16) {
        const float *s = eng;
        uint16_t *d = host;
        for (int64_t i = 0; i < n; i++) d[i] = (uint16_t)vrt__lowp_from_float(t, s[i], 0, 2);
    } else if (vrt__dtype_is_lowp_float(t)) {
        const float *s = eng;
        uint8_t *d = host;
        /* Held values are representable: no rounding happens here (and an
         * infinity stays one where the type has it). */
        for (int64_t i = 0; i < n; i++) d[i] = (uint8_t)vrt__lowp_from_float(t, s[i], 0, 2);
    } else if (vrt__dtype_is_subbyte(t)) {
        const int8_t *s = eng;
        int8_t *d = host;
        for (int64_t i = 0; i < n; i++) d[i] = vrt__subbyte_wrap(t, s[i]);
    } else if (n > 0) {
        memmove(host, eng, (size_t)n * vrt__dtype_size(t));
    }
}
