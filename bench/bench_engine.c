/*
 * bench_engine: batch-1 latency of one ONNX model on the CUDA backend, for
 * bench/gpu/bench_gpu.py (which compares it with PyTorch in the same run).
 *
 *   bench_engine MODEL [--math fp16|fp32|tf32] [--nofuse] [--unfuse PATTERN] [--iters N] [--warmup W]
 *                [--inputs FILE --count K --outputs FILE] [--engines FILE]
 *
 * Prints one JSON object on stdout:
 *   load_to_first_ms  vrt_engine_open + the first vrt_engine_run (algorithm
 *                     cache as VRT_CACHE_DIR finds it: cold or warm);
 *   host              latency of vrt_engine_run with ordinary (malloc)
 *                     buffers: host copy into page-locked staging (chunks
 *                     overlapping their H2D) -> model -> D2H -> host copy
 *                     into the caller's buffer; wall clock, N iterations
 *                     after W warm-ups;
 *   host_pinned       the same with the engine's own page-locked buffers
 *                     (vrt_engine_input_buffer / vrt_engine_output_buffer):
 *                     no host copy, H2D -> model -> D2H;
 *   gpu               CUDA-event time of the backend's run() + get_output on
 *                     a caller stream (H2D of the input from page-locked
 *                     staging, the steps' graph replay, D2H of output 0), same N;
 *   gpu_host          wall clock around that run() + get_output + sync;
 *   model_gpu         CUDA-event time of the model alone: its steps captured
 *                     into one graph (no I/O copies) and replayed;
 *   model_host        wall clock around that replay + stream synchronise.
 * Each: p50, p90, p99, max, mean, stddev in ms. "io_p50_ms" gives what the
 * host-buffer API adds to the model's replay: host - model_host,
 * host_pinned - model_host and gpu - model_gpu.
 * With --inputs: K fp32 inputs (raw, back to back) are run through the engine
 * and output 0 of each is written to --outputs as fp32 (numerics check).
 *
 * --unfuse attention|layernorm|gelu|matmul_bias|add_epilogue|dw_pointwise|half_rows|all
 * (repeatable) turns that fusion off (options fuse_*, add_epilogue, dw_pointwise;
 * half_rows: the fp16 rows storage of the CUDA backend), to measure what it gives.
 *
 * --math and --nofuse set vrt_engine_options (precision; fused_epilogue OFF:
 * conv + our epilogue kernel instead of cuDNN's fused call) for the engine,
 * the second backend context and the sessions; the environment overrides
 * (VRT_CUDA_MATH, VRT_CACHE_DIR, ...) apply where they are not given.
 *
 * --profile FILE: after the timing, every step once eagerly with CUDA events
 * around each (median of 20 passes; no graph), one line per node to FILE:
 * index, op, storage (fp16 NHWC, own igemm conv, fp16 rows or fp32), ms, name;
 * then a total per op type.
 *
 * --session PROFILE [--frame FILE.yuyv]: the whole frame path instead
 * (vrt/session.h): a 640x480 YUYV frame (FILE, 614400 bytes, or a synthetic
 * pattern) in a page-locked slot -> upload -> pre-processing -> model ->
 * top-k or decode + NMS -> result on the host. "host" = submit + wait per
 * frame (timings off: no stage events); then a second session with stage
 * timings on gives p50 per stage ("stages_p50_ms") and its own host times.
 *
 * --parallel PROFILE [--parallel-model F]: a second model on the same frame
 * (vrt_session_params.parallel, its own branch of the slot's graph); the
 * stages then add "parallel" (the branch), "join" (waiting for it + the
 * per-box depths) and "parallel_model" (the second network's own time).
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
#include "vrt/session.h"
#include "engine/backend/cuda/cuda_inspect.h"
#include "model/ir.h"
#include "model/plan.h"
#include "vrt/engine.h"

/* --math (NULL: auto) and the options every engine and session here uses. */
static const char *g_math;
static vrt_engine_options g_opt;

