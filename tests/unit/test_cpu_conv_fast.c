/* The AVX2 convolution fast paths (3x3 depthwise stride 1/2, dense stride-1/2
 * implicit GEMM from a padded input copy, pointwise GEMM reading the input
 * planes in place, im2col + that GEMM for narrow outputs) against a direct 2-D convolution written here from
 * the ONNX definition, in double. The shapes hit every border case of those paths: widths below, at and just
 * above one vector (8) or one column block (16), asymmetric pads, output-channel counts around the 6-row
 * panel, input channels across the 128-channel block, batch 2, strides 1 and 2, the fused bias + residual +
 * activation, and 1 or 2 threads. On a CPU without AVX2 the same calls take the portable paths and must agree
 * too. */
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
static float *rand_buf(int64_t n) {
    float *p = vrt_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)(urand() & 0xffffff) / 8388608.0f - 1.0f;
    return p;
}

static double act_ref(const vrt__activation *a, double x) {
    switch (a->kind) {
    case VRT__ACT_RELU: return x > 0 ? x : 0;
    case VRT__ACT_SILU: return x / (1 + exp(-x));
    case VRT__ACT_CLIP: return fmin(fmax(x, a->alpha), a->beta);
    default: return x;
    }
}

typedef struct cfg {
    int64_t N, C, M, group, H, W, kh, kw, s, pt, pl, pb, pr;
    int bias, res;
    vrt__act_kind act;
} cfg;

/* y[n,m,oh,ow] = act(b[m] + res + sum_{c,i,j} x[n, g*Cg + c, oh*s - pt + i, ow*s - pl + j] * w[m,c,i,j]). */
static void conv_ref(const cfg *k, int64_t OH, int64_t OW, const float *x, const float *w, const float *b,
                     const float *res, const vrt__activation *act, double *y) {
    int64_t cg = k->C / k->group, mg = k->M / k->group;
    for (int64_t n = 0; n < k->N; n++)
        for (int64_t m = 0; m < k->M; m++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++) {
                    double acc = b ? b[m] : 0.0;
                    int64_t g = m / mg;
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t i = 0; i < k->kh; i++)
                            for (int64_t j = 0; j < k->kw; j++) {
                                int64_t ih = oh * k->s - k->pt + i, iw = ow * k->s - k->pl + j;
                                if (ih < 0 || ih >= k->H || iw < 0 || iw >= k->W) continue;
                                acc += (double)x[((n * k->C + g * cg + c) * k->H + ih) * k->W + iw] *
                                       w[((m * cg + c) * k->kh + i) * k->kw + j];
                            }
                    int64_t o = ((n * k->M + m) * OH + oh) * OW + ow;
                    if (res) acc += res[o];
                    y[o] = act_ref(act, acc);
                }
}

/* Runs one config through vrt__conv (threads 1 or 2) and compares. */
static void check(const cfg *k, vrt__threadpool *tp, const char *what) {
    vrt__conv_params p;
    vrt__conv_default_params(&p);
    p.N = k->N, p.C = k->C, p.M = k->M, p.group = k->group;
    p.in[0] = k->H, p.in[1] = k->W, p.k[0] = k->kh, p.k[1] = k->kw;
    p.strides[0] = p.strides[1] = k->s;
    p.pads_begin[0] = k->pt, p.pads_begin[1] = k->pl, p.pads_end[0] = k->pb, p.pads_end[1] = k->pr;
    p.act.kind = k->act;
    p.act.alpha = -0.25f, p.act.beta = 0.5f;
    char err[256] = "";
    ASSERT_OK(vrt__conv_resolve(&p, err, sizeof(err)));
    /* Output size from the ONNX formula, independently. */
    int64_t OH = (k->H + k->pt + k->pb - k->kh) / k->s + 1, OW = (k->W + k->pl + k->pr - k->kw) / k->s + 1;
    ASSERT_EQ(p.out[0], OH);
    ASSERT_EQ(p.out[1], OW);
    int64_t xn = k->N * k->C * k->H * k->W, wn = k->M * (k->C / k->group) * k->kh * k->kw;
    int64_t yn = k->N * k->M * OH * OW;
    float *x = rand_buf(xn), *w = rand_buf(wn), *b = k->bias ? rand_buf(k->M) : NULL;
    float *res = k->res ? rand_buf(yn) : NULL, *y = rand_buf(yn);
    double *want = vrt_malloc((size_t)yn * sizeof(double));
    size_t sb = vrt__conv_scratch_bytes(&p);
    /* Guard words after the scratch catch an overrun of its declared size. */
    float *scratch = vrt_malloc(sb + 64 * sizeof(float));
    for (int i = 0; i < 64; i++)
        scratch[sb / sizeof(float) + (size_t)i] = 1234.5f;
    ASSERT_OK(vrt__conv(tp, &p, x, w, b, res, y, scratch));
    for (int i = 0; i < 64; i++)
        ASSERT_TRUE(scratch[sb / sizeof(float) + (size_t)i] == 1234.5f);
    conv_ref(k, OH, OW, x, w, b, res, &p.act, want);
    int bad = 0;
    for (int64_t i = 0; i < yn && bad < 5; i++) {
        double tol = 1e-4 + 1e-4 * fabs(want[i]);
        if (!(fabs(y[i] - want[i]) <= tol)) {
            vrt_test_fail(__FILE__, __LINE__, "%s: y[%lld] = %.7g, want %.7g", what, (long long)i, y[i],
                          want[i]);
            bad++;
        }
    }
    vrt_free(x);
    vrt_free(w);
    vrt_free(b);
    vrt_free(res);
    vrt_free(y);
    vrt_free(want);
    vrt_free(scratch);
}

