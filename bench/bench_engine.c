/*
 * bench_engine: batch-1 latency of one ONNX model on the CUDA backend, for
 * bench/gpu/bench_gpu.py (which compares it with PyTorch in the same run).
 *
 *   bench_engine MODEL [--math fp16|fp32|tf32] [--iters N] [--warmup W]
 *                [--inputs FILE --count K --outputs FILE] [--engines FILE]
 *
 * Prints one JSON object on stdout:
 *   load_to_first_ms  vrt_engine_open + the first vrt_engine_run (algorithm
 *                     cache as VRT_CACHE_DIR finds it: cold or warm);
 *   host              latency of vrt_engine_run (host input -> pinned
 *                     staging -> H2D -> model -> D2H -> caller's buffer),
 *                     wall clock, N iterations after W warm-ups;
 *   gpu               CUDA-event time of the backend's run() alone on a
 *                     caller stream (one graph replay: H2D of the input from
 *                     pinned staging, every step, D2H of the outputs), same N;
 *   gpu_host          wall clock around that run() + stream synchronise.
 * Each: p50, p90, p99, max, mean, stddev in ms.
 * With --inputs: K fp32 inputs (raw, back to back) are run through the engine
 * and output 0 of each is written to --outputs as fp32 (numerics check).
 *
 * The math mode goes to the backend through VRT_CUDA_MATH (read at prepare).
 */
#define _POSIX_C_SOURCE 200809L
#include <cuda_runtime.h>
#include <cudnn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backend.h"
#include "engine/backend/cuda/cuda_common.h"
#include "model/ir.h"
#include "model/plan.h"
#include "vrt/engine.h"

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_stats(const char *name, double *v, int n, int last) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++) mean += v[i];
    mean /= n;
    for (int i = 0; i < n; i++) var += (v[i] - mean) * (v[i] - mean);
    var /= n > 1 ? n - 1 : 1;
    qsort(v, (size_t)n, sizeof(double), cmp_d);
#define PCT(p) v[(int)((double)(p) / 100.0 * (n - 1) + 0.5)]
    printf("\"%s\": {\"n\": %d, \"p50\": %.5f, \"p90\": %.5f, \"p99\": %.5f, \"max\": %.5f, \"mean\": %.5f, \"stddev\": %.5f}%s\n",
           name, n, PCT(50), PCT(90), PCT(99), v[n - 1], mean, sqrt(var), last ? "" : ",");
#undef PCT
}

static int64_t numel(const vrt_model_tensor_info *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
    return n;
}

