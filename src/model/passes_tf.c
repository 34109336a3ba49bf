/*
 * Graph passes for transformer patterns (plan.h lists what each records):
 *
 *   GELU       x * 0.5 * (1 + erf(x / sqrt 2)) and the tanh form
 *              0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in the orders
 *              exporters emit, -> Gelu (approximate "none" / "tanh").
 *   LayerNorm  ReduceMean -> Sub -> Pow 2 (or Mul d d) -> ReduceMean -> Add eps
 *              -> Sqrt -> Div (or Reciprocal + Mul) [-> Mul gamma [-> Add beta]]
 *              over the last axis -> LayerNormalization; then Add(a, b) feeding a
 *              LayerNormalization over the last axis -> VrtAddLayerNorm (y and,
 *              when the sum is used elsewhere, the sum as a second output).
 *   attention  MatMul(Q, K^T) [-> Mul/Div by a scalar] [-> Add mask] -> Softmax
 *              (last axis) -> MatMul(., V) (or YOLO12's MatMul(V, Transpose(.)))
 *              -> VrtAttention (DETR's Where(IsNaN(P), 0, P) after the Softmax
 *              becomes its nan_zero); Transposes and scalar Muls that only feed Q, K
 *              or V, and a Transpose that only reads the result, are absorbed as
 *              strides and the scale.
 *   MatMul+bias MatMul(X, W) -> Add(bias of N) -> MatMul with a third input
 *              ("_bias"); fuse_act (passes.c) then fuses a following Gelu. A
 *              constant W [+ bias] then Mul by a per-column constant (DINOv2's
 *              layer scale) folds into W's columns and the bias.
 *
 * A pattern matches only where every intermediate is private to the chain
 * (one consumer, not a graph output), so removing the chain changes nothing
 * else. The fused node takes the place of the chain's last node (all its
 * inputs are produced before the chain starts), except VrtAddLayerNorm, which
 * takes the Add's place so that other readers of the sum still follow it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/internal.h"
#include "model/op_params.h"
#include "model/plan.h"

#define MAXCHAIN 24

typedef struct chain {
    int idx[MAXCHAIN];
    int n;
} chain;

static void push(chain *c, int i) {
    if (c->n < MAXCHAIN) c->idx[c->n++] = i;
}

static int producer(const vrt__ir *ir, int t) {
    return t >= 0 ? ir->tensors[t].producer : -1;
}

/* Node producing t if it is `op`, else NULL. */
static const vrt__node *prod_op(const vrt__ir *ir, int t, vrt__op op) {
    int p = producer(ir, t);
    return p >= 0 && ir->nodes[p].op == (int)op && ir->nodes[p].n_outputs >= 1 ? &ir->nodes[p] : NULL;
}

static int priv(const vrt__ir *ir, int t) {
    const vrt__tensor *x = &ir->tensors[t];
    return t >= 0 && x->n_consumers == 1 && !x->is_output && x->kind == VRT__TK_INTERMEDIATE && !x->data;
}

/* The only consumer of private tensor t if it is `op` (index), else -1. */
static int sole_user(const vrt__ir *ir, int t, vrt__op op) {
    if (t < 0 || !priv(ir, t)) return -1;
    int c = ir->tensors[t].consumers[0];
    return ir->nodes[c].op == (int)op && ir->nodes[c].n_outputs >= 1 && ir->nodes[c].outputs[0] >= 0 ? c : -1;
}

static int is_float_t(const vrt__ir *ir, int t) {
    return t >= 0 && (ir->tensors[t].dtype == VRT__DT_FLOAT || ir->tensors[t].dtype == VRT__DT_FLOAT16);
}

/* A constant float scalar (any shape with one element). */
static int scalar(const vrt__ir *ir, int t, float *v) {
    if (t < 0 || !ir->tensors[t].data || vrt__shape_numel(&ir->tensors[t].shape) != 1) return 0;
    const vrt__tensor *x = &ir->tensors[t];
    if (x->dtype == VRT__DT_FLOAT)
        *v = *(const float *)x->data;
    else if (x->dtype == VRT__DT_FLOAT16)
        *v = vrt__half_to_float(*(const uint16_t *)x->data);
    else
        return 0;
    return 1;
}

static int near(const vrt__ir *ir, int t, double want, double rel) {
    float v;
    return scalar(ir, t, &v) && fabs(v - want) <= rel * fabs(want);
}

/* The input of two-input node n that is not t (t itself for Op(t, t)); -1 if t is not an input. */
static int other(const vrt__node *n, int t) {
    if (n->n_inputs != 2) return -1;
    if (n->inputs[0] == t) return n->inputs[1];
    if (n->inputs[1] == t) return n->inputs[0];
    return -1;
}

static int same_shape(const vrt__ir *ir, int a, int b) {
    return vrt__op_same_shape(&ir->tensors[a].shape, &ir->tensors[b].shape);
}

static int node_index(const vrt__ir *ir, const vrt__node *n) {
    return (int)(n - ir->nodes);
}

/* Turns node n into `op` with inputs in[0..nin) (attributes dropped; name and outputs kept). */
static vrt_status become(vrt__node *n, vrt__op op, const int *in, int nin) {
    char *ot = vrt_strdup(vrt__op_name(op)), *dom = vrt_strdup(vrt__op_internal(op) ? "vrt" : "");
    int *ins = vrt_malloc((size_t)(nin ? nin : 1) * sizeof(int));
    if (!ot || !dom || !ins) {
        vrt_free(ot), vrt_free(dom), vrt_free(ins);
        return VRT_ENOMEM;
    }
    memcpy(ins, in, (size_t)nin * sizeof(int));
    vrt_free(n->op_type), vrt_free(n->domain), vrt_free(n->inputs);
    for (int i = 0; i < n->n_attrs; i++)
        vrt__attr_free(&n->attrs[i]);
    vrt_free(n->attrs);
    n->attrs = NULL, n->n_attrs = 0;
    n->op_type = ot, n->domain = dom, n->inputs = ins, n->n_inputs = nin;
    n->op = op;
    return VRT_OK;
}

