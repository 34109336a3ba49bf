/*
 * Private: a session's second model on the same frame (vrt/session.h,
 * vrt_parallel_params): its profile, engine, labels, pre-processing and
 * head, opened and checked like the session's own model; the CPU twin of
 * its branch; and the join that gives each detection the depth over its box
 * when one of the two models is a detector and the other a depth head.
 *
 * Payload of one frame (session_impl.h, res_stride): the first model's
 * payload [, the cascade's classes at sec_offset] [, the per-box depths at
 * od_offset (vrt__object_depth)], the second model's payload at par_offset.
 * The CUDA side (cuda/session_cuda.c) enqueues the same pieces on a branch
 * of the slot's graph and computes the per-box depths with
 * cuda/session_parallel.cu.
 */
#ifndef VRT_PIPELINE_SESSION_PARALLEL_H
#define VRT_PIPELINE_SESSION_PARALLEL_H

#include "pipeline/session_impl.h"

/* Which result holds the detections when the per-box depths are made. */
enum { VRT__OD_NONE = 0, VRT__OD_FIRST = 1, VRT__OD_SECOND = 2 };

typedef struct vrt__parallel {
    vrt_profile prof;
    vrt_engine_t *eng;
    vrt_labels_t *labels;
    vrt_preprocess_params pre; /* the profile's, fp32 */
    vrt_preprocess_geometry geom;
    const vrt__head *head;
    vrt__head_params hp;
    size_t in_bytes; /* the network input of one frame, fp32 */
    /* VRT__OD_FIRST: the session's model detects, this one is depth;
     * VRT__OD_SECOND: the other way round; VRT__OD_NONE: no per-box depths. */
    int object_depth;
    /* CPU: the input, the outputs the head reads (engine order prefix), the head. */
    float *in;
    int n_out;
    float *out[VRT_SESSION_MAX_OUTPUTS];
    size_t out_values[VRT_SESSION_MAX_OUTPUTS];
    void *cpu_head;
    char model[VRT_PROFILE_PATH_MAX];
} vrt__parallel;

/* Opens the second model for session s (its backend, threads, engine
 * options, frame size; batch 1) and lays out the payload (s->res_stride,
 * s->od_offset, s->par_offset). s->err on failure. */
vrt_status vrt__parallel_open(vrt_session_t *s, const vrt_parallel_params *p);
void vrt__parallel_destroy(vrt__parallel **pp);

/* CPU: the second model's pre-processing, network and head on frame f
 * (host memory) into the slot's second result, then the per-box depths.
 * times[0..2]: ns of its pre-processing, network, head. Allocates nothing. */
vrt_status vrt__parallel_run_cpu(vrt_session_t *s, int slot, const vrt_frame *f, int64_t times[3]);
/* The per-box depths of slot i's results from their payloads (CPU twin of
 * the CUDA kernel; both results must be final). */
void vrt__parallel_join_cpu(vrt_session_t *s, int slot);

#endif
