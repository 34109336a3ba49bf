/* Our fp16 NHWC kernels: the implicit-GEMM convolution (conv_igemm.cu, tensor cores)
 * against a double-precision reference computed here from the same
 * fp16-rounded inputs: every tile config, the vector (C % 8 == 0), 1x1 and
 * scalar gather paths, stride/pad/dilation, bias, residual before and after
 * the activation, and the in-place Concat placement (out_ld / out_off: the
 * channels outside [out_off, out_off + M) must stay untouched).
 * Tolerance: fp16 rounding of the result (2^-11 relative) plus fp32
 * accumulation order. Skips (77) without a usable GPU. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dtype.h"
#include "engine/backend/cuda/conv_igemm.h"
#include "engine/backend/cuda/epilogue.h"
#include "harness.h"

static cudaStream_t g_stream;
static uint64_t g_rng = 0x2545f4914f6cdd1dull;

static float rnd_f(float lo, float hi) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return lo + (hi - lo) * (float)((g_rng >> 16) & 0xffffff) / 16777216.0f;
}

static uint16_t *rnd_half(int64_t n, float lo, float hi) {
    uint16_t *p = malloc((size_t)(n ? n : 1) * 2);
    for (int64_t i = 0; i < n; i++)
        p[i] = vrt__float_to_half(rnd_f(lo, hi));
    return p;
}

static void *to_dev(const void *h, size_t bytes) {
    void *d = NULL;
    if (cudaMalloc(&d, bytes ? bytes : 2) != cudaSuccess)
        vrt_test_fail(__FILE__, __LINE__, "cudaMalloc %zu", bytes);
    if (h && bytes) cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice);
    cudaDeviceSynchronize(); /* a pageable H2D copy may still be in flight when cudaMemcpy returns */
    return d;
}

static double act_ref(double v, const vrt__activation *a) {
    switch (a->kind) {
    case VRT__ACT_RELU: return v > 0 ? v : 0;
    case VRT__ACT_CLIP: return v < a->alpha ? a->alpha : v > a->beta ? a->beta : v;
    case VRT__ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case VRT__ACT_SILU: return v / (1.0 + exp(-v));
    default: return v;
    }
}

typedef struct conv_case {
    int N, H, W, C, M, KH, KW, S, P, D;
    int bias, res, res_post, extra_ld; /* extra_ld: output is a slice of a wider tensor */
    vrt__act_kind act;
} conv_case;