static int cmp_desc(const void *a, const void *b) {
    return *(const int *)b - *(const int *)a;
}

/* Removes the chain's nodes (never `keep`), highest index first, and relinks. */
static vrt_status drop(vrt__ir *ir, chain *c, int keep) {
    qsort(c->idx, (size_t)c->n, sizeof(int), cmp_desc);
    for (int k = 0; k < c->n; k++) {
        int i = c->idx[k];
        if (i == keep || (k > 0 && c->idx[k - 1] == i)) continue;
        vrt__node_free(&ir->nodes[i]);
        memmove(&ir->nodes[i], &ir->nodes[i + 1], (size_t)(ir->n_nodes - i - 1) * sizeof(vrt__node));
        ir->n_nodes--;
    }
    return vrt__ir_relink(ir);
}

static void note(vrt__pass_report *rep, const char *a, const char *b) {
    if (!rep || rep->n_log >= VRT__MAX_FUSION_LOG) return;
    snprintf(rep->log[rep->n_log++], sizeof(rep->log[0]), "%s+%s", a, b);
}

/* ---- GELU ---- */

/* a = 1 + f(x): the Muls by x and 0.5 that finish GELU (any order). Returns
 * the last node's index (its chain members pushed) or -1. */
static int gelu_tail(const vrt__ir *ir, int a, int x, chain *c) {
    int m1 = sole_user(ir, a, VRT__OP_Mul);
    if (m1 < 0) return -1;
    int o = other(&ir->nodes[m1], a), y1 = ir->nodes[m1].outputs[0];
    const vrt__node *h;
    if (o == x) { /* (x * a) * 0.5 */
        int m2 = sole_user(ir, y1, VRT__OP_Mul);
        if (m2 < 0 || !near(ir, other(&ir->nodes[m2], y1), 0.5, 1e-6)) return -1;
        push(c, m1), push(c, m2);
        return m2;
    }
    if (near(ir, o, 0.5, 1e-6)) { /* x * (a * 0.5) */
        int m2 = sole_user(ir, y1, VRT__OP_Mul);
        if (m2 < 0 || other(&ir->nodes[m2], y1) != x) return -1;
        push(c, m1), push(c, m2);
        return m2;
    }
    if ((h = prod_op(ir, o, VRT__OP_Mul)) && priv(ir, o) &&
        near(ir, other(h, x), 0.5, 1e-6)) { /* (x*0.5)*a */
        push(c, node_index(ir, h)), push(c, m1);
        return m1;
    }
    return -1;
}

/* 1 + f where f is the output of node i: the Add's output, its index pushed. */
static int plus_one(const vrt__ir *ir, int f, chain *c) {
    int ad = sole_user(ir, f, VRT__OP_Add);
    if (ad < 0 || !near(ir, other(&ir->nodes[ad], f), 1.0, 1e-6)) return -1;
    push(c, ad);
    return ir->nodes[ad].outputs[0];
}

/* Erf(x / sqrt 2) or Erf(x * 0.7071...): x, the scaling node pushed. */
static int gelu_erf_head(const vrt__ir *ir, const vrt__node *e, chain *c) {
    int t = e->inputs[0];
    const vrt__node *d = prod_op(ir, t, VRT__OP_Div);
    if (d && priv(ir, t) && d->n_inputs == 2 && near(ir, d->inputs[1], sqrt(2.0), 1e-4)) {
        push(c, node_index(ir, d));
        return d->inputs[0];
    }
    const vrt__node *m = prod_op(ir, t, VRT__OP_Mul);
    if (!m || !priv(ir, t) || m->n_inputs != 2) return -1;
    for (int k = 0; k < 2; k++)
        if (near(ir, m->inputs[1 - k], sqrt(0.5), 1e-4) && !ir->tensors[m->inputs[k]].data) {
            push(c, node_index(ir, m));
            return m->inputs[k];
        }
    return -1;
}

/* x^3 as Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x). */
static int cube_of(const vrt__ir *ir, int t, int x, chain *c) {
    const vrt__node *p = prod_op(ir, t, VRT__OP_Pow);
    if (p && priv(ir, t) && p->n_inputs == 2 && p->inputs[0] == x && near(ir, p->inputs[1], 3.0, 1e-6)) {
        push(c, node_index(ir, p));
        return 1;
    }
    const vrt__node *m = prod_op(ir, t, VRT__OP_Mul);
    if (!m || !priv(ir, t) || m->n_inputs != 2) return 0;
    int sq = other(m, x);
    const vrt__node *s = prod_op(ir, sq, VRT__OP_Mul);
    if (sq < 0 || !s || !priv(ir, sq) || s->inputs[0] != x || s->inputs[1] != x) return 0;
    push(c, node_index(ir, m)), push(c, node_index(ir, s));
    return 1;
}

