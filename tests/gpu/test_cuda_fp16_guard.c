/*
 * The fp16 guard of precision AUTO on the CUDA backend (options fp16_guard, fp16_tolerance,
 * fp16_sample; src/engine/backend/cuda/fp16_guard.c). Label gpu; exit 77 without a GPU.
 *  - overflow (VRT_GEN_MODELS/fp16/overflow.onnx, tests/gpu/make_fp16_models.py): ten convs whose
 *    weights all fit fp16 but whose conv 'blowup' takes activations beyond 65504: plain fp16 gives
 *    inf/NaN (asserted, so the case means something); with AUTO the guard must keep 'blowup' fp32
 *    (reported by vrt_engine_fp32_kept with its error) and the output must come within 1% of
 *    CUDA fp32 (max |auto - fp32| over max |fp32|), on the guard's synthetic input and on the
 *    test's input given as fp16_sample; CUDA fp32 matches the CPU backend (1e-4).
 *  - depth_anything_v2 (tests/models): AUTO within 1% of the fp32 depth range, guard report printed
 *    (its head weights beyond fp16 are kept fp32 by the static check, consts_fit_half, since the
 *    model was regenerated; the guard then keeps nothing more).
 *  - YOLOX-Nano ($VRT_DATA): fine in fp16 (RMS difference 0.15% of the output's max |value|):
 *    AUTO keeps every node fp16 (precision "fp16", nothing kept) on either input.
 *  - a shared engine (vrt_engine_open_shared) over a guarded one runs the same plan (same
 *    outputs); a tolerance out of range is refused; a sample of the wrong size is reported unused;
 *    explicit FP16 runs no guard.
 */
#include <cuda_runtime.h>
#include <unistd.h>

#include "models_xf.h"

static const char *g_root;

static vrt_engine_params cuda_params(vrt_precision prec) {
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = "cuda";
    p.options.precision = prec;
    return p;
}

/* Copies of c->got[0] (which the next run overwrites). */
static float *take0(xf_case *c) {
    float *r = c->got[0];
    c->got[0] = NULL;
    return r;
}

/* Prints the guard's summary and kept nodes; returns the number kept (-1: no guard ran). */
static int report(const vrt_engine_t *e, const char *what) {
    char line[700];
    int is_auto = 0;
    const char *math = vrt_engine_precision(e, &is_auto);
    if (!vrt_engine_fp32_kept(e, -1, line, sizeof(line))) {
        printf("  %s: precision %s%s, no fp16 guard\n", what, math, is_auto ? " (auto)" : "");
        return -1;
    }
    int k = vrt_engine_num_fp32_kept(e);
    printf("  %s: precision %s%s\n  %s\n", what, math, is_auto ? " (auto)" : "", line);
    for (int i = 0; i < k; i++) {
        ASSERT_TRUE(vrt_engine_fp32_kept(e, i, line, sizeof(line)) != NULL);
        printf("    %s\n", line);
        ASSERT_TRUE(strstr(line, "fp16 RMS error") != NULL);
    }
    ASSERT_TRUE(vrt_engine_fp32_kept(e, k, line, sizeof(line)) == NULL);
    return k;
}

/* max |a - b| over the range of b (the depth check of test_cuda_models_xf). */
static double range_err(const float *a, const float *b, size_t n) {
    float lo = b[0], hi = b[0];
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        lo = b[i] < lo ? b[i] : lo, hi = b[i] > hi ? b[i] : hi;
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= worst)) worst = d;
    }
    return worst / (hi - lo > 0 ? hi - lo : 1);
}

/* The generated overflow model (skips when the fixture could not make it). */
static const char *overflow_model(void) {
    static char path[1024];
    snprintf(path, sizeof(path), "%s/fp16/overflow.onnx", VRT_GEN_MODELS);
    if (access(path, R_OK))
        vrt_test_skip("%s not generated (needs a Python with the onnx package: apt install python3-onnx, "
                      "then ctest -R gen_cli_models)",
                      path);
    return path;
}

/* Opens path with p, runs it on in (n_in floats) into out (n floats). */
static vrt_engine_t *open_run(const char *path, const vrt_engine_params *p, const float *in, size_t n_in,
                              float *out, size_t n) {
    char err[1024] = "";
    vrt_engine_t *e = NULL;
    vrt_status st = vrt_engine_open(path, p, &e, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    vrt_engine_tensor ti = {(void *)in, VRT_DTYPE_FLOAT, n_in * sizeof(float)};
    vrt_engine_tensor to = {out, VRT_DTYPE_FLOAT, n * sizeof(float)};
    ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
    return e;
}

/* max |a - b| / max |b|; infinite when a has a non-finite value. */
static double max_rel(const float *a, const float *b, size_t n) {
    double worst = 0, peak = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i])) return INFINITY;
        double d = fabs((double)a[i] - b[i]);
        worst = d > worst ? d : worst;
        peak = fabs((double)b[i]) > peak ? fabs((double)b[i]) : peak;
    }
    return worst / (peak > 0 ? peak : 1);
}

