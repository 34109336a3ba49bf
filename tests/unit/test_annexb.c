/* The Annex-B reader (src/capture/annexb.c) and the decode= choice of file sources (source.c,
 * nvdec.c) on the CPU: hand-built NAL sequences whose access units are known by construction,
 * the committed clips of tests/nvdec (24 pictures each, FFmpeg's own count), a stream made by the
 * ffmpeg command when it is there, and the NVDEC source's errors where NVDEC is absent. With
 * FFmpeg in the build, the committed reference checksums are checked against FFmpeg's decode
 * through the file source (decode=cpu), which is what the GPU test compares NVDEC with. */
#include "harness.h"
#include "nvdec_test_util.h"

#include "capture/annexb.h"
#include "vrt/source.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- building streams ------------------------------------------------------------ */

typedef struct sbuf {
    uint8_t d[4096];
    size_t n;
} sbuf;

/* A NAL unit: start code (3 or 4 bytes), header bytes, then `body` payload bytes of 0x55. */
static void nal(sbuf *b, int four, const uint8_t *hdr, size_t hn, size_t body) {
    if (four) b->d[b->n++] = 0;
    b->d[b->n++] = 0;
    b->d[b->n++] = 0;
    b->d[b->n++] = 1;
    memcpy(b->d + b->n, hdr, hn);
    b->n += hn;
    memset(b->d + b->n, 0x55, body);
    b->n += body;
}

/* H.264: header byte (nal_ref_idc 3) of type t; slices get first_mb_in_slice 0 (bit '1') or not. */
static void h264(sbuf *b, int four, int t, int first_mb0) {
    uint8_t h[2] = {(uint8_t)(0x60 | t), first_mb0 ? 0x88 : 0x2a};
    nal(b, four, h, (t >= 1 && t <= 5) ? 2 : 1, 5);
}

static void hevc(sbuf *b, int t, int first_slice) {
    uint8_t h[3] = {(uint8_t)(t << 1), 1, first_slice ? 0xc0 : 0x40};
    nal(b, 1, h, (t <= 31) ? 3 : 2, 6);
}

/* Splits b and records each unit's start offset and key flag; returns the count. */
static int split(const sbuf *b, vrt__es_codec c, size_t *off, int *key, int cap) {
    vrt__annexb r;
    vrt__annexb_init(&r, b->d, b->n, c);
    int n = 0;
    size_t o, len, end = 0;
    int k;
    while (vrt__annexb_next(&r, &o, &len, &k) == VRT_OK) {
        ASSERT_TRUE(n < cap);
        if (n) ASSERT_EQ(o, end); /* units tile the stream */
        off[n] = o;
        key[n] = k;
        end = o + len;
        n++;
    }
    if (n) ASSERT_EQ(end, b->n);
    return n;
}

/* ---- the splitter ---------------------------------------------------------------- */

TEST(h264_access_units) {
    sbuf b = {.n = 0};
    size_t want[8];
    int nw = 0;
    b.d[b.n++] = 0xff; /* garbage before the first start code is skipped */
    b.d[b.n++] = 0x00;
    want[nw++] = b.n;
    h264(&b, 1, 9, 0); /* AUD */
    h264(&b, 1, 7, 0); /* SPS */
    h264(&b, 0, 8, 0); /* PPS */
    h264(&b, 0, 6, 0); /* SEI */
    h264(&b, 1, 5, 1); /* IDR, two slices */
    h264(&b, 0, 5, 0);
    want[nw++] = b.n;
    h264(&b, 0, 1, 1); /* P: three slices, then filler (same unit) */
    h264(&b, 0, 1, 0);
    h264(&b, 1, 1, 0);
    h264(&b, 0, 12, 0);
    want[nw++] = b.n;
    h264(&b, 0, 6, 0); /* SEI opens the next unit */
    h264(&b, 0, 1, 1);
    want[nw++] = b.n;
    h264(&b, 1, 1, 1);  /* no delimiter: a first slice opens it */
    h264(&b, 0, 10, 0); /* end of sequence stays with it */
    want[nw++] = b.n;
    h264(&b, 0, 7, 0); /* parameter sets + IDR */
    h264(&b, 0, 8, 0);
    h264(&b, 0, 5, 1);
    b.d[b.n++] = 0; /* trailing zero bytes belong to the last unit */
    b.d[b.n++] = 0;
    size_t off[16];
    int key[16];
    int n = split(&b, VRT__ES_H264, off, key, 16);
    ASSERT_EQ(n, nw);
    for (int i = 0; i < n; i++)
        ASSERT_EQ(off[i], want[i]);
    ASSERT_EQ(key[0], 1);
    ASSERT_EQ(key[1] + key[2] + key[3], 0);
    ASSERT_EQ(key[4], 1);
}

