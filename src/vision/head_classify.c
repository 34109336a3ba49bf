/* The classify head: softmax (optional) + top-k over one row of scores per
 * frame. Result kind CLASSES, payload vrt_class_result. CPU twin here; the
 * CUDA twin is cuda/head_classify_cuda.c. */
#include <stdio.h>

#include "vision/heads_impl.h"

vrt_status vrt__head_classify_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                        vrt__head_params *hp, char *err, size_t cap) {
    /* One score per class: [1, C], [1, C, 1, 1] (SqueezeNet) or [C]; a
     * detector's [1, N, 85] or a map would give top-k of meaningless numbers. */
    int big = 0;
    for (int d = out->ndim > 1 ? 1 : 0; d < out->ndim; d++)
        big += out->dims[d] > 1;
    if (big > 1) {
        char dims[96];
        size_t o = 0;
        for (int d = 0; d < out->ndim && o < sizeof(dims); d++)
            o += (size_t)snprintf(dims + o, sizeof(dims) - o, "%s%lld", d ? ", " : "",
                                  (long long)out->dims[d]);
        vrt_errbuf_set(err, cap,
                       "profile '%s': output '%s' is [%s]; task classify expects one score per class ([1, C] "
                       "or [1, C, 1, 1]): a detector or dense output needs another task (%s)",
                       prof->name, out->name, dims, "detect-yolox, detect-yolov8, detect-ssd, ...");
        return VRT_EINVAL;
    }
    if (prof->topk < 1 || prof->topk > VRT_TOPK_MAX) {
        vrt_errbuf_set(err, cap, "profile '%s': topk = %d; must be 1..%d", prof->name, prof->topk,
                       VRT_TOPK_MAX);
        return VRT_EINVAL;
    }
    hp->num_classes = (int)hp->out_count;
    hp->topk = prof->topk;
    hp->softmax = prof->softmax;
    return VRT_OK;
}

static vrt_status classify_run(void *ctx, const vrt__head_params *hp, const float *const *out,
                               const vrt_preprocess_geometry *g, void *res, char *err, size_t cap) {
    (void)ctx;
    (void)g;
    vrt_status st = vrt_topk(out[0], VRT_TENSOR_F32, (int)hp->out_count, hp->topk, hp->softmax, res);
    if (st) vrt_errbuf_set(err, cap, "top-k of %zu scores failed", hp->out_count);
    return st;
}

const vrt__head_cpu vrt__head_classify_cpu = {NULL, classify_run, NULL};
