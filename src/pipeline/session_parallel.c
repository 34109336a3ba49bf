/* The session's second model on the same frame (session_parallel.h): open,
 * the CPU branch and the per-box depths. */
#include "pipeline/session_parallel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void vrt_parallel_default_params(vrt_parallel_params *p) {
    if (p) memset(p, 0, sizeof(*p));
}

void vrt__parallel_destroy(vrt__parallel **pp) {
    if (!pp || !*pp) return;
    vrt__parallel *m = *pp;
    if (m->cpu_head && m->head->cpu->destroy) m->head->cpu->destroy(&m->cpu_head);
    vrt_free(m->in);
    for (int i = 0; i < m->n_out; i++)
        vrt_free(m->out[i]);
    vrt_engine_destroy(&m->eng);
    vrt_labels_destroy(&m->labels);
    vrt_free(m);
    *pp = NULL;
}

/* The profile (given or loaded), its head and pre-processing geometry for the session's frames. */
static vrt_status load_profile(vrt_session_t *s, vrt__parallel *m, const vrt_parallel_params *p) {
    vrt_status st;
    if (p->profile)
        m->prof = *p->profile;
    else if (!p->profile_path)
        return vrt__session_fail(s, VRT_EINVAL,
                                 "second model: give its profile (a models/*.conf path or a parsed profile)");
    else if ((st = vrt_profile_load(p->profile_path, &m->prof, s->err, sizeof(s->err))))
        return st;
    m->head = vrt__head_for(m->prof.task);
    if (!m->head)
        return vrt__session_fail(s, VRT_EUNSUPPORTED, "second profile '%s': task %d has no head",
                                 m->prof.name, m->prof.task);
    if (m->prof.guided.radius > 0)
        return vrt__session_fail(s, VRT_EUNSUPPORTED,
                                 "second profile '%s' has a guided pre-filter (guided_radius = %d); only the "
                                 "session's own profile can have one: remove it from the second",
                                 m->prof.name, m->prof.guided.radius);
    m->pre = m->prof.pre;
    m->pre.dtype = VRT_TENSOR_F32;
    char e[400] = "";
    if ((st = vrt_preprocess_geometry_for(&m->pre, s->p.width, s->p.height, &m->geom, e, sizeof(e))))
        return vrt__session_fail(s, st, "second profile '%s': %s", m->prof.name, e);
    return VRT_OK;
}

/* The model file, its labels, the engine (the session's backend and options, batch 1). */
static vrt_status open_engine(vrt_session_t *s, vrt__parallel *m, const char *model) {
    vrt_status st;
    char path[VRT_PROFILE_PATH_MAX], e[400] = "";
    if (!model) {
        if (!m->prof.model[0])
            return vrt__session_fail(s, VRT_EINVAL, "second profile '%s' names no model; give its ONNX file",
                                     m->prof.name);
        if ((st = vrt_profile_resolve(&m->prof, m->prof.model, NULL, path, sizeof(path), s->err,
                                      sizeof(s->err))))
            return st;
        model = path;
    }
    snprintf(m->model, sizeof(m->model), "%s", model);
    if ((st = vrt_profile_load_labels(&m->prof, m->model, &m->labels, s->err, sizeof(s->err)))) return st;
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.backend = s->ops->name;
    ep.threads = s->p.threads;
    ep.device = s->p.device;     /* the session's GPU: both branches read the same upload */
    ep.priority = s->p.priority; /* its branch stream (CUDA) or workers (CPU) as the session's */
    ep.options = s->p.engine;
    if ((st = vrt_engine_open(m->model, &ep, &m->eng, e, sizeof(e))))
        return vrt__session_fail(s, st, "second model %s: %s", m->model, e);
    return VRT_OK;
}

