/*
 * The op table's reference: a straightforward interpreter in double precision, written from the
 * ONNX operator specification (opset 17) and sharing no code with the library, so that the CPU
 * backend is checked against something independent. Loops are the plain ones: clarity over speed.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

typedef struct rctx {
    ops_graph *g;
    const ops_node *n;
    ops_tensor *x[OPS_MAXIO]; /* inputs (NULL: absent) */
    ops_tensor *y[OPS_MAXIO];
    char *err;
    size_t cap;
} rctx;

static int rerr(rctx *c, const char *fmt, ...) {
    char m[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof(m), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->cap, "reference %s: %s", c->n->op, m);
    return -1;
}

static void set_shape(ops_tensor *t, int nd, const int64_t *d) {
    t->nd = nd;
    t->n = 1;
    for (int i = 0; i < nd; i++)
        t->d[i] = d[i], t->n *= d[i];
    free(t->v);
    t->v = calloc((size_t)(t->n ? t->n : 1), sizeof(double));
}

static void strides_of(int nd, const int64_t *d, int64_t *st) {
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--)
        st[i] = s, s *= d[i];
}

static void unravel(int64_t i, int nd, const int64_t *d, int64_t *idx) {
    for (int k = nd - 1; k >= 0; k--) {
        idx[k] = d[k] ? i % d[k] : 0;
        i = d[k] ? i / d[k] : 0;
    }
}

static int norm_axis(int64_t a, int nd) {
    return (int)(a < 0 ? a + nd : a);
}

/* Stores into y with the rounding of its type (the backends compute fp32 and round to the output). */
static void put(ops_tensor *y, int64_t i, double v) {
    y->v[i] = v;
}

/* ---- element-wise ---- */

static double unary_value(const char *op, double x, const ops_node *n, double lo, double hi) {
    if (!strcmp(op, "Relu")) return x > 0 ? x : 0;
    if (!strcmp(op, "LeakyRelu")) return x >= 0 ? x : x * ops_attr_f(n, "alpha", 0.01);
    if (!strcmp(op, "Sigmoid")) return 1 / (1 + exp(-x));
    if (!strcmp(op, "Tanh")) return tanh(x);
    if (!strcmp(op, "HardSigmoid"))
        return fmax(0, fmin(1, ops_attr_f(n, "alpha", 0.2) * x + ops_attr_f(n, "beta", 0.5)));
    if (!strcmp(op, "HardSwish")) return x * fmax(0, fmin(1, x / 6 + 0.5));
    if (!strcmp(op, "Clip")) return fmin(fmax(x, lo), hi);
    if (!strcmp(op, "Erf")) return erf(x);
    if (!strcmp(op, "Exp")) return exp(x);
    if (!strcmp(op, "Log")) return log(x);
    if (!strcmp(op, "Sqrt")) return sqrt(x);
    if (!strcmp(op, "Neg")) return -x;
    if (!strcmp(op, "Abs")) return fabs(x);
    if (!strcmp(op, "Reciprocal")) return 1 / x;
    if (!strcmp(op, "Not")) return x == 0;
    if (!strcmp(op, "Sin")) return sin(x);
    if (!strcmp(op, "Cos")) return cos(x);
    if (!strcmp(op, "IsNaN")) return isnan(x);
    if (!strcmp(op, "IsInf"))
        return isinf(x) && ((x > 0 && ops_attr_i(n, "detect_positive", 1)) ||
                            (x < 0 && ops_attr_i(n, "detect_negative", 1)));
    if (!strcmp(op, "Gelu")) {
        if (!strcmp(ops_attr_s(n, "approximate", "none"), "tanh"))
            return 0.5 * x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
        return 0.5 * x * (1 + erf(x / sqrt(2)));
    }
    return x; /* Identity, Cast */
}

static int ref_unary(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    double lo = -INFINITY, hi = INFINITY;
    if (!strcmp(c->n->op, "Clip")) {
        if (c->n->nin > 1 && c->x[1]) lo = c->x[1]->v[0];
        if (c->n->nin > 2 && c->x[2]) hi = c->x[2]->v[0];
    }
    set_shape(y, x->nd, x->d);
    for (int64_t i = 0; i < x->n; i++)
        put(y, i, unary_value(c->n->op, x->v[i], c->n, lo, hi));
    return 0;
}

static int ref_cast(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    set_shape(y, x->nd, x->d);
    for (int64_t i = 0; i < x->n; i++) {
        double v = x->v[i];
        if (y->dtype != T_F32 && y->dtype != T_F16 && y->dtype != T_BOOL) v = trunc(v);
        y->v[i] = ops_round_to(y->dtype, v);
    }
    return 0;
}

/* Multidirectional broadcast of every present input into y's shape. */
static int broadcast_shape(rctx *c, int nin, int64_t *d, int *nd) {
    *nd = 0;
    for (int k = 0; k < nin; k++)
        if (c->x[k] && c->x[k]->nd > *nd) *nd = c->x[k]->nd;
    for (int i = 0; i < *nd; i++)
        d[i] = 1;
    for (int k = 0; k < nin; k++) {
        const ops_tensor *t = c->x[k];
        for (int i = 0; t && i < t->nd; i++) {
            int64_t v = t->d[i], *o = &d[*nd - t->nd + i];
            if (v != 1 && *o != 1 && v != *o) return rerr(c, "shapes do not broadcast");
            if (v != 1) *o = v;
        }
    }
    return 0;
}

static double bcast_at(const ops_tensor *t, const int64_t *idx, int nd) {
    int64_t off = 0, s = 1;
    for (int i = t->nd - 1; i >= 0; i--) {
        int64_t k = t->d[i] == 1 ? 0 : idx[nd - t->nd + i];
        off += k * s;
        s *= t->d[i];
    }
    return t->v[off];
}

