/* CUDA twins of the dense heads (head_dense.c: depth, segment-argmax) and
 * of detect-detr (head_detr.c), over the kernels of dense.cu: one frame per
 * launch sequence, the batch rows one after the other on the stream. */
#include <cuda_runtime.h>

#include "vision/cuda/vision_cuda.h"
#include "vision/heads_impl.h"
#include "vrt/vision_cuda.h"

static vrt_status launch_fail(cudaError_t ce, const char *task, char *err, size_t cap) {
    cudaGetLastError();
    vrt_errbuf_set(err, cap, "%s head: launch failed: %s", task, cudaGetErrorString(ce));
    return VRT_EDEVICE;
}

/* ---- depth: a small workspace for the stats, and the refinement's input ---- */

/* ctx is one device allocation: the stats workspace, then (refine) one
 * sampled raw map per batch row, which the guided filter reads while it
 * writes the result's raw map. */
#define DEPTH_MAPS_AT 256

static float *depth_scratch(void *ctx, const vrt__head_params *hp, int k) {
    return (float *)((uint8_t *)ctx + DEPTH_MAPS_AT) + (size_t)k * hp->frame_w * hp->frame_h;
}

static void depth_cuda_destroy(void **ctx) {
    if (*ctx) cudaFree(*ctx);
    *ctx = NULL;
}

static vrt_status depth_cuda_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    size_t bytes = DEPTH_MAPS_AT;
    if (hp->refine.radius > 0) bytes += (size_t)hp->batch * hp->frame_w * hp->frame_h * sizeof(float);
    cudaError_t ce = cudaMalloc(ctx, bytes);
    if (ce == cudaSuccess) return VRT_OK;
    cudaGetLastError();
    *ctx = NULL;
    vrt_errbuf_set(err, cap, "depth head: cudaMalloc of the workspace (%zu bytes) failed: %s", bytes,
                   cudaGetErrorString(ce));
    return VRT_EDEVICE;
}

static vrt_status depth_cuda_enqueue(void *ctx, const vrt__head_params *hp, const float *const *dout,
                                     const vrt_preprocess_geometry *g, void *dres, void *stream, char *err,
                                     size_t cap) {
    const vrt__dense_geom dg = vrt__head_dense_geom(hp, g);
    for (int k = 0; k < hp->batch; k++) {
        cudaError_t ce = vrt__cuda_depth_launch(
            dout[0] + (size_t)k * hp->out_counts[0], &dg, &hp->layout, (int)hp->colormap, ctx,
            (uint8_t *)dres + (size_t)k * hp->layout.bytes,
            hp->refine.radius > 0 ? depth_scratch(ctx, hp, k) : NULL, (cudaStream_t)stream);
        if (ce != cudaSuccess) return launch_fail(ce, "depth", err, cap);
    }
    return VRT_OK;
}

/* Row k's sampled map filtered into its raw map with the frame as the guide, then stats and colours. */
vrt_status vrt__head_refine_cuda(void *ctx, const vrt__head_params *hp, int k, const vrt_frame *frame,
                                 void *dres, void *stream, char *err, size_t cap) {
    uint8_t *res = (uint8_t *)dres + (size_t)k * hp->layout.bytes;
    const vrt__result_map *mr = vrt__head_map(hp, VRT_MAP_DEPTH_RAW);
    vrt_status st = vrt_cuda_guided_filter_map(frame, depth_scratch(ctx, hp, k), (size_t)hp->frame_w,
                                               (float *)(res + mr->offset), mr->stride / sizeof(float),
                                               &hp->refine, NULL, 0, stream, err, cap);
    if (st) return st;
    const vrt__dense_geom dg = vrt__head_dense_geom(hp, NULL);
    cudaError_t ce = vrt__cuda_depth_launch(NULL, &dg, &hp->layout, (int)hp->colormap, ctx, res, NULL,
                                            (cudaStream_t)stream);
    return ce == cudaSuccess ? VRT_OK : launch_fail(ce, "depth", err, cap);
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
