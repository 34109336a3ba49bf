// Epilogue kernels of the CUDA backend's conv/gemm paths (bias + residual +
// activation where cuDNN / cuBLASLt cannot fuse it), the pad/crop window copy
// for asymmetric conv pads, LRN and integer unary ops. Every launcher takes
// its stream as void* (never NULL), only enqueues, and reports launch errors
// as VRT_EDEVICE with the detail in vrt__cuda_epilogue_error().
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/backend/cuda/act.cuh"
#include "engine/backend/cuda/conv_igemm.h"
#include "engine/backend/cuda/epilogue.h"
#include "engine/backend/cuda/pdl.cuh"

static thread_local char g_err[256];

extern "C" const char *vrt__cuda_epilogue_error(void) {
    return g_err;
}

static vrt_status launched(const char *what, int line) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return VRT_OK;
    snprintf(g_err, sizeof(g_err), "%s:%d: %s: %s", __FILE__, line, what, cudaGetErrorString(e));
    return VRT_EDEVICE;
}

static unsigned blocks_for(int64_t n, int threads) {
    int64_t b = (n + threads - 1) / threads;
    if (b > 65535 * 8) b = 65535 * 8;
    return (unsigned)(b < 1 ? 1 : b);
}

__global__ void k_epilogue(float *y, int64_t n, const float *bias, float bscale, int64_t inner,
                           int64_t outer_mod, int64_t s_outer, int64_t s_inner, const float *res, int kind,
                           float al, float be) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        float v = y[i];
        if (bias) v += bscale * bias[((i / inner) % outer_mod) * s_outer + (i % inner) * s_inner];
        if (res) v += res[i];
        y[i] = vrt__cuk_act(v, kind, al, be);
    }
}

extern "C" vrt_status vrt__cuda_epilogue(void *stream, float *y, int64_t n, const float *bias, float bscale,
                                         int64_t inner, int64_t outer_mod, int64_t s_outer, int64_t s_inner,
                                         const float *res, const vrt__activation *act) {
    if (!stream || inner < 1 || outer_mod < 1) return VRT_EINVAL;
    if (n <= 0) return VRT_OK;
    int kind = act ? (int)act->kind : 0;
    k_epilogue<<<blocks_for(n, 256), 256, 0, (cudaStream_t)stream>>>(
        y, n, bias, bscale, inner, outer_mod, s_outer, s_inner, res, kind, act ? act->alpha : 0.0f,
        act ? act->beta : 0.0f);
    return launched("epilogue", __LINE__);
}

struct win3 {
    int64_t s[3], d[3], o[3];
};

__global__ void k_window(const float *src, float *dst, int64_t total, win3 w) {
    int64_t dsp = w.d[0] * w.d[1] * w.d[2], ssp = w.s[0] * w.s[1] * w.s[2];
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t nc = i / dsp, r = i % dsp;
        int64_t x2 = r % w.d[2], x1 = (r / w.d[2]) % w.d[1], x0 = r / (w.d[2] * w.d[1]);
        int64_t s0 = x0 + w.o[0], s1 = x1 + w.o[1], s2 = x2 + w.o[2];
        float v = 0.0f;
        if (s0 >= 0 && s0 < w.s[0] && s1 >= 0 && s1 < w.s[1] && s2 >= 0 && s2 < w.s[2])
            v = src[nc * ssp + (s0 * w.s[1] + s1) * w.s[2] + s2];
        dst[i] = v;
    }
}

extern "C" vrt_status vrt__cuda_window(void *stream, const float *src, float *dst, int64_t nc, int nsp,
                                       const int64_t *src_sp, const int64_t *dst_sp, const int64_t *off) {
    if (!stream || nsp < 1 || nsp > 3) return VRT_EINVAL;
    win3 w;
    // Right-align the spatial dims into 3 (leading ones of size 1).
    for (int i = 0; i < 3; i++)
        w.s[i] = w.d[i] = 1, w.o[i] = 0;
    for (int i = 0; i < nsp; i++) {
        int k = 3 - nsp + i;
        w.s[k] = src_sp[i], w.d[k] = dst_sp[i], w.o[k] = off[i];
    }
    int64_t total = nc * w.d[0] * w.d[1] * w.d[2];
    if (total <= 0) return VRT_OK;
    k_window<<<blocks_for(total, 256), 256, 0, (cudaStream_t)stream>>>(src, dst, total, w);
    return launched("window", __LINE__);
}