/* Whether a kept-node line names node `name`. */
static int kept_names(const vrt_engine_t *e, const char *name) {
    char line[700], want[64];
    snprintf(want, sizeof(want), "%s (", name);
    for (int i = 0; i < vrt_engine_num_fp32_kept(e); i++)
        if (vrt_engine_fp32_kept(e, i, line, sizeof(line)) && !strncmp(line, want, strlen(want))) return 1;
    return 0;
}

TEST(overflow_kept_fp32) {
    const char *path = overflow_model();
    enum { NI = 3 * 32 * 32, NO = 32 * 32 };
    static float in[NI], cpu[NO], f32[NO], got[NO];
    uint32_t r = 12345;
    for (int i = 0; i < NI; i++) {
        r = r * 1664525u + 1013904223u;
        in[i] = (float)(r >> 8) / 16777216.0f; /* [0, 1) */
    }
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 2;
    vrt_engine_t *e = open_run(path, &p, in, NI, cpu, NO);
    vrt_engine_destroy(&e);
    p = cuda_params(VRT_PRECISION_FP32);
    e = open_run(path, &p, in, NI, f32, NO);
    ASSERT_EQ(report(e, "overflow fp32"), -1);
    vrt_engine_destroy(&e);
    double rc = max_rel(f32, cpu, NO);
    printf("  cuda fp32 vs cpu: %.3g\n", rc);
    ASSERT_TRUE(rc <= 1e-4);

    /* The premise: plain fp16 breaks this model. */
    p = cuda_params(VRT_PRECISION_AUTO);
    p.options.fp16_guard = VRT_SWITCH_OFF;
    e = open_run(path, &p, in, NI, got, NO);
    ASSERT_STREQ(vrt_engine_precision(e, NULL), "fp16");
    ASSERT_EQ(report(e, "overflow auto, guard off"), -1);
    vrt_engine_destroy(&e);
    double r16 = max_rel(got, f32, NO);
    printf("  unguarded fp16 vs fp32: %.3g\n", r16);
    ASSERT_TRUE(!(r16 <= 0.01));

    for (int sample = 0; sample <= 1; sample++) {
        p = cuda_params(VRT_PRECISION_AUTO);
        if (sample) p.options.fp16_sample = in, p.options.fp16_sample_count = NI;
        e = open_run(path, &p, in, NI, got, NO);
        int kept =
            report(e, sample ? "overflow auto, the test input as sample" : "overflow auto, synthetic input");
        char line[700];
        ASSERT_TRUE(vrt_engine_fp32_kept(e, -1, line, sizeof(line)) != NULL);
        ASSERT_TRUE(strstr(line, sample ? "caller's sample" : "synthetic input") != NULL);
        ASSERT_TRUE(kept > 0);
        ASSERT_TRUE(kept_names(e, "blowup"));
        double rg = max_rel(got, f32, NO);
        printf("  guarded auto vs fp32: %.3g (limit 0.01)\n", rg);
        ASSERT_TRUE(rg <= 0.01);
        vrt_engine_destroy(&e);
    }
}

TEST(depth_anything_v2_auto) {
    xf_case c;
    if (!xf_load(&c, g_root, "depth_anything_v2"))
        vrt_test_skip("%s/depth_anything_v2: not there (scripts/make-models)", g_root);
    ASSERT_EQ((int)c.in.dtype, (int)VRT__DT_FLOAT);
    size_t n = (size_t)vrt__shape_numel(&c.ref[0].shape);
    vrt_engine_params p = cuda_params(VRT_PRECISION_FP32);
    vrt_engine_t *e = xf_run(&c, &p);
    xf_check_ref(&c, "cuda fp32 (the reference of this test)", 1e-4);
    vrt_engine_destroy(&e);
    float *f32 = take0(&c);
    p = cuda_params(VRT_PRECISION_AUTO);
    e = xf_run(&c, &p);
    ASSERT_TRUE(report(e, "depth auto") >= 0);
    double r = range_err(c.got[0], f32, n);
    printf("  auto: max |auto - fp32| = %.3g of the depth range (limit 0.01)\n", r);
    ASSERT_TRUE(r <= 0.01);
    vrt_engine_destroy(&e);
    free(f32);
    xf_free(&c);
}

/* The engine's output 0 on one input (dst: n floats). */
static void run_once(vrt_engine_t *e, const vrt__tensor *in, float *dst, size_t n) {
    vrt_engine_tensor ti = {in->data, (int)in->dtype, in->nbytes};
    vrt_engine_tensor to = {dst, VRT_DTYPE_FLOAT, n * sizeof(float)};
    ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
}

