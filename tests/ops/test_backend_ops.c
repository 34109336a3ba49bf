/*
 * One table of op cases run on every backend (after ggml's tests/test-backend-ops.cpp). The text
 * form of a case is described in ops.h. Adding an op: its reference in ops_ref.c and its rows here.
 *
 *   test_backend_ops cpu  [FILTER]  the CPU backend against the independent reference (ops_ref.c),
 *                                   and for FUSED cases also graph passes on against passes off
 *   test_backend_ops cuda [FILTER]  the CUDA backend (fp32, and fp16 where the case has a tolerance
 *                                   for it) against the CPU backend; exit 77 without a GPU
 *
 * FILTER keeps the cases whose name contains it. Exit status: 0 all passed, 1 a case failed, 77
 * the backend is not available here.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "model/ir.h"
#include "ops.h"
#include "vrt/engine.h"

typedef struct op_case {
    const char *name;
    const char *inputs;
    const char *graph;
    double tol;      /* fp32: |got - want| <= tol * (1 + |want|); integers and bools exact */
    double tol_half; /* CUDA in fp16 precision against the CPU; 0: not run in fp16 */
    unsigned flags;
} op_case;

/* The graph passes fuse this case: on the CPU, passes on must fuse something and agree with passes off. */
#define FUSED 1u
/* The CUDA backend has no kernel for this op yet: the cuda run checks that it refuses the model at load
 * with a message, and fails once it accepts it (then remove the flag: the case becomes a full check). */
#define NO_CUDA 2u
/* Every backend must refuse this case at load with a message naming the node (the step builder's
 * common type checks: engine/step.c). */
#define REFUSED 4u

#define F32 1e-4 /* single ops in fp32 */
#define ACC 3e-4 /* long sums (conv, gemm, reductions) in fp32 */
#define H 1e-2   /* fp16 storage, fp32 accumulation */
#define HC 3e-2  /* fp16 through convolutions */

