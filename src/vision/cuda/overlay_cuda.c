/* Host side of the overlay's GPU twin (vrt_cuda_overlay_* in vrt/vision_cuda.h):
 * the draw list is planned on the host by the CPU twin's code, staged in
 * page-locked memory, copied on the caller's stream and painted by one kernel
 * (overlay.cu) that also converts the frame. Everything is allocated at init. */
#include <string.h>

#include "engine/cuda_check.h"
#include "vision/cuda/overlay_cuda.h"
#include "vision/overlay_impl.h"
#include "vision/vision_impl.h"
#include "vrt/vision_cuda.h"

typedef struct ov_cuda {
    vrt__ov_prim *d_prims, *h_prims; /* device list and its page-locked staging */
    char *d_text, *h_text;
    uint8_t *d_font, *d_palette;
    /* The maps (segmentation, depth) and their palettes, tightly packed: grown when a frame's map
     * is larger than any before (the first such frame allocates; later ones do not). */
    uint8_t *d_map[2], *h_map[2], *d_pal, *h_pal;
    size_t map_cap[2];
    cudaEvent_t staged; /* the last copy out of the staging buffers has finished */
    int pending;
} ov_cuda;

static void ov_cuda_free(void *p) {
    ov_cuda *c = p;
    if (!c) return;
    if (c->pending) cudaEventSynchronize(c->staged);
    if (c->staged) cudaEventDestroy(c->staged);
    cudaFree(c->d_prims);
    cudaFree(c->d_text);
    cudaFree(c->d_font);
    cudaFree(c->d_palette);
    for (int m = 0; m < 2; m++) {
        cudaFree(c->d_map[m]);
        cudaFreeHost(c->h_map[m]);
    }
    cudaFree(c->d_pal);
    cudaFreeHost(c->h_pal);
    cudaFreeHost(c->h_prims);
    cudaFreeHost(c->h_text);
    vrt_free(c);
}

vrt_status vrt_cuda_overlay_init(vrt_overlay_t *ov, char *err, size_t cap) {
    if (!ov) return VRT_EINVAL;
    if (ov->cuda) return VRT_OK;
    ov_cuda *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    size_t font_bytes = VRT__FONT_COUNT * VRT__FONT_H * VRT__FONT_W;
    size_t prim_bytes = VRT__OV_MAX_PRIMS * sizeof(vrt__ov_prim);
    vrt_status st = VRT_CUDA_CHECK(err, cap, cudaMalloc((void **)&c->d_prims, prim_bytes));
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMalloc((void **)&c->d_text, VRT__OV_TEXT_CAP));
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMalloc((void **)&c->d_font, font_bytes));
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMalloc((void **)&c->d_palette, sizeof(ov->palette)));
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMallocHost((void **)&c->h_prims, prim_bytes));
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMallocHost((void **)&c->h_text, VRT__OV_TEXT_CAP));
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMalloc((void **)&c->d_pal, 2 * 768));
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMallocHost((void **)&c->h_pal, 2 * 768));
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaEventCreateWithFlags(&c->staged, cudaEventDisableTiming));
    /* Constant tables: once, synchronously (init is not on the frame path). */
    if (!st)
        st = VRT_CUDA_CHECK(err, cap, cudaMemcpy(c->d_font, ov->font, font_bytes, cudaMemcpyHostToDevice));
    if (!st)
        st = VRT_CUDA_CHECK(
            err, cap, cudaMemcpy(c->d_palette, ov->palette, sizeof(ov->palette), cudaMemcpyHostToDevice));
    if (st) {
        ov_cuda_free(c);
        return st;
    }
    ov->cuda = c;
    ov->cuda_free = ov_cuda_free;
    return VRT_OK;
}

/* The plan's maps into the staging (tightly packed) and their copies enqueued; d gets the
 * device pointers. */
