/*
 * Post-training INT8 quantization (vrt/quantize.h): calibration on the CPU
 * backend, range selection (entropy / percentile / min-max), per-layer
 * sensitivity and the QDQ writer (model/onnx_write.c).
 *
 * The activations are observed by re-opening the model with each one added
 * as a graph output (vrt__onnx_add_outputs) in a temporary file next to the
 * output; two passes over the images: the largest |x| of each, then its
 * histogram of |x| over [0, max] in HBINS bins.
 */
#include "vrt/quantize.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/ir.h"
#include "model/onnx_write.h"
#include "vrt/engine.h"
#include "vrt/image.h"
#include "vrt/profile.h"
#include "vrt/vision.h"

#define HBINS 2048

typedef struct act {
    const char *name; /* IR tensor name */
    int out;          /* engine output index in the calibration model */
    int is_input;     /* a graph input: observed in the pre-processed image */
    float absmax, min, max;
    int64_t channels, plane; /* NCHW: C and H * W (0: not a conv input) */
    double *csum;            /* per-channel sums over the images (a conv input's) */
    double csum_n;           /* values summed per channel */
    double hist[HBINS];
    float scale;
    uint8_t zp;
} act;

typedef struct layer {
    char *name;
    int x, y; /* act indices */
    vrt__qdq_conv conv;
    float xs, ys; /* input and output scales (the report's) */
    double sensitivity;
    int quantized;
    int head; /* its output reaches a graph output through no other Conv: stays float */
    int64_t group;
    float *bias; /* the bias corrected for the weights' rounding (conv.b points here) */
} layer;

struct vrt_quantize_report {
    layer *layers;
    int n_layers;
};

typedef struct qstate {
    const vrt_quantize_params *p;
    const char *model, *out;
    uint8_t *src;
    size_t len;
    vrt__ir *ir;
    act *acts;
    int n_acts;
    layer *layers;
    int n_layers;
    vrt_profile prof;
    float *input; /* one pre-processed image */
    size_t in_bytes;
    float **outs; /* per engine output */
    size_t *out_n;
    int n_outs;
    float *ref;   /* fp32 output 0 per sensitivity image */
    size_t ref_n; /* elements of output 0 */
    char tmp[1100];
} qstate;

void vrt_quantize_default_params(vrt_quantize_params *p) {
    memset(p, 0, sizeof(*p));
    p->method = VRT_CALIB_ENTROPY;
    p->percentile = 99.99;
    p->max_sensitivity = 0.25;
    p->sensitivity_images = 4;
}

static void progress(const qstate *s, const char *stage, int done, int total) {
    if (s->p->progress) s->p->progress(s->p->user, stage, done, total);
}

static vrt_status read_all(const char *path, uint8_t **buf, size_t *len, char *err, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        vrt_errbuf_set(err, cap, "%s: cannot open", path);
        return VRT_ENOENT;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = n > 0 ? vrt_malloc((size_t)n) : NULL;
    int ok = *buf && fread(*buf, 1, (size_t)n, f) == (size_t)n;
    fclose(f);
    if (!ok) {
        vrt_free(*buf);
        *buf = NULL;
        vrt_errbuf_set(err, cap, "%s: cannot read", path);
        return VRT_EIO;
    }
    *len = (size_t)n;
    return VRT_OK;
}

static vrt_status write_all(const char *path, const uint8_t *buf, size_t len, char *err, size_t cap) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f)) ok = 0;
    if (!ok) {
        vrt_errbuf_set(err, cap, "%s: cannot write", path);
        return VRT_EIO;
    }
    return VRT_OK;
}

/* ---- the model: Convs and their activations ---- */

static int add_act(qstate *s, const char *name) {
    for (int i = 0; i < s->n_acts; i++)
        if (!strcmp(s->acts[i].name, name)) return i;
    s->acts[s->n_acts].name = name;
    s->acts[s->n_acts].out = -1;
    return s->n_acts++;
}

