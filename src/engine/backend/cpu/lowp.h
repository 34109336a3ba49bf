/*
 * Private: the ONNX element types the kernels do not compute in natively
 * (double, bfloat16, float8 e4m3fn/e4m3fnuz/e5m2/e5m2fnuz, float8 e8m0,
 * float4 e2m1, int4/uint4, int2/uint2): their conversions and how the
 * engine holds them.
 *
 * Inside the engine (vrt__plan_dtype):
 *   double, bfloat16, float8*, float4e2m1  -> fp32. Every value of these
 *       types except double is exactly representable in fp32, so holding
 *       them as fp32 and converting back at the boundary is bit-exact (NaN
 *       comes back as the type's canonical NaN). A Cast to one of them
 *       rounds the fp32 value to the type's grid (vrt__lowp_round) so the
 *       held value is always one the type can represent. double is computed
 *       in fp32 (like every float tensor of the engine).
 *   int4/int2   -> int8 (one per byte, sign-extended)
 *   uint4/uint2 -> uint8 (one per byte)
 * Host form (set_input/get_output, test-data tensors): bfloat16 2 bytes,
 * float8/float4/e8m0 1 byte of raw bits (float4 in the low nibble), 4-/2-bit
 * ints unpacked one per byte; double 8 bytes.
 *
 * Rounding follows the ONNX Cast spec: round to nearest, ties to even;
 * saturate=1 clamps out-of-range finite values and infinities to the largest
 * finite value; saturate=0 gives NaN (e4m3fn, e4m3fnuz, e5m2fnuz) or
 * infinity (e5m2). float4e2m1 always saturates (NaN becomes -0, as in
 * ONNX's reference). Sub-byte ints from floats: truncate toward zero, then
 * wrap to the type's bits (ONNX's reference and test data do this).
 */
#ifndef VRT_CPU_LOWP_H
#define VRT_CPU_LOWP_H

#include <stdint.h>

#include "engine/backend/cpu/kernels.h"

/* 1 for bfloat16, float8 (all four), float8e8m0 and float4e2m1. */
int vrt__dtype_is_lowp_float(vrt__dtype t);
/* 1 for int4, uint4, int2, uint2. */
int vrt__dtype_is_subbyte(vrt__dtype t);
/* Bits per element of the packed ONNX storage (raw_data): 4 or 2 for the
 * sub-byte types, else 8 * vrt__dtype_size. */
int vrt__dtype_bits(vrt__dtype t);

/* Raw bits of a lowp float type -> its value. */
float vrt__lowp_to_float(vrt__dtype t, uint32_t bits);
/* float -> raw bits of a lowp float type (rounding/saturation above).
 * round_mode applies to float8e8m0 only: 0 up (default), 1 down, 2 nearest. */
uint32_t vrt__lowp_from_float(vrt__dtype t, float f, int saturate, int round_mode);
/* f rounded to the nearest value of type t, as fp32. */
float vrt__lowp_round(vrt__dtype t, float f, int saturate, int round_mode);

/* A value converted to a sub-byte int type: floats truncate toward zero,
 * then everything wraps to the low bits (two's complement). */
int8_t vrt__subbyte_from_float(vrt__dtype t, double v);
int8_t vrt__subbyte_wrap(vrt__dtype t, int64_t v);

/* Unpacks n elements of packed sub-byte storage (low bits first) into one
 * (sign-extended for int4/int2) byte per element. */
void vrt__subbyte_unpack(vrt__dtype t, const uint8_t *packed, uint8_t *out, int64_t n);

/* Host form <-> engine form (see above) of n elements of type t. For
 * types the engine holds natively these are plain copies. */
void vrt__lowp_host_to_engine(vrt__dtype t, const void *host, void *eng, int64_t n);
void vrt__lowp_engine_to_host(vrt__dtype t, const void *eng, void *host, int64_t n);

#endif
