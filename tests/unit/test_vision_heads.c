/* The head table (vision/head.h) and the tagged result (vrt/result.h): every
 * task name of the profile reaches its head, the classify and YOLO heads'
 * CPU twins against independent references, and the accessors' answers for
 * each kind, for the wrong kind and out of range. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "vision/head.h"
#include "vision/result_impl.h"
#include "vrt/head.h"
#include "vrt/profile.h"
#include "vrt/result.h"

TEST(every_task_has_a_head) {
    const char *names[] = {"classify",    "detect-yolox", "detect-yolov8",  "detect-ssd",  "detect-ssd-raw",
                           "detect-detr", "depth",        "segment-yolov8", "pose-yolov8", "segment-argmax"};
    const vrt_task ids[] = {VRT_TASK_CLASSIFY,      VRT_TASK_DETECT_YOLOX,   VRT_TASK_DETECT_YOLOV8,
                            VRT_TASK_DETECT_SSD,    VRT_TASK_DETECT_SSD_RAW, VRT_TASK_DETECT_DETR,
                            VRT_TASK_DEPTH,         VRT_TASK_SEGMENT_YOLOV8, VRT_TASK_POSE_YOLOV8,
                            VRT_TASK_SEGMENT_ARGMAX};
    for (int i = 0; i < 10; i++) {
        const vrt__head *h = vrt__head_find(names[i]);
        ASSERT_TRUE(h != NULL);
        ASSERT_TRUE(vrt__head_for(ids[i]) == h);
        ASSERT_EQ(h->id, ids[i]);
        ASSERT_STREQ(vrt_task_name(ids[i]), names[i]);
        ASSERT_TRUE(h->configure && h->cpu && h->cpu->run);
        ASSERT_TRUE(h->result_bytes > 0 || h->layout); /* a fixed size or a layout for the frame */
#if defined(VRT_HAVE_CUDA)
        ASSERT_TRUE(h->cuda && h->cuda->create && h->cuda->enqueue);
#else
        ASSERT_TRUE(h->cuda == NULL);
#endif
        /* The profile's task key goes through the table. */
        char text[64], err[256];
        snprintf(text, sizeof(text), "task = %s\n", names[i]);
        vrt_profile p;
        vrt_profile_default(&p);
        ASSERT_OK(vrt_profile_parse(text, strlen(text), "t.conf", &p, err, sizeof(err)));
        ASSERT_EQ(p.task, ids[i]);
    }
    ASSERT_EQ(vrt__head_find("classify")->kind, VRT_RESULT_CLASSES);
    ASSERT_EQ(vrt__head_find("detect-yolox")->kind, VRT_RESULT_DETECTIONS);
    int n = 0;
    while (vrt__head_at(n))
        n++;
    ASSERT_EQ(n, 10);
    ASSERT_TRUE(vrt__head_at(-1) == NULL);
    ASSERT_TRUE(vrt__head_find("segment") == NULL);
    ASSERT_TRUE(vrt__head_find(NULL) == NULL);
    char buf[256];
    ASSERT_STREQ(vrt__head_names(buf, sizeof(buf)),
                 "classify, detect-yolox, detect-yolov8, detect-ssd, detect-ssd-raw, detect-detr, depth, "
                 "segment-yolov8, pose-yolov8 or segment-argmax");
    /* An unknown task lists the registered ones. */
    vrt_profile p;
    vrt_profile_default(&p);
    char err[256];
    ASSERT_STATUS(vrt_profile_parse("task = segment\n", 15, "t.conf", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err,
                    "t.conf:1: bad value 'segment' for 'task'; use classify, detect-yolox, detect-yolov8, "
                    "detect-ssd, detect-ssd-raw, detect-detr, depth, segment-yolov8, pose-yolov8 or "
                    "segment-argmax");
}

/* Top-k by selection in double, the test's own: an independent reference. */
static void ref_topk(const float *x, int n, int k, int *idx) {
    static int used[4096];
    memset(used, 0, sizeof(used));
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (!used[i] && (best < 0 || x[i] > x[best])) best = i;
        used[best] = 1;
        idx[j] = best;
    }
}

