/* CPU reference kernels: ReduceX, Softmax/LogSoftmax, ArgMax/ArgMin, TopK. */
#include <math.h>
#include <string.h>

#include "bcast.h"
#include "kernels_tensor.h"

/* ---- ReduceX ---------------------------------------------------------------- */

typedef struct {
    vrt__reduce_op op;
    const float *x;
    float *y;
    int nk, nr;
    int64_t kd[VRT__MAX_DIMS], ks[VRT__MAX_DIMS]; /* kept dims and input strides */
    int64_t rd[VRT__MAX_DIMS], rs[VRT__MAX_DIMS]; /* reduced dims and input strides */
    int64_t rn;                                   /* elements per reduction */
} vrt__reduce_job;

/* Accumulates one contiguous run of the reduction (inner elements, stride
 * is) into *acc; op MAX with find_max set tracks the running max in *m
 * instead (LogSumExp's first pass). */
static void vrt__reduce_run(vrt__reduce_op op, int find_max, const float *p, int64_t inner, int64_t is,
                            double *acc, float *m) {
    double a = *acc;
    switch (op) {
    case VRT__RED_SUM:
    case VRT__RED_MEAN:
        for (int64_t i = 0; i < inner; i++)
            a += p[i * is];
        break;
    case VRT__RED_MAX:
        if (find_max) {
            float mm = *m;
            for (int64_t i = 0; i < inner; i++)
                mm = p[i * is] > mm || p[i * is] != p[i * is] ? p[i * is] : mm;
            *m = mm;
        } else {
            for (int64_t i = 0; i < inner; i++) {
                double v = p[i * is];
                if (v > a || v != v) a = v;
            }
        }
        break;
    case VRT__RED_MIN:
        for (int64_t i = 0; i < inner; i++) {
            double v = p[i * is];
            if (v < a || v != v) a = v;
        }
        break;
    case VRT__RED_PROD:
        for (int64_t i = 0; i < inner; i++)
            a *= p[i * is];
        break;
    case VRT__RED_L1:
        for (int64_t i = 0; i < inner; i++)
            a += fabs((double)p[i * is]);
        break;
    case VRT__RED_L2:
    case VRT__RED_SUM_SQUARE:
        for (int64_t i = 0; i < inner; i++)
            a += (double)p[i * is] * p[i * is];
        break;
    case VRT__RED_LOG_SUM_EXP:
        for (int64_t i = 0; i < inner; i++)
            a += exp((double)p[i * is] - *m);
        break;
    default: break;
    }
    *acc = a;
}

