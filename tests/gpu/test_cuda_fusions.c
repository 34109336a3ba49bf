/*
 * The CUDA fp16 plan's node-removing fusions (backend/cuda/plan_fuse.c)
 * against the CPU backend (label gpu; exits 77 without a GPU):
 *  - add_epilogue: a residual Add after a conv's activation done in that
 *    conv's epilogue. On the generated bottleneck model
 *    (VRT_GEN_MODELS/fp16/bottleneck.onnx, tests/gpu/make_fp16_models.py):
 *    exactly the four fusable Adds are fused (not the one whose conv output
 *    is read twice, not the one with a Relu of its own), the conv choice
 *    lines say so, and fp16 with the fusion on and off are each within
 *    fp16 rounding of the CPU backend's fp32 (RMS of the difference <= 1%
 *    of the output's max |value|, as the fp16 guard's tolerance) and of
 *    each other; several runs through the CUDA graph give identical bits.
 *    On YOLOX-Nano (../shared/data): its bottleneck Adds are fused and the
 *    output stays within the same tolerance of the CPU backend.
 */
#include <cuda_runtime.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/backend/cuda/cuda_inspect.h"
#include "harness.h"
#include "vrt/engine.h"

static const char *model_in(const char *dir) {
    static char path[1500];
    DIR *d = opendir(dir);
    if (!d) return NULL;
    struct dirent *e;
    path[0] = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".onnx")) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            break;
        }
    }
    closedir(d);
    if (!path[0]) vrt_test_skip("no .onnx file in %s", dir);
    return path;
}

static int64_t numel(const vrt_model_tensor_info *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->dims[i];
    return n;
}

/* RMS of b - a over max |a|. */
static double rms_rel(const float *a, const float *b, int64_t n) {
    double amax = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)b[i] - a[i];
        if (!isfinite(d)) return INFINITY;
        sq += d * d;
        amax = fabs(a[i]) > amax ? fabs(a[i]) : amax;
    }
    return sqrt(sq / (double)(n ? n : 1)) / (amax > 0 ? amax : 1);
}

static vrt_engine_t *open_engine(const char *model, const char *backend, vrt_precision prec, vrt_switch add) {
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = backend;
    p.options.precision = prec;
    p.options.add_epilogue = add;
    p.options.cache_dir = ""; /* time every choice: no cache shared with other tests */
    char err[512];
    vrt_engine_t *e = NULL;
    vrt_status st = vrt_engine_open(model, &p, &e, err, sizeof(err));
    if (st) printf("  open %s (%s): %s\n", model, backend, err);
    ASSERT_OK(st);
    return e;
}

static void run1(vrt_engine_t *e, const float *x, size_t xb, float *y, size_t yb) {
    vrt_engine_tensor ti = {(void *)x, VRT_DTYPE_FLOAT, xb}, to = {y, VRT_DTYPE_FLOAT, yb};
    vrt_status st = vrt_engine_run(e, &ti, 1, &to, 1);
    if (st) printf("  run: %s\n", vrt_engine_last_error(e));
    ASSERT_OK(st);
}

static int adds_fused(vrt_engine_t *e) {
    vrt__cuda_backend_stats bs;
    vrt__cuda_backend_info(vrt__engine_backend_ctx(e), &bs);
    return bs.adds_fused;
}

/* Conv choice lines naming a fused Add. */
static int choice_lines_with_add(vrt_engine_t *e) {
    char line[800];
    int n = 0;
    for (int i = 0; i < vrt_engine_num_choices(e); i++)
        if (vrt_engine_choice(e, i, line, sizeof(line)) && strstr(line, "+the next Add")) n++;
    return n;
}

/* CPU fp32, CUDA with the fusion on and off (precision prec) on one input:
 * returns the fused count; the errors are checked here. */
static int compare(const char *model, vrt_precision prec, float amp, int runs) {
    vrt_engine_t *cpu = open_engine(model, "cpu", VRT_PRECISION_AUTO, VRT_SWITCH_AUTO);
    vrt_engine_t *on = open_engine(model, "cuda", prec, VRT_SWITCH_AUTO);
    vrt_engine_t *off = open_engine(model, "cuda", prec, VRT_SWITCH_OFF);
    vrt_model_tensor_info ii, oi;
    ASSERT_OK(vrt_engine_input_info(cpu, 0, &ii));
    ASSERT_OK(vrt_engine_output_info(cpu, 0, &oi));
    int64_t nin = numel(&ii), nout = numel(&oi);
    size_t xb = (size_t)nin * 4, yb = (size_t)nout * 4;
    float *x = malloc(xb), *yc = malloc(yb), *y1 = malloc(yb), *y0 = malloc(yb), *yr = malloc(yb);
    ASSERT_TRUE(x && yc && y1 && y0 && yr);
    uint32_t r = 7;
    for (int64_t i = 0; i < nin; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = amp * (float)((r >> 8) & 0xffff) / 65536.0f;
    }
    run1(cpu, x, xb, yc, yb);
    run1(on, x, xb, y1, yb);
    run1(off, x, xb, y0, yb);
    for (int k = 0; k < runs; k++) { /* the graph replays give the same bits */
        run1(on, x, xb, yr, yb);
        ASSERT_TRUE(memcmp(yr, y1, yb) == 0);
    }
    double e_on = rms_rel(yc, y1, nout), e_off = rms_rel(yc, y0, nout), e_oo = rms_rel(y0, y1, nout);
    int n = adds_fused(on);
    printf("  %s: %d Adds fused; RMS/max vs CPU: on %.3g, off %.3g; on vs off %.3g\n", model, n, e_on, e_off,
           e_oo);
    ASSERT_EQ(adds_fused(off), 0);
    ASSERT_EQ(choice_lines_with_add(on), n);
    ASSERT_EQ(choice_lines_with_add(off), 0);
    ASSERT_TRUE(e_on <= 0.01 && e_off <= 0.01 && e_oo <= 0.01);
    vrt_engine_destroy(&cpu);
    vrt_engine_destroy(&on);
    vrt_engine_destroy(&off);
    free(x), free(yc), free(y1), free(y0), free(yr);
    return n;
}

TEST(add_epilogue_bottleneck) {
    char model[1200];
    snprintf(model, sizeof(model), "%s/fp16/bottleneck.onnx", VRT_GEN_MODELS);
    FILE *f = fopen(model, "rb");
    if (!f) SKIP("%s missing (the fixture gen_cli_models writes it; it needs Python with onnx)", model);
    fclose(f);
    ASSERT_EQ(compare(model, VRT_PRECISION_FP16, 1.0f, 3), 4);
    /* fp32 math has no fp16 plan: nothing fused, same answers. */
    ASSERT_EQ(compare(model, VRT_PRECISION_FP32, 1.0f, 1), 0);
}

TEST(add_epilogue_yolox_nano) {
    const char *mdir = vrt_test_data_or_skip("models/yolox_nano");
    char model[1500];
    snprintf(model, sizeof(model), "%s", model_in(mdir));
    ASSERT_TRUE(compare(model, VRT_PRECISION_AUTO, 255.0f, 2) > 0);
}

int main(void) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0) {
        printf("SKIP: no CUDA device (%s)\n", err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
        return 77;
    }
    VRT_RUN(add_epilogue_bottleneck);
    VRT_RUN(add_epilogue_yolox_nano);
    return vrt_test_finish();
}
