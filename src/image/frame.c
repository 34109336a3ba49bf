#include "vrt/frame.h"

#include "image_impl.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    uint32_t cc;
    const char *name;
} k_names[] = {
    {VRT_FMT_YUYV, "YUYV"},   {VRT_FMT_UYVY, "UYVY"}, {VRT_FMT_NV12, "NV12"},   {VRT_FMT_RGB24, "RGB24"},
    {VRT_FMT_BGR24, "BGR24"}, {VRT_FMT_GREY, "GREY"}, {VRT_FMT_MJPEG, "MJPEG"},
};

const char *vrt_fourcc_name(uint32_t cc, char buf[8]) {
    for (size_t i = 0; i < sizeof(k_names) / sizeof(k_names[0]); i++)
        if (k_names[i].cc == cc) return k_names[i].name;
    for (int i = 0; i < 4; i++) {
        char c = (char)((cc >> (8 * i)) & 0xff);
        buf[i] = (c >= 32 && c < 127) ? c : '?';
    }
    buf[4] = 0;
    return buf;
}

uint32_t vrt_fourcc_parse(const char *s) {
    if (!s) return 0;
    for (size_t i = 0; i < sizeof(k_names) / sizeof(k_names[0]); i++)
        if (!strcasecmp(s, k_names[i].name)) return k_names[i].cc;
    if (!strcasecmp(s, "RGB") || !strcasecmp(s, "RGB3")) return VRT_FMT_RGB24;
    if (!strcasecmp(s, "BGR") || !strcasecmp(s, "BGR3")) return VRT_FMT_BGR24;
    if (!strcasecmp(s, "GRAY") || !strcasecmp(s, "Y8")) return VRT_FMT_GREY;
    if (!strcasecmp(s, "MJPG") || !strcasecmp(s, "JPEG")) return VRT_FMT_MJPEG;
    if (!strcasecmp(s, "YUY2")) return VRT_FMT_YUYV;
    if (strlen(s) == 4) {
        for (int i = 0; i < 4; i++)
            if (s[i] < 32 || s[i] > 126) return 0;
        return VRT_FOURCC(s[0], s[1], s[2], s[3]);
    }
    return 0;
}

int vrt_fourcc_is_raw(uint32_t cc) {
    return cc == VRT_FMT_YUYV || cc == VRT_FMT_UYVY || cc == VRT_FMT_NV12 || cc == VRT_FMT_RGB24 ||
           cc == VRT_FMT_BGR24 || cc == VRT_FMT_GREY;
}

size_t vrt_frame_size_for(uint32_t cc, uint32_t w, uint32_t h) {
    if (!w || !h || w > 16384 || h > 16384) return 0;
    size_t px = (size_t)w * h;
    switch (cc) {
    case VRT_FMT_YUYV:
    case VRT_FMT_UYVY: return (w & 1) ? 0 : px * 2;
    case VRT_FMT_NV12: return ((w | h) & 1) ? 0 : px + px / 2;
    case VRT_FMT_RGB24:
    case VRT_FMT_BGR24: return px * 3;
    case VRT_FMT_GREY: return px;
    case VRT_FMT_MJPEG: return px * 3 + 4096;
    default: return 0;
    }
}

const char *vrt__frame_size_problem(uint32_t cc, uint32_t w, uint32_t h) {
    if (!w || !h) return "an empty size";
    if (w > 16384 || h > 16384) return "larger than the 16384x16384 a frame may have";
    if ((cc == VRT_FMT_YUYV || cc == VRT_FMT_UYVY) && (w & 1)) return "needs an even width";
    if (cc == VRT_FMT_NV12 && ((w | h) & 1)) return "needs even sizes";
    if (!vrt_frame_size_for(cc, w, h)) return "not a raw pixel format";
    return "usable";
}

vrt_status vrt_frame_layout(vrt_frame *f, uint32_t cc, uint32_t w, uint32_t h, uint8_t *data) {
    size_t total = vrt_frame_size_for(cc, w, h);
    if (!total) return VRT_EINVAL;
    f->fourcc = cc;
    f->width = w;
    f->height = h;
    memset(f->planes, 0, sizeof(f->planes));
    f->num_planes = 1;
    f->planes[0].data = data;
    switch (cc) {
    case VRT_FMT_YUYV:
    case VRT_FMT_UYVY: f->planes[0].stride = w * 2; break;
    case VRT_FMT_RGB24:
    case VRT_FMT_BGR24: f->planes[0].stride = w * 3; break;
    case VRT_FMT_GREY: f->planes[0].stride = w; break;
    case VRT_FMT_NV12:
        f->num_planes = 2;
        f->planes[0].stride = w;
        f->planes[1].stride = w;
        f->planes[1].data = data ? data + (size_t)w * h : NULL;
        f->planes[1].size = (uint32_t)((size_t)w * h / 2);
        break;
    case VRT_FMT_MJPEG: f->planes[0].stride = 0; break;
    }
    f->planes[0].size = (uint32_t)(cc == VRT_FMT_NV12 ? (size_t)w * h : total);
    f->bytesused = cc == VRT_FMT_MJPEG ? 0 : total;
    return VRT_OK;
}

