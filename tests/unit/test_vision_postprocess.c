/* Post-processing: top-k/softmax against naive references and the SqueezeNet
 * reference output; YOLOX decode + NMS against the detections in
 * expected.json; NMS against a brute-force reference; labels files. */
#include "harness.h"
#include "model/dtype.h"
#include "model/ir.h"
#include "vrt/image.h"
#include "vrt/profile.h"
#include "vrt/vision.h"

static uint64_t g_rng = 12345;
static uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}
static float frand(float lo, float hi) {
    return lo + (hi - lo) * (float)(rnd() & 0xffffff) / 16777216.0f;
}

TEST(topk_naive_ties_and_softmax) {
    enum { N = 300 };
    float s[N];
    for (int i = 0; i < N; i++)
        s[i] = (float)(rnd() % 40) * 0.25f - 3.0f; /* many ties */
    s[17] = NAN;
    vrt_class_result r;
    ASSERT_OK(vrt_topk(s, VRT_TENSOR_F32, N, 10, 0, &r));
    ASSERT_EQ(r.count, 10);
    /* Naive: repeatedly take the first maximum not yet taken. */
    int taken[N] = {0};
    for (int k = 0; k < 10; k++) {
        int best = -1;
        for (int i = 0; i < N; i++)
            if (!taken[i] && !isnan(s[i]) && (best < 0 || s[i] > s[best])) best = i;
        taken[best] = 1;
        ASSERT_EQ(r.index[k], best);
        ASSERT_NEAR(r.score[k], s[best], 0);
    }
    /* Softmax probabilities against a direct double computation. */
    ASSERT_OK(vrt_topk(s, VRT_TENSOR_F32, N, 3, 1, &r));
    double mx = -1e30, sum = 0;
    for (int i = 0; i < N; i++)
        if (!isnan(s[i]) && s[i] > mx) mx = s[i];
    for (int i = 0; i < N; i++)
        if (!isnan(s[i])) sum += exp(s[i] - mx);
    for (int k = 0; k < 3; k++)
        ASSERT_NEAR(r.score[k], exp(s[r.index[k]] - mx) / sum, 1e-6);
    /* fp16 input, k > n, bad k. */
    uint16_t h[3] = {vrt__float_to_half(0.5f), vrt__float_to_half(2.0f), vrt__float_to_half(2.0f)};
    ASSERT_OK(vrt_topk(h, VRT_TENSOR_F16, 3, 5, 0, &r));
    ASSERT_EQ(r.count, 3);
    ASSERT_EQ(r.index[0], 1);
    ASSERT_EQ(r.index[1], 2);
    ASSERT_EQ(r.index[2], 0);
    ASSERT_STATUS(vrt_topk(h, VRT_TENSOR_F16, 3, VRT_TOPK_MAX + 1, 0, &r), VRT_EINVAL);
}

static void squeezenet_set(int set, const int want[5], const float want_p[5], vrt_labels_t *labels,
                           const char *top1) {
    char rel[256], err[256];
    snprintf(rel, sizeof(rel), "models/squeezenet1.0_fp16/test_data_set_%d/output_0.pb", set);
    const char *pb = vrt_test_data_or_skip(rel);
    vrt__tensor t;
    memset(&t, 0, sizeof(t));
    ASSERT_OK(vrt__tensor_load_pb(pb, &t, err, sizeof(err)));
    ASSERT_EQ(t.dtype, VRT__DT_FLOAT16);
    ASSERT_EQ(vrt__shape_numel(&t.shape), 1000);
    vrt_class_result r;
    ASSERT_OK(vrt_topk(t.data, VRT_TENSOR_F16, 1000, 5, 0, &r));
    for (int k = 0; k < 5; k++) {
        ASSERT_EQ(r.index[k], want[k]);
        ASSERT_NEAR(r.score[k], want_p[k], 6e-4); /* expected.json rounds to 4 decimals; fp16 output */
    }
    ASSERT_STREQ(vrt_labels_get(labels, r.index[0]), top1);
    vrt__tensor_free(&t);
}

