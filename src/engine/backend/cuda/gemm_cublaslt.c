/*
 * ONNX Gemm and MatMul on cuBLASLt (fp32 tensors; the math mode picks the
 * compute type: 32F, 32F_FAST_TF32 or 32F_FAST_16F).
 *
 * Row-major through the usual transpose trick: cuBLASLt is column-major, and
 * a row-major R x C matrix is a column-major C x R one, so Y = op(A) op(B)
 * (row-major, M x N) is computed as Y^T = op(B)^T op(A)^T (column-major
 * N x M): Lt's "A" is ONNX's B and Lt's "B" is ONNX's A.
 * Epilogues: a Gemm whose C is a row vector of N (beta 1), and a MatMul's
 * fused bias ("_bias", every batch the same: bias batch stride 0), use Lt's
 * BIAS / RELU_BIAS epilogue; a plain Relu uses RELU; GELU (+ bias) uses Lt's
 * GELU / GELU_BIAS, which is the tanh form: for Gelu(approximate=tanh), and
 * for the erf form only in fp16 math, where the forms' difference (< 5e-4)
 * is below fp16's rounding; when Lt has no algorithm with that epilogue, our
 * kernel applies the GELU. Anything else (general C broadcast, beta != 1,
 * other activations) goes through our epilogue kernel.
 * MatMul batches: one strided-batched call when each operand's batch is
 * either the output's or a single matrix (stride 0); other broadcasts loop
 * over the output batch with one call per matrix (offsets computed here).
 */
#include <stdio.h>
#include <string.h>

#include "engine/backend/cuda/eltwise.h"
#include "engine/backend/cuda/epilogue.h"
#include "engine/backend/cuda/gemm_cublaslt.h"
#include "engine/backend/cuda/rows_half.h"

#define CK(call) VRT_CUBLAS_CHECK(err, cap, call)

struct vrt__cuda_gemm {
    cublasLtHandle_t h;
    cublasLtMatmulDesc_t op;
    cublasLtMatrixLayout_t la, lb, ld;
    cublasLtMatmulAlgo_t algo;
    size_t ws;
    int64_t M, N, K;
    float alpha;
    /* Epilogue by our kernel: y = act(y + beta * C[bcast]). */
    int c_kernel;
    float beta;
    int64_t c_s_outer, c_s_inner;
    int lt_bias, lt_relu, lt_gelu;
    vrt__activation act;    /* applied by our kernel (kind NONE when Lt does it) */
    vrt__activation act_in; /* the fused activation as given (our kernel's when Lt's GELU has no algorithm) */
    /* Batches: strided (nloop == 0) or a loop over per-matrix offsets (elements). */
    int64_t batch;
    int nloop;
    int64_t *a_off, *b_off;
    int is_gemm;
    int half; /* A, B, Y (and the bias) fp16 in memory, fp32 accumulation (the fp16 rows plan) */
    char what[160];
};

static cublasComputeType_t compute_of(vrt__cuda_math m, int half) {
    if (half) return CUBLAS_COMPUTE_32F; /* fp16 operands as stored, fp32 accumulation */
    switch (m) {
    case VRT__CUDA_MATH_TF32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case VRT__CUDA_MATH_FP16: return CUBLAS_COMPUTE_32F_FAST_16F;
    default: return CUBLAS_COMPUTE_32F;
    }
}

static uint32_t align_of(int64_t elems, int half) {
    uint64_t b = (uint64_t)elems * (half ? 2 : 4);
    uint32_t a = 256;
    while (a > 4 && (b % a))
        a >>= 1;
    return a;
}

static vrt_status layout(cublasLtMatrixLayout_t *l, int half, int64_t rows, int64_t cols, int64_t ldm,
                         int64_t batch, int64_t stride, char *err, size_t cap) {
    vrt_status st;
    if ((st = CK(cublasLtMatrixLayoutCreate(l, half ? CUDA_R_16F : CUDA_R_32F, (uint64_t)rows, (uint64_t)cols,
                                            ldm))))
        return st;
    if (batch > 1) {
        int32_t bc = (int32_t)batch;
        if ((st = CK(cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &bc,
                                                      sizeof(bc)))) ||
            (st = CK(cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                                      &stride, sizeof(stride)))))
            return st;
    }
    return VRT_OK;
}

