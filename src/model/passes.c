/*
 * Graph passes over the loaded IR (see plan.h for how fusions are recorded):
 * folded nodes and Identity/Dropout removed, BatchNormalization and
 * per-channel constant Mul/Add (frozen BatchNorm, bias Adds) folded into the
 * preceding Conv, residual Add fused into a Conv, activations fused into
 * their producer, Reshape-like ops marked as views, dead nodes removed.
 *
 * Every rewrite keeps the node list topologically ordered and relinks the
 * producer/consumer tables before the next decision, so each decision sees
 * the graph as it is (the graphs are small: this is not a hot path).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/internal.h"
#include "model/lowp.h"
#include "model/op_params.h"
#include "model/plan.h"

void vrt__pass_default_opts(vrt__pass_opts *o) {
    o->fold_bn = 1;
    o->fuse_act = 1;
    o->fuse_residual = 1;
    o->remove_noops = 1;
    o->views = 1;
    o->fuse_attention = 1;
    o->fuse_layernorm = 1;
    o->fuse_gelu = 1;
    o->fuse_qdq = 1;
    o->fuse_matmul_bias = 1;
}

/* fp16, double, bfloat16, float8 and float4 are held as fp32; 4-/2-bit
 * ints one per byte as int8/uint8 (model/lowp.h). */
vrt__dtype vrt__plan_dtype(vrt__dtype dt) {
    if (dt == VRT__DT_FLOAT16 || dt == VRT__DT_DOUBLE || vrt__dtype_is_lowp_float(dt)) return VRT__DT_FLOAT;
    if (dt == VRT__DT_INT4 || dt == VRT__DT_INT2) return VRT__DT_INT8;
    if (dt == VRT__DT_UINT4 || dt == VRT__DT_UINT2) return VRT__DT_UINT8;
    return dt;
}
size_t vrt__plan_elem_size(vrt__dtype dt) {
    return vrt__dtype_size(vrt__plan_dtype(dt));
}

vrt_status vrt__bn_fold_into_conv(int64_t M, int64_t per_out, const float *w, const float *conv_bias,
                                  const float *scale, const float *bias, const float *mean, const float *var,
                                  float eps, float *w_out, float *bias_out) {
    if (M <= 0 || per_out <= 0 || !w || !scale || !bias || !mean || !var || !w_out || !bias_out)
        return VRT_EINVAL;
    for (int64_t m = 0; m < M; m++) {
        /* Computed in double, then rounded once: the folded model should
         * match the unfolded one as closely as fp32 allows. */
        double s = (double)scale[m] / sqrt((double)var[m] + (double)eps);
        for (int64_t i = 0; i < per_out; i++)
            w_out[m * per_out + i] = (float)(w[m * per_out + i] * s);
        double b0 = conv_bias ? conv_bias[m] : 0.0;
        bias_out[m] = (float)((b0 - mean[m]) * s + bias[m]);
    }
    return VRT_OK;
}

/* Removes node i (freed) keeping the order. Links are stale afterwards. */
static void remove_node(vrt__ir *ir, int i) {
    vrt__node_free(&ir->nodes[i]);
    memmove(&ir->nodes[i], &ir->nodes[i + 1], (size_t)(ir->n_nodes - i - 1) * sizeof(vrt__node));
    ir->n_nodes--;
}

static void replace_uses(vrt__ir *ir, int from, int to) {
    for (int i = 0; i < ir->n_nodes; i++)
        for (int k = 0; k < ir->nodes[i].n_inputs; k++)
            if (ir->nodes[i].inputs[k] == from) ir->nodes[i].inputs[k] = to;
}

static void logf_(vrt__pass_report *rep, const char *a, const char *b) {
    if (!rep || rep->n_log >= VRT__MAX_FUSION_LOG) return;
    snprintf(rep->log[rep->n_log++], sizeof(rep->log[0]), "%s+%s", a, b);
}

/* A tensor that only feeds one node and is not returned to the caller. */
static int private_to_one(const vrt__ir *ir, int t) {
    const vrt__tensor *x = &ir->tensors[t];
    return x->n_consumers == 1 && !x->is_output && x->kind != VRT__TK_INPUT && !x->data;
}

