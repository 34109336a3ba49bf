/*
 * Shape inference, canonicalisation (see the table in ir.h) and folding of
 * the small int64 shape computations exporters emit. Runs once over the
 * topologically sorted nodes; every node's outputs get a dtype and a static
 * shape or the load fails naming the node.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "model/lowp.h"
#include "model/internal.h"
#include "model/op_params.h"

#define MAXV 1024 /* largest parameter vector read from a constant */
/* Largest tensor produced by folding: position embeddings of the transformers (DINOv2's
 * 1370 x 384 at 518 px, DETR's 256 x 15 x 20) are computed from constants at a fixed input
 * size and must fold into weights. */
#define FOLD_MAX (1 << 22)

typedef struct sctx {
    vrt__ir *ir;
    int ni; /* current node index */
    char *err;
    size_t cap;
    unsigned char *dead; /* nodes folded away */
} sctx;

static vrt_status nfail(sctx *c, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static vrt_status nfail(sctx *c, vrt_status st, const char *fmt, ...) {
    if (c->err && c->cap) {
        vrt__node *n = &c->ir->nodes[c->ni];
        int w = snprintf(c->err, c->cap, "node '%s' (%s, opset %d): ", n->name, n->op_type, n->opset);
        if (w > 0 && (size_t)w < c->cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + w, c->cap - (size_t)w, fmt, ap);
            va_end(ap);
        }
    }
    return st;
}

#define NODE (&c->ir->nodes[c->ni])
#define TS(i) (&c->ir->tensors[i])

static vrt__tensor *in_t(sctx *c, int k) {
    vrt__node *n = NODE;
    if (k >= n->n_inputs || n->inputs[k] < 0) return NULL;
    return TS(n->inputs[k]);
}

static vrt__tensor *out_t(sctx *c, int k) {
    vrt__node *n = NODE;
    if (k >= n->n_outputs || n->outputs[k] < 0) return NULL;
    return TS(n->outputs[k]);
}

/* Element count of a shape that set_out() or the reader has bounded
 * (core/checked.h): cannot overflow. An unbounded shape gives -1. */
static int64_t numel(const vrt__shape *s) {
    int64_t n;
    return vrt__dims_numel(s->d, s->ndim, VRT__MAX_TENSOR_ELEMS, &n) ? n : -1;
}

static int is_float_dt(vrt__dtype d) {
    return d == VRT__DT_FLOAT || d == VRT__DT_FLOAT16 || d == VRT__DT_DOUBLE;
}

/* Types a tensor may have: the CPU kernels' own (float, float16, int64,
 * int32, int8, uint8, bool, int16, uint16, uint32, uint64) and those the
 * engine holds in another type (double, bfloat16, float8, float4 as fp32;
 * 4-/2-bit ints as int8/uint8; model/lowp.h). Constant folding
 * only handles the first seven (dsize() > 0). */
static int supported_dt(vrt__dtype dt) {
    return dt == VRT__DT_FLOAT || dt == VRT__DT_FLOAT16 || dt == VRT__DT_INT64 || dt == VRT__DT_INT32 ||
           dt == VRT__DT_INT8 || dt == VRT__DT_UINT8 || dt == VRT__DT_BOOL || dt == VRT__DT_DOUBLE ||
           dt == VRT__DT_INT16 || dt == VRT__DT_UINT16 || dt == VRT__DT_UINT32 || dt == VRT__DT_UINT64 ||
           vrt__dtype_is_lowp_float(dt) || vrt__dtype_is_subbyte(dt);
}

static size_t dsize(vrt__dtype dt) {
    switch (dt) {
    case VRT__DT_FLOAT:
    case VRT__DT_INT32: return 4;
    case VRT__DT_FLOAT16: return 2;
    case VRT__DT_INT64: return 8;
    case VRT__DT_INT8:
    case VRT__DT_UINT8:
    case VRT__DT_BOOL: return 1;
    default: return 0;
    }
}

static const char *fmt_shape(const vrt__shape *s, char *buf, size_t cap);

static vrt_status set_out(sctx *c, int k, vrt__dtype dt, const vrt__shape *s) {
    vrt__tensor *t = out_t(c, k);
    if (!t) return VRT_OK;
    for (int i = 0; i < s->ndim; i++)
        if (s->d[i] < 0)
            return nfail(c, VRT_EINVAL, "output '%s' would have a negative dimension %lld", t->name,
                         (long long)s->d[i]);
    /* Every shape downstream is computed from this one: bounding it here keeps
     * every later product of its dims inside int64 (core/checked.h). */
    int64_t cnt;
    if (!vrt__dims_numel(s->d, s->ndim, VRT__MAX_TENSOR_ELEMS, &cnt) ||
        (int64_t)vrt__dtype_size(dt) * cnt > VRT__MAX_TENSOR_BYTES) {
        char buf[160];
        return nfail(c, VRT_EINVAL,
                     "output '%s' would have shape %s, more than the %lld elements (%lld GiB) a "
                     "tensor may have",
                     t->name, fmt_shape(s, buf, sizeof(buf)), (long long)VRT__MAX_TENSOR_ELEMS,
                     (long long)(VRT__MAX_TENSOR_BYTES >> 30));
    }
    t->dtype = dt;
    t->shape = *s;
    t->shape_known = 1;
    return VRT_OK;
}

/* Element i of a constant tensor as int64 / double. */
static int64_t elem_i64(const vrt__tensor *t, int64_t i) {
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case VRT__DT_INT64: {
        int64_t v;
        memcpy(&v, p + 8 * i, 8);
        return v;
    }
    case VRT__DT_INT32: {
        int32_t v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case VRT__DT_INT8: return (int8_t)p[i];
    case VRT__DT_UINT8:
    case VRT__DT_BOOL: return p[i];
    case VRT__DT_FLOAT: {
        float v;
        memcpy(&v, p + 4 * i, 4);
        return isfinite(v) ? (int64_t)v : 0;
    }
    case VRT__DT_FLOAT16: {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        float v = vrt__half_to_float(h);
        return isfinite(v) ? (int64_t)v : 0;
    }
    default: return 0;
    }
}

static double elem_f64(const vrt__tensor *t, int64_t i) {
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case VRT__DT_FLOAT: {
        float v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case VRT__DT_FLOAT16: {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        return vrt__half_to_float(h);
    }
    default: return (double)elem_i64(t, i);
    }
}

static void store(uint8_t *p, vrt__dtype dt, int64_t i, int64_t iv, double fv, int use_f) {
    switch (dt) {
    case VRT__DT_INT64: {
        int64_t v = use_f ? (int64_t)fv : iv;
        memcpy(p + 8 * i, &v, 8);
        break;
    }
    case VRT__DT_INT32: {
        int32_t v = (int32_t)(use_f ? (int64_t)fv : iv);
        memcpy(p + 4 * i, &v, 4);
        break;
    }
    case VRT__DT_INT8:
    case VRT__DT_UINT8: p[i] = (uint8_t)(use_f ? (int64_t)fv : iv); break;
    case VRT__DT_BOOL: p[i] = use_f ? fv != 0 : iv != 0; break;
    case VRT__DT_FLOAT: {
        float v = use_f ? (float)fv : (float)iv;
        memcpy(p + 4 * i, &v, 4);
        break;
    }
    case VRT__DT_FLOAT16: {
        uint16_t h = vrt__float_to_half(use_f ? (float)fv : (float)iv);
        memcpy(p + 2 * i, &h, 2);
        break;
    }
    default: break;
    }
}

static int is_const(const vrt__tensor *t) {
    return t && t->data && t->shape_known && dsize(t->dtype) > 0;
}

/* Reads a constant int vector (any int dtype) of at most MAXV entries. 1 on success. */
static int const_ints(const vrt__tensor *t, int64_t *v, int *n) {
    if (!is_const(t) || is_float_dt(t->dtype)) return 0;
    int64_t cnt = numel(&t->shape);
    if (cnt > MAXV) return 0;
    for (int64_t i = 0; i < cnt; i++)
        v[i] = elem_i64(t, i);
    *n = (int)cnt;
    return 1;
}

static int const_floats(const vrt__tensor *t, float *v, int *n) {
    if (!is_const(t)) return 0;
    int64_t cnt = numel(&t->shape);
    if (cnt > MAXV) return 0;
    for (int64_t i = 0; i < cnt; i++)
        v[i] = (float)elem_f64(t, i);
    *n = (int)cnt;
    return 1;
}

/* Gives output k constant contents (takes ownership of data). */
static vrt_status set_out_data(sctx *c, int k, void *data) {
    vrt__tensor *t = out_t(c, k);
    if (!t) {
        vrt_free(data);
        return VRT_OK;
    }
    vrt_free(t->data);
    t->data = data;
    t->nbytes = (size_t)numel(&t->shape) * dsize(t->dtype);
    return VRT_OK;
}

/* After a node's outputs all got data: the node is folded away unless an
 * output is a graph output (then it still runs; the value is known). */
static void mark_folded(sctx *c) {
    vrt__node *n = NODE;
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0 && (TS(n->outputs[k])->is_output || !TS(n->outputs[k])->data)) return;
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0) {
            TS(n->outputs[k])->kind = VRT__TK_WEIGHT;
            TS(n->outputs[k])->producer = -1;
        }
    c->dead[c->ni] = 1;
}

/* Output 0 of a single-output node gets the folded data (owned); the node
 * is folded away. */
static void fold_output0(sctx *c, void *data) {
    set_out_data(c, 0, data);
    mark_folded(c);
}

static int norm_axis(int64_t a, int rank, int64_t *out) {
    *out = 0; /* defined on failure too (gcc -O3 -Wmaybe-uninitialized in the callers) */
    if (a < -rank || a >= rank) return 0;
    *out = a < 0 ? a + rank : a;
    return 1;
}

static vrt_status need_inputs(sctx *c, int lo, int hi) {
    vrt__node *n = NODE;
    int present = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        if (n->inputs[k] < 0) continue;
        present = k + 1;
        if (!TS(n->inputs[k])->shape_known)
            return nfail(c, VRT_EINVAL, "input '%s' has no known shape", TS(n->inputs[k])->name);
        if (!supported_dt(TS(n->inputs[k])->dtype))
            return nfail(c, VRT_EUNSUPPORTED,
                         "input '%s' has data type %s; supported: float, float16, double, bfloat16, float8, "
                         "float4, (u)int2/4/8/16/32/64, bool",
                         TS(n->inputs[k])->name, vrt__dtype_name(TS(n->inputs[k])->dtype));
    }
    if (n->n_inputs < lo || !in_t(c, 0) || present > hi)
        return nfail(c, VRT_EBADDATA, "has %d inputs; expected %d..%d", n->n_inputs, lo, hi);
    for (int k = 0; k < lo; k++)
        if (n->inputs[k] < 0) return nfail(c, VRT_EBADDATA, "required input %d is missing", k);
    return VRT_OK;
}

static void drop_inputs_from(vrt__node *n, int k) {
    if (n->n_inputs > k) n->n_inputs = k;
}

static int broadcast(const vrt__shape *a, const vrt__shape *b, vrt__shape *o) {
    int r = a->ndim > b->ndim ? a->ndim : b->ndim;
    if (r > VRT__MAX_DIMS) return 0;
    o->ndim = r;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->ndim), ib = i - (r - b->ndim);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da == db || db == 1)
            o->d[i] = da;
        else if (da == 1)
            o->d[i] = db;
        else
            return 0;
    }
    return 1;
}

/* Offset into a broadcast input for flat output index o. */
static int64_t bidx(const vrt__shape *in, const vrt__shape *out, int64_t o) {
    int64_t off = 0, stride = 1;
    for (int i = out->ndim - 1; i >= 0; i--) {
        int64_t coord = o % out->d[i];
        o /= out->d[i];
        int ii = i - (out->ndim - in->ndim);
        if (ii >= 0) {
            if (in->d[ii] != 1) off += coord * stride;
            stride *= in->d[ii];
        }
    }
    return off;
}

/* Folds a constant x into output 0 of shape o, element by element: output
 * coordinate k along axis i reads input coordinate beg[i] + k * stp[i]
 * (slice), k mod x->shape.d[i] when beg is NULL (tile), or the broadcast
 * source of bidx() when bcast is set (expand). */
