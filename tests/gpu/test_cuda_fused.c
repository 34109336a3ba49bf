/*
 * The fused transformer ops on CUDA against their CPU twins (label gpu;
 * exits 77 without a GPU):
 *  - vrt__cuda_attention vs vrt__attention on random data over the shapes
 *    the models have (DINOv2 self-attention 1369 x 1369, DETR-like 100
 *    queries x 1400 keys with a broadcast mask, YOLO12's transposed V and
 *    output, head dims 16..128, key counts not a multiple of 32), 1e-5
 *    relative to the largest output;
 *  - vrt__cuda_attention_tc (tensor cores, fp16 operands: fp32 and fp16
 *    I/O) vs vrt__attention over ViT-S/14 at 518 px, DETR's encoder and
 *    decoder at 640x480 and the edge shapes, 1e-2 of the largest output;
 *  - vrt__cuda_add_layernorm vs vrt__add_layernorm (with and without the sum
 *    output);
 *  - the tiny models of tests/models/make_attn.py through the CUDA engine
 *    (nanmask: DETR's Where(IsNaN(P), 0, P) with a row masked to -inf, the
 *    attention's nan_zero; fp16 math runs them on the fp16 rows plan),
 *    every pattern on and off, fp32 (1e-4 of the largest output, against the
 *    CPU engine and onnxruntime) and fp16 math (2e-2), several runs through
 *    the CUDA graph giving identical results.
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cuda/attention.h"
#include "engine/backend/cuda/norm.h"
#include "harness.h"
#include "model/ir.h"
#include "vrt/engine.h"

static cudaStream_t g_stream;
static vrt__threadpool *g_tp;
static uint64_t g_rng = 0x2545f4914f6cdd1dull;

static float rnd(void) {
    g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
    return (float)((g_rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static float *rnd_host(size_t n, float amp) {
    float *p = malloc(n * sizeof(float));
    ASSERT_TRUE(p != NULL);
    for (size_t i = 0; i < n; i++)
        p[i] = amp * rnd();
    return p;
}

static float *to_dev(const float *h, size_t n) {
    float *d = NULL;
    ASSERT_EQ(cudaMalloc((void **)&d, n * sizeof(float) + 16), cudaSuccess);
    if (h) ASSERT_EQ(cudaMemcpy(d, h, n * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
    return d;
}

static double rel_diff(const float *a, const float *b, size_t n) {
    double md = 0, mr = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        md = d > md || isnan(d) ? d : md;
        mr = fabs(b[i]) > mr ? fabs(b[i]) : mr;
    }
    return md / (mr > 0 ? mr : 1);
}

typedef struct attn_case {
    const char *what;
    int r;                  /* rank */
    int64_t batch[3];       /* leading dims (r - 2 of them) */
    int64_t sq, sk, d, dv;  /* logical sizes */
    int q_t, k_t, v_t, o_t; /* operand held transposed in its last two dims */
    int mask;               /* 0 none, 1 full [batch, sq, sk], 2 keys only [1.., 1, sk] */
} attn_case;

/* The tensor shape of a logical [batch..., rows, cols] operand held transposed or not. */
static void held_shape(const attn_case *c, int64_t rows, int64_t cols, int t, vrt__shape *s, int64_t *perm) {
    s->ndim = c->r;
    for (int i = 0; i < c->r - 2; i++)
        s->d[i] = c->batch[i], perm[i] = i;
    s->d[c->r - 2] = t ? cols : rows, s->d[c->r - 1] = t ? rows : cols;
    perm[c->r - 2] = t ? c->r - 1 : c->r - 2, perm[c->r - 1] = t ? c->r - 2 : c->r - 1;
}

/* Which CUDA kernel a case runs: the fp32 one, or the tensor-core one with fp32 or fp16 operands. */
enum { K_F32, K_TC, K_TC_HALF };

/* fp16 copy of n floats on the device (the tensor-core kernel's fp16 operands). */
static void *to_dev_half(const float *h, size_t n) {
    uint16_t *t = malloc(n * 2 + 2);
    ASSERT_TRUE(t != NULL);
    for (size_t i = 0; i < n; i++)
        t[i] = vrt__float_to_half(h ? h[i] : 0.0f);
    void *d = NULL;
    ASSERT_EQ(cudaMalloc(&d, n * 2 + 16), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(d, t, n * 2, cudaMemcpyHostToDevice), cudaSuccess);
    free(t);
    return d;
}

