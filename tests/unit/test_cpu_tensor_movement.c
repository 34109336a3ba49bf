/* Data-movement kernels, Cast, Range and ConstantOfShape against naive
 * per-coordinate references and ONNX's documented examples. */
#include "engine/backend/cpu/kernels_tensor.h"
#include "harness.h"
#include "vrt/core.h"

static uint64_t g_rng = 0xabcdef0123456789ull;
static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 11);
}

static vrt__shape shp(int nd, const int64_t *d) {
    vrt__shape s;
    memset(&s, 0, sizeof(s));
    s.ndim = nd;
    for (int i = 0; i < nd; i++)
        s.d[i] = d[i];
    return s;
}
static void coord_of(const vrt__shape *s, int64_t flat, int64_t *c) {
    for (int i = s->ndim - 1; i >= 0; i--) {
        c[i] = flat % s->d[i];
        flat /= s->d[i];
    }
}
static int64_t flat_of(const vrt__shape *s, const int64_t *c) {
    int64_t f = 0;
    for (int i = 0; i < s->ndim; i++)
        f = f * s->d[i] + c[i];
    return f;
}
/* Values that encode their own index, so any misplaced copy shows. */
static void iota32(int32_t *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        x[i] = (int32_t)(i * 7 + 3);
}

TEST(concat_and_split_roundtrip) {
    int32_t a[2 * 2 * 3], b[2 * 4 * 3], c[2 * 1 * 3], y[2 * 7 * 3];
    iota32(a, 12);
    for (int i = 0; i < 24; i++)
        b[i] = 1000 + i;
    for (int i = 0; i < 6; i++)
        c[i] = 5000 + i;
    vrt__shape sh[3] = {shp(3, (int64_t[]){2, 2, 3}), shp(3, (int64_t[]){2, 4, 3}),
                        shp(3, (int64_t[]){2, 1, 3})},
               sy;
    ASSERT_OK(vrt__concat_out_shape(-2, 3, sh, &sy));
    ASSERT_EQ(sy.d[1], 7);
    const void *xs[3] = {a, b, c};
    ASSERT_OK(vrt__cpu_concat(1, 3, xs, sh, 4, y));
    for (int n = 0; n < 2; n++)
        for (int j = 0; j < 7; j++)
            for (int k = 0; k < 3; k++) {
                int32_t want = j < 2   ? a[(n * 2 + j) * 3 + k]
                               : j < 6 ? b[(n * 4 + j - 2) * 3 + k]
                                       : c[n * 3 + k];
                ASSERT_EQ(y[(n * 7 + j) * 3 + k], want);
            }
    int32_t a2[12], b2[24], c2[6];
    void *ys[3] = {a2, b2, c2};
    int64_t sizes[3] = {2, 4, 1};
    ASSERT_OK(vrt__cpu_split(1, y, &sy, 4, 3, sizes, ys));
    ASSERT_TRUE(!memcmp(a, a2, sizeof(a)) && !memcmp(b, b2, sizeof(b)) && !memcmp(c, c2, sizeof(c)));
    sizes[2] = 2;
    ASSERT_STATUS(vrt__cpu_split(1, y, &sy, 4, 3, sizes, ys), VRT_EINVAL);
    int64_t ev[3];
    ASSERT_OK(vrt__split_even(7, 3, ev));
    ASSERT_EQ(ev[0], 3);
    ASSERT_EQ(ev[1], 3);
    ASSERT_EQ(ev[2], 1);
    vrt__shape bad[2] = {shp(2, (int64_t[]){2, 3}), shp(2, (int64_t[]){3, 3})};
    ASSERT_STATUS(vrt__concat_out_shape(1, 2, bad, &sy), VRT_EINVAL);
}

/* Python's slice(start, stop, step).indices(n), written from its documentation,
 * with the one place where ONNX's spec text (and onnxruntime) differ: with a
 * negative step a start below -n clamps to 0, not to "before the first". */
