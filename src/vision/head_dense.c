/* The dense heads, whose results are maps in the frame's geometry
 * (dense.h): `depth` (relative inverse depth [1,H,W] or [1,1,H,W], e.g.
 * Depth Anything, MiDaS: resampled into the frame, min/max/mean over the
 * valid pixels, normalised 0..1, a colour image) and `segment-argmax`
 * (class scores [1,C,H,W], e.g. SegFormer, DeepLab: the argmax of the
 * resampled scores per frame pixel). Result kind DENSE. CPU twins here; the
 * CUDA twins are cuda/head_dense_cuda.c over cuda/dense.cu. */
#include <math.h>
#include <string.h>

#include "vision/dense.h"
#include "vision/heads_impl.h"

/* The map dims of [1,H,W] / [1,1,H,W] (depth) or [1,C,H,W] (argmax). */
static vrt_status map_dims(const vrt_profile *prof, const vrt_model_tensor_info *out, int depth,
                           vrt__head_params *hp, char *err, size_t cap) {
    const char *task = depth ? "depth" : "segment-argmax";
    int ok = depth ? (out->ndim == 3 || (out->ndim == 4 && out->dims[1] == 1)) : out->ndim == 4;
    for (int d = 1; ok && d < out->ndim; d++)
        ok = out->dims[d] > 0 && out->dims[d] <= 16384;
    if (!ok) {
        vrt_errbuf_set(err, cap, "profile '%s': output '%s' has %d dims; task %s expects %s", prof->name,
                       out->name, out->ndim, task, depth ? "[1, H, W] or [1, 1, H, W]" : "[1, C, H, W]");
        return VRT_EINVAL;
    }
    hp->map_c = out->ndim == 4 ? (int)out->dims[1] : 1;
    hp->map_h = (int)out->dims[out->ndim - 2];
    hp->map_w = (int)out->dims[out->ndim - 1];
    hp->det.input_w = prof->pre.width;
    hp->det.input_h = prof->pre.height;
    hp->num_classes = depth ? 0 : hp->map_c;
    return VRT_OK;
}

vrt_status vrt__head_depth_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                     vrt__head_params *hp, char *err, size_t cap) {
    hp->colormap = prof->colormap;
    return map_dims(prof, out, 1, hp, err, cap);
}

