/* Session (vrt/session.h): open, slots, the CPU frame path, results. The
 * CUDA frame path lives in cuda/session_cuda.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/session_impl.h"

void vrt_session_default_params(vrt_session_params *p) {
    memset(p, 0, sizeof(*p));
    p->backend = "cpu";
    p->slots = 2;
    p->graphs = 1;
    p->timings = 1;
    p->fourcc = VRT_FMT_YUYV;
    p->width = 640;
    p->height = 480;
    p->batch = 1;
}

static vrt_status fail(vrt_session_t *s, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static vrt_status fail(vrt_session_t *s, vrt_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return st;
}

static int64_t numel(const vrt_model_tensor_info *ti) {
    int64_t n = 1;
    for (int i = 0; i < ti->ndim; i++)
        n *= ti->dims[i] > 0 ? ti->dims[i] : 1;
    return n;
}

/* Shapes, classes, detector params from the model and the profile. */
static vrt_status check_model(vrt_session_t *s) {
    const vrt_profile *pr = &s->prof;
    if (vrt_engine_num_inputs(s->eng) != 1)
        return fail(s, VRT_EUNSUPPORTED,
                    "model has %d inputs; a session feeds models with exactly one image input",
                    vrt_engine_num_inputs(s->eng));
    vrt_model_tensor_info in, out;
    vrt_engine_input_info(s->eng, 0, &in);
    if (pr->input[0] && strcmp(pr->input, in.name))
        return fail(s, VRT_EINVAL, "profile '%s' names input '%s' but the model's input is '%s'", pr->name,
                    pr->input, in.name);
    int64_t want = 3 * (int64_t)s->pre.width * s->pre.height;
    if (numel(&in) != want * s->batch || (in.ndim == 4 && in.dims[0] != s->batch))
        return fail(
            s, VRT_EINVAL,
            "model input '%s' has %lld elements; profile '%s' makes a %dx3x%ux%u tensor (set width/height "
            "to the model's)",
            in.name, (long long)numel(&in), pr->name, s->batch, s->pre.height, s->pre.width);
    if (in.dtype != VRT_DTYPE_FLOAT && in.dtype != VRT_DTYPE_FLOAT16)
        return fail(s, VRT_EUNSUPPORTED, "model input '%s' is not a float tensor", in.name);
    s->in_bytes = (size_t)want * sizeof(float);
    vrt_engine_output_info(s->eng, 0, &out);
    if (out.dtype != VRT_DTYPE_FLOAT && out.dtype != VRT_DTYPE_FLOAT16)
        return fail(s, VRT_EUNSUPPORTED, "model output '%s' is not a float tensor", out.name);
    if (out.ndim < 1 || (s->batch > 1 && out.dims[0] != s->batch))
        return fail(s, VRT_EUNSUPPORTED,
                    "model output '%s' does not have the batch (%d) as its first dimension", out.name,
                    s->batch);
    s->out_count = (size_t)numel(&out) / (size_t)s->batch;
    if (pr->task == VRT_TASK_CLASSIFY) {
        s->num_classes = (int)s->out_count;
        return VRT_OK;
    }
    s->det = pr->det;
    s->det.kind = pr->task == VRT_TASK_DETECT_YOLOX ? VRT_DETECT_YOLOX : VRT_DETECT_YOLOV8;
    s->det.input_w = s->pre.width;
    s->det.input_h = s->pre.height;
    if (out.ndim != 3)
        return fail(s, VRT_EINVAL,
                    "detection output '%s' has %d dims; expected 3 ([1, N, 5+C] or [1, 4+C, N])", out.name,
                    out.ndim);
    int c = s->det.kind == VRT_DETECT_YOLOX ? (int)out.dims[2] - 5 : (int)out.dims[1] - 4;
    int n = s->det.kind == VRT_DETECT_YOLOX ? (int)out.dims[1] : (int)out.dims[2];
    if (c < 1) return fail(s, VRT_EINVAL, "detection output '%s' has no class scores", out.name);
    if (s->det.num_classes && s->det.num_classes != c)
        return fail(s, VRT_EINVAL, "profile '%s' says num_classes = %d but output '%s' has %d", pr->name,
                    s->det.num_classes, out.name, c);
    s->det.num_classes = c;
    if (s->det.kind == VRT_DETECT_YOLOV8 || !s->det.num_anchors)
        s->det.num_anchors = s->det.kind == VRT_DETECT_YOLOV8 ? n : 0;
    s->num_classes = c;
    return VRT_OK;
}

