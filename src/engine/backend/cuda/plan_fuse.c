/*
 * Fusions over the prepared fp16 NHWC plan that take a whole node out of the
 * graph (fewer, fatter kernels): each a rewrite of the steps at prepare,
 * with an option to turn it off for comparisons. Nothing here is on the
 * frame path.
 *
 *   add_epilogue  a residual Add after a conv's activation (YOLOX / CSP
 *                 bottlenecks: y = act(conv(x)) + r) done in that conv's
 *                 epilogue on our implicit GEMM (res_post): the Add is not
 *                 run, the conv writes the Add's output (in a buffer of its
 *                 own when the arena put it over the conv's input).
 *   dw_pointwise  a depthwise conv and the 1x1 conv reading it (MobileNet /
 *                 YOLOX DWConv) as one kernel (conv_igemm.cu, k_dwpw): the
 *                 depthwise output of a CTA's pixels is computed into shared
 *                 memory and consumed there by the 1x1 GEMM; kept per pair
 *                 only where it times faster than the two steps (graph
 *                 replays at prepare, the choice in the algorithm cache).
 */
#include <stdio.h>
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

/* ---- tensors moved out of the arena ----
 * A fusion that writes a tensor one step earlier than the plan gave it
 * memory finds that memory may still be read by that step (the arena reuses
 * the memory of a tensor that dies there). Such a tensor gets its own
 * buffer instead, and every step's pointer to it is redirected (by tensor,
 * never by address: other tensors share arena addresses). */

/* An fp16 NHWC arena activation no view is taken of (all its readers and its
 * writer hold their pointers in the fields own_buffer patches). */
static int movable(const cuda_ctx *c, int t) {
    if (t < 0 || !c->hfmt[t] || c->plan->t[t].storage != VRT__ST_ARENA) return 0;
    for (int u = 0; u < c->ir->n_tensors; u++)
        if (c->plan->t[u].storage == VRT__ST_VIEW && c->plan->t[u].base == t) return 0;
    for (int i = 0; i < c->n_steps; i++)
        if (c->steps[i].mp_src && c->steps[i].n->inputs[0] == t) return 0;
    return 1;
}

/* The residual tensor of the Add a res_add conv step q does. */
static int add_residual(const cuda_ctx *c, int q) {
    const vrt__node *a = c->steps[q + 1].n;
    return a->inputs[0] == c->steps[q].n->outputs[0] ? a->inputs[1] : a->inputs[0];
}

/* Every step's pointer to tensor t set to p. */
static void redirect(cuda_ctx *c, int t, uint8_t *p) {
    for (int i = 0; i < c->n_steps; i++) {
        step *s = &c->steps[i];
        const vrt__node *n = s->n;
        for (int k = 0; k < s->nin && k < n->n_inputs; k++)
            if (n->inputs[k] == t) s->in[k] = p;
        for (int k = 0; k < s->nout && k < n->n_outputs; k++)
            if (n->outputs[k] == t) s->out[k] = p;
        if (!s->h) continue;
        if (!s->cx && n->n_inputs > 0 && n->inputs[0] == t) s->hx = p;
        if (!s->cr && n->op == VRT__OP_Conv && n->n_inputs > 3 && n->inputs[3] == t) s->hr = p;
        if (!s->cy && !s->cat && n->n_outputs > 0 && n->outputs[0] == t) s->hy = p;
        if (s->res_add && add_residual(c, i) == t) s->hr = p;
        if (s->res_add && c->steps[i + 1].n->outputs[0] == t) s->hy = p;
    }
    c->ptr[t] = p;
}

/* Tensor t (movable) into its own device buffer, freed with the context. */
static vrt_status own_buffer(cuda_ctx *c, int t) {
    if (!c->fuse_mem && !(c->fuse_mem = vrt_calloc((size_t)c->n_steps + 1, sizeof(void *))))
        return VRT_ENOMEM;
    uint8_t *p = NULL;
    vrt_status st = CUCK(cudaMalloc((void **)&p, dev_bytes(c, t) + 256));
    if (st) return st;
    c->fuse_mem[c->n_fuse_mem++] = p;
    redirect(c, t, p);
    return VRT_OK;
}

