/*
 * Private: byte-generic data movement on CUDA (tensor_ops.cu): Concat,
 * Split, Slice, Transpose, Gather, Expand, Tile, Pad, DepthToSpace,
 * SpaceToDepth; bit-exact with the CPU twins. Launcher rules: eltwise.h.
 */
#ifndef VRT_CUDA_TENSOR_OPS_H
#define VRT_CUDA_TENSOR_OPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

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

#ifdef __cplusplus
}
#endif

#endif