vrt_status vrt__head_argmax_configure(const vrt_profile *prof, const vrt_model_tensor_info *out,
                                      vrt__head_params *hp, char *err, size_t cap) {
    vrt_status st = map_dims(prof, out, 0, hp, err, cap);
    if (st) return st;
    if (hp->map_c < 2 || hp->map_c > 256) {
        vrt_errbuf_set(err, cap, "profile '%s': output '%s' has %d classes; segment-argmax takes 2..256",
                       prof->name, out->name, hp->map_c);
        return VRT_EINVAL;
    }
    if (prof->det.num_classes && prof->det.num_classes != hp->map_c) {
        vrt_errbuf_set(err, cap, "profile '%s' says num_classes = %d but output '%s' has %d", prof->name,
                       prof->det.num_classes, out->name, hp->map_c);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

void vrt__head_depth_layout(vrt__head_params *hp) {
    vrt__result_layout *l = &hp->layout;
    l->bytes = sizeof(vrt__depth_stats);
    vrt__layout_add_map(l, VRT_MAP_DEPTH, VRT_MAP_F32, hp->frame_w, hp->frame_h);
    vrt__layout_add_map(l, VRT_MAP_DEPTH_RAW, VRT_MAP_F32, hp->frame_w, hp->frame_h);
    if (hp->colormap != VRT_COLORMAP_NONE)
        vrt__layout_add_map(l, VRT_MAP_DEPTH_COLOR, VRT_MAP_RGB8, hp->frame_w, hp->frame_h);
}

void vrt__head_argmax_layout(vrt__head_params *hp) {
    hp->layout.bytes = 0;
    vrt__layout_add_map(&hp->layout, VRT_MAP_CLASSES, VRT_MAP_U8, hp->frame_w, hp->frame_h);
}

const vrt__result_map *vrt__head_map(const vrt__head_params *hp, vrt_map_id id) {
    for (int i = 0; i < hp->layout.num_maps; i++)
        if (hp->layout.maps[i].id == id) return &hp->layout.maps[i];
    return NULL;
}

vrt__dense_geom vrt__head_dense_geom(const vrt__head_params *hp, const vrt_preprocess_geometry *g) {
    return vrt__dense_geom_make(g, hp->input_w, hp->input_h, hp->map_w, hp->map_h, hp->frame_w, hp->frame_h);
}

/* The stats over the raw map's valid (non-NaN) pixels, the normalised map and the colours. */
static void depth_finish(const vrt__head_params *hp, void *res) {
    uint8_t *base = res;
    const vrt__result_map *mn = vrt__head_map(hp, VRT_MAP_DEPTH), *mr = vrt__head_map(hp, VRT_MAP_DEPTH_RAW);
    const vrt__result_map *mc = vrt__head_map(hp, VRT_MAP_DEPTH_COLOR);
    float lo = INFINITY, hi = -INFINITY;
    double sum = 0.0;
    int valid = 0;
    for (int y = 0; y < hp->frame_h; y++) {
        const float *raw = (const float *)(base + mr->offset + (size_t)y * mr->stride);
        for (int x = 0; x < hp->frame_w; x++) {
            const float v = raw[x];
            if (isnan(v)) continue;
            lo = fminf(lo, v);
            hi = fmaxf(hi, v);
            sum += v;
            valid++;
        }
    }
    vrt__depth_stats *st = res;
    st->min = valid ? lo : 0.0f;
    st->max = valid ? hi : 0.0f;
    st->mean = valid ? (float)(sum / valid) : 0.0f;
    st->valid = valid;
    const uint8_t(*lut)[3] =
        hp->colormap == VRT_COLORMAP_INFERNO ? vrt__colormap_inferno : vrt__colormap_turbo;
    for (int y = 0; y < hp->frame_h; y++) {
        const float *raw = (const float *)(base + mr->offset + (size_t)y * mr->stride);
        float *nrm = (float *)(base + mn->offset + (size_t)y * mn->stride);
        uint8_t *rgb = mc ? base + mc->offset + (size_t)y * mc->stride : NULL;
        for (int x = 0; x < hp->frame_w; x++) {
            int nan = isnan(raw[x]);
            float n = nan ? NAN : vrt__dense_norm(raw[x], st->min, st->max);
            nrm[x] = n;
            if (!rgb) continue;
            const uint8_t *c = lut[nan ? 0 : vrt__dense_color_index(n)];
            for (int k = 0; k < 3; k++)
                rgb[3 * x + k] = nan ? 0 : c[k];
        }
    }
}

/* The raw map (NaN where the frame pixel is outside the network input); the
 * rest now, or after the refinement (depth_refine). */
static vrt_status depth_run(void *ctx, const vrt__head_params *hp, const float *const *out,
                            const vrt_preprocess_geometry *g, void *res, char *err, size_t cap) {
    (void)ctx, (void)err, (void)cap;
    const vrt__dense_geom dg = vrt__head_dense_geom(hp, g);
    uint8_t *base = res;
    const vrt__result_map *mr = vrt__head_map(hp, VRT_MAP_DEPTH_RAW);
    for (int y = 0; y < dg.frame_h; y++) {
        float *raw = (float *)(base + mr->offset + (size_t)y * mr->stride);
        for (int x = 0; x < dg.frame_w; x++) {
            vrt__dense_taps t = vrt__dense_taps_at(&dg, x, y);
            raw[x] = t.valid ? vrt__dense_sample(out[0], &t) : NAN;
        }
    }
    if (hp->refine.radius <= 0) depth_finish(hp, res);
    return VRT_OK;
}

/* The refinement's scratch (vrt_guided_scratch_size at the maps' size). */
typedef struct depth_ctx {
    void *scratch;
    size_t bytes;
} depth_ctx;

static vrt_status depth_create(const vrt__head_params *hp, void **ctx, char *err, size_t cap) {
    *ctx = NULL;
    if (hp->refine.radius <= 0) return VRT_OK;
    depth_ctx *c = vrt_calloc(1, sizeof(*c));
    if (c) c->bytes = vrt_guided_scratch_size((uint32_t)hp->frame_w, (uint32_t)hp->frame_h);
    if (!c || !(c->scratch = vrt_malloc(c->bytes))) {
        vrt_free(c);
        vrt_errbuf_set(err, cap, "depth head: out of memory for the refinement's scratch (%dx%d)",
                       hp->frame_w, hp->frame_h);
        return VRT_ENOMEM;
    }
    *ctx = c;
    return VRT_OK;
}

static void depth_destroy(void **ctx) {
    depth_ctx *c = *ctx;
    if (c) vrt_free(c->scratch);
    vrt_free(c);
    *ctx = NULL;
}

/* The raw map filtered in place with the frame as the guide, then finished. */
vrt_status vrt__head_refine(void *ctx, const vrt__head_params *hp, const vrt_frame *frame, void *res,
                            char *err, size_t cap) {
    depth_ctx *c = ctx;
    const vrt__result_map *mr = vrt__head_map(hp, VRT_MAP_DEPTH_RAW);
    float *raw = (float *)((uint8_t *)res + mr->offset);
    const size_t stride = mr->stride / sizeof(float);
    vrt_status st = c ? vrt_guided_filter_map(frame, raw, stride, raw, stride, &hp->refine, c->scratch,
                                              c->bytes, err, cap)
                      : VRT_EINVAL;
    if (st) return st;
    depth_finish(hp, res);
    return VRT_OK;
}

static vrt_status argmax_run(void *ctx, const vrt__head_params *hp, const float *const *out,
                             const vrt_preprocess_geometry *g, void *res, char *err, size_t cap) {
    (void)ctx, (void)err, (void)cap;
    const vrt__dense_geom dg = vrt__head_dense_geom(hp, g);
    const vrt__result_map *m = vrt__head_map(hp, VRT_MAP_CLASSES);
    const size_t plane = (size_t)hp->map_w * (size_t)hp->map_h;
    for (int y = 0; y < dg.frame_h; y++) {
        uint8_t *row = (uint8_t *)res + m->offset + (size_t)y * m->stride;
        for (int x = 0; x < dg.frame_w; x++) {
            vrt__dense_taps t = vrt__dense_taps_at(&dg, x, y);
            int best = 0;
            float bv = vrt__dense_sample(out[0], &t);
            for (int c = 1; c < hp->map_c; c++) {
                float v = vrt__dense_sample(out[0] + (size_t)c * plane, &t);
                if (v > bv || (isnan(bv) && !isnan(v))) best = c, bv = v;
            }
            row[x] = (uint8_t)best;
        }
    }
    return VRT_OK;
}

const vrt__head_cpu vrt__head_depth_cpu = {depth_create, depth_run, depth_destroy};
const vrt__head_cpu vrt__head_argmax_cpu = {NULL, argmax_run, NULL};
