/*
 * vrt/pipeline.h - the real-time pipeline: sources -> model -> results, with
 * newest-frame hand-off, several streams at once and latency telemetry.
 *
 *   vrt_pipeline_params pp;
 *   vrt_pipeline_default_params(&pp);
 *   pp.model = "SqueezeNet_fp16.onnx"; pp.profile = "models/squeezenet.conf";
 *   pp.on_result = print_it; pp.user = me;
 *   vrt_pipeline_t *p;
 *   if (vrt_pipeline_create(&p, &pp, err, sizeof err)) ...;
 *   vrt_pipeline_add_source(p, "synthetic:", NULL, err, sizeof err);   // stream 0
 *   vrt_pipeline_add_source(p, "/dev/video0", NULL, err, sizeof err);  // stream 1
 *   vrt_pipeline_start(p);
 *   while (vrt_pipeline_wait(p, 100) == VRT_EAGAIN) ... live status ...;
 *   vrt_pipeline_stop(p);                  // or on Ctrl-C; idempotent
 *   vrt_pipeline_get_stats(p, 0, &st);  // final statistics per stream
 *   vrt_pipeline_destroy(&p);
 *
 * Per stream (one per source): a capture thread reads the source and hands
 * each frame to a processing thread through a latest-value slot (policy
 * NEWEST: a frame that was not picked up before a newer one arrived is
 * released at once, which re-queues a V4L2 buffer, and counted as dropped)
 * or a bounded FIFO (policy ALL: every frame, the capture thread waits for
 * room; for files). The processing thread runs the model session (one
 * session slot per stream, weights shared by all streams), stamps the
 * frame's times and calls on_result. While frame N is processed the capture
 * thread already waits for frame N+1.
 *
 * Telemetry per frame (ns, CLOCK_MONOTONIC): exposure (driver timestamp, or
 * the source's own time), dequeue (source handed it out), launch (processing
 * started), done (result ready), delivered (on_result returned). Per stream
 * histograms (vrt/hist.h) of every stage and end to end, frame age at
 * processing start separate from the loop period, drops, deadline misses.
 *
 * Memory: everything is sized at create/add_source/start (frame records,
 * histograms, session buffers); the per-frame path allocates nothing, takes
 * no lock and formats nothing (a test counts allocator-hook calls).
 *
 * Threading: create/add_source/start/stop/destroy from one controlling
 * thread. on_result and on_event run on a stream's processing/capture thread:
 * keep them short (the callback's time is the "deliver" stage). Statistics
 * may be read from the controlling thread while running (the live values are
 * published about 4 times a second) and are exact after stop().
 */
#ifndef VRT_PIPELINE_H
#define VRT_PIPELINE_H

#include <stdio.h>

#include "vrt/hist.h"
#include "vrt/json.h"
#include "vrt/profile.h"
#include "vrt/result.h"
#include "vrt/session.h"
#include "vrt/source.h"
#include "vrt/vision.h"

#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_PIPELINE_MAX_STREAMS 64
#define VRT_PIPELINE_MAX_DEVICES 16 /* logical devices in params.devices */

typedef struct vrt_pipeline vrt_pipeline_t;

typedef enum vrt_pipeline_batch_mode {
    VRT_BATCH_OFF = 0,  /* one session per stream */
    VRT_BATCH_ON = 1,   /* frames of same-size streams batched per tick (deadline-bounded) */
    VRT_BATCH_AUTO = 2, /* batched where the start-up calibration finds it faster */
} vrt_pipeline_batch_mode;

typedef enum vrt_pipeline_policy {
    VRT_POLICY_NEWEST = 0, /* process the newest frame, drop (and count) older ones */
    VRT_POLICY_ALL = 1,    /* process every frame in order (files, offline work) */
} vrt_pipeline_policy;

