/* V4L2 capture source against the fake device (tests/lib/fake_v4l2.h).
 * Most tests run the fake in manual time, so which frames exist is decided
 * by the test, and the expected results follow from the kernel's rules
 * (frames without a queued buffer are lost), not from the code under test. */
#include <linux/videodev2.h>
#include <stdlib.h>

#include "lib/fake_v4l2.h"
#include "harness.h"
#include "vrt/source.h"
#include "vrt/v4l2.h"

#define DEV "/dev/video0"

static vrt_fake_v4l2 *g_k;

static vrt_fake_v4l2 *mk_fake(int manual, void (*tweak)(vrt_fake_v4l2_config *)) {
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    ASSERT_TRUE(k != NULL);
    vrt_fake_v4l2_config c;
    vrt_fake_v4l2_default_config(&c, DEV);
    c.manual_time = manual;
    if (tweak) tweak(&c);
    ASSERT_EQ(vrt_fake_v4l2_add(k, &c), 0);
    g_k = k;
    return k;
}

static vrt_source_t *open_src(vrt_fake_v4l2 *k, const char *uri, vrt_source_params *pp) {
    vrt_source_params p;
    if (pp)
        p = *pp;
    else
        vrt_source_default_params(&p);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    vrt_source_t *s = NULL;
    char err[512];
    vrt_status st = vrt_source_open(&s, uri, &p, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s: %s", uri, vrt_status_name(st), err);
    return s;
}

static uint64_t pix_seq(const vrt_frame *f) {
    return vrt_fake_v4l2_frame_seq(f->planes[0].data, f->bytesused, f->fourcc);
}

static vrt_fake_v4l2_state fstate(vrt_fake_v4l2 *k) {
    vrt_fake_v4l2_state st;
    vrt_fake_v4l2_get_state(k, DEV, &st);
    return st;
}

TEST(newest_mode_hands_newest_and_requeues_rest) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, "v4l2:" DEV "?buffers=4", NULL);
    ASSERT_OK(vrt_source_start(s));
    ASSERT_EQ(fstate(k).queued, 4);
    vrt_fake_v4l2_advance(k, DEV, 3); /* frames 0, 1, 2 fill three buffers */
    ASSERT_EQ(fstate(k).done, 3);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 2);
    ASSERT_EQ(pix_seq(f), 2);
    vrt_fake_v4l2_state st = fstate(k);
    ASSERT_EQ(st.done, 0);     /* everything ready was dequeued */
    ASSERT_EQ(st.queued, 3);   /* the two older ones went straight back, plus the idle one */
    ASSERT_EQ(st.dequeued, 1); /* only the frame we hold */
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.requeued, 2);
    ASSERT_EQ(ss.dropped, 2);
    ASSERT_EQ(ss.delivered, 1);
    vrt_frame_unref(&f);
    ASSERT_EQ(fstate(k).queued, 4); /* the last unref re-queued the buffer */
    /* Nothing new: a poll with no frame answers EAGAIN. */
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_EAGAIN);
    vrt_source_destroy(&s);
    ASSERT_EQ(fstate(k).open_fds, 0);
    vrt_fake_v4l2_destroy(&k);
}

