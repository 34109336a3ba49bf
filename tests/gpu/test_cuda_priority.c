/* Priorities on the CUDA backend (vrt_engine_params.priority,
 * vrt_session_params.priority, vrt_pipeline_set_priority): a HIGH engine's
 * stream has the device's greatest priority (cudaStreamGetPriority on the
 * engine's own stream, against cudaDeviceGetStreamPriorityRange), a NORMAL
 * one the default (0), a shared engine its own whatever its base's; a HIGH
 * session's graphs are launched into such a stream and it classifies a
 * real image exactly as a NORMAL session and the CPU twin do (priority
 * changes when work runs, never what it computes); in a pipeline only the
 * HIGH stream's session gets it. The CPU side is tests/unit/test_priority.c. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>

#include "../unit/session_test_util.h"
#include "engine/device.h"
#include "pipeline/session_impl.h"
#include "vrt/pipeline.h"

#define SQUEEZENET "models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"

static int g_least, g_greatest;

static void need_gpu(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        cudaGetLastError();
        vrt_test_skip("no CUDA device");
    }
    if (cudaDeviceGetStreamPriorityRange(&g_least, &g_greatest) != cudaSuccess)
        vrt_test_fail(__FILE__, __LINE__, "cudaDeviceGetStreamPriorityRange failed");
    if (g_greatest >= g_least)
        vrt_test_skip("this GPU has no stream priorities (%d..%d)", g_least, g_greatest);
}

/* The priority of the stream the engine's work (and a session's graphs) is launched into. */
static int stream_priority(const vrt_engine_t *e) {
    int prio = 12345;
    cudaStream_t st = (cudaStream_t)vrt__engine_stream(e);
    ASSERT_TRUE(st != NULL);
    ASSERT_EQ(cudaStreamGetPriority(st, &prio), cudaSuccess);
    return prio;
}

static vrt_engine_t *open_engine(const char *model, vrt_engine_t *base, vrt_priority prio) {
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.backend = "cuda";
    ep.priority = prio;
    vrt_engine_t *e = NULL;
    char err[512];
    vrt_status st = base ? vrt_engine_open_shared(base, &ep, &e, err, sizeof(err))
                         : vrt_engine_open(model, &ep, &e, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "engine open: %s", err);
    return e;
}

TEST(engine_stream_priority) {
    need_gpu();
    const char *model = vrt_test_data_or_skip(SQUEEZENET);
    vrt_engine_t *normal = open_engine(model, NULL, VRT_PRIORITY_NORMAL);
    vrt_engine_t *high = open_engine(model, NULL, VRT_PRIORITY_HIGH);
    vrt_engine_t *shared = open_engine(NULL, normal, VRT_PRIORITY_HIGH);
    vrt_engine_t *shared_normal = open_engine(NULL, high, VRT_PRIORITY_NORMAL);
    ASSERT_EQ(stream_priority(normal), 0);
    ASSERT_EQ(stream_priority(high), g_greatest);
    ASSERT_EQ(stream_priority(shared), g_greatest);
    ASSERT_EQ(stream_priority(shared_normal), 0);
    vrt_engine_stats s;
    ASSERT_OK(vrt_engine_get_stats(high, &s));
    ASSERT_EQ(s.priority, VRT_PRIORITY_HIGH);
    ASSERT_EQ(s.priority_value, g_greatest);
    ASSERT_EQ(s.priority_applied, 1);
    ASSERT_OK(vrt_engine_get_stats(normal, &s));
    ASSERT_EQ(s.priority_value, 0);
    ASSERT_EQ(s.priority_applied, 0);
    vrt_engine_destroy(&shared_normal);
    vrt_engine_destroy(&shared);
    vrt_engine_destroy(&high);
    vrt_engine_destroy(&normal);
}