/* y's SiLU, Mul(y, Sigmoid(y)) with y read by those two only: the Mul's output, else -1. */
static int silu_out(const vrt__ir *ir, const vrt__tensor *y) {
    if (y->n_consumers != 2 || y->is_output) return -1;
    const vrt__node *a = &ir->nodes[y->consumers[0]], *b = &ir->nodes[y->consumers[1]];
    if (!strcmp(a->op_type, "Mul")) {
        const vrt__node *t = a;
        a = b, b = t;
    }
    if (strcmp(a->op_type, "Sigmoid") || strcmp(b->op_type, "Mul") || b->n_inputs != 2) return -1;
    const vrt__tensor *s = &ir->tensors[a->outputs[0]];
    if (s->n_consumers != 1 || s->is_output || &ir->nodes[s->consumers[0]] != b) return -1;
    return b->outputs[0];
}

/* The tensor a Conv's quantized output is taken at: after a Relu that alone reads it or
 * a SiLU, so that the integer conv applies the activation before its one rounding (the
 * model/passes_q.c fold) instead of rounding the conv's output and the activation's. */
static int conv_out(const vrt__ir *ir, const vrt__node *n) {
    int t = n->outputs[0];
    const vrt__tensor *y = &ir->tensors[t];
    if (y->n_consumers == 1 && !y->is_output) {
        const vrt__node *r = &ir->nodes[y->consumers[0]];
        if (!strcmp(r->op_type, "Relu")) return r->outputs[0];
    }
    int s = silu_out(ir, y);
    return s >= 0 ? s : t;
}

/* to_out[t] = 1 for each tensor t from which a graph output is reached through no Conv:
 * one backward sweep over the topological order. */
static char *outputs_without_conv(const vrt__ir *ir) {
    char *r = vrt_calloc((size_t)ir->n_tensors + 1, 1);
    if (!r) return NULL;
    for (int t = 0; t < ir->n_tensors; t++)
        r[t] = (char)ir->tensors[t].is_output;
    for (int i = ir->n_nodes - 1; i >= 0; i--) {
        const vrt__node *n = &ir->nodes[i];
        int reach = 0;
        for (int o = 0; o < n->n_outputs && strcmp(n->op_type, "Conv"); o++)
            reach |= n->outputs[o] >= 0 && r[n->outputs[o]];
        for (int k = 0; k < n->n_inputs && reach; k++)
            if (n->inputs[k] >= 0) r[n->inputs[k]] = 1;
    }
    return r;
}

static vrt_status add_layer(qstate *s, const vrt__node *n, const char *to_out, char *err, size_t cap) {
    const vrt__ir *ir = s->ir;
    const vrt__tensor *x = &ir->tensors[n->inputs[0]], *w = &ir->tensors[n->inputs[1]];
    if (x->dtype != VRT__DT_FLOAT || w->dtype != VRT__DT_FLOAT) {
        vrt_errbuf_set(err, cap,
                       "node '%s' (Conv): input or weight is %s; vrt quantize takes fp32 "
                       "models (convert fp16 ones to fp32 first)",
                       n->name, vrt__dtype_name(x->dtype != VRT__DT_FLOAT ? x->dtype : w->dtype));
        return VRT_EUNSUPPORTED;
    }
    if (!w->data) { /* a DequantizeLinear's output: quantized already, or a computed weight */
        char from[400] = "a graph input";
        if (w->producer >= 0)
            snprintf(from, sizeof(from), "made by node '%s' (%s)", ir->nodes[w->producer].name,
                     ir->nodes[w->producer].op_type);
        vrt_errbuf_set(err, cap,
                       "node '%s' (Conv): its weight '%s' is not a constant (%s); vrt quantize takes "
                       "fp32 models with constant weights, not quantized ones",
                       n->name, w->name, from);
        return VRT_EUNSUPPORTED;
    }
    const vrt__tensor *b = n->n_inputs > 2 && n->inputs[2] >= 0 ? &ir->tensors[n->inputs[2]] : NULL;
    layer *l = &s->layers[s->n_layers++];
    l->name = vrt_strdup(n->name);
    if (!l->name) return VRT_ENOMEM;
    l->x = add_act(s, x->name);
    act *xa = &s->acts[l->x];
    xa->is_input = x->kind == VRT__TK_INPUT;
    if (x->shape.ndim >= 3 && !xa->csum && x->shape.d[0] > 0 && x->shape.d[1] > 0) {
        xa->channels = x->shape.d[1];
        xa->plane = vrt__shape_numel(&x->shape) / (x->shape.d[0] * x->shape.d[1]);
        if (!(xa->csum = vrt_calloc((size_t)xa->channels, sizeof(double)))) return VRT_ENOMEM;
    }
    const vrt__attr *g = vrt__node_attr(n, "group");
    l->group = g && g->i > 0 ? g->i : 1;
    l->y = add_act(s, ir->tensors[conv_out(ir, n)].name);
    l->conv = (vrt__qdq_conv){w->name,
                              b && b->data ? b->name : NULL,
                              w->data,
                              w->shape.d[0],
                              vrt__shape_numel(&w->shape) / w->shape.d[0],
                              w->shape.d,
                              w->shape.ndim,
                              b && b->data ? b->data : NULL,
                              1.0f};
    /* A detector's box / objectness / class predictions and a classifier's last layer:
     * their rounding lands in the result unfiltered (a box edge moves with every step
     * of the box conv's output range), and they are a few small convs: int8 deployments
     * of YOLO-family detectors keep them float too. */
    l->head = to_out[n->outputs[0]];
    l->quantized = !l->head;
    return VRT_OK;
}

