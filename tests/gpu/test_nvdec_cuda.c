/* The NVDEC source (src/capture/nvdec.c) on a GPU: the committed clips of tests/nvdec decoded by
 * the GPU's video engines must give exactly FFmpeg's pixels (H.264 and HEVC decoding is bit-exact:
 * tolerance 0), checked against FFmpeg's framecrc of each frame committed with the clips, and,
 * in builds with FFmpeg, byte for byte against the CPU decode (decode=cpu) of the same file.
 * Then what the frame path relies on: display order through B-frames, cropping (200x120 from
 * 208x128 coded), loop=1, pts, pace=native, the fixed pool (frames outliving the source, VRT_ENOSPC
 * when all are held) and several decoders at once. Skips (77) with the reason where libnvcuvid
 * or a GPU is absent. */
#include "../unit/nvdec_test_util.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static char g_uri[1400];

/* file: URI of a committed clip with the NVDEC source and extra keys. */
static const char *nv_uri(const char *clip, const char *extra) {
    snprintf(g_uri, sizeof(g_uri), "file:%s?decode=nvdec%s%s", nv_clip(clip), extra ? "&" : "",
             extra ? extra : "");
    return g_uri;
}

/* Opens and starts, or skips the test when this machine has no NVDEC. */
static vrt_source_t *open_nv(const char *uri) {
    vrt_source_t *s = NULL;
    char err[512];
    vrt_status st = vrt_source_open(&s, uri, NULL, err, sizeof(err));
    if (st == VRT_ENOSYS && strstr(err, "no NVDEC")) SKIP("%s", err);
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s: %s", uri, vrt_status_name(st), err);
    ASSERT_OK(vrt_source_start(s));
    return s;
}

static vrt_frame *read_ok(vrt_source_t *s) {
    vrt_frame *f = NULL;
    vrt_status st = vrt_source_read(s, &f, -1);
    if (st) vrt_test_fail(__FILE__, __LINE__, "read: %s: %s", vrt_status_name(st), vrt_source_last_error(s));
    return f;
}

TEST(h264_matches_reference) {
    vrt_source_t *s = open_nv(nv_uri("clip200x120.h264", NULL));
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.driver, "nvdec h264");
    ASSERT_NEAR(info.fps, 30, 1e-9); /* from the SPS VUI */
    vrt_source_destroy(&s);
    ASSERT_EQ(nv_check_clip(nv_uri("clip200x120.h264", NULL), "clip200x120.h264"), NV_CLIP_FRAMES);
}

TEST(hevc_matches_reference) {
    vrt_source_t *s = open_nv(nv_uri("clip200x120.h265", NULL));
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_STREQ(info.driver, "nvdec hevc");
    vrt_source_destroy(&s);
    ASSERT_EQ(nv_check_clip(nv_uri("clip200x120.h265", NULL), "clip200x120.h265"), NV_CLIP_FRAMES);
}

/* Every byte of every frame against FFmpeg's decode through the file source. */
TEST(matches_cpu_decode) {
#ifndef VRT_HAVE_FFMPEG
    SKIP("built without FFmpeg: compared with the committed reference checksums only");
#else
    const char *names[] = {"clip200x120.h264", "clip200x120.h265"};
    for (int c = 0; c < 2; c++) {
        vrt_source_t *g = open_nv(nv_uri(names[c], NULL));
        char uri[1400], err[512];
        snprintf(uri, sizeof(uri), "file:%s?decode=cpu", nv_clip(names[c]));
        vrt_source_t *cpu = NULL;
        ASSERT_OK(vrt_source_open(&cpu, uri, NULL, err, sizeof(err)));
        ASSERT_OK(vrt_source_start(cpu));
        for (int i = 0; i < NV_CLIP_FRAMES; i++) {
            vrt_frame *a = read_ok(g), *b = read_ok(cpu);
            ASSERT_EQ(a->memory, VRT_MEM_PINNED);
            ASSERT_EQ(a->fourcc, b->fourcc);
            ASSERT_NEAR((double)a->pts_ns, (double)b->pts_ns, 1e6); /* both at 30 fps, rounded apart */
            for (int p = 0; p < 2; p++)
                for (uint32_t y = 0; y < (p ? a->height / 2 : a->height); y++)
                    if (memcmp(a->planes[p].data + (size_t)y * a->planes[p].stride,
                               b->planes[p].data + (size_t)y * b->planes[p].stride, a->width))
                        vrt_test_fail(__FILE__, __LINE__, "%s frame %d plane %d row %u differs", names[c], i,
                                      p, y);
            vrt_frame_unref(&a);
            vrt_frame_unref(&b);
        }
        vrt_source_destroy(&g);
        vrt_source_destroy(&cpu);
    }
#endif
}

