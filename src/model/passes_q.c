/*
 * QDQ folding: the DequantizeLinear -> Conv -> QuantizeLinear pattern that
 * onnxruntime's quantizer (QDQ format) and PyTorch's exports emit becomes one
 * QLinearConv, which the backends run as an integer conv (int32
 * accumulation, requantisation in the epilogue; engine/backend/cpu/quant.c):
 *
 *   xq -> DQ(xs, xzp) -\
 *   wq -> DQ(ws, wzp) ---> Conv [-> Relu | SiLU] -> Q(ys, yzp) -> yq
 *   bq -> DQ(xs*ws, 0) /                              (bias: int32 DQ or float)
 *
 *   ==> QLinearConv(xq, xs, xzp, wq, ws, wzp, ys, yzp, bq) [_act Relu | SiLU] -> yq
 *
 * Conditions: xq and wq int8/uint8 with per-tensor activation scales and
 * per-tensor or per-output-channel (axis 0) weight scales, all scales and
 * zero points constants, the Conv's (and Relu's) output read only by the Q;
 * an int32 bias must have scale xs * ws[m] and zero point 0 (what both
 * exporters write), a float bias is quantized here with that scale. A fused
 * Relu raises the output's lower bound to yzp (Q(Relu(v)) = max(Q(v), yzp)); a fused
 * SiLU (Sigmoid(y) * y, as YOLOX and YOLOv5/8 export it) is applied to the
 * dequantized accumulator in the epilogue, before the rounding.
 * Dequantized values that other nodes still read keep their DQ; weight DQs
 * left without readers are removed by the dead-node sweep that follows.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/internal.h"
#include "model/op_params.h"
#include "model/plan.h"

static int producer_op(const vrt__ir *ir, int t, vrt__op op) {
    if (t < 0) return -1;
    int p = ir->tensors[t].producer;
    return p >= 0 && ir->nodes[p].op == (int)op ? p : -1;
}

static int priv(const vrt__ir *ir, int t) {
    const vrt__tensor *x = &ir->tensors[t];
    return t >= 0 && x->n_consumers == 1 && !x->is_output && x->kind == VRT__TK_INTERMEDIATE && !x->data;
}

static int is_q8(const vrt__ir *ir, int t) {
    return t >= 0 && (ir->tensors[t].dtype == VRT__DT_UINT8 || ir->tensors[t].dtype == VRT__DT_INT8);
}

static int konst(const vrt__ir *ir, int t) {
    return t >= 0 && ir->tensors[t].data != NULL;
}

static int in(const vrt__node *n, int k) {
    return k < n->n_inputs ? n->inputs[k] : -1;
}

/* Float constant element i (float32 / float16). */
static double fval(const vrt__tensor *t, int64_t i) {
    if (t->dtype == VRT__DT_FLOAT16) return vrt__half_to_float(((const uint16_t *)t->data)[i]);
    return ((const float *)t->data)[i];
}

/* A DequantizeLinear's scale and zero point are constants with `count` (1 or
 * M, M: per axis `axis`) elements and a float scale. */
static int dq_consts(const vrt__ir *ir, const vrt__node *dq, int64_t m, int axis) {
    int s = in(dq, 1), z = in(dq, 2);
    if (!konst(ir, s) || (z >= 0 && !konst(ir, z))) return 0;
    const vrt__tensor *st = &ir->tensors[s];
    if (st->dtype != VRT__DT_FLOAT && st->dtype != VRT__DT_FLOAT16) return 0;
    int64_t c = vrt__shape_numel(&st->shape);
    if (c == 1) return 1;
    int64_t ax = vrt__node_get_int(dq, "axis", 1);
    return c == m && st->shape.ndim == 1 && (ax == axis || ax == axis - ir->tensors[in(dq, 0)].shape.ndim);
}

typedef struct qmatch {
    int conv, relu, q; /* node indices (relu -1) */
    int sig, mul;      /* a SiLU, Sigmoid(y) * y (YOLOX, YOLOv5/8): node indices, else -1 */
    int dx, dw, db;    /* the DequantizeLinear nodes (db -1: float or no bias) */
    int bias_float;    /* the Conv's bias input when it is a float constant */
} qmatch;