static vrt_status fold_index_copy(sctx *c, const vrt__tensor *x, const vrt__shape *o, const int64_t *beg,
                                  const int64_t *stp, int bcast) {
    size_t es = dsize(x->dtype);
    int64_t cnt = numel(o);
    uint8_t *d = vrt_malloc((size_t)cnt * es + 1);
    if (!d) return VRT_ENOMEM;
    for (int64_t q = 0; q < cnt; q++) {
        int64_t src;
        if (bcast) {
            src = bidx(&x->shape, o, q);
        } else {
            int64_t rem = q, stride = 1;
            src = 0;
            for (int i = o->ndim - 1; i >= 0; i--) {
                int64_t coord = rem % o->d[i];
                rem /= o->d[i];
                src += (beg ? beg[i] + coord * stp[i] : coord % x->shape.d[i]) * stride;
                stride *= x->shape.d[i];
            }
        }
        memcpy(d + (size_t)q * es, (uint8_t *)x->data + (size_t)src * es, es);
    }
    fold_output0(c, d);
    return VRT_OK;
}

/* Reads the "axes" of input 1 (constant) or, without it, of the attribute;
 * *has tells whether either was given. */
static vrt_status axes_input_or_attr(sctx *c, int64_t *ax, int *cnt, int *has) {
    if (in_t(c, 1)) {
        if (!const_ints(in_t(c, 1), ax, cnt))
            return nfail(c, VRT_EUNSUPPORTED, "axes must be constant at load");
        *has = 1;
    } else {
        const int64_t *v = vrt__node_get_ints(NODE, "axes", cnt);
        if (v) memcpy(ax, v, (size_t)*cnt * 8), *has = 1;
    }
    return VRT_OK;
}

/* Reads the "axis" attribute (default def) normalised against x's rank. */
static vrt_status axis_attr(sctx *c, const vrt__tensor *x, int64_t def, int64_t *ax) {
    if (!norm_axis(vrt__node_get_int(NODE, "axis", def), x->shape.ndim, ax))
        return nfail(c, VRT_EINVAL, "axis out of range");
    return VRT_OK;
}

static const char *fmt_shape(const vrt__shape *s, char *buf, size_t cap) {
    size_t len = 0;
    len += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < s->ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? "," : "", (long long)s->d[i]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
    return buf;
}

/* ---- folding of small element-wise ops ---------------------------------------------------- */

static int foldable_size(const vrt__shape *s) {
    int64_t n = numel(s);
    return n >= 0 && n <= FOLD_MAX;
}

/* One element of a folded float op; 0 when op is not folded. */
static int fold_scalar_f64(vrt__op op, double x, double y, double *r) {
    switch (op) {
    case VRT__OP_Add: *r = x + y; return 1;
    case VRT__OP_Sub: *r = x - y; return 1;
    case VRT__OP_Mul: *r = x * y; return 1;
    case VRT__OP_Div: *r = x / y; return 1;
    case VRT__OP_Max: *r = x > y ? x : y; return 1;
    case VRT__OP_Min: *r = x < y ? x : y; return 1;
    case VRT__OP_Equal: *r = x == y; return 1;
    case VRT__OP_Less: *r = x < y; return 1;
    case VRT__OP_Greater: *r = x > y; return 1;
    case VRT__OP_Neg: *r = -x; return 1;
    case VRT__OP_Sqrt: *r = sqrt(x); return 1;
    case VRT__OP_Identity: *r = x; return 1;
    case VRT__OP_Pow: *r = pow(x, y); return 1;
    case VRT__OP_Mod: *r = fmod(x, y); return 1;
    case VRT__OP_GreaterOrEqual: *r = x >= y; return 1;
    case VRT__OP_LessOrEqual: *r = x <= y; return 1;
    case VRT__OP_Sin: *r = sin(x); return 1;
    case VRT__OP_Cos: *r = cos(x); return 1;
    case VRT__OP_Exp: *r = exp(x); return 1;
    case VRT__OP_Log: *r = log(x); return 1;
    case VRT__OP_Abs: *r = fabs(x); return 1;
    case VRT__OP_Reciprocal: *r = 1.0 / x; return 1;
    case VRT__OP_Erf: *r = erf(x); return 1;
    case VRT__OP_Sigmoid: *r = 1.0 / (1.0 + exp(-x)); return 1;
    case VRT__OP_Tanh: *r = tanh(x); return 1;
    case VRT__OP_Relu: *r = x > 0 ? x : 0; return 1;
    case VRT__OP_IsNaN: *r = isnan(x); return 1;
    default: return 0;
    }
}

/* One element of a folded integer op (wrapping arithmetic): 1 done, 0 op not
 * folded, -1 integer division by zero (or INT64_MIN / -1). */
static int fold_scalar_i64(vrt__op op, int64_t x, int64_t y, int64_t *r) {
    switch (op) {
    case VRT__OP_Add: *r = (int64_t)((uint64_t)x + (uint64_t)y); return 1;
    case VRT__OP_Sub: *r = (int64_t)((uint64_t)x - (uint64_t)y); return 1;
    case VRT__OP_Mul: *r = (int64_t)((uint64_t)x * (uint64_t)y); return 1;
    case VRT__OP_Div:
        if (y == 0 || (x == INT64_MIN && y == -1)) return -1;
        *r = x / y;
        return 1;
    case VRT__OP_Max: *r = x > y ? x : y; return 1;
    case VRT__OP_Min: *r = x < y ? x : y; return 1;
    case VRT__OP_Equal: *r = x == y; return 1;
    case VRT__OP_Less: *r = x < y; return 1;
    case VRT__OP_Greater: *r = x > y; return 1;
    case VRT__OP_Neg: *r = (int64_t)(0 - (uint64_t)x); return 1;
    case VRT__OP_Not: *r = !x; return 1;
    case VRT__OP_Identity: *r = x; return 1;
    case VRT__OP_GreaterOrEqual: *r = x >= y; return 1;
    case VRT__OP_LessOrEqual: *r = x <= y; return 1;
    case VRT__OP_And: *r = (x != 0) & (y != 0); return 1;
    case VRT__OP_Or: *r = (x != 0) | (y != 0); return 1;
    case VRT__OP_Xor: *r = (x != 0) ^ (y != 0); return 1;
    case VRT__OP_Abs: *r = x < 0 ? (int64_t)(0 - (uint64_t)x) : x; return 1;
    case VRT__OP_Mod: {
        /* ONNX Mod on integers (fmod=0): the result takes the divisor's sign. */
        if (y == 0 || (x == INT64_MIN && y == -1)) return -1;
        int64_t m = x % y;
        *r = (m != 0 && ((m < 0) != (y < 0))) ? m + y : m;
        return 1;
    }
    default: return 0;
    }
}

/* Element i of the folded output into d: 1 done, 0 op not folded, -1 integer
 * division by zero. a, b, w: the inputs (b, w may be NULL); fl: float math. */
static int fold_elem(vrt__op op, int fl, const vrt__tensor *a, const vrt__tensor *b, const vrt__tensor *w,
                     const vrt__tensor *o, int64_t i, uint8_t *d) {
    int64_t ia = bidx(&a->shape, &o->shape, i), ib = b ? bidx(&b->shape, &o->shape, i) : 0;
    if (fl) {
        double x = elem_f64(a, ia), y = b ? elem_f64(b, ib) : 0, r = 0;
        if (op == VRT__OP_Where)
            r = elem_i64(a, ia) ? elem_f64(b, ib) : elem_f64(w, bidx(&w->shape, &o->shape, i));
        else if (!fold_scalar_f64(op, x, y, &r))
            return 0;
        store(d, o->dtype, i, 0, r, 1);
        return 1;
    }
    int64_t x = elem_i64(a, ia), y = b ? elem_i64(b, ib) : 0, r = 0;
    if (op == VRT__OP_Where) {
        r = x ? elem_i64(b, ib) : elem_i64(w, bidx(&w->shape, &o->shape, i));
    } else {
        int k = fold_scalar_i64(op, x, y, &r);
        if (k <= 0) return k;
    }
    store(d, o->dtype, i, r, 0, 0);
    return 1;
}

static vrt_status fold_elementwise(sctx *c, vrt__op op) {
    vrt__node *n = NODE;
    vrt__tensor *o = out_t(c, 0);
    if (!o || !foldable_size(&o->shape)) return VRT_OK;
    for (int k = 0; k < n->n_inputs; k++)
        if (!is_const(in_t(c, k))) return VRT_OK;
    int64_t cnt = numel(&o->shape);
    uint8_t *d = vrt_malloc((size_t)cnt * dsize(o->dtype) + 1);
    if (!d) return VRT_ENOMEM;
    vrt__tensor *a = in_t(c, 0), *b = n->n_inputs > 1 ? in_t(c, 1) : NULL,
                *w = n->n_inputs > 2 ? in_t(c, 2) : NULL;
    int fl = is_float_dt(a->dtype) || (op == VRT__OP_Where && b && is_float_dt(b->dtype));
    for (int64_t i = 0; i < cnt; i++) {
        int k = fold_elem(op, fl, a, b, w, o, i, d);
        if (k <= 0) {
            vrt_free(d);
            return k ? nfail(c, VRT_EINVAL, "integer division by zero in constant inputs") : VRT_OK;
        }
    }
    fold_output0(c, d);
    return VRT_OK;
}

/* Copies the input's data unchanged (Reshape/Flatten/Squeeze/Unsqueeze/Identity). */
static vrt_status fold_copy(sctx *c) {
    vrt__tensor *a = in_t(c, 0), *o = out_t(c, 0);
    if (!is_const(a) || !o || !foldable_size(&o->shape) || a->dtype != o->dtype) return VRT_OK;
    void *d = vrt_malloc(a->nbytes + 1);
    if (!d) return VRT_ENOMEM;
    memcpy(d, a->data, a->nbytes);
    fold_output0(c, d);
    return VRT_OK;
}

/* ---- per-op inference ----------------------------------------------------------------------- */

static vrt_status unary(sctx *c) {
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    return set_out(c, 0, in_t(c, 0)->dtype, &in_t(c, 0)->shape);
}

static vrt_status binary(sctx *c, vrt__dtype out_dt) {
    vrt_status st = need_inputs(c, 2, 2);
    if (st) return st;
    vrt__tensor *a = in_t(c, 0), *b = in_t(c, 1);
    vrt__shape o;
    char s1[96], s2[96];
    if (!broadcast(&a->shape, &b->shape, &o))
        return nfail(c, VRT_EINVAL, "shapes %s and %s do not broadcast", fmt_shape(&a->shape, s1, sizeof(s1)),
                     fmt_shape(&b->shape, s2, sizeof(s2)));
    return set_out(c, 0, out_dt ? out_dt : a->dtype, &o);
}

static vrt_status variadic(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 64);
    if (st) return st;
    vrt__shape o = in_t(c, 0)->shape;
    for (int k = 1; k < n->n_inputs; k++) {
        if (!in_t(c, k)) continue;
        vrt__shape t;
        if (!broadcast(&o, &in_t(c, k)->shape, &t))
            return nfail(c, VRT_EINVAL, "input shapes do not broadcast");
        o = t;
    }
    return set_out(c, 0, in_t(c, 0)->dtype, &o);
}

/* Reads explicit spatial params; fills pads/strides/dilations/kernel for `ns` spatial dims. */
static vrt_status spatial_params(sctx *c, int ns, const int64_t *kernel_from_w, int64_t *k, int64_t *s,
                                 int64_t *d, int64_t *p) {
    vrt__node *n = NODE;
    int cnt;
    const int64_t *v = vrt__node_get_ints(n, "kernel_shape", &cnt);
    if (v) {
        if (cnt != ns)
            return nfail(c, VRT_EINVAL, "kernel_shape has %d entries; the input has %d spatial dims", cnt,
                         ns);
        memcpy(k, v, (size_t)ns * 8);
    } else if (kernel_from_w) {
        memcpy(k, kernel_from_w, (size_t)ns * 8);
    } else {
        return nfail(c, VRT_EINVAL, "attribute kernel_shape is required");
    }
    for (int i = 0; i < ns; i++)
        s[i] = 1, d[i] = 1, p[i] = 0, p[i + ns] = 0;
    if ((v = vrt__node_get_ints(n, "strides", &cnt))) {
        if (cnt != ns) return nfail(c, VRT_EINVAL, "strides has %d entries, expected %d", cnt, ns);
        memcpy(s, v, (size_t)ns * 8);
    }
    if ((v = vrt__node_get_ints(n, "dilations", &cnt))) {
        if (cnt != ns) return nfail(c, VRT_EINVAL, "dilations has %d entries, expected %d", cnt, ns);
        memcpy(d, v, (size_t)ns * 8);
    }
    if ((v = vrt__node_get_ints(n, "pads", &cnt))) {
        if (cnt != 2 * ns) return nfail(c, VRT_EINVAL, "pads has %d entries, expected %d", cnt, 2 * ns);
        memcpy(p, v, (size_t)ns * 16);
    }
    for (int i = 0; i < ns; i++) {
        if (k[i] <= 0 || s[i] <= 0 || d[i] <= 0 || p[i] < 0 || p[i + ns] < 0 || k[i] > (1 << 20) ||
            s[i] > (1 << 20) || d[i] > (1 << 20) || p[i] > (1 << 20) || p[i + ns] > (1 << 20))
            return nfail(c, VRT_EINVAL,
                         "kernel_shape/strides/dilations must be positive and pads non-negative");
    }
    return VRT_OK;
}