static double binary_value(const char *op, double a, double b, int dt) {
    if (!strcmp(op, "Add") || !strcmp(op, "Sum")) return a + b;
    if (!strcmp(op, "Sub")) return a - b;
    if (!strcmp(op, "Mul")) return a * b;
    if (!strcmp(op, "Div")) return dt == T_F32 || dt == T_F16 ? a / b : trunc(a / b);
    if (!strcmp(op, "Pow")) return pow(a, b);
    if (!strcmp(op, "Max")) return fmax(a, b);
    if (!strcmp(op, "Min")) return fmin(a, b);
    if (!strcmp(op, "PRelu")) return a < 0 ? a * b : a;
    if (!strcmp(op, "Equal")) return a == b;
    if (!strcmp(op, "Greater")) return a > b;
    if (!strcmp(op, "Less")) return a < b;
    if (!strcmp(op, "GreaterOrEqual")) return a >= b;
    if (!strcmp(op, "LessOrEqual")) return a <= b;
    if (!strcmp(op, "And")) return (a != 0) && (b != 0);
    if (!strcmp(op, "Or")) return (a != 0) || (b != 0);
    if (!strcmp(op, "Xor")) return (a != 0) != (b != 0);
    if (!strcmp(op, "Mod")) {
        if (dt == T_F32 || dt == T_F16) return fmod(a, b);
        double m = fmod(a, b); /* integers: the result takes the divisor's sign */
        return (m != 0 && ((m < 0) != (b < 0))) ? m + b : m;
    }
    return NAN;
}

static int ref_nary(rctx *c) {
    int64_t d[OPS_MAXD], idx[OPS_MAXD];
    int nd, nin = c->n->nin;
    if (broadcast_shape(c, nin, d, &nd)) return -1;
    ops_tensor *y = c->y[0];
    set_shape(y, nd, d);
    int where = !strcmp(c->n->op, "Where");
    for (int64_t i = 0; i < y->n; i++) {
        unravel(i, nd, d, idx);
        double v;
        if (where) {
            v = bcast_at(c->x[0], idx, nd) != 0 ? bcast_at(c->x[1], idx, nd) : bcast_at(c->x[2], idx, nd);
        } else {
            v = bcast_at(c->x[0], idx, nd);
            for (int k = 1; k < nin; k++)
                v = binary_value(c->n->op, v, bcast_at(c->x[k], idx, nd), c->x[0]->dtype);
        }
        put(y, i, v);
    }
    return 0;
}

/* CumSum along the (constant) axis input; exclusive leaves the element itself out, reverse runs from the end.
 */
static int ref_cumsum(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int ax = norm_axis((int64_t)c->x[1]->v[0], x->nd);
    int excl = (int)ops_attr_i(c->n, "exclusive", 0), rev = (int)ops_attr_i(c->n, "reverse", 0);
    int64_t st[OPS_MAXD];
    set_shape(y, x->nd, x->d);
    strides_of(x->nd, x->d, st);
    int64_t len = x->d[ax], inner = st[ax], outer = x->n / (len * inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            double acc = 0;
            for (int64_t j = 0; j < len; j++) {
                int64_t k = rev ? len - 1 - j : j, i = (o * len + k) * inner + in;
                if (!excl) acc += x->v[i];
                put(y, i, acc);
                if (excl) acc += x->v[i];
            }
        }
    return 0;
}

/* ---- reductions, softmax, normalisations ---- */

/* marks[i] = 1 for every reduced axis */
static void reduce_axes(rctx *c, const ops_tensor *x, int *marks) {
    const ops_attr *a = ops_attr_find(c->n, "axes");
    int any = 0;
    memset(marks, 0, sizeof(int) * OPS_MAXD);
    if (a) {
        for (int i = 0; i < a->n; i++)
            marks[norm_axis(a->iv[i], x->nd)] = 1, any = 1;
    } else if (c->n->nin > 1 && c->x[1]) {
        for (int64_t i = 0; i < c->x[1]->n; i++)
            marks[norm_axis((int64_t)c->x[1]->v[i], x->nd)] = 1, any = 1;
    }
    if (!any)
        for (int i = 0; i < x->nd; i++)
            marks[i] = 1;
}

static int ref_reduce(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int marks[OPS_MAXD], keep = (int)ops_attr_i(c->n, "keepdims", 1), nd = 0;
    int64_t d[OPS_MAXD], kd[OPS_MAXD], idx[OPS_MAXD];
    reduce_axes(c, x, marks);
    for (int i = 0; i < x->nd; i++) {
        kd[i] = marks[i] ? 1 : x->d[i];
        if (!marks[i] || keep) d[nd++] = kd[i];
    }
    set_shape(y, nd, d);
    const char *op = c->n->op;
    int is_max = !strcmp(op, "ReduceMax"), is_mean = !strcmp(op, "ReduceMean");
    double *acc = calloc((size_t)y->n, sizeof(double));
    int64_t *cnt = calloc((size_t)y->n, sizeof(int64_t)), kst[OPS_MAXD];
    strides_of(x->nd, kd, kst);
    for (int64_t i = 0; i < y->n; i++)
        acc[i] = is_max ? -INFINITY : 0;
    for (int64_t i = 0; i < x->n; i++) {
        unravel(i, x->nd, x->d, idx);
        int64_t o = 0;
        for (int k = 0; k < x->nd; k++)
            o += (marks[k] ? 0 : idx[k]) * kst[k];
        acc[o] = is_max ? fmax(acc[o], x->v[i]) : acc[o] + x->v[i];
        cnt[o]++;
    }
    for (int64_t i = 0; i < y->n; i++)
        put(y, i, is_mean ? acc[i] / (double)cnt[i] : acc[i]);
    free(acc);
    free(cnt);
    return 0;
}

