// Quantized ops on CUDA: QuantizeLinear / DequantizeLinear and the integer
// conv (QLinearConv / ConvInteger); the twins of engine/backend/cpu/quant.c
// (see quant.h for what is exact and what is within one step).
#include "engine/backend/cuda/quant.h"

#include <cuda_runtime.h>

#include "engine/backend/cuda/cuda_kernels_impl.cuh"

// Element i of an 8-bit (sgn: int8, else uint8) or int32 tensor.
__device__ __forceinline__ int32_t ld8(const void *p, int sgn, int64_t i) {
    return sgn ? (int32_t)((const int8_t *)p)[i] : (int32_t)((const uint8_t *)p)[i];
}

__device__ __forceinline__ int32_t ldq(const void *p, vrt__dtype t, int64_t i) {
    switch (t) {
    case VRT__DT_INT8: return ((const int8_t *)p)[i];
    case VRT__DT_UINT8: return ((const uint8_t *)p)[i];
    case VRT__DT_INT32: return ((const int32_t *)p)[i];
    default: return 0;
    }
}

// The CPU's requant: round half to even, plus the zero point, saturated; NaN
// goes to the low bound (engine/backend/cpu/quant.c requant()).
__device__ __forceinline__ int32_t requant(float v, int32_t zp, int32_t lo, int32_t hi) {
    float r = rintf(v) + (float)zp;
    if (!(r >= (float)lo)) return lo;
    if (r > (float)hi) return hi;
    return (int32_t)r;
}

__device__ __forceinline__ void st8(void *p, int sgn, int64_t i, int32_t v) {
    if (sgn)
        ((int8_t *)p)[i] = (int8_t)v;
    else
        ((uint8_t *)p)[i] = (uint8_t)v;
}

// ---- QuantizeLinear / DequantizeLinear ----

__global__ void k_quant(int dequant, vrt__dtype qt, int32_t lo, int32_t hi, int64_t len, int64_t inner,
                        int per_axis, const void *x, const float *scale, const void *zp, vrt__dtype zpt,
                        void *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t a = per_axis ? (i / inner) % len : 0;
        float sc = scale[a];
        int32_t z = zp ? ldq(zp, zpt, a) : 0;
        if (dequant)
            ((float *)y)[i] = (float)((double)ldq(x, qt, i) - z) * sc;
        else
            st8(y, qt == VRT__DT_INT8, i, requant(((const float *)x)[i] / sc, z, lo, hi));
    }
}

extern "C" vrt_status vrt__cuda_quant(void *stream, const vrt__quant_params *p, int dequant, vrt__dtype qt,
                                      int32_t lo, int32_t hi, const void *x, const float *scale,
                                      const void *zp, vrt__dtype zpt, void *y, int64_t n) {
    if (!stream) return VRT_EINVAL;
    if (p->mode == VRT__QUANT_BLOCKED ||
        !(qt == VRT__DT_INT8 || qt == VRT__DT_UINT8 || (dequant && qt == VRT__DT_INT32)))
        return VRT__CUK_FAIL("quant", VRT_EUNSUPPORTED, "blocked scales or a type other than int8/uint8");
    if (n <= 0) return VRT_OK;
    k_quant<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(
        dequant, qt, lo, hi, p->len, p->inner > 0 ? p->inner : 1, p->mode == VRT__QUANT_PER_AXIS, x, scale,
        zp, zpt, y, n);
    return VRT__CUK_CHECK("quant");
}

// ---- QLinearConv / ConvInteger ----

typedef struct qconv_args {
    int64_t N, C, M, G, H, W, OH, OW, KH, KW, sh, sw, dh, dw, ph, pw;
    int x_signed, w_signed, y_signed, qlinear, relu, silu, y_int32;
    int wzp_per, ws_per; // per output channel (else one value)
    int32_t lo, hi;
} qconv_args;

