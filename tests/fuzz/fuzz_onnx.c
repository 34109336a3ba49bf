/*
 * Fuzz target for the ONNX reader: any bytes through the model loader (wire
 * decoder, reader, canonicalisation, shape inference) and the standalone
 * TensorProto loader. Built as a libFuzzer binary (fuzz_onnx) when
 * VRT_FUZZ=ON with clang, and linked into fuzz_onnx_replay, which the normal
 * build runs in ctest over a small corpus, generated mutations and every
 * file in tests/fuzz/regressions/.
 */
#include <stddef.h>
#include <stdint.h>

#include "model/ir.h"
#include "vrt/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    vrt_model_t *m = NULL;
    vrt_model_params p;
    vrt_model_default_params(&p);
    if (vrt_model_load_buffer(data, size, &p, &m, err, sizeof(err)) == VRT_OK) {
        /* Touch everything a caller could look at. */
        for (int i = 0; i < vrt_model_num_inputs(m); i++) {
            vrt_model_tensor_info info;
            vrt_model_input(m, i, &info);
        }
        for (int i = 0; i < vrt_model_num_outputs(m); i++) {
            vrt_model_tensor_info info;
            vrt_model_output(m, i, &info);
        }
        vrt_model_op_stat hist[8];
        vrt_model_op_histogram(m, hist, 8);
        (void)vrt_model_param_count(m);
        vrt_model_destroy(&m);
    }
    vrt__tensor t;
    vrt__tensor_parse_pb(data, size, &t, err, sizeof(err));
    vrt__tensor_free(&t);
    return 0;
}