/* Stages with a histogram each. Durations unless said otherwise. */
typedef enum vrt_stage {
    VRT_STAGE_CAPTURE = 0, /* exposure -> dequeue (driver / source latency) */
    VRT_STAGE_QUEUE,       /* dequeue -> launch (waiting for the processing thread) */
    VRT_STAGE_PREPROCESS,  /* pre-processing, as timed by the session */
    VRT_STAGE_INFER,       /* the model */
    VRT_STAGE_POSTPROCESS, /* top-k / decode + NMS */
    VRT_STAGE_PROCESS,     /* launch -> done (all of the three above and the overhead) */
    VRT_STAGE_DELIVER,     /* done -> delivered (the on_result callback) */
    VRT_STAGE_E2E,         /* exposure -> delivered: end to end */
    VRT_STAGE_AGE,         /* exposure -> launch: frame age at processing start */
    VRT_STAGE_PERIOD,      /* launch -> next launch: the loop period */
    /* A second model on the frame (params.parallel): its own stages, on
     * the parallel branch; empty (count 0) without one. */
    VRT_STAGE_PARALLEL_PREPROCESS,
    VRT_STAGE_PARALLEL_INFER,
    VRT_STAGE_PARALLEL_POSTPROCESS,
    VRT_STAGE_COUNT
} vrt_stage;

/* "capture", "queue", "preprocess", "infer", "postprocess", "process", "deliver",
 * "e2e", "age", "period", "parallel_preprocess", "parallel_infer",
 * "parallel_postprocess"; NULL for others. Static strings. */
VRT_API const char *vrt_stage_name(vrt_stage s);

typedef struct vrt_pipeline_times {
    int64_t exposure_ns; /* frame timestamp (driver or source clock) */
    int64_t dequeue_ns;
    int64_t launch_ns;
    int64_t preprocess_ns; /* durations from the session */
    int64_t infer_ns;
    int64_t postprocess_ns; /* the head, a cascade, the join of a second model, the download */
    /* a second model (params.parallel): its stages on the parallel branch; 0 without one */
    int64_t parallel_preprocess_ns, parallel_infer_ns, parallel_postprocess_ns;
    int64_t done_ns;
    int64_t delivered_ns; /* 0 while on_result runs */
} vrt_pipeline_times;

typedef struct vrt_pipeline_result {
    int stream;             /* index from vrt_pipeline_add_source */
    uint64_t index;         /* processed frames of this stream before this one */
    uint64_t sequence;      /* the source's frame counter */
    int64_t frame_number;   /* number read from the pixels (synthetic source), else -1 */
    uint32_t width, height; /* frame size */
    int ts_from_driver;
    uint64_t dropped_before; /* frames dropped on this stream since the previous result */
    int deadline_miss;       /* 1: end to end (up to done) exceeded the deadline */
    vrt_pipeline_times t;
    vrt_task task;
    const vrt_result *result;         /* the session's result (vrt/result.h); valid during the callback */
    const vrt_class_result *classes;  /* classify: top-k (else NULL); the result's payload, not a copy */
    const vrt_detections *detections; /* detect: boxes in frame pixels (else NULL); likewise */
    const vrt_frame *frame;           /* the frame; valid only during the callback */
    /* Outputs only: 1 when frame is an RGB24 picture with the output's overlay already drawn
     * (drawn on the GPU on the frame path; "Pictures" below), 0 when it is the frame itself. */
    int annotated;
} vrt_pipeline_result;

typedef void (*vrt_pipeline_result_fn)(void *user, const vrt_pipeline_result *r);

typedef enum vrt_pipeline_event_kind {
    VRT_EVENT_UNPLUGGED = 1,   /* the device went away (status ENODEV) */
    VRT_EVENT_RECONNECTED = 2, /* frames flow again after an unplug */
    VRT_EVENT_EOF = 3,         /* end of a file / image list / frame count */
    VRT_EVENT_ERROR = 4,       /* the stream stopped on an error (message in detail) */
    VRT_EVENT_TIMEOUT = 5,     /* no frame for frame_timeout_ms */
} vrt_pipeline_event_kind;

typedef struct vrt_pipeline_event {
    int stream;
    vrt_pipeline_event_kind kind;
    int64_t t_ns;
    const char *detail; /* valid during the callback */
} vrt_pipeline_event;