static vrt_status write_spatial(sctx *c, int ns, const int64_t *k, const int64_t *s, const int64_t *d,
                                const int64_t *p) {
    vrt__node *n = NODE;
    vrt_status st;
    if ((st = vrt__node_set_ints(n, "kernel_shape", k, ns)) ||
        (st = vrt__node_set_ints(n, "strides", s, ns)) || (st = vrt__node_set_ints(n, "dilations", d, ns)) ||
        (st = vrt__node_set_ints(n, "pads", p, 2 * ns)) ||
        (st = vrt__node_set_string(n, "auto_pad", "NOTSET")))
        return st;
    return VRT_OK;
}

/* Output size and explicit pads for Conv and pooling. */
/* Conv's weight (and bias) against the input: rank, channels per group. */
static vrt_status conv_check_weight(sctx *c, const vrt__tensor *x, const vrt__tensor *w, int bias_index) {
    int64_t group = vrt__node_get_int(NODE, "group", 1);
    if (w->shape.ndim != x->shape.ndim)
        return nfail(c, VRT_EINVAL, "weight '%s' has rank %d; the input has rank %d", w->name, w->shape.ndim,
                     x->shape.ndim);
    if (group <= 0 || group > (1 << 20) || x->shape.d[1] % group || w->shape.d[1] * group != x->shape.d[1] ||
        w->shape.d[0] % group)
        return nfail(
            c, VRT_EINVAL, "channels do not fit: input %lld channels, weight [%lld,%lld,...], group %lld",
            (long long)x->shape.d[1], (long long)w->shape.d[0], (long long)w->shape.d[1], (long long)group);
    const vrt__tensor *b = bias_index >= 0 ? in_t(c, bias_index) : NULL;
    if (b && (b->shape.ndim != 1 || b->shape.d[0] != w->shape.d[0]))
        return nfail(c, VRT_EINVAL, "bias must have %lld entries", (long long)w->shape.d[0]);
    return VRT_OK;
}

/* One spatial dim of a conv or pool: the output size *out for input size in,
 * kernel k, stride s, dilation d; auto_pad ap rewrites the pads *pb, *pe. */
static vrt_status conv_out_dim(sctx *c, const char *ap, int ceil_mode, int64_t in, int64_t k, int64_t s,
                               int64_t d, int64_t *pb, int64_t *pe, int64_t *out) {
    int64_t ke = (k - 1) * d + 1;
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + ke - in;
        if (total < 0) total = 0;
        int64_t small = total / 2, big = total - small;
        *pb = !strcmp(ap, "SAME_UPPER") ? small : big;
        *pe = !strcmp(ap, "SAME_UPPER") ? big : small;
        return VRT_OK;
    }
    if (strcmp(ap, "VALID") && strcmp(ap, "NOTSET") && ap[0])
        return nfail(c, VRT_EUNSUPPORTED,
                     "auto_pad '%s' is not supported; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID", ap);
    if (!strcmp(ap, "VALID")) *pb = *pe = 0;
    int64_t span = in + *pb + *pe - ke;
    if (span < 0)
        return nfail(c, VRT_EINVAL, "the kernel (%lld) is larger than the padded input (%lld)", (long long)ke,
                     (long long)(in + *pb + *pe));
    *out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    /* The last window must start inside the input or its left padding. */
    if (ceil_mode && (*out - 1) * s >= in + *pb) (*out)--;
    return VRT_OK;
}

/* Conv-shaped ops: the weight is input wi (-1: a pool), the bias input bi;
 * the output has type out_dt (UNDEFINED: the input's). */
static vrt_status conv_like_ex(sctx *c, int wi, int bi, int min_in, int max_in, vrt__dtype out_dt) {
    vrt__node *n = NODE;
    int is_pool = wi < 0;
    vrt_status st = need_inputs(c, min_in, max_in);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0), *w = is_pool ? NULL : in_t(c, wi);
    if (!is_pool && !w) return nfail(c, VRT_EINVAL, "the weight input is missing");
    int r = x->shape.ndim, ns = r - 2;
    if (ns < 1)
        return nfail(c, VRT_EINVAL, "input '%s' must have at least 3 dimensions (N, C, spatial...)", x->name);
    int64_t k[VRT__MAX_DIMS], s[VRT__MAX_DIMS], d[VRT__MAX_DIMS], p[2 * VRT__MAX_DIMS];
    if (w && (st = conv_check_weight(c, x, w, bi))) return st;
    if ((st = spatial_params(c, ns, w ? &w->shape.d[2] : NULL, k, s, d, p))) return st;
    if (w)
        for (int i = 0; i < ns; i++)
            if (k[i] != w->shape.d[2 + i])
                return nfail(c, VRT_EINVAL, "kernel_shape does not match the weight's shape");
    const char *ap = vrt__node_get_string(n, "auto_pad", "NOTSET");
    int ceil_mode = is_pool ? (int)vrt__node_get_int(n, "ceil_mode", 0) : 0;
    if (is_pool && n->op == VRT__OP_MaxPool && (vrt__node_get_int(n, "storage_order", 0) & ~(int64_t)1) != 0)
        return nfail(c, VRT_EUNSUPPORTED, "storage_order=%lld is not supported (0 row major, 1 column major)",
                     (long long)vrt__node_get_int(n, "storage_order", 0));
    vrt__shape o;
    o.ndim = r;
    o.d[0] = x->shape.d[0];
    o.d[1] = w ? w->shape.d[0] : x->shape.d[1];
    for (int i = 0; i < ns; i++)
        if ((st = conv_out_dim(c, ap, ceil_mode, x->shape.d[2 + i], k[i], s[i], d[i], &p[i], &p[i + ns],
                               &o.d[2 + i])))
            return st;
    if ((st = write_spatial(c, ns, k, s, d, p))) return st;
    if ((st = set_out(c, 0, out_dt != VRT__DT_UNDEFINED ? out_dt : x->dtype, &o))) return st;
    if (n->op == VRT__OP_MaxPool && n->n_outputs > 1) return set_out(c, 1, VRT__DT_INT64, &o);
    return VRT_OK;
}

static vrt_status conv_transpose(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 2, 3);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0), *w = in_t(c, 1);
    int r = x->shape.ndim, ns = r - 2;
    if (ns < 1 || w->shape.ndim != r)
        return nfail(c, VRT_EINVAL, "input and weight must have the same rank >= 3");
    int64_t group = vrt__node_get_int(n, "group", 1);
    if (group <= 0 || group > (1 << 20) || w->shape.d[0] != x->shape.d[1] || x->shape.d[1] % group)
        return nfail(c, VRT_EINVAL, "weight [%lld,...] does not fit input channels %lld with group %lld",
                     (long long)w->shape.d[0], (long long)x->shape.d[1], (long long)group);
    int64_t k[VRT__MAX_DIMS], s[VRT__MAX_DIMS], d[VRT__MAX_DIMS], p[2 * VRT__MAX_DIMS],
        op[VRT__MAX_DIMS] = {0};
    if ((st = spatial_params(c, ns, &w->shape.d[2], k, s, d, p))) return st;
    int cnt;
    const int64_t *v = vrt__node_get_ints(n, "output_padding", &cnt);
    if (v) {
        if (cnt != ns) return nfail(c, VRT_EINVAL, "output_padding has %d entries, expected %d", cnt, ns);
        memcpy(op, v, (size_t)ns * 8);
    }
    const int64_t *os = vrt__node_get_ints(n, "output_shape", &cnt);
    if (os && cnt != ns) {
        if (cnt == r)
            os += 2; /* some exporters give the full shape */
        else
            return nfail(c, VRT_EINVAL, "output_shape has %d entries, expected %d", cnt, ns);
    }
    const char *ap = vrt__node_get_string(n, "auto_pad", "NOTSET");
    int same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER"), upper = !strcmp(ap, "SAME_UPPER");
    if (!same && strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && ap[0])
        return nfail(c, VRT_EUNSUPPORTED,
                     "auto_pad '%s' is not supported; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID", ap);
    /* Bounded so that the sizes below stay far inside int64 (core/checked.h). */
    for (int i = 0; i < ns; i++)
        if (op[i] < 0 || op[i] > (1 << 20) || (os && (os[i] < 0 || os[i] > VRT__MAX_TENSOR_ELEMS)))
            return nfail(c, VRT_EINVAL, "output_padding/output_shape entry %d is out of range", i);
    vrt__shape o;
    o.ndim = r;
    o.d[0] = x->shape.d[0];
    o.d[1] = w->shape.d[1] * group;
    for (int i = 0; i < ns; i++) {
        int64_t in = x->shape.d[2 + i], ke = (k[i] - 1) * d[i] + 1, full = s[i] * (in - 1) + op[i] + ke;
        if (!strcmp(ap, "VALID")) p[i] = p[i + ns] = 0;
        if (os || same) {
            int64_t out = os ? os[i] : in * s[i];
            int64_t total = full - out;
            if (total < 0) { /* the requested size needs extra output padding */
                op[i] += -total;
                total = 0;
            }
            int64_t half = total / 2;
            if (upper || (os && !same))
                p[i] = half, p[i + ns] = total - half;
            else
                p[i] = total - half, p[i + ns] = half;
            if (os && !same) p[i] = total - half, p[i + ns] = half;
            o.d[2 + i] = out;
        } else {
            o.d[2 + i] = full - p[i] - p[i + ns];
        }
    }
    if ((st = write_spatial(c, ns, k, s, d, p)) || (st = vrt__node_set_ints(n, "output_padding", op, ns)))
        return st;
    return set_out(c, 0, x->dtype, &o);
}

static vrt_status gemm(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 2, 3);
    if (st) return st;
    vrt__tensor *a = in_t(c, 0), *b = in_t(c, 1);
    if (a->shape.ndim != 2 || b->shape.ndim != 2) return nfail(c, VRT_EINVAL, "A and B must be 2-D");
    int ta = (int)vrt__node_get_int(n, "transA", 0), tb = (int)vrt__node_get_int(n, "transB", 0);
    int64_t M = ta ? a->shape.d[1] : a->shape.d[0], K = ta ? a->shape.d[0] : a->shape.d[1];
    int64_t K2 = tb ? b->shape.d[1] : b->shape.d[0], N = tb ? b->shape.d[0] : b->shape.d[1];
    if (K != K2)
        return nfail(c, VRT_EINVAL, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)K2);
    vrt__shape o = {2, {M, N}}, t;
    if (in_t(c, 2) && !broadcast(&o, &in_t(c, 2)->shape, &t))
        return nfail(c, VRT_EINVAL, "C does not broadcast to [M, N]");
    if (in_t(c, 2) && (t.ndim != 2 || t.d[0] != M || t.d[1] != N))
        return nfail(c, VRT_EINVAL, "C does not broadcast to [M, N]");
    return set_out(c, 0, a->dtype, &o);
}

/* MatMul-shaped ops: b is input bi, the output has type out_dt (UNDEFINED:
 * a's); the caller has checked the inputs. */
static vrt_status matmul_ex(sctx *c, int bi, vrt__dtype out_dt) {
    vrt__shape a = in_t(c, 0)->shape, b = in_t(c, bi)->shape;
    int a1 = a.ndim == 1, b1 = b.ndim == 1;
    if (a.ndim == 0 || b.ndim == 0) return nfail(c, VRT_EINVAL, "scalars are not allowed");
    if (a1) a.ndim = 2, a.d[1] = a.d[0], a.d[0] = 1;
    if (b1) b.ndim = 2, b.d[1] = 1;
    if (a.d[a.ndim - 1] != b.d[b.ndim - 2])
        return nfail(c, VRT_EINVAL, "inner dimensions differ (%lld vs %lld)", (long long)a.d[a.ndim - 1],
                     (long long)b.d[b.ndim - 2]);
    vrt__shape ba = a, bb = b, o;
    ba.ndim -= 2, bb.ndim -= 2;
    if (!broadcast(&ba, &bb, &o)) return nfail(c, VRT_EINVAL, "batch dimensions do not broadcast");
    if (o.ndim + 2 > VRT__MAX_DIMS) return nfail(c, VRT_EINVAL, "rank too large");
    if (!a1) o.d[o.ndim++] = a.d[a.ndim - 2];
    if (!b1) o.d[o.ndim++] = b.d[b.ndim - 1];
    return set_out(c, 0, out_dt != VRT__DT_UNDEFINED ? out_dt : in_t(c, 0)->dtype, &o);
}

