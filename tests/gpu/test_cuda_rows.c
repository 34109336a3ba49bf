/*
 * The fp16 rows plan of the CUDA backend (backend/cuda/plan_rows.c, rows_half.cu) against the CPU
 * twins (label gpu; exits 77 without a GPU). Every fp16 kernel gets inputs already rounded to
 * fp16, so the CPU reference (fp32 on the same values) differs only by the fp16 rounding of the
 * result and the fp16 operands of the GEMMs:
 *  - vrt__cuda_layernorm_h / vrt__cuda_add_layernorm_h (with and without the sum) vs
 *    vrt__layernorm / vrt__add_layernorm, ViT-S rows (1370 x 384) and DETR rows (300 x 256):
 *    4e-3 of the largest output; the sum exactly the fp16 rounding of a + b;
 *  - vrt__cuda_binary_h (same shapes, broadcast rows and a per-column vector, with ReLU) and
 *    vrt__cuda_act_h (GELU) vs a C loop: 2e-3;
 *  - MatMul on fp16 cuBLASLt (vrt__cuda_gemm_create_matmul half): a weight GEMM with bias + GELU
 *    (1370 x 384 x 1536) and DETR's batched scores (8 x 300 x 32 x 300) vs a double loop: 1e-2;
 *  - the fp16 NHWC kernels of the DPT head: bilinear align_corners Resize vs vrt__cpu_resize_f32
 *    (2e-3) and ReLU (exact);
 *  - the small Depth Anything V2 and DETR of tests/models through the engine, precision fp16 with
 *    half_rows on (the step summary counts fp16 rows steps) and off: within 2e-2 of the largest
 *    output of the CPU backend, and on vs off within 2e-2 of each other.
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cpu/kernels_tensor.h"
#include "engine/backend/cuda/epilogue.h"
#include "engine/backend/cuda/gemm_cublaslt.h"
#include "engine/backend/cuda/rows_half.h"
#include "harness.h"
#include "model/dtype.h"
#include "model/ir.h"
#include "vrt/engine.h"

static cudaStream_t g_stream;
static vrt__threadpool *g_tp;
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static float rnd(void) {
    g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
    return (float)((g_rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

/* n values in [-amp, amp], rounded to fp16 (h: their fp16 bits). */
static float *rnd_half(size_t n, float amp, uint16_t **h) {
    float *p = malloc(n * sizeof(float) + 4);
    *h = malloc(n * 2 + 4);
    ASSERT_TRUE(p != NULL && *h != NULL);
    for (size_t i = 0; i < n; i++) {
        (*h)[i] = vrt__float_to_half(amp * rnd());
        p[i] = vrt__half_to_float((*h)[i]);
    }
    return p;
}

static void *dev(const void *h, size_t bytes) {
    void *d = NULL;
    ASSERT_EQ(cudaMalloc(&d, bytes + 16), cudaSuccess);
    if (h) ASSERT_EQ(cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice), cudaSuccess);
    return d;
}

