/* JPEG/PNG decode and encode, image files: sizes against what `file` reports,
 * PNG pixels against a pure-Python decode (zlib + unfiltering, done once by
 * hand), encode -> decode round trips, truncated and corrupt files. */
#include "harness.h"
#include "vrt/image.h"

#include <sys/stat.h>

static uint8_t *slurp(const char *path, size_t *n) {
    uint8_t *d = NULL;
    ASSERT_OK(vrt_image_read_file(path, 0, &d, n, NULL, 0));
    return d;
}

static void spit(const char *path, const uint8_t *d, size_t n) {
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(d, 1, n, f), n);
    fclose(f);
}

static const char *tmp_path(const char *name) {
    static char buf[4][600];
    static int i;
    char *b = buf[i++ & 3];
    snprintf(b, 600, "%s/%s", vrt_test_tmpdir(), name);
    return b;
}

static double psnr_rgb(const vrt_frame *a, const vrt_frame *b) {
    double se = 0;
    for (uint32_t y = 0; y < a->height; y++)
        for (uint32_t x = 0; x < a->width * 3; x++) {
            int d = a->planes[0].data[y * a->planes[0].stride + x] -
                    b->planes[0].data[y * b->planes[0].stride + x];
            se += d * d;
        }
    double mse = se / (a->width * a->height * 3.0);
    return mse == 0 ? 99 : 10 * log10(255.0 * 255.0 / mse);
}

TEST(load_sizes_match_file_headers) {
    /* Sizes as `file` reports them (see the data README). */
    static const struct {
        const char *rel;
        uint32_t w, h;
    } k[] = {{"images/winml/kitten_224.png", 224, 224}, {"images/darknet/dog.jpg", 768, 576},
             {"images/darknet/eagle.jpg", 773, 512},    {"images/jetson/city_0.jpg", 1024, 512},
             {"images/darknet/scream.jpg", 352, 448},   {"images/coco_val2017/000000005037.jpg", 640, 425}};
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        const char *p = vrt_test_data_or_skip(k[i].rel);
        vrt_frame *f = NULL;
        char err[512] = "";
        ASSERT_OK(vrt_image_load(p, 0, &f, err, sizeof(err)));
        ASSERT_EQ(f->fourcc, VRT_FMT_RGB24);
        ASSERT_EQ(f->width, k[i].w);
        ASSERT_EQ(f->height, k[i].h);
        ASSERT_EQ(f->refs, 1);
        uint32_t w = 0, h = 0;
        ASSERT_OK(vrt_image_probe(p, &w, &h, err, sizeof(err)));
        ASSERT_EQ(w, k[i].w);
        ASSERT_EQ(h, k[i].h);
        /* Real photos are not flat: some spread in the pixel values. */
        long sum = 0, sq = 0;
        for (uint32_t x = 0; x < f->width * 3; x++) {
            int v = f->planes[0].data[(f->height / 2) * f->planes[0].stride + x];
            sum += v, sq += (long)v * v;
        }
        double n = f->width * 3.0, var = sq / n - (sum / n) * (sum / n);
        ASSERT_TRUE(var > 50);
        vrt_frame_unref(&f);
    }
}

