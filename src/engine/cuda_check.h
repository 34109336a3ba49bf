/*
 * Private: checks of CUDA runtime, cuDNN and cuBLAS status codes, shared by
 * the engine's CUDA backend, vision/cuda and the CUDA session (defined in
 * engine/backend/cuda/check.c). Include only from CUDA host code (files
 * under a cuda/ folder): it needs the CUDA headers.
 *
 * VRT_CUDA_CHECK / VRT_CUDNN_CHECK / VRT_CUBLAS_CHECK are expressions, not
 * statements: they evaluate the call and yield VRT_OK, or VRT_EDEVICE
 * (VRT_ENOMEM for an allocation failure, VRT_EUNSUPPORTED for "not
 * supported") after writing "file:line: call: message" into (err, cap). No
 * hidden return or goto, so the caller's control flow stays visible:
 *
 *     if ((st = VRT_CUDA_CHECK(c->err, sizeof c->err, cudaMalloc(&p, n)))) goto fail;
 *
 * Threading: no state; err is the caller's.
 */
#ifndef VRT_ENGINE_CUDA_CHECK_H
#define VRT_ENGINE_CUDA_CHECK_H

#include <stddef.h>

#include "vrt/core.h"

#ifndef __CUDACC__
#include <cublasLt.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#ifdef __cplusplus
extern "C" {
#endif

vrt_status vrt__cuda_check_rt(cudaError_t e, char *err, size_t cap, const char *file, int line,
                              const char *call);
vrt_status vrt__cuda_check_dnn(cudnnStatus_t e, char *err, size_t cap, const char *file, int line,
                               const char *call);
vrt_status vrt__cuda_check_blas(cublasStatus_t e, char *err, size_t cap, const char *file, int line,
                                const char *call);

#define VRT_CUDA_CHECK(err, cap, call) vrt__cuda_check_rt((call), (err), (cap), __FILE__, __LINE__, #call)
#define VRT_CUDNN_CHECK(err, cap, call) vrt__cuda_check_dnn((call), (err), (cap), __FILE__, __LINE__, #call)
#define VRT_CUBLAS_CHECK(err, cap, call) vrt__cuda_check_blas((call), (err), (cap), __FILE__, __LINE__, #call)

#ifdef __cplusplus
}
#endif
#endif /* !__CUDACC__ */

#endif
