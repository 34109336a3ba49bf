/*
 * Conv and ConvTranspose on cuDNN 9's legacy convolution API (NCHW, fp32
 * tensors; the math type selects FMA / TF32 / fp16-with-conversion).
 *
 * Forward conv:
 *   - y = act(conv(x) + b + r) in ONE call to
 *     cudnnConvolutionBiasActivationForward when act is Relu, Clip(0, hi)
 *     (CLIPPED_RELU, coef hi: Relu6) or none (the residual goes in through z
 *     with alpha2 = 1); a trial call at prepare confirms that cuDNN accepts
 *     the (algo, activation) pair, otherwise the conv runs alone and our
 *     epilogue kernel adds bias/residual/activation.
 *   - other activations (LeakyRelu, other Clips, SiLU, ...): conv + our epilogue.
 *   - asymmetric pads: cuDNN only knows symmetric ones, so the input is
 *     padded by the difference into scratch with our window kernel first.
 *   - 1-D convs run as 2-D with H = 1.
 * ConvTranspose: cudnnConvolutionBackwardData (the data gradient of the
 * forward conv whose filter is W), bias and activation in the epilogue;
 * asymmetric pads computed with the smaller pad on both sides into scratch
 * and cropped.
 * Algorithms: timed by cudnnFind*AlgorithmEx on the real buffers within the
 * workspace limit, or read from the disk cache (algo_cache.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cuda/conv_cudnn.h"
#include "engine/backend/cuda/epilogue.h"

const char *vrt__cuda_math_name(vrt__cuda_math m) {
    return m == VRT__CUDA_MATH_TF32 ? "tf32" : m == VRT__CUDA_MATH_FP16 ? "fp16" : "fp32";
}

#define CK(call) VRT_CUDNN_CHECK(err, cap, call)

struct vrt__cuda_conv {
    cudnnHandle_t h;
    vrt__cuda_conv_desc d;
    int nsp; /* spatial dims given to cuDNN (>= 2) */
    cudnnTensorDescriptor_t xd, yd, bd;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnActivationDescriptor_t ad;
    int window; /* 1: pad x (forward) or crop y (transpose) through scratch */
    int64_t src_sp[3], dst_sp[3], off[3];
    int64_t win_nc;
    size_t scratch;
    int algo;
    int math; /* cudnnMathType_t of the chosen algorithm */
    size_t ws;
    float ms;
    int fused; /* 1: cudnnConvolutionBiasActivationForward */
    int cached;
    char key[256];
};

static const char *fwd_names[] = {
    "IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING",
    "WINOGRAD",      "WINOGRAD_NONFUSED"};
static const char *bwd_names[] = {"BWD_DATA_0", "BWD_DATA_1", "FFT",
                                  "FFT_TILING", "WINOGRAD",   "WINOGRAD_NONFUSED"};

/* Clip(0, hi), hi > 0 finite: cuDNN's CLIPPED_RELU with coef hi. */
static int is_clipped_relu(const vrt__activation *a) {
    return a->kind == VRT__ACT_CLIP && a->alpha == 0.0f && a->beta > 0.0f && a->beta < 1e30f;
}

static cudnnMathType_t math_of(vrt__cuda_math m) {
    switch (m) {
    case VRT__CUDA_MATH_TF32: return CUDNN_DEFAULT_MATH;
    case VRT__CUDA_MATH_FP16: return CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    default: return CUDNN_FMA_MATH;
    }
}

static void packed(int n, const int *dims, int *strides) {
    strides[n - 1] = 1;
    for (int i = n - 2; i >= 0; i--)
        strides[i] = strides[i + 1] * dims[i + 1];
}

static vrt_status set_tensor(cudnnTensorDescriptor_t t, int n, const int *dims, char *err, size_t cap) {
    int st[8];
    packed(n, dims, st);
    return CK(cudnnSetTensorNdDescriptor(t, CUDNN_DATA_FLOAT, n, dims, st));
}

/* The problem as cuDNN sees it: at least 2 spatial dims (leading ones of size
 * 1), pads made symmetric (the excess goes through the scratch window). */
