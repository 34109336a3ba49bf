/* CUDA kernels against their CPU twins: same params, same random inputs
 * (odd shapes, broadcasting, every Resize mode, ceil_mode pools). Data
 * movement, integer ops and comparisons must match bit for bit; float math
 * within 1e-5 relative. Skips (77) without a usable GPU.
 *
 * What an ONNX graph can express runs through the engine in the op table
 * (tests/ops/test_backend_ops.c: Concat, Split, Slice, Transpose, Gather,
 * Expand, Tile, DepthToSpace, SpaceToDepth and the normalisations moved
 * there); this file keeps what the table cannot: NaN/Inf and integer edge
 * values, element types and kernel variants the engine does not route
 * (every reduction, TopK, Pad's wrap mode, cubic and crop-and-resize
 * Resize, pool index outputs), argument refusals and stream capture. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cpu/kernels_tensor.h"
#include "model/lowp.h"
#include "engine/backend/cuda/eltwise.h"
#include "engine/backend/cuda/epilogue.h"
#include "engine/backend/cuda/norm.h"
#include "engine/backend/cuda/pool.h"
#include "engine/backend/cuda/reduce.h"
#include "engine/backend/cuda/resize.h"
#include "engine/backend/cuda/tensor_ops.h"
#include "harness.h"
#include "model/plan.h"
#include "vrt/core.h"

static cudaStream_t g_stream;
static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd_u32(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}
static float rnd_f(float lo, float hi) {
    return lo + (hi - lo) * (float)(rnd_u32() & 0xffffff) / 16777216.0f;
}

static void fill_f(float *p, int64_t n, float lo, float hi) {
    for (int64_t i = 0; i < n; i++)
        p[i] = rnd_f(lo, hi);
}
static void fill_bytes(void *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)p)[i] = (uint8_t)rnd_u32();
}

static vrt__shape shp(int nd, const int64_t *d) {
    vrt__shape s;
    memset(&s, 0, sizeof(s));
    s.ndim = nd;
    for (int i = 0; i < nd; i++)
        s.d[i] = d[i];
    return s;
}
#define SHAPE(...) shp((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})

static void *dup_dev(const void *h, size_t bytes) {
    void *d = NULL;
    if (cudaMalloc(&d, bytes ? bytes : 1) != cudaSuccess)
        vrt_test_fail(__FILE__, __LINE__, "cudaMalloc %zu", bytes);
    if (bytes) cudaMemcpy(d, h, bytes, cudaMemcpyHostToDevice);
    cudaDeviceSynchronize(); /* a pageable H2D copy may still be in flight when cudaMemcpy returns */
    return d;
}
static void *dev_zero(size_t bytes) {
    void *d = NULL;
    if (cudaMalloc(&d, bytes ? bytes : 1) != cudaSuccess)
        vrt_test_fail(__FILE__, __LINE__, "cudaMalloc %zu", bytes);
    /* garbage: every output byte must be written. cudaMemset runs on the legacy default stream, which a
     * non-blocking stream does not wait for: finish it before any kernel on g_stream may write. */
    cudaMemset(d, 0xa5, bytes ? bytes : 1);
    cudaDeviceSynchronize();
    return d;
}
/* Syncs the stream, checks for errors and copies back. */
static void fetch(void *h, const void *d, size_t bytes) {
    cudaError_t e = cudaStreamSynchronize(g_stream);
    if (e != cudaSuccess) vrt_test_fail(__FILE__, __LINE__, "stream: %s", cudaGetErrorString(e));
    if (bytes) cudaMemcpy(h, d, bytes, cudaMemcpyDeviceToHost);
}

#define ASSERT_GPU_OK(st)                                                                                    \
    do {                                                                                                     \
        int _s = (int)(st);                                                                                  \
        if (_s != 0)                                                                                         \
            vrt_test_fail(__FILE__, __LINE__, "%s: %s (%s)", #st, vrt_status_name(_s),                       \
                          vrt__cuda_kernels_error());                                                        \
    } while (0)

static void expect_bytes(const char *what, const void *a, const void *b, size_t n) {
    if (memcmp(a, b, n) == 0) return;
    for (size_t i = 0; i < n; i++)
        if (((const uint8_t *)a)[i] != ((const uint8_t *)b)[i])
            vrt_test_fail(__FILE__, __LINE__, "%s: byte %zu differs: gpu %u cpu %u", what, i,
                          ((const uint8_t *)a)[i], ((const uint8_t *)b)[i]);
}

static void expect_f32(const char *what, const float *g, const float *c, int64_t n, double rtol) {
    for (int64_t i = 0; i < n; i++) {
        double a = g[i], b = c[i];
        if (isnan(a) && isnan(b)) continue;
        if (isinf(a) || isinf(b)) {
            if (a == b) continue;
        } else if (fabs(a - b) <= rtol * fmax(fabs(a), fabs(b)) + 1e-6) {
            continue;
        }
        vrt_test_fail(__FILE__, __LINE__, "%s: element %lld: gpu %.9g cpu %.9g", what, (long long)i, a, b);
    }
}

/* ---- element-wise ------------------------------------------------------------- */

TEST(unary_all_ops) {
    int64_t n = 10007;
    float *x = malloc(n * 4), *yc = malloc(n * 4), *yg = malloc(n * 4);
    fill_f(x, n, -30.0f, 30.0f);
    x[0] = 0.0f, x[1] = -0.0f, x[2] = NAN, x[3] = INFINITY, x[4] = -INFINITY, x[5] = 20.0f, x[6] = 0.5f;
    float *dx = dup_dev(x, n * 4), *dy = dev_zero(n * 4);
    for (int op = 0; op < VRT__UN_COUNT; op++) {
        vrt__unary_params p;
        vrt__unary_default_params((vrt__unary_op)op, &p);
        if (op == VRT__UN_CLIP) p.min = -2.5f, p.max = 3.0f;
        if (op == VRT__UN_POW_SCALAR) p.alpha = 3.0f;
        ASSERT_OK(vrt__cpu_unary_f32(NULL, &p, x, yc, n));
        ASSERT_GPU_OK(vrt__cuda_unary_f32(g_stream, &p, dx, dy, n));
        fetch(yg, dy, n * 4);
        expect_f32(vrt__unary_name(op), yg, yc, n, 1e-5);
    }
    /* in place, and the special pow exponents */
    vrt__unary_params p;
    vrt__unary_default_params(VRT__UN_POW_SCALAR, &p);
    for (int k = 0; k < 3; k++) {
        p.alpha = k == 0 ? 2.0f : k == 1 ? 0.5f : -1.5f;
        ASSERT_OK(vrt__cpu_unary_f32(NULL, &p, x, yc, n));
        cudaMemcpy(dy, dx, n * 4, cudaMemcpyDeviceToDevice);
        cudaDeviceSynchronize(); /* a device-to-device cudaMemcpy is asynchronous; g_stream does not wait for
                                    it */
        ASSERT_GPU_OK(vrt__cuda_unary_f32(g_stream, &p, dy, dy, n));
        fetch(yg, dy, n * 4);
        expect_f32("pow scalar in place", yg, yc, n, 1e-5);
    }
    uint8_t b[333], bc[333], bg[333];
    for (int i = 0; i < 333; i++)
        b[i] = (uint8_t)(rnd_u32() % 2);
    uint8_t *db = dup_dev(b, 333), *dbo = dev_zero(333);
    ASSERT_OK(vrt__cpu_not(b, bc, 333));
    ASSERT_GPU_OK(vrt__cuda_not(g_stream, db, dbo, 333));
    fetch(bg, dbo, 333);
    expect_bytes("Not", bg, bc, 333);
    cudaFree(db), cudaFree(dbo), cudaFree(dx), cudaFree(dy), free(x), free(yc), free(yg);
}

static void fill_typed(vrt__dtype dt, void *p, int64_t n, int lo, int hi, int no_zero) {
    for (int64_t i = 0; i < n; i++) {
        int v = lo + (int)(rnd_u32() % (uint32_t)(hi - lo + 1));
        if (no_zero && v == 0) v = 1;
        if (dt == VRT__DT_FLOAT)
            ((float *)p)[i] = no_zero ? (float)v + 0.25f : rnd_f((float)lo, (float)hi);
        else if (dt == VRT__DT_INT64)
            ((int64_t *)p)[i] = v;
        else if (dt == VRT__DT_INT32)
            ((int32_t *)p)[i] = v;
        else
            ((uint8_t *)p)[i] = (uint8_t)(v & 1);
    }
}

