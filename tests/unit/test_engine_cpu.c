/* The public engine API on the CPU backend: MNIST end to end against its
 * reference outputs, fused (passes on) vs unfused (passes off) YOLOX-Nano,
 * fp16/fp32 boundary conversion on SqueezeNet, thread-count independence,
 * no allocation inside vrt_engine_run, and the error paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "harness.h"
#include "model/ir.h"
#include "model/plan.h"
#include "vrt/engine.h"

static vrt__tensor load_pb(const char *rel) {
    vrt__tensor t;
    char err[256];
    const char *p = vrt_test_data_or_skip(rel);
    vrt_status st = vrt__tensor_load_pb(p, &t, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: %s", p, err);
    return t;
}

static long g_allocs;
static void *count_malloc(void *u, size_t n) {
    (void)u;
    g_allocs++;
    return malloc(n);
}
static void *count_realloc(void *u, void *p, size_t n) {
    (void)u;
    g_allocs++;
    return realloc(p, n);
}
static void count_free(void *u, void *p) {
    (void)u;
    free(p);
}

static float *run_f32(vrt_engine_t *e, const vrt__tensor *in, size_t out_elems) {
    vrt_engine_tensor ti = {in->data, (int)in->dtype, in->nbytes};
    float *out = calloc(out_elems, sizeof(float));
    vrt_engine_tensor to = {out, VRT_DTYPE_FLOAT, out_elems * sizeof(float)};
    vrt_status st = vrt_engine_run(e, &ti, 1, &to, 1);
    if (st) vrt_test_fail(__FILE__, __LINE__, "run: %s", vrt_engine_last_error(e));
    return out;
}

TEST(mnist_end_to_end) {
    const char *model = vrt_test_data_or_skip("triples/mnist/model.onnx");
    char err[512];
    vrt_engine_t *e = NULL;
    ASSERT_OK(vrt_engine_open(model, NULL, &e, err, sizeof(err)));
    ASSERT_EQ(vrt_engine_num_inputs(e), 1);
    ASSERT_EQ(vrt_engine_num_outputs(e), 1);
    vrt_engine_stats s;
    ASSERT_OK(vrt_engine_get_stats(e, &s));
    ASSERT_STREQ(s.backend, "cpu");
    ASSERT_TRUE(s.arena_bytes > 0 && s.arena_bytes <= s.naive_bytes);
    ASSERT_TRUE(s.act_fused >= 2 && vrt_engine_fusion(e, 0) != NULL &&
                vrt_engine_fusion(e, s.n_fusions) == NULL);
    for (int set = 0; set < 3; set++) {
        char p[64];
        snprintf(p, sizeof(p), "triples/mnist/test_data_set_%d/input_0.pb", set);
        vrt__tensor in = load_pb(p);
        snprintf(p, sizeof(p), "triples/mnist/test_data_set_%d/output_0.pb", set);
        vrt__tensor want = load_pb(p);
        float *got = run_f32(e, &in, 10);
        for (int i = 0; i < 10; i++) {
            float w = ((float *)want.data)[i];
            ASSERT_NEAR(got[i], w, 1e-4 + 1e-3 * fabsf(w));
        }
        free(got);
        vrt__tensor_free(&in);
        vrt__tensor_free(&want);
    }
    vrt_engine_destroy(&e);
    ASSERT_TRUE(e == NULL);
    vrt_engine_destroy(&e);
}

TEST(yolox_fused_equals_unfused_and_no_alloc_in_run) {
    const char *model = vrt_test_data_or_skip("models/yolox_nano/yolox_nano.onnx");
    vrt__tensor in = load_pb("models/yolox_nano/test_data_set_0/input_0.pb");
    char err[512];
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 2;
    vrt_engine_t *fused = NULL, *plain = NULL;
    ASSERT_OK(vrt_engine_open(model, &p, &fused, err, sizeof(err)));
    p.optimize = 0;
    p.threads = 1;
    ASSERT_OK(vrt_engine_open(model, &p, &plain, err, sizeof(err)));
    vrt_engine_stats sf, sp;
    vrt_engine_get_stats(fused, &sf);
    vrt_engine_get_stats(plain, &sp);
    ASSERT_TRUE(sf.nodes < sp.nodes);
    ASSERT_TRUE(sf.act_fused > 40 && sp.act_fused == 0);
    size_t n = 3549 * 85;
    float *a = run_f32(fused, &in, n);
    /* Second run with a counting allocator: nothing allocated inside run. */
    vrt_allocator counting = {count_malloc, count_realloc, count_free, NULL};
    float *c = calloc(n, sizeof(float));
    vrt_engine_tensor ti = {in.data, (int)in.dtype, in.nbytes}, to = {c, VRT_DTYPE_FLOAT, n * sizeof(float)};
    g_allocs = 0;
    vrt_set_allocator(&counting);
    vrt_status st = vrt_engine_run(fused, &ti, 1, &to, 1);
    vrt_set_allocator(NULL);
    ASSERT_OK(st);
    ASSERT_EQ(g_allocs, 0);
    float *b = run_f32(plain, &in, n);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > worst) worst = d;
        ASSERT_TRUE(a[i] == c[i]); /* same engine, same input: bit-identical */
    }
    printf("  fused vs unfused: max abs diff %.3g\n", worst);
    ASSERT_TRUE(worst < 1e-3);
    vrt__tensor want = load_pb("models/yolox_nano/test_data_set_0/output_0.pb");
    for (size_t i = 0; i < n; i++) {
        float w = ((float *)want.data)[i];
        ASSERT_NEAR(a[i], w, 1e-4 + 1e-3 * fabsf(w));
    }
    free(a), free(b), free(c);
    vrt__tensor_free(&in);
    vrt__tensor_free(&want);
    vrt_engine_destroy(&fused);
    vrt_engine_destroy(&plain);
}

