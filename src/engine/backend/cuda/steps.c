/*
 * The CUDA backend's steps: its kernel table for the shared step builder
 * (engine/step.h: one entry per op family with its type rules, scratch and
 * exec), the cuDNN / cuBLASLt objects made per step after the builder
 * (prep_cuda), which nodes may run on fp16 NHWC storage (node_half_ok; the
 * planner is plan_half.c) and the dispatch at run time (exec_step: fp16
 * NHWC steps through exec_half, the others through their family's exec).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"

#define CTX(v) ((cuda_ctx *)(v))
/* The backend's step around the builder's (exec gets &s->b; the step is the
 * backend's, never const at its definition). */
#define STEP(v) ((step *)(void *)(v))
#define STRM(v) ((cudaStream_t)(v))

/* ---- the kernel table ---- */

/* A launcher's failure against the step's node. */
static vrt_status kf(void *c, const vrt__step *s, vrt_status st) {
    return st ? vrt__cuda_kfail(CTX(c), s->n, st) : VRT_OK;
}

/* A cuDNN / cuBLASLt failure: its detail (in c->err) kept behind the node. */
static vrt_status libfail(cuda_ctx *c, const vrt__node *n, vrt_status st) {
    char d[400];
    snprintf(d, sizeof(d), "%s", c->err);
    return vrt__cuda_nfail(c, n, st, "%s", d);
}

static vrt_status conv(void *vc, const vrt__step *bs, void *stream) {
    cuda_ctx *c = vc;
    step *s = STEP(bs);
    vrt_status st =
        vrt__cuda_conv_run(s->conv, STRM(stream), s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL,
                           c->zero_bias, s->n->op == VRT__OP_Conv && s->nin > 3 ? s->in[3] : NULL, s->out[0],
                           c->scratch, c->ws, c->err, sizeof(c->err));
    return st ? libfail(c, s->n, st) : VRT_OK;
}

static vrt_status gemm(void *vc, const vrt__step *bs, void *stream) {
    cuda_ctx *c = vc;
    step *s = STEP(bs);
    /* Gemm's C, or a MatMul's fused bias ("_bias"). */
    vrt_status st =
        vrt__cuda_gemm_run(s->gemm, STRM(stream), s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL, s->out[0],
                           c->lt_ws, c->lt_ws_bytes, c->err, sizeof(c->err));
    return st ? libfail(c, s->n, st) : VRT_OK;
}

static vrt_status pool(void *c, const vrt__step *s, void *stream) {
    if (s->n->op == VRT__OP_AveragePool)
        return kf(c, s, vrt__cuda_avgpool(stream, &s->u.pool.p, s->in[0], s->out[0]));
    return kf(c, s,
              vrt__cuda_maxpool_typed(stream, &s->u.pool.p, s->dt, s->in[0], s->out[0],
                                      s->nout > 1 ? s->out[1] : NULL, s->u.pool.colmajor_indices));
}

static vrt_status gpool(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              (s->n->op == VRT__OP_GlobalAveragePool ? vrt__cuda_global_avgpool : vrt__cuda_global_maxpool)(
                  stream, s->u.gpool.n, s->u.gpool.c, s->u.gpool.spatial, s->in[0], s->out[0]));
}

static vrt_status norm(void *c, const vrt__step *s, void *stream) {
    if (s->n->op == VRT__OP_BatchNormalization)
        return kf(c, s,
                  vrt__cuda_batchnorm(stream, s->u.norm.n, s->u.norm.c, s->u.norm.spatial, s->in[0], s->in[1],
                                      s->in[2], s->in[3], s->in[4], s->u.norm.epsilon, s->out[0]));
    return kf(c, s,
              vrt__cuda_instancenorm(stream, s->u.norm.n, s->u.norm.c, s->u.norm.spatial, s->in[0], s->in[1],
                                     s->in[2], s->u.norm.epsilon, s->out[0]));
}

static vrt_status layernorm(void *c, const vrt__step *s, void *stream) {
    if (s->u.ln.add)
        return kf(c, s,
                  vrt__cuda_add_layernorm(stream, s->u.ln.outer, s->u.ln.inner, s->in[0], s->in[1], s->in[2],
                                          s->nin > 3 ? s->in[3] : NULL, s->u.ln.epsilon, s->out[0],
                                          s->nout > 1 ? s->out[1] : NULL));
    return kf(c, s,
              vrt__cuda_layernorm(stream, s->u.ln.outer, s->u.ln.inner, s->in[0], s->in[1],
                                  s->nin > 2 ? s->in[2] : NULL, s->u.ln.epsilon, s->out[0],
                                  s->nout > 1 ? s->out[1] : NULL, s->nout > 2 ? s->out[2] : NULL));
}

static vrt_status lrn(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_lrn(stream, s->in[0], s->out[0], s->u.lrn.n, s->u.lrn.c, s->u.lrn.spatial,
                            s->u.lrn.size, s->u.lrn.alpha, s->u.lrn.beta, s->u.lrn.bias));
}