static vrt_status matmul(sctx *c) {
    vrt_status st = need_inputs(c, 2, 2);
    if (st) return st;
    return matmul_ex(c, 1, VRT__DT_UNDEFINED);
}

static vrt_status concat(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1 << 16);
    if (st) return st;
    vrt__tensor *a = in_t(c, 0);
    int r = a->shape.ndim;
    int64_t ax;
    if (!norm_axis(vrt__node_get_int(n, "axis", n->opset < 4 ? 1 : 0), r, &ax))
        return nfail(c, VRT_EINVAL, "axis out of range for rank %d", r);
    vrt__shape o = a->shape;
    o.d[ax] = 0;
    int all_const = 1;
    for (int k = 0; k < n->n_inputs; k++) {
        vrt__tensor *t = in_t(c, k);
        if (!t) return nfail(c, VRT_EINVAL, "empty input name");
        if (t->shape.ndim != r || t->dtype != a->dtype)
            return nfail(c, VRT_EINVAL, "input '%s' has a different rank or type", t->name);
        for (int i = 0; i < r; i++)
            if (i != ax && t->shape.d[i] != a->shape.d[i])
                return nfail(c, VRT_EINVAL, "input '%s' differs outside the concat axis", t->name);
        o.d[ax] += t->shape.d[ax];
        all_const &= is_const(t);
    }
    if ((st = vrt__node_set_int(n, "axis", ax)) || (st = set_out(c, 0, a->dtype, &o))) return st;
    if (all_const && foldable_size(&o)) {
        size_t es = dsize(a->dtype);
        int64_t outer = 1, inner = 1;
        for (int i = 0; i < ax; i++)
            outer *= o.d[i];
        for (int i = (int)ax + 1; i < r; i++)
            inner *= o.d[i];
        uint8_t *d = vrt_malloc((size_t)numel(&o) * es + 1);
        if (!d) return VRT_ENOMEM;
        size_t pos = 0;
        for (int64_t q = 0; q < outer; q++)
            for (int k = 0; k < n->n_inputs; k++) {
                size_t chunk = (size_t)(in_t(c, k)->shape.d[ax] * inner) * es;
                memcpy(d + pos, (uint8_t *)in_t(c, k)->data + (size_t)q * chunk, chunk);
                pos += chunk;
            }
        fold_output0(c, d);
    }
    return VRT_OK;
}

static vrt_status split(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 2);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t ax;
    if ((st = axis_attr(c, x, 0, &ax))) return st;
    int64_t sp[MAXV];
    int cnt = 0, no = n->n_outputs;
    if (no < 1 || no > MAXV) return nfail(c, VRT_EINVAL, "needs 1..%d outputs", MAXV);
    if (in_t(c, 1)) {
        if (!const_ints(in_t(c, 1), sp, &cnt))
            return nfail(c, VRT_EUNSUPPORTED, "input 'split' must be constant at load");
    } else {
        const int64_t *v = vrt__node_get_ints(n, "split", &cnt);
        if (v) memcpy(sp, v, (size_t)cnt * 8);
    }
    int64_t dim = x->shape.d[ax];
    if (cnt == 0) {
        int64_t parts = vrt__node_get_int(n, "num_outputs", no);
        if (parts != no)
            return nfail(c, VRT_EINVAL, "num_outputs %lld differs from the %d outputs", (long long)parts, no);
        int64_t each = (dim + no - 1) / no; /* opset 18: the last chunk may be smaller */
        if (n->opset < 18 && dim % no)
            return nfail(c, VRT_EINVAL, "dimension %lld does not split evenly into %d", (long long)dim, no);
        for (int i = 0; i < no; i++) {
            int64_t rem = dim - each * i;
            sp[i] = rem < 0 ? 0 : rem < each ? rem : each;
        }
        cnt = no;
    }
    if (cnt != no) return nfail(c, VRT_EINVAL, "split has %d entries for %d outputs", cnt, no);
    int64_t sum = 0;
    for (int i = 0; i < cnt; i++) {
        if (sp[i] < 0) return nfail(c, VRT_EINVAL, "negative split size");
        sum += sp[i];
    }
    if (sum != dim)
        return nfail(c, VRT_EINVAL, "split sizes add up to %lld; the axis has %lld", (long long)sum,
                     (long long)dim);
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_ints(n, "split", sp, cnt)) || (st = vrt__node_set_int(n, "axis", ax))) return st;
    for (int i = 0; i < no; i++) {
        vrt__shape o = x->shape;
        o.d[ax] = sp[i];
        if ((st = set_out(c, i, x->dtype, &o))) return st;
    }
    return VRT_OK;
}

/* Slice's starts/ends/axes/steps from the attributes (opset < 10) or the
 * constant inputs, lengths checked, axes and steps defaulted; *ns entries. */
static vrt_status slice_args(sctx *c, int64_t *starts, int64_t *ends, int64_t *axes, int64_t *steps,
                             int *ns) {
    vrt__node *n = NODE;
    int ne = 0, na = 0, nst = 0;
    *ns = 0;
    if (n->opset < 10) {
        const int64_t *v;
        if ((v = vrt__node_get_ints(n, "starts", ns))) memcpy(starts, v, (size_t)*ns * 8);
        if ((v = vrt__node_get_ints(n, "ends", &ne))) memcpy(ends, v, (size_t)ne * 8);
        if ((v = vrt__node_get_ints(n, "axes", &na))) memcpy(axes, v, (size_t)na * 8);
    } else {
        if (!in_t(c, 1) || !in_t(c, 2)) return nfail(c, VRT_EINVAL, "inputs starts and ends are required");
        if (!const_ints(in_t(c, 1), starts, ns) || !const_ints(in_t(c, 2), ends, &ne) ||
            (in_t(c, 3) && !const_ints(in_t(c, 3), axes, &na)) ||
            (in_t(c, 4) && !const_ints(in_t(c, 4), steps, &nst)))
            return nfail(c, VRT_EUNSUPPORTED, "starts/ends/axes/steps must be constant at load");
    }
    if (*ns != ne || (na && na != *ns) || (nst && nst != *ns) || *ns > in_t(c, 0)->shape.ndim)
        return nfail(c, VRT_EINVAL, "starts/ends/axes/steps lengths differ");
    if (!na)
        for (int i = 0; i < *ns; i++)
            axes[i] = i;
    if (!nst)
        for (int i = 0; i < *ns; i++)
            steps[i] = 1;
    return VRT_OK;
}

/* Clamps one axis' start *s and end *e (ONNX rules, step != 0) against dim;
 * returns the number of elements taken. */
static int64_t slice_clamp(int64_t dim, int64_t step, int64_t *s, int64_t *e) {
    if (*s < 0) *s = *s < -dim ? 0 : *s + dim;
    if (*e < 0) *e = *e < -dim ? -1 : *e + dim; /* -1 only matters for negative steps */
    if (step > 0) {
        if (*s > dim) *s = dim;
        if (*e > dim) *e = dim;
        if (*e < 0) *e = 0;
        return *e > *s ? (*e - *s + step - 1) / step : 0;
    }
    if (*s > dim - 1) *s = dim - 1;
    if (*e > dim - 1) *e = dim - 1;
    if (*s < -1) *s = -1;
    return *s > *e ? (*s - *e + (-step) - 1) / (-step) : 0;
}

static vrt_status slice(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 5);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int r = x->shape.ndim;
    int64_t starts[MAXV], ends[MAXV], axes[MAXV], steps[MAXV];
    int ns = 0;
    if ((st = slice_args(c, starts, ends, axes, steps, &ns))) return st;
    vrt__shape o = x->shape;
    int seen[VRT__MAX_DIMS] = {0};
    for (int i = 0; i < ns; i++) {
        int64_t a;
        if (!norm_axis(axes[i], r, &a) || seen[a]++)
            return nfail(c, VRT_EINVAL, "bad or repeated axis %lld", (long long)axes[i]);
        axes[i] = a;
        if (steps[i] == 0) return nfail(c, VRT_EINVAL, "step 0");
        o.d[a] = slice_clamp(x->shape.d[a], steps[i], &starts[i], &ends[i]);
    }
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_ints(n, "starts", starts, ns)) ||
        (st = vrt__node_set_ints(n, "ends", ends, ns)) || (st = vrt__node_set_ints(n, "axes", axes, ns)) ||
        (st = vrt__node_set_ints(n, "steps", steps, ns)) || (st = set_out(c, 0, x->dtype, &o)))
        return st;
    if (is_const(x) && foldable_size(&o) && foldable_size(&x->shape)) {
        int64_t beg[VRT__MAX_DIMS], stp[VRT__MAX_DIMS];
        for (int i = 0; i < r; i++)
            beg[i] = 0, stp[i] = 1;
        for (int i = 0; i < ns; i++)
            beg[axes[i]] = starts[i], stp[axes[i]] = steps[i];
        return fold_index_copy(c, x, &o, beg, stp, 0);
    }
    return VRT_OK;
}

static vrt_status reshape(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 2);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t sh[MAXV];
    int cnt = 0;
    if (in_t(c, 1)) {
        if (!const_ints(in_t(c, 1), sh, &cnt))
            return nfail(c, VRT_EUNSUPPORTED, "the target shape must be constant at load");
    } else {
        const int64_t *v = vrt__node_get_ints(n, "shape", &cnt);
        if (!v) return nfail(c, VRT_EINVAL, "no target shape");
        memcpy(sh, v, (size_t)cnt * 8);
    }
    if (cnt > VRT__MAX_DIMS) return nfail(c, VRT_EUNSUPPORTED, "target rank %d > %d", cnt, VRT__MAX_DIMS);
    int allowzero = (int)vrt__node_get_int(n, "allowzero", 0), neg = -1, zeros = 0;
    vrt__shape o;
    o.ndim = cnt;
    int64_t known = 1;
    for (int i = 0; i < cnt; i++) {
        if (sh[i] == 0 && !allowzero) {
            if (i >= x->shape.ndim)
                return nfail(c, VRT_EINVAL, "0 at position %d copies a dimension the input does not have", i);
            o.d[i] = x->shape.d[i];
        } else if (sh[i] == -1) {
            if (neg >= 0) return nfail(c, VRT_EINVAL, "more than one -1 in the target shape");
            neg = i;
            o.d[i] = 1;
        } else if (sh[i] < 0) {
            return nfail(c, VRT_EINVAL, "negative dimension %lld", (long long)sh[i]);
        } else {
            o.d[i] = sh[i];
        }
        if (!vrt__mul_i64(known, o.d[i] ? o.d[i] : 1, &known) || known > VRT__MAX_TENSOR_ELEMS) {
            char s1[160];
            vrt__shape want = {cnt, {0}};
            memcpy(want.d, sh, (size_t)cnt * sizeof(sh[0]));
            return nfail(c, VRT_EINVAL, "target shape %s has more than %lld elements",
                         fmt_shape(&want, s1, sizeof(s1)), (long long)VRT__MAX_TENSOR_ELEMS);
        }
        if (!o.d[i]) zeros = 1;
    }
    if (zeros) known = 0;
    int64_t total = numel(&x->shape);
    if (neg >= 0) {
        if (known == 0 || total % known)
            return nfail(c, VRT_EINVAL, "cannot infer -1: %lld elements into blocks of %lld",
                         (long long)total, (long long)known);
        o.d[neg] = total / known;
    } else if (known != total) {
        char s1[96], s2[96];
        return nfail(c, VRT_EINVAL, "cannot reshape %s into %s", fmt_shape(&x->shape, s1, sizeof(s1)),
                     fmt_shape(&o, s2, sizeof(s2)));
    }
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_ints(n, "shape", o.d, o.ndim)) || (st = set_out(c, 0, x->dtype, &o))) return st;
    return fold_copy(c);
}

