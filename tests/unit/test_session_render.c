/* Pictures on the CPU: vrt_session_render of a CPU session equals the CPU
 * overlay of its result on the same frame (and draws boxes); a CPU pipeline
 * leaves the drawing to its outputs (r->annotated = 0, the frame as it came),
 * and an output without an overlay gets the frames as they are. The CUDA
 * twin of both: tests/gpu/test_pictures_cuda.c. */
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

int main(void) {
    VRT_RUN(cpu_session_render_equals_overlay);
    VRT_RUN(cpu_pipeline_outputs_draw_themselves);
    return vrt_test_finish();
}
