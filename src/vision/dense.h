/*
 * Private: the per-pixel arithmetic of the heads whose results are maps in
 * the frame's geometry (depth, segment-argmax, segment-yolov8 masks), one
 * definition for the CPU twins and the CUDA kernels (like pixel.h), so the
 * GPU cannot drift from the CPU reference.
 *
 * Frame pixel (x, y) -> network input: xi = (x + 0.5) * sx + ox (sx, ox from
 * the pre-processing geometry, the ROI folded in); the pixel is valid when
 * 0 <= xi < input width (and the same for y): crop mode cuts some away,
 * letterbox pads are never reached. Input -> the output map (which may be
 * smaller: SegFormer's 1/4, YOLOv8's 160x160 prototypes): u = xi * (map_w /
 * input_w) - 0.5, bilinear with the half-pixel convention of
 * torch.nn.functional.interpolate(align_corners=False) and OpenCV (clamped
 * at the borders). Float arithmetic with explicit round-to-nearest device
 * intrinsics, so the CUDA kernels compute exactly what the CPU does.
 */
#ifndef VRT_VISION_DENSE_H
#define VRT_VISION_DENSE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vrt/vision.h"

#if defined(__CUDACC__)
#define VRT__DN_FN static __host__ __device__ __forceinline__
#else
#define VRT__DN_FN static inline
#endif

#if defined(__CUDA_ARCH__)
#define VRT__DN_MUL(a, b) __fmul_rn((a), (b))
#define VRT__DN_ADD(a, b) __fadd_rn((a), (b))
#define VRT__DN_SUB(a, b) __fsub_rn((a), (b))
#define VRT__DN_DIV(a, b) __fdiv_rn((a), (b))
#else
#define VRT__DN_MUL(a, b) ((a) * (b))
#define VRT__DN_ADD(a, b) ((a) + (b))
#define VRT__DN_SUB(a, b) ((a) - (b))
#define VRT__DN_DIV(a, b) ((a) / (b))
#endif

/* Frame -> map sampling, by value (a kernel argument). */
typedef struct vrt__dense_geom {
    float sx, ox, sy, oy; /* frame pixel centre -> network input */
    float rx, ry;         /* network input -> map (map size / input size) */
    float in_w, in_h;     /* network input size */
    int map_w, map_h;     /* the output map */
    int frame_w, frame_h; /* the result's maps */
} vrt__dense_geom;

/* From the pre-processing geometry (NULL: the frame is the network input). */
static inline vrt__dense_geom vrt__dense_geom_make(const vrt_preprocess_geometry *g, uint32_t in_w,
                                                   uint32_t in_h, int map_w, int map_h, int frame_w,
                                                   int frame_h) {
    vrt__dense_geom d;
    d.sx = g ? (float)g->scale_x : 1.0f;
    d.sy = g ? (float)g->scale_y : 1.0f;
    d.ox = g ? (float)(g->offset_x - (double)g->roi_x * g->scale_x) : 0.0f;
    d.oy = g ? (float)(g->offset_y - (double)g->roi_y * g->scale_y) : 0.0f;
    d.rx = (float)((double)map_w / (double)in_w);
    d.ry = (float)((double)map_h / (double)in_h);
    d.in_w = (float)in_w;
    d.in_h = (float)in_h;
    d.map_w = map_w;
    d.map_h = map_h;
    d.frame_w = frame_w;
    d.frame_h = frame_h;
    return d;
}

/* Bilinear taps of one frame pixel: offsets of the four samples and weights. */
typedef struct vrt__dense_taps {
    int valid;
    size_t i00, i01, i10, i11;
    float fx, fy;
} vrt__dense_taps;

VRT__DN_FN float vrt__dense_axis(float c, float r, int n, int *i0, int *i1) {
    float u = VRT__DN_SUB(VRT__DN_MUL(c, r), 0.5f);
    if (u < 0.0f) u = 0.0f;
    int a = (int)u;
    if (a >= n - 1) {
        *i0 = *i1 = n - 1;
        return 0.0f;
    }
    *i0 = a;
    *i1 = a + 1;
    return VRT__DN_SUB(u, (float)a);
}

