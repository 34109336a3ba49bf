/* The DETR head (`detect-detr`): logits [1,Q,C+1] (the last class is
 * "no object") and pred_boxes [1,Q,4] (cx, cy, w, h normalised to the
 * network input), as transformers' DetrForObjectDetection and its ONNX
 * exports give them. Per query: softmax over the C+1 logits, the best real
 * class (first on ties) and its probability; the queries above the score
 * threshold, best first (ties: query ascending), at most max_detections;
 * no NMS (DETR predicts a set). Boxes to input pixels, then through the
 * pre-processing geometry to the frame like the other detection heads.
 * Class ids are the model's (COCO-91 ids for the facebook/detr models:
 * models/detr_labels.txt). Result kind DETECTIONS. CPU twin here; the CUDA
 * twin is cuda/head_detr_cuda.c. */
#include <math.h>
#include <string.h>

#include "vision/heads_impl.h"
#include "vision/vision_impl.h"

vrt_status vrt__head_detr_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                    vrt__head_params *hp, char *err, size_t cap) {
    const vrt_model_tensor_info *lg = &out[0], *bx = &out[1];
    if (lg->ndim != 3 || lg->dims[2] < 2 || lg->dims[1] < 1 || lg->dims[1] > VRT__DETR_MAX_QUERIES) {
        vrt_errbuf_set(
            err, cap,
            "profile '%s': output '%s' (detect-detr logits) has %d dims; expected [1, Q, C+1] with "
            "the no-object class last, Q <= %d",
            prof->name, lg->name, lg->ndim, VRT__DETR_MAX_QUERIES);
        return VRT_EINVAL;
    }
    if (bx->ndim != 3 || bx->dims[1] != lg->dims[1] || bx->dims[2] != 4) {
        vrt_errbuf_set(err, cap,
                       "profile '%s': output '%s' (detect-detr pred_boxes) has %d dims (last %lld); expected "
                       "[1, %lld, 4] (cx, cy, w, h in 0..1) like logits '%s'",
                       prof->name, bx->name, bx->ndim, (long long)(bx->ndim ? bx->dims[bx->ndim - 1] : 0),
                       (long long)lg->dims[1], lg->name);
        return VRT_EINVAL;
    }
    const int C = (int)lg->dims[2] - 1;
    if (prof->det.num_classes && prof->det.num_classes != C) {
        vrt_errbuf_set(err, cap,
                       "profile '%s' says num_classes = %d but output '%s' has %d (plus the no-object class)",
                       prof->name, prof->det.num_classes, lg->name, C);
        return VRT_EINVAL;
    }
    vrt_detect_params *d = &hp->det;
    *d = prof->det;
    d->input_w = prof->pre.width;
    d->input_h = prof->pre.height;
    d->num_classes = C;
    d->num_anchors = (int)lg->dims[1];
    hp->num_classes = C;
    if (d->max_detections < 1 || d->max_detections > VRT_DETECT_MAX) {
        vrt_errbuf_set(err, cap, "profile '%s': max_detections 1..%d", prof->name, VRT_DETECT_MAX);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

void vrt__detr_query(const float *logits, const float *box, int C, float W, float H, float *score, int *cls,
                     vrt_box *b) {
    /* Softmax as the SSD head computes it (exp in double, rounded once). */
    float mx = logits[0];
    for (int k = 1; k <= C; k++)
        mx = fmaxf(mx, logits[k]);
    float sum = 0.0f;
    for (int k = 0; k <= C; k++)
        sum += (float)exp((double)(logits[k] - mx));
    int best = 0;
    for (int k = 1; k < C; k++)
        if (logits[k] > logits[best]) best = k;
    *cls = best;
    *score = (float)exp((double)(logits[best] - mx)) / sum;
    const float hw = 0.5f * box[2], hh = 0.5f * box[3];
    b->x1 = (box[0] - hw) * W;
    b->y1 = (box[1] - hh) * H;
    b->x2 = (box[0] + hw) * W;
    b->y2 = (box[1] + hh) * H;
}

static vrt_status detr_run(void *ctx, const vrt__head_params *hp, const float *const *out,
                           const vrt_preprocess_geometry *g, void *res, char *err, size_t cap) {
    (void)ctx, (void)err, (void)cap;
    vrt_detections *d = res;
    const int Q = hp->det.num_anchors, C = hp->det.num_classes, K = hp->det.max_detections;
    const float W = (float)hp->det.input_w, H = (float)hp->det.input_h;
    d->count = 0;
    d->candidates = 0;
    for (int q = 0; q < Q; q++) {
        float s;
        int c;
        vrt_box b;
        vrt__detr_query(out[0] + (size_t)q * (size_t)(C + 1), out[1] + 4 * (size_t)q, C, W, H, &s, &c, &b);
        if (!(s > hp->det.score_threshold)) continue;
        d->candidates++;
        /* Insertion into the best K (queries arrive ascending: ties stay behind). */
        int j;
        if (d->count < K) {
            j = d->count++;
        } else {
            if (!(s > d->det[K - 1].score)) continue;
            j = K - 1;
        }
        while (j > 0 && s > d->det[j - 1].score) {
            d->det[j] = d->det[j - 1];
            j--;
        }
        d->det[j] = (vrt_detection){b, s, c};
    }
    vrt__detections_to_frame(d, g, hp->det.clip, hp->det.input_w, hp->det.input_h);
    return VRT_OK;
}

const vrt__head_cpu vrt__head_detr_cpu = {NULL, detr_run, NULL};
