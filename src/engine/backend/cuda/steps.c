/*
 * The CUDA backend's per-op step code: parameters resolved once per node
 * (prep_step, prep_cuda), which nodes may run on fp16 NHWC storage
 * (node_half_ok; the planner is plan_half.c) and the per-op dispatch to
 * cuDNN, cuBLASLt and our kernels at run time (exec_step, exec_half).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"

#define NEED_FLOAT()                                                                                         \
    do {                                                                                                     \
        if (!is_f(s->ti[0]->dtype))                                                                          \
            return vrt__cuda_nfail(                                                                          \
                c, n, VRT_EUNSUPPORTED,                                                                      \
                "data type %s is not supported by the CUDA backend; supported: float32, float16",            \
                vrt__dtype_name(s->ti[0]->dtype));                                                           \
    } while (0)

/* The integer element types the typed kernels (binary, MaxPool, TopK, Cast) take. */
static int is_int_type(vrt__dtype d) {
    return d == VRT__DT_INT64 || d == VRT__DT_INT32 || d == VRT__DT_INT16 || d == VRT__DT_INT8 ||
           d == VRT__DT_UINT64 || d == VRT__DT_UINT32 || d == VRT__DT_UINT16 || d == VRT__DT_UINT8;
}

/* Resolves node parameters into the step (no pointers yet). Accepts every
 * element type (combination) the CPU backend's prep_step accepts. */
