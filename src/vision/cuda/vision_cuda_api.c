/* Host side of the GPU vision twins (vrt/vision_cuda.h): parameter and frame
 * checks with the CPU twin's messages, geometry on the host, then one call of
 * a launcher from the .cu files. Nothing here allocates on the GPU or waits
 * for it. */
#include <string.h>

#include "engine/cuda_check.h"
#include "vision/cuda/vision_cuda.h"
#include "vision/vision_impl.h"
#include "vrt/vision_cuda.h"

/* Frame descriptor -> kernel view, after the CPU twin's checks (GPU memory rule). */
static vrt_status src_from_frame(const vrt_frame *f, vrt__cuda_src *s, char *err, size_t cap) {
    vrt_status st = vrt__vision_check_frame(f, "cuda preprocess", 1, err, cap);
    if (st) return st;
    int planes = f->fourcc == VRT_FMT_NV12 ? 2 : 1;
    memset(s, 0, sizeof(*s));
    s->p0 = f->planes[0].data;
    s->s0 = f->planes[0].stride;
    if (planes == 2) {
        s->p1 = f->planes[1].data;
        s->s1 = f->planes[1].stride;
    }
    s->fourcc = f->fourcc;
    s->width = f->width;
    s->height = f->height;
    return VRT_OK;
}

static vrt_status need_stream(const void *stream, const char *who, char *err, size_t cap) {
    if (stream) return VRT_OK;
    vrt_errbuf_set(err, cap,
                   "%s: no stream given; pass a cudaStream_t (the legacy default stream is not used)", who);
    return VRT_EINVAL;
}

vrt_status vrt_cuda_preprocess_frame(const vrt_frame *f, const vrt_preprocess_params *p, void *out,
                                     size_t out_size, vrt_preprocess_geometry *geom, void *stream, char *err,
                                     size_t cap) {
    vrt__cuda_src src;
    vrt_status st = need_stream(stream, "cuda preprocess", err, cap);
    if (!st) st = src_from_frame(f, &src, err, cap);
    if (st) return st;
    vrt_preprocess_geometry g;
    st = vrt_preprocess_geometry_for(p, f->width, f->height, &g, err, cap);
    if (st) return st;
    size_t need = vrt_preprocess_output_size(p);
    if (!out || out_size < need) {
        vrt_errbuf_set(err, cap, "cuda preprocess: output buffer of %zu bytes; %ux%ux3 %s needs %zu",
                       out_size, p->width, p->height, p->dtype == VRT_TENSOR_F16 ? "fp16" : "fp32", need);
        return VRT_EINVAL;
    }
    st = VRT_CUDA_CHECK(err, cap, vrt__cuda_preprocess_launch(&src, p, &g, out, (cudaStream_t)stream));
    if (st) return st;
    if (geom) *geom = g;
    return VRT_OK;
}

vrt_status vrt_cuda_preprocess_rois(const vrt_frame *f, const vrt_box *boxes, int n,
                                    const vrt_preprocess_params *p, void *out, size_t out_size,
                                    vrt_preprocess_geometry *geoms, void *stream, char *err, size_t cap) {
    vrt__cuda_src src;
    vrt_status st = need_stream(stream, "cuda preprocess", err, cap);
    if (!st) st = src_from_frame(f, &src, err, cap);
    if (!st) st = vrt_preprocess_check(p, err, cap);
    if (st) return st;
    if (n < 0 || n > 65535 || (n > 0 && !boxes)) {
        vrt_errbuf_set(err, cap,
                       "cuda preprocess: %d ROIs with %s boxes; use 0..65535 ROIs and a device array", n,
                       boxes ? "given" : "no");
        return VRT_EINVAL;
    }
    size_t one = vrt_preprocess_output_size(p);
    if ((n > 0 && !out) || out_size / one < (size_t)n) {
        vrt_errbuf_set(err, cap, "cuda preprocess: output buffer of %zu bytes; %d ROIs of %ux%ux3 need %zu",
                       out_size, n, p->width, p->height, one * (size_t)n);
        return VRT_EINVAL;
    }
    return VRT_CUDA_CHECK(err, cap,
                          vrt__cuda_rois_launch(&src, boxes, n, p, out, geoms, (cudaStream_t)stream));
}