/* Called from the stream's capture thread (not on the frame path). */
typedef void (*vrt_pipeline_event_fn)(void *user, const vrt_pipeline_event *e);

typedef struct vrt_pipeline_params {
    const char *model; /* ONNX file (copied) */
    /* profile .conf (copied); NULL: the model's own metadata (vrt_profile_from_model:
     * Ultralytics exports), else vrt_pipeline_create fails naming what is missing */
    const char *profile;
    const char *backend; /* "cpu" (default) or "cuda" (copied) */
    int threads;         /* CPU backend threads; 0: the backend's default */
    vrt_pipeline_policy policy;
    int64_t deadline_ns;     /* > 0: results later than this after exposure count as misses */
    int64_t max_frames;      /* > 0: a stream ends (EOF event) after this many results */
    int history;             /* per-frame records kept per stream for reports (ring); 0: 65536 */
    int decode_frame_number; /* 1 (default): read the synthetic source's frame number from the pixels */
    int frame_timeout_ms; /* > 0: a stream with no frame for this long ends (TIMEOUT event); default 5000 */
    int warmup;           /* model runs on a blank input before start (default 1) */
    /* V4L2 sources with a raw format, no io= in the URI: 1 (default) =
     * capture with USERPTR straight into the session's slot buffers
     * (page-locked on CUDA: the upload reads the capture buffer, no copy);
     * when the driver refuses, mmap buffers and a copy (logged). 0 = mmap. */
    int pinned_capture;
    /* Cross-stream batching (vrt_pipeline_batch_mode): VRT_BATCH_OFF (0,
     * default): one session per stream, all over the same model weights
     * (loaded once). VRT_BATCH_ON (1): streams of the same raw format and
     * size are grouped, up to VRT_SESSION_MAX_BATCH per group; one thread
     * per group takes whatever frames of its streams are ready, waits at
     * most batch_deadline_ns after the first one for the others, and runs
     * them as ONE model run, padded up to the next captured batch size
     * (1, 2, 4, 8: one session, and on CUDA one graph, per size; weights
     * once per size). VRT_BATCH_AUTO (2): as ON where a start-up
     * calibration finds one batched run of a group's frames faster than
     * the same frames one by one, else per stream. A model whose graph fixes
     * batch 1 runs per stream (the reason is logged and in
     * vrt_pipeline_get_batch_stats). V4L2 sources of batched streams capture
     * with mmap and a copy. */
    int batch_sources;
    /* Batching: the longest a ready frame waits for the other streams of its
     * group (ns); 0: a quarter of the group's shortest frame period, at most
     * 2 ms (2 ms for sources without a rate). */
    int64_t batch_deadline_ns;
    /* Bytes the sessions may take (weights, activation arenas, frame slots):
     * > 0: this budget; 0 (default): on the cuda backend the device's free
     * memory at start, on the cpu backend no limit. Start fails with
     * VRT_ENOMEM, naming how many streams would fit, when the plan (from
     * the first session, before the others are allocated) exceeds it. */
    int64_t memory_budget;
    /* A classifier run on each stream's detections' crops (vrt/session.h:
     * vrt_cascade_params; copied, profile_path form only); NULL (default):
     * none. Each stream's session opens its own classifier. */
    const vrt_cascade_params *cascade;
    /* Several GPUs (cuda backend): ndevices logical devices, devices[k] the
     * CUDA ordinal of device k (copied; one ordinal may stand for several).
     * At start each stream is assigned to the least-loaded device (load =
     * source fps x model cost, 1 per frame; heaviest first) and its session
     * opens there; weights are loaded once per logical device. NULL or 0
     * (default): device 0 only. At most VRT_PIPELINE_MAX_DEVICES. The cpu
     * backend ignores it. Batched groups (batch_sources) run on devices[0]. */
    const int *devices;
    int ndevices;
    /* A second model on each stream's frames (vrt/session.h:
     * vrt_parallel_params; copied, profile_path form only); NULL (default):
     * none. Results carry it (vrt_result_parallel), the telemetry its stages. */
    const vrt_parallel_params *parallel;
    /* The depth map refined by the guided filter with the frame as the guide
     * (vrt/session.h: refine_depth; copied); NULL (default): the depth
     * profile's depth_refine_radius/_eps. */
    const vrt_guided_params *refine_depth;
    vrt_pipeline_result_fn on_result;
    vrt_pipeline_event_fn on_event;
    void *user; /* passed to the callbacks */
} vrt_pipeline_params;

