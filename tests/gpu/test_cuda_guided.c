/* CUDA guided filter (vrt/vision_cuda.h) against its CPU twin (vrt/vision.h)
 * on the same frames: every raw format with odd sizes (one tile to many,
 * partial tiles at the right and bottom) and padded strides, radii 1..16,
 * the map filter (depth refinement, in place too) and the frame filter
 * (RGB24). The fused kernel's window sums are the CPU's (exact integers for
 * the guide, double for floats), so nearly every value is bit-identical.
 * Exits 77 (skip) without a usable GPU. */
#include <cuda_runtime.h>
#include <math.h>

#include "harness.h"
#include "vrt/image.h"
#include "vrt/vision.h"
#include "vrt/vision_cuda.h"

static uint64_t g_rng = 0x452821e638d01377ull;
static uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

#define CK(call)                                                                                             \
    do {                                                                                                     \
        cudaError_t _e = (call);                                                                             \
        if (_e != cudaSuccess) vrt_test_fail(__FILE__, __LINE__, "%s: %s", #call, cudaGetErrorString(_e));   \
    } while (0)

static cudaStream_t g_stream;

/* A host frame (vrt_image_alloc) and its copy in GPU memory with the same layout. */
typedef struct dual {
    vrt_frame *h;
    vrt_frame d;
    uint8_t *dbuf;
} dual;

static void dual_make(dual *x, uint32_t fourcc, uint32_t w, uint32_t h) {
    ASSERT_OK(vrt_image_alloc(fourcc, w, h, &x->h));
    size_t total = 0;
    for (int p = 0; p < x->h->num_planes; p++) {
        for (uint32_t i = 0; i < x->h->planes[p].size; i++)
            x->h->planes[p].data[i] = (uint8_t)((i / 5) % 4 == 0 ? rnd() : 30 + (i % 97));
        total += x->h->planes[p].size;
    }
    CK(cudaMalloc((void **)&x->dbuf, total));
    x->d = *x->h;
    size_t off = 0;
    for (int p = 0; p < x->h->num_planes; p++) {
        x->d.planes[p].data = x->dbuf + off;
        CK(cudaMemcpy(x->d.planes[p].data, x->h->planes[p].data, x->h->planes[p].size,
                      cudaMemcpyHostToDevice));
        off += x->h->planes[p].size;
    }
    x->d.memory = VRT_MEM_DEVICE;
    x->d.release = NULL;
    CK(cudaDeviceSynchronize());
}

static void dual_free(dual *x) {
    vrt_frame_unref(&x->h);
    cudaFree(x->dbuf);
}

static const uint32_t k_formats[] = {VRT_FMT_YUYV, VRT_FMT_NV12, VRT_FMT_RGB24, VRT_FMT_GREY};

TEST(map_matches_cpu) {
    char err[256];
    double worst = 0;
    size_t n_all = 0, same = 0;
    for (int rep = 0; rep < 36; rep++) {
        uint32_t w = 2 * (1 + rnd() % 170), h = 2 * (1 + rnd() % 120);
        if (rep >= 32) w = 640, h = 480; /* the size, radius 8 and 16 */
        dual g;
        dual_make(&g, k_formats[rep % 4], w, h);
        vrt_guided_params gp = {1 + (int)(rnd() % VRT_GUIDED_MAX_RADIUS), rep % 3 ? 0.01f : 1e-4f};
        if (rep >= 32) gp.radius = rep % 2 ? 16 : 8;
        size_t stride = w + rnd() % 3, n = stride * h;
        float *src = malloc(n * sizeof(float)), *cpu = malloc(n * sizeof(float)),
              *gpu = malloc(n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            src[i] = (float)(rnd() % 4096) / 409.6f; /* depth-like: 0..10 */
        size_t ss = vrt_guided_scratch_size(w, h), dss = vrt_cuda_guided_scratch_size(w, h);
        void *scratch = malloc(ss), *dscratch = NULL;
        float *dsrc = NULL, *ddst = NULL;
        CK(cudaMalloc(&dscratch, dss));
        CK(cudaMalloc((void **)&dsrc, n * sizeof(float)));
        CK(cudaMalloc((void **)&ddst, n * sizeof(float)));
        CK(cudaMemcpy(dsrc, src, n * sizeof(float), cudaMemcpyHostToDevice));
        CK(cudaDeviceSynchronize());
        ASSERT_OK(vrt_guided_filter_map(g.h, src, stride, cpu, stride, &gp, scratch, ss, err, sizeof(err)));
        ASSERT_OK(vrt_cuda_guided_filter_map(&g.d, dsrc, stride, ddst, stride, &gp, dscratch, dss, g_stream,
                                             err, sizeof(err)));
        CK(cudaMemcpyAsync(gpu, ddst, n * sizeof(float), cudaMemcpyDeviceToHost, g_stream));
        CK(cudaStreamSynchronize(g_stream));
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                float a = cpu[y * stride + x], b = gpu[y * stride + x];
                double d = fabs((double)a - b) / (1.0 + fabs((double)a));
                if (d > worst) worst = d;
                same += a == b;
                n_all++;
            }
        /* In place on the GPU gives the same map. */
        ASSERT_OK(vrt_cuda_guided_filter_map(&g.d, dsrc, stride, dsrc, stride, &gp, dscratch, dss, g_stream,
                                             err, sizeof(err)));
        CK(cudaMemcpyAsync(src, dsrc, n * sizeof(float), cudaMemcpyDeviceToHost, g_stream));
        CK(cudaStreamSynchronize(g_stream));
        for (uint32_t y = 0; y < h; y++)
            ASSERT_TRUE(memcmp(src + y * stride, gpu + y * stride, w * sizeof(float)) == 0);
        cudaFree(dscratch), cudaFree(dsrc), cudaFree(ddst);
        free(src), free(cpu), free(gpu), free(scratch);
        dual_free(&g);
    }
    printf("  map: %zu values, %zu bit-identical, worst relative difference %.3g\n", n_all, same, worst);
    ASSERT_TRUE(worst <= 1e-5);
    ASSERT_TRUE(same >= n_all - n_all / 1000);
}

TEST(frame_matches_cpu_and_timing) {
    char err[256];
    size_t n_all = 0, off = 0;
    for (int rep = 0; rep < 12; rep++) {
        uint32_t w = rep == 0 ? 640 : 2 * (1 + rnd() % 170), h = rep == 0 ? 480 : 2 * (1 + rnd() % 120);
        dual g;
        dual_make(&g, k_formats[rep % 4], w, h);
        vrt_guided_params gp = {rep == 0 ? 8 : 1 + (int)(rnd() % VRT_GUIDED_MAX_RADIUS), 0.01f};
        vrt_frame *cpu = NULL;
        ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, w, h, &cpu));
        vrt_frame dout = *cpu;
        uint8_t *dbuf = NULL;
        CK(cudaMalloc((void **)&dbuf, cpu->planes[0].size));
        dout.planes[0].data = dbuf;
        dout.memory = VRT_MEM_DEVICE;
        size_t ss = vrt_guided_scratch_size(w, h), dss = vrt_cuda_guided_scratch_size(w, h);
        void *scratch = malloc(ss), *dscratch = NULL;
        CK(cudaMalloc(&dscratch, dss));
        ASSERT_OK(vrt_guided_filter_frame(g.h, &gp, cpu, scratch, ss, err, sizeof(err)));
        ASSERT_OK(vrt_cuda_guided_filter_frame(&g.d, &gp, &dout, dscratch, dss, g_stream, err, sizeof(err)));
        uint8_t *got = malloc(cpu->planes[0].size);
        CK(cudaMemcpyAsync(got, dbuf, cpu->planes[0].size, cudaMemcpyDeviceToHost, g_stream));
        CK(cudaStreamSynchronize(g_stream));
        for (uint32_t i = 0; i < cpu->planes[0].size; i++) {
            int d = abs((int)got[i] - (int)cpu->planes[0].data[i]);
            ASSERT_TRUE(d <= 1);
            off += d != 0;
            n_all++;
        }
        if (rep == 0) { /* 640x480, radius 8: the case (the bench times it properly) */
            cudaEvent_t a, b;
            CK(cudaEventCreate(&a));
            CK(cudaEventCreate(&b));
            CK(cudaEventRecord(a, g_stream));
            for (int k = 0; k < 100; k++)
                ASSERT_OK(vrt_cuda_guided_filter_frame(&g.d, &gp, &dout, dscratch, dss, g_stream, err,
                                                       sizeof(err)));
            CK(cudaEventRecord(b, g_stream));
            CK(cudaEventSynchronize(b));
            float ms = 0;
            CK(cudaEventElapsedTime(&ms, a, b));
            printf("  frame 640x480 r 8: %.1f us per call (3 channels, stream-ordered launches)\n",
                   ms * 10.0f);
            cudaEventDestroy(a), cudaEventDestroy(b);
        }
        free(got), free(scratch);
        cudaFree(dbuf), cudaFree(dscratch);
        vrt_frame_unref(&cpu);
        dual_free(&g);
    }
    printf("  frame: %zu bytes, %zu differ by one (rounding ties)\n", n_all, off);
    ASSERT_TRUE(off <= n_all / 10000);
}