static int64_t py_slice(int64_t n, int64_t start, int64_t stop, int64_t step, int64_t *idx) {
    int64_t lo, hi;
    if (step > 0) {
        lo = start < 0 ? (start + n < 0 ? 0 : start + n) : (start > n ? n : start);
        hi = stop < 0 ? (stop + n < 0 ? 0 : stop + n) : (stop > n ? n : stop);
    } else {
        lo = start < 0 ? (start + n < 0 ? 0 : start + n) : (start > n - 1 ? n - 1 : start);
        hi = stop < 0 ? (stop + n < 0 ? -1 : stop + n) : (stop > n - 1 ? n - 1 : stop);
    }
    int64_t c = 0;
    for (int64_t i = lo; step > 0 ? i < hi : i > hi; i += step)
        idx[c++] = i;
    return c;
}

TEST(slice_matches_python_slicing) {
    int32_t x[4 * 5 * 6], y[4 * 5 * 6];
    iota32(x, 120);
    vrt__shape sx = shp(3, (int64_t[]){4, 5, 6});
    const int64_t starts[] = {0, 1, -1, -3, 2, 100, -100, INT64_MAX, 5};
    const int64_t ends[] = {INT64_MAX, -1, 0, 3, INT64_MIN, 2, -100, 100, 1};
    const int64_t steps[] = {1, 2, -1, -2, 3, -3};
    int checked = 0;
    for (int t = 0; t < 300; t++) {
        vrt__slice_params p;
        memset(&p, 0, sizeof(p));
        p.n = 1 + (int)(rnd() % 3);
        int axes_used[3] = {0, 0, 0};
        for (int k = 0; k < p.n; k++) {
            int a;
            do
                a = (int)(rnd() % 3);
            while (axes_used[a]);
            axes_used[a] = 1;
            p.axes[k] = (rnd() & 1) ? a : a - 3;
            p.starts[k] = starts[rnd() % 9];
            p.ends[k] = ends[rnd() % 9];
            p.steps[k] = steps[rnd() % 6];
        }
        int64_t idx[3][8], cnt[3];
        for (int a = 0; a < 3; a++) {
            cnt[a] = sx.d[a];
            for (int64_t i = 0; i < sx.d[a]; i++)
                idx[a][i] = i;
        }
        for (int k = 0; k < p.n; k++) {
            int a = (int)(p.axes[k] < 0 ? p.axes[k] + 3 : p.axes[k]);
            cnt[a] = py_slice(sx.d[a], p.starts[k], p.ends[k], p.steps[k], idx[a]);
        }
        vrt__shape sy;
        ASSERT_OK(vrt__slice_out_shape(&p, &sx, &sy));
        for (int a = 0; a < 3; a++)
            ASSERT_EQ(sy.d[a], cnt[a]);
        ASSERT_OK(vrt__cpu_slice(&p, x, &sx, 4, y));
        int64_t n = cnt[0] * cnt[1] * cnt[2];
        for (int64_t i = 0; i < n; i++) {
            int64_t c[3], src[3];
            coord_of(&sy, i, c);
            for (int a = 0; a < 3; a++)
                src[a] = idx[a][c[a]];
            ASSERT_EQ(y[i], x[flat_of(&sx, src)]);
            checked++;
        }
    }
    ASSERT_TRUE(checked > 1000);
    vrt__slice_params z;
    memset(&z, 0, sizeof(z));
    z.n = 1;
    z.ends[0] = 2;
    z.steps[0] = 0;
    vrt__shape sy;
    ASSERT_STATUS(vrt__slice_out_shape(&z, &sx, &sy), VRT_EINVAL);
}

