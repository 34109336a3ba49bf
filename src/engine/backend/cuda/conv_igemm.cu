// Our own convolution for fp16 NHWC storage: an implicit GEMM on tensor cores
// (WMMA 16x16x16, fp16 operands, fp32 accumulation) with the whole epilogue
// fused: y = act(conv(x, w) + bias (+ res)) (+ res when res_post), written at a
// channel offset of a wider NHWC tensor (out_ld channels per pixel) so that a
// Concat's inputs can be produced in place.
//
// GEMM view: rows = output pixels P = N*OH*OW, columns = output channels M,
// reduction K = KH*KW*C in the weight's KRSC order (k = (ky*KW + kx)*C + c).
// A CTA computes a BM x BN tile, stepping K by 32: the next A/B tiles are
// loaded into registers while the tensor cores work on the current ones in
// shared memory. A rows are gathered from x (zeros for padding); with C a
// multiple of 8 every 8-wide chunk of k is one 16-byte load, otherwise the
// loads are scalar. The tile shapes (configs) are chosen per conv by timing
// at prepare (backend_cuda.c), against cuDNN.
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>
#include <stdio.h>
#include <string.h>

#include "engine/backend/cuda/act.cuh"
#include "engine/backend/cuda/conv_igemm.h"
#include "engine/backend/cuda/pdl.cuh"

using namespace nvcuda;

