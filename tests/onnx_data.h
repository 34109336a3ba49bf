/*
 * Test helper: the ONNX test data (../shared/data/onnx.tar.xz) extracted
 * once into the build tree, shared by the conformance runner
 * (tests/onnx/runner.c) and unit tests such as test_model_load.
 */
#ifndef VRT_TEST_ONNX_DATA_H
#define VRT_TEST_ONNX_DATA_H

#include <stddef.h>

/* Extracts $VRT_DATA/onnx.tar.xz (default VRT_SOURCE_DIR/../shared/data)
 * into <cwd>/onnx exactly once: extraction runs under an exclusive lock on
 * <cwd>/.onnx.lock and the marker <cwd>/onnx/.extracted is written last, so
 * concurrent callers (ctest -j) wait for one complete tree whatever the test
 * order. Writes the folder into buf and returns buf; NULL when the archive is
 * absent or could not be extracted. */
const char *vrt_test_onnx_root(char *buf, size_t cap);

#endif
