/* Pre-processing against an independent naive implementation (double
 * precision, geometry computed here from the recipes' own formulas, pixels
 * converted by vrt_image_convert), and against the reference network inputs
 * shipped with the models (input_0.pb). */
#include "harness.h"
#include "model/dtype.h"
#include "model/ir.h"
#include "vrt/image.h"
#include "vrt/profile.h"
#include "vrt/vision.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

static vrt_frame *random_frame(uint32_t fourcc, uint32_t w, uint32_t h) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(fourcc, w, h, &f));
    for (int p = 0; p < f->num_planes; p++)
        for (uint32_t i = 0; i < f->planes[p].size; i++)
            f->planes[p].data[i] = (uint8_t)rnd();
    return f;
}

/* Python's round() (half to even) of d / 2 for an integer d. */
static long half_even_div2(long d) {
    long q = d >= 0 ? d / 2 : -((-d + 1) / 2); /* floor(d / 2) */
    if (d % 2 == 0) return q;
    return (q % 2 == 0) ? q : q + 1;
}

/* a / b truncated, or rounded half to even, in exact integer arithmetic. */
static long div_round(long a, long b, int round) {
    long q = a / b, r = a % b;
    if (round && (2 * r > b || (2 * r == b && (q & 1)))) q++;
    return q;
}

typedef struct ref_geom {
    long rw, rh, offx, offy;
} ref_geom;

static ref_geom ref_geometry(const vrt_preprocess_params *p, long w, long h) {
    ref_geom g = {0, 0, 0, 0};
    long W = p->width, H = p->height;
    if (p->resize == VRT_RESIZE_STRETCH) {
        g.rw = W, g.rh = H;
    } else if (p->resize == VRT_RESIZE_CROP) {
        long S = p->resize_shorter ? p->resize_shorter : (W > H ? W : H);
        if (w <= h)
            g.rw = S, g.rh = div_round(S * h, w, p->round_size);
        else
            g.rh = S, g.rw = div_round(S * w, h, p->round_size);
        g.offx = -half_even_div2(g.rw - W);
        g.offy = -half_even_div2(g.rh - H);
    } else {
        double r = (double)W / w < (double)H / h ? (double)W / w : (double)H / h;
        g.rw = (long)(p->round_size ? nearbyint(w * r) : w * r);
        g.rh = (long)(p->round_size ? nearbyint(h * r) : h * r);
        if (p->placement == VRT_PLACE_CENTER) g.offx = (W - g.rw) / 2, g.offy = (H - g.rh) / 2;
    }
    return g;
}

/* Naive reference: region of an RGB24 frame -> doubles [c][y][x] in output channel order. */
static void ref_pre(const vrt_frame *rgb, long rx, long ry, long sw, long sh, const vrt_preprocess_params *p,
                    double *out) {
    ref_geom g = ref_geometry(p, sw, sh);
    long W = p->width, H = p->height;
    for (long oy = 0; oy < H; oy++)
        for (long ox = 0; ox < W; ox++) {
            double v[3];
            long xx = ox - g.offx, yy = oy - g.offy;
            if (xx < 0 || yy < 0 || xx >= g.rw || yy >= g.rh) {
                v[0] = v[1] = v[2] = p->pad_value;
            } else {
                double sx = (xx + 0.5) * sw / g.rw - 0.5, sy = (yy + 0.5) * sh / g.rh - 0.5;
                sx = sx < 0 ? 0 : sx > sw - 1 ? sw - 1 : sx;
                sy = sy < 0 ? 0 : sy > sh - 1 ? sh - 1 : sy;
                long x0 = (long)floor(sx), y0 = (long)floor(sy);
                long x1 = x0 + 1 < sw ? x0 + 1 : sw - 1, y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
                double fx = sx - x0, fy = sy - y0;
                for (int c = 0; c < 3; c++) {
#define PX(x, y)                                                                                             \
    ((double)rgb->planes[0].data[(size_t)(ry + (y)) * rgb->planes[0].stride + 3 * (size_t)(rx + (x)) + c])
                    v[c] = (1 - fy) * ((1 - fx) * PX(x0, y0) + fx * PX(x1, y0)) +
                           fy * ((1 - fx) * PX(x0, y1) + fx * PX(x1, y1));
#undef PX
                }
            }
            for (int c = 0; c < 3; c++) {
                double x = v[p->color == VRT_COLOR_RGB ? c : 2 - c];
                out[((size_t)c * H + oy) * W + ox] = (x * p->scale - p->mean[c]) / p->std[c];
            }
        }
}

