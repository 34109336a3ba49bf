/*
 * bench_guided - the guided filter (vrt/vision.h, vrt/vision_cuda.h) on one
 * 640x480 YUYV frame, radius 8, eps 0.01 (issue 11's case): the frame filter
 * (3 channels -> RGB24, the pre-filter) and the map filter (one float map,
 * depth refinement), on the CPU and, when built with CUDA and a GPU is
 * present, on the GPU (CUDA events around N back-to-back calls, and one CUDA
 * graph replay per call).
 *
 *   bench_guided [--width W] [--height H] [--radius R] [--iters N] [--json FILE]
 *
 * Prints one line per case (median and p90 of per-call times for the CPU,
 * the mean over N calls for the GPU) and, with --json, the same as one
 * object with the machine's CPU model and GPU name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt/core.h"
#include "vrt/image.h"
#include "vrt/vision.h"
#if defined(VRT_HAVE_CUDA)
#include <cuda_runtime.h>

#include "vrt/vision_cuda.h"
#endif

typedef struct result {
    const char *name;
    double p50_us, p90_us;
} result;

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void cpu_model(char *buf, size_t cap) {
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(buf, cap, "%s", strchr(line, ':') + 2);
            buf[strcspn(buf, "\n")] = 0;
            break;
        }
    fclose(f);
}

/* Times fn over iters calls: median and p90 in microseconds. */
static result time_cpu(const char *name, int iters, vrt_status (*fn)(void *), void *ctx) {
    double *t = malloc(sizeof(double) * (size_t)iters);
    for (int i = 0; i < iters; i++) {
        int64_t a = vrt_now_ns();
        if (fn(ctx)) {
            fprintf(stderr, "bench_guided: %s failed\n", name);
            exit(1);
        }
        t[i] = (double)(vrt_now_ns() - a) / 1e3;
    }
    qsort(t, (size_t)iters, sizeof(double), cmp_d);
    result r = {name, t[iters / 2], t[iters * 9 / 10]};
    free(t);
    return r;
}

typedef struct cpu_ctx {
    vrt_frame *f, *out;
    float *map;
    vrt_guided_params gp;
    void *scratch;
    size_t ss;
} cpu_ctx;

static vrt_status run_frame(void *p) {
    cpu_ctx *c = p;
    return vrt_guided_filter_frame(c->f, &c->gp, c->out, c->scratch, c->ss, NULL, 0);
}
static vrt_status run_map(void *p) {
    cpu_ctx *c = p;
    return vrt_guided_filter_map(c->f, c->map, c->f->width, c->map, c->f->width, &c->gp, c->scratch, c->ss,
                                 NULL, 0);
}

#if defined(VRT_HAVE_CUDA)
/* Mean us per call over iters calls, plain launches and graph replays. */
static int time_gpu(cpu_ctx *c, int map, int iters, result *plain, result *graph, char *gpu, size_t cap) {
    int ndev = 0;
    if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev < 1) return 0;
    struct cudaDeviceProp prop;
    cudaGetDeviceProperties(&prop, 0);
    snprintf(gpu, cap, "%s", prop.name);
    vrt_frame d = *c->f;
    vrt_frame dout = *c->out;
    size_t fb = c->f->planes[0].size, ob = c->out->planes[0].size, mb = (size_t)d.width * d.height * 4;
    size_t dss = vrt_cuda_guided_scratch_size(d.width, d.height);
    void *fbuf, *obuf, *mbuf, *scr;
    cudaStream_t s;
    cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    cudaMalloc(&fbuf, fb), cudaMalloc(&obuf, ob), cudaMalloc(&mbuf, mb), cudaMalloc(&scr, dss);
    cudaMemcpy(fbuf, c->f->planes[0].data, fb, cudaMemcpyHostToDevice);
    cudaMemcpy(mbuf, c->map, mb, cudaMemcpyHostToDevice);
    d.planes[0].data = fbuf, d.memory = VRT_MEM_DEVICE;
    dout.planes[0].data = obuf, dout.memory = VRT_MEM_DEVICE;
    char err[256];
