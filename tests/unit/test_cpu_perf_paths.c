/* The CPU backend's fast paths against direct loops written from the ONNX
 * definitions: chunked im2col convolution (output planes larger than one
 * column chunk, chunk edges inside output rows), the separable MaxPool (with
 * its AVX2 horizontal windows,
 * pads, ceil_mode, strides, NaN planes) and the vectorised Sigmoid / SiLU. */
#include <math.h>

#include "engine/backend/cpu/kernels_nn.h"
#include "harness.h"
#include "vrt/core.h"

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t urand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 32);
}
static float *rand_buf(int64_t n) {
    float *p = vrt_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)(urand() & 0xffffff) / 8388608.0f - 1.0f;
    return p;
}

static double silu_ref(double v) {
    return v / (1.0 + exp(-v));
}

/* Direct 2-D convolution (group 1) + bias + residual + SiLU, in double. */
static void conv_ref(const vrt__conv_params *p, const float *x, const float *w, const float *b,
                     const float *res, double *y) {
    int64_t OH = p->out[0], OW = p->out[1], H = p->in[0], W = p->in[1];
    for (int64_t m = 0; m < p->M; m++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double acc = b[m];
                for (int64_t c = 0; c < p->C; c++)
                    for (int64_t kh = 0; kh < p->k[0]; kh++)
                        for (int64_t kw = 0; kw < p->k[1]; kw++) {
                            int64_t ih = oh * p->strides[0] - p->pads_begin[0] + kh * p->dilations[0];
                            int64_t iw = ow * p->strides[1] - p->pads_begin[1] + kw * p->dilations[1];
                            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                            acc += (double)x[(c * H + ih) * W + iw] *
                                   w[((m * p->C + c) * p->k[0] + kh) * p->k[1] + kw];
                        }
                int64_t o = (m * OH + oh) * OW + ow;
                y[o] = silu_ref(acc + res[o]);
            }
}

static void check_conv(vrt__threadpool *tp, int64_t C, int64_t M, int64_t H, int64_t W, int64_t k, int64_t s,
                       int64_t d, int64_t pad) {
    vrt__conv_params p;
    vrt__conv_default_params(&p);
    p.N = 1, p.C = C, p.M = M;
    p.in[0] = H, p.in[1] = W;
    p.k[0] = p.k[1] = k;
    p.strides[0] = p.strides[1] = s;
    p.dilations[0] = p.dilations[1] = d;
    p.pads_begin[0] = p.pads_begin[1] = pad;
    p.pads_end[0] = p.pads_end[1] = pad;
    p.act.kind = VRT__ACT_SILU;
    ASSERT_OK(vrt__conv_resolve(&p, NULL, 0));
    int64_t ov = p.out[0] * p.out[1];
    float *x = rand_buf(C * H * W), *w = rand_buf(M * C * k * k), *b = rand_buf(M);
    float *res = rand_buf(M * ov), *y = vrt_malloc((size_t)(M * ov) * sizeof(float));
    double *ref = vrt_malloc((size_t)(M * ov) * sizeof(double));
    size_t sb = vrt__conv_scratch_bytes(&p);
    void *scratch = vrt_malloc(sb ? sb : 4);
    ASSERT_OK(vrt__conv(tp, &p, x, w, b, res, y, scratch));
    conv_ref(&p, x, w, b, res, ref);
    int bad = 0;
    for (int64_t i = 0; i < M * ov && bad < 5; i++) {
        if (!(fabs(y[i] - ref[i]) <= 1e-4 + 1e-4 * fabs(ref[i]))) {
            vrt_test_fail(__FILE__, __LINE__,
                          "conv C%lld M%lld %lldx%lld k%lld s%lld d%lld p%lld: y[%lld]=%g ref %g",
                          (long long)C, (long long)M, (long long)H, (long long)W, (long long)k, (long long)s,
                          (long long)d, (long long)pad, (long long)i, y[i], ref[i]);
            bad++;
        }
    }
    vrt_free(x), vrt_free(w), vrt_free(b), vrt_free(res), vrt_free(y), vrt_free(ref), vrt_free(scratch);
}

TEST(conv_chunked_im2col_matches_direct) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    /* Output planes of 3000+ positions with kdim 27..108: several column
     * chunks, chunk edges in the middle of output rows. */
    check_conv(tp, 12, 16, 61, 57, 3, 1, 1, 1);
    check_conv(tp, 3, 8, 111, 97, 3, 2, 1, 0);
    check_conv(tp, 5, 7, 70, 83, 3, 1, 2, 2);
    check_conv(NULL, 4, 5, 64, 64, 5, 1, 1, 2);
    check_conv(tp, 2, 3, 9, 11, 3, 1, 1, 1); /* smaller than one chunk */
    vrt__threadpool_destroy(&tp);
}

/* Direct MaxPool (2-D) from the ONNX definition: max over the window's
 * positions inside the input; NaN if any of them is NaN. */
static double maxpool_ref(const vrt__pool_params *p, const float *x, int64_t oh, int64_t ow) {
    double best = -INFINITY;
    int nan = 0;
    for (int64_t kh = 0; kh < p->k[0]; kh++)
        for (int64_t kw = 0; kw < p->k[1]; kw++) {
            int64_t ih = oh * p->strides[0] - p->pads_begin[0] + kh;
            int64_t iw = ow * p->strides[1] - p->pads_begin[1] + kw;
            if (ih < 0 || ih >= p->in[0] || iw < 0 || iw >= p->in[1]) continue;
            float v = x[ih * p->in[1] + iw];
            if (isnan(v))
                nan = 1;
            else if (v > best)
                best = v;
        }
    return nan ? NAN : best;
}

