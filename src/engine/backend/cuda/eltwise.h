/*
 * Private: element-wise CUDA kernels (eltwise.cu): unary, binary with numpy
 * broadcasting (every integer type as the CPU computes it), comparisons,
 * logic, Where, fused chains, casts (the Cast node with the CPU's rounding of
 * every low-precision type), fp16 <-> fp32, fill and copy.
 *
 * Launcher rules (all kernel families; cuda_kernels_impl.cuh): each launcher
 * takes the SAME params struct and host-side shapes as its CPU twin, DEVICE
 * pointers for every tensor and a stream (a cudaStream_t as void *; NULL is
 * refused with VRT_EINVAL); it only enqueues work (no allocation, no
 * synchronisation: safe inside graph capture), checks shapes/attributes as
 * the CPU twin does before launching, and returns VRT_EDEVICE on a launch
 * failure with the detail in vrt__cuda_kernels_error() (eltwise.h).
 *
 * Results match the CPU twins: bit-exact for data movement, integer ops and
 * comparisons; float math within ~1e-5 relative (transcendental functions
 * are CUDA's accurate versions, not the __expf style intrinsics).
 */
#ifndef VRT_CUDA_ELTWISE_H
#define VRT_CUDA_ELTWISE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

/* Detail of the last failure of a launcher on this thread ("" if none). */
const char *vrt__cuda_kernels_error(void);

/* y[i] = op(x[i]); x == y allowed. */
vrt_status vrt__cuda_unary_f32(void *stream, const vrt__unary_params *p, const float *x, float *y, int64_t n);
/* Not over bool bytes. */
vrt_status vrt__cuda_not(void *stream, const uint8_t *x, uint8_t *y, int64_t n);
/* IsNaN (inf 0) / IsInf (inf 1; pos, neg: which infinities count) over fp32: y[i] bool. */
vrt_status vrt__cuda_isnan(void *stream, int inf, int pos, int neg, const float *x, uint8_t *y, int64_t n);
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

/* Plain device-to-device copy of bytes (Reshape/Flatten/Identity when not aliased). */
vrt_status vrt__cuda_copy(void *stream, const void *x, void *y, size_t bytes);

#ifdef __cplusplus
}
#endif

#endif
