/*
 * The fp16 guard: precision AUTO puts convolution-heavy models on fp16
 * storage, which some models do not survive (a small Depth Anything V2 moved
 * by 100% of its depth range on an H100; held-out detectors drift 1-6%). At
 * prepare, the fp16 context and an fp32 one run the same representative
 * input step by step; every node's output 0 is compared (RMS of fp16 - fp32
 * over max |fp32|, rel_err), and what a node ADDS to the error of its inputs says
 * where fp16 hurts. The nodes adding the most (those whose precision we
 * choose: fp16 NHWC steps, convolutions, Gemm/MatMul) are kept fp32, the
 * fp16 context is rebuilt with them, and the check repeats, at most
 * GUARD_ROUNDS times; if the outputs are still beyond the tolerance the whole
 * model runs fp32. Prepare-time only: contexts are built, run eagerly and
 * synchronised here; nothing of it is on the frame path.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"
#include "engine/backend/cuda/cuda_inspect.h"

#define GUARD_ROUNDS 6
#define GUARD_TOL 0.01f
/* Outputs larger than this (elements) are not compared (their error is taken from their inputs). */
#define GUARD_MAX_NUMEL ((int64_t)1 << 26)

typedef struct vrt__cuda_guard {
    int ran, rounds, n_kept, fallback;
    float tol, err0, err; /* output error with every node fp16, and with the kept ones fp32 */
    int sample;           /* 1: the caller's fp16_sample; 0: synthetic; -1: fp16_sample of the wrong size */
    int64_t input_n;      /* input 0's element count */
    size_t sample_n;
    float *kerr, *kadd; /* per node, when it was kept: its output's error and what it added */
    uint8_t *kround;    /* per node: the round it was kept in (1-based; 0 = not kept) */
} vrt__cuda_guard;

void vrt__cuda_guard_free(vrt__cuda_guard *g) {
    if (!g) return;
    vrt_free(g->kerr);
    vrt_free(g->kadd);
    vrt_free(g->kround);
    vrt_free(g);
}

/* Per-round measurement: errors per tensor (propagated where a node's output
 * cannot be read) and per node, what it added. */
typedef struct meas {
    float *terr;    /* per tensor */
    float *nerr;    /* per node: its output's error */
    float *nadd;    /* per node: error added (blame) */
    float out_err;  /* worst graph output */
    float *ha, *hb; /* host copies: fp32 reference, fp16 context (NCHW fp32) */
    uint16_t *hh;   /* fp16 NHWC bytes */
    int64_t max_n;  /* capacity of ha / hb / hh (elements) */
} meas;

/* A smooth image-like pattern in [0, 1], different per channel (index in
 * NCHW order, plane = H * W). */
static float synth(int64_t i, int64_t plane, int64_t width) {
    int64_t ch = i / (plane > 0 ? plane : 1), p = i % (plane > 0 ? plane : 1);
    double y = (double)(p / (width > 0 ? width : 1)), x = (double)(p % (width > 0 ? width : 1));
    double v =
        0.5 + 0.25 * sin(0.11 * x + 0.7 * (double)ch) + 0.25 * cos(0.07 * y - 0.05 * x + 1.3 * (double)ch);
    return (float)v;
}

/* The guard's input into both contexts' input tensors. */
static vrt_status fill_inputs(cuda_ctx *ref, cuda_ctx *h, const vrt_engine_options *o, vrt__cuda_guard *g,
                              char *err, size_t cap) {
    const vrt__ir *ir = ref->ir;
    vrt_status st = VRT_OK;
    for (int i = 0; i < ir->n_inputs && !st; i++) {
        int t = ir->inputs[i];
        const vrt__tensor *x = &ir->tensors[t];
        size_t bytes = ref->plan->t[t].bytes;
        if (!ref->ptr[t] || !h->ptr[t] || !bytes) continue;
        int64_t n = vrt__shape_numel(&x->shape);
        /* A sample of another size (a session's frame for another batch or input) is not used. */
        const float *sample =
            i == 0 && o->fp16_sample && (int64_t)o->fp16_sample_count == n ? o->fp16_sample : NULL;
        if (i == 0 && o->fp16_sample)
            g->sample = sample ? 1 : -1, g->input_n = n, g->sample_n = o->fp16_sample_count;
        uint8_t *buf = vrt_calloc(bytes, 1);
        if (!buf) return VRT_ENOMEM;
        if (vrt__plan_dtype(x->dtype) == VRT__DT_FLOAT && (size_t)n * 4 <= bytes) {
            float *f = (float *)(void *)buf;
            int64_t w = x->shape.ndim >= 2 ? x->shape.d[x->shape.ndim - 1] : n;
            int64_t plane = x->shape.ndim >= 2 ? w * x->shape.d[x->shape.ndim - 2] : n;
            for (int64_t q = 0; q < n; q++)
                f[q] = sample ? sample[q] : synth(q, plane, w);
        }
        st = VRT_CUDA_CHECK(err, cap, cudaMemcpy(ref->ptr[t], buf, bytes, cudaMemcpyHostToDevice));
        if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMemcpy(h->ptr[t], buf, bytes, cudaMemcpyHostToDevice));
        vrt_free(buf);
    }
    return st;
}

