/*
 * vrt/session.h - the whole frame path of one model behind one small API:
 * raw frame -> pre-processing -> model -> post-processing -> result on the host.
 *
 *   vrt_session_params p;
 *   vrt_session_default_params(&p);
 *   p.backend = "cuda"; p.fourcc = VRT_FMT_YUYV; p.width = 640; p.height = 480; p.slots = 3;
 *   vrt_session_t *s;
 *   if (vrt_session_open(NULL, "models/yolox.conf", NULL, &p, &s, err, sizeof err)) ...;
 *   // async: write pixels into a slot, submit, collect later
 *   vrt_frame f;  vrt_session_slot_frame(s, 1, &f);      // descriptor over slot 1's buffer
 *   ... fill f.planes[0].data (or capture into it: V4L2 USERPTR) ...
 *   vrt_session_submit(s, 1, &f);                         // enqueue and return
 *   const vrt_result *r;                                  // vrt/result.h: read with accessors
 *   vrt_session_wait(s, 1, &r);                           // or poll: VRT_EAGAIN = not yet
 *   // sync: any frame in host memory, copied into a free slot
 *   vrt_session_run(s, some_frame, &r);
 *   vrt_session_destroy(&s);
 *
 * Open: the model (ONNX path, or NULL for the profile's `model`, resolved
 * with vrt_profile_resolve), a profile (vrt/profile.h: parsed struct or file
 * path), and params. The input frame format and size are fixed at open, so
 * every buffer and the pre-processing geometry are sized once. Labels named
 * by the profile are loaded when found (missing labels file: an error).
 *
 * Input slots: N host buffers, each holding one whole frame of the fixed
 * format. By default the session allocates them (CUDA: page-locked with
 * cudaHostAlloc; CPU: plain memory). With params.buffers the caller's
 * buffers are bound instead (CUDA: cudaHostRegister; when the driver refuses,
 * e.g. for some mmap'ed memory, the session logs a warning naming the reason
 * and falls back to its own page-locked staging buffer per slot, which
 * submit fills with a host memcpy). A slot holds at most one submission in
 * flight: submitting to a busy slot answers VRT_EBUSY.
 *
 * CUDA per submit, all enqueued on the session's one stream (submissions run
 * in submit order): H2D copy of the frame bytes (vrt_frame_size_for of the
 * fixed format; raw formats only) -> ONE pre-processing kernel into the
 * model's input tensor -> the model's steps -> the profile's task head on
 * the GPU (top-k, YOLOX/YOLOv8 decode + class-aware NMS, ...) -> D2H of the
 * small fixed-size result into page-locked memory of the slot -> an event.
 * With graphs on (default), the session runs the path once eagerly at open
 * (warm-up: algorithm choice,
 * lazy module loading), then captures and instantiates ONE CUDA graph per
 * slot (each with that slot's fixed buffer addresses); submit is then one
 * cudaGraphLaunch. Graphs off (params.graphs = 0 or VRT_CUDA_GRAPHS=0 in the
 * environment): the same work is enqueued op by op. Both give bit-identical
 * results.
 *
 * CPU backend: the same API and the same arithmetic (the CPU twins of
 * vrt/vision.h and the CPU engine); submit does the work before it returns,
 * so poll/wait answer at once.
 *
 * The network input is always fed as fp32 (the precision both engines
 * compute in), also when the profile says dtype = float16: the engine would
 * convert it to fp32 anyway, so the rounding to fp16 is skipped.
 *
 * Results: each slot owns the storage of its results, sized at open (CUDA:
 * the page-locked memory the result is downloaded into); poll/wait hand out
 * a pointer to it, valid until that slot's next submission.
 *
 * Memory: open allocates everything; submit, poll, wait and run allocate
 * nothing (allocator hooks of vrt/core.h count zero on the frame path).
 * Threading: a session is used by one thread at a time (submit from one
 * thread and wait from another needs the caller's lock), except
 * vrt_session_render_wait, which any thread may call meanwhile (a sink
 * waiting for its picture); distinct sessions are independent.
 */
