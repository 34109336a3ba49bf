/*
 * The CUDA backend's fp16 NHWC planner: which nodes run and which tensors are
 * held in fp16 NHWC (plan_half), the rewrites over that plan (Concats done in
 * place by their producer convs, the Focus stem read in the first conv's
 * gather, the SPP max-pool cascade) and the fp16 layouts of the weights
 * (prep_half). Runs once at prepare; nothing here is on the frame path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"

/* ---- fp16 NHWC storage (precision fp16) ----
 * A node runs on fp16 NHWC when cuDNN or our kernels can do it there: Conv 2-D
 * (weights and bias known at prepare, symmetric pads), MaxPool/AveragePool 2-D
 * (no indices, floor mode, no dilation, symmetric pads), GlobalAveragePool,
 * channel Concat, same-shape Add, Relu, nearest upsampling by integer factors
 * and bilinear align_corners Resize (see vrt__cuda_node_half_ok).
 * A tensor is HELD as fp16 NHWC when its producer and every consumer are such
 * nodes (conv input 0 or the fused residual, pool input 0) and it is an
 * arena activation that is not a graph output: so conv chains stay in fp16
 * NHWC, and at the region's borders the step converts its operand from / to
 * fp32 NCHW through a shared buffer. Arithmetic accumulates in fp32. */

vrt_status vrt__cuda_plan_half(cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    c->hfmt = vrt_calloc((size_t)ir->n_tensors + 1, 1);
    c->hnode = vrt_calloc((size_t)ir->n_nodes + 1, 1);
    if (!c->hfmt || !c->hnode) return VRT_ENOMEM;
    if (c->math != VRT__CUDA_MATH_FP16) return VRT_OK;
    for (int i = 0; i < ir->n_nodes; i++)
        c->hnode[i] = (uint8_t)vrt__cuda_node_half_ok(c, i);
    /* Candidates: outputs 0 of half nodes held in the arena; then every use must be a half slot. */
    for (int i = 0; i < ir->n_nodes; i++) {
        int t = ir->nodes[i].outputs[0];
        if (c->hnode[i] && t >= 0 && c->plan->t[t].storage == VRT__ST_ARENA) c->hfmt[t] = 1;
    }
    for (int i = 0; i < ir->n_outputs; i++)
        c->hfmt[ir->outputs[i]] = 0;
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < 0 || !c->hfmt[t]) continue;
            int ok = c->hnode[i] && (k == 0 || (n->op == VRT__OP_Conv && k == 3) || n->op == VRT__OP_Concat ||
                                     n->op == VRT__OP_Add);
            if (!ok) c->hfmt[t] = 0;
        }
        for (int k = 1; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0) c->hfmt[n->outputs[k]] = 0;
    }
    /* A view of a tensor (plan base) reads its bytes as fp32 NCHW. */
    for (int t = 0; t < ir->n_tensors; t++)
        if (c->plan->t[t].storage == VRT__ST_VIEW && c->plan->t[t].base >= 0) c->hfmt[c->plan->t[t].base] = 0;
    /* A half Concat or Add reads every input as fp16 NHWC: when one is not,
     * it runs fp32 NCHW, so none of its inputs and not its output may be
     * held in fp16 either; repeat until nothing changes. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < ir->n_nodes; i++) {
            const vrt__node *n = &ir->nodes[i];
            if (!c->hnode[i] || (n->op != VRT__OP_Concat && n->op != VRT__OP_Add)) continue;
            int all = 1;
            for (int k = 0; k < n->n_inputs; k++)
                all &= c->hfmt[n->inputs[k]];
            if (all) continue;
            c->hnode[i] = 0;
            for (int k = 0; k < n->n_inputs; k++)
                c->hfmt[n->inputs[k]] = 0;
            c->hfmt[n->outputs[0]] = 0;
            changed = 1;
        }
    }
    return VRT_OK;
}

/* A conv our implicit GEMM can run whatever its neighbours (fp16 step, group 1, 2-D). */
static int conv_own_capable(const cuda_ctx *c, int i) {
    const vrt__node *n = &c->ir->nodes[i];
    if (n->op != VRT__OP_Conv || !c->hnode[i] || vrt__node_get_int(n, "group", 1) != 1) return 0;
    const vrt__tensor *w = &c->ir->tensors[n->inputs[1]];
    return w->shape.ndim == 4;
}