TEST(binary_broadcast_all_types) {
    vrt__shape cases[][3] = {
        {SHAPE(2, 3, 1, 5), SHAPE(3, 4, 1), SHAPE(2, 3, 4, 5)},
        {SHAPE(7, 13), SHAPE(7, 13), SHAPE(7, 13)},
        {SHAPE(1), SHAPE(5, 1, 3), SHAPE(5, 1, 3)},
        {SHAPE(4, 1, 6), SHAPE(1), SHAPE(4, 1, 6)},
        {SHAPE(3, 1, 17), SHAPE(3, 9, 1), SHAPE(3, 9, 17)},
    };
    vrt__dtype dts[3] = {VRT__DT_FLOAT, VRT__DT_INT64, VRT__DT_INT32};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        vrt__shape *sa = &cases[c][0], *sb = &cases[c][1], *sy = &cases[c][2];
        int64_t na = vrt__shape_numel(sa), nb = vrt__shape_numel(sb), ny = vrt__shape_numel(sy);
        for (int t = 0; t < 3; t++) {
            vrt__dtype dt = dts[t];
            size_t e = vrt__dtype_size(dt);
            for (int op = 0; op < VRT__BIN_COUNT; op++) {
                if (op == VRT__BIN_PRELU && dt != VRT__DT_FLOAT) continue;
                void *a = malloc(na * e), *b = malloc(nb * e), *yc = malloc(ny * e), *yg = malloc(ny * e);
                int small = op == VRT__BIN_POW;
                fill_typed(dt, a, na, small ? -7 : -1000, small ? 7 : 1000, 0);
                fill_typed(dt, b, nb, small ? -2 : -50, small ? 9 : 50,
                           op == VRT__BIN_POW && dt == VRT__DT_FLOAT);
                if (dt != VRT__DT_FLOAT && (op == VRT__BIN_DIV || op == VRT__BIN_MOD)) {
                    /* zeros and -1 are defined (0 and negation) */
                    if (nb > 1) {
                        if (dt == VRT__DT_INT64)
                            ((int64_t *)b)[0] = 0, ((int64_t *)b)[1] = -1;
                        else
                            ((int32_t *)b)[0] = 0, ((int32_t *)b)[1] = -1;
                    }
                }
                if (dt == VRT__DT_FLOAT && op == VRT__BIN_POW)
                    for (int64_t i = 0; i < na; i++)
                        ((float *)a)[i] = fabsf(((float *)a)[i]);
                void *da = dup_dev(a, na * e), *db = dup_dev(b, nb * e), *dy = dev_zero(ny * e);
                ASSERT_OK(vrt__cpu_binary(NULL, (vrt__binary_op)op, dt, a, sa, b, sb, yc, sy));
                ASSERT_GPU_OK(vrt__cuda_binary(g_stream, (vrt__binary_op)op, dt, da, sa, db, sb, dy, sy));
                fetch(yg, dy, ny * e);
                char what[64];
                snprintf(what, sizeof(what), "%s %s case %zu", vrt__binary_name(op), vrt__dtype_name(dt), c);
                if (dt == VRT__DT_FLOAT)
                    expect_f32(what, yg, yc, ny, 1e-5);
                else
                    expect_bytes(what, yg, yc, ny * e);
                cudaFree(da), cudaFree(db), cudaFree(dy), free(a), free(b), free(yc), free(yg);
            }
        }
    }
    /* refused: output that is not the broadcast */
    vrt__shape s1 = SHAPE(2, 3), s2 = SHAPE(3), bad = SHAPE(3, 3);
    ASSERT_STATUS(vrt__cuda_binary(g_stream, VRT__BIN_ADD, VRT__DT_FLOAT, NULL, &s1, NULL, &s2, NULL, &bad),
                  VRT_EINVAL);
    ASSERT_STATUS(vrt__cuda_binary(NULL, VRT__BIN_ADD, VRT__DT_FLOAT, NULL, &s1, NULL, &s2, NULL, &s1),
                  VRT_EINVAL);
    ASSERT_CONTAINS(vrt__cuda_kernels_error(), "stream");
}

/* Raw random bits (the whole range of the type), then edge values planted at
 * the front: 0, 1, -1 (all bits: the unsigned maximum), the signed minimum
 * and maximum. */
static void fill_int_edges(vrt__dtype dt, void *p, int64_t n) {
    size_t e = vrt__dtype_size(dt);
    fill_bytes(p, (size_t)n * e);
    uint64_t edge[6] = {0, 1, ~(uint64_t)0, (uint64_t)1 << (8 * e - 1), ((uint64_t)1 << (8 * e - 1)) - 1, 2};
    for (int64_t i = 0; i < n && i < 6; i++)
        memcpy((uint8_t *)p + i * e, &edge[i], e); /* little endian: low bytes */
}

/* Small values for Pow: |result| < 2^53, where the CPU's pow() and the
 * GPU's repeated squaring are both exact. */
static void fill_int_small(vrt__dtype dt, void *p, int64_t n, int lo, int hi) {
    size_t e = vrt__dtype_size(dt);
    int is_unsigned =
        dt == VRT__DT_UINT8 || dt == VRT__DT_UINT16 || dt == VRT__DT_UINT32 || dt == VRT__DT_UINT64;
    for (int64_t i = 0; i < n; i++) {
        int v = lo + (int)(rnd_u32() % (uint32_t)(hi - lo + 1));
        if (is_unsigned && v < 0) v = -v;
        int64_t w = v;
        memcpy((uint8_t *)p + i * e, &w, e);
    }
}

/* The integer types the CPU backend computes through int64 (int8, uint8,
 * int16, uint16, uint32: widened, int64 op, wrapped back to the type's bits
 * -- backend_cpu.c's geti/seti path, reproduced here with vrt__cpu_cast) and
 * uint64 (vrt__cpu_binary itself), against vrt__cuda_binary: bit-exact,
 * including overflow, division by 0 and by -1, and the signed minimum. */
TEST(binary_integer_types_match_cpu) {
    vrt__shape cases[][3] = {
        {SHAPE(5, 41), SHAPE(5, 41), SHAPE(5, 41)},
        {SHAPE(2, 3, 1, 5), SHAPE(3, 4, 1), SHAPE(2, 3, 4, 5)},
        {SHAPE(1), SHAPE(6, 7), SHAPE(6, 7)},
    };
    vrt__dtype dts[6] = {VRT__DT_INT8,   VRT__DT_UINT8,  VRT__DT_INT16,
                         VRT__DT_UINT16, VRT__DT_UINT32, VRT__DT_UINT64};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        vrt__shape *sa = &cases[c][0], *sb = &cases[c][1], *sy = &cases[c][2];
        int64_t na = vrt__shape_numel(sa), nb = vrt__shape_numel(sb), ny = vrt__shape_numel(sy);
        for (int t = 0; t < 6; t++) {
            vrt__dtype dt = dts[t];
            size_t e = vrt__dtype_size(dt);
            ASSERT_TRUE(vrt__cuda_binary_type_ok(dt));
            for (int op = 0; op < VRT__BIN_COUNT; op++) {
                if (op == VRT__BIN_PRELU) continue;
                void *a = malloc(na * e), *b = malloc(nb * e), *yc = malloc(ny * e), *yg = malloc(ny * e);
                if (op == VRT__BIN_POW) {
                    fill_int_small(dt, a, na, -7, 7);
                    fill_int_small(dt, b, nb, -2, 9);
                } else {
                    fill_int_edges(dt, a, na);
                    fill_int_edges(dt, b, nb);
                }
                if (dt == VRT__DT_UINT64) {
                    ASSERT_OK(vrt__cpu_binary(NULL, (vrt__binary_op)op, dt, a, sa, b, sb, yc, sy));
                } else {
                    int64_t *a64 = malloc(na * 8), *b64 = malloc(nb * 8), *y64 = malloc(ny * 8);
                    ASSERT_OK(vrt__cpu_cast(dt, a, VRT__DT_INT64, a64, na));
                    ASSERT_OK(vrt__cpu_cast(dt, b, VRT__DT_INT64, b64, nb));
                    ASSERT_OK(
                        vrt__cpu_binary(NULL, (vrt__binary_op)op, VRT__DT_INT64, a64, sa, b64, sb, y64, sy));
                    ASSERT_OK(vrt__cpu_cast(VRT__DT_INT64, y64, dt, yc, ny));
                    free(a64), free(b64), free(y64);
                }
                void *da = dup_dev(a, na * e), *db = dup_dev(b, nb * e), *dy = dev_zero(ny * e);
                ASSERT_GPU_OK(vrt__cuda_binary(g_stream, (vrt__binary_op)op, dt, da, sa, db, sb, dy, sy));
                fetch(yg, dy, ny * e);
                char what[64];
                snprintf(what, sizeof(what), "%s %s case %zu", vrt__binary_name(op), vrt__dtype_name(dt), c);
                expect_bytes(what, yg, yc, ny * e);
                cudaFree(da), cudaFree(db), cudaFree(dy), free(a), free(b), free(yc), free(yg);
            }
        }
    }
    /* PRelu stays float-only, bool and double are not computed in */
    vrt__shape s1 = SHAPE(4);
    ASSERT_STATUS(vrt__cuda_binary(g_stream, VRT__BIN_PRELU, VRT__DT_UINT16, NULL, &s1, NULL, &s1, NULL, &s1),
                  VRT_EUNSUPPORTED);
    ASSERT_TRUE(!vrt__cuda_binary_type_ok(VRT__DT_BOOL));
    ASSERT_TRUE(!vrt__cuda_binary_type_ok(VRT__DT_DOUBLE));
}

