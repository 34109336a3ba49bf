/*
 * The step builder shared by the backends (step.h): binding, one parameter
 * resolver per op family, the type checks every backend shares.
 */
#include "engine/step.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/op_params.h"
#include "model/plan.h"

vrt_status vrt__step_fail(const vrt__node *n, vrt_status st, char *err, size_t cap, const char *fmt, ...) {
    if (!err || !cap) return st;
    int w = snprintf(err, cap, "node '%s' (%s, opset %d): ", n->name, n->op_type, n->opset);
    if (w > 0 && (size_t)w < cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + w, cap - (size_t)w, fmt, ap);
        va_end(ap);
    }
    return st;
}

static vrt_status msg(char *m, size_t cap, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static vrt_status msg(char *m, size_t cap, vrt_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, cap, fmt, ap);
    va_end(ap);
    return st;
}

static int is_f(vrt__dtype d) {
    return d == VRT__DT_FLOAT || d == VRT__DT_FLOAT16;
}

static int is_int(vrt__dtype d) {
    return d == VRT__DT_INT64 || d == VRT__DT_INT32 || d == VRT__DT_INT16 || d == VRT__DT_INT8 ||
           d == VRT__DT_UINT64 || d == VRT__DT_UINT32 || d == VRT__DT_UINT16 || d == VRT__DT_UINT8;
}

#define SI(s, k) vrt__step_in_shape(s, k)
#define SO(s, k) vrt__step_out_shape(s, k)

/* The float-only kernels' rule: fp32 and fp16 (held as fp32) everywhere;
 * double, bfloat16 and float8 (also held as fp32) where the backend says so. */
static vrt_status need_float(const vrt__step_backend *be, const vrt__step *s, char *m, size_t cap) {
    vrt__dtype d = s->ti[0]->dtype;
    if (be->wide_floats ? vrt__plan_dtype(d) == VRT__DT_FLOAT : is_f(d)) return VRT_OK;
    return msg(m, cap, VRT_EUNSUPPORTED,
               "data type %s is not supported by the %s backend; supported: float32, float16",
               vrt__dtype_name(d), be->name);
}

/* [n, c, spatial] view of input 0. */
static void ncs(const vrt__step *s, int64_t *n, int64_t *c, int64_t *sp) {
    const vrt__shape *x = SI(s, 0);
    *n = x->ndim > 0 ? x->d[0] : 1;
    *c = x->ndim > 1 ? x->d[1] : 1;
    *sp = 1;
    for (int i = 2; i < x->ndim; i++)
        *sp *= x->d[i];
}

typedef vrt_status (*resolve_fn)(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap);

static vrt_status r_none(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be, (void)s, (void)m, (void)cap;
    return VRT_OK;
}

static vrt_status r_conv(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st) return st;
    return vrt__op_conv_params(s->n, SI(s, 0), SI(s, 1), SO(s, 0), s->act, &s->u.conv, m, cap);
}

static vrt_status r_pool(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st;
    int max = s->n->op == VRT__OP_MaxPool;
    s->u.pool.int8 = max && (s->dt == VRT__DT_UINT8 || s->dt == VRT__DT_INT8);
    if (!s->u.pool.int8 && (st = need_float(be, s, m, cap))) return st;
    s->u.pool.colmajor_indices = max && vrt__node_get_int(s->n, "storage_order", 0) != 0;
    return vrt__op_pool_params(s->n, SI(s, 0), SO(s, 0), &s->u.pool.p, m, cap);
}

static vrt_status r_gpool(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    ncs(s, &s->u.gpool.n, &s->u.gpool.c, &s->u.gpool.spatial);
    return need_float(be, s, m, cap);
}

static vrt_status r_norm(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    ncs(s, &s->u.norm.n, &s->u.norm.c, &s->u.norm.spatial);
    s->u.norm.epsilon = vrt__node_get_float(s->n, "epsilon", 1e-5f);
    return need_float(be, s, m, cap);
}

