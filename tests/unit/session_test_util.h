/* Helpers shared by the session tests (tests/unit/test_session_cpu.c,
 * tests/gpu/test_session_cuda.c): sample images as camera-like frames and
 * the expected results from the models' expected.json (onnxruntime). */
#ifndef VRT_TEST_SESSION_UTIL_H
#define VRT_TEST_SESSION_UTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "vrt/image.h"
#include "vrt/session.h"

/* The three SqueezeNet sample images and their top-1 class in
 * ../shared/data/models/squeezenet1.0_fp16/expected.json (sets 0, 1, 2). */
static const char *const st_images[3] = {"images/jetson/dog_2.jpg", "images/winml/kitten_224.png",
                                         "images/jetson/polar_bear.jpg"};
static const int st_top1[3] = {207 /* golden retriever */, 281 /* tabby */, 296 /* ice bear */};

/* Loads an image and resizes it (bilinear, test-local) to a w x h frame of
 * `fourcc`, as a camera would deliver the scene. Returns a frame (unref it). */
static vrt_frame *st_load_frame(const char *rel, uint32_t fourcc, uint32_t w, uint32_t h) {
    const char *path = vrt_test_data_or_skip(rel);
    char err[512];
    vrt_frame *img = NULL, *rgb = NULL, *out = NULL;
    vrt_status st = vrt_image_load(path, VRT_FMT_RGB24, &img, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "loading %s: %s", path, err);
    ASSERT_OK(vrt_image_alloc(VRT_FMT_RGB24, w, h, &rgb));
    const uint32_t iw = img->width, ih = img->height;
    for (uint32_t y = 0; y < h; y++) {
        double sy = (y + 0.5) * ih / h - 0.5;
        if (sy < 0) sy = 0;
        uint32_t y0 = (uint32_t)sy, y1 = y0 + 1 < ih ? y0 + 1 : ih - 1;
        double fy = sy - y0;
        for (uint32_t x = 0; x < w; x++) {
            double sx = (x + 0.5) * iw / w - 0.5;
            if (sx < 0) sx = 0;
            uint32_t x0 = (uint32_t)sx, x1 = x0 + 1 < iw ? x0 + 1 : iw - 1;
            double fx = sx - x0;
            for (int c = 0; c < 3; c++) {
                const uint8_t *r0 = img->planes[0].data + (size_t)y0 * img->planes[0].stride;
                const uint8_t *r1 = img->planes[0].data + (size_t)y1 * img->planes[0].stride;
                double v = (1 - fy) * ((1 - fx) * r0[x0 * 3 + c] + fx * r0[x1 * 3 + c]) +
                           fy * ((1 - fx) * r1[x0 * 3 + c] + fx * r1[x1 * 3 + c]);
                rgb->planes[0].data[(size_t)y * rgb->planes[0].stride + x * 3 + c] = (uint8_t)(v + 0.5);
            }
        }
    }
    vrt_frame_unref(&img);
    if (fourcc == VRT_FMT_RGB24) return rgb;
    ASSERT_OK(vrt_image_alloc(fourcc, w, h, &out));
    st = vrt_image_convert(rgb, out, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "convert: %s", err);
    vrt_frame_unref(&rgb);
    return out;
}

/* A test-side copy of a session result, read through the accessors of
 * vrt/result.h (the session hands out a pointer to its own storage). */
typedef struct st_res {
    vrt_result_type kind;
    vrt_task task;
    int slot;
    uint64_t sequence;
    int64_t timestamp_ns;
    int64_t times[VRT_TIME_COUNT];
    vrt_class_result cls;                   /* CLASSES */
    const char *labels[VRT_TOPK_MAX];       /* CLASSES */
    vrt_detections det;                     /* DETECTIONS */
    const char *det_labels[VRT_DETECT_MAX]; /* DETECTIONS */
} st_res;

static inline void st_read(const vrt_result *r, st_res *o) {
    memset(o, 0, sizeof(*o));
    o->kind = vrt_result_kind(r);
    o->task = vrt_result_task(r);
    o->slot = vrt_result_slot(r);
    o->sequence = vrt_result_sequence(r);
    o->timestamp_ns = vrt_result_timestamp_ns(r);
    for (int k = 0; k < VRT_TIME_COUNT; k++)
        o->times[k] = vrt_result_time_ns(r, (vrt_result_time)k);
    int n = vrt_result_count(r);
    if (o->kind == VRT_RESULT_CLASSES) {
        ASSERT_TRUE(n >= 0 && n <= VRT_TOPK_MAX);
        o->cls.count = n;
        for (int i = 0; i < n; i++) {
            ASSERT_OK(vrt_result_class(r, i, &o->cls.index[i], &o->cls.score[i]));
            o->labels[i] = vrt_result_label(r, i);
        }
    } else if (o->kind == VRT_RESULT_DETECTIONS) {
        ASSERT_TRUE(n >= 0 && n <= VRT_DETECT_MAX);
        o->det.count = n;
        o->det.candidates = vrt_result_candidates(r);
        for (int i = 0; i < n; i++) {
            ASSERT_OK(vrt_result_detection(r, i, &o->det.det[i]));
            o->det_labels[i] = vrt_result_label(r, i);
        }
    }
}

