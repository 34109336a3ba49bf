/*
 * IR node -> op parameters, shared by the backends (op_params.h).
 */
#include "model/op_params.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/ir.h"
#include "model/ops.h"

static vrt_status pfail(char *err, size_t cap, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static vrt_status pfail(char *err, size_t cap, vrt_status st, const char *fmt, ...) {
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* A kernel helper failed: keeps its message, or says why in general. */
static vrt_status kfail(char *err, size_t cap, vrt_status st) {
    if (err && cap && !err[0]) snprintf(err, cap, "parameters not supported by the kernel");
    return st;
}

int vrt__op_same_shape(const vrt__shape *a, const vrt__shape *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->d[i] != b->d[i]) return 0;
    return 1;
}

vrt__activation vrt__op_activation(const vrt__node *n) {
    vrt__activation a = {(vrt__act_kind)vrt__node_get_int(n, "_act", VRT__ACT_NONE),
                         vrt__node_get_float(n, "_act_alpha", 0), vrt__node_get_float(n, "_act_beta", 0)};
    return a;
}

static void spatial(const vrt__node *n, int ns, int64_t *k, int64_t *s, int64_t *d, int64_t *pb,
                    int64_t *pe) {
    int cnt;
    const int64_t *v;
    for (int i = 0; i < ns; i++)
        s[i] = 1, d[i] = 1, pb[i] = pe[i] = 0;
    if (k && (v = vrt__node_get_ints(n, "kernel_shape", &cnt)) && cnt == ns) memcpy(k, v, (size_t)ns * 8);
    if ((v = vrt__node_get_ints(n, "strides", &cnt)) && cnt == ns) memcpy(s, v, (size_t)ns * 8);
    if ((v = vrt__node_get_ints(n, "dilations", &cnt)) && cnt == ns) memcpy(d, v, (size_t)ns * 8);
    if ((v = vrt__node_get_ints(n, "pads", &cnt)) && cnt == 2 * ns)
        for (int i = 0; i < ns; i++)
            pb[i] = v[i], pe[i] = v[i + ns];
}

int vrt__op_unary_of(int op, vrt__unary_op *u) {
    switch ((vrt__op)op) {
    case VRT__OP_Relu: *u = VRT__UN_RELU; return 1;
    case VRT__OP_LeakyRelu: *u = VRT__UN_LEAKY_RELU; return 1;
    case VRT__OP_Sigmoid: *u = VRT__UN_SIGMOID; return 1;
    case VRT__OP_Tanh: *u = VRT__UN_TANH; return 1;
    case VRT__OP_HardSigmoid: *u = VRT__UN_HARD_SIGMOID; return 1;
    case VRT__OP_HardSwish: *u = VRT__UN_HARD_SWISH; return 1;
    case VRT__OP_Clip: *u = VRT__UN_CLIP; return 1;
    case VRT__OP_Erf: *u = VRT__UN_ERF; return 1;
    case VRT__OP_Exp: *u = VRT__UN_EXP; return 1;
    case VRT__OP_Log: *u = VRT__UN_LOG; return 1;
    case VRT__OP_Sqrt: *u = VRT__UN_SQRT; return 1;
    case VRT__OP_Neg: *u = VRT__UN_NEG; return 1;
    case VRT__OP_Abs: *u = VRT__UN_ABS; return 1;
    case VRT__OP_Reciprocal: *u = VRT__UN_RECIPROCAL; return 1;
    case VRT__OP_Gelu: *u = VRT__UN_GELU; return 1;
    case VRT__OP_Sin: *u = VRT__UN_SIN; return 1;
    case VRT__OP_Cos: *u = VRT__UN_COS; return 1;
    default: return 0;
    }
}

int vrt__op_binary_of(int op, vrt__binary_op *b) {
    switch ((vrt__op)op) {
    case VRT__OP_Add:
    case VRT__OP_Sum: *b = VRT__BIN_ADD; return 1;
    case VRT__OP_Sub: *b = VRT__BIN_SUB; return 1;
    case VRT__OP_Mul: *b = VRT__BIN_MUL; return 1;
    case VRT__OP_Div: *b = VRT__BIN_DIV; return 1;
    case VRT__OP_Max: *b = VRT__BIN_MAX; return 1;
    case VRT__OP_Min: *b = VRT__BIN_MIN; return 1;
    case VRT__OP_Pow: *b = VRT__BIN_POW; return 1;
    case VRT__OP_Mod: *b = VRT__BIN_MOD; return 1;
    case VRT__OP_PRelu: *b = VRT__BIN_PRELU; return 1;
    default: return 0;
    }
}

void vrt__op_put_value(vrt__dtype dt, double v, uint8_t out[8]) {
    memset(out, 0, 8);
    switch (dt) {
    case VRT__DT_FLOAT: {
        float f = (float)v;
        memcpy(out, &f, 4);
        break;
    }
    case VRT__DT_INT64: {
        int64_t i = (int64_t)v;
        memcpy(out, &i, 8);
        break;
    }
    case VRT__DT_INT32: {
        int32_t i = (int32_t)v;
        memcpy(out, &i, 4);
        break;
    }
    case VRT__DT_INT8: {
        int8_t i = (int8_t)v;
        memcpy(out, &i, 1);
        break;
    }
    case VRT__DT_UINT8:
    case VRT__DT_BOOL: out[0] = (uint8_t)v; break;
    default: break;
    }
}

vrt_status vrt__op_conv_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *w,
                               const vrt__shape *y, vrt__activation act, vrt__conv_params *p, char *err,
                               size_t cap) {
    vrt_status st;
    vrt__conv_default_params(p);
    p->nsp = x->ndim - 2;
    if (p->nsp < 1 || p->nsp > VRT__MAX_SPATIAL)
        return pfail(err, cap, VRT_EUNSUPPORTED, "%d spatial dims (1..3 supported)", p->nsp);
    p->N = x->d[0], p->C = x->d[1];
    p->group = vrt__node_get_int(n, "group", 1);
    int transpose = n->op == VRT__OP_ConvTranspose;
    p->M = !transpose ? w->d[0] : w->d[1] * p->group;
    for (int i = 0; i < p->nsp; i++)
        p->in[i] = x->d[2 + i], p->k[i] = w->d[2 + i];
    spatial(n, p->nsp, NULL, p->strides, p->dilations, p->pads_begin, p->pads_end);
    p->act = act;
    if (!transpose) {
        if ((st = vrt__conv_resolve(p, err, cap))) return kfail(err, cap, st);
    } else {
        int cnt;
        const int64_t *op = vrt__node_get_ints(n, "output_padding", &cnt);
        if (op && cnt == p->nsp) memcpy(p->output_padding, op, (size_t)cnt * 8);
        if ((st = vrt__conv_transpose_resolve(p, err, cap))) return kfail(err, cap, st);
    }
    for (int i = 0; i < p->nsp; i++)
        if (p->out[i] != y->d[2 + i])
            return pfail(err, cap, VRT_EINVAL, "kernel output size differs from the inferred shape");
    return VRT_OK;
}