/* One pass over the reduced elements of one output (base + reduced offsets). */
static void vrt__reduce_pass(const vrt__reduce_job *j, const float *base, vrt__reduce_op op, int find_max,
                             double *acc, float *m) {
    int64_t idx[VRT__MAX_DIMS] = {0};
    int nr = j->nr;
    int64_t off = 0;
    int64_t inner = nr ? j->rd[nr - 1] : 1, is = nr ? j->rs[nr - 1] : 0;
    for (;;) {
        vrt__reduce_run(op, find_max, base + off, inner, is, acc, m);
        /* advance the outer reduced dims */
        int d = nr - 2;
        for (; d >= 0; d--) {
            idx[d]++;
            off += j->rs[d];
            if (idx[d] < j->rd[d]) break;
            off -= idx[d] * j->rs[d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

/* The reduction of one output. */
static float vrt__reduce_one(const vrt__reduce_job *j, const float *base) {
    double acc;
    float m = -INFINITY;
    switch (j->op) {
    case VRT__RED_MAX: acc = -INFINITY; break;
    case VRT__RED_MIN: acc = INFINITY; break;
    case VRT__RED_PROD: acc = 1.0; break;
    default: acc = 0.0; break;
    }
    if (j->rn == 0) return j->op == VRT__RED_LOG_SUM_EXP ? -INFINITY : (float)acc;
    if (j->op == VRT__RED_LOG_SUM_EXP) { /* first find the max */
        double unused = 0;
        vrt__reduce_pass(j, base, VRT__RED_MAX, 1, &unused, &m);
        if (isinf(m) || m != m) return m; /* all -inf, +inf or NaN */
    }
    vrt__reduce_pass(j, base, j->op, 0, &acc, &m);
    switch (j->op) {
    case VRT__RED_MEAN: return (float)(acc / (double)j->rn);
    case VRT__RED_L2: return (float)sqrt(acc);
    case VRT__RED_LOG_SUM_EXP: return (float)(log(acc) + m);
    default: return (float)acc;
    }
}

static void vrt__reduce_chunk(void *ctx, int64_t lo, int64_t hi) {
    const vrt__reduce_job *j = ctx;
    for (int64_t o = lo; o < hi; o++) {
        int64_t r = o, off = 0;
        for (int i = j->nk - 1; i >= 0; i--) {
            off += (r % j->kd[i]) * j->ks[i];
            r /= j->kd[i];
        }
        j->y[o] = vrt__reduce_one(j, j->x + off);
    }
}

vrt_status vrt__cpu_reduce_f32(vrt__threadpool *tp, const vrt__reduce_params *p, const float *x,
                               const vrt__shape *sx, float *y) {
    int red[VRT__MAX_DIMS], noop;
    vrt_status st = vrt__reduce_axes(p, sx, red, &noop);
    if (st) return st;
    int64_t n = vrt__shape_numel(sx);
    if (n < 0) return VRT_EINVAL;
    if (noop) {
        if (x != y) memmove(y, x, (size_t)n * sizeof(float));
        return VRT_OK;
    }
    vrt__reduce_job j;
    memset(&j, 0, sizeof(j));
    j.op = p->op;
    j.x = x;
    j.y = y;
    j.rn = 1;
    /* Split dims into kept and reduced lists (each merged where contiguous). */
    int64_t stride[VRT__MAX_DIMS], s = 1;
    for (int i = sx->ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= sx->d[i];
    }
    int prev = -1;
    for (int i = 0; i < sx->ndim; i++) {
        int64_t d = sx->d[i];
        if (red[i]) j.rn *= d;
        if (d == 1) continue;
        int kind = red[i];
        if (kind && j.nr > 0 && prev == 1 && j.rs[j.nr - 1] == stride[i] * d) {
            j.rd[j.nr - 1] *= d;
            j.rs[j.nr - 1] = stride[i];
        } else if (!kind && j.nk > 0 && prev == 0 && j.ks[j.nk - 1] == stride[i] * d) {
            j.kd[j.nk - 1] *= d;
            j.ks[j.nk - 1] = stride[i];
        } else if (kind) {
            j.rd[j.nr] = d;
            j.rs[j.nr++] = stride[i];
        } else {
            j.kd[j.nk] = d;
            j.ks[j.nk++] = stride[i];
        }
        prev = kind;
    }
    int64_t nout = 1;
    for (int i = 0; i < j.nk; i++)
        nout *= j.kd[i];
    if (j.rn == 0) {
        /* reducing over an empty axis: every output is the identity */
        j.nr = 0;
    } else if (n == 0) {
        return VRT_OK; /* empty kept axis: empty output */
    }
    int64_t per = j.rn ? j.rn : 1;
    vrt__parallel_ranges(tp, nout, per * nout >= (1 << 15) ? 2 : nout + 1, vrt__reduce_chunk, &j);
    return VRT_OK;
}

/* ---- Softmax / LogSoftmax ------------------------------------------------------- */

typedef struct {
    const float *x;
    float *y;
    int64_t n, inner;
    int log;
} vrt__softmax_job;

static void vrt__softmax_chunk(void *ctx, int64_t lo, int64_t hi) {
    const vrt__softmax_job *j = ctx;
    int64_t n = j->n, inner = j->inner;
    for (int64_t lane = lo; lane < hi; lane++) {
        int64_t o = lane / inner, in = lane % inner;
        const float *x = j->x + o * n * inner + in;
        float *y = j->y + o * n * inner + in;
        float m = -INFINITY;
        for (int64_t i = 0; i < n; i++)
            if (x[i * inner] > m) m = x[i * inner];
        double sum = 0;
        if (j->log) {
            for (int64_t i = 0; i < n; i++)
                sum += exp((double)x[i * inner] - m);
            float ls = (float)log(sum);
            for (int64_t i = 0; i < n; i++)
                y[i * inner] = x[i * inner] - m - ls;
        } else {
            for (int64_t i = 0; i < n; i++) {
                float e = expf(x[i * inner] - m);
                y[i * inner] = e;
                sum += e;
            }
            float inv = (float)(1.0 / sum);
            for (int64_t i = 0; i < n; i++)
                y[i * inner] *= inv;
        }
    }
}

vrt_status vrt__cpu_softmax_f32(vrt__threadpool *tp, const vrt__softmax_params *p, const float *x,
                                const vrt__shape *sx, float *y) {
    int nd = sx->ndim, axis;
    if (nd == 0) {
        /* A scalar is its own single-element softmax. */
        y[0] = p->log ? 0.0f : 1.0f;
        return VRT_OK;
    }
    if (vrt__axis_index(p->axis, nd, &axis)) return VRT_EINVAL;
    int64_t outer = 1, n = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= sx->d[i];
    if (p->legacy) {
        for (int i = axis; i < nd; i++)
            n *= sx->d[i];
    } else {
        n = sx->d[axis];
        for (int i = axis + 1; i < nd; i++)
            inner *= sx->d[i];
    }
    if (n == 0 || outer * inner == 0) return VRT_OK;
    vrt__softmax_job j = {x, y, n, inner, p->log};
    vrt__parallel_ranges(tp, outer * inner, n * outer * inner >= (1 << 14) ? 2 : INT64_MAX,
                         vrt__softmax_chunk, &j);
    return VRT_OK;
}

/* ---- ArgMax / ArgMin ------------------------------------------------------------ */

vrt_status vrt__cpu_argmax_f32(const vrt__argmax_params *p, const float *x, const vrt__shape *sx,
                               int64_t *y) {
    int axis;
    if (vrt__axis_index(p->axis, sx->ndim, &axis)) return VRT_EINVAL;
    int64_t outer = 1, n = sx->d[axis], inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= sx->d[i];
    for (int i = axis + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    if (n == 0 && outer * inner > 0) return VRT_EINVAL; /* no element to pick */
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t in = 0; in < inner; in++) {
            const float *v = x + o * n * inner + in;
            int64_t best = 0;
            float bv = v[0];
            for (int64_t i = 1; i < n; i++) {
                float c = v[i * inner];
                int better = p->is_min ? (c < bv) : (c > bv);
                if (better || (p->select_last_index && c == bv)) {
                    best = i;
                    bv = c;
                }
            }
            y[o * inner + in] = best;
        }
    }
    return VRT_OK;
}

/* ---- TopK ----------------------------------------------------------------------- */

size_t vrt__topk_scratch_bytes(const vrt__topk_params *p, const vrt__shape *sx) {
    (void)sx;
    return (size_t)(p->k > 0 ? p->k : 1) * sizeof(int64_t);
}

typedef struct {
    const float *v;
    int64_t stride;
    int largest;
} vrt__topk_lane;

/* 1 when element i ranks before element j in the output. */
static inline int vrt__topk_before(const vrt__topk_lane *l, int64_t i, int64_t j) {
    float a = l->v[i * l->stride], b = l->v[j * l->stride];
    int an = a != a, bn = b != b;
    if (an || bn) {
        if (an && bn) return i < j;
        /* NaN sorts as the largest value, as numpy does */
        return l->largest ? an : bn;
    }
    if (a != b) return l->largest ? a > b : a < b;
    return i < j;
}

/* Min-heap on "ranks before": the root is the worst kept element. */
static void vrt__topk_sift(const vrt__topk_lane *l, int64_t *h, int64_t n, int64_t i) {
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && vrt__topk_before(l, h[c], h[c + 1])) c++;
        if (!vrt__topk_before(l, h[i], h[c])) break;
        int64_t t = h[i];
        h[i] = h[c];
        h[c] = t;
        i = c;
    }
}

vrt_status vrt__cpu_topk_f32(const vrt__topk_params *p, const float *x, const vrt__shape *sx, float *values,
                             int64_t *indices, void *scratch) {
    int axis;
    if (vrt__axis_index(p->axis, sx->ndim, &axis)) return VRT_EINVAL;
    int64_t n = sx->d[axis], k = p->k;
    if (k < 0 || k > n) return VRT_EINVAL;
    if (k == 0) return VRT_OK;
    if (!scratch) return VRT_EINVAL;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= sx->d[i];
    for (int i = axis + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    int64_t *h = scratch;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t in = 0; in < inner; in++) {
            vrt__topk_lane l = {x + o * n * inner + in, inner, p->largest};
            int64_t hn = 0;
            for (int64_t i = 0; i < n; i++) {
                if (hn < k) {
                    /* sift up */
                    int64_t c = hn++;
                    h[c] = i;
                    while (c > 0) {
                        int64_t par = (c - 1) / 2;
                        if (!vrt__topk_before(&l, h[par], h[c])) break;
                        int64_t t = h[par];
                        h[par] = h[c];
                        h[c] = t;
                        c = par;
                    }
                } else if (vrt__topk_before(&l, i, h[0])) {
                    h[0] = i;
                    vrt__topk_sift(&l, h, hn, 0);
                }
            }
            /* Pop the worst to the back: h ends up best-first. */
            for (int64_t e = hn - 1; e > 0; e--) {
                int64_t t = h[0];
                h[0] = h[e];
                h[e] = t;
                vrt__topk_sift(&l, h, e, 0);
            }
            float *vo = values + o * k * inner + in;
            int64_t *io = indices + o * k * inner + in;
            for (int64_t r = 0; r < k; r++) {
                vo[r * inner] = l.v[h[r] * inner];
                io[r * inner] = h[r];
            }
        }
    }
    return VRT_OK;
}