static vrt_status find_convs(qstate *s, char *err, size_t cap) {
    const vrt__ir *ir = s->ir;
    if (vrt__ir_opset(ir, "") < 13) {
        vrt_errbuf_set(err, cap,
                       "%s: opset %lld; quantization needs opset 13 or newer (per-channel "
                       "DequantizeLinear): convert it first (onnx.version_converter)",
                       s->model, (long long)vrt__ir_opset(ir, ""));
        return VRT_EUNSUPPORTED;
    }
    s->layers = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(layer));
    s->acts = vrt_calloc((size_t)ir->n_nodes * 2 + 2, sizeof(act));
    char *to_out = outputs_without_conv(ir);
    vrt_status st = s->layers && s->acts && to_out ? VRT_OK : VRT_ENOMEM;
    for (int i = 0; i < ir->n_nodes && !st; i++)
        if (!strcmp(ir->nodes[i].op_type, "Conv") && ir->nodes[i].n_inputs >= 2)
            st = add_layer(s, &ir->nodes[i], to_out, err, cap);
    vrt_free(to_out);
    if (!st && !s->n_layers) {
        vrt_errbuf_set(err, cap, "%s: no Conv with constant fp32 weights to quantize", s->model);
        st = VRT_EUNSUPPORTED;
    }
    return st;
}

/* ---- running the model ---- */

/* Opens `bytes` (written to the temporary file) on the CPU backend. */
static vrt_status open_bytes(qstate *s, const uint8_t *bytes, size_t len, vrt_engine_t **e, char *err,
                             size_t cap) {
    vrt_status st = write_all(s->tmp, bytes, len, err, cap);
    if (st) return st;
    vrt_engine_params ep;
    vrt_engine_default_params(&ep);
    ep.threads = s->p->threads;
    st = vrt_engine_open(s->tmp, &ep, e, err, cap);
    unlink(s->tmp);
    return st;
}

static vrt_status alloc_outputs(qstate *s, vrt_engine_t *e) {
    s->n_outs = vrt_engine_num_outputs(e);
    s->outs = vrt_calloc((size_t)s->n_outs, sizeof(float *));
    s->out_n = vrt_calloc((size_t)s->n_outs, sizeof(size_t));
    if (!s->outs || !s->out_n) return VRT_ENOMEM;
    for (int i = 0; i < s->n_outs; i++) {
        vrt_model_tensor_info info;
        vrt_engine_output_info(e, i, &info);
        size_t n = 1;
        for (int d = 0; d < info.ndim; d++)
            n *= (size_t)info.dims[d];
        s->out_n[i] = n;
        if (!(s->outs[i] = vrt_malloc(n * sizeof(float)))) return VRT_ENOMEM;
        for (int a = 0; a < s->n_acts; a++)
            if (!strcmp(s->acts[a].name, info.name)) s->acts[a].out = i;
    }
    return VRT_OK;
}