TEST(transpose_every_permutation_of_4d) {
    static int32_t x[2 * 3 * 4 * 5], y[120];
    iota32(x, 120);
    vrt__shape sx = shp(4, (int64_t[]){2, 3, 4, 5});
    int count = 0;
    for (int p0 = 0; p0 < 4; p0++)
        for (int p1 = 0; p1 < 4; p1++)
            for (int p2 = 0; p2 < 4; p2++)
                for (int p3 = 0; p3 < 4; p3++) {
                    int64_t perm[4] = {p0, p1, p2, p3};
                    if (p0 == p1 || p0 == p2 || p0 == p3 || p1 == p2 || p1 == p3 || p2 == p3) continue;
                    vrt__shape sy;
                    ASSERT_OK(vrt__transpose_out_shape(perm, 4, &sx, &sy));
                    ASSERT_OK(vrt__cpu_transpose(NULL, perm, 4, x, &sx, 4, y));
                    for (int64_t i = 0; i < 120; i++) {
                        int64_t c[4], src[4];
                        coord_of(&sy, i, c);
                        for (int a = 0; a < 4; a++)
                            src[perm[a]] = c[a];
                        ASSERT_EQ(y[i], x[flat_of(&sx, src)]);
                    }
                    count++;
                }
    ASSERT_EQ(count, 24);
    /* default reverses; 2-byte elements; threaded path on a larger tensor */
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 2));
    static uint16_t big[64 * 48 * 40], out[64 * 48 * 40];
    for (int i = 0; i < 64 * 48 * 40; i++)
        big[i] = (uint16_t)(i * 31);
    vrt__shape sb = shp(3, (int64_t[]){64, 48, 40});
    ASSERT_OK(vrt__cpu_transpose(tp, NULL, 0, big, &sb, 2, out));
    for (int i = 0; i < 64; i += 5)
        for (int j = 0; j < 48; j += 3)
            for (int k = 0; k < 40; k += 7)
                ASSERT_EQ(out[(k * 48 + j) * 64 + i], big[(i * 48 + j) * 40 + k]);
    vrt__threadpool_destroy(&tp);
    int64_t dup[4] = {0, 0, 1, 2};
    ASSERT_STATUS(vrt__cpu_transpose(NULL, dup, 4, x, &sx, 4, y), VRT_EINVAL);
}

TEST(gather_negative_indices_and_bounds) {
    int32_t x[3 * 4 * 2], y[3 * 2 * 2 * 2];
    iota32(x, 24);
    vrt__shape sx = shp(3, (int64_t[]){3, 4, 2}), si = shp(2, (int64_t[]){2, 2}), sy;
    int64_t ind[4] = {0, -1, 2, -4};
    ASSERT_OK(vrt__gather_out_shape(1, &sx, &si, &sy));
    ASSERT_EQ(sy.ndim, 4);
    ASSERT_OK(vrt__cpu_gather(1, x, &sx, 4, ind, VRT__DT_INT64, &si, y));
    for (int a = 0; a < 3; a++)
        for (int k = 0; k < 4; k++)
            for (int c = 0; c < 2; c++) {
                int64_t j = ind[k] < 0 ? ind[k] + 4 : ind[k];
                ASSERT_EQ(y[(a * 4 + k) * 2 + c], x[(a * 4 + j) * 2 + c]);
            }
    int32_t i32[1] = {2};
    vrt__shape s0 = shp(0, NULL);
    ASSERT_OK(vrt__gather_out_shape(0, &sx, &s0, &sy));
    ASSERT_EQ(sy.ndim, 2);
    ASSERT_OK(vrt__cpu_gather(0, x, &sx, 4, i32, VRT__DT_INT32, &s0, y));
    ASSERT_EQ(y[0], x[16]);
    int64_t oob[4] = {0, 4, 0, 0};
    ASSERT_STATUS(vrt__cpu_gather(1, x, &sx, 4, oob, VRT__DT_INT64, &si, y), VRT_EINVAL);
}

TEST(tile_repeats) {
    int32_t x[6], y[6 * 6];
    iota32(x, 6);
    vrt__shape sx = shp(2, (int64_t[]){2, 3}), sy;
    int64_t rep[2] = {3, 2};
    ASSERT_OK(vrt__tile_out_shape(&sx, rep, 2, &sy));
    ASSERT_EQ(sy.d[0], 6);
    ASSERT_EQ(sy.d[1], 6);
    ASSERT_OK(vrt__cpu_tile(x, &sx, 4, rep, y));
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
            ASSERT_EQ(y[i * 6 + j], x[(i % 2) * 3 + j % 3]);
}