TEST(drop_counts_match_frames_nobody_got) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, "v4l2:" DEV "?buffers=3", NULL);
    ASSERT_OK(vrt_source_start(s));
    /* Bursts of n frames between reads; every read takes the newest one that found a buffer. */
    static const int bursts[] = {1, 5, 2, 7, 3, 1, 1, 4, 9, 2, 1};
    uint64_t expect_seq = 0, produced = 0, got = 0;
    for (size_t i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++) {
        int n = bursts[i];
        vrt_fake_v4l2_advance(k, DEV, n);
        /* 3 buffers queued: frames produced..produced+2 are captured, the rest lost. */
        expect_seq = produced + (uint64_t)(n < 3 ? n : 3) - 1;
        produced += (uint64_t)n;
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 0));
        ASSERT_EQ(f->sequence, expect_seq);
        ASSERT_EQ(pix_seq(f), expect_seq);
        got++;
        vrt_frame_unref(&f);
    }
    /* One more single frame so the last gap becomes visible to the reader. */
    vrt_fake_v4l2_advance(k, DEV, 1);
    produced++;
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, produced - 1);
    got++;
    vrt_frame_unref(&f);
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(fstate(k).produced, produced);
    ASSERT_EQ(ss.delivered, got);
    ASSERT_EQ(ss.dropped, produced - got);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(all_mode_delivers_in_order) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, "v4l2:" DEV "?buffers=4&mode=all", NULL);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.mode, VRT_MODE_ALL);
    ASSERT_EQ(info.buffers, 4);
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 3);
    for (uint64_t i = 0; i < 3; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 0));
        ASSERT_EQ(f->sequence, i);
        ASSERT_EQ(pix_seq(f), i);
        vrt_frame_unref(&f);
    }
    /* 6 frames, 4 buffers: frames 3..6 captured, 7 and 8 lost. */
    vrt_fake_v4l2_advance(k, DEV, 6);
    for (uint64_t i = 3; i < 7; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 0));
        ASSERT_EQ(f->sequence, i);
        vrt_frame_unref(&f);
    }
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.dropped, 0);
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 9);
    vrt_frame_unref(&f);
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.dropped, 2);
    ASSERT_EQ(ss.requeued, 0);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(timestamps_are_the_devices) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, DEV, NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_source_info info; /* the timestamp kind is the buffers' flag: known from start */
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.driver_timestamps, 1);
    ASSERT_EQ(info.monotonic_timestamps, 1);
    for (int round = 0; round < 3; round++) {
        vrt_fake_v4l2_advance(k, DEV, 2);
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 0));
        int64_t want = vrt_fake_v4l2_frame_time(k, DEV, f->sequence);
        ASSERT_TRUE(f->ts_from_driver);
        /* struct timeval carries microseconds: the driver's stamp truncated to us. */
        ASSERT_EQ(f->timestamp_ns, want / 1000 * 1000);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

static void ts_unknown(vrt_fake_v4l2_config *c) {
    c->ts_unknown = 1;
}