static vrt_status r_layernorm(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st) return st;
    s->u.ln.epsilon = vrt__node_get_float(s->n, "epsilon", 1e-5f);
    s->u.ln.add = s->n->op == VRT__OP_VrtAddLayerNorm;
    if (s->u.ln.add && (s->nin < 3 || !s->ti[1] || !vrt__op_same_shape(SI(s, 0), SI(s, 1))))
        return msg(m, cap, VRT_EINVAL, "the two summands must have the same shape");
    if ((st = vrt__layernorm_split(SI(s, 0), vrt__node_get_int(s->n, "axis", -1), &s->u.ln.outer,
                                   &s->u.ln.inner)))
        return msg(m, cap, st, "axis out of range");
    for (int k = 1; k < s->nout; k++)
        if (s->to[k] && !is_f(s->to[k]->dtype))
            return msg(m, cap, VRT_EUNSUPPORTED, "stash_type must be float");
    return VRT_OK;
}

static vrt_status r_lrn(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st) return st;
    if (SI(s, 0)->ndim < 2) return msg(m, cap, VRT_EINVAL, "input needs a channel dimension");
    const vrt__node *n = s->n;
    ncs(s, &s->u.lrn.n, &s->u.lrn.c, &s->u.lrn.spatial);
    s->u.lrn.size = vrt__node_get_int(n, "size", 1);
    s->u.lrn.alpha = vrt__node_get_float(n, "alpha", 1e-4f);
    s->u.lrn.beta = vrt__node_get_float(n, "beta", 0.75f);
    s->u.lrn.bias = vrt__node_get_float(n, "bias", 1.0f);
    return VRT_OK;
}

static vrt_status r_gemm(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st) return st;
    vrt__op_gemm_params(s->n, SI(s, 0), s->nin > 2 && s->ti[2] ? SI(s, 2) : NULL, SO(s, 0), s->act,
                        &s->u.gemm);
    return VRT_OK;
}

static vrt_status r_matmul(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st || s->nin < 3 || !s->ti[2]) return st;
    /* "_bias" (model/plan.h): N elements, N the output's last dim. */
    const vrt__shape *y = SO(s, 0);
    if (y->ndim < 1 || vrt__shape_numel(SI(s, 2)) != y->d[y->ndim - 1])
        return msg(m, cap, VRT_EINVAL, "the fused bias must have the output's last dim of elements");
    return VRT_OK;
}

static vrt_status r_attention(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st) return st;
    if (s->nin < 3 || !s->ti[1] || !s->ti[2]) return msg(m, cap, VRT_EINVAL, "Q, K and V are required");
    return vrt__op_attention_params(s->n, SI(s, 0), SI(s, 1), SI(s, 2),
                                    s->nin > 3 && s->ti[3] ? SI(s, 3) : NULL, SO(s, 0), &s->u.attn, m, cap);
}

static vrt_status r_unary(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt__op_unary_params(s->n, &s->u.un.p);
    vrt__dtype d = s->ti[0]->dtype;
    if (is_f(d)) return VRT_OK;
    int op = s->n->op;
    s->u.un.int_kernel =
        (op == VRT__OP_Relu || op == VRT__OP_Neg || op == VRT__OP_Abs || op == VRT__OP_Clip) &&
        (d == VRT__DT_INT64 || d == VRT__DT_INT32 || d == VRT__DT_INT8 || d == VRT__DT_UINT8);
    return s->u.un.int_kernel ? VRT_OK : need_float(be, s, m, cap);
}

