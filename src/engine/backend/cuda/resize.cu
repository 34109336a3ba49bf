/* CUDA twin of the CPU Resize: nearest / linear / cubic over any rank, every
 * coordinate transformation and nearest mode. Instead of the CPU's tap
 * tables, each output element computes its taps on the fly with the same
 * double-precision formulas (explicitly rounded operations, so no FMA
 * contraction moves a coordinate across a rounding boundary). */
#include <math.h>
#include <string.h>

#include "engine/backend/cuda/resize.h"
#include "engine/backend/cuda/cuda_kernels_impl.cuh"

static vrt_status vrt__cuk_no_stream(const char *op) {
    return VRT__CUK_FAIL(op, VRT_EINVAL,
                         "no stream given (the default stream is not used; pass a cudaStream_t)");
}

struct vrt__cuk_resize {
    int nd, mode, coord, nearest, exclude_outside, have_sizes;
    double cubic_a;
    float extrapolation;
    int64_t in[VRT__MAX_DIMS], out[VRT__MAX_DIMS], xs[VRT__MAX_DIMS];
    double scale[VRT__MAX_DIMS], roi_start[VRT__MAX_DIMS], roi_end[VRT__MAX_DIMS];
    int taps[VRT__MAX_DIMS];
};

/* The CPU's plan (vrt__resize_plan_make), filling the by-value struct. */
static vrt_status vrt__cuk_resize_plan(const vrt__resize_params *p, const vrt__shape *sx,
                                       vrt__cuk_resize *pl) {
    vrt__shape so;
    vrt_status st = vrt__resize_out_shape(p, sx, &so); /* all the attribute checks */
    if (st) return st;
    int nd = sx->ndim;
    int axes[VRT__MAX_DIMS], na = p->naxes;
    if (na == 0) {
        na = nd;
        for (int i = 0; i < nd; i++)
            axes[i] = i;
    } else {
        for (int i = 0; i < na; i++)
            axes[i] = (int)(p->axes[i] < 0 ? p->axes[i] + nd : p->axes[i]);
    }
    memset(pl, 0, sizeof(*pl));
    pl->nd = nd;
    pl->mode = p->mode;
    pl->coord = p->coord;
    pl->nearest = p->nearest_mode;
    pl->exclude_outside = p->exclude_outside;
    pl->have_sizes = p->have_sizes;
    pl->cubic_a = p->cubic_coeff_a;
    pl->extrapolation = p->extrapolation_value;
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        pl->xs[i] = s;
        s *= sx->d[i];
    }
    for (int i = 0; i < nd; i++) {
        pl->in[i] = sx->d[i];
        pl->out[i] = so.d[i];
        pl->scale[i] = 1.0;
        pl->roi_start[i] = 0.0;
        pl->roi_end[i] = 1.0;
    }
    for (int k = 0; k < na; k++) {
        int a = axes[k];
        if (p->have_roi) {
            pl->roi_start[a] = p->roi[k];
            pl->roi_end[a] = p->roi[k + na];
        }
        if (p->have_scales) pl->scale[a] = p->scales[k];
    }
    if (p->have_sizes) {
        if (p->keep_aspect == VRT__ASPECT_STRETCH) {
            for (int k = 0; k < na; k++)
                pl->scale[axes[k]] = (double)pl->out[axes[k]] / (double)sx->d[axes[k]];
        } else {
            double sc = p->keep_aspect == VRT__ASPECT_NOT_LARGER ? INFINITY : 0.0;
            for (int k = 0; k < na; k++) {
                double r = (double)p->sizes[k] / (double)sx->d[axes[k]];
                sc = p->keep_aspect == VRT__ASPECT_NOT_LARGER ? fmin(sc, r) : fmax(sc, r);
            }
            for (int k = 0; k < na; k++)
                pl->scale[axes[k]] = sc;
        }
    }
    for (int i = 0; i < nd; i++) {
        int identity = pl->out[i] == sx->d[i] && pl->scale[i] == 1.0 &&
                       p->coord != VRT__COORD_TF_CROP_AND_RESIZE &&
                       p->coord != VRT__COORD_TF_HALF_PIXEL_FOR_NN;
        if (identity || p->mode == VRT__RESIZE_NEAREST)
            pl->taps[i] = (identity && p->mode != VRT__RESIZE_NEAREST) ? -1 : 1; /* -1: identity */
        else
            pl->taps[i] = p->mode == VRT__RESIZE_LINEAR ? 2 : 4;
    }
    return VRT_OK;
}

#define VRT__D_ADD(a, b) __dadd_rn((a), (b))
#define VRT__D_SUB(a, b) __dsub_rn((a), (b))
#define VRT__D_MUL(a, b) __dmul_rn((a), (b))

