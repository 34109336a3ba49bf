/* Guided filter, CPU twin: against a straightforward reference (O(r^2) box
 * sums in double with the reflected border, written here), against
 * cv::ximgproc::guidedFilter on a tiny example (values printed by
 * opencv-contrib-python-headless 5.1 with guide = grey / 255), and its errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vrt/image.h"
#include "vrt/vision.h"

static uint64_t g_rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

static int refl(int i, int n) {
    int m = i % (2 * n);
    if (m < 0) m += 2 * n;
    return m < n ? m : 2 * n - 1 - m;
}

/* Box mean of a w x h double image over (2r+1)^2 reflected windows, O(r^2) per pixel. */
static void ref_box(const double *in, int w, int h, int r, double *out) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            for (int j = -r; j <= r; j++)
                for (int i = -r; i <= r; i++)
                    s += in[refl(y + j, h) * w + refl(x + i, w)];
            out[y * w + x] = s / ((2 * r + 1) * (2 * r + 1));
        }
}

/* He et al.'s algorithm 1 in double. */
static void ref_guided(const double *I, const double *p, int w, int h, int r, double eps, double *q) {
    size_t n = (size_t)w * h;
    double *b = malloc(n * 8 * sizeof(double));
    double *mI = b, *mp = b + n, *II = b + 2 * n, *Ip = b + 3 * n, *mII = b + 4 * n, *mIp = b + 5 * n,
           *A = b + 6 * n, *B = b + 7 * n;
    for (size_t i = 0; i < n; i++)
        II[i] = I[i] * I[i], Ip[i] = I[i] * p[i];
    ref_box(I, w, h, r, mI);
    ref_box(p, w, h, r, mp);
    ref_box(II, w, h, r, mII);
    ref_box(Ip, w, h, r, mIp);
    for (size_t i = 0; i < n; i++) {
        A[i] = (mIp[i] - mI[i] * mp[i]) / (mII[i] - mI[i] * mI[i] + eps);
        B[i] = mp[i] - A[i] * mI[i];
    }
    ref_box(A, w, h, r, mI);
    ref_box(B, w, h, r, mp);
    for (size_t i = 0; i < n; i++)
        q[i] = mI[i] * I[i] + mp[i];
    free(b);
}

/* The guide as the library defines it: luma of the RGB conversion / 255. */
static void guide_of(const vrt_frame *f, double *I) {
    vrt_frame *rgb = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, f->width, f->height, &rgb));
    char err[256];
    ASSERT_OK(vrt_image_convert(f, rgb, err, sizeof(err)));
    for (uint32_t y = 0; y < f->height; y++)
        for (uint32_t x = 0; x < f->width; x++) {
            const uint8_t *px = rgb->planes[0].data + y * rgb->planes[0].stride + 3 * x;
            I[y * f->width + x] = ((77 * px[0] + 150 * px[1] + 29 * px[2] + 128) >> 8) / 255.0;
        }
    vrt_frame_unref(&rgb);
}

static vrt_frame *random_frame(uint32_t fourcc, uint32_t w, uint32_t h) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(fourcc, w, h, &f));
    /* Smooth regions with edges, so that the filter has something to keep. */
    for (int p = 0; p < f->num_planes; p++)
        for (uint32_t i = 0; i < f->planes[p].size; i++)
            f->planes[p].data[i] = (uint8_t)((i / 7) % 3 == 0 ? rnd() : 40 + (i % 91));
    return f;
}

