/*
 * The CUDA backend's fp16 rows plan (precision fp16, option half_rows):
 * transformer tensors held as fp16 in their ONNX layout between the ops that
 * take them, so a ViT block reads and writes half the bytes and its GEMMs
 * run on fp16 operands (fp32 accumulation everywhere). The fp16 NHWC plan
 * (plan_half.c) keeps the conv chains; this one takes what it leaves:
 * MatMul (cuBLASLt with fp16 A, B, Y and bias), VrtAttention (the tensor-core
 * kernel's fp16 I/O), LayerNormalization / VrtAddLayerNorm, Add/Sub/Mul/Div
 * and the data-movement ops (reshapes, Transpose, Slice, Concat, Split,
 * Gather, Expand, which move 2-byte elements as they move 4-byte ones).
 *
 * A tensor is held in fp16 rows when it is a float arena activation (or a
 * view of one), not a graph output, made by a rows node and read only by rows
 * nodes in slots that take fp16 (LayerNorm's scale and bias, the attention
 * mask, shapes and indices stay as they are). A rows node converts an
 * activation it reads as fp16 but which is held fp32 (a conv's output, a
 * graph input) into a slot of a shared buffer first, and an output held fp32
 * after; a weight it reads as fp16 is copied to fp16 once at prepare. A node
 * with no fp16 rows tensor on either side is not worth its conversions and
 * runs fp32. Runs once at prepare; nothing here allocates on the frame path.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"

#define RMAX 4 /* inputs / outputs a rows step takes */

static int is_float_tensor(const vrt__ir *ir, int t) {
    return t >= 0 && vrt__plan_dtype(ir->tensors[t].dtype) == VRT__DT_FLOAT;
}

static int is_copy_op(int op) {
    switch ((vrt__op)op) {
    case VRT__OP_Reshape:
    case VRT__OP_Flatten:
    case VRT__OP_Squeeze:
    case VRT__OP_Unsqueeze:
    case VRT__OP_Identity:
    case VRT__OP_Transpose:
    case VRT__OP_Slice:
    case VRT__OP_Concat:
    case VRT__OP_Split:
    case VRT__OP_Gather:
    case VRT__OP_Expand: return 1;
    default: return 0;
    }
}

int vrt__cuda_rows_slot(const vrt__node *n, int k) {
    switch ((vrt__op)n->op) {
    case VRT__OP_MatMul:
    case VRT__OP_VrtAttention: return k <= 2; /* the mask stays fp32 */
    case VRT__OP_LayerNormalization: return k == 0;
    case VRT__OP_VrtAddLayerNorm: return k <= 1;
    case VRT__OP_Add:
    case VRT__OP_Sub:
    case VRT__OP_Mul:
    case VRT__OP_Div: return k <= 1;
    case VRT__OP_Concat: return 1;
    default: return k == 0 && is_copy_op(n->op);
    }
}

/* A constant float input that fp16 holds (|w| <= 65504 everywhere). */
static int const_fits(const vrt__tensor *t) {
    if (t->dtype != VRT__DT_FLOAT) return t->dtype == VRT__DT_FLOAT16;
    const float *v = t->data;
    for (size_t i = 0; i < t->nbytes / sizeof(float); i++)
        if (!(fabsf(v[i]) <= 65504.0f)) return 0;
    return 1;
}

/* The attention's head dims fit the tensor-core kernel (the only one with fp16 I/O). */
static int attention_ok(const cuda_ctx *c, const vrt__node *n) {
    const vrt__ir *ir = c->ir;
    vrt__attn_params p;
    const vrt__shape *m = n->n_inputs > 3 && n->inputs[3] >= 0 ? &ir->tensors[n->inputs[3]].shape : NULL;
    if (n->n_inputs < 3 ||
        vrt__op_attention_params(n, &ir->tensors[n->inputs[0]].shape, &ir->tensors[n->inputs[1]].shape,
                                 &ir->tensors[n->inputs[2]].shape, m, &ir->tensors[n->outputs[0]].shape, &p,
                                 NULL, 0))
        return 0;
    return vrt__cuda_attention_tc_ok(&p);
}