/* A flat guide (variance 0: a = cov / eps) and a flat map: q = p. */
TEST(flat_guide_and_map) {
    char err[256];
    const uint32_t w = 100, h = 70;
    dual g;
    dual_make(&g, VRT_FMT_GREY, w, h);
    memset(g.h->planes[0].data, 77, g.h->planes[0].size);
    CK(cudaMemcpy(g.d.planes[0].data, g.h->planes[0].data, g.h->planes[0].size, cudaMemcpyHostToDevice));
    vrt_guided_params gp = {5, 1e-4f};
    const size_t n = (size_t)w * h;
    float *src = malloc(n * sizeof(float)), *cpu = malloc(n * sizeof(float)),
          *gpu = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        src[i] = (float)(i % 13) * 0.25f;
    float *dsrc = NULL, *ddst = NULL;
    CK(cudaMalloc((void **)&dsrc, n * sizeof(float)));
    CK(cudaMalloc((void **)&ddst, n * sizeof(float)));
    CK(cudaMemcpy(dsrc, src, n * sizeof(float), cudaMemcpyHostToDevice));
    size_t ss = vrt_guided_scratch_size(w, h);
    void *scratch = malloc(ss);
    ASSERT_OK(vrt_guided_filter_map(g.h, src, w, cpu, w, &gp, scratch, ss, err, sizeof(err)));
    /* Not in place: no scratch needed. */
    ASSERT_OK(vrt_cuda_guided_filter_map(&g.d, dsrc, w, ddst, w, &gp, NULL, 0, g_stream, err, sizeof(err)));
    CK(cudaMemcpyAsync(gpu, ddst, n * sizeof(float), cudaMemcpyDeviceToHost, g_stream));
    CK(cudaStreamSynchronize(g_stream));
    ASSERT_TRUE(memcmp(cpu, gpu, n * sizeof(float)) == 0);
    /* With a flat guide a is ~0 and b = m(p): the filter is the box mean of
     * the box mean of p (here away from the borders). */
    double want = 0;
    for (int j = -10; j <= 10; j++)
        for (int i = -10; i <= 10; i++) {
            const int wj = 11 - abs(j) > 0 ? 11 - abs(j) : 0, wi = 11 - abs(i) > 0 ? 11 - abs(i) : 0;
            want += (double)wj * wi * src[(size_t)(35 + j) * w + 50 + i];
        }
    ASSERT_NEAR(gpu[35 * w + 50], want / (121.0 * 121.0), 1e-4);
    free(src), free(cpu), free(gpu), free(scratch);
    cudaFree(dsrc), cudaFree(ddst);
    dual_free(&g);
}