static int ref_argmax(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int ax = norm_axis(ops_attr_i(c->n, "axis", 0), x->nd), keep = (int)ops_attr_i(c->n, "keepdims", 1),
        nd = 0;
    int last = (int)ops_attr_i(c->n, "select_last_index", 0);
    int64_t d[OPS_MAXD], st[OPS_MAXD];
    for (int i = 0; i < x->nd; i++)
        if (i != ax || keep) d[nd++] = i == ax ? 1 : x->d[i];
    set_shape(y, nd, d);
    strides_of(x->nd, x->d, st);
    int64_t outer = x->n / (x->d[ax] * st[ax]), len = x->d[ax], inner = st[ax];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t best = 0;
            for (int64_t k = 1; k < len; k++) {
                double v = x->v[(o * len + k) * inner + in], b = x->v[(o * len + best) * inner + in];
                if (v > b || (last && v == b)) best = k;
            }
            y->v[o * inner + in] = (double)best;
        }
    return 0;
}

static int ref_softmax(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int ax = norm_axis(ops_attr_i(c->n, "axis", -1), x->nd), log_sm = !strcmp(c->n->op, "LogSoftmax");
    int64_t st[OPS_MAXD];
    set_shape(y, x->nd, x->d);
    strides_of(x->nd, x->d, st);
    int64_t len = x->d[ax], inner = st[ax], outer = x->n / (len * inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            double m = -INFINITY, s = 0;
            for (int64_t k = 0; k < len; k++)
                m = fmax(m, x->v[(o * len + k) * inner + in]);
            for (int64_t k = 0; k < len; k++)
                s += exp(x->v[(o * len + k) * inner + in] - m);
            for (int64_t k = 0; k < len; k++) {
                int64_t i = (o * len + k) * inner + in;
                put(y, i, log_sm ? x->v[i] - m - log(s) : exp(x->v[i] - m) / s);
            }
        }
    return 0;
}

static int ref_layernorm(rctx *c) {
    ops_tensor *x = c->x[0], *sc = c->x[1], *b = c->n->nin > 2 ? c->x[2] : NULL, *y = c->y[0];
    int ax = norm_axis(ops_attr_i(c->n, "axis", -1), x->nd);
    double eps = ops_attr_f(c->n, "epsilon", 1e-5);
    int64_t len = 1;
    for (int i = ax; i < x->nd; i++)
        len *= x->d[i];
    set_shape(y, x->nd, x->d);
    for (int64_t r = 0; r < x->n / len; r++) {
        const double *p = x->v + r * len;
        double mean = 0, var = 0;
        for (int64_t k = 0; k < len; k++)
            mean += p[k];
        mean /= (double)len;
        for (int64_t k = 0; k < len; k++)
            var += (p[k] - mean) * (p[k] - mean);
        var /= (double)len;
        for (int64_t k = 0; k < len; k++)
            put(y, r * len + k,
                (p[k] - mean) / sqrt(var + eps) * sc->v[k % sc->n] + (b ? b->v[k % b->n] : 0));
    }
    return 0;
}

/* BatchNormalization (inference) and InstanceNormalization: per channel of [N, C, ...]. */
static int ref_channel_norm(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    double eps = ops_attr_f(c->n, "epsilon", 1e-5);
    int64_t C = x->d[1], sp = x->n / (x->d[0] * C);
    int inst = !strcmp(c->n->op, "InstanceNormalization");
    set_shape(y, x->nd, x->d);
    for (int64_t nn = 0; nn < x->d[0]; nn++)
        for (int64_t ch = 0; ch < C; ch++) {
            const double *p = x->v + (nn * C + ch) * sp;
            double mean, var;
            if (inst) {
                mean = var = 0;
                for (int64_t k = 0; k < sp; k++)
                    mean += p[k];
                mean /= (double)sp;
                for (int64_t k = 0; k < sp; k++)
                    var += (p[k] - mean) * (p[k] - mean);
                var /= (double)sp;
            } else {
                mean = c->x[3]->v[ch], var = c->x[4]->v[ch];
            }
            for (int64_t k = 0; k < sp; k++)
                put(y, (nn * C + ch) * sp + k,
                    (p[k] - mean) / sqrt(var + eps) * c->x[1]->v[ch] + c->x[2]->v[ch]);
        }
    return 0;
}

/* ---- convolution, pooling, matrix products ---- */

typedef struct window {
    int nsp;
    int64_t in[3], out[3], k[3], s[3], dl[3], pb[3], pe[3];
} window;

static int window_of(rctx *c, const ops_tensor *x, const int64_t *kernel, int ceil_mode, window *w) {
    w->nsp = x->nd - 2;
    if (w->nsp < 1 || w->nsp > 3) return rerr(c, "1 to 3 spatial dimensions expected");
    const ops_attr *st = ops_attr_find(c->n, "strides"), *dl = ops_attr_find(c->n, "dilations"),
                   *pd = ops_attr_find(c->n, "pads");
    const char *ap = ops_attr_s(c->n, "auto_pad", "NOTSET");
    for (int i = 0; i < w->nsp; i++) {
        w->in[i] = x->d[2 + i];
        w->k[i] = kernel[i];
        w->s[i] = st ? st->iv[i] : 1;
        w->dl[i] = dl ? dl->iv[i] : 1;
        w->pb[i] = pd ? pd->iv[i] : 0;
        w->pe[i] = pd ? pd->iv[w->nsp + i] : 0;
        int64_t ek = (w->k[i] - 1) * w->dl[i] + 1;
        if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) { /* SAME_UPPER / SAME_LOWER */
            int64_t out = (w->in[i] + w->s[i] - 1) / w->s[i], tot = (out - 1) * w->s[i] + ek - w->in[i];
            tot = tot < 0 ? 0 : tot;
            w->pb[i] = !strcmp(ap, "SAME_LOWER") ? (tot + 1) / 2 : tot / 2;
            w->pe[i] = tot - w->pb[i];
        }
        int64_t span = w->in[i] + w->pb[i] + w->pe[i] - ek;
        w->out[i] = (ceil_mode ? (span + w->s[i] - 1) / w->s[i] : span / w->s[i]) + 1;
        if (ceil_mode && (w->out[i] - 1) * w->s[i] >= w->in[i] + w->pb[i]) w->out[i]--;
    }
    return 0;
}

