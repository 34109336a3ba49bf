/* processor.c - the pipeline's frame -> result step for one stream, on the
 * model session (vrt/session.h): the session is opened for the stream's
 * frame format and size before the first frame, so every buffer is sized
 * at start. Frames arrive raw: sources that deliver MJPEG are configured to
 * decode it in the capture layer (vrt_source_configure), the one place MJPEG
 * is decoded. Nothing here allocates per frame.
 *
 * Slots: `bound` slots (0..bound-1) may be handed to a V4L2 source as its
 * USERPTR buffers (page-locked on CUDA), so a frame that arrives in slot
 * buffer i is submitted on slot i without a copy; the last slot takes a copy
 * of any other frame. The session's upload reads the capture buffer, and the
 * caller releases the frame (QBUF) only after the result is back, i.e.
 * after the GPU has finished reading it. */
#include "pipeline-impl.h"

#include <stdio.h>
#include <string.h>

#include "vision/result_impl.h"
#include "vrt/image.h"
#include "vrt/session.h"
#include "session_impl.h"

struct vrt__proc {
    vrt_session_t *session;
    const vrt_result *res;
    const vrt_result *bres[VRT_SESSION_MAX_BATCH]; /* batch > 1 */
    int batch;
    int bound;     /* slots 0..bound-1 may be capture buffers */
    int copy_slot; /* slot for every other frame */
    int last_slot; /* of the last vrt__proc_run */
    uint64_t zero_copy;
    char backend[16];
};

vrt_status vrt__proc_open(vrt__proc **out, const vrt_profile *prof, const char *model_path,
                          const char *backend, const vrt__proc_models *models, int threads, uint32_t fourcc,
                          uint32_t width, uint32_t height, int bound, char *err, size_t cap) {
    return vrt__proc_open2(out, prof, model_path, backend, models, threads, fourcc, width, height, bound,
                           NULL, 1, err, cap);
}

vrt_status vrt__proc_open2(vrt__proc **out, const vrt_profile *prof, const char *model_path,
                           const char *backend, const vrt__proc_models *models, int threads, uint32_t fourcc,
                           uint32_t width, uint32_t height, int bound, vrt__proc *share, int batch, char *err,
                           size_t cap) {
    return vrt__proc_open3(out, prof, model_path, backend, models, threads, fourcc, width, height, bound,
                           share, batch, NULL, err, cap);
}