static int has_data(const vrt__ir *ir, int t) {
    return t >= 0 && ir->tensors[t].data != NULL;
}

/* Copies a FLOAT / FLOAT16 weight as fp32 (caller frees). */
static float *weight_f32(const vrt__tensor *t) {
    int64_t n = vrt__shape_numel(&t->shape);
    float *o = vrt_malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!o) return NULL;
    if (t->dtype == VRT__DT_FLOAT) {
        memcpy(o, t->data, (size_t)n * sizeof(float));
    } else {
        const uint16_t *h = t->data;
        for (int64_t i = 0; i < n; i++)
            o[i] = vrt__half_to_float(h[i]);
    }
    return o;
}

static int add_weight(vrt__ir *ir, const char *base, const char *suffix, const vrt__shape *s, float *data) {
    char name[512];
    snprintf(name, sizeof(name), "%s%s", base, suffix);
    int t = vrt__ir_add_tensor(ir, name);
    if (t < 0) return -1;
    vrt__tensor *x = &ir->tensors[t];
    x->dtype = VRT__DT_FLOAT;
    x->shape = *s;
    x->shape_known = 1;
    x->kind = VRT__TK_WEIGHT;
    x->data = data;
    x->nbytes = (size_t)vrt__shape_numel(s) * sizeof(float);
    x->producer = -1;
    return t;
}

static vrt_status set_inputs(vrt__node *n, int count) {
    if (n->n_inputs >= count) return VRT_OK;
    int *in = vrt_realloc(n->inputs, (size_t)count * sizeof(int));
    if (!in) return VRT_ENOMEM;
    for (int k = n->n_inputs; k < count; k++)
        in[k] = -1;
    n->inputs = in;
    n->n_inputs = count;
    return VRT_OK;
}

static int is_float_t(const vrt__ir *ir, int t) {
    return ir->tensors[t].dtype == VRT__DT_FLOAT || ir->tensors[t].dtype == VRT__DT_FLOAT16;
}

/* ---- removal of folded and no-op nodes ---- */

static vrt_status remove_noops(vrt__ir *ir, vrt__pass_report *rep, int identities) {
    for (int i = 0; i < ir->n_nodes; i++) {
        vrt__node *n = &ir->nodes[i];
        /* Every output already known (a folded value that is also a graph output). */
        int all = n->n_outputs > 0;
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0 && !has_data(ir, n->outputs[k])) all = 0;
        if (all) {
            for (int k = 0; k < n->n_outputs; k++)
                if (n->outputs[k] >= 0) ir->tensors[n->outputs[k]].producer = -1;
            remove_node(ir, i--);
            if (rep) rep->noops_removed++;
            vrt_status st = vrt__ir_relink(ir);
            if (st) return st;
            continue;
        }
        if (!identities || (n->op != VRT__OP_Identity && n->op != VRT__OP_Dropout)) continue;
        if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) continue;
        if (n->op == VRT__OP_Dropout && n->n_outputs > 1 && n->outputs[1] >= 0 &&
            (ir->tensors[n->outputs[1]].n_consumers || ir->tensors[n->outputs[1]].is_output))
            continue; /* the mask is used */
        int x = n->inputs[0], y = n->outputs[0];
        const vrt__tensor *tx = &ir->tensors[x], *ty = &ir->tensors[y];
        if (tx->dtype != ty->dtype) continue;
        if (!ty->is_output) {
            replace_uses(ir, y, x);
        } else if (tx->producer >= 0 && !tx->is_output && !tx->data && tx->kind == VRT__TK_INTERMEDIATE) {
            /* y is returned: let x's producer write y directly. */
            vrt__node *p = &ir->nodes[tx->producer];
            for (int k = 0; k < p->n_outputs; k++)
                if (p->outputs[k] == x) p->outputs[k] = y;
            replace_uses(ir, x, y);
        } else {
            continue; /* an input or weight returned as is: keep the copy */
        }
        remove_node(ir, i--);
        if (rep) rep->noops_removed++;
        vrt_status st = vrt__ir_relink(ir);
        if (st) return st;
    }
    return VRT_OK;
}

/* ---- BatchNormalization into Conv ---- */