/* Per op, beyond the common rules of rows_node_ok. */
static int rows_op_ok(const cuda_ctx *c, const vrt__node *n) {
    const vrt__ir *ir = c->ir;
    switch ((vrt__op)n->op) {
    case VRT__OP_MatMul: {
        /* K and N multiples of 8: rows of 16 bytes, which cuBLASLt's fp16 tensor-core kernels want
         * (DETR's 4-wide box layer stays fp32). */
        const vrt__tensor *a = &ir->tensors[n->inputs[0]];
        if (n->n_inputs < 2 || !is_float_tensor(ir, n->inputs[1]) || a->data || a->shape.ndim < 2 ||
            n->n_outputs != 1)
            return 0;
        const vrt__shape *bs = &ir->tensors[n->inputs[1]].shape;
        int64_t K = a->shape.d[a->shape.ndim - 1], N = bs->ndim >= 2 ? bs->d[bs->ndim - 1] : 0;
        if (K <= 0 || K % 8 || N <= 0 || N % 8) return 0;
        for (int k = 1; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0 && ir->tensors[n->inputs[k]].data &&
                !const_fits(&ir->tensors[n->inputs[k]]))
                return 0;
        return 1;
    }
    case VRT__OP_VrtAttention: return n->n_outputs == 1 && attention_ok(c, n);
    case VRT__OP_LayerNormalization: {
        int r = ir->tensors[n->inputs[0]].shape.ndim;
        int64_t ax = vrt__node_get_int(n, "axis", -1);
        for (int k = 1; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0) return 0; /* mean / inv_std: fp32 outputs of the fp32 kernel */
        return (ax == -1 || ax == r - 1) && n->n_inputs >= 2;
    }
    case VRT__OP_VrtAddLayerNorm: return n->n_inputs >= 3;
    case VRT__OP_Add:
    case VRT__OP_Sub:
    case VRT__OP_Mul:
    case VRT__OP_Div: return n->n_inputs == 2 && is_float_tensor(ir, n->inputs[1]) && n->n_outputs == 1;
    case VRT__OP_Concat: {
        for (int k = 0; k < n->n_inputs; k++)
            if (!is_float_tensor(ir, n->inputs[k])) return 0;
        return n->n_outputs == 1;
    }
    default: return is_copy_op(n->op) && (n->op == VRT__OP_Split || n->n_outputs == 1);
    }
}

/* Node i may run on fp16 rows (before looking at its neighbours). */
static int rows_node_ok(const cuda_ctx *c, int i) {
    const vrt__node *n = &c->ir->nodes[i];
    if (c->plan->node_const[i] || (c->keep32 && c->keep32[i]) || c->hnode[i]) return 0;
    if (n->n_inputs < 1 || n->n_inputs > RMAX || n->n_outputs < 1 || n->n_outputs > RMAX ||
        !is_float_tensor(c->ir, n->inputs[0]))
        return 0;
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0 && !is_float_tensor(c->ir, n->outputs[k])) return 0;
    return rows_op_ok(c, n);
}

/* The tensor whose bytes t shares (a view's base; else t); -1 when t's bytes are not an arena
 * activation (weights, constants, a view at an offset). */
static int arena_root(const cuda_ctx *c, int t) {
    const vrt__tensor_plan *p = &c->plan->t[t];
    if (p->storage == VRT__ST_ARENA) return t;
    if (p->storage == VRT__ST_VIEW && p->base >= 0 && p->view_off == 0 &&
        c->plan->t[p->base].storage == VRT__ST_ARENA)
        return p->base;
    return -1;
}

/* rfmt from rnode: every tensor a candidate on its own, then a view and its base agree. */
static void rows_tensors(cuda_ctx *c, uint8_t *ok) {
    const vrt__ir *ir = c->ir;
    for (int t = 0; t < ir->n_tensors; t++) {
        const vrt__tensor *x = &ir->tensors[t];
        ok[t] = is_float_tensor(ir, t) && !x->is_output && !x->data && x->producer >= 0 &&
                c->rnode[x->producer] && arena_root(c, t) >= 0;
    }
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0 && (!c->rnode[i] || !vrt__cuda_rows_slot(n, k))) ok[n->inputs[k]] = 0;
    }
    /* A view and its base: one storage, one format. */
    for (int t = 0; t < ir->n_tensors; t++) {
        int r = arena_root(c, t);
        if (r >= 0 && r != t && !ok[t]) ok[r] = 0;
    }
    for (int t = 0; t < ir->n_tensors; t++) {
        int r = arena_root(c, t);
        c->rfmt[t] = (uint8_t)(ok[t] && r >= 0 && ok[r]);
    }
}

/* Whether rows node i reads or writes a tensor held in fp16 rows. */
static int touches_rows(const cuda_ctx *c, int i) {
    const vrt__node *n = &c->ir->nodes[i];
    for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0 && c->rfmt[n->inputs[k]]) return 1;
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0 && c->rfmt[n->outputs[k]]) return 1;
    return 0;
}

