/* CPU reference pixel-format conversion. The formulas are in vrt/image.h;
 * this file is written for clarity first: it is the oracle the GPU kernels
 * are compared with. Right shifts of negative ints are arithmetic on every
 * compiler we support (GCC, Clang, NVCC define it so). */
#include "vrt/image.h"

#include <string.h>

enum fmt_class { CLS_RGBL = 1, CLS_422 = 2, CLS_420 = 3 };

/* Byte layout of one format. */
typedef struct fmt_desc {
    enum fmt_class cls;
    int bpp;        /* RGB-like: bytes per pixel */
    int ro, go, bo; /* RGB-like: offsets of R, G, B (GREY: all 0) */
    int grey;
    int yo, uo, vo; /* 4:2:2: offsets of Y (pixel 0), U and V within a 4-byte pair */
} fmt_desc;

static int describe(uint32_t cc, fmt_desc *d) {
    memset(d, 0, sizeof(*d));
    switch (cc) {
    case VRT_FMT_RGB24: *d = (fmt_desc){CLS_RGBL, 3, 0, 1, 2, 0, 0, 0, 0}; return 1;
    case VRT_FMT_BGR24: *d = (fmt_desc){CLS_RGBL, 3, 2, 1, 0, 0, 0, 0, 0}; return 1;
    case VRT_FMT_GREY: *d = (fmt_desc){CLS_RGBL, 1, 0, 0, 0, 1, 0, 0, 0}; return 1;
    case VRT_FMT_YUYV: *d = (fmt_desc){CLS_422, 2, 0, 0, 0, 0, 0, 1, 3}; return 1;
    case VRT_FMT_UYVY: *d = (fmt_desc){CLS_422, 2, 0, 0, 0, 0, 1, 0, 2}; return 1;
    case VRT_FMT_NV12: *d = (fmt_desc){CLS_420, 1, 0, 0, 0, 0, 0, 0, 0}; return 1;
    default: return 0;
    }
}

