/*
 * The op vocabulary's element types and shapes, shared by the model reader,
 * both backends, vision and the tools: ONNX element types (TensorProto.DataType
 * numbering), dense shapes of up to VRT__MAX_DIMS dims, fp16 conversions and
 * numpy broadcasting. The low-precision types' conversions are in
 * model/lowp.h, the op parameter structs in model/op_params.h.
 *
 * Plain functions over plain structs: no allocation, no state, safe from
 * any thread.
 */
#ifndef VRT_MODEL_DTYPE_H
#define VRT_MODEL_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT__MAX_DIMS 8

typedef enum vrt__dtype {
    VRT__DT_UNDEFINED = 0,
    VRT__DT_FLOAT = 1,
    VRT__DT_UINT8 = 2,
    VRT__DT_INT8 = 3,
    VRT__DT_UINT16 = 4,
    VRT__DT_INT16 = 5,
    VRT__DT_INT32 = 6,
    VRT__DT_INT64 = 7,
    VRT__DT_STRING = 8,
    VRT__DT_BOOL = 9,
    VRT__DT_FLOAT16 = 10,
    VRT__DT_DOUBLE = 11,
    VRT__DT_UINT32 = 12,
    VRT__DT_UINT64 = 13,
    /* ONNX 1.16..1.22 low-precision types (see lowp.h for how the engine
     * holds them: floats as fp32, sub-byte ints as int8/uint8). At the host
     * boundary (set_input/get_output, test-data tensors) bfloat16 is 2 bytes,
     * float8/float4/float8e8m0 1 byte of raw bits, and 4-/2-bit ints are
     * UNPACKED one element per byte (int4/int2 sign-extended). */
    VRT__DT_BFLOAT16 = 16,
    VRT__DT_FLOAT8E4M3FN = 17,
    VRT__DT_FLOAT8E4M3FNUZ = 18,
    VRT__DT_FLOAT8E5M2 = 19,
    VRT__DT_FLOAT8E5M2FNUZ = 20,
    VRT__DT_UINT4 = 21,
    VRT__DT_INT4 = 22,
    VRT__DT_FLOAT4E2M1 = 23,
    VRT__DT_FLOAT8E8M0 = 24,
    VRT__DT_UINT2 = 25,
    VRT__DT_INT2 = 26,
} vrt__dtype;

/* Bytes per element; 0 for unsupported types. */
size_t vrt__dtype_size(vrt__dtype t);
const char *vrt__dtype_name(vrt__dtype t);

typedef struct vrt__shape {
    int ndim;
    int64_t d[VRT__MAX_DIMS];
} vrt__shape;

int64_t vrt__shape_numel(const vrt__shape *s);

/* fp16 <-> fp32, round-to-nearest-even, with inf/nan/subnormals handled. */
float vrt__half_to_float(uint16_t h);
uint16_t vrt__float_to_half(float f);
/* The same over n values, bit for bit; with F16C (checked at run time) 8 at
 * a time, where a block holding inf or nan takes the scalar path. */
void vrt__half_to_float_n(const uint16_t *src, float *dst, int64_t n);
void vrt__float_to_half_n(const float *src, uint16_t *dst, int64_t n);

/* An axis in [-ndim, ndim) as an index in [0, ndim); VRT_EINVAL outside. */
vrt_status vrt__axis_index(int64_t axis, int ndim, int *out);
/* 1 when ndim is in [0, VRT__MAX_DIMS] and no dim is negative. */
int vrt__shape_valid(const vrt__shape *s);

/* ---- broadcasting ------------------------------------------------------- */

/* numpy multidirectional broadcast of a and b; VRT_EINVAL if incompatible. */
vrt_status vrt__broadcast_shape(const vrt__shape *a, const vrt__shape *b, vrt__shape *out);
/* True when `in` broadcasts to exactly `out` (unidirectional, as Expand/PRelu). */
int vrt__broadcasts_to(const vrt__shape *in, const vrt__shape *out);

/* A broadcast of up to VRT__BC_MAX_IN inputs to one output shape, as walked
 * by the element-wise kernels of every backend. Shapes are aligned to the
 * output, size-1 output dims dropped and adjacent dims merged where every
 * input walks them contiguously, so the common cases (same shape,
 * per-channel bias, scalar) become one or two long inner loops: dim[] are
 * the merged output dims, st[k][] input k's element strides along them (0
 * where it broadcasts). */
#define VRT__BC_MAX_IN 10

typedef struct vrt__bcast {
    int nd;
    int nin;
    int64_t total;
    int64_t dim[VRT__MAX_DIMS];
    int64_t st[VRT__BC_MAX_IN][VRT__MAX_DIMS];
} vrt__bcast;

/* VRT_EINVAL when an input does not broadcast to so. */
vrt_status vrt__bcast_init(vrt__bcast *b, const vrt__shape *so, int nin, const vrt__shape *const *ins);

#ifdef __cplusplus
}
#endif

#endif