/* --unfuse PATTERN: that transformer pattern's option OFF; 1 for an unknown name. */
static int unfuse(const char *what) {
    int all = !strcmp(what, "all"), known = all;
    if (all || !strcmp(what, "attention")) g_opt.fuse_attention = VRT_SWITCH_OFF, known = 1;
    if (all || !strcmp(what, "layernorm")) g_opt.fuse_layernorm = VRT_SWITCH_OFF, known = 1;
    if (all || !strcmp(what, "gelu")) g_opt.fuse_gelu = VRT_SWITCH_OFF, known = 1;
    if (all || !strcmp(what, "matmul_bias")) g_opt.fuse_matmul_bias = VRT_SWITCH_OFF, known = 1;
    if (all || !strcmp(what, "add_epilogue")) g_opt.add_epilogue = VRT_SWITCH_OFF, known = 1;
    if (all || !strcmp(what, "half_rows")) g_opt.half_rows = VRT_SWITCH_OFF, known = 1;
    if (all || !strcmp(what, "dw_pointwise")) g_opt.dw_pointwise = VRT_SWITCH_OFF, known = 1;
    if (!known)
        fprintf(stderr,
                "bench_engine: --unfuse %s: use attention, layernorm, gelu, matmul_bias, add_epilogue, "
                "dw_pointwise, half_rows or all\n",
                what);
    return !known;
}

/* g_opt from --math and --nofuse, then the environment overrides (as the
 * engine applies them), so the second backend context runs as the engine. */
static vrt_status set_options(char *err, size_t cap) {
    if (g_math) {
        if (!strcmp(g_math, "fp16"))
            g_opt.precision = VRT_PRECISION_FP16;
        else if (!strcmp(g_math, "fp32"))
            g_opt.precision = VRT_PRECISION_FP32;
        else if (!strcmp(g_math, "tf32"))
            g_opt.precision = VRT_PRECISION_TF32;
        else {
            snprintf(err, cap, "--math %s: use fp16, fp32 or tf32", g_math);
            return VRT_EINVAL;
        }
    }
    return vrt__engine_options_apply_env(&g_opt, err, cap);
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Prints the stats (sorting v) and returns the p50. */
static double print_stats(const char *name, double *v, int n, int last) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++)
        mean += v[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (v[i] - mean) * (v[i] - mean);
    var /= n > 1 ? n - 1 : 1;
    qsort(v, (size_t)n, sizeof(double), cmp_d);
#define PCT(p) v[(int)((double)(p) / 100.0 * (n - 1) + 0.5)]
    printf("\"%s\": {\"n\": %d, \"p50\": %.5f, \"p90\": %.5f, \"p99\": %.5f, \"max\": %.5f, \"mean\": %.5f, "
           "\"stddev\": %.5f}%s\n",
           name, n, PCT(50), PCT(90), PCT(99), v[n - 1], mean, sqrt(var), last ? "" : ",");
    return PCT(50);
#undef PCT
}

static int64_t numel(const vrt_model_tensor_info *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->dims[i];
    return n;
}

/* --secondary PROFILE [--secondary-model F] [--secondary-batch N]: a cascade
 * (vrt_session_params.cascade) on the session's detections. */
static vrt_cascade_params g_cascade;
static int g_batch = 1; /* --batch N: the model alone at batch N */
static const vrt_cascade_params *g_casc;
/* --parallel PROFILE [--parallel-model F]: a second model on the frame. */
static vrt_parallel_params g_par_store;
static const vrt_parallel_params *g_par;
#define NSTAGES 10