TEST(hevc_access_units) {
    sbuf b = {.n = 0};
    size_t want[8];
    int nw = 0;
    want[nw++] = b.n;
    hevc(&b, 32, 0); /* VPS SPS PPS prefix-SEI IDR_W_RADL (two slice segments) suffix-SEI */
    hevc(&b, 33, 0);
    hevc(&b, 34, 0);
    hevc(&b, 39, 0);
    hevc(&b, 19, 1);
    hevc(&b, 19, 0);
    hevc(&b, 40, 0);
    want[nw++] = b.n;
    hevc(&b, 1, 1); /* TRAIL_R */
    want[nw++] = b.n;
    hevc(&b, 35, 0); /* AUD + TRAIL_N */
    hevc(&b, 0, 1);
    want[nw++] = b.n;
    hevc(&b, 21, 1); /* CRA: IRAP */
    hevc(&b, 36, 0); /* EOS stays */
    size_t off[16];
    int key[16];
    int n = split(&b, VRT__ES_HEVC, off, key, 16);
    ASSERT_EQ(n, nw);
    for (int i = 0; i < n; i++)
        ASSERT_EQ(off[i], want[i]);
    ASSERT_EQ(key[0], 1);
    ASSERT_EQ(key[1] + key[2], 0);
    ASSERT_EQ(key[3], 1);
}

TEST(start_codes) {
    size_t hdr;
    const uint8_t none[] = {0, 0, 2, 0, 1, 0, 0};
    ASSERT_EQ(vrt__annexb_find_start(none, sizeof(none), 0, &hdr), sizeof(none));
    ASSERT_EQ(hdr, sizeof(none));
    ASSERT_EQ(vrt__annexb_find_start(none, 0, 0, &hdr), 0);
    const uint8_t three[] = {7, 0, 0, 1, 0x65};
    ASSERT_EQ(vrt__annexb_find_start(three, sizeof(three), 0, &hdr), 1);
    ASSERT_EQ(hdr, 4);
    const uint8_t four[] = {0, 0, 0, 1, 0x67, 0, 0, 1};
    ASSERT_EQ(vrt__annexb_find_start(four, sizeof(four), 0, &hdr), 0);
    ASSERT_EQ(hdr, 4);
    /* A start code that ends the buffer: found, with its (empty) unit at the end. */
    ASSERT_EQ(vrt__annexb_find_start(four, sizeof(four), 4, &hdr), 5);
    ASSERT_EQ(hdr, 8);
    /* The emulation-prevented 00 00 03 01 is not a start code. */
    const uint8_t epb[] = {0, 0, 1, 0x41, 0, 0, 3, 1, 9};
    ASSERT_EQ(vrt__annexb_find_start(epb, sizeof(epb), 3, &hdr), sizeof(epb));
    /* No start code at all: no unit. */
    vrt__annexb r;
    vrt__annexb_init(&r, none, sizeof(none), VRT__ES_H264);
    size_t o, l;
    int k;
    ASSERT_STATUS(vrt__annexb_next(&r, &o, &l, &k), VRT_EOF);
    ASSERT_EQ(vrt__annexb_codec_for_path("/a/b.H264"), VRT__ES_H264);
    ASSERT_EQ(vrt__annexb_codec_for_path("x.265"), VRT__ES_HEVC);
    ASSERT_EQ(vrt__annexb_codec_for_path("x.hevc"), VRT__ES_HEVC);
    ASSERT_EQ(vrt__annexb_codec_for_path("x.mp4"), VRT__ES_NONE);
    ASSERT_EQ(vrt__annexb_codec_for_path("dir.h264/clip"), VRT__ES_NONE);
}

