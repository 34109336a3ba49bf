/*
 * vrt/overlay.h - draws a result onto a picture of its frame: boxes in
 * class colours, labels and scores in an embedded bitmap font, a
 * classifier's top classes, secondary labels per box, and a HUD line (fps,
 * end-to-end p50/p99, drops). A cascade's secondary class (vrt_result_secondary)
 * is drawn under its box's label. Dense results: segmentation masks blended
 * in class colours (segment-yolov8: each detection's mask in its box's
 * colour; segment-argmax: every pixel in its class's colour), pose
 * keypoints with the COCO skeleton, and depth in the turbo colours of the
 * depth head (VRT_MAP_DEPTH_COLOR) as an inset or blended. Options in the
 * style of jetson-inference's detectnet (`--overlay box,labels,conf`,
 * `--alpha`).
 *
 *   vrt_overlay_params op;
 *   vrt_overlay_default_params(&op);
 *   vrt_overlay_parse_flags("box,labels,conf,hud", &op.flags, err, sizeof err);
 *   vrt_overlay_t *ov;
 *   vrt_overlay_create(&ov, &op, err, sizeof err);
 *   vrt_frame *rgb;  vrt_image_alloc(VRT_FMT_RGB24, f->width, f->height, &rgb);
 *   vrt_overlay_render(ov, f, rgb, result, NULL, err, sizeof err);  // f: any raw format
 *   ... save, encode or show rgb ...
 *   vrt_overlay_destroy(&ov);
 *
 * The frame is never modified: render converts it into an RGB24 copy
 * (vrt_image_convert's arithmetic) and draws there; src may be that copy
 * itself (an RGB24 frame drawn in place). The GPU twin
 * (vrt_cuda_overlay_render in vrt/vision_cuda.h) does both in one kernel
 * and gives the same pixels: both paint one draw list with the same integer
 * arithmetic (src/vision/overlay_draw.h).
 *
 * Sizes: the line width and the text size follow the frame (2 px lines and
 * 9x17 px glyph cells up to 720 lines; larger frames scale up) unless set.
 * Colours: class c gets entry c % 20 of a fixed palette (Ultralytics');
 * pose: person i of class c draws its skeleton in the colour of c + 1 + i
 * (neighbours differ) and keypoints of score >= 0.5 as discs with a white
 * rim; a limb is drawn when both its ends are.
 *
 * Memory: create allocates the draw list (room for every box a result can
 * hold) and the text; render allocates nothing, except the depth overlay's
 * colour-index buffer the first time a depth map (or a larger one) comes,
 * and, on the GPU, the map staging likewise. Threading: one overlay per
 * thread at a time (it holds the draw list of the last call).
 */
#ifndef VRT_OVERLAY_H
#define VRT_OVERLAY_H

#include "vrt/export.h"
#include "vrt/frame.h"
#include "vrt/result.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vrt_overlay_flag {
    VRT_OVERLAY_BOX = 1 << 0,       /* box outlines, the inside tinted at alpha */
    VRT_OVERLAY_LINES = 1 << 1,     /* box outlines only (no tint) */
    VRT_OVERLAY_LABELS = 1 << 2,    /* class names (detections, top classes, secondary labels) */
    VRT_OVERLAY_CONF = 1 << 3,      /* scores next to the names */
    VRT_OVERLAY_HUD = 1 << 4,       /* one line at the top: fps, e2e p50/p99, drops (vrt_overlay_info) */
    VRT_OVERLAY_MASK = 1 << 5,      /* segmentation: instance masks or class maps blended at alpha */
    VRT_OVERLAY_KEYPOINTS = 1 << 6, /* pose: keypoints (score >= 0.5) and the COCO skeleton */
    VRT_OVERLAY_DEPTH = 1 << 7,     /* depth: turbo-coloured, as an inset (bottom right) or blended */
} vrt_overlay_flag;

typedef struct vrt_overlay_params {
    unsigned flags;  /* vrt_overlay_flag bits; default BOX | LABELS | CONF */
    int alpha;       /* 0..255: opacity of the box tint (default 64); 0 = outlines only */
    int line_width;  /* px; 0 (default): 2, more for frames over 720 lines */
    int font_scale;  /* glyph magnification 1..8; 0 (default): 1, more for frames over 720 lines */
    int max_classes; /* classify results: lines of top classes drawn, 0..16 (default 3) */
    int mask_alpha;  /* 0..255: opacity of segmentation masks (default 110) */
    int depth_blend; /* 0 (default): depth inset bottom-right (1/4 width, 1/4 height); 1: blended, 60% */
} vrt_overlay_params;

VRT_API void vrt_overlay_default_params(vrt_overlay_params *p);

/* "box,labels,conf,hud" (any of box, lines, labels, conf, hud, mask, keypoints, depth,
 * comma-separated) or "none" -> flags.
 * VRT_EINVAL naming the unknown word and listing the known ones. */
VRT_API vrt_status vrt_overlay_parse_flags(const char *spec, unsigned *flags, char *err, size_t cap);

/* Per-frame extras besides the result; every field optional (zeroed struct = none). */
typedef struct vrt_overlay_info {
    int hud;    /* 1: fps, e2e_p50_ms, e2e_p99_ms and drops are set (drawn with VRT_OVERLAY_HUD) */
    double fps; /* results per second */
    double e2e_p50_ms, e2e_p99_ms;
    uint64_t drops;
    /* A second label per detection, drawn under the box's label instead of the result's own
     * secondary class (cascades): sublabels[i] for detection i < n_sublabels; NULL entries
     * keep the result's. */
    const char *const *sublabels;
    int n_sublabels;
} vrt_overlay_info;

typedef struct vrt_overlay vrt_overlay_t;

/* On success *out owns the overlay; on failure it is NULL and err names the bad field. */
VRT_API vrt_status vrt_overlay_create(vrt_overlay_t **out, const vrt_overlay_params *p, char *err,
                                      size_t cap);

/* src (host memory, any raw format of vrt/frame.h, or MJPEG) -> dst (host RGB24, tightly
 * packed or strided, same size; may be src itself when src is RGB24) with r drawn on it.
 * r may be NULL (only the HUD, when info asks for it); info may be NULL. Boxes are in frame
 * pixels (what the sessions and heads report). VRT_EINVAL for a bad frame pair. */
VRT_API vrt_status vrt_overlay_render(vrt_overlay_t *ov, const vrt_frame *src, vrt_frame *dst,
                                      const vrt_result *r, const vrt_overlay_info *info, char *err,
                                      size_t cap);

/* Number of primitives the last render drew (boxes, glyph runs, fills), for tests and stats. */
VRT_API int vrt_overlay_num_primitives(const vrt_overlay_t *ov);

/* The colour of class c (RGB), the same in every overlay. */
VRT_API void vrt_overlay_class_color(int class_id, uint8_t rgb[3]);

/* NULL-safe; sets *ov = NULL. */
VRT_API void vrt_overlay_destroy(vrt_overlay_t **ov);

#ifdef __cplusplus
}
#endif
#endif
