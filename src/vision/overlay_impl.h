/* Private: the overlay handle behind vrt/overlay.h, shared by the CPU twin
 * (overlay.c) and the GPU twin's host code (cuda/overlay_cuda.c). */
#ifndef VRT_VISION_OVERLAY_IMPL_H
#define VRT_VISION_OVERLAY_IMPL_H

#include "vision/overlay_draw.h"
#include "vrt/overlay.h"

/* Room for every box of a result (outline 4, tint 1, label 2, secondary label 2), the
 * classifier's lines and the HUD. */
#define VRT__OV_MAX_PRIMS (VRT_DETECT_MAX * 9 + 64)
#define VRT__OV_TEXT_CAP (VRT_DETECT_MAX * 96 + 4096)

struct vrt_overlay {
    vrt_overlay_params p;
    vrt__ov_prim *prims;
    int n;
    char *text;
    size_t text_len;
    uint8_t *font;        /* VRT__FONT_COUNT * VRT__FONT_H * VRT__FONT_W coverage bytes, 0..255 */
    uint8_t palette[768]; /* class colours, repeated */
    void *cuda;           /* the GPU twin's buffers (cuda/overlay_cuda.c), or NULL */
    void (*cuda_free)(void *);
};

/* The draw list for a w x h frame into ov->prims / ov->text (host only; allocates nothing). */
void vrt__overlay_plan(vrt_overlay_t *ov, uint32_t w, uint32_t h, const vrt_result *r,
                       const vrt_overlay_info *info);
/* The pointers a primitive reads, on the host. */
void vrt__overlay_host_data(const vrt_overlay_t *ov, vrt__ov_data *d);

#endif
