/*
 * Private: ONNX Resize on CUDA (resize.cu). Launcher rules: eltwise.h.
 */
#ifndef VRT_CUDA_RESIZE_H
#define VRT_CUDA_RESIZE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

/* Nearest / linear (every coordinate mode and nearest mode) and cubic, fp32,
 * any rank (separable over the resized axes, as the CPU twin). No scratch:
 * `scratch` may be NULL. */
size_t vrt__cuda_resize_scratch_bytes(const vrt__resize_params *p, const vrt__shape *sx,
                                      const vrt__shape *sy);
vrt_status vrt__cuda_resize_f32(void *stream, const vrt__resize_params *p, const float *x,
                                const vrt__shape *sx, float *y, const vrt__shape *sy, void *scratch);

#ifdef __cplusplus
}
#endif

#endif
