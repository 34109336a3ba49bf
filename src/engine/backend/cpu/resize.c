/* CPU reference kernel: Resize (and Upsample) over any rank, nearest, linear
 * and cubic, with every coordinate transformation of ONNX opset 11-19.
 *
 * Each resized axis gets a table of taps (source index and weight per output
 * coordinate, index -1 meaning "outside": extrapolation); the output is the
 * weighted sum over the product of the axes' taps. Axes left at their size
 * with an identity mapping get one tap of weight 1, so a 4-D NCHW bilinear
 * resize costs 4 taps per output, not 16. */
#include <math.h>
#include <string.h>

#include "bcast.h"
#include "kernels_tensor.h"

size_t vrt__resize_scratch_bytes(const vrt__resize_params *p, const vrt__shape *sx, const vrt__shape *sy) {
    vrt__resize_plan pl;
    if (vrt__resize_plan_make(p, sx, &pl)) return 0;
    size_t total = 0;
    for (int i = 0; i < sx->ndim; i++)
        total += (size_t)pl.out[i] * (size_t)pl.taps[i] * (sizeof(int64_t) + sizeof(float));
    return total;
}

/* Output coordinate -> input coordinate (ONNX's coordinate_transformation_mode). */
static double vrt__resize_map(const vrt__resize_params *p, const vrt__resize_plan *pl, int a, int64_t in_len,
                              double x) {
    /* As ONNX's reference: the resized length is scale * length, not the
     * rounded output size (they differ for align_corners with scales that do
     * not divide evenly; onnxruntime uses the rounded size there). */
    double scale = pl->scale[a], in = (double)in_len;
    double out_len = p->have_sizes ? (double)pl->out[a] : scale * in;
    switch (p->coord) {
    case VRT__COORD_HALF_PIXEL: return (x + 0.5) / scale - 0.5;
    case VRT__COORD_HALF_PIXEL_SYMMETRIC: {
        double adjustment = (double)pl->out[a] / out_len;
        double center = in / 2.0;
        double offset = center * (1.0 - adjustment);
        return offset + (x + 0.5) / scale - 0.5;
    }
    case VRT__COORD_PYTORCH_HALF_PIXEL: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case VRT__COORD_ALIGN_CORNERS: return out_len == 1 ? 0.0 : x * (in - 1) / (out_len - 1);
    case VRT__COORD_ASYMMETRIC: return x / scale;
    case VRT__COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / scale;
    case VRT__COORD_TF_CROP_AND_RESIZE: {
        double s = pl->roi_start[a], e = pl->roi_end[a];
        if (out_len > 1) return s * (in - 1) + x * (e - s) * (in - 1) / (out_len - 1);
        return 0.5 * (s + e) * (in - 1);
    }
    }
    return x;
}

static int64_t vrt__resize_nearest_index(vrt__resize_nearest m, double x) {
    double f = floor(x);
    switch (m) {
    case VRT__NEAREST_FLOOR: return (int64_t)f;
    case VRT__NEAREST_CEIL: return (int64_t)ceil(x);
    case VRT__NEAREST_ROUND_PREFER_CEIL: return (int64_t)(x - f >= 0.5 ? f + 1 : f);
    default: return (int64_t)(x - f > 0.5 ? f + 1 : f);
    }
}