#ifndef VRT_SESSION_H
#define VRT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"
#include "vrt/engine.h"
#include "vrt/export.h"
#include "vrt/frame.h"
#include "vrt/overlay.h"
#include "vrt/profile.h"
#include "vrt/result.h"
#include "vrt/vision.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_SESSION_MAX_SLOTS 16
#define VRT_SESSION_MAX_BATCH 8
#define VRT_CASCADE_MAX 64 /* crops per frame a cascade classifies at most */
#define VRT_CASCADE_TOPK 5 /* classes kept per crop at most */

typedef struct vrt_session vrt_session_t;

/* A cascade (detector -> classifier on the crops, DeepStream's primary /
 * secondary inference): after the detection head, every detection that
 * passes the filter (in score order, at most max_batch) is cut from the
 * ORIGINAL frame and pre-processed by the secondary profile's rules into one
 * batch, the classifier runs once on it, and each such detection gets the
 * top-k classes (vrt_result_secondary). Filter: its class is in classes[]
 * (none given: any class) and its box, clipped to the frame and widened to
 * whole pixels, is at least min_size pixels wide and high.
 *
 * CUDA: the whole cascade is inside the slot's one graph, with the crop
 * count on the device (no host round trip between the models): the
 * classifier always runs the fixed batch max_batch (unused rows are blank
 * crops whose results are dropped), so its model must take that batch (a
 * model exported with batch 1 whose graph fixes it fails at open, saying
 * so). CPU: the classifier runs once per selected crop (batch 1), which
 * gives the same classes. Only with session batch 1 and detection heads. */
typedef struct vrt_cascade_params {
    const char *model;          /* the classifier's ONNX file; NULL: the secondary profile's `model` */
    const char *profile_path;   /* its classify profile (a models/ .conf file) ... */
    const vrt_profile *profile; /* ... or a parsed one (wins); one of the two is needed */
    int max_batch;              /* crops per frame, 1..VRT_CASCADE_MAX (default 16) */
    int topk;                   /* classes per crop, 1..VRT_CASCADE_TOPK (0: the profile's topk, capped) */
    float min_size;             /* pixels (default 1) */
    int num_classes;            /* entries in classes (0: every class) */
    const int *classes;         /* detector class ids to classify (copied) */
} vrt_cascade_params;

/* max_batch 16, topk 0 (profile's), min_size 1, every class; no model or profile. */
VRT_API void vrt_cascade_default_params(vrt_cascade_params *p);

/* A second model on the same frame (detector + depth, or any two heads):
 * it reads the same frame as the session's model (CUDA: the same upload on
 * the device; its own pre-processing by its own profile's rules, from the
 * original frame: a guided pre-filter of the first profile does not apply
 * to it) and runs its own head; both results come back together per frame
 * (vrt_result_parallel on the session's result). When one of the two makes
 * detections (or pose / instance boxes) and the other is a depth head, each
 * detection also gets the median depth over its box
 * (vrt_result_object_depth).
 *
 * CUDA: the second model's pre-processing, network and head run on a
 * parallel branch of the slot's one graph (fork after the upload, join
 * before the download, on the second engine's own stream), so the two
 * networks overlap on the GPU; the per-box depth medians run on the device
 * after the join. CPU: the second model runs after the first, the same
 * arithmetic, the same answers. Times: the second result's
 * VRT_TIME_PREPROCESS / _MODEL / _POSTPROCESS are its own; the first
 * result's VRT_TIME_PARALLEL is the branch and VRT_TIME_JOIN the wait for it
 * plus the per-box depths. Session batch 1 only; the second profile may not
 * have a guided pre-filter; with share_weights the second model is loaded
 * once per session. */