/* Tanh(0.79788 * (x + 0.044715 * x^3)): x, its nodes pushed. */
static int gelu_tanh_head(const vrt__ir *ir, const vrt__node *th, chain *c) {
    int t = th->inputs[0];
    const vrt__node *m = prod_op(ir, t, VRT__OP_Mul);
    if (!m || !priv(ir, t) || m->n_inputs != 2) return -1;
    for (int k = 0; k < 2; k++) {
        int u = m->inputs[k];
        const vrt__node *ad = prod_op(ir, u, VRT__OP_Add);
        if (!near(ir, m->inputs[1 - k], sqrt(2.0 / M_PI), 1e-4) || !ad || !priv(ir, u) || ad->n_inputs != 2)
            continue;
        for (int q = 0; q < 2; q++) {
            int x = ad->inputs[q], w = ad->inputs[1 - q];
            const vrt__node *mw = prod_op(ir, w, VRT__OP_Mul);
            if (!mw || !priv(ir, w) || mw->n_inputs != 2) continue;
            for (int r = 0; r < 2; r++) {
                chain save = *c;
                if (!near(ir, mw->inputs[1 - r], 0.044715, 1e-4) || !cube_of(ir, mw->inputs[r], x, c)) {
                    *c = save;
                    continue;
                }
                push(c, node_index(ir, m)), push(c, node_index(ir, ad)), push(c, node_index(ir, mw));
                return x;
            }
        }
    }
    return -1;
}

static vrt_status fuse_gelu(vrt__ir *ir, vrt__pass_report *rep) {
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        if ((n->op != VRT__OP_Erf && n->op != VRT__OP_Tanh) || n->n_inputs != 1 || n->n_outputs != 1)
            continue;
        chain c = {{0}, 0};
        int tanh_form = n->op == VRT__OP_Tanh;
        int x = tanh_form ? gelu_tanh_head(ir, n, &c) : gelu_erf_head(ir, n, &c);
        if (x < 0 || !is_float_t(ir, x)) continue;
        push(&c, i);
        int a = plus_one(ir, n->outputs[0], &c);
        int last = a >= 0 ? gelu_tail(ir, a, x, &c) : -1;
        if (last < 0 || !same_shape(ir, x, ir->nodes[last].outputs[0])) continue;
        vrt_status st;
        vrt__node *f = &ir->nodes[last];
        if ((st = become(f, VRT__OP_Gelu, &x, 1)) ||
            (st = vrt__node_set_string(f, "approximate", tanh_form ? "tanh" : "none")))
            return st;
        note(rep, f->name, tanh_form ? "Gelu(tanh)" : "Gelu(erf)");
        if (rep) rep->gelu_fused++;
        if ((st = drop(ir, &c, last))) return st;
        i = -1; /* indices moved: scan again (the graphs are small) */
    }
    return VRT_OK;
}

/* ---- LayerNorm ---- */

/* ReduceMean over exactly the last axis, keepdims. */
static int mean_last(const vrt__ir *ir, const vrt__node *r) {
    int cnt = 0;
    const int64_t *ax = vrt__node_get_ints(r, "axes", &cnt);
    int nd = ir->tensors[r->inputs[0]].shape.ndim;
    return r->op == VRT__OP_ReduceMean && r->n_inputs == 1 && ax && cnt == 1 &&
           (ax[0] == nd - 1 || ax[0] == -1) && vrt__node_get_int(r, "keepdims", 1) == 1;
}

/* A weight of `inner` elements laid along the last axis only. */
static int row_weight(const vrt__ir *ir, int t, int64_t inner) {
    if (t < 0 || !ir->tensors[t].data || !is_float_t(ir, t)) return 0;
    const vrt__shape *s = &ir->tensors[t].shape;
    return s->ndim >= 1 && s->d[s->ndim - 1] == inner && vrt__shape_numel(s) == inner;
}

/* The normalised d / sqrt(var + eps) from d = x - mean: its node's index, eps out. */
static int ln_norm(const vrt__ir *ir, int d, chain *c, float *eps) {
    const vrt__tensor *td = &ir->tensors[d];
    /* Two readers (Mul(d, d) is listed once per use: three entries). */
    if (td->n_consumers < 2 || td->n_consumers > 3 || td->is_output) return -1;
    int sqn = -1, div = -1;
    for (int k = 0; k < td->n_consumers; k++) {
        int ci = td->consumers[k];
        const vrt__node *u = &ir->nodes[ci];
        if ((u->op == VRT__OP_Pow && u->inputs[0] == d && near(ir, u->inputs[1], 2.0, 1e-6)) ||
            (u->op == VRT__OP_Mul && u->inputs[0] == d && u->inputs[1] == d)) {
            if (sqn >= 0 && sqn != ci) return -1;
            sqn = ci;
        } else if ((u->op == VRT__OP_Div && u->inputs[0] == d) || u->op == VRT__OP_Mul) {
            if (div >= 0) return -1;
            div = ci;
        } else {
            return -1;
        }
    }
    if (td->n_consumers == 3 && ir->nodes[sqn].op != VRT__OP_Mul) return -1;
    if (sqn < 0 || div < 0) return -1;
    int r2 = sole_user(ir, ir->nodes[sqn].outputs[0], VRT__OP_ReduceMean);
    if (r2 < 0 || !mean_last(ir, &ir->nodes[r2])) return -1;
    int v = ir->nodes[r2].outputs[0], ae = sole_user(ir, v, VRT__OP_Add);
    if (ae < 0 || !scalar(ir, other(&ir->nodes[ae], v), eps)) return -1;
    int sq = sole_user(ir, ir->nodes[ae].outputs[0], VRT__OP_Sqrt);
    if (sq < 0) return -1;
    int s = ir->nodes[sq].outputs[0];
    push(c, sqn), push(c, r2), push(c, ae), push(c, sq);
    const vrt__node *dv = &ir->nodes[div];
    if (dv->op == VRT__OP_Div) return dv->inputs[1] == s && priv(ir, s) ? div : -1;
    int rc = sole_user(ir, s, VRT__OP_Reciprocal);
    if (rc < 0 || other(dv, d) != ir->nodes[rc].outputs[0] || !priv(ir, ir->nodes[rc].outputs[0])) return -1;
    push(c, rc);
    return div;
}

