/* Model profiles: "key = value" text files describing pre- and post-processing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vision/head.h"
#include "vrt/image.h"
#include "vrt/model.h"
#include "vrt/profile.h"

const char *vrt_task_name(vrt_task t) {
    const vrt__head *h = vrt__head_for(t);
    return h ? h->task : "?";
}

void vrt_profile_default(vrt_profile *p) {
    memset(p, 0, sizeof(*p));
    p->task = VRT_TASK_CLASSIFY;
    vrt_preprocess_default_params(&p->pre);
    p->topk = 5;
    p->softmax = 0;
    vrt_detect_default_params(&p->det);
    p->det.num_classes = 0;
    p->det.input_w = p->pre.width;
    p->det.input_h = p->pre.height;
    p->ssd.center_variance = 0.1f;
    p->ssd.size_variance = 0.2f;
    p->ssd.clip_priors = 1;
    p->colormap = VRT_COLORMAP_TURBO;
    p->mask_threshold = 0.5f;
    vrt_guided_default_params(&p->guided);
    p->guided.radius = 0; /* off unless the profile asks */
    p->depth_refine.radius = 0;
    p->depth_refine.eps = 0.001f; /* depth follows the frame's edges more than a smoothed frame does */
}

/* ---- value parsers: 0 on success ---- */

