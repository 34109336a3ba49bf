/* synthetic: source: the frame number survives every format, JPEG and a
 * resize; camera-like timing (newest drops and counts, all delivers in
 * order, pacing, timeouts); the pool limit; nothing allocated per frame. */
#include "harness.h"
#include "vrt/image.h"
#include "vrt/source.h"

static vrt_source_t *open_ok(const char *uri) {
    vrt_source_t *s = NULL;
    char err[512] = "";
    vrt_status st = vrt_source_open(&s, uri, NULL, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s: %s", uri, vrt_status_name(st), err);
    ASSERT_OK(vrt_source_start(s));
    return s;
}

/* Bilinear resize of an RGB24 frame, written here independently of the library. */
static vrt_frame *resize_rgb(const vrt_frame *f, uint32_t w, uint32_t h) {
    vrt_frame *o = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, w, h, &o));
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double sx = (x + 0.5) * f->width / w - 0.5, sy = (y + 0.5) * f->height / h - 0.5;
            if (sx < 0) sx = 0;
            if (sy < 0) sy = 0;
            uint32_t x0 = (uint32_t)sx, y0 = (uint32_t)sy;
            uint32_t x1 = x0 + 1 < f->width ? x0 + 1 : x0, y1 = y0 + 1 < f->height ? y0 + 1 : y0;
            double fx = sx - x0, fy = sy - y0;
            for (int c = 0; c < 3; c++) {
                const uint8_t *d = f->planes[0].data;
                uint32_t st = f->planes[0].stride;
                double v = (1 - fy) * ((1 - fx) * d[y0 * st + 3 * x0 + c] + fx * d[y0 * st + 3 * x1 + c]) +
                           fy * ((1 - fx) * d[y1 * st + 3 * x0 + c] + fx * d[y1 * st + 3 * x1 + c]);
                o->planes[0].data[y * o->planes[0].stride + 3 * x + c] = (uint8_t)(v + 0.5);
            }
        }
    return o;
}

TEST(defaults_and_info) {
    vrt_source_t *s = open_ok("synthetic:");
    vrt_source_info in;
    vrt_source_get_info(s, &in);
    ASSERT_STREQ(in.kind, "synthetic");
    ASSERT_EQ(in.width, 640);
    ASSERT_EQ(in.height, 480);
    ASSERT_EQ(in.fourcc, VRT_FMT_YUYV);
    ASSERT_NEAR(in.fps, 30, 1e-9);
    ASSERT_EQ(in.driver_timestamps, 0);
    ASSERT_EQ(in.monotonic_timestamps, 1);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 1000));
    ASSERT_EQ(f->fourcc, VRT_FMT_YUYV);
    ASSERT_EQ(f->width, 640);
    ASSERT_EQ(f->sequence, 0);
    ASSERT_EQ(f->ts_from_driver, 0);
    uint64_t n = 99;
    ASSERT_OK(vrt_synthetic_decode_number(f, &n));
    ASSERT_EQ(n, 0);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    ASSERT_TRUE(s == NULL);
}

TEST(number_decodes_in_every_format_then_eof) {
    static const char *fmts[] = {"YUYV", "UYVY", "NV12", "RGB24", "BGR24", "GREY"};
    for (int k = 0; k < 6; k++) {
        char uri[128];
        snprintf(uri, sizeof(uri), "synthetic:?format=%s&width=320&height=240&fps=0&frames=6&mode=all",
                 fmts[k]);
        vrt_source_t *s = open_ok(uri);
        for (uint64_t i = 0; i < 6; i++) {
            vrt_frame *f = NULL;
            ASSERT_OK(vrt_source_read(s, &f, 1000));
            ASSERT_EQ(f->fourcc, vrt_fourcc_parse(fmts[k]));
            ASSERT_EQ(f->width, 320);
            ASSERT_EQ(f->sequence, i);
            uint64_t n = 12345;
            ASSERT_OK(vrt_synthetic_decode_number(f, &n));
            ASSERT_EQ(n, i);
            vrt_frame_unref(&f);
        }
        vrt_frame *f = NULL;
        ASSERT_STATUS(vrt_source_read(s, &f, 100), VRT_EOF);
        vrt_source_stats st;
        vrt_source_get_stats(s, &st);
        ASSERT_EQ(st.delivered, 6);
        ASSERT_EQ(st.dropped, 0);
        vrt_source_destroy(&s);
    }
}

