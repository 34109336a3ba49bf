/* CPU reference conversion: known colours against BT.601 in floating point
 * (computed here, independently of the fixed-point code), round trips,
 * YUV <-> YUV chroma handling, strides with padding, MJPEG sources. */
#include "harness.h"
#include "vrt/image.h"

static const uint32_t k_raw[] = {VRT_FMT_YUYV,  VRT_FMT_UYVY,  VRT_FMT_NV12,
                                 VRT_FMT_RGB24, VRT_FMT_BGR24, VRT_FMT_GREY};
#define NRAW (int)(sizeof(k_raw) / sizeof(k_raw[0]))

static uint32_t g_rng = 12345;
static uint32_t rnd(void) {
    g_rng = g_rng * 1664525u + 1013904223u;
    return g_rng >> 8;
}

static double clampd(double v) {
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* BT.601 limited range from the definition: Kr = 0.299, Kb = 0.114. */
static void ref_yuv(double r, double g, double b, double *y, double *u, double *v) {
    const double kr = 0.299, kb = 0.114, kg = 1 - kr - kb;
    double ey = kr * r + kg * g + kb * b; /* 0..255 */
    *y = 16 + 219.0 * ey / 255.0;
    *u = 128 + 224.0 * (b - ey) / (2 * (1 - kb)) / 255.0;
    *v = 128 + 224.0 * (r - ey) / (2 * (1 - kr)) / 255.0;
}
static void ref_rgb(double y, double u, double v, double *r, double *g, double *b) {
    const double kr = 0.299, kb = 0.114, kg = 1 - kr - kb;
    double ey = (y - 16) * 255.0 / 219.0;
    double pb = (u - 128) * 255.0 / 224.0, pr = (v - 128) * 255.0 / 224.0;
    *r = clampd(ey + 2 * (1 - kr) * pr);
    *b = clampd(ey + 2 * (1 - kb) * pb);
    /* G from the unclamped R and B: the inverse is linear before clamping. */
    double ru = ey + 2 * (1 - kr) * pr, bu = ey + 2 * (1 - kb) * pb;
    *g = clampd((ey - kr * ru - kb * bu) / kg);
}

static vrt_frame *alloc_or_fail(uint32_t cc, uint32_t w, uint32_t h) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(cc, w, h, &f));
    return f;
}

static vrt_frame *solid_rgb(uint32_t w, uint32_t h, int r, int g, int b) {
    vrt_frame *f = alloc_or_fail(VRT_FMT_RGB24, w, h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = f->planes[0].data + y * f->planes[0].stride + 3 * x;
            p[0] = (uint8_t)r, p[1] = (uint8_t)g, p[2] = (uint8_t)b;
        }
    return f;
}

/* Y, U, V of pixel (x, y) read straight from the bytes. */
static void yuv_at(const vrt_frame *f, uint32_t x, uint32_t y, int *Y, int *U, int *V) {
    const uint8_t *r0 = f->planes[0].data + (size_t)y * f->planes[0].stride;
    if (f->fourcc == VRT_FMT_NV12) {
        *Y = r0[x];
        const uint8_t *uv = f->planes[1].data + (size_t)(y / 2) * f->planes[1].stride + (x & ~1u);
        *U = uv[0], *V = uv[1];
    } else if (f->fourcc == VRT_FMT_YUYV) {
        const uint8_t *p = r0 + 4 * (x / 2);
        *Y = p[(x & 1) ? 2 : 0], *U = p[1], *V = p[3];
    } else {
        const uint8_t *p = r0 + 4 * (x / 2);
        *Y = p[(x & 1) ? 3 : 1], *U = p[0], *V = p[2];
    }
}