/* The bias: int32 DQ with scale xs * ws[m] and zero point 0, a float constant, or none. */
static int bias_ok(const vrt__ir *ir, qmatch *mt, int b, int64_t M) {
    mt->db = mt->bias_float = -1;
    if (b < 0) return 1;
    if (konst(ir, b) && (ir->tensors[b].dtype == VRT__DT_FLOAT || ir->tensors[b].dtype == VRT__DT_FLOAT16)) {
        mt->bias_float = b;
        return vrt__shape_numel(&ir->tensors[b].shape) == M;
    }
    int db = producer_op(ir, b, VRT__OP_DequantizeLinear);
    if (db < 0) return 0;
    const vrt__node *d = &ir->nodes[db];
    int bq = in(d, 0);
    if (!konst(ir, bq) || ir->tensors[bq].dtype != VRT__DT_INT32 || !dq_consts(ir, d, M, 0)) return 0;
    const vrt__tensor *bs = &ir->tensors[in(d, 1)], *xs = &ir->tensors[in(&ir->nodes[mt->dx], 1)],
                      *ws = &ir->tensors[in(&ir->nodes[mt->dw], 1)];
    int64_t nb = vrt__shape_numel(&bs->shape), nw = vrt__shape_numel(&ws->shape);
    for (int64_t m = 0; m < M; m++) {
        double want = fval(xs, 0) * fval(ws, nw == 1 ? 0 : m), got = fval(bs, nb == 1 ? 0 : m);
        if (fabs(got - want) > 1e-6 * fabs(want)) return 0;
    }
    if (in(d, 2) >= 0) {
        const vrt__tensor *z = &ir->tensors[in(d, 2)];
        for (int64_t i = 0; i < vrt__shape_numel(&z->shape); i++)
            if (((const int32_t *)z->data)[i] != 0) return 0;
    }
    mt->db = db;
    return 1;
}

/* t = Mul(y, Sigmoid(y)) (either order) with y and the Sigmoid's output read by
 * nothing else: y, the SiLU's sig / mul set; t itself when t is no SiLU's. */
static int silu_input(const vrt__ir *ir, int t, qmatch *mt) {
    int mul = producer_op(ir, t, VRT__OP_Mul);
    if (mul < 0 || ir->nodes[mul].n_inputs != 2) return t;
    for (int k = 0; k < 2; k++) {
        int y = in(&ir->nodes[mul], k), st = in(&ir->nodes[mul], 1 - k);
        int sig = producer_op(ir, st, VRT__OP_Sigmoid);
        if (y < 0 || sig < 0 || y == st || in(&ir->nodes[sig], 0) != y || !priv(ir, st)) continue;
        const vrt__tensor *yt = &ir->tensors[y];
        if (yt->n_consumers != 2 || yt->is_output || yt->kind != VRT__TK_INTERMEDIATE) continue;
        mt->sig = sig, mt->mul = mul;
        return y;
    }
    return t;
}

/* The Conv feeding QuantizeLinear node qi, with its dequantized operands. */
static int match(const vrt__ir *ir, int qi, qmatch *mt) {
    const vrt__node *q = &ir->nodes[qi];
    int t = in(q, 0);
    memset(mt, -1, sizeof(*mt));
    mt->q = qi;
    if (t < 0 || !priv(ir, t) || !is_q8(ir, q->outputs[0]) || !konst(ir, in(q, 1)) ||
        vrt__shape_numel(&ir->tensors[in(q, 1)].shape) != 1 || (in(q, 2) >= 0 && !konst(ir, in(q, 2))))
        return 0;
    mt->relu = producer_op(ir, t, VRT__OP_Relu);
    if (mt->relu >= 0) {
        t = in(&ir->nodes[mt->relu], 0);
        if (t < 0 || !priv(ir, t)) return 0;
    } else if ((t = silu_input(ir, t, mt)) < 0) {
        return 0;
    }
    mt->conv = producer_op(ir, t, VRT__OP_Conv);
    if (mt->conv < 0) return 0;
    const vrt__node *c = &ir->nodes[mt->conv];
    if (vrt__node_attr(c, "_act") || vrt__node_attr(c, "_residual") || c->n_inputs > 3) return 0;
    mt->dx = producer_op(ir, in(c, 0), VRT__OP_DequantizeLinear);
    mt->dw = producer_op(ir, in(c, 1), VRT__OP_DequantizeLinear);
    if (mt->dx < 0 || mt->dw < 0) return 0;
    const vrt__node *dx = &ir->nodes[mt->dx], *dw = &ir->nodes[mt->dw];
    int64_t M = ir->tensors[in(c, 1)].shape.d[0];
    if (!is_q8(ir, in(dx, 0)) || !dq_consts(ir, dx, 1, 1) || !is_q8(ir, in(dw, 0)) || !konst(ir, in(dw, 0)) ||
        !dq_consts(ir, dw, M, 0))
        return 0;
    return bias_ok(ir, mt, in(c, 2), M);
}

