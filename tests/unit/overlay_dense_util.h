/* Synthetic results with maps and keypoints for the overlay tests (the CPU
 * twin's pixel checks in test_overlay_dense.c and the CUDA == CPU check in
 * tests/gpu/test_cuda_overlay.c): the payload laid out as the heads lay it
 * out (vision/result_impl.h), in one 256-aligned allocation the caller frees. */
#ifndef VRT_TEST_OVERLAY_DENSE_UTIL_H
#define VRT_TEST_OVERLAY_DENSE_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vision/result_impl.h"

static inline void *ovd_payload(const vrt__result_layout *l) {
    size_t n = (l->bytes + 255) & ~(size_t)255;
    void *p = aligned_alloc(256, n ? n : 256);
    ASSERT_TRUE(p != NULL);
    memset(p, 0, n ? n : 256);
    return p;
}

/* segment-yolov8: the detections d and an empty w x h instance map (*map, *stride). */
static inline void *ovd_instances(vrt_result *r, const vrt_detections *d, int w, int h, uint8_t **map,
                                  size_t *stride) {
    vrt__result_layout l;
    memset(&l, 0, sizeof(l));
    l.bytes = sizeof(vrt_detections);
    vrt__result_map *m = vrt__layout_add_map(&l, VRT_MAP_INSTANCES, VRT_MAP_U8, w, h);
    uint8_t *p = ovd_payload(&l);
    memcpy(p, d, sizeof(*d));
    *map = p + m->offset, *stride = m->stride;
    vrt__result_init(r, VRT_RESULT_DETECTIONS, VRT_TASK_SEGMENT_YOLOV8, NULL, &l);
    r->payload = p;
    return p;
}

/* segment-argmax: a w x h class map of zeros. */
static inline void *ovd_classes(vrt_result *r, int w, int h, uint8_t **map, size_t *stride) {
    vrt__result_layout l;
    memset(&l, 0, sizeof(l));
    vrt__result_map *m = vrt__layout_add_map(&l, VRT_MAP_CLASSES, VRT_MAP_U8, w, h);
    uint8_t *p = ovd_payload(&l);
    *map = p + m->offset, *stride = m->stride;
    vrt__result_init(r, VRT_RESULT_DENSE, VRT_TASK_SEGMENT_ARGMAX, NULL, &l);
    r->payload = p;
    return p;
}

/* depth: the stats and a w x h normalised depth map (float, stride in bytes). */
static inline void *ovd_depth(vrt_result *r, int w, int h, float **map, size_t *stride) {
    vrt__result_layout l;
    memset(&l, 0, sizeof(l));
    l.bytes = sizeof(vrt__depth_stats);
    vrt__result_map *m = vrt__layout_add_map(&l, VRT_MAP_DEPTH, VRT_MAP_F32, w, h);
    uint8_t *p = ovd_payload(&l);
    *map = (float *)(void *)(p + m->offset), *stride = m->stride;
    vrt__result_init(r, VRT_RESULT_DENSE, VRT_TASK_DEPTH, NULL, &l);
    r->payload = p;
    return p;
}

/* pose-yolov8: the detections d and their nk keypoints each, all zero (*kp: [count][nk][3]). */
static inline void *ovd_pose(vrt_result *r, const vrt_detections *d, int nk, float **kp) {
    vrt__result_layout l;
    memset(&l, 0, sizeof(l));
    l.num_keypoints = nk;
    l.max_detections = d->count;
    l.keypoints_offset = (sizeof(vrt_detections) + 15) & ~(size_t)15;
    l.bytes = l.keypoints_offset + (size_t)d->count * (size_t)nk * 3 * sizeof(float);
    uint8_t *p = ovd_payload(&l);
    memcpy(p, d, sizeof(*d));
    *kp = (float *)(void *)(p + l.keypoints_offset);
    vrt__result_init(r, VRT_RESULT_KEYPOINTS, VRT_TASK_POSE_YOLOV8, NULL, &l);
    r->payload = p;
    return p;
}

#endif
