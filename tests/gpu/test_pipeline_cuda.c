/* Pipeline (vrt/pipeline.h) on the CUDA backend: synthetic frames keep their
 * numbers, an image source gives the expected class, two streams (one CUDA
 * session and stream each) run at once, and the fake V4L2 camera captures
 * with USERPTR into the session's page-locked slots (fallback: mmap + copy),
 * every result equal to a separate CUDA session's on the same frame bytes. */
#include <cuda_runtime.h>

#include "../unit/pipeline_capture_util.h"

static int have_gpu(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        cudaGetLastError();
        return 0;
    }
    return 1;
}

#define NEED_GPU()                                                                                           \
    do {                                                                                                     \
        if (!have_gpu()) vrt_test_skip("no CUDA device");                                                    \
    } while (0)

typedef struct counter {
    int n[2], bad_number, top1_207, classes_ok;
} counter;

static void count(void *user, const vrt_pipeline_result *r) {
    counter *c = user;
    c->n[r->stream & 1]++;
    if (r->frame_number >= 0 && r->frame_number != (int64_t)r->sequence) c->bad_number++;
    if (r->classes && r->classes->count == 5 && r->classes->score[0] >= r->classes->score[4]) c->classes_ok++;
    if (r->classes && r->classes->index[0] == 207) c->top1_207++;
}

static vrt_pipeline_t *make(counter *c, vrt_pipeline_policy policy, int64_t frames) {
    const char *model = vrt_test_data_or_skip(PC_MODEL);
    char profile[1024], err[512];
    snprintf(profile, sizeof(profile), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile;
    pp.backend = "cuda";
    pp.policy = policy;
    pp.max_frames = frames;
    pp.on_result = count;
    pp.user = c;
    vrt_pipeline_t *p = NULL;
    if (vrt_pipeline_create(&p, &pp, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "create: %s", err);
    return p;
}

static void add(vrt_pipeline_t *p, const char *uri) {
    char err[512];
    if (vrt_pipeline_add_source(p, uri, NULL, NULL, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "add_source %s: %s", uri, err);
}

static void run(vrt_pipeline_t *p) {
    if (vrt_pipeline_start(p)) vrt_test_fail(__FILE__, __LINE__, "start: %s", vrt_pipeline_last_error(p));
    ASSERT_OK(vrt_pipeline_wait(p, 60000));
    ASSERT_OK(vrt_pipeline_stop(p));
}

TEST(synthetic_two_streams) {
    NEED_GPU();
    static counter c;
    memset(&c, 0, sizeof(c));
    vrt_pipeline_t *p = make(&c, VRT_POLICY_NEWEST, 60);
    add(p, "synthetic:?fps=200&width=640&height=480");
    add(p, "synthetic:?fps=100&width=320&height=240&format=RGB24");
    run(p);
    vrt_pipeline_stats a, b;
    ASSERT_OK(vrt_pipeline_get_stats(p, 0, &a));
    ASSERT_OK(vrt_pipeline_get_stats(p, 1, &b));
    ASSERT_EQ(a.results, 60);
    ASSERT_EQ(b.results, 60);
    ASSERT_EQ(c.bad_number, 0);
    ASSERT_EQ(c.classes_ok, 120);
    /* Every frame the capture thread got was processed or counted as dropped/discarded. */
    ASSERT_EQ(a.captured, a.results + a.displaced + a.discarded);
    fprintf(stderr,
            "  cuda synthetic: stream 0 %.1f fps, dropped %llu, process p50 %.3f ms p99 %.3f ms; e2e p50 "
            "%.3f ms\n",
            a.fps, (unsigned long long)a.dropped, a.stage[VRT_STAGE_PROCESS].p50 / 1e6,
            a.stage[VRT_STAGE_PROCESS].p99 / 1e6, a.stage[VRT_STAGE_E2E].p50 / 1e6);
    vrt_pipeline_destroy(&p);
}

TEST(image_source_class) {
    NEED_GPU();
    const char *img = vrt_test_data_or_skip("images/jetson/dog_2.jpg");
    static counter c;
    memset(&c, 0, sizeof(c));
    char uri[1200];
    snprintf(uri, sizeof(uri), "image:%s?loop=1&fps=50", img);
    vrt_pipeline_t *p = make(&c, VRT_POLICY_ALL, 5);
    add(p, uri);
    run(p);
    ASSERT_EQ(c.n[0], 5);
    ASSERT_EQ(c.top1_207, 5); /* golden retriever */
    vrt_pipeline_destroy(&p);
}

static pc_run g_run;

TEST(fake_camera_userptr_pinned) {
    NEED_GPU();
    vrt_pipeline_stats st;
    pc_run_fake(&g_run, "cuda", 0, NULL, 20, &st);
    ASSERT_STREQ(st.capture_io, "userptr-pinned");
    ASSERT_EQ(st.results, 20);
    ASSERT_EQ(st.zero_copy, 20);
    ASSERT_EQ(g_run.bad_seq, 0);
    ASSERT_EQ(g_run.fake_mem, 0);
    pc_check_results(&g_run, "cuda", 1e-3f);
}

TEST(fake_camera_userptr_refused) {
    NEED_GPU();
    vrt_pipeline_stats st;
    pc_run_fake(&g_run, "cuda", 1, NULL, 10, &st);
    ASSERT_STREQ(st.capture_io, "mmap");
    ASSERT_EQ(st.zero_copy, 0);
    ASSERT_EQ(g_run.bad_seq, 0);
    pc_check_results(&g_run, "cuda", 1e-3f);
}

int main(void) {
    VRT_RUN(synthetic_two_streams);
    VRT_RUN(image_source_class);
    VRT_RUN(fake_camera_userptr_pinned);
    VRT_RUN(fake_camera_userptr_refused);
    return vrt_test_finish();
}
