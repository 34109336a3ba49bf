/* Conv / ConvTranspose against direct loops written here from the ONNX definitions. */
#include <math.h>

#include "engine/backend/cpu/kernels_nn.h"
#include "model/plan.h"
#include "harness.h"
#include "vrt/core.h"

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint32_t urand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 32);
}
static int64_t irand(int64_t lo, int64_t hi) {
    return lo + (int64_t)(urand() % (uint32_t)(hi - lo + 1));
}
static float frand(void) {
    return (float)(urand() & 0xffffff) / 8388608.0f - 1.0f;
}
static float *rand_buf(int64_t n) {
    float *p = vrt_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

static double act_ref(const vrt__activation *a, double x) {
    switch (a->kind) {
    case VRT__ACT_RELU: return x > 0 ? x : 0;
    case VRT__ACT_LEAKY_RELU: return x >= 0 ? x : a->alpha * x;
    case VRT__ACT_CLIP: return fmin(fmax(x, a->alpha), a->beta);
    case VRT__ACT_SIGMOID: return 1 / (1 + exp(-x));
    case VRT__ACT_SILU: return x / (1 + exp(-x));
    case VRT__ACT_HARD_SWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
    case VRT__ACT_HARD_SIGMOID: return fmax(0, fmin(1, a->alpha * x + a->beta));
    case VRT__ACT_TANH: return tanh(x);
    default: return x;
    }
}

/* Spatial index helpers: up to 3 dims, row-major. */
static int64_t vol(const int64_t *d, int n) {
    int64_t v = 1;
    for (int i = 0; i < n; i++)
        v *= d[i];
    return v;
}
static void unflat(int64_t f, const int64_t *d, int n, int64_t *idx) {
    for (int i = n - 1; i >= 0; i--) {
        idx[i] = f % d[i];
        f /= d[i];
    }
}
static int64_t flat(const int64_t *idx, const int64_t *d, int n) {
    int64_t f = 0;
    for (int i = 0; i < n; i++)
        f = f * d[i] + idx[i];
    return f;
}

/* Direct convolution: y[n,m,o] = b[m] + sum_{c,k} x[n, g*Cg + c, o*s - pb + k*d] * w[m, c, k]. */
static void conv_ref(const vrt__conv_params *p, const int64_t *out, const float *x, const float *w,
                     const float *b, const float *res, double *y) {
    int ns = p->nsp;
    int64_t cg = p->C / p->group, mg = p->M / p->group;
    int64_t iv = vol(p->in, ns), kv = vol(p->k, ns), ov = vol(out, ns);
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t m = 0; m < p->M; m++)
            for (int64_t o = 0; o < ov; o++) {
                int64_t oi[3], ki[3], ii[3];
                unflat(o, out, ns, oi);
                double s = b ? b[m] : 0.0;
                int64_t g = m / mg;
                for (int64_t c = 0; c < cg; c++)
                    for (int64_t k = 0; k < kv; k++) {
                        unflat(k, p->k, ns, ki);
                        int inside = 1;
                        for (int a = 0; a < ns; a++) {
                            ii[a] = oi[a] * p->strides[a] - p->pads_begin[a] + ki[a] * p->dilations[a];
                            if (ii[a] < 0 || ii[a] >= p->in[a]) inside = 0;
                        }
                        if (!inside) continue;
                        s += (double)x[(n * p->C + g * cg + c) * iv + flat(ii, p->in, ns)] *
                             w[(m * cg + c) * kv + k];
                    }
                int64_t yi = (n * p->M + m) * ov + o;
                if (res) s += res[yi];
                y[yi] = act_ref(&p->act, s);
            }
}

static void expect_close(const float *got, const double *want, int64_t n, double rtol, const char *what) {
    for (int64_t i = 0; i < n; i++) {
        if (!(fabs(got[i] - want[i]) <= rtol * (1 + fabs(want[i])))) {
            vrt_test_fail(__FILE__, __LINE__, "%s: element %lld: %.7g vs %.7g", what, (long long)i, got[i],
                          want[i]);
            return;
        }
    }
}