__global__ void k_lrn(const float *x, float *y, int64_t N, int64_t C, int64_t sp, int64_t size, float alpha,
                      float beta, float bias) {
    int64_t total = N * C * sp, lo = (size - 1) / 2, hi = size - 1 - lo;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t q = i % sp, ch = (i / sp) % C, b = i / (sp * C);
        double sum = 0;
        for (int64_t k = ch - lo; k <= ch + hi; k++) {
            if (k < 0 || k >= C) continue;
            double v = x[(b * C + k) * sp + q];
            sum += v * v;
        }
        y[i] = (float)(x[i] / pow(bias + alpha / (double)size * sum, (double)beta));
    }
}

extern "C" vrt_status vrt__cuda_lrn(void *stream, const float *x, float *y, int64_t N, int64_t C,
                                    int64_t spatial, int64_t size, float alpha, float beta, float bias) {
    if (!stream || size < 1) return VRT_EINVAL;
    int64_t total = N * C * spatial;
    if (total <= 0) return VRT_OK;
    k_lrn<<<blocks_for(total, 256), 256, 0, (cudaStream_t)stream>>>(x, y, N, C, spatial, size, alpha, beta,
                                                                    bias);
    return launched("lrn", __LINE__);
}

template <typename T> __global__ void k_int_unary(int op, const T *x, T *y, int64_t n, double lo, double hi) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        T v = x[i];
        switch (op) {
        case 0: v = (long long)v < 0LL ? (T)0 : v; break;
        case 1: v = (T)(0 - v); break;
        case 2: v = (long long)v < 0LL ? (T)(0 - v) : v; break;
        default:
            if ((double)v < lo) v = (T)lo;
            if ((double)v > hi) v = (T)hi;
            break;
        }
        y[i] = v;
    }
}

extern "C" vrt_status vrt__cuda_int_unary(void *stream, int op, int elem, int is_unsigned, const void *x,
                                          void *y, int64_t n, double lo, double hi) {
    if (!stream) return VRT_EINVAL;
    if (n <= 0) return VRT_OK;
    cudaStream_t s = (cudaStream_t)stream;
    unsigned b = blocks_for(n, 256);
    if (elem == 8)
        k_int_unary<long long><<<b, 256, 0, s>>>(op, (const long long *)x, (long long *)y, n, lo, hi);
    else if (elem == 4)
        k_int_unary<int><<<b, 256, 0, s>>>(op, (const int *)x, (int *)y, n, lo, hi);
    else if (elem == 1 && is_unsigned)
        k_int_unary<unsigned char>
            <<<b, 256, 0, s>>>(op, (const unsigned char *)x, (unsigned char *)y, n, lo, hi);
    else if (elem == 1)
        k_int_unary<signed char><<<b, 256, 0, s>>>(op, (const signed char *)x, (signed char *)y, n, lo, hi);
    else
        return VRT_EUNSUPPORTED;
    return launched("int_unary", __LINE__);
}

// ---- fp16 NHWC storage (precision fp16): layout/type conversions and the
// (results are stored in fp16, so activations use the fast exponential: vrt__cuk_act_fast)
// epilogue over half tensors (arithmetic in fp32) ----

#include <cuda_fp16.h>

__global__ void k_nchw_f32_to_nhwc_h(const float *x, __half *y, int64_t C, int64_t HW, int64_t total) {
    vrt__pdl_enter();
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t c = i % C, p = (i / C) % HW, n = i / (C * HW);
        y[i] = __float2half_rn(x[(n * C + c) * HW + p]);
    }
}

