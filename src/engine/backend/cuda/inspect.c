/*
 * Introspection of a CUDA backend context (cuda_inspect.h): what `vrt inspect
 * --backend cuda`, bench_engine and the tests read. Never on the frame path.
 */
#include <stdio.h>
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"
#include "engine/backend/cuda/cuda_inspect.h"

int vrt__cuda_backend_n_engines(const void *vctx) {
    const cuda_ctx *c = vctx;
    int n = 0;
    for (int i = 0; c && i < c->n_steps; i++)
        n += c->steps[i].conv || c->steps[i].gemm;
    return n;
}

const char *vrt__cuda_backend_engine(const void *vctx, int k, char *buf, size_t cap) {
    const cuda_ctx *c = vctx;
    if (!c || !buf || !cap) return NULL;
    for (int i = 0; i < c->n_steps; i++) {
        const step *s = &c->steps[i];
        if (!s->conv && !s->gemm) continue;
        if (k-- > 0) continue;
        char d[640];
        if (s->dwf) {
            const step *dw = &c->steps[s->dwd];
            snprintf(
                d, sizeof(d),
                "own %s (fp16 NHWC): the depthwise %dx%d stride %d conv '%s' computed into shared memory and "
                "this 1x1 conv in one kernel, fused %s%s%s",
                vrt__cuda_dwpw_config_name(s->dwf - 1), dw->dws.KH, dw->dws.KW, dw->dws.SH, dw->n->name,
                s->hb ? "bias+" : "", vrt__act_name(s->u.conv.act.kind),
                s->res_add       ? "+the next Add"
                : s->hr || s->cr ? "+residual"
                                 : "");
        } else if (s->own) {
            snprintf(d, sizeof(d),
                     "own %s (fp16 NHWC, %dx%d stride %d, fp32 accumulation, fused %s%s%s%s), %.4f ms vs "
                     "cuDNN %.4f ms%s",
                     vrt__cuda_igemm_config_name(s->own - 1), s->ig.KH, s->ig.KW, s->ig.SH,
                     s->hb ? "bias+" : "", s->hr && !s->ig.res_post ? "residual+" : "",
                     vrt__act_name(s->u.conv.act.kind),
                     s->res_add                ? "+the next Add"
                     : s->hr && s->ig.res_post ? "+residual"
                                               : "",
                     s->own_ms, s->dnn_ms, s->dnn_ms < 0 ? " (cached)" : "");
            if (s->cat)
                snprintf(d + strlen(d), sizeof(d) - strlen(d),
                         "; writes channels %d..%d of the in-place Concat's output", s->ig.out_off,
                         s->ig.out_off + s->ig.M - 1);
            if (s->ig.focus)
                snprintf(d + strlen(d), sizeof(d) - strlen(d),
                         "; reads the Focus slices of its input directly (Slices and Concat not run)");
        } else if (s->dw)
            snprintf(d, sizeof(d),
                     "own depthwise kernel (fp16 NHWC, %dx%d stride %d, fp32 accumulation, fused %s%s%s)",
                     s->dws.KH, s->dws.KW, s->dws.SH, s->hb ? "bias+" : "", s->hr ? "residual+" : "",
                     vrt__act_name(s->u.conv.act.kind));
        else if (s->conv) {
            vrt__cuda_conv_describe(s->conv, d, sizeof(d));
            if (s->own_ok && s->dnn_ms >= 0.0f)
                snprintf(d + strlen(d), sizeof(d) - strlen(d),
                         " [as a graph node: cuDNN %.4f ms, our igemm %.4f ms]", s->dnn_ms, s->own_ms);
        } else
            vrt__cuda_gemm_describe(s->gemm, d, sizeof(d));
        if (s->h && (s->cx || s->cy || s->cr))
            snprintf(d + strlen(d), sizeof(d) - strlen(d), " [fp32 NCHW<->fp16 NHWC conversion:%s%s%s]",
                     s->cx ? " in" : "", s->cr ? " residual" : "", s->cy ? " out" : "");
        snprintf(buf, cap, "%s (%s): %s", s->n->name, s->n->op_type, d);
        return buf;
    }
    return NULL;
}

const char *vrt__cuda_backend_math(const void *vctx, int *is_auto) {
    const cuda_ctx *c = vctx;
    if (is_auto) *is_auto = c ? c->math_auto : 0;
    return c ? vrt__cuda_math_name(c->math) : "?";
}

static vrt_status exec_step_fn(cuda_ctx *c, step *s, cudaStream_t strm, int arg) {
    (void)arg;
    return vrt__cuda_exec_step(c, s, strm);
}

/* Debugging (bench_engine --profile): ms[i] = GPU time of node i, each step
 * alone as a graph replay of 5 back-to-back copies (so launch gaps count as
 * in the frame's graph; -1: constant, not run or not capturable), half[i] = 1
 * when it ran on fp16 NHWC, 2 when it ran on our implicit-GEMM conv, 3 on
 * fp16 rows (plan_rows.c).
 * Captures, creates events and synchronises: never on the frame path. The
 * steps' outputs are overwritten with what one run would write. */