static double out_at(const vrt_preprocess_params *p, const void *buf, int c, long y, long x) {
    size_t pix = (size_t)y * p->width + x;
    size_t idx = p->layout == VRT_LAYOUT_NCHW ? (size_t)c * p->width * p->height + pix : pix * 3 + c;
    if (p->dtype == VRT_TENSOR_F16) return vrt__half_to_float(((const uint16_t *)buf)[idx]);
    return ((const float *)buf)[idx];
}

/* Compares one image; tolerance: 0.01 pixel levels through the normalisation, plus fp16 rounding. */
static void compare(const vrt_preprocess_params *p, const void *buf, const double *ref, const char *what) {
    double k = 0;
    for (int c = 0; c < 3; c++)
        k = fmax(k, fabs(p->scale / p->std[c]));
    double worst = 0;
    for (int c = 0; c < 3; c++)
        for (long y = 0; y < (long)p->height; y++)
            for (long x = 0; x < (long)p->width; x++) {
                double r = ref[((size_t)c * p->height + y) * p->width + x];
                double tol = 0.01 * k + 1e-6 + (p->dtype == VRT_TENSOR_F16 ? fabs(r) / 1024.0 + 6e-8 : 0);
                double d = fabs(out_at(p, buf, c, y, x) - r);
                if (d > tol) {
                    vrt_test_fail(__FILE__, __LINE__, "%s: c%d (%ld,%ld): got %.6f want %.6f", what, c, x, y,
                                  out_at(p, buf, c, y, x), r);
                    return;
                }
                worst = fmax(worst, d);
            }
}

static vrt_frame *to_rgb24(const vrt_frame *f) {
    vrt_frame *rgb = NULL;
    char err[256];
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, f->width, f->height, &rgb));
    ASSERT_OK(vrt_image_convert(f, rgb, err, sizeof(err)));
    return rgb;
}

TEST(geometry_matches_recipes) {
    vrt_preprocess_params p;
    vrt_preprocess_geometry g;
    char err[256];
    vrt_preprocess_default_params(&p);
    p.resize = VRT_RESIZE_CROP;
    p.resize_shorter = 256;
    /* torchvision: Resize(256) of 500x375 -> 341x256; CenterCrop offset round(58.5) = 58. */
    ASSERT_OK(vrt_preprocess_geometry_for(&p, 500, 375, &g, err, sizeof(err)));
    ASSERT_EQ(g.resized_w, 341);
    ASSERT_EQ(g.resized_h, 256);
    ASSERT_EQ(g.off_x, -58);
    ASSERT_EQ(g.off_y, -16);
    /* 119 extra pixels: round(59.5) = 60 (half to even). */
    ASSERT_OK(vrt_preprocess_geometry_for(&p, 256, 343 * 256 / 256, &g, err, sizeof(err)));
    ASSERT_EQ(g.resized_h, 343);
    ASSERT_EQ(g.off_y, -60);
    /* Rounded long side (the SqueezeNet reference): 500x386 -> 332x256, crop at 54. */
    p.round_size = 1;
    ASSERT_OK(vrt_preprocess_geometry_for(&p, 500, 386, &g, err, sizeof(err)));
    ASSERT_EQ(g.resized_w, 332);
    ASSERT_EQ(g.off_x, -54);
    p.round_size = 0;
    ASSERT_OK(vrt_preprocess_geometry_for(&p, 500, 386, &g, err, sizeof(err)));
    ASSERT_EQ(g.resized_w, 331);
    /* YOLOX on 768x576: r = 416/768, 416x312, top-left. */
    p.width = p.height = 416;
    p.resize = VRT_RESIZE_LETTERBOX;
    ASSERT_OK(vrt_preprocess_geometry_for(&p, 768, 576, &g, err, sizeof(err)));
    ASSERT_EQ(g.resized_w, 416);
    ASSERT_EQ(g.resized_h, 312);
    ASSERT_EQ(g.off_x, 0);
    ASSERT_NEAR(g.scale_x, 416.0 / 768.0, 1e-12);
    p.placement = VRT_PLACE_CENTER;
    ASSERT_OK(vrt_preprocess_geometry_for(&p, 768, 576, &g, err, sizeof(err)));
    ASSERT_EQ(g.off_y, 52);
    ASSERT_NEAR(g.offset_y, 52, 0);
}

