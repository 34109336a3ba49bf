/* BatchNormalization, InstanceNormalization, LayerNormalization against direct formulas. */
#include <math.h>

#include "engine/backend/cpu/kernels_nn.h"
#include "model/plan.h"
#include "harness.h"
#include "vrt/core.h"

static uint64_t g_rng = 0xD1B54A32D192ED03ull;
static float frand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((g_rng >> 40) & 0xffffff) / 8388608.0f - 1.0f;
}
static float *rand_buf(int64_t n) {
    float *p = vrt_malloc((size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

TEST(batchnorm_inference) {
    int64_t N = 2, C = 5, S = 37;
    float *x = rand_buf(N * C * S), *y = rand_buf(N * C * S), *sc = rand_buf(C), *b = rand_buf(C);
    float *mean = rand_buf(C), *var = rand_buf(C);
    for (int64_t c = 0; c < C; c++)
        var[c] = fabsf(var[c]) + 0.01f;
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    ASSERT_OK(vrt__batchnorm(tp, N, C, S, x, sc, b, mean, var, 1e-3f, y));
    for (int64_t i = 0; i < N * C * S; i++) {
        int64_t c = (i / S) % C;
        double want = (x[i] - mean[c]) / sqrt(var[c] + 1e-3) * sc[c] + b[c];
        ASSERT_NEAR(y[i], want, 1e-5 * (1 + fabs(want)));
    }
    /* In place. */
    memcpy(y, x, (size_t)(N * C * S) * sizeof(float));
    float *y2 = rand_buf(N * C * S);
    ASSERT_OK(vrt__batchnorm(NULL, N, C, S, x, sc, b, mean, var, 1e-3f, y2));
    ASSERT_OK(vrt__batchnorm(NULL, N, C, S, y, sc, b, mean, var, 1e-3f, y));
    ASSERT_TRUE(memcmp(y, y2, (size_t)(N * C * S) * sizeof(float)) == 0);
    vrt__threadpool_destroy(&tp);
    vrt_free(x), vrt_free(y), vrt_free(y2), vrt_free(sc), vrt_free(b), vrt_free(mean), vrt_free(var);
}

TEST(instancenorm) {
    int64_t N = 3, C = 4, S = 1001;
    float *x = rand_buf(N * C * S), *y = rand_buf(N * C * S), *sc = rand_buf(C), *b = rand_buf(C);
    for (int64_t i = 0; i < N * C * S; i++)
        x[i] = x[i] * 3 + 100; /* large mean: needs care */
    ASSERT_OK(vrt__instancenorm(NULL, N, C, S, x, sc, b, 1e-5f, y));
    for (int64_t p = 0; p < N * C; p++) {
        double m = 0, v = 0;
        for (int64_t i = 0; i < S; i++)
            m += x[p * S + i];
        m /= S;
        for (int64_t i = 0; i < S; i++)
            v += (x[p * S + i] - m) * (x[p * S + i] - m);
        v /= S;
        int64_t c = p % C;
        for (int64_t i = 0; i < S; i++) {
            double want = (x[p * S + i] - m) / sqrt(v + 1e-5) * sc[c] + b[c];
            ASSERT_NEAR(y[p * S + i], want, 1e-4 * (1 + fabs(want)));
        }
    }
    vrt_free(x), vrt_free(y), vrt_free(sc), vrt_free(b);
}

TEST(layernorm_axes) {
    vrt__shape s = {3, {2, 3, 8}};
    int64_t outer, inner;
    ASSERT_OK(vrt__layernorm_split(&s, -1, &outer, &inner));
    ASSERT_EQ(outer, 6);
    ASSERT_EQ(inner, 8);
    ASSERT_OK(vrt__layernorm_split(&s, 1, &outer, &inner));
    ASSERT_EQ(outer, 2);
    ASSERT_EQ(inner, 24);
    ASSERT_STATUS(vrt__layernorm_split(&s, 3, &outer, &inner), VRT_EINVAL);
    ASSERT_STATUS(vrt__layernorm_split(&s, -4, &outer, &inner), VRT_EINVAL);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        float *x = rand_buf(outer * inner), *y = rand_buf(outer * inner), *sc = rand_buf(inner);
        float *b = with_bias ? rand_buf(inner) : NULL, mean[2], istd[2];
        ASSERT_OK(vrt__layernorm(NULL, outer, inner, x, sc, b, 1e-5f, y, mean, istd));
        for (int64_t r = 0; r < outer; r++) {
            double m = 0, v = 0;
            for (int64_t i = 0; i < inner; i++)
                m += x[r * inner + i];
            m /= inner;
            for (int64_t i = 0; i < inner; i++)
                v += pow(x[r * inner + i] - m, 2);
            v /= inner;
            ASSERT_NEAR(mean[r], m, 1e-6);
            ASSERT_NEAR(istd[r], 1 / sqrt(v + 1e-5), 1e-5);
            for (int64_t i = 0; i < inner; i++) {
                double want = (x[r * inner + i] - m) / sqrt(v + 1e-5) * sc[i] + (b ? b[i] : 0);
                ASSERT_NEAR(y[r * inner + i], want, 1e-5 * (1 + fabs(want)));
            }
        }
        vrt_free(x), vrt_free(y), vrt_free(sc), vrt_free(b);
    }
}

int main(void) {
    VRT_RUN(batchnorm_inference);
    VRT_RUN(instancenorm);
    VRT_RUN(layernorm_axes);
    return vrt_test_finish();
}
