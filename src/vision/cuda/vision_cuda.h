/*
 * Private: extern "C" launchers of the vision kernels (preprocess.cu, roi.cu,
 * postprocess.cu, nms.cu), called by vision_cuda_api.c, which checks the
 * parameters on the host first. Each launcher only enqueues on the given
 * stream and returns cudaGetLastError() of its launches.
 */
#ifndef VRT_VISION_CUDA_PRIV_H
#define VRT_VISION_CUDA_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime.h>

#include "vrt/vision.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The frame as the kernels see it (device plane pointers, validated). */
typedef struct vrt__cuda_src {
    const uint8_t *p0, *p1; /* plane 0; NV12's UV plane */
    uint32_t s0, s1;        /* strides in bytes */
    uint32_t fourcc, width, height;
} vrt__cuda_src;

/* Whole frame: g is the geometry vrt_preprocess_geometry_for() computed. */
cudaError_t vrt__cuda_preprocess_launch(const vrt__cuda_src *src, const vrt_preprocess_params *p,
                                        const vrt_preprocess_geometry *g, void *out, cudaStream_t s);

/* n ROIs from device boxes; geoms (device) may be NULL. */
cudaError_t vrt__cuda_rois_launch(const vrt__cuda_src *src, const vrt_box *boxes, int n,
                                  const vrt_preprocess_params *p, void *out, vrt_preprocess_geometry *geoms,
                                  cudaStream_t s);

cudaError_t vrt__cuda_topk_launch(const void *scores, vrt_tensor_type dtype, int rows, int n, int k,
                                  int softmax, vrt_class_result *out, cudaStream_t s);

/* Detection: p is the validated parameter set with num_anchors filled in. */
size_t vrt__cuda_detect_workspace(const vrt_detect_params *p);
cudaError_t vrt__cuda_detect_launch(const vrt_detect_params *p, const float *output,
                                    const vrt_preprocess_geometry *geom, void *workspace, vrt_detections *out,
                                    cudaStream_t s);

/* SSD heads (nms.cu): p with num_classes = C (background included) and
 * num_anchors = N; priors (device, 4 per anchor, normalised) for the raw
 * head, NULL when boxes are corners in 0..1; softmax: scores are logits. */
size_t vrt__cuda_ssd_workspace(const vrt_detect_params *p, int softmax);
cudaError_t vrt__cuda_ssd_launch(const vrt_detect_params *p, const float *priors, int softmax, float cv,
                                 float sv, const float *scores, const float *boxes,
                                 const vrt_preprocess_geometry *geom, void *workspace, vrt_detections *out,
                                 cudaStream_t s);

#ifdef __cplusplus
}
#endif
#endif
