/*
 * Private: shared pieces of the CUDA backend's host side (backend_cuda.c and
 * its siblings, conv_cudnn.c, gemm_cublaslt.c, algo_cache.c) and the
 * launchers of epilogue.cu. Status checks: engine/cuda_check.h.
 *
 * Threading: everything here is used by one thread per context.
 */
#ifndef VRT_CUDA_COMMON_H
#define VRT_CUDA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "model/op_params.h"
#include "vrt/core.h"

#ifndef __CUDACC__
#include "engine/cuda_check.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __CUDACC__
/* ---- math mode (per engine; VRT_CUDA_MATH=fp32|tf32|fp16) ----
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

/* ---- algorithm cache on disk (algo_cache.c) ----
 * One text file per (model, GPU, driver, CUDA runtime, cuDNN) in
 * $VRT_CACHE_DIR or ~/.cache/visionrt/; one line per conv shape:
 * "<shape key> <algo> <workspace bytes> <time ms> <fused>". */
typedef struct vrt__algo_cache vrt__algo_cache;
typedef struct vrt__algo_entry {
    int algo;
    size_t workspace;
    float ms;
    int fused;
} vrt__algo_entry;

/* Opens (reads if present) the cache for a model; model_path may be NULL
 * (in-memory IR: keyed by "nofile"). Never fails hard: on any problem the
 * cache is in-memory only and `*out` is still valid (NULL only on ENOMEM). */
vrt_status vrt__algo_cache_open(const char *model_path, int device, vrt__algo_cache **out);
int vrt__algo_cache_get(const vrt__algo_cache *c, const char *key, vrt__algo_entry *e);
void vrt__algo_cache_put(vrt__algo_cache *c, const char *key, const vrt__algo_entry *e);
/* Writes the file when entries were added (atomic rename). */
vrt_status vrt__algo_cache_save(vrt__algo_cache *c);
const char *vrt__algo_cache_path(const vrt__algo_cache *c);
int vrt__algo_cache_hits(const vrt__algo_cache *c);
int vrt__algo_cache_misses(const vrt__algo_cache *c);
void vrt__algo_cache_destroy(vrt__algo_cache **c);
/* FNV-1a 64 of a file's bytes (0 when it cannot be read). */
uint64_t vrt__fnv1a_file(const char *path);
uint64_t vrt__fnv1a(uint64_t h, const void *data, size_t n);

/* ---- convolution on cuDNN (conv_cudnn.c) ---- */
typedef struct vrt__cuda_conv vrt__cuda_conv;

