/*
 * Private: the CUDA kernels of a session's cascade (pipeline/session_cascade.h),
 * enqueued by cuda/session_cuda.c inside the slot's graph:
 *   select: the detections on the device -> the crops' boxes (max_batch of
 *           them; rows past the count are empty boxes, which the ROI
 *           pre-processing fills with blank crops) and sec->n, sec->det,
 *           sec->k, by the same rule and order as the CPU twin;
 *   attach: the classifier's top-k rows -> sec->index / sec->score for the
 *           first sec->n rows (the count is read on the device).
 */
#ifndef VRT_PIPELINE_SESSION_CASCADE_CUDA_H
#define VRT_PIPELINE_SESSION_CASCADE_CUDA_H

#include <cuda_runtime.h>

#include "pipeline/session_cascade.h"

#ifdef __cplusplus
extern "C" {
#endif

cudaError_t vrt__cascade_select_launch(const vrt_detections *det, const vrt__cascade_rule *rule,
                                       vrt_box *boxes, vrt__cascade_result *sec, cudaStream_t s);
cudaError_t vrt__cascade_attach_launch(const vrt_class_result *cls, const vrt__cascade_rule *rule,
                                       vrt__cascade_result *sec, cudaStream_t s);

#ifdef __cplusplus
}
#endif
#endif