/* Whether node i's output 0 can be read from the fp16 context after its step:
 * float, stored, not too large, and written by the step itself (a Focus
 * Slice the conv reads through and a conv writing into an in-place Concat
 * leave theirs unwritten). */
static int readable(const cuda_ctx *h, int i) {
    const vrt__node *n = &h->ir->nodes[i];
    int t = n->n_outputs > 0 ? n->outputs[0] : -1;
    if (t < 0 || h->plan->node_const[i] || h->steps[i].fused || h->cat_out[i] || h->steps[i].cat ||
        h->steps[i].res_add)
        return 0; /* not run, or its output written elsewhere */
    const vrt__tensor *y = &h->ir->tensors[t];
    int64_t cnt = vrt__shape_numel(&y->shape);
    return vrt__plan_dtype(y->dtype) == VRT__DT_FLOAT && h->ptr[t] && cnt > 0 && cnt <= GUARD_MAX_NUMEL &&
           (!h->hfmt[t] || y->shape.ndim == 4);
}

/* The RMS of b - a over max |a| (a: the fp32 reference); a non-finite b
 * where a is finite is an infinite error. RMS rather than the largest
 * difference: YOLOX-Nano's fp16 run moves a few background anchors' raw box
 * terms by 16% of the output's max |value| (an fp16 emulation does the same)
 * while its RMS difference is 0.15% and its detections stay; a model that
 * fp16 breaks moves the whole output. */
static float rel_err(const float *a, const float *b, int64_t n) {
    double amax = 0, sq = 0;
    int64_t cnt = 0;
    for (int64_t q = 0; q < n; q++) {
        if (!isfinite(a[q])) continue;
        if (!isfinite(b[q])) return INFINITY;
        double d = (double)b[q] - a[q];
        amax = fabs((double)a[q]) > amax ? fabs((double)a[q]) : amax;
        sq += d * d;
        cnt++;
    }
    return cnt ? (float)(sqrt(sq / (double)cnt) / (amax > 0 ? amax : 1.0)) : 0.0f;
}

/* Output 0 of node i in both contexts, as fp32 NCHW on the host; its error. */
static vrt_status node_err(cuda_ctx *ref, cuda_ctx *h, meas *m, int i, float *e, char *err, size_t cap) {
    int t = h->ir->nodes[i].outputs[0];
    const vrt__shape *sh = &h->ir->tensors[t].shape;
    int64_t n = vrt__shape_numel(sh);
    vrt_status st =
        VRT_CUDA_CHECK(err, cap, cudaMemcpy(m->ha, ref->ptr[t], (size_t)n * 4, cudaMemcpyDeviceToHost));
    if (st) return st;
    if (h->rfmt && h->rfmt[t]) {
        /* fp16 rows: the ONNX layout, 2-byte elements. */
        st = VRT_CUDA_CHECK(err, cap, cudaMemcpy(m->hh, h->ptr[t], (size_t)n * 2, cudaMemcpyDeviceToHost));
        if (!st) vrt__half_to_float_n(m->hh, m->hb, n);
    } else if (!h->hfmt[t]) {
        st = VRT_CUDA_CHECK(err, cap, cudaMemcpy(m->hb, h->ptr[t], (size_t)n * 4, cudaMemcpyDeviceToHost));
    } else {
        /* fp16 NHWC: back to fp32 NCHW. */
        st = VRT_CUDA_CHECK(err, cap, cudaMemcpy(m->hh, h->ptr[t], (size_t)n * 2, cudaMemcpyDeviceToHost));
        int64_t N = sh->d[0], C = sh->d[1], HW = sh->d[2] * sh->d[3];
        for (int64_t b = 0; !st && b < N; b++)
            for (int64_t p = 0; p < HW; p++)
                for (int64_t ch = 0; ch < C; ch++)
                    m->hb[(b * C + ch) * HW + p] = vrt__half_to_float(m->hh[(b * HW + p) * C + ch]);
    }
    if (!st) *e = rel_err(m->ha, m->hb, n);
    return st;
}