namespace {

struct igemm_args {
    const __half *x, *w, *bias, *res;
    __half *y;
    int N, H, W, C, OH, OW, M, KH, KW, SH, SW, PH, PW, DH, DW;
    int K, P, out_ld, out_off, res_post, pairs, kind;
    int in_f32, out_f32, res_f32; // fp32 NCHW instead of fp16 NHWC (conversions fused)
    float al, be;
    // Focus (space-to-depth by strided slices) read in the gather: x is the
    // fp32 NCHW tensor the slices cut (C / 4 channels, 2H x 2W); channel c of
    // the conv's input is channel c % fc0 of slice q = c / fc0, at (2y + qy, 2x + qx).
    int focus, fc0, qy[4], qx[4];
    // Depthwise conv before a 1x1 one (k_dwpw): x, the geometry fields and C describe the
    // depthwise conv (KRSC weights dww [C][KH][KW], bias dwb, activation dkind); K = C.
    const __half *dww, *dwb;
    int dkind;
    float dal, dbe;
};

constexpr int BK = 32;      // k per shared-memory tile
constexpr int LDS = BK + 8; // padded row (halves): 80 bytes, keeps WMMA loads off one bank

// Pixel -> (image base offset, top-left input coordinate) for the A gather.
struct row_src {
    long long base; // offset of image n in x (elements)
    int iy0, ix0;
    bool ok;
};

__device__ __forceinline__ row_src row_of(const igemm_args &a, int p) {
    row_src r;
    r.ok = p < a.P;
    int q = r.ok ? p : 0;
    int ox = q % a.OW, t = q / a.OW, oy = t % a.OH, n = t / a.OH;
    r.base = (long long)n * a.H * a.W * a.C;
    r.iy0 = oy * a.SH - a.PH;
    r.ix0 = ox * a.SW - a.PW;
    return r;
}

// One element of A (scalar path); F32: x is fp32 NCHW (the layout conversion fused into the gather).
template <bool F32> __device__ __forceinline__ __half a_elem(const igemm_args &a, const row_src &r, int k) {
    if (!r.ok || k >= a.K) return __float2half(0.0f);
    int c = k % a.C, rs = k / a.C, kx = rs % a.KW, ky = rs / a.KW;
    int iy = r.iy0 + ky * a.DH, ix = r.ix0 + kx * a.DW;
    if (iy < 0 || iy >= a.H || ix < 0 || ix >= a.W) return __float2half(0.0f);
    if (F32 && a.focus) {
        int q = c / a.fc0, c0 = c - q * a.fc0;
        return __float2half_rn(
            ((const float *)
                 a.x)[r.base + ((long long)c0 * 2 * a.H + 2 * iy + a.qy[q]) * 2 * a.W + 2 * ix + a.qx[q]]);
    }
    if (F32) return __float2half_rn(((const float *)a.x)[r.base + ((long long)c * a.H + iy) * a.W + ix]);
    return a.x[r.base + ((long long)iy * a.W + ix) * a.C + c];
}

// 8 consecutive k of A as one 16-byte vector (C % 8 == 0, so the chunk stays in one (ky, kx)).
template <bool ONE>
__device__ __forceinline__ uint4 a_vec(const igemm_args &a, const row_src &r, int p, int k) {
    uint4 z = make_uint4(0, 0, 0, 0);
    if (!r.ok || k >= a.K) return z;
    if (ONE) return *(const uint4 *)(a.x + (long long)p * a.C + k); // 1x1, stride 1, no pad
    int c = k % a.C, rs = k / a.C, kx = rs % a.KW, ky = rs / a.KW;
    int iy = r.iy0 + ky * a.DH, ix = r.ix0 + kx * a.DW;
    if (iy < 0 || iy >= a.H || ix < 0 || ix >= a.W) return z;
    return *(const uint4 *)(a.x + r.base + ((long long)iy * a.W + ix) * a.C + c);
}

// The epilogue of k_igemm, from the fp32 tile Cs (BM x BN, row stride LDC)
// and the staged bias: y = act(acc + bias (+ res)) (+ res when res_post).

// fp32 NCHW output (the layout conversion fused): pixels fastest, so stores coalesce.
template <int BM, int BN, int NT, int LDC>
__device__ __forceinline__ void store_f32(const igemm_args &a, const float *Cs, const float *sbias, int p0,
                                          int m0, int tid) {
    const int ohw = a.OH * a.OW;
    float *yf = (float *)a.y;
    for (int e = tid; e < BM * BN; e += NT) {
        int r = e % BM, col = e / BM, p = p0 + r, m = m0 + col;
        if (p >= a.P || m >= a.M) continue;
        int n = p / ohw, pix = p - n * ohw;
        float v = Cs[r * LDC + col] + sbias[col], rv = 0.0f;
        if (a.res)
            rv = a.res_f32 ? ((const float *)a.res)[((long long)n * a.M + m) * ohw + pix]
                           : __half2float(a.res[(long long)p * a.M + m]);
        if (!a.res_post) v += rv;
        v = vrt__cuk_act(v, a.kind, a.al, a.be);
        if (a.res_post) v += rv;
        yf[((long long)n * a.out_ld + a.out_off + m) * ohw + pix] = v;
    }
}

// fp16 NHWC output, 8 channels (one 16-byte store) per thread and step (the
// placement allows it: pairs == 2); NT * 8 is a multiple of BN.
template <int BM, int BN, int NT, int LDC>
__device__ __forceinline__ void store_h8(const igemm_args &a, const float *Cs, const float *sbias, int p0,
                                         int m0, int tid) {
    for (int e = tid * 8; e < BM * BN; e += NT * 8) {
        int r = e / BN, col = e % BN, p = p0 + r, m = m0 + col;
        if (p >= a.P || m >= a.M) continue; // M % 8 == 0: all 8 channels exist
        float v[8];
#pragma unroll
        for (int j = 0; j < 8; j++)
            v[j] = Cs[r * LDC + col + j] + sbias[col + j];
        if (a.res) {
            union {
                uint4 u;
                __half2 h[4];
            } rr;
            rr.u = *(const uint4 *)(a.res + (long long)p * a.M + m);
#pragma unroll
            for (int j = 0; j < 4; j++) {
                float2 f = __half22float2(rr.h[j]);
                if (a.res_post) {
                    v[2 * j] = vrt__cuk_act_fast(v[2 * j], a.kind, a.al, a.be) + f.x;
                    v[2 * j + 1] = vrt__cuk_act_fast(v[2 * j + 1], a.kind, a.al, a.be) + f.y;
                } else {
                    v[2 * j] = vrt__cuk_act_fast(v[2 * j] + f.x, a.kind, a.al, a.be);
                    v[2 * j + 1] = vrt__cuk_act_fast(v[2 * j + 1] + f.y, a.kind, a.al, a.be);
                }
            }
        } else {
#pragma unroll
            for (int j = 0; j < 8; j++)
                v[j] = vrt__cuk_act_fast(v[j], a.kind, a.al, a.be);
        }
        union {
            uint4 u;
            __half2 h[4];
        } o;
#pragma unroll
        for (int j = 0; j < 4; j++)
            o.h[j] = __floats2half2_rn(v[2 * j], v[2 * j + 1]);
        *(uint4 *)(a.y + (long long)p * a.out_ld + a.out_off + m) = o.u;
    }
}

// fp16 NHWC output, channel pairs (one __half2 store when aligned).
template <int BM, int BN, int NT, int LDC>
__device__ __forceinline__ void store_h2(const igemm_args &a, const float *Cs, const float *sbias, int p0,
                                         int m0, int tid) {
    for (int e = tid * 2; e < BM * BN; e += NT * 2) {
        int r = e / BN, col = e % BN, p = p0 + r, m = m0 + col;
        if (p >= a.P || m >= a.M) continue;
        bool two = m + 1 < a.M;
        float v0 = Cs[r * LDC + col] + sbias[col], v1 = two ? Cs[r * LDC + col + 1] + sbias[col + 1] : 0.0f;
        float r0 = 0.0f, r1 = 0.0f;
        if (a.res) {
            if (a.res_f32) {
                const int ohw = a.OH * a.OW, n = p / ohw, pix = p - n * ohw;
                const float *rf = (const float *)a.res + ((long long)n * a.M + m) * ohw + pix;
                r0 = rf[0];
                if (two) r1 = rf[ohw];
            } else {
                const __half *rp = a.res + (long long)p * a.M + m;
                r0 = __half2float(rp[0]);
                if (two) r1 = __half2float(rp[1]);
            }
        }
        if (!a.res_post) v0 += r0, v1 += r1;
        v0 = vrt__cuk_act_fast(v0, a.kind, a.al, a.be);
        v1 = vrt__cuk_act_fast(v1, a.kind, a.al, a.be);
        if (a.res_post) v0 += r0, v1 += r1;
        __half *yp = a.y + (long long)p * a.out_ld + a.out_off + m;
        if (two && a.pairs) {
            *(__half2 *)yp = __floats2half2_rn(v0, v1);
        } else {
            yp[0] = __float2half_rn(v0);
            if (two) yp[1] = __float2half_rn(v1);
        }
    }
}

template <int BM, int BN, int WGM, int WGN, bool VEC, bool ONE, bool F32>
__global__ void __launch_bounds__(WGM *WGN * 32) k_igemm(igemm_args a) {
    constexpr int NT = WGM * WGN * 32;
    constexpr int WTM = BM / WGM, WTN = BN / WGN; // warp tile
    constexpr int FM = WTM / 16, FN = WTN / 16;
    constexpr int CPR = BK / 8; // 16-byte chunks per tile row
    constexpr int ACH = BM * CPR / NT, BCH = BN * CPR / NT;
    constexpr int LDC = BN + 4;
    constexpr int SAB = (BM + BN) * LDS * 2, SC = BM * LDC * 4;
    static_assert(ACH >= 1 && BCH >= 1 && ACH * NT == BM * CPR && BCH * NT == BN * CPR,
                  "tile / thread mismatch");
    static_assert(FM >= 1 && FN >= 1, "warp tile");
    __shared__ __align__(128) unsigned char smem[SAB > SC ? SAB : SC];
    __shared__ float sbias[BN];
    __half *As = (__half *)smem, *Bs = As + BM * LDS;
    float *Cs = (float *)smem;

    vrt__pdl_enter();
    const int tid = threadIdx.x, warp = tid / 32, wm = warp / WGN, wn = warp % WGN;
    const int p0 = blockIdx.x * BM, m0 = blockIdx.y * BN;
    const int ntiles = (a.K + BK - 1) / BK;

    // The A rows and B rows this thread loads (fixed over k).
    row_src ar[ACH];
    int arow[ACH], akc[ACH];
#pragma unroll
    for (int i = 0; i < ACH; i++) {
        int ch = tid + i * NT;
        arow[i] = ch / CPR, akc[i] = (ch % CPR) * 8;
        ar[i] = row_of(a, p0 + arow[i]);
    }
    int brow[BCH], bkc[BCH];
#pragma unroll
    for (int i = 0; i < BCH; i++) {
        int ch = tid + i * NT;
        brow[i] = ch / CPR, bkc[i] = (ch % CPR) * 8;
    }

    // Bias of this tile's columns, staged once (visible after the first barrier).
    for (int j = tid; j < BN; j += NT)
        sbias[j] = (a.bias && m0 + j < a.M) ? __half2float(a.bias[m0 + j]) : 0.0f;

    uint4 ra[ACH], rb[BCH];
    auto load = [&](int kt) {
        int k0 = kt * BK;
#pragma unroll
        for (int i = 0; i < ACH; i++) {
            int k = k0 + akc[i];
            if (VEC) {
                ra[i] = a_vec<ONE>(a, ar[i], p0 + arow[i], k);
            } else {
                union {
                    uint4 v;
                    __half h[8];
                } u;
#pragma unroll
                for (int j = 0; j < 8; j++)
                    u.h[j] = a_elem<F32>(a, ar[i], k + j);
                ra[i] = u.v;
            }
        }
#pragma unroll
        for (int i = 0; i < BCH; i++) {
            int m = m0 + brow[i], k = k0 + bkc[i];
            if (VEC) {
                rb[i] = (m < a.M && k < a.K) ? *(const uint4 *)(a.w + (long long)m * a.K + k)
                                             : make_uint4(0, 0, 0, 0);
            } else {
                union {
                    uint4 v;
                    __half h[8];
                } u;
#pragma unroll
                for (int j = 0; j < 8; j++)
                    u.h[j] = (m < a.M && k + j < a.K) ? a.w[(long long)m * a.K + k + j] : __float2half(0.0f);
                rb[i] = u.v;
            }
        }
    };
    auto store = [&]() {
#pragma unroll
        for (int i = 0; i < ACH; i++)
            *(uint4 *)(As + arow[i] * LDS + akc[i]) = ra[i];
#pragma unroll
        for (int i = 0; i < BCH; i++)
            *(uint4 *)(Bs + brow[i] * LDS + bkc[i]) = rb[i];
    };

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
#pragma unroll
    for (int i = 0; i < FM; i++)
#pragma unroll
        for (int j = 0; j < FN; j++)
            wmma::fill_fragment(acc[i][j], 0.0f);

    load(0);
    store();
    __syncthreads();
    for (int kt = 0; kt < ntiles; kt++) {
        if (kt + 1 < ntiles) load(kt + 1);
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa[FM];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb[FN];
#pragma unroll
            for (int i = 0; i < FM; i++)
                wmma::load_matrix_sync(fa[i], As + (wm * WTM + i * 16) * LDS + kk, LDS);
#pragma unroll
            for (int j = 0; j < FN; j++)
                wmma::load_matrix_sync(fb[j], Bs + (wn * WTN + j * 16) * LDS + kk, LDS);
#pragma unroll
            for (int i = 0; i < FM; i++)
#pragma unroll
                for (int j = 0; j < FN; j++)
                    wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
        if (kt + 1 < ntiles) {
            store();
            __syncthreads();
        }
    }
    // Epilogue through shared memory (the A/B tiles are dead now).
#pragma unroll
    for (int i = 0; i < FM; i++)
#pragma unroll
        for (int j = 0; j < FN; j++)
            wmma::store_matrix_sync(Cs + (wm * WTM + i * 16) * LDC + wn * WTN + j * 16, acc[i][j], LDC,
                                    wmma::mem_row_major);
    __syncthreads();
    if (a.out_f32)
        store_f32<BM, BN, NT, LDC>(a, Cs, sbias, p0, m0, tid);
    else if (a.pairs == 2)
        store_h8<BM, BN, NT, LDC>(a, Cs, sbias, p0, m0, tid);
    else
        store_h2<BM, BN, NT, LDC>(a, Cs, sbias, p0, m0, tid);
}

// ---- depthwise conv + the 1x1 conv after it, in one kernel ----
// A CTA takes BM output pixels: first the depthwise output of those pixels
// for every channel (fp32 sums over the taps in the order of the unfused
// depthwise kernel, its bias and activation, rounded to fp16 as the unfused
// path stores it) into shared memory, once; then the 1x1 conv as a GEMM of
// that [BM x C] tile with the [C x M] weights, BN output channels at a time,
// each with the igemm epilogue. The depthwise output never goes to memory
// and the pair is one launch. C <= DWPW_CMAX, C % 16 == 0, at most 9 taps.
constexpr int DWPW_CMAX = 256;

template <int BM>
__device__ __forceinline__ void dw_tile(const igemm_args &a, __half *As, int lda, int ck, const __half *Wd,
                                        const float *sdb, int p0, int tid, int nt) {
    const int cv = ck / 8, ohw = a.OH * a.OW;
    for (int e = tid; e < BM * cv; e += nt) {
        int r = e / cv, c = (e - r * cv) * 8, p = p0 + r;
        union {
            uint4 u;
            __half2 h[4];
        } o;
        o.u = make_uint4(0, 0, 0, 0);
        if (p < a.P && c < a.C) {
            int n = p / ohw, q = p - n * ohw, oy = q / a.OW, ox = q - oy * a.OW;
            int iy0 = oy * a.SH - a.PH, ix0 = ox * a.SW - a.PW;
            const __half *xn = a.x + (long long)n * a.H * a.W * a.C;
            float acc[8];
#pragma unroll
            for (int j = 0; j < 8; j++)
                acc[j] = 0.0f;
            for (int ky = 0; ky < a.KH; ky++) {
                int iy = iy0 + ky * a.DH;
                if (iy < 0 || iy >= a.H) continue;
                for (int kx = 0; kx < a.KW; kx++) {
                    int ix = ix0 + kx * a.DW;
                    if (ix < 0 || ix >= a.W) continue;
                    union {
                        uint4 u;
                        __half2 h[4];
                    } xv, wv;
                    xv.u = *(const uint4 *)(xn + ((long long)iy * a.W + ix) * a.C + c);
                    wv.u = *(const uint4 *)(Wd + (ky * a.KW + kx) * a.C + c);
#pragma unroll
                    for (int j = 0; j < 4; j++) {
                        float2 xf = __half22float2(xv.h[j]), wf = __half22float2(wv.h[j]);
                        acc[2 * j] += xf.x * wf.x;
                        acc[2 * j + 1] += xf.y * wf.y;
                    }
                }
            }
#pragma unroll
            for (int j = 0; j < 4; j++)
                o.h[j] = __floats2half2_rn(
                    vrt__cuk_act_fast(acc[2 * j] + sdb[c + 2 * j], a.dkind, a.dal, a.dbe),
                    vrt__cuk_act_fast(acc[2 * j + 1] + sdb[c + 2 * j + 1], a.dkind, a.dal, a.dbe));
        }
        *(uint4 *)(As + r * lda + c) = o.u;
    }
}

template <int BM, int BN, int WGM, int WGN>
__global__ void __launch_bounds__(WGM *WGN * 32) k_dwpw(igemm_args a) {
    constexpr int NT = WGM * WGN * 32;
    constexpr int WTM = BM / WGM, WTN = BN / WGN;
    constexpr int FM = WTM / 16, FN = WTN / 16;
    constexpr int CPR = BK / 8, BCH = BN * CPR / NT, LDC = BN + 4, LDA = DWPW_CMAX + 8;
    static_assert(BCH >= 1 && BCH * NT == BN * CPR && FM >= 1 && FN >= 1, "tile / thread mismatch");
    __shared__ __align__(128) __half As[BM * LDA];
    __shared__ __align__(128) __half Bs[BN * LDS];
    __shared__ __align__(128) float Cs[BM * LDC];
    __shared__ __align__(16) __half Wd[9 * DWPW_CMAX];
    __shared__ float sdb[DWPW_CMAX], sbias[BN];

    vrt__pdl_enter();
    const int tid = threadIdx.x, warp = tid / 32, wm = warp / WGN, wn = warp % WGN;
    const int p0 = blockIdx.x * BM, taps = a.KH * a.KW, ck = (a.C + BK - 1) / BK * BK;
    // The depthwise weights taps-major (8 channels per 16-byte load) and its bias.
    for (int e = tid; e < taps * a.C; e += NT) {
        int t = e / a.C, c = e - t * a.C;
        Wd[e] = a.dww[c * taps + t];
    }
    for (int c = tid; c < a.C; c += NT)
        sdb[c] = a.dwb ? __half2float(a.dwb[c]) : 0.0f;
    __syncthreads();
    dw_tile<BM>(a, As, LDA, ck, Wd, sdb, p0, tid, NT);
    for (int m0 = 0; m0 < a.M; m0 += BN) {
        for (int j = tid; j < BN; j += NT)
            sbias[j] = (a.bias && m0 + j < a.M) ? __half2float(a.bias[m0 + j]) : 0.0f;
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
#pragma unroll
        for (int i = 0; i < FM; i++)
#pragma unroll
            for (int j = 0; j < FN; j++)
                wmma::fill_fragment(acc[i][j], 0.0f);
        for (int k0 = 0; k0 < ck; k0 += BK) {
#pragma unroll
            for (int i = 0; i < BCH; i++) {
                int ch = tid + i * NT, row = ch / CPR, kc = (ch % CPR) * 8, m = m0 + row, k = k0 + kc;
                *(uint4 *)(Bs + row * LDS + kc) = (m < a.M && k < a.K)
                                                      ? *(const uint4 *)(a.w + (long long)m * a.K + k)
                                                      : make_uint4(0, 0, 0, 0);
            }
            __syncthreads(); // the depthwise tile (first pass) and this B tile are in place
#pragma unroll
            for (int kk = 0; kk < BK; kk += 16) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa[FM];
                wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb[FN];
#pragma unroll
                for (int i = 0; i < FM; i++)
                    wmma::load_matrix_sync(fa[i], As + (wm * WTM + i * 16) * LDA + k0 + kk, LDA);
#pragma unroll
                for (int j = 0; j < FN; j++)
                    wmma::load_matrix_sync(fb[j], Bs + (wn * WTN + j * 16) * LDS + kk, LDS);
#pragma unroll
                for (int i = 0; i < FM; i++)
#pragma unroll
                    for (int j = 0; j < FN; j++)
                        wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
            }
            __syncthreads();
        }
#pragma unroll
        for (int i = 0; i < FM; i++)
#pragma unroll
            for (int j = 0; j < FN; j++)
                wmma::store_matrix_sync(Cs + (wm * WTM + i * 16) * LDC + wn * WTN + j * 16, acc[i][j], LDC,
                                        wmma::mem_row_major);
        __syncthreads();
        if (a.out_f32)
            store_f32<BM, BN, NT, LDC>(a, Cs, sbias, p0, m0, tid);
        else if (a.pairs == 2)
            store_h8<BM, BN, NT, LDC>(a, Cs, sbias, p0, m0, tid);
        else
            store_h2<BM, BN, NT, LDC>(a, Cs, sbias, p0, m0, tid);
        __syncthreads(); // Cs and sbias are rewritten for the next column tile
    }
}

