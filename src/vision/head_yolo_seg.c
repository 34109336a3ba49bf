/* The YOLOv8 heads beyond boxes (Ultralytics exports, channel-major like
 * detect-yolov8; the scores are probabilities unless sigmoid = 1):
 *   segment-yolov8  output [1, 4+C+M, N] (box, C class scores, M mask
 *                   coefficients) + prototypes [1, M, h, w]: decode + NMS as
 *                   detect-yolov8, then per frame pixel inside a kept box
 *                   the mask logit sum_k coeff_k * proto_k (prototypes
 *                   sampled bilinearly at the pixel, dense.h), kept when
 *                   sigmoid(logit) > mask_threshold; the instance map holds
 *                   the best such detection (kind DETECTIONS + VRT_MAP_INSTANCES).
 *   pose-yolov8     output [1, 4+C+3K, N] (C = 1: person; K keypoints as x, y,
 *                   score in input pixels): decode + NMS, then each kept
 *                   anchor's keypoints through the geometry to frame pixels
 *                   (kind KEYPOINTS).
 * CPU twins here; the CUDA twins are cuda/head_yolo_seg_cuda.c. */
#include <math.h>
#include <string.h>

#include "vision/dense.h"
#include "vision/heads_impl.h"
#include "vision/vision_impl.h"

static vrt_status yolo_common(const vrt_profile *prof, const vrt_model_tensor_info *out, int extra,
                              vrt__head_params *hp, char *err, size_t cap) {
    const char *task = vrt_task_name(prof->task);
    if (out->ndim != 3 || out->dims[1] - 4 - extra < 1 || out->dims[2] < 1) {
        vrt_errbuf_set(
            err, cap,
            "profile '%s': output '%s' has %d dims (%lld channels); task %s expects [1, 4+C+%d, N] "
            "with C >= 1 classes",
            prof->name, out->name, out->ndim, (long long)(out->ndim > 1 ? out->dims[1] : 0), task, extra);
        return VRT_EINVAL;
    }
    const int C = (int)out->dims[1] - 4 - extra;
    if (prof->det.num_classes && prof->det.num_classes != C) {
        vrt_errbuf_set(err, cap, "profile '%s' says num_classes = %d but output '%s' has %d", prof->name,
                       prof->det.num_classes, out->name, C);
        return VRT_EINVAL;
    }
    vrt_detect_params *d = &hp->det;
    *d = prof->det;
    d->kind = VRT_DETECT_YOLOV8;
    d->input_w = prof->pre.width;
    d->input_h = prof->pre.height;
    d->num_classes = C;
    d->num_anchors = (int)out->dims[2];
    hp->num_classes = C;
    if (d->max_detections < 1 || d->max_detections > VRT_DETECT_MAX || !(d->iou_threshold >= 0.0f) ||
        !(d->iou_threshold <= 1.0f)) {
        vrt_errbuf_set(err, cap, "profile '%s': max_detections 1..%d and iou_threshold 0..1", prof->name,
                       VRT_DETECT_MAX);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

vrt_status vrt__head_yoloseg_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                       vrt__head_params *hp, char *err, size_t cap) {
    const vrt_model_tensor_info *pr = &out[1];
    if (pr->ndim != 4 || pr->dims[1] < 1 || pr->dims[2] < 1 || pr->dims[3] < 1) {
        vrt_errbuf_set(err, cap,
                       "profile '%s': output '%s' (segment-yolov8 prototypes) has %d dims; expected "
                       "[1, M, h, w]",
                       prof->name, pr->name, pr->ndim);
        return VRT_EINVAL;
    }
    hp->map_c = (int)pr->dims[1];
    hp->map_h = (int)pr->dims[2];
    hp->map_w = (int)pr->dims[3];
    hp->mask_threshold = prof->mask_threshold;
    vrt_status st = yolo_common(prof, &out[0], hp->map_c, hp, err, cap);
    if (!st && hp->det.max_detections > 255) {
        vrt_errbuf_set(err, cap,
                       "profile '%s': segment-yolov8 keeps at most 255 detections (the instance map "
                       "is 8-bit); max_detections is %d",
                       prof->name, hp->det.max_detections);
        return VRT_EINVAL;
    }
    return st;
}

vrt_status vrt__head_pose_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                    vrt__head_params *hp, char *err, size_t cap) {
    hp->num_keypoints = prof->num_keypoints ? prof->num_keypoints : 17;
    return yolo_common(prof, out, 3 * hp->num_keypoints, hp, err, cap);
}