// One output element per thread: the exact int32 sum over the window (padding
// is the zero point, so it adds nothing and is skipped), then the CPU's
// epilogue in the same float operations.
__global__ void k_qconv(qconv_args a, const void *x, const void *w, const void *xzp, const void *wzp,
                        const float *xs, const float *ws, const float *ys, const void *yzp,
                        const int32_t *bias, void *y) {
    int64_t total = a.N * a.M * a.OH * a.OW, Cg = a.C / a.G, Mg = a.M / a.G;
    VRT__CUK_GRID_LOOP(i, total) {
        int64_t ow = i % a.OW, t = i / a.OW, oh = t % a.OH;
        t /= a.OH;
        int64_t m = t % a.M, n = t / a.M, g = m / Mg;
        int32_t zx = xzp ? ld8(xzp, a.x_signed, 0) : 0,
                zw = wzp ? ld8(wzp, a.w_signed, a.wzp_per ? m : 0) : 0;
        int32_t acc = 0;
        for (int64_t c = 0; c < Cg; c++) {
            int64_t xb = (n * a.C + g * Cg + c) * a.H * a.W, wb = (m * Cg + c) * a.KH * a.KW;
            for (int64_t kh = 0; kh < a.KH; kh++) {
                int64_t ih = oh * a.sh - a.ph + kh * a.dh;
                if (ih < 0 || ih >= a.H) continue;
                for (int64_t kw = 0; kw < a.KW; kw++) {
                    int64_t iw = ow * a.sw - a.pw + kw * a.dw;
                    if (iw < 0 || iw >= a.W) continue;
                    acc += (ld8(x, a.x_signed, xb + ih * a.W + iw) - zx) *
                           (ld8(w, a.w_signed, wb + kh * a.KW + kw) - zw);
                }
            }
        }
        if (!a.qlinear) {
            ((int32_t *)y)[i] = acc;
            continue;
        }
        int32_t v = acc + (bias ? bias[m] : 0), zy = yzp ? ld8(yzp, a.y_signed, 0) : 0;
        int32_t lo = a.relu && zy > a.lo ? zy : a.lo;
        float f;
        if (a.silu) {
            float u = __fmul_rn((float)v, __fmul_rn(xs[0], ws[a.ws_per ? m : 0]));
            f = __fmul_rn(__fdiv_rn(u, 1.0f + expf(-u)), __fdiv_rn(1.0f, ys[0]));
        } else {
            f = __fmul_rn((float)v, __fdiv_rn(__fmul_rn(xs[0], ws[a.ws_per ? m : 0]), ys[0]));
        }
        int32_t r = requant(f, zy, lo, a.hi);
        if (a.y_int32)
            ((int32_t *)y)[i] = r;
        else
            st8(y, a.y_signed, i, r);
    }
}

extern "C" vrt_status vrt__cuda_qconv(void *stream, const vrt__qconv_params *q, const void *const *in,
                                      int nin, int wzp_per, int ws_per, vrt__dtype yt, void *y) {
    if (!stream) return VRT_EINVAL;
    const vrt__conv_params *p = &q->conv;
    if (p->nsp > 2 || p->group < 1)
        return VRT__CUK_FAIL("qconv", VRT_EUNSUPPORTED, "3-D integer convolution");
    int two = p->nsp == 2;
    qconv_args a;
    a.N = p->N, a.C = p->C, a.M = p->M, a.G = p->group;
    a.H = two ? p->in[0] : 1, a.W = p->in[two];
    a.OH = two ? p->out[0] : 1, a.OW = p->out[two];
    a.KH = two ? p->k[0] : 1, a.KW = p->k[two];
    a.sh = two ? p->strides[0] : 1, a.sw = p->strides[two];
    a.dh = two ? p->dilations[0] : 1, a.dw = p->dilations[two];
    a.ph = two ? p->pads_begin[0] : 0, a.pw = p->pads_begin[two];
    a.x_signed = q->x_signed, a.w_signed = q->w_signed, a.y_signed = yt == VRT__DT_INT8;
    a.qlinear = q->qlinear, a.relu = q->relu, a.silu = q->silu, a.y_int32 = yt == VRT__DT_INT32;
    a.wzp_per = wzp_per, a.ws_per = ws_per;
    a.lo = q->lo, a.hi = q->hi;
#define IN(k) ((k) < nin ? in[k] : NULL)
    const void *x = in[0], *w, *xzp, *wzp, *yzp = NULL;
    const float *xs = NULL, *ws = NULL, *ys = NULL;
    const int32_t *b = NULL;
    if (q->qlinear) {
        xs = (const float *)IN(1), xzp = IN(2), w = IN(3), ws = (const float *)IN(4), wzp = IN(5);
        ys = (const float *)IN(6), yzp = IN(7), b = (const int32_t *)IN(8);
    } else {
        w = IN(1), xzp = IN(2), wzp = IN(3);
    }
#undef IN
    int64_t total = a.N * a.M * a.OH * a.OW;
    if (total <= 0) return VRT_OK;
    k_qconv<<<vrt__cuk_blocks(total), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(a, x, w, xzp, wzp, xs,
                                                                                      ws, ys, yzp, b, y);
    return VRT__CUK_CHECK("qconv");
}
