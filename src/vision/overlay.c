/* overlay.c - the overlay's draw list (shared by both twins) and the CPU
 * twin: convert the frame into the RGB24 copy, then paint each primitive
 * over its rectangle with vrt__ov_apply (overlay_draw.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vision/dense.h"
#include "vision/overlay_impl.h"
#include "vrt/image.h"

/* Ultralytics' 20-colour palette: distinct hues that read on most scenes. */
static const uint8_t g_colors[20][3] = {
    {0xFF, 0x38, 0x38}, {0xFF, 0x9D, 0x97}, {0xFF, 0x70, 0x1F}, {0xFF, 0xB2, 0x1D}, {0xCF, 0xD2, 0x31},
    {0x48, 0xF9, 0x0A}, {0x92, 0xCC, 0x17}, {0x3D, 0xDB, 0x86}, {0x1A, 0x93, 0x34}, {0x00, 0xD4, 0xBB},
    {0x2C, 0x99, 0xA8}, {0x00, 0xC2, 0xFF}, {0x34, 0x45, 0x93}, {0x64, 0x73, 0xFF}, {0x00, 0x18, 0xEC},
    {0x84, 0x38, 0xFF}, {0x52, 0x00, 0x85}, {0xCB, 0x38, 0xFF}, {0xFF, 0x95, 0xC8}, {0xFF, 0x37, 0xC7},
};

void vrt_overlay_class_color(int class_id, uint8_t rgb[3]) {
    int i = class_id < 0 ? 0 : class_id % 20;
    memcpy(rgb, g_colors[i], 3);
}

void vrt_overlay_default_params(vrt_overlay_params *p) {
    memset(p, 0, sizeof(*p));
    p->flags = VRT_OVERLAY_BOX | VRT_OVERLAY_LABELS | VRT_OVERLAY_CONF | VRT_OVERLAY_MASK |
               VRT_OVERLAY_KEYPOINTS | VRT_OVERLAY_DEPTH;
    p->alpha = 64;
    p->max_classes = 3;
    p->mask_alpha = 110;
}

static const struct {
    const char *name;
    unsigned flag;
} g_flag_names[] = {
    {"box", VRT_OVERLAY_BOX},
    {"lines", VRT_OVERLAY_LINES},
    {"labels", VRT_OVERLAY_LABELS},
    {"conf", VRT_OVERLAY_CONF},
    {"hud", VRT_OVERLAY_HUD},
    {"mask", VRT_OVERLAY_MASK},
    {"keypoints", VRT_OVERLAY_KEYPOINTS},
    {"depth", VRT_OVERLAY_DEPTH},
};
#define NFLAGS (sizeof(g_flag_names) / sizeof(g_flag_names[0]))

vrt_status vrt_overlay_parse_flags(const char *spec, unsigned *flags, char *err, size_t cap) {
    if (!spec || !flags) return VRT_EINVAL;
    unsigned f = 0;
    if (!strcmp(spec, "none")) {
        *flags = 0;
        return VRT_OK;
    }
    for (const char *s = spec; *s;) {
        size_t n = strcspn(s, ",");
        size_t i = 0;
        while (i < NFLAGS && !(strlen(g_flag_names[i].name) == n && !strncmp(s, g_flag_names[i].name, n)))
            i++;
        if (i == NFLAGS) {
            vrt_errbuf_set(err, cap,
                           "overlay '%s': unknown item '%.*s'; known: box, lines, labels, conf, hud, mask, "
                           "keypoints, depth "
                           "(comma-separated) or none",
                           spec, (int)n, s);
            return VRT_EINVAL;
        }
        f |= g_flag_names[i].flag;
        s += n;
        if (*s == ',') s++;
    }
    *flags = f;
    return VRT_OK;
}

static void font_unpack(uint8_t *font) {
    for (int r = 0; r < VRT__FONT_COUNT * VRT__FONT_H; r++)
        for (int x = 0; x < VRT__FONT_W; x++) {
            char c = vrt__font_rows[r][x];
            int v = c >= 'A' ? c - 'A' + 10 : c - '0';
            font[r * VRT__FONT_W + x] = (uint8_t)(v * 17);
        }
}