vrt_status vrt__op_pool_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                               vrt__pool_params *p, char *err, size_t cap) {
    vrt_status st;
    vrt__pool_default_params(p);
    p->nsp = x->ndim - 2;
    if (p->nsp < 1 || p->nsp > VRT__MAX_SPATIAL)
        return pfail(err, cap, VRT_EUNSUPPORTED, "%d spatial dims (1..3 supported)", p->nsp);
    p->N = x->d[0], p->C = x->d[1];
    for (int i = 0; i < p->nsp; i++)
        p->in[i] = x->d[2 + i];
    spatial(n, p->nsp, p->k, p->strides, p->dilations, p->pads_begin, p->pads_end);
    p->ceil_mode = (int)vrt__node_get_int(n, "ceil_mode", 0);
    p->count_include_pad = (int)vrt__node_get_int(n, "count_include_pad", 0);
    if ((st = vrt__pool_resolve(p, err, cap))) return kfail(err, cap, st);
    for (int i = 0; i < p->nsp; i++)
        if (p->out[i] != y->d[2 + i])
            return pfail(err, cap, VRT_EINVAL, "kernel output size differs from the inferred shape");
    return VRT_OK;
}

void vrt__op_softmax_params(const vrt__node *n, vrt__softmax_params *p) {
    p->axis = vrt__node_get_int(n, "axis", -1);
    p->legacy = (int)vrt__node_get_int(n, "coerce_2d", 0);
    p->log = n->op == VRT__OP_LogSoftmax;
}

