/* Session (vrt/session.h) on the CUDA backend: one CUDA graph per slot.
 * Rotating distinct frames through the slots must give each frame its own
 * result (and a graph shared by all slots must be caught), graphs and eager
 * runs agree bit for bit, and CUDA agrees with the CPU session. Batch-B
 * sessions (cross-camera batching): each position its own image's result,
 * equal to single runs, graph == eager. */
#include <cuda_runtime.h>
#include <math.h>
#include <stdlib.h>

#include "../unit/session_test_util.h"
#include "pipeline/session_impl.h"
#include "vrt/vision_cuda.h"

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

static const char *profile_path(const char *name) {
    static char p[3][1024];
    static int k;
    k = (k + 1) % 3;
    snprintf(p[k], sizeof(p[k]), "%s/models/%s", VRT_SOURCE_DIR, name);
    return p[k];
}

/* CUDA math of every session the tests open (AUTO unless a test asks for fp32). */
static vrt_precision g_precision = VRT_PRECISION_AUTO;

static vrt_session_t *open_squeezenet_batch(const char *backend, int graphs, int slots, int batch) {
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    char err[512];
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.engine.precision = g_precision;
    p.backend = backend;
    p.graphs = graphs;
    p.slots = slots;
    p.threads = 2;
    p.batch = batch;
    vrt_session_t *s = NULL;
    vrt_status st = vrt_session_open(model, profile_path("squeezenet.conf"), NULL, &p, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s batch %d: %s", backend, batch, err);
    return s;
}

static vrt_session_t *open_squeezenet(const char *backend, int graphs, int slots) {
    return open_squeezenet_batch(backend, graphs, slots, 1);
}

static vrt_frame *g_frames[3];
static vrt_class_result g_cpu[3]; /* CPU session's result per image */

static void load_frames(void) {
    if (g_frames[0]) return;
    for (int i = 0; i < 3; i++)
        g_frames[i] = st_load_frame(st_images[i], VRT_FMT_YUYV, 640, 480);
    vrt_session_t *c = open_squeezenet("cpu", 0, 1);
    static st_res r;
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(st_run(c, g_frames[i], &r));
        ASSERT_EQ(r.cls.index[0], st_top1[i]);
        g_cpu[i] = r.cls;
    }
    vrt_session_destroy(&c);
}

/* Slot i holds image i; `rounds` rounds submit all slots in a rotating
 * order and collect them in another. Returns the number of results whose
 * top-1 is not their own image's; every result is stored in last[slot]. */
static int rotate(vrt_session_t *s, int rounds, vrt_class_result last[3], int *exact_mismatch) {
    for (int i = 0; i < 3; i++)
        st_fill_slot(s, i, g_frames[i]);
    static st_res r;
    vrt_frame meta;
    int wrong = 0;
    vrt_class_result first[3];
    int have[3] = {0, 0, 0};
    *exact_mismatch = 0;
    for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < 3; k++) {
            int i = (round + k) % 3;
            ASSERT_OK(vrt_session_slot_frame(s, i, &meta));
            meta.sequence = (uint64_t)(round * 3 + i);
            ASSERT_OK(vrt_session_submit(s, i, &meta));
        }
        for (int k = 0; k < 3; k++) {
            int i = (round + 2 * k + 1) % 3;
            ASSERT_OK(st_wait(s, i, &r));
            ASSERT_EQ(r.slot, i);
            ASSERT_EQ(r.sequence, (uint64_t)(round * 3 + i));
            ASSERT_EQ(r.cls.count, 5);
            if (r.cls.index[0] != st_top1[i]) wrong++;
            /* Every replay of a slot gives the identical result. */
            if (!have[i]) {
                first[i] = r.cls;
                have[i] = 1;
            } else if (memcmp(&first[i], &r.cls, sizeof(r.cls))) {
                (*exact_mismatch)++;
            }
            last[i] = r.cls;
        }
    }
    return wrong;
}

TEST(rotating_slots_with_graphs) {
    NEED_GPU();
    load_frames();
    vrt_session_t *s = open_squeezenet("cuda", 1, 3);
    vrt_session_info info;
    vrt_session_get_info(s, &info);
    ASSERT_STREQ(info.backend, "cuda");
    ASSERT_EQ(info.graphs, getenv("VRT_CUDA_GRAPHS") && !strcmp(getenv("VRT_CUDA_GRAPHS"), "0") ? 0 : 1);
    vrt_class_result last[3];
    int exact = 0;
    vrt_alloc_counting_begin();
    int wrong = rotate(s, 30, last, &exact);
    vrt_alloc_stats as = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_EQ(wrong, 0);
    ASSERT_EQ(exact, 0);
    ASSERT_EQ(as.allocs, 0);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
            ASSERT_EQ(last[i].index[j], g_cpu[i].index[j]);
            /* The CUDA engine's default math is fp16 storage (fp32 accumulation). */
            ASSERT_NEAR(last[i].score[j], g_cpu[i].score[j], 1e-2);
        }
    vrt_session_destroy(&s);
}

