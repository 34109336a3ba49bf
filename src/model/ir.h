/*
 * Private: the graph IR that the ONNX reader produces and that every pass,
 * the planner and both backends (CPU reference, CUDA) consume. The container
 * (tensors, nodes, attributes, links) is ir.c; the reader is onnx.c.
 *
 * Lifecycle: vrt__ir_load_onnx() reads a file, canonicalises every node to
 * ONE form (below), checks every op against the supported-op table
 * (ops.c), orders nodes topologically and runs shape inference with the
 * input sizes fixed, folding the int64 shape chains exporters emit
 * (Shape/Gather/Unsqueeze/Concat/Cast/Range/...) into constants. After a
 * successful load every tensor that is used has a known dtype and a fully
 * static shape. vrt__ir_destroy() frees everything; all memory of the IR is
 * owned by the vrt__ir and allocated through vrt_malloc.
 *
 * Tensors and nodes refer to each other by index (int) into ir->tensors and
 * ir->nodes; -1 means "none" (no producer; an omitted optional input).
 *
 * Data types and shapes are the op vocabulary's (model/dtype.h):
 * vrt__dtype uses ONNX TensorProto.DataType numbering. Tensors
 * the model may carry: FLOAT, FLOAT16, INT64, INT32, INT8, UINT8, BOOL
 * (DOUBLE initializers are converted to FLOAT at load), and also DOUBLE,
 * INT16, UINT16, UINT32, UINT64, BFLOAT16, FLOAT8*, FLOAT4E2M1, (U)INT4,
 * (U)INT2 (held inside the engine as described in
 * model/lowp.h; 4-/2-bit tensor data is unpacked one element
 * per byte at load). Constant folding handles the first seven only.
 *
 * ---- Canonical node form (the same for every opset 7..21) ----
 * Parameters that moved from attributes to inputs across opsets are folded
 * into ATTRIBUTES, read with vrt__node_get_*; those inputs are removed from
 * the node (n_inputs counts only the data inputs listed below). A parameter
 * input that is not constant after shape inference fails the load.
 * Axes are normalised to non-negative values.
 *   Split       inputs: X.            ints "split" (always present: one size per output), int "axis"
 *   Squeeze     inputs: X.            ints "axes" (always present, resolved when omitted)
 *   Unsqueeze   inputs: X.            ints "axes" (sorted, relative to the OUTPUT rank)
 *   Slice       inputs: X.            ints "starts","ends","axes","steps" (same length; axes explicit,
 *                                     starts/ends clamped to [0,dim] (or [-1,dim-1] for negative steps),
 *                                     so an executor just iterates start, start+step, ... while < end (>end))
 *   Pad         inputs: X.            ints "pads" (2*rank: begins then ends), float "value", string "mode"
 *                                     ("constant", "reflect", "edge", "wrap")
 *   Clip        inputs: X.            float "min", "max" (-inf/+inf when absent)
 *   ReduceMean/ReduceSum/ReduceMax inputs: X. ints "axes" (explicit; every axis when it was empty
 *                                     unless noop_with_empty_axes, then the node is an Identity), int
 * "keepdims" Resize      inputs: X.            string "mode" ("nearest","linear","cubic"), string
 * "coordinate_transformation_mode", string "nearest_mode", floats "scales" (rank entries, always present:
 * output/input when the model gave sizes), ints "sizes" (output shape), floats "roi" (only for
 * tf_crop_and_resize), float "cubic_coeff_a", int "exclude_outside", float "extrapolation_value". Upsample
 * (7..9) becomes Resize with coordinate_transformation_mode "asymmetric" and nearest_mode "floor". TopK
 * inputs: X.            int "k", int "axis", int "largest", int "sorted" Expand, Tile, Reshape,
 * ConstantOfShape, Range: their shape inputs are constant at load; Reshape keeps input 0 only and gets ints
 * "shape" = the resolved output shape; Expand gets ints "shape" (the output shape); Tile ints "repeats";
 *               ConstantOfShape and Range with known inputs are folded into weights.
 *   Softmax/LogSoftmax opset < 13: int "coerce_2d" = 1 (flatten to 2-D at "axis" first).
 *   Dropout: removed inputs ratio/training_mode; BatchNormalization: training outputs refused.
 *   Gather/Concat/Flatten/Softmax/ArgMax/Split/LayerNormalization: "axis" non-negative.
 *   Constant nodes become WEIGHT tensors and are not in the node list.
 */