/* Runs one case on every config. */
static void run_case(const conv_case *k) {
    vrt__cuda_igemm g;
    memset(&g, 0, sizeof(g));
    g.N = k->N, g.H = k->H, g.W = k->W, g.C = k->C, g.M = k->M, g.KH = k->KH, g.KW = k->KW;
    g.SH = g.SW = k->S, g.PH = g.PW = k->P, g.DH = g.DW = k->D;
    g.OH = (k->H + 2 * k->P - k->D * (k->KH - 1) - 1) / k->S + 1;
    g.OW = (k->W + 2 * k->P - k->D * (k->KW - 1) - 1) / k->S + 1;
    g.out_off = k->extra_ld / 2;
    g.out_ld = k->M + (k->extra_ld ? k->extra_ld : 0);
    g.res_post = k->res_post;
    int64_t nx = (int64_t)k->N * k->H * k->W * k->C, nw = (int64_t)k->M * k->KH * k->KW * k->C;
    int64_t P = (int64_t)k->N * g.OH * g.OW, ny = P * g.out_ld;
    uint16_t *x = rnd_half(nx, -2.0f, 2.0f), *w = rnd_half(nw, -0.5f, 0.5f), *b = rnd_half(k->M, -1.0f, 1.0f);
    uint16_t *r = rnd_half(P * k->M, -1.0f, 1.0f);
    vrt__activation act = {k->act, 0.0f, 6.0f};
    /* Reference: y[p, m] over KRSC weights. */
    double *ref = malloc((size_t)(P * k->M) * sizeof(double));
    for (int n = 0; n < k->N; n++)
        for (int oy = 0; oy < g.OH; oy++)
            for (int ox = 0; ox < g.OW; ox++)
                for (int m = 0; m < k->M; m++) {
                    double s = 0;
                    for (int ky = 0; ky < k->KH; ky++)
                        for (int kx = 0; kx < k->KW; kx++) {
                            int iy = oy * k->S - k->P + ky * k->D, ix = ox * k->S - k->P + kx * k->D;
                            if (iy < 0 || iy >= k->H || ix < 0 || ix >= k->W) continue;
                            for (int c = 0; c < k->C; c++)
                                s += (double)vrt__half_to_float(
                                         x[(((int64_t)n * k->H + iy) * k->W + ix) * k->C + c]) *
                                     vrt__half_to_float(
                                         w[(((int64_t)m * k->KH + ky) * k->KW + kx) * k->C + c]);
                        }
                    int64_t p = ((int64_t)n * g.OH + oy) * g.OW + ox;
                    if (k->bias) s += vrt__half_to_float(b[m]);
                    double rv = k->res ? vrt__half_to_float(r[p * k->M + m]) : 0.0;
                    if (!k->res_post) s += rv;
                    s = act_ref(s, &act);
                    if (k->res_post) s += rv;
                    ref[p * k->M + m] = s;
                }
    void *dx = to_dev(x, (size_t)nx * 2), *dw = to_dev(w, (size_t)nw * 2), *db = to_dev(b, (size_t)k->M * 2);
    void *dr = to_dev(r, (size_t)(P * k->M) * 2), *dy = to_dev(NULL, (size_t)ny * 2);
    uint16_t *y = malloc((size_t)ny * 2);
    for (int cfg = 0; cfg < VRT__CUDA_IGEMM_CONFIGS; cfg++) {
        g.cfg = cfg;
        ASSERT_EQ(cudaMemsetAsync(dy, 0xff, (size_t)ny * 2, g_stream),
                  cudaSuccess); /* 0xffff: a NaN sentinel */
        vrt_status st = vrt__cuda_conv_igemm_half(g_stream, &g, dx, dw, k->bias ? db : NULL,
                                                  k->res ? dr : NULL, dy, &act);
        if (st) vrt_test_fail(__FILE__, __LINE__, "igemm launch: %s", vrt__cuda_igemm_error());
        ASSERT_EQ(cudaStreamSynchronize(g_stream), cudaSuccess);
        ASSERT_EQ(cudaMemcpy(y, dy, (size_t)ny * 2, cudaMemcpyDeviceToHost), cudaSuccess);
        for (int64_t p = 0; p < P; p++)
            for (int c = 0; c < g.out_ld; c++) {
                uint16_t h = y[p * g.out_ld + c];
                int m = c - g.out_off;
                if (m < 0 || m >= k->M) {
                    if (h != 0xffff)
                        vrt_test_fail(__FILE__, __LINE__, "%s: channel %d outside the slice was written",
                                      vrt__cuda_igemm_config_name(cfg), c);
                    continue;
                }
                double want = ref[p * k->M + m], got = vrt__half_to_float(h);
                double err = fabs(got - want), tol = 2e-3 * fabs(want) + 2e-3;
                if (!(err <= tol))
                    vrt_test_fail(__FILE__, __LINE__,
                                  "%s N%d %dx%dx%d->%d k%dx%d s%d p%d d%d: pixel %lld ch %d: got %g want %g",
                                  vrt__cuda_igemm_config_name(cfg), k->N, k->H, k->W, k->C, k->M, k->KH,
                                  k->KW, k->S, k->P, k->D, (long long)p, m, got, want);
            }
    }
    cudaFree(dx), cudaFree(dw), cudaFree(db), cudaFree(dr), cudaFree(dy);
    free(x), free(w), free(b), free(r), free(y), free(ref);
}

TEST(igemm_pointwise_vector_path) {
    conv_case cs[] = {
        {1, 13, 13, 64, 128, 1, 1, 1, 0, 1, 1, 0, 0, 0, VRT__ACT_SILU},
        {1, 52, 52, 32, 32, 1, 1, 1, 0, 1, 1, 1, 1, 0,
         VRT__ACT_SILU}, /* residual after SiLU (YOLOX bottleneck) */
        {1, 26, 26, 48, 40, 1, 1, 1, 0, 1, 1, 1, 0, 0, VRT__ACT_RELU},     /* residual before ReLU (ResNet) */
        {2, 7, 9, 16, 24, 1, 1, 1, 0, 1, 0, 0, 0, 0, VRT__ACT_CLIP},       /* batch 2, no bias, Relu6 */
        {1, 20, 20, 40, 17, 1, 1, 1, 0, 1, 1, 0, 0, 10, VRT__ACT_SIGMOID}, /* odd M into a concat slice */
    };
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
        run_case(&cs[i]);
}