TEST(known_colours_rgb_to_yuv) {
    static const int cols[][3] = {{255, 0, 0}, {0, 255, 0},     {0, 0, 255},   {255, 255, 255},
                                  {0, 0, 0},   {128, 128, 128}, {255, 255, 0}, {12, 200, 77}};
    for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
        vrt_frame *src = solid_rgb(4, 4, cols[c][0], cols[c][1], cols[c][2]);
        double ry, ru, rv;
        ref_yuv(cols[c][0], cols[c][1], cols[c][2], &ry, &ru, &rv);
        for (int k = 0; k < 3; k++) {
            vrt_frame *dst = alloc_or_fail(k_raw[k], 4, 4);
            char err[256] = "";
            ASSERT_OK(vrt_image_convert(src, dst, err, sizeof(err)));
            for (uint32_t y = 0; y < 4; y++)
                for (uint32_t x = 0; x < 4; x++) {
                    int Y, U, V;
                    yuv_at(dst, x, y, &Y, &U, &V);
                    ASSERT_NEAR(Y, ry, 0.51);
                    ASSERT_NEAR(U, ru, 0.51);
                    ASSERT_NEAR(V, rv, 0.51);
                }
            vrt_frame_unref(&dst);
        }
        /* The exact values for the primaries, from the BT.601 tables. */
        if (c == 0) ASSERT_NEAR(ry, 81.5, 0.1); /* red: Y 81/82, U 90, V 240 */
        vrt_frame *grey = alloc_or_fail(VRT_FMT_GREY, 4, 4);
        ASSERT_OK(vrt_image_convert(src, grey, NULL, 0));
        ASSERT_NEAR(grey->planes[0].data[5], 0.299 * cols[c][0] + 0.587 * cols[c][1] + 0.114 * cols[c][2],
                    0.51);
        vrt_frame_unref(&grey);
        vrt_frame_unref(&src);
    }
    /* White and black hit the ends of the limited range exactly. */
    vrt_frame *w = solid_rgb(2, 2, 255, 255, 255), *n = alloc_or_fail(VRT_FMT_NV12, 2, 2);
    ASSERT_OK(vrt_image_convert(w, n, NULL, 0));
    ASSERT_EQ(n->planes[0].data[0], 235);
    ASSERT_EQ(n->planes[1].data[0], 128);
    ASSERT_EQ(n->planes[1].data[1], 128);
    vrt_frame_unref(&w);
    vrt_frame_unref(&n);
}

TEST(known_values_yuv_to_rgb) {
    /* Random Y, U, V (4:2:2 pairs of equal chroma) against the float inverse. */
    vrt_frame *src = alloc_or_fail(VRT_FMT_YUYV, 64, 16);
    for (uint32_t y = 0; y < 16; y++)
        for (uint32_t x = 0; x < 64 * 2; x++)
            src->planes[0].data[y * src->planes[0].stride + x] = (uint8_t)rnd();
    vrt_frame *rgb = alloc_or_fail(VRT_FMT_RGB24, 64, 16), *bgr = alloc_or_fail(VRT_FMT_BGR24, 64, 16);
    vrt_frame *grey = alloc_or_fail(VRT_FMT_GREY, 64, 16);
    ASSERT_OK(vrt_image_convert(src, rgb, NULL, 0));
    ASSERT_OK(vrt_image_convert(src, bgr, NULL, 0));
    ASSERT_OK(vrt_image_convert(src, grey, NULL, 0));
    for (uint32_t y = 0; y < 16; y++)
        for (uint32_t x = 0; x < 64; x++) {
            int Y, U, V;
            yuv_at(src, x, y, &Y, &U, &V);
            double r, g, b;
            ref_rgb(Y, U, V, &r, &g, &b);
            const uint8_t *p = rgb->planes[0].data + y * rgb->planes[0].stride + 3 * x;
            const uint8_t *q = bgr->planes[0].data + y * bgr->planes[0].stride + 3 * x;
            ASSERT_NEAR(p[0], r, 0.51);
            ASSERT_NEAR(p[1], g, 0.51);
            ASSERT_NEAR(p[2], b, 0.51);
            ASSERT_TRUE(q[0] == p[2] && q[1] == p[1] && q[2] == p[0]);
            ASSERT_NEAR(grey->planes[0].data[y * 64 + x], clampd((Y - 16) * 255.0 / 219.0), 0.51);
        }
    /* The ends: Y 16 / 235 with neutral chroma are black / white. */
    uint8_t yuyv[4] = {235, 128, 16, 128};
    vrt_frame s, t;
    uint8_t out[6];
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    vrt_frame_layout(&s, VRT_FMT_YUYV, 2, 1, yuyv);
    vrt_frame_layout(&t, VRT_FMT_RGB24, 2, 1, out);
    ASSERT_OK(vrt_image_convert(&s, &t, NULL, 0));
    ASSERT_TRUE(out[0] == 255 && out[1] == 255 && out[2] == 255);
    ASSERT_TRUE(out[3] == 0 && out[4] == 0 && out[5] == 0);
    vrt_frame_unref(&src);
    vrt_frame_unref(&rgb);
    vrt_frame_unref(&bgr);
    vrt_frame_unref(&grey);
}