struct dwpw_cfg {
    const char *name;
    int bm, bn;
};
const dwpw_cfg g_dwpw_cfgs[VRT__CUDA_DWPW_CONFIGS] = {{"dw+1x1 32x64", 32, 64}, {"dw+1x1 16x64", 16, 64}};

struct cfg_info {
    const char *name;
    int bm, bn;
};
const cfg_info g_cfgs[VRT__CUDA_IGEMM_CONFIGS] = {
    {"igemm 64x64", 64, 64},   {"igemm 64x32", 64, 32}, {"igemm 32x64", 32, 64},
    {"igemm 128x64", 128, 64}, {"igemm 32x32", 32, 32},
};

template <int BM, int BN, int WGM, int WGN>
void launch_cfg(const igemm_args &a, bool vec, bool one, cudaStream_t s) {
    dim3 grid((unsigned)((a.P + BM - 1) / BM), (unsigned)((a.M + BN - 1) / BN)), block(WGM * WGN * 32);
    if (a.in_f32)
        vrt__pdl_launch(k_igemm<BM, BN, WGM, WGN, false, false, true>, grid, block, s, a);
    else if (vec && one)
        vrt__pdl_launch(k_igemm<BM, BN, WGM, WGN, true, true, false>, grid, block, s, a);
    else if (vec)
        vrt__pdl_launch(k_igemm<BM, BN, WGM, WGN, true, false, false>, grid, block, s, a);
    else
        vrt__pdl_launch(k_igemm<BM, BN, WGM, WGN, false, false, false>, grid, block, s, a);
}