/* Readers per tensor (node inputs; a graph output or a view's base counts
 * as two, so "read once" means by exactly one node). NULL on ENOMEM. */
static int *tensor_uses(const cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    int *uses = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(int));
    if (!uses) return NULL;
    for (int i = 0; i < ir->n_nodes; i++)
        for (int k = 0; k < ir->nodes[i].n_inputs; k++)
            if (ir->nodes[i].inputs[k] >= 0) uses[ir->nodes[i].inputs[k]]++;
    for (int i = 0; i < ir->n_outputs; i++)
        uses[ir->outputs[i]] += 2;
    for (int t = 0; t < ir->n_tensors; t++)
        if (c->plan->t[t].storage == VRT__ST_VIEW && c->plan->t[t].base >= 0) uses[c->plan->t[t].base] += 2;
    return uses;
}

/* Producing node per tensor (-1: none). NULL on ENOMEM. */
static int *producers(const cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    int *prod = vrt_malloc(((size_t)ir->n_tensors + 1) * sizeof(int));
    if (!prod) return NULL;
    for (int t = 0; t < ir->n_tensors; t++)
        prod[t] = -1;
    for (int i = 0; i < ir->n_nodes; i++) {
        const vrt__node *n = &ir->nodes[i];
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0) prod[n->outputs[k]] = i;
    }
    return prod;
}

/* Whether node i is a channel Concat its producer convs can write in place
 * (see plan_concat): each input distinct, read only here, made by a conv our
 * implicit GEMM can run that writes no other Concat, in the same layout. */
static int concat_elidable(const cuda_ctx *c, int i, const int *prod, const int *uses) {
    const vrt__ir *ir = c->ir;
    const vrt__node *n = &ir->nodes[i];
    if (n->op != VRT__OP_Concat || c->plan->node_const[i] || n->n_outputs != 1 || n->outputs[0] < 0) return 0;
    int yt = n->outputs[0];
    const vrt__tensor *y = &ir->tensors[yt];
    int64_t ax = vrt__node_get_int(n, "axis", 0);
    if (y->shape.ndim != 4 || (ax != 1 && ax != -3) || !is_f(y->dtype) ||
        c->plan->t[yt].storage != VRT__ST_ARENA)
        return 0;
    int ok = n->n_inputs >= 1;
    for (int k = 0; k < n->n_inputs && ok; k++) {
        int t = n->inputs[k];
        ok = t >= 0 && prod[t] >= 0 && uses[t] == 1 && conv_own_capable(c, prod[t]) && !c->cat_out[prod[t]] &&
             c->plan->t[t].storage == VRT__ST_ARENA && c->hfmt[t] == c->hfmt[yt];
        for (int j = 0; j < k && ok; j++)
            ok = n->inputs[j] != t;
    }
    return ok;
}

/* Concat in place: a channel Concat whose every input is produced by a conv
 * our implicit GEMM runs, and read by nothing else, is not run at all: each
 * conv writes its channels straight into the Concat's output (fp16 NHWC at a
 * channel offset, or fp32 NCHW channel planes). Those outputs live in their
 * own buffer. Option concat_in_place OFF turns this off. */
