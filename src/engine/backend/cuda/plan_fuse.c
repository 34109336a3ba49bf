/*
 * Fusions over the prepared fp16 NHWC plan that take a whole node out of the
 * graph (fewer, fatter kernels): each a rewrite of the steps at prepare,
 * with an option to turn it off for comparisons. Nothing here is on the
 * frame path.
 *
 *   add_epilogue  a residual Add after a conv's activation (YOLOX / CSP
 *                 bottlenecks: y = act(conv(x)) + r) done in that conv's
 *                 epilogue on our implicit GEMM (res_post): the Add is not
 *                 run, the conv writes the Add's output.
 */
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"

/* Device bytes of tensor t (its plan size: an upper bound for fp16 NHWC). */
static size_t dev_bytes(const cuda_ctx *c, int t) {
    size_t b = c->plan->t[t].bytes;
    return b ? b : (size_t)vrt__shape_numel(&c->ir->tensors[t].shape) * 4;
}

static int overlap(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    return a && b && a < b + nb && b < a + na;
}

/* Nodes reading tensor t (a graph output or a view's base counts twice). */
static int readers(const cuda_ctx *c, int t) {
    const vrt__ir *ir = c->ir;
    int n = 0;
    for (int i = 0; i < ir->n_nodes; i++)
        for (int k = 0; k < ir->nodes[i].n_inputs; k++)
            n += ir->nodes[i].inputs[k] == t;
    for (int i = 0; i < ir->n_outputs; i++)
        n += 2 * (ir->outputs[i] == t);
    for (int u = 0; u < ir->n_tensors; u++)
        n += 2 * (c->plan->t[u].storage == VRT__ST_VIEW && c->plan->t[u].base == t);
    return n;
}

static int same_4d(const vrt__shape *a, const vrt__shape *b) {
    if (a->ndim != 4 || b->ndim != 4) return 0;
    for (int q = 0; q < 4; q++)
        if (a->d[q] != b->d[q]) return 0;
    return 1;
}

/* The conv step p can take the Add's residual into its epilogue: fp16 NHWC
 * in and out on our implicit GEMM (so never when the options ask for cuDNN
 * convs), no residual or other rewrite of its own. */
static int conv_takes_add(const cuda_ctx *c, const step *p, int j) {
    return c->opt.conv != VRT_CONV_CUDNN && p->n->op == VRT__OP_Conv && p->h && p->own_ok && !p->dw &&
           !p->cat && !p->cy && !p->cr && !p->hr && !p->ig.focus && !p->res_add && !p->fused &&
           !c->plan->node_const[j] && !c->cat_skip[j] && p->n->n_outputs == 1;
}

/* Whether Add step i (fp16 NHWC, no activation of its own) reads, as input
 * k, the output of the conv step just before it, read by nothing else, and
 * the conv can write the Add's output at its own place: the Add's output
 * must not overlap what the conv reads (the arena may give it the memory of
 * the conv's input, dead after the conv), and the residual only exactly
 * (each output element is written by the thread that read its residual).
 * Nothing else can be live in that memory: the Add's output is planned
 * free of every tensor live at the Add, and every tensor live at the conv
 * but not at the Add is one of the conv's inputs. */
static int add_fusable(const cuda_ctx *c, int i, int k) {
    const step *s = &c->steps[i];
    const vrt__node *n = s->n;
    if (n->op != VRT__OP_Add || !s->h || s->fused || s->cx || s->cy || n->n_inputs != 2 ||
        n->n_outputs != 1 || s->act.kind != VRT__ACT_NONE || c->plan->node_const[i] || c->cat_skip[i] ||
        i < 1)
        return 0;
    int a = n->inputs[k], r = n->inputs[1 - k], y = n->outputs[0];
    const step *p = &c->steps[i - 1];
    if (a < 0 || r < 0 || y < 0 || a == r || p->n->outputs[0] != a || !conv_takes_add(c, p, i - 1)) return 0;
    const vrt__ir *ir = c->ir;
    if (!c->hfmt[a] || !c->hfmt[r] || !c->hfmt[y] || readers(c, a) != 1 ||
        !same_4d(&ir->tensors[a].shape, &ir->tensors[y].shape) ||
        !same_4d(&ir->tensors[r].shape, &ir->tensors[y].shape) || p->ig.M != (int)ir->tensors[y].shape.d[1])
        return 0;
    const uint8_t *yp = c->ptr[y];
    size_t yb = dev_bytes(c, y);
    if (!yp || !c->ptr[r] || (c->ptr[r] != yp && overlap(yp, yb, c->ptr[r], dev_bytes(c, r)))) return 0;
    for (int q = 0; q < p->n->n_inputs; q++) {
        int t = p->n->inputs[q];
        if (t >= 0 && overlap(yp, yb, c->ptr[t], dev_bytes(c, t))) return 0;
    }
    return 1;
}

/* add_epilogue (see the top). Called after vrt__cuda_prep_half and before
 * the conv choice, which then times only our kernel for these convs. */
void vrt__cuda_plan_add(cuda_ctx *c) {
    if (c->math != VRT__CUDA_MATH_FP16 || c->opt.add_epilogue == VRT_SWITCH_OFF) return;
    for (int i = 1; i < c->n_steps; i++)
        for (int k = 0; k < 2; k++) {
            if (!add_fusable(c, i, k)) continue;
            step *s = &c->steps[i], *p = &c->steps[i - 1];
            p->hr = c->ptr[s->n->inputs[1 - k]];
            p->ig.res_post = 1;
            p->hy = s->hy;
            p->res_add = 1;
            s->fused = 1;
            c->n_add_fused++;
            break;
        }
}
