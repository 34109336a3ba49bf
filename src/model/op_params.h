/*
 * The op vocabulary's parameter structs, shared by shape inference, both
 * backends and the tools.
 *
 * Each op has a params struct that mirrors its ONNX attributes after the
 * defaults are applied (and after attributes that became inputs in later
 * opsets have been read). They are resolved once, at plan time:
 *   - *_default_params() fills ONNX's defaults;
 *   - *_resolve() checks the attributes, turns auto_pad into explicit pads
 *     and fills in the output sizes, so a kernel only reads the struct;
 *   - *_out_shape() computes the output shape where it follows from the
 *     attributes (kernels re-check it and return VRT_EINVAL on a mismatch);
 *   - vrt__op_*_params() (op_params.c) fill a struct from an IR node's
 *     attributes (and the fusion attributes of model/plan.h: _act,
 *     _act_alpha, _act_beta) plus the inferred shapes.
 * Data-type checks and scratch sizing stay with each backend: they differ.
 * Functions taking err/cap (or errcap) write a detail message there on
 * failure, which the backend reports for the node.
 *
 * Plain functions over plain structs: no allocation, no state, safe from any
 * thread.
 */
#ifndef VRT_MODEL_OP_PARAMS_H
#define VRT_MODEL_OP_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "model/dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The IR node (model/ir.h), named here so that CUDA sources can use the
 * param structs without the IR. */
typedef struct vrt__node vrt__node;

/* ---- fused activation ---------------------------------------------------- */

typedef enum vrt__act_kind {
    VRT__ACT_NONE = 0,
    VRT__ACT_RELU,
    VRT__ACT_LEAKY_RELU, /* alpha: negative slope (ONNX default 0.01) */
    VRT__ACT_CLIP,       /* alpha: min, beta: max (Relu6: 0, 6) */
    VRT__ACT_SIGMOID,
    VRT__ACT_SILU,         /* x * sigmoid(x) */
    VRT__ACT_HARD_SWISH,   /* x * max(0, min(1, x/6 + 0.5)) (ONNX HardSwish) */
    VRT__ACT_HARD_SIGMOID, /* max(0, min(1, alpha*x + beta)) (ONNX defaults 0.2, 0.5) */
    VRT__ACT_TANH,
    VRT__ACT_GELU,      /* 0.5 x (1 + erf(x / sqrt 2)); fused into MatMul only (model/passes_tf.c) */
    VRT__ACT_GELU_TANH, /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
} vrt__act_kind;

typedef struct vrt__activation {
    vrt__act_kind kind;
    float alpha, beta;
} vrt__activation;

const char *vrt__act_name(vrt__act_kind k);

/* ---- Conv / ConvTranspose ---------------------------------------------- */

#define VRT__MAX_SPATIAL 3

typedef enum vrt__auto_pad {
    VRT__AUTO_PAD_NOTSET = 0,
    VRT__AUTO_PAD_SAME_UPPER,
    VRT__AUTO_PAD_SAME_LOWER,
    VRT__AUTO_PAD_VALID,
} vrt__auto_pad;

/* Conv (X: N x C x in..., W: M x C/group x k..., B: M) and ConvTranspose
 * (X: N x C x in..., W: C x M/group x k..., B: M). */
typedef struct vrt__conv_params {
    int nsp;                              /* spatial dims: 1, 2 or 3 */
    int64_t N, C, M;                      /* batch, input channels, output channels */
    int64_t in[VRT__MAX_SPATIAL];         /* input spatial sizes */
    int64_t k[VRT__MAX_SPATIAL];          /* kernel spatial sizes */
    int64_t strides[VRT__MAX_SPATIAL];    /* default 1 */
    int64_t dilations[VRT__MAX_SPATIAL];  /* default 1 */
    int64_t pads_begin[VRT__MAX_SPATIAL]; /* ONNX pads[0..nsp) */
    int64_t pads_end[VRT__MAX_SPATIAL];   /* ONNX pads[nsp..2nsp) */
    vrt__auto_pad auto_pad;
    int64_t group; /* default 1 */
    /* ConvTranspose only: */
    int64_t output_padding[VRT__MAX_SPATIAL];
    int64_t output_shape[VRT__MAX_SPATIAL]; /* all 0: not given */
    /* Fused epilogue: y = act(conv + bias + residual). */
    vrt__activation act;
    /* Filled by resolve: */
    int64_t out[VRT__MAX_SPATIAL]; /* output spatial sizes */
} vrt__conv_params;