TEST(code_survives_jpeg_and_resize_and_large_numbers) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, 640, 480, &f));
    memset(f->planes[0].data, 90, 640 * 480 * 3);
    static const uint64_t nums[] = {1, 2, 1000003, 0xABCDEF012345ull, 0xFFFFFFFFFFFFull};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        ASSERT_OK(vrt_synthetic_encode_number(f, nums[i]));
        uint64_t n = 0;
        ASSERT_OK(vrt_synthetic_decode_number(f, &n));
        ASSERT_EQ(n, nums[i]);
        /* JPEG at a low quality. */
        uint8_t *j = NULL;
        size_t jn = 0;
        ASSERT_OK(vrt_jpeg_encode(f, 40, &j, &jn, NULL, 0));
        vrt_frame *mj = NULL;
        ASSERT_OK(vrt_image_alloc_jpeg(j, jn, &mj, NULL, 0));
        n = 0;
        ASSERT_OK(vrt_synthetic_decode_number(mj, &n)); /* MJPEG frames decode too */
        ASSERT_EQ(n, nums[i]);
        vrt_frame *dec = NULL;
        ASSERT_OK(vrt_jpeg_decode(j, jn, 0, &dec, NULL, 0));
        /* Moderate resizes, down and up, and a changed aspect ratio. */
        static const uint32_t sz[][2] = {{448, 336}, {300, 224}, {800, 600}, {416, 416}};
        for (int r = 0; r < 4; r++) {
            vrt_frame *rs = resize_rgb(dec, sz[r][0], sz[r][1]);
            n = 0;
            ASSERT_OK(vrt_synthetic_decode_number(rs, &n));
            ASSERT_EQ(n, nums[i]);
            vrt_frame_unref(&rs);
        }
        vrt_free(j);
        vrt_frame_unref(&mj);
        vrt_frame_unref(&dec);
    }
    /* A frame without a code, and one with a flipped bit, are refused. */
    memset(f->planes[0].data, 90, 640 * 480 * 3);
    uint64_t n = 0;
    ASSERT_STATUS(vrt_synthetic_decode_number(f, &n), VRT_EBADDATA);
    ASSERT_OK(vrt_synthetic_encode_number(f, 77));
    /* Cell 10 of row 0 spans x 200..219, y 0..29: invert it. */
    for (uint32_t y = 0; y < 30; y++)
        for (uint32_t x = 200; x < 220; x++)
            for (int c = 0; c < 3; c++) {
                uint8_t *p = f->planes[0].data + y * f->planes[0].stride + 3 * x + c;
                *p = (uint8_t)(255 - *p);
            }
    ASSERT_STATUS(vrt_synthetic_decode_number(f, &n), VRT_EBADDATA);
    vrt_frame_unref(&f);
}

TEST(newest_mode_drops_and_counts) {
    vrt_source_t *s = open_ok("synthetic:?width=160&height=120&fps=200");
    vrt_sleep_ns(60 * 1000000ll); /* ~12 frames exist by now */
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 1000));
    uint64_t n = 0;
    ASSERT_OK(vrt_synthetic_decode_number(f, &n));
    ASSERT_EQ(n, f->sequence);
    ASSERT_TRUE(n >= 10); /* the newest, not frame 0 */
    int64_t ts0 = f->timestamp_ns;
    ASSERT_TRUE(ts0 <= vrt_now_ns());
    vrt_source_stats st;
    vrt_source_get_stats(s, &st);
    ASSERT_EQ(st.dropped, n); /* frames 0 .. n-1 were skipped */
    vrt_frame_unref(&f);
    ASSERT_OK(vrt_source_read(s, &f, 1000));
    /* Timestamps sit on the frame grid: t0 + n * 5 ms. */
    ASSERT_TRUE(f->sequence > n);
    ASSERT_EQ(f->timestamp_ns - ts0, (int64_t)(f->sequence - n) * 5000000);
    vrt_source_get_stats(s, &st);
    ASSERT_EQ(st.dropped, f->sequence - 1);
    ASSERT_EQ(st.delivered, 2);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
}