TEST(igemm_spatial_and_scalar_paths) {
    conv_case cs[] = {
        {1, 17, 19, 16, 32, 3, 3, 1, 1, 1, 1, 0, 0, 0, VRT__ACT_SILU},
        {1, 18, 18, 32, 64, 3, 3, 2, 1, 1, 1, 0, 0, 0, VRT__ACT_SILU},
        {1, 15, 15, 8, 8, 3, 3, 1, 2, 2, 1, 1, 0, 4, VRT__ACT_NONE},   /* dilation 2 into a slice */
        {1, 1, 1, 8, 8, 1, 1, 2, 0, 1, 1, 0, 0, 0, VRT__ACT_NONE},     /* 1x1 stride 2 (not the ONE path) */
        {1, 21, 21, 12, 16, 3, 3, 1, 1, 1, 1, 0, 0, 0, VRT__ACT_SILU}, /* C = 12: scalar gather, K = 108 */
        {1, 9, 11, 3, 5, 5, 5, 2, 2, 1, 1, 1, 1, 0, VRT__ACT_RELU},    /* C = 3, odd M, 5x5 */
    };
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
        run_case(&cs[i]);
}

/* Focus read in the gather: the fp32 NCHW input the four stride-2 slices
 * cut (YOLOX order: top-left, bottom-left, top-right, bottom-right) and a
 * 3x3 conv over the virtual 4*C0-channel input, against a reference that
 * builds that input explicitly (rounded to fp16 as the gather does). */
TEST(igemm_focus_gather) {
    const int C0 = 3, H2 = 26, W2 = 30, H = H2 / 2, W = W2 / 2, C = 4 * C0, M = 16;
    const int qy[4] = {0, 1, 0, 1}, qx[4] = {0, 0, 1, 1};
    int64_t nx = (int64_t)C0 * H2 * W2;
    float *x = malloc((size_t)nx * sizeof(float));
    for (int64_t i = 0; i < nx; i++)
        x[i] = rnd_f(0.0f, 255.0f);
    uint16_t *w = rnd_half((int64_t)M * 9 * C, -0.05f, 0.05f), *b = rnd_half(M, -1.0f, 1.0f);
    vrt__cuda_igemm g;
    memset(&g, 0, sizeof(g));
    g.N = 1, g.H = H, g.W = W, g.C = C, g.OH = H, g.OW = W, g.M = M, g.KH = g.KW = 3, g.SH = g.SW = 1,
    g.PH = g.PW = 1;
    g.DH = g.DW = 1, g.out_ld = M, g.in_f32 = 1, g.out_f32 = 1, g.focus = 1;
    for (int q = 0; q < 4; q++)
        g.focus_dy[q] = qy[q], g.focus_dx[q] = qx[q];
    vrt__activation act = {VRT__ACT_SILU, 0, 0};
    void *dx = to_dev(x, (size_t)nx * 4), *dw = to_dev(w, (size_t)M * 9 * C * 2),
         *db = to_dev(b, (size_t)M * 2);
    void *dy = to_dev(NULL, (size_t)M * H * W * 4);
    float *y = malloc((size_t)M * H * W * 4);
    for (int cfg = 0; cfg < VRT__CUDA_IGEMM_CONFIGS; cfg++) {
        g.cfg = cfg;
        vrt_status st = vrt__cuda_conv_igemm_half(g_stream, &g, dx, dw, db, NULL, dy, &act);
        if (st) vrt_test_fail(__FILE__, __LINE__, "focus launch: %s", vrt__cuda_igemm_error());
        ASSERT_EQ(cudaStreamSynchronize(g_stream), cudaSuccess);
        ASSERT_EQ(cudaMemcpy(y, dy, (size_t)M * H * W * 4, cudaMemcpyDeviceToHost), cudaSuccess);
        for (int m = 0; m < M; m++)
            for (int oy = 0; oy < H; oy++)
                for (int ox = 0; ox < W; ox++) {
                    double a = vrt__half_to_float(b[m]);
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = oy - 1 + ky, ix = ox - 1 + kx;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            for (int c = 0; c < C; c++) {
                                int q = c / C0, c0 = c % C0;
                                float v = x[((int64_t)c0 * H2 + 2 * iy + qy[q]) * W2 + 2 * ix + qx[q]];
                                a += (double)vrt__half_to_float(vrt__float_to_half(v)) *
                                     vrt__half_to_float(w[(((int64_t)m * 3 + ky) * 3 + kx) * C + c]);
                            }
                        }
                    a = act_ref(a, &act);
                    double got = y[((int64_t)m * H + oy) * W + ox];
                    if (!(fabs(got - a) <= 2e-3 * fabs(a) + 2e-3))
                        vrt_test_fail(__FILE__, __LINE__, "%s: (%d,%d,%d) got %g want %g",
                                      vrt__cuda_igemm_config_name(cfg), m, oy, ox, got, a);
                }
    }
    g.focus_dy[2] = 2; /* a slice start other than 0 or 1 */
    ASSERT_STATUS(vrt__cuda_conv_igemm_half(g_stream, &g, dx, dw, db, NULL, dy, &act), VRT_EINVAL);
    cudaFree(dx), cudaFree(dw), cudaFree(db), cudaFree(dy);
    free(x), free(w), free(b), free(y);
}