/* One image input of the profile's tensor, the head's outputs (as check_model in session.c). */
static vrt_status check_model(vrt_session_t *s, vrt__parallel *m) {
    vrt_model_tensor_info in, outs[VRT_SESSION_MAX_OUTPUTS];
    if (vrt_engine_num_inputs(m->eng) != 1)
        return vrt__session_fail(s, VRT_EUNSUPPORTED,
                                 "second model %s has %d inputs; exactly one image input", m->model,
                                 vrt_engine_num_inputs(m->eng));
    vrt_engine_input_info(m->eng, 0, &in);
    int64_t n = 1, want = 3 * (int64_t)m->pre.width * m->pre.height;
    for (int i = 0; i < in.ndim; i++)
        n *= in.dims[i] > 0 ? in.dims[i] : 1;
    if (n != want || (in.dtype != VRT_DTYPE_FLOAT && in.dtype != VRT_DTYPE_FLOAT16))
        return vrt__session_fail(s, VRT_EINVAL,
                                 "second model %s: input '%s' has %lld elements; profile '%s' makes a float "
                                 "1x3x%ux%u tensor (set width/height to the model's)",
                                 m->model, in.name, (long long)n, m->prof.name, m->pre.height, m->pre.width);
    m->in_bytes = (size_t)want * sizeof(float);
    int nout = vrt_engine_num_outputs(m->eng);
    if (nout > VRT_SESSION_MAX_OUTPUTS) nout = VRT_SESSION_MAX_OUTPUTS;
    for (int i = 0; i < nout; i++)
        vrt_engine_output_info(m->eng, i, &outs[i]);
    char e[400] = "";
    vrt_status st = vrt__head_bind(m->head, &m->prof, outs, nout, 1, &m->hp, e, sizeof(e));
    if (!st) st = vrt__head_check_labels(&m->prof, &m->hp, m->labels, e, sizeof(e));
    if (st) return vrt__session_fail(s, st, "second model %s: %s", m->model, e);
    vrt__head_set_frame(m->head, &m->hp, (int)s->p.width, (int)s->p.height);
    char who[300];
    snprintf(who, sizeof(who), "second model %s: ", m->model);
    if ((st = vrt__session_refine(s, &m->prof, who, &m->hp))) return st;
    for (int j = 0; j < m->hp.num_outputs; j++) {
        const vrt_model_tensor_info *o = &outs[m->hp.outputs[j]];
        if (o->dtype != VRT_DTYPE_FLOAT && o->dtype != VRT_DTYPE_FLOAT16)
            return vrt__session_fail(s, VRT_EUNSUPPORTED,
                                     "second model %s: output '%s' is not a float tensor", m->model, o->name);
    }
    return VRT_OK;
}

/* The CPU branch's tensors and head. */
static vrt_status open_cpu(vrt_session_t *s, vrt__parallel *m) {
    if (!(m->in = vrt_malloc(m->in_bytes)))
        return vrt__session_fail(s, VRT_ENOMEM, "out of memory for the second model's input");
    for (int j = 0; j < m->hp.num_outputs; j++)
        if (m->hp.outputs[j] >= m->n_out) m->n_out = m->hp.outputs[j] + 1;
    for (int i = 0; i < m->n_out; i++) {
        vrt_model_tensor_info ti;
        vrt_engine_output_info(m->eng, i, &ti);
        size_t v = 1;
        for (int d = 0; d < ti.ndim; d++)
            v *= (size_t)(ti.dims[d] > 0 ? ti.dims[d] : 1);
        m->out_values[i] = v;
        if (!(m->out[i] = vrt_malloc(v * sizeof(float))))
            return vrt__session_fail(s, VRT_ENOMEM, "out of memory for the second model's output %d", i);
    }
    if (m->head->cpu->create) return m->head->cpu->create(&m->hp, &m->cpu_head, s->err, sizeof(s->err));
    return VRT_OK;
}

static int is_boxes(vrt_result_type k) {
    return k == VRT_RESULT_DETECTIONS || k == VRT_RESULT_KEYPOINTS;
}

