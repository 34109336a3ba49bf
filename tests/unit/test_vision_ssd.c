/* The SSD heads (detect-ssd, detect-ssd-raw) on the real UltraFace slim-320
 * face detector in both its forms (models/ultraface.conf, ultraface-raw.conf):
 * the CPU engine + the public head (vrt/head.h) and a CPU session, against
 * the faces onnxruntime + the reference post-processing decoded
 * (../shared/data/models/ultraface_slim320/expected.json: 48 faces on
 * faces_1.jpg, 2 on faces_13.jpg); the prior generator against the spec by
 * hand; profiles that do not fit the model fail at open naming the output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vision/heads_impl.h"
#include "vrt/engine.h"
#include "vrt/head.h"
#include "vrt/image.h"
#include "vrt/profile.h"
#include "vrt/session.h"

#define DIR "models/ultraface_slim320/"
#define MAXF 64

typedef struct face {
    float score, box[4];
} face;

/* The faces of one set in expected.json (a tiny reader for its fixed layout). */
static int expected_faces(const char *set, face *out, char *image, size_t cap) {
    uint8_t *data = NULL;
    size_t size = 0;
    char err[256];
    ASSERT_OK(
        vrt_image_read_file(vrt_test_data(DIR "expected.json"), 1u << 20, &data, &size, err, sizeof(err)));
    char *text = calloc(1, size + 1);
    memcpy(text, data, size);
    vrt_free(data);
    char key[64];
    snprintf(key, sizeof(key), "\"%s\"", set);
    char *p = strstr(text, key);
    ASSERT_TRUE(p != NULL);
    char *end = strstr(p + 1, "\"test_data_set_");
    char *im = strstr(p, "\"image\": \"");
    ASSERT_TRUE(im != NULL);
    im += strlen("\"image\": \"");
    snprintf(image, cap, "%.*s", (int)(strchr(im, '"') - im), im);
    int n = 0;
    while ((p = strstr(p, "\"score\":")) && (!end || p < end) && n < MAXF) {
        out[n].score = strtof(p + 8, &p);
        p = strchr(p, '[') + 1;
        for (int k = 0; k < 4; k++) {
            out[n].box[k] = strtof(p, &p);
            if (k < 3) p = strchr(p, ',') + 1;
        }
        n++;
    }
    free(text);
    return n;
}