static vrt__act_kind pick_act(int i) {
    static const vrt__act_kind a[] = {VRT__ACT_NONE, VRT__ACT_SILU, VRT__ACT_RELU, VRT__ACT_CLIP};
    return a[i % 4];
}

TEST(depthwise_3x3_stride_1_and_2) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    static const int64_t widths[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 33, 40};
    int it = 0;
    for (int64_t s = 1; s <= 2; s++)
        for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++)
            for (int pad = 0; pad < 4; pad++, it++) {
                cfg k = {0};
                k.N = 1 + it % 2, k.group = 3, k.C = 3, k.M = (it % 3 == 0) ? 6 : 3; /* multiplier 2 */
                k.W = widths[wi], k.H = 1 + (it * 7) % 11;
                k.kh = k.kw = 3, k.s = s;
                /* pads 0/1/2 and asymmetric; the padded input must hold the kernel */
                k.pt = pad % 3, k.pl = pad == 3 ? 2 : pad % 3, k.pb = pad == 2 ? 0 : 1, k.pr = pad;
                if (k.H + k.pt + k.pb < 3) k.pb += 3;
                if (k.W + k.pl + k.pr < 3) k.pr += 3;
                k.bias = it % 3 != 2, k.res = it % 4 == 1, k.act = pick_act(it);
                char what[128];
                snprintf(what, sizeof(what), "dw s=%lld W=%lld H=%lld pads=%lld,%lld,%lld,%lld", (long long)s,
                         (long long)k.W, (long long)k.H, (long long)k.pt, (long long)k.pl, (long long)k.pb,
                         (long long)k.pr);
                check(&k, it % 2 ? tp : NULL, what);
            }
    /* A larger plane like YOLOX-Nano's, with both threads. */
    cfg big = {2, 16, 16, 16, 52, 52, 3, 3, 1, 1, 1, 1, 1, 1, 0, VRT__ACT_SILU};
    check(&big, tp, "dw 16x52x52");
    big.s = 2;
    big.H = big.W = 104;
    check(&big, tp, "dw 16x104x104 s2");
    vrt__threadpool_destroy(&tp);
}

