/*
 * Fuzz target for the whole model path: any bytes as an ONNX file through
 * vrt_engine_open on the CPU backend (reader, canonicalisation, shape
 * inference, passes, memory plan, backend prepare with its constant
 * folding) and, when it opens, one run on a zero input. The engine's memory
 * limit (options.memory_limit, FUZZ_MEMORY_LIMIT below) keeps every opened
 * model well under libFuzzer's -rss_limit_mb/-malloc_limit_mb (scripts/fuzz:
 * 2048 MB), so a model that plans more is a refusal with a message, as it is
 * for a user, and anything allocated past it is a finding. Replayed by
 * fuzz_engine_replay.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <stdlib.h>

#include "fuzz_util.h"
#include "model/dtype.h"
#include "vrt/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Far above what the seed models need (SqueezeNet at 224: ~10 MiB), a quarter of the fuzzer's limit. */
#define FUZZ_MEMORY_LIMIT ((size_t)512 << 20)

/* One run on zero inputs (up to 8 inputs of up to 1 MiB each). */
static void run_zeros(vrt_engine_t *e) {
    vrt_engine_tensor in[8];
    int n = vrt_engine_num_inputs(e), ok = n <= 8;
    for (int i = 0; i < n && i < 8; i++) {
        vrt_model_tensor_info info;
        in[i].data = NULL;
        if (vrt_engine_input_info(e, i, &info) != VRT_OK) {
            ok = 0;
            continue;
        }
        size_t cnt = 1;
        for (int k = 0; k < info.ndim; k++)
            cnt *= info.dims[k] > 0 ? (size_t)info.dims[k] : 0;
        size_t bytes = cnt * vrt__dtype_size((vrt__dtype)info.dtype);
        if (bytes > (1u << 20)) ok = 0;
        in[i].dtype = info.dtype;
        in[i].nbytes = bytes;
        in[i].data = ok ? calloc(bytes + 1, 1) : NULL;
        if (!in[i].data) ok = 0;
    }
    if (ok) vrt_engine_run(e, in, n, NULL, 0);
    for (int i = 0; i < n && i < 8; i++)
        free(in[i].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64], err[512];
    int fd = vrt_fuzz_memfile(data, size, path, sizeof(path));
    if (fd < 0) return 0;
    vrt_engine_params p;
    vrt_engine_default_params(&p);
    p.threads = 1;
    p.backend = "cpu";
    p.options.memory_limit = FUZZ_MEMORY_LIMIT;
    vrt_engine_t *e = NULL;
    if (vrt_engine_open(path, &p, &e, err, sizeof(err)) == VRT_OK) {
        vrt_engine_stats st;
        vrt_engine_get_stats(e, &st);
        /* Run only small graphs: a fuzzer's time is better spent on the loader. */
        if (st.arena_bytes < (16u << 20)) run_zeros(e);
        vrt_engine_destroy(&e);
    }
    close(fd);
    return 0;
}