static vrt_status unary(void *c, const vrt__step *s, void *stream) {
    if (!s->u.un.int_kernel)
        return kf(c, s, vrt__cuda_unary_f32(stream, &s->u.un.p, s->in[0], s->out[0], s->on));
    vrt__unary_op u = s->u.un.p.op;
    int op = u == VRT__UN_RELU ? 0 : u == VRT__UN_NEG ? 1 : u == VRT__UN_ABS ? 2 : 3; /* 3: Clip */
    return kf(c, s,
              vrt__cuda_int_unary(stream, op, (int)vrt__dtype_size(s->dt), s->dt == VRT__DT_UINT8, s->in[0],
                                  s->out[0], s->on, (double)s->u.un.p.min, (double)s->u.un.p.max));
}

/* Every type vrt__cuda_binary computes in (int8..uint64 exactly as the CPU
 * backend: see eltwise.h); PRelu on float only. */
static vrt_status binary_supports(void *c, const vrt__step *s, char *m, size_t cap) {
    if (vrt__cuda_binary_type_ok(s->dt) && !(s->n->op == VRT__OP_PRelu && s->dt != VRT__DT_FLOAT))
        return VRT_OK;
    vrt_errbuf_set(m, cap,
                   "data type %s is not supported by the CUDA backend; supported: float32, float16, "
                   "int8/16/32/64, uint8/16/32/64 (PRelu: float32, float16)",
                   vrt__dtype_name(s->ti[0]->dtype));
    return VRT_EUNSUPPORTED;
}

/* Pow with a float base and an exponent of another type: the exponent is
 * converted to fp32 into scratch at run (as the CPU). An integer base with a
 * float exponent is one kernel (vrt__cuda_pow_int_base), no scratch. */
static size_t binary_scratch(void *c, const vrt__step *s) {
    return s->u.bin.exp_to_f32 ? (size_t)vrt__shape_numel(SI(STEP(s), 1)) * 4 + 64 : 0;
}

static vrt_status binary(void *vc, const vrt__step *s, void *stream) {
    cuda_ctx *c = vc;
    vrt_status st;
    if (s->u.bin.copy) return kf(c, s, vrt__cuda_copy(stream, s->in[0], s->out[0], (size_t)s->on * s->elem));
    const vrt__shape *sa = &s->ti[0]->shape, *sb = &s->ti[1]->shape, *sy = &s->to[0]->shape;
    const void *b = s->in[1];
    if (s->u.bin.int_base_float_exp)
        return kf(c, s,
                  vrt__cuda_pow_int_base(stream, s->dt, s->in[0], sa, (const float *)b, sb, s->out[0], sy));
    if (s->u.bin.exp_to_f32) {
        if ((st = vrt__cuda_cast(stream, vrt__plan_dtype(s->ti[1]->dtype), b, VRT__DT_FLOAT, c->scratch,
                                 vrt__shape_numel(sb))))
            return kf(c, s, st);
        b = c->scratch;
    }
    st = vrt__cuda_binary(stream, s->u.bin.op, s->dt, s->in[0], sa, b, sb, s->out[0], sy);
    for (int k = 2; !st && k < s->nin; k++)
        st = vrt__cuda_binary(stream, s->u.bin.op, s->dt, s->out[0], sy, s->in[k], &s->ti[k]->shape,
                              s->out[0], sy);
    if (!st && s->act.kind != VRT__ACT_NONE)
        st = vrt__cuda_epilogue(stream, s->out[0], s->on, NULL, 0, 1, 1, 0, 0, NULL, &s->act);
    return kf(c, s, st);
}

static vrt_status compare(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_compare(stream, s->u.cmp, s->dt, s->in[0], &s->ti[0]->shape, s->in[1],
                                &s->ti[1]->shape, s->out[0], &s->to[0]->shape));
}

static vrt_status logic(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_logical(stream, s->u.logic, s->in[0], &s->ti[0]->shape, s->in[1], &s->ti[1]->shape,
                                s->out[0], &s->to[0]->shape));
}

static vrt_status isnan_op(void *c, const vrt__step *s, void *stream) {
    return kf(
        c, s,
        vrt__cuda_isnan(stream, s->u.isnan.inf, s->u.isnan.pos, s->u.isnan.neg, s->in[0], s->out[0], s->on));
}

static vrt_status not_op(void *c, const vrt__step *s, void *stream) {
    return kf(c, s, vrt__cuda_not(stream, s->in[0], s->out[0], s->on));
}

static vrt_status where(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_where(stream, s->in[0], &s->ti[0]->shape, s->in[1], &s->ti[1]->shape, s->in[2],
                              &s->ti[2]->shape, s->elem, s->out[0], &s->to[0]->shape));
}

static vrt_status copy(void *c, const vrt__step *s, void *stream) {
    vrt_status st = VRT_OK;
    if (s->out[0] != s->in[0]) st = vrt__cuda_copy(stream, s->in[0], s->out[0], (size_t)s->on * s->elem);
    if (!st && s->n->op == VRT__OP_Dropout && s->nout > 1 && s->out[1]) {
        uint8_t one = 1;
        st = vrt__cuda_fill(stream, &one, 1, s->out[1], vrt__shape_numel(&s->to[1]->shape));
    }
    return kf(c, s, st);
}