/* Pow with an integer base and a float exponent against the CPU backend's
 * path for it (Cast(a, float) -> vrt__cpu_binary Pow -> Cast back: truncation,
 * saturation, NaN -> 0): exponents whose powers are exact, fractional ones,
 * negative ones (1/x truncates to 0, 0^-1 = inf saturates) and NaN. */
TEST(pow_integer_base_float_exponent) {
    vrt__dtype dts[8] = {VRT__DT_INT8,  VRT__DT_UINT8,  VRT__DT_INT16, VRT__DT_UINT16,
                         VRT__DT_INT32, VRT__DT_UINT32, VRT__DT_INT64, VRT__DT_UINT64};
    vrt__shape sa = SHAPE(4, 1, 9), sb = SHAPE(3, 1), sy = SHAPE(4, 3, 9);
    int64_t na = 36, nb = 3, ny = 108;
    const float exps[][3] = {
        {2.0f, 3.0f, 0.0f}, {0.5f, 1.5f, -1.0f}, {-2.0f, 1.0f, NAN}, {9.0f, 40.0f, 2.5f}};
    for (int t = 0; t < 8; t++) {
        vrt__dtype dt = dts[t];
        size_t e = vrt__dtype_size(dt);
        void *a = malloc(na * e), *yc = malloc(ny * e), *yg = malloc(ny * e);
        float *af = malloc(na * 4), *yf = malloc(ny * 4);
        fill_int_small(dt, a, na, -9, 9);
        for (int q = 0; q < 4; q++) {
            ASSERT_OK(vrt__cpu_cast(dt, a, VRT__DT_FLOAT, af, na));
            ASSERT_OK(vrt__cpu_binary(NULL, VRT__BIN_POW, VRT__DT_FLOAT, af, &sa, exps[q], &sb, yf, &sy));
            ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT, yf, dt, yc, ny));
            void *da = dup_dev(a, na * e), *db = dup_dev(exps[q], nb * 4), *dy = dev_zero(ny * e);
            ASSERT_GPU_OK(vrt__cuda_pow_int_base(g_stream, dt, da, &sa, db, &sb, dy, &sy));
            fetch(yg, dy, ny * e);
            char what[64];
            snprintf(what, sizeof(what), "Pow %s ^ float, exponent set %d", vrt__dtype_name(dt), q);
            expect_bytes(what, yg, yc, ny * e);
            cudaFree(da), cudaFree(db), cudaFree(dy);
        }
        free(a), free(yc), free(yg), free(af), free(yf);
    }
    vrt__shape s1 = SHAPE(2);
    ASSERT_STATUS(vrt__cuda_pow_int_base(g_stream, VRT__DT_FLOAT, NULL, &s1, NULL, &s1, NULL, &s1),
                  VRT_EUNSUPPORTED);
}

TEST(compare_logical_where) {
    vrt__shape sa = SHAPE(3, 1, 7), sb = SHAPE(5, 1), sy = SHAPE(3, 5, 7);
    int64_t na = 21, nb = 5, ny = 105;
    vrt__dtype dts[4] = {VRT__DT_FLOAT, VRT__DT_INT64, VRT__DT_INT32, VRT__DT_BOOL};
    for (int t = 0; t < 4; t++) {
        size_t e = vrt__dtype_size(dts[t]);
        void *a = malloc(na * e), *b = malloc(nb * e);
        fill_typed(dts[t], a, na, -3, 3, 0);
        fill_typed(dts[t], b, nb, -3, 3, 0);
        if (dts[t] == VRT__DT_FLOAT) /* ties matter for >= and == */
            for (int64_t i = 0; i < na; i++)
                ((float *)a)[i] = (float)(int)((float *)a)[i];
        if (dts[t] == VRT__DT_FLOAT)
            for (int64_t i = 0; i < nb; i++)
                ((float *)b)[i] = (float)(int)((float *)b)[i];
        void *da = dup_dev(a, na * e), *db = dup_dev(b, nb * e);
        uint8_t yc[105], yg[105], *dy = dev_zero(ny);
        for (int op = 0; op < VRT__CMP_COUNT; op++) {
            if (dts[t] == VRT__DT_BOOL && op != VRT__CMP_EQUAL) continue;
            ASSERT_OK(vrt__cpu_compare((vrt__compare_op)op, dts[t], a, &sa, b, &sb, yc, &sy));
            ASSERT_GPU_OK(
                vrt__cuda_compare(g_stream, (vrt__compare_op)op, dts[t], da, &sa, db, &sb, dy, &sy));
            fetch(yg, dy, ny);
            expect_bytes("compare", yg, yc, ny);
        }
        if (dts[t] == VRT__DT_BOOL) {
            for (int op = 0; op < 3; op++) {
                ASSERT_OK(vrt__cpu_logical(op, a, &sa, b, &sb, yc, &sy));
                ASSERT_GPU_OK(vrt__cuda_logical(g_stream, op, da, &sa, db, &sb, dy, &sy));
                fetch(yg, dy, ny);
                expect_bytes("logical", yg, yc, ny);
            }
        }
        cudaFree(da), cudaFree(db), cudaFree(dy), free(a), free(b);
    }
    /* Where with a 3-way broadcast and element sizes 1, 2, 4, 8 and 3 */
    vrt__shape sc = SHAPE(4, 1, 1), sx = SHAPE(1, 6, 5), syy = SHAPE(6, 1), so = SHAPE(4, 6, 5);
    uint8_t cond[4] = {1, 0, 1, 1};
    size_t elems[5] = {1, 2, 4, 8, 3};
    for (int k = 0; k < 5; k++) {
        size_t e = elems[k];
        uint8_t x[30 * 8], y[6 * 8], oc[120 * 8], og[120 * 8];
        fill_bytes(x, sizeof(x));
        fill_bytes(y, sizeof(y));
        void *dc = dup_dev(cond, 4), *dx = dup_dev(x, 30 * e), *dyy = dup_dev(y, 6 * e),
             *dout = dev_zero(120 * e);
        ASSERT_OK(vrt__cpu_where(cond, &sc, x, &sx, y, &syy, e, oc, &so));
        ASSERT_GPU_OK(vrt__cuda_where(g_stream, dc, &sc, dx, &sx, dyy, &syy, e, dout, &so));
        fetch(og, dout, 120 * e);
        expect_bytes("Where", og, oc, 120 * e);
        cudaFree(dc), cudaFree(dx), cudaFree(dyy), cudaFree(dout);
    }
}

TEST(fused_chain) {
    vrt__shape sx = SHAPE(2, 8, 5, 7), sc = SHAPE(8, 1, 1), ss = SHAPE(1), sf = SHAPE(2, 8, 5, 7),
               sw = SHAPE(7);
    int64_t n = 560;
    float x[560], ch[8], sc1[1] = {0.75f}, full[560], w[7], yc[560], yg[560];
    fill_f(x, n, -4, 4);
    fill_f(ch, 8, -1, 1);
    fill_f(full, n, -2, 2);
    fill_f(w, 7, 0.5f, 2);
    float *dx = dup_dev(x, sizeof(x)), *dch = dup_dev(ch, sizeof(ch)), *ds = dup_dev(sc1, 4),
          *dfull = dup_dev(full, sizeof(full));
    float *dw = dup_dev(w, sizeof(w)), *dy = dev_zero(sizeof(yc));
    vrt__chain_step st[6];
    memset(st, 0, sizeof(st));
    st[0].is_binary = 1, st[0].bin = VRT__BIN_ADD, st[0].operand_shape = sc;
    vrt__unary_default_params(VRT__UN_LEAKY_RELU, &st[1].un);
    st[2].is_binary = 1, st[2].bin = VRT__BIN_SUB, st[2].operand_first = 1, st[2].operand_shape = ss;
    st[3].is_binary = 1, st[3].bin = VRT__BIN_MUL, st[3].operand_shape = sf;
    vrt__unary_default_params(VRT__UN_SILU, &st[4].un);
    st[5].is_binary = 1, st[5].bin = VRT__BIN_DIV, st[5].operand_first = 1, st[5].operand_shape = sw;
    const float *hops[6] = {ch, NULL, sc1, full, NULL, w}, *dops[6] = {dch, NULL, ds, dfull, NULL, dw};
    for (int i = 0; i < 6; i++)
        st[i].operand = hops[i];
    ASSERT_OK(vrt__cpu_chain_f32(NULL, x, &sx, st, 6, yc));
    for (int i = 0; i < 6; i++)
        st[i].operand = dops[i];
    ASSERT_GPU_OK(vrt__cuda_chain_f32(g_stream, dx, &sx, st, 6, dy));
    fetch(yg, dy, sizeof(yg));
    expect_f32("chain", yg, yc, n, 1e-5);
    /* in place */
    ASSERT_GPU_OK(vrt__cuda_chain_f32(g_stream, dx, &sx, st, 6, dx));
    fetch(yg, dx, sizeof(yg));
    expect_f32("chain in place", yg, yc, n, 1e-5);
    cudaFree(dx), cudaFree(dch), cudaFree(ds), cudaFree(dfull), cudaFree(dw), cudaFree(dy);
}

