/*
 * Private: the CUDA backend's math mode, shared by its cuDNN and cuBLASLt
 * wrappers (vrt__cuda_math_name is defined in conv_cudnn.c).
 */
#ifndef VRT_CUDA_MATH_H
#define VRT_CUDA_MATH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Math mode per engine (vrt_engine_options.precision, resolved):
 * fp32: exact fp32 FMA math (CUDNN_FMA_MATH, CUBLAS_COMPUTE_32F): results
 *       within float rounding of the CPU backend; the default.
 * tf32: tensor cores with TF32 inputs (CUDNN_DEFAULT_MATH,
 *       CUBLAS_COMPUTE_32F_FAST_TF32): ~1e-3 relative.
 * fp16: tensors stay fp32 in memory, cuDNN converts to fp16 for tensor cores
 *       (CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION, CUBLAS_COMPUTE_32F_FAST_16F),
 *       fp32 accumulation: ~1e-2 relative on deep nets. */
typedef enum vrt__cuda_math {
    VRT__CUDA_MATH_FP32 = 0,
    VRT__CUDA_MATH_TF32,
    VRT__CUDA_MATH_FP16
} vrt__cuda_math;
const char *vrt__cuda_math_name(vrt__cuda_math m);

#ifdef __cplusplus
}
#endif

#endif
