/* Model profiles: "key = value" text files describing pre- and post-processing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vrt/image.h"
#include "vrt/profile.h"

static const char *const k_keys[] = {
    "name",
    "model",
    "input",
    "task",
    "width",
    "height",
    "color",
    "resize",
    "resize_shorter",
    "resize_rounding",
    "placement",
    "pad",
    "scale",
    "mean",
    "std",
    "layout",
    "dtype",
    "labels",
    "topk",
    "softmax",
    "sigmoid",
    "score_threshold",
    "iou_threshold",
    "max_detections",
    "strides",
    "num_classes",
    "clip",
};
#define NKEYS ((int)(sizeof(k_keys) / sizeof(k_keys[0])))

const char *vrt_task_name(vrt_task t) {
    switch (t) {
    case VRT_TASK_CLASSIFY: return "classify";
    case VRT_TASK_DETECT_YOLOX: return "detect-yolox";
    case VRT_TASK_DETECT_YOLOV8: return "detect-yolov8";
    }
    return "?";
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

/* Applies one key; returns 0, or -1 with a "use ..." hint in *hint. */
static int apply(vrt_profile *p, const char *k, const char *v, const char **hint) {
    long x;
    float f[VRT_DETECT_MAX_STRIDES];
    int n;
    *hint = NULL;
    if (!strcmp(k, "name")) return *hint = "at most 127 characters", copy_str(p->name, sizeof(p->name), v);
    if (!strcmp(k, "model")) return *hint = "a shorter path", copy_str(p->model, sizeof(p->model), v);
    if (!strcmp(k, "input")) return *hint = "a shorter name", copy_str(p->input, sizeof(p->input), v);
    if (!strcmp(k, "labels")) return *hint = "a shorter path", copy_str(p->labels, sizeof(p->labels), v);
    if (!strcmp(k, "task")) {
        *hint = "classify, detect-yolox or detect-yolov8";
        if (!strcmp(v, "classify"))
            p->task = VRT_TASK_CLASSIFY;
        else if (!strcmp(v, "detect-yolox"))
            p->task = VRT_TASK_DETECT_YOLOX;
        else if (!strcmp(v, "detect-yolov8"))
            p->task = VRT_TASK_DETECT_YOLOV8;
        else
            return -1;
        return 0;
    }
    if (!strcmp(k, "width") || !strcmp(k, "height")) {
        *hint = "a whole number of pixels, 1..16384";
        if (parse_int(v, 1, 16384, &x)) return -1;
        if (k[0] == 'w')
            p->pre.width = (uint32_t)x;
        else
            p->pre.height = (uint32_t)x;
        return 0;
    }
    if (!strcmp(k, "color")) {
        *hint = "rgb or bgr";
        if (!strcasecmp(v, "rgb"))
            p->pre.color = VRT_COLOR_RGB;
        else if (!strcasecmp(v, "bgr"))
            p->pre.color = VRT_COLOR_BGR;
        else
            return -1;
        return 0;
    }
    if (!strcmp(k, "resize")) {
        *hint = "stretch, crop or letterbox";
        if (!strcmp(v, "stretch"))
            p->pre.resize = VRT_RESIZE_STRETCH;
        else if (!strcmp(v, "crop"))
            p->pre.resize = VRT_RESIZE_CROP;
        else if (!strcmp(v, "letterbox"))
            p->pre.resize = VRT_RESIZE_LETTERBOX;
        else
            return -1;
        return 0;
    }
    if (!strcmp(k, "resize_shorter")) {
        *hint = "a whole number of pixels, 0..65536 (0: the larger of width and height)";
        if (parse_int(v, 0, 65536, &x)) return -1;
        p->pre.resize_shorter = (uint32_t)x;
        return 0;
    }
    if (!strcmp(k, "resize_rounding")) {
        *hint = "trunc (int(), as torchvision and YOLOX) or round (nearest, half to even)";
        if (!strcmp(v, "trunc"))
            p->pre.round_size = 0;
        else if (!strcmp(v, "round"))
            p->pre.round_size = 1;
        else
            return -1;
        return 0;
    }
    if (!strcmp(k, "placement")) {
        *hint = "top-left or center";
        if (!strcmp(v, "top-left"))
            p->pre.placement = VRT_PLACE_TOP_LEFT;
        else if (!strcmp(v, "center") || !strcmp(v, "centre"))
            p->pre.placement = VRT_PLACE_CENTER;
        else
            return -1;
        return 0;
    }
    if (!strcmp(k, "pad")) return *hint = "a number (pixel units, 0..255)", parse_float(v, &p->pre.pad_value);
    if (!strcmp(k, "scale")) return *hint = "a number such as 1 or 1/255", parse_float(v, &p->pre.scale);
    if (!strcmp(k, "mean") || !strcmp(k, "std")) {
        *hint = "1 or 3 comma-separated numbers (std not 0)";
        n = parse_float_list(v, f, 3);
        if (n != 1 && n != 3) return -1;
        float *dst = k[0] == 'm' ? p->pre.mean : p->pre.std;
        for (int c = 0; c < 3; c++) {
            dst[c] = f[n == 1 ? 0 : c];
            if (k[0] == 's' && dst[c] == 0.0f) return -1;
        }
        return 0;
    }
    if (!strcmp(k, "layout")) {
        *hint = "nchw or nhwc";
        if (!strcasecmp(v, "nchw"))
            p->pre.layout = VRT_LAYOUT_NCHW;
        else if (!strcasecmp(v, "nhwc"))
            p->pre.layout = VRT_LAYOUT_NHWC;
        else
            return -1;
        return 0;
    }
    if (!strcmp(k, "dtype")) {
        *hint = "float32 or float16";
        if (!strcmp(v, "float32") || !strcmp(v, "fp32"))
            p->pre.dtype = VRT_TENSOR_F32;
        else if (!strcmp(v, "float16") || !strcmp(v, "fp16"))
            p->pre.dtype = VRT_TENSOR_F16;
        else
            return -1;
        return 0;
    }
    if (!strcmp(k, "topk")) {
        *hint = "a whole number 1..64";
        if (parse_int(v, 1, VRT_TOPK_MAX, &x)) return -1;
        p->topk = (int)x;
        return 0;
    }
    if (!strcmp(k, "softmax")) return *hint = "0 or 1", parse_bool(v, &p->softmax);
    if (!strcmp(k, "sigmoid")) return *hint = "0 or 1", parse_bool(v, &p->det.apply_sigmoid);
    if (!strcmp(k, "clip")) return *hint = "0 or 1", parse_bool(v, &p->det.clip);
    if (!strcmp(k, "score_threshold")) return *hint = "a number", parse_float(v, &p->det.score_threshold);
    if (!strcmp(k, "iou_threshold")) {
        *hint = "a number in 0..1";
        if (parse_float(v, &f[0]) || f[0] < 0.0f || f[0] > 1.0f) return -1;
        p->det.iou_threshold = f[0];
        return 0;
    }
    if (!strcmp(k, "max_detections")) {
        *hint = "a whole number 1..256";
        if (parse_int(v, 1, VRT_DETECT_MAX, &x)) return -1;
        p->det.max_detections = (int)x;
        return 0;
    }
    if (!strcmp(k, "num_classes")) {
        *hint = "a whole number 0..100000 (0: from the model)";
        if (parse_int(v, 0, 100000, &x)) return -1;
        p->det.num_classes = (int)x;
        return 0;
    }
    if (!strcmp(k, "strides")) {
        *hint = "1..8 comma-separated whole numbers such as 8,16,32";
        n = parse_float_list(v, f, VRT_DETECT_MAX_STRIDES);
        if (n < 1) return -1;
        for (int i = 0; i < n; i++) {
            if (f[i] < 1 || f[i] > 4096 || f[i] != floorf(f[i])) return -1;
            p->det.strides[i] = (int)f[i];
        }
        p->det.num_strides = n;
        return 0;
    }
    return -2;
}