vrt_status vrt__cuda_plan_rows(cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    c->rfmt = vrt_calloc((size_t)ir->n_tensors + 1, 1);
    c->rnode = vrt_calloc((size_t)ir->n_nodes + 1, 1);
    uint8_t *ok = vrt_calloc((size_t)ir->n_tensors + 1, 1);
    if (!c->rfmt || !c->rnode || !ok) {
        vrt_free(ok);
        return VRT_ENOMEM;
    }
    if (c->math == VRT__CUDA_MATH_FP16 && c->opt.half_rows != VRT_SWITCH_OFF) {
        for (int i = 0; i < ir->n_nodes; i++)
            c->rnode[i] = (uint8_t)rows_node_ok(c, i);
        /* A rows node with no fp16 rows tensor around it would only convert: fp32 then, and again. */
        for (int changed = 1; changed;) {
            changed = 0;
            rows_tensors(c, ok);
            for (int i = 0; i < ir->n_nodes; i++)
                if (c->rnode[i] && !touches_rows(c, i)) c->rnode[i] = 0, changed = 1;
        }
    }
    vrt_free(ok);
    return VRT_OK;
}

/* ---- prepare ---- */

static size_t half_bytes(int64_t n) {
    return ((size_t)n * 2 + 255) & ~(size_t)255;
}

/* An operand's role in a rows step: 0 as is, 1 converted per run, 2 an fp16 weight copy. */
static int in_role(const cuda_ctx *c, const step *s, int k) {
    int t = s->n->inputs[k];
    if (t < 0 || !s->in[k] || !vrt__cuda_rows_slot(s->n, k) || c->rfmt[t]) return 0;
    const vrt__tensor *x = s->ti[k];
    int host_half = x->data && (x->dtype == VRT__DT_FLOAT || x->dtype == VRT__DT_FLOAT16);
    return c->plan->t[t].storage == VRT__ST_WEIGHT && host_half ? 2 : 1;
}

/* fp16 copy of weight w into host at off (NULL host: only sizes). */
static void weight_half(const vrt__tensor *w, uint16_t *dst) {
    int64_t n = vrt__shape_numel(&w->shape);
    for (int64_t q = 0; q < n; q++)
        dst[q] = w->dtype == VRT__DT_FLOAT16 ? ((const uint16_t *)w->data)[q]
                                             : vrt__float_to_half(((const float *)w->data)[q]);
}

/* Conversion-buffer bytes of step s and the fp16 weight bytes it adds. */
static void rows_sizes(const cuda_ctx *c, step *s, size_t *conv, size_t *wb) {
    *conv = 0;
    s->rcin = s->rcout = 0;
    for (int k = 0; k < s->nin && k < RMAX; k++) {
        int role = in_role(c, s, k);
        if (role == 1) s->rcin |= 1u << k, *conv += half_bytes(vrt__shape_numel(SI(s, k)));
        if (role == 2) *wb += half_bytes(vrt__shape_numel(SI(s, k)));
    }
    for (int k = 0; k < s->nout && k < RMAX; k++)
        if (s->n->outputs[k] >= 0 && s->out[k] && !c->rfmt[s->n->outputs[k]])
            s->rcout |= 1u << k, *conv += half_bytes(vrt__shape_numel(SO(s, k)));
}

/* Points the step's rin / rout at their fp16 operands. */
static void rows_bind(cuda_ctx *c, step *s, uint16_t *host, size_t *woff) {
    size_t off = 0;
    for (int k = 0; k < s->nin && k < RMAX; k++) {
        int role = in_role(c, s, k);
        s->rin[k] = s->in[k];
        if (role == 1) {
            s->rin[k] = c->rbuf + off;
            off += half_bytes(vrt__shape_numel(SI(s, k)));
        } else if (role == 2) {
            weight_half(s->ti[k], (uint16_t *)((uint8_t *)host + *woff));
            s->rin[k] = c->rconst + *woff;
            *woff += half_bytes(vrt__shape_numel(SI(s, k)));
        }
    }
    for (int k = 0; k < s->nout && k < RMAX; k++) {
        s->rout[k] = s->out[k];
        if (s->rcout >> k & 1u) {
            s->rout[k] = c->rbuf + off;
            off += half_bytes(vrt__shape_numel(SO(s, k)));
        }
    }
}

/* The builder's step over the fp16 operands, for the data-movement kernels. */
static vrt_status rows_builder_step(step *s) {
    if (!is_copy_op(s->n->op)) return VRT_OK;
    if (!(s->rb = vrt_malloc(sizeof(*s->rb)))) return VRT_ENOMEM;
    *s->rb = s->b;
    for (int k = 0; k < s->nin && k < RMAX; k++)
        if (vrt__cuda_rows_slot(s->n, k)) s->rb->in[k] = s->rin[k];
    for (int k = 0; k < s->nout && k < RMAX; k++)
        s->rb->out[k] = s->rout[k];
    s->rb->elem = 2;
    s->rb->dt = VRT__DT_FLOAT16;
    return VRT_OK;
}

