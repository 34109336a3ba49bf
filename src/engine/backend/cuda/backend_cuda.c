/*
 * The CUDA backend (host side): dispatch from IR nodes to cuDNN (Conv,
 * ConvTranspose), cuBLASLt (Gemm, MatMul) and our kernels (everything else:
 * cuda_kernels.h, epilogue.cu), behind the table of engine/backend.h.
 *
 * prepare(): one device buffer for all weights (fp16 ones converted to fp32
 * on the host, uploaded once), the planned arena, the const region, one
 * scratch buffer (asymmetric-pad windows, casts, top-k, resize), the cuDNN
 * and cuBLASLt workspaces, the handles and one non-blocking stream; cuDNN
 * algorithms timed on the real buffers or read from the disk cache; const
 * nodes run once. Pinned host staging per graph input/output.
 *
 * Per inference: set_input copies (or converts fp16, double, bfloat16,
 * float8/4 and sub-byte ints to the engine's wider internal type, with the
 * CPU backend's lowp.h functions) into the input's pinned staging; run() enqueues H2D of every input, every
 * step, and D2H of every output into its staging -- either directly or, from the second run on, as ONE CUDA
 * graph replay (captured once; VRT_CUDA_GRAPHS=0 turns graphs off); get_output enqueues a host function that
 * copies (or converts fp32 -> fp16) staging into the caller's buffer; sync() waits. Nothing in run()
 * allocates, synchronises or logs.
 *
 * Math: vrt__backend_params.precision = auto|fp16|fp32|tf32 (cuda_common.h;
 * auto, the default, is fp16 NHWC storage for convolution-heavy models and
 * strict fp32 otherwise); the environment variable VRT_CUDA_MATH overrides
 * it. Other options (environment, read at prepare): VRT_CUDA_GRAPHS=0,
 * VRT_CACHE_DIR (algorithm cache folder). fp16 plan (each on by default,
 * each with a switch for comparisons): our implicit-GEMM conv timed against
 * cuDNN per conv (VRT_CUDA_CONV=cudnn|own forces a side), Concats in fp16
 * (VRT_CUDA_HALF_CONCAT=0) and in place (VRT_CUDA_CONCAT_IN_PLACE=0), our
 * max pool (VRT_CUDA_POOL=cudnn) with the SPP cascade
 * (VRT_CUDA_SPP_CASCADE=0), the Focus stem read in the conv's gather
 * (VRT_CUDA_FOCUS=0), programmatic dependent launch (VRT_CUDA_PDL=0).
 * Experiments, off by default: VRT_CUDA_FUSE_DW=1 (depthwise conv in the
 * next 1x1 conv's gather), VRT_CUDA_DW8=1 (8-channel depthwise kernel),
 * VRT_CUDA_DW=cudnn (cuDNN's depthwise convs).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backend.h"
#include "engine/op_params.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cpu/kernels_tensor.h"
#include "engine/backend/cpu/lowp.h"
#include "engine/backend/cuda/cuda_common.h"
#include "engine/backend/cuda/cuda_kernels.h"
#include "model/ops.h"

#define MAXIO VRT__MAX_CONCAT_INPUTS
#define LT_WS_LIMIT ((size_t)32 << 20)
#define SEARCH_WS_LIMIT ((size_t)256 << 20)

typedef struct step {
    const vrt__node *n;
    int nin, nout;
    void *in[MAXIO];
    void *out[MAXIO];
    const vrt__tensor *ti[MAXIO];
    const vrt__tensor *to[MAXIO];
    vrt__dtype dt; /* internal dtype of input 0 */
    size_t elem;   /* internal element size of output 0 */
    union {
        vrt__conv_params conv;
        vrt__pool_params pool;
        vrt__gemm_params gemm;
        vrt__resize_params resize;
        vrt__reduce_params red;
        vrt__softmax_params sm;
        vrt__argmax_params am;
        vrt__topk_params tk;
        vrt__slice_params sl;
        vrt__pad_params pad;
        vrt__unary_params un;
    } u;
    vrt__activation act;
    int sub; /* binary / compare op, flags */
    int64_t iv[2 * VRT__MAX_DIMS + MAXIO];
    int niv;
    float fv[4];
    uint8_t value[8]; /* Pad / ConstantOfShape value bytes */
    vrt__cuda_conv *conv;
    vrt__cuda_gemm *gemm;
    /* fp16 NHWC storage (VRT_CUDA_MATH=fp16; see plan_half): the step runs on
     * hx/hr -> hy; cx/cr/cy: the fp32 NCHW tensor is converted into / out of a
     * shared buffer around the step. hw/hb: fp16 KRSC weights and bias. */
    int h, cx, cr, cy;
    int dw; /* depthwise conv on our own fp16 NHWC kernel (not cuDNN) */
    vrt__cuda_dw_shape dws;
    /* Our implicit-GEMM conv (fp16 NHWC, group 1, 2-D): own_ok when it can run
     * this conv, own = 1 + config when it was chosen over cuDNN (timed at
     * prepare); own_ms / dnn_ms: the timings (graph replay, ms per conv). */
    int own_ok, own;
    int cat;             /* writes into an in-place Concat's output: must run on our igemm */
    int dwf;             /* 1 + step index of the depthwise conv fused into this 1x1 conv's gather */
    void *dwt;           /* depthwise (C % 8 == 0): weights taps-major (KH*KW, C), fp16, in c->dwt */
    const void *focus_x; /* Focus read in the gather (plan_focus): the tensor the slices cut */
    int fused;           /* this depthwise conv runs inside the next conv (dwf): nothing to do */
    int pool_dnn;        /* fp16 MaxPool on cuDNN (VRT_CUDA_POOL=cudnn) instead of our kernel */
    const void *mp_src;  /* SPP cascade (plan_spp): pool mp_src with an mp_k window instead */
    int mp_k;
    vrt__cuda_igemm ig;
    float own_ms, dnn_ms;
    void *hx, *hr, *hy, *hw, *hb;
    cudnnPoolingDescriptor_t pool;
    cudnnTensorDescriptor_t pxd, pyd;
} step;

typedef struct io_cb {
    struct cuda_ctx *c;
    void *dst;       /* caller's buffer (set by get_output) */
    const void *src; /* pinned staging */
    int64_t n;
    int to_half;
    vrt__dtype lowp; /* held in a wider type (lowp.h): converted back to this; 0 = none */
    size_t bytes;
} io_cb;

typedef struct cuda_ctx {
    const vrt__ir *ir;
    const vrt__plan *plan;
    int device;
    vrt__cuda_math math;
    int math_auto;         /* math chosen by the "auto" rule */
    const char *half_skip; /* VRT_CUDA_HALF_SKIP (debugging, see node_half_ok) */
    int graphs;            /* graphs allowed */
    cudaStream_t stream;
    cudnnHandle_t dnn;
    cublasLtHandle_t lt;
    uint8_t *arena, *consts, *weights, *scratch, *ws, *lt_ws;
    float *zero_bias;
    size_t scratch_bytes, ws_bytes, lt_ws_bytes, zero_bias_n;
    uint8_t **ptr;  /* device pointer per tensor */
    uint8_t *hfmt;  /* per tensor: 1 = held as fp16 NHWC (plan_half) */
    uint8_t *hnode; /* per node: 1 = runs on fp16 NHWC */
    /* Concats done in place (plan_concat): per node, cat_skip = 1 for an
     * elided Concat; for each of its producer convs cat_out = the Concat's
     * output tensor + 1 and cat_off its first channel. cat_mem holds the
     * elided Concats' outputs (outside the arena: written before the Concat's
     * own lifetime starts). */
    uint8_t *cat_skip;
    int *cat_out, *cat_off;
    uint8_t *cat_mem;
    int n_cat;
    uint8_t *dwt; /* taps-major fp16 depthwise weights (prep_dw_taps) */
    int dw8;      /* VRT_CUDA_DW8=1: depthwise convs on the 8-channel kernel */
    int n_dwf;
    uint8_t *hbuf, *hweights; /* conversion buffers (x | residual | y), fp16 weights */
    step *steps;
    int n_steps;
    /* I/O staging (pinned) */
    void **in_stage, **out_stage;
    io_cb *out_cb;
    cudaEvent_t in_free; /* recorded after the inputs were copied to the device */
    int in_free_valid;
    /* graph */
    cudaGraph_t graph;
    cudaGraphExec_t gexec;
    int runs;
    /* report */
    vrt__algo_cache *cache;
    int cache_hits, cache_misses;
    double choose_ms;
    char err[512];
    const struct cuda_ctx *wbase; /* prepare_shared: weights (fp32 and fp16) borrowed from this context */
} cuda_ctx;

static int is_f(vrt__dtype d) {
    return d == VRT__DT_FLOAT || d == VRT__DT_FLOAT16;
}

static vrt_status nfail(cuda_ctx *c, const vrt__node *n, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static vrt_status nfail(cuda_ctx *c, const vrt__node *n, vrt_status st, const char *fmt, ...) {
    int w = snprintf(c->err, sizeof(c->err), "node '%s' (%s, opset %d): ", n->name, n->op_type, n->opset);
    if (w > 0 && (size_t)w < sizeof(c->err)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + w, sizeof(c->err) - (size_t)w, fmt, ap);
        va_end(ap);
    }
    return st;
}

static const vrt__shape *SI(const step *s, int k) {
    return &s->ti[k]->shape;
}
static const vrt__shape *SO(const step *s, int k) {
    return &s->to[k]->shape;
}

static void need_scratch(cuda_ctx *c, size_t b) {
    if (b > c->scratch_bytes) c->scratch_bytes = b;
}

#define NEED_FLOAT()                                                                                         \
    do {                                                                                                     \
        if (!is_f(s->ti[0]->dtype))                                                                          \
            return nfail(c, n, VRT_EUNSUPPORTED,                                                             \
                         "data type %s is not supported by the CUDA backend; supported: float32, float16",   \
                         vrt__dtype_name(s->ti[0]->dtype));                                                  \
    } while (0)

/* The integer element types the typed kernels (binary, MaxPool, TopK, Cast) take. */
static int is_int_type(vrt__dtype d) {
    return d == VRT__DT_INT64 || d == VRT__DT_INT32 || d == VRT__DT_INT16 || d == VRT__DT_INT8 ||
           d == VRT__DT_UINT64 || d == VRT__DT_UINT32 || d == VRT__DT_UINT16 || d == VRT__DT_UINT8;
}

/* Resolves node parameters into the step (no pointers yet). Accepts every
 * element type (combination) the CPU backend's prep_step accepts. */
