// Kernels of the fp16 row-major plan (rows_half.h): fp16 storage in the
// ONNX layout, fp32 arithmetic, one rounding to fp16 per stored value.
#include "engine/backend/cuda/rows_half.h"

#include <cuda_fp16.h>

#include "engine/backend/cuda/act.cuh"
#include "engine/backend/cuda/cuda_kernels_impl.cuh"

#define ROWS_WARPS 4 /* rows per LayerNorm block: one warp each */

static vrt_status vrt__cuk_no_stream(const char *op) {
    return VRT__CUK_FAIL(op, VRT_EINVAL,
                         "no stream given (the default stream is not used; pass a cudaStream_t)");
}

__device__ __forceinline__ float ld_h(const __half *p, int64_t i) {
    return __half2float(p[i]);
}

/* Row r's value i of LayerNorm's input: x, or fp16(a + b) for the fused residual Add. */
template <bool ADD> __device__ __forceinline__ float ln_in(const __half *a, const __half *b, int64_t i) {
    if (!ADD) return ld_h(a, i);
    return __half2float(__float2half_rn(ld_h(a, i) + ld_h(b, i)));
}

/* One warp per row: mean, then the variance around it (two passes: no
 * cancellation), then y; fp32 throughout, the input values as stored (fp16). */
template <bool ADD>
__global__ void __launch_bounds__(ROWS_WARPS * 32)
    vrt__k_layernorm_h(const __half *__restrict__ a, const __half *__restrict__ b, __half *__restrict__ y,
                       __half *__restrict__ sum, int64_t outer, int64_t inner,
                       const float *__restrict__ scale, const float *__restrict__ bias, float eps) {
    int lane = threadIdx.x & 31;
    int64_t r = (int64_t)blockIdx.x * ROWS_WARPS + (threadIdx.x >> 5);
    if (r >= outer) return; /* whole warps; no block barrier below */
    const __half *ar = a + r * inner, *br = ADD ? b + r * inner : nullptr;
    float s = 0.0f;
    for (int64_t i = lane; i < inner; i += 32)
        s += ln_in<ADD>(ar, br, i);
    for (int o = 16; o > 0; o >>= 1)
        s += __shfl_xor_sync(0xffffffffu, s, o);
    const float m = s / (float)inner;
    float q = 0.0f;
    for (int64_t i = lane; i < inner; i += 32) {
        float d = ln_in<ADD>(ar, br, i) - m;
        q += d * d;
    }
    for (int o = 16; o > 0; o >>= 1)
        q += __shfl_xor_sync(0xffffffffu, q, o);
    const float is = rsqrtf(q / (float)inner + eps);
    __half *yr = y + r * inner, *sr = ADD && sum ? sum + r * inner : nullptr;
    for (int64_t i = lane; i < inner; i += 32) {
        float v = ln_in<ADD>(ar, br, i);
        if (sr) sr[i] = __float2half_rn(v);
        float o = (v - m) * is * scale[i];
        yr[i] = __float2half_rn(bias ? o + bias[i] : o);
    }
}

extern "C" vrt_status vrt__cuda_layernorm_h(void *stream, int64_t outer, int64_t inner, const void *x,
                                            const float *scale, const float *bias, float eps, void *y) {
    if (outer < 0 || inner <= 0 || !x || !scale || !y)
        return VRT__CUK_FAIL("LayerNormalization (fp16)", VRT_EINVAL, "bad sizes or null pointers");
    if (!stream) return vrt__cuk_no_stream("LayerNormalization (fp16)");
    if (outer == 0) return VRT_OK;
    unsigned g = (unsigned)((outer + ROWS_WARPS - 1) / ROWS_WARPS);
    vrt__k_layernorm_h<false><<<g, ROWS_WARPS * 32, 0, vrt__cuk_stream(stream)>>>(
        (const __half *)x, nullptr, (__half *)y, nullptr, outer, inner, scale, bias, eps);
    return VRT__CUK_CHECK("LayerNormalization (fp16)");
}