/* ---- TopK on integers ----------------------------------------------------- */

int vrt__cpu_topk_int_ok(vrt__dtype dt) {
    switch (dt) {
    case VRT__DT_INT8:
    case VRT__DT_UINT8:
    case VRT__DT_INT16:
    case VRT__DT_UINT16:
    case VRT__DT_INT32:
    case VRT__DT_UINT32:
    case VRT__DT_INT64:
    case VRT__DT_UINT64: return 1;
    default: return 0;
    }
}

/* Element i as a key that orders like the value: unsigned types as is,
 * signed types with the sign bit flipped. */
static uint64_t vrt__topk_key(vrt__dtype dt, const void *x, int64_t i) {
    const uint64_t flip = (uint64_t)1 << 63;
    switch (dt) {
    case VRT__DT_INT8: return (uint64_t)(int64_t)((const int8_t *)x)[i] ^ flip;
    case VRT__DT_UINT8: return ((const uint8_t *)x)[i];
    case VRT__DT_INT16: return (uint64_t)(int64_t)((const int16_t *)x)[i] ^ flip;
    case VRT__DT_UINT16: return ((const uint16_t *)x)[i];
    case VRT__DT_INT32: return (uint64_t)(int64_t)((const int32_t *)x)[i] ^ flip;
    case VRT__DT_UINT32: return ((const uint32_t *)x)[i];
    case VRT__DT_INT64: return (uint64_t)((const int64_t *)x)[i] ^ flip;
    default: return ((const uint64_t *)x)[i];
    }
}

