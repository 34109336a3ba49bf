/*
 * Quantized models on the CUDA backend (label gpu; exit 77 without a GPU), against the CPU
 * backend's integer kernels on the same input:
 *  - qdq_small (VRT_GEN_MODELS/quant, tests/gpu/make_quant_models.py): three QDQ convs that the
 *    fold makes integer convs (fused Relu; grouped, strided, fused SiLU; 1x1 with int8 output),
 *    per-channel and per-tensor weights; the float output within one step of its int8 scale;
 *  - SqueezeNet 1.0 quantized by `vrt quantize` (quant_vrt_quantize_accuracy leaves it in
 *    build/tests/quant-data/vrt_quantize) and by onnxruntime (quant_make:
 *    build/tests/quant-data/squeezenet_qdq): the softmax output within one step (1/255 of
 *    ORT's output scale; ours is float: the same bound), and the same top-1 class (unless the
 *    CPU's two are within that step);
 * on precision fp32 and fp16 alike (the integer convs and Q/DQ run the same kernels in both).
 * `test_cuda_quant [QUANT_DATA_DIR]` (default: this build's tests/quant-data).
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vrt/engine.h"

#ifndef VRT_QUANT_DATA
#define VRT_QUANT_DATA ""
#endif

static const char *g_qd = VRT_QUANT_DATA; /* build/tests/quant-data (tests/gpu/CMakeLists.txt) */

/* Opens path on backend (cuda: precision prec) and runs in into out (float, n). */
static void run_model(const char *path, const char *backend, vrt_precision prec, const float *in, size_t n_in,
                      float *out, size_t n) {
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = backend;
    p.options.precision = prec;
    char err[1024] = "";
    vrt_engine_t *e = NULL;
    vrt_status st = vrt_engine_open(path, &p, &e, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s on %s: %s", path, backend, err);
    vrt_engine_tensor ti = {(void *)in, VRT_DTYPE_FLOAT, n_in * sizeof(float)};
    vrt_engine_tensor to = {out, VRT_DTYPE_FLOAT, n * sizeof(float)};
    ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
    vrt_engine_destroy(&e);
}

/* Input / output element counts of the model's first input and output. */
static void sizes(const char *path, size_t *n_in, size_t *n_out) {
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    char err[1024] = "";
    vrt_engine_t *e = NULL;
    if (vrt_engine_open(path, &p, &e, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    vrt_model_tensor_info a, b;
    vrt_engine_input_info(e, 0, &a);
    vrt_engine_output_info(e, 0, &b);
    *n_in = *n_out = 1;
    for (int d = 0; d < a.ndim; d++)
        *n_in *= (size_t)a.dims[d];
    for (int d = 0; d < b.ndim; d++)
        *n_out *= (size_t)b.dims[d];
    vrt_engine_destroy(&e);
}

static size_t argmax(const float *v, size_t n) {
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[k]) k = i;
    return k;
}

/* CUDA (fp32 and fp16 precision) against the CPU on a uniform random input in [lo, hi]:
 * every output within step (one quantization step) plus 1e-5; returns 0 when path is absent. */
static int compare(const char *path, float lo, float hi, double step, int top1) {
    if (access(path, R_OK)) {
        printf("  %s: not there, skipped\n", path);
        return 0;
    }
    size_t n_in, n;
    sizes(path, &n_in, &n);
    float *x = malloc(n_in * sizeof(float)), *cpu = calloc(n, sizeof(float)), *gpu = calloc(n, sizeof(float));
    ASSERT_TRUE(x && cpu && gpu);
    unsigned r = 14;
    for (size_t i = 0; i < n_in; i++) {
        r = r * 1103515245u + 12345u;
        x[i] = lo + (hi - lo) * (float)((r >> 8) & 0xffff) / 65535.0f;
    }
    run_model(path, "cpu", VRT_PRECISION_AUTO, x, n_in, cpu, n);
    for (int k = 0; k < 2; k++) {
        vrt_precision prec = k ? VRT_PRECISION_FP16 : VRT_PRECISION_FP32;
        run_model(path, "cuda", prec, x, n_in, gpu, n);
        double worst = 0;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)gpu[i] - cpu[i]);
            if (!(d <= worst)) worst = d, at = i;
        }
        printf("  %s (%s): max |cuda - cpu| %.3g at %zu (one step %.3g)\n", path, k ? "fp16" : "fp32", worst,
               at, step);
        ASSERT_TRUE(worst <= step + 1e-5);
        /* The same class, unless the CPU's two candidates are within the step (a tie). */
        size_t ag = argmax(gpu, n), ac = argmax(cpu, n);
        if (top1) ASSERT_TRUE(ag == ac || fabs((double)cpu[ag] - cpu[ac]) <= step);
    }
    free(x), free(cpu), free(gpu);
    return 1;
}

TEST(qdq_small) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/quant/qdq_small.onnx", VRT_GEN_MODELS);
    if (access(path, R_OK))
        vrt_test_skip("%s not generated (needs a Python with the onnx package: apt install python3-onnx, "
                      "then ctest -R gen_cli_models)",
                      path);
    /* The output's int8 scale is max |y| / 127 with max |y| under 10 on this input range. */
    ASSERT_TRUE(compare(path, -2.5f, 2.5f, 10.0 / 127, 0));
}

TEST(squeezenet_int8) {
    char a[1024], b[1024];
    snprintf(a, sizeof(a), "%s/vrt_quantize/squeezenet_int8.onnx", g_qd);
    snprintf(b, sizeof(b), "%s/squeezenet_qdq/model.onnx", g_qd);
    int ran = compare(a, -2.0f, 2.5f, 1.0 / 255, 1);
    ran += compare(b, -2.0f, 2.5f, 1.0 / 255, 1);
    if (!ran)
        vrt_test_skip(
            "no quantized SqueezeNet in %s (ctest -R 'quant_vrt_quantize_accuracy|quant_make' makes them)",
            g_qd);
}

int main(int argc, char **argv) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0) {
        printf("SKIP: no CUDA device (%s)\n", err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
        return 77;
    }
    if (argc > 1) g_qd = argv[1];
    VRT_RUN(qdq_small);
    VRT_RUN(squeezenet_int8);
    return vrt_test_finish();
}