static vrt_status prep_step(cuda_ctx *c, step *s) {
    const vrt__node *n = s->n;
    vrt_status st = VRT_OK;
    char kerr[256] = "";
    s->act = vrt__op_activation(n);
    vrt__binary_op bop = VRT__BIN_ADD;
    int r = s->nin && s->ti[0] ? s->ti[0]->shape.ndim : 0;
    switch ((vrt__op)n->op) {
    case VRT__OP_Conv:
    case VRT__OP_ConvTranspose: {
        NEED_FLOAT();
        st = vrt__op_conv_params(n, SI(s, 0), SI(s, 1), SO(s, 0), s->act, &s->u.conv, kerr, sizeof(kerr));
        break;
    }
    case VRT__OP_MaxPool:
    case VRT__OP_AveragePool: {
        /* 8-bit MaxPool (as the CPU): our typed kernel, exact (a max picks an input value). */
        if (!(n->op == VRT__OP_MaxPool && (s->dt == VRT__DT_UINT8 || s->dt == VRT__DT_INT8))) NEED_FLOAT();
        st = vrt__op_pool_params(n, SI(s, 0), SO(s, 0), &s->u.pool, kerr, sizeof(kerr));
        break;
    }
    case VRT__OP_GlobalAveragePool:
    case VRT__OP_GlobalMaxPool:
    case VRT__OP_BatchNormalization:
    case VRT__OP_InstanceNormalization:
    case VRT__OP_Softmax:
    case VRT__OP_LogSoftmax:
    case VRT__OP_LRN:
        NEED_FLOAT();
        if (n->op == VRT__OP_Softmax || n->op == VRT__OP_LogSoftmax) vrt__op_softmax_params(n, &s->u.sm);
        if (n->op == VRT__OP_LRN && r < 2) return nfail(c, n, VRT_EINVAL, "input needs a channel dimension");
        break;
    case VRT__OP_LayerNormalization: {
        NEED_FLOAT();
        int64_t outer, inner;
        if ((st = vrt__layernorm_split(SI(s, 0), vrt__node_get_int(n, "axis", -1), &outer, &inner))) break;
        s->iv[0] = outer, s->iv[1] = inner;
        for (int k = 1; k < s->nout; k++)
            if (s->to[k] && !is_f(s->to[k]->dtype))
                return nfail(c, n, VRT_EUNSUPPORTED, "stash_type must be float");
        break;
    }
    case VRT__OP_Gemm: {
        NEED_FLOAT();
        vrt__op_gemm_params(n, SI(s, 0), s->nin > 2 && s->ti[2] ? SI(s, 2) : NULL, SO(s, 0), s->act,
                            &s->u.gemm);
        break;
    }
    case VRT__OP_MatMul: NEED_FLOAT(); break;
    case VRT__OP_Relu:
    case VRT__OP_LeakyRelu:
    case VRT__OP_Sigmoid:
    case VRT__OP_Tanh:
    case VRT__OP_HardSigmoid:
    case VRT__OP_HardSwish:
    case VRT__OP_Clip:
    case VRT__OP_Erf:
    case VRT__OP_Exp:
    case VRT__OP_Log:
    case VRT__OP_Sqrt:
    case VRT__OP_Neg:
    case VRT__OP_Abs:
    case VRT__OP_Reciprocal:
        vrt__op_unary_params(n, &s->u.un);
        if (!is_f(s->ti[0]->dtype)) {
            vrt__dtype d = s->ti[0]->dtype;
            int intok = (n->op == VRT__OP_Relu || n->op == VRT__OP_Neg || n->op == VRT__OP_Abs ||
                         n->op == VRT__OP_Clip) &&
                        (d == VRT__DT_INT64 || d == VRT__DT_INT32 || d == VRT__DT_INT8 || d == VRT__DT_UINT8);
            if (!intok) NEED_FLOAT();
        }
        break;
    case VRT__OP_Add:
    case VRT__OP_Sub:
    case VRT__OP_Mul:
    case VRT__OP_Div:
    case VRT__OP_Pow:
    case VRT__OP_PRelu:
    case VRT__OP_Sum:
    case VRT__OP_Max:
    case VRT__OP_Min: {
        vrt__op_binary_of(n->op, &bop);
        s->sub = bop;
        vrt__dtype d = s->dt;
        /* Every type vrt__cuda_binary computes in (int8..uint64 exactly as the
         * CPU backend: see cuda_kernels.h); PRelu on float only. */
        if (!vrt__cuda_binary_type_ok(d) || (n->op == VRT__OP_PRelu && d != VRT__DT_FLOAT))
            return nfail(c, n, VRT_EUNSUPPORTED,
                         "data type %s is not supported by the CUDA backend; supported: float32, float16, "
                         "int8/16/32/64, uint8/16/32/64 (PRelu: float32, float16)",
                         vrt__dtype_name(s->ti[0]->dtype));
        for (int k = 1; k < s->nin; k++) {
            if (!s->ti[k]) continue;
            vrt__dtype dk = vrt__plan_dtype(s->ti[k]->dtype);
            if (dk == d) continue;
            /* Pow with a float base and an exponent of another type: the
             * exponent is converted to fp32 into scratch at run (as the CPU). */
            if (n->op == VRT__OP_Pow && d == VRT__DT_FLOAT && dk != VRT__DT_BOOL && vrt__dtype_size(dk) > 0) {
                s->sub |= 0x100;
                need_scratch(c, (size_t)vrt__shape_numel(SI(s, 1)) * 4 + 64);
                continue;
            }
            /* Integer base, float exponent: pow in fp32, truncated back to the
             * base's type (numpy's astype), as the CPU; one kernel, no scratch. */
            if (n->op == VRT__OP_Pow && s->nin == 2 && is_int_type(d) && dk == VRT__DT_FLOAT) {
                s->sub |= 0x400;
                continue;
            }
            return nfail(c, n, VRT_EUNSUPPORTED, "mixed input types %s and %s are not supported",
                         vrt__dtype_name(s->ti[0]->dtype), vrt__dtype_name(s->ti[k]->dtype));
        }
        break;
    }
    case VRT__OP_Equal:
    case VRT__OP_Greater:
    case VRT__OP_Less: {
        s->sub = n->op == VRT__OP_Equal     ? VRT__CMP_EQUAL
                 : n->op == VRT__OP_Greater ? VRT__CMP_GREATER
                                            : VRT__CMP_LESS;
        vrt__dtype d = s->dt;
        if (d != VRT__DT_FLOAT && d != VRT__DT_INT64 && d != VRT__DT_INT32 &&
            !(d == VRT__DT_BOOL && n->op == VRT__OP_Equal))
            return nfail(c, n, VRT_EUNSUPPORTED,
                         "data type %s is not supported by the CUDA backend; supported: float32, float16, "
                         "int32, int64",
                         vrt__dtype_name(s->ti[0]->dtype));
        if (vrt__plan_dtype(s->ti[1]->dtype) != d)
            return nfail(c, n, VRT_EUNSUPPORTED, "mixed input types are not supported");
        break;
    }
    case VRT__OP_Not:
    case VRT__OP_Where:
    case VRT__OP_Identity:
    case VRT__OP_Dropout:
    case VRT__OP_Reshape:
    case VRT__OP_Flatten:
    case VRT__OP_Squeeze:
    case VRT__OP_Unsqueeze:
    case VRT__OP_Concat:
    case VRT__OP_Split:
    case VRT__OP_Expand: break;
    case VRT__OP_Slice: {
        st = vrt__op_slice_params(n, SI(s, 0), SO(s, 0), &s->u.sl, kerr, sizeof(kerr));
        break;
    }
    case VRT__OP_Transpose:
    case VRT__OP_Tile: st = vrt__op_perm_params(n, s->iv, &s->niv, kerr, sizeof(kerr)); break;
    case VRT__OP_Gather: s->iv[0] = vrt__node_get_int(n, "axis", 0); break;
    case VRT__OP_Pad: {
        st = vrt__op_pad_params(n, r, s->dt, s->value, &s->u.pad, kerr, sizeof(kerr));
        break;
    }
    case VRT__OP_DepthToSpace:
    case VRT__OP_SpaceToDepth: vrt__op_depth_space_params(n, &s->iv[0], &s->sub); break;
    case VRT__OP_Cast: {
        vrt__dtype to = (vrt__dtype)vrt__node_get_int(n, "to", 1);
        s->sub = to;
        /* saturate and round_mode (float8 targets), read as the CPU reads them. */
        const char *rm = vrt__node_get_string(n, "round_mode", "up");
        s->iv[0] = vrt__node_get_int(n, "saturate", 1);
        s->iv[1] = !strcmp(rm, "down") ? 1 : !strcmp(rm, "nearest") ? 2 : 0;
        break;
    }
    case VRT__OP_ConstantOfShape: vrt__op_constant_value(n, s->value); break;
    case VRT__OP_Resize: {
        NEED_FLOAT();
        vrt__resize_params *p = &s->u.resize;
        if ((st = vrt__op_resize_params(n, SI(s, 0), SO(s, 0), p, kerr, sizeof(kerr)))) break;
        need_scratch(c, vrt__cuda_resize_scratch_bytes(p, SI(s, 0), SO(s, 0)));
        break;
    }
    case VRT__OP_ReduceMean:
    case VRT__OP_ReduceMax:
    case VRT__OP_ReduceSum: {
        NEED_FLOAT();
        vrt__op_reduce_params(n, &s->u.red);
        s->sub = s->u.red.naxes == 0; /* no axis: a copy */
        break;
    }
    case VRT__OP_ArgMax:
        NEED_FLOAT();
        vrt__op_argmax_params(n, &s->u.am);
        break;
    case VRT__OP_TopK:
        if (!vrt__cuda_topk_type_ok(s->dt))
            return nfail(c, n, VRT_EUNSUPPORTED,
                         "data type %s is not supported by the CUDA backend; supported: float32, float16, "
                         "int8/16/32/64, uint8/16/32/64",
                         vrt__dtype_name(s->ti[0]->dtype));
        vrt__op_topk_params(n, &s->u.tk);
        need_scratch(c, vrt__cuda_topk_scratch_bytes(&s->u.tk, SI(s, 0)));
        break;
    default: return nfail(c, n, VRT_EUNSUPPORTED, "the CUDA backend has no kernel for this op");
    }
    if (st) return nfail(c, n, st, "%s", kerr[0] ? kerr : "parameters not supported by the kernel");
    return VRT_OK;
}

/* ---- error checks (cuda_common.h) ---- */

vrt_status vrt__cuda_check_rt(cudaError_t e, char *err, size_t cap, const char *file, int line,
                              const char *call) {
    if (e == cudaSuccess) return VRT_OK;
    const char *f = strrchr(file, '/');
    vrt_errbuf_set(err, cap, "%s:%d: %s: %s (%s)", f ? f + 1 : file, line, call, cudaGetErrorString(e),
                   cudaGetErrorName(e));
    return e == cudaErrorMemoryAllocation ? VRT_ENOMEM : VRT_EDEVICE;
}

vrt_status vrt__cuda_check_dnn(cudnnStatus_t e, char *err, size_t cap, const char *file, int line,
                               const char *call) {
    if (e == CUDNN_STATUS_SUCCESS) return VRT_OK;
    const char *f = strrchr(file, '/');
    vrt_errbuf_set(err, cap, "%s:%d: %s: %s", f ? f + 1 : file, line, call, cudnnGetErrorString(e));
    return e == CUDNN_STATUS_ALLOC_FAILED    ? VRT_ENOMEM
           : e == CUDNN_STATUS_NOT_SUPPORTED ? VRT_EUNSUPPORTED
                                             : VRT_EDEVICE;
}

vrt_status vrt__cuda_check_blas(cublasStatus_t e, char *err, size_t cap, const char *file, int line,
                                const char *call) {
    if (e == CUBLAS_STATUS_SUCCESS) return VRT_OK;
    const char *f = strrchr(file, '/');
    vrt_errbuf_set(err, cap, "%s:%d: %s: cuBLAS status %d", f ? f + 1 : file, line, call, (int)e);
    return e == CUBLAS_STATUS_ALLOC_FAILED    ? VRT_ENOMEM
           : e == CUBLAS_STATUS_NOT_SUPPORTED ? VRT_EUNSUPPORTED
                                              : VRT_EDEVICE;
}

const char *vrt__cuda_math_name(vrt__cuda_math m) {
    return m == VRT__CUDA_MATH_TF32 ? "tf32" : m == VRT__CUDA_MATH_FP16 ? "fp16" : "fp32";
}

#define CUCK(call) VRT_CUDA_CHECK(c->err, sizeof(c->err), call)

/* A launcher's failure, with its detail, against the node. */
static vrt_status kfail(cuda_ctx *c, const vrt__node *n, vrt_status st) {
    const char *d = vrt__cuda_kernels_error();
    if (!d || !d[0]) d = vrt__cuda_epilogue_error();
    return nfail(c, n, st, "kernel failed (%s)%s%s", vrt_status_name(st), d && d[0] ? ": " : "", d ? d : "");
}

/* CUDA-only preparation after prep_step: conv/gemm objects and scratch for
 * the casts done in scratch. */
static vrt_status prep_cuda(cuda_ctx *c, step *s) {
    const vrt__node *n = s->n;
    vrt_status st = VRT_OK;
    char e2[400] = "";
    switch ((vrt__op)n->op) {
    case VRT__OP_Conv:
    case VRT__OP_ConvTranspose: {
        vrt__cuda_conv_desc d;
        memset(&d, 0, sizeof(d));
        d.transpose = n->op == VRT__OP_ConvTranspose;
        d.p = s->u.conv;
        d.has_bias = s->nin > 2 && s->in[2];
        d.has_residual = !d.transpose && s->nin > 3 && s->in[3];
        d.math = c->math;
        d.nhwc_half = s->h;
        if (d.transpose) d.p.act = s->act;
        if ((st = vrt__cuda_conv_create(c->dnn, &d, &s->conv, e2, sizeof(e2))))
            return nfail(c, n, st, "cuDNN: %s", e2);
        need_scratch(c, vrt__cuda_conv_scratch_bytes(s->conv));
        int64_t M = s->u.conv.M;
        if ((size_t)M > c->zero_bias_n) c->zero_bias_n = (size_t)M;
        break;
    }
    case VRT__OP_Gemm:
        if ((st = vrt__cuda_gemm_create_gemm(c->lt, &s->u.gemm, s->nin > 2 && s->ti[2], c->math, LT_WS_LIMIT,
                                             &s->gemm, e2, sizeof(e2))))
            return nfail(c, n, st, "cuBLASLt: %s", e2);
        break;
    case VRT__OP_MatMul:
        if ((st = vrt__cuda_gemm_create_matmul(c->lt, SI(s, 0), SI(s, 1), &s->act, c->math, LT_WS_LIMIT,
                                               &s->gemm, e2, sizeof(e2))))
            return nfail(c, n, st, "cuBLASLt: %s", e2);
        break;
    case VRT__OP_LRN:
        if (SI(s, 0)->ndim < 2) return nfail(c, n, VRT_EINVAL, "input needs a channel dimension");
        break;
    default: break;
    }
    return VRT_OK;
}

/* ---- fp16 NHWC storage (VRT_CUDA_MATH=fp16) ----
 * A node runs on fp16 NHWC when cuDNN can do it there: Conv 2-D (weights and
 * bias known at prepare, symmetric pads), MaxPool/AveragePool 2-D (no
 * indices, floor mode, no dilation, symmetric pads) and GlobalAveragePool.
 * A tensor is HELD as fp16 NHWC when its producer and every consumer are such
 * nodes (conv input 0 or the fused residual, pool input 0) and it is an
 * arena activation that is not a graph output: so conv chains stay in fp16
 * NHWC, and at the region's borders the step converts its operand from / to
 * fp32 NCHW through a shared buffer. Arithmetic accumulates in fp32. */
/* VRT_CUDA_HALF_SKIP (debugging: bisecting an fp16 difference): a comma list
 * of what stays fp32 NCHW: "group" (grouped convs), "pool" (Max/AveragePool),
 * "gap", "conv", "from=N" / "to=N" (only nodes N.. / ..N-1 may be fp16). */
static int half_skipped(const cuda_ctx *c, int i) {
    const char *sk = c->half_skip;
    if (!sk || !sk[0]) return 0;
    const vrt__node *n = &c->ir->nodes[i];
    const char *f = strstr(sk, "from="), *t = strstr(sk, "to=");
    if (f && i < atoi(f + 5)) return 1;
    if (t && i >= atoi(t + 3)) return 1;
    if (strstr(sk, "group") && n->op == VRT__OP_Conv && vrt__node_get_int(n, "group", 1) > 1) return 1;
    if (strstr(sk, "pool") && (n->op == VRT__OP_MaxPool || n->op == VRT__OP_AveragePool)) return 1;
    if (strstr(sk, "gap") && n->op == VRT__OP_GlobalAveragePool) return 1;
    if (strstr(sk, "conv") && n->op == VRT__OP_Conv) return 1;
    return 0;
}

