/*
 * Private: the op table. Every op the engine runs, one line each, with
 *   - the opset range of the default domain we accept (the reader refuses any
 *     other op, naming it, its node and opset, and listing what is supported);
 *   - its family (vrt__op_family): ops of one family share a parameter
 *     struct, one parameter resolver (engine/step.c) and one kernel entry per
 *     backend (its family table: engine/backend/cpu/cpu_steps.c, engine/backend/cuda/steps.c);
 *   - its shape function (model/shape.c: shape inference and folding).
 * Adding an op: see src/engine/README.md.
 */
#ifndef VRT_MODEL_OPS_H
#define VRT_MODEL_OPS_H

#include <stddef.h>
#include <stdint.h>

/* Newest default-domain opset we know (ONNX 1.22 test data goes this far). */
#define VRT__MAX_OPSET 27
/* Oldest model opset accepted at all. */
#define VRT__MIN_OPSET 1

/* clang-format off */
/* X(name, oldest opset, newest model opset or 0, family, shape function)
 * Oldest opset 0 marks the engine's internal fused ops (names Vrt*): the
 * graph passes make them (model/passes_tf.c), the reader never accepts them
 * from a file (vrt__op_lookup skips them) and they have no shape function
 * (the passes run after shape inference and keep the shapes). */
