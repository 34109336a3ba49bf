/*
 * The CPU reference backend: dispatch from IR nodes to the CPU kernels.
 *
 * prepare() resolves every node once into a step (kernel parameters,
 * tensor pointers into the arena / const region / weights), sizes one
 * scratch buffer for the largest kernel need, allocates arena, const region
 * and fp32 copies of fp16 weights, creates the thread pool and runs the
 * plan's const nodes. run() walks the steps and calls kernels; it does not
 * allocate. Inside, FLOAT16 tensors are fp32 (vrt__plan_dtype).
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
#include "engine/backend/cpu/lowp.h"
#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cpu/kernels_tensor.h"
#include "model/ops.h"

#define MAXIO VRT__MAX_CONCAT_INPUTS

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
} step;

typedef struct cpu_ctx {
    const vrt__ir *ir;
    const vrt__plan *plan;
    vrt__threadpool *tp;
    uint8_t *arena, *consts, *scratch;
    size_t scratch_bytes;
    float **wcopies; /* fp32 copies of fp16 weights, per tensor (NULL otherwise) */
    uint8_t **ptr;   /* per tensor */
    step *steps;
    int n_steps;
    double *prof_ns; /* VRT_PROFILE_OPS=1: time per step summed over runs (NULL when off) */
    int64_t prof_runs;
    char err[512];
} cpu_ctx;

static int is_f(vrt__dtype d) {
    return d == VRT__DT_FLOAT || d == VRT__DT_FLOAT16;
}