static vrt_status fold_bn(vrt__ir *ir, vrt__pass_report *rep) {
    for (int j = 0; j < ir->n_nodes; j++) {
        vrt__node *bn = &ir->nodes[j];
        if (bn->op != VRT__OP_BatchNormalization || bn->n_inputs < 5 || bn->inputs[0] < 0) continue;
        int x = bn->inputs[0];
        int pi = ir->tensors[x].producer;
        if (pi < 0 || !private_to_one(ir, x)) continue;
        vrt__node *cv = &ir->nodes[pi];
        if (cv->op != VRT__OP_Conv || cv->n_outputs != 1 || vrt__node_attr(cv, "_act") ||
            vrt__node_attr(cv, "_residual"))
            continue;
        if (!has_data(ir, cv->inputs[1]) ||
            (cv->n_inputs > 2 && cv->inputs[2] >= 0 && !has_data(ir, cv->inputs[2])))
            continue;
        int ok = 1;
        for (int k = 1; k < 5; k++)
            ok &= has_data(ir, bn->inputs[k]) && is_float_t(ir, bn->inputs[k]);
        if (!ok || !is_float_t(ir, cv->inputs[1])) continue;
        const vrt__tensor *w = &ir->tensors[cv->inputs[1]];
        int64_t M = w->shape.d[0], per = vrt__shape_numel(&w->shape) / (M ? M : 1);
        float *wf = weight_f32(w), *bf = vrt_calloc((size_t)M + 1, sizeof(float));
        float *p[4] = {0};
        for (int k = 0; k < 4; k++)
            p[k] = weight_f32(&ir->tensors[bn->inputs[k + 1]]);
        vrt_status st = (wf && bf && p[0] && p[1] && p[2] && p[3]) ? VRT_OK : VRT_ENOMEM;
        float *cb = NULL;
        if (!st && cv->n_inputs > 2 && cv->inputs[2] >= 0 && !(cb = weight_f32(&ir->tensors[cv->inputs[2]])))
            st = VRT_ENOMEM;
        if (!st)
            st = vrt__bn_fold_into_conv(M, per, wf, cb, p[0], p[1], p[2], p[3],
                                        vrt__node_get_float(bn, "epsilon", 1e-5f), wf, bf);
        vrt_free(cb);
        for (int k = 0; k < 4; k++)
            vrt_free(p[k]);
        if (st) {
            vrt_free(wf);
            vrt_free(bf);
            return st;
        }
        vrt__shape ws = w->shape, bs = {1, {M}};
        char cname[256];
        snprintf(cname, sizeof(cname), "%s", cv->name);
        int tw = add_weight(ir, cname, ".bnfold_w", &ws, wf);
        if (tw < 0) {
            vrt_free(wf);
            vrt_free(bf);
            return VRT_ENOMEM;
        }
        int tb = add_weight(ir, cname, ".bnfold_b", &bs, bf);
        if (tb < 0) {
            vrt_free(bf);
            return VRT_ENOMEM;
        }
        cv = &ir->nodes[pi];
        bn = &ir->nodes[j];
        if ((st = set_inputs(cv, 3))) return st;
        cv->inputs[1] = tw;
        cv->inputs[2] = tb;
        cv->outputs[0] = bn->outputs[0];
        logf_(rep, cname, "BatchNormalization");
        remove_node(ir, j--);
        if (rep) rep->bn_folded++;
        if ((st = vrt__ir_relink(ir))) return st;
    }
    return VRT_OK;
}

/* ---- per-channel constant Mul / Add into Conv (frozen BatchNorm) ---- */

/* The per-output-channel vector (M values, fp32, caller frees) a constant
 * float tensor c gives when it broadcasts against a rank-`rank` conv output
 * along the channel dim only: every dim 1 except, right-aligned, dim 1 (M or
 * 1). NULL when it does not (or on ENOMEM: the fold is then just skipped). */
