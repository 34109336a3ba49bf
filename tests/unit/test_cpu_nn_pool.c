/* MaxPool / AveragePool / global pools against direct loops and ONNX doc examples. */
#include <math.h>

#include "engine/backend/cpu/kernels_nn.h"
#include "harness.h"
#include "vrt/core.h"

static uint64_t g_rng = 0x2545F4914F6CDD1Dull;
static uint32_t urand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 32);
}
static int64_t irand(int64_t lo, int64_t hi) {
    return lo + (int64_t)(urand() % (uint32_t)(hi - lo + 1));
}
static float *rand_buf(int64_t n) {
    float *p = vrt_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)(urand() & 0xffffff) / 8388608.0f - 1.0f;
    return p;
}

/* Output size, written from the ONNX spec text (explicit pads). */
static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe, int ceil_mode) {
    double v = (double)(in + pb + pe - ((k - 1) * d + 1)) / (double)s;
    int64_t o = (int64_t)(ceil_mode ? ceil(v) : floor(v)) + 1;
    if (ceil_mode && (o - 1) * s >= in + pb) o--; /* last window must start inside */
    return o;
}

/* Direct pooling over one output element; 1 to 3 spatial dims as [d][h][w] with
 * leading dims of size 1. */
static void pool_ref(const vrt__pool_params *p, const float *x, double *y, int64_t *idx, int is_max) {
    int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, pb[3] = {0}, pe[3] = {0},
            out[3] = {1, 1, 1};
    int off = 3 - p->nsp;
    for (int a = 0; a < p->nsp; a++) {
        in[a + off] = p->in[a], k[a + off] = p->k[a], s[a + off] = p->strides[a];
        d[a + off] = p->dilations[a], pb[a + off] = p->pads_begin[a], pe[a + off] = p->pads_end[a];
        out[a + off] = p->out[a];
    }
    int64_t iv = in[0] * in[1] * in[2], ov = out[0] * out[1] * out[2];
    for (int64_t nc = 0; nc < p->N * p->C; nc++)
        for (int64_t o0 = 0; o0 < out[0]; o0++)
            for (int64_t o1 = 0; o1 < out[1]; o1++)
                for (int64_t o2 = 0; o2 < out[2]; o2++) {
                    double best = -INFINITY, sum = 0;
                    int64_t bi = -1, cnt = 0, cnt_pad = 0;
                    for (int64_t a = 0; a < k[0]; a++)
                        for (int64_t b = 0; b < k[1]; b++)
                            for (int64_t c = 0; c < k[2]; c++) {
                                int64_t i0 = o0 * s[0] - pb[0] + a * d[0];
                                int64_t i1 = o1 * s[1] - pb[1] + b * d[1];
                                int64_t i2 = o2 * s[2] - pb[2] + c * d[2];
                                if (i0 < in[0] + pe[0] && i1 < in[1] + pe[1] && i2 < in[2] + pe[2])
                                    cnt_pad++; /* inside the padded input (never below -pb) */
                                if (i0 < 0 || i1 < 0 || i2 < 0 || i0 >= in[0] || i1 >= in[1] || i2 >= in[2])
                                    continue;
                                int64_t fi = nc * iv + (i0 * in[1] + i1) * in[2] + i2;
                                cnt++;
                                sum += x[fi];
                                if (x[fi] > best) best = x[fi], bi = fi;
                            }
                    int64_t oi = nc * ov + (o0 * out[1] + o1) * out[2] + o2;
                    if (is_max) {
                        y[oi] = best;
                        if (idx) idx[oi] = bi;
                    } else {
                        y[oi] = sum / (double)(p->count_include_pad ? cnt_pad : cnt);
                    }
                }
}