vrt_status vrt__cuda_plan_concat(cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    vrt_status st = VRT_OK;
    c->cat_skip = vrt_calloc((size_t)ir->n_nodes + 1, 1);
    c->cat_out = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(int));
    c->cat_off = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(int));
    int *prod = producers(c), *uses = tensor_uses(c);
    size_t *moff = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(size_t));
    if (!c->cat_skip || !c->cat_out || !c->cat_off || !prod || !uses || !moff) {
        st = VRT_ENOMEM;
        goto out;
    }
    if (c->math != VRT__CUDA_MATH_FP16 || c->opt.concat_in_place == VRT_SWITCH_OFF) goto out;
    size_t total = 0;
    for (int i = 0; i < ir->n_nodes; i++) {
        if (!concat_elidable(c, i, prod, uses)) continue;
        const vrt__node *n = &ir->nodes[i];
        int yt = n->outputs[0], off = 0;
        for (int k = 0; k < n->n_inputs; k++) {
            int p = prod[n->inputs[k]];
            c->cat_out[p] = yt + 1;
            c->cat_off[p] = off;
            off += (int)ir->tensors[n->inputs[k]].shape.d[1];
        }
        c->cat_skip[i] = 1;
        moff[yt] = total + 1;
        total += (c->plan->t[yt].bytes + 255) & ~(size_t)255;
        c->n_cat++;
    }
    if (!total) goto out;
    if ((st = CUCK(cudaMalloc((void **)&c->cat_mem, total)))) goto out;
    for (int t = 0; t < ir->n_tensors; t++)
        if (moff[t]) c->ptr[t] = c->cat_mem + moff[t] - 1;
    for (int t = 0; t < ir->n_tensors; t++)
        if (c->plan->t[t].storage == VRT__ST_VIEW && c->plan->t[t].base >= 0)
            c->ptr[t] = c->ptr[c->plan->t[t].base];
out:
    vrt_free(prod);
    vrt_free(uses);
    vrt_free(moff);
    return st;
}

/* One Slice step's cut of a 4-D tensor, accumulated into (dy, dx): axes 2
 * and 3 may be cut with step 2 from 0 or 1 to the end, others not at all.
 * Returns 0 when the step is anything else. */
static int focus_slice(const step *s, int *dy, int *dx) {
    const vrt__slice_params *p = &s->u.slice;
    const vrt__shape *x = SI(s, 0), *y = SO(s, 0);
    if (s->n->op != VRT__OP_Slice || x->ndim != 4 || y->ndim != 4 || s->ti[0]->dtype != VRT__DT_FLOAT)
        return 0;
    int cut[4] = {0, 0, 0, 0};
    for (int e = 0; e < p->n; e++) {
        int64_t ax = p->axes[e] < 0 ? p->axes[e] + 4 : p->axes[e], st = p->starts[e];
        if (ax < 0 || ax > 3) return 0;
        if (ax < 2) {
            if (p->steps[e] != 1 || st != 0) return 0;
            continue;
        }
        if (p->steps[e] != 2 || (st != 0 && st != 1)) return 0;
        int *d = ax == 2 ? dy : dx;
        if (*d >= 0) return 0; /* cut twice */
        *d = (int)st;
        cut[ax] = 1;
    }
    /* Cut axes keep every second element to the end, the others all of them. */
    for (int a = 0; a < 4; a++)
        if (cut[a] ? (x->d[a] % 2 || y->d[a] * 2 != x->d[a]) : y->d[a] != x->d[a]) return 0;
    return 1;
}

/* The step before `before` whose only output is tensor t; -1 when none. */
static int producer_step(const cuda_ctx *c, int t, int before) {
    for (int q = 0; q < before; q++)
        if (c->steps[q].n->n_outputs == 1 && c->steps[q].n->outputs[0] == t) return q;
    return -1;
}

/* The Slices behind the Focus Concat cn (step ci): per input k, one or two
 * Slice steps (chain[k]) cutting rows from dy[k] and columns from dx[k], all
 * from one tensor, returned (-1 when the pattern does not hold). */