TEST(squeezenet_top5_matches_expected) {
    char err[256];
    const char *lp = vrt_test_data_or_skip("models/squeezenet1.0_fp16/Labels.txt");
    vrt_labels_t *l = NULL;
    ASSERT_OK(vrt_labels_load(lp, &l, err, sizeof(err)));
    /* From expected.json. */
    const int i0[5] = {207, 213, 159, 208, 168};
    const float p0[5] = {0.9585f, 0.0227f, 0.0049f, 0.0038f, 0.0037f};
    squeezenet_set(0, i0, p0, l, "golden retriever");
    const int i1[5] = {281, 285, 282, 287, 283};
    const float p1[5] = {0.9004f, 0.077f, 0.0221f, 0.0004f, 0.0003f};
    squeezenet_set(1, i1, p1, l, "tabby, tabby cat");
    const int i2[5] = {296, 270, 258, 228, 222};
    const float p2[5] = {1.0f, 0, 0, 0, 0};
    squeezenet_set(2, i2, p2, l, "ice bear, polar bear, Ursus Maritimus, Thalarctos maritimus");
    const int i3[5] = {948, 952, 940, 945, 951};
    const float p3[5] = {0.9995f, 0.0002f, 0, 0, 0};
    squeezenet_set(3, i3, p3, l, "Granny Smith");
    vrt_labels_destroy(&l);
    ASSERT_TRUE(l == NULL);
}

typedef struct exp_det {
    const char *cls;
    float score, x, y, w, h;
} exp_det;

static void yolox_set(int set, const char *image, const exp_det *want, int nwant, vrt_labels_t *labels) {
    char rel[256], err[512], path[1024];
    snprintf(rel, sizeof(rel), "models/yolox_nano/test_data_set_%d/output_0.pb", set);
    const char *pb = vrt_test_data_or_skip(rel);
    const char *img = vrt_test_data_or_skip(image);
    snprintf(path, sizeof(path), "%s/models/yolox.conf", VRT_SOURCE_DIR);
    vrt_profile prof;
    ASSERT_OK(vrt_profile_load(path, &prof, err, sizeof(err)));
    prof.det.num_classes = 80; /* the model's output: [1, 3549, 85] */
    vrt__tensor t;
    memset(&t, 0, sizeof(t));
    ASSERT_OK(vrt__tensor_load_pb(pb, &t, err, sizeof(err)));
    uint32_t w, h;
    ASSERT_OK(vrt_image_probe(img, &w, &h, err, sizeof(err)));
    vrt_preprocess_geometry g;
    ASSERT_OK(vrt_preprocess_geometry_for(&prof.pre, w, h, &g, err, sizeof(err)));
    vrt_detector_t *d = NULL;
    ASSERT_OK(vrt_detector_create(&d, &prof.det, err, sizeof(err)));
    ASSERT_EQ(vrt_detector_num_anchors(d), 3549);
    static vrt_detections r;
    vrt_alloc_counting_begin();
    vrt_status st = vrt_detector_run(d, t.data, (size_t)vrt__shape_numel(&t.shape), &g, &r);
    vrt_alloc_stats s = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_OK(st);
    ASSERT_EQ(s.allocs, 0);
    ASSERT_EQ(r.count, nwant);
    for (int i = 1; i < r.count; i++)
        ASSERT_TRUE(r.det[i].score <= r.det[i - 1].score);
    int used[VRT_DETECT_MAX] = {0};
    for (int k = 0; k < nwant; k++) {
        int found = -1;
        for (int i = 0; i < r.count && found < 0; i++) {
            const vrt_detection *x = &r.det[i];
            const char *name = vrt_labels_get(labels, x->class_id);
            if (used[i] || !name || strcmp(name, want[k].cls)) continue;
            /* expected.json rounds scores to 3 decimals and boxes to 0.1 px. */
            if (fabs(x->score - want[k].score) > 1.5e-3) continue;
            if (fabs(x->box.x1 - want[k].x) > 0.15 || fabs(x->box.y1 - want[k].y) > 0.15 ||
                fabs(x->box.x2 - x->box.x1 - want[k].w) > 0.2 ||
                fabs(x->box.y2 - x->box.y1 - want[k].h) > 0.2)
                continue;
            found = i;
        }
        if (found < 0)
            vrt_test_fail(__FILE__, __LINE__, "%s: expected %s %.3f at %.1f,%.1f %.1fx%.1f not found", image,
                          want[k].cls, want[k].score, want[k].x, want[k].y, want[k].w, want[k].h);
        used[found] = 1;
    }
    vrt_detector_destroy(&d);
    vrt__tensor_free(&t);
}