static int ref_conv(rctx *c) {
    ops_tensor *x = c->x[0], *wt = c->x[1], *b = c->n->nin > 2 ? c->x[2] : NULL, *y = c->y[0];
    window w;
    if (window_of(c, x, wt->d + 2, 0, &w)) return -1;
    int64_t G = ops_attr_i(c->n, "group", 1), N = x->d[0], C = x->d[1], M = wt->d[0], cg = C / G, mg = M / G;
    int64_t d[OPS_MAXD] = {N, M}, osp = 1, ksp = 1, isp = 1, oi[3], ki[3];
    for (int i = 0; i < w.nsp; i++)
        d[2 + i] = w.out[i], osp *= w.out[i], ksp *= w.k[i], isp *= w.in[i];
    set_shape(y, 2 + w.nsp, d);
    for (int64_t nn = 0; nn < N; nn++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t o = 0; o < osp; o++) {
                unravel(o, w.nsp, w.out, oi);
                double s = b ? b->v[m] : 0;
                for (int64_t ci = 0; ci < cg; ci++)
                    for (int64_t k = 0; k < ksp; k++) {
                        unravel(k, w.nsp, w.k, ki);
                        int64_t off = 0, inside = 1;
                        for (int i = 0; i < w.nsp; i++) {
                            int64_t p = oi[i] * w.s[i] - w.pb[i] + ki[i] * w.dl[i];
                            inside &= p >= 0 && p < w.in[i];
                            off = off * w.in[i] + p;
                        }
                        if (!inside) continue;
                        int64_t ch = (m / mg) * cg + ci;
                        s += x->v[(nn * C + ch) * isp + off] * wt->v[(m * cg + ci) * ksp + k];
                    }
                put(y, (nn * M + m) * osp + o, s);
            }
    return 0;
}

/* ConvTranspose: every input element scatters its kernel-weighted contribution. W is [C, M/group, k...]. */
static int ref_conv_transpose(rctx *c) {
    ops_tensor *x = c->x[0], *wt = c->x[1], *b = c->n->nin > 2 ? c->x[2] : NULL, *y = c->y[0];
    int nsp = x->nd - 2;
    const ops_attr *st = ops_attr_find(c->n, "strides"), *dl = ops_attr_find(c->n, "dilations"),
                   *pd = ops_attr_find(c->n, "pads"), *op = ops_attr_find(c->n, "output_padding");
    int64_t G = ops_attr_i(c->n, "group", 1), N = x->d[0], C = x->d[1], mg = wt->d[1], M = mg * G, cg = C / G;
    int64_t s[3], dd[3], pb[3], in[3], k[3], out[3], d[OPS_MAXD] = {N, M}, isp = 1, ksp = 1, osp = 1;
    int64_t ii[3], ki[3];
    for (int i = 0; i < nsp; i++) {
        s[i] = st ? st->iv[i] : 1, dd[i] = dl ? dl->iv[i] : 1, pb[i] = pd ? pd->iv[i] : 0;
        in[i] = x->d[2 + i], k[i] = wt->d[2 + i];
        out[i] = s[i] * (in[i] - 1) + (op ? op->iv[i] : 0) + (k[i] - 1) * dd[i] + 1 - pb[i] -
                 (pd ? pd->iv[nsp + i] : 0);
        d[2 + i] = out[i], isp *= in[i], ksp *= k[i], osp *= out[i];
    }
    set_shape(y, 2 + nsp, d);
    for (int64_t nn = 0; nn < N; nn++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t o = 0; o < osp; o++)
                y->v[(nn * M + m) * osp + o] = b ? b->v[m] : 0;
    for (int64_t nn = 0; nn < N; nn++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t i = 0; i < isp; i++) {
                unravel(i, nsp, in, ii);
                for (int64_t mm = 0; mm < mg; mm++)
                    for (int64_t kk = 0; kk < ksp; kk++) {
                        unravel(kk, nsp, k, ki);
                        int64_t off = 0, inside = 1;
                        for (int q = 0; q < nsp; q++) {
                            int64_t p = ii[q] * s[q] - pb[q] + ki[q] * dd[q];
                            inside &= p >= 0 && p < out[q];
                            off = off * out[q] + p;
                        }
                        if (!inside) continue;
                        int64_t m = (ch / cg) * mg + mm;
                        y->v[(nn * M + m) * osp + off] +=
                            x->v[(nn * C + ch) * isp + i] * wt->v[(ch * mg + mm) * ksp + kk];
                    }
            }
    return 0;
}

/* LRN across channels of [N, C, ...]. */
static int ref_lrn(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int64_t size = ops_attr_i(c->n, "size", 1), C = x->d[1], sp = x->n / (x->d[0] * C);
    double alpha = ops_attr_f(c->n, "alpha", 1e-4), beta = ops_attr_f(c->n, "beta", 0.75),
           bias = ops_attr_f(c->n, "bias", 1.0);
    set_shape(y, x->nd, x->d);
    for (int64_t nn = 0; nn < x->d[0]; nn++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t k = 0; k < sp; k++) {
                double sq = 0;
                for (int64_t j = ch - (size - 1) / 2; j <= ch + size / 2; j++)
                    if (j >= 0 && j < C) sq += x->v[(nn * C + j) * sp + k] * x->v[(nn * C + j) * sp + k];
                int64_t i = (nn * C + ch) * sp + k;
                put(y, i, x->v[i] / pow(bias + alpha / (double)size * sq, beta));
            }
    return 0;
}