__global__ void k_nhwc_h_to_nchw_f32(const __half *x, float *y, int64_t C, int64_t HW, int64_t total) {
    vrt__pdl_enter();
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t p = i % HW, c = (i / HW) % C, n = i / (C * HW);
        y[i] = __half2float(x[(n * HW + p) * C + c]);
    }
}

extern "C" vrt_status vrt__cuda_to_nhwc_half(void *stream, const float *x, void *y, int64_t N, int64_t C,
                                             int64_t HW) {
    int64_t total = N * C * HW;
    if (!stream) return VRT_EINVAL;
    if (total <= 0) return VRT_OK;
    vrt__pdl_launch(k_nchw_f32_to_nhwc_h, blocks_for(total, 256), 256, (cudaStream_t)stream, x, (__half *)y,
                    C, HW, total);
    return launched("nchw fp32 -> nhwc fp16", __LINE__);
}

struct hcat_args {
    const __half *in[8];
    int ch[8], off[9];
    int n;
};

/* One thread per output element: y[p, c] = in_k[p, c - off[k]]. */
__global__ void k_concat_nhwc_h(hcat_args a, int64_t total, int C, __half *y) {
    vrt__pdl_enter();
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t p = i / C;
        int c = (int)(i - p * C), k = 0;
        while (k + 1 < a.n && c >= a.off[k + 1])
            k++;
        y[i] = a.in[k][p * a.ch[k] + (c - a.off[k])];
    }
}

extern "C" vrt_status vrt__cuda_concat_nhwc_half(void *stream, int n, const void *const *in, const int *ch,
                                                 int64_t P, void *y) {
    if (!stream || n < 1 || n > 8 || !in || !ch || !y) return VRT_EINVAL;
    hcat_args a;
    memset(&a, 0, sizeof(a));
    a.n = n;
    a.off[0] = 0;
    for (int k = 0; k < n; k++) {
        if (!in[k] || ch[k] < 0) return VRT_EINVAL;
        a.in[k] = (const __half *)in[k], a.ch[k] = ch[k], a.off[k + 1] = a.off[k] + ch[k];
    }
    int C = a.off[n];
    int64_t total = P * C;
    if (total <= 0) return VRT_OK;
    vrt__pdl_launch(k_concat_nhwc_h, blocks_for(total, 256), 256, (cudaStream_t)stream, a, total, C,
                    (__half *)y);
    return launched("concat fp16 nhwc", __LINE__);
}

extern "C" vrt_status vrt__cuda_from_nhwc_half(void *stream, const void *x, float *y, int64_t N, int64_t C,
                                               int64_t HW) {
    int64_t total = N * C * HW;
    if (!stream) return VRT_EINVAL;
    if (total <= 0) return VRT_OK;
    vrt__pdl_launch(k_nhwc_h_to_nchw_f32, blocks_for(total, 256), 256, (cudaStream_t)stream,
                    (const __half *)x, y, C, HW, total);
    return launched("nhwc fp16 -> nchw fp32", __LINE__);
}

/* Two channels per thread (C even) or one. */
__global__ void k_epilogue_h(__half *y, int64_t n, int64_t C, const __half *bias, const __half *res, int kind,
                             float al, float be) {
    vrt__pdl_enter();
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        float v = __half2float(y[i]);
        if (bias) v += __half2float(bias[i % C]);
        if (res) v += __half2float(res[i]);
        y[i] = __float2half_rn(vrt__cuk_act_fast(v, kind, al, be));
    }
}

__global__ void k_epilogue_h2(__half2 *y, int64_t n2, int64_t C2, const __half2 *bias, const __half2 *res,
                              int kind, float al, float be) {
    vrt__pdl_enter();
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n2;
         i += (int64_t)gridDim.x * blockDim.x) {
        float2 v = __half22float2(y[i]);
        if (bias) {
            float2 b = __half22float2(bias[i % C2]);
            v.x += b.x, v.y += b.y;
        }
        if (res) {
            float2 r = __half22float2(res[i]);
            v.x += r.x, v.y += r.y;
        }
        y[i] = __floats2half2_rn(vrt__cuk_act_fast(v.x, kind, al, be), vrt__cuk_act_fast(v.y, kind, al, be));
    }
}

