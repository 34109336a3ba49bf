/*
 * vrt/vision.h - pre- and post-processing around a network (CPU reference).
 *
 * These are the exact, simple CPU versions that the CUDA kernels are
 * compared with; the GPU twins follow the same arithmetic.
 *
 * Pre-processing (vrt_preprocess_frame) goes in ONE pass from a raw frame
 * (YUYV, UYVY, NV12, RGB24, BGR24, GREY) to the network input tensor:
 *
 *   1. Pixel format -> RGB, per source pixel, with the integer BT.601
 *      limited-range formulas of vrt/image.h (nearest chroma sample), so
 *      the result equals vrt_image_convert() to RGB24 followed by steps 2-4.
 *   2. Geometry. The mode maps the source (or a ROI of it) to a "resized"
 *      image of rw x rh pixels placed at (off_x, off_y) in the output:
 *        STRETCH:     rw = W, rh = H, off = 0.
 *        CROP:        shorter side to `resize_shorter` S (0: max(W, H)),
 *                     torchvision's Resize(S): the short side becomes S, the
 *                     long side int(S * long / short) (truncated; with
 *                     `round_size` rint(), round half to even); then a
 *                     centre crop of W x H with torchvision's CenterCrop
 *                     offsets: off = -rint((rw - W) / 2) (round half to even,
 *                     as Python's round()).
 *        LETTERBOX:   r = min(W / w, H / h) (double), rw = int(w r),
 *                     rh = int(h r) (truncated, as YOLOX; with `round_size`
 *                     rint()); placed top-left
 *                     (off = 0) or centred (off = (W - rw) / 2, integer
 *                     division); the rest is `pad_value`.
 *      Output pixels outside the resized image get pad_value.
 *   3. Bilinear sampling with the half-pixel convention of OpenCV's
 *      cv::resize INTER_LINEAR: the resized pixel (x, y) samples the source at
 *        sx = (x + 0.5) * (w / rw) - 0.5, clamped to [0, w - 1]
 *      (same for y), x0 = floor(sx), x1 = min(x0 + 1, w - 1), fx = sx - x0,
 *        v = (1-fy) ((1-fx) p00 + fx p01) + fy ((1-fx) p10 + fx p11)
 *      in float, on the 8-bit RGB values of step 1, with no rounding to 8 bits
 *      and no area averaging (cv::resize INTER_LINEAR does not average when
 *      shrinking either; it rounds to 8 bits, which we do not: the
 *      difference is below 0.5 + OpenCV's 11-bit weight quantisation).
 *      The scale w/rw is computed in double as OpenCV does.
 *      With interp = VRT_INTERP_AREA, step 3 is cv::resize INTER_AREA
 *      instead: when neither axis grows (w >= rw and h >= rh), each resized
 *      pixel is the average of the source pixels its footprint
 *      [x s, (x + 1) s) x [y t, (y + 1) t) covers, partial pixels weighted
 *      by the covered fraction (OpenCV's table: exact for integer and
 *      fractional scales), summed rows first in float; when an axis grows,
 *      bilinear with OpenCV's INTER_AREA coefficients
 *      (x0 = floor(x s), f = frac((x + 1) - (x0 + 1) / s)). Equal to
 *      cv::resize(INTER_AREA) on the float RGB image within float rounding.
 *   4. value = (v * scale - mean[c]) / std[c], c in OUTPUT channel order
 *      (for BGR output mean[0] is blue's); pad pixels use v = pad_value.
 *      Layout NCHW or NHWC; fp32, or fp16 rounded to nearest even.
 *
 * The call reports the geometry so boxes in network-input pixels map back to
 * frame pixels: x_frame = (x_in - offset_x) / scale_x + roi_x (same for y).
 *
 * Post-processing: softmax (optional) + top-k; YOLOX and YOLOv8-style box
 * decode; class-aware NMS into a fixed-size result.
 *
 * Memory: nothing here allocates per call. The caller owns every buffer it
 * passes. vrt_detector_t sizes its scratch at creation.
 * Threading: functions are reentrant; one vrt_detector_t per thread.
 */
#ifndef VRT_VISION_H
#define VRT_VISION_H

#include "vrt/frame.h"

#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pre-processing ------------------------------------------------------ */

typedef enum vrt_color_order {
    VRT_COLOR_RGB = 0,
    VRT_COLOR_BGR = 1,
} vrt_color_order;

typedef enum vrt_resize_mode {
    VRT_RESIZE_STRETCH = 0,   /* to W x H, aspect ratio not kept */
    VRT_RESIZE_CROP = 1,      /* shorter side to resize_shorter, centre crop W x H */
    VRT_RESIZE_LETTERBOX = 2, /* fit inside W x H keeping the aspect ratio, pad the rest */
} vrt_resize_mode;