/* TopK: values and int64 indices; equal values keep the lower index first. */
static int ref_topk(rctx *c) {
    ops_tensor *x = c->x[0], *vals = c->y[0], *idx = c->y[1];
    int ax = norm_axis(ops_attr_i(c->n, "axis", -1), x->nd), largest = (int)ops_attr_i(c->n, "largest", 1);
    int64_t K = (int64_t)c->x[1]->v[0], d[OPS_MAXD], st[OPS_MAXD];
    memcpy(d, x->d, sizeof(d));
    d[ax] = K;
    set_shape(vals, x->nd, d);
    set_shape(idx, x->nd, d);
    strides_of(x->nd, x->d, st);
    int64_t len = x->d[ax], inner = st[ax], outer = x->n / (len * inner);
    char *used = calloc((size_t)len, 1);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            memset(used, 0, (size_t)len);
            for (int64_t r = 0; r < K; r++) {
                int64_t best = -1;
                for (int64_t k = 0; k < len; k++) {
                    if (used[k]) continue;
                    double v = x->v[(o * len + k) * inner + in],
                           b = best < 0 ? 0 : x->v[(o * len + best) * inner + in];
                    if (best < 0 || (largest ? v > b : v < b)) best = k;
                }
                used[best] = 1;
                vals->v[(o * K + r) * inner + in] = x->v[(o * len + best) * inner + in];
                idx->v[(o * K + r) * inner + in] = (double)best;
            }
        }
    free(used);
    return 0;
}

static int ref_pool(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int global = !strncmp(c->n->op, "Global", 6), is_max = strstr(c->n->op, "Max") != NULL;
    const ops_attr *ks = ops_attr_find(c->n, "kernel_shape");
    int64_t kernel[3];
    for (int i = 0; i < x->nd - 2 && i < 3; i++)
        kernel[i] = global ? x->d[2 + i] : ks->iv[i];
    window w;
    if (window_of(c, x, kernel, global ? 0 : (int)ops_attr_i(c->n, "ceil_mode", 0), &w)) return -1;
    if (global)
        for (int i = 0; i < w.nsp; i++)
            w.pb[i] = w.pe[i] = 0, w.out[i] = 1;
    int incl = (int)ops_attr_i(c->n, "count_include_pad", 0);
    int64_t d[OPS_MAXD] = {x->d[0], x->d[1]}, osp = 1, ksp = 1, isp = 1, oi[3], ki[3];
    for (int i = 0; i < w.nsp; i++)
        d[2 + i] = w.out[i], osp *= w.out[i], ksp *= w.k[i], isp *= w.in[i];
    set_shape(y, 2 + w.nsp, d);
    for (int64_t pl = 0; pl < x->d[0] * x->d[1]; pl++)
        for (int64_t o = 0; o < osp; o++) {
            unravel(o, w.nsp, w.out, oi);
            double acc = is_max ? -INFINITY : 0;
            int64_t cnt = 0;
            for (int64_t k = 0; k < ksp; k++) {
                unravel(k, w.nsp, w.k, ki);
                int64_t off = 0, inside = 1, in_pad = 1;
                for (int i = 0; i < w.nsp; i++) {
                    int64_t p = oi[i] * w.s[i] - w.pb[i] + ki[i] * w.dl[i];
                    inside &= p >= 0 && p < w.in[i];
                    in_pad &= p >= -w.pb[i] && p < w.in[i] + w.pe[i];
                    off = off * w.in[i] + p;
                }
                if (inside) {
                    double v = x->v[pl * isp + off];
                    acc = is_max ? fmax(acc, v) : acc + v;
                }
                cnt += incl ? in_pad : inside;
            }
            put(y, pl * osp + o, is_max ? acc : acc / (double)cnt);
        }
    return 0;
}

static int ref_gemm(rctx *c) {
    ops_tensor *a = c->x[0], *b = c->x[1], *cc = c->n->nin > 2 ? c->x[2] : NULL, *y = c->y[0];
    int ta = (int)ops_attr_i(c->n, "transA", 0), tb = (int)ops_attr_i(c->n, "transB", 0);
    double alpha = ops_attr_f(c->n, "alpha", 1), beta = ops_attr_f(c->n, "beta", 1);
    int64_t M = ta ? a->d[1] : a->d[0], K = ta ? a->d[0] : a->d[1], N = tb ? b->d[0] : b->d[1];
    int64_t d[2] = {M, N}, idx[2];
    set_shape(y, 2, d);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++)
                s += a->v[ta ? k * M + i : i * K + k] * b->v[tb ? j * K + k : k * N + j];
            idx[0] = i, idx[1] = j;
            put(y, i * N + j, alpha * s + (cc ? beta * bcast_at(cc, idx, 2) : 0));
        }
    return 0;
}

static int ref_matmul(rctx *c) {
    ops_tensor *a = c->x[0], *b = c->x[1], *y = c->y[0];
    if (a->nd < 2 || b->nd < 2) return rerr(c, "1-D operands are not covered");
    int64_t M = a->d[a->nd - 2], K = a->d[a->nd - 1], N = b->d[b->nd - 1];
    int nb = (a->nd > b->nd ? a->nd : b->nd) - 2;
    int64_t d[OPS_MAXD], idx[OPS_MAXD];
    for (int i = 0; i < nb; i++) {
        int ia = i - (nb - (a->nd - 2)), ib = i - (nb - (b->nd - 2));
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        d[i] = da > db ? da : db;
    }
    d[nb] = M, d[nb + 1] = N;
    set_shape(y, nb + 2, d);
    int64_t batches = y->n / (M * N);
    for (int64_t bt = 0; bt < batches; bt++) {
        unravel(bt, nb, d, idx);
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < nb; i++) {
            int ia = i - (nb - (a->nd - 2)), ib = i - (nb - (b->nd - 2));
            if (ia >= 0) oa = oa * a->d[ia] + (a->d[ia] == 1 ? 0 : idx[i]);
            if (ib >= 0) ob = ob * b->d[ib] + (b->d[ib] == 1 ? 0 : idx[i]);
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += a->v[oa * M * K + i * K + k] * b->v[ob * K * N + k * N + j];
                put(y, bt * M * N + i * N + j, s);
            }
    }
    return 0;
}

/* ---- data movement ---- */

