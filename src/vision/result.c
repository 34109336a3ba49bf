/* The accessors of vrt/result.h over the private layout of result_impl.h. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vision/dense.h"
#include "vision/result_impl.h"
#include "vrt/json.h"

static int ok(const vrt_result *r) {
    return r && r->version == VRT__RESULT_VERSION && r->size == sizeof(*r);
}

void vrt__result_init(vrt_result *r, vrt_result_type kind, vrt_task task, const vrt_labels_t *labels,
                      const vrt__result_layout *layout) {
    memset(r, 0, sizeof(*r));
    r->size = sizeof(*r);
    r->version = VRT__RESULT_VERSION;
    r->kind = kind;
    r->task = task;
    r->labels = labels;
    if (layout) r->layout = *layout;
}

vrt__result_map *vrt__layout_add_map(vrt__result_layout *l, vrt_map_id id, vrt_map_type type, int w, int h) {
    if (l->num_maps >= VRT__RESULT_MAX_MAPS) return NULL;
    vrt__result_map *m = &l->maps[l->num_maps++];
    m->id = id;
    m->type = type;
    m->width = w;
    m->height = h;
    m->stride = ((size_t)w * vrt__map_elem_bytes(type) + 15) & ~(size_t)15;
    m->offset = (l->bytes + 255) & ~(size_t)255;
    l->bytes = m->offset + m->stride * (size_t)h;
    return m;
}

const char *vrt_map_name(vrt_map_id which) {
    switch (which) {
    case VRT_MAP_DEPTH: return "depth";
    case VRT_MAP_DEPTH_RAW: return "depth_raw";
    case VRT_MAP_DEPTH_COLOR: return "depth_color";
    case VRT_MAP_CLASSES: return "classes";
    case VRT_MAP_INSTANCES: return "instances";
    }
    return "?";
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

/* The per-box depths (only the filled part) into storage. */
static void copy_object_depth(vrt_result *dst, vrt__result_payload *storage, const vrt_result *src) {
    dst->object_depth = NULL;
    const vrt__object_depth *o = src->object_depth;
    if (!o) return;
    const int n = o->n < 0 ? 0 : o->n > VRT_DETECT_MAX ? VRT_DETECT_MAX : o->n;
    storage->object_depth.n = n;
    memcpy(storage->object_depth.raw, o->raw, (size_t)n * sizeof(float));
    memcpy(storage->object_depth.norm, o->norm, (size_t)n * sizeof(float));
    dst->object_depth = &storage->object_depth;
}

static int has_extra(const vrt_result *r) {
    return r->layout.num_maps > 0 || r->layout.num_keypoints > 0;
}

vrt_status vrt__result_copy_ex(vrt_result *dst, vrt__result_payload *storage, void *extra, size_t extra_cap,
                               const vrt_result *src) {
    if (!ok(src) || !dst || !storage) return VRT_EINVAL;
    if (src->payload && has_extra(src) && extra && extra_cap >= src->layout.bytes) {
        /* Maps and keypoints sit at the layout's offsets: the whole payload. */
        *dst = *src;
        memcpy(extra, src->payload, src->layout.bytes);
        dst->payload = extra;
        dst->parallel = NULL;
        if (src->secondary) {
            storage->secondary = *src->secondary;
            dst->secondary = &storage->secondary;
        }
        copy_object_depth(dst, storage, src);
        return VRT_OK;
    }
    vrt_status st = vrt__result_copy(dst, storage, src);
    dst->layout.num_maps = 0;
    dst->layout.num_keypoints = 0;
    return st;
}