/* Runs case c on kernel `kern` against the CPU twin: max |diff| / max |out| at most tol. */
static void run_attn_case(const attn_case *c, int kern, double tol) {
    vrt__shape qs, ks, vs, os, ms;
    int64_t qp[8], kp[8], vp[8], op[8];
    held_shape(c, c->sq, c->d, c->q_t, &qs, qp);
    held_shape(c, c->sk, c->d, c->k_t, &ks, kp);
    held_shape(c, c->sk, c->dv, c->v_t, &vs, vp);
    held_shape(c, c->sq, c->dv, c->o_t, &os, op);
    ms.ndim = c->r;
    for (int i = 0; i < c->r - 2; i++)
        ms.d[i] = c->mask == 2 ? 1 : c->batch[i];
    ms.d[c->r - 2] = c->mask == 2 ? 1 : c->sq, ms.d[c->r - 1] = c->sk;
    vrt__node n;
    memset(&n, 0, sizeof(n));
    ASSERT_OK(vrt__node_set_ints(&n, "q_perm", qp, c->r));
    ASSERT_OK(vrt__node_set_ints(&n, "k_perm", kp, c->r));
    ASSERT_OK(vrt__node_set_ints(&n, "v_perm", vp, c->r));
    ASSERT_OK(vrt__node_set_ints(&n, "o_perm", op, c->r));
    ASSERT_OK(vrt__node_set_float(&n, "scale", 1.0f / sqrtf((float)c->d)));
    vrt__attn_params p;
    char err[256] = "";
    vrt_status st =
        vrt__op_attention_params(&n, &qs, &ks, &vs, c->mask ? &ms : NULL, &os, &p, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: %s", c->what, err);
    vrt__node_free(&n);
    size_t nq = (size_t)vrt__shape_numel(&qs), nk = (size_t)vrt__shape_numel(&ks);
    size_t nv = (size_t)vrt__shape_numel(&vs), no = (size_t)vrt__shape_numel(&os);
    size_t nm = (size_t)vrt__shape_numel(&ms);
    float *hq = rnd_host(nq, 2.0f), *hk = rnd_host(nk, 2.0f), *hv = rnd_host(nv, 1.0f);
    float *hm = rnd_host(nm, 1.0f), *want = calloc(no, sizeof(float)), *got = calloc(no, sizeof(float));
    for (size_t i = 0; i < nm; i++) /* an additive mask: a few keys shut */
        hm[i] = hm[i] > 0.8f ? -1e4f : 0.0f;
    ASSERT_OK(vrt__attention(g_tp, &p, hq, hk, hv, c->mask ? hm : NULL, want));
    int hf = kern == K_TC_HALF;
    void *dq = hf ? to_dev_half(hq, nq) : to_dev(hq, nq), *dk = hf ? to_dev_half(hk, nk) : to_dev(hk, nk);
    void *dv = hf ? to_dev_half(hv, nv) : to_dev(hv, nv),
         *dout = hf ? to_dev_half(NULL, no) : to_dev(NULL, no);
    float *dm = to_dev(hm, nm);
    if (kern == K_F32) {
        ASSERT_OK(vrt__cuda_attention(g_stream, &p, dq, dk, dv, c->mask ? dm : NULL, dout));
    } else {
        vrt__dtype t = hf ? VRT__DT_FLOAT16 : VRT__DT_FLOAT;
        ASSERT_TRUE(vrt__cuda_attention_tc_ok(&p));
        ASSERT_OK(vrt__cuda_attention_tc(g_stream, &p, t, dq, dk, dv, c->mask ? dm : NULL, t, dout));
    }
    ASSERT_EQ(cudaStreamSynchronize(g_stream), cudaSuccess);
    if (hf) {
        uint16_t *h16 = malloc(no * 2);
        ASSERT_EQ(cudaMemcpy(h16, dout, no * 2, cudaMemcpyDeviceToHost), cudaSuccess);
        for (size_t i = 0; i < no; i++)
            got[i] = vrt__half_to_float(h16[i]);
        free(h16);
    } else {
        ASSERT_EQ(cudaMemcpy(got, dout, no * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
    }
    double d = rel_diff(got, want, no);
    static const char *kname[] = {"fp32", "tensor cores, fp32 I/O", "tensor cores, fp16 I/O"};
    printf("attention %-40s %-24s max rel diff %.2e\n", c->what, kname[kern], d);
    ASSERT_TRUE(d <= tol);
    cudaFree(dq), cudaFree(dk), cudaFree(dv), cudaFree(dm), cudaFree(dout);
    free(hq), free(hk), free(hv), free(hm), free(want), free(got);
}

TEST(attention_matches_cpu) {
    static const attn_case cases[] = {
        {"DINOv2 self 1369x1369 d64", 4, {1, 2}, 1369, 1369, 64, 64, 0, 1, 0, 0, 0},
        {"DETR cross 100x1400 d32 key mask", 4, {1, 8}, 100, 1400, 32, 32, 0, 1, 0, 0, 2},
        {"3-D bmm 10x50 d64 full mask", 3, {4}, 10, 50, 64, 64, 0, 0, 0, 0, 1},
        {"d16 K as K^T 37x300", 4, {2, 3}, 37, 300, 16, 16, 0, 1, 0, 0, 0},
        {"YOLO12 area q^T, V^T, O^T d32", 4, {2, 2}, 400, 400, 32, 32, 1, 0, 1, 1, 0},
        {"d128 dv128 64x77", 4, {1, 2}, 64, 77, 128, 128, 0, 0, 0, 0, 0},
        {"odd d24 dv40 sk33", 3, {3}, 5, 33, 24, 40, 1, 1, 1, 0, 1},
        {"2-D 1 query", 2, {0}, 1, 65, 48, 8, 0, 0, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_attn_case(&cases[i], K_F32, 1e-5);
}

/* The tensor-core kernel (fp16 operands, fp32 accumulation) over the shapes of the models' fp16
 * runs: ViT-S/14 at 518 px (1370 tokens, 6 heads x 64), DETR's encoder at 640x480 (300 tokens, 8
 * heads x 32) and decoder cross-attention (100 queries x 300 / 1400 keys, key mask), YOLO12's
 * transposed operands, and the edges: a partial last query and key tile, head dims below 16 and
 * not a multiple of 16, one query. fp16 tolerance: 1e-2 of the largest
 * output (inputs and P rounded to fp16: ~1e-3 seen). */
TEST(attention_tc_matches_cpu) {
    static const attn_case cases[] = {
        {"ViT-S/14 518px self 1370x1370 d64", 4, {1, 6}, 1370, 1370, 64, 64, 0, 0, 0, 0, 0},
        {"DINOv2 K as K^T 1369 d64", 4, {1, 2}, 1369, 1369, 64, 64, 0, 1, 0, 0, 0},
        {"DETR encoder self 300x300 d32", 4, {1, 8}, 300, 300, 32, 32, 0, 0, 0, 0, 0},
        {"DETR cross 100x300 d32 key mask", 4, {1, 8}, 100, 300, 32, 32, 0, 1, 0, 0, 2},
        {"DETR cross 100x1400 d32 key mask", 4, {1, 8}, 100, 1400, 32, 32, 0, 1, 0, 0, 2},
        {"YOLO12 area q^T, V^T, O^T d32", 4, {2, 2}, 400, 400, 32, 32, 1, 0, 1, 1, 0},
        {"3-D bmm 10x50 d64 full mask", 3, {4}, 10, 50, 64, 64, 0, 0, 0, 0, 1},
        {"odd d24 dv40 sk33 full mask", 3, {3}, 5, 33, 24, 40, 1, 1, 1, 0, 1},
        {"d8 (DETR small) 37x130", 4, {2, 4}, 37, 130, 8, 8, 0, 0, 0, 0, 0},
        {"d48 dv16 65x129", 4, {1, 3}, 65, 129, 48, 16, 0, 1, 0, 0, 0},
        {"2-D 1 query", 2, {0}, 1, 65, 48, 8, 0, 0, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_attn_case(&cases[i], K_TC, 1e-2);
        run_attn_case(&cases[i], K_TC_HALF, 1e-2);
    }
}

TEST(add_layernorm_matches_cpu) {
    const int64_t outer = 1370, inner = 384;
    size_t n = (size_t)(outer * inner);
    float *a = rnd_host(n, 3.0f), *b = rnd_host(n, 1.0f), *g = rnd_host((size_t)inner, 1.0f);
    float *be = rnd_host((size_t)inner, 0.5f);
    float *wy = calloc(n, 4), *ws = calloc(n, 4), *gy = calloc(n, 4), *gs = calloc(n, 4);
    ASSERT_OK(vrt__add_layernorm(g_tp, outer, inner, a, b, g, be, 1e-6f, wy, ws));
    float *da = to_dev(a, n), *db = to_dev(b, n), *dg = to_dev(g, (size_t)inner),
          *dbe = to_dev(be, (size_t)inner);
    float *dy = to_dev(NULL, n), *ds = to_dev(NULL, n);
    for (int with_sum = 0; with_sum <= 1; with_sum++) {
        ASSERT_OK(vrt__cuda_add_layernorm(g_stream, outer, inner, da, db, dg, dbe, 1e-6f, dy,
                                          with_sum ? ds : NULL));
        ASSERT_EQ(cudaStreamSynchronize(g_stream), cudaSuccess);
        ASSERT_EQ(cudaMemcpy(gy, dy, n * 4, cudaMemcpyDeviceToHost), cudaSuccess);
        ASSERT_TRUE(rel_diff(gy, wy, n) <= 1e-5);
        if (with_sum) {
            ASSERT_EQ(cudaMemcpy(gs, ds, n * 4, cudaMemcpyDeviceToHost), cudaSuccess);
            ASSERT_EQ(memcmp(gs, ws, n * 4), 0); /* the sum is one fp32 add: exact */
        }
    }
    cudaFree(da), cudaFree(db), cudaFree(dg), cudaFree(dbe), cudaFree(dy), cudaFree(ds);
    free(a), free(b), free(g), free(be), free(wy), free(ws), free(gy), free(gs);
}

/* ---- the models through the engine ---- */

typedef struct model {
    const char *name;
    int nin;
} model;

static const model g_models[] = {{"vit", 1}, {"cross", 4}, {"area", 3}, {"ln_gelu", 1}, {"nanmask", 4}};

static void load_pb(const char *name, const char *kind, int i, vrt__tensor *t) {
    char path[1024], err[256];
    snprintf(path, sizeof(path), "%s/tests/models/attn_%s_%s%d.pb", VRT_SOURCE_DIR, name, kind, i);
    if (vrt__tensor_load_pb(path, t, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
}

/* Runs `runs` times (the CUDA graph is captured on the first) into out; the runs must agree bit for bit. */
static void run_engine(const model *m, const char *backend, vrt_precision prec, int fused,
                       const vrt__tensor *in, float *out, size_t n, int runs) {
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/tests/models/attn_%s.onnx", VRT_SOURCE_DIR, m->name);
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = backend;
    p.options.precision = prec;
    p.options.cache_dir = "";
    vrt_switch sw = fused ? VRT_SWITCH_ON : VRT_SWITCH_OFF;
    p.options.fuse_attention = p.options.fuse_layernorm = p.options.fuse_gelu = p.options.fuse_matmul_bias =
        sw;
    vrt_engine_t *e = NULL;
    if (vrt_engine_open(path, &p, &e, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s on %s: %s", path, backend, err);
    vrt_engine_tensor ti[4];
    for (int i = 0; i < m->nin; i++)
        ti[i] = (vrt_engine_tensor){in[i].data, VRT_DTYPE_FLOAT, in[i].nbytes};
    float *first = malloc(n * 4);
    for (int r = 0; r < runs; r++) {
        vrt_engine_tensor to = {out, VRT_DTYPE_FLOAT, n * 4};
        vrt_status st = vrt_engine_run(e, ti, m->nin, &to, 1);
        if (st) vrt_test_fail(__FILE__, __LINE__, "%s run: %s", m->name, vrt_engine_last_error(e));
        if (r == 0)
            memcpy(first, out, n * 4);
        else
            ASSERT_EQ(memcmp(first, out, n * 4), 0);
    }
    free(first);
    vrt_engine_destroy(&e);
}

TEST(models_cuda_match_cpu) {
    for (size_t k = 0; k < sizeof(g_models) / sizeof(g_models[0]); k++) {
        const model *m = &g_models[k];
        vrt__tensor in[4], ref;
        for (int i = 0; i < m->nin; i++)
            load_pb(m->name, "in", i, &in[i]);
        load_pb(m->name, "out", 0, &ref);
        size_t n = ref.nbytes / 4;
        float *cpu = malloc(n * 4), *gpu = malloc(n * 4);
        run_engine(m, "cpu", VRT_PRECISION_AUTO, 1, in, cpu, n, 1);
        for (int fused = 0; fused <= 1; fused++) {
            run_engine(m, "cuda", VRT_PRECISION_FP32, fused, in, gpu, n, 3);
            double dc = rel_diff(gpu, cpu, n), dr = rel_diff(gpu, ref.data, n);
            printf("attn_%s fp32 %s: vs CPU %.2e, vs onnxruntime %.2e\n", m->name,
                   fused ? "fused" : "unfused", dc, dr);
            ASSERT_TRUE(dc <= 1e-4 && dr <= 1e-4);
            run_engine(m, "cuda", VRT_PRECISION_FP16, fused, in, gpu, n, 3);
            dc = rel_diff(gpu, cpu, n);
            printf("attn_%s fp16 %s: vs CPU %.2e\n", m->name, fused ? "fused" : "unfused", dc);
            ASSERT_TRUE(dc <= 2e-2);
        }
        free(cpu), free(gpu);
        for (int i = 0; i < m->nin; i++)
            vrt__tensor_free(&in[i]);
        vrt__tensor_free(&ref);
    }
}

int main(void) {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0) {
        printf("SKIP: no usable CUDA device (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    if (cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking) != cudaSuccess) {
        printf("SKIP: cannot create a CUDA stream\n");
        return 77;
    }
    if (vrt__threadpool_create(&g_tp, 0)) return 1;
    VRT_RUN(attention_matches_cpu);
    VRT_RUN(attention_tc_matches_cpu);
    VRT_RUN(add_layernorm_matches_cpu);
    VRT_RUN(models_cuda_match_cpu);
    vrt__threadpool_destroy(&g_tp);
    cudaStreamDestroy(g_stream);
    return vrt_test_finish();
}