void vrt__op_gemm_params(const vrt__node *n, const vrt__shape *a, const vrt__shape *c, const vrt__shape *y,
                         vrt__activation act, vrt__gemm_params *p) {
    vrt__gemm_default_params(p);
    p->trans_a = (int)vrt__node_get_int(n, "transA", 0);
    p->trans_b = (int)vrt__node_get_int(n, "transB", 0);
    p->alpha = vrt__node_get_float(n, "alpha", 1.0f);
    p->beta = vrt__node_get_float(n, "beta", 1.0f);
    p->M = y->d[0], p->N = y->d[1];
    p->K = p->trans_a ? a->d[0] : a->d[1];
    if (c)
        p->c_shape = *c;
    else
        p->c_shape.ndim = 0;
    p->act = act;
}

void vrt__op_unary_params(const vrt__node *n, vrt__unary_params *p) {
    vrt__unary_op uop = VRT__UN_IDENTITY;
    vrt__op_unary_of(n->op, &uop);
    if (n->op == VRT__OP_Gelu && !strcmp(vrt__node_get_string(n, "approximate", "none"), "tanh"))
        uop = VRT__UN_GELU_TANH;
    vrt__unary_default_params(uop, p);
    if (n->op == VRT__OP_LeakyRelu) p->alpha = vrt__node_get_float(n, "alpha", 0.01f);
    if (n->op == VRT__OP_HardSigmoid) {
        p->alpha = vrt__node_get_float(n, "alpha", 0.2f);
        p->beta = vrt__node_get_float(n, "beta", 0.5f);
    }
    if (n->op == VRT__OP_Clip) {
        p->min = vrt__node_get_float(n, "min", -INFINITY);
        p->max = vrt__node_get_float(n, "max", INFINITY);
        /* ONNX: with min > max every value becomes max. */
        if (p->min > p->max) p->min = p->max;
    }
}

vrt_status vrt__op_slice_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                                vrt__slice_params *p, char *err, size_t cap) {
    vrt_status st;
    int cnt;
    const int64_t *st_ = vrt__node_get_ints(n, "starts", &cnt), *en = vrt__node_get_ints(n, "ends", &cnt);
    const int64_t *ax = vrt__node_get_ints(n, "axes", &cnt), *sp = vrt__node_get_ints(n, "steps", &cnt);
    if (cnt > VRT__MAX_DIMS) return pfail(err, cap, VRT_EINVAL, "too many axes");
    p->n = cnt;
    for (int i = 0; i < cnt; i++) {
        p->starts[i] = st_[i], p->axes[i] = ax[i], p->steps[i] = sp[i];
        /* Canonical ends of -1 with a negative step mean "past the front". */
        p->ends[i] = (sp[i] < 0 && en[i] < 0) ? INT64_MIN : en[i];
    }
    vrt__shape o;
    if ((st = vrt__slice_out_shape(p, x, &o))) return kfail(err, cap, st);
    if (!vrt__op_same_shape(&o, y))
        return pfail(err, cap, VRT_EINVAL, "kernel output shape differs from the inferred shape");
    return VRT_OK;
}

vrt_status vrt__op_perm_params(const vrt__node *n, int64_t *v, int *nv, char *err, size_t cap) {
    int cnt;
    const int64_t *a = vrt__node_get_ints(n, n->op == VRT__OP_Tile ? "repeats" : "perm", &cnt);
    if (cnt > VRT__MAX_DIMS) return pfail(err, cap, VRT_EINVAL, "too many entries");
    *nv = cnt;
    if (cnt) memcpy(v, a, (size_t)cnt * 8);
    return VRT_OK;
}

vrt_status vrt__op_pad_params(const vrt__node *n, int r, vrt__dtype dt, uint8_t value[8], vrt__pad_params *p,
                              char *err, size_t cap) {
    memset(p, 0, sizeof(*p));
    int cnt;
    const int64_t *v = vrt__node_get_ints(n, "pads", &cnt);
    if (!v || cnt != 2 * r) return pfail(err, cap, VRT_EINVAL, "pads missing");
    memcpy(p->pads, v, (size_t)cnt * 8);
    const char *m = vrt__node_get_string(n, "mode", "constant");
    p->mode = !strcmp(m, "reflect") ? VRT__PAD_REFLECT
              : !strcmp(m, "edge")  ? VRT__PAD_EDGE
              : !strcmp(m, "wrap")  ? VRT__PAD_WRAP
                                    : VRT__PAD_CONSTANT;
    vrt__op_put_value(dt, vrt__node_get_float(n, "value", 0), value);
    p->value = value;
    return VRT_OK;
}

