/* CPU reference post-processing: softmax + top-k, YOLOX / YOLOv8 decode, class-aware NMS. */
#include <math.h>
#include <string.h>

#include "model/dtype.h"
#include "vision/vision_impl.h"
#include "vrt/vision.h"

/* ---- top-k ---------------------------------------------------------------- */

static inline float score_at(const void *s, vrt_tensor_type t, int i) {
    return t == VRT_TENSOR_F16 ? vrt__half_to_float(((const uint16_t *)s)[i]) : ((const float *)s)[i];
}

/* a ranks before b: larger value first; NaN lowest; equal values keep the lower index
 * first, which the scan order (ascending index, insert only when strictly better) gives. */
static inline int better(float a, float b) {
    if (isnan(a)) return 0;
    if (isnan(b)) return 1;
    return a > b;
}

vrt_status vrt_topk(const void *scores, vrt_tensor_type dtype, int n, int k, int softmax,
                    vrt_class_result *out) {
    if (!out) return VRT_EINVAL;
    out->count = 0;
    if (!scores || n < 1 || k < 1 || k > VRT_TOPK_MAX || (unsigned)dtype > VRT_TENSOR_F16) return VRT_EINVAL;
    int kk = k < n ? k : n;
    int cnt = 0;
    for (int i = 0; i < n; i++) {
        float v = score_at(scores, dtype, i);
        if (cnt == kk && !better(v, out->score[cnt - 1])) continue;
        int j = cnt < kk ? cnt++ : kk - 1;
        while (j > 0 && better(v, out->score[j - 1])) {
            out->score[j] = out->score[j - 1];
            out->index[j] = out->index[j - 1];
            j--;
        }
        out->score[j] = v;
        out->index[j] = i;
    }
    out->count = cnt;
    if (softmax) {
        double mx = -INFINITY;
        for (int i = 0; i < n; i++) {
            float v = score_at(scores, dtype, i);
            if (!isnan(v) && v > mx) mx = v;
        }
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            float v = score_at(scores, dtype, i);
            if (!isnan(v)) sum += exp((double)v - mx);
        }
        for (int j = 0; j < cnt; j++) {
            float v = out->score[j];
            out->score[j] = isnan(v) || !(sum > 0.0) ? 0.0f : (float)(exp((double)v - mx) / sum);
        }
    }
    return VRT_OK;
}

/* ---- detection -------------------------------------------------------------- */

void vrt_detect_default_params(vrt_detect_params *p) {
    memset(p, 0, sizeof(*p));
    p->kind = VRT_DETECT_YOLOX;
    p->input_w = 416;
    p->input_h = 416;
    p->num_classes = 80;
    p->num_anchors = 0;
    p->strides[0] = 8;
    p->strides[1] = 16;
    p->strides[2] = 32;
    p->num_strides = 3;
    p->apply_sigmoid = 0;
    p->score_threshold = 0.3f;
    p->iou_threshold = 0.45f;
    p->max_detections = 100;
    p->clip = 1;
}

typedef vrt__nms_cand cand;

struct vrt_detector {
    vrt_detect_params p;
    int n;        /* anchors */
    float *grid;  /* YOLOX: gx, gy, stride per anchor */
    vrt_box *box; /* decoded boxes in input pixels, per anchor */
    float *obj;   /* per anchor objectness (1 for YOLOv8) */
    int *active;  /* anchors with at least one class above the threshold */
    cand *cands;  /* one class's candidates */
    char err[256];
};

float vrt_box_iou(const vrt_box *a, const vrt_box *b) {
    float aw = a->x2 - a->x1, ah = a->y2 - a->y1, bw = b->x2 - b->x1, bh = b->y2 - b->y1;
    if (!(aw > 0 && ah > 0 && bw > 0 && bh > 0)) return 0.0f;
    float iw = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
    float ih = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    if (!(iw > 0 && ih > 0)) return 0.0f;
    float inter = iw * ih;
    return inter / (aw * ah + bw * bh - inter);
}

