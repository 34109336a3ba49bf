/* Element-wise CPU kernels against naive references written per coordinate. */
#include "engine/backend/cpu/kernels_tensor.h"
#include "harness.h"
#include "vrt/core.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
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

/* Offset in a (right-aligned, broadcast) input for an output coordinate. */
static int64_t bcast_off(const vrt__shape *in, const vrt__shape *out, const int64_t *oc) {
    int64_t off = 0;
    for (int i = 0; i < in->ndim; i++) {
        int oi = i + (out->ndim - in->ndim);
        int64_t c = in->d[i] == 1 ? 0 : oc[oi];
        off = off * in->d[i] + c;
    }
    return off;
}
static void coord_of(const vrt__shape *s, int64_t flat, int64_t *c) {
    for (int i = s->ndim - 1; i >= 0; i--) {
        c[i] = flat % s->d[i];
        flat /= s->d[i];
    }
}

TEST(unary_ops_match_their_definitions) {
    float x[64], y[64];
    for (int i = 0; i < 64; i++)
        x[i] = rndf(-6.0f, 6.0f);
    x[0] = 0.0f;
    x[1] = -3.0f;
    x[2] = 3.0f;
    for (int op = 0; op < VRT__UN_COUNT; op++) {
        vrt__unary_params p;
        vrt__unary_default_params((vrt__unary_op)op, &p);
        if (op == VRT__UN_CLIP) {
            p.min = -1.5f;
            p.max = 2.0f;
        }
        if (op == VRT__UN_POW_SCALAR) p.alpha = 3.0f;
        ASSERT_OK(vrt__cpu_unary_f32(NULL, &p, x, y, 64));
        for (int i = 0; i < 64; i++) {
            double v = x[i], r;
            switch (op) {
            case VRT__UN_IDENTITY: r = v; break;
            case VRT__UN_RELU: r = v > 0 ? v : 0; break;
            case VRT__UN_LEAKY_RELU: r = v >= 0 ? v : 0.01 * v; break;
            case VRT__UN_SIGMOID: r = 1 / (1 + exp(-v)); break;
            case VRT__UN_TANH: r = tanh(v); break;
            case VRT__UN_HARD_SIGMOID: r = fmax(0, fmin(1, 0.2 * v + 0.5)); break;
            case VRT__UN_HARD_SWISH: r = v * fmax(0, fmin(1, v / 6 + 0.5)); break;
            case VRT__UN_CLIP: r = fmin(2.0, fmax(-1.5, v)); break;
            case VRT__UN_ERF: r = erf(v); break;
            case VRT__UN_EXP: r = exp(v); break;
            case VRT__UN_LOG: r = log(v); break;
            case VRT__UN_SQRT: r = sqrt(v); break;
            case VRT__UN_NEG: r = -v; break;
            case VRT__UN_ABS: r = fabs(v); break;
            case VRT__UN_RECIPROCAL: r = 1 / v; break;
            case VRT__UN_SILU: r = v / (1 + exp(-v)); break;
            case VRT__UN_POW_SCALAR: r = v * v * v; break;
            case VRT__UN_FLOOR: r = floor(v); break;
            case VRT__UN_CEIL: r = ceil(v); break;
            case VRT__UN_ELU: r = v >= 0 ? v : exp(v) - 1; break;
            case VRT__UN_SOFTPLUS: r = log(1 + exp(v)); break;
            case VRT__UN_MISH: r = v * tanh(log(1 + exp(v))); break;
            case VRT__UN_GELU: r = 0.5 * v * (1 + erf(v / sqrt(2.0))); break;
            case VRT__UN_GELU_TANH:
                r = 0.5 * v * (1 + tanh(sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
                break;
            case VRT__UN_SIN: r = sin(v); break;
            case VRT__UN_COS: r = cos(v); break;
            default: r = NAN; break;
            }
            if (isnan(r)) {
                if (!isnan(y[i]))
                    vrt_test_fail(__FILE__, __LINE__, "%s(%g): %g, expected NaN", vrt__unary_name(op), v,
                                  y[i]);
                continue;
            }
            if (isinf(r)) {
                ASSERT_TRUE(isinf(y[i]) && (y[i] > 0) == (r > 0));
                continue;
            }
            if (!(fabs(y[i] - r) <= 1e-5 * fmax(1.0, fabs(r))))
                vrt_test_fail(__FILE__, __LINE__, "%s(%g): %.9g vs %.9g", vrt__unary_name(op), v, y[i], r);
        }
    }
    /* spec points */
    vrt__unary_params p;
    vrt__unary_default_params(VRT__UN_HARD_SWISH, &p);
    ASSERT_NEAR(vrt__unary_apply(&p, 3.0f), 3.0f, 0);
    ASSERT_NEAR(vrt__unary_apply(&p, -3.0f), 0.0f, 0);
    vrt__unary_default_params(VRT__UN_SIGMOID, &p);
    ASSERT_NEAR(vrt__unary_apply(&p, -200.0f), 0.0f, 1e-30);
    ASSERT_NEAR(vrt__unary_apply(&p, 200.0f), 1.0f, 0);
    ASSERT_STREQ(vrt__unary_name(VRT__UN_HARD_SIGMOID), "HardSigmoid");
    ASSERT_STATUS(vrt__cpu_unary_f32(NULL, &p, x, y, -1), VRT_EINVAL);
    p.op = VRT__UN_COUNT;
    ASSERT_STATUS(vrt__cpu_unary_f32(NULL, &p, x, y, 4), VRT_EUNSUPPORTED);
}

TEST(not_inverts_bools) {
    uint8_t a[4] = {0, 1, 1, 0}, b[4];
    ASSERT_OK(vrt__cpu_not(a, b, 4));
    ASSERT_EQ(b[0], 1);
    ASSERT_EQ(b[1], 0);
    ASSERT_EQ(b[3], 1);
}

/* Shapes that exercise every broadcasting pattern. */
static const struct {
    int na, nb;
    int64_t a[4], b[4];
} k_cases[] = {
    {4, 4, {2, 3, 4, 5}, {2, 3, 4, 5}},
    {4, 1, {2, 3, 4, 5}, {5}},
    {4, 4, {2, 3, 4, 5}, {1, 3, 1, 1}},
    {4, 0, {2, 3, 4, 5}, {0}},
    {2, 2, {4, 1}, {1, 6}},
    {3, 2, {3, 1, 5}, {4, 1}},
    {1, 4, {5}, {2, 3, 4, 5}},
    {4, 4, {1, 3, 1, 7}, {2, 1, 1, 7}},
    {3, 3, {2, 1, 3}, {2, 4, 1}},
};

static double ref_bin(vrt__binary_op op, double a, double b) {
    switch (op) {
    case VRT__BIN_ADD: return a + b;
    case VRT__BIN_SUB: return a - b;
    case VRT__BIN_MUL: return a * b;
    case VRT__BIN_DIV: return a / b;
    case VRT__BIN_MAX: return a > b ? a : b;
    case VRT__BIN_MIN: return a < b ? a : b;
    case VRT__BIN_POW: return pow(a, b);
    case VRT__BIN_PRELU: return a < 0 ? a * b : a;
    default: return fmod(a, b);
    }
}

TEST(binary_f32_broadcasts_like_numpy) {
    static float a[1024], b[1024], y[1024];
    for (size_t c = 0; c < sizeof(k_cases) / sizeof(k_cases[0]); c++) {
        vrt__shape sa = shp(k_cases[c].na, k_cases[c].a), sb = shp(k_cases[c].nb, k_cases[c].b), sy;
        ASSERT_OK(vrt__broadcast_shape(&sa, &sb, &sy));
        int64_t na = vrt__shape_numel(&sa), nb = vrt__shape_numel(&sb), ny = vrt__shape_numel(&sy);
        for (int64_t i = 0; i < na; i++)
            a[i] = rndf(0.5f, 3.0f) * (rnd() & 1 ? 1 : -1);
        for (int64_t i = 0; i < nb; i++)
            b[i] = rndf(0.5f, 2.0f);
        for (int op = 0; op < VRT__BIN_COUNT; op++) {
            ASSERT_OK(vrt__cpu_binary(NULL, (vrt__binary_op)op, VRT__DT_FLOAT, a, &sa, b, &sb, y, &sy));
            for (int64_t i = 0; i < ny; i++) {
                int64_t oc[8];
                coord_of(&sy, i, oc);
                double r =
                    ref_bin((vrt__binary_op)op, a[bcast_off(&sa, &sy, oc)], b[bcast_off(&sb, &sy, oc)]);
                if (!(fabs(y[i] - r) <= 1e-5 * fmax(1, fabs(r))) && !(isnan(r) && isnan(y[i])))
                    vrt_test_fail(__FILE__, __LINE__, "case %zu %s elem %lld: %g vs %g", c,
                                  vrt__binary_name(op), (long long)i, y[i], r);
            }
        }
    }
    vrt__shape s1 = shp(1, (int64_t[]){3}), s2 = shp(1, (int64_t[]){4}), so;
    ASSERT_STATUS(vrt__broadcast_shape(&s1, &s2, &so), VRT_EINVAL);
    ASSERT_STATUS(vrt__cpu_binary(NULL, VRT__BIN_ADD, VRT__DT_FLOAT, a, &s1, b, &s1, y, &s2), VRT_EINVAL);
    ASSERT_STATUS(vrt__cpu_binary(NULL, VRT__BIN_ADD, VRT__DT_UINT8, a, &s1, b, &s1, y, &s1),
                  VRT_EUNSUPPORTED);
}

TEST(binary_threaded_matches_serial_and_runs_in_place) {
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    int64_t da[4] = {2, 16, 64, 64}, db[4] = {1, 16, 1, 1};
    vrt__shape sa = shp(4, da), sb = shp(4, db);
    int64_t n = vrt__shape_numel(&sa);
    float *a = vrt_malloc((size_t)n * 4), *y1 = vrt_malloc((size_t)n * 4), *y2 = vrt_malloc((size_t)n * 4);
    float b[16];
    for (int64_t i = 0; i < n; i++)
        a[i] = rndf(-1, 1);
    for (int i = 0; i < 16; i++)
        b[i] = rndf(-1, 1);
    ASSERT_OK(vrt__cpu_binary(NULL, VRT__BIN_MUL, VRT__DT_FLOAT, a, &sa, b, &sb, y1, &sa));
    ASSERT_OK(vrt__cpu_binary(tp, VRT__BIN_MUL, VRT__DT_FLOAT, a, &sa, b, &sb, y2, &sa));
    ASSERT_TRUE(memcmp(y1, y2, (size_t)n * 4) == 0);
    for (int64_t i = 0; i < n; i += 997)
        ASSERT_NEAR(y1[i], a[i] * b[(i / 4096) % 16], 0);
    ASSERT_OK(vrt__cpu_binary(tp, VRT__BIN_MUL, VRT__DT_FLOAT, a, &sa, b, &sb, a, &sa)); /* in place */
    ASSERT_TRUE(memcmp(y1, a, (size_t)n * 4) == 0);
    vrt__unary_params p;
    vrt__unary_default_params(VRT__UN_SIGMOID, &p);
    ASSERT_OK(vrt__cpu_unary_f32(tp, &p, a, y2, n));
    for (int64_t i = 0; i < n; i += 1013)
        ASSERT_NEAR(y2[i], 1 / (1 + exp(-(double)a[i])), 1e-6);
    vrt_free(a);
    vrt_free(y1);
    vrt_free(y2);
    vrt__threadpool_destroy(&tp);
    ASSERT_TRUE(tp == NULL);
}

TEST(binary_int64_and_int32_semantics) {
    int64_t a[6] = {7, -7, 7, -7, INT64_MIN, 5}, b[6] = {2, 2, -2, -2, -1, 0}, y[6];
    vrt__shape s = shp(1, (int64_t[]){6});
    ASSERT_OK(vrt__cpu_binary(NULL, VRT__BIN_DIV, VRT__DT_INT64, a, &s, b, &s, y, &s));
    /* C/numpy-trunc semantics as ONNX's integer Div: toward zero */
    ASSERT_EQ(y[0], 3);
    ASSERT_EQ(y[1], -3);
    ASSERT_EQ(y[2], -3);
    ASSERT_EQ(y[3], 3);
    ASSERT_EQ(y[4], INT64_MIN); /* wraps, never traps */
    ASSERT_EQ(y[5], 0);         /* defined as 0 rather than a crash */
    ASSERT_OK(vrt__cpu_binary(NULL, VRT__BIN_MOD, VRT__DT_INT64, a, &s, b, &s, y, &s));
    ASSERT_EQ(y[0], 1);  /* python: 7 % 2 */
    ASSERT_EQ(y[1], 1);  /* -7 % 2 */
    ASSERT_EQ(y[2], -1); /* 7 % -2 */
    ASSERT_EQ(y[3], -1); /* -7 % -2 */
    int64_t base[3] = {2, 3, -2}, ex[1] = {5};
    vrt__shape s3 = shp(1, (int64_t[]){3}), s1 = shp(0, NULL);
    ASSERT_OK(vrt__cpu_binary(NULL, VRT__BIN_POW, VRT__DT_INT64, base, &s3, ex, &s1, y, &s3));
    ASSERT_EQ(y[0], 32);
    ASSERT_EQ(y[1], 243);
    ASSERT_EQ(y[2], -32);
    int32_t c[4] = {1, 2, 3, 4}, d[2] = {10, 20}, e[8];
    vrt__shape sc = shp(2, (int64_t[]){4, 1}), sd = shp(1, (int64_t[]){2}), se = shp(2, (int64_t[]){4, 2});
    ASSERT_OK(vrt__cpu_binary(NULL, VRT__BIN_SUB, VRT__DT_INT32, c, &sc, d, &sd, e, &se));
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++)
            ASSERT_EQ(e[i * 2 + j], c[i] - d[j]);
    ASSERT_STATUS(vrt__cpu_binary(NULL, VRT__BIN_PRELU, VRT__DT_INT32, c, &sc, d, &sd, e, &se),
                  VRT_EUNSUPPORTED);
}

TEST(compare_and_logical_broadcast) {
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {2, 2, 6};
    uint8_t y[6];
    vrt__shape sa = shp(2, (int64_t[]){2, 3}), sb = shp(1, (int64_t[]){3});
    const uint8_t want_eq[6] = {0, 1, 0, 0, 0, 1}, want_gt[6] = {0, 0, 0, 1, 1, 0},
                  want_lt[6] = {1, 0, 1, 0, 0, 0};
    ASSERT_OK(vrt__cpu_compare(VRT__CMP_EQUAL, VRT__DT_FLOAT, a, &sa, b, &sb, y, &sa));
    ASSERT_TRUE(memcmp(y, want_eq, 6) == 0);
    ASSERT_OK(vrt__cpu_compare(VRT__CMP_GREATER, VRT__DT_FLOAT, a, &sa, b, &sb, y, &sa));
    ASSERT_TRUE(memcmp(y, want_gt, 6) == 0);
    ASSERT_OK(vrt__cpu_compare(VRT__CMP_LESS, VRT__DT_FLOAT, a, &sa, b, &sb, y, &sa));
    ASSERT_TRUE(memcmp(y, want_lt, 6) == 0);
    int64_t ia[6] = {1, 2, 3, 4, 5, 6}, ib[3] = {2, 2, 6};
    ASSERT_OK(vrt__cpu_compare(VRT__CMP_LESS_OR_EQUAL, VRT__DT_INT64, ia, &sa, ib, &sb, y, &sa));
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(y[i], ia[i] <= ib[i % 3]);
    uint8_t ba[4] = {0, 0, 1, 1}, bb[2] = {0, 1};
    vrt__shape s4 = shp(2, (int64_t[]){2, 2}), s2 = shp(1, (int64_t[]){2});
    ASSERT_OK(vrt__cpu_logical(2, ba, &s4, bb, &s2, y, &s4));
    ASSERT_EQ(y[0], 0);
    ASSERT_EQ(y[1], 1);
    ASSERT_EQ(y[2], 1);
    ASSERT_EQ(y[3], 0);
    ASSERT_OK(vrt__cpu_compare(VRT__CMP_EQUAL, VRT__DT_BOOL, ba, &s4, bb, &s2, y, &s4));
    ASSERT_EQ(y[0], 1);
    ASSERT_EQ(y[1], 0);
    ASSERT_STATUS(vrt__cpu_compare(VRT__CMP_LESS, VRT__DT_BOOL, ba, &s4, bb, &s2, y, &s4), VRT_EUNSUPPORTED);
}

TEST(where_three_way_broadcast_any_elem) {
    /* cond [2,1,3], x [4,1], y scalar: out [2,4,3] */
    uint8_t cond[6];
    int64_t x[4] = {10, 20, 30, 40}, yv = -1, out[24];
    for (int i = 0; i < 6; i++)
        cond[i] = (uint8_t)(rnd() & 1);
    vrt__shape sc = shp(3, (int64_t[]){2, 1, 3}), sx = shp(2, (int64_t[]){4, 1}), sy = shp(0, NULL),
               so = shp(3, (int64_t[]){2, 4, 3});
    ASSERT_OK(vrt__cpu_where(cond, &sc, x, &sx, &yv, &sy, 8, out, &so));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 3; k++)
                ASSERT_EQ(out[(i * 4 + j) * 3 + k], cond[i * 3 + k] ? x[j] : -1);
    /* 3-byte elements go through the generic path */
    uint8_t x3[3] = {1, 2, 3}, y3[3] = {7, 8, 9}, o3[6];
    uint8_t c2[2] = {1, 0};
    vrt__shape s2 = shp(1, (int64_t[]){2}), s0 = shp(0, NULL);
    ASSERT_OK(vrt__cpu_where(c2, &s2, x3, &s0, y3, &s0, 3, o3, &s2));
    ASSERT_TRUE(memcmp(o3, x3, 3) == 0 && memcmp(o3 + 3, y3, 3) == 0);
    vrt__shape bad = shp(3, (int64_t[]){2, 4, 4});
    ASSERT_STATUS(vrt__cpu_where(cond, &sc, x, &sx, &yv, &sy, 8, out, &bad), VRT_EINVAL);
}