void vrt__op_depth_space_params(const vrt__node *n, int64_t *blocksize, int *crd) {
    *blocksize = vrt__node_get_int(n, "blocksize", 1);
    *crd = !strcmp(vrt__node_get_string(n, "mode", "DCR"), "CRD");
}

void vrt__op_constant_value(const vrt__node *n, uint8_t value[8]) {
    const vrt__attr *a = vrt__node_attr(n, "value");
    memset(value, 0, 8);
    if (a && a->type == VRT__AT_TENSOR && a->tensors[0].data) {
        const vrt__tensor *v = &a->tensors[0];
        if (v->dtype == VRT__DT_FLOAT16) {
            float f = vrt__half_to_float(*(const uint16_t *)v->data);
            memcpy(value, &f, 4);
        } else {
            size_t es = vrt__dtype_size(v->dtype);
            memcpy(value, v->data, es <= 8 ? es : 8);
        }
    }
}

vrt_status vrt__op_resize_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                                 vrt__resize_params *p, char *err, size_t cap) {
    vrt_status st;
    int r = x->ndim;
    vrt__resize_default_params(p);
    const char *m = vrt__node_get_string(n, "mode", "nearest");
    p->mode = !strcmp(m, "linear")  ? VRT__RESIZE_LINEAR
              : !strcmp(m, "cubic") ? VRT__RESIZE_CUBIC
                                    : VRT__RESIZE_NEAREST;
    const char *ct = vrt__node_get_string(n, "coordinate_transformation_mode", "half_pixel");
    static const char *cts[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",  "align_corners",
                                "asymmetric", "tf_crop_and_resize",   "tf_half_pixel_for_nn"};
    for (int i = 0; i < 7; i++)
        if (!strcmp(ct, cts[i])) p->coord = (vrt__resize_coord)i;
    const char *nm = vrt__node_get_string(n, "nearest_mode", "round_prefer_floor");
    static const char *nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(nm, nms[i])) p->nearest_mode = (vrt__resize_nearest)i;
    p->cubic_coeff_a = vrt__node_get_float(n, "cubic_coeff_a", -0.75f);
    p->exclude_outside = (int)vrt__node_get_int(n, "exclude_outside", 0);
    p->extrapolation_value = vrt__node_get_float(n, "extrapolation_value", 0);
    int cnt;
    const float *sc = vrt__node_get_floats(n, "scales", &cnt);
    if (!sc || cnt != r) return pfail(err, cap, VRT_EINVAL, "scales missing");
    p->have_scales = 1;
    for (int i = 0; i < r; i++)
        p->scales[i] = sc[i];
    const float *roi = vrt__node_get_floats(n, "roi", &cnt);
    if (roi && cnt == 2 * r) {
        p->have_roi = 1;
        memcpy(p->roi, roi, (size_t)cnt * 4);
    }
    vrt__shape o;
    if ((st = vrt__resize_out_shape(p, x, &o))) return kfail(err, cap, st);
    if (!vrt__op_same_shape(&o, y)) {
        /* Sizes given: scales are out/in rounded to float; use the sizes. */
        p->have_scales = 0;
        p->have_sizes = 1;
        for (int i = 0; i < r; i++)
            p->sizes[i] = y->d[i];
        if ((st = vrt__resize_out_shape(p, x, &o))) return kfail(err, cap, st);
        if (!vrt__op_same_shape(&o, y))
            return pfail(err, cap, VRT_EINVAL, "kernel output shape differs from the inferred shape");
    }
    return VRT_OK;
}

void vrt__op_reduce_params(const vrt__node *n, vrt__reduce_params *p) {
    vrt__reduce_default_params(n->op == VRT__OP_ReduceMean  ? VRT__RED_MEAN
                               : n->op == VRT__OP_ReduceMax ? VRT__RED_MAX
                                                            : VRT__RED_SUM,
                               p);
    int cnt;
    const int64_t *ax = vrt__node_get_ints(n, "axes", &cnt);
    p->keepdims = (int)vrt__node_get_int(n, "keepdims", 1);
    p->naxes = cnt;
    if (cnt) memcpy(p->axes, ax, (size_t)cnt * 8);
}

void vrt__op_argmax_params(const vrt__node *n, vrt__argmax_params *p) {
    p->axis = vrt__node_get_int(n, "axis", 0);
    p->keepdims = (int)vrt__node_get_int(n, "keepdims", 1);
    p->select_last_index = (int)vrt__node_get_int(n, "select_last_index", 0);
    p->is_min = 0;
}