static vrt_status transpose(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int r = x->shape.ndim, cnt;
    int64_t perm[VRT__MAX_DIMS];
    const int64_t *v = vrt__node_get_ints(n, "perm", &cnt);
    if (v) {
        if (cnt != r) return nfail(c, VRT_EINVAL, "perm has %d entries for rank %d", cnt, r);
        int seen[VRT__MAX_DIMS] = {0};
        for (int i = 0; i < r; i++) {
            if (!norm_axis(v[i], r, &perm[i]) || seen[perm[i]]++)
                return nfail(c, VRT_EINVAL, "perm is not a permutation");
        }
    } else {
        for (int i = 0; i < r; i++)
            perm[i] = r - 1 - i;
    }
    vrt__shape o;
    o.ndim = r;
    for (int i = 0; i < r; i++)
        o.d[i] = x->shape.d[perm[i]];
    if ((st = vrt__node_set_ints(n, "perm", perm, r))) return st;
    return set_out(c, 0, x->dtype, &o);
}

static vrt_status flatten(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int r = x->shape.ndim;
    int64_t a = vrt__node_get_int(n, "axis", 1);
    if (a < 0) a += r;
    if (a < 0 || a > r) return nfail(c, VRT_EINVAL, "axis out of range for rank %d", r);
    vrt__shape o = {2, {1, 1}};
    for (int i = 0; i < r; i++)
        o.d[i < a ? 0 : 1] *= x->shape.d[i];
    if ((st = vrt__node_set_int(n, "axis", a)) || (st = set_out(c, 0, x->dtype, &o))) return st;
    return fold_copy(c);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static vrt_status squeeze_like(sctx *c, int unsq) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 2);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t ax[MAXV];
    int cnt = 0, has = 0;
    if ((st = axes_input_or_attr(c, ax, &cnt, &has))) return st;
    int r = x->shape.ndim;
    vrt__shape o;
    if (unsq) {
        if (!has || cnt == 0) return nfail(c, VRT_EINVAL, "axes are required");
        int orank = r + cnt;
        if (orank > VRT__MAX_DIMS)
            return nfail(c, VRT_EUNSUPPORTED, "output rank %d > %d", orank, VRT__MAX_DIMS);
        int mark[VRT__MAX_DIMS] = {0};
        for (int i = 0; i < cnt; i++) {
            int64_t a;
            if (!norm_axis(ax[i], orank, &a) || mark[a]++)
                return nfail(c, VRT_EINVAL, "bad or repeated axis %lld", (long long)ax[i]);
            ax[i] = a;
        }
        o.ndim = orank;
        for (int i = 0, j = 0; i < orank; i++)
            o.d[i] = mark[i] ? 1 : x->shape.d[j++];
        qsort(ax, (size_t)cnt, 8, cmp_i64);
    } else {
        int mark[VRT__MAX_DIMS] = {0};
        if (!has || cnt == 0) {
            cnt = 0;
            for (int i = 0; i < r; i++)
                if (x->shape.d[i] == 1) ax[cnt++] = i, mark[i] = 1;
        } else {
            for (int i = 0; i < cnt; i++) {
                int64_t a;
                if (!norm_axis(ax[i], r, &a) || mark[a]++)
                    return nfail(c, VRT_EINVAL, "bad or repeated axis %lld", (long long)ax[i]);
                if (x->shape.d[a] != 1)
                    return nfail(c, VRT_EINVAL, "axis %lld has size %lld, not 1", (long long)a,
                                 (long long)x->shape.d[a]);
                ax[i] = a;
            }
            qsort(ax, (size_t)cnt, 8, cmp_i64);
        }
        o.ndim = 0;
        for (int i = 0; i < r; i++)
            if (!mark[i]) o.d[o.ndim++] = x->shape.d[i];
    }
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_ints(n, "axes", ax, cnt)) || (st = set_out(c, 0, x->dtype, &o))) return st;
    return fold_copy(c);
}

static vrt_status gather(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 2, 2);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0), *idx = in_t(c, 1);
    int64_t ax;
    if ((st = axis_attr(c, x, 0, &ax))) return st;
    if (idx->dtype != VRT__DT_INT64 && idx->dtype != VRT__DT_INT32)
        return nfail(c, VRT_EINVAL, "indices must be int32 or int64");
    vrt__shape o;
    o.ndim = x->shape.ndim - 1 + idx->shape.ndim;
    if (o.ndim > VRT__MAX_DIMS)
        return nfail(c, VRT_EUNSUPPORTED, "output rank %d > %d", o.ndim, VRT__MAX_DIMS);
    int j = 0;
    for (int i = 0; i < ax; i++)
        o.d[j++] = x->shape.d[i];
    for (int i = 0; i < idx->shape.ndim; i++)
        o.d[j++] = idx->shape.d[i];
    for (int i = (int)ax + 1; i < x->shape.ndim; i++)
        o.d[j++] = x->shape.d[i];
    if ((st = vrt__node_set_int(n, "axis", ax)) || (st = set_out(c, 0, x->dtype, &o))) return st;
    if (is_const(idx)) { /* indices known: check them now so no kernel sees one out of range */
        int64_t dim = x->shape.d[ax], cnt = numel(&idx->shape);
        for (int64_t i = 0; i < cnt; i++) {
            int64_t v = elem_i64(idx, i);
            if (v < -dim || v >= dim)
                return nfail(c, VRT_EINVAL, "index %lld out of range for a dimension of %lld", (long long)v,
                             (long long)dim);
        }
    }
    if (is_const(x) && is_const(idx) && foldable_size(&o)) {
        size_t es = dsize(x->dtype);
        int64_t outer = 1, inner = 1, dim = x->shape.d[ax], ni = numel(&idx->shape);
        for (int i = 0; i < ax; i++)
            outer *= x->shape.d[i];
        for (int i = (int)ax + 1; i < x->shape.ndim; i++)
            inner *= x->shape.d[i];
        uint8_t *d = vrt_malloc((size_t)numel(&o) * es + 1);
        if (!d) return VRT_ENOMEM;
        size_t pos = 0;
        for (int64_t q = 0; q < outer; q++)
            for (int64_t i = 0; i < ni; i++) {
                int64_t v = elem_i64(idx, i);
                if (v < 0) v += dim;
                memcpy(d + pos, (uint8_t *)x->data + (size_t)((q * dim + v) * inner) * es,
                       (size_t)inner * es);
                pos += (size_t)inner * es;
            }
        fold_output0(c, d);
    }
    return VRT_OK;
}

static vrt_status shape_op(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int r = x->shape.ndim;
    int64_t s = vrt__node_get_int(n, "start", 0), e = vrt__node_get_int(n, "end", r);
    if (s < 0) s += r;
    if (e < 0) e += r;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    int64_t len = e > s ? e - s : 0;
    vrt__shape o = {1, {len}};
    if ((st = set_out(c, 0, VRT__DT_INT64, &o))) return st;
    int64_t *d = vrt_malloc((size_t)len * 8 + 1);
    if (!d) return VRT_ENOMEM;
    for (int64_t i = 0; i < len; i++)
        d[i] = x->shape.d[s + i];
    fold_output0(c, d);
    return VRT_OK;
}

static vrt_status expand_tile(sctx *c, int tile) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 2, 2);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t v[MAXV];
    int cnt;
    if (!const_ints(in_t(c, 1), v, &cnt))
        return nfail(c, VRT_EUNSUPPORTED, "its %s input must be constant at load",
                     tile ? "repeats" : "shape");
    if (cnt > VRT__MAX_DIMS) return nfail(c, VRT_EUNSUPPORTED, "rank %d > %d", cnt, VRT__MAX_DIMS);
    vrt__shape o;
    if (tile) {
        if (cnt != x->shape.ndim)
            return nfail(c, VRT_EINVAL, "repeats has %d entries for rank %d", cnt, x->shape.ndim);
        o = x->shape;
        for (int i = 0; i < cnt; i++) {
            if (v[i] < 0) return nfail(c, VRT_EINVAL, "negative repeat");
            if (!vrt__mul_i64(o.d[i], v[i], &o.d[i]) || o.d[i] > VRT__MAX_TENSOR_ELEMS)
                return nfail(c, VRT_EINVAL, "repeat %lld of axis %d gives more than %lld elements",
                             (long long)v[i], i, (long long)VRT__MAX_TENSOR_ELEMS);
        }
    } else {
        vrt__shape s = {cnt, {0}};
        for (int i = 0; i < cnt; i++)
            s.d[i] = v[i];
        if (!broadcast(&x->shape, &s, &o))
            return nfail(c, VRT_EINVAL, "shape does not broadcast with the input");
    }
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_ints(n, tile ? "repeats" : "shape", tile ? v : o.d, tile ? cnt : o.ndim)))
        return st;
    if ((st = set_out(c, 0, x->dtype, &o))) return st;
    if (is_const(x) && foldable_size(&o)) {
        return fold_index_copy(c, x, &o, NULL, NULL, !tile);
    }
    return VRT_OK;
}

static vrt_status pad(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 4);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int r = x->shape.ndim, cnt = 0;
    int64_t p[MAXV];
    float value = 0;
    if (n->opset < 11) {
        const int64_t *v = vrt__node_get_ints(n, "pads", &cnt);
        if (!v) v = vrt__node_get_ints(n, "paddings", &cnt); /* Pad-1 */
        if (v) memcpy(p, v, (size_t)cnt * 8);
        value = vrt__node_get_float(n, "value", 0);
    } else {
        if (!const_ints(in_t(c, 1), p, &cnt))
            return nfail(c, VRT_EUNSUPPORTED, "input 'pads' must be constant at load");
        if (in_t(c, 2)) {
            float fv[MAXV];
            int nv;
            if (!const_floats(in_t(c, 2), fv, &nv) || nv != 1)
                return nfail(c, VRT_EUNSUPPORTED, "constant_value must be a constant scalar");
            value = fv[0];
        }
    }
    if (in_t(c, 3)) { /* opset 18: axes; expand to every axis */
        int64_t ax[MAXV], full[2 * VRT__MAX_DIMS] = {0};
        int na;
        if (!const_ints(in_t(c, 3), ax, &na))
            return nfail(c, VRT_EUNSUPPORTED, "axes must be constant at load");
        if (cnt != 2 * na) return nfail(c, VRT_EINVAL, "pads has %d entries for %d axes", cnt, na);
        for (int i = 0; i < na; i++) {
            int64_t a;
            if (!norm_axis(ax[i], r, &a)) return nfail(c, VRT_EINVAL, "axis out of range");
            full[a] = p[i], full[a + r] = p[i + na];
        }
        memcpy(p, full, sizeof(full));
        cnt = 2 * r;
    }
    if (cnt != 2 * r)
        return nfail(c, VRT_EINVAL, "pads has %d entries; expected %d for rank %d", cnt, 2 * r, r);
    const char *mode = vrt__node_get_string(n, "mode", "constant");
    if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge") && strcmp(mode, "wrap"))
        return nfail(c, VRT_EUNSUPPORTED,
                     "mode '%s' is not supported; supported: constant, reflect, edge, wrap", mode);
    vrt__shape o = x->shape;
    for (int i = 0; i < r; i++) {
        if (!vrt__add_i64(o.d[i], p[i], &o.d[i]) || !vrt__add_i64(o.d[i], p[i + r], &o.d[i]) ||
            o.d[i] > VRT__MAX_TENSOR_ELEMS)
            return nfail(c, VRT_EINVAL, "pads %lld,%lld of axis %d give more than %lld elements",
                         (long long)p[i], (long long)p[i + r], i, (long long)VRT__MAX_TENSOR_ELEMS);
        if (o.d[i] < 0) return nfail(c, VRT_EINVAL, "negative pads remove more than the dimension");
        if (!strcmp(mode, "reflect") && (p[i] >= x->shape.d[i] || p[i + r] >= x->shape.d[i]) &&
            (p[i] > 0 || p[i + r] > 0))
            return nfail(c, VRT_EINVAL, "reflect pads must be smaller than the dimension");
    }
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_ints(n, "pads", p, 2 * r)) || (st = vrt__node_set_float(n, "value", value)) ||
        (st = vrt__node_set_string(n, "mode", mode)))
        return st;
    return set_out(c, 0, x->dtype, &o);
}

static vrt_status clip(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 3);
    if (st) return st;
    float lo = -INFINITY, hi = INFINITY;
    if (n->opset < 11) {
        lo = vrt__node_get_float(n, "min", -INFINITY);
        hi = vrt__node_get_float(n, "max", INFINITY);
    } else {
        float v[MAXV];
        int cnt;
        for (int k = 1; k <= 2; k++) {
            if (!in_t(c, k)) continue;
            if (!const_floats(in_t(c, k), v, &cnt) || cnt != 1)
                return nfail(c, VRT_EUNSUPPORTED, "min/max must be constant scalars at load");
            if (k == 1)
                lo = v[0];
            else
                hi = v[0];
        }
    }
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_float(n, "min", lo)) || (st = vrt__node_set_float(n, "max", hi))) return st;
    return set_out(c, 0, in_t(c, 0)->dtype, &in_t(c, 0)->shape);
}