TEST(all_mode_delivers_every_frame_in_order) {
    vrt_source_t *s = open_ok("synthetic:?width=160&height=120&fps=200&mode=all");
    vrt_sleep_ns(50 * 1000000ll);
    for (uint64_t i = 0; i < 4; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        uint64_t n = 99;
        ASSERT_OK(vrt_synthetic_decode_number(f, &n));
        ASSERT_EQ(n, i);
        vrt_frame_unref(&f);
    }
    vrt_source_stats st;
    vrt_source_get_stats(s, &st);
    ASSERT_EQ(st.dropped, 0);
    vrt_source_destroy(&s);
}

TEST(pacing_and_timeouts) {
    vrt_source_t *s = open_ok("synthetic:?width=160&height=120&fps=50&mode=all");
    int64_t t0 = vrt_now_ns();
    for (int i = 0; i < 11; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        vrt_frame_unref(&f);
    }
    double ms = (vrt_now_ns() - t0) / 1e6;
    ASSERT_TRUE(ms >= 195 && ms < 400); /* frames 0..10 at 20 ms: frame 10 at 200 ms */
    vrt_source_destroy(&s);
    s = open_ok("synthetic:?width=160&height=120&fps=2");
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0)); /* frame 0 exists at start */
    vrt_frame_unref(&f);
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_EAGAIN);
    t0 = vrt_now_ns();
    ASSERT_STATUS(vrt_source_read(s, &f, 30), VRT_EAGAIN);
    ms = (vrt_now_ns() - t0) / 1e6;
    ASSERT_TRUE(ms >= 29 && ms < 200);
    vrt_source_destroy(&s);
}

TEST(pool_exhaustion_is_enospc_and_no_allocs_per_frame) {
    vrt_source_t *s = open_ok("synthetic:?width=160&height=120&fps=0&buffers=2");
    vrt_frame *a = NULL, *b = NULL, *c = NULL;
    vrt_alloc_counting_begin();
    ASSERT_OK(vrt_source_read(s, &a, 100));
    ASSERT_OK(vrt_source_read(s, &b, 100));
    ASSERT_STATUS(vrt_source_read(s, &c, 100), VRT_ENOSPC);
    ASSERT_CONTAINS(vrt_source_last_error(s), "buffers=");
    vrt_frame_unref(&a);
    ASSERT_OK(vrt_source_read(s, &c, 100));
    for (int i = 0; i < 20; i++) {
        vrt_frame_unref(&c);
        ASSERT_OK(vrt_source_read(s, &c, 100));
    }
    vrt_alloc_stats st = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_EQ(st.allocs, 0);
    /* Frames held past destroy stay valid (checked under ASan). */
    vrt_source_destroy(&s);
    uint64_t n = 0;
    ASSERT_OK(vrt_synthetic_decode_number(b, &n));
    ASSERT_EQ(n, 1);
    ASSERT_OK(vrt_synthetic_decode_number(c, &n));
    ASSERT_EQ(n, 22);
    vrt_frame_unref(&b);
    vrt_frame_unref(&c);
}

