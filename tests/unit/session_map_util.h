/* Shared by test_session_result_map (CPU) and tests/gpu/test_session_result_map_cuda: a depth session on
 * the small Depth Anything of tests/models (models/depth-anything.conf at its 98 x 98 input) and a
 * 64 x 48 RGB24 test frame with structure the model responds to. */
#ifndef VRT_TEST_SESSION_MAP_UTIL_H
#define VRT_TEST_SESSION_MAP_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "vrt/frame.h"
#include "vrt/session.h"

#define SM_W 64
#define SM_H 48

static vrt_session_t *sm_open_depth(const char *backend, int slots) {
    char err[512], path[1024], model[1024];
    snprintf(path, sizeof(path), "%s/models/depth-anything.conf", VRT_SOURCE_DIR);
    snprintf(model, sizeof(model), "%s/tests/models/depth_anything_v2/model.onnx", VRT_SOURCE_DIR);
    vrt_profile pr;
    ASSERT_OK(vrt_profile_load(path, &pr, err, sizeof(err)));
    pr.pre.width = pr.pre.height = 98;
    vrt_session_params p;
    vrt_session_default_params(&p);
    p.backend = backend;
    p.fourcc = VRT_FMT_RGB24;
    p.width = SM_W;
    p.height = SM_H;
    p.slots = slots;
    p.threads = 2;
    p.engine.precision = VRT_PRECISION_FP32;
    vrt_session_t *s = NULL;
    if (vrt_session_open(model, NULL, &pr, &p, &s, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "open %s: %s", backend, err);
    return s;
}

/* Diagonal colour ramps plus a bright square whose place depends on k (frames differ). */
static void sm_frame(vrt_frame *f, uint8_t *buf, int k) {
    for (int y = 0; y < SM_H; y++)
        for (int x = 0; x < SM_W; x++) {
            uint8_t *px = buf + ((size_t)y * SM_W + (size_t)x) * 3;
            int sq = x >= 10 + 4 * k && x < 30 + 4 * k && y >= 12 && y < 32;
            px[0] = (uint8_t)(sq ? 250 : x * 4);
            px[1] = (uint8_t)(sq ? 240 : y * 5);
            px[2] = (uint8_t)((x + y) * 2);
        }
    memset(f, 0, sizeof(*f));
    ASSERT_OK(vrt_frame_layout(f, VRT_FMT_RGB24, SM_W, SM_H, buf));
    f->bytesused = (size_t)SM_W * SM_H * 3;
}

#endif