/* ONNX defaults (strides/dilations 1, group 1, no pads, no activation). */
void vrt__conv_default_params(vrt__conv_params *p);

/* Checks the params, applies auto_pad (sets pads_begin/end, auto_pad becomes
 * NOTSET) and fills p->out. err (may be NULL) receives a detail message. */
vrt_status vrt__conv_resolve(vrt__conv_params *p, char *err, size_t errcap);

vrt_status vrt__conv_transpose_resolve(vrt__conv_params *p, char *err, size_t errcap);

/* ---- pooling ----------------------------------------------------------- */

typedef struct vrt__pool_params {
    int nsp; /* spatial dims: 1, 2 or 3 */
    int64_t N, C;
    int64_t in[VRT__MAX_SPATIAL];
    int64_t k[VRT__MAX_SPATIAL];         /* kernel_shape */
    int64_t strides[VRT__MAX_SPATIAL];   /* default 1 */
    int64_t dilations[VRT__MAX_SPATIAL]; /* default 1 */
    int64_t pads_begin[VRT__MAX_SPATIAL];
    int64_t pads_end[VRT__MAX_SPATIAL];
    vrt__auto_pad auto_pad;
    int ceil_mode;
    int count_include_pad;         /* AveragePool only */
    int64_t out[VRT__MAX_SPATIAL]; /* filled by resolve */
} vrt__pool_params;

void vrt__pool_default_params(vrt__pool_params *p);
vrt_status vrt__pool_resolve(vrt__pool_params *p, char *err, size_t errcap);

/* ---- normalisation ------------------------------------------------------ */

/* Splits a shape at ONNX LayerNormalization's axis (negative counts from the
 * end): outer = prod(d[0..axis)), inner = prod(d[axis..)). */
vrt_status vrt__layernorm_split(const vrt__shape *s, int64_t axis, int64_t *outer, int64_t *inner);

/* ---- fused attention (VrtAttention, made by model/passes_tf.c) ---------- */

#define VRT__ATTN_MAX_BATCH 4

/* O = softmax(scale * Q K^T + mask) V over the last axis, per batch entry.
 * Logical operands: Q [batch..., sq, d], K [batch..., sk, d], V [batch...,
 * sk, dv], mask [batch..., sq, sk] (additive), O [batch..., sq, dv]. Each is
 * read or written through element strides (one per batch dim, then row,
 * then column), so transposed layouts (K given as K^T, heads split by a
 * Transpose, YOLO12's V @ P^T) need no copy; a broadcast dim has stride 0. */
typedef struct vrt__attn_params {
    int nb;                            /* batch dims, 0..VRT__ATTN_MAX_BATCH */
    int64_t bdim[VRT__ATTN_MAX_BATCH]; /* output batch sizes */
    int64_t batch;                     /* product of bdim */
    int64_t sq, sk, d, dv;
    int64_t q[VRT__ATTN_MAX_BATCH + 2], k[VRT__ATTN_MAX_BATCH + 2], v[VRT__ATTN_MAX_BATCH + 2],
        o[VRT__ATTN_MAX_BATCH + 2], m[VRT__ATTN_MAX_BATCH + 2]; /* element strides */
    int has_mask;
    float scale;
    int nan_zero; /* a row whose softmax is undefined (every score -inf or one NaN) gives 0, not NaN */
} vrt__attn_params;

