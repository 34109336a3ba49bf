/*
 * Private: kernels of the fp16 row-major plan (rows_half.cu; the planner is
 * plan_rows.c): tensors in the ONNX layout held as fp16, arithmetic in fp32.
 * LayerNorm (with the residual Add), element-wise Add/Sub/Mul/Div with numpy
 * broadcasting and an activation over fp16 rows. Launcher rules: eltwise.h
 * (stream given, nothing allocated or synchronised: capturable). fp16
 * pointers are raw uint16_t bits passed as void *.
 */
#ifndef VRT_CUDA_ROWS_HALF_H
#define VRT_CUDA_ROWS_HALF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

/* y = LayerNorm(x) over rows of `inner` (x, y fp16; scale, bias fp32, bias
 * may be NULL); mean and variance in fp32 from the fp16 values (two passes
 * over the row), the result rounded once to fp16. Twin: vrt__cuda_layernorm. */
vrt_status vrt__cuda_layernorm_h(void *stream, int64_t outer, int64_t inner, const void *x,
                                 const float *scale, const float *bias, float eps, void *y);
/* VrtAddLayerNorm on fp16 rows: s = a + b rounded to fp16 (written to sum
 * when not NULL), y = LayerNorm(s). a, b, y, sum fp16. Twin:
 * vrt__cuda_add_layernorm. */
vrt_status vrt__cuda_add_layernorm_h(void *stream, int64_t outer, int64_t inner, const void *a, const void *b,
                                     const float *scale, const float *bias, float eps, void *y, void *sum);
/* y = act(a op b) with numpy broadcasting, op Add/Sub/Mul/Div; a, b, y fp16;
 * act may be NULL (none). Twin: vrt__cuda_binary (FLOAT). */
vrt_status vrt__cuda_binary_h(void *stream, vrt__binary_op op, const void *a, const vrt__shape *sa,
                              const void *b, const vrt__shape *sb, void *y, const vrt__shape *sy,
                              const vrt__activation *act);
/* y[i] = act(x[i]) over n fp16 values (x == y allowed). */
vrt_status vrt__cuda_act_h(void *stream, const void *x, void *y, int64_t n, const vrt__activation *act);

#ifdef __cplusplus
}
#endif

#endif