TEST(errors_name_the_problem) {
    char err[256];
    dual g;
    dual_make(&g, VRT_FMT_GREY, 16, 16);
    vrt_guided_params gp = {4, 0.01f};
    float *d = NULL;
    CK(cudaMalloc((void **)&d, 256 * sizeof(float) * 8));
    ASSERT_STATUS(vrt_cuda_guided_filter_map(g.h, d, 16, d, 16, &gp, d, 1 << 20, g_stream, err, sizeof(err)),
                  VRT_EINVAL); /* host frame */
    ASSERT_CONTAINS(err, "cuda guided filter");
    ASSERT_STATUS(vrt_cuda_guided_filter_map(&g.d, d, 16, d, 16, &gp, d, 16, g_stream, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "scratch");
    ASSERT_STATUS(vrt_cuda_guided_filter_map(&g.d, d, 16, d, 16, &gp, d, 1 << 20, NULL, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "stream");
    gp.radius = 17;
    ASSERT_STATUS(vrt_cuda_guided_filter_map(&g.d, d, 16, d, 16, &gp, d, 1 << 20, g_stream, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "radius 17");
    gp.radius = 4;
    /* In place needs the scratch copy; the frame filter cannot run in place. */
    ASSERT_STATUS(vrt_cuda_guided_filter_map(&g.d, d, 16, d, 16, &gp, NULL, 0, g_stream, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "in place");
    vrt_frame rgb;
    memset(&rgb, 0, sizeof(rgb));
    ASSERT_OK(vrt_frame_layout(&rgb, VRT_FMT_RGB24, 16, 16, (uint8_t *)d));
    rgb.memory = VRT_MEM_DEVICE;
    ASSERT_STATUS(vrt_cuda_guided_filter_frame(&rgb, &gp, &rgb, NULL, 0, g_stream, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "overlaps");
    cudaFree(d);
    dual_free(&g);
}

int main(void) {
    int ndev = 0;
    cudaError_t e = cudaGetDeviceCount(&ndev);
    if (e != cudaSuccess || ndev < 1) {
        printf("SKIP: no usable GPU (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    if (cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking) != cudaSuccess) {
        printf("SKIP: cannot create a CUDA stream\n");
        return 77;
    }
    VRT_RUN(errors_name_the_problem);
    VRT_RUN(map_matches_cpu);
    VRT_RUN(frame_matches_cpu_and_timing);
    VRT_RUN(flat_guide_and_map);
    cudaStreamDestroy(g_stream);
    return vrt_test_finish();
}