#ifndef VRT_MODEL_IR_H
#define VRT_MODEL_IR_H

#include <stddef.h>
#include <stdint.h>

#include "model/dtype.h"
#include "vrt/core.h"

typedef enum vrt__tensor_kind {
    VRT__TK_INTERMEDIATE = 0, /* produced by a node and consumed by others */
    VRT__TK_INPUT = 1,        /* graph input fed by the caller */
    VRT__TK_OUTPUT = 2,       /* produced by a node and returned to the caller */
    VRT__TK_WEIGHT = 3,       /* constant: initializer, Constant node or folded */
} vrt__tensor_kind;

typedef struct vrt__tensor {
    char *name;
    vrt__dtype dtype;
    vrt__shape shape; /* static after load */
    int shape_known;  /* 1 once dtype and shape are known */
    vrt__tensor_kind kind;
    int is_output;  /* also a graph output (an input or weight can be one) */
    void *data;     /* WEIGHT (or folded) contents, dense row-major, `dtype`; else NULL */
    size_t nbytes;  /* bytes in data */
    int producer;   /* node index, -1 for inputs and weights */
    int *consumers; /* node indices (a node appears once per use) */
    int n_consumers;
} vrt__tensor;

typedef enum vrt__attr_type {
    VRT__AT_UNDEFINED = 0,
    VRT__AT_FLOAT = 1,
    VRT__AT_INT = 2,
    VRT__AT_STRING = 3,
    VRT__AT_TENSOR = 4,
    VRT__AT_FLOATS = 6,
    VRT__AT_INTS = 7,
    VRT__AT_STRINGS = 8,
    VRT__AT_TENSORS = 9,
} vrt__attr_type; /* ONNX AttributeProto.AttributeType numbering */

typedef struct vrt__attr {
    char *name;
    vrt__attr_type type;
    float f;
    int64_t i;
    char *s; /* NUL-terminated copy (ONNX strings are bytes; embedded NULs cut) */
    float *floats;
    int64_t *ints;
    char **strings;
    int n;                /* entries in floats / ints / strings / tensors */
    vrt__tensor *tensors; /* TENSOR (n = 1) / TENSORS: owned, with data; not in ir->tensors */
} vrt__attr;

typedef struct vrt__node {
    char *name; /* never NULL ("" -> "<op_type>_<index>") */
    char *op_type;
    char *domain; /* "" for ai.onnx */
    int op;       /* vrt__op id (ops.h) */
    int opset;    /* opset of its domain */
    int *inputs;  /* tensor indices, -1 = omitted optional input */
    int n_inputs;
    int *outputs; /* tensor indices, -1 = omitted optional output */
    int n_outputs;
    vrt__attr *attrs;
    int n_attrs;
} vrt__node;

typedef struct vrt__opset_entry {
    char *domain; /* "" or "ai.onnx" for the default domain */
    int64_t version;
} vrt__opset_entry;

/* Overrides applied to 4-D (N,C,H,W) and other graph inputs at load; 0 keeps
 * the file's value. A symbolic dim (dim_param) or unknown dim without an
 * override fails the load, except a symbolic first dim, which becomes 1. */
typedef struct vrt__ir_params {
    int64_t batch;
    int64_t height;
    int64_t width;
    /* Graph inputs given as constants (ONNX node tests feed shapes, axes,
     * pads ... as inputs): each input whose name matches becomes a WEIGHT
     * with this data (dtype and shape must match the declared ones). The
     * caller keeps ownership; the data is copied. */
    const vrt__tensor *const_inputs;
    int n_const_inputs;
} vrt__ir_params;

