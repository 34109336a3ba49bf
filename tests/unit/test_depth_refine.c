/* Depth refinement (vrt_session_params.refine_depth, the profile's
 * depth_refine_radius/_eps) on the CPU backend with the small Depth
 * Anything V2 of tests/models: the refined raw map equals a straightforward
 * guided filter (He et al. in double, O(r^2) box sums over reflected
 * windows, written here) of the unrefined session's map with the frame's
 * luma as the guide; the stats, normalised map and per-box depths follow the
 * refined map; the session's setting overrides the profile's, alone and as
 * the second model; errors at open name the problem. */
#include "parallel_test_util.h"
#include "vrt/vision.h"

#define W 640
#define H 480

static int refl(int i, int n) {
    int m = i % (2 * n);
    if (m < 0) m += 2 * n;
    return m < n ? m : 2 * n - 1 - m;
}

static void ref_box(const double *in, int r, double *out) {
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double s = 0;
            for (int j = -r; j <= r; j++)
                for (int i = -r; i <= r; i++)
                    s += in[refl(y + j, H) * W + refl(x + i, W)];
            out[y * W + x] = s / ((2 * r + 1) * (2 * r + 1));
        }
}

/* q = guided filter of p with guide I (He et al., algorithm 1). */
static void ref_guided(const double *I, const double *p, int r, double eps, double *q) {
    const size_t n = (size_t)W * H;
    double *b = malloc(n * 8 * sizeof(double));
    double *mI = b, *mp = b + n, *II = b + 2 * n, *Ip = b + 3 * n, *mII = b + 4 * n, *mIp = b + 5 * n,
           *A = b + 6 * n, *B = b + 7 * n;
    for (size_t i = 0; i < n; i++)
        II[i] = I[i] * I[i], Ip[i] = I[i] * p[i];
    ref_box(I, r, mI);
    ref_box(p, r, mp);
    ref_box(II, r, mII);
    ref_box(Ip, r, mIp);
    for (size_t i = 0; i < n; i++) {
        A[i] = (mIp[i] - mI[i] * mp[i]) / (mII[i] - mI[i] * mI[i] + eps);
        B[i] = mp[i] - A[i] * mI[i];
    }
    ref_box(A, r, mI);
    ref_box(B, r, mp);
    for (size_t i = 0; i < n; i++)
        q[i] = mI[i] * I[i] + mp[i];
    free(b);
}

/* The guide: the frame's luma / 255 of its RGB conversion. */
static void guide_of(const vrt_frame *f, double *I) {
    vrt_frame *rgb = NULL;
    char err[256];
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, W, H, &rgb));
    ASSERT_OK(vrt_image_convert(f, rgb, err, sizeof(err)));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint8_t *px = rgb->planes[0].data + (size_t)y * rgb->planes[0].stride + 3 * x;
            I[y * W + x] = ((77 * px[0] + 150 * px[1] + 29 * px[2] + 128) >> 8) / 255.0;
        }
    vrt_frame_unref(&rgb);
}

/* A depth result's raw map, tightly packed. */
static void raw_of(const vrt_result *r, float *out) {
    int w = 0, h = 0;
    size_t st = 0;
    const uint8_t *m = vrt_result_map(r, VRT_MAP_DEPTH_RAW, &w, &h, &st, NULL);
    ASSERT_TRUE(m && w == W && h == H);
    for (int y = 0; y < H; y++)
        memcpy(out + (size_t)y * W, m + (size_t)y * st, W * sizeof(float));
}