#define VRT__OP_LIST(X) \
    X(Conv, 1, 0, CONV, conv_op) \
    X(ConvTranspose, 1, 0, CONV, conv_transpose) \
    X(BatchNormalization, 1, 0, NORM, norm_op) \
    X(InstanceNormalization, 1, 0, NORM, norm_op) \
    X(LayerNormalization, 17, 0, LAYERNORM, norm_op) \
    X(Relu, 1, 0, UNARY, unary_fold) \
    X(LeakyRelu, 1, 0, UNARY, unary) \
    X(PRelu, 1, 0, BINARY, prelu) \
    X(Sigmoid, 1, 0, UNARY, unary_fold) \
    X(Tanh, 1, 0, UNARY, unary_fold) \
    X(HardSigmoid, 1, 0, UNARY, unary) \
    X(HardSwish, 14, 0, UNARY, unary) \
    X(Clip, 1, 0, UNARY, clip) \
    X(Erf, 9, 0, UNARY, unary_fold) \
    X(Exp, 1, 0, UNARY, unary_fold) \
    X(Log, 1, 0, UNARY, unary_fold) \
    X(Sqrt, 1, 0, UNARY, unary_fold) \
    X(Pow, 1, 0, BINARY, pow_op) \
    X(Neg, 1, 0, UNARY, unary_fold) \
    X(Abs, 1, 0, UNARY, unary_fold) \
    X(Reciprocal, 1, 0, UNARY, unary_fold) \
    X(Gelu, 20, 0, UNARY, unary) \
    X(Sin, 7, 0, UNARY, unary_fold) \
    X(Cos, 7, 0, UNARY, unary_fold) \
    X(Add, 1, 0, BINARY, arith) \
    X(Sub, 1, 0, BINARY, arith) \
    X(Mul, 1, 0, BINARY, arith) \
    X(Div, 1, 0, BINARY, arith) \
    X(Mod, 10, 0, BINARY, arith) \
    X(Sum, 1, 0, BINARY, variadic) \
    X(Max, 1, 0, BINARY, minmax) \
    X(Min, 1, 0, BINARY, minmax) \
    X(MaxPool, 1, 0, POOL, pool_op) \
    X(AveragePool, 1, 0, POOL, pool_op) \
    X(GlobalAveragePool, 1, 0, GLOBAL_POOL, global_pool) \
    X(GlobalMaxPool, 1, 0, GLOBAL_POOL, global_pool) \
    X(Gemm, 1, 0, GEMM, gemm) \
    X(MatMul, 1, 0, MATMUL, matmul) \
    X(Concat, 1, 0, CONCAT, concat) \
    X(Split, 1, 0, SPLIT, split) \
    X(Slice, 1, 0, SLICE, slice) \
    X(Reshape, 1, 0, COPY, reshape) \
    X(Transpose, 1, 0, TRANSPOSE, transpose) \
    X(Flatten, 1, 0, COPY, flatten) \
    X(Squeeze, 1, 0, COPY, squeeze) \
    X(Unsqueeze, 1, 0, COPY, unsqueeze) \
    X(Gather, 1, 0, GATHER, gather) \
    X(Shape, 1, 0, NONE, shape_op) \
    X(Expand, 8, 0, EXPAND, expand) \
    X(Tile, 1, 0, TILE, tile) \
    X(Pad, 1, 0, PAD, pad) \
    X(Resize, 10, 0, RESIZE, resize_op) \
    X(Upsample, 7, 9, RESIZE, upsample) \
    X(Softmax, 1, 0, SOFTMAX, softmax) \
    X(LogSoftmax, 1, 0, SOFTMAX, softmax) \
    X(ReduceMean, 1, 0, REDUCE, reduce) \
    X(ReduceMax, 1, 0, REDUCE, reduce) \
    X(ReduceSum, 1, 0, REDUCE, reduce) \
    X(CumSum, 11, 0, CUMSUM, cumsum) \
    X(Cast, 6, 0, CAST, cast) \
    X(ConstantOfShape, 9, 0, FILL, constant_of_shape) \
    X(Range, 11, 0, NONE, range) \
    X(Where, 9, 0, WHERE, where) \
    X(Equal, 7, 0, COMPARE, compare) \
    X(Greater, 7, 0, COMPARE, compare) \
    X(Less, 7, 0, COMPARE, compare) \
    X(GreaterOrEqual, 12, 0, COMPARE, compare) \
    X(LessOrEqual, 12, 0, COMPARE, compare) \
    X(And, 7, 0, LOGIC, logic) \
    X(Or, 7, 0, LOGIC, logic) \
    X(Xor, 7, 0, LOGIC, logic) \
    X(IsNaN, 9, 0, ISNAN, is_nan_inf) \
    X(IsInf, 10, 0, ISNAN, is_nan_inf) \
    X(Not, 1, 0, NOT, not_op) \
    X(ArgMax, 1, 0, ARGMAX, argmax) \
    X(TopK, 1, 0, TOPK, topk) \
    X(DepthToSpace, 1, 0, DEPTH_SPACE, depth_to_space) \
    X(SpaceToDepth, 1, 0, DEPTH_SPACE, space_to_depth) \
    X(LRN, 1, 0, LRN, unary) \
    X(Identity, 1, 0, COPY, unary_fold) \
    X(Dropout, 1, 0, COPY, dropout) \
    X(Constant, 1, 0, NONE, no_shape) \
    X(QuantizeLinear, 10, 0, QUANT, quantize_linear) \
    X(DequantizeLinear, 10, 0, QUANT, dequantize_linear) \
    X(QLinearConv, 10, 0, QCONV, qlinear_conv) \
    X(ConvInteger, 10, 0, QCONV, conv_integer) \
    X(QLinearMatMul, 10, 0, QMATMUL, qlinear_matmul) \
    X(MatMulInteger, 10, 0, QMATMUL, matmul_integer) \
    X(VrtAttention, 0, 0, ATTENTION, no_shape) \
    X(VrtAddLayerNorm, 0, 0, LAYERNORM, no_shape)
/* clang-format on */

typedef enum vrt__op {
    VRT__OP_UNKNOWN = 0,
#define VRT__OP_ENUM(name, lo, hi, fam, shape) VRT__OP_##name,
    VRT__OP_LIST(VRT__OP_ENUM)
#undef VRT__OP_ENUM
        VRT__OP_COUNT
} vrt__op;

/* Op families: one parameter resolver and one kernel per backend each.
 * NONE: folded at load (Shape, Range, Constant); no backend runs them. */