static void run_pool(vrt__threadpool *tp, vrt__pool_params p, int is_max, const char *what) {
    vrt__pool_params r = p;
    char err[256];
    ASSERT_OK(vrt__pool_resolve(&r, err, sizeof(err)));
    int64_t iv = 1, ov = 1;
    for (int a = 0; a < p.nsp; a++) {
        ASSERT_EQ(r.out[a], out_size(p.in[a], p.k[a], p.strides[a], p.dilations[a], p.pads_begin[a],
                                     p.pads_end[a], p.ceil_mode));
        iv *= p.in[a];
        ov *= r.out[a];
    }
    int64_t xn = p.N * p.C * iv, yn = p.N * p.C * ov;
    float *x = rand_buf(xn), *y = rand_buf(yn);
    double *want = vrt_malloc((size_t)yn * sizeof(double));
    int64_t *idx = vrt_malloc((size_t)yn * sizeof(int64_t)), *widx = vrt_malloc((size_t)yn * sizeof(int64_t));
    if (is_max)
        ASSERT_OK(vrt__maxpool(tp, &r, x, y, idx));
    else
        ASSERT_OK(vrt__avgpool(tp, &r, x, y));
    pool_ref(&r, x, want, widx, is_max);
    for (int64_t i = 0; i < yn; i++) {
        if (!(fabs(y[i] - want[i]) <= 1e-5 * (1 + fabs(want[i])))) {
            vrt_test_fail(__FILE__, __LINE__, "%s: element %lld: %.7g vs %.7g", what, (long long)i, y[i],
                          want[i]);
        }
        if (is_max) ASSERT_EQ(idx[i], widx[i]);
    }
    vrt_free(x), vrt_free(y), vrt_free(want), vrt_free(idx), vrt_free(widx);
}

TEST(pool_random_configs_match_direct) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    for (int it = 0; it < 120; it++) {
        vrt__pool_params p;
        vrt__pool_default_params(&p);
        p.nsp = 1 + it % 3;
        p.N = irand(1, 2), p.C = irand(1, 3);
        int is_max = it % 2;
        p.ceil_mode = (it / 2) % 2;
        p.count_include_pad = (it / 4) % 2;
        for (int a = 0; a < p.nsp; a++) {
            p.in[a] = irand(3, p.nsp == 3 ? 6 : 12);
            p.k[a] = irand(1, 3);
            p.strides[a] = irand(1, 3);
            p.dilations[a] = irand(1, 2);
            p.pads_begin[a] = irand(0, p.k[a] - 1); /* ONNX: pads smaller than the kernel */
            p.pads_end[a] = irand(0, p.k[a] - 1);
            if ((p.k[a] - 1) * p.dilations[a] + 1 > p.in[a] + p.pads_begin[a] + p.pads_end[a])
                p.dilations[a] = 1;
        }
        run_pool(it % 3 ? tp : NULL, p, is_max, is_max ? "maxpool" : "avgpool");
    }
    vrt__threadpool_destroy(&tp);
}

TEST(pool_onnx_doc_examples) {
    /* ONNX MaxPool docs, maxpool_2d_ceil: x = 1..16 (4x4), k 3, s 2, ceil -> [[11,12],[15,16]]. */
    float x[16], y[4];
    for (int i = 0; i < 16; i++)
        x[i] = (float)(i + 1);
    vrt__pool_params p;
    vrt__pool_default_params(&p);
    p.N = p.C = 1, p.in[0] = p.in[1] = 4, p.k[0] = p.k[1] = 3, p.strides[0] = p.strides[1] = 2;
    p.ceil_mode = 1;
    ASSERT_OK(vrt__pool_resolve(&p, NULL, 0));
    ASSERT_EQ(p.out[0], 2);
    ASSERT_OK(vrt__maxpool(NULL, &p, x, y, NULL));
    const float want_max[4] = {11, 12, 15, 16};
    for (int i = 0; i < 4; i++)
        ASSERT_NEAR(y[i], want_max[i], 0);
    /* averagepool_2d_ceil: same input and attributes -> [[6, 7.5], [12, 13.5]]. */
    ASSERT_OK(vrt__avgpool(NULL, &p, x, y));
    const float want_avg[4] = {6, 7.5f, 12, 13.5f};
    for (int i = 0; i < 4; i++)
        ASSERT_NEAR(y[i], want_avg[i], 1e-6);
    /* maxpool_2d_dilations: x = 1..16, k 2, dilation 2 -> [[11,12],[15,16]]. */
    vrt__pool_default_params(&p);
    p.N = p.C = 1, p.in[0] = p.in[1] = 4, p.k[0] = p.k[1] = 2, p.dilations[0] = p.dilations[1] = 2;
    ASSERT_OK(vrt__pool_resolve(&p, NULL, 0));
    ASSERT_OK(vrt__maxpool(NULL, &p, x, y, NULL));
    for (int i = 0; i < 4; i++)
        ASSERT_NEAR(y[i], want_max[i], 0);
    /* SAME_UPPER: out = ceil(in / stride), x 5x5 k 3 s 2 -> 3x3, pads (1, 1). */
    vrt__pool_default_params(&p);
    p.N = p.C = 1, p.in[0] = p.in[1] = 5, p.k[0] = p.k[1] = 3, p.strides[0] = p.strides[1] = 2;
    p.auto_pad = VRT__AUTO_PAD_SAME_UPPER;
    ASSERT_OK(vrt__pool_resolve(&p, NULL, 0));
    ASSERT_EQ(p.out[0], 3);
    ASSERT_EQ(p.pads_begin[0], 1);
    ASSERT_EQ(p.pads_end[0], 1);
    p.auto_pad = VRT__AUTO_PAD_NOTSET;
    p.in[0] = 6, p.auto_pad = VRT__AUTO_PAD_SAME_LOWER;
    ASSERT_OK(vrt__pool_resolve(&p, NULL, 0));
    ASSERT_EQ(p.out[0], 3);
    ASSERT_EQ(p.pads_begin[0], 1);
    ASSERT_EQ(p.pads_end[0], 0);
}

