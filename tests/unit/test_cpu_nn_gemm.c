/* SGEMM (own kernel and OpenBLAS), ONNX Gemm and MatMul against naive loops. */
#include <math.h>

#include "engine/backend/cpu/kernels_nn.h"
#include "harness.h"
#include "vrt/core.h"

static uint64_t g_rng = 88172645463325252ull;
static float frand(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (float)((g_rng >> 40) & 0xffffff) / 8388608.0f - 1.0f; /* [-1, 1) */
}
static float *rand_buf(int64_t n) {
    float *p = vrt_malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        p[i] = frand();
    return p;
}

/* Compares with a tolerance relative to sum |a_ik * b_kj| (what rounding can touch). */
static void expect_close(const float *got, const double *want, const double *mag, int64_t n,
                         const char *what) {
    for (int64_t i = 0; i < n; i++) {
        double tol = 1e-5 * (mag ? mag[i] : fabs(want[i])) + 1e-5;
        if (!(fabs(got[i] - want[i]) <= tol)) {
            vrt_test_fail(__FILE__, __LINE__, "%s: element %lld: %.7g vs %.7g", what, (long long)i, got[i],
                          want[i]);
            return;
        }
    }
}

typedef void (*sgemm_fn)(vrt__threadpool *, int, int, int64_t, int64_t, int64_t, float, const float *,
                         int64_t, const float *, int64_t, float, float *, int64_t);

static void check_sgemm(sgemm_fn fn, vrt__threadpool *tp, int ta, int tb, int64_t M, int64_t N, int64_t K,
                        float alpha, float beta, int64_t pad) {
    int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
    float *A = rand_buf((ta ? K : M) * lda), *B = rand_buf((tb ? N : K) * ldb);
    float *C = rand_buf(M * ldc), *C1 = rand_buf(M * ldc);
    double *want = vrt_malloc((size_t)(M * N + 1) * sizeof(double));
    double *mag = vrt_malloc((size_t)(M * N + 1) * sizeof(double));
    if (beta == 0.0f)
        for (int64_t i = 0; i < M * ldc; i++)
            C[i] = NAN; /* beta 0 must ignore C */
    memcpy(C1, C, (size_t)(M * ldc) * sizeof(float));
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0, m = 0;
            for (int64_t k = 0; k < K; k++) {
                double a = ta ? A[k * lda + i] : A[i * lda + k];
                double b = tb ? B[j * ldb + k] : B[k * ldb + j];
                s += a * b;
                m += fabs(a * b);
            }
            double c = beta == 0.0f ? 0.0 : beta * (double)C[i * ldc + j];
            want[i * N + j] = alpha * s + c;
            mag[i * N + j] = fabs(alpha) * m + fabs(c);
        }
    fn(tp, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
    float *got = vrt_malloc((size_t)(M * N + 1) * sizeof(float));
    for (int64_t i = 0; i < M; i++)
        memcpy(got + i * N, C1 + i * ldc, (size_t)N * sizeof(float));
    char what[128];
    snprintf(what, sizeof(what), "sgemm ta=%d tb=%d M=%lld N=%lld K=%lld a=%g b=%g", ta, tb, (long long)M,
             (long long)N, (long long)K, alpha, beta);
    expect_close(got, want, mag, M * N, what);
    /* Padding columns of C untouched. */
    for (int64_t i = 0; i < M && pad; i++)
        for (int64_t j = N; j < ldc; j++) {
            float a = C[i * ldc + j], b = C1[i * ldc + j];
            ASSERT_TRUE(memcmp(&a, &b, sizeof(float)) == 0);
        }
    vrt_free(A);
    vrt_free(B);
    vrt_free(C);
    vrt_free(C1);
    vrt_free(want);
    vrt_free(mag);
    vrt_free(got);
}

static const int64_t g_sizes[][3] = {{1, 1, 1},    {7, 5, 3},     {6, 16, 256}, {13, 33, 257},
                                     {73, 17, 9},  {100, 3, 600}, {2, 300, 31}, {150, 260, 70},
                                     {5, 1, 1000}, {1, 129, 64}};

static void run_sgemm_suite(sgemm_fn fn, vrt__threadpool *tp) {
    for (size_t s = 0; s < sizeof(g_sizes) / sizeof(g_sizes[0]); s++)
        for (int t = 0; t < 4; t++) {
            float alpha = (s % 3 == 0) ? 1.0f : 0.75f;
            float beta = (s % 3 == 1) ? 0.0f : (s % 3 == 2 ? -0.5f : 1.0f);
            check_sgemm(fn, tp, t & 1, t >> 1, g_sizes[s][0], g_sizes[s][1], g_sizes[s][2], alpha, beta,
                        (int64_t)(s % 2) * 3);
        }
    check_sgemm(fn, tp, 0, 0, 4, 5, 0, 1.0f, 0.5f, 0); /* K = 0: C = beta*C */
    check_sgemm(fn, tp, 1, 0, 9, 7, 12, 0.0f, 2.0f, 1);
}

