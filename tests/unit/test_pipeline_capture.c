/* Pipeline capture into the session's slots (CPU backend) against the
 * in-process fake V4L2 device: USERPTR into the slot buffers (no copy), the
 * fallback to mmap + copy when the driver refuses USERPTR, io=mmap kept, the
 * camera opened once in every case (buffers are bound at start, not at open),
 * the driver's sequence and exposure timestamps carried to every result, and
 * every result equal to a separate session's on the same frame bytes. */
#include "pipeline_capture_util.h"

static pc_run g_run;

TEST(userptr_into_session_slots) {
    vrt_pipeline_stats st;
    pc_run_fake(&g_run, "cpu", 0, NULL, 12, &st);
    ASSERT_STREQ(st.capture_io, "userptr-pinned");
    ASSERT_EQ(st.results, 12);
    ASSERT_EQ(st.zero_copy, st.results);
    ASSERT_EQ(g_run.bad_seq, 0);
    ASSERT_EQ(g_run.fake_mem, 0); /* frames live in our memory, not the driver's */
    ASSERT_EQ(g_run.opens, 1);    /* binding the slots did not reopen the camera */
    ASSERT_EQ(g_run.bad_time, 0);
    pc_check_results(&g_run, "cpu", 0.0f);
}

TEST(userptr_refused_falls_back_to_mmap) {
    vrt_pipeline_stats st;
    pc_run_fake(&g_run, "cpu", 1, NULL, 8, &st);
    ASSERT_STREQ(st.capture_io, "mmap");
    ASSERT_EQ(st.results, 8);
    ASSERT_EQ(st.zero_copy, 0);
    ASSERT_EQ(g_run.bad_seq, 0);
    ASSERT_EQ(g_run.fake_mem, 8);
    ASSERT_EQ(g_run.opens, 1); /* the fallback re-binds buffers on the same open device */
    ASSERT_EQ(g_run.bad_time, 0);
    pc_check_results(&g_run, "cpu", 0.0f);
}

TEST(explicit_io_mmap_is_kept) {
    vrt_pipeline_stats st;
    pc_run_fake(&g_run, "cpu", 0, "?io=mmap", 5, &st);
    ASSERT_STREQ(st.capture_io, "mmap");
    ASSERT_EQ(st.zero_copy, 0);
    ASSERT_EQ(g_run.fake_mem, 5);
}

int main(void) {
    VRT_RUN(userptr_into_session_slots);
    VRT_RUN(userptr_refused_falls_back_to_mmap);
    VRT_RUN(explicit_io_mmap_is_kept);
    return vrt_test_finish();
}
