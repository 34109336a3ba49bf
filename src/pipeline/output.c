/* output.c - one output (sink) behind its own thread and newest-result
 * hand-off.
 *
 * Records: depth + 2 result records are allocated at create (one being
 * filled by the frame path, up to `depth` waiting, one being written by the
 * output), and circulate through two structures of vrt/thread.h: a free
 * list (a bounded queue) and the hand-off (the latest-value slot for depth 1,
 * else a bounded queue from which the producer drops the oldest record when
 * it is full). The frame path never waits: every operation it makes is a
 * poll (timeout 0), and whatever does not fit is counted as this output's
 * drop. The record copies the result's own data (times, top-k, the
 * detections it holds); an output that wants frames also holds a reference
 * to the one pool copy of the frame the frame path made for all of them
 * (never to the capture buffer). A picture drawn on the GPU comes with its
 * fence: the frame path only started it, and this output's thread waits for
 * it before the write (a failed picture is this output's drop). Each output
 * measures result ready -> its write() returned in a histogram of its own
 * (on its thread, off the frame path). */
#include "pipeline-impl.h"
#include "vision/result_impl.h"

#include <stdio.h>
#include <string.h>

typedef struct out_rec {
    vrt_pipeline_result r;
    vrt_result res;              /* the session's result header, its payload pointing at the copy below */
    vrt__result_payload payload; /* the filled part of the session's payload */
    void *extra;                 /* maps and keypoints: the whole payload (extra_bytes), or NULL */
    /* A second model's result on the frame (vrt_result_parallel), copied likewise. */
    vrt_result pres;
    vrt__result_payload ppayload;
    void *pextra;
    vrt__picture_fence fence; /* an annotated frame still being drawn: waited for before the write */
} out_rec;

struct vrt__output {
    vrt_pipeline_output o;
    char name[64];
    vrt_overlay_params ovp; /* o.overlay points here */
    int depth;
    size_t extra_bytes; /* of each record's extra */
    out_rec *recs;
    vrt_queue_t *free_list;
    vrt_slot_t *slot;   /* depth 1 */
    vrt_queue_t *queue; /* depth > 1 */
    pthread_t thread;
    int thread_started, finished;
    const vrt_pipeline_t *pl;
    _Atomic uint64_t written, dropped;
    pthread_mutex_t hist_lock; /* the output's thread writes, readers copy (never the frame path) */
    vrt_hist latency;
};