vrt_status vrt__cuda_prep_step(cuda_ctx *c, step *s) {
    const vrt__node *n = s->n;
    vrt_status st = VRT_OK;
    char kerr[256] = "";
    s->act = vrt__op_activation(n);
    vrt__binary_op bop = VRT__BIN_ADD;
    int r = s->nin && s->ti[0] ? s->ti[0]->shape.ndim : 0;
    switch ((vrt__op)n->op) {
    case VRT__OP_Conv:
    case VRT__OP_ConvTranspose: {
        NEED_FLOAT();
        st = vrt__op_conv_params(n, SI(s, 0), SI(s, 1), SO(s, 0), s->act, &s->u.conv, kerr, sizeof(kerr));
        break;
    }
    case VRT__OP_MaxPool:
    case VRT__OP_AveragePool: {
        /* 8-bit MaxPool (as the CPU): our typed kernel, exact (a max picks an input value). */
        if (!(n->op == VRT__OP_MaxPool && (s->dt == VRT__DT_UINT8 || s->dt == VRT__DT_INT8))) NEED_FLOAT();
        st = vrt__op_pool_params(n, SI(s, 0), SO(s, 0), &s->u.pool, kerr, sizeof(kerr));
        break;
    }
    case VRT__OP_GlobalAveragePool:
    case VRT__OP_GlobalMaxPool:
    case VRT__OP_BatchNormalization:
    case VRT__OP_InstanceNormalization:
    case VRT__OP_Softmax:
    case VRT__OP_LogSoftmax:
    case VRT__OP_LRN:
        NEED_FLOAT();
        if (n->op == VRT__OP_Softmax || n->op == VRT__OP_LogSoftmax) vrt__op_softmax_params(n, &s->u.sm);
        if (n->op == VRT__OP_LRN && r < 2)
            return vrt__cuda_nfail(c, n, VRT_EINVAL, "input needs a channel dimension");
        break;
    case VRT__OP_LayerNormalization: {
        NEED_FLOAT();
        int64_t outer, inner;
        if ((st = vrt__layernorm_split(SI(s, 0), vrt__node_get_int(n, "axis", -1), &outer, &inner))) break;
        s->iv[0] = outer, s->iv[1] = inner;
        for (int k = 1; k < s->nout; k++)
            if (s->to[k] && !is_f(s->to[k]->dtype))
                return vrt__cuda_nfail(c, n, VRT_EUNSUPPORTED, "stash_type must be float");
        break;
    }
    case VRT__OP_Gemm: {
        NEED_FLOAT();
        vrt__op_gemm_params(n, SI(s, 0), s->nin > 2 && s->ti[2] ? SI(s, 2) : NULL, SO(s, 0), s->act,
                            &s->u.gemm);
        break;
    }
    case VRT__OP_MatMul: NEED_FLOAT(); break;
    case VRT__OP_Relu:
    case VRT__OP_LeakyRelu:
    case VRT__OP_Sigmoid:
    case VRT__OP_Tanh:
    case VRT__OP_HardSigmoid:
    case VRT__OP_HardSwish:
    case VRT__OP_Clip:
    case VRT__OP_Erf:
    case VRT__OP_Exp:
    case VRT__OP_Log:
    case VRT__OP_Sqrt:
    case VRT__OP_Neg:
    case VRT__OP_Abs:
    case VRT__OP_Reciprocal:
        vrt__op_unary_params(n, &s->u.un);
        if (!is_f(s->ti[0]->dtype)) {
            vrt__dtype d = s->ti[0]->dtype;
            int intok = (n->op == VRT__OP_Relu || n->op == VRT__OP_Neg || n->op == VRT__OP_Abs ||
                         n->op == VRT__OP_Clip) &&
                        (d == VRT__DT_INT64 || d == VRT__DT_INT32 || d == VRT__DT_INT8 || d == VRT__DT_UINT8);
            if (!intok) NEED_FLOAT();
        }
        break;
    case VRT__OP_Add:
    case VRT__OP_Sub:
    case VRT__OP_Mul:
    case VRT__OP_Div:
    case VRT__OP_Pow:
    case VRT__OP_PRelu:
    case VRT__OP_Sum:
    case VRT__OP_Max:
    case VRT__OP_Min: {
        vrt__op_binary_of(n->op, &bop);
        s->sub = bop;
        vrt__dtype d = s->dt;
        /* Every type vrt__cuda_binary computes in (int8..uint64 exactly as the
         * CPU backend: see cuda_kernels.h); PRelu on float only. */
        if (!vrt__cuda_binary_type_ok(d) || (n->op == VRT__OP_PRelu && d != VRT__DT_FLOAT))
            return vrt__cuda_nfail(
                c, n, VRT_EUNSUPPORTED,
                "data type %s is not supported by the CUDA backend; supported: float32, float16, "
                "int8/16/32/64, uint8/16/32/64 (PRelu: float32, float16)",
                vrt__dtype_name(s->ti[0]->dtype));
        for (int k = 1; k < s->nin; k++) {
            if (!s->ti[k]) continue;
            vrt__dtype dk = vrt__plan_dtype(s->ti[k]->dtype);
            if (dk == d) continue;
            /* Pow with a float base and an exponent of another type: the
             * exponent is converted to fp32 into scratch at run (as the CPU). */
            if (n->op == VRT__OP_Pow && d == VRT__DT_FLOAT && dk != VRT__DT_BOOL && vrt__dtype_size(dk) > 0) {
                s->sub |= 0x100;
                need_scratch(c, (size_t)vrt__shape_numel(SI(s, 1)) * 4 + 64);
                continue;
            }
            /* Integer base, float exponent: pow in fp32, truncated back to the
             * base's type (numpy's astype), as the CPU; one kernel, no scratch. */
            if (n->op == VRT__OP_Pow && s->nin == 2 && is_int_type(d) && dk == VRT__DT_FLOAT) {
                s->sub |= 0x400;
                continue;
            }
            return vrt__cuda_nfail(c, n, VRT_EUNSUPPORTED, "mixed input types %s and %s are not supported",
                                   vrt__dtype_name(s->ti[0]->dtype), vrt__dtype_name(s->ti[k]->dtype));
        }
        break;
    }
    case VRT__OP_Equal:
    case VRT__OP_Greater:
    case VRT__OP_Less: {
        s->sub = n->op == VRT__OP_Equal     ? VRT__CMP_EQUAL
                 : n->op == VRT__OP_Greater ? VRT__CMP_GREATER
                                            : VRT__CMP_LESS;
        vrt__dtype d = s->dt;
        if (d != VRT__DT_FLOAT && d != VRT__DT_INT64 && d != VRT__DT_INT32 &&
            !(d == VRT__DT_BOOL && n->op == VRT__OP_Equal))
            return vrt__cuda_nfail(
                c, n, VRT_EUNSUPPORTED,
                "data type %s is not supported by the CUDA backend; supported: float32, float16, "
                "int32, int64",
                vrt__dtype_name(s->ti[0]->dtype));
        if (vrt__plan_dtype(s->ti[1]->dtype) != d)
            return vrt__cuda_nfail(c, n, VRT_EUNSUPPORTED, "mixed input types are not supported");
        break;
    }
    case VRT__OP_Not:
    case VRT__OP_Where:
    case VRT__OP_Identity:
    case VRT__OP_Dropout:
    case VRT__OP_Reshape:
    case VRT__OP_Flatten:
    case VRT__OP_Squeeze:
    case VRT__OP_Unsqueeze:
    case VRT__OP_Concat:
    case VRT__OP_Split:
    case VRT__OP_Expand: break;
    case VRT__OP_Slice: {
        st = vrt__op_slice_params(n, SI(s, 0), SO(s, 0), &s->u.sl, kerr, sizeof(kerr));
        break;
    }
    case VRT__OP_Transpose:
    case VRT__OP_Tile: st = vrt__op_perm_params(n, s->iv, &s->niv, kerr, sizeof(kerr)); break;
    case VRT__OP_Gather: s->iv[0] = vrt__node_get_int(n, "axis", 0); break;
    case VRT__OP_Pad: {
        st = vrt__op_pad_params(n, r, s->dt, s->value, &s->u.pad, kerr, sizeof(kerr));
        break;
    }
    case VRT__OP_DepthToSpace:
    case VRT__OP_SpaceToDepth: vrt__op_depth_space_params(n, &s->iv[0], &s->sub); break;
    case VRT__OP_Cast: {
        vrt__dtype to = (vrt__dtype)vrt__node_get_int(n, "to", 1);
        s->sub = to;
        /* saturate and round_mode (float8 targets), read as the CPU reads them. */
        const char *rm = vrt__node_get_string(n, "round_mode", "up");
        s->iv[0] = vrt__node_get_int(n, "saturate", 1);
        s->iv[1] = !strcmp(rm, "down") ? 1 : !strcmp(rm, "nearest") ? 2 : 0;
        break;
    }
    case VRT__OP_ConstantOfShape: vrt__op_constant_value(n, s->value); break;
    case VRT__OP_Resize: {
        NEED_FLOAT();
        vrt__resize_params *p = &s->u.resize;
        if ((st = vrt__op_resize_params(n, SI(s, 0), SO(s, 0), p, kerr, sizeof(kerr)))) break;
        need_scratch(c, vrt__cuda_resize_scratch_bytes(p, SI(s, 0), SO(s, 0)));
        break;
    }
    case VRT__OP_ReduceMean:
    case VRT__OP_ReduceMax:
    case VRT__OP_ReduceSum: {
        NEED_FLOAT();
        vrt__op_reduce_params(n, &s->u.red);
        s->sub = s->u.red.naxes == 0; /* no axis: a copy */
        break;
    }
    case VRT__OP_ArgMax:
        NEED_FLOAT();
        vrt__op_argmax_params(n, &s->u.am);
        break;
    case VRT__OP_TopK:
        if (!vrt__cuda_topk_type_ok(s->dt))
            return vrt__cuda_nfail(
                c, n, VRT_EUNSUPPORTED,
                "data type %s is not supported by the CUDA backend; supported: float32, float16, "
                "int8/16/32/64, uint8/16/32/64",
                vrt__dtype_name(s->ti[0]->dtype));
        vrt__op_topk_params(n, &s->u.tk);
        need_scratch(c, vrt__cuda_topk_scratch_bytes(&s->u.tk, SI(s, 0)));
        break;
    default: return vrt__cuda_nfail(c, n, VRT_EUNSUPPORTED, "the CUDA backend has no kernel for this op");
    }
    if (st) return vrt__cuda_nfail(c, n, st, "%s", kerr[0] ? kerr : "parameters not supported by the kernel");
    return VRT_OK;
}

