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
    /* nan_zero: a row whose softmax is NaN (all -inf, or a NaN score) gives 0 (the CPU twin's rule). */
    const bool zero = p.nan_zero && !(l > 0.0f);
    float *orow = o + off[3] + i * p.o[nb];
#pragma unroll
    for (int t = 0; t < PER; t++) {
        int64_t e = lane + 32 * t;
        if (e < p.dv) orow[e * p.o[nb + 1]] = zero ? 0.0f : acc[t] * inv;
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

/* ---- tensor cores (fp16 math) ----
 * Flash-attention on mma.sync m16n8k16 (fp16 operands, fp32 accumulation):
 * a CTA of TC_WARPS warps takes TC_BM = 16 * TC_WARPS query rows of one batch
 * entry, each warp 16 of them with its Q fragments in registers; the keys
 * go by in tiles of TC_BN: K and V^T tiles are converted to fp16 in shared
 * memory (rows padded by 8 halves: the fragment reads hit 32 distinct
 * banks), S = Q K^T of the warp's 16 rows x TC_BN keys stays in registers,
 * the online softmax (base 2: the scale and the mask multiplied by log2 e)
 * rescales the output accumulator when a row's max grows, and P goes
 * straight from S's accumulator layout into the A operand of O += P V (the
 * m16n8 C fragments of two key columns are the m16k16 A fragment). Q/K rows
 * past the end and head columns past d are zeros; keys past sk score -inf.
 * Head dims are padded to D, DV (32 or 64). Operands through the strides of
 * vrt__attn_params, as the fp32 kernel. */

#include <cuda_fp16.h>

#define TC_WARPS 4
#define TC_BM (16 * TC_WARPS)
#define TC_BN 64
#define TC_LOG2E 1.4426950408889634f

template <typename T> __device__ __forceinline__ float tc_ld(const T *p);
template <> __device__ __forceinline__ float tc_ld<float>(const float *p) {
    return __ldg(p);
}
template <> __device__ __forceinline__ float tc_ld<__half>(const __half *p) {
    return __half2float(__ldg(p));
}
template <typename T> __device__ __forceinline__ void tc_st(T *p, float v);
template <> __device__ __forceinline__ void tc_st<float>(float *p, float v) {
    *p = v;
}
template <> __device__ __forceinline__ void tc_st<__half>(__half *p, float v) {
    *p = __float2half_rn(v);
}

__device__ __forceinline__ uint32_t tc_pack(float lo, float hi) {
    __half2 h = __floats2half2_rn(lo, hi); /* lo in the low 16 bits: the lower index */
    return *reinterpret_cast<uint32_t *>(&h);
}

__device__ __forceinline__ uint32_t tc_lds(const __half *p) {
    return *reinterpret_cast<const uint32_t *>(p);
}

__device__ __forceinline__ void tc_mma(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
                 "{%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* rows x cols of a strided operand (rows from r0, valid below nr x nc) into
 * shared fp16, row-major with leading dimension ld, or transposed (dst[c][r])
 * when TR. Columns vary fastest over the threads: coalesced when the
 * operand's column stride is 1. */
template <typename T, int ROWS, int COLS, bool TR>
__device__ __forceinline__ void tc_tile(__half *dst, int ld, const T *src, int64_t rs, int64_t cs, int64_t r0,
                                        int64_t nr, int64_t nc, int tid) {
    for (int e = tid; e < ROWS * COLS; e += TC_WARPS * 32) {
        int r = e / COLS, c = e % COLS;
        float x = r0 + r < nr && c < nc ? tc_ld(src + (r0 + r) * rs + c * cs) : 0.0f;
        dst[TR ? c * ld + r : r * ld + c] = __float2half_rn(x);
    }
}

/* S = Q K^T for the warp's 16 rows x TC_BN keys (ks: keys x D). */
template <int D>
__device__ __forceinline__ void tc_scores(float s[TC_BN / 8][4], const uint32_t qa[D / 16][4],
                                          const __half *ks, int g, int t4) {
#pragma unroll
    for (int nt = 0; nt < TC_BN / 8; nt++) {
        s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < D / 16; kk++) {
            const __half *kr = ks + (nt * 8 + g) * (D + 8) + kk * 16 + 2 * t4;
            tc_mma(s[nt], qa[kk], tc_lds(kr), tc_lds(kr + 8));
        }
    }
}

template <typename T, typename TO, int D, int DV>
__global__ void __launch_bounds__(TC_WARPS * 32)
    vrt__k_attention_tc(vrt__attn_params p, const T *__restrict__ q, const T *__restrict__ k,
                        const T *__restrict__ v, const float *__restrict__ mask, TO *__restrict__ o) {
    constexpr int LQ = D + 8, LK = D + 8, LV = TC_BN + 8;
    __shared__ __align__(16) __half qs[TC_BM * LQ];
    __shared__ __align__(16) __half ks[TC_BN * LK];
    __shared__ __align__(16) __half vts[DV * LV]; /* V^T: [dv][key] */
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane >> 2, t4 = lane & 3, nb = p.nb;
    const int64_t i0 = (int64_t)blockIdx.x * TC_BM;
    int64_t off[5];
    attn_offsets(p, blockIdx.y, off);
    const T *kb = k + off[1], *vb = v + off[2];
    tc_tile<T, TC_BM, D, false>(qs, LQ, q + off[0], p.q[nb], p.q[nb + 1], i0, p.sq, p.d, tid);
    __syncthreads();
    uint32_t qa[D / 16][4];
    const __half *qw = qs + warp * 16 * LQ;
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
        qa[kk][0] = tc_lds(qw + g * LQ + kk * 16 + 2 * t4);
        qa[kk][1] = tc_lds(qw + (g + 8) * LQ + kk * 16 + 2 * t4);
        qa[kk][2] = tc_lds(qw + g * LQ + kk * 16 + 8 + 2 * t4);
        qa[kk][3] = tc_lds(qw + (g + 8) * LQ + kk * 16 + 8 + 2 * t4);
    }
    const int64_t r0 = i0 + warp * 16 + g, r1 = r0 + 8; /* this thread's two rows */
    const float *m0p = p.has_mask && r0 < p.sq ? mask + off[4] + r0 * p.m[nb] : nullptr;
    const float *m1p = p.has_mask && r1 < p.sq ? mask + off[4] + r1 * p.m[nb] : nullptr;
    const int64_t mc = p.m[nb + 1];
    const float sl2 = p.scale * TC_LOG2E;
    float oacc[DV / 8][4], mx0 = -INFINITY, mx1 = -INFINITY, l0 = 0.0f, l1 = 0.0f;
#pragma unroll
    for (int dt = 0; dt < DV / 8; dt++)
        oacc[dt][0] = oacc[dt][1] = oacc[dt][2] = oacc[dt][3] = 0.0f;
    for (int64_t j0 = 0; j0 < p.sk; j0 += TC_BN) {
        __syncthreads(); /* every warp is done with the previous tile */
        tc_tile<T, TC_BN, D, false>(ks, LK, kb, p.k[nb], p.k[nb + 1], j0, p.sk, p.d, tid);
        tc_tile<T, TC_BN, DV, true>(vts, LV, vb, p.v[nb], p.v[nb + 1], j0, p.sk, p.dv, tid);
        __syncthreads();
        float s[TC_BN / 8][4];
        tc_scores<D>(s, qa, ks, g, t4);
        float n0 = mx0, n1 = mx1;
#pragma unroll
        for (int nt = 0; nt < TC_BN / 8; nt++)
#pragma unroll
            for (int h = 0; h < 2; h++) {
                int64_t j = j0 + nt * 8 + 2 * t4 + h;
                float a0 = s[nt][h] * sl2, a1 = s[nt][2 + h] * sl2;
                if (j >= p.sk) {
                    a0 = a1 = -INFINITY;
                } else {
                    if (m0p) a0 += __ldg(m0p + j * mc) * TC_LOG2E;
                    if (m1p) a1 += __ldg(m1p + j * mc) * TC_LOG2E;
                }
                s[nt][h] = a0, s[nt][2 + h] = a1;
                n0 = fmaxf(n0, a0), n1 = fmaxf(n1, a1);
            }
        /* The four threads of a quad hold one row's columns. */
        n0 = fmaxf(n0, __shfl_xor_sync(FULL, n0, 1)), n0 = fmaxf(n0, __shfl_xor_sync(FULL, n0, 2));
        n1 = fmaxf(n1, __shfl_xor_sync(FULL, n1, 1)), n1 = fmaxf(n1, __shfl_xor_sync(FULL, n1, 2));
        /* A row masked to -inf so far has nothing to rescale (and -inf - -inf is NaN). */
        float c0 = n0 == -INFINITY ? 1.0f : exp2f(mx0 - n0), c1 = n1 == -INFINITY ? 1.0f : exp2f(mx1 - n1);
        mx0 = n0, mx1 = n1;
        l0 *= c0, l1 *= c1;
#pragma unroll
        for (int dt = 0; dt < DV / 8; dt++)
            oacc[dt][0] *= c0, oacc[dt][1] *= c0, oacc[dt][2] *= c1, oacc[dt][3] *= c1;
#pragma unroll
        for (int nt = 0; nt < TC_BN / 8; nt++)
#pragma unroll
            for (int h = 0; h < 2; h++) {
                float p0 = n0 == -INFINITY ? 0.0f : exp2f(s[nt][h] - n0);
                float p1 = n1 == -INFINITY ? 0.0f : exp2f(s[nt][2 + h] - n1);
                s[nt][h] = p0, s[nt][2 + h] = p1;
                l0 += p0, l1 += p1;
            }
#pragma unroll
        for (int kj = 0; kj < TC_BN / 16; kj++) {
            const uint32_t pa[4] = {tc_pack(s[2 * kj][0], s[2 * kj][1]), tc_pack(s[2 * kj][2], s[2 * kj][3]),
                                    tc_pack(s[2 * kj + 1][0], s[2 * kj + 1][1]),
                                    tc_pack(s[2 * kj + 1][2], s[2 * kj + 1][3])};
#pragma unroll
            for (int dt = 0; dt < DV / 8; dt++) {
                const __half *vr = vts + (dt * 8 + g) * LV + kj * 16 + 2 * t4;
                tc_mma(oacc[dt], pa, tc_lds(vr), tc_lds(vr + 8));
            }
        }
    }
    l0 += __shfl_xor_sync(FULL, l0, 1), l0 += __shfl_xor_sync(FULL, l0, 2);
    l1 += __shfl_xor_sync(FULL, l1, 1), l1 += __shfl_xor_sync(FULL, l1, 2);
    const float inv0 = 1.0f / l0, inv1 = 1.0f / l1;
    const bool z0 = p.nan_zero && !(l0 > 0.0f), z1 = p.nan_zero && !(l1 > 0.0f); /* as the fp32 kernel */
    TO *ob = o + off[3];
    const int64_t orr = p.o[nb], oc = p.o[nb + 1];
#pragma unroll
    for (int dt = 0; dt < DV / 8; dt++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int64_t e = dt * 8 + 2 * t4 + h;
            if (e >= p.dv) continue;
            if (r0 < p.sq) tc_st(ob + r0 * orr + e * oc, z0 ? 0.0f : oacc[dt][h] * inv0);
            if (r1 < p.sq) tc_st(ob + r1 * orr + e * oc, z1 ? 0.0f : oacc[dt][2 + h] * inv1);
        }
}

