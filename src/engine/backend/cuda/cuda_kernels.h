/*
 * Private: CUDA twins of the CPU reference kernels for every op that is not a
 * convolution or a GEMM (element-wise, reductions, softmax/top-k, data
 * movement, Resize, pooling, normalisation, casts).
 *
 * Each launcher takes the SAME params struct and host-side shapes as its CPU
 * twin (model/op_params.h), plus DEVICE pointers for every
 * tensor and a stream (a cudaStream_t passed as void *; never the default
 * stream: NULL is refused with VRT_EINVAL). Launchers:
 *   - only enqueue work on that stream: no allocation, no synchronisation, no
 *     host<->device copies of tensor data, so they are safe inside CUDA graph
 *     capture. Shapes and attributes travel by value as kernel arguments.
 *   - check shapes/attributes exactly as the CPU twin does (VRT_EINVAL /
 *     VRT_EUNSUPPORTED before anything is launched);
 *   - check every launch with cudaGetLastError and return VRT_EDEVICE on
 *     failure; vrt__cuda_kernels_error() then holds "file:line: op: cuda
 *     message" for the calling thread (as errno, per thread).
 * Data-dependent failures the CPU reports (Gather index out of range) cannot
 * be reported without a sync: on the GPU such indices are clamped into range
 * (documented per launcher).
 *
 * Results match the CPU twins: bit-exact for data movement, integer ops and
 * comparisons; float math within ~1e-5 relative (the order of summation
 * differs; transcendental functions are CUDA's accurate versions, not the
 * __expf style intrinsics).
 *
 * This header is plain C (no CUDA types) so the C host code can include it.
 */
#ifndef VRT_CUDA_KERNELS_H
#define VRT_CUDA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The op vocabulary (params structs shared with the CPU twins). */
#include "model/dtype.h"
#include "model/op_params.h"

/* Detail of the last failure of a launcher on this thread ("" if none). */
const char *vrt__cuda_kernels_error(void);

/* ---- element-wise (eltwise.cu) ----------------------------------------- */

/* y[i] = op(x[i]); x == y allowed. */
vrt_status vrt__cuda_unary_f32(void *stream, const vrt__unary_params *p, const float *x, float *y, int64_t n);
/* Not over bool bytes. */
vrt_status vrt__cuda_not(void *stream, const uint8_t *x, uint8_t *y, int64_t n);
/* y = a op b, numpy broadcasting; y may alias an input whose shape is sy.
 * dt: FLOAT, INT64, INT32, UINT64 (the CPU's vrt__cpu_binary types), and
 * INT8, UINT8, INT16, UINT16, UINT32, computed in int64 and wrapped back to
 * the type's bits, as the CPU backend does for those (no scratch needed).
 * PRelu: FLOAT only. Integer semantics as the CPU: wrapping add/sub/mul,
 * division truncates toward zero, x / 0 == 0, Mod takes the divisor's sign,
 * Pow saturates (exact while |result| < 2^53). */
vrt_status vrt__cuda_binary(void *stream, vrt__binary_op op, vrt__dtype dt, const void *a,
                            const vrt__shape *sa, const void *b, const vrt__shape *sb, void *y,
                            const vrt__shape *sy);
/* 1 when vrt__cuda_binary takes dt. */
int vrt__cuda_binary_type_ok(vrt__dtype dt);
/* Pow with an integer base a (dt: int8..64, uint8..64) and an fp32 exponent
 * b, y in dt: the CPU backend's Cast(a, float) -> Pow -> Cast(dt) in one pass
 * (truncation toward zero, saturation, NaN -> 0), numpy broadcasting. */
vrt_status vrt__cuda_pow_int_base(void *stream, vrt__dtype dt, const void *a, const vrt__shape *sa,
                                  const float *b, const vrt__shape *sb, void *y, const vrt__shape *sy);