/* How the resized image samples the source (step 3). */
typedef enum vrt_interp {
    VRT_INTERP_BILINEAR = 0, /* cv::resize INTER_LINEAR's half-pixel bilinear */
    VRT_INTERP_AREA = 1,     /* cv::resize INTER_AREA: pixel-area averaging when shrinking */
} vrt_interp;

typedef enum vrt_placement {
    VRT_PLACE_TOP_LEFT = 0, /* YOLOX */
    VRT_PLACE_CENTER = 1,
} vrt_placement;

typedef enum vrt_layout {
    VRT_LAYOUT_NCHW = 0,
    VRT_LAYOUT_NHWC = 1,
} vrt_layout;

typedef enum vrt_tensor_type {
    VRT_TENSOR_F32 = 0,
    VRT_TENSOR_F16 = 1, /* IEEE binary16 as uint16_t, round to nearest even */
} vrt_tensor_type;

typedef struct vrt_preprocess_params {
    uint32_t width, height; /* network input W x H */
    vrt_color_order color;  /* channel order of the output */
    vrt_resize_mode resize;
    uint32_t resize_shorter; /* CROP: target of the shorter side; 0: max(width, height) */
    int round_size;          /* 0: resized sizes truncated (torchvision, YOLOX); 1: rounded to nearest */
    vrt_placement placement; /* LETTERBOX only */
    float pad_value;         /* pixel value (0..255 units, before scale/mean/std) of padding */
    float scale;             /* pixel multiplier, e.g. 1/255 */
    float mean[3];           /* subtracted after scale, per output channel */
    float std[3];            /* divisor after mean, per output channel (not 0) */
    vrt_layout layout;
    vrt_tensor_type dtype;
    vrt_interp interp; /* step 3: bilinear (default) or area */
} vrt_preprocess_params;

/* 224x224 RGB stretch, scale 1, mean 0, std 1, NCHW, fp32, pad 0. */
VRT_API void vrt_preprocess_default_params(vrt_preprocess_params *p);

typedef struct vrt_preprocess_geometry {
    /* Network-input pixel = frame pixel * scale + offset (per axis, relative
     * to the ROI origin roi_x/roi_y). LETTERBOX reports r (YOLOX divides boxes
     * by r), CROP S / short, STRETCH W / w and H / h. */
    double scale_x, scale_y;
    double offset_x, offset_y;
    uint32_t resized_w, resized_h; /* rw, rh: the resized image before crop/pad */
    int32_t off_x, off_y;          /* where the resized image starts in the output (may be < 0: crop) */
    uint32_t roi_x, roi_y;         /* source region used (whole frame unless a ROI) */
    uint32_t roi_w, roi_h;
    uint32_t frame_w, frame_h;
} vrt_preprocess_geometry;

/* Bytes of one output image (W * H * 3 * element size). */
VRT_API size_t vrt_preprocess_output_size(const vrt_preprocess_params *p);
/* Checks params; VRT_EINVAL with a message naming the field otherwise. */
VRT_API vrt_status vrt_preprocess_check(const vrt_preprocess_params *p, char *err, size_t cap);
/* Computes the geometry for a w x h source without touching pixels. */
VRT_API vrt_status vrt_preprocess_geometry_for(const vrt_preprocess_params *p, uint32_t w, uint32_t h,
                                               vrt_preprocess_geometry *g, char *err, size_t cap);

/* Frame (host memory, raw format) -> tensor. out holds out_size bytes
 * (>= vrt_preprocess_output_size). geom may be NULL. VRT_EINVAL for bad
 * params, formats (MJPEG: decode first), sizes or a too small buffer. */
VRT_API vrt_status vrt_preprocess_frame(const vrt_frame *f, const vrt_preprocess_params *p, void *out,
                                        size_t out_size, vrt_preprocess_geometry *geom, char *err,
                                        size_t cap);

/* A box in frame pixels: [x1, x2) x [y1, y2). */
typedef struct vrt_box {
    float x1, y1, x2, y2;
} vrt_box;

/* ROI batch: box i of the frame -> image i of an N-batch tensor (NCHW:
 * [N,3,H,W], NHWC: [N,H,W,3]) with the same mode and normalisation, each ROI
 * treated as an image of its own: the box is rounded outward to whole pixels
 * (floor x1/y1, ceil x2/y2), clipped to the frame, and sampled with the
 * clamping of step 3 inside that region, so ROI i equals vrt_preprocess_frame
 * on a frame cropped to the region. A box with no pixels after clipping gives
 * VRT_EINVAL naming its index. geoms (n entries) may be NULL. */
VRT_API vrt_status vrt_preprocess_rois(const vrt_frame *f, const vrt_box *boxes, int n,
                                       const vrt_preprocess_params *p, void *out, size_t out_size,
                                       vrt_preprocess_geometry *geoms, char *err, size_t cap);