/* Counts access units and key units of a file. */
static int count_file(const char *path, vrt__es_codec c, int *keys) {
    vrt__annexb r;
    char err[512];
    vrt_status st = vrt__annexb_open(&r, path, c, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    int n = 0;
    *keys = 0;
    size_t o, l;
    int k;
    for (int pass = 0; pass < 2; pass++) { /* rewind gives the same units again */
        int m = 0;
        while (vrt__annexb_next(&r, &o, &l, &k) == VRT_OK) {
            m++;
            if (!pass) *keys += k;
        }
        if (pass) ASSERT_EQ(m, n);
        n = m;
        vrt__annexb_rewind(&r);
    }
    vrt__annexb_close(&r);
    vrt__annexb_close(&r); /* idempotent */
    return n;
}

TEST(committed_clips) {
    int keys = 0;
    ASSERT_EQ(count_file(nv_clip("clip200x120.h264"), VRT__ES_H264, &keys), NV_CLIP_FRAMES);
    ASSERT_EQ(keys, 2); /* -g 12 without scene cuts */
    ASSERT_EQ(count_file(nv_clip("clip200x120.h265"), VRT__ES_HEVC, &keys), NV_CLIP_FRAMES);
    ASSERT_EQ(keys, 2);
}

TEST(ffmpeg_made_stream) {
    if (system("ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264") != 0)
        SKIP("no ffmpeg command with libx264");
    char path[1024], cmd[1400];
    snprintf(path, sizeof(path), "%s/annexb_%d.h264", vrt_test_tmpdir(), (int)getpid());
    /* Access-unit delimiters, four slices, B-frames, an IDR every 10 pictures. */
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -v error -y -f lavfi -i testsrc=size=320x240:rate=30 -frames:v 45 -c:v libx264 -bf 2 "
             "-g 10 -x264-params scenecut=0:slices=4:aud=1 -bsf:v h264_mp4toannexb -f h264 '%s'",
             path);
    ASSERT_EQ(system(cmd), 0);
    int keys = 0;
    ASSERT_EQ(count_file(path, VRT__ES_H264, &keys), 45);
    ASSERT_EQ(keys, 5);
    unlink(path);
}

TEST(open_errors) {
    vrt__annexb r;
    char err[512] = "";
    ASSERT_STATUS(vrt__annexb_open(&r, "/nonexistent/x.h264", VRT__ES_H264, err, sizeof(err)), VRT_ENOENT);
    ASSERT_CONTAINS(err, "/nonexistent/x.h264");
    char path[1024];
    snprintf(path, sizeof(path), "%s/notannexb_%d.h264", vrt_test_tmpdir(), (int)getpid());
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    fputs("ftypisom this is not an elementary stream", f);
    fclose(f);
    ASSERT_STATUS(vrt__annexb_open(&r, path, VRT__ES_H264, err, sizeof(err)), VRT_EBADDATA);
    ASSERT_CONTAINS(err, "no Annex-B start code");
    ASSERT_CONTAINS(err, "h264_mp4toannexb");
    unlink(path);
}

/* ---- decode= and the NVDEC source's errors without NVDEC --------------------------- */

static vrt_status open_err(const char *uri, char *err, size_t cap, vrt_source_info *info) {
    vrt_source_t *s = NULL;
    vrt_status st = vrt_source_open(&s, uri, NULL, err, cap);
    if (!st) {
        vrt_source_get_info(s, info);
        vrt_source_destroy(&s);
    }
    return st;
}

