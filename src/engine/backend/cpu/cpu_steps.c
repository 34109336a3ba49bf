/*
 * The CPU backend's kernel table: one entry per op family (engine/step.h)
 * with its extra type rules (supports), its scratch need and its exec. The
 * parameters come resolved in s->u; nothing here reads an attribute.
 */
#include <math.h>
#include <string.h>

#include "engine/backend/cpu/cpu_impl.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cpu/kernels_tensor.h"
#include "model/lowp.h"
#include "model/plan.h"

_Static_assert(VRT__STEP_MAXIO == VRT__MAX_CONCAT_INPUTS, "a step holds a Concat's inputs");

#define SI(s, k) vrt__step_in_shape(s, k)
#define SO(s, k) vrt__step_out_shape(s, k)
#define CTX(v) ((vrt__cpu_ctx *)(v))

static size_t numel(const vrt__shape *s) {
    return (size_t)vrt__shape_numel(s);
}

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

/* ---- convolution, pooling, normalisation ---- */

static size_t conv_scratch(void *c, const vrt__step *s) {
    (void)c;
    return s->n->op == VRT__OP_Conv ? vrt__conv_scratch_bytes(&s->u.conv)
                                    : vrt__conv_transpose_scratch_bytes(&s->u.conv);
}

static vrt_status conv(void *c, const vrt__step *s, void *stream) {
    if (s->n->op == VRT__OP_Conv)
        return vrt__conv_packed(CTX(c)->tp, &s->u.conv, s->in[0], s->in[1], CTX(c)->wpack[s->index],
                                s->nin > 2 ? s->in[2] : NULL, s->nin > 3 ? s->in[3] : NULL, s->out[0],
                                CTX(c)->scratch);
    return vrt__conv_transpose(CTX(c)->tp, &s->u.conv, s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL,
                               s->out[0], CTX(c)->scratch);
}

static size_t pool_scratch(void *c, const vrt__step *s) {
    (void)c;
    /* 8-bit MaxPool: via fp32 in scratch (exact: a max picks an input value). */
    return s->u.pool.int8 ? (numel(SI(s, 0)) + numel(SO(s, 0))) * 4 + 64 : 0;
}

/* storage_order=1: the flat index within each (n, c) plane counts the
 * spatial dims column-major (first spatial dim fastest). */
