/* vrt_engine_options.memory_limit (engine/memory.c): a model whose planned
 * buffers exceed the limit fails at open, before anything is allocated, with
 * VRT_ENOMEM and a message naming the sizes, the limit, where it came from and
 * the inputs' shapes with the --height/--width hint; the limit is a bound that
 * the planned sizes meet exactly; auto (0) opens ordinary models. The
 * fuzz_engine finding (a 76-byte model planning a 10 GiB arena) is built here
 * byte for byte, so this runs without the test data too. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "vrt/engine.h"

/* tests/fuzz/regressions_engine/relu-10gib-arena.onnx.hex: one Relu whose input 'x' is declared
 * float4e2m1 [N, 1342177279] (held as fp32: 5 GiB in, 5 GiB out). */
static const unsigned char k_relu_10gib[] = {
    0x08, 0x08, 0x12, 0x04, 0x68, 0x61, 0x6e, 0x64, 0x3a, 0x3c, 0x0a, 0x0c, 0x0a, 0x01, 0x78, 0x12,
    0x01, 0x79, 0x22, 0x04, 0x52, 0x65, 0x6c, 0x75, 0x12, 0x01, 0x67, 0x5a, 0x1c, 0x0a, 0x01, 0x78,
    0x12, 0x17, 0x0a, 0x15, 0x08, 0x14, 0x12, 0x11, 0x0a, 0x03, 0x12, 0x01, 0x4e, 0x0a, 0x0a, 0x08,
    0xff, 0xff, 0xff, 0xff, 0x04, 0x0a, 0x02, 0x08, 0x04, 0x62, 0x0b, 0x0a, 0x01, 0x79, 0x12, 0x06,
    0x0a, 0x04, 0x08, 0x01, 0x12, 0x00, 0x42, 0x04, 0x0a, 0x00, 0x10, 0x0b};

static const char *write_model(void) {
    static char path[512];
    snprintf(path, sizeof(path), "%s/relu_10gib.onnx", vrt_test_tmpdir());
    FILE *f = fopen(path, "wb");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(k_relu_10gib, 1, sizeof(k_relu_10gib), f), sizeof(k_relu_10gib));
    fclose(f);
    return path;
}

static vrt_status open_with(const char *model, size_t limit, vrt_engine_t **e, char *err, size_t cap) {
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 1;
    p.options.memory_limit = limit;
    return vrt_engine_open(model, &p, e, err, cap);
}

TEST(fuzz_finding_refused_before_allocating) {
    const char *model = write_model();
    char err[1024] = "";
    vrt_engine_t *e = NULL;
    /* 1 GiB: the fuzz harness's kind of limit; 10 GiB allocated here would fail the test under ASan. */
    ASSERT_STATUS(open_with(model, (size_t)1 << 30, &e, err, sizeof(err)), VRT_ENOMEM);
    ASSERT_TRUE(e == NULL);
    ASSERT_CONTAINS(err, "the model needs 10.00 GiB at this input size");
    ASSERT_CONTAINS(err, "activations 10.00 GiB");
    ASSERT_CONTAINS(err, "more than the memory limit of 1.00 GiB (vrt_engine_options.memory_limit)");
    ASSERT_CONTAINS(err, "inputs: 'x' 1x1342177279");
    ASSERT_CONTAINS(err, "--height/--width");
}

TEST(limit_counts_arena_weights_and_scratch) {
    const char *model = vrt_test_data_or_skip("models/squeezenet1.0_fp16/SqueezeNet_fp16.onnx");
    char err[1024] = "";
    vrt_engine_t *e = NULL;
    ASSERT_OK(open_with(model, SIZE_MAX, &e, err, sizeof(err)));
    vrt_engine_stats st;
    ASSERT_OK(vrt_engine_get_stats(e, &st));
    vrt_model_tensor_info in;
    ASSERT_OK(vrt_engine_input_info(e, 0, &in));
    char want[128];
    snprintf(want, sizeof(want), "inputs: '%s' 1x3x224x224", in.name);
    vrt_engine_destroy(&e);
    /* fp16 weights are converted to fp32 by the CPU backend: counted, so arena + constants alone
     * is below what it needs; arena + constants + every weight as fp32 + room for the scratch opens. */
    size_t planned = st.arena_bytes + st.const_bytes;
    ASSERT_STATUS(open_with(model, planned, &e, err, sizeof(err)), VRT_ENOMEM);
    ASSERT_CONTAINS(err, want);
    ASSERT_CONTAINS(err, "(vrt_engine_options.memory_limit)");
    ASSERT_OK(open_with(model, 2 * (planned + st.weight_bytes), &e, err, sizeof(err)));
    vrt_engine_destroy(&e);
    /* The scratch (im2col of the 7x7 stem) is checked by the CPU backend on top of the plan. */
    ASSERT_STATUS(open_with(model, planned + st.weight_bytes + 4096, &e, err, sizeof(err)), VRT_ENOMEM);
    ASSERT_CONTAINS(err, "of scratch besides the model's");
}

TEST(auto_limit_opens_ordinary_models) {
    const char *model = vrt_test_data_or_skip("triples/mnist/model.onnx");
    char err[1024] = "";
    vrt_engine_t *e = NULL;
    ASSERT_OK(open_with(model, 0, &e, err, sizeof(err)));
    vrt_engine_destroy(&e);
    ASSERT_STATUS(open_with(model, 1024, &e, err, sizeof(err)), VRT_ENOMEM);
    ASSERT_CONTAINS(err, "more than the memory limit of 1.0 KiB");
}

int main(void) {
    VRT_RUN(fuzz_finding_refused_before_allocating);
    VRT_RUN(limit_counts_arena_weights_and_scratch);
    VRT_RUN(auto_limit_opens_ordinary_models);
    return vrt_test_finish();
}