/* The depthwise kernel (group == C == M) over fp16 NHWC (KRSC weights),
 * against a double reference: stride 1/2, 3x3 and 5x5, bias, residual,
 * SiLU / Relu6, batch 2. */
TEST(depthwise_kernel) {
    static const int cs[][8] = {
        /* N, H, W, C, K, S, P, res */
        {1, 26, 26, 32, 3, 1, 1, 0},
        {2, 17, 15, 64, 3, 2, 1, 1},
        {1, 13, 13, 96, 5, 1, 2, 1},
        {1, 12, 10, 24, 5, 2, 2, 0},
    };
    for (size_t ci = 0; ci < sizeof(cs) / sizeof(cs[0]); ci++) {
        const int *q = cs[ci];
        vrt__cuda_dw_shape d = {q[0], q[3], q[1], q[2], 0, 0, q[4], q[4], q[5], q[5], q[6], q[6], 1, 1};
        d.OH = (d.H + 2 * d.PH - d.KH) / d.SH + 1, d.OW = (d.W + 2 * d.PW - d.KW) / d.SW + 1;
        vrt__activation act = {ci % 2 ? VRT__ACT_CLIP : VRT__ACT_SILU, 0.0f, 6.0f};
        int64_t nx = (int64_t)d.N * d.H * d.W * d.C, ny = (int64_t)d.N * d.OH * d.OW * d.C, T = d.KH * d.KW;
        uint16_t *x = rnd_half(nx, -2.0f, 2.0f), *w = rnd_half(d.C * T, -0.5f, 0.5f),
                 *b = rnd_half(d.C, -0.5f, 0.5f);
        uint16_t *r = rnd_half(ny, -1.0f, 1.0f), *y = malloc((size_t)ny * 2);
        void *dx = to_dev(x, (size_t)nx * 2), *dw = to_dev(w, (size_t)(d.C * T) * 2);
        void *db = to_dev(b, (size_t)d.C * 2), *dr = to_dev(r, (size_t)ny * 2),
             *dy = to_dev(NULL, (size_t)ny * 2);
        {
            ASSERT_EQ(cudaMemsetAsync(dy, 0xff, (size_t)ny * 2, g_stream), cudaSuccess);
            ASSERT_OK(vrt__cuda_dwconv_nhwc_half(g_stream, dx, dw, db, q[7] ? dr : NULL, dy, &d, &act));
            ASSERT_EQ(cudaStreamSynchronize(g_stream), cudaSuccess);
            ASSERT_EQ(cudaMemcpy(y, dy, (size_t)ny * 2, cudaMemcpyDeviceToHost), cudaSuccess);
            for (int n = 0; n < d.N; n++)
                for (int oy = 0; oy < d.OH; oy++)
                    for (int ox = 0; ox < d.OW; ox++)
                        for (int c = 0; c < d.C; c++) {
                            double a = vrt__half_to_float(b[c]);
                            for (int ky = 0; ky < d.KH; ky++)
                                for (int kx = 0; kx < d.KW; kx++) {
                                    int iy = oy * d.SH - d.PH + ky, ix = ox * d.SW - d.PW + kx;
                                    if (iy < 0 || iy >= d.H || ix < 0 || ix >= d.W) continue;
                                    a += (double)vrt__half_to_float(
                                             x[(((int64_t)n * d.H + iy) * d.W + ix) * d.C + c]) *
                                         vrt__half_to_float(w[(int64_t)c * T + ky * d.KW + kx]);
                                }
                            int64_t o = (((int64_t)n * d.OH + oy) * d.OW + ox) * d.C + c;
                            if (q[7]) a += vrt__half_to_float(r[o]);
                            a = act_ref(a, &act);
                            double got = vrt__half_to_float(y[o]);
                            if (!(fabs(got - a) <= 2e-3 * fabs(a) + 2e-3))
                                vrt_test_fail(__FILE__, __LINE__, "case %zu: (%d,%d,%d,%d) got %g want %g",
                                              ci, n, oy, ox, c, got, a);
                        }
        }
        cudaFree(dx), cudaFree(dw), cudaFree(db), cudaFree(dr), cudaFree(dy);
        free(x), free(w), free(b), free(r), free(y);
    }
}

