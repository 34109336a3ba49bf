/*
 * Private: conventions shared by the CPU reference kernels.
 *
 * A kernel is a plain function over dense, row-major (C order) buffers with
 * explicit shapes. Kernels never allocate: scratch memory (im2col buffers,
 * ...) is passed in by the caller, whose size the kernel's *_scratch()
 * function reports at plan time. Kernels return vrt_status for bad shapes or
 * attributes (VRT_EINVAL / VRT_EUNSUPPORTED), never assert on input data.
 * Element types follow ONNX's TensorProto.DataType numbering.
 *
 * Threading: a kernel may split its work over the thread pool in `ctx`
 * (NULL = single-threaded).
 */
#ifndef VRT_CPU_KERNELS_H
#define VRT_CPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"

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

/* Thread pool for kernels: runs fn(arg, i) for i in [0, n) over the pool's
 * threads and waits. Created once at backend prepare. */
typedef struct vrt__threadpool vrt__threadpool;
vrt_status vrt__threadpool_create(vrt__threadpool **out, int nthreads);
void vrt__threadpool_destroy(vrt__threadpool **tp);
int vrt__threadpool_size(const vrt__threadpool *tp);
void vrt__parallel_for(vrt__threadpool *tp, int64_t n, void (*fn)(void *arg, int64_t i), void *arg);

#endif