static int node_half_ok(const cuda_ctx *c, int i) {
    const vrt__node *n = &c->ir->nodes[i];
    if (c->math != VRT__CUDA_MATH_FP16 || c->plan->node_const[i]) return 0;
    if (half_skipped(c, i)) return 0;
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return 0;
    const vrt__tensor *x = &c->ir->tensors[n->inputs[0]], *y = &c->ir->tensors[n->outputs[0]];
    if (!is_f(x->dtype) || !is_f(y->dtype) || x->shape.ndim != 4 || y->shape.ndim != 4) return 0;
    int cnt;
    const int64_t *v;
    if ((v = vrt__node_get_ints(n, "pads", &cnt)) && cnt == 4 && (v[0] != v[2] || v[1] != v[3])) return 0;
    /* SAME_UPPER / SAME_LOWER may pad asymmetrically (cuDNN's NHWC paths only know symmetric pads). */
    const char *ap = vrt__node_get_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) return 0;
    if (n->op == VRT__OP_Concat) {
        /* Channel Concat of fp16 NHWC activations stays fp16 NHWC (no
         * conversions around it); VRT_CUDA_HALF_CONCAT=0 turns that off. */
        const char *hc = getenv("VRT_CUDA_HALF_CONCAT");
        int64_t ax = vrt__node_get_int(n, "axis", 0);
        if ((hc && !strcmp(hc, "0")) || (ax != 1 && ax != -3) || n->n_inputs > 8 || n->n_outputs != 1)
            return 0;
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < 0 || !is_f(c->ir->tensors[t].dtype) || c->ir->tensors[t].shape.ndim != 4 ||
                c->plan->t[t].storage != VRT__ST_ARENA)
                return 0;
        }
        return 1;
    }
    if (n->op == VRT__OP_Add) {
        /* Same-shape Add (a residual): element-wise, so it runs on fp16 NHWC as is. */
        if (n->n_inputs != 2 || n->inputs[1] < 0 || n->n_outputs != 1) return 0;
        const vrt__tensor *b = &c->ir->tensors[n->inputs[1]];
        return is_f(b->dtype) && vrt__op_same_shape(&x->shape, &y->shape) &&
               vrt__op_same_shape(&b->shape, &y->shape) && c->plan->t[n->inputs[1]].storage == VRT__ST_ARENA;
    }
    if (n->op == VRT__OP_Resize) {
        /* Nearest upsampling by integer factors over H and W (YOLO necks):
         * asymmetric coordinates with floor, or round_prefer_floor at factor
         * <= 2, where both give source = destination / factor. */
        if (strcmp(vrt__node_get_string(n, "mode", "nearest"), "nearest") ||
            strcmp(vrt__node_get_string(n, "coordinate_transformation_mode", "half_pixel"), "asymmetric") ||
            vrt__node_get_int(n, "antialias", 0) || vrt__node_get_ints(n, "axes", &cnt))
            return 0;
        const char *nm = vrt__node_get_string(n, "nearest_mode", "round_prefer_floor");
        if (x->shape.d[0] != y->shape.d[0] || x->shape.d[1] != y->shape.d[1] || x->shape.d[2] < 1 ||
            x->shape.d[3] < 1 || y->shape.d[2] % x->shape.d[2] || y->shape.d[3] % x->shape.d[3])
            return 0;
        int64_t fh = y->shape.d[2] / x->shape.d[2], fw = y->shape.d[3] / x->shape.d[3];
        return !strcmp(nm, "floor") || (!strcmp(nm, "round_prefer_floor") && fh <= 2 && fw <= 2);
    }
    if (n->op == VRT__OP_Conv) {
        if (n->n_inputs < 2 || n->inputs[1] < 0) return 0;
        int wt = n->inputs[1];
        const vrt__tensor *w = &c->ir->tensors[wt];
        if (c->plan->t[wt].storage != VRT__ST_WEIGHT || !w->data || w->shape.ndim != 4 || !is_f(w->dtype))
            return 0;
        if (n->n_inputs > 2 && n->inputs[2] >= 0 &&
            (c->plan->t[n->inputs[2]].storage != VRT__ST_WEIGHT || !c->ir->tensors[n->inputs[2]].data ||
             !is_f(c->ir->tensors[n->inputs[2]].dtype)))
            return 0;
        if (n->n_inputs > 3 && n->inputs[3] >= 0 &&
            !vrt__op_same_shape(&c->ir->tensors[n->inputs[3]].shape, &y->shape))
            return 0;
        return n->n_inputs <= 4 && n->n_outputs == 1;
    }
    if (n->op == VRT__OP_MaxPool || n->op == VRT__OP_AveragePool) {
        if (n->n_outputs > 1 && n->outputs[1] >= 0) return 0;
        if (vrt__node_get_int(n, "ceil_mode", 0)) return 0;
        if ((v = vrt__node_get_ints(n, "dilations", &cnt)) && (cnt != 2 || v[0] != 1 || v[1] != 1)) return 0;
        return (v = vrt__node_get_ints(n, "kernel_shape", &cnt)) && cnt == 2;
    }
    return n->op == VRT__OP_GlobalAveragePool;
}

static vrt_status plan_half(cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    c->hfmt = vrt_calloc((size_t)ir->n_tensors + 1, 1);
    c->hnode = vrt_calloc((size_t)ir->n_nodes + 1, 1);
    if (!c->hfmt || !c->hnode) return VRT_ENOMEM;
    if (c->math != VRT__CUDA_MATH_FP16) return VRT_OK;
    for (int i = 0; i < ir->n_nodes; i++)
        c->hnode[i] = (uint8_t)node_half_ok(c, i);
    /* Candidates: outputs 0 of half nodes held in the arena; then every use must be a half slot. */
    for (int i = 0; i < ir->n_nodes; i++) {
        int t = ir->nodes[i].outputs[0];
        if (c->hnode[i] && t >= 0 && c->plan->t[t].storage == VRT__ST_ARENA) c->hfmt[t] = 1;
    }
    for (int i = 0; i < ir->n_outputs; i++)
        c->hfmt[ir->outputs[i]] = 0;
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < 0 || !c->hfmt[t]) continue;
            int ok = c->hnode[i] && (k == 0 || (n->op == VRT__OP_Conv && k == 3) || n->op == VRT__OP_Concat ||
                                     n->op == VRT__OP_Add);
            if (!ok) c->hfmt[t] = 0;
        }
        for (int k = 1; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0) c->hfmt[n->outputs[k]] = 0;
    }
    /* A view of a tensor (plan base) reads its bytes as fp32 NCHW. */
    for (int t = 0; t < ir->n_tensors; t++)
        if (c->plan->t[t].storage == VRT__ST_VIEW && c->plan->t[t].base >= 0) c->hfmt[c->plan->t[t].base] = 0;
    /* A half Concat or Add reads every input as fp16 NHWC: when one is not,
     * it runs fp32 NCHW, so none of its inputs and not its output may be
     * held in fp16 either; repeat until nothing changes. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < ir->n_nodes; i++) {
            const vrt__node *n = &ir->nodes[i];
            if (!c->hnode[i] || (n->op != VRT__OP_Concat && n->op != VRT__OP_Add)) continue;
            int all = 1;
            for (int k = 0; k < n->n_inputs; k++)
                all &= c->hfmt[n->inputs[k]];
            if (all) continue;
            c->hnode[i] = 0;
            for (int k = 0; k < n->n_inputs; k++)
                c->hfmt[n->inputs[k]] = 0;
            c->hfmt[n->outputs[0]] = 0;
            changed = 1;
        }
    }
    return VRT_OK;
}

/* A conv our implicit GEMM can run whatever its neighbours (fp16 step, group 1, 2-D). */
static int conv_own_capable(const cuda_ctx *c, int i) {
    const vrt__node *n = &c->ir->nodes[i];
    if (n->op != VRT__OP_Conv || !c->hnode[i] || vrt__node_get_int(n, "group", 1) != 1) return 0;
    const vrt__tensor *w = &c->ir->tensors[n->inputs[1]];
    return w->shape.ndim == 4;
}

/* Readers per tensor (node inputs; a graph output or a view's base counts
 * as two, so "read once" means by exactly one node). NULL on ENOMEM. */
static int *tensor_uses(const cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    int *uses = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(int));
    if (!uses) return NULL;
    for (int i = 0; i < ir->n_nodes; i++)
        for (int k = 0; k < ir->nodes[i].n_inputs; k++)
            if (ir->nodes[i].inputs[k] >= 0) uses[ir->nodes[i].inputs[k]]++;
    for (int i = 0; i < ir->n_outputs; i++)
        uses[ir->outputs[i]] += 2;
    for (int t = 0; t < ir->n_tensors; t++)
        if (c->plan->t[t].storage == VRT__ST_VIEW && c->plan->t[t].base >= 0) uses[c->plan->t[t].base] += 2;
    return uses;
}

/* Concat in place: a channel Concat whose every input is produced by a conv
 * our implicit GEMM runs, and read by nothing else, is not run at all: each
 * conv writes its channels straight into the Concat's output (fp16 NHWC at a
 * channel offset, or fp32 NCHW channel planes). Those outputs live in their
 * own buffer. VRT_CUDA_CONCAT_IN_PLACE=0 turns this off. */
static vrt_status plan_concat(cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    vrt_status st = VRT_OK;
    c->cat_skip = vrt_calloc((size_t)ir->n_nodes + 1, 1);
    c->cat_out = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(int));
    c->cat_off = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(int));
    int *prod = vrt_malloc(((size_t)ir->n_tensors + 1) * sizeof(int)), *uses = tensor_uses(c);
    size_t *moff = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(size_t));
    if (!c->cat_skip || !c->cat_out || !c->cat_off || !prod || !uses || !moff) {
        st = VRT_ENOMEM;
        goto out;
    }
    const char *env = getenv("VRT_CUDA_CONCAT_IN_PLACE");
    if (c->math != VRT__CUDA_MATH_FP16 || (env && !strcmp(env, "0"))) goto out;
    for (int t = 0; t < ir->n_tensors; t++)
        prod[t] = -1;
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0) prod[n->outputs[k]] = i;
    }
    size_t total = 0;
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        if (n->op != VRT__OP_Concat || c->plan->node_const[i] || n->n_outputs != 1 || n->outputs[0] < 0)
            continue;
        int yt = n->outputs[0];
        const vrt__tensor *y = &ir->tensors[yt];
        int64_t ax = vrt__node_get_int(n, "axis", 0);
        if (y->shape.ndim != 4 || (ax != 1 && ax != -3) || !is_f(y->dtype) ||
            c->plan->t[yt].storage != VRT__ST_ARENA)
            continue;
        int ok = n->n_inputs >= 1;
        for (int k = 0; k < n->n_inputs && ok; k++) {
            int t = n->inputs[k];
            ok = t >= 0 && prod[t] >= 0 && uses[t] == 1 && conv_own_capable(c, prod[t]) &&
                 !c->cat_out[prod[t]] && c->plan->t[t].storage == VRT__ST_ARENA && c->hfmt[t] == c->hfmt[yt];
            for (int j = 0; j < k && ok; j++)
                ok = n->inputs[j] != t;
        }
        if (!ok) continue;
        int off = 0;
        for (int k = 0; k < n->n_inputs; k++) {
            int p = prod[n->inputs[k]];
            c->cat_out[p] = yt + 1;
            c->cat_off[p] = off;
            off += (int)ir->tensors[n->inputs[k]].shape.d[1];
        }
        c->cat_skip[i] = 1;
        moff[yt] = total + 1;
        total += (c->plan->t[yt].bytes + 255) & ~(size_t)255;
        c->n_cat++;
    }
    if (!total) goto out;
    if ((st = CUCK(cudaMalloc((void **)&c->cat_mem, total)))) goto out;
    for (int t = 0; t < ir->n_tensors; t++)
        if (moff[t]) c->ptr[t] = c->cat_mem + moff[t] - 1;
    for (int t = 0; t < ir->n_tensors; t++)
        if (c->plan->t[t].storage == VRT__ST_VIEW && c->plan->t[t].base >= 0)
            c->ptr[t] = c->ptr[c->plan->t[t].base];
out:
    vrt_free(prod);
    vrt_free(uses);
    vrt_free(moff);
    return st;
}

/* Depthwise + pointwise fusion (MobileNet / YOLOX "DWConv" blocks): a
 * depthwise conv on fp16 NHWC whose output is read only by a 1x1 stride-1
 * conv our implicit GEMM runs is computed inside that conv's A gather, so the
 * pair is one kernel and the depthwise output never goes to memory. Needs C
 * % 8 == 0. Experimental, opt-in (VRT_CUDA_FUSE_DW=1): on YOLOX-Nano it is
 * slower than the two kernels (the depthwise sums are recomputed per column
 * tile and per k-chunk, latency-bound); a version that computes the
 * depthwise tile once per CTA into shared memory is the next step. Called
 * after prep_half. */
static vrt_status plan_dw_fuse(cuda_ctx *c) {
    const char *env = getenv("VRT_CUDA_FUSE_DW");
    if (c->math != VRT__CUDA_MATH_FP16 || !(env && !strcmp(env, "1"))) return VRT_OK;
    int *uses = tensor_uses(c);
    if (!uses) return VRT_ENOMEM;
    for (int j = 0; j < c->n_steps; j++) {
        step *s2 = &c->steps[j];
        const vrt__cuda_igemm *g = &s2->ig;
        if (!s2->own_ok || s2->cx || c->plan->node_const[j] || g->KH != 1 || g->KW != 1 || g->SH != 1 ||
            g->SW != 1 || g->PH || g->PW || g->C % 8)
            continue;
        int t = s2->n->inputs[0], i = -1;
        for (int q = 0; q < j && i < 0; q++)
            if (c->steps[q].n->n_outputs == 1 && c->steps[q].n->outputs[0] == t) i = q;
        if (i < 0) continue;
        step *s1 = &c->steps[i];
        if (!s1->dw || !s1->dwt || !s1->h || s1->cx || s1->cy || s1->hr || s1->fused || s1->dwf ||
            uses[t] != 1 || c->plan->node_const[i])
            continue;
        /* The depthwise conv's input is read again at step j: the arena must
         * not have given its bytes to anything written by steps i+1..j. */
        int xt = s1->n->inputs[0], clash = c->plan->t[xt].storage != VRT__ST_ARENA;
        size_t xa = c->plan->t[xt].offset, xb = xa + c->plan->t[xt].bytes;
        for (int q = i + 1; q <= j && !clash; q++)
            for (int k = 0; k < c->steps[q].n->n_outputs && !clash; k++) {
                int o = c->steps[q].n->outputs[k];
                if (o < 0 || c->plan->t[o].storage != VRT__ST_ARENA || (q == j && s2->cat)) continue;
                size_t oa = c->plan->t[o].offset, ob = oa + c->plan->t[o].bytes;
                clash = oa < xb && xa < ob;
            }
        if (clash) continue;
        const vrt__cuda_dw_shape *d = &s1->dws;
        vrt__cuda_igemm *w = &s2->ig;
        w->N = d->N, w->H = d->H, w->W = d->W, w->C = d->C, w->OH = d->OH, w->OW = d->OW, w->KH = d->KH,
        w->KW = d->KW;
        w->SH = d->SH, w->SW = d->SW, w->PH = d->PH, w->PW = d->PW, w->DH = d->DH, w->DW = d->DW;
        w->dw_w = s1->dwt;
        w->dw_b = s1->hb;
        w->dw_act = s1->u.conv.act;
        s2->dwf = i + 1;
        s1->fused = 1;
        c->n_dwf++;
    }
    vrt_free(uses);
    return VRT_OK;
}

/* One Slice step's cut of a 4-D tensor, accumulated into (dy, dx): axes 2
 * and 3 may be cut with step 2 from 0 or 1 to the end, others not at all.
 * Returns 0 when the step is anything else. */
static int focus_slice(const step *s, int *dy, int *dx) {
    const vrt__slice_params *p = &s->u.sl;
    const vrt__shape *x = SI(s, 0), *y = SO(s, 0);
    if (s->n->op != VRT__OP_Slice || x->ndim != 4 || y->ndim != 4 || s->ti[0]->dtype != VRT__DT_FLOAT)
        return 0;
    int cut[4] = {0, 0, 0, 0};
    for (int e = 0; e < p->n; e++) {
        int64_t ax = p->axes[e] < 0 ? p->axes[e] + 4 : p->axes[e], st = p->starts[e];
        if (ax < 0 || ax > 3) return 0;
        if (ax < 2) {
            if (p->steps[e] != 1 || st != 0) return 0;
            continue;
        }
        if (p->steps[e] != 2 || (st != 0 && st != 1)) return 0;
        int *d = ax == 2 ? dy : dx;
        if (*d >= 0) return 0; /* cut twice */
        *d = (int)st;
        cut[ax] = 1;
    }
    /* Cut axes keep every second element to the end, the others all of them. */
    for (int a = 0; a < 4; a++)
        if (cut[a] ? (x->d[a] % 2 || y->d[a] * 2 != x->d[a]) : y->d[a] != x->d[a]) return 0;
    return 1;
}

/* Focus (YOLOv5 / YOLOX stem: four stride-2 Slices of the input, a channel
 * Concat, then a conv) read in the conv's gather: the Slices and the Concat
 * are not run, the conv (our implicit GEMM) reads the input directly. Every
 * intermediate must be read only on this path. VRT_CUDA_FOCUS=0 turns it
 * off. Called after prep_half. */
