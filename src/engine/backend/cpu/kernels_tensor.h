/*
 * Private: CPU reference kernels, part 2 -- element-wise ops, reductions,
 * shape and data-movement ops, Resize.
 *
 * Conventions (see kernels.h): dense row-major buffers, shapes passed
 * explicitly, no allocation (scratch passed in, sized by *_scratch_bytes()),
 * vrt_status for bad shapes or attributes. Each op has a plain params struct
 * that mirrors the ONNX attributes *after* defaults are applied (and after
 * attributes that became inputs in later opsets have been read by the glue
 * code). Where the output shape follows from the attributes, a *_out_shape()
 * function computes it; kernels re-check that the caller's output shape
 * matches and return VRT_EINVAL otherwise.
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

#include "kernels.h"

/* ---- broadcasting ------------------------------------------------------- */

/* numpy multidirectional broadcast of a and b; VRT_EINVAL if incompatible. */
vrt_status vrt__broadcast_shape(const vrt__shape *a, const vrt__shape *b, vrt__shape *out);
/* True when `in` broadcasts to exactly `out` (unidirectional, as Expand/PRelu). */
int vrt__broadcasts_to(const vrt__shape *in, const vrt__shape *out);

/* ---- element-wise unary (fp32) ----------------------------------------- */

typedef enum vrt__unary_op {
    VRT__UN_IDENTITY = 0,
    VRT__UN_RELU,
    VRT__UN_LEAKY_RELU, /* alpha (default 0.01) */
    VRT__UN_SIGMOID,
    VRT__UN_TANH,
    VRT__UN_HARD_SIGMOID, /* max(0, min(1, alpha*x + beta)); alpha 0.2, beta 0.5 */
    VRT__UN_HARD_SWISH,   /* x * max(0, min(1, x/6 + 0.5)) */
    VRT__UN_CLIP,         /* min/max (default -inf/+inf) */
    VRT__UN_ERF,
    VRT__UN_EXP,
    VRT__UN_LOG,
    VRT__UN_SQRT,
    VRT__UN_NEG,
    VRT__UN_ABS,
    VRT__UN_RECIPROCAL,
    VRT__UN_SILU,       /* x * sigmoid(x) (fused Mul(x, Sigmoid(x))) */
    VRT__UN_POW_SCALAR, /* x ^ alpha (Pow with a constant scalar exponent) */
    VRT__UN_FLOOR,
    VRT__UN_CEIL,
    VRT__UN_ELU, /* alpha (default 1) */
    VRT__UN_SOFTPLUS,
    VRT__UN_MISH,
    VRT__UN_GELU,      /* exact (erf) form */
    VRT__UN_GELU_TANH, /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    VRT__UN_SIN,
    VRT__UN_COS,
    VRT__UN_COUNT
} vrt__unary_op;

typedef struct vrt__unary_params {
    vrt__unary_op op;
    float alpha;
    float beta;
    float min; /* Clip */
    float max; /* Clip */
} vrt__unary_params;

/* Fills p with op and ONNX's default attribute values for it. */
void vrt__unary_default_params(vrt__unary_op op, vrt__unary_params *p);
/* "Relu", "LeakyRelu", ...; "?" when unknown. */
const char *vrt__unary_name(vrt__unary_op op);
/* One element; the reference definition every path uses. */
float vrt__unary_apply(const vrt__unary_params *p, float x);
/* y[i] = op(x[i]) for n elements; x == y allowed. */
vrt_status vrt__cpu_unary_f32(vrt__threadpool *tp, const vrt__unary_params *p, const float *x, float *y,
                              int64_t n);
/* Not: y[i] = !x[i] over bool (one byte, 0/1) elements; x == y allowed. */
vrt_status vrt__cpu_not(const uint8_t *x, uint8_t *y, int64_t n);

/* ---- element-wise binary with numpy broadcasting ------------------------ */

