/*
 * The CUDA fp16 plan's node-removing fusions (backend/cuda/plan_fuse.c)
 * against the CPU backend (label gpu; exits 77 without a GPU):
 *  - add_epilogue: a residual Add after a conv's activation done in that
 *    conv's epilogue. On the generated bottleneck model
 *    (VRT_GEN_MODELS/fp16/bottleneck.onnx, tests/gpu/make_fp16_models.py):
 *    exactly the four fusable Adds are fused (not the one whose conv output
 *    is read twice, not the one with a Relu of its own), the conv choice
 *    lines say so, and fp16 with the fusion on and off are each within
 *    fp16 rounding of the CPU backend's fp32 (RMS of the difference <= 1%
 *    of the output's max |value|, as the fp16 guard's tolerance) and of
 *    each other; several runs through the CUDA graph give identical bits.
 *    On YOLOX-Nano (../shared/data): its bottleneck Adds are fused and the
 *    output stays within the same tolerance of the CPU backend.
 *  - dw_pointwise: the fused depthwise + 1x1 kernel (vrt__cuda_dwpw_half,
 *    both tile configs) against the two kernels it replaces (our depthwise
 *    kernel, then our implicit GEMM) on random data over YOLOX-Nano's
 *    shapes, strides 1 and 2, with a residual after the activation, an fp32
 *    NCHW output, a Concat placement and an odd channel count (the pair
 *    path): within 2e-3 of the largest output; and both models with the
 *    option on and off against the CPU backend as above (whether a pair is
 *    fused is timed at open, so the count is reported, and the choice lines
 *    must match it).
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/backend/cuda/conv_igemm.h"
#include "engine/backend/cuda/cuda_inspect.h"
#include "engine/backend/cuda/epilogue.h"
#include "harness.h"
#include "vrt/engine.h"

static int64_t numel(const vrt_model_tensor_info *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->dims[i];
    return n;
}

/* RMS of b - a over max |a|. */
static double rms_rel(const float *a, const float *b, int64_t n) {
    double amax = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)b[i] - a[i];
        if (!isfinite(d)) return INFINITY;
        sq += d * d;
        amax = fabs(a[i]) > amax ? fabs(a[i]) : amax;
    }
    return sqrt(sq / (double)(n ? n : 1)) / (amax > 0 ? amax : 1);
}

/* which: the option compare() turns off in its second CUDA engine. */
enum { OPT_ADD, OPT_DW };

static vrt_engine_t *open_engine(const char *model, const char *backend, vrt_precision prec, int which,
                                 vrt_switch sw) {
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = backend;
    p.options.precision = prec;
    if (which == OPT_ADD) p.options.add_epilogue = sw;
    if (which == OPT_DW) p.options.dw_pointwise = sw;
    p.options.cache_dir = ""; /* time every choice: no cache shared with other tests */
    char err[512];
    vrt_engine_t *e = NULL;
    vrt_status st = vrt_engine_open(model, &p, &e, err, sizeof(err));
    if (st) printf("  open %s (%s): %s\n", model, backend, err);
    ASSERT_OK(st);
    return e;
}

static void run1(vrt_engine_t *e, const float *x, size_t xb, float *y, size_t yb) {
    vrt_engine_tensor ti = {(void *)x, VRT_DTYPE_FLOAT, xb}, to = {y, VRT_DTYPE_FLOAT, yb};
    vrt_status st = vrt_engine_run(e, &ti, 1, &to, 1);
    if (st) printf("  run: %s\n", vrt_engine_last_error(e));
    ASSERT_OK(st);
}

static int n_fused(vrt_engine_t *e, int which) {
    vrt__cuda_backend_stats bs;
    vrt__cuda_backend_info(vrt__engine_backend_ctx(e), &bs);
    return which == OPT_ADD ? bs.adds_fused : bs.dw_fused;
}