static vrt_status concat(void *c, const vrt__step *s, void *stream) {
    vrt__shape shapes[MAXIO];
    for (int k = 0; k < s->nin; k++)
        shapes[k] = s->ti[k]->shape;
    return kf(c, s,
              vrt__cuda_concat(stream, s->u.axis.axis, s->nin, (const void *const *)s->in, shapes, s->elem,
                               s->out[0]));
}

static vrt_status split(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_split(stream, s->u.split.axis, s->in[0], &s->ti[0]->shape, s->elem, s->nout,
                              s->u.split.sizes, (void *const *)s->out));
}

static vrt_status slice(void *c, const vrt__step *s, void *stream) {
    return kf(c, s, vrt__cuda_slice(stream, &s->u.slice, s->in[0], &s->ti[0]->shape, s->elem, s->out[0]));
}

static vrt_status transpose(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_transpose(stream, s->u.perm.v, s->u.perm.n, s->in[0], &s->ti[0]->shape, s->elem,
                                  s->out[0]));
}

static vrt_status tile(void *c, const vrt__step *s, void *stream) {
    return kf(c, s, vrt__cuda_tile(stream, s->in[0], &s->ti[0]->shape, s->elem, s->u.perm.v, s->out[0]));
}

static vrt_status expand(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_expand(stream, s->in[0], &s->ti[0]->shape, s->elem, s->out[0], &s->to[0]->shape));
}

static vrt_status gather(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_gather(stream, s->u.axis.axis, s->in[0], &s->ti[0]->shape, s->elem, s->in[1],
                               vrt__plan_dtype(s->ti[1]->dtype), &s->ti[1]->shape, s->out[0]));
}

static vrt_status pad(void *c, const vrt__step *s, void *stream) {
    return kf(c, s, vrt__cuda_pad(stream, &s->u.pad.p, s->in[0], &s->ti[0]->shape, s->elem, s->out[0]));
}

static vrt_status depth_space(void *c, const vrt__step *s, void *stream) {
    if (s->u.ds.to_depth)
        return kf(c, s,
                  vrt__cuda_space_to_depth(stream, s->u.ds.blocksize, s->in[0], &s->ti[0]->shape, s->elem,
                                           s->out[0]));
    return kf(c, s,
              vrt__cuda_depth_to_space(stream, s->u.ds.blocksize, s->u.ds.crd, s->in[0], &s->ti[0]->shape,
                                       s->elem, s->out[0]));
}

/* One kernel, the CPU's rules: held as fp32 or int8/uint8, a cast to fp16,
 * bfloat16, float8 or float4 rounds to the type's precision, to 4-/2-bit
 * ints wraps (eltwise.h). */
static vrt_status cast(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_cast_node(stream, s->ti[0]->dtype, s->in[0], s->u.cast.to, s->out[0], s->on,
                                  s->u.cast.saturate, s->u.cast.round_mode));
}

static vrt_status fill(void *c, const vrt__step *s, void *stream) {
    return kf(c, s, vrt__cuda_fill(stream, s->u.fill.value, s->elem, s->out[0], s->on));
}

static size_t resize_scratch(void *c, const vrt__step *s) {
    return vrt__cuda_resize_scratch_bytes(&s->u.resize, &s->ti[0]->shape, &s->to[0]->shape);
}

static vrt_status resize(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_resize_f32(stream, &s->u.resize, s->in[0], &s->ti[0]->shape, s->out[0],
                                   &s->to[0]->shape, CTX(c)->scratch));
}

static vrt_status softmax(void *c, const vrt__step *s, void *stream) {
    return kf(c, s, vrt__cuda_softmax_f32(stream, &s->u.softmax, s->in[0], &s->ti[0]->shape, s->out[0]));
}

static vrt_status reduce(void *c, const vrt__step *s, void *stream) {
    if (s->u.red.copy) return kf(c, s, vrt__cuda_copy(stream, s->in[0], s->out[0], (size_t)s->on * s->elem));
    return kf(c, s, vrt__cuda_reduce_f32(stream, &s->u.red.p, s->in[0], &s->ti[0]->shape, s->out[0]));
}

static vrt_status argmax(void *c, const vrt__step *s, void *stream) {
    return kf(c, s, vrt__cuda_argmax_f32(stream, &s->u.argmax, s->in[0], &s->ti[0]->shape, s->out[0]));
}

static vrt_status topk_supports(void *c, const vrt__step *s, char *m, size_t cap) {
    if (vrt__cuda_topk_type_ok(s->dt)) return VRT_OK;
    vrt_errbuf_set(m, cap,
                   "data type %s is not supported by the CUDA backend; supported: float32, float16, "
                   "int8/16/32/64, uint8/16/32/64",
                   vrt__dtype_name(s->ti[0]->dtype));
    return VRT_EUNSUPPORTED;
}

static size_t topk_scratch(void *c, const vrt__step *s) {
    return vrt__cuda_topk_scratch_bytes(&s->u.topk.p, &s->ti[0]->shape);
}

static vrt_status topk(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_topk(stream, &s->u.topk.p, s->dt, s->in[0], &s->ti[0]->shape, s->out[0],
                             s->nout > 1 ? s->out[1] : NULL, CTX(c)->scratch));
}