/* Bit-exact, except that any NaN equals any NaN (payloads are unspecified:
 * the GPU's float/double conversions canonicalise them). */
static void expect_cast(const char *what, vrt__dtype t, const uint8_t *g, const uint8_t *c, int64_t n) {
    size_t e = vrt__dtype_size(t);
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *a = g + i * e, *b = c + i * e;
        if (memcmp(a, b, e) == 0) continue;
        int an = 0, bn = 0;
        if (t == VRT__DT_FLOAT) {
            float x, y;
            memcpy(&x, a, 4), memcpy(&y, b, 4);
            an = isnan(x), bn = isnan(y);
        } else if (t == VRT__DT_DOUBLE) {
            double x, y;
            memcpy(&x, a, 8), memcpy(&y, b, 8);
            an = isnan(x), bn = isnan(y);
        } else if (t == VRT__DT_FLOAT16) {
            uint16_t x, y;
            memcpy(&x, a, 2), memcpy(&y, b, 2);
            an = (x & 0x7c00) == 0x7c00 && (x & 0x3ff), bn = (y & 0x7c00) == 0x7c00 && (y & 0x3ff);
        }
        if (an && bn) continue;
        vrt_test_fail(__FILE__, __LINE__, "%s: element %lld differs", what, (long long)i);
    }
}

TEST(cast_and_fp16) {
    vrt__dtype ts[] = {VRT__DT_FLOAT,  VRT__DT_FLOAT16, VRT__DT_DOUBLE, VRT__DT_INT64,
                       VRT__DT_INT32,  VRT__DT_INT16,   VRT__DT_INT8,   VRT__DT_UINT8,
                       VRT__DT_UINT16, VRT__DT_UINT32,  VRT__DT_UINT64, VRT__DT_BOOL};
    int nt = (int)(sizeof(ts) / sizeof(ts[0]));
    int64_t n = 1000;
    uint8_t *src = malloc(n * 8), *oc = malloc(n * 8), *og = malloc(n * 8);
    for (int f = 0; f < nt; f++) {
        size_t fs = vrt__dtype_size(ts[f]);
        /* random values of the source type: floats spread over a wide range with specials */
        for (int64_t i = 0; i < n; i++) {
            double v = (rnd_u32() % 3 == 0) ? rnd_f(-1e10f, 1e10f) : rnd_f(-300.0f, 300.0f);
            if (i == 0) v = NAN;
            if (i == 1) v = INFINITY;
            if (i == 2) v = -0.7;
            uint8_t *p = src + i * fs;
            switch (ts[f]) {
            case VRT__DT_FLOAT: {
                float t = (float)v;
                memcpy(p, &t, 4);
                break;
            }
            case VRT__DT_DOUBLE: memcpy(p, &v, 8); break;
            case VRT__DT_FLOAT16: {
                uint16_t h = vrt__float_to_half((float)v);
                memcpy(p, &h, 2);
                break;
            }
            case VRT__DT_BOOL: p[0] = (uint8_t)(rnd_u32() & 1); break;
            default: fill_bytes(p, fs); break;
            }
        }
        void *ds = dup_dev(src, n * fs);
        for (int t = 0; t < nt; t++) {
            size_t tsz = vrt__dtype_size(ts[t]);
            void *dd = dev_zero(n * tsz);
            ASSERT_OK(vrt__cpu_cast(ts[f], src, ts[t], oc, n));
            ASSERT_GPU_OK(vrt__cuda_cast(g_stream, ts[f], ds, ts[t], dd, n));
            fetch(og, dd, n * tsz);
            char what[64];
            snprintf(what, sizeof(what), "Cast %s -> %s", vrt__dtype_name(ts[f]), vrt__dtype_name(ts[t]));
            expect_cast(what, ts[t], og, oc, n);
            cudaFree(dd);
        }
        cudaFree(ds);
    }
    free(src), free(oc), free(og);
    /* every half bit pattern -> float, and floats around the half range -> half */
    int64_t nh = 65536;
    uint16_t *h = malloc(nh * 2), *hc = malloc(nh * 2), *hg = malloc(nh * 2);
    float *f = malloc(nh * 4), *fc = malloc(nh * 4), *fg = malloc(nh * 4);
    for (int64_t i = 0; i < nh; i++)
        h[i] = (uint16_t)i;
    for (int64_t i = 0; i < nh; i++) {
        uint32_t bits = rnd_u32() << 1 ^ rnd_u32();
        float v;
        switch (i % 4) {
        case 0: v = rnd_f(-70000.0f, 70000.0f); break;
        case 1: v = rnd_f(-1e-4f, 1e-4f); break; /* subnormal halves */
        case 2: v = rnd_f(-1e-7f, 1e-7f); break;
        default: memcpy(&v, &bits, 4); break;
        }
        f[i] = v;
    }
    uint16_t *dh = dup_dev(h, nh * 2), *dho = dev_zero(nh * 2);
    float *df = dup_dev(f, nh * 4), *dfo = dev_zero(nh * 4);
    for (int64_t i = 0; i < nh; i++)
        fc[i] = vrt__half_to_float(h[i]), hc[i] = vrt__float_to_half(f[i]);
    ASSERT_GPU_OK(vrt__cuda_f16_to_f32(g_stream, dh, dfo, nh));
    ASSERT_GPU_OK(vrt__cuda_f32_to_f16(g_stream, df, dho, nh));
    fetch(fg, dfo, nh * 4);
    fetch(hg, dho, nh * 2);
    expect_bytes("f16 -> f32", fg, fc, nh * 4);
    expect_bytes("f32 -> f16", hg, hc, nh * 2);
    cudaFree(dh), cudaFree(dho), cudaFree(df), cudaFree(dfo);
    free(h), free(hc), free(hg), free(f), free(fc), free(fg);
    /* fill */
    uint8_t v3[3] = {1, 2, 3}, out[30], want[30];
    uint8_t *dfill = dev_zero(30);
    ASSERT_GPU_OK(vrt__cuda_fill(g_stream, v3, 3, dfill, 10));
    fetch(out, dfill, 30);
    ASSERT_OK(vrt__cpu_constant_of_shape(v3, 3, want, 10));
    expect_bytes("fill", out, want, 30);
    cudaFree(dfill);
}

/* backend_cpu.c's Cast step, reproduced with the CPU's functions: x and y in
 * the engine's held form (vrt__plan_dtype) of from and to. */
static void cpu_cast_node(vrt__dtype from, const void *x, vrt__dtype to, void *y, int64_t n, int sat,
                          int mode) {
    vrt__dtype hf = vrt__plan_dtype(from), ht = vrt__plan_dtype(to);
    size_t fs = vrt__dtype_size(hf);
    if (vrt__dtype_is_subbyte(to)) {
        int8_t *o = y;
        for (int64_t i = 0; i < n; i++) {
            const uint8_t *p = (const uint8_t *)x + i * fs;
            if (hf == VRT__DT_FLOAT) {
                float f;
                memcpy(&f, p, 4);
                o[i] = vrt__subbyte_from_float(to, f);
            } else if (hf == VRT__DT_BOOL) {
                o[i] = (int8_t)(p[0] != 0);
            } else {
                int64_t v; /* backend_cpu.c's geti: sign- or zero-extended, uint64 as its bits */
                ASSERT_OK(vrt__cpu_cast(hf, p, VRT__DT_INT64, &v, 1));
                o[i] = vrt__subbyte_wrap(to, v);
            }
        }
        return;
    }
    ASSERT_OK(vrt__cpu_cast(hf, x, ht, y, n));
    float *f = y;
    if (to == VRT__DT_FLOAT16 && from != VRT__DT_FLOAT16)
        for (int64_t i = 0; i < n; i++)
            f[i] = vrt__half_to_float(vrt__float_to_half(f[i]));
    if (vrt__dtype_is_lowp_float(to) && from != to)
        for (int64_t i = 0; i < n; i++)
            f[i] = vrt__lowp_round(to, f[i], sat, mode);
}

/* An fp32 value (held float, double or the source of a rounding Cast) from
 * one of several families: any bit pattern (NaN payloads, denormals), the
 * ranges and saturation edges of the float8/float4 types, exact ties of
 * short mantissas, fp32 denormals and specials. */
