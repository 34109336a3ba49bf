/*
 * vrt/quantize.h - post-training INT8 quantization of an fp32 ONNX model
 * (`vrt quantize`).
 *
 * vrt_quantize_model() runs the fp32 model on the CPU backend over
 * calibration images (decoded and pre-processed as the profile says),
 * collects a histogram of every Conv's input and output activation, picks
 * each one's range (entropy: the KL-divergence threshold of TensorRT's
 * entropy calibrator; percentile; min-max), measures each Conv's
 * sensitivity (the relative L2 change of the model's first output when only
 * that Conv is quantized) and writes a standard QDQ model: uint8 activations
 * (asymmetric: the zero point at the range's low end, 0 for non-negative
 * ones), int8 per-channel symmetric weights, int32 biases, as onnxruntime's
 * quantizer writes them, so onnxruntime runs it too and our engine folds
 * every pattern into an integer conv. A Conv's output is quantized after the
 * Relu or SiLU that follows it (the integer conv applies it before
 * rounding). Output layers (a Conv whose output reaches a graph output
 * through no other Conv: a detector's box, objectness and class
 * predictions, a classifier's last conv) and Convs more sensitive than
 * max_sensitivity stay float.
 *
 * Lifecycle: default params -> vrt_quantize_model -> read the report ->
 * vrt_quantize_report_destroy. Blocking; call from any one thread. The
 * model must be fp32 with opset >= 13 (per-channel DequantizeLinear).
 */
#ifndef VRT_QUANTIZE_H
#define VRT_QUANTIZE_H

#include "vrt/core.h"
#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vrt_calib_method {
    VRT_CALIB_ENTROPY = 0, /* KL divergence (TensorRT's entropy calibrator) */
    VRT_CALIB_PERCENTILE,  /* the percentile of |x| */
    VRT_CALIB_MINMAX,      /* the largest |x| seen */
} vrt_calib_method;

typedef struct vrt_quantize_params {
    const char *profile;       /* profile file; NULL: the model's own metadata (vrt/profile.h) */
    const char *const *images; /* calibration images (JPEG/PNG); the caller owns them */
    int n_images;
    vrt_calib_method method;
    double percentile;      /* PERCENTILE: 0..100 (default 99.99) */
    double max_sensitivity; /* Convs whose sensitivity exceeds it stay float (default 0.25); <= 0: none */
    int sensitivity_images; /* images (the first ones) for the sensitivity runs (default 4) */
    int threads;            /* CPU threads (0: all cores) */
    /* Progress (may be NULL): stage "calibrate", "histogram", "sensitivity", done of total. */
    void (*progress)(void *user, const char *stage, int done, int total);
    void *user;
} vrt_quantize_params;

typedef struct vrt_quantize_layer {
    const char *name;   /* the Conv node (owned by the report) */
    float x_scale;      /* its input's scale */
    float y_scale;      /* its output's (after a Relu that follows it) */
    double sensitivity; /* relative L2 change of output 0 with only this Conv quantized (0: not measured) */
    int quantized;      /* 0: kept float (an output layer, or too sensitive) */
    int output_layer;   /* 1: its output reaches a graph output through no other Conv: kept float */
} vrt_quantize_layer;

typedef struct vrt_quantize_report vrt_quantize_report_t;

/* Entropy, percentile 99.99, max_sensitivity 0.25, 4 sensitivity images, all cores. */
VRT_API void vrt_quantize_default_params(vrt_quantize_params *p);
/* Quantizes `model` into `out` (overwritten). On success *rep (may be NULL)
 * owns a report; on failure nothing is written and err names the image,
 * node or option at fault. VRT_EINVAL for no images or a bad option,
 * VRT_EBADDATA for an image that does not decode (VRT_ENOENT, VRT_EIO or
 * VRT_EACCES for one that cannot be read), VRT_EUNSUPPORTED for a model that
 * is not fp32 (or quantized already: a Conv weight that is not a constant)
 * or has opset < 13 or no Conv. */
VRT_API vrt_status vrt_quantize_model(const char *model, const char *out, const vrt_quantize_params *p,
                                      vrt_quantize_report_t **rep, char *err, size_t cap);
VRT_API int vrt_quantize_report_layers(const vrt_quantize_report_t *r);
/* Layer i (in the model's order); VRT_EINVAL past the end. */
VRT_API vrt_status vrt_quantize_report_layer(const vrt_quantize_report_t *r, int i, vrt_quantize_layer *out);
/* NULL-safe; sets *r = NULL. */
VRT_API void vrt_quantize_report_destroy(vrt_quantize_report_t **r);

#ifdef __cplusplus
}
#endif

#endif
