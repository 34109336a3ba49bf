/* pipeline-impl.h - internals of the pipeline layer: the model processor
 * (one slot per stream), the telemetry of one stream, the report writer. */
#ifndef VRT_PIPELINE_IMPL_H
#define VRT_PIPELINE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "vrt/pipeline.h"
#include "vrt/thread.h"

/* ---- processor: frame -> result, one slot per stream ---------------------- */

typedef struct vrt__proc vrt__proc;

/* One frame's result: times, and the session's result (vrt/result.h),
 * valid until the processor's next run: nothing is copied. */
typedef struct vrt__proc_out {
    int64_t preprocess_ns, infer_ns, postprocess_ns;
    int64_t parallel_preprocess_ns, parallel_infer_ns, parallel_postprocess_ns; /* second model, or 0 */
    const vrt_result *result;
    const vrt_class_result *cls; /* the result's payload when it holds classes, else NULL */
    const vrt_detections *det;   /* the result's payload when it holds detections, else NULL */
} vrt__proc_out;

/* The session's other models (vrt/session.h); each NULL: none. */
typedef struct vrt__proc_models {
    const vrt_cascade_params *cascade;     /* a classifier on the detections' crops */
    const vrt_parallel_params *parallel;   /* a second model on the same frame */
    const vrt_guided_params *refine_depth; /* the depth map's refinement by the frame */
} vrt__proc_models;

/* Opens the model session for one stream's frames (format and size fixed).
 * bound: slots that may be bound to capture buffers (0: none); the session
 * gets bound + 1 slots (page-locked on CUDA). models: the session's other
 * models, or NULL. */
vrt_status vrt__proc_open(vrt__proc **out, const vrt_profile *prof, const char *model_path,
                          const char *backend, const vrt__proc_models *models, int threads, uint32_t fourcc,
                          uint32_t width, uint32_t height, int bound, char *err, size_t cap);
/* As vrt__proc_open, plus: share = a processor whose model weights this one
 * uses (NULL: load the model); batch = frames per model run (> 1: raw
 * formats only, no bound slots; run with vrt__proc_run_batch). */
vrt_status vrt__proc_open2(vrt__proc **out, const vrt_profile *prof, const char *model_path,
                           const char *backend, const vrt__proc_models *models, int threads, uint32_t fourcc,
                           uint32_t width, uint32_t height, int bound, vrt__proc *share, int batch, char *err,
                           size_t cap);
/* The session's pictures (vrt_session_params.overlay) for vrt__proc_render; set before open2
 * through this (NULL: none). */
typedef struct vrt__proc_opts {
    const vrt_overlay_params *overlay;
    int device;            /* CUDA ordinal of the session (vrt_session_params.device); 0 by default */
    vrt_priority priority; /* vrt_session_params.priority */
} vrt__proc_opts;
vrt_status vrt__proc_open3(vrt__proc **out, const vrt_profile *prof, const char *model_path,
                           const char *backend, const vrt__proc_models *models, int threads, uint32_t fourcc,
                           uint32_t width, uint32_t height, int bound, vrt__proc *share, int batch,
                           const vrt__proc_opts *opts, char *err, size_t cap);
/* Frame `position` of the last run (0 after vrt__proc_run; 0..n-1 after vrt__proc_run_batch)
 * drawn with its result into dst (host RGB24 of the frame's size): vrt_session_render_start, on
 * the GPU for a CUDA session, without waiting for the picture: *ticket names it for
 * vrt__proc_render_wait (the sink's thread waits, never the frame path). Needs opts.overlay. */
vrt_status vrt__proc_render_start(vrt__proc *p, int position, const vrt_overlay_info *info, vrt_frame *dst,
                                  uint64_t *ticket, char *err, size_t cap);
/* Any thread: blocks until picture `ticket` is in its dst (vrt_session_render_wait). */
vrt_status vrt__proc_render_wait(vrt__proc *p, uint64_t ticket);
/* vrt_session_host_register of [data, data + bytes), or, bytes = 0, its unregister. */
vrt_status vrt__proc_host_register(vrt__proc *p, void *data, size_t bytes, char *err, size_t cap);
/* One model run over n frames (n <= batch); outs[k] gets frame k's result. */
vrt_status vrt__proc_run_batch(vrt__proc *p, const vrt_frame *const *frames, int n,
                               vrt__proc_out *const *outs, char *err, size_t cap);
/* This processor's memory: the model's weights (shared or not), its
 * engine's activation arena, its slot buffers (all slots). */
void vrt__proc_memory(const vrt__proc *p, size_t *weights, size_t *arena, size_t *slots);
/* Engines alive over this processor's model weights (1: not shared). */
int vrt__proc_weight_users(const vrt__proc *p);
/* Bytes of one frame's result payload (maps, keypoints included). */
size_t vrt__proc_result_bytes(const vrt__proc *p);
/* Buffer of bindable slot i (< bound) and its size, else NULL. */
void *vrt__proc_slot_buffer(vrt__proc *p, int i, size_t *size);
/* What the session's priority became (vrt_session_info.priority_value / _applied). */
void vrt__proc_priority(const vrt__proc *p, int *value, int *applied);
/* Frames submitted straight from their capture buffer (no copy). */
uint64_t vrt__proc_zero_copy(const vrt__proc *p);
/* Runs one frame (the stream's processing thread only). Allocates nothing. */
vrt_status vrt__proc_run(vrt__proc *p, const vrt_frame *f, vrt__proc_out *o, char *err, size_t cap);
/* Runs the model once on a grey frame (warm-up). */
vrt_status vrt__proc_warmup(vrt__proc *p);
const char *vrt__proc_backend(const vrt__proc *p);
void vrt__proc_destroy(vrt__proc **p);

