/*
 * The CUDA frame path of a session (vrt/session.h), host code.
 *
 * Everything runs on the CUDA backend's stream (cuDNN and cuBLASLt are bound
 * to it). Per slot: a page-locked (or registered) host buffer, a device
 * frame buffer, a page-locked result buffer, timing events, and with graphs
 * one instantiated graph whose nodes hold exactly that slot's addresses.
 * The preprocess output, the model's tensors, the post-processing workspace
 * and the device result are shared: work on the one stream is serialised.
 *
 * Path (path_enqueue): H2D frame -> vrt_cuda_preprocess_frame into the
 * model's input tensor -> vrt__engine_enqueue (the model's steps, without
 * the backend's own graph; engine/device.h) -> the task head's CUDA twin
 * (vision/head.h) -> D2H of the result payloads into the slot's page-locked
 * result storage, which the session's results point at (no further copy).
 *
 * Batch B > 1 (cross-camera batching): the slot holds B frames back to back
 * (host and device), so the upload is ONE copy of B * frame_bytes (the B
 * per-frame copies merged: both sides are contiguous); then B
 * pre-processing launches, each into its slice [k * in_bytes) of the
 * model's batch-B input; the model once; the head over the B output rows
 * into B result payloads; ONE D2H of the B payloads. The whole path
 * always covers all B positions (a graph has fixed work); positions past
 * the submitted n keep their old bytes and their results are not returned.
 * Graph and eager enqueue exactly the same operations. Events: ev[0] before the graph launch and
 * ev[5] after it are recorded outside the graph (so the completion event is
 * plain); ev[1..4] between the stages are event-record nodes inside it
 * (cudaEventRecordExternal during capture).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime.h>

#include "core/options.h"
#include "engine/device.h"
#include "pipeline/cuda/session_cascade.h"
#include "pipeline/cuda/session_parallel.h"
#include "pipeline/session_impl.h"
#include "pipeline/session_parallel.h"
#include "vrt/vision_cuda.h"

/* ev[0..5] frame path; ev[6] after the cascade, ev[7] after the join of a
 * second model's branch (before the download) */
#define NEV 8
#define EV_LAST 5
#define EV_CASCADE 6
#define EV_JOIN 7
/* Pictures in flight a sink may still wait for by ticket (vrt_session_render_wait): ticket t's
 * download is followed by pic_done[t % N_PIC]; a later picture re-records it behind t's on the same
 * stream, so waiting on it still waits for t (longer, never shorter). */
#define N_PIC 16

typedef struct cslot {
    uint8_t *own;    /* cudaHostAlloc'ed slot buffer (own buffers) */
    uint8_t *stage;  /* page-locked staging when a bound buffer could not be registered */
    int registered;  /* bound buffer registered with cudaHostRegister */
    uint8_t *dframe; /* device frame */
    void *hres;      /* page-locked result payloads (batch * hp.layout.bytes): the results point here */
    cudaEvent_t ev[NEV];
    cudaEvent_t pev[4]; /* second model's branch: start, after pre, after model, after head */
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    int borrowed; /* exec belongs to another slot (debug_share_graph) */
    /* Pictures: recorded on the picture stream once the overlay kernel has read this slot's device
     * frame; the slot's next submission makes the session's stream wait on it (draw_pending). */
    cudaEvent_t drawn;
    int draw_pending;
} cslot;

typedef struct cstate {
    cudaStream_t stream;
    float *din;                               /* model input (backend's buffer) */
    const float *dout[VRT__HEAD_MAX_OUTPUTS]; /* the head's model outputs (backend's buffers) */
    void *dres;                               /* device result payloads */
    size_t res_bytes;                         /* one frame's payload */
    void *head;                               /* the head's CUDA context */
    /* Cascade: crop boxes, the classifier's input/output (its engine's), top-k rows. */
    vrt_box *cboxes;
    float *cin;
    const float *cout;
    vrt_class_result *ccls;
    /* Second model: its engine's stream (the branch), input and outputs, head, fork/join events. */
    cudaStream_t pstream;
    float *pdin;
    const float *pdout[VRT__HEAD_MAX_OUTPUTS];
    void *phead;
    cudaEvent_t fork, join;
    cslot sl[VRT_SESSION_MAX_SLOTS];
    uint8_t *dgf_rgb; /* guided pre-filter (profile guided_radius > 0): filtered RGB24 frame */
    uint8_t *dpic;    /* params.overlay: the picture (RGB24, tightly packed) vrt_session_render draws into */
    /* params.overlay: the pictures' own stream (drawing and download off the frame path's stream) and
     * the event after each picture's download (N_PIC above). */
    cudaStream_t pic_stream;
    cudaEvent_t pic_done[N_PIC];
} cstate;