typedef enum vrt__op_family {
    VRT__FAM_NONE = 0,
    VRT__FAM_CONV,        /* Conv, ConvTranspose */
    VRT__FAM_POOL,        /* MaxPool, AveragePool */
    VRT__FAM_GLOBAL_POOL, /* GlobalAveragePool, GlobalMaxPool */
    VRT__FAM_NORM,        /* BatchNormalization, InstanceNormalization */
    VRT__FAM_LAYERNORM,   /* LayerNormalization, VrtAddLayerNorm (residual Add + LayerNorm) */
    VRT__FAM_LRN,
    VRT__FAM_GEMM,
    VRT__FAM_MATMUL,
    VRT__FAM_UNARY,   /* element-wise, one input (vrt__unary_op) */
    VRT__FAM_BINARY,  /* element-wise with broadcasting (vrt__binary_op), Sum variadic */
    VRT__FAM_COMPARE, /* Equal, Greater, Less, GreaterOrEqual, LessOrEqual -> bool */
    VRT__FAM_LOGIC,   /* And, Or, Xor on bool, with broadcasting */
    VRT__FAM_ISNAN,   /* IsNaN, IsInf: float -> bool */
    VRT__FAM_NOT,
    VRT__FAM_WHERE,
    VRT__FAM_COPY, /* Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze: same bytes */
    VRT__FAM_CONCAT,
    VRT__FAM_SPLIT,
    VRT__FAM_SLICE,
    VRT__FAM_TRANSPOSE,
    VRT__FAM_TILE,
    VRT__FAM_EXPAND,
    VRT__FAM_GATHER,
    VRT__FAM_PAD,
    VRT__FAM_DEPTH_SPACE, /* DepthToSpace, SpaceToDepth */
    VRT__FAM_CAST,
    VRT__FAM_FILL, /* ConstantOfShape */
    VRT__FAM_RESIZE,
    VRT__FAM_SOFTMAX, /* Softmax, LogSoftmax */
    VRT__FAM_REDUCE,  /* ReduceMean, ReduceMax, ReduceSum */
    VRT__FAM_ARGMAX,
    VRT__FAM_TOPK,
    VRT__FAM_CUMSUM,
    VRT__FAM_ATTENTION, /* VrtAttention: softmax(scale * Q K^T + mask) V in one op */
    VRT__FAM_QUANT,     /* QuantizeLinear, DequantizeLinear (per tensor, per axis, blocked) */
    VRT__FAM_QCONV,     /* QLinearConv, ConvInteger: int conv, int32 accumulation */
    VRT__FAM_QMATMUL,   /* QLinearMatMul, MatMulInteger */
    VRT__FAM_COUNT
} vrt__op_family;

typedef struct vrt__op_info {
    const char *name;
    int min_opset; /* oldest default-domain opset whose version we accept */
    int max_opset; /* newest model opset (0: up to VRT__MAX_OPSET) */
    vrt__op_family family;
} vrt__op_info;

/* Op by its ONNX op_type (default domain); VRT__OP_UNKNOWN if unsupported
 * or internal (oldest opset 0). */
vrt__op vrt__op_lookup(const char *op_type);
/* 1 for the engine's internal fused ops (never read from a file). */
int vrt__op_internal(vrt__op op);
const vrt__op_info *vrt__op_get(vrt__op op);
const char *vrt__op_name(vrt__op op);
vrt__op_family vrt__op_family_of(vrt__op op);
struct vrt__ir;
struct vrt__node;
/* Estimated FLOPs of node n of ir (shapes inferred); *macs gets the
 * multiply-adds of the matrix ops (Conv, ConvTranspose, Gemm, MatMul), whose
 * FLOPs are 2 * MACs. Data movement counts 0, pools their windows, reductions
 * their input, everything else one per output element. */
int64_t vrt__op_flops(const struct vrt__ir *ir, const struct vrt__node *n, int64_t *macs);
/* Writes "Abs, Add, ... (opsets a..b)" style list of every supported op. */
void vrt__op_list_supported(char *buf, size_t cap);

#endif