static vrt_status r_binary(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    const vrt__node *n = s->n;
    vrt__op_binary_of(n->op, &s->u.bin.op);
    s->u.bin.copy = s->nin == 1;
    vrt__dtype d = s->dt;
    vrt__dtype d1 = s->nin > 1 && s->ti[1] ? vrt__plan_dtype(s->ti[1]->dtype) : d;
    int pow2 = n->op == VRT__OP_Pow && s->nin == 2 && s->ti[1];
    s->u.bin.int_narrow = (d == VRT__DT_INT8 || d == VRT__DT_UINT8 || d == VRT__DT_INT16 ||
                           d == VRT__DT_UINT16 || d == VRT__DT_UINT32) &&
                          s->nin == 2 && n->op != VRT__OP_PRelu && s->ti[1] &&
                          s->ti[1]->dtype == s->ti[0]->dtype;
    s->u.bin.int_base_float_exp = pow2 && is_int(d) && d1 == VRT__DT_FLOAT;
    s->u.bin.exp_to_f32 =
        pow2 && d == VRT__DT_FLOAT && d1 != d && d1 != VRT__DT_BOOL && vrt__dtype_size(d1) > 0;
    if (n->op == VRT__OP_Mod) {
        /* The kernels: fmod for floats (ONNX requires fmod=1 there), the divisor's sign for ints
         * (fmod=0). */
        int fm = vrt__node_get_int(n, "fmod", 0) != 0;
        if (fm != (d == VRT__DT_FLOAT))
            return msg(m, cap, VRT_EUNSUPPORTED,
                       "fmod=%d on %s is not supported; supported: fmod=1 on floats, "
                       "fmod=0 on integers",
                       fm, vrt__dtype_name(s->ti[0]->dtype));
    }
    for (int k = 1; k < s->nin; k++) {
        if (!s->ti[k] || vrt__plan_dtype(s->ti[k]->dtype) == d) continue;
        if (k == 1 && (s->u.bin.exp_to_f32 || s->u.bin.int_base_float_exp)) continue;
        return msg(m, cap, VRT_EUNSUPPORTED, "mixed input types %s and %s are not supported",
                   vrt__dtype_name(s->ti[0]->dtype), vrt__dtype_name(s->ti[k]->dtype));
    }
    return VRT_OK;
}

static vrt_status r_compare(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    const vrt__node *n = s->n;
    s->u.cmp = n->op == VRT__OP_Equal            ? VRT__CMP_EQUAL
               : n->op == VRT__OP_Greater        ? VRT__CMP_GREATER
               : n->op == VRT__OP_GreaterOrEqual ? VRT__CMP_GREATER_OR_EQUAL
               : n->op == VRT__OP_LessOrEqual    ? VRT__CMP_LESS_OR_EQUAL
                                                 : VRT__CMP_LESS;
    vrt__dtype d = s->dt;
    if (d != VRT__DT_FLOAT && d != VRT__DT_INT64 && d != VRT__DT_INT32 &&
        !(d == VRT__DT_BOOL && n->op == VRT__OP_Equal))
        return msg(
            m, cap, VRT_EUNSUPPORTED,
            "data type %s is not supported by the %s backend; supported: float32, float16, int32, int64",
            vrt__dtype_name(s->ti[0]->dtype), be->name);
    if (s->nin < 2 || !s->ti[1] || vrt__plan_dtype(s->ti[1]->dtype) != d)
        return msg(m, cap, VRT_EUNSUPPORTED, "mixed input types are not supported");
    return VRT_OK;
}

static vrt_status r_logic(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    s->u.logic = s->n->op == VRT__OP_And ? 0 : s->n->op == VRT__OP_Or ? 1 : 2;
    if (s->nin < 2 || !s->ti[1] || s->ti[0]->dtype != VRT__DT_BOOL || s->ti[1]->dtype != VRT__DT_BOOL)
        return msg(m, cap, VRT_EUNSUPPORTED, "inputs must both be bool");
    return VRT_OK;
}

static vrt_status r_isnan(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    s->u.isnan.inf = s->n->op == VRT__OP_IsInf;
    s->u.isnan.pos = vrt__node_get_int(s->n, "detect_positive", 1) != 0;
    s->u.isnan.neg = vrt__node_get_int(s->n, "detect_negative", 1) != 0;
    if (s->dt != VRT__DT_FLOAT)
        return msg(m, cap, VRT_EUNSUPPORTED, "data type %s is not supported; supported: float32, float16",
                   vrt__dtype_name(s->ti[0]->dtype));
    return VRT_OK;
}

static vrt_status r_axis(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be, (void)m, (void)cap;
    s->u.axis.axis = vrt__node_get_int(s->n, "axis", 0);
    return VRT_OK;
}