/* numpy.pad index mapping for one axis, written from its documentation. */
static int64_t np_pad_index(int mode, int64_t i, int64_t n) {
    if (i >= 0 && i < n) return i;
    if (mode == VRT__PAD_CONSTANT) return -1;
    if (mode == VRT__PAD_EDGE) return i < 0 ? 0 : n - 1;
    if (mode == VRT__PAD_WRAP) return ((i % n) + n) % n;
    if (n == 1) return 0;
    while (i < 0 || i >= n)
        i = i < 0 ? -i : 2 * (n - 1) - i; /* reflect */
    return i;
}

TEST(pad_modes_and_negative_pads) {
    int32_t x[3 * 4], y[64];
    iota32(x, 12);
    vrt__shape sx = shp(2, (int64_t[]){3, 4});
    const int64_t pads_set[][4] = {{1, 2, 2, 1},  {0, 3, 0, 3},   {2, 0, 1, 0},
                                   {1, -1, 0, 2}, {-1, 1, -1, 0}, {0, 0, 0, 0}};
    int32_t cval = -77;
    for (int mode = 0; mode < 4; mode++) {
        for (size_t t = 0; t < sizeof(pads_set) / sizeof(pads_set[0]); t++) {
            vrt__pad_params p;
            memset(&p, 0, sizeof(p));
            p.mode = (vrt__pad_mode)mode;
            memcpy(p.pads, pads_set[t], sizeof(pads_set[t]));
            p.value = &cval;
            vrt__shape sy;
            ASSERT_OK(vrt__pad_out_shape(&p, &sx, &sy));
            ASSERT_EQ(sy.d[0], 3 + p.pads[0] + p.pads[2]);
            ASSERT_EQ(sy.d[1], 4 + p.pads[1] + p.pads[3]);
            ASSERT_OK(vrt__cpu_pad(&p, x, &sx, 4, y));
            /* reference: crop first (negative pads), then numpy.pad the rest */
            int64_t cb[2], cl[2];
            for (int a = 0; a < 2; a++) {
                cb[a] = p.pads[a] < 0 ? -p.pads[a] : 0;
                cl[a] = sx.d[a] - cb[a] - (p.pads[a + 2] < 0 ? -p.pads[a + 2] : 0);
            }
            for (int64_t i = 0; i < sy.d[0]; i++)
                for (int64_t j = 0; j < sy.d[1]; j++) {
                    int64_t si = np_pad_index(mode, i - (p.pads[0] > 0 ? p.pads[0] : 0), cl[0]);
                    int64_t sj = np_pad_index(mode, j - (p.pads[1] > 0 ? p.pads[1] : 0), cl[1]);
                    int32_t want = (si < 0 || sj < 0) ? cval : x[(cb[0] + si) * 4 + cb[1] + sj];
                    if (y[i * sy.d[1] + j] != want)
                        vrt_test_fail(__FILE__, __LINE__, "mode %d pads #%zu at (%lld,%lld): %d vs %d", mode,
                                      t, (long long)i, (long long)j, y[i * sy.d[1] + j], want);
                }
        }
    }
    /* ONNX's reflect example: [[1,1.2],[2.3,3.4],[4.5,5.7]], pads [0,2,0,0] */
    float fx[6] = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}, fy[12];
    vrt__pad_params p;
    memset(&p, 0, sizeof(p));
    p.mode = VRT__PAD_REFLECT;
    p.pads[1] = 2;
    vrt__shape s32 = shp(2, (int64_t[]){3, 2});
    ASSERT_OK(vrt__cpu_pad(&p, fx, &s32, 4, fy));
    const float want[12] = {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f};
    for (int i = 0; i < 12; i++)
        ASSERT_NEAR(fy[i], want[i], 0);
    p.pads[1] = -3;
    ASSERT_STATUS(vrt__pad_out_shape(&p, &s32, &s32), VRT_EINVAL);
}