/* Random image whose 2x2 blocks are one colour each, so chroma subsampling
 * loses nothing and the round trip error is pure quantisation. */
static vrt_frame *block_image(uint32_t w, uint32_t h) {
    vrt_frame *f = alloc_or_fail(VRT_FMT_RGB24, w, h);
    for (uint32_t y = 0; y < h; y += 2)
        for (uint32_t x = 0; x < w; x += 2) {
            uint8_t c[3] = {(uint8_t)rnd(), (uint8_t)rnd(), (uint8_t)rnd()};
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++)
                    memcpy(f->planes[0].data + (y + dy) * f->planes[0].stride + 3 * (x + dx), c, 3);
        }
    return f;
}

TEST(round_trip_rgb_yuv_rgb_small_error) {
    /* Documented bound: limited-range YUV has 220 luma / 225 chroma levels for
     * 256, so an RGB -> YUV -> RGB round trip is off by at most 2 per channel
     * for colours inside the YUV gamut, mean below 0.7. */
    vrt_frame *src = block_image(96, 64);
    for (int k = 0; k < 3; k++) {
        vrt_frame *yuv = alloc_or_fail(k_raw[k], 96, 64), *back = alloc_or_fail(VRT_FMT_RGB24, 96, 64);
        ASSERT_OK(vrt_image_convert(src, yuv, NULL, 0));
        ASSERT_OK(vrt_image_convert(yuv, back, NULL, 0));
        int maxd = 0;
        double sum = 0;
        for (size_t i = 0; i < (size_t)96 * 64 * 3; i++) {
            int d = abs(src->planes[0].data[i] - back->planes[0].data[i]);
            if (d > maxd) maxd = d;
            sum += d;
        }
        ASSERT_TRUE(maxd <= 2);
        ASSERT_TRUE(sum / (96.0 * 64 * 3) < 0.7);
        vrt_frame_unref(&yuv);
        vrt_frame_unref(&back);
    }
    vrt_frame_unref(&src);
}

TEST(rgb_bgr_grey_exact) {
    vrt_frame *src = block_image(10, 6);
    vrt_frame *bgr = alloc_or_fail(VRT_FMT_BGR24, 10, 6), *back = alloc_or_fail(VRT_FMT_RGB24, 10, 6);
    ASSERT_OK(vrt_image_convert(src, bgr, NULL, 0));
    ASSERT_OK(vrt_image_convert(bgr, back, NULL, 0));
    ASSERT_TRUE(memcmp(src->planes[0].data, back->planes[0].data, 10 * 6 * 3) == 0);
    ASSERT_EQ(bgr->planes[0].data[0], src->planes[0].data[2]);
    vrt_frame *g = alloc_or_fail(VRT_FMT_GREY, 10, 6), *g2 = alloc_or_fail(VRT_FMT_GREY, 10, 6);
    for (int i = 0; i < 60; i++)
        g->planes[0].data[i] = (uint8_t)rnd();
    ASSERT_OK(vrt_image_convert(g, back, NULL, 0));
    ASSERT_OK(vrt_image_convert(back, g2, NULL, 0));
    ASSERT_TRUE(memcmp(g->planes[0].data, g2->planes[0].data, 60) == 0);
    ASSERT_EQ(back->planes[0].data[3 * 7 + 1], g->planes[0].data[7]);
    vrt_frame_unref(&src);
    vrt_frame_unref(&bgr);
    vrt_frame_unref(&back);
    vrt_frame_unref(&g);
    vrt_frame_unref(&g2);
}