/* Concat in place (CPU plan): the producers of SqueezeNet's fire-module
 * Concats write into the Concat's output (views at offsets), the outputs
 * are bit-identical to the copying plan, and the arena is no larger. */
TEST(squeezenet_concat_in_place_bit_exact) {
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    vrt__tensor in = load_pb("models/squeezenet1.0_fp16/test_data_set_0/input_0.pb");
    char err[512];
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 2;
    vrt_engine_t *inplace = NULL, *copy = NULL;
    ASSERT_OK(vrt_engine_open(model, &p, &inplace, err, sizeof(err)));
    p.options.concat_in_place = VRT_SWITCH_OFF;
    ASSERT_OK(vrt_engine_open(model, &p, &copy, err, sizeof(err)));
    const vrt__plan *pi = vrt__engine_plan(inplace), *pc = vrt__engine_plan(copy);
    int offset_views = 0;
    for (int i = 0; i < pi->n_tensors; i++) {
        if (pi->t[i].storage == VRT__ST_VIEW && pi->t[i].view_off > 0) offset_views++;
        ASSERT_TRUE(pc->t[i].view_off == 0);
    }
    ASSERT_TRUE(offset_views >= 8); /* one per fire module's second expand conv */
    ASSERT_TRUE(pi->arena_bytes <= pc->arena_bytes);
    size_t n = 1000;
    uint16_t *a = calloc(n, 2), *b = calloc(n, 2);
    ASSERT_TRUE(a && b);
    vrt_engine_tensor ti = {in.data, (int)in.dtype, in.nbytes};
    vrt_engine_tensor ta = {a, VRT_DTYPE_FLOAT16, n * 2}, tb = {b, VRT_DTYPE_FLOAT16, n * 2};
    ASSERT_OK(vrt_engine_run(inplace, &ti, 1, &ta, 1));
    ASSERT_OK(vrt_engine_run(copy, &ti, 1, &tb, 1));
    ASSERT_TRUE(memcmp(a, b, n * 2) == 0);
    free(a), free(b);
    vrt__tensor_free(&in);
    vrt_engine_destroy(&inplace);
    vrt_engine_destroy(&copy);
}

