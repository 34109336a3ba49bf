/*
 * Private: epilogue.cu: the conv/gemm epilogue (bias, activation, residual),
 * the asymmetric-pad window, LRN, integer unary ops, and the fp16 NHWC
 * kernels of the fp16 plan (layout conversions, Concat, Add, nearest
 * upsampling, max pooling, depthwise conv). Streams as void *, never NULL.
 */
#ifndef VRT_CUDA_EPILOGUE_H
#define VRT_CUDA_EPILOGUE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

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
 * (fp16, y's shape) may be NULL. */
typedef struct vrt__cuda_dw_shape {
    int N, C, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW;
} vrt__cuda_dw_shape;
vrt_status vrt__cuda_dwconv_nhwc_half(void *stream, const void *x, const void *w, const void *bias,
                                      const void *res, void *y, const vrt__cuda_dw_shape *s,
                                      const vrt__activation *act);
/* fp16 y = act(a + b) over n elements of equal shapes (any layout). */
vrt_status vrt__cuda_add_half(void *stream, const void *a, const void *b, void *y, int64_t n,
                              const vrt__activation *act);
/* Nearest upsampling by integer factors (sh, sw) over fp16 NHWC x (N,H,W,C) into y (N,H*sh,W*sw,C). */
vrt_status vrt__cuda_upsample_nhwc_half(void *stream, const void *x, void *y, int N, int H, int W, int C,
                                        int sh, int sw);
/* Bilinear resize, align_corners coordinates (ONNX Resize linear / align_corners, PyTorch's
 * interpolate(align_corners=True)), over fp16 NHWC x (N,H,W,C) into y (N,OH,OW,C); C even. */
vrt_status vrt__cuda_resize_linear_ac_nhwc_half(void *stream, const void *x, void *y, int N, int H, int W,
                                                int C, int OH, int OW);
/* Max pooling over fp16 NHWC x (N,H,W,C) into y (N,OH,OW,C): window KHxKW, strides, leading pads
 * (padding is never the max; NaN propagates). */
vrt_status vrt__cuda_maxpool_nhwc_half(void *stream, const void *x, void *y, int N, int H, int W, int C,
                                       int OH, int OW, int KH, int KW, int SH, int SW, int PH, int PW);
/* Detail of the last launch failure on this thread. */
const char *vrt__cuda_epilogue_error(void);

#ifdef __cplusplus
}
#endif

#endif