static vrt_status plan_focus(cuda_ctx *c) {
    const char *env = getenv("VRT_CUDA_FOCUS");
    if (c->math != VRT__CUDA_MATH_FP16 || (env && !strcmp(env, "0"))) return VRT_OK;
    int *uses = tensor_uses(c);
    if (!uses) return VRT_ENOMEM;
    for (int j = 0; j < c->n_steps; j++) {
        step *s2 = &c->steps[j];
        if (!s2->own_ok || !s2->cx || s2->cat || s2->dwf || c->plan->node_const[j] || s2->ig.C % 4) continue;
        int ct = s2->n->inputs[0], ci = -1;
        for (int q = 0; q < j && ci < 0; q++)
            if (c->steps[q].n->n_outputs == 1 && c->steps[q].n->outputs[0] == ct) ci = q;
        if (ci < 0 || uses[ct] != 1 || c->steps[ci].n->op != VRT__OP_Concat || c->steps[ci].h ||
            c->steps[ci].n->n_inputs != 4 || c->plan->node_const[ci])
            continue;
        const vrt__node *cn = c->steps[ci].n;
        int64_t ax = vrt__node_get_int(cn, "axis", 0);
        if (ax != 1 && ax != -3) continue;
        int dy[4], dx[4], chain[4][2], src = -2, ok = 1;
        for (int k = 0; k < 4 && ok; k++) {
            dy[k] = dx[k] = -1;
            chain[k][0] = chain[k][1] = -1;
            int t = cn->inputs[k];
            for (int depth = 0; depth < 2 && ok; depth++) {
                int pi = -1;
                for (int q = 0; q < ci && pi < 0; q++)
                    if (c->steps[q].n->n_outputs == 1 && c->steps[q].n->outputs[0] == t) pi = q;
                if (pi < 0 || uses[t] != 1 || c->plan->node_const[pi] ||
                    !focus_slice(&c->steps[pi], &dy[k], &dx[k])) {
                    ok = depth > 0; /* one Slice cutting both axes is enough */
                    break;
                }
                chain[k][depth] = pi;
                t = c->steps[pi].n->inputs[0];
                if (dy[k] >= 0 && dx[k] >= 0) break;
            }
            ok = ok && dy[k] >= 0 && dx[k] >= 0 && (src == -2 || src == t);
            src = t;
        }
        if (!ok || src < 0 || c->ir->tensors[src].dtype != VRT__DT_FLOAT ||
            s2->ig.C != 4 * (int)c->ir->tensors[src].shape.d[1])
            continue;
        for (int k = 0; k < 4; k++) {
            s2->ig.focus_dy[k] = dy[k], s2->ig.focus_dx[k] = dx[k];
            for (int d = 0; d < 2; d++)
                if (chain[k][d] >= 0) c->steps[chain[k][d]].fused = 1;
        }
        c->steps[ci].fused = 1;
        s2->ig.focus = 1;
        s2->focus_x = c->ptr[src];
    }
    vrt_free(uses);
    return VRT_OK;
}

/* SPP cascade: stride-1 max pools with "same" pads over one input (YOLO's
 * SPP: 5, 9, 13) are computed as repeated small pools: max over a 9x9
 * window = 5x5 pool of the 5x5 pool's output (padding never wins a max, and
 * the middle of two in-image points is in the image), so a k-window pool
 * whose input also feeds a stride-1 pool of k' = k - (k0 - 1) reads that
 * pool's output with a k0 window: 25 taps instead of 81 / 169. Exact.
 * VRT_CUDA_SPP_CASCADE=0 turns it off. Called after prep_half. */
static void plan_spp(cuda_ctx *c) {
    const char *env = getenv("VRT_CUDA_SPP_CASCADE");
    if (c->math != VRT__CUDA_MATH_FP16 || (env && !strcmp(env, "0"))) return;
    const vrt__ir *ir = c->ir;
    for (int j = 0; j < c->n_steps; j++) {
        step *sj = &c->steps[j];
        const vrt__pool_params *pj = &sj->u.pool;
        if (!sj->h || sj->n->op != VRT__OP_MaxPool || sj->pool_dnn || sj->cx || pj->strides[0] != 1 ||
            pj->strides[1] != 1 || pj->k[0] != pj->k[1] || pj->k[0] % 2 == 0 ||
            pj->pads_begin[0] != pj->k[0] / 2 || pj->pads_begin[1] != pj->k[0] / 2 ||
            pj->pads_end[0] != pj->k[0] / 2 || pj->pads_end[1] != pj->k[0] / 2)
            continue;
        int best = -1; /* the largest smaller pool: the smallest window left */
        for (int i = 0; i < j; i++) {
            step *si = &c->steps[i];
            const vrt__pool_params *pi = &si->u.pool;
            if (!si->h || si->n->op != VRT__OP_MaxPool || si->pool_dnn || si->cy ||
                si->n->inputs[0] != sj->n->inputs[0] || pi->strides[0] != 1 || pi->strides[1] != 1 ||
                pi->k[0] != pi->k[1] || pi->k[0] % 2 == 0 || pi->k[0] >= pj->k[0] ||
                pi->pads_begin[0] != pi->k[0] / 2 || pi->pads_begin[1] != pi->k[0] / 2 ||
                pi->pads_end[0] != pi->k[0] / 2 || pi->pads_end[1] != pi->k[0] / 2)
                continue;
            /* The smaller pool's output must still be alive at step j: read after j. */
            int t = si->n->outputs[0], later = 0;
            for (int q = j + 1; q < ir->n_nodes && !later; q++)
                for (int k = 0; k < ir->nodes[q].n_inputs; k++)
                    later |= ir->nodes[q].inputs[k] == t;
            if (later && (best < 0 || pi->k[0] > c->steps[best].u.pool.k[0])) best = i;
        }
        if (best >= 0) {
            sj->mp_src = c->steps[best].hy;
            sj->mp_k = (int)(pj->k[0] - c->steps[best].u.pool.k[0]) + 1; /* takes pool k_best to pool k_j */
        }
    }
}

/* Taps-major fp16 copies (KH*KW, C) of every fp16 depthwise conv's weights
 * with C % 8 == 0: the 8-channel depthwise kernel and the fused gather read
 * 8 channels of one tap as one 16-byte load. Both are opt-in experiments
 * (VRT_CUDA_DW8=1, VRT_CUDA_FUSE_DW=1): on YOLOX-Nano (H200) the 8-channel
 * kernel is slower than the 2-channel one (0.634 vs 0.609 ms: a quarter of
 * the threads on layers that are already small), like the fusion. Called
 * after prep_half. */
static vrt_status prep_dw_taps(cuda_ctx *c) {
    const char *d8 = getenv("VRT_CUDA_DW8"), *fu = getenv("VRT_CUDA_FUSE_DW");
    c->dw8 = d8 && !strcmp(d8, "1");
    if (!c->dw8 && !(fu && !strcmp(fu, "1"))) return VRT_OK;
    size_t bytes = 0;
    for (int i = 0; i < c->n_steps; i++)
        if (c->steps[i].dw && c->steps[i].dws.C % 8 == 0)
            bytes += ((size_t)c->steps[i].dws.C * c->steps[i].dws.KH * c->steps[i].dws.KW * 2 + 255) &
                     ~(size_t)255;
    if (!bytes) return VRT_OK;
    vrt_status st;
    uint16_t *host = vrt_calloc(1, bytes);
    if (!host) return VRT_ENOMEM;
    if ((st = CUCK(cudaMalloc((void **)&c->dwt, bytes)))) {
        vrt_free(host);
        return st;
    }
    size_t off = 0;
    for (int i = 0; i < c->n_steps; i++) {
        step *s = &c->steps[i];
        if (!s->dw || s->dws.C % 8) continue;
        const vrt__tensor *wt = s->ti[1];
        int C = s->dws.C, T = s->dws.KH * s->dws.KW;
        uint16_t *h = (uint16_t *)((uint8_t *)host + off);
        for (int ch = 0; ch < C; ch++)
            for (int k = 0; k < T; k++) {
                int64_t src = (int64_t)ch * T + k;
                float f = wt->dtype == VRT__DT_FLOAT16 ? vrt__half_to_float(((const uint16_t *)wt->data)[src])
                                                       : ((const float *)wt->data)[src];
                h[(int64_t)k * C + ch] = vrt__float_to_half(f);
            }
        s->dwt = c->dwt + off;
        off += ((size_t)C * T * 2 + 255) & ~(size_t)255;
    }
    st = CUCK(cudaMemcpy(c->dwt, host, bytes, cudaMemcpyHostToDevice));
    vrt_free(host);
    return st;
}

static size_t half_bytes(const vrt__shape *sh) {
    return ((size_t)vrt__shape_numel(sh) * 2 + 255) & ~(size_t)255;
}

/* fp16 KRSC copy of an OIHW weight (fp32 or fp16 in the IR); n = O*I*H*W. */
static void to_krsc_half(const vrt__tensor *w, uint16_t *dst) {
    int64_t O = w->shape.d[0], I = w->shape.d[1], H = w->shape.d[2], W = w->shape.d[3];
    for (int64_t o = 0; o < O; o++)
        for (int64_t ic = 0; ic < I; ic++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t x = 0; x < W; x++) {
                    int64_t src = ((o * I + ic) * H + y) * W + x, d = ((o * H + y) * W + x) * I + ic;
                    float f = w->dtype == VRT__DT_FLOAT16
                                  ? vrt__half_to_float(((const uint16_t *)w->data)[src])
                                  : ((const float *)w->data)[src];
                    dst[d] = vrt__float_to_half(f);
                }
}

/* After the steps exist: conversion buffers, fp16 weights, pooling descriptors. */
static vrt_status prep_half(cuda_ctx *c) {
    size_t bx = 0, br = 0, by = 0, wb = 0;
    vrt_status st;
    for (int i = 0; i < c->n_steps; i++) {
        step *s = &c->steps[i];
        if (!s->h) continue;
        const vrt__node *n = s->n;
        s->cx = !c->hfmt[n->inputs[0]];
        s->cy = !c->hfmt[n->outputs[0]];
        s->cr = n->op == VRT__OP_Conv && s->nin > 3 && s->in[3] && !c->hfmt[n->inputs[3]];
        if (s->cx && half_bytes(SI(s, 0)) > bx) bx = half_bytes(SI(s, 0));
        if (s->cr && half_bytes(SI(s, 3)) > br) br = half_bytes(SI(s, 3));
        if (s->cy && half_bytes(SO(s, 0)) > by) by = half_bytes(SO(s, 0));
        if (n->op == VRT__OP_Conv) {
            wb += half_bytes(SI(s, 1));
            if (s->nin > 2 && s->in[2]) wb += half_bytes(SI(s, 2));
        }
    }
    if (bx + br + by && ((st = CUCK(cudaMalloc((void **)&c->hbuf, bx + br + by))) ||
                         (st = CUCK(cudaMemset(c->hbuf, 0, bx + br + by)))))
        return st;
    uint16_t *host = NULL;
    uint8_t *hw_dev = c->wbase ? c->wbase->hweights : NULL;
    if (wb && !c->wbase) {
        if ((st = CUCK(cudaMalloc((void **)&c->hweights, wb)))) return st;
        hw_dev = c->hweights;
        if (!(host = vrt_calloc(1, wb))) return VRT_ENOMEM;
    }
    size_t woff = 0;
    for (int i = 0; i < c->n_steps; i++) {
        step *s = &c->steps[i];
        if (!s->h) continue;
        const vrt__node *n = s->n;
        s->hx = s->cx ? (void *)c->hbuf : s->in[0];
        s->hr = s->cr ? (void *)(c->hbuf + bx) : (n->op == VRT__OP_Conv && s->nin > 3 ? s->in[3] : NULL);
        s->hy = s->cy ? (void *)(c->hbuf + bx + br) : s->out[0];
        if (n->op == VRT__OP_Conv) {
            const vrt__conv_params *p = &s->u.conv;
            const char *dwe = getenv("VRT_CUDA_DW");
            if (p->nsp == 2 && p->group > 1 && p->group == p->C && p->group == p->M &&
                !(dwe && !strcmp(dwe, "cudnn"))) {
                vrt__cuda_dw_shape *d = &s->dws;
                s->dw = 1;
                d->N = (int)p->N, d->C = (int)p->C, d->H = (int)p->in[0], d->W = (int)p->in[1];
                d->OH = (int)p->out[0], d->OW = (int)p->out[1], d->KH = (int)p->k[0], d->KW = (int)p->k[1];
                d->SH = (int)p->strides[0], d->SW = (int)p->strides[1], d->PH = (int)p->pads_begin[0],
                d->PW = (int)p->pads_begin[1];
                d->DH = (int)p->dilations[0], d->DW = (int)p->dilations[1];
            }
            if (!s->dw && p->nsp == 2 && p->group == 1) {
                vrt__cuda_igemm *g = &s->ig;
                s->own_ok = 1;
                g->N = (int)p->N, g->C = (int)p->C, g->H = (int)p->in[0], g->W = (int)p->in[1];
                g->M = (int)p->M, g->OH = (int)p->out[0], g->OW = (int)p->out[1], g->KH = (int)p->k[0],
                g->KW = (int)p->k[1];
                g->SH = (int)p->strides[0], g->SW = (int)p->strides[1], g->PH = (int)p->pads_begin[0],
                g->PW = (int)p->pads_begin[1];
                g->DH = (int)p->dilations[0], g->DW = (int)p->dilations[1];
                g->out_ld = g->M, g->out_off = 0, g->res_post = 0, g->cfg = 0;
                int ni = (int)(n - c->ir->nodes);
                if (c->cat_out[ni]) {
                    /* Writes its channels into the in-place Concat's output. */
                    int yt = c->cat_out[ni] - 1;
                    g->out_ld = (int)c->ir->tensors[yt].shape.d[1];
                    g->out_off = c->cat_off[ni];
                    s->cat = 1;
                    if (s->cy)
                        s->out[0] = c->ptr[yt];
                    else
                        s->hy = c->ptr[yt];
                }
            }
            if (host) to_krsc_half(s->ti[1], (uint16_t *)((uint8_t *)host + woff));
            s->hw = hw_dev + woff;
            woff += half_bytes(SI(s, 1));
            if (s->nin > 2 && s->in[2]) {
                const vrt__tensor *b = s->ti[2];
                uint16_t *hb = (uint16_t *)((uint8_t *)host + woff);
                for (int64_t q = 0; host && q < vrt__shape_numel(&b->shape); q++)
                    hb[q] = vrt__float_to_half(b->dtype == VRT__DT_FLOAT16
                                                   ? vrt__half_to_float(((const uint16_t *)b->data)[q])
                                                   : ((const float *)b->data)[q]);
                s->hb = hw_dev + woff;
                woff += half_bytes(SI(s, 2));
            }
            continue;
        }
        if (n->op == VRT__OP_Concat || n->op == VRT__OP_Add || n->op == VRT__OP_Resize)
            continue; /* our kernels (plan_half) */
        const char *pe = getenv("VRT_CUDA_POOL");
        s->pool_dnn = n->op != VRT__OP_MaxPool || (pe && !strcmp(pe, "cudnn"));
        if (!s->pool_dnn) continue; /* our fp16 NHWC max pool */
        /* Pooling on cuDNN (NHWC fp16). */
        const vrt__shape *x = SI(s, 0), *y = SO(s, 0);
        int gap = n->op == VRT__OP_GlobalAveragePool;
        const vrt__pool_params *pp = &s->u.pool;
        cudnnPoolingMode_t mode = n->op == VRT__OP_MaxPool ? CUDNN_POOLING_MAX
                                  : (!gap && !pp->count_include_pad)
                                      ? CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING
                                      : CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
        int kh = gap ? (int)x->d[2] : (int)pp->k[0], kw = gap ? (int)x->d[3] : (int)pp->k[1];
        int ph = gap ? 0 : (int)pp->pads_begin[0], pw = gap ? 0 : (int)pp->pads_begin[1];
        int sh = gap ? 1 : (int)pp->strides[0], sw = gap ? 1 : (int)pp->strides[1];
        if ((st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnCreatePoolingDescriptor(&s->pool))) ||
            (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnCreateTensorDescriptor(&s->pxd))) ||
            (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnCreateTensorDescriptor(&s->pyd))) ||
            (st = VRT_CUDNN_CHECK(
                 c->err, sizeof(c->err),
                 cudnnSetPooling2dDescriptor(s->pool, mode, CUDNN_PROPAGATE_NAN, kh, kw, ph, pw, sh, sw))) ||
            (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err),
                                  cudnnSetTensor4dDescriptor(s->pxd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF,
                                                             (int)x->d[0], (int)x->d[1], (int)x->d[2],
                                                             (int)x->d[3]))) ||
            (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err),
                                  cudnnSetTensor4dDescriptor(s->pyd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF,
                                                             (int)y->d[0], (int)y->d[1], (int)y->d[2],
                                                             (int)y->d[3])))) {
            vrt_free(host);
            return st;
        }
    }
    st = wb && host ? CUCK(cudaMemcpy(c->hweights, host, wb, cudaMemcpyHostToDevice)) : VRT_OK;
    vrt_free(host);
    return st;
}