/* y (bool bytes) = a cmp b; dt FLOAT, INT64, INT32, or BOOL for Equal. */
vrt_status vrt__cuda_compare(void *stream, vrt__compare_op op, vrt__dtype dt, const void *a,
                             const vrt__shape *sa, const void *b, const vrt__shape *sb, uint8_t *y,
                             const vrt__shape *sy);
/* And/Or/Xor on bool; op: 0 and, 1 or, 2 xor. */
vrt_status vrt__cuda_logical(void *stream, int op, const uint8_t *a, const vrt__shape *sa, const uint8_t *b,
                             const vrt__shape *sb, uint8_t *y, const vrt__shape *sy);
/* out = cond ? x : y, 3-way broadcast, elem 1, 2, 4 or 8 bytes (others: any
 * size, byte-wise). */
vrt_status vrt__cuda_where(void *stream, const uint8_t *cond, const vrt__shape *sc, const void *x,
                           const vrt__shape *sx, const void *y, const vrt__shape *sy, size_t elem, void *out,
                           const vrt__shape *so);
/* Fused chain: same steps as vrt__cpu_chain_f32, one kernel; every step's
 * `operand` is a DEVICE pointer. y == x allowed. */
vrt_status vrt__cuda_chain_f32(void *stream, const float *x, const vrt__shape *sx,
                               const vrt__chain_step *steps, int nsteps, float *y);
/* Cast between the types vrt__cpu_cast supports, same rules. x != y. */
vrt_status vrt__cuda_cast(void *stream, vrt__dtype from, const void *x, vrt__dtype to, void *y, int64_t n);
/* The Cast node exactly as the CPU backend computes it (backend_cpu.c), for
 * every pair of ONNX types it takes, including those the engine holds in a
 * wider type (model/lowp.h: double, bfloat16, float8*, float4
 * as fp32; 4-/2-bit ints as int8/uint8). from and to are the tensors' ONNX
 * types; x and y hold n elements in the engine's form (vrt__plan_dtype).
 * vrt__cuda_cast between the held types, then: to float16, the value
 * rounded to fp16; to bfloat16/float8/float4, rounded to the type's grid
 * (saturate: ONNX Cast's attribute; round_mode: float8e8m0 only, 0 up, 1
 * down, 2 nearest); to a 4-/2-bit int, floats truncate toward zero and
 * everything wraps. Uses lowp.h's conversions on the device. x != y. */
vrt_status vrt__cuda_cast_node(void *stream, vrt__dtype from, const void *x, vrt__dtype to, void *y,
                               int64_t n, int saturate, int round_mode);
/* fp16 (raw uint16 bits) <-> fp32, round-to-nearest-even. */
vrt_status vrt__cuda_f32_to_f16(void *stream, const float *x, uint16_t *y, int64_t n);
vrt_status vrt__cuda_f16_to_f32(void *stream, const uint16_t *x, float *y, int64_t n);
/* ConstantOfShape / fill: n copies of value (elem <= 16 bytes; NULL = zeros).
 * value is a HOST pointer (read at launch). */
vrt_status vrt__cuda_fill(void *stream, const void *value, size_t elem, void *y, int64_t n);

/* ---- reductions, softmax, arg/top-k (reduce.cu) ------------------------ */

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

/* ---- data movement, byte-generic (tensor_ops.cu) ----------------------- */

/* xs: host array of n DEVICE pointers (one launch per input). */
vrt_status vrt__cuda_concat(void *stream, int64_t axis, int n, const void *const *xs,
                            const vrt__shape *shapes, size_t elem, void *y);
/* ys: host array of n DEVICE pointers. */
vrt_status vrt__cuda_split(void *stream, int64_t axis, const void *x, const vrt__shape *sx, size_t elem,
                           int n, const int64_t *sizes, void *const *ys);
vrt_status vrt__cuda_slice(void *stream, const vrt__slice_params *p, const void *x, const vrt__shape *sx,
                           size_t elem, void *y);
vrt_status vrt__cuda_transpose(void *stream, const int64_t *perm, int nperm, const void *x,
                               const vrt__shape *sx, size_t elem, void *y);