/* A CUDA runtime call's status: VRT_OK, or VRT_EDEVICE with the call, file
 * and line in s->err (an expression: no hidden control flow). */
static vrt_status ck(vrt_session_t *s, cudaError_t e, const char *call, int line) {
    if (e == cudaSuccess) return VRT_OK;
    cudaGetLastError();
    snprintf(s->err, sizeof(s->err), "%s:%d: %s: %s", __FILE__, line, call, cudaGetErrorString(e));
    return VRT_EDEVICE;
}
#define CK(call) ck(s, (call), #call, __LINE__)

/* The session's buffers, streams and graphs live on params.device; the
 * pipeline's threads may last have used another GPU. A thread-local read,
 * and a set only when the device differs (never with one GPU). */
static vrt_status use_device(vrt_session_t *s) {
    int cur = -1;
    if (cudaGetDevice(&cur) == cudaSuccess && cur == s->p.device) return VRT_OK;
    return CK(cudaSetDevice(s->p.device));
}

static vrt_status sfail(vrt_session_t *s, vrt_status st, const char *what, const char *detail) {
    snprintf(s->err, sizeof(s->err), "%s: %s", what, detail);
    return st;
}

static vrt_status record(vrt_session_t *s, cudaEvent_t ev, cudaStream_t st, int capturing) {
    return CK(cudaEventRecordWithFlags(ev, st, capturing ? cudaEventRecordExternal : cudaEventRecordDefault));
}

/* Batch position k's device frame of the slot, as a frame. */
static vrt_status slot_frame(const vrt_session_t *s, const cslot *q, int k, vrt_frame *f) {
    memset(f, 0, sizeof(*f));
    vrt_status r =
        vrt_frame_layout(f, s->p.fourcc, s->p.width, s->p.height, q->dframe + (size_t)k * s->frame_bytes);
    f->bytesused = s->frame_bytes;
    f->memory = VRT_MEM_DEVICE;
    return r;
}

/* One pre-processing launch per batch position, from the slot's device frames. */
static vrt_status enqueue_pre(vrt_session_t *s, cslot *q, cudaStream_t st) {
    cstate *c = s->impl;
    char e[256] = "";
    for (int k = 0; k < s->batch; k++) {
        vrt_frame f;
        vrt_status r = slot_frame(s, q, k, &f);
        if (r) return r;
        vrt_frame g; /* the guided pre-filter's output, read by the pre-processing instead of f */
        if (c->dgf_rgb) {
            memset(&g, 0, sizeof(g));
            vrt_frame_layout(&g, VRT_FMT_RGB24, s->p.width, s->p.height, c->dgf_rgb);
            g.memory = VRT_MEM_DEVICE;
            if ((r = vrt_cuda_guided_filter_frame(&f, &s->prof.guided, &g, NULL, 0, st, e, sizeof(e))))
                return sfail(s, r, "guided filter", e);
            f = g;
        }
        if ((r = vrt_cuda_preprocess_frame(&f, &s->pre, (uint8_t *)c->din + (size_t)k * s->in_bytes,
                                           s->in_bytes, NULL, st, e, sizeof(e)))) {
            if (s->batch == 1) return sfail(s, r, "preprocess", e);
            char w[300];
            snprintf(w, sizeof(w), "preprocess (batch position %d)", k);
            return sfail(s, r, w, e);
        }
    }
    return VRT_OK;
}

/* The cascade after the head (cuda/session_cascade.h): select the crops on the
 * device, one ROI pre-processing launch for max_batch crops from the slot's
 * device frame, the classifier, its top-k, attached to the result. */
static vrt_status enqueue_cascade(vrt_session_t *s, cslot *q, cudaStream_t st) {
    cstate *c = s->impl;
    const vrt__cascade *k = s->cascade;
    vrt__cascade_result *sec = (vrt__cascade_result *)((uint8_t *)c->dres + s->sec_offset);
    vrt_status r;
    char e[256] = "";
    if ((r = CK(vrt__cascade_select_launch(c->dres, &k->rule, c->cboxes, sec, st)))) return r;
    vrt_frame f;
    memset(&f, 0, sizeof(f));
    if ((r = vrt_frame_layout(&f, s->p.fourcc, s->p.width, s->p.height, q->dframe))) return r;
    f.bytesused = s->frame_bytes;
    f.memory = VRT_MEM_DEVICE;
    const int nb = k->rule.max_batch;
    if ((r = vrt_cuda_preprocess_rois(&f, c->cboxes, nb, &k->pre, c->cin, k->in_bytes * (size_t)nb, NULL, st,
                                      e, sizeof(e))))
        return sfail(s, r, "cascade crops", e);
    if ((r = vrt__engine_enqueue(k->eng, st)))
        return sfail(s, r, "cascade model", vrt_engine_last_error(k->eng));
    if ((r = vrt_cuda_topk(c->cout, VRT_TENSOR_F32, nb, k->num_classes, k->rule.topk, k->softmax, c->ccls, st,
                           e, sizeof(e))))
        return sfail(s, r, "cascade top-k", e);
    return CK(vrt__cascade_attach_launch(c->ccls, &k->rule, sec, st));
}