/* clang-format off */
static const op_case k_cases[] = {
    /* ---- convolution ---- */
    {"conv_3x3_pad1", "x:f32[1,4,9,9] w:f32[8,4,3,3]=c b:f32[8]=c",
     "Conv(x,w,b)->y kernel_shape=[3,3] pads=[1,1,1,1]", ACC, HC, 0},
    {"conv_1x1_nobias", "x:f32[2,16,7,7] w:f32[8,16,1,1]=c", "Conv(x,w)->y kernel_shape=[1,1]", ACC, HC, 0},
    {"conv_strided", "x:f32[1,3,11,13] w:f32[6,3,3,3]=c b:f32[6]=c",
     "Conv(x,w,b)->y kernel_shape=[3,3] strides=[2,2] pads=[1,1,1,1]", ACC, HC, 0},
    {"conv_dilated", "x:f32[1,4,12,12] w:f32[4,4,3,3]=c b:f32[4]=c",
     "Conv(x,w,b)->y kernel_shape=[3,3] dilations=[2,2] pads=[2,2,2,2]", ACC, HC, 0},
    {"conv_grouped", "x:f32[1,8,8,8] w:f32[6,4,3,3]=c b:f32[6]=c",
     "Conv(x,w,b)->y kernel_shape=[3,3] group=2 pads=[1,1,1,1]", ACC, HC, 0},
    {"conv_depthwise", "x:f32[1,8,10,10] w:f32[8,1,3,3]=c b:f32[8]=c",
     "Conv(x,w,b)->y kernel_shape=[3,3] group=8 pads=[1,1,1,1]", ACC, HC, 0},
    {"conv_depthwise_s2", "x:f32[2,16,11,11] w:f32[16,1,3,3]=c b:f32[16]=c",
     "Conv(x,w,b)->y kernel_shape=[3,3] group=16 strides=[2,2] pads=[1,1,1,1]", ACC, HC, 0},
    {"conv_asymmetric", "x:f32[1,3,9,10] w:f32[5,3,3,2]=c",
     "Conv(x,w)->y kernel_shape=[3,2] pads=[0,1,2,1] strides=[1,2]", ACC, HC, 0},
    {"conv_same_upper", "x:f32[1,3,10,9] w:f32[4,3,4,4]=c",
     "Conv(x,w)->y kernel_shape=[4,4] auto_pad=SAME_UPPER strides=[2,2]", ACC, HC, 0},
    {"conv_1d", "x:f32[1,4,20] w:f32[6,4,5]=c b:f32[6]=c", "Conv(x,w,b)->y kernel_shape=[5] pads=[2,2]", ACC, HC,
     0},
    {"conv_relu", "x:f32[1,4,9,9] w:f32[8,4,3,3]=c b:f32[8]=c",
     "Conv(x,w,b)->c kernel_shape=[3,3] pads=[1,1,1,1]; Relu(c)->y", ACC, HC, FUSED},
    {"conv_silu", "x:f32[1,8,8,8] w:f32[8,8,1,1]=c b:f32[8]=c",
     "Conv(x,w,b)->c kernel_shape=[1,1]; Sigmoid(c)->s; Mul(c,s)->y", ACC, HC, FUSED},
    {"conv_relu6", "x:f32[1,8,10,10] w:f32[8,1,3,3]=c b:f32[8]=c lo:f32[]={0} hi:f32[]={6}",
     "Conv(x,w,b)->c kernel_shape=[3,3] group=8 pads=[1,1,1,1]; Clip(c,lo,hi)->y", ACC, HC, FUSED},
    {"conv_leaky", "x:f32[1,4,8,8] w:f32[4,4,3,3]=c b:f32[4]=c",
     "Conv(x,w,b)->c kernel_shape=[3,3] pads=[1,1,1,1]; LeakyRelu(c)->y alpha=0.1", ACC, HC, FUSED},
    {"conv_residual_relu", "x:f32[1,8,8,8] w:f32[8,8,3,3]=c b:f32[8]=c r:f32[1,8,8,8]",
     "Conv(x,w,b)->c kernel_shape=[3,3] pads=[1,1,1,1]; Add(c,r)->a; Relu(a)->y", ACC, HC, FUSED},
    {"conv_batchnorm", "x:f32[1,4,7,7] w:f32[6,4,3,3]=c b:f32[6]=c s:f32[6]=c m:f32[6]=c v:f32[6]@0.5:2=c",
     "Conv(x,w,b)->c kernel_shape=[3,3]; BatchNormalization(c,s,b,m,v)->y epsilon=1e-5", ACC, HC, FUSED},
    /* the CUDA fp16 planner's rewrites: convs writing into their Concat, the SPP pool cascade, the
     * Focus stem (four stride-2 Slices and their Concat read by the first conv) */
    {"concat_of_convs", "x:f32[1,8,8,8] w1:f32[4,8,1,1]=c w2:f32[6,8,3,3]=c w3:f32[8,10,1,1]=c",
     "Conv(x,w1)->a kernel_shape=[1,1]; Conv(x,w2)->b kernel_shape=[3,3] pads=[1,1,1,1]; "
     "Concat(a,b)->c axis=1; Conv(c,w3)->y kernel_shape=[1,1]", ACC, HC, 0},
    {"spp_cascade", "x:f32[1,8,13,13] w:f32[8,32,1,1]=c",
     "MaxPool(x)->p5 kernel_shape=[5,5] pads=[2,2,2,2]; MaxPool(x)->p9 kernel_shape=[9,9] pads=[4,4,4,4]; "
     "MaxPool(x)->p13 kernel_shape=[13,13] pads=[6,6,6,6]; Concat(x,p5,p9,p13)->c axis=1; "
     "Conv(c,w)->y kernel_shape=[1,1]", ACC, HC, 0},
    {"focus_stem", "x:f32[1,3,16,12] e:i64[2]={1000000,1000000} a:i64[2]={2,3} t:i64[2]={2,2} s0:i64[2]={0,0} "
     "s1:i64[2]={1,0} s2:i64[2]={0,1} s3:i64[2]={1,1} w:f32[8,12,3,3]=c b:f32[8]=c",
     "Slice(x,s0,e,a,t)->q0; Slice(x,s1,e,a,t)->q1; Slice(x,s2,e,a,t)->q2; Slice(x,s3,e,a,t)->q3; "
     "Concat(q0,q1,q2,q3)->c axis=1; Conv(c,w,b)->y kernel_shape=[3,3] pads=[1,1,1,1]", ACC, HC, 0},
    {"conv_f16_io", "x:f16[1,4,8,8] w:f16[8,4,3,3]=c b:f16[8]=c",
     "Conv(x,w,b)->y kernel_shape=[3,3] pads=[1,1,1,1]", 2e-3, HC, 0},
    {"conv_transpose_s2", "x:f32[1,4,5,5] w:f32[4,3,3,3]=c b:f32[3]=c",
     "ConvTranspose(x,w,b)->y kernel_shape=[3,3] strides=[2,2] pads=[1,1,1,1] output_padding=[1,1]", ACC, HC, 0},
    {"conv_transpose_grouped", "x:f32[1,4,4,6] w:f32[4,2,2,2]=c",
     "ConvTranspose(x,w)->y kernel_shape=[2,2] strides=[2,2] group=2", ACC, HC, 0},
    /* Weights beyond fp16's 65504 (Depth Anything's head conv scaled by ~1e6 became inf in fp16 and
     * its ReLU output 0): the engine keeps such a node in fp32 when the rest runs fp16. */
    {"conv_weights_beyond_fp16", "x:f32[1,8,7,7]@0:1 w:f32[1,8,1,1]@1e5:3e6=c b:f32[1]@-1e6:1e6=c",
     "Conv(x,w,b)->c kernel_shape=[1,1]; Relu(c)->y", ACC, H, FUSED},
    {"conv_transpose_weights_beyond_fp16", "x:f32[1,4,5,5] w:f32[4,3,2,2]@-2e5:2e5=c",
     "ConvTranspose(x,w)->y kernel_shape=[2,2] strides=[2,2]", ACC, H, 0},
    {"lrn", "x:f32[1,6,5,5]", "LRN(x)->y size=3 alpha=0.001 beta=0.75 bias=1.0", F32, H, 0},

    /* ---- pooling ---- */
    {"maxpool_2x2_s2", "x:f32[1,3,8,9]", "MaxPool(x)->y kernel_shape=[2,2] strides=[2,2]", 0, H, 0},
    {"maxpool_3x3_pad", "x:f32[2,4,7,7]", "MaxPool(x)->y kernel_shape=[3,3] pads=[1,1,1,1]", 0, H, 0},
    {"maxpool_ceil", "x:f32[1,2,9,10]", "MaxPool(x)->y kernel_shape=[3,3] strides=[2,2] ceil_mode=1", 0, H, 0},
    {"maxpool_dilated", "x:f32[1,2,10,10]", "MaxPool(x)->y kernel_shape=[2,2] dilations=[2,2]", 0, H, 0},
    {"maxpool_spp_5x5", "x:f32[1,4,13,13]", "MaxPool(x)->y kernel_shape=[5,5] pads=[2,2,2,2]", 0, H, 0},
    {"maxpool_1d", "x:f32[1,3,17]", "MaxPool(x)->y kernel_shape=[3] strides=[2]", 0, H, 0},
    {"avgpool_exclude_pad", "x:f32[1,3,7,8]", "AveragePool(x)->y kernel_shape=[3,3] pads=[1,1,1,1] strides=[2,2]",
     F32, H, 0},
    {"avgpool_include_pad", "x:f32[1,3,7,8]",
     "AveragePool(x)->y kernel_shape=[3,3] pads=[1,1,1,1] count_include_pad=1", F32, H, 0},
    {"avgpool_ceil", "x:f32[1,2,9,9]", "AveragePool(x)->y kernel_shape=[2,2] strides=[2,2] ceil_mode=1", F32, H,
     0},
    {"global_avgpool", "x:f32[2,5,13,11]", "GlobalAveragePool(x)->y", F32, H, 0},
    {"global_maxpool", "x:f32[2,5,13,11]", "GlobalMaxPool(x)->y", 0, H, 0},

    /* ---- matrix products ---- */
    {"gemm_transb_bias", "a:f32[4,24] w:f32[10,24]=c b:f32[10]=c", "Gemm(a,w,b)->y transB=1", ACC, H, 0},
    {"gemm_transa_alpha_beta", "a:f32[16,3] w:f32[16,5]=c b:f32[3,5]=c",
     "Gemm(a,w,b)->y transA=1 alpha=0.5 beta=2.0", ACC, H, 0},
    {"gemm_scalar_c", "a:f32[2,7] w:f32[7,9]=c b:f32[1]=c", "Gemm(a,w,b)->y", ACC, H, 0},
    {"matmul_2d", "a:f32[5,12] b:f32[12,7]", "MatMul(a,b)->y", ACC, H, 0},
    {"matmul_batched_weight", "a:f32[3,5,12] b:f32[12,7]=c", "MatMul(a,b)->y", ACC, H, 0},
    {"matmul_broadcast", "a:f32[2,1,4,5] b:f32[3,5,6]", "MatMul(a,b)->y", ACC, H, 0},
    /* MatMul + bias + GELU as one GEMM: cuBLASLt's GELU_BIAS epilogue (the tanh form) for the tanh
     * Gelu, and for the erf Gelu in fp16 (the forms differ by < 5e-4); fp32 erf keeps our kernel. */
    {"matmul_bias_gelu", "a:f32[2,9,16] w:f32[16,24]=c b:f32[24]=c",
     "opset 20; MatMul(a,w)->m; Add(m,b)->c; Gelu(c)->y", ACC, H, FUSED},
    {"matmul_bias_gelu_tanh", "a:f32[2,9,16] w:f32[16,24]=c b:f32[24]=c",
     "opset 20; MatMul(a,w)->m; Add(m,b)->c; Gelu(c)->y approximate=tanh", ACC, H, FUSED},
    {"matmul_weights_beyond_fp16", "a:f32[3,5,12] b:f32[12,7]@-2e5:2e5=c", "MatMul(a,b)->y", ACC, H, 0},

    /* ---- element-wise: unary ---- */
    {"relu", "x:f32[2,3,17]@-3:3", "Relu(x)->y", 0, H, 0},
    {"leakyrelu", "x:f32[2,3,17]@-3:3", "LeakyRelu(x)->y alpha=0.2", F32, H, 0},
    {"sigmoid", "x:f32[2,3,17]@-8:8", "Sigmoid(x)->y", F32, H, 0},
    {"tanh", "x:f32[2,3,17]@-4:4", "Tanh(x)->y", F32, H, 0},
    {"hardsigmoid", "x:f32[2,3,17]@-4:4", "HardSigmoid(x)->y alpha=0.25 beta=0.4", F32, H, 0},
    {"hardswish", "x:f32[2,3,17]@-5:5", "HardSwish(x)->y", F32, H, 0},
    {"clip", "x:f32[2,3,17]@-4:4 lo:f32[]={-1.5} hi:f32[]={2.5}", "Clip(x,lo,hi)->y", 0, H, 0},
    {"clip_max_only", "x:f32[2,3,17]@-4:4 hi:f32[]={0.5}", "Clip(x,,hi)->y", 0, H, 0},
    {"erf", "x:f32[2,3,17]@-3:3", "Erf(x)->y", F32, H, 0},
    {"exp", "x:f32[2,3,17]@-5:5", "Exp(x)->y", F32, H, 0},
    {"log", "x:f32[2,3,17]@0.01:50", "Log(x)->y", F32, H, 0},
    {"sqrt", "x:f32[2,3,17]@0:50", "Sqrt(x)->y", F32, H, 0},
    {"neg", "x:f32[2,3,17]", "Neg(x)->y", 0, H, 0},
    {"abs", "x:f32[2,3,17]", "Abs(x)->y", 0, H, 0},
    {"reciprocal", "x:f32[2,3,17]@0.1:4", "Reciprocal(x)->y", F32, H, 0},
    {"sin", "x:f32[2,3,17]@-7:7", "Sin(x)->y", F32, H, 0},
    {"cos", "x:f32[2,3,17]@-7:7", "Cos(x)->y", F32, H, 0},
    {"gelu", "x:f32[2,3,17]@-5:5", "opset 20; Gelu(x)->y", F32, H, 0},
    {"gelu_tanh", "x:f32[2,3,17]@-5:5", "opset 20; Gelu(x)->y approximate=tanh", F32, H, 0},
    {"relu_i64", "x:i64[4,9]@-50:50", "Relu(x)->y", 0, 0, 0},
    {"abs_neg_i32", "x:i32[4,9]@-50:50", "Abs(x)->a; Neg(a)->y", 0, 0, 0},
    {"not_bool", "x:bool[3,11]@0:1", "Not(x)->y", 0, 0, 0},

    /* ---- element-wise: binary with broadcasting ---- */
    {"add_bcast_4d", "a:f32[2,3,1,5] b:f32[3,4,1]", "Add(a,b)->y", F32, H, 0},
    {"sub_same", "a:f32[7,13] b:f32[7,13]", "Sub(a,b)->y", F32, H, 0},
    {"mul_scalar_left", "a:f32[1] b:f32[5,1,3]", "Mul(a,b)->y", F32, H, 0},
    {"div_scalar_right", "a:f32[4,1,6] b:f32[1]@0.5:3", "Div(a,b)->y", F32, H, 0},
    {"pow_bcast", "a:f32[3,1,17]@0.1:3 b:f32[3,9,1]@-2:2", "Pow(a,b)->y", F32, H, 0},
    {"max_bcast", "a:f32[3,1,17] b:f32[3,9,1]", "Max(a,b)->y", 0, H, 0},
    {"min_bcast", "a:f32[2,3,1,5] b:f32[3,4,1]", "Min(a,b)->y", 0, H, 0},
    {"sum_3_inputs", "a:f32[2,3,4] b:f32[3,1] c:f32[4]", "Sum(a,b,c)->y", F32, H, 0},
    {"prelu_channel", "x:f32[1,4,5,5] s:f32[4,1,1]=c", "PRelu(x,s)->y", F32, H, 0},
    {"add_bias_const", "x:f32[1,8,6,6] b:f32[8,1,1]=c", "Add(x,b)->y", F32, H, 0},
    {"add_f16_io", "a:f16[3,17] b:f16[17]", "Add(a,b)->y", 2e-3, 0, 0},
    {"add_i64", "a:i64[2,3,1,5]@-1000:1000 b:i64[3,4,1]@-1000:1000", "Add(a,b)->y", 0, 0, 0},
    {"mul_i32", "a:i32[7,13]@-100:100 b:i32[13]@-100:100", "Mul(a,b)->y", 0, 0, 0},
    {"sub_max_i64", "a:i64[5,1,3] b:i64[1]", "Sub(a,b)->d; Max(d,a)->y", 0, 0, 0},
    {"div_i64", "a:i64[4,6]@-100:100 b:i64[6]@1:9", "Div(a,b)->y", 0, 0, 0},
    {"equal_greater_less", "a:f32[3,5] b:f32[5]", "Greater(a,b)->y:bool", 0, 0, 0},
    {"less_i64", "a:i64[3,5] b:i64[3,1]", "Less(a,b)->y:bool", 0, 0, 0},
    {"equal_i64", "a:i64[3,5]@0:2 b:i64[5]@0:2", "Equal(a,b)->y:bool", 0, 0, 0},
    {"where", "c:bool[3,1,5]@0:1 a:f32[4,5] b:f32[3,4,1]", "Where(c,a,b)->y:f32", 0, H, 0},
    {"greater_or_equal_i64", "a:i64[3,5]@0:3 b:i64[5]@0:3", "GreaterOrEqual(a,b)->y:bool", 0, 0, 0},
    {"less_or_equal_f32", "a:f32[3,1,5] b:f32[4,1]", "LessOrEqual(a,b)->y:bool", 0, 0, 0},
    {"and_or_xor_bcast", "a:bool[3,1,5]@0:1 b:bool[4,1]@0:1 c:bool[5]@0:1",
     "And(a,b)->t:bool; Or(t,c)->u:bool; Xor(u,a)->y:bool", 0, 0, 0},
    {"mod_f32", "a:f32[3,7]@-9:9 b:f32[7]@0.5:3", "Mod(a,b)->y fmod=1", F32, 0, 0},
    {"mod_i64", "a:i64[3,7]@-50:50 b:i64[7]@1:9", "Mod(a,b)->y", 0, 0, 0},
    {"isnan_isinf", "x:f32[3,7]", "IsNaN(x)->a:bool; IsInf(x)->b:bool; Or(a,b)->y:bool", 0, 0, 0},

    /* ---- reductions, softmax, normalisation ---- */
    {"reducemean_axis1_keep", "x:f32[3,4,5,6]", "ReduceMean(x)->y axes=[1]", F32, H, 0},
    {"reducemean_axes02", "x:f32[3,4,5,6]", "ReduceMean(x)->y axes=[0,2] keepdims=0", F32, H, 0},
    {"reducemax_neg_axes", "x:f32[3,4,5,6]", "ReduceMax(x)->y axes=[-1,1]", 0, H, 0},
    {"reducemax_all", "x:f32[3,4,5,6]", "ReduceMax(x)->y keepdims=0", 0, H, 0},
    {"reducesum_axes_input", "x:f32[3,4,5,6] a:i64[1]={3}", "ReduceSum(x,a)->y keepdims=0", ACC, H, 0},
    {"reducesum_long_rows", "x:f32[3,2000] a:i64[1]={1}", "ReduceSum(x,a)->y", 1e-3, H, 0},
    {"reducemean_long", "x:f32[37,211]", "ReduceMean(x)->y keepdims=1", ACC, H, 0},
    {"cumsum", "x:f32[3,7,5] a:i64[]={1}", "CumSum(x,a)->y", F32, H, 0},
    {"cumsum_exclusive_reverse", "x:f32[4,9] a:i64[]={-1}", "CumSum(x,a)->y exclusive=1 reverse=1", F32, H, 0},
    {"cumsum_i64", "x:i64[2,6] a:i64[]={0}", "CumSum(x,a)->y", 0, 0, 0},
    /* ---- refused at load by every backend ---- */
    {"refuse_conv_int32", "x:i32[1,2,5,5] w:i32[2,2,3,3]=c", "Conv(x,w)->y kernel_shape=[3,3]", 0, 0, REFUSED},
    {"refuse_softmax_int64", "x:i64[2,5]", "Softmax(x)->y", 0, 0, REFUSED},
    {"refuse_less_mixed", "a:f32[4] b:i64[4]", "Less(a,b)->y:bool", 0, 0, REFUSED},
    {"argmax", "x:f32[3,7,5]", "ArgMax(x)->y:i64 axis=1 keepdims=0", 0, 0, 0},
    {"topk_largest", "x:f32[3,20] k:i64[1]={5}", "TopK(x,k)->v,i:i64", 0, 0, 0},
    {"topk_smallest_axis0", "x:f32[9,4] k:i64[1]={3}", "TopK(x,k)->v,i:i64 axis=0 largest=0", 0, 0, 0},
    {"softmax_last", "x:f32[3,4,5]@-5:5", "Softmax(x)->y", F32, H, 0},
    {"softmax_axis1", "x:f32[7,300,3]@-5:5", "Softmax(x)->y axis=1", F32, H, 0},
    {"softmax_long", "x:f32[2,1500]@-5:5", "Softmax(x)->y", F32, H, 0},
    {"logsoftmax", "x:f32[3,4,9]@-5:5", "LogSoftmax(x)->y", F32, H, 0},
    {"layernorm_last", "x:f32[2,5,16] s:f32[16]=c b:f32[16]=c", "LayerNormalization(x,s,b)->y", ACC, H, 0},
    {"layernorm_axis1", "x:f32[2,5,16] s:f32[5,16]=c b:f32[5,16]=c",
     "LayerNormalization(x,s,b)->y axis=1 epsilon=1e-3", ACC, H, 0},
    {"layernorm_noscale_bias", "x:f32[4,32] s:f32[32]=c", "LayerNormalization(x,s)->y", ACC, H, 0},
    {"batchnorm", "x:f32[2,3,4,5] s:f32[3]=c b:f32[3]=c m:f32[3]=c v:f32[3]@0.5:2=c",
     "BatchNormalization(x,s,b,m,v)->y", F32, H, 0},
    {"instancenorm", "x:f32[2,3,6,5] s:f32[3]=c b:f32[3]=c", "InstanceNormalization(x,s,b)->y", ACC, H, 0},
    {"batchnorm_long", "x:f32[2,6,1001]@-3:5 s:f32[6]@0.5:2=c b:f32[6]=c m:f32[6]=c v:f32[6]@0.1:3=c",
     "BatchNormalization(x,s,b,m,v)->y", F32, H, 0},
    {"instancenorm_long", "x:f32[2,6,1001]@-3:5 s:f32[6]@0.5:2=c b:f32[6]=c", "InstanceNormalization(x,s,b)->y",
     ACC, H, 0},
    {"layernorm_long_rows", "x:f32[12,1001]@-3:5 s:f32[1001]@0.5:2=c b:f32[1001]=c",
     "LayerNormalization(x,s,b)->y", ACC, H, 0},
    {"layernorm_many_short_rows", "x:f32[1001,12]@-3:5 s:f32[12]@0.5:2=c", "LayerNormalization(x,s)->y", ACC, H,
     0},

    /* ---- resize ---- */
    {"resize_nearest_2x", "x:f32[1,3,5,7] s:f32[4]={1,1,2,2}",
     "Resize(x,,s)->y mode=nearest coordinate_transformation_mode=asymmetric nearest_mode=floor", 0, H, 0},
    {"resize_nearest_half_pixel", "x:f32[2,3,7,10] s:f32[4]={1,1,2,1.5}", "Resize(x,,s)->y mode=nearest", 0, H, 0},
    {"resize_nearest_ceil_sizes", "x:f32[2,3,7,10] z:i64[4]={2,3,11,4}",
     "Resize(x,,,z)->y mode=nearest nearest_mode=ceil", 0, H, 0},
    {"resize_nearest_prefer_ceil", "x:f32[1,2,7,10] s:f32[4]={1,1,0.6,0.35}",
     "Resize(x,,s)->y mode=nearest nearest_mode=round_prefer_ceil coordinate_transformation_mode=align_corners",
     0, H, 0},
    {"resize_linear_half_pixel", "x:f32[1,3,7,10] s:f32[4]={1,1,2,1.5}", "Resize(x,,s)->y mode=linear", F32, H, 0},
    {"resize_linear_align_corners", "x:f32[1,3,7,10] z:i64[4]={1,3,11,4}",
     "Resize(x,,,z)->y mode=linear coordinate_transformation_mode=align_corners", F32, H, 0},
    {"resize_linear_pytorch_down", "x:f32[2,3,7,10] s:f32[4]={1,1,0.6,0.35}",
     "Resize(x,,s)->y mode=linear coordinate_transformation_mode=pytorch_half_pixel", F32, H, 0},
    {"resize_linear_asymmetric", "x:f32[1,2,6,6] s:f32[4]={1,1,3,0.5}",
     "Resize(x,,s)->y mode=linear coordinate_transformation_mode=asymmetric", F32, H, 0},

    /* ---- data movement ---- */
    {"concat_axis1", "a:f32[2,3,5] b:f32[2,1,5] c:f32[2,4,5]", "Concat(a,b,c)->y axis=1", 0, H, 0},
    {"concat_last_f16", "a:f16[2,3,5] b:f16[2,3,2]", "Concat(a,b)->y axis=-1", 0, 0, 0},
    {"concat_i64_const", "a:i64[3] b:i64[2]={7,-9}", "Concat(a,b)->y axis=0", 0, 0, 0},
    {"split_sizes", "x:f32[2,8,5] s:i64[3]={2,5,1}", "Split(x,s)->a,b,c axis=-2", 0, H, 0},
    {"concat_u8_axis0", "a:u8[2,3]@0:255 b:u8[1,3]@0:255", "Concat(a,b)->y axis=0", 0, 0, 0},
    {"split_equal_u8", "x:u8[4,6]@0:255", "Split(x)->a,b axis=1", 0, 0, 0},
    {"split_i64_three", "x:i64[9,2]", "Split(x)->a,b,c axis=0", 0, 0, 0},
    {"slice_steps", "x:f32[5,7,9,4] s:i64[3]={-1,1,0} e:i64[3]={-1000000,1000000,4} a:i64[3]={1,-2,0} "
     "t:i64[3]={-2,3,1}", "Slice(x,s,e,a,t)->y", 0, H, 0},
    {"slice_reverse_i64", "x:i64[5,7,9] s:i64[1]={8} e:i64[1]={2} a:i64[1]={2} t:i64[1]={-1}",
     "Slice(x,s,e,a,t)->y", 0, 0, 0},
    {"slice_f16", "x:f16[4,10] s:i64[2]={1,2} e:i64[2]={3,9}", "Slice(x,s,e)->y", 0, 0, 0},
    {"transpose_reverse", "x:f32[3,4,5,2,3]", "Transpose(x)->y", 0, H, 0},
    {"transpose_swap", "x:f32[3,4,5,2,3]", "Transpose(x)->y perm=[0,2,1,3,4]", 0, H, 0},
    {"transpose_mixed_f16", "x:f16[3,4,5,2,3]", "Transpose(x)->y perm=[1,4,0,3,2]", 0, 0, 0},
    {"transpose_i64", "x:i64[3,4,5]", "Transpose(x)->y perm=[2,0,1]", 0, 0, 0},
    {"transpose_last_two", "x:f32[3,4,5,2,3]", "Transpose(x)->y perm=[0,1,2,4,3]", 0, H, 0},
    {"transpose_u8_nhwc", "x:u8[1,3,4,5]@0:255", "Transpose(x)->y perm=[0,2,3,1]", 0, 0, 0},
    {"gather_axis0_neg", "x:f32[5,6,7] i:i64[2,3]={0,-1,3,2,-5,4}", "Gather(x,i)->y axis=0", 0, H, 0},
    {"gather_axis1_i32", "x:f32[5,6,7] i:i32[2,3]={5,-6,1,1,0,2}", "Gather(x,i)->y axis=1", 0, H, 0},
    {"gather_last_scalar", "x:f32[5,6,7] i:i64[]={-2}", "Gather(x,i)->y axis=-1", 0, H, 0},
    {"gather_i64_data", "x:i64[10] i:i64[4]={9,0,3,3}", "Gather(x,i)->y", 0, 0, 0},
    {"pad_constant", "x:f32[2,5,6] p:i64[6]={0,2,3,1,4,2} v:f32[]={7.5}", "Pad(x,p,v)->y", 0, H, 0},
    {"pad_crop", "x:f32[2,5,6] p:i64[6]={1,-1,0,0,3,-2}", "Pad(x,p)->y", 0, H, 0},
    {"pad_reflect", "x:f32[2,5,6] p:i64[6]={0,4,5,0,4,5}", "Pad(x,p)->y mode=reflect", 0, H, 0},
    {"pad_edge", "x:f32[2,5,6] p:i64[6]={0,2,3,1,4,2}", "Pad(x,p)->y mode=edge", 0, H, 0},
    {"pad_edge_i64", "x:i64[2,5,6] p:i64[6]={0,1,1,0,2,0}", "Pad(x,p)->y mode=edge", 0, 0, 0},
    {"expand", "x:f32[6,1] s:i64[3]={3,6,4}", "Expand(x,s)->y", 0, H, 0},
    {"tile", "x:f32[5,6,7] r:i64[3]={2,1,3}", "Tile(x,r)->y", 0, H, 0},
    {"tile_f16", "x:f16[3,4] r:i64[2]={2,3}", "Tile(x,r)->y", 0, 0, 0},
    {"depth_to_space_dcr", "x:f32[2,12,3,5]", "DepthToSpace(x)->y blocksize=2", 0, H, 0},
    {"depth_to_space_crd", "x:f32[2,12,3,5]", "DepthToSpace(x)->y blocksize=2 mode=CRD", 0, H, 0},
    {"space_to_depth", "x:f32[2,5,6,6]", "SpaceToDepth(x)->y blocksize=3", 0, H, 0},
    {"depth_to_space_f16", "x:f16[1,8,2,3]", "DepthToSpace(x)->y blocksize=2 mode=CRD", 0, 0, 0},
    {"reshape_flatten", "x:f32[2,3,4,5] s:i64[3]={0,-1,5}", "Reshape(x,s)->r; Flatten(r)->y axis=1", 0, H, 0},
    {"squeeze_unsqueeze", "x:f32[2,1,4] a:i64[1]={1} b:i64[2]={0,3}", "Squeeze(x,a)->s; Unsqueeze(s,b)->y", 0, H,
     0},

    /* ---- cast ---- */
    {"cast_f32_f16", "x:f32[3,37]@-70000:70000", "Cast(x)->y:f16 to=10", 0, 0, 0},
    {"cast_f16_f32", "x:f16[3,37]@-100:100", "Cast(x)->y:f32 to=1", 0, 0, 0},
    {"cast_f32_i32", "x:f32[3,37]@-100:100", "Cast(x)->y:i32 to=6", 0, 0, 0},
    {"cast_i64_f32", "x:i64[3,37]@-100000:100000", "Cast(x)->y:f32 to=1", 0, 0, 0},
    {"cast_u8_f32", "x:u8[3,37]@0:255", "Cast(x)->y:f32 to=1", 0, 0, 0},
    {"cast_i32_i64", "x:i32[3,37]@-100000:100000", "Cast(x)->y:i64 to=7", 0, 0, 0},
    {"cast_f32_bool", "x:f32[3,37]@-1:1", "Cast(x)->y:bool to=9", 0, 0, 0},
    {"cast_bool_f32", "x:bool[3,37]@0:1", "Cast(x)->y:f32 to=1", 0, 0, 0},
};
/* clang-format on */

