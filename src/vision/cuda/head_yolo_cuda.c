/* CUDA twin of the YOLOX / YOLOv8 heads (head_yolo.c): decode + NMS per
 * batch row (vrt_cuda_detector_run), all rows through one workspace (they
 * run one after the other on the stream). */
#include <cuda_runtime.h>

#include "vision/heads_impl.h"
#include "vrt/vision_cuda.h"

typedef struct yolo_cuda {
    vrt_cuda_detector_t *det;
    void *ws;
    size_t ws_bytes;
} yolo_cuda;

static void yolo_cuda_destroy(void **ctx) {
    yolo_cuda *y = *ctx;
    if (!y) return;
    if (y->ws) cudaFree(y->ws);
    vrt_cuda_detector_destroy(&y->det);
    vrt_free(y);
    *ctx = NULL;
}

static vrt_status yolo_cuda_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    yolo_cuda *y = vrt_calloc(1, sizeof(*y));
    if (!y) return VRT_ENOMEM;
    *ctx = y;
    char e[256] = "";
    vrt_status st = vrt_cuda_detector_create(&y->det, &hp->det, e, sizeof(e));
    if (st) {
        vrt_errbuf_set(err, cap, "detector: %s", e);
        return st;
    }
    if ((st = vrt__head_yolo_check_anchors(hp, vrt_cuda_detector_num_anchors(y->det), err, cap))) return st;
    y->ws_bytes = vrt_cuda_detector_workspace_size(y->det);
    cudaError_t ce = cudaMalloc(&y->ws, y->ws_bytes ? y->ws_bytes : 256);
    if (ce != cudaSuccess) {
        cudaGetLastError();
        vrt_errbuf_set(err, cap, "detector workspace: cudaMalloc(%zu) failed: %s", y->ws_bytes,
                       cudaGetErrorString(ce));
        return VRT_EDEVICE;
    }
    return VRT_OK;
}

static vrt_status yolo_cuda_enqueue(void *ctx, const vrt__head_params *hp, const float *const *dout,
                                    const vrt_preprocess_geometry *g, void *dres, void *stream, char *err,
                                    size_t cap) {
    yolo_cuda *y = ctx;
    for (int k = 0; k < hp->batch; k++) {
        vrt_status st = vrt_cuda_detector_run(y->det, dout[0] + (size_t)k * hp->out_count, hp->out_count, g,
                                              y->ws, y->ws_bytes, (vrt_detections *)dres + k, stream);
        if (st) {
            vrt_errbuf_set(err, cap, "%s: %s", hp->batch > 1 ? "detection (batch)" : "detection",
                           vrt_cuda_detector_error(y->det));
            return st;
        }
    }
    return VRT_OK;
}

const vrt__head_cuda vrt__head_yolo_cuda = {yolo_cuda_create, yolo_cuda_enqueue, yolo_cuda_destroy};