TEST(graph_shared_by_all_slots_is_caught) {
    NEED_GPU();
    load_frames();
    vrt_session_t *s = open_squeezenet("cuda", 1, 3);
    /* The bug the test exists for: slot 0's graph replayed for every slot. */
    if (vrt__session_debug_share_graph(s) == VRT_ENOTSUP) {
        vrt_session_destroy(&s);
        vrt_test_skip("graphs are off");
    }
    vrt_class_result last[3];
    int exact = 0;
    int wrong = rotate(s, 4, last, &exact);
    /* Slots 1 and 2 then never see their own image: 2 wrong per round. */
    ASSERT_EQ(wrong, 8);
    vrt_session_destroy(&s);
}

TEST(graph_and_eager_bit_identical) {
    NEED_GPU();
    load_frames();
    vrt_session_t *g = open_squeezenet("cuda", 1, 3);
    vrt_session_t *e = open_squeezenet("cuda", 0, 3);
    vrt_session_info ie;
    vrt_session_get_info(e, &ie);
    ASSERT_EQ(ie.graphs, 0);
    vrt_class_result lg[3], le[3];
    int x1 = 0, x2 = 0;
    ASSERT_EQ(rotate(g, 3, lg, &x1), 0);
    ASSERT_EQ(rotate(e, 3, le, &x2), 0);
    for (int i = 0; i < 3; i++)
        ASSERT_TRUE(memcmp(&lg[i], &le[i], sizeof(lg[i])) == 0);
    vrt_session_destroy(&g);
    vrt_session_destroy(&e);
}