TEST(classify_head_cpu) {
    const vrt__head *h = vrt__head_find("classify");
    vrt_profile p;
    vrt_profile_default(&p);
    p.topk = 7;
    vrt_model_tensor_info out;
    memset(&out, 0, sizeof(out));
    out.ndim = 2;
    out.dims[0] = 1;
    out.dims[1] = 1000;
    vrt__head_params hp;
    memset(&hp, 0, sizeof(hp));
    hp.batch = 1;
    hp.out_count = 1000;
    char err[256] = "";
    ASSERT_OK(h->configure(&p, &out, &hp, err, sizeof(err)));
    ASSERT_EQ(hp.num_classes, 1000);
    ASSERT_EQ(hp.topk, 7);
    void *ctx = NULL;
    if (h->cpu->create) ASSERT_OK(h->cpu->create(&hp, &ctx, err, sizeof(err)));
    static float x[1000];
    uint32_t seed = 12345;
    for (int i = 0; i < 1000; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f * 10.0f - 5.0f;
    }
    vrt_class_result res;
    const float *xo[1] = {x};
    ASSERT_OK(h->cpu->run(ctx, &hp, xo, NULL, &res, err, sizeof(err)));
    int want[7];
    ref_topk(x, 1000, 7, want);
    ASSERT_EQ(res.count, 7);
    for (int j = 0; j < 7; j++) {
        ASSERT_EQ(res.index[j], want[j]);
        ASSERT_NEAR(res.score[j], x[want[j]], 0); /* softmax off: raw scores */
    }
    if (h->cpu->destroy) h->cpu->destroy(&ctx);
    p.topk = VRT_TOPK_MAX + 1;
    ASSERT_STATUS(h->configure(&p, &out, &hp, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "topk");
}

TEST(yolo_head_checks_the_output) {
    const vrt__head *h = vrt__head_find("detect-yolox");
    vrt_profile p;
    vrt_profile_default(&p);
    p.task = VRT_TASK_DETECT_YOLOX;
    p.pre.width = p.pre.height = 64; /* strides 8/16/32: 64 + 16 + 4 = 84 anchors */
    vrt_model_tensor_info out;
    memset(&out, 0, sizeof(out));
    out.name = "output";
    out.ndim = 3;
    out.dims[0] = 1;
    out.dims[1] = 84;
    out.dims[2] = 5 + 3;
    vrt__head_params hp;
    memset(&hp, 0, sizeof(hp));
    hp.batch = 1;
    hp.out_count = 84 * 8;
    char err[256] = "";
    ASSERT_OK(h->configure(&p, &out, &hp, err, sizeof(err)));
    ASSERT_EQ(hp.num_classes, 3);
    ASSERT_EQ(hp.det.kind, VRT_DETECT_YOLOX);
    ASSERT_EQ(hp.det.input_w, 64);
    void *ctx = NULL;
    ASSERT_OK(h->cpu->create(&hp, &ctx, err, sizeof(err)));
    /* One anchor (grid cell (1, 2) of stride 8) above the threshold: the
     * decode by hand is the reference. */
    static float o[84 * 8];
    memset(o, 0, sizeof(o));
    float *a = o + (2 * 8 + 1) * 8;
    a[0] = 0.5f, a[1] = 0.25f, a[2] = 0.0f, a[3] = logf(2.0f), a[4] = 0.9f, a[5 + 1] = 0.8f;
    vrt_detections res;
    const float *oo[1] = {o};
    ASSERT_OK(h->cpu->run(ctx, &hp, oo, NULL, &res, err, sizeof(err)));
    ASSERT_EQ(res.count, 1);
    ASSERT_EQ(res.det[0].class_id, 1);
    ASSERT_NEAR(res.det[0].score, 0.72, 1e-6);
    const float cx = (0.5f + 1) * 8, cy = (0.25f + 2) * 8, w = 8, hh = 16;
    ASSERT_NEAR(res.det[0].box.x1, cx - w / 2, 1e-4);
    ASSERT_NEAR(res.det[0].box.y1, cy - hh / 2, 1e-4);
    ASSERT_NEAR(res.det[0].box.x2, cx + w / 2, 1e-4);
    ASSERT_NEAR(res.det[0].box.y2, cy + hh / 2, 1e-4);
    h->cpu->destroy(&ctx);
    ASSERT_TRUE(ctx == NULL);
    /* Wrong rank, class count against the profile, anchors against the strides. */
    out.ndim = 2;
    ASSERT_STATUS(h->configure(&p, &out, &hp, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "has 2 dims");
    out.ndim = 3;
    p.det.num_classes = 80;
    ASSERT_STATUS(h->configure(&p, &out, &hp, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "num_classes = 80");
    p.det.num_classes = 0;
    ASSERT_OK(h->configure(&p, &out, &hp, err, sizeof(err)));
    hp.out_count = 83 * 8;
    ASSERT_STATUS(h->cpu->create(&hp, &ctx, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "84 anchors");
    h->cpu->destroy(&ctx);
}

TEST(result_accessors) {
    vrt_class_result cls;
    memset(&cls, 0, sizeof(cls));
    cls.count = 2;
    cls.index[0] = 7, cls.score[0] = 0.75f;
    cls.index[1] = 3, cls.score[1] = 0.25f;
    vrt_result r;
    vrt__result_init(&r, VRT_RESULT_CLASSES, VRT_TASK_CLASSIFY, NULL, NULL);
    r.payload = &cls;
    r.slot = 2;
    r.sequence = 99;
    r.times[VRT_TIME_MODEL] = 1234567;
    ASSERT_EQ(vrt_result_kind(&r), VRT_RESULT_CLASSES);
    ASSERT_STREQ(vrt_result_type_name(vrt_result_kind(&r)), "classes");
    ASSERT_EQ(vrt_result_task(&r), VRT_TASK_CLASSIFY);
    ASSERT_EQ(vrt_result_slot(&r), 2);
    ASSERT_EQ(vrt_result_sequence(&r), 99);
    ASSERT_EQ(vrt_result_time_ns(&r, VRT_TIME_MODEL), 1234567);
    ASSERT_EQ(vrt_result_time_ns(&r, VRT_TIME_COUNT), 0);
    ASSERT_EQ(vrt_result_count(&r), 2);
    int idx = -1;
    float sc = 0;
    ASSERT_OK(vrt_result_class(&r, 1, &idx, &sc));
    ASSERT_EQ(idx, 3);
    ASSERT_NEAR(sc, 0.25, 0);
    ASSERT_OK(vrt_result_class(&r, 0, NULL, NULL));
    ASSERT_STATUS(vrt_result_class(&r, 2, &idx, &sc), VRT_EINVAL);
    ASSERT_STATUS(vrt_result_class(&r, -1, &idx, &sc), VRT_EINVAL);
    vrt_detection d;
    ASSERT_STATUS(vrt_result_detection(&r, 0, &d), VRT_EINVAL); /* wrong kind */
    ASSERT_EQ(vrt_result_candidates(&r), 0);
    ASSERT_TRUE(vrt_result_label(&r, 0) == NULL); /* no labels */
    /* The result is a view: the payload is read where the head left it. */
    cls.score[1] = 0.5f;
    ASSERT_OK(vrt_result_class(&r, 1, NULL, &sc));
    ASSERT_NEAR(sc, 0.5, 0);

    static vrt_detections dets;
    memset(&dets, 0, sizeof(dets));
    dets.count = 1;
    dets.candidates = 5;
    dets.det[0].box.x1 = 1, dets.det[0].box.y1 = 2, dets.det[0].box.x2 = 3, dets.det[0].box.y2 = 4;
    dets.det[0].score = 0.5f, dets.det[0].class_id = 16;
    vrt__result_init(&r, VRT_RESULT_DETECTIONS, VRT_TASK_DETECT_YOLOX, NULL, NULL);
    r.payload = &dets;
    ASSERT_EQ(vrt_result_count(&r), 1);
    ASSERT_EQ(vrt_result_candidates(&r), 5);
    ASSERT_OK(vrt_result_detection(&r, 0, &d));
    ASSERT_EQ(d.class_id, 16);
    ASSERT_NEAR(d.box.y2, 4, 0);
    ASSERT_STATUS(vrt_result_detection(&r, 1, &d), VRT_EINVAL);
    ASSERT_STATUS(vrt_result_class(&r, 0, &idx, &sc), VRT_EINVAL);

    /* A copy for another thread: header and the filled entries only, then
     * independent of the session's storage. */
    vrt_result cp;
    static vrt__result_payload store;
    memset(&store, 0x5a, sizeof(store));
    ASSERT_OK(vrt__result_copy(&cp, &store, &r));
    ASSERT_EQ(vrt_result_kind(&cp), VRT_RESULT_DETECTIONS);
    ASSERT_EQ(vrt_result_count(&cp), 1);
    ASSERT_EQ(vrt_result_candidates(&cp), 5);
    dets.det[0].class_id = 3;
    ASSERT_OK(vrt_result_detection(&cp, 0, &d));
    ASSERT_EQ(d.class_id, 16);
    unsigned char tail[sizeof(vrt_detection)];
    memcpy(tail, &store.detections.det[1], sizeof(tail));
    for (size_t k = 0; k < sizeof(tail); k++)
        ASSERT_EQ(tail[k], 0x5a); /* entries past count are not copied */
    vrt__result_init(&r, VRT_RESULT_CLASSES, VRT_TASK_CLASSIFY, NULL, NULL);
    r.payload = &cls;
    ASSERT_OK(vrt__result_copy(&cp, &store, &r));
    cls.index[0] = 1;
    ASSERT_OK(vrt_result_class(&cp, 0, &idx, NULL));
    ASSERT_EQ(idx, 7);
    vrt__result_init(&r, VRT_RESULT_DETECTIONS, VRT_TASK_DETECT_YOLOX, NULL, NULL);
    r.payload = &dets;

    /* A result of another layout version is refused, not misread. */
    r.version = 2;
    ASSERT_EQ(vrt_result_kind(&r), VRT_RESULT_NONE);
    ASSERT_EQ(vrt_result_count(&r), 0);
    ASSERT_STATUS(vrt_result_detection(&r, 0, &d), VRT_EINVAL);
    /* NULL answers nothing. */
    ASSERT_EQ(vrt_result_kind(NULL), VRT_RESULT_NONE);
    ASSERT_EQ(vrt_result_count(NULL), 0);
    ASSERT_EQ(vrt_result_slot(NULL), -1);
    ASSERT_TRUE(vrt_result_label(NULL, 0) == NULL);
    ASSERT_STREQ(vrt_result_type_name((vrt_result_type)42), "?");
}

/* The public one-call head (vrt/head.h) over the same table. */
TEST(public_head_api) {
    vrt_profile p;
    vrt_profile_default(&p);
    p.topk = 2;
    p.softmax = 1;
    vrt_model_tensor_info out;
    memset(&out, 0, sizeof(out));
    out.name = "prob";
    out.ndim = 2;
    out.dims[0] = 1;
    out.dims[1] = 4;
    vrt_head_t *h = NULL;
    char err[256];
    ASSERT_OK(vrt_head_open(&p, &out, 1, NULL, &h, err, sizeof(err)));
    ASSERT_EQ(vrt_head_kind(h), VRT_RESULT_CLASSES);
    const float x[4] = {0.0f, 2.0f, 1.0f, 2.0f};
    const vrt_result *r = NULL;
    vrt_alloc_counting_begin();
    const float *xs[1] = {x};
    size_t n4[1] = {4}, n3[1] = {3};
    vrt_status st = vrt_head_run(h, xs, n4, 1, NULL, &r);
    vrt_alloc_stats as = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_OK(st);
    ASSERT_EQ(as.allocs, 0);
    ASSERT_EQ(vrt_result_count(r), 2);
    int idx = -1;
    float sc = 0;
    /* Ties: the lower index first; softmax over all four scores. */
    const double e = exp(2.0) / (1 + 2 * exp(2.0) + exp(1.0));
    ASSERT_OK(vrt_result_class(r, 0, &idx, &sc));
    ASSERT_EQ(idx, 1);
    ASSERT_NEAR(sc, e, 1e-6);
    ASSERT_OK(vrt_result_class(r, 1, &idx, &sc));
    ASSERT_EQ(idx, 3);
    ASSERT_TRUE(vrt_result_time_ns(r, VRT_TIME_TOTAL) >= 0);
    ASSERT_STATUS(vrt_head_run(h, xs, n3, 1, NULL, &r), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_head_last_error(h), "output 0 has 3 values");
    vrt_head_destroy(&h);
    ASSERT_TRUE(h == NULL);
    vrt_head_destroy(&h);
    /* A detector profile over a classifier's output: refused at open with the reason. */
    p.task = VRT_TASK_DETECT_YOLOV8;
    ASSERT_STATUS(vrt_head_open(&p, &out, 1, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "'prob' has 2 dims");
    ASSERT_TRUE(h == NULL);
}

int main(void) {
    VRT_RUN(every_task_has_a_head);
    VRT_RUN(classify_head_cpu);
    VRT_RUN(yolo_head_checks_the_output);
    VRT_RUN(result_accessors);
    VRT_RUN(public_head_api);
    return vrt_test_finish();
}