/* From the normalised value: Mul(gamma) and Add(beta) when present. */
static int ln_affine(const vrt__ir *ir, int nrm, int64_t inner, int *gamma, int *beta, chain *c) {
    int last = nrm, t = ir->nodes[nrm].outputs[0];
    int mg = sole_user(ir, t, VRT__OP_Mul);
    if (mg < 0 || !row_weight(ir, other(&ir->nodes[mg], t), inner)) return last;
    *gamma = other(&ir->nodes[mg], t);
    push(c, mg);
    last = mg, t = ir->nodes[mg].outputs[0];
    int ab = sole_user(ir, t, VRT__OP_Add);
    if (ab < 0 || !row_weight(ir, other(&ir->nodes[ab], t), inner)) return last;
    *beta = other(&ir->nodes[ab], t);
    push(c, ab);
    return ab;
}

static int ones_weight(vrt__ir *ir, const char *base, int64_t inner) {
    char name[300];
    snprintf(name, sizeof(name), "%s.ln_ones", base);
    float *w = vrt_malloc((size_t)inner * sizeof(float));
    int t = w ? vrt__ir_add_tensor(ir, name) : -1;
    if (t < 0) {
        vrt_free(w);
        return -1;
    }
    for (int64_t i = 0; i < inner; i++)
        w[i] = 1.0f;
    vrt__tensor *x = &ir->tensors[t];
    x->dtype = VRT__DT_FLOAT;
    x->shape.ndim = 1, x->shape.d[0] = inner;
    x->shape_known = 1;
    x->kind = VRT__TK_WEIGHT;
    x->data = w;
    x->nbytes = (size_t)inner * sizeof(float);
    x->producer = -1;
    return t;
}

static vrt_status ln_rewrite(vrt__ir *ir, int last, int x, int gamma, int beta, float eps, chain *c,
                             vrt__pass_report *rep) {
    const vrt__shape *xs = &ir->tensors[x].shape;
    int64_t axis = xs->ndim - 1;
    if (gamma < 0 && (gamma = ones_weight(ir, ir->nodes[last].name, xs->d[axis])) < 0) return VRT_ENOMEM;
    int in[3] = {x, gamma, beta};
    vrt__node *f = &ir->nodes[last];
    vrt_status st;
    if ((st = become(f, VRT__OP_LayerNormalization, in, beta >= 0 ? 3 : 2)) ||
        (st = vrt__node_set_int(f, "axis", axis)) || (st = vrt__node_set_float(f, "epsilon", eps)))
        return st;
    note(rep, f->name, "LayerNorm(decomposed)");
    if (rep) rep->layernorm_fused++;
    return drop(ir, c, last);
}

static vrt_status fuse_layernorm(vrt__ir *ir, vrt__pass_report *rep) {
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *r1 = &ir->nodes[i];
        if (r1->op != VRT__OP_ReduceMean || r1->n_outputs != 1 || !mean_last(ir, r1)) continue;
        int x = r1->inputs[0], m = r1->outputs[0];
        if (!is_float_t(ir, x) || ir->tensors[x].shape.ndim < 1) continue;
        int sb = sole_user(ir, m, VRT__OP_Sub);
        if (sb < 0 || ir->nodes[sb].inputs[0] != x || ir->nodes[sb].inputs[1] != m) continue;
        chain c = {{i, sb}, 2};
        float eps = 0;
        int nrm = ln_norm(ir, ir->nodes[sb].outputs[0], &c, &eps);
        if (nrm < 0) continue;
        push(&c, nrm);
        const vrt__shape *xs = &ir->tensors[x].shape;
        int gamma = -1, beta = -1;
        int last = ln_affine(ir, nrm, xs->d[xs->ndim - 1], &gamma, &beta, &c);
        if (!same_shape(ir, x, ir->nodes[last].outputs[0]) || c.n >= MAXCHAIN) continue;
        vrt_status st = ln_rewrite(ir, last, x, gamma, beta, eps, &c, rep);
        if (st) return st;
        i = -1;
    }
    return VRT_OK;
}

/* An optional output that nothing reads. */
static int unused_out(const vrt__ir *ir, const vrt__node *n, int k) {
    if (k >= n->n_outputs || n->outputs[k] < 0) return 1;
    const vrt__tensor *t = &ir->tensors[n->outputs[k]];
    return !t->n_consumers && !t->is_output;
}

/* Available at node position `at`: a weight or produced before it. */
static int ready_at(const vrt__ir *ir, int t, int at) {
    return t < 0 || ir->tensors[t].data || producer(ir, t) < at;
}