static vrt_status r_split(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    int cnt = 0;
    const int64_t *sizes = vrt__node_get_ints(s->n, "split", &cnt);
    if (cnt > VRT__STEP_MAXIO) return msg(m, cap, VRT_EINVAL, "too many split sizes");
    s->u.split.axis = vrt__node_get_int(s->n, "axis", 0);
    s->u.split.n_sizes = sizes ? cnt : 0;
    if (sizes && cnt) memcpy(s->u.split.sizes, sizes, (size_t)cnt * sizeof(int64_t));
    return VRT_OK;
}

static vrt_status r_slice(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    return vrt__op_slice_params(s->n, SI(s, 0), SO(s, 0), &s->u.slice, m, cap);
}

static vrt_status r_perm(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    return vrt__op_perm_params(s->n, s->u.perm.v, &s->u.perm.n, m, cap);
}

static vrt_status r_pad(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    return vrt__op_pad_params(s->n, SI(s, 0)->ndim, s->dt, s->u.pad.value, &s->u.pad.p, m, cap);
}

static vrt_status r_depth_space(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be, (void)m, (void)cap;
    vrt__op_depth_space_params(s->n, &s->u.ds.blocksize, &s->u.ds.crd);
    s->u.ds.to_depth = s->n->op == VRT__OP_SpaceToDepth;
    return VRT_OK;
}

static vrt_status r_cast(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be, (void)m, (void)cap;
    const vrt__node *n = s->n;
    const char *rm = vrt__node_get_string(n, "round_mode", "up");
    s->u.cast.to = (vrt__dtype)vrt__node_get_int(n, "to", 1);
    s->u.cast.saturate = (int)vrt__node_get_int(n, "saturate", 1);
    s->u.cast.round_mode = !strcmp(rm, "down") ? 1 : !strcmp(rm, "nearest") ? 2 : 0;
    return VRT_OK;
}

static vrt_status r_fill(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be, (void)m, (void)cap;
    vrt__op_constant_value(s->n, s->u.fill.value);
    return VRT_OK;
}

static vrt_status r_resize(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st) return st;
    return vrt__op_resize_params(s->n, SI(s, 0), SO(s, 0), &s->u.resize, m, cap);
}

static vrt_status r_softmax(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt__op_softmax_params(s->n, &s->u.softmax);
    return need_float(be, s, m, cap);
}

static vrt_status r_reduce(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st) return st;
    vrt__op_reduce_params(s->n, &s->u.red.p);
    s->u.red.copy = s->u.red.p.naxes == 0;
    return VRT_OK;
}

static vrt_status r_argmax(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    vrt_status st = need_float(be, s, m, cap);
    if (st) return st;
    vrt__op_argmax_params(s->n, &s->u.argmax);
    return VRT_OK;
}

static vrt_status r_topk(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be, (void)m, (void)cap;
    s->u.topk.int_keys = s->dt != VRT__DT_FLOAT;
    vrt__op_topk_params(s->n, &s->u.topk.p);
    return VRT_OK;
}

static vrt_status r_cumsum(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    const vrt__shape *x = SI(s, 0);
    int64_t ax = vrt__node_get_int(s->n, "axis", 0);
    if (ax < 0 || ax >= x->ndim) return msg(m, cap, VRT_EINVAL, "axis out of range");
    s->u.cumsum.outer = s->u.cumsum.inner = 1;
    for (int i = 0; i < x->ndim; i++)
        if (i < ax)
            s->u.cumsum.outer *= x->d[i];
        else if (i > ax)
            s->u.cumsum.inner *= x->d[i];
    s->u.cumsum.len = x->d[ax];
    s->u.cumsum.exclusive = vrt__node_get_int(s->n, "exclusive", 0) != 0;
    s->u.cumsum.reverse = vrt__node_get_int(s->n, "reverse", 0) != 0;
    return VRT_OK;
}

/* Scales: float (fp16 held as fp32); 1 when input k is one. */
static int scale_ok(const vrt__step *s, int k) {
    return k < s->nin && s->ti[k] && vrt__plan_dtype(s->ti[k]->dtype) == VRT__DT_FLOAT;
}