/* CUDA-only preparation after vrt__cuda_prep_step: conv/gemm objects and scratch for
 * the casts done in scratch. */
vrt_status vrt__cuda_prep_cuda(cuda_ctx *c, step *s) {
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
        d.math = c->math;
        d.nhwc_half = s->h;
        if (d.transpose) d.p.act = s->act;
        if ((st = vrt__cuda_conv_create(c->dnn, &d, &s->conv, e2, sizeof(e2))))
            return vrt__cuda_nfail(c, n, st, "cuDNN: %s", e2);
        need_scratch(c, vrt__cuda_conv_scratch_bytes(s->conv));
        int64_t M = s->u.conv.M;
        if ((size_t)M > c->zero_bias_n) c->zero_bias_n = (size_t)M;
        break;
    }
    case VRT__OP_Gemm:
        if ((st = vrt__cuda_gemm_create_gemm(c->lt, &s->u.gemm, s->nin > 2 && s->ti[2], c->math, LT_WS_LIMIT,
                                             &s->gemm, e2, sizeof(e2))))
            return vrt__cuda_nfail(c, n, st, "cuBLASLt: %s", e2);
        break;
    case VRT__OP_MatMul:
        if ((st = vrt__cuda_gemm_create_matmul(c->lt, SI(s, 0), SI(s, 1), &s->act, c->math, LT_WS_LIMIT,
                                               &s->gemm, e2, sizeof(e2))))
            return vrt__cuda_nfail(c, n, st, "cuBLASLt: %s", e2);
        break;
    case VRT__OP_LRN:
        if (SI(s, 0)->ndim < 2) return vrt__cuda_nfail(c, n, VRT_EINVAL, "input needs a channel dimension");
        break;
    default: break;
    }
    return VRT_OK;
}

