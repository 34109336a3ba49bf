/* vrt_session_result_map on the CUDA backend: the device copy the result was downloaded from holds
 * the same bytes as the host result (every depth map), its depth is the CPU session's within the
 * engines' tolerance, and it is refused (NULL) once a later submission on another slot overwrote it.
 * Skips without a GPU. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>

#include "../unit/session_map_util.h"

static void device_equals_host(vrt_session_t *s, const vrt_result *r, vrt_map_id id) {
    int dev = 0, w = 0, h = 0;
    size_t stride = 0;
    vrt_map_type t = VRT_MAP_U8;
    const uint8_t *d = vrt_session_result_map(s, r, id, &dev, &w, &h, &stride, &t);
    const uint8_t *host = vrt_result_map(r, id, NULL, NULL, NULL, NULL);
    ASSERT_TRUE(d != NULL && host != NULL && d != host);
    ASSERT_EQ(dev, 1);
    struct cudaPointerAttributes a;
    ASSERT_TRUE(cudaPointerGetAttributes(&a, d) == cudaSuccess && a.type == cudaMemoryTypeDevice);
    uint8_t *copy = malloc(stride * (size_t)h);
    ASSERT_TRUE(cudaMemcpy(copy, d, stride * (size_t)h, cudaMemcpyDeviceToHost) == cudaSuccess);
    const size_t row = (size_t)w * (t == VRT_MAP_F32 ? 4 : t == VRT_MAP_RGB8 ? 3 : 1);
    for (int y = 0; y < h; y++)
        ASSERT_TRUE(memcmp(copy + (size_t)y * stride, host + (size_t)y * stride, row) == 0);
    free(copy);
}

TEST(cuda_result_map_is_the_device_copy) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) vrt_test_skip("no CUDA device");
    vrt_session_t *gpu = sm_open_depth("cuda", 2), *cpu = sm_open_depth("cpu", 1);
    uint8_t b0[SM_W * SM_H * 3], b1[SM_W * SM_H * 3];
    vrt_frame f0, f1;
    sm_frame(&f0, b0, 0);
    sm_frame(&f1, b1, 3);
    const vrt_result *r = NULL, *rc = NULL;
    ASSERT_OK(vrt_session_run(gpu, &f0, &r));
    device_equals_host(gpu, r, VRT_MAP_DEPTH);
    device_equals_host(gpu, r, VRT_MAP_DEPTH_RAW);
    device_equals_host(gpu, r, VRT_MAP_DEPTH_COLOR);
    /* the twin: the CPU session's raw depth (tolerance of the depth model tests, relative to the range) */
    ASSERT_OK(vrt_session_run(cpu, &f0, &rc));
    float lo = 0, hi = 0;
    ASSERT_OK(vrt_result_depth_stats(rc, &lo, &hi, NULL));
    const float *g = vrt_result_map(r, VRT_MAP_DEPTH_RAW, NULL, NULL, NULL, NULL);
    const float *c = vrt_result_map(rc, VRT_MAP_DEPTH_RAW, NULL, NULL, NULL, NULL);
    float worst = 0;
    for (int i = 0; i < SM_W * SM_H; i++)
        worst = fmaxf(worst, fabsf(g[i] - c[i]));
    printf("  max |cuda - cpu| raw depth %.3g over a range of %.3g\n", worst, hi - lo);
    ASSERT_TRUE(worst <= 1e-3f * (hi - lo) + 1e-6f);
    /* a later submission on the other slot overwrites the one device copy: refused */
    ASSERT_OK(vrt_session_submit(gpu, 0, &f0));
    ASSERT_OK(vrt_session_submit(gpu, 1, &f1));
    const vrt_result *r0 = NULL, *r1 = NULL;
    ASSERT_OK(vrt_session_wait(gpu, 0, &r0));
    ASSERT_OK(vrt_session_wait(gpu, 1, &r1));
    ASSERT_TRUE(vrt_session_result_map(gpu, r0, VRT_MAP_DEPTH, NULL, NULL, NULL, NULL, NULL) == NULL);
    device_equals_host(gpu, r1, VRT_MAP_DEPTH_RAW);
    vrt_session_destroy(&gpu);
    vrt_session_destroy(&cpu);
}

int main(void) {
    VRT_RUN(cuda_result_map_is_the_device_copy);
    return vrt_test_finish();
}