typedef struct conv_geom {
    int ns;
    int xdims[5], ydims[5], wdims[5], bdims[5], pads[3], strides[3], dil[3];
    int asym;
} conv_geom;

static void conv_geometry(vrt__cuda_conv *cv, conv_geom *g) {
    const vrt__cuda_conv_desc *d = &cv->d;
    const vrt__conv_params *p = &d->p;
    int ns = p->nsp < 2 ? 2 : p->nsp, lead = ns - p->nsp; /* leading spatial dims of size 1 */
    g->ns = cv->nsp = ns;
    g->asym = 0;
    for (int i = 0; i < ns; i++) {
        int k = i - lead;
        int64_t pb = k >= 0 ? p->pads_begin[k] : 0, pe = k >= 0 ? p->pads_end[k] : 0;
        int64_t pm = pb < pe ? pb : pe;
        g->pads[i] = (int)pm;
        g->strides[i] = (int)(k >= 0 ? p->strides[k] : 1);
        g->dil[i] = (int)(k >= 0 ? p->dilations[k] : 1);
        g->wdims[2 + i] = (int)(k >= 0 ? p->k[k] : 1);
        int64_t xin = k >= 0 ? p->in[k] : 1, yout = k >= 0 ? p->out[k] : 1;
        if (pb != pe) g->asym = 1;
        if (!d->transpose) {
            /* pad the input by the excess; cuDNN pads the rest symmetrically */
            g->xdims[2 + i] = (int)(xin + (pb - pm) + (pe - pm));
            g->ydims[2 + i] = (int)yout;
            cv->src_sp[i] = xin, cv->dst_sp[i] = g->xdims[2 + i], cv->off[i] = -(pb - pm);
        } else {
            g->xdims[2 + i] = (int)xin;
            g->ydims[2 + i] = (int)(yout + (pb - pm) + (pe - pm));
            cv->src_sp[i] = g->ydims[2 + i], cv->dst_sp[i] = yout, cv->off[i] = pb - pm;
        }
    }
    g->xdims[0] = g->ydims[0] = (int)p->N;
    g->xdims[1] = (int)p->C;
    g->ydims[1] = (int)p->M;
    if (!d->transpose) {
        g->wdims[0] = (int)p->M;
        g->wdims[1] = (int)(p->C / p->group);
    } else {
        /* ConvTranspose W is C x M/group x k: the filter of the forward conv from y-space to x-space. */
        g->wdims[0] = (int)p->C;
        g->wdims[1] = (int)(p->M / p->group);
    }
    g->bdims[0] = 1, g->bdims[1] = (int)p->M;
    for (int i = 0; i < ns; i++)
        g->bdims[2 + i] = 1;
    cv->window = g->asym;
    if (g->asym) {
        int64_t sp = 1;
        for (int i = 0; i < ns; i++)
            sp *= d->transpose ? g->ydims[2 + i] : g->xdims[2 + i];
        cv->win_nc = d->transpose ? p->N * p->M : p->N * p->C;
        cv->scratch = (size_t)(cv->win_nc * sp) * 4;
    }
}

/* fp16 NHWC tensors, KRSC filter, fp32 accumulation on tensor cores. */
static vrt_status set_descs_half(vrt__cuda_conv *cv, const conv_geom *g, char *err, size_t cap) {
    const int *xd = g->xdims, *yd = g->ydims, *wd = g->wdims;
    vrt_status st;
    if (cv->d.transpose || g->ns != 2 || g->asym) {
        vrt_errbuf_set(err, cap, "fp16 NHWC convolution needs a 2-D forward conv with symmetric pads");
        return VRT_EUNSUPPORTED;
    }
    cv->window = 0;
    if ((st = CK(cudnnSetTensor4dDescriptor(cv->xd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, xd[0], xd[1], xd[2],
                                            xd[3]))) ||
        (st = CK(cudnnSetTensor4dDescriptor(cv->yd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, yd[0], yd[1], yd[2],
                                            yd[3]))) ||
        (st = CK(
             cudnnSetTensor4dDescriptor(cv->bd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, 1, g->bdims[1], 1, 1))) ||
        (st = CK(cudnnSetFilter4dDescriptor(cv->wd, CUDNN_DATA_HALF, CUDNN_TENSOR_NHWC, wd[0], wd[1], wd[2],
                                            wd[3]))) ||
        (st = CK(cudnnSetConvolutionNdDescriptor(cv->cd, g->ns, g->pads, g->strides, g->dil,
                                                 CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT))) ||
        (st = CK(cudnnSetConvolutionGroupCount(cv->cd, (int)cv->d.p.group))) ||
        (st = CK(cudnnSetConvolutionMathType(cv->cd, CUDNN_TENSOR_OP_MATH))))
        return st;
    return VRT_OK;
}