static vrt_status open_cpu(vrt_session_t *s) {
    s->in_tensor = vrt_malloc(s->in_bytes * (size_t)s->batch);
    s->out_tensor = vrt_malloc(s->out_count * sizeof(float) * (size_t)s->batch);
    if (!s->in_tensor || !s->out_tensor)
        return fail(s, VRT_ENOMEM, "out of memory for the session's tensors");
    if (s->prof.task != VRT_TASK_CLASSIFY) {
        char e[256] = "";
        vrt_status st = vrt_detector_create(&s->detector, &s->det, e, sizeof(e));
        if (st) return fail(s, st, "detector: %s", e);
        if ((size_t)vrt_detector_num_anchors(s->detector) *
                (size_t)(s->num_classes + (s->det.kind == VRT_DETECT_YOLOX ? 5 : 4)) !=
            s->out_count)
            return fail(
                s, VRT_EINVAL,
                "detection output has %zu values; the profile's strides give %d anchors of %d classes",
                s->out_count, vrt_detector_num_anchors(s->detector), s->num_classes);
        s->dets = vrt_calloc((size_t)s->p.slots * (size_t)s->batch, sizeof(vrt_detections));
        if (!s->dets) return fail(s, VRT_ENOMEM, "out of memory for results");
    }
    for (int i = 0; i < s->p.slots; i++) {
        if (s->p.buffers) {
            s->slot[i].buf = s->slot[i].up = s->p.buffers[i];
        } else {
            s->slot[i].buf = s->slot[i].up = vrt_calloc(1, s->slot_bytes);
            if (!s->slot[i].buf)
                return fail(s, VRT_ENOMEM, "out of memory for %d slot buffers of %zu bytes", s->p.slots,
                            s->slot_bytes);
        }
    }
    return VRT_OK;
}