vrt_status vrt_overlay_create(vrt_overlay_t **out, const vrt_overlay_params *p, char *err, size_t cap) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    vrt_overlay_params dp;
    if (!p) {
        vrt_overlay_default_params(&dp);
        p = &dp;
    }
    const char *bad = p->alpha < 0 || p->alpha > 255              ? "alpha (0..255)"
                      : p->line_width < 0 || p->line_width > 64   ? "line_width (0..64)"
                      : p->font_scale < 0 || p->font_scale > 8    ? "font_scale (0..8)"
                      : p->max_classes < 0 || p->max_classes > 16 ? "max_classes (0..16)"
                      : p->mask_alpha < 0 || p->mask_alpha > 255  ? "mask_alpha (0..255)"
                      : p->depth_blend < 0 || p->depth_blend > 1  ? "depth_blend (0 or 1)"
                                                                  : NULL;
    if (bad) {
        vrt_errbuf_set(err, cap, "overlay: %s out of range", bad);
        return VRT_EINVAL;
    }
    vrt_overlay_t *ov = vrt_calloc(1, sizeof(*ov));
    if (!ov) return VRT_ENOMEM;
    ov->p = *p;
    ov->prims = vrt_malloc(VRT__OV_MAX_PRIMS * sizeof(*ov->prims));
    ov->text = vrt_malloc(VRT__OV_TEXT_CAP);
    ov->font = vrt_malloc(VRT__FONT_COUNT * VRT__FONT_H * VRT__FONT_W);
    if (!ov->prims || !ov->text || !ov->font) {
        vrt_overlay_destroy(&ov);
        vrt_errbuf_set(err, cap, "overlay: out of memory");
        return VRT_ENOMEM;
    }
    font_unpack(ov->font);
    for (int i = 0; i < 256; i++)
        vrt_overlay_class_color(i, ov->palette + 3 * i);
    memcpy(ov->turbo, vrt__colormap_turbo, sizeof(ov->turbo));
    *out = ov;
    return VRT_OK;
}

void vrt_overlay_destroy(vrt_overlay_t **pov) {
    if (!pov || !*pov) return;
    vrt_overlay_t *ov = *pov;
    if (ov->cuda_free) ov->cuda_free(ov->cuda);
    vrt_free(ov->prims);
    vrt_free(ov->text);
    vrt_free(ov->font);
    vrt_free(ov->depth_q);
    vrt_free(ov);
    *pov = NULL;
}

int vrt_overlay_num_primitives(const vrt_overlay_t *ov) {
    return ov ? ov->n : 0;
}

void vrt__overlay_host_data(const vrt_overlay_t *ov, vrt__ov_data *d) {
    memset(d, 0, sizeof(*d));
    d->font = ov->font;
    d->text = ov->text;
    for (int m = 0; m < 2; m++) {
        d->map[m] = ov->map[m];
        d->mw[m] = ov->mw[m], d->mh[m] = ov->mh[m], d->stride[m] = ov->stride[m], d->skip[m] = ov->skip[m];
        d->palette[m] = ov->map_pal[m];
    }
}

/* ---- the draw list ------------------------------------------------------- */

typedef struct plan {
    vrt_overlay_t *ov;
    int32_t w, h;
    int32_t t;     /* line width */
    int32_t scale; /* glyph magnification */
} plan;

static int32_t imin(int32_t a, int32_t b) {
    return a < b ? a : b;
}
static int32_t imax(int32_t a, int32_t b) {
    return a > b ? a : b;
}

/* Appends a primitive touching [x0, x1) x [y0, y1), clipped to the frame; NULL when nothing
 * is left or the list is full. */
static vrt__ov_prim *add(plan *pl, int kind, int32_t x0, int32_t y0, int32_t x1, int32_t y1,
                         const uint8_t rgb[3], int32_t alpha) {
    x0 = imax(x0, 0), y0 = imax(y0, 0), x1 = imin(x1, pl->w), y1 = imin(y1, pl->h);
    if (x0 >= x1 || y0 >= y1 || alpha <= 0 || pl->ov->n >= VRT__OV_MAX_PRIMS) return NULL;
    vrt__ov_prim *p = &pl->ov->prims[pl->ov->n++];
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->x0 = x0, p->y0 = y0, p->x1 = x1, p->y1 = y1;
    memcpy(p->rgb, rgb, 3);
    p->alpha = alpha;
    p->scale = 1;
    return p;
}