VRT_API void vrt_pipeline_default_params(vrt_pipeline_params *p);

/* Loads the profile and opens the model session. On failure *out is NULL
 * and err names what failed and what would work. */
VRT_API vrt_status vrt_pipeline_create(vrt_pipeline_t **out, const vrt_pipeline_params *p, char *err,
                                       size_t cap);

/* Opens a source (vrt/source.h URI rules; sp may be NULL for defaults, in
 * which V4L2 gets 4 buffers: one being filled, one in the hand-off, one being
 * processed, one spare) and adds a stream. Before start only. The stream
 * index is written to *stream (may be NULL). At most VRT_PIPELINE_MAX_STREAMS. */
VRT_API vrt_status vrt_pipeline_add_source(vrt_pipeline_t *p, const char *uri, const vrt_source_params *sp,
                                           int *stream, char *err, size_t cap);

/* A latency-critical stream beside bulk ones (vrt/thread.h levels; before
 * start; default NORMAL). HIGH: the stream gets a session of its own, never
 * batched with others (params.batch_sources), opened with
 * vrt_session_params.priority HIGH (cuda: its graphs replay on a stream of
 * the device's greatest priority, so its kernels are scheduled ahead of the
 * bulk streams' waiting ones; cpu: its engine's worker threads at a raised
 * nice value), and its capture and processing threads ask for the raised
 * CPU priority (nice VRT_PRIORITY_HIGH_NICE) as they start. Where the
 * process may not raise CPU priorities (no CAP_SYS_NICE, RLIMIT_NICE < 30)
 * that part is a no-op with a warning logged; what took effect is in
 * vrt_pipeline_stats (priority_applied, threads_raised). VRT_EINVAL for a
 * bad index or level, VRT_EBUSY after start (vrt_pipeline_last_error). */
VRT_API vrt_status vrt_pipeline_set_priority(vrt_pipeline_t *p, int stream, vrt_priority priority);

/* Starts every stream's threads. */
VRT_API vrt_status vrt_pipeline_start(vrt_pipeline_t *p);
/* Waits up to timeout_ms (-1 forever) for every stream to end by itself
 * (EOF, max_frames, error, timeout) or for a stop request
 * (vrt_pipeline_request_stop): VRT_OK when all ended or a stop was requested,
 * VRT_EAGAIN otherwise. */
VRT_API vrt_status vrt_pipeline_wait(vrt_pipeline_t *p, int timeout_ms);
/* Asks the controlling thread to stop the run (it sees vrt_pipeline_wait
 * return VRT_OK and vrt_pipeline_stop_requested non-NULL): for outputs, from
 * any thread, e.g. a display window that was closed. reason is a static
 * string ("window closed"); the first request wins. Takes no lock. */
VRT_API void vrt_pipeline_request_stop(vrt_pipeline_t *p, const char *reason);
/* The first stop request's reason, or NULL when none was made. */
VRT_API const char *vrt_pipeline_stop_requested(const vrt_pipeline_t *p);
/* Stops the sources, joins the threads, releases every frame. Idempotent;
 * may be called after a signal. Safe to call before start. */
VRT_API vrt_status vrt_pipeline_stop(vrt_pipeline_t *p);
/* NULL-safe; stops first; sets *p = NULL. */
VRT_API void vrt_pipeline_destroy(vrt_pipeline_t **p);

VRT_API int vrt_pipeline_num_streams(const vrt_pipeline_t *p);
VRT_API const char *vrt_pipeline_last_error(const vrt_pipeline_t *p);
/* The loaded profile (owned by the pipeline). */
VRT_API const vrt_profile *vrt_pipeline_profile(const vrt_pipeline_t *p);
/* Class label or NULL (profile's labels file). */
VRT_API const char *vrt_pipeline_label(const vrt_pipeline_t *p, int class_id);