int vrt__cuda_backend_profile(void *vctx, void *stream, float *ms, int *half, int n) {
    cuda_ctx *c = vctx;
    if (!c || !stream || !ms || n < c->n_steps) return VRT_EINVAL;
    vrt_status st;
    cudaEvent_t e0 = NULL, e1 = NULL;
    if ((st = CUCK(cudaStreamSynchronize((cudaStream_t)stream))) || (st = CUCK(cudaEventCreate(&e0))) ||
        (st = CUCK(cudaEventCreate(&e1)))) {
        if (e0) cudaEventDestroy(e0);
        return st;
    }
    for (int i = 0; i < c->n_steps; i++) {
        ms[i] = c->plan->node_const[i] ? -1.0f
                                       : vrt__cuda_time_in_graph(c, &c->steps[i], exec_step_fn, 0, 5, e0, e1);
        if (half) half[i] = c->steps[i].own ? 2 : c->steps[i].h ? 1 : c->steps[i].r ? 3 : 0;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    return VRT_OK;
}

void vrt__cuda_backend_info(const void *vctx, vrt__cuda_backend_stats *st) {
    const cuda_ctx *c = vctx;
    memset(st, 0, sizeof(*st));
    if (!c) return;
    st->cache_hits = c->cache_hits;
    st->cache_misses = c->cache_misses;
    st->choose_ms = c->choose_ms;
    st->graph_active = c->gexec != NULL;
    st->graphs_enabled = c->graphs;
    st->math = vrt__cuda_math_name(c->math);
    st->workspace_bytes = c->ws_bytes;
    st->lt_workspace_bytes = c->lt_ws_bytes;
    st->scratch_bytes = c->scratch_bytes;
    st->pdl = vrt__cuda_pdl_enabled();
    st->own_convs = st->inplace_concats = st->focus_elided = 0;
    for (int i = 0; i < c->n_steps; i++)
        st->own_convs += c->steps[i].own != 0,
            st->focus_elided += c->steps[i].fused && c->steps[i].n->op != VRT__OP_Add && !c->steps[i].dw;
    st->inplace_concats = c->n_cat;
    st->adds_fused = c->n_add_fused;
    st->dw_fused = c->n_dw_fused;
    snprintf(st->cache_path, sizeof(st->cache_path), "%s", vrt__algo_cache_path(c->cache));
}

/* ---- the step summary (vrt_engine_step_summary) ---- */

static int is_copy_family(vrt__op_family f) {
    return f == VRT__FAM_COPY || f == VRT__FAM_TRANSPOSE || f == VRT__FAM_SLICE || f == VRT__FAM_CONCAT ||
           f == VRT__FAM_SPLIT || f == VRT__FAM_GATHER || f == VRT__FAM_EXPAND || f == VRT__FAM_TILE ||
           f == VRT__FAM_PAD || f == VRT__FAM_DEPTH_SPACE;
}

static int is_eltwise_family(vrt__op_family f) {
    return f == VRT__FAM_UNARY || f == VRT__FAM_BINARY || f == VRT__FAM_WHERE || f == VRT__FAM_COMPARE ||
           f == VRT__FAM_ISNAN || f == VRT__FAM_NOT || f == VRT__FAM_LOGIC || f == VRT__FAM_SOFTMAX ||
           f == VRT__FAM_CAST || f == VRT__FAM_LAYERNORM;
}

static int popcount4(unsigned v) {
    return (int)(v & 1u) + (int)(v >> 1 & 1u) + (int)(v >> 2 & 1u) + (int)(v >> 3 & 1u);
}

/* Op types and counts of the steps one category holds, appended to buf as " (Op n, ...)". */
static void op_histogram(const cuda_ctx *c, const uint8_t *pick, char *buf, size_t cap) {
    int ops[64], cnt[64], n = 0;
    for (int i = 0; i < c->n_steps; i++) {
        if (!pick[i]) continue;
        int op = c->steps[i].n->op, k = 0;
        while (k < n && ops[k] != op)
            k++;
        if (k == n && n < 64) ops[n] = op, cnt[n++] = 0;
        if (k < n) cnt[k]++;
    }
    size_t l = strlen(buf);
    for (int k = 0; k < n && l < cap; k++) {
        snprintf(buf + l, cap - l, "%s%s %d%s", k ? ", " : " (", vrt__op_name((vrt__op)ops[k]), cnt[k],
                 k == n - 1 ? ")" : "");
        l = strlen(buf);
    }
}

const char *vrt__cuda_backend_steps(const void *vctx, char *buf, size_t cap) {
    const cuda_ctx *c = vctx;
    if (!c || !buf || !cap) return NULL;
    uint8_t *cp = vrt_calloc((size_t)c->n_steps + 1, 1), *ew = vrt_calloc((size_t)c->n_steps + 1, 1);
    if (!cp || !ew) {
        vrt_free(cp), vrt_free(ew);
        return NULL;
    }
    int run = 0, nh = 0, nr = 0, cvh = 0, cvr = 0, ncp = 0, ncp16 = 0, new32 = 0;
    for (int i = 0; i < c->n_steps; i++) {
        const step *s = &c->steps[i];
        if (c->plan->node_const[i] || c->cat_skip[i] || s->fused) continue;
        run++;
        if (s->h) nh++, cvh += (s->cx != 0) + (s->cr != 0) + (s->cy != 0);
        if (s->r) nr++, cvr += popcount4(s->rcin) + popcount4(s->rcout);
        if (is_copy_family(s->fam) && !(s->fam == VRT__FAM_COPY && s->out[0] == s->in[0]))
            cp[i] = 1, ncp++, ncp16 += s->r != 0;
        if (!s->h && !s->r && is_eltwise_family(s->fam)) ew[i] = 1, new32++;
    }
    snprintf(buf, cap,
             "steps run: %d (fp16 NHWC %d, fp16 rows %d, fp32 %d); fp32<->fp16 conversions: %d around fp16 "
             "NHWC steps, %d around fp16 rows steps; copies: %d (%d on fp16 rows)",
             run, nh, nr, run - nh - nr, cvh, cvr, ncp, ncp16);
    op_histogram(c, cp, buf, cap);
    size_t l = strlen(buf);
    snprintf(buf + l, cap - l, "; fp32 element-wise / normalisation steps: %d", new32);
    op_histogram(c, ew, buf, cap);
    vrt_free(cp), vrt_free(ew);
    return buf;
}
