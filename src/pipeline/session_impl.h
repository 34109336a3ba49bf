/*
 * Private: the session (vrt/session.h) state shared by the common code
 * (session.c) and its implementations behind one table (vrt__session_ops):
 * session_cpu.c and cuda/session_cuda.c. session.c checks arguments, keeps
 * the slots' bookkeeping and hands out results; an implementation owns its
 * buffers and runs the frame path. Registry: session_ops.c.
 *
 * Slot buffers: `buf` is what the caller sees (own or bound); `up` is what
 * the upload reads (== buf, or a page-locked staging copy when a bound
 * buffer could not be registered).
 *
 * Results: slot i's results res[0..batch) are headers (vision/result_impl.h)
 * whose payload pointers the implementation sets once at open to its result
 * storage for that slot (vrt__session_bind_results), where its task head
 * writes (CPU) or the download lands (CUDA).
 */
#ifndef VRT_PIPELINE_SESSION_IMPL_H
#define VRT_PIPELINE_SESSION_IMPL_H

#include <stdatomic.h>

#include "vision/head.h"
#include "vision/result_impl.h"
#include "vrt/engine.h"
#include "vrt/session.h"

enum { VRT__SLOT_IDLE = 0, VRT__SLOT_BUSY = 1 };

/* Model outputs a session looks at (a head reads some of them). */
#define VRT_SESSION_MAX_OUTPUTS 16

typedef struct vrt__session_slot {
    uint8_t *buf; /* visible slot buffer */
    uint8_t *up;  /* upload source */
    int state;
    int n;                                /* frames in the submission (batch) */
    uint64_t submit_no;                   /* the session's submission count when this one was made */
    uint64_t seqs[VRT_SESSION_MAX_BATCH]; /* per batch position */
    int64_t tss[VRT_SESSION_MAX_BATCH];
    int64_t times[VRT_TIME_COUNT]; /* ns: stage times of the submission (implementation) */
    vrt_result res[VRT_SESSION_MAX_BATCH];
    /* A second model on the frame (batch 1): its result, and its
     * pre-processing, network and head ns (implementation). */
    vrt_result pres;
    int64_t ptimes[3];
} vrt__session_slot;

/* One frame-path implementation. The members marked Optional may be NULL; the others are required. */
typedef struct vrt__session_ops {
    const char *name; /* the session params' backend name: "cpu", "cuda" */
    int pinned;       /* 1: the slot buffers it allocates are page-locked */
    /* Allocates (or binds and registers) the slot buffers and everything
     * else of the frame path, binds the results, warms up. s->err on failure;
     * close is called either way. */
    vrt_status (*open)(vrt_session_t *s);
    /* Waits for work in flight and frees what open made; safe after a failed open. */
    void (*close)(vrt_session_t *s);
    /* Runs (CPU) or enqueues (device) the path of slot i (frames in slot.up). */
    vrt_status (*submit)(vrt_session_t *s, int slot);
    /* block = 1 waits. VRT_EAGAIN when not done (block = 0). On completion
     * the payloads of slot i's results are final and slot.times has the
     * stage times (VRT_TIME_UPLOAD .. VRT_TIME_TOTAL). */
    vrt_status (*collect)(vrt_session_t *s, int slot, int block);
    /* Optional: slot i's completion event (vrt_session_event). */
    void *(*event)(vrt_session_t *s, int slot);
    /* Optional: the device payloads the results are downloaded from (batch
     * * res_stride bytes, one set for every slot: the last submission's),
     * for vrt_session_result_map. NULL member: the results are the backend's. */
    void *(*device_results)(vrt_session_t *s);
    /* Optional: vrt_session_render_start of slot i's batch position k (checked) on the device:
     * enqueued behind the slot's result, without waiting for the picture; `ticket` names it for
     * render_wait. NULL: the CPU twin from the slot's upload buffer (session.c), done on return. */
    vrt_status (*render_start)(vrt_session_t *s, int slot, int k, const vrt_overlay_info *info,
                               vrt_frame *dst, uint64_t ticket);
    /* With render_start: blocks until picture `ticket` (issued) is in its dst. Any thread; writes
     * nothing of the session (not s->err). */
    vrt_status (*render_wait)(vrt_session_t *s, uint64_t ticket);
    /* Optional: page-locks (on = 1) or releases (on = 0) caller host memory [p, p + n) so that a
     * picture's download into it is asynchronous (vrt_session_host_register). */
    vrt_status (*host_register)(vrt_session_t *s, void *p, size_t n, int on);
    /* Optional, tests: every slot replays slot 0's graph. */
    vrt_status (*share_graph)(vrt_session_t *s);
} vrt__session_ops;