/* Indices INT64 or INT32 (device); negative ones count from the end; out of
 * range ones are clamped (the CPU twin reports VRT_EINVAL). */
vrt_status vrt__cuda_gather(void *stream, int64_t axis, const void *x, const vrt__shape *sx, size_t elem,
                            const void *indices, vrt__dtype idt, const vrt__shape *si, void *y);
vrt_status vrt__cuda_expand(void *stream, const void *x, const vrt__shape *sx, size_t elem, void *y,
                            const vrt__shape *sy);
vrt_status vrt__cuda_tile(void *stream, const void *x, const vrt__shape *sx, size_t elem,
                          const int64_t *repeats, void *y);
/* p->value (constant mode) is a HOST pointer, read at launch (elem <= 16). */
vrt_status vrt__cuda_pad(void *stream, const vrt__pad_params *p, const void *x, const vrt__shape *sx,
                         size_t elem, void *y);
vrt_status vrt__cuda_depth_to_space(void *stream, int64_t blocksize, int crd, const void *x,
                                    const vrt__shape *sx, size_t elem, void *y);
vrt_status vrt__cuda_space_to_depth(void *stream, int64_t blocksize, const void *x, const vrt__shape *sx,
                                    size_t elem, void *y);
/* Plain device-to-device copy of bytes (Reshape/Flatten/Identity when not aliased). */
vrt_status vrt__cuda_copy(void *stream, const void *x, void *y, size_t bytes);

/* ---- Resize (resize.cu) ------------------------------------------------ */

/* Nearest / linear (every coordinate mode and nearest mode) and cubic, fp32,
 * any rank (separable over the resized axes, as the CPU twin). No scratch:
 * `scratch` may be NULL. */
size_t vrt__cuda_resize_scratch_bytes(const vrt__resize_params *p, const vrt__shape *sx,
                                      const vrt__shape *sy);
vrt_status vrt__cuda_resize_f32(void *stream, const vrt__resize_params *p, const float *x,
                                const vrt__shape *sx, float *y, const vrt__shape *sy, void *scratch);

/* ---- pooling (pool.cu); p already resolved by vrt__pool_resolve -------- */

vrt_status vrt__cuda_maxpool(void *stream, const vrt__pool_params *p, const float *x, float *y,
                             int64_t *indices);
/* col_major = 1: ONNX storage_order=1 (flat indices with the first spatial dim fastest). */
vrt_status vrt__cuda_maxpool_order(void *stream, const vrt__pool_params *p, const float *x, float *y,
                                   int64_t *indices, int col_major);
/* MaxPool over FLOAT or any integer type (int8/16/32/64, uint8/16/32/64),
 * exact: a max picks an input element. A window of padding only gives -inf
 * (float) or the type's minimum (what the CPU's int8/uint8 detour through
 * fp32 gives). */
vrt_status vrt__cuda_maxpool_typed(void *stream, const vrt__pool_params *p, vrt__dtype dt, const void *x,
                                   void *y, int64_t *indices, int col_major);
vrt_status vrt__cuda_avgpool(void *stream, const vrt__pool_params *p, const float *x, float *y);
vrt_status vrt__cuda_global_avgpool(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                                    float *y);
vrt_status vrt__cuda_global_maxpool(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                                    float *y);

/* ---- normalisation (norm.cu) ------------------------------------------- */

vrt_status vrt__cuda_batchnorm(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                               const float *scale, const float *bias, const float *mean, const float *var,
                               float eps, float *y);
vrt_status vrt__cuda_instancenorm(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                                  const float *scale, const float *bias, float eps, float *y);
/* bias, mean, inv_std may be NULL. */
vrt_status vrt__cuda_layernorm(void *stream, int64_t outer, int64_t inner, const float *x, const float *scale,
                               const float *bias, float eps, float *y, float *mean, float *inv_std);

#ifdef __cplusplus
}
#endif

#endif