static int parse_int(const char *v, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static int parse_float(const char *v, float *out) {
    char *end;
    errno = 0;
    /* Allow "1/255" style fractions: they are common in recipes. */
    double x = strtod(v, &end);
    if (errno || end == v) return -1;
    while (*end == ' ')
        end++;
    if (*end == '/') {
        char *e2;
        double y = strtod(end + 1, &e2);
        if (e2 == end + 1 || *e2 || y == 0.0) return -1;
        x /= y;
        end = e2;
    }
    if (*end || !isfinite(x)) return -1;
    *out = (float)x;
    return 0;
}

static int parse_bool(const char *v, int *out) {
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off")) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* Comma-separated floats: 1..max of them; returns the count or -1. */
static int parse_float_list(const char *v, float *out, int max) {
    char buf[256];
    if (strlen(v) >= sizeof(buf)) return -1;
    strcpy(buf, v);
    int n = 0;
    for (char *s = buf;;) {
        char *c = strchr(s, ',');
        if (c) *c = 0;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t l = strlen(s);
        while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
            s[--l] = 0;
        if (n >= max || parse_float(s, &out[n])) return -1;
        n++;
        if (!c) break;
        s = c + 1;
    }
    return n;
}

static int copy_str(char *dst, size_t cap, const char *v) {
    size_t n = strlen(v);
    if (n >= cap) return -1;
    memcpy(dst, v, n + 1);
    return 0;
}

/* A word value: the index of v in words (NULL-terminated) into *out through vals. */
static int pick(const char *v, const char *const *words, const int *vals, int *out) {
    for (int i = 0; words[i]; i++)
        if (!strcasecmp(v, words[i])) {
            *out = vals[i];
            return 0;
        }
    return -1;
}

/* ---- one setter per key: 0, or -1 (the table's hint tells what would work) ---- */

static int set_name(vrt_profile *p, const char *v) {
    return copy_str(p->name, sizeof(p->name), v);
}
static int set_model(vrt_profile *p, const char *v) {
    return copy_str(p->model, sizeof(p->model), v);
}
static int set_input(vrt_profile *p, const char *v) {
    return copy_str(p->input, sizeof(p->input), v);
}
static int set_labels(vrt_profile *p, const char *v) {
    return copy_str(p->labels, sizeof(p->labels), v);
}
/* The task names a head of the head table (vision/head.h). */
static int set_task(vrt_profile *p, const char *v) {
    const vrt__head *h = vrt__head_find(v);
    if (!h) return -1;
    p->task = h->id;
    return 0;
}
static int set_size(uint32_t *dst, const char *v) {
    long x;
    if (parse_int(v, 1, 16384, &x)) return -1;
    *dst = (uint32_t)x;
    return 0;
}
static int set_width(vrt_profile *p, const char *v) {
    return set_size(&p->pre.width, v);
}
static int set_height(vrt_profile *p, const char *v) {
    return set_size(&p->pre.height, v);
}
static int set_color(vrt_profile *p, const char *v) {
    static const char *const w[] = {"rgb", "bgr", NULL};
    static const int x[] = {VRT_COLOR_RGB, VRT_COLOR_BGR};
    int o;
    if (pick(v, w, x, &o)) return -1;
    p->pre.color = (vrt_color_order)o;
    return 0;
}
static int set_resize(vrt_profile *p, const char *v) {
    static const char *const w[] = {"stretch", "crop", "letterbox", NULL};
    static const int x[] = {VRT_RESIZE_STRETCH, VRT_RESIZE_CROP, VRT_RESIZE_LETTERBOX};
    int o;
    if (pick(v, w, x, &o)) return -1;
    p->pre.resize = (vrt_resize_mode)o;
    return 0;
}
static int set_interpolation(vrt_profile *p, const char *v) {
    static const char *const w[] = {"bilinear", "linear", "area", NULL};
    static const int x[] = {VRT_INTERP_BILINEAR, VRT_INTERP_BILINEAR, VRT_INTERP_AREA};
    int o;
    if (pick(v, w, x, &o)) return -1;
    p->pre.interp = (vrt_interp)o;
    return 0;
}
static int set_resize_shorter(vrt_profile *p, const char *v) {
    long x;
    if (parse_int(v, 0, 65536, &x)) return -1;
    p->pre.resize_shorter = (uint32_t)x;
    return 0;
}
static int set_resize_rounding(vrt_profile *p, const char *v) {
    static const char *const w[] = {"trunc", "round", NULL};
    static const int x[] = {0, 1};
    return pick(v, w, x, &p->pre.round_size);
}
static int set_placement(vrt_profile *p, const char *v) {
    static const char *const w[] = {"top-left", "center", "centre", NULL};
    static const int x[] = {VRT_PLACE_TOP_LEFT, VRT_PLACE_CENTER, VRT_PLACE_CENTER};
    int o;
    if (pick(v, w, x, &o)) return -1;
    p->pre.placement = (vrt_placement)o;
    return 0;
}
static int set_pad(vrt_profile *p, const char *v) {
    return parse_float(v, &p->pre.pad_value);
}
static int set_scale(vrt_profile *p, const char *v) {
    return parse_float(v, &p->pre.scale);
}
/* 1 or 3 values into dst; nonzero: every value must be non-zero (std). */
static int set_triple(float *dst, const char *v, int nonzero) {
    float f[3];
    int n = parse_float_list(v, f, 3);
    if (n != 1 && n != 3) return -1;
    for (int c = 0; c < 3; c++) {
        dst[c] = f[n == 1 ? 0 : c];
        if (nonzero && dst[c] == 0.0f) return -1;
    }
    return 0;
}
static int set_mean(vrt_profile *p, const char *v) {
    return set_triple(p->pre.mean, v, 0);
}
static int set_std(vrt_profile *p, const char *v) {
    return set_triple(p->pre.std, v, 1);
}
static int set_layout(vrt_profile *p, const char *v) {
    static const char *const w[] = {"nchw", "nhwc", NULL};
    static const int x[] = {VRT_LAYOUT_NCHW, VRT_LAYOUT_NHWC};
    int o;
    if (pick(v, w, x, &o)) return -1;
    p->pre.layout = (vrt_layout)o;
    return 0;
}
static int set_dtype(vrt_profile *p, const char *v) {
    /* Case-sensitive as before: "float32", "fp32", "float16", "fp16". */
    if (!strcmp(v, "float32") || !strcmp(v, "fp32"))
        p->pre.dtype = VRT_TENSOR_F32;
    else if (!strcmp(v, "float16") || !strcmp(v, "fp16"))
        p->pre.dtype = VRT_TENSOR_F16;
    else
        return -1;
    return 0;
}
static int set_topk(vrt_profile *p, const char *v) {
    long x;
    if (parse_int(v, 1, VRT_TOPK_MAX, &x)) return -1;
    p->topk = (int)x;
    return 0;
}
static int set_softmax(vrt_profile *p, const char *v) {
    return parse_bool(v, &p->softmax);
}
static int set_sigmoid(vrt_profile *p, const char *v) {
    return parse_bool(v, &p->det.apply_sigmoid);
}
static int set_clip(vrt_profile *p, const char *v) {
    return parse_bool(v, &p->det.clip);
}
static int set_score_threshold(vrt_profile *p, const char *v) {
    return parse_float(v, &p->det.score_threshold);
}
static int set_iou_threshold(vrt_profile *p, const char *v) {
    float f;
    if (parse_float(v, &f) || f < 0.0f || f > 1.0f) return -1;
    p->det.iou_threshold = f;
    return 0;
}
static int set_max_detections(vrt_profile *p, const char *v) {
    long x;
    if (parse_int(v, 1, VRT_DETECT_MAX, &x)) return -1;
    p->det.max_detections = (int)x;
    return 0;
}
static int set_colormap(vrt_profile *p, const char *v) {
    static const char *const w[] = {"turbo", "inferno", "none", NULL};
    for (int i = 0; w[i]; i++)
        if (!strcmp(v, w[i])) {
            p->colormap = (vrt_colormap)i;
            return 0;
        }
    return -1;
}
static int set_mask_threshold(vrt_profile *p, const char *v) {
    float f;
    if (parse_float(v, &f) || !(f >= 0.0f && f <= 1.0f)) return -1;
    p->mask_threshold = f;
    return 0;
}
static int set_num_keypoints(vrt_profile *p, const char *v) {
    long x;
    if (parse_int(v, 0, 1000, &x)) return -1;
    p->num_keypoints = (int)x;
    return 0;
}
static int set_num_classes(vrt_profile *p, const char *v) {
    long x;
    if (parse_int(v, 0, 100000, &x)) return -1;
    p->det.num_classes = (int)x;
    return 0;
}
static int set_strides(vrt_profile *p, const char *v) {
    float f[VRT_DETECT_MAX_STRIDES];
    int n = parse_float_list(v, f, VRT_DETECT_MAX_STRIDES);
    if (n < 1) return -1;
    for (int i = 0; i < n; i++) {
        if (f[i] < 1 || f[i] > 4096 || f[i] != floorf(f[i])) return -1;
        p->det.strides[i] = (int)f[i];
    }
    p->det.num_strides = n;
    return 0;
}

/* "role=name, ..." or one bare name (a one-output head's). */
static int set_outputs(vrt_profile *p, const char *v) {
    char buf[1024];
    if (strlen(v) >= sizeof(buf)) return -1;
    strcpy(buf, v);
    p->num_outputs = 0;
    for (char *s = buf, *next; s; s = next) {
        next = strchr(s, ',');
        if (next) *next++ = 0;
        char *eq = strchr(s, '='), *role = eq ? s : NULL, *name = eq ? eq + 1 : s;
        if (eq) *eq = 0;
        if (p->num_outputs >= VRT_PROFILE_MAX_OUTPUTS) return -1;
        vrt_profile_output *o = &p->outputs[p->num_outputs++];
        char *parts[2] = {role, name}, *dst[2] = {o->role, o->name};
        size_t caps[2] = {sizeof(o->role), sizeof(o->name)};
        for (int k = 0; k < 2; k++) {
            char *t = parts[k];
            dst[k][0] = 0;
            if (!t) continue;
            while (*t == ' ' || *t == '\t')
                t++;
            size_t l = strlen(t);
            while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
                t[--l] = 0;
            if (!l || copy_str(dst[k], caps[k], t)) return -1;
        }
        if (!eq && p->num_outputs > 1) return -1;
    }
    return p->num_outputs == 1 || p->outputs[0].role[0] ? 0 : -1;
}
/* "40x30, 20x15, ..." */
static int set_ssd_feature_maps(vrt_profile *p, const char *v) {
    int n = 0;
    for (const char *s = v; *s;) {
        char *e;
        long w = strtol(s, &e, 10);
        if (e == s || (*e != 'x' && *e != 'X') || n >= VRT_SSD_MAX_LEVELS) return -1;
        long h = strtol(e + 1, &e, 10);
        if (w < 1 || h < 1 || w > 4096 || h > 4096) return -1;
        p->ssd.fm_w[n] = (int)w;
        p->ssd.fm_h[n++] = (int)h;
        while (*e == ' ' || *e == '\t')
            e++;
        if (*e && *e != ',') return -1;
        s = *e ? e + 1 : e;
        while (*s == ' ' || *s == '\t')
            s++;
    }
    if (p->ssd.num_levels && p->ssd.num_levels != n) return -1; /* against ssd_min_sizes */
    p->ssd.num_levels = n;
    return 0;
}
/* "10,16,24; 32,48; ..." */
static int set_ssd_min_sizes(vrt_profile *p, const char *v) {
    char buf[512];
    if (strlen(v) >= sizeof(buf)) return -1;
    strcpy(buf, v);
    int n = 0;
    for (char *s = buf, *next; s; s = next) {
        next = strchr(s, ';');
        if (next) *next++ = 0;
        if (n >= VRT_SSD_MAX_LEVELS) return -1;
        int k = parse_float_list(s, p->ssd.min_sizes[n], VRT_SSD_MAX_SIZES);
        if (k < 1) return -1;
        for (int i = 0; i < k; i++)
            if (!(p->ssd.min_sizes[n][i] > 0)) return -1;
        p->ssd.num_sizes[n++] = k;
    }
    int fm = p->ssd.fm_w[0] > 0;
    if (fm && p->ssd.num_levels != n) return -1; /* against ssd_feature_maps */
    p->ssd.num_levels = n;
    return 0;
}
static int set_ssd_variances(vrt_profile *p, const char *v) {
    float f[2];
    if (parse_float_list(v, f, 2) != 2 || !(f[0] > 0) || !(f[1] > 0)) return -1;
    p->ssd.center_variance = f[0];
    p->ssd.size_variance = f[1];
    return 0;
}
static int set_ssd_clip_priors(vrt_profile *p, const char *v) {
    return parse_bool(v, &p->ssd.clip_priors);
}

static int set_guided_radius(vrt_profile *p, const char *v) {
    long x;
    if (parse_int(v, 0, VRT_GUIDED_MAX_RADIUS, &x)) return -1;
    p->guided.radius = (int)x;
    return 0;
}
static int set_guided_eps(vrt_profile *p, const char *v) {
    float f;
    if (parse_float(v, &f) || !(f > 0.0f)) return -1;
    p->guided.eps = f;
    return 0;
}

static int set_depth_refine_radius(vrt_profile *p, const char *v) {
    long x;
    if (parse_int(v, 0, VRT_GUIDED_MAX_RADIUS, &x)) return -1;
    p->depth_refine.radius = (int)x;
    return 0;
}
static int set_depth_refine_eps(vrt_profile *p, const char *v) {
    float f;
    if (parse_float(v, &f) || !(f > 0.0f)) return -1;
    p->depth_refine.eps = f;
    return 0;
}

/* Every key, in the order messages list them. hint NULL: built at run time (task). */
typedef struct key_def {
    const char *key;
    const char *hint;
    int (*set)(vrt_profile *p, const char *v);
} key_def;

static const key_def k_keys[] = {
    {"name", "at most 127 characters", set_name},
    {"model", "a shorter path", set_model},
    {"input", "a shorter name", set_input},
    {"task", NULL, set_task},
    {"outputs", "role=name pairs such as scores=scores, boxes=boxes (a one-output head: a name)",
     set_outputs},
    {"width", "a whole number of pixels, 1..16384", set_width},
    {"height", "a whole number of pixels, 1..16384", set_height},
    {"color", "rgb or bgr", set_color},
    {"resize", "stretch, crop or letterbox", set_resize},
    {"interpolation", "bilinear (cv::resize INTER_LINEAR) or area (INTER_AREA: pixel-area averaging)",
     set_interpolation},
    {"resize_shorter", "a whole number of pixels, 0..65536 (0: the larger of width and height)",
     set_resize_shorter},
    {"resize_rounding", "trunc (int(), as torchvision and YOLOX) or round (nearest, half to even)",
     set_resize_rounding},
    {"placement", "top-left or center", set_placement},
    {"pad", "a number (pixel units, 0..255)", set_pad},
    {"scale", "a number such as 1 or 1/255", set_scale},
    {"mean", "1 or 3 comma-separated numbers (std not 0)", set_mean},
    {"std", "1 or 3 comma-separated numbers (std not 0)", set_std},
    {"layout", "nchw or nhwc", set_layout},
    {"dtype", "float32 or float16", set_dtype},
    {"labels", "a shorter path", set_labels},
    {"topk", "a whole number 1..64", set_topk},
    {"softmax", "0 or 1", set_softmax},
    {"sigmoid", "0 or 1", set_sigmoid},
    {"score_threshold", "a number", set_score_threshold},
    {"iou_threshold", "a number in 0..1", set_iou_threshold},
    {"max_detections", "a whole number 1..256", set_max_detections},
    {"strides", "1..8 comma-separated whole numbers such as 8,16,32", set_strides},
    {"num_classes", "a whole number 0..100000 (0: from the model)", set_num_classes},
    {"clip", "0 or 1", set_clip},
    {"ssd_feature_maps", "WxH per level such as 40x30, 20x15, 10x8, 5x4 (as many levels as ssd_min_sizes)",
     set_ssd_feature_maps},
    {"ssd_min_sizes", "sizes in pixels per level, levels split by ';', such as 10,16,24; 32,48; 64,96",
     set_ssd_min_sizes},
    {"ssd_variances", "two positive numbers: centre, size (e.g. 0.1, 0.2)", set_ssd_variances},
    {"ssd_clip_priors", "0 or 1", set_ssd_clip_priors},
    {"colormap", "turbo, inferno or none", set_colormap},
    {"mask_threshold", "a number in 0..1", set_mask_threshold},
    {"num_keypoints", "a whole number 0..1000 (0: 17)", set_num_keypoints},
    {"guided_radius", "a whole number 0..16 (0: no guided filter)", set_guided_radius},
    {"guided_eps", "a positive number such as 0.01", set_guided_eps},
    {"depth_refine_radius", "a whole number 0..16 (0: no refinement)", set_depth_refine_radius},
    {"depth_refine_eps", "a positive number such as 0.001", set_depth_refine_eps},
};
#define NKEYS ((int)(sizeof(k_keys) / sizeof(k_keys[0])))

/* The parser; *nkeys counts the key lines. */
static vrt_status parse_text(const char *text, size_t len, const char *where, vrt_profile *p, int *nkeys,
                             char *err, size_t cap) {
    *nkeys = 0;
    if (!p || (!text && len)) return VRT_EINVAL;
    if (!where) where = "<profile>";
    int seen[NKEYS];
    memset(seen, 0, sizeof(seen));
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        line++;
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        char buf[2048];
        size_t n = e - pos;
        if (n >= sizeof(buf)) {
            vrt_errbuf_set(err, cap, "%s:%d: line longer than %zu characters", where, line, sizeof(buf) - 1);
            return VRT_EINVAL;
        }
        memcpy(buf, text + pos, n);
        buf[n] = 0;
        pos = e + 1;
        if (memchr(buf, 0, n)) {
            vrt_errbuf_set(err, cap, "%s:%d: NUL byte in a text file", where, line);
            return VRT_EINVAL;
        }
        char *s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t l = strlen(s);
        while (l && isspace((unsigned char)s[l - 1]))
            s[--l] = 0;
        if (!*s || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            vrt_errbuf_set(err, cap, "%s:%d: sections are not used; write 'key = value' lines", where, line);
            return VRT_EINVAL;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            vrt_errbuf_set(err, cap, "%s:%d: expected 'key = value', got '%.80s'", where, line, s);
            return VRT_EINVAL;
        }
        char *k = s, *v = eq + 1;
        *eq = 0;
        l = strlen(k);
        while (l && isspace((unsigned char)k[l - 1]))
            k[--l] = 0;
        while (*v == ' ' || *v == '\t')
            v++;
        int ki = -1;
        for (int i = 0; i < NKEYS; i++)
            if (!strcmp(k, k_keys[i].key)) ki = i;
        if (ki < 0) {
            char known[768];
            size_t o = 0;
            known[0] = 0;
            for (int i = 0; i < NKEYS && o < sizeof(known); i++)
                o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "", k_keys[i].key);
            vrt_errbuf_set(err, cap, "%s:%d: unknown key '%.64s'; known: %s", where, line, k, known);
            return VRT_EINVAL;
        }
        if (seen[ki]) {
            vrt_errbuf_set(err, cap, "%s:%d: key '%s' given twice (first on line %d)", where, line, k,
                           seen[ki]);
            return VRT_EINVAL;
        }
        seen[ki] = line;
        ++*nkeys;
        if (!*v || k_keys[ki].set(p, v)) {
            char tasks[256];
            const char *hint = k_keys[ki].hint ? k_keys[ki].hint : vrt__head_names(tasks, sizeof(tasks));
            vrt_errbuf_set(err, cap, "%s:%d: bad value '%.80s' for '%s'; use %s", where, line, v, k, hint);
            return VRT_EINVAL;
        }
    }
    p->det.kind = p->task == VRT_TASK_DETECT_YOLOV8 ? VRT_DETECT_YOLOV8 : VRT_DETECT_YOLOX;
    p->det.input_w = p->pre.width;
    p->det.input_h = p->pre.height;
    vrt_status st = vrt_preprocess_check(&p->pre, err, cap);
    if (st) {
        /* Prefix the file name to the parameter message. */
        char tmp[512];
        snprintf(tmp, sizeof(tmp), "%s", err ? err : "");
        vrt_errbuf_set(err, cap, "%s: %s", where, tmp);
    }
    return st;
}

