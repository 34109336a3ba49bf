/* CPU reference pre-processing: raw frame -> network input tensor in one pass.
 * The arithmetic is specified in include/vrt/vision.h; the CUDA twin follows it. */
#include <math.h>
#include <string.h>

#include "model/dtype.h"
#include "vision/pixel.h"
#include "vision/resample.h"
#include "vision/vision_impl.h"
#include "vrt/vision.h"

void vrt_preprocess_default_params(vrt_preprocess_params *p) {
    memset(p, 0, sizeof(*p));
    p->width = 224;
    p->height = 224;
    p->color = VRT_COLOR_RGB;
    p->resize = VRT_RESIZE_STRETCH;
    p->placement = VRT_PLACE_TOP_LEFT;
    p->pad_value = 0.0f;
    p->scale = 1.0f;
    for (int c = 0; c < 3; c++) {
        p->mean[c] = 0.0f;
        p->std[c] = 1.0f;
    }
    p->layout = VRT_LAYOUT_NCHW;
    p->dtype = VRT_TENSOR_F32;
}

size_t vrt_preprocess_output_size(const vrt_preprocess_params *p) {
    return (size_t)p->width * p->height * 3 * (p->dtype == VRT_TENSOR_F16 ? 2 : 4);
}

vrt_status vrt_preprocess_check(const vrt_preprocess_params *p, char *err, size_t cap) {
    if (!p) {
        vrt_errbuf_set(err, cap, "preprocess: no parameters given");
        return VRT_EINVAL;
    }
    if (p->width < 1 || p->height < 1 || p->width > 16384 || p->height > 16384) {
        vrt_errbuf_set(err, cap,
                       "preprocess: input size %ux%u out of range; width and height must be 1..16384",
                       p->width, p->height);
        return VRT_EINVAL;
    }
    if ((unsigned)p->color > VRT_COLOR_BGR) {
        vrt_errbuf_set(err, cap, "preprocess: unknown color order %d; use RGB or BGR", (int)p->color);
        return VRT_EINVAL;
    }
    if ((unsigned)p->resize > VRT_RESIZE_LETTERBOX) {
        vrt_errbuf_set(err, cap, "preprocess: unknown resize mode %d; use stretch, crop or letterbox",
                       (int)p->resize);
        return VRT_EINVAL;
    }
    if ((unsigned)p->placement > VRT_PLACE_CENTER) {
        vrt_errbuf_set(err, cap, "preprocess: unknown placement %d; use top-left or center",
                       (int)p->placement);
        return VRT_EINVAL;
    }
    if ((unsigned)p->layout > VRT_LAYOUT_NHWC || (unsigned)p->dtype > VRT_TENSOR_F16) {
        vrt_errbuf_set(err, cap, "preprocess: unknown layout %d or dtype %d; use NCHW/NHWC and fp32/fp16",
                       (int)p->layout, (int)p->dtype);
        return VRT_EINVAL;
    }
    if ((unsigned)p->interp > VRT_INTERP_AREA) {
        vrt_errbuf_set(err, cap, "preprocess: unknown interpolation %d; use bilinear or area",
                       (int)p->interp);
        return VRT_EINVAL;
    }
    if (p->round_size != 0 && p->round_size != 1) {
        vrt_errbuf_set(err, cap, "preprocess: round_size %d; use 0 (truncate) or 1 (round)", p->round_size);
        return VRT_EINVAL;
    }
    if (p->resize_shorter > 65536) {
        vrt_errbuf_set(err, cap, "preprocess: resize_shorter %u out of range (0..65536)", p->resize_shorter);
        return VRT_EINVAL;
    }
    if (!isfinite(p->scale) || !isfinite(p->pad_value)) {
        vrt_errbuf_set(err, cap, "preprocess: scale and pad value must be finite");
        return VRT_EINVAL;
    }
    for (int c = 0; c < 3; c++) {
        if (!isfinite(p->mean[c]) || !isfinite(p->std[c]) || p->std[c] == 0.0f) {
            vrt_errbuf_set(err, cap,
                           "preprocess: mean[%d] = %g, std[%d] = %g; std must be finite and non-zero", c,
                           (double)p->mean[c], c, (double)p->std[c]);
            return VRT_EINVAL;
        }
    }
    return VRT_OK;
}