TEST(bad_options_are_explained) {
    static const struct {
        const char *uri;
        const char *want;
    } k[] = {{"synthetic:?colour=red", "known: width"},
             {"synthetic:?width=641&format=YUYV", "641x480"},
             {"synthetic:?mode=sometimes", "mode=newest"},
             {"synthetic:?format=H264", "GREY or MJPEG"},
             {"synthetic:?frames=-1", "frames"}};
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        vrt_source_t *s = NULL;
        char err[512] = "";
        ASSERT_STATUS(vrt_source_open(&s, k[i].uri, NULL, err, sizeof(err)), VRT_EINVAL);
        ASSERT_TRUE(s == NULL);
        ASSERT_CONTAINS(err, k[i].want);
    }
    /* The params struct works too (URI keys override it). */
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.fourcc = VRT_FMT_NV12;
    p.width = 320;
    p.height = 180;
    p.max_frames = 1;
    vrt_source_t *s = NULL;
    ASSERT_OK(vrt_source_open(&s, "synthetic:?height=200", &p, NULL, 0));
    vrt_source_info in;
    vrt_source_get_info(s, &in);
    ASSERT_EQ(in.fourcc, VRT_FMT_NV12);
    ASSERT_EQ(in.width, 320);
    ASSERT_EQ(in.height, 200);
    ASSERT_EQ(in.frame_count, 1);
    vrt_source_destroy(&s);
}

/* MJPEG frames are the JPEG of the very picture the RGB24 source draws:
 * decoding them must give that picture back up to JPEG loss, and the number. */
TEST(mjpeg_frames_are_real_jpegs_of_the_pattern) {
    vrt_source_t *mj = open_ok("synthetic:?format=MJPEG&width=320&height=240&fps=0&frames=5&mode=all");
    vrt_source_t *rgb = open_ok("synthetic:?format=RGB24&width=320&height=240&fps=0&frames=5&mode=all");
    vrt_source_info in;
    vrt_source_get_info(mj, &in);
    ASSERT_EQ(in.fourcc, VRT_FMT_MJPEG);
    for (uint64_t i = 0; i < 5; i++) {
        vrt_frame *f = NULL, *r = NULL, *d = NULL;
        ASSERT_OK(vrt_source_read(mj, &f, 1000));
        ASSERT_OK(vrt_source_read(rgb, &r, 1000));
        ASSERT_EQ(f->fourcc, VRT_FMT_MJPEG);
        ASSERT_EQ(f->sequence, i);
        ASSERT_TRUE(f->bytesused > 100 && f->bytesused < 320 * 240); /* the JPEG, not the buffer */
        ASSERT_TRUE(f->planes[0].data[0] == 0xFF && f->planes[0].data[1] == 0xD8);
        ASSERT_TRUE(f->planes[0].data[f->bytesused - 2] == 0xFF &&
                    f->planes[0].data[f->bytesused - 1] == 0xD9);
        uint32_t w = 0, h = 0;
        ASSERT_OK(vrt_jpeg_info(f->planes[0].data, f->bytesused, &w, &h, NULL, 0));
        ASSERT_EQ(w, 320);
        ASSERT_EQ(h, 240);
        uint64_t n = 99;
        ASSERT_OK(vrt_synthetic_decode_number(f, &n));
        ASSERT_EQ(n, i);
        ASSERT_OK(vrt_jpeg_decode(f->planes[0].data, f->bytesused, VRT_FMT_RGB24, &d, NULL, 0));
        double sum = 0;
        for (size_t k = 0; k < (size_t)320 * 240 * 3; k++)
            sum += abs((int)d->planes[0].data[k] - (int)r->planes[0].data[k]);
        ASSERT_TRUE(sum / (320.0 * 240 * 3) < 4.0); /* quality 90 on flat colours and edges */
        vrt_frame_unref(&d);
        vrt_frame_unref(&f);
        vrt_frame_unref(&r);
    }
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(mj, &f, 1000), VRT_EOF);
    vrt_source_destroy(&mj);
    vrt_source_destroy(&rgb);
    /* Newest mode at a real rate: the number still matches the sequence. */
    mj = open_ok("synthetic:?format=MJPG&width=160&height=120&fps=200");
    for (int i = 0; i < 5; i++) {
        ASSERT_OK(vrt_source_read(mj, &f, 1000));
        uint64_t n = 99;
        ASSERT_OK(vrt_synthetic_decode_number(f, &n));
        ASSERT_EQ(n, f->sequence);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&mj);
}

