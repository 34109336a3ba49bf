/*
 * The element types, shapes and fp16 conversions of the op vocabulary (see
 * model/dtype.h), and the broadcast rules every backend shares.
 */
#include "model/dtype.h"

#include <string.h>

size_t vrt__dtype_size(vrt__dtype t) {
    switch (t) {
    case VRT__DT_FLOAT: return 4;
    case VRT__DT_UINT8: return 1;
    case VRT__DT_INT8: return 1;
    case VRT__DT_UINT16: return 2;
    case VRT__DT_INT16: return 2;
    case VRT__DT_INT32: return 4;
    case VRT__DT_INT64: return 8;
    case VRT__DT_BOOL: return 1;
    case VRT__DT_FLOAT16: return 2;
    case VRT__DT_DOUBLE: return 8;
    case VRT__DT_UINT32: return 4;
    case VRT__DT_UINT64: return 8;
    case VRT__DT_BFLOAT16: return 2;
    case VRT__DT_FLOAT8E4M3FN:
    case VRT__DT_FLOAT8E4M3FNUZ:
    case VRT__DT_FLOAT8E5M2:
    case VRT__DT_FLOAT8E5M2FNUZ:
    case VRT__DT_FLOAT4E2M1:
    case VRT__DT_FLOAT8E8M0:
    case VRT__DT_UINT4:
    case VRT__DT_INT4:
    case VRT__DT_UINT2:
    case VRT__DT_INT2: return 1; /* host boundary: raw bits / unpacked sub-byte ints, one per byte */
    case VRT__DT_STRING:
    case VRT__DT_UNDEFINED:
    default: return 0;
    }
}

const char *vrt__dtype_name(vrt__dtype t) {
    switch (t) {
    case VRT__DT_UNDEFINED: return "undefined";
    case VRT__DT_FLOAT: return "float32";
    case VRT__DT_UINT8: return "uint8";
    case VRT__DT_INT8: return "int8";
    case VRT__DT_UINT16: return "uint16";
    case VRT__DT_INT16: return "int16";
    case VRT__DT_INT32: return "int32";
    case VRT__DT_INT64: return "int64";
    case VRT__DT_STRING: return "string";
    case VRT__DT_BOOL: return "bool";
    case VRT__DT_FLOAT16: return "float16";
    case VRT__DT_DOUBLE: return "float64";
    case VRT__DT_UINT32: return "uint32";
    case VRT__DT_UINT64: return "uint64";
    case VRT__DT_BFLOAT16: return "bfloat16";
    case VRT__DT_FLOAT8E4M3FN: return "float8e4m3fn";
    case VRT__DT_FLOAT8E4M3FNUZ: return "float8e4m3fnuz";
    case VRT__DT_FLOAT8E5M2: return "float8e5m2";
    case VRT__DT_FLOAT8E5M2FNUZ: return "float8e5m2fnuz";
    case VRT__DT_UINT4: return "uint4";
    case VRT__DT_INT4: return "int4";
    case VRT__DT_FLOAT4E2M1: return "float4e2m1";
    case VRT__DT_FLOAT8E8M0: return "float8e8m0";
    case VRT__DT_UINT2: return "uint2";
    case VRT__DT_INT2: return "int2";
    default: return "unknown";
    }
}

int64_t vrt__shape_numel(const vrt__shape *s) {
    /* A scalar (ndim 0) has one element; any zero dimension makes it empty. */
    int64_t n = 1;
    if (!s) return 0;
    for (int i = 0; i < s->ndim; i++)
        n *= s->d[i];
    return n;
}

/* ---- fp16 --------------------------------------------------------------- */

typedef union {
    float f;
    uint32_t u;
} vrt__f32bits;

