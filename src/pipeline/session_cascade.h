/*
 * Private: a session's cascade (vrt/session.h, vrt_cascade_params): the
 * secondary classifier (profile, engine, labels), the crop rule both frame
 * paths share, and the CPU twin of the CUDA cascade (cuda/session_cascade.cu).
 *
 * The crop rule (vrt__cascade_pick) is plain C that also compiles as device
 * code, so the CPU and the GPU choose the same crops in the same order:
 * detections in their (score) order, those whose class is wanted and whose
 * box, clipped to the frame and widened to whole pixels (as the ROI
 * pre-processing does), is at least min_size pixels each way; at most
 * max_batch of them.
 */
#ifndef VRT_PIPELINE_SESSION_CASCADE_H
#define VRT_PIPELINE_SESSION_CASCADE_H

#include <math.h>
#include <stdint.h>

#include "vision/result_impl.h"
#include "vrt/engine.h"
#include "vrt/session.h"

#ifdef __CUDACC__
#define VRT__CASCADE_FN static __host__ __device__ __forceinline__
#else
#define VRT__CASCADE_FN static inline
#endif

/* Classes 0..255 can be selected (detection heads have far fewer). */
#define VRT__CASCADE_CLASS_LIMIT 256

/* The crop rule's parameters (passed by value to the CUDA kernel). */
typedef struct vrt__cascade_rule {
    uint64_t mask[VRT__CASCADE_CLASS_LIMIT / 64]; /* wanted classes */
    int any_class;                                /* 1: every class */
    int max_batch;
    int topk;
    double min_size;
    uint32_t frame_w, frame_h;
} vrt__cascade_rule;

/* 1 when a detection of class cls with box b is classified. */
VRT__CASCADE_FN int vrt__cascade_pick(const vrt__cascade_rule *r, const vrt_box *b, int cls) {
    if (!r->any_class &&
        (cls < 0 || cls >= VRT__CASCADE_CLASS_LIMIT || !((r->mask[cls >> 6] >> (cls & 63)) & 1u)))
        return 0;
    if (!(isfinite(b->x1) && isfinite(b->y1) && isfinite(b->x2) && isfinite(b->y2))) return 0;
    double x1 = floor((double)b->x1), y1 = floor((double)b->y1);
    double x2 = ceil((double)b->x2), y2 = ceil((double)b->y2);
    if (x1 < 0) x1 = 0;
    if (y1 < 0) y1 = 0;
    if (x2 > r->frame_w) x2 = r->frame_w;
    if (y2 > r->frame_h) y2 = r->frame_h;
    const double w = x2 - x1, h = y2 - y1;
    return w >= 1 && h >= 1 && w >= r->min_size && h >= r->min_size;
}

#ifndef __CUDACC__
typedef struct vrt__cascade {
    vrt__cascade_rule rule;
    vrt_profile prof;
    vrt_preprocess_params pre; /* the secondary profile's, fp32 */
    vrt_engine_t *eng;         /* batch 1 (CPU) or rule.max_batch (device) */
    vrt_labels_t *labels;
    int num_classes; /* classifier scores per crop */
    int softmax;
    size_t in_bytes; /* one crop, fp32 */
    float *in, *out; /* CPU: one crop's input and scores */
    char model[VRT_PROFILE_PATH_MAX];
} vrt__cascade;

/* Opens the classifier of p on backend (engine options, threads and
 * priority as the session's), batch = 1 or p's max_batch (batched = 1).
 * err names what failed (the secondary model or profile, the batch) and
 * what would work. */
vrt_status vrt__cascade_open(vrt__cascade **out, const vrt_cascade_params *p, const char *backend,
                             int threads, vrt_priority prio, int device, const vrt_engine_options *opt,
                             int batched, uint32_t frame_w, uint32_t frame_h, char *err, size_t cap);
void vrt__cascade_destroy(vrt__cascade **c);

/* CPU: picks the crops of d from frame f (host memory), classifies each,
 * fills *out. Allocates nothing. */
vrt_status vrt__cascade_run_cpu(vrt__cascade *c, const vrt_frame *f, const vrt_detections *d,
                                vrt__cascade_result *out, char *err, size_t cap);
#endif

#endif