static vrt_status cumsum_supports(void *c, const vrt__step *s, char *m, size_t cap) {
    if (vrt__cuda_cumsum_type_ok(s->dt)) return VRT_OK;
    vrt_errbuf_set(
        m, cap,
        "data type %s is not supported by the CUDA backend; supported: float32, float16, int32, int64, "
        "uint32, uint64",
        vrt__dtype_name(s->ti[0]->dtype));
    return VRT_EUNSUPPORTED;
}

static vrt_status cumsum(void *c, const vrt__step *s, void *stream) {
    return kf(c, s,
              vrt__cuda_cumsum(stream, s->dt, s->in[0], s->out[0], s->u.cumsum.outer, s->u.cumsum.len,
                               s->u.cumsum.inner, s->u.cumsum.exclusive, s->u.cumsum.reverse));
}

/* fp16 math: the tensor-core kernel where it takes the head dims; else (and
 * in fp32 / tf32) the fp32 kernel. */
static vrt_status attention(void *c, const vrt__step *s, void *stream) {
    const float *mask = s->nin > 3 ? s->in[3] : NULL;
    if (CTX(c)->math == VRT__CUDA_MATH_FP16 && vrt__cuda_attention_tc_ok(&s->u.attn))
        return kf(c, s,
                  vrt__cuda_attention_tc(stream, &s->u.attn, VRT__DT_FLOAT, s->in[0], s->in[1], s->in[2],
                                         mask, VRT__DT_FLOAT, s->out[0]));
    return kf(c, s, vrt__cuda_attention(stream, &s->u.attn, s->in[0], s->in[1], s->in[2], mask, s->out[0]));
}

/* Quantized ops (quant.cu): 8-bit Q/DQ per tensor or per axis with float
 * scales; the integer conv 1-D / 2-D. The rest fails at prepare, named. */
static int f32_in(const vrt__step *s, int k) { /* fp16 constants are uploaded as fp32 */
    return k >= s->nin || !s->ti[k] || vrt__plan_dtype(s->ti[k]->dtype) == VRT__DT_FLOAT;
}

static vrt_status quant_supports(void *c, const vrt__step *s, char *m, size_t cap) {
    vrt__dtype t = vrt__plan_dtype(s->u.quant.qt);
    int ok = t == VRT__DT_INT8 || t == VRT__DT_UINT8 || (s->u.quant.dequant && t == VRT__DT_INT32);
    if (ok && s->u.quant.p.mode != VRT__QUANT_BLOCKED && f32_in(s, 1)) return VRT_OK;
    vrt_errbuf_set(m, cap,
                   "%s with %s, %s scales: the CUDA backend takes int8/uint8 (int32 to dequantize), "
                   "float scales per tensor or per axis",
                   vrt__dtype_name(s->u.quant.qt),
                   s->u.quant.p.mode == VRT__QUANT_BLOCKED ? "blocked" : "these",
                   f32_in(s, 1) ? "float" : vrt__dtype_name(s->ti[1]->dtype));
    return VRT_EUNSUPPORTED;
}

static vrt_status quant(void *c, const vrt__step *s, void *stream) {
    const void *zp = s->nin > 2 ? s->in[2] : NULL;
    vrt__dtype zpt = zp ? vrt__plan_dtype(s->ti[2]->dtype) : VRT__DT_UINT8;
    return kf(c, s,
              vrt__cuda_quant(stream, &s->u.quant.p, s->u.quant.dequant, vrt__plan_dtype(s->u.quant.qt),
                              s->u.quant.lo, s->u.quant.hi, s->in[0], s->in[1], zp, zpt, s->out[0], s->on));
}

static vrt_status qconv_supports(void *c, const vrt__step *s, char *m, size_t cap) {
    const vrt__qconv_params *q = &s->u.qconv;
    if (q->conv.nsp <= 2 && (!q->qlinear || (f32_in(s, 1) && f32_in(s, 4) && f32_in(s, 6)))) return VRT_OK;
    vrt_errbuf_set(m, cap, "the CUDA backend's integer conv takes 1-D and 2-D convs with float scales");
    return VRT_EUNSUPPORTED;
}

static vrt_status qconv(void *c, const vrt__step *s, void *stream) {
    const vrt__qconv_params *q = &s->u.qconv;
    int wzk = q->qlinear ? 5 : 3, wsk = 4;
    int wzp_per = wzk < s->nin && s->ti[wzk] && vrt__shape_numel(&s->ti[wzk]->shape) > 1;
    int ws_per = q->qlinear && vrt__shape_numel(&s->ti[wsk]->shape) > 1;
    return kf(c, s,
              vrt__cuda_qconv(stream, q, (const void *const *)s->in, s->nin, wzp_per, ws_per,
                              vrt__plan_dtype(s->to[0]->dtype), s->out[0]));
}

