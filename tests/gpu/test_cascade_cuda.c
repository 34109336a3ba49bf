/* Cascades on the CUDA backend (vrt/session.h, vrt_cascade_params): the
 * whole YOLOX-Nano -> SqueezeNet cascade inside each slot's graph. Its
 * classes equal the CPU twin's (fp32 math on both), graph == eager bit for
 * bit, and rotating slots keep each frame's own crops. */
#include <cuda_runtime.h>

#include "../unit/cascade_test_util.h"

static int have_gpu(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        cudaGetLastError();
        return 0;
    }
    return 1;
}

static vrt_session_t *open_cascade(const char *backend, int graphs, int slots) {
    vrt_cascade_params cp;
    vrt_cascade_default_params(&cp);
    cp.max_batch = 8;
    cp.topk = 3;
    vrt_session_t *s = NULL;
    char err[512];
    const char *yolox = vrt_test_data_or_skip("models/yolox_nano/yolox_nano.onnx");
    cp.model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    cp.profile_path = ct_profile("squeezenet.conf");
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.threads = 2;
    p.graphs = graphs;
    p.slots = slots;
    p.engine.precision = VRT_PRECISION_FP32;
    p.cascade = &cp;
    vrt_status st = vrt_session_open(yolox, ct_profile("yolox.conf"), NULL, &p, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s", backend, err);
    return s;
}

static const char *const imgs[3] = {"images/jetson/humans_0.jpg", "images/jetson/city_0.jpg",
                                    "images/jetson/dog_2.jpg"};

/* CUDA == CPU: the same detections (within the fp32 tolerance of the
 * detector) get the same top-1 class with a close score. */
TEST(cascade_cuda_equals_cpu) {
    if (!have_gpu()) vrt_test_skip("no CUDA device");
    vrt_session_t *g = open_cascade("cuda", 1, 2), *c = open_cascade("cpu", 1, 1);
    vrt_session_info info;
    vrt_session_get_info(g, &info);
    ASSERT_EQ(info.cascade_batch, 8);
    ASSERT_EQ(info.graphs, 1);
    int compared = 0;
    for (int m = 0; m < 3; m++) {
        vrt_frame *f = st_load_frame(imgs[m], VRT_FMT_YUYV, 640, 480);
        const vrt_result *rg = NULL, *rc = NULL;
        static st_res og, oc;
        static ct_sec sg, sc;
        ASSERT_OK(vrt_session_run(g, f, &rg));
        ct_read(rg, &og, &sg);
        ASSERT_TRUE(vrt_result_time_ns(rg, VRT_TIME_SECONDARY) > 0);
        ASSERT_OK(vrt_session_run(c, f, &rc));
        ct_read(rc, &oc, &sc);
        ASSERT_EQ(og.det.count, oc.det.count);
        for (int i = 0; i < og.det.count; i++) {
            ASSERT_EQ(og.det.det[i].class_id, oc.det.det[i].class_id);
            ASSERT_EQ(sg.n[i], sc.n[i]);
            if (!sg.n[i]) continue;
            ASSERT_EQ(sg.index[i][0], sc.index[i][0]);
            ASSERT_NEAR(sg.score[i][0], sc.score[i][0], 2e-3);
            compared++;
        }
        vrt_frame_unref(&f);
    }
    ASSERT_TRUE(compared >= 4);
    vrt_session_destroy(&g);
    vrt_session_destroy(&c);
}

/* Three frames through three slots at once (graphs), then the same eagerly:
 * each slot's classes are its own frame's, and bit-identical. */
TEST(cascade_graph_slots_equal_eager) {
    if (!have_gpu()) vrt_test_skip("no CUDA device");
    vrt_session_t *g = open_cascade("cuda", 1, 3), *e = open_cascade("cuda", 0, 1);
    vrt_frame *f[3];
    for (int m = 0; m < 3; m++) {
        f[m] = st_load_frame(imgs[m], VRT_FMT_YUYV, 640, 480);
        st_fill_slot(g, m, f[m]);
        vrt_frame meta;
        ASSERT_OK(vrt_session_slot_frame(g, m, &meta)); /* the frame is already in the slot */
        ASSERT_OK(vrt_session_submit(g, m, &meta));
    }
    for (int m = 0; m < 3; m++) {
        const vrt_result *rg = NULL, *re = NULL;
        static st_res og, oe;
        static ct_sec sg, se;
        ASSERT_OK(vrt_session_wait(g, m, &rg));
        ct_read(rg, &og, &sg);
        ASSERT_OK(vrt_session_run(e, f[m], &re));
        ct_read(re, &oe, &se);
        ASSERT_EQ(og.det.count, oe.det.count);
        for (int i = 0; i < og.det.count; i++)
            for (int k = 0; k < sg.n[i]; k++) {
                ASSERT_EQ(sg.index[i][k], se.index[i][k]);
                ASSERT_TRUE(sg.score[i][k] == se.score[i][k]);
            }
    }
    for (int m = 0; m < 3; m++)
        vrt_frame_unref(&f[m]);
    vrt_session_destroy(&g);
    vrt_session_destroy(&e);
}

int main(void) {
    VRT_RUN(cascade_cuda_equals_cpu);
    VRT_RUN(cascade_graph_slots_equal_eager);
    return vrt_test_finish();
}