/* The frame path (vrt/session.h) on one fixed frame: returns the exit code. */
static int bench_session(const char *model, const char *prof, const char *frame_path, int iters, int warmup) {
    const uint32_t W = 640, H = 480;
    size_t fb = (size_t)W * H * 2;
    uint8_t *frame = malloc(fb);
    double *lat = malloc((size_t)iters * sizeof(double)), *lat2 = malloc((size_t)iters * sizeof(double));
    double *stg[NSTAGES];
    for (int k = 0; k < NSTAGES; k++)
        stg[k] = malloc((size_t)iters * sizeof(double));
    if (!frame || !lat || !lat2) return 1;
    if (frame_path) {
        FILE *f = fopen(frame_path, "rb");
        if (!f || fread(frame, 1, fb, f) != fb) {
            fprintf(stderr, "bench_engine: %s does not hold a 640x480 YUYV frame (%zu bytes)\n", frame_path,
                    fb);
            return 1;
        }
        fclose(f);
    } else {
        for (uint32_t y = 0; y < H; y++)
            for (uint32_t x = 0; x < W; x++)
                frame[(size_t)y * W * 2 + x * 2] = (uint8_t)((x ^ y) & 0xff),
                                              frame[(size_t)y * W * 2 + x * 2 + 1] = (uint8_t)(x * 255 / W);
    }
    char err[1024];
    const vrt_result *r = NULL;
    int ndet = -1, top1 = -1, classified = 0;
    double t_open = 0;
    vrt_session_info info;
    memset(&info, 0, sizeof(info));
    for (int pass = 0; pass < 2; pass++) {
        vrt_session_params p;
        vrt_session_default_params(&p);
        p.engine = g_opt;
        p.backend = "cuda";
        p.fourcc = VRT_FMT_YUYV;
        p.width = W;
        p.height = H;
        p.slots = 2;
        p.timings = pass; /* pass 0: fastest path; pass 1: stage events */
        p.cascade = g_casc;
        p.parallel = g_par;
        vrt_session_t *s = NULL;
        double t0 = now_ms();
        if (vrt_session_open(model, prof, NULL, &p, &s, err, sizeof(err))) {
            fprintf(stderr, "bench_engine: session: %s\n", err);
            return 1;
        }
        if (!pass) t_open = now_ms() - t0;
        vrt_session_get_info(s, &info);
        size_t sz = 0;
        uint8_t *slot = vrt_session_slot_buffer(s, 0, &sz);
        vrt_frame f;
        if (!slot || sz < fb || vrt_session_slot_frame(s, 0, &f)) {
            fprintf(stderr, "bench_engine: session slot 0 unusable\n");
            return 1;
        }
        memcpy(slot, frame, fb);
        for (int i = 0; i < warmup + iters; i++) {
            double a = now_ms();
            if (vrt_session_submit(s, 0, &f) || vrt_session_wait(s, 0, &r)) {
                fprintf(stderr, "bench_engine: session run: %s\n", vrt_session_last_error(s));
                return 1;
            }
            double dt = now_ms() - a;
            if (i < warmup) continue;
            int k = i - warmup;
            (pass ? lat2 : lat)[k] = dt;
            if (pass) {
                static const vrt_result_time which[6] = {VRT_TIME_UPLOAD,   VRT_TIME_PREPROCESS,
                                                         VRT_TIME_MODEL,    VRT_TIME_POSTPROCESS,
                                                         VRT_TIME_DOWNLOAD, VRT_TIME_TOTAL};
                for (int j = 0; j < 6; j++)
                    stg[j][k] = (double)vrt_result_time_ns(r, which[j]) / 1e6;
                stg[6][k] = (double)vrt_result_time_ns(r, VRT_TIME_SECONDARY) / 1e6;
                stg[7][k] = (double)vrt_result_time_ns(r, VRT_TIME_PARALLEL) / 1e6;
                stg[8][k] = (double)vrt_result_time_ns(r, VRT_TIME_JOIN) / 1e6;
                stg[9][k] = (double)vrt_result_time_ns(vrt_result_parallel(r), VRT_TIME_MODEL) / 1e6;
            }
        }
        ndet = vrt_result_kind(r) == VRT_RESULT_DETECTIONS ? vrt_result_count(r) : -1;
        classified = 0;
        for (int i = 0; i < ndet; i++)
            classified += vrt_result_secondary_count(r, i) > 0;
        top1 = -1;
        if (vrt_result_kind(r) == VRT_RESULT_CLASSES) vrt_result_class(r, 0, &top1, NULL);
        vrt_session_destroy(&s);
    }
    int drv = 0, rt = 0;
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rt);
    const char *math = g_math;
    printf("{\"model\": \"%s\", \"profile\": \"%s\", \"frame\": \"640x480 YUYV %s\", \"math\": \"%s\", "
           "\"cuda_driver_api\": %d, "
           "\"cuda_runtime\": %d, \"cudnn\": %zu,\n",
           model, prof, frame_path ? "file" : "synthetic", math && math[0] ? math : "auto", drv, rt,
           (size_t)cudnnGetVersion());
    printf("\"graphs\": %d, \"input\": \"%ux%u\", \"detections\": %d, \"top1\": %d, \"open_ms\": %.3f,\n",
           info.graphs, info.input_w, info.input_h, ndet, top1, t_open);
    printf("\"cascade_batch\": %d, \"classified\": %d,\n", info.cascade_batch, classified);
    printf("\"parallel\": %d, \"parallel_input\": \"%ux%u\", \"object_depth\": %d,\n", info.parallel,
           info.parallel_input_w, info.parallel_input_h, info.object_depth);
    static const char *names[NSTAGES] = {"upload",   "preprocess",    "model",     "postprocess",
                                         "download", "gpu_total",     "secondary", "parallel",
                                         "join",     "parallel_model"};
    printf("\"stages_p50_ms\": {");
    for (int k = 0; k < NSTAGES; k++) {
        qsort(stg[k], (size_t)iters, sizeof(double), cmp_d);
        printf("\"%s\": %.5f%s", names[k], stg[k][iters / 2], k < NSTAGES - 1 ? ", " : "},\n");
    }
    print_stats("host", lat, iters, 0);
    print_stats("host_with_stage_timings", lat2, iters, 1);
    printf("}\n");
    for (int k = 0; k < NSTAGES; k++)
        free(stg[k]);
    free(frame), free(lat), free(lat2);
    return 0;
}