/* n fp16 values from the device, as fp32. */
static float *back_half(const void *d, size_t n) {
    uint16_t *h = malloc(n * 2 + 4);
    float *f = malloc(n * 4 + 4);
    ASSERT_EQ(cudaStreamSynchronize(g_stream), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(h, d, n * 2, cudaMemcpyDeviceToHost), cudaSuccess);
    for (size_t i = 0; i < n; i++)
        f[i] = vrt__half_to_float(h[i]);
    free(h);
    return f;
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

static void layernorm_case(int64_t outer, int64_t inner) {
    size_t n = (size_t)(outer * inner);
    uint16_t *ha, *hb, *hg, *hbe;
    float *a = rnd_half(n, 3.0f, &ha), *b = rnd_half(n, 1.0f, &hb), *g = rnd_half((size_t)inner, 1.0f, &hg);
    float *be = rnd_half((size_t)inner, 0.5f, &hbe);
    float *wy = calloc(n, 4), *ws = calloc(n, 4), *w1 = calloc(n, 4);
    /* The reference adds in fp32 and rounds the sum to fp16, as the fp16 kernel stores it. */
    float *s16 = malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        s16[i] = vrt__half_to_float(vrt__float_to_half(a[i] + b[i]));
    ASSERT_OK(vrt__layernorm(g_tp, outer, inner, s16, g, be, 1e-6f, wy, NULL, NULL));
    ASSERT_OK(vrt__layernorm(g_tp, outer, inner, a, g, NULL, 1e-5f, w1, NULL, NULL));
    void *da = dev(ha, n * 2), *db = dev(hb, n * 2), *dy = dev(NULL, n * 2), *ds = dev(NULL, n * 2);
    float *dg = dev(g, (size_t)inner * 4), *dbe = dev(be, (size_t)inner * 4);
    ASSERT_OK(vrt__cuda_layernorm_h(g_stream, outer, inner, da, dg, NULL, 1e-5f, dy));
    float *gy = back_half(dy, n);
    double d = rel_diff(gy, w1, n);
    printf("layernorm fp16 %lld x %lld: %.2e\n", (long long)outer, (long long)inner, d);
    ASSERT_TRUE(d <= 4e-3);
    free(gy);
    for (int with_sum = 0; with_sum <= 1; with_sum++) {
        ASSERT_OK(vrt__cuda_add_layernorm_h(g_stream, outer, inner, da, db, dg, dbe, 1e-6f, dy,
                                            with_sum ? ds : NULL));
        gy = back_half(dy, n);
        d = rel_diff(gy, wy, n);
        printf("add+layernorm fp16 %lld x %lld (sum %d): %.2e\n", (long long)outer, (long long)inner,
               with_sum, d);
        ASSERT_TRUE(d <= 4e-3);
        free(gy);
        if (with_sum) {
            float *gs = back_half(ds, n);
            ASSERT_EQ(memcmp(gs, s16, n * 4), 0);
            free(gs);
        }
    }
    cudaFree(da), cudaFree(db), cudaFree(dy), cudaFree(ds), cudaFree(dg), cudaFree(dbe);
    free(a), free(b), free(g), free(be), free(ha), free(hb), free(hg), free(hbe);
    free(wy), free(ws), free(w1), free(s16);
}

TEST(layernorm_half_matches_cpu) {
    layernorm_case(1370, 384);
    layernorm_case(300, 256);
    layernorm_case(7, 33); /* a row shorter than two warps' worth, odd */
}

static float relu(float v) {
    return v > 0 ? v : 0;
}

TEST(binary_and_act_half_match_c) {
    const vrt__shape sy = {3, {2, 300, 256}}, srow = {3, {1, 300, 256}}, scol = {1, {256}};
    size_t n = 2 * 300 * 256, nr = 300 * 256;
    uint16_t *ha, *hb, *hc;
    float *a = rnd_half(n, 4.0f, &ha), *b = rnd_half(nr, 2.0f, &hb), *cv = rnd_half(256, 1.5f, &hc);
    void *da = dev(ha, n * 2), *db = dev(hb, nr * 2), *dc = dev(hc, 512), *dy = dev(NULL, n * 2);
    vrt__activation act = {VRT__ACT_RELU, 0, 0};
    float *want = malloc(n * 4);
    /* same shapes: a * a, then a + rows (broadcast over the batch) with ReLU, then a / columns */
    ASSERT_OK(vrt__cuda_binary_h(g_stream, VRT__BIN_MUL, da, &sy, da, &sy, dy, &sy, NULL));
    float *got = back_half(dy, n);
    for (size_t i = 0; i < n; i++)
        want[i] = a[i] * a[i];
    ASSERT_TRUE(rel_diff(got, want, n) <= 2e-3);
    free(got);
    ASSERT_OK(vrt__cuda_binary_h(g_stream, VRT__BIN_ADD, da, &sy, db, &srow, dy, &sy, &act));
    got = back_half(dy, n);
    for (size_t i = 0; i < n; i++)
        want[i] = relu(a[i] + b[i % nr]);
    ASSERT_TRUE(rel_diff(got, want, n) <= 2e-3);
    free(got);
    ASSERT_OK(vrt__cuda_binary_h(g_stream, VRT__BIN_SUB, da, &sy, dc, &scol, dy, &sy, NULL));
    got = back_half(dy, n);
    for (size_t i = 0; i < n; i++)
        want[i] = a[i] - cv[i % 256];
    ASSERT_TRUE(rel_diff(got, want, n) <= 2e-3);
    free(got);
    vrt__activation gelu = {VRT__ACT_GELU, 0, 0};
    ASSERT_OK(vrt__cuda_act_h(g_stream, da, dy, (int64_t)n, &gelu));
    got = back_half(dy, n);
    for (size_t i = 0; i < n; i++)
        want[i] = 0.5f * a[i] * (1.0f + erff(a[i] * 0.70710678f));
    ASSERT_TRUE(rel_diff(got, want, n) <= 2e-3);
    free(got);
    cudaFree(da), cudaFree(db), cudaFree(dc), cudaFree(dy);
    free(a), free(b), free(cv), free(ha), free(hb), free(hc), free(want);
}

/* Y = act(A B + bias) on fp16 cuBLASLt against a double loop (batch: A and B both batched). */
static void matmul_case(const vrt__shape *sa, const vrt__shape *sb, int bias, vrt__activation act) {
    int64_t M = sa->d[sa->ndim - 2], K = sa->d[sa->ndim - 1], N = sb->d[sb->ndim - 1];
    int64_t batch = vrt__shape_numel(sa) / (M * K), bb = vrt__shape_numel(sb) / (K * N);
    size_t na = (size_t)(batch * M * K), nb = (size_t)(bb * K * N), ny = (size_t)(batch * M * N);
    uint16_t *ha, *hb, *hc;
    float *a = rnd_half(na, 1.0f, &ha), *b = rnd_half(nb, 0.1f, &hb), *c = rnd_half((size_t)N, 0.5f, &hc);
    cublasLtHandle_t lt;
    ASSERT_EQ(cublasLtCreate(&lt), CUBLAS_STATUS_SUCCESS);
    vrt__cuda_gemm *g = NULL;
    char err[512] = "";
    ASSERT_OK(vrt__cuda_gemm_create_matmul(lt, sa, sb, bias, &act, VRT__CUDA_MATH_FP16, 1, (size_t)32 << 20,
                                           &g, err, sizeof(err)));
    void *da = dev(ha, na * 2), *db = dev(hb, nb * 2), *dc = dev(hc, (size_t)N * 2), *dy = dev(NULL, ny * 2);
    void *ws = dev(NULL, (size_t)32 << 20);
    ASSERT_OK(vrt__cuda_gemm_run(g, g_stream, da, db, bias ? dc : NULL, dy, ws, (size_t)32 << 20, err,
                                 sizeof(err)));
    float *got = back_half(dy, ny), *want = malloc(ny * 4);
    for (int64_t q = 0; q < batch; q++)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = bias ? c[j] : 0.0;
                const float *ar = a + (q * M + i) * K, *bq = b + (bb == 1 ? 0 : q) * K * N;
                for (int64_t k = 0; k < K; k++)
                    s += (double)ar[k] * bq[k * N + j];
                float v = (float)s;
                if (act.kind == VRT__ACT_GELU) v = 0.5f * v * (1.0f + erff(v * 0.70710678f));
                want[(q * M + i) * N + j] = v;
            }
    double d = rel_diff(got, want, ny);
    char what[300];
    vrt__cuda_gemm_describe(g, what, sizeof(what));
    printf("%s: %.2e\n", what, d);
    ASSERT_TRUE(d <= 1e-2);
    vrt__cuda_gemm_destroy(&g);
    cublasLtDestroy(lt);
    cudaFree(da), cudaFree(db), cudaFree(dc), cudaFree(dy), cudaFree(ws);
    free(a), free(b), free(c), free(ha), free(hb), free(hc), free(got), free(want);
}