/* fp16 NHWC max pooling (SPP windows 5/9/13 stride 1, a strided one with
 * pads, odd C for the scalar path) against a host reference: max is exact,
 * so bit-identical; a NaN in a window propagates. */
TEST(maxpool_nhwc_half_matches_reference) {
    static const int cs[][9] = {
        /* H, W, C, K, S, P, N, nan */
        {13, 13, 64, 5, 1, 2, 1, 0}, {13, 13, 64, 9, 1, 4, 1, 1}, {13, 13, 64, 13, 1, 6, 1, 0},
        {17, 11, 24, 3, 2, 1, 2, 1}, {9, 10, 5, 2, 2, 0, 1, 0},
    };
    for (size_t ci = 0; ci < sizeof(cs) / sizeof(cs[0]); ci++) {
        int H = cs[ci][0], W = cs[ci][1], C = cs[ci][2], K = cs[ci][3], S = cs[ci][4], P = cs[ci][5],
            N = cs[ci][6];
        int OH = (H + 2 * P - K) / S + 1, OW = (W + 2 * P - K) / S + 1;
        int64_t nx = (int64_t)N * H * W * C, ny = (int64_t)N * OH * OW * C;
        uint16_t *x = rnd_half(nx, -8.0f, 8.0f), *y = malloc((size_t)ny * 2);
        if (cs[ci][7]) x[nx / 2] = 0x7e00; /* NaN */
        void *dx = to_dev(x, (size_t)nx * 2), *dy = to_dev(NULL, (size_t)ny * 2);
        ASSERT_OK(vrt__cuda_maxpool_nhwc_half(g_stream, dx, dy, N, H, W, C, OH, OW, K, K, S, S, P, P));
        ASSERT_EQ(cudaStreamSynchronize(g_stream), cudaSuccess);
        ASSERT_EQ(cudaMemcpy(y, dy, (size_t)ny * 2, cudaMemcpyDeviceToHost), cudaSuccess);
        for (int n = 0; n < N; n++)
            for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++)
                    for (int c = 0; c < C; c++) {
                        float m = -INFINITY;
                        int nan = 0;
                        for (int ky = 0; ky < K; ky++)
                            for (int kx = 0; kx < K; kx++) {
                                int iy = oy * S - P + ky, ix = ox * S - P + kx;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                float v = vrt__half_to_float(x[(((int64_t)n * H + iy) * W + ix) * C + c]);
                                if (v != v)
                                    nan = 1;
                                else if (v > m)
                                    m = v;
                            }
                        uint16_t got = y[(((int64_t)n * OH + oy) * OW + ox) * C + c];
                        float g = vrt__half_to_float(got);
                        if (nan ? g == g : got != vrt__float_to_half(m))
                            vrt_test_fail(__FILE__, __LINE__, "case %zu: (%d,%d,%d,%d): got %g want %s%g", ci,
                                          n, oy, ox, c, g, nan ? "NaN, not " : "", m);
                    }
        cudaFree(dx), cudaFree(dy);
        free(x), free(y);
    }
}

TEST(igemm_bad_arguments_refused) {
    vrt__cuda_igemm g;
    memset(&g, 0, sizeof(g));
    g.N = g.H = g.W = g.C = g.OH = g.OW = g.M = g.KH = g.KW = g.SH = g.SW = g.DH = g.DW = 1;
    g.out_ld = 1;
    char dummy[64] = {0};
    g.cfg = VRT__CUDA_IGEMM_CONFIGS;
    ASSERT_STATUS(vrt__cuda_conv_igemm_half(g_stream, &g, dummy, dummy, NULL, NULL, dummy, NULL), VRT_EINVAL);
    g.cfg = 0;
    g.out_off = 1; /* slice past out_ld */
    ASSERT_STATUS(vrt__cuda_conv_igemm_half(g_stream, &g, dummy, dummy, NULL, NULL, dummy, NULL), VRT_EINVAL);
    g.out_off = 0;
    ASSERT_STATUS(vrt__cuda_conv_igemm_half(NULL, &g, dummy, dummy, NULL, NULL, dummy, NULL), VRT_EINVAL);
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
    VRT_RUN(igemm_pointwise_vector_path);
    VRT_RUN(igemm_spatial_and_scalar_paths);
    VRT_RUN(igemm_focus_gather);
    VRT_RUN(depthwise_kernel);
    VRT_RUN(maxpool_nhwc_half_matches_reference);
    VRT_RUN(igemm_bad_arguments_refused);
    cudaStreamDestroy(g_stream);
    return vrt_test_finish();
}