static cublasLtEpilogue_t epilogue_of(const vrt__cuda_gemm *g) {
    if (g->lt_gelu) return g->lt_bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
    if (g->lt_bias) return g->lt_relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
    return g->lt_relu ? CUBLASLT_EPILOGUE_RELU : CUBLASLT_EPILOGUE_DEFAULT;
}

/* The fused activation in Lt's epilogue where it computes the same
 * (RELU; GELU: see the top of the file); our kernel does the rest. */
static void lt_activation(vrt__cuda_gemm *g, vrt__cuda_math math) {
    g->act_in = g->act;
    if (g->K <= 0 || g->c_kernel) return;
    if (g->act.kind == VRT__ACT_RELU)
        g->lt_relu = 1;
    else if (g->act.kind == VRT__ACT_GELU_TANH ||
             (g->act.kind == VRT__ACT_GELU && math == VRT__CUDA_MATH_FP16))
        g->lt_gelu = 1;
    else
        return;
    g->act.kind = VRT__ACT_NONE;
}

/* Common part: descriptors (Lt A = ONNX B, Lt B = ONNX A) and the heuristic. */
static vrt_status build(vrt__cuda_gemm *g, int trans_a, int trans_b, vrt__cuda_math math, int64_t sa,
                        int64_t sb, int64_t sd, uint32_t min_align, size_t ws_bytes, char *err, size_t cap) {
    vrt_status st;
    int64_t M = g->M, N = g->N, K = g->K;
    cublasOperation_t ta = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, tb = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    if ((st = CK(cublasLtMatmulDescCreate(&g->op, compute_of(math, g->half), CUDA_R_32F))) ||
        (st = CK(cublasLtMatmulDescSetAttribute(g->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof(ta)))) ||
        (st = CK(cublasLtMatmulDescSetAttribute(g->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof(tb)))))
        return st;
    cublasLtEpilogue_t ep = epilogue_of(g);
    if ((st = CK(cublasLtMatmulDescSetAttribute(g->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &ep, sizeof(ep)))))
        return st;
    int64_t bias_stride = 0;
    if (g->lt_bias && (st = CK(cublasLtMatmulDescSetAttribute(g->op, CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE,
                                                              &bias_stride, sizeof(bias_stride)))))
        return st;
    int64_t batch = g->nloop ? 1 : g->batch;
    if ((st = layout(&g->la, g->half, trans_b ? K : N, trans_b ? N : K, trans_b ? K : N, batch, sa, err,
                     cap)) ||
        (st = layout(&g->lb, g->half, trans_a ? M : K, trans_a ? K : M, trans_a ? M : K, batch, sb, err,
                     cap)) ||
        (st = layout(&g->ld, g->half, N, M, N, batch, sd, err, cap)))
        return st;
    cublasLtMatmulPreference_t pref;
    if ((st = CK(cublasLtMatmulPreferenceCreate(&pref)))) return st;
    uint64_t wsb = ws_bytes;
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &wsb, sizeof(wsb));
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &min_align,
                                         sizeof(min_align));
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &min_align,
                                         sizeof(min_align));
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &min_align,
                                         sizeof(min_align));
    cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &min_align,
                                         sizeof(min_align));
    cublasLtMatmulHeuristicResult_t res;
    memset(&res, 0, sizeof(res));
    int nres = 0;
    st = CK(cublasLtMatmulAlgoGetHeuristic(g->h, g->op, g->la, g->lb, g->ld, g->ld, pref, 1, &res, &nres));
    if (!st && nres < 1 && g->lt_gelu) {
        /* No algorithm with Lt's GELU: its bias epilogue and our kernel's GELU. */
        g->lt_gelu = 0;
        g->act = g->act_in;
        ep = epilogue_of(g);
        if (!(st = CK(cublasLtMatmulDescSetAttribute(g->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &ep, sizeof(ep)))))
            st = CK(cublasLtMatmulAlgoGetHeuristic(g->h, g->op, g->la, g->lb, g->ld, g->ld, pref, 1, &res,
                                                   &nres));
    }
    cublasLtMatmulPreferenceDestroy(pref);
    if (st) return st;
    if (nres < 1) {
        vrt_errbuf_set(err, cap, "cuBLASLt has no algorithm for %s (M %lld N %lld K %lld, batch %lld)",
                       g->is_gemm ? "Gemm" : "MatMul", (long long)M, (long long)N, (long long)K,
                       (long long)g->batch);
        return VRT_EUNSUPPORTED;
    }
    g->algo = res.algo;
    g->ws = res.workspaceSize;
    snprintf(g->what, sizeof(g->what),
             "cuBLASLt %s%s M %lld N %lld K %lld batch %lld%s, epilogue %s%s, workspace %zu B",
             g->is_gemm ? "Gemm" : "MatMul", g->half ? " (fp16 in/out, fp32 accumulation)" : "", (long long)M,
             (long long)N, (long long)K, (long long)g->batch, g->nloop ? " (loop)" : "",
             ep == CUBLASLT_EPILOGUE_DEFAULT     ? "none"
             : ep == CUBLASLT_EPILOGUE_BIAS      ? "bias"
             : ep == CUBLASLT_EPILOGUE_RELU      ? "relu"
             : ep == CUBLASLT_EPILOGUE_GELU      ? "gelu (tanh form)"
             : ep == CUBLASLT_EPILOGUE_GELU_BIAS ? "gelu (tanh form)+bias"
                                                 : "relu+bias",
             g->c_kernel || g->act.kind != VRT__ACT_NONE ? " + kernel" : "", g->ws);
    return VRT_OK;
}