typedef struct vrt_pipeline_stats {
    char uri[512];
    vrt_source_info info;
    vrt_source_stats source; /* the source's own counters */
    uint64_t results;        /* frames processed and delivered */
    uint64_t captured;       /* frames the capture thread got from the source */
    uint64_t displaced;      /* frames replaced in the hand-off before processing */
    uint64_t dropped;        /* all drops: source drops + displaced */
    uint64_t discarded;      /* captured but not processed because the run was stopped */
    uint64_t deadline_misses;
    uint64_t unplugs, reconnects, errors;
    int64_t first_launch_ns, last_launch_ns;
    int64_t start_ns, end_ns; /* stream started / ended (0 while running) */
    double fps;               /* results per second between the first and last launch */
    const char *state;        /* "idle", "running", "eof", "stopped", "error", "timeout", "unplugged" */
    char capture_io[32]; /* V4L2: "userptr-pinned" (into the session's slots), "userptr", "mmap"; else "" */
    uint64_t
        zero_copy; /* results whose frame the model read from the capture buffer itself (exact after stop) */
    char error[256]; /* why it ended, if not by itself */
    vrt_hist_summary stage[VRT_STAGE_COUNT];
    int device;            /* CUDA ordinal the stream's session runs on; -1 on the cpu backend */
    int device_slot;       /* the logical device (index into params.devices; 0 without a list) */
    double load;           /* the load estimate it was assigned by (source fps x model cost) */
    vrt_priority priority; /* vrt_pipeline_set_priority */
    int priority_value;    /* its session's: cuda stream priority (lower runs first; 0 the default), cpu
                              workers' nice value; 0 for a batched stream (the group's session) */
    int priority_applied;  /* 1: HIGH took effect on its session (vrt_session_info) */
    int threads_raised;    /* its threads (capture, processing) at the raised CPU priority: 0..2 */
} vrt_pipeline_stats;

/* Cross-stream batching (params.batch_sources) after start: *sources =
 * streams whose frames run batched (0: none), and the start-up
 * calibration of the first group: one batched run of its frames
 * (*batched_ms) against the same frames one by one (*unbatched_ms),
 * medians of 5. */
VRT_API void vrt_pipeline_batching(const vrt_pipeline_t *p, int *sources, double *batched_ms,
                                   double *unbatched_ms);

typedef struct vrt_pipeline_batch_stats {
    int mode;                        /* params.batch_sources (vrt_pipeline_batch_mode) */
    int sources;                     /* streams whose frames run batched */
    int groups;                      /* batching threads (groups of up to VRT_SESSION_MAX_BATCH streams) */
    int nsizes, sizes[4];            /* the captured batch sizes: 1, 2, 4, 8 up to the largest group's */
    int64_t deadline_ns;             /* the longest a ready frame waited for its group (the first group's) */
    double batched_ms, unbatched_ms; /* calibration (vrt_pipeline_batching) */
    uint64_t runs;                   /* batched model runs */
    uint64_t frames;                 /* frames they carried (frames / runs: the mean batch) */
    uint64_t padded;                 /* blank rows run to fill a captured batch size */
    char reason[320]; /* when a mode other than OFF runs per stream: why (fixed-batch model, calibration) */
} vrt_pipeline_batch_stats;

/* Live while running (runs, frames, padded), exact after stop. */
VRT_API void vrt_pipeline_get_batch_stats(const vrt_pipeline_t *p, vrt_pipeline_batch_stats *st);

/* Memory of the sessions (bytes; device memory on cuda, host on cpu), after start. */
typedef struct vrt_pipeline_memory {
    size_t weights;      /* model weights, held once (and once per batch size when batching) */
    size_t per_stream;   /* one stream's own session: arena + slots */
    size_t arena, slots; /* its activation arena and its frame slot buffers */
    size_t batched;      /* the batching groups' sessions (arenas and slots, every size and group) */
    int streams_alone;   /* streams with a session of their own */
    size_t planned;      /* weights + per_stream x streams_alone + batched */
    size_t budget;       /* what the plan was checked against (params.memory_budget or the free
                            device memory at start); 0: not checked */
} vrt_pipeline_memory;
VRT_API void vrt_pipeline_get_memory(const vrt_pipeline_t *p, vrt_pipeline_memory *m);

