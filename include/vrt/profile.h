/*
 * vrt/profile.h - model profiles: a model's pre- and post-processing written
 * as a small text file instead of code (the .conf files under models/ in the repository).
 *
 * Format: one "key = value" per line; '#' or ';' starts a comment line;
 * blank lines are ignored; keys are case-sensitive, each at most once; lists
 * are comma-separated. Keys (default in brackets):
 *
 *   name            free text, for messages                       [file name]
 *   model           model file, relative to the profile's folder  [""]
 *   input           input tensor name ("" = the first input)      [""]
 *   task            classify | detect-yolox | detect-yolov8 | detect-ssd | detect-ssd-raw |
 *                   detect-detr | depth | segment-yolov8 | pose-yolov8 | segment-argmax [classify]
 *   outputs         which model outputs the head reads, role=name pairs
 *                   ("scores=scores, boxes=boxes"); a one-output head
 *                   also takes a bare name          [by role name, else in order]
 *   width, height   network input size in pixels                  [224, 224]
 *   color           rgb | bgr (channel order of the tensor)       [rgb]
 *   resize          stretch | crop | letterbox (see vrt/vision.h) [stretch]
 *   interpolation   bilinear | area (OpenCV INTER_LINEAR / INTER_AREA) [bilinear]
 *   resize_shorter  crop: shorter side before the centre crop      [max(width, height)]
 *   resize_rounding trunc | round: resized size int() or rint()     [trunc]
 *   placement       top-left | center (letterbox)                 [top-left]
 *   pad             letterbox pad value, pixel units 0..255       [0]
 *   scale           pixel multiplier (1/255 = 0.00392156862745098) [1]
 *   mean, std       3 values in tensor channel order, or 1 for all [0 / 1]
 *   layout          nchw | nhwc                                    [nchw]
 *   dtype           float32 | float16                              [float32]
 *   labels          labels file (vrt_labels_load formats)          ["": the model's
 *                   metadata 'names' when it has them (Ultralytics)]
 *   topk            classify: classes to report, 1..64             [5]
 *   softmax         classify, detect-ssd-raw: apply softmax (0/1)  [0]
 *   sigmoid         detect: scores are logits (0/1)                [0]
 *   score_threshold detect: keep scores > this                     [0.3]
 *   iou_threshold   detect: class-wise NMS IoU                      [0.45]
 *   max_detections  detect: 1..256                                 [100]
 *   strides         detect-yolox: grid strides                     [8,16,32]
 *   num_classes     detect: classes (0 = from the model's output)  [0]
 *   clip            detect: clip boxes to the frame (0/1)          [1]
 *   ssd_feature_maps detect-ssd-raw: WxH per level ("40x30, 20x15") [ceil(input / strides)]
 *   ssd_min_sizes   detect-ssd-raw: prior sizes in input pixels per level,
 *                   levels split by ';' ("10,16,24; 32,48; 64,96")   [none: required]
 *   ssd_variances   detect-ssd-raw: centre, size variance            [0.1, 0.2]
 *   ssd_clip_priors detect-ssd-raw: clip priors to 0..1 (0/1)       [1]
 *   colormap        depth: turbo | inferno | none (VRT_MAP_DEPTH_COLOR) [turbo]
 *   mask_threshold  segment-yolov8: mask probability threshold 0..1 [0.5]
 *   num_keypoints   pose-yolov8: keypoints per box (0 = 17)       [0]
 *   guided_radius   guided filter on the frame before pre-processing:
 *                   window radius 1..16, 0 = off                    [0]
 *   guided_eps      its regularisation (guide 0..1)                 [0.01]
 *   depth_refine_radius depth: the raw map refined by a guided filter
 *                   with the frame as guide (edges of the frame kept in
 *                   the depth): radius 1..16, 0 = off               [0]
 *   depth_refine_eps its regularisation (guide 0..1; smaller keeps
 *                   more of the frame's edges)                      [0.001]
 *
 * Errors name the file and line: "models/x.conf:7: unknown key 'colour';
 * known: name, model, ...". A file that sets no key at all is refused.
 *
 * Checked against the model when a session or head opens (messages name the
 * output, the file and what the head expects): the input's size and layout,
 * the head's outputs (count, names, shapes: classify wants one score per
 * class, detect-yolov8 [1, 4+C, N] with N the anchors of `strides` over the
 * input, ...), and the labels file against the class count (fewer labels
 * than classes is an error).
 *
 * Ownership: a vrt_profile is a plain value (fixed-size strings), filled by
 * the caller's storage. Threading: all functions are reentrant.
 */
#ifndef VRT_PROFILE_H
#define VRT_PROFILE_H

#include "vrt/model.h"
#include "vrt/vision.h"

#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_PROFILE_PATH_MAX 1024

typedef enum vrt_task {
    VRT_TASK_CLASSIFY = 0,
    VRT_TASK_DETECT_YOLOX = 1,
    VRT_TASK_DETECT_YOLOV8 = 2,
    VRT_TASK_DETECT_SSD = 3,     /* scores [1,N,C] (softmax, class 0 background) + boxes [1,N,4] in 0..1 */
    VRT_TASK_DETECT_SSD_RAW = 4, /* class logits + location encodings, decoded with priors */
    VRT_TASK_DETECT_DETR = 5,    /* logits [1,Q,C+1] (no-object last) + pred_boxes [1,Q,4] cxcywh 0..1 */
    VRT_TASK_DEPTH = 6,          /* relative inverse depth [1,H,W] or [1,1,H,W] (Depth Anything, MiDaS) */
    VRT_TASK_SEGMENT_YOLOV8 = 7, /* [1,4+C+32,N] + prototypes [1,32,h,w] */
    VRT_TASK_POSE_YOLOV8 = 8,    /* [1,4+1+3K,N]: box, score, K keypoints (x, y, score) */
    VRT_TASK_SEGMENT_ARGMAX = 9, /* class scores [1,C,H,W] -> class per pixel */
} vrt_task;