/* Image k through the profile's pre-processing into s->input, then the engine. */
static vrt_status run_image(qstate *s, vrt_engine_t *e, int k, int n_outs, char *err, size_t cap) {
    vrt_frame *f = NULL;
    const char *path = s->p->images[k];
    vrt_status st = vrt_image_load(path, 0, &f, err, cap);
    if (st) {
        char why[300];
        snprintf(why, sizeof(why), "%s", err ? err : "");
        int unreadable = st == VRT_ENOENT || st == VRT_EIO || st == VRT_EACCES;
        vrt_errbuf_set(err, cap, "calibration image %s %s: %s", path,
                       unreadable ? "cannot be read" : "does not decode", why);
        return unreadable ? st : VRT_EBADDATA;
    }
    st = vrt_preprocess_frame(f, &s->prof.pre, s->input, s->in_bytes, NULL, err, cap);
    vrt_frame_unref(&f);
    if (st) return st;
    vrt_engine_tensor in = {s->input, VRT_DTYPE_FLOAT, s->in_bytes};
    vrt_engine_tensor outs[256];
    for (int i = 0; i < n_outs && i < 256; i++)
        outs[i] = (vrt_engine_tensor){s->outs[i], VRT_DTYPE_FLOAT, s->out_n[i] * sizeof(float)};
    st = vrt_engine_run(e, &in, 1, outs, n_outs < 256 ? n_outs : 256);
    if (st) vrt_errbuf_set(err, cap, "%s: %s", path, vrt_engine_last_error(e));
    return st;
}

static void observe(qstate *s, int pass) {
    for (int a = 0; a < s->n_acts; a++) {
        act *x = &s->acts[a];
        if (x->out < 0 && !x->is_input) continue;
        const float *v = x->is_input ? s->input : s->outs[x->out];
        size_t n = x->is_input ? s->in_bytes / sizeof(float) : s->out_n[x->out];
        if (pass == 0 && x->csum) {
            for (size_t i = 0; i < n; i++)
                x->csum[(i / (size_t)x->plane) % (size_t)x->channels] += v[i];
            x->csum_n += (double)n / (double)x->channels;
        }
        if (pass == 0) {
            for (size_t i = 0; i < n; i++) {
                float m = fabsf(v[i]);
                x->absmax = m > x->absmax ? m : x->absmax;
                x->min = v[i] < x->min ? v[i] : x->min;
                x->max = v[i] > x->max ? v[i] : x->max;
            }
            continue;
        }
        double w = x->absmax > 0 ? HBINS / (double)x->absmax : 0;
        for (size_t i = 0; i < n; i++) {
            int b = (int)(fabsf(v[i]) * w);
            x->hist[b < HBINS ? b : HBINS - 1] += 1;
        }
    }
}

static vrt_status calibrate(qstate *s, char *err, size_t cap) {
    const char **names = vrt_calloc((size_t)s->n_acts + 1, sizeof(char *));
    if (!names) return VRT_ENOMEM;
    int nn = 0;
    for (int a = 0; a < s->n_acts; a++)
        if (!s->acts[a].is_input) names[nn++] = s->acts[a].name;
    uint8_t *cb = NULL;
    size_t cl = 0;
    vrt_status st = vrt__onnx_add_outputs(s->src, s->len, names, nn, &cb, &cl);
    vrt_free(names);
    vrt_engine_t *e = NULL;
    if (!st) st = open_bytes(s, cb, cl, &e, err, cap);
    vrt_free(cb);
    if (!st) st = alloc_outputs(s, e);
    int ns = s->p->sensitivity_images < s->p->n_images ? s->p->sensitivity_images : s->p->n_images;
    if (!st) s->ref_n = s->out_n[0];
    if (!st && !(s->ref = vrt_malloc((size_t)(ns > 0 ? ns : 1) * s->ref_n * sizeof(float)))) st = VRT_ENOMEM;
    for (int pass = 0; pass < 2 && !st; pass++)
        for (int k = 0; k < s->p->n_images && !st; k++) {
            progress(s, pass ? "histogram" : "calibrate", k, s->p->n_images);
            if ((st = run_image(s, e, k, s->n_outs, err, cap))) break;
            observe(s, pass);
            if (pass == 0 && k < ns)
                memcpy(s->ref + (size_t)k * s->ref_n, s->outs[0], s->ref_n * sizeof(float));
        }
    vrt_engine_destroy(&e);
    return st;
}

/* ---- ranges ---- */