static vrt_status fuse_add_layernorm(vrt__ir *ir, vrt__pass_report *rep) {
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *l = &ir->nodes[i];
        if (l->op != VRT__OP_LayerNormalization || l->n_inputs < 2 || !unused_out(ir, l, 1) ||
            !unused_out(ir, l, 2) || l->outputs[0] < 0)
            continue;
        int x = l->inputs[0], nd = ir->tensors[x].shape.ndim;
        int64_t axis = vrt__node_get_int(l, "axis", -1);
        if (axis != -1 && axis != nd - 1) continue;
        const vrt__node *a = prod_op(ir, x, VRT__OP_Add);
        if (!a || a->n_inputs != 2 || a->n_outputs != 1 || vrt__node_attr(a, "_act") || !is_float_t(ir, x) ||
            !same_shape(ir, a->inputs[0], x) || !same_shape(ir, a->inputs[1], x) ||
            ir->tensors[a->inputs[0]].dtype != ir->tensors[x].dtype ||
            ir->tensors[a->inputs[1]].dtype != ir->tensors[x].dtype)
            continue;
        int ai = node_index(ir, a), scale = l->inputs[1], bias = l->n_inputs > 2 ? l->inputs[2] : -1;
        if (!ready_at(ir, scale, ai) || !ready_at(ir, bias, ai)) continue;
        float eps = vrt__node_get_float(l, "epsilon", 1e-5f);
        int keep_sum = !priv(ir, x), y = l->outputs[0];
        int in[4] = {a->inputs[0], a->inputs[1], scale, bias};
        vrt__node *f = &ir->nodes[ai];
        vrt_status st;
        if ((st = become(f, VRT__OP_VrtAddLayerNorm, in, 4))) return st;
        int *outs = vrt_realloc(f->outputs, 2 * sizeof(int));
        if (!outs) return VRT_ENOMEM;
        f->outputs = outs;
        outs[0] = y, outs[1] = keep_sum ? x : -1;
        f->n_outputs = 2;
        if ((st = vrt__node_set_int(f, "axis", nd - 1)) || (st = vrt__node_set_float(f, "epsilon", eps)))
            return st;
        note(rep, f->name, keep_sum ? "LayerNorm(+sum out)" : "LayerNorm");
        if (rep) rep->add_layernorm_fused++;
        chain c = {{i}, 1};
        if ((st = drop(ir, &c, -1))) return st;
        i = -1;
    }
    return VRT_OK;
}

/* ---- attention ---- */

typedef struct operand {
    int t;                       /* tensor read */
    int64_t perm[VRT__MAX_DIMS]; /* logical dim i = tensor dim perm[i] */
} operand;

static void perm_id(int64_t *p, int r, int swap_last) {
    for (int i = 0; i < r; i++)
        p[i] = i;
    if (swap_last) p[r - 2] = r - 1, p[r - 1] = r - 2;
}

/* A Transpose's perm that swaps only the last two axes. */
static int swaps_last(const vrt__node *n, int r) {
    int cnt = 0;
    const int64_t *p = vrt__node_get_ints(n, "perm", &cnt);
    if (!p || cnt != r || r < 2) return 0;
    for (int i = 0; i < r - 2; i++)
        if (p[i] != i) return 0;
    return p[r - 2] == r - 1 && p[r - 1] == r - 2;
}

/* Walks back through private Transposes (and for Q and K, scalar Muls: they
 * scale the scores) that only feed the operand. */
static void absorb_input(const vrt__ir *ir, operand *o, int r, float *scale, chain *c) {
    for (;;) {
        int t = o->t;
        const vrt__node *tr = prod_op(ir, t, VRT__OP_Transpose), *m = prod_op(ir, t, VRT__OP_Mul);
        int cnt = 0;
        const int64_t *p = tr ? vrt__node_get_ints(tr, "perm", &cnt) : NULL;
        float v;
        if (tr && priv(ir, t) && p && cnt == r && ir->tensors[tr->inputs[0]].shape.ndim == r) {
            for (int i = 0; i < r; i++)
                o->perm[i] = p[o->perm[i]];
            o->t = tr->inputs[0];
            push(c, node_index(ir, tr));
            continue;
        }
        if (scale && m && priv(ir, t) && m->n_inputs == 2) {
            int k = scalar(ir, m->inputs[1], &v) ? 0 : scalar(ir, m->inputs[0], &v) ? 1 : -1;
            if (k >= 0 && same_shape(ir, m->inputs[k], t) && !ir->tensors[m->inputs[k]].data) {
                *scale *= v;
                o->t = m->inputs[k];
                push(c, node_index(ir, m));
                continue;
            }
        }
        return;
    }
}

typedef struct attn_match {
    operand q, k, v;
    int64_t operm[VRT__MAX_DIMS];
    int mask, last, out;
    int nan_zero; /* the probabilities went through Where(IsNaN(p), 0, p) */
    float scale;
    chain c;
} attn_match;

/* Back from the softmax input: [Add mask] [Mul/Div scalar] MatMul(Q, K^T). */
static int attn_scores(const vrt__ir *ir, int z, attn_match *am) {
    const vrt__node *ad = prod_op(ir, z, VRT__OP_Add);
    am->mask = -1;
    if (ad && priv(ir, z) && ad->n_inputs == 2) {
        for (int k = 0; k < 2; k++) {
            int s = ad->inputs[k], p = producer(ir, s);
            if (p < 0 || !same_shape(ir, s, z) || !is_float_t(ir, ad->inputs[1 - k])) continue;
            int op = ir->nodes[p].op;
            if (op != VRT__OP_MatMul && op != VRT__OP_Mul && op != VRT__OP_Div) continue;
            am->mask = ad->inputs[1 - k];
            push(&am->c, node_index(ir, ad));
            z = s;
            break;
        }
        if (am->mask < 0) return -1;
    }
    const vrt__node *sc = prod_op(ir, z, VRT__OP_Mul), *dv = prod_op(ir, z, VRT__OP_Div);
    float v;
    if (sc && priv(ir, z) && sc->n_inputs == 2) {
        int k = scalar(ir, sc->inputs[1], &v) ? 0 : scalar(ir, sc->inputs[0], &v) ? 1 : -1;
        if (k < 0) return -1;
        am->scale *= v;
        push(&am->c, node_index(ir, sc));
        z = sc->inputs[k];
    } else if (dv && priv(ir, z) && dv->n_inputs == 2) {
        if (!scalar(ir, dv->inputs[1], &v) || v == 0.0f) return -1;
        am->scale /= v;
        push(&am->c, node_index(ir, dv));
        z = dv->inputs[0];
    }
    const vrt__node *mm = prod_op(ir, z, VRT__OP_MatMul);
    if (!mm || !priv(ir, z) || mm->n_inputs != 2 || vrt__node_attr(mm, "_act") || vrt__node_attr(mm, "_bias"))
        return -1;
    push(&am->c, node_index(ir, mm));
    am->q.t = mm->inputs[0], am->k.t = mm->inputs[1];
    return 0;
}

