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
 * model's input tensor -> vrt__cuda_backend_enqueue (the model's steps,
 * without the backend's own graph) -> vrt_cuda_topk / vrt_cuda_detector_run
 * -> D2H of the result struct.
 *
 * Batch B > 1 (cross-camera batching): the slot holds B frames back to back
 * (host and device), so the upload is ONE copy of B * frame_bytes (the B
 * per-frame copies merged: both sides are contiguous); then B
 * pre-processing launches, each into its slice [k * in_bytes) of the
 * model's batch-B input; the model once; top-k over B rows in one launch
 * (classify) or B decode + NMS launches (detect, each on its slice of the
 * output, all with the one workspace: they run one after the other on the
 * stream) into B result structs; ONE D2H of the B structs. The whole path
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

#include "engine/backend.h"
#include "engine/backend/cuda/cuda_common.h"
#include "pipeline/session_impl.h"
#include "vrt/vision_cuda.h"

#define CK(call) VRT_CUDA_CHECK(s->err, sizeof(s->err), call)
#define NEV 6

typedef struct cslot {
    uint8_t *own;    /* cudaHostAlloc'ed slot buffer (own buffers) */
    uint8_t *stage;  /* page-locked staging when a bound buffer could not be registered */
    int registered;  /* bound buffer registered with cudaHostRegister */
    uint8_t *dframe; /* device frame */
    void *hres;      /* page-locked result (vrt_class_result or vrt_detections) */
    cudaEvent_t ev[NEV];
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    int borrowed; /* exec belongs to another slot (debug_share_graph) */
} cslot;

typedef struct cstate {
    void *bctx;
    cudaStream_t stream;
    float *din;        /* model input (backend's buffer) */
    const float *dout; /* model output 0 (backend's buffer) */
    void *dres;        /* device result */
    size_t res_bytes;
    vrt_cuda_detector_t *det;
    void *ws;
    size_t ws_bytes;
    cslot sl[VRT_SESSION_MAX_SLOTS];
} cstate;

static vrt_status sfail(vrt_session_t *s, vrt_status st, const char *what, const char *detail) {
    snprintf(s->err, sizeof(s->err), "%s: %s", what, detail);
    return st;
}

static vrt_status record(vrt_session_t *s, cudaEvent_t ev, cudaStream_t st, int capturing) {
    return CK(cudaEventRecordWithFlags(ev, st, capturing ? cudaEventRecordExternal : cudaEventRecordDefault));
}

/* Everything between ev[0] and ev[5] for one slot. */
static vrt_status path_enqueue(vrt_session_t *s, int i, int capturing) {
    cstate *c = s->cu;
    cslot *q = &c->sl[i];
    cudaStream_t st = c->stream;
    int tm = s->p.timings;
    const int nb = s->batch;
    vrt_status r;
    const uint8_t *src = s->slot[i].up;
    if ((r = CK(cudaMemcpyAsync(q->dframe, src, s->frame_bytes * (size_t)nb, cudaMemcpyHostToDevice, st))))
        return r;
    if (tm && (r = record(s, q->ev[1], st, capturing))) return r;
    char e[256] = "";
    for (int k = 0; k < nb; k++) {
        vrt_frame f;
        memset(&f, 0, sizeof(f));
        if ((r = vrt_frame_layout(&f, s->p.fourcc, s->p.width, s->p.height,
                                  q->dframe + (size_t)k * s->frame_bytes)))
            return r;
        f.bytesused = s->frame_bytes;
        f.memory = VRT_MEM_DEVICE;
        if ((r = vrt_cuda_preprocess_frame(&f, &s->pre, (uint8_t *)c->din + (size_t)k * s->in_bytes,
                                           s->in_bytes, NULL, st, e, sizeof(e)))) {
            if (nb > 1) {
                char w[300];
                snprintf(w, sizeof(w), "preprocess (batch position %d)", k);
                return sfail(s, r, w, e);
            }
            return sfail(s, r, "preprocess", e);
        }
    }
    if (tm && (r = record(s, q->ev[2], st, capturing))) return r;
    if ((r = vrt__cuda_backend_enqueue(c->bctx, st))) {
        const vrt__backend_iface *be = vrt__engine_backend(s->eng);
        return sfail(s, r, "model", be->last_error(c->bctx));
    }
    if (tm && (r = record(s, q->ev[3], st, capturing))) return r;
    if (s->prof.task == VRT_TASK_CLASSIFY) {
        /* One row per batch position: rows = B. */
        if ((r = vrt_cuda_topk(c->dout, VRT_TENSOR_F32, nb, (int)s->out_count, s->prof.topk, s->prof.softmax,
                               c->dres, st, e, sizeof(e))))
            return sfail(s, r, "top-k", e);
    } else {
        for (int k = 0; k < nb; k++)
            if ((r = vrt_cuda_detector_run(c->det, c->dout + (size_t)k * s->out_count, s->out_count, &s->geom,
                                           c->ws, c->ws_bytes, (vrt_detections *)c->dres + k, st)))
                return sfail(s, r, nb > 1 ? "detection (batch)" : "detection",
                             vrt_cuda_detector_error(c->det));
    }
    if (tm && (r = record(s, q->ev[4], st, capturing))) return r;
    return CK(cudaMemcpyAsync(q->hres, c->dres, c->res_bytes * (size_t)nb, cudaMemcpyDeviceToHost, st));
}

