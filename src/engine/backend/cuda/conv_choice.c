/*
 * The CUDA backend's convolution choices at prepare: cuDNN's algorithm per
 * conv (conv_cudnn.c: from the disk cache or timed), then, per conv our
 * implicit GEMM can run, the fastest of cuDNN and our kernel's tile configs,
 * each timed as a graph replay of the whole fp16 step, with the choice kept
 * in the algorithm cache (algo_cache.c). Synchronises and creates events:
 * prepare only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backend/cuda/cuda_impl.h"

/* vrt__cuda_exec_half with the conv engine set to `own` (0: cuDNN) for this call. */
static vrt_status exec_half_as(cuda_ctx *c, step *s, cudaStream_t strm, int own) {
    int keep = s->own;
    s->own = own;
    vrt_status st = vrt__cuda_exec_half(c, s, strm);
    s->own = keep;
    return st;
}

/* GPU time (ms) of fn(c, s, stream, arg) as a graph replay of `reps`
 * back-to-back copies: what the frame's graph pays, launch gaps included
 * (eager timing would measure the host's launch cost); -1 when it fails. */
float vrt__cuda_time_in_graph(cuda_ctx *c, step *s, step_fn fn, int arg, int reps, cudaEvent_t e0,
                              cudaEvent_t e1) {
    enum { rounds = 3 };
    cudaGraph_t g = NULL;
    cudaGraphExec_t ge = NULL;
    float ms = -1.0f, t = 0.0f;
    if (cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal) != cudaSuccess) return -1.0f;
    int ok = 1;
    for (int r = 0; r < reps && ok; r++)
        ok = fn(c, s, c->stream, arg) == VRT_OK;
    if (cudaStreamEndCapture(c->stream, &g) != cudaSuccess || !ok) goto out;
    if (cudaGraphInstantiate(&ge, g, 0) != cudaSuccess) goto out;
    if (cudaGraphLaunch(ge, c->stream) != cudaSuccess || cudaEventRecord(e0, c->stream) != cudaSuccess)
        goto out;
    for (int r = 0; r < rounds; r++)
        if (cudaGraphLaunch(ge, c->stream) != cudaSuccess) goto out;
    if (cudaEventRecord(e1, c->stream) != cudaSuccess || cudaEventSynchronize(e1) != cudaSuccess) goto out;
    if (cudaEventElapsedTime(&t, e0, e1) == cudaSuccess) ms = t / (float)(reps * rounds);
out:
    if (ge) cudaGraphExecDestroy(ge);
    if (g) cudaGraphDestroy(g);
    cudaGetLastError(); /* a refused variant must not poison later calls */
    c->err[0] = 0;
    return ms;
}

/* The whole fp16 step (conversions around cuDNN included) with either engine. */
static float time_conv_variant(cuda_ctx *c, step *s, int own, cudaEvent_t e0, cudaEvent_t e1) {
    return vrt__cuda_time_in_graph(c, s, exec_half_as, own, 8, e0, e1);
}

/* Cache key of the own-vs-cuDNN choice: the conv's shape, epilogue and placement. */
static void own_key(const step *s, char *k, size_t cap) {
    const vrt__cuda_igemm *g = &s->ig;
    snprintf(k, cap, "own:%d,%d,%d,%d:%d,%d,%d:k%dx%d:s%dx%d:p%dx%d:d%dx%d:b%d:r%d%s:a%d:ld%d", g->N, g->C,
             g->H, g->W, g->M, g->OH, g->OW, g->KH, g->KW, g->SH, g->SW, g->PH, g->PW, g->DH, g->DW,
             s->hb != NULL, s->hr != NULL, g->res_post ? "post" : "", (int)s->u.conv.act.kind, g->out_ld);
    if (g->focus)
        snprintf(k + strlen(k), cap - strlen(k), ":focus%d%d%d%d%d%d%d%d", g->focus_dy[0], g->focus_dx[0],
                 g->focus_dy[1], g->focus_dx[1], g->focus_dy[2], g->focus_dx[2], g->focus_dy[3],
                 g->focus_dx[3]);
}

/* Picks the fastest of cuDNN's chosen algorithm and our igemm configs, or
 * reads the choice from the cache. Option conv (CUDNN / OWN) forces one side. */
