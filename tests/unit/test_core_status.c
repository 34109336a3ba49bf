#include "harness.h"
#include "vrt/core.h"

TEST(status_names_and_messages) {
    ASSERT_STREQ(vrt_status_name(VRT_OK), "OK");
    ASSERT_STREQ(vrt_status_name(VRT_EAGAIN), "EAGAIN");
    ASSERT_EQ(VRT_EAGAIN, -EAGAIN);
    ASSERT_EQ(VRT_ENODEV, -ENODEV);
    ASSERT_STREQ(vrt_status_name(VRT_EOF), "EOF");
    ASSERT_STREQ(vrt_status_name(12345), "UNKNOWN");
    ASSERT_STREQ(vrt_status_str(VRT_ENOMEM), "out of memory");
    ASSERT_EQ(vrt_status_from_errno(EWOULDBLOCK), VRT_EAGAIN);
    ASSERT_EQ(vrt_status_from_errno(-ENODEV), VRT_ENODEV);
    ASSERT_EQ(vrt_status_from_errno(ENXIO), VRT_ENODEV);
    ASSERT_EQ(vrt_status_from_errno(0), VRT_OK);
    ASSERT_EQ(vrt_status_from_errno(EDOM), VRT_EIO);
}

static int g_formatted;
static int counting_arg(void) {
    g_formatted++;
    return 1;
}
static char g_last[256];
static void capture_log(void *u, vrt_log_level l, const char *who, const char *msg) {
    (void)u;
    snprintf(g_last, sizeof(g_last), "%d|%s|%s", (int)l, who ? who : "", msg);
}

TEST(log_level_checked_before_formatting) {
    vrt_log_set(capture_log, NULL, VRT_LOG_WARN);
    g_formatted = 0;
    g_last[0] = 0;
    if (vrt_log_enabled(VRT_LOG_DEBUG)) vrt_log(VRT_LOG_DEBUG, "x", "%d", counting_arg());
    ASSERT_EQ(g_formatted, 0);
    ASSERT_STREQ(g_last, "");
    vrt_log(VRT_LOG_ERROR, "v4l2:/dev/video0", "bad %s", "thing");
    ASSERT_STREQ(g_last, "0|v4l2:/dev/video0|bad thing");
    ASSERT_EQ(vrt_log_level_parse("DEBUG"), VRT_LOG_DEBUG);
    ASSERT_EQ(vrt_log_level_parse("nope"), -1);
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
}

TEST(counting_allocator_counts_and_injects) {
    vrt_alloc_counting_begin();
    void *a = vrt_malloc(10);
    void *b = vrt_calloc(3, 4);
    ASSERT_TRUE(a && b);
    vrt_free(a);
    vrt_free(b);
    vrt_alloc_stats s = vrt_alloc_counting_stats();
    ASSERT_EQ(s.allocs, 2);
    ASSERT_EQ(s.frees, 2);
    vrt_alloc_counting_fail_at(2);
    void *c = vrt_malloc(1);
    void *d = vrt_malloc(1);
    ASSERT_TRUE(c != NULL);
    ASSERT_TRUE(d == NULL);
    vrt_free(c);
    ASSERT_EQ(vrt_alloc_counting_stats().failures, 1);
    ASSERT_TRUE(vrt_calloc((size_t)-1 / 2, 4) == NULL); /* overflow refused */
    vrt_alloc_counting_end();
}

TEST(clock_is_monotonic_and_sleeps) {
    int64_t t0 = vrt_now_ns();
    vrt_sleep_ns(2000000);
    int64_t t1 = vrt_now_ns();
    ASSERT_TRUE(t1 - t0 >= 2000000);
    ASSERT_TRUE(t1 - t0 < 2000000000);
}

int main(void) {
    VRT_RUN(status_names_and_messages);
    VRT_RUN(log_level_checked_before_formatting);
    VRT_RUN(counting_allocator_counts_and_injects);
    VRT_RUN(clock_is_monotonic_and_sleeps);
    return vrt_test_finish();
}