typedef struct vrt_parallel_params {
    const char *model;          /* the second ONNX file; NULL: the profile's `model` key */
    const char *profile_path;   /* its profile (a models/ .conf file) ... */
    const vrt_profile *profile; /* ... or a parsed one (wins); one of the two is needed */
} vrt_parallel_params;

/* No model, no profile. */
VRT_API void vrt_parallel_default_params(vrt_parallel_params *p);

typedef struct vrt_session_params {
    const char *backend; /* "cpu" (default) or "cuda"; copied */
    int threads;         /* CPU engine threads; 0 = number of online cores */
    int device;          /* CUDA device ordinal (default 0) */
    int slots;           /* input slots, 1..VRT_SESSION_MAX_SLOTS (default 2) */
    int graphs; /* CUDA: 1 (default) = one graph per slot; 0 = eager. VRT_CUDA_GRAPHS=0 also turns them off */
    int timings;            /* 1 (default): per-stage timings (CUDA events); 0: only host times */
    uint32_t fourcc;        /* input frame format (raw: YUYV, UYVY, NV12, RGB24, BGR24, GREY); default YUYV */
    uint32_t width, height; /* input frame size (default 640 x 480) */
    /* Caller's slot buffers: `slots` pointers, each buffer_size bytes
     * (>= vrt_frame_size_for(fourcc, width, height)); NULL (default): the
     * session allocates them. The caller keeps ownership and keeps them alive
     * until vrt_session_destroy (which unregisters them). */
    void **buffers;
    size_t buffer_size;
    /* Weight sharing: NULL (default), or an open session of the same backend
     * whose model (IR, plan, weights: CPU host arrays, CUDA device buffers)
     * this session uses instead of loading it again (vrt_engine_open_shared);
     * this session gets its own arena, scratch, stream, graphs and slots.
     * model_path is then ignored (the model is the shared session's); the
     * profile must fit it. The sessions may be destroyed in any order and
     * used from different threads at the same time. */
    vrt_session_t *share_weights;
    /* Frames per submission, 1..VRT_SESSION_MAX_BATCH (default 1). > 1: the
     * model is opened with that batch size and each slot holds `batch`
     * frames back to back (cross-camera batching: one model run for N
     * same-size frames); use vrt_session_submit_batch / _wait_batch. Own
     * buffers only. CUDA: one graph per slot covers the whole batch (one
     * upload of the B frames, B pre-processing launches, the batch-B model,
     * per-frame top-k or decode + NMS, one download, one event). */
    int batch;
    /* How the engine runs the model (vrt/engine.h: precision, conv choice,
     * cache folder, ...); all AUTO by default. With share_weights the shared
     * session's options apply. */
    vrt_engine_options engine;
    /* A classifier run on the detections' crops (above); NULL (default): none.
     * Copied at open (the strings and classes too). */
    const vrt_cascade_params *cascade;
    /* Pictures (vrt_session_render): what is drawn on a result's frame (vrt/overlay.h; copied);
     * NULL (default): no pictures. Everything it needs is made at open (CUDA: the overlay's device
     * tables and a device RGB24 picture). */
    const vrt_overlay_params *overlay;
    /* A second model on the same frame (above); NULL (default): none.
     * Copied at open. */
    const vrt_parallel_params *parallel;
    /* Scheduling priority (vrt/thread.h, vrt_engine_params.priority): HIGH
     * opens the session's engines (the model, a second model, a cascade's
     * classifier) at high priority: cuda: the session's stream, which its
     * graphs are launched into, at the device's greatest priority; cpu: the
     * engines' worker threads at a raised nice value where permitted (else
     * a warning; the open does not fail). The thread calling submit/wait is
     * the caller's (vrt_thread_set_priority). With share_weights too: the
     * priority is this session's own. Default NORMAL. */
    vrt_priority priority;
    /* Depth refinement: the depth head's raw map (either model's) filtered by
     * the guided filter (vrt/vision.h) with the frame as the guide before its
     * stats, normalisation and colours, so that depth edges follow the
     * frame's (CUDA: inside the slot's graph, on the depth model's stream).
     * NULL (default): each depth profile's depth_refine_radius/_eps; else
     * this (radius 0: off), copied at open. Refused for a crop profile (the
     * map must cover the frame) and when no model is a depth head. */
    const vrt_guided_params *refine_depth;
} vrt_session_params;

