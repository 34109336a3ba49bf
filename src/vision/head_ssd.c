/* The SSD heads: `detect-ssd` reads the pytorch-ssd / jetson-inference
 * export (scores [1,N,C] after softmax with class 0 the background, boxes
 * [1,N,4] corners in 0..1); `detect-ssd-raw` reads class scores (logits with
 * the profile's softmax = 1; some exports, UltraFace's among them, keep
 * the Softmax node) and location encodings, decoded with priors from the
 * profile's spec (vrt_ssd_params): centre = loc * centre_variance * prior
 * size + prior centre, size = exp(loc * size_variance) * prior size. Both:
 * per-class score threshold and NMS over the foreground classes (class ids
 * are the model's, so labels files that start with BACKGROUND line up),
 * boxes mapped back through the pre-processing geometry. Result kind
 * DETECTIONS. CPU twin here; the CUDA twin is cuda/head_ssd_cuda.c. */
#include <math.h>
#include <string.h>

#include "vision/heads_impl.h"
#include "vision/vision_impl.h"

int vrt__ssd_priors(const vrt_ssd_params *s, uint32_t input_w, uint32_t input_h, float *out) {
    int n = 0;
    for (int l = 0; l < s->num_levels; l++)
        for (int i = 0; i < s->fm_h[l]; i++)
            for (int j = 0; j < s->fm_w[l]; j++)
                for (int k = 0; k < s->num_sizes[l]; k++, n++) {
                    if (!out) continue;
                    float *p = out + 4 * (size_t)n;
                    p[0] = ((float)j + 0.5f) / (float)s->fm_w[l];
                    p[1] = ((float)i + 0.5f) / (float)s->fm_h[l];
                    p[2] = s->min_sizes[l][k] / (float)input_w;
                    p[3] = s->min_sizes[l][k] / (float)input_h;
                    for (int c = 0; s->clip_priors && c < 4; c++)
                        p[c] = fminf(fmaxf(p[c], 0.0f), 1.0f);
                }
    return n;
}

/* The raw head's priors: feature maps from the profile or from its strides. */
static vrt_status configure_priors(const vrt_profile *prof, vrt__head_params *hp, int n, char *err,
                                   size_t cap) {
    vrt_ssd_params *s = &hp->ssd;
    *s = prof->ssd;
    if (s->num_levels < 1) {
        vrt_errbuf_set(err, cap,
                       "profile '%s': detect-ssd-raw needs the prior spec: ssd_min_sizes per level (and "
                       "ssd_feature_maps or strides)",
                       prof->name);
        return VRT_EINVAL;
    }
    for (int l = 0; l < s->num_levels; l++) {
        if (s->fm_w[l] > 0) continue;
        if (prof->det.num_strides != s->num_levels) {
            vrt_errbuf_set(err, cap,
                           "profile '%s': %d levels of ssd_min_sizes but %d strides and no ssd_feature_maps",
                           prof->name, s->num_levels, prof->det.num_strides);
            return VRT_EINVAL;
        }
        int st = prof->det.strides[l];
        s->fm_w[l] = (int)((prof->pre.width + (uint32_t)st - 1) / (uint32_t)st);
        s->fm_h[l] = (int)((prof->pre.height + (uint32_t)st - 1) / (uint32_t)st);
    }
    int np = vrt__ssd_priors(s, prof->pre.width, prof->pre.height, NULL);
    if (np != n) {
        vrt_errbuf_set(err, cap,
                       "profile '%s': the SSD prior spec gives %d priors but the outputs have %d anchors",
                       prof->name, np, n);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

vrt_status vrt__head_ssd_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                   vrt__head_params *hp, char *err, size_t cap) {
    const vrt_model_tensor_info *sc = &out[0], *bx = &out[1];
    const char *task = prof->task == VRT_TASK_DETECT_SSD ? "detect-ssd" : "detect-ssd-raw";
    if (sc->ndim != 3 || sc->dims[2] < 2) {
        vrt_errbuf_set(err, cap,
                       "profile '%s': output '%s' (%s scores) has %d dims; expected [1, N, C] with C >= 2 "
                       "(class 0 the background)",
                       prof->name, sc->name, task, sc->ndim);
        return VRT_EINVAL;
    }
    if (bx->ndim != 3 || bx->dims[2] != 4 || bx->dims[1] != sc->dims[1]) {
        vrt_errbuf_set(err, cap,
                       "profile '%s': output '%s' (%s boxes) has %d dims (last %lld); expected [1, %lld, 4] "
                       "like scores '%s'",
                       prof->name, bx->name, task, bx->ndim,
                       (long long)(bx->ndim ? bx->dims[bx->ndim - 1] : 0), (long long)sc->dims[1], sc->name);
        return VRT_EINVAL;
    }
    const int C = (int)sc->dims[2], N = (int)sc->dims[1];
    if (prof->det.num_classes && prof->det.num_classes != C) {
        vrt_errbuf_set(err, cap,
                       "profile '%s' says num_classes = %d but output '%s' has %d (background included)",
                       prof->name, prof->det.num_classes, sc->name, C);
        return VRT_EINVAL;
    }
    vrt_detect_params *d = &hp->det;
    *d = prof->det;
    d->input_w = prof->pre.width;
    d->input_h = prof->pre.height;
    d->num_classes = C;
    d->num_anchors = N;
    hp->num_classes = C;
    hp->softmax = prof->task == VRT_TASK_DETECT_SSD_RAW && prof->softmax;
    if (d->max_detections < 1 || d->max_detections > VRT_DETECT_MAX || !(d->iou_threshold >= 0.0f) ||
        !(d->iou_threshold <= 1.0f)) {
        vrt_errbuf_set(err, cap, "profile '%s': max_detections 1..%d and iou_threshold 0..1", prof->name,
                       VRT_DETECT_MAX);
        return VRT_EINVAL;
    }
    return prof->task == VRT_TASK_DETECT_SSD_RAW ? configure_priors(prof, hp, N, err, cap) : VRT_OK;
}

typedef struct ssd_cpu {
    int n, C;
    float *priors; /* raw: 4 per anchor */
    float *prob;   /* raw with softmax: C per anchor */
    vrt_box *box;  /* input pixels */
    int *active;
    vrt__nms_cand *cands;
} ssd_cpu;

static void ssd_destroy(void **ctx) {
    ssd_cpu *c = *ctx;
    if (!c) return;
    vrt_free(c->priors);
    vrt_free(c->prob);
    vrt_free(c->box);
    vrt_free(c->active);
    vrt_free(c->cands);
    vrt_free(c);
    *ctx = NULL;
}

static vrt_status ssd_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    ssd_cpu *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    *ctx = c;
    const int raw = hp->task == VRT_TASK_DETECT_SSD_RAW;
    c->n = hp->det.num_anchors;
    c->C = hp->det.num_classes;
    const size_t n = (size_t)c->n;
    c->box = vrt_calloc(n, sizeof(*c->box));
    c->active = vrt_calloc(n, sizeof(*c->active));
    c->cands = vrt_calloc(n, sizeof(*c->cands));
    if (raw) {
        c->priors = vrt_calloc(n * 4, sizeof(float));
        if (hp->softmax) c->prob = vrt_calloc(n * (size_t)c->C, sizeof(float));
    }
    if (!c->box || !c->active || !c->cands || (raw && !c->priors) || (hp->softmax && !c->prob)) {
        vrt_errbuf_set(err, cap, "SSD head: out of memory for %d anchors", c->n);
        return VRT_ENOMEM;
    }
    if (raw) vrt__ssd_priors(&hp->ssd, hp->det.input_w, hp->det.input_h, c->priors);
    return VRT_OK;
}