static void colmajor_indices(const vrt__step *s, int64_t *idx) {
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

static vrt_status pool(void *c, const vrt__step *s, void *stream) {
    vrt__threadpool *tp = CTX(c)->tp;
    if (s->n->op == VRT__OP_AveragePool) return vrt__avgpool(tp, &s->u.pool.p, s->in[0], s->out[0]);
    vrt_status st;
    int64_t *idx = s->nout > 1 ? s->out[1] : NULL;
    if (s->u.pool.int8) {
        int64_t nx = vrt__shape_numel(SI(s, 0));
        float *xf = (float *)CTX(c)->scratch, *yf = xf + nx;
        if (!(st = vrt__cpu_cast(s->dt, s->in[0], VRT__DT_FLOAT, xf, nx)) &&
            !(st = vrt__maxpool(tp, &s->u.pool.p, xf, yf, idx)))
            st = vrt__cpu_cast(VRT__DT_FLOAT, yf, s->dt, s->out[0], s->on);
    } else {
        st = vrt__maxpool(tp, &s->u.pool.p, s->in[0], s->out[0], idx);
    }
    if (!st && idx && s->u.pool.colmajor_indices) colmajor_indices(s, idx);
    return st;
}

static vrt_status gpool(void *c, const vrt__step *s, void *stream) {
    return (s->n->op == VRT__OP_GlobalAveragePool ? vrt__global_avgpool : vrt__global_maxpool)(
        CTX(c)->tp, s->u.gpool.n, s->u.gpool.c, s->u.gpool.spatial, s->in[0], s->out[0]);
}

static vrt_status norm(void *c, const vrt__step *s, void *stream) {
    if (s->n->op == VRT__OP_BatchNormalization)
        return vrt__batchnorm(CTX(c)->tp, s->u.norm.n, s->u.norm.c, s->u.norm.spatial, s->in[0], s->in[1],
                              s->in[2], s->in[3], s->in[4], s->u.norm.epsilon, s->out[0]);
    return vrt__instancenorm(CTX(c)->tp, s->u.norm.n, s->u.norm.c, s->u.norm.spatial, s->in[0], s->in[1],
                             s->in[2], s->u.norm.epsilon, s->out[0]);
}

static vrt_status layernorm(void *c, const vrt__step *s, void *stream) {
    if (s->u.ln.add)
        return vrt__add_layernorm(CTX(c)->tp, s->u.ln.outer, s->u.ln.inner, s->in[0], s->in[1], s->in[2],
                                  s->nin > 3 ? s->in[3] : NULL, s->u.ln.epsilon, s->out[0],
                                  s->nout > 1 ? s->out[1] : NULL);
    return vrt__layernorm(CTX(c)->tp, s->u.ln.outer, s->u.ln.inner, s->in[0], s->in[1],
                          s->nin > 2 ? s->in[2] : NULL, s->u.ln.epsilon, s->out[0],
                          s->nout > 1 ? s->out[1] : NULL, s->nout > 2 ? s->out[2] : NULL);
}

static vrt_status lrn(void *c, const vrt__step *s, void *stream) {
    (void)c;
    const float *x = s->in[0];
    float *y = s->out[0];
    int64_t N = s->u.lrn.n, C = s->u.lrn.c, sp = s->u.lrn.spatial, size = s->u.lrn.size;
    double alpha = s->u.lrn.alpha, beta = s->u.lrn.beta, bias = s->u.lrn.bias;
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
    return VRT_OK;
}

/* ---- matrix ops ---- */

static vrt_status gemm(void *c, const vrt__step *s, void *stream) {
    return vrt__gemm(CTX(c)->tp, &s->u.gemm, s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL, s->out[0]);
}

static vrt_status matmul(void *c, const vrt__step *s, void *stream) {
    vrt_status st = vrt__matmul(CTX(c)->tp, SI(s, 0), s->in[0], SI(s, 1), s->in[1], s->out[0]);
    if (!st && s->nin > 2 && s->in[2]) {
        const vrt__shape *y = SO(s, 0);
        int64_t n = y->d[y->ndim - 1];
        vrt__add_bias_rows(s->out[0], n ? s->on / n : 0, n, s->in[2]);
    }
    if (!st && s->act.kind != VRT__ACT_NONE) vrt__act_apply(&s->act, s->out[0], s->on);
    return st;
}

static vrt_status attention(void *c, const vrt__step *s, void *stream) {
    return vrt__attention(CTX(c)->tp, &s->u.attn, s->in[0], s->in[1], s->in[2], s->nin > 3 ? s->in[3] : NULL,
                          s->out[0]);
}

/* ---- element-wise ---- */

static vrt_status unary(void *c, const vrt__step *s, void *stream) {
    if (!s->u.un.int_kernel) return vrt__cpu_unary_f32(CTX(c)->tp, &s->u.un.p, s->in[0], s->out[0], s->on);
    for (int64_t i = 0; i < s->on; i++) {
        int64_t v = geti(s->dt, s->in[0], i);
        switch (s->u.un.p.op) {
        case VRT__UN_RELU: v = v < 0 ? 0 : v; break;
        case VRT__UN_NEG: v = (int64_t)(0 - (uint64_t)v); break;
        case VRT__UN_ABS: v = v < 0 ? (int64_t)(0 - (uint64_t)v) : v; break;
        default: /* Clip: bounds as floats; compare in double */
            if ((double)v < (double)s->u.un.p.min) v = (int64_t)s->u.un.p.min;
            if ((double)v > (double)s->u.un.p.max) v = (int64_t)s->u.un.p.max;
            break;
        }
        seti(s->dt, s->out[0], i, v);
    }
    return VRT_OK;
}

static vrt_status binary_supports(void *c, const vrt__step *s, char *m, size_t cap) {
    (void)c;
    vrt__dtype d = s->dt;
    if (s->u.bin.int_narrow) return VRT_OK;
    if (s->u.bin.int_base_float_exp && (d == VRT__DT_INT32 || d == VRT__DT_INT64)) return VRT_OK;
    if (d == VRT__DT_FLOAT || d == VRT__DT_INT64 || d == VRT__DT_INT32 ||
        (d == VRT__DT_UINT64 && s->n->op != VRT__OP_PRelu))
        return VRT_OK;
    vrt_errbuf_set(m, cap,
                   "data type %s is not supported by the CPU backend; supported: float32, float16, double, "
                   "int8/16/32/64, uint8/16/32/64",
                   vrt__dtype_name(s->ti[0]->dtype));
    return VRT_EUNSUPPORTED;
}

static size_t binary_scratch(void *c, const vrt__step *s) {
    (void)c;
    if (s->u.bin.int_narrow) return (numel(SI(s, 0)) + numel(SI(s, 1)) + numel(SO(s, 0))) * 8 + 64;
    if (s->u.bin.int_base_float_exp) return (numel(SI(s, 0)) + numel(SO(s, 0))) * 4 + 64;
    if (s->u.bin.exp_to_f32) return numel(SI(s, 1)) * 4 + 64;
    return 0;
}

/* int8..uint32 in int64 (exact for these ranges), wrapped back to the type's bits. */
static vrt_status binary_narrow(vrt__cpu_ctx *c, const vrt__step *s) {
    int64_t na = vrt__shape_numel(SI(s, 0)), nb = vrt__shape_numel(SI(s, 1));
    int64_t *a64 = (int64_t *)c->scratch, *b64 = a64 + na, *y64 = b64 + nb;
    for (int64_t i = 0; i < na; i++)
        a64[i] = geti(s->dt, s->in[0], i);
    for (int64_t i = 0; i < nb; i++)
        b64[i] = geti(s->dt, s->in[1], i);
    vrt_status st =
        vrt__cpu_binary(c->tp, s->u.bin.op, VRT__DT_INT64, a64, SI(s, 0), b64, SI(s, 1), y64, SO(s, 0));
    for (int64_t i = 0; !st && i < s->on; i++)
        seti(s->dt, s->out[0], i, y64[i]);
    return st;
}

/* Integer base, float exponent: pow in fp32, truncated back to the base's type. */
static vrt_status binary_int_base(vrt__cpu_ctx *c, const vrt__step *s) {
    int64_t na = vrt__shape_numel(SI(s, 0));
    float *af = (float *)c->scratch, *yf = af + na;
    vrt_status st = vrt__cpu_cast(s->dt, s->in[0], VRT__DT_FLOAT, af, na);
    if (!st)
        st = vrt__cpu_binary(c->tp, s->u.bin.op, VRT__DT_FLOAT, af, SI(s, 0), s->in[1], SI(s, 1), yf,
                             SO(s, 0));
    if (!st) st = vrt__cpu_cast(VRT__DT_FLOAT, yf, s->dt, s->out[0], s->on);
    return st;
}

static vrt_status binary(void *vc, const vrt__step *s, void *stream) {
    vrt__cpu_ctx *c = vc;
    vrt_status st;
    if (s->u.bin.copy) {
        memcpy(s->out[0], s->in[0], (size_t)s->on * s->elem);
        return VRT_OK;
    }
    if (s->u.bin.int_narrow) return binary_narrow(c, s);
    if (s->u.bin.int_base_float_exp) return binary_int_base(c, s);
    const void *b = s->in[1];
    if (s->u.bin.exp_to_f32) {
        if ((st = vrt__cpu_cast(vrt__plan_dtype(s->ti[1]->dtype), b, VRT__DT_FLOAT, c->scratch,
                                vrt__shape_numel(SI(s, 1)))))
            return st;
        b = c->scratch;
    }
    st = vrt__cpu_binary(c->tp, s->u.bin.op, s->dt, s->in[0], SI(s, 0), b, SI(s, 1), s->out[0], SO(s, 0));
    for (int k = 2; !st && k < s->nin; k++)
        st = vrt__cpu_binary(c->tp, s->u.bin.op, s->dt, s->out[0], SO(s, 0), s->in[k], SI(s, k), s->out[0],
                             SO(s, 0));
    if (!st && s->act.kind != VRT__ACT_NONE) vrt__act_apply(&s->act, s->out[0], s->on);
    return st;
}

static vrt_status compare(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_compare(s->u.cmp, s->dt, s->in[0], SI(s, 0), s->in[1], SI(s, 1), s->out[0], SO(s, 0));
}

static vrt_status logic(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_logical(s->u.logic, s->in[0], SI(s, 0), s->in[1], SI(s, 1), s->out[0], SO(s, 0));
}

static vrt_status isnan_op(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_isnan(s->u.isnan.inf, s->u.isnan.pos, s->u.isnan.neg, s->in[0], s->out[0], s->on);
}

static vrt_status not_op(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_not(s->in[0], s->out[0], s->on);
}

static vrt_status where(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_where(s->in[0], SI(s, 0), s->in[1], SI(s, 1), s->in[2], SI(s, 2), s->elem, s->out[0],
                          SO(s, 0));
}

/* ---- data movement ---- */

static vrt_status copy(void *c, const vrt__step *s, void *stream) {
    (void)c;
    if (s->out[0] != s->in[0]) memcpy(s->out[0], s->in[0], (size_t)s->on * s->elem);
    if (s->n->op == VRT__OP_Dropout && s->nout > 1 && s->out[1])
        memset(s->out[1], 1, (size_t)vrt__shape_numel(SO(s, 1)));
    return VRT_OK;
}

static vrt_status concat(void *c, const vrt__step *s, void *stream) {
    (void)c;
    vrt__shape shapes[VRT__STEP_MAXIO];
    const void *xs[VRT__STEP_MAXIO];
    for (int k = 0; k < s->nin; k++)
        shapes[k] = *SI(s, k), xs[k] = s->in[k];
    return vrt__cpu_concat(s->u.axis.axis, s->nin, xs, shapes, s->elem, s->out[0]);
}

static vrt_status split(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_split(s->u.split.axis, s->in[0], SI(s, 0), s->elem, s->nout, s->u.split.sizes,
                          (void *const *)s->out);
}

static vrt_status slice(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_slice(&s->u.slice, s->in[0], SI(s, 0), s->elem, s->out[0]);
}

static vrt_status transpose(void *c, const vrt__step *s, void *stream) {
    return vrt__cpu_transpose(CTX(c)->tp, s->u.perm.v, s->u.perm.n, s->in[0], SI(s, 0), s->elem, s->out[0]);
}

static vrt_status tile(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_tile(s->in[0], SI(s, 0), s->elem, s->u.perm.v, s->out[0]);
}

static vrt_status expand(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_expand(s->in[0], SI(s, 0), s->elem, s->out[0], SO(s, 0));
}

static vrt_status gather(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_gather(s->u.axis.axis, s->in[0], SI(s, 0), s->elem, s->in[1], s->ti[1]->dtype, SI(s, 1),
                           s->out[0]);
}

static vrt_status pad(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_pad(&s->u.pad.p, s->in[0], SI(s, 0), s->elem, s->out[0]);
}

static vrt_status depth_space(void *c, const vrt__step *s, void *stream) {
    (void)c;
    if (s->u.ds.to_depth)
        return vrt__cpu_space_to_depth(s->u.ds.blocksize, s->in[0], SI(s, 0), s->elem, s->out[0]);
    return vrt__cpu_depth_to_space(s->u.ds.blocksize, s->u.ds.crd, s->in[0], SI(s, 0), s->elem, s->out[0]);
}

static vrt_status cast(void *c, const vrt__step *s, void *stream) {
    (void)c;
    vrt__dtype to = s->u.cast.to, from = vrt__plan_dtype(s->ti[0]->dtype);
    int64_t on = s->on;
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
        return VRT_OK;
    }
    vrt_status st = vrt__cpu_cast(from, s->in[0], vrt__plan_dtype(to), s->out[0], on);
    /* Casting to fp16 rounds: held as fp32, but with fp16's precision. */
    if (!st && to == VRT__DT_FLOAT16 && s->ti[0]->dtype != VRT__DT_FLOAT16) {
        float *y = s->out[0];
        for (int64_t i = 0; i < on; i++)
            y[i] = vrt__half_to_float(vrt__float_to_half(y[i]));
    }
    /* Likewise bfloat16/float8/float4 (saturate and round_mode as in ONNX Cast). */
    if (!st && vrt__dtype_is_lowp_float(to) && s->ti[0]->dtype != to) {
        float *y = s->out[0];
        for (int64_t i = 0; i < on; i++)
            y[i] = vrt__lowp_round(to, y[i], s->u.cast.saturate, s->u.cast.round_mode);
    }
    return st;
}

