/* CUDA twins of segment-yolov8 and pose-yolov8 (head_yolo_seg.c): the NMS
 * passes of nms.cu with the kept anchors written out, then the masks or
 * the keypoints (dense.cu); the batch rows one after the other through one
 * workspace. */
#include <cuda_runtime.h>

#include "vision/cuda/vision_cuda.h"
#include "vision/heads_impl.h"

typedef struct yseg_cuda {
    void *ws; /* the NMS workspace, then the anchors */
    size_t nms_bytes;
    int *anchors;
} yseg_cuda;

static void yseg_cuda_destroy(void **ctx) {
    yseg_cuda *c = *ctx;
    if (!c) return;
    if (c->ws) cudaFree(c->ws);
    vrt_free(c);
    *ctx = NULL;
}

static vrt_status yseg_cuda_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    yseg_cuda *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    *ctx = c;
    c->nms_bytes = (vrt__cuda_detect_workspace(&hp->det) + 255) & ~(size_t)255;
    cudaError_t ce = cudaMalloc(&c->ws, c->nms_bytes + VRT_DETECT_MAX * sizeof(int));
    if (ce != cudaSuccess) {
        cudaGetLastError();
        c->ws = NULL;
        vrt_errbuf_set(err, cap, "%s head: cudaMalloc of the workspace failed: %s", vrt_task_name(hp->task),
                       cudaGetErrorString(ce));
        return VRT_EDEVICE;
    }
    c->anchors = (int *)((uint8_t *)c->ws + c->nms_bytes);
    return VRT_OK;
}

static vrt_status yseg_cuda_enqueue(void *ctx, const vrt__head_params *hp, const float *const *dout,
                                    const vrt_preprocess_geometry *g, void *dres, void *stream, char *err,
                                    size_t cap) {
    yseg_cuda *c = ctx;
    const int seg = hp->task == VRT_TASK_SEGMENT_YOLOV8;
    const vrt__dense_geom dg = vrt__head_dense_geom(hp, g);
    const float lt = vrt__head_mask_logit_threshold(hp->mask_threshold);
    cudaStream_t s = (cudaStream_t)stream;
    for (int k = 0; k < hp->batch; k++) {
        const float *o = dout[0] + (size_t)k * hp->out_counts[0];
        uint8_t *res = (uint8_t *)dres + (size_t)k * hp->layout.bytes;
        cudaError_t ce =
            vrt__cuda_detect_launch_anchors(&hp->det, o, g, c->ws, (vrt_detections *)res, c->anchors, s);
        if (ce == cudaSuccess && seg)
            ce = vrt__cuda_seg_masks_launch(o, hp->det.num_anchors, hp->num_classes, hp->map_c,
                                            dout[1] + (size_t)k * hp->out_counts[1], &dg, lt, c->anchors,
                                            &hp->layout, res, s);
        else if (ce == cudaSuccess)
            ce = vrt__cuda_pose_launch(o, hp->det.num_anchors, hp->num_classes, g, c->anchors, &hp->layout,
                                       res, s);
        if (ce != cudaSuccess) {
            cudaGetLastError();
            vrt_errbuf_set(err, cap, "%s head: launch failed: %s", vrt_task_name(hp->task),
                           cudaGetErrorString(ce));
            return VRT_EDEVICE;
        }
    }
    return VRT_OK;
}

const vrt__head_cuda vrt__head_yoloseg_cuda = {yseg_cuda_create, yseg_cuda_enqueue, yseg_cuda_destroy};
const vrt__head_cuda vrt__head_pose_cuda = {yseg_cuda_create, yseg_cuda_enqueue, yseg_cuda_destroy};