/* The second model's branch of slot i: forks from st after the upload (a
 * plain event record + wait, which during capture makes the branch's stream
 * part of the same graph), runs on its engine's stream, and leaves c->join
 * recorded at its end. */
static vrt_status enqueue_branch(vrt_session_t *s, cslot *q, cudaStream_t st, int capturing) {
    cstate *c = s->impl;
    const vrt__parallel *m = s->parallel;
    cudaStream_t ps = c->pstream;
    const int tm = s->p.timings;
    vrt_status r;
    char e[256] = "";
    if ((r = CK(cudaEventRecord(c->fork, st))) || (r = CK(cudaStreamWaitEvent(ps, c->fork, 0)))) return r;
    if (tm && (r = record(s, q->pev[0], ps, capturing))) return r;
    vrt_frame f;
    memset(&f, 0, sizeof(f));
    if ((r = vrt_frame_layout(&f, s->p.fourcc, s->p.width, s->p.height, q->dframe))) return r;
    f.bytesused = s->frame_bytes;
    f.memory = VRT_MEM_DEVICE;
    if ((r = vrt_cuda_preprocess_frame(&f, &m->pre, c->pdin, m->in_bytes, NULL, ps, e, sizeof(e))))
        return sfail(s, r, "second model's preprocess", e);
    if (tm && (r = record(s, q->pev[1], ps, capturing))) return r;
    if ((r = vrt__engine_enqueue(m->eng, ps)))
        return sfail(s, r, "second model", vrt_engine_last_error(m->eng));
    if (tm && (r = record(s, q->pev[2], ps, capturing))) return r;
    if ((r = m->head->cuda->enqueue(c->phead, &m->hp, c->pdout, &m->geom, (uint8_t *)c->dres + s->par_offset,
                                    ps, e, sizeof(e))))
        return sfail(s, r, "second model's head", e);
    if (m->hp.refine.radius > 0 &&
        (r = vrt__head_refine_cuda(c->phead, &m->hp, 0, &f, (uint8_t *)c->dres + s->par_offset, ps, e,
                                   sizeof(e))))
        return sfail(s, r, "second model's depth refinement", e);
    if (tm && (r = record(s, q->pev[3], ps, capturing))) return r;
    return CK(cudaEventRecord(c->join, ps));
}

/* The join: st waits for the branch, then the per-box depths (detector + depth). */
static vrt_status enqueue_join(vrt_session_t *s, cudaStream_t st) {
    cstate *c = s->impl;
    const vrt__parallel *m = s->parallel;
    vrt_status r;
    if ((r = CK(cudaStreamWaitEvent(st, c->join, 0)))) return r;
    if (m->object_depth == VRT__OD_NONE) return VRT_OK;
    const uint8_t *first = c->dres, *second = (const uint8_t *)c->dres + s->par_offset;
    const int det_first = m->object_depth == VRT__OD_FIRST;
    const vrt__result_layout *dl = det_first ? &m->hp.layout : &s->hp.layout;
    const vrt__result_map *raw = NULL;
    for (int k = 0; k < dl->num_maps; k++)
        if (dl->maps[k].id == VRT_MAP_DEPTH_RAW) raw = &dl->maps[k];
    if (!raw) return vrt__session_fail(s, VRT_EINVAL, "the depth head's layout has no raw map");
    return CK(vrt__object_depth_launch(det_first ? first : second, det_first ? second : first, raw->offset,
                                       raw->stride, raw->width, raw->height,
                                       (vrt__object_depth *)((uint8_t *)c->dres + s->od_offset), st));
}

/* The depth head's refinement of each frame of the slot with the frame itself as the guide. */
static vrt_status enqueue_refine(vrt_session_t *s, cslot *q, cudaStream_t st) {
    cstate *c = s->impl;
    char e[256] = "";
    for (int k = 0; k < s->batch; k++) {
        vrt_frame f;
        vrt_status r = slot_frame(s, q, k, &f);
        if (r) return r;
        if ((r = vrt__head_refine_cuda(c->head, &s->hp, k, &f, c->dres, st, e, sizeof(e))))
            return sfail(s, r, "depth refinement", e);
    }
    return VRT_OK;
}