__device__ double vrt__cuk_resize_map(const vrt__cuk_resize &p, int a, double x) {
    double scale = p.scale[a], in = (double)p.in[a];
    double out_len = p.have_sizes ? (double)p.out[a] : VRT__D_MUL(scale, in);
    switch (p.coord) {
    case VRT__COORD_HALF_PIXEL: return VRT__D_SUB(VRT__D_ADD(x, 0.5) / scale, 0.5);
    case VRT__COORD_HALF_PIXEL_SYMMETRIC: {
        double adjustment = (double)p.out[a] / out_len;
        double center = in / 2.0;
        double offset = VRT__D_MUL(center, VRT__D_SUB(1.0, adjustment));
        return VRT__D_SUB(VRT__D_ADD(offset, VRT__D_ADD(x, 0.5) / scale), 0.5);
    }
    case VRT__COORD_PYTORCH_HALF_PIXEL:
        return out_len > 1 ? VRT__D_SUB(VRT__D_ADD(x, 0.5) / scale, 0.5) : 0.0;
    case VRT__COORD_ALIGN_CORNERS:
        return out_len == 1 ? 0.0 : VRT__D_MUL(x, VRT__D_SUB(in, 1)) / VRT__D_SUB(out_len, 1);
    case VRT__COORD_ASYMMETRIC: return x / scale;
    case VRT__COORD_TF_HALF_PIXEL_FOR_NN: return VRT__D_ADD(x, 0.5) / scale;
    case VRT__COORD_TF_CROP_AND_RESIZE: {
        double s = p.roi_start[a], e = p.roi_end[a];
        if (out_len > 1)
            return VRT__D_ADD(VRT__D_MUL(s, VRT__D_SUB(in, 1)),
                              VRT__D_MUL(VRT__D_MUL(x, VRT__D_SUB(e, s)), VRT__D_SUB(in, 1)) /
                                  VRT__D_SUB(out_len, 1));
        return VRT__D_MUL(VRT__D_MUL(0.5, VRT__D_ADD(s, e)), VRT__D_SUB(in, 1));
    }
    }
    return x;
}

__device__ __forceinline__ int64_t vrt__cuk_nearest(int m, double x) {
    double f = floor(x);
    switch (m) {
    case VRT__NEAREST_FLOOR: return (int64_t)f;
    case VRT__NEAREST_CEIL: return (int64_t)ceil(x);
    case VRT__NEAREST_ROUND_PREFER_CEIL: return (int64_t)(VRT__D_SUB(x, f) >= 0.5 ? f + 1 : f);
    default: return (int64_t)(VRT__D_SUB(x, f) > 0.5 ? f + 1 : f);
    }
}

__device__ void vrt__cuk_cubic(double r, double A, double c[4]) {
    double t = VRT__D_ADD(r, 1), u = VRT__D_SUB(1, r), v = VRT__D_SUB(2, r);
    c[0] = VRT__D_SUB(
        VRT__D_MUL(
            VRT__D_ADD(VRT__D_MUL(VRT__D_SUB(VRT__D_MUL(A, t), VRT__D_MUL(5, A)), t), VRT__D_MUL(8, A)), t),
        VRT__D_MUL(4, A));
    c[1] = VRT__D_ADD(
        VRT__D_MUL(VRT__D_MUL(VRT__D_SUB(VRT__D_MUL(VRT__D_ADD(A, 2), r), VRT__D_ADD(A, 3)), r), r), 1);
    c[2] = VRT__D_ADD(
        VRT__D_MUL(VRT__D_MUL(VRT__D_SUB(VRT__D_MUL(VRT__D_ADD(A, 2), u), VRT__D_ADD(A, 3)), u), u), 1);
    c[3] = VRT__D_SUB(
        VRT__D_MUL(
            VRT__D_ADD(VRT__D_MUL(VRT__D_SUB(VRT__D_MUL(A, v), VRT__D_MUL(5, A)), v), VRT__D_MUL(8, A)), v),
        VRT__D_MUL(4, A));
}

/* Taps of output coordinate o on axis a; returns the count, or 0 when the
 * point is outside (tf_crop_and_resize extrapolation). */
