/* The session's cascade: opening the secondary classifier, and the CPU twin
 * of the CUDA cascade (session_cascade.h). */
#include "pipeline/session_cascade.h"

#include <stdio.h>
#include <string.h>

void vrt_cascade_default_params(vrt_cascade_params *p) {
    if (!p) return;
    memset(p, 0, sizeof(*p));
    p->max_batch = 16;
    p->min_size = 1;
}

void vrt__cascade_destroy(vrt__cascade **pc) {
    if (!pc || !*pc) return;
    vrt__cascade *c = *pc;
    vrt_engine_destroy(&c->eng);
    vrt_labels_destroy(&c->labels);
    vrt_free(c->in);
    vrt_free(c->out);
    vrt_free(c);
    *pc = NULL;
}

/* max_batch, topk, min_size and classes into the rule. */
static vrt_status make_rule(vrt__cascade *c, const vrt_cascade_params *p, char *err, size_t cap) {
    vrt__cascade_rule *r = &c->rule;
    if (p->max_batch < 1 || p->max_batch > VRT_CASCADE_MAX) {
        vrt_errbuf_set(err, cap, "cascade max_batch = %d; must be 1..%d", p->max_batch, VRT_CASCADE_MAX);
        return VRT_EINVAL;
    }
    int k = p->topk ? p->topk : c->prof.topk;
    if (k < 1) k = 1;
    if (p->topk < 0 || p->topk > VRT_CASCADE_TOPK) {
        vrt_errbuf_set(err, cap, "cascade topk = %d; must be 1..%d (0: the secondary profile's)", p->topk,
                       VRT_CASCADE_TOPK);
        return VRT_EINVAL;
    }
    if (!(p->min_size >= 0) || p->min_size > 1e6f) {
        vrt_errbuf_set(err, cap, "cascade min_size = %g; must be 0 or more pixels", (double)p->min_size);
        return VRT_EINVAL;
    }
    if (p->num_classes < 0 || (p->num_classes > 0 && !p->classes)) {
        vrt_errbuf_set(err, cap, "cascade classes: %d given with %s list", p->num_classes,
                       p->classes ? "a" : "no");
        return VRT_EINVAL;
    }
    r->max_batch = p->max_batch;
    r->topk = k > VRT_CASCADE_TOPK ? VRT_CASCADE_TOPK : k;
    if (r->topk > c->num_classes) r->topk = c->num_classes;
    r->min_size = p->min_size;
    r->any_class = p->num_classes == 0;
    for (int i = 0; i < p->num_classes; i++) {
        int cl = p->classes[i];
        if (cl < 0 || cl >= VRT__CASCADE_CLASS_LIMIT) {
            vrt_errbuf_set(err, cap, "cascade class %d: detector classes 0..%d can be selected", cl,
                           VRT__CASCADE_CLASS_LIMIT - 1);
            return VRT_EINVAL;
        }
        r->mask[cl >> 6] |= 1ull << (cl & 63);
    }
    return VRT_OK;
}

/* The classifier's input must be the secondary profile's crop tensor, its
 * first output one score row per crop. */
static vrt_status check_classifier(vrt__cascade *c, int batch, char *err, size_t cap) {
    vrt_model_tensor_info in, out;
    if (vrt_engine_num_inputs(c->eng) != 1 || vrt_engine_num_outputs(c->eng) < 1) {
        vrt_errbuf_set(err, cap, "cascade model %s: needs one image input and a score output", c->model);
        return VRT_EUNSUPPORTED;
    }
    vrt_engine_input_info(c->eng, 0, &in);
    vrt_engine_output_info(c->eng, 0, &out);
    int64_t n_in = 1, n_out = 1;
    for (int i = 0; i < in.ndim; i++)
        n_in *= in.dims[i];
    for (int i = 0; i < out.ndim; i++)
        n_out *= out.dims[i];
    const int64_t want = 3 * (int64_t)c->pre.width * c->pre.height;
    if (n_in != want * batch || in.ndim != 4 || in.dims[0] != batch) {
        vrt_errbuf_set(
            err, cap,
            "cascade model %s: input '%s' has %lld elements; profile '%s' makes a %dx3x%ux%u batch "
            "of crops (set its width/height to the model's)",
            c->model, in.name, (long long)n_in, c->prof.name, batch, c->pre.height, c->pre.width);
        return VRT_EINVAL;
    }
    if (out.ndim < 1 || out.dims[0] != batch || n_out % batch || n_out / batch < 1 ||
        n_out / batch > (1 << 24)) {
        vrt_errbuf_set(err, cap,
                       "cascade model %s: output '%s' is not one score row per crop (batch %d first); a "
                       "classifier with a [batch, classes] output is needed",
                       c->model, out.name, batch);
        return VRT_EUNSUPPORTED;
    }
    c->num_classes = (int)(n_out / batch);
    c->in_bytes = (size_t)want * sizeof(float);
    return VRT_OK;
}