/* Everything between ev[0] and ev[5] for one slot. */
static vrt_status path_enqueue(vrt_session_t *s, int i, int capturing) {
    cstate *c = s->impl;
    cslot *q = &c->sl[i];
    cudaStream_t st = c->stream;
    const int tm = s->p.timings;
    const size_t nb = (size_t)s->batch;
    vrt_status r;
    if ((r = CK(cudaMemcpyAsync(q->dframe, s->slot[i].up, s->frame_bytes * nb, cudaMemcpyHostToDevice, st))))
        return r;
    if (tm && (r = record(s, q->ev[1], st, capturing))) return r;
    if (s->parallel && (r = enqueue_branch(s, q, st, capturing))) return r;
    if ((r = enqueue_pre(s, q, st))) return r;
    if (tm && (r = record(s, q->ev[2], st, capturing))) return r;
    if ((r = vrt__engine_enqueue(s->eng, st))) return sfail(s, r, "model", vrt_engine_last_error(s->eng));
    if (tm && (r = record(s, q->ev[3], st, capturing))) return r;
    if ((r = s->head->cuda->enqueue(c->head, &s->hp, c->dout, &s->geom, c->dres, st, s->err, sizeof(s->err))))
        return r;
    if (s->hp.refine.radius > 0 && (r = enqueue_refine(s, q, st))) return r;
    if (tm && (r = record(s, q->ev[4], st, capturing))) return r;
    if (s->cascade) {
        if ((r = enqueue_cascade(s, q, st))) return r;
        if (tm && (r = record(s, q->ev[EV_CASCADE], st, capturing))) return r;
    }
    if (s->parallel) {
        if ((r = enqueue_join(s, st))) return r;
        if (tm && (r = record(s, q->ev[EV_JOIN], st, capturing))) return r;
    }
    return CK(cudaMemcpyAsync(q->hres, c->dres, c->res_bytes * nb, cudaMemcpyDeviceToHost, st));
}

/* VRT_CUDA_GRAPHS=0 (core/options.h) turns graphs off where params.graphs
 * left them on (the default). */
static int env_graphs_off(void) {
    return vrt__env_flag(VRT__ENV_CUDA_GRAPHS) == 0;
}

static vrt_status capture_slot(vrt_session_t *s, int i) {
    cstate *c = s->impl;
    cslot *q = &c->sl[i];
    vrt_status r;
    if ((r = CK(cudaStreamBeginCapture(c->stream, cudaStreamCaptureModeThreadLocal)))) return r;
    vrt_status er = path_enqueue(s, i, 1);
    cudaGraph_t g = NULL;
    vrt_status cr = CK(cudaStreamEndCapture(c->stream, &g));
    if (er || cr) {
        if (g) cudaGraphDestroy(g);
        cudaGetLastError();
        return er ? er : cr;
    }
    q->graph = g;
    return CK(cudaGraphInstantiate(&q->exec, g, 0));
}

/* The cascade's device buffers; its classifier's tensors must be the batch of crops. */
static vrt_status open_cascade(vrt_session_t *s) {
    cstate *c = s->impl;
    const vrt__cascade *k = s->cascade;
    const size_t nb = (size_t)k->rule.max_batch;
    size_t ib = 0, ob = 0;
    c->cin = vrt__engine_device_input(k->eng, 0, &ib);
    c->cout = vrt__engine_device_output(k->eng, 0, &ob);
    if (!c->cin || !c->cout || ib != k->in_bytes * nb || ob != (size_t)k->num_classes * sizeof(float) * nb)
        return vrt__session_fail(
            s, VRT_EINVAL,
            "cascade model %s: CUDA tensors of %zu / %zu bytes; the cascade wants %zu / %zu "
            "(fp32, batch %zu)",
            k->model, ib, ob, k->in_bytes * nb, (size_t)k->num_classes * sizeof(float) * nb, nb);
    vrt_status r;
    if ((r = CK(cudaMalloc((void **)&c->cboxes, nb * sizeof(vrt_box))))) return r;
    return CK(cudaMalloc((void **)&c->ccls, nb * sizeof(vrt_class_result)));
}

/* The second model's stream, device tensors, head and fork/join events. */
static vrt_status open_parallel(vrt_session_t *s) {
    cstate *c = s->impl;
    const vrt__parallel *m = s->parallel;
    size_t ib = 0, ob = 0;
    c->pstream = (cudaStream_t)vrt__engine_stream(m->eng);
    c->pdin = vrt__engine_device_input(m->eng, 0, &ib);
    if (!c->pstream || !c->pdin || ib != m->in_bytes)
        return vrt__session_fail(s, VRT_EINVAL, "second model %s: CUDA input of %zu bytes; want %zu fp32",
                                 m->model, ib, m->in_bytes);
    for (int j = 0; j < m->hp.num_outputs; j++) {
        const size_t want = m->hp.out_counts[j] * sizeof(float);
        c->pdout[j] = vrt__engine_device_output(m->eng, m->hp.outputs[j], &ob);
        if (!c->pdout[j] || ob != want)
            return vrt__session_fail(s, VRT_EINVAL, "second model %s: CUDA output %d has %zu bytes; want %zu",
                                     m->model, m->hp.outputs[j], ob, want);
    }
    if (!m->head->cuda)
        return vrt__session_fail(s, VRT_EUNSUPPORTED,
                                 "second profile '%s': task '%s' has no CUDA head; use the cpu backend",
                                 m->prof.name, m->head->task);
    vrt_status r;
    char e[400] = "";
    if ((r = m->head->cuda->create(&m->hp, &c->phead, e, sizeof(e))))
        return vrt__session_fail(s, r, "second profile '%s': %s", m->prof.name, e);
    if ((r = CK(cudaEventCreateWithFlags(&c->fork, cudaEventDisableTiming)))) return r;
    return CK(cudaEventCreateWithFlags(&c->join, cudaEventDisableTiming));
}