TEST(yolox_decode_nms_matches_expected) {
    char err[256];
    const char *lp = vrt_test_data_or_skip("models/yolox_nano/coco_classes.txt");
    vrt_labels_t *l = NULL;
    ASSERT_OK(vrt_labels_load(lp, &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 80);
    /* From expected.json (xywh: top-left x, y, width, height in image pixels). */
    const exp_det s0[] = {{"dog", 0.855f, 132.8f, 206.6f, 192.9f, 336.5f},
                          {"bicycle", 0.803f, 51.7f, 137.2f, 520.6f, 286.5f},
                          {"car", 0.798f, 466.3f, 78.4f, 226.2f, 92.9f},
                          {"truck", 0.306f, 464.2f, 77.6f, 218.6f, 95.1f}};
    yolox_set(0, "images/darknet/dog.jpg", s0, 4, l);
    const exp_det s1[] = {{"bus", 0.95f, 98.1f, 23.6f, 491.4f, 349.1f},
                          {"person", 0.325f, 190.2f, 153.3f, 51.5f, 62.3f},
                          {"person", 0.314f, 7.1f, 214.4f, 17.6f, 32.8f},
                          {"car", 0.3f, 602.1f, 247.1f, 18.6f, 22.3f}};
    yolox_set(1, "images/coco_val2017/000000005037.jpg", s1, 4, l);
    const exp_det s2[] = {{"person", 0.92f, 452.2f, 140.4f, 284.1f, 819.1f},
                          {"person", 0.914f, 1066.0f, 102.4f, 324.9f, 870.7f},
                          {"person", 0.892f, 750.3f, 188.1f, 267.2f, 741.2f},
                          {"person", 0.892f, 1485.9f, 160.5f, 238.4f, 732.0f},
                          {"car", 0.78f, 1314.1f, 181.0f, 208.8f, 252.5f},
                          {"tie", 0.603f, 1213.6f, 261.0f, 37.7f, 130.9f},
                          {"car", 0.442f, 1722.2f, 163.9f, 111.5f, 138.3f},
                          {"car", 0.413f, 1532.4f, 147.3f, 220.7f, 153.8f},
                          {"backpack", 0.339f, 1560.2f, 306.9f, 144.8f, 222.0f},
                          {"car", 0.337f, 1802.2f, 167.3f, 66.6f, 124.7f},
                          {"truck", 0.314f, 1542.0f, 151.8f, 248.7f, 154.8f}};
    yolox_set(2, "images/jetson/peds_0.jpg", s2, 11, l);
    vrt_labels_destroy(&l);
}

/* Brute-force class-aware NMS over a YOLOv8-layout output, written independently. */
typedef struct bf {
    float x1, y1, x2, y2, s;
    int c, a, alive;
} bf;

static float bf_iou(const bf *a, const bf *b) {
    float iw = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1), ih = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    if (iw <= 0 || ih <= 0) return 0;
    float i = iw * ih;
    return i / ((a->x2 - a->x1) * (a->y2 - a->y1) + (b->x2 - b->x1) * (b->y2 - b->y1) - i);
}

TEST(yolov8_nms_matches_brute_force) {
    enum { N = 150, C = 3 };
    static float o[(4 + C) * N];
    char err[256];
    for (int rep = 0; rep < 20; rep++) {
        for (int a = 0; a < N; a++) {
            o[a] = frand(0, 100);
            o[N + a] = frand(0, 80);
            o[2 * N + a] = frand(5, 40);
            o[3 * N + a] = frand(5, 40);
            for (int c = 0; c < C; c++)
                o[(4 + c) * N + a] = (float)(rnd() % 20) / 20.0f; /* ties */
        }
        vrt_detect_params p;
        vrt_detect_default_params(&p);
        p.kind = VRT_DETECT_YOLOV8;
        p.num_classes = C;
        p.num_anchors = N;
        p.input_w = 100;
        p.input_h = 80;
        p.score_threshold = 0.5f;
        p.iou_threshold = 0.4f;
        p.max_detections = rep % 2 ? 10 : VRT_DETECT_MAX;
        p.clip = 0;
        vrt_detector_t *d = NULL;
        ASSERT_OK(vrt_detector_create(&d, &p, err, sizeof(err)));
        static vrt_detections r;
        ASSERT_OK(vrt_detector_run(d, o, sizeof(o) / sizeof(o[0]), NULL, &r));
        /* Reference: per class, pick the best alive (score desc, anchor asc), kill overlaps. */
        static bf all[N * C];
        int nk = 0, cands = 0;
        for (int c = 0; c < C; c++) {
            bf cs[N];
            int n = 0;
            for (int a = 0; a < N; a++) {
                float s = o[(4 + c) * N + a];
                if (s > p.score_threshold) {
                    float cx = o[a], cy = o[N + a], w = o[2 * N + a], h = o[3 * N + a];
                    cs[n++] = (bf){cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h, s, c, a, 1};
                }
            }
            cands += n;
            for (;;) {
                int b = -1;
                for (int i = 0; i < n; i++)
                    if (cs[i].alive && (b < 0 || cs[i].s > cs[b].s)) b = i; /* first max = lowest anchor */
                if (b < 0) break;
                cs[b].alive = 0;
                all[nk++] = cs[b];
                for (int i = 0; i < n; i++)
                    if (cs[i].alive && bf_iou(&cs[b], &cs[i]) > p.iou_threshold) cs[i].alive = 0;
            }
        }
        ASSERT_EQ(r.candidates, cands);
        /* Final order: score desc, class asc, anchor asc; truncated to max_detections. */
        int want = nk < p.max_detections ? nk : p.max_detections;
        ASSERT_EQ(r.count, want);
        for (int k = 0; k < want; k++) {
            int b = -1;
            for (int i = 0; i < nk; i++)
                if (all[i].alive == 0 && (b < 0 || all[i].s > all[b].s)) b = i;
            all[b].alive = 2;
            ASSERT_EQ(r.det[k].class_id, all[b].c);
            ASSERT_NEAR(r.det[k].score, all[b].s, 0);
            ASSERT_NEAR(r.det[k].box.x1, all[b].x1, 0);
            ASSERT_NEAR(r.det[k].box.y2, all[b].y2, 0);
        }
        vrt_detector_destroy(&d);
    }
}