/* int32 bias = round(b / (xs * ws[m])), a new weight tensor; -1 on ENOMEM. */
static int quantize_bias(vrt__ir *ir, const qmatch *mt) {
    const vrt__node *c = &ir->nodes[mt->conv];
    int64_t M = vrt__shape_numel(&ir->tensors[mt->bias_float].shape);
    int32_t *d = vrt_malloc((size_t)M * sizeof(int32_t));
    if (!d) return -1;
    const vrt__tensor *xs = &ir->tensors[in(&ir->nodes[mt->dx], 1)],
                      *ws = &ir->tensors[in(&ir->nodes[mt->dw], 1)];
    int64_t nw = vrt__shape_numel(&ws->shape);
    for (int64_t m = 0; m < M; m++) {
        double s = fval(xs, 0) * fval(ws, nw == 1 ? 0 : m),
               v = s > 0 ? rint(fval(&ir->tensors[mt->bias_float], m) / s) : 0;
        d[m] = (int32_t)(v > 2147483647.0 ? 2147483647.0 : v < -2147483648.0 ? -2147483648.0 : v);
    }
    char name[512];
    snprintf(name, sizeof(name), "%s.qbias", c->name);
    int t = vrt__ir_add_tensor(ir, name);
    if (t < 0) {
        vrt_free(d);
        return -1;
    }
    vrt__tensor *x = &ir->tensors[t];
    x->dtype = VRT__DT_INT32;
    x->shape.ndim = 1, x->shape.d[0] = M;
    x->shape_known = 1;
    x->kind = VRT__TK_WEIGHT;
    x->data = d;
    x->nbytes = (size_t)M * sizeof(int32_t);
    x->producer = -1;
    return t;
}

/* The Conv becomes the QLinearConv (keeping its attributes and its place);
 * it writes the Q's output; the Q and the Relu are removed by the caller. */
static vrt_status rewrite(vrt__ir *ir, const qmatch *mt) {
    int bq = mt->db >= 0 ? in(&ir->nodes[mt->db], 0) : -1;
    if (mt->bias_float >= 0 && (bq = quantize_bias(ir, mt)) < 0) return VRT_ENOMEM;
    const vrt__node *dx = &ir->nodes[mt->dx], *dw = &ir->nodes[mt->dw], *q = &ir->nodes[mt->q];
    int ins[9] = {in(dx, 0), in(dx, 1), in(dx, 2), in(dw, 0), in(dw, 1), in(dw, 2), in(q, 1), in(q, 2), bq};
    int yq = q->outputs[0];
    vrt__node *c = &ir->nodes[mt->conv];
    int *ni = vrt_malloc(sizeof(ins));
    char *ot = vrt_strdup("QLinearConv");
    if (!ni || !ot) {
        vrt_free(ni), vrt_free(ot);
        return VRT_ENOMEM;
    }
    memcpy(ni, ins, sizeof(ins));
    vrt_free(c->inputs), vrt_free(c->op_type);
    c->inputs = ni, c->n_inputs = bq >= 0 ? 9 : 8, c->op_type = ot, c->op = VRT__OP_QLinearConv;
    c->outputs[0] = yq;
    if (mt->relu >= 0) return vrt__node_set_int(c, "_act", VRT__ACT_RELU);
    if (mt->mul >= 0) return vrt__node_set_int(c, "_act", VRT__ACT_SILU);
    return VRT_OK;
}

static void drop_node(vrt__ir *ir, int i) {
    vrt__node_free(&ir->nodes[i]);
    memmove(&ir->nodes[i], &ir->nodes[i + 1], (size_t)(ir->n_nodes - i - 1) * sizeof(vrt__node));
    ir->n_nodes--;
}

static void note(vrt__pass_report *rep, const char *name) {
    if (!rep || rep->n_log >= VRT__MAX_FUSION_LOG) return;
    snprintf(rep->log[rep->n_log++], sizeof(rep->log[0]), "%s+QDQ->QLinearConv", name);
}

vrt_status vrt__passes_qdq(vrt__ir *ir, const vrt__pass_opts *o, vrt__pass_report *rep) {
    if (!o->fuse_qdq) return VRT_OK;
    for (int i = 0; i < ir->n_nodes; i++) {
        qmatch mt;
        if (ir->nodes[i].op != VRT__OP_QuantizeLinear || !match(ir, i, &mt)) continue;
        vrt_status st = rewrite(ir, &mt);
        if (st) return st;
        note(rep, ir->nodes[mt.conv].name);
        if (rep) rep->qdq_conv_fused++;
        /* The Q comes after the Relu (or the SiLU's Mul, after its Sigmoid), which come
         * after the Conv: dropping from the last keeps the earlier indices. */
        drop_node(ir, mt.q);
        if (mt.relu >= 0) drop_node(ir, mt.relu);
        if (mt.mul >= 0) drop_node(ir, mt.mul > mt.sig ? mt.mul : mt.sig);
        if (mt.mul >= 0) drop_node(ir, mt.mul > mt.sig ? mt.sig : mt.mul);
        if ((st = vrt__ir_relink(ir))) return st;
        i = mt.conv;
    }
    return VRT_OK;
}
