/*
 * Private: CPU reference kernels, part 2 -- element-wise ops, reductions,
 * shape and data-movement ops, Resize.
 *
 * Conventions (see kernels.h): dense row-major buffers, shapes passed
 * explicitly, no allocation (scratch passed in, sized by *_scratch_bytes()),
 * vrt_status for bad shapes or attributes. The params structs and their
 * *_out_shape() functions are the op vocabulary of model/op_params.h;
 * kernels re-check that the caller's output shape matches and return
 * VRT_EINVAL otherwise.
 *
 * Data-movement ops are byte-generic: they take the element size and never
 * look at the values. Arithmetic is fp32 unless stated otherwise.
 *
 * Threading: kernels that take a `vrt__threadpool *tp` may split their work
 * over it; NULL runs on the calling thread. Inputs and outputs must not
 * overlap unless a kernel says otherwise (unary ops and same-shape binary ops
 * may run in place).
 */
#ifndef VRT_CPU_KERNELS_TENSOR_H
#define VRT_CPU_KERNELS_TENSOR_H

#include "engine/backend/cpu/kernels.h"
#include "model/op_params.h"

/* ---- element-wise unary (fp32) ----------------------------------------- */

/* One element; the reference definition every path uses. */
float vrt__unary_apply(const vrt__unary_params *p, float x);
/* y[i] = op(x[i]) for n elements; x == y allowed. */
vrt_status vrt__cpu_unary_f32(vrt__threadpool *tp, const vrt__unary_params *p, const float *x, float *y,
                              int64_t n);
/* Not: y[i] = !x[i] over bool (one byte, 0/1) elements; x == y allowed. */
vrt_status vrt__cpu_not(const uint8_t *x, uint8_t *y, int64_t n);
/* IsNaN (inf 0) / IsInf (inf 1, pos/neg: which infinities count): y[i] bool. */
vrt_status vrt__cpu_isnan(int inf, int pos, int neg, const float *x, uint8_t *y, int64_t n);

/* ---- element-wise binary with numpy broadcasting ------------------------ */

/* y = a op b; dt is FLOAT, INT64 or INT32 (PRelu: FLOAT only). sy must be the
 * broadcast of sa and sb. y may alias a or b when that input has shape sy. */
vrt_status vrt__cpu_binary(vrt__threadpool *tp, vrt__binary_op op, vrt__dtype dt, const void *a,
                           const vrt__shape *sa, const void *b, const vrt__shape *sb, void *y,
                           const vrt__shape *sy);
/* y (bool) = a cmp b; dt is FLOAT, INT64, INT32 or BOOL (Equal only on BOOL). */
vrt_status vrt__cpu_compare(vrt__compare_op op, vrt__dtype dt, const void *a, const vrt__shape *sa,
                            const void *b, const vrt__shape *sb, uint8_t *y, const vrt__shape *sy);
/* And/Or/Xor on bool; op: 0 and, 1 or, 2 xor. */
vrt_status vrt__cpu_logical(int op, const uint8_t *a, const vrt__shape *sa, const uint8_t *b,
                            const vrt__shape *sb, uint8_t *y, const vrt__shape *sy);
/* Where: out = cond ? x : y with a 3-way broadcast, any element size. */
vrt_status vrt__cpu_where(const uint8_t *cond, const vrt__shape *sc, const void *x, const vrt__shape *sx,
                          const void *y, const vrt__shape *sy, size_t elem, void *out, const vrt__shape *so);

/* ---- fused element-wise chain (fp32) ------------------------------------ */

/* y = steps(x); shape of y is sx; y == x allowed. */
vrt_status vrt__cpu_chain_f32(vrt__threadpool *tp, const float *x, const vrt__shape *sx,
                              const vrt__chain_step *steps, int nsteps, float *y);

/* ---- reductions --------------------------------------------------------- */

/* fp32; sums accumulate in double. An empty reduction gives the op's identity
 * (0 for sum, -inf for max, ...). */
vrt_status vrt__cpu_reduce_f32(vrt__threadpool *tp, const vrt__reduce_params *p, const float *x,
                               const vrt__shape *sx, float *y);

vrt_status vrt__cpu_softmax_f32(vrt__threadpool *tp, const vrt__softmax_params *p, const float *x,
                                const vrt__shape *sx, float *y);

vrt_status vrt__cpu_argmax_f32(const vrt__argmax_params *p, const float *x, const vrt__shape *sx, int64_t *y);

size_t vrt__topk_scratch_bytes(const vrt__topk_params *p, const vrt__shape *sx);
vrt_status vrt__cpu_topk_f32(const vrt__topk_params *p, const float *x, const vrt__shape *sx, float *values,
                             int64_t *indices, void *scratch);