vrt_status vrt_profile_parse(const char *text, size_t len, const char *where, vrt_profile *p, char *err,
                             size_t cap) {
    int nkeys;
    return parse_text(text, len, where, p, &nkeys, err, cap);
}

vrt_status vrt_profile_load(const char *path, vrt_profile *p, char *err, size_t cap) {
    if (!path || !p) return VRT_EINVAL;
    vrt_profile_default(p);
    uint8_t *data = NULL;
    size_t size = 0;
    vrt_status st = vrt_image_read_file(path, 1u << 20, &data, &size, err, cap);
    if (st) return st;
    int nkeys = 0;
    st = parse_text((const char *)data, size, path, p, &nkeys, err, cap);
    vrt_free(data);
    if (st) return st;
    if (nkeys == 0) {
        /* Defaults alone (a 224x224 classifier) would run any model without a word. */
        vrt_errbuf_set(err, cap,
                       "%s: the profile sets no keys (empty, or only comments); write at least task, "
                       "width and height (keys: include/vrt/profile.h, examples: models/*.conf)",
                       path);
        return VRT_EINVAL;
    }
    snprintf(p->path, sizeof(p->path), "%s", path);
    if (!p->name[0]) {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        snprintf(p->name, sizeof(p->name), "%s", b);
        char *dot = strrchr(p->name, '.');
        if (dot && dot != p->name) *dot = 0;
    }
    return VRT_OK;
}