vrt_status vrt_detector_create(vrt_detector_t **out, const vrt_detect_params *p, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!p) {
        vrt_errbuf_set(err, cap, "detector: no parameters given");
        return VRT_EINVAL;
    }
    if ((unsigned)p->kind > VRT_DETECT_YOLOV8) {
        vrt_errbuf_set(err, cap, "detector: unknown kind %d; use YOLOX or YOLOv8", (int)p->kind);
        return VRT_EINVAL;
    }
    if (p->num_classes < 1 || p->num_classes > 100000) {
        vrt_errbuf_set(err, cap, "detector: num_classes %d out of range (1..100000)", p->num_classes);
        return VRT_EINVAL;
    }
    if (p->max_detections < 1 || p->max_detections > VRT_DETECT_MAX) {
        vrt_errbuf_set(err, cap, "detector: max_detections %d out of range (1..%d)", p->max_detections,
                       VRT_DETECT_MAX);
        return VRT_EINVAL;
    }
    if (!(p->iou_threshold >= 0.0f && p->iou_threshold <= 1.0f) || !isfinite(p->score_threshold)) {
        vrt_errbuf_set(err, cap, "detector: iou_threshold %g must be in 0..1 and score_threshold finite",
                       (double)p->iou_threshold);
        return VRT_EINVAL;
    }
    int n = p->num_anchors;
    if (p->kind == VRT_DETECT_YOLOX) {
        if (p->num_strides < 1 || p->num_strides > VRT_DETECT_MAX_STRIDES) {
            vrt_errbuf_set(err, cap, "detector: YOLOX needs 1..%d strides (e.g. 8,16,32), got %d",
                           VRT_DETECT_MAX_STRIDES, p->num_strides);
            return VRT_EINVAL;
        }
        int64_t total = 0;
        for (int s = 0; s < p->num_strides; s++) {
            int st = p->strides[s];
            if (st < 1 || p->input_w % (uint32_t)st || p->input_h % (uint32_t)st) {
                vrt_errbuf_set(err, cap, "detector: stride %d does not divide the input size %ux%u", st,
                               p->input_w, p->input_h);
                return VRT_EINVAL;
            }
            total += (int64_t)(p->input_w / st) * (p->input_h / st);
        }
        if (total > 10000000) {
            vrt_errbuf_set(err, cap, "detector: %lld anchors is too many", (long long)total);
            return VRT_EINVAL;
        }
        if (n == 0) n = (int)total;
        if (n != total) {
            vrt_errbuf_set(err, cap, "detector: num_anchors %d but strides over %ux%u give %lld", n,
                           p->input_w, p->input_h, (long long)total);
            return VRT_EINVAL;
        }
    } else if (n < 1 || n > 10000000) {
        vrt_errbuf_set(err, cap, "detector: YOLOv8 needs num_anchors (the output's last dimension), got %d",
                       n);
        return VRT_EINVAL;
    }
    vrt_detector_t *d = vrt_calloc(1, sizeof(*d));
    if (!d) goto oom;
    d->p = *p;
    d->p.num_anchors = n;
    d->n = n;
    d->box = vrt_calloc((size_t)n, sizeof(*d->box));
    d->obj = vrt_calloc((size_t)n, sizeof(*d->obj));
    d->active = vrt_calloc((size_t)n, sizeof(*d->active));
    d->cands = vrt_calloc((size_t)n, sizeof(*d->cands));
    if (p->kind == VRT_DETECT_YOLOX) d->grid = vrt_calloc((size_t)n * 3, sizeof(float));
    if (!d->box || !d->obj || !d->active || !d->cands || (p->kind == VRT_DETECT_YOLOX && !d->grid)) goto oom;
    if (p->kind == VRT_DETECT_YOLOX) {
        int a = 0;
        for (int s = 0; s < p->num_strides; s++) {
            int st = p->strides[s];
            int gw = (int)p->input_w / st, gh = (int)p->input_h / st;
            for (int gy = 0; gy < gh; gy++)
                for (int gx = 0; gx < gw; gx++, a++) {
                    d->grid[3 * a] = (float)gx;
                    d->grid[3 * a + 1] = (float)gy;
                    d->grid[3 * a + 2] = (float)st;
                }
        }
    }
    *out = d;
    return VRT_OK;
oom:
    vrt_detector_destroy(&d);
    vrt_errbuf_set(err, cap, "detector: out of memory for %d anchors", n);
    return VRT_ENOMEM;
}