#define ENQ()                                                                                                \
    (map ? vrt_cuda_guided_filter_map(&d, mbuf, d.width, obuf, d.width, &c->gp, scr, dss, s, err,            \
                                      sizeof(err))                                                           \
         : vrt_cuda_guided_filter_frame(&d, &c->gp, &dout, scr, dss, s, err, sizeof(err)))
    if (map && ob < mb) { /* the map output needs w*h floats */
        cudaFree(obuf);
        cudaMalloc(&obuf, mb);
    }
    for (int i = 0; i < 10; i++)
        if (ENQ()) {
            fprintf(stderr, "bench_guided: %s\n", err);
            exit(1);
        }
    cudaEvent_t a, b;
    cudaEventCreate(&a), cudaEventCreate(&b);
    float ms = 0;
    cudaEventRecord(a, s);
    for (int i = 0; i < iters; i++)
        ENQ();
    cudaEventRecord(b, s);
    cudaEventSynchronize(b);
    cudaEventElapsedTime(&ms, a, b);
    plain->p50_us = plain->p90_us = ms * 1e3 / iters;
    cudaGraph_t g;
    cudaGraphExec_t ge;
    cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    ENQ();
    cudaStreamEndCapture(s, &g);
    cudaGraphInstantiate(&ge, g, 0);
    cudaGraphLaunch(ge, s);
    cudaEventRecord(a, s);
    for (int i = 0; i < iters; i++)
        cudaGraphLaunch(ge, s);
    cudaEventRecord(b, s);
    cudaEventSynchronize(b);
    cudaEventElapsedTime(&ms, a, b);
    graph->p50_us = graph->p90_us = ms * 1e3 / iters;
#undef ENQ
    cudaGraphExecDestroy(ge), cudaGraphDestroy(g);
    cudaEventDestroy(a), cudaEventDestroy(b);
    cudaFree(fbuf), cudaFree(obuf), cudaFree(mbuf), cudaFree(scr);
    cudaStreamDestroy(s);
    return 1;
}
#endif

int main(int argc, char **argv) {
    uint32_t w = 640, h = 480;
    int iters = 50;
    const char *json = NULL;
    cpu_ctx c;
    memset(&c, 0, sizeof(c));
    vrt_guided_default_params(&c.gp);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--width"))
            w = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--height"))
            h = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--radius"))
            c.gp.radius = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--iters"))
            iters = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--json"))
            json = argv[i + 1];
        else {
            fprintf(stderr,
                    "usage: bench_guided [--width W] [--height H] [--radius R] [--iters N] [--json FILE]\n");
            return 2;
        }
    }
    if (iters < 1 || vrt_image_alloc(VRT_FMT_YUYV, w, h, &c.f) ||
        vrt_image_alloc(VRT_FMT_RGB24, w, h, &c.out)) {
        fprintf(stderr, "bench_guided: bad size or iterations\n");
        return 2;
    }
    for (uint32_t i = 0; i < c.f->planes[0].size; i++)
        c.f->planes[0].data[i] = (uint8_t)((i * 2654435761u) >> 24 | (i / 640) % 64);
    c.map = malloc((size_t)w * h * sizeof(float));
    for (size_t i = 0; i < (size_t)w * h; i++)
        c.map[i] = (float)(i % 997) / 99.7f;
    c.ss = vrt_guided_scratch_size(w, h);
    c.scratch = malloc(c.ss);
    result res[6];
    int n = 0;
    res[n++] = time_cpu("cpu frame (3 channels -> RGB24)", iters, run_frame, &c);
    res[n++] = time_cpu("cpu map (1 float channel)", iters, run_map, &c);
    char cpu[256], gpu[256] = "none";
    cpu_model(cpu, sizeof(cpu));
#if defined(VRT_HAVE_CUDA)
    result gf = {"gpu frame, launches", 0, 0}, gg = {"gpu frame, graph replay", 0, 0};
    result mf = {"gpu map, launches", 0, 0}, mg = {"gpu map, graph replay", 0, 0};
    if (time_gpu(&c, 0, iters * 20, &gf, &gg, gpu, sizeof(gpu)) &&
        time_gpu(&c, 1, iters * 20, &mf, &mg, gpu, sizeof(gpu))) {
        res[n++] = gf, res[n++] = gg, res[n++] = mf, res[n++] = mg;
    }
#endif
    printf("guided filter %ux%u radius %d eps %g (CPU: %s; GPU: %s)\n", w, h, c.gp.radius, (double)c.gp.eps,
           cpu, gpu);
    for (int i = 0; i < n; i++)
        printf("  %-34s p50 %9.1f us  p90 %9.1f us\n", res[i].name, res[i].p50_us, res[i].p90_us);
    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) {
            perror(json);
            return 1;
        }
        fprintf(f,
                "{\"bench\": \"guided_filter\", \"width\": %u, \"height\": %u, \"radius\": %d, \"eps\": %g, "
                "\"cpu\": \"%s\", \"gpu\": \"%s\", \"cases\": [",
                w, h, c.gp.radius, (double)c.gp.eps, cpu, gpu);
        for (int i = 0; i < n; i++)
            fprintf(f, "%s{\"name\": \"%s\", \"p50_us\": %.2f, \"p90_us\": %.2f}", i ? ", " : "", res[i].name,
                    res[i].p50_us, res[i].p90_us);
        fprintf(f, "]}\n");
        fclose(f);
    }
    free(c.map);
    free(c.scratch);
    vrt_frame_unref(&c.f);
    vrt_frame_unref(&c.out);
    return 0;
}
