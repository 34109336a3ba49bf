/* vrt_session_result_map on the CPU backend: the result's own map (host memory, device = 0, the pointer
 * vrt_result_map gives), NULL for a map the result lacks, a foreign result or once its slot was
 * submitted again. The CUDA twin is tests/gpu/test_session_result_map_cuda.c. */
#include "session_map_util.h"

TEST(cpu_result_map_is_the_result_map) {
    vrt_session_t *s = sm_open_depth("cpu", 1);
    uint8_t buf[SM_W * SM_H * 3];
    vrt_frame f;
    sm_frame(&f, buf, 0);
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_run(s, &f, &r));
    const vrt_map_id ids[] = {VRT_MAP_DEPTH, VRT_MAP_DEPTH_RAW, VRT_MAP_DEPTH_COLOR};
    for (int i = 0; i < 3; i++) {
        int dev = -1, w = 0, h = 0, w2 = 0, h2 = 0;
        size_t stride = 0, stride2 = 0;
        vrt_map_type t = VRT_MAP_U8, t2 = VRT_MAP_U8;
        const void *p = vrt_session_result_map(s, r, ids[i], &dev, &w, &h, &stride, &t);
        const void *q = vrt_result_map(r, ids[i], &w2, &h2, &stride2, &t2);
        ASSERT_TRUE(p != NULL && p == q);
        ASSERT_EQ(dev, 0);
        ASSERT_EQ(w, SM_W);
        ASSERT_EQ(h, SM_H);
        ASSERT_TRUE(w == w2 && h == h2 && stride == stride2 && t == t2);
    }
    ASSERT_TRUE(vrt_session_result_map(s, r, VRT_MAP_CLASSES, NULL, NULL, NULL, NULL, NULL) == NULL);
    ASSERT_TRUE(vrt_session_result_map(s, NULL, VRT_MAP_DEPTH, NULL, NULL, NULL, NULL, NULL) == NULL);
    ASSERT_TRUE(vrt_session_result_map(NULL, r, VRT_MAP_DEPTH, NULL, NULL, NULL, NULL, NULL) == NULL);
    /* another session's result is not this session's */
    vrt_session_t *other = sm_open_depth("cpu", 1);
    ASSERT_TRUE(vrt_session_result_map(other, r, VRT_MAP_DEPTH, NULL, NULL, NULL, NULL, NULL) == NULL);
    vrt_session_destroy(&other);
    /* submitted again and not collected: the storage is being rewritten */
    ASSERT_OK(vrt_session_submit(s, 0, &f));
    ASSERT_TRUE(vrt_session_result_map(s, r, VRT_MAP_DEPTH, NULL, NULL, NULL, NULL, NULL) == NULL);
    ASSERT_OK(vrt_session_wait(s, 0, &r));
    ASSERT_TRUE(vrt_session_result_map(s, r, VRT_MAP_DEPTH, NULL, NULL, NULL, NULL, NULL) != NULL);
    vrt_session_destroy(&s);
}

int main(void) {
    VRT_RUN(cpu_result_map_is_the_result_map);
    return vrt_test_finish();
}