/* "host_pinned": vrt_engine_run on the engine's own page-locked buffers. */
static int time_pinned(vrt_engine_t *e, const float *x, int64_t nin, int iters, int warmup, double *out) {
    size_t ib = 0, ob = 0;
    float *px = vrt_engine_input_buffer(e, 0, &ib), *py = vrt_engine_output_buffer(e, 0, &ob);
    vrt_model_tensor_info oi;
    vrt_engine_output_info(e, 0, &oi);
    if (!px || !py || ib < (size_t)nin * 4) {
        fprintf(stderr, "bench_engine: the engine has no page-locked input/output buffers\n");
        return 1;
    }
    memcpy(px, x, (size_t)nin * 4);
    vrt_engine_tensor tin = {px, VRT_DTYPE_FLOAT, (size_t)nin * 4},
                      tout = {py, VRT_DTYPE_FLOAT, (size_t)numel(&oi) * 4};
    for (int i = 0; i < warmup + iters; i++) {
        double a = now_ms();
        if (vrt_engine_run(e, &tin, 1, &tout, 1)) {
            fprintf(stderr, "bench_engine: run (page-locked buffers): %s\n", vrt_engine_last_error(e));
            return 1;
        }
        if (i >= warmup) out[i - warmup] = now_ms() - a;
    }
    return 0;
}

/* "gpu" / "gpu_host": the backend's run() + get_output (into its own
 * page-locked buffer) + sync on stream s, input set once. */
