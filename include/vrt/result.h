/*
 * vrt/result.h - the result of one frame: a tagged, opaque value read
 * through accessors, whatever task head made it (vrt/profile.h `task`).
 *
 *   const vrt_result *r;
 *   vrt_session_wait(s, slot, &r);
 *   switch (vrt_result_kind(r)) {
 *   case VRT_RESULT_CLASSES:                       // classify: top-k
 *       for (int i = 0; i < vrt_result_count(r); i++) {
 *           int cls; float score;
 *           vrt_result_class(r, i, &cls, &score);
 *           printf("%s %.3f\n", vrt_result_label(r, i), score);
 *       }
 *       break;
 *   case VRT_RESULT_DETECTIONS: {                  // YOLOX, YOLOv8: boxes
 *       vrt_detection d;
 *       for (int i = 0; i < vrt_result_count(r); i++) vrt_result_detection(r, i, &d);
 *       break;
 *   }
 *   default: break;                                // a kind this program does not know
 *   }
 *   int64_t model_ns = vrt_result_time_ns(r, VRT_TIME_MODEL);
 *
 * Kinds. A head declares one kind; the kind says which accessors apply:
 *   CLASSES     count entries (class index, score), best first: vrt_result_class.
 *   DETECTIONS  count boxes in frame pixels, score descending: vrt_result_detection
 *               (YOLOX, YOLOv8, SSD, DETR). segment-yolov8 adds the map
 *               VRT_MAP_INSTANCES: the masks of the boxes (vrt_result_map).
 *   DENSE       maps in the frame's geometry (vrt_result_map): depth (VRT_MAP_DEPTH,
 *               _DEPTH_RAW, _DEPTH_COLOR, vrt_result_depth_stats, _depth_median)
 *               or semantic segmentation (VRT_MAP_CLASSES).
 *   KEYPOINTS   count detections (vrt_result_detection), each with
 *               vrt_result_num_keypoints points (vrt_result_keypoint): pose.
 * A consumer that meets a kind it does not know skips the result; accessors of
 * another kind answer VRT_EINVAL (or 0 / NULL) instead of reading wrong data.
 *
 * ABI: the layout is private to the library (a size and a version field
 * inside let a newer library check what it is handed), so results can grow
 * new kinds and fields without breaking programs or bindings built against
 * this header; enums only gain values.
 *
 * Ownership and lifetime: a result belongs to the session that made it and
 * lives in storage sized at open; it stays valid (and unchanged) until the
 * next submission on the same slot, or vrt_session_destroy. Nothing is
 * copied to hand it over; keep what you need with the accessors (they copy
 * one entry each). Threading: reading a result from several threads is safe
 * while it is valid.
 */
#ifndef VRT_RESULT_H
#define VRT_RESULT_H

#include <stdint.h>

#include "vrt/core.h"
#include "vrt/export.h"
#include "vrt/profile.h"
#include "vrt/vision.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vrt_result vrt_result;

typedef enum vrt_result_type {
    VRT_RESULT_NONE = 0,
    VRT_RESULT_CLASSES = 1,
    VRT_RESULT_DETECTIONS = 2,
    VRT_RESULT_DENSE = 3,
    VRT_RESULT_KEYPOINTS = 4,
} vrt_result_type;

/* "none", "classes", "detections", "dense", "keypoints"; "?" otherwise. Static. */
VRT_API const char *vrt_result_type_name(vrt_result_type k);

/* Times of the frame path of a result, all int64 ns. Stage durations: CUDA
 * from events around each stage (GPU time), CPU from CLOCK_MONOTONIC around
 * each stage; 0 with timings off (and upload/download on the CPU). Batch:
 * every frame of a batch reports the batch's times. */
typedef enum vrt_result_time {
    VRT_TIME_UPLOAD = 0,  /* host -> device copy of the frame */
    VRT_TIME_PREPROCESS,  /* frame -> network input */
    VRT_TIME_MODEL,       /* the network */
    VRT_TIME_POSTPROCESS, /* the task head (top-k, decode + NMS, ...) */
    VRT_TIME_DOWNLOAD,    /* device -> host copy of the result */
    VRT_TIME_TOTAL,       /* first to last stage (CUDA: first to last event), also with timings off */
    VRT_TIME_SUBMIT,      /* CLOCK_MONOTONIC: submit was called */
    VRT_TIME_DONE,        /* CLOCK_MONOTONIC: poll/wait saw the result complete */
    VRT_TIME_SECONDARY,   /* a cascade's crops + classifier (after the head; 0 without one) */
    VRT_TIME_PARALLEL, /* a second model on the same frame: its branch (pre + model + head; 0 without one) */
    VRT_TIME_JOIN,     /* after the first head: waiting for the branch + per-box depths (0 without one) */
    VRT_TIME_COUNT
} vrt_result_time;