/* KL(P || Q) of the reference histogram cut at i bins and its quantization to `levels` levels. */
static double kl_at(const double *h, int i, int levels) {
    static double p[HBINS], q[HBINS];
    double outl = 0, sp = 0, sq = 0, kl = 0;
    for (int j = i; j < HBINS; j++)
        outl += h[j];
    for (int j = 0; j < i; j++)
        p[j] = h[j];
    p[i - 1] += outl;
    double w = (double)i / levels;
    for (int l = 0; l < levels; l++) {
        int a = (int)(l * w), b = (int)((l + 1) * w);
        if (b > i) b = i;
        if (b <= a) b = a + 1;
        double sum = 0;
        int nz = 0;
        for (int j = a; j < b; j++)
            sum += h[j], nz += h[j] != 0;
        for (int j = a; j < b; j++)
            q[j] = h[j] != 0 ? sum / nz : 0;
    }
    for (int j = 0; j < i; j++)
        sp += p[j], sq += q[j];
    if (sp <= 0 || sq <= 0) return INFINITY;
    for (int j = 0; j < i; j++) {
        if (p[j] <= 0) continue;
        double pj = p[j] / sp, qj = q[j] / sq;
        kl += qj > 0 ? pj * log(pj / qj) : pj * log(pj / 1e-12);
    }
    return kl;
}

/* Mostly non-negative (a ReLU's or SiLU's output, whose minimum is -0.28): the
 * asymmetric range spends (nearly) all 256 levels on [0, T]. */
static int one_sided(const act *x) {
    return x->min >= -x->absmax / 8;
}

static float threshold(const qstate *s, const act *x) {
    double bw = x->absmax / HBINS, total = 0;
    if (x->absmax <= 0) return 1e-6f;
    if (s->p->method == VRT_CALIB_MINMAX) return x->absmax;
    for (int j = 0; j < HBINS; j++)
        total += x->hist[j];
    if (s->p->method == VRT_CALIB_PERCENTILE) {
        double c = 0, want = total * s->p->percentile / 100.0;
        for (int j = 0; j < HBINS; j++)
            if ((c += x->hist[j]) >= want) return (float)((j + 1) * bw);
        return x->absmax;
    }
    int levels = one_sided(x) ? 256 : 128, best = HBINS;
    double bk = INFINITY;
    for (int i = levels; i <= HBINS; i += 16) {
        double k = kl_at(x->hist, i, levels);
        if (k < bk) bk = k, best = i;
    }
    return (float)((best + 0.5) * bw);
}

static void pick_scales(qstate *s) {
    for (int a = 0; a < s->n_acts; a++) {
        act *x = &s->acts[a];
        float t = threshold(s, x);
        /* The range [lo, hi] is the threshold clipped to what was seen: uint8 with the zero
         * point at lo, so a SiLU output ([-0.28, T]) gets 255 levels instead of the 127 of
         * a symmetric range, and a two-sided one ([-T, T]) keeps zero point 128. */
        float lo = x->min >= 0 ? 0 : (x->min > -t ? x->min : -t);
        float hi = x->min >= 0 || one_sided(x) || x->max > t ? t : (x->max > 0 ? x->max : 0);
        x->scale = (hi - lo) / 255.0f;
        if (!(x->scale > 0)) x->scale = 1e-6f;
        float zp = nearbyintf(-lo / x->scale);
        x->zp = (uint8_t)(zp < 0 ? 0 : zp > 255 ? 255 : zp);
    }
    for (int i = 0; i < s->n_layers; i++) {
        layer *l = &s->layers[i];
        l->conv.x_scale = l->xs = s->acts[l->x].scale;
        l->ys = s->acts[l->y].scale;
    }
}

/* Bias correction (Nagel et al., "Data-Free Quantization", 2019): rounding a channel's
 * weights shifts its output's mean by sum (wq - w) * E[x]; subtracting that from the bias
 * removes the shift, which depthwise convs (9 weights a channel) show most. E[x] per input
 * channel over the calibration images; the padding's zeros are not counted. */
static vrt_status correct_biases(qstate *s) {
    for (int i = 0; i < s->n_layers; i++) {
        layer *l = &s->layers[i];
        const act *x = &s->acts[l->x];
        const vrt__qdq_conv *c = &l->conv;
        if (!c->b || !x->csum || c->M % l->group || x->channels % l->group) continue;
        int64_t cin = x->channels / l->group, taps = c->per / cin, mg = c->M / l->group;
        if (taps * cin != c->per) continue;
        float *ws = vrt_malloc((size_t)c->M * sizeof(float));
        int8_t *wq = vrt_malloc((size_t)(c->M * c->per));
        l->bias = vrt_malloc((size_t)c->M * sizeof(float));
        if (!ws || !wq || !l->bias) {
            vrt_free(ws), vrt_free(wq);
            return VRT_ENOMEM;
        }
        vrt__qdq_weights(c, ws, wq);
        double n = x->csum_n > 0 ? x->csum_n : 1;
        for (int64_t m = 0; m < c->M; m++) {
            double shift = 0;
            const float *w = c->w + m * c->per;
            const double *mean = x->csum + (m / mg) * cin;
            for (int64_t k = 0; k < c->per; k++)
                shift += ((double)wq[m * c->per + k] * ws[m] - w[k]) * mean[k / taps];
            l->bias[m] = (float)(c->b[m] - shift / n);
        }
        l->conv.b = l->bias;
        vrt_free(ws), vrt_free(wq);
    }
    return VRT_OK;
}