TEST(every_format_mode_layout_matches_naive) {
    const uint32_t fmts[] = {VRT_FMT_YUYV,  VRT_FMT_UYVY,  VRT_FMT_NV12,
                             VRT_FMT_RGB24, VRT_FMT_BGR24, VRT_FMT_GREY};
    /* Odd sizes where the format allows them; up- and down-scaling. */
    const uint32_t sizes[][2] = {{37, 23}, {64, 97}, {18, 10}, {150, 41}};
    char err[256];
    int cases = 0;
    for (size_t fi = 0; fi < sizeof(fmts) / sizeof(fmts[0]); fi++)
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
            for (int mode = 0; mode < 4; mode++) {
                uint32_t w = sizes[si][0], h = sizes[si][1];
                if (fmts[fi] == VRT_FMT_YUYV || fmts[fi] == VRT_FMT_UYVY || fmts[fi] == VRT_FMT_NV12)
                    w &= ~1u;
                if (fmts[fi] == VRT_FMT_NV12) h &= ~1u;
                vrt_frame *f = random_frame(fmts[fi], w, h);
                vrt_frame *rgb = to_rgb24(f);
                vrt_preprocess_params p;
                vrt_preprocess_default_params(&p);
                p.width = 29 + (uint32_t)(rnd() % 20);
                p.height = 17 + (uint32_t)(rnd() % 30);
                p.resize = mode == 3 ? VRT_RESIZE_LETTERBOX : (vrt_resize_mode)mode;
                p.placement = mode == 3 ? VRT_PLACE_CENTER : VRT_PLACE_TOP_LEFT;
                p.resize_shorter = (mode == 1 && si % 2) ? p.width + 7 : 0;
                p.pad_value = 114;
                p.round_size = (int)(rnd() & 1);
                p.color = (rnd() & 1) ? VRT_COLOR_BGR : VRT_COLOR_RGB;
                p.layout = (rnd() & 1) ? VRT_LAYOUT_NHWC : VRT_LAYOUT_NCHW;
                p.dtype = (rnd() & 1) ? VRT_TENSOR_F16 : VRT_TENSOR_F32;
                p.scale = 1.0f / 255.0f;
                const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
                memcpy(p.mean, mean, sizeof(mean));
                memcpy(p.std, sd, sizeof(sd));
                size_t n = vrt_preprocess_output_size(&p);
                void *buf = malloc(n);
                double *ref = malloc(sizeof(double) * 3 * p.width * p.height);
                vrt_preprocess_geometry g;
                ASSERT_OK(vrt_preprocess_frame(f, &p, buf, n, &g, err, sizeof(err)));
                ref_geom rg = ref_geometry(&p, w, h);
                ASSERT_EQ(g.resized_w, rg.rw);
                ASSERT_EQ(g.resized_h, rg.rh);
                ASSERT_EQ(g.off_x, rg.offx);
                ASSERT_EQ(g.off_y, rg.offy);
                ref_pre(rgb, 0, 0, w, h, &p, ref);
                char what[96];
                char nb[8];
                snprintf(what, sizeof(what), "%s %ux%u -> %ux%u mode %d", vrt_fourcc_name(fmts[fi], nb), w, h,
                         p.width, p.height, mode);
                compare(&p, buf, ref, what);
                free(buf);
                free(ref);
                vrt_frame_unref(&rgb);
                vrt_frame_unref(&f);
                cases++;
            }
    ASSERT_EQ(cases, 96);
}