static float *channel_vector(const vrt__ir *ir, int c, int rank, int64_t M) {
    const vrt__tensor *t = &ir->tensors[c];
    if (!t->data || !is_float_t(ir, c) || t->shape.ndim > rank) return NULL;
    int64_t per = 1; /* values along the channel dim: 1 or M */
    for (int q = 0; q < t->shape.ndim; q++) {
        int od = rank - t->shape.ndim + q;
        if (t->shape.d[q] == 1) continue;
        if (od != 1 || t->shape.d[q] != M) return NULL;
        per = M;
    }
    float *src = weight_f32(t), *v = src ? vrt_malloc((size_t)(M ? M : 1) * sizeof(float)) : NULL;
    for (int64_t m = 0; v && m < M; m++)
        v[m] = src[per == 1 ? 0 : m];
    vrt_free(src);
    return v;
}

/* The Conv whose private output x the Mul/Add node j scales or shifts by a
 * per-channel constant (*cvec, M values); -1 when the pattern does not hold. */
static int affine_conv(const vrt__ir *ir, int j, float **cvec) {
    const vrt__node *n = &ir->nodes[j];
    *cvec = NULL;
    if ((n->op != VRT__OP_Mul && n->op != VRT__OP_Add) || n->n_inputs != 2 || n->n_outputs != 1 ||
        n->outputs[0] < 0 || n->inputs[0] < 0 || n->inputs[1] < 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        int x = n->inputs[k], c = n->inputs[1 - k], pi = ir->tensors[x].producer;
        if (pi < 0 || !has_data(ir, c) || has_data(ir, x) || !private_to_one(ir, x)) continue;
        const vrt__node *cv = &ir->nodes[pi];
        if (cv->op != VRT__OP_Conv || cv->n_outputs != 1 || vrt__node_attr(cv, "_act") ||
            vrt__node_attr(cv, "_residual") || !has_data(ir, cv->inputs[1]) ||
            !is_float_t(ir, cv->inputs[1]) ||
            (cv->n_inputs > 2 && cv->inputs[2] >= 0 && !has_data(ir, cv->inputs[2])))
            continue;
        const vrt__tensor *tx = &ir->tensors[x], *ty = &ir->tensors[n->outputs[0]];
        if (tx->dtype != ty->dtype || !is_float_t(ir, x) || !vrt__op_same_shape(&tx->shape, &ty->shape) ||
            tx->shape.ndim < 3)
            continue;
        int64_t M = ir->tensors[cv->inputs[1]].shape.d[0];
        if (tx->shape.d[1] != M || !(*cvec = channel_vector(ir, c, tx->shape.ndim, M))) continue;
        return pi;
    }
    return -1;
}

/* Conv -> Mul(per-channel constant) and Conv -> Add(per-channel constant),
 * as frozen BatchNorms export (x * scale + shift, DETR's ResNet): folded into
 * the conv's weights and bias, computed in double and rounded once. Without
 * it each such conv's output leaves the CUDA backend's fp16 NHWC chain for
 * two fp32 passes over the whole activation. Counted as BatchNorm folds. */
static vrt_status fold_affine(vrt__ir *ir, vrt__pass_report *rep) {
    for (int j = 0; j < ir->n_nodes; j++) {
        float *v = NULL;
        int pi = affine_conv(ir, j, &v);
        if (pi < 0) continue;
        vrt__node *cv = &ir->nodes[pi];
        int mul = ir->nodes[j].op == VRT__OP_Mul;
        const vrt__tensor *w = &ir->tensors[cv->inputs[1]];
        int64_t M = w->shape.d[0], per = vrt__shape_numel(&w->shape) / (M ? M : 1);
        float *wf = weight_f32(w), *bf = vrt_calloc((size_t)M + 1, sizeof(float));
        float *cb = cv->n_inputs > 2 && cv->inputs[2] >= 0 ? weight_f32(&ir->tensors[cv->inputs[2]]) : NULL;
        vrt__shape ws = w->shape, bs = {1, {M}};
        if (!wf || !bf || (cv->n_inputs > 2 && cv->inputs[2] >= 0 && !cb)) {
            vrt_free(v), vrt_free(wf), vrt_free(bf), vrt_free(cb);
            return VRT_ENOMEM;
        }
        for (int64_t m = 0; m < M; m++) {
            double b0 = cb ? cb[m] : 0.0;
            for (int64_t i = 0; mul && i < per; i++)
                wf[m * per + i] = (float)((double)wf[m * per + i] * v[m]);
            bf[m] = (float)(mul ? b0 * v[m] : b0 + v[m]);
        }
        vrt_free(v), vrt_free(cb);
        char cname[256];
        snprintf(cname, sizeof(cname), "%s", cv->name);
        int tw = add_weight(ir, cname, mul ? ".scale_w" : ".shift_w", &ws, wf);
        if (tw < 0) {
            vrt_free(wf), vrt_free(bf);
            return VRT_ENOMEM;
        }
        int tb = add_weight(ir, cname, mul ? ".scale_b" : ".shift_b", &bs, bf);
        if (tb < 0) {
            vrt_free(bf);
            return VRT_ENOMEM;
        }
        vrt_status st;
        cv = &ir->nodes[pi];
        if ((st = set_inputs(cv, 3))) return st;
        cv->inputs[1] = tw;
        cv->inputs[2] = tb;
        cv->outputs[0] = ir->nodes[j].outputs[0];
        logf_(rep, cname, mul ? "Mul(per-channel)" : "Add(per-channel)");
        remove_node(ir, j);
        j = pi; /* the conv may take the next Mul/Add now: look again from it */
        if (rep) rep->bn_folded++;
        if ((st = vrt__ir_relink(ir))) return st;
    }
    return VRT_OK;
}