typedef enum vrt__binary_op {
    VRT__BIN_ADD = 0,
    VRT__BIN_SUB,
    VRT__BIN_MUL,
    VRT__BIN_DIV, /* integers: truncation toward zero; division by 0 gives 0 (never traps) */
    VRT__BIN_MAX,
    VRT__BIN_MIN,
    VRT__BIN_POW,
    VRT__BIN_PRELU, /* a < 0 ? a * b : a; b is the slope (fp32 only) */
    VRT__BIN_MOD,   /* fmod semantics for floats, C remainder for ints (fmod=1 style) */
    VRT__BIN_COUNT
} vrt__binary_op;

typedef enum vrt__compare_op {
    VRT__CMP_EQUAL = 0,
    VRT__CMP_GREATER,
    VRT__CMP_LESS,
    VRT__CMP_GREATER_OR_EQUAL,
    VRT__CMP_LESS_OR_EQUAL,
    VRT__CMP_COUNT
} vrt__compare_op;

const char *vrt__binary_name(vrt__binary_op op);

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

/* A short list of steps applied in one pass over x: each step is a unary op
 * or a binary op whose other operand broadcasts to x's shape (the running
 * value is always the left operand, except when `operand_first` is set:
 * Sub(c, v), Div(c, v), Pow(c, v)). Used for activation/residual fusion. */
typedef struct vrt__chain_step {
    int is_binary;
    vrt__unary_params un;
    vrt__binary_op bin;
    int operand_first;
    const float *operand;
    vrt__shape operand_shape;
} vrt__chain_step;

#define VRT__CHAIN_MAX_STEPS 8

/* y = steps(x); shape of y is sx; y == x allowed. */
vrt_status vrt__cpu_chain_f32(vrt__threadpool *tp, const float *x, const vrt__shape *sx,
                              const vrt__chain_step *steps, int nsteps, float *y);

/* ---- reductions --------------------------------------------------------- */

typedef enum vrt__reduce_op {
    VRT__RED_SUM = 0,
    VRT__RED_MEAN,
    VRT__RED_MAX,
    VRT__RED_MIN,
    VRT__RED_PROD,
    VRT__RED_L1,
    VRT__RED_L2,
    VRT__RED_SUM_SQUARE,
    VRT__RED_LOG_SUM_EXP,
    VRT__RED_COUNT
} vrt__reduce_op;

typedef struct vrt__reduce_params {
    vrt__reduce_op op;
    int naxes;                   /* 0: all axes, or none when noop_with_empty_axes */
    int64_t axes[VRT__MAX_DIMS]; /* may be negative; duplicates refused */
    int keepdims;                /* default 1 */
    int noop_with_empty_axes;    /* default 0 */
} vrt__reduce_params;

void vrt__reduce_default_params(vrt__reduce_op op, vrt__reduce_params *p);
vrt_status vrt__reduce_out_shape(const vrt__reduce_params *p, const vrt__shape *sx, vrt__shape *sy);
/* fp32; sums accumulate in double. An empty reduction gives the op's identity
 * (0 for sum, -inf for max, ...). */
vrt_status vrt__cpu_reduce_f32(vrt__threadpool *tp, const vrt__reduce_params *p, const float *x,
                               const vrt__shape *sx, float *y);

typedef struct vrt__softmax_params {
    int64_t axis; /* default -1 (opset >= 13) or 1 (opset < 13) */
    int legacy;   /* opset < 13: input coerced to 2-D [prod(d[:axis]), prod(d[axis:])] */
    int log;      /* LogSoftmax */
} vrt__softmax_params;

vrt_status vrt__cpu_softmax_f32(vrt__threadpool *tp, const vrt__softmax_params *p, const float *x,
                                const vrt__shape *sx, float *y);

typedef struct vrt__argmax_params {
    int64_t axis;          /* default 0 */
    int keepdims;          /* default 1 */
    int select_last_index; /* default 0 */
    int is_min;            /* ArgMin */
} vrt__argmax_params;

vrt_status vrt__argmax_out_shape(const vrt__argmax_params *p, const vrt__shape *sx, vrt__shape *sy);
vrt_status vrt__cpu_argmax_f32(const vrt__argmax_params *p, const float *x, const vrt__shape *sx, int64_t *y);

typedef struct vrt__topk_params {
    int64_t k;    /* from the K input (opset >= 10) or attribute */
    int64_t axis; /* default -1 */
    int largest;  /* default 1 */
    int sorted;   /* default 1; unsorted output is still returned sorted */
} vrt__topk_params;

