/*
 * Private: the step builder shared by the backends.
 *
 * A step is one IR node made ready to run: its tensors bound to memory (the
 * backend's pointer per tensor: arena, const region, weights), its element
 * types, and every parameter resolved once, at prepare, into named fields of
 * its family's struct (vrt__step_params). Nothing on the run path reads an
 * attribute by name or decodes flag bits.
 *
 * A backend describes itself with a vrt__step_backend: its name (for
 * messages), whether its float-only kernels take the types held as fp32
 * (double, bfloat16, float8) and its kernel table, one vrt__step_kernel per
 * op family (model/ops.h). vrt__step_build() binds node i, runs the family's
 * resolver (parameters and the type checks common to every backend), then
 * the backend's supports() (what differs), sizes scratch with the backend's
 * scratch() and stores the backend's exec() in the step; the backend's run
 * calls s->exec(ctx, s) per step. A family without an exec in a backend's
 * table is refused at prepare with the op, node and opset named.
 *
 * Adding an op: src/engine/README.md.
 *
 * Threading: building is single-threaded (prepare); steps are read-only
 * afterwards.
 */
#ifndef VRT_ENGINE_STEP_H
#define VRT_ENGINE_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "model/dtype.h"
#include "model/ir.h"
#include "model/op_params.h"
#include "model/ops.h"

/* Inputs / outputs of one node (the kernels' VRT__MAX_CONCAT_INPUTS: checked in cpu_steps.c). */
#define VRT__STEP_MAXIO 64

/* Parameters, one struct per op family (the family says which is valid). */
typedef union vrt__step_params {
    vrt__conv_params conv; /* CONV: act included (ConvTranspose: act applied after) */
    struct {
        vrt__pool_params p;
        /* MaxPool over int8/uint8: exact in any wider type (a max picks an
         * input value); the CPU computes it via fp32 in scratch, CUDA with its
         * typed kernel. */
        int int8;
        int colmajor_indices; /* storage_order = 1: indices count the spatial dims column-major */
    } pool;
    struct {
        int64_t n, c, spatial; /* input as [n, c, spatial] */
    } gpool;
    struct {
        int64_t n, c, spatial;
        float epsilon;
    } norm;
    struct {
        int64_t outer, inner; /* input as [outer, inner], normalised over inner */
        float epsilon;
        /* VrtAddLayerNorm: inputs A, B, scale, bias; y = LN(A + B); output 1
         * (NULL when absent) receives A + B. */
        int add;
    } ln;
    vrt__attn_params attn; /* ATTENTION (VrtAttention) */
    struct {
        int64_t n, c, spatial, size;
        float alpha, beta, bias;
    } lrn;
    vrt__gemm_params gemm;
    struct {
        vrt__unary_params p;
        /* Relu, Neg, Abs, Clip over int8/uint8/int32/int64 (Clip's bounds
         * compared as doubles); else the input is float. */
        int int_kernel;
    } un;
    struct {
        vrt__binary_op op;
        int copy; /* Sum/Max/Min of one input */
        /* Pow, float base, exponent of another type: the exponent is
         * converted to fp32 (into scratch) first. */
        int exp_to_f32;
        /* Pow, integer base, float exponent: pow in fp32, truncated back to
         * the base's type (numpy's astype). */
        int int_base_float_exp;
        /* int8/uint8/int16/uint16/uint32, both inputs of that type: kernels
         * without those types compute in int64 and wrap back to its bits. */
        int int_narrow;
    } bin;
    vrt__compare_op cmp;
    int logic; /* And 0, Or 1, Xor 2 (vrt__cpu_logical / vrt__cuda_logical) */
    struct {
        int inf;      /* IsInf (else IsNaN) */
        int pos, neg; /* IsInf: detect_positive / detect_negative */
    } isnan;
    struct {
        int64_t axis;
    } axis; /* CONCAT, GATHER */
    struct {
        int64_t axis;
        int n_sizes; /* 0: equal parts */
        int64_t sizes[VRT__STEP_MAXIO];
    } split;
    vrt__slice_params slice;
    struct {
        int64_t v[VRT__MAX_DIMS]; /* Transpose 'perm' / Tile 'repeats' */
        int n;
    } perm;
    struct {
        vrt__pad_params p; /* p.value points at value */
        uint8_t value[8];
    } pad;
    struct {
        int64_t blocksize;
        int crd;      /* DepthToSpace mode CRD */
        int to_depth; /* SpaceToDepth */
    } ds;
    struct {
        vrt__dtype to;
        int saturate;   /* float8 targets */
        int round_mode; /* 0 up, 1 down, 2 nearest (float8 / float4 targets) */
    } cast;
    struct {
        uint8_t value[8]; /* one element of the output type (fp16 as fp32) */
    } fill;
    vrt__resize_params resize;
    vrt__softmax_params softmax;
    struct {
        vrt__reduce_params p;
        int copy; /* no axis: a copy */
    } red;
    vrt__argmax_params argmax;
    struct {
        vrt__topk_params p;
        int int_keys; /* integer input (else float) */
    } topk;
    struct {
        int64_t outer, len, inner; /* input as [outer, len, inner], summed along len */
        int exclusive, reverse;
    } cumsum;
    struct {
        vrt__quant_params p;
        int dequant;    /* DequantizeLinear (else QuantizeLinear) */
        vrt__dtype qt;  /* the quantized type as declared (int4 ...) */
        int32_t lo, hi; /* its range (QuantizeLinear saturates to it) */
    } quant;
    vrt__qconv_params qconv; /* QCONV: cpu/qconv.c */
    struct {
        int64_t batch, M, K, N;
        int64_t a_bstride, b_bstride; /* elements between batches (0: broadcast) */
        int a_zp_rows, b_per_col;     /* a's zero point per row; b's zero point / scale per column */
        int qlinear;                  /* QLinearMatMul (else MatMulInteger: int32 out) */
        int32_t lo, hi;               /* output range */
    } qmm;
} vrt__step_params;