static int ref_transpose(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    const ops_attr *pa = ops_attr_find(c->n, "perm");
    int64_t perm[OPS_MAXD], d[OPS_MAXD], idx[OPS_MAXD], st[OPS_MAXD];
    for (int i = 0; i < x->nd; i++)
        perm[i] = pa ? pa->iv[i] : x->nd - 1 - i, d[i] = x->d[perm[i]];
    set_shape(y, x->nd, d);
    strides_of(x->nd, x->d, st);
    for (int64_t i = 0; i < y->n; i++) {
        unravel(i, y->nd, d, idx);
        int64_t off = 0;
        for (int k = 0; k < x->nd; k++)
            off += idx[k] * st[perm[k]];
        y->v[i] = x->v[off];
    }
    return 0;
}

static int ref_concat(rctx *c) {
    ops_tensor *x0 = c->x[0], *y = c->y[0];
    int ax = norm_axis(ops_attr_i(c->n, "axis", 0), x0->nd);
    int64_t d[OPS_MAXD], st[OPS_MAXD];
    memcpy(d, x0->d, sizeof(d));
    d[ax] = 0;
    for (int k = 0; k < c->n->nin; k++)
        d[ax] += c->x[k]->d[ax];
    set_shape(y, x0->nd, d);
    strides_of(x0->nd, d, st);
    int64_t outer = y->n / (d[ax] * st[ax]), at = 0;
    for (int k = 0; k < c->n->nin; k++) {
        const ops_tensor *x = c->x[k];
        int64_t row = x->d[ax] * st[ax];
        for (int64_t o = 0; o < outer; o++)
            memcpy(y->v + o * d[ax] * st[ax] + at, x->v + o * row, (size_t)row * sizeof(double));
        at += row;
    }
    return 0;
}

static int ref_split(rctx *c) {
    ops_tensor *x = c->x[0];
    int ax = norm_axis(ops_attr_i(c->n, "axis", 0), x->nd), no = c->n->nout;
    int64_t st[OPS_MAXD], at = 0;
    strides_of(x->nd, x->d, st);
    int64_t outer = x->n / (x->d[ax] * st[ax]);
    for (int k = 0; k < no; k++) {
        int64_t len = c->n->nin > 1 && c->x[1] ? (int64_t)c->x[1]->v[k] : x->d[ax] / no, d[OPS_MAXD];
        memcpy(d, x->d, sizeof(d));
        d[ax] = len;
        set_shape(c->y[k], x->nd, d);
        for (int64_t o = 0; o < outer; o++)
            memcpy(c->y[k]->v + o * len * st[ax], x->v + o * x->d[ax] * st[ax] + at * st[ax],
                   (size_t)(len * st[ax]) * sizeof(double));
        at += len;
    }
    return 0;
}

static int ref_slice(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int64_t start[OPS_MAXD], step[OPS_MAXD], d[OPS_MAXD], idx[OPS_MAXD], st[OPS_MAXD];
    for (int i = 0; i < x->nd; i++)
        start[i] = 0, step[i] = 1, d[i] = x->d[i];
    int64_t na = c->x[1]->n;
    for (int64_t k = 0; k < na; k++) {
        int ax = c->n->nin > 3 && c->x[3] ? norm_axis((int64_t)c->x[3]->v[k], x->nd) : (int)k;
        double s = c->x[1]->v[k], e = c->x[2]->v[k], dim = (double)x->d[ax];
        int64_t sp = c->n->nin > 4 && c->x[4] ? (int64_t)c->x[4]->v[k] : 1;
        s = s < 0 ? s + dim : s;
        e = e < 0 ? e + dim : e;
        if (sp > 0) {
            s = fmin(fmax(s, 0), dim), e = fmin(fmax(e, 0), dim);
        } else {
            s = fmin(fmax(s, 0), dim - 1), e = fmin(fmax(e, -1), dim - 1);
        }
        double len = ceil((e - s) / (double)sp);
        start[ax] = (int64_t)s, step[ax] = sp, d[ax] = len > 0 ? (int64_t)len : 0;
    }
    set_shape(y, x->nd, d);
    strides_of(x->nd, x->d, st);
    for (int64_t i = 0; i < y->n; i++) {
        unravel(i, y->nd, d, idx);
        int64_t off = 0;
        for (int k = 0; k < x->nd; k++)
            off += (start[k] + idx[k] * step[k]) * st[k];
        y->v[i] = x->v[off];
    }
    return 0;
}

static int ref_gather(rctx *c) {
    ops_tensor *x = c->x[0], *ind = c->x[1], *y = c->y[0];
    int ax = norm_axis(ops_attr_i(c->n, "axis", 0), x->nd), nd = 0;
    int64_t d[OPS_MAXD], st[OPS_MAXD];
    for (int i = 0; i < ax; i++)
        d[nd++] = x->d[i];
    for (int i = 0; i < ind->nd; i++)
        d[nd++] = ind->d[i];
    for (int i = ax + 1; i < x->nd; i++)
        d[nd++] = x->d[i];
    set_shape(y, nd, d);
    strides_of(x->nd, x->d, st);
    int64_t outer = x->n / (x->d[ax] * st[ax]), inner = st[ax];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ind->n; j++) {
            int64_t k = (int64_t)ind->v[j];
            k = k < 0 ? k + x->d[ax] : k;
            for (int64_t in = 0; in < inner; in++)
                y->v[(o * ind->n + j) * inner + in] = x->v[(o * x->d[ax] + k) * inner + in];
        }
    return 0;
}

static int ref_pad(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0], *pads = c->x[1];
    const char *mode = ops_attr_s(c->n, "mode", "constant");
    double cv = c->n->nin > 2 && c->x[2] ? c->x[2]->v[0] : 0;
    int64_t pb[OPS_MAXD], d[OPS_MAXD], idx[OPS_MAXD], st[OPS_MAXD];
    for (int i = 0; i < x->nd; i++) {
        pb[i] = (int64_t)pads->v[i];
        d[i] = x->d[i] + pb[i] + (int64_t)pads->v[x->nd + i];
    }
    set_shape(y, x->nd, d);
    strides_of(x->nd, x->d, st);
    for (int64_t i = 0; i < y->n; i++) {
        unravel(i, y->nd, d, idx);
        int64_t off = 0, inside = 1;
        for (int k = 0; k < x->nd; k++) {
            int64_t p = idx[k] - pb[k], n = x->d[k];
            if (p < 0 || p >= n) {
                inside = 0;
                if (!strcmp(mode, "edge")) p = p < 0 ? 0 : n - 1;
                if (!strcmp(mode, "reflect")) {
                    int64_t per = 2 * (n - 1);
                    p = per ? ((p % per) + per) % per : 0;
                    p = p >= n ? per - p : p;
                }
                if (!strcmp(mode, "wrap")) p = ((p % n) + n) % n;
            }
            off += p * st[k];
        }
        y->v[i] = inside || strcmp(mode, "constant") ? x->v[off] : cv;
    }
    return 0;
}