/* Ties keep the lower index first (as ONNX's reference). NaN ranks above
 * every number for largest=1 and below for largest=0 (as numpy's sort). */
vrt_status vrt__topk_out_shape(const vrt__topk_params *p, const vrt__shape *sx, vrt__shape *sy);
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

#define VRT__MAX_CONCAT_INPUTS 64

vrt_status vrt__concat_out_shape(int64_t axis, int n, const vrt__shape *shapes, vrt__shape *sy);
vrt_status vrt__cpu_concat(int64_t axis, int n, const void *const *xs, const vrt__shape *shapes, size_t elem,
                           void *y);

/* sizes[i] along axis for each of n outputs (their sum must be d[axis]).
 * vrt__split_even fills sizes for the no-'split' case (opset 18 num_outputs:
 * ceil-sized chunks, the last one smaller). */
vrt_status vrt__split_even(int64_t dim, int n, int64_t *sizes);
vrt_status vrt__cpu_split(int64_t axis, const void *x, const vrt__shape *sx, size_t elem, int n,
                          const int64_t *sizes, void *const *ys);

typedef struct vrt__slice_params {
    int n; /* entries below used */
    int64_t starts[VRT__MAX_DIMS];
    int64_t ends[VRT__MAX_DIMS];  /* INT64_MAX / INT64_MIN as exporters write them are fine */
    int64_t axes[VRT__MAX_DIMS];  /* default 0..n-1; may be negative */
    int64_t steps[VRT__MAX_DIMS]; /* default 1; negative walks backwards; 0 refused */
} vrt__slice_params;

vrt_status vrt__slice_out_shape(const vrt__slice_params *p, const vrt__shape *sx, vrt__shape *sy);
vrt_status vrt__cpu_slice(const vrt__slice_params *p, const void *x, const vrt__shape *sx, size_t elem,
                          void *y);

/* perm: nperm == 0 means reversed dims (ONNX default). */
vrt_status vrt__transpose_out_shape(const int64_t *perm, int nperm, const vrt__shape *sx, vrt__shape *sy);
vrt_status vrt__cpu_transpose(vrt__threadpool *tp, const int64_t *perm, int nperm, const void *x,
                              const vrt__shape *sx, size_t elem, void *y);

/* Gather: indices INT64 or INT32, negative ones count from the end; an index
 * out of range gives VRT_EINVAL (output then partly written). */
vrt_status vrt__gather_out_shape(int64_t axis, const vrt__shape *sx, const vrt__shape *si, vrt__shape *sy);
vrt_status vrt__cpu_gather(int64_t axis, const void *x, const vrt__shape *sx, size_t elem,
                           const void *indices, vrt__dtype idt, const vrt__shape *si, void *y);

/* Expand: shape values from the 'shape' input; output is their broadcast with sx. */
vrt_status vrt__expand_out_shape(const vrt__shape *sx, const int64_t *shape, int n, vrt__shape *sy);
/* Copies x broadcast to sy (also the general "broadcast to" helper). */
vrt_status vrt__cpu_expand(const void *x, const vrt__shape *sx, size_t elem, void *y, const vrt__shape *sy);

vrt_status vrt__tile_out_shape(const vrt__shape *sx, const int64_t *repeats, int n, vrt__shape *sy);
vrt_status vrt__cpu_tile(const void *x, const vrt__shape *sx, size_t elem, const int64_t *repeats, void *y);

typedef enum vrt__pad_mode {
    VRT__PAD_CONSTANT = 0,
    VRT__PAD_REFLECT,
    VRT__PAD_EDGE,
    VRT__PAD_WRAP,
} vrt__pad_mode;

typedef struct vrt__pad_params {
    vrt__pad_mode mode;
    /* [x1_begin, x2_begin, ..., x1_end, x2_end, ...] over all ndim axes (the
     * glue expands opset-18 'axes'); negative values crop. */
    int64_t pads[2 * VRT__MAX_DIMS];
    /* constant mode: the value's bytes (elem of them); NULL means zero */
    const void *value;
} vrt__pad_params;