TEST(non_monotonic_driver_timestamps_are_replaced) {
    vrt_fake_v4l2 *k = mk_fake(1, ts_unknown);
    vrt_log_set(NULL, NULL, VRT_LOG_ERROR); /* the expected warning would clutter the output */
    vrt_source_t *s = open_src(k, DEV, NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.monotonic_timestamps, 0);
    vrt_fake_v4l2_advance(k, DEV, 1);
    int64_t t0 = vrt_now_ns();
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->ts_from_driver, 0);
    ASSERT_TRUE(f->timestamp_ns >= t0 && f->timestamp_ns <= vrt_now_ns());
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(real_time_frames_are_paced_and_stamped) {
    vrt_fake_v4l2 *k = mk_fake(0, NULL);
    vrt_source_t *s = open_src(k, DEV "?fps=30&mode=all", NULL);
    ASSERT_OK(vrt_source_start(s));
    int64_t period = fstate(k).period_ns;
    ASSERT_EQ(period, 1000000000LL / 30);
    uint64_t prev_seq = 0;
    int64_t prev_ts = 0;
    for (int i = 0; i < 6; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        ASSERT_EQ(pix_seq(f), f->sequence);
        ASSERT_TRUE(f->dequeue_ns >= f->timestamp_ns);
        ASSERT_EQ(f->timestamp_ns, vrt_fake_v4l2_frame_time(k, DEV, f->sequence) / 1000 * 1000);
        if (i) {
            ASSERT_TRUE(f->sequence > prev_seq);
            ASSERT_NEAR(f->timestamp_ns - prev_ts, (double)(f->sequence - prev_seq) * period, 2000);
        }
        prev_seq = f->sequence;
        prev_ts = f->timestamp_ns;
        vrt_frame_unref(&f);
    }
    /* ALL mode and a slow consumer: the frames that found buffers come in order. */
    vrt_sleep_ns(150000000);
    for (int i = 1; i <= 3; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 1000));
        ASSERT_EQ(f->sequence, prev_seq + (uint64_t)i);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);

    /* NEWEST mode and a slow consumer: 3 buffers fill with frames 0..2 and later
     * frames are lost (kernel rule), so the newest available is 2; the next read
     * then gets a fresh frame, and every frame not delivered is counted. */
    s = open_src(k, DEV "?fps=30&buffers=3", NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_sleep_ns(150000000);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 1000));
    ASSERT_EQ(f->sequence, 2);
    vrt_frame_unref(&f);
    ASSERT_OK(vrt_source_read(s, &f, 1000));
    ASSERT_TRUE(f->sequence >= 4);
    uint64_t last = f->sequence;
    vrt_frame_unref(&f);
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_TRUE(ss.requeued >= 2); /* 3 if two frames were ready at the second read */
    ASSERT_EQ(ss.dropped, last + 1 - 2);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(unplug_gives_enodev_and_reconnect_works) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_log_set(NULL, NULL, VRT_LOG_ERROR);
    vrt_source_t *s = open_src(k, "v4l2:" DEV "?reconnect=1", NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *held = NULL;
    ASSERT_OK(vrt_source_read(s, &held, 0));
    ASSERT_EQ(pix_seq(held), 0);
    vrt_fake_v4l2_unplug(k, DEV);
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_ENODEV);
    ASSERT_CONTAINS(vrt_source_last_error(s), DEV ": device disconnected");
    ASSERT_EQ(fstate(k).open_fds, 0); /* the dead fd was closed at once */
    /* The frame we still hold stays readable (its mapping outlives the device). */
    ASSERT_EQ(pix_seq(held), 0);
    vrt_frame_unref(&held);
    /* Still gone: the reopen attempt fails, and says when the next one comes. */
    ASSERT_STATUS(vrt_source_read(s, &f, 300), VRT_ENODEV);
    ASSERT_CONTAINS(vrt_source_last_error(s), "reopen attempt");
    vrt_fake_v4l2_replug(k, DEV);
    vrt_status st = VRT_ENODEV;
    for (int i = 0; i < 20 && st == VRT_ENODEV; i++)
        st = vrt_source_read(s, &f, 500);
    ASSERT_STATUS(st, VRT_EAGAIN); /* reconnected and streaming; manual time: no frame yet */
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.reconnects, 1);
    ASSERT_EQ(fstate(k).opens_total, 2);
    ASSERT_EQ(fstate(k).streaming, 1);
    vrt_fake_v4l2_advance(k, DEV, 2);
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 1); /* the new stream numbers from 0 again */
    ASSERT_EQ(pix_seq(f), 1);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_fake_v4l2_destroy(&k);
}

static void unplug5(vrt_fake_v4l2_config *c) {
    c->unplug_after = 5;
}

TEST(unplug_after_n_frames_without_reconnect) {
    vrt_fake_v4l2 *k = mk_fake(0, unplug5);
    vrt_log_set(NULL, NULL, VRT_LOG_ERROR);
    vrt_source_t *s = open_src(k, DEV "?fps=30&mode=all", NULL);
    ASSERT_OK(vrt_source_start(s));
    int got = 0;
    vrt_status st = VRT_OK;
    for (int i = 0; i < 20; i++) {
        vrt_frame *f = NULL;
        st = vrt_source_read(s, &f, 1000);
        if (st) break;
        got++;
        vrt_frame_unref(&f);
    }
    ASSERT_STATUS(st, VRT_ENODEV);
    ASSERT_TRUE(got >= 1 && got <= 5);
    ASSERT_CONTAINS(vrt_source_last_error(s), "reconnect=1");
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, 0), VRT_ENODEV);
    vrt_source_destroy(&s);
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_fake_v4l2_destroy(&k);
}