vrt_status vrt_session_open(const char *model_path, const char *profile_path, const vrt_profile *profile,
                            const vrt_session_params *params, vrt_session_t **out, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    vrt_session_params def;
    if (!params) {
        vrt_session_default_params(&def);
        params = &def;
    }
    const char *bname = params->backend ? params->backend : "cpu";
    int cuda = !strcmp(bname, "cuda");
    if (!cuda && strcmp(bname, "cpu")) {
        vrt_errbuf_set(err, cap, "session backend '%s' is unknown; use \"cpu\" or \"cuda\"", bname);
        return VRT_EINVAL;
    }
#if !defined(VRT_HAVE_CUDA)
    if (cuda) {
        vrt_errbuf_set(
            err, cap,
            "session backend 'cuda' is not in this build (configure with the CUDA toolkit); use \"cpu\"");
        return VRT_ENOSYS;
    }
#endif
    int batch = params->batch ? params->batch : 1;
    if (batch < 1 || batch > VRT_SESSION_MAX_BATCH) {
        vrt_errbuf_set(err, cap, "session batch = %d; must be 1..%d", params->batch, VRT_SESSION_MAX_BATCH);
        return VRT_EINVAL;
    }
    if (batch > 1 && params->buffers) {
        vrt_errbuf_set(err, cap,
                       "session batch = %d works with the session's own slot buffers; leave buffers NULL",
                       batch);
        return VRT_EINVAL;
    }
    if (params->share_weights &&
        (params->share_weights->cuda != cuda || params->share_weights->batch != batch)) {
        vrt_errbuf_set(
            err, cap,
            "share_weights: the shared session runs backend %s with batch %d; this one asks for %s with "
            "batch %d (they must match)",
            params->share_weights->p.backend, params->share_weights->batch, cuda ? "cuda" : "cpu", batch);
        return VRT_EINVAL;
    }
    if (params->slots < 1 || params->slots > VRT_SESSION_MAX_SLOTS) {
        vrt_errbuf_set(err, cap, "session slots = %d; must be 1..%d", params->slots, VRT_SESSION_MAX_SLOTS);
        return VRT_EINVAL;
    }
    char nm[8];
    size_t fb = vrt_frame_size_for(params->fourcc, params->width, params->height);
    if (!vrt_fourcc_is_raw(params->fourcc) || !fb) {
        vrt_errbuf_set(
            err, cap,
            "session input %s %ux%u is not usable; raw formats YUYV, UYVY, NV12, RGB24, BGR24, GREY "
            "with even sizes for 4:2:x",
            vrt_fourcc_name(params->fourcc, nm), params->width, params->height);
        return VRT_EINVAL;
    }
    if (params->buffers && params->buffer_size < fb) {
        vrt_errbuf_set(
            err, cap, "bound slot buffers of %zu bytes are smaller than one %s %ux%u frame (%zu bytes)",
            params->buffer_size, vrt_fourcc_name(params->fourcc, nm), params->width, params->height, fb);
        return VRT_EINVAL;
    }
    if (params->buffers)
        for (int i = 0; i < params->slots; i++)
            if (!params->buffers[i]) {
                vrt_errbuf_set(err, cap, "bound slot buffer %d is NULL", i);
                return VRT_EINVAL;
            }
    if (!profile && !profile_path) {
        vrt_errbuf_set(err, cap,
                       "a session needs a profile: a parsed vrt_profile or a profile path (models/*.conf)");
        return VRT_EINVAL;
    }

    vrt_session_t *s = vrt_calloc(1, sizeof(*s));
    if (!s) return VRT_ENOMEM;
    vrt_status st = VRT_OK;
    s->cuda = cuda;
    s->p = *params;
    s->p.backend = cuda ? "cuda" : "cpu";
    s->batch = batch;
    s->p.batch = batch;
    s->frame_bytes = fb;
    s->slot_bytes = params->buffers ? params->buffer_size : fb * (size_t)batch;
    s->own_buffers = !params->buffers;
    if (profile) {
        s->prof = *profile;
    } else if ((st = vrt_profile_load(profile_path, &s->prof, s->err, sizeof(s->err)))) {
        goto out;
    }
    s->pre = s->prof.pre;
    s->pre.dtype = VRT_TENSOR_F32;
    if ((st = vrt_preprocess_geometry_for(&s->pre, params->width, params->height, &s->geom, s->err,
                                          sizeof(s->err))))
        goto out;

    char path[VRT_PROFILE_PATH_MAX];
    if (params->share_weights) {
        model_path = params->share_weights->model; /* the shared session's model */
    } else if (!model_path) {
        if (!s->prof.model[0]) {
            st = fail(s, VRT_EINVAL, "profile '%s' names no model; pass a model path", s->prof.name);
            goto out;
        }
        if ((st = vrt_profile_resolve(&s->prof, s->prof.model, NULL, path, sizeof(path), s->err,
                                      sizeof(s->err))))
            goto out;
        model_path = path;
    }
    snprintf(s->model, sizeof(s->model), "%s", model_path);
    if (s->prof.labels[0]) {
        char lp[VRT_PROFILE_PATH_MAX];
        if ((st = vrt_profile_resolve(&s->prof, s->prof.labels, model_path, lp, sizeof(lp), s->err,
                                      sizeof(s->err))) ||
            (st = vrt_labels_load(lp, &s->labels, s->err, sizeof(s->err))))
            goto out;
    }
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.backend = s->p.backend;
    ep.threads = params->threads;
    ep.batch = batch > 1 ? batch : 0;
    if (params->share_weights)
        st = vrt_engine_open_shared(params->share_weights->eng, &ep, &s->eng, s->err, sizeof(s->err));
    else
        st = vrt_engine_open(model_path, &ep, &s->eng, s->err, sizeof(s->err));
    if (st) goto out;
    if ((st = check_model(s))) goto out;
    if (s->prof.task == VRT_TASK_CLASSIFY && (s->prof.topk < 1 || s->prof.topk > VRT_TOPK_MAX)) {
        st = fail(s, VRT_EINVAL, "profile '%s': topk = %d; must be 1..%d", s->prof.name, s->prof.topk,
                  VRT_TOPK_MAX);
        goto out;
    }
    if (cuda) {
#if defined(VRT_HAVE_CUDA)
        st = vrt__session_cuda_open(s);
#endif
    } else {
        st = open_cpu(s);
    }
out:
    if (st) {
        vrt_errbuf_set(err, cap, "%s", s->err[0] ? s->err : vrt_status_str(st));
        vrt_session_destroy(&s);
        return st;
    }
    s->err[0] = 0;
    *out = s;
    return VRT_OK;
}