static vrt_status fill(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_constant_of_shape(s->u.fill.value, s->elem, s->out[0], s->on);
}

/* ---- resampling, reductions, selection ---- */

static size_t resize_scratch(void *c, const vrt__step *s) {
    (void)c;
    return vrt__resize_scratch_bytes(&s->u.resize, SI(s, 0), SO(s, 0));
}

static vrt_status resize(void *c, const vrt__step *s, void *stream) {
    return vrt__cpu_resize_f32(CTX(c)->tp, &s->u.resize, s->in[0], SI(s, 0), s->out[0], SO(s, 0),
                               CTX(c)->scratch);
}

static vrt_status softmax(void *c, const vrt__step *s, void *stream) {
    return vrt__cpu_softmax_f32(CTX(c)->tp, &s->u.softmax, s->in[0], SI(s, 0), s->out[0]);
}

static vrt_status reduce(void *c, const vrt__step *s, void *stream) {
    if (!s->u.red.copy) return vrt__cpu_reduce_f32(CTX(c)->tp, &s->u.red.p, s->in[0], SI(s, 0), s->out[0]);
    memcpy(s->out[0], s->in[0], (size_t)s->on * s->elem);
    return VRT_OK;
}

static vrt_status argmax(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_argmax_f32(&s->u.argmax, s->in[0], SI(s, 0), s->out[0]);
}

