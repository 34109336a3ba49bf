/* Host side of the CUDA guided filter (vrt/vision_cuda.h): the CPU twin's
 * checks, then one launcher call (cuda/guided.cu); an in-place map is first
 * copied into the scratch, since the tiles read their neighbours' input.
 * Enqueues only. */
#include <string.h>

#include "engine/cuda_check.h"
#include "vision/cuda/vision_cuda.h"
#include "vision/vision_impl.h"
#include "vrt/vision_cuda.h"

size_t vrt_cuda_guided_scratch_size(uint32_t w, uint32_t h) {
    return (size_t)w * h * sizeof(float); /* a copy of an in-place map's input */
}

static vrt_status begin(const vrt_frame *g, const vrt_guided_params *p, void *stream, vrt__cuda_src *s,
                        char *err, size_t cap) {
    vrt_status st = vrt__vision_check_frame(g, "cuda guided filter", 1, err, cap);
    if (!st) st = vrt_guided_check(p, err, cap);
    if (st) return st;
    if (!stream) {
        vrt_errbuf_set(err, cap, "cuda guided filter: no stream given; pass a cudaStream_t");
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

/* Whether [a, a + an) and [b, b + bn) share a byte. */
static int overlaps(const void *a, size_t an, const void *b, size_t bn) {
    const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + bn && y < x + an;
}

static vrt_status launch(const vrt__cuda_src *s, const vrt_guided_params *p, const float *src,
                         size_t src_stride, float *dst, size_t dst_stride, uint8_t *rgb, size_t rgb_stride,
                         void *stream, char *err, size_t cap) {
    cudaError_t e = vrt__cuda_guided_launch(s, p->radius, p->eps, src, src_stride, dst, dst_stride, rgb,
                                            rgb_stride, (cudaStream_t)stream);
    if (e == cudaErrorInvalidConfiguration) {
        vrt_errbuf_set(err, cap,
                       "cuda guided filter: radius %d needs more shared memory than this GPU has; "
                       "use a radius of 8 or less",
                       p->radius);
        return VRT_ENOTSUP;
    }
    return VRT_CUDA_CHECK(err, cap, e);
}

vrt_status vrt_cuda_guided_filter_map(const vrt_frame *guide, const float *src, size_t src_stride, float *dst,
                                      size_t dst_stride, const vrt_guided_params *p, void *scratch,
                                      size_t scratch_size, void *stream, char *err, size_t cap) {
    vrt__cuda_src s;
    vrt_status st = begin(guide, p, stream, &s, err, cap);
    if (st) return st;
    const uint32_t w = guide->width, h = guide->height;
    if (!src || !dst || src_stride < w || dst_stride < w) {
        vrt_errbuf_set(err, cap,
                       "cuda guided filter: map %s with strides %zu/%zu floats; the %ux%u guide needs >= %u",
                       src && dst ? "given" : "missing", src_stride, dst_stride, w, h, w);
        return VRT_EINVAL;
    }
    const size_t sb = ((size_t)(h - 1) * src_stride + w) * sizeof(float);
    const size_t db = ((size_t)(h - 1) * dst_stride + w) * sizeof(float);
    if (overlaps(src, sb, dst, db)) {
        const size_t need = vrt_cuda_guided_scratch_size(w, h);
        if (!scratch || scratch_size < need) {
            vrt_errbuf_set(err, cap,
                           "cuda guided filter: in place (dst overlaps src) needs scratch of %zu bytes for "
                           "%ux%u (vrt_cuda_guided_scratch_size); %zu given",
                           need, w, h, scratch ? scratch_size : 0);
            return VRT_EINVAL;
        }
        st = VRT_CUDA_CHECK(err, cap,
                            cudaMemcpy2DAsync(scratch, w * sizeof(float), src, src_stride * sizeof(float),
                                              w * sizeof(float), h, cudaMemcpyDeviceToDevice,
                                              (cudaStream_t)stream));
        if (st) return st;
        src = scratch;
        src_stride = w;
    }
    return launch(&s, p, src, src_stride, dst, dst_stride, NULL, 0, stream, err, cap);
}

vrt_status vrt_cuda_guided_filter_frame(const vrt_frame *f, const vrt_guided_params *p, vrt_frame *out,
                                        void *scratch, size_t scratch_size, void *stream, char *err,
                                        size_t cap) {
    (void)scratch, (void)scratch_size; /* the frame filter reads f and writes out only */
    vrt__cuda_src s;
    vrt_status st = begin(f, p, stream, &s, err, cap);
    if (st) return st;
    if (!out || out->fourcc != VRT_FMT_RGB24 || out->width != f->width || out->height != f->height ||
        !out->planes[0].data || out->planes[0].stride < 3 * f->width || out->memory == VRT_MEM_HOST) {
        vrt_errbuf_set(err, cap,
                       "cuda guided filter: the output must be an RGB24 frame of %ux%u in GPU memory",
                       f->width, f->height);
        return VRT_EINVAL;
    }
    const size_t ob = (size_t)(f->height - 1) * out->planes[0].stride + 3 * (size_t)f->width;
    for (int i = 0; i < f->num_planes; i++)
        if (f->planes[i].data && overlaps(f->planes[i].data, f->planes[i].size, out->planes[0].data, ob)) {
            vrt_errbuf_set(err, cap,
                           "cuda guided filter: the output overlaps the input frame; the GPU filter "
                           "cannot run in place, give it another buffer");
            return VRT_EINVAL;
        }
    return launch(&s, p, NULL, 0, NULL, 0, out->planes[0].data, out->planes[0].stride, stream, err, cap);
}