vrt_status vrt__cuda_gemm_create_gemm(cublasLtHandle_t h, const vrt__gemm_params *p, int has_c,
                                      vrt__cuda_math math, size_t ws_bytes, vrt__cuda_gemm **out, char *err,
                                      size_t cap) {
    *out = NULL;
    vrt__cuda_gemm *g = vrt_calloc(1, sizeof(*g));
    if (!g) return VRT_ENOMEM;
    g->h = h;
    g->is_gemm = 1;
    g->M = p->M, g->N = p->N, g->K = p->K;
    g->alpha = p->alpha;
    g->beta = p->beta;
    g->batch = 1;
    g->act = p->act;
    if (has_c && p->beta != 0.0f) {
        const vrt__shape *c = &p->c_shape;
        int64_t cM = c->ndim == 2 ? c->d[0] : 1, cN = c->ndim >= 1 ? c->d[c->ndim - 1] : 1;
        if ((cM != 1 && cM != p->M) || (cN != 1 && cN != p->N)) {
            vrt__cuda_gemm_destroy(&g);
            vrt_errbuf_set(err, cap, "Gemm: C of shape %lld x %lld does not broadcast to %lld x %lld",
                           (long long)cM, (long long)cN, (long long)p->M, (long long)p->N);
            return VRT_EINVAL;
        }
        if (cM == 1 && cN == p->N && p->beta == 1.0f && p->K > 0) {
            g->lt_bias = 1;
        } else {
            g->c_kernel = 1;
            g->c_s_outer = cM == 1 ? 0 : cN;
            g->c_s_inner = cN == 1 ? 0 : 1;
        }
    }
    lt_activation(g, math);
    vrt_status st = VRT_OK;
    if (p->K > 0 && p->M > 0 && p->N > 0)
        st = build(g, p->trans_a, p->trans_b, math, 0, 0, 0, 256, ws_bytes, err, cap);
    if (st) {
        vrt__cuda_gemm_destroy(&g);
        return st;
    }
    *out = g;
    return VRT_OK;
}

/* Batch dims that no single stride describes (broadcast in the middle):
 * one matmul per batch entry at these offsets; *al drops to the alignment
 * every offset keeps. */