static void vrt__cubic_coeffs(double r, double A, double c[4]) {
    double t = r + 1, u = 1 - r, v = 2 - r;
    c[0] = ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
    c[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
    c[2] = ((A + 2) * u - (A + 3)) * u * u + 1;
    c[3] = ((A * v - 5 * A) * v + 8 * A) * v - 4 * A;
}

/* Fills one axis' taps: idx[o*T + t], w[o*T + t]. */
static void vrt__resize_axis_table(const vrt__resize_params *p, const vrt__resize_plan *pl, int a,
                                   int64_t in_len, int64_t *idx, float *w) {
    int T = pl->taps[a];
    int64_t out = pl->out[a];
    int identity = T == 1 && p->mode != VRT__RESIZE_NEAREST;
    for (int64_t o = 0; o < out; o++) {
        int64_t *ix = idx + o * T;
        float *wt = w + o * T;
        if (identity) {
            ix[0] = o;
            wt[0] = 1.0f;
            continue;
        }
        double x = vrt__resize_map(p, pl, a, in_len, (double)o);
        if (p->coord == VRT__COORD_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(in_len - 1))) {
            for (int t = 0; t < T; t++) {
                ix[t] = -1;
                wt[t] = 0.0f;
            }
            continue;
        }
        if (p->mode == VRT__RESIZE_NEAREST) {
            int64_t i = vrt__resize_nearest_index(p->nearest_mode, x);
            ix[0] = i < 0 ? 0 : (i >= in_len ? in_len - 1 : i);
            wt[0] = 1.0f;
            continue;
        }
        double f = floor(x), r = x - f;
        int64_t i0 = (int64_t)f;
        if (T == 2) {
            int64_t a0 = i0 < 0 ? 0 : (i0 >= in_len ? in_len - 1 : i0);
            int64_t a1 = i0 + 1 < 0 ? 0 : (i0 + 1 >= in_len ? in_len - 1 : i0 + 1);
            ix[0] = a0;
            ix[1] = a1;
            wt[0] = (float)(1.0 - r);
            wt[1] = (float)r;
            continue;
        }
        double c[4];
        vrt__cubic_coeffs(r, p->cubic_coeff_a, c);
        double sum = 0;
        for (int t = 0; t < 4; t++) {
            int64_t i = i0 - 1 + t;
            if (p->exclude_outside && (i < 0 || i >= in_len)) c[t] = 0;
            sum += c[t];
            ix[t] = i < 0 ? 0 : (i >= in_len ? in_len - 1 : i);
        }
        for (int t = 0; t < 4; t++)
            wt[t] = (float)(p->exclude_outside && sum != 0 ? c[t] / sum : c[t]);
    }
}

typedef struct {
    int nd;
    int64_t out[VRT__MAX_DIMS];
    int64_t xs[VRT__MAX_DIMS];
    int taps[VRT__MAX_DIMS];
    const int64_t *idx[VRT__MAX_DIMS];
    const float *w[VRT__MAX_DIMS];
    const float *x;
    float *y;
    float extrapolation;
} vrt__resize_job;

static void vrt__resize_chunk(void *ctx, int64_t lo, int64_t hi) {
    const vrt__resize_job *j = ctx;
    int nd = j->nd;
    int64_t o[VRT__MAX_DIMS];
    int64_t r = lo;
    for (int i = nd - 1; i >= 0; i--) {
        o[i] = r % j->out[i];
        r /= j->out[i];
    }
    /* active axes: more than one tap */
    int act[VRT__MAX_DIMS], na = 0;
    for (int i = 0; i < nd; i++)
        if (j->taps[i] > 1) act[na++] = i;
    for (int64_t e = lo; e < hi; e++) {
        int64_t base = 0;
        int outside = 0;
        for (int i = 0; i < nd; i++) {
            int64_t ix = j->idx[i][o[i] * j->taps[i]];
            if (ix < 0) outside = 1;
            if (j->taps[i] == 1) base += ix * j->xs[i];
        }
        float v;
        if (outside) {
            v = j->extrapolation;
        } else if (na == 0) {
            v = j->x[base];
        } else {
            int tc[VRT__MAX_DIMS] = {0};
            double acc = 0;
            for (;;) {
                int64_t off = base;
                double wt = 1.0;
                for (int k = 0; k < na; k++) {
                    int a = act[k];
                    int64_t t = o[a] * j->taps[a] + tc[k];
                    off += j->idx[a][t] * j->xs[a];
                    wt *= j->w[a][t];
                }
                acc += wt * j->x[off];
                int k = na - 1;
                for (; k >= 0; k--) {
                    if (++tc[k] < j->taps[act[k]]) break;
                    tc[k] = 0;
                }
                if (k < 0) break;
            }
            v = (float)acc;
        }
        j->y[e] = v;
        for (int i = nd - 1; i >= 0; i--) {
            if (++o[i] < j->out[i]) break;
            o[i] = 0;
        }
    }
}