extern "C" int vrt__cuda_attention_tc_ok(const vrt__attn_params *p) {
    return p && p->d >= 1 && p->d <= 64 && p->dv >= 1 && p->dv <= 64 && p->batch <= 65535;
}

template <typename T, typename TO>
static void tc_launch(cudaStream_t s, dim3 grid, const vrt__attn_params *p, const void *q, const void *k,
                      const void *v, const float *mask, void *o) {
    const T *qt = (const T *)q, *kt = (const T *)k, *vt = (const T *)v;
    TO *ot = (TO *)o;
    dim3 blk(TC_WARPS * 32);
    if (p->d <= 32 && p->dv <= 32)
        vrt__k_attention_tc<T, TO, 32, 32><<<grid, blk, 0, s>>>(*p, qt, kt, vt, mask, ot);
    else if (p->d <= 32)
        vrt__k_attention_tc<T, TO, 32, 64><<<grid, blk, 0, s>>>(*p, qt, kt, vt, mask, ot);
    else if (p->dv <= 32)
        vrt__k_attention_tc<T, TO, 64, 32><<<grid, blk, 0, s>>>(*p, qt, kt, vt, mask, ot);
    else
        vrt__k_attention_tc<T, TO, 64, 64><<<grid, blk, 0, s>>>(*p, qt, kt, vt, mask, ot);
}

