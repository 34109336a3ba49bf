/* Cascades (vrt/session.h, vrt_cascade_params) on the CPU backend:
 * YOLOX-Nano detections classified by SqueezeNet on their crops, checked
 * against the same crops classified one by one through the detailed APIs
 * (vrt_preprocess_rois, vrt_engine_run, vrt_topk), the filters, the result
 * accessors, and the errors at open. */
#include "cascade_test_util.h"

/* Top-k of one crop by hand: the independent reference. */
static void crop_topk(vrt_engine_t *e, const vrt_profile *pr, const vrt_frame *f, const vrt_box *b, int k,
                      vrt_class_result *out) {
    static float in[3 * 224 * 224], logits[1000];
    char err[256];
    vrt_preprocess_params pre = pr->pre;
    pre.dtype = VRT_TENSOR_F32;
    vrt_status st = vrt_preprocess_rois(f, b, 1, &pre, in, sizeof(in), NULL, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "rois: %s", err);
    vrt_engine_tensor ti = {in, VRT_DTYPE_FLOAT, sizeof(in)};
    vrt_engine_tensor to = {logits, VRT_DTYPE_FLOAT, sizeof(logits)};
    ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
    ASSERT_OK(vrt_topk(logits, VRT_TENSOR_F32, 1000, k, pr->softmax, out));
}

static vrt_frame *frame_of(const char *img) {
    return st_load_frame(img, VRT_FMT_YUYV, 640, 480);
}