thread_local char g_err[256];
int g_pdl = 0;

} // namespace

extern "C" int vrt__cuda_pdl_enabled(void) {
    return g_pdl;
}
extern "C" void vrt__cuda_set_pdl(int on) {
    g_pdl = on;
}

extern "C" const char *vrt__cuda_igemm_config_name(int cfg) {
    return cfg >= 0 && cfg < VRT__CUDA_IGEMM_CONFIGS ? g_cfgs[cfg].name : "?";
}

extern "C" const char *vrt__cuda_igemm_error(void) {
    return g_err;
}

// Fills the kernel arguments from g; false when g is not a conv this kernel runs.
static bool make_args(const vrt__cuda_igemm *g, const void *x, const void *w, const void *bias,
                      const void *res, void *y, igemm_args &a) {
    if (g->cfg < 0 || g->cfg >= VRT__CUDA_IGEMM_CONFIGS) return false;
    if (g->N < 1 || g->C < 1 || g->M < 1 || g->KH < 1 || g->KW < 1 || g->SH < 1 || g->SW < 1 || g->DH < 1 ||
        g->DW < 1 || g->out_ld < g->out_off + g->M || g->out_off < 0)
        return false;
    a.x = (const __half *)x, a.w = (const __half *)w, a.bias = (const __half *)bias,
    a.res = (const __half *)res;
    a.y = (__half *)y;
    a.N = g->N, a.H = g->H, a.W = g->W, a.C = g->C, a.OH = g->OH, a.OW = g->OW, a.M = g->M;
    a.KH = g->KH, a.KW = g->KW, a.SH = g->SH, a.SW = g->SW, a.PH = g->PH, a.PW = g->PW, a.DH = g->DH,
    a.DW = g->DW;
    a.K = g->KH * g->KW * g->C;
    a.focus = g->focus;
    if (a.focus) {
        if (!g->in_f32 || g->C % 4) return false;
        a.fc0 = g->C / 4;
        for (int q = 0; q < 4; q++) {
            if (g->focus_dy[q] < 0 || g->focus_dy[q] > 1 || g->focus_dx[q] < 0 || g->focus_dx[q] > 1)
                return false;
            a.qy[q] = g->focus_dy[q], a.qx[q] = g->focus_dx[q];
        }
    }
    return true;
}

