/* Pictures drawn on the GPU on the frame path (vrt/pipeline.h "Pictures"):
 * a CUDA session's vrt_session_render (the overlay kernel on the slot's
 * device frame, one download) equals the CPU overlay of the same result on
 * the same frame byte for byte; a CUDA pipeline hands its drawing outputs
 * that picture (r->annotated = 1, RGB24), equal to the CPU overlay of the
 * result they got on the raw frame, while an output without an overlay still
 * gets the raw frames. CPU side: tests/unit/test_session_render.c. Exits 77
 * (skip) without a usable GPU. */
#include <cuda_runtime.h>

#include "../unit/pictures_test_util.h"

TEST(cuda_session_render_equals_overlay) {
    pt_check_session("cuda", VRT_FMT_YUYV);
    pt_check_session("cuda", VRT_FMT_NV12);
}

TEST(cuda_pipeline_draws_on_the_gpu) {
    static pt_run t;
    pt_run_pipeline("cuda", &t);
    ASSERT_EQ(t.pictures, PT_FRAMES);
    ASSERT_EQ(t.annotated, PT_FRAMES);
    ASSERT_EQ(t.rgb, PT_FRAMES);
    ASSERT_EQ(t.drawn, PT_FRAMES);
    ASSERT_EQ(t.equal, PT_FRAMES);
    ASSERT_EQ(t.plain_frames, PT_FRAMES);
    ASSERT_EQ(t.plain_annotated, 0);
}

int main(void) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n < 1) {
        printf("SKIP: no usable GPU (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
        return 77;
    }
    VRT_RUN(cuda_session_render_equals_overlay);
    VRT_RUN(cuda_pipeline_draws_on_the_gpu);
    return vrt_test_finish();
}