/* Every accessor takes NULL (answers 0, NULL, VRT_RESULT_NONE or VRT_EINVAL). */
VRT_API vrt_result_type vrt_result_kind(const vrt_result *r);
/* The profile task (head) that made the result (vrt/profile.h). */
VRT_API vrt_task vrt_result_task(const vrt_result *r);
VRT_API int vrt_result_slot(const vrt_result *r);
VRT_API uint64_t vrt_result_sequence(const vrt_result *r);    /* from the submitted frame */
VRT_API int64_t vrt_result_timestamp_ns(const vrt_result *r); /* from the submitted frame */
VRT_API int64_t vrt_result_time_ns(const vrt_result *r, vrt_result_time which);

/* Entries: classes (CLASSES), boxes (DETECTIONS, KEYPOINTS); 0 otherwise. */
VRT_API int vrt_result_count(const vrt_result *r);
/* DETECTIONS: (anchor, class) pairs above the score threshold before NMS. */
VRT_API int vrt_result_candidates(const vrt_result *r);
/* CLASSES, entry i < count: class index and score (softmax probability when
 * the profile says softmax = 1, else the model's output); either output may
 * be NULL. VRT_EINVAL for another kind or a bad i. */
VRT_API vrt_status vrt_result_class(const vrt_result *r, int i, int *index, float *score);
/* DETECTIONS, KEYPOINTS, entry i < count: the box in frame pixels, score and
 * class into *d. VRT_EINVAL for another kind or a bad i. */
VRT_API vrt_status vrt_result_detection(const vrt_result *r, int i, vrt_detection *d);
/* Label of entry i's class from the profile's labels file (owned by the
 * session, valid while it lives), or NULL (no labels, no such entry). */
VRT_API const char *vrt_result_label(const vrt_result *r, int i);

/* Cascades (vrt/session.h, vrt_cascade_params): the secondary classifier's
 * top-k for detection i: how many classes it has (0: the detection was not
 * classified: filtered out, or beyond the cascade's max_batch), class k
 * (best first; index and score, softmax probability when the secondary
 * profile says softmax = 1) and its label from the secondary profile's
 * labels file (NULL: none). VRT_EINVAL for another kind or bad i, k. */
VRT_API int vrt_result_secondary_count(const vrt_result *r, int i);
VRT_API vrt_status vrt_result_secondary(const vrt_result *r, int i, int k, int *index, float *score);
VRT_API const char *vrt_result_secondary_label(const vrt_result *r, int i, int k);

/* Two models on one frame (vrt/session.h, vrt_parallel_params): the second
 * model's result on the same frame, read with the same accessors (its kind,
 * maps, detections; its VRT_TIME_PREPROCESS / _MODEL / _POSTPROCESS are its
 * own stages), valid as long as r; NULL when r has none (no second model, or
 * r is itself the second result). */
VRT_API const vrt_result *vrt_result_parallel(const vrt_result *r);
/* Detector + depth on one frame: the depth of detection i of r (r is the
 * result that holds the detections, first or second): the median over the
 * box as vrt_result_depth_median computes it on the depth result, raw
 * (relative inverse depth) and normalised (0..1, 1 = nearest); either may be
 * NULL. VRT_ENOENT when no valid depth pixel is inside the box, VRT_EINVAL
 * when r has no per-box depths or i is not a detection. */
VRT_API vrt_status vrt_result_object_depth(const vrt_result *r, int i, float *raw, float *norm);

/* ---- maps (DENSE; DETECTIONS of segment-yolov8) ---------------------------
 * A map covers the whole frame the result was made from, pixel (x, y) of
 * the map = pixel (x, y) of the frame: the heads undo the pre-processing
 * geometry (letterbox, resize, crop) on the way. Rows are `stride` bytes
 * apart. The pixels live in the result's storage (no copy): the lifetime is
 * the result's. */