void vrt__cuda_fuse_free(cuda_ctx *c) {
    for (int i = 0; c->fuse_mem && i < c->n_fuse_mem; i++)
        cudaFree(c->fuse_mem[i]);
    vrt_free(c->fuse_mem);
    c->fuse_mem = NULL;
    c->n_fuse_mem = 0;
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
        if (t >= 0 && overlap(yp, yb, c->ptr[t], dev_bytes(c, t))) return movable(c, y) ? 2 : 0;
    }
    return 1;
}

/* add_epilogue (see the top). Called after vrt__cuda_prep_half and before
 * the conv choice, which then times only our kernel for these convs. */
vrt_status vrt__cuda_plan_add(cuda_ctx *c) {
    if (c->math != VRT__CUDA_MATH_FP16 || c->opt.add_epilogue == VRT_SWITCH_OFF) return VRT_OK;
    for (int i = 1; i < c->n_steps; i++)
        for (int k = 0; k < 2; k++) {
            int how = add_fusable(c, i, k);
            if (!how) continue;
            vrt_status st = how == 2 ? own_buffer(c, c->steps[i].n->outputs[0]) : VRT_OK;
            if (st) return st;
            step *s = &c->steps[i], *p = &c->steps[i - 1];
            p->hr = c->ptr[s->n->inputs[1 - k]];
            p->ig.res_post = 1;
            p->hy = s->hy;
            p->res_add = 1;
            s->fused = 1;
            c->n_add_fused++;
            break;
        }
    return VRT_OK;
}

/* ---- dw_pointwise ---- */

vrt_status vrt__cuda_exec_dwpw(cuda_ctx *c, step *s, cudaStream_t strm) {
    const step *d = &c->steps[s->dwd];
    vrt__cuda_igemm g = s->ig;
    g.cfg = s->dwf - 1;
    g.in_f32 = 0, g.res_f32 = s->cr, g.out_f32 = s->cy;
    const void *r = s->cr ? s->in[3] : s->hr;
    void *y = s->cy ? s->out[0] : s->hy;
    const vrt__cuda_dw_shape *w = &d->dws;
    vrt__cuda_dwpw_dw dg = {w->N,  w->C,  w->H,  w->W,  w->OH, w->OW, w->KH,
                            w->KW, w->SH, w->SW, w->PH, w->PW, w->DH, w->DW};
    vrt_status st = vrt__cuda_dwpw_half((void *)strm, &dg, d->hx, d->hw, d->hb, &d->u.conv.act, &g, s->hw,
                                        s->hb, r, y, &s->u.conv.act);
    return st ? vrt__cuda_nfail(c, s->n, st, "%s", vrt__cuda_igemm_error()) : VRT_OK;
}

/* The depthwise step j - 1 and the 1x1 step j as they run unfused (arg 0) or
 * fused with tile config arg - 1: what the choice times. */
static vrt_status pair_as(cuda_ctx *c, step *s, cudaStream_t strm, int arg) {
    if (arg) {
        int keep = s->dwf;
        s->dwf = arg;
        vrt_status st = vrt__cuda_exec_dwpw(c, s, strm);
        s->dwf = keep;
        return st;
    }
    vrt_status st = vrt__cuda_exec_half(c, s - 1, strm);
    return st ? st : vrt__cuda_exec_half(c, s, strm);
}

/* Whether step j (a 1x1 conv on our kernel's terms) reads only the output of
 * the depthwise step just before it, which nothing else reads, and can read
 * the depthwise conv's input instead at its own place: what it writes must
 * not overlap that input (which may be dead after the depthwise step). */
/* The tensor the 1x1 step j writes (the Add's output when it does the next
 * Add; -1 for a Concat's channels, which are outside the arena). */
static int written(const cuda_ctx *c, int j) {
    const step *p = &c->steps[j];
    if (p->cat) return -1;
    return p->res_add ? c->steps[j + 1].n->outputs[0] : p->n->outputs[0];
}

