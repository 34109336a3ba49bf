/* CUDA twin of the classify head (head_classify.c): top-k of every batch
 * row in one launch (vrt_cuda_topk). */
#include "vision/heads_impl.h"
#include "vrt/vision_cuda.h"

static vrt_status classify_cuda_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    (void)ctx;
    if (hp->topk > VRT_CUDA_TOPK_MAX) {
        vrt_errbuf_set(err, cap, "topk = %d; the CUDA classify head reports at most %d", hp->topk,
                       VRT_CUDA_TOPK_MAX);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

static vrt_status classify_cuda_enqueue(void *ctx, const vrt__head_params *hp, const float *const *dout,
                                        const vrt_preprocess_geometry *g, void *dres, void *stream, char *err,
                                        size_t cap) {
    (void)ctx;
    (void)g;
    char e[256] = "";
    vrt_status st = vrt_cuda_topk(dout[0], VRT_TENSOR_F32, hp->batch, (int)hp->out_count, hp->topk,
                                  hp->softmax, dres, stream, e, sizeof(e));
    if (st) vrt_errbuf_set(err, cap, "top-k: %s", e);
    return st;
}

const vrt__head_cuda vrt__head_classify_cuda = {classify_cuda_create, classify_cuda_enqueue, NULL};