/* The clips in mp4 (FFmpeg demuxes, the Annex-B filter converts): the same pixels, pts from the
 * container, and with loop=1 the pts go on across the loop. */
TEST(containers_match_reference) {
#ifndef VRT_HAVE_FFMPEG
    SKIP("built without FFmpeg: containers are not demuxed");
#else
    const char *mp4[] = {"clip200x120_h264.mp4", "clip200x120_hevc.mp4"};
    const char *ref[] = {"clip200x120.h264", "clip200x120.h265"};
    for (int c = 0; c < 2; c++) {
        vrt_source_t *s = open_nv(nv_uri(mp4[c], NULL));
        vrt_source_info info;
        vrt_source_get_info(s, &info);
        ASSERT_STREQ(info.driver, c ? "nvdec hevc" : "nvdec h264");
        ASSERT_EQ(info.frame_count, NV_CLIP_FRAMES);
        vrt_source_destroy(&s);
        ASSERT_EQ(nv_check_clip(nv_uri(mp4[c], NULL), ref[c]), NV_CLIP_FRAMES);
    }
    uint32_t want[NV_CLIP_FRAMES];
    ASSERT_EQ(nv_load_crc("clip200x120.h264", want, NV_CLIP_FRAMES), NV_CLIP_FRAMES);
    vrt_source_t *s = open_nv(nv_uri(mp4[0], "loop=1"));
    for (int i = 0; i < 2 * NV_CLIP_FRAMES + 3; i++) {
        vrt_frame *f = read_ok(s);
        ASSERT_EQ(nv_frame_adler(f), want[i % NV_CLIP_FRAMES]);
        ASSERT_NEAR((double)f->pts_ns, i * 1e9 / 30, 1e6);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);
#endif
}

TEST(loop_and_pts) {
    uint32_t want[NV_CLIP_FRAMES];
    ASSERT_EQ(nv_load_crc("clip200x120.h264", want, NV_CLIP_FRAMES), NV_CLIP_FRAMES);
    vrt_source_t *s = open_nv(nv_uri("clip200x120.h264", "loop=1"));
    for (int i = 0; i < 3 * NV_CLIP_FRAMES + 5; i++) {
        vrt_frame *f = read_ok(s);
        ASSERT_EQ(f->sequence, i);
        ASSERT_EQ(nv_frame_adler(f), want[i % NV_CLIP_FRAMES]);
        ASSERT_NEAR((double)f->pts_ns, i * 1e9 / 30, 1); /* display index x the frame period */
        ASSERT_TRUE(f->timestamp_ns > 0 && f->timestamp_ns <= f->dequeue_ns);
        vrt_frame_unref(&f);
    }
    vrt_source_destroy(&s);
}

/* pace=native: access units go to the decoder at 30 per second, and a frame's timestamp is when
 * its unit went (display order differs from decode order by the B-frames, so the timestamps of
 * consecutive frames are whole frame periods apart, not always one). */