typedef struct vrt__step vrt__step;
/* Runs step s of the backend context ctx on stream (the backend's queue:
 * cudaStream_t for CUDA, unused by the CPU). */
typedef vrt_status (*vrt__step_exec_fn)(void *ctx, const vrt__step *s, void *stream);

/* The members of a step, as a list a backend can also lay out inside a
 * union with vrt__step, so that its own step type (vrt__step plus the
 * backend's fields) reaches them by name: s->n, s->in[k], s->u.conv (the
 * CUDA backend's step does; the idea of Linux's struct_group()). */
#define VRT__STEP_FIELDS                                                                                     \
    const vrt__node *n;                                                                                      \
    int index; /* node index in the IR */                                                                    \
    vrt__op_family fam;                                                                                      \
    int nin, nout;                                                                                           \
    void *in[VRT__STEP_MAXIO]; /* NULL where the input is absent */                                          \
    void *out[VRT__STEP_MAXIO];                                                                              \
    const vrt__tensor *ti[VRT__STEP_MAXIO];                                                                  \
    const vrt__tensor *to[VRT__STEP_MAXIO];                                                                  \
    vrt__dtype dt;          /* internal type of input 0 (vrt__plan_dtype) */                                 \
    size_t elem;            /* internal element size of output 0 */                                          \
    int64_t on;             /* elements of output 0 */                                                       \
    vrt__activation act;    /* fused activation (_act attributes; FLOAT only) */                             \
    vrt__step_params u;     /* the family's parameters */                                                    \
    vrt__step_exec_fn exec; /* the backend's kernel for the family */

struct vrt__step {
    VRT__STEP_FIELDS
};

/* Shapes of input / output k. */
static inline const vrt__shape *vrt__step_in_shape(const vrt__step *s, int k) {
    return &s->ti[k]->shape;
}
static inline const vrt__shape *vrt__step_out_shape(const vrt__step *s, int k) {
    return &s->to[k]->shape;
}

typedef struct vrt__step_kernel {
    /* The backend's type rules beyond the common ones (NULL: none). Writes
     * why not into msg (the builder prefixes the node). */
    vrt_status (*supports)(void *ctx, const vrt__step *s, char *msg, size_t cap);
    /* Scratch bytes the step needs at run (NULL: none). */
    size_t (*scratch)(void *ctx, const vrt__step *s);
    vrt__step_exec_fn exec; /* NULL: the backend has no kernel for the family */
} vrt__step_kernel;

typedef struct vrt__step_backend {
    const char *name; /* "CPU", "CUDA": in messages */
    /* Float-only kernels also take the types held as fp32 (double, bfloat16,
     * float8); else only float32/float16. */
    int wide_floats;
    const vrt__step_kernel *kernels; /* VRT__FAM_COUNT entries, by family */
    void *ctx;                       /* passed to supports and scratch */
} vrt__step_backend;

/* Builds step s for node i of ir: ptr[t] is tensor t's memory (NULL where it
 * has none). *scratch grows to the largest need. On failure err (capacity
 * cap) names the node, op and opset and says why. */
vrt_status vrt__step_build(const vrt__step_backend *be, const vrt__ir *ir, uint8_t *const *ptr, int i,
                           vrt__step *s, size_t *scratch, char *err, size_t cap);

/* "node 'name' (Op, opset N): " + the message, into err. Returns st. */
vrt_status vrt__step_fail(const vrt__node *n, vrt_status st, char *err, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#endif