/* ---- running one engine ---- */

typedef struct run_out {
    int n;
    int dtype[OPS_MAXIO];
    int nd[OPS_MAXIO];
    int64_t d[OPS_MAXIO][OPS_MAXD];
    int64_t count[OPS_MAXIO];
    double *v[OPS_MAXIO];
    vrt_engine_stats stats;
} run_out;

static void run_out_free(run_out *r) {
    for (int i = 0; i < OPS_MAXIO; i++)
        free(r->v[i]);
    memset(r, 0, sizeof(*r));
}

static const ops_tensor *tensor_named(const ops_graph *g, const char *name) {
    for (int i = 0; i < g->nt; i++)
        if (!strcmp(g->t[i].name, name)) return &g->t[i];
    return NULL;
}

/* Loads the model from memory and runs it once; 0, or -1 with the reason in err. */
static int run_engine(const ops_graph *g, const uint8_t *model, size_t len, const char *backend,
                      const char *precision, int optimize, run_out *r, char *err, size_t cap) {
    memset(r, 0, sizeof(*r));
    vrt__ir *ir = NULL;
    vrt_engine_t *e = NULL;
    void *bufs[2 * OPS_MAXIO] = {0};
    vrt_engine_tensor tin[OPS_MAXIO], tout[OPS_MAXIO];
    int rc = -1;
    if (vrt__ir_load_onnx_buffer(model, len, NULL, &ir, err, cap)) return -1;
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.backend = backend;
    ep.threads = 2;
    ep.optimize = optimize;
    ep.options.precision = !precision                   ? VRT_PRECISION_AUTO
                           : !strcmp(precision, "fp16") ? VRT_PRECISION_FP16
                                                        : VRT_PRECISION_FP32;
    if (vrt__engine_open_ir(ir, &ep, &e, err, cap)) return -1; /* takes the IR, also on failure */
    int ni = vrt_engine_num_inputs(e), no = vrt_engine_num_outputs(e);
    if (ni > OPS_MAXIO || no > OPS_MAXIO) {
        snprintf(err, cap, "too many inputs or outputs");
        goto out;
    }
    for (int i = 0; i < ni; i++) {
        vrt_model_tensor_info info;
        vrt_engine_input_info(e, i, &info);
        const ops_tensor *t = tensor_named(g, info.name);
        if (!t) {
            snprintf(err, cap, "engine input '%s' is not in the case", info.name);
            goto out;
        }
        size_t es = ops_dtype_size(t->dtype);
        bufs[i] = calloc((size_t)(t->n ? t->n : 1), es);
        for (int64_t k = 0; k < t->n; k++)
            ops_store(t->dtype, bufs[i], k, t->v[k]);
        tin[i] = (vrt_engine_tensor){bufs[i], t->dtype, (size_t)t->n * es};
    }
    r->n = no;
    for (int o = 0; o < no; o++) {
        vrt_model_tensor_info info;
        vrt_engine_output_info(e, o, &info);
        r->dtype[o] = info.dtype, r->nd[o] = info.ndim, r->count[o] = 1;
        for (int k = 0; k < info.ndim; k++)
            r->d[o][k] = info.dims[k], r->count[o] *= info.dims[k];
        size_t es = ops_dtype_size(info.dtype);
        bufs[OPS_MAXIO + o] = calloc((size_t)(r->count[o] ? r->count[o] : 1), es);
        tout[o] = (vrt_engine_tensor){bufs[OPS_MAXIO + o], info.dtype, (size_t)r->count[o] * es};
    }
    if (vrt_engine_run(e, tin, ni, tout, no)) {
        snprintf(err, cap, "run: %s", vrt_engine_last_error(e));
        goto out;
    }
    for (int o = 0; o < no; o++) {
        r->v[o] = calloc((size_t)(r->count[o] ? r->count[o] : 1), sizeof(double));
        for (int64_t k = 0; k < r->count[o]; k++)
            r->v[o][k] = ops_load(r->dtype[o], bufs[OPS_MAXIO + o], k);
    }
    vrt_engine_get_stats(e, &r->stats);
    rc = 0;
out:
    for (int i = 0; i < 2 * OPS_MAXIO; i++)
        free(bufs[i]);
    vrt_engine_destroy(&e);
    return rc;
}

