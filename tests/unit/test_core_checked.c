/* Checked size arithmetic (core/checked.h) against exact 128-bit products,
 * and the loader refusing the crafted models of tests/cli/make_bad_models.py
 * (generated into VRT_GEN_MODELS/bad_models by ctest's fixture gen_cli_models
 * with the onnx package; skipped without them) with the node or
 * input named, before anything is allocated for them. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/checked.h"
#include "harness.h"
#include "model/ir.h"

static const int64_t g_vals[] = {0,
                                 1,
                                 -1,
                                 2,
                                 3,
                                 192,
                                 ((int64_t)1 << 31),
                                 ((int64_t)1 << 32),
                                 ((int64_t)1 << 62) + 1,
                                 INT64_MAX,
                                 INT64_MIN,
                                 INT64_MAX / 2,
                                 -((int64_t)1 << 40)};
#define NV ((int)(sizeof(g_vals) / sizeof(g_vals[0])))

TEST(mul_add_match_128_bit) {
    for (int i = 0; i < NV; i++)
        for (int j = 0; j < NV; j++) {
            __int128 p = (__int128)g_vals[i] * g_vals[j], s = (__int128)g_vals[i] + g_vals[j];
            int64_t r = 0;
            int ok = vrt__mul_i64(g_vals[i], g_vals[j], &r);
            ASSERT_EQ(ok, p >= INT64_MIN && p <= INT64_MAX);
            if (ok) ASSERT_TRUE((__int128)r == p);
            ok = vrt__add_i64(g_vals[i], g_vals[j], &r);
            ASSERT_EQ(ok, s >= INT64_MIN && s <= INT64_MAX);
            if (ok) ASSERT_TRUE((__int128)r == s);
            int64_t sat = vrt__mul_sat_i64(g_vals[i], g_vals[j]);
            ASSERT_TRUE((__int128)sat == (p > INT64_MAX ? INT64_MAX : p < INT64_MIN ? INT64_MIN : p));
        }
    size_t z;
    ASSERT_EQ(vrt__mul_size(SIZE_MAX / 2 + 1, 2, &z), 0);
    ASSERT_EQ(vrt__mul_size(SIZE_MAX / 2, 2, &z), 1);
    ASSERT_EQ(vrt__add_size(SIZE_MAX, 1, &z), 0);
}

TEST(dims_numel_bounds_every_partial_product) {
    int64_t n;
    int64_t wrap[] = {((int64_t)1 << 62) + 1, 192}; /* wraps to 192 in int64 */
    ASSERT_EQ(vrt__dims_numel(wrap, 2, VRT__MAX_TENSOR_ELEMS, &n), 0);
    ASSERT_EQ(n, -1);
    int64_t sq[] = {(int64_t)1 << 32, (int64_t)1 << 32}; /* 2^64: wraps to 0 */
    ASSERT_EQ(vrt__dims_numel(sq, 2, VRT__MAX_TENSOR_ELEMS, &n), 0);
    int64_t zero_big[] = {0, (int64_t)1 << 40}; /* no elements, but a stride of 2^40 */
    ASSERT_EQ(vrt__dims_numel(zero_big, 2, VRT__MAX_TENSOR_ELEMS, &n), 0);
    int64_t zero_ok[] = {0, 1000, 1000};
    ASSERT_EQ(vrt__dims_numel(zero_ok, 3, VRT__MAX_TENSOR_ELEMS, &n), 1);
    ASSERT_EQ(n, 0);
    int64_t img[] = {1, 3, 1080, 1920};
    ASSERT_EQ(vrt__dims_numel(img, 4, VRT__MAX_TENSOR_ELEMS, &n), 1);
    ASSERT_EQ(n, 3 * 1080 * 1920);
    int64_t edge[] = {VRT__MAX_TENSOR_ELEMS};
    ASSERT_EQ(vrt__dims_numel(edge, 1, VRT__MAX_TENSOR_ELEMS, &n), 1);
    edge[0]++;
    ASSERT_EQ(vrt__dims_numel(edge, 1, VRT__MAX_TENSOR_ELEMS, &n), 0);
    int64_t neg[] = {2, -3};
    ASSERT_EQ(vrt__dims_numel(neg, 2, VRT__MAX_TENSOR_ELEMS, &n), 0);
}

/* A generated crafted model's path (the test skips when it was not generated). */
static void crafted(char *path, size_t cap, const char *name) {
    snprintf(path, cap, "%s/bad_models/%s.onnx", VRT_GEN_MODELS, name);
    if (access(path, R_OK))
        vrt_test_skip("%s not generated (needs a Python with the onnx package: apt install python3-onnx, "
                      "then ctest -R gen_cli_models)",
                      path);
}

/* Each crafted model fails at load with a message naming what is wrong. */
static void expect_refused(const char *name, const char *fragment, int64_t h, int64_t w) {
    char path[512], err[1024] = "";
    crafted(path, sizeof(path), name);
    vrt__ir_params p;
    memset(&p, 0, sizeof(p));
    p.height = h, p.width = w;
    vrt__ir *ir = NULL;
    vrt_status st = vrt__ir_load_onnx(path, &p, &ir, err, sizeof(err));
    printf("  %s: %s\n", name, err);
    ASSERT_TRUE(st != VRT_OK);
    ASSERT_TRUE(ir == NULL);
    ASSERT_CONTAINS(err, fragment);
}

TEST(crafted_models_refused_at_load) {
    expect_refused("reshape_wrap_softmax", "node 'reshape_wrap'", 0, 0);
    expect_refused("reshape_wrap_transpose", "more than 2147483648 elements", 0, 0);
    expect_refused("tile_huge", "node 'tile_huge'", 0, 0);
    expect_refused("input_wrap", "input 'x'", 0, 0);
    expect_refused("input_2p32_squared", "input 'x'", 0, 0);
    expect_refused("expand_huge", "node 'expand_huge'", 0, 0);
    expect_refused("const_of_shape_huge", "node 'cos_huge'", 0, 0);
    expect_refused("pad_huge", "node 'pad_huge'", 0, 0);
    expect_refused("huge_image", "--height/--width", 0, 0);
    expect_refused("reshape_zero_huge", "input 'x'", 0, 0);
    expect_refused("depth_to_space_huge", "node 'd2s'", 0, 0);
}

TEST(huge_image_loads_with_a_size_override) {
    char path[512], err[1024] = "";
    crafted(path, sizeof(path), "huge_image");
    vrt__ir_params p;
    memset(&p, 0, sizeof(p));
    p.height = 64, p.width = 48;
    vrt__ir *ir = NULL;
    ASSERT_OK(vrt__ir_load_onnx(path, &p, &ir, err, sizeof(err)));
    ASSERT_EQ(ir->tensors[ir->inputs[0]].shape.d[2], 64);
    vrt__ir_destroy(&ir);
}

int main(void) {
    VRT_RUN(mul_add_match_128_bit);
    VRT_RUN(dims_numel_bounds_every_partial_product);
    VRT_RUN(crafted_models_refused_at_load);
    VRT_RUN(huge_image_loads_with_a_size_override);
    return vrt_test_finish();
}