static float ssd_score(const void *ctx, const float *prob, int a, int cls) {
    const ssd_cpu *c = ctx;
    return prob[(size_t)a * (size_t)c->C + (size_t)cls + 1];
}

/* Softmax of one anchor's logits, as the CUDA twin computes it. */
static void softmax_row(const float *x, float *y, int C) {
    float mx = x[0];
    for (int k = 1; k < C; k++)
        mx = fmaxf(mx, x[k]);
    float sum = 0.0f;
    for (int k = 0; k < C; k++) {
        y[k] = (float)exp((double)(x[k] - mx));
        sum += y[k];
    }
    for (int k = 0; k < C; k++)
        y[k] = y[k] / sum;
}

static void decode_box(const ssd_cpu *c, const vrt__head_params *hp, const float *b, int a, vrt_box *o) {
    const float W = (float)hp->det.input_w, H = (float)hp->det.input_h;
    float x1 = b[0], y1 = b[1], x2 = b[2], y2 = b[3];
    if (c->priors) {
        const float *p = c->priors + 4 * (size_t)a;
        const float cv = hp->ssd.center_variance, sv = hp->ssd.size_variance;
        float cx = b[0] * cv * p[2] + p[0], cy = b[1] * cv * p[3] + p[1];
        float w = (float)exp((double)(b[2] * sv)) * p[2], h = (float)exp((double)(b[3] * sv)) * p[3];
        x1 = cx - 0.5f * w, y1 = cy - 0.5f * h, x2 = cx + 0.5f * w, y2 = cy + 0.5f * h;
    }
    o->x1 = x1 * W, o->y1 = y1 * H, o->x2 = x2 * W, o->y2 = y2 * H;
}

static vrt_status ssd_run(void *ctx, const vrt__head_params *hp, const float *const *out,
                          const vrt_preprocess_geometry *g, void *res, char *err, size_t cap) {
    (void)err;
    (void)cap;
    ssd_cpu *c = ctx;
    const int C = c->C;
    const float *prob = c->prob ? c->prob : out[0];
    int nact = 0;
    for (int a = 0; a < c->n; a++) {
        const size_t r = (size_t)a * (size_t)C;
        if (c->prob) softmax_row(out[0] + r, c->prob + r, C);
        decode_box(c, hp, out[1] + 4 * (size_t)a, a, &c->box[a]);
        for (int k = 1; k < C; k++)
            if (prob[r + (size_t)k] > hp->det.score_threshold) {
                c->active[nact++] = a;
                break;
            }
    }
    vrt__nms_input in = {c->box,
                         c->active,
                         nact,
                         C - 1,
                         1,
                         ssd_score,
                         c,
                         prob,
                         hp->det.score_threshold,
                         hp->det.iou_threshold,
                         hp->det.max_detections,
                         NULL};
    vrt__nms_classwise(&in, c->cands, res);
    vrt__detections_to_frame(res, g, hp->det.clip, hp->det.input_w, hp->det.input_h);
    return VRT_OK;
}

const vrt__head_cpu vrt__head_ssd_cpu = {ssd_create, ssd_run, ssd_destroy};