/* ---- comparing ---- */

static int is_float(int dt) {
    return dt == T_F32 || dt == T_F16;
}

/* 0 when got matches want (shape, type, values within tol; integers exact), else -1 with the first
 * differing element in err. */
static int compare(const run_out *got, int o, int want_dtype, int want_nd, const int64_t *want_d,
                   const double *want, double tol, char *err, size_t cap) {
    if (got->dtype[o] != want_dtype) {
        snprintf(err, cap, "output %d: type %s, expected %s", o, ops_dtype_name(got->dtype[o]),
                 ops_dtype_name(want_dtype));
        return -1;
    }
    int same = got->nd[o] == want_nd;
    for (int k = 0; same && k < want_nd; k++)
        same = got->d[o][k] == want_d[k];
    if (!same) {
        snprintf(err, cap, "output %d: shape differs (rank %d vs %d, first dims %lld vs %lld)", o, got->nd[o],
                 want_nd, (long long)(got->nd[o] ? got->d[o][0] : 0), (long long)(want_nd ? want_d[0] : 0));
        return -1;
    }
    double worst = 0;
    int64_t at = -1;
    for (int64_t i = 0; i < got->count[o]; i++) {
        double a = got->v[o][i], b = want[i];
        if (isnan(a) && isnan(b)) continue;
        if (isinf(b) && a == b) continue;
        double excess = fabs(a - b) - (is_float(want_dtype) ? tol * (1 + fabs(b)) : 0);
        if (!(excess <= 0) && (at < 0 || !(excess <= worst))) worst = excess, at = i;
    }
    if (at >= 0) {
        snprintf(err, cap,
                 "output %d element %lld: got %.9g, expected %.9g (tolerance %g x (1 + |expected|))", o,
                 (long long)at, got->v[o][at], want[at], is_float(want_dtype) ? tol : 0.0);
        return -1;
    }
    return 0;
}