static const vrt__step_kernel k_cuda_kernels[VRT__FAM_COUNT] = {
    [VRT__FAM_CONV] = {NULL, NULL, conv},
    [VRT__FAM_POOL] = {NULL, NULL, pool},
    [VRT__FAM_GLOBAL_POOL] = {NULL, NULL, gpool},
    [VRT__FAM_NORM] = {NULL, NULL, norm},
    [VRT__FAM_LAYERNORM] = {NULL, NULL, layernorm},
    [VRT__FAM_LRN] = {NULL, NULL, lrn},
    [VRT__FAM_GEMM] = {NULL, NULL, gemm},
    [VRT__FAM_MATMUL] = {NULL, NULL, gemm},
    [VRT__FAM_UNARY] = {NULL, NULL, unary},
    [VRT__FAM_BINARY] = {binary_supports, binary_scratch, binary},
    [VRT__FAM_COMPARE] = {NULL, NULL, compare},
    [VRT__FAM_NOT] = {NULL, NULL, not_op},
    [VRT__FAM_LOGIC] = {NULL, NULL, logic},
    [VRT__FAM_ISNAN] = {NULL, NULL, isnan_op},
    [VRT__FAM_WHERE] = {NULL, NULL, where},
    [VRT__FAM_COPY] = {NULL, NULL, copy},
    [VRT__FAM_CONCAT] = {NULL, NULL, concat},
    [VRT__FAM_SPLIT] = {NULL, NULL, split},
    [VRT__FAM_SLICE] = {NULL, NULL, slice},
    [VRT__FAM_TRANSPOSE] = {NULL, NULL, transpose},
    [VRT__FAM_TILE] = {NULL, NULL, tile},
    [VRT__FAM_EXPAND] = {NULL, NULL, expand},
    [VRT__FAM_GATHER] = {NULL, NULL, gather},
    [VRT__FAM_PAD] = {NULL, NULL, pad},
    [VRT__FAM_DEPTH_SPACE] = {NULL, NULL, depth_space},
    [VRT__FAM_CAST] = {NULL, NULL, cast},
    [VRT__FAM_FILL] = {NULL, NULL, fill},
    [VRT__FAM_RESIZE] = {NULL, resize_scratch, resize},
    [VRT__FAM_SOFTMAX] = {NULL, NULL, softmax},
    [VRT__FAM_REDUCE] = {NULL, NULL, reduce},
    [VRT__FAM_ARGMAX] = {NULL, NULL, argmax},
    [VRT__FAM_TOPK] = {topk_supports, topk_scratch, topk},
    [VRT__FAM_CUMSUM] = {cumsum_supports, NULL, cumsum},
    [VRT__FAM_ATTENTION] = {NULL, NULL, attention},
    [VRT__FAM_QUANT] = {quant_supports, NULL, quant},
    [VRT__FAM_QCONV] = {qconv_supports, NULL, qconv},
};

/* ---- building ---- */

/* Whether node n's constant float inputs (weights, biases) fit in fp16: a
 * value beyond 65504 becomes inf once rounded, and one inf weight turns a
 * whole output channel into inf or NaN (a ReLU after it then reads 0). Such a
 * Conv / ConvTranspose / Gemm / MatMul keeps fp32 storage and fp32 math in
 * an fp16 engine (vrt__cuda_node_half_ok, prep_cuda). Activations out of
 * fp16's range are not known at prepare. */
static int consts_fit_half(const cuda_ctx *c, const vrt__node *n) {
    for (int k = 0; k < n->n_inputs; k++) {
        const vrt__tensor *t = n->inputs[k] >= 0 ? &c->ir->tensors[n->inputs[k]] : NULL;
        if (!t || !t->data || t->dtype != VRT__DT_FLOAT) continue;
        const float *v = t->data;
        for (size_t i = 0; i < t->nbytes / sizeof(float); i++)
            if (!(fabsf(v[i]) <= 65504.0f)) return 0;
    }
    return 1;
}

/* The math of a Conv / Gemm / MatMul step: the engine's, but fp32 for one
 * whose constants do not fit fp16 (consts_fit_half) or that the fp16 guard
 * kept fp32 (vrt__cuda_node_math). */
static vrt__cuda_math step_math(const cuda_ctx *c, const vrt__node *n) {
    vrt__cuda_math m = vrt__cuda_node_math(c, (int)(n - c->ir->nodes));
    return m == VRT__CUDA_MATH_FP16 && !consts_fit_half(c, n) ? VRT__CUDA_MATH_FP32 : m;
}

/* CUDA-only preparation after the builder: conv/gemm objects and their scratch. */
static vrt_status prep_cuda(cuda_ctx *c, step *s) {
    const vrt__node *n = s->n;
    vrt_status st = VRT_OK;
    char e2[400] = "";
    switch ((vrt__op)n->op) {
    case VRT__OP_Conv:
    case VRT__OP_ConvTranspose: {
        vrt__cuda_conv_desc d;
        memset(&d, 0, sizeof(d));
        d.transpose = n->op == VRT__OP_ConvTranspose;
        d.p = s->u.conv;
        d.has_bias = s->nin > 2 && s->in[2];
        d.has_residual = !d.transpose && s->nin > 3 && s->in[3];
        d.math = step_math(c, n);
        d.nhwc_half = s->h;
        d.no_fuse = c->opt.fused_epilogue == VRT_SWITCH_OFF;
        if (d.transpose) d.p.act = s->act;
        if ((st = vrt__cuda_conv_create(c->dnn, &d, &s->conv, e2, sizeof(e2))))
            return vrt__cuda_nfail(c, n, st, "cuDNN: %s", e2);
        need_scratch(c, vrt__cuda_conv_scratch_bytes(s->conv));
        int64_t M = s->u.conv.M;
        if ((size_t)M > c->zero_bias_n) c->zero_bias_n = (size_t)M;
        break;
    }
    case VRT__OP_Gemm:
        if ((st = vrt__cuda_gemm_create_gemm(c->lt, &s->u.gemm, s->nin > 2 && s->ti[2], step_math(c, n),
                                             LT_WS_LIMIT, &s->gemm, e2, sizeof(e2))))
            return vrt__cuda_nfail(c, n, st, "cuBLASLt: %s", e2);
        break;
    case VRT__OP_MatMul:
        if ((st = vrt__cuda_gemm_create_matmul(c->lt, SI(s, 0), SI(s, 1), s->nin > 2 && s->in[2], &s->act,
                                               step_math(c, n), s->r, LT_WS_LIMIT, &s->gemm, e2, sizeof(e2))))
            return vrt__cuda_nfail(c, n, st, "cuBLASLt: %s", e2);
        break;
    default: break;
    }
    return VRT_OK;
}

