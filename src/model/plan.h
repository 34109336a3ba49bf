/*
 * Private: graph passes over the loaded IR and the memory plan that both
 * backends (CPU reference, CUDA) execute.
 *
 * Lifecycle: vrt__ir_load_onnx() -> vrt__passes_run(ir) (optional) ->
 * vrt__plan_build(ir) -> backend prepare(ir, plan) -> run ... The plan
 * refers to the IR by index and must not outlive it; neither may change
 * after the plan is built.
 *
 * ---- How a pass records a fusion on a node (extra attributes) ----
 * The IR has no special fields for fusions, so the passes store them as
 * attributes whose names start with '_' (ONNX never uses such names):
 *   "_act"        int    vrt__act_kind applied to the node's (only) output,
 *                        after bias and residual: Conv, Gemm, MatMul, Add.
 *   "_act_alpha"  float  LeakyRelu slope / Clip min / HardSigmoid alpha.
 *   "_act_beta"   float  Clip max / HardSigmoid beta.
 *   "_residual"   int 1  Conv only: inputs are X, W, B (or -1 when the conv
 *                        had no bias), R; y = act(conv(X, W) + B + R). R has
 *                        the output's shape and type.
 *   "_view"       int 1  Reshape / Flatten / Squeeze / Unsqueeze: the output
 *                        aliases the input's memory (no copy at run time).
 *   "_bias"       int 1  MatMul only: input 2 is a bias of N elements (the
 *                        output's last dim), added before "_act" (which may
 *                        be Gelu / Gelu(tanh) on a MatMul).
 * The transformer patterns (passes_tf.c) also make nodes of the internal
 * ops (model/ops.h, domain "vrt"):
 *   VrtAttention     inputs Q, K, V[, mask]; float "scale"; ints "q_perm",
 *                    "k_perm", "v_perm", "o_perm" (vrt__attn_params in
 *                    model/op_params.h): O = softmax(scale Q K^T + mask) V;
 *                    int "nan_zero" 1: a row whose softmax is NaN (every
 *                    score -inf, or a NaN score) gives 0 (DETR's
 *                    Where(IsNaN(P), 0, P)).
 *   VrtAddLayerNorm  inputs A, B, scale[, bias (-1)]; int "axis" (the last),
 *                    float "epsilon"; outputs Y = LayerNorm(A + B) and the
 *                    sum A + B (-1 when nothing else reads it).
 * and Gelu / LayerNormalization nodes where a decomposed form was found.
 * BatchNormalization folded into a Conv leaves no mark: the Conv's weight
 * and bias inputs are replaced by new fp32 WEIGHT tensors named
 * "<conv name>.bnfold_w" / ".bnfold_b".
 *
 * ---- Storage classes of the plan ----
 *   WEIGHT   tensors with data (initializers, folded values): the backend
 *            keeps its own (fp32 for fp16) copy, never in the arena.
 *   CONST    outputs of nodes whose inputs are all weights or consts (the
 *            light/ networks' ConstantOfShape weights): computed once at
 *            prepare into a separate region, not recomputed per run.
 *   ARENA    graph inputs (own slot, live for the whole run), intermediates
 *            and graph outputs (kept alive to the end), at planned offsets
 *            in one arena; 256-byte aligned so a CUDA backend can use the
 *            same plan.
 *   VIEW     aliases another tensor's storage (base, same bytes).
 * Inside the engine every FLOAT16 tensor is held as fp32 (4 bytes per
 * element); conversion happens at the I/O boundary. So are DOUBLE,
 * BFLOAT16, FLOAT8* and FLOAT4E2M1; (U)INT4/(U)INT2 as INT8/UINT8
 * (vrt__plan_dtype; model/lowp.h). The CPU and CUDA backends
 * convert those at their boundary (the engine refuses them for others).
 */
#ifndef VRT_MODEL_PLAN_H
#define VRT_MODEL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "model/ir.h"

#define VRT__PLAN_ALIGN 256

/* ---- passes ---- */

typedef struct vrt__pass_opts {
    int fold_bn;       /* BatchNormalization into the preceding Conv */
    int fuse_act;      /* activation into Conv/Gemm/MatMul/Add */
    int fuse_residual; /* Add after a Conv into the Conv */
    int remove_noops;  /* Identity/Dropout */
    int views;         /* Reshape/Flatten/Squeeze/Unsqueeze as views */
    /* Transformer patterns (passes_tf.c): */
    int fuse_attention;   /* MatMul/scale/mask/Softmax/MatMul -> VrtAttention */
    int fuse_layernorm;   /* decomposed LayerNorm -> LayerNormalization; Add + LayerNorm -> VrtAddLayerNorm */
    int fuse_gelu;        /* Erf / tanh GELU forms -> Gelu */
    int fuse_matmul_bias; /* MatMul + bias Add -> MatMul with "_bias"; a following Gelu into it */
    int fuse_qdq; /* DequantizeLinear -> Conv [-> Relu] -> QuantizeLinear -> QLinearConv (passes_q.c) */
} vrt__pass_opts;