/* The configure step: a source delivering MJPEG decoded by the capture
 * layer to a raw format (what the pipeline asks for), compared against an
 * independent decode of the same source's JPEGs; formats that cannot be
 * reached and configuring while started are refused. */
TEST(configure_decodes_mjpeg_in_the_capture_layer) {
    const char *uri = "synthetic:?format=MJPEG&width=320&height=240&fps=0&mode=all&frames=4";
    vrt_source_t *ref = open_ok(uri);
    vrt_source_t *s = NULL;
    char err[512] = "";
    ASSERT_OK(vrt_source_open(&s, uri, NULL, err, sizeof(err)));
    vrt_source_config c;
    vrt_source_default_config(&c);
    c.fourcc = VRT_FMT_RGB24;
    ASSERT_OK(vrt_source_configure(s, &c));
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.fourcc, VRT_FMT_RGB24);
    ASSERT_OK(vrt_source_start(s));
    ASSERT_STATUS(vrt_source_configure(s, &c), VRT_EBUSY);
    for (uint64_t i = 0; i < 4; i++) {
        vrt_frame *f = NULL, *j = NULL, *d = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        ASSERT_OK(vrt_source_read(ref, &j, 1000));
        ASSERT_EQ(f->fourcc, VRT_FMT_RGB24);
        ASSERT_EQ(j->fourcc, VRT_FMT_MJPEG);
        ASSERT_EQ(f->sequence, i);
        ASSERT_EQ(f->timestamp_ns > 0, 1);
        ASSERT_OK(vrt_jpeg_decode(j->planes[0].data, j->bytesused, VRT_FMT_RGB24, &d, NULL, 0));
        ASSERT_EQ(memcmp(d->planes[0].data, f->planes[0].data, (size_t)320 * 240 * 3), 0);
        uint64_t n = 0;
        ASSERT_OK(vrt_synthetic_decode_number(f, &n));
        ASSERT_EQ(n, i);
        vrt_frame_unref(&d);
        vrt_frame_unref(&j);
        vrt_frame_unref(&f);
    }
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_EOF);
    ASSERT_OK(vrt_source_stop(s));
    vrt_source_destroy(&s);
    vrt_source_destroy(&ref);
    /* A raw source cannot be "decoded" to another format; buffers are V4L2's. */
    ASSERT_OK(vrt_source_open(&s, "synthetic:?format=YUYV", NULL, err, sizeof(err)));
    ASSERT_STATUS(vrt_source_configure(s, &c), VRT_ENOTSUP);
    ASSERT_CONTAINS(vrt_source_last_error(s), "only MJPEG frames can be decoded");
    void *bufs[2] = {err, err};
    vrt_source_default_config(&c);
    c.buffers = bufs;
    c.count = 2;
    c.size = sizeof(err);
    ASSERT_STATUS(vrt_source_configure(s, &c), VRT_ENOTSUP);
    vrt_source_destroy(&s);
}

int main(void) {
    VRT_RUN(defaults_and_info);
    VRT_RUN(number_decodes_in_every_format_then_eof);
    VRT_RUN(code_survives_jpeg_and_resize_and_large_numbers);
    VRT_RUN(newest_mode_drops_and_counts);
    VRT_RUN(all_mode_delivers_every_frame_in_order);
    VRT_RUN(pacing_and_timeouts);
    VRT_RUN(pool_exhaustion_is_enospc_and_no_allocs_per_frame);
    VRT_RUN(bad_options_are_explained);
    VRT_RUN(mjpeg_frames_are_real_jpegs_of_the_pattern);
    VRT_RUN(configure_decodes_mjpeg_in_the_capture_layer);
    return vrt_test_finish();
}
