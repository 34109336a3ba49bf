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
        if (s->own) {
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
 * when it ran on fp16 NHWC, 2 when it ran on our implicit-GEMM conv.
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
        if (half) half[i] = c->steps[i].own ? 2 : c->steps[i].h;
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
            st->focus_elided += c->steps[i].fused && c->steps[i].n->op != VRT__OP_Add;
    st->inplace_concats = c->n_cat;
    st->adds_fused = c->n_add_fused;
    snprintf(st->cache_path, sizeof(st->cache_path), "%s", vrt__algo_cache_path(c->cache));
}