/* dir of path (with trailing '/'), or "" */
static void dir_of(const char *path, char *out, size_t cap) {
    out[0] = 0;
    if (!path) return;
    const char *s = strrchr(path, '/');
    if (!s) return;
    size_t n = (size_t)(s - path) + 1;
    if (n >= cap) return;
    memcpy(out, path, n);
    out[n] = 0;
}

vrt_status vrt_profile_resolve(const vrt_profile *p, const char *file, const char *model_path, char *out,
                               size_t out_cap, char *err, size_t cap) {
    if (!p || !file || !*file || !out || !out_cap) {
        vrt_errbuf_set(err, cap, "profile: no file name to resolve");
        return VRT_EINVAL;
    }
    if (file[0] == '/') {
        if (access(file, R_OK) != 0) {
            vrt_errbuf_set(err, cap, "%s: no such file", file);
            return VRT_ENOENT;
        }
        if ((size_t)snprintf(out, out_cap, "%s", file) >= out_cap) return VRT_ERANGE;
        return VRT_OK;
    }
    char dirs[3][VRT_PROFILE_PATH_MAX];
    dir_of(model_path, dirs[0], sizeof(dirs[0]));
    dir_of(p->path[0] ? p->path : NULL, dirs[1], sizeof(dirs[1]));
    dirs[2][0] = 0;
    int valid[3] = {model_path != NULL, p->path[0] != 0, 1};
    char tried[1024];
    size_t o = 0;
    tried[0] = 0;
    for (int i = 0; i < 3; i++) {
        if (!valid[i]) continue;
        char cand[2 * VRT_PROFILE_PATH_MAX + 8];
        snprintf(cand, sizeof(cand), "%s%s", dirs[i], file);
        if (access(cand, R_OK) == 0) {
            if ((size_t)snprintf(out, out_cap, "%s", cand) >= out_cap) {
                vrt_errbuf_set(err, cap, "%s: path too long", cand);
                return VRT_ERANGE;
            }
            return VRT_OK;
        }
        if (o < sizeof(tried))
            o += (size_t)snprintf(tried + o, sizeof(tried) - o, "%s%s", o ? ", " : "", cand);
    }
    vrt_errbuf_set(err, cap, "%s: file '%s' not found; tried %s", p->name[0] ? p->name : "profile", file,
                   tried);
    return VRT_ENOENT;
}

