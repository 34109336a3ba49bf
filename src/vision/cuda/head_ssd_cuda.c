/* CUDA twin of the SSD heads (head_ssd.c): per batch row one pre-pass
 * kernel (box decode, raw: priors + softmax) and the class-wise NMS of
 * nms.cu, all rows through one workspace (they run one after the other on
 * the stream). The priors are uploaded once at create. */
#include <cuda_runtime.h>

#include "vision/cuda/vision_cuda.h"
#include "vision/heads_impl.h"

typedef struct ssd_cuda {
    float *priors; /* raw: device, 4 per anchor */
    void *ws;
    size_t ws_bytes;
} ssd_cuda;

static void ssd_cuda_destroy(void **ctx) {
    ssd_cuda *c = *ctx;
    if (!c) return;
    if (c->ws) cudaFree(c->ws);
    if (c->priors) cudaFree(c->priors);
    vrt_free(c);
    *ctx = NULL;
}

static vrt_status cuda_fail(cudaError_t ce, const char *what, char *err, size_t cap) {
    cudaGetLastError();
    vrt_errbuf_set(err, cap, "SSD head: %s failed: %s", what, cudaGetErrorString(ce));
    return VRT_EDEVICE;
}

static vrt_status ssd_cuda_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    ssd_cuda *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    *ctx = c;
    const int raw = hp->task == VRT_TASK_DETECT_SSD_RAW;
    const size_t n = (size_t)hp->det.num_anchors;
    c->ws_bytes = vrt__cuda_ssd_workspace(&hp->det, hp->softmax);
    cudaError_t ce = cudaMalloc(&c->ws, c->ws_bytes);
    if (ce != cudaSuccess) return cuda_fail(ce, "cudaMalloc of the workspace", err, cap);
    if (!raw) return VRT_OK;
    float *host = vrt_malloc(n * 4 * sizeof(float));
    if (!host) return VRT_ENOMEM;
    vrt__ssd_priors(&hp->ssd, hp->det.input_w, hp->det.input_h, host);
    ce = cudaMalloc((void **)&c->priors, n * 4 * sizeof(float));
    if (ce == cudaSuccess) ce = cudaMemcpy(c->priors, host, n * 4 * sizeof(float), cudaMemcpyHostToDevice);
    vrt_free(host);
    return ce == cudaSuccess ? VRT_OK : cuda_fail(ce, "upload of the priors", err, cap);
}

static vrt_status ssd_cuda_enqueue(void *ctx, const vrt__head_params *hp, const float *const *dout,
                                   const vrt_preprocess_geometry *g, void *dres, void *stream, char *err,
                                   size_t cap) {
    ssd_cuda *c = ctx;
    for (int k = 0; k < hp->batch; k++) {
        cudaError_t ce = vrt__cuda_ssd_launch(&hp->det, c->priors, hp->softmax, hp->ssd.center_variance,
                                              hp->ssd.size_variance, dout[0] + (size_t)k * hp->out_counts[0],
                                              dout[1] + (size_t)k * hp->out_counts[1], g, c->ws,
                                              (vrt_detections *)dres + k, (cudaStream_t)stream);
        if (ce != cudaSuccess) return cuda_fail(ce, "decode + NMS launch", err, cap);
    }
    return VRT_OK;
}

const vrt__head_cuda vrt__head_ssd_cuda = {ssd_cuda_create, ssd_cuda_enqueue, ssd_cuda_destroy};