__device__ int vrt__cuk_resize_taps(const vrt__cuk_resize &p, int a, int64_t o, int64_t *ix, float *wt) {
    int T = p.taps[a];
    int64_t in_len = p.in[a];
    if (T < 0) {
        ix[0] = o;
        wt[0] = 1.0f;
        return 1;
    }
    double x = vrt__cuk_resize_map(p, a, (double)o);
    if (p.coord == VRT__COORD_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(in_len - 1))) return 0;
    if (p.mode == VRT__RESIZE_NEAREST) {
        int64_t i = vrt__cuk_nearest(p.nearest, x);
        ix[0] = i < 0 ? 0 : (i >= in_len ? in_len - 1 : i);
        wt[0] = 1.0f;
        return 1;
    }
    double f = floor(x), r = VRT__D_SUB(x, f);
    int64_t i0 = (int64_t)f;
    if (T == 2) {
        ix[0] = i0 < 0 ? 0 : (i0 >= in_len ? in_len - 1 : i0);
        ix[1] = i0 + 1 < 0 ? 0 : (i0 + 1 >= in_len ? in_len - 1 : i0 + 1);
        wt[0] = (float)VRT__D_SUB(1.0, r);
        wt[1] = (float)r;
        return 2;
    }
    double c[4], sum = 0;
    vrt__cuk_cubic(r, p.cubic_a, c);
    for (int t = 0; t < 4; t++) {
        int64_t i = i0 - 1 + t;
        if (p.exclude_outside && (i < 0 || i >= in_len)) c[t] = 0;
        sum = VRT__D_ADD(sum, c[t]);
        ix[t] = i < 0 ? 0 : (i >= in_len ? in_len - 1 : i);
    }
    for (int t = 0; t < 4; t++)
        wt[t] = (float)(p.exclude_outside && sum != 0 ? c[t] / sum : c[t]);
    return 4;
}

__global__ void vrt__k_resize(const float *x, float *y, int64_t total, vrt__cuk_resize p) {
    VRT__CUK_GRID_LOOP(e, total) {
        int64_t o[VRT__MAX_DIMS];
        int64_t r = e;
        for (int i = p.nd - 1; i >= 0; i--) {
            o[i] = r % p.out[i];
            r /= p.out[i];
        }
        int64_t ix[VRT__MAX_DIMS][4];
        float wt[VRT__MAX_DIMS][4];
        int nt[VRT__MAX_DIMS];
        int act[VRT__MAX_DIMS], na = 0;
        int64_t base = 0;
        bool outside = false;
        for (int i = 0; i < p.nd; i++) {
            nt[i] = vrt__cuk_resize_taps(p, i, o[i], ix[i], wt[i]);
            if (nt[i] == 0) {
                outside = true;
                break;
            }
            if (nt[i] == 1)
                base += ix[i][0] * p.xs[i];
            else
                act[na++] = i;
        }
        if (outside) {
            y[e] = p.extrapolation;
            continue;
        }
        if (na == 0) {
            y[e] = x[base];
            continue;
        }
        int tc[VRT__MAX_DIMS] = {0};
        double acc = 0;
        for (;;) {
            int64_t off = base;
            double w = 1.0;
            for (int k = 0; k < na; k++) {
                int a = act[k];
                off += ix[a][tc[k]] * p.xs[a];
                w = VRT__D_MUL(w, (double)wt[a][tc[k]]);
            }
            acc = VRT__D_ADD(acc, VRT__D_MUL(w, (double)x[off]));
            int k = na - 1;
            for (; k >= 0; k--) {
                if (++tc[k] < nt[act[k]]) break;
                tc[k] = 0;
            }
            if (k < 0) break;
        }
        y[e] = (float)acc;
    }
}

extern "C" size_t vrt__cuda_resize_scratch_bytes(const vrt__resize_params *p, const vrt__shape *sx,
                                                 const vrt__shape *sy) {
    (void)p;
    (void)sx;
    (void)sy;
    return 0;
}

extern "C" vrt_status vrt__cuda_resize_f32(void *stream, const vrt__resize_params *p, const float *x,
                                           const vrt__shape *sx, float *y, const vrt__shape *sy,
                                           void *scratch) {
    (void)scratch;
    vrt__cuk_resize pl;
    vrt_status st = vrt__cuk_resize_plan(p, sx, &pl);
    if (st) return VRT__CUK_FAIL("Resize", st, "bad or unsupported attributes (antialias is not supported)");
    if (sy->ndim != sx->ndim)
        return VRT__CUK_FAIL("Resize", VRT_EINVAL, "output rank differs from the input's");
    int64_t total = 1;
    for (int i = 0; i < sx->ndim; i++) {
        if (sy->d[i] != pl.out[i])
            return VRT__CUK_FAIL("Resize", VRT_EINVAL, "output shape differs from the computed one");
        total *= pl.out[i];
    }
    if (!stream) return vrt__cuk_no_stream("Resize");
    if (total == 0) return VRT_OK;
    vrt__k_resize<<<vrt__cuk_blocks(total), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, total, pl);
    return VRT__CUK_CHECK("Resize");
}