/* backend "cpu", 2 slots, graphs and timings on, YUYV 640x480, own buffers. */
VRT_API void vrt_session_default_params(vrt_session_params *p);

/* model_path: ONNX file, or NULL to use the profile's `model` key (resolved
 * next to the profile). profile: a parsed profile (copied), or NULL to load
 * profile_path; one of the two must be given (profile wins). params may be
 * NULL (defaults). On success *out owns a new session; on failure *out is
 * NULL and err (cap bytes, may be NULL) names what failed and what would work. */
VRT_API vrt_status vrt_session_open(const char *model_path, const char *profile_path,
                                    const vrt_profile *profile, const vrt_session_params *params,
                                    vrt_session_t **out, char *err, size_t cap);
/* Waits for work in flight, frees everything; NULL-safe; sets *s = NULL. */
VRT_API void vrt_session_destroy(vrt_session_t **s);

typedef struct vrt_session_info {
    const char *backend;  /* "cpu" or "cuda" (static string) */
    vrt_task task;        /* the profile's head */
    vrt_result_type kind; /* what its results hold (vrt/result.h) */
    int slots;
    uint32_t fourcc, width, height; /* input frame */
    size_t frame_bytes;             /* bytes of one frame (the upload size) */
    size_t slot_bytes;              /* bytes of each slot buffer */
    int own_buffers;                /* 1: the session allocated the slot buffers */
    int registered; /* CUDA, caller buffers: slots registered with cudaHostRegister (else staged) */
    int graphs;     /* CUDA: graphs in use (0 when off or when capture failed) */
    uint32_t input_w, input_h;     /* network input */
    int num_classes;               /* classify: scores per row; detect: C */
    vrt_preprocess_geometry geom;  /* frame -> network input mapping */
    int batch;                     /* frames per submission */
    int weights_shared;            /* 1: the model's weights are another session's (share_weights) */
    int weight_users;              /* engines alive over this session's model weights (1: not shared) */
    size_t weight_bytes;           /* the model's weights (held once however many sessions share them) */
    size_t arena_bytes;            /* this session's engine's planned activation arena (its own) */
    int cascade_batch;             /* crops per frame of the cascade (0: no cascade) */
    int cascade_classes;           /* the classifier's class count */
    int parallel;                  /* 1: a second model runs on the same frame (params.parallel) */
    vrt_task parallel_task;        /* its profile's head */
    vrt_result_type parallel_kind; /* what its results hold */
    uint32_t parallel_input_w, parallel_input_h; /* its network input */
    int object_depth;      /* 1: detections get the depth over their boxes (vrt_result_object_depth) */
    vrt_priority priority; /* params.priority */
    int priority_value;    /* cuda: its stream's priority (cudaStreamGetPriority; lower runs first, 0 the
                              default); cpu: the model engine's worker threads' nice value (0: unchanged) */
    int priority_applied;  /* 1: HIGH took effect on the model's engine (vrt_engine_stats) */
} vrt_session_info;

VRT_API void vrt_session_get_info(const vrt_session_t *s, vrt_session_info *info);
/* Detail of the last failure of this session ("" if none). */
VRT_API const char *vrt_session_last_error(const vrt_session_t *s);

/* Host buffer of slot i (owned by the session or the caller as bound; CUDA:
 * page-locked or registered), or NULL for a bad index. *size (may be NULL)
 * gets its size. Write a frame here while the slot is not in flight. */