static int focus_source(const cuda_ctx *c, const vrt__node *cn, int ci, const int *uses, int dy[4], int dx[4],
                        int chain[4][2]) {
    int src = -2, ok = 1;
    for (int k = 0; k < 4 && ok; k++) {
        dy[k] = dx[k] = -1;
        chain[k][0] = chain[k][1] = -1;
        int t = cn->inputs[k];
        for (int depth = 0; depth < 2 && ok; depth++) {
            int pi = producer_step(c, t, ci);
            if (pi < 0 || uses[t] != 1 || c->plan->node_const[pi] ||
                !focus_slice(&c->steps[pi], &dy[k], &dx[k])) {
                ok = depth > 0; /* one Slice cutting both axes is enough */
                break;
            }
            chain[k][depth] = pi;
            t = c->steps[pi].n->inputs[0];
            if (dy[k] >= 0 && dx[k] >= 0) break;
        }
        ok = ok && dy[k] >= 0 && dx[k] >= 0 && (src == -2 || src == t);
        src = t;
    }
    return ok && src >= 0 ? src : -1;
}

/* Focus (YOLOv5 / YOLOX stem: four stride-2 Slices of the input, a channel
 * Concat, then a conv) read in the conv's gather: the Slices and the Concat
 * are not run, the conv (our implicit GEMM) reads the input directly. Every
 * intermediate must be read only on this path. Option focus OFF turns it
 * off. Called after vrt__cuda_prep_half. */
vrt_status vrt__cuda_plan_focus(cuda_ctx *c) {
    if (c->math != VRT__CUDA_MATH_FP16 || c->opt.focus == VRT_SWITCH_OFF) return VRT_OK;
    int *uses = tensor_uses(c);
    if (!uses) return VRT_ENOMEM;
    for (int j = 0; j < c->n_steps; j++) {
        step *s2 = &c->steps[j];
        if (!s2->own_ok || !s2->cx || s2->cat || c->plan->node_const[j] || s2->ig.C % 4) continue;
        int ct = s2->n->inputs[0], ci = producer_step(c, ct, j);
        if (ci < 0 || uses[ct] != 1 || c->steps[ci].n->op != VRT__OP_Concat || c->steps[ci].h ||
            c->steps[ci].n->n_inputs != 4 || c->plan->node_const[ci])
            continue;
        const vrt__node *cn = c->steps[ci].n;
        int64_t ax = vrt__node_get_int(cn, "axis", 0);
        if (ax != 1 && ax != -3) continue;
        int dy[4], dx[4], chain[4][2];
        int src = focus_source(c, cn, ci, uses, dy, dx, chain);
        if (src < 0 || c->ir->tensors[src].dtype != VRT__DT_FLOAT ||
            s2->ig.C != 4 * (int)c->ir->tensors[src].shape.d[1])
            continue;
        for (int k = 0; k < 4; k++) {
            s2->ig.focus_dy[k] = dy[k], s2->ig.focus_dx[k] = dx[k];
            for (int d = 0; d < 2; d++)
                if (chain[k][d] >= 0) c->steps[chain[k][d]].fused = 1;
        }
        c->steps[ci].fused = 1;
        s2->ig.focus = 1;
        s2->focus_x = c->ptr[src];
    }
    vrt_free(uses);
    return VRT_OK;
}

/* SPP cascade: stride-1 max pools with "same" pads over one input (YOLO's
 * SPP: 5, 9, 13) are computed as repeated small pools: max over a 9x9
 * window = 5x5 pool of the 5x5 pool's output (padding never wins a max, and
 * the middle of two in-image points is in the image), so a k-window pool
 * whose input also feeds a stride-1 pool of k' = k - (k0 - 1) reads that
 * pool's output with a k0 window: 25 taps instead of 81 / 169. Exact.
 * Option spp_cascade OFF turns it off. Called after vrt__cuda_prep_half. */