TEST(expand_broadcasts_both_ways) {
    float x[3] = {1, 2, 3}, y[12];
    vrt__shape sx = shp(2, (int64_t[]){3, 1}), sy;
    int64_t shape[3] = {2, 1, 2};
    ASSERT_OK(vrt__expand_out_shape(&sx, shape, 3, &sy));
    ASSERT_EQ(sy.ndim, 3);
    ASSERT_EQ(sy.d[0], 2);
    ASSERT_EQ(sy.d[1], 3);
    ASSERT_EQ(sy.d[2], 2);
    ASSERT_OK(vrt__cpu_expand(x, &sx, 4, y, &sy));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++)
                ASSERT_NEAR(y[(i * 3 + j) * 2 + k], x[j], 0);
    int64_t bad[2] = {4, 1};
    ASSERT_STATUS(vrt__expand_out_shape(&sx, bad, 2, &sy), VRT_EINVAL);
}

TEST(chain_equals_sequential_ops) {
    /* y = hardswish(relu6(x * scale[c] + bias[c]) + residual) */
    int64_t dx[4] = {1, 4, 5, 7}, dc[4] = {1, 4, 1, 1};
    vrt__shape sx = shp(4, dx), sc = shp(4, dc);
    float x[140], res[140], scale[4], bias[4], y[140], ref[140];
    for (int i = 0; i < 140; i++) {
        x[i] = rndf(-5, 5);
        res[i] = rndf(-1, 1);
    }
    for (int i = 0; i < 4; i++) {
        scale[i] = rndf(0.5f, 2);
        bias[i] = rndf(-1, 1);
    }
    vrt__chain_step st[4];
    memset(st, 0, sizeof(st));
    st[0].is_binary = 1;
    st[0].bin = VRT__BIN_MUL;
    st[0].operand = scale;
    st[0].operand_shape = sc;
    st[1].is_binary = 1;
    st[1].bin = VRT__BIN_ADD;
    st[1].operand = bias;
    st[1].operand_shape = sc;
    vrt__unary_default_params(VRT__UN_CLIP, &st[2].un);
    st[2].un.min = 0;
    st[2].un.max = 6;
    st[3].is_binary = 1;
    st[3].bin = VRT__BIN_SUB;
    st[3].operand_first = 1; /* res - v */
    st[3].operand = res;
    st[3].operand_shape = sx;
    ASSERT_OK(vrt__cpu_chain_f32(NULL, x, &sx, st, 4, y));
    for (int i = 0; i < 140; i++) {
        int c = (i / 35) % 4;
        double v = x[i] * scale[c] + bias[c];
        v = fmin(6, fmax(0, v));
        ref[i] = (float)(res[i] - v);
        ASSERT_NEAR(y[i], ref[i], 1e-5);
    }
    /* in place */
    ASSERT_OK(vrt__cpu_chain_f32(NULL, x, &sx, st, 4, x));
    ASSERT_TRUE(memcmp(x, y, sizeof(y)) == 0);
    st[0].operand_shape = shp(1, (int64_t[]){5});
    ASSERT_STATUS(vrt__cpu_chain_f32(NULL, x, &sx, st, 4, y), VRT_EINVAL);
}

int main(void) {
    VRT_RUN(unary_ops_match_their_definitions);
    VRT_RUN(not_inverts_bools);
    VRT_RUN(binary_f32_broadcasts_like_numpy);
    VRT_RUN(binary_threaded_matches_serial_and_runs_in_place);
    VRT_RUN(binary_int64_and_int32_semantics);
    VRT_RUN(compare_and_logical_broadcast);
    VRT_RUN(where_three_way_broadcast_any_elem);
    VRT_RUN(expand_broadcasts_both_ways);
    VRT_RUN(chain_equals_sequential_ops);
    return vrt_test_finish();
}