/* ---- residual Add into Conv ---- */

static vrt_status fuse_residual(vrt__ir *ir, vrt__pass_report *rep) {
    for (int j = 0; j < ir->n_nodes; j++) {
        vrt__node *add = &ir->nodes[j];
        if (add->op != VRT__OP_Add || add->n_inputs != 2 || add->n_outputs != 1 || add->outputs[0] < 0)
            continue;
        int y = add->outputs[0];
        if (ir->tensors[y].dtype != VRT__DT_FLOAT && ir->tensors[y].dtype != VRT__DT_FLOAT16) continue;
        for (int k = 0; k < 2; k++) {
            int a = add->inputs[k], r = add->inputs[1 - k];
            if (a < 0 || r < 0 || a == r) continue;
            int pi = ir->tensors[a].producer;
            if (pi < 0 || !private_to_one(ir, a)) continue;
            vrt__node *cv = &ir->nodes[pi];
            if (cv->op != VRT__OP_Conv || cv->n_outputs != 1 || vrt__node_attr(cv, "_act") ||
                vrt__node_attr(cv, "_residual"))
                continue;
            /* R must be exactly the output's shape and type (no broadcast). */
            const vrt__tensor *tr = &ir->tensors[r], *ty = &ir->tensors[y];
            if (tr->dtype != ty->dtype || tr->shape.ndim != ty->shape.ndim) continue;
            int same = 1;
            for (int q = 0; q < ty->shape.ndim; q++)
                same &= tr->shape.d[q] == ty->shape.d[q];
            if (!same) continue;
            vrt_status st = set_inputs(cv, 4);
            if (st) return st;
            cv->inputs[3] = r;
            cv->outputs[0] = y;
            if ((st = vrt__node_set_int(cv, "_residual", 1))) return st;
            logf_(rep, cv->name, "Add(residual)");
            /* The conv moves to the Add's place: its inputs and R are all
             * produced before there, and its only consumer was the Add. */
            vrt__node moved = *cv;
            vrt__node_free(add);
            ir->nodes[j] = moved;
            memmove(&ir->nodes[pi], &ir->nodes[pi + 1], (size_t)(ir->n_nodes - pi - 1) * sizeof(vrt__node));
            ir->n_nodes--;
            j--;
            if (rep) rep->residual_fused++;
            if ((st = vrt__ir_relink(ir))) return st;
            break;
        }
    }
    return VRT_OK;
}

/* ---- activations ---- */