/* TopK on integer tensors (int8/16/32/64, uint8/16/32/64; ties: lower index
 * first). scratch holds k int64. 1 when dt is one of those. */
int vrt__cpu_topk_int_ok(vrt__dtype dt);

/* ---- CumSum ---------------------------------------------------------------- */

/* Running sums of x viewed as [outer, len, inner] along len, in the element
 * type dt (FLOAT, INT32, INT64, UINT32, UINT64; sequential, as numpy's
 * cumsum); exclusive: each sum leaves out its own element; reverse: from
 * the end. x and y may be the same buffer. */
int vrt__cpu_cumsum_type_ok(vrt__dtype dt);
vrt_status vrt__cpu_cumsum(vrt__dtype dt, const void *x, void *y, int64_t outer, int64_t len, int64_t inner,
                           int exclusive, int reverse);
vrt_status vrt__cpu_topk_int(const vrt__topk_params *p, vrt__dtype dt, const void *x, const vrt__shape *sx,
                             void *values, int64_t *indices, void *scratch);

/* ---- data movement (byte-generic) --------------------------------------- */

vrt_status vrt__cpu_concat(int64_t axis, int n, const void *const *xs, const vrt__shape *shapes, size_t elem,
                           void *y);

vrt_status vrt__cpu_split(int64_t axis, const void *x, const vrt__shape *sx, size_t elem, int n,
                          const int64_t *sizes, void *const *ys);

vrt_status vrt__cpu_slice(const vrt__slice_params *p, const void *x, const vrt__shape *sx, size_t elem,
                          void *y);

vrt_status vrt__cpu_transpose(vrt__threadpool *tp, const int64_t *perm, int nperm, const void *x,
                              const vrt__shape *sx, size_t elem, void *y);

/* Gather: indices INT64 or INT32, negative ones count from the end; an index
 * out of range gives VRT_EINVAL (output then partly written). */
vrt_status vrt__cpu_gather(int64_t axis, const void *x, const vrt__shape *sx, size_t elem,
                           const void *indices, vrt__dtype idt, const vrt__shape *si, void *y);

/* Expand: shape values from the 'shape' input; output is their broadcast with sx. */
/* Copies x broadcast to sy (also the general "broadcast to" helper). */
vrt_status vrt__cpu_expand(const void *x, const vrt__shape *sx, size_t elem, void *y, const vrt__shape *sy);

vrt_status vrt__cpu_tile(const void *x, const vrt__shape *sx, size_t elem, const int64_t *repeats, void *y);

vrt_status vrt__cpu_pad(const vrt__pad_params *p, const void *x, const vrt__shape *sx, size_t elem, void *y);

/* DepthToSpace (mode: 0 DCR, 1 CRD) and SpaceToDepth on 4-D NCHW. */
vrt_status vrt__cpu_depth_to_space(int64_t blocksize, int crd, const void *x, const vrt__shape *sx,
                                   size_t elem, void *y);
vrt_status vrt__cpu_space_to_depth(int64_t blocksize, const void *x, const vrt__shape *sx, size_t elem,
                                   void *y);

/* Cast between FLOAT, FLOAT16, DOUBLE, INT64, INT32, INT16, INT8, UINT8, UINT16,
 * UINT32, UINT64 and BOOL in any direction. Float -> integer truncates toward
 * zero (numpy astype); values outside the target range saturate and NaN gives
 * 0 (numpy leaves those undefined; we never invoke C undefined behaviour).
 * To BOOL: x != 0. Same type: a copy. */
vrt_status vrt__cpu_cast(vrt__dtype from, const void *x, vrt__dtype to, void *y, int64_t n);

/* ConstantOfShape: n copies of value (elem bytes; NULL = zero). */
vrt_status vrt__cpu_constant_of_shape(const void *value, size_t elem, void *y, int64_t n);

/* Range over FLOAT, DOUBLE, INT64, INT32, INT16: start/limit/delta point to
 * one value of that type. Count = max(ceil((limit - start) / delta), 0). */
vrt_status vrt__range_count(vrt__dtype dt, const void *start, const void *limit, const void *delta,
                            int64_t *n);
vrt_status vrt__cpu_range(vrt__dtype dt, const void *start, const void *delta, int64_t n, void *y);

/* ---- Resize / Upsample -------------------------------------------------- */

size_t vrt__resize_scratch_bytes(const vrt__resize_params *p, const vrt__shape *sx, const vrt__shape *sy);
/* fp32, any rank; resized axes are interpolated separately (N-linear/cubic). */
vrt_status vrt__cpu_resize_f32(vrt__threadpool *tp, const vrt__resize_params *p, const float *x,
                               const vrt__shape *sx, float *y, const vrt__shape *sy, void *scratch);

#endif