/* fp32 NCHW (1..3 spatial dims). */
static vrt_status set_descs_f32(vrt__cuda_conv *cv, const conv_geom *g, char *err, size_t cap) {
    vrt_status st;
    int n = g->ns + 2;
    if ((st = set_tensor(cv->xd, n, g->xdims, err, cap)) ||
        (st = set_tensor(cv->yd, n, g->ydims, err, cap)) || (st = set_tensor(cv->bd, n, g->bdims, err, cap)))
        return st;
    if ((st = CK(cudnnSetFilterNdDescriptor(cv->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, n, g->wdims))) ||
        (st = CK(cudnnSetConvolutionNdDescriptor(cv->cd, g->ns, g->pads, g->strides, g->dil,
                                                 CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT))) ||
        (st = CK(cudnnSetConvolutionGroupCount(cv->cd, (int)cv->d.p.group))) ||
        (st = CK(cudnnSetConvolutionMathType(cv->cd, math_of(cv->d.math)))))
        return st;
    return VRT_OK;
}

/* Cache key: everything that defines the problem. */
static void conv_key(vrt__cuda_conv *cv, const conv_geom *g) {
    const vrt__cuda_conv_desc *d = &cv->d;
    const vrt__conv_params *p = &d->p;
    int ns = g->ns;
    int w = snprintf(cv->key, sizeof(cv->key), "%s:m%d:g%lld:x",
                     d->transpose   ? "convT"
                     : d->nhwc_half ? "convH"
                                    : "conv",
                     (int)d->math, (long long)p->group);
    for (int i = 0; i < ns + 2 && w < (int)sizeof(cv->key); i++)
        w += snprintf(cv->key + w, sizeof(cv->key) - (size_t)w, "%d,", g->xdims[i]);
    for (int i = 0; i < ns + 2 && w < (int)sizeof(cv->key); i++)
        w += snprintf(cv->key + w, sizeof(cv->key) - (size_t)w, "w%d", g->wdims[i]);
    for (int i = 0; i < ns && w < (int)sizeof(cv->key); i++)
        w += snprintf(cv->key + w, sizeof(cv->key) - (size_t)w, ":p%ds%dd%d", g->pads[i], g->strides[i],
                      g->dil[i]);
    if (w < (int)sizeof(cv->key))
        snprintf(cv->key + w, sizeof(cv->key) - (size_t)w, ":a%d:b%d:r%d", (int)p->act.kind, d->has_bias,
                 d->has_residual);
}

