/* V4L2 source with MJPG cameras, against the fake device: a raw format the
 * device lacks is captured as MJPG and decoded on the CPU; corrupt JPEGs are
 * counted and skipped; format=MJPEG passes the JPEGs through.
 *
 * The expectations come from the fake, not from the code under test: each
 * fake MJPG frame is the JPEG of a picture whose grey level is 16 + seq % 200
 * and which carries seq in the synthetic number code, and the fake stamps
 * frame seq with t0 + seq * period. */
#include <linux/videodev2.h>
#include <stdlib.h>

#include "harness.h"
#include "lib/fake_v4l2.h"
#include "vrt/image.h"
#include "vrt/source.h"
#include "vrt/v4l2.h"

#define DEV "/dev/video0"

static void mjpg_only(vrt_fake_v4l2_config *c) {
    c->num_formats = 1;
    c->formats[0] = V4L2_PIX_FMT_MJPEG;
}

static vrt_fake_v4l2 *mk_fake(int manual, void (*tweak)(vrt_fake_v4l2_config *)) {
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    ASSERT_TRUE(k != NULL);
    vrt_fake_v4l2_config c;
    vrt_fake_v4l2_default_config(&c, DEV);
    c.manual_time = manual;
    if (tweak) tweak(&c);
    ASSERT_EQ(vrt_fake_v4l2_add(k, &c), 0);
    return k;
}

static vrt_source_t *open_src(vrt_fake_v4l2 *k, const char *uri) {
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    vrt_source_t *s = NULL;
    char err[512];
    vrt_status st = vrt_source_open(&s, uri, &p, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s: %s", uri, vrt_status_name(st), err);
    return s;
}

static vrt_fake_v4l2_state fstate(vrt_fake_v4l2 *k) {
    vrt_fake_v4l2_state st;
    vrt_fake_v4l2_get_state(k, DEV, &st);
    return st;
}

static uint64_t code_of(const vrt_frame *f) {
    uint64_t n = UINT64_MAX;
    if (vrt_synthetic_decode_number(f, &n)) return UINT64_MAX;
    return n;
}

/* Luma the header's RGB -> YUV formula gives for grey g (R = G = B = g). */
static int luma_of_grey(int g) {
    return (((16829 + 33039 + 6416) * g + 32768) >> 16) + 16;
}

static char g_log[4096];
static void keep_log(void *u, vrt_log_level l, const char *who, const char *msg) {
    (void)u;
    snprintf(g_log + strlen(g_log), sizeof(g_log) - strlen(g_log), "%d %s: %s\n", (int)l, who ? who : "",
             msg);
}

/* Reads frames 0..n-1 in all mode and checks each against the fake's picture. */
static void check_decoded_frames(vrt_fake_v4l2 *k, vrt_source_t *s, uint32_t cc, int n) {
    for (int i = 0; i < n; i++) {
        vrt_fake_v4l2_advance(k, DEV, 1);
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 0));
        ASSERT_EQ(f->fourcc, cc);
        ASSERT_EQ(f->width, 320);
        ASSERT_EQ(f->height, 240);
        ASSERT_EQ(f->sequence, (uint64_t)i);
        ASSERT_EQ(code_of(f), f->sequence); /* the pixels are frame `sequence`'s */
        ASSERT_EQ(f->ts_from_driver, 1);
        ASSERT_EQ(f->timestamp_ns, vrt_fake_v4l2_frame_time(k, DEV, f->sequence) / 1000 * 1000);
        ASSERT_TRUE(f->dequeue_ns > 0); /* (manual time: frames are stamped ahead of the clock) */
        /* The driver buffer went back right after decoding, while we still hold the frame. */
        ASSERT_EQ(fstate(k).dequeued, 0);
        /* Below the code band the picture is flat grey 16 + seq % 200. */
        int g = 16 + (int)(f->sequence % 200);
        const uint8_t *px = f->planes[0].data + (size_t)200 * f->planes[0].stride;
        if (cc == VRT_FMT_RGB24) {
            for (int c = 0; c < 3; c++)
                ASSERT_NEAR(px[160 * 3 + c], g, 3);
        } else {
            ASSERT_NEAR(px[160 * 2], luma_of_grey(g), 3); /* YUYV: Y0 of pixel 160 */
            ASSERT_NEAR(px[160 * 2 + 1], 128, 3);         /* grey has neutral chroma */
        }
        vrt_frame_unref(&f);
    }
}