vrt_status vrt__cuda_prep_rows(cuda_ctx *c) {
    size_t conv = 0, wb = 0;
    for (int i = 0; i < c->n_steps; i++) {
        step *s = &c->steps[i];
        if (!(s->r = c->rnode[s->index])) continue;
        size_t cb = 0;
        rows_sizes(c, s, &cb, &wb);
        if (cb > conv) conv = cb;
    }
    vrt_status st = VRT_OK;
    if (conv && (st = CUCK(cudaMalloc((void **)&c->rbuf, conv)))) return st;
    uint16_t *host = NULL;
    if (wb && ((st = CUCK(cudaMalloc((void **)&c->rconst, wb))) || !(host = vrt_calloc(1, wb))))
        return st ? st : VRT_ENOMEM;
    size_t woff = 0;
    for (int i = 0; i < c->n_steps && !st; i++) {
        step *s = &c->steps[i];
        if (!s->r) continue;
        rows_bind(c, s, host, &woff);
        st = rows_builder_step(s);
    }
    if (!st && wb) st = CUCK(cudaMemcpy(c->rconst, host, wb, cudaMemcpyHostToDevice));
    vrt_free(host);
    return st;
}

/* ---- running ---- */

static vrt_status rows_op(cuda_ctx *c, step *s, cudaStream_t strm) {
    void *sv = (void *)strm;
    switch ((vrt__op)s->n->op) {
    case VRT__OP_MatMul: {
        vrt_status st = vrt__cuda_gemm_run(s->gemm, strm, s->rin[0], s->rin[1], s->nin > 2 ? s->rin[2] : NULL,
                                           s->rout[0], c->lt_ws, c->lt_ws_bytes, c->err, sizeof(c->err));
        if (st) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return vrt__cuda_nfail(c, s->n, st, "cuBLASLt: %s", d);
        }
        return VRT_OK;
    }
    case VRT__OP_VrtAttention:
        return vrt__cuda_attention_tc(sv, &s->u.attn, VRT__DT_FLOAT16, s->rin[0], s->rin[1], s->rin[2],
                                      s->nin > 3 ? s->in[3] : NULL, VRT__DT_FLOAT16, s->rout[0]);
    case VRT__OP_LayerNormalization:
        return vrt__cuda_layernorm_h(sv, s->u.ln.outer, s->u.ln.inner, s->rin[0], s->in[1],
                                     s->nin > 2 ? s->in[2] : NULL, s->u.ln.epsilon, s->rout[0]);
    case VRT__OP_VrtAddLayerNorm:
        return vrt__cuda_add_layernorm_h(sv, s->u.ln.outer, s->u.ln.inner, s->rin[0], s->rin[1], s->in[2],
                                         s->nin > 3 ? s->in[3] : NULL, s->u.ln.epsilon, s->rout[0],
                                         s->nout > 1 && s->out[1] ? s->rout[1] : NULL);
    case VRT__OP_Add:
    case VRT__OP_Sub:
    case VRT__OP_Mul:
    case VRT__OP_Div:
        return vrt__cuda_binary_h(sv, s->u.bin.op, s->rin[0], SI(s, 0), s->rin[1], SI(s, 1), s->rout[0],
                                  SO(s, 0), &s->act);
    default: return s->rb->exec(c, s->rb, sv);
    }
}

vrt_status vrt__cuda_exec_rows(cuda_ctx *c, step *s, cudaStream_t strm) {
    void *sv = (void *)strm;
    vrt_status st = VRT_OK;
    for (int k = 0; k < s->nin && k < RMAX && !st; k++)
        if (s->rcin >> k & 1u) st = vrt__cuda_f32_to_f16(sv, s->in[k], s->rin[k], vrt__shape_numel(SI(s, k)));
    if (st) return vrt__cuda_kfail(c, s->n, st);
    if ((st = rows_op(c, s, strm)))
        return s->n->op == VRT__OP_MatMul || is_copy_op(s->n->op) ? st : vrt__cuda_kfail(c, s->n, st);
    for (int k = 0; k < s->nout && k < RMAX && !st; k++)
        if (s->rcout >> k & 1u)
            st = vrt__cuda_f16_to_f32(sv, s->rout[k], s->out[k], vrt__shape_numel(SO(s, k)));
    return st ? vrt__cuda_kfail(c, s->n, st) : VRT_OK;
}