TEST(pace_native) {
    vrt_source_t *s = open_nv(nv_uri("clip200x120.h264", "pace=native"));
    const double period = 1e9 / 30;
    int64_t t[16], dq[16], t_min = INT64_MAX;
    for (int i = 0; i < 16; i++) {
        vrt_frame *f = read_ok(s);
        t[i] = f->timestamp_ns;
        dq[i] = f->dequeue_ns;
        if (t[i] < t_min) t_min = t[i];
        vrt_frame_unref(&f);
    }
    for (int i = 0; i < 16; i++) {
        double d = (double)(t[i] - t_min), k = floor(d / period + 0.5);
        ASSERT_NEAR(d, k * period, 2e6); /* on schedule to 2 ms */
        ASSERT_TRUE(k <= 18);
    }
    /* Display 15 needs decode units up to 15 + the reorder depth (3 B-frames). */
    double span = (double)(dq[15] - dq[0]);
    ASSERT_TRUE(span > 14 * period && span < 19 * period);
    /* A polling read answers EAGAIN until the next unit is due; a waiting one gets the frame. */
    vrt_frame *f = NULL;
    vrt_status st = vrt_source_read(s, &f, 0);
    if (st == VRT_EAGAIN) st = vrt_source_read(s, &f, 200);
    ASSERT_OK(st);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
}

TEST(pool_and_lifetime) {
    uint32_t want[NV_CLIP_FRAMES];
    ASSERT_EQ(nv_load_crc("clip200x120.h265", want, NV_CLIP_FRAMES), NV_CLIP_FRAMES);
    vrt_source_t *s = open_nv(nv_uri("clip200x120.h265", NULL));
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    vrt_frame *held[8] = {0};
    for (int i = 0; i < info.buffers; i++)
        held[i] = read_ok(s);
    vrt_frame *f = NULL;
    ASSERT_STATUS(vrt_source_read(s, &f, -1), VRT_ENOSPC);
    vrt_frame_unref(&held[0]);
    f = read_ok(s); /* the frame that could not be handed out is not lost */
    ASSERT_EQ(nv_frame_adler(f), want[info.buffers]);
    vrt_frame_unref(&f);
    vrt_source_destroy(&s);
    /* Frames outlive the source: their page-locked memory goes when the last is released. */
    for (int i = 1; i < info.buffers; i++) {
        ASSERT_EQ(nv_frame_adler(held[i]), want[i]);
        vrt_frame_unref(&held[i]);
    }
}

/* Eight decoders on one GPU, read in turn from one thread: each stream's frames stay its own. */
TEST(many_decoders) {
    uint32_t want[2][NV_CLIP_FRAMES];
    const char *names[] = {"clip200x120.h264", "clip200x120.h265"};
    vrt_source_t *s[8];
    for (int k = 0; k < 8; k++) {
        ASSERT_EQ(nv_load_crc(names[k & 1], want[k & 1], NV_CLIP_FRAMES), NV_CLIP_FRAMES);
        s[k] = open_nv(nv_uri(names[k & 1], NULL));
    }
    for (int i = 0; i < NV_CLIP_FRAMES; i++)
        for (int k = 0; k < 8; k++) {
            vrt_frame *f = read_ok(s[k]);
            ASSERT_EQ(nv_frame_adler(f), want[k & 1][i]);
            vrt_frame_unref(&f);
        }
    for (int k = 0; k < 8; k++) {
        vrt_frame *f = NULL;
        ASSERT_STATUS(vrt_source_read(s[k], &f, -1), VRT_EOF);
        vrt_source_destroy(&s[k]);
    }
}

/* What NVDEC cannot give is refused at open with what would work. */
TEST(refusals) {
    vrt_source_t *s = open_nv(nv_uri("clip200x120.h264", NULL));
    vrt_source_destroy(&s);
    vrt_source_params p;
    vrt_source_default_params(&p);
    p.fourcc = VRT_FMT_RGB24;
    char err[512];
    ASSERT_STATUS(vrt_source_open(&s, nv_uri("clip200x120.h264", NULL), &p, err, sizeof(err)), VRT_ENOTSUP);
    ASSERT_CONTAINS(err, "decode=cpu");
    ASSERT_STATUS(vrt_source_open(&s, nv_uri("clip200x120.h264", "device=255"), NULL, err, sizeof(err)),
                  VRT_ENODEV);
}

int main(void) {
    VRT_RUN(h264_matches_reference);
    VRT_RUN(hevc_matches_reference);
    VRT_RUN(matches_cpu_decode);
    VRT_RUN(containers_match_reference);
    VRT_RUN(loop_and_pts);
    VRT_RUN(pace_native);
    VRT_RUN(pool_and_lifetime);
    VRT_RUN(many_decoders);
    VRT_RUN(refusals);
    return vrt_test_finish();
}