extern "C" vrt_status vrt__cuda_conv_igemm_half(void *stream, const vrt__cuda_igemm *g, const void *x,
                                                const void *w, const void *bias, const void *res, void *y,
                                                const vrt__activation *act) {
    if (!stream || !g || !x || !w || !y) return VRT_EINVAL;
    igemm_args a;
    if (!make_args(g, x, w, bias, res, y, a)) return VRT_EINVAL;
    a.P = g->N * g->OH * g->OW;
    a.out_ld = g->out_ld, a.out_off = g->out_off, a.res_post = g->res_post;
    a.in_f32 = g->in_f32, a.out_f32 = g->out_f32, a.res_f32 = g->res_f32;
    a.kind = act ? (int)act->kind : 0, a.al = act ? act->alpha : 0.0f, a.be = act ? act->beta : 0.0f;
    if (a.P <= 0) return VRT_OK;
    a.pairs =
        !a.out_f32 && (a.out_ld % 2 == 0 && a.out_off % 2 == 0 && a.M % 2 == 0 && ((uintptr_t)y % 4) == 0);
    if (a.pairs && a.out_ld % 8 == 0 && a.out_off % 8 == 0 && a.M % 8 == 0 && ((uintptr_t)y % 16) == 0 &&
        (!res || (!a.res_f32 && ((uintptr_t)res % 16) == 0)))
        a.pairs = 2;
    bool vec = !a.in_f32 && a.C % 8 == 0 && ((uintptr_t)x % 16) == 0 && ((uintptr_t)w % 16) == 0;
    bool one = a.KH == 1 && a.KW == 1 && a.SH == 1 && a.SW == 1 && a.PH == 0 && a.PW == 0 && a.OH == a.H &&
               a.OW == a.W;
    cudaStream_t s = (cudaStream_t)stream;
    switch (g->cfg) {
    case 0: launch_cfg<64, 64, 2, 2>(a, vec, one, s); break;
    case 1: launch_cfg<64, 32, 4, 1>(a, vec, one, s); break;
    case 2: launch_cfg<32, 64, 1, 4>(a, vec, one, s); break;
    case 3: launch_cfg<128, 64, 4, 2>(a, vec, one, s); break;
    default: launch_cfg<32, 32, 2, 2>(a, vec, one, s); break;
    }
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return VRT_OK;
    snprintf(g_err, sizeof(g_err), "%s: igemm conv (%s): %s", __FILE__, g_cfgs[g->cfg].name,
             cudaGetErrorString(e));
    return VRT_EDEVICE;
}

