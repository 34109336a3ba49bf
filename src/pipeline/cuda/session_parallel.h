/*
 * Private: the per-box depths of a session with a detector and a depth head
 * on one frame (pipeline/session_parallel.h), on the device after the join
 * of the slot graph's two branches: one block per detection, the median of
 * the raw depth over its box by the same radix select (8 bits at a time from
 * the top, over the same float keys, vision/dense.h) as the CPU twin
 * vrt_result_depth_median, so both pick the same element of the same map.
 */
#ifndef VRT_PIPELINE_SESSION_PARALLEL_CUDA_H
#define VRT_PIPELINE_SESSION_PARALLEL_CUDA_H

#include <stddef.h>

#include <cuda_runtime.h>

#include "vision/result_impl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* det: the device payload holding the vrt_detections; depth: the depth
 * head's device payload (vrt__depth_stats first) whose raw map is w x h at
 * raw_offset, stride bytes per row; out: the per-box depths. */
cudaError_t vrt__object_depth_launch(const void *det, const void *depth, size_t raw_offset, size_t stride,
                                     int w, int h, vrt__object_depth *out, cudaStream_t s);

#ifdef __cplusplus
}
#endif
#endif
