/*
 * Private: device code shared by preprocess.cu (whole frame) and roi.cu (ROI
 * batches): the pixel fetch of src/vision/pixel.h, the axis sampling of
 * src/vision/preprocess.c and the per-output-pixel body.
 *
 * Exactness: every float/double operation is written with an explicit
 * round-to-nearest intrinsic (__fmul_rn, __dadd_rn, ...) in the CPU twin's
 * order. nvcc would otherwise contract a * b + c into one FMA, which rounds
 * once instead of twice and breaks bit equality with the CPU (which is
 * compiled in ISO C mode without FMA contraction).
 */
#ifndef VRT_VISION_CUDA_PREPROCESS_IMPL_CUH
#define VRT_VISION_CUDA_PREPROCESS_IMPL_CUH

#include <cuda_fp16.h>
#include <stdint.h>

#include "vision/cuda/vision_cuda.h"
#include "vision/pixel.h"
#include "vision/resample.h"

/* The pixel fetch is pixel.h's, compiled as host+device code. */
static __device__ __forceinline__ void vrt__d_fetch_rgb(const vrt__cuda_src &f, uint32_t x, uint32_t y,
                                                        int rgb[3]) {
    vrt__px_fetch_rgb_planes(f.fourcc, f.p0, f.s0, f.p1, f.s1, x, y, rgb);
}

/* As axis_coord in preprocess.c: fx = (float)((d + 0.5) * scale - 0.5). */
static __device__ __forceinline__ void vrt__d_axis(int32_t d, double scale, uint32_t n, uint32_t *i0,
                                                   uint32_t *i1, float *f) {
    float fx = __double2float_rn(__dadd_rn(__dmul_rn(__dadd_rn((double)d, 0.5), scale), -0.5));
    float fl = floorf(fx);
    int32_t s = (int32_t)fl;
    fx = __fsub_rn(fx, fl);
    if (s < 0) {
        s = 0;
        fx = 0.0f;
    }
    if (s >= (int32_t)n - 1) {
        s = (int32_t)n - 1;
        fx = 0.0f;
    }
    *i0 = (uint32_t)s;
    *i1 = (uint32_t)s + 1 < n ? (uint32_t)s + 1 : n - 1;
    *f = fx;
}

/* Where one image's source region sits and how it maps to the output. */
typedef struct vrt__d_region {
    uint32_t rx, ry, sw, sh; /* source region */
    uint32_t rw, rh;         /* resized size */
    int32_t off_x, off_y;    /* resized image origin in the output */
    int valid;               /* 0: whole image is padding (refused ROI) */
} vrt__d_region;

/* The bilinear mix of the four neighbours, in the CPU twin's order. */
static __device__ __forceinline__ void vrt__d_bilinear(const vrt__cuda_src &f, const vrt__d_region &r,
                                                       uint32_t x0, uint32_t x1, uint32_t y0, uint32_t y1,
                                                       float fx, float fy, float v[3]) {
    int a[3], b[3], c[3], d[3];
    vrt__d_fetch_rgb(f, r.rx + x0, r.ry + y0, a);
    vrt__d_fetch_rgb(f, r.rx + x1, r.ry + y0, b);
    vrt__d_fetch_rgb(f, r.rx + x0, r.ry + y1, c);
    vrt__d_fetch_rgb(f, r.rx + x1, r.ry + y1, d);
    const float gx = __fsub_rn(1.0f, fx), gy = __fsub_rn(1.0f, fy);
#pragma unroll
    for (int k = 0; k < 3; k++) {
        float top = __fadd_rn(__fmul_rn(gx, (float)a[k]), __fmul_rn(fx, (float)b[k]));
        float bot = __fadd_rn(__fmul_rn(gx, (float)c[k]), __fmul_rn(fx, (float)d[k]));
        v[k] = __fadd_rn(__fmul_rn(gy, top), __fmul_rn(fy, bot));
    }
}

/* One output pixel (ox, oy) of one image (out points at that image). */
static __device__ __forceinline__ void vrt__d_pre_pixel(const vrt__cuda_src &f, const vrt__d_region &r,
                                                        const vrt_preprocess_params &p, uint32_t ox,
                                                        uint32_t oy, void *out) {
    const uint32_t W = p.width, H = p.height;
    float v[3];
    int32_t xx = (int32_t)ox - r.off_x, yy = (int32_t)oy - r.off_y;
    if (!r.valid || yy < 0 || yy >= (int32_t)r.rh || xx < 0 || xx >= (int32_t)r.rw) {
        v[0] = v[1] = v[2] = p.pad_value;
    } else {
        /* OpenCV: inv_scale = dsize / ssize, scale = 1 / inv_scale, both double. */
        const double invx = __ddiv_rn((double)r.rw, (double)r.sw),
                     invy = __ddiv_rn((double)r.rh, (double)r.sh);
        const double scx = __ddiv_rn(1.0, invx), scy = __ddiv_rn(1.0, invy);
        const int area_avg = p.interp == VRT_INTERP_AREA && scx >= 1.0 && scy >= 1.0;
        uint32_t x0, x1, y0, y1;
        float fx, fy;
        if (area_avg) {
            vrt__area_span spx, spy;
            vrt__area_span_at(xx, scx, r.sw, &spx);
            vrt__area_span_at(yy, scy, r.sh, &spy);
            vrt__area_sample(f.fourcc, f.p0, f.s0, f.p1, f.s1, r.rx, r.ry, &spx, &spy, v);
        } else if (p.interp == VRT_INTERP_AREA) {
            vrt__area_linear_at(xx, scx, invx, r.sw, &x0, &x1, &fx);
            vrt__area_linear_at(yy, scy, invy, r.sh, &y0, &y1, &fy);
        } else {
            vrt__d_axis(yy, scy, r.sh, &y0, &y1, &fy);
            vrt__d_axis(xx, scx, r.sw, &x0, &x1, &fx);
        }
        if (!area_avg) vrt__d_bilinear(f, r, x0, x1, y0, y1, fx, fy, v);
    }
    const size_t plane = (size_t)W * H, pix = (size_t)oy * W + ox;
#pragma unroll
    for (int c = 0; c < 3; c++) {
        float val = v[p.color == VRT_COLOR_RGB ? c : 2 - c];
        val = __fdiv_rn(__fsub_rn(__fmul_rn(val, p.scale), p.mean[c]), p.std[c]);
        size_t idx = p.layout == VRT_LAYOUT_NCHW ? (size_t)c * plane + pix : pix * 3 + (size_t)c;
        if (p.dtype == VRT_TENSOR_F16)
            ((__half *)out)[idx] = __float2half_rn(val);
        else
            ((float *)out)[idx] = val;
    }
}

#endif