static vrt_session_t *open_session(const char *backend, vrt_priority prio) {
    const char *model = vrt_test_data_or_skip(SQUEEZENET);
    char err[512], profile[1024];
    snprintf(profile, sizeof(profile), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.threads = 2;
    p.priority = prio;
    p.engine.precision = VRT_PRECISION_FP32; /* the twins within float rounding */
    vrt_session_t *s = NULL;
    if (vrt_session_open(model, profile, NULL, &p, &s, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "session open (%s): %s", backend, err);
    return s;
}

TEST(session_graphs_on_high_priority_stream_same_result) {
    need_gpu();
    vrt_session_t *high = open_session("cuda", VRT_PRIORITY_HIGH);
    vrt_session_t *normal = open_session("cuda", VRT_PRIORITY_NORMAL);
    vrt_session_t *cpu = open_session("cpu", VRT_PRIORITY_NORMAL);
    ASSERT_EQ(stream_priority(high->eng), g_greatest);
    ASSERT_EQ(stream_priority(normal->eng), 0);
    vrt_session_info info;
    vrt_session_get_info(high, &info);
    ASSERT_EQ(info.priority, VRT_PRIORITY_HIGH);
    ASSERT_EQ(info.priority_value, g_greatest);
    ASSERT_EQ(info.priority_applied, 1);
    ASSERT_TRUE(info.graphs); /* the frame path is a graph replay into that stream */
    vrt_frame *f = st_load_frame(st_images[0], VRT_FMT_YUYV, 640, 480);
    st_res a, b, c;
    for (int rep = 0; rep < 3; rep++) { /* the second and later runs replay the captured graphs */
        ASSERT_OK(st_run(high, f, &a));
        ASSERT_OK(st_run(normal, f, &b));
    }
    ASSERT_OK(st_run(cpu, f, &c));
    ASSERT_EQ(a.cls.index[0], st_top1[0]);
    for (int k = 0; k < a.cls.count; k++) {
        ASSERT_EQ(a.cls.index[k], b.cls.index[k]);
        ASSERT_NEAR(a.cls.score[k], b.cls.score[k],
                    1e-4); /* at most the rounding of another conv algorithm */
        ASSERT_EQ(a.cls.index[k], c.cls.index[k]);
        ASSERT_NEAR(a.cls.score[k], c.cls.score[k], 2e-3);
    }
    vrt_frame_unref(&f);
    vrt_session_destroy(&cpu);
    vrt_session_destroy(&normal);
    vrt_session_destroy(&high);
}

TEST(pipeline_only_the_high_stream) {
    need_gpu();
    const char *model = vrt_test_data_or_skip(SQUEEZENET);
    char profile[1024], err[512];
    snprintf(profile, sizeof(profile), "%s/models/squeezenet.conf", VRT_SOURCE_DIR);
    vrt_pipeline_params pp;
    vrt_pipeline_default_params(&pp);
    pp.model = model;
    pp.profile = profile;
    pp.backend = "cuda";
    pp.policy = VRT_POLICY_ALL;
    pp.max_frames = 10;
    vrt_pipeline_t *p = NULL;
    ASSERT_OK(vrt_pipeline_create(&p, &pp, err, sizeof(err)));
    for (int i = 0; i < 3; i++)
        if (vrt_pipeline_add_source(p, "synthetic:?fps=100&width=320&height=240", NULL, NULL, err,
                                    sizeof(err)))
            vrt_test_fail(__FILE__, __LINE__, "add_source: %s", err);
    ASSERT_OK(vrt_pipeline_set_priority(p, 1, VRT_PRIORITY_HIGH));
    if (vrt_pipeline_start(p)) vrt_test_fail(__FILE__, __LINE__, "start: %s", vrt_pipeline_last_error(p));
    ASSERT_OK(vrt_pipeline_wait(p, 120000));
    ASSERT_OK(vrt_pipeline_stop(p));
    for (int i = 0; i < 3; i++) {
        vrt_pipeline_stats st;
        ASSERT_OK(vrt_pipeline_get_stats(p, i, &st));
        ASSERT_EQ(st.results, 10);
        ASSERT_EQ(st.priority, i == 1 ? VRT_PRIORITY_HIGH : VRT_PRIORITY_NORMAL);
        ASSERT_EQ(st.priority_value, i == 1 ? g_greatest : 0);
        ASSERT_EQ(st.priority_applied, i == 1);
    }
    vrt_pipeline_destroy(&p);
}

int main(void) {
    VRT_RUN(engine_stream_priority);
    VRT_RUN(session_graphs_on_high_priority_stream_same_result);
    VRT_RUN(pipeline_only_the_high_stream);
    return vrt_test_finish();
}