TEST(transient_eio_is_counted_and_skipped) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_log_set(NULL, NULL, VRT_LOG_ERROR);
    vrt_source_t *s = open_src(k, DEV, NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_fake_v4l2_fail_dqbuf(k, DEV, 1);
    vrt_frame *f = NULL;
    vrt_status st = vrt_source_read(s, &f, 0);
    if (st == VRT_EAGAIN) st = vrt_source_read(s, &f, 0);
    ASSERT_OK(st);
    ASSERT_EQ(f->sequence, 0);
    vrt_frame_unref(&f);
    vrt_source_stats ss;
    vrt_source_get_stats(s, &ss);
    ASSERT_EQ(ss.errors, 1);
    vrt_source_destroy(&s);
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_fake_v4l2_destroy(&k);
}

TEST(unsupported_format_names_supported_ones) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    vrt_source_t *s = NULL;
    char err[512];
    ASSERT_STATUS(vrt_source_open(&s, "v4l2:" DEV "?format=H264", &p, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_TRUE(s == NULL);
    ASSERT_CONTAINS(err, DEV ": format 'H264' not supported; supported: YUYV, MJPG");
    /* A raw format the device lacks is decoded from its MJPG (test_v4l2_mjpeg.c); H264 is not raw. */
    ASSERT_OK(vrt_source_open(&s, "v4l2:" DEV "?format=NV12", &p, err, sizeof(err)));
    vrt_source_info in;
    vrt_source_get_info(s, &in);
    ASSERT_EQ(in.fourcc, VRT_FMT_NV12);
    ASSERT_EQ(in.device_fourcc, VRT_FMT_MJPEG);
    vrt_source_destroy(&s);
    ASSERT_EQ(fstate(k).open_fds, 0);
    /* Unknown keys and bad values are refused with the list of what works. */
    ASSERT_STATUS(vrt_source_open(&s, "v4l2:" DEV "?colour=1", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "buffers, mode, reconnect, io");
    ASSERT_STATUS(vrt_source_open(&s, "v4l2:" DEV "?buffers=1", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(vrt_source_open(&s, "v4l2:" DEV "?mode=oldest", &p, err, sizeof(err)), VRT_EINVAL);
    ASSERT_STATUS(vrt_source_open(&s, "v4l2:/dev/video9", &p, err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, "/dev/video9: no such device");
    vrt_fake_v4l2_destroy(&k);
}

static char g_log[2048];
static void keep_log(void *u, vrt_log_level l, const char *who, const char *msg) {
    if (l == VRT_LOG_INFO && strstr(msg, "adjusted"))
        snprintf(g_log + strlen(g_log), sizeof(g_log) - strlen(g_log), "%s: %s\n", who, msg);
}

TEST(driver_adjusted_size_and_rate_are_reported) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    g_log[0] = 0;
    vrt_log_set(keep_log, NULL, VRT_LOG_INFO);
    vrt_source_t *s = open_src(k, DEV "?width=1000&height=700&fps=20", NULL);
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    /* The fake, like drivers, picks the nearest size (1280x720) and rate (15 of 30, 15). */
    ASSERT_EQ(info.width, 1280);
    ASSERT_EQ(info.height, 720);
    ASSERT_NEAR(info.fps, 15, 1e-9);
    ASSERT_EQ(info.fourcc, VRT_FMT_YUYV);
    ASSERT_STREQ(info.driver, "vrt_fake");
    ASSERT_STREQ(info.kind, "v4l2");
    ASSERT_EQ(fstate(k).width, 1280);
    ASSERT_EQ(fstate(k).interval_den, 15);
    ASSERT_CONTAINS(g_log, "v4l2:" DEV ": driver adjusted 1000x700 to 1280x720");
    ASSERT_CONTAINS(g_log, "driver adjusted 20 fps to 15 fps");
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->width, 1280);
    ASSERT_EQ(f->height, 720);
    ASSERT_EQ(f->planes[0].stride, 1280 * 2);
    ASSERT_EQ(f->bytesused, 1280 * 720 * 2);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(mjpeg_frames_are_delivered_compressed) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, DEV "?format=MJPG&width=320&height=240", NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 4);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->fourcc, VRT_FMT_MJPEG);
    ASSERT_EQ(f->sequence, 2);
    ASSERT_TRUE(f->bytesused < 320 * 240); /* bytesused is the JPEG size, not the buffer */
    ASSERT_EQ(pix_seq(f), 2);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(userptr_into_caller_buffers) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    enum { N = 3 };
    size_t size = 640 * 480 * 2;
    void *bufs[N];
    for (int i = 0; i < N; i++)
        ASSERT_TRUE((bufs[i] = aligned_alloc(4096, size)) != NULL);
    vrt_source_t *s = open_src(k, DEV "?mode=all", NULL);
    vrt_source_config c;
    vrt_source_default_config(&c);
    c.buffers = bufs;
    c.count = N;
    c.size = size;
    ASSERT_OK(vrt_source_configure(s, &c));
    ASSERT_OK(vrt_source_start(s));
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.buffers, N);
    ASSERT_EQ(fstate(k).num_buffers, N);
    vrt_fake_v4l2_advance(k, DEV, 2);
    for (uint64_t i = 0; i < 2; i++) {
        vrt_frame *f = NULL;
        ASSERT_OK(vrt_source_read(s, &f, 0));
        ASSERT_EQ(f->sequence, i);
        int mine = 0;
        for (int j = 0; j < N; j++)
            mine |= f->planes[0].data == bufs[j];
        ASSERT_TRUE(mine);
        ASSERT_EQ(vrt_fake_v4l2_frame_seq(f->planes[0].data, f->bytesused, f->fourcc), i);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);
    /* Too small: start refuses, naming the size needed; the same open device then streams into
     * its own buffers after another configure. */
    int opens = fstate(k).opens_total;
    vrt_source_t *s2 = open_src(k, DEV "?mode=all", NULL);
    c.size = 1000;
    ASSERT_OK(vrt_source_configure(s2, &c));
    ASSERT_STATUS(vrt_source_start(s2), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_source_last_error(s2), "needs 614400 bytes");
    vrt_source_default_config(&c);
    ASSERT_OK(vrt_source_configure(s2, &c));
    ASSERT_OK(vrt_source_start(s2));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *f2 = NULL;
    ASSERT_OK(vrt_source_read(s2, &f2, 0));
    ASSERT_TRUE(vrt_fake_v4l2_owns_mem(k, f2->planes[0].data));
    vrt_frame_unref(&f2);
    /* Stopped, the consumer's buffers again: bound on the same open file. */
    ASSERT_OK(vrt_source_stop(s2));
    c.buffers = bufs;
    c.count = N;
    c.size = size;
    ASSERT_OK(vrt_source_configure(s2, &c));
    ASSERT_OK(vrt_source_start(s2));
    vrt_fake_v4l2_advance(k, DEV, 1);
    ASSERT_OK(vrt_source_read(s2, &f2, 0));
    ASSERT_TRUE(f2->planes[0].data == bufs[f2->buffer_index]);
    ASSERT_EQ(pix_seq(f2), f2->sequence);
    /* A frame still held pins the buffers: no re-configuring under it. */
    ASSERT_OK(vrt_source_stop(s2));
    ASSERT_STATUS(vrt_source_configure(s2, &c), VRT_EBUSY);
    vrt_frame_unref(&f2);
    ASSERT_EQ(fstate(k).opens_total, opens + 1);
    vrt_source_destroy(&s2);
    for (int i = 0; i < N; i++)
        free(bufs[i]);
    /* io=userptr without caller buffers: the source allocates them. */
    vrt_source_t *s3 = open_src(k, DEV "?io=userptr", NULL);
    ASSERT_OK(vrt_source_start(s3));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s3, &f, 0));
    ASSERT_EQ(pix_seq(f), 0);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s3);
    vrt_fake_v4l2_destroy(&k);
}