/* ---- writing and sensitivity ---- */

/* The model with the layers whose flag is set quantized (only = -1), or only layer `only`. */
static vrt_status write_model(qstate *s, int only, uint8_t **out, size_t *len, char *err, size_t cap) {
    vrt__qdq_act *qa = vrt_calloc((size_t)s->n_acts + 1, sizeof(*qa));
    vrt__qdq_conv *qc = vrt_calloc((size_t)s->n_layers + 1, sizeof(*qc));
    char *used = vrt_calloc((size_t)s->n_acts + 1, 1);
    int na = 0, nc = 0;
    vrt_status st = VRT_ENOMEM;
    if (qa && qc && used) {
        for (int i = 0; i < s->n_layers; i++) {
            const layer *l = &s->layers[i];
            if (only >= 0 ? i != only : !l->quantized) continue;
            qc[nc++] = l->conv;
            used[l->x] = used[l->y] = 1;
        }
        for (int a = 0; a < s->n_acts; a++)
            if (used[a]) qa[na++] = (vrt__qdq_act){s->acts[a].name, s->acts[a].scale, s->acts[a].zp};
        st = vrt__onnx_write_qdq(s->src, s->len, qa, na, qc, nc, out, len, err, cap);
    }
    vrt_free(qa), vrt_free(qc), vrt_free(used);
    return st;
}

static vrt_status sensitivity(qstate *s, char *err, size_t cap) {
    int ns = s->p->sensitivity_images < s->p->n_images ? s->p->sensitivity_images : s->p->n_images;
    for (int i = 0; i < s->n_layers && ns > 0; i++) {
        progress(s, "sensitivity", i, s->n_layers);
        if (s->layers[i].head) continue; /* float whatever it measures */
        uint8_t *b = NULL;
        size_t len = 0;
        vrt_engine_t *e = NULL;
        vrt_status st = write_model(s, i, &b, &len, err, cap);
        if (!st) st = open_bytes(s, b, len, &e, err, cap);
        vrt_free(b);
        double num = 0, den = 0;
        for (int k = 0; k < ns && !st; k++) {
            if ((st = run_image(s, e, k, 1, err, cap))) break;
            const float *r = s->ref + (size_t)k * s->ref_n;
            for (size_t j = 0; j < s->ref_n; j++)
                num += (double)(s->outs[0][j] - r[j]) * (s->outs[0][j] - r[j]), den += (double)r[j] * r[j];
        }
        vrt_engine_destroy(&e);
        if (st) return st;
        s->layers[i].sensitivity = den > 0 ? sqrt(num / den) : 0;
        if (s->p->max_sensitivity > 0 && s->layers[i].sensitivity > s->p->max_sensitivity)
            s->layers[i].quantized = 0;
    }
    progress(s, "sensitivity", s->n_layers, s->n_layers);
    return VRT_OK;
}

/* ---- the entry point ---- */