vrt_status vrt__cuda_conv_create(cudnnHandle_t h, const vrt__cuda_conv_desc *d, vrt__cuda_conv **out,
                                 char *err, size_t cap) {
    *out = NULL;
    const vrt__conv_params *p = &d->p;
    vrt__cuda_conv *cv = vrt_calloc(1, sizeof(*cv));
    if (!cv) return VRT_ENOMEM;
    cv->h = h;
    cv->d = *d;
    cv->algo = -1;
    vrt_status st;
    if ((st = CK(cudnnCreateTensorDescriptor(&cv->xd))) || (st = CK(cudnnCreateTensorDescriptor(&cv->yd))) ||
        (st = CK(cudnnCreateTensorDescriptor(&cv->bd))) || (st = CK(cudnnCreateFilterDescriptor(&cv->wd))) ||
        (st = CK(cudnnCreateConvolutionDescriptor(&cv->cd))) ||
        (st = CK(cudnnCreateActivationDescriptor(&cv->ad))))
        goto fail;
    conv_geom g;
    conv_geometry(cv, &g);
    if ((st = d->nhwc_half ? set_descs_half(cv, &g, err, cap) : set_descs_f32(cv, &g, err, cap))) goto fail;
    /* Relu, and Clip(0, hi) as CLIPPED_RELU with coef hi (Relu6). */
    cudnnActivationMode_t am = p->act.kind == VRT__ACT_RELU ? CUDNN_ACTIVATION_RELU
                               : is_clipped_relu(&p->act)   ? CUDNN_ACTIVATION_CLIPPED_RELU
                                                            : CUDNN_ACTIVATION_IDENTITY;
    if ((st = CK(
             cudnnSetActivationDescriptor(cv->ad, am, CUDNN_PROPAGATE_NAN,
                                          am == CUDNN_ACTIVATION_CLIPPED_RELU ? (double)p->act.beta : 0.0))))
        goto fail;
    conv_key(cv, &g);
    *out = cv;
    return VRT_OK;
fail:
    vrt__cuda_conv_destroy(&cv);
    return st;
}

size_t vrt__cuda_conv_scratch_bytes(const vrt__cuda_conv *cv) {
    return cv->scratch;
}
size_t vrt__cuda_conv_workspace(const vrt__cuda_conv *cv) {
    return cv->ws;
}

/* Whether the fused call can express the epilogue. */
static int fusable(const vrt__cuda_conv *cv) {
    vrt__act_kind k = cv->d.p.act.kind;
    int clip = is_clipped_relu(&cv->d.p.act);
    return !cv->d.transpose && (k == VRT__ACT_NONE || k == VRT__ACT_RELU || clip) &&
           (cv->d.has_bias || cv->d.has_residual || k != VRT__ACT_NONE);
}

static vrt_status enqueue(vrt__cuda_conv *cv, cudaStream_t s, const float *x, const float *w,
                          const float *bias, const float *zero_bias, const float *res, float *y,
                          void *scratch, void *ws, char *err, size_t cap) {
    const vrt__conv_params *p = &cv->d.p;
    vrt_status st;
    const float one = 1.0f, zero = 0.0f;
    const float *xin = x;
    if (cv->window && !cv->d.transpose) {
        if ((st = vrt__cuda_window(s, x, scratch, cv->win_nc, cv->nsp, cv->src_sp, cv->dst_sp, cv->off))) {
            vrt_errbuf_set(err, cap, "%s", vrt__cuda_epilogue_error());
            return st;
        }
        xin = scratch;
    }
    if (cv->d.transpose) {
        float *yo = cv->window ? (float *)scratch : y;
        if ((st = CK(cudnnConvolutionBackwardData(cv->h, &one, cv->wd, w, cv->xd, xin, cv->cd,
                                                  (cudnnConvolutionBwdDataAlgo_t)cv->algo, ws, cv->ws, &zero,
                                                  cv->yd, yo))))
            return st;
        if (cv->window) {
            /* The window kernel's spatial sizes are the N*M planes of the big result cropped to y. */
            int64_t src[3], dst[3], off[3];
            for (int i = 0; i < cv->nsp; i++)
                src[i] = cv->src_sp[i], dst[i] = cv->dst_sp[i], off[i] = cv->off[i];
            if ((st = vrt__cuda_window(s, yo, y, cv->win_nc, cv->nsp, src, dst, off))) {
                vrt_errbuf_set(err, cap, "%s", vrt__cuda_epilogue_error());
                return st;
            }
        }
    } else if (cv->fused) {
        const float alpha2 = res ? 1.0f : 0.0f;
        if ((st = CK(cudnnConvolutionBiasActivationForward(
                 cv->h, &one, cv->xd, xin, cv->wd, w, cv->cd, (cudnnConvolutionFwdAlgo_t)cv->algo, ws, cv->ws,
                 &alpha2, cv->yd, res ? (const void *)res : (const void *)y, cv->bd, bias ? bias : zero_bias,
                 cv->ad, cv->yd, y))))
            return st;
        if (cv->fused == 2) {
            /* bias (+ residual) added in fp32 by cuDNN; the activation it cannot do in our kernel */
            int64_t sp = 1;
            for (int i = 0; i < p->nsp; i++)
                sp *= p->out[i];
            if ((st = vrt__cuda_epilogue_nhwc_half(s, y, p->N * p->M * sp, p->M, NULL, NULL, &p->act))) {
                vrt_errbuf_set(err, cap, "%s", vrt__cuda_epilogue_error());
                return st;
            }
        }
        return VRT_OK;
    } else {
        if ((st = CK(cudnnConvolutionForward(cv->h, &one, cv->xd, xin, cv->wd, w, cv->cd,
                                             (cudnnConvolutionFwdAlgo_t)cv->algo, ws, cv->ws, &zero, cv->yd,
                                             y))))
            return st;
    }
    if (cv->d.nhwc_half) {
        if (!(bias || res || p->act.kind != VRT__ACT_NONE)) return VRT_OK;
        int64_t sp = 1;
        for (int i = 0; i < p->nsp; i++)
            sp *= p->out[i];
        if ((st = vrt__cuda_epilogue_nhwc_half(s, y, p->N * p->M * sp, p->M, bias, res, &p->act))) {
            vrt_errbuf_set(err, cap, "%s", vrt__cuda_epilogue_error());
            return st;
        }
        return VRT_OK;
    }
    if (bias || res || p->act.kind != VRT__ACT_NONE) {
        int64_t sp = 1;
        for (int i = 0; i < p->nsp; i++)
            sp *= p->out[i];
        if ((st = vrt__cuda_epilogue(s, y, p->N * p->M * sp, bias, 1.0f, sp, p->M, 1, 0, res, &p->act))) {
            vrt_errbuf_set(err, cap, "%s", vrt__cuda_epilogue_error());
            return st;
        }
    }
    return VRT_OK;
}