static vrt_status nfail(cpu_ctx *c, const vrt__node *n, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static vrt_status nfail(cpu_ctx *c, const vrt__node *n, vrt_status st, const char *fmt, ...) {
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

static void need_scratch(cpu_ctx *c, size_t b) {
    if (b > c->scratch_bytes) c->scratch_bytes = b;
}

#define NEED_FLOAT()                                                                                         \
    do {                                                                                                     \
        if (vrt__plan_dtype(s->ti[0]->dtype) != VRT__DT_FLOAT)                                               \
            return nfail(c, n, VRT_EUNSUPPORTED,                                                             \
                         "data type %s is not supported by the CPU backend; supported: float32, float16",    \
                         vrt__dtype_name(s->ti[0]->dtype));                                                  \
    } while (0)

/* Resolves node parameters into the step (no pointers yet). */
static vrt_status prep_step(cpu_ctx *c, step *s) {
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
        vrt__conv_params *p = &s->u.conv;
        if ((st = vrt__op_conv_params(n, SI(s, 0), SI(s, 1), SO(s, 0), s->act, p, kerr, sizeof(kerr)))) break;
        need_scratch(c, n->op == VRT__OP_Conv ? vrt__conv_scratch_bytes(p)
                                              : vrt__conv_transpose_scratch_bytes(p));
        break;
    }
    case VRT__OP_MaxPool:
    case VRT__OP_AveragePool: {
        if (n->op == VRT__OP_MaxPool && (s->dt == VRT__DT_UINT8 || s->dt == VRT__DT_INT8)) {
            /* 8-bit MaxPool: via fp32 in scratch (exact: a max picks an input value). */
            s->sub |= 0x100;
            need_scratch(c, (size_t)(vrt__shape_numel(SI(s, 0)) + vrt__shape_numel(SO(s, 0))) * 4 + 64);
        } else {
            NEED_FLOAT();
        }
        if (n->op == VRT__OP_MaxPool && vrt__node_get_int(n, "storage_order", 0))
            s->sub |= 0x200; /* column-major indices */
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
        int narrow = d == VRT__DT_INT8 || d == VRT__DT_UINT8 || d == VRT__DT_INT16 || d == VRT__DT_UINT16 ||
                     d == VRT__DT_UINT32;
        if (narrow && s->nin == 2 && n->op != VRT__OP_PRelu && s->ti[1] &&
            s->ti[1]->dtype == s->ti[0]->dtype) {
            /* Computed in int64 in scratch (exact for these ranges), wrapped back to the type's bits. */
            s->sub |= 0x200;
            size_t a = (size_t)vrt__shape_numel(SI(s, 0)), b = (size_t)vrt__shape_numel(SI(s, 1)),
                   y = (size_t)vrt__shape_numel(SO(s, 0));
            need_scratch(c, (a + b + y) * 8 + 64);
            break;
        }
        if ((d == VRT__DT_INT32 || d == VRT__DT_INT64) && n->op == VRT__OP_Pow && s->nin == 2 && s->ti[1] &&
            vrt__plan_dtype(s->ti[1]->dtype) == VRT__DT_FLOAT) {
            /* Integer base, float exponent: pow in fp32, truncated back to the base's type (numpy's astype).
             */
            s->sub |= 0x400;
            size_t a = (size_t)vrt__shape_numel(SI(s, 0)), y = (size_t)vrt__shape_numel(SO(s, 0));
            need_scratch(c, (a + y) * 4 + 64);
            break;
        }
        if (d != VRT__DT_FLOAT && d != VRT__DT_INT64 && d != VRT__DT_INT32 &&
            !(d == VRT__DT_UINT64 && n->op != VRT__OP_PRelu))
            return nfail(
                c, n, VRT_EUNSUPPORTED,
                "data type %s is not supported by the CPU backend; supported: float32, float16, double, "
                "int8/16/32/64, uint8/16/32/64",
                vrt__dtype_name(s->ti[0]->dtype));
        for (int k = 1; k < s->nin; k++) {
            if (!s->ti[k]) continue;
            vrt__dtype dk = vrt__plan_dtype(s->ti[k]->dtype);
            if (dk == d) continue;
            /* Pow with an exponent of another type: converted into scratch at run. */
            if (n->op == VRT__OP_Pow && d == VRT__DT_FLOAT && dk != VRT__DT_BOOL && vrt__dtype_size(dk) > 0) {
                s->sub |= 0x100;
                need_scratch(c, (size_t)vrt__shape_numel(SI(s, 1)) * 4 + 64);
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
            return nfail(
                c, n, VRT_EUNSUPPORTED,
                "data type %s is not supported by the CPU backend; supported: float32, float16, int32, int64",
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
        break;
    }
    case VRT__OP_ConstantOfShape: vrt__op_constant_value(n, s->value); break;
    case VRT__OP_Resize: {
        NEED_FLOAT();
        vrt__resize_params *p = &s->u.resize;
        if ((st = vrt__op_resize_params(n, SI(s, 0), SO(s, 0), p, kerr, sizeof(kerr)))) break;
        need_scratch(c, vrt__resize_scratch_bytes(p, SI(s, 0), SO(s, 0)));
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
        if (s->dt != VRT__DT_FLOAT && vrt__cpu_topk_int_ok(s->dt)) {
            s->sub = 1; /* integer kernel */
            need_scratch(c, (size_t)vrt__node_get_int(n, "k", 1) * 8 + 64);
        } else {
            NEED_FLOAT();
        }
        vrt__op_topk_params(n, &s->u.tk);
        need_scratch(c, vrt__topk_scratch_bytes(&s->u.tk, SI(s, 0)));
        break;
    default: return nfail(c, n, VRT_EUNSUPPORTED, "the CPU backend has no kernel for this op");
    }
    if (st) return nfail(c, n, st, "%s", kerr[0] ? kerr : "parameters not supported by the kernel");
    return VRT_OK;
}

/* ---- helpers for run ---- */

static int64_t geti(vrt__dtype d, const void *p, int64_t i) {
    switch (d) {
    case VRT__DT_INT64:
    case VRT__DT_UINT64: return ((const int64_t *)p)[i];
    case VRT__DT_INT32: return ((const int32_t *)p)[i];
    case VRT__DT_UINT32: return ((const uint32_t *)p)[i];
    case VRT__DT_INT16: return ((const int16_t *)p)[i];
    case VRT__DT_UINT16: return ((const uint16_t *)p)[i];
    case VRT__DT_INT8: return ((const int8_t *)p)[i];
    default: return ((const uint8_t *)p)[i];
    }
}

static void seti(vrt__dtype d, void *p, int64_t i, int64_t v) {
    switch (d) {
    case VRT__DT_INT64:
    case VRT__DT_UINT64: ((int64_t *)p)[i] = v; break;
    case VRT__DT_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case VRT__DT_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case VRT__DT_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case VRT__DT_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case VRT__DT_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    default: ((uint8_t *)p)[i] = (uint8_t)v; break;
    }
}

static void lrn(const step *s, const float *x, float *y) {
    const vrt__node *n = s->n;
    int64_t size = vrt__node_get_int(n, "size", 1);
    float alpha = vrt__node_get_float(n, "alpha", 1e-4f), beta = vrt__node_get_float(n, "beta", 0.75f),
          bias = vrt__node_get_float(n, "bias", 1.0f);
    const vrt__shape *sx = SI(s, 0);
    int64_t N = sx->d[0], C = sx->d[1], sp = 1;
    for (int i = 2; i < sx->ndim; i++)
        sp *= sx->d[i];
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
    for (int64_t b = 0; b < N; b++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t q = 0; q < sp; q++) {
                double sum = 0;
                for (int64_t k = ch - lo; k <= ch + hi; k++) {
                    if (k < 0 || k >= C) continue;
                    double v = x[(b * C + k) * sp + q];
                    sum += v * v;
                }
                int64_t i = (b * C + ch) * sp + q;
                y[i] = (float)(x[i] / pow(bias + alpha / (double)size * sum, beta));
            }
}

static vrt_status exec_step(cpu_ctx *c, step *s) {
    const vrt__node *n = s->n;
    vrt__threadpool *tp = c->tp;
    vrt_status st = VRT_OK;
    int64_t on = s->nout && s->to[0] ? vrt__shape_numel(SO(s, 0)) : 0;
    switch ((vrt__op)n->op) {
    case VRT__OP_Conv:
        st = vrt__conv(tp, &s->u.conv, s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL,
                       s->nin > 3 ? s->in[3] : NULL, s->out[0], c->scratch);
        break;
    case VRT__OP_ConvTranspose:
        st = vrt__conv_transpose(tp, &s->u.conv, s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL, s->out[0],
                                 c->scratch);
        break;
    case VRT__OP_MaxPool: {
        int64_t *idx = s->nout > 1 ? s->out[1] : NULL;
        if (s->sub & 0x100) {
            int64_t nx = vrt__shape_numel(SI(s, 0));
            float *xf = (float *)c->scratch, *yf = xf + nx;
            if (!(st = vrt__cpu_cast(s->dt, s->in[0], VRT__DT_FLOAT, xf, nx)) &&
                !(st = vrt__maxpool(tp, &s->u.pool, xf, yf, idx)))
                st = vrt__cpu_cast(VRT__DT_FLOAT, yf, s->dt, s->out[0], on);
        } else {
            st = vrt__maxpool(tp, &s->u.pool, s->in[0], s->out[0], idx);
        }
        if (!st && idx && (s->sub & 0x200)) {
            /* storage_order=1: the flat index within each (n, c) plane counts the
             * spatial dims column-major (first spatial dim fastest). */
            const vrt__shape *x = SI(s, 0);
            int nsp = x->ndim - 2;
            int64_t plane = 1;
            for (int i = 2; i < x->ndim; i++)
                plane *= x->d[i];
            int64_t no = vrt__shape_numel(SO(s, 1));
            for (int64_t q = 0; q < no; q++) {
                int64_t r = idx[q], base = r - r % plane, rem = r % plane, col = 0, stride = 1;
                int64_t coord[VRT__MAX_DIMS];
                for (int i = nsp - 1; i >= 0; i--)
                    coord[i] = rem % x->d[2 + i], rem /= x->d[2 + i];
                for (int i = 0; i < nsp; i++)
                    col += coord[i] * stride, stride *= x->d[2 + i];
                idx[q] = base + col;
            }
        }
        break;
    }
    case VRT__OP_AveragePool: st = vrt__avgpool(tp, &s->u.pool, s->in[0], s->out[0]); break;
    case VRT__OP_GlobalAveragePool:
    case VRT__OP_GlobalMaxPool: {
        const vrt__shape *x = SI(s, 0);
        int64_t sp = 1;
        for (int i = 2; i < x->ndim; i++)
            sp *= x->d[i];
        st = (n->op == VRT__OP_GlobalAveragePool ? vrt__global_avgpool : vrt__global_maxpool)(
            tp, x->d[0], x->d[1], sp, s->in[0], s->out[0]);
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
            st = vrt__batchnorm(tp, x->d[0], x->d[1], sp, s->in[0], s->in[1], s->in[2], s->in[3], s->in[4],
                                eps, s->out[0]);
        else
            st = vrt__instancenorm(tp, x->d[0], x->d[1], sp, s->in[0], s->in[1], s->in[2], eps, s->out[0]);
        break;
    }
    case VRT__OP_LayerNormalization:
        st = vrt__layernorm(tp, s->iv[0], s->iv[1], s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL,
                            vrt__node_get_float(n, "epsilon", 1e-5f), s->out[0],
                            s->nout > 1 ? s->out[1] : NULL, s->nout > 2 ? s->out[2] : NULL);
        break;
    case VRT__OP_LRN: lrn(s, s->in[0], s->out[0]); break;
    case VRT__OP_Gemm:
        st = vrt__gemm(tp, &s->u.gemm, s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL, s->out[0]);
        break;
    case VRT__OP_MatMul:
        st = vrt__matmul(tp, SI(s, 0), s->in[0], SI(s, 1), s->in[1], s->out[0]);
        if (!st && s->act.kind != VRT__ACT_NONE) vrt__act_apply(&s->act, s->out[0], on);
        break;
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
            st = vrt__cpu_unary_f32(tp, &s->u.un, s->in[0], s->out[0], on);
        } else {
            for (int64_t i = 0; i < on; i++) {
                int64_t v = geti(s->dt, s->in[0], i);
                switch ((vrt__op)n->op) {
                case VRT__OP_Relu: v = v < 0 ? 0 : v; break;
                case VRT__OP_Neg: v = (int64_t)(0 - (uint64_t)v); break;
                case VRT__OP_Abs: v = v < 0 ? (int64_t)(0 - (uint64_t)v) : v; break;
                default: /* Clip: bounds as floats; compare in double */
                    if ((double)v < (double)s->u.un.min) v = (int64_t)s->u.un.min;
                    if ((double)v > (double)s->u.un.max) v = (int64_t)s->u.un.max;
                    break;
                }
                seti(s->dt, s->out[0], i, v);
            }
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
            memcpy(s->out[0], s->in[0], (size_t)on * s->elem);
            break;
        }
        const void *b = s->in[1];
        if (s->sub & 0x200) {
            int64_t na = vrt__shape_numel(SI(s, 0)), nb = vrt__shape_numel(SI(s, 1));
            int64_t *a64 = (int64_t *)c->scratch, *b64 = a64 + na, *y64 = b64 + nb;
            for (int64_t i = 0; i < na; i++)
                a64[i] = geti(s->dt, s->in[0], i);
            for (int64_t i = 0; i < nb; i++)
                b64[i] = geti(s->dt, s->in[1], i);
            st = vrt__cpu_binary(tp, op, VRT__DT_INT64, a64, SI(s, 0), b64, SI(s, 1), y64, SO(s, 0));
            for (int64_t i = 0; !st && i < on; i++)
                seti(s->dt, s->out[0], i, y64[i]);
            break;
        }
        if (s->sub & 0x400) {
            int64_t na = vrt__shape_numel(SI(s, 0));
            float *af = (float *)c->scratch, *yf = af + na;
            if ((st = vrt__cpu_cast(s->dt, s->in[0], VRT__DT_FLOAT, af, na))) break;
            st = vrt__cpu_binary(tp, op, VRT__DT_FLOAT, af, SI(s, 0), s->in[1], SI(s, 1), yf, SO(s, 0));
            if (!st) st = vrt__cpu_cast(VRT__DT_FLOAT, yf, s->dt, s->out[0], on);
            break;
        }
        if (s->sub & 0x100) {
            int64_t nb = vrt__shape_numel(SI(s, 1));
            if ((st = vrt__cpu_cast(vrt__plan_dtype(s->ti[1]->dtype), b, VRT__DT_FLOAT, c->scratch, nb)))
                break;
            b = c->scratch;
        }
        st = vrt__cpu_binary(tp, op, s->dt, s->in[0], SI(s, 0), b, SI(s, 1), s->out[0], SO(s, 0));
        for (int k = 2; !st && k < s->nin; k++)
            st = vrt__cpu_binary(tp, op, s->dt, s->out[0], SO(s, 0), s->in[k], SI(s, k), s->out[0], SO(s, 0));
        if (!st && s->act.kind != VRT__ACT_NONE) vrt__act_apply(&s->act, s->out[0], on);
        break;
    }
    case VRT__OP_Equal:
    case VRT__OP_Greater:
    case VRT__OP_Less:
        st = vrt__cpu_compare((vrt__compare_op)s->sub, s->dt, s->in[0], SI(s, 0), s->in[1], SI(s, 1),
                              s->out[0], SO(s, 0));
        break;
    case VRT__OP_Not: st = vrt__cpu_not(s->in[0], s->out[0], on); break;
    case VRT__OP_Where:
        st = vrt__cpu_where(s->in[0], SI(s, 0), s->in[1], SI(s, 1), s->in[2], SI(s, 2), s->elem, s->out[0],
                            SO(s, 0));
        break;
    case VRT__OP_Identity:
    case VRT__OP_Dropout:
    case VRT__OP_Reshape:
    case VRT__OP_Flatten:
    case VRT__OP_Squeeze:
    case VRT__OP_Unsqueeze:
        if (s->out[0] != s->in[0]) memcpy(s->out[0], s->in[0], (size_t)on * s->elem);
        if (n->op == VRT__OP_Dropout && s->nout > 1 && s->out[1])
            memset(s->out[1], 1, (size_t)vrt__shape_numel(SO(s, 1)));
        break;
    case VRT__OP_Concat: {
        vrt__shape shapes[MAXIO];
        const void *xs[MAXIO];
        for (int k = 0; k < s->nin; k++)
            shapes[k] = *SI(s, k), xs[k] = s->in[k];
        st = vrt__cpu_concat(vrt__node_get_int(n, "axis", 0), s->nin, xs, shapes, s->elem, s->out[0]);
        break;
    }
    case VRT__OP_Split: {
        int cnt;
        const int64_t *sizes = vrt__node_get_ints(n, "split", &cnt);
        st = vrt__cpu_split(vrt__node_get_int(n, "axis", 0), s->in[0], SI(s, 0), s->elem, s->nout, sizes,
                            (void *const *)s->out);
        break;
    }
    case VRT__OP_Slice: st = vrt__cpu_slice(&s->u.sl, s->in[0], SI(s, 0), s->elem, s->out[0]); break;
    case VRT__OP_Transpose:
        st = vrt__cpu_transpose(tp, s->iv, s->niv, s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_Tile: st = vrt__cpu_tile(s->in[0], SI(s, 0), s->elem, s->iv, s->out[0]); break;
    case VRT__OP_Expand: st = vrt__cpu_expand(s->in[0], SI(s, 0), s->elem, s->out[0], SO(s, 0)); break;
    case VRT__OP_Gather:
        st = vrt__cpu_gather(s->iv[0], s->in[0], SI(s, 0), s->elem, s->in[1], s->ti[1]->dtype, SI(s, 1),
                             s->out[0]);
        break;
    case VRT__OP_Pad: st = vrt__cpu_pad(&s->u.pad, s->in[0], SI(s, 0), s->elem, s->out[0]); break;
    case VRT__OP_DepthToSpace:
        st = vrt__cpu_depth_to_space(s->iv[0], s->sub, s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_SpaceToDepth:
        st = vrt__cpu_space_to_depth(s->iv[0], s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_Cast: {
        vrt__dtype to = (vrt__dtype)s->sub, from = vrt__plan_dtype(s->ti[0]->dtype);
        if (vrt__dtype_is_subbyte(to)) {
            /* 4-/2-bit ints: floats clip and round, integers wrap. */
            int8_t *y = s->out[0];
            for (int64_t i = 0; i < on; i++) {
                if (from == VRT__DT_FLOAT)
                    y[i] = vrt__subbyte_from_float(to, ((const float *)s->in[0])[i]);
                else if (from == VRT__DT_BOOL)
                    y[i] = (int8_t)(((const uint8_t *)s->in[0])[i] != 0);
                else
                    y[i] = vrt__subbyte_wrap(to, geti(from, s->in[0], i));
            }
            break;
        }
        st = vrt__cpu_cast(from, s->in[0], vrt__plan_dtype(to), s->out[0], on);
        /* Casting to fp16 rounds: held as fp32, but with fp16's precision. */
        if (!st && to == VRT__DT_FLOAT16 && s->ti[0]->dtype != VRT__DT_FLOAT16) {
            float *y = s->out[0];
            for (int64_t i = 0; i < on; i++)
                y[i] = vrt__half_to_float(vrt__float_to_half(y[i]));
        }
        /* Likewise bfloat16/float8/float4 (saturate and round_mode as in ONNX Cast). */
        if (!st && vrt__dtype_is_lowp_float(to) && s->ti[0]->dtype != to) {
            float *y = s->out[0];
            int sat = (int)vrt__node_get_int(n, "saturate", 1);
            const char *rm = vrt__node_get_string(n, "round_mode", "up");
            int mode = !strcmp(rm, "down") ? 1 : !strcmp(rm, "nearest") ? 2 : 0;
            for (int64_t i = 0; i < on; i++)
                y[i] = vrt__lowp_round(to, y[i], sat, mode);
        }
        break;
    }
    case VRT__OP_ConstantOfShape: st = vrt__cpu_constant_of_shape(s->value, s->elem, s->out[0], on); break;
    case VRT__OP_Resize:
        st = vrt__cpu_resize_f32(tp, &s->u.resize, s->in[0], SI(s, 0), s->out[0], SO(s, 0), c->scratch);
        break;
    case VRT__OP_Softmax:
    case VRT__OP_LogSoftmax: st = vrt__cpu_softmax_f32(tp, &s->u.sm, s->in[0], SI(s, 0), s->out[0]); break;
    case VRT__OP_ReduceMean:
    case VRT__OP_ReduceMax:
    case VRT__OP_ReduceSum:
        if (s->sub)
            memcpy(s->out[0], s->in[0], (size_t)on * s->elem);
        else
            st = vrt__cpu_reduce_f32(tp, &s->u.red, s->in[0], SI(s, 0), s->out[0]);
        break;
    case VRT__OP_ArgMax: st = vrt__cpu_argmax_f32(&s->u.am, s->in[0], SI(s, 0), s->out[0]); break;
    case VRT__OP_TopK:
        if (s->sub == 1)
            st = vrt__cpu_topk_int(&s->u.tk, s->dt, s->in[0], SI(s, 0), s->out[0], s->out[1], c->scratch);
        else
            st = vrt__cpu_topk_f32(&s->u.tk, s->in[0], SI(s, 0), s->out[0], s->out[1], c->scratch);
        break;
    default: return nfail(c, n, VRT_EUNSUPPORTED, "no kernel");
    }
    if (st) return nfail(c, n, st, "kernel failed (%s)", vrt_status_name(st));
    return VRT_OK;
}

/* ---- interface ---- */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* VRT_PROFILE_OPS=1: per-node time (mean over runs) on stderr at destroy,
 * slowest first is left to the reader (sort -k3 -n). */
static void prof_report(const cpu_ctx *c) {
    if (!c->prof_ns || !c->prof_runs) return;
    double total = 0;
    for (int i = 0; i < c->n_steps; i++)
        total += c->prof_ns[i];
    fprintf(stderr, "vrt cpu profile: %lld runs, %.3f ms per run\n", (long long)c->prof_runs,
            total / 1e6 / (double)c->prof_runs);
    for (int i = 0; i < c->n_steps; i++) {
        if (c->plan->node_const[i]) continue;
        const step *s = &c->steps[i];
        char shp[96] = "";
        if (s->nout && s->to[0]) {
            int w = 0;
            for (int d = 0; d < s->to[0]->shape.ndim && w >= 0 && w < (int)sizeof(shp) - 24; d++)
                w += snprintf(shp + w, sizeof(shp) - (size_t)w, "%s%lld", d ? "x" : "",
                              (long long)s->to[0]->shape.d[d]);
        }
        fprintf(stderr, "  %4d %-18s %8.3f ms %5.1f%%  %s %s\n", i, s->n->op_type,
                c->prof_ns[i] / 1e6 / (double)c->prof_runs, total > 0 ? 100.0 * c->prof_ns[i] / total : 0.0,
                shp, s->n->name);
    }
}

static void cpu_destroy(void *vctx) {
    cpu_ctx *c = vctx;
    if (!c) return;
    prof_report(c);
    vrt_free(c->prof_ns);
    vrt__threadpool_destroy(&c->tp);
    if (c->wcopies)
        for (int i = 0; i < c->ir->n_tensors; i++)
            vrt_free(c->wcopies[i]);
    vrt_free(c->wcopies);
    vrt_free(c->ptr);
    vrt_free(c->steps);
    vrt_free(c->arena);
    vrt_free(c->consts);
    vrt_free(c->scratch);
    vrt_free(c);
}

/* base != NULL (prepare_shared): weight pointers (and fp32 copies) are the base context's. */
static vrt_status prepare_ctx(const cpu_ctx *base, const vrt__ir *ir, const vrt__plan *plan,
                              const vrt__backend_params *bp, void **out, char *err, size_t cap) {
    *out = NULL;
    cpu_ctx *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    c->ir = ir;
    c->plan = plan;
    vrt_status st = VRT_OK;
    c->ptr = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(*c->ptr));
    c->wcopies = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(*c->wcopies));
    c->steps = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(*c->steps));
    c->arena = vrt_malloc(plan->arena_bytes + VRT__PLAN_ALIGN);
    c->consts = vrt_malloc(plan->const_bytes + VRT__PLAN_ALIGN);
    if (!c->ptr || !c->wcopies || !c->steps || !c->arena || !c->consts) {
        st = VRT_ENOMEM;
        goto fail;
    }
    /* Tensor pointers: weights first (fp16 converted), then arena and const, then views. */
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor *t = &ir->tensors[i];
        const vrt__tensor_plan *tp = &plan->t[i];
        if (tp->storage == VRT__ST_WEIGHT) {
            if (base) {
                c->ptr[i] = base->ptr[i];
            } else if (t->dtype == VRT__DT_FLOAT16) {
                int64_t cnt = vrt__shape_numel(&t->shape);
                float *f = vrt_malloc((size_t)(cnt ? cnt : 1) * 4);
                if (!f) {
                    st = VRT_ENOMEM;
                    goto fail;
                }
                for (int64_t q = 0; q < cnt; q++)
                    f[q] = vrt__half_to_float(((const uint16_t *)t->data)[q]);
                c->wcopies[i] = f;
                c->ptr[i] = (uint8_t *)f;
            } else if (vrt__plan_dtype(t->dtype) != t->dtype) { /* double, bfloat16, float8, 4-/2-bit ints */
                int64_t cnt = vrt__shape_numel(&t->shape);
                uint8_t *f = vrt_malloc((size_t)(cnt ? cnt : 1) * vrt__plan_elem_size(t->dtype));
                if (!f) {
                    st = VRT_ENOMEM;
                    goto fail;
                }
                vrt__lowp_host_to_engine(t->dtype, t->data, f, cnt);
                c->wcopies[i] = (float *)(void *)f;
                c->ptr[i] = f;
            } else {
                c->ptr[i] = t->data;
            }
        } else if (tp->storage == VRT__ST_ARENA) {
            c->ptr[i] = c->arena + tp->offset;
        } else if (tp->storage == VRT__ST_CONST) {
            c->ptr[i] = c->consts + tp->offset;
        }
    }
    for (int i = 0; i < ir->n_tensors; i++)
        if (plan->t[i].storage == VRT__ST_VIEW) c->ptr[i] = c->ptr[plan->t[i].base];
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
        if (!s->nin || !s->ti[0]) {
            if (n->op != VRT__OP_ConstantOfShape) {
                st = nfail(c, n, VRT_EUNSUPPORTED, "first input missing");
                goto fail;
            }
        }
        s->dt = s->nin && s->ti[0] ? vrt__plan_dtype(s->ti[0]->dtype) : VRT__DT_FLOAT;
        s->elem = s->nout && s->to[0] ? vrt__plan_elem_size(s->to[0]->dtype) : 4;
        if ((st = prep_step(c, s))) goto fail;
    }
    if (c->scratch_bytes && !(c->scratch = vrt_malloc(c->scratch_bytes + 64))) {
        st = VRT_ENOMEM;
        goto fail;
    }
    if ((st = vrt__threadpool_create(&c->tp, bp ? bp->threads : 0))) goto fail;
    {
        const char *pe = getenv("VRT_PROFILE_OPS");
        if (pe && pe[0] && strcmp(pe, "0") != 0 &&
            !(c->prof_ns = vrt_calloc((size_t)c->n_steps + 1, sizeof(double)))) {
            st = VRT_ENOMEM;
            goto fail;
        }
    }
    /* Const nodes run once, now. */
    for (int i = 0; i < c->n_steps; i++)
        if (plan->node_const[i] && (st = exec_step(c, &c->steps[i]))) goto fail;
    *out = c;
    return VRT_OK;
fail:
    if (st == VRT_ENOMEM && !c->err[0])
        snprintf(c->err, sizeof(c->err), "out of memory preparing the CPU backend (arena %zu bytes)",
                 plan->arena_bytes);
    vrt_errbuf_set(err, cap, "%s", c->err);
    cpu_destroy(c);
    return st;
}

