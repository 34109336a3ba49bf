/*
 * Private: quantized ops on CUDA (quant.cu), the twins of the CPU backend's
 * engine/backend/cpu/quant.c: QuantizeLinear / DequantizeLinear (8-bit,
 * per tensor or per axis) and QLinearConv / ConvInteger (the integer conv
 * the QDQ fold makes of DQ -> Conv [-> Relu | SiLU] -> Q; int32
 * accumulation, the requantisation with its fused activation in the
 * epilogue). Launcher rules: eltwise.h (device pointers, a non-NULL
 * stream, enqueue only: safe inside graph capture).
 *
 * Results: Q/DQ bit-exact with the CPU; the conv's int32 sums are exact, so
 * its output equals the CPU's except where the float epilogue (a SiLU's
 * exponential) rounds a value on the other side of a half step: within one
 * quantization step.
 *
 * The conv is a direct kernel (one output element per thread) on the CUDA
 * cores: the correctness twin that lets quantized models run in the CUDA
 * frame path, not a tensor-core (IMMA) kernel.
 */
#ifndef VRT_CUDA_QUANT_H
#define VRT_CUDA_QUANT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "model/dtype.h"
#include "model/op_params.h"

/* y = QuantizeLinear(x) (x float, y int8 / uint8, saturated to [lo, hi]) or
 * DequantizeLinear (x int8 / uint8 / int32, y float) over n elements; scale
 * float32 and zp (NULL: 0, else the quantized type) with p's layout (per
 * tensor or per axis; blocked is refused with VRT_EUNSUPPORTED). */
vrt_status vrt__cuda_quant(void *stream, const vrt__quant_params *p, int dequant, vrt__dtype qt, int32_t lo,
                           int32_t hi, const void *x, const float *scale, const void *zp, vrt__dtype zpt,
                           void *y, int64_t n);

/* QLinearConv (q->qlinear; in: x, xs, xzp, w, ws, wzp, ys, yzp, B) or
 * ConvInteger (in: x, w, xzp, wzp; int32 out), 1-D or 2-D; in[k] NULL for an
 * absent optional input; scales float32; y's type: yt; wzp_per / ws_per: the
 * weight's zero point / scale has one value per output channel (else one). */
vrt_status vrt__cuda_qconv(void *stream, const vrt__qconv_params *q, const void *const *in, int nin,
                           int wzp_per, int ws_per, vrt__dtype yt, void *y);

#ifdef __cplusplus
}
#endif

#endif