/* Fills p from a VrtAttention node (attributes scale, q_perm, k_perm, v_perm,
 * o_perm: logical dim i of an operand is its tensor's dim perm[i]) and the
 * shapes of Q, K, V, the mask (NULL: none) and O. */
vrt_status vrt__op_attention_params(const vrt__node *n, const vrt__shape *q, const vrt__shape *k,
                                    const vrt__shape *v, const vrt__shape *mask, const vrt__shape *o,
                                    vrt__attn_params *p, char *err, size_t cap);
/* Element offsets of batch entry b (0..p->batch) in Q, K, V, O and the mask. */
static inline void vrt__attn_offsets(const vrt__attn_params *p, int64_t b, int64_t off[5]) {
    off[0] = off[1] = off[2] = off[3] = off[4] = 0;
    for (int i = p->nb - 1; i >= 0; i--) {
        int64_t x = b % p->bdim[i];
        b /= p->bdim[i];
        off[0] += x * p->q[i], off[1] += x * p->k[i], off[2] += x * p->v[i];
        off[3] += x * p->o[i], off[4] += x * p->m[i];
    }
}

/* ---- ONNX Gemm / MatMul ------------------------------------------------- */

typedef struct vrt__gemm_params {
    int64_t M, N, K; /* Y is M x N; op(A) M x K; op(B) K x N */
    int trans_a, trans_b;
    float alpha, beta;   /* defaults 1, 1 */
    vrt__shape c_shape;  /* C's shape (ndim 0..2), unidirectionally broadcast to M x N */
    vrt__activation act; /* fused activation */
} vrt__gemm_params;

void vrt__gemm_default_params(vrt__gemm_params *p);

/* numpy matmul shape rule: 1-D operands promoted (and the added dim removed
 * from the result), batch dims broadcast. */
vrt_status vrt__matmul_shape(const vrt__shape *a, const vrt__shape *b, vrt__shape *out);

/* ---- element-wise unary, binary, compare ------------------------------- */

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
/* Marks the axes p reduces over sx in red[] (0/1 per axis of sx); *noop = 1
 * when nothing is reduced (empty axes with noop_with_empty_axes: a copy). */
vrt_status vrt__reduce_axes(const vrt__reduce_params *p, const vrt__shape *sx, int red[VRT__MAX_DIMS],
                            int *noop);

typedef struct vrt__softmax_params {
    int64_t axis; /* default -1 (opset >= 13) or 1 (opset < 13) */
    int legacy;   /* opset < 13: input coerced to 2-D [prod(d[:axis]), prod(d[axis:])] */
    int log;      /* LogSoftmax */
} vrt__softmax_params;

typedef struct vrt__argmax_params {
    int64_t axis;          /* default 0 */
    int keepdims;          /* default 1 */
    int select_last_index; /* default 0 */
    int is_min;            /* ArgMin */
} vrt__argmax_params;

vrt_status vrt__argmax_out_shape(const vrt__argmax_params *p, const vrt__shape *sx, vrt__shape *sy);

typedef struct vrt__topk_params {
    int64_t k;    /* from the K input (opset >= 10) or attribute */
    int64_t axis; /* default -1 */
    int largest;  /* default 1 */
    int sorted;   /* default 1; unsorted output is still returned sorted */
} vrt__topk_params;

/* Ties keep the lower index first (as ONNX's reference). NaN ranks above
 * every number for largest=1 and below for largest=0 (as numpy's sort). */
vrt_status vrt__topk_out_shape(const vrt__topk_params *p, const vrt__shape *sx, vrt__shape *sy);

/* ---- data movement ------------------------------------------------------ */

#define VRT__MAX_CONCAT_INPUTS 64

vrt_status vrt__concat_out_shape(int64_t axis, int n, const vrt__shape *shapes, vrt__shape *sy);

/* sizes[i] along axis for each of n outputs (their sum must be d[axis]).
 * vrt__split_even fills sizes for the no-'split' case (opset 18 num_outputs:
 * ceil-sized chunks, the last one smaller). */