static int ref_reshape_like(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int64_t d[OPS_MAXD];
    int nd = 0;
    const char *op = c->n->op;
    if (!strcmp(op, "Reshape")) {
        int64_t known = 1, neg = -1;
        nd = (int)c->x[1]->n;
        for (int i = 0; i < nd; i++) {
            d[i] = (int64_t)c->x[1]->v[i];
            if (d[i] == 0) d[i] = x->d[i];
            if (d[i] < 0)
                neg = i;
            else
                known *= d[i];
        }
        if (neg >= 0) d[neg] = x->n / known;
    } else if (!strcmp(op, "Flatten")) {
        int ax = norm_axis(ops_attr_i(c->n, "axis", 1), x->nd);
        d[0] = d[1] = 1;
        for (int i = 0; i < x->nd; i++)
            d[i < ax ? 0 : 1] *= x->d[i];
        nd = 2;
    } else if (!strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze")) {
        int marks[OPS_MAXD] = {0}, unsq = op[0] == 'U', ond = unsq ? x->nd + (int)c->x[1]->n : x->nd;
        for (int64_t k = 0; k < c->x[1]->n; k++)
            marks[norm_axis((int64_t)c->x[1]->v[k], ond)] = 1;
        for (int i = 0, j = 0; i < ond; i++) {
            if (unsq)
                d[nd++] = marks[i] ? 1 : x->d[j++];
            else if (!marks[i])
                d[nd++] = x->d[i];
        }
    } else { /* DepthToSpace / SpaceToDepth: the shape only, values below */
        return rerr(c, "internal");
    }
    set_shape(y, nd, d);
    memcpy(y->v, x->v, (size_t)x->n * sizeof(double));
    return 0;
}

static int ref_expand_tile(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0], *s = c->x[1];
    int64_t d[OPS_MAXD], idx[OPS_MAXD];
    int tile = !strcmp(c->n->op, "Tile"), nd = tile ? x->nd : (int)(s->n > x->nd ? s->n : x->nd);
    for (int i = 0; i < nd; i++) {
        int xi = i - (nd - x->nd);
        int64_t xd = xi >= 0 ? x->d[xi] : 1, sv = (int64_t)s->v[i - (nd - (int)s->n)];
        d[i] = tile ? xd * sv : (i - (nd - (int)s->n) >= 0 && sv != 1 ? sv : xd);
    }
    set_shape(y, nd, d);
    for (int64_t i = 0; i < y->n; i++) {
        unravel(i, nd, d, idx);
        int64_t off = 0;
        for (int k = 0; k < x->nd; k++) {
            int64_t j = idx[nd - x->nd + k];
            off = off * x->d[k] + (tile ? j % x->d[k] : (x->d[k] == 1 ? 0 : j));
        }
        y->v[i] = x->v[off];
    }
    return 0;
}

static int ref_depth_space(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    int64_t b = ops_attr_i(c->n, "blocksize", 2), N = x->d[0], C = x->d[1], H = x->d[2], W = x->d[3];
    int d2s = !strcmp(c->n->op, "DepthToSpace"), crd = !strcmp(ops_attr_s(c->n, "mode", "DCR"), "CRD");
    int64_t d[4] = {N, d2s ? C / (b * b) : C * b * b, d2s ? H * b : H / b, d2s ? W * b : W / b};
    set_shape(y, 4, d);
    /* both directions walk the large image: (n, c, h, w) of the depth-to-space side */
    int64_t Cs = d2s ? d[1] : C, Hs = d2s ? d[2] : H, Ws = d2s ? d[3] : W, Cd = Cs * b * b;
    for (int64_t n = 0; n < N; n++)
        for (int64_t ch = 0; ch < Cs; ch++)
            for (int64_t h = 0; h < Hs; h++)
                for (int64_t w = 0; w < Ws; w++) {
                    int64_t bh = h % b, bw = w % b;
                    int64_t cd = d2s && crd ? ch * b * b + bh * b + bw : (bh * b + bw) * Cs + ch;
                    int64_t big = ((n * Cs + ch) * Hs + h) * Ws + w;
                    int64_t small = ((n * Cd + cd) * (Hs / b) + h / b) * (Ws / b) + w / b;
                    if (d2s)
                        y->v[big] = x->v[small];
                    else
                        y->v[small] = x->v[big];
                }
    return 0;
}

/* ---- Resize (nearest and linear) ---- */

/* As the ONNX reference computes it: the resized length is in * scale, not rounded. */
static double resize_coord(const char *mode, double xo, double scale, int64_t in) {
    double out = (double)in * scale;
    if (!strcmp(mode, "asymmetric")) return xo / scale;
    if (!strcmp(mode, "align_corners")) return out == 1 ? 0 : xo * (double)(in - 1) / (out - 1);
    if (!strcmp(mode, "pytorch_half_pixel")) return out > 1 ? (xo + 0.5) / scale - 0.5 : 0;
    if (!strcmp(mode, "tf_half_pixel_for_nn")) return (xo + 0.5) / scale;
    return (xo + 0.5) / scale - 0.5; /* half_pixel */
}

