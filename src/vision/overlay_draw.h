/*
 * Private: the overlay's draw list and the one function that paints a
 * primitive into a pixel, compiled for the host (overlay.c, the CPU twin)
 * and the device (cuda/overlay.cu): the GPU cannot drift from the CPU.
 *
 * vrt_overlay_draw (overlay.c) turns a result into a list of primitives in
 * frame pixels (integers only: every float of the result is rounded on the
 * host once). A pixel's colour is the frame's pixel with every primitive
 * that covers it applied in list order. The CPU twin walks the list and each
 * primitive's rectangle; the GPU kernel gives each pixel a thread that walks
 * the list. Both call vrt__ov_apply, whose arithmetic is integer only, so the
 * two images are equal bit for bit (tests/gpu/test_cuda_overlay.c).
 *
 * Blending: c' = (c * (256 - a) + col * a + 128) >> 8 with a in 0..256.
 */
#ifndef VRT_VISION_OVERLAY_DRAW_H
#define VRT_VISION_OVERLAY_DRAW_H

#include <stdint.h>

#include "vision/overlay_font.h"

#if defined(__CUDACC__)
#define VRT__OV_FN static __host__ __device__ __forceinline__
#else
#define VRT__OV_FN static inline
#endif

typedef enum vrt__ov_kind {
    VRT__OV_FILL = 0, /* rectangle [x0, x1) x [y0, y1) in colour, opacity alpha */
    VRT__OV_TEXT = 1, /* text[a .. a + b) with its top-left at (c, d), glyphs scaled by `scale` */
    VRT__OV_DISC = 2, /* disc: centre (a, b), radius r (pixels with dx^2 + dy^2 <= r^2) */
    VRT__OV_LINE = 3, /* segment (a, b) -> (c, d), half width r */
    VRT__OV_MAP = 4,  /* map `scale` (0, 1) of vrt__ov_data placed at (a, b), c x d pixels; palette colours */
} vrt__ov_kind;

typedef struct vrt__ov_prim {
    int32_t kind;
    int32_t x0, y0, x1, y1; /* the rectangle the primitive may touch (clipped to the frame) */
    int32_t a, b, c, d, r;  /* kind-specific, see above */
    int32_t scale;
    uint8_t rgb[3];
    uint8_t pad;
    int32_t alpha; /* 0..256 */
} vrt__ov_prim;

/* Everything a primitive reads besides itself (host or device pointers). */
typedef struct vrt__ov_data {
    const uint8_t *font; /* VRT__FONT_COUNT glyphs of VRT__FONT_W x VRT__FONT_H coverage 0..255 */
    const char *text;    /* the text pool */
    /* Maps of one byte per cell (a class, an instance, or a quantised depth), rows `stride`
     * bytes apart, cells equal to `skip` drawn not at all (-1: none), and the palette
     * (256 * 3 bytes) giving each value its colour: [0] the segmentation mask, [1] the depth. */
    const uint8_t *map[2];
    int32_t mw[2], mh[2], stride[2], skip[2];
    const uint8_t *palette[2];
} vrt__ov_data;

VRT__OV_FN void vrt__ov_blend(uint8_t *px, const uint8_t rgb[3], int32_t a) {
    for (int k = 0; k < 3; k++)
        px[k] = (uint8_t)((px[k] * (256 - a) + rgb[k] * a + 128) >> 8);
}

/* Coverage 0..256 of text primitive p at pixel (x, y) inside its rectangle. */
VRT__OV_FN int32_t vrt__ov_text_cover(const vrt__ov_prim *p, const vrt__ov_data *d, int32_t x, int32_t y) {
    int32_t gx = (x - p->c) / p->scale, gy = (y - p->d) / p->scale;
    int32_t i = gx / VRT__FONT_W, cx = gx % VRT__FONT_W;
    if (i >= p->b || gy >= VRT__FONT_H) return 0;
    int32_t ch = (uint8_t)d->text[p->a + i];
    if (ch < VRT__FONT_FIRST || ch >= VRT__FONT_FIRST + VRT__FONT_COUNT) ch = '?';
    int32_t cov = d->font[((ch - VRT__FONT_FIRST) * VRT__FONT_H + gy) * VRT__FONT_W + cx];
    return cov + (cov >> 7); /* 255 -> 256 */
}

/* Line: squared distance from (x, y) to the segment, compared without division:
 * inside when the distance <= r (all int64). */
VRT__OV_FN int vrt__ov_on_line(const vrt__ov_prim *p, int32_t x, int32_t y) {
    int64_t dx = p->c - p->a, dy = p->d - p->b, vx = x - p->a, vy = y - p->b;
    int64_t t = vx * dx + vy * dy, len2 = dx * dx + dy * dy, r2 = (int64_t)p->r * p->r;
    if (t <= 0 || len2 == 0) return vx * vx + vy * vy <= r2;
    if (t >= len2) {
        int64_t wx = x - p->c, wy = y - p->d;
        return wx * wx + wy * wy <= r2;
    }
    int64_t cross = vx * dy - vy * dx;
    return cross * cross <= r2 * len2;
}

/* Applies primitive p to pixel px at (x, y); the caller checked that (x, y) is
 * inside p's rectangle. */
VRT__OV_FN void vrt__ov_apply(const vrt__ov_prim *p, const vrt__ov_data *d, int32_t x, int32_t y,
                              uint8_t *px) {
    switch (p->kind) {
    case VRT__OV_FILL: vrt__ov_blend(px, p->rgb, p->alpha); return;
    case VRT__OV_TEXT: {
        int32_t cov = vrt__ov_text_cover(p, d, x, y);
        if (cov) vrt__ov_blend(px, p->rgb, (cov * p->alpha + 128) >> 8);
        return;
    }
    case VRT__OV_DISC: {
        int32_t dx = x - p->a, dy = y - p->b;
        if (dx * dx + dy * dy <= p->r * p->r) vrt__ov_blend(px, p->rgb, p->alpha);
        return;
    }
    case VRT__OV_LINE:
        if (vrt__ov_on_line(p, x, y)) vrt__ov_blend(px, p->rgb, p->alpha);
        return;
    case VRT__OV_MAP: {
        /* Nearest map cell of the pixel centre: (x - x0) * mw / w, integer. */
        int m = p->scale & 1;
        int32_t mx = (int32_t)((int64_t)(x - p->a) * d->mw[m] / p->c);
        int32_t my = (int32_t)((int64_t)(y - p->b) * d->mh[m] / p->d);
        int32_t v = d->map[m][(int64_t)my * d->stride[m] + mx];
        if (v != d->skip[m]) vrt__ov_blend(px, d->palette[m] + 3 * v, p->alpha);
        return;
    }
    default: return;
    }
}

#endif
