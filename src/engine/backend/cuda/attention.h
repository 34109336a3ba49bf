/*
 * Private: VrtAttention on CUDA (attention.cu), the twin of the CPU's
 * vrt__attention (cpu/attention.c). Launcher rules: cuda_kernels_impl.cuh
 * (stream given, nothing allocated or synchronised: capturable).
 */
#ifndef VRT_CUDA_ATTENTION_H
#define VRT_CUDA_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

/* Head dims (d, dv) the kernel takes: up to this. */
#define VRT__CUDA_ATTN_MAX_D 256

/* O = softmax(scale Q K^T + mask) V (model/op_params.h vrt__attn_params);
 * mask NULL unless p->has_mask. fp32 in and out, fp32 arithmetic. */
vrt_status vrt__cuda_attention(void *stream, const vrt__attn_params *p, const float *q, const float *k,
                               const float *v, const float *mask, float *o);

/* The same on tensor cores (attention.cu, flash-attention on mma.sync
 * m16n8k16): Q, K, V rounded to fp16 (in_type FLOAT or FLOAT16), fp32
 * scores, softmax and accumulation, P rounded to fp16 for P V; o written as
 * out_type (FLOAT or FLOAT16); the mask is fp32. ~1e-3 relative to the fp32
 * kernel. The CUDA backend runs it when the engine's math is fp16 and
 * vrt__cuda_attention_tc_ok(p) (head dims d, dv up to 64). */
int vrt__cuda_attention_tc_ok(const vrt__attn_params *p);
vrt_status vrt__cuda_attention_tc(void *stream, const vrt__attn_params *p, vrt__dtype in_type, const void *q,
                                  const void *k, const void *v, const float *mask, vrt__dtype out_type,
                                  void *o);

#ifdef __cplusplus
}
#endif

#endif