int vrt_detector_num_anchors(const vrt_detector_t *d) {
    return d ? d->n : 0;
}

const char *vrt_detector_error(const vrt_detector_t *d) {
    return d ? d->err : "no detector";
}

void vrt_detector_destroy(vrt_detector_t **dp) {
    if (!dp || !*dp) return;
    vrt_detector_t *d = *dp;
    vrt_free(d->grid);
    vrt_free(d->box);
    vrt_free(d->obj);
    vrt_free(d->active);
    vrt_free(d->cands);
    vrt_free(d);
    *dp = NULL;
}

static inline float sigm(float x) {
    return 1.0f / (1.0f + expf(-x));
}

/* Total order: score descending, then anchor ascending (so the result is stable). */
static inline int cand_before(const cand *a, const cand *b) {
    return a->score > b->score || (a->score == b->score && a->anchor < b->anchor);
}

/* Heap sort (no allocation, unlike glibc's qsort) into cand_before order. */
static void sift(cand *c, int n, int i) {
    for (;;) {
        int l = 2 * i + 1, m = i;
        if (l < n && cand_before(&c[m], &c[l])) m = l; /* max-heap of the "last" element */
        if (l + 1 < n && cand_before(&c[m], &c[l + 1])) m = l + 1;
        if (m == i) return;
        cand t = c[i];
        c[i] = c[m];
        c[m] = t;
        i = m;
    }
}
static void sort_cands(cand *c, int n) {
    for (int i = n / 2 - 1; i >= 0; i--)
        sift(c, n, i);
    for (int e = n - 1; e > 0; e--) {
        cand t = c[0];
        c[0] = c[e];
        c[e] = t;
        sift(c, e, 0);
    }
}

static inline float class_score(const vrt_detector_t *d, const float *o, int a, int c) {
    float s;
    if (d->p.kind == VRT_DETECT_YOLOX)
        s = o[(size_t)a * (size_t)(5 + d->p.num_classes) + 5 + (size_t)c];
    else
        s = o[(size_t)(4 + c) * (size_t)d->n + (size_t)a];
    if (d->p.apply_sigmoid) s = sigm(s);
    return s * d->obj[a];
}

/* Inserts into the final list (sorted by score desc, class asc, anchor asc) of capacity cap. */
static void insert_final(vrt_detections *out, int cap, int *anchors, const vrt_detection *det, int anchor) {
    int n = out->count;
    int j = n < cap ? n : cap - 1;
    if (n == cap) {
        const vrt_detection *last = &out->det[cap - 1];
        if (!(det->score > last->score))
            return; /* classes arrive in ascending order: ties keep the earlier */
    } else {
        out->count++;
    }
    while (j > 0 && det->score > out->det[j - 1].score) {
        out->det[j] = out->det[j - 1];
        anchors[j] = anchors[j - 1];
        j--;
    }
    out->det[j] = *det;
    anchors[j] = anchor;
}

static float yolo_score(const void *ctx, const float *o, int a, int c) {
    return class_score((const vrt_detector_t *)ctx, o, a, c);
}

void vrt__nms_classwise(const vrt__nms_input *in, vrt__nms_cand *cands, vrt_detections *out) {
    /* Class-aware NMS: each class separately, merged into the top max_detections. */
    int anchors[VRT_DETECT_MAX];
    const int cap = in->max_detections;
    out->count = 0;
    out->candidates = 0;
    for (int c = 0; c < in->num_classes; c++) {
        int nc = 0;
        for (int i = 0; i < in->nact; i++) {
            int a = in->active[i];
            float s = in->score(in->ctx, in->o, a, c);
            if (s > in->score_threshold) {
                cands[nc].score = s;
                cands[nc].anchor = a;
                nc++;
            }
        }
        out->candidates += nc;
        if (!nc) continue;
        sort_cands(cands, nc);
        /* Greedy NMS; suppressed entries get anchor -1. */
        int kept = 0;
        for (int i = 0; i < nc && kept < cap; i++) {
            if (cands[i].anchor < 0) continue;
            const vrt_box *bi = &in->box[cands[i].anchor];
            vrt_detection det = {*bi, cands[i].score, c + in->class_base};
            insert_final(out, cap, anchors, &det, cands[i].anchor);
            kept++;
            for (int j = i + 1; j < nc; j++) {
                if (cands[j].anchor < 0) continue;
                if (vrt_box_iou(bi, &in->box[cands[j].anchor]) > in->iou_threshold) cands[j].anchor = -1;
            }
        }
    }
    if (in->anchors_out) memcpy(in->anchors_out, anchors, (size_t)out->count * sizeof(int));
}