/* Fills *st (live values while running; exact after stop). VRT_EINVAL for a bad index. */
VRT_API vrt_status vrt_pipeline_get_stats(vrt_pipeline_t *p, int stream, vrt_pipeline_stats *st);
/* Copy of a stage histogram (exact after stop; published copy while running). */
VRT_API vrt_status vrt_pipeline_stream_hist(vrt_pipeline_t *p, int stream, vrt_stage stage, vrt_hist *out);

/* One compact per-frame record, kept in a ring of params.history per stream. */
typedef struct vrt_pipeline_record {
    uint64_t sequence;
    int64_t exposure_ns, launch_ns; /* absolute, ns CLOCK_MONOTONIC */
    /* durations, ns: exposure -> launch, launch -> done, exposure -> delivered */
    int64_t age_ns, process_ns, e2e_ns;
    uint32_t dropped_before;
    int32_t deadline_miss;
} vrt_pipeline_record;

/* After stop: copies the newest min(cap, kept) records, oldest first, into
 * recs and returns how many (0 for a bad index). */
VRT_API size_t vrt_pipeline_stream_records(vrt_pipeline_t *p, int stream, vrt_pipeline_record *recs,
                                           size_t cap);

/* Run configuration, for outputs that describe the run. Strings are owned by the pipeline. */
typedef struct vrt_pipeline_info {
    const char *model;   /* ONNX file */
    const char *backend; /* "cpu", "cuda" */
    vrt_pipeline_policy policy;
    int64_t deadline_ns; /* 0: none */
    int weight_users;    /* engines alive over the model weights (0 before start) */
    int streams;
    int nvtx; /* 1: this build marks NVTX ranges (nvtx3 headers found) */
    /* The run: every stream started (ns, CLOCK_MONOTONIC) -> vrt_pipeline_stop
     * called (0 while running), and the CPU time the whole process used in
     * between (s, CLOCK_PROCESS_CPUTIME_ID: every thread, the library's and
     * the caller's): cpu_s / run time = cores busy. */
    int64_t run_start_ns, run_stop_ns;
    double cpu_s;
    int ndevices;       /* logical devices (params.devices; 1 without a list) */
    const int *devices; /* their CUDA ordinals (ndevices entries) */
} vrt_pipeline_info;
VRT_API void vrt_pipeline_get_info(const vrt_pipeline_t *p, vrt_pipeline_info *info);

/* ---- outputs ---------------------------------------------------------------
 * Where results go besides on_result: the interface the sink layer
 * (vrt/sink.h: JSON lines, HTML report, display, web, MQTT, ...) implements.
 * Each output gets its own thread and a newest-result hand-off sized at add
 * time: the frame path copies the result (the top-k or the detections it
 * holds) into one of the output's preallocated records and hands it over;
 * when the output has fallen `depth` results behind, the oldest waiting
 * result is dropped and counted for that output. A slow output therefore
 * never delays the frame path, and on_result's time (the "deliver" stage)
 * does not include any output.
 *
 * Frames: an output with want_frame = 1 also gets the frame. After the result
 * is delivered (so not in the end-to-end time) the processing thread copies
 * the frame's pixels ONCE into a frame of a pool sized at start (depth + 2
 * frames per such output, per stream), and every output that wants frames
 * holds a reference to that one copy; a capture buffer is never held by an
 * output. When the pool is empty the outputs that want frames drop the result
 * (counted).
 *
 * Pictures: an output that wants frames to draw on them (files, a window, a
 * web viewer) sets `overlay`. With the CUDA backend the pipeline then draws
 * on the GPU, started by the frame path after the result was delivered: the
 * session's overlay kernel reads the frame the graph uploaded (with
 * cross-stream batching: the group's session, at the frame's batch position)
 * and writes an RGB24 picture, downloaded once into a page-locked pool frame
 * that every such output shares (vrt_session_render_start), so the output
 * only encodes or shows it: r->frame is that picture and r->annotated = 1.
 * Drawing and download run on the session's pictures' stream: the processing
 * thread never waits for them (the next frame starts at once; its upload
 * waits on the GPU until the drawing has read the previous frame), and each
 * output's thread waits for its picture before write(). The times (process,
 * e2e) end before any of it, as without outputs. The options drawn are the first such output's. The CPU
 * backend leaves the drawing to the outputs' own threads (r->annotated = 0,
 * r->frame the copy of the frame), off the frame path. */