TEST(all_buffers_held_answers_eagain) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, DEV "?mode=all&buffers=2", NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 2);
    vrt_frame *a = NULL, *b = NULL, *c = NULL;
    ASSERT_OK(vrt_source_read(s, &a, 0));
    ASSERT_OK(vrt_source_read(s, &b, 0));
    ASSERT_STATUS(vrt_source_read(s, &c, 100), VRT_EAGAIN);
    ASSERT_CONTAINS(vrt_source_last_error(s), "held by the caller");
    vrt_frame_ref(a); /* a second reference: the buffer returns only after both are dropped */
    vrt_frame *a2 = a;
    vrt_frame_unref(&a);
    ASSERT_EQ(fstate(k).queued, 0);
    vrt_frame_unref(&a2);
    ASSERT_EQ(fstate(k).queued, 1);
    vrt_frame_unref(&b);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(frames_outlive_the_source) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, DEV, NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 1);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    uint8_t *data = f->planes[0].data;
    vrt_source_destroy(&s);
    ASSERT_TRUE(s == NULL);
    ASSERT_EQ(pix_seq(f), 0);
    ASSERT_TRUE(vrt_fake_v4l2_owns_mem(k, data)); /* still mapped */
    ASSERT_EQ(fstate(k).open_fds, 1);
    vrt_frame_unref(&f);
    ASSERT_EQ(fstate(k).open_fds, 0);
    ASSERT_TRUE(!vrt_fake_v4l2_owns_mem(k, data)); /* unmapped and freed */
    vrt_fake_v4l2_destroy(&k);
}

