/* Guided filter, CPU twin (vrt/vision.h; the CUDA twin is cuda/guided.cu):
 * box sums by running sums along rows then columns: exact integer sums for
 * the 8-bit guide and frame channels, double for float maps (each row pass
 * rounded to float); the per-pixel formulas are guided_impl.h's. */
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

/* Maps of w x h 4-byte values in the scratch (int32 or float, as noted),
 * then a row of w 8-byte column sums. */
enum {
    M_L,   /* int: the guide's luma */
    M_SL,  /* int: its window sums */
    M_SLL, /* int: window sums of L^2 */
    M_P,   /* p: int C (frame) or float; then m(a) */
    M_SP,  /* int sums of C or float means of p; then m(b) */
    M_IP,  /* int L C or float I p */
    M_SIP, /* their sums or means */
    M_A,   /* float a */
    M_B,   /* float b */
    M_H,   /* the row pass's sums */
    M_COUNT
};

size_t vrt_guided_scratch_size(uint32_t w, uint32_t h) {
    return (size_t)M_COUNT * w * h * sizeof(float) + (size_t)w * sizeof(double) + 16;
}

typedef struct gf_ctx {
    uint32_t w, h;
    int r;
    void *m[M_COUNT];
    void *col; /* w doubles or int32s */
} gf_ctx;

#define MI(c, i) ((int32_t *)(c)->m[i])
#define MF(c, i) ((float *)(c)->m[i])

/* out = window sums of in (w x h, tight) over (2r+1)^2 reflected windows, in int32 (exact). */
static void box_sum_i(const gf_ctx *c, const int32_t *in, int32_t *out) {
    const int32_t w = (int32_t)c->w, h = (int32_t)c->h, r = c->r;
    int32_t *hs = MI(c, M_H), *col = c->col;
    for (int32_t y = 0; y < h; y++) {
        const int32_t *row = in + (size_t)y * w;
        int32_t *o = hs + (size_t)y * w, s = 0;
        for (int32_t i = -r; i <= r; i++)
            s += row[vrt__gf_reflect(i, w)];
        for (int32_t x = 0; x < w; x++) {
            o[x] = s;
            /* Reflect only at the borders: the modulo costs more than the sum. */
            int32_t xa = x + r + 1, xs = x - r;
            xa = xa < w ? xa : vrt__gf_reflect(xa, w);
            xs = xs >= 0 ? xs : vrt__gf_reflect(xs, w);
            s += row[xa] - row[xs];
        }
    }
    memset(col, 0, (size_t)w * sizeof(int32_t));
    for (int32_t i = -r; i <= r; i++) {
        const int32_t *row = hs + (size_t)vrt__gf_reflect(i, h) * w;
        for (int32_t x = 0; x < w; x++)
            col[x] += row[x];
    }
    for (int32_t y = 0; y < h; y++) {
        const int32_t *add = hs + (size_t)vrt__gf_reflect(y + r + 1, h) * w;
        const int32_t *sub = hs + (size_t)vrt__gf_reflect(y - r, h) * w;
        int32_t *o = out + (size_t)y * w;
        for (int32_t x = 0; x < w; x++) {
            o[x] = col[x];
            col[x] += add[x] - sub[x];
        }
    }
}

/* out = box mean of in (floats): row sums in double rounded to float, column
 * sums of those in double, times 1 / k. */
static void box_mean_f(const gf_ctx *c, const float *in, float *out) {
    const int32_t w = (int32_t)c->w, h = (int32_t)c->h, r = c->r;
    float *hs = MF(c, M_H);
    double *col = c->col;
    const double invk = 1.0 / ((double)(2 * r + 1) * (2 * r + 1));
    for (int32_t y = 0; y < h; y++) {
        const float *row = in + (size_t)y * w;
        float *o = hs + (size_t)y * w;
        double s = 0.0;
        for (int32_t i = -r; i <= r; i++)
            s += row[vrt__gf_reflect(i, w)];
        for (int32_t x = 0; x < w; x++) {
            o[x] = (float)s;
            int32_t xa = x + r + 1, xs = x - r;
            xa = xa < w ? xa : vrt__gf_reflect(xa, w);
            xs = xs >= 0 ? xs : vrt__gf_reflect(xs, w);
            s += (double)row[xa] - (double)row[xs];
        }
    }
    for (int32_t x = 0; x < w; x++)
        col[x] = 0.0;
    for (int32_t i = -r; i <= r; i++) {
        const float *row = hs + (size_t)vrt__gf_reflect(i, h) * w;
        for (int32_t x = 0; x < w; x++)
            col[x] += row[x];
    }
    for (int32_t y = 0; y < h; y++) {
        const float *add = hs + (size_t)vrt__gf_reflect(y + r + 1, h) * w;
        const float *sub = hs + (size_t)vrt__gf_reflect(y - r, h) * w;
        float *o = out + (size_t)y * w;
        for (int32_t x = 0; x < w; x++) {
            o[x] = vrt__gf_mean(col[x], invk);
            col[x] += (double)add[x] - (double)sub[x];
        }
    }
}