/* One step per node: built by the shared builder (tensors bound to device
 * pointers, parameters resolved, the CUDA type rules and scratch), then its
 * cuDNN / cuBLASLt objects (prep_cuda, which needs s->h). */
vrt_status vrt__cuda_build_steps(cuda_ctx *c) {
    const vrt__step_backend be = {"CUDA", 0, k_cuda_kernels, c};
    vrt_status st;
    for (int i = 0; i < c->ir->n_nodes; i++) {
        step *s = &c->steps[c->n_steps++];
        if ((st = vrt__step_build(&be, c->ir, c->ptr, i, &s->b, &c->scratch_bytes, c->err, sizeof(c->err))))
            return st;
        s->h = c->hnode[i];
        s->r = c->rnode[i];
        if ((st = prep_cuda(c, s))) return st;
    }
    return VRT_OK;
}

/* ---- fp16 NHWC eligibility (vrt__cuda_node_half_ok) ---- */

/* Channel Concat of fp16 NHWC activations stays fp16 NHWC (no conversions
 * around it); option half_concat OFF turns that off. */
static int half_concat_ok(const cuda_ctx *c, const vrt__node *n) {
    int64_t ax = vrt__node_get_int(n, "axis", 0);
    if (c->opt.half_concat == VRT_SWITCH_OFF || (ax != 1 && ax != -3) || n->n_inputs > 8 || n->n_outputs != 1)
        return 0;
    for (int k = 0; k < n->n_inputs; k++) {
        int t = n->inputs[k];
        if (t < 0 || !is_f(c->ir->tensors[t].dtype) || c->ir->tensors[t].shape.ndim != 4 ||
            c->plan->t[t].storage != VRT__ST_ARENA)
            return 0;
    }
    return 1;
}

/* Same-shape Add (a residual): element-wise, so it runs on fp16 NHWC as is. */
static int half_add_ok(const cuda_ctx *c, const vrt__node *n, const vrt__tensor *x, const vrt__tensor *y) {
    if (n->n_inputs != 2 || n->inputs[1] < 0 || n->n_outputs != 1) return 0;
    const vrt__tensor *b = &c->ir->tensors[n->inputs[1]];
    return is_f(b->dtype) && vrt__op_same_shape(&x->shape, &y->shape) &&
           vrt__op_same_shape(&b->shape, &y->shape) && c->plan->t[n->inputs[1]].storage == VRT__ST_ARENA;
}

/* Bilinear with align_corners coordinates over H and W only (DPT's fusion
 * and head upsampling), an even channel count: our fp16 NHWC kernel. */
static int half_resize_linear_ok(const vrt__node *n, const vrt__tensor *x, const vrt__tensor *y) {
    int cnt;
    return !strcmp(vrt__node_get_string(n, "mode", "nearest"), "linear") &&
           !strcmp(vrt__node_get_string(n, "coordinate_transformation_mode", "half_pixel"),
                   "align_corners") &&
           !vrt__node_get_int(n, "antialias", 0) && !vrt__node_get_ints(n, "axes", &cnt) &&
           x->shape.d[0] == y->shape.d[0] && x->shape.d[1] == y->shape.d[1] && x->shape.d[1] % 2 == 0 &&
           x->shape.d[2] >= 1 && x->shape.d[3] >= 1 && y->shape.d[2] >= 1 && y->shape.d[3] >= 1;
}

/* Nearest upsampling by integer factors over H and W (YOLO necks):
 * asymmetric coordinates with floor, or round_prefer_floor at factor <= 2,
 * where both give source = destination / factor; else bilinear align_corners. */
static int half_resize_ok(const vrt__node *n, const vrt__tensor *x, const vrt__tensor *y) {
    int cnt;
    if (!strcmp(vrt__node_get_string(n, "mode", "nearest"), "linear")) return half_resize_linear_ok(n, x, y);
    if (strcmp(vrt__node_get_string(n, "mode", "nearest"), "nearest") ||
        strcmp(vrt__node_get_string(n, "coordinate_transformation_mode", "half_pixel"), "asymmetric") ||
        vrt__node_get_int(n, "antialias", 0) || vrt__node_get_ints(n, "axes", &cnt))
        return 0;
    const char *nm = vrt__node_get_string(n, "nearest_mode", "round_prefer_floor");
    if (x->shape.d[0] != y->shape.d[0] || x->shape.d[1] != y->shape.d[1] || x->shape.d[2] < 1 ||
        x->shape.d[3] < 1 || y->shape.d[2] % x->shape.d[2] || y->shape.d[3] % x->shape.d[3])
        return 0;
    int64_t fh = y->shape.d[2] / x->shape.d[2], fw = y->shape.d[3] / x->shape.d[3];
    return !strcmp(nm, "floor") || (!strcmp(nm, "round_prefer_floor") && fh <= 2 && fw <= 2);
}