typedef enum vrt_map_id {
    /* depth: float32 0..1, the relative inverse depth normalised by its
     * minimum and maximum over the pixels the network saw (1 = nearest);
     * NaN where the frame was cropped away (resize = crop). */
    VRT_MAP_DEPTH = 0,
    /* depth: float32, the network's value (relative inverse depth, larger
     * is nearer, unit-free), resampled bilinearly into the frame; NaN as above. */
    VRT_MAP_DEPTH_RAW = 1,
    /* depth: RGB24, VRT_MAP_DEPTH through the profile's colormap (turbo,
     * inferno); black where NaN. Absent with colormap = none. */
    VRT_MAP_DEPTH_COLOR = 2,
    /* segment-argmax: uint8 class index per pixel (the argmax over the
     * classes of the bilinearly resampled scores). */
    VRT_MAP_CLASSES = 3,
    /* segment-yolov8: uint8 per pixel, 0 for none, i + 1 for detection i
     * (vrt_result_detection): the pixel is inside detection i's box and its
     * mask, and i is the best-scoring such detection. */
    VRT_MAP_INSTANCES = 4,
} vrt_map_id;

typedef enum vrt_map_type {
    VRT_MAP_U8 = 0,   /* one uint8_t per pixel */
    VRT_MAP_F32 = 1,  /* one float per pixel */
    VRT_MAP_RGB8 = 2, /* three uint8_t per pixel: R, G, B */
} vrt_map_type;

/* "depth", "depth_raw", "depth_color", "classes", "instances"; "?" otherwise. Static. */
VRT_API const char *vrt_map_name(vrt_map_id which);
/* The map `which` of r: its first pixel, or NULL when r has no such map.
 * Any output may be NULL: width, height (frame pixels), stride (bytes from
 * one row to the next), type. */
VRT_API const void *vrt_result_map(const vrt_result *r, vrt_map_id which, int *width, int *height,
                                   size_t *stride, vrt_map_type *type);

/* DENSE depth: the raw map's minimum, maximum and mean over the pixels the
 * network saw (the normalisation of VRT_MAP_DEPTH); any output may be NULL.
 * VRT_EINVAL for another result. */
VRT_API vrt_status vrt_result_depth_stats(const vrt_result *r, float *min, float *max, float *mean);
/* DENSE depth: the median of the depth over the frame pixels whose centres
 * lie inside box (frame pixels, e.g. a detection of another model on the
 * same frame), NaN pixels left out; an even count averages the two middle
 * values (numpy.median). raw: of VRT_MAP_DEPTH_RAW, norm: of VRT_MAP_DEPTH;
 * either may be NULL. Allocates nothing; O(box pixels). VRT_EINVAL for
 * another result, VRT_ENOENT when no valid pixel is inside the box. */
VRT_API vrt_status vrt_result_depth_median(const vrt_result *r, const vrt_box *box, float *raw, float *norm);

/* ---- keypoints (KEYPOINTS) ------------------------------------------------- */

/* Keypoints per detection (17 for COCO pose), 0 for another kind. */
VRT_API int vrt_result_num_keypoints(const vrt_result *r);
/* Keypoint j of detection i: position in frame pixels and the model's
 * confidence (COCO pose: visibility probability); any output may be NULL.
 * VRT_EINVAL for another kind or a bad i or j. */
VRT_API vrt_status vrt_result_keypoint(const vrt_result *r, int i, int j, float *x, float *y, float *score);

/* ---- JSON ----------------------------------------------------------------- */

/* Writes the members that go beyond classes and boxes into the JSON object
 * w has open (the schema tables of README.md), nothing for a plain kind:
 *   "keypoints": per detection, K [x, y, score] triples (KEYPOINTS);
 *   "masks": per detection {"index", "region": [x, y, w, h] whole pixels,
 *            "rle": run lengths over the region row by row, 0s first}
 *            (VRT_MAP_INSTANCES);
 *   "depth": {"width", "height", "min", "max", "mean"} (depth);
 *   "segmentation": {"width", "height", "rle": [class, run, class, run, ...]
 *            over the frame row by row} (VRT_MAP_CLASSES).
 * A result copied without its maps writes only what it has. */
struct vrt_json;
VRT_API void vrt_result_json_extras(const vrt_result *r, struct vrt_json *w);

#ifdef __cplusplus
}
#endif
#endif
