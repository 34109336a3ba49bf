/*
 * Private: our implicit-GEMM convolution over fp16 NHWC on tensor cores
 * (conv_igemm.cu), and the process-wide switch of programmatic dependent
 * launch for our fp16 kernels (pdl.cuh).
 */
#ifndef VRT_CUDA_CONV_IGEMM_H
#define VRT_CUDA_CONV_IGEMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/op_params.h"

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

/* A depthwise conv d (fp16 NHWC x -> N,OH,OW,C; weights KRSC [C][KH][KW], bias dw_b
 * may be NULL, activation dact) and the 1x1 stride-1 conv g after it (g->C == C) in one
 * kernel: each CTA computes the depthwise output of its pixels for every channel into
 * shared memory, rounded to fp16 as the unfused depthwise kernel stores it, then
 * multiplies it by the 1x1 weights w ([M][C]) for every output channel with g's
 * epilogue (bias, act, res, res_post, placement, out_f32). g->cfg picks the tile
 * (0..VRT__CUDA_DWPW_CONFIGS-1). VRT_EINVAL for a pair it does not run: C over 256 or
 * not a multiple of 16, more than 9 taps, fp32 input. */
#define VRT__CUDA_DWPW_CONFIGS 2
typedef struct vrt__cuda_dwpw_dw { /* the depthwise conv: input N,H,W,C -> N,OH,OW,C */
    int N, C, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW;
} vrt__cuda_dwpw_dw;
vrt_status vrt__cuda_dwpw_half(void *stream, const vrt__cuda_dwpw_dw *d, const void *x, const void *dw_w,
                               const void *dw_b, const vrt__activation *dact, const vrt__cuda_igemm *g,
                               const void *w, const void *bias, const void *res, void *y,
                               const vrt__activation *act);
const char *vrt__cuda_dwpw_config_name(int cfg);
const char *vrt__cuda_igemm_error(void);
/* Programmatic dependent launch of our fp16 kernels (pdl.cuh), process-wide. */
void vrt__cuda_set_pdl(int on);
int vrt__cuda_pdl_enabled(void);

#ifdef __cplusplus
}
#endif

#endif