void vrt_frame_ref(vrt_frame *f) {
    atomic_fetch_add_explicit((_Atomic int *)&f->refs, 1, memory_order_relaxed);
}

void vrt_frame_unref(vrt_frame **pf) {
    if (!pf || !*pf) return;
    vrt_frame *f = *pf;
    *pf = NULL;
    if (atomic_fetch_sub_explicit((_Atomic int *)&f->refs, 1, memory_order_acq_rel) == 1) {
        if (f->release) f->release(f->release_ctx, f);
    }
}

/* ---- pool ---- */

struct vrt_frame_pool {
    vrt_frame_pool_params p;
    size_t buf_size;
    uint8_t *mem;
    vrt_frame *frames;
    _Atomic uint32_t *free_stack; /* indices; guarded by lock */
    atomic_flag lock;
    uint32_t nfree;
    _Atomic int refs; /* 1 for the owner + 1 per frame out */
};

static void pool_lock(vrt_frame_pool_t *p) {
    while (atomic_flag_test_and_set_explicit(&p->lock, memory_order_acquire)) {
    }
}
static void pool_unlock(vrt_frame_pool_t *p) {
    atomic_flag_clear_explicit(&p->lock, memory_order_release);
}

static void pool_free_all(vrt_frame_pool_t *p) {
    vrt_free(p->mem);
    vrt_free(p->frames);
    vrt_free((void *)p->free_stack);
    vrt_free(p);
}

static void pool_put(vrt_frame_pool_t *p) {
    if (atomic_fetch_sub(&p->refs, 1) == 1) pool_free_all(p);
}

static void pool_release(void *ctx, vrt_frame *f) {
    vrt_frame_pool_t *p = ctx;
    uint32_t idx = (uint32_t)(f - p->frames);
    pool_lock(p);
    p->free_stack[p->nfree++] = idx;
    pool_unlock(p);
    pool_put(p);
}

void vrt_frame_pool_default_params(vrt_frame_pool_params *p) {
    memset(p, 0, sizeof(*p));
    p->count = 4;
}

vrt_status vrt_frame_pool_create(vrt_frame_pool_t **out, const vrt_frame_pool_params *prm) {
    *out = NULL;
    size_t need = vrt_frame_size_for(prm->fourcc, prm->width, prm->height);
    if (!need || !prm->count || prm->count > 4096) return VRT_EINVAL;
    size_t bs = prm->buffer_size > need ? prm->buffer_size : need;
    bs = (bs + 63) & ~(size_t)63;
    vrt_frame_pool_t *p = vrt_calloc(1, sizeof(*p));
    if (!p) return VRT_ENOMEM;
    p->p = *prm;
    p->buf_size = bs;
    p->mem = vrt_malloc(bs * prm->count);
    p->frames = vrt_calloc(prm->count, sizeof(vrt_frame));
    p->free_stack = vrt_calloc(prm->count, sizeof(uint32_t));
    if (!p->mem || !p->frames || !p->free_stack) {
        pool_free_all(p);
        return VRT_ENOMEM;
    }
    atomic_flag_clear(&p->lock);
    for (uint32_t i = 0; i < prm->count; i++)
        p->free_stack[i] = prm->count - 1 - i;
    p->nfree = prm->count;
    atomic_store(&p->refs, 1);
    *out = p;
    return VRT_OK;
}

vrt_status vrt_frame_pool_get(vrt_frame_pool_t *p, vrt_frame **out) {
    *out = NULL;
    pool_lock(p);
    if (!p->nfree) {
        pool_unlock(p);
        return VRT_EAGAIN;
    }
    uint32_t idx = p->free_stack[--p->nfree];
    pool_unlock(p);
    vrt_frame *f = &p->frames[idx];
    memset(f, 0, sizeof(*f));
    vrt_frame_layout(f, p->p.fourcc, p->p.width, p->p.height, p->mem + (size_t)idx * p->buf_size);
    f->pts_ns = -1;
    f->buffer_index = (int)idx;
    f->memory = VRT_MEM_HOST;
    f->release = pool_release;
    f->release_ctx = p;
    f->refs = 1;
    atomic_fetch_add(&p->refs, 1);
    *out = f;
    return VRT_OK;
}

uint32_t vrt_frame_pool_free_count(vrt_frame_pool_t *p) {
    pool_lock(p);
    uint32_t n = p->nfree;
    pool_unlock(p);
    return n;
}

void vrt_frame_pool_destroy(vrt_frame_pool_t **pp) {
    if (!pp || !*pp) return;
    pool_put(*pp);
    *pp = NULL;
}