void vrt__head_yoloseg_layout(vrt__head_params *hp) {
    hp->layout.bytes = sizeof(vrt_detections);
    vrt__layout_add_map(&hp->layout, VRT_MAP_INSTANCES, VRT_MAP_U8, hp->frame_w, hp->frame_h);
}

void vrt__head_pose_layout(vrt__head_params *hp) {
    vrt__result_layout *l = &hp->layout;
    l->num_keypoints = hp->num_keypoints;
    l->max_detections = hp->det.max_detections;
    l->keypoints_offset = (sizeof(vrt_detections) + 15) & ~(size_t)15;
    l->bytes =
        l->keypoints_offset + (size_t)hp->det.max_detections * (size_t)hp->num_keypoints * 3 * sizeof(float);
}

float vrt__head_mask_logit_threshold(float t) {
    if (t <= 0.0f) return -INFINITY;
    if (t >= 1.0f) return INFINITY;
    return (float)log((double)t / (1.0 - (double)t));
}

typedef struct yseg_cpu {
    int n, C;
    vrt_box *box;
    int *active;
    vrt__nms_cand *cands;
    int anchors[VRT_DETECT_MAX];
    const float *o; /* this frame's output (score callback) */
    int sigmoid;
} yseg_cpu;

static void yseg_destroy(void **ctx) {
    yseg_cpu *c = *ctx;
    if (!c) return;
    vrt_free(c->box);
    vrt_free(c->active);
    vrt_free(c->cands);
    vrt_free(c);
    *ctx = NULL;
}

static vrt_status yseg_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    yseg_cpu *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    *ctx = c;
    c->n = hp->det.num_anchors;
    c->C = hp->det.num_classes;
    c->sigmoid = hp->det.apply_sigmoid;
    c->box = vrt_calloc((size_t)c->n, sizeof(*c->box));
    c->active = vrt_calloc((size_t)c->n, sizeof(*c->active));
    c->cands = vrt_calloc((size_t)c->n, sizeof(*c->cands));
    if (!c->box || !c->active || !c->cands) {
        vrt_errbuf_set(err, cap, "%s head: out of memory for %d anchors", vrt_task_name(hp->task), c->n);
        return VRT_ENOMEM;
    }
    return VRT_OK;
}

static float yseg_score(const void *ctx, const float *o, int a, int cls) {
    const yseg_cpu *c = ctx;
    float s = o[(size_t)(4 + cls) * (size_t)c->n + (size_t)a];
    if (c->sigmoid) s = 1.0f / (1.0f + (float)exp((double)-s));
    return s * 1.0f;
}

/* Boxes, candidates, NMS: the kept anchors in c->anchors, boxes in frame pixels. */
static void yseg_detect(yseg_cpu *c, const vrt__head_params *hp, const float *o,
                        const vrt_preprocess_geometry *g, vrt_detections *res) {
    const size_t n = (size_t)c->n;
    int nact = 0;
    for (int a = 0; a < c->n; a++) {
        const float cx = o[a], cy = o[n + (size_t)a], w = o[2 * n + (size_t)a], h = o[3 * n + (size_t)a];
        c->box[a] = (vrt_box){cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h};
        for (int k = 0; k < c->C; k++)
            if (yseg_score(c, o, a, k) > hp->det.score_threshold) {
                c->active[nact++] = a;
                break;
            }
    }
    vrt__nms_input in = {c->box,
                         c->active,
                         nact,
                         c->C,
                         0,
                         yseg_score,
                         c,
                         o,
                         hp->det.score_threshold,
                         hp->det.iou_threshold,
                         hp->det.max_detections,
                         c->anchors};
    vrt__nms_classwise(&in, c->cands, res);
    vrt__detections_to_frame(res, g, hp->det.clip, hp->det.input_w, hp->det.input_h);
}