/* Padded strides (as V4L2 drivers give) must be honoured. */
TEST(padded_strides) {
    char err[256];
    for (int k = 0; k < 2; k++) {
        uint32_t fmt = k ? VRT_FMT_NV12 : VRT_FMT_BGR24;
        uint32_t w = 30, h = 20, stride = k ? 48 : 96;
        vrt_frame *tight = random_frame(fmt, w, h);
        uint8_t *mem = calloc(1, (size_t)stride * h * 2);
        vrt_frame f = *tight;
        f.planes[0].data = mem;
        f.planes[0].stride = stride;
        for (uint32_t y = 0; y < h; y++)
            memcpy(mem + (size_t)y * stride, tight->planes[0].data + (size_t)y * tight->planes[0].stride,
                   k ? w : 3 * w);
        if (k) {
            f.planes[1].data = mem + (size_t)stride * h;
            f.planes[1].stride = stride;
            for (uint32_t y = 0; y < h / 2; y++)
                memcpy(f.planes[1].data + (size_t)y * stride,
                       tight->planes[1].data + (size_t)y * tight->planes[1].stride, w);
        }
        vrt_preprocess_params p;
        vrt_preprocess_default_params(&p);
        p.width = 17;
        p.height = 13;
        p.resize = VRT_RESIZE_LETTERBOX;
        size_t n = vrt_preprocess_output_size(&p);
        float *a = malloc(n), *b = malloc(n);
        ASSERT_OK(vrt_preprocess_frame(tight, &p, a, n, NULL, err, sizeof(err)));
        ASSERT_OK(vrt_preprocess_frame(&f, &p, b, n, NULL, err, sizeof(err)));
        ASSERT_TRUE(memcmp(a, b, n) == 0);
        free(a);
        free(b);
        free(mem);
        vrt_frame_unref(&tight);
    }
}

TEST(roi_batch_matches_naive_and_crop) {
    char err[256];
    vrt_frame *f = random_frame(VRT_FMT_YUYV, 96, 71);
    vrt_frame *rgb = to_rgb24(f);
    vrt_box boxes[4] = {{10.3f, 5.0f, 41.0f, 30.2f}, {-5, -5, 20, 12}, {61, 40, 200, 300}, {0, 0, 96, 71}};
    vrt_preprocess_params p;
    vrt_preprocess_default_params(&p);
    p.width = 24;
    p.height = 20;
    p.resize = VRT_RESIZE_LETTERBOX;
    p.placement = VRT_PLACE_CENTER;
    p.pad_value = 7;
    p.mean[0] = 10;
    p.std[2] = 2;
    size_t one = vrt_preprocess_output_size(&p);
    uint8_t *buf = malloc(one * 4);
    vrt_preprocess_geometry g[4];
    ASSERT_OK(vrt_preprocess_rois(f, boxes, 4, &p, buf, one * 4, g, err, sizeof(err)));
    const long want[4][4] = {{10, 5, 31, 26}, {0, 0, 20, 12}, {61, 40, 35, 31}, {0, 0, 96, 71}};
    double *ref = malloc(sizeof(double) * 3 * p.width * p.height);
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(g[i].roi_x, want[i][0]);
        ASSERT_EQ(g[i].roi_y, want[i][1]);
        ASSERT_EQ(g[i].roi_w, want[i][2]);
        ASSERT_EQ(g[i].roi_h, want[i][3]);
        ref_pre(rgb, want[i][0], want[i][1], want[i][2], want[i][3], &p, ref);
        compare(&p, buf + one * i, ref, "roi");
    }
    /* The whole-frame ROI equals the frame path bit for bit. */
    float *full = malloc(one);
    ASSERT_OK(vrt_preprocess_frame(f, &p, full, one, NULL, err, sizeof(err)));
    ASSERT_TRUE(memcmp(full, buf + 3 * one, one) == 0);
    /* A box outside the frame is refused, naming it. */
    vrt_box bad[2] = {{0, 0, 10, 10}, {200, 200, 300, 300}};
    ASSERT_STATUS(vrt_preprocess_rois(f, bad, 2, &p, buf, one * 4, NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "ROI 1");
    ASSERT_STATUS(vrt_preprocess_rois(f, boxes, 4, &p, buf, one * 3, NULL, err, sizeof(err)), VRT_EINVAL);
    free(full);
    free(ref);
    free(buf);
    vrt_frame_unref(&rgb);
    vrt_frame_unref(&f);
}