static float rnd_held_f32(int64_t i) {
    static const float special[] = {NAN,
                                    -NAN,
                                    INFINITY,
                                    -INFINITY,
                                    0.0f,
                                    -0.0f,
                                    448.0f,
                                    464.0f,
                                    480.0f,
                                    -464.0f,
                                    240.0f,
                                    248.0f,
                                    256.0f,
                                    57344.0f,
                                    61440.0f,
                                    -61440.0f,
                                    65536.0f,
                                    6.0f,
                                    7.0f,
                                    -7.0f,
                                    0.25f,
                                    0.75f,
                                    1e30f,
                                    -1e30f,
                                    3.4028235e38f,
                                    1.9e19f,
                                    -9.3e18f,
                                    8.0f,
                                    -9.0f,
                                    0.001953125f,
                                    0.0009765625f,
                                    1.52587890625e-05f,
                                    7.62939453125e-06f,
                                    1e-45f,
                                    -1.17549435e-38f};
    uint32_t bits = rnd_u32() << 1 ^ rnd_u32();
    float v;
    switch (i % 8) {
    case 0: memcpy(&v, &bits, 4); break;
    case 1: v = rnd_f(-70000.0f, 70000.0f); break;
    case 2: v = rnd_u32() & 1 ? rnd_f(-0.02f, 0.02f) : rnd_f(-1e-4f, 1e-4f); break; /* float8 subnormals */
    case 3: v = rnd_f(-600.0f, 600.0f); break;
    case 4: v = rnd_f(-10.0f, 10.0f); break;
    case 5:
        v = (float)ldexp((double)(2 * (rnd_u32() % 32) + 1), (int)(rnd_u32() % 48) - 30); /* ties */
        if (rnd_u32() & 1) v = -v;
        break;
    case 6:
        bits &= 0x807fffffu;
        memcpy(&v, &bits, 4);
        break;
    default: v = special[rnd_u32() % (sizeof(special) / sizeof(special[0]))]; break;
    }
    return v;
}

/* n random elements of type t in the engine's held form (as set_input or a
 * weight upload would hold them). */
static void fill_held(vrt__dtype t, void *held, int64_t n) {
    vrt__dtype h = vrt__plan_dtype(t);
    if (h == VRT__DT_FLOAT && (t == VRT__DT_FLOAT || t == VRT__DT_DOUBLE)) {
        for (int64_t i = 0; i < n; i++)
            ((float *)held)[i] = rnd_held_f32(i);
        return;
    }
    if (t == VRT__DT_BOOL) {
        for (int64_t i = 0; i < n; i++)
            ((uint8_t *)held)[i] = (uint8_t)(rnd_u32() & 1);
        return;
    }
    /* Host form: raw bits (every byte pattern first), converted as the boundary does. */
    size_t hs = vrt__dtype_size(t);
    uint8_t *host = malloc((size_t)n * hs);
    fill_bytes(host, (size_t)n * hs);
    if (hs == 1)
        for (int64_t i = 0; i < n && i < 256; i++)
            host[i] = (uint8_t)i;
    if (t == VRT__DT_FLOAT16) {
        for (int64_t i = 0; i < n; i++)
            ((float *)held)[i] = vrt__half_to_float(((const uint16_t *)host)[i]);
    } else {
        vrt__lowp_host_to_engine(t, host, held, n);
    }
    free(host);
}

/* The Cast node (vrt__cuda_cast_node) against backend_cpu.c's Cast for every
 * pair of types, those held in a wider type included (lowp.h), saturate 0/1
 * and every float8e8m0 round_mode: the held bits must match (a NaN of an fp32
 * result may differ in payload only, as in cast_and_fp16), and so must the
 * host form get_output would give (there a NaN's bits must match too). */
TEST(cast_node_low_precision_types) {
    vrt__dtype ts[] = {
        VRT__DT_FLOAT,          VRT__DT_FLOAT16,      VRT__DT_DOUBLE,         VRT__DT_INT64,
        VRT__DT_INT32,          VRT__DT_INT16,        VRT__DT_INT8,           VRT__DT_UINT8,
        VRT__DT_UINT16,         VRT__DT_UINT32,       VRT__DT_UINT64,         VRT__DT_BOOL,
        VRT__DT_BFLOAT16,       VRT__DT_FLOAT8E4M3FN, VRT__DT_FLOAT8E4M3FNUZ, VRT__DT_FLOAT8E5M2,
        VRT__DT_FLOAT8E5M2FNUZ, VRT__DT_FLOAT8E8M0,   VRT__DT_FLOAT4E2M1,     VRT__DT_INT4,
        VRT__DT_UINT4,          VRT__DT_INT2,         VRT__DT_UINT2};
    int nt = (int)(sizeof(ts) / sizeof(ts[0]));
    int64_t n = 4096;
    uint8_t *src = malloc(n * 8), *oc = malloc(n * 8), *og = malloc(n * 8), *hc = malloc(n * 8),
            *hg = malloc(n * 8);
    int pairs = 0;
    for (int f = 0; f < nt; f++) {
        vrt__dtype hf = vrt__plan_dtype(ts[f]);
        fill_held(ts[f], src, n);
        void *ds = dup_dev(src, n * vrt__dtype_size(hf));
        for (int t = 0; t < nt; t++) {
            vrt__dtype to = ts[t], ht = vrt__plan_dtype(to);
            size_t tsz = vrt__dtype_size(ht);
            int nmodes = to == VRT__DT_FLOAT8E8M0 ? 3 : 1;
            for (int sat = 0; sat <= 1; sat++) {
                for (int mode = 0; mode < nmodes; mode++) {
                    void *dd = dev_zero(n * tsz);
                    cpu_cast_node(ts[f], src, to, oc, n, sat, mode);
                    ASSERT_GPU_OK(vrt__cuda_cast_node(g_stream, ts[f], ds, to, dd, n, sat, mode));
                    fetch(og, dd, n * tsz);
                    char what[96];
                    snprintf(what, sizeof(what), "Cast node %s -> %s (saturate %d, round_mode %d)",
                             vrt__dtype_name(ts[f]), vrt__dtype_name(to), sat, mode);
                    expect_cast(what, ht, og, oc, n);
                    /* The host form, as get_output converts it (fp32 and double: above). */
                    if (to == VRT__DT_FLOAT16) {
                        for (int64_t i = 0; i < n; i++) {
                            ((uint16_t *)hc)[i] = vrt__float_to_half(((const float *)oc)[i]);
                            ((uint16_t *)hg)[i] = vrt__float_to_half(((const float *)og)[i]);
                        }
                        expect_bytes(what, hg, hc, n * 2);
                    } else if (to != VRT__DT_FLOAT && to != VRT__DT_DOUBLE) {
                        vrt__lowp_engine_to_host(to, oc, hc, n);
                        vrt__lowp_engine_to_host(to, og, hg, n);
                        expect_bytes(what, hg, hc, n * vrt__dtype_size(to));
                    }
                    cudaFree(dd);
                    pairs++;
                }
            }
        }
        cudaFree(ds);
    }
    ASSERT_TRUE(pairs >= nt * nt * 2);
    free(src), free(oc), free(og), free(hc), free(hg);
}

/* ---- reductions ------------------------------------------------------------------ */

static void check_reduce(const vrt__shape *sx, vrt__reduce_op op, int naxes, const int64_t *axes,
                         int keepdims, float lo, float hi) {
    vrt__reduce_params p;
    vrt__reduce_default_params(op, &p);
    p.naxes = naxes;
    for (int i = 0; i < naxes; i++)
        p.axes[i] = axes[i];
    p.keepdims = keepdims;
    vrt__shape sy;
    ASSERT_OK(vrt__reduce_out_shape(&p, sx, &sy));
    int64_t n = vrt__shape_numel(sx), ny = vrt__shape_numel(&sy);
    float *x = malloc((n ? n : 1) * 4), *yc = malloc((ny ? ny : 1) * 4), *yg = malloc((ny ? ny : 1) * 4);
    fill_f(x, n, lo, hi);
    float *dx = dup_dev(x, n * 4), *dy = dev_zero(ny * 4);
    ASSERT_OK(vrt__cpu_reduce_f32(NULL, &p, x, sx, yc));
    ASSERT_GPU_OK(vrt__cuda_reduce_f32(g_stream, &p, dx, sx, dy));
    fetch(yg, dy, ny * 4);
    char what[64];
    snprintf(what, sizeof(what), "reduce op %d naxes %d", (int)op, naxes);
    expect_f32(what, yg, yc, ny, 1e-5);
    cudaFree(dx), cudaFree(dy), free(x), free(yc), free(yg);
}

TEST(reduce_all_ops) {
    vrt__shape s = SHAPE(3, 4, 5, 6);
    int64_t a1[] = {1}, a2[] = {0, 2}, a3[] = {-1, 1}, a4[] = {3};
    for (int op = 0; op < VRT__RED_COUNT; op++) {
        float lo = op == VRT__RED_PROD ? 0.8f : -3.0f, hi = op == VRT__RED_PROD ? 1.25f : 3.0f;
        check_reduce(&s, op, 1, a1, 1, lo, hi);
        check_reduce(&s, op, 2, a2, 0, lo, hi);
        check_reduce(&s, op, 2, a3, 1, lo, hi);
        check_reduce(&s, op, 1, a4, 0, lo, hi);
        check_reduce(&s, op, 0, NULL, 0, lo, hi);
        /* long rows: the block-per-output path */
        vrt__shape big = SHAPE(3, 2000), all = SHAPE(37, 211);
        check_reduce(&big, op, 1, a1, 1, lo, hi);
        check_reduce(&all, op, 0, NULL, 1, lo, hi);
        /* an empty reduced axis gives the identity */
        vrt__shape empty = SHAPE(4, 0, 3);
        check_reduce(&empty, op, 1, a1, 1, lo, hi);
    }
}

