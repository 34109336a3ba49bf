/* Reductions, Softmax, ArgMax and TopK against naive references. */
#include "engine/backend/cpu/kernels_tensor.h"
#include "harness.h"
#include "vrt/core.h"

static uint64_t g_rng = 0x1234567887654321ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 11);
}
static float rndf(float lo, float hi) {
    return lo + (hi - lo) * (float)(rnd() % 1000001) / 1000000.0f;
}

static vrt__shape shp(int nd, const int64_t *d) {
    vrt__shape s;
    memset(&s, 0, sizeof(s));
    s.ndim = nd;
    for (int i = 0; i < nd; i++)
        s.d[i] = d[i];
    return s;
}

/* Naive reduce: every input element adds into the output cell it maps to. */
static void ref_reduce(vrt__reduce_op op, const float *x, const vrt__shape *sx, const int *red, double *out,
                       int64_t *cnt, int64_t nout) {
    for (int64_t o = 0; o < nout; o++) {
        cnt[o] = 0;
        out[o] = op == VRT__RED_MAX ? -INFINITY : op == VRT__RED_MIN ? INFINITY : op == VRT__RED_PROD ? 1 : 0;
    }
    int64_t n = vrt__shape_numel(sx);
    for (int64_t i = 0; i < n; i++) {
        int64_t c[8], r = i, o = 0;
        for (int k = sx->ndim - 1; k >= 0; k--) {
            c[k] = r % sx->d[k];
            r /= sx->d[k];
        }
        for (int k = 0; k < sx->ndim; k++)
            if (!red[k]) o = o * sx->d[k] + c[k];
        double v = x[i];
        cnt[o]++;
        switch (op) {
        case VRT__RED_MAX: out[o] = fmax(out[o], v); break;
        case VRT__RED_MIN: out[o] = fmin(out[o], v); break;
        case VRT__RED_PROD: out[o] *= v; break;
        case VRT__RED_L1: out[o] += fabs(v); break;
        case VRT__RED_L2:
        case VRT__RED_SUM_SQUARE: out[o] += v * v; break;
        case VRT__RED_LOG_SUM_EXP: out[o] += exp(v); break;
        default: out[o] += v; break;
        }
    }
    for (int64_t o = 0; o < nout; o++) {
        if (op == VRT__RED_MEAN) out[o] /= (double)cnt[o];
        if (op == VRT__RED_L2) out[o] = sqrt(out[o]);
        if (op == VRT__RED_LOG_SUM_EXP) out[o] = log(out[o]);
    }
}

TEST(reduce_all_ops_axes_keepdims) {
    static float x[2 * 3 * 4 * 5], y[120];
    static double ref[120];
    static int64_t cnt[120];
    vrt__shape sx = shp(4, (int64_t[]){2, 3, 4, 5});
    for (int i = 0; i < 120; i++)
        x[i] = rndf(0.5f, 1.5f) * (rnd() & 1 ? 1 : -1);
    /* every subset of axes, both keepdims */
    for (int mask = 0; mask < 16; mask++) {
        for (int keep = 0; keep < 2; keep++) {
            for (int op = 0; op < VRT__RED_COUNT; op++) {
                vrt__reduce_params p;
                vrt__reduce_default_params((vrt__reduce_op)op, &p);
                p.keepdims = keep;
                int red[4] = {0};
                for (int a = 0; a < 4; a++) {
                    if (mask & (1 << a)) {
                        /* alternate negative and positive spellings */
                        p.axes[p.naxes++] = (a & 1) ? a - 4 : a;
                        red[a] = 1;
                    }
                }
                if (mask == 0)
                    for (int a = 0; a < 4; a++)
                        red[a] = 1; /* empty axes: reduce all */
                vrt__shape sy;
                ASSERT_OK(vrt__reduce_out_shape(&p, &sx, &sy));
                int64_t nout = vrt__shape_numel(&sy), want_n = 1;
                int want_nd = 0;
                for (int a = 0; a < 4; a++) {
                    if (!red[a]) want_n *= sx.d[a];
                    want_nd += keep || !red[a];
                }
                ASSERT_EQ(nout, want_n);
                ASSERT_EQ(sy.ndim, want_nd);
                ASSERT_OK(vrt__cpu_reduce_f32(NULL, &p, x, &sx, y));
                ref_reduce((vrt__reduce_op)op, x, &sx, red, ref, cnt, nout);
                for (int64_t o = 0; o < nout; o++)
                    if (!(fabs(y[o] - ref[o]) <= 1e-5 * fmax(1, fabs(ref[o]))))
                        vrt_test_fail(__FILE__, __LINE__, "op %d mask %d keep %d out %lld: %.8g vs %.8g", op,
                                      mask, keep, (long long)o, y[o], ref[o]);
            }
        }
    }
}