typedef struct vrt__ir {
    char *path; /* model file as given */
    char *dir;  /* its folder: external data is resolved inside it */
    char *graph_name;
    char *producer_name;
    char *producer_version;
    int64_t ir_version;
    vrt__opset_entry *opsets;
    int n_opsets;

    vrt__tensor *tensors; /* may move when tensors are added: hold indices, not pointers */
    int n_tensors, cap_tensors;
    vrt__node *nodes; /* topological order after load */
    int n_nodes, cap_nodes;
    int *inputs; /* graph inputs fed by the caller (not initializers) */
    int n_inputs;
    int *outputs;
    int n_outputs;
} vrt__ir;

/* ---- loading ---- */

/* Reads an ONNX model from `path`, canonicalises, checks ops and infers
 * shapes. On success *out owns a new IR; on failure *out is NULL and err
 * (cap bytes, may be NULL) holds the detail. `params` may be NULL. */
vrt_status vrt__ir_load_onnx(const char *path, const vrt__ir_params *params, vrt__ir **out, char *err,
                             size_t cap);
/* Same from a buffer in memory (external data is refused: no folder). */
vrt_status vrt__ir_load_onnx_buffer(const uint8_t *buf, size_t len, const vrt__ir_params *params,
                                    vrt__ir **out, char *err, size_t cap);
void vrt__ir_destroy(vrt__ir **ir);

/* Reads a standalone TensorProto file (ONNX test data input_0.pb / output_0.pb)
 * into *t (name, dtype, shape, data; DOUBLE stays DOUBLE here). Free with
 * vrt__tensor_free(). */
vrt_status vrt__tensor_load_pb(const char *path, vrt__tensor *t, char *err, size_t cap);
vrt_status vrt__tensor_parse_pb(const uint8_t *buf, size_t len, vrt__tensor *t, char *err, size_t cap);
void vrt__tensor_free(vrt__tensor *t);

/* ---- lookups and attribute accessors ---- */

int vrt__ir_find_tensor(const vrt__ir *ir, const char *name); /* index or -1 */
const vrt__attr *vrt__node_attr(const vrt__node *n, const char *name);
int64_t vrt__node_get_int(const vrt__node *n, const char *name, int64_t def);
float vrt__node_get_float(const vrt__node *n, const char *name, float def);
/* NUL-terminated string or def. */
const char *vrt__node_get_string(const vrt__node *n, const char *name, const char *def);
/* Entries and count (*n = 0 and NULL when absent). */
const int64_t *vrt__node_get_ints(const vrt__node *n, const char *name, int *count);
const float *vrt__node_get_floats(const vrt__node *n, const char *name, int *count);

/* Opset version imported for a domain ("" and "ai.onnx" are the same); 0 if none. */
int64_t vrt__ir_opset(const vrt__ir *ir, const char *domain);

/* Number of elements of all WEIGHT tensors that are consumed by a node. */
int64_t vrt__ir_param_count(const vrt__ir *ir);

/* ---- building and rewriting (the model layer: reader, shape inference, passes) ---- */

/* Appends a tensor named `name` (copied); returns its index or -1 (ENOMEM). */
int vrt__ir_add_tensor(vrt__ir *ir, const char *name);
/* Replaces or adds an attribute; the attribute's arrays are copied. */
vrt_status vrt__node_set_ints(vrt__node *n, const char *name, const int64_t *v, int count);
vrt_status vrt__node_set_floats(vrt__node *n, const char *name, const float *v, int count);
vrt_status vrt__node_set_int(vrt__node *n, const char *name, int64_t v);
vrt_status vrt__node_set_float(vrt__node *n, const char *name, float v);
vrt_status vrt__node_set_string(vrt__node *n, const char *name, const char *s);
void vrt__attr_free(vrt__attr *a);
/* Frees a node's strings, index arrays and attributes and zeroes it (the node itself is the caller's). */
void vrt__node_free(vrt__node *n);
/* Recomputes producer/consumer links from the node list. */
vrt_status vrt__ir_relink(vrt__ir *ir);

#endif
