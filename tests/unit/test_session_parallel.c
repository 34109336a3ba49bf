/* Two models on one frame (vrt/session.h, vrt_parallel_params) on the CPU
 * backend: the small YOLOv8n and Depth Anything V2 of tests/models. The
 * joint session's two results equal each model's own session on the same
 * frame; every detection's depth equals the median of the depth map over its
 * box computed here by sorting (numpy.median); either order; times, info and
 * errors at open. */
#include "parallel_test_util.h"

/* A result's boxes and (when it has them) the per-box depths. */
typedef struct boxes {
    int n;
    vrt_detection d[VRT_DETECT_MAX];
    vrt_status od[VRT_DETECT_MAX];
    float raw[VRT_DETECT_MAX], norm[VRT_DETECT_MAX];
} boxes;

static void read_boxes(const vrt_result *r, boxes *b) {
    memset(b, 0, sizeof(*b));
    ASSERT_EQ(vrt_result_kind(r), VRT_RESULT_DETECTIONS);
    b->n = vrt_result_count(r);
    for (int i = 0; i < b->n; i++) {
        ASSERT_OK(vrt_result_detection(r, i, &b->d[i]));
        b->od[i] = vrt_result_object_depth(r, i, &b->raw[i], &b->norm[i]);
    }
}

/* The depth result's raw map equals ref's, pixel for pixel (NaN where NaN). */
static void same_depth(const vrt_result *r, const vrt_result *ref) {
    ASSERT_EQ(vrt_result_task(r), VRT_TASK_DEPTH);
    for (int id = VRT_MAP_DEPTH; id <= VRT_MAP_DEPTH_COLOR; id++) {
        int w = 0, h = 0, w2 = 0, h2 = 0;
        size_t st = 0, st2 = 0;
        vrt_map_type t, t2;
        const uint8_t *a = vrt_result_map(r, (vrt_map_id)id, &w, &h, &st, &t);
        const uint8_t *b = vrt_result_map(ref, (vrt_map_id)id, &w2, &h2, &st2, &t2);
        ASSERT_TRUE(a && b);
        ASSERT_EQ(w, 640);
        ASSERT_EQ(h, 480);
        ASSERT_EQ(w, w2);
        ASSERT_EQ(st, st2);
        ASSERT_EQ(t, t2);
        ASSERT_TRUE(memcmp(a, b, st * (size_t)h) == 0);
    }
    float s[3], s2[3];
    ASSERT_OK(vrt_result_depth_stats(r, &s[0], &s[1], &s[2]));
    ASSERT_OK(vrt_result_depth_stats(ref, &s2[0], &s2[1], &s2[2]));
    for (int k = 0; k < 3; k++)
        ASSERT_TRUE(s[k] == s2[k]);
}

/* Each box's depth against the sorted-pixels median of depth over the box. */
static int check_object_depths(const boxes *b, const vrt_result *depth) {
    int found = 0;
    for (int i = 0; i < b->n; i++) {
        float raw = 0, norm = 0;
        if (!pt_box_median(depth, &b->d[i].box, &raw, &norm)) {
            ASSERT_EQ(b->od[i], VRT_ENOENT);
            continue;
        }
        ASSERT_OK(b->od[i]);
        if (b->raw[i] != raw)
            vrt_test_fail(__FILE__, __LINE__, "box %d: depth %.9g, median %.9g", i, b->raw[i], raw);
        ASSERT_NEAR(b->norm[i], norm, 1e-6);
        ASSERT_TRUE(b->norm[i] >= 0.0f && b->norm[i] <= 1.0f);
        found++;
    }
    return found;
}