TEST(own_sgemm_matches_naive) {
    run_sgemm_suite(vrt__sgemm_own, NULL);
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 3));
    run_sgemm_suite(vrt__sgemm_own, tp);
    vrt__threadpool_destroy(&tp);
}

TEST(blas_sgemm_matches_naive) {
    if (!vrt__sgemm_uses_blas()) SKIP("built without OpenBLAS");
    run_sgemm_suite(vrt__sgemm, NULL);
}

TEST(own_sgemm_threaded_is_bit_identical) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 4));
    int64_t M = 97, N = 301, K = 515;
    float *A = rand_buf(M * K), *B = rand_buf(K * N), *C1 = rand_buf(M * N), *C2 = rand_buf(M * N);
    vrt__sgemm_own(NULL, 0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C1, N);
    vrt__sgemm_own(tp, 0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C2, N);
    ASSERT_TRUE(memcmp(C1, C2, (size_t)(M * N) * sizeof(float)) == 0);
    vrt_free(A);
    vrt_free(B);
    vrt_free(C1);
    vrt_free(C2);
    vrt__threadpool_destroy(&tp);
}

TEST(sgemm_speed_report) {
    /* Not a timed test: prints GFLOP/s for the report, asserts nothing about speed. */
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 0));
    int64_t n = 256;
    float *A = rand_buf(n * n), *B = rand_buf(n * n), *C = rand_buf(n * n);
    for (int path = 0; path < 2; path++) {
        sgemm_fn fn = path ? vrt__sgemm : vrt__sgemm_own;
        if (path && !vrt__sgemm_uses_blas()) break;
        fn(tp, 0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
        int reps = 20;
        int64_t t0 = vrt_now_ns();
        for (int r = 0; r < reps; r++)
            fn(tp, 0, 0, n, n, n, 1.0f, A, n, B, n, 0.0f, C, n);
        double s = (double)(vrt_now_ns() - t0) * 1e-9;
        printf("sgemm %s 256^3, %d threads: %.1f GFLOP/s\n", path ? "openblas" : "own",
               vrt__threadpool_size(tp), 2.0 * n * n * n * reps / s * 1e-9);
    }
    vrt_free(A);
    vrt_free(B);
    vrt_free(C);
    vrt__threadpool_destroy(&tp);
}

TEST(onnx_gemm_broadcasts_c) {
    int64_t M = 5, N = 7, K = 11;
    vrt__shape cshapes[] = {{0, {0}}, {1, {1}}, {1, {7}}, {2, {5, 1}}, {2, {1, 7}}, {2, {5, 7}}, {2, {1, 1}}};
    for (int ta = 0; ta < 2; ta++)
        for (size_t ci = 0; ci < sizeof(cshapes) / sizeof(cshapes[0]); ci++) {
            vrt__gemm_params p;
            vrt__gemm_default_params(&p);
            ASSERT_NEAR(p.alpha, 1.0, 0);
            ASSERT_NEAR(p.beta, 1.0, 0);
            p.M = M, p.N = N, p.K = K, p.trans_a = ta, p.trans_b = !ta;
            p.alpha = 0.5f, p.beta = 2.0f, p.c_shape = cshapes[ci];
            p.act.kind = ci == 3 ? VRT__ACT_RELU : VRT__ACT_NONE;
            float *A = rand_buf(M * K), *B = rand_buf(K * N), *C = rand_buf(M * N);
            float Y[35];
            double want[35];
            ASSERT_OK(vrt__gemm(NULL, &p, A, B, C, Y));
            const vrt__shape *cs = &cshapes[ci];
            for (int64_t i = 0; i < M; i++)
                for (int64_t j = 0; j < N; j++) {
                    double s = 0;
                    for (int64_t k = 0; k < K; k++)
                        s += (double)(ta ? A[k * M + i] : A[i * K + k]) * (!ta ? B[j * K + k] : B[k * N + j]);
                    int64_t ci_ = 0;
                    if (cs->ndim == 1) ci_ = cs->d[0] == 1 ? 0 : j;
                    if (cs->ndim == 2) ci_ = (cs->d[0] == 1 ? 0 : i) * cs->d[1] + (cs->d[1] == 1 ? 0 : j);
                    double v = 0.5 * s + 2.0 * C[ci_];
                    if (p.act.kind == VRT__ACT_RELU && v < 0) v = 0;
                    want[i * N + j] = v;
                }
            expect_close(Y, want, NULL, M * N, "Gemm");
            /* No C input. */
            if (ci == 0) { /* no C input: Y = alpha*A*B (scalar C here, no activation) */
                ASSERT_OK(vrt__gemm(NULL, &p, A, B, NULL, Y));
                for (int64_t i = 0; i < M * N; i++)
                    ASSERT_NEAR(Y[i], want[i] - 2.0 * C[0], 1e-4);
            }
            vrt_free(A);
            vrt_free(B);
            vrt_free(C);
        }
    vrt__gemm_params p;
    vrt__gemm_default_params(&p);
    p.M = 2, p.N = 3, p.K = 4;
    p.c_shape = (vrt__shape){1, {2}}; /* 2 cannot broadcast to N=3 */
    float A[8] = {0}, B[12] = {0}, C[2] = {0}, Y[6];
    ASSERT_STATUS(vrt__gemm(NULL, &p, A, B, C, Y), VRT_EINVAL);
}