vrt_status vrt__split_even(int64_t dim, int n, int64_t *sizes);

typedef struct vrt__slice_params {
    int n; /* entries below used */
    int64_t starts[VRT__MAX_DIMS];
    int64_t ends[VRT__MAX_DIMS];  /* INT64_MAX / INT64_MIN as exporters write them are fine */
    int64_t axes[VRT__MAX_DIMS];  /* default 0..n-1; may be negative */
    int64_t steps[VRT__MAX_DIMS]; /* default 1; negative walks backwards; 0 refused */
} vrt__slice_params;

vrt_status vrt__slice_out_shape(const vrt__slice_params *p, const vrt__shape *sx, vrt__shape *sy);
/* Per-axis start and step after clamping, and the element count along each
 * axis of sx (the output shape). */
vrt_status vrt__slice_resolve(const vrt__slice_params *p, const vrt__shape *sx, int64_t *start, int64_t *step,
                              int64_t *count);

/* perm: nperm == 0 means reversed dims (ONNX default). */
vrt_status vrt__transpose_out_shape(const int64_t *perm, int nperm, const vrt__shape *sx, vrt__shape *sy);
/* The permutation as axis indices pm[0..nd) (nperm == 0: reversed). */
vrt_status vrt__transpose_perm(const int64_t *perm, int nperm, int nd, int *pm);

vrt_status vrt__gather_out_shape(int64_t axis, const vrt__shape *sx, const vrt__shape *si, vrt__shape *sy);

vrt_status vrt__expand_out_shape(const vrt__shape *sx, const int64_t *shape, int n, vrt__shape *sy);

vrt_status vrt__tile_out_shape(const vrt__shape *sx, const int64_t *repeats, int n, vrt__shape *sy);

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

/* DepthToSpace and SpaceToDepth on 4-D NCHW. */
vrt_status vrt__depth_to_space_out_shape(int64_t blocksize, const vrt__shape *sx, vrt__shape *sy);
vrt_status vrt__space_to_depth_out_shape(int64_t blocksize, const vrt__shape *sx, vrt__shape *sy);

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
/* The resize resolved against an input shape: per-axis scale (as the
 * coordinate transform uses it), output size, ROI, and the number of taps
 * per output coordinate (1 for axes left as they are and for nearest, 2
 * linear, 4 cubic). */
typedef struct vrt__resize_plan {
    int nd;
    double scale[VRT__MAX_DIMS];
    int64_t out[VRT__MAX_DIMS];
    double roi_start[VRT__MAX_DIMS], roi_end[VRT__MAX_DIMS];
    int taps[VRT__MAX_DIMS];
} vrt__resize_plan;

vrt_status vrt__resize_plan_make(const vrt__resize_params *p, const vrt__shape *sx, vrt__resize_plan *pl);

/* ---- IR node -> parameters (op_params.c) -------------------------------- */

int vrt__op_same_shape(const vrt__shape *a, const vrt__shape *b);
/* The fused activation (_act, _act_alpha, _act_beta). */
vrt__activation vrt__op_activation(const vrt__node *n);
/* Elementwise op of an ONNX op; 0 when op is not one. */
int vrt__op_unary_of(int op, vrt__unary_op *u);
int vrt__op_binary_of(int op, vrt__binary_op *b);
/* Stores v as one element of dt (internal types) in out[0..7], rest zero. */
void vrt__op_put_value(vrt__dtype dt, double v, uint8_t out[8]);

/* Conv / ConvTranspose: filled, resolved, output checked against y. */
vrt_status vrt__op_conv_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *w,
                               const vrt__shape *y, vrt__activation act, vrt__conv_params *p, char *err,
                               size_t cap);