TEST(matmul_half_matches_reference) {
    vrt__activation none = {VRT__ACT_NONE, 0, 0}, gelu = {VRT__ACT_GELU, 0, 0};
    const vrt__shape x = {3, {1, 1370, 384}}, w = {2, {384, 1536}};
    matmul_case(&x, &w, 1, gelu);
    const vrt__shape q = {4, {1, 8, 300, 32}}, kt = {4, {1, 8, 32, 300}};
    matmul_case(&q, &kt, 0, none);
}

/* The fp16 NHWC kernels the DPT head needs: bilinear align_corners Resize (vs the CPU's
 * vrt__cpu_resize_f32 on the same values in NCHW) and ReLU, 2e-3 of the largest output. */
static void resize_case(int N, int C, int H, int W, int OH, int OW) {
    size_t n = (size_t)N * C * H * W, no = (size_t)N * C * OH * OW;
    uint16_t *hx;
    float *xh = rnd_half(n, 2.0f, &hx), *xc = malloc(n * 4), *want = malloc(no * 4), *got_c = malloc(no * 4);
    /* hx / xh are NHWC; the CPU twin reads NCHW. */
    for (int b = 0; b < N; b++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < H * W; p++)
                xc[((size_t)b * C + c) * H * W + p] = xh[((size_t)b * H * W + p) * C + c];
    vrt__resize_params rp;
    vrt__resize_default_params(&rp);
    rp.mode = VRT__RESIZE_LINEAR, rp.coord = VRT__COORD_ALIGN_CORNERS;
    rp.have_sizes = 1;
    rp.sizes[0] = N, rp.sizes[1] = C, rp.sizes[2] = OH, rp.sizes[3] = OW;
    const vrt__shape sx = {4, {N, C, H, W}}, sy = {4, {N, C, OH, OW}};
    void *scratch = malloc(vrt__resize_scratch_bytes(&rp, &sx, &sy) + 64);
    ASSERT_OK(vrt__cpu_resize_f32(g_tp, &rp, xc, &sx, want, &sy, scratch));
    void *dx = dev(hx, n * 2), *dy = dev(NULL, no * 2);
    ASSERT_OK(vrt__cuda_resize_linear_ac_nhwc_half(g_stream, dx, dy, N, H, W, C, OH, OW));
    float *got = back_half(dy, no);
    for (int b = 0; b < N; b++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < OH * OW; p++)
                got_c[((size_t)b * C + c) * OH * OW + p] = got[((size_t)b * OH * OW + p) * C + c];
    double d = rel_diff(got_c, want, no);
    printf("bilinear align_corners fp16 NHWC %dx%d -> %dx%d, C %d: %.2e\n", H, W, OH, OW, C, d);
    ASSERT_TRUE(d <= 2e-3);
    vrt__activation relu = {VRT__ACT_RELU, 0, 0};
    ASSERT_OK(vrt__cuda_act_h(g_stream, dx, dy, (int64_t)n, &relu));
    free(got);
    got = back_half(dy, n);
    for (size_t i = 0; i < n; i++)
        ASSERT_TRUE(got[i] == (xh[i] > 0 ? xh[i] : 0.0f)); /* exact: a max with 0 */
    cudaFree(dx), cudaFree(dy);
    free(xh), free(hx), free(xc), free(want), free(got_c), free(got), free(scratch);
}