TEST(no_allocation_and_errors) {
    char err[256];
    vrt_frame *f = random_frame(VRT_FMT_NV12, 64, 48);
    vrt_preprocess_params p;
    vrt_preprocess_default_params(&p);
    p.width = p.height = 32;
    p.resize = VRT_RESIZE_CROP;
    size_t n = vrt_preprocess_output_size(&p);
    ASSERT_EQ(n, 32 * 32 * 3 * 4);
    float *buf = malloc(n);
    vrt_box b = {1, 1, 20, 20};
    vrt_alloc_counting_begin();
    ASSERT_OK(vrt_preprocess_frame(f, &p, buf, n, NULL, err, sizeof(err)));
    ASSERT_OK(vrt_preprocess_rois(f, &b, 1, &p, buf, n, NULL, err, sizeof(err)));
    vrt_alloc_stats s = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_EQ(s.allocs, 0);
    ASSERT_STATUS(vrt_preprocess_frame(f, &p, buf, n - 1, NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "needs");
    p.std[1] = 0;
    ASSERT_STATUS(vrt_preprocess_frame(f, &p, buf, n, NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "std");
    vrt_preprocess_default_params(&p);
    vrt_frame j = *f;
    j.fourcc = VRT_FMT_MJPEG;
    ASSERT_STATUS(vrt_preprocess_frame(&j, &p, buf, n * 4, NULL, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "MJPEG");
    free(buf);
    vrt_frame_unref(&f);
}

/* The reference network inputs: decode the image named in expected.json, run the
 * shipped profile, compare with input_0.pb. The references were made with
 * cv2.imread + cv2.resize (8-bit result, 11-bit fixed-point weights), we keep
 * the bilinear value in float: per element that differs by at most 0.5 (8-bit
 * rounding) + ~0.25 (weight quantisation over a step of up to 255/2048*2), plus
 * fp16 rounding (<= 0.0625 at |v| < 128). Both use libjpeg-turbo's default
 * decoder, so no JPEG difference is expected. Bounds: mean |diff| <= 0.35 and
 * max <= 1.0 pixel levels (measured: mean 0.14-0.27, max 0.77). A geometry
 * error (one pixel of crop or resize) gives a mean of several levels. */
static void check_reference(const char *profile, const char *set_dir, const char *image, double mean_tol,
                            double max_tol) {
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/models/%s", VRT_SOURCE_DIR, profile);
    vrt_profile prof;
    ASSERT_OK(vrt_profile_load(path, &prof, err, sizeof(err)));
    char rel[512];
    snprintf(rel, sizeof(rel), "%s/input_0.pb", set_dir);
    const char *pb = vrt_test_data_or_skip(rel);
    const char *img = vrt_test_data_or_skip(image);
    vrt__tensor t;
    memset(&t, 0, sizeof(t));
    ASSERT_OK(vrt__tensor_load_pb(pb, &t, err, sizeof(err)));
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_load(img, VRT_FMT_BGR24, &f, err, sizeof(err)));
    size_t n = vrt_preprocess_output_size(&prof.pre);
    ASSERT_EQ(t.nbytes, n);
    ASSERT_EQ(t.dtype, prof.pre.dtype == VRT_TENSOR_F16 ? VRT__DT_FLOAT16 : VRT__DT_FLOAT);
    void *buf = malloc(n);
    ASSERT_OK(vrt_preprocess_frame(f, &prof.pre, buf, n, NULL, err, sizeof(err)));
    size_t cnt = n / (prof.pre.dtype == VRT_TENSOR_F16 ? 2 : 4);
    double sum = 0, mx = 0;
    for (size_t i = 0; i < cnt; i++) {
        double a, b;
        if (prof.pre.dtype == VRT_TENSOR_F16) {
            a = vrt__half_to_float(((uint16_t *)buf)[i]);
            b = vrt__half_to_float(((uint16_t *)t.data)[i]);
        } else {
            a = ((float *)buf)[i];
            b = ((float *)t.data)[i];
        }
        double d = fabs(a - b);
        sum += d;
        if (d > mx) mx = d;
    }
    printf("  %s %s: mean |diff| %.4f, max %.4f (pixel levels)\n", profile, image, sum / cnt, mx);
    ASSERT_TRUE(sum / cnt <= mean_tol);
    ASSERT_TRUE(mx <= max_tol);
    free(buf);
    vrt_frame_unref(&f);
    vrt__tensor_free(&t);
}

TEST(squeezenet_reference_inputs) {
    check_reference("squeezenet.conf", "models/squeezenet1.0_fp16/test_data_set_0", "images/jetson/dog_2.jpg",
                    0.35, 1.0);
    check_reference("squeezenet.conf", "models/squeezenet1.0_fp16/test_data_set_1",
                    "images/winml/kitten_224.png", 0.35, 1.0);
    check_reference("squeezenet.conf", "models/squeezenet1.0_fp16/test_data_set_2",
                    "images/jetson/polar_bear.jpg", 0.35, 1.0);
    check_reference("squeezenet.conf", "models/squeezenet1.0_fp16/test_data_set_3",
                    "images/jetson/granny_smith_0.jpg", 0.35, 1.0);
}

TEST(yolox_reference_inputs) {
    check_reference("yolox.conf", "models/yolox_nano/test_data_set_0", "images/darknet/dog.jpg", 0.35, 1.0);
    check_reference("yolox.conf", "models/yolox_nano/test_data_set_1", "images/coco_val2017/000000005037.jpg",
                    0.35, 1.0);
    check_reference("yolox.conf", "models/yolox_nano/test_data_set_2", "images/jetson/peds_0.jpg", 0.35, 1.0);
}

/* ---- INTER_AREA ------------------------------------------------------------------- */

/* OpenCV's computeResizeAreaTab written out for one axis: w[k] for source k
 * of output d (dense, n entries), in double. */
static void ref_area_weights(int d, int n, double scale, double *w) {
    for (int k = 0; k < n; k++)
        w[k] = 0;
    double fsx1 = d * scale, fsx2 = fsx1 + scale;
    double cell = scale < n - fsx1 ? scale : n - fsx1;
    int sx1 = (int)ceil(fsx1), sx2 = (int)floor(fsx2);
    if (sx2 > n - 1) sx2 = n - 1;
    if (sx1 > sx2) sx1 = sx2;
    if (sx1 - fsx1 > 1e-3) w[sx1 - 1] = (sx1 - fsx1) / cell;
    for (int k = sx1; k < sx2; k++)
        w[k] = 1.0 / cell;
    if (fsx2 - sx2 > 1e-3) {
        double t = fsx2 - sx2 < 1.0 ? fsx2 - sx2 : 1.0;
        w[sx2] = (t < cell ? t : cell) / cell;
    }
}

/* cv::resize INTER_AREA of an RGB24 image to W x H, in double: area
 * averages when shrinking, bilinear with the area coefficients otherwise. */
static void ref_area_resize(const uint8_t *src, int w, int h, int W, int H, double *out) {
    double sx = 1.0 / ((double)W / w), sy = 1.0 / ((double)H / h);
    double *wx = calloc((size_t)w, sizeof(double)), *wy = calloc((size_t)h, sizeof(double));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            if (sx >= 1 && sy >= 1) {
                ref_area_weights(x, w, sx, wx);
                ref_area_weights(y, h, sy, wy);
            } else {
                int axes[2] = {x, y}, ns[2] = {w, h};
                double sc[2] = {sx, sy}, *ws[2] = {wx, wy};
                for (int a = 0; a < 2; a++) {
                    for (int k = 0; k < ns[a]; k++)
                        ws[a][k] = 0;
                    int i0 = (int)floor(axes[a] * sc[a]);
                    /* OpenCV rounds this coefficient to float before taking its fraction. */
                    double inv = a ? (double)H / h : (double)W / w;
                    double f = (float)((axes[a] + 1) - (i0 + 1) * inv);
                    f = f <= 0 ? 0 : f - floor(f);
                    if (i0 >= ns[a] - 1) i0 = ns[a] - 1, f = 0;
                    ws[a][i0] += 1 - f;
                    ws[a][i0 + 1 < ns[a] ? i0 + 1 : ns[a] - 1] += f;
                }
            }
            for (int c = 0; c < 3; c++) {
                double v = 0;
                for (int j = 0; j < h; j++)
                    for (int i = 0; i < w; i++)
                        v += wy[j] * wx[i] * src[((size_t)j * w + i) * 3 + c];
                out[((size_t)y * W + x) * 3 + c] = v;
            }
        }
    free(wx);
    free(wy);
}

/* An RGB24 frame with pixel (x, y, c) = (37 x + 11 y + 5 c) mod 256. */
static vrt_frame *pattern_frame(uint32_t w, uint32_t h) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, w, h, &f));
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                f->planes[0].data[y * f->planes[0].stride + x * 3 + (uint32_t)c] =
                    (uint8_t)((37 * x + 11 * y + 5 * (uint32_t)c) % 256);
    return f;
}