static vrt_status r_quant(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    s->u.quant.dequant = s->n->op == VRT__OP_DequantizeLinear;
    s->u.quant.qt = s->u.quant.dequant ? s->ti[0]->dtype : s->to[0]->dtype;
    if (!scale_ok(s, 1)) return msg(m, cap, VRT_EUNSUPPORTED, "the scale must be float32 or float16");
    if (s->nin > 2 && s->ti[2] && vrt__plan_dtype(s->ti[2]->dtype) != vrt__plan_dtype(s->u.quant.qt))
        return msg(m, cap, VRT_EINVAL, "the zero point's type %s differs from the quantized type %s",
                   vrt__dtype_name(s->ti[2]->dtype), vrt__dtype_name(s->u.quant.qt));
    if (!vrt__quant_range(s->u.quant.qt, &s->u.quant.lo, &s->u.quant.hi))
        return msg(m, cap, VRT_EUNSUPPORTED, "quantized type %s is not supported",
                   vrt__dtype_name(s->u.quant.qt));
    return vrt__op_quant_params(s->n, SI(s, 0), SI(s, 1), s->nin > 2 && s->ti[2] ? SI(s, 2) : NULL,
                                &s->u.quant.p, m, cap);
}

/* A scale or zero point input k: absent, 1 element, or n elements (*per = 1). */
static vrt_status q_vec(const vrt__step *s, int k, int64_t n, int *per, const char *what, char *m,
                        size_t cap) {
    if (k >= s->nin || !s->ti[k]) return VRT_OK;
    int64_t c = vrt__shape_numel(SI(s, k));
    if (c == n && n > 1)
        *per = 1;
    else if (c != 1)
        return msg(m, cap, VRT_EINVAL, "%s has %lld elements; it takes 1 or %lld", what, (long long)c,
                   (long long)n);
    return VRT_OK;
}

static vrt_status q_out_range(vrt__step *s, int32_t *lo, int32_t *hi, char *m, size_t cap) {
    vrt__dtype t = s->to[0]->dtype;
    if (t != VRT__DT_UINT8 && t != VRT__DT_INT8 && t != VRT__DT_INT32)
        return msg(m, cap, VRT_EUNSUPPORTED, "output type %s; supported: int8, uint8", vrt__dtype_name(t));
    vrt__quant_range(t, lo, hi);
    return VRT_OK;
}

static vrt_status r_qconv(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    vrt__qconv_params *q = &s->u.qconv;
    q->qlinear = s->n->op == VRT__OP_QLinearConv;
    int wi = q->qlinear ? 3 : 1;
    vrt_status st = vrt__op_conv_params(s->n, SI(s, 0), SI(s, wi), SO(s, 0), s->act, &q->conv, m, cap);
    if (st) return st;
    q->x_signed = s->ti[0]->dtype == VRT__DT_INT8;
    q->w_signed = s->ti[wi]->dtype == VRT__DT_INT8;
    q->relu = s->act.kind == VRT__ACT_RELU;
    q->silu = s->act.kind == VRT__ACT_SILU && q->qlinear;
    if (s->act.kind != VRT__ACT_NONE && !q->relu && !q->silu)
        return msg(m, cap, VRT_EUNSUPPORTED, "fused activation %s on an integer conv",
                   vrt__act_name(s->act.kind));
    int xzp = 2, wzp = q->qlinear ? 5 : 3, per = 0;
    if ((st = q_vec(s, xzp, 1, &per, "the input's zero point", m, cap)) ||
        (st = q_vec(s, wzp, q->conv.M, &q->w_per_channel, "the weight's zero point", m, cap)))
        return st;
    if (q->qlinear) {
        if (!scale_ok(s, 1) || !scale_ok(s, 4) || !scale_ok(s, 6))
            return msg(m, cap, VRT_EUNSUPPORTED, "scales must be float32 or float16");
        if ((st = q_vec(s, 4, q->conv.M, &q->w_per_channel, "the weight's scale", m, cap))) return st;
        if (s->nin > 8 && s->ti[8] && s->ti[8]->dtype != VRT__DT_INT32)
            return msg(m, cap, VRT_EINVAL, "the bias must be int32");
    }
    return q_out_range(s, &q->lo, &q->hi, m, cap);
}