static vrt_status seg_run(void *ctx, const vrt__head_params *hp, const float *const *out,
                          const vrt_preprocess_geometry *g, void *res, char *err, size_t cap) {
    (void)err, (void)cap;
    yseg_cpu *c = ctx;
    vrt_detections *d = res;
    yseg_detect(c, hp, out[0], g, d);
    const vrt__result_map *m = vrt__head_map(hp, VRT_MAP_INSTANCES);
    uint8_t *map = (uint8_t *)res + m->offset;
    for (int y = 0; y < m->height; y++)
        memset(map + (size_t)y * m->stride, 0, (size_t)m->width);
    const vrt__dense_geom dg = vrt__head_dense_geom(hp, g);
    const float lt = vrt__head_mask_logit_threshold(hp->mask_threshold);
    const size_t n = (size_t)c->n, plane = (size_t)hp->map_w * (size_t)hp->map_h;
    const float *coef0 = out[0] + (size_t)(4 + c->C) * n;
    for (int i = 0; i < d->count; i++) {
        const vrt_box *b = &d->det[i].box;
        /* The pixels whose centres may be inside the box (vrt__dense_in_box decides). */
        int x0 = (int)fmaxf(floorf(b->x1 - 0.5f), 0.0f), y0 = (int)fmaxf(floorf(b->y1 - 0.5f), 0.0f);
        int x1 = (int)fminf(ceilf(b->x2), (float)m->width), y1 = (int)fminf(ceilf(b->y2), (float)m->height);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                uint8_t *px = map + (size_t)y * m->stride + (size_t)x;
                if (*px || !vrt__dense_in_box(b, x, y)) continue;
                vrt__dense_taps t = vrt__dense_taps_at(&dg, x, y);
                float acc = 0.0f;
                for (int k = 0; k < hp->map_c; k++)
                    acc += coef0[(size_t)k * n + (size_t)c->anchors[i]] *
                           vrt__dense_sample(out[1] + (size_t)k * plane, &t);
                if (acc > lt) *px = (uint8_t)(i + 1);
            }
    }
    return VRT_OK;
}

void vrt__keypoint_to_frame(const vrt_preprocess_geometry *g, float *x, float *y) {
    if (!g) return;
    *x = (float)((*x - g->offset_x) / g->scale_x + g->roi_x);
    *y = (float)((*y - g->offset_y) / g->scale_y + g->roi_y);
}

static vrt_status pose_run(void *ctx, const vrt__head_params *hp, const float *const *out,
                           const vrt_preprocess_geometry *g, void *res, char *err, size_t cap) {
    (void)err, (void)cap;
    yseg_cpu *c = ctx;
    vrt_detections *d = res;
    yseg_detect(c, hp, out[0], g, d);
    const int K = hp->num_keypoints;
    const size_t n = (size_t)c->n;
    float *kp = (float *)((uint8_t *)res + hp->layout.keypoints_offset);
    const float *k0 = out[0] + (size_t)(4 + c->C) * n;
    for (int i = 0; i < d->count; i++)
        for (int j = 0; j < K; j++) {
            const size_t a = (size_t)c->anchors[i];
            float *p = kp + ((size_t)i * (size_t)K + (size_t)j) * 3;
            p[0] = k0[(size_t)(3 * j) * n + a];
            p[1] = k0[(size_t)(3 * j + 1) * n + a];
            p[2] = k0[(size_t)(3 * j + 2) * n + a];
            vrt__keypoint_to_frame(g, &p[0], &p[1]);
        }
    return VRT_OK;
}

const vrt__head_cpu vrt__head_yoloseg_cpu = {yseg_create, seg_run, yseg_destroy};
const vrt__head_cpu vrt__head_pose_cpu = {yseg_create, pose_run, yseg_destroy};