TEST(depth_to_space_and_space_to_depth) {
    /* reference: the reshape/transpose/reshape of ONNX's spec, done per element */
    const int64_t N = 2, C = 8, H = 3, W = 2, b = 2, Co = C / (b * b);
    int32_t x[2 * 8 * 3 * 2], y[96], z[96];
    iota32(x, 96);
    vrt__shape sx = shp(4, (int64_t[]){N, C, H, W}), sy;
    ASSERT_OK(vrt__depth_to_space_out_shape(b, &sx, &sy));
    ASSERT_EQ(sy.d[1], Co);
    ASSERT_EQ(sy.d[2], H * b);
    for (int crd = 0; crd < 2; crd++) {
        ASSERT_OK(vrt__cpu_depth_to_space(b, crd, x, &sx, 4, y));
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < Co; c++)
                for (int64_t h = 0; h < H * b; h++)
                    for (int64_t w = 0; w < W * b; w++) {
                        int64_t bh = h % b, bw = w % b;
                        int64_t ic = crd ? c * b * b + bh * b + bw : (bh * b + bw) * Co + c;
                        ASSERT_EQ(y[((n * Co + c) * H * b + h) * W * b + w],
                                  x[((n * C + ic) * H + h / b) * W + w / b]);
                    }
    }
    /* SpaceToDepth inverts DCR DepthToSpace */
    ASSERT_OK(vrt__cpu_depth_to_space(b, 0, x, &sx, 4, y));
    ASSERT_OK(vrt__space_to_depth_out_shape(b, &sy, &sx));
    ASSERT_EQ(sx.d[1], C);
    ASSERT_OK(vrt__cpu_space_to_depth(b, y, &sy, 4, z));
    ASSERT_TRUE(memcmp(x, z, sizeof(x)) == 0);
    vrt__shape odd = shp(4, (int64_t[]){1, 6, 2, 2});
    ASSERT_STATUS(vrt__depth_to_space_out_shape(2, &odd, &sy), VRT_EINVAL);
}

TEST(cast_rules) {
    float f[8] = {1.9f, -1.9f, 300.0f, -300.0f, NAN, 0.0f, 65504.0f, 1e10f};
    uint8_t u8[8];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT, f, VRT__DT_UINT8, u8, 8));
    ASSERT_EQ(u8[0], 1);
    ASSERT_EQ(u8[1], 0);   /* -1 saturates to 0 */
    ASSERT_EQ(u8[2], 255); /* saturates */
    ASSERT_EQ(u8[4], 0);   /* NaN */
    int64_t i64[8];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT, f, VRT__DT_INT64, i64, 8));
    ASSERT_EQ(i64[0], 1);
    ASSERT_EQ(i64[1], -1); /* toward zero, as numpy astype */
    ASSERT_EQ(i64[3], -300);
    ASSERT_EQ(i64[7], 10000000000LL);
    int8_t i8[8];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT, f, VRT__DT_INT8, i8, 8));
    ASSERT_EQ(i8[2], 127);
    ASSERT_EQ(i8[3], -128);
    uint8_t bo[8];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT, f, VRT__DT_BOOL, bo, 8));
    ASSERT_EQ(bo[0], 1);
    ASSERT_EQ(bo[4], 1); /* NaN is truthy */
    ASSERT_EQ(bo[5], 0);
    uint16_t h[8];
    float back[8];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT, f, VRT__DT_FLOAT16, h, 8));
    ASSERT_EQ(h[0], 0x3f9a); /* 1.9 -> 1.900390625 */
    ASSERT_EQ(h[6], 0x7bff); /* 65504, the largest half */
    ASSERT_EQ(h[7], 0x7c00); /* overflow -> inf */
    ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT16, h, VRT__DT_FLOAT, back, 8));
    ASSERT_NEAR(back[0], 1.900390625, 0);
    ASSERT_TRUE(isnan(back[4]));
    double d[8];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT16, h, VRT__DT_DOUBLE, d, 8));
    ASSERT_NEAR(d[2], 300, 0);
    /* integer narrowing wraps like numpy; int64 keeps full precision */
    int64_t big[3] = {300, -1, (1LL << 53) + 1};
    int32_t i32[3];
    uint8_t w8[3];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_INT64, big, VRT__DT_UINT8, w8, 3));
    ASSERT_EQ(w8[0], 44);
    ASSERT_EQ(w8[1], 255);
    ASSERT_OK(vrt__cpu_cast(VRT__DT_INT64, big, VRT__DT_INT32, i32, 3));
    ASSERT_EQ(i32[1], -1);
    ASSERT_EQ(i32[2], 1); /* low 32 bits of 2^53+1 */
    int64_t r64[3];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_INT32, i32, VRT__DT_INT64, r64, 3));
    ASSERT_EQ(r64[1], -1);
    uint8_t b2[2] = {1, 0};
    float fb[2];
    ASSERT_OK(vrt__cpu_cast(VRT__DT_BOOL, b2, VRT__DT_FLOAT, fb, 2));
    ASSERT_NEAR(fb[0], 1, 0);
    ASSERT_NEAR(fb[1], 0, 0);
    ASSERT_STATUS(vrt__cpu_cast(VRT__DT_STRING, b2, VRT__DT_FLOAT, fb, 2), VRT_EUNSUPPORTED);
}