static vrt_status loop_offsets(vrt__cuda_gemm *g, int nb, const int64_t *ob, const int64_t *ab,
                               const int64_t *bb, int64_t sd, uint32_t *al) {
    int64_t batch = g->batch;
    g->nloop = (int)batch;
    g->a_off = vrt_calloc((size_t)batch, sizeof(int64_t));
    g->b_off = vrt_calloc((size_t)batch, sizeof(int64_t));
    if (!g->a_off || !g->b_off) return VRT_ENOMEM;
    for (int64_t q = 0; q < batch; q++) {
        int64_t r = q, ia = 0, ib = 0, ma = 1, mb = 1;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t idx = r % ob[i];
            r /= ob[i];
            ia += (ab[i] == 1 ? 0 : idx) * ma;
            ib += (bb[i] == 1 ? 0 : idx) * mb;
            ma *= ab[i], mb *= bb[i];
        }
        g->a_off[q] = ia * g->M * g->K;
        g->b_off[q] = ib * g->K * g->N;
        uint32_t x = align_of(g->a_off[q], g->half), y = align_of(g->b_off[q], g->half),
                 z = align_of(q * sd, g->half);
        if (x < *al) *al = x;
        if (y < *al) *al = y;
        if (z < *al) *al = z;
    }
    return VRT_OK;
}

vrt_status vrt__cuda_gemm_create_matmul(cublasLtHandle_t h, const vrt__shape *a, const vrt__shape *b,
                                        int has_bias, const vrt__activation *act, vrt__cuda_math math,
                                        int half, size_t ws_bytes, vrt__cuda_gemm **out, char *err,
                                        size_t cap) {
    *out = NULL;
    vrt__shape o;
    vrt_status st = vrt__matmul_shape(a, b, &o);
    if (st) {
        vrt_errbuf_set(err, cap, "MatMul: shapes do not match");
        return st;
    }
    vrt__cuda_gemm *g = vrt_calloc(1, sizeof(*g));
    if (!g) return VRT_ENOMEM;
    g->h = h;
    g->alpha = 1.0f;
    g->half = half;
    if (act) g->act = *act;
    /* Promote 1-D operands. */
    vrt__shape A = *a, B = *b;
    if (A.ndim == 1) A.ndim = 2, A.d[1] = A.d[0], A.d[0] = 1;
    if (B.ndim == 1) B.ndim = 2, B.d[1] = 1;
    g->M = A.d[A.ndim - 2], g->K = A.d[A.ndim - 1], g->N = B.d[B.ndim - 1];
    int nb = (A.ndim > B.ndim ? A.ndim : B.ndim) - 2;
    int64_t ob[VRT__MAX_DIMS], ab[VRT__MAX_DIMS], bb[VRT__MAX_DIMS];
    int64_t batch = 1, an = 1, bn = 1;
    for (int i = 0; i < nb; i++) {
        int ia = i - (nb - (A.ndim - 2)), ib = i - (nb - (B.ndim - 2));
        ab[i] = ia >= 0 ? A.d[ia] : 1;
        bb[i] = ib >= 0 ? B.d[ib] : 1;
        ob[i] = ab[i] > bb[i] ? ab[i] : bb[i];
        batch *= ob[i], an *= ab[i], bn *= bb[i];
    }
    g->batch = batch;
    int a_ok = an == 1 || an == batch, b_ok = bn == 1 || bn == batch;
    for (int i = 0; i < nb; i++) {
        if (an != 1 && ab[i] != ob[i]) a_ok = 0;
        if (bn != 1 && bb[i] != ob[i]) b_ok = 0;
    }
    int64_t sa = bn == 1 ? 0 : g->K * g->N, sb = an == 1 ? 0 : g->M * g->K,
            sd = g->M * g->N; /* Lt A = B, Lt B = A */
    uint32_t al = 256;
    if (a_ok && b_ok) {
        if (batch > 1) {
            uint32_t x = align_of(sa ? sa : 64, half), y = align_of(sb ? sb : 64, half),
                     z = align_of(sd, half);
            al = x < y ? x : y;
            al = al < z ? al : z;
        }
    } else if ((st = loop_offsets(g, nb, ob, ab, bb, sd, &al))) {
        vrt__cuda_gemm_destroy(&g);
        return st;
    }
    if (has_bias && g->K > 0) {
        g->lt_bias = 1;
    } else if (has_bias) { /* no multiply: y = bias, by our epilogue kernel over zeros */
        g->c_kernel = 1, g->beta = 1.0f, g->c_s_outer = 0, g->c_s_inner = 1;
    }
    if (half && g->c_kernel) { /* our fp32 epilogue kernel cannot finish an fp16 result */
        vrt__cuda_gemm_destroy(&g);
        vrt_errbuf_set(err, cap, "MatMul with fp16 storage: no multiply (K = 0) with a bias");
        return VRT_EUNSUPPORTED;
    }
    lt_activation(g, math);
    st = VRT_OK;
    if (g->K > 0 && g->M > 0 && g->N > 0 && batch > 0)
        st = build(g, 0, 0, math, sa, sb, sd, al, ws_bytes, err, cap);
    if (st) {
        vrt__cuda_gemm_destroy(&g);
        return st;
    }
    *out = g;
    return VRT_OK;
}

