/* Helpers shared by the cascade tests (tests/unit/test_session_cascade.c,
 * tests/gpu/test_cascade_cuda.c): YOLOX-Nano -> SqueezeNet on the crops. */
#ifndef VRT_TEST_CASCADE_UTIL_H
#define VRT_TEST_CASCADE_UTIL_H

#include "session_test_util.h"
#include "vrt/engine.h"

static inline const char *ct_profile(const char *name) {
    static char p[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/models/%s", VRT_SOURCE_DIR, name);
    return p[k];
}

/* A YOLOX-Nano session on backend with a SqueezeNet cascade of cp (filled
 * from defaults + the caller's changes); *err on failure. */
static inline vrt_status ct_open(const char *backend, vrt_cascade_params *cp, vrt_session_t **s, char *err,
                                 size_t cap) {
    const char *yolox = vrt_test_data_or_skip("models/yolox_nano/yolox_nano.onnx");
    const char *squeeze = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    cp->model = squeeze;
    cp->profile_path = ct_profile("squeezenet.conf");
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.threads = 2;
    p.fourcc = VRT_FMT_YUYV;
    p.width = 640;
    p.height = 480;
    p.cascade = cp;
    return vrt_session_open(yolox, ct_profile("yolox.conf"), NULL, &p, s, err, cap);
}

typedef struct ct_sec {
    int n[VRT_DETECT_MAX]; /* classes of detection i (0: not classified) */
    int index[VRT_DETECT_MAX][VRT_CASCADE_TOPK];
    float score[VRT_DETECT_MAX][VRT_CASCADE_TOPK];
    const char *label[VRT_DETECT_MAX];
} ct_sec;

/* The detections and, for each, its secondary classes (through the accessors). */
static inline void ct_read(const vrt_result *r, st_res *o, ct_sec *sec) {
    st_read(r, o);
    memset(sec, 0, sizeof(*sec));
    for (int i = 0; i < o->det.count; i++) {
        sec->n[i] = vrt_result_secondary_count(r, i);
        ASSERT_TRUE(sec->n[i] >= 0 && sec->n[i] <= VRT_CASCADE_TOPK);
        for (int k = 0; k < sec->n[i]; k++)
            ASSERT_OK(vrt_result_secondary(r, i, k, &sec->index[i][k], &sec->score[i][k]));
        ASSERT_TRUE(vrt_result_secondary(r, i, sec->n[i], NULL, NULL) == VRT_EINVAL);
        sec->label[i] = sec->n[i] ? vrt_result_secondary_label(r, i, 0) : NULL;
    }
}

#endif