/* Which result gets the per-box depths, and where everything of one frame's payload goes. */
static void lay_out(vrt_session_t *s, vrt__parallel *m) {
    if (is_boxes(s->head->kind) && m->prof.task == VRT_TASK_DEPTH) m->object_depth = VRT__OD_FIRST;
    if (s->prof.task == VRT_TASK_DEPTH && is_boxes(m->head->kind)) m->object_depth = VRT__OD_SECOND;
    size_t at = (s->res_stride + 15) & ~(size_t)15;
    if (m->object_depth != VRT__OD_NONE) {
        s->od_offset = at;
        at = (at + sizeof(vrt__object_depth) + 15) & ~(size_t)15;
    }
    s->par_offset = (at + 255) & ~(size_t)255; /* the maps' alignment */
    s->res_stride = s->par_offset + ((m->hp.layout.bytes + 15) & ~(size_t)15);
}

vrt_status vrt__parallel_open(vrt_session_t *s, const vrt_parallel_params *p) {
    vrt__parallel *m = vrt_calloc(1, sizeof(*m));
    if (!m) return vrt__session_fail(s, VRT_ENOMEM, "out of memory for the second model");
    s->parallel = m;
    vrt_status st;
    if ((st = load_profile(s, m, p)) || (st = open_engine(s, m, p->model)) || (st = check_model(s, m)))
        return st;
    if (s->ops == &vrt__session_cpu && (st = open_cpu(s, m))) return st;
    lay_out(s, m);
    return VRT_OK;
}

vrt_status vrt__parallel_run_cpu(vrt_session_t *s, int slot, const vrt_frame *f, int64_t times[3]) {
    vrt__parallel *m = s->parallel;
    char e[256] = "";
    int64_t t0 = vrt_now_ns();
    vrt_status st = vrt_preprocess_frame(f, &m->pre, m->in, m->in_bytes, NULL, e, sizeof(e));
    if (st) return vrt__session_fail(s, st, "second model's preprocess: %s", e);
    int64_t t1 = vrt_now_ns();
    vrt_engine_tensor in = {m->in, VRT_DTYPE_FLOAT, m->in_bytes};
    vrt_engine_tensor out[VRT_SESSION_MAX_OUTPUTS];
    for (int i = 0; i < m->n_out; i++)
        out[i] = (vrt_engine_tensor){m->out[i], VRT_DTYPE_FLOAT, m->out_values[i] * sizeof(float)};
    if ((st = vrt_engine_run(m->eng, &in, 1, out, m->n_out)))
        return vrt__session_fail(s, st, "second model: %s", vrt_engine_last_error(m->eng));
    int64_t t2 = vrt_now_ns();
    const float *o[VRT__HEAD_MAX_OUTPUTS];
    for (int j = 0; j < m->hp.num_outputs; j++)
        o[j] = m->out[m->hp.outputs[j]];
    if ((st = m->head->cpu->run(m->cpu_head, &m->hp, o, &m->geom, (void *)s->slot[slot].pres.payload, e,
                                sizeof(e))))
        return vrt__session_fail(s, st, "second model's head: %s", e);
    if (m->hp.refine.radius > 0 &&
        (st = vrt__head_refine(m->cpu_head, &m->hp, f, (void *)s->slot[slot].pres.payload, e, sizeof(e))))
        return vrt__session_fail(s, st, "second model's depth refinement: %s", e);
    times[0] = t1 - t0;
    times[1] = t2 - t1;
    times[2] = vrt_now_ns() - t2;
    return VRT_OK;
}

void vrt__parallel_join_cpu(vrt_session_t *s, int slot) {
    const vrt__parallel *m = s->parallel;
    if (!m || m->object_depth == VRT__OD_NONE) return;
    vrt__session_slot *sl = &s->slot[slot];
    const vrt_result *boxes = m->object_depth == VRT__OD_FIRST ? &sl->res[0] : &sl->pres;
    const vrt_result *depth = m->object_depth == VRT__OD_FIRST ? &sl->pres : &sl->res[0];
    vrt__object_depth *od = (vrt__object_depth *)boxes->object_depth;
    const vrt_detections *d = boxes->payload;
    od->n = d->count < 0 ? 0 : d->count > VRT_DETECT_MAX ? VRT_DETECT_MAX : d->count;
    for (int i = 0; i < od->n; i++)
        if (vrt_result_depth_median(depth, &d->det[i].box, &od->raw[i], &od->norm[i]) != VRT_OK)
            od->raw[i] = od->norm[i] = NAN;
}