/* Conv 2-D with weights and bias known at prepare, the residual of y's shape. */
static int half_conv_ok(const cuda_ctx *c, const vrt__node *n, const vrt__tensor *y) {
    if (n->n_inputs < 2 || n->inputs[1] < 0) return 0;
    int wt = n->inputs[1];
    const vrt__tensor *w = &c->ir->tensors[wt];
    if (c->plan->t[wt].storage != VRT__ST_WEIGHT || !w->data || w->shape.ndim != 4 || !is_f(w->dtype))
        return 0;
    if (n->n_inputs > 2 && n->inputs[2] >= 0 &&
        (c->plan->t[n->inputs[2]].storage != VRT__ST_WEIGHT || !c->ir->tensors[n->inputs[2]].data ||
         !is_f(c->ir->tensors[n->inputs[2]].dtype)))
        return 0;
    if (n->n_inputs > 3 && n->inputs[3] >= 0 &&
        !vrt__op_same_shape(&c->ir->tensors[n->inputs[3]].shape, &y->shape))
        return 0;
    return n->n_inputs <= 4 && n->n_outputs == 1 && consts_fit_half(c, n);
}

/* Max/AveragePool 2-D: no indices, floor mode, no dilation. */
static int half_pool_ok(const vrt__node *n) {
    int cnt;
    const int64_t *v;
    if (n->n_outputs > 1 && n->outputs[1] >= 0) return 0;
    if (vrt__node_get_int(n, "ceil_mode", 0)) return 0;
    if ((v = vrt__node_get_ints(n, "dilations", &cnt)) && (cnt != 2 || v[0] != 1 || v[1] != 1)) return 0;
    return (v = vrt__node_get_ints(n, "kernel_shape", &cnt)) && cnt == 2;
}

int vrt__cuda_node_half_ok(const cuda_ctx *c, int i) {
    const vrt__node *n = &c->ir->nodes[i];
    if (c->math != VRT__CUDA_MATH_FP16 || c->plan->node_const[i] || (c->keep32 && c->keep32[i])) return 0;
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return 0;
    const vrt__tensor *x = &c->ir->tensors[n->inputs[0]], *y = &c->ir->tensors[n->outputs[0]];
    if (!is_f(x->dtype) || !is_f(y->dtype) || x->shape.ndim != 4 || y->shape.ndim != 4) return 0;
    int cnt;
    const int64_t *v;
    if ((v = vrt__node_get_ints(n, "pads", &cnt)) && cnt == 4 && (v[0] != v[2] || v[1] != v[3])) return 0;
    /* SAME_UPPER / SAME_LOWER may pad asymmetrically (cuDNN's NHWC paths only know symmetric pads). */
    const char *ap = vrt__node_get_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) return 0;
    switch ((vrt__op)n->op) {
    case VRT__OP_Concat: return half_concat_ok(c, n);
    case VRT__OP_Add: return half_add_ok(c, n, x, y);
    case VRT__OP_Resize: return half_resize_ok(n, x, y);
    case VRT__OP_Conv: return half_conv_ok(c, n, y);
    case VRT__OP_MaxPool:
    case VRT__OP_AveragePool: return half_pool_ok(n);
    case VRT__OP_Relu: return n->n_outputs == 1; /* element-wise: any layout (DPT's pre-activations) */
    default: return n->op == VRT__OP_GlobalAveragePool;
    }
}

/* ---- running ---- */

/* A conv step on our implicit GEMM (config own - 1): the fp32 NCHW <-> fp16
 * NHWC conversions of its operands happen inside the kernel (no extra launches). */
static vrt_status own_conv(cuda_ctx *c, step *s, cudaStream_t strm, int own) {
    vrt__cuda_igemm g = s->ig;
    g.cfg = own - 1;
    g.in_f32 = s->cx, g.res_f32 = s->cr, g.out_f32 = s->cy;
    const void *x = s->ig.focus ? s->focus_x : s->cx ? s->in[0] : s->hx;
    const void *r = s->cr ? s->in[3] : s->hr;
    void *y = s->cy ? s->out[0] : s->hy;
    vrt_status st = vrt__cuda_conv_igemm_half((void *)strm, &g, x, s->hw, s->hb, r, y, &s->u.conv.act);
    return st ? vrt__cuda_nfail(c, s->n, st, "%s", vrt__cuda_igemm_error()) : VRT_OK;
}