static vrt_status stage_maps(vrt_overlay_t *ov, ov_cuda *c, vrt__ov_data *d, cudaStream_t cs, char *err,
                             size_t cap) {
    vrt_status st = VRT_OK;
    for (int m = 0; m < 2 && !st; m++) {
        if (!ov->map[m]) continue;
        size_t w = (size_t)ov->mw[m], h = (size_t)ov->mh[m], need = w * h;
        if (need > c->map_cap[m]) {
            cudaFree(c->d_map[m]);
            cudaFreeHost(c->h_map[m]);
            c->d_map[m] = c->h_map[m] = NULL;
            c->map_cap[m] = 0;
            st = VRT_CUDA_CHECK(err, cap, cudaMalloc((void **)&c->d_map[m], need));
            if (!st) st = VRT_CUDA_CHECK(err, cap, cudaMallocHost((void **)&c->h_map[m], need));
            if (st) return st;
            c->map_cap[m] = need;
        }
        for (size_t y = 0; y < h; y++)
            memcpy(c->h_map[m] + y * w, ov->map[m] + y * (size_t)ov->stride[m], w);
        memcpy(c->h_pal + 768 * m, ov->map_pal[m], 768);
        st = VRT_CUDA_CHECK(err, cap,
                            cudaMemcpyAsync(c->d_map[m], c->h_map[m], need, cudaMemcpyHostToDevice, cs));
        if (!st)
            st = VRT_CUDA_CHECK(
                err, cap,
                cudaMemcpyAsync(c->d_pal + 768 * m, c->h_pal + 768 * m, 768, cudaMemcpyHostToDevice, cs));
        d->map[m] = c->d_map[m];
        d->mw[m] = ov->mw[m], d->mh[m] = ov->mh[m], d->stride[m] = ov->mw[m], d->skip[m] = ov->skip[m];
        d->palette[m] = c->d_pal + 768 * m;
    }
    return st;
}

static vrt_status check_frames(const vrt_frame *src, const vrt_frame *dst, vrt__cuda_src *s, char *err,
                               size_t cap) {
    vrt_status st = vrt__vision_check_frame(src, "cuda overlay", 1, err, cap);
    if (st) return st;
    if (!dst || dst->fourcc != VRT_FMT_RGB24 || dst->width != src->width || dst->height != src->height ||
        !dst->planes[0].data || dst->memory == VRT_MEM_HOST) {
        vrt_errbuf_set(err, cap,
                       "cuda overlay: the picture must be an RGB24 frame in GPU memory of the source's size "
                       "(%ux%u)",
                       src->width, src->height);
        return VRT_EINVAL;
    }
    memset(s, 0, sizeof(*s));
    s->p0 = src->planes[0].data;
    s->s0 = src->planes[0].stride;
    if (src->fourcc == VRT_FMT_NV12) {
        s->p1 = src->planes[1].data;
        s->s1 = src->planes[1].stride;
    }
    s->fourcc = src->fourcc;
    s->width = src->width;
    s->height = src->height;
    return VRT_OK;
}

vrt_status vrt_cuda_overlay_render(vrt_overlay_t *ov, const vrt_frame *src, vrt_frame *dst,
                                   const vrt_result *r, const vrt_overlay_info *info, void *stream, char *err,
                                   size_t cap) {
    if (!ov || !src || !dst) return VRT_EINVAL;
    ov_cuda *c = ov->cuda;
    if (!c || !stream) {
        vrt_errbuf_set(err, cap, "cuda overlay: %s",
                       !c ? "call vrt_cuda_overlay_init first"
                          : "no stream given (the default stream is not used)");
        return VRT_EINVAL;
    }
    vrt__cuda_src s;
    vrt_status st = check_frames(src, dst, &s, err, cap);
    if (st) return st;
    cudaStream_t cs = (cudaStream_t)stream;
    /* The staging buffers are reused: the previous call's copies must have left them. */
    if (c->pending) {
        st = VRT_CUDA_CHECK(err, cap, cudaEventSynchronize(c->staged));
        if (st) return st;
        c->pending = 0;
    }
    vrt__overlay_plan(ov, src->width, src->height, r, info);
    memcpy(c->h_prims, ov->prims, (size_t)ov->n * sizeof(vrt__ov_prim));
    memcpy(c->h_text, ov->text, ov->text_len);
    if (ov->n)
        st = VRT_CUDA_CHECK(err, cap,
                            cudaMemcpyAsync(c->d_prims, c->h_prims, (size_t)ov->n * sizeof(vrt__ov_prim),
                                            cudaMemcpyHostToDevice, cs));
    if (!st && ov->text_len)
        st = VRT_CUDA_CHECK(err, cap,
                            cudaMemcpyAsync(c->d_text, c->h_text, ov->text_len, cudaMemcpyHostToDevice, cs));
    vrt__ov_data d;
    memset(&d, 0, sizeof(d));
    d.font = c->d_font;
    d.text = c->d_text;
    d.palette[0] = d.palette[1] = c->d_palette;
    if (!st) st = stage_maps(ov, c, &d, cs, err, cap);
    if (!st) st = VRT_CUDA_CHECK(err, cap, cudaEventRecord(c->staged, cs));
    if (st) return st;
    c->pending = 1;
    return VRT_CUDA_CHECK(
        err, cap,
        vrt__cuda_overlay_launch(&s, dst->planes[0].data, dst->planes[0].stride, c->d_prims, ov->n, &d, cs));
}