vrt_status vrt_profile_parse(const char *text, size_t len, const char *where, vrt_profile *p, char *err,
                             size_t cap) {
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
            if (!strcmp(k, k_keys[i])) ki = i;
        if (ki < 0) {
            char known[512];
            size_t o = 0;
            known[0] = 0;
            for (int i = 0; i < NKEYS && o < sizeof(known); i++)
                o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "", k_keys[i]);
            vrt_errbuf_set(err, cap, "%s:%d: unknown key '%.64s'; known: %s", where, line, k, known);
            return VRT_EINVAL;
        }
        if (seen[ki]) {
            vrt_errbuf_set(err, cap, "%s:%d: key '%s' given twice (first on line %d)", where, line, k,
                           seen[ki]);
            return VRT_EINVAL;
        }
        seen[ki] = line;
        const char *hint = NULL;
        if (!*v || apply(p, k, v, &hint)) {
            vrt_errbuf_set(err, cap, "%s:%d: bad value '%.80s' for '%s'; use %s", where, line, v, k,
                           hint ? hint : "a value");
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

vrt_status vrt_profile_load(const char *path, vrt_profile *p, char *err, size_t cap) {
    if (!path || !p) return VRT_EINVAL;
    vrt_profile_default(p);
    uint8_t *data = NULL;
    size_t size = 0;
    vrt_status st = vrt_image_read_file(path, 1u << 20, &data, &size, err, cap);
    if (st) return st;
    st = vrt_profile_parse((const char *)data, size, path, p, err, cap);
    vrt_free(data);
    if (st) return st;
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
