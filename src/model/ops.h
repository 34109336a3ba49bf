/*
 * Private: the supported-op table. Every op the backends implement, with the
 * opset range of the default domain we accept. The reader refuses any other
 * op (naming it, its node and opset, and listing what is supported).
 */
#ifndef VRT_MODEL_OPS_H
#define VRT_MODEL_OPS_H

#include <stddef.h>

/* Newest default-domain opset we know (ONNX 1.22 test data goes this far). */
#define VRT__MAX_OPSET 27
/* Oldest model opset accepted at all. */
#define VRT__MIN_OPSET 1

/* clang-format off */
#define VRT__OP_LIST(X) \
    X(Conv, 1, 0) \
    X(ConvTranspose, 1, 0) \
    X(BatchNormalization, 1, 0) \
    X(InstanceNormalization, 1, 0) \
    X(LayerNormalization, 17, 0) \
    X(Relu, 1, 0) \
    X(LeakyRelu, 1, 0) \
    X(PRelu, 1, 0) \
    X(Sigmoid, 1, 0) \
    X(Tanh, 1, 0) \
    X(HardSigmoid, 1, 0) \
    X(HardSwish, 14, 0) \
    X(Clip, 1, 0) \
    X(Erf, 9, 0) \
    X(Exp, 1, 0) \
    X(Log, 1, 0) \
    X(Sqrt, 1, 0) \
    X(Pow, 1, 0) \
    X(Neg, 1, 0) \
    X(Abs, 1, 0) \
    X(Reciprocal, 1, 0) \
    X(Add, 1, 0) \
    X(Sub, 1, 0) \
    X(Mul, 1, 0) \
    X(Div, 1, 0) \
    X(Sum, 1, 0) \
    X(Max, 1, 0) \
    X(Min, 1, 0) \
    X(MaxPool, 1, 0) \
    X(AveragePool, 1, 0) \
    X(GlobalAveragePool, 1, 0) \
    X(GlobalMaxPool, 1, 0) \
    X(Gemm, 1, 0) \
    X(MatMul, 1, 0) \
    X(Concat, 1, 0) \
    X(Split, 1, 0) \
    X(Slice, 1, 0) \
    X(Reshape, 1, 0) \
    X(Transpose, 1, 0) \
    X(Flatten, 1, 0) \
    X(Squeeze, 1, 0) \
    X(Unsqueeze, 1, 0) \
    X(Gather, 1, 0) \
    X(Shape, 1, 0) \
    X(Expand, 8, 0) \
    X(Tile, 1, 0) \
    X(Pad, 1, 0) \
    X(Resize, 10, 0) \
    X(Upsample, 7, 9) \
    X(Softmax, 1, 0) \
    X(LogSoftmax, 1, 0) \
    X(ReduceMean, 1, 0) \
    X(ReduceMax, 1, 0) \
    X(ReduceSum, 1, 0) \
    X(Cast, 6, 0) \
    X(ConstantOfShape, 9, 0) \
    X(Range, 11, 0) \
    X(Where, 9, 0) \
    X(Equal, 7, 0) \
    X(Greater, 7, 0) \
    X(Less, 7, 0) \
    X(Not, 1, 0) \
    X(ArgMax, 1, 0) \
    X(TopK, 1, 0) \
    X(DepthToSpace, 1, 0) \
    X(SpaceToDepth, 1, 0) \
    X(LRN, 1, 0) \
    X(Identity, 1, 0) \
    X(Dropout, 1, 0) \
    X(Constant, 1, 0)
/* clang-format on */

typedef enum vrt__op {
    VRT__OP_UNKNOWN = 0,
#define VRT__OP_ENUM(name, lo, hi) VRT__OP_##name,
    VRT__OP_LIST(VRT__OP_ENUM)
#undef VRT__OP_ENUM
        VRT__OP_COUNT
} vrt__op;

typedef struct vrt__op_info {
    const char *name;
    int min_opset; /* oldest default-domain opset whose version we accept */
    int max_opset; /* newest model opset (0: up to VRT__MAX_OPSET) */
} vrt__op_info;

/* Op by its ONNX op_type (default domain); VRT__OP_UNKNOWN if unsupported. */
vrt__op vrt__op_lookup(const char *op_type);
const vrt__op_info *vrt__op_get(vrt__op op);
const char *vrt__op_name(vrt__op op);
/* Writes "Abs, Add, ... (opsets a..b)" style list of every supported op. */
void vrt__op_list_supported(char *buf, size_t cap);

#endif
