/* Private: the launcher of the overlay kernel (overlay.cu), called by
 * overlay_cuda.c after the CPU twin's checks and plan. */
#ifndef VRT_VISION_OVERLAY_CUDA_H
#define VRT_VISION_OVERLAY_CUDA_H

#include "vision/cuda/vision_cuda.h"
#include "vision/overlay_draw.h"

#ifdef __cplusplus
extern "C" {
#endif

/* src (device raw frame) -> dst (device RGB24, dst_stride bytes a row) with prims[0..n) (device)
 * painted; d's pointers are device pointers. */
cudaError_t vrt__cuda_overlay_launch(const vrt__cuda_src *src, uint8_t *dst, uint32_t dst_stride,
                                     const vrt__ov_prim *prims, int n, const vrt__ov_data *d, cudaStream_t s);

#ifdef __cplusplus
}
#endif
#endif
