/* The accessors of vrt/result.h over the private layout of result_impl.h. */
#include <string.h>

#include "vision/result_impl.h"

static int ok(const vrt_result *r) {
    return r && r->version == VRT__RESULT_VERSION && r->size == sizeof(*r);
}

void vrt__result_init(vrt_result *r, vrt_result_type kind, vrt_task task, const vrt_labels_t *labels) {
    memset(r, 0, sizeof(*r));
    r->size = sizeof(*r);
    r->version = VRT__RESULT_VERSION;
    r->kind = kind;
    r->task = task;
    r->labels = labels;
}

const char *vrt_result_type_name(vrt_result_type k) {
    switch (k) {
    case VRT_RESULT_NONE: return "none";
    case VRT_RESULT_CLASSES: return "classes";
    case VRT_RESULT_DETECTIONS: return "detections";
    case VRT_RESULT_DENSE: return "dense";
    case VRT_RESULT_KEYPOINTS: return "keypoints";
    }
    return "?";
}

vrt_status vrt__result_copy(vrt_result *dst, vrt__result_payload *storage, const vrt_result *src) {
    if (!ok(src) || !dst || !storage) return VRT_EINVAL;
    const vrt_class_result *c = vrt__result_classes(src);
    const vrt_detections *d = vrt__result_detections(src);
    *dst = *src;
    dst->payload = storage;
    if (c) {
        storage->classes = *c;
    } else if (d) {
        /* Only the filled part: the struct is 6 KiB. */
        storage->detections.count = d->count;
        storage->detections.candidates = d->candidates;
        memcpy(storage->detections.det, d->det, (size_t)d->count * sizeof(d->det[0]));
    } else {
        dst->payload = NULL;
        dst->secondary = NULL;
        return src->payload ? VRT_EINVAL : VRT_OK;
    }
    if (src->secondary) {
        storage->secondary = *src->secondary;
        dst->secondary = &storage->secondary;
    }
    return VRT_OK;
}

const vrt_class_result *vrt__result_classes(const vrt_result *r) {
    return ok(r) && r->kind == VRT_RESULT_CLASSES ? r->payload : NULL;
}

const vrt_detections *vrt__result_detections(const vrt_result *r) {
    return ok(r) && (r->kind == VRT_RESULT_DETECTIONS || r->kind == VRT_RESULT_KEYPOINTS) ? r->payload : NULL;
}

vrt_result_type vrt_result_kind(const vrt_result *r) {
    return ok(r) ? r->kind : VRT_RESULT_NONE;
}

vrt_task vrt_result_task(const vrt_result *r) {
    return ok(r) ? r->task : VRT_TASK_CLASSIFY;
}

int vrt_result_slot(const vrt_result *r) {
    return ok(r) ? r->slot : -1;
}

uint64_t vrt_result_sequence(const vrt_result *r) {
    return ok(r) ? r->sequence : 0;
}

int64_t vrt_result_timestamp_ns(const vrt_result *r) {
    return ok(r) ? r->timestamp_ns : 0;
}

int64_t vrt_result_time_ns(const vrt_result *r, vrt_result_time which) {
    if (!ok(r) || (int)which < 0 || which >= VRT_TIME_COUNT) return 0;
    return r->times[which];
}

int vrt_result_count(const vrt_result *r) {
    const vrt_class_result *c = vrt__result_classes(r);
    if (c) return c->count;
    const vrt_detections *d = vrt__result_detections(r);
    return d ? d->count : 0;
}

int vrt_result_candidates(const vrt_result *r) {
    const vrt_detections *d = vrt__result_detections(r);
    return d ? d->candidates : 0;
}

vrt_status vrt_result_class(const vrt_result *r, int i, int *index, float *score) {
    const vrt_class_result *c = vrt__result_classes(r);
    if (!c || i < 0 || i >= c->count) return VRT_EINVAL;
    if (index) *index = c->index[i];
    if (score) *score = c->score[i];
    return VRT_OK;
}

vrt_status vrt_result_detection(const vrt_result *r, int i, vrt_detection *d) {
    const vrt_detections *ds = vrt__result_detections(r);
    if (!ds || !d || i < 0 || i >= ds->count) return VRT_EINVAL;
    *d = ds->det[i];
    return VRT_OK;
}

const char *vrt_result_label(const vrt_result *r, int i) {
    if (!ok(r) || !r->labels) return NULL;
    const vrt_class_result *c = vrt__result_classes(r);
    if (c) return i >= 0 && i < c->count ? vrt_labels_get(r->labels, c->index[i]) : NULL;
    const vrt_detections *d = vrt__result_detections(r);
    if (d) return i >= 0 && i < d->count ? vrt_labels_get(r->labels, d->det[i].class_id) : NULL;
    return NULL;
}

/* Crop row of detection i, or -1. */
static int secondary_row(const vrt_result *r, int i) {
    const vrt_detections *d = vrt__result_detections(r);
    if (!d || !r->secondary || i < 0 || i >= d->count) return -1;
    const vrt__cascade_result *c = r->secondary;
    for (int j = 0; j < c->n && j < VRT__CASCADE_MAX; j++)
        if (c->det[j] == i) return j;
    return -1;
}

int vrt_result_secondary_count(const vrt_result *r, int i) {
    return secondary_row(r, i) >= 0 ? r->secondary->k : 0;
}

vrt_status vrt_result_secondary(const vrt_result *r, int i, int k, int *index, float *score) {
    int j = secondary_row(r, i);
    if (j < 0 || k < 0 || k >= r->secondary->k) return VRT_EINVAL;
    if (index) *index = r->secondary->index[j][k];
    if (score) *score = r->secondary->score[j][k];
    return VRT_OK;
}

const char *vrt_result_secondary_label(const vrt_result *r, int i, int k) {
    int j = secondary_row(r, i);
    if (j < 0 || k < 0 || k >= r->secondary->k || !r->secondary_labels) return NULL;
    return vrt_labels_get(r->secondary_labels, r->secondary->index[j][k]);
}