/* One step per node: its tensors bound to device pointers, its parameters
 * resolved (prep_step) and its cuDNN / cuBLASLt objects made (prep_cuda). */
vrt_status vrt__cuda_build_steps(cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    vrt_status st;
    for (int i = 0; i < ir->n_nodes; i++) {
        step *s = &c->steps[c->n_steps++];
        const vrt__node *n = &ir->nodes[i];
        s->n = n;
        if (n->n_inputs > MAXIO || n->n_outputs > MAXIO)
            return vrt__cuda_nfail(c, n, VRT_EUNSUPPORTED, "more than %d inputs or outputs", MAXIO);
        s->nin = n->n_inputs;
        s->nout = n->n_outputs;
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            s->ti[k] = t >= 0 ? &ir->tensors[t] : NULL;
            s->in[k] = t >= 0 ? c->ptr[t] : NULL;
        }
        for (int k = 0; k < n->n_outputs; k++) {
            int t = n->outputs[k];
            s->to[k] = t >= 0 ? &ir->tensors[t] : NULL;
            s->out[k] = t >= 0 ? c->ptr[t] : NULL;
        }
        if ((!s->nin || !s->ti[0]) && n->op != VRT__OP_ConstantOfShape)
            return vrt__cuda_nfail(c, n, VRT_EUNSUPPORTED, "first input missing");
        s->dt = s->nin && s->ti[0] ? vrt__plan_dtype(s->ti[0]->dtype) : VRT__DT_FLOAT;
        s->elem = s->nout && s->to[0] ? vrt__plan_elem_size(s->to[0]->dtype) : 4;
        s->h = c->hnode[i];
        if ((st = vrt__cuda_prep_step(c, s)) || (st = vrt__cuda_prep_cuda(c, s))) return st;
    }
    return VRT_OK;
}

/* VRT_CUDA_HALF_SKIP (debugging: bisecting an fp16 difference): a comma list
 * of what stays fp32 NCHW: "group" (grouped convs), "pool" (Max/AveragePool),
 * "gap", "conv", "from=N" / "to=N" (only nodes N.. / ..N-1 may be fp16). */
static int half_skipped(const cuda_ctx *c, int i) {
    const char *sk = c->half_skip;
    if (!sk || !sk[0]) return 0;
    const vrt__node *n = &c->ir->nodes[i];
    const char *f = strstr(sk, "from="), *t = strstr(sk, "to=");
    if (f && i < atoi(f + 5)) return 1;
    if (t && i >= atoi(t + 3)) return 1;
    if (strstr(sk, "group") && n->op == VRT__OP_Conv && vrt__node_get_int(n, "group", 1) > 1) return 1;
    if (strstr(sk, "pool") && (n->op == VRT__OP_MaxPool || n->op == VRT__OP_AveragePool)) return 1;
    if (strstr(sk, "gap") && n->op == VRT__OP_GlobalAveragePool) return 1;
    if (strstr(sk, "conv") && n->op == VRT__OP_Conv) return 1;
    return 0;
}