static inline uint8_t clamp8(int v) {
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* ---- the formulas (see vrt/image.h) ---- */

static inline uint8_t y_from_rgb(int r, int g, int b) {
    return clamp8(((16829 * r + 33039 * g + 6416 * b + 32768) >> 16) + 16);
}
/* r, g, b are sums over 2^lg pixels. */
static inline uint8_t u_from_rgb_sum(int r, int g, int b, int lg) {
    return clamp8(((-9714 * r - 19070 * g + 28784 * b + (1 << (15 + lg))) >> (16 + lg)) + 128);
}
static inline uint8_t v_from_rgb_sum(int r, int g, int b, int lg) {
    return clamp8(((28784 * r - 24103 * g - 4681 * b + (1 << (15 + lg))) >> (16 + lg)) + 128);
}
static inline void rgb_from_yuv(int y, int u, int v, uint8_t *r, uint8_t *g, uint8_t *b) {
    int c = y - 16, d = u - 128, e = v - 128;
    *r = clamp8((76309 * c + 104597 * e + 32768) >> 16);
    *g = clamp8((76309 * c - 25675 * d - 53279 * e + 32768) >> 16);
    *b = clamp8((76309 * c + 132201 * d + 32768) >> 16);
}
static inline uint8_t grey_from_rgb(int r, int g, int b) {
    return clamp8((19595 * r + 38470 * g + 7471 * b + 32768) >> 16);
}
static inline uint8_t grey_from_y(int y) {
    return clamp8((76309 * (y - 16) + 32768) >> 16);
}

/* ---- pixel access ---- */

static inline const uint8_t *crow(const vrt_frame *f, int plane, uint32_t y) {
    return f->planes[plane].data + (size_t)y * f->planes[plane].stride;
}
static inline uint8_t *wrow(vrt_frame *f, int plane, uint32_t y) {
    return f->planes[plane].data + (size_t)y * f->planes[plane].stride;
}

static inline void get_rgb(const fmt_desc *d, const uint8_t *row, uint32_t x, int *r, int *g, int *b) {
    const uint8_t *p = row + (size_t)x * d->bpp;
    *r = p[d->ro];
    *g = p[d->go];
    *b = p[d->bo];
}

static inline void put_rgb(const fmt_desc *d, uint8_t *row, uint32_t x, uint8_t r, uint8_t g, uint8_t b) {
    uint8_t *p = row + (size_t)x * d->bpp;
    if (d->grey) {
        p[0] = grey_from_rgb(r, g, b);
        return;
    }
    p[d->ro] = r;
    p[d->go] = g;
    p[d->bo] = b;
}

/* Y of pixel (x, y) of a YUV frame. */
static inline int get_y(const vrt_frame *f, const fmt_desc *d, uint32_t x, uint32_t y) {
    if (d->cls == CLS_420) return crow(f, 0, y)[x];
    return crow(f, 0, y)[2 * x + d->yo];
}

/* Chroma of the horizontal pixel pair px (= x / 2) in row y, as 4:2:2 sees it. */
static inline void get_uv422(const vrt_frame *f, const fmt_desc *d, uint32_t px, uint32_t y, int *u, int *v) {
    if (d->cls == CLS_420) {
        const uint8_t *p = crow(f, 1, y / 2) + 2 * (size_t)px;
        *u = p[0];
        *v = p[1];
        return;
    }
    const uint8_t *p = crow(f, 0, y) + 4 * (size_t)px;
    *u = p[d->uo];
    *v = p[d->vo];
}

/* ---- validation ---- */

static vrt_status check_frame(const vrt_frame *f, const char *which, char *err, size_t cap) {
    char nb[8];
    fmt_desc d;
    if (!describe(f->fourcc, &d)) {
        vrt_errbuf_set(err, cap,
                       "convert: %s format %s not supported; raw formats: YUYV, UYVY, NV12, "
                       "RGB24, BGR24, GREY (and MJPEG as source)",
                       which, vrt_fourcc_name(f->fourcc, nb));
        return VRT_EINVAL;
    }
    if (!vrt_frame_size_for(f->fourcc, f->width, f->height)) {
        vrt_errbuf_set(err, cap,
                       "convert: %s size %ux%u invalid for %s (4:2:2 needs an even width, "
                       "NV12 even width and height)",
                       which, f->width, f->height, vrt_fourcc_name(f->fourcc, nb));
        return VRT_EINVAL;
    }
    uint32_t minstride = d.cls == CLS_RGBL  ? f->width * (uint32_t)d.bpp
                         : d.cls == CLS_422 ? f->width * 2
                                            : f->width;
    int np = d.cls == CLS_420 ? 2 : 1;
    for (int i = 0; i < np; i++) {
        if (!f->planes[i].data || f->planes[i].stride < minstride) {
            vrt_errbuf_set(err, cap, "convert: %s %s plane %d has %s (stride %u, need >= %u)", which,
                           vrt_fourcc_name(f->fourcc, nb), i,
                           f->planes[i].data ? "a short stride" : "no data", f->planes[i].stride, minstride);
            return VRT_EINVAL;
        }
    }
    return VRT_OK;
}

/* ---- the conversions, by class pair ---- */

static void rgbl_to_rgbl(const vrt_frame *s, const fmt_desc *sd, vrt_frame *t, const fmt_desc *td) {
    for (uint32_t y = 0; y < s->height; y++) {
        const uint8_t *sr = crow(s, 0, y);
        uint8_t *tr = wrow(t, 0, y);
        if (s->fourcc == t->fourcc) {
            memcpy(tr, sr, (size_t)s->width * sd->bpp);
            continue;
        }
        for (uint32_t x = 0; x < s->width; x++) {
            int r, g, b;
            get_rgb(sd, sr, x, &r, &g, &b);
            put_rgb(td, tr, x, (uint8_t)r, (uint8_t)g, (uint8_t)b);
        }
    }
}

static void rgbl_to_422(const vrt_frame *s, const fmt_desc *sd, vrt_frame *t, const fmt_desc *td) {
    for (uint32_t y = 0; y < s->height; y++) {
        const uint8_t *sr = crow(s, 0, y);
        uint8_t *tr = wrow(t, 0, y);
        for (uint32_t x = 0; x < s->width; x += 2) {
            int r0, g0, b0, r1, g1, b1;
            get_rgb(sd, sr, x, &r0, &g0, &b0);
            get_rgb(sd, sr, x + 1, &r1, &g1, &b1);
            uint8_t *p = tr + 2 * (size_t)x;
            p[td->yo] = y_from_rgb(r0, g0, b0);
            p[td->yo + 2] = y_from_rgb(r1, g1, b1);
            p[td->uo] = u_from_rgb_sum(r0 + r1, g0 + g1, b0 + b1, 1);
            p[td->vo] = v_from_rgb_sum(r0 + r1, g0 + g1, b0 + b1, 1);
        }
    }
}

static void rgbl_to_420(const vrt_frame *s, const fmt_desc *sd, vrt_frame *t) {
    for (uint32_t y = 0; y < s->height; y += 2) {
        const uint8_t *s0 = crow(s, 0, y), *s1 = crow(s, 0, y + 1);
        uint8_t *y0 = wrow(t, 0, y), *y1 = wrow(t, 0, y + 1), *uv = wrow(t, 1, y / 2);
        for (uint32_t x = 0; x < s->width; x += 2) {
            int r[4], g[4], b[4];
            get_rgb(sd, s0, x, &r[0], &g[0], &b[0]);
            get_rgb(sd, s0, x + 1, &r[1], &g[1], &b[1]);
            get_rgb(sd, s1, x, &r[2], &g[2], &b[2]);
            get_rgb(sd, s1, x + 1, &r[3], &g[3], &b[3]);
            y0[x] = y_from_rgb(r[0], g[0], b[0]);
            y0[x + 1] = y_from_rgb(r[1], g[1], b[1]);
            y1[x] = y_from_rgb(r[2], g[2], b[2]);
            y1[x + 1] = y_from_rgb(r[3], g[3], b[3]);
            int rs = r[0] + r[1] + r[2] + r[3], gs = g[0] + g[1] + g[2] + g[3],
                bs = b[0] + b[1] + b[2] + b[3];
            uv[x] = u_from_rgb_sum(rs, gs, bs, 2);
            uv[x + 1] = v_from_rgb_sum(rs, gs, bs, 2);
        }
    }
}

static void yuv_to_rgbl(const vrt_frame *s, const fmt_desc *sd, vrt_frame *t, const fmt_desc *td) {
    for (uint32_t y = 0; y < s->height; y++) {
        uint8_t *tr = wrow(t, 0, y);
        for (uint32_t x = 0; x < s->width; x++) {
            int yy = get_y(s, sd, x, y);
            if (td->grey) {
                tr[x] = grey_from_y(yy);
                continue;
            }
            int u, v;
            get_uv422(s, sd, x / 2, y, &u, &v);
            uint8_t r, g, b;
            rgb_from_yuv(yy, u, v, &r, &g, &b);
            put_rgb(td, tr, x, r, g, b);
        }
    }
}

static void yuv_to_422(const vrt_frame *s, const fmt_desc *sd, vrt_frame *t, const fmt_desc *td) {
    for (uint32_t y = 0; y < s->height; y++) {
        uint8_t *tr = wrow(t, 0, y);
        for (uint32_t x = 0; x < s->width; x += 2) {
            uint8_t *p = tr + 2 * (size_t)x;
            int u, v;
            get_uv422(s, sd, x / 2, y, &u, &v);
            p[td->yo] = (uint8_t)get_y(s, sd, x, y);
            p[td->yo + 2] = (uint8_t)get_y(s, sd, x + 1, y);
            p[td->uo] = (uint8_t)u;
            p[td->vo] = (uint8_t)v;
        }
    }
}

static void yuv_to_420(const vrt_frame *s, const fmt_desc *sd, vrt_frame *t) {
    for (uint32_t y = 0; y < s->height; y += 2) {
        uint8_t *y0 = wrow(t, 0, y), *y1 = wrow(t, 0, y + 1), *uv = wrow(t, 1, y / 2);
        for (uint32_t x = 0; x < s->width; x += 2) {
            y0[x] = (uint8_t)get_y(s, sd, x, y);
            y0[x + 1] = (uint8_t)get_y(s, sd, x + 1, y);
            y1[x] = (uint8_t)get_y(s, sd, x, y + 1);
            y1[x + 1] = (uint8_t)get_y(s, sd, x + 1, y + 1);
            int u0, v0, u1, v1;
            get_uv422(s, sd, x / 2, y, &u0, &v0);
            get_uv422(s, sd, x / 2, y + 1, &u1, &v1);
            uv[x] = (uint8_t)((u0 + u1 + 1) >> 1);
            uv[x + 1] = (uint8_t)((v0 + v1 + 1) >> 1);
        }
    }
}

vrt_status vrt_image_convert(const vrt_frame *src, vrt_frame *dst, char *err, size_t cap) {
    if (!src || !dst) {
        vrt_errbuf_set(err, cap, "convert: NULL frame");
        return VRT_EINVAL;
    }
    if (src->width != dst->width || src->height != dst->height) {
        vrt_errbuf_set(err, cap,
                       "convert: size mismatch: source %ux%u, destination %ux%u (convert "
                       "does not resize)",
                       src->width, src->height, dst->width, dst->height);
        return VRT_EINVAL;
    }
    vrt_status st = check_frame(dst, "destination", err, cap);
    if (st) return st;
    if (src->fourcc == VRT_FMT_MJPEG) {
        if (!src->planes[0].data || !src->bytesused) {
            vrt_errbuf_set(err, cap, "convert: MJPEG source frame is empty (bytesused 0)");
            return VRT_EBADDATA;
        }
        return vrt_jpeg_decode_into(src->planes[0].data, src->bytesused, dst, err, cap);
    }
    if ((st = check_frame(src, "source", err, cap))) return st;
    fmt_desc sd, td;
    describe(src->fourcc, &sd);
    describe(dst->fourcc, &td);
    if (sd.cls == CLS_RGBL) {
        if (td.cls == CLS_RGBL)
            rgbl_to_rgbl(src, &sd, dst, &td);
        else if (td.cls == CLS_422)
            rgbl_to_422(src, &sd, dst, &td);
        else
            rgbl_to_420(src, &sd, dst);
    } else {
        if (td.cls == CLS_RGBL)
            yuv_to_rgbl(src, &sd, dst, &td);
        else if (td.cls == CLS_422)
            yuv_to_422(src, &sd, dst, &td);
        else
            yuv_to_420(src, &sd, dst);
    }
    return VRT_OK;
}

vrt_status vrt_image_fill_rect(vrt_frame *f, int x, int y, int w, int h, uint8_t r, uint8_t g, uint8_t b) {
    fmt_desc d;
    if (!f || !describe(f->fourcc, &d) || !f->planes[0].data) return VRT_EINVAL;
    int x1 = x + w, y1 = y + h;
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x1 > (int)f->width) x1 = (int)f->width;
    if (y1 > (int)f->height) y1 = (int)f->height;
    if (d.cls != CLS_RGBL) {
        x &= ~1;
        x1 = (x1 + 1) & ~1;
        if (d.cls == CLS_420) {
            y &= ~1;
            y1 = (y1 + 1) & ~1;
        }
    }
    if (x >= x1 || y >= y1) return VRT_OK;
    /* One pixel (or 2x2 block) of the colour, made by the converter itself so
     * that fills and conversions agree bit for bit. */
    uint8_t rgb[12] = {r, g, b, r, g, b, r, g, b, r, g, b};
    uint8_t out[12];
    vrt_frame s, t;
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    vrt_frame_layout(&s, VRT_FMT_RGB24, 2, 2, rgb);
    vrt_frame_layout(&t, f->fourcc, 2, 2, out);
    vrt_image_convert(&s, &t, NULL, 0);
    for (int yy = y; yy < y1; yy++) {
        uint8_t *row = wrow(f, 0, (uint32_t)yy);
        if (d.cls == CLS_RGBL) {
            for (int xx = x; xx < x1; xx++)
                memcpy(row + (size_t)xx * d.bpp, out, (size_t)d.bpp);
        } else if (d.cls == CLS_422) {
            for (int xx = x; xx < x1; xx += 2)
                memcpy(row + 2 * (size_t)xx, out, 4);
        } else {
            memset(row + x, out[0], (size_t)(x1 - x));
            if (!(yy & 1)) {
                uint8_t *uv = wrow(f, 1, (uint32_t)yy / 2);
                for (int xx = x; xx < x1; xx += 2)
                    memcpy(uv + xx, out + 4, 2);
            }
        }
    }
    return VRT_OK;
}
