/* Two models on one frame on the CUDA backend (vrt/session.h,
 * vrt_parallel_params): the small YOLOv8n and Depth Anything V2 of
 * tests/models, the depth model on a parallel branch of each slot's graph.
 * Its results equal the CPU twin's (fp32 on both, within float tolerance);
 * the per-box depths computed on the device equal the sorted-pixels median
 * of the same device-made map over the same boxes exactly; graph == eager
 * bit for bit; rotating slots keep each frame's own results; the branch's
 * times are there; the depth refinement by the frame (refine_depth) on
 * either model's stream equals the CPU twin's. */
#include <cuda_runtime.h>

#include "../unit/parallel_test_util.h"

static int have_gpu(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
        cudaGetLastError();
        return 0;
    }
    return 1;
}

static vrt_session_t *open_pair(const char *backend, int graphs, int depth_first) {
    vrt_profile yp, dp;
    pt_yolo_profile(&yp);
    pt_depth_profile(&dp);
    char err[512];
    vrt_session_t *s = NULL;
    vrt_status st =
        depth_first
            ? pt_open(backend, pt_path(PT_DEPTH), &dp, pt_path(PT_YOLO), &yp, graphs, &s, err, sizeof(err))
            : pt_open(backend, pt_path(PT_YOLO), &yp, pt_path(PT_DEPTH), &dp, graphs, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s", backend, err);
    return s;
}

/* One frame's joint result, copied out of the session's storage. */
typedef struct joint {
    int n;
    vrt_detection d[VRT_DETECT_MAX];
    vrt_status od[VRT_DETECT_MAX];
    float raw[VRT_DETECT_MAX], norm[VRT_DETECT_MAX];
    float stats[3];
    size_t stride;
    float map[640 * 480]; /* VRT_MAP_DEPTH_RAW, tightly packed */
    uint8_t color[640 * 480 * 3];
} joint;

/* Reads r (either order) and checks the per-box depths against the
 * sorted-pixels median of this very result's map: exact. */
static void read_joint(const vrt_result *r, joint *j) {
    memset(j, 0, sizeof(*j));
    const vrt_result *par = vrt_result_parallel(r);
    ASSERT_TRUE(par != NULL);
    const vrt_result *det = vrt_result_task(r) == VRT_TASK_DEPTH ? par : r;
    const vrt_result *dep = det == r ? par : r;
    j->n = vrt_result_count(det);
    ASSERT_OK(vrt_result_depth_stats(dep, &j->stats[0], &j->stats[1], &j->stats[2]));
    int w = 0, h = 0;
    size_t st = 0, cst = 0;
    const uint8_t *m = vrt_result_map(dep, VRT_MAP_DEPTH_RAW, &w, &h, &st, NULL);
    const uint8_t *c = vrt_result_map(dep, VRT_MAP_DEPTH_COLOR, NULL, NULL, &cst, NULL);
    ASSERT_TRUE(m && c && w == 640 && h == 480);
    for (int y = 0; y < h; y++) {
        memcpy(j->map + (size_t)y * 640, m + (size_t)y * st, 640 * sizeof(float));
        memcpy(j->color + (size_t)y * 640 * 3, c + (size_t)y * cst, 640 * 3);
    }
    for (int i = 0; i < j->n; i++) {
        ASSERT_OK(vrt_result_detection(det, i, &j->d[i]));
        j->od[i] = vrt_result_object_depth(det, i, &j->raw[i], &j->norm[i]);
        float raw = 0, norm = 0;
        if (!pt_box_median(dep, &j->d[i].box, &raw, &norm)) {
            ASSERT_EQ(j->od[i], VRT_ENOENT);
            continue;
        }
        ASSERT_OK(j->od[i]);
        if (j->raw[i] != raw)
            vrt_test_fail(__FILE__, __LINE__, "box %d: device median %.9g, sorted pixels %.9g", i, j->raw[i],
                          raw);
        ASSERT_NEAR(j->norm[i], norm, 1e-6);
    }
}

static void near_joint(const joint *a, const joint *b) {
    ASSERT_EQ(a->n, b->n);
    const float range = b->stats[1] - b->stats[0];
    ASSERT_TRUE(range > 0);
    for (int k = 0; k < 3; k++)
        ASSERT_NEAR(a->stats[k], b->stats[k], 1e-3 * range);
    for (int i = 0; i < a->n; i++) {
        ASSERT_EQ(a->d[i].class_id, b->d[i].class_id);
        ASSERT_NEAR(a->d[i].score, b->d[i].score, 1e-5);
        ASSERT_NEAR(a->d[i].box.x1, b->d[i].box.x1, 0.05);
        ASSERT_NEAR(a->d[i].box.y2, b->d[i].box.y2, 0.05);
        ASSERT_EQ(a->od[i], b->od[i]);
        if (!a->od[i]) {
            ASSERT_NEAR(a->raw[i], b->raw[i], 2e-3 * range);
            ASSERT_NEAR(a->norm[i], b->norm[i], 2e-3);
        }
    }
    double worst = 0;
    for (size_t k = 0; k < 640 * 480; k++) {
        if (isnan(a->map[k]) || isnan(b->map[k])) {
            ASSERT_TRUE(isnan(a->map[k]) && isnan(b->map[k]));
            continue;
        }
        const double e = fabs((double)a->map[k] - (double)b->map[k]);
        if (e > worst) worst = e;
    }
    if (worst > 1e-3 * range)
        vrt_test_fail(__FILE__, __LINE__, "depth map differs by %g (range %g)", worst, range);
}

static int same_joint(const joint *a, const joint *b) {
    return a->n == b->n && !memcmp(a->d, b->d, (size_t)a->n * sizeof(a->d[0])) &&
           !memcmp(a->raw, b->raw, (size_t)a->n * sizeof(float)) && !memcmp(a->map, b->map, sizeof(a->map)) &&
           !memcmp(a->color, b->color, sizeof(a->color));
}

static joint g_a, g_b, g_c;

TEST(cuda_equals_cpu_both_orders) {
    if (!have_gpu()) vrt_test_skip("no CUDA device");
    for (int order = 0; order < 2; order++) {
        vrt_session_t *gpu = open_pair("cuda", 1, order), *cpu = open_pair("cpu", 1, order);
        vrt_session_info info;
        vrt_session_get_info(gpu, &info);
        ASSERT_EQ(info.parallel, 1);
        ASSERT_EQ(info.graphs, 1);
        ASSERT_EQ(info.object_depth, 1);
        int measured = 0;
        for (int seed = 0; seed < 3; seed++) {
            vrt_frame *f = pt_frame(seed);
            const vrt_result *rg = NULL, *rc = NULL;
            ASSERT_OK(vrt_session_run(gpu, f, &rg));
            read_joint(rg, &g_a);
            ASSERT_TRUE(vrt_result_time_ns(rg, VRT_TIME_PARALLEL) > 0);
            ASSERT_TRUE(vrt_result_time_ns(vrt_result_parallel(rg), VRT_TIME_MODEL) > 0);
            ASSERT_TRUE(vrt_result_time_ns(rg, VRT_TIME_JOIN) > 0);
            ASSERT_OK(vrt_session_run(cpu, f, &rc));
            read_joint(rc, &g_b);
            near_joint(&g_a, &g_b);
            for (int i = 0; i < g_a.n; i++)
                measured += g_a.od[i] == VRT_OK;
            vrt_frame_unref(&f);
        }
        ASSERT_TRUE(measured >= 3);
        vrt_session_destroy(&gpu);
        vrt_session_destroy(&cpu);
    }
}

/* Graph and eager give the same bits; two slots in flight keep their own frames. */
TEST(graph_equals_eager_and_slots_rotate) {
    if (!have_gpu()) vrt_test_skip("no CUDA device");
    vrt_session_t *g = open_pair("cuda", 1, 0), *e = open_pair("cuda", 0, 0);
    vrt_frame *f0 = pt_frame(0), *f1 = pt_frame(2);
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_run(e, f0, &r));
    read_joint(r, &g_c); /* eager, frame 0 */
    ASSERT_OK(vrt_session_run(e, f1, &r));
    read_joint(r, &g_b);                  /* eager, frame 1 */
    ASSERT_TRUE(!same_joint(&g_c, &g_b)); /* the frames differ */
    for (int round = 0; round < 3; round++) {
        vrt_frame a, b;
        ASSERT_OK(vrt_session_slot_frame(g, 0, &a));
        ASSERT_OK(vrt_session_slot_frame(g, 1, &b));
        memcpy(a.planes[0].data, (round & 1 ? f1 : f0)->planes[0].data, a.bytesused);
        memcpy(b.planes[0].data, (round & 1 ? f0 : f1)->planes[0].data, b.bytesused);
        ASSERT_OK(vrt_session_submit(g, 0, &a));
        ASSERT_OK(vrt_session_submit(g, 1, &b));
        ASSERT_OK(vrt_session_wait(g, 0, &r));
        read_joint(r, &g_a);
        ASSERT_TRUE(same_joint(&g_a, round & 1 ? &g_b : &g_c));
        ASSERT_OK(vrt_session_wait(g, 1, &r));
        read_joint(r, &g_a);
        ASSERT_TRUE(same_joint(&g_a, round & 1 ? &g_c : &g_b));
    }
    vrt_frame_unref(&f0);
    vrt_frame_unref(&f1);
    vrt_session_destroy(&g);
    vrt_session_destroy(&e);
}