/* Runs one conv config on `tp` and compares with conv_ref; returns y (caller frees). */
static float *run_conv(vrt__threadpool *tp, vrt__conv_params p, int with_bias, int with_res,
                       const char *what) {
    vrt__conv_params r = p;
    char err[256] = "";
    ASSERT_OK(vrt__conv_resolve(&r, err, sizeof(err)));
    int ns = p.nsp;
    /* Output size from the ONNX formula, computed here independently. */
    for (int a = 0; a < ns && p.auto_pad == VRT__AUTO_PAD_NOTSET; a++) {
        int64_t ek = (p.k[a] - 1) * p.dilations[a] + 1;
        ASSERT_EQ(r.out[a], (p.in[a] + p.pads_begin[a] + p.pads_end[a] - ek) / p.strides[a] + 1);
    }
    int64_t cg = p.C / p.group;
    int64_t xn = p.N * p.C * vol(p.in, ns), wn = p.M * cg * vol(p.k, ns), yn = p.N * p.M * vol(r.out, ns);
    float *x = rand_buf(xn), *w = rand_buf(wn), *b = with_bias ? rand_buf(p.M) : NULL;
    float *res = with_res ? rand_buf(yn) : NULL;
    float *y = rand_buf(yn);
    double *want = vrt_malloc((size_t)yn * sizeof(double));
    size_t sb = vrt__conv_scratch_bytes(&r);
    void *scratch = sb ? vrt_malloc(sb) : NULL;
    ASSERT_OK(vrt__conv(tp, &r, x, w, b, res, y, scratch));
    conv_ref(&r, r.out, x, w, b, res, want);
    expect_close(y, want, yn, 1e-4, what);
    vrt_free(x);
    vrt_free(w);
    vrt_free(b);
    vrt_free(res);
    vrt_free(want);
    vrt_free(scratch);
    return y;
}

static vrt__conv_params random_conv(int ns, int depthwise) {
    vrt__conv_params p;
    vrt__conv_default_params(&p);
    p.nsp = ns;
    p.N = irand(1, 2);
    p.group = depthwise ? irand(2, 7) : (irand(0, 2) ? 1 : irand(2, 3));
    p.C = depthwise ? p.group : p.group * irand(1, 4);
    p.M = p.group * irand(1, 3);
    for (int a = 0; a < ns; a++) {
        p.in[a] = irand(ns == 3 ? 3 : 4, ns == 1 ? 40 : ns == 2 ? 13 : 6);
        p.k[a] = irand(1, 3 + (ns == 1));
        p.strides[a] = irand(1, 3);
        p.dilations[a] = irand(1, 2);
        p.pads_begin[a] = irand(0, 2);
        p.pads_end[a] = irand(0, 2);
        int64_t ek = (p.k[a] - 1) * p.dilations[a] + 1;
        if (p.in[a] + p.pads_begin[a] + p.pads_end[a] < ek) p.pads_end[a] += ek;
    }
    return p;
}

TEST(conv_random_configs_match_direct) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    for (int blas = 0; blas < 2; blas++) {
        vrt__sgemm_set_blas(blas);
        for (int it = 0; it < 60; it++) {
            int ns = 1 + it % 3;
            vrt__conv_params p = random_conv(ns, it % 5 == 4);
            char what[160];
            snprintf(what, sizeof(what), "conv it=%d ns=%d C=%lld M=%lld g=%lld", it, ns, (long long)p.C,
                     (long long)p.M, (long long)p.group);
            vrt_free(run_conv(it % 2 ? tp : NULL, p, it % 3 != 0, 0, what));
        }
    }
    vrt__sgemm_set_blas(1);
    vrt__threadpool_destroy(&tp);
}