/* The error node i adds to its inputs' (blame), its output's error, and the
 * error of its outputs for the nodes after it. */
static void account(const cuda_ctx *h, meas *m, int i, int measured, float e) {
    const vrt__node *n = &h->ir->nodes[i];
    float in = 0;
    for (int k = 0; k < n->n_inputs; k++)
        if (n->inputs[k] >= 0 && m->terr[n->inputs[k]] > in) in = m->terr[n->inputs[k]];
    if (!measured) e = in;
    float add = isinf(in) ? 0.0f : e - in;
    m->nerr[i] = e;
    m->nadd[i] = add > 0 ? add : 0;
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0) m->terr[n->outputs[k]] = e;
    /* An in-place Concat's convs wrote its output: what it adds is theirs. */
    if (h->cat_skip[i] && n->outputs[0] >= 0)
        for (int p = 0; p < h->ir->n_nodes; p++)
            if (h->cat_out[p] == n->outputs[0] + 1) m->nadd[p] = m->nadd[i], m->nerr[p] = e;
}

/* Both contexts, step by step on the same input; fills m. */
static vrt_status measure(cuda_ctx *ref, cuda_ctx *h, const vrt_engine_options *o, vrt__cuda_guard *g,
                          meas *m, char *err, size_t cap) {
    const vrt__ir *ir = h->ir;
    vrt_status st = fill_inputs(ref, h, o, g, err, cap);
    for (int t = 0; t < ir->n_tensors; t++)
        m->terr[t] = 0;
    for (int i = 0; i < ir->n_nodes && !st; i++) {
        m->nerr[i] = m->nadd[i] = 0;
        if (h->plan->node_const[i]) continue;
        if ((st = vrt__cuda_exec_step(ref, &ref->steps[i], ref->stream)) ||
            (st = vrt__cuda_exec_step(h, &h->steps[i], h->stream)) ||
            (st = VRT_CUDA_CHECK(err, cap, cudaStreamSynchronize(ref->stream))) ||
            (st = VRT_CUDA_CHECK(err, cap, cudaStreamSynchronize(h->stream))))
            break;
        float e = 0;
        int ok = readable(h, i);
        if (ok && (st = node_err(ref, h, m, i, &e, err, cap))) break;
        account(h, m, i, ok, e);
    }
    if (st && err && cap && !err[0])
        vrt_errbuf_set(err, cap, "fp16 guard: %s", ref->err[0] ? ref->err : h->err);
    m->out_err = 0;
    for (int k = 0; k < ir->n_outputs; k++)
        if (m->terr[ir->outputs[k]] > m->out_err || isnan(m->terr[ir->outputs[k]]))
            m->out_err = m->terr[ir->outputs[k]];
    return st;
}

/* A node whose precision the guard can choose: it runs fp16 NHWC or fp16
 * rows, or it is a conv / gemm whose math follows the plan's. */
static int choosable(const cuda_ctx *h, int i) {
    const vrt__node *n = &h->ir->nodes[i];
    if (h->plan->node_const[i] || (h->keep32 && h->keep32[i])) return 0;
    return h->hnode[i] || (h->rnode && h->rnode[i]) || n->op == VRT__OP_Conv ||
           n->op == VRT__OP_ConvTranspose || n->op == VRT__OP_Gemm || n->op == VRT__OP_MatMul;
}

typedef struct cand {
    float add;
    int i;
} cand;

static int cmp_cand(const void *a, const void *b) {
    float x = ((const cand *)a)->add, y = ((const cand *)b)->add;
    return (x < y) - (x > y);
}