extern "C" vrt_status vrt__cuda_attention_tc(void *stream, const vrt__attn_params *p, vrt__dtype in_type,
                                             const void *q, const void *k, const void *v, const float *mask,
                                             vrt__dtype out_type, void *o) {
    if (!p || !q || !k || !v || !o || (p->has_mask && !mask))
        return VRT__CUK_FAIL("VrtAttention", VRT_EINVAL, "null pointers");
    if (!vrt__cuda_attention_tc_ok(p))
        return VRT__CUK_FAIL("VrtAttention", VRT_EUNSUPPORTED,
                             "the tensor-core kernel takes head dims 1..64 and at most 65535 batch entries");
    int ih = in_type == VRT__DT_FLOAT16, oh = out_type == VRT__DT_FLOAT16;
    if ((!ih && in_type != VRT__DT_FLOAT) || (!oh && out_type != VRT__DT_FLOAT))
        return VRT__CUK_FAIL("VrtAttention", VRT_EUNSUPPORTED, "operands must be float32 or float16");
    if (!stream)
        return VRT__CUK_FAIL("VrtAttention", VRT_EINVAL,
                             "no stream given (the default stream is not used; pass a cudaStream_t)");
    if (p->batch == 0 || p->sq == 0) return VRT_OK;
    int64_t bx = (p->sq + TC_BM - 1) / TC_BM;
    if (bx > 0x7fffffff) return VRT__CUK_FAIL("VrtAttention", VRT_EUNSUPPORTED, "too many query rows");
    dim3 grid((unsigned)bx, (unsigned)p->batch);
    cudaStream_t s = vrt__cuk_stream(stream);
    if (ih && oh)
        tc_launch<__half, __half>(s, grid, p, q, k, v, mask, o);
    else if (ih)
        tc_launch<__half, float>(s, grid, p, q, k, v, mask, o);
    else if (oh)
        tc_launch<float, __half>(s, grid, p, q, k, v, mask, o);
    else
        tc_launch<float, float>(s, grid, p, q, k, v, mask, o);
    return VRT__CUK_CHECK("VrtAttention");
}