/* int() of Python (truncation), or Python's round() (half to even) when asked. */
static double size_round(double v, int round) {
    return round ? rint(v) : trunc(v);
}

vrt_status vrt_preprocess_geometry_for(const vrt_preprocess_params *p, uint32_t w, uint32_t h,
                                       vrt_preprocess_geometry *g, char *err, size_t cap) {
    vrt_status st = vrt_preprocess_check(p, err, cap);
    if (st) return st;
    if (w < 1 || h < 1) {
        vrt_errbuf_set(err, cap, "preprocess: source size %ux%u has no pixels", w, h);
        return VRT_EINVAL;
    }
    const uint32_t W = p->width, H = p->height;
    memset(g, 0, sizeof(*g));
    g->frame_w = g->roi_w = w;
    g->frame_h = g->roi_h = h;
    switch (p->resize) {
    case VRT_RESIZE_STRETCH:
        g->resized_w = W;
        g->resized_h = H;
        g->scale_x = (double)W / w;
        g->scale_y = (double)H / h;
        break;
    case VRT_RESIZE_CROP: {
        uint64_t S = p->resize_shorter ? p->resize_shorter : (W > H ? W : H);
        /* torchvision Resize(int): int(S * long / short), the product exact. */
        if (w <= h) {
            g->resized_w = (uint32_t)S;
            g->resized_h = (uint32_t)size_round((double)(S * h) / (double)w, p->round_size);
            g->scale_x = g->scale_y = (double)S / w;
        } else {
            g->resized_h = (uint32_t)S;
            g->resized_w = (uint32_t)size_round((double)(S * w) / (double)h, p->round_size);
            g->scale_x = g->scale_y = (double)S / h;
        }
        /* torchvision CenterCrop: int(round((size - crop) / 2.0)), round half to even. */
        g->off_x = -(int32_t)rint(((double)g->resized_w - (double)W) / 2.0);
        g->off_y = -(int32_t)rint(((double)g->resized_h - (double)H) / 2.0);
        break;
    }
    case VRT_RESIZE_LETTERBOX: {
        double rx = (double)W / w, ry = (double)H / h;
        double r = rx < ry ? rx : ry;
        g->resized_w = (uint32_t)size_round(w * r, p->round_size);
        g->resized_h = (uint32_t)size_round(h * r, p->round_size);
        if (g->resized_w < 1) g->resized_w = 1;
        if (g->resized_h < 1) g->resized_h = 1;
        if (g->resized_w > W) g->resized_w = W;
        if (g->resized_h > H) g->resized_h = H;
        g->scale_x = g->scale_y = r;
        if (p->placement == VRT_PLACE_CENTER) {
            g->off_x = (int32_t)((W - g->resized_w) / 2);
            g->off_y = (int32_t)((H - g->resized_h) / 2);
        }
        break;
    }
    }
    if (g->resized_w < 1 || g->resized_h < 1 || g->resized_w > 1u << 20 || g->resized_h > 1u << 20) {
        vrt_errbuf_set(err, cap, "preprocess: resized size %ux%u out of range for a %ux%u source",
                       g->resized_w, g->resized_h, w, h);
        return VRT_EINVAL;
    }
    g->offset_x = g->off_x;
    g->offset_y = g->off_y;
    return VRT_OK;
}