/* A conv step on our implicit GEMM (config own - 1): the fp32 NCHW <-> fp16
 * NHWC conversions of its operands happen inside the kernel (no extra launches). */
static vrt_status own_conv(cuda_ctx *c, step *s, cudaStream_t strm, int own) {
    vrt__cuda_igemm g = s->ig;
    g.cfg = own - 1;
    g.in_f32 = s->cx, g.res_f32 = s->cr, g.out_f32 = s->cy;
    const void *x = s->ig.focus ? s->focus_x : s->dwf ? c->steps[s->dwf - 1].hx : s->cx ? s->in[0] : s->hx;
    const void *r = s->cr ? s->in[3] : s->hr;
    void *y = s->cy ? s->out[0] : s->hy;
    vrt_status st = vrt__cuda_conv_igemm_half((void *)strm, &g, x, s->hw, s->hb, r, y, &s->u.conv.act);
    return st ? nfail(c, s->n, st, "%s", vrt__cuda_igemm_error()) : VRT_OK;
}

static vrt_status exec_half(cuda_ctx *c, step *s, cudaStream_t strm);

/* exec_half with the conv engine set to `own` (0: cuDNN) for this call. */
static vrt_status exec_half_as(cuda_ctx *c, step *s, cudaStream_t strm, int own) {
    int keep = s->own;
    s->own = own;
    vrt_status st = exec_half(c, s, strm);
    s->own = keep;
    return st;
}

typedef vrt_status (*step_fn)(cuda_ctx *c, step *s, cudaStream_t strm, int arg);

/* GPU time (ms) of fn(c, s, stream, arg) as a graph replay of `reps`
 * back-to-back copies: what the frame's graph pays, launch gaps included
 * (eager timing would measure the host's launch cost); -1 when it fails. */
static float time_in_graph(cuda_ctx *c, step *s, step_fn fn, int arg, int reps, cudaEvent_t e0,
                           cudaEvent_t e1) {
    enum { rounds = 3 };
    cudaGraph_t g = NULL;
    cudaGraphExec_t ge = NULL;
    float ms = -1.0f, t = 0.0f;
    if (cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) return -1.0f;
    int ok = 1;
    for (int r = 0; r < reps && ok; r++)
        ok = fn(c, s, c->stream, arg) == VRT_OK;
    if (cudaStreamEndCapture(c->stream, &g) != cudaSuccess || !ok) goto out;
    if (cudaGraphInstantiate(&ge, g, 0) != cudaSuccess) goto out;
    if (cudaGraphLaunch(ge, c->stream) != cudaSuccess || cudaEventRecord(e0, c->stream) != cudaSuccess)
        goto out;
    for (int r = 0; r < rounds; r++)
        if (cudaGraphLaunch(ge, c->stream) != cudaSuccess) goto out;
    if (cudaEventRecord(e1, c->stream) != cudaSuccess || cudaEventSynchronize(e1) != cudaSuccess) goto out;
    if (cudaEventElapsedTime(&t, e0, e1) == cudaSuccess) ms = t / (float)(reps * rounds);
out:
    if (ge) cudaGraphExecDestroy(ge);
    if (g) cudaGraphDestroy(g);
    cudaGetLastError(); /* a refused variant must not poison later calls */
    c->err[0] = 0;
    return ms;
}

/* The whole fp16 step (conversions around cuDNN included) with either engine. */
static float time_conv_variant(cuda_ctx *c, step *s, int own, cudaEvent_t e0, cudaEvent_t e1) {
    return time_in_graph(c, s, exec_half_as, own, 8, e0, e1);
}

/* Cache key of the own-vs-cuDNN choice: the conv's shape, epilogue and placement. */
static void own_key(const step *s, char *k, size_t cap) {
    const vrt__cuda_igemm *g = &s->ig;
    snprintf(k, cap, "own:%d,%d,%d,%d:%d,%d,%d:k%dx%d:s%dx%d:p%dx%d:d%dx%d:b%d:r%d%s:a%d:ld%d", g->N, g->C,
             g->H, g->W, g->M, g->OH, g->OW, g->KH, g->KW, g->SH, g->SW, g->PH, g->PW, g->DH, g->DW,
             s->hb != NULL, s->hr != NULL, g->res_post ? "post" : "", (int)s->u.conv.act.kind, g->out_ld);
    if (s->dwf) snprintf(k + strlen(k), cap - strlen(k), ":dw%d,%d", (int)g->dw_act.kind, g->dw_b != NULL);
    if (g->focus)
        snprintf(k + strlen(k), cap - strlen(k), ":focus%d%d%d%d%d%d%d%d", g->focus_dy[0], g->focus_dx[0],
                 g->focus_dy[1], g->focus_dx[1], g->focus_dy[2], g->focus_dx[2], g->focus_dy[3],
                 g->focus_dx[3]);
}

/* Picks the fastest of cuDNN's chosen algorithm and our igemm configs, or
 * reads the choice from the cache. VRT_CUDA_CONV=cudnn|own forces one side. */
static vrt_status choose_own(cuda_ctx *c, step *s) {
    char key[256];
    vrt__algo_entry e;
    const char *force = getenv("VRT_CUDA_CONV");
    int must = s->cat || s->dwf || s->ig.focus; /* only our kernel can do what this step was planned for */
    int no_own = force && !strcmp(force, "cudnn") && !must,
        only_own = (force && !strcmp(force, "own")) || must;
    if (no_own) return VRT_OK;
    own_key(s, key, sizeof(key));
    if ((!only_own || must) && vrt__algo_cache_get(c->cache, key, &e) && (!must || e.algo > 0)) {
        s->own = e.algo >= 0 && e.algo <= VRT__CUDA_IGEMM_CONFIGS ? e.algo : 0;
        s->own_ms = s->own ? e.ms : -1.0f;
        s->dnn_ms = -1.0f;
        return VRT_OK;
    }
    cudaEvent_t e0 = NULL, e1 = NULL;
    vrt_status st;
    if ((st = CUCK(cudaEventCreate(&e0))) || (st = CUCK(cudaEventCreate(&e1)))) {
        if (e0) cudaEventDestroy(e0);
        return st;
    }
    float dnn = only_own ? -1.0f : time_conv_variant(c, s, 0, e0, e1), own = -1.0f;
    int cfg = 0;
    for (int k = 1; k <= VRT__CUDA_IGEMM_CONFIGS; k++) {
        float t = time_conv_variant(c, s, k, e0, e1);
        if (t > 0.0f && (own < 0.0f || t < own)) own = t, cfg = k;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    int pick = cfg && (only_own || dnn < 0.0f || own < dnn) ? cfg : 0;
    if (must && !pick)
        return nfail(c, s->n, VRT_EDEVICE, "the %s needs our conv kernel, which failed here: %s",
                     s->cat   ? "in-place Concat"
                     : s->dwf ? "fused depthwise conv"
                              : "Focus read",
                     vrt__cuda_igemm_error());
    s->own = pick;
    s->own_ms = own, s->dnn_ms = dnn;
    if (!only_own || must) {
        e.algo = pick, e.workspace = 0, e.ms = pick ? own : dnn, e.fused = 0;
        vrt__algo_cache_put(c->cache, key, &e);
    }
    return VRT_OK;
}

static vrt_status exec_half(cuda_ctx *c, step *s, cudaStream_t strm) {
    void *stv = (void *)strm;
    const vrt__node *n = s->n;
    vrt_status st = VRT_OK;
    if (s->own) return own_conv(c, s, strm, s->own);
    const vrt__shape *x = SI(s, 0), *y = SO(s, 0);
    if (s->cx && (st = vrt__cuda_to_nhwc_half(stv, s->in[0], s->hx, x->d[0], x->d[1], x->d[2] * x->d[3])))
        return kfail(c, n, st);
    if (s->cr && (st = vrt__cuda_to_nhwc_half(stv, s->in[3], s->hr, y->d[0], y->d[1], y->d[2] * y->d[3])))
        return kfail(c, n, st);
    if (n->op == VRT__OP_Concat) {
        const void *ins[8];
        int ch[8];
        for (int k = 0; k < s->nin && k < 8; k++)
            ins[k] = s->in[k], ch[k] = (int)SI(s, k)->d[1];
        if ((st = vrt__cuda_concat_nhwc_half(stv, s->nin, ins, ch, y->d[0] * y->d[2] * y->d[3], s->hy)))
            return kfail(c, n, st);
    } else if (n->op == VRT__OP_Add) {
        if ((st = vrt__cuda_add_half(stv, s->hx, s->in[1], s->hy, vrt__shape_numel(y), &s->act)))
            return kfail(c, n, st);
    } else if (n->op == VRT__OP_Resize) {
        if ((st = vrt__cuda_upsample_nhwc_half(stv, s->hx, s->hy, (int)x->d[0], (int)x->d[2], (int)x->d[3],
                                               (int)x->d[1], (int)(y->d[2] / x->d[2]),
                                               (int)(y->d[3] / x->d[3]))))
            return kfail(c, n, st);
    } else if (n->op == VRT__OP_MaxPool && !s->pool_dnn) {
        const vrt__pool_params *pp = &s->u.pool;
        if (s->mp_src)
            st = vrt__cuda_maxpool_nhwc_half(stv, s->mp_src, s->hy, (int)x->d[0], (int)x->d[2], (int)x->d[3],
                                             (int)x->d[1], (int)y->d[2], (int)y->d[3], s->mp_k, s->mp_k, 1, 1,
                                             s->mp_k / 2, s->mp_k / 2);
        else
            st = vrt__cuda_maxpool_nhwc_half(stv, s->hx, s->hy, (int)x->d[0], (int)x->d[2], (int)x->d[3],
                                             (int)x->d[1], (int)y->d[2], (int)y->d[3], (int)pp->k[0],
                                             (int)pp->k[1], (int)pp->strides[0], (int)pp->strides[1],
                                             (int)pp->pads_begin[0], (int)pp->pads_begin[1]);
        if (st) return kfail(c, n, st);
    } else if (s->dw) {
        if ((st = vrt__cuda_dwconv_nhwc_half(stv, s->hx, s->hw, s->hb, s->hr, s->hy, &s->dws, &s->u.conv.act,
                                             c->dw8 ? s->dwt : NULL)))
            return kfail(c, n, st);
    } else if (n->op == VRT__OP_Conv) {
        st = vrt__cuda_conv_run(s->conv, strm, s->hx, s->hw, s->hb, c->zero_bias, s->hr, s->hy, c->scratch,
                                c->ws, c->err, sizeof(c->err));
        if (st) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return nfail(c, n, st, "%s", d);
        }
    } else {
        const float one = 1.0f, zero = 0.0f;
        if ((st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnSetStream(c->dnn, strm))) ||
            (st = VRT_CUDNN_CHECK(
                 c->err, sizeof(c->err),
                 cudnnPoolingForward(c->dnn, s->pool, &one, s->pxd, s->hx, &zero, s->pyd, s->hy)))) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return nfail(c, n, st, "%s", d);
        }
    }
    if (s->cy && (st = vrt__cuda_from_nhwc_half(stv, s->hy, s->out[0], y->d[0], y->d[1], y->d[2] * y->d[3])))
        return kfail(c, n, st);
    return VRT_OK;
}

