/* Helpers shared by tests/unit/test_annexb.c (CPU) and tests/gpu/test_nvdec_cuda.c: the committed
 * clips of tests/nvdec (make_clips.sh) and their reference decodes, FFmpeg's framecrc lines
 * (Adler-32 of each frame as tightly packed NV12, display order). */
#ifndef VRT_TEST_NVDEC_UTIL_H
#define VRT_TEST_NVDEC_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "vrt/source.h"

#define NV_CLIP_FRAMES 24
#define NV_CLIP_W 200
#define NV_CLIP_H 120

/* Path of tests/nvdec/NAME (static buffer). */
static inline const char *nv_clip(const char *name) {
    static char path[1024];
    snprintf(path, sizeof(path), "%s/tests/nvdec/%s", VRT_SOURCE_DIR, name);
    return path;
}

static inline uint32_t nv_adler(uint32_t a, const uint8_t *d, size_t n) {
    uint32_t s1 = a & 0xffff, s2 = a >> 16;
    for (size_t i = 0; i < n; i++) {
        s1 = (s1 + d[i]) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    return (s2 << 16) | s1;
}

/* Adler-32 of an NV12 frame's rows, tightly packed (Y then interleaved UV), as framecrc computes it
 * (FFmpeg's framecrc starts the sum at 0, not at Adler-32's usual 1). */
static inline uint32_t nv_frame_adler(const vrt_frame *f) {
    uint32_t a = 0;
    for (uint32_t y = 0; y < f->height; y++)
        a = nv_adler(a, f->planes[0].data + (size_t)y * f->planes[0].stride, f->width);
    for (uint32_t y = 0; y < f->height / 2; y++)
        a = nv_adler(a, f->planes[1].data + (size_t)y * f->planes[1].stride, f->width);
    return a;
}

/* Reads the framecrc file of clip NAME (its .crc) into crc[]; returns the number of frames. */
static inline int nv_load_crc(const char *name, uint32_t *crc, int cap) {
    char path[1100];
    snprintf(path, sizeof(path), "%s.crc", nv_clip(name));
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int n = 0;
    while (n < cap && fgets(line, sizeof(line), f)) {
        const char *x = strstr(line, "0x");
        if (x) crc[n++] = (uint32_t)strtoul(x, NULL, 16);
    }
    fclose(f);
    return n;
}

/* Reads every frame of a source opened from uri and checks each against the clip's reference:
 * size, NV12, sequence, pts, Adler-32. Returns the frames read. */
static inline int nv_check_clip(const char *uri, const char *name) {
    uint32_t want[64];
    int n = nv_load_crc(name, want, 64);
    ASSERT_EQ(n, NV_CLIP_FRAMES);
    vrt_source_t *s = NULL;
    char err[512];
    vrt_status st = vrt_source_open(&s, uri, NULL, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "open %s: %s: %s", uri, vrt_status_name(st), err);
    vrt_source_info info;
    vrt_source_get_info(s, &info);
    ASSERT_EQ(info.fourcc, VRT_FMT_NV12);
    ASSERT_EQ(info.width, NV_CLIP_W);
    ASSERT_EQ(info.height, NV_CLIP_H);
    ASSERT_OK(vrt_source_start(s));
    int got = 0;
    for (;;) {
        vrt_frame *f = NULL;
        st = vrt_source_read(s, &f, -1);
        if (st == VRT_EOF) break;
        if (st)
            vrt_test_fail(__FILE__, __LINE__, "read %d: %s: %s", got, vrt_status_name(st),
                          vrt_source_last_error(s));
        ASSERT_TRUE(got < n);
        ASSERT_EQ(f->sequence, got);
        ASSERT_NEAR((double)f->pts_ns, got * 1e9 / 30, 1e6); /* the clips are 30 fps */
        uint32_t a = nv_frame_adler(f);
        if (a != want[got])
            vrt_test_fail(__FILE__, __LINE__, "%s frame %d: Adler-32 0x%08x, reference 0x%08x", uri, got, a,
                          want[got]);
        vrt_frame_unref(&f);
        got++;
    }
    ASSERT_EQ(got, n);
    vrt_source_destroy(&s);
    return got;
}

#endif