static vrt_session_t *open_depth(const vrt_profile *dp, const vrt_guided_params *refine) {
    char err[512];
    vrt_session_t *s = NULL;
    vrt_status st =
        pt_open_refined("cpu", pt_path(PT_DEPTH), dp, NULL, NULL, 1, refine, &s, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open: %s", err);
    return s;
}

static float g_plain[W * H], g_refined[W * H], g_other[W * H];
static double g_I[W * H], g_p[W * H], g_q[W * H];
static const vrt_guided_params k_refine = {4, 1e-3f};

TEST(refined_map_equals_reference) {
    vrt_profile dp;
    pt_depth_profile(&dp);
    vrt_session_t *plain = open_depth(&dp, NULL);
    dp.depth_refine = k_refine;
    vrt_session_t *refined = open_depth(&dp, NULL);
    vrt_frame *f = pt_frame(1);
    const vrt_result *r = NULL;
    ASSERT_OK(vrt_session_run(plain, f, &r));
    raw_of(r, g_plain);
    ASSERT_OK(vrt_session_run(refined, f, &r));
    raw_of(r, g_refined);
    guide_of(f, g_I);
    for (int i = 0; i < W * H; i++)
        g_p[i] = g_plain[i];
    ref_guided(g_I, g_p, k_refine.radius, k_refine.eps, g_q);
    float lo = INFINITY, hi = -INFINITY;
    double sum = 0, worst = 0, moved = 0;
    for (int i = 0; i < W * H; i++) {
        lo = fminf(lo, g_refined[i]), hi = fmaxf(hi, g_refined[i]), sum += g_refined[i];
        worst = fmax(worst, fabs(g_refined[i] - g_q[i]));
        moved = fmax(moved, fabs((double)g_refined[i] - g_plain[i]));
    }
    const double range = hi - lo;
    printf("  refined vs reference: worst %.3g (range %.3g); the filter moved pixels by up to %.3g\n", worst,
           range, moved);
    ASSERT_TRUE(range > 0);
    ASSERT_TRUE(worst <= 1e-5 * range);
    ASSERT_TRUE(moved >= 1e-3 * range); /* it did refine */
    /* The stats and the normalised map are the refined map's. */
    float st[3];
    ASSERT_OK(vrt_result_depth_stats(r, &st[0], &st[1], &st[2]));
    ASSERT_EQ(st[0], lo);
    ASSERT_EQ(st[1], hi);
    ASSERT_NEAR(st[2], sum / (W * H), 1e-6 * range);
    int w = 0, h = 0;
    size_t ns = 0;
    const uint8_t *nm = vrt_result_map(r, VRT_MAP_DEPTH, &w, &h, &ns, NULL);
    ASSERT_TRUE(nm != NULL);
    for (int y = 0; y < H; y += 37)
        for (int x = 0; x < W; x += 41)
            ASSERT_NEAR(((const float *)(nm + (size_t)y * ns))[x], (g_refined[y * W + x] - lo) / (hi - lo),
                        1e-6);
    vrt_frame_unref(&f);
    vrt_session_destroy(&plain);
    vrt_session_destroy(&refined);
}

/* The session's refine_depth overrides the profile's, alone and on the
 * second model; per-box depths are medians of the refined map. */
TEST(session_setting_alone_and_second) {
    vrt_profile dp, yp, dp4;
    pt_depth_profile(&dp);
    pt_yolo_profile(&yp);
    dp4 = dp;
    dp4.depth_refine.radius = 9; /* overridden below */
    vrt_frame *f = pt_frame(1);
    const vrt_result *r = NULL;
    vrt_session_t *s = open_depth(&dp4, &k_refine);
    ASSERT_OK(vrt_session_run(s, f, &r));
    raw_of(r, g_other);
    ASSERT_TRUE(memcmp(g_other, g_refined, sizeof(g_other)) == 0);
    vrt_session_destroy(&s);
    /* radius 0 in the session turns a profile's refinement off */
    const vrt_guided_params off = {0, 0.01f};
    s = open_depth(&dp4, &off);
    ASSERT_OK(vrt_session_run(s, f, &r));
    raw_of(r, g_other);
    ASSERT_TRUE(memcmp(g_other, g_plain, sizeof(g_other)) == 0);
    vrt_session_destroy(&s);
    /* the depth model second, after a detector */
    char err[512];
    ASSERT_OK(pt_open_refined("cpu", pt_path(PT_YOLO), &yp, pt_path(PT_DEPTH), &dp, 1, &k_refine, &s, err,
                              sizeof(err)));
    ASSERT_OK(vrt_session_run(s, f, &r));
    const vrt_result *dep = vrt_result_parallel(r);
    ASSERT_TRUE(dep != NULL);
    raw_of(dep, g_other);
    ASSERT_TRUE(memcmp(g_other, g_refined, sizeof(g_other)) == 0);
    int measured = 0;
    for (int i = 0; i < vrt_result_count(r); i++) {
        vrt_detection d;
        float raw = 0, norm = 0, want = 0, wn = 0;
        ASSERT_OK(vrt_result_detection(r, i, &d));
        if (!pt_box_median(dep, &d.box, &want, &wn)) continue;
        ASSERT_OK(vrt_result_object_depth(r, i, &raw, &norm));
        ASSERT_EQ(raw, want);
        measured++;
    }
    ASSERT_TRUE(measured >= 1);
    vrt_session_destroy(&s);
    vrt_frame_unref(&f);
}

TEST(refine_errors) {
    vrt_profile dp, yp;
    pt_depth_profile(&dp);
    pt_yolo_profile(&yp);
    char err[512] = "";
    vrt_session_t *s = NULL;
    /* the profile key on a detector */
    vrt_profile y = yp;
    y.depth_refine.radius = 4;
    ASSERT_STATUS(pt_open_refined("cpu", pt_path(PT_YOLO), &y, NULL, NULL, 1, NULL, &s, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "is for task depth");
    /* the session's setting with no depth model */
    ASSERT_STATUS(
        pt_open_refined("cpu", pt_path(PT_YOLO), &yp, NULL, NULL, 1, &k_refine, &s, err, sizeof(err)),
        VRT_EINVAL);
    ASSERT_CONTAINS(err, "no model of this session is a depth head");
    /* crop cuts the map */
    vrt_profile c = dp;
    c.pre.resize = VRT_RESIZE_CROP;
    ASSERT_STATUS(
        pt_open_refined("cpu", pt_path(PT_DEPTH), &c, NULL, NULL, 1, &k_refine, &s, err, sizeof(err)),
        VRT_EINVAL);
    ASSERT_CONTAINS(err, "crop");
    /* a bad eps */
    const vrt_guided_params bad = {4, 0.0f};
    ASSERT_STATUS(pt_open_refined("cpu", pt_path(PT_DEPTH), &dp, NULL, NULL, 1, &bad, &s, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "eps");
    ASSERT_TRUE(s == NULL);
}

int main(void) {
    VRT_RUN(refined_map_equals_reference);
    VRT_RUN(session_setting_alone_and_second);
    VRT_RUN(refine_errors);
    return vrt_test_finish();
}