/* Every selected detection's classes equal the by-hand top-k of its crop. */
TEST(cascade_equals_crops_by_hand) {
    vrt_cascade_params cp;
    vrt_cascade_default_params(&cp);
    cp.topk = 3;
    cp.max_batch = 8;
    vrt_session_t *s = NULL;
    char err[512];
    vrt_status st = ct_open("cpu", &cp, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open: %s", err);
    vrt_session_info info;
    vrt_session_get_info(s, &info);
    ASSERT_EQ(info.cascade_batch, 8);
    ASSERT_EQ(info.cascade_classes, 1000);
    vrt_profile pr;
    ASSERT_OK(vrt_profile_load(ct_profile("squeezenet.conf"), &pr, err, sizeof(err)));
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.threads = 2;
    vrt_engine_t *e = NULL;
    ASSERT_OK(vrt_engine_open(cp.model, &ep, &e, err, sizeof(err)));
    const char *imgs[] = {"images/jetson/humans_0.jpg", "images/jetson/city_0.jpg",
                          "images/jetson/dog_2.jpg"};
    int classified = 0;
    for (int m = 0; m < 3; m++) {
        vrt_frame *f = frame_of(imgs[m]);
        const vrt_result *r = NULL;
        ASSERT_OK(vrt_session_run(s, f, &r));
        static st_res o;
        static ct_sec sec;
        ct_read(r, &o, &sec);
        ASSERT_TRUE(vrt_result_time_ns(r, VRT_TIME_SECONDARY) > 0 || o.det.count == 0);
        int n = 0;
        for (int i = 0; i < o.det.count; i++) {
            /* the rule: every detection (min_size 1, any class) until max_batch */
            ASSERT_EQ(sec.n[i], n < 8 ? 3 : 0);
            if (!sec.n[i]) continue;
            n++;
            vrt_class_result ref;
            crop_topk(e, &pr, f, &o.det.det[i].box, 3, &ref);
            for (int k = 0; k < 3; k++) {
                ASSERT_EQ(sec.index[i][k], ref.index[k]);
                ASSERT_NEAR(sec.score[i][k], ref.score[k], 1e-6);
            }
            ASSERT_TRUE(sec.label[i] != NULL);
        }
        classified += n;
        vrt_frame_unref(&f);
    }
    ASSERT_TRUE(classified >= 4); /* people, cars, a dog: something was cut out and classified */
    vrt_engine_destroy(&e);
    vrt_session_destroy(&s);
}

/* Semantics: the dog YOLOX finds in dog_2.jpg is, cut out, a dog breed for
 * SqueezeNet (ImageNet 151..268); classes = {16 (dog)} classifies only dogs;
 * topk 0 takes the secondary profile's (5). */
TEST(cascade_dog_crop_is_a_dog_breed) {
    vrt_cascade_params cp;
    vrt_cascade_default_params(&cp);
    const int dog = 16;
    cp.classes = &dog;
    cp.num_classes = 1;
    vrt_session_t *s = NULL;
    char err[512];
    vrt_status st = ct_open("cpu", &cp, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open: %s", err);
    vrt_frame *f = frame_of("images/jetson/dog_2.jpg");
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_run(s, f, &r));
    static st_res o;
    static ct_sec sec;
    ct_read(r, &o, &sec);
    int dogs = 0;
    for (int i = 0; i < o.det.count; i++) {
        if (o.det.det[i].class_id != dog) {
            ASSERT_EQ(sec.n[i], 0);
            ASSERT_TRUE(vrt_result_secondary_label(r, i, 0) == NULL);
            continue;
        }
        dogs++;
        ASSERT_EQ(sec.n[i], 5);
        ASSERT_TRUE(sec.index[i][0] >= 151 && sec.index[i][0] <= 268);
        ASSERT_TRUE(sec.score[i][0] >= sec.score[i][1]);
    }
    ASSERT_TRUE(dogs >= 1);
    vrt_frame_unref(&f);
    vrt_session_destroy(&s);
}

/* min_size larger than the frame: nothing classified; max_batch 1: only the
 * first (best) detection. */
TEST(cascade_min_size_and_max_batch) {
    vrt_frame *f = frame_of("images/jetson/humans_0.jpg");
    char err[512];
    for (int c = 0; c < 2; c++) {
        vrt_cascade_params cp;
        vrt_cascade_default_params(&cp);
        if (c == 0)
            cp.min_size = 481;
        else
            cp.max_batch = 1;
        vrt_session_t *s = NULL;
        vrt_status st = ct_open("cpu", &cp, &s, err, sizeof(err));
        if (st) vrt_test_fail(__FILE__, __LINE__, "open: %s", err);
        const vrt_result *r = NULL;
        ASSERT_OK(vrt_session_run(s, f, &r));
        static st_res o;
        static ct_sec sec;
        ct_read(r, &o, &sec);
        ASSERT_TRUE(o.det.count >= 2);
        for (int i = 0; i < o.det.count; i++)
            ASSERT_EQ(sec.n[i], c == 1 && i == 0 ? 5 : 0);
        vrt_session_destroy(&s);
    }
    vrt_frame_unref(&f);
}

/* Errors at open name what is wrong. */
TEST(cascade_errors) {
    char err[512];
    vrt_session_t *s = NULL;
    struct {
        int max_batch, topk, cls;
        const char *profile, *want;
    } cases[] = {
        {0, 0, 0, "squeezenet.conf", "max_batch = 0"},
        {VRT_CASCADE_MAX + 1, 0, 0, "squeezenet.conf", "max_batch"},
        {16, VRT_CASCADE_TOPK + 1, 0, "squeezenet.conf", "topk"},
        {16, 0, 999, "squeezenet.conf", "class 999"},
        {16, 0, 0, "yolox.conf", "must be a classifier"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vrt_cascade_params cp;
        vrt_cascade_default_params(&cp);
        cp.max_batch = cases[i].max_batch;
        cp.topk = cases[i].topk;
        if (cases[i].cls) {
            cp.classes = &cases[i].cls;
            cp.num_classes = 1;
        }
        cp.model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
        cp.profile_path = ct_profile(cases[i].profile);
        vrt_session_params p;
        vrt_session_default_params(&p);
        p.cascade = &cp;
        ASSERT_TRUE(vrt_session_open(vrt_test_data_or_skip("models/yolox_nano/yolox_nano.onnx"),
                                     ct_profile("yolox.conf"), NULL, &p, &s, err, sizeof(err)) != VRT_OK);
        ASSERT_TRUE(s == NULL);
        if (!strstr(err, cases[i].want)) vrt_test_fail(__FILE__, __LINE__, "case %zu: '%s'", i, err);
    }
    /* a classify session cannot have a cascade */
    vrt_cascade_params cp;
    vrt_cascade_default_params(&cp);
    cp.profile_path = ct_profile("squeezenet.conf");
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.cascade = &cp;
    ASSERT_TRUE(vrt_session_open(vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx"),
                                 ct_profile("squeezenet.conf"), NULL, &p, &s, err, sizeof(err)) != VRT_OK);
    ASSERT_TRUE(strstr(err, "classifies detections") != NULL);
}

int main(void) {
    VRT_RUN(cascade_equals_crops_by_hand);
    VRT_RUN(cascade_dog_crop_is_a_dog_breed);
    VRT_RUN(cascade_min_size_and_max_batch);
    VRT_RUN(cascade_errors);
    return vrt_test_finish();
}