extern "C" vrt_status vrt__cuda_epilogue_nhwc_half(void *stream, void *y, int64_t n, int64_t C,
                                                   const void *bias, const void *res,
                                                   const vrt__activation *act) {
    if (!stream || C < 1) return VRT_EINVAL;
    if (n <= 0) return VRT_OK;
    int kind = act ? (int)act->kind : 0;
    float al = act ? act->alpha : 0.0f, be = act ? act->beta : 0.0f;
    if (C % 2 == 0 && ((uintptr_t)y | (uintptr_t)bias | (uintptr_t)res) % 4 == 0) {
        int64_t n2 = n / 2;
        vrt__pdl_launch(k_epilogue_h2, blocks_for(n2, 256), 256, (cudaStream_t)stream, (__half2 *)y, n2,
                        C / 2, (const __half2 *)bias, (const __half2 *)res, kind, al, be);
    } else {
        vrt__pdl_launch(k_epilogue_h, blocks_for(n, 256), 256, (cudaStream_t)stream, (__half *)y, n, C,
                        (const __half *)bias, (const __half *)res, kind, al, be);
    }
    return launched("epilogue (fp16 nhwc)", __LINE__);
}

// ---- depthwise convolution over fp16 NHWC (group == C == M), fp32 accumulation,
// with bias, residual and activation fused. One thread per output pixel and
// channel pair (half2 loads when C is even and the pointers allow it). ----

template <bool H2>
__global__ void k_dwconv_nhwc_h(const __half *__restrict__ x, const __half *__restrict__ w,
                                const __half *__restrict__ bias, const __half *__restrict__ res,
                                __half *__restrict__ y, int N, int C, int H, int W, int OH, int OW, int KH,
                                int KW, int SH, int SW, int PH, int PW, int DH, int DW, int kind, float al,
                                float be) {
    vrt__pdl_enter();
    const int cv = H2 ? 2 : 1;
    const int CG = C / cv;
    int64_t total = (int64_t)N * OH * OW * CG;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int cg = (int)(i % CG);
        int64_t pix = i / CG;
        int ox = (int)(pix % OW), oy = (int)((pix / OW) % OH), n = (int)(pix / ((int64_t)OW * OH));
        int c = cg * cv;
        float a0 = 0.0f, a1 = 0.0f;
        int iy0 = oy * SH - PH, ix0 = ox * SW - PW;
        const __half *xn = x + (int64_t)n * H * W * C;
        for (int ky = 0; ky < KH; ky++) {
            int iy = iy0 + ky * DH;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < KW; kx++) {
                int ix = ix0 + kx * DW;
                if (ix < 0 || ix >= W) continue;
                const __half *xp = xn + ((int64_t)iy * W + ix) * C + c;
                int wi = ky * KW + kx;
                if (H2) {
                    float2 xv = __half22float2(*(const __half2 *)xp);
                    a0 += xv.x * __half2float(w[(int64_t)c * KH * KW + wi]);
                    a1 += xv.y * __half2float(w[(int64_t)(c + 1) * KH * KW + wi]);
                } else {
                    a0 += __half2float(*xp) * __half2float(w[(int64_t)c * KH * KW + wi]);
                }
            }
        }
        int64_t o = pix * C + c;
        if (bias) {
            a0 += __half2float(bias[c]);
            if (H2) a1 += __half2float(bias[c + 1]);
        }
        if (res) {
            a0 += __half2float(res[o]);
            if (H2) a1 += __half2float(res[o + 1]);
        }
        if (H2) {
            *(__half2 *)(y + o) =
                __floats2half2_rn(vrt__cuk_act_fast(a0, kind, al, be), vrt__cuk_act_fast(a1, kind, al, be));
        } else {
            y[o] = __float2half_rn(vrt__cuk_act_fast(a0, kind, al, be));
        }
    }
}