/* What cuDNN's Find measured: the best algorithm allowed, and
 * IMPLICIT_PRECOMP_GEMM's (the one the fused call takes) when it ran. */
typedef struct conv_found {
    int best, math, precomp_ok, precomp_math;
    float best_ms, precomp_ms;
    size_t best_ws, precomp_ws;
} conv_found;

static vrt_status find_forward(vrt__cuda_conv *cv, const float *xin, const float *w, float *y, void *ws,
                               size_t ws_bytes, conv_found *f, char *err, size_t cap) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int n = 0;
    vrt_status st;
    if ((st = CK(cudnnFindConvolutionForwardAlgorithmEx(cv->h, cv->xd, xin, cv->wd, w, cv->cd, cv->yd, y,
                                                        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, perf, ws,
                                                        ws_bytes))))
        return st;
    int has_tc = 0;
    for (int i = 0; i < n; i++)
        has_tc |= perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= ws_bytes &&
                  perf[i].mathType == CUDNN_TENSOR_OP_MATH;
    for (int i = 0; i < n; i++) {
        if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > ws_bytes) continue;
        /* Strict fp32: only FMA math, whatever Find tried. */
        if (cv->d.math == VRT__CUDA_MATH_FP32 && perf[i].mathType != CUDNN_FMA_MATH) continue;
        /* fp16 NHWC: tensor-core kernels only (Find's DEFAULT_MATH picks are slow at batch 1). */
        if (cv->d.nhwc_half && perf[i].mathType != CUDNN_TENSOR_OP_MATH && has_tc) continue;
        if (f->best < 0)
            f->best = perf[i].algo, f->best_ms = perf[i].time, f->best_ws = perf[i].memory,
            f->math = perf[i].mathType;
        if (perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM && !f->precomp_ok)
            f->precomp_ok = 1, f->precomp_ms = perf[i].time, f->precomp_ws = perf[i].memory,
            f->precomp_math = perf[i].mathType;
    }
    return VRT_OK;
}

