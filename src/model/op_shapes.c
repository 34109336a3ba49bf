/*
 * The op parameter structs' defaults, resolution and output shapes (see
 * model/op_params.h): the ONNX rules every backend and shape inference
 * share.
 */
#include <math.h>
#include <string.h>

#include "core/checked.h"
#include "model/op_params.h"

/* ---- fused activation --------------------------------------------- */

const char *vrt__act_name(vrt__act_kind k) {
    switch (k) {
    case VRT__ACT_NONE: return "none";
    case VRT__ACT_RELU: return "Relu";
    case VRT__ACT_LEAKY_RELU: return "LeakyRelu";
    case VRT__ACT_CLIP: return "Clip";
    case VRT__ACT_SIGMOID: return "Sigmoid";
    case VRT__ACT_SILU: return "SiLU";
    case VRT__ACT_HARD_SWISH: return "HardSwish";
    case VRT__ACT_HARD_SIGMOID: return "HardSigmoid";
    case VRT__ACT_TANH: return "Tanh";
    case VRT__ACT_GELU: return "Gelu";
    case VRT__ACT_GELU_TANH: return "Gelu(tanh)";
    default: return "unknown";
    }
}

/* ---- Conv / ConvTranspose ----------------------------------------- */

void vrt__conv_default_params(vrt__conv_params *p) {
    memset(p, 0, sizeof(*p));
    p->nsp = 2;
    p->group = 1;
    for (int i = 0; i < VRT__MAX_SPATIAL; i++) {
        p->strides[i] = 1;
        p->dilations[i] = 1;
    }
    p->act.kind = VRT__ACT_NONE;
}