/* ---- profiles from a model's own metadata (Ultralytics exports) ---------------- */

/* Ultralytics' task names -> the heads that read their outputs. */
static const char *const k_ultra_tasks[][2] = {
    {"detect", "detect-yolov8"},
    {"classify", "classify"},
    {"segment", "segment-yolov8"},
    {"pose", "pose-yolov8"},
};

/* "[640, 480]" (Ultralytics: height, width) or "640". */
static int parse_imgsz(const char *v, uint32_t *h, uint32_t *w) {
    long a, b;
    char *e;
    while (*v == ' ' || *v == '[' || *v == '(')
        v++;
    a = strtol(v, &e, 10);
    if (e == v) return -1;
    while (*e == ' ')
        e++;
    b = a;
    if (*e == ',') {
        const char *s = e + 1;
        b = strtol(s, &e, 10);
        if (e == s) return -1;
    }
    if (a < 1 || b < 1 || a > 16384 || b > 16384) return -1;
    *h = (uint32_t)a;
    *w = (uint32_t)b;
    return 0;
}

vrt_status vrt_profile_from_metadata(const vrt_model_metadata_t *md, const char *model_path, vrt_profile *p,
                                     char *err, size_t cap) {
    if (!p) return VRT_EINVAL;
    const char *where = model_path ? model_path : "model";
    const char *task = vrt_model_metadata_get(md, "task");
    if (!task) {
        vrt_errbuf_set(err, cap,
                       "%s: no 'task' in the model's metadata (not an Ultralytics export); give a profile",
                       where);
        return VRT_ENOENT;
    }
    vrt_profile_default(p);
    const vrt__head *h = NULL;
    char tasks[128] = "";
    size_t o = 0;
    for (size_t i = 0; i < sizeof(k_ultra_tasks) / sizeof(k_ultra_tasks[0]); i++) {
        const vrt__head *hi = vrt__head_find(k_ultra_tasks[i][1]);
        if (hi && !strcmp(task, k_ultra_tasks[i][0])) h = hi;
        if (hi)
            o += (size_t)snprintf(tasks + o, sizeof(tasks) - o, "%s%s", o ? ", " : "", k_ultra_tasks[i][0]);
    }
    if (!h) {
        vrt_errbuf_set(err, cap,
                       "%s: metadata task '%.40s' has no head in this build (zero-config knows: %s); give a "
                       "profile",
                       where, task, tasks);
        return VRT_EUNSUPPORTED;
    }
    p->task = h->id;
    const char *imgsz = vrt_model_metadata_get(md, "imgsz");
    if (imgsz && parse_imgsz(imgsz, &p->pre.height, &p->pre.width)) {
        vrt_errbuf_set(err, cap, "%s: metadata imgsz '%.40s' is not [height, width] or a size", where, imgsz);
        return VRT_EBADDATA;
    }
    if (!imgsz) p->pre.width = p->pre.height = p->task == VRT_TASK_CLASSIFY ? 224 : 640;
    /* Ultralytics' own pre-processing: RGB, 0..1, no mean/std. */
    p->pre.scale = 1.0f / 255.0f;
    if (p->task == VRT_TASK_CLASSIFY) {
        /* classify_transforms: Resize(shorter side to imgsz) + CenterCrop; the exported model ends in
         * softmax. */
        p->pre.resize = VRT_RESIZE_CROP;
        p->pre.resize_shorter = p->pre.width < p->pre.height ? p->pre.width : p->pre.height;
    } else {
        /* LetterBox(center=True): round() of the scaled size, pad 114, the rest centred. */
        p->pre.resize = VRT_RESIZE_LETTERBOX;
        p->pre.placement = VRT_PLACE_CENTER;
        p->pre.round_size = 1;
        p->pre.pad_value = 114.0f;
        const char *stride = vrt_model_metadata_get(md, "stride");
        long smax = 32;
        if (stride && parse_int(stride, 8, 4096, &smax)) smax = 32;
        p->det.num_strides = 0;
        for (long s = 8; s <= smax && p->det.num_strides < VRT_DETECT_MAX_STRIDES; s *= 2)
            p->det.strides[p->det.num_strides++] = (int)s;
        /* predict()'s defaults: conf 0.25, iou 0.7. */
        p->det.score_threshold = 0.25f;
        p->det.iou_threshold = 0.7f;
    }
    p->det.kind = p->task == VRT_TASK_DETECT_YOLOV8 ? VRT_DETECT_YOLOV8 : VRT_DETECT_YOLOX;
    p->det.input_w = p->pre.width;
    p->det.input_h = p->pre.height;
    const char *b = model_path ? strrchr(model_path, '/') : NULL;
    snprintf(p->name, sizeof(p->name), "%.100s (metadata)", b ? b + 1 : model_path ? model_path : "model");
    if (model_path) snprintf(p->model, sizeof(p->model), "%s", model_path);
    return VRT_OK;
}