TEST(softmax_argmax_topk) {
    vrt__shape shapes[] = {SHAPE(3, 4, 5), SHAPE(2, 1500), SHAPE(7, 300, 3)};
    for (int si = 0; si < 3; si++) {
        vrt__shape *s = &shapes[si];
        int64_t n = vrt__shape_numel(s);
        float *x = malloc(n * 4), *yc = malloc(n * 4), *yg = malloc(n * 4);
        fill_f(x, n, -10, 10);
        float *dx = dup_dev(x, n * 4), *dy = dev_zero(n * 4);
        for (int axis = -1; axis < s->ndim; axis++) {
            for (int mode = 0; mode < 4; mode++) {
                vrt__softmax_params p = {axis, mode & 1, mode >> 1};
                ASSERT_OK(vrt__cpu_softmax_f32(NULL, &p, x, s, yc));
                ASSERT_GPU_OK(vrt__cuda_softmax_f32(g_stream, &p, dx, s, dy));
                fetch(yg, dy, n * 4);
                expect_f32("softmax", yg, yc, n, 1e-5);
            }
        }
        /* ArgMax/ArgMin with ties (values quantised) */
        for (int64_t i = 0; i < n; i++)
            x[i] = (float)(int)(x[i] / 4);
        cudaMemcpy(dx, x, n * 4, cudaMemcpyHostToDevice);
        cudaDeviceSynchronize();
        int64_t *ic = malloc(n * 8), *ig = malloc(n * 8), *di = dev_zero(n * 8);
        for (int axis = 0; axis < s->ndim; axis++) {
            for (int mode = 0; mode < 4; mode++) {
                vrt__argmax_params p = {axis, 1, mode & 1, mode >> 1};
                vrt__shape sy;
                ASSERT_OK(vrt__argmax_out_shape(&p, s, &sy));
                int64_t ny = vrt__shape_numel(&sy);
                ASSERT_OK(vrt__cpu_argmax_f32(&p, x, s, ic));
                ASSERT_GPU_OK(vrt__cuda_argmax_f32(g_stream, &p, dx, s, di));
                fetch(ig, di, ny * 8);
                expect_bytes("argmax", ig, ic, ny * 8);
            }
        }
        /* TopK: ties, NaN, both directions, every axis */
        x[1] = NAN;
        x[n - 1] = NAN;
        cudaMemcpy(dx, x, n * 4, cudaMemcpyHostToDevice);
        cudaDeviceSynchronize();
        for (int axis = 0; axis < s->ndim; axis++) {
            for (int largest = 0; largest < 2; largest++) {
                vrt__topk_params p = {s->d[axis] < 5 ? s->d[axis] : 5, axis, largest, 1};
                vrt__shape sy;
                ASSERT_OK(vrt__topk_out_shape(&p, s, &sy));
                int64_t ny = vrt__shape_numel(&sy);
                void *scratch = malloc(vrt__topk_scratch_bytes(&p, s));
                float *vg = malloc(ny * 4);
                float *dv = dev_zero(ny * 4);
                ASSERT_OK(vrt__cpu_topk_f32(&p, x, s, yc, ic, scratch));
                ASSERT_GPU_OK(vrt__cuda_topk_f32(g_stream, &p, dx, s, dv, di, NULL));
                fetch(vg, dv, ny * 4);
                fetch(ig, di, ny * 8);
                expect_bytes("topk values", vg, yc, ny * 4);
                expect_bytes("topk indices", ig, ic, ny * 8);
                free(scratch), free(vg), cudaFree(dv);
            }
        }
        cudaFree(dx), cudaFree(dy), cudaFree(di), free(x), free(yc), free(yg), free(ic), free(ig);
    }
}

/* TopK on every integer type against vrt__cpu_topk_int: full-range values
 * and many ties (values from a small set), both directions, every axis. */
TEST(topk_integer_types) {
    vrt__dtype dts[8] = {VRT__DT_INT8,  VRT__DT_UINT8,  VRT__DT_INT16, VRT__DT_UINT16,
                         VRT__DT_INT32, VRT__DT_UINT32, VRT__DT_INT64, VRT__DT_UINT64};
    vrt__shape shapes[] = {SHAPE(3, 4, 5), SHAPE(2, 700), SHAPE(5, 33, 3)};
    for (int t = 0; t < 8; t++) {
        vrt__dtype dt = dts[t];
        size_t e = vrt__dtype_size(dt);
        ASSERT_TRUE(vrt__cuda_topk_type_ok(dt));
        for (int si = 0; si < 3; si++) {
            vrt__shape *s = &shapes[si];
            int64_t n = vrt__shape_numel(s);
            void *x = malloc(n * e);
            for (int ties = 0; ties < 2; ties++) {
                if (ties)
                    fill_int_small(dt, x, n, -3, 3);
                else
                    fill_int_edges(dt, x, n);
                void *dx = dup_dev(x, n * e);
                for (int axis = 0; axis < s->ndim; axis++) {
                    for (int largest = 0; largest < 2; largest++) {
                        vrt__topk_params p = {s->d[axis] < 6 ? s->d[axis] : 6, axis, largest, 1};
                        vrt__shape sy;
                        ASSERT_OK(vrt__topk_out_shape(&p, s, &sy));
                        int64_t ny = vrt__shape_numel(&sy);
                        void *vc = malloc(ny * e), *vg = malloc(ny * e),
                             *scratch = malloc((size_t)p.k * 8 + 64);
                        int64_t *ic = malloc(ny * 8), *ig = malloc(ny * 8);
                        void *dv = dev_zero(ny * e);
                        int64_t *di = dev_zero(ny * 8);
                        ASSERT_OK(vrt__cpu_topk_int(&p, dt, x, s, vc, ic, scratch));
                        ASSERT_GPU_OK(vrt__cuda_topk(g_stream, &p, dt, dx, s, dv, di, NULL));
                        fetch(vg, dv, ny * e);
                        fetch(ig, di, ny * 8);
                        char what[96];
                        snprintf(what, sizeof(what), "topk %s shape %d axis %d largest %d ties %d",
                                 vrt__dtype_name(dt), si, axis, largest, ties);
                        expect_bytes(what, vg, vc, ny * e);
                        expect_bytes(what, ig, ic, ny * 8);
                        /* indices are optional */
                        ASSERT_GPU_OK(vrt__cuda_topk(g_stream, &p, dt, dx, s, dv, NULL, NULL));
                        fetch(vg, dv, ny * e);
                        expect_bytes(what, vg, vc, ny * e);
                        cudaFree(dv), cudaFree(di), free(vc), free(vg), free(scratch), free(ic), free(ig);
                    }
                }
                cudaFree(dx);
            }
            free(x);
        }
    }
    vrt__topk_params p = {1, 0, 1, 1};
    vrt__shape s1 = SHAPE(4);
    ASSERT_STATUS(vrt__cuda_topk(g_stream, &p, VRT__DT_BOOL, NULL, &s1, NULL, NULL, NULL), VRT_EUNSUPPORTED);
}

/* ---- data movement ------------------------------------------------------------------ */

/* fp16 NHWC channel concat (option half_concat): against a loop over the
 * NHWC layout, on 16-bit patterns (a copy: every bit must survive). */
TEST(concat_nhwc_half) {
    const int ch[4] = {3, 16, 1, 8};
    const int64_t P = 2 * 5 * 7; /* N*H*W */
    int C = 0;
    uint16_t *h[4];
    void *d[4];
    for (int k = 0; k < 4; k++) {
        h[k] = malloc((size_t)(P * ch[k]) * 2);
        ASSERT_TRUE(h[k] != NULL);
        for (int64_t i = 0; i < P * ch[k]; i++)
            h[k][i] = (uint16_t)(k * 10007 + i * 31 + 5);
        d[k] = dup_dev(h[k], (size_t)(P * ch[k]) * 2);
        C += ch[k];
    }
    for (int n = 1; n <= 4; n++) {
        int Cn = 0;
        for (int k = 0; k < n; k++)
            Cn += ch[k];
        uint16_t *want = malloc((size_t)(P * Cn) * 2), *got = malloc((size_t)(P * Cn) * 2);
        ASSERT_TRUE(want && got);
        for (int64_t p = 0; p < P; p++)
            for (int k = 0, off = 0; k < n; off += ch[k], k++)
                for (int c = 0; c < ch[k]; c++)
                    want[p * Cn + off + c] = h[k][p * ch[k] + c];
        void *dy = dev_zero((size_t)(P * Cn) * 2);
        ASSERT_GPU_OK(vrt__cuda_concat_nhwc_half(g_stream, n, (const void *const *)d, ch, P, dy));
        fetch(got, dy, (size_t)(P * Cn) * 2);
        char what[64];
        snprintf(what, sizeof(what), "concat fp16 NHWC of %d inputs", n);
        expect_bytes(what, got, want, (size_t)(P * Cn) * 2);
        cudaFree(dy), free(want), free(got);
    }
    ASSERT_TRUE(vrt__cuda_concat_nhwc_half(g_stream, 9, (const void *const *)d, ch, P, d[0]) == VRT_EINVAL);
    ASSERT_TRUE(vrt__cuda_concat_nhwc_half(NULL, 2, (const void *const *)d, ch, P, d[0]) == VRT_EINVAL);
    for (int k = 0; k < 4; k++)
        cudaFree(d[k]), free(h[k]);
    (void)C;
}