vrt_status vrt__vision_check_frame(const vrt_frame *f, const char *who, int on_gpu, char *err, size_t cap) {
    char nb[8];
    if (!f) {
        vrt_errbuf_set(err, cap, "%s: no frame given", who);
        return VRT_EINVAL;
    }
    if (!vrt_fourcc_is_raw(f->fourcc)) {
        vrt_errbuf_set(err, cap,
                       "%s: frame format '%s' not supported; supported: YUYV, UYVY, NV12, RGB24, "
                       "BGR24, GREY (decode MJPEG first)",
                       who, vrt_fourcc_name(f->fourcc, nb));
        return VRT_EINVAL;
    }
    if (!on_gpu && f->memory == VRT_MEM_DEVICE) {
        vrt_errbuf_set(err, cap, "%s: frame is in GPU memory; the CPU version needs host memory", who);
        return VRT_EINVAL;
    }
    if (on_gpu && f->memory == VRT_MEM_HOST) {
        vrt_errbuf_set(err, cap,
                       "%s: frame is in pageable host memory; copy it to GPU memory (or use mapped "
                       "page-locked memory, VRT_MEM_PINNED) first",
                       who);
        return VRT_EINVAL;
    }
    if (vrt_frame_size_for(f->fourcc, f->width, f->height) == 0) {
        vrt_errbuf_set(err, cap,
                       "%s: %s frame of %ux%u is not valid (4:2:2 needs even widths, NV12 "
                       "even sizes)",
                       who, vrt_fourcc_name(f->fourcc, nb), f->width, f->height);
        return VRT_EINVAL;
    }
    uint32_t need = f->fourcc == VRT_FMT_GREY || f->fourcc == VRT_FMT_NV12     ? f->width
                    : f->fourcc == VRT_FMT_RGB24 || f->fourcc == VRT_FMT_BGR24 ? 3 * f->width
                                                                               : 2 * f->width;
    int planes = f->fourcc == VRT_FMT_NV12 ? 2 : 1;
    for (int i = 0; i < planes; i++) {
        if (!f->planes[i].data || f->planes[i].stride < need) {
            vrt_errbuf_set(err, cap, "%s: %s frame plane %d has no data or a stride of %u < %u bytes", who,
                           vrt_fourcc_name(f->fourcc, nb), i, f->planes[i].stride, need);
            return VRT_EINVAL;
        }
    }
    return VRT_OK;
}

static vrt_status check_frame(const vrt_frame *f, char *err, size_t cap) {
    return vrt__vision_check_frame(f, "preprocess", 0, err, cap);
}

/* Source coordinate and weight along one axis, as cv::resize INTER_LINEAR:
 * fx = (float)((d + 0.5) * scale - 0.5), floor, clamp at both borders. */
static inline void axis_coord(int32_t d, double scale, uint32_t n, uint32_t *i0, uint32_t *i1, float *f) {
    float fx = (float)((d + 0.5) * scale - 0.5);
    float fl = floorf(fx);
    int32_t s = (int32_t)fl;
    fx -= fl;
    if (s < 0) {
        s = 0;
        fx = 0.0f;
    }
    if (s >= (int32_t)n - 1) {
        s = (int32_t)n - 1;
        fx = 0.0f;
    }
    *i0 = (uint32_t)s;
    *i1 = (uint32_t)s + 1 < n ? (uint32_t)s + 1 : n - 1;
    *f = fx;
}

/* Sampling of one image: the scales and which of the three ways step 3 takes. */
typedef struct sampling {
    double scx, scy;   /* source pixels per resized pixel (OpenCV's scale) */
    double invx, invy; /* resized per source */
    int area_avg;      /* INTER_AREA, shrinking: area averages */
    int area_lin;      /* INTER_AREA, an axis grows: bilinear with area coefficients */
} sampling;

static sampling sampling_for(const vrt_preprocess_params *p, uint32_t rw, uint32_t rh, uint32_t sw,
                             uint32_t sh) {
    sampling s;
    /* OpenCV: inv_scale = dsize / ssize, scale = 1 / inv_scale, both double. */
    s.invx = (double)rw / (double)sw;
    s.invy = (double)rh / (double)sh;
    s.scx = 1.0 / s.invx;
    s.scy = 1.0 / s.invy;
    s.area_avg = p->interp == VRT_INTERP_AREA && s.scx >= 1.0 && s.scy >= 1.0;
    s.area_lin = p->interp == VRT_INTERP_AREA && !s.area_avg;
    return s;
}