/* Every axis one tap (nearest, or an axis left as it is): per output row of
 * the last axis, the source row from the other axes' tables, then a gather
 * along the row; the same values as vrt__resize_chunk, without its
 * per-element walk over every axis (a 2x nearest upsample of YOLOX measured
 * 10x faster so). */
static void vrt__resize_rows(void *ctx, int64_t lo, int64_t hi) {
    const vrt__resize_job *j = ctx;
    int nd = j->nd;
    int64_t W = j->out[nd - 1];
    const int64_t *ixw = j->idx[nd - 1];
    for (int64_t r = lo; r < hi; r++) {
        int64_t rem = r, base = 0;
        int outside = 0;
        for (int i = nd - 2; i >= 0; i--) {
            int64_t ix = j->idx[i][rem % j->out[i]];
            rem /= j->out[i];
            if (ix < 0) outside = 1;
            base += ix * j->xs[i];
        }
        float *yr = j->y + r * W;
        const float *xr = j->x + base;
        if (outside) {
            for (int64_t w = 0; w < W; w++)
                yr[w] = j->extrapolation;
            continue;
        }
        for (int64_t w = 0; w < W; w++)
            yr[w] = ixw[w] < 0 ? j->extrapolation : xr[ixw[w]];
    }
}

vrt_status vrt__cpu_resize_f32(vrt__threadpool *tp, const vrt__resize_params *p, const float *x,
                               const vrt__shape *sx, float *y, const vrt__shape *sy, void *scratch) {
    vrt__resize_plan pl;
    vrt_status st = vrt__resize_plan_make(p, sx, &pl);
    if (st) return st;
    int nd = sx->ndim;
    if (sy->ndim != nd) return VRT_EINVAL;
    int64_t total = 1;
    for (int i = 0; i < nd; i++) {
        if (sy->d[i] != pl.out[i]) return VRT_EINVAL;
        total *= pl.out[i];
    }
    if (total == 0) return VRT_OK;
    if (!scratch) return VRT_EINVAL;
    vrt__resize_job j;
    memset(&j, 0, sizeof(j));
    j.nd = nd;
    j.x = x;
    j.y = y;
    j.extrapolation = p->extrapolation_value;
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        j.xs[i] = s;
        s *= sx->d[i];
    }
    /* int64 tables first, then the float ones, so both stay aligned. */
    int64_t *ip = scratch;
    size_t nidx = 0;
    for (int i = 0; i < nd; i++)
        nidx += (size_t)pl.out[i] * (size_t)pl.taps[i];
    float *wp = (float *)(ip + nidx);
    for (int i = 0; i < nd; i++) {
        j.out[i] = pl.out[i];
        j.taps[i] = pl.taps[i];
        vrt__resize_axis_table(p, &pl, i, sx->d[i], ip, wp);
        j.idx[i] = ip;
        j.w[i] = wp;
        ip += pl.out[i] * pl.taps[i];
        wp += pl.out[i] * pl.taps[i];
    }
    int one_tap = nd >= 1;
    for (int i = 0; i < nd; i++)
        one_tap &= j.taps[i] == 1;
    if (one_tap) {
        int64_t W = j.out[nd - 1];
        vrt__parallel_ranges(tp, total / W, (1 << 14) / W + 1, vrt__resize_rows, &j);
        return VRT_OK;
    }
    vrt__parallel_ranges(tp, total, 1 << 14, vrt__resize_chunk, &j);
    return VRT_OK;
}
