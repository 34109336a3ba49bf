/* CUDA twins of the dense heads (head_dense.c: depth, segment-argmax) and
 * of detect-detr (head_detr.c), over the kernels of dense.cu: one frame per
 * launch sequence, the batch rows one after the other on the stream. */
#include <cuda_runtime.h>

#include "vision/cuda/vision_cuda.h"
#include "vision/heads_impl.h"

static vrt_status launch_fail(cudaError_t ce, const char *task, char *err, size_t cap) {
    cudaGetLastError();
    vrt_errbuf_set(err, cap, "%s head: launch failed: %s", task, cudaGetErrorString(ce));
    return VRT_EDEVICE;
}

/* ---- depth: a small workspace for the stats ---- */

static void depth_cuda_destroy(void **ctx) {
    if (*ctx) cudaFree(*ctx);
    *ctx = NULL;
}

static vrt_status depth_cuda_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    (void)hp;
    cudaError_t ce = cudaMalloc(ctx, VRT__CUDA_DEPTH_WS);
    if (ce == cudaSuccess) return VRT_OK;
    cudaGetLastError();
    *ctx = NULL;
    vrt_errbuf_set(err, cap, "depth head: cudaMalloc of the workspace failed: %s", cudaGetErrorString(ce));
    return VRT_EDEVICE;
}

static vrt_status depth_cuda_enqueue(void *ctx, const vrt__head_params *hp, const float *const *dout,
                                     const vrt_preprocess_geometry *g, void *dres, void *stream, char *err,
                                     size_t cap) {
    const vrt__dense_geom dg = vrt__head_dense_geom(hp, g);
    for (int k = 0; k < hp->batch; k++) {
        cudaError_t ce = vrt__cuda_depth_launch(
            dout[0] + (size_t)k * hp->out_counts[0], &dg, &hp->layout, (int)hp->colormap, ctx,
            (uint8_t *)dres + (size_t)k * hp->layout.bytes, (cudaStream_t)stream);
        if (ce != cudaSuccess) return launch_fail(ce, "depth", err, cap);
    }
    return VRT_OK;
}

const vrt__head_cuda vrt__head_depth_cuda = {depth_cuda_create, depth_cuda_enqueue, depth_cuda_destroy};

/* ---- segment-argmax: stateless ---- */

static vrt_status argmax_cuda_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    (void)hp, (void)err, (void)cap;
    *ctx = NULL;
    return VRT_OK;
}

static void none_destroy(void **ctx) {
    *ctx = NULL;
}

static vrt_status argmax_cuda_enqueue(void *ctx, const vrt__head_params *hp, const float *const *dout,
                                      const vrt_preprocess_geometry *g, void *dres, void *stream, char *err,
                                      size_t cap) {
    (void)ctx;
    const vrt__dense_geom dg = vrt__head_dense_geom(hp, g);
    for (int k = 0; k < hp->batch; k++) {
        cudaError_t ce =
            vrt__cuda_argmax_launch(dout[0] + (size_t)k * hp->out_counts[0], hp->map_c, &dg, &hp->layout,
                                    (uint8_t *)dres + (size_t)k * hp->layout.bytes, (cudaStream_t)stream);
        if (ce != cudaSuccess) return launch_fail(ce, "segment-argmax", err, cap);
    }
    return VRT_OK;
}

const vrt__head_cuda vrt__head_argmax_cuda = {argmax_cuda_create, argmax_cuda_enqueue, none_destroy};

/* ---- detect-detr: stateless ---- */

static vrt_status detr_cuda_enqueue(void *ctx, const vrt__head_params *hp, const float *const *dout,
                                    const vrt_preprocess_geometry *g, void *dres, void *stream, char *err,
                                    size_t cap) {
    (void)ctx;
    for (int k = 0; k < hp->batch; k++) {
        cudaError_t ce = vrt__cuda_detr_launch(dout[0] + (size_t)k * hp->out_counts[0],
                                               dout[1] + (size_t)k * hp->out_counts[1], &hp->det, g,
                                               (vrt_detections *)dres + k, (cudaStream_t)stream);
        if (ce != cudaSuccess) return launch_fail(ce, "detect-detr", err, cap);
    }
    return VRT_OK;
}

const vrt__head_cuda vrt__head_detr_cuda = {argmax_cuda_create, detr_cuda_enqueue, none_destroy};