/* One resized pixel (xx, yy) of region (rx, ry, sw, sh): v = RGB before normalisation. */
static void sample(const vrt_frame *f, uint32_t rx, uint32_t ry, uint32_t sw, uint32_t sh, const sampling *s,
                   int32_t xx, int32_t yy, float v[3]) {
    if (s->area_avg) {
        vrt__area_span spx, spy;
        vrt__area_span_at(xx, s->scx, sw, &spx);
        vrt__area_span_at(yy, s->scy, sh, &spy);
        vrt__area_sample(f->fourcc, f->planes[0].data, f->planes[0].stride, f->planes[1].data,
                         f->planes[1].stride, rx, ry, &spx, &spy, v);
        return;
    }
    uint32_t x0, x1, y0, y1;
    float fx, fy;
    if (s->area_lin) {
        vrt__area_linear_at(xx, s->scx, s->invx, sw, &x0, &x1, &fx);
        vrt__area_linear_at(yy, s->scy, s->invy, sh, &y0, &y1, &fy);
    } else {
        axis_coord(xx, s->scx, sw, &x0, &x1, &fx);
        axis_coord(yy, s->scy, sh, &y0, &y1, &fy);
    }
    int a[3], b[3], c[3], d[3];
    vrt__px_fetch_rgb(f, rx + x0, ry + y0, a);
    vrt__px_fetch_rgb(f, rx + x1, ry + y0, b);
    vrt__px_fetch_rgb(f, rx + x0, ry + y1, c);
    vrt__px_fetch_rgb(f, rx + x1, ry + y1, d);
    for (int k = 0; k < 3; k++) {
        float top = (1.0f - fx) * (float)a[k] + fx * (float)b[k];
        float bot = (1.0f - fx) * (float)c[k] + fx * (float)d[k];
        v[k] = (1.0f - fy) * top + fy * bot;
    }
}

/* One image: region [rx, rx + sw) x [ry, ry + sh) of f -> out (one image of the batch). */
static void run_region(const vrt_frame *f, uint32_t rx, uint32_t ry, uint32_t sw, uint32_t sh,
                       const vrt_preprocess_params *p, const vrt_preprocess_geometry *g, void *out) {
    const uint32_t W = p->width, H = p->height;
    const uint32_t rw = g->resized_w, rh = g->resized_h;
    const sampling smp = sampling_for(p, rw, rh, sw, sh);
    const size_t plane = (size_t)W * H;
    float *o32 = (float *)out;
    uint16_t *o16 = (uint16_t *)out;
    for (uint32_t oy = 0; oy < H; oy++) {
        int32_t yy = (int32_t)oy - g->off_y;
        int row_in = yy >= 0 && yy < (int32_t)rh;
        for (uint32_t ox = 0; ox < W; ox++) {
            int32_t xx = (int32_t)ox - g->off_x;
            float v[3];
            if (!row_in || xx < 0 || xx >= (int32_t)rw) {
                v[0] = v[1] = v[2] = p->pad_value;
            } else {
                sample(f, rx, ry, sw, sh, &smp, xx, yy, v);
            }

            size_t pix = (size_t)oy * W + ox;
            for (int c = 0; c < 3; c++) {
                float val = v[p->color == VRT_COLOR_RGB ? c : 2 - c];
                val = (val * p->scale - p->mean[c]) / p->std[c];
                size_t idx = p->layout == VRT_LAYOUT_NCHW ? (size_t)c * plane + pix : pix * 3 + (size_t)c;
                if (p->dtype == VRT_TENSOR_F16)
                    o16[idx] = vrt__float_to_half(val);
                else
                    o32[idx] = val;
            }
        }
    }
}