void vrt_session_destroy(vrt_session_t **ps) {
    if (!ps || !*ps) return;
    vrt_session_t *s = *ps;
#if defined(VRT_HAVE_CUDA)
    if (s->cuda) vrt__session_cuda_close(s);
#endif
    if (!s->cuda && s->own_buffers)
        for (int i = 0; i < VRT_SESSION_MAX_SLOTS; i++)
            vrt_free(s->slot[i].buf);
    vrt_free(s->in_tensor);
    vrt_free(s->out_tensor);
    vrt_free(s->dets);
    vrt_detector_destroy(&s->detector);
    vrt_engine_destroy(&s->eng);
    vrt_labels_destroy(&s->labels);
    vrt_free(s);
    *ps = NULL;
}

void vrt_session_get_info(const vrt_session_t *s, vrt_session_info *info) {
    if (!info) return;
    memset(info, 0, sizeof(*info));
    if (!s) return;
    info->backend = s->p.backend;
    info->task = s->prof.task;
    info->slots = s->p.slots;
    info->fourcc = s->p.fourcc;
    info->width = s->p.width;
    info->height = s->p.height;
    info->frame_bytes = s->frame_bytes;
    info->slot_bytes = s->slot_bytes;
    info->own_buffers = s->own_buffers;
    info->registered = s->registered;
    info->graphs = s->graphs;
    info->input_w = s->pre.width;
    info->input_h = s->pre.height;
    info->num_classes = s->num_classes;
    info->geom = s->geom;
    info->batch = s->batch;
    vrt_engine_stats es;
    if (vrt_engine_get_stats(s->eng, &es) == VRT_OK) {
        info->weights_shared = es.weights_borrowed;
        info->weight_users = es.weight_users;
        info->weight_bytes = es.weight_bytes;
    }
}

const char *vrt_session_last_error(const vrt_session_t *s) {
    return s ? s->err : "";
}

void *vrt_session_slot_buffer(vrt_session_t *s, int slot, size_t *size) {
    if (size) *size = 0;
    if (!s || slot < 0 || slot >= s->p.slots) return NULL;
    if (size) *size = s->slot_bytes;
    return s->slot[slot].buf;
}

vrt_status vrt_session_slot_frame(vrt_session_t *s, int slot, vrt_frame *f) {
    if (!s || !f) return VRT_EINVAL;
    if (slot < 0 || slot >= s->p.slots)
        return fail(s, VRT_EINVAL, "slot %d does not exist; slots 0..%d", slot, s->p.slots - 1);
    memset(f, 0, sizeof(*f));
    vrt_status st = vrt_frame_layout(f, s->p.fourcc, s->p.width, s->p.height, s->slot[slot].buf);
    if (st) return st;
    f->bytesused = s->frame_bytes;
    f->memory = s->cuda && (s->own_buffers || s->registered) ? VRT_MEM_PINNED : VRT_MEM_HOST;
    f->buffer_index = slot;
    f->pts_ns = -1;
    return VRT_OK;
}