TEST(yuv_to_yuv_chroma) {
    const uint32_t w = 8, h = 6;
    vrt_frame *a = alloc_or_fail(VRT_FMT_YUYV, w, h);
    for (uint32_t i = 0; i < w * h * 2; i++)
        a->planes[0].data[i] = (uint8_t)rnd();
    vrt_frame *u = alloc_or_fail(VRT_FMT_UYVY, w, h), *a2 = alloc_or_fail(VRT_FMT_YUYV, w, h);
    vrt_frame *n = alloc_or_fail(VRT_FMT_NV12, w, h);
    ASSERT_OK(vrt_image_convert(a, u, NULL, 0));
    ASSERT_OK(vrt_image_convert(u, a2, NULL, 0));
    ASSERT_TRUE(memcmp(a->planes[0].data, a2->planes[0].data, w * h * 2) == 0);
    ASSERT_EQ(u->planes[0].data[1], a->planes[0].data[0]); /* Y0 moved */
    ASSERT_OK(vrt_image_convert(a, n, NULL, 0));
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            int Y, U, V, Y2, U2, V2, U3, V3, Yx;
            yuv_at(a, x, y, &Y, &U, &V);
            yuv_at(n, x, y, &Y2, &U2, &V2);
            ASSERT_EQ(Y, Y2);
            yuv_at(a, x, y ^ 1, &Yx, &U3, &V3); /* the other row of the pair */
            ASSERT_EQ(U2, (U + U3 + 1) / 2);
            ASSERT_EQ(V2, (V + V3 + 1) / 2);
        }
    /* NV12 -> YUYV repeats each chroma row; back to NV12 is exact. */
    vrt_frame *a3 = alloc_or_fail(VRT_FMT_YUYV, w, h), *n2 = alloc_or_fail(VRT_FMT_NV12, w, h);
    ASSERT_OK(vrt_image_convert(n, a3, NULL, 0));
    ASSERT_OK(vrt_image_convert(a3, n2, NULL, 0));
    ASSERT_TRUE(memcmp(n->planes[0].data, n2->planes[0].data, w * h * 3 / 2) == 0);
    vrt_frame *frames[] = {a, u, a2, n, a3, n2};
    for (int i = 0; i < 6; i++)
        vrt_frame_unref(&frames[i]);
}

/* A frame of fourcc laid out with `pad` spare bytes at the end of every row,
 * filled with 0xAB, in a buffer the test owns. */
static uint8_t *padded(vrt_frame *f, uint32_t cc, uint32_t w, uint32_t h, uint32_t pad) {
    vrt_frame tight;
    memset(&tight, 0, sizeof(tight));
    ASSERT_OK(vrt_frame_layout(&tight, cc, w, h, NULL));
    size_t total = 0;
    uint32_t rows[2] = {h, cc == VRT_FMT_NV12 ? h / 2 : 0};
    for (int p = 0; p < tight.num_planes; p++)
        total += (size_t)(tight.planes[p].stride + pad) * rows[p];
    uint8_t *buf = malloc(total);
    memset(buf, 0xAB, total);
    *f = tight;
    size_t off = 0;
    for (int p = 0; p < tight.num_planes; p++) {
        f->planes[p].stride = tight.planes[p].stride + pad;
        f->planes[p].data = buf + off;
        f->planes[p].size = (uint32_t)(f->planes[p].stride * rows[p]);
        off += f->planes[p].size;
    }
    return buf;
}