TEST(range_and_constant_of_shape) {
    int64_t n;
    float fs = 3, fl = 9, fd = 3;
    ASSERT_OK(vrt__range_count(VRT__DT_FLOAT, &fs, &fl, &fd, &n));
    ASSERT_EQ(n, 2); /* ONNX example: 3, 6 */
    float fy[8];
    ASSERT_OK(vrt__cpu_range(VRT__DT_FLOAT, &fs, &fd, n, fy));
    ASSERT_NEAR(fy[1], 6, 0);
    int64_t is = 10, il = 4, id = -3, iy[8];
    ASSERT_OK(vrt__range_count(VRT__DT_INT64, &is, &il, &id, &n));
    ASSERT_EQ(n, 2); /* 10, 7 */
    ASSERT_OK(vrt__cpu_range(VRT__DT_INT64, &is, &id, n, iy));
    ASSERT_EQ(iy[0], 10);
    ASSERT_EQ(iy[1], 7);
    il = 11;
    ASSERT_OK(vrt__range_count(VRT__DT_INT64, &is, &il, &id, &n));
    ASSERT_EQ(n, 0);
    int32_t s32 = 0, l32 = 10, d32 = 3, y32[4];
    ASSERT_OK(vrt__range_count(VRT__DT_INT32, &s32, &l32, &d32, &n));
    ASSERT_EQ(n, 4);
    ASSERT_OK(vrt__cpu_range(VRT__DT_INT32, &s32, &d32, n, y32));
    ASSERT_EQ(y32[3], 9);
    id = 0;
    ASSERT_STATUS(vrt__range_count(VRT__DT_INT64, &is, &il, &id, &n), VRT_EINVAL);
    int64_t v = 42, out[5];
    ASSERT_OK(vrt__cpu_constant_of_shape(&v, 8, out, 5));
    for (int i = 0; i < 5; i++)
        ASSERT_EQ(out[i], 42);
    ASSERT_OK(vrt__cpu_constant_of_shape(NULL, 8, out, 5));
    ASSERT_EQ(out[4], 0);
}

int main(void) {
    VRT_RUN(concat_and_split_roundtrip);
    VRT_RUN(slice_matches_python_slicing);
    VRT_RUN(transpose_every_permutation_of_4d);
    VRT_RUN(gather_negative_indices_and_bounds);
    VRT_RUN(tile_repeats);
    VRT_RUN(pad_modes_and_negative_pads);
    VRT_RUN(depth_to_space_and_space_to_depth);
    VRT_RUN(cast_rules);
    VRT_RUN(range_and_constant_of_shape);
    return vrt_test_finish();
}