TEST(map_matches_reference) {
    char err[256];
    static const uint32_t fmts[] = {VRT_FMT_GREY, VRT_FMT_RGB24, VRT_FMT_YUYV, VRT_FMT_NV12};
    double worst = 0;
    for (int rep = 0; rep < 24; rep++) {
        uint32_t w = 2 * (1 + rnd() % 40), h = 2 * (1 + rnd() % 30);
        vrt_frame *f = random_frame(fmts[rep % 4], w, h);
        vrt_guided_params gp = {1 + (int)(rnd() % VRT_GUIDED_MAX_RADIUS), rep % 2 ? 0.01f : 0.001f};
        size_t n = (size_t)w * h, stride = w + rnd() % 5;
        double *I = malloc(n * sizeof(double)), *p = malloc(n * sizeof(double)),
               *q = malloc(n * sizeof(double));
        float *src = malloc(stride * h * sizeof(float)), *dst = malloc(stride * h * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            float v = (float)(rnd() % 1000) / 999.0f;
            src[(i / w) * stride + i % w] = v;
            p[i] = v;
        }
        guide_of(f, I);
        ref_guided(I, p, (int)w, (int)h, gp.radius, gp.eps, q);
        size_t ss = vrt_guided_scratch_size(w, h);
        void *scratch = malloc(ss);
        ASSERT_OK(vrt_guided_filter_map(f, src, stride, dst, stride, &gp, scratch, ss, err, sizeof(err)));
        for (size_t i = 0; i < n; i++) {
            double d = fabs(dst[(i / w) * stride + i % w] - q[i]);
            if (d > worst) worst = d;
            if (d > 2e-4)
                vrt_test_fail(__FILE__, __LINE__, "%ux%u r %d eps %g at %zu: %.7f, want %.7f", w, h,
                              gp.radius, (double)gp.eps, i, (double)dst[(i / w) * stride + i % w], q[i]);
        }
        /* In place. */
        ASSERT_OK(vrt_guided_filter_map(f, src, stride, src, stride, &gp, scratch, ss, err, sizeof(err)));
        ASSERT_TRUE(memcmp(src, dst, stride * h * sizeof(float)) == 0 || w != stride);
        free(scratch);
        free(I), free(p), free(q), free(src), free(dst);
        vrt_frame_unref(&f);
    }
    printf("  map: worst difference from the double reference %.3g\n", worst);
}

TEST(frame_matches_reference) {
    char err[256];
    uint32_t w = 64, h = 48;
    vrt_frame *f = random_frame(VRT_FMT_YUYV, w, h), *out = NULL, *rgb = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, w, h, &out));
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, w, h, &rgb));
    ASSERT_OK(vrt_image_convert(f, rgb, err, sizeof(err)));
    f->sequence = 42;
    vrt_guided_params gp;
    vrt_guided_default_params(&gp);
    ASSERT_EQ(gp.radius, 8);
    size_t n = (size_t)w * h, ss = vrt_guided_scratch_size(w, h);
    void *scratch = malloc(ss);
    ASSERT_OK(vrt_guided_filter_frame(f, &gp, out, scratch, ss, err, sizeof(err)));
    ASSERT_EQ(out->sequence, 42);
    double *I = malloc(n * sizeof(double)), *p = malloc(n * sizeof(double)), *q = malloc(n * sizeof(double));
    guide_of(f, I);
    int off = 0, changed = 0;
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < n; i++)
            p[i] = rgb->planes[0].data[(i / w) * rgb->planes[0].stride + (i % w) * 3 + c] / 255.0;
        ref_guided(I, p, (int)w, (int)h, gp.radius, gp.eps, q);
        for (size_t i = 0; i < n; i++) {
            double want = floor(q[i] * 255 + 0.5);
            want = want < 0 ? 0 : want > 255 ? 255 : want;
            uint8_t got = out->planes[0].data[(i / w) * out->planes[0].stride + (i % w) * 3 + c];
            ASSERT_TRUE(fabs(got - want) <= 1);
            off += got != want;
            changed += got != rgb->planes[0].data[(i / w) * rgb->planes[0].stride + (i % w) * 3 + c];
        }
    }
    /* Rounding ties may differ by one; the filter must have done something. */
    ASSERT_TRUE(off <= (int)(3 * n / 100));
    ASSERT_TRUE(changed > (int)n);
    free(I), free(p), free(q), free(scratch);
    vrt_frame_unref(&f);
    vrt_frame_unref(&out);
    vrt_frame_unref(&rgb);
}

static const uint8_t k_cv_guide[63] = {
    0,   29,  58, 87,  116, 145, 174, 203, 232, 53,  102, 151, 200, 249, 42,  91,  0,   49,  106, 175, 244,
    57,  242, 55, 124, 53,  122, 159, 248, 81,  30,  119, 68,  157, 106, 195, 212, 65,  34,  143, 112, 221,
    190, 159, 12, 9,   138, 127, 116, 245, 234, 223, 212, 85,  62,  211, 220, 229, 238, 247, 0,   9,   158};
