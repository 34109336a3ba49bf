/* The guided pre-filter in a CUDA session (profile guided_radius > 0: the
 * filter kernels run inside the slot's graph before the pre-processing)
 * against the CPU session with the same profile: the same top-5 (fp32 math).
 * Skips without a GPU or without ../shared/data. */
#include <cuda_runtime.h>

#include "../unit/session_test_util.h"

static vrt_session_t *open_sq(const char *backend, int graphs, int radius) {
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    char err[512], path[1024];
    snprintf(path, sizeof(path), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    vrt_profile pr;
    ASSERT_OK(vrt_profile_load(path, &pr, err, sizeof(err)));
    pr.guided.radius = radius;
    pr.guided.eps = 0.02f;
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.graphs = graphs;
    p.engine.precision = VRT_PRECISION_FP32;
    p.threads = 2;
    vrt_session_t *s = NULL;
    vrt_status st = vrt_session_open(model, NULL, &pr, &p, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s", backend, err);
    return s;
}

static void top5(vrt_session_t *s, const vrt_frame *f, int idx[5], float sc[5]) {
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_run(s, f, &r));
    ASSERT_EQ(vrt_result_count(r), 5);
    for (int i = 0; i < 5; i++)
        ASSERT_OK(vrt_result_class(r, i, &idx[i], &sc[i]));
}

TEST(cuda_guided_session_equals_cpu) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) vrt_test_skip("no CUDA device");
    vrt_frame *f = st_load_frame(st_images[0], VRT_FMT_YUYV, 640, 480);
    int ic[5], ig[5], ie[5], ip[5];
    float sc[5], sg[5], se[5], sp[5];
    vrt_session_t *cpu = open_sq("cpu", 1, 8), *gpu = open_sq("cuda", 1, 8), *eager = open_sq("cuda", 0, 8),
                  *plain = open_sq("cuda", 1, 0);
    top5(cpu, f, ic, sc);
    top5(gpu, f, ig, sg);
    top5(gpu, f, ig, sg); /* a graph replay */
    top5(eager, f, ie, se);
    top5(plain, f, ip, sp);
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(ig[i], ic[i]);
        ASSERT_NEAR(sg[i], sc[i], 1e-2 * (1 + fabsf(sc[i])));
        ASSERT_EQ(ie[i], ig[i]);
        ASSERT_TRUE(se[i] == sg[i]); /* graph and eager: the same kernels */
    }
    printf("  top-1 %d %.4f filtered (cpu %.4f), %d %.4f unfiltered\n", ig[0], sg[0], sc[0], ip[0], sp[0]);
    ASSERT_TRUE(sp[0] != sg[0]); /* the filter changed the input */
    vrt_session_destroy(&cpu);
    vrt_session_destroy(&gpu);
    vrt_session_destroy(&eager);
    vrt_session_destroy(&plain);
    vrt_frame_unref(&f);
}

int main(void) {
    (void)st_fill_slot; /* helpers of session_test_util.h this test does not need */
    (void)st_check_dog;
    VRT_RUN(cuda_guided_session_equals_cpu);
    return vrt_test_finish();
}