TEST(stop_and_restart) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, DEV "?mode=all", NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_fake_v4l2_advance(k, DEV, 2);
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_OK(vrt_source_stop(s));
    ASSERT_EQ(fstate(k).streaming, 0);
    vrt_frame_unref(&f); /* released while stopped: not queued */
    ASSERT_EQ(fstate(k).queued, 0);
    ASSERT_OK(vrt_source_start(s));
    ASSERT_EQ(fstate(k).queued, 3);
    vrt_fake_v4l2_advance(k, DEV, 1);
    ASSERT_OK(vrt_source_read(s, &f, 0));
    ASSERT_EQ(f->sequence, 0);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

TEST(controls_list_get_set) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, DEV, NULL);
    vrt_control c[32];
    int n = 0;
    ASSERT_OK(vrt_source_controls(s, c, 32, &n));
    ASSERT_EQ(n, 7); /* the "User Controls" class entry is not a control */
    int exp = -1, gain = -1, ae = -1, wbt = -1;
    for (int i = 0; i < n; i++) {
        if (!strcmp(c[i].key, "exposure_time_absolute")) exp = i;
        if (!strcmp(c[i].key, "gain")) gain = i;
        if (!strcmp(c[i].key, "auto_exposure")) ae = i;
        if (!strcmp(c[i].key, "white_balance_temperature")) wbt = i;
    }
    ASSERT_TRUE(exp >= 0 && gain >= 0 && ae >= 0 && wbt >= 0);
    ASSERT_STREQ(c[exp].name, "Exposure Time, Absolute");
    ASSERT_EQ(c[exp].id, V4L2_CID_EXPOSURE_ABSOLUTE);
    ASSERT_TRUE(c[exp].flags & VRT_CTRL_FLAG_INACTIVE);
    ASSERT_EQ(c[gain].type, VRT_CTRL_INT);
    ASSERT_EQ(c[gain].min, 0);
    ASSERT_EQ(c[gain].max, 255);
    ASSERT_EQ(c[gain].value, 16);
    ASSERT_EQ(c[ae].type, VRT_CTRL_MENU);
    ASSERT_EQ(c[wbt].step, 10);

    ASSERT_OK(vrt_source_control_set(s, "gain", 100));
    ASSERT_EQ(vrt_fake_v4l2_control(k, DEV, V4L2_CID_GAIN), 100);
    int64_t v = 0;
    ASSERT_OK(vrt_source_control_get(s, "Gain", &v));
    ASSERT_EQ(v, 100);
    ASSERT_STATUS(vrt_source_control_set(s, "gain", 300), VRT_ERANGE);
    ASSERT_CONTAINS(vrt_source_last_error(s), "gain=300 out of range 0..255");
    ASSERT_EQ(vrt_fake_v4l2_control(k, DEV, V4L2_CID_GAIN), 100);
    ASSERT_STATUS(vrt_source_control_set(s, "white_balance_temperature", 4605), VRT_ERANGE);
    ASSERT_STATUS(vrt_source_control_set(s, "auto_exposure", 2), VRT_ERANGE);
    ASSERT_CONTAINS(vrt_source_last_error(s), "1 (Manual Mode), 3 (Aperture Priority Mode)");
    ASSERT_OK(vrt_source_control_set(s, "auto_exposure", V4L2_EXPOSURE_MANUAL));
    ASSERT_OK(vrt_source_control_set(s, "Exposure Time, Absolute", 500));
    ASSERT_EQ(vrt_fake_v4l2_control(k, DEV, V4L2_CID_EXPOSURE_ABSOLUTE), 500);
    ASSERT_OK(vrt_source_controls(s, c, 32, &n));
    for (int i = 0; i < n; i++)
        if (!strcmp(c[i].key, "exposure_time_absolute")) {
            ASSERT_EQ(c[i].flags & VRT_CTRL_FLAG_INACTIVE, 0);
            ASSERT_EQ(c[i].value, 500);
        }
    ASSERT_STATUS(vrt_source_control_get(s, "zoom", &v), VRT_ENOENT);
    ASSERT_CONTAINS(vrt_source_last_error(s), "no control 'zoom'; controls: brightness");
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