/* Colour map of the depth head's display image. */
typedef enum vrt_colormap {
    VRT_COLORMAP_TURBO = 0,
    VRT_COLORMAP_INFERNO = 1,
    VRT_COLORMAP_NONE = 2,
} vrt_colormap;

#define VRT_PROFILE_MAX_OUTPUTS 4
#define VRT_SSD_MAX_LEVELS 8
#define VRT_SSD_MAX_SIZES 8

/* An SSD prior (anchor) spec: for each level, each cell (row i, column j)
 * and each min size m, in that order, a prior centred at ((j + 0.5) / fw,
 * (i + 0.5) / fh) of size (m / input_w, m / input_h), normalised 0..1. */
typedef struct vrt_ssd_params {
    int num_levels;                                         /* 0: unset */
    int fm_w[VRT_SSD_MAX_LEVELS], fm_h[VRT_SSD_MAX_LEVELS]; /* 0: ceil(input / stride) */
    int num_sizes[VRT_SSD_MAX_LEVELS];
    float min_sizes[VRT_SSD_MAX_LEVELS][VRT_SSD_MAX_SIZES]; /* input pixels */
    float center_variance, size_variance;                   /* 0.1, 0.2 */
    int clip_priors;                                        /* 1 */
} vrt_ssd_params;

/* One `outputs` pair: the head's role and the model output's name. */
typedef struct vrt_profile_output {
    char role[32];
    char name[224];
} vrt_profile_output;

typedef struct vrt_profile {
    char name[128];
    char path[VRT_PROFILE_PATH_MAX];  /* file it was loaded from ("" if parsed from text) */
    char model[VRT_PROFILE_PATH_MAX]; /* as written in the file */
    char input[256];
    char labels[VRT_PROFILE_PATH_MAX]; /* as written in the file */
    vrt_task task;
    vrt_preprocess_params pre;
    int topk;
    int softmax;
    vrt_detect_params det; /* kind, input size follow task/width/height */
    int num_outputs;       /* `outputs` pairs */
    vrt_profile_output outputs[VRT_PROFILE_MAX_OUTPUTS];
    vrt_ssd_params ssd;
    vrt_colormap colormap; /* depth */
    float mask_threshold;  /* segment-yolov8 */
    int num_keypoints;     /* pose-yolov8; 0: 17 */
    /* Edge-preserving guided filter on the frame before pre-processing
     * (vrt_guided_filter_frame); radius 0 (default): off. */
    vrt_guided_params guided;
    /* depth: the raw map refined by the guided filter with the frame as the
     * guide, before its stats, normalisation and colours (the session's
     * refine_depth overrides it); radius 0 (default): off. */
    vrt_guided_params depth_refine;
} vrt_profile;

/* Defaults listed above. */
VRT_API void vrt_profile_default(vrt_profile *p);
/* Parses text (len bytes, need not be NUL-terminated) on top of *p. `where`
 * names the text in messages (a file name). VRT_EINVAL with "where:line: ..."
 * on any error; *p may then be partly updated. */
VRT_API vrt_status vrt_profile_parse(const char *text, size_t len, const char *where, vrt_profile *p,
                                     char *err, size_t cap);
/* vrt_profile_default + parse of the file; sets path (and name when the file
 * has none). VRT_ENOENT / VRT_EIO for unreadable files. */
VRT_API vrt_status vrt_profile_load(const char *path, vrt_profile *p, char *err, size_t cap);
/* Resolves a file named in the profile (model or labels): an absolute path
 * as is; otherwise the first that exists of: the folder of model_path (may be
 * NULL), the profile's folder, the current directory. VRT_ENOENT naming
 * every place tried when none exists. */
VRT_API vrt_status vrt_profile_resolve(const vrt_profile *p, const char *file, const char *model_path,
                                       char *out, size_t out_cap, char *err, size_t cap);
/* A profile from the model's own ONNX metadata (Ultralytics exports write
 * task, names, imgsz, stride as strings): task detect -> detect-yolov8
 * (letterbox centred, pad 114, RGB / 255, round(), conf 0.25, IoU 0.7,
 * strides 8.. up to `stride`), classify -> classify (shorter side to imgsz,
 * centre crop, RGB / 255); imgsz "[h, w]" or "s" -> height, width; the class
 * names come with vrt_profile_load_labels. VRT_ENOENT when the metadata has
 * no task (then a profile is needed), VRT_EUNSUPPORTED for a task without a
 * head in this build. model_path (may be NULL) names it in messages and
 * becomes p->model. */
VRT_API vrt_status vrt_profile_from_metadata(const vrt_model_metadata_t *md, const char *model_path,
                                             vrt_profile *p, char *err, size_t cap);
/* vrt_model_metadata_load + vrt_profile_from_metadata. */
VRT_API vrt_status vrt_profile_from_model(const char *model_path, vrt_profile *p, char *err, size_t cap);
/* The class names for a profile: its labels file (vrt_profile_resolve next
 * to model_path) when it names one, else the model's metadata 'names'
 * (model_path may be NULL: none). *out stays NULL when there are none. On
 * an error err names the labels file (or the model) and what failed. */
VRT_API vrt_status vrt_profile_load_labels(const vrt_profile *p, const char *model_path, vrt_labels_t **out,
                                           char *err, size_t cap);
/* "classify", "detect-yolox", "detect-yolov8", "detect-ssd", ... Static string. */
VRT_API const char *vrt_task_name(vrt_task t);

#ifdef __cplusplus
}
#endif
#endif