/* CumSum: the axis input must be a constant scalar; it becomes the 'axis' attribute. */
static vrt_status cumsum(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 2, 2);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t v[MAXV], ax;
    int cnt;
    if (!const_ints(in_t(c, 1), v, &cnt) || cnt != 1)
        return nfail(c, VRT_EUNSUPPORTED, "axis must be a constant scalar at load");
    if (!norm_axis(v[0], x->shape.ndim, &ax)) return nfail(c, VRT_EINVAL, "axis out of range");
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_int(n, "axis", ax))) return st;
    return set_out(c, 0, x->dtype, &x->shape);
}

static vrt_status reduce(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 2);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int r = x->shape.ndim, cnt = 0;
    int64_t ax[MAXV];
    int has = 0;
    if ((st = axes_input_or_attr(c, ax, &cnt, &has))) return st;
    int keep = (int)vrt__node_get_int(n, "keepdims", 1);
    int mark[VRT__MAX_DIMS] = {0};
    if (cnt == 0) {
        if (vrt__node_get_int(n, "noop_with_empty_axes", 0)) {
            /* Identity: no axis reduced. */
        } else {
            for (int i = 0; i < r; i++)
                ax[i] = i, mark[i] = 1;
            cnt = r;
        }
    } else {
        for (int i = 0; i < cnt; i++) {
            int64_t a;
            if (!norm_axis(ax[i], r, &a) || mark[a]++)
                return nfail(c, VRT_EINVAL, "bad or repeated axis %lld", (long long)ax[i]);
            ax[i] = a;
        }
        qsort(ax, (size_t)cnt, 8, cmp_i64);
    }
    vrt__shape o;
    o.ndim = 0;
    for (int i = 0; i < r; i++) {
        if (!mark[i])
            o.d[o.ndim++] = x->shape.d[i];
        else if (keep)
            o.d[o.ndim++] = 1;
    }
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_ints(n, "axes", ax, cnt)) || (st = vrt__node_set_int(n, "keepdims", keep)))
        return st;
    return set_out(c, 0, x->dtype, &o);
}

/* Resize / Upsample as read from the node, then canonicalised: scales and
 * sizes expanded to every dim (fsc, fsz), the roi to every dim (froi). */
typedef struct rsz {
    float sc[MAXV], roi[MAXV];
    int64_t sz[MAXV];
    int nsc, nsz, nroi;
    const char *mode, *ctm, *nm, *karp;
    const int64_t *axv; /* opset 18 axes (NULL: all dims in order) */
    int cnt_axes;
    float fsc[VRT__MAX_DIMS];
    int64_t fsz[VRT__MAX_DIMS];
    float froi[2 * VRT__MAX_DIMS];
    int crop; /* tf_crop_and_resize */
} rsz;

/* scales / sizes / roi from the attributes (Upsample < 9) or the constant inputs. */
static vrt_status resize_inputs(sctx *c, int upsample, rsz *z) {
    vrt__node *n = NODE;
    vrt__tensor *tsc = NULL, *tsz = NULL, *troi = NULL;
    if (upsample) {
        if (n->opset < 9) {
            const float *v = vrt__node_get_floats(n, "scales", &z->nsc);
            if (!v) return nfail(c, VRT_EINVAL, "attribute scales is required");
            memcpy(z->sc, v, (size_t)z->nsc * 4);
        } else {
            tsc = in_t(c, 1);
        }
    } else if (n->opset < 11) {
        tsc = in_t(c, 1);
    } else {
        troi = in_t(c, 1), tsc = in_t(c, 2), tsz = in_t(c, 3);
    }
    if (tsc && numel(&tsc->shape) > 0 && !const_floats(tsc, z->sc, &z->nsc))
        return nfail(c, VRT_EUNSUPPORTED, "scales must be constant at load");
    if (tsz && numel(&tsz->shape) > 0 && !const_ints(tsz, z->sz, &z->nsz))
        return nfail(c, VRT_EUNSUPPORTED, "sizes must be constant at load");
    if (troi && numel(&troi->shape) > 0 && !const_floats(troi, z->roi, &z->nroi))
        return nfail(c, VRT_EUNSUPPORTED, "roi must be constant at load");
    if ((z->nsc > 0) == (z->nsz > 0))
        return nfail(c, VRT_EINVAL, "exactly one of scales and sizes must be given");
    return VRT_OK;
}

/* mode, coordinate_transformation_mode and nearest_mode with their opset
 * defaults, each checked against what the backends implement. */
static vrt_status resize_modes(sctx *c, int upsample, rsz *z) {
    vrt__node *n = NODE;
    static const char *const ctms[] = {"half_pixel",    "half_pixel_symmetric", "pytorch_half_pixel",
                                       "align_corners", "asymmetric",           "tf_crop_and_resize"};
    z->mode = vrt__node_get_string(n, "mode", "nearest");
    if (strcmp(z->mode, "nearest") && strcmp(z->mode, "linear") && strcmp(z->mode, "bilinear") &&
        strcmp(z->mode, "cubic"))
        return nfail(c, VRT_EUNSUPPORTED, "mode '%s' is not supported; supported: nearest, linear, cubic",
                     z->mode);
    if (!strcmp(z->mode, "bilinear")) z->mode = "linear"; /* Upsample-7 spelling */
    if (vrt__node_get_int(n, "antialias", 0))
        return nfail(c, VRT_EUNSUPPORTED, "antialias=1 is not supported");
    z->ctm = vrt__node_get_string(n, "coordinate_transformation_mode",
                                  n->opset < 11 || upsample ? "asymmetric" : "half_pixel");
    int ok = 0;
    for (size_t i = 0; i < sizeof(ctms) / sizeof(ctms[0]); i++)
        ok |= !strcmp(z->ctm, ctms[i]);
    if (!ok || !strcmp(z->ctm, "tf_half_pixel_for_nn"))
        return nfail(
            c, VRT_EUNSUPPORTED,
            "coordinate_transformation_mode '%s' is not supported; supported: half_pixel, "
            "half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_crop_and_resize",
            z->ctm);
    z->nm =
        vrt__node_get_string(n, "nearest_mode", upsample || n->opset < 11 ? "floor" : "round_prefer_floor");
    if (strcmp(z->nm, "round_prefer_floor") && strcmp(z->nm, "round_prefer_ceil") && strcmp(z->nm, "floor") &&
        strcmp(z->nm, "ceil"))
        return nfail(c, VRT_EUNSUPPORTED, "nearest_mode '%s' is not supported", z->nm);
    z->crop = !strcmp(z->ctm, "tf_crop_and_resize");
    return VRT_OK;
}

/* opset 18: axes lists which dims scales/sizes refer to; expand to every dim. */
static vrt_status resize_expand_axes(sctx *c, const vrt__tensor *x, rsz *z) {
    int r = x->shape.ndim;
    z->axv = vrt__node_get_ints(NODE, "axes", &z->cnt_axes);
    for (int i = 0; i < r; i++)
        z->fsc[i] = 1, z->fsz[i] = x->shape.d[i];
    int given = z->nsc ? z->nsc : z->nsz;
    if (!z->axv) {
        if (given != r) return nfail(c, VRT_EINVAL, "scales/sizes have %d entries for rank %d", given, r);
        for (int i = 0; i < r; i++) {
            if (z->nsc)
                z->fsc[i] = z->sc[i];
            else
                z->fsz[i] = z->sz[i];
        }
        return VRT_OK;
    }
    if (z->cnt_axes != given) return nfail(c, VRT_EINVAL, "axes and scales/sizes lengths differ");
    for (int i = 0; i < z->cnt_axes; i++) {
        int64_t a;
        if (!norm_axis(z->axv[i], r, &a)) return nfail(c, VRT_EINVAL, "axis out of range");
        if (z->nsc)
            z->fsc[a] = z->sc[i];
        else
            z->fsz[a] = z->sz[i];
    }
    return VRT_OK;
}

/* 1 when dim i of a rank-r input is resized (listed in axes, or no axes). */
static int resize_axis_listed(const rsz *z, int r, int i) {
    int in_axes = !z->axv;
    for (int k = 0; z->axv && k < z->cnt_axes; k++)
        in_axes |= (z->axv[k] < 0 ? z->axv[k] + r : z->axv[k]) == i;
    return in_axes;
}

/* keep_aspect_ratio_policy with sizes: one scale for every resized dim. */
static vrt_status resize_keep_aspect(sctx *c, const vrt__tensor *x, rsz *z) {
    int r = x->shape.ndim;
    z->karp = vrt__node_get_string(NODE, "keep_aspect_ratio_policy", "stretch");
    if (!z->nsz || !strcmp(z->karp, "stretch")) return VRT_OK;
    int nonlarger = !strcmp(z->karp, "not_larger");
    if (!nonlarger && strcmp(z->karp, "not_smaller"))
        return nfail(c, VRT_EUNSUPPORTED, "keep_aspect_ratio_policy '%s' is not supported", z->karp);
    double best = nonlarger ? INFINITY : 0;
    for (int i = 0; i < r; i++) {
        if (!resize_axis_listed(z, r, i)) continue;
        double s = (double)z->fsz[i] / (double)x->shape.d[i];
        best = nonlarger ? fmin(best, s) : fmax(best, s);
    }
    for (int i = 0; i < r; i++) {
        if (!resize_axis_listed(z, r, i)) continue;
        z->fsz[i] = (int64_t)floor((double)x->shape.d[i] * best + 0.5);
        z->fsc[i] = (float)best;
    }
    return VRT_OK;
}

/* tf_crop_and_resize's roi over every dim ([0..0, 1..1] otherwise). */
static vrt_status resize_roi(sctx *c, int r, rsz *z) {
    for (int i = 0; i < r; i++)
        z->froi[i] = 0, z->froi[i + r] = 1;
    if (!z->crop) return VRT_OK;
    if (z->nroi == 2 * r) {
        memcpy(z->froi, z->roi, (size_t)z->nroi * 4);
    } else if (z->axv && z->nroi == 2 * z->cnt_axes) {
        for (int k = 0; k < z->cnt_axes; k++) {
            int a = (int)(z->axv[k] < 0 ? z->axv[k] + r : z->axv[k]);
            z->froi[a] = z->roi[k], z->froi[a + r] = z->roi[k + z->cnt_axes];
        }
    } else {
        return nfail(c, VRT_EINVAL, "tf_crop_and_resize needs a roi of %d entries", 2 * r);
    }
    return VRT_OK;
}

/* The output shape from the scales (floor of in * roi span * scale) or the
 * sizes (then the scales of a stretch are recomputed from them). */
static vrt_status resize_out_shape(sctx *c, const vrt__tensor *x, rsz *z, vrt__shape *o) {
    int r = x->shape.ndim;
    *o = x->shape;
    for (int i = 0; i < r; i++) {
        if (z->nsc) {
            if (!(z->fsc[i] > 0) || !isfinite(z->fsc[i]))
                return nfail(c, VRT_EINVAL, "scales must be positive");
            double span = z->crop ? (double)(z->froi[i + r] - z->froi[i]) : 1.0;
            double v = floor((double)x->shape.d[i] * span * z->fsc[i] + 1e-6 * 0);
            if (!(v >= 0) || v > 1e12)
                return nfail(c, VRT_EINVAL, "scale gives an output dimension out of range");
            o->d[i] = (int64_t)v;
        } else {
            if (z->fsz[i] < 0) return nfail(c, VRT_EINVAL, "negative size");
            o->d[i] = z->fsz[i];
            if (strcmp(z->karp, "stretch") == 0)
                z->fsc[i] = x->shape.d[i] ? (float)z->fsz[i] / (float)x->shape.d[i] : 1.0f;
        }
    }
    return VRT_OK;
}

static vrt_status resize(sctx *c, int upsample) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 4);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int r = x->shape.ndim;
    rsz rz, *z = &rz;
    memset(z, 0, sizeof(*z));
    vrt__shape o;
    if ((st = resize_inputs(c, upsample, z)) || (st = resize_modes(c, upsample, z)) ||
        (st = resize_expand_axes(c, x, z)) || (st = resize_keep_aspect(c, x, z)) ||
        (st = resize_roi(c, r, z)) || (st = resize_out_shape(c, x, z, &o)))
        return st;
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_string(n, "mode", z->mode)) ||
        (st = vrt__node_set_string(n, "coordinate_transformation_mode", z->ctm)) ||
        (st = vrt__node_set_string(n, "nearest_mode", z->nm)) ||
        (st = vrt__node_set_floats(n, "scales", z->fsc, r)) || (st = vrt__node_set_ints(n, "sizes", o.d, r)))
        return st;
    if (z->crop && (st = vrt__node_set_floats(n, "roi", z->froi, 2 * r))) return st;
    if (upsample) {
        vrt_free(n->op_type);
        if (!(n->op_type = vrt_strdup("Resize"))) return VRT_ENOMEM;
        n->op = VRT__OP_Resize;
    }
    return set_out(c, 0, x->dtype, &o);
}