static int32_t text_w(const plan *pl, size_t len) {
    return (int32_t)len * VRT__FONT_W * pl->scale;
}
static int32_t text_h(const plan *pl) {
    return VRT__FONT_H * pl->scale;
}

/* Text s at (x, y) (top-left of the glyph cells) in colour rgb. */
static void add_text(plan *pl, int32_t x, int32_t y, const char *s, const uint8_t rgb[3]) {
    vrt_overlay_t *ov = pl->ov;
    size_t len = strlen(s);
    if (ov->text_len + len > VRT__OV_TEXT_CAP) return;
    vrt__ov_prim *p = add(pl, VRT__OV_TEXT, x, y, x + text_w(pl, len), y + text_h(pl), rgb, 256);
    if (!p) return;
    memcpy(ov->text + ov->text_len, s, len);
    p->a = (int32_t)ov->text_len;
    p->b = (int32_t)len;
    p->c = x, p->d = y;
    p->scale = pl->scale;
    ov->text_len += len;
}

/* Black or white, whichever reads better on bg (luma > 150: black). */
static void text_color_on(const uint8_t bg[3], uint8_t out[3]) {
    int luma = (299 * bg[0] + 587 * bg[1] + 114 * bg[2]) / 1000;
    memset(out, luma > 150 ? 0 : 255, 3);
}

/* A label: text on a filled box of colour bg, its top-left at (x, y), kept inside the frame
 * horizontally. Returns the label's height. */
static int32_t add_label(plan *pl, int32_t x, int32_t y, const char *s, const uint8_t bg[3], int32_t alpha) {
    int32_t pad = pl->scale * 2;
    int32_t lw = text_w(pl, strlen(s)) + 2 * pad, lh = text_h(pl);
    if (x + lw > pl->w) x = pl->w - lw;
    if (x < 0) x = 0;
    uint8_t fg[3];
    text_color_on(bg, fg);
    add(pl, VRT__OV_FILL, x, y, x + lw, y + lh, bg, alpha);
    add_text(pl, x + pad, y, s, fg);
    return lh;
}

static int32_t round_px(float v) {
    if (!(v == v)) return 0; /* NaN */
    if (v < -1e6f) return -1000000;
    if (v > 1e6f) return 1000000;
    return (int32_t)(v < 0 ? v - 0.5f : v + 0.5f);
}

static void entry_text(const vrt_overlay_t *ov, const char *label, int cls, float score, char *buf,
                       size_t cap) {
    unsigned f = ov->p.flags;
    char name[48];
    if (label)
        snprintf(name, sizeof(name), "%s", label);
    else
        snprintf(name, sizeof(name), "class %d", cls);
    if ((f & VRT_OVERLAY_LABELS) && (f & VRT_OVERLAY_CONF))
        snprintf(buf, cap, "%s %.2f", name, score);
    else if (f & VRT_OVERLAY_LABELS)
        snprintf(buf, cap, "%s", name);
    else if (f & VRT_OVERLAY_CONF)
        snprintf(buf, cap, "%.2f", score);
    else
        buf[0] = 0;
}