TEST(nhwc_resize_and_relu_match_cpu) {
    resize_case(1, 64, 19, 19, 37, 37);     /* DPT fusion: scale 2 onto the next stage's size */
    resize_case(1, 32, 148, 148, 259, 259); /* the head's upsampling to the input size (518 / 2) */
    resize_case(2, 6, 5, 7, 9, 13);
}

/* ---- the small models through the engine ---- */

static void load_pb(const char *path, vrt__tensor *t) {
    char err[256];
    if (vrt__tensor_load_pb(path, t, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
}

/* Output 0 of the model on its test input: backend, precision, half_rows; *rows: fp16 rows steps
 * the summary counts (-1: no summary). */
static float *run_model(const char *dir, const char *backend, vrt_precision prec, vrt_switch rows, size_t *n,
                        int *nrows) {
    char path[1200], err[512];
    snprintf(path, sizeof(path), "%s/tests/models/%s/test_data_set_0/input_0.pb", VRT_SOURCE_DIR, dir);
    vrt__tensor in, ref;
    load_pb(path, &in);
    snprintf(path, sizeof(path), "%s/tests/models/%s/test_data_set_0/output_0.pb", VRT_SOURCE_DIR, dir);
    load_pb(path, &ref);
    *n = ref.nbytes / 4;
    snprintf(path, sizeof(path), "%s/tests/models/%s/model.onnx", VRT_SOURCE_DIR, dir);
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = backend;
    p.options.precision = prec;
    p.options.half_rows = rows;
    p.options.fp16_guard = VRT_SWITCH_OFF;
    vrt_engine_t *e = NULL;
    if (vrt_engine_open(path, &p, &e, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    float *out = malloc(*n * 4);
    vrt_engine_tensor ti = {in.data, VRT_DTYPE_FLOAT, in.nbytes}, to = {out, VRT_DTYPE_FLOAT, *n * 4};
    ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
    char sum[2048];
    *nrows = -1;
    if (vrt_engine_step_summary(e, sum, sizeof(sum))) {
        printf("  %s %s: %s\n", dir, rows == VRT_SWITCH_OFF ? "half_rows off" : "half_rows on", sum);
        const char *r = strstr(sum, "fp16 rows ");
        *nrows = r ? atoi(r + 10) : -1;
    }
    vrt_engine_destroy(&e);
    vrt__tensor_free(&in);
    vrt__tensor_free(&ref);
    return out;
}

TEST(small_models_rows_match_cpu) {
    const char *dirs[] = {"depth_anything_v2", "detr_resnet50"};
    for (int k = 0; k < 2; k++) {
        size_t n = 0, n2 = 0, n3 = 0;
        int r0 = 0, r1 = 0, r2 = 0;
        float *cpu = run_model(dirs[k], "cpu", VRT_PRECISION_AUTO, VRT_SWITCH_AUTO, &n, &r0);
        float *on = run_model(dirs[k], "cuda", VRT_PRECISION_FP16, VRT_SWITCH_AUTO, &n2, &r1);
        float *off = run_model(dirs[k], "cuda", VRT_PRECISION_FP16, VRT_SWITCH_OFF, &n3, &r2);
        ASSERT_TRUE(n == n2 && n == n3);
        double d_on = rel_diff(on, cpu, n), d_off = rel_diff(off, cpu, n), d_pair = rel_diff(on, off, n);
        printf("%s fp16: rows on vs CPU %.2e, rows off vs CPU %.2e, on vs off %.2e (%d fp16 rows steps)\n",
               dirs[k], d_on, d_off, d_pair, r1);
        ASSERT_TRUE(r1 > 0);
        ASSERT_EQ(r2, 0);
        ASSERT_TRUE(d_on <= 2e-2 && d_off <= 2e-2 && d_pair <= 2e-2);
        free(cpu), free(on), free(off);
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
    VRT_RUN(layernorm_half_matches_cpu);
    VRT_RUN(binary_and_act_half_match_c);
    VRT_RUN(matmul_half_matches_reference);
    VRT_RUN(nhwc_resize_and_relu_match_cpu);
    VRT_RUN(small_models_rows_match_cpu);
    vrt__threadpool_destroy(&g_tp);
    cudaStreamDestroy(g_stream);
    return vrt_test_finish();
}