static int time_backend(const vrt__backend_iface *be, void *ctx, cudaStream_t s, const float *x, int64_t nin,
                        int iters, int warmup, double *gpu, double *gh) {
    size_t ob = 0;
    void *py = be->host_output(ctx, 0, &ob);
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    if (!py || be->set_input(ctx, 0, x, VRT__DT_FLOAT, (size_t)nin * 4, s)) {
        fprintf(stderr, "bench_engine: set_input: %s\n", be->last_error(ctx));
        return 1;
    }
    for (int i = 0; i < warmup + 2 + iters; i++) {
        int timed = i >= warmup + 2;
        double a = now_ms();
        if (timed) cudaEventRecord(e0, s);
        if (be->run(ctx, s) || be->get_output(ctx, 0, py, VRT__DT_FLOAT, ob, s)) {
            fprintf(stderr, "bench_engine: backend run: %s\n", be->last_error(ctx));
            return 1;
        }
        if (timed) cudaEventRecord(e1, s);
        if (be->sync(ctx, s)) {
            fprintf(stderr, "bench_engine: backend sync: %s\n", be->last_error(ctx));
            return 1;
        }
        if (!timed) continue;
        gh[i - warmup - 2] = now_ms() - a;
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        gpu[i - warmup - 2] = ms;
    }
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    return 0;
}

/* "model_gpu" / "model_host": the model's steps alone (the backend's enqueue,
 * no I/O copies) captured into one graph on s and replayed. */
static int time_model(const vrt__backend_iface *be, void *ctx, cudaStream_t s, int iters, int warmup,
                      double *mg, double *mh) {
    cudaGraph_t g = NULL;
    cudaGraphExec_t ge = NULL;
    cudaEvent_t e0, e1;
    cudaEventCreate(&e0);
    cudaEventCreate(&e1);
    cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    int est = be->enqueue(ctx, s);
    if (cudaStreamEndCapture(s, &g) != cudaSuccess || est || cudaGraphInstantiate(&ge, g, 0) != cudaSuccess) {
        fprintf(stderr, "bench_engine: model graph: %s (%s)\n", be->last_error(ctx),
                cudaGetErrorString(cudaGetLastError()));
        return 1;
    }
    for (int i = 0; i < warmup + iters; i++) {
        double a = now_ms();
        cudaEventRecord(e0, s);
        cudaGraphLaunch(ge, s);
        cudaEventRecord(e1, s);
        cudaStreamSynchronize(s);
        if (i < warmup) continue;
        mh[i - warmup] = now_ms() - a;
        float ms = 0;
        cudaEventElapsedTime(&ms, e0, e1);
        mg[i - warmup] = ms;
    }
    cudaGraphExecDestroy(ge);
    cudaGraphDestroy(g);
    cudaEventDestroy(e0);
    cudaEventDestroy(e1);
    return 0;
}