extern "C" const char *vrt__cuda_dwpw_config_name(int cfg) {
    return cfg >= 0 && cfg < VRT__CUDA_DWPW_CONFIGS ? g_dwpw_cfgs[cfg].name : "?";
}

// Whether k_dwpw runs the pair (d, g) on these pointers.
static bool dwpw_ok(const vrt__cuda_dwpw_dw *d, const vrt__cuda_igemm *g, const void *x, const void *dw_w,
                    const void *w) {
    bool geo = g->C == d->C && g->N == d->N && g->H == d->OH && g->W == d->OW && g->OH == d->OH &&
               g->OW == d->OW && g->KH == 1 && g->KW == 1 && g->SH == 1 && g->SW == 1 && !g->PH && !g->PW;
    bool dw = d->C <= DWPW_CMAX && d->C % 16 == 0 && d->KH >= 1 && d->KW >= 1 && d->KH * d->KW <= 9 &&
              d->SH >= 1 && d->SW >= 1 && d->DH >= 1 && d->DW >= 1;
    bool out = g->out_ld >= g->out_off + g->M && g->out_off >= 0 && g->M >= 1 && !g->in_f32 && !g->focus;
    return geo && dw && out && g->cfg >= 0 && g->cfg < VRT__CUDA_DWPW_CONFIGS &&
           ((uintptr_t)x | (uintptr_t)dw_w | (uintptr_t)w) % 16 == 0;
}