vrt_status vrt__pad_out_shape(const vrt__pad_params *p, const vrt__shape *sx, vrt__shape *sy);
vrt_status vrt__cpu_pad(const vrt__pad_params *p, const void *x, const vrt__shape *sx, size_t elem, void *y);

/* DepthToSpace (mode: 0 DCR, 1 CRD) and SpaceToDepth on 4-D NCHW. */
vrt_status vrt__depth_to_space_out_shape(int64_t blocksize, const vrt__shape *sx, vrt__shape *sy);
vrt_status vrt__cpu_depth_to_space(int64_t blocksize, int crd, const void *x, const vrt__shape *sx,
                                   size_t elem, void *y);
vrt_status vrt__space_to_depth_out_shape(int64_t blocksize, const vrt__shape *sx, vrt__shape *sy);
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

typedef enum vrt__resize_mode {
    VRT__RESIZE_NEAREST = 0,
    VRT__RESIZE_LINEAR,
    VRT__RESIZE_CUBIC,
} vrt__resize_mode;

typedef enum vrt__resize_coord {
    VRT__COORD_HALF_PIXEL = 0,
    VRT__COORD_HALF_PIXEL_SYMMETRIC,
    VRT__COORD_PYTORCH_HALF_PIXEL,
    VRT__COORD_ALIGN_CORNERS,
    VRT__COORD_ASYMMETRIC,
    VRT__COORD_TF_CROP_AND_RESIZE,
    VRT__COORD_TF_HALF_PIXEL_FOR_NN,
} vrt__resize_coord;

typedef enum vrt__resize_nearest {
    VRT__NEAREST_ROUND_PREFER_FLOOR = 0,
    VRT__NEAREST_ROUND_PREFER_CEIL,
    VRT__NEAREST_FLOOR,
    VRT__NEAREST_CEIL,
} vrt__resize_nearest;

typedef enum vrt__resize_aspect {
    VRT__ASPECT_STRETCH = 0,
    VRT__ASPECT_NOT_LARGER,
    VRT__ASPECT_NOT_SMALLER,
} vrt__resize_aspect;

typedef struct vrt__resize_params {
    vrt__resize_mode mode;            /* default nearest */
    vrt__resize_coord coord;          /* default half_pixel (opset >= 11) */
    vrt__resize_nearest nearest_mode; /* default round_prefer_floor */
    vrt__resize_aspect keep_aspect;   /* default stretch; only with sizes */
    float cubic_coeff_a;              /* default -0.75 */
    int exclude_outside;              /* default 0 */
    float extrapolation_value;        /* default 0; tf_crop_and_resize only */
    int antialias;                    /* opset 18; nonzero is refused (ENOTSUP) */
    /* opset 18 'axes': the entries of scales/sizes/roi refer to these axes;
     * naxes == 0 means all axes in order. */
    int naxes;
    int64_t axes[VRT__MAX_DIMS];
    /* exactly one of scales (have_scales) or sizes (have_sizes) */
    int have_scales;
    float scales[VRT__MAX_DIMS];
    int have_sizes;
    int64_t sizes[VRT__MAX_DIMS];
    /* tf_crop_and_resize: [start_1..start_n, end_1..end_n] over the same axes;
     * have_roi == 0 means [0..0, 1..1]. */
    int have_roi;
    float roi[2 * VRT__MAX_DIMS];
} vrt__resize_params;

/* ONNX defaults for opset >= 11. Upsample (opset 7-9) is Resize with
 * coord = asymmetric, nearest_mode = floor and the given scales. */
void vrt__resize_default_params(vrt__resize_params *p);
/* Output shape: floor(d * scale) with scales, sizes (adjusted by the aspect
 * policy) otherwise. */
vrt_status vrt__resize_out_shape(const vrt__resize_params *p, const vrt__shape *sx, vrt__shape *sy);
size_t vrt__resize_scratch_bytes(const vrt__resize_params *p, const vrt__shape *sx, const vrt__shape *sy);
/* fp32, any rank; resized axes are interpolated separately (N-linear/cubic). */
vrt_status vrt__cpu_resize_f32(vrt__threadpool *tp, const vrt__resize_params *p, const float *x,
                               const vrt__shape *sx, float *y, const vrt__shape *sy, void *scratch);

#endif
