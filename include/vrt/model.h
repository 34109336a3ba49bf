/*
 * vrt/model.h - load an ONNX model and look at it.
 *
 * vrt_model_load() reads an ONNX file with visionrt's own bounds-checked
 * protobuf decoder, checks every op against the supported-op table, fixes
 * the input size (batch, height and width may be overridden) and infers
 * every tensor's static shape, folding the shape computations exporters
 * emit. An unsupported op, attribute or data type fails the load with a
 * message that names the op, the node and the opset and lists what would
 * work; there is never a silent wrong answer later.
 *
 * Lifecycle: vrt_model_load -> queries -> vrt_model_destroy.
 * Threading: a loaded model is immutable; queries may run from any thread.
 */
#ifndef VRT_MODEL_H
#define VRT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"
#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_MODEL_MAX_DIMS 8

typedef struct vrt_model vrt_model_t;

/* Element types use ONNX TensorProto.DataType numbering. */
typedef enum vrt_dtype {
    VRT_DTYPE_FLOAT = 1,
    VRT_DTYPE_UINT8 = 2,
    VRT_DTYPE_INT8 = 3,
    VRT_DTYPE_INT32 = 6,
    VRT_DTYPE_INT64 = 7,
    VRT_DTYPE_BOOL = 9,
    VRT_DTYPE_FLOAT16 = 10,
} vrt_dtype;

/* "float32", "float16", ...; "?" for others. Static string. */
VRT_API const char *vrt_dtype_name(int dtype);

typedef struct vrt_model_params {
    int64_t batch;  /* 0: keep the file's (a symbolic batch becomes 1) */
    int64_t height; /* 0: keep the file's; applies to 4-D (N,C,H,W) inputs */
    int64_t width;  /* 0: keep the file's; applies to 4-D (N,C,H,W) inputs */
} vrt_model_params;

VRT_API void vrt_model_default_params(vrt_model_params *p);

/* Loads `path`. On success *out owns a new model (free with vrt_model_destroy);
 * on failure *out is NULL and err (cap bytes, may be NULL) holds the detail.
 * params may be NULL (defaults). External data files are resolved inside the
 * model's folder; absolute paths and paths that leave it are refused. */
VRT_API vrt_status vrt_model_load(const char *path, const vrt_model_params *params, vrt_model_t **out,
                                  char *err, size_t cap);
/* Same from bytes in memory (the caller keeps the buffer; external data refused). */
VRT_API vrt_status vrt_model_load_buffer(const void *buf, size_t len, const vrt_model_params *params,
                                         vrt_model_t **out, char *err, size_t cap);
/* NULL-safe; sets *m = NULL. */
VRT_API void vrt_model_destroy(vrt_model_t **m);

typedef struct vrt_model_tensor_info {
    const char *name; /* owned by the model */
    int dtype;        /* vrt_dtype */
    int ndim;
    int64_t dims[VRT_MODEL_MAX_DIMS];
} vrt_model_tensor_info;

VRT_API int vrt_model_num_inputs(const vrt_model_t *m);
VRT_API int vrt_model_num_outputs(const vrt_model_t *m);
/* VRT_EINVAL when i is out of range. */
VRT_API vrt_status vrt_model_input(const vrt_model_t *m, int i, vrt_model_tensor_info *info);
VRT_API vrt_status vrt_model_output(const vrt_model_t *m, int i, vrt_model_tensor_info *info);

/* Nodes left after loading (Constant nodes and folded shape math removed). */
VRT_API int vrt_model_num_nodes(const vrt_model_t *m);
/* Number of nodes whose op_type is `op` ("Conv"). */
VRT_API int vrt_model_op_count(const vrt_model_t *m, const char *op);
/* Op histogram: writes up to cap (op name, count) pairs sorted by name and
 * returns the number of distinct ops. Names are static strings. */
typedef struct vrt_model_op_stat {
    const char *op;
    int count;
} vrt_model_op_stat;
VRT_API int vrt_model_op_histogram(const vrt_model_t *m, vrt_model_op_stat *out, int cap);
/* Elements of every constant tensor used by the graph. */
VRT_API int64_t vrt_model_param_count(const vrt_model_t *m);
/* ONNX opset imported for the default domain. */
VRT_API int64_t vrt_model_opset(const vrt_model_t *m);

/* ---- metadata_props ---------------------------------------------------------
 * The model file's ONNX metadata_props (string key/value pairs exporters
 * write: Ultralytics stores task, names, imgsz, stride there), read without
 * loading the graph (the other top-level fields are skipped, not read).
 * Ownership: *out owns copies of every key and value; the strings live until
 * vrt_model_metadata_destroy. At most 256 entries of up to 1 MiB each are
 * kept. Threading: a loaded set is immutable. */
typedef struct vrt_model_metadata vrt_model_metadata_t;

/* VRT_ENOENT (missing), VRT_EINVAL (not a regular file), VRT_EACCES,
 * VRT_EBADDATA (not protobuf), each with the path in err. A model without
 * metadata gives an empty set. */
VRT_API vrt_status vrt_model_metadata_load(const char *path, vrt_model_metadata_t **out, char *err,
                                           size_t cap);
VRT_API int vrt_model_metadata_count(const vrt_model_metadata_t *m);
/* Key i (0..count-1), or NULL. */
VRT_API const char *vrt_model_metadata_key(const vrt_model_metadata_t *m, int i);
/* The value of key, or NULL when absent (m may be NULL). */
VRT_API const char *vrt_model_metadata_get(const vrt_model_metadata_t *m, const char *key);
/* NULL-safe; sets *m = NULL. */
VRT_API void vrt_model_metadata_destroy(vrt_model_metadata_t **m);

#ifdef __cplusplus
}
#endif
#endif
