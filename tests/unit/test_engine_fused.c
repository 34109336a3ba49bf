/* The transformer patterns (model/passes_tf.c) on the CPU backend: the tiny
 * models of tests/models/make_attn.py, each run with every pattern on and
 * with every pattern off, against onnxruntime's outputs and against each
 * other; the pass counts are checked, so a pattern that stops matching an
 * export form fails here. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "model/ir.h"
#include "model/ops.h"
#include "vrt/engine.h"

#define MAXIN 4

typedef struct expect {
    const char *name;
    int nin;
    int attention, layernorm, add_layernorm, gelu, matmul_bias;
} expect;

static const expect g_models[] = {
    {"vit", 1, 1, 0, 1, 1, 4},     {"cross", 4, 1, 0, 0, 0, 0},   {"area", 3, 1, 0, 0, 0, 0},
    {"ln_gelu", 1, 0, 2, 1, 1, 1}, {"nanmask", 4, 1, 0, 0, 0, 0}, /* Where(IsNaN(P), 0, P) absorbed
                                                                     (nan_zero), a row masked to -inf */
};

static void load_pb(const char *name, const char *kind, int i, vrt__tensor *t) {
    char path[1024], err[256];
    snprintf(path, sizeof(path), "%s/tests/models/attn_%s_%s%d.pb", VRT_SOURCE_DIR, name, kind, i);
    if (vrt__tensor_load_pb(path, t, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
}

/* Runs the model with the patterns on (1) or off (0) into out (n floats). */
static void run(const expect *m, int fused, const vrt__tensor *in, float *out, size_t n) {
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/tests/models/attn_%s.onnx", VRT_SOURCE_DIR, m->name);
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 2;
    vrt_switch sw = fused ? VRT_SWITCH_AUTO : VRT_SWITCH_OFF;
    p.options.fuse_attention = p.options.fuse_layernorm = p.options.fuse_gelu = p.options.fuse_matmul_bias =
        sw;
    vrt_engine_t *e = NULL;
    if (vrt_engine_open(path, &p, &e, err, sizeof(err)))
        vrt_test_fail(__FILE__, __LINE__, "%s: %s", path, err);
    vrt_engine_stats s;
    ASSERT_OK(vrt_engine_get_stats(e, &s));
    ASSERT_EQ(s.attention_fused, fused ? m->attention : 0);
    ASSERT_EQ(s.layernorm_fused, fused ? m->layernorm : 0);
    ASSERT_EQ(s.add_layernorm_fused, fused ? m->add_layernorm : 0);
    ASSERT_EQ(s.gelu_fused, fused ? m->gelu : 0);
    ASSERT_EQ(s.matmul_bias_fused, fused ? m->matmul_bias : 0);
    vrt_engine_tensor ti[MAXIN];
    for (int i = 0; i < m->nin; i++)
        ti[i] = (vrt_engine_tensor){in[i].data, VRT_DTYPE_FLOAT, in[i].nbytes};
    vrt_engine_tensor to = {out, VRT_DTYPE_FLOAT, n * sizeof(float)};
    ASSERT_OK(vrt_engine_run(e, ti, m->nin, &to, 1));
    vrt_engine_destroy(&e);
}

/* max |a - b| relative to max |ref|. */
static double rel_diff(const float *a, const float *b, const float *ref, size_t n) {
    double md = 0, mr = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        md = d > md || isnan(d) ? d : md;
        mr = fabs(ref[i]) > mr ? fabs(ref[i]) : mr;
    }
    return md / (mr > 0 ? mr : 1);
}

TEST(models_fused_and_unfused_match_onnxruntime) {
    for (size_t k = 0; k < sizeof(g_models) / sizeof(g_models[0]); k++) {
        const expect *m = &g_models[k];
        vrt__tensor in[MAXIN], ref;
        for (int i = 0; i < m->nin; i++)
            load_pb(m->name, "in", i, &in[i]);
        load_pb(m->name, "out", 0, &ref);
        size_t n = ref.nbytes / sizeof(float);
        float *on = vrt_malloc(n * sizeof(float)), *off = vrt_malloc(n * sizeof(float));
        ASSERT_TRUE(on && off);
        run(m, 1, in, on, n);
        run(m, 0, in, off, n);
        double d_on = rel_diff(on, ref.data, ref.data, n), d_off = rel_diff(off, ref.data, ref.data, n);
        double d_pair = rel_diff(on, off, ref.data, n);
        printf("attn_%s: fused vs ort %.2e, unfused vs ort %.2e, fused vs unfused %.2e\n", m->name, d_on,
               d_off, d_pair);
        ASSERT_TRUE(d_on <= 1e-5);
        ASSERT_TRUE(d_off <= 1e-5);
        ASSERT_TRUE(d_pair <= 1e-5);
        vrt_free(on);
        vrt_free(off);
        for (int i = 0; i < m->nin; i++)
            vrt__tensor_free(&in[i]);
        vrt__tensor_free(&ref);
    }
}

/* Internal ops are the passes' own: a file naming one is refused like any unknown op. */
TEST(internal_ops_not_read_from_files) {
    ASSERT_EQ(vrt__op_lookup("VrtAttention"), VRT__OP_UNKNOWN);
    ASSERT_EQ(vrt__op_lookup("VrtAddLayerNorm"), VRT__OP_UNKNOWN);
    ASSERT_TRUE(vrt__op_internal(VRT__OP_VrtAttention));
    ASSERT_TRUE(!vrt__op_internal(VRT__OP_Softmax));
    ASSERT_EQ(vrt__op_lookup("Softmax"), VRT__OP_Softmax);
}

TEST(bad_switch_value_refused) {
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/tests/models/attn_area.onnx", VRT_SOURCE_DIR);
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.options.fuse_attention = (vrt_switch)7;
    vrt_engine_t *e = NULL;
    ASSERT_STATUS(vrt_engine_open(path, &p, &e, err, sizeof(err)), VRT_EINVAL);
    ASSERT_CONTAINS(err, "fuse_attention");
}

int main(void) {
    VRT_RUN(models_fused_and_unfused_match_onnxruntime);
    VRT_RUN(internal_ops_not_read_from_files);
    VRT_RUN(bad_switch_value_refused);
    return vrt_test_finish();
}