/* Elements per batch of a MatMul operand of shape sh (rank >= 2) whose batch
 * dims must be all 1 (broadcast) or the output's. */
static int qmm_bstride(const vrt__shape *sh, int64_t batch, int64_t *stride) {
    int64_t b = 1;
    for (int i = 0; i + 2 < sh->ndim; i++)
        b *= sh->d[i];
    *stride = b == 1 ? 0 : sh->d[sh->ndim - 1] * sh->d[sh->ndim - 2];
    return b == 1 || b == batch;
}

static vrt_status r_qmatmul(const vrt__step_backend *be, vrt__step *s, char *m, size_t cap) {
    (void)be;
    int ql = s->n->op == VRT__OP_QLinearMatMul, bi = ql ? 3 : 1;
    const vrt__shape *a = SI(s, 0), *b = SI(s, bi), *y = SO(s, 0);
    s->u.qmm.qlinear = ql;
    if (a->ndim < 2 || b->ndim < 2 || y->ndim < 2)
        return msg(m, cap, VRT_EUNSUPPORTED, "1-D operands are not supported by the integer MatMul");
    s->u.qmm.M = a->d[a->ndim - 2], s->u.qmm.K = a->d[a->ndim - 1], s->u.qmm.N = b->d[b->ndim - 1];
    s->u.qmm.batch = vrt__shape_numel(y) / (s->u.qmm.M * s->u.qmm.N > 0 ? s->u.qmm.M * s->u.qmm.N : 1);
    if (!qmm_bstride(a, s->u.qmm.batch, &s->u.qmm.a_bstride) ||
        !qmm_bstride(b, s->u.qmm.batch, &s->u.qmm.b_bstride))
        return msg(m, cap, VRT_EUNSUPPORTED, "batch dims must be equal or all 1");
    int azp = 2, bzp = ql ? 5 : 3, per = 0;
    vrt_status st;
    if ((st = q_vec(s, azp, s->u.qmm.M, &s->u.qmm.a_zp_rows, "a's zero point", m, cap)) ||
        (st = q_vec(s, bzp, s->u.qmm.N, &s->u.qmm.b_per_col, "b's zero point", m, cap)))
        return st;
    if (ql) {
        if (!scale_ok(s, 1) || !scale_ok(s, 4) || !scale_ok(s, 6))
            return msg(m, cap, VRT_EUNSUPPORTED, "scales must be float32 or float16");
        if ((st = q_vec(s, 1, 1, &per, "a's scale", m, cap)) ||
            (st = q_vec(s, 4, s->u.qmm.N, &s->u.qmm.b_per_col, "b's scale", m, cap)))
            return st;
    }
    return q_out_range(s, &s->u.qmm.lo, &s->u.qmm.hi, m, cap);
}

/* One resolver per family: parameters and the type checks every backend shares. */
static const resolve_fn g_resolve[VRT__FAM_COUNT] = {
    [VRT__FAM_NONE] = r_none,
    [VRT__FAM_CONV] = r_conv,
    [VRT__FAM_POOL] = r_pool,
    [VRT__FAM_GLOBAL_POOL] = r_gpool,
    [VRT__FAM_NORM] = r_norm,
    [VRT__FAM_LAYERNORM] = r_layernorm,
    [VRT__FAM_LRN] = r_lrn,
    [VRT__FAM_GEMM] = r_gemm,
    [VRT__FAM_MATMUL] = r_matmul,
    [VRT__FAM_UNARY] = r_unary,
    [VRT__FAM_BINARY] = r_binary,
    [VRT__FAM_COMPARE] = r_compare,
    [VRT__FAM_NOT] = r_none,
    [VRT__FAM_WHERE] = r_none,
    [VRT__FAM_COPY] = r_none,
    [VRT__FAM_CONCAT] = r_axis,
    [VRT__FAM_SPLIT] = r_split,
    [VRT__FAM_SLICE] = r_slice,
    [VRT__FAM_TRANSPOSE] = r_perm,
    [VRT__FAM_TILE] = r_perm,
    [VRT__FAM_EXPAND] = r_none,
    [VRT__FAM_GATHER] = r_axis,
    [VRT__FAM_PAD] = r_pad,
    [VRT__FAM_DEPTH_SPACE] = r_depth_space,
    [VRT__FAM_CAST] = r_cast,
    [VRT__FAM_FILL] = r_fill,
    [VRT__FAM_RESIZE] = r_resize,
    [VRT__FAM_SOFTMAX] = r_softmax,
    [VRT__FAM_REDUCE] = r_reduce,
    [VRT__FAM_ARGMAX] = r_argmax,
    [VRT__FAM_TOPK] = r_topk,
    [VRT__FAM_CUMSUM] = r_cumsum,
    [VRT__FAM_LOGIC] = r_logic,
    [VRT__FAM_ISNAN] = r_isnan,
    [VRT__FAM_ATTENTION] = r_attention,
    [VRT__FAM_QUANT] = r_quant,
    [VRT__FAM_QCONV] = r_qconv,
    [VRT__FAM_QMATMUL] = r_qmatmul,
};