/* Copies a (possibly strided) frame of the session's format into dst, tightly packed. */
static vrt_status copy_frame(vrt_session_t *s, const vrt_frame *src, uint8_t *dst) {
    vrt_frame d;
    memset(&d, 0, sizeof(d));
    vrt_status st = vrt_frame_layout(&d, s->p.fourcc, s->p.width, s->p.height, dst);
    if (st) return st;
    if (src->num_planes != d.num_planes)
        return fail(s, VRT_EINVAL, "frame has %d planes; the session's format has %d", src->num_planes,
                    d.num_planes);
    for (int p = 0; p < d.num_planes; p++) {
        uint32_t rows = d.planes[p].stride ? d.planes[p].size / d.planes[p].stride : 0;
        if (!src->planes[p].data || src->planes[p].stride < d.planes[p].stride)
            return fail(s, VRT_EINVAL, "frame plane %d: stride %u < %u bytes per row", p,
                        src->planes[p].stride, d.planes[p].stride);
        if (src->planes[p].stride == d.planes[p].stride) {
            memcpy(d.planes[p].data, src->planes[p].data, d.planes[p].size);
            continue;
        }
        for (uint32_t y = 0; y < rows; y++)
            memcpy(d.planes[p].data + (size_t)y * d.planes[p].stride,
                   src->planes[p].data + (size_t)y * src->planes[p].stride, d.planes[p].stride);
    }
    return VRT_OK;
}

static float ms_between(int64_t a, int64_t b) {
    return (float)((double)(b - a) / 1e6);
}

static vrt_status submit_cpu(vrt_session_t *s, int slot) {
    vrt__session_slot *sl = &s->slot[slot];
    int64_t t0 = vrt_now_ns();
    char e[256] = "";
    vrt_status st;
    for (int k = 0; k < s->batch; k++) {
        /* Positions past n keep their bytes: pre-processed too (the batch
         * runs whole) but their results are not returned. */
        vrt_frame f;
        memset(&f, 0, sizeof(f));
        if ((st = vrt_frame_layout(&f, s->p.fourcc, s->p.width, s->p.height,
                                   sl->up + (size_t)k * s->frame_bytes)))
            return st;
        f.bytesused = s->frame_bytes;
        if ((st = vrt_preprocess_frame(&f, &s->pre, (uint8_t *)s->in_tensor + (size_t)k * s->in_bytes,
                                       s->in_bytes, NULL, e, sizeof(e))))
            return fail(s, st, "preprocess (batch position %d): %s", k, e);
    }
    int64_t t1 = vrt_now_ns();
    vrt_engine_tensor in = {s->in_tensor, VRT_DTYPE_FLOAT, s->in_bytes * (size_t)s->batch};
    vrt_engine_tensor out = {s->out_tensor, VRT_DTYPE_FLOAT, s->out_count * sizeof(float) * (size_t)s->batch};
    if ((st = vrt_engine_run(s->eng, &in, 1, &out, 1)))
        return fail(s, st, "model: %s", vrt_engine_last_error(s->eng));
    int64_t t2 = vrt_now_ns();
    for (int k = 0; k < sl->n; k++) {
        const float *o = s->out_tensor + (size_t)k * s->out_count;
        int ri = slot * s->batch + k;
        if (s->prof.task == VRT_TASK_CLASSIFY) {
            if ((st = vrt_topk(o, VRT_TENSOR_F32, (int)s->out_count, s->prof.topk, s->prof.softmax,
                               &s->cls[ri])))
                return fail(s, st, "top-k of %zu scores failed", s->out_count);
        } else if ((st = vrt_detector_run(s->detector, o, s->out_count, &s->geom, &s->dets[ri]))) {
            return fail(s, st, "detection: %s", vrt_detector_error(s->detector));
        }
    }
    int64_t t3 = vrt_now_ns();
    memset(&sl->t, 0, sizeof(sl->t));
    if (s->p.timings) {
        sl->t.preprocess_ms = ms_between(t0, t1);
        sl->t.model_ms = ms_between(t1, t2);
        sl->t.postprocess_ms = ms_between(t2, t3);
    }
    sl->t.gpu_ms = ms_between(t0, t3);
    return VRT_OK;
}