static vrt_status cpu_prepare(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_params *bp,
                              void **out, char *err, size_t cap) {
    return prepare_ctx(NULL, ir, plan, bp, out, err, cap);
}

static vrt_status cpu_prepare_shared(const void *base, const vrt__ir *ir, const vrt__plan *plan,
                                     const vrt__backend_params *bp, void **out, char *err, size_t cap) {
    return prepare_ctx(base, ir, plan, bp, out, err, cap);
}

static vrt_status cpu_set_input(void *vctx, int i, const void *data, vrt__dtype dt, size_t nbytes,
                                void *stream) {
    cpu_ctx *c = vctx;
    (void)stream;
    if (i < 0 || i >= c->ir->n_inputs) return VRT_EINVAL;
    int t = c->ir->inputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    int64_t cnt = vrt__shape_numel(&x->shape);
    if (!(dt == x->dtype || (is_f(dt) && is_f(x->dtype))) || nbytes != (size_t)cnt * vrt__dtype_size(dt) ||
        (!data && cnt)) {
        snprintf(c->err, sizeof(c->err),
                 "input %d ('%s'): expected %lld elements of %s (%zu bytes); got %zu bytes of %s", i, x->name,
                 (long long)cnt, vrt__dtype_name(x->dtype), (size_t)cnt * vrt__dtype_size(x->dtype), nbytes,
                 vrt__dtype_name(dt));
        return VRT_EINVAL;
    }
    if (!c->ptr[t]) return VRT_OK; /* unused input */
    if (dt == VRT__DT_FLOAT16) {
        float *y = (float *)c->ptr[t];
        for (int64_t q = 0; q < cnt; q++)
            y[q] = vrt__half_to_float(((const uint16_t *)data)[q]);
    } else if (vrt__plan_dtype(dt) != dt) {
        vrt__lowp_host_to_engine(dt, data, c->ptr[t], cnt);
    } else if (cnt) {
        memcpy(c->ptr[t], data, nbytes);
    }
    return VRT_OK;
}

