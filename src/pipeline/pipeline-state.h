/* pipeline-state.h - the pipeline's and its streams' state, shared by
 * pipeline.c (streams, threads, statistics) and batch.c (cross-stream
 * batching groups). Internal to the pipeline layer. */
#ifndef VRT_PIPELINE_STATE_H
#define VRT_PIPELINE_STATE_H

#include "pipeline-impl.h"

struct vrt__group;

typedef enum stream_state {
    ST_IDLE = 0,
    ST_RUNNING,
    ST_EOF,
    ST_STOPPED,
    ST_ERROR,
    ST_TIMEOUT,
    ST_UNPLUGGED,
} stream_state;

typedef struct stream {
    vrt_pipeline_t *pl;
    int index;
    char uri[512];
    vrt_source_t *src;
    vrt_source_info info;
    int io_explicit;     /* the URI says io=mmap|userptr: keep it */
    char capture_io[32]; /* "userptr-pinned", "userptr", "mmap", "" (not V4L2) */
    int is_synthetic;
    int reconnect;      /* the source reopens after an unplug (params or URI reconnect=1) */
    vrt_slot_t *slot;   /* NEWEST */
    vrt_queue_t *queue; /* ALL */
    pthread_t cap_thread, proc_thread;
    int cap_started, proc_started;
    vrt__telemetry tel;
    _Atomic uint64_t captured, displaced, discarded, unplugs, reconnects, errors;
    _Atomic int state;
    _Atomic int stop; /* ask both threads to end */
    _Atomic int proc_done;
    char error[256]; /* written once by the thread that ends the stream */
    int64_t start_ns;
    _Atomic int64_t end_ns;
    uint64_t last_seq;
    int have_last;
    vrt__proc *proc;
    vrt__proc_out out;
    char perr[256];
    vrt_frame_pool_t *copies;   /* frame copies for the outputs that want frames (sized at start) */
    vrt_frame_pool_t *pictures; /* RGB24 pictures drawn on the GPU for the outputs that draw, or NULL */
    void *pinned_pictures;      /* the pictures' memory page-locked by proc (pin_pictures), or NULL */
    vrt_overlay_info hud;       /* the pictures' HUD line, kept by the processing thread */
    int64_t hud_first_ns;
    uint64_t hud_results, hud_drops;
    int draw_warned; /* a drawing failure was logged (once) */
    /* Whose last run holds this stream's frame for its picture: its own session (position 0), or,
     * batched, the group's session of the last run and the frame's position in it (set by the
     * group's thread before each delivery). */
    vrt__proc *draw_proc;
    int draw_pos;
    struct vrt__group *grp; /* the batching group whose thread processes this stream, or NULL */
    int ldev;               /* logical device (index into pl->dev), set at start (assign.h) */
    double load;            /* its load estimate: fps x model cost */
    vrt_priority priority;  /* vrt_pipeline_set_priority: HIGH = own session, never batched */
    _Atomic int raised;     /* HIGH: this stream's threads that got the raised CPU priority */
} stream;

struct vrt_pipeline {
    vrt_pipeline_params params;
    char model[1024];
    char backend[16];
    /* params.cascade, copied (its strings and classes here); cascade NULL: none */
    vrt_cascade_params cascade_store;
    const vrt_cascade_params *cascade;
    char cascade_model[VRT_PROFILE_PATH_MAX], cascade_profile[VRT_PROFILE_PATH_MAX];
    int cascade_classes[256];
    /* params.parallel, copied; parallel NULL: none */
    vrt_parallel_params parallel_store;
    vrt_guided_params refine_store; /* params.refine_depth copied */
    char parallel_model[VRT_PROFILE_PATH_MAX], parallel_profile[VRT_PROFILE_PATH_MAX];
    vrt__proc_models models; /* cascade and parallel as the sessions get them */
    vrt_profile prof;
    vrt_labels_t *labels;
    int nstreams;
    stream *streams[VRT_PIPELINE_MAX_STREAMS];
    int dev[VRT_PIPELINE_MAX_DEVICES]; /* params.devices, copied (dev[0] = 0 without a list) */
    int ndev;                          /* >= 1 */
    int started, stopped;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ended; /* streams whose processing thread has finished */
    char err[512];
    /* cross-stream batching (batch.c) */
    struct vrt__group *groups[VRT_PIPELINE_MAX_STREAMS];
    int ngroups;
    vrt_pipeline_batch_stats batch; /* configuration and calibration; counters summed on read */
    vrt_pipeline_memory mem;        /* the plan, checked at start */
    vrt__output *outputs[VRT_PIPELINE_MAX_OUTPUTS];
    int noutputs;
    int frame_outputs; /* outputs with want_frame */
    /* Pictures drawn on the GPU (vrt/pipeline.h "Pictures"): with the first drawing output's
     * overlay, for the streams with a session of their own (s->pictures); out_pic[k] = 1 for
     * the outputs that get them there. */
    int gpu_pictures;
    vrt_overlay_params ovp;
    int out_pic[VRT_PIPELINE_MAX_OUTPUTS];
    const char *_Atomic stop_reason;   /* vrt_pipeline_request_stop */
    int64_t run_start_ns, run_stop_ns; /* vrt_pipeline_info */
    int64_t cpu_start_ns, cpu_stop_ns; /* process CPU time at those moments */
    _Atomic int prio_warned;           /* a thread's priority could not be raised (logged once) */
};

/* ---- a stream's frame path, used by the processing and batching threads --- */

/* Takes the next frame from s's hand-off, waiting up to timeout_ms (-1:
 * forever): VRT_OK, VRT_EAGAIN (none yet), VRT_EOF (closed and drained). */
vrt_status vrt__stream_take(stream *s, vrt_frame **f, int timeout_ms);
/* Fills the result of f (processed into s->out between launch and done),
 * calls on_result, records the telemetry, feeds the outputs, releases f. */
void vrt__stream_deliver(stream *s, vrt_frame *f, int64_t launch_ns, int64_t done_ns);
/* A processing failure on f (message in s->perr): the stream ends. */
void vrt__stream_failed(stream *s, vrt_frame *f, vrt_status st);
/* The stream's processing has finished (its thread, or its group's). */
void vrt__stream_finish(stream *s);

/* ---- cross-stream batching (batch.c) ------------------------------------ */

/* After every stream's capture is configured, before sessions are opened:
 * with params.batch_sources, groups same-size raw streams, opens each
 * group's sessions (one per captured batch size) and, for AUTO, calibrates.
 * Streams left out (or all, when the model cannot batch) get s->grp NULL
 * and run per stream. Fails only on errors that per-stream runs would hit
 * too (p->err set). */
vrt_status vrt__batch_open(vrt_pipeline_t *p);
/* Starts / joins the groups' threads (after the hand-offs are closed). */
vrt_status vrt__batch_start(vrt_pipeline_t *p);
void vrt__batch_join(vrt_pipeline_t *p);
void vrt__batch_destroy(vrt_pipeline_t *p);
/* A capture thread has handed a frame to stream s (or closed its hand-off). */
void vrt__batch_notify(stream *s);
/* The groups' sessions: weights (once per batch size) and arenas + slots. */
void vrt__batch_memory(const vrt_pipeline_t *p, size_t *weights, size_t *bytes);
/* Engines over the first group's weights (0: no group). */
int vrt__batch_weight_users(const vrt_pipeline_t *p);
/* The largest result payload of the groups' sessions. */
size_t vrt__batch_result_bytes(const vrt_pipeline_t *p);

#endif