/* params.overlay: the overlay's device tables, the device picture, the pictures' stream and events,
 * made now. */
static vrt_status open_pictures(vrt_session_t *s) {
    cstate *c = s->impl;
    char e[400] = "";
    vrt_status r = vrt_cuda_overlay_init(s->ov, e, sizeof(e));
    if (r) return vrt__session_fail(s, r, "overlay: %s", e);
    if ((r = CK(cudaMalloc((void **)&c->dpic, vrt_frame_size_for(VRT_FMT_RGB24, s->p.width, s->p.height)))))
        return r;
    if ((r = CK(cudaStreamCreateWithFlags(&c->pic_stream, cudaStreamNonBlocking)))) return r;
    for (int k = 0; k < N_PIC && !r; k++)
        r = CK(cudaEventCreateWithFlags(&c->pic_done[k], cudaEventDisableTiming));
    return r;
}

/* The engine's stream and device tensors, the head's device state, the device result. */
static vrt_status open_device(vrt_session_t *s) {
    cstate *c = s->impl;
    size_t ib = 0, ob = 0;
    const size_t nb = (size_t)s->batch;
    c->stream = (cudaStream_t)vrt__engine_stream(s->eng);
    c->din = vrt__engine_device_input(s->eng, 0, &ib);
    if (!c->stream || !c->din || ib != s->in_bytes * nb)
        return vrt__session_fail(s, VRT_EINVAL,
                                 "CUDA backend tensors do not match the session (batch %d): input %zu bytes "
                                 "(want %zu fp32)",
                                 s->batch, ib, s->in_bytes * nb);
    for (int j = 0; j < s->hp.num_outputs; j++) {
        const size_t want_out = s->hp.out_counts[j] * sizeof(float) * nb;
        c->dout[j] = vrt__engine_device_output(s->eng, s->hp.outputs[j], &ob);
        if (!c->dout[j] || ob != want_out)
            return vrt__session_fail(
                s, VRT_EINVAL, "CUDA backend output %d has %zu bytes; the session wants %zu (fp32, batch %d)",
                s->hp.outputs[j], ob, want_out, s->batch);
    }
    if (!s->head->cuda)
        return vrt__session_fail(s, VRT_EUNSUPPORTED, "task '%s' has no CUDA head; use the cpu backend",
                                 s->head->task);
    vrt_status r;
    char e[400] = "";
    if ((r = s->head->cuda->create(&s->hp, &c->head, e, sizeof(e))))
        return vrt__session_fail(s, r, "profile '%s': %s", s->prof.name, e);
    c->res_bytes = s->res_stride;
    if ((r = CK(cudaMalloc(&c->dres, c->res_bytes * nb)))) return r;
    if (s->prof.guided.radius > 0) {
        if ((r = CK(cudaMalloc((void **)&c->dgf_rgb,
                               vrt_frame_size_for(VRT_FMT_RGB24, s->p.width, s->p.height)))))
            return r;
    }
    if ((r = CK(cudaMemsetAsync(c->dres, 0, c->res_bytes * nb, c->stream)))) return r;
    if (s->ov && (r = open_pictures(s))) return r;
    if (s->parallel && (r = open_parallel(s))) return r;
    return s->cascade ? open_cascade(s) : VRT_OK;
}

/* The caller's buffer of slot i, registered, or staged through page-locked memory. */
static vrt_status bind_buffer(vrt_session_t *s, int i) {
    cslot *q = &((cstate *)s->impl)->sl[i];
    vrt__session_slot *sl = &s->slot[i];
    sl->buf = sl->up = s->p.buffers[i];
    cudaError_t ce = cudaHostRegister(sl->buf, s->slot_bytes, cudaHostRegisterDefault);
    if (ce == cudaSuccess) {
        q->registered = 1;
        return VRT_OK;
    }
    cudaGetLastError();
    vrt_log(
        VRT_LOG_WARN, "session",
        "slot %d: cudaHostRegister of the caller's buffer (%zu bytes) failed (%s); copying each frame into "
        "page-locked staging instead (bind page-locked or plain malloc'ed buffers to avoid the copy)",
        i, s->slot_bytes, cudaGetErrorString(ce));
    const size_t n = s->frame_bytes * (size_t)s->batch;
    vrt_status r = CK(cudaHostAlloc((void **)&q->stage, n, cudaHostAllocDefault));
    if (r) return r;
    memset(q->stage, 0, n);
    sl->up = q->stage;
    return VRT_OK;
}