static void no_streaming(vrt_fake_v4l2_config *c) {
    c->no_streaming = 1;
}
static void meta_node(vrt_fake_v4l2_config *c) {
    c->not_capture = 1;
}

TEST(capability_checks) {
    char err[512];
    vrt_source_t *s = NULL;
    vrt_source_params p;
    vrt_source_default_params(&p);
    vrt_fake_v4l2 *k = mk_fake(1, no_streaming);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    ASSERT_STATUS(vrt_source_open(&s, DEV, &p, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_CONTAINS(err, "does not support streaming I/O");
    vrt_fake_v4l2_destroy(&k);
    k = mk_fake(1, meta_node);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    ASSERT_STATUS(vrt_source_open(&s, DEV, &p, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_CONTAINS(err, "not a video capture device");
    ASSERT_CONTAINS(err, "metadata node");
    vrt_fake_v4l2_destroy(&k);
}

TEST(second_opener_gets_busy) {
    vrt_fake_v4l2 *k = mk_fake(1, NULL);
    vrt_source_t *s = open_src(k, DEV, NULL);
    ASSERT_OK(vrt_source_start(s));
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.v4l2_ops = vrt_fake_v4l2_ops(k);
    vrt_source_t *s2 = NULL;
    char err[512];
    ASSERT_STATUS(vrt_source_open(&s2, DEV, &p, err, sizeof(err)), VRT_EBUSY);
    ASSERT_CONTAINS(err, "busy");
    vrt_source_destroy(&s);
    vrt_fake_v4l2_destroy(&k);
}

int main(void) {
    vrt_log_set(NULL, NULL, VRT_LOG_WARN);
    VRT_RUN(newest_mode_hands_newest_and_requeues_rest);
    VRT_RUN(drop_counts_match_frames_nobody_got);
    VRT_RUN(all_mode_delivers_in_order);
    VRT_RUN(timestamps_are_the_devices);
    VRT_RUN(non_monotonic_driver_timestamps_are_replaced);
    VRT_RUN(real_time_frames_are_paced_and_stamped);
    VRT_RUN(unplug_gives_enodev_and_reconnect_works);
    VRT_RUN(unplug_after_n_frames_without_reconnect);
    VRT_RUN(transient_eio_is_counted_and_skipped);
    VRT_RUN(unsupported_format_names_supported_ones);
    VRT_RUN(driver_adjusted_size_and_rate_are_reported);
    VRT_RUN(mjpeg_frames_are_delivered_compressed);
    VRT_RUN(userptr_into_caller_buffers);
    VRT_RUN(all_buffers_held_answers_eagain);
    VRT_RUN(frames_outlive_the_source);
    VRT_RUN(stop_and_restart);
    VRT_RUN(controls_list_get_set);
    VRT_RUN(capability_checks);
    VRT_RUN(second_opener_gets_busy);
    (void)g_k;
    return vrt_test_finish();
}