static vrt_status open_engine(vrt__cascade *c, const vrt_cascade_params *p, const char *backend, int threads,
                              vrt_priority prio, int device, const vrt_engine_options *opt, int batch,
                              char *err, size_t cap) {
    vrt_status st;
    const char *model = p->model;
    char path[VRT_PROFILE_PATH_MAX], e[512] = "";
    if (!model) {
        if (!c->prof.model[0]) {
            vrt_errbuf_set(err, cap, "cascade profile '%s' names no model; give the classifier's ONNX file",
                           c->prof.name);
            return VRT_EINVAL;
        }
        if ((st = vrt_profile_resolve(&c->prof, c->prof.model, NULL, path, sizeof(path), err, cap)))
            return st;
        model = path;
    }
    snprintf(c->model, sizeof(c->model), "%s", model);
    if ((st = vrt_profile_load_labels(&c->prof, c->model, &c->labels, err, cap))) return st;
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.backend = backend;
    ep.threads = threads;
    ep.priority = prio;
    ep.device = device; /* the primary session's GPU: crops never cross devices */
    ep.batch = batch;
    if (opt) ep.options = *opt;
    if ((st = vrt_engine_open(c->model, &ep, &c->eng, e, sizeof(e)))) {
        if (batch > 1)
            vrt_errbuf_set(err, cap,
                           "cascade model %s cannot run a batch of %d crops (%s); export it with a dynamic "
                           "batch or lower max_batch",
                           c->model, batch, e);
        else
            vrt_errbuf_set(err, cap, "cascade model %s: %s", c->model, e);
        return st;
    }
    return check_classifier(c, batch, err, cap);
}

vrt_status vrt__cascade_open(vrt__cascade **out, const vrt_cascade_params *p, const char *backend,
                             int threads, vrt_priority prio, int device, const vrt_engine_options *opt,
                             int batched, uint32_t frame_w, uint32_t frame_h, char *err, size_t cap) {
    *out = NULL;
    if (!p->profile && !p->profile_path) {
        vrt_errbuf_set(err, cap, "cascade: the classifier needs a profile (a classify models/*.conf)");
        return VRT_EINVAL;
    }
    vrt__cascade *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    vrt_status st = VRT_OK;
    if (p->profile)
        c->prof = *p->profile;
    else
        st = vrt_profile_load(p->profile_path, &c->prof, err, cap);
    if (!st && c->prof.task != VRT_TASK_CLASSIFY) {
        vrt_errbuf_set(err, cap, "cascade profile '%s' has task %s; the secondary model must be a classifier",
                       c->prof.name, vrt_task_name(c->prof.task));
        st = VRT_EINVAL;
    }
    c->pre = c->prof.pre;
    c->pre.dtype = VRT_TENSOR_F32;
    c->softmax = c->prof.softmax;
    c->rule.frame_w = frame_w;
    c->rule.frame_h = frame_h;
    const int batch = batched ? (p->max_batch >= 1 && p->max_batch <= VRT_CASCADE_MAX ? p->max_batch : 1) : 1;
    if (!st) st = vrt_preprocess_check(&c->pre, err, cap);
    if (!st) st = open_engine(c, p, backend, threads, prio, device, opt, batch, err, cap);
    if (!st) st = make_rule(c, p, err, cap);
    if (!st && !batched) {
        c->in = vrt_malloc(c->in_bytes);
        c->out = vrt_malloc((size_t)c->num_classes * sizeof(float));
        if (!c->in || !c->out) st = VRT_ENOMEM;
    }
    if (st) {
        vrt__cascade_destroy(&c);
        return st;
    }
    *out = c;
    return VRT_OK;
}

vrt_status vrt__cascade_run_cpu(vrt__cascade *c, const vrt_frame *f, const vrt_detections *d,
                                vrt__cascade_result *out, char *err, size_t cap) {
    const vrt__cascade_rule *r = &c->rule;
    out->n = 0;
    out->k = r->topk;
    for (int i = 0; i < d->count && out->n < r->max_batch; i++)
        if (vrt__cascade_pick(r, &d->det[i].box, d->det[i].class_id)) out->det[out->n++] = i;
    for (int j = 0; j < out->n; j++) {
        char e[256] = "";
        vrt_status st;
        if ((st = vrt_preprocess_rois(f, &d->det[out->det[j]].box, 1, &c->pre, c->in, c->in_bytes, NULL, e,
                                      sizeof(e)))) {
            vrt_errbuf_set(err, cap, "cascade crop %d (detection %d): %s", j, out->det[j], e);
            return st;
        }
        vrt_engine_tensor in = {c->in, VRT_DTYPE_FLOAT, c->in_bytes};
        vrt_engine_tensor o = {c->out, VRT_DTYPE_FLOAT, (size_t)c->num_classes * sizeof(float)};
        if ((st = vrt_engine_run(c->eng, &in, 1, &o, 1))) {
            vrt_errbuf_set(err, cap, "cascade model: %s", vrt_engine_last_error(c->eng));
            return st;
        }
        vrt_class_result cr;
        if ((st = vrt_topk(c->out, VRT_TENSOR_F32, c->num_classes, r->topk, c->softmax, &cr))) return st;
        for (int k = 0; k < r->topk; k++) {
            out->index[j][k] = cr.index[k];
            out->score[j][k] = cr.score[k];
        }
    }
    return VRT_OK;
}
