/*
 * The CUDA backend's host I/O (io.c) through vrt_engine_run (label gpu;
 * exits 77 without a GPU): every way of giving the buffers gives the same
 * bits as ordinary memory --
 *  - ordinary (malloc) buffers: staging copies, chunked for YOLOX-Nano's
 *    2 MB input and 1.2 MB output, in one piece for SqueezeNet's;
 *  - the engine's own page-locked buffers (vrt_engine_input_buffer /
 *    vrt_engine_output_buffer: no host copy);
 *  - caller memory registered with cudaHostRegister (direct transfers);
 *  - fp16 input and output (converted on the host);
 * alternating inputs between the paths, so a stale staging or a stale direct
 * pointer shows; and the backend table's "set once, run many" (the second
 * run uploads the staging again). The CPU backend has no such buffers.
 */
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "harness.h"
#include "model/dtype.h"
#include "vrt/engine.h"

static int64_t numel(const vrt_model_tensor_info *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->dims[i];
    return n;
}

static void fill(float *x, int64_t n, uint32_t seed) {
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((seed >> 8) & 0xffff) / 256.0f;
    }
}

static void run1(vrt_engine_t *e, void *x, int xdt, size_t xb, void *y, int ydt, size_t yb) {
    vrt_engine_tensor ti = {x, xdt, xb}, to = {y, ydt, yb};
    vrt_status st = vrt_engine_run(e, &ti, 1, &to, 1);
    if (st) printf("  run: %s\n", vrt_engine_last_error(e));
    ASSERT_OK(st);
}