vrt_status vrt__result_copy(vrt_result *dst, vrt__result_payload *storage, const vrt_result *src) {
    if (!ok(src) || !dst || !storage) return VRT_EINVAL;
    if (src->payload && src->kind == VRT_RESULT_DENSE) {
        *dst = *src;
        dst->parallel = NULL;
        dst->payload = storage;
        dst->layout.num_maps = 0; /* the fixed part only: stats (depth) or nothing */
        if (src->task == VRT_TASK_DEPTH) storage->depth = *(const vrt__depth_stats *)src->payload;
        return VRT_OK;
    }
    const vrt_class_result *c = vrt__result_classes(src);
    const vrt_detections *d = vrt__result_detections(src);
    *dst = *src;
    dst->payload = storage;
    dst->parallel = NULL;
    copy_object_depth(dst, storage, src);
    if (c) {
        storage->classes = *c;
    } else if (d) {
        /* Only the filled part: the struct is 6 KiB. */
        storage->detections.count = d->count;
        storage->detections.candidates = d->candidates;
        memcpy(storage->detections.det, d->det, (size_t)d->count * sizeof(d->det[0]));
        dst->layout.num_maps = 0;
        dst->layout.num_keypoints = 0;
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

/* ---- maps ---------------------------------------------------------------- */

static const vrt__result_map *find_map(const vrt_result *r, vrt_map_id which) {
    if (!ok(r) || !r->payload) return NULL;
    for (int i = 0; i < r->layout.num_maps; i++)
        if (r->layout.maps[i].id == which) return &r->layout.maps[i];
    return NULL;
}

const void *vrt_result_map(const vrt_result *r, vrt_map_id which, int *width, int *height, size_t *stride,
                           vrt_map_type *type) {
    const vrt__result_map *m = find_map(r, which);
    if (!m) return NULL;
    if (width) *width = m->width;
    if (height) *height = m->height;
    if (stride) *stride = m->stride;
    if (type) *type = m->type;
    return (const uint8_t *)r->payload + m->offset;
}

static const vrt__depth_stats *depth_stats(const vrt_result *r) {
    return ok(r) && r->payload && r->kind == VRT_RESULT_DENSE && r->task == VRT_TASK_DEPTH ? r->payload
                                                                                           : NULL;
}

vrt_status vrt_result_depth_stats(const vrt_result *r, float *min, float *max, float *mean) {
    const vrt__depth_stats *s = depth_stats(r);
    if (!s) return VRT_EINVAL;
    if (min) *min = s->min;
    if (max) *max = s->max;
    if (mean) *mean = s->mean;
    return VRT_OK;
}

typedef struct box_px {
    const uint8_t *base;
    size_t stride;
    int x0, y0, x1, y1; /* pixel range [x0, x1) x [y0, y1) */
} box_px;

/* The value of rank k (0-based, ascending) among the valid pixels: radix
 * select over the keys, 8 bits at a time from the top, with a histogram on
 * the stack (no allocation, 4 passes over the box). */
static float select_rank(const box_px *b, long k) {
    uint32_t prefix = 0, mask = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        long hist[256] = {0};
        for (int y = b->y0; y < b->y1; y++) {
            const float *row = (const float *)(b->base + (size_t)y * b->stride);
            for (int x = b->x0; x < b->x1; x++) {
                if (isnan(row[x])) continue;
                uint32_t key = vrt__dn_fkey(row[x]);
                if ((key & mask) == prefix) hist[(key >> shift) & 255u]++;
            }
        }
        int d = 0;
        while (d < 255 && k >= hist[d])
            k -= hist[d++];
        prefix |= (uint32_t)d << shift;
        mask |= 255u << shift;
    }
    return vrt__dn_keyf(prefix);
}

vrt_status vrt_result_depth_median(const vrt_result *r, const vrt_box *box, float *raw, float *norm) {
    const vrt__depth_stats *s = depth_stats(r);
    const vrt__result_map *m = find_map(r, VRT_MAP_DEPTH_RAW);
    if (!s || !m || !box) return VRT_EINVAL;
    /* Pixel x's centre x + 0.5 inside [x1, x2). */
    box_px b = {(const uint8_t *)r->payload + m->offset, m->stride, 0, 0, 0, 0};
    vrt__dn_box_pixels(box, m->width, m->height, &b.x0, &b.y0, &b.x1, &b.y1);
    long n = 0;
    for (int y = b.y0; y < b.y1; y++) {
        const float *row = (const float *)(b.base + (size_t)y * b.stride);
        for (int x = b.x0; x < b.x1; x++)
            n += !isnan(row[x]);
    }
    if (n == 0) return VRT_ENOENT;
    float med = select_rank(&b, (n - 1) / 2);
    if (n % 2 == 0) med = (float)(((double)med + (double)select_rank(&b, n / 2)) / 2.0);
    if (raw) *raw = med;
    if (norm) *norm = vrt__dense_norm(med, s->min, s->max);
    return VRT_OK;
}

const vrt_result *vrt_result_parallel(const vrt_result *r) {
    return ok(r) ? r->parallel : NULL;
}

vrt_status vrt_result_object_depth(const vrt_result *r, int i, float *raw, float *norm) {
    const vrt_detections *d = vrt__result_detections(r);
    if (!d || !r->object_depth || i < 0 || i >= d->count || i >= r->object_depth->n) return VRT_EINVAL;
    const float v = r->object_depth->raw[i];
    if (isnan(v)) return VRT_ENOENT;
    if (raw) *raw = v;
    if (norm) *norm = r->object_depth->norm[i];
    return VRT_OK;
}

/* ---- keypoints ---------------------------------------------------------------- */

int vrt_result_num_keypoints(const vrt_result *r) {
    return ok(r) && r->kind == VRT_RESULT_KEYPOINTS ? r->layout.num_keypoints : 0;
}

vrt_status vrt_result_keypoint(const vrt_result *r, int i, int j, float *x, float *y, float *score) {
    const vrt_detections *d = vrt__result_detections(r);
    const int nk = vrt_result_num_keypoints(r);
    if (!d || i < 0 || i >= d->count || j < 0 || j >= nk) return VRT_EINVAL;
    const float *kp = (const float *)((const uint8_t *)r->payload + r->layout.keypoints_offset) +
                      ((size_t)i * (size_t)nk + (size_t)j) * 3;
    if (x) *x = kp[0];
    if (y) *y = kp[1];
    if (score) *score = kp[2];
    return VRT_OK;
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_keypoints(const vrt_result *r, vrt_json *w) {
    const int n = vrt_result_count(r), k = vrt_result_num_keypoints(r);
    vrt_json_key(w, "keypoints");
    vrt_json_begin_array(w);
    for (int i = 0; i < n; i++) {
        vrt_json_begin_array(w);
        for (int j = 0; j < k; j++) {
            float x = 0, y = 0, s = 0;
            vrt_result_keypoint(r, i, j, &x, &y, &s);
            vrt_json_begin_array(w);
            vrt_json_double(w, x);
            vrt_json_double(w, y);
            vrt_json_double(w, s);
            vrt_json_end_array(w);
        }
        vrt_json_end_array(w);
    }
    vrt_json_end_array(w);
}

/* Detection i's mask: runs over the whole pixels of its box, 0s first. */
static void json_mask(const vrt_result *r, int i, const uint8_t *m, int mw, int mh, size_t stride,
                      vrt_json *w) {
    vrt_detection d;
    vrt_result_detection(r, i, &d);
    int x0 = (int)floorf(d.box.x1), y0 = (int)floorf(d.box.y1);
    int x1 = (int)ceilf(d.box.x2), y1 = (int)ceilf(d.box.y2);
    x0 = x0 < 0 ? 0 : x0 > mw ? mw : x0, x1 = x1 < x0 ? x0 : x1 > mw ? mw : x1;
    y0 = y0 < 0 ? 0 : y0 > mh ? mh : y0, y1 = y1 < y0 ? y0 : y1 > mh ? mh : y1;
    vrt_json_begin_object(w);
    vrt_json_kv_int(w, "index", i);
    vrt_json_key(w, "region");
    vrt_json_begin_array(w);
    vrt_json_int(w, x0);
    vrt_json_int(w, y0);
    vrt_json_int(w, x1 - x0);
    vrt_json_int(w, y1 - y0);
    vrt_json_end_array(w);
    vrt_json_key(w, "rle");
    vrt_json_begin_array(w);
    int cur = 0;
    long run = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            int on = m[(size_t)y * stride + (size_t)x] == i + 1;
            if (on != cur) {
                vrt_json_int(w, run);
                cur = on, run = 0;
            }
            run++;
        }
    vrt_json_int(w, run);
    vrt_json_end_array(w);
    vrt_json_end_object(w);
}

static void json_classes_map(const uint8_t *m, int mw, int mh, size_t stride, vrt_json *w) {
    vrt_json_key(w, "segmentation");
    vrt_json_begin_object(w);
    vrt_json_kv_int(w, "width", mw);
    vrt_json_kv_int(w, "height", mh);
    vrt_json_key(w, "rle");
    vrt_json_begin_array(w);
    int cur = -1;
    long run = 0;
    for (int y = 0; y < mh; y++)
        for (int x = 0; x < mw; x++) {
            int c = m[(size_t)y * stride + (size_t)x];
            if (c != cur && run) {
                vrt_json_int(w, cur);
                vrt_json_int(w, run);
                run = 0;
            }
            cur = c, run++;
        }
    if (run) {
        vrt_json_int(w, cur);
        vrt_json_int(w, run);
    }
    vrt_json_end_array(w);
    vrt_json_end_object(w);
}

void vrt_result_json_extras(const vrt_result *r, struct vrt_json *w) {
    if (!ok(r) || !w) return;
    int mw = 0, mh = 0;
    size_t stride = 0;
    if (vrt_result_num_keypoints(r) > 0) json_keypoints(r, w);
    const uint8_t *m = vrt_result_map(r, VRT_MAP_INSTANCES, &mw, &mh, &stride, NULL);
    if (m) {
        vrt_json_key(w, "masks");
        vrt_json_begin_array(w);
        for (int i = 0; i < vrt_result_count(r); i++)
            json_mask(r, i, m, mw, mh, stride, w);
        vrt_json_end_array(w);
    }
    float mn, mx, mean;
    if (vrt_result_depth_stats(r, &mn, &mx, &mean) == VRT_OK) {
        const vrt__result_map *dm = find_map(r, VRT_MAP_DEPTH_RAW);
        vrt_json_key(w, "depth");
        vrt_json_begin_object(w);
        if (dm) {
            vrt_json_kv_int(w, "width", dm->width);
            vrt_json_kv_int(w, "height", dm->height);
        }
        vrt_json_kv_double(w, "min", mn);
        vrt_json_kv_double(w, "max", mx);
        vrt_json_kv_double(w, "mean", mean);
        vrt_json_end_object(w);
    }
    m = vrt_result_map(r, VRT_MAP_CLASSES, &mw, &mh, &stride, NULL);
    if (m) json_classes_map(m, mw, mh, stride, w);
}
