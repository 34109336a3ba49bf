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
    void *payload; /* head->result_bytes */
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

vrt_status vrt_head_open(const vrt_profile *prof, const vrt_model_tensor_info *output,
                         const vrt_labels_t *labels, vrt_head_t **out, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (!prof || !output) return VRT_EINVAL;
    const vrt__head *head = vrt__head_for(prof->task);
    if (!head) {
        vrt_errbuf_set(err, cap, "profile '%s': task %d has no head", prof->name, (int)prof->task);
        return VRT_EUNSUPPORTED;
    }
    vrt_head_t *h = vrt_calloc(1, sizeof(*h));
    if (!h) return VRT_ENOMEM;
    h->head = head;
    h->hp.task = prof->task;
    h->hp.batch = 1;
    h->hp.out_count = 1;
    for (int i = 0; i < output->ndim; i++)
        h->hp.out_count *= (size_t)(output->dims[i] > 0 ? output->dims[i] : 1);
    vrt_status st = head->configure(prof, output, &h->hp, h->err, sizeof(h->err));
    if (!st && head->cpu->create) st = head->cpu->create(&h->hp, &h->ctx, h->err, sizeof(h->err));
    if (!st && !(h->payload = vrt_calloc(1, head->result_bytes))) st = VRT_ENOMEM;
    if (st) {
        vrt_errbuf_set(err, cap, "%s", h->err[0] ? h->err : vrt_status_str(st));
        vrt_head_destroy(&h);
        return st;
    }
    vrt__result_init(&h->res, head->kind, prof->task, labels);
    h->res.payload = h->payload;
    *out = h;
    return VRT_OK;
}

vrt_result_type vrt_head_kind(const vrt_head_t *h) {
    return h ? h->head->kind : VRT_RESULT_NONE;
}

vrt_status vrt_head_run(vrt_head_t *h, const float *output, size_t count, const vrt_preprocess_geometry *geom,
                        const vrt_result **r) {
    if (!h || !output || !r) return VRT_EINVAL;
    if (count != h->hp.out_count) {
        snprintf(h->err, sizeof(h->err), "%s head: %zu output values; the model's output has %zu",
                 h->head->task, count, h->hp.out_count);
        return VRT_EINVAL;
    }
    int64_t t0 = vrt_now_ns();
    vrt_status st = h->head->cpu->run(h->ctx, &h->hp, output, geom, h->payload, h->err, sizeof(h->err));
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