static vrt_status exec_step(cuda_ctx *c, step *s, cudaStream_t strm) {
    const vrt__node *n = s->n;
    if (c->cat_skip[n - c->ir->nodes] || s->fused) return VRT_OK; /* done by the producers / the next conv */
    if (s->h) return exec_half(c, s, strm);
    void *stv = (void *)strm;
    vrt_status st = VRT_OK;
    int64_t on = s->nout && s->to[0] ? vrt__shape_numel(SO(s, 0)) : 0;
    switch ((vrt__op)n->op) {
    case VRT__OP_Conv:
    case VRT__OP_ConvTranspose:
        st = vrt__cuda_conv_run(s->conv, strm, s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL, c->zero_bias,
                                n->op == VRT__OP_Conv && s->nin > 3 ? s->in[3] : NULL, s->out[0], c->scratch,
                                c->ws, c->err, sizeof(c->err));
        if (st) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return nfail(c, n, st, "%s", d);
        }
        return VRT_OK;
    case VRT__OP_Gemm:
    case VRT__OP_MatMul:
        st = vrt__cuda_gemm_run(s->gemm, strm, s->in[0], s->in[1],
                                n->op == VRT__OP_Gemm && s->nin > 2 ? s->in[2] : NULL, s->out[0], c->lt_ws,
                                c->lt_ws_bytes, c->err, sizeof(c->err));
        if (st) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return nfail(c, n, st, "%s", d);
        }
        return VRT_OK;
    case VRT__OP_MaxPool:
        st = vrt__cuda_maxpool_typed(stv, &s->u.pool, s->dt, s->in[0], s->out[0],
                                     s->nout > 1 ? s->out[1] : NULL,
                                     (int)vrt__node_get_int(s->n, "storage_order", 0) == 1);
        break;
    case VRT__OP_AveragePool: st = vrt__cuda_avgpool(stv, &s->u.pool, s->in[0], s->out[0]); break;
    case VRT__OP_GlobalAveragePool:
    case VRT__OP_GlobalMaxPool: {
        const vrt__shape *x = SI(s, 0);
        int64_t sp = 1;
        for (int i = 2; i < x->ndim; i++)
            sp *= x->d[i];
        st = (n->op == VRT__OP_GlobalAveragePool ? vrt__cuda_global_avgpool : vrt__cuda_global_maxpool)(
            stv, x->d[0], x->d[1], sp, s->in[0], s->out[0]);
        break;
    }
    case VRT__OP_BatchNormalization:
    case VRT__OP_InstanceNormalization: {
        const vrt__shape *x = SI(s, 0);
        int64_t sp = 1;
        for (int i = 2; i < x->ndim; i++)
            sp *= x->d[i];
        float eps = vrt__node_get_float(n, "epsilon", 1e-5f);
        if (n->op == VRT__OP_BatchNormalization)
            st = vrt__cuda_batchnorm(stv, x->d[0], x->d[1], sp, s->in[0], s->in[1], s->in[2], s->in[3],
                                     s->in[4], eps, s->out[0]);
        else
            st = vrt__cuda_instancenorm(stv, x->d[0], x->d[1], sp, s->in[0], s->in[1], s->in[2], eps,
                                        s->out[0]);
        break;
    }
    case VRT__OP_LayerNormalization:
        st = vrt__cuda_layernorm(stv, s->iv[0], s->iv[1], s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL,
                                 vrt__node_get_float(n, "epsilon", 1e-5f), s->out[0],
                                 s->nout > 1 ? s->out[1] : NULL, s->nout > 2 ? s->out[2] : NULL);
        break;
    case VRT__OP_LRN: {
        const vrt__shape *x = SI(s, 0);
        int64_t sp = 1;
        for (int i = 2; i < x->ndim; i++)
            sp *= x->d[i];
        st = vrt__cuda_lrn(stv, s->in[0], s->out[0], x->d[0], x->d[1], sp, vrt__node_get_int(n, "size", 1),
                           vrt__node_get_float(n, "alpha", 1e-4f), vrt__node_get_float(n, "beta", 0.75f),
                           vrt__node_get_float(n, "bias", 1.0f));
        break;
    }
    case VRT__OP_Relu:
    case VRT__OP_LeakyRelu:
    case VRT__OP_Sigmoid:
    case VRT__OP_Tanh:
    case VRT__OP_HardSigmoid:
    case VRT__OP_HardSwish:
    case VRT__OP_Clip:
    case VRT__OP_Erf:
    case VRT__OP_Exp:
    case VRT__OP_Log:
    case VRT__OP_Sqrt:
    case VRT__OP_Neg:
    case VRT__OP_Abs:
    case VRT__OP_Reciprocal:
        if (s->dt == VRT__DT_FLOAT) {
            st = vrt__cuda_unary_f32(stv, &s->u.un, s->in[0], s->out[0], on);
        } else {
            int op = n->op == VRT__OP_Relu ? 0 : n->op == VRT__OP_Neg ? 1 : n->op == VRT__OP_Abs ? 2 : 3;
            st = vrt__cuda_int_unary(stv, op, (int)vrt__dtype_size(s->dt), s->dt == VRT__DT_UINT8, s->in[0],
                                     s->out[0], on, (double)s->u.un.min, (double)s->u.un.max);
        }
        break;
    case VRT__OP_Add:
    case VRT__OP_Sub:
    case VRT__OP_Mul:
    case VRT__OP_Div:
    case VRT__OP_Pow:
    case VRT__OP_PRelu:
    case VRT__OP_Sum:
    case VRT__OP_Max:
    case VRT__OP_Min: {
        vrt__binary_op op = (vrt__binary_op)(s->sub & 0xff);
        if (s->nin == 1) {
            st = vrt__cuda_copy(stv, s->in[0], s->out[0], (size_t)on * s->elem);
            break;
        }
        const void *b = s->in[1];
        if (s->sub & 0x400) {
            st = vrt__cuda_pow_int_base(stv, s->dt, s->in[0], SI(s, 0), (const float *)b, SI(s, 1), s->out[0],
                                        SO(s, 0));
            break;
        }
        if (s->sub & 0x100) {
            int64_t nb = vrt__shape_numel(SI(s, 1));
            if ((st =
                     vrt__cuda_cast(stv, vrt__plan_dtype(s->ti[1]->dtype), b, VRT__DT_FLOAT, c->scratch, nb)))
                break;
            b = c->scratch;
        }
        st = vrt__cuda_binary(stv, op, s->dt, s->in[0], SI(s, 0), b, SI(s, 1), s->out[0], SO(s, 0));
        for (int k = 2; !st && k < s->nin; k++)
            st = vrt__cuda_binary(stv, op, s->dt, s->out[0], SO(s, 0), s->in[k], SI(s, k), s->out[0],
                                  SO(s, 0));
        if (!st && s->act.kind != VRT__ACT_NONE)
            st = vrt__cuda_epilogue(stv, s->out[0], on, NULL, 0, 1, 1, 0, 0, NULL, &s->act);
        break;
    }
    case VRT__OP_Equal:
    case VRT__OP_Greater:
    case VRT__OP_Less:
        st = vrt__cuda_compare(stv, (vrt__compare_op)s->sub, s->dt, s->in[0], SI(s, 0), s->in[1], SI(s, 1),
                               s->out[0], SO(s, 0));
        break;
    case VRT__OP_Not: st = vrt__cuda_not(stv, s->in[0], s->out[0], on); break;
    case VRT__OP_Where:
        st = vrt__cuda_where(stv, s->in[0], SI(s, 0), s->in[1], SI(s, 1), s->in[2], SI(s, 2), s->elem,
                             s->out[0], SO(s, 0));
        break;
    case VRT__OP_Identity:
    case VRT__OP_Dropout:
    case VRT__OP_Reshape:
    case VRT__OP_Flatten:
    case VRT__OP_Squeeze:
    case VRT__OP_Unsqueeze:
        if (s->out[0] != s->in[0]) st = vrt__cuda_copy(stv, s->in[0], s->out[0], (size_t)on * s->elem);
        if (!st && n->op == VRT__OP_Dropout && s->nout > 1 && s->out[1]) {
            uint8_t one = 1;
            st = vrt__cuda_fill(stv, &one, 1, s->out[1], vrt__shape_numel(SO(s, 1)));
        }
        break;
    case VRT__OP_Concat: {
        vrt__shape shapes[MAXIO];
        for (int k = 0; k < s->nin; k++)
            shapes[k] = *SI(s, k);
        st = vrt__cuda_concat(stv, vrt__node_get_int(n, "axis", 0), s->nin, (const void *const *)s->in,
                              shapes, s->elem, s->out[0]);
        break;
    }
    case VRT__OP_Split: {
        int cnt;
        const int64_t *sizes = vrt__node_get_ints(n, "split", &cnt);
        st = vrt__cuda_split(stv, vrt__node_get_int(n, "axis", 0), s->in[0], SI(s, 0), s->elem, s->nout,
                             sizes, (void *const *)s->out);
        break;
    }
    case VRT__OP_Slice: st = vrt__cuda_slice(stv, &s->u.sl, s->in[0], SI(s, 0), s->elem, s->out[0]); break;
    case VRT__OP_Transpose:
        st = vrt__cuda_transpose(stv, s->iv, s->niv, s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_Tile: st = vrt__cuda_tile(stv, s->in[0], SI(s, 0), s->elem, s->iv, s->out[0]); break;
    case VRT__OP_Expand: st = vrt__cuda_expand(stv, s->in[0], SI(s, 0), s->elem, s->out[0], SO(s, 0)); break;
    case VRT__OP_Gather:
        st = vrt__cuda_gather(stv, s->iv[0], s->in[0], SI(s, 0), s->elem, s->in[1],
                              vrt__plan_dtype(s->ti[1]->dtype), SI(s, 1), s->out[0]);
        break;
    case VRT__OP_Pad: st = vrt__cuda_pad(stv, &s->u.pad, s->in[0], SI(s, 0), s->elem, s->out[0]); break;
    case VRT__OP_DepthToSpace:
        st = vrt__cuda_depth_to_space(stv, s->iv[0], s->sub, s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_SpaceToDepth:
        st = vrt__cuda_space_to_depth(stv, s->iv[0], s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_Cast:
        /* One kernel, the CPU's rules: held as fp32 or int8/uint8, a cast to
         * fp16, bfloat16, float8 or float4 rounds to the type's precision, to
         * 4-/2-bit ints wraps (cuda_kernels.h). */
        st = vrt__cuda_cast_node(stv, s->ti[0]->dtype, s->in[0], (vrt__dtype)s->sub, s->out[0], on,
                                 (int)s->iv[0], (int)s->iv[1]);
        break;
    case VRT__OP_ConstantOfShape: st = vrt__cuda_fill(stv, s->value, s->elem, s->out[0], on); break;
    case VRT__OP_Resize:
        st = vrt__cuda_resize_f32(stv, &s->u.resize, s->in[0], SI(s, 0), s->out[0], SO(s, 0), c->scratch);
        break;
    case VRT__OP_Softmax:
    case VRT__OP_LogSoftmax: st = vrt__cuda_softmax_f32(stv, &s->u.sm, s->in[0], SI(s, 0), s->out[0]); break;
    case VRT__OP_ReduceMean:
    case VRT__OP_ReduceMax:
    case VRT__OP_ReduceSum:
        if (s->sub)
            st = vrt__cuda_copy(stv, s->in[0], s->out[0], (size_t)on * s->elem);
        else
            st = vrt__cuda_reduce_f32(stv, &s->u.red, s->in[0], SI(s, 0), s->out[0]);
        break;
    case VRT__OP_ArgMax: st = vrt__cuda_argmax_f32(stv, &s->u.am, s->in[0], SI(s, 0), s->out[0]); break;
    case VRT__OP_TopK:
        st = vrt__cuda_topk(stv, &s->u.tk, s->dt, s->in[0], SI(s, 0), s->out[0],
                            s->nout > 1 ? s->out[1] : NULL, c->scratch);
        break;
    default: return nfail(c, n, VRT_EUNSUPPORTED, "no CUDA kernel for this op");
    }
    if (st) return kfail(c, n, st);
    return VRT_OK;
}

/* Everything one inference does on the device, in order: inputs from their
 * staging, the steps, outputs into their staging. Capturable. */
static vrt_status enqueue_all(cuda_ctx *c, cudaStream_t s) {
    vrt_status st;
    const vrt__ir *ir = c->ir;
    for (int i = 0; i < ir->n_inputs; i++) {
        int t = ir->inputs[i];
        if (!c->ptr[t] || !c->in_stage[i] || !c->plan->t[t].bytes) continue;
        if ((st = CUCK(
                 cudaMemcpyAsync(c->ptr[t], c->in_stage[i], c->plan->t[t].bytes, cudaMemcpyHostToDevice, s))))
            return st;
    }
    for (int i = 0; i < c->n_steps; i++) {
        if (c->plan->node_const[i]) continue;
        if ((st = exec_step(c, &c->steps[i], s))) return st;
    }
    for (int i = 0; i < ir->n_outputs; i++) {
        int t = ir->outputs[i];
        if (!c->ptr[t] || !c->out_stage[i] || !c->plan->t[t].bytes) continue;
        if ((st = CUCK(cudaMemcpyAsync(c->out_stage[i], c->ptr[t], c->plan->t[t].bytes,
                                       cudaMemcpyDeviceToHost, s))))
            return st;
    }
    return VRT_OK;
}

/* ---- interface ---- */

static void cuda_destroy(void *vctx) {
    cuda_ctx *c = vctx;
    if (!c) return;
    if (c->stream) cudaStreamSynchronize(c->stream);
    if (c->gexec) cudaGraphExecDestroy(c->gexec);
    if (c->graph) cudaGraphDestroy(c->graph);
    if (c->steps)
        for (int i = 0; i < c->n_steps; i++) {
            vrt__cuda_conv_destroy(&c->steps[i].conv);
            vrt__cuda_gemm_destroy(&c->steps[i].gemm);
            if (c->steps[i].pool) cudnnDestroyPoolingDescriptor(c->steps[i].pool);
            if (c->steps[i].pxd) cudnnDestroyTensorDescriptor(c->steps[i].pxd);
            if (c->steps[i].pyd) cudnnDestroyTensorDescriptor(c->steps[i].pyd);
        }
    if (c->in_stage)
        for (int i = 0; i < c->ir->n_inputs; i++)
            if (c->in_stage[i]) cudaFreeHost(c->in_stage[i]);
    if (c->out_stage)
        for (int i = 0; i < c->ir->n_outputs; i++)
            if (c->out_stage[i]) cudaFreeHost(c->out_stage[i]);
    vrt_free(c->in_stage);
    vrt_free(c->out_stage);
    vrt_free(c->out_cb);
    if (c->in_free) cudaEventDestroy(c->in_free);
    cudaFree(c->arena);
    cudaFree(c->consts);
    cudaFree(c->weights);
    cudaFree(c->scratch);
    cudaFree(c->ws);
    cudaFree(c->lt_ws);
    cudaFree(c->zero_bias);
    cudaFree(c->hbuf);
    cudaFree(c->hweights);
    vrt_free(c->hfmt);
    vrt_free(c->hnode);
    vrt_free(c->cat_skip);
    vrt_free(c->cat_out);
    vrt_free(c->cat_off);
    cudaFree(c->cat_mem);
    cudaFree(c->dwt);
    if (c->dnn) cudnnDestroy(c->dnn);
    if (c->lt) cublasLtDestroy(c->lt);
    if (c->stream) cudaStreamDestroy(c->stream);
    vrt__algo_cache_destroy(&c->cache);
    vrt_free(c->ptr);
    vrt_free(c->steps);
    vrt_free(c);
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Math mode: VRT_CUDA_MATH (when set) over the caller's precision; "auto"
 * (or NULL) is fp16 NHWC for convolution-heavy models (VRT__AUTO_FP16_CONVS
 * or more non-const 2-D Conv nodes), strict fp32 otherwise. */
#define VRT__AUTO_FP16_CONVS 8
static int parse_math(const char *m, vrt__cuda_math *out) {
    if (!strcmp(m, "fp32"))
        *out = VRT__CUDA_MATH_FP32;
    else if (!strcmp(m, "tf32"))
        *out = VRT__CUDA_MATH_TF32;
    else if (!strcmp(m, "fp16"))
        *out = VRT__CUDA_MATH_FP16;
    else
        return 0;
    return 1;
}

static vrt_status choose_math(cuda_ctx *c, const char *precision, char *err, size_t cap) {
    const char *env = getenv("VRT_CUDA_MATH");
    if (env && env[0]) {
        if (!parse_math(env, &c->math)) {
            vrt_errbuf_set(err, cap,
                           "VRT_CUDA_MATH='%s' is not a CUDA math mode; use fp16, fp32 or tf32 (or unset it)",
                           env);
            return VRT_EINVAL;
        }
        return VRT_OK;
    }
    if (precision && precision[0] && strcmp(precision, "auto")) {
        if (!parse_math(precision, &c->math)) {
            vrt_errbuf_set(err, cap, "precision '%s' is not a CUDA math mode; use auto, fp16, fp32 or tf32",
                           precision);
            return VRT_EINVAL;
        }
        return VRT_OK;
    }
    int nconv = 0;
    for (int i = 0; i < c->ir->n_nodes; i++) {
        const vrt__node *n = &c->ir->nodes[i];
        if (n->op == VRT__OP_Conv && !c->plan->node_const[i] && n->n_inputs > 1 && n->inputs[1] >= 0 &&
            c->ir->tensors[n->inputs[1]].shape.ndim == 4)
            nconv++;
    }
    /* fp16 NHWC storage for convolution networks. YOLOX-Nano (SiLU convs,
     * unnormalised 0..255 input) then differs from fp32 by up to 0.65 on
     * background anchors' raw box terms: fp16 precision, the same as an fp16
     * emulation of the model (bench/gpu/fp16_emulate.py, README GPU
     * section); its detections stay. precision=fp32 keeps any model on fp32. */
    c->math = nconv >= VRT__AUTO_FP16_CONVS ? VRT__CUDA_MATH_FP16 : VRT__CUDA_MATH_FP32;
    c->math_auto = 1;
    return VRT_OK;
}

/* base != NULL (prepare_shared): the weight buffers are base's (same math
 * mode, hence the same fp16 layout); everything else is this context's. */
static vrt_status prepare_ctx(const cuda_ctx *base, const vrt__ir *ir, const vrt__plan *plan,
                              const vrt__backend_params *bp, void **out, char *err, size_t cap) {
    *out = NULL;
    int ndev = 0;
    cudaError_t ce = cudaGetDeviceCount(&ndev);
    int dev = bp ? bp->device : 0;
    if (ce != cudaSuccess || ndev <= 0) {
        vrt_errbuf_set(err, cap, "CUDA backend: no CUDA device (%s); use the cpu backend",
                       ce != cudaSuccess ? cudaGetErrorString(ce) : "0 devices");
        return VRT_ENODEV;
    }
    if (dev < 0 || dev >= ndev) {
        vrt_errbuf_set(err, cap, "CUDA backend: device %d does not exist; devices 0..%d", dev, ndev - 1);
        return VRT_EINVAL;
    }
    cuda_ctx *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    c->ir = ir;
    c->plan = plan;
    c->device = dev;
    c->wbase = base;
    vrt_status st = VRT_OK;
    /* Programmatic dependent launch for our fp16 kernels (pdl.cuh): Hopper and
     * newer; VRT_CUDA_PDL=0 turns it off. Process-wide (one setting per device
     * generation; every context of a process sees the same GPU kind). */
    int major = 0;
    const char *pdl = getenv("VRT_CUDA_PDL");
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
    vrt__cuda_set_pdl(major >= 9 && !(pdl && !strcmp(pdl, "0")));
    if (base) {
        c->device = base->device;
        c->math = base->math;
        c->math_auto = base->math_auto;
    } else {
        st = choose_math(c, bp ? bp->precision : NULL, err, cap);
    }
    if (st) {
        vrt_free(c);
        return st;
    }
    const char *g = getenv("VRT_CUDA_GRAPHS");
    c->graphs = !(g && !strcmp(g, "0"));
    c->half_skip = getenv("VRT_CUDA_HALF_SKIP");
    if ((st = CUCK(cudaSetDevice(dev))) ||
        (st = CUCK(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking))) ||
        (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnCreate(&c->dnn))) ||
        (st = VRT_CUBLAS_CHECK(c->err, sizeof(c->err), cublasLtCreate(&c->lt))) ||
        (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnSetStream(c->dnn, c->stream))) ||
        (st = CUCK(cudaEventCreateWithFlags(&c->in_free, cudaEventDisableTiming))))
        goto fail;
    c->ptr = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(*c->ptr));
    c->steps = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(*c->steps));
    c->in_stage = vrt_calloc((size_t)ir->n_inputs + 1, sizeof(void *));
    c->out_stage = vrt_calloc((size_t)ir->n_outputs + 1, sizeof(void *));
    c->out_cb = vrt_calloc((size_t)ir->n_outputs + 1, sizeof(io_cb));
    if (!c->ptr || !c->steps || !c->in_stage || !c->out_stage || !c->out_cb) {
        st = VRT_ENOMEM;
        goto fail;
    }
    /* Weights: one buffer, 256-byte aligned slots, fp16 converted to fp32 on the host. */
    size_t wtotal = 0;
    for (int i = 0; i < ir->n_tensors; i++)
        if (plan->t[i].storage == VRT__ST_WEIGHT) {
            int64_t cnt = vrt__shape_numel(&ir->tensors[i].shape);
            wtotal += ((size_t)cnt * vrt__plan_elem_size(ir->tensors[i].dtype) + 255) & ~(size_t)255;
        }
    if ((st = CUCK(cudaMalloc((void **)&c->arena, plan->arena_bytes + VRT__PLAN_ALIGN))) ||
        (st = CUCK(cudaMalloc((void **)&c->consts, plan->const_bytes + VRT__PLAN_ALIGN))) ||
        (!base && (st = CUCK(cudaMalloc((void **)&c->weights, wtotal + VRT__PLAN_ALIGN)))))
        goto fail;
    size_t woff = 0;
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor *t = &ir->tensors[i];
        const vrt__tensor_plan *tp = &plan->t[i];
        if (tp->storage == VRT__ST_WEIGHT && base) {
            c->ptr[i] = base->ptr[i];
        } else if (tp->storage == VRT__ST_WEIGHT) {
            int64_t cnt = vrt__shape_numel(&t->shape);
            size_t bytes = (size_t)cnt * vrt__plan_elem_size(t->dtype);
            c->ptr[i] = c->weights + woff;
            woff += (bytes + 255) & ~(size_t)255;
            if (!bytes || !t->data) continue;
            if (vrt__plan_dtype(t->dtype) != t->dtype) {
                /* Held in a wider type (fp16, double, bfloat16, float8/float4
                 * as fp32; 4-/2-bit ints as int8/uint8): converted on the host
                 * as the CPU backend converts its weights (lowp.h). */
                uint8_t *f = vrt_malloc(bytes);
                if (!f) {
                    st = VRT_ENOMEM;
                    goto fail;
                }
                if (t->dtype == VRT__DT_FLOAT16) {
                    const uint16_t *h = t->data;
                    for (int64_t q = 0; q < cnt; q++)
                        ((float *)(void *)f)[q] = vrt__half_to_float(h[q]);
                } else {
                    vrt__lowp_host_to_engine(t->dtype, t->data, f, cnt);
                }
                st = CUCK(cudaMemcpy(c->ptr[i], f, bytes, cudaMemcpyHostToDevice));
                vrt_free(f);
            } else {
                st = CUCK(cudaMemcpy(c->ptr[i], t->data, bytes < t->nbytes ? bytes : t->nbytes,
                                     cudaMemcpyHostToDevice));
            }
            if (st) goto fail;
        } else if (tp->storage == VRT__ST_ARENA) {
            c->ptr[i] = c->arena + tp->offset;
        } else if (tp->storage == VRT__ST_CONST) {
            c->ptr[i] = c->consts + tp->offset;
        }
    }
    for (int i = 0; i < ir->n_tensors; i++)
        if (plan->t[i].storage == VRT__ST_VIEW) c->ptr[i] = c->ptr[plan->t[i].base];
    if ((st = plan_half(c)) || (st = plan_concat(c))) goto fail;
    /* Steps. */
    for (int i = 0; i < ir->n_nodes; i++) {
        step *s = &c->steps[c->n_steps++];
        const vrt__node *n = &ir->nodes[i];
        s->n = n;
        if (n->n_inputs > MAXIO || n->n_outputs > MAXIO) {
            st = nfail(c, n, VRT_EUNSUPPORTED, "more than %d inputs or outputs", MAXIO);
            goto fail;
        }
        s->nin = n->n_inputs;
        s->nout = n->n_outputs;
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            s->ti[k] = t >= 0 ? &ir->tensors[t] : NULL;
            s->in[k] = t >= 0 ? c->ptr[t] : NULL;
        }
        for (int k = 0; k < n->n_outputs; k++) {
            int t = n->outputs[k];
            s->to[k] = t >= 0 ? &ir->tensors[t] : NULL;
            s->out[k] = t >= 0 ? c->ptr[t] : NULL;
        }
        if ((!s->nin || !s->ti[0]) && n->op != VRT__OP_ConstantOfShape) {
            st = nfail(c, n, VRT_EUNSUPPORTED, "first input missing");
            goto fail;
        }
        s->dt = s->nin && s->ti[0] ? vrt__plan_dtype(s->ti[0]->dtype) : VRT__DT_FLOAT;
        s->elem = s->nout && s->to[0] ? vrt__plan_elem_size(s->to[0]->dtype) : 4;
        s->h = c->hnode[i];
        if ((st = prep_step(c, s)) || (st = prep_cuda(c, s))) goto fail;
    }
    if ((st = prep_half(c)) || (st = prep_dw_taps(c)) || (st = plan_dw_fuse(c)) || (st = plan_focus(c)))
        goto fail;
    plan_spp(c);
    if (c->scratch_bytes && (st = CUCK(cudaMalloc((void **)&c->scratch, c->scratch_bytes + 256)))) goto fail;
    if (c->zero_bias_n) {
        if ((st = CUCK(cudaMalloc((void **)&c->zero_bias, c->zero_bias_n * 4))) ||
            (st = CUCK(cudaMemset(c->zero_bias, 0, c->zero_bias_n * 4))))
            goto fail;
    }
    /* cuBLASLt workspace: the limit every Gemm/MatMul heuristic was asked to respect. */
    int ngemm = 0;
    for (int i = 0; i < c->n_steps; i++)
        ngemm += c->steps[i].gemm != NULL;
    if (ngemm) {
        c->lt_ws_bytes = LT_WS_LIMIT;
        if ((st = CUCK(cudaMalloc((void **)&c->lt_ws, c->lt_ws_bytes)))) goto fail;
    }
    /* cuDNN algorithms: cache, or timed on the real buffers with a search workspace. */
    double t0 = now_ms();
    vrt__algo_cache_open(ir->path, dev, &c->cache);
    int nconv = 0;
    for (int i = 0; i < c->n_steps; i++)
        nconv += c->steps[i].conv != NULL;
    if (nconv) {
        size_t fr = 0, tot = 0, search = SEARCH_WS_LIMIT;
        if (cudaMemGetInfo(&fr, &tot) == cudaSuccess && fr / 4 < search) search = fr / 4;
        uint8_t *sws = NULL;
        if ((st = CUCK(cudaMalloc((void **)&sws, search)))) goto fail;
        size_t need = 0;
        for (int i = 0; i < c->n_steps && !st; i++) {
            step *s = &c->steps[i];
            if (!s->conv || s->dw) continue;
            char e2[400] = "";
            if (s->h)
                st = vrt__cuda_conv_choose(s->conv, c->cache, NULL, c->stream, s->hx, s->hw, s->hb,
                                           c->zero_bias, s->hr, s->hy, c->scratch, sws, search, e2,
                                           sizeof(e2));
            else
                st = vrt__cuda_conv_choose(s->conv, c->cache, NULL, c->stream, s->in[0], s->in[1],
                                           s->nin > 2 ? s->in[2] : NULL, c->zero_bias,
                                           s->n->op == VRT__OP_Conv && s->nin > 3 ? s->in[3] : NULL,
                                           s->out[0], c->scratch, sws, search, e2, sizeof(e2));
            if (st)
                nfail(c, s->n, st, "choosing the cuDNN algorithm: %s", e2);
            else if (vrt__cuda_conv_workspace(s->conv) > need)
                need = vrt__cuda_conv_workspace(s->conv);
        }
        /* Own implicit GEMM vs cuDNN, timed with cuDNN's workspace in place. */
        c->ws = sws;
        for (int i = 0; i < c->n_steps && !st; i++)
            if (c->steps[i].own_ok && c->steps[i].conv) st = choose_own(c, &c->steps[i]);
        c->ws = NULL;
        vrt_status st2 = CUCK(cudaStreamSynchronize(c->stream));
        cudaFree(sws);
        if (st || (st = st2)) goto fail;
        c->ws_bytes = need;
        if (need && (st = CUCK(cudaMalloc((void **)&c->ws, need)))) goto fail;
        c->cache_hits = vrt__algo_cache_hits(c->cache);
        c->cache_misses = vrt__algo_cache_misses(c->cache);
        vrt__algo_cache_save(c->cache);
    }
    c->choose_ms = now_ms() - t0;
    /* I/O staging. */
    for (int i = 0; i < ir->n_inputs; i++) {
        size_t b = plan->t[ir->inputs[i]].bytes;
        if (b && (st = CUCK(cudaMallocHost(&c->in_stage[i], b)))) goto fail;
    }
    for (int i = 0; i < ir->n_outputs; i++) {
        size_t b = plan->t[ir->outputs[i]].bytes;
        if (b && (st = CUCK(cudaMallocHost(&c->out_stage[i], b)))) goto fail;
    }
    /* The uploads above are cudaMemcpy from pageable memory on the legacy
     * stream: they may still be in flight when it returns, and our stream
     * (non-blocking) does not wait for them. Seen as wrong constants under
     * load (Shape / Range node tests, with other programs on the GPU). */
    if ((st = CUCK(cudaDeviceSynchronize()))) goto fail;
    /* Const nodes run once, now. */
    for (int i = 0; i < c->n_steps; i++)
        if (plan->node_const[i] && (st = exec_step(c, &c->steps[i], c->stream))) goto fail;
    if ((st = CUCK(cudaStreamSynchronize(c->stream)))) goto fail;
    *out = c;
    return VRT_OK;