static void plan_box(plan *pl, const vrt_result *r, int i, const vrt_overlay_info *info) {
    unsigned f = pl->ov->p.flags;
    vrt_detection d;
    if (vrt_result_detection(r, i, &d)) return;
    uint8_t col[3];
    vrt_overlay_class_color(d.class_id, col);
    int32_t x1 = round_px(d.box.x1), y1 = round_px(d.box.y1), x2 = round_px(d.box.x2),
            y2 = round_px(d.box.y2);
    if (x2 <= x1 || y2 <= y1) return;
    int32_t t = pl->t;
    if (f & (VRT_OVERLAY_BOX | VRT_OVERLAY_LINES)) {
        if ((f & VRT_OVERLAY_BOX) && !(f & VRT_OVERLAY_LINES) && pl->ov->p.alpha > 0)
            add(pl, VRT__OV_FILL, x1 + t, y1 + t, x2 - t, y2 - t, col,
                pl->ov->p.alpha + (pl->ov->p.alpha >> 7));
        add(pl, VRT__OV_FILL, x1, y1, x2, y1 + t, col, 256); /* top, bottom, left, right: inside the box */
        add(pl, VRT__OV_FILL, x1, y2 - t, x2, y2, col, 256);
        add(pl, VRT__OV_FILL, x1, y1 + t, x1 + t, y2 - t, col, 256);
        add(pl, VRT__OV_FILL, x2 - t, y1 + t, x2, y2 - t, col, 256);
    }
    char txt[96];
    entry_text(pl->ov, vrt_result_label(r, i), d.class_id, d.score, txt, sizeof(txt));
    int32_t lh = text_h(pl);
    /* Above the box when there is room, else inside its top edge. */
    int32_t ly = y1 - lh >= 0 ? y1 - lh : imax(y1, 0);
    if (txt[0]) ly += add_label(pl, x1, ly, txt, col, 256);
    const char *sub = info && info->sublabels && i < info->n_sublabels ? info->sublabels[i] : NULL;
    char stxt[96];
    if (!sub && vrt_result_secondary_count(r, i) > 0) { /* a cascade's classifier on this box */
        int sc = -1;
        float ss = 0;
        vrt_result_secondary(r, i, 0, &sc, &ss);
        entry_text(pl->ov, vrt_result_secondary_label(r, i, 0), sc, ss, stxt, sizeof(stxt));
        sub = stxt;
    }
    if (sub && sub[0] && (f & (VRT_OVERLAY_LABELS | VRT_OVERLAY_CONF))) {
        static const uint8_t dark[3] = {24, 24, 24};
        if (ly < y1) ly = y1; /* under the first label: inside the box */
        add_label(pl, x1, ly, sub, dark, 200);
    }
}

/* ---- maps and keypoints (segmentation, depth, pose) ------------------------------- */

/* A map primitive: map m (its pointers set in ov) stretched over [x, x + w) x [y, y + h). */
static void add_map(plan *pl, int m, int32_t x, int32_t y, int32_t w, int32_t h, int32_t alpha) {
    static const uint8_t none[3] = {0, 0, 0};
    vrt__ov_prim *p = add(pl, VRT__OV_MAP, x, y, x + w, y + h, none, alpha);
    if (!p) return;
    p->a = x, p->b = y, p->c = w, p->d = h;
    p->scale = m;
}

/* Segmentation: instance masks in their box's class colour, or a class map in the class colours. */
static void plan_mask(plan *pl, const vrt_result *r) {
    vrt_overlay_t *ov = pl->ov;
    int w = 0, h = 0;
    size_t stride = 0;
    vrt_map_type t;
    const uint8_t *m = vrt_result_map(r, VRT_MAP_INSTANCES, &w, &h, &stride, &t);
    ov->skip[0] = 0;
    ov->map_pal[0] = ov->inst_pal;
    if (m) {
        memset(ov->inst_pal, 0, sizeof(ov->inst_pal));
        for (int i = 0; i < vrt_result_count(r) && i < 255; i++) {
            vrt_detection d;
            if (!vrt_result_detection(r, i, &d))
                vrt_overlay_class_color(d.class_id, ov->inst_pal + 3 * (i + 1));
        }
    } else if ((m = vrt_result_map(r, VRT_MAP_CLASSES, &w, &h, &stride, &t))) {
        ov->skip[0] = -1; /* every class is drawn (class 0 is a class: wall, road, ...) */
        ov->map_pal[0] = ov->palette;
    }
    if (!m || t != VRT_MAP_U8 || w <= 0 || h <= 0) return;
    ov->map[0] = m, ov->mw[0] = w, ov->mh[0] = h, ov->stride[0] = (int32_t)stride;
    int a = ov->p.mask_alpha;
    add_map(pl, 0, 0, 0, pl->w, pl->h, a + (a >> 7));
}

/* Depth: the normalised map turned into colour indices into ov->depth_q with the depth head's
 * own rounding (vrt__dense_color_index), so a cell gets the colour VRT_MAP_DEPTH_COLOR gives it
 * under the turbo map; index 255 marks a NaN cell (cropped away: not drawn), so the nearest
 * 0.2% of the range shares entry 254. The buffer grows on the first frame (or a larger one). */
