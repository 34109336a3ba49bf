/* Host side of the CUDA guided filter (vrt/vision_cuda.h): the CPU twin's
 * checks, then one launcher call (cuda/guided.cu). Enqueues only. */
#include <string.h>

#include "engine/cuda_check.h"
#include "vision/cuda/vision_cuda.h"
#include "vision/vision_impl.h"
#include "vrt/vision_cuda.h"

size_t vrt_cuda_guided_scratch_size(uint32_t w, uint32_t h) {
    return (size_t)18 * w * h * sizeof(float); /* 6 maps (cuda/guided.cu) for each of up to 3 channels */
}

static vrt_status begin(const vrt_frame *g, const vrt_guided_params *p, void *scratch, size_t scratch_size,
                        void *stream, vrt__cuda_src *s, char *err, size_t cap) {
    vrt_status st = vrt__vision_check_frame(g, "cuda guided filter", 1, err, cap);
    if (!st) st = vrt_guided_check(p, err, cap);
    if (st) return st;
    if (!stream) {
        vrt_errbuf_set(err, cap, "cuda guided filter: no stream given; pass a cudaStream_t");
        return VRT_EINVAL;
    }
    size_t need = vrt_cuda_guided_scratch_size(g->width, g->height);
    if (!scratch || scratch_size < need) {
        vrt_errbuf_set(
            err, cap,
            "cuda guided filter: scratch of %zu bytes; %ux%u needs %zu (vrt_cuda_guided_scratch_size)",
            scratch_size, g->width, g->height, need);
        return VRT_EINVAL;
    }
    memset(s, 0, sizeof(*s));
    s->p0 = g->planes[0].data;
    s->s0 = g->planes[0].stride;
    if (g->fourcc == VRT_FMT_NV12) {
        s->p1 = g->planes[1].data;
        s->s1 = g->planes[1].stride;
    }
    s->fourcc = g->fourcc;
    s->width = g->width;
    s->height = g->height;
    return VRT_OK;
}

vrt_status vrt_cuda_guided_filter_map(const vrt_frame *guide, const float *src, size_t src_stride, float *dst,
                                      size_t dst_stride, const vrt_guided_params *p, void *scratch,
                                      size_t scratch_size, void *stream, char *err, size_t cap) {
    vrt__cuda_src s;
    vrt_status st = begin(guide, p, scratch, scratch_size, stream, &s, err, cap);
    if (st) return st;
    if (!src || !dst || src_stride < guide->width || dst_stride < guide->width) {
        vrt_errbuf_set(err, cap,
                       "cuda guided filter: map %s with strides %zu/%zu floats; the %ux%u guide needs >= %u",
                       src && dst ? "given" : "missing", src_stride, dst_stride, guide->width, guide->height,
                       guide->width);
        return VRT_EINVAL;
    }
    return VRT_CUDA_CHECK(err, cap,
                          vrt__cuda_guided_launch(&s, p->radius, p->eps, src, src_stride, dst, dst_stride,
                                                  NULL, 0, (float *)scratch, (cudaStream_t)stream));
}

vrt_status vrt_cuda_guided_filter_frame(const vrt_frame *f, const vrt_guided_params *p, vrt_frame *out,
                                        void *scratch, size_t scratch_size, void *stream, char *err,
                                        size_t cap) {
    vrt__cuda_src s;
    vrt_status st = begin(f, p, scratch, scratch_size, stream, &s, err, cap);
    if (st) return st;
    if (!out || out->fourcc != VRT_FMT_RGB24 || out->width != f->width || out->height != f->height ||
        !out->planes[0].data || out->planes[0].stride < 3 * f->width || out->memory == VRT_MEM_HOST) {
        vrt_errbuf_set(err, cap,
                       "cuda guided filter: the output must be an RGB24 frame of %ux%u in GPU memory",
                       f->width, f->height);
        return VRT_EINVAL;
    }
    return VRT_CUDA_CHECK(err, cap,
                          vrt__cuda_guided_launch(&s, p->radius, p->eps, NULL, 0, NULL, 0,
                                                  out->planes[0].data, out->planes[0].stride,
                                                  (float *)scratch, (cudaStream_t)stream));
}