static void area_params(vrt_preprocess_params *p, uint32_t W, uint32_t H) {
    vrt_preprocess_default_params(p);
    p->width = W;
    p->height = H;
    p->layout = VRT_LAYOUT_NHWC;
    p->interp = VRT_INTERP_AREA;
}

/* cv2.resize(img.astype(float32), (W, H), interpolation=cv2.INTER_AREA) of
 * pattern_frame, printed by opencv-contrib-python-headless 5.1. */
static const float k_cv_7x5_3x2[] = {35.2285728f, 40.2285728f, 45.2285728f, 119.799995f, 124.800003f,
                                     129.800003f, 204.371429f, 209.371429f, 214.371429f, 61.6285782f,
                                     66.6285782f, 71.6285706f, 146.200012f, 151.200012f, 156.200012f,
                                     186.885727f, 148.0f,      153.0f};
static const float k_cv_8x6_4x3[] = {24, 29, 34, 98,  103, 108, 172, 177, 182, 118, 123, 128,
                                     46, 51, 56, 120, 125, 130, 194, 199, 204, 140, 81,  86,
                                     68, 73, 78, 142, 147, 152, 216, 221, 226, 34,  39,  44};
static const float k_cv_3x2_7x5_row2[] = {5.5f,        10.5f,       15.5f,       5.5f,  10.5f, 15.5f,
                                          30.1666679f, 35.1666679f, 40.1666679f, 42.5f, 47.5f, 52.5f,
                                          54.8333359f, 59.8333282f, 64.8333282f, 79.5f, 84.5f, 89.5f,
                                          79.5f,       84.5f,       89.5f};