static const float k_cv_r2_eps01[63] = {
    0.389172673f, 0.428880036f, 0.435269326f, 0.452552229f, 0.478640556f, 0.494810998f, 0.477960587f,
    0.424514145f, 0.363976866f, 0.437541425f, 0.486670732f, 0.530460954f, 0.579147518f, 0.590814233f,
    0.449481338f, 0.476504117f, 0.540215135f, 0.545233309f, 0.477568507f, 0.515539289f, 0.579615355f,
    0.434413165f, 0.570291042f, 0.460149646f, 0.484021515f, 0.510415852f, 0.486749679f, 0.470398039f,
    0.483038604f, 0.459722638f, 0.42799288f,  0.4830634f,   0.468871772f, 0.490173489f, 0.493461609f,
    0.448723942f, 0.487818837f, 0.455736011f, 0.437775522f, 0.492723107f, 0.480354816f, 0.517751753f,
    0.491266042f, 0.477574229f, 0.536875546f, 0.406381577f, 0.462854266f, 0.465348154f, 0.473780721f,
    0.517244518f, 0.517691851f, 0.498455793f, 0.47499302f,  0.496808589f, 0.423224032f, 0.447241575f,
    0.470529437f, 0.500275731f, 0.495956123f, 0.506293058f, 0.46248129f,  0.508430958f, 0.480576664f};
static const float k_cv_r1_eps001[63] = {
    0.258747339f, 0.419811428f, 0.467910379f, 0.438277721f, 0.418938071f, 0.492498964f, 0.479739487f,
    0.381437778f, 0.2444731f,   0.495204747f, 0.55913347f,  0.576643527f, 0.597700596f, 0.71524173f,
    0.321852922f, 0.446025938f, 0.586196721f, 0.609148383f, 0.561653256f, 0.514832556f, 0.549553216f,
    0.435193717f, 0.721061707f, 0.370440811f, 0.473806739f, 0.54554224f,  0.538100958f, 0.442572653f,
    0.387646437f, 0.527198613f, 0.473719984f, 0.504160404f, 0.3791596f,   0.488053679f, 0.488263279f,
    0.428561568f, 0.488613605f, 0.470993876f, 0.495747745f, 0.541197777f, 0.515322864f, 0.568644881f,
    0.471714914f, 0.427269101f, 0.659317255f, 0.317564189f, 0.451439202f, 0.47557804f,  0.535715759f,
    0.508007646f, 0.542569458f, 0.503068447f, 0.437186271f, 0.52311784f,  0.381386459f, 0.430901855f,
    0.39785105f,  0.467494249f, 0.491570324f, 0.525822639f, 0.341776103f, 0.523870409f, 0.480253965f};

TEST(matches_opencv_ximgproc) {
    char err[256];
    const uint32_t w = 9, h = 7;
    vrt_frame *g = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_GREY, w, h, &g));
    float src[63], dst[63];
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            g->planes[0].data[y * g->planes[0].stride + x] = k_cv_guide[y * w + x];
            src[y * w + x] = (float)((x * 13 + y * 7) % 17) / 16.0f;
        }
    size_t ss = vrt_guided_scratch_size(w, h);
    void *scratch = malloc(ss);
    vrt_guided_params gp = {2, 0.01f};
    ASSERT_OK(vrt_guided_filter_map(g, src, w, dst, w, &gp, scratch, ss, err, sizeof(err)));
    for (int i = 0; i < 63; i++)
        ASSERT_NEAR(dst[i], k_cv_r2_eps01[i], 2e-5);
    gp = (vrt_guided_params){1, 0.001f};
    ASSERT_OK(vrt_guided_filter_map(g, src, w, dst, w, &gp, scratch, ss, err, sizeof(err)));
    for (int i = 0; i < 63; i++)
        ASSERT_NEAR(dst[i], k_cv_r1_eps001[i], 1e-4);
    /* Errors name the field. */
    gp.radius = 0;
    ASSERT_STATUS(vrt_guided_filter_map(g, src, w, dst, w, &gp, scratch, ss, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "radius 0");
    gp = (vrt_guided_params){2, 0.0f};
    ASSERT_STATUS(vrt_guided_check(&gp, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "eps");
    gp.eps = 0.01f;
    ASSERT_STATUS(vrt_guided_filter_map(g, src, w, dst, w, &gp, scratch, ss - 1, err, sizeof(err)),
                  VRT_EINVAL);
    ASSERT_CONTAINS(err, "scratch");
    ASSERT_STATUS(vrt_guided_filter_map(g, src, w - 1, dst, w, &gp, scratch, ss, err, sizeof(err)),
                  VRT_EINVAL);
    vrt_frame *bad = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_GREY, w, h, &bad));
    ASSERT_STATUS(vrt_guided_filter_frame(g, &gp, bad, scratch, ss, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "RGB24");
    vrt_frame_unref(&bad);
    vrt_frame_unref(&g);
    free(scratch);
}

int main(void) {
    VRT_RUN(map_matches_reference);
    VRT_RUN(frame_matches_reference);
    VRT_RUN(matches_opencv_ximgproc);
    return vrt_test_finish();
}