// The arguments of k_dwpw: the 1x1 conv's epilogue from g, the depthwise
// conv's geometry from d.
static void make_dwpw_args(const vrt__cuda_dwpw_dw *d, const vrt__cuda_igemm *g, const void *x,
                           const void *dw_w, const void *dw_b, const vrt__activation *dact, const void *w,
                           const void *bias, const void *res, void *y, const vrt__activation *act,
                           igemm_args &a) {
    memset(&a, 0, sizeof(a));
    a.x = (const __half *)x, a.w = (const __half *)w, a.bias = (const __half *)bias,
    a.res = (const __half *)res;
    a.y = (__half *)y;
    a.dww = (const __half *)dw_w, a.dwb = (const __half *)dw_b;
    a.N = d->N, a.H = d->H, a.W = d->W, a.C = d->C, a.OH = d->OH, a.OW = d->OW, a.M = g->M;
    a.KH = d->KH, a.KW = d->KW, a.SH = d->SH, a.SW = d->SW, a.PH = d->PH, a.PW = d->PW, a.DH = d->DH,
    a.DW = d->DW;
    a.K = d->C;
    a.P = d->N * d->OH * d->OW;
    a.out_ld = g->out_ld, a.out_off = g->out_off, a.res_post = g->res_post;
    a.out_f32 = g->out_f32, a.res_f32 = g->res_f32;
    a.kind = act ? (int)act->kind : 0, a.al = act ? act->alpha : 0.0f, a.be = act ? act->beta : 0.0f;
    a.dkind = dact ? (int)dact->kind : 0, a.dal = dact ? dact->alpha : 0.0f, a.dbe = dact ? dact->beta : 0.0f;
    a.pairs =
        !a.out_f32 && (a.out_ld % 2 == 0 && a.out_off % 2 == 0 && a.M % 2 == 0 && ((uintptr_t)y % 4) == 0);
    if (a.pairs && a.out_ld % 8 == 0 && a.out_off % 8 == 0 && a.M % 8 == 0 && ((uintptr_t)y % 16) == 0 &&
        (!res || (!a.res_f32 && ((uintptr_t)res % 16) == 0)))
        a.pairs = 2;
}

