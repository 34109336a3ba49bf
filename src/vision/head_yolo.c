/* The YOLOX and YOLOv8 heads: box decode + class-aware NMS (vrt/vision.h
 * vrt_detector_*). Result kind DETECTIONS, payload vrt_detections. CPU twin
 * here; the CUDA twin is cuda/head_yolo_cuda.c. */
#include "vision/heads_impl.h"

vrt_status vrt__head_yolo_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                    vrt__head_params *hp, char *err, size_t cap) {
    vrt_detect_params *d = &hp->det;
    *d = prof->det;
    d->kind = prof->task == VRT_TASK_DETECT_YOLOX ? VRT_DETECT_YOLOX : VRT_DETECT_YOLOV8;
    d->input_w = prof->pre.width;
    d->input_h = prof->pre.height;
    if (out->ndim != 3) {
        vrt_errbuf_set(err, cap, "profile '%s': output '%s' has %d dims; task %s expects 3 (%s)", prof->name,
                       out->name, out->ndim,
                       prof->task == VRT_TASK_DETECT_YOLOX ? "detect-yolox" : "detect-yolov8",
                       prof->task == VRT_TASK_DETECT_YOLOX ? "[1, N, 5+C]" : "[1, 4+C, N]");
        return VRT_EINVAL;
    }
    int yx = d->kind == VRT_DETECT_YOLOX;
    int c = yx ? (int)out->dims[2] - 5 : (int)out->dims[1] - 4;
    int n = yx ? (int)out->dims[1] : (int)out->dims[2];
    /* The anchors of the strides' grids (ceil: Ultralytics pads to the stride). */
    int64_t want = 0;
    for (int i = 0; i < d->num_strides; i++) {
        int64_t st = d->strides[i] > 0 ? d->strides[i] : 1;
        want += ((d->input_w + st - 1) / st) * ((d->input_h + st - 1) / st);
    }
    if (c < 1 || (want > 0 && n != want)) {
        vrt_errbuf_set(err, cap,
                       "profile '%s': output '%s' is [%lld, %lld, %lld]; task %s expects %s with N = %lld "
                       "anchors (strides over the %ux%u input) and C >= 1 classes%s",
                       prof->name, out->name, (long long)out->dims[0], (long long)out->dims[1],
                       (long long)out->dims[2], yx ? "detect-yolox" : "detect-yolov8",
                       yx ? "[1, N, 5+C]" : "[1, 4+C, N]", (long long)want, d->input_w, d->input_h,
                       d->num_strides ? "" : " (no strides given)");
        return VRT_EINVAL;
    }
    if (d->num_classes && d->num_classes != c) {
        vrt_errbuf_set(err, cap, "profile '%s' says num_classes = %d but output '%s' has %d", prof->name,
                       d->num_classes, out->name, c);
        return VRT_EINVAL;
    }
    d->num_classes = c;
    if (!yx || !d->num_anchors) d->num_anchors = yx ? 0 : n;
    hp->num_classes = c;
    return VRT_OK;
}

vrt_status vrt__head_yolo_check_anchors(const vrt__head_params *hp, int anchors, char *err, size_t cap) {
    size_t per = (size_t)(hp->num_classes + (hp->det.kind == VRT_DETECT_YOLOX ? 5 : 4));
    if ((size_t)anchors * per == hp->out_count) return VRT_OK;
    vrt_errbuf_set(err, cap,
                   "detection output has %zu values; the profile's strides give %d anchors of %d classes",
                   hp->out_count, anchors, hp->num_classes);
    return VRT_EINVAL;
}

static vrt_status yolo_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    vrt_detector_t *d = NULL;
    char e[256] = "";
    vrt_status st = vrt_detector_create(&d, &hp->det, e, sizeof(e));
    if (st) {
        vrt_errbuf_set(err, cap, "detector: %s", e);
        return st;
    }
    *ctx = d;
    return vrt__head_yolo_check_anchors(hp, vrt_detector_num_anchors(d), err, cap);
}

static vrt_status yolo_run(void *ctx, const vrt__head_params *hp, const float *const *out,
                           const vrt_preprocess_geometry *g, void *res, char *err, size_t cap) {
    vrt_status st = vrt_detector_run(ctx, out[0], hp->out_count, g, res);
    if (st) vrt_errbuf_set(err, cap, "detection: %s", vrt_detector_error(ctx));
    return st;
}

static void yolo_destroy(void **ctx) {
    vrt_detector_destroy((vrt_detector_t **)ctx);
}

const vrt__head_cpu vrt__head_yolo_cpu = {yolo_create, yolo_run, yolo_destroy};