/* Compares the visible bytes of two frames of one format; checks the padding of b is 0xAB. */
static void same_pixels(const vrt_frame *a, const vrt_frame *b, uint32_t pad) {
    uint32_t rows[2] = {a->height, a->fourcc == VRT_FMT_NV12 ? a->height / 2 : 0};
    uint32_t rb = a->fourcc == VRT_FMT_RGB24 || a->fourcc == VRT_FMT_BGR24 ? a->width * 3
                  : a->fourcc == VRT_FMT_GREY || a->fourcc == VRT_FMT_NV12 ? a->width
                                                                           : a->width * 2;
    for (int p = 0; p < a->num_planes; p++)
        for (uint32_t y = 0; y < rows[p]; y++) {
            const uint8_t *ra = a->planes[p].data + y * a->planes[p].stride;
            const uint8_t *rb_ = b->planes[p].data + y * b->planes[p].stride;
            ASSERT_TRUE(memcmp(ra, rb_, rb) == 0);
            for (uint32_t i = 0; i < pad; i++)
                ASSERT_EQ(rb_[rb + i], 0xAB);
        }
}

TEST(strides_with_padding_every_pair) {
    const uint32_t w = 14, h = 6, pad = 13;
    vrt_frame *rgb = block_image(w, h);
    for (int i = 0; i < NRAW; i++) {
        /* A tight source in format i, and a padded copy of it. */
        vrt_frame *src = alloc_or_fail(k_raw[i], w, h);
        ASSERT_OK(vrt_image_convert(rgb, src, NULL, 0));
        vrt_frame psrc;
        uint8_t *pb = padded(&psrc, k_raw[i], w, h, pad);
        ASSERT_OK(vrt_image_convert(src, &psrc, NULL, 0));
        same_pixels(src, &psrc, pad);
        for (int j = 0; j < NRAW; j++) {
            vrt_frame *want = alloc_or_fail(k_raw[j], w, h);
            ASSERT_OK(vrt_image_convert(src, want, NULL, 0));
            vrt_frame pdst;
            uint8_t *db = padded(&pdst, k_raw[j], w, h, pad);
            char err[256] = "";
            ASSERT_OK(vrt_image_convert(&psrc, &pdst, err, sizeof(err)));
            same_pixels(want, &pdst, pad);
            free(db);
            vrt_frame_unref(&want);
        }
        free(pb);
        vrt_frame_unref(&src);
    }
    vrt_frame_unref(&rgb);
}

