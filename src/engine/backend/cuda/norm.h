/*
 * Private: BatchNormalization, InstanceNormalization and LayerNormalization
 * on CUDA (norm.cu). Launcher rules: eltwise.h.
 */
#ifndef VRT_CUDA_NORM_H
#define VRT_CUDA_NORM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

vrt_status vrt__cuda_batchnorm(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                               const float *scale, const float *bias, const float *mean, const float *var,
                               float eps, float *y);
vrt_status vrt__cuda_instancenorm(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                                  const float *scale, const float *bias, float eps, float *y);
/* bias, mean, inv_std may be NULL. */
vrt_status vrt__cuda_layernorm(void *stream, int64_t outer, int64_t inner, const float *x, const float *scale,
                               const float *bias, float eps, float *y, float *mean, float *inv_std);
/* VrtAddLayerNorm: y = LayerNorm(a + b) over rows of `inner`; sum (may be
 * NULL) receives a + b; bias may be NULL. The CPU twin: vrt__add_layernorm. */
vrt_status vrt__cuda_add_layernorm(void *stream, int64_t outer, int64_t inner, const float *a, const float *b,
                                   const float *scale, const float *bias, float eps, float *y, float *sum);

#ifdef __cplusplus
}
#endif

#endif
