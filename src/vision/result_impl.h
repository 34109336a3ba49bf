/*
 * Private: the layout behind vrt/result.h, filled by the session with the
 * payload its task head wrote (vision/head.h).
 *
 * A result is a small header that points at the head's payload where the
 * head left it (CPU: the session's result storage; CUDA: the page-locked
 * buffer the device result is downloaded into): handing a result over
 * copies nothing. Payload per kind:
 *   CLASSES     vrt_class_result
 *   DETECTIONS  vrt_detections (segment-yolov8: + the instance map)
 *   DENSE       depth: vrt__depth_stats + its maps; segment-argmax: the class map
 *   KEYPOINTS   vrt_detections + max_detections * num_keypoints * (x, y, score)
 * What follows the fixed part (maps, keypoints) is described by the
 * result's layout (vrt__result_layout), which the head fills once for a
 * frame size (constant for a session): the payload carries pixels only.
 */
#ifndef VRT_VISION_RESULT_IMPL_H
#define VRT_VISION_RESULT_IMPL_H

#include "vrt/result.h"

#define VRT__RESULT_VERSION 1
#define VRT__RESULT_MAX_MAPS 3

/* One map inside a payload. */
typedef struct vrt__result_map {
    vrt_map_id id;
    vrt_map_type type;
    int width, height;
    size_t stride; /* bytes per row */
    size_t offset; /* bytes from the payload's start */
} vrt__result_map;

/* Where the variable parts of one frame's payload are (the head's
 * vrt__head_layout); zero but `bytes` for a fixed-size kind. */
typedef struct vrt__result_layout {
    size_t bytes; /* the whole payload of one frame */
    int num_maps;
    vrt__result_map maps[VRT__RESULT_MAX_MAPS];
    int num_keypoints;       /* KEYPOINTS: per detection */
    size_t keypoints_offset; /* KEYPOINTS: float [max_detections][num_keypoints][3] */
    int max_detections;      /* KEYPOINTS: rows of the keypoint table */
} vrt__result_layout;

/* Depth payload: the stats, then the maps. Written by the head per frame. */
typedef struct vrt__depth_stats {
    float min, max, mean; /* raw, over the valid pixels */
    int valid;            /* pixels the network saw */
} vrt__depth_stats;

/* Map elements' sizes (vrt_map_type). */
static inline size_t vrt__map_elem_bytes(vrt_map_type t) {
    return t == VRT_MAP_F32 ? 4u : t == VRT_MAP_RGB8 ? 3u : 1u;
}
/* Appends a map of w x h to l (rows padded to 16 bytes, the map to 256) and
 * returns its descriptor; l->bytes grows. */
vrt__result_map *vrt__layout_add_map(vrt__result_layout *l, vrt_map_id id, vrt_map_type type, int w, int h);

struct vrt_result {
    uint32_t size;    /* sizeof(struct vrt_result) of the library that made it */
    uint32_t version; /* VRT__RESULT_VERSION */
    vrt_result_type kind;
    vrt_task task;
    int slot;
    uint64_t sequence;
    int64_t timestamp_ns;
    int64_t times[VRT_TIME_COUNT];
    const void *payload;        /* the head's result (see above); NULL: none */
    const vrt_labels_t *labels; /* the session's, or NULL */
    vrt__result_layout layout;  /* the payload's variable parts */
    /* Cascade (a detection head's result only): the classifier's classes of
     * the selected crops, or NULL; its labels, or NULL. */
    const struct vrt__cascade_result *secondary;
    const vrt_labels_t *secondary_labels;
    /* Two models on one frame: the second model's result (the first
     * result's only), and the per-box depths (the result with the
     * detections, when the other one is depth); NULL otherwise. */
    const struct vrt_result *parallel;
    const struct vrt__object_depth *object_depth;
};

/* Per-box depth of one frame's detections (detector + depth on one frame):
 * raw[i] / norm[i] for detection i < n, NaN when no valid depth pixel is
 * inside its box. Written by the session's join (CPU: vrt_result_depth_median;
 * CUDA: the same radix select on the device). */
typedef struct vrt__object_depth {
    int n;
    float raw[VRT_DETECT_MAX];
    float norm[VRT_DETECT_MAX];
} vrt__object_depth;

/* Crops 0..n-1 of one frame: crop j is detection det[j]; its top-k are
 * index[j][0..k), score[j][0..k). Written by the session's cascade (CPU, or
 * the CUDA kernels into the device result that is downloaded). */
#define VRT__CASCADE_MAX 64
#define VRT__CASCADE_TOPK 5
typedef struct vrt__cascade_result {
    int n;
    int k;
    int det[VRT__CASCADE_MAX];
    int index[VRT__CASCADE_MAX][VRT__CASCADE_TOPK];
    float score[VRT__CASCADE_MAX][VRT__CASCADE_TOPK];
} vrt__cascade_result;

/* Sets the header (size, version, kind, task, layout: NULL for a fixed-size
 * kind); times, payload and the rest zero. */
void vrt__result_init(vrt_result *r, vrt_result_type kind, vrt_task task, const vrt_labels_t *labels,
                      const vrt__result_layout *layout);
/* The largest payload of any kind (storage for vrt__result_copy). */
typedef struct vrt__result_payload {
    union {
        vrt_class_result classes;
        vrt_detections detections;
        vrt__depth_stats depth;
    };
    vrt__cascade_result secondary;  /* a cascade's part, when the result has one */
    vrt__object_depth object_depth; /* per-box depths, when the result has them */
} vrt__result_payload;

/* A copy of src that outlives the session's storage (a hand-off to another
 * thread; the second model's result is not followed: dst->parallel is NULL,
 * the caller copies it on its own): the header into *dst and the payload's filled part (for
 * detections only `count` entries) into *storage, which dst then points at.
 * Whatever the kind; allocates nothing. The variable parts (maps,
 * keypoints) go into extra (extra_cap bytes; NULL: none) when they fit,
 * else the copy has no maps and no keypoints. VRT_EINVAL for a bad or
 * unknown result. */
vrt_status vrt__result_copy(vrt_result *dst, vrt__result_payload *storage, const vrt_result *src);
vrt_status vrt__result_copy_ex(vrt_result *dst, vrt__result_payload *storage, void *extra, size_t extra_cap,
                               const vrt_result *src);
/* The payload as its kind's struct, or NULL for another kind (pipeline
 * internals that still speak the fixed structs). */
const vrt_class_result *vrt__result_classes(const vrt_result *r);
const vrt_detections *vrt__result_detections(const vrt_result *r);

#endif