TEST(pad_all_modes) {
    vrt__shape sx = SHAPE(2, 5, 6);
    int64_t n = 60;
    size_t es[3] = {4, 2, 8};
    int64_t padsets[3][6] = {{0, 2, 3, 1, 4, 2}, {1, -1, 0, 0, 3, -2}, {0, 4, 5, 0, 4, 5}};
    for (int k = 0; k < 3; k++) {
        uint8_t x[60 * 8];
        fill_bytes(x, sizeof(x));
        void *dx = dup_dev(x, n * es[k]);
        for (int mode = 0; mode < 4; mode++) {
            for (int ps = 0; ps < 3; ps++) {
                vrt__pad_params p;
                memset(&p, 0, sizeof(p));
                p.mode = (vrt__pad_mode)mode;
                memcpy(p.pads, padsets[ps], sizeof(padsets[ps]));
                uint8_t value[8] = {7, 1, 2, 3, 4, 5, 6, 9};
                p.value = (ps == 1) ? NULL : value;
                vrt__shape sy;
                ASSERT_OK(vrt__pad_out_shape(&p, &sx, &sy));
                int64_t ny = vrt__shape_numel(&sy);
                uint8_t *yc = malloc(ny * es[k]), *yg = malloc(ny * es[k]);
                void *dy = dev_zero(ny * es[k]);
                ASSERT_OK(vrt__cpu_pad(&p, x, &sx, es[k], yc));
                ASSERT_GPU_OK(vrt__cuda_pad(g_stream, &p, dx, &sx, es[k], dy));
                fetch(yg, dy, ny * es[k]);
                char what[64];
                snprintf(what, sizeof(what), "Pad mode %d set %d elem %zu", mode, ps, es[k]);
                expect_bytes(what, yg, yc, ny * es[k]);
                cudaFree(dy), free(yc), free(yg);
            }
        }
        cudaFree(dx);
    }
}

/* ---- Resize ---------------------------------------------------------------------- */

static void check_resize(const vrt__resize_params *p, const vrt__shape *sx, const char *what) {
    vrt__shape sy;
    ASSERT_OK(vrt__resize_out_shape(p, sx, &sy));
    int64_t n = vrt__shape_numel(sx), ny = vrt__shape_numel(&sy);
    float *x = malloc(n * 4), *yc = malloc(ny * 4), *yg = malloc(ny * 4);
    fill_f(x, n, -5, 5);
    void *scratch = malloc(vrt__resize_scratch_bytes(p, sx, &sy) + 8);
    float *dx = dup_dev(x, n * 4), *dy = dev_zero(ny * 4);
    ASSERT_OK(vrt__cpu_resize_f32(NULL, p, x, sx, yc, &sy, scratch));
    ASSERT_GPU_OK(vrt__cuda_resize_f32(g_stream, p, dx, sx, dy, &sy, NULL));
    fetch(yg, dy, ny * 4);
    if (p->mode == VRT__RESIZE_NEAREST)
        expect_bytes(what, yg, yc, ny * 4);
    else
        expect_f32(what, yg, yc, ny, 1e-5);
    cudaFree(dx), cudaFree(dy), free(x), free(yc), free(yg), free(scratch);
}

TEST(resize_every_mode) {
    vrt__shape sx = SHAPE(2, 3, 7, 10);
    float scale_sets[3][4] = {{1, 1, 2.0f, 1.5f}, {1, 1, 0.6f, 0.35f}, {1, 1, 3.0f, 0.5f}};
    for (int mode = 0; mode < 3; mode++) {
        for (int coord = 0; coord <= VRT__COORD_TF_HALF_PIXEL_FOR_NN; coord++) {
            for (int nm = 0; nm < (mode == 0 ? 4 : 1); nm++) {
                for (int ss = 0; ss < 4; ss++) {
                    vrt__resize_params p;
                    vrt__resize_default_params(&p);
                    p.mode = (vrt__resize_mode)mode;
                    p.coord = (vrt__resize_coord)coord;
                    p.nearest_mode = (vrt__resize_nearest)nm;
                    if (ss < 3) {
                        p.have_scales = 1;
                        memcpy(p.scales, scale_sets[ss], sizeof(p.scales[0]) * 4);
                    } else {
                        p.have_sizes = 1;
                        int64_t sz[4] = {2, 3, 11, 4};
                        memcpy(p.sizes, sz, sizeof(sz));
                    }
                    if (coord == VRT__COORD_TF_CROP_AND_RESIZE) {
                        p.have_roi = 1;
                        float roi[8] = {0, 0, 0.1f, -0.2f, 1, 1, 0.8f, 1.3f};
                        memcpy(p.roi, roi, sizeof(roi));
                        p.extrapolation_value = -7.5f;
                    }
                    if (mode == 2 && ss == 1) p.exclude_outside = 1;
                    char what[96];
                    snprintf(what, sizeof(what), "Resize mode %d coord %d nearest %d set %d", mode, coord, nm,
                             ss);
                    check_resize(&p, &sx, what);
                }
            }
        }
    }
    /* opset-18 axes + keep_aspect_ratio_policy, and a 3-D trilinear */
    vrt__resize_params p;
    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_LINEAR;
    p.have_sizes = 1;
    p.naxes = 2, p.axes[0] = 2, p.axes[1] = -1;
    p.sizes[0] = 9, p.sizes[1] = 9;
    for (int ka = 0; ka < 3; ka++) {
        p.keep_aspect = (vrt__resize_aspect)ka;
        check_resize(&p, &sx, "Resize axes/aspect");
    }
    vrt__shape s3 = SHAPE(1, 2, 4, 5, 6);
    vrt__resize_default_params(&p);
    p.mode = VRT__RESIZE_LINEAR;
    p.coord = VRT__COORD_ALIGN_CORNERS;
    p.have_scales = 1;
    float sc3[5] = {1, 1, 1.5f, 2, 0.5f};
    memcpy(p.scales, sc3, sizeof(sc3));
    check_resize(&p, &s3, "Resize 3-D");
}

/* ---- pooling ------------------------------------------------------------------------ */

static void check_pool(vrt__pool_params *p, int is_max, const char *what) {
    ASSERT_OK(vrt__pool_resolve(p, NULL, 0));
    int64_t invol = 1, outvol = 1;
    for (int i = 0; i < p->nsp; i++)
        invol *= p->in[i], outvol *= p->out[i];
    int64_t n = p->N * p->C * invol, ny = p->N * p->C * outvol;
    float *x = malloc(n * 4), *yc = malloc(ny * 4), *yg = malloc(ny * 4);
    int64_t *ic = malloc(ny * 8), *ig = malloc(ny * 8);
    fill_f(x, n, -3, 3);
    float *dx = dup_dev(x, n * 4), *dy = dev_zero(ny * 4);
    int64_t *di = dev_zero(ny * 8);
    if (is_max) {
        ASSERT_OK(vrt__maxpool(NULL, p, x, yc, ic));
        ASSERT_GPU_OK(vrt__cuda_maxpool(g_stream, p, dx, dy, di));
        fetch(ig, di, ny * 8);
        expect_bytes(what, ig, ic, ny * 8);
        /* storage_order=1 (ONNX MaxPool): within each (n, c) plane the flat
         * index counts the spatial dims column-major (first dim fastest). */
        for (int64_t q = 0; q < ny; q++) {
            if (ic[q] < 0) continue;
            int64_t r = ic[q] % invol, co[3] = {0, 0, 0}, col = 0, st = 1;
            for (int i = p->nsp - 1; i >= 0; i--)
                co[i] = r % p->in[i], r /= p->in[i];
            for (int i = 0; i < p->nsp; i++)
                col += co[i] * st, st *= p->in[i];
            ic[q] = ic[q] - ic[q] % invol + col;
        }
        ASSERT_GPU_OK(vrt__cuda_maxpool_order(g_stream, p, dx, dy, di, 1));
        fetch(ig, di, ny * 8);
        char w2[128];
        snprintf(w2, sizeof(w2), "%s, storage_order=1", what);
        expect_bytes(w2, ig, ic, ny * 8);
    } else {
        ASSERT_OK(vrt__avgpool(NULL, p, x, yc));
        ASSERT_GPU_OK(vrt__cuda_avgpool(g_stream, p, dx, dy));
    }
    fetch(yg, dy, ny * 4);
    expect_bytes(what, yg, yc, ny * 4); /* same order of additions: bit-exact */
    cudaFree(dx), cudaFree(dy), cudaFree(di), free(x), free(yc), free(yg), free(ic), free(ig);
}