float vrt__half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    vrt__f32bits r;
    if (exp == 0x1f) {
        /* inf or nan; keep the payload so a nan stays a nan. */
        r.u = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
        if (man == 0) {
            r.u = sign;
        } else {
            /* Subnormal half: value = man * 2^-24, exact in fp32. */
            r.f = (float)man * (1.0f / 16777216.0f);
            r.u |= sign;
        }
    } else {
        r.u = sign | ((exp + 112u) << 23) | (man << 13);
    }
    return r.f;
}

uint16_t vrt__float_to_half(float f) {
    vrt__f32bits v;
    v.f = f;
    uint32_t x = v.u;
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xff) {
        /* inf stays inf; nan becomes a quiet nan (payload may not fit). */
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0u));
    }
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u); /* overflow -> inf */
    if (e <= 0) {
        /* Result is subnormal (or zero): shift the full mantissa with its
         * implicit bit into place, rounding to nearest even. */
        if (e < -10) return sign; /* below half of the smallest subnormal */
        uint32_t m = man | 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1u);
        uint32_t mid = 1u << (shift - 1u);
        if (rem > mid || (rem == mid && (half & 1u))) half++;
        return (uint16_t)(sign | half); /* a carry into bit 10 gives the smallest normal, correctly */
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* may carry into exp: up to inf, correct */
    return (uint16_t)(sign | h);
}

/* ---- bulk fp16 conversions (F16C) ------------------------------------------ */

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

/* Blocks of 8; a block with an inf or nan (exponent all ones) goes through the
 * scalar functions, which keep a nan's payload the way the rest of the engine
 * expects. Returns how many values were done. */
__attribute__((target("avx,f16c"))) static int64_t half_to_float_f16c(const uint16_t *src, float *dst,
                                                                      int64_t n) {
    const __m128i em = _mm_set1_epi16(0x7c00);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        if (_mm_movemask_epi8(_mm_cmpeq_epi16(_mm_and_si128(h, em), em))) {
            for (int k = 0; k < 8; k++)
                dst[i + k] = vrt__half_to_float(src[i + k]);
            continue;
        }
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
    return i;
}

__attribute__((target("avx,f16c"))) static int64_t float_to_half_f16c(const float *src, uint16_t *dst,
                                                                      int64_t n) {
    const __m256i em = _mm256_set1_epi32(0x7f800000);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_loadu_ps(src + i);
        __m256 e = _mm256_and_ps(f, _mm256_castsi256_ps(em));
        if (_mm256_movemask_ps(_mm256_cmp_ps(e, _mm256_castsi256_ps(em), _CMP_EQ_UQ))) {
            for (int k = 0; k < 8; k++)
                dst[i + k] = vrt__float_to_half(src[i + k]);
            continue;
        }
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm256_cvtps_ph(f, _MM_FROUND_TO_NEAREST_INT));
    }
    return i;
}

/* F16C (CPUID.1:ECX bit 29) with AVX usable (bit 28, and the OS saving the YMM state: OSXSAVE bit
 * 27 and XCR0 bits 1-2), detected once by a constructor before main (no lazy cache: a data race).
 * cpuid rather than __builtin_cpu_supports("f16c"), which clang 14 (the fuzz build) lacks. */
static int g_has_f16c;

__attribute__((constructor)) static void detect_f16c(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    if (!(c & (1u << 27)) || !(c & (1u << 28)) || !(c & (1u << 29))) return;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    g_has_f16c = (lo & 6u) == 6u;
}

static int has_f16c(void) {
    return g_has_f16c;
}
#endif

void vrt__half_to_float_n(const uint16_t *src, float *dst, int64_t n) {
    int64_t i = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (has_f16c()) i = half_to_float_f16c(src, dst, n);
#endif
    for (; i < n; i++)
        dst[i] = vrt__half_to_float(src[i]);
}

void vrt__float_to_half_n(const float *src, uint16_t *dst, int64_t n) {
    int64_t i = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (has_f16c()) i = float_to_half_f16c(src, dst, n);
#endif
    for (; i < n; i++)
        dst[i] = vrt__float_to_half(src[i]);
}

