/* Helpers shared by the two-models-on-one-frame tests (tests/unit/test_session_parallel.c,
 * tests/gpu/test_cuda_session_parallel.c): the small YOLOv8n and Depth
 * Anything V2 of tests/models (in the tree, so CI runs them without
 * ../shared/data), their profiles, a synthetic camera frame, and an
 * independent per-box median (sort the valid pixels, numpy.median). */
#ifndef VRT_TEST_PARALLEL_UTIL_H
#define VRT_TEST_PARALLEL_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vrt/image.h"
#include "vrt/session.h"

static inline const char *pt_path(const char *rel) {
    static char p[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", VRT_SOURCE_DIR, rel);
    return p[k];
}
#define PT_YOLO "tests/models/yolov8n/model.onnx"
#define PT_DEPTH "tests/models/depth_anything_v2/model.onnx"

/* The small YOLOv8n (random weights: its scores stay near 1e-3, hence the
 * low threshold, which keeps a few boxes after NMS). */
static inline void pt_yolo_profile(vrt_profile *p) {
    static const char k_text[] = "name = yolov8n-small\n"
                                 "task = detect-yolov8\n"
                                 "width = 96\nheight = 96\n"
                                 "color = rgb\nresize = letterbox\nplacement = center\npad = 114\n"
                                 "scale = 1/255\nlayout = nchw\n"
                                 "score_threshold = 0.0004\niou_threshold = 0.5\nmax_detections = 12\n";
    char err[256];
    vrt_profile_default(p);
    vrt_status st = vrt_profile_parse(k_text, sizeof(k_text) - 1, "yolov8n-small", p, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "yolo profile: %s", err);
}

/* models/depth-anything.conf at the small model's 98 x 98 input. */
static inline void pt_depth_profile(vrt_profile *p) {
    char err[256];
    vrt_status st = vrt_profile_load(pt_path("models/depth-anything.conf"), p, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "depth profile: %s", err);
    p->pre.width = p->pre.height = 98;
}

/* A 640x480 YUYV frame with structure (gradients, blocks, a bright disc) for
 * random-weight models; seed varies it. Unref it. */
static inline vrt_frame *pt_frame(int seed) {
    vrt_frame *f = NULL;
    ASSERT_OK(vrt_image_alloc(VRT_FMT_YUYV, 640, 480, &f));
    for (uint32_t y = 0; y < 480; y++) {
        uint8_t *row = f->planes[0].data + (size_t)y * f->planes[0].stride;
        for (uint32_t x = 0; x < 640; x++) {
            const int dx = (int)x - 200 - 40 * seed, dy = (int)y - 240;
            int v = (int)((x * 3 + y * 2) / 5) + (((x / 64 + y / 48 + (uint32_t)seed) & 1) ? 40 : 0);
            if (dx * dx + dy * dy < 90 * 90) v = 235;
            row[2 * x] = (uint8_t)(v > 255 ? 255 : v);
            row[2 * x + 1] = (uint8_t)((x & 1) ? 128 + (int)(y / 8) % 60 : 128 - (int)(x / 12) % 50);
        }
    }
    return f;
}

/* A session of `first` + `second` (profiles; models by path; second NULL:
 * none) on backend, with the session's depth refinement (NULL: the
 * profiles'). */
static inline vrt_status pt_open_refined(const char *backend, const char *first_model,
                                         const vrt_profile *first, const char *second_model,
                                         const vrt_profile *second, int graphs,
                                         const vrt_guided_params *refine, vrt_session_t **s, char *err,
                                         size_t cap) {
    vrt_parallel_params pp;
    vrt_parallel_default_params(&pp);
    pp.model = second_model;
    pp.profile = second;
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.threads = 2;
    p.graphs = graphs;
    p.slots = 2;
    p.engine.precision = VRT_PRECISION_FP32; /* CUDA: the CPU's arithmetic, for the comparisons */
    p.parallel = second ? &pp : NULL;
    p.refine_depth = refine;
    return vrt_session_open(first_model, NULL, first, &p, s, err, cap);
}

static inline vrt_status pt_open(const char *backend, const char *first_model, const vrt_profile *first,
                                 const char *second_model, const vrt_profile *second, int graphs,
                                 vrt_session_t **s, char *err, size_t cap) {
    return pt_open_refined(backend, first_model, first, second_model, second, graphs, NULL, s, err, cap);
}

static int pt_cmp_float(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* numpy.median of the raw depth over the pixels whose centres are inside
 * box (NaN left out), by sorting; the normalised value with the depth
 * result's stats. 0 when no valid pixel. */
static inline int pt_box_median(const vrt_result *depth, const vrt_box *b, float *raw, float *norm) {
    int w = 0, h = 0;
    size_t stride = 0;
    const uint8_t *m = vrt_result_map(depth, VRT_MAP_DEPTH_RAW, &w, &h, &stride, NULL);
    ASSERT_TRUE(m != NULL);
    static float vals[640 * 480];
    int n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const float cx = (float)x + 0.5f, cy = (float)y + 0.5f;
            const float v = ((const float *)(m + (size_t)y * stride))[x];
            if (cx >= b->x1 && cx < b->x2 && cy >= b->y1 && cy < b->y2 && !isnan(v)) vals[n++] = v;
        }
    if (!n) return 0;
    qsort(vals, (size_t)n, sizeof(float), pt_cmp_float);
    *raw = n % 2 ? vals[n / 2] : (float)(((double)vals[n / 2 - 1] + (double)vals[n / 2]) / 2.0);
    float mn = 0, mx = 0;
    ASSERT_OK(vrt_result_depth_stats(depth, &mn, &mx, NULL));
    *norm = mx > mn ? (*raw - mn) / (mx - mn) : 0.0f;
    return 1;
}

#endif