int main(int argc, char **argv) {
    const char *model = NULL, *in_path = NULL, *out_path = NULL, *eng_path = NULL, *prof_path = NULL,
               *sess_prof = NULL, *frame_path = NULL;
    int iters = 1000, warmup = 100, count = 0;
    vrt_cascade_default_params(&g_cascade);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--math") && i + 1 < argc)
            g_math = argv[++i];
        else if (!strcmp(argv[i], "--nofuse"))
            g_opt.fused_epilogue = VRT_SWITCH_OFF;
        else if (!strcmp(argv[i], "--unfuse") && i + 1 < argc) {
            if (unfuse(argv[++i])) return 2;
        } else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--inputs") && i + 1 < argc)
            in_path = argv[++i];
        else if (!strcmp(argv[i], "--outputs") && i + 1 < argc)
            out_path = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--engines") && i + 1 < argc)
            eng_path = argv[++i];
        else if (!strcmp(argv[i], "--profile") && i + 1 < argc)
            prof_path = argv[++i];
        else if (!strcmp(argv[i], "--session") && i + 1 < argc)
            sess_prof = argv[++i];
        else if (!strcmp(argv[i], "--frame") && i + 1 < argc)
            frame_path = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            g_batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--secondary") && i + 1 < argc)
            g_cascade.profile_path = argv[++i], g_casc = &g_cascade;
        else if (!strcmp(argv[i], "--secondary-model") && i + 1 < argc)
            g_cascade.model = argv[++i];
        else if (!strcmp(argv[i], "--secondary-batch") && i + 1 < argc)
            g_cascade.max_batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--parallel") && i + 1 < argc)
            g_par_store.profile_path = argv[++i], g_par = &g_par_store;
        else if (!strcmp(argv[i], "--parallel-model") && i + 1 < argc)
            g_par_store.model = argv[++i];
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else {
            fprintf(stderr, "usage: bench_engine MODEL [--math fp16|fp32|tf32] [--nofuse] [--unfuse PATTERN] "
                            "[--batch N] [--iters N] [--warmup W] "
                            "[--inputs F --count K --outputs F] [--engines F] [--profile F] "
                            "[--session PROFILE [--frame F.yuyv] [--secondary PROFILE [--secondary-model F] "
                            "[--secondary-batch N]] [--parallel PROFILE [--parallel-model F]]]\n");
            return 2;
        }
    }
    if (!model || iters < 1) {
        fprintf(stderr, "bench_engine: a model path is needed (and --iters >= 1)\n");
        return 2;
    }
    char oerr[512];
    if (set_options(oerr, sizeof(oerr))) {
        fprintf(stderr, "bench_engine: %s\n", oerr);
        return 2;
    }
    if (sess_prof) return bench_session(model, sess_prof, frame_path, iters, warmup);
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.options = g_opt;
    p.backend = "cuda";
    p.batch = g_batch;
    char err[1024];
    double t0 = now_ms();
    vrt_engine_t *e = NULL;
    if (vrt_engine_open(model, &p, &e, err, sizeof(err))) {
        fprintf(stderr, "bench_engine: %s\n", err);
        return 1;
    }
    double t_open = now_ms() - t0;
    if (vrt_engine_num_inputs(e) != 1) {
        fprintf(stderr, "bench_engine: %s has %d inputs; one is supported\n", model,
                vrt_engine_num_inputs(e));
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
    vrt_engine_tensor tin = {x, VRT_DTYPE_FLOAT, (size_t)nin * 4},
                      tout = {y, VRT_DTYPE_FLOAT, (size_t)nout * 4};
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
                fprintf(stderr, "bench_engine: %s holds fewer than %d inputs of %lld floats\n", in_path,
                        count, (long long)nin);
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
           *gh = malloc((size_t)iters * sizeof(double)), *hp = malloc((size_t)iters * sizeof(double)),
           *mg = malloc((size_t)iters * sizeof(double)), *mh = malloc((size_t)iters * sizeof(double));
    if (!host || !gpu || !gh || !hp || !mg || !mh) return 1;
    for (int i = 0; i < warmup; i++)
        vrt_engine_run(e, &tin, 1, &tout, 1);
    for (int i = 0; i < iters; i++) {
        double a = now_ms();
        if (vrt_engine_run(e, &tin, 1, &tout, 1)) {
            fprintf(stderr, "bench_engine: run: %s\n", vrt_engine_last_error(e));
            return 1;
        }
        host[i] = now_ms() - a;
    }
    if (time_pinned(e, x, nin, iters, warmup, hp)) return 1;

    /* GPU time of the backend's run() alone on our stream (a second context on the same IR and plan). */
    const vrt__backend_iface *be = vrt__backend_find("cuda");
    void *ctx = NULL;
    vrt__backend_params bp = {.threads = 0, .device = 0, .opt = g_opt}; /* the engine's options */
    if (!be || be->prepare(vrt__engine_ir(e), vrt__engine_plan(e), &bp, &ctx, err, sizeof(err))) {
        fprintf(stderr, "bench_engine: second context: %s\n", err);
        return 1;
    }
    cudaStream_t s;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    if (time_backend(be, ctx, s, x, nin, iters, warmup, gpu, gh) ||
        time_model(be, ctx, s, iters, warmup, mg, mh))
        return 1;
    if (prof_path) {
        /* Per-node GPU time (each step alone as a small graph replay): median of 5 passes. */
        const vrt__ir *ir = vrt__engine_ir(e);
        int nn = ir->n_nodes, passes = 5;
        float *ms = malloc((size_t)nn * passes * sizeof(float)), *one = malloc((size_t)nn * sizeof(float));
        int *half = calloc((size_t)nn, sizeof(int));
        double *col = malloc((size_t)passes * sizeof(double));
        FILE *fp = fopen(prof_path, "w");
        int ok = ms && one && half && col && fp;
        for (int k = 0; ok && k < passes + 1; k++) {
            if (vrt__cuda_backend_profile(ctx, s, one, half, nn)) {
                fprintf(stderr, "bench_engine: profile: %s\n", be->last_error(ctx));
                ok = 0;
            } else if (k >= 1) {
                memcpy(ms + (size_t)(k - 1) * nn, one, (size_t)nn * sizeof(float));
            }
        }
        double total = 0, by_op[64] = {0}, by_half[2] = {0};
        const char *opn[64] = {0};
        int nop = 0;
        for (int i = 0; ok && i < nn; i++) {
            for (int k = 0; k < passes; k++)
                col[k] = ms[(size_t)k * nn + i];
            qsort(col, (size_t)passes, sizeof(double), cmp_d);
            double med = col[passes / 2];
            if (med < 0) continue;
            const vrt__node *n = &ir->nodes[i];
            fprintf(fp, "%4d %-18s %s %8.4f %s\n", i, n->op_type,
                    half[i] == 2   ? "own "
                    : half[i] == 3 ? "rows"
                    : half[i]      ? "fp16"
                                   : "fp32",
                    med, n->name);
            total += med;
            by_half[half[i] != 0] += med;
            int j = 0;
            while (j < nop && strcmp(opn[j], n->op_type))
                j++;
            if (j == nop && nop < 64) opn[nop++] = n->op_type;
            if (j < 64) by_op[j] += med;
        }
        if (fp) {
            fprintf(fp,
                    "# total %.4f ms over %d nodes (sum of per-node medians, each node as its own graph "
                    "replay); fp16 nodes %.4f, fp32 nodes %.4f\n",
                    total, nn, by_half[1], by_half[0]);
            for (int j = 0; j < nop; j++)
                fprintf(fp, "# %-18s %8.4f ms\n", opn[j], by_op[j]);
            fclose(fp);
        }
        free(ms), free(one), free(half), free(col);
    }
    cudaError_t ce = cudaGetLastError();
    vrt__cuda_backend_stats bs;
    vrt__cuda_backend_info(ctx, &bs);
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
    printf("{\"model\": \"%s\", \"math\": \"%s\", \"cuda_driver_api\": %d, \"cuda_runtime\": %d, \"cudnn\": "
           "%zu,\n",
           model, g_math ? g_math : "default", drv, rt, (size_t)cudnnGetVersion());
    printf("\"nodes\": %d, \"weight_bytes\": %zu, \"arena_bytes\": %zu, \"cuda_error\": \"%s\",\n", st.nodes,
           st.weight_bytes, st.arena_bytes, cudaGetErrorName(ce));
    printf("\"open_ms\": %.3f, \"load_to_first_ms\": %.3f,\n", t_open, t_first);
    printf("\"plan\": {\"math\": \"%s\", \"own_convs\": %d, \"inplace_concats\": %d, \"focus_elided\": %d, "
           "\"adds_fused\": %d, \"dw_fused\": %d, "
           "\"pdl\": %d},\n",
           bs.math, bs.own_convs, bs.inplace_concats, bs.focus_elided, bs.adds_fused, bs.dw_fused, bs.pdl);
    double p_host = print_stats("host", host, iters, 0), p_hp = print_stats("host_pinned", hp, iters, 0);
    double p_gpu = print_stats("gpu", gpu, iters, 0);
    print_stats("gpu_host", gh, iters, 0);
    double p_mg = print_stats("model_gpu", mg, iters, 0), p_mh = print_stats("model_host", mh, iters, 0);
    printf("\"io_p50_ms\": {\"host\": %.5f, \"host_pinned\": %.5f, \"gpu\": %.5f}\n", p_host - p_mh,
           p_hp - p_mh, p_gpu - p_mg);
    printf("}\n");
    vrt_engine_destroy(&e);
    free(x), free(y), free(host), free(gpu), free(gh), free(hp), free(mg), free(mh);
    return 0;
}