int vrt__cuda_node_half_ok(const cuda_ctx *c, int i) {
    const vrt__node *n = &c->ir->nodes[i];
    if (c->math != VRT__CUDA_MATH_FP16 || c->plan->node_const[i]) return 0;
    if (half_skipped(c, i)) return 0;
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return 0;
    const vrt__tensor *x = &c->ir->tensors[n->inputs[0]], *y = &c->ir->tensors[n->outputs[0]];
    if (!is_f(x->dtype) || !is_f(y->dtype) || x->shape.ndim != 4 || y->shape.ndim != 4) return 0;
    int cnt;
    const int64_t *v;
    if ((v = vrt__node_get_ints(n, "pads", &cnt)) && cnt == 4 && (v[0] != v[2] || v[1] != v[3])) return 0;
    /* SAME_UPPER / SAME_LOWER may pad asymmetrically (cuDNN's NHWC paths only know symmetric pads). */
    const char *ap = vrt__node_get_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID")) return 0;
    if (n->op == VRT__OP_Concat) {
        /* Channel Concat of fp16 NHWC activations stays fp16 NHWC (no
         * conversions around it); VRT_CUDA_HALF_CONCAT=0 turns that off. */
        const char *hc = getenv("VRT_CUDA_HALF_CONCAT");
        int64_t ax = vrt__node_get_int(n, "axis", 0);
        if ((hc && !strcmp(hc, "0")) || (ax != 1 && ax != -3) || n->n_inputs > 8 || n->n_outputs != 1)
            return 0;
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < 0 || !is_f(c->ir->tensors[t].dtype) || c->ir->tensors[t].shape.ndim != 4 ||
                c->plan->t[t].storage != VRT__ST_ARENA)
                return 0;
        }
        return 1;
    }
    if (n->op == VRT__OP_Add) {
        /* Same-shape Add (a residual): element-wise, so it runs on fp16 NHWC as is. */
        if (n->n_inputs != 2 || n->inputs[1] < 0 || n->n_outputs != 1) return 0;
        const vrt__tensor *b = &c->ir->tensors[n->inputs[1]];
        return is_f(b->dtype) && vrt__op_same_shape(&x->shape, &y->shape) &&
               vrt__op_same_shape(&b->shape, &y->shape) && c->plan->t[n->inputs[1]].storage == VRT__ST_ARENA;
    }
    if (n->op == VRT__OP_Resize) {
        /* Nearest upsampling by integer factors over H and W (YOLO necks):
         * asymmetric coordinates with floor, or round_prefer_floor at factor
         * <= 2, where both give source = destination / factor. */
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
    if (n->op == VRT__OP_Conv) {
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
        return n->n_inputs <= 4 && n->n_outputs == 1;
    }
    if (n->op == VRT__OP_MaxPool || n->op == VRT__OP_AveragePool) {
        if (n->n_outputs > 1 && n->outputs[1] >= 0) return 0;
        if (vrt__node_get_int(n, "ceil_mode", 0)) return 0;
        if ((v = vrt__node_get_ints(n, "dilations", &cnt)) && (cnt != 2 || v[0] != 1 || v[1] != 1)) return 0;
        return (v = vrt__node_get_ints(n, "kernel_shape", &cnt)) && cnt == 2;
    }
    return n->op == VRT__OP_GlobalAveragePool;
}

/* A conv step on our implicit GEMM (config own - 1): the fp32 NCHW <-> fp16
 * NHWC conversions of its operands happen inside the kernel (no extra launches). */
static vrt_status own_conv(cuda_ctx *c, step *s, cudaStream_t strm, int own) {
    vrt__cuda_igemm g = s->ig;
    g.cfg = own - 1;
    g.in_f32 = s->cx, g.res_f32 = s->cr, g.out_f32 = s->cy;
    const void *x = s->ig.focus ? s->focus_x : s->dwf ? c->steps[s->dwf - 1].hx : s->cx ? s->in[0] : s->hx;
    const void *r = s->cr ? s->in[3] : s->hr;
    void *y = s->cy ? s->out[0] : s->hy;
    vrt_status st = vrt__cuda_conv_igemm_half((void *)strm, &g, x, s->hw, s->hb, r, y, &s->u.conv.act);
    return st ? vrt__cuda_nfail(c, s->n, st, "%s", vrt__cuda_igemm_error()) : VRT_OK;
}

