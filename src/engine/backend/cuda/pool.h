/*
 * Private: pooling on CUDA over fp32 NCHW (pool.cu); p already resolved by
 * vrt__pool_resolve. Launcher rules: eltwise.h. (fp16 NHWC max pooling:
 * epilogue.h.)
 */
#ifndef VRT_CUDA_POOL_H
#define VRT_CUDA_POOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

vrt_status vrt__cuda_maxpool(void *stream, const vrt__pool_params *p, const float *x, float *y,
                             int64_t *indices);
/* col_major = 1: ONNX storage_order=1 (flat indices with the first spatial dim fastest). */
vrt_status vrt__cuda_maxpool_order(void *stream, const vrt__pool_params *p, const float *x, float *y,
                                   int64_t *indices, int col_major);
/* MaxPool over FLOAT or any integer type (int8/16/32/64, uint8/16/32/64),
 * exact: a max picks an input element. A window of padding only gives -inf
 * (float) or the type's minimum (what the CPU's int8/uint8 detour through
 * fp32 gives). */
vrt_status vrt__cuda_maxpool_typed(void *stream, const vrt__pool_params *p, vrt__dtype dt, const void *x,
                                   void *y, int64_t *indices, int col_major);
vrt_status vrt__cuda_avgpool(void *stream, const vrt__pool_params *p, const float *x, float *y);
vrt_status vrt__cuda_global_avgpool(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                                    float *y);
vrt_status vrt__cuda_global_maxpool(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                                    float *y);

#ifdef __cplusplus
}
#endif

#endif
