/* Private: the pieces each head file exports for the registry (heads.c). */
#ifndef VRT_VISION_HEADS_IMPL_H
#define VRT_VISION_HEADS_IMPL_H

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

#endif
