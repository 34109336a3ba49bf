/* Session (vrt/session.h): open, slots, submissions and results, common to
 * every implementation; the frame paths are behind vrt__session_ops
 * (session_cpu.c, cuda/session_cuda.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/session_cascade.h"
#include "pipeline/session_impl.h"
#include "pipeline/session_parallel.h"

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

vrt_status vrt__session_fail(vrt_session_t *s, vrt_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return st;
}
#define fail vrt__session_fail

static int64_t numel(const vrt_model_tensor_info *ti) {
    int64_t n = 1;
    for (int i = 0; i < ti->ndim; i++)
        n *= ti->dims[i] > 0 ? ti->dims[i] : 1;
    return n;
}

/* Input and output shapes from the model and the profile, then the head's
 * own check of the output and its parameters. */
static vrt_status check_model(vrt_session_t *s) {
    const vrt_profile *pr = &s->prof;
    if (vrt_engine_num_inputs(s->eng) != 1)
        return fail(s, VRT_EUNSUPPORTED,
                    "model has %d inputs; a session feeds models with exactly one image input",
                    vrt_engine_num_inputs(s->eng));
    vrt_model_tensor_info in, outs[VRT_SESSION_MAX_OUTPUTS];
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
    int nout = vrt_engine_num_outputs(s->eng);
    if (nout > VRT_SESSION_MAX_OUTPUTS) nout = VRT_SESSION_MAX_OUTPUTS; /* the head reads among the first */
    for (int i = 0; i < nout; i++)
        vrt_engine_output_info(s->eng, i, &outs[i]);
    vrt_status st = vrt__head_bind(s->head, pr, outs, nout, s->batch, &s->hp, s->err, sizeof(s->err));
    if (!st) st = vrt__head_check_labels(pr, &s->hp, s->labels, s->err, sizeof(s->err));
    if (st) return st;
    vrt__head_set_frame(s->head, &s->hp, (int)s->p.width, (int)s->p.height); /* maps at frame size */
    if ((st = vrt__session_refine(s, pr, "", &s->hp))) return st;
    for (int j = 0; j < s->hp.num_outputs; j++) {
        const vrt_model_tensor_info *out = &outs[s->hp.outputs[j]];
        if (out->dtype != VRT_DTYPE_FLOAT && out->dtype != VRT_DTYPE_FLOAT16)
            return fail(s, VRT_EUNSUPPORTED, "model output '%s' is not a float tensor", out->name);
        if (out->ndim < 1 || (s->batch > 1 && out->dims[0] != s->batch))
            return fail(s, VRT_EUNSUPPORTED,
                        "model output '%s' does not have the batch (%d) as its first dimension", out->name,
                        s->batch);
    }
    return VRT_OK;
}

