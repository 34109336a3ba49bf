/*
 * Private: reductions, Softmax / LogSoftmax, ArgMax, TopK and CumSum on CUDA
 * (reduce.cu). Launcher rules: eltwise.h.
 */
#ifndef VRT_CUDA_REDUCE_H
#define VRT_CUDA_REDUCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

/* Same as vrt__cpu_reduce_f32 (double accumulation for sums). */
vrt_status vrt__cuda_reduce_f32(void *stream, const vrt__reduce_params *p, const float *x,
                                const vrt__shape *sx, float *y);
/* Softmax / LogSoftmax, both opset semantics (p->legacy). */
vrt_status vrt__cuda_softmax_f32(void *stream, const vrt__softmax_params *p, const float *x,
                                 const vrt__shape *sx, float *y);
/* ArgMax / ArgMin; y: INT64. */
vrt_status vrt__cuda_argmax_f32(void *stream, const vrt__argmax_params *p, const float *x,
                                const vrt__shape *sx, int64_t *y);
/* TopK per row along p->axis, one block per row, k rounds of selection (meant
 * for small k; any k works). Ties and NaN as the CPU twin. No scratch needed:
 * `scratch` may be NULL. */
size_t vrt__cuda_topk_scratch_bytes(const vrt__topk_params *p, const vrt__shape *sx);
vrt_status vrt__cuda_topk_f32(void *stream, const vrt__topk_params *p, const float *x, const vrt__shape *sx,
                              float *values, int64_t *indices, void *scratch);
/* TopK over FLOAT or any integer type (int8/16/32/64, uint8/16/32/64): values
 * in dt, indices INT64 (may be NULL). Integers rank by value, ties by the
 * lower index, as vrt__cpu_topk_int. */
int vrt__cuda_topk_type_ok(vrt__dtype dt);
vrt_status vrt__cuda_topk(void *stream, const vrt__topk_params *p, vrt__dtype dt, const void *x,
                          const vrt__shape *sx, void *values, int64_t *indices, void *scratch);
/* CumSum of x viewed as [outer, len, inner] along len (FLOAT, INT32, INT64,
 * UINT32, UINT64): one thread per line, sequential in the element type as
 * the CPU twin (vrt__cpu_cumsum); exclusive / reverse as ONNX. */
int vrt__cuda_cumsum_type_ok(vrt__dtype dt);
vrt_status vrt__cuda_cumsum(void *stream, vrt__dtype dt, const void *x, void *y, int64_t outer, int64_t len,
                            int64_t inner, int exclusive, int reverse);

#ifdef __cplusplus
}
#endif

#endif
