/* Pictures on the CPU: vrt_session_render of a CPU session equals the CPU
 * overlay of its result on the same frame (and draws boxes), and so does
 * vrt_session_render_at of each position of a batch session; a CPU pipeline
 * leaves the drawing to its outputs (r->annotated = 0, the frame as it came),
 * also for batched streams (each output gets its own stream's frame), and an
 * output without an overlay gets the frames as they are; pictures only
 * started (vrt_session_render_start) on a slot submitted again at once are
 * each their own frame. The CUDA twin of
 * all: tests/gpu/test_pictures_cuda.c. */
#include "pictures_test_util.h"

TEST(cpu_session_render_equals_overlay) {
    pt_check_session("cpu", VRT_FMT_YUYV);
    pt_check_session("cpu", VRT_FMT_NV12);
}

TEST(cpu_pipeline_outputs_draw_themselves) {
    static pt_run t;
    pt_run_pipeline("cpu", &t);
    ASSERT_EQ(t.pictures, PT_FRAMES);
    ASSERT_EQ(t.annotated, 0);
    ASSERT_EQ(t.plain_frames, PT_FRAMES);
    ASSERT_EQ(t.plain_annotated, 0);
}

/* A batch session draws each position from its own frame and result (the CPU twin of
 * cuda_batch_session_render_equals_overlay). */
TEST(cpu_batch_session_render_at) {
    pt_check_batch_session("cpu", VRT_FMT_YUYV);
    pt_check_batch_session("cpu", VRT_FMT_NV12);
}

/* Batched streams (one group): every drawing output gets its own stream's frame as it came with
 * its own result (the output draws it), and the frames did run batched. */
TEST(cpu_batched_pipeline_outputs_get_their_frames) {
    static pb_run t;
    pb_run_pipeline("cpu", &t);
    ASSERT_EQ(t.batch.groups, 1);
    ASSERT_EQ(t.batch.frames, (uint64_t)(PB_N * PB_FRAMES));
    ASSERT_TRUE(t.batch.runs < t.batch.frames); /* some runs carried several frames */
    ASSERT_EQ(t.pictures, PB_N * PB_FRAMES);
    ASSERT_EQ(t.annotated, 0);
    ASSERT_EQ(t.bad, 0);
    ASSERT_EQ(t.drawn, PB_N * PB_FRAMES);
    ASSERT_EQ(t.raw_equal, PB_N * PB_FRAMES);
}

/* Pictures started without waiting (vrt_session_render_start) on one slot submitted again at once,
 * waited for on another thread: each is its own frame with its own result (the CPU twin of
 * cuda_render_start_keeps_each_frame). */
TEST(cpu_render_start_keeps_each_frame) {
    pt_check_render_order("cpu", VRT_FMT_YUYV);
}

/* A pipeline whose frames all differ, made as fast as the source can: every output gets its own
 * frame (the CPU twin of cuda_pipeline_pictures_are_their_frames, where the picture is drawn on
 * the GPU without the processing thread waiting for it). */
TEST(cpu_pipeline_frames_are_their_own) {
    static pt_run t;
    pt_run_pipeline_uri("cpu", PT_SYNTHETIC, &t);
    ASSERT_EQ(t.distinct, PT_FRAMES - 1);
    ASSERT_EQ(t.pictures, PT_FRAMES);
    ASSERT_EQ(t.annotated, 0);
    ASSERT_EQ(t.plain_frames, PT_FRAMES);
    ASSERT_EQ(t.plain_equal, PT_FRAMES);
}

int main(void) {
    VRT_RUN(cpu_session_render_equals_overlay);
    VRT_RUN(cpu_pipeline_outputs_draw_themselves);
    VRT_RUN(cpu_batch_session_render_at);
    VRT_RUN(cpu_batched_pipeline_outputs_get_their_frames);
    VRT_RUN(cpu_render_start_keeps_each_frame);
    VRT_RUN(cpu_pipeline_frames_are_their_own);
    return vrt_test_finish();
}