extern "C" vrt_status vrt__cuda_dwconv_nhwc_half(void *stream, const void *x, const void *w, const void *bias,
                                                 const void *res, void *y, const vrt__cuda_dw_shape *s,
                                                 const vrt__activation *act) {
    if (!stream || !s || s->C < 1) return VRT_EINVAL;
    int64_t total = (int64_t)s->N * s->OH * s->OW * s->C;
    if (total <= 0) return VRT_OK;
    int kind = act ? (int)act->kind : 0;
    float al = act ? act->alpha : 0.0f, be = act ? act->beta : 0.0f;
    int h2 = s->C % 2 == 0 && ((uintptr_t)x | (uintptr_t)y | (uintptr_t)res) % 4 == 0;
    if (h2)
        vrt__pdl_launch(k_dwconv_nhwc_h<true>, blocks_for(total / 2, 256), 256, (cudaStream_t)stream,
                        (const __half *)x, (const __half *)w, (const __half *)bias, (const __half *)res,
                        (__half *)y, s->N, s->C, s->H, s->W, s->OH, s->OW, s->KH, s->KW, s->SH, s->SW, s->PH,
                        s->PW, s->DH, s->DW, kind, al, be);
    else
        vrt__pdl_launch(k_dwconv_nhwc_h<false>, blocks_for(total, 256), 256, (cudaStream_t)stream,
                        (const __half *)x, (const __half *)w, (const __half *)bias, (const __half *)res,
                        (__half *)y, s->N, s->C, s->H, s->W, s->OH, s->OW, s->KH, s->KW, s->SH, s->SW, s->PH,
                        s->PW, s->DH, s->DW, kind, al, be);
    return launched("depthwise conv (fp16 nhwc)", __LINE__);
}

// ---- more fp16 NHWC steps, so that YOLO-style graphs stay in fp16 NHWC
// between convolutions (no layout conversions around them) ----

/* y = act(a + b), same shapes; element-wise, so the layout does not matter. */
__global__ void k_add_h2(const __half2 *a, const __half2 *b, __half2 *y, int64_t n2, int kind, float al,
                         float be) {
    vrt__pdl_enter();
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n2;
         i += (int64_t)gridDim.x * blockDim.x) {
        float2 u = __half22float2(a[i]), v = __half22float2(b[i]);
        y[i] = __floats2half2_rn(vrt__cuk_act_fast(u.x + v.x, kind, al, be),
                                 vrt__cuk_act_fast(u.y + v.y, kind, al, be));
    }
}

__global__ void k_add_h(const __half *a, const __half *b, __half *y, int64_t n, int kind, float al,
                        float be) {
    vrt__pdl_enter();
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x)
        y[i] = __float2half_rn(vrt__cuk_act_fast(__half2float(a[i]) + __half2float(b[i]), kind, al, be));
}

extern "C" vrt_status vrt__cuda_add_half(void *stream, const void *a, const void *b, void *y, int64_t n,
                                         const vrt__activation *act) {
    if (!stream || !a || !b || !y) return VRT_EINVAL;
    if (n <= 0) return VRT_OK;
    int kind = act ? (int)act->kind : 0;
    float al = act ? act->alpha : 0.0f, be = act ? act->beta : 0.0f;
    if (n % 2 == 0 && ((uintptr_t)a | (uintptr_t)b | (uintptr_t)y) % 4 == 0)
        vrt__pdl_launch(k_add_h2, blocks_for(n / 2, 256), 256, (cudaStream_t)stream, (const __half2 *)a,
                        (const __half2 *)b, (__half2 *)y, n / 2, kind, al, be);
    else
        vrt__pdl_launch(k_add_h, blocks_for(n, 256), 256, (cudaStream_t)stream, (const __half *)a,
                        (const __half *)b, (__half *)y, n, kind, al, be);
    return launched("add (fp16)", __LINE__);
}

/* Nearest upsampling by integer factors over fp16 NHWC: y[n, oy, ox, :] =
 * x[n, oy / sh, ox / sw, :], 16 bytes (8 channels) per thread when C % 8 == 0. */