/* Conv choice lines naming the fusion. */
static int choice_lines_with(vrt_engine_t *e, int which) {
    char line[800];
    int n = 0;
    const char *what = which == OPT_ADD ? "+the next Add" : "computed into shared memory";
    for (int i = 0; i < vrt_engine_num_choices(e); i++)
        if (vrt_engine_choice(e, i, line, sizeof(line)) && strstr(line, what)) n++;
    return n;
}

/* CPU fp32, CUDA with fusion `which` on and off (precision prec) on one
 * input: returns the fused count; the errors are checked here. */
static int compare(const char *model, vrt_precision prec, float amp, int runs, int which) {
    vrt_engine_t *cpu = open_engine(model, "cpu", VRT_PRECISION_AUTO, which, VRT_SWITCH_AUTO);
    vrt_engine_t *on = open_engine(model, "cuda", prec, which, VRT_SWITCH_AUTO);
    vrt_engine_t *off = open_engine(model, "cuda", prec, which, VRT_SWITCH_OFF);
    vrt_model_tensor_info ii, oi;
    ASSERT_OK(vrt_engine_input_info(cpu, 0, &ii));
    ASSERT_OK(vrt_engine_output_info(cpu, 0, &oi));
    int64_t nin = numel(&ii), nout = numel(&oi);
    size_t xb = (size_t)nin * 4, yb = (size_t)nout * 4;
    float *x = malloc(xb), *yc = malloc(yb), *y1 = malloc(yb), *y0 = malloc(yb), *yr = malloc(yb);
    ASSERT_TRUE(x && yc && y1 && y0 && yr);
    uint32_t r = 7;
    for (int64_t i = 0; i < nin; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = amp * (float)((r >> 8) & 0xffff) / 65536.0f;
    }
    run1(cpu, x, xb, yc, yb);
    run1(on, x, xb, y1, yb);
    run1(off, x, xb, y0, yb);
    for (int k = 0; k < runs; k++) { /* the graph replays give the same bits */
        run1(on, x, xb, yr, yb);
        ASSERT_TRUE(memcmp(yr, y1, yb) == 0);
    }
    double e_on = rms_rel(yc, y1, nout), e_off = rms_rel(yc, y0, nout), e_oo = rms_rel(y0, y1, nout);
    int n = n_fused(on, which);
    printf("  %s: %d %s fused; RMS/max vs CPU: on %.3g, off %.3g; on vs off %.3g\n", model, n,
           which == OPT_ADD ? "Adds" : "depthwise+1x1 pairs", e_on, e_off, e_oo);
    ASSERT_EQ(n_fused(off, which), 0);
    ASSERT_EQ(choice_lines_with(on, which), n);
    ASSERT_EQ(choice_lines_with(off, which), 0);
    ASSERT_TRUE(e_on <= 0.01 && e_off <= 0.01 && e_oo <= 0.01);
    vrt_engine_destroy(&cpu);
    vrt_engine_destroy(&on);
    vrt_engine_destroy(&off);
    free(x), free(yc), free(y1), free(y0), free(yr);
    return n;
}

TEST(add_epilogue_bottleneck) {
    char model[1200];
    snprintf(model, sizeof(model), "%s/fp16/bottleneck.onnx", VRT_GEN_MODELS);
    FILE *f = fopen(model, "rb");
    if (!f) SKIP("%s missing (the fixture gen_cli_models writes it; it needs Python with onnx)", model);
    fclose(f);
    ASSERT_EQ(compare(model, VRT_PRECISION_FP16, 1.0f, 3, OPT_ADD), 4);
    /* fp32 math has no fp16 plan: nothing fused, same answers. */
    ASSERT_EQ(compare(model, VRT_PRECISION_FP32, 1.0f, 1, OPT_ADD), 0);
}

TEST(add_epilogue_yolox_nano) {
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    char model[1500];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    ASSERT_TRUE(compare(model, VRT_PRECISION_AUTO, 255.0f, 2, OPT_ADD) > 0);
}