TEST(mjpg_only_device_decodes_to_rgb24) {
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_only);
    g_log[0] = 0;
    vrt_log_set(keep_log, NULL, VRT_LOG_INFO);
    vrt_source_t *s = open_src(k, DEV "?format=RGB24&width=320&height=240&mode=all");
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_source_info in;
    vrt_source_get_info(s, &in);
    ASSERT_EQ(in.fourcc, VRT_FMT_RGB24);        /* what read() delivers */
    ASSERT_EQ(in.device_fourcc, VRT_FMT_MJPEG); /* what the device sends */
    ASSERT_STREQ(in.driver, "vrt_fake");
    ASSERT_EQ(fstate(k).fourcc, V4L2_PIX_FMT_MJPEG); /* negotiated with the device */
    ASSERT_CONTAINS(g_log,
                    "v4l2:" DEV ": device offers no RGB24 (formats: MJPG): capturing MJPG and decoding it "
                    "to RGB24 on the CPU");
    ASSERT_OK(vrt_source_start(s));
    check_decoded_frames(k, s, VRT_FMT_RGB24, 5);
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.delivered, 5);
    ASSERT_EQ(ss.errors, 0);
    ASSERT_EQ(ss.dropped, 0);
    vrt_source_destroy(&s);
    ASSERT_EQ(fstate(k).open_fds, 0);
    vrt_fake_v4l2_destroy(&k);
}

TEST(mjpg_only_device_decodes_to_yuyv_and_uyvy_nv12_grey) {
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_only);
    vrt_source_t *s = open_src(k, DEV "?format=YUYV&width=320&height=240&mode=all");
    ASSERT_OK(vrt_source_start(s));
    check_decoded_frames(k, s, VRT_FMT_YUYV, 4);
    vrt_source_destroy(&s);
    /* The other raw formats decode too, and the number survives in each. */
    static const char *fmts[] = {"UYVY", "NV12", "BGR24", "GREY"};
    for (int i = 0; i < 4; i++) {
        char uri[160];
        snprintf(uri, sizeof(uri), DEV "?format=%s&width=320&height=240&mode=all", fmts[i]);
        s = open_src(k, uri);
        ASSERT_OK(vrt_source_start(s));
        vrt_fake_v4l2_advance(k, DEV, 2);
        for (uint64_t q = 0; q < 2; q++) {
            vrt_frame *f = NULL;
            ASSERT_OK(vrt_source_read(s, &f, 0));
            ASSERT_EQ(f->fourcc, vrt_fourcc_parse(fmts[i]));
            ASSERT_EQ(f->sequence, q);
            ASSERT_EQ(code_of(f), q);
            vrt_frame_unref(&f);
        }
        vrt_source_destroy(&s);
    }
    vrt_fake_v4l2_destroy(&k);
}

TEST(newest_mode_decodes_only_the_newest) {
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_only);
    vrt_source_t *s = open_src(k, DEV "?format=RGB24&width=320&height=240&buffers=4");
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 3);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 2);
    ASSERT_EQ(code_of(f), 2);
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.requeued, 2);
    ASSERT_EQ(ss.dropped, 2);
    ASSERT_EQ(fstate(k).queued, 4); /* every driver buffer is back, the decoded frame is ours */
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(decoding_allocates_nothing_per_frame) {
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_only);
    vrt_source_t *s = open_src(k, DEV "?format=YUYV&width=320&height=240&mode=all");
    ASSERT_OK(vrt_source_start(s));
    vrt_alloc_counting_begin();
    uint64_t in_reads = 0;
    for (int i = 0; i < 10; i++) {
        vrt_fake_v4l2_advance(k, DEV, 1); /* the fake's own encoding allocates: not counted */
        uint64_t a0 = vrt_alloc_counting_stats().allocs;
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 0));
        ASSERT_EQ(f->sequence, (uint64_t)i);
        vrt_frame_unref(&f);
        in_reads += vrt_alloc_counting_stats().allocs - a0;
    }
    vrt_alloc_counting_end();
    ASSERT_EQ(in_reads, 0);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(corrupt_jpeg_is_counted_and_skipped) {
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_only);
    g_log[0] = 0;
    vrt_log_set(keep_log, NULL, VRT_LOG_WARN);
    vrt_source_t *s = open_src(k, DEV "?format=RGB24&width=320&height=240&mode=all");
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 1); /* 0: good */
    vrt_fake_v4l2_corrupt_jpeg(k, DEV, 1);
    vrt_fake_v4l2_advance(k, DEV, 2); /* 1: corrupt, 2: good */
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 0);
    vrt_frame_unref(&f);
    /* Frame 1 does not decode: skipped within the same read, frame 2 comes. */
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 2);
    ASSERT_EQ(code_of(f), 2);
    vrt_frame_unref(&f);
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.errors, 1);
    ASSERT_EQ(ss.dropped, 1);
    ASSERT_EQ(ss.delivered, 2);
    ASSERT_CONTAINS(vrt_source_last_error(s), "frame 1: MJPG does not decode");
    ASSERT_CONTAINS(g_log, "frame 1: corrupt MJPG skipped");
    /* A corrupt frame alone: the read answers EAGAIN, the buffer is back with the driver. */
    vrt_fake_v4l2_corrupt_jpeg(k, DEV, 3);
    vrt_fake_v4l2_advance(k, DEV, 3);
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_EAGAIN);
    ASSERT_EQ(fstate(k).queued, 3);
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.errors, 4);
    /* And it keeps going. */
    vrt_fake_v4l2_advance(k, DEV, 1);
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 6);
    ASSERT_EQ(code_of(f), 6);
    vrt_frame_unref(&f);
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