TEST(yolox_grid_sigmoid_geometry_and_errors) {
    char err[256];
    vrt_detect_params p;
    vrt_detect_default_params(&p);
    p.input_w = 64;
    p.input_h = 32;
    p.num_classes = 2;
    p.apply_sigmoid = 1;
    vrt_detector_t *d = NULL;
    ASSERT_OK(vrt_detector_create(&d, &p, err, sizeof(err)));
    int n = 8 * 4 + 4 * 2 + 2 * 1;
    ASSERT_EQ(vrt_detector_num_anchors(d), n);
    float *o = calloc((size_t)n * 7, sizeof(float));
    for (int a = 0; a < n; a++)
        o[a * 7 + 4] = o[a * 7 + 5] = o[a * 7 + 6] = -20.0f; /* sigmoid ~ 0 */
    /* Anchor: stride 16, grid (3, 1) is index 32 + 1 * 4 + 3 = 39. */
    float *r = o + 39 * 7;
    r[0] = 0.5f, r[1] = 0.25f, r[2] = logf(2.0f), r[3] = 0.0f, r[4] = 0.0f, r[6] = 2.0f;
    /* Letterboxed 128x128 frame centred: r = 0.25, off_x = (64 - 32) / 2 = 16. */
    vrt_preprocess_params pp;
    vrt_preprocess_default_params(&pp);
    pp.width = 64;
    pp.height = 32;
    pp.resize = VRT_RESIZE_LETTERBOX;
    pp.placement = VRT_PLACE_CENTER;
    vrt_preprocess_geometry g;
    ASSERT_OK(vrt_preprocess_geometry_for(&pp, 128, 128, &g, err, sizeof(err)));
    ASSERT_EQ(g.off_x, 16);
    static vrt_detections res;
    ASSERT_OK(vrt_detector_run(d, o, (size_t)n * 7, &g, &res));
    ASSERT_EQ(res.count, 1);
    ASSERT_EQ(res.det[0].class_id, 1);
    ASSERT_NEAR(res.det[0].score, 0.5 / (1 + exp(-2.0)), 1e-6);
    /* cx = 3.5 * 16 = 56, cy = 1.25 * 16 = 20, w = 32, h = 16 -> input (40,12)-(72,28) -> frame (x - 16) /
     * 0.25. */
    ASSERT_NEAR(res.det[0].box.x1, (40 - 16) / 0.25, 1e-3);
    ASSERT_NEAR(res.det[0].box.y1, 12 / 0.25, 1e-3);
    ASSERT_NEAR(res.det[0].box.x2, 128, 1e-3); /* (72 - 16) * 4 = 224, clipped to the frame */
    ASSERT_NEAR(res.det[0].box.y2, 28 / 0.25, 1e-3);
    ASSERT_STATUS(vrt_detector_run(d, o, (size_t)n * 7 - 1, &g, &res), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_detector_error(d), "needs");
    vrt_detector_destroy(&d);
    ASSERT_TRUE(d == NULL);
    vrt_detector_destroy(&d);
    p.strides[1] = 7;
    ASSERT_STATUS(vrt_detector_create(&d, &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "stride 7");
    free(o);
    /* IoU of half-overlapping squares: 50 / (100 + 100 - 50). */
    vrt_box a = {0, 0, 10, 10}, b = {5, 0, 15, 10};
    ASSERT_NEAR(vrt_box_iou(&a, &b), 1.0 / 3.0, 1e-6);
}

static const char *write_tmp(const char *name, const char *text) {
    static char path[4][1024];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 1024, "%s/%s", vrt_test_tmpdir(), name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

TEST(labels_formats) {
    char err[256];
    vrt_labels_t *l = NULL;
    ASSERT_OK(
        vrt_labels_load(write_tmp("a.txt", "0,tench, Tinca tinca\r\n2,shark\n\n"), &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 3);
    ASSERT_STREQ(vrt_labels_get(l, 0), "tench, Tinca tinca");
    ASSERT_TRUE(vrt_labels_get(l, 1) == NULL);
    ASSERT_STREQ(vrt_labels_get(l, 2), "shark");
    ASSERT_TRUE(vrt_labels_get(l, 3) == NULL);
    vrt_labels_destroy(&l);
    ASSERT_OK(vrt_labels_load(write_tmp("b.txt", "n01440764 tench, Tinca tinca\nn01443537 goldfish\n"), &l,
                              err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 2);
    ASSERT_STREQ(vrt_labels_get(l, 1), "goldfish");
    vrt_labels_destroy(&l);
    ASSERT_OK(
        vrt_labels_load(write_tmp("c.txt", "person\nbicycle\ntraffic light\n\n"), &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 3);
    ASSERT_STREQ(vrt_labels_get(l, 2), "traffic light");
    vrt_labels_destroy(&l);
    ASSERT_STATUS(vrt_labels_load(write_tmp("d.txt", "0,a\nb\n"), &l, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, ":2:");
    ASSERT_STATUS(vrt_labels_load(write_tmp("e.txt", "\n\n"), &l, err, sizeof(err)), VRT_EBADDATA);
    /* At most 100000 classes: the highest index 99999 is taken, 100000 (or 5000000, which fuzz_text
     * found spending 40 MB on a 9-byte file) is refused naming the line, so are 100001 lines. */
    ASSERT_OK(vrt_labels_load(write_tmp("f.txt", "0,a\n99999,z\n"), &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 100000);
    ASSERT_STREQ(vrt_labels_get(l, 99999), "z");
    vrt_labels_destroy(&l);
    ASSERT_STATUS(vrt_labels_load(write_tmp("g.txt", "0,a\n5000000,z\n"), &l, err, sizeof(err)),
                  VRT_EBADDATA);
    ASSERT_CONTAINS(err, "g.txt:2: class index \"5000000,z\" is beyond the 100000 classes");
    ASSERT_STATUS(vrt_labels_load(write_tmp("h.txt", "100000,a\n"), &l, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, ":1: class index");
    static char many[100001 * 2 + 1];
    for (int i = 0; i < 100001; i++)
        many[2 * i] = 'x', many[2 * i + 1] = '\n';
    ASSERT_STATUS(vrt_labels_load(write_tmp("i.txt", many), &l, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, "100001 lines, more than the 100000 classes");
    ASSERT_STATUS(vrt_labels_load("/nonexistent/labels.txt", &l, err, sizeof(err)), VRT_ENOENT);
    ASSERT_TRUE(l == NULL);
    /* The real files. */
    const char *syn = vrt_test_data_or_skip("labels/imagenet_synset_words.txt");
    ASSERT_OK(vrt_labels_load(syn, &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 1000);
    ASSERT_STREQ(vrt_labels_get(l, 207), "golden retriever");
    vrt_labels_destroy(&l);
    const char *coco = vrt_test_data_or_skip("labels/coco_classes.txt");
    ASSERT_OK(vrt_labels_load(coco, &l, err, sizeof(err)));
    ASSERT_EQ(vrt_labels_count(l), 80);
    ASSERT_STREQ(vrt_labels_get(l, 0), "person");
    ASSERT_STREQ(vrt_labels_get(l, 79), "toothbrush");
    vrt_labels_destroy(&l);
}

int main(void) {
    VRT_RUN(topk_naive_ties_and_softmax);
    VRT_RUN(squeezenet_top5_matches_expected);
    VRT_RUN(yolox_decode_nms_matches_expected);
    VRT_RUN(yolov8_nms_matches_brute_force);
    VRT_RUN(yolox_grid_sigmoid_geometry_and_errors);
    VRT_RUN(labels_formats);
    return vrt_test_finish();
}
