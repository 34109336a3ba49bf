/*
 * Conversions of the low-precision ONNX element types (see lowp.h).
 */
#include "model/lowp.h"

#include <string.h>

int vrt__dtype_is_lowp_float(vrt__dtype t) {
    switch (t) {
    case VRT__DT_BFLOAT16:
    case VRT__DT_FLOAT8E4M3FN:
    case VRT__DT_FLOAT8E4M3FNUZ:
    case VRT__DT_FLOAT8E5M2:
    case VRT__DT_FLOAT8E5M2FNUZ:
    case VRT__DT_FLOAT8E8M0:
    case VRT__DT_FLOAT4E2M1: return 1;
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

/* ---- sub-byte ints and the boundary conversions ---------------------------------
 * (the scalar conversions are in lowp.h, shared with the CUDA backend) */

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
        for (int64_t i = 0; i < n; i++)
            d[i] = (float)s[i];
    } else if (t == VRT__DT_BFLOAT16) {
        const uint16_t *s = host;
        float *d = eng;
        for (int64_t i = 0; i < n; i++)
            d[i] = vrt__lowp_to_float(t, s[i]);
    } else if (vrt__dtype_is_lowp_float(t)) {
        const uint8_t *s = host;
        float *d = eng;
        for (int64_t i = 0; i < n; i++)
            d[i] = vrt__lowp_to_float(t, s[i]);
    } else if (vrt__dtype_is_subbyte(t)) {
        const int8_t *s = host;
        int8_t *d = eng;
        for (int64_t i = 0; i < n; i++)
            d[i] = vrt__subbyte_wrap(t, s[i]);
    } else if (n > 0) {
        memmove(eng, host, (size_t)n * vrt__dtype_size(t));
    }
}

void vrt__lowp_engine_to_host(vrt__dtype t, const void *eng, void *host, int64_t n) {
    if (t == VRT__DT_DOUBLE) {
        const float *s = eng;
        double *d = host;
        for (int64_t i = 0; i < n; i++)
            d[i] = (double)s[i];
    } else if (t == VRT__DT_BFLOAT16) {
        const float *s = eng;
        uint16_t *d = host;
        for (int64_t i = 0; i < n; i++)
            d[i] = (uint16_t)vrt__lowp_from_float(t, s[i], 0, 2);
    } else if (vrt__dtype_is_lowp_float(t)) {
        const float *s = eng;
        uint8_t *d = host;
        /* Held values are representable: no rounding happens here (and an
         * infinity stays one where the type has it). */
        for (int64_t i = 0; i < n; i++)
            d[i] = (uint8_t)vrt__lowp_from_float(t, s[i], 0, 2);
    } else if (vrt__dtype_is_subbyte(t)) {
        const int8_t *s = eng;
        int8_t *d = host;
        for (int64_t i = 0; i < n; i++)
            d[i] = vrt__subbyte_wrap(t, s[i]);
    } else if (n > 0) {
        memmove(host, eng, (size_t)n * vrt__dtype_size(t));
    }
}