TEST(dw_pointwise_models) {
    char model[1500];
    snprintf(model, sizeof(model), "%s/fp16/bottleneck.onnx", VRT_GEN_MODELS);
    FILE *f = fopen(model, "rb");
    if (f) {
        fclose(f);
        compare(model, VRT_PRECISION_FP16, 1.0f, 2, OPT_DW);
    }
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    compare(model, VRT_PRECISION_AUTO, 255.0f, 2, OPT_DW);
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static float rnd(void) {
    g_rng ^= g_rng << 13, g_rng ^= g_rng >> 7, g_rng ^= g_rng << 17;
    return (float)((g_rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

/* n random fp16 values (amp * [-1, 1)) on the device. */
static void *dev_half(size_t n, float amp) {
    uint16_t *h = malloc(n * 2 + 2);
    ASSERT_TRUE(h != NULL);
    for (size_t i = 0; i < n; i++)
        h[i] = vrt__float_to_half(amp * rnd());
    void *d = NULL;
    ASSERT_EQ(cudaMalloc(&d, n * 2 + 16), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(d, h, n * 2, cudaMemcpyHostToDevice), cudaSuccess);
    free(h);
    return d;
}

/* The output (fp16 NHWC, or fp32 NCHW when f32) as floats on the host. */
static float *host_out(const void *d, size_t n, int f32) {
    float *o = malloc(n * 4);
    ASSERT_TRUE(o != NULL);
    if (f32) {
        ASSERT_EQ(cudaMemcpy(o, d, n * 4, cudaMemcpyDeviceToHost), cudaSuccess);
        return o;
    }
    uint16_t *h = malloc(n * 2);
    ASSERT_TRUE(h != NULL);
    ASSERT_EQ(cudaMemcpy(h, d, n * 2, cudaMemcpyDeviceToHost), cudaSuccess);
    vrt__half_to_float_n(h, o, (int64_t)n);
    free(h);
    return o;
}

typedef struct dwpw_case {
    int H, C, M, S, res, f32, ld, off;
} dwpw_case;

static void dwpw_one(const dwpw_case *k, int cfg, cudaStream_t st) {
    vrt__cuda_dw_shape d = {
        1, k->C, k->H, k->H, (k->H + 2 - 3) / k->S + 1, (k->H + 2 - 3) / k->S + 1, 3, 3, k->S, k->S,
        1, 1,    1,    1};
    vrt__cuda_igemm g;
    memset(&g, 0, sizeof(g));
    g.N = 1, g.H = d.OH, g.W = d.OW, g.C = k->C, g.OH = d.OH, g.OW = d.OW, g.M = k->M;
    g.KH = g.KW = g.SH = g.SW = g.DH = g.DW = 1;
    g.out_ld = k->ld ? k->ld : k->M, g.out_off = k->off, g.res_post = 1, g.out_f32 = k->f32;
    size_t P = (size_t)d.OH * d.OW, ny = P * (size_t)g.out_ld;
    void *x = dev_half((size_t)k->H * k->H * k->C, 2.0f), *dw = dev_half((size_t)k->C * 9, 0.5f);
    void *db = dev_half((size_t)k->C, 0.2f), *w = dev_half((size_t)k->M * k->C, 0.25f);
    void *b = dev_half((size_t)k->M, 0.2f), *r = k->res ? dev_half(P * k->M, 1.0f) : NULL, *t = NULL;
    void *y1 = NULL, *y2 = NULL;
    size_t yb = ny * (k->f32 ? 4 : 2);
    ASSERT_EQ(cudaMalloc(&t, P * k->C * 2 + 16), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&y1, yb), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&y2, yb), cudaSuccess);
    ASSERT_EQ(cudaMemset(y1, 0, yb), cudaSuccess);
    ASSERT_EQ(cudaMemset(y2, 0, yb), cudaSuccess);
    vrt__activation silu = {VRT__ACT_SILU, 0, 0};
    /* The two kernels: depthwise into t, then the 1x1 conv on our implicit GEMM. */
    ASSERT_OK(vrt__cuda_dwconv_nhwc_half(st, x, dw, db, NULL, t, &d, &silu));
    vrt__cuda_dwpw_dw dg = {d.N, d.C, d.H, d.W, d.OH, d.OW, d.KH, d.KW, d.SH, d.SW, d.PH, d.PW, d.DH, d.DW};
    g.cfg = 0;
    ASSERT_OK(vrt__cuda_conv_igemm_half(st, &g, t, w, b, r, y1, &silu));
    g.cfg = cfg;
    ASSERT_OK(vrt__cuda_dwpw_half(st, &dg, x, dw, db, &silu, &g, w, b, r, y2, &silu));
    ASSERT_EQ(cudaStreamSynchronize(st), cudaSuccess);
    float *a = host_out(y1, ny, k->f32), *c = host_out(y2, ny, k->f32);
    double md = 0, mx = 0;
    int ndiff = 0;
    for (size_t i = 0; i < ny; i++) {
        double dd = fabs((double)a[i] - c[i]);
        md = dd > md || isnan(dd) ? dd : md;
        mx = fabs(a[i]) > mx ? fabs(a[i]) : mx;
        ndiff += a[i] != c[i];
    }
    printf("  dw+1x1 %dx%d C%d M%d s%d%s%s%s cfg %d: max diff %.3g of %.3g (%d of %zu differ)\n", k->H, k->H,
           k->C, k->M, k->S, k->res ? " +res" : "", k->f32 ? " fp32 out" : "", k->ld ? " concat" : "", cfg,
           md, mx, ndiff, ny);
    ASSERT_TRUE(mx > 0 && md <= 2e-3 * mx);
    free(a), free(c);
    cudaFree(x), cudaFree(dw), cudaFree(db), cudaFree(w), cudaFree(b), cudaFree(r), cudaFree(t);
    cudaFree(y1), cudaFree(y2);
}

TEST(dw_pointwise_kernel) {
    const dwpw_case cases[] = {
        {13, 256, 256, 1, 1, 0, 0, 0}, {26, 128, 128, 1, 0, 0, 0, 0}, {52, 64, 64, 2, 0, 0, 0, 0},
        {104, 32, 64, 2, 1, 0, 0, 0},  {20, 16, 24, 1, 1, 0, 0, 0},   {13, 64, 40, 1, 0, 1, 0, 0},
        {26, 32, 32, 1, 1, 0, 96, 32}, {9, 48, 18, 1, 1, 0, 0, 0},
    };
    cudaStream_t st;
    ASSERT_EQ(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking), cudaSuccess);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (int cfg = 0; cfg < VRT__CUDA_DWPW_CONFIGS; cfg++)
            dwpw_one(&cases[i], cfg, st);
    /* Not a pair it runs: refused, not computed wrong. */
    vrt__cuda_dwpw_dw d = {1, 24, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1};
    vrt__cuda_igemm g;
    memset(&g, 0, sizeof(g));
    g.N = 1, g.H = g.W = g.OH = g.OW = 8, g.C = 24, g.M = 8, g.KH = g.KW = g.SH = g.SW = g.DH = g.DW = 1;
    g.out_ld = 8;
    ASSERT_STATUS(vrt__cuda_dwpw_half(st, &d, (void *)16, (void *)16, NULL, NULL, &g, (void *)16, NULL, NULL,
                                      (void *)16, NULL),
                  VRT_EINVAL);
    cudaStreamDestroy(st);
}

int main(void) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0) {
        printf("SKIP: no CUDA device (%s)\n", err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
        return 77;
    }
    VRT_RUN(add_epilogue_bottleneck);
    VRT_RUN(add_epilogue_yolox_nano);
    VRT_RUN(dw_pointwise_kernel);
    VRT_RUN(dw_pointwise_models);
    return vrt_test_finish();
}