static vrt_session_t *open_yolox_batch(const char *backend, int graphs, void **bufs, size_t bsize,
                                       int batch) {
    const char *model = vrt_test_data_or_skip("models/yolox_nano/yolox_nano.onnx");
    char err[512];
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.engine.precision = g_precision;
    p.backend = backend;
    p.graphs = graphs;
    p.slots = 2;
    p.threads = 2;
    p.fourcc = VRT_FMT_BGR24;
    p.width = 768;
    p.height = 576;
    p.buffers = bufs;
    p.buffer_size = bsize;
    p.batch = batch;
    vrt_session_t *s = NULL;
    vrt_status st = vrt_session_open(model, profile_path("yolox.conf"), NULL, &p, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s batch %d: %s", backend, batch, err);
    return s;
}

static vrt_session_t *open_yolox(const char *backend, int graphs, void **bufs, size_t bsize) {
    return open_yolox_batch(backend, graphs, bufs, bsize, 1);
}

static int cmp_f(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* fp32 on the GPU here (g_precision): the CPU comparison is to half a
 * pixel; the default fp16 path is checked against the CPU in
 * yolox_cuda_fp16_close_to_cpu with fp16's tolerances. */
TEST(yolox_cuda_equals_cpu_and_expected) {
    NEED_GPU();
    g_precision = VRT_PRECISION_FP32;
    vrt_frame *f = st_load_frame("images/darknet/dog.jpg", VRT_FMT_BGR24, 768, 576);
    static st_res rc, rg, re;
    vrt_session_t *c = open_yolox("cpu", 0, NULL, 0);
    ASSERT_OK(st_run(c, f, &rc));
    vrt_session_destroy(&c);
    /* Caller buffers (plain malloc: registered with cudaHostRegister). */
    size_t fb = vrt_frame_size_for(VRT_FMT_BGR24, 768, 576);
    void *bufs[2] = {malloc(fb), malloc(fb)};
    vrt_session_t *g = open_yolox("cuda", 1, bufs, fb);
    vrt_session_t *e = open_yolox("cuda", 0, NULL, 0);
    vrt_session_info info;
    vrt_session_get_info(g, &info);
    ASSERT_EQ(info.own_buffers, 0);
    ASSERT_EQ(info.registered, 1);
    ASSERT_OK(st_run(g, f, &rg));
    ASSERT_OK(st_run(e, f, &re));
    st_check_dog(&rg, 0.01, 3.0);
    /* Graph vs eager: bit for bit. */
    ASSERT_EQ(rg.det.count, re.det.count);
    ASSERT_TRUE(memcmp(rg.det.det, re.det.det, (size_t)rg.det.count * sizeof(vrt_detection)) == 0);
    /* CUDA vs CPU: same classes and order, boxes and scores close (fp16
     * storage on the GPU by default: a few tenths of a pixel). */
    ASSERT_EQ(rg.det.count, rc.det.count);
    for (int i = 0; i < rg.det.count; i++) {
        ASSERT_EQ(rg.det.det[i].class_id, rc.det.det[i].class_id);
        ASSERT_NEAR(rg.det.det[i].score, rc.det.det[i].score, 1e-2);
        ASSERT_NEAR(rg.det.det[i].box.x1, rc.det.det[i].box.x1, 0.5);
        ASSERT_NEAR(rg.det.det[i].box.y1, rc.det.det[i].box.y1, 0.5);
        ASSERT_NEAR(rg.det.det[i].box.x2, rc.det.det[i].box.x2, 0.5);
        ASSERT_NEAR(rg.det.det[i].box.y2, rc.det.det[i].box.y2, 0.5);
    }
    /* Timings: every stage measured; the frame path's latency, for the log. */
    ASSERT_TRUE(rg.times[VRT_TIME_UPLOAD] > 0 && rg.times[VRT_TIME_PREPROCESS] > 0 &&
                rg.times[VRT_TIME_MODEL] > 0 && rg.times[VRT_TIME_POSTPROCESS] > 0);
    ASSERT_TRUE(rg.times[VRT_TIME_TOTAL] >= rg.times[VRT_TIME_MODEL]);
    enum { N = 300 };
    static float gpu[N], host[N];
    vrt_frame meta;
    memcpy(bufs[0], f->planes[0].data, fb);
    vrt_alloc_counting_begin();
    for (int k = 0; k < N; k++) {
        ASSERT_OK(vrt_session_slot_frame(g, 0, &meta));
        ASSERT_OK(vrt_session_submit(g, 0, &meta));
        ASSERT_OK(st_wait(g, 0, &rg));
        gpu[k] = (float)(rg.times[VRT_TIME_TOTAL] / 1e6);
        host[k] = (float)((rg.times[VRT_TIME_DONE] - rg.times[VRT_TIME_SUBMIT]) / 1e6);
    }
    vrt_alloc_stats as = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_EQ(as.allocs, 0);
    ASSERT_EQ(rg.det.count, 4);
    qsort(gpu, N, sizeof(float), cmp_f);
    qsort(host, N, sizeof(float), cmp_f);
    fprintf(
        stderr,
        "yolox-nano 768x576 BGR24 full path, graphs: GPU p50 %.3f p99 %.3f ms; host p50 %.3f p99 %.3f ms\n",
        gpu[N / 2], gpu[N * 99 / 100], host[N / 2], host[N * 99 / 100]);
    fprintf(stderr, "  stages (last): upload %.3f pre %.3f model %.3f post %.3f download %.3f ms\n",
            rg.times[VRT_TIME_UPLOAD] / 1e6, rg.times[VRT_TIME_PREPROCESS] / 1e6,
            rg.times[VRT_TIME_MODEL] / 1e6, rg.times[VRT_TIME_POSTPROCESS] / 1e6,
            rg.times[VRT_TIME_DOWNLOAD] / 1e6);
    vrt_session_destroy(&g);
    vrt_session_destroy(&e);
    free(bufs[0]);
    free(bufs[1]);
    vrt_frame_unref(&f);
    g_precision = VRT_PRECISION_AUTO;
}

/* The default GPU math for YOLOX is fp16 NHWC storage: the same detections
 * as the CPU (fp32), scores within 0.03 and box edges within 1.5% of the
 * box's size + 1 px (fp16 moves YOLOX's raw box terms by up to ~0.014, and
 * width/height are exponentials of them: README GPU section). */
TEST(yolox_cuda_fp16_close_to_cpu) {
    NEED_GPU();
    vrt_frame *f = st_load_frame("images/darknet/dog.jpg", VRT_FMT_BGR24, 768, 576);
    static st_res rc, rg;
    vrt_session_t *c = open_yolox("cpu", 0, NULL, 0);
    ASSERT_OK(st_run(c, f, &rc));
    vrt_session_destroy(&c);
    vrt_session_t *g = open_yolox("cuda", 1, NULL, 0);
    ASSERT_OK(st_run(g, f, &rg));
    ASSERT_EQ(rg.det.count, rc.det.count);
    for (int i = 0; i < rg.det.count; i++) {
        const vrt_detection *a = &rg.det.det[i], *b = &rc.det.det[i];
        double tw = 0.015 * (b->box.x2 - b->box.x1) + 1.0, th = 0.015 * (b->box.y2 - b->box.y1) + 1.0;
        printf("  %s: score %.4f vs %.4f, box edges off by %.2f %.2f %.2f %.2f px\n",
               rg.det_labels[i] ? rg.det_labels[i] : "?", a->score, b->score, a->box.x1 - b->box.x1,
               a->box.y1 - b->box.y1, a->box.x2 - b->box.x2, a->box.y2 - b->box.y2);
        ASSERT_EQ(a->class_id, b->class_id);
        ASSERT_NEAR(a->score, b->score, 0.03);
        ASSERT_NEAR(a->box.x1, b->box.x1, tw);
        ASSERT_NEAR(a->box.x2, b->box.x2, tw);
        ASSERT_NEAR(a->box.y1, b->box.y1, th);
        ASSERT_NEAR(a->box.y2, b->box.y2, th);
    }
    vrt_session_destroy(&g);
    vrt_frame_unref(&f);
}

/* The SSD heads read two model outputs (scores, boxes) in the CUDA session's
 * graph: both UltraFace forms give the CPU session's 48 faces on faces_1.jpg
 * (fp32 on the GPU, g_precision: boxes within 0.3 px of the 720x478 frame; faces matched by position,
 * as scores 1e-4 apart may swap). */
TEST(ultraface_cuda_equals_cpu) {
    NEED_GPU();
    g_precision = VRT_PRECISION_FP32;
    const char *models[2] = {"models/ultraface_slim320/version-slim-320.onnx",
                             "models/ultraface_slim320/version-slim-320_without_postprocessing.onnx"};
    const char *confs[2] = {"ultraface.conf", "ultraface-raw.conf"};
    vrt_frame *f = st_load_frame("models/ultraface_slim320/faces_1.jpg", VRT_FMT_RGB24, 720, 478);
    for (int m = 0; m < 2; m++) {
        const char *model = vrt_test_data_or_skip(models[m]);
        static st_res r[2];
        for (int b = 0; b < 2; b++) {
            char err[512];
            vrt_session_params p;
            vrt_session_default_params(&p);
            p.engine.precision = g_precision;
            p.backend = b ? "cuda" : "cpu";
            p.threads = 2;
            p.fourcc = VRT_FMT_RGB24;
            p.width = 720;
            p.height = 478;
            vrt_session_t *s = NULL;
            if (vrt_session_open(model, profile_path(confs[m]), NULL, &p, &s, err, sizeof(err)))
                vrt_test_fail(__FILE__, __LINE__, "%s %s: %s", confs[m], p.backend, err);
            ASSERT_OK(st_run(s, f, &r[b]));
            vrt_session_destroy(&s);
        }
        ASSERT_EQ(r[0].det.count, 48);
        ASSERT_EQ(r[1].det.count, r[0].det.count);
        int used[VRT_DETECT_MAX] = {0};
        for (int i = 0; i < r[0].det.count; i++) {
            const vrt_detection *c = &r[0].det.det[i];
            int best = -1;
            for (int j = 0; j < r[1].det.count; j++)
                if (!used[j] && fabsf(r[1].det.det[j].box.x1 - c->box.x1) < 0.3f &&
                    fabsf(r[1].det.det[j].box.y1 - c->box.y1) < 0.3f)
                    best = j;
            if (best < 0) vrt_test_fail(__FILE__, __LINE__, "%s: CPU face %d has no CUDA twin", confs[m], i);
            used[best] = 1;
            const vrt_detection *g = &r[1].det.det[best];
            ASSERT_EQ(g->class_id, 1);
            ASSERT_NEAR(g->score, c->score, 1e-3);
            ASSERT_NEAR(g->box.x2, c->box.x2, 0.3);
            ASSERT_NEAR(g->box.y2, c->box.y2, 0.3);
        }
        printf("  %s: cuda == cpu, %d faces\n", confs[m], r[0].det.count);
    }
    vrt_frame_unref(&f);
    g_precision = VRT_PRECISION_AUTO;
}

TEST(poll_and_event) {
    NEED_GPU();
    load_frames();
    vrt_session_t *s = open_squeezenet("cuda", 1, 2);
    st_fill_slot(s, 1, g_frames[2]);
    vrt_frame meta;
    static st_res r;
    ASSERT_OK(vrt_session_slot_frame(s, 1, &meta));
    ASSERT_EQ(meta.memory, VRT_MEM_PINNED);
    ASSERT_OK(vrt_session_submit(s, 1, &meta));
    ASSERT_STATUS(vrt_session_submit(s, 1, &meta), VRT_EBUSY);
    void *ev = vrt_session_event(s, 1);
    ASSERT_TRUE(ev != NULL);
    ASSERT_EQ(cudaEventSynchronize((cudaEvent_t)ev), cudaSuccess);
    ASSERT_OK(st_poll(s, 1, &r));
    ASSERT_EQ(r.cls.index[0], st_top1[2]);
    ASSERT_STATUS(st_poll(s, 1, &r), VRT_EINVAL); /* collected */
    /* Polling until done gives EAGAIN or OK, never anything else. */
    ASSERT_OK(vrt_session_submit(s, 1, &meta));
    vrt_status st;
    int spins = 0;
    while ((st = st_poll(s, 1, &r)) == VRT_EAGAIN)
        spins++;
    ASSERT_OK(st);
    ASSERT_EQ(r.cls.index[0], st_top1[2]);
    (void)spins;
    vrt_session_destroy(&s);
}

/* Results are views of each slot's page-locked download target: one address
 * per slot, stable across submissions, untouched by other slots' work; the
 * CUDA classify head refuses a top-k it cannot report. */
TEST(results_are_slot_views) {
    NEED_GPU();
    load_frames();
    vrt_session_t *s = open_squeezenet("cuda", 1, 2);
    vrt_session_info info;
    vrt_session_get_info(s, &info);
    ASSERT_EQ(info.kind, VRT_RESULT_CLASSES);
    const vrt_result *r0 = NULL, *r1 = NULL, *again = NULL;
    st_fill_slot(s, 0, g_frames[0]);
    st_fill_slot(s, 1, g_frames[2]);
    vrt_frame m0, m1;
    ASSERT_OK(vrt_session_slot_frame(s, 0, &m0));
    ASSERT_OK(vrt_session_slot_frame(s, 1, &m1));
    ASSERT_OK(vrt_session_submit(s, 0, &m0));
    ASSERT_OK(vrt_session_submit(s, 1, &m1));
    ASSERT_OK(vrt_session_wait(s, 1, &r1));
    ASSERT_OK(vrt_session_wait(s, 0, &r0));
    ASSERT_TRUE(r0 != NULL && r1 != NULL && r0 != r1);
    ASSERT_EQ(vrt_result_slot(r1), 1);
    int top = -1;
    ASSERT_OK(vrt_result_class(r0, 0, &top, NULL));
    ASSERT_EQ(top, st_top1[0]);
    ASSERT_OK(vrt_session_submit(s, 0, &m0));
    ASSERT_OK(vrt_session_wait(s, 0, &again));
    ASSERT_TRUE(again == r0);
    ASSERT_OK(vrt_result_class(r1, 0, &top, NULL));
    ASSERT_EQ(top, st_top1[2]);
    ASSERT_TRUE(vrt_result_time_ns(r1, VRT_TIME_MODEL) > 0);
    ASSERT_TRUE(vrt_result_time_ns(r1, VRT_TIME_TOTAL) >= vrt_result_time_ns(r1, VRT_TIME_MODEL));
    vrt_session_destroy(&s);

    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    char err[512];
    vrt_profile pr;
    ASSERT_OK(vrt_profile_load(profile_path("squeezenet.conf"), &pr, err, sizeof(err)));
    pr.topk = VRT_CUDA_TOPK_MAX + 1;
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = "cuda";
    ASSERT_STATUS(vrt_session_open(model, NULL, &pr, &p, &s, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "topk");
    ASSERT_TRUE(s == NULL);
}

/* Two sessions over one copy of the weights (vrt_session_params.share_weights):
 * both in flight at once on their own streams, each slot gives its own
 * image's class, the two agree bit for bit, the borrower outlives the owner. */
TEST(two_sessions_share_weights) {
    NEED_GPU();
    load_frames();
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    vrt_session_t *a = open_squeezenet("cuda", 1, 3);
    char err[512];
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.engine.precision = g_precision;
    p.backend = "cuda";
    p.slots = 3;
    p.share_weights = a;
    vrt_session_t *b = NULL;
    vrt_status st = vrt_session_open(model, profile_path("squeezenet.conf"), NULL, &p, &b, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open shared: %s", err);
    vrt_session_info ia, ib;
    vrt_session_get_info(a, &ia);
    vrt_session_get_info(b, &ib);
    ASSERT_EQ(ia.weight_users, 2);
    ASSERT_EQ(ib.weights_shared, 1);
    for (int i = 0; i < 3; i++) {
        st_fill_slot(a, i, g_frames[i]);
        st_fill_slot(b, i, g_frames[(i + 1) % 3]);
    }
    static st_res ra, rb;
    vrt_frame meta;
    int wrong = 0, differ = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 3; i++) {
            ASSERT_OK(vrt_session_slot_frame(a, i, &meta));
            ASSERT_OK(vrt_session_submit(a, i, &meta));
            ASSERT_OK(vrt_session_slot_frame(b, i, &meta));
            ASSERT_OK(vrt_session_submit(b, i, &meta));
        }
        for (int i = 0; i < 3; i++) {
            ASSERT_OK(st_wait(a, i, &ra));
            ASSERT_OK(st_wait(b, (i + 2) % 3, &rb)); /* b's slot holding the same image */
            if (ra.cls.index[0] != st_top1[i] || rb.cls.index[0] != st_top1[i]) wrong++;
            if (memcmp(&ra.cls, &rb.cls, sizeof(ra.cls))) differ++;
        }
    }
    ASSERT_EQ(wrong, 0);
    ASSERT_EQ(differ, 0);
    vrt_session_destroy(&a);
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(st_run(b, g_frames[i], &rb));
        ASSERT_EQ(rb.cls.index[0], st_top1[i]);
    }
    vrt_session_destroy(&b);
}

/* ---- cross-camera batching (params.batch = B) ---- */

/* Batch submissions of SqueezeNet, B = 3, on a graph session and an eager
 * one (2 slots each). Each submission puts the three images in another
 * order (and alternates slots, host-memory frames and frames already in the
 * slot), so a pre-processing launch writing the wrong slice, a download of
 * fewer than B results or one slot's graph reading another slot's buffer
 * all give some position another image's class. Checks per position: its
 * own image's top-1, its own sequence, the same top-5 as a batch-1 CUDA
 * session on that image alone (scores within the fp16-storage tolerance the
 * CPU comparison uses), and graph == eager bit for bit. Also n < B, and no
 * allocation in steady state. */
TEST(batch3_items_own_results_graph_equals_eager) {
    NEED_GPU();
    load_frames();
    enum { B = 3 };
    static st_res one;
    vrt_class_result single[3];
    vrt_session_t *s1 = open_squeezenet("cuda", 1, 1);
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(st_run(s1, g_frames[i], &one));
        ASSERT_EQ(one.cls.index[0], st_top1[i]);
        single[i] = one.cls;
    }
    vrt_session_destroy(&s1);

    vrt_session_t *g = open_squeezenet_batch("cuda", 1, 2, B);
    vrt_session_t *e = open_squeezenet_batch("cuda", 0, 2, B);
    vrt_session_info ig, ie;
    vrt_session_get_info(g, &ig);
    vrt_session_get_info(e, &ie);
    ASSERT_EQ(ig.batch, B);
    ASSERT_EQ(ie.batch, B);
    ASSERT_EQ(ie.graphs, 0);
    ASSERT_EQ(ig.graphs, getenv("VRT_CUDA_GRAPHS") && !strcmp(getenv("VRT_CUDA_GRAPHS"), "0") ? 0 : 1);
    ASSERT_EQ(ig.slot_bytes, ig.frame_bytes * B);

    static const int perm[4][B] = {{0, 1, 2}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}};
    static st_res rg[B], re[B];
    int wrong = 0, differ = 0, far = 0, seq_bad = 0, checked = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) vrt_alloc_counting_begin(); /* steady state: the second pass */
        for (int round = 0; round < 8; round++) {
            int slot = round % 2;
            int n = round == 5 ? 2 : B; /* one submission of fewer frames than B */
            const int *ord = perm[round % 4];
            vrt_frame fr[2][B];
            const vrt_frame *ptrs[2][B];
            vrt_session_t *ss[2] = {g, e};
            for (int w = 0; w < 2; w++)
                for (int k = 0; k < n; k++) {
                    const vrt_frame *src = g_frames[ord[k]];
                    if (round % 4 < 2) {
                        fr[w][k] = *src; /* host memory: the session copies it into the slot */
                    } else {
                        /* already in the slot at position k */
                        uint8_t *buf = vrt_session_slot_buffer(ss[w], slot, NULL);
                        ASSERT_TRUE(buf != NULL);
                        memcpy(buf + (size_t)k * ig.frame_bytes, src->planes[0].data, ig.frame_bytes);
                        memset(&fr[w][k], 0, sizeof(fr[w][k]));
                        ASSERT_OK(vrt_frame_layout(&fr[w][k], VRT_FMT_YUYV, 640, 480,
                                                   buf + (size_t)k * ig.frame_bytes));
                        fr[w][k].bytesused = ig.frame_bytes;
                    }
                    fr[w][k].sequence = (uint64_t)(1000 * pass + 10 * round + k);
                    ptrs[w][k] = &fr[w][k];
                }
            ASSERT_OK(vrt_session_submit_batch(g, slot, ptrs[0], n));
            ASSERT_OK(vrt_session_submit_batch(e, slot, ptrs[1], n));
            ASSERT_STATUS(vrt_session_submit_batch(g, slot, ptrs[0], n), VRT_EBUSY);
            int ng = 0, ne = 0;
            ASSERT_OK(st_wait_batch(g, slot, rg, &ng));
            ASSERT_OK(st_wait_batch(e, slot, re, &ne));
            ASSERT_EQ(ng, n);
            ASSERT_EQ(ne, n);
            for (int k = 0; k < n; k++) {
                int img = ord[k];
                checked++;
                if (rg[k].sequence != (uint64_t)(1000 * pass + 10 * round + k) || rg[k].slot != slot)
                    seq_bad++;
                if (rg[k].cls.count != 5 || rg[k].cls.index[0] != st_top1[img]) wrong++;
                if (memcmp(&rg[k].cls, &re[k].cls, sizeof(rg[k].cls))) differ++;
                for (int j = 0; j < 5; j++)
                    if (rg[k].cls.index[j] != single[img].index[j] ||
                        fabsf(rg[k].cls.score[j] - single[img].score[j]) > 1e-2f)
                        far++;
                /* One model run: every position reports the batch's timings. */
                if (rg[k].times[VRT_TIME_TOTAL] != rg[0].times[VRT_TIME_TOTAL] ||
                    rg[k].times[VRT_TIME_MODEL] != rg[0].times[VRT_TIME_MODEL])
                    seq_bad++;
            }
            ASSERT_TRUE(rg[0].times[VRT_TIME_TOTAL] > 0);
            ASSERT_TRUE(rg[0].times[VRT_TIME_MODEL] > 0);
        }
        if (pass == 1) {
            vrt_alloc_stats as = vrt_alloc_counting_stats();
            vrt_alloc_counting_end();
            ASSERT_EQ(as.allocs, 0);
        }
    }
    fprintf(stderr, "squeezenet batch 3: %d positions checked; last batch GPU %.3f ms (model %.3f ms)\n",
            checked, rg[0].times[VRT_TIME_TOTAL] / 1e6, rg[0].times[VRT_TIME_MODEL] / 1e6);
    ASSERT_EQ(wrong, 0);
    ASSERT_EQ(seq_bad, 0);
    ASSERT_EQ(differ, 0);
    ASSERT_EQ(far, 0);
    /* More frames than the batch: refused. */
    const vrt_frame *four[4] = {g_frames[0], g_frames[1], g_frames[2], g_frames[0]};
    ASSERT_STATUS(vrt_session_submit_batch(g, 0, four, 4), VRT_EINVAL);
    vrt_session_destroy(&g);
    vrt_session_destroy(&e);
}