int main(int argc, char **argv) {
    const char *model = NULL, *math = NULL, *in_path = NULL, *out_path = NULL, *eng_path = NULL;
    int iters = 1000, warmup = 100, count = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--math") && i + 1 < argc) math = argv[++i];
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--inputs") && i + 1 < argc) in_path = argv[++i];
        else if (!strcmp(argv[i], "--outputs") && i + 1 < argc) out_path = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--engines") && i + 1 < argc) eng_path = argv[++i];
        else if (argv[i][0] != '-' && !model) model = argv[i];
        else {
            fprintf(stderr, "usage: bench_engine MODEL [--math fp16|fp32|tf32] [--iters N] [--warmup W] "
                            "[--inputs F --count K --outputs F]\n");
            return 2;
        }
    }
    if (!model || iters < 1) {
        fprintf(stderr, "bench_engine: a model path is needed (and --iters >= 1)\n");
        return 2;
    }
    if (math) setenv("VRT_CUDA_MATH", math, 1);
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = "cuda";
    p.batch = 1;
    char err[1024];
    double t0 = now_ms();
    vrt_engine_t *e = NULL;
    if (vrt_engine_open(model, &p, &e, err, sizeof(err))) {
        fprintf(stderr, "bench_engine: %s\n", err);
        return 1;
    }
    double t_open = now_ms() - t0;
    if (vrt_engine_num_inputs(e) != 1) {
        fprintf(stderr, "bench_engine: %s has %d inputs; one is supported\n", model, vrt_engine_num_inputs(e));
        return 1;
    }
    vrt_model_tensor_info ii, oi;
    vrt_engine_input_info(e, 0, &ii);
    vrt_engine_output_info(e, 0, &oi);
    int64_t nin = numel(&ii), nout = numel(&oi);
    float *x = malloc((size_t)nin * 4), *y = malloc((size_t)nout * 4);
    if (!x || !y) return 1;
    uint32_t r = 12345u;
    for (int64_t i = 0; i < nin; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = (float)((r >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
    vrt_engine_tensor tin = {x, VRT_DTYPE_FLOAT, (size_t)nin * 4}, tout = {y, VRT_DTYPE_FLOAT, (size_t)nout * 4};
    if (vrt_engine_run(e, &tin, 1, &tout, 1)) {
        fprintf(stderr, "bench_engine: run: %s\n", vrt_engine_last_error(e));
        return 1;
    }
    double t_first = now_ms() - t0;

    /* Numerics: given inputs -> output 0 of each. */
    if (in_path && out_path && count > 0) {
        FILE *fi = fopen(in_path, "rb"), *fo = fopen(out_path, "wb");
        if (!fi || !fo) {
            fprintf(stderr, "bench_engine: cannot open %s or %s\n", in_path, out_path);
            return 1;
        }
        for (int k = 0; k < count; k++) {
            if (fread(x, 4, (size_t)nin, fi) != (size_t)nin) {
                fprintf(stderr, "bench_engine: %s holds fewer than %d inputs of %lld floats\n", in_path, count, (long long)nin);
                return 1;
            }
            if (vrt_engine_run(e, &tin, 1, &tout, 1)) {
                fprintf(stderr, "bench_engine: run: %s\n", vrt_engine_last_error(e));
                return 1;
            }
            fwrite(y, 4, (size_t)nout, fo);
        }
        fclose(fi);
        fclose(fo);
    }

    double *host = malloc((size_t)iters * sizeof(double)), *gpu = malloc((size_t)iters * sizeof(double)),
           *gh = malloc((size_t)iters * sizeof(double));
    if (!host || !gpu || !gh) return 1;
    for (int i = 0; i < warmup; i++) vrt_engine_run(e, &tin, 1, &tout, 1);
    for (int i = 0; i < iters; i++) {
        double a = now_ms();
        if (vrt_engine_run(e, &tin, 1, &tout, 1)) {
            fprintf(stderr, "bench_engine: run: %s\n", vrt_engine_last_error(e));
            return 1;
        }
        host[i] = now_ms() - a;
    }

    /* GPU time of the backend's run() alone on our stream (a second context on the same IR and plan). */
    const vrt__backend_iface *be = vrt__backend_find("cuda");
    void *ctx = NULL;
    vrt__backend_params bp = {0, 0, NULL}; /* precision: VRT_CUDA_MATH (--math) or auto */
    if (!be || be->prepare(vrt__engine_ir(e), vrt__engine_plan(e), &bp, &ctx, err, sizeof(err))) {
        fprintf(stderr, "bench_engine: second context: %s\n", err);
        return 1;
    }
    cudaStream_t s;
    cudaEvent_t e0, e1;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    if (be->set_input(ctx, 0, x, VRT__DT_FLOAT, (size_t)nin * 4, s)) {
        fprintf(stderr, "bench_engine: set_input: %s\n", be->last_error(ctx));
        return 1;
    }
    for (int i = 0; i < warmup + 2; i++) {
        if (be->run(ctx, s) || be->sync(ctx, s)) {
            fprintf(stderr, "bench_engine: backend run: %s\n", be->last_error(ctx));
            return 1;
        }
    }
    for (int i = 0; i < iters; i++) {
        double a = now_ms();
        cudaEventRecord(e0, s);
        be->run(ctx, s);
        cudaEventRecord(e1, s);
        cudaStreamSynchronize(s);
        gh[i] = now_ms() - a;
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        gpu[i] = ms;
    }
    cudaError_t ce = cudaGetLastError();
    if (eng_path) {
        /* The chosen conv/gemm engines (node, algorithm, time measured at choice). */
        FILE *fe = fopen(eng_path, "w");
        char line[600];
        for (int i = 0; fe && i < vrt__cuda_backend_n_engines(ctx); i++)
            if (vrt__cuda_backend_engine(ctx, i, line, sizeof(line))) fprintf(fe, "%s\n", line);
        if (fe) fclose(fe);
    }
    be->destroy(ctx);
    vrt_engine_stats st;
    vrt_engine_get_stats(e, &st);
    int drv = 0, rt = 0;
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rt);
    printf("{\"model\": \"%s\", \"math\": \"%s\", \"cuda_driver_api\": %d, \"cuda_runtime\": %d, \"cudnn\": %zu,\n", model,
           math ? math : "default", drv, rt, (size_t)cudnnGetVersion());
    printf("\"nodes\": %d, \"weight_bytes\": %zu, \"arena_bytes\": %zu, \"cuda_error\": \"%s\",\n", st.nodes, st.weight_bytes,
           st.arena_bytes, cudaGetErrorName(ce));
    printf("\"open_ms\": %.3f, \"load_to_first_ms\": %.3f,\n", t_open, t_first);
    print_stats("host", host, iters, 0);
    print_stats("gpu", gpu, iters, 0);
    print_stats("gpu_host", gh, iters, 1);
    printf("}\n");
    vrt_engine_destroy(&e);
    free(x), free(y), free(host), free(gpu), free(gh);
    return 0;
}