/* Marks this round's offenders in keep (and g): every choosable node adding
 * more than half the tolerance, else the largest eighth of the choosable
 * nodes that add anything (at least one). Returns how many were marked. */
static int mark(const cuda_ctx *h, const meas *m, vrt__cuda_guard *g, uint8_t *keep, int round) {
    const vrt__ir *ir = h->ir;
    cand *cs = vrt_malloc(((size_t)ir->n_nodes + 1) * sizeof(cand));
    int nc = 0, marked = 0;
    if (!cs) return 0;
    for (int i = 0; i < ir->n_nodes; i++)
        if (choosable(h, i) && m->nadd[i] > 0) cs[nc].add = m->nadd[i], cs[nc++].i = i;
    qsort(cs, (size_t)nc, sizeof(cand), cmp_cand);
    int quota = nc / 8 > 1 ? nc / 8 : 1;
    for (int k = 0; k < nc; k++) {
        int i = cs[k].i;
        if (!(m->nadd[i] > 0.5f * g->tol) && k >= quota) break;
        keep[i] = 1;
        g->kerr[i] = m->nerr[i], g->kadd[i] = m->nadd[i], g->kround[i] = (uint8_t)round;
        marked++;
    }
    vrt_free(cs);
    return marked;
}

static vrt_status meas_init(meas *m, const cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    /* Every node's output 0 (later rounds may read outputs this plan does not write). */
    m->max_n = 1;
    for (int i = 0; i < ir->n_nodes; i++) {
        int t = ir->nodes[i].n_outputs > 0 ? ir->nodes[i].outputs[0] : -1;
        int64_t n = t >= 0 ? vrt__shape_numel(&ir->tensors[t].shape) : 0;
        if (n <= GUARD_MAX_NUMEL && n > m->max_n) m->max_n = n;
    }
    m->terr = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(float));
    m->nerr = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(float));
    m->nadd = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(float));
    m->ha = vrt_malloc((size_t)m->max_n * 4);
    m->hb = vrt_malloc((size_t)m->max_n * 4);
    m->hh = vrt_malloc((size_t)m->max_n * 2);
    return m->terr && m->nerr && m->nadd && m->ha && m->hb && m->hh ? VRT_OK : VRT_ENOMEM;
}

static void meas_free(meas *m) {
    vrt_free(m->terr), vrt_free(m->nerr), vrt_free(m->nadd);
    vrt_free(m->ha), vrt_free(m->hb), vrt_free(m->hh);
}

static vrt__cuda_guard *guard_new(int n_nodes, float tol) {
    vrt__cuda_guard *g = vrt_calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->kerr = vrt_calloc((size_t)n_nodes + 1, sizeof(float));
    g->kadd = vrt_calloc((size_t)n_nodes + 1, sizeof(float));
    g->kround = vrt_calloc((size_t)n_nodes + 1, 1);
    g->tol = tol;
    if (!g->kerr || !g->kadd || !g->kround) {
        vrt__cuda_guard_free(g);
        return NULL;
    }
    return g;
}

/* The rounds: measure, keep the offenders fp32, rebuild. On return *hp is
 * the context to use (rebuilt fp32 when the tolerance was not reached). */
static vrt_status rounds(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_params *bp,
                         cuda_ctx *ref, cuda_ctx **hp, vrt__cuda_guard *g, meas *m, uint8_t *keep, char *err,
                         size_t cap) {
    vrt_status st;
    for (int round = 0;; round++) {
        if ((st = measure(ref, *hp, &bp->opt, g, m, err, cap))) return st;
        if (round == 0) g->err0 = m->out_err;
        g->err = m->out_err;
        g->rounds = round; /* rebuilds with nodes kept */
        if (m->out_err <= g->tol) return VRT_OK;
        int marked = round < GUARD_ROUNDS ? mark(*hp, m, g, keep, round + 1) : 0;
        vrt__cuda_ctx_destroy(*hp);
        *hp = NULL;
        g->n_kept += marked;
        if (!marked) {
            /* Not within the tolerance and nothing left to choose: fp32 throughout. */
            g->fallback = 1;
            return vrt__cuda_ctx_create(NULL, ir, plan, bp, VRT__CUDA_MATH_FP32, NULL, hp, err, cap);
        }
        if ((st = vrt__cuda_ctx_create(NULL, ir, plan, bp, VRT__CUDA_MATH_FP16, keep, hp, err, cap)))
            return st;
    }
}