void vrt__detections_to_frame(vrt_detections *out, const vrt_preprocess_geometry *geom, int clip,
                              uint32_t input_w, uint32_t input_h) {
    for (int i = 0; i < out->count; i++) {
        vrt_box *b = &out->det[i].box;
        if (geom) {
            b->x1 = (float)((b->x1 - geom->offset_x) / geom->scale_x + geom->roi_x);
            b->x2 = (float)((b->x2 - geom->offset_x) / geom->scale_x + geom->roi_x);
            b->y1 = (float)((b->y1 - geom->offset_y) / geom->scale_y + geom->roi_y);
            b->y2 = (float)((b->y2 - geom->offset_y) / geom->scale_y + geom->roi_y);
        }
        if (clip) {
            float W = geom ? (float)geom->frame_w : (float)input_w;
            float H = geom ? (float)geom->frame_h : (float)input_h;
            b->x1 = fminf(fmaxf(b->x1, 0.0f), W);
            b->x2 = fminf(fmaxf(b->x2, 0.0f), W);
            b->y1 = fminf(fmaxf(b->y1, 0.0f), H);
            b->y2 = fminf(fmaxf(b->y2, 0.0f), H);
        }
    }
}

vrt_status vrt_detector_run(vrt_detector_t *d, const float *o, size_t count,
                            const vrt_preprocess_geometry *geom, vrt_detections *out) {
    if (!d || !out) return VRT_EINVAL;
    out->count = 0;
    out->candidates = 0;
    const vrt_detect_params *p = &d->p;
    const int C = p->num_classes, n = d->n;
    size_t need = (size_t)n * (size_t)(C + (p->kind == VRT_DETECT_YOLOX ? 5 : 4));
    if (!o || count != need) {
        vrt_errbuf_set(d->err, sizeof(d->err),
                       "detector: output has %zu values; %s with %d anchors and %d classes needs %zu", count,
                       p->kind == VRT_DETECT_YOLOX ? "YOLOX [1,N,5+C]" : "YOLOv8 [1,4+C,N]", n, C, need);
        return VRT_EINVAL;
    }
    /* Decode boxes (input pixels) and find the anchors worth looking at. */
    int nact = 0;
    for (int a = 0; a < n; a++) {
        float cx, cy, w, h;
        if (p->kind == VRT_DETECT_YOLOX) {
            const float *r = o + (size_t)a * (size_t)(5 + C);
            float s = d->grid[3 * a + 2];
            cx = (r[0] + d->grid[3 * a]) * s;
            cy = (r[1] + d->grid[3 * a + 1]) * s;
            w = expf(r[2]) * s;
            h = expf(r[3]) * s;
            d->obj[a] = p->apply_sigmoid ? sigm(r[4]) : r[4];
        } else {
            cx = o[(size_t)a];
            cy = o[(size_t)n + (size_t)a];
            w = o[2 * (size_t)n + (size_t)a];
            h = o[3 * (size_t)n + (size_t)a];
            d->obj[a] = 1.0f;
        }
        d->box[a].x1 = cx - 0.5f * w;
        d->box[a].y1 = cy - 0.5f * h;
        d->box[a].x2 = cx + 0.5f * w;
        d->box[a].y2 = cy + 0.5f * h;
        for (int c = 0; c < C; c++) {
            if (class_score(d, o, a, c) > p->score_threshold) {
                d->active[nact++] = a;
                break;
            }
        }
    }
    vrt__nms_input in = {
        d->box,           d->active,         nact, C, 0, yolo_score, d, o, p->score_threshold,
        p->iou_threshold, p->max_detections, NULL};
    vrt__nms_classwise(&in, d->cands, out);
    vrt__detections_to_frame(out, geom, p->clip, p->input_w, p->input_h);
    return VRT_OK;
}
