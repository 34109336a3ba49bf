/* QDQ folding (model/passes_q.c) on SqueezeNet quantized by onnxruntime
 * (make_quant_tests.py; its folder is argv[1]): with fuse_qdq every one of
 * its 26 Conv patterns runs as an integer conv, without it none does; both
 * agree on every test set's top-1 class and within 16 output steps
 * (fused: exact int32 sums; unfused: fp32 sums of dequantized values, whose
 * rounding ties fall differently), and the fused run matches onnxruntime
 * (its own output) within one step of the output's 1/255 scale. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "model/ir.h"
#include "vrt/engine.h"

#define NOUT 1000

static const char *g_dir;

static void run(int fused, const vrt__tensor *in, float *out, int *count) {
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/squeezenet_qdq/model.onnx", g_dir);
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 2;
    p.options.fuse_qdq = fused ? VRT_SWITCH_ON : VRT_SWITCH_OFF;
    vrt_engine_t *e = NULL;
    if (vrt_engine_open(path, &p, &e, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    vrt_engine_stats s;
    ASSERT_OK(vrt_engine_get_stats(e, &s));
    *count = s.qdq_conv_fused;
    vrt_engine_tensor ti = {in->data, VRT_DTYPE_FLOAT, in->nbytes};
    vrt_engine_tensor to = {out, VRT_DTYPE_FLOAT, NOUT * sizeof(float)};
    ASSERT_OK(vrt_engine_run(e, &ti, 1, &to, 1));
    vrt_engine_destroy(&e);
}

static int argmax(const float *v) {
    int b = 0;
    for (int i = 1; i < NOUT; i++)
        if (v[i] > v[b]) b = i;
    return b;
}

TEST(squeezenet_qdq_fused_and_unfused) {
    char path[1200], err[256];
    snprintf(path, sizeof(path), "%s/squeezenet_qdq/model.onnx", g_dir);
    if (access(path, R_OK)) {
        vrt_test_skip("%s not generated (quant_make skipped: no onnxruntime or no VRT_DATA)", path);
        return;
    }
    static float a[NOUT], b[NOUT];
    int sets = 0;
    for (int k = 0; k < 8; k++) {
        vrt__tensor in, want;
        snprintf(path, sizeof(path), "%s/squeezenet_qdq/test_data_set_%d/input_0.pb", g_dir, k);
        if (access(path, R_OK)) break;
        if (vrt__tensor_load_pb(path, &in, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "%s", err);
        snprintf(path, sizeof(path), "%s/squeezenet_qdq/test_data_set_%d/output_0.pb", g_dir, k);
        if (vrt__tensor_load_pb(path, &want, err, sizeof(err))) vrt_test_fail(__FILE__, __LINE__, "%s", err);
        int na = 0, nb = 0;
        run(1, &in, a, &na);
        run(0, &in, b, &nb);
        ASSERT_EQ(na, 26);
        ASSERT_EQ(nb, 0);
        ASSERT_EQ(argmax(a), argmax(b));
        const float *w = want.data;
        for (int i = 0; i < NOUT; i++) {
            ASSERT_TRUE(fabsf(a[i] - w[i]) <= 1.0f / 255 + 1e-4f);
            ASSERT_TRUE(fabsf(a[i] - b[i]) <= 16.0f / 255);
        }
        vrt__tensor_free(&in);
        vrt__tensor_free(&want);
        sets++;
    }
    ASSERT_TRUE(sets > 0);
}

int main(int argc, char **argv) {
    g_dir = argc > 1 ? argv[1] : "quant-data";
    VRT_RUN(squeezenet_qdq_fused_and_unfused);
    return vrt_test_finish();
}