static int act_of(const vrt__ir *ir, const vrt__node *n, vrt__activation *a) {
    a->alpha = a->beta = 0;
    switch ((vrt__op)n->op) {
    case VRT__OP_Relu: a->kind = VRT__ACT_RELU; return 1;
    case VRT__OP_LeakyRelu:
        a->kind = VRT__ACT_LEAKY_RELU, a->alpha = vrt__node_get_float(n, "alpha", 0.01f);
        return 1;
    case VRT__OP_Clip:
        a->kind = VRT__ACT_CLIP, a->alpha = vrt__node_get_float(n, "min", -INFINITY),
        a->beta = vrt__node_get_float(n, "max", INFINITY);
        return 1;
    case VRT__OP_Sigmoid: a->kind = VRT__ACT_SIGMOID; return 1;
    case VRT__OP_Tanh: a->kind = VRT__ACT_TANH; return 1;
    case VRT__OP_HardSwish: a->kind = VRT__ACT_HARD_SWISH; return 1;
    case VRT__OP_HardSigmoid:
        a->kind = VRT__ACT_HARD_SIGMOID, a->alpha = vrt__node_get_float(n, "alpha", 0.2f),
        a->beta = vrt__node_get_float(n, "beta", 0.5f);
        return 1;
    case VRT__OP_Gelu: /* into a MatMul only (fusable_producer) */
        a->kind = strcmp(vrt__node_get_string(n, "approximate", "none"), "tanh") ? VRT__ACT_GELU
                                                                                 : VRT__ACT_GELU_TANH;
        return 1;
    default: (void)ir; return 0;
    }
}

/* gelu: a Gelu, which only a MatMul takes (the GEMM epilogue; option
 * fuse_matmul_bias). */
static int fusable_producer(const vrt__ir *ir, int t, int gelu, int gelu_ok) {
    int pi = ir->tensors[t].producer;
    if (pi < 0) return -1;
    const vrt__node *p = &ir->nodes[pi];
    if (p->op != VRT__OP_Conv && p->op != VRT__OP_Gemm && p->op != VRT__OP_MatMul && p->op != VRT__OP_Add)
        return -1;
    if (gelu && (p->op != VRT__OP_MatMul || !gelu_ok)) return -1;
    if (p->n_outputs != 1 || vrt__node_attr(p, "_act") || !is_float_t(ir, t)) return -1;
    return pi;
}

static vrt_status set_act(vrt__node *p, const vrt__activation *a) {
    vrt_status st;
    if ((st = vrt__node_set_int(p, "_act", a->kind)) ||
        (st = vrt__node_set_float(p, "_act_alpha", a->alpha)) ||
        (st = vrt__node_set_float(p, "_act_beta", a->beta)))
        return st;
    return VRT_OK;
}

static vrt_status fuse_act(vrt__ir *ir, vrt__pass_report *rep, int gelu_ok) {
    for (int j = 0; j < ir->n_nodes; j++) {
        vrt__node *n = &ir->nodes[j];
        vrt__activation a;
        vrt_status st;
        if (n->n_inputs >= 1 && n->inputs[0] >= 0 && n->n_outputs == 1 && n->outputs[0] >= 0 &&
            act_of(ir, n, &a)) {
            int x = n->inputs[0];
            int gelu = a.kind == VRT__ACT_GELU || a.kind == VRT__ACT_GELU_TANH;
            int pi = fusable_producer(ir, x, gelu, gelu_ok);
            if (pi < 0 || !private_to_one(ir, x)) continue;
            vrt__node *p = &ir->nodes[pi];
            if ((st = set_act(p, &a))) return st;
            p->outputs[0] = n->outputs[0];
            logf_(rep, p->name, n->op_type);
            remove_node(ir, j--);
            if (rep) rep->act_fused++;
            if ((st = vrt__ir_relink(ir))) return st;
            continue;
        }
        /* SiLU: Mul(x, Sigmoid(x)) with x produced by a fusable op. */
        if (n->op != VRT__OP_Mul || n->n_inputs != 2 || n->outputs[0] < 0) continue;
        for (int k = 0; k < 2; k++) {
            int x = n->inputs[k], s = n->inputs[1 - k];
            if (x < 0 || s < 0) continue;
            int si = ir->tensors[s].producer;
            if (si < 0 || ir->nodes[si].op != VRT__OP_Sigmoid || ir->nodes[si].inputs[0] != x ||
                !private_to_one(ir, s))
                continue;
            const vrt__tensor *tx = &ir->tensors[x];
            if (tx->n_consumers != 2 || tx->is_output) continue;
            int pi = fusable_producer(ir, x, 0, 0);
            if (pi < 0) continue;
            vrt__node *p = &ir->nodes[pi];
            vrt__activation silu = {VRT__ACT_SILU, 0, 0};
            if ((st = set_act(p, &silu))) return st;
            p->outputs[0] = n->outputs[0];
            logf_(rep, p->name, "SiLU");
            /* Remove the Mul (j) and the Sigmoid (si < j). */
            remove_node(ir, j);
            remove_node(ir, si);
            j = si - 1;
            if (rep) rep->silu_fused++;
            if ((st = vrt__ir_relink(ir))) return st;
            break;
        }
    }
    return VRT_OK;
}