static int prepare_depth(vrt_overlay_t *ov, const vrt_result *r) {
    int w = 0, h = 0;
    size_t stride = 0;
    vrt_map_type t;
    const uint8_t *m = vrt_result_map(r, VRT_MAP_DEPTH, &w, &h, &stride, &t);
    if (!m || t != VRT_MAP_F32 || w <= 0 || h <= 0) return 0;
    size_t need = (size_t)w * (size_t)h;
    if (need > ov->depth_cap) {
        vrt_free(ov->depth_q);
        ov->depth_q = vrt_malloc(need);
        ov->depth_cap = ov->depth_q ? need : 0;
        if (!ov->depth_q) return 0;
    }
    for (int y = 0; y < h; y++) {
        const float *row = (const float *)(const void *)(m + (size_t)y * stride);
        uint8_t *q = ov->depth_q + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++) {
            int i = isnan(row[x]) ? 255 : vrt__dense_color_index(row[x]);
            q[x] = (uint8_t)(isnan(row[x]) ? 255 : i > 254 ? 254 : i);
        }
    }
    ov->map[1] = ov->depth_q, ov->mw[1] = w, ov->mh[1] = h, ov->stride[1] = w, ov->skip[1] = 255;
    ov->map_pal[1] = ov->turbo;
    return 1;
}

/* COCO's 17-keypoint skeleton (the pairs Ultralytics draws). */
static const uint8_t g_limbs[][2] = {{15, 13}, {13, 11}, {16, 14}, {14, 12}, {11, 12}, {5, 11}, {6, 12},
                                     {5, 6},   {5, 7},   {6, 8},   {7, 9},   {8, 10},  {1, 2},  {0, 1},
                                     {0, 2},   {1, 3},   {2, 4},   {3, 5},   {4, 6}};
#define KP_MIN_SCORE 0.5f

static void plan_keypoints(plan *pl, const vrt_result *r) {
    int k = vrt_result_num_keypoints(r);
    if (k <= 0) return;
    int32_t rad = pl->t + 2, half = pl->t > 2 ? pl->t / 2 : 1;
    static const uint8_t white[3] = {255, 255, 255};
    for (int i = vrt_result_count(r) - 1; i >= 0; i--) {
        vrt_detection d;
        if (vrt_result_detection(r, i, &d)) continue;
        uint8_t col[3];
        vrt_overlay_class_color(d.class_id + 1 + i, col);
        for (size_t l = 0; k == 17 && l < sizeof(g_limbs) / sizeof(g_limbs[0]); l++) {
            float x0, y0, s0, x1, y1, s1;
            if (vrt_result_keypoint(r, i, g_limbs[l][0], &x0, &y0, &s0) ||
                vrt_result_keypoint(r, i, g_limbs[l][1], &x1, &y1, &s1) || s0 < KP_MIN_SCORE ||
                s1 < KP_MIN_SCORE)
                continue;
            int32_t a = round_px(x0), b = round_px(y0), c = round_px(x1), e = round_px(y1);
            vrt__ov_prim *p = add(pl, VRT__OV_LINE, imin(a, c) - half, imin(b, e) - half,
                                  imax(a, c) + half + 1, imax(b, e) + half + 1, col, 256);
            if (p) p->a = a, p->b = b, p->c = c, p->d = e, p->r = half;
        }
        for (int j = 0; j < k; j++) {
            float x, y, sc;
            if (vrt_result_keypoint(r, i, j, &x, &y, &sc) || sc < KP_MIN_SCORE) continue;
            int32_t cx = round_px(x), cy = round_px(y);
            vrt__ov_prim *p =
                add(pl, VRT__OV_DISC, cx - rad, cy - rad, cx + rad + 1, cy + rad + 1, white, 256);
            if (p) p->a = cx, p->b = cy, p->r = rad;
            p = add(pl, VRT__OV_DISC, cx - rad, cy - rad, cx + rad + 1, cy + rad + 1, col, 256);
            if (p) p->a = cx, p->b = cy, p->r = rad - 1;
        }
    }
}

/* A classifier's top classes, one line each, at the top-left under the HUD. */
static void plan_classes(plan *pl, const vrt_result *r, int32_t y) {
    unsigned f = pl->ov->p.flags;
    if (!(f & (VRT_OVERLAY_LABELS | VRT_OVERLAY_CONF))) return;
    int n = vrt_result_count(r);
    if (n > pl->ov->p.max_classes) n = pl->ov->p.max_classes;
    for (int i = 0; i < n; i++) {
        int cls = -1;
        float score = 0;
        vrt_result_class(r, i, &cls, &score);
        char txt[96];
        entry_text(pl->ov, vrt_result_label(r, i), cls, score, txt, sizeof(txt));
        uint8_t col[3];
        vrt_overlay_class_color(cls, col);
        y += add_label(pl, 0, y, txt, col, 256);
    }
}