static void load_profile(const char *name, vrt_profile *p) {
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/models/%s", VRT_SOURCE_DIR, name);
    if (vrt_profile_load(path, p, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "%s", err);
}

/* Largest coordinate difference between a detection and an expected face. */
static double box_err(const vrt_detection *d, const face *f) {
    const float got[4] = {d->box.x1, d->box.y1, d->box.x2, d->box.y2};
    double e = 0;
    for (int k = 0; k < 4; k++)
        e = fmax(e, fabs(got[k] - f->box[k]));
    return e;
}

/* Every expected face has its own detection within tol pixels and 0.01 in
 * score (matched by position: faces whose scores differ in the fourth digit
 * may swap places in the score order). */
static void check_faces(const vrt_result *r, const face *want, int n, double tol, const char *what) {
    if (vrt_result_count(r) != n)
        vrt_test_fail(__FILE__, __LINE__, "%s: %d faces, expected %d", what, vrt_result_count(r), n);
    double worst = 0;
    int used[MAXF] = {0};
    for (int i = 0; i < n; i++) {
        int best = -1;
        double be = 1e9;
        vrt_detection d;
        for (int j = 0; j < n; j++) {
            ASSERT_OK(vrt_result_detection(r, j, &d));
            if (!used[j] && box_err(&d, &want[i]) < be) be = box_err(&d, &want[i]), best = j;
        }
        ASSERT_OK(vrt_result_detection(r, best, &d));
        if (be > tol)
            vrt_test_fail(__FILE__, __LINE__,
                          "%s face %d (%.1f %.1f %.1f %.1f): nearest detection %.2f px off", what, i,
                          want[i].box[0], want[i].box[1], want[i].box[2], want[i].box[3], be);
        used[best] = 1;
        ASSERT_EQ(d.class_id, 1); /* the model's class 1 (0 is the background) */
        ASSERT_NEAR(d.score, want[i].score, 0.01);
        worst = fmax(worst, be);
    }
    printf("  %s: %d faces, worst box error %.2f px\n", what, n, worst);
}

/* The engine (all outputs) + the public head, as vrt infer runs it. */
static void run_head(const char *conf, const char *model, const char *set) {
    face want[MAXF];
    char image[64], path[256], err[512];
    const int n = expected_faces(set, want, image, sizeof(image));
    vrt_profile prof;
    load_profile(conf, &prof);
    vrt_engine_t *e = NULL;
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.threads = 2;
    ASSERT_OK(vrt_engine_open(model, &ep, &e, err, sizeof(err)));
    ASSERT_EQ(vrt_engine_num_outputs(e), 2);
    vrt_model_tensor_info outs[2];
    float *buf[2];
    size_t cnt[2];
    vrt_engine_tensor et[2];
    for (int i = 0; i < 2; i++) {
        ASSERT_OK(vrt_engine_output_info(e, i, &outs[i]));
        cnt[i] = (size_t)(outs[i].dims[0] * outs[i].dims[1] * outs[i].dims[2]);
        buf[i] = malloc(cnt[i] * sizeof(float));
        et[i] = (vrt_engine_tensor){buf[i], VRT_DTYPE_FLOAT, cnt[i] * sizeof(float)};
    }
    vrt_head_t *h = NULL;
    if (vrt_head_open(&prof, outs, 2, NULL, &h, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s", err);
    ASSERT_EQ(vrt_head_kind(h), VRT_RESULT_DETECTIONS);
    snprintf(path, sizeof(path), DIR "%s", image);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_load(vrt_test_data(path), 0, &f, err, sizeof(err)));
    size_t in_bytes = vrt_preprocess_output_size(&prof.pre);
    float *in = malloc(in_bytes);
    vrt_preprocess_geometry g;
    ASSERT_OK(vrt_preprocess_frame(f, &prof.pre, in, in_bytes, &g, err, sizeof(err)));
    vrt_engine_tensor it = {in, VRT_DTYPE_FLOAT, in_bytes};
    ASSERT_OK(vrt_engine_run(e, &it, 1, et, 2));
    const vrt_result *r = NULL;
    vrt_alloc_counting_begin();
    vrt_status st = vrt_head_run(h, (const float *const *)buf, cnt, 2, &g, &r);
    vrt_alloc_stats as = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_OK(st);
    ASSERT_EQ(as.allocs, 0);
    char what[128];
    snprintf(what, sizeof(what), "%s on %s", conf, image);
    /* expected.json rounds to 0.1 px; our JPEG decode and resize differ from cv2's a little (0.16 px seen).
     */
    check_faces(r, want, n, 0.5, what);
    vrt_head_destroy(&h);
    vrt_frame_unref(&f);
    vrt_engine_destroy(&e);
    free(in);
    free(buf[0]);
    free(buf[1]);
}

TEST(ssd_head_on_ultraface) {
    const char *m = vrt_test_data_or_skip(DIR "version-slim-320.onnx");
    run_head("ultraface.conf", m, "test_data_set_0");
    run_head("ultraface.conf", m, "test_data_set_1");
}

TEST(ssd_raw_head_on_ultraface) {
    const char *m = vrt_test_data_or_skip(DIR "version-slim-320_without_postprocessing.onnx");
    run_head("ultraface-raw.conf", m, "test_data_set_0");
    run_head("ultraface-raw.conf", m, "test_data_set_1");
}

/* A CPU session reads both outputs through the same head (the frame path of vrt run). */
TEST(ssd_session_cpu) {
    const char *m = vrt_test_data_or_skip(DIR "version-slim-320_without_postprocessing.onnx");
    face want[MAXF];
    char image[64], path[256], err[512];
    const int n = expected_faces("test_data_set_0", want, image, sizeof(image));
    snprintf(path, sizeof(path), DIR "%s", image);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_load(vrt_test_data(path), 0, &f, err, sizeof(err)));
    vrt_profile prof;
    load_profile("ultraface-raw.conf", &prof);
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.threads = 2;
    p.fourcc = f->fourcc;
    p.width = f->width;
    p.height = f->height;
    vrt_session_t *s = NULL;
    if (vrt_session_open(m, NULL, &prof, &p, &s, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s", err);
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_run(s, f, &r));
    check_faces(r, want, n, 0.5, "session, ultraface-raw.conf");
    ASSERT_EQ(vrt_result_task(r), VRT_TASK_DETECT_SSD_RAW);
    vrt_session_destroy(&s);
    vrt_frame_unref(&f);
}

/* The priors by hand for a spec of two levels (one with two sizes). */
TEST(ssd_priors) {
    vrt_profile p;
    vrt_profile_default(&p);
    char err[256];
    const char *t = "task = detect-ssd-raw\nwidth = 40\nheight = 20\nssd_min_sizes = 4, 8; 16\n"
                    "strides = 10, 20\nssd_variances = 0.1, 0.25\nsoftmax = 1\n";
    ASSERT_OK(vrt_profile_parse(t, strlen(t), "t.conf", &p, err, sizeof(err)));
    ASSERT_EQ(p.ssd.num_levels, 2);
    ASSERT_NEAR(p.ssd.size_variance, 0.25, 1e-7);
    vrt_model_tensor_info outs[2];
    memset(outs, 0, sizeof(outs));
    /* strides 10/20 over 40x20: 4x2 cells x 2 sizes + 2x1 cells x 1 = 18 priors. */
    outs[0] = (vrt_model_tensor_info){.name = "scores", .ndim = 3, .dims = {1, 18, 3}};
    outs[1] = (vrt_model_tensor_info){.name = "boxes", .ndim = 3, .dims = {1, 18, 4}};
    vrt__head_params hp;
    const vrt__head *h = vrt__head_find("detect-ssd-raw");
    ASSERT_OK(vrt__head_bind(h, &p, outs, 2, 1, &hp, err, sizeof(err)));
    ASSERT_EQ(hp.ssd.fm_w[0], 4);
    ASSERT_EQ(hp.ssd.fm_h[1], 1);
    ASSERT_EQ(hp.num_outputs, 2);
    ASSERT_EQ(hp.out_counts[1], 72);
    float pr[18 * 4];
    ASSERT_EQ(vrt__ssd_priors(&hp.ssd, 40, 20, pr), 18);
    /* Prior 3: level 0, row 0, column 1, size 8. */
    ASSERT_NEAR(pr[3 * 4 + 0], 1.5 / 4, 1e-7);
    ASSERT_NEAR(pr[3 * 4 + 1], 0.5 / 2, 1e-7);
    ASSERT_NEAR(pr[3 * 4 + 2], 8.0 / 40, 1e-7);
    ASSERT_NEAR(pr[3 * 4 + 3], 8.0 / 20, 1e-7);
    /* Prior 17: level 1, column 1: 16 px clipped to 0..1 in height (16 / 20 fits). */
    ASSERT_NEAR(pr[17 * 4 + 0], 0.75, 1e-7);
    ASSERT_NEAR(pr[17 * 4 + 3], 0.8, 1e-7);
    /* One anchor by hand through the CPU twin: prior 3, logits favouring class 2. */
    static float sc[18 * 3], bx[18 * 4];
    memset(sc, 0, sizeof(sc));
    memset(bx, 0, sizeof(bx));
    sc[3 * 3 + 2] = 4.0f;
    bx[3 * 4 + 0] = 1.0f;            /* cx += 1 * 0.1 * w */
    bx[3 * 4 + 3] = logf(2) / 0.25f; /* h *= 2 */
    p.det.score_threshold = 0.5f;
    p.det.clip = 0; /* y1 is -3: outside the input, kept as is */
    ASSERT_OK(vrt__head_bind(h, &p, outs, 2, 1, &hp, err, sizeof(err)));
    void *ctx = NULL;
    ASSERT_OK(h->cpu->create(&hp, &ctx, err, sizeof(err)));
    vrt_detections res;
    const float *o[2] = {sc, bx};
    ASSERT_OK(h->cpu->run(ctx, &hp, o, NULL, &res, err, sizeof(err)));
    h->cpu->destroy(&ctx);
    ASSERT_EQ(res.count, 1);
    ASSERT_EQ(res.det[0].class_id, 2);
    ASSERT_NEAR(res.det[0].score, exp(4.0) / (2 + exp(4.0)), 1e-6);
    const double cx = (1.5 / 4 + 0.1 * 0.2) * 40, w = 8, cy = 0.25 * 20, hh = 16;
    ASSERT_NEAR(res.det[0].box.x1, cx - w / 2, 1e-4);
    ASSERT_NEAR(res.det[0].box.x2, cx + w / 2, 1e-4);
    ASSERT_NEAR(res.det[0].box.y1, cy - hh / 2, 1e-4);
    ASSERT_NEAR(res.det[0].box.y2, cy + hh / 2, 1e-4);
}

/* Profiles that do not fit the model fail at open, naming the output and what the head expects. */
TEST(ssd_bad_profiles) {
    const char *m = vrt_test_data_or_skip(DIR "version-slim-320.onnx");
    char err[512];
    vrt_engine_t *e = NULL;
    ASSERT_OK(vrt_engine_open(m, NULL, &e, err, sizeof(err)));
    vrt_model_tensor_info outs[2];
    vrt_engine_output_info(e, 0, &outs[0]);
    vrt_engine_output_info(e, 1, &outs[1]);
    vrt_profile p;
    load_profile("ultraface.conf", &p);
    vrt_head_t *h = NULL;
    const char *t1 = "outputs = scores=logits, boxes=boxes\n";
    ASSERT_OK(vrt_profile_parse(t1, strlen(t1), "t.conf", &p, err, sizeof(err)));
    ASSERT_STATUS(vrt_head_open(&p, outs, 2, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "output 'logits' (the detect-ssd head's scores) is not among the model's outputs: "
                         "'scores', 'boxes'");
    ASSERT_TRUE(h == NULL);
    /* Swapped: boxes would be [1, 4420, 2]. */
    const char *t2 = "outputs = scores=boxes, boxes=scores\n";
    ASSERT_OK(vrt_profile_parse(t2, strlen(t2), "t.conf", &p, err, sizeof(err)));
    ASSERT_STATUS(vrt_head_open(&p, outs, 2, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "output 'scores' (detect-ssd boxes) has 3 dims (last 2); expected [1, 4420, 4]");
    const char *t3 = "outputs = score=scores\n";
    ASSERT_OK(vrt_profile_parse(t3, strlen(t3), "t.conf", &p, err, sizeof(err)));
    ASSERT_STATUS(vrt_head_open(&p, outs, 2, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "outputs names role 'score'; task detect-ssd reads scores and boxes");
    /* One output only: the head says it reads two. */
    p.num_outputs = 0;
    ASSERT_STATUS(vrt_head_open(&p, outs, 1, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "task detect-ssd reads 2 outputs (scores, boxes) but the model has 1 ('scores')");
    /* The raw head without its prior spec, and with one that does not give 4420 priors. */
    p.task = VRT_TASK_DETECT_SSD_RAW;
    ASSERT_STATUS(vrt_head_open(&p, outs, 2, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "detect-ssd-raw needs the prior spec");
    const char *t4 = "ssd_min_sizes = 10; 32; 64; 128\nstrides = 8, 16, 32, 64\n";
    ASSERT_OK(vrt_profile_parse(t4, strlen(t4), "t.conf", &p, err, sizeof(err)));
    ASSERT_STATUS(vrt_head_open(&p, outs, 2, NULL, &h, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "the SSD prior spec gives 1600 priors but the outputs have 4420 anchors");
    /* A session refuses the same at open. */
    vrt_session_t *s = NULL;
    p.task = VRT_TASK_DETECT_SSD;
    ASSERT_OK(vrt_profile_parse(t1, strlen(t1), "t.conf", &p, err, sizeof(err)));
    ASSERT_STATUS(vrt_session_open(m, NULL, &p, NULL, &s, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "output 'logits'");
    /* Bad values of the new keys. */
    ASSERT_STATUS(vrt_profile_parse("ssd_feature_maps = 40x\n", 23, "t.conf", &p, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "WxH per level");
    ASSERT_STATUS(vrt_profile_parse("ssd_variances = 0.1\n", 20, "t.conf", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(vrt_profile_parse("outputs = a, b=c\n", 17, "t.conf", &p, err, sizeof(err)), VRT_EINVAL);
    vrt_engine_destroy(&e);
}

int main(void) {
    VRT_RUN(ssd_head_on_ultraface);
    VRT_RUN(ssd_raw_head_on_ultraface);
    VRT_RUN(ssd_session_cpu);
    VRT_RUN(ssd_priors);
    VRT_RUN(ssd_bad_profiles);
    return vrt_test_finish();
}
