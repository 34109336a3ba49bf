/*
 * vrt/thread.h - hand-off between threads: a latest-value slot and a bounded queue.
 *
 * Both carry opaque pointers (void *) and never own what they point to: the
 * caller keeps the ownership rules of its items (typically frame references)
 * and releases whatever it gets back. Both are allocated once at create and
 * do not allocate afterwards; put/take/push/pop take one mutex briefly.
 *
 * Timeouts are in milliseconds: -1 waits forever, 0 polls, > 0 waits at most
 * that long (CLOCK_MONOTONIC, so wall-clock jumps do not matter).
 *
 * Closing (from any thread) wakes every waiter:
 *   - producers: put/push on a closed slot/queue answer VRT_ECANCELED and
 *     keep no reference to the item (the caller still owns it);
 *   - consumers: items already inside are still handed out (drain); once
 *     empty, take/pop answer VRT_EOF.
 *
 * Threading: every function may be called from any thread except destroy,
 * which must run after all other users are done. destroy does not release
 * items still inside: drain them first (take/pop with timeout 0 after close).
 *
 * Also here: the priority levels of latency-critical work
 * (vrt_priority) and the call that raises a thread's CPU priority.
 */
#ifndef VRT_THREAD_H
#define VRT_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"
#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- latest-value slot --------------------------------------------------
 * Holds at most one item: the newest. A producer that puts while an older
 * item is still unconsumed gets the older one back (to release it and count a
 * drop); a consumer always takes the newest. This is the "never work on a
 * stale frame" hand-off between capture and processing. */

typedef struct vrt_slot vrt_slot_t;

typedef struct vrt_slot_stats {
    uint64_t puts;      /* successful puts */
    uint64_t takes;     /* successful takes */
    uint64_t displaced; /* items returned by put because a newer one replaced them */
} vrt_slot_stats;

/* *out: new slot on VRT_OK, NULL on failure (VRT_ENOMEM, VRT_EINVAL for out == NULL, VRT_EIO
 * if pthread initialisation failed). */
VRT_API vrt_status vrt_slot_create(vrt_slot_t **out);
/* NULL-safe; sets *s = NULL. Does not release an item still inside. */
VRT_API void vrt_slot_destroy(vrt_slot_t **s);

/* Puts item (not NULL, else VRT_EINVAL). *displaced receives the older
 * unconsumed item, whose ownership returns to the caller, or NULL. If
 * displaced is NULL and an older item is still there, the put is refused with
 * VRT_EINVAL (nothing changes) rather than leak it. VRT_ECANCELED when closed
 * (*displaced = NULL, the caller keeps item). */
VRT_API vrt_status vrt_slot_put(vrt_slot_t *s, void *item, void **displaced);

/* Takes the newest item into *item (ownership passes to the caller).
 * VRT_EAGAIN: nothing arrived within timeout_ms; VRT_EOF: closed and empty.
 * *item is NULL on anything but VRT_OK. */
VRT_API vrt_status vrt_slot_take(vrt_slot_t *s, void **item, int timeout_ms);

/* Closes the slot and wakes every waiter. Idempotent. */
VRT_API void vrt_slot_close(vrt_slot_t *s);
VRT_API int vrt_slot_is_closed(vrt_slot_t *s);
VRT_API vrt_slot_stats vrt_slot_get_stats(vrt_slot_t *s);

/* ---- bounded FIFO queue -------------------------------------------------
 * Fixed capacity chosen at create (the ring is allocated once). Items may be
 * any pointer including NULL. Multiple producers and consumers are fine. */

typedef struct vrt_queue vrt_queue_t;

/* capacity >= 1 (else VRT_EINVAL). *out: new queue on VRT_OK, NULL on failure. */
VRT_API vrt_status vrt_queue_create(vrt_queue_t **out, size_t capacity);
/* NULL-safe; sets *q = NULL. Does not release items still inside. */
VRT_API void vrt_queue_destroy(vrt_queue_t **q);

/* Appends item; waits up to timeout_ms for room. VRT_EAGAIN: still full;
 * VRT_ECANCELED: closed (before or while waiting; the caller keeps item). */
VRT_API vrt_status vrt_queue_push(vrt_queue_t *q, void *item, int timeout_ms);

/* Removes the oldest item into *item; waits up to timeout_ms for one.
 * VRT_EAGAIN: still empty; VRT_EOF: closed and empty. *item is NULL unless VRT_OK. */
VRT_API vrt_status vrt_queue_pop(vrt_queue_t *q, void **item, int timeout_ms);

/* Closes the queue and wakes every waiter. Idempotent. */
VRT_API void vrt_queue_close(vrt_queue_t *q);
VRT_API int vrt_queue_is_closed(vrt_queue_t *q);
/* Items currently inside / the fixed capacity. */
VRT_API size_t vrt_queue_count(vrt_queue_t *q);
VRT_API size_t vrt_queue_capacity(const vrt_queue_t *q);

/* ---- scheduling priority -------------------------------------------------
 * A latency-critical stream beside bulk ones: vrt_engine_params.priority,
 * vrt_session_params.priority and vrt_pipeline_set_priority take a level;
 * on the GPU it becomes the CUDA stream's priority, on the CPU the threads'
 * nice value (below). */

typedef enum vrt_priority {
    VRT_PRIORITY_NORMAL = 0, /* the default: nothing changed */
    VRT_PRIORITY_HIGH = 1, /* CUDA: the device's greatest stream priority; CPU: nice VRT_PRIORITY_HIGH_NICE */
} vrt_priority;

/* The nice value of a HIGH thread (Linux: per thread). -10 gives it about
 * ten times the CPU share of a nice-0 thread under load, without the
 * starvation risk of a real-time policy (SCHED_FIFO) for busy-waiting pools. */
#define VRT_PRIORITY_HIGH_NICE (-10)

/* "normal" / "high" (case-insensitive) -> the level; -1 for anything else. */
VRT_API int vrt_priority_parse(const char *s);
/* "normal", "high"; NULL for other values. Static strings. */
VRT_API const char *vrt_priority_name(vrt_priority p);

/* Sets the CALLING thread's CPU priority. HIGH: nice VRT_PRIORITY_HIGH_NICE
 * (a thread already at that or higher keeps its own); NORMAL: no change.
 * Raising needs CAP_SYS_NICE or an RLIMIT_NICE of 30 or more (`ulimit -e`;
 * 20 - nice is the limit): without, VRT_EPERM, the thread keeps its
 * priority and err says what would work. A system call: at start, not on
 * the frame path. */
VRT_API vrt_status vrt_thread_set_priority(vrt_priority p, char *err, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
