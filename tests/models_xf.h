/*
 * Test helper shared by test_models_xf (CPU) and test_cuda_models_xf (CUDA): the transformer
 * models and Ultralytics detectors made by scripts/make-models (tests/models/<name>/model.onnx
 * + test_data_set_0/input_0.pb, output_<k>.pb with onnxruntime's outputs), run through the
 * public engine API and compared.
 */
#ifndef VRT_TEST_MODELS_XF_H
#define VRT_TEST_MODELS_XF_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "model/ir.h"
#include "vrt/engine.h"

#define XF_MAX_OUT 4

static const char *const xf_models[] = {"depth_anything_v2", "detr_resnet50", "yolov8n", "yolo11n",
                                        "yolo12n"};
#define XF_N_MODELS ((int)(sizeof(xf_models) / sizeof(xf_models[0])))

/* One model's input, onnxruntime's outputs and ours. */
typedef struct xf_case {
    char dir[1024];
    vrt__tensor in;
    vrt__tensor ref[XF_MAX_OUT];
    float *got[XF_MAX_OUT];
    int n_out;
} xf_case;

/* The models folder: argv[1] when given (the full-size models of scripts/make-models --full
 * DIR), else the committed small variants. */
static const char *xf_root(int argc, char **argv) {
    return argc > 1 ? argv[1] : VRT_SOURCE_DIR "/tests/models";
}

static int xf_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* Loads <root>/<name>/test_data_set_0; 0 when the model is absent (the full-size folder
 * may hold only some of them). */
static int xf_load(xf_case *c, const char *root, const char *name) {
    char p[1200], err[256];
    memset(c, 0, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "%s/%s", root, name);
    snprintf(p, sizeof(p), "%s/model.onnx", c->dir);
    if (!xf_exists(p)) return 0;
    snprintf(p, sizeof(p), "%s/test_data_set_0/input_0.pb", c->dir);
    if (vrt__tensor_load_pb(p, &c->in, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "%s: %s", p, err);
    for (int k = 0; k < XF_MAX_OUT; k++) {
        snprintf(p, sizeof(p), "%s/test_data_set_0/output_%d.pb", c->dir, k);
        if (!xf_exists(p)) break;
        if (vrt__tensor_load_pb(p, &c->ref[k], err, sizeof(err)))
            vrt_test_fail(__FILE__, __LINE__, "%s: %s", p, err);
        c->n_out = k + 1;
    }
    ASSERT_TRUE(c->n_out > 0);
    return 1;
}

static void xf_free(xf_case *c) {
    vrt__tensor_free(&c->in);
    for (int k = 0; k < c->n_out; k++) {
        vrt__tensor_free(&c->ref[k]);
        free(c->got[k]);
        c->got[k] = NULL;
    }
}

/* Opens the model with params p and runs it once on the case's input: c->got[k] (fp32). */
static vrt_engine_t *xf_run(xf_case *c, const vrt_engine_params *p) {
    char path[1200], err[1024];
    snprintf(path, sizeof(path), "%s/model.onnx", c->dir);
    vrt_engine_t *e = NULL;
    vrt_status st = vrt_engine_open(path, p, &e, err, sizeof(err));
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    ASSERT_EQ(vrt_engine_num_outputs(e), c->n_out);
    vrt_engine_tensor ti = {c->in.data, (int)c->in.dtype, c->in.nbytes};
    vrt_engine_tensor to[XF_MAX_OUT];
    for (int k = 0; k < c->n_out; k++) {
        size_t n = (size_t)vrt__shape_numel(&c->ref[k].shape);
        free(c->got[k]);
        c->got[k] = calloc(n ? n : 1, sizeof(float));
        to[k] = (vrt_engine_tensor){c->got[k], VRT_DTYPE_FLOAT, n * sizeof(float)};
    }
    st = vrt_engine_run(e, &ti, 1, to, c->n_out);
    if (st) vrt_test_fail(__FILE__, __LINE__, "%s: run: %s", path, vrt_engine_last_error(e));
    return e;
}

/* max |a - b| / max |b| over n values. */
static double xf_rel_err(const float *a, const float *b, size_t n) {
    double worst = 0, peak = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= worst)) worst = d; /* NaN counts as the worst */
        if (fabs((double)b[i]) > peak) peak = fabs((double)b[i]);
    }
    return worst / (peak > 0 ? peak : 1);
}

/* Every output of c->got against onnxruntime's: max abs difference relative to the output's
 * max |value| at most tol. */
static void xf_check_ref(const xf_case *c, const char *what, double tol) {
    for (int k = 0; k < c->n_out; k++) {
        size_t n = (size_t)vrt__shape_numel(&c->ref[k].shape);
        double r = xf_rel_err(c->got[k], c->ref[k].data, n);
        printf("  %s %s output %d: max abs diff / max |ref| = %.3g (limit %.0e)\n", c->dir, what, k, r, tol);
        if (!(r <= tol))
            vrt_test_fail(__FILE__, __LINE__, "%s (%s) output %d: relative error %.3g > %.0e", c->dir, what,
                          k, r, tol);
    }
}

#endif