static vrt_status vrt__conv_check_common(const vrt__conv_params *p, const char *op, char *err,
                                         size_t errcap) {
    if (p->nsp < 1 || p->nsp > VRT__MAX_SPATIAL) {
        vrt_errbuf_set(err, errcap, "%s: %d spatial dims not supported; supported: 1, 2, 3", op, p->nsp);
        return VRT_EUNSUPPORTED;
    }
    if (p->N <= 0 || p->C <= 0 || p->M <= 0 || p->group <= 0) {
        vrt_errbuf_set(err, errcap, "%s: N=%lld C=%lld M=%lld group=%lld must all be positive", op,
                       (long long)p->N, (long long)p->C, (long long)p->M, (long long)p->group);
        return VRT_EINVAL;
    }
    if (p->C % p->group || p->M % p->group) {
        vrt_errbuf_set(err, errcap, "%s: group=%lld must divide input channels %lld and output channels %lld",
                       op, (long long)p->group, (long long)p->C, (long long)p->M);
        return VRT_EINVAL;
    }
    for (int i = 0; i < p->nsp; i++) {
        if (p->in[i] <= 0 || p->k[i] <= 0 || p->strides[i] <= 0 || p->dilations[i] <= 0) {
            vrt_errbuf_set(err, errcap,
                           "%s: spatial dim %d: input %lld, kernel %lld, stride %lld, dilation "
                           "%lld must all be positive",
                           op, i, (long long)p->in[i], (long long)p->k[i], (long long)p->strides[i],
                           (long long)p->dilations[i]);
            return VRT_EINVAL;
        }
    }
    if (p->auto_pad < VRT__AUTO_PAD_NOTSET || p->auto_pad > VRT__AUTO_PAD_VALID) {
        vrt_errbuf_set(err, errcap,
                       "%s: unknown auto_pad %d; supported: NOTSET, SAME_UPPER, "
                       "SAME_LOWER, VALID",
                       op, (int)p->auto_pad);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

vrt_status vrt__conv_resolve(vrt__conv_params *p, char *err, size_t errcap) {
    vrt_status st = vrt__conv_check_common(p, "Conv", err, errcap);
    if (st) return st;
    for (int i = 0; i < p->nsp; i++) {
        int64_t ek = (p->k[i] - 1) * p->dilations[i] + 1;
        switch (p->auto_pad) {
        case VRT__AUTO_PAD_SAME_UPPER:
        case VRT__AUTO_PAD_SAME_LOWER: {
            int64_t o = (p->in[i] + p->strides[i] - 1) / p->strides[i];
            int64_t total = (o - 1) * p->strides[i] + ek - p->in[i];
            if (total < 0) total = 0;
            int64_t small = total / 2;
            p->pads_begin[i] = p->auto_pad == VRT__AUTO_PAD_SAME_UPPER ? small : total - small;
            p->pads_end[i] = total - p->pads_begin[i];
            break;
        }
        case VRT__AUTO_PAD_VALID: p->pads_begin[i] = p->pads_end[i] = 0; break;
        default: break;
        }
        if (p->pads_begin[i] < 0 || p->pads_end[i] < 0) {
            vrt_errbuf_set(err, errcap, "Conv: negative pads (%lld, %lld) on spatial dim %d",
                           (long long)p->pads_begin[i], (long long)p->pads_end[i], i);
            return VRT_EINVAL;
        }
        int64_t span = p->in[i] + p->pads_begin[i] + p->pads_end[i] - ek;
        if (span < 0) {
            vrt_errbuf_set(err, errcap,
                           "Conv: dilated kernel %lld is larger than padded input %lld on spatial "
                           "dim %d",
                           (long long)ek, (long long)(p->in[i] + p->pads_begin[i] + p->pads_end[i]), i);
            return VRT_EINVAL;
        }
        p->out[i] = span / p->strides[i] + 1;
    }
    for (int i = p->nsp; i < VRT__MAX_SPATIAL; i++)
        p->out[i] = 0;
    p->auto_pad = VRT__AUTO_PAD_NOTSET;
    return VRT_OK;
}

vrt_status vrt__conv_transpose_resolve(vrt__conv_params *p, char *err, size_t errcap) {
    vrt_status st = vrt__conv_check_common(p, "ConvTranspose", err, errcap);
    if (st) return st;
    int have_shape = 0;
    for (int i = 0; i < p->nsp; i++)
        have_shape |= p->output_shape[i] != 0;
    for (int i = 0; i < p->nsp; i++) {
        int64_t ek = (p->k[i] - 1) * p->dilations[i] + 1;
        int64_t s = p->strides[i];
        if (p->output_padding[i] < 0 ||
            (p->output_padding[i] >= s && p->output_padding[i] >= p->dilations[i])) {
            vrt_errbuf_set(err, errcap,
                           "ConvTranspose: output_padding %lld on spatial dim %d must be smaller "
                           "than the stride %lld or the dilation %lld",
                           (long long)p->output_padding[i], i, (long long)s, (long long)p->dilations[i]);
            return VRT_EINVAL;
        }
        int64_t natural = s * (p->in[i] - 1) + p->output_padding[i] + ek;
        int64_t want = -1;
        if (have_shape)
            want = p->output_shape[i];
        else if (p->auto_pad == VRT__AUTO_PAD_SAME_UPPER || p->auto_pad == VRT__AUTO_PAD_SAME_LOWER)
            want = p->in[i] * s;
        if (want >= 0) {
            if (want <= 0) {
                vrt_errbuf_set(err, errcap,
                               "ConvTranspose: output_shape %lld on spatial dim %d must be positive",
                               (long long)want, i);
                return VRT_EINVAL;
            }
            /* ONNX: total padding split in half, the odd one at the end for
             * SAME_UPPER and at the beginning otherwise. A negative total
             * (a larger output than the natural one) leaves the extra
             * elements at the end, holding only the bias. */
            int64_t total = natural - want;
            if (total >= 0) {
                int64_t half = total / 2;
                p->pads_begin[i] = p->auto_pad == VRT__AUTO_PAD_SAME_UPPER ? half : total - half;
                p->pads_end[i] = total - p->pads_begin[i];
            } else {
                p->pads_begin[i] = 0;
                p->pads_end[i] = total;
            }
            p->out[i] = want;
        } else {
            if (p->auto_pad == VRT__AUTO_PAD_VALID) p->pads_begin[i] = p->pads_end[i] = 0;
            if (p->pads_begin[i] < 0 || p->pads_end[i] < 0) {
                vrt_errbuf_set(err, errcap, "ConvTranspose: negative pads on spatial dim %d", i);
                return VRT_EINVAL;
            }
            p->out[i] = natural - p->pads_begin[i] - p->pads_end[i];
            if (p->out[i] <= 0) {
                vrt_errbuf_set(err, errcap,
                               "ConvTranspose: pads (%lld, %lld) leave no output on spatial dim %d",
                               (long long)p->pads_begin[i], (long long)p->pads_end[i], i);
                return VRT_EINVAL;
            }
        }
    }
    for (int i = p->nsp; i < VRT__MAX_SPATIAL; i++)
        p->out[i] = 0;
    p->auto_pad = VRT__AUTO_PAD_NOTSET;
    return VRT_OK;
}

/* ---- pooling ------------------------------------------------------ */

void vrt__pool_default_params(vrt__pool_params *p) {
    memset(p, 0, sizeof(*p));
    p->nsp = 2;
    for (int i = 0; i < VRT__MAX_SPATIAL; i++) {
        p->strides[i] = 1;
        p->dilations[i] = 1;
    }
}

vrt_status vrt__pool_resolve(vrt__pool_params *p, char *err, size_t errcap) {
    if (p->nsp < 1 || p->nsp > VRT__MAX_SPATIAL) {
        vrt_errbuf_set(err, errcap, "pool: %d spatial dims not supported; supported: 1, 2, 3", p->nsp);
        return VRT_EUNSUPPORTED;
    }
    if (p->N <= 0 || p->C <= 0) {
        vrt_errbuf_set(err, errcap, "pool: N=%lld C=%lld must be positive", (long long)p->N, (long long)p->C);
        return VRT_EINVAL;
    }
    for (int i = 0; i < p->nsp; i++) {
        if (p->in[i] <= 0 || p->k[i] <= 0 || p->strides[i] <= 0 || p->dilations[i] <= 0 ||
            p->pads_begin[i] < 0 || p->pads_end[i] < 0) {
            vrt_errbuf_set(err, errcap,
                           "pool: spatial dim %d: input %lld, kernel %lld, stride %lld, dilation "
                           "%lld must be positive and pads (%lld, %lld) not negative",
                           i, (long long)p->in[i], (long long)p->k[i], (long long)p->strides[i],
                           (long long)p->dilations[i], (long long)p->pads_begin[i],
                           (long long)p->pads_end[i]);
            return VRT_EINVAL;
        }
        int64_t ek = (p->k[i] - 1) * p->dilations[i] + 1, s = p->strides[i];
        switch (p->auto_pad) {
        case VRT__AUTO_PAD_SAME_UPPER:
        case VRT__AUTO_PAD_SAME_LOWER: {
            int64_t o = (p->in[i] + s - 1) / s;
            int64_t total = (o - 1) * s + ek - p->in[i];
            if (total < 0) total = 0;
            int64_t small = total / 2;
            p->pads_begin[i] = p->auto_pad == VRT__AUTO_PAD_SAME_UPPER ? small : total - small;
            p->pads_end[i] = total - p->pads_begin[i];
            p->out[i] = o;
            continue;
        }
        case VRT__AUTO_PAD_VALID: p->pads_begin[i] = p->pads_end[i] = 0; break;
        case VRT__AUTO_PAD_NOTSET: break;
        default:
            vrt_errbuf_set(err, errcap,
                           "pool: unknown auto_pad %d; supported: NOTSET, SAME_UPPER, "
                           "SAME_LOWER, VALID",
                           (int)p->auto_pad);
            return VRT_EINVAL;
        }
        int64_t span = p->in[i] + p->pads_begin[i] + p->pads_end[i] - ek;
        if (span < 0) {
            vrt_errbuf_set(err, errcap,
                           "pool: kernel %lld (dilated) is larger than the padded input %lld on "
                           "spatial dim %d",
                           (long long)ek, (long long)(span + ek), i);
            return VRT_EINVAL;
        }
        int64_t o = (p->ceil_mode ? (span + s - 1) / s : span / s) + 1;
        if (p->ceil_mode && (o - 1) * s >= p->in[i] + p->pads_begin[i]) o--;
        p->out[i] = o;
    }
    for (int i = p->nsp; i < VRT__MAX_SPATIAL; i++)
        p->out[i] = 0;
    p->auto_pad = VRT__AUTO_PAD_NOTSET;
    return VRT_OK;
}

/* ---- normalisation ------------------------------------------------ */

vrt_status vrt__layernorm_split(const vrt__shape *s, int64_t axis, int64_t *outer, int64_t *inner) {
    if (!s || s->ndim < 1 || s->ndim > VRT__MAX_DIMS) return VRT_EINVAL;
    if (axis < 0) axis += s->ndim;
    if (axis < 0 || axis >= s->ndim) return VRT_EINVAL;
    int64_t o = 1, in = 1;
    for (int i = 0; i < s->ndim; i++) {
        if (i < axis)
            o *= s->d[i];
        else
            in *= s->d[i];
    }
    *outer = o;
    *inner = in;
    return VRT_OK;
}

/* ---- Gemm / MatMul ------------------------------------------------ */

void vrt__gemm_default_params(vrt__gemm_params *p) {
    memset(p, 0, sizeof(*p));
    p->alpha = 1.0f;
    p->beta = 1.0f;
    p->act.kind = VRT__ACT_NONE;
}

vrt_status vrt__matmul_shape(const vrt__shape *a, const vrt__shape *b, vrt__shape *out) {
    if (!a || !b || !out || a->ndim < 1 || b->ndim < 1 || a->ndim > VRT__MAX_DIMS || b->ndim > VRT__MAX_DIMS)
        return VRT_EINVAL;
    int64_t K = a->d[a->ndim - 1];
    int64_t Kb = b->ndim == 1 ? b->d[0] : b->d[b->ndim - 2];
    if (K != Kb) return VRT_EINVAL;
    int abatch = a->ndim > 2 ? a->ndim - 2 : 0, bbatch = b->ndim > 2 ? b->ndim - 2 : 0;
    int nb = abatch > bbatch ? abatch : bbatch;
    vrt__shape o;
    o.ndim = 0;
    for (int i = 0; i < nb; i++) {
        int ia = i - (nb - abatch), ib = i - (nb - bbatch);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1) return VRT_EINVAL;
        o.d[o.ndim++] = da == 1 ? db : da;
    }
    if (a->ndim >= 2) o.d[o.ndim++] = a->d[a->ndim - 2];
    if (b->ndim >= 2) o.d[o.ndim++] = b->d[b->ndim - 1];
    if (o.ndim > VRT__MAX_DIMS) return VRT_EINVAL;
    *out = o;
    return VRT_OK;
}

/* ---- element-wise ------------------------------------------------- */

static const char *const k_unary_names[VRT__UN_COUNT] = {
    "Identity", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip", "Erf",
    "Exp",      "Log",  "Sqrt",      "Neg",     "Abs",  "Reciprocal",  "SiLU",      "Pow",  "Floor",
    "Ceil",     "Elu",  "Softplus",  "Mish",    "Gelu", "GeluTanh",    "Sin",       "Cos",
};

const char *vrt__unary_name(vrt__unary_op op) {
    return (op >= 0 && op < VRT__UN_COUNT) ? k_unary_names[op] : "?";
}

void vrt__unary_default_params(vrt__unary_op op, vrt__unary_params *p) {
    memset(p, 0, sizeof(*p));
    p->op = op;
    p->min = -INFINITY;
    p->max = INFINITY;
    switch (op) {
    case VRT__UN_LEAKY_RELU: p->alpha = 0.01f; break;
    case VRT__UN_HARD_SIGMOID:
        p->alpha = 0.2f;
        p->beta = 0.5f;
        break;
    case VRT__UN_ELU: p->alpha = 1.0f; break;
    case VRT__UN_POW_SCALAR: p->alpha = 1.0f; break;
    default: break;
    }
}

static const char *const k_binary_names[VRT__BIN_COUNT] = {"Add", "Sub", "Mul",   "Div", "Max",
                                                           "Min", "Pow", "PRelu", "Mod"};

const char *vrt__binary_name(vrt__binary_op op) {
    return (op >= 0 && op < VRT__BIN_COUNT) ? k_binary_names[op] : "?";
}

/* ---- reductions --------------------------------------------------- */

void vrt__reduce_default_params(vrt__reduce_op op, vrt__reduce_params *p) {
    memset(p, 0, sizeof(*p));
    p->op = op;
    p->keepdims = 1;
}

/* Marks the reduced axes; returns 0 (no-op: copy) or 1 (reduce). */
vrt_status vrt__reduce_axes(const vrt__reduce_params *p, const vrt__shape *sx, int red[VRT__MAX_DIMS],
                            int *noop) {
    if (p->op < 0 || p->op >= VRT__RED_COUNT) return VRT_EUNSUPPORTED;
    if (p->naxes < 0 || p->naxes > VRT__MAX_DIMS || sx->ndim < 0 || sx->ndim > VRT__MAX_DIMS)
        return VRT_EINVAL;
    memset(red, 0, sizeof(int) * VRT__MAX_DIMS);
    *noop = 0;
    if (p->naxes == 0) {
        if (p->noop_with_empty_axes) {
            *noop = 1;
            return VRT_OK;
        }
        for (int i = 0; i < sx->ndim; i++)
            red[i] = 1;
        return VRT_OK;
    }
    for (int i = 0; i < p->naxes; i++) {
        int a;
        if (vrt__axis_index(p->axes[i], sx->ndim, &a)) return VRT_EINVAL;
        if (red[a]) return VRT_EINVAL;
        red[a] = 1;
    }
    return VRT_OK;
}

vrt_status vrt__reduce_out_shape(const vrt__reduce_params *p, const vrt__shape *sx, vrt__shape *sy) {
    int red[VRT__MAX_DIMS], noop;
    vrt_status st = vrt__reduce_axes(p, sx, red, &noop);
    if (st) return st;
    if (noop) {
        *sy = *sx;
        return VRT_OK;
    }
    vrt__shape s;
    s.ndim = 0;
    for (int i = 0; i < sx->ndim; i++) {
        if (!red[i])
            s.d[s.ndim++] = sx->d[i];
        else if (p->keepdims)
            s.d[s.ndim++] = 1;
    }
    *sy = s;
    return VRT_OK;
}

vrt_status vrt__argmax_out_shape(const vrt__argmax_params *p, const vrt__shape *sx, vrt__shape *sy) {
    int axis;
    if (vrt__axis_index(p->axis, sx->ndim, &axis)) return VRT_EINVAL;
    vrt__shape s;
    s.ndim = 0;
    for (int i = 0; i < sx->ndim; i++) {
        if (i != axis)
            s.d[s.ndim++] = sx->d[i];
        else if (p->keepdims)
            s.d[s.ndim++] = 1;
    }
    *sy = s;
    return VRT_OK;
}

vrt_status vrt__topk_out_shape(const vrt__topk_params *p, const vrt__shape *sx, vrt__shape *sy) {
    int axis;
    if (vrt__axis_index(p->axis, sx->ndim, &axis)) return VRT_EINVAL;
    if (p->k < 0 || p->k > sx->d[axis]) return VRT_EINVAL;
    *sy = *sx;
    sy->d[axis] = p->k;
    return VRT_OK;
}

/* ---- data movement ------------------------------------------------ */

vrt_status vrt__concat_out_shape(int64_t axis, int n, const vrt__shape *shapes, vrt__shape *sy) {
    if (n < 1 || n > VRT__MAX_CONCAT_INPUTS || !vrt__shape_valid(&shapes[0])) return VRT_EINVAL;
    int a = 0;
    if (vrt__axis_index(axis, shapes[0].ndim, &a)) return VRT_EINVAL;
    vrt__shape s = shapes[0];
    for (int k = 1; k < n; k++) {
        if (shapes[k].ndim != s.ndim || !vrt__shape_valid(&shapes[k])) return VRT_EINVAL;
        for (int i = 0; i < s.ndim; i++)
            if (i != a && shapes[k].d[i] != s.d[i]) return VRT_EINVAL;
        s.d[a] += shapes[k].d[a];
    }
    *sy = s;
    return VRT_OK;
}

vrt_status vrt__split_even(int64_t dim, int n, int64_t *sizes) {
    if (n < 1 || dim < 0) return VRT_EINVAL;
    int64_t chunk = (dim + n - 1) / n;
    int64_t left = dim;
    for (int i = 0; i < n; i++) {
        sizes[i] = left < chunk ? left : chunk;
        left -= sizes[i];
    }
    return VRT_OK;
}

/* Per-axis start and step after clamping, and the count. */
vrt_status vrt__slice_resolve(const vrt__slice_params *p, const vrt__shape *sx, int64_t *start, int64_t *step,
                              int64_t *count) {
    if (!vrt__shape_valid(sx) || p->n < 0 || p->n > sx->ndim) return VRT_EINVAL;
    int seen[VRT__MAX_DIMS] = {0};
    for (int i = 0; i < sx->ndim; i++) {
        start[i] = 0;
        step[i] = 1;
        count[i] = sx->d[i];
    }
    for (int k = 0; k < p->n; k++) {
        int a;
        if (vrt__axis_index(p->axes[k], sx->ndim, &a) || seen[a]) return VRT_EINVAL;
        seen[a] = 1;
        int64_t d = sx->d[a], s = p->starts[k], e = p->ends[k], t = p->steps[k];
        if (t == 0) return VRT_EINVAL;
        /* ONNX: negative values add d; starts clamp to [0, d] (step > 0) or
         * [0, d-1] (step < 0); ends clamp to [0, d] or [-1, d-1]. */
        if (s < 0) s += d;
        if (e < 0) e += d;
        if (s < 0) s = 0;
        if (t > 0) {
            if (s > d) s = d;
            if (e > d) e = d;
            if (e < 0) e = 0;
            count[a] = e > s ? (e - s + t - 1) / t : 0;
        } else {
            if (s > d - 1) s = d - 1;
            if (e > d - 1) e = d - 1;
            if (e < -1) e = -1;
            count[a] = s > e ? (s - e + (-t) - 1) / (-t) : 0;
        }
        start[a] = s;
        step[a] = t;
    }
    return VRT_OK;
}

vrt_status vrt__slice_out_shape(const vrt__slice_params *p, const vrt__shape *sx, vrt__shape *sy) {
    int64_t start[VRT__MAX_DIMS], step[VRT__MAX_DIMS], count[VRT__MAX_DIMS];
    vrt_status st = vrt__slice_resolve(p, sx, start, step, count);
    if (st) return st;
    sy->ndim = sx->ndim;
    for (int i = 0; i < sx->ndim; i++)
        sy->d[i] = count[i];
    return VRT_OK;
}

vrt_status vrt__transpose_perm(const int64_t *perm, int nperm, int nd, int *pm) {
    if (nperm == 0) {
        for (int i = 0; i < nd; i++)
            pm[i] = nd - 1 - i;
        return VRT_OK;
    }
    if (nperm != nd) return VRT_EINVAL;
    int seen[VRT__MAX_DIMS] = {0};
    for (int i = 0; i < nd; i++) {
        int a;
        if (vrt__axis_index(perm[i], nd, &a) || seen[a]) return VRT_EINVAL;
        seen[a] = 1;
        pm[i] = a;
    }
    return VRT_OK;
}

vrt_status vrt__transpose_out_shape(const int64_t *perm, int nperm, const vrt__shape *sx, vrt__shape *sy) {
    int pm[VRT__MAX_DIMS];
    if (!vrt__shape_valid(sx) || vrt__transpose_perm(perm, nperm, sx->ndim, pm)) return VRT_EINVAL;
    sy->ndim = sx->ndim;
    for (int i = 0; i < sx->ndim; i++)
        sy->d[i] = sx->d[pm[i]];
    return VRT_OK;
}

vrt_status vrt__gather_out_shape(int64_t axis, const vrt__shape *sx, const vrt__shape *si, vrt__shape *sy) {
    int a = 0;
    if (!vrt__shape_valid(sx) || !vrt__shape_valid(si) || vrt__axis_index(axis, sx->ndim, &a))
        return VRT_EINVAL;
    if (sx->ndim - 1 + si->ndim > VRT__MAX_DIMS) return VRT_EINVAL;
    vrt__shape s;
    s.ndim = 0;
    for (int i = 0; i < a; i++)
        s.d[s.ndim++] = sx->d[i];
    for (int i = 0; i < si->ndim; i++)
        s.d[s.ndim++] = si->d[i];
    for (int i = a + 1; i < sx->ndim; i++)
        s.d[s.ndim++] = sx->d[i];
    *sy = s;
    return VRT_OK;
}

vrt_status vrt__tile_out_shape(const vrt__shape *sx, const int64_t *repeats, int n, vrt__shape *sy) {
    if (!vrt__shape_valid(sx) || n != sx->ndim) return VRT_EINVAL;
    vrt__shape s = *sx;
    for (int i = 0; i < n; i++) {
        if (repeats[i] < 0 || !vrt__mul_i64(s.d[i], repeats[i], &s.d[i]) || s.d[i] > VRT__MAX_TENSOR_ELEMS)
            return VRT_EINVAL;
    }
    *sy = s;
    return VRT_OK;
}

vrt_status vrt__pad_out_shape(const vrt__pad_params *p, const vrt__shape *sx, vrt__shape *sy) {
    if (!vrt__shape_valid(sx)) return VRT_EINVAL;
    int nd = sx->ndim;
    vrt__shape s = *sx;
    for (int i = 0; i < nd; i++) {
        s.d[i] = sx->d[i] + p->pads[i] + p->pads[i + nd];
        if (s.d[i] < 0) return VRT_EINVAL;
    }
    *sy = s;
    return VRT_OK;
}

vrt_status vrt__depth_to_space_out_shape(int64_t b, const vrt__shape *sx, vrt__shape *sy) {
    if (!vrt__shape_valid(sx) || sx->ndim != 4 || b < 1 || sx->d[1] % (b * b)) return VRT_EINVAL;
    *sy = *sx;
    sy->d[1] = sx->d[1] / (b * b);
    sy->d[2] = sx->d[2] * b;
    sy->d[3] = sx->d[3] * b;
    return VRT_OK;
}

vrt_status vrt__space_to_depth_out_shape(int64_t b, const vrt__shape *sx, vrt__shape *sy) {
    if (!vrt__shape_valid(sx) || sx->ndim != 4 || b < 1 || sx->d[2] % b || sx->d[3] % b) return VRT_EINVAL;
    *sy = *sx;
    sy->d[1] = sx->d[1] * b * b;
    sy->d[2] = sx->d[2] / b;
    sy->d[3] = sx->d[3] / b;
    return VRT_OK;
}

/* ---- Expand ------------------------------------------------------- */

vrt_status vrt__expand_out_shape(const vrt__shape *sx, const int64_t *shape, int n, vrt__shape *sy) {
    if (n < 0 || n > VRT__MAX_DIMS) return VRT_EINVAL;
    vrt__shape s;
    s.ndim = n;
    for (int i = 0; i < n; i++) {
        if (shape[i] < 0) return VRT_EINVAL;
        s.d[i] = shape[i];
    }
    return vrt__broadcast_shape(sx, &s, sy);
}

/* ---- Resize ------------------------------------------------------- */

void vrt__resize_default_params(vrt__resize_params *p) {
    memset(p, 0, sizeof(*p));
    p->mode = VRT__RESIZE_NEAREST;
    p->coord = VRT__COORD_HALF_PIXEL;
    p->nearest_mode = VRT__NEAREST_ROUND_PREFER_FLOOR;
    p->keep_aspect = VRT__ASPECT_STRETCH;
    p->cubic_coeff_a = -0.75f;
}

/* The enum fields in range; axes (all when none given) into axes[*na]. */
static vrt_status vrt__resize_axes(const vrt__resize_params *p, int nd, int *axes, int *na_out) {
    if (nd < 1 || nd > VRT__MAX_DIMS) return VRT_EINVAL;
    if (p->antialias) return VRT_ENOTSUP;
    if (p->mode < VRT__RESIZE_NEAREST || p->mode > VRT__RESIZE_CUBIC) return VRT_EUNSUPPORTED;
    if (p->coord < VRT__COORD_HALF_PIXEL || p->coord > VRT__COORD_TF_HALF_PIXEL_FOR_NN)
        return VRT_EUNSUPPORTED;
    if (p->nearest_mode < 0 || p->nearest_mode > VRT__NEAREST_CEIL) return VRT_EUNSUPPORTED;
    if (!!p->have_scales == !!p->have_sizes) return VRT_EINVAL;
    int na = p->naxes;
    if (na < 0 || na > nd) return VRT_EINVAL;
    if (na == 0) {
        na = nd;
        for (int i = 0; i < nd; i++)
            axes[i] = i;
    } else {
        int seen[VRT__MAX_DIMS] = {0};
        for (int i = 0; i < na; i++) {
            int64_t a = p->axes[i];
            if (a < -nd || a >= nd) return VRT_EINVAL;
            axes[i] = (int)(a < 0 ? a + nd : a);
            if (seen[axes[i]]++) return VRT_EINVAL;
        }
    }
    *na_out = na;
    return VRT_OK;
}

/* Sizes given with keep_aspect_ratio_policy: one scale for every axis. */
static vrt_status vrt__resize_keep_aspect(const vrt__resize_params *p, const vrt__shape *sx, const int *axes,
                                          int na, vrt__resize_plan *pl) {
    if (p->keep_aspect == VRT__ASPECT_STRETCH) {
        for (int k = 0; k < na; k++) {
            int a = axes[k];
            if (sx->d[a] == 0) return VRT_EINVAL;
            pl->scale[a] = (double)pl->out[a] / (double)sx->d[a];
        }
        return VRT_OK;
    }
    if (p->keep_aspect != VRT__ASPECT_NOT_LARGER && p->keep_aspect != VRT__ASPECT_NOT_SMALLER)
        return VRT_EUNSUPPORTED;
    double s = p->keep_aspect == VRT__ASPECT_NOT_LARGER ? INFINITY : 0.0;
    for (int k = 0; k < na; k++) {
        int a = axes[k];
        if (sx->d[a] == 0) return VRT_EINVAL;
        double r = (double)p->sizes[k] / (double)sx->d[a];
        s = p->keep_aspect == VRT__ASPECT_NOT_LARGER ? fmin(s, r) : fmax(s, r);
    }
    for (int k = 0; k < na; k++) {
        int a = axes[k];
        pl->scale[a] = s;
        /* round half to even, as numpy's round in ONNX's reference */
        pl->out[a] = (int64_t)nearbyint(s * (double)sx->d[a]);
    }
    return VRT_OK;
}

vrt_status vrt__resize_plan_make(const vrt__resize_params *p, const vrt__shape *sx, vrt__resize_plan *pl) {
    int nd = sx->ndim, axes[VRT__MAX_DIMS], na = 0;
    vrt_status st = vrt__resize_axes(p, nd, axes, &na);
    if (st) return st;
    pl->nd = nd;
    for (int i = 0; i < nd; i++) {
        pl->scale[i] = 1.0;
        pl->out[i] = sx->d[i];
        pl->roi_start[i] = 0.0;
        pl->roi_end[i] = 1.0;
        if (sx->d[i] < 0) return VRT_EINVAL;
    }
    for (int k = 0; k < na; k++) {
        int a = axes[k];
        if (p->have_roi) {
            pl->roi_start[a] = p->roi[k];
            pl->roi_end[a] = p->roi[k + na];
        }
        if (p->have_scales) {
            double s = p->scales[k];
            if (!(s > 0) || isinf(s)) return VRT_EINVAL;
            pl->scale[a] = s;
            double o = floor(s * (double)sx->d[a]);
            if (o > 1e12) return VRT_EINVAL;
            pl->out[a] = (int64_t)o;
        } else {
            if (p->sizes[k] < 0) return VRT_EINVAL;
            pl->out[a] = p->sizes[k];
        }
    }
    if (p->have_sizes && (st = vrt__resize_keep_aspect(p, sx, axes, na, pl))) return st;
    for (int i = 0; i < nd; i++) {
        int identity = pl->out[i] == sx->d[i] && pl->scale[i] == 1.0 &&
                       p->coord != VRT__COORD_TF_CROP_AND_RESIZE &&
                       p->coord != VRT__COORD_TF_HALF_PIXEL_FOR_NN;
        if (identity || p->mode == VRT__RESIZE_NEAREST)
            pl->taps[i] = 1;
        else
            pl->taps[i] = p->mode == VRT__RESIZE_LINEAR ? 2 : 4;
        if (!identity && pl->out[i] > 0 && sx->d[i] == 0) return VRT_EINVAL;
    }
    return VRT_OK;
}

vrt_status vrt__resize_out_shape(const vrt__resize_params *p, const vrt__shape *sx, vrt__shape *sy) {
    vrt__resize_plan pl;
    vrt_status st = vrt__resize_plan_make(p, sx, &pl);
    if (st) return st;
    sy->ndim = sx->ndim;
    for (int i = 0; i < sx->ndim; i++)
        sy->d[i] = pl.out[i];
    return VRT_OK;
}