/* Every output of `got` against the reference values held in the graph's last node's outputs. */
static int compare_to_graph(const run_out *got, const ops_graph *g, double tol, char *err, size_t cap) {
    const ops_node *last = &g->node[g->nn - 1];
    if (got->n != last->nout) {
        snprintf(err, cap, "%d outputs, expected %d", got->n, last->nout);
        return -1;
    }
    for (int o = 0; o < got->n; o++) {
        const ops_tensor *t = &g->t[last->out[o]];
        if (compare(got, o, t->dtype, t->nd, t->d, t->v, tol, err, cap)) return -1;
    }
    return 0;
}

static int compare_runs(const run_out *got, const run_out *want, double tol, char *err, size_t cap) {
    if (got->n != want->n) {
        snprintf(err, cap, "%d outputs, expected %d", got->n, want->n);
        return -1;
    }
    for (int o = 0; o < got->n; o++)
        if (compare(got, o, want->dtype[o], want->nd[o], want->d[o], want->v[o], tol, err, cap)) return -1;
    return 0;
}

/* ---- the two modes ---- */

static uint64_t seed_of(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* CPU: the backend against the reference interpreter; FUSED cases also passes on vs off. */
/* A REFUSED case: the backend must fail to load it, naming the node. */
static int check_refused(const char *backend, ops_graph *g, const uint8_t *model, size_t len, char *err,
                         size_t cap) {
    char e2[512] = "";
    run_out got;
    if (!run_engine(g, model, len, backend, NULL, 1, &got, e2, sizeof(e2))) {
        run_out_free(&got);
        snprintf(err, cap, "%s ran a case it must refuse", backend);
        return -1;
    }
    if (!strstr(e2, "node '")) {
        snprintf(err, cap, "expected a refusal naming the node, got: %s", e2);
        return -1;
    }
    printf("    refused as expected: %s\n", e2);
    return 0;
}

static int check_cpu(const op_case *c, ops_graph *g, const uint8_t *model, size_t len, char *err,
                     size_t cap) {
    if (c->flags & REFUSED) return check_refused("cpu", g, model, len, err, cap);
    char e2[512];
    run_out on, off;
    if (ops_ref_run(g, err, cap)) return -1;
    if (run_engine(g, model, len, "cpu", NULL, 1, &on, err, cap)) return -1;
    /* a small floor: exact ops still go through fp32 */
    int rc = compare_to_graph(&on, g, c->tol > 0 ? c->tol : 1e-7, err, cap);
    if (!rc && (c->flags & FUSED)) {
        int fused = on.stats.act_fused + on.stats.residual_fused + on.stats.bn_folded;
        if (run_engine(g, model, len, "cpu", NULL, 0, &off, e2, sizeof(e2))) {
            snprintf(err, cap, "graph passes off: %s", e2);
            rc = -1;
        } else {
            if (!fused) {
                snprintf(err, cap, "marked FUSED but the graph passes fused nothing");
                rc = -1;
            } else if (compare_runs(&on, &off, c->tol, e2, sizeof(e2))) {
                snprintf(err, cap, "graph passes on vs off: %s", e2);
                rc = -1;
            }
            run_out_free(&off);
        }
    }
    run_out_free(&on);
    return rc;
}

/* A backend other than the CPU: against the CPU backend, in fp32 and, where the case says, in fp16. */
static int check_backend(const char *backend, const op_case *c, ops_graph *g, const uint8_t *model,
                         size_t len, char *err, size_t cap) {
    char e2[512];
    run_out ref, got;
    if (c->flags & REFUSED) return check_refused(backend, g, model, len, err, cap);
    if (c->flags & NO_CUDA) {
        if (!run_engine(g, model, len, backend, "fp32", 1, &got, e2, sizeof(e2))) {
            run_out_free(&got);
            snprintf(err, cap, "%s runs this case now: remove NO_CUDA from its row", backend);
            return -1;
        }
        if (!strstr(e2, "kernel for this op") && !strstr(e2, "not supported") &&
            !strstr(e2, "does not support")) {
            snprintf(err, cap, "expected a refusal naming the op, got: %s", e2);
            return -1;
        }
        printf("    refused as expected: %s\n", e2);
        return 0;
    }
    if (run_engine(g, model, len, "cpu", NULL, 1, &ref, e2, sizeof(e2))) {
        snprintf(err, cap, "cpu: %s", e2);
        return -1;
    }
    const char *prec[2] = {"fp32", "fp16"};
    double tol[2] = {c->tol > 0 ? c->tol : 1e-7, c->tol_half};
    int rc = 0;
    for (int p = 0; p < 2 && !rc; p++) {
        if (tol[p] <= 0) continue;
        if (run_engine(g, model, len, backend, prec[p], 1, &got, e2, sizeof(e2))) {
            snprintf(err, cap, "%s %s: %s", backend, prec[p], e2);
            rc = -1;
            continue;
        }
        if (compare_runs(&got, &ref, tol[p], e2, sizeof(e2))) {
            snprintf(err, cap, "%s %s vs cpu: %s", backend, prec[p], e2);
            rc = -1;
        }
        run_out_free(&got);
    }
    run_out_free(&ref);
    return rc;
}

int main(int argc, char **argv) {
    const char *backend = argc > 1 ? argv[1] : "cpu", *filter = argc > 2 ? argv[2] : NULL;
    if (strcmp(backend, "cpu") && !vrt_engine_backend_available(backend)) {
        printf("SKIP: backend '%s' is not available here (not built in, or no device)\n", backend);
        return 77;
    }
    int failed = 0, ran = 0;
    for (size_t i = 0; i < sizeof(k_cases) / sizeof(k_cases[0]); i++) {
        const op_case *c = &k_cases[i];
        if (filter && !strstr(c->name, filter)) continue;
        char err[1024] = "";
        ops_graph g;
        uint8_t *model = NULL;
        size_t len = 0;
        int rc = ops_parse(c->inputs, c->graph, &g, seed_of(c->name), err, sizeof(err));
        if (!rc) rc = ops_write_onnx(&g, &model, &len);
        if (!rc) {
            if (!strcmp(backend, "cpu"))
                rc = check_cpu(c, &g, model, len, err, sizeof(err));
            else
                rc = check_backend(backend, c, &g, model, len, err, sizeof(err));
        }
        ran++;
        if (rc) {
            failed++;
            printf("[ FAIL ] %s: %s\n    %s | %s\n", c->name, err, c->inputs, c->graph);
        } else {
            printf("[ PASS ] %s\n", c->name);
        }
        free(model);
        ops_graph_free(&g);
    }
    printf("%s: %d cases, %d failed\n", backend, ran, failed);
    if (ran == 0) {
        printf("no case matches '%s'\n", filter ? filter : "");
        return 1;
    }
    return failed ? 1 : 0;
}