/* Checks the parameters that do not need the model; err gets the detail. */
static vrt_status check_params(const vrt_session_params *params, const vrt__session_ops *ops, int batch,
                               char *err, size_t cap) {
    const char *bname = params->backend ? params->backend : "cpu";
    if (!ops) {
        vrt_errbuf_set(err, cap, "session backend '%s' is not in this build; use one of: %s%s", bname,
                       vrt__session_ops_names(),
                       strcmp(bname, "cuda") ? "" : " (configure with the CUDA toolkit for 'cuda')");
        return strcmp(bname, "cuda") ? VRT_EINVAL : VRT_ENOSYS;
    }
    if (batch < 1 || batch > VRT_SESSION_MAX_BATCH) {
        vrt_errbuf_set(err, cap, "session batch = %d; must be 1..%d", params->batch, VRT_SESSION_MAX_BATCH);
        return VRT_EINVAL;
    }
    if (batch > 1 && params->parallel) {
        vrt_errbuf_set(
            err, cap, "a second model on the frame (parallel) runs with session batch 1 (batch = %d)", batch);
        return VRT_EINVAL;
    }
    if (batch > 1 && params->buffers) {
        vrt_errbuf_set(err, cap,
                       "session batch = %d works with the session's own slot buffers; leave buffers NULL",
                       batch);
        return VRT_EINVAL;
    }
    const vrt_session_t *sh = params->share_weights;
    if (sh && (sh->ops != ops || sh->batch != batch)) {
        vrt_errbuf_set(
            err, cap,
            "share_weights: the shared session runs backend %s with batch %d; this one asks for %s with "
            "batch %d (they must match)",
            sh->p.backend, sh->batch, ops->name, batch);
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
    for (int i = 0; params->buffers && i < params->slots; i++)
        if (!params->buffers[i]) {
            vrt_errbuf_set(err, cap, "bound slot buffer %d is NULL", i);
            return VRT_EINVAL;
        }
    return VRT_OK;
}

/* The profile (given or loaded), its head, the pre-processing geometry. */
static vrt_status load_profile(vrt_session_t *s, const char *profile_path, const vrt_profile *profile) {
    vrt_status st;
    if (profile)
        s->prof = *profile;
    else if ((st = vrt_profile_load(profile_path, &s->prof, s->err, sizeof(s->err))))
        return st;
    s->head = vrt__head_for(s->prof.task);
    if (!s->head)
        return fail(s, VRT_EUNSUPPORTED, "profile '%s': task %d has no head", s->prof.name, s->prof.task);
    s->pre = s->prof.pre;
    s->pre.dtype = VRT_TENSOR_F32;
    return vrt_preprocess_geometry_for(&s->pre, s->p.width, s->p.height, &s->geom, s->err, sizeof(s->err));
}

/* The fp16 guard's input (vrt_engine_options.fp16_sample) for a CUDA engine
 * on precision AUTO: a synthetic RGB frame of the session's size (smooth
 * colour gradients and a few hard edges, like a photo) through the profile's
 * pre-processing, so the guard compares fp16 and fp32 on values in the
 * model's own range (0..255 for YOLOX, normalised for ImageNet models).
 * NULL (the engine's own synthetic input) when it cannot be made. */
static float *guard_sample(const vrt_session_t *s, size_t *count) {
    uint32_t w = s->p.width, h = s->p.height;
    size_t out = vrt_preprocess_output_size(&s->pre);
    if (!w || !h || !out || s->batch > 1) return NULL;
    uint8_t *px = vrt_malloc((size_t)w * h * 3);
    float *t = vrt_malloc(out);
    vrt_frame f;
    memset(&f, 0, sizeof(f));
    f.fourcc = VRT_FMT_RGB24, f.width = w, f.height = h, f.num_planes = 1, f.buffer_index = -1;
    f.planes[0] = (vrt_plane){px, w * 3, w * h * 3};
    f.bytesused = (size_t)w * h * 3;
    for (uint32_t y = 0; px && y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *q = px + ((size_t)y * w + x) * 3;
            int edge = ((x * 5 / w) + (y * 4 / h)) % 3; /* blocks with hard borders */
            q[0] = (uint8_t)((x * 255 / w + edge * 60) % 256);
            q[1] = (uint8_t)((y * 255 / h + edge * 90) % 256);
            q[2] = (uint8_t)(((x + y) * 127 / (w + h) + edge * 40) % 256);
        }
    char e[256];
    if (!px || !t || vrt_preprocess_frame(&f, &s->pre, t, out, NULL, e, sizeof(e))) {
        vrt_free(px);
        vrt_free(t);
        return NULL;
    }
    vrt_free(px);
    *count = out / sizeof(float);
    return t;
}

/* The model file (argument, shared session's, or the profile's), the labels, the engine. */
static vrt_status open_model(vrt_session_t *s, const char *model_path) {
    vrt_status st;
    char path[VRT_PROFILE_PATH_MAX];
    const vrt_session_t *sh = s->p.share_weights;
    if (sh) {
        model_path = sh->model;
    } else if (!model_path) {
        if (!s->prof.model[0])
            return fail(s, VRT_EINVAL, "profile '%s' names no model; pass a model path", s->prof.name);
        if ((st = vrt_profile_resolve(&s->prof, s->prof.model, NULL, path, sizeof(path), s->err,
                                      sizeof(s->err))))
            return st;
        model_path = path;
    }
    snprintf(s->model, sizeof(s->model), "%s", model_path);
    if ((st = vrt_profile_load_labels(&s->prof, model_path, &s->labels, s->err, sizeof(s->err)))) return st;
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.backend = s->ops->name;
    ep.threads = s->p.threads;
    ep.batch = s->batch > 1 ? s->batch : 0;
    ep.options = s->p.engine;
    ep.device = s->p.device;
    ep.priority = s->p.priority;
    if (sh) return vrt_engine_open_shared(sh->eng, &ep, &s->eng, s->err, sizeof(s->err));
    float *sample = NULL;
    if (!strcmp(s->ops->name, "cuda") && ep.options.precision == VRT_PRECISION_AUTO &&
        ep.options.fp16_guard != VRT_SWITCH_OFF && !ep.options.fp16_sample &&
        (sample = guard_sample(s, &ep.options.fp16_sample_count)))
        ep.options.fp16_sample = sample;
    st = vrt_engine_open(s->model, &ep, &s->eng, s->err, sizeof(s->err));
    vrt_free(sample);
    return st;
}

size_t vrt__session_result_bytes(const vrt_session_t *s) {
    return s ? s->res_stride : 0;
}

void vrt__session_bind_results(vrt_session_t *s, int slot, void *payload) {
    for (int k = 0; k < s->batch; k++) {
        vrt_result *r = &s->slot[slot].res[k];
        vrt__result_init(r, s->head->kind, s->prof.task, s->labels, &s->hp.layout);
        r->slot = slot;
        r->payload = (const uint8_t *)payload + (size_t)k * s->res_stride;
        if (s->cascade) {
            r->secondary = (const vrt__cascade_result *)((const uint8_t *)r->payload + s->sec_offset);
            r->secondary_labels = s->cascade->labels;
        }
    }
    const vrt__parallel *par = s->parallel;
    if (!par) return;
    vrt_result *pr = &s->slot[slot].pres, *r = &s->slot[slot].res[0];
    vrt__result_init(pr, par->head->kind, par->prof.task, par->labels, &par->hp.layout);
    pr->slot = slot;
    pr->payload = (const uint8_t *)payload + s->par_offset;
    r->parallel = pr;
    const vrt__object_depth *od = (const vrt__object_depth *)((const uint8_t *)payload + s->od_offset);
    if (par->object_depth == VRT__OD_FIRST) r->object_depth = od;
    if (par->object_depth == VRT__OD_SECOND) pr->object_depth = od;
}

/* params.cascade: a detection head, batch 1; the classifier opened. */
static vrt_status open_cascade(vrt_session_t *s) {
    s->res_stride = s->hp.layout.bytes;
    const vrt_cascade_params *cp = s->p.cascade;
    s->p.cascade = NULL; /* the caller's pointer is not kept */
    if (!cp) return VRT_OK;
    if (s->head->kind != VRT_RESULT_DETECTIONS)
        return fail(s, VRT_EINVAL, "a cascade classifies detections; profile '%s' (task %s) makes %s",
                    s->prof.name, vrt_task_name(s->prof.task), vrt_result_type_name(s->head->kind));
    if (s->batch != 1)
        return fail(s, VRT_EINVAL, "a cascade runs with session batch 1 (batch = %d)", s->batch);
    char e[512] = "";
    vrt_status st =
        vrt__cascade_open(&s->cascade, cp, s->ops->name, s->p.threads, s->p.priority, s->p.device,
                          &s->p.engine, s->ops != &vrt__session_cpu, s->p.width, s->p.height, e, sizeof(e));
    if (st) return fail(s, st, "%s", e);
    s->sec_offset = (s->res_stride + 15) & ~(size_t)15;
    s->res_stride = s->sec_offset + ((sizeof(vrt__cascade_result) + 15) & ~(size_t)15);
    return VRT_OK;
}

/* params.parallel (batch 1, checked before): the second model opened, the payload laid out. */
static vrt_status open_parallel(vrt_session_t *s) {
    const vrt_parallel_params *pp = s->p.parallel;
    s->p.parallel = NULL; /* the caller's pointer is not kept */
    vrt_status st = pp ? vrt__parallel_open(s, pp) : VRT_OK;
    if (st || !s->p.refine_depth || s->p.refine_depth->radius <= 0 || s->hp.refine.radius > 0 ||
        (s->parallel && s->parallel->hp.refine.radius > 0))
        return st;
    return fail(
        s, VRT_EINVAL,
        "depth refinement (refine_depth, --refine-depth) asked for, but no model of this session is a "
        "depth head (profile '%s' is task %s)",
        s->prof.name, vrt_task_name(s->prof.task));
}

vrt_status vrt__session_refine(vrt_session_t *s, const vrt_profile *pr, const char *who,
                               vrt__head_params *hp) {
    const vrt_guided_params *g = s->p.refine_depth ? s->p.refine_depth : &pr->depth_refine;
    hp->refine.radius = 0;
    hp->refine.eps = g->eps;
    if (g->radius <= 0) return VRT_OK;
    if (pr->task != VRT_TASK_DEPTH) {
        if (s->p.refine_depth) return VRT_OK; /* the session's applies to the depth model only */
        return fail(s, VRT_EINVAL,
                    "%sprofile '%s': depth_refine_radius = %d is for task depth; its task is %s", who,
                    pr->name, g->radius, vrt_task_name(pr->task));
    }
    char e[200] = "";
    if (vrt_guided_check(g, e, sizeof(e)))
        return fail(s, VRT_EINVAL, "%sprofile '%s': depth refinement: %s", who, pr->name, e);
    if (pr->pre.resize == VRT_RESIZE_CROP)
        return fail(
            s, VRT_EINVAL,
            "%sprofile '%s': depth refinement needs the depth map over the whole frame; resize = crop "
            "cuts it (use stretch or letterbox)",
            who, pr->name);
    hp->refine = *g;
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
    const vrt__session_ops *ops = vrt__session_ops_find(params->backend ? params->backend : "cpu");
    int batch = params->batch ? params->batch : 1;
    vrt_status st = check_params(params, ops, batch, err, cap);
    if (st) return st;
    if (!profile && !profile_path) {
        vrt_errbuf_set(err, cap,
                       "a session needs a profile: a parsed vrt_profile or a profile path (models/*.conf)");
        return VRT_EINVAL;
    }
    vrt_session_t *s = vrt_calloc(1, sizeof(*s));
    if (!s) return VRT_ENOMEM;
    s->ops = ops;
    s->p = *params;
    s->p.backend = ops->name;
    s->batch = s->p.batch = batch;
    s->frame_bytes = vrt_frame_size_for(params->fourcc, params->width, params->height);
    s->slot_bytes = params->buffers ? params->buffer_size : s->frame_bytes * (size_t)batch;
    s->own_buffers = !params->buffers;
    s->p.overlay = NULL;
    s->p.refine_depth = NULL;
    if (params->refine_depth) {
        s->rdp = *params->refine_depth;
        s->p.refine_depth = &s->rdp;
    }
    if (params->overlay) {
        s->ovp = *params->overlay;
        s->p.overlay = &s->ovp;
        char e[256] = "";
        if ((st = vrt_overlay_create(&s->ov, &s->ovp, e, sizeof(e)))) {
            vrt_errbuf_set(err, cap, "session overlay: %s", e);
            vrt_session_destroy(&s);
            return st;
        }
    }
    if (!(st = load_profile(s, profile_path, profile)) && !(st = open_model(s, model_path)) &&
        !(st = check_model(s)) && !(st = open_cascade(s)) && !(st = open_parallel(s)))
        st = ops->open(s);
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
    s->ops->close(s);
    vrt_overlay_destroy(&s->ov); /* after close: its GPU buffers may still be read by the stream */
    vrt__cascade_destroy(&s->cascade);
    vrt__parallel_destroy(&s->parallel);
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
    info->kind = s->head->kind;
    info->num_classes = s->hp.num_classes;
    info->geom = s->geom;
    info->batch = s->batch;
    if (s->cascade) {
        info->cascade_batch = s->cascade->rule.max_batch;
        info->cascade_classes = s->cascade->num_classes;
    }
    if (s->parallel) {
        info->parallel = 1;
        info->parallel_task = s->parallel->prof.task;
        info->parallel_kind = s->parallel->head->kind;
        info->parallel_input_w = s->parallel->pre.width;
        info->parallel_input_h = s->parallel->pre.height;
        info->object_depth = s->parallel->object_depth != VRT__OD_NONE;
    }
    vrt_engine_stats es;
    if (vrt_engine_get_stats(s->eng, &es) == VRT_OK) {
        info->weights_shared = es.weights_borrowed;
        info->weight_users = es.weight_users;
        info->weight_bytes = es.weight_bytes;
        info->arena_bytes = es.arena_bytes;
        info->priority = es.priority;
        info->priority_value = es.priority_value;
        info->priority_applied = es.priority_applied;
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
    f->memory = s->ops->pinned && (s->own_buffers || s->registered) ? VRT_MEM_PINNED : VRT_MEM_HOST;
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
        /* The name is in a (unknown codes) or a constant string (known ones): use the result. */
        const char *an = vrt_fourcc_name(meta->fourcc, a);
        if (meta->fourcc != s->p.fourcc || meta->width != s->p.width || meta->height != s->p.height)
            return fail(s, VRT_EINVAL, "frame %d is %s %ux%u; the session was opened for %s %ux%u", k, an,
                        meta->width, meta->height, vrt_fourcc_name(s->p.fourcc, b), s->p.width, s->p.height);
        if (meta->bytesused && meta->bytesused < s->frame_bytes)
            return fail(s, VRT_EINVAL, "frame %d has %zu bytes used; a %s %ux%u frame needs %zu", k,
                        meta->bytesused, an, meta->width, meta->height, s->frame_bytes);
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
    memset(sl->times, 0, sizeof(sl->times));
    memset(sl->ptimes, 0, sizeof(sl->ptimes));
    sl->times[VRT_TIME_SUBMIT] = t;
    if ((st = s->ops->submit(s, slot))) return st;
    sl->state = VRT__SLOT_BUSY;
    sl->submit_no = ++s->submits;
    return VRT_OK;
}

vrt_status vrt_session_submit(vrt_session_t *s, int slot, const vrt_frame *meta) {
    if (!s) return VRT_EINVAL;
    if (!meta) return fail(s, VRT_EINVAL, "submit to slot %d without frame metadata", slot);
    const vrt_frame *one[1] = {meta};
    return vrt_session_submit_batch(s, slot, one, 1);
}

/* Completes slot i's results: frame metadata and times (the payloads are final). */
static void finish_results(vrt_session_t *s, int slot) {
    vrt__session_slot *sl = &s->slot[slot];
    sl->times[VRT_TIME_DONE] = vrt_now_ns();
    for (int k = 0; k < sl->n; k++) {
        vrt_result *r = &sl->res[k];
        r->sequence = sl->seqs[k];
        r->timestamp_ns = sl->tss[k];
        memcpy(r->times, sl->times, sizeof(r->times));
    }
    if (!s->parallel) return;
    vrt_result *pr = &sl->pres;
    pr->sequence = sl->seqs[0];
    pr->timestamp_ns = sl->tss[0];
    memcpy(pr->times, sl->times, sizeof(pr->times)); /* upload, download, total, submit, done: the frame's */
    pr->times[VRT_TIME_PREPROCESS] = sl->ptimes[0];
    pr->times[VRT_TIME_MODEL] = sl->ptimes[1];
    pr->times[VRT_TIME_POSTPROCESS] = sl->ptimes[2];
    pr->times[VRT_TIME_SECONDARY] = pr->times[VRT_TIME_PARALLEL] = pr->times[VRT_TIME_JOIN] = 0;
}

static vrt_status collect(vrt_session_t *s, int slot, int block, const vrt_result **r, int *n_out) {
    if (n_out) *n_out = 0;
    if (!s || !r) return VRT_EINVAL;
    if (slot < 0 || slot >= s->p.slots)
        return fail(s, VRT_EINVAL, "slot %d does not exist; slots 0..%d", slot, s->p.slots - 1);
    vrt__session_slot *sl = &s->slot[slot];
    if (sl->state != VRT__SLOT_BUSY) return fail(s, VRT_EINVAL, "nothing was submitted on slot %d", slot);
    vrt_status st = s->ops->collect(s, slot, block);
    if (st == VRT_EAGAIN) return st;
    sl->state = VRT__SLOT_IDLE;
    if (st) return st;
    finish_results(s, slot);
    for (int k = 0; k < (n_out ? sl->n : 1); k++)
        r[k] = &sl->res[k];
    if (n_out) *n_out = sl->n;
    return VRT_OK;
}

vrt_status vrt_session_wait_batch(vrt_session_t *s, int slot, const vrt_result **r, int *n_out) {
    int n = 0;
    vrt_status st = collect(s, slot, 1, r, &n);
    if (n_out) *n_out = n;
    return st;
}

vrt_status vrt_session_poll(vrt_session_t *s, int slot, const vrt_result **r) {
    return collect(s, slot, 0, r, NULL);
}
vrt_status vrt_session_wait(vrt_session_t *s, int slot, const vrt_result **r) {
    return collect(s, slot, 1, r, NULL);
}

const void *vrt_session_result_map(vrt_session_t *s, const vrt_result *r, vrt_map_id which, int *device,
                                   int *width, int *height, size_t *stride, vrt_map_type *type) {
    if (!s || !r) return NULL;
    /* r must be one of this session's results, collected and not overwritten yet. */
    int slot = -1, k = -1;
    for (int i = 0; i < s->p.slots && slot < 0; i++)
        if (r >= s->slot[i].res && r < s->slot[i].res + s->batch) slot = i, k = (int)(r - s->slot[i].res);
    if (slot < 0 || s->slot[slot].state != VRT__SLOT_IDLE || k >= s->slot[slot].n) return NULL;
    const uint8_t *host = vrt_result_map(r, which, width, height, stride, type);
    if (!host) return NULL;
    if (device) *device = 0;
    if (!s->ops->device_results) return host;
    /* One device copy for all slots: only the last submission's is there. */
    if (s->slot[slot].submit_no != s->submits) return NULL;
    if (device) *device = 1;
    return (const uint8_t *)s->ops->device_results(s) + (size_t)k * s->res_stride +
           (size_t)(host - (const uint8_t *)r->payload);
}

void *vrt_session_event(vrt_session_t *s, int slot) {
    if (!s || !s->ops->event || slot < 0 || slot >= s->p.slots) return NULL;
    return s->ops->event(s, slot);
}

/* The arguments of a picture of slot i's batch position (vrt_session_render_start). */
static vrt_status render_check(vrt_session_t *s, int slot, int position, const vrt_frame *dst) {
    if (slot < 0 || slot >= s->p.slots)
        return fail(s, VRT_EINVAL, "slot %d does not exist; slots 0..%d", slot, s->p.slots - 1);
    if (!s->ov) return fail(s, VRT_EINVAL, "render: the session was opened without params.overlay");
    if (s->slot[slot].state != VRT__SLOT_IDLE)
        return fail(s, VRT_EBUSY, "render: slot %d is in flight; collect it with vrt_session_poll/wait first",
                    slot);
    const int n = s->slot[slot].n;
    if (position < 0 || position >= (n > 0 ? n : 1))
        return fail(s, VRT_EINVAL,
                    "render: position %d of slot %d; its last submission had %d frame%s (0..%d)", position,
                    slot, n, n == 1 ? "" : "s", n - 1);
    if (dst->fourcc != VRT_FMT_RGB24 || dst->width != s->p.width || dst->height != s->p.height ||
        !dst->planes[0].data || dst->memory == VRT_MEM_DEVICE)
        return fail(s, VRT_EINVAL, "render: the picture must be an RGB24 %ux%u frame in host memory",
                    s->p.width, s->p.height);
    return VRT_OK;
}

/* The CPU twin: the position's frame in the slot's buffer (the batch lies back to back). */
static vrt_status render_host(vrt_session_t *s, int slot, int position, const vrt_overlay_info *info,
                              vrt_frame *dst) {
    vrt_frame f;
    memset(&f, 0, sizeof(f));
    vrt_status st = vrt_frame_layout(&f, s->p.fourcc, s->p.width, s->p.height,
                                     s->slot[slot].up + (size_t)position * s->frame_bytes);
    if (st) return st;
    f.bytesused = s->frame_bytes;
    f.memory = VRT_MEM_HOST;
    f.buffer_index = -1;
    char e[256] = "";
    if ((st = vrt_overlay_render(s->ov, &f, dst, &s->slot[slot].res[position], info, e, sizeof(e))))
        return fail(s, st, "render: %s", e);
    return VRT_OK;
}

vrt_status vrt_session_render_start(vrt_session_t *s, int slot, int position, const vrt_overlay_info *info,
                                    vrt_frame *dst, uint64_t *ticket) {
    if (ticket) *ticket = 0;
    if (!s || !dst) return VRT_EINVAL;
    vrt_status st = render_check(s, slot, position, dst);
    if (st) return st;
    /* Only this thread issues tickets; render_wait (any thread) reads the count. */
    const uint64_t t = atomic_load_explicit(&s->renders, memory_order_relaxed) + 1;
    st = s->ops->render_start ? s->ops->render_start(s, slot, position, info, dst, t)
                              : render_host(s, slot, position, info, dst);
    if (st) return st;
    atomic_store_explicit(&s->renders, t, memory_order_release);
    if (ticket) *ticket = t;
    return VRT_OK;
}

vrt_status vrt_session_render_wait(vrt_session_t *s, uint64_t ticket) {
    if (!s || !ticket || ticket > atomic_load_explicit(&s->renders, memory_order_acquire)) return VRT_EINVAL;
    return s->ops->render_wait ? s->ops->render_wait(s, ticket) : VRT_OK;
}

vrt_status vrt_session_render_at(vrt_session_t *s, int slot, int position, const vrt_overlay_info *info,
                                 vrt_frame *dst) {
    uint64_t t = 0;
    vrt_status st = vrt_session_render_start(s, slot, position, info, dst, &t);
    if (st) return st;
    if ((st = vrt_session_render_wait(s, t)))
        return fail(s, st, "render: waiting for the picture's download failed (%s)", vrt_status_str(st));
    return VRT_OK;
}

vrt_status vrt_session_render(vrt_session_t *s, int slot, const vrt_overlay_info *info, vrt_frame *dst) {
    return vrt_session_render_at(s, slot, 0, info, dst);
}

vrt_status vrt_session_host_register(vrt_session_t *s, void *data, size_t bytes) {
    if (!s || !data || !bytes) return VRT_EINVAL;
    return s->ops->host_register ? s->ops->host_register(s, data, bytes, 1) : VRT_OK;
}

void vrt_session_host_unregister(vrt_session_t *s, void *data) {
    if (s && data && s->ops->host_register) s->ops->host_register(s, data, 0, 0);
}

vrt_status vrt_session_run(vrt_session_t *s, const vrt_frame *f, const vrt_result **r) {
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

vrt_status vrt__session_debug_share_graph(vrt_session_t *s) {
    if (!s || !s->ops->share_graph) return VRT_ENOTSUP;
    return s->ops->share_graph(s);
}