TEST(squeezenet_fp16_boundaries) {
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    vrt__tensor in = load_pb("models/squeezenet1.0_fp16/test_data_set_0/input_0.pb");
    vrt__tensor want = load_pb("models/squeezenet1.0_fp16/test_data_set_0/output_0.pb");
    ASSERT_EQ(in.dtype, VRT__DT_FLOAT16);
    char err[512];
    vrt_engine_t *e = NULL;
    ASSERT_OK(vrt_engine_open(model, NULL, &e, err, sizeof(err)));
    vrt_model_tensor_info info;
    ASSERT_OK(vrt_engine_output_info(e, 0, &info));
    ASSERT_EQ(info.dtype, VRT_DTYPE_FLOAT16);
    /* fp16 in, fp16 out */
    uint16_t out16[1000];
    vrt_engine_tensor ti = {in.data, VRT_DTYPE_FLOAT16, in.nbytes},
                      to = {out16, VRT_DTYPE_FLOAT16, sizeof(out16)};
    ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
    /* fp32 in (the same values), fp32 out */
    size_t n = in.nbytes / 2;
    float *in32 = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        in32[i] = vrt__half_to_float(((uint16_t *)in.data)[i]);
    float out32[1000];
    vrt_engine_tensor ti32 = {in32, VRT_DTYPE_FLOAT, n * 4}, to32 = {out32, VRT_DTYPE_FLOAT, sizeof(out32)};
    ASSERT_OK(vrt_engine_run(e, &ti32, 1, &to32, 1));
    int best = 0;
    for (int i = 0; i < 1000; i++) {
        float w = vrt__half_to_float(((uint16_t *)want.data)[i]);
        ASSERT_NEAR(vrt__half_to_float(out16[i]), w, 1e-3);
        ASSERT_TRUE(out16[i] == vrt__float_to_half(out32[i])); /* the fp16 output is the rounded fp32 one */
        if (out32[i] > out32[best]) best = i;
    }
    int wbest = 0;
    for (int i = 0; i < 1000; i++)
        if (vrt__half_to_float(((uint16_t *)want.data)[i]) >
            vrt__half_to_float(((uint16_t *)want.data)[wbest]))
            wbest = i;
    ASSERT_EQ(best, wbest);
    free(in32);
    vrt__tensor_free(&in);
    vrt__tensor_free(&want);
    vrt_engine_destroy(&e);
}

TEST(errors) {
    char err[512] = "";
    vrt_engine_t *e = (vrt_engine_t *)&err; /* must be reset to NULL on failure */
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    ASSERT_TRUE(vrt_engine_open("/nonexistent/model.onnx", &p, &e, err, sizeof(err)) != VRT_OK);
    ASSERT_TRUE(e == NULL);
    ASSERT_CONTAINS(err, "/nonexistent/model.onnx");
    const char *model = vrt_test_data_or_skip("triples/mnist/model.onnx");
    p.backend = "tpu";
    ASSERT_STATUS(vrt_engine_open(model, &p, &e, err, sizeof(err)), VRT_EUNSUPPORTED);
    ASSERT_CONTAINS(err, "tpu");
    ASSERT_CONTAINS(err, "cpu");
    p.backend = "cpu";
    ASSERT_OK(vrt_engine_open(model, &p, &e, err, sizeof(err)));
    float small[10], out[10];
    vrt_engine_tensor ti = {small, VRT_DTYPE_FLOAT, sizeof(small)}, to = {out, VRT_DTYPE_FLOAT, sizeof(out)};
    ASSERT_STATUS(vrt_engine_run(e, &ti, 1, &to, 1), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_engine_last_error(e), "784");
    ASSERT_STATUS(vrt_engine_run(e, &ti, 2, &to, 1), VRT_EINVAL);
    vrt_model_tensor_info info;
    ASSERT_STATUS(vrt_engine_input_info(e, 1, &info), VRT_EINVAL);
    vrt_engine_destroy(&e);
}

int main(void) {
    VRT_RUN(mnist_end_to_end);
    VRT_RUN(yolox_fused_equals_unfused_and_no_alloc_in_run);
    VRT_RUN(squeezenet_fp16_boundaries);
    VRT_RUN(squeezenet_concat_in_place_bit_exact);
    VRT_RUN(errors);
    return vrt_test_finish();
}
