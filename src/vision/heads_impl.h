/* Private: the pieces each head file exports for the registry (heads.c). */
#ifndef VRT_VISION_HEADS_IMPL_H
#define VRT_VISION_HEADS_IMPL_H

#include "vision/dense.h"
#include "vision/head.h"
#include "vrt/vision.h"

/* classify: head_classify.c, cuda/head_classify_cuda.c */
vrt_status vrt__head_classify_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                        vrt__head_params *hp, char *err, size_t cap);
extern const vrt__head_cpu vrt__head_classify_cpu;
extern const vrt__head_cuda vrt__head_classify_cuda;

/* detect-yolox, detect-yolov8: head_yolo.c, cuda/head_yolo_cuda.c */
vrt_status vrt__head_yolo_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                    vrt__head_params *hp, char *err, size_t cap);
/* VRT_EINVAL unless `anchors` anchors of the head's layout make out_count values. */
vrt_status vrt__head_yolo_check_anchors(const vrt__head_params *hp, int anchors, char *err, size_t cap);
extern const vrt__head_cpu vrt__head_yolo_cpu;
extern const vrt__head_cuda vrt__head_yolo_cuda;

/* detect-ssd, detect-ssd-raw: head_ssd.c, cuda/head_ssd_cuda.c */
vrt_status vrt__head_ssd_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                   vrt__head_params *hp, char *err, size_t cap);
/* The priors of a spec (cx, cy, w, h normalised, 4 per prior) into out
 * (NULL: count only); returns the count. */
int vrt__ssd_priors(const vrt_ssd_params *s, uint32_t input_w, uint32_t input_h, float *out);
extern const vrt__head_cpu vrt__head_ssd_cpu;
extern const vrt__head_cuda vrt__head_ssd_cuda;

/* detect-detr: head_detr.c, cuda/head_detr_cuda.c */
#define VRT__DETR_MAX_QUERIES 4096
vrt_status vrt__head_detr_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                    vrt__head_params *hp, char *err, size_t cap);
/* One query: softmax over C + 1 logits, the best of the C real classes and
 * its probability, the box in input pixels (W x H). */
void vrt__detr_query(const float *logits, const float *box, int C, float W, float H, float *score, int *cls,
                     vrt_box *b);
extern const vrt__head_cpu vrt__head_detr_cpu;
extern const vrt__head_cuda vrt__head_detr_cuda;

/* depth, segment-argmax: head_dense.c, cuda/head_dense_cuda.c */
vrt_status vrt__head_depth_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                     vrt__head_params *hp, char *err, size_t cap);
vrt_status vrt__head_argmax_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                      vrt__head_params *hp, char *err, size_t cap);
void vrt__head_depth_layout(vrt__head_params *hp);
void vrt__head_argmax_layout(vrt__head_params *hp);
extern const vrt__head_cpu vrt__head_depth_cpu;
extern const vrt__head_cpu vrt__head_argmax_cpu;
extern const vrt__head_cuda vrt__head_depth_cuda;
extern const vrt__head_cuda vrt__head_argmax_cuda;
/* The frame -> output map sampling of a dense head for one frame's geometry. */
vrt__dense_geom vrt__head_dense_geom(const vrt__head_params *hp, const vrt_preprocess_geometry *g);
/* The map `id` of hp's layout, or NULL. */
const vrt__result_map *vrt__head_map(const vrt__head_params *hp, vrt_map_id id);

/* segment-yolov8, pose-yolov8: head_yolo_seg.c, cuda/head_yolo_seg_cuda.c */
vrt_status vrt__head_yoloseg_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                       vrt__head_params *hp, char *err, size_t cap);
vrt_status vrt__head_pose_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                    vrt__head_params *hp, char *err, size_t cap);
void vrt__head_yoloseg_layout(vrt__head_params *hp);
void vrt__head_pose_layout(vrt__head_params *hp);
/* log(t / (1 - t)): sigmoid(l) > t <=> l > this (+-inf at 0 and 1). */
float vrt__head_mask_logit_threshold(float t);
/* A keypoint from input pixels to frame pixels (g NULL: stays). */
void vrt__keypoint_to_frame(const vrt_preprocess_geometry *g, float *x, float *y);
extern const vrt__head_cpu vrt__head_yoloseg_cpu;
extern const vrt__head_cpu vrt__head_pose_cpu;
extern const vrt__head_cuda vrt__head_yoloseg_cuda;
extern const vrt__head_cuda vrt__head_pose_cuda;

#endif