static void io_paths(const char *rel) {
    const char *mdir = vrt_test_data_or_skip(rel);
    char model[1500];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.backend = "cuda";
    char err[512];
    vrt_engine_t *e = NULL;
    ASSERT_OK(vrt_engine_open(model, &p, &e, err, sizeof(err)));
    vrt_model_tensor_info ii, oi;
    ASSERT_OK(vrt_engine_input_info(e, 0, &ii));
    ASSERT_OK(vrt_engine_output_info(e, 0, &oi));
    int64_t nin = numel(&ii), nout = numel(&oi);
    size_t xb = (size_t)nin * 4, yb = (size_t)nout * 4;
    float *x1 = malloc(xb), *x2 = malloc(xb), *y1 = malloc(yb), *y2 = malloc(yb), *y = malloc(yb);
    uint16_t *xh = malloc((size_t)nin * 2), *yh = malloc((size_t)nout * 2),
             *yh_ref = malloc((size_t)nout * 2);
    ASSERT_TRUE(x1 && x2 && y1 && y2 && y && xh && yh && yh_ref);
    fill(x1, nin, 1), fill(x2, nin, 2);

    /* References: ordinary memory. */
    run1(e, x1, VRT_DTYPE_FLOAT, xb, y1, VRT_DTYPE_FLOAT, yb);
    run1(e, x2, VRT_DTYPE_FLOAT, xb, y2, VRT_DTYPE_FLOAT, yb);
    ASSERT_TRUE(memcmp(y1, y2, yb) != 0);
    run1(e, x1, VRT_DTYPE_FLOAT, xb, y, VRT_DTYPE_FLOAT, yb);
    ASSERT_TRUE(memcmp(y, y1, yb) == 0);

    /* The engine's page-locked buffers. */
    size_t ib = 0, ob = 0;
    float *px = vrt_engine_input_buffer(e, 0, &ib), *py = vrt_engine_output_buffer(e, 0, &ob);
    ASSERT_TRUE(px && py && ib >= xb && ob >= yb);
    memcpy(px, x2, xb);
    run1(e, px, VRT_DTYPE_FLOAT, xb, py, VRT_DTYPE_FLOAT, yb);
    ASSERT_TRUE(memcmp(py, y2, yb) == 0);
    run1(e, x1, VRT_DTYPE_FLOAT, xb, py, VRT_DTYPE_FLOAT, yb); /* staged input, direct output */
    ASSERT_TRUE(memcmp(py, y1, yb) == 0);
    /* Given in a type the buffer does not hold: refused, not converted in place. */
    vrt_engine_tensor bad_in = {px, VRT_DTYPE_FLOAT16, (size_t)nin * 2}, bad_out = {y, VRT_DTYPE_FLOAT, yb};
    ASSERT_STATUS(vrt_engine_run(e, &bad_in, 1, &bad_out, 1), VRT_EINVAL);
    ASSERT_CONTAINS(vrt_engine_last_error(e), "input buffer");
    ASSERT_TRUE(vrt_engine_input_buffer(e, 1, NULL) == NULL && vrt_engine_output_buffer(e, -1, NULL) == NULL);

    /* Caller memory registered with CUDA: transferred directly. */
    ASSERT_EQ(cudaHostRegister(x2, xb, cudaHostRegisterDefault), cudaSuccess);
    ASSERT_EQ(cudaHostRegister(y, yb, cudaHostRegisterDefault), cudaSuccess);
    memset(y, 0, yb);
    run1(e, x2, VRT_DTYPE_FLOAT, xb, y, VRT_DTYPE_FLOAT, yb);
    ASSERT_TRUE(memcmp(y, y2, yb) == 0);
    run1(e, x1, VRT_DTYPE_FLOAT, xb, y, VRT_DTYPE_FLOAT, yb); /* staged again after a direct one */
    ASSERT_TRUE(memcmp(y, y1, yb) == 0);
    ASSERT_EQ(cudaHostUnregister(x2), cudaSuccess);
    ASSERT_EQ(cudaHostUnregister(y), cudaSuccess);

    /* fp16 at the boundary: the same as converting on the caller's side. */
    vrt__float_to_half_n(x1, xh, nin);
    vrt__half_to_float_n(xh, x2, nin);
    run1(e, x2, VRT_DTYPE_FLOAT, xb, y, VRT_DTYPE_FLOAT, yb);
    vrt__float_to_half_n(y, yh_ref, nout);
    run1(e, xh, VRT_DTYPE_FLOAT16, (size_t)nin * 2, yh, VRT_DTYPE_FLOAT16, (size_t)nout * 2);
    ASSERT_TRUE(memcmp(yh, yh_ref, (size_t)nout * 2) == 0);
    printf("  %s: input %zu bytes, output %zu bytes: every path bit-identical\n", rel, xb, yb);

    /* The backend table: input set once, run twice (the second run uploads the staging again). */
    const vrt__backend_iface *be = vrt__engine_backend(e);
    void *ctx = vrt__engine_backend_ctx(e);
    ASSERT_OK(be->set_input(ctx, 0, x1, VRT__DT_FLOAT, xb, NULL));
    for (int r = 0; r < 2; r++) {
        memset(y, 0, yb);
        ASSERT_OK(be->run(ctx, NULL));
        ASSERT_OK(be->get_output(ctx, 0, y, VRT__DT_FLOAT, yb, NULL));
        ASSERT_OK(be->sync(ctx, NULL));
        ASSERT_TRUE(memcmp(y, y1, yb) == 0);
    }
    vrt_engine_destroy(&e);
    free(x1), free(x2), free(y1), free(y2), free(y), free(xh), free(yh), free(yh_ref);
}

TEST(yolox_nano_chunked) {
    io_paths("models/yolox_nano");
}

TEST(squeezenet_one_piece) {
    io_paths("models/squeezenet1.0_fp16");
}

TEST(cpu_has_no_buffers) {
    const char *mdir = vrt_test_data_or_skip("models/squeezenet1.0_fp16");
    char model[1500];
    snprintf(model, sizeof(model), "%s", vrt_test_onnx_in(mdir));
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    char err[512];
    vrt_engine_t *e = NULL;
    ASSERT_OK(vrt_engine_open(model, &p, &e, err, sizeof(err)));
    size_t b = 1;
    ASSERT_TRUE(vrt_engine_input_buffer(e, 0, &b) == NULL && b == 0);
    ASSERT_TRUE(vrt_engine_output_buffer(e, 0, &b) == NULL && b == 0);
    vrt_engine_destroy(&e);
}

int main(void) {
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess || n == 0) {
        printf("SKIP: no CUDA device (%s)\n", err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
        return 77;
    }
    VRT_RUN(yolox_nano_chunked);
    VRT_RUN(squeezenet_one_piece);
    VRT_RUN(cpu_has_no_buffers);
    return vrt_test_finish();
}