/* ---- telemetry of one stream ---------------------------------------------- */

typedef struct vrt__telemetry {
    vrt_hist hist[VRT_STAGE_COUNT];      /* written by the processing thread only */
    vrt_hist published[VRT_STAGE_COUNT]; /* copy for readers while running, under pub_lock */
    pthread_mutex_t pub_lock;
    int64_t next_publish_ns;
    vrt_pipeline_record *ring; /* history records */
    size_t ring_cap, ring_count, ring_head;
    uint64_t results, deadline_misses;
    _Atomic uint64_t live_results, live_misses;
    int64_t first_launch_ns, last_launch_ns, prev_launch_ns;
    uint64_t last_sequence; /* sequence of the previous result */
    int have_prev;
} vrt__telemetry;

vrt_status vrt__telemetry_init(vrt__telemetry *t, size_t history);
void vrt__telemetry_free(vrt__telemetry *t);
/* Records one delivered result (times complete). Allocates nothing; takes
 * the publish lock with trylock at most 4 times a second. */
void vrt__telemetry_record(vrt__telemetry *t, const vrt_pipeline_result *r);
/* Copies the newest histograms: exact = 1 reads the writer's (after join). */
void vrt__telemetry_copy(vrt__telemetry *t, vrt_stage s, vrt_hist *out, int exact);
size_t vrt__telemetry_records(const vrt__telemetry *t, vrt_pipeline_record *recs, size_t cap);

/* ---- outputs: one thread and newest-result hand-off each (output.c) -------- */

typedef struct vrt__output vrt__output;

/* Sizes everything (depth + 2 records). On failure o->destroy(o->ctx) was called. */
vrt_status vrt__output_create(vrt__output **out, const vrt_pipeline_output *o, char *err, size_t cap);
/* result_bytes: the largest payload of a result it may get (records copy
 * maps and keypoints when they fit); parallel: results carry a second
 * model's result (vrt_result_parallel), copied likewise. */
vrt_status vrt__output_start(vrt__output *x, const vrt_pipeline_t *p, size_t result_bytes, int parallel);
/* A picture still being drawn and downloaded (vrt__proc_render_start): the output's thread waits
 * for it (vrt__proc_render_wait) before its write. proc NULL: the frame is complete. */
typedef struct vrt__picture_fence {
    vrt__proc *proc;
    uint64_t ticket;
} vrt__picture_fence;

/* The frame path: copies r into a free record and hands it over; never waits, never allocates.
 * r->frame (a frame copy, or NULL) is referenced by an output that wants frames; fence (may be
 * NULL) goes with an annotated frame (r->annotated). */
void vrt__output_put(vrt__output *x, const vrt_pipeline_result *r, const vrt__picture_fence *fence);
/* depth when the output wants frames, else 0. */
int vrt__output_frame_depth(const vrt__output *x);
/* The overlay an output that wants frames draws (its copy), or NULL. */
const vrt_overlay_params *vrt__output_overlay(const vrt__output *x);
/* The frame path: *dst = a copy of src's pixels and metadata from pool (one reference), or NULL
 * when the pool is empty or src does not fit it. */
void vrt__output_copy_frame(vrt_frame_pool_t *pool, const vrt_frame *src, vrt_frame **dst);
/* Closes the hand-off and joins the thread (it writes what was waiting first). Idempotent. */
void vrt__output_stop(vrt__output *x);
void vrt__output_stats(const vrt__output *x, vrt_pipeline_output_stats *st);
vrt_status vrt__output_finish(vrt__output *x, vrt_pipeline_t *p, const char *stopped_by, char *err,
                              size_t cap);
/* NULL-safe: stops, calls the output's destroy, frees. */
void vrt__output_destroy(vrt__output **x);

/* ---- NVTX (header-only nvtx3 when present) -------------------------------- */
#if defined(__has_include)
#if __has_include(<nvtx3/nvToolsExt.h>) && !defined(VRT_NO_NVTX)
#include <nvtx3/nvToolsExt.h>
#define VRT__NVTX 1
#define VRT__RANGE_PUSH(name) nvtxRangePushA(name)
#define VRT__RANGE_POP() nvtxRangePop()
/* nvtx3 initialises lazily at the first call, filling its table of function
 * pointers with plain stores: when several stream threads make their first
 * call at once, they race on that table (ThreadSanitizer). vrt_pipeline_start
 * initialises it before it starts any thread. */
#define VRT__NVTX_INIT() nvtxInitialize(NULL)
#endif
#endif
#ifndef VRT__NVTX
#define VRT__NVTX 0
#define VRT__RANGE_PUSH(name) ((void)0)
#define VRT__RANGE_POP() ((void)0)
#define VRT__NVTX_INIT() ((void)0)
#endif

#endif