TEST(reduce_noop_empty_axes_and_errors) {
    float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {0};
    vrt__shape sx = shp(2, (int64_t[]){2, 3}), sy;
    vrt__reduce_params p;
    vrt__reduce_default_params(VRT__RED_SUM, &p);
    p.noop_with_empty_axes = 1;
    ASSERT_OK(vrt__reduce_out_shape(&p, &sx, &sy));
    ASSERT_EQ(sy.ndim, 2);
    ASSERT_EQ(sy.d[1], 3);
    ASSERT_OK(vrt__cpu_reduce_f32(NULL, &p, x, &sx, y));
    ASSERT_TRUE(memcmp(x, y, sizeof(x)) == 0);
    p.naxes = 2;
    p.axes[0] = 1;
    p.axes[1] = -1; /* duplicate */
    ASSERT_STATUS(vrt__reduce_out_shape(&p, &sx, &sy), VRT_EINVAL);
    p.axes[1] = 2;
    ASSERT_STATUS(vrt__cpu_reduce_f32(NULL, &p, x, &sx, y), VRT_EINVAL);
    /* a big mean on the pool equals the serial one */
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    static float big[8 * 32 * 32 * 32], y1[256], y2[256];
    for (size_t i = 0; i < sizeof(big) / 4; i++)
        big[i] = rndf(-1, 1);
    vrt__shape sb = shp(4, (int64_t[]){8, 32, 32, 32});
    vrt__reduce_default_params(VRT__RED_MEAN, &p);
    p.naxes = 2;
    p.axes[0] = 2;
    p.axes[1] = 3;
    ASSERT_OK(vrt__cpu_reduce_f32(NULL, &p, big, &sb, y1));
    ASSERT_OK(vrt__cpu_reduce_f32(tp, &p, big, &sb, y2));
    ASSERT_TRUE(memcmp(y1, y2, sizeof(y1)) == 0);
    double s = 0;
    for (int i = 0; i < 1024; i++)
        s += big[5 * 1024 + i];
    ASSERT_NEAR(y1[5], s / 1024, 1e-6);
    vrt__threadpool_destroy(&tp);
}

static void ref_softmax(const float *x, double *y, int64_t outer, int64_t n, int64_t inner, int lg) {
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            double m = -INFINITY, s = 0;
            for (int64_t i = 0; i < n; i++)
                m = fmax(m, x[(o * n + i) * inner + in]);
            for (int64_t i = 0; i < n; i++)
                s += exp(x[(o * n + i) * inner + in] - m);
            for (int64_t i = 0; i < n; i++) {
                double v = x[(o * n + i) * inner + in] - m;
                y[(o * n + i) * inner + in] = lg ? v - log(s) : exp(v) / s;
            }
        }
}

TEST(softmax_single_axis_and_legacy_2d) {
    static float x[2 * 3 * 4 * 5], y[120];
    static double ref[120];
    vrt__shape sx = shp(4, (int64_t[]){2, 3, 4, 5});
    for (int i = 0; i < 120; i++)
        x[i] = rndf(-20, 20);
    x[7] = 1000; /* overflow guard */
    for (int lg = 0; lg < 2; lg++) {
        for (int axis = -4; axis < 4; axis++) {
            int a = axis < 0 ? axis + 4 : axis;
            int64_t outer = 1, n = sx.d[a], inner = 1, coerced = 1;
            for (int i = 0; i < a; i++)
                outer *= sx.d[i];
            for (int i = a + 1; i < 4; i++)
                inner *= sx.d[i];
            for (int i = a; i < 4; i++)
                coerced *= sx.d[i];
            for (int legacy = 0; legacy < 2; legacy++) {
                vrt__softmax_params p = {axis, legacy, lg};
                ASSERT_OK(vrt__cpu_softmax_f32(NULL, &p, x, &sx, y));
                if (legacy)
                    ref_softmax(x, ref, outer, coerced, 1, lg);
                else
                    ref_softmax(x, ref, outer, n, inner, lg);
                for (int i = 0; i < 120; i++)
                    if (!(fabs(y[i] - ref[i]) <= 1e-5 * fmax(1, fabs(ref[i]))))
                        vrt_test_fail(__FILE__, __LINE__, "axis %d legacy %d log %d elem %d: %g vs %g", axis,
                                      legacy, lg, i, y[i], ref[i]);
            }
        }
    }
    /* the two semantics differ unless the axis is the last one */
    vrt__softmax_params a = {1, 0, 0}, b = {1, 1, 0};
    static float ya[120], yb[120];
    ASSERT_OK(vrt__cpu_softmax_f32(NULL, &a, x, &sx, ya));
    ASSERT_OK(vrt__cpu_softmax_f32(NULL, &b, x, &sx, yb));
    ASSERT_TRUE(memcmp(ya, yb, sizeof(ya)) != 0);
    vrt__softmax_params bad = {4, 0, 0};
    ASSERT_STATUS(vrt__cpu_softmax_f32(NULL, &bad, x, &sx, y), VRT_EINVAL);
}