vrt_status vrt_profile_from_model(const char *model_path, vrt_profile *p, char *err, size_t cap) {
    vrt_model_metadata_t *md = NULL;
    vrt_status st = vrt_model_metadata_load(model_path, &md, err, cap);
    if (st) return st;
    st = vrt_profile_from_metadata(md, model_path, p, err, cap);
    vrt_model_metadata_destroy(&md);
    return st;
}

vrt_status vrt_profile_load_labels(const vrt_profile *p, const char *model_path, vrt_labels_t **out,
                                   char *err, size_t cap) {
    if (!p || !out) return VRT_EINVAL;
    *out = NULL;
    char e2[1024] = "", lp[VRT_PROFILE_PATH_MAX];
    const char *pname = p->path[0] ? p->path : p->name;
    if (p->labels[0]) {
        vrt_status st = vrt_profile_resolve(p, p->labels, model_path, lp, sizeof(lp), e2, sizeof(e2));
        if (!st) st = vrt_labels_load(lp, out, e2, sizeof(e2));
        if (st) vrt_errbuf_set(err, cap, "labels '%s' of profile %s: %s", p->labels, pname, e2);
        return st;
    }
    if (!model_path) return VRT_OK;
    vrt_model_metadata_t *md = NULL;
    if (vrt_model_metadata_load(model_path, &md, e2, sizeof(e2)) != VRT_OK)
        return VRT_OK; /* the engine says why */
    const char *names = vrt_model_metadata_get(md, "names");
    vrt_status st = VRT_OK;
    if (names) {
        char where[VRT_PROFILE_PATH_MAX + 16];
        snprintf(where, sizeof(where), "%.1000s metadata 'names'", model_path);
        st = vrt_labels_from_names(names, where, out, err, cap);
    }
    vrt_model_metadata_destroy(&md);
    return st;
}