static vrt_status topk_supports(void *c, const vrt__step *s, char *m, size_t cap) {
    (void)c;
    if (!s->u.topk.int_keys || vrt__cpu_topk_int_ok(s->dt)) return VRT_OK;
    vrt_errbuf_set(m, cap, "data type %s is not supported by the CPU backend; supported: float32, float16",
                   vrt__dtype_name(s->ti[0]->dtype));
    return VRT_EUNSUPPORTED;
}

static size_t topk_scratch(void *c, const vrt__step *s) {
    (void)c;
    size_t a = vrt__topk_scratch_bytes(&s->u.topk.p, SI(s, 0));
    size_t b = s->u.topk.int_keys ? (size_t)s->u.topk.p.k * 8 + 64 : 0;
    return a > b ? a : b;
}

static vrt_status topk(void *c, const vrt__step *s, void *stream) {
    if (s->u.topk.int_keys)
        return vrt__cpu_topk_int(&s->u.topk.p, s->dt, s->in[0], SI(s, 0), s->out[0], s->out[1],
                                 CTX(c)->scratch);
    return vrt__cpu_topk_f32(&s->u.topk.p, s->in[0], SI(s, 0), s->out[0], s->out[1], CTX(c)->scratch);
}

static vrt_status cumsum_supports(void *c, const vrt__step *s, char *m, size_t cap) {
    (void)c;
    if (vrt__cpu_cumsum_type_ok(s->dt)) return VRT_OK;
    vrt_errbuf_set(m, cap,
                   "data type %s is not supported by the CPU backend; supported: float32, float16, double, "
                   "int32, int64, uint32, uint64",
                   vrt__dtype_name(s->ti[0]->dtype));
    return VRT_EUNSUPPORTED;
}

