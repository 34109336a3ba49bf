/*
 * Private: convolution and ConvTranspose on cuDNN (conv_cudnn.c): fp32 NCHW
 * (1..3 spatial dims, asymmetric pads through a scratch window) or fp16 NHWC,
 * the algorithm timed or read from the cache, the epilogue fused into
 * cuDNN's call where it can be.
 */
#ifndef VRT_CUDA_CONV_CUDNN_H
#define VRT_CUDA_CONV_CUDNN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/backend/cuda/algo_cache.h"
#include "engine/backend/cuda/cuda_math.h"

#ifndef __CUDACC__
#include "engine/cuda_check.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/op_params.h"

#ifndef __CUDACC__
typedef struct vrt__cuda_conv vrt__cuda_conv;

typedef struct vrt__cuda_conv_desc {
    int transpose;      /* ConvTranspose */
    vrt__conv_params p; /* resolved (pads, out sizes, act) */
    int has_bias, has_residual;
    vrt__cuda_math math;
    int nhwc_half; /* x, w (KRSC), bias, residual, y are fp16 NHWC; 2-D, symmetric pads */
    int no_fuse;   /* never fuse the epilogue into cuDNN's call (option fused_epilogue OFF) */
} vrt__cuda_conv_desc;

/* Builds the descriptors and the scratch need (asymmetric pads). */
vrt_status vrt__cuda_conv_create(cudnnHandle_t h, const vrt__cuda_conv_desc *d, vrt__cuda_conv **out,
                                 char *err, size_t cap);
/* Extra device scratch (bytes) this conv needs beside the cuDNN workspace. */
size_t vrt__cuda_conv_scratch_bytes(const vrt__cuda_conv *cv);
/* Chooses the algorithm: from the cache, or by timing the candidates on the
 * given (real) buffers with `ws` of `ws_bytes` as the workspace limit. The
 * buffers' contents may be overwritten (y). */
vrt_status vrt__cuda_conv_choose(vrt__cuda_conv *cv, vrt__algo_cache *cache, const char *model_key,
                                 cudaStream_t s, const float *x, const float *w, const float *bias,
                                 const float *zero_bias, const float *res, float *y, void *scratch, void *ws,
                                 size_t ws_bytes, char *err, size_t cap);
/* Workspace the chosen algorithm needs. */
size_t vrt__cuda_conv_workspace(const vrt__cuda_conv *cv);
/* Enqueues y = act(conv(x, w) + bias + res) on s (the handle's stream must be s). */
vrt_status vrt__cuda_conv_run(vrt__cuda_conv *cv, cudaStream_t s, const float *x, const float *w,
                              const float *bias, const float *zero_bias, const float *res, float *y,
                              void *scratch, void *ws, char *err, size_t cap);
/* "algo 1 (IMPLICIT_PRECOMP_GEMM), ws 0 B, 0.012 ms, fused bias+relu[, cached]" */
void vrt__cuda_conv_describe(const vrt__cuda_conv *cv, char *buf, size_t cap);
void vrt__cuda_conv_destroy(vrt__cuda_conv **cv);
#endif /* !__CUDACC__ */

#ifdef __cplusplus
}
#endif

#endif