static const float k_cv_7x5_9x4_row1[] = {
    15.4000006f, 20.4000015f, 25.4000015f, 41.8285675f, 46.8285751f, 51.8285751f, 68.2571411f,
    73.2571411f, 78.2571487f, 94.6857224f, 99.6857224f, 104.68573f,  126.400009f, 131.400009f,
    136.400009f, 158.114288f, 163.114288f, 168.114304f, 184.542862f, 189.542862f, 194.542862f,
    210.971451f, 215.971436f, 220.971451f, 237.399994f, 242.399994f, 247.399994f};

static void check_cv(uint32_t w, uint32_t h, uint32_t W, uint32_t H, uint32_t row, const float *want,
                     size_t n) {
    char err[256];
    vrt_frame *f = pattern_frame(w, h);
    vrt_preprocess_params p;
    area_params(&p, W, H);
    float *out = malloc(vrt_preprocess_output_size(&p));
    ASSERT_OK(vrt_preprocess_frame(f, &p, out, vrt_preprocess_output_size(&p), NULL, err, sizeof(err)));
    for (size_t i = 0; i < n; i++)
        ASSERT_NEAR(out[(size_t)row * W * 3 + i], want[i], 2e-4 * (1 + fabs(want[i])));
    free(out);
    vrt_frame_unref(&f);
}