static int32_t plan_hud(plan *pl, const vrt_overlay_info *info) {
    char txt[128];
    snprintf(txt, sizeof(txt), "%.1f fps  e2e p50 %.1f p99 %.1f ms  drops %llu", info->fps, info->e2e_p50_ms,
             info->e2e_p99_ms, (unsigned long long)info->drops);
    static const uint8_t black[3] = {0, 0, 0};
    return add_label(pl, 0, 0, txt, black, 160);
}

void vrt__overlay_plan(vrt_overlay_t *ov, uint32_t w, uint32_t h, const vrt_result *r,
                       const vrt_overlay_info *info) {
    plan pl = {ov, (int32_t)w, (int32_t)h, ov->p.line_width, ov->p.font_scale};
    int32_t shorter = imin(pl.w, pl.h);
    if (!pl.t) pl.t = imax(2, shorter / 360);
    if (!pl.scale) pl.scale = imax(1, (shorter + 360) / 720);
    ov->n = 0;
    ov->text_len = 0;
    memset(ov->map, 0, sizeof(ov->map));
    unsigned f = ov->p.flags;
    /* Under everything: a blended depth map, then the masks; the inset goes on top at the end. */
    int depth = (f & VRT_OVERLAY_DEPTH) && prepare_depth(ov, r);
    if (depth && ov->p.depth_blend) add_map(&pl, 1, 0, 0, pl.w, pl.h, 154);
    if (f & VRT_OVERLAY_MASK) plan_mask(&pl, r);
    vrt_result_type kind = vrt_result_kind(r);
    if (kind == VRT_RESULT_DETECTIONS || kind == VRT_RESULT_KEYPOINTS) {
        /* Lowest score first, so the best box's label ends on top. */
        for (int i = vrt_result_count(r) - 1; i >= 0; i--)
            plan_box(&pl, r, i, info);
    }
    int32_t y = 0;
    if (info && info->hud && (ov->p.flags & VRT_OVERLAY_HUD)) y = plan_hud(&pl, info);
    if (kind == VRT_RESULT_CLASSES) plan_classes(&pl, r, y);
    if (f & VRT_OVERLAY_KEYPOINTS) plan_keypoints(&pl, r);
    if (depth && !ov->p.depth_blend)
        add_map(&pl, 1, pl.w - pl.w / 4, pl.h - pl.h / 4, pl.w / 4, pl.h / 4, 256);
}

/* ---- the CPU twin ---------------------------------------------------------- */

vrt_status vrt_overlay_render(vrt_overlay_t *ov, const vrt_frame *src, vrt_frame *dst, const vrt_result *r,
                              const vrt_overlay_info *info, char *err, size_t cap) {
    if (!ov || !src || !dst) return VRT_EINVAL;
    if (dst->fourcc != VRT_FMT_RGB24 || dst->width != src->width || dst->height != src->height ||
        !dst->planes[0].data || dst->memory == VRT_MEM_DEVICE || src->memory == VRT_MEM_DEVICE) {
        vrt_errbuf_set(err, cap,
                       "overlay: the picture must be a host RGB24 frame of the source's size "
                       "(%ux%u); got %ux%u",
                       src->width, src->height, dst->width, dst->height);
        return VRT_EINVAL;
    }
    if (src != dst) {
        vrt_status st = vrt_image_convert(src, dst, err, cap);
        if (st) return st;
    }
    vrt__overlay_plan(ov, dst->width, dst->height, r, info);
    vrt__ov_data d;
    vrt__overlay_host_data(ov, &d);
    uint8_t *base = dst->planes[0].data;
    size_t stride = dst->planes[0].stride;
    for (int i = 0; i < ov->n; i++) {
        const vrt__ov_prim *p = &ov->prims[i];
        for (int32_t y = p->y0; y < p->y1; y++) {
            uint8_t *row = base + (size_t)y * stride;
            for (int32_t x = p->x0; x < p->x1; x++)
                vrt__ov_apply(p, &d, x, y, row + 3 * (size_t)x);
        }
    }
    return VRT_OK;
}