static vrt_status cumsum(void *c, const vrt__step *s, void *stream) {
    (void)c;
    return vrt__cpu_cumsum(s->dt, s->in[0], s->out[0], s->u.cumsum.outer, s->u.cumsum.len, s->u.cumsum.inner,
                           s->u.cumsum.exclusive, s->u.cumsum.reverse);
}

const vrt__step_kernel vrt__cpu_kernels[VRT__FAM_COUNT] = {
    [VRT__FAM_CONV] = {NULL, conv_scratch, conv},
    [VRT__FAM_POOL] = {NULL, pool_scratch, pool},
    [VRT__FAM_GLOBAL_POOL] = {NULL, NULL, gpool},
    [VRT__FAM_NORM] = {NULL, NULL, norm},
    [VRT__FAM_LAYERNORM] = {NULL, NULL, layernorm},
    [VRT__FAM_LRN] = {NULL, NULL, lrn},
    [VRT__FAM_GEMM] = {NULL, NULL, gemm},
    [VRT__FAM_MATMUL] = {NULL, NULL, matmul},
    [VRT__FAM_UNARY] = {NULL, NULL, unary},
    [VRT__FAM_BINARY] = {binary_supports, binary_scratch, binary},
    [VRT__FAM_COMPARE] = {NULL, NULL, compare},
    [VRT__FAM_NOT] = {NULL, NULL, not_op},
    [VRT__FAM_LOGIC] = {NULL, NULL, logic},
    [VRT__FAM_ISNAN] = {NULL, NULL, isnan_op},
    [VRT__FAM_WHERE] = {NULL, NULL, where},
    [VRT__FAM_COPY] = {NULL, NULL, copy},
    [VRT__FAM_CONCAT] = {NULL, NULL, concat},
    [VRT__FAM_SPLIT] = {NULL, NULL, split},
    [VRT__FAM_SLICE] = {NULL, NULL, slice},
    [VRT__FAM_TRANSPOSE] = {NULL, NULL, transpose},
    [VRT__FAM_TILE] = {NULL, NULL, tile},
    [VRT__FAM_EXPAND] = {NULL, NULL, expand},
    [VRT__FAM_GATHER] = {NULL, NULL, gather},
    [VRT__FAM_PAD] = {NULL, NULL, pad},
    [VRT__FAM_DEPTH_SPACE] = {NULL, NULL, depth_space},
    [VRT__FAM_CAST] = {NULL, NULL, cast},
    [VRT__FAM_FILL] = {NULL, NULL, fill},
    [VRT__FAM_RESIZE] = {NULL, resize_scratch, resize},
    [VRT__FAM_SOFTMAX] = {NULL, NULL, softmax},
    [VRT__FAM_REDUCE] = {NULL, NULL, reduce},
    [VRT__FAM_ARGMAX] = {NULL, NULL, argmax},
    [VRT__FAM_TOPK] = {topk_supports, topk_scratch, topk},
    [VRT__FAM_CUMSUM] = {cumsum_supports, NULL, cumsum},
    [VRT__FAM_ATTENTION] = {NULL, NULL, attention},
    [VRT__FAM_QUANT] = {NULL, NULL, vrt__cpu_quant},
    [VRT__FAM_QCONV] = {NULL, vrt__cpu_qconv_scratch, vrt__cpu_qconv},
    [VRT__FAM_QMATMUL] = {NULL, NULL, vrt__cpu_qmatmul},
};
