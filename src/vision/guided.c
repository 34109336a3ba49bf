/* Guided filter, CPU twin (vrt/vision.h; the CUDA twin is cuda/guided.cu):
 * box means by running sums along rows then columns, in double, each pass
 * rounded to float; the per-pixel formulas are guided_impl.h's. */
#include <math.h>
#include <string.h>

#include "vision/guided_impl.h"
#include "vision/pixel.h"
#include "vision/vision_impl.h"
#include "vrt/vision.h"

void vrt_guided_default_params(vrt_guided_params *p) {
    p->radius = 8;
    p->eps = 0.01f;
}

vrt_status vrt_guided_check(const vrt_guided_params *p, char *err, size_t cap) {
    if (!p || p->radius < 1 || p->radius > VRT_GUIDED_MAX_RADIUS) {
        vrt_errbuf_set(err, cap, "guided filter: radius %d; must be 1..%d", p ? p->radius : 0,
                       VRT_GUIDED_MAX_RADIUS);
        return VRT_EINVAL;
    }
    if (!(p->eps > 0.0f) || !isfinite(p->eps)) {
        vrt_errbuf_set(err, cap, "guided filter: eps %g; must be a positive number (0.0001..0.1 typical)",
                       (double)p->eps);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

/* Maps of w x h floats in the scratch, then a row of w doubles. */
enum { M_I, M_MI, M_MII, M_P, M_MP, M_IP, M_MIP, M_A, M_B, M_H, M_COUNT };

size_t vrt_guided_scratch_size(uint32_t w, uint32_t h) {
    return (size_t)M_COUNT * w * h * sizeof(float) + (size_t)w * sizeof(double) + 16;
}

typedef struct gf_ctx {
    uint32_t w, h;
    int r;
    float *m[M_COUNT];
    double *col;
} gf_ctx;

/* out = box mean of in (w x h, tight) over (2r+1)^2 reflected windows. */
static void box_mean(const gf_ctx *c, const float *in, float *out) {
    const int32_t w = (int32_t)c->w, h = (int32_t)c->h, r = c->r;
    float *hs = c->m[M_H];
    const double k = (double)(2 * r + 1) * (2 * r + 1);
    for (int32_t y = 0; y < h; y++) {
        const float *row = in + (size_t)y * w;
        float *o = hs + (size_t)y * w;
        double s = 0.0;
        for (int32_t i = -r; i <= r; i++)
            s += row[vrt__gf_reflect(i, w)];
        for (int32_t x = 0; x < w; x++) {
            o[x] = (float)s;
            /* Reflect only at the borders: the modulo costs more than the sum. */
            int32_t xa = x + r + 1, xs = x - r;
            xa = xa < w ? xa : vrt__gf_reflect(xa, w);
            xs = xs >= 0 ? xs : vrt__gf_reflect(xs, w);
            s += (double)row[xa] - (double)row[xs];
        }
    }
    for (int32_t x = 0; x < w; x++)
        c->col[x] = 0.0;
    for (int32_t i = -r; i <= r; i++) {
        const float *row = hs + (size_t)vrt__gf_reflect(i, h) * w;
        for (int32_t x = 0; x < w; x++)
            c->col[x] += row[x];
    }
    for (int32_t y = 0; y < h; y++) {
        const float *add = hs + (size_t)vrt__gf_reflect(y + r + 1, h) * w;
        const float *sub = hs + (size_t)vrt__gf_reflect(y - r, h) * w;
        float *o = out + (size_t)y * w;
        for (int32_t x = 0; x < w; x++) {
            o[x] = vrt__gf_mean(c->col[x], k);
            c->col[x] += (double)add[x] - (double)sub[x];
        }
    }
}

/* Checks and carves the scratch; fills the guide I, its mean and mean of I^2. */
static vrt_status gf_begin(gf_ctx *c, const vrt_frame *guide, const vrt_guided_params *p, void *scratch,
                           size_t scratch_size, char *err, size_t cap) {
    vrt_status st = vrt__vision_check_frame(guide, "guided filter", 0, err, cap);
    if (!st) st = vrt_guided_check(p, err, cap);
    if (st) return st;
    size_t need = vrt_guided_scratch_size(guide->width, guide->height);
    if (!scratch || scratch_size < need) {
        vrt_errbuf_set(err, cap,
                       "guided filter: scratch of %zu bytes; %ux%u needs %zu (vrt_guided_scratch_size)",
                       scratch_size, guide->width, guide->height, need);
        return VRT_EINVAL;
    }
    c->w = guide->width;
    c->h = guide->height;
    c->r = p->radius;
    const size_t n = (size_t)c->w * c->h;
    float *base = (float *)scratch;
    for (int i = 0; i < M_COUNT; i++)
        c->m[i] = base + (size_t)i * n;
    c->col = (double *)(((uintptr_t)(base + (size_t)M_COUNT * n) + 7) & ~(uintptr_t)7);
    for (uint32_t y = 0; y < c->h; y++)
        for (uint32_t x = 0; x < c->w; x++) {
            int rgb[3];
            vrt__px_fetch_rgb(guide, x, y, rgb);
            float I = vrt__gf_luma(rgb);
            c->m[M_I][(size_t)y * c->w + x] = I;
            c->m[M_P][(size_t)y * c->w + x] = I * I;
        }
    box_mean(c, c->m[M_I], c->m[M_MI]);
    box_mean(c, c->m[M_P], c->m[M_MII]);
    return VRT_OK;
}

/* With p in m[M_P]: a, b, their means, and q into out(x, y) through put. */
static void gf_channel(const gf_ctx *c, float eps, void (*put)(void *dst, size_t i, float q), void *dst) {
    const size_t n = (size_t)c->w * c->h;
    for (size_t i = 0; i < n; i++)
        c->m[M_IP][i] = c->m[M_I][i] * c->m[M_P][i];
    box_mean(c, c->m[M_P], c->m[M_MP]);
    box_mean(c, c->m[M_IP], c->m[M_MIP]);
    for (size_t i = 0; i < n; i++)
        vrt__gf_coeffs(c->m[M_MI][i], c->m[M_MP][i], c->m[M_MII][i], c->m[M_MIP][i], eps, &c->m[M_A][i],
                       &c->m[M_B][i]);
    box_mean(c, c->m[M_A], c->m[M_P]); /* p is no longer needed: m(a) there, m(b) in IP */
    box_mean(c, c->m[M_B], c->m[M_IP]);
    for (size_t i = 0; i < n; i++)
        put(dst, i, vrt__gf_out(c->m[M_P][i], c->m[M_IP][i], c->m[M_I][i]));
}

typedef struct map_out {
    float *dst;
    size_t stride, w;
} map_out;

static void put_map(void *d, size_t i, float q) {
    map_out *m = d;
    m->dst[(i / m->w) * m->stride + i % m->w] = q;
}

vrt_status vrt_guided_filter_map(const vrt_frame *guide, const float *src, size_t src_stride, float *dst,
                                 size_t dst_stride, const vrt_guided_params *p, void *scratch,
                                 size_t scratch_size, char *err, size_t cap) {
    gf_ctx c;
    vrt_status st = gf_begin(&c, guide, p, scratch, scratch_size, err, cap);
    if (st) return st;
    if (!src || !dst || src_stride < c.w || dst_stride < c.w) {
        vrt_errbuf_set(err, cap,
                       "guided filter: map %s with strides %zu/%zu floats; the %ux%u guide needs >= %u",
                       src && dst ? "given" : "missing", src_stride, dst_stride, c.w, c.h, c.w);
        return VRT_EINVAL;
    }
    for (uint32_t y = 0; y < c.h; y++)
        memcpy(c.m[M_P] + (size_t)y * c.w, src + (size_t)y * src_stride, c.w * sizeof(float));
    map_out mo = {dst, dst_stride, c.w};
    gf_channel(&c, p->eps, put_map, &mo);
    return VRT_OK;
}

typedef struct rgb_out {
    uint8_t *data;
    size_t stride, w;
    int c;
} rgb_out;

static void put_rgb(void *d, size_t i, float q) {
    rgb_out *o = d;
    o->data[(i / o->w) * o->stride + (i % o->w) * 3 + (size_t)o->c] = vrt__gf_to8(q);
}

vrt_status vrt_guided_filter_frame(const vrt_frame *f, const vrt_guided_params *p, vrt_frame *out,
                                   void *scratch, size_t scratch_size, char *err, size_t cap) {
    gf_ctx c;
    vrt_status st = gf_begin(&c, f, p, scratch, scratch_size, err, cap);
    if (st) return st;
    if (!out || out->fourcc != VRT_FMT_RGB24 || out->width != c.w || out->height != c.h ||
        !out->planes[0].data || out->planes[0].stride < 3 * c.w || out->memory == VRT_MEM_DEVICE) {
        vrt_errbuf_set(err, cap, "guided filter: the output must be a host RGB24 frame of %ux%u", c.w, c.h);
        return VRT_EINVAL;
    }
    for (int ch = 0; ch < 3; ch++) {
        for (uint32_t y = 0; y < c.h; y++)
            for (uint32_t x = 0; x < c.w; x++) {
                int rgb[3];
                vrt__px_fetch_rgb(f, x, y, rgb);
                c.m[M_P][(size_t)y * c.w + x] = (float)rgb[ch] / 255.0f;
            }
        rgb_out o = {out->planes[0].data, out->planes[0].stride, c.w, ch};
        gf_channel(&c, p->eps, put_rgb, &o);
    }
    out->timestamp_ns = f->timestamp_ns;
    out->ts_from_driver = f->ts_from_driver;
    out->dequeue_ns = f->dequeue_ns;
    out->sequence = f->sequence;
    out->pts_ns = f->pts_ns;
    return VRT_OK;
}