/* Depth refinement by the frame (refine_depth): on the depth model's branch
 * (depth second) and on the session's stream (depth first), inside each
 * slot's graph. CUDA equals the CPU twin; graph equals eager bit for bit on
 * frames that alternate between the two slots (each slot's graph refines
 * with its own frame); the refinement changes the map. */
static const vrt_guided_params k_refine = {8, 1e-3f};

static vrt_session_t *open_refined(const char *backend, int graphs, int depth_first) {
    vrt_profile yp, dp;
    pt_yolo_profile(&yp);
    pt_depth_profile(&dp);
    char err[512];
    vrt_session_t *s = NULL;
    vrt_status st = depth_first ? pt_open_refined(backend, pt_path(PT_DEPTH), &dp, pt_path(PT_YOLO), &yp,
                                                  graphs, &k_refine, &s, err, sizeof(err))
                                : pt_open_refined(backend, pt_path(PT_YOLO), &yp, pt_path(PT_DEPTH), &dp,
                                                  graphs, &k_refine, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s refined: %s", backend, err);
    return s;
}

TEST(refined_depth_cuda_equals_cpu) {
    if (!have_gpu()) vrt_test_skip("no CUDA device");
    for (int order = 0; order < 2; order++) {
        vrt_session_t *gpu = open_refined("cuda", 1, order), *cpu = open_refined("cpu", 1, order),
                      *eager = open_refined("cuda", 0, order), *plain = open_pair("cuda", 1, order);
        for (int seed = 0; seed < 3; seed++) {
            vrt_frame *f = pt_frame(seed);
            const vrt_result *r = NULL;
            ASSERT_OK(vrt_session_run(gpu, f, &r));
            read_joint(r, &g_a);
            ASSERT_OK(vrt_session_run(cpu, f, &r));
            read_joint(r, &g_b);
            near_joint(&g_a, &g_b);
            ASSERT_OK(vrt_session_run(eager, f, &r));
            read_joint(r, &g_c);
            ASSERT_TRUE(same_joint(&g_a, &g_c));
            ASSERT_OK(vrt_session_run(plain, f, &r));
            read_joint(r, &g_c);
            ASSERT_TRUE(memcmp(g_a.map, g_c.map, sizeof(g_a.map)) != 0);
            vrt_frame_unref(&f);
        }
        vrt_session_destroy(&gpu);
        vrt_session_destroy(&cpu);
        vrt_session_destroy(&eager);
        vrt_session_destroy(&plain);
    }
}

int main(void) {
    VRT_RUN(cuda_equals_cpu_both_orders);
    VRT_RUN(graph_equals_eager_and_slots_rotate);
    VRT_RUN(refined_depth_cuda_equals_cpu);
    return vrt_test_finish();
}