vrt_status vrt__cuda_exec_half(cuda_ctx *c, step *s, cudaStream_t strm) {
    void *stv = (void *)strm;
    const vrt__node *n = s->n;
    vrt_status st = VRT_OK;
    if (s->dwf) return vrt__cuda_exec_dwpw(c, s, strm);
    if (s->own) return own_conv(c, s, strm, s->own);
    const vrt__shape *x = SI(s, 0), *y = SO(s, 0);
    if (s->cx && (st = vrt__cuda_to_nhwc_half(stv, s->in[0], s->hx, x->d[0], x->d[1], x->d[2] * x->d[3])))
        return vrt__cuda_kfail(c, n, st);
    if (s->cr && (st = vrt__cuda_to_nhwc_half(stv, s->in[3], s->hr, y->d[0], y->d[1], y->d[2] * y->d[3])))
        return vrt__cuda_kfail(c, n, st);
    if (n->op == VRT__OP_Concat) {
        const void *ins[8];
        int ch[8];
        for (int k = 0; k < s->nin && k < 8; k++)
            ins[k] = s->in[k], ch[k] = (int)SI(s, k)->d[1];
        if ((st = vrt__cuda_concat_nhwc_half(stv, s->nin, ins, ch, y->d[0] * y->d[2] * y->d[3], s->hy)))
            return vrt__cuda_kfail(c, n, st);
    } else if (n->op == VRT__OP_Add) {
        if ((st = vrt__cuda_add_half(stv, s->hx, s->in[1], s->hy, vrt__shape_numel(y), &s->act)))
            return vrt__cuda_kfail(c, n, st);
    } else if (n->op == VRT__OP_Resize && s->u.resize.mode == VRT__RESIZE_LINEAR) {
        if ((st = vrt__cuda_resize_linear_ac_nhwc_half(stv, s->hx, s->hy, (int)x->d[0], (int)x->d[2],
                                                       (int)x->d[3], (int)x->d[1], (int)y->d[2],
                                                       (int)y->d[3])))
            return vrt__cuda_kfail(c, n, st);
    } else if (n->op == VRT__OP_Resize) {
        if ((st = vrt__cuda_upsample_nhwc_half(stv, s->hx, s->hy, (int)x->d[0], (int)x->d[2], (int)x->d[3],
                                               (int)x->d[1], (int)(y->d[2] / x->d[2]),
                                               (int)(y->d[3] / x->d[3]))))
            return vrt__cuda_kfail(c, n, st);
    } else if (n->op == VRT__OP_Relu) {
        const vrt__activation relu = {VRT__ACT_RELU, 0.0f, 0.0f};
        if ((st = vrt__cuda_act_h(stv, s->hx, s->hy, vrt__shape_numel(y), &relu)))
            return vrt__cuda_kfail(c, n, st);
    } else if (n->op == VRT__OP_MaxPool && !s->pool_dnn) {
        const vrt__pool_params *pp = &s->u.pool.p;
        if (s->mp_src)
            st = vrt__cuda_maxpool_nhwc_half(stv, s->mp_src, s->hy, (int)x->d[0], (int)x->d[2], (int)x->d[3],
                                             (int)x->d[1], (int)y->d[2], (int)y->d[3], s->mp_k, s->mp_k, 1, 1,
                                             s->mp_k / 2, s->mp_k / 2);
        else
            st = vrt__cuda_maxpool_nhwc_half(stv, s->hx, s->hy, (int)x->d[0], (int)x->d[2], (int)x->d[3],
                                             (int)x->d[1], (int)y->d[2], (int)y->d[3], (int)pp->k[0],
                                             (int)pp->k[1], (int)pp->strides[0], (int)pp->strides[1],
                                             (int)pp->pads_begin[0], (int)pp->pads_begin[1]);
        if (st) return vrt__cuda_kfail(c, n, st);
    } else if (s->dw) {
        if ((st =
                 vrt__cuda_dwconv_nhwc_half(stv, s->hx, s->hw, s->hb, s->hr, s->hy, &s->dws, &s->u.conv.act)))
            return vrt__cuda_kfail(c, n, st);
    } else if (n->op == VRT__OP_Conv) {
        st = vrt__cuda_conv_run(s->conv, strm, s->hx, s->hw, s->hb, c->zero_bias, s->hr, s->hy, c->scratch,
                                c->ws, c->err, sizeof(c->err));
        if (st) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return vrt__cuda_nfail(c, n, st, "%s", d);
        }
    } else {
        const float one = 1.0f, zero = 0.0f;
        if ((st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnSetStream(c->dnn, strm))) ||
            (st = VRT_CUDNN_CHECK(
                 c->err, sizeof(c->err),
                 cudnnPoolingForward(c->dnn, s->pool, &one, s->pxd, s->hx, &zero, s->pyd, s->hy)))) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return vrt__cuda_nfail(c, n, st, "%s", d);
        }
    }
    if (s->cy && (st = vrt__cuda_from_nhwc_half(stv, s->hy, s->out[0], y->d[0], y->d[1], y->d[2] * y->d[3])))
        return vrt__cuda_kfail(c, n, st);
    return VRT_OK;
}

vrt_status vrt__cuda_exec_step(cuda_ctx *c, step *s, cudaStream_t strm) {
    if (c->cat_skip[s->index] || s->fused) return VRT_OK; /* done by the producers / the next conv */
    if (s->h) return vrt__cuda_exec_half(c, s, strm);
    if (s->r) return vrt__cuda_exec_rows(c, s, strm);
    return s->exec(c, &s->b, (void *)strm);
}