/* Host and device buffers, result storage and events of slot i. */
static vrt_status open_slot(vrt_session_t *s, int i) {
    cstate *c = s->impl;
    cslot *q = &c->sl[i];
    vrt__session_slot *sl = &s->slot[i];
    const size_t nb = (size_t)s->batch;
    vrt_status r;
    if (s->p.buffers) {
        if ((r = bind_buffer(s, i))) return r;
    } else {
        if ((r = CK(cudaHostAlloc((void **)&q->own, s->slot_bytes, cudaHostAllocDefault)))) return r;
        memset(q->own, 0, s->slot_bytes);
        sl->buf = sl->up = q->own;
    }
    if ((r = CK(cudaMalloc((void **)&q->dframe, s->frame_bytes * nb)))) return r;
    if ((r = CK(cudaHostAlloc(&q->hres, c->res_bytes * nb, cudaHostAllocDefault)))) return r;
    memset(q->hres, 0, c->res_bytes * nb);
    vrt__session_bind_results(s, i, q->hres);
    for (int k = 0; k < NEV; k++) {
        unsigned fl = s->p.timings || k == 0 || k == EV_LAST ? cudaEventDefault : cudaEventDisableTiming;
        if ((r = CK(cudaEventCreateWithFlags(&q->ev[k], fl)))) return r;
    }
    for (int k = 0; s->parallel && s->p.timings && k < 4; k++)
        if ((r = CK(cudaEventCreateWithFlags(&q->pev[k], cudaEventDefault)))) return r;
    if (s->ov && (r = CK(cudaEventCreateWithFlags(&q->drawn, cudaEventDisableTiming)))) return r;
    return VRT_OK;
}

static void drop_graphs(cstate *c) {
    for (int i = 0; i < VRT_SESSION_MAX_SLOTS; i++) {
        cslot *q = &c->sl[i];
        if (q->exec && !q->borrowed) cudaGraphExecDestroy(q->exec);
        if (q->graph) cudaGraphDestroy(q->graph);
        q->exec = NULL;
        q->graph = NULL;
        q->borrowed = 0;
    }
}

/* One graph per slot; a capture failure falls back to eager enqueue with a warning. */
static vrt_status make_graphs(vrt_session_t *s) {
    cstate *c = s->impl;
    vrt_status r = VRT_OK;
    s->graphs = 0;
    if (!s->p.graphs || env_graphs_off()) return VRT_OK;
    for (int i = 0; i < s->p.slots && !r; i++)
        r = capture_slot(s, i);
    if (r) {
        vrt_log(VRT_LOG_WARN, "session", "CUDA graph capture failed, running without graphs: %s", s->err);
        drop_graphs(c);
        cudaGetLastError();
        s->err[0] = 0;
        return VRT_OK;
    }
    s->graphs = 1;
    /* Upload once so the first submit does not pay for it. */
    for (int i = 0; i < s->p.slots; i++)
        if ((r = CK(cudaGraphUpload(c->sl[i].exec, c->stream)))) return r;
    return CK(cudaStreamSynchronize(c->stream));
}

static vrt_status cuda_open(vrt_session_t *s) {
    cstate *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    s->impl = c;
    vrt_status r = use_device(s);
    if (!r) r = open_device(s);
    for (int i = 0; i < s->p.slots && !r; i++)
        r = open_slot(s, i);
    if (r) return r;
    s->registered = s->p.buffers != NULL;
    for (int i = 0; i < s->p.slots; i++)
        s->registered &= c->sl[i].registered;
    /* Warm-up: every slot once, eagerly (lazy module loading, first-use costs). */
    for (int i = 0; i < s->p.slots; i++)
        if ((r = path_enqueue(s, i, 0))) return r;
    if ((r = CK(cudaStreamSynchronize(c->stream)))) return r;
    return make_graphs(s);
}