typedef struct vrt_pipeline_output_stats vrt_pipeline_output_stats;

typedef struct vrt_pipeline_output {
    const char *name; /* for statistics and messages, e.g. "jsonl:-" (copied) */
    int depth;        /* results that may wait for the output; 1 (a latest-value slot) if <= 1 */
    int want_frame;   /* 1: r->frame in write() is a copy of the frame (host memory, the source's format) */
    /* With want_frame: what the output draws on the frames (copied), so the pipeline may draw it
     * on the GPU instead ("Pictures" above); NULL: the output wants the frames as they are. */
    const vrt_overlay_params *overlay;
    void *ctx; /* the output's, passed to every call */
    /* On the output's thread, for each result it gets. r->frame is NULL unless want_frame (then a
     * read-only copy, valid during the call). Optional: an output without it (one that only
     * writes at finish) gets neither a thread nor copies. */
    void (*write)(void *ctx, const vrt_pipeline_t *p, const vrt_pipeline_result *r);
    /* On the output's thread, about every idle_ms while no result comes (and between results
     * that come faster): keeps a window's events or a connection alive. Optional. */
    void (*idle)(void *ctx, const vrt_pipeline_t *p);
    int idle_ms; /* 0: 50 */
    /* Fills the output's own fields of st (lost, detail); from any thread. Optional. */
    void (*stats)(void *ctx, vrt_pipeline_output_stats *st);
    /* After stop, from vrt_pipeline_finish on the controlling thread, with final statistics
     * (write the summary, the report). Optional. */
    vrt_status (*finish)(void *ctx, vrt_pipeline_t *p, const char *stopped_by, char *err, size_t cap);
    /* Releases ctx; called by vrt_pipeline_destroy, or by add_output when it fails. Optional. */
    void (*destroy)(void *ctx);
} vrt_pipeline_output;

#define VRT_PIPELINE_MAX_OUTPUTS 8

/* Adds an output (before start). The pipeline owns ctx from here on, also on failure (destroy is
 * called then). */
VRT_API vrt_status vrt_pipeline_add_output(vrt_pipeline_t *p, const vrt_pipeline_output *o, char *err,
                                           size_t cap);

struct vrt_pipeline_output_stats {
    char name[64];
    uint64_t written; /* results the output's write() got */
    uint64_t dropped; /* results dropped because the output was `depth` behind (or no frame copy was free) */
    /* result ready (done) -> the output's write() returned: for a display the frame presented, for
     * the web viewer the frame encoded and handed to the clients, for MQTT the message queued */
    vrt_hist_summary latency;
    uint64_t lost;    /* results the output itself could not deliver (e.g. MQTT while the broker is away) */
    char detail[160]; /* the output's own line (clients, frames skipped by slow clients, ...); may be "" */
};

VRT_API int vrt_pipeline_num_outputs(const vrt_pipeline_t *p);
/* Live while running, exact after stop. VRT_EINVAL for a bad index. */
VRT_API vrt_status vrt_pipeline_get_output_stats(const vrt_pipeline_t *p, int i,
                                                 vrt_pipeline_output_stats *st);

/* After stop (stops first if needed): every output's finish, in the order they were added, once.
 * stopped_by: why the run ended ("frames", "signal", ...; may be NULL). Returns the first failure
 * with its message in err; the other outputs still finish. */
VRT_API vrt_status vrt_pipeline_finish(vrt_pipeline_t *p, const char *stopped_by, char *err, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