/* YOLOX-Nano, B = 2: per-position decode + NMS on its own slice of the
 * output. The dog in either position gives the expected detections; each
 * position equals a batch-1 CUDA run of its image (boxes within 0.5 px,
 * scores within 1e-2); graph == eager bit for bit. The sample YOLOX export
 * reshapes with a constant batch of 1, so the engine may not rebatch it:
 * the test then skips, saying so (the session's refusal is checked). */
TEST(yolox_batch2_per_item_detections) {
    NEED_GPU();
    g_precision = VRT_PRECISION_FP32; /* about batching: the expected boxes to 3 px need fp32 */
    {
        const char *model = vrt_test_data_or_skip("models/yolox_nano/yolox_nano.onnx");
        char err[512] = "";
        vrt_session_params p;
        vrt_session_default_params(&p);
        p.engine.precision = g_precision;
        p.backend = "cuda";
        p.fourcc = VRT_FMT_BGR24;
        p.width = 768;
        p.height = 576;
        p.batch = 2;
        vrt_session_t *t = NULL;
        vrt_status st = vrt_session_open(model, profile_path("yolox.conf"), NULL, &p, &t, err, sizeof(err));
        if (st) {
            ASSERT_TRUE(t == NULL);
            ASSERT_CONTAINS(err, "batch");
            vrt_test_skip("YOLOX-Nano cannot run at batch 2 in this engine: %s", err);
        }
        vrt_session_destroy(&t);
    }
    vrt_frame *imgs[2];
    imgs[0] = st_load_frame("images/darknet/dog.jpg", VRT_FMT_BGR24, 768, 576);
    imgs[1] = st_load_frame("images/jetson/polar_bear.jpg", VRT_FMT_BGR24, 768, 576);
    static st_res single[2], rg[2], re[2];
    vrt_session_t *s1 = open_yolox("cuda", 1, NULL, 0);
    for (int i = 0; i < 2; i++)
        ASSERT_OK(st_run(s1, imgs[i], &single[i]));
    vrt_session_destroy(&s1);
    st_check_dog(&single[0], 0.01, 3.0);
    vrt_session_t *g = open_yolox_batch("cuda", 1, NULL, 0, 2);
    vrt_session_t *e = open_yolox_batch("cuda", 0, NULL, 0, 2);
    for (int order = 0; order < 2; order++) {
        const vrt_frame *fr[2] = {imgs[order], imgs[1 - order]};
        ASSERT_OK(vrt_session_submit_batch(g, order, fr, 2));
        ASSERT_OK(vrt_session_submit_batch(e, order, fr, 2));
        int ng = 0, ne = 0;
        ASSERT_OK(st_wait_batch(g, order, rg, &ng));
        ASSERT_OK(st_wait_batch(e, order, re, &ne));
        ASSERT_EQ(ng, 2);
        ASSERT_EQ(ne, 2);
        st_check_dog(&rg[order], 0.01, 3.0); /* the dog's position */
        for (int k = 0; k < 2; k++) {
            const st_res *w = &single[order ? 1 - k : k];
            ASSERT_EQ(rg[k].det.count, re[k].det.count);
            ASSERT_TRUE(
                memcmp(rg[k].det.det, re[k].det.det, (size_t)rg[k].det.count * sizeof(vrt_detection)) == 0);
            ASSERT_EQ(rg[k].det.count, w->det.count);
            for (int i = 0; i < rg[k].det.count; i++) {
                ASSERT_EQ(rg[k].det.det[i].class_id, w->det.det[i].class_id);
                ASSERT_NEAR(rg[k].det.det[i].score, w->det.det[i].score, 1e-2);
                ASSERT_NEAR(rg[k].det.det[i].box.x1, w->det.det[i].box.x1, 0.5);
                ASSERT_NEAR(rg[k].det.det[i].box.y1, w->det.det[i].box.y1, 0.5);
                ASSERT_NEAR(rg[k].det.det[i].box.x2, w->det.det[i].box.x2, 0.5);
                ASSERT_NEAR(rg[k].det.det[i].box.y2, w->det.det[i].box.y2, 0.5);
            }
        }
    }
    vrt_session_destroy(&g);
    vrt_session_destroy(&e);
    vrt_frame_unref(&imgs[0]);
    vrt_frame_unref(&imgs[1]);
    g_precision = VRT_PRECISION_AUTO;
}

int main(void) {
    if (!have_gpu()) {
        fprintf(stderr, "test_session_cuda: no CUDA device, skipped\n");
        return 77;
    }
    VRT_RUN(rotating_slots_with_graphs);
    VRT_RUN(graph_shared_by_all_slots_is_caught);
    VRT_RUN(graph_and_eager_bit_identical);
    VRT_RUN(yolox_cuda_equals_cpu_and_expected);
    g_precision = VRT_PRECISION_AUTO; /* also when the test failed part-way */
    VRT_RUN(yolox_cuda_fp16_close_to_cpu);
    VRT_RUN(ultraface_cuda_equals_cpu);
    g_precision = VRT_PRECISION_AUTO;
    VRT_RUN(poll_and_event);
    VRT_RUN(results_are_slot_views);
    VRT_RUN(two_sessions_share_weights);
    VRT_RUN(batch3_items_own_results_graph_equals_eager);
    VRT_RUN(yolox_batch2_per_item_detections);
    g_precision = VRT_PRECISION_AUTO;
    for (int i = 0; i < 3; i++)
        vrt_frame_unref(&g_frames[i]);
    return vrt_test_finish();
}
