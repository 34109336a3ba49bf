/*
 * The CUDA, cuDNN and cuBLAS status checks (engine/cuda_check.h), shared by
 * the engine's CUDA backend, vision/cuda and the CUDA session.
 */
#include <string.h>

#include "engine/cuda_check.h"

vrt_status vrt__cuda_check_rt(cudaError_t e, char *err, size_t cap, const char *file, int line,
                              const char *call) {
    if (e == cudaSuccess) return VRT_OK;
    const char *f = strrchr(file, '/');
    vrt_errbuf_set(err, cap, "%s:%d: %s: %s (%s)", f ? f + 1 : file, line, call, cudaGetErrorString(e),
                   cudaGetErrorName(e));
    return e == cudaErrorMemoryAllocation ? VRT_ENOMEM : VRT_EDEVICE;
}

vrt_status vrt__cuda_check_dnn(cudnnStatus_t e, char *err, size_t cap, const char *file, int line,
                               const char *call) {
    if (e == CUDNN_STATUS_SUCCESS) return VRT_OK;
    const char *f = strrchr(file, '/');
    vrt_errbuf_set(err, cap, "%s:%d: %s: %s", f ? f + 1 : file, line, call, cudnnGetErrorString(e));
    return e == CUDNN_STATUS_ALLOC_FAILED    ? VRT_ENOMEM
           : e == CUDNN_STATUS_NOT_SUPPORTED ? VRT_EUNSUPPORTED
                                             : VRT_EDEVICE;
}

vrt_status vrt__cuda_check_blas(cublasStatus_t e, char *err, size_t cap, const char *file, int line,
                                const char *call) {
    if (e == CUBLAS_STATUS_SUCCESS) return VRT_OK;
    const char *f = strrchr(file, '/');
    vrt_errbuf_set(err, cap, "%s:%d: %s: cuBLAS status %d", f ? f + 1 : file, line, call, (int)e);
    return e == CUBLAS_STATUS_ALLOC_FAILED    ? VRT_ENOMEM
           : e == CUBLAS_STATUS_NOT_SUPPORTED ? VRT_EUNSUPPORTED
                                              : VRT_EDEVICE;
}