VRT__DN_FN vrt__dense_taps vrt__dense_taps_at(const vrt__dense_geom *g, int x, int y) {
    vrt__dense_taps t;
    float xi = VRT__DN_ADD(VRT__DN_MUL((float)x + 0.5f, g->sx), g->ox);
    float yi = VRT__DN_ADD(VRT__DN_MUL((float)y + 0.5f, g->sy), g->oy);
    t.valid = xi >= 0.0f && xi < g->in_w && yi >= 0.0f && yi < g->in_h;
    int x0, x1, y0, y1;
    t.fx = vrt__dense_axis(xi, g->rx, g->map_w, &x0, &x1);
    t.fy = vrt__dense_axis(yi, g->ry, g->map_h, &y0, &y1);
    t.i00 = (size_t)y0 * (size_t)g->map_w + (size_t)x0;
    t.i01 = (size_t)y0 * (size_t)g->map_w + (size_t)x1;
    t.i10 = (size_t)y1 * (size_t)g->map_w + (size_t)x0;
    t.i11 = (size_t)y1 * (size_t)g->map_w + (size_t)x1;
    return t;
}

/* (1-fy)((1-fx) p00 + fx p01) + fy((1-fx) p10 + fx p11), as vrt/vision.h step 3. */
VRT__DN_FN float vrt__dense_sample(const float *p, const vrt__dense_taps *t) {
    const float gx = VRT__DN_SUB(1.0f, t->fx), gy = VRT__DN_SUB(1.0f, t->fy);
    float top = VRT__DN_ADD(VRT__DN_MUL(gx, p[t->i00]), VRT__DN_MUL(t->fx, p[t->i01]));
    float bot = VRT__DN_ADD(VRT__DN_MUL(gx, p[t->i10]), VRT__DN_MUL(t->fx, p[t->i11]));
    return VRT__DN_ADD(VRT__DN_MUL(gy, top), VRT__DN_MUL(t->fy, bot));
}

/* Depth: normalised value and its colour index (0..255). */
VRT__DN_FN float vrt__dense_norm(float raw, float mn, float mx) {
    return mx > mn ? VRT__DN_DIV(VRT__DN_SUB(raw, mn), VRT__DN_SUB(mx, mn)) : 0.0f;
}
VRT__DN_FN int vrt__dense_color_index(float n) {
    float v = VRT__DN_ADD(VRT__DN_MUL(n, 255.0f), 0.5f);
    return v <= 0.0f ? 0 : v >= 255.0f ? 255 : (int)v;
}

/* A frame pixel's centre inside a box in frame pixels ([x1, x2) x [y1, y2)). */
VRT__DN_FN int vrt__dense_in_box(const vrt_box *b, int x, int y) {
    const float cx = (float)x + 0.5f, cy = (float)y + 0.5f;
    return cx >= b->x1 && cx < b->x2 && cy >= b->y1 && cy < b->y2;
}

/* The colour maps, 256 RGB entries each (colormaps.c, generated). */
extern const uint8_t vrt__colormap_turbo[256][3];
extern const uint8_t vrt__colormap_inferno[256][3];

/* The depth at a box (vrt_result_depth_median, the session's per-box depths
 * on the CUDA side): the frame pixels whose centres x + 0.5 lie inside
 * [x1, x2) x [y1, y2), clipped to the w x h map: [*x0, *x1) x [*y0, *y1). */
VRT__DN_FN void vrt__dn_box_pixels(const vrt_box *box, int w, int h, int *x0, int *y0, int *x1, int *y1) {
    const float fx0 = ceilf(box->x1 - 0.5f), fy0 = ceilf(box->y1 - 0.5f);
    const float fx1 = ceilf(box->x2 - 0.5f), fy1 = ceilf(box->y2 - 0.5f);
    *x0 = fx0 < 0 ? 0 : fx0 > (float)w ? w : (int)fx0;
    *y0 = fy0 < 0 ? 0 : fy0 > (float)h ? h : (int)fy0;
    *x1 = fx1 < (float)*x0 ? *x0 : fx1 > (float)w ? w : (int)fx1;
    *y1 = fy1 < (float)*y0 ? *y0 : fy1 > (float)h ? h : (int)fy1;
}

/* Floats as unsigned keys in the same order (no NaN), and back: the radix
 * select of the box medians works on these. */
VRT__DN_FN uint32_t vrt__dn_fkey(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
VRT__DN_FN float vrt__dn_keyf(uint32_t k) {
    uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

#endif
