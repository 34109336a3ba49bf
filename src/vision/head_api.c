/* vrt/head.h: one profile's head (vision/head.h) on the CPU, its result in
 * storage sized at open. */
#include <stdio.h>
#include <string.h>

#include "vision/head.h"
#include "vision/result_impl.h"
#include "vrt/head.h"

struct vrt_head {
    const vrt__head *head;
    vrt__head_params hp;
    void *ctx;     /* the CPU twin's */
    void *payload; /* cap bytes */
    size_t cap;
    vrt_result res;
    char err[512];
};

void vrt_head_destroy(vrt_head_t **ph) {
    if (!ph || !*ph) return;
    vrt_head_t *h = *ph;
    if (h->ctx && h->head->cpu->destroy) h->head->cpu->destroy(&h->ctx);
    vrt_free(h->payload);
    vrt_free(h);
    *ph = NULL;
}

vrt_status vrt_head_open(const vrt_profile *prof, const vrt_model_tensor_info *outputs, int n_outputs,
                         const vrt_labels_t *labels, vrt_head_t **out, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!prof || !outputs || n_outputs < 1) return VRT_EINVAL;
    const vrt__head *head = vrt__head_for(prof->task);
    if (!head) {
        vrt_errbuf_set(err, cap, "profile '%s': task %d has no head", prof->name, (int)prof->task);
        return VRT_EUNSUPPORTED;
    }
    vrt_head_t *h = vrt_calloc(1, sizeof(*h));
    if (!h) return VRT_ENOMEM;
    h->head = head;
    vrt_status st = vrt__head_bind(head, prof, outputs, n_outputs, 1, &h->hp, h->err, sizeof(h->err));
    if (!st) st = vrt__head_check_labels(prof, &h->hp, labels, h->err, sizeof(h->err));
    if (!st && head->cpu->create) st = head->cpu->create(&h->hp, &h->ctx, h->err, sizeof(h->err));
    if (!st && !(h->payload = vrt_calloc(1, h->hp.layout.bytes))) st = VRT_ENOMEM;
    h->cap = h->hp.layout.bytes;
    if (st) {
        vrt_errbuf_set(err, cap, "%s", h->err[0] ? h->err : vrt_status_str(st));
        vrt_head_destroy(&h);
        return st;
    }
    vrt__result_init(&h->res, head->kind, prof->task, labels, &h->hp.layout);
    h->res.payload = h->payload;
    *out = h;
    return VRT_OK;
}

vrt_status vrt_head_reserve(vrt_head_t *h, int frame_w, int frame_h) {
    if (!h || frame_w < 1 || frame_h < 1) return VRT_EINVAL;
    vrt__head_params hp = h->hp;
    vrt__head_set_frame(h->head, &hp, frame_w, frame_h);
    if (hp.layout.bytes <= h->cap) return VRT_OK;
    void *p = vrt_calloc(1, hp.layout.bytes);
    if (!p) {
        snprintf(h->err, sizeof(h->err), "%s head: out of memory for the result of a %dx%d frame (%zu bytes)",
                 h->head->task, frame_w, frame_h, hp.layout.bytes);
        return VRT_ENOMEM;
    }
    vrt_free(h->payload);
    h->payload = p;
    h->cap = hp.layout.bytes;
    h->res.payload = p;
    return VRT_OK;
}

/* The layout for this run's frame size (maps cover the frame). */
static vrt_status fit_frame(vrt_head_t *h, const vrt_preprocess_geometry *geom) {
    int fw = geom ? (int)geom->frame_w : 0, fh = geom ? (int)geom->frame_h : 0;
    if (!h->head->layout || (fw == h->hp.frame_w && fh == h->hp.frame_h) ||
        (!geom && h->hp.frame_w == (int)h->hp.input_w && h->hp.frame_h == (int)h->hp.input_h))
        return VRT_OK;
    vrt__head_params hp = h->hp;
    vrt__head_set_frame(h->head, &hp, fw, fh);
    if (hp.layout.bytes > h->cap) {
        snprintf(
            h->err, sizeof(h->err),
            "%s head: a %dx%d frame needs %zu bytes of result, %zu reserved; call vrt_head_reserve first",
            h->head->task, hp.frame_w, hp.frame_h, hp.layout.bytes, h->cap);
        return VRT_EINVAL;
    }
    h->hp = hp;
    h->res.layout = hp.layout;
    return VRT_OK;
}

vrt_result_type vrt_head_kind(const vrt_head_t *h) {
    return h ? h->head->kind : VRT_RESULT_NONE;
}

vrt_status vrt_head_run(vrt_head_t *h, const float *const *outputs, const size_t *counts, int n_outputs,
                        const vrt_preprocess_geometry *geom, const vrt_result **r) {
    if (!h || !outputs || !counts || !r) return VRT_EINVAL;
    const float *mine[VRT__HEAD_MAX_OUTPUTS];
    for (int j = 0; j < h->hp.num_outputs; j++) {
        const int i = h->hp.outputs[j];
        if (i >= n_outputs || !outputs[i] || counts[i] != h->hp.out_counts[j]) {
            snprintf(h->err, sizeof(h->err),
                     "%s head: output %d has %zu values; the model's output %d has %zu", h->head->task, i,
                     i < n_outputs && outputs[i] ? counts[i] : 0, i, h->hp.out_counts[j]);
            return VRT_EINVAL;
        }
        mine[j] = outputs[i];
    }
    vrt_status st = fit_frame(h, geom);
    if (st) return st;
    int64_t t0 = vrt_now_ns();
    st = h->head->cpu->run(h->ctx, &h->hp, mine, geom, h->payload, h->err, sizeof(h->err));
    if (st) return st;
    int64_t dt = vrt_now_ns() - t0;
    h->res.times[VRT_TIME_POSTPROCESS] = dt;
    h->res.times[VRT_TIME_TOTAL] = dt;
    h->err[0] = 0;
    *r = &h->res;
    return VRT_OK;
}

const char *vrt_head_last_error(const vrt_head_t *h) {
    return h ? h->err : "";
}