vrt_status vrt__cuda_exec_half(cuda_ctx *c, step *s, cudaStream_t strm) {
    void *stv = (void *)strm;
    const vrt__node *n = s->n;
    vrt_status st = VRT_OK;
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
    } else if (n->op == VRT__OP_Resize) {
        if ((st = vrt__cuda_upsample_nhwc_half(stv, s->hx, s->hy, (int)x->d[0], (int)x->d[2], (int)x->d[3],
                                               (int)x->d[1], (int)(y->d[2] / x->d[2]),
                                               (int)(y->d[3] / x->d[3]))))
            return vrt__cuda_kfail(c, n, st);
    } else if (n->op == VRT__OP_MaxPool && !s->pool_dnn) {
        const vrt__pool_params *pp = &s->u.pool;
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
        if ((st = vrt__cuda_dwconv_nhwc_half(stv, s->hx, s->hw, s->hb, s->hr, s->hy, &s->dws, &s->u.conv.act,
                                             c->dw8 ? s->dwt : NULL)))
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
    const vrt__node *n = s->n;
    if (c->cat_skip[n - c->ir->nodes] || s->fused) return VRT_OK; /* done by the producers / the next conv */
    if (s->h) return vrt__cuda_exec_half(c, s, strm);
    void *stv = (void *)strm;
    vrt_status st = VRT_OK;
    int64_t on = s->nout && s->to[0] ? vrt__shape_numel(SO(s, 0)) : 0;
    switch ((vrt__op)n->op) {
    case VRT__OP_Conv:
    case VRT__OP_ConvTranspose:
        st = vrt__cuda_conv_run(s->conv, strm, s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL, c->zero_bias,
                                n->op == VRT__OP_Conv && s->nin > 3 ? s->in[3] : NULL, s->out[0], c->scratch,
                                c->ws, c->err, sizeof(c->err));
        if (st) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return vrt__cuda_nfail(c, n, st, "%s", d);
        }
        return VRT_OK;
    case VRT__OP_Gemm:
    case VRT__OP_MatMul:
        st = vrt__cuda_gemm_run(s->gemm, strm, s->in[0], s->in[1],
                                n->op == VRT__OP_Gemm && s->nin > 2 ? s->in[2] : NULL, s->out[0], c->lt_ws,
                                c->lt_ws_bytes, c->err, sizeof(c->err));
        if (st) {
            char d[400];
            snprintf(d, sizeof(d), "%s", c->err);
            return vrt__cuda_nfail(c, n, st, "%s", d);
        }
        return VRT_OK;
    case VRT__OP_MaxPool:
        st = vrt__cuda_maxpool_typed(stv, &s->u.pool, s->dt, s->in[0], s->out[0],
                                     s->nout > 1 ? s->out[1] : NULL,
                                     (int)vrt__node_get_int(s->n, "storage_order", 0) == 1);
        break;
    case VRT__OP_AveragePool: st = vrt__cuda_avgpool(stv, &s->u.pool, s->in[0], s->out[0]); break;
    case VRT__OP_GlobalAveragePool:
    case VRT__OP_GlobalMaxPool: {
        const vrt__shape *x = SI(s, 0);
        int64_t sp = 1;
        for (int i = 2; i < x->ndim; i++)
            sp *= x->d[i];
        st = (n->op == VRT__OP_GlobalAveragePool ? vrt__cuda_global_avgpool : vrt__cuda_global_maxpool)(
            stv, x->d[0], x->d[1], sp, s->in[0], s->out[0]);
        break;
    }
    case VRT__OP_BatchNormalization:
    case VRT__OP_InstanceNormalization: {
        const vrt__shape *x = SI(s, 0);
        int64_t sp = 1;
        for (int i = 2; i < x->ndim; i++)
            sp *= x->d[i];
        float eps = vrt__node_get_float(n, "epsilon", 1e-5f);
        if (n->op == VRT__OP_BatchNormalization)
            st = vrt__cuda_batchnorm(stv, x->d[0], x->d[1], sp, s->in[0], s->in[1], s->in[2], s->in[3],
                                     s->in[4], eps, s->out[0]);
        else
            st = vrt__cuda_instancenorm(stv, x->d[0], x->d[1], sp, s->in[0], s->in[1], s->in[2], eps,
                                        s->out[0]);
        break;
    }
    case VRT__OP_LayerNormalization:
        st = vrt__cuda_layernorm(stv, s->iv[0], s->iv[1], s->in[0], s->in[1], s->nin > 2 ? s->in[2] : NULL,
                                 vrt__node_get_float(n, "epsilon", 1e-5f), s->out[0],
                                 s->nout > 1 ? s->out[1] : NULL, s->nout > 2 ? s->out[2] : NULL);
        break;
    case VRT__OP_LRN: {
        const vrt__shape *x = SI(s, 0);
        int64_t sp = 1;
        for (int i = 2; i < x->ndim; i++)
            sp *= x->d[i];
        st = vrt__cuda_lrn(stv, s->in[0], s->out[0], x->d[0], x->d[1], sp, vrt__node_get_int(n, "size", 1),
                           vrt__node_get_float(n, "alpha", 1e-4f), vrt__node_get_float(n, "beta", 0.75f),
                           vrt__node_get_float(n, "bias", 1.0f));
        break;
    }
    case VRT__OP_Relu:
    case VRT__OP_LeakyRelu:
    case VRT__OP_Sigmoid:
    case VRT__OP_Tanh:
    case VRT__OP_HardSigmoid:
    case VRT__OP_HardSwish:
    case VRT__OP_Clip:
    case VRT__OP_Erf:
    case VRT__OP_Exp:
    case VRT__OP_Log:
    case VRT__OP_Sqrt:
    case VRT__OP_Neg:
    case VRT__OP_Abs:
    case VRT__OP_Reciprocal:
        if (s->dt == VRT__DT_FLOAT) {
            st = vrt__cuda_unary_f32(stv, &s->u.un, s->in[0], s->out[0], on);
        } else {
            int op = n->op == VRT__OP_Relu ? 0 : n->op == VRT__OP_Neg ? 1 : n->op == VRT__OP_Abs ? 2 : 3;
            st = vrt__cuda_int_unary(stv, op, (int)vrt__dtype_size(s->dt), s->dt == VRT__DT_UINT8, s->in[0],
                                     s->out[0], on, (double)s->u.un.min, (double)s->u.un.max);
        }
        break;
    case VRT__OP_Add:
    case VRT__OP_Sub:
    case VRT__OP_Mul:
    case VRT__OP_Div:
    case VRT__OP_Pow:
    case VRT__OP_PRelu:
    case VRT__OP_Sum:
    case VRT__OP_Max:
    case VRT__OP_Min: {
        vrt__binary_op op = (vrt__binary_op)(s->sub & 0xff);
        if (s->nin == 1) {
            st = vrt__cuda_copy(stv, s->in[0], s->out[0], (size_t)on * s->elem);
            break;
        }
        const void *b = s->in[1];
        if (s->sub & 0x400) {
            st = vrt__cuda_pow_int_base(stv, s->dt, s->in[0], SI(s, 0), (const float *)b, SI(s, 1), s->out[0],
                                        SO(s, 0));
            break;
        }
        if (s->sub & 0x100) {
            int64_t nb = vrt__shape_numel(SI(s, 1));
            if ((st =
                     vrt__cuda_cast(stv, vrt__plan_dtype(s->ti[1]->dtype), b, VRT__DT_FLOAT, c->scratch, nb)))
                break;
            b = c->scratch;
        }
        st = vrt__cuda_binary(stv, op, s->dt, s->in[0], SI(s, 0), b, SI(s, 1), s->out[0], SO(s, 0));
        for (int k = 2; !st && k < s->nin; k++)
            st = vrt__cuda_binary(stv, op, s->dt, s->out[0], SO(s, 0), s->in[k], SI(s, k), s->out[0],
                                  SO(s, 0));
        if (!st && s->act.kind != VRT__ACT_NONE)
            st = vrt__cuda_epilogue(stv, s->out[0], on, NULL, 0, 1, 1, 0, 0, NULL, &s->act);
        break;
    }
    case VRT__OP_Equal:
    case VRT__OP_Greater:
    case VRT__OP_Less:
        st = vrt__cuda_compare(stv, (vrt__compare_op)s->sub, s->dt, s->in[0], SI(s, 0), s->in[1], SI(s, 1),
                               s->out[0], SO(s, 0));
        break;
    case VRT__OP_Not: st = vrt__cuda_not(stv, s->in[0], s->out[0], on); break;
    case VRT__OP_Where:
        st = vrt__cuda_where(stv, s->in[0], SI(s, 0), s->in[1], SI(s, 1), s->in[2], SI(s, 2), s->elem,
                             s->out[0], SO(s, 0));
        break;
    case VRT__OP_Identity:
    case VRT__OP_Dropout:
    case VRT__OP_Reshape:
    case VRT__OP_Flatten:
    case VRT__OP_Squeeze:
    case VRT__OP_Unsqueeze:
        if (s->out[0] != s->in[0]) st = vrt__cuda_copy(stv, s->in[0], s->out[0], (size_t)on * s->elem);
        if (!st && n->op == VRT__OP_Dropout && s->nout > 1 && s->out[1]) {
            uint8_t one = 1;
            st = vrt__cuda_fill(stv, &one, 1, s->out[1], vrt__shape_numel(SO(s, 1)));
        }
        break;
    case VRT__OP_Concat: {
        vrt__shape shapes[MAXIO];
        for (int k = 0; k < s->nin; k++)
            shapes[k] = *SI(s, k);
        st = vrt__cuda_concat(stv, vrt__node_get_int(n, "axis", 0), s->nin, (const void *const *)s->in,
                              shapes, s->elem, s->out[0]);
        break;
    }
    case VRT__OP_Split: {
        int cnt;
        const int64_t *sizes = vrt__node_get_ints(n, "split", &cnt);
        st = vrt__cuda_split(stv, vrt__node_get_int(n, "axis", 0), s->in[0], SI(s, 0), s->elem, s->nout,
                             sizes, (void *const *)s->out);
        break;
    }
    case VRT__OP_Slice: st = vrt__cuda_slice(stv, &s->u.sl, s->in[0], SI(s, 0), s->elem, s->out[0]); break;
    case VRT__OP_Transpose:
        st = vrt__cuda_transpose(stv, s->iv, s->niv, s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_Tile: st = vrt__cuda_tile(stv, s->in[0], SI(s, 0), s->elem, s->iv, s->out[0]); break;
    case VRT__OP_Expand: st = vrt__cuda_expand(stv, s->in[0], SI(s, 0), s->elem, s->out[0], SO(s, 0)); break;
    case VRT__OP_Gather:
        st = vrt__cuda_gather(stv, s->iv[0], s->in[0], SI(s, 0), s->elem, s->in[1],
                              vrt__plan_dtype(s->ti[1]->dtype), SI(s, 1), s->out[0]);
        break;
    case VRT__OP_Pad: st = vrt__cuda_pad(stv, &s->u.pad, s->in[0], SI(s, 0), s->elem, s->out[0]); break;
    case VRT__OP_DepthToSpace:
        st = vrt__cuda_depth_to_space(stv, s->iv[0], s->sub, s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_SpaceToDepth:
        st = vrt__cuda_space_to_depth(stv, s->iv[0], s->in[0], SI(s, 0), s->elem, s->out[0]);
        break;
    case VRT__OP_Cast:
        /* One kernel, the CPU's rules: held as fp32 or int8/uint8, a cast to
         * fp16, bfloat16, float8 or float4 rounds to the type's precision, to
         * 4-/2-bit ints wraps (cuda_kernels.h). */
        st = vrt__cuda_cast_node(stv, s->ti[0]->dtype, s->in[0], (vrt__dtype)s->sub, s->out[0], on,
                                 (int)s->iv[0], (int)s->iv[1]);
        break;
    case VRT__OP_ConstantOfShape: st = vrt__cuda_fill(stv, s->value, s->elem, s->out[0], on); break;
    case VRT__OP_Resize:
        st = vrt__cuda_resize_f32(stv, &s->u.resize, s->in[0], SI(s, 0), s->out[0], SO(s, 0), c->scratch);
        break;
    case VRT__OP_Softmax:
    case VRT__OP_LogSoftmax: st = vrt__cuda_softmax_f32(stv, &s->u.sm, s->in[0], SI(s, 0), s->out[0]); break;
    case VRT__OP_ReduceMean:
    case VRT__OP_ReduceMax:
    case VRT__OP_ReduceSum:
        if (s->sub)
            st = vrt__cuda_copy(stv, s->in[0], s->out[0], (size_t)on * s->elem);
        else
            st = vrt__cuda_reduce_f32(stv, &s->u.red, s->in[0], SI(s, 0), s->out[0]);
        break;
    case VRT__OP_ArgMax: st = vrt__cuda_argmax_f32(stv, &s->u.am, s->in[0], SI(s, 0), s->out[0]); break;
    case VRT__OP_TopK:
        st = vrt__cuda_topk(stv, &s->u.tk, s->dt, s->in[0], SI(s, 0), s->out[0],
                            s->nout > 1 ? s->out[1] : NULL, c->scratch);
        break;
    default: return vrt__cuda_nfail(c, n, VRT_EUNSUPPORTED, "no CUDA kernel for this op");
    }
    if (st) return vrt__cuda_kfail(c, n, st);
    return VRT_OK;
}