static vrt_status bind(const vrt__ir *ir, uint8_t *const *ptr, int i, vrt__step *s, char *err, size_t cap) {
    const vrt__node *n = &ir->nodes[i];
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->index = i;
    s->fam = vrt__op_family_of((vrt__op)n->op);
    if (n->n_inputs > VRT__STEP_MAXIO || n->n_outputs > VRT__STEP_MAXIO)
        return vrt__step_fail(n, VRT_EUNSUPPORTED, err, cap, "more than %d inputs or outputs",
                              VRT__STEP_MAXIO);
    s->nin = n->n_inputs;
    s->nout = n->n_outputs;
    for (int k = 0; k < n->n_inputs; k++) {
        int t = n->inputs[k];
        s->ti[k] = t >= 0 ? &ir->tensors[t] : NULL;
        s->in[k] = t >= 0 ? ptr[t] : NULL;
    }
    for (int k = 0; k < n->n_outputs; k++) {
        int t = n->outputs[k];
        s->to[k] = t >= 0 ? &ir->tensors[t] : NULL;
        s->out[k] = t >= 0 ? ptr[t] : NULL;
    }
    if ((!s->nin || !s->ti[0]) && n->op != VRT__OP_ConstantOfShape)
        return vrt__step_fail(n, VRT_EUNSUPPORTED, err, cap, "first input missing");
    s->dt = s->nin && s->ti[0] ? vrt__plan_dtype(s->ti[0]->dtype) : VRT__DT_FLOAT;
    s->elem = s->nout && s->to[0] ? vrt__plan_elem_size(s->to[0]->dtype) : 4;
    s->on = s->nout && s->to[0] ? vrt__shape_numel(SO(s, 0)) : 0;
    s->act = vrt__op_activation(n);
    return VRT_OK;
}

vrt_status vrt__step_build(const vrt__step_backend *be, const vrt__ir *ir, uint8_t *const *ptr, int i,
                           vrt__step *s, size_t *scratch, char *err, size_t cap) {
    vrt_status st = bind(ir, ptr, i, s, err, cap);
    if (st) return st;
    const vrt__node *n = s->n;
    const vrt__step_kernel *k = &be->kernels[s->fam];
    if (s->fam == VRT__FAM_NONE || !k->exec)
        return vrt__step_fail(n, VRT_EUNSUPPORTED, err, cap, "the %s backend has no kernel for this op",
                              be->name);
    char m[256] = "";
    if ((st = g_resolve[s->fam](be, s, m, sizeof(m))) ||
        (k->supports && (st = k->supports(be->ctx, s, m, sizeof(m)))))
        return vrt__step_fail(n, st, err, cap, "%s", m[0] ? m : "parameters not supported by the kernel");
    if (k->scratch) {
        size_t b = k->scratch(be->ctx, s);
        if (b > *scratch) *scratch = b;
    }
    s->exec = k->exec;
    return VRT_OK;
}