static int dwpw_fusable(const cuda_ctx *c, int j) {
    if (j < 1 || c->opt.conv == VRT_CONV_CUDNN) return 0;
    const step *p = &c->steps[j], *d = &c->steps[j - 1];
    const vrt__cuda_igemm *g = &p->ig;
    if (p->n->op != VRT__OP_Conv || !p->h || !p->own_ok || p->cx || p->ig.focus || p->fused || p->dwf ||
        c->plan->node_const[j] || g->KH != 1 || g->KW != 1 || g->SH != 1 || g->SW != 1 || g->PH || g->PW)
        return 0;
    const vrt__cuda_dw_shape *w = &d->dws;
    int t = d->n->outputs[0];
    if (d->n->op != VRT__OP_Conv || !d->h || !d->dw || d->cx || d->cy || d->hr || d->fused ||
        c->plan->node_const[j - 1] || p->n->inputs[0] != t || !c->hfmt[t] || readers(c, t) != 1 ||
        w->C != g->C || w->C % 16 || w->C > 256 || w->KH * w->KW > 9)
        return 0;
    int x = d->n->inputs[0], out = c->cat_out[j] ? c->cat_out[j] - 1 : written(c, j);
    const uint8_t *yp = p->cy ? p->out[0] : p->hy;
    if (!overlap(yp, dev_bytes(c, out), c->ptr[x], dev_bytes(c, x))) return 1;
    return !p->cat && !p->cy && movable(c, out) ? 2 : 0; /* see own_buffer */
}

static void dwpw_key(const step *p, const step *d, char *k, size_t cap) {
    const vrt__cuda_dw_shape *w = &d->dws;
    const vrt__cuda_igemm *g = &p->ig;
    snprintf(k, cap, "dwpw:%d,%d,%d,%d:k%dx%d:s%dx%d:p%dx%d:d%dx%d:b%d:a%d:%d:b%d:r%d%s%s:a%d:ld%d:o%d", w->N,
             w->C, w->H, w->W, w->KH, w->KW, w->SH, w->SW, w->PH, w->PW, w->DH, w->DW, d->hb != NULL,
             (int)d->u.conv.act.kind, g->M, p->hb != NULL, p->hr != NULL || p->cr, g->res_post ? "post" : "",
             p->cy ? "f32" : "", (int)p->u.conv.act.kind, g->out_ld, p->own);
}

/* Fused (config + 1) or not (0) for step j: from the cache, or timed. */
static int dwpw_choice(cuda_ctx *c, int j, cudaEvent_t e0, cudaEvent_t e1) {
    step *p = &c->steps[j];
    char key[256];
    dwpw_key(p, p - 1, key, sizeof(key));
    vrt__algo_entry e;
    if (vrt__algo_cache_get(c->cache, key, &e) && e.algo >= 0 && e.algo <= VRT__CUDA_DWPW_CONFIGS)
        return e.algo;
    float best = vrt__cuda_time_in_graph(c, p, pair_as, 0, 8, e0, e1);
    int pick = 0;
    for (int k = 1; k <= VRT__CUDA_DWPW_CONFIGS; k++) {
        float t = vrt__cuda_time_in_graph(c, p, pair_as, k, 8, e0, e1);
        if (t > 0.0f && (best < 0.0f || t < best)) best = t, pick = k;
    }
    if (best < 0.0f) return 0;
    e.algo = pick, e.workspace = 0, e.ms = best, e.fused = 0;
    vrt__algo_cache_put(c->cache, key, &e);
    return pick;
}

vrt_status vrt__cuda_plan_dwpw(cuda_ctx *c) {
    if (c->math != VRT__CUDA_MATH_FP16 || c->opt.dw_pointwise == VRT_SWITCH_OFF) return VRT_OK;
    cudaEvent_t e0 = NULL, e1 = NULL;
    vrt_status st;
    if ((st = CUCK(cudaEventCreate(&e0))) || (st = CUCK(cudaEventCreate(&e1)))) {
        if (e0) cudaEventDestroy(e0);
        return st;
    }
    int changed = 0;
    for (int j = 1; j < c->n_steps && !st; j++) {
        int how = dwpw_fusable(c, j);
        if (!how) continue;
        int pick = dwpw_choice(c, j, e0, e1);
        changed = 1;
        if (!pick || (how == 2 && (st = own_buffer(c, written(c, j))))) continue;
        c->steps[j].dwf = pick;
        c->steps[j].dwd = j - 1;
        c->steps[j - 1].fused = 1;
        c->n_dw_fused++;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    vrt_status sst = CUCK(cudaStreamSynchronize(c->stream));
    if (changed) vrt__algo_cache_save(c->cache);
    return st ? st : sst;
}