TEST(area_matches_opencv) {
    check_cv(7, 5, 3, 2, 0, k_cv_7x5_3x2, 18);      /* fractional shrink */
    check_cv(8, 6, 4, 3, 0, k_cv_8x6_4x3, 36);      /* integer shrink */
    check_cv(3, 2, 7, 5, 2, k_cv_3x2_7x5_row2, 21); /* both axes grow */
    check_cv(7, 5, 9, 4, 1, k_cv_7x5_9x4_row1, 27); /* x grows, y shrinks */
    /* Random sizes against the written-out table, every mode. */
    char err[256];
    for (int rep = 0; rep < 40; rep++) {
        uint32_t w = 1 + rnd() % 90, h = 1 + rnd() % 70;
        vrt_frame *f = random_frame(VRT_FMT_RGB24, w, h);
        vrt_preprocess_params p;
        area_params(&p, 1 + rnd() % 64, 1 + rnd() % 64);
        p.resize = (vrt_resize_mode)(rnd() % 3);
        vrt_preprocess_geometry g;
        size_t sz = vrt_preprocess_output_size(&p);
        float *out = malloc(sz);
        ASSERT_OK(vrt_preprocess_frame(f, &p, out, sz, &g, err, sizeof(err)));
        uint8_t *tight = malloc((size_t)w * h * 3);
        for (uint32_t y = 0; y < h; y++)
            memcpy(tight + (size_t)y * w * 3, f->planes[0].data + (size_t)y * f->planes[0].stride,
                   (size_t)w * 3);
        double *ref = malloc((size_t)g.resized_w * g.resized_h * 3 * sizeof(double));
        ref_area_resize(tight, (int)w, (int)h, (int)g.resized_w, (int)g.resized_h, ref);
        for (uint32_t oy = 0; oy < p.height; oy++)
            for (uint32_t ox = 0; ox < p.width; ox++) {
                long xx = (long)ox - g.off_x, yy = (long)oy - g.off_y;
                for (int c = 0; c < 3; c++) {
                    double want = xx < 0 || yy < 0 || xx >= (long)g.resized_w || yy >= (long)g.resized_h
                                      ? 0.0
                                      : ref[((size_t)yy * g.resized_w + (size_t)xx) * 3 + (size_t)c];
                    double got = out[((size_t)oy * p.width + ox) * 3 + (size_t)c];
                    if (fabs(got - want) > 2e-3)
                        vrt_test_fail(__FILE__, __LINE__,
                                      "%ux%u -> %ux%u (mode %d) at %u,%u,%d: %.6f, want %.6f", w, h,
                                      g.resized_w, g.resized_h, (int)p.resize, ox, oy, c, got, want);
                }
            }
        free(ref);
        free(tight);
        free(out);
        vrt_frame_unref(&f);
    }
    vrt_preprocess_params p;
    area_params(&p, 4, 4);
    p.interp = (vrt_interp)7;
    ASSERT_STATUS(vrt_preprocess_check(&p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "interpolation");
}

int main(void) {
    VRT_RUN(geometry_matches_recipes);
    VRT_RUN(every_format_mode_layout_matches_naive);
    VRT_RUN(padded_strides);
    VRT_RUN(roi_batch_matches_naive_and_crop);
    VRT_RUN(no_allocation_and_errors);
    VRT_RUN(squeezenet_reference_inputs);
    VRT_RUN(yolox_reference_inputs);
    VRT_RUN(area_matches_opencv);
    return vrt_test_finish();
}