TEST(bad_arguments_have_messages) {
    vrt_frame *a = alloc_or_fail(VRT_FMT_RGB24, 8, 8), *b = alloc_or_fail(VRT_FMT_NV12, 8, 6);
    char err[256] = "";
    ASSERT_STATUS(vrt_image_convert(a, b, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "8x8");
    ASSERT_CONTAINS(err, "8x6");
    vrt_frame odd;
    uint8_t buf[64];
    memset(&odd, 0, sizeof(odd));
    vrt_frame_layout(&odd, VRT_FMT_RGB24, 3, 2, buf);
    odd.fourcc = VRT_FMT_YUYV;
    odd.planes[0].stride = 8;
    vrt_frame *c = alloc_or_fail(VRT_FMT_RGB24, 3, 2);
    ASSERT_STATUS(vrt_image_convert(c, &odd, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "even width");
    vrt_frame *d = alloc_or_fail(VRT_FMT_RGB24, 8, 8);
    d->planes[0].stride = 5; /* shorter than a row */
    ASSERT_STATUS(vrt_image_convert(d, a, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "stride");
    d->planes[0].stride = 24;
    d->fourcc = VRT_FOURCC('H', '2', '6', '4');
    ASSERT_STATUS(vrt_image_convert(d, a, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "H264");
    d->fourcc = VRT_FMT_RGB24;
    vrt_frame_unref(&a);
    vrt_frame_unref(&b);
    vrt_frame_unref(&c);
    vrt_frame_unref(&d);
}

TEST(mjpeg_source_equals_decode_then_convert) {
    /* A smooth picture, JPEG-encoded, then MJPEG -> every raw format must equal
     * (JPEG -> RGB24) -> that format, bit for bit. */
    const uint32_t w = 64, h = 48;
    vrt_frame *img = alloc_or_fail(VRT_FMT_RGB24, w, h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = img->planes[0].data + y * img->planes[0].stride + 3 * x;
            p[0] = (uint8_t)(x * 4), p[1] = (uint8_t)(y * 5), p[2] = (uint8_t)(128 + (x ^ y));
        }
    uint8_t *jpg = NULL;
    size_t n = 0;
    ASSERT_OK(vrt_jpeg_encode(img, 90, &jpg, &n, NULL, 0));
    vrt_frame *mj = NULL;
    ASSERT_OK(vrt_image_alloc_jpeg(jpg, n, &mj, NULL, 0));
    ASSERT_EQ(mj->fourcc, VRT_FMT_MJPEG);
    ASSERT_EQ(mj->width, w);
    ASSERT_EQ(mj->bytesused, n);
    vrt_frame *rgb = NULL;
    ASSERT_OK(vrt_jpeg_decode(jpg, n, VRT_FMT_RGB24, &rgb, NULL, 0));
    for (int k = 0; k < NRAW; k++) {
        vrt_frame *a = alloc_or_fail(k_raw[k], w, h), *b = alloc_or_fail(k_raw[k], w, h);
        char err[256] = "";
        ASSERT_OK(vrt_image_convert(mj, a, err, sizeof(err)));
        ASSERT_OK(vrt_image_convert(rgb, b, NULL, 0));
        ASSERT_TRUE(memcmp(a->planes[0].data, b->planes[0].data, vrt_frame_size_for(k_raw[k], w, h)) == 0);
        vrt_frame_unref(&a);
        vrt_frame_unref(&b);
    }
    /* A corrupt MJPEG frame is an error, not a crash. */
    mj->bytesused = n / 3;
    vrt_frame *a = alloc_or_fail(VRT_FMT_YUYV, w, h);
    char err[256] = "";
    ASSERT_STATUS(vrt_image_convert(mj, a, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_TRUE(strlen(err) > 10);
    vrt_frame_unref(&a);
    vrt_free(jpg);
    vrt_frame_unref(&mj);
    vrt_frame_unref(&rgb);
    vrt_frame_unref(&img);
}

TEST(fill_rect_matches_convert) {
    for (int k = 0; k < NRAW; k++) {
        vrt_frame *f = alloc_or_fail(k_raw[k], 16, 8), *ref = alloc_or_fail(k_raw[k], 16, 8);
        vrt_frame *src = solid_rgb(16, 8, 200, 30, 90);
        memset(f->planes[0].data, 0, vrt_frame_size_for(k_raw[k], 16, 8));
        ASSERT_OK(vrt_image_fill_rect(f, -5, -5, 100, 100, 200, 30, 90)); /* clipped to the frame */
        ASSERT_OK(vrt_image_convert(src, ref, NULL, 0));
        ASSERT_TRUE(memcmp(f->planes[0].data, ref->planes[0].data, vrt_frame_size_for(k_raw[k], 16, 8)) == 0);
        vrt_frame_unref(&f);
        vrt_frame_unref(&ref);
        vrt_frame_unref(&src);
    }
}

int main(void) {
    VRT_RUN(known_colours_rgb_to_yuv);
    VRT_RUN(known_values_yuv_to_rgb);
    VRT_RUN(round_trip_rgb_yuv_rgb_small_error);
    VRT_RUN(rgb_bgr_grey_exact);
    VRT_RUN(yuv_to_yuv_chroma);
    VRT_RUN(strides_with_padding_every_pair);
    VRT_RUN(bad_arguments_have_messages);
    VRT_RUN(mjpeg_source_equals_decode_then_convert);
    VRT_RUN(fill_rect_matches_convert);
    return vrt_test_finish();
}