extern "C" vrt_status vrt__cuda_dwpw_half(void *stream, const vrt__cuda_dwpw_dw *d, const void *x,
                                          const void *dw_w, const void *dw_b, const vrt__activation *dact,
                                          const vrt__cuda_igemm *g, const void *w, const void *bias,
                                          const void *res, void *y, const vrt__activation *act) {
    if (!stream || !d || !g || !x || !dw_w || !w || !y) return VRT_EINVAL;
    if (!dwpw_ok(d, g, x, dw_w, w)) return VRT_EINVAL;
    igemm_args a;
    make_dwpw_args(d, g, x, dw_w, dw_b, dact, w, bias, res, y, act, a);
    if (a.P <= 0) return VRT_OK;
    cudaStream_t s = (cudaStream_t)stream;
    const int bm = g_dwpw_cfgs[g->cfg].bm;
    dim3 grid((unsigned)((a.P + bm - 1) / bm));
    if (g->cfg == 0)
        vrt__pdl_launch(k_dwpw<32, 64, 2, 2>, grid, dim3(128), s, a);
    else
        vrt__pdl_launch(k_dwpw<16, 64, 1, 4>, grid, dim3(128), s, a);
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return VRT_OK;
    snprintf(g_err, sizeof(g_err), "%s: depthwise + 1x1 conv (%s): %s", __FILE__, g_dwpw_cfgs[g->cfg].name,
             cudaGetErrorString(e));
    return VRT_EDEVICE;
}