template <int V>
__global__ void k_upsample_h(const __half *x, __half *y, int H, int W, int C, int sh, int sw, int64_t total) {
    vrt__pdl_enter();
    const int CV = C / V, OW = W * sw, OH = H * sh;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int cv = (int)(i % CV);
        int64_t pix = i / CV;
        int ox = (int)(pix % OW), oy = (int)((pix / OW) % OH);
        int64_t n = pix / ((int64_t)OW * OH);
        int64_t src = ((n * H + oy / sh) * W + ox / sw) * C + (int64_t)cv * V;
        if (V == 8)
            *(uint4 *)(y + pix * C + (int64_t)cv * V) = *(const uint4 *)(x + src);
        else
            y[pix * C + cv] = x[src];
    }
}

extern "C" vrt_status vrt__cuda_upsample_nhwc_half(void *stream, const void *x, void *y, int N, int H, int W,
                                                   int C, int sh, int sw) {
    if (!stream || !x || !y || N < 0 || H < 0 || W < 0 || C < 1 || sh < 1 || sw < 1) return VRT_EINVAL;
    int64_t pix = (int64_t)N * H * sh * W * sw;
    if (pix <= 0) return VRT_OK;
    if (C % 8 == 0 && ((uintptr_t)x | (uintptr_t)y) % 16 == 0)
        vrt__pdl_launch(k_upsample_h<8>, blocks_for(pix * (C / 8), 256), 256, (cudaStream_t)stream,
                        (const __half *)x, (__half *)y, H, W, C, sh, sw, pix * (C / 8));
    else
        vrt__pdl_launch(k_upsample_h<1>, blocks_for(pix * C, 256), 256, (cudaStream_t)stream,
                        (const __half *)x, (__half *)y, H, W, C, sh, sw, pix * C);
    return launched("nearest upsample (fp16 nhwc)", __LINE__);
}

/* Bilinear resize with align_corners coordinates over fp16 NHWC (DPT's
 * fusion and head upsampling): source = destination * (in - 1) / (out - 1),
 * fp32 weights and sums, one rounding; two channels per thread. */
__global__ void k_resize_ac_h(const __half2 *x, __half2 *y, int H, int W, int C2, int OH, int OW, float sy,
                              float sx, int64_t total) {
    vrt__pdl_enter();
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int c = (int)(i % C2);
        int64_t pix = i / C2;
        int ox = (int)(pix % OW), oy = (int)((pix / OW) % OH);
        int64_t n = pix / ((int64_t)OW * OH);
        float fy = oy * sy, fx = ox * sx;
        int y0 = (int)fy, x0 = (int)fx;
        y0 = y0 < H - 1 ? y0 : H - 1, x0 = x0 < W - 1 ? x0 : W - 1;
        int y1 = y0 + 1 < H ? y0 + 1 : H - 1, x1 = x0 + 1 < W ? x0 + 1 : W - 1;
        float wy = fy - (float)y0, wx = fx - (float)x0;
        const __half2 *b = x + n * H * W * C2 + c;
        float2 p00 = __half22float2(b[((int64_t)y0 * W + x0) * C2]),
               p01 = __half22float2(b[((int64_t)y0 * W + x1) * C2]);
        float2 p10 = __half22float2(b[((int64_t)y1 * W + x0) * C2]),
               p11 = __half22float2(b[((int64_t)y1 * W + x1) * C2]);
        float2 top = make_float2(p00.x + (p01.x - p00.x) * wx, p00.y + (p01.y - p00.y) * wx);
        float2 bot = make_float2(p10.x + (p11.x - p10.x) * wx, p10.y + (p11.y - p10.y) * wx);
        y[pix * C2 + c] = __floats2half2_rn(top.x + (bot.x - top.x) * wy, top.y + (bot.y - top.y) * wy);
    }
}