TEST(dense_direct_conv_stride_1_and_2) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    static const int64_t ms[] = {1, 5, 6, 7, 13, 16, 70};
    static const int64_t ks[][2] = {{3, 3}, {2, 2}, {5, 3}, {1, 3}, {7, 7}};
    static const int64_t ws[] = {1, 5, 15, 16, 17, 20, 40};
    int it = 0;
    for (int64_t st = 1; st <= 2; st++)
        for (size_t mi = 0; mi < sizeof(ms) / sizeof(ms[0]); mi++)
            for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++, it++) {
                cfg k = {0};
                k.N = 1 + it % 2, k.group = 1, k.C = 1 + (it * 5) % 13, k.M = ms[mi];
                k.kh = ks[ki][0], k.kw = ks[ki][1], k.s = st;
                k.W = ws[it % 7], k.H = 2 + it % 9;
                k.pt = it % 3, k.pb = (it / 3) % 3, k.pl = (it / 2) % 3, k.pr = it % 2;
                if (k.H + k.pt + k.pb < k.kh) k.pb += k.kh;
                if (k.W + k.pl + k.pr < k.kw) k.pr += k.kw;
                k.bias = it % 3 != 1, k.res = it % 4 == 3, k.act = pick_act(it);
                char what[128];
                snprintf(what, sizeof(what), "direct s=%lld C=%lld M=%lld k=%lldx%lld W=%lld H=%lld",
                         (long long)k.s, (long long)k.C, (long long)k.M, (long long)k.kh, (long long)k.kw,
                         (long long)k.W, (long long)k.H);
                check(&k, it % 2 ? tp : NULL, what);
            }
    /* YOLOX-Nano's first conv shape (scaled down in height). */
    cfg focus = {1, 12, 16, 1, 24, 208, 3, 3, 1, 1, 1, 1, 1, 1, 0, VRT__ACT_SILU};
    check(&focus, tp, "direct 12->16 24x208");
    /* SqueezeNet 1.1's first conv (3x3 stride 2, no pads), fewer rows. */
    cfg sq = {1, 3, 64, 1, 31, 224, 3, 3, 2, 0, 0, 0, 0, 1, 0, VRT__ACT_RELU};
    check(&sq, tp, "direct 3->64 s2 31x224");
    /* Narrower than one column block with many output channels: im2col + the pointwise GEMM
     * (SqueezeNet's 13x13 expand convs: K = 576 spans several 128-channel blocks, the ReLU is
     * applied as the last block is stored); then batch 2, stride 2, residual and SiLU. */
    cfg narrow = {1, 64, 192, 1, 13, 13, 3, 3, 1, 1, 1, 1, 1, 1, 0, VRT__ACT_RELU};
    check(&narrow, tp, "im2col+pointwise 64->192 13x13");
    check(&narrow, NULL, "im2col+pointwise 64->192 13x13, 1 thread");
    cfg narrow2 = {2, 20, 70, 1, 11, 9, 3, 3, 2, 1, 1, 0, 1, 1, 1, VRT__ACT_SILU};
    check(&narrow2, tp, "im2col+pointwise 20->70 s2 11x9 residual");
    vrt__threadpool_destroy(&tp);
}

TEST(pointwise_gemm_from_planes) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    static const int64_t hws[][2] = {{1, 1}, {3, 5}, {4, 4}, {1, 17}, {13, 13}, {15, 20}, {26, 26}};
    static const int64_t cs[] = {1, 8, 33, 128, 129, 300};
    static const int64_t ms[] = {4, 8, 13, 64};
    int it = 0;
    for (size_t hi = 0; hi < sizeof(hws) / sizeof(hws[0]); hi++)
        for (size_t ci = 0; ci < sizeof(cs) / sizeof(cs[0]); ci++, it++) {
            cfg k = {0};
            k.N = 1 + it % 2, k.group = 1, k.C = cs[ci], k.M = ms[it % 4];
            k.H = hws[hi][0], k.W = hws[hi][1], k.kh = k.kw = 1, k.s = 1;
            k.bias = it % 3 != 0, k.res = it % 5 == 2, k.act = pick_act(it);
            char what[128];
            snprintf(what, sizeof(what), "pointwise C=%lld M=%lld %lldx%lld", (long long)k.C, (long long)k.M,
                     (long long)k.H, (long long)k.W);
            check(&k, it % 2 ? tp : NULL, what);
        }
    /* Several output-channel groups (weights of one group about 192 KiB)
     * and several input-channel blocks, like SqueezeNet's last conv. */
    cfg big = {1, 512, 1000, 1, 3, 5, 1, 1, 1, 0, 0, 0, 0, 1, 0, VRT__ACT_RELU};
    check(&big, tp, "pointwise 512->1000");
    cfg mid = {2, 300, 200, 1, 13, 13, 1, 1, 1, 0, 0, 0, 0, 1, 1, VRT__ACT_SILU};
    check(&mid, NULL, "pointwise 300->200 13x13");
    vrt__threadpool_destroy(&tp);
}

int main(void) {
    VRT_RUN(depthwise_3x3_stride_1_and_2);
    VRT_RUN(dense_direct_conv_stride_1_and_2);
    VRT_RUN(pointwise_gemm_from_planes);
    return vrt_test_finish();
}