vrt_status vrt__cuda_gemm_run(vrt__cuda_gemm *g, cudaStream_t s, const void *A, const void *B, const void *C,
                              void *Y, void *ws, size_t ws_bytes, char *err, size_t cap) {
    vrt_status st;
    int64_t total = g->M * g->N * g->batch;
    if (total <= 0) return VRT_OK;
    const float zero = 0.0f;
    const size_t es = g->half ? 2 : 4; /* element bytes in memory */
    if (g->K <= 0) {
        if ((st = VRT_CUDA_CHECK(err, cap, cudaMemsetAsync(Y, 0, (size_t)total * es, s)))) return st;
    } else {
        if (g->lt_bias && (st = CK(cublasLtMatmulDescSetAttribute(g->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                                                  &C, sizeof(C)))))
            return st;
        size_t wsz = g->ws <= ws_bytes ? g->ws : ws_bytes;
        if (!g->nloop) {
            if ((st = CK(cublasLtMatmul(g->h, g->op, &g->alpha, B, g->la, A, g->lb, &zero, Y, g->ld, Y, g->ld,
                                        &g->algo, ws, wsz, s))))
                return st;
        } else {
            for (int q = 0; q < g->nloop; q++) {
                uint8_t *y = (uint8_t *)Y + (size_t)q * g->M * g->N * es;
                const uint8_t *bq = (const uint8_t *)B + (size_t)g->b_off[q] * es,
                              *aq = (const uint8_t *)A + (size_t)g->a_off[q] * es;
                if ((st = CK(cublasLtMatmul(g->h, g->op, &g->alpha, bq, g->la, aq, g->lb, &zero, y, g->ld, y,
                                            g->ld, &g->algo, ws, wsz, s))))
                    return st;
            }
        }
    }
    if (g->half) { /* the activation Lt did not do, over the fp16 result (c_kernel is refused at create) */
        if (g->act.kind != VRT__ACT_NONE && (st = vrt__cuda_act_h((void *)s, Y, Y, total, &g->act))) {
            vrt_errbuf_set(err, cap, "%s", vrt__cuda_kernels_error());
            return st;
        }
        return VRT_OK;
    }
    const float *cb = g->c_kernel ? C : NULL;
    if (cb || g->act.kind != VRT__ACT_NONE) {
        if ((st = vrt__cuda_epilogue(s, (float *)Y, total, cb, g->beta, g->N, g->M, g->c_s_outer,
                                     g->c_s_inner, NULL, &g->act))) {
            vrt_errbuf_set(err, cap, "%s", vrt__cuda_epilogue_error());
            return st;
        }
    }
    return VRT_OK;
}

void vrt__cuda_gemm_describe(const vrt__cuda_gemm *g, char *buf, size_t cap) {
    if (g->what[0])
        snprintf(buf, cap, "%s", g->what);
    else
        snprintf(buf, cap, "empty %s (no multiply)", g->is_gemm ? "Gemm" : "MatMul");
}

void vrt__cuda_gemm_destroy(vrt__cuda_gemm **pg) {
    if (!pg || !*pg) return;
    vrt__cuda_gemm *g = *pg;
    if (g->la) cublasLtMatrixLayoutDestroy(g->la);
    if (g->lb) cublasLtMatrixLayoutDestroy(g->lb);
    if (g->ld) cublasLtMatrixLayoutDestroy(g->ld);
    if (g->op) cublasLtMatmulDescDestroy(g->op);
    vrt_free(g->a_off);
    vrt_free(g->b_off);
    vrt_free(g);
    *pg = NULL;
}