VRT_API void *vrt_session_slot_buffer(vrt_session_t *s, int slot, size_t *size);
/* Fills *f (caller's storage) with a descriptor of the fixed format laid out
 * over slot i's buffer (tightly packed; refs = 0, no release function: it
 * is a view, never unref'd). VRT_EINVAL for a bad index. */
VRT_API vrt_status vrt_session_slot_frame(vrt_session_t *s, int slot, vrt_frame *f);

/* Enqueues the frame path for slot i and returns (CPU: runs it).
 * meta: the frame's metadata; fourcc/width/height must equal the session's
 * (VRT_EINVAL otherwise), bytesused must be >= the frame size; sequence and
 * timestamp_ns are copied into the result. When meta->planes[0].data is not
 * the slot's buffer (and not NULL), the frame's bytes are first copied into
 * the slot on the host (tightly packed planes). VRT_EBUSY: the slot's
 * previous submission was not collected with poll/wait. VRT_EDEVICE: CUDA
 * failure (last_error has the call, file and line). */
VRT_API vrt_status vrt_session_submit(vrt_session_t *s, int slot, const vrt_frame *meta);

/* VRT_OK and *r set when slot i's submission completed (the slot is then
 * free again); VRT_EAGAIN when it is still running; VRT_EINVAL when nothing
 * was submitted on it. Never blocks. *r is the session's (vrt/result.h):
 * read it with the accessors; it stays valid until the next submission on
 * slot i or destroy. Nothing is copied to hand it over. */
VRT_API vrt_status vrt_session_poll(vrt_session_t *s, int slot, const vrt_result **r);
/* Blocks until slot i's submission completed, then as poll. */
VRT_API vrt_status vrt_session_wait(vrt_session_t *s, int slot, const vrt_result **r);
/* CUDA: the event recorded after slot i's download (a cudaEvent_t as void *),
 * for callers that wait with their own stream (cudaStreamWaitEvent) or
 * loop. Valid until destroy; NULL on the CPU backend or a bad index. */
VRT_API void *vrt_session_event(vrt_session_t *s, int slot);

/* Where the backend holds map `which` (vrt/result.h) of r, a result of this
 * session as poll/wait/run handed it out, for zero-copy consumers on the
 * device (the Python package's DLPack export): CUDA: the device copy the
 * result was downloaded from (memory of params.device, *device = 1); CPU:
 * the result's own map (host memory, *device = 0, vrt_result_map's
 * pointer). width, height, stride, type as vrt_result_map (any output may
 * be NULL). Lifetime: CUDA keeps ONE device copy of the results for all
 * slots, overwritten by the next submission on any slot, so this answers
 * NULL once a later submission was made (read or copy the map before
 * submitting again); CPU: as the result. NULL also when r has no such map,
 * is not this session's, or its slot was submitted again. No copy, no
 * synchronisation: r is complete, so the device copy is too. */
VRT_API const void *vrt_session_result_map(vrt_session_t *s, const vrt_result *r, vrt_map_id which,
                                           int *device, int *width, int *height, size_t *stride,
                                           vrt_map_type *type);

/* Cross-camera batching (params.batch = B): frames[0..n-1] (n = 1..B, each
 * of the session's format and size, in host memory or already in slot i's
 * buffer at position k: vrt_session_slot_buffer + k * frame_bytes) fill
 * positions 0..n-1 of slot i; positions n..B-1 keep their previous bytes
 * and their results are not returned. One model run for the whole batch.
 * With B = 1 it is vrt_session_submit. */
VRT_API vrt_status vrt_session_submit_batch(vrt_session_t *s, int slot, const vrt_frame *const *frames,
                                            int n);
/* Blocks until slot i's batch completed; r[0..n-1] (room for the batch
 * size) get the results of the n frames submitted (n as submitted; *n_out
 * may be NULL), valid as for vrt_session_wait. Each result's times are the
 * batch's. */
VRT_API vrt_status vrt_session_wait_batch(vrt_session_t *s, int slot, const vrt_result **r, int *n_out);

