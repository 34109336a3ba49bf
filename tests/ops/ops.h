/*
 * The cross-backend op test table (after ggml's tests/test-backend-ops.cpp): each case is a tiny ONNX
 * graph written in a small text form, built into an ONNX model in memory, run on a backend and
 * compared with a reference:
 *   - cpu:  the CPU backend against this folder's own straightforward interpreter (ops_ref.c, double
 *           precision, written from the ONNX operator specification), and for fusion cases also the
 *           CPU backend with the graph passes on against the passes off;
 *   - cuda: the CUDA backend (fp32 and fp16 precision) against the CPU backend.
 *
 * A case, in the table of test_backend_ops.c:
 *   inputs: "x:f32[1,8,9,9] w:f32[8,1,3,3]=c k:i64[2]={1,-1} p:f32[4]@0.1:2=c"
 *           name:type[dims]; "=c" makes it an initializer (a constant of the model), "={...}" one with
 *           these values, "@lo:hi" the range of its random values (default -1:1; integers -5:5).
 *           Types: f32 f16 i64 i32 i8 u8 bool.
 *   graph:  "Conv(x,w)->c kernel_shape=[3,3] group=8; Relu(c)->y"
 *           nodes separated by ';', each Op(inputs)->outputs followed by attributes: name=INT,
 *           name=FLOAT (with a '.' or an exponent), name=STRING, name=[ints or floats]. An empty input
 *           (",,") is an absent optional input. An output may declare its type ("->y:i64"); otherwise
 *           it has the type of the node's first input. The graph outputs are the last node's outputs.
 *           The model imports opset 17 unless the graph starts with "opset N;".
 */
#ifndef VRT_TEST_OPS_H
#define VRT_TEST_OPS_H

#include <stddef.h>
#include <stdint.h>

#define OPS_MAXD 6  /* dimensions of a tensor */
#define OPS_MAXT 48 /* tensors of a case */
#define OPS_MAXN 8  /* nodes of a case */
#define OPS_MAXIO 8 /* inputs or outputs of a node */
#define OPS_MAXA 10 /* attributes of a node */
#define OPS_MAXV 16 /* values of a list attribute */

/* ONNX element types (TensorProto.DataType) */
enum { T_F32 = 1, T_U8 = 2, T_I8 = 3, T_I32 = 6, T_I64 = 7, T_BOOL = 9, T_F16 = 10 };

typedef struct ops_tensor {
    char name[24];
    int dtype; /* T_* */
    int nd;
    int64_t d[OPS_MAXD];
    int64_t n; /* elements */
    double *v; /* values (NULL until known); exactly representable in dtype */
    int is_const;
    double lo, hi;   /* random range */
    int have_values; /* "={...}" */
} ops_tensor;

typedef struct ops_attr {
    char name[40];
    int kind; /* 'i' int, 'f' float, 's' string, 'I' ints, 'F' floats */
    int n;
    int64_t iv[OPS_MAXV];
    double fv[OPS_MAXV];
    char s[32];
} ops_attr;

typedef struct ops_node {
    char op[24];
    int nin, nout;
    int in[OPS_MAXIO]; /* tensor index, -1: absent optional input */
    int out[OPS_MAXIO];
    int nattr;
    ops_attr attr[OPS_MAXA];
} ops_node;

typedef struct ops_graph {
    int nt, nn;
    ops_tensor t[OPS_MAXT];
    ops_node node[OPS_MAXN];
    int opset;
} ops_graph;

/* Parses a case; 0 or -1 with a message in err. Random values come from seed. */
int ops_parse(const char *inputs, const char *graph, ops_graph *g, uint64_t seed, char *err, size_t cap);
void ops_graph_free(ops_graph *g);
/* Serialises the graph as an ONNX ModelProto; *buf is malloc'ed. */
int ops_write_onnx(const ops_graph *g, uint8_t **buf, size_t *len);

/* Runs the reference interpreter over every node: fills v of every computed tensor.
 * 0, or -1 with a message (an op without a reference, or an impossible case). */
int ops_ref_run(ops_graph *g, char *err, size_t cap);

const ops_attr *ops_attr_find(const ops_node *n, const char *name);
int64_t ops_attr_i(const ops_node *n, const char *name, int64_t def);
double ops_attr_f(const ops_node *n, const char *name, double def);
const char *ops_attr_s(const ops_node *n, const char *name, const char *def);

/* Element conversions shared by the writer, the runner and the reference. */
double ops_round_to(int dtype, double v);
size_t ops_dtype_size(int dtype);
void ops_store(int dtype, void *dst, int64_t i, double v);
double ops_load(int dtype, const void *src, int64_t i);
const char *ops_dtype_name(int dtype);

#endif