/* Every decoded format, not just RGB24 (decoding to YUV goes through row
 * pairs: an error late in the scan once came back as success). */
TEST(corrupt_jpeg_is_skipped_for_every_format) {
    static const char *fmts[] = {"YUYV", "UYVY", "NV12", "BGR24", "GREY"};
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_only);
    vrt_log_set(NULL, NULL, VRT_LOG_ERROR);
    for (int i = 0; i < 5; i++) {
        char uri[160];
        snprintf(uri, sizeof(uri), DEV "?format=%s&width=320&height=240&mode=all", fmts[i]);
        vrt_source_t *s = open_src(k, uri);
        ASSERT_OK(vrt_source_start(s));
        vrt_fake_v4l2_corrupt_jpeg(k, DEV, 1);
        vrt_fake_v4l2_advance(k, DEV, 2); /* 0: corrupt, 1: good */
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 0));
        ASSERT_EQ(f->sequence, 1);
        ASSERT_EQ(code_of(f), 1);
        vrt_frame_unref(&f);
        vrt_source_stats ss;
        vrt_source_get_stats(s, &ss);
        ASSERT_EQ(ss.errors, 1);
        vrt_source_destroy(&s);
    }
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_fake_v4l2_destroy(&k);
}

TEST(corrupt_every_option_in_real_time) {
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, DEV ":MJPG:320x240:30:corrupt_every=3"), 0);
    vrt_log_set(NULL, NULL, VRT_LOG_ERROR);
    vrt_source_t *s = open_src(k, DEV "?format=RGB24&mode=all&buffers=4");
    ASSERT_OK(vrt_source_start(s));
    uint64_t last = 0;
    for (int i = 0; i < 8; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 2000));
        ASSERT_TRUE(f->sequence == 0 || f->sequence % 3 != 0); /* 3, 6, 9, ... never decode */
        ASSERT_EQ(code_of(f), f->sequence);
        last = f->sequence;
        vrt_frame_unref(&f);
    }
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_TRUE(ss.errors >= last / 3 - 1 && ss.errors <= last / 3 + 1);
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(held_decoded_frames_leave_the_driver_its_buffers) {
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_only);
    vrt_source_t *s = open_src(k, DEV "?format=RGB24&width=320&height=240&mode=all&buffers=2");
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 2);
    vrt_frame *a = NULL, *b = NULL, *c = NULL;
    ASSERT_OK(vrt_source_read(s, &a, 0));
    ASSERT_OK(vrt_source_read(s, &b, 0));
    vrt_fake_v4l2_advance(k, DEV, 1); /* frame 2 is captured: the driver has both buffers */
    ASSERT_EQ(fstate(k).lost, 0);
    ASSERT_STATUS(vrt_source_read(s, &c, 0), VRT_EAGAIN);
    ASSERT_CONTAINS(vrt_source_last_error(s), "decoded frames are held");
    ASSERT_EQ(fstate(k).done, 1); /* frame 2 waits in the driver, not thrown away */
    vrt_frame_unref(&a);
    ASSERT_OK(vrt_source_read(s, &c, 0));
    ASSERT_EQ(c->sequence, 2);
    /* Frames outlive the source (checked under ASan). */
    vrt_source_destroy(&s);
    ASSERT_EQ(code_of(b), 1);
    ASSERT_EQ(code_of(c), 2);
    vrt_frame_unref(&b);
    vrt_frame_unref(&c);
    vrt_fake_v4l2_destroy(&k);
}

static void mjpg_odd(vrt_fake_v4l2_config *c) {
    mjpg_only(c);
    c->num_sizes = 1;
    c->sizes[0][0] = 321;
    c->sizes[0][1] = 240;
}