/* Checks and carves the scratch; fills the luma L and the sums of L and L^2. */
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
    c->col = (void *)(((uintptr_t)(base + (size_t)M_COUNT * n) + 7) & ~(uintptr_t)7);
    int32_t *L = MI(c, M_L), *LL = MI(c, M_P);
    for (uint32_t y = 0; y < c->h; y++)
        for (uint32_t x = 0; x < c->w; x++) {
            int rgb[3];
            vrt__px_fetch_rgb(guide, x, y, rgb);
            const int32_t l = vrt__gf_l8(rgb);
            L[(size_t)y * c->w + x] = l;
            LL[(size_t)y * c->w + x] = l * l;
        }
    box_sum_i(c, L, MI(c, M_SL));
    box_sum_i(c, LL, MI(c, M_SLL));
    return VRT_OK;
}

/* With a and b in m[M_A], m[M_B]: their means, and q into out(x, y) through put. */
static void gf_finish(const gf_ctx *c, void (*put)(void *dst, size_t i, float q), void *dst) {
    const size_t n = (size_t)c->w * c->h;
    float *ma = MF(c, M_P), *mb = MF(c, M_SP);
    const int32_t *L = MI(c, M_L);
    box_mean_f(c, MF(c, M_A), ma);
    box_mean_f(c, MF(c, M_B), mb);
    for (size_t i = 0; i < n; i++)
        put(dst, i, vrt__gf_out(ma[i], mb[i], vrt__gf_i(L[i])));
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
    const size_t n = (size_t)c.w * c.h;
    float *P = MF(&c, M_P), *IP = MF(&c, M_IP), *mp = MF(&c, M_SP), *mip = MF(&c, M_SIP);
    const int32_t *L = MI(&c, M_L), *sl = MI(&c, M_SL), *sll = MI(&c, M_SLL);
    for (uint32_t y = 0; y < c.h; y++)
        memcpy(P + (size_t)y * c.w, src + (size_t)y * src_stride, c.w * sizeof(float));
    for (size_t i = 0; i < n; i++)
        IP[i] = vrt__gf_i(L[i]) * P[i];
    box_mean_f(&c, P, mp);
    box_mean_f(&c, IP, mip);
    const int32_t k = (2 * c.r + 1) * (2 * c.r + 1);
    for (size_t i = 0; i < n; i++)
        vrt__gf_coeffsf(sl[i], sll[i], k, mp[i], mip[i], p->eps, &MF(&c, M_A)[i], &MF(&c, M_B)[i]);
    map_out mo = {dst, dst_stride, c.w};
    gf_finish(&c, put_map, &mo);
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
    const size_t n = (size_t)c.w * c.h;
    const int32_t k = (2 * c.r + 1) * (2 * c.r + 1);
    int32_t *C = MI(&c, M_P), *LC = MI(&c, M_IP), *sc = MI(&c, M_SP), *slc = MI(&c, M_SIP);
    const int32_t *L = MI(&c, M_L), *sl = MI(&c, M_SL), *sll = MI(&c, M_SLL);
    for (int ch = 0; ch < 3; ch++) {
        /* f is read again per channel: out may be f itself (RGB24), whose
         * channel ch is still unwritten when it is read here. */
        for (uint32_t y = 0; y < c.h; y++)
            for (uint32_t x = 0; x < c.w; x++) {
                int rgb[3];
                vrt__px_fetch_rgb(f, x, y, rgb);
                const size_t i = (size_t)y * c.w + x;
                C[i] = rgb[ch];
                LC[i] = L[i] * rgb[ch];
            }
        box_sum_i(&c, C, sc);
        box_sum_i(&c, LC, slc);
        for (size_t i = 0; i < n; i++)
            vrt__gf_coeffs8(sl[i], sll[i], sc[i], slc[i], k, p->eps, &MF(&c, M_A)[i], &MF(&c, M_B)[i]);
        rgb_out o = {out->planes[0].data, out->planes[0].stride, c.w, ch};
        gf_finish(&c, put_rgb, &o);
    }
    out->timestamp_ns = f->timestamp_ns;
    out->ts_from_driver = f->ts_from_driver;
    out->dequeue_ns = f->dequeue_ns;
    out->sequence = f->sequence;
    out->pts_ns = f->pts_ns;
    return VRT_OK;
}