/* Where(IsNaN(p), 0, p) over the softmax output p (transformers' DETR
 * attention zeroes the rows a mask hid completely): the Where's output, its
 * two nodes pushed; -1 when p is not read that way. */
static int nan_zeroed(const vrt__ir *ir, int p, chain *c) {
    const vrt__tensor *tp = &ir->tensors[p];
    if (tp->n_consumers != 2 || tp->is_output) return -1;
    int isn = -1, wh = -1;
    for (int k = 0; k < 2; k++) {
        int u = tp->consumers[k];
        if (ir->nodes[u].op == VRT__OP_IsNaN) isn = u;
        if (ir->nodes[u].op == VRT__OP_Where) wh = u;
    }
    if (isn < 0 || wh < 0) return -1;
    const vrt__node *in = &ir->nodes[isn], *w = &ir->nodes[wh];
    float z;
    if (in->n_outputs != 1 || !priv(ir, in->outputs[0]) || w->n_inputs != 3 ||
        w->inputs[0] != in->outputs[0] || w->inputs[2] != p || !scalar(ir, w->inputs[1], &z) || z != 0.0f ||
        w->n_outputs != 1 || !same_shape(ir, w->outputs[0], p))
        return -1;
    push(c, isn);
    push(c, wh);
    return w->outputs[0];
}

/* Forward from the softmax output: MatMul(P, V) or MatMul(V, Transpose(P)). */
static int attn_values(const vrt__ir *ir, int p, int r, attn_match *am) {
    int pz = nan_zeroed(ir, p, &am->c);
    if (pz >= 0) p = pz, am->nan_zero = 1;
    int mm = sole_user(ir, p, VRT__OP_MatMul);
    if (mm >= 0 && ir->nodes[mm].inputs[0] == p && ir->nodes[mm].inputs[1] != p) {
        am->v.t = ir->nodes[mm].inputs[1];
        perm_id(am->v.perm, r, 0);
        perm_id(am->operm, r, 0);
    } else {
        int tr = sole_user(ir, p, VRT__OP_Transpose);
        if (tr < 0 || !swaps_last(&ir->nodes[tr], r)) return -1;
        int pt = ir->nodes[tr].outputs[0];
        mm = sole_user(ir, pt, VRT__OP_MatMul);
        if (mm < 0 || ir->nodes[mm].inputs[1] != pt || ir->nodes[mm].inputs[0] == pt) return -1;
        push(&am->c, tr);
        am->v.t = ir->nodes[mm].inputs[0];
        perm_id(am->v.perm, r, 1);
        perm_id(am->operm, r, 1);
    }
    const vrt__node *m = &ir->nodes[mm];
    if (m->n_inputs != 2 || vrt__node_attr(m, "_act") || vrt__node_attr(m, "_bias") ||
        ir->tensors[am->v.t].shape.ndim != r || ir->tensors[m->outputs[0]].shape.ndim != r)
        return -1;
    push(&am->c, mm);
    am->last = mm, am->out = m->outputs[0];
    /* A Reshape to the same shape that only reads the result (transformers' DETR and DINOv2
     * exports put one between the P V MatMul and the heads' Transpose): the result is its output. */
    int rs = sole_user(ir, am->out, VRT__OP_Reshape);
    if (rs >= 0 && same_shape(ir, am->out, ir->nodes[rs].outputs[0]) &&
        ir->tensors[ir->nodes[rs].outputs[0]].dtype == ir->tensors[am->out].dtype) {
        push(&am->c, rs);
        am->last = rs, am->out = ir->nodes[rs].outputs[0];
    }
    /* A Transpose that only reads the result: written in its layout directly. */
    int ot = sole_user(ir, am->out, VRT__OP_Transpose), cnt = 0;
    const int64_t *tp = ot >= 0 ? vrt__node_get_ints(&ir->nodes[ot], "perm", &cnt) : NULL;
    if (tp && cnt == r) {
        int64_t inv[VRT__MAX_DIMS];
        for (int j = 0; j < r; j++)
            inv[tp[j]] = j;
        for (int i = 0; i < r; i++)
            am->operm[i] = inv[am->operm[i]];
        push(&am->c, ot);
        am->last = ot, am->out = ir->nodes[ot].outputs[0];
    }
    return 0;
}

static vrt_status set_perm(vrt__node *n, const char *name, const int64_t *p, int r) {
    return vrt__node_set_ints(n, name, p, r);
}