fail:
    if (st == VRT_ENOMEM && !c->err[0])
        snprintf(c->err, sizeof(c->err), "out of memory preparing the CUDA backend (arena %zu bytes)",
                 plan->arena_bytes);
    vrt_errbuf_set(err, cap, "%s", c->err);
    cuda_destroy(c);
    return st;
}

static vrt_status cuda_prepare(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_params *bp,
                               void **out, char *err, size_t cap) {
    return prepare_ctx(NULL, ir, plan, bp, out, err, cap);
}

static vrt_status cuda_prepare_shared(const void *base, const vrt__ir *ir, const vrt__plan *plan,
                                      const vrt__backend_params *bp, void **out, char *err, size_t cap) {
    return prepare_ctx(base, ir, plan, bp, out, err, cap);
}

static int io_ok(cuda_ctx *c, const char *what, int i, const vrt__tensor *x, vrt__dtype dt, size_t nbytes,
                 const void *data) {
    int64_t cnt = vrt__shape_numel(&x->shape);
    if (!(dt == x->dtype || (is_f(dt) && is_f(x->dtype))) || nbytes != (size_t)cnt * vrt__dtype_size(dt) ||
        (!data && cnt)) {
        snprintf(c->err, sizeof(c->err),
                 "%s %d ('%s'): expected %lld elements of %s (%zu bytes); got %zu bytes of %s", what, i,
                 x->name, (long long)cnt, vrt__dtype_name(x->dtype), (size_t)cnt * vrt__dtype_size(x->dtype),
                 nbytes, vrt__dtype_name(dt));
        return 0;
    }
    return 1;
}

