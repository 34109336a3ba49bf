/* Private: the overlay handle behind vrt/overlay.h, shared by the CPU twin
 * (overlay.c) and the GPU twin's host code (cuda/overlay_cuda.c). */
#ifndef VRT_VISION_OVERLAY_IMPL_H
#define VRT_VISION_OVERLAY_IMPL_H

#include "vision/overlay_draw.h"
#include "vrt/overlay.h"

/* Room for every box of a result (outline 4, tint 1, label 2, secondary label 2, 17
 * keypoints and 19 limbs), the classifier's lines, the maps and the HUD. */
#define VRT__OV_MAX_PRIMS (VRT_DETECT_MAX * 62 + 64)
#define VRT__OV_TEXT_CAP (VRT_DETECT_MAX * 96 + 4096)

struct vrt_overlay {
    vrt_overlay_params p;
    vrt__ov_prim *prims;
    int n;
    char *text;
    size_t text_len;
    uint8_t *font;        /* VRT__FONT_COUNT * VRT__FONT_H * VRT__FONT_W coverage bytes, 0..255 */
    uint8_t palette[768]; /* class colours, repeated */
    uint8_t turbo[768]; /* depth colours (Google's turbo), vrt__colormap_turbo (dense.h), 0 far .. 255 near */
    uint8_t inst_pal[768]; /* this frame's instance masks: value i + 1 -> detection i's class colour */
    uint8_t *depth_q;      /* the depth map quantised to 0..254 (255: no depth), grown as needed */
    size_t depth_cap;
    /* The maps the last plan drew (host pointers), as vrt__ov_data wants them. */
    const uint8_t *map[2];
    int32_t mw[2], mh[2], stride[2], skip[2];
    const uint8_t *map_pal[2];
    void *cuda; /* the GPU twin's buffers (cuda/overlay_cuda.c), or NULL */
    void (*cuda_free)(void *);
};

/* The draw list for a w x h frame into ov->prims / ov->text (host only; allocates nothing). */
void vrt__overlay_plan(vrt_overlay_t *ov, uint32_t w, uint32_t h, const vrt_result *r,
                       const vrt_overlay_info *info);
/* The pointers a primitive reads, on the host. */
void vrt__overlay_host_data(const vrt_overlay_t *ov, vrt__ov_data *d);

#endif