/* MaxPool / AveragePool: filled, resolved, output checked against y. */
vrt_status vrt__op_pool_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                               vrt__pool_params *p, char *err, size_t cap);
/* Softmax / LogSoftmax. */
void vrt__op_softmax_params(const vrt__node *n, vrt__softmax_params *p);
/* Gemm; c is the bias shape or NULL when absent. */
void vrt__op_gemm_params(const vrt__node *n, const vrt__shape *a, const vrt__shape *c, const vrt__shape *y,
                         vrt__activation act, vrt__gemm_params *p);
/* Unary ops (Relu ... Reciprocal): op and its attributes. */
void vrt__op_unary_params(const vrt__node *n, vrt__unary_params *p);
/* Slice (canonical attributes), output checked against y. */
vrt_status vrt__op_slice_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                                vrt__slice_params *p, char *err, size_t cap);
/* Transpose 'perm' / Tile 'repeats' into v[VRT__MAX_DIMS], count in *nv. */
vrt_status vrt__op_perm_params(const vrt__node *n, int64_t *v, int *nv, char *err, size_t cap);
/* Pad over rank r; value[8] receives the constant (element of dt), p->value points at it. */
vrt_status vrt__op_pad_params(const vrt__node *n, int r, vrt__dtype dt, uint8_t value[8], vrt__pad_params *p,
                              char *err, size_t cap);
/* DepthToSpace / SpaceToDepth: block size; *crd = 1 for mode CRD. */
void vrt__op_depth_space_params(const vrt__node *n, int64_t *blocksize, int *crd);
/* ConstantOfShape: the value's bytes (fp16 as fp32) in value[8]. */
void vrt__op_constant_value(const vrt__node *n, uint8_t value[8]);
/* Resize: filled from the attributes and x's rank, sizes taken from y when
 * the scales do not reproduce it; output checked against y. */
vrt_status vrt__op_resize_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                                 vrt__resize_params *p, char *err, size_t cap);
/* ReduceMean / ReduceMax / ReduceSum. */
void vrt__op_reduce_params(const vrt__node *n, vrt__reduce_params *p);
void vrt__op_argmax_params(const vrt__node *n, vrt__argmax_params *p);
void vrt__op_topk_params(const vrt__node *n, vrt__topk_params *p);

/* QuantizeLinear / DequantizeLinear: x seen as [outer, len, inner] around
 * the axis; the scale (and zero point) element of x's element (o, a, r) is
 * 0 per tensor, a per axis, (o * ceil(len / block) + a / block) * inner + r
 * blocked. */
enum { VRT__QUANT_PER_TENSOR = 0, VRT__QUANT_PER_AXIS = 1, VRT__QUANT_BLOCKED = 2 };
typedef struct vrt__quant_params {
    int mode;
    int64_t outer, len, inner, block;
} vrt__quant_params;
/* The scale's layout over x (zp NULL when absent). */
vrt_status vrt__op_quant_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *scale,
                                const vrt__shape *zp, vrt__quant_params *p, char *err, size_t cap);
/* QLinearConv / ConvInteger: the conv, and how the integer kernel reads the
 * scales and zero points (inputs: QLinearConv x, xs, xzp, w, ws, wzp, ys,
 * yzp, B; ConvInteger x, w, xzp, wzp). */
typedef struct vrt__qconv_params {
    vrt__conv_params conv;
    int qlinear;            /* QLinearConv (else ConvInteger: int32 out) */
    int x_signed, w_signed; /* int8 (else uint8) */
    int w_per_channel;      /* w's scale / zero point per output channel */
    int32_t lo, hi;         /* output range; a fused Relu raises lo to the zero point */
    int relu;               /* fused Relu (the QDQ pass): lo = max(lo, yzp) at run */
    int silu;               /* fused SiLU (the QDQ pass): on xs * ws * acc before the output's scale */
} vrt__qconv_params;

/* Range of a quantized type (declared, 4-/2-bit included); 0 if not one. */
int vrt__quant_range(vrt__dtype t, int32_t *lo, int32_t *hi);

#ifdef __cplusplus
}
#endif

#endif