vrt_status vrt__proc_open3(vrt__proc **out, const vrt_profile *prof, const char *model_path,
                           const char *backend, const vrt__proc_models *models, int threads, uint32_t fourcc,
                           uint32_t width, uint32_t height, int bound, vrt__proc *share, int batch,
                           const vrt__proc_opts *opts, char *err, size_t cap) {
    *out = NULL;
    if (batch < 1) batch = 1;
    if (!vrt_fourcc_is_raw(fourcc)) {
        char b[8];
        vrt_errbuf_set(err, cap, "the model session takes raw frames, not %s; configure the source to decode",
                       vrt_fourcc_name(fourcc, b));
        return VRT_EINVAL;
    }
    if (batch > 1 && bound) {
        vrt_errbuf_set(err, cap,
                       "cross-camera batching needs raw frames without bound capture buffers; "
                       "run without batching");
        return VRT_EINVAL;
    }
    if (bound < 0 || bound >= VRT_SESSION_MAX_SLOTS) bound = 0;
    vrt__proc *p = vrt_calloc(1, sizeof(*p));
    if (!p) {
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    snprintf(p->backend, sizeof(p->backend), "%s", backend ? backend : "cpu");
    vrt_session_params sp;
    vrt_session_default_params(&sp);
    sp.backend = p->backend;
    sp.threads = threads;
    sp.slots = bound + 1;
    sp.fourcc = fourcc;
    sp.width = width;
    sp.height = height;
    sp.batch = batch;
    sp.share_weights = share ? share->session : NULL;
    sp.cascade = models ? models->cascade : NULL;
    sp.parallel = models ? models->parallel : NULL;
    sp.refine_depth = models ? models->refine_depth : NULL;
    sp.overlay = opts ? opts->overlay : NULL;
    sp.device = opts ? opts->device : 0;
    sp.priority = opts ? opts->priority : VRT_PRIORITY_NORMAL;
    vrt_status st = vrt_session_open(model_path, NULL, prof, &sp, &p->session, err, cap);
    if (st) {
        vrt__proc_destroy(&p);
        return st;
    }
    p->bound = bound;
    p->copy_slot = bound;
    p->batch = batch;
    *out = p;
    return VRT_OK;
}

void *vrt__proc_slot_buffer(vrt__proc *p, int i, size_t *size) {
    if (i < 0 || i >= p->bound) {
        if (size) *size = 0;
        return NULL;
    }
    return vrt_session_slot_buffer(p->session, i, size);
}

uint64_t vrt__proc_zero_copy(const vrt__proc *p) {
    return p->zero_copy;
}

const char *vrt__proc_backend(const vrt__proc *p) {
    return p->backend;
}

/* The pipeline's view of a session result: stage sums and pointers, no copy. */
static void fill_out(const vrt_result *r, vrt__proc_out *o) {
    o->preprocess_ns = vrt_result_time_ns(r, VRT_TIME_UPLOAD) + vrt_result_time_ns(r, VRT_TIME_PREPROCESS);
    o->infer_ns = vrt_result_time_ns(r, VRT_TIME_MODEL);
    o->postprocess_ns =
        vrt_result_time_ns(r, VRT_TIME_POSTPROCESS) + vrt_result_time_ns(r, VRT_TIME_SECONDARY) +
        vrt_result_time_ns(r, VRT_TIME_JOIN) +
        vrt_result_time_ns(r, VRT_TIME_DOWNLOAD); /* a cascade and a join count as post-processing */
    const vrt_result *pr = vrt_result_parallel(r);
    o->parallel_preprocess_ns = vrt_result_time_ns(pr, VRT_TIME_PREPROCESS);
    o->parallel_infer_ns = vrt_result_time_ns(pr, VRT_TIME_MODEL);
    o->parallel_postprocess_ns = vrt_result_time_ns(pr, VRT_TIME_POSTPROCESS);
    o->result = r;
    o->cls = vrt__result_classes(r);
    o->det = vrt__result_detections(r);
}

static vrt_status run_frame(vrt__proc *p, const vrt_frame *f, char *err, size_t cap) {
    int slot = p->copy_slot;
    if (p->bound && f->buffer_index >= 0 && f->buffer_index < p->bound &&
        f->planes[0].data == vrt_session_slot_buffer(p->session, f->buffer_index, NULL)) {
        slot = f->buffer_index; /* the capture buffer is the slot: no copy */
        p->zero_copy++;
    }
    p->last_slot = slot;
    vrt_status st = vrt_session_submit(p->session, slot, f);
    if (!st) st = vrt_session_wait(p->session, slot, &p->res);
    if (st && err) vrt_errbuf_set(err, cap, "%s", vrt_session_last_error(p->session));
    return st;
}

vrt_status vrt__proc_warmup(vrt__proc *p) {
    vrt_frame f;
    vrt_status st = vrt_session_slot_frame(p->session, p->copy_slot, &f);
    if (st) return st;
    memset(f.planes[0].data, 128, f.bytesused ? f.bytesused : f.planes[0].size);
    if (!f.bytesused) f.bytesused = vrt_frame_size_for(f.fourcc, f.width, f.height);
    return run_frame(p, &f, NULL, 0);
}

vrt_status vrt__proc_run(vrt__proc *p, const vrt_frame *f, vrt__proc_out *o, char *err, size_t cap) {
    vrt_status st = run_frame(p, f, err, cap);
    if (st) return st;
    fill_out(p->res, o);
    return VRT_OK;
}

vrt_status vrt__proc_run_batch(vrt__proc *p, const vrt_frame *const *frames, int n,
                               vrt__proc_out *const *outs, char *err, size_t cap) {
    p->last_slot = p->copy_slot;
    vrt_status st = vrt_session_submit_batch(p->session, p->copy_slot, frames, n);
    int got = 0;
    if (!st) st = vrt_session_wait_batch(p->session, p->copy_slot, p->bres, &got);
    if (st) {
        if (err) vrt_errbuf_set(err, cap, "%s", vrt_session_last_error(p->session));
        return st;
    }
    for (int k = 0; k < got && k < n; k++)
        fill_out(p->bres[k], outs[k]);
    return VRT_OK;
}

void vrt__proc_memory(const vrt__proc *p, size_t *weights, size_t *arena, size_t *slots) {
    vrt_session_info info;
    vrt_session_get_info(p->session, &info);
    *weights = info.weight_bytes;
    *arena = info.arena_bytes;
    *slots = info.slot_bytes * (size_t)info.slots;
}

vrt_status vrt__proc_render_start(vrt__proc *p, int position, const vrt_overlay_info *info, vrt_frame *dst,
                                  uint64_t *ticket, char *err, size_t cap) {
    vrt_status st = vrt_session_render_start(p->session, p->last_slot, position, info, dst, ticket);
    if (st && err) vrt_errbuf_set(err, cap, "%s", vrt_session_last_error(p->session));
    return st;
}

vrt_status vrt__proc_render_wait(vrt__proc *p, uint64_t ticket) {
    return vrt_session_render_wait(p->session, ticket);
}

vrt_status vrt__proc_host_register(vrt__proc *p, void *data, size_t bytes, char *err, size_t cap) {
    if (!data) return VRT_OK;
    if (!bytes) {
        vrt_session_host_unregister(p->session, data);
        return VRT_OK;
    }
    vrt_status st = vrt_session_host_register(p->session, data, bytes);
    if (st && err) vrt_errbuf_set(err, cap, "%s", vrt_session_last_error(p->session));
    return st;
}

void vrt__proc_priority(const vrt__proc *p, int *value, int *applied) {
    vrt_session_info info;
    vrt_session_get_info(p->session, &info);
    *value = info.priority_value;
    *applied = info.priority_applied;
}

int vrt__proc_weight_users(const vrt__proc *p) {
    vrt_session_info info;
    vrt_session_get_info(p->session, &info);
    return info.weight_users;
}

void vrt__proc_destroy(vrt__proc **pp) {
    if (!pp || !*pp) return;
    vrt__proc *p = *pp;
    vrt_session_destroy(&p->session);
    vrt_free(p);
    *pp = NULL;
}

size_t vrt__proc_result_bytes(const vrt__proc *p) {
    return p ? vrt__session_result_bytes(p->session) : 0;
}