void vrt__op_topk_params(const vrt__node *n, vrt__topk_params *p) {
    p->k = vrt__node_get_int(n, "k", 1);
    p->axis = vrt__node_get_int(n, "axis", -1);
    p->largest = (int)vrt__node_get_int(n, "largest", 1);
    p->sorted = (int)vrt__node_get_int(n, "sorted", 1);
}

/* ---- VrtAttention ---------------------------------------------------- */

/* Row-major element strides of shape s. */
static void dense_strides(const vrt__shape *s, int64_t *st) {
    int64_t acc = 1;
    for (int i = s->ndim - 1; i >= 0; i--)
        st[i] = acc, acc *= s->d[i];
}

/* Logical dims and strides of an operand of rank r seen through perm (NULL: identity). */
static int perm_view(const vrt__node *n, const char *name, const vrt__shape *s, int r, int64_t *dim,
                     int64_t *st) {
    int cnt = 0;
    const int64_t *pm = vrt__node_get_ints(n, name, &cnt);
    int64_t ds[VRT__MAX_DIMS];
    if (s->ndim != r || r > VRT__MAX_DIMS || (pm && cnt != r)) return 0;
    dense_strides(s, ds);
    int seen = 0;
    for (int i = 0; i < r; i++) {
        int64_t a = pm ? pm[i] : i;
        if (a < 0 || a >= r || (seen & (1 << a))) return 0;
        seen |= 1 << a;
        dim[i] = s->d[a];
        st[i] = s->d[a] == 1 ? 0 : ds[a];
    }
    return 1;
}

/* Batch dims of one operand against the output's: equal, or 1 (stride 0). */
static int attn_batch(const int64_t *dim, const int64_t *st, const vrt__attn_params *p, int64_t *out) {
    for (int i = 0; i < p->nb; i++) {
        if (dim[i] != p->bdim[i] && dim[i] != 1) return 0;
        out[i] = dim[i] == 1 ? 0 : st[i];
    }
    return 1;
}

static vrt_status attn_fail(char *err, size_t cap, const char *what) {
    if (err && cap) snprintf(err, cap, "VrtAttention: %s", what);
    return VRT_EINVAL;
}

vrt_status vrt__op_attention_params(const vrt__node *n, const vrt__shape *q, const vrt__shape *k,
                                    const vrt__shape *v, const vrt__shape *mask, const vrt__shape *o,
                                    vrt__attn_params *p, char *err, size_t cap) {
    memset(p, 0, sizeof(*p));
    int r = o->ndim;
    if (r < 2 || r > VRT__ATTN_MAX_BATCH + 2) return attn_fail(err, cap, "rank must be 2..6");
    int64_t qd[VRT__MAX_DIMS], qs[VRT__MAX_DIMS], kd[VRT__MAX_DIMS], ks[VRT__MAX_DIMS];
    int64_t vd[VRT__MAX_DIMS], vs[VRT__MAX_DIMS], od[VRT__MAX_DIMS], os[VRT__MAX_DIMS];
    if (!perm_view(n, "q_perm", q, r, qd, qs) || !perm_view(n, "k_perm", k, r, kd, ks) ||
        !perm_view(n, "v_perm", v, r, vd, vs) || !perm_view(n, "o_perm", o, r, od, os))
        return attn_fail(err, cap, "operand ranks or permutations do not match the output");
    p->nb = r - 2;
    p->batch = 1;
    for (int i = 0; i < p->nb; i++)
        p->bdim[i] = od[i], p->batch *= od[i];
    p->sq = od[r - 2], p->dv = od[r - 1], p->sk = kd[r - 2], p->d = qd[r - 1];
    if (qd[r - 2] != p->sq || kd[r - 1] != p->d || vd[r - 2] != p->sk || vd[r - 1] != p->dv)
        return attn_fail(err, cap, "Q, K, V and the output disagree on sizes");
    if (!attn_batch(qd, qs, p, p->q) || !attn_batch(kd, ks, p, p->k) || !attn_batch(vd, vs, p, p->v))
        return attn_fail(err, cap, "batch dims do not broadcast to the output's");
    for (int i = 0; i < p->nb; i++) {
        if (od[i] == 1 && os[i] == 0)
            p->o[i] = 0;
        else
            p->o[i] = os[i];
    }
    p->q[p->nb] = qs[r - 2], p->q[p->nb + 1] = qs[r - 1];
    p->k[p->nb] = ks[r - 2], p->k[p->nb + 1] = ks[r - 1];
    p->v[p->nb] = vs[r - 2], p->v[p->nb + 1] = vs[r - 1];
    p->o[p->nb] = os[r - 2], p->o[p->nb + 1] = os[r - 1];
    p->scale = vrt__node_get_float(n, "scale", 1.0f);
    p->nan_zero = (int)vrt__node_get_int(n, "nan_zero", 0);
    if (mask) {
        /* Right-aligned against [batch..., sq, sk]; size-1 dims broadcast. */
        int64_t want[VRT__MAX_DIMS], ms[VRT__MAX_DIMS];
        for (int i = 0; i < p->nb; i++)
            want[i] = p->bdim[i];
        want[r - 2] = p->sq, want[r - 1] = p->sk;
        if (mask->ndim > r) return attn_fail(err, cap, "the mask has a higher rank than the scores");
        dense_strides(mask, ms);
        for (int i = 0; i < r; i++) {
            int mi = i - (r - mask->ndim);
            int64_t md = mi >= 0 ? mask->d[mi] : 1;
            if (md != want[i] && md != 1)
                return attn_fail(err, cap, "the mask does not broadcast to the scores");
            p->m[i] = md == 1 ? 0 : ms[mi];
        }
        p->has_mask = 1;
    }
    return VRT_OK;
}