/* vrt_session_wait / poll / run, then st_read of the result on success. */
static inline vrt_status st_wait(vrt_session_t *s, int slot, st_res *o) {
    const vrt_result *r = NULL;
    vrt_status st = vrt_session_wait(s, slot, &r);
    if (!st) st_read(r, o);
    return st;
}
static inline vrt_status st_poll(vrt_session_t *s, int slot, st_res *o) {
    const vrt_result *r = NULL;
    vrt_status st = vrt_session_poll(s, slot, &r);
    if (!st) st_read(r, o);
    return st;
}
static inline vrt_status st_run(vrt_session_t *s, const vrt_frame *f, st_res *o) {
    const vrt_result *r = NULL;
    vrt_status st = vrt_session_run(s, f, &r);
    if (!st) st_read(r, o);
    return st;
}
static inline vrt_status st_wait_batch(vrt_session_t *s, int slot, st_res *o, int *n_out) {
    const vrt_result *r[VRT_SESSION_MAX_BATCH];
    int n = 0;
    vrt_status st = vrt_session_wait_batch(s, slot, r, &n);
    for (int k = 0; !st && k < n; k++)
        st_read(r[k], &o[k]);
    if (n_out) *n_out = n;
    return st;
}

/* Copies a frame's bytes into a session slot (tightly packed frames only). */
static inline void st_fill_slot(vrt_session_t *s, int slot, const vrt_frame *f) {
    size_t cap = 0;
    uint8_t *b = vrt_session_slot_buffer(s, slot, &cap);
    ASSERT_TRUE(b != NULL);
    size_t n = vrt_frame_size_for(f->fourcc, f->width, f->height);
    ASSERT_TRUE(n <= cap);
    memcpy(b, f->planes[0].data, n);
}

/* YOLOX-Nano on images/darknet/dog.jpg (768x576): expected.json set 0
 * (xywh: top-left x, y, width, height in image pixels). */
typedef struct st_det {
    const char *cls;
    float score, x, y, w, h;
} st_det;
static const st_det st_dog_dets[4] = {{"dog", 0.855f, 132.8f, 206.6f, 192.9f, 336.5f},
                                      {"bicycle", 0.803f, 51.7f, 137.2f, 520.6f, 286.5f},
                                      {"car", 0.798f, 466.3f, 78.4f, 226.2f, 92.9f},
                                      {"truck", 0.306f, 464.2f, 77.6f, 218.6f, 95.1f}};

/* Every expected detection is found once (same class, score and box within
 * the tolerances). Our JPEG decode and resampling differ slightly from
 * cv2's, so the whole path is checked with a looser tolerance than the decode. */
static inline void st_check_dog(const st_res *r, double score_tol, double px_tol) {
    ASSERT_EQ(r->det.count, 4);
    int used[VRT_DETECT_MAX] = {0};
    for (int k = 0; k < 4; k++) {
        const st_det *w = &st_dog_dets[k];
        int found = -1;
        for (int i = 0; i < r->det.count && found < 0; i++) {
            const vrt_detection *d = &r->det.det[i];
            if (used[i] || !r->det_labels[i] || strcmp(r->det_labels[i], w->cls)) continue;
            if (fabs(d->score - w->score) > score_tol) continue;
            if (fabs(d->box.x1 - w->x) > px_tol || fabs(d->box.y1 - w->y) > px_tol ||
                fabs(d->box.x2 - d->box.x1 - w->w) > px_tol || fabs(d->box.y2 - d->box.y1 - w->h) > px_tol)
                continue;
            found = i;
        }
        if (found < 0) {
            for (int i = 0; i < r->det.count; i++)
                fprintf(stderr, "  got %s %.3f %.1f,%.1f %.1fx%.1f\n",
                        r->det_labels[i] ? r->det_labels[i] : "?", r->det.det[i].score, r->det.det[i].box.x1,
                        r->det.det[i].box.y1, r->det.det[i].box.x2 - r->det.det[i].box.x1,
                        r->det.det[i].box.y2 - r->det.det[i].box.y1);
            vrt_test_fail(__FILE__, __LINE__, "expected %s %.3f at %.1f,%.1f %.1fx%.1f not found", w->cls,
                          w->score, w->x, w->y, w->w, w->h);
        }
        used[found] = 1;
    }
}

#endif