vrt_status vrt_session_submit_batch(vrt_session_t *s, int slot, const vrt_frame *const *frames, int n) {
    if (!s) return VRT_EINVAL;
    if (slot < 0 || slot >= s->p.slots)
        return fail(s, VRT_EINVAL, "slot %d does not exist; slots 0..%d", slot, s->p.slots - 1);
    if (!frames || n < 1 || n > s->batch)
        return fail(s, VRT_EINVAL, "submit to slot %d with %d frames; the session takes 1..%d per submission",
                    slot, n, s->batch);
    vrt__session_slot *sl = &s->slot[slot];
    if (sl->state != VRT__SLOT_IDLE)
        return fail(s, VRT_EBUSY, "slot %d is in flight; collect it with vrt_session_poll/wait first", slot);
    char a[8], b[8];
    for (int k = 0; k < n; k++) {
        const vrt_frame *meta = frames[k];
        if (!meta)
            return fail(s, VRT_EINVAL, "submit to slot %d without frame metadata (position %d)", slot, k);
        vrt_fourcc_name(meta->fourcc, a);
        if (meta->fourcc != s->p.fourcc || meta->width != s->p.width || meta->height != s->p.height)
            return fail(s, VRT_EINVAL, "frame %d is %s %ux%u; the session was opened for %s %ux%u", k, a,
                        meta->width, meta->height, vrt_fourcc_name(s->p.fourcc, b), s->p.width, s->p.height);
        if (meta->bytesused && meta->bytesused < s->frame_bytes)
            return fail(s, VRT_EINVAL, "frame %d has %zu bytes used; a %s %ux%u frame needs %zu", k,
                        meta->bytesused, a, meta->width, meta->height, s->frame_bytes);
    }
    int64_t t = vrt_now_ns();
    vrt_status st;
    for (int k = 0; k < n; k++) {
        const vrt_frame *meta = frames[k];
        uint8_t *pos = sl->buf + (size_t)k * s->frame_bytes, *up = sl->up + (size_t)k * s->frame_bytes;
        if (meta->planes[0].data && meta->planes[0].data != pos) {
            if ((st = copy_frame(s, meta, up))) return st;
        } else if (up != pos) {
            memcpy(up, pos, s->frame_bytes);
        }
        sl->seqs[k] = meta->sequence;
        sl->tss[k] = meta->timestamp_ns;
    }
    sl->n = n;
    sl->sequence = frames[0]->sequence;
    sl->timestamp_ns = frames[0]->timestamp_ns;
    sl->submit_ns = t;
    if (s->cuda) {
#if defined(VRT_HAVE_CUDA)
        st = vrt__session_cuda_submit(s, slot);
#else
        st = VRT_ENOSYS;
#endif
    } else {
        st = submit_cpu(s, slot);
    }
    if (st) return st;
    sl->state = VRT__SLOT_BUSY;
    return VRT_OK;
}

vrt_status vrt_session_submit(vrt_session_t *s, int slot, const vrt_frame *meta) {
    if (!s) return VRT_EINVAL;
    if (!meta) return fail(s, VRT_EINVAL, "submit to slot %d without frame metadata", slot);
    const vrt_frame *one[1] = {meta};
    return vrt_session_submit_batch(s, slot, one, 1);
}

static void fill_labels(vrt_session_t *s, vrt_session_result *r) {
    if (r->task == VRT_TASK_CLASSIFY) {
        for (int i = 0; i < r->cls.count; i++)
            r->labels[i] = s->labels ? vrt_labels_get(s->labels, r->cls.index[i]) : NULL;
    } else {
        for (int i = 0; i < r->det.count; i++)
            r->det_labels[i] = s->labels ? vrt_labels_get(s->labels, r->det.det[i].class_id) : NULL;
    }
}

/* The fields of batch position k's result that do not depend on the backend. */
static void base_result(const vrt_session_t *s, int slot, int k, vrt_session_result *r) {
    const vrt__session_slot *sl = &s->slot[slot];
    r->task = s->prof.task;
    r->slot = slot;
    r->sequence = k ? sl->seqs[k] : sl->sequence;
    r->timestamp_ns = k ? sl->tss[k] : sl->timestamp_ns;
    r->cls.count = 0;
    r->det.count = 0;
    r->det.candidates = 0;
}