/* ---- quantization ------------------------------------------------------- */

int vrt__quant_range(vrt__dtype t, int32_t *lo, int32_t *hi) {
    switch (t) {
    case VRT__DT_UINT8: *lo = 0, *hi = 255; return 1;
    case VRT__DT_INT8: *lo = -128, *hi = 127; return 1;
    case VRT__DT_UINT16: *lo = 0, *hi = 65535; return 1;
    case VRT__DT_INT16: *lo = -32768, *hi = 32767; return 1;
    case VRT__DT_UINT4: *lo = 0, *hi = 15; return 1;
    case VRT__DT_INT4: *lo = -8, *hi = 7; return 1;
    case VRT__DT_UINT2: *lo = 0, *hi = 3; return 1;
    case VRT__DT_INT2: *lo = -2, *hi = 1; return 1;
    case VRT__DT_INT32: *lo = INT32_MIN, *hi = INT32_MAX; return 1;
    default: return 0;
    }
}

vrt_status vrt__op_quant_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *scale,
                                const vrt__shape *zp, vrt__quant_params *p, char *err, size_t cap) {
    memset(p, 0, sizeof(*p));
    int r = x->ndim;
    int64_t axis = vrt__node_get_int(n, "axis", 1), ns = vrt__shape_numel(scale);
    if (zp && !vrt__op_same_shape(zp, scale) && !(vrt__shape_numel(zp) == 1 && ns == 1))
        return pfail(err, cap, VRT_EINVAL, "the zero point's shape differs from the scale's");
    p->outer = vrt__shape_numel(x), p->len = p->inner = 1;
    if (ns == 1 && scale->ndim <= 1) return VRT_OK; /* per tensor */
    if (axis < -r || axis >= r)
        return pfail(err, cap, VRT_EINVAL, "axis %lld out of range for rank %d", (long long)axis, r);
    if (axis < 0) axis += r;
    p->outer = p->inner = 1;
    for (int i = 0; i < r; i++)
        if (i < axis)
            p->outer *= x->d[i];
        else if (i > axis)
            p->inner *= x->d[i];
    p->len = x->d[axis];
    if (scale->ndim == 1 && scale->d[0] == p->len) {
        p->mode = VRT__QUANT_PER_AXIS;
        return VRT_OK;
    }
    int64_t b = vrt__node_get_int(n, "block_size", 0);
    if (scale->ndim != r || b <= 0 || scale->d[axis] != (p->len + b - 1) / b)
        return pfail(err, cap, VRT_EINVAL,
                     "the scale's shape fits neither per-tensor (1 element), per-axis (%lld elements "
                     "along axis %lld) nor blocked (block_size %lld) quantization",
                     (long long)p->len, (long long)axis, (long long)b);
    for (int i = 0; i < r; i++)
        if (i != axis && scale->d[i] != x->d[i])
            return pfail(err, cap, VRT_EINVAL,
                         "blocked quantization: the scale's dim %d differs from the input's", i);
    p->mode = VRT__QUANT_BLOCKED;
    p->block = b;
    return VRT_OK;
}