vrt_status vrt__output_create(vrt__output **out, const vrt_pipeline_output *o, char *err, size_t cap) {
    *out = NULL;
    vrt__output *x = vrt_calloc(1, sizeof(*x));
    if (!x) {
        if (o->destroy) o->destroy(o->ctx);
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    x->o = *o;
    snprintf(x->name, sizeof(x->name), "%s", o->name ? o->name : "output");
    x->o.name = x->name;
    if (o->overlay) {
        x->ovp = *o->overlay;
        x->o.overlay = &x->ovp;
    }
    x->depth = o->depth > 1 ? o->depth : 1;
    pthread_mutex_init(&x->hist_lock, NULL);
    vrt_hist_init(&x->latency);
    size_t n = (size_t)x->depth + 2;
    vrt_status st = VRT_OK;
    x->recs = vrt_calloc(n, sizeof(*x->recs));
    if (!x->recs) st = VRT_ENOMEM;
    if (!st) st = vrt_queue_create(&x->free_list, n);
    if (!st) st = x->depth == 1 ? vrt_slot_create(&x->slot) : vrt_queue_create(&x->queue, (size_t)x->depth);
    for (size_t i = 0; !st && i < n; i++)
        st = vrt_queue_push(x->free_list, &x->recs[i], 0);
    if (st) {
        vrt_errbuf_set(err, cap, "%s: cannot make %zu result records and the hand-off (%s)", x->name, n,
                       vrt_status_str(st));
        vrt__output_destroy(&x);
        return st;
    }
    *out = x;
    return VRT_OK;
}

static void give_back(vrt__output *x, out_rec *rec) {
    vrt_frame *f = (vrt_frame *)rec->r.frame;
    rec->r.frame = NULL;
    rec->fence.proc = NULL;
    vrt_frame_unref(&f);
    vrt_queue_push(x->free_list, rec, 0); /* cannot be full: the records are its capacity */
}

static void *output_main(void *arg) {
    vrt__output *x = arg;
    const int wait_ms = x->o.idle ? (x->o.idle_ms > 0 ? x->o.idle_ms : 50) : -1;
    int64_t next_idle = vrt_now_ns() + (int64_t)wait_ms * 1000000;
    for (;;) {
        void *item = NULL;
        vrt_status st =
            x->slot ? vrt_slot_take(x->slot, &item, wait_ms) : vrt_queue_pop(x->queue, &item, wait_ms);
        if (x->o.idle && vrt_now_ns() >= next_idle) { /* also when results come faster than idle_ms */
            x->o.idle(x->o.ctx, x->pl);
            next_idle = vrt_now_ns() + (int64_t)wait_ms * 1000000;
        }
        if (st == VRT_EAGAIN || st == VRT_ETIMEDOUT) continue;
        if (st) break; /* VRT_EOF: closed and drained */
        out_rec *rec = item;
        if (rec->fence.proc && vrt__proc_render_wait(rec->fence.proc, rec->fence.ticket)) {
            atomic_fetch_add_explicit(&x->dropped, 1, memory_order_relaxed); /* the picture failed */
            give_back(x, rec);
            continue;
        }
        x->o.write(x->o.ctx, x->pl, &rec->r);
        int64_t lat = vrt_now_ns() - rec->r.t.done_ns;
        pthread_mutex_lock(&x->hist_lock);
        vrt_hist_record(&x->latency, lat);
        pthread_mutex_unlock(&x->hist_lock);
        atomic_fetch_add_explicit(&x->written, 1, memory_order_relaxed);
        give_back(x, rec);
    }
    return NULL;
}

vrt_status vrt__output_start(vrt__output *x, const vrt_pipeline_t *p, size_t result_bytes, int parallel) {
    x->pl = p;
    if (!x->o.write) return VRT_OK; /* finish only (a report): no thread, no hand-off */
    /* Results with maps or keypoints (their layout says) are copied whole. */
    x->extra_bytes = result_bytes;
    for (int i = 0; x->extra_bytes && i < x->depth + 2; i++)
        if (!x->recs[i].extra && !(x->recs[i].extra = vrt_malloc(x->extra_bytes))) return VRT_ENOMEM;
    for (int i = 0; x->extra_bytes && parallel && i < x->depth + 2; i++)
        if (!x->recs[i].pextra && !(x->recs[i].pextra = vrt_malloc(x->extra_bytes))) return VRT_ENOMEM;
    if (pthread_create(&x->thread, NULL, output_main, x)) return VRT_EIO;
    x->thread_started = 1;
    return VRT_OK;
}

/* The result's own data into rec: the header of the session's result and
 * its payload (only the entries it holds; vrt__result_copy, whatever the
 * kind), since the session reuses its storage on the next frame. Sinks read
 * the copy through the vrt/result.h accessors. */
static void copy_result(const vrt__output *x, out_rec *rec, const vrt_pipeline_result *r,
                        const vrt__picture_fence *fence) {
    rec->r = *r;
    rec->r.frame = NULL;
    rec->r.annotated = 0;
    rec->fence.proc = NULL;
    if (x->o.want_frame && r->frame) {
        rec->r.annotated = r->annotated;
        vrt_frame_ref((vrt_frame *)r->frame);
        rec->r.frame = r->frame;
        if (r->annotated && fence) rec->fence = *fence;
    }
    rec->r.result = NULL;
    rec->r.classes = NULL;
    rec->r.detections = NULL;
    if (!r->result || vrt__result_copy_ex(&rec->res, &rec->payload, rec->extra, x->extra_bytes, r->result))
        return;
    rec->r.result = &rec->res;
    const vrt_result *par = vrt_result_parallel(r->result);
    if (par &&
        !vrt__result_copy_ex(&rec->pres, &rec->ppayload, rec->pextra, rec->pextra ? x->extra_bytes : 0, par))
        rec->res.parallel = &rec->pres;
    rec->r.classes = vrt__result_classes(&rec->res);
    rec->r.detections = vrt__result_detections(&rec->res);
}

void vrt__output_put(vrt__output *x, const vrt_pipeline_result *r, const vrt__picture_fence *fence) {
    if (!x->o.write) return;
    void *item = NULL;
    if (x->o.want_frame && !r->frame) { /* no frame copy was free (or the frame did not fit) */
        atomic_fetch_add_explicit(&x->dropped, 1, memory_order_relaxed);
        return;
    }
    if (vrt_queue_pop(x->free_list, &item, 0)) {
        atomic_fetch_add_explicit(&x->dropped, 1, memory_order_relaxed);
        return;
    }
    out_rec *rec = item;
    copy_result(x, rec, r, fence);
    if (x->slot) {
        void *old = NULL;
        vrt_status st = vrt_slot_put(x->slot, rec, &old);
        if (old) {
            give_back(x, old);
            atomic_fetch_add_explicit(&x->dropped, 1, memory_order_relaxed);
        }
        if (st) give_back(x, rec);
        return;
    }
    vrt_status st = vrt_queue_push(x->queue, rec, 0);
    if (st == VRT_EAGAIN) { /* full: the oldest waiting result makes room */
        void *old = NULL;
        if (vrt_queue_pop(x->queue, &old, 0) == VRT_OK) {
            give_back(x, old);
            atomic_fetch_add_explicit(&x->dropped, 1, memory_order_relaxed);
        }
        st = vrt_queue_push(x->queue, rec, 0);
    }
    if (st) {
        give_back(x, rec);
        atomic_fetch_add_explicit(&x->dropped, 1, memory_order_relaxed);
    }
}

void vrt__output_stop(vrt__output *x) {
    if (x->slot) vrt_slot_close(x->slot);
    if (x->queue) vrt_queue_close(x->queue);
    if (x->thread_started) pthread_join(x->thread, NULL); /* the thread drains what is waiting */
    x->thread_started = 0;
}

void vrt__output_stats(const vrt__output *x, vrt_pipeline_output_stats *st) {
    vrt__output *m = (vrt__output *)x;
    snprintf(st->name, sizeof(st->name), "%s", x->name);
    st->written = atomic_load_explicit(&m->written, memory_order_relaxed);
    st->dropped = atomic_load_explicit(&m->dropped, memory_order_relaxed);
    pthread_mutex_lock(&m->hist_lock);
    vrt_hist_summarize(&m->latency, &st->latency);
    pthread_mutex_unlock(&m->hist_lock);
    st->lost = 0;
    st->detail[0] = 0;
    if (x->o.stats) x->o.stats(x->o.ctx, st);
}

int vrt__output_frame_depth(const vrt__output *x) {
    return x->o.write && x->o.want_frame ? x->depth : 0;
}

const vrt_overlay_params *vrt__output_overlay(const vrt__output *x) {
    return x->o.write && x->o.want_frame ? x->o.overlay : NULL;
}

void vrt__output_copy_frame(vrt_frame_pool_t *pool, const vrt_frame *src, vrt_frame **dst) {
    *dst = NULL;
    vrt_frame *f = NULL;
    if (vrt_frame_pool_get(pool, &f)) return;
    if (f->fourcc != src->fourcc || f->width != src->width || f->height != src->height ||
        src->memory == VRT_MEM_DEVICE || src->num_planes != f->num_planes) {
        vrt_frame_unref(&f);
        return;
    }
    if (!vrt_fourcc_is_raw(src->fourcc)) { /* compressed: the bytes as they are */
        size_t n = src->bytesused < f->planes[0].size ? src->bytesused : f->planes[0].size;
        memcpy(f->planes[0].data, src->planes[0].data, n);
        f->bytesused = n;
    } else {
        for (int i = 0; i < f->num_planes; i++) {
            const vrt_plane *a = &src->planes[i];
            vrt_plane *b = &f->planes[i];
            uint32_t rows = b->stride ? b->size / b->stride : 0;
            uint32_t w = a->stride < b->stride ? a->stride : b->stride;
            if (a->stride == b->stride)
                memcpy(b->data, a->data, b->size < a->size ? b->size : a->size);
            else
                for (uint32_t y = 0; y < rows; y++)
                    memcpy(b->data + (size_t)y * b->stride, a->data + (size_t)y * a->stride, w);
        }
    }
    f->timestamp_ns = src->timestamp_ns;
    f->ts_from_driver = src->ts_from_driver;
    f->dequeue_ns = src->dequeue_ns;
    f->sequence = src->sequence;
    f->pts_ns = src->pts_ns;
    *dst = f;
}

vrt_status vrt__output_finish(vrt__output *x, vrt_pipeline_t *p, const char *stopped_by, char *err,
                              size_t cap) {
    if (x->finished || !x->o.finish) return VRT_OK;
    x->finished = 1;
    return x->o.finish(x->o.ctx, p, stopped_by, err, cap);
}

void vrt__output_destroy(vrt__output **px) {
    if (!px || !*px) return;
    vrt__output *x = *px;
    vrt__output_stop(x);
    void *item = NULL; /* records left waiting when the thread never ran hold frame references */
    while (x->slot && vrt_slot_take(x->slot, &item, 0) == VRT_OK)
        give_back(x, item);
    while (x->queue && vrt_queue_pop(x->queue, &item, 0) == VRT_OK)
        give_back(x, item);
    for (int i = 0; x->recs && i < x->depth + 2; i++) {
        vrt_free(x->recs[i].extra);
        vrt_free(x->recs[i].pextra);
    }
    if (x->o.destroy) x->o.destroy(x->o.ctx);
    vrt_slot_destroy(&x->slot);
    vrt_queue_destroy(&x->queue);
    vrt_queue_destroy(&x->free_list);
    pthread_mutex_destroy(&x->hist_lock);
    vrt_free(x->recs);
    vrt_free(x);
    *px = NULL;
}