TEST(detector_and_depth_equal_each_alone) {
    vrt_profile yp, dp;
    pt_yolo_profile(&yp);
    pt_depth_profile(&dp);
    char err[512];
    vrt_session_t *both = NULL, *det = NULL, *dep = NULL;
    vrt_status st = pt_open("cpu", pt_path(PT_YOLO), &yp, pt_path(PT_DEPTH), &dp, 1, &both, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open: %s", err);
    ASSERT_OK(pt_open("cpu", pt_path(PT_YOLO), &yp, NULL, NULL, 1, &det, err, sizeof(err)));
    ASSERT_OK(pt_open("cpu", pt_path(PT_DEPTH), &dp, NULL, NULL, 1, &dep, err, sizeof(err)));
    vrt_session_info info;
    vrt_session_get_info(both, &info);
    ASSERT_EQ(info.parallel, 1);
    ASSERT_EQ(info.parallel_task, VRT_TASK_DEPTH);
    ASSERT_EQ(info.parallel_kind, VRT_RESULT_DENSE);
    ASSERT_EQ(info.parallel_input_w, 98);
    ASSERT_EQ(info.object_depth, 1);
    int with_depth = 0;
    static boxes b, ref;
    for (int seed = 0; seed < 3; seed++) {
        vrt_frame *f = pt_frame(seed);
        const vrt_result *r = NULL, *rd = NULL, *rp = NULL;
        ASSERT_OK(vrt_session_run(both, f, &r));
        ASSERT_OK(vrt_session_run(det, f, &rd));
        ASSERT_OK(vrt_session_run(dep, f, &rp));
        const vrt_result *par = vrt_result_parallel(r);
        ASSERT_TRUE(par != NULL);
        ASSERT_TRUE(vrt_result_parallel(par) == NULL);
        ASSERT_TRUE(vrt_result_parallel(rd) == NULL);
        ASSERT_EQ(vrt_result_sequence(par), vrt_result_sequence(r));
        read_boxes(r, &b);
        read_boxes(rd, &ref);
        ASSERT_EQ(b.n, ref.n);
        ASSERT_TRUE(memcmp(b.d, ref.d, (size_t)b.n * sizeof(b.d[0])) == 0);
        for (int i = 0; i < ref.n; i++)
            ASSERT_EQ(ref.od[i], VRT_EINVAL); /* a detector alone has no depths */
        same_depth(par, rp);
        with_depth += check_object_depths(&b, par);
        ASSERT_TRUE(vrt_result_object_depth(r, b.n, NULL, NULL) == VRT_EINVAL);
        /* times: the second model's own stages, the branch and the join on the first */
        ASSERT_TRUE(vrt_result_time_ns(par, VRT_TIME_MODEL) > 0);
        ASSERT_TRUE(vrt_result_time_ns(par, VRT_TIME_PREPROCESS) > 0);
        ASSERT_TRUE(vrt_result_time_ns(r, VRT_TIME_PARALLEL) >= vrt_result_time_ns(par, VRT_TIME_MODEL));
        ASSERT_TRUE(vrt_result_time_ns(r, VRT_TIME_JOIN) > 0);
        ASSERT_TRUE(vrt_result_time_ns(r, VRT_TIME_TOTAL) >=
                    vrt_result_time_ns(r, VRT_TIME_MODEL) + vrt_result_time_ns(r, VRT_TIME_PARALLEL));
        ASSERT_EQ(vrt_result_time_ns(rd, VRT_TIME_PARALLEL), 0);
        vrt_frame_unref(&f);
    }
    ASSERT_TRUE(with_depth >= 3); /* boxes were found and measured */
    vrt_session_destroy(&both);
    vrt_session_destroy(&det);
    vrt_session_destroy(&dep);
}

/* Depth first, the detector second: the second result holds the boxes and their depths. */
TEST(depth_first_detector_second) {
    vrt_profile yp, dp;
    pt_yolo_profile(&yp);
    pt_depth_profile(&dp);
    char err[512];
    vrt_session_t *a = NULL, *b = NULL;
    ASSERT_OK(pt_open("cpu", pt_path(PT_YOLO), &yp, pt_path(PT_DEPTH), &dp, 1, &a, err, sizeof(err)));
    vrt_status st = pt_open("cpu", pt_path(PT_DEPTH), &dp, pt_path(PT_YOLO), &yp, 1, &b, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open: %s", err);
    vrt_frame *f = pt_frame(1);
    const vrt_result *ra = NULL, *rb = NULL;
    ASSERT_OK(vrt_session_run(a, f, &ra));
    ASSERT_OK(vrt_session_run(b, f, &rb));
    ASSERT_EQ(vrt_result_task(rb), VRT_TASK_DEPTH);
    static boxes x, y;
    read_boxes(ra, &x);
    read_boxes(vrt_result_parallel(rb), &y);
    ASSERT_EQ(x.n, y.n);
    ASSERT_TRUE(x.n > 0);
    for (int i = 0; i < x.n; i++) {
        ASSERT_EQ(x.od[i], y.od[i]);
        ASSERT_TRUE(x.raw[i] == y.raw[i] && x.norm[i] == y.norm[i]);
    }
    same_depth(rb, vrt_result_parallel(ra));
    check_object_depths(&y, rb);
    vrt_frame_unref(&f);
    vrt_session_destroy(&a);
    vrt_session_destroy(&b);
}

/* Two detectors: both results, no depths. */
TEST(two_detectors_no_depths) {
    vrt_profile yp;
    pt_yolo_profile(&yp);
    char err[512];
    vrt_session_t *s = NULL;
    ASSERT_OK(pt_open("cpu", pt_path(PT_YOLO), &yp, pt_path(PT_YOLO), &yp, 1, &s, err, sizeof(err)));
    vrt_session_info info;
    vrt_session_get_info(s, &info);
    ASSERT_EQ(info.object_depth, 0);
    vrt_frame *f = pt_frame(2);
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_run(s, f, &r));
    static boxes x, y;
    read_boxes(r, &x);
    read_boxes(vrt_result_parallel(r), &y);
    ASSERT_EQ(x.n, y.n);
    ASSERT_TRUE(memcmp(x.d, y.d, (size_t)x.n * sizeof(x.d[0])) == 0);
    for (int i = 0; i < x.n; i++)
        ASSERT_EQ(x.od[i], VRT_EINVAL);
    vrt_frame_unref(&f);
    vrt_session_destroy(&s);
}

TEST(parallel_errors) {
    vrt_profile yp, dp;
    pt_yolo_profile(&yp);
    pt_depth_profile(&dp);
    char err[512] = "";
    vrt_session_t *s = NULL;
    /* batch > 1 */
    vrt_parallel_params pp;
    vrt_parallel_default_params(&pp);
    pp.model = pt_path(PT_DEPTH);
    pp.profile = &dp;
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.parallel = &pp;
    p.batch = 2;
    ASSERT_TRUE(vrt_session_open(pt_path(PT_YOLO), NULL, &yp, &p, &s, err, sizeof(err)) != VRT_OK);
    ASSERT_TRUE(s == NULL);
    if (!strstr(err, "batch 1")) vrt_test_fail(__FILE__, __LINE__, "err: %s", err);
    /* a guided pre-filter on the second profile */
    vrt_profile g = dp;
    g.guided.radius = 4;
    ASSERT_TRUE(pt_open("cpu", pt_path(PT_YOLO), &yp, pt_path(PT_DEPTH), &g, 1, &s, err, sizeof(err)) ==
                VRT_EUNSUPPORTED);
    ASSERT_TRUE(strstr(err, "guided") != NULL);
    /* the second profile does not fit its model: the input size is named */
    vrt_profile bad = dp;
    bad.pre.width = bad.pre.height = 64;
    ASSERT_TRUE(pt_open("cpu", pt_path(PT_YOLO), &yp, pt_path(PT_DEPTH), &bad, 1, &s, err, sizeof(err)) !=
                VRT_OK);
    ASSERT_TRUE(strstr(err, "second model") != NULL && strstr(err, "pixel_values") != NULL);
    /* no profile at all */
    vrt_parallel_default_params(&pp);
    p.batch = 1;
    ASSERT_TRUE(vrt_session_open(pt_path(PT_YOLO), NULL, &yp, &p, &s, err, sizeof(err)) == VRT_EINVAL);
    ASSERT_TRUE(strstr(err, "profile") != NULL);
}

int main(void) {
    VRT_RUN(detector_and_depth_equal_each_alone);
    VRT_RUN(depth_first_detector_second);
    VRT_RUN(two_detectors_no_depths);
    VRT_RUN(parallel_errors);
    return vrt_test_finish();
}