TEST(conv_pointwise_and_depthwise_fast_paths) {
    vrt__conv_params p;
    vrt__conv_default_params(&p);
    p.N = 2, p.C = 5, p.M = 7, p.in[0] = 9, p.in[1] = 11, p.k[0] = p.k[1] = 1;
    vrt__conv_params r = p;
    ASSERT_OK(vrt__conv_resolve(&r, NULL, 0));
    ASSERT_EQ(vrt__conv_scratch_bytes(&r), 0); /* 1x1: no im2col */
    vrt_free(run_conv(NULL, p, 1, 0, "pointwise"));
    p.strides[0] = 2; /* strided 1x1 needs im2col */
    r = p;
    ASSERT_OK(vrt__conv_resolve(&r, NULL, 0));
    ASSERT_TRUE(vrt__conv_scratch_bytes(&r) > 0);
    vrt_free(run_conv(NULL, p, 1, 0, "pointwise strided"));
    vrt__conv_default_params(&p);
    p.N = 1, p.C = p.group = 6, p.M = 12, p.in[0] = 10, p.in[1] = 13, p.k[0] = p.k[1] = 3;
    p.strides[1] = 2, p.pads_begin[0] = 1, p.pads_end[1] = 2, p.dilations[0] = 2;
    r = p;
    ASSERT_OK(vrt__conv_resolve(&r, NULL, 0));
    ASSERT_EQ(vrt__conv_scratch_bytes(&r), 0); /* depthwise: direct */
    vrt_free(run_conv(NULL, p, 1, 1, "depthwise x2 multiplier"));
}

TEST(conv_fused_bias_residual_activation) {
    vrt__act_kind kinds[] = {VRT__ACT_RELU, VRT__ACT_LEAKY_RELU, VRT__ACT_CLIP,        VRT__ACT_SIGMOID,
                             VRT__ACT_SILU, VRT__ACT_HARD_SWISH, VRT__ACT_HARD_SIGMOID};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        for (int dw = 0; dw < 2; dw++) {
            vrt__conv_params p = random_conv(2, dw);
            p.act.kind = kinds[i];
            p.act.alpha = kinds[i] == VRT__ACT_CLIP ? -0.5f : 0.2f;
            p.act.beta = kinds[i] == VRT__ACT_CLIP ? 0.7f : 0.5f;
            vrt_free(run_conv(NULL, p, 1, 1, vrt__act_name(kinds[i])));
        }
}

TEST(conv_threaded_is_bit_identical) {
    vrt__sgemm_set_blas(0);
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 4));
    for (int it = 0; it < 10; it++) {
        vrt__conv_params p = random_conv(2, it % 3 == 2);
        p.C *= 8;
        p.M *= 8;
        p.group = it % 3 == 2 ? p.C : p.group;
        p.M = it % 3 == 2 ? p.C : p.M;
        p.act.kind = VRT__ACT_SILU;
        uint64_t seed = g_rng;
        float *y1 = run_conv(NULL, p, 1, 1, "single");
        g_rng = seed;
        float *y2 = run_conv(tp, p, 1, 1, "threaded");
        vrt__conv_params r = p;
        ASSERT_OK(vrt__conv_resolve(&r, NULL, 0));
        ASSERT_TRUE(memcmp(y1, y2, (size_t)(p.N * p.M * r.out[0] * r.out[1]) * sizeof(float)) == 0);
        vrt_free(y1);
        vrt_free(y2);
    }
    vrt__threadpool_destroy(&tp);
    vrt__sgemm_set_blas(1);
}

TEST(conv_onnx_doc_example_strides_padding) {
    /* ONNX Conv operator docs, conv_with_strides_padding: x = 0..34 (1x1x7x5),
     * W = ones(1x1x3x3), strides 2, pads 1. */
    float x[35], w[9], y[12];
    for (int i = 0; i < 35; i++)
        x[i] = (float)i;
    for (int i = 0; i < 9; i++)
        w[i] = 1.0f;
    const float want[12] = {12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124};
    vrt__conv_params p;
    vrt__conv_default_params(&p);
    p.N = p.C = p.M = 1, p.in[0] = 7, p.in[1] = 5, p.k[0] = p.k[1] = 3;
    p.strides[0] = p.strides[1] = 2;
    p.pads_begin[0] = p.pads_begin[1] = p.pads_end[0] = p.pads_end[1] = 1;
    ASSERT_OK(vrt__conv_resolve(&p, NULL, 0));
    ASSERT_EQ(p.out[0], 4);
    ASSERT_EQ(p.out[1], 3);
    /* im2col needs 9 x 12 floats; the direct path a padded copy instead. */
    size_t sb = vrt__conv_scratch_bytes(&p);
    ASSERT_TRUE(sb >= 9 * 12 * sizeof(float));
    float *scratch = vrt_malloc(sb);
    ASSERT_OK(vrt__conv(NULL, &p, x, w, NULL, NULL, y, scratch));
    vrt_free(scratch);
    for (int i = 0; i < 12; i++)
        ASSERT_NEAR(y[i], want[i], 1e-4);
}