vrt_status vrt__cpu_topk_int(const vrt__topk_params *p, vrt__dtype dt, const void *x, const vrt__shape *sx,
                             void *values, int64_t *indices, void *scratch) {
    int axis;
    if (!vrt__cpu_topk_int_ok(dt)) return VRT_EUNSUPPORTED;
    if (vrt__axis_index(p->axis, sx->ndim, &axis)) return VRT_EINVAL;
    int64_t n = sx->d[axis], k = p->k;
    if (k < 0 || k > n) return VRT_EINVAL;
    if (k == 0) return VRT_OK;
    if (!scratch) return VRT_EINVAL;
    size_t es = vrt__dtype_size(dt);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= sx->d[i];
    for (int i = axis + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    int64_t *best = scratch; /* element positions along the axis, best first */
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * n * inner + in, hn = 0;
            for (int64_t i = 0; i < n; i++) {
                uint64_t v = vrt__topk_key(dt, x, base + i * inner);
                /* insertion point: after every entry that ranks at least as high (stable) */
                int64_t pos = hn;
                while (pos > 0) {
                    uint64_t w = vrt__topk_key(dt, x, base + best[pos - 1] * inner);
                    if (p->largest ? w >= v : w <= v) break;
                    pos--;
                }
                if (pos >= k) continue;
                int64_t last = hn < k ? hn : k - 1;
                for (int64_t q = last; q > pos; q--)
                    best[q] = best[q - 1];
                best[pos] = i;
                if (hn < k) hn++;
            }
            for (int64_t q = 0; q < k; q++) {
                int64_t out = o * k * inner + q * inner + in;
                memcpy((uint8_t *)values + (size_t)out * es,
                       (const uint8_t *)x + (size_t)(base + best[q] * inner) * es, es);
                if (indices) indices[out] = best[q];
            }
        }
    }
    return VRT_OK;
}

