/*
 * VrtAttention on CUDA: one warp per query row, flash-attention style: the
 * keys in chunks of 32 (one score per lane), an online softmax across the
 * chunks (running max and sum in registers, the accumulator rescaled when
 * the max grows) and P V accumulated in registers (lane e owns output
 * columns e, e + 32, ...), so the score matrix never reaches memory and the
 * whole op is one launch. Operands are read through the strides of
 * vrt__attn_params (K^T, transposed V, heads split by a Transpose: no copy).
 * fp32 throughout, the same formulas as the CPU twin (cpu/attention.c).
 */
#include <math.h>

#include "engine/backend/cuda/attention.h"
#include "engine/backend/cuda/cuda_kernels_impl.cuh"

#define WARPS 4
#define PER (VRT__CUDA_ATTN_MAX_D / 32)
#define FULL 0xffffffffu

__device__ __forceinline__ void attn_offsets(const vrt__attn_params &p, int64_t b, int64_t off[5]) {
    off[0] = off[1] = off[2] = off[3] = off[4] = 0;
    for (int i = p.nb - 1; i >= 0; i--) {
        int64_t x = b % p.bdim[i];
        b /= p.bdim[i];
        off[0] += x * p.q[i], off[1] += x * p.k[i], off[2] += x * p.v[i];
        off[3] += x * p.o[i], off[4] += x * p.m[i];
    }
}

__device__ __forceinline__ float warp_max(float v) {
    for (int s = 16; s; s >>= 1)
        v = fmaxf(v, __shfl_xor_sync(FULL, v, s));
    return v;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int s = 16; s; s >>= 1)
        v += __shfl_xor_sync(FULL, v, s);
    return v;
}

/* Lane's score for key j (-inf past the end). */
__device__ __forceinline__ float attn_score(const vrt__attn_params &p, const float *qs, const float *kb,
                                            const float *mrow, int64_t j) {
    if (j >= p.sk) return -INFINITY;
    int nb = p.nb;
    const float *kj = kb + j * p.k[nb];
    int64_t kc = p.k[nb + 1];
    float a = 0.0f;
    for (int64_t d = 0; d < p.d; d++)
        a = fmaf(qs[d], __ldg(kj + d * kc), a);
    a *= p.scale;
    if (mrow) a += __ldg(mrow + j * p.m[nb + 1]);
    return a;
}

__global__ void __launch_bounds__(WARPS * 32)
    vrt__k_attention(vrt__attn_params p, const float *__restrict__ q, const float *__restrict__ k,
                     const float *__restrict__ v, const float *__restrict__ mask, float *__restrict__ o) {
    __shared__ float qsh[WARPS][VRT__CUDA_ATTN_MAX_D];
    int warp = threadIdx.x / 32, lane = threadIdx.x % 32, nb = p.nb;
    int64_t row = (int64_t)blockIdx.x * WARPS + warp;
    if (row >= p.batch * p.sq) return; /* whole warps leave; no block-wide barrier below */
    int64_t b = row / p.sq, i = row % p.sq, off[5];
    attn_offsets(p, b, off);
    const float *qr = q + off[0] + i * p.q[nb];
    float *qs = qsh[warp];
    for (int64_t d = lane; d < p.d; d += 32)
        qs[d] = qr[d * p.q[nb + 1]];
    __syncwarp();
    const float *kb = k + off[1], *vb = v + off[2];
    const float *mrow = p.has_mask ? mask + off[4] + i * p.m[nb] : nullptr;
    int64_t vr = p.v[nb], vc = p.v[nb + 1];
    float mx = -INFINITY, l = 0.0f, acc[PER];
#pragma unroll
    for (int t = 0; t < PER; t++)
        acc[t] = 0.0f;
    for (int64_t j0 = 0; j0 < p.sk; j0 += 32) {
        float s = attn_score(p, qs, kb, mrow, j0 + lane);
        float mnew = fmaxf(mx, warp_max(s));
        /* Everything so far masked to -inf: nothing to rescale yet. */
        float corr = mnew == -INFINITY ? 1.0f : expf(mx - mnew);
        float pj = s == -INFINITY ? 0.0f : expf(s - mnew);
        l = l * corr + warp_sum(pj);
#pragma unroll
        for (int t = 0; t < PER; t++)
            acc[t] *= corr;
        mx = mnew;
        int nk = p.sk - j0 < 32 ? (int)(p.sk - j0) : 32;
        for (int jj = 0; jj < nk; jj++) {
            float w = __shfl_sync(FULL, pj, jj);
            const float *vj = vb + (j0 + jj) * vr;
#pragma unroll
            for (int t = 0; t < PER; t++) {
                int64_t e = lane + 32 * t;
                if (e < p.dv) acc[t] = fmaf(w, __ldg(vj + e * vc), acc[t]);
            }
        }
    }
    float inv = 1.0f / l;
    float *orow = o + off[3] + i * p.o[nb];
#pragma unroll
    for (int t = 0; t < PER; t++) {
        int64_t e = lane + 32 * t;
        if (e < p.dv) orow[e * p.o[nb + 1]] = acc[t] * inv;
    }
}

extern "C" vrt_status vrt__cuda_attention(void *stream, const vrt__attn_params *p, const float *q,
                                          const float *k, const float *v, const float *mask, float *o) {
    if (!p || !q || !k || !v || !o || (p->has_mask && !mask))
        return VRT__CUK_FAIL("VrtAttention", VRT_EINVAL, "null pointers");
    if (p->d < 1 || p->d > VRT__CUDA_ATTN_MAX_D || p->dv < 1 || p->dv > VRT__CUDA_ATTN_MAX_D)
        return VRT__CUK_FAIL("VrtAttention", VRT_EUNSUPPORTED, "head dims must be 1..256");
    if (!stream)
        return VRT__CUK_FAIL("VrtAttention", VRT_EINVAL,
                             "no stream given (the default stream is not used; pass a cudaStream_t)");
    int64_t rows = p->batch * p->sq;
    if (rows == 0) return VRT_OK;
    int64_t blocks = (rows + WARPS - 1) / WARPS;
    if (blocks > 0x7fffffff) return VRT__CUK_FAIL("VrtAttention", VRT_EUNSUPPORTED, "too many query rows");
    vrt__k_attention<<<(unsigned)blocks, WARPS * 32, 0, vrt__cuk_stream(stream)>>>(*p, q, k, v, mask, o);
    return VRT__CUK_CHECK("VrtAttention");
}