static void check_matmul(vrt__shape a, vrt__shape b, const vrt__shape *want_shape) {
    vrt__shape o;
    ASSERT_OK(vrt__matmul_shape(&a, &b, &o));
    ASSERT_EQ(o.ndim, want_shape->ndim);
    for (int i = 0; i < o.ndim; i++)
        ASSERT_EQ(o.d[i], want_shape->d[i]);
    float *A = rand_buf(vrt__shape_numel(&a)), *B = rand_buf(vrt__shape_numel(&b));
    int64_t on = vrt__shape_numel(&o);
    float *Y = vrt_malloc((size_t)on * sizeof(float));
    double *want = vrt_malloc((size_t)on * sizeof(double));
    /* Reference: numpy semantics over a full index of the output. */
    vrt__shape a2 = a, b2 = b;
    if (a.ndim == 1) a2 = (vrt__shape){2, {1, a.d[0]}};
    if (b.ndim == 1) b2 = (vrt__shape){2, {b.d[0], 1}};
    int nb = (a2.ndim > b2.ndim ? a2.ndim : b2.ndim) - 2;
    int64_t M = a2.d[a2.ndim - 2], K = a2.d[a2.ndim - 1], N = b2.d[b2.ndim - 1];
    int64_t nbatch = on / (M * N);
    for (int64_t t = 0; t < nbatch; t++) {
        int64_t idx[8] = {0}, rem = t;
        int64_t bd[8] = {0};
        for (int i = 0; i < nb; i++) {
            int ia = i - (nb - (a2.ndim - 2)), ib = i - (nb - (b2.ndim - 2));
            int64_t da = ia >= 0 ? a2.d[ia] : 1, db = ib >= 0 ? b2.d[ib] : 1;
            bd[i] = da > db ? da : db;
        }
        for (int i = nb - 1; i >= 0; i--) {
            idx[i] = rem % bd[i];
            rem /= bd[i];
        }
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < nb; i++) {
            int ia = i - (nb - (a2.ndim - 2)), ib = i - (nb - (b2.ndim - 2));
            if (ia >= 0) oa = oa * a2.d[ia] + (a2.d[ia] == 1 ? 0 : idx[i]);
            if (ib >= 0) ob = ob * b2.d[ib] + (b2.d[ib] == 1 ? 0 : idx[i]);
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t k = 0; k < K; k++)
                    s += (double)A[oa * M * K + i * K + k] * B[ob * K * N + k * N + j];
                want[t * M * N + i * N + j] = s;
            }
    }
    ASSERT_OK(vrt__matmul(NULL, &a, A, &b, B, Y));
    expect_close(Y, want, NULL, on, "MatMul");
    vrt_free(A);
    vrt_free(B);
    vrt_free(Y);
    vrt_free(want);
}

TEST(matmul_batched_broadcast_and_1d) {
    check_matmul((vrt__shape){2, {3, 4}}, (vrt__shape){2, {4, 5}}, &(vrt__shape){2, {3, 5}});
    check_matmul((vrt__shape){1, {4}}, (vrt__shape){2, {4, 5}}, &(vrt__shape){1, {5}});
    check_matmul((vrt__shape){2, {3, 4}}, (vrt__shape){1, {4}}, &(vrt__shape){1, {3}});
    check_matmul((vrt__shape){1, {6}}, (vrt__shape){1, {6}}, &(vrt__shape){0, {0}});
    check_matmul((vrt__shape){3, {2, 3, 4}}, (vrt__shape){2, {4, 5}}, &(vrt__shape){3, {2, 3, 5}});
    check_matmul((vrt__shape){4, {2, 1, 3, 4}}, (vrt__shape){3, {5, 4, 6}}, &(vrt__shape){4, {2, 5, 3, 6}});
    check_matmul((vrt__shape){1, {4}}, (vrt__shape){3, {3, 4, 2}}, &(vrt__shape){2, {3, 2}});
    check_matmul((vrt__shape){3, {3, 7, 4}}, (vrt__shape){1, {4}}, &(vrt__shape){2, {3, 7}});
    vrt__shape o;
    ASSERT_STATUS(vrt__matmul_shape(&(vrt__shape){2, {3, 4}}, &(vrt__shape){2, {5, 6}}, &o), VRT_EINVAL);
    ASSERT_STATUS(vrt__matmul_shape(&(vrt__shape){3, {2, 3, 4}}, &(vrt__shape){3, {3, 4, 6}}, &o),
                  VRT_EINVAL);
}

int main(void) {
    VRT_RUN(own_sgemm_matches_naive);
    VRT_RUN(blas_sgemm_matches_naive);
    VRT_RUN(own_sgemm_threaded_is_bit_identical);
    VRT_RUN(sgemm_speed_report);
    VRT_RUN(onnx_gemm_broadcasts_c);
    VRT_RUN(matmul_batched_broadcast_and_1d);
    return vrt_test_finish();
}