TEST(pool_variants) {
    for (int v = 0; v < 12; v++) {
        vrt__pool_params p;
        vrt__pool_default_params(&p);
        p.N = 2, p.C = 3;
        p.nsp = 1 + v % 3;
        for (int i = 0; i < p.nsp; i++) {
            p.in[i] = 7 + 2 * i + v % 2;
            p.k[i] = 2 + (v + i) % 2;
            p.strides[i] = 1 + (v / 2 + i) % 2;
            p.dilations[i] = (v % 5 == 0) ? 2 : 1;
            p.pads_begin[i] = (v / 3) % 2;
            p.pads_end[i] = (v / 4) % 2;
        }
        p.ceil_mode = v % 2 == 1 || v == 4;
        p.count_include_pad = v % 4 >= 2;
        if (v == 11) p.auto_pad = VRT__AUTO_PAD_SAME_LOWER;
        vrt__pool_params q = p;
        char what[64];
        snprintf(what, sizeof(what), "MaxPool variant %d", v);
        check_pool(&p, 1, what);
        snprintf(what, sizeof(what), "AveragePool variant %d", v);
        check_pool(&q, 0, what);
    }
    int64_t N = 3, C = 5, sp = 37 * 41;
    int64_t n = N * C * sp;
    float *x = malloc(n * 4), yc[15], yg[15];
    fill_f(x, n, -2, 2);
    x[7 * sp + 3] = NAN;
    float *dx = dup_dev(x, n * 4), *dy = dev_zero(sizeof(yc));
    ASSERT_OK(vrt__global_avgpool(NULL, N, C, sp, x, yc));
    ASSERT_GPU_OK(vrt__cuda_global_avgpool(g_stream, N, C, sp, dx, dy));
    fetch(yg, dy, sizeof(yg));
    expect_f32("GlobalAveragePool", yg, yc, 15, 1e-5);
    ASSERT_OK(vrt__global_maxpool(NULL, N, C, sp, x, yc));
    ASSERT_GPU_OK(vrt__cuda_global_maxpool(g_stream, N, C, sp, dx, dy));
    fetch(yg, dy, sizeof(yg));
    expect_bytes("GlobalMaxPool", yg, yc, sizeof(yc));
    ASSERT_TRUE(isnan(yg[7]));
    cudaFree(dx), cudaFree(dy), free(x);
}

/* Integer MaxPool (the CPU backend runs int8/uint8 MaxPool through fp32 in
 * scratch: cast, vrt__maxpool, cast back; reproduced here; exact in fp32 for
 * 16-bit values too) against vrt__cuda_maxpool_typed: values and indices,
 * both storage orders, including windows of padding only. */
TEST(maxpool_integer_types) {
    vrt__dtype dts[4] = {VRT__DT_UINT8, VRT__DT_INT8, VRT__DT_INT16, VRT__DT_UINT16};
    for (int t = 0; t < 4; t++) {
        vrt__dtype dt = dts[t];
        size_t e = vrt__dtype_size(dt);
        for (int v = 0; v < 8; v++) {
            vrt__pool_params p;
            vrt__pool_default_params(&p);
            p.N = 2, p.C = 3;
            p.nsp = 1 + v % 3;
            for (int i = 0; i < p.nsp; i++) {
                p.in[i] = 6 + 2 * i + v % 2;
                p.k[i] = 2 + (v + i) % 2;
                p.strides[i] = 1 + (v / 2 + i) % 2;
                p.dilations[i] = v == 5 ? 2 : 1;
                p.pads_begin[i] = (v / 3) % 2;
                p.pads_end[i] = (v / 4) % 2;
            }
            p.ceil_mode = v % 2 == 1;
            if (v == 7) {
                /* a window that sees only padding: big pads, stride past the input */
                p.nsp = 2, p.in[0] = 3, p.in[1] = 3, p.k[0] = p.k[1] = 2, p.strides[0] = p.strides[1] = 4;
                p.pads_begin[0] = p.pads_begin[1] = 0, p.pads_end[0] = p.pads_end[1] = 1;
                p.ceil_mode = 1;
            }
            ASSERT_OK(vrt__pool_resolve(&p, NULL, 0));
            int64_t invol = 1, outvol = 1;
            for (int i = 0; i < p.nsp; i++)
                invol *= p.in[i], outvol *= p.out[i];
            int64_t n = p.N * p.C * invol, ny = p.N * p.C * outvol;
            void *x = malloc(n * e), *yc = malloc(ny * e), *yg = malloc(ny * e);
            float *xf = malloc(n * 4), *yf = malloc(ny * 4);
            int64_t *ic = malloc(ny * 8), *ig = malloc(ny * 8);
            if (v % 2)
                fill_int_small(dt, x, n, -2, 2); /* ties: the first maximum's index wins */
            else
                fill_int_edges(dt, x, n);
            ASSERT_OK(vrt__cpu_cast(dt, x, VRT__DT_FLOAT, xf, n));
            ASSERT_OK(vrt__maxpool(NULL, &p, xf, yf, ic));
            ASSERT_OK(vrt__cpu_cast(VRT__DT_FLOAT, yf, dt, yc, ny));
            void *dx = dup_dev(x, n * e), *dy = dev_zero(ny * e);
            int64_t *di = dev_zero(ny * 8);
            char what[96];
            snprintf(what, sizeof(what), "MaxPool %s variant %d", vrt__dtype_name(dt), v);
            ASSERT_GPU_OK(vrt__cuda_maxpool_typed(g_stream, &p, dt, dx, dy, di, 0));
            fetch(yg, dy, ny * e);
            fetch(ig, di, ny * 8);
            expect_bytes(what, yg, yc, ny * e);
            expect_bytes(what, ig, ic, ny * 8);
            /* storage_order=1, as backend_cpu.c rewrites the indices */
            for (int64_t q = 0; q < ny; q++) {
                if (ic[q] < 0) continue;
                int64_t r = ic[q] % invol, co[3] = {0, 0, 0}, col = 0, st = 1;
                for (int i = p.nsp - 1; i >= 0; i--)
                    co[i] = r % p.in[i], r /= p.in[i];
                for (int i = 0; i < p.nsp; i++)
                    col += co[i] * st, st *= p.in[i];
                ic[q] = ic[q] - ic[q] % invol + col;
            }
            ASSERT_GPU_OK(vrt__cuda_maxpool_typed(g_stream, &p, dt, dx, dy, di, 1));
            fetch(ig, di, ny * 8);
            expect_bytes(what, ig, ic, ny * 8);
            cudaFree(dx), cudaFree(dy), cudaFree(di), free(x), free(yc), free(yg), free(xf), free(yf),
                free(ic), free(ig);
        }
    }
}

/* A launcher enqueued during stream capture must be capturable (no sync, no
 * allocation): capture a chain of ops, replay, compare with direct launches. */
TEST(graph_capture) {
    int64_t n = 4096;
    float *x = malloc(n * 4), *yc = malloc(n * 4), *yg = malloc(n * 4);
    fill_f(x, n, -3, 3);
    float *dx = dup_dev(x, n * 4), *dy = dev_zero(n * 4), *dz = dev_zero(n * 4);
    vrt__shape s = SHAPE(16, 256);
    vrt__unary_params up;
    vrt__unary_default_params(VRT__UN_GELU, &up);
    vrt__softmax_params sp = {-1, 0, 0};
    ASSERT_OK(vrt__cpu_unary_f32(NULL, &up, x, yc, n));
    ASSERT_OK(vrt__cpu_softmax_f32(NULL, &sp, yc, &s, yc));
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    ASSERT_EQ(cudaStreamBeginCapture(g_stream, cudaStreamCaptureModeThreadLocal), cudaSuccess);
    ASSERT_GPU_OK(vrt__cuda_unary_f32(g_stream, &up, dx, dy, n));
    ASSERT_GPU_OK(vrt__cuda_softmax_f32(g_stream, &sp, dy, &s, dz));
    ASSERT_EQ(cudaStreamEndCapture(g_stream, &graph), cudaSuccess);
    ASSERT_EQ(cudaGraphInstantiate(&exec, graph, 0), cudaSuccess);
    ASSERT_EQ(cudaGraphLaunch(exec, g_stream), cudaSuccess);
    fetch(yg, dz, n * 4);
    expect_f32("graph replay", yg, yc, n, 1e-5);
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    cudaFree(dx), cudaFree(dy), cudaFree(dz), free(x), free(yc), free(yg);
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
    VRT_RUN(unary_all_ops);
    VRT_RUN(binary_broadcast_all_types);
    VRT_RUN(binary_integer_types_match_cpu);
    VRT_RUN(pow_integer_base_float_exponent);
    VRT_RUN(compare_logical_where);
    VRT_RUN(fused_chain);
    VRT_RUN(cast_and_fp16);
    VRT_RUN(cast_node_low_precision_types);
    VRT_RUN(reduce_all_ops);
    VRT_RUN(softmax_argmax_topk);
    VRT_RUN(topk_integer_types);
    VRT_RUN(concat_nhwc_half);
    VRT_RUN(pad_all_modes);
    VRT_RUN(resize_every_mode);
    VRT_RUN(pool_variants);
    VRT_RUN(maxpool_integer_types);
    VRT_RUN(graph_capture);
    cudaStreamDestroy(g_stream);
    return vrt_test_finish();
}