static vrt_status cuda_set_input(void *vctx, int i, const void *data, vrt__dtype dt, size_t nbytes,
                                 void *stream) {
    cuda_ctx *c = vctx;
    (void)stream;
    if (i < 0 || i >= c->ir->n_inputs) return VRT_EINVAL;
    int t = c->ir->inputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    if (!io_ok(c, "input", i, x, dt, nbytes, data)) return VRT_EINVAL;
    if (!c->ptr[t] || !c->in_stage[i]) return VRT_OK; /* unused input */
    /* The previous run may still be copying the staging to the device. */
    vrt_status st;
    if (c->in_free_valid && (st = CUCK(cudaEventSynchronize(c->in_free)))) return st;
    int64_t cnt = vrt__shape_numel(&x->shape);
    if (dt == VRT__DT_FLOAT16) {
        float *y = c->in_stage[i];
        for (int64_t q = 0; q < cnt; q++)
            y[q] = vrt__half_to_float(((const uint16_t *)data)[q]);
    } else if (vrt__plan_dtype(dt) != dt) {
        vrt__lowp_host_to_engine(dt, data, c->in_stage[i],
                                 cnt); /* double, bfloat16, float8/4, 4-/2-bit ints */
    } else if (cnt) {
        memcpy(c->in_stage[i], data, nbytes);
    }
    return VRT_OK;
}

static vrt_status cuda_run(void *vctx, void *stream) {
    cuda_ctx *c = vctx;
    cudaStream_t s = stream ? (cudaStream_t)stream : c->stream;
    vrt_status st;
    c->runs++;
    if (c->gexec) {
        if ((st = CUCK(cudaGraphLaunch(c->gexec, s)))) return st;
    } else if (c->graphs && c->runs >= 2) {
        /* Second run: capture once (the first was the warm-up), then replay. */
        cudaStream_t cs = c->stream;
        if (s != cs) {
            /* Capture on our stream, ordered after the caller's work. */
            if ((st = CUCK(cudaEventRecord(c->in_free, s))) ||
                (st = CUCK(cudaStreamWaitEvent(cs, c->in_free, 0))))
                return st;
        }
        if ((st = CUCK(cudaStreamBeginCapture(cs, cudaStreamCaptureModeThreadLocal)))) return st;
        vrt_status est = enqueue_all(c, cs);
        cudaGraph_t g = NULL;
        vrt_status cst = CUCK(cudaStreamEndCapture(cs, &g));
        if (!est && !cst) {
            c->graph = g;
            if (cudaGraphInstantiate(&c->gexec, g, 0) != cudaSuccess) c->gexec = NULL;
        } else if (g) {
            cudaGraphDestroy(g);
        }
        if (c->gexec) {
            if ((st = CUCK(cudaGraphLaunch(c->gexec, s)))) return st;
        } else {
            /* Something in the steps cannot be captured: stay eager (the
             * detail stays in last_error; graph_active reports it). */
            cudaGetLastError();
            c->graphs = 0;
            if ((st = enqueue_all(c, s))) return st;
        }
    } else {
        if ((st = enqueue_all(c, s))) return st;
    }
    if ((st = CUCK(cudaEventRecord(c->in_free, s)))) return st;
    c->in_free_valid = 1;
    return VRT_OK;
}

static void CUDART_CB copy_out(void *arg) {
    io_cb *cb = arg;
    if (cb->to_half) {
        uint16_t *y = cb->dst;
        const float *x = cb->src;
        for (int64_t q = 0; q < cb->n; q++)
            y[q] = vrt__float_to_half(x[q]);
    } else if (cb->lowp) {
        vrt__lowp_engine_to_host(cb->lowp, cb->src, cb->dst, cb->n);
    } else if (cb->bytes) {
        memcpy(cb->dst, cb->src, cb->bytes);
    }
}

static vrt_status cuda_get_output(void *vctx, int i, void *data, vrt__dtype dt, size_t nbytes, void *stream) {
    cuda_ctx *c = vctx;
    cudaStream_t s = stream ? (cudaStream_t)stream : c->stream;
    if (i < 0 || i >= c->ir->n_outputs) return VRT_EINVAL;
    int t = c->ir->outputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    if (!io_ok(c, "output", i, x, dt, nbytes, data)) return VRT_EINVAL;
    if (!c->ptr[t]) {
        snprintf(c->err, sizeof(c->err), "output %d ('%s') has no storage", i, x->name);
        return VRT_EINVAL;
    }
    if (!c->out_stage[i]) return VRT_OK; /* empty tensor */
    io_cb *cb = &c->out_cb[i];
    cb->c = c;
    cb->dst = data;
    cb->src = c->out_stage[i];
    cb->n = vrt__shape_numel(&x->shape);
    cb->to_half = dt == VRT__DT_FLOAT16;
    cb->lowp = dt != VRT__DT_FLOAT16 && vrt__plan_dtype(dt) != dt ? dt : VRT__DT_UNDEFINED;
    cb->bytes = nbytes;
    /* The run's D2H into staging is already on the stream; the copy to the
     * caller's memory runs after it, on the host, when the stream gets there. */
    return CUCK(cudaLaunchHostFunc(s, copy_out, cb));
}

static vrt_status cuda_sync(void *vctx, void *stream) {
    cuda_ctx *c = vctx;
    cudaStream_t s = stream ? (cudaStream_t)stream : c->stream;
    return CUCK(cudaStreamSynchronize(s));
}

static const char *cuda_last_error(void *vctx) {
    return vctx ? ((cuda_ctx *)vctx)->err : "";
}

int vrt__cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky "no device" error */
        return 0;
    }
    return n;
}

/* The last four: the optional device members the session's frame path uses (engine/device.h). */
const vrt__backend_iface vrt__backend_cuda = {
    "cuda",
    cuda_prepare,
    cuda_set_input,
    cuda_run,
    cuda_get_output,
    cuda_sync,
    cuda_last_error,
    cuda_destroy,
    cuda_prepare_shared,
    vrt__cuda_backend_stream,
    vrt__cuda_backend_input,
    vrt__cuda_backend_output,
    vrt__cuda_backend_enqueue,
};

/* ---- introspection (vrt inspect --backend cuda, tests) ---- */

int vrt__cuda_backend_n_engines(const void *vctx) {
    const cuda_ctx *c = vctx;
    int n = 0;
    for (int i = 0; c && i < c->n_steps; i++)
        n += c->steps[i].conv || c->steps[i].gemm;
    return n;
}

const char *vrt__cuda_backend_engine(const void *vctx, int k, char *buf, size_t cap) {
    const cuda_ctx *c = vctx;
    if (!c || !buf || !cap) return NULL;
    for (int i = 0; i < c->n_steps; i++) {
        const step *s = &c->steps[i];
        if (!s->conv && !s->gemm) continue;
        if (k-- > 0) continue;
        char d[640];
        if (s->own) {
            snprintf(d, sizeof(d),
                     "own %s (fp16 NHWC, %dx%d stride %d, fp32 accumulation, fused %s%s%s%s), %.4f ms vs "
                     "cuDNN %.4f ms%s",
                     vrt__cuda_igemm_config_name(s->own - 1), s->ig.KH, s->ig.KW, s->ig.SH,
                     s->hb ? "bias+" : "", s->hr && !s->ig.res_post ? "residual+" : "",
                     vrt__act_name(s->u.conv.act.kind), s->hr && s->ig.res_post ? "+residual" : "", s->own_ms,
                     s->dnn_ms, s->dnn_ms < 0 ? " (cached)" : "");
            if (s->cat)
                snprintf(d + strlen(d), sizeof(d) - strlen(d),
                         "; writes channels %d..%d of the in-place Concat's output", s->ig.out_off,
                         s->ig.out_off + s->ig.M - 1);
            if (s->ig.focus)
                snprintf(d + strlen(d), sizeof(d) - strlen(d),
                         "; reads the Focus slices of its input directly (Slices and Concat not run)");
            if (s->dwf)
                snprintf(d + strlen(d), sizeof(d) - strlen(d),
                         "; computes the depthwise %s (%dx%d stride %d, %s) in its gather",
                         c->steps[s->dwf - 1].n->name, s->ig.KH, s->ig.KW, s->ig.SH,
                         vrt__act_name(s->ig.dw_act.kind));
        } else if (s->fused)
            snprintf(d, sizeof(d), "fused into the next conv's kernel (no launch of its own)");
        else if (s->dw)
            snprintf(d, sizeof(d),
                     "own depthwise kernel (fp16 NHWC, %dx%d stride %d, fp32 accumulation, fused %s%s%s)",
                     s->dws.KH, s->dws.KW, s->dws.SH, s->hb ? "bias+" : "", s->hr ? "residual+" : "",
                     vrt__act_name(s->u.conv.act.kind));
        else if (s->conv) {
            vrt__cuda_conv_describe(s->conv, d, sizeof(d));
            if (s->own_ok && s->dnn_ms >= 0.0f)
                snprintf(d + strlen(d), sizeof(d) - strlen(d),
                         " [as a graph node: cuDNN %.4f ms, our igemm %.4f ms]", s->dnn_ms, s->own_ms);
        } else
            vrt__cuda_gemm_describe(s->gemm, d, sizeof(d));
        if (s->h && (s->cx || s->cy || s->cr))
            snprintf(d + strlen(d), sizeof(d) - strlen(d), " [fp32 NCHW<->fp16 NHWC conversion:%s%s%s]",
                     s->cx ? " in" : "", s->cr ? " residual" : "", s->cy ? " out" : "");
        snprintf(buf, cap, "%s (%s): %s", s->n->name, s->n->op_type, d);
        return buf;
    }
    return NULL;
}

const char *vrt__cuda_backend_math(const void *vctx, int *is_auto) {
    const cuda_ctx *c = vctx;
    if (is_auto) *is_auto = c ? c->math_auto : 0;
    return c ? vrt__cuda_math_name(c->math) : "?";
}

static vrt_status exec_step_fn(cuda_ctx *c, step *s, cudaStream_t strm, int arg) {
    (void)arg;
    return exec_step(c, s, strm);
}

/* Debugging (bench_engine --profile): ms[i] = GPU time of node i, each step
 * alone as a graph replay of 5 back-to-back copies (so launch gaps count as
 * in the frame's graph; -1: constant, not run or not capturable), half[i] = 1
 * when it ran on fp16 NHWC, 2 when it ran on our implicit-GEMM conv.
 * Captures, creates events and synchronises: never on the frame path. The
 * steps' outputs are overwritten with what one run would write. */
int vrt__cuda_backend_profile(void *vctx, void *stream, float *ms, int *half, int n) {
    cuda_ctx *c = vctx;
    if (!c || !stream || !ms || n < c->n_steps) return VRT_EINVAL;
    vrt_status st;
    cudaEvent_t e0 = NULL, e1 = NULL;
    if ((st = CUCK(cudaStreamSynchronize((cudaStream_t)stream))) || (st = CUCK(cudaEventCreate(&e0))) ||
        (st = CUCK(cudaEventCreate(&e1)))) {
        if (e0) cudaEventDestroy(e0);
        return st;
    }
    for (int i = 0; i < c->n_steps; i++) {
        ms[i] = c->plan->node_const[i] ? -1.0f : time_in_graph(c, &c->steps[i], exec_step_fn, 0, 5, e0, e1);
        if (half) half[i] = c->steps[i].own ? 2 : c->steps[i].h;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    return VRT_OK;
}

void vrt__cuda_backend_info(const void *vctx, vrt__cuda_backend_stats *st) {
    const cuda_ctx *c = vctx;
    memset(st, 0, sizeof(*st));
    if (!c) return;
    st->cache_hits = c->cache_hits;
    st->cache_misses = c->cache_misses;
    st->choose_ms = c->choose_ms;
    st->graph_active = c->gexec != NULL;
    st->graphs_enabled = c->graphs;
    st->math = vrt__cuda_math_name(c->math);
    st->workspace_bytes = c->ws_bytes;
    st->lt_workspace_bytes = c->lt_ws_bytes;
    st->scratch_bytes = c->scratch_bytes;
    st->pdl = vrt__cuda_pdl_enabled();
    st->own_convs = st->inplace_concats = st->fused_dw = 0;
    for (int i = 0; i < c->n_steps; i++)
        st->own_convs += c->steps[i].own != 0, st->fused_dw += c->steps[i].fused;
    st->inplace_concats = c->n_cat;
    snprintf(st->cache_path, sizeof(st->cache_path), "%s", vrt__algo_cache_path(c->cache));
}

/* ---- driving the backend from a caller's own graph (vrt/session.h) ---- */

void *vrt__cuda_backend_stream(void *vctx) {
    return vctx ? (void *)((cuda_ctx *)vctx)->stream : NULL;
}

static void *io_ptr(cuda_ctx *c, int t, size_t *bytes) {
    if (bytes) *bytes = c->ptr[t] ? c->plan->t[t].bytes : 0;
    return c->ptr[t];
}

void *vrt__cuda_backend_input(void *vctx, int i, size_t *bytes) {
    cuda_ctx *c = vctx;
    if (bytes) *bytes = 0;
    if (!c || i < 0 || i >= c->ir->n_inputs) return NULL;
    return io_ptr(c, c->ir->inputs[i], bytes);
}

void *vrt__cuda_backend_output(void *vctx, int i, size_t *bytes) {
    cuda_ctx *c = vctx;
    if (bytes) *bytes = 0;
    if (!c || i < 0 || i >= c->ir->n_outputs) return NULL;
    return io_ptr(c, c->ir->outputs[i], bytes);
}

vrt_status vrt__cuda_backend_enqueue(void *vctx, void *stream) {
    cuda_ctx *c = vctx;
    if (!c) return VRT_EINVAL;
    cudaStream_t s = stream ? (cudaStream_t)stream : c->stream;
    vrt_status st;
    for (int i = 0; i < c->n_steps; i++) {
        if (c->plan->node_const[i]) continue;
        if ((st = exec_step(c, &c->steps[i], s))) return st;
    }
    return VRT_OK;
}