static void cuda_close(vrt_session_t *s) {
    cstate *c = s->impl;
    if (!c) return;
    use_device(s);
    if (c->stream) cudaStreamSynchronize(c->stream);
    if (c->pstream) cudaStreamSynchronize(c->pstream);
    if (c->pic_stream) cudaStreamSynchronize(c->pic_stream);
    drop_graphs(c);
    for (int i = 0; i < VRT_SESSION_MAX_SLOTS; i++) {
        cslot *q = &c->sl[i];
        for (int k = 0; k < NEV; k++)
            if (q->ev[k]) cudaEventDestroy(q->ev[k]);
        for (int k = 0; k < 4; k++)
            if (q->pev[k]) cudaEventDestroy(q->pev[k]);
        if (q->drawn) cudaEventDestroy(q->drawn);
        if (q->hres) cudaFreeHost(q->hres);
        if (q->dframe) cudaFree(q->dframe);
        if (q->stage) cudaFreeHost(q->stage);
        if (q->own) cudaFreeHost(q->own);
        if (q->registered) cudaHostUnregister(s->slot[i].buf);
    }
    if (c->dres) cudaFree(c->dres);
    if (c->cboxes) cudaFree(c->cboxes);
    if (c->ccls) cudaFree(c->ccls);
    if (c->dgf_rgb) cudaFree(c->dgf_rgb);
    if (c->dpic) cudaFree(c->dpic);
    for (int k = 0; k < N_PIC; k++)
        if (c->pic_done[k]) cudaEventDestroy(c->pic_done[k]);
    if (c->pic_stream) cudaStreamDestroy(c->pic_stream);
    if (c->head && s->head->cuda->destroy) s->head->cuda->destroy(&c->head);
    if (c->phead && s->parallel->head->cuda->destroy) s->parallel->head->cuda->destroy(&c->phead);
    if (c->fork) cudaEventDestroy(c->fork);
    if (c->join) cudaEventDestroy(c->join);
    cudaGetLastError();
    vrt_free(c);
    s->impl = NULL;
}

static vrt_status cuda_submit(vrt_session_t *s, int slot) {
    cstate *c = s->impl;
    cslot *q = &c->sl[slot];
    vrt_status r;
    if ((r = use_device(s))) return r;
    /* The upload overwrites the slot's device frame: not before the last picture drawn from it has
     * read it (a wait on the GPU; the drawing was enqueued long before in a real-time loop). */
    if (q->draw_pending) {
        if ((r = CK(cudaStreamWaitEvent(c->stream, q->drawn, 0)))) return r;
        q->draw_pending = 0;
    }
    if ((r = CK(cudaEventRecord(q->ev[0], c->stream)))) return r;
    if (q->exec) {
        if ((r = CK(cudaGraphLaunch(q->exec, c->stream)))) return r;
    } else if ((r = path_enqueue(s, slot, 0))) {
        return r;
    }
    return CK(cudaEventRecord(q->ev[EV_LAST], c->stream));
}

/* ns between two events. Both are complete once the slot's last event is,
 * except when a graph shared between slots (the tests' deliberate bug)
 * re-recorded them in a later replay: wait for that instead of asking too
 * early (an API error under compute-sanitizer). Returns at once on the
 * normal path. */