vrt_status vrt_preprocess_frame(const vrt_frame *f, const vrt_preprocess_params *p, void *out,
                                size_t out_size, vrt_preprocess_geometry *geom, char *err, size_t cap) {
    vrt_status st = check_frame(f, err, cap);
    if (st) return st;
    vrt_preprocess_geometry g;
    st = vrt_preprocess_geometry_for(p, f->width, f->height, &g, err, cap);
    if (st) return st;
    size_t need = vrt_preprocess_output_size(p);
    if (!out || out_size < need) {
        vrt_errbuf_set(err, cap, "preprocess: output buffer of %zu bytes; %ux%ux3 %s needs %zu", out_size,
                       p->width, p->height, p->dtype == VRT_TENSOR_F16 ? "fp16" : "fp32", need);
        return VRT_EINVAL;
    }
    run_region(f, 0, 0, f->width, f->height, p, &g, out);
    if (geom) *geom = g;
    return VRT_OK;
}

vrt_status vrt_preprocess_rois(const vrt_frame *f, const vrt_box *boxes, int n,
                               const vrt_preprocess_params *p, void *out, size_t out_size,
                               vrt_preprocess_geometry *geoms, char *err, size_t cap) {
    vrt_status st = check_frame(f, err, cap);
    if (st) return st;
    st = vrt_preprocess_check(p, err, cap);
    if (st) return st;
    if (n < 0 || (n > 0 && !boxes)) {
        vrt_errbuf_set(err, cap, "preprocess: %d ROIs with %s boxes", n, boxes ? "given" : "no");
        return VRT_EINVAL;
    }
    size_t one = vrt_preprocess_output_size(p);
    if ((n > 0 && !out) || out_size / one < (size_t)n) {
        vrt_errbuf_set(err, cap, "preprocess: output buffer of %zu bytes; %d ROIs of %ux%ux3 need %zu",
                       out_size, n, p->width, p->height, one * (size_t)n);
        return VRT_EINVAL;
    }
    /* Validate every box before writing anything. */
    for (int i = 0; i < n; i++) {
        const vrt_box *b = &boxes[i];
        if (!(isfinite(b->x1) && isfinite(b->y1) && isfinite(b->x2) && isfinite(b->y2))) {
            vrt_errbuf_set(err, cap, "preprocess: ROI %d has a non-finite coordinate", i);
            return VRT_EINVAL;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            const vrt_box *b = &boxes[i];
            double x1 = floor(b->x1), y1 = floor(b->y1), x2 = ceil(b->x2), y2 = ceil(b->y2);
            if (x1 < 0) x1 = 0;
            if (y1 < 0) y1 = 0;
            if (x2 > f->width) x2 = f->width;
            if (y2 > f->height) y2 = f->height;
            if (x2 - x1 < 1 || y2 - y1 < 1) {
                vrt_errbuf_set(
                    err, cap, "preprocess: ROI %d (%g,%g)-(%g,%g) has no pixels inside the %ux%u frame", i,
                    (double)b->x1, (double)b->y1, (double)b->x2, (double)b->y2, f->width, f->height);
                return VRT_EINVAL;
            }
            uint32_t rx = (uint32_t)x1, ry = (uint32_t)y1;
            uint32_t sw = (uint32_t)(x2 - x1), sh = (uint32_t)(y2 - y1);
            vrt_preprocess_geometry g;
            st = vrt_preprocess_geometry_for(p, sw, sh, &g, err, cap);
            if (st) return st;
            if (pass == 0) continue;
            g.roi_x = rx;
            g.roi_y = ry;
            g.frame_w = f->width;
            g.frame_h = f->height;
            run_region(f, rx, ry, sw, sh, p, &g, (uint8_t *)out + one * (size_t)i);
            if (geoms) geoms[i] = g;
        }
    }
    return VRT_OK;
}