/* ---- CumSum ---- */

int vrt__cpu_cumsum_type_ok(vrt__dtype dt) {
    return dt == VRT__DT_FLOAT || dt == VRT__DT_INT32 || dt == VRT__DT_INT64 || dt == VRT__DT_UINT32 ||
           dt == VRT__DT_UINT64;
}

#define VRT__CUMSUM_LOOP(T)                                                                                  \
    do {                                                                                                     \
        const T *xs = x;                                                                                     \
        T *ys = y;                                                                                           \
        for (int64_t o = 0; o < outer; o++)                                                                  \
            for (int64_t i = 0; i < inner; i++) {                                                            \
                T acc = 0;                                                                                   \
                for (int64_t k = 0; k < len; k++) {                                                          \
                    int64_t q = (o * len + (reverse ? len - 1 - k : k)) * inner + i;                         \
                    T v = xs[q];                                                                             \
                    if (exclusive) {                                                                         \
                        ys[q] = acc;                                                                         \
                        acc += v;                                                                            \
                    } else {                                                                                 \
                        acc += v;                                                                            \
                        ys[q] = acc;                                                                         \
                    }                                                                                        \
                }                                                                                            \
            }                                                                                                \
    } while (0)

vrt_status vrt__cpu_cumsum(vrt__dtype dt, const void *x, void *y, int64_t outer, int64_t len, int64_t inner,
                           int exclusive, int reverse) {
    if (outer < 0 || len < 0 || inner < 0 || (outer * len * inner > 0 && (!x || !y))) return VRT_EINVAL;
    switch (dt) {
    case VRT__DT_FLOAT: VRT__CUMSUM_LOOP(float); break;
    case VRT__DT_INT32: VRT__CUMSUM_LOOP(int32_t); break;
    case VRT__DT_UINT32: VRT__CUMSUM_LOOP(uint32_t); break;
    case VRT__DT_INT64: VRT__CUMSUM_LOOP(int64_t); break;
    case VRT__DT_UINT64: VRT__CUMSUM_LOOP(uint64_t); break;
    default: return VRT_EUNSUPPORTED;
    }
    return VRT_OK;
}