TEST(argmax_argmin_ties_and_last_index) {
    /* [2,4] with ties */
    float x[8] = {1, 5, 5, 0, 3, 3, -1, 3};
    int64_t y[4];
    vrt__shape sx = shp(2, (int64_t[]){2, 4}), sy;
    vrt__argmax_params p = {1, 1, 0, 0};
    ASSERT_OK(vrt__argmax_out_shape(&p, &sx, &sy));
    ASSERT_EQ(sy.ndim, 2);
    ASSERT_EQ(sy.d[1], 1);
    ASSERT_OK(vrt__cpu_argmax_f32(&p, x, &sx, y));
    ASSERT_EQ(y[0], 1);
    ASSERT_EQ(y[1], 0);
    p.select_last_index = 1;
    ASSERT_OK(vrt__cpu_argmax_f32(&p, x, &sx, y));
    ASSERT_EQ(y[0], 2);
    ASSERT_EQ(y[1], 3);
    p.is_min = 1;
    p.select_last_index = 0;
    ASSERT_OK(vrt__cpu_argmax_f32(&p, x, &sx, y));
    ASSERT_EQ(y[0], 3);
    ASSERT_EQ(y[1], 2);
    vrt__argmax_params q = {0, 0, 0, 0};
    ASSERT_OK(vrt__argmax_out_shape(&q, &sx, &sy));
    ASSERT_EQ(sy.ndim, 1);
    ASSERT_EQ(sy.d[0], 4);
    ASSERT_OK(vrt__cpu_argmax_f32(&q, x, &sx, y));
    ASSERT_EQ(y[0], 1);
    ASSERT_EQ(y[1], 0);
    ASSERT_EQ(y[2], 0);
    ASSERT_EQ(y[3], 1);
}

/* Naive TopK: k rounds of "best not yet taken", lower index on ties. */
static void ref_topk(const float *v, int64_t n, int64_t stride, int64_t k, int largest, int64_t *idx) {
    uint8_t taken[64] = {0};
    for (int64_t r = 0; r < k; r++) {
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++) {
            if (taken[i]) continue;
            if (best < 0) {
                best = i;
                continue;
            }
            float a = v[i * stride], b = v[best * stride];
            if (largest ? a > b : a < b) best = i;
        }
        taken[best] = 1;
        idx[r] = best;
    }
}

TEST(topk_matches_naive_selection_with_ties) {
    static float x[3 * 17 * 4], vals[3 * 17 * 4];
    static int64_t idx[3 * 17 * 4], ridx[17];
    vrt__shape sx = shp(3, (int64_t[]){3, 17, 4});
    for (int i = 0; i < 204; i++)
        x[i] = (float)(rnd() % 6); /* many ties */
    int64_t scratch[17];
    for (int largest = 0; largest < 2; largest++) {
        for (int64_t k = 0; k <= 17; k += (k < 3 ? 1 : 7)) {
            vrt__topk_params p = {k, 1, largest, 1};
            vrt__shape sy;
            ASSERT_OK(vrt__topk_out_shape(&p, &sx, &sy));
            ASSERT_EQ(sy.d[1], k);
            ASSERT_TRUE(vrt__topk_scratch_bytes(&p, &sx) <= sizeof(scratch));
            ASSERT_OK(vrt__cpu_topk_f32(&p, x, &sx, vals, idx, scratch));
            for (int o = 0; o < 3; o++)
                for (int in = 0; in < 4; in++) {
                    ref_topk(x + o * 68 + in, 17, 4, k, largest, ridx);
                    for (int64_t r = 0; r < k; r++) {
                        int64_t at = (o * k + r) * 4 + in;
                        if (idx[at] != ridx[r])
                            vrt_test_fail(__FILE__, __LINE__,
                                          "largest %d k %lld lane %d/%d rank %lld: %lld vs %lld", largest,
                                          (long long)k, o, in, (long long)r, (long long)idx[at],
                                          (long long)ridx[r]);
                        ASSERT_NEAR(vals[at], x[o * 68 + ridx[r] * 4 + in], 0);
                    }
                }
        }
    }
    /* ONNX's example: top 3 of each row */
    float e[12] = {0, 1, 2, 3, 4, 5, 6, 7, 11, 10, 9, 8}, ev[9];
    int64_t ei[9];
    vrt__shape se = shp(2, (int64_t[]){3, 4});
    vrt__topk_params p = {3, -1, 1, 1};
    ASSERT_OK(vrt__cpu_topk_f32(&p, e, &se, ev, ei, scratch));
    const int64_t want[9] = {3, 2, 1, 3, 2, 1, 0, 1, 2};
    for (int i = 0; i < 9; i++)
        ASSERT_EQ(ei[i], want[i]);
    ASSERT_NEAR(ev[6], 11, 0);
    p.k = 5;
    ASSERT_STATUS(vrt__cpu_topk_f32(&p, e, &se, ev, ei, scratch), VRT_EINVAL);
}

int main(void) {
    VRT_RUN(reduce_all_ops_axes_keepdims);
    VRT_RUN(reduce_noop_empty_axes_and_errors);
    VRT_RUN(softmax_single_axis_and_legacy_2d);
    VRT_RUN(argmax_argmin_ties_and_last_index);
    VRT_RUN(topk_matches_naive_selection_with_ties);
    return vrt_test_finish();
}
