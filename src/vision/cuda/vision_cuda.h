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

#include "vision/dense.h"
#include "vision/result_impl.h"
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

/* As vrt__cuda_detect_launch, plus the anchor of each detection written
 * into anchors (device, max_detections entries; NULL: none). */
cudaError_t vrt__cuda_detect_launch_anchors(const vrt_detect_params *p, const float *output,
                                            const vrt_preprocess_geometry *geom, void *workspace,
                                            vrt_detections *out, int *anchors, cudaStream_t s);

/* Dense heads (dense.cu), one frame each; res is the frame's device payload
 * laid out as l says, out the network output of that frame. */
#define VRT__CUDA_DEPTH_WS 64 /* bytes of the depth launch's workspace */
/* raw_to: NULL: the whole head; else only the sampled raw map, into raw_to
 * (frame_w x frame_h floats, tight). out NULL: the stats, normalised map and
 * colours from the raw map already in res (after a refinement). */
cudaError_t vrt__cuda_depth_launch(const float *out, const vrt__dense_geom *dg, const vrt__result_layout *l,
                                   int colormap, void *ws, void *res, float *raw_to, cudaStream_t s);
cudaError_t vrt__cuda_argmax_launch(const float *out, int C, const vrt__dense_geom *dg,
                                    const vrt__result_layout *l, void *res, cudaStream_t s);
/* DETR: p with num_classes C (no-object excluded) and num_anchors Q. */
cudaError_t vrt__cuda_detr_launch(const float *logits, const float *boxes, const vrt_detect_params *p,
                                  const vrt_preprocess_geometry *g, vrt_detections *out, cudaStream_t s);
/* segment-yolov8 masks into the instance map of res (after the detections
 * and their anchors are written): out0 [4+C+M, N], protos [M, h, w]. */
cudaError_t vrt__cuda_seg_masks_launch(const float *out0, int N, int C, int M, const float *protos,
                                       const vrt__dense_geom *dg, float logit_thr, const int *anchors,
                                       const vrt__result_layout *l, void *res, cudaStream_t s);
/* pose-yolov8 keypoints into res's table: out0 [4+C+3K, N]. */
cudaError_t vrt__cuda_pose_launch(const float *out0, int N, int C, const vrt_preprocess_geometry *g,
                                  const int *anchors, const vrt__result_layout *l, void *res, cudaStream_t s);

/* Guided filter (guided.cu): guide (validated, device planes) w x h; the map
 * filter when src is given (dst float map, not overlapping src), else the
 * frame filter of every RGB channel into rgb (RGB24, not overlapping the
 * guide). One kernel; cudaErrorInvalidConfiguration when no tile's shared
 * memory fits the GPU. */
cudaError_t vrt__cuda_guided_launch(const vrt__cuda_src *guide, int radius, float eps, const float *src,
                                    size_t src_stride, float *dst, size_t dst_stride, uint8_t *rgb,
                                    size_t rgb_stride, cudaStream_t s);

#ifdef __cplusplus
}
#endif
#endif