/* ---- classification: softmax + top-k --------------------------------------- */

#define VRT_TOPK_MAX 64

typedef struct vrt_class_result {
    int count;                 /* min(k, n) */
    int index[VRT_TOPK_MAX];   /* class indices, best first; ties -> lower index first */
    float score[VRT_TOPK_MAX]; /* probability (after softmax when asked) or raw score */
} vrt_class_result;

/* Top-k of n scores (fp32, or fp16 as uint16_t when dtype is VRT_TENSOR_F16).
 * softmax: 1 to report softmax probabilities (max-subtracted, in double) of
 * the selected classes; the order is the same either way. NaN ranks lowest.
 * k in 1..VRT_TOPK_MAX. */
VRT_API vrt_status vrt_topk(const void *scores, vrt_tensor_type dtype, int n, int k, int softmax,
                            vrt_class_result *out);

/* ---- detection: decode + class-aware NMS ------------------------------------ */

typedef enum vrt_detect_kind {
    /* [1, N, 5 + C]: tx, ty, tw, th, obj, cls... per anchor; anchors are the
     * grids of each stride over the input (row-major, x fastest, strides in
     * order); cx = (tx + gx) s, cy = (ty + gy) s, w = exp(tw) s, h = exp(th) s;
     * score = obj * cls. */
    VRT_DETECT_YOLOX = 0,
    /* [1, 4 + C, N]: cx, cy, w, h in input pixels then class scores, channel
     * major; score = cls (no objectness). */
    VRT_DETECT_YOLOV8 = 1,
} vrt_detect_kind;

#define VRT_DETECT_MAX 256
#define VRT_DETECT_MAX_STRIDES 8

typedef struct vrt_detect_params {
    vrt_detect_kind kind;
    uint32_t input_w, input_h;           /* network input size (YOLOX grids) */
    int num_classes;                     /* C */
    int num_anchors;                     /* N: YOLOX: 0 = from strides and input size */
    int strides[VRT_DETECT_MAX_STRIDES]; /* YOLOX: 8, 16, 32 */
    int num_strides;
    int apply_sigmoid;     /* 1: obj/cls are logits (apply the logistic function) */
    float score_threshold; /* candidates need score > this */
    float iou_threshold;   /* suppress a box whose IoU with a kept box of its class is > this */
    int max_detections;    /* 1..VRT_DETECT_MAX */
    int clip;              /* 1: clip mapped boxes to the frame */
} vrt_detect_params;

/* YOLOX, 416x416, 80 classes, strides 8/16/32, no sigmoid, score 0.3, IoU 0.45,
 * 100 detections, clip on. */
VRT_API void vrt_detect_default_params(vrt_detect_params *p);

typedef struct vrt_detection {
    vrt_box box; /* frame pixels (through the geometry) */
    float score;
    int class_id;
} vrt_detection;

typedef struct vrt_detections {
    int count;
    int candidates;                    /* (anchor, class) pairs above the score threshold, before NMS */
    vrt_detection det[VRT_DETECT_MAX]; /* score descending; ties: class, then anchor ascending */
} vrt_detections;

typedef struct vrt_detector vrt_detector_t;

/* Sizes every scratch buffer for the anchors at creation. On success *out
 * owns the detector; on failure it is NULL and err has the detail. */
VRT_API vrt_status vrt_detector_create(vrt_detector_t **out, const vrt_detect_params *p, char *err,
                                       size_t cap);
VRT_API int vrt_detector_num_anchors(const vrt_detector_t *d);
/* Decodes the raw output (fp32; num_anchors * (5 + C) or (4 + C) * num_anchors
 * values) and runs NMS per class. geom maps boxes back to the frame; NULL
 * keeps network-input pixels. Allocates nothing. */
VRT_API vrt_status vrt_detector_run(vrt_detector_t *d, const float *output, size_t count,
                                    const vrt_preprocess_geometry *geom, vrt_detections *out);
/* Last error detail; never NULL. */
VRT_API const char *vrt_detector_error(const vrt_detector_t *d);
/* NULL-safe; sets *d = NULL. */
VRT_API void vrt_detector_destroy(vrt_detector_t **d);

/* IoU of two boxes (0 when either is empty). */
VRT_API float vrt_box_iou(const vrt_box *a, const vrt_box *b);

/* ---- guided filter ------------------------------------------------------------- */