static int attn_match_at(const vrt__ir *ir, int si, attn_match *am) {
    const vrt__node *sm = &ir->nodes[si];
    memset(am, 0, sizeof(*am));
    am->scale = 1.0f;
    if (sm->op != VRT__OP_Softmax || sm->n_inputs != 1 || sm->n_outputs != 1) return -1;
    int z = sm->inputs[0], p = sm->outputs[0], r = ir->tensors[z].shape.ndim;
    int64_t ax = vrt__node_get_int(sm, "axis", -1);
    if (r < 2 || r > VRT__ATTN_MAX_BATCH + 2 || (ax != -1 && ax != r - 1) || !is_float_t(ir, z)) return -1;
    if (attn_scores(ir, z, am) || attn_values(ir, p, r, am)) return -1;
    push(&am->c, si);
    if (ir->tensors[am->q.t].shape.ndim != r || ir->tensors[am->k.t].shape.ndim != r) return -1;
    perm_id(am->q.perm, r, 0);
    perm_id(am->k.perm, r, 1); /* the MatMul's second input is K^T */
    absorb_input(ir, &am->q, r, &am->scale, &am->c);
    absorb_input(ir, &am->k, r, &am->scale, &am->c);
    absorb_input(ir, &am->v, r, NULL, &am->c);
    if (!is_float_t(ir, am->q.t) || !is_float_t(ir, am->k.t) || !is_float_t(ir, am->v.t) ||
        am->c.n >= MAXCHAIN)
        return -1;
    return 0;
}

static vrt_status attn_rewrite(vrt__ir *ir, attn_match *am, vrt__pass_report *rep) {
    int r = ir->tensors[am->out].shape.ndim;
    int in[4] = {am->q.t, am->k.t, am->v.t, am->mask};
    vrt__node *f = &ir->nodes[am->last];
    vrt_status st;
    if ((st = become(f, VRT__OP_VrtAttention, in, am->mask >= 0 ? 4 : 3))) return st;
    f->outputs[0] = am->out;
    if ((st = vrt__node_set_float(f, "scale", am->scale)) || (st = set_perm(f, "q_perm", am->q.perm, r)) ||
        (st = set_perm(f, "k_perm", am->k.perm, r)) || (st = set_perm(f, "v_perm", am->v.perm, r)) ||
        (st = set_perm(f, "o_perm", am->operm, r)) ||
        (am->nan_zero && (st = vrt__node_set_int(f, "nan_zero", 1))))
        return st;
    note(rep, f->name, am->mask >= 0 ? "Attention(mask)" : "Attention");
    if (rep) rep->attention_fused++;
    return drop(ir, &am->c, am->last);
}

/* The sizes the kernels take (CUDA: head dims up to 256). */
static int attn_sizes_ok(const vrt__ir *ir, const attn_match *am, vrt__node *probe) {
    vrt__attn_params p;
    const vrt__shape *ms = am->mask >= 0 ? &ir->tensors[am->mask].shape : NULL;
    int r = ir->tensors[am->out].shape.ndim;
    if (set_perm(probe, "q_perm", am->q.perm, r) || set_perm(probe, "k_perm", am->k.perm, r) ||
        set_perm(probe, "v_perm", am->v.perm, r) || set_perm(probe, "o_perm", am->operm, r))
        return 0;
    if (vrt__op_attention_params(probe, &ir->tensors[am->q.t].shape, &ir->tensors[am->k.t].shape,
                                 &ir->tensors[am->v.t].shape, ms, &ir->tensors[am->out].shape, &p, NULL, 0))
        return 0;
    return p.d >= 1 && p.d <= 256 && p.dv >= 1 && p.dv <= 256 && p.sk >= 1;
}

static vrt_status fuse_attention(vrt__ir *ir, vrt__pass_report *rep) {
    vrt__node probe;
    memset(&probe, 0, sizeof(probe));
    vrt_status st = VRT_OK;
    for (int i = 0; i < ir->n_nodes && !st; i++) {
        attn_match am;
        if (ir->nodes[i].op != VRT__OP_Softmax || attn_match_at(ir, i, &am) ||
            !attn_sizes_ok(ir, &am, &probe))
            continue;
        st = attn_rewrite(ir, &am, rep);
        i = -1;
    }
    vrt__node_free(&probe);
    return st;
}

/* ---- MatMul + bias ---- */

static vrt_status fuse_matmul_bias(vrt__ir *ir, vrt__pass_report *rep) {
    for (int i = 0; i < ir->n_nodes; i++) {
        vrt__node *m = &ir->nodes[i];
        if (m->op != VRT__OP_MatMul || m->n_inputs != 2 || m->n_outputs != 1 || vrt__node_attr(m, "_act") ||
            vrt__node_attr(m, "_bias"))
            continue;
        int y = m->outputs[0], ad = sole_user(ir, y, VRT__OP_Add);
        if (ad < 0 || !is_float_t(ir, y) || ir->tensors[y].shape.ndim < 1) continue;
        const vrt__shape *ys = &ir->tensors[y].shape;
        int b = other(&ir->nodes[ad], y), z = ir->nodes[ad].outputs[0];
        if (b < 0 || !row_weight(ir, b, ys->d[ys->ndim - 1]) || ir->tensors[b].shape.ndim > ys->ndim ||
            !same_shape(ir, y, z) || ir->tensors[b].dtype != ir->tensors[y].dtype)
            continue;
        int *in = vrt_realloc(m->inputs, 3 * sizeof(int));
        if (!in) return VRT_ENOMEM;
        m->inputs = in, in[2] = b, m->n_inputs = 3;
        m->outputs[0] = z;
        vrt_status st = vrt__node_set_int(m, "_bias", 1);
        if (st) return st;
        note(rep, m->name, "Add(bias)");
        if (rep) rep->matmul_bias_fused++;
        chain c = {{ad}, 1};
        if ((st = drop(ir, &c, -1))) return st;
        i = -1;
    }
    return VRT_OK;
}

/* ---- MatMul [+ bias] -> Mul(per-column constant): layer scale ---- */

/* An fp32 weight copied into a new weight tensor named base+suffix (the
 * original may be shared); -1 on ENOMEM. */
