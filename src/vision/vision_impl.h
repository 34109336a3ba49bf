/* Private: checks shared by the CPU and CUDA twins of the vision layer. */
#ifndef VRT_VISION_IMPL_H
#define VRT_VISION_IMPL_H

#include "vrt/frame.h"
#include "vrt/vision.h"

/* Checks a raw frame for pre-processing: format, memory kind (on_gpu: the
 * CUDA twin, which needs device or mapped page-locked memory; else host
 * memory), size and plane strides. Messages start with `who`. */
vrt_status vrt__vision_check_frame(const vrt_frame *f, const char *who, int on_gpu, char *err, size_t cap);

/* Class-aware NMS shared by the detection heads' CPU twins (postprocess.c):
 * the candidates of each class (score > threshold among the active anchors),
 * sorted by score then anchor, greedy NMS, merged into out by score
 * descending, class and anchor ascending (what the CUDA twin in nms.cu
 * reproduces). Allocates nothing. */
typedef struct vrt__nms_cand {
    float score;
    int anchor;
} vrt__nms_cand;
typedef struct vrt__nms_input {
    const vrt_box *box; /* decoded boxes per anchor, input pixels */
    const int *active;  /* anchors that may have a candidate, ascending */
    int nact;
    int num_classes; /* classes to look at: 0..num_classes */
    int class_base;  /* reported class id = class + class_base (SSD: 1, past the background) */
    float (*score)(const void *ctx, const float *o, int anchor, int cls);
    const void *ctx;
    const float *o;
    float score_threshold, iou_threshold;
    int max_detections;
    int *anchors_out; /* NULL, or the anchor of each detection kept (max_detections entries) */
} vrt__nms_input;
/* cands: room for nact entries. */
void vrt__nms_classwise(const vrt__nms_input *in, vrt__nms_cand *cands, vrt_detections *out);
/* Boxes from input pixels to frame pixels (geom NULL: stay), clipped to the
 * frame (or the input) when clip. */
void vrt__detections_to_frame(vrt_detections *out, const vrt_preprocess_geometry *geom, int clip,
                              uint32_t input_w, uint32_t input_h);

#endif