TEST(undecodable_size_and_missing_mjpg_are_explained) {
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_odd);
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    vrt_source_t *s = NULL;
    char err[512];
    ASSERT_STATUS(vrt_source_open(&s, DEV "?format=YUYV", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "321x240");
    ASSERT_CONTAINS(err, "format=RGB24");
    ASSERT_EQ(fstate(k).open_fds, 0);
    /* RGB24 has no such constraint. */
    ASSERT_OK(vrt_source_open(&s, DEV "?format=RGB24&mode=all", &p, err, sizeof(err)));
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->width, 321);
    ASSERT_EQ(code_of(f), 0);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
    /* Without MJPG a missing raw format is still an error that lists the formats. */
    k = vrt_fake_v4l2_create();
    ASSERT_EQ(vrt_fake_v4l2_add_spec(k, DEV ":YUYV:320x240:30"), 0);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    ASSERT_STATUS(vrt_source_open(&s, DEV "?format=RGB24", &p, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_CONTAINS(err, "'RGB3' not supported; supported: YUYV");
    vrt_fake_v4l2_destroy(&k);
}

TEST(mjpeg_format_passes_real_jpegs_through) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL); /* YUYV + MJPG */
    vrt_source_t *s = open_src(k, DEV "?format=MJPEG&width=320&height=240&mode=all");
    vrt_source_info in;
    vrt_source_get_info(s, &in);
    ASSERT_EQ(in.fourcc, VRT_FMT_MJPEG);
    ASSERT_EQ(in.device_fourcc, VRT_FMT_MJPEG);
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_fake_v4l2_corrupt_jpeg(k, DEV, 1);
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->fourcc, VRT_FMT_MJPEG);
    ASSERT_EQ(f->sequence, 0);
    ASSERT_EQ(vrt_fake_v4l2_frame_seq(f->planes[0].data, f->bytesused, f->fourcc), 0);
    uint32_t w = 0, h = 0;
    ASSERT_OK(vrt_jpeg_info(f->planes[0].data, f->bytesused, &w, &h, NULL, 0));
    ASSERT_EQ(w, 320);
    ASSERT_EQ(h, 240);
    ASSERT_EQ(code_of(f), 0); /* a real JPEG of the fake's picture */
    vrt_frame_unref(&f);
    /* The fake's corrupt frame: it still names itself, but libjpeg refuses it. */
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 1);
    ASSERT_EQ(vrt_fake_v4l2_frame_seq(f->planes[0].data, f->bytesused, f->fourcc), 1);
    vrt_frame *d = NULL;
    ASSERT_STATUS(vrt_jpeg_decode(f->planes[0].data, f->bytesused, VRT_FMT_RGB24, &d, NULL, 0), VRT_EBADDATA);
    ASSERT_TRUE(d == NULL);
    vrt_frame_unref(&f);
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.errors, 0); /* passed through as it is: the caller decodes */
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(reconnect_keeps_decoding) {
    vrt_fake_v4l2 *k = mk_fake(1, mjpg_only);
    vrt_source_t *s = open_src(k, DEV "?format=RGB24&width=320&height=240&mode=all&reconnect=1");
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *held = NULL;
    ASSERT_OK(vrt_source_read(s, &held, 0));
    vrt_fake_v4l2_unplug(k, DEV);
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_ENODEV);
    vrt_fake_v4l2_replug(k, DEV);
    vrt_status st = VRT_ENODEV;
    for (int i = 0; i < 50 && st == VRT_ENODEV; i++)
        st = vrt_source_read(s, &f, 50);
    ASSERT_STATUS(st, VRT_EAGAIN); /* reconnected; manual time: no frame yet */
    ASSERT_EQ(fstate(k).fourcc, V4L2_PIX_FMT_MJPEG);
    vrt_fake_v4l2_advance(k, DEV, 2);
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->fourcc, VRT_FMT_RGB24);
    ASSERT_EQ(code_of(f), f->sequence);
    vrt_frame_unref(&f);
    ASSERT_EQ(code_of(held), 0); /* the old stream's frame is still intact */
    vrt_frame_unref(&held);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

int main(void) {
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    VRT_RUN(mjpg_only_device_decodes_to_rgb24);
    VRT_RUN(mjpg_only_device_decodes_to_yuyv_and_uyvy_nv12_grey);
    VRT_RUN(newest_mode_decodes_only_the_newest);
    VRT_RUN(decoding_allocates_nothing_per_frame);
    VRT_RUN(corrupt_jpeg_is_counted_and_skipped);
    VRT_RUN(corrupt_jpeg_is_skipped_for_every_format);
    VRT_RUN(corrupt_every_option_in_real_time);
    VRT_RUN(held_decoded_frames_leave_the_driver_its_buffers);
    VRT_RUN(undecodable_size_and_missing_mjpg_are_explained);
    VRT_RUN(mjpeg_format_passes_real_jpegs_through);
    VRT_RUN(reconnect_keeps_decoding);
    return vrt_test_finish();
}