/* CPU: result of batch position k of slot `slot` into *r. */
static void cpu_result(vrt_session_t *s, int slot, int k, vrt_session_result *r) {
    const vrt__session_slot *sl = &s->slot[slot];
    int ri = slot * s->batch + k;
    base_result(s, slot, k, r);
    r->t = sl->t;
    if (s->prof.task == VRT_TASK_CLASSIFY) {
        r->cls = s->cls[ri];
    } else {
        /* Only the filled part: the struct is 6 KiB. */
        r->det.count = s->dets[ri].count;
        r->det.candidates = s->dets[ri].candidates;
        memcpy(r->det.det, s->dets[ri].det, (size_t)s->dets[ri].count * sizeof(vrt_detection));
    }
}

static vrt_status collect(vrt_session_t *s, int slot, int block, vrt_session_result *r) {
    if (!s || !r) return VRT_EINVAL;
    if (slot < 0 || slot >= s->p.slots)
        return fail(s, VRT_EINVAL, "slot %d does not exist; slots 0..%d", slot, s->p.slots - 1);
    vrt__session_slot *sl = &s->slot[slot];
    if (sl->state != VRT__SLOT_BUSY) return fail(s, VRT_EINVAL, "nothing was submitted on slot %d", slot);
    vrt_status st = VRT_OK;
    if (s->cuda) {
        base_result(s, slot, 0, r);
#if defined(VRT_HAVE_CUDA)
        st = vrt__session_cuda_collect(s, slot, block, r);
#endif
        if (st == VRT_EAGAIN) return st;
    } else {
        cpu_result(s, slot, 0, r);
    }
    sl->state = VRT__SLOT_IDLE;
    if (st) return st;
    r->t.submit_ns = sl->submit_ns;
    r->t.done_ns = vrt_now_ns();
    fill_labels(s, r);
    return VRT_OK;
}

vrt_status vrt_session_wait_batch(vrt_session_t *s, int slot, vrt_session_result *r, int *n_out) {
    if (n_out) *n_out = 0;
    if (!s || !r) return VRT_EINVAL;
    if (slot < 0 || slot >= s->p.slots)
        return fail(s, VRT_EINVAL, "slot %d does not exist; slots 0..%d", slot, s->p.slots - 1);
    int n = s->slot[slot].n;
    vrt_status st = collect(s, slot, 1, &r[0]);
    if (st) return st;
    for (int k = 1; k < n; k++) { /* batch > 1 */
        if (s->cuda) {
            base_result(s, slot, k, &r[k]);
#if defined(VRT_HAVE_CUDA)
            vrt__session_cuda_item(s, slot, k, &r[k]);
#endif
            r[k].t = r[0].t;
        } else {
            cpu_result(s, slot, k, &r[k]);
        }
        r[k].t.submit_ns = r[0].t.submit_ns;
        r[k].t.done_ns = r[0].t.done_ns;
        fill_labels(s, &r[k]);
    }
    if (n_out) *n_out = n;
    return VRT_OK;
}

vrt_status vrt_session_poll(vrt_session_t *s, int slot, vrt_session_result *r) {
    return collect(s, slot, 0, r);
}
vrt_status vrt_session_wait(vrt_session_t *s, int slot, vrt_session_result *r) {
    return collect(s, slot, 1, r);
}

void *vrt_session_event(vrt_session_t *s, int slot) {
    if (!s || !s->cuda || slot < 0 || slot >= s->p.slots) return NULL;
#if defined(VRT_HAVE_CUDA)
    return vrt__session_cuda_event(s, slot);
#else
    return NULL;
#endif
}

vrt_status vrt_session_run(vrt_session_t *s, const vrt_frame *f, vrt_session_result *r) {
    if (!s || !f || !r) return VRT_EINVAL;
    for (int k = 0; k < s->p.slots; k++) {
        int i = (s->next + k) % s->p.slots;
        if (s->slot[i].state != VRT__SLOT_IDLE) continue;
        s->next = (i + 1) % s->p.slots;
        vrt_status st = vrt_session_submit(s, i, f);
        if (st) return st;
        return vrt_session_wait(s, i, r);
    }
    return fail(s, VRT_EBUSY, "all %d slots are in flight; collect one with vrt_session_poll/wait first",
                s->p.slots);
}

#if !defined(VRT_HAVE_CUDA)
vrt_status vrt__session_debug_share_graph(vrt_session_t *s) {
    (void)s;
    return VRT_ENOTSUP;
}
#endif