/* He, Sun and Tang's guided filter (ECCV 2010), grey guide: with box means
 * m() over (2 radius + 1)^2 windows,
 *   a = (m(I p) - m(I) m(p)) / (m(I I) - m(I)^2 + eps),  b = m(p) - a m(I),
 *   q = m(a) I + m(b).
 * The guide I is the frame's luma in 0..1: Y = (77 R + 150 G + 29 B + 128)
 * >> 8 on the 8-bit RGB of vrt/image.h's conversion, I = Y / 255 (a GREY
 * frame: its value / 255). Windows cut by the border are filled by
 * reflection (fedcba|abcdef, OpenCV's BORDER_REFLECT, which
 * cv::ximgproc::guidedFilter uses), so every window holds (2 r + 1)^2
 * pixels. Box sums: running sums per row and per column, exact integers
 * for the 8-bit guide (and the frame filter's 8-bit channels; the
 * variance and covariance come from those integers as (k S(LL) - S(L)^2) /
 * (255^2 k^2), free of float cancellation), double for float maps and for
 * a and b with each row pass rounded to float (the CUDA twin takes the same
 * sums per tile in shared memory: the same bits but for double rounding);
 * the rest in float.
 *
 * Two uses: an edge-preserving smoothing of the frame before
 * pre-processing (vrt_guided_filter_frame: p = each RGB channel / 255, out
 * an RGB24 frame), and refining a float map (depth) with the frame as guide
 * (vrt_guided_filter_map). Nothing is allocated: the caller passes scratch
 * of vrt_guided_scratch_size bytes. */
#define VRT_GUIDED_MAX_RADIUS 16

typedef struct vrt_guided_params {
    int radius; /* window (2 radius + 1)^2, 1..VRT_GUIDED_MAX_RADIUS (profiles: 0 = off) */
    float eps;  /* regularisation in squared guide units (guide 0..1): 1e-4 keeps edges, 1e-1 smooths */
} vrt_guided_params;

/* radius 8, eps 0.01. */
VRT_API void vrt_guided_default_params(vrt_guided_params *p);
/* VRT_EINVAL naming the field unless radius is 1..VRT_GUIDED_MAX_RADIUS and eps > 0 finite. */
VRT_API vrt_status vrt_guided_check(const vrt_guided_params *p, char *err, size_t cap);
/* Scratch bytes for a w x h image (either function). */
VRT_API size_t vrt_guided_scratch_size(uint32_t w, uint32_t h);
/* guide: a raw frame (host memory, any raw format of vrt_preprocess_frame)
 * of w x h; src, dst: w x h floats with row strides in floats (>= w); dst
 * may equal src. */
VRT_API vrt_status vrt_guided_filter_map(const vrt_frame *guide, const float *src, size_t src_stride,
                                         float *dst, size_t dst_stride, const vrt_guided_params *p,
                                         void *scratch, size_t scratch_size, char *err, size_t cap);
/* f (raw, host) -> out: an RGB24 frame of the same size (caller's planes,
 * e.g. from vrt_image_alloc or vrt_frame_layout), each channel guided by
 * the luma and rounded to 8 bits (half up, clamped). Timestamps and
 * sequence are copied. */
VRT_API vrt_status vrt_guided_filter_frame(const vrt_frame *f, const vrt_guided_params *p, vrt_frame *out,
                                           void *scratch, size_t scratch_size, char *err, size_t cap);

/* ---- labels ------------------------------------------------------------------ */

typedef struct vrt_labels vrt_labels_t;

/* Reads a labels file; the format is recognised per line:
 *   "207,golden retriever"            index,name (ImageNet Labels.txt)
 *   "n02099601 golden retriever"      synset id and name (synset_words.txt)
 *   "person"                          one name per line, index = line number (COCO)
 * The first non-empty line decides the format; trailing empty lines are
 * dropped; inner empty lines count as entries in the one-per-line format and
 * are skipped in the "index,name" one (indices without a line have no label).
 * A line that does not fit the index format gives VRT_EBADDATA with
 * "path:line"; so does a file of more than 100000 classes (an index of
 * 100000 or more, or more lines). On success *out owns the labels. */
VRT_API vrt_status vrt_labels_load(const char *path, vrt_labels_t **out, char *err, size_t cap);
VRT_API int vrt_labels_count(const vrt_labels_t *l);
/* Name of class i (owned by l), or NULL when i has no label. */
VRT_API const char *vrt_labels_get(const vrt_labels_t *l, int i);
/* NULL-safe; sets *l = NULL. */
VRT_API void vrt_labels_destroy(vrt_labels_t **l);
/* Class names from a Python dict or list literal, as Ultralytics writes them
 * into ONNX metadata ("{0: 'person', 1: 'bicycle'}" or "['a', 'b']"; quotes
 * ' or " with backslash escapes). `where` names the source in messages and
 * in vrt_labels_source. VRT_EBADDATA naming the character where parsing
 * stopped. On success *out owns the labels. */
VRT_API vrt_status vrt_labels_from_names(const char *literal, const char *where, vrt_labels_t **out,
                                         char *err, size_t cap);
/* The file (or "model.onnx:names") the labels came from; "" for NULL. */
VRT_API const char *vrt_labels_source(const vrt_labels_t *l);

#ifdef __cplusplus
}
#endif
#endif