static vrt_status check_params(const vrt_quantize_params *p, char *err, size_t cap) {
    if (!p->images || p->n_images <= 0) {
        vrt_errbuf_set(err, cap, "no calibration images: give at least one JPEG or PNG (--calib)");
        return VRT_EINVAL;
    }
    if ((int)p->method < 0 || p->method > VRT_CALIB_MINMAX) {
        vrt_errbuf_set(err, cap, "method %d: use entropy, percentile or minmax", (int)p->method);
        return VRT_EINVAL;
    }
    if (p->method == VRT_CALIB_PERCENTILE && !(p->percentile > 0 && p->percentile <= 100)) {
        vrt_errbuf_set(err, cap, "percentile %g: must be in (0, 100]", p->percentile);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

static vrt_status load_profile(qstate *s, char *err, size_t cap) {
    vrt_status st = s->p->profile ? vrt_profile_load(s->p->profile, &s->prof, err, cap)
                                  : vrt_profile_from_model(s->model, &s->prof, err, cap);
    if (st) return st;
    /* The tensor the fp32 model takes, whatever the profile says (an fp16 model's profile). */
    s->prof.pre.dtype = VRT_TENSOR_F32;
    s->in_bytes = vrt_preprocess_output_size(&s->prof.pre);
    s->input = vrt_malloc(s->in_bytes);
    return s->input ? vrt_preprocess_check(&s->prof.pre, err, cap) : VRT_ENOMEM;
}

static void state_free(qstate *s) {
    for (int a = 0; a < s->n_acts && s->acts; a++)
        vrt_free(s->acts[a].csum);
    for (int i = 0; i < s->n_outs && s->outs; i++)
        vrt_free(s->outs[i]);
    vrt_free(s->outs), vrt_free(s->out_n), vrt_free(s->ref), vrt_free(s->input), vrt_free(s->acts);
    vrt__ir_destroy(&s->ir);
    vrt_free(s->src);
}

static vrt_status quantize(qstate *s, char *err, size_t cap) {
    vrt_status st;
    if ((st = check_params(s->p, err, cap)) || (st = load_profile(s, err, cap)) ||
        (st = read_all(s->model, &s->src, &s->len, err, cap)) ||
        (st = vrt__ir_load_onnx(s->model, NULL, &s->ir, err, cap)) || (st = find_convs(s, err, cap)) ||
        (st = calibrate(s, err, cap)))
        return st;
    pick_scales(s);
    if ((st = correct_biases(s)) || (st = sensitivity(s, err, cap))) return st;
    uint8_t *b = NULL;
    size_t len = 0;
    if ((st = write_model(s, -1, &b, &len, err, cap))) return st;
    st = write_all(s->out, b, len, err, cap);
    vrt_free(b);
    return st;
}

vrt_status vrt_quantize_model(const char *model, const char *out, const vrt_quantize_params *p,
                              vrt_quantize_report_t **rep, char *err, size_t cap) {
    vrt_quantize_params def;
    if (rep) *rep = NULL;
    if (!model || !out) return VRT_EINVAL;
    if (!p) vrt_quantize_default_params(&def), p = &def;
    qstate s;
    memset(&s, 0, sizeof(s));
    s.p = p, s.model = model, s.out = out;
    snprintf(s.tmp, sizeof(s.tmp), "%s.calib-%d.onnx", out, (int)getpid());
    vrt_status st = quantize(&s, err, cap);
    vrt_quantize_report_t *r = NULL;
    if (!st && rep && !(r = vrt_calloc(1, sizeof(*r)))) st = VRT_ENOMEM;
    if (r) {
        r->layers = s.layers, r->n_layers = s.n_layers;
        for (int i = 0; i < s.n_layers; i++) { /* names from the IR die with it */
            r->layers[i].conv = (vrt__qdq_conv){0};
            vrt_free(r->layers[i].bias);
            r->layers[i].bias = NULL;
        }
        s.layers = NULL;
        *rep = r;
    }
    for (int i = 0; s.layers && i < s.n_layers; i++)
        vrt_free(s.layers[i].name), vrt_free(s.layers[i].bias);
    vrt_free(s.layers);
    state_free(&s);
    return st;
}

int vrt_quantize_report_layers(const vrt_quantize_report_t *r) {
    return r ? r->n_layers : 0;
}

vrt_status vrt_quantize_report_layer(const vrt_quantize_report_t *r, int i, vrt_quantize_layer *out) {
    if (!r || !out || i < 0 || i >= r->n_layers) return VRT_EINVAL;
    const layer *l = &r->layers[i];
    out->name = l->name;
    out->x_scale = l->xs;
    out->y_scale = l->ys;
    out->sensitivity = l->sensitivity;
    out->quantized = l->quantized;
    out->output_layer = l->head;
    return VRT_OK;
}

void vrt_quantize_report_destroy(vrt_quantize_report_t **r) {
    if (!r || !*r) return;
    for (int i = 0; i < (*r)->n_layers; i++)
        vrt_free((*r)->layers[i].name);
    vrt_free((*r)->layers);
    vrt_free(*r);
    *r = NULL;
}
