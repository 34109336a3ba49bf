/*
 * Private: the session (vrt/session.h) state shared by the common/CPU code
 * (session.c) and the CUDA host code (cuda/session_cuda.c).
 *
 * Slot buffers: `buf` is what the caller sees (own or bound); `up` is what
 * the upload reads (== buf, or a page-locked staging copy when a bound
 * buffer could not be registered).
 */
#ifndef VRT_PIPELINE_SESSION_IMPL_H
#define VRT_PIPELINE_SESSION_IMPL_H

#include "vrt/engine.h"
#include "vrt/session.h"

enum { VRT__SLOT_IDLE = 0, VRT__SLOT_BUSY = 1 };

typedef struct vrt__session_slot {
    uint8_t *buf; /* visible slot buffer */
    uint8_t *up;  /* upload source */
    int state;
    int n; /* frames in the submission (batch) */
    uint64_t sequence;
    int64_t timestamp_ns;
    uint64_t seqs[VRT_SESSION_MAX_BATCH]; /* batch positions 1.. (0: sequence/timestamp_ns) */
    int64_t tss[VRT_SESSION_MAX_BATCH];
    int64_t submit_ns;
    vrt_session_timings t; /* CPU: filled by submit */
} vrt__session_slot;

struct vrt_session {
    int cuda;             /* 1: CUDA backend */
    vrt_session_params p; /* backend points at a static name; buffers at slots[] */
    vrt_profile prof;
    vrt_engine_t *eng;
    vrt_labels_t *labels;
    vrt_preprocess_params pre; /* the profile's, dtype forced to fp32 */
    vrt_preprocess_geometry geom;
    vrt_detect_params det;
    int batch;                        /* frames per submission (params.batch, >= 1) */
    char model[VRT_PROFILE_PATH_MAX]; /* the model file (also for sessions sharing it) */
    size_t frame_bytes;               /* one tightly packed frame */
    size_t slot_bytes;
    size_t in_bytes;  /* network input tensor of ONE frame, fp32 (batch: batch * in_bytes in all) */
    size_t out_count; /* floats of output 0 for ONE frame */
    int num_classes;
    int own_buffers, registered, graphs;
    vrt__session_slot slot[VRT_SESSION_MAX_SLOTS];
    int next; /* vrt_session_run: where to look for a free slot */
    /* CPU path */
    float *in_tensor, *out_tensor;
    vrt_detector_t *detector;
    vrt_class_result cls[VRT_SESSION_MAX_SLOTS * VRT_SESSION_MAX_BATCH]; /* [slot * batch + k] */
    vrt_detections *dets; /* [slot * batch + k] (detection only) */
    /* CUDA path (cuda/session_cuda.c) */
    void *cu;
    char err[512];
};

#if defined(VRT_HAVE_CUDA)
/* Allocates/binds slot buffers, device buffers, events; warm-up; graphs. */
vrt_status vrt__session_cuda_open(vrt_session_t *s);
void vrt__session_cuda_close(vrt_session_t *s);
vrt_status vrt__session_cuda_submit(vrt_session_t *s, int slot);
/* block: 1 waits. VRT_EAGAIN when not done (block = 0). Fills r's cls/det
 * and stage timings. */
vrt_status vrt__session_cuda_collect(vrt_session_t *s, int slot, int block, vrt_session_result *r);
void *vrt__session_cuda_event(vrt_session_t *s, int slot);
/* Copies batch position k's result (cls or det) of slot's completed
 * submission (after collect saw it done) into *r. */
void vrt__session_cuda_item(vrt_session_t *s, int slot, int k, vrt_session_result *r);
#endif

/* Tests only: make every slot replay slot 0's graph (the classic bug the
 * rotating-slot test must catch). VRT_ENOTSUP without graphs. */
vrt_status vrt__session_debug_share_graph(vrt_session_t *s);

#endif