static void check_pool(vrt__threadpool *tp, int64_t C, int64_t H, int64_t W, int64_t k, int64_t s,
                       int64_t pad, int ceil_mode, int with_nan) {
    vrt__pool_params p;
    vrt__pool_default_params(&p);
    p.N = 1, p.C = C;
    p.in[0] = H, p.in[1] = W;
    p.k[0] = p.k[1] = k;
    p.strides[0] = p.strides[1] = s;
    p.pads_begin[0] = p.pads_begin[1] = p.pads_end[0] = p.pads_end[1] = pad;
    p.ceil_mode = ceil_mode;
    ASSERT_OK(vrt__pool_resolve(&p, NULL, 0));
    int64_t ov = p.out[0] * p.out[1];
    float *x = rand_buf(C * H * W), *y = vrt_malloc((size_t)(C * ov) * sizeof(float));
    if (with_nan) x[H * W + (H / 2) * W + W / 3] = NAN; /* plane 1 only */
    ASSERT_OK(vrt__maxpool(tp, &p, x, y, NULL));
    int bad = 0, saw_nan = 0;
    for (int64_t c = 0; c < C; c++)
        for (int64_t oh = 0; oh < p.out[0]; oh++)
            for (int64_t ow = 0; ow < p.out[1]; ow++) {
                double r = maxpool_ref(&p, x + c * H * W, oh, ow);
                float v = y[c * ov + oh * p.out[1] + ow];
                int ok = isnan(r) ? isnan(v) : (double)v == r;
                saw_nan |= isnan(r);
                if (!ok && bad++ < 5)
                    vrt_test_fail(
                        __FILE__, __LINE__,
                        "maxpool %lldx%lld k%lld s%lld p%lld ceil%d: c%lld (%lld,%lld) = %g, ref %g",
                        (long long)H, (long long)W, (long long)k, (long long)s, (long long)pad, ceil_mode,
                        (long long)c, (long long)oh, (long long)ow, v, r);
            }
    if (with_nan) ASSERT_TRUE(saw_nan);
    vrt_free(x), vrt_free(y);
}

TEST(maxpool_separable_matches_direct) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    check_pool(tp, 4, 111, 111, 3, 2, 0, 1, 0); /* SqueezeNet */
    check_pool(tp, 3, 13, 13, 5, 1, 2, 0, 0);   /* YOLOX SPP */
    check_pool(tp, 3, 13, 13, 13, 1, 6, 0, 0);
    check_pool(tp, 3, 20, 17, 2, 2, 1, 1, 0);
    check_pool(NULL, 3, 16, 15, 3, 3, 1, 0, 1); /* NaN propagates */
    check_pool(tp, 2, 9, 9, 3, 2, 1, 1, 1);
    /* Vectorised horizontal windows (stride 1 or 2, kernel up to 8): rows
     * shorter than, equal to and longer than one 8-wide vector, pads up to
     * the kernel half, with and without ceil_mode. */
    for (int64_t w = 1; w <= 21; w += 4)
        for (int64_t k = 2; k <= 8; k += 3)
            for (int64_t s = 1; s <= 2; s++)
                for (int64_t pad = 0; pad <= k / 2; pad += 1 + k / 4)
                    if (w + 2 * pad >= k)
                        check_pool(w % 2 ? tp : NULL, 2, 9, w, k, s, pad, (int)(w % 3 == 0), 0);
    vrt__threadpool_destroy(&tp);
}

TEST(sigmoid_silu_vectorised_match_libm) {
    int64_t n = 4099; /* not a multiple of 8: the scalar tail too */
    float *x = vrt_malloc((size_t)n * sizeof(float)), *y = vrt_malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        x[i] = -100.0f + 200.0f * (float)i / (float)(n - 1);
    x[5] = NAN;
    x[6] = 0.0f;
    for (int kind = 0; kind < 2; kind++) {
        vrt__activation a = {kind ? VRT__ACT_SILU : VRT__ACT_SIGMOID, 0.0f, 0.0f};
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i];
        vrt__act_apply(&a, y, n);
        for (int64_t i = 0; i < n; i++) {
            double v = x[i], sg = 1.0 / (1.0 + exp(-v)), r = kind ? v * sg : sg;
            if (isnan(v)) {
                ASSERT_TRUE(isnan(y[i]));
                continue;
            }
            if (!(fabs(y[i] - r) <= 4e-7 * fabs(r) + 1e-35)) { /* ~3 ulp; exp clamped below e^-88 */
                vrt_test_fail(__FILE__, __LINE__, "%s(%g) = %.9g, ref %.9g", kind ? "silu" : "sigmoid", v,
                              y[i], r);
                break;
            }
        }
    }
    vrt_free(x), vrt_free(y);
}

int main(void) {
    VRT_RUN(conv_chunked_im2col_matches_direct);
    VRT_RUN(maxpool_separable_matches_direct);
    VRT_RUN(sigmoid_silu_vectorised_match_libm);
    return vrt_test_finish();
}