void vrt__cuda_plan_spp(cuda_ctx *c) {
    if (c->math != VRT__CUDA_MATH_FP16 || c->opt.spp_cascade == VRT_SWITCH_OFF) return;
    const vrt__ir *ir = c->ir;
    for (int j = 0; j < c->n_steps; j++) {
        step *sj = &c->steps[j];
        const vrt__pool_params *pj = &sj->u.pool.p;
        if (!sj->h || sj->n->op != VRT__OP_MaxPool || sj->pool_dnn || sj->cx || pj->strides[0] != 1 ||
            pj->strides[1] != 1 || pj->k[0] != pj->k[1] || pj->k[0] % 2 == 0 ||
            pj->pads_begin[0] != pj->k[0] / 2 || pj->pads_begin[1] != pj->k[0] / 2 ||
            pj->pads_end[0] != pj->k[0] / 2 || pj->pads_end[1] != pj->k[0] / 2)
            continue;
        int best = -1; /* the largest smaller pool: the smallest window left */
        for (int i = 0; i < j; i++) {
            step *si = &c->steps[i];
            const vrt__pool_params *pi = &si->u.pool.p;
            if (!si->h || si->n->op != VRT__OP_MaxPool || si->pool_dnn || si->cy ||
                si->n->inputs[0] != sj->n->inputs[0] || pi->strides[0] != 1 || pi->strides[1] != 1 ||
                pi->k[0] != pi->k[1] || pi->k[0] % 2 == 0 || pi->k[0] >= pj->k[0] ||
                pi->pads_begin[0] != pi->k[0] / 2 || pi->pads_begin[1] != pi->k[0] / 2 ||
                pi->pads_end[0] != pi->k[0] / 2 || pi->pads_end[1] != pi->k[0] / 2)
                continue;
            /* The smaller pool's output must still be alive at step j: read after j. */
            int t = si->n->outputs[0], later = 0;
            for (int q = j + 1; q < ir->n_nodes && !later; q++)
                for (int k = 0; k < ir->nodes[q].n_inputs; k++)
                    later |= ir->nodes[q].inputs[k] == t;
            if (later && (best < 0 || pi->k[0] > c->steps[best].u.pool.p.k[0])) best = i;
        }
        if (best >= 0) {
            sj->mp_src = c->steps[best].hy;
            sj->mp_k = (int)(pj->k[0] - c->steps[best].u.pool.p.k[0]) + 1; /* takes pool k_best to pool k_j */
        }
    }
}

static size_t half_bytes(const vrt__shape *sh) {
    return ((size_t)vrt__shape_numel(sh) * 2 + 255) & ~(size_t)255;
}

/* fp16 KRSC copy of an OIHW weight (fp32 or fp16 in the IR); n = O*I*H*W. */
static void to_krsc_half(const vrt__tensor *w, uint16_t *dst) {
    int64_t O = w->shape.d[0], I = w->shape.d[1], H = w->shape.d[2], W = w->shape.d[3];
    for (int64_t o = 0; o < O; o++)
        for (int64_t ic = 0; ic < I; ic++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t x = 0; x < W; x++) {
                    int64_t src = ((o * I + ic) * H + y) * W + x, d = ((o * H + y) * W + x) * I + ic;
                    float f = w->dtype == VRT__DT_FLOAT16
                                  ? vrt__half_to_float(((const uint16_t *)w->data)[src])
                                  : ((const float *)w->data)[src];
                    dst[d] = vrt__float_to_half(f);
                }
}

/* Sizes of the shared conversion buffer's three parts (x | residual | y)
 * and of the fp16 weights; sets each fp16 step's conversion flags. */
static void half_sizes(cuda_ctx *c, size_t *bx, size_t *br, size_t *by, size_t *wb) {
    for (int i = 0; i < c->n_steps; i++) {
        step *s = &c->steps[i];
        if (!s->h) continue;
        const vrt__node *n = s->n;
        s->cx = !c->hfmt[n->inputs[0]];
        s->cy = !c->hfmt[n->outputs[0]];
        s->cr = n->op == VRT__OP_Conv && s->nin > 3 && s->in[3] && !c->hfmt[n->inputs[3]];
        if (s->cx && half_bytes(SI(s, 0)) > *bx) *bx = half_bytes(SI(s, 0));
        if (s->cr && half_bytes(SI(s, 3)) > *br) *br = half_bytes(SI(s, 3));
        if (s->cy && half_bytes(SO(s, 0)) > *by) *by = half_bytes(SO(s, 0));
        if (n->op == VRT__OP_Conv) {
            *wb += half_bytes(SI(s, 1));
            if (s->nin > 2 && s->in[2]) *wb += half_bytes(SI(s, 2));
        }
    }
}