/* ---- axes and broadcasting ---------------------------------------------- */

vrt_status vrt__axis_index(int64_t axis, int ndim, int *out) {
    if (axis < -ndim || axis >= ndim) return VRT_EINVAL;
    *out = (int)(axis < 0 ? axis + ndim : axis);
    return VRT_OK;
}

int vrt__shape_valid(const vrt__shape *s) {
    if (s->ndim < 0 || s->ndim > VRT__MAX_DIMS) return 0;
    for (int i = 0; i < s->ndim; i++)
        if (s->d[i] < 0) return 0;
    return 1;
}

vrt_status vrt__broadcast_shape(const vrt__shape *a, const vrt__shape *b, vrt__shape *out) {
    if (a->ndim < 0 || b->ndim < 0 || a->ndim > VRT__MAX_DIMS || b->ndim > VRT__MAX_DIMS) return VRT_EINVAL;
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    vrt__shape r;
    r.ndim = nd;
    for (int i = 0; i < nd; i++) {
        int ia = i - (nd - a->ndim), ib = i - (nd - b->ndim);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da == db || db == 1) {
            r.d[i] = da;
        } else if (da == 1) {
            r.d[i] = db;
        } else {
            return VRT_EINVAL;
        }
    }
    *out = r;
    return VRT_OK;
}

int vrt__broadcasts_to(const vrt__shape *in, const vrt__shape *out) {
    if (in->ndim > out->ndim) return 0;
    for (int i = 0; i < in->ndim; i++) {
        int64_t d = in->d[in->ndim - 1 - i], o = out->d[out->ndim - 1 - i];
        if (d != o && d != 1) return 0;
    }
    return 1;
}

vrt_status vrt__bcast_init(vrt__bcast *b, const vrt__shape *so, int nin, const vrt__shape *const *ins) {
    if (nin < 1 || nin > VRT__BC_MAX_IN || so->ndim < 0 || so->ndim > VRT__MAX_DIMS) return VRT_EINVAL;
    int nd = so->ndim;
    int64_t dim[VRT__MAX_DIMS], st[VRT__BC_MAX_IN][VRT__MAX_DIMS];
    int64_t total = 1;
    for (int i = 0; i < nd; i++) {
        if (so->d[i] < 0) return VRT_EINVAL;
        dim[i] = so->d[i];
        total *= so->d[i];
    }
    for (int k = 0; k < nin; k++) {
        const vrt__shape *s = ins[k];
        if (s->ndim < 0 || s->ndim > nd) return VRT_EINVAL;
        int64_t stride = 1;
        for (int i = nd - 1; i >= 0; i--) {
            int j = i - (nd - s->ndim);
            int64_t d = j >= 0 ? s->d[j] : 1;
            if (d == dim[i]) {
                st[k][i] = d == 1 ? 0 : stride;
            } else if (d == 1) {
                st[k][i] = 0;
            } else {
                return VRT_EINVAL;
            }
            stride *= d;
        }
    }
    /* Drop size-1 dims, then merge neighbours that every input walks contiguously. */
    b->nin = nin;
    b->total = total;
    int m = 0;
    for (int i = 0; i < nd; i++) {
        if (dim[i] == 1) continue;
        if (m > 0) {
            int ok = 1;
            for (int k = 0; k < nin && ok; k++)
                ok = b->st[k][m - 1] == st[k][i] * dim[i];
            if (ok) {
                b->dim[m - 1] *= dim[i];
                for (int k = 0; k < nin; k++)
                    b->st[k][m - 1] = st[k][i];
                continue;
            }
        }
        b->dim[m] = dim[i];
        for (int k = 0; k < nin; k++)
            b->st[k][m] = st[k][i];
        m++;
    }
    if (m == 0) {
        b->dim[0] = 1;
        for (int k = 0; k < nin; k++)
            b->st[k][0] = 0;
        m = 1;
    }
    b->nd = m;
    return VRT_OK;
}