TEST(decode_option) {
    char uri[1400], err[512];
    vrt_source_info info;
    const char *clip = nv_clip("clip200x120.h264");
    snprintf(uri, sizeof(uri), "file:%s?decode=gpu", clip);
    ASSERT_STATUS(open_err(uri, err, sizeof(err), &info), VRT_EINVAL);
    ASSERT_CONTAINS(err, "'decode=gpu': expected auto, nvdec or cpu");
    /* NVDEC takes containers too (FFmpeg demuxes): a missing one is named where the driver
     * loads; elsewhere the missing driver is. */
    vrt_status mst = open_err("file:/nonexistent/x.mp4?decode=nvdec", err, sizeof(err), &info);
    if (mst == VRT_ENOSYS) {
        ASSERT_CONTAINS(err, "no NVDEC: ");
    } else {
        ASSERT_STATUS(mst, VRT_ENOENT);
        ASSERT_CONTAINS(err, "/nonexistent/x.mp4");
    }
    /* The NVDEC source's own keys. */
    snprintf(uri, sizeof(uri), "file:%s?decode=nvdec&width=64", clip);
    ASSERT_STATUS(open_err(uri, err, sizeof(err), &info), VRT_EINVAL);
    ASSERT_CONTAINS(err, "unknown option 'width'");
    ASSERT_CONTAINS(err, "decode, pace, loop, fps, device");
    snprintf(uri, sizeof(uri), "file:%s?decode=nvdec&loop=2", clip);
    ASSERT_STATUS(open_err(uri, err, sizeof(err), &info), VRT_EINVAL);
    /* decode=nvdec: opens where NVDEC works, else says what is missing and what works. */
    snprintf(uri, sizeof(uri), "file:%s?decode=nvdec", clip);
    vrt_status st = open_err(uri, err, sizeof(err), &info);
    if (st) {
        ASSERT_STATUS(st, VRT_ENOSYS);
        ASSERT_CONTAINS(err, "no NVDEC: ");
        ASSERT_CONTAINS(err, "not found (NVIDIA driver");
        ASSERT_CONTAINS(err, "decode=cpu");
        printf("  (no NVDEC here: %s)\n", err);
    } else {
        ASSERT_STREQ(info.driver, "nvdec h264");
    }
}

TEST(decode_cpu_matches_reference) {
#ifndef VRT_HAVE_FFMPEG
    SKIP("built without FFmpeg: the CPU decode of the clips is not available");
#else
    char uri[1400];
    const char *names[] = {"clip200x120.h264", "clip200x120.h265"};
    for (int i = 0; i < 2; i++) {
        snprintf(uri, sizeof(uri), "file:%s?decode=cpu", nv_clip(names[i]));
        ASSERT_EQ(nv_check_clip(uri, names[i]), NV_CLIP_FRAMES);
    }
    /* The same clips in mp4 (make_clips.sh): the same frames, pts from the container. */
    const char *mp4[] = {"clip200x120_h264.mp4", "clip200x120_hevc.mp4"};
    for (int i = 0; i < 2; i++) {
        snprintf(uri, sizeof(uri), "file:%s?decode=cpu", nv_clip(mp4[i]));
        ASSERT_EQ(nv_check_clip(uri, names[i]), NV_CLIP_FRAMES);
    }
    /* decode=auto on a machine without NVDEC reads it with FFmpeg too. */
    char err[512];
    vrt_source_info info;
    snprintf(uri, sizeof(uri), "%s", nv_clip("clip200x120.h264"));
    ASSERT_OK(open_err(uri, err, sizeof(err), &info));
    if (strncmp(info.driver, "nvdec", 5)) ASSERT_STREQ(info.driver, "h264");
#endif
}

int main(void) {
    VRT_RUN(h264_access_units);
    VRT_RUN(hevc_access_units);
    VRT_RUN(start_codes);
    VRT_RUN(committed_clips);
    VRT_RUN(ffmpeg_made_stream);
    VRT_RUN(open_errors);
    VRT_RUN(decode_option);
    VRT_RUN(decode_cpu_matches_reference);
    return vrt_test_finish();
}