TEST(yolox_nano_stays_fp16) {
    const char *model = vrt_test_data_or_skip("models/yolox_nano/yolox_nano.onnx");
    const char *set = vrt_test_data_or_skip("models/yolox_nano/test_data_set_0/input_0.pb");
    vrt__tensor in;
    char err[1024] = "";
    memset(&in, 0, sizeof(in));
    ASSERT_OK(vrt__tensor_load_pb(set, &in, err, sizeof(err)));
    size_t nin = (size_t)vrt__shape_numel(&in.shape), n = 3549 * 85;
    float *a = calloc(n, 4), *b = calloc(n, 4);
    for (int sample = 0; sample <= 1; sample++) {
        vrt_engine_params p = cuda_params(VRT_PRECISION_AUTO);
        if (sample) p.options.fp16_sample = in.data, p.options.fp16_sample_count = nin;
        vrt_engine_t *e = NULL;
        ASSERT_OK(vrt_engine_open(model, &p, &e, err, sizeof(err)));
        int is_auto = 0;
        ASSERT_STREQ(vrt_engine_precision(e, &is_auto), "fp16");
        ASSERT_EQ(is_auto, 1);
        ASSERT_EQ(report(e, sample ? "yolox auto, a COCO photo as sample" : "yolox auto, synthetic input"),
                  0);
        run_once(e, &in, a, n);
        vrt_engine_destroy(&e);
    }
    /* Nothing kept: the same plan as explicit FP16 (equal up to the conv choices' rounding). */
    vrt_engine_params p = cuda_params(VRT_PRECISION_FP16);
    vrt_engine_t *e = NULL;
    ASSERT_OK(vrt_engine_open(model, &p, &e, err, sizeof(err)));
    ASSERT_EQ(report(e, "yolox fp16"), -1);
    run_once(e, &in, b, n);
    vrt_engine_destroy(&e);
    double r = xf_rel_err(a, b, n);
    printf("  yolox auto vs fp16: %.3g of max |value|\n", r);
    ASSERT_TRUE(r <= 2e-2);
    free(a), free(b);
    vrt__tensor_free(&in);
}

/* A shared engine over a guarded one: the base's kept nodes, hence its outputs. */
TEST(shared_engine_keeps_the_guards_plan) {
    const char *path = overflow_model();
    enum { NI = 3 * 32 * 32, NO = 32 * 32 };
    static float in[NI], a[NO], b[NO];
    for (int i = 0; i < NI; i++)
        in[i] = (float)((i * 37) % 101) / 100.0f;
    vrt_engine_params p = cuda_params(VRT_PRECISION_AUTO);
    vrt_engine_t *base = open_run(path, &p, in, NI, a, NO), *sh = NULL;
    ASSERT_TRUE(vrt_engine_num_fp32_kept(base) > 0);
    char err[1024] = "";
    ASSERT_OK(vrt_engine_open_shared(base, NULL, &sh, err, sizeof(err)));
    ASSERT_STREQ(vrt_engine_precision(sh, NULL), vrt_engine_precision(base, NULL));
    vrt_engine_tensor ti = {in, VRT_DTYPE_FLOAT, sizeof(in)}, to = {b, VRT_DTYPE_FLOAT, sizeof(b)};
    ASSERT_OK(vrt_engine_run(sh, &ti, 1, &to, 1));
    double r = max_rel(b, a, NO);
    printf("  shared vs base: %.3g\n", r);
    ASSERT_TRUE(r <= 1e-3);
    vrt_engine_destroy(&sh);
    vrt_engine_destroy(&base);
}

TEST(options) {
    xf_case c;
    if (!xf_load(&c, g_root, "yolov8n")) vrt_test_skip("%s/yolov8n: not there (scripts/make-models)", g_root);
    char path[1200], err[1024] = "";
    snprintf(path, sizeof(path), "%s/model.onnx", c.dir);
    vrt_engine_params p = cuda_params(VRT_PRECISION_AUTO);
    vrt_engine_t *e = NULL;
    p.options.fp16_tolerance = 1.5f;
    ASSERT_EQ(vrt_engine_open(path, &p, &e, err, sizeof(err)), VRT_EINVAL);
    ASSERT_TRUE(strstr(err, "fp16_tolerance") != NULL);
    /* A sample of the wrong size is not used, and the summary says so. */
    p.options.fp16_tolerance = 0;
    float one = 1.0f;
    p.options.fp16_sample = &one, p.options.fp16_sample_count = 1;
    ASSERT_OK(vrt_engine_open(path, &p, &e, err, sizeof(err)));
    char line[700];
    ASSERT_TRUE(vrt_engine_fp32_kept(e, -1, line, sizeof(line)) != NULL);
    printf("  %s\n", line);
    ASSERT_TRUE(strstr(line, "not used") != NULL);
    vrt_engine_destroy(&e);
    p = cuda_params(VRT_PRECISION_FP16);
    ASSERT_OK(vrt_engine_open(path, &p, &e, err, sizeof(err)));
    ASSERT_TRUE(vrt_engine_fp32_kept(e, -1, line, sizeof(line)) == NULL);
    ASSERT_EQ(vrt_engine_num_fp32_kept(e), 0);
    vrt_engine_destroy(&e);
    xf_free(&c);
}

int main(int argc, char **argv) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0) {
        printf("SKIP: no CUDA device (%s)\n", err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
        return 77;
    }
    g_root = xf_root(argc, argv);
    VRT_RUN(overflow_kept_fp32);
    VRT_RUN(depth_anything_v2_auto);
    VRT_RUN(yolox_nano_stays_fp16);
    VRT_RUN(shared_engine_keeps_the_guards_plan);
    VRT_RUN(options);
    return vrt_test_finish();
}