static vrt_status choose_own(cuda_ctx *c, step *s) {
    char key[256];
    vrt__algo_entry e;
    vrt_conv_impl force = c->opt.conv;
    int must = s->cat || s->ig.focus || s->res_add; /* only our kernel does what this step was planned for */
    int no_own = force == VRT_CONV_CUDNN && !must, only_own = force == VRT_CONV_OWN || must;
    if (no_own) return VRT_OK;
    own_key(s, key, sizeof(key));
    if ((!only_own || must) && vrt__algo_cache_get(c->cache, key, &e) && (!must || e.algo > 0)) {
        s->own = e.algo >= 0 && e.algo <= VRT__CUDA_IGEMM_CONFIGS ? e.algo : 0;
        s->own_ms = s->own ? e.ms : -1.0f;
        s->dnn_ms = -1.0f;
        return VRT_OK;
    }
    cudaEvent_t e0 = NULL, e1 = NULL;
    vrt_status st;
    if ((st = CUCK(cudaEventCreate(&e0))) || (st = CUCK(cudaEventCreate(&e1)))) {
        if (e0) cudaEventDestroy(e0);
        return st;
    }
    float dnn = only_own ? -1.0f : time_conv_variant(c, s, 0, e0, e1), own = -1.0f;
    int cfg = 0;
    for (int k = 1; k <= VRT__CUDA_IGEMM_CONFIGS; k++) {
        float t = time_conv_variant(c, s, k, e0, e1);
        if (t > 0.0f && (own < 0.0f || t < own)) own = t, cfg = k;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    int pick = cfg && (only_own || dnn < 0.0f || own < dnn) ? cfg : 0;
    if (must && !pick)
        return vrt__cuda_nfail(c, s->n, VRT_EDEVICE, "the %s needs our conv kernel, which failed here: %s",
                               s->cat        ? "in-place Concat"
                               : s->ig.focus ? "Focus read"
                                             : "Add in its epilogue",
                               vrt__cuda_igemm_error());
    s->own = pick;
    s->own_ms = own, s->dnn_ms = dnn;
    if (!only_own || must) {
        e.algo = pick, e.workspace = 0, e.ms = pick ? own : dnn, e.fused = 0;
        vrt__algo_cache_put(c->cache, key, &e);
    }
    return VRT_OK;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One conv step's cuDNN algorithm, timed on the step's real buffers. */
static vrt_status choose_dnn(cuda_ctx *c, step *s, void *sws, size_t search) {
    char e2[400] = "";
    vrt_status st;
    if (s->h)
        st = vrt__cuda_conv_choose(s->conv, c->cache, NULL, c->stream, s->hx, s->hw, s->hb, c->zero_bias,
                                   s->hr, s->hy, c->scratch, sws, search, e2, sizeof(e2));
    else
        st = vrt__cuda_conv_choose(s->conv, c->cache, NULL, c->stream, s->in[0], s->in[1],
                                   s->nin > 2 ? s->in[2] : NULL, c->zero_bias,
                                   s->n->op == VRT__OP_Conv && s->nin > 3 ? s->in[3] : NULL, s->out[0],
                                   c->scratch, sws, search, e2, sizeof(e2));
    if (st) vrt__cuda_nfail(c, s->n, st, "choosing the cuDNN algorithm: %s", e2);
    return st;
}

/* cuDNN algorithms: cache, or timed on the real buffers with a search workspace. */
vrt_status vrt__cuda_choose_convs(cuda_ctx *c) {
    double t0 = now_ms();
    vrt_status st = VRT_OK;
    vrt__algo_cache_open(c->ir->path, c->device, c->opt.cache_dir, &c->cache);
    int nconv = 0;
    for (int i = 0; i < c->n_steps; i++)
        nconv += c->steps[i].conv != NULL;
    if (nconv) {
        size_t fr = 0, tot = 0, search = SEARCH_WS_LIMIT;
        if (cudaMemGetInfo(&fr, &tot) == cudaSuccess && fr / 4 < search) search = fr / 4;
        uint8_t *sws = NULL;
        if ((st = CUCK(cudaMalloc((void **)&sws, search)))) return st;
        size_t need = 0;
        for (int i = 0; i < c->n_steps && !st; i++) {
            step *s = &c->steps[i];
            if (!s->conv || s->dw || s->res_add) continue; /* res_add: our kernel only */
            if (!(st = choose_dnn(c, s, sws, search)) && vrt__cuda_conv_workspace(s->conv) > need)
                need = vrt__cuda_conv_workspace(s->conv);
        }
        /* Own implicit GEMM vs cuDNN, timed with cuDNN's workspace in place. */
        c->ws = sws;
        for (int i = 0; i < c->n_steps && !st; i++)
            if (c->steps[i].own_ok && c->steps[i].conv) st = choose_own(c, &c->steps[i]);
        c->ws = NULL;
        vrt_status st2 = CUCK(cudaStreamSynchronize(c->stream));
        cudaFree(sws);
        if (st || (st = st2)) return st;
        c->ws_bytes = need;
        if (need && (st = CUCK(cudaMalloc((void **)&c->ws, need)))) return st;
        c->cache_hits = vrt__algo_cache_hits(c->cache);
        c->cache_misses = vrt__algo_cache_misses(c->cache);
        vrt__algo_cache_save(c->cache);
    }
    c->choose_ms = now_ms() - t0;
    return VRT_OK;
}