static vrt_status cast(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    int64_t to = vrt__node_get_int(n, "to", 0);
    if (!supported_dt((vrt__dtype)to))
        return nfail(c, VRT_EUNSUPPORTED,
                     "cast to data type %s (%lld) is not supported; supported: float, float16, double, "
                     "bfloat16, float8, float4, (u)int2/4/8/16/32/64, bool",
                     vrt__dtype_name((vrt__dtype)to), (long long)to);
    if (vrt__node_get_int(n, "saturate", 1) != 1) { /* only meaningful for float8 */
    }
    vrt__tensor *x = in_t(c, 0);
    if ((st = set_out(c, 0, (vrt__dtype)to, &x->shape))) return st;
    if (is_const(x) && foldable_size(&x->shape) && dsize((vrt__dtype)to) > 0) {
        int64_t cnt = numel(&x->shape);
        uint8_t *d = vrt_malloc((size_t)cnt * dsize((vrt__dtype)to) + 1);
        if (!d) return VRT_ENOMEM;
        int fl = is_float_dt(x->dtype);
        for (int64_t i = 0; i < cnt; i++) {
            double f = fl ? elem_f64(x, i) : 0;
            if (fl && !is_float_dt((vrt__dtype)to) && to != VRT__DT_BOOL && !(f > -9.2e18 && f < 9.2e18))
                f = 0; /* UB guard */
            store(d, (vrt__dtype)to, i, fl ? 0 : elem_i64(x, i), f, fl);
        }
        fold_output0(c, d);
    }
    return VRT_OK;
}

static vrt_status constant_of_shape(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    int64_t v[MAXV];
    int cnt;
    if (!const_ints(in_t(c, 0), v, &cnt))
        return nfail(c, VRT_EUNSUPPORTED, "its shape input must be constant at load");
    if (cnt > VRT__MAX_DIMS) return nfail(c, VRT_EUNSUPPORTED, "rank %d > %d", cnt, VRT__MAX_DIMS);
    vrt__shape o = {cnt, {0}};
    for (int i = 0; i < cnt; i++) {
        if (v[i] < 0 || v[i] > ((int64_t)1 << 31))
            return nfail(c, VRT_EINVAL, "bad dimension %lld", (long long)v[i]);
        o.d[i] = v[i];
    }
    const vrt__attr *a = vrt__node_attr(n, "value");
    vrt__dtype dt = VRT__DT_FLOAT;
    if (a) {
        if (a->type != VRT__AT_TENSOR || numel(&a->tensors[0].shape) != 1 || !a->tensors[0].data)
            return nfail(c, VRT_EINVAL, "value must be a one-element tensor");
        dt = a->tensors[0].dtype;
        if (!supported_dt(dt))
            return nfail(c, VRT_EUNSUPPORTED, "value of type %s is not supported", vrt__dtype_name(dt));
    }
    int64_t total = numel(&o);
    if (total < 0 || total > ((int64_t)1 << 31))
        return nfail(c, VRT_EINVAL, "output of %lld x %lld x ... elements is too large", (long long)o.d[0],
                     (long long)(cnt > 1 ? o.d[1] : 1));
    if ((st = vrt__node_set_ints(n, "shape", o.d, o.ndim)) || (st = set_out(c, 0, dt, &o))) return st;
    a = vrt__node_attr(n, "value"); /* set_ints may have moved the attribute array */
    if (foldable_size(&o)) {
        size_t es = dsize(dt);
        int64_t cntel = numel(&o);
        uint8_t *d = vrt_calloc((size_t)cntel + 1, es);
        if (!d) return VRT_ENOMEM;
        if (a)
            for (int64_t i = 0; i < cntel; i++)
                memcpy(d + (size_t)i * es, a->tensors[0].data, es);
        fold_output0(c, d);
    }
    return VRT_OK;
}

static vrt_status range(sctx *c) {
    vrt_status st = need_inputs(c, 3, 3);
    if (st) return st;
    vrt__tensor *s = in_t(c, 0), *l = in_t(c, 1), *d = in_t(c, 2);
    if (!is_const(s) || !is_const(l) || !is_const(d) || numel(&s->shape) != 1 || numel(&l->shape) != 1 ||
        numel(&d->shape) != 1)
        return nfail(c, VRT_EUNSUPPORTED, "start, limit and delta must be constant scalars at load");
    vrt__dtype dt = s->dtype;
    double fs = elem_f64(s, 0), fl = elem_f64(l, 0), fd = elem_f64(d, 0);
    if (fd == 0) return nfail(c, VRT_EINVAL, "delta is 0");
    double cnt = ceil((fl - fs) / fd);
    if (!(cnt >= 0)) cnt = 0;
    if (cnt > FOLD_MAX)
        return nfail(c, VRT_EUNSUPPORTED, "range of %.0f elements is larger than supported (%d)", cnt,
                     FOLD_MAX);
    vrt__shape o = {1, {(int64_t)cnt}};
    if ((st = set_out(c, 0, dt, &o))) return st;
    uint8_t *data = vrt_malloc((size_t)o.d[0] * dsize(dt) + 1);
    if (!data) return VRT_ENOMEM;
    int64_t is = elem_i64(s, 0), id = elem_i64(d, 0);
    for (int64_t i = 0; i < o.d[0]; i++)
        store(data, dt, i, is + i * id, fs + (double)i * fd, is_float_dt(dt));
    fold_output0(c, data);
    return VRT_OK;
}

static vrt_status where(sctx *c) {
    vrt_status st = need_inputs(c, 3, 3);
    if (st) return st;
    vrt__shape t, o;
    if (!broadcast(&in_t(c, 0)->shape, &in_t(c, 1)->shape, &t) || !broadcast(&t, &in_t(c, 2)->shape, &o))
        return nfail(c, VRT_EINVAL, "inputs do not broadcast");
    if ((st = set_out(c, 0, in_t(c, 1)->dtype, &o))) return st;
    return fold_elementwise(c, VRT__OP_Where);
}

static vrt_status argmax(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t ax;
    if ((st = axis_attr(c, x, 0, &ax))) return st;
    int keep = (int)vrt__node_get_int(n, "keepdims", 1);
    vrt__shape o;
    o.ndim = 0;
    for (int i = 0; i < x->shape.ndim; i++) {
        if (i != ax)
            o.d[o.ndim++] = x->shape.d[i];
        else if (keep)
            o.d[o.ndim++] = 1;
    }
    if ((st = vrt__node_set_int(n, "axis", ax)) || (st = vrt__node_set_int(n, "keepdims", keep))) return st;
    return set_out(c, 0, VRT__DT_INT64, &o);
}

static vrt_status topk(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 2);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t k;
    if (n->opset < 10) {
        k = vrt__node_get_int(n, "k", -1);
    } else {
        int64_t v[MAXV];
        int cnt;
        if (!const_ints(in_t(c, 1), v, &cnt) || cnt != 1)
            return nfail(c, VRT_EUNSUPPORTED, "k must be a constant at load");
        k = v[0];
    }
    int64_t ax;
    if ((st = axis_attr(c, x, -1, &ax))) return st;
    if (k < 0 || k > x->shape.d[ax])
        return nfail(c, VRT_EINVAL, "k=%lld is out of range for an axis of %lld", (long long)k,
                     (long long)x->shape.d[ax]);
    vrt__shape o = x->shape;
    o.d[ax] = k;
    drop_inputs_from(n, 1);
    if ((st = vrt__node_set_int(n, "k", k)) || (st = vrt__node_set_int(n, "axis", ax)) ||
        (st = vrt__node_set_int(n, "largest", vrt__node_get_int(n, "largest", 1))) ||
        (st = vrt__node_set_int(n, "sorted", vrt__node_get_int(n, "sorted", 1))))
        return st;
    if ((st = set_out(c, 0, x->dtype, &o))) return st;
    return set_out(c, 1, VRT__DT_INT64, &o);
}

static vrt_status depth_space(sctx *c, int to_space) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t b = vrt__node_get_int(n, "blocksize", 0);
    if (x->shape.ndim != 4 || b <= 0 || b > 4096)
        return nfail(c, VRT_EINVAL, "needs a 4-D input and a positive blocksize");
    vrt__shape o = x->shape;
    if (to_space) {
        if (x->shape.d[1] % (b * b))
            return nfail(c, VRT_EINVAL, "channels %lld not divisible by blocksize^2",
                         (long long)x->shape.d[1]);
        o.d[1] /= b * b, o.d[2] *= b, o.d[3] *= b;
        const char *m = vrt__node_get_string(n, "mode", "DCR");
        if (strcmp(m, "DCR") && strcmp(m, "CRD"))
            return nfail(c, VRT_EUNSUPPORTED, "mode '%s' is not supported; supported: DCR, CRD", m);
    } else {
        if (x->shape.d[2] % b || x->shape.d[3] % b)
            return nfail(c, VRT_EINVAL, "height/width not divisible by blocksize");
        o.d[1] *= b * b, o.d[2] /= b, o.d[3] /= b;
    }
    return set_out(c, 0, x->dtype, &o);
}

static vrt_status softmax(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    int64_t ax;
    if ((st = axis_attr(c, x, n->opset < 13 ? 1 : -1, &ax))) return st;
    if ((st = vrt__node_set_int(n, "axis", ax))) return st;
    if (n->opset < 13 && (st = vrt__node_set_int(n, "coerce_2d", 1))) return st;
    return set_out(c, 0, x->dtype, &x->shape);
}

static vrt_status norm_op(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st;
    vrt__tensor *x;
    switch (n->op) {
    case VRT__OP_BatchNormalization:
        if ((st = need_inputs(c, 5, 5))) return st;
        if (vrt__node_get_int(n, "training_mode", 0))
            return nfail(c, VRT_EUNSUPPORTED, "training_mode=1 is not supported (inference only)");
        for (int k = 1; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0)
                return nfail(c, VRT_EUNSUPPORTED,
                             "training outputs (mean/var) are not supported (inference only)");
        x = in_t(c, 0);
        if (x->shape.ndim < 2) return nfail(c, VRT_EINVAL, "input must have a channel dimension");
        for (int k = 1; k < 5; k++)
            if (numel(&in_t(c, k)->shape) != x->shape.d[1])
                return nfail(c, VRT_EINVAL, "scale/bias/mean/var must have %lld entries",
                             (long long)x->shape.d[1]);
        return set_out(c, 0, x->dtype, &x->shape);
    case VRT__OP_InstanceNormalization:
        if ((st = need_inputs(c, 3, 3))) return st;
        return set_out(c, 0, in_t(c, 0)->dtype, &in_t(c, 0)->shape);
    default: { /* LayerNormalization */
        if ((st = need_inputs(c, 2, 3))) return st;
        x = in_t(c, 0);
        int64_t ax;
        if ((st = axis_attr(c, x, -1, &ax))) return st;
        if ((st = vrt__node_set_int(n, "axis", ax)) || (st = set_out(c, 0, x->dtype, &x->shape))) return st;
        vrt__shape m = x->shape;
        for (int i = (int)ax; i < m.ndim; i++)
            m.d[i] = 1;
        vrt__dtype sdt = (vrt__dtype)vrt__node_get_int(n, "stash_type", VRT__DT_FLOAT);
        if ((st = set_out(c, 1, sdt, &m))) return st;
        return set_out(c, 2, sdt, &m);
    }
    }
}

static vrt_status dropout(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st = need_inputs(c, 1, 3);
    if (st) return st;
    if (in_t(c, 2)) {
        int64_t v[MAXV];
        int cnt;
        if (!const_ints(in_t(c, 2), v, &cnt) || cnt != 1 || v[0])
            return nfail(c, VRT_EUNSUPPORTED, "training_mode must be a constant false (inference only)");
    }
    if (n->opset < 7 && vrt__node_get_int(n, "is_test", 1) == 0) { /* old exports: treated as inference */
    }
    drop_inputs_from(n, 1);
    vrt__tensor *x = in_t(c, 0);
    if ((st = set_out(c, 0, x->dtype, &x->shape))) return st;
    return set_out(c, 1, VRT__DT_BOOL, &x->shape);
}