extern "C" vrt_status vrt__cuda_add_layernorm_h(void *stream, int64_t outer, int64_t inner, const void *a,
                                                const void *b, const float *scale, const float *bias,
                                                float eps, void *y, void *sum) {
    if (outer < 0 || inner <= 0 || !a || !b || !scale || !y)
        return VRT__CUK_FAIL("VrtAddLayerNorm (fp16)", VRT_EINVAL, "bad sizes or null pointers");
    if (!stream) return vrt__cuk_no_stream("VrtAddLayerNorm (fp16)");
    if (outer == 0) return VRT_OK;
    unsigned g = (unsigned)((outer + ROWS_WARPS - 1) / ROWS_WARPS);
    vrt__k_layernorm_h<true><<<g, ROWS_WARPS * 32, 0, vrt__cuk_stream(stream)>>>(
        (const __half *)a, (const __half *)b, (__half *)y, (__half *)sum, outer, inner, scale, bias, eps);
    return VRT__CUK_CHECK("VrtAddLayerNorm (fp16)");
}

__device__ __forceinline__ float bin_apply(int op, float a, float b) {
    switch (op) {
    case VRT__BIN_ADD: return a + b;
    case VRT__BIN_SUB: return a - b;
    case VRT__BIN_MUL: return a * b;
    default: return a / b;
    }
}

/* Same shapes: one contiguous pass. */
__global__ void vrt__k_binary_h_same(int op, const __half *a, const __half *b, __half *y, int64_t n, int act,
                                     float al, float be) {
    VRT__CUK_GRID_LOOP(i, n) {
        float v = bin_apply(op, ld_h(a, i), ld_h(b, i));
        y[i] = __float2half_rn(vrt__cuk_act(v, act, al, be));
    }
}

__global__ void vrt__k_binary_h(int op, const __half *a, const __half *b, __half *y, int64_t n,
                                vrt__cuk_bc<2> bc, int act, float al, float be) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t off[2];
        vrt__cuk_bc_offsets<2>(bc, 2, i, off);
        float v = bin_apply(op, ld_h(a, off[0]), ld_h(b, off[1]));
        y[i] = __float2half_rn(vrt__cuk_act(v, act, al, be));
    }
}

extern "C" vrt_status vrt__cuda_binary_h(void *stream, vrt__binary_op op, const void *a, const vrt__shape *sa,
                                         const void *b, const vrt__shape *sb, void *y, const vrt__shape *sy,
                                         const vrt__activation *act) {
    if (!a || !b || !y || !sa || !sb || !sy ||
        (op != VRT__BIN_ADD && op != VRT__BIN_SUB && op != VRT__BIN_MUL && op != VRT__BIN_DIV))
        return VRT__CUK_FAIL("binary (fp16)", VRT_EINVAL, "bad operands or op");
    if (!stream) return vrt__cuk_no_stream("binary (fp16)");
    int64_t n = vrt__shape_numel(sy);
    if (n == 0) return VRT_OK;
    int ak = act ? (int)act->kind : (int)VRT__ACT_NONE;
    float al = act ? act->alpha : 0.0f, be = act ? act->beta : 0.0f;
    cudaStream_t s = vrt__cuk_stream(stream);
    if (vrt__op_same_shape(sa, sy) && vrt__op_same_shape(sb, sy)) {
        vrt__k_binary_h_same<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, s>>>(
            (int)op, (const __half *)a, (const __half *)b, (__half *)y, n, ak, al, be);
        return VRT__CUK_CHECK("binary (fp16)");
    }
    vrt__cuk_bc<2> bc;
    const vrt__shape *ins[2] = {sa, sb};
    if (vrt__cuk_bc_make<2>(&bc, sy, 2, ins))
        return VRT__CUK_FAIL("binary (fp16)", VRT_EINVAL, "shapes do not broadcast");
    vrt__k_binary_h<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, s>>>(
        (int)op, (const __half *)a, (const __half *)b, (__half *)y, n, bc, ak, al, be);
    return VRT__CUK_CHECK("binary (fp16)");
}

__global__ void vrt__k_act_h(const __half *x, __half *y, int64_t n, int act, float al, float be) {
    VRT__CUK_GRID_LOOP(i, n) {
        y[i] = __float2half_rn(vrt__cuk_act(ld_h(x, i), act, al, be));
    }
}

extern "C" vrt_status vrt__cuda_act_h(void *stream, const void *x, void *y, int64_t n,
                                      const vrt__activation *act) {
    if (!x || !y || !act || n < 0) return VRT__CUK_FAIL("activation (fp16)", VRT_EINVAL, "bad operands");
    if (!stream) return vrt__cuk_no_stream("activation (fp16)");
    if (n == 0 || act->kind == VRT__ACT_NONE) return VRT_OK;
    vrt__k_act_h<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(
        (const __half *)x, (__half *)y, n, (int)act->kind, act->alpha, act->beta);
    return VRT__CUK_CHECK("activation (fp16)");
}