TEST(pool_rejects_bad_params) {
    char err[256];
    vrt__pool_params p;
    vrt__pool_default_params(&p);
    p.N = p.C = 1, p.in[0] = p.in[1] = 3, p.k[0] = 5, p.k[1] = 1;
    ASSERT_STATUS(vrt__pool_resolve(&p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "larger than the padded input");
    p.k[0] = 1, p.strides[0] = 0;
    ASSERT_STATUS(vrt__pool_resolve(&p, err, sizeof(err)), VRT_EINVAL);
}

TEST(global_pools) {
    int64_t N = 2, C = 3, S = 1000;
    float *x = rand_buf(N * C * S), y[6], z[6];
    x[4 * S + 17] = NAN;
    ASSERT_OK(vrt__global_avgpool(NULL, N, C, S, x, y));
    ASSERT_OK(vrt__global_maxpool(NULL, N, C, S, x, z));
    for (int64_t i = 0; i < N * C; i++) {
        double s = 0, m = -INFINITY;
        for (int64_t j = 0; j < S; j++)
            s += x[i * S + j], m = fmax(m, x[i * S + j]);
        if (i == 4) {
            ASSERT_TRUE(isnan(y[i]) && isnan(z[i])); /* NaN propagates */
            continue;
        }
        ASSERT_NEAR(y[i], s / S, 1e-6);
        ASSERT_NEAR(z[i], m, 0);
    }
    vrt_free(x);
}

/* The AVX2 MaxPool path finds NaNs while it reads the rows (vector lanes and
 * the scalar tail) and redoes such a plane generically: a window holding a
 * NaN gives NaN, the others their max. */
TEST(maxpool_nan_in_fast_path) {
    vrt__pool_params p;
    vrt__pool_default_params(&p);
    p.N = 1, p.C = 3, p.in[0] = 9, p.in[1] = 21, p.k[0] = p.k[1] = 3, p.strides[0] = p.strides[1] = 2;
    ASSERT_OK(vrt__pool_resolve(&p, NULL, 0));
    int64_t H = 9, W = 21, OH = p.out[0], OW = p.out[1], plane = H * W;
    ASSERT_EQ(OH, 4);
    ASSERT_EQ(OW, 10);
    float *x = rand_buf(3 * plane), *y = vrt_malloc((size_t)(3 * OH * OW) * sizeof(float));
    x[0 * plane + 4 * W + 3] = NAN;  /* plane 0: a vector lane */
    x[1 * plane + 2 * W + 20] = NAN; /* plane 1: the scalar tail; plane 2: none */
    ASSERT_OK(vrt__maxpool(NULL, &p, x, y, NULL));
    for (int64_t c = 0; c < 3; c++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                double m = -INFINITY;
                int nan = 0;
                for (int64_t i = 0; i < 3; i++)
                    for (int64_t j = 0; j < 3; j++) {
                        float v = x[c * plane + (oh * 2 + i) * W + ow * 2 + j];
                        nan |= isnan(v);
                        m = fmax(m, v);
                    }
                float got = y[(c * OH + oh) * OW + ow];
                if (nan)
                    ASSERT_TRUE(isnan(got));
                else
                    ASSERT_NEAR(got, m, 0);
            }
    vrt_free(x);
    vrt_free(y);
}

int main(void) {
    VRT_RUN(pool_random_configs_match_direct);
    VRT_RUN(maxpool_nan_in_fast_path);
    VRT_RUN(pool_onnx_doc_examples);
    VRT_RUN(pool_rejects_bad_params);
    VRT_RUN(global_pools);
    return vrt_test_finish();
}
