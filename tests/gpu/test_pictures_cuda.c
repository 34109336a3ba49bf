/* Pictures drawn on the GPU on the frame path (vrt/pipeline.h "Pictures"):
 * a CUDA session's vrt_session_render (the overlay kernel on the slot's
 * device frame, one download) equals the CPU overlay of the same result on
 * the same frame byte for byte; a CUDA pipeline hands its drawing outputs
 * that picture (r->annotated = 1, RGB24), equal to the CPU overlay of the
 * result they got on the raw frame, while an output without an overlay still
 * gets the raw frames; the same for each position of a batch session and for
 * streams batched into one group (cross-stream batching draws on the GPU
 * too); pictures only started (vrt_session_render_start) while the next frame
 * is submitted on the same slot are each their own frame. CPU side:
 * tests/unit/test_session_render.c. Exits 77
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

/* A batch-3 session: each position's picture, drawn by the same kernel from that position's part
 * of the slot's device frames, equals the CPU overlay byte for byte (CPU twin:
 * test_session_render.cpu_batch_session_render_at). */
TEST(cuda_batch_session_render_equals_overlay) {
    pt_check_batch_session("cuda", VRT_FMT_YUYV);
    pt_check_batch_session("cuda", VRT_FMT_NV12);
}

/* Batched streams (one group, VRT_BATCH_ON) get their pictures drawn on the GPU like single
 * sessions: every drawing output's picture is its own stream's frame with its own result, equal
 * to the CPU overlay byte for byte. */
TEST(cuda_batched_pipeline_draws_on_the_gpu) {
    static pb_run t;
    pb_run_pipeline("cuda", &t);
    ASSERT_EQ(t.batch.groups, 1);
    ASSERT_EQ(t.batch.frames, (uint64_t)(PB_N * PB_FRAMES));
    ASSERT_TRUE(t.batch.runs < t.batch.frames);
    ASSERT_EQ(t.pictures, PB_N * PB_FRAMES);
    ASSERT_EQ(t.annotated, PB_N * PB_FRAMES);
    ASSERT_EQ(t.bad, 0);
    ASSERT_EQ(t.drawn, PB_N * PB_FRAMES);
    ASSERT_EQ(t.equal, PB_N * PB_FRAMES);
}

/* The frame path does not wait for pictures: each is drawn on the pictures' stream after its
 * result and downloaded asynchronously into page-locked memory, while the next frame is submitted
 * at once on the same (single) slot; the upload waits on the GPU until the drawing has read the
 * slot's device frame, so every picture is its own frame with its own result, equal to the CPU
 * overlay byte for byte (CPU twin: test_session_render.cpu_render_start_keeps_each_frame). */
TEST(cuda_render_start_keeps_each_frame) {
    pt_check_render_order("cuda", VRT_FMT_YUYV);
    pt_check_render_order("cuda", VRT_FMT_NV12);
}

/* A pipeline whose frames all differ, made as fast as the source can: every drawing output's
 * picture equals the CPU overlay of its own result on its own frame (on_result's copy), while the
 * processing thread went on without waiting for any picture (CPU twin:
 * test_session_render.cpu_pipeline_frames_are_their_own). */
TEST(cuda_pipeline_pictures_are_their_frames) {
    static pt_run t;
    pt_run_pipeline_uri("cuda", PT_SYNTHETIC, &t);
    ASSERT_EQ(t.distinct, PT_FRAMES - 1);
    ASSERT_EQ(t.pictures, PT_FRAMES);
    ASSERT_EQ(t.annotated, PT_FRAMES);
    ASSERT_EQ(t.rgb, PT_FRAMES);
    ASSERT_EQ(t.equal, PT_FRAMES);
    ASSERT_EQ(t.plain_frames, PT_FRAMES);
    ASSERT_EQ(t.plain_equal, PT_FRAMES);
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
    VRT_RUN(cuda_batch_session_render_equals_overlay);
    VRT_RUN(cuda_batched_pipeline_draws_on_the_gpu);
    VRT_RUN(cuda_render_start_keeps_each_frame);
    VRT_RUN(cuda_pipeline_pictures_are_their_frames);
    return vrt_test_finish();
}