TEST(png_pixels_match_reference_decode) {
    const char *p = vrt_test_data_or_skip("images/winml/kitten_224.png");
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_load(p, VRT_FMT_RGB24, &f, NULL, 0));
    /* From a pure-Python PNG decoder: channel sums and a few pixels (RGBA, alpha all 255). */
    long s[3] = {0, 0, 0};
    for (uint32_t y = 0; y < 224; y++)
        for (uint32_t x = 0; x < 224; x++)
            for (int c = 0; c < 3; c++)
                s[c] += f->planes[0].data[y * f->planes[0].stride + 3 * x + c];
    ASSERT_EQ(s[0], 10170362);
    ASSERT_EQ(s[1], 9867663);
    ASSERT_EQ(s[2], 9837282);
    const uint8_t *px = f->planes[0].data + 50 * f->planes[0].stride + 3 * 100;
    ASSERT_TRUE(px[0] == 198 && px[1] == 187 && px[2] == 183);
    px = f->planes[0].data + 170 * f->planes[0].stride + 3 * 111;
    ASSERT_TRUE(px[0] == 182 && px[1] == 169 && px[2] == 162);
    /* BGR and GREY loads agree with converting the RGB load. */
    vrt_frame *b = NULL, *g = NULL, *g2 = NULL;
    ASSERT_OK(vrt_image_load(p, VRT_FMT_BGR24, &b, NULL, 0));
    ASSERT_EQ(b->planes[0].data[50 * b->planes[0].stride + 3 * 100 + 2], 198);
    ASSERT_OK(vrt_image_load(p, VRT_FMT_GREY, &g, NULL, 0));
    ASSERT_OK(vrt_image_alloc(VRT_FMT_GREY, 224, 224, &g2));
    ASSERT_OK(vrt_image_convert(f, g2, NULL, 0));
    ASSERT_TRUE(memcmp(g->planes[0].data, g2->planes[0].data, 224 * 224) == 0);
    ASSERT_NEAR(g->planes[0].data[50 * 224 + 100], 0.299 * 198 + 0.587 * 187 + 0.114 * 183, 0.51);
    vrt_frame_unref(&f);
    vrt_frame_unref(&b);
    vrt_frame_unref(&g);
    vrt_frame_unref(&g2);
}

static vrt_frame *smooth_image(uint32_t w, uint32_t h) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, w, h, &f));
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = f->planes[0].data + y * f->planes[0].stride + 3 * x;
            p[0] = (uint8_t)(127 + 100 * sin(x * 0.05));
            p[1] = (uint8_t)(127 + 100 * cos(y * 0.07));
            p[2] = (uint8_t)((x + y) / 4);
        }
    return f;
}

TEST(jpeg_and_png_round_trips) {
    vrt_frame *img = smooth_image(160, 120);
    uint8_t *d = NULL;
    size_t n = 0;
    /* PNG is lossless: RGB and GREY come back exactly. */
    ASSERT_OK(vrt_png_encode(img, &d, &n, NULL, 0));
    ASSERT_TRUE(n > 100);
    vrt_frame *back = NULL;
    ASSERT_OK(vrt_png_decode(d, n, 0, &back, NULL, 0));
    ASSERT_TRUE(memcmp(img->planes[0].data, back->planes[0].data, 160 * 120 * 3) == 0);
    vrt_free(d);
    vrt_frame_unref(&back);
    vrt_frame *g = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_GREY, 160, 120, &g));
    ASSERT_OK(vrt_image_convert(img, g, NULL, 0));
    ASSERT_OK(vrt_png_encode(g, &d, &n, NULL, 0));
    ASSERT_OK(vrt_png_decode(d, n, VRT_FMT_GREY, &back, NULL, 0));
    ASSERT_TRUE(memcmp(g->planes[0].data, back->planes[0].data, 160 * 120) == 0);
    vrt_free(d);
    vrt_frame_unref(&back);
    vrt_frame_unref(&g);
    /* JPEG: PSNR grows with quality and is high at 90. */
    double last = 0;
    static const int qs[] = {30, 60, 90};
    for (int i = 0; i < 3; i++) {
        ASSERT_OK(vrt_jpeg_encode(img, qs[i], &d, &n, NULL, 0));
        ASSERT_TRUE(d[0] == 0xFF && d[1] == 0xD8);
        uint32_t w, h;
        ASSERT_OK(vrt_jpeg_info(d, n, &w, &h, NULL, 0));
        ASSERT_TRUE(w == 160 && h == 120);
        ASSERT_OK(vrt_jpeg_decode(d, n, 0, &back, NULL, 0));
        double ps = psnr_rgb(img, back);
        ASSERT_TRUE(ps > last);
        last = ps;
        vrt_free(d);
        vrt_frame_unref(&back);
    }
    ASSERT_TRUE(last > 35);
    /* Encoding a YUYV frame goes through RGB. */
    vrt_frame *y = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_YUYV, 160, 120, &y));
    ASSERT_OK(vrt_image_convert(img, y, NULL, 0));
    ASSERT_OK(vrt_jpeg_encode(y, 95, &d, &n, NULL, 0));
    ASSERT_OK(vrt_jpeg_decode(d, n, VRT_FMT_RGB24, &back, NULL, 0));
    ASSERT_TRUE(psnr_rgb(img, back) > 30);
    vrt_free(d);
    vrt_frame_unref(&back);
    vrt_frame_unref(&y);
    vrt_frame_unref(&img);
}