static vrt_status mark_views(vrt__ir *ir, vrt__pass_report *rep) {
    for (int i = 0; i < ir->n_nodes; i++) {
        vrt__node *n = &ir->nodes[i];
        if (n->op != VRT__OP_Reshape && n->op != VRT__OP_Flatten && n->op != VRT__OP_Squeeze &&
            n->op != VRT__OP_Unsqueeze)
            continue;
        if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs != 1 || n->outputs[0] < 0) continue;
        if (ir->tensors[n->inputs[0]].dtype != ir->tensors[n->outputs[0]].dtype) continue;
        vrt_status st = vrt__node_set_int(n, "_view", 1);
        if (st) return st;
        if (rep) rep->views++;
    }
    return VRT_OK;
}

/* One backward sweep over the topological order: a node is live when one of
 * its outputs is a graph output or read by a live node; the others go in one
 * compaction and one relink (linear in the graph, where removing and
 * relinking per node was quadratic: 10^5 dead nodes took minutes). */
static vrt_status remove_dead(vrt__ir *ir, vrt__pass_report *rep) {
    unsigned char *need = vrt_calloc((size_t)ir->n_tensors + 1, 1);
    unsigned char *live = vrt_calloc((size_t)ir->n_nodes + 1, 1);
    if (!need || !live) {
        vrt_free(need);
        vrt_free(live);
        return VRT_ENOMEM;
    }
    for (int t = 0; t < ir->n_tensors; t++)
        need[t] = (unsigned char)(ir->tensors[t].is_output != 0);
    for (int i = ir->n_nodes - 1; i >= 0; i--) {
        const vrt__node *n = &ir->nodes[i];
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0 && need[n->outputs[k]]) live[i] = 1;
        if (!live[i]) continue;
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0) need[n->inputs[k]] = 1;
    }
    int w = 0, removed = 0;
    for (int i = 0; i < ir->n_nodes; i++) {
        if (!live[i]) {
            vrt__node_free(&ir->nodes[i]);
            removed++;
            continue;
        }
        ir->nodes[w++] = ir->nodes[i];
    }
    ir->n_nodes = w;
    vrt_free(need);
    vrt_free(live);
    if (rep) rep->dead_removed += removed;
    return removed ? vrt__ir_relink(ir) : VRT_OK;
}

vrt_status vrt__passes_run(vrt__ir *ir, const vrt__pass_opts *opts, vrt__pass_report *rep, char *err,
                           size_t cap) {
    vrt__pass_opts def;
    if (!opts) {
        vrt__pass_default_opts(&def);
        opts = &def;
    }
    if (rep) memset(rep, 0, sizeof(*rep));
    vrt_status st = vrt__ir_relink(ir);
    if (!st) st = remove_noops(ir, rep, opts->remove_noops);
    if (!st) st = remove_dead(ir, rep);
    if (!st && opts->fuse_qdq) st = vrt__passes_qdq(ir, opts, rep);
    if (!st && opts->fuse_qdq) st = remove_dead(ir, rep); /* the weights' DequantizeLinear nodes */
    if (!st && opts->fold_bn) st = fold_bn(ir, rep);
    if (!st && opts->fold_bn) st = fold_affine(ir, rep);
    if (!st && opts->fuse_residual) st = fuse_residual(ir, rep);
    if (!st) st = vrt__passes_transformer(ir, opts, rep);
    if (!st && opts->fuse_act) st = fuse_act(ir, rep, opts->fuse_matmul_bias);
    if (!st && opts->views) st = mark_views(ir, rep);
    if (st && err && cap) vrt_errbuf_set(err, cap, "graph passes failed: %s", vrt_status_name(st));
    return st;
}