/* Depthwise conv (group == C == M, 2-D): our depthwise kernel. */
static void prep_dw(step *s) {
    const vrt__conv_params *p = &s->u.conv;
    vrt__cuda_dw_shape *d = &s->dws;
    s->dw = 1;
    d->N = (int)p->N, d->C = (int)p->C, d->H = (int)p->in[0], d->W = (int)p->in[1];
    d->OH = (int)p->out[0], d->OW = (int)p->out[1], d->KH = (int)p->k[0], d->KW = (int)p->k[1];
    d->SH = (int)p->strides[0], d->SW = (int)p->strides[1], d->PH = (int)p->pads_begin[0],
    d->PW = (int)p->pads_begin[1];
    d->DH = (int)p->dilations[0], d->DW = (int)p->dilations[1];
}

/* Group-1 2-D conv: our implicit GEMM can run it (chosen against cuDNN
 * later); a producer of an in-place Concat writes into its output. */
static void prep_igemm(cuda_ctx *c, step *s) {
    const vrt__conv_params *p = &s->u.conv;
    vrt__cuda_igemm *g = &s->ig;
    s->own_ok = 1;
    g->N = (int)p->N, g->C = (int)p->C, g->H = (int)p->in[0], g->W = (int)p->in[1];
    g->M = (int)p->M, g->OH = (int)p->out[0], g->OW = (int)p->out[1], g->KH = (int)p->k[0],
    g->KW = (int)p->k[1];
    g->SH = (int)p->strides[0], g->SW = (int)p->strides[1], g->PH = (int)p->pads_begin[0],
    g->PW = (int)p->pads_begin[1];
    g->DH = (int)p->dilations[0], g->DW = (int)p->dilations[1];
    g->out_ld = g->M, g->out_off = 0, g->res_post = 0, g->cfg = 0;
    int ni = (int)(s->n - c->ir->nodes);
    if (c->cat_out[ni]) {
        /* Writes its channels into the in-place Concat's output. */
        int yt = c->cat_out[ni] - 1;
        g->out_ld = (int)c->ir->tensors[yt].shape.d[1];
        g->out_off = c->cat_off[ni];
        s->cat = 1;
        if (s->cy)
            s->out[0] = c->ptr[yt];
        else
            s->hy = c->ptr[yt];
    }
}

/* An fp16 conv step: its kernel, and its weights and bias converted to fp16
 * KRSC into host (NULL when borrowed from the base context) at *woff of the
 * device buffer hw_dev. */
static void prep_conv_half(cuda_ctx *c, step *s, uint16_t *host, uint8_t *hw_dev, size_t *woff) {
    const vrt__conv_params *p = &s->u.conv;
    if (p->nsp == 2 && p->group > 1 && p->group == p->C && p->group == p->M) prep_dw(s);
    if (!s->dw && p->nsp == 2 && p->group == 1) prep_igemm(c, s);
    if (host) to_krsc_half(s->ti[1], (uint16_t *)((uint8_t *)host + *woff));
    s->hw = hw_dev + *woff;
    *woff += half_bytes(SI(s, 1));
    if (s->nin > 2 && s->in[2]) {
        const vrt__tensor *b = s->ti[2];
        uint16_t *hb = (uint16_t *)((uint8_t *)host + *woff);
        for (int64_t q = 0; host && q < vrt__shape_numel(&b->shape); q++)
            hb[q] = vrt__float_to_half(b->dtype == VRT__DT_FLOAT16
                                           ? vrt__half_to_float(((const uint16_t *)b->data)[q])
                                           : ((const float *)b->data)[q]);
        s->hb = hw_dev + *woff;
        *woff += half_bytes(SI(s, 2));
    }
}