vrt_status vrt_cuda_topk(const void *scores, vrt_tensor_type dtype, int rows, int n, int k, int softmax,
                         vrt_class_result *out, void *stream, char *err, size_t cap) {
    vrt_status st = need_stream(stream, "cuda topk", err, cap);
    if (st) return st;
    if (!scores || !out || rows < 1 || rows > (1 << 30) || n < 1 || k < 1 || k > VRT_CUDA_TOPK_MAX ||
        (unsigned)dtype > VRT_TENSOR_F16) {
        vrt_errbuf_set(err, cap,
                       "cuda topk: rows %d, n %d, k %d, dtype %d, scores %s, out %s; need rows >= 1, n >= 1, "
                       "k in 1..%d, fp32/fp16, both buffers",
                       rows, n, k, (int)dtype, scores ? "given" : "NULL", out ? "given" : "NULL",
                       VRT_CUDA_TOPK_MAX);
        return VRT_EINVAL;
    }
    return VRT_CUDA_CHECK(
        err, cap,
        vrt__cuda_topk_launch(scores, dtype, rows, n, k, softmax ? 1 : 0, out, (cudaStream_t)stream));
}

struct vrt_cuda_detector {
    vrt_detect_params p; /* validated, num_anchors filled in */
    size_t workspace;
    char err[256];
};

vrt_status vrt_cuda_detector_create(vrt_cuda_detector_t **out, const vrt_detect_params *p, char *err,
                                    size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    /* The CPU detector's checks, messages and anchor count (its host scratch
     * is freed at once: creation is not on the frame path). */
    vrt_detector_t *ref = NULL;
    vrt_status st = vrt_detector_create(&ref, p, err, cap);
    if (st) return st;
    int n = vrt_detector_num_anchors(ref);
    vrt_detector_destroy(&ref);
    if ((int64_t)n * p->num_classes > (int64_t)1 << 31) {
        vrt_errbuf_set(err, cap, "cuda detector: %d anchors x %d classes is too many for the GPU decode", n,
                       p->num_classes);
        return VRT_EINVAL;
    }
    vrt_cuda_detector_t *d = vrt_calloc(1, sizeof(*d));
    if (!d) {
        vrt_errbuf_set(err, cap, "cuda detector: out of memory");
        return VRT_ENOMEM;
    }
    d->p = *p;
    d->p.num_anchors = n;
    d->workspace = vrt__cuda_detect_workspace(&d->p);
    *out = d;
    return VRT_OK;
}

int vrt_cuda_detector_num_anchors(const vrt_cuda_detector_t *d) {
    return d ? d->p.num_anchors : 0;
}

size_t vrt_cuda_detector_workspace_size(const vrt_cuda_detector_t *d) {
    return d ? d->workspace : 0;
}

vrt_status vrt_cuda_detector_run(vrt_cuda_detector_t *d, const float *output, size_t count,
                                 const vrt_preprocess_geometry *geom, void *workspace, size_t workspace_size,
                                 vrt_detections *out, void *stream) {
    if (!d) return VRT_EINVAL;
    const vrt_detect_params *p = &d->p;
    const int C = p->num_classes, n = p->num_anchors;
    size_t need = (size_t)n * (size_t)(C + (p->kind == VRT_DETECT_YOLOX ? 5 : 4));
    vrt_status st = need_stream(stream, "cuda detector", d->err, sizeof(d->err));
    if (st) return st;
    if (!output || !out || count != need) {
        vrt_errbuf_set(
            d->err, sizeof(d->err),
            "cuda detector: output has %zu values%s; %s with %d anchors and %d classes needs %zu%s", count,
            output ? "" : " (NULL)", p->kind == VRT_DETECT_YOLOX ? "YOLOX [1,N,5+C]" : "YOLOv8 [1,4+C,N]", n,
            C, need, out ? "" : "; no result buffer given");
        return VRT_EINVAL;
    }
    if (!workspace || workspace_size < d->workspace || ((uintptr_t)workspace & 255u)) {
        vrt_errbuf_set(d->err, sizeof(d->err),
                       "cuda detector: workspace of %zu bytes at %p; need %zu bytes, 256-byte aligned "
                       "(vrt_cuda_detector_workspace_size)",
                       workspace_size, workspace, d->workspace);
        return VRT_EINVAL;
    }
    return VRT_CUDA_CHECK(d->err, sizeof(d->err),
                          vrt__cuda_detect_launch(p, output, geom, workspace, out, (cudaStream_t)stream));
}

const char *vrt_cuda_detector_error(const vrt_cuda_detector_t *d) {
    return d ? d->err : "no detector";
}

void vrt_cuda_detector_destroy(vrt_cuda_detector_t **d) {
    if (!d || !*d) return;
    vrt_free(*d);
    *d = NULL;
}