static int64_t nearest_index(const char *mode, double x, int64_t in) {
    double r;
    if (!strcmp(mode, "floor"))
        r = floor(x);
    else if (!strcmp(mode, "ceil"))
        r = ceil(x);
    else if (!strcmp(mode, "round_prefer_ceil"))
        r = floor(x + 0.5);
    else /* round_prefer_floor */
        r = (x - floor(x) == 0.5) ? floor(x) : floor(x + 0.5);
    int64_t i = (int64_t)r;
    return i < 0 ? 0 : i >= in ? in - 1 : i;
}

static int ref_resize(rctx *c) {
    ops_tensor *x = c->x[0], *y = c->y[0];
    const ops_tensor *sc = c->n->nin > 2 ? c->x[2] : NULL, *sz = c->n->nin > 3 ? c->x[3] : NULL;
    const char *mode = ops_attr_s(c->n, "mode", "nearest");
    const char *ct = ops_attr_s(c->n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = ops_attr_s(c->n, "nearest_mode", "round_prefer_floor");
    double scale[OPS_MAXD];
    int64_t d[OPS_MAXD], idx[OPS_MAXD], st[OPS_MAXD];
    for (int i = 0; i < x->nd; i++) {
        if (sz && sz->n) {
            d[i] = (int64_t)sz->v[i];
            scale[i] = (double)d[i] / (double)x->d[i];
        } else {
            scale[i] = (float)sc->v[i];
            d[i] = (int64_t)floor((double)x->d[i] * scale[i]);
        }
    }
    set_shape(y, x->nd, d);
    strides_of(x->nd, x->d, st);
    int linear = !strcmp(mode, "linear");
    for (int64_t i = 0; i < y->n; i++) {
        unravel(i, y->nd, d, idx);
        int64_t lo[OPS_MAXD], hi[OPS_MAXD];
        double w[OPS_MAXD];
        for (int k = 0; k < x->nd; k++) {
            double xo = resize_coord(ct, (double)idx[k], scale[k], x->d[k]);
            if (!linear) {
                lo[k] = hi[k] = nearest_index(nm, xo, x->d[k]), w[k] = 0;
                continue;
            }
            double f = floor(xo);
            lo[k] = (int64_t)f, hi[k] = lo[k] + 1, w[k] = xo - f;
            lo[k] = lo[k] < 0 ? 0 : lo[k] >= x->d[k] ? x->d[k] - 1 : lo[k];
            hi[k] = hi[k] < 0 ? 0 : hi[k] >= x->d[k] ? x->d[k] - 1 : hi[k];
        }
        double v = 0;
        for (int corner = 0; corner < (1 << x->nd); corner++) {
            double wt = 1;
            int64_t off = 0;
            for (int k = 0; k < x->nd; k++) {
                int up = (corner >> k) & 1;
                wt *= up ? w[k] : 1 - w[k];
                off += (up ? hi[k] : lo[k]) * st[k];
            }
            if (wt != 0) v += wt * x->v[off];
        }
        put(y, i, v);
    }
    return 0;
}

/* ---- dispatch ---- */

typedef struct ref_entry {
    const char *ops; /* space-separated op names */
    int (*fn)(rctx *);
} ref_entry;

static const ref_entry k_refs[] = {
    {"Relu LeakyRelu Sigmoid Tanh HardSigmoid HardSwish Clip Erf Exp Log Sqrt Neg Abs Reciprocal Not "
     "Identity Sin Cos Gelu IsNaN IsInf",
     ref_unary},
    {"CumSum", ref_cumsum},
    {"Cast", ref_cast},
    {"Add Sub Mul Div Pow Max Min Sum PRelu Equal Greater Less GreaterOrEqual LessOrEqual And Or Xor Mod "
     "Where",
     ref_nary},
    {"ReduceMean ReduceMax ReduceSum", ref_reduce},
    {"ArgMax", ref_argmax},
    {"Softmax LogSoftmax", ref_softmax},
    {"LayerNormalization", ref_layernorm},
    {"BatchNormalization InstanceNormalization", ref_channel_norm},
    {"Conv", ref_conv},
    {"ConvTranspose", ref_conv_transpose},
    {"LRN", ref_lrn},
    {"TopK", ref_topk},
    {"MaxPool AveragePool GlobalAveragePool GlobalMaxPool", ref_pool},
    {"Gemm", ref_gemm},
    {"MatMul", ref_matmul},
    {"Transpose", ref_transpose},
    {"Concat", ref_concat},
    {"Split", ref_split},
    {"Slice", ref_slice},
    {"Gather", ref_gather},
    {"Pad", ref_pad},
    {"Reshape Flatten Squeeze Unsqueeze", ref_reshape_like},
    {"Expand Tile", ref_expand_tile},
    {"DepthToSpace SpaceToDepth", ref_depth_space},
    {"Resize", ref_resize},
};

static int (*ref_find(const char *op))(rctx *) {
    size_t n = strlen(op);
    for (size_t i = 0; i < sizeof(k_refs) / sizeof(k_refs[0]); i++)
        for (const char *p = k_refs[i].ops; (p = strstr(p, op)); p += n)
            if ((p == k_refs[i].ops || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return k_refs[i].fn;
    return NULL;
}

int ops_ref_run(ops_graph *g, char *err, size_t cap) {
    for (int k = 0; k < g->nn; k++) {
        rctx c = {g, &g->node[k], {0}, {0}, err, cap};
        int (*fn)(rctx *) = ref_find(c.n->op);
        if (!fn) {
            snprintf(err, cap, "no reference for %s", c.n->op);
            return -1;
        }
        for (int i = 0; i < c.n->nin; i++)
            c.x[i] = c.n->in[i] >= 0 ? &g->t[c.n->in[i]] : NULL;
        for (int i = 0; i < c.n->nout; i++)
            c.y[i] = &g->t[c.n->out[i]];
        if (fn(&c)) return -1;
        /* intermediate results are held in their type, as the backends hold them */
        for (int i = 0; i < c.n->nout; i++)
            for (int64_t e = 0; e < c.y[i]->n; e++)
                c.y[i]->v[e] = ops_round_to(c.y[i]->dtype, c.y[i]->v[e]);
    }
    return 0;
}