static int env_graphs_off(void) {
    const char *g = getenv("VRT_CUDA_GRAPHS");
    return g && !strcmp(g, "0");
}

static vrt_status capture_slot(vrt_session_t *s, int i) {
    cstate *c = s->cu;
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

vrt_status vrt__session_cuda_open(vrt_session_t *s) {
    cstate *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    s->cu = c;
    vrt_status r;
    c->bctx = vrt__engine_backend_ctx(s->eng);
    c->stream = (cudaStream_t)vrt__cuda_backend_stream(c->bctx);
    size_t ib = 0, ob = 0;
    const size_t nb = (size_t)s->batch;
    c->din = vrt__cuda_backend_input(c->bctx, 0, &ib);
    c->dout = vrt__cuda_backend_output(c->bctx, 0, &ob);
    if (!c->stream || !c->din || !c->dout || ib != s->in_bytes * nb ||
        ob != s->out_count * sizeof(float) * nb) {
        snprintf(s->err, sizeof(s->err),
                 "CUDA backend tensors do not match the session (batch %d): input %zu bytes (want %zu fp32), "
                 "output %zu bytes (want %zu)",
                 s->batch, ib, s->in_bytes * nb, ob, s->out_count * sizeof(float) * nb);
        return VRT_EINVAL;
    }
    /* Device-side post-processing state. */
    if (s->prof.task == VRT_TASK_CLASSIFY) {
        if (s->prof.topk > VRT_CUDA_TOPK_MAX) {
            snprintf(s->err, sizeof(s->err), "profile '%s': topk = %d; the CUDA session reports at most %d",
                     s->prof.name, s->prof.topk, VRT_CUDA_TOPK_MAX);
            return VRT_EINVAL;
        }
        c->res_bytes = sizeof(vrt_class_result);
    } else {
        char e[256] = "";
        if ((r = vrt_cuda_detector_create(&c->det, &s->det, e, sizeof(e)))) return sfail(s, r, "detector", e);
        size_t per = (size_t)(s->num_classes + (s->det.kind == VRT_DETECT_YOLOX ? 5 : 4));
        if ((size_t)vrt_cuda_detector_num_anchors(c->det) * per != s->out_count) {
            snprintf(s->err, sizeof(s->err),
                     "detection output has %zu values; the profile's strides give %d anchors of %d classes",
                     s->out_count, vrt_cuda_detector_num_anchors(c->det), s->num_classes);
            return VRT_EINVAL;
        }
        c->ws_bytes = vrt_cuda_detector_workspace_size(c->det);
        if ((r = CK(cudaMalloc(&c->ws, c->ws_bytes ? c->ws_bytes : 256)))) return r;
        c->res_bytes = sizeof(vrt_detections);
    }
    if ((r = CK(cudaMalloc(&c->dres, c->res_bytes * nb))) ||
        (r = CK(cudaMemsetAsync(c->dres, 0, c->res_bytes * nb, c->stream))))
        return r;
    /* Slots. */
    for (int i = 0; i < s->p.slots; i++) {
        cslot *q = &c->sl[i];
        vrt__session_slot *sl = &s->slot[i];
        if (!s->p.buffers) {
            if ((r = CK(cudaHostAlloc((void **)&q->own, s->slot_bytes, cudaHostAllocDefault)))) return r;
            memset(q->own, 0, s->slot_bytes);
            sl->buf = sl->up = q->own;
        } else {
            sl->buf = sl->up = s->p.buffers[i];
            cudaError_t ce = cudaHostRegister(sl->buf, s->slot_bytes, cudaHostRegisterDefault);
            if (ce == cudaSuccess) {
                q->registered = 1;
            } else {
                cudaGetLastError();
                vrt_log(VRT_LOG_WARN, "session",
                        "slot %d: cudaHostRegister of the caller's buffer (%zu bytes) failed (%s); copying "
                        "each frame into "
                        "page-locked staging instead (bind page-locked or plain malloc'ed buffers to avoid "
                        "the copy)",
                        i, s->slot_bytes, cudaGetErrorString(ce));
                if ((r = CK(cudaHostAlloc((void **)&q->stage, s->frame_bytes * nb, cudaHostAllocDefault))))
                    return r;
                memset(q->stage, 0, s->frame_bytes * nb);
                sl->up = q->stage;
            }
        }
        if ((r = CK(cudaMalloc((void **)&q->dframe, s->frame_bytes * nb)))) return r;
        if ((r = CK(cudaHostAlloc(&q->hres, c->res_bytes * nb, cudaHostAllocDefault)))) return r;
        memset(q->hres, 0, c->res_bytes * nb);
        for (int k = 0; k < NEV; k++) {
            unsigned fl = s->p.timings || k == 0 || k == NEV - 1 ? cudaEventDefault : cudaEventDisableTiming;
            if ((r = CK(cudaEventCreateWithFlags(&q->ev[k], fl)))) return r;
        }
    }
    s->registered = s->p.buffers != NULL;
    for (int i = 0; i < s->p.slots; i++)
        s->registered &= c->sl[i].registered;
    /* Warm-up: every slot once, eagerly (lazy module loading, first-use costs). */
    for (int i = 0; i < s->p.slots; i++)
        if ((r = path_enqueue(s, i, 0))) return r;
    if ((r = CK(cudaStreamSynchronize(c->stream)))) return r;
    /* One graph per slot. */
    s->graphs = 0;
    if (s->p.graphs && !env_graphs_off()) {
        vrt_status gr = VRT_OK;
        for (int i = 0; i < s->p.slots && !gr; i++)
            gr = capture_slot(s, i);
        if (gr) {
            vrt_log(VRT_LOG_WARN, "session", "CUDA graph capture failed, running without graphs: %s", s->err);
            for (int i = 0; i < s->p.slots; i++) {
                if (c->sl[i].exec) cudaGraphExecDestroy(c->sl[i].exec);
                if (c->sl[i].graph) cudaGraphDestroy(c->sl[i].graph);
                c->sl[i].exec = NULL;
                c->sl[i].graph = NULL;
            }
            cudaGetLastError();
            s->err[0] = 0;
        } else {
            s->graphs = 1;
            /* Upload once so the first submit does not pay for it. */
            for (int i = 0; i < s->p.slots; i++)
                if ((r = CK(cudaGraphUpload(c->sl[i].exec, c->stream)))) return r;
            if ((r = CK(cudaStreamSynchronize(c->stream)))) return r;
        }
    }
    return VRT_OK;
}

void vrt__session_cuda_close(vrt_session_t *s) {
    cstate *c = s->cu;
    if (!c) return;
    if (c->stream) cudaStreamSynchronize(c->stream);
    for (int i = 0; i < VRT_SESSION_MAX_SLOTS; i++) {
        cslot *q = &c->sl[i];
        if (q->exec && !q->borrowed) cudaGraphExecDestroy(q->exec);
        if (q->graph) cudaGraphDestroy(q->graph);
        for (int k = 0; k < NEV; k++)
            if (q->ev[k]) cudaEventDestroy(q->ev[k]);
        if (q->hres) cudaFreeHost(q->hres);
        if (q->dframe) cudaFree(q->dframe);
        if (q->stage) cudaFreeHost(q->stage);
        if (q->own) cudaFreeHost(q->own);
        if (q->registered) cudaHostUnregister(s->slot[i].buf);
    }
    if (c->dres) cudaFree(c->dres);
    if (c->ws) cudaFree(c->ws);
    vrt_cuda_detector_destroy(&c->det);
    cudaGetLastError();
    vrt_free(c);
    s->cu = NULL;
}

vrt_status vrt__session_cuda_submit(vrt_session_t *s, int slot) {
    cstate *c = s->cu;
    cslot *q = &c->sl[slot];
    vrt_status r;
    if ((r = CK(cudaEventRecord(q->ev[0], c->stream)))) return r;
    if (q->exec) {
        if ((r = CK(cudaGraphLaunch(q->exec, c->stream)))) return r;
    } else if ((r = path_enqueue(s, slot, 0))) {
        return r;
    }
    return CK(cudaEventRecord(q->ev[NEV - 1], c->stream));
}

/* Both events are complete once the slot's last event is, except when a
 * graph shared between slots (the tests' deliberate bug) re-recorded them
 * in a later replay: wait for that instead of asking too early (an API
 * error under compute-sanitizer). Returns at once on the normal path. */
static float elapsed(cudaEvent_t a, cudaEvent_t b) {
    float ms = 0;
    if (cudaEventSynchronize(a) != cudaSuccess || cudaEventSynchronize(b) != cudaSuccess ||
        cudaEventElapsedTime(&ms, a, b) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return ms;
}

vrt_status vrt__session_cuda_collect(vrt_session_t *s, int slot, int block, vrt_session_result *res) {
    cstate *c = s->cu;
    cslot *q = &c->sl[slot];
    vrt_status r;
    if (block) {
        if ((r = CK(cudaEventSynchronize(q->ev[NEV - 1])))) return r;
    } else {
        cudaError_t e = cudaEventQuery(q->ev[NEV - 1]);
        if (e == cudaErrorNotReady) return VRT_EAGAIN;
        if ((r = CK(e))) return r;
    }
    vrt__session_cuda_item(s, slot, 0, res);
    memset(&res->t, 0, sizeof(res->t));
    /* A borrowed graph (tests' deliberate bug) never records this slot's stage events. */
    if (s->p.timings && !q->borrowed) {
        res->t.upload_ms = elapsed(q->ev[0], q->ev[1]);
        res->t.preprocess_ms = elapsed(q->ev[1], q->ev[2]);
        res->t.model_ms = elapsed(q->ev[2], q->ev[3]);
        res->t.postprocess_ms = elapsed(q->ev[3], q->ev[4]);
        res->t.download_ms = elapsed(q->ev[4], q->ev[5]);
    }
    res->t.gpu_ms = elapsed(q->ev[0], q->ev[NEV - 1]);
    return VRT_OK;
}

void vrt__session_cuda_item(vrt_session_t *s, int slot, int k, vrt_session_result *res) {
    cstate *c = s->cu;
    const uint8_t *h = (const uint8_t *)c->sl[slot].hres + (size_t)k * c->res_bytes;
    if (s->prof.task == VRT_TASK_CLASSIFY) {
        memcpy(&res->cls, h, sizeof(vrt_class_result));
    } else {
        const vrt_detections *d = (const vrt_detections *)h;
        res->det.count = d->count;
        res->det.candidates = d->candidates;
        memcpy(res->det.det, d->det, (size_t)d->count * sizeof(vrt_detection));
    }
}

void *vrt__session_cuda_event(vrt_session_t *s, int slot) {
    cstate *c = s->cu;
    return c ? (void *)c->sl[slot].ev[NEV - 1] : NULL;
}

vrt_status vrt__session_debug_share_graph(vrt_session_t *s) {
    if (!s || !s->cuda || !s->graphs) return VRT_ENOTSUP;
    cstate *c = s->cu;
    for (int i = 1; i < s->p.slots; i++) {
        cslot *q = &c->sl[i];
        if (q->exec && !q->borrowed) cudaGraphExecDestroy(q->exec);
        q->exec = c->sl[0].exec;
        q->borrowed = 1;
    }
    return VRT_OK;
}