TEST(truncated_and_corrupt_files_fail_cleanly) {
    const char *jp = vrt_test_data_or_skip("images/darknet/dog.jpg");
    const char *pp = vrt_test_data_or_skip("images/winml/kitten_224.png");
    size_t jn, pn;
    uint8_t *j = slurp(jp, &jn), *p = slurp(pp, &pn);
    char err[512];
    vrt_frame *f = NULL;
    struct {
        const char *name;
        const uint8_t *d;
        size_t n;
        int corrupt_at; /* -1: none */
    } cases[] = {
        {"trunc_half.jpg", j, jn / 2, -1}, {"trunc_hdr.jpg", j, 100, -1},
        {"bad_sof.jpg", j, jn, 1},         {"trunc.png", p, pn / 2, -1},
        {"trunc_hdr.png", p, 20, -1},      {"bad_idat.png", p, pn, 2},
        {"empty.jpg", j, 0, -1},           {"text.png", (const uint8_t *)"hello, not an image", 19, -1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *c = malloc(cases[i].n + 1);
        memcpy(c, cases[i].d, cases[i].n);
        if (cases[i].corrupt_at == 1) {
            /* Make every start-of-frame marker an unknown marker. */
            for (size_t k = 0; k + 1 < cases[i].n; k++)
                if (c[k] == 0xFF && (c[k + 1] == 0xC0 || c[k + 1] == 0xC2)) c[k + 1] = 0xCF;
        } else if (cases[i].corrupt_at == 2) {
            for (size_t k = pn / 3; k < pn / 3 + 64; k++)
                c[k] ^= 0x5A; /* inside IDAT: CRC/zlib error */
        }
        const char *path = tmp_path(cases[i].name);
        spit(path, c, cases[i].n);
        err[0] = 0;
        ASSERT_STATUS(vrt_image_load(path, 0, &f, err, sizeof(err)), VRT_EBADDATA);
        ASSERT_TRUE(f == NULL);
        ASSERT_CONTAINS(err, path);
        ASSERT_TRUE(strlen(err) > strlen(path) + 5);
        /* The memory decoders agree. */
        if (cases[i].n > 8 && cases[i].d == j)
            ASSERT_STATUS(vrt_jpeg_decode(c, cases[i].n, 0, &f, err, sizeof(err)), VRT_EBADDATA);
        if (cases[i].n > 8 && cases[i].d == p)
            ASSERT_STATUS(vrt_png_decode(c, cases[i].n, 0, &f, err, sizeof(err)), VRT_EBADDATA);
        free(c);
    }
    ASSERT_STATUS(vrt_image_load(tmp_path("no-such-file.png"), 0, &f, err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, "no-such-file.png");
    /* Odd-width image as YUYV: refused with a way out. */
    const char *odd = vrt_test_data_or_skip("images/darknet/eagle.jpg");
    ASSERT_STATUS(vrt_image_load(odd, VRT_FMT_YUYV, &f, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "773x512");
    vrt_free(j);
    vrt_free(p);
}

TEST(load_as_mjpeg_keeps_bytes_and_save_writes_them) {
    const char *jp = vrt_test_data_or_skip("images/jetson/granny_smith_0.jpg");
    size_t n;
    uint8_t *orig = slurp(jp, &n);
    vrt_frame *m = NULL;
    ASSERT_OK(vrt_image_load(jp, VRT_FMT_MJPEG, &m, NULL, 0));
    ASSERT_EQ(m->fourcc, VRT_FMT_MJPEG);
    ASSERT_EQ(m->width, 400);
    ASSERT_EQ(m->height, 400);
    ASSERT_EQ(m->bytesused, n);
    ASSERT_TRUE(memcmp(m->planes[0].data, orig, n) == 0);
    const char *out = tmp_path("copy.jpg");
    ASSERT_OK(vrt_image_save(m, out, 0, NULL, 0));
    size_t n2;
    uint8_t *again = slurp(out, &n2);
    ASSERT_EQ(n2, n);
    ASSERT_TRUE(memcmp(again, orig, n) == 0);
    vrt_free(again);
    vrt_free(orig);
    vrt_frame_unref(&m);
}

TEST(save_formats_by_extension) {
    vrt_frame *img = smooth_image(40, 30);
    char err[512];
    /* .ppm: header and the exact bytes. */
    const char *ppm = tmp_path("a.ppm");
    ASSERT_OK(vrt_image_save(img, ppm, 0, err, sizeof(err)));
    size_t n;
    uint8_t *d = slurp(ppm, &n);
    const char *hdr = "P6\n40 30\n255\n";
    ASSERT_EQ(n, strlen(hdr) + 40 * 30 * 3);
    ASSERT_TRUE(memcmp(d, hdr, strlen(hdr)) == 0);
    ASSERT_TRUE(memcmp(d + strlen(hdr), img->planes[0].data, 40 * 30 * 3) == 0);
    vrt_free(d);
    /* .pgm from RGB converts to grey. */
    const char *pgm = tmp_path("a.pgm");
    ASSERT_OK(vrt_image_save(img, pgm, 0, err, sizeof(err)));
    d = slurp(pgm, &n);
    ASSERT_EQ(n, strlen("P5\n40 30\n255\n") + 40 * 30);
    const uint8_t *p0 = img->planes[0].data;
    ASSERT_NEAR(d[n - 40 * 30], 0.299 * p0[0] + 0.587 * p0[1] + 0.114 * p0[2], 0.51);
    vrt_free(d);
    /* .png and .jpg load back. */
    vrt_frame *back = NULL;
    ASSERT_OK(vrt_image_save(img, tmp_path("a.png"), 0, err, sizeof(err)));
    ASSERT_OK(vrt_image_load(tmp_path("a.png"), 0, &back, err, sizeof(err)));
    ASSERT_TRUE(memcmp(back->planes[0].data, img->planes[0].data, 40 * 30 * 3) == 0);
    vrt_frame_unref(&back);
    ASSERT_OK(vrt_image_save(img, tmp_path("a.JPEG"), 95, err, sizeof(err)));
    ASSERT_OK(vrt_image_load(tmp_path("a.JPEG"), 0, &back, err, sizeof(err)));
    ASSERT_TRUE(psnr_rgb(img, back) > 30);
    vrt_frame_unref(&back);
    /* .yuv: an NV12 frame with padded strides is written without the padding. */
    vrt_frame nv;
    uint8_t buf[48 * 30 + 48 * 15];
    memset(buf, 0xEE, sizeof(buf));
    memset(&nv, 0, sizeof(nv));
    vrt_frame_layout(&nv, VRT_FMT_NV12, 40, 30, NULL);
    nv.planes[0].stride = nv.planes[1].stride = 48;
    nv.planes[0].data = buf;
    nv.planes[1].data = buf + 48 * 30;
    ASSERT_OK(vrt_image_convert(img, &nv, NULL, 0));
    ASSERT_OK(vrt_image_save(&nv, tmp_path("a.yuv"), 0, err, sizeof(err)));
    d = slurp(tmp_path("a.yuv"), &n);
    ASSERT_EQ(n, 40 * 30 * 3 / 2);
    for (size_t i = 0; i < n; i++)
        ASSERT_NE(d[i], 0xEE); /* no padding bytes leaked */
    ASSERT_TRUE(memcmp(d + 40 * 29, buf + 48 * 29, 40) == 0);
    ASSERT_TRUE(memcmp(d + 40 * 30 + 40 * 14, buf + 48 * 30 + 48 * 14, 40) == 0);
    vrt_free(d);
    ASSERT_STATUS(vrt_image_save(img, tmp_path("a.gif"), 0, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, ".png");
    ASSERT_STATUS(vrt_image_save(img, "/nonexistent-dir/x.png", 0, err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, "/nonexistent-dir/x.png");
    vrt_frame_unref(&img);
}

int main(void) {
    VRT_RUN(load_sizes_match_file_headers);
    VRT_RUN(png_pixels_match_reference_decode);
    VRT_RUN(jpeg_and_png_round_trips);
    VRT_RUN(truncated_and_corrupt_files_fail_cleanly);
    VRT_RUN(load_as_mjpeg_keeps_bytes_and_save_writes_them);
    VRT_RUN(save_formats_by_extension);
    return vrt_test_finish();
}