extern "C" vrt_status vrt__cuda_resize_linear_ac_nhwc_half(void *stream, const void *x, void *y, int N, int H,
                                                           int W, int C, int OH, int OW) {
    if (!stream || !x || !y || N < 0 || H < 1 || W < 1 || C < 2 || C % 2 || OH < 1 || OW < 1)
        return VRT_EINVAL;
    int64_t total = (int64_t)N * OH * OW * (C / 2);
    if (total <= 0) return VRT_OK;
    float sy = OH > 1 ? (float)(H - 1) / (float)(OH - 1) : 0.0f,
          sx = OW > 1 ? (float)(W - 1) / (float)(OW - 1) : 0.0f;
    vrt__pdl_launch(k_resize_ac_h, blocks_for(total, 256), 256, (cudaStream_t)stream, (const __half2 *)x,
                    (__half2 *)y, H, W, C / 2, OH, OW, sy, sx, total);
    return launched("bilinear resize (fp16 nhwc)", __LINE__);
}

/* Max pooling over fp16 NHWC (2-D, symmetric or not pads, no dilation,
 * floor mode): pads are never the max (as ONNX); NaN propagates. V channels
 * per thread (8: one 16-byte load per tap when C % 8 == 0). cuDNN's NHWC
 * pooling is slow for the large stride-1 windows of SPP blocks. */
template <int V>
__global__ void k_maxpool_h(const __half *x, __half *y, int H, int W, int C, int OH, int OW, int KH, int KW,
                            int SH, int SW, int PH, int PW, int64_t total) {
    vrt__pdl_enter();
    const int CV = C / V;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x) {
        int cv = (int)(i % CV);
        int64_t pix = i / CV;
        int ox = (int)(pix % OW), oy = (int)((pix / OW) % OH);
        int64_t n = pix / ((int64_t)OW * OH);
        float m[V];
#pragma unroll
        for (int j = 0; j < V; j++)
            m[j] = -INFINITY;
        int y0 = oy * SH - PH, x0 = ox * SW - PW;
        int ya = y0 < 0 ? 0 : y0, yb = y0 + KH > H ? H : y0 + KH, xa = x0 < 0 ? 0 : x0,
            xb = x0 + KW > W ? W : x0 + KW;
        for (int iy = ya; iy < yb; iy++)
            for (int ix = xa; ix < xb; ix++) {
                const __half *p = x + ((n * H + iy) * W + ix) * C + (int64_t)cv * V;
                if (V == 8) {
                    union {
                        uint4 u;
                        __half h[8];
                    } t;
                    t.u = *(const uint4 *)p;
#pragma unroll
                    for (int j = 0; j < V; j++) {
                        float v = __half2float(t.h[j]);
                        m[j] = (v > m[j] || v != v) ? v : m[j];
                    }
                } else {
                    float v = __half2float(p[0]);
                    m[0] = (v > m[0] || v != v) ? v : m[0];
                }
            }
        __half *q = y + pix * C + (int64_t)cv * V;
#pragma unroll
        for (int j = 0; j < V; j++)
            q[j] = __float2half_rn(m[j]);
    }
}

extern "C" vrt_status vrt__cuda_maxpool_nhwc_half(void *stream, const void *x, void *y, int N, int H, int W,
                                                  int C, int OH, int OW, int KH, int KW, int SH, int SW,
                                                  int PH, int PW) {
    if (!stream || !x || !y || C < 1 || KH < 1 || KW < 1 || SH < 1 || SW < 1) return VRT_EINVAL;
    int64_t pix = (int64_t)N * OH * OW;
    if (pix <= 0) return VRT_OK;
    if (C % 8 == 0 && ((uintptr_t)x | (uintptr_t)y) % 16 == 0)
        vrt__pdl_launch(k_maxpool_h<8>, blocks_for(pix * (C / 8), 128), 128, (cudaStream_t)stream,
                        (const __half *)x, (__half *)y, H, W, C, OH, OW, KH, KW, SH, SW, PH, PW,
                        pix * (C / 8));
    else
        vrt__pdl_launch(k_maxpool_h<1>, blocks_for(pix * C, 128), 128, (cudaStream_t)stream,
                        (const __half *)x, (__half *)y, H, W, C, OH, OW, KH, KW, SH, SW, PH, PW, pix * C);
    return launched("max pool (fp16 nhwc)", __LINE__);
}