TEST(conv_auto_pad) {
    struct {
        vrt__auto_pad ap;
        int64_t in, k, s, d, out, pb, pe;
    } cases[] = {
        {VRT__AUTO_PAD_SAME_UPPER, 5, 3, 2, 1, 3, 1, 1}, {VRT__AUTO_PAD_SAME_UPPER, 6, 3, 2, 1, 3, 0, 1},
        {VRT__AUTO_PAD_SAME_LOWER, 6, 3, 2, 1, 3, 1, 0}, {VRT__AUTO_PAD_SAME_UPPER, 7, 4, 1, 1, 7, 1, 2},
        {VRT__AUTO_PAD_SAME_LOWER, 7, 4, 1, 1, 7, 2, 1}, {VRT__AUTO_PAD_SAME_UPPER, 7, 3, 1, 2, 7, 2, 2},
        {VRT__AUTO_PAD_VALID, 7, 3, 2, 1, 3, 0, 0},      {VRT__AUTO_PAD_SAME_UPPER, 2, 1, 3, 1, 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vrt__conv_params p;
        vrt__conv_default_params(&p);
        p.nsp = 1, p.N = 1, p.C = 2, p.M = 3;
        p.in[0] = cases[i].in, p.k[0] = cases[i].k, p.strides[0] = cases[i].s;
        p.dilations[0] = cases[i].d, p.auto_pad = cases[i].ap;
        p.pads_begin[0] = 9; /* ignored with auto_pad */
        vrt__conv_params r = p;
        ASSERT_OK(vrt__conv_resolve(&r, NULL, 0));
        ASSERT_EQ(r.out[0], cases[i].out);
        ASSERT_EQ(r.pads_begin[0], cases[i].pb);
        ASSERT_EQ(r.pads_end[0], cases[i].pe);
        vrt_free(run_conv(NULL, p, 1, 0, "auto_pad"));
    }
}

TEST(conv_rejects_bad_params) {
    char err[256];
    vrt__conv_params p;
    vrt__conv_default_params(&p);
    p.N = 1, p.C = 6, p.M = 4, p.group = 4, p.in[0] = p.in[1] = 5, p.k[0] = p.k[1] = 3;
    ASSERT_STATUS(vrt__conv_resolve(&p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "group=4");
    p.group = 2, p.k[0] = 9;
    ASSERT_STATUS(vrt__conv_resolve(&p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "larger than padded input");
    p.k[0] = 3, p.nsp = 4;
    ASSERT_STATUS(vrt__conv_resolve(&p, err, sizeof(err)), VRT_EUNSUPPORTED);
    p.nsp = 2, p.strides[1] = 0;
    ASSERT_STATUS(vrt__conv_resolve(&p, err, sizeof(err)), VRT_EINVAL);
}

/* Direct ConvTranspose: scatter x[n,c,i] * w[c,m,k] into y[n, g*Mg+m, i*s - pb + k*d]. */
static void convt_ref(const vrt__conv_params *p, const float *x, const float *w, const float *b, double *y) {
    int ns = p->nsp;
    int64_t cg = p->C / p->group, mg = p->M / p->group;
    int64_t iv = vol(p->in, ns), kv = vol(p->k, ns), ov = vol(p->out, ns);
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t m = 0; m < p->M; m++)
            for (int64_t o = 0; o < ov; o++)
                y[(n * p->M + m) * ov + o] = b ? b[m] : 0.0;
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t c = 0; c < p->C; c++) {
            int64_t g = c / cg;
            for (int64_t i = 0; i < iv; i++)
                for (int64_t m = 0; m < mg; m++)
                    for (int64_t k = 0; k < kv; k++) {
                        int64_t ii[3], ki[3], oi[3];
                        unflat(i, p->in, ns, ii);
                        unflat(k, p->k, ns, ki);
                        int inside = 1;
                        for (int a = 0; a < ns; a++) {
                            oi[a] = ii[a] * p->strides[a] - p->pads_begin[a] + ki[a] * p->dilations[a];
                            if (oi[a] < 0 || oi[a] >= p->out[a]) inside = 0;
                        }
                        if (!inside) continue;
                        y[(n * p->M + g * mg + m) * ov + flat(oi, p->out, ns)] +=
                            (double)x[(n * p->C + c) * iv + i] *
                            w[((c - g * cg) + g * cg) * mg * kv + m * kv + k];
                    }
        }
}

static void run_convt(vrt__threadpool *tp, vrt__conv_params p, const char *what) {
    vrt__conv_params r = p;
    char err[256] = "";
    vrt_status st = vrt__conv_transpose_resolve(&r, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: %s", what, err);
    int ns = p.nsp;
    int have_shape = 0;
    for (int a = 0; a < ns; a++)
        have_shape |= p.output_shape[a] != 0;
    for (int a = 0; a < ns && !have_shape && p.auto_pad == VRT__AUTO_PAD_NOTSET; a++)
        ASSERT_EQ(r.out[a], p.strides[a] * (p.in[a] - 1) + p.output_padding[a] +
                                (p.k[a] - 1) * p.dilations[a] + 1 - p.pads_begin[a] - p.pads_end[a]);
    int64_t xn = p.N * p.C * vol(p.in, ns), wn = p.C * (p.M / p.group) * vol(p.k, ns);
    int64_t yn = p.N * p.M * vol(r.out, ns);
    float *x = rand_buf(xn), *w = rand_buf(wn), *b = rand_buf(p.M), *y = rand_buf(yn);
    double *want = vrt_malloc((size_t)yn * sizeof(double));
    void *scratch = vrt_malloc(vrt__conv_transpose_scratch_bytes(&r));
    ASSERT_OK(vrt__conv_transpose(tp, &r, x, w, b, y, scratch));
    convt_ref(&r, x, w, b, want);
    expect_close(y, want, yn, 1e-4, what);
    vrt_free(x);
    vrt_free(w);
    vrt_free(b);
    vrt_free(y);
    vrt_free(want);
    vrt_free(scratch);
}

TEST(conv_transpose_random_configs_match_direct) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    for (int it = 0; it < 40; it++) {
        vrt__conv_params p;
        vrt__conv_default_params(&p);
        int ns = 1 + it % 3;
        p.nsp = ns;
        p.N = irand(1, 2);
        p.group = irand(1, 2);
        p.C = p.group * irand(1, 3);
        p.M = p.group * irand(1, 3);
        for (int a = 0; a < ns; a++) {
            p.in[a] = irand(2, ns == 3 ? 4 : 7);
            p.k[a] = irand(1, 3);
            p.strides[a] = irand(1, 3);
            p.dilations[a] = irand(1, 2);
            p.output_padding[a] = irand(0, p.strides[a] - 1);
            p.pads_begin[a] = irand(0, p.k[a] - 1);
            p.pads_end[a] = irand(0, p.k[a] - 1);
        }
        if (it % 4 == 3) {
            p.auto_pad = it % 8 == 3 ? VRT__AUTO_PAD_SAME_UPPER : VRT__AUTO_PAD_SAME_LOWER;
            memset(p.output_padding, 0, sizeof(p.output_padding));
        }
        run_convt(it % 2 ? tp : NULL, p, "convtranspose random");
    }
    vrt__threadpool_destroy(&tp);
}

TEST(conv_transpose_onnx_doc_examples) {
    /* ONNX ConvTranspose docs, convtranspose: x = 0..8 (1x1x3x3), W = ones(1x2x3x3). */
    float x[9], w[18], y[50], scratch[18 * 9];
    for (int i = 0; i < 9; i++)
        x[i] = (float)i;
    for (int i = 0; i < 18; i++)
        w[i] = 1.0f;
    const float want[25] = {0,  1,  3, 3,  2,  3,  8,  15, 12, 7,  9,  21, 36,
                            27, 15, 9, 20, 33, 24, 13, 6,  13, 21, 15, 8};
    vrt__conv_params p;
    vrt__conv_default_params(&p);
    p.N = p.C = 1, p.M = 2, p.in[0] = p.in[1] = 3, p.k[0] = p.k[1] = 3;
    ASSERT_OK(vrt__conv_transpose_resolve(&p, NULL, 0));
    ASSERT_EQ(p.out[0], 5);
    ASSERT_OK(vrt__conv_transpose(NULL, &p, x, w, NULL, y, scratch));
    for (int i = 0; i < 50; i++)
        ASSERT_NEAR(y[i], want[i % 25], 1e-5);
    /* output_shape larger than the natural size (ONNX convtranspose_output_shape,
     * strides [3, 2], output_shape [10, 8]): same as output_padding [1, 1]. */
    vrt__conv_default_params(&p);
    p.N = p.C = 1, p.M = 2, p.in[0] = p.in[1] = 3, p.k[0] = p.k[1] = 3;
    p.strides[0] = 3, p.strides[1] = 2, p.output_shape[0] = 10, p.output_shape[1] = 8;
    ASSERT_OK(vrt__conv_transpose_resolve(&p, NULL, 0));
    ASSERT_EQ(p.out[0], 10);
    ASSERT_EQ(p.out[1], 8);
    run_convt(NULL, p, "output_shape");
    vrt__conv_default_params(&p);
    p.N = p.C = 1, p.M = 2, p.in[0] = p.in[1] = 3, p.k[0] = p.k[1] = 3;
    p.strides[0] = 3, p.strides[1] = 2, p.output_padding[0] = p.output_padding[1] = 1;
    ASSERT_OK(vrt__conv_transpose_resolve(&p, NULL, 0));
    ASSERT_EQ(p.out[0], 10);
    ASSERT_EQ(p.out[1], 8);
    /* SAME_UPPER: output = input * stride. */
    vrt__conv_default_params(&p);
    p.N = p.C = 1, p.M = 2, p.in[0] = p.in[1] = 3, p.k[0] = p.k[1] = 3;
    p.strides[0] = p.strides[1] = 2, p.auto_pad = VRT__AUTO_PAD_SAME_UPPER;
    ASSERT_OK(vrt__conv_transpose_resolve(&p, NULL, 0));
    ASSERT_EQ(p.out[0], 6);
    ASSERT_EQ(p.pads_begin[0], 0);
    ASSERT_EQ(p.pads_end[0], 1);
}

TEST(bn_fold_matches_conv_then_bn) {
    vrt__conv_params p = random_conv(2, 0);
    vrt__conv_params r = p;
    ASSERT_OK(vrt__conv_resolve(&r, NULL, 0));
    int64_t cg = p.C / p.group, per = cg * p.k[0] * p.k[1], ov = r.out[0] * r.out[1];
    int64_t xn = p.N * p.C * p.in[0] * p.in[1], yn = p.N * p.M * ov;
    float *x = rand_buf(xn), *w = rand_buf(p.M * per), *b = rand_buf(p.M);
    float *sc = rand_buf(p.M), *bb = rand_buf(p.M), *mean = rand_buf(p.M), *var = rand_buf(p.M);
    for (int64_t m = 0; m < p.M; m++)
        var[m] = fabsf(var[m]) + 0.1f;
    float *y = rand_buf(yn), *wf = rand_buf(p.M * per), *bf = rand_buf(p.M);
    double *want = vrt_malloc((size_t)yn * sizeof(double));
    void *scratch = vrt_malloc(vrt__conv_scratch_bytes(&r) + 4);
    conv_ref(&r, r.out, x, w, b, NULL, want);
    for (int64_t i = 0; i < yn; i++) {
        int64_t m = (i / ov) % p.M;
        want[i] = (want[i] - mean[m]) / sqrt(var[m] + 1e-5) * sc[m] + bb[m];
    }
    ASSERT_OK(vrt__bn_fold_into_conv(p.M, per, w, b, sc, bb, mean, var, 1e-5f, wf, bf));
    ASSERT_OK(vrt__conv(NULL, &r, x, wf, bf, NULL, y, scratch));
    expect_close(y, want, yn, 1e-4, "bn fold");
    /* In place, no conv bias. */
    ASSERT_OK(vrt__bn_fold_into_conv(p.M, per, w, NULL, sc, bb, mean, var, 1e-5f, w, b));
    ASSERT_NEAR(b[0], bb[0] - mean[0] * sc[0] / sqrt(var[0] + 1e-5), 1e-5);
    vrt_free(x), vrt_free(w), vrt_free(b), vrt_free(sc), vrt_free(bb), vrt_free(mean);
    vrt_free(var), vrt_free(y), vrt_free(wf), vrt_free(bf), vrt_free(want), vrt_free(scratch);
}

TEST(conv_speed_report) {
    /* Not a timed test: SqueezeNet 1.0's fire2/expand3x3 (16->64, 3x3, pad 1, 55x55)
     * and conv1 (3->96, 7x7, stride 2, 224x224); prints GFLOP/s, asserts nothing. */
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 0));
    vrt__sgemm_set_blas(1);
    int have_blas = vrt__sgemm_uses_blas();
    struct {
        int64_t C, M, H, k, s, pad;
        const char *name;
    } cs[] = {
        {16, 64, 55, 3, 1, 1, "squeezenet fire2/expand3x3 16->64 55x55"},
        {3, 96, 224, 7, 2, 0, "squeezenet conv1 3->96 7x7/2 224x224"},
    };
    for (size_t i = 0; i < 2; i++)
        for (int blas = 0; blas < 2; blas++) {
            if (blas && !have_blas) break;
            vrt__sgemm_set_blas(blas);
            vrt__conv_params p;
            vrt__conv_default_params(&p);
            p.N = 1, p.C = cs[i].C, p.M = cs[i].M, p.in[0] = p.in[1] = cs[i].H;
            p.k[0] = p.k[1] = cs[i].k, p.strides[0] = p.strides[1] = cs[i].s;
            for (int a = 0; a < 2; a++)
                p.pads_begin[a] = p.pads_end[a] = cs[i].pad;
            p.act.kind = VRT__ACT_RELU;
            ASSERT_OK(vrt__conv_resolve(&p, NULL, 0));
            float *x = rand_buf(p.C * p.in[0] * p.in[1]), *w = rand_buf(p.M * p.C * p.k[0] * p.k[1]);
            float *b = rand_buf(p.M), *y = rand_buf(p.M * p.out[0] * p.out[1]);
            void *scratch = vrt_malloc(vrt__conv_scratch_bytes(&p));
            int reps = 10;
            ASSERT_OK(vrt__conv(tp, &p, x, w, b, NULL, y, scratch));
            int64_t t0 = vrt_now_ns();
            for (int r = 0; r < reps; r++)
                vrt__conv(tp, &p, x, w, b, NULL, y, scratch);
            double sec = (double)(vrt_now_ns() - t0) * 1e-9 / reps;
            double flops = 2.0 * p.M * p.out[0] * p.out[1] * p.C * p.k[0] * p.k[1];
            printf("conv %s (%s): %.3f ms, %.1f GFLOP/s\n", cs[i].name, blas ? "openblas" : "own", sec * 1e3,
                   flops / sec * 1e-9);
            vrt_free(x), vrt_free(w), vrt_free(b), vrt_free(y), vrt_free(scratch);
        }
    vrt__sgemm_set_blas(1);
    vrt__threadpool_destroy(&tp);
}

int main(void) {
    VRT_RUN(conv_random_configs_match_direct);
    VRT_RUN(conv_pointwise_and_depthwise_fast_paths);
    VRT_RUN(conv_fused_bias_residual_activation);
    VRT_RUN(conv_threaded_is_bit_identical);
    VRT_RUN(conv_onnx_doc_example_strides_padding);
    VRT_RUN(conv_auto_pad);
    VRT_RUN(conv_rejects_bad_params);
    VRT_RUN(conv_transpose_random_configs_match_direct);
    VRT_RUN(conv_transpose_onnx_doc_examples);
    VRT_RUN(bn_fold_matches_conv_then_bn);
    VRT_RUN(conv_speed_report);
    return vrt_test_finish();
}