typedef struct vrt__cuda_conv_desc {
    int transpose;      /* ConvTranspose */
    vrt__conv_params p; /* resolved (pads, out sizes, act) */
    int has_bias, has_residual;
    vrt__cuda_math math;
    int nhwc_half; /* x, w (KRSC), bias, residual, y are fp16 NHWC; 2-D, symmetric pads */
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

/* ---- Gemm / MatMul on cuBLASLt (gemm_cublaslt.c) ---- */
typedef struct vrt__cuda_gemm vrt__cuda_gemm;

/* ONNX Gemm: Y = act(alpha op(A) op(B) + beta C). c_ptr: whether C is given. */
vrt_status vrt__cuda_gemm_create_gemm(cublasLtHandle_t h, const vrt__gemm_params *p, int has_c,
                                      vrt__cuda_math math, size_t ws_bytes, vrt__cuda_gemm **out, char *err,
                                      size_t cap);
/* numpy MatMul with broadcast batch dims, then act. */
vrt_status vrt__cuda_gemm_create_matmul(cublasLtHandle_t h, const vrt__shape *a, const vrt__shape *b,
                                        const vrt__activation *act, vrt__cuda_math math, size_t ws_bytes,
                                        vrt__cuda_gemm **out, char *err, size_t cap);
vrt_status vrt__cuda_gemm_run(vrt__cuda_gemm *g, cudaStream_t s, const float *A, const float *B,
                              const float *C, float *Y, void *ws, size_t ws_bytes, char *err, size_t cap);
void vrt__cuda_gemm_describe(const vrt__cuda_gemm *g, char *buf, size_t cap);
void vrt__cuda_gemm_destroy(vrt__cuda_gemm **g);
#endif /* !__CUDACC__ */

/* ---- epilogue.cu launchers (stream as void*, never NULL) ---- */

/* y[i] = act(y[i] + bscale * bias[b(i)] + res[i]), where
 * b(i) = ((i / inner) % outer_mod) * s_outer + (i % inner) * s_inner.
 * Conv bias: inner = spatial, outer_mod = M, s_outer = 1, s_inner = 0.
 * Gemm C broadcast to M x N: inner = N, outer_mod = M, strides of C (0 = broadcast).
 * bias and res may be NULL. */
vrt_status vrt__cuda_epilogue(void *stream, float *y, int64_t n, const float *bias, float bscale,
                              int64_t inner, int64_t outer_mod, int64_t s_outer, int64_t s_inner,
                              const float *res, const vrt__activation *act);
/* Window copy over (NC, spatial...): dst[o] = src[o + off] when inside src,
 * else 0, for 1..3 spatial dims (pad when off < 0, crop when off > 0). */
vrt_status vrt__cuda_window(void *stream, const float *src, float *dst, int64_t nc, int nsp,
                            const int64_t *src_sp, const int64_t *dst_sp, const int64_t *off);
/* ONNX LRN over NCHW... (spatial flattened). */
vrt_status vrt__cuda_lrn(void *stream, const float *x, float *y, int64_t N, int64_t C, int64_t spatial,
                         int64_t size, float alpha, float beta, float bias);
/* Relu / Neg / Abs / Clip on integer tensors (elem 1, 4 or 8 bytes; uint8 when is_unsigned). op: 0 relu, 1
 * neg, 2 abs, 3 clip(min, max as doubles). */
vrt_status vrt__cuda_int_unary(void *stream, int op, int elem, int is_unsigned, const void *x, void *y,
                               int64_t n, double lo, double hi);
/* fp16 NHWC storage: fp32 NCHW <-> fp16 NHWC (N, C, H*W), and
 * y[i] = act(y[i] + bias[i % C] + res[i]) over fp16 NHWC (bias, res fp16, may be NULL). */
vrt_status vrt__cuda_to_nhwc_half(void *stream, const float *x, void *y, int64_t N, int64_t C, int64_t HW);
vrt_status vrt__cuda_from_nhwc_half(void *stream, const void *x, float *y, int64_t N, int64_t C, int64_t HW);
/* Concat along C of n (1..8) fp16 NHWC tensors of ch[k] channels each over P
 * = N*H*W pixels into y (fp16 NHWC, sum(ch) channels). */
vrt_status vrt__cuda_concat_nhwc_half(void *stream, int n, const void *const *in, const int *ch, int64_t P,
                                      void *y);
vrt_status vrt__cuda_epilogue_nhwc_half(void *stream, void *y, int64_t n, int64_t C, const void *bias,
                                        const void *res, const vrt__activation *act);
/* Depthwise conv (group == C == M) over fp16 NHWC: x N,H,W,C; w C,KH,KW (fp16);
 * y N,OH,OW,C = act(conv + bias[c] + res) with fp32 accumulation; bias, res
 * (fp16, y's shape) may be NULL. w_taps (may be NULL): the same weights taps-major
 * (KH*KW, C), for the 8-channels-per-thread kernel (C % 8 == 0, 16-byte aligned). */
typedef struct vrt__cuda_dw_shape {
    int N, C, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW;
} vrt__cuda_dw_shape;
vrt_status vrt__cuda_dwconv_nhwc_half(void *stream, const void *x, const void *w, const void *bias,
                                      const void *res, void *y, const vrt__cuda_dw_shape *s,
                                      const vrt__activation *act, const void *w_taps);
/* Our own convolution over fp16 NHWC (conv_igemm.cu): group 1, 2-D, any
 * kernel/stride/pad/dilation, as an implicit GEMM on tensor cores (fp16
 * operands, fp32 accumulation) with the epilogue fused:
 *   y[p * out_ld + out_off + m] = act(conv + bias[m] (+ res[p * M + m])) (+ res when res_post)
 * x: N,H,W,C; w: M,KH,KW,C (KRSC); bias (M) and res (N,OH,OW,M) fp16, may be NULL.
 * in_f32 / out_f32 / res_f32: that tensor is fp32 NCHW instead (the layout and
 * type conversion done in the kernel; y then is N, out_ld, OH, OW channels).
 * out_ld >= out_off + M lets a Concat's inputs be written in place. cfg picks
 * the tile shape (0..VRT__CUDA_IGEMM_CONFIGS-1; chosen by timing at prepare). */
typedef struct vrt__cuda_igemm {
    int N, H, W, C, OH, OW, M, KH, KW, SH, SW, PH, PW, DH, DW;
    int out_ld, out_off;
    int res_post;
    int in_f32, out_f32, res_f32; /* x / y / res are fp32 NCHW (y: N, out_ld, OH, OW) instead of fp16 NHWC */
    /* Fused depthwise conv (dw_w != NULL): y = pointwise(act_dw(depthwise(x))) in one kernel; the
     * geometry fields (H, W, C, KH.. DW, OH, OW) describe the depthwise conv, the 1x1 conv's weights
     * are w (M, C). dw_w: fp16 [KH*KW][C] (taps-major), dw_b: fp16 [C] or NULL. C % 8 == 0. */
    const void *dw_w, *dw_b;
    vrt__activation dw_act;
    /* Focus (YOLOv5/YOLOX stem) read in the gather (focus = 1, with in_f32): x is the fp32 NCHW
     * tensor (N, C/4, 2H, 2W) that four stride-2 slices cut; input channel c is channel c % (C/4)
     * of slice q = c / (C/4), which starts at row focus_dy[q], column focus_dx[q] (0 or 1). */
    int focus, focus_dy[4], focus_dx[4];
    int cfg;
} vrt__cuda_igemm;
#define VRT__CUDA_IGEMM_CONFIGS 5
vrt_status vrt__cuda_conv_igemm_half(void *stream, const vrt__cuda_igemm *g, const void *x, const void *w,
                                     const void *bias, const void *res, void *y, const vrt__activation *act);
const char *vrt__cuda_igemm_config_name(int cfg);
const char *vrt__cuda_igemm_error(void);
/* fp16 y = act(a + b) over n elements of equal shapes (any layout). */
vrt_status vrt__cuda_add_half(void *stream, const void *a, const void *b, void *y, int64_t n,
                              const vrt__activation *act);
/* Nearest upsampling by integer factors (sh, sw) over fp16 NHWC x (N,H,W,C) into y (N,H*sh,W*sw,C). */
vrt_status vrt__cuda_upsample_nhwc_half(void *stream, const void *x, void *y, int N, int H, int W, int C,
                                        int sh, int sw);
/* Max pooling over fp16 NHWC x (N,H,W,C) into y (N,OH,OW,C): window KHxKW, strides, leading pads
 * (padding is never the max; NaN propagates). */
vrt_status vrt__cuda_maxpool_nhwc_half(void *stream, const void *x, void *y, int N, int H, int W, int C,
                                       int OH, int OW, int KH, int KW, int SH, int SW, int PH, int PW);
/* Programmatic dependent launch of our fp16 kernels (pdl.cuh), process-wide. */
void vrt__cuda_set_pdl(int on);
int vrt__cuda_pdl_enabled(void);
/* Detail of the last launch failure on this thread. */
const char *vrt__cuda_epilogue_error(void);

#ifdef __cplusplus
}
#endif

#endif