static vrt_status find_backward(vrt__cuda_conv *cv, const float *xin, const float *w, float *y, void *scratch,
                                void *ws, size_t ws_bytes, conv_found *f, char *err, size_t cap) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int n = 0;
    vrt_status st;
    float *yo = cv->window ? (float *)scratch : y;
    if ((st = CK(cudnnFindConvolutionBackwardDataAlgorithmEx(cv->h, cv->wd, w, cv->xd, xin, cv->cd, cv->yd,
                                                             yo, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &n,
                                                             perf, ws, ws_bytes))))
        return st;
    for (int i = 0; i < n; i++) {
        if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > ws_bytes) continue;
        if (cv->d.math == VRT__CUDA_MATH_FP32 && perf[i].mathType != CUDNN_FMA_MATH) continue;
        f->best = perf[i].algo, f->best_ms = perf[i].time, f->best_ws = perf[i].memory,
        f->math = perf[i].mathType;
        break;
    }
    return VRT_OK;
}

/* IMPLICIT_PRECOMP_GEMM, as the fused call needs, with epilogue `fused`. */
static void take_precomp(vrt__cuda_conv *cv, const conv_found *f, int fused) {
    cv->algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, cv->ws = f->precomp_ws,
    cv->ms = f->precomp_ms;
    cv->math = f->precomp_math;
    cv->fused = fused;
}

/* Whether and how much of the epilogue goes into cuDNN's fused call
 * (cv->fused: 0 none, 1 bias+act+residual, 2 bias+residual). */
static void pick_fused(vrt__cuda_conv *cv, const conv_found *f) {
    cv->algo = f->best, cv->ws = f->best_ws, cv->ms = f->best_ms, cv->math = f->math, cv->fused = 0;
    /* Option fused_epilogue OFF: conv + our epilogue kernel always (for measurements). */
    if (fusable(cv) && !cv->d.no_fuse) {
        /* Identity needs IMPLICIT_PRECOMP_GEMM for the fused call; take it when
         * it is within 25% of the best (the epilogue kernel costs about that). */
        if (cv->d.p.act.kind == VRT__ACT_NONE) {
            /* fp16 NHWC: always when possible (bias in fp32 before rounding, see below). */
            if (f->precomp_ok && (cv->d.nhwc_half || f->precomp_ms <= f->best_ms * 1.25f + 0.002f))
                take_precomp(cv, f, 1);
        } else {
            cv->fused = 1;
        }
    } else if (cv->d.nhwc_half && !fusable(cv) && (cv->d.has_bias || cv->d.has_residual) && f->precomp_ok) {
        /* fp16 NHWC with an activation cuDNN cannot fuse (SiLU, LeakyRelu, ...):
         * still add bias and residual inside cuDNN's call (identity activation,
         * fp32 before the one rounding to fp16), activation in our kernel after.
         * Adding the bias to an fp16-ROUNDED conv output instead loses the
         * result where a BatchNorm-folded bias cancels a large conv sum (YOLOX's
         * 0..255 input: conv sums ~1e3, fp16 ulp 0.5-1, results ~1). */
        take_precomp(cv, f, 2);
    }
}