/* Pooling on cuDNN (NHWC fp16): its descriptors. */
static vrt_status prep_pool_dnn(cuda_ctx *c, step *s) {
    const vrt__node *n = s->n;
    const vrt__shape *x = SI(s, 0), *y = SO(s, 0);
    int gap = n->op == VRT__OP_GlobalAveragePool;
    const vrt__pool_params *pp = &s->u.pool.p;
    cudnnPoolingMode_t mode = n->op == VRT__OP_MaxPool ? CUDNN_POOLING_MAX
                              : (!gap && !pp->count_include_pad)
                                  ? CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING
                                  : CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
    int kh = gap ? (int)x->d[2] : (int)pp->k[0], kw = gap ? (int)x->d[3] : (int)pp->k[1];
    int ph = gap ? 0 : (int)pp->pads_begin[0], pw = gap ? 0 : (int)pp->pads_begin[1];
    int sh = gap ? 1 : (int)pp->strides[0], sw = gap ? 1 : (int)pp->strides[1];
    vrt_status st;
    if ((st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnCreatePoolingDescriptor(&s->pool))) ||
        (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnCreateTensorDescriptor(&s->pxd))) ||
        (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnCreateTensorDescriptor(&s->pyd))) ||
        (st = VRT_CUDNN_CHECK(
             c->err, sizeof(c->err),
             cudnnSetPooling2dDescriptor(s->pool, mode, CUDNN_PROPAGATE_NAN, kh, kw, ph, pw, sh, sw))) ||
        (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err),
                              cudnnSetTensor4dDescriptor(s->pxd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF,
                                                         (int)x->d[0], (int)x->d[1], (int)x->d[2],
                                                         (int)x->d[3]))) ||
        (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err),
                              cudnnSetTensor4dDescriptor(s->pyd, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF,
                                                         (int)y->d[0], (int)y->d[1], (int)y->d[2],
                                                         (int)y->d[3]))))
        return st;
    return VRT_OK;
}

/* After the steps exist: conversion buffers, fp16 weights, pooling descriptors. */
vrt_status vrt__cuda_prep_half(cuda_ctx *c) {
    size_t bx = 0, br = 0, by = 0, wb = 0;
    vrt_status st;
    half_sizes(c, &bx, &br, &by, &wb);
    if (bx + br + by && ((st = CUCK(cudaMalloc((void **)&c->hbuf, bx + br + by))) ||
                         (st = CUCK(cudaMemset(c->hbuf, 0, bx + br + by)))))
        return st;
    uint16_t *host = NULL;
    uint8_t *hw_dev = c->wbase ? c->wbase->hweights : NULL;
    if (wb && !c->wbase) {
        if ((st = CUCK(cudaMalloc((void **)&c->hweights, wb)))) return st;
        hw_dev = c->hweights;
        if (!(host = vrt_calloc(1, wb))) return VRT_ENOMEM;
    }
    size_t woff = 0;
    for (int i = 0; i < c->n_steps; i++) {
        step *s = &c->steps[i];
        if (!s->h) continue;
        const vrt__node *n = s->n;
        s->hx = s->cx ? (void *)c->hbuf : s->in[0];
        s->hr = s->cr ? (void *)(c->hbuf + bx) : (n->op == VRT__OP_Conv && s->nin > 3 ? s->in[3] : NULL);
        s->hy = s->cy ? (void *)(c->hbuf + bx + br) : s->out[0];
        if (n->op == VRT__OP_Conv) {
            prep_conv_half(c, s, host, hw_dev, &woff);
            continue;
        }
        if (n->op == VRT__OP_Concat || n->op == VRT__OP_Add || n->op == VRT__OP_Resize ||
            n->op == VRT__OP_Relu)
            continue; /* our kernels (vrt__cuda_plan_half) */
        s->pool_dnn = n->op != VRT__OP_MaxPool || c->opt.own_maxpool == VRT_SWITCH_OFF;
        if (!s->pool_dnn) continue; /* our fp16 NHWC max pool */
        if ((st = prep_pool_dnn(c, s))) {
            vrt_free(host);
            return st;
        }
    }
    st = wb && host ? CUCK(cudaMemcpy(c->hweights, host, wb, cudaMemcpyHostToDevice)) : VRT_OK;
    vrt_free(host);
    return st;
}