/* Draws slot i's last collected result (and the HUD of info; info may be NULL) on the frame it
 * was computed from, into dst: an RGB24 frame of the session's size in host memory (caller's;
 * strided allowed). CUDA: on the GPU, from the slot's device copy of the frame (one kernel
 * converts and draws: vrt_cuda_overlay_render), then one download into dst; returns when dst is
 * filled. CPU: the CPU twin (vrt_overlay_render) from the slot's buffer. Both give the same
 * pixels. Call it after poll/wait and before the slot's next submission (or use
 * vrt_session_render_start, which does not wait for the picture). Needs params.overlay
 * (VRT_EINVAL otherwise). A batch session (params.batch > 1) draws its first position: see
 * vrt_session_render_at. Allocates nothing (except the first time a depth map, or a larger one,
 * is drawn: vrt/overlay.h). */
VRT_API vrt_status vrt_session_render(vrt_session_t *s, int slot, const vrt_overlay_info *info,
                                      vrt_frame *dst);
/* vrt_session_render of one frame of a batch: `position` 0..n-1 of slot i's last submission
 * (vrt_session_submit_batch's frames[position]), its result drawn on that frame (CUDA: from
 * that frame's part of the slot's device copy, the same kernel; CPU: the same twin). Call it for
 * each position wanted, before the slot's next submission. VRT_EINVAL for a position that was
 * not submitted. */
VRT_API vrt_status vrt_session_render_at(vrt_session_t *s, int slot, int position,
                                         const vrt_overlay_info *info, vrt_frame *dst);

/* vrt_session_render_at without waiting for the picture, for a frame loop that must not: the
 * picture is drawn and downloaded into dst after slot i's result, and *ticket (may be NULL) gets
 * its number (1, 2, ...) for vrt_session_render_wait. CUDA: on a stream of the session's own for
 * pictures, behind the slot's completion event; the slot's next submission waits on the GPU (not
 * on the host) until the drawing has read the slot's frame, so the slot may be submitted again at
 * once; the download returns without waiting only when dst is page-locked (VRT_MEM_PINNED, or
 * registered with vrt_session_host_register), else CUDA finishes it before returning. CPU: drawn
 * before it returns. dst must stay untouched until the wait. Same checks and messages as
 * vrt_session_render_at. */
VRT_API vrt_status vrt_session_render_start(vrt_session_t *s, int slot, int position,
                                            const vrt_overlay_info *info, vrt_frame *dst, uint64_t *ticket);
/* Blocks until the picture of `ticket` (from vrt_session_render_start) is in its dst; at once when it
 * already is (always on the CPU). The one session call that may come from another thread than the
 * session's (a sink's), concurrently with it. VRT_EINVAL for a ticket not issued; VRT_EDEVICE for a
 * CUDA failure (not recorded in last_error, which belongs to the session's thread). */
VRT_API vrt_status vrt_session_render_wait(vrt_session_t *s, uint64_t ticket);
/* CUDA: page-locks the caller's host memory [data, data + bytes) (cudaHostRegister, portable) so
 * that pictures downloaded into it (vrt_session_render_start) do not block; the caller keeps it
 * alive and calls vrt_session_host_unregister(s, data) before freeing it (or before destroying s).
 * Not for the frame path (slow). CPU: nothing to do (VRT_OK). VRT_EDEVICE when the driver refuses
 * (last_error says why; the pictures then still work, synchronously). */
VRT_API vrt_status vrt_session_host_register(vrt_session_t *s, void *data, size_t bytes);
VRT_API void vrt_session_host_unregister(vrt_session_t *s, void *data);

/* Sync convenience: copies f (host memory, the session's format and size)
 * into a free slot, submits and waits. VRT_EBUSY when every slot is in flight. */
VRT_API vrt_status vrt_session_run(vrt_session_t *s, const vrt_frame *f, const vrt_result **r);

#ifdef __cplusplus
}
#endif
#endif