vrt_status vrt__cuda_conv_choose(vrt__cuda_conv *cv, vrt__algo_cache *cache, const char *model_key,
                                 cudaStream_t s, const float *x, const float *w, const float *bias,
                                 const float *zero_bias, const float *res, float *y, void *scratch, void *ws,
                                 size_t ws_bytes, char *err, size_t cap) {
    (void)model_key;
    vrt_status st;
    vrt__algo_entry e;
    if ((st = CK(cudnnSetStream(cv->h, s)))) return st;
    if (vrt__algo_cache_get(cache, cv->key, &e) && e.workspace <= ws_bytes) {
        cv->algo = e.algo % 100;
        cv->math = e.algo / 100;
        cv->ws = e.workspace;
        cv->ms = e.ms;
        cv->fused = e.fused;
        cv->cached = 1;
        return CK(cudnnSetConvolutionMathType(cv->cd, (cudnnMathType_t)cv->math));
    }
    const float *xin = x;
    if (cv->window && !cv->d.transpose) {
        if ((st = vrt__cuda_window(s, x, scratch, cv->win_nc, cv->nsp, cv->src_sp, cv->dst_sp, cv->off))) {
            vrt_errbuf_set(err, cap, "%s", vrt__cuda_epilogue_error());
            return st;
        }
        xin = scratch;
    }
    conv_found f = {.best = -1, .math = (int)math_of(cv->d.math)};
    f.precomp_math = f.math;
    st = !cv->d.transpose ? find_forward(cv, xin, w, y, ws, ws_bytes, &f, err, cap)
                          : find_backward(cv, xin, w, y, scratch, ws, ws_bytes, &f, err, cap);
    if (st) return st;
    if (f.best < 0) {
        vrt_errbuf_set(err, cap, "cuDNN found no %s algorithm for %s within a %zu-byte workspace (math %s)",
                       cv->d.transpose ? "backward-data" : "forward", cv->key, ws_bytes,
                       vrt__cuda_math_name(cv->d.math));
        return VRT_EUNSUPPORTED;
    }
    pick_fused(cv, &f);
    if (cv->fused) {
        /* Trial: cuDNN refuses some (algo, activation) pairs at call time. */
        char e2[256];
        if ((st = CK(cudnnSetConvolutionMathType(cv->cd, (cudnnMathType_t)cv->math)))) return st;
        if (enqueue(cv, s, x, w, bias, zero_bias, res, y, scratch, ws, e2, sizeof(e2))) {
            cv->fused = 0;
            cv->algo = f.best, cv->ws = f.best_ws, cv->ms = f.best_ms, cv->math = f.math;
        }
    }
    if ((st = CK(cudnnSetConvolutionMathType(cv->cd, (cudnnMathType_t)cv->math)))) return st;
    e.algo = cv->algo + 100 * cv->math;
    e.workspace = cv->ws;
    e.ms = cv->ms;
    e.fused = cv->fused;
    vrt__algo_cache_put(cache, cv->key, &e);
    return VRT_OK;
}

vrt_status vrt__cuda_conv_run(vrt__cuda_conv *cv, cudaStream_t s, const float *x, const float *w,
                              const float *bias, const float *zero_bias, const float *res, float *y,
                              void *scratch, void *ws, char *err, size_t cap) {
    vrt_status st;
    if ((st = CK(cudnnSetStream(cv->h, s)))) return st;
    return enqueue(cv, s, x, w, bias, zero_bias, res, y, scratch, ws, err, cap);
}

void vrt__cuda_conv_describe(const vrt__cuda_conv *cv, char *buf, size_t cap) {
    const char *name = "?";
    if (cv->algo >= 0)
        name = cv->d.transpose ? (cv->algo < 6 ? bwd_names[cv->algo] : "?")
                               : (cv->algo < 8 ? fwd_names[cv->algo] : "?");
    static const char *maths[] = {"default", "tensor_op", "tensor_op_allow_conversion", "fma"};
    snprintf(buf, cap, "%s algo %d (%s), math %s, workspace %zu B, %.4f ms, %s%s%s",
             cv->d.transpose ? "bwd-data" : "fwd", cv->algo, name,
             cv->math >= 0 && cv->math < 4 ? maths[cv->math] : "?", cv->ws, (double)cv->ms,
             cv->fused == 2 ? "fused bias+residual in cuDNN, activation in epilogue kernel"
             : cv->fused    ? "fused bias+act+residual in cuDNN"
                            : "epilogue kernel",
             cv->window ? ", asymmetric pads via scratch" : "", cv->cached ? ", from cache" : "");
}

void vrt__cuda_conv_destroy(vrt__cuda_conv **pcv) {
    if (!pcv || !*pcv) return;
    vrt__cuda_conv *cv = *pcv;
    if (cv->xd) cudnnDestroyTensorDescriptor(cv->xd);
    if (cv->yd) cudnnDestroyTensorDescriptor(cv->yd);
    if (cv->bd) cudnnDestroyTensorDescriptor(cv->bd);
    if (cv->wd) cudnnDestroyFilterDescriptor(cv->wd);
    if (cv->cd) cudnnDestroyConvolutionDescriptor(cv->cd);
    if (cv->ad) cudnnDestroyActivationDescriptor(cv->ad);
    vrt_free(cv);
    *pcv = NULL;
}
