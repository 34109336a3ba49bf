/*
 * onnx_scan.h - a lenient, read-only walk over an ONNX file for `vrt inspect`.
 *
 * vrt_model_load() refuses a model with an unsupported op (on purpose: never
 * a wrong answer). `vrt inspect` still wants to show what such a model is:
 * producer, opsets, declared inputs/outputs, the op histogram with the
 * unsupported ops marked, and the initializers' size. This scanner reads
 * only those fields with the library's bounds-checked protobuf decoder
 * (src/model/pb.h); it does no shape inference and checks no op.
 *
 * Ownership: cli_onnx_scan() fills a caller struct that owns its arrays;
 * free with cli_onnx_scan_free(). Threading: reentrant.
 */
#ifndef VRT_CLI_ONNX_SCAN_H
#define VRT_CLI_ONNX_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"

#define CLI_SCAN_MAX_DIMS 8

typedef struct cli_scan_value {
    char name[128];
    int elem_type;                         /* TensorProto.DataType; 0 unknown */
    int ndim;                              /* -1: no shape given */
    int64_t dims[CLI_SCAN_MAX_DIMS];       /* -1 where symbolic or unknown */
    char dim_param[CLI_SCAN_MAX_DIMS][32]; /* symbolic name or "" */
} cli_scan_value;

typedef struct cli_scan_op {
    char op[64];
    char domain[64]; /* "" for the default domain */
    int count;
} cli_scan_op;

typedef struct cli_scan_opset {
    char domain[64];
    int64_t version;
} cli_scan_opset;

typedef struct cli_onnx_scan {
    int64_t ir_version;
    char producer[128];
    char producer_version[64];
    cli_scan_opset opsets[16];
    int n_opsets;
    cli_scan_op *ops; /* sorted by domain, then name */
    int n_ops;
    int n_nodes;
    cli_scan_value *inputs; /* graph inputs that are not initializers */
    int n_inputs;
    cli_scan_value *outputs;
    int n_outputs;
    int n_initializers;
    int64_t init_params; /* elements of all initializers */
    int64_t init_bytes;  /* bytes as stored (element size of the data type) */
    int external_data;   /* some initializer keeps its data in another file */
} cli_onnx_scan;

/* Scans len bytes. VRT_EBADDATA (err says where) when the bytes are not a
 * well-formed ONNX ModelProto with a graph. */
vrt_status cli_onnx_scan_buffer(const uint8_t *buf, size_t len, cli_onnx_scan *s, char *err, size_t cap);
void cli_onnx_scan_free(cli_onnx_scan *s);

/* Bytes per element of an ONNX data type (0 if unknown). */
size_t cli_onnx_elem_size(int elem_type);
/* "float32", "float16", "int64", ...; "type N" written into buf for others. */
const char *cli_onnx_type_name(int elem_type, char *buf, size_t cap);

#endif