vrt_status vrt__cuda_fp16_guard(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_params *bp,
                                cuda_ctx **c, char *err, size_t cap) {
    float tol = bp->opt.fp16_tolerance > 0 ? bp->opt.fp16_tolerance : GUARD_TOL;
    cuda_ctx *ref = NULL;
    meas m;
    memset(&m, 0, sizeof(m));
    uint8_t *keep = vrt_calloc((size_t)ir->n_nodes + 1, 1);
    vrt__cuda_guard *g = guard_new(ir->n_nodes, tol);
    vrt_status st = keep && g ? meas_init(&m, *c) : VRT_ENOMEM;
    if (!st) st = vrt__cuda_ctx_create(NULL, ir, plan, bp, VRT__CUDA_MATH_FP32, NULL, &ref, err, cap);
    if (!st) st = rounds(ir, plan, bp, ref, c, g, &m, keep, err, cap);
    vrt__cuda_ctx_destroy(ref);
    meas_free(&m);
    vrt_free(keep);
    if (st) {
        if (st == VRT_ENOMEM && err && cap && !err[0]) vrt_errbuf_set(err, cap, "fp16 guard: out of memory");
        vrt__cuda_guard_free(g);
        vrt__cuda_ctx_destroy(*c);
        *c = NULL;
        return st;
    }
    g->ran = 1;
    (*c)->guard = g;
    return VRT_OK;
}

/* ---- introspection (vrt_engine_fp32_kept) ---- */

int vrt__cuda_backend_n_kept(const void *vctx) {
    const cuda_ctx *c = vctx;
    return c && c->guard ? c->guard->n_kept : 0;
}

static int nth_kept(const vrt__cuda_guard *g, int n_nodes, int k) {
    for (int i = 0; i < n_nodes; i++)
        if (g->kround[i] && k-- == 0) return i;
    return -1;
}

/* The guard's summary line (vrt_engine_fp32_kept with i = -1). */
static void summary(const vrt__cuda_guard *g, char *buf, size_t cap) {
    if (g->fallback)
        snprintf(
            buf, cap,
            "fp16 guard: output RMS error %.2e with every node fp16, still beyond the tolerance (%.1e) with "
            "%d nodes kept fp32 after %d rounds: the whole model runs fp32",
            (double)g->err0, (double)g->tol, g->n_kept, g->rounds);
    else if (!g->n_kept)
        snprintf(buf, cap,
                 "fp16 guard: output RMS error %.2e with every node fp16 (tolerance %.1e): nothing kept fp32",
                 (double)g->err0, (double)g->tol);
    else
        snprintf(
            buf, cap,
            "fp16 guard: output RMS error %.2e with every node fp16 -> %.2e with %d nodes fp32 in %d rounds "
            "(tolerance %.1e)",
            (double)g->err0, (double)g->err, g->n_kept, g->rounds, (double)g->tol);
    size_t len = strlen(buf);
    if (len + 1 >= cap) return;
    if (g->sample > 0)
        snprintf(buf + len, cap - len, "; on the caller's sample");
    else if (g->sample < 0)
        snprintf(buf + len, cap - len,
                 "; on a synthetic input (fp16_sample has %zu elements, input 0 has %lld: not used)",
                 g->sample_n, (long long)g->input_n);
    else
        snprintf(buf + len, cap - len, "; on a synthetic input");
}

const char *vrt__cuda_backend_kept(const void *vctx, int k, char *buf, size_t cap) {
    const cuda_ctx *c = vctx;
    const vrt__cuda_guard *g = c ? c->guard : NULL;
    if (!g || !buf || !cap) return NULL;
    if (k < 0) {
        summary(g, buf, cap);
        return buf;
    }
    int i = nth_kept(g, c->ir->n_nodes, k);
    if (i < 0) return NULL;
    const vrt__node *n = &c->ir->nodes[i];
    snprintf(buf, cap,
             "%s (%s): fp16 RMS error %.2e of the output's max |value| (+%.2e at this node), round %d",
             n->name, n->op_type, (double)g->kerr[i], (double)g->kadd[i], g->kround[i]);
    return buf;
}