static int weight_copy(vrt__ir *ir, int src, const char *base, const char *suffix) {
    const vrt__tensor *s = &ir->tensors[src];
    int64_t n = vrt__shape_numel(&s->shape);
    float *w = vrt_malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!w) return -1;
    memcpy(w, s->data, (size_t)n * sizeof(float));
    char name[300];
    snprintf(name, sizeof(name), "%s%s", base, suffix);
    vrt__shape sh = s->shape;
    int t = vrt__ir_add_tensor(ir, name);
    if (t < 0) {
        vrt_free(w);
        return -1;
    }
    vrt__tensor *x = &ir->tensors[t];
    x->dtype = VRT__DT_FLOAT;
    x->shape = sh;
    x->shape_known = 1;
    x->kind = VRT__TK_WEIGHT;
    x->data = w;
    x->nbytes = (size_t)(n ? n : 0) * sizeof(float);
    x->producer = -1;
    return t;
}

/* The Mul node scaling MatMul i's private output by a constant over its last
 * dim only (N values or one); *g its tensor. -1 when it does not. */
static int column_scale(const vrt__ir *ir, int i, int *g) {
    const vrt__node *m = &ir->nodes[i];
    if (m->op != VRT__OP_MatMul || m->n_outputs != 1 || vrt__node_attr(m, "_act") || m->n_inputs < 2 ||
        !ir->tensors[m->inputs[1]].data || ir->tensors[m->inputs[1]].dtype != VRT__DT_FLOAT ||
        ir->tensors[m->inputs[1]].shape.ndim != 2 || ir->tensors[m->inputs[0]].data ||
        (m->n_inputs > 2 && m->inputs[2] >= 0 &&
         (!ir->tensors[m->inputs[2]].data || ir->tensors[m->inputs[2]].dtype != VRT__DT_FLOAT)))
        return -1;
    int y = m->outputs[0], mu = sole_user(ir, y, VRT__OP_Mul);
    if (mu < 0 || ir->tensors[y].dtype != VRT__DT_FLOAT) return -1;
    const vrt__shape *ys = &ir->tensors[y].shape;
    int c = other(&ir->nodes[mu], y), z = ir->nodes[mu].outputs[0];
    if (c < 0 || c == y || !ir->tensors[c].data || !is_float_t(ir, c) || !same_shape(ir, y, z) ||
        ir->tensors[z].dtype != ir->tensors[y].dtype)
        return -1;
    const vrt__shape *cs = &ir->tensors[c].shape;
    int64_t n = vrt__shape_numel(cs), N = ys->d[ys->ndim - 1];
    if (cs->ndim > ys->ndim || (n != 1 && n != N) || (n == N && N > 1 && cs->d[cs->ndim - 1] != N)) return -1;
    *g = c;
    return mu;
}

/* DINOv2's layer scale (x W + b) * g, g per output column: W's columns and b
 * scaled by g (in double, rounded once), the Mul removed (in the fusion log,
 * "name+Mul(per-column)"; not counted as a MatMul+bias fusion). */
static vrt_status fold_column_scale(vrt__ir *ir, vrt__pass_report *rep) {
    for (int i = 0; i < ir->n_nodes; i++) {
        int gt = -1, mu = column_scale(ir, i, &gt);
        if (mu < 0) continue;
        int has_b = ir->nodes[i].n_inputs > 2 && ir->nodes[i].inputs[2] >= 0;
        char base[256];
        snprintf(base, sizeof(base), "%s", ir->nodes[i].name);
        int tw = weight_copy(ir, ir->nodes[i].inputs[1], base, ".scaled_w");
        int tb = tw >= 0 && has_b ? weight_copy(ir, ir->nodes[i].inputs[2], base, ".scaled_b") : -1;
        if (tw < 0 || (has_b && tb < 0)) return VRT_ENOMEM;
        const vrt__tensor *g = &ir->tensors[gt];
        int64_t ng = vrt__shape_numel(&g->shape), K = ir->tensors[tw].shape.d[0],
                N = ir->tensors[tw].shape.d[1];
        float *w = ir->tensors[tw].data, *b = tb >= 0 ? ir->tensors[tb].data : NULL;
        for (int64_t n = 0; n < N; n++) {
            int64_t q = ng == 1 ? 0 : n;
            double gv = g->dtype == VRT__DT_FLOAT ? ((const float *)g->data)[q]
                                                  : vrt__half_to_float(((const uint16_t *)g->data)[q]);
            for (int64_t k = 0; k < K; k++)
                w[k * N + n] = (float)((double)w[k * N + n] * gv);
            if (b) b[n] = (float)((double)b[n] * gv);
        }
        vrt__node *m = &ir->nodes[i];
        m->inputs[1] = tw;
        if (b) m->inputs[2] = tb;
        m->outputs[0] = ir->nodes[mu].outputs[0];
        note(rep, m->name, "Mul(per-column)");
        chain c = {{mu}, 1};
        vrt_status st = drop(ir, &c, -1);
        if (st) return st;
        i = -1;
    }
    return VRT_OK;
}

vrt_status vrt__passes_transformer(vrt__ir *ir, const vrt__pass_opts *o, vrt__pass_report *rep) {
    vrt_status st = VRT_OK;
    if (!st && o->fuse_gelu) st = fuse_gelu(ir, rep);
    if (!st && o->fuse_layernorm) st = fuse_layernorm(ir, rep);
    if (!st && o->fuse_attention) st = fuse_attention(ir, rep);
    if (!st && o->fuse_matmul_bias) st = fuse_matmul_bias(ir, rep);
    if (!st && o->fuse_matmul_bias) st = fold_column_scale(ir, rep);
    if (!st && o->fuse_layernorm) st = fuse_add_layernorm(ir, rep);
    return st;
}
