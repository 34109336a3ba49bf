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
 *   DETECTIONS  count boxes in frame pixels, score descending: vrt_result_detection.
 *   DENSE       one map over the network input (depth, segmentation); reserved for the
 *               heads that make it (a map accessor comes with the first of them).
 *   KEYPOINTS   count detections, each with a fixed number of keypoints (pose); reserved
 *               likewise: vrt_result_detection reads its boxes.
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

#ifdef __cplusplus
}
#endif
#endif