struct vrt_session {
    const vrt__session_ops *ops;
    vrt_session_params p; /* backend points at ops->name; buffers at slots[] */
    vrt_profile prof;
    vrt_engine_t *eng;
    vrt_labels_t *labels;
    vrt_preprocess_params pre; /* the profile's, dtype forced to fp32 */
    vrt_preprocess_geometry geom;
    const vrt__head *head;            /* the profile's task head */
    vrt__head_params hp;              /* resolved at open: out_count, classes, head parameters */
    int batch;                        /* frames per submission (params.batch, >= 1) */
    char model[VRT_PROFILE_PATH_MAX]; /* the model file (also for sessions sharing it) */
    size_t frame_bytes;               /* one tightly packed frame */
    size_t slot_bytes;
    size_t in_bytes; /* network input tensor of ONE frame, fp32 (batch: batch * in_bytes in all) */
    int own_buffers, registered, graphs;
    vrt__session_slot slot[VRT_SESSION_MAX_SLOTS];
    struct vrt__cascade *cascade;   /* params.cascade opened, or NULL (pipeline/session_cascade.h) */
    struct vrt__parallel *parallel; /* params.parallel opened, or NULL (pipeline/session_parallel.h) */
    /* One frame's result storage: the head's payload, then (cascade) the
     * crops' classes at sec_offset, (second model) the per-box depths at
     * od_offset (0: none) and the second model's payload at par_offset. */
    size_t res_stride, sec_offset, od_offset, par_offset;
    vrt_overlay_t *ov; /* params.overlay made at open (before ops->open), or NULL */
    vrt_overlay_params ovp;
    vrt_guided_params rdp;    /* params.refine_depth copied (s->p.refine_depth points here) */
    int next;                 /* vrt_session_run: where to look for a free slot */
    uint64_t submits;         /* submissions made (vrt_session_result_map: is a result the last one?) */
    _Atomic uint64_t renders; /* pictures started (vrt_session_render_start's tickets 1..renders) */
    void *impl;               /* the implementation's state */
    char err[512];
};

/* The implementation for a backend name, or NULL (not built / unknown). */
const vrt__session_ops *vrt__session_ops_find(const char *backend);
/* Names of the built implementations ("cpu" or "cpu, cuda"). */
const char *vrt__session_ops_names(void);
extern const vrt__session_ops vrt__session_cpu;

/* hp->refine of a head opened from profile pr (the session's refine_depth,
 * else pr's depth_refine), checked; who prefixes messages ("" or "second
 * model x: "). */
vrt_status vrt__session_refine(vrt_session_t *s, const vrt_profile *pr, const char *who,
                               vrt__head_params *hp);

/* Bytes of one frame's result payload (the head's layout, and a cascade's classes). */
size_t vrt__session_result_bytes(const vrt_session_t *s);
/* Points slot i's results at payload (batch * res_stride bytes). */
void vrt__session_bind_results(vrt_session_t *s, int slot, void *payload);
/* Formats s->err; returns st. */
vrt_status vrt__session_fail(vrt_session_t *s, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Tests only: make every slot replay slot 0's graph (the classic bug the
 * rotating-slot test must catch). VRT_ENOTSUP without graphs. */
vrt_status vrt__session_debug_share_graph(vrt_session_t *s);

#endif