/* ---- the shape functions of the op table (model/ops.h, last column) ---- */

static vrt_status conv_op(sctx *c) {
    return conv_like_ex(c, 1, 2, 2, 3, VRT__DT_UNDEFINED);
}
static vrt_status pool_op(sctx *c) {
    return conv_like_ex(c, -1, -1, 1, 1, VRT__DT_UNDEFINED);
}
static vrt_status global_pool(sctx *c) {
    vrt_status st;
    if ((st = need_inputs(c, 1, 1))) return st;
    vrt__shape o = in_t(c, 0)->shape;
    if (o.ndim < 3) return nfail(c, VRT_EINVAL, "input needs N, C and spatial dimensions");
    for (int i = 2; i < o.ndim; i++)
        o.d[i] = 1;
    return set_out(c, 0, in_t(c, 0)->dtype, &o);
}
/* Unary ops whose constant inputs are folded here. */
static vrt_status unary_fold(sctx *c) {
    vrt_status st;
    if ((st = unary(c))) return st;
    return fold_elementwise(c, (vrt__op)NODE->op);
}
static vrt_status not_op(sctx *c) {
    vrt_status st;
    if ((st = unary(c))) return st;
    if (in_t(c, 0)->dtype != VRT__DT_BOOL) return nfail(c, VRT_EINVAL, "input must be bool");
    return fold_elementwise(c, VRT__OP_Not);
}
static vrt_status prelu(sctx *c) {
    vrt_status st;
    if ((st = binary(c, 0))) return st;
    vrt__tensor *o = out_t(c, 0);
    if (o && o->shape.ndim != in_t(c, 0)->shape.ndim)
        return nfail(c, VRT_EINVAL, "slope must broadcast to the input");
    return VRT_OK;
}
static vrt_status pow_op(sctx *c) {
    vrt_status st = binary(c, in_t(c, 0) ? in_t(c, 0)->dtype : 0);
    if (st || !is_float_dt(in_t(c, 0)->dtype)) return st;
    return fold_elementwise(c, VRT__OP_Pow);
}
/* Add, Sub, Mul, Div. */
static vrt_status arith(sctx *c) {
    vrt__node *n = NODE;
    vrt_status st;
    if (n->opset < 7 && vrt__node_get_int(n, "broadcast", 0) && vrt__node_attr(n, "axis"))
        return nfail(c, VRT_EUNSUPPORTED,
                     "legacy broadcast with an explicit axis (opset < 7) is not supported");
    if ((st = binary(c, 0))) return st;
    if (in_t(c, 0)->dtype != in_t(c, 1)->dtype) return nfail(c, VRT_EINVAL, "inputs have different types");
    /* Integer Mod with fmod=1 (C remainder) is not folded: the step refuses it with a message. */
    if (n->op == VRT__OP_Mod && vrt__node_get_int(n, "fmod", 0) && !is_float_dt(in_t(c, 0)->dtype))
        return VRT_OK;
    return fold_elementwise(c, (vrt__op)n->op);
}
static vrt_status compare(sctx *c) {
    vrt_status st;
    if ((st = binary(c, VRT__DT_BOOL))) return st;
    return fold_elementwise(c, (vrt__op)NODE->op);
}
/* And, Or, Xor: bool inputs with broadcasting. */
static vrt_status logic(sctx *c) {
    vrt_status st;
    if ((st = binary(c, VRT__DT_BOOL))) return st;
    if (in_t(c, 0)->dtype != VRT__DT_BOOL || in_t(c, 1)->dtype != VRT__DT_BOOL)
        return nfail(c, VRT_EINVAL, "inputs must be bool");
    return fold_elementwise(c, (vrt__op)NODE->op);
}
/* IsNaN, IsInf: float -> bool of the same shape; folded when constant. */
static vrt_status is_nan_inf(sctx *c) {
    vrt_status st = need_inputs(c, 1, 1);
    if (st) return st;
    vrt__tensor *x = in_t(c, 0);
    if (!is_float_dt(x->dtype)) return nfail(c, VRT_EINVAL, "input must be a float type");
    if ((st = set_out(c, 0, VRT__DT_BOOL, &x->shape))) return st;
    if (!is_const(x) || !foldable_size(&x->shape)) return VRT_OK;
    int inf = NODE->op == VRT__OP_IsInf, pos = vrt__node_get_int(NODE, "detect_positive", 1) != 0,
        neg = vrt__node_get_int(NODE, "detect_negative", 1) != 0;
    int64_t cnt = numel(&x->shape);
    uint8_t *d = vrt_malloc((size_t)cnt + 1);
    if (!d) return VRT_ENOMEM;
    for (int64_t i = 0; i < cnt; i++) {
        double v = elem_f64(x, i);
        d[i] = (uint8_t)(inf ? (isinf(v) && ((v > 0 && pos) || (v < 0 && neg))) : isnan(v));
    }
    fold_output0(c, d);
    return VRT_OK;
}
/* Max, Min: variadic, folded with two inputs. */
static vrt_status minmax(sctx *c) {
    vrt_status st;
    if ((st = variadic(c))) return st;
    if (NODE->n_inputs <= 2) return fold_elementwise(c, (vrt__op)NODE->op);
    return VRT_OK;
}
static vrt_status squeeze(sctx *c) {
    return squeeze_like(c, 0);
}
static vrt_status unsqueeze(sctx *c) {
    return squeeze_like(c, 1);
}
static vrt_status expand(sctx *c) {
    return expand_tile(c, 0);
}
static vrt_status tile(sctx *c) {
    return expand_tile(c, 1);
}
static vrt_status resize_op(sctx *c) {
    return resize(c, 0);
}
static vrt_status upsample(sctx *c) {
    return resize(c, 1);
}
static vrt_status depth_to_space(sctx *c) {
    return depth_space(c, 1);
}
static vrt_status space_to_depth(sctx *c) {
    return depth_space(c, 0);
}
/* ---- quantization ---- */

static vrt_status quant_check(sctx *c, vrt__dtype qt) {
    int32_t lo, hi;
    if (vrt__dtype_is_lowp_float(qt))
        return nfail(c, VRT_EUNSUPPORTED,
                     "float8/float4 quantization is not supported; supported: (u)int2/4/8/16, int32");
    if (!vrt__quant_range(qt, &lo, &hi))
        return nfail(c, VRT_EUNSUPPORTED,
                     "quantized type %s is not supported; supported: (u)int2/4/8/16, int32",
                     vrt__dtype_name(qt));
    vrt__quant_params p;
    char m[200] = "";
    vrt__tensor *zp = in_t(c, 2);
    if (vrt__op_quant_params(NODE, &in_t(c, 0)->shape, &in_t(c, 1)->shape, zp ? &zp->shape : NULL, &p, m,
                             sizeof(m)))
        return nfail(c, VRT_EINVAL, "%s", m);
    return VRT_OK;
}

static vrt_status quantize_linear(sctx *c) {
    vrt_status st = need_inputs(c, 2, 3);
    if (st) return st;
    vrt__tensor *zp = in_t(c, 2);
    vrt__dtype qt = zp ? zp->dtype : (vrt__dtype)vrt__node_get_int(NODE, "output_dtype", VRT__DT_UINT8);
    if (!is_float_dt(in_t(c, 0)->dtype))
        return nfail(c, VRT_EUNSUPPORTED, "input type %s; supported: float, float16",
                     vrt__dtype_name(in_t(c, 0)->dtype));
    if (qt == VRT__DT_INT32) return nfail(c, VRT_EUNSUPPORTED, "int32 is not a QuantizeLinear output type");
    if ((st = quant_check(c, qt))) return st;
    return set_out(c, 0, qt, &in_t(c, 0)->shape);
}

static vrt_status dequantize_linear(sctx *c) {
    vrt_status st = need_inputs(c, 2, 3);
    if (st) return st;
    vrt__dtype ft = in_t(c, 1)->dtype;
    if (!is_float_dt(ft)) return nfail(c, VRT_EINVAL, "the scale must be a float");
    if ((st = quant_check(c, in_t(c, 0)->dtype))) return st;
    return set_out(c, 0, ft == VRT__DT_DOUBLE ? VRT__DT_FLOAT : ft, &in_t(c, 0)->shape);
}

/* 8-bit quantized data input k; 1 when it is. */
static int q8(sctx *c, int k) {
    vrt__tensor *t = in_t(c, k);
    return t && (t->dtype == VRT__DT_UINT8 || t->dtype == VRT__DT_INT8);
}

static vrt_status qconv_types(sctx *c, int wi) {
    if (!q8(c, 0) || !q8(c, wi)) return nfail(c, VRT_EUNSUPPORTED, "input and weight must be int8 or uint8");
    return VRT_OK;
}

static vrt_status qlinear_conv(sctx *c) {
    vrt_status st = need_inputs(c, 8, 9);
    if (st || (st = qconv_types(c, 3))) return st;
    for (int k = 1; k < 8; k++)
        if (!in_t(c, k)) return nfail(c, VRT_EINVAL, "input %d (scale or zero point) is missing", k);
    return conv_like_ex(c, 3, 8, 8, 9, in_t(c, 7)->dtype);
}

static vrt_status conv_integer(sctx *c) {
    vrt_status st = need_inputs(c, 2, 4);
    if (st || (st = qconv_types(c, 1))) return st;
    return conv_like_ex(c, 1, -1, 2, 4, VRT__DT_INT32);
}

static vrt_status qlinear_matmul(sctx *c) {
    vrt_status st = need_inputs(c, 8, 8);
    if (st || (st = qconv_types(c, 3))) return st;
    for (int k = 1; k < 8; k++)
        if (!in_t(c, k)) return nfail(c, VRT_EINVAL, "input %d (scale or zero point) is missing", k);
    return matmul_ex(c, 3, in_t(c, 7)->dtype);
}

static vrt_status matmul_integer(sctx *c) {
    vrt_status st = need_inputs(c, 2, 4);
    if (st || (st = qconv_types(c, 1))) return st;
    return matmul_ex(c, 1, VRT__DT_INT32);
}

/* Constant nodes are turned into initializers by the reader. */
static vrt_status no_shape(sctx *c) {
    return nfail(c, VRT_EUNSUPPORTED, "no shape inference for this op");
}

typedef vrt_status (*shape_fn)(sctx *c);
static const shape_fn g_shape_fns[VRT__OP_COUNT] = {
#define VRT__OP_SHAPE(name, lo, hi, fam, shape) [VRT__OP_##name] = shape,
    VRT__OP_LIST(VRT__OP_SHAPE)
#undef VRT__OP_SHAPE
};

static vrt_status infer_node(sctx *c) {
    int op = NODE->op;
    if (op <= 0 || op >= VRT__OP_COUNT) return no_shape(c);
    return g_shape_fns[op](c);
}

vrt_status vrt__ir_infer(vrt__ir *ir, char *err, size_t cap) {
    sctx c = {ir, 0, err, cap, NULL};
    if (ir->n_nodes == 0) return VRT_OK;
    c.dead = vrt_calloc((size_t)ir->n_nodes, 1);
    if (!c.dead) return VRT_ENOMEM;
    vrt_status st = VRT_OK;
    for (c.ni = 0; c.ni < ir->n_nodes; c.ni++) {
        st = infer_node(&c);
        if (st) {
            if (st == VRT_ENOMEM && err && cap)
                vrt_errbuf_set(err, cap, "out of memory during shape inference");
            goto out;
        }
        vrt__node *n = &ir->nodes[c.ni];
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0 && !ir->tensors[n->outputs[k]].shape_known) {
                /* Optional outputs we do not produce (e.g. Dropout mask when unnamed) are -1; a named one
                 * must be known. */
                st = nfail(&c, VRT_EUNSUPPORTED, "output %d ('%s') is not supported", k,
                           ir->tensors[n->outputs[k]].name);
                goto out;
            }
    }
    /* Drop folded nodes. */
    int w = 0;
    for (int i = 0; i < ir->n_nodes; i++) {
        if (c.dead[i]) {
            vrt__node *n = &ir->nodes[i];
            vrt_free(n->name);
            vrt_free(n->op_type);
            vrt_free(n->domain);
            vrt_free(n->inputs);
            vrt_free(n->outputs);
            for (int k = 0; k < n->n_attrs; k++)
                vrt__attr_free(&n->attrs[k]);
            vrt_free(n->attrs);
            continue;
        }
        ir->nodes[w++] = ir->nodes[i];
    }
    ir->n_nodes = w;
    st = vrt__ir_relink(ir);
out:
    vrt_free(c.dead);
    return st;
}