static vrt_status cpu_run(void *vctx, void *stream) {
    cpu_ctx *c = vctx;
    (void)stream;
    if (c->prof_ns) {
        for (int i = 0; i < c->n_steps; i++) {
            if (c->plan->node_const[i]) continue;
            double t0 = now_ns();
            vrt_status st = exec_step(c, &c->steps[i]);
            c->prof_ns[i] += now_ns() - t0;
            if (st) return st;
        }
        c->prof_runs++;
        return VRT_OK;
    }
    for (int i = 0; i < c->n_steps; i++) {
        if (c->plan->node_const[i]) continue;
        vrt_status st = exec_step(c, &c->steps[i]);
        if (st) return st;
    }
    return VRT_OK;
}

static vrt_status cpu_get_output(void *vctx, int i, void *data, vrt__dtype dt, size_t nbytes, void *stream) {
    cpu_ctx *c = vctx;
    (void)stream;
    if (i < 0 || i >= c->ir->n_outputs) return VRT_EINVAL;
    int t = c->ir->outputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    int64_t cnt = vrt__shape_numel(&x->shape);
    if (!(dt == x->dtype || (is_f(dt) && is_f(x->dtype))) || nbytes != (size_t)cnt * vrt__dtype_size(dt) ||
        (!data && cnt)) {
        snprintf(c->err, sizeof(c->err),
                 "output %d ('%s'): expected %lld elements of %s (%zu bytes); got %zu bytes of %s", i,
                 x->name, (long long)cnt, vrt__dtype_name(x->dtype), (size_t)cnt * vrt__dtype_size(x->dtype),
                 nbytes, vrt__dtype_name(dt));
        return VRT_EINVAL;
    }
    const uint8_t *src = c->ptr[t];
    if (!src) {
        snprintf(c->err, sizeof(c->err), "output %d ('%s') has no storage", i, x->name);
        return VRT_EINVAL;
    }
    if (dt == VRT__DT_FLOAT16) {
        uint16_t *y = data;
        for (int64_t q = 0; q < cnt; q++)
            y[q] = vrt__float_to_half(((const float *)src)[q]);
    } else if (vrt__plan_dtype(dt) != dt) {
        vrt__lowp_engine_to_host(dt, src, data, cnt);
    } else if (cnt) {
        memcpy(data, src, nbytes);
    }
    return VRT_OK;
}

static vrt_status cpu_sync(void *vctx, void *stream) {
    (void)vctx;
    (void)stream;
    return VRT_OK;
}

static const char *cpu_last_error(void *vctx) {
    return vctx ? ((cpu_ctx *)vctx)->err : "";
}

/* No device members (stream, input_ptr, output_ptr, enqueue): NULL. */
const vrt__backend_iface vrt__backend_cpu = {
    "cpu",       cpu_prepare,        cpu_set_input, cpu_run, cpu_get_output, cpu_sync, cpu_last_error,
    cpu_destroy, cpu_prepare_shared, NULL,          NULL,    NULL,           NULL,
};