void vrt__pass_default_opts(vrt__pass_opts *o); /* everything on */

#define VRT__MAX_FUSION_LOG 64

typedef struct vrt__pass_report {
    int bn_folded;
    int act_fused;
    int silu_fused;
    int residual_fused;
    int noops_removed;
    int views;
    int dead_removed;
    int attention_fused, layernorm_fused, add_layernorm_fused, gelu_fused, matmul_bias_fused;
    int qdq_conv_fused; /* QDQ Conv patterns folded into QLinearConv */
    /* "conv1+BatchNormalization", "conv1+Relu", ... (first VRT__MAX_FUSION_LOG) */
    char log[VRT__MAX_FUSION_LOG][96];
    int n_log;
} vrt__pass_report;

/* The transformer patterns alone (run by vrt__passes_run before the
 * activation fusion); passes_tf.c. */
vrt_status vrt__passes_transformer(vrt__ir *ir, const vrt__pass_opts *o, vrt__pass_report *rep);

/* The QDQ patterns alone (run by vrt__passes_run before the other fusions); passes_q.c. */
vrt_status vrt__passes_qdq(vrt__ir *ir, const vrt__pass_opts *o, vrt__pass_report *rep);

/* Rewrites `ir` in place (see the attribute table above). rep may be NULL. */
vrt_status vrt__passes_run(vrt__ir *ir, const vrt__pass_opts *opts, vrt__pass_report *rep, char *err,
                           size_t cap);

/* Folds an inference BatchNormalization that follows a Conv into the conv's
 * weights and bias: w (M x per_out) and conv_bias (M, NULL = zeros) in,
 * w_out / bias_out out (w_out may equal w, bias_out may equal conv_bias).
 * For ConvTranspose the output channel is not the leading weight dim: not
 * handled here. */
vrt_status vrt__bn_fold_into_conv(int64_t M, int64_t per_out, const float *w, const float *conv_bias,
                                  const float *scale, const float *bias, const float *mean, const float *var,
                                  float eps, float *w_out, float *bias_out);

/* Element size a tensor of type dt has inside the engine (fp16 held as fp32). */
size_t vrt__plan_elem_size(vrt__dtype dt);
/* The dtype a tensor is held in inside the engine (FLOAT16 -> FLOAT). */
vrt__dtype vrt__plan_dtype(vrt__dtype dt);

/* ---- memory plan ---- */

typedef enum vrt__storage {
    VRT__ST_NONE = 0, /* not used by any node and not a graph output */
    VRT__ST_WEIGHT,
    VRT__ST_CONST,
    VRT__ST_ARENA,
    VRT__ST_VIEW,
} vrt__storage;

typedef struct vrt__tensor_plan {
    vrt__storage storage;
    int base;        /* VIEW: the tensor whose storage it shares (never a view itself); else itself */
    size_t view_off; /* VIEW: byte offset into the base's storage (a Concat input written in place) */
    size_t offset;   /* ARENA: byte offset in the arena; CONST: in the const region */
    size_t bytes;    /* numel * vrt__plan_elem_size (unaligned) */
    int first, last; /* ARENA: step range [first, last] during which the bytes are live */
} vrt__tensor_plan;

typedef struct vrt__plan {
    vrt__tensor_plan *t; /* one per ir->tensors entry */
    int n_tensors;
    unsigned char *node_const; /* per node: 1 when it runs once at prepare (CONST outputs) */
    int n_nodes;
    size_t arena_bytes;  /* planned arena size */
    size_t naive_bytes;  /* sum of the aligned sizes of every ARENA tensor */
    size_t const_bytes;  /* const region size */
    size_t weight_bytes; /* fp32-equivalent bytes of the weights used */
} vrt__plan;

/* Plans `ir` (after the passes). On success *out owns a plan (free with
 * vrt__plan_destroy); on failure *out is NULL and err holds the detail. */
vrt_status vrt__plan_build(const vrt__ir *ir, vrt__plan **out, char *err, size_t cap);
/* concat_in_place: the inputs of a Concat whose output is one block per input
 * (nothing but size-1 dims before the axis) become views into the output at
 * their offsets (view_off), produced there by their own nodes; the Concat then
 * has nothing to copy. For a backend that keeps the ONNX layout (the CPU's). */
vrt_status vrt__plan_build_ex(const vrt__ir *ir, int concat_in_place, vrt__plan **out, char *err, size_t cap);
void vrt__plan_destroy(vrt__plan **p);

#endif