static int64_t elapsed_ns(cudaEvent_t a, cudaEvent_t b) {
    float ms = 0;
    if (cudaEventSynchronize(a) != cudaSuccess || cudaEventSynchronize(b) != cudaSuccess ||
        cudaEventElapsedTime(&ms, a, b) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return (int64_t)((double)ms * 1e6);
}

static vrt_status cuda_collect(vrt_session_t *s, int slot, int block) {
    cstate *c = s->impl;
    cslot *q = &c->sl[slot];
    vrt_status r;
    if (block) {
        if ((r = CK(cudaEventSynchronize(q->ev[EV_LAST])))) return r;
    } else {
        cudaError_t e = cudaEventQuery(q->ev[EV_LAST]);
        if (e == cudaErrorNotReady) return VRT_EAGAIN;
        if ((r = CK(e))) return r;
    }
    int64_t *t = s->slot[slot].times;
    /* A borrowed graph (tests' deliberate bug) never records this slot's stage events. */
    if (s->p.timings && !q->borrowed) {
        for (int k = 0; k < 4; k++) /* VRT_TIME_UPLOAD .. VRT_TIME_POSTPROCESS */
            t[VRT_TIME_UPLOAD + k] = elapsed_ns(q->ev[k], q->ev[k + 1]);
        int before_download = s->cascade ? EV_CASCADE : 4;
        if (s->cascade) t[VRT_TIME_SECONDARY] = elapsed_ns(q->ev[4], q->ev[EV_CASCADE]);
        if (s->parallel) {
            int64_t *pt = s->slot[slot].ptimes;
            for (int k = 0; k < 3; k++)
                pt[k] = elapsed_ns(q->pev[k], q->pev[k + 1]);
            t[VRT_TIME_PARALLEL] = elapsed_ns(q->pev[0], q->pev[3]);
            t[VRT_TIME_JOIN] = elapsed_ns(q->ev[before_download], q->ev[EV_JOIN]);
            before_download = EV_JOIN;
        }
        t[VRT_TIME_DOWNLOAD] = elapsed_ns(q->ev[before_download], q->ev[EV_LAST]);
    }
    t[VRT_TIME_TOTAL] = elapsed_ns(q->ev[0], q->ev[EV_LAST]);
    return VRT_OK;
}

/* vrt_session_render_start on the GPU, on the pictures' stream behind the slot's completion event
 * (the upload its graph made, the result the host already has): the overlay kernel reads batch
 * position k's part of the slot's device frames and that position's result (the draw list is
 * planned on the host from it and staged by vrt_cuda_overlay_render), writes the device picture;
 * `drawn` tells the slot's next submission that the frame was read; one 2D copy brings the
 * picture into dst (asynchronous when dst is page-locked), then pic_done[ticket % N_PIC]. The
 * frame path's stream never waits for the download, and the processing thread does not either:
 * only vrt_session_render_wait does. Pictures follow each other on their stream, so the device
 * picture and the overlay's staging are reused in order. */
static vrt_status cuda_render_start(vrt_session_t *s, int slot, int k, const vrt_overlay_info *info,
                                    vrt_frame *dst, uint64_t ticket) {
    cstate *c = s->impl;
    cslot *q = &c->sl[slot];
    vrt_frame src, pic;
    memset(&src, 0, sizeof(src));
    memset(&pic, 0, sizeof(pic));
    vrt_status r =
        vrt_frame_layout(&src, s->p.fourcc, s->p.width, s->p.height, q->dframe + (size_t)k * s->frame_bytes);
    if (!r) r = vrt_frame_layout(&pic, VRT_FMT_RGB24, s->p.width, s->p.height, c->dpic);
    if (!r) r = use_device(s);
    if (r) return r;
    src.bytesused = s->frame_bytes;
    src.memory = pic.memory = VRT_MEM_DEVICE;
    if ((r = CK(cudaStreamWaitEvent(c->pic_stream, q->ev[EV_LAST], 0)))) return r;
    char e[256] = "";
    if ((r = vrt_cuda_overlay_render(s->ov, &src, &pic, &s->slot[slot].res[k], info, c->pic_stream, e,
                                     sizeof(e))))
        return sfail(s, r, "render", e);
    if ((r = CK(cudaEventRecord(q->drawn, c->pic_stream)))) return r;
    q->draw_pending = 1;
    const size_t row = (size_t)s->p.width * 3;
    if ((r = CK(cudaMemcpy2DAsync(dst->planes[0].data, dst->planes[0].stride, c->dpic, row, row, s->p.height,
                                  cudaMemcpyDeviceToHost, c->pic_stream))))
        return r;
    return CK(cudaEventRecord(c->pic_done[ticket % N_PIC], c->pic_stream));
}

/* Any thread: cudaEventSynchronize needs no current device, and no session state is written. */
static vrt_status cuda_render_wait(vrt_session_t *s, uint64_t ticket) {
    cstate *c = s->impl;
    if (cudaEventSynchronize(c->pic_done[ticket % N_PIC]) == cudaSuccess) return VRT_OK;
    return VRT_EDEVICE;
}

/* vrt_session_host_register / _unregister. */
static vrt_status cuda_host_register(vrt_session_t *s, void *p, size_t n, int on) {
    vrt_status r = use_device(s);
    if (r) return r;
    if (!on) {
        cudaError_t e = cudaHostUnregister(p);
        if (e != cudaSuccess) cudaGetLastError(); /* never registered: nothing to release */
        return VRT_OK;
    }
    return CK(cudaHostRegister(p, n, cudaHostRegisterPortable));
}

static void *cuda_event(vrt_session_t *s, int slot) {
    cstate *c = s->impl;
    return c ? (void *)c->sl[slot].ev[EV_LAST] : NULL;
}

static vrt_status cuda_share_graph(vrt_session_t *s) {
    if (!s->graphs) return VRT_ENOTSUP;
    cstate *c = s->impl;
    for (int i = 1; i < s->p.slots; i++) {
        cslot *q = &c->sl[i];
        if (q->exec && !q->borrowed) cudaGraphExecDestroy(q->exec);
        q->exec = c->sl[0].exec;
        q->borrowed = 1;
    }
    return VRT_OK;
}

static void *cuda_device_results(vrt_session_t *s) {
    return ((cstate *)s->impl)->dres;
}

const vrt__session_ops vrt__session_cuda = {
    .name = "cuda",
    .pinned = 1,
    .open = cuda_open,
    .close = cuda_close,
    .submit = cuda_submit,
    .collect = cuda_collect,
    .event = cuda_event,
    .device_results = cuda_device_results,
    .render_start = cuda_render_start,
    .render_wait = cuda_render_wait,
    .host_register = cuda_host_register,
    .share_graph = cuda_share_graph,
};
