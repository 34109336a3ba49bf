/*
 * Private to the CUDA backend's host files: the backend context, the step
 * (one IR node resolved for the device), and the functions the files share.
 *
 *   backend_cuda.c  interface and dispatch: prepare / run / destroy, the
 *                   iface table
 *   io.c            host I/O: set_input / get_output / sync through
 *                   page-locked staging, uploads / downloads around run()
 *   steps.c         the kernel table for the shared step builder
 *                   (engine/step.h: per op family the CUDA type rules,
 *                   scratch and exec), cuDNN / cuBLASLt objects per step
 *                   (prep_cuda), which nodes run on fp16 NHWC
 *                   (node_half_ok), dispatch (exec_step, exec_half)
 *   plan_half.c     the fp16 NHWC planner and its rewrites (in-place Concat,
 *                   Focus read in the gather, SPP cascade) and the fp16
 *                   weight layouts (prep_half)
 *   plan_fuse.c     fusions over the fp16 plan that take nodes out (a
 *                   residual Add in its conv's epilogue, a depthwise conv
 *                   inside the 1x1 conv after it)
 *   conv_choice.c   our implicit-GEMM conv against cuDNN, timed in a graph,
 *                   and the algorithm cache
 *   fp16_guard.c    precision AUTO on fp16: fp16 against fp32 per node at
 *                   prepare, the nodes that need it kept fp32
 *   inspect.c       introspection (vrt inspect, bench_engine, tests)
 *   check.c         the CUDA / cuDNN / cuBLAS status checks (engine/cuda_check.h)
 *
 * Threading: a context is used by one thread at a time.
 */
#ifndef VRT_CUDA_IMPL_H
#define VRT_CUDA_IMPL_H

#include <stdarg.h>
#include <stdio.h>

#include "engine/backend.h"
#include "model/op_params.h"
#include "model/dtype.h"
#include "model/lowp.h"
#include "engine/backend/cuda/algo_cache.h"
#include "engine/backend/cuda/attention.h"
#include "engine/backend/cuda/conv_cudnn.h"
#include "engine/backend/cuda/conv_igemm.h"
#include "engine/backend/cuda/eltwise.h"
#include "engine/backend/cuda/epilogue.h"
#include "engine/backend/cuda/gemm_cublaslt.h"
#include "engine/backend/cuda/norm.h"
#include "engine/backend/cuda/pool.h"
#include "engine/backend/cuda/quant.h"
#include "engine/backend/cuda/reduce.h"
#include "engine/backend/cuda/resize.h"
#include "engine/backend/cuda/rows_half.h"
#include "engine/backend/cuda/tensor_ops.h"
#include "engine/step.h"
#include "model/ops.h"

#define MAXIO VRT__MAX_CONCAT_INPUTS
#define LT_WS_LIMIT ((size_t)32 << 20)
#define SEARCH_WS_LIMIT ((size_t)256 << 20)

/* A step: the shared part built by engine/step.h (its members reachable by
 * name: s->n, s->in[k], s->u.conv, ...; &s->b for the builder) and the
 * CUDA backend's own. */
typedef struct step {
    union {
        vrt__step b;
        struct {
            VRT__STEP_FIELDS
        };
    };
    vrt__cuda_conv *conv;
    vrt__cuda_gemm *gemm;
    /* fp16 NHWC storage (precision fp16; see vrt__cuda_plan_half): the step runs on
     * hx/hr -> hy; cx/cr/cy: the fp32 NCHW tensor is converted into / out of a
     * shared buffer around the step. hw/hb: fp16 KRSC weights and bias. */
    int h, cx, cr, cy;
    int dw; /* depthwise conv on our own fp16 NHWC kernel (not cuDNN) */
    vrt__cuda_dw_shape dws;
    /* Our implicit-GEMM conv (fp16 NHWC, group 1, 2-D): own_ok when it can run
     * this conv, own = 1 + config when it was chosen over cuDNN (timed at
     * prepare); own_ms / dnn_ms: the timings (graph replay, ms per conv). */
    int own_ok, own;
    int cat;             /* writes into an in-place Concat's output: must run on our igemm */
    const void *focus_x; /* Focus read in the gather (vrt__cuda_plan_focus): the tensor the slices cut */
    int fused;           /* a Focus Slice or Concat the next conv reads through (plan_focus), or an Add
                            done in the conv before it (plan_add): not run */
    int res_add;         /* does the next step's Add in its epilogue (plan_add): must run on our igemm */
    int dwf, dwd;        /* 1 + k_dwpw config: computes depthwise step dwd itself (plan_dwpw); 0 = no */
    int pool_dnn;        /* fp16 MaxPool on cuDNN (option own_maxpool OFF) instead of our kernel */
    const void *mp_src;  /* SPP cascade (vrt__cuda_plan_spp): pool mp_src with an mp_k window instead */
    int mp_k;
    vrt__cuda_igemm ig;
    float own_ms, dnn_ms;
    void *hx, *hr, *hy, *hw, *hb;
    /* fp16 rows (plan_rows.c): r = 1 when the step runs on fp16 tensors in the ONNX layout;
     * rin / rout: what it reads and writes for inputs / outputs 0..3 (the tensor when held in
     * fp16 rows, an fp16 copy of a weight, a slot of the conversion buffer, or the fp32 tensor
     * itself for an input read as fp32); rcin / rcout bit k: input / output k converted from /
     * to its fp32 tensor around the step. rb: the builder's step over rin / rout with 2-byte
     * elements, for the data-movement families. */
    int r;
    unsigned rcin, rcout;
    void *rin[4], *rout[4];
    vrt__step *rb;
    cudnnPoolingDescriptor_t pool;
    cudnnTensorDescriptor_t pxd, pyd;
} step;

/* Host I/O (io.c): page-locked staging per graph input and output, allocated
 * once; large copies go in up to VRT__CUDA_IO_CHUNKS chunks so the host copy
 * of one chunk overlaps the DMA of the next. */
#define VRT__CUDA_IO_CHUNKS 4
typedef struct cuda_in {
    void *stage;     /* page-locked, the engine's element type; NULL: empty input */
    const void *src; /* what run() uploads: the staging, or the caller's page-locked buffer */
    size_t bytes;    /* ... this many bytes */
    int uploaded;    /* set_input already enqueued this run's upload (pipelined with its copy) */
    cudaStream_t up; /* ... on this stream */
} cuda_in;

typedef struct cuda_out {
    void *stage; /* page-locked, the engine's element type; NULL: empty output */
    void *dst;   /* caller's buffer (set by get_output) */
    int64_t n;
    int to_half;
    vrt__dtype lowp; /* held in a wider type (lowp.h): converted back to this; 0 = none */
    size_t bytes;    /* staging bytes downloaded */
    int k;           /* chunks, each followed by ev[j] when k > 1 */
    int pending;     /* sync() copies the staging into dst */
    cudaEvent_t ev[VRT__CUDA_IO_CHUNKS];
} cuda_out;

typedef struct cuda_ctx {
    const vrt__ir *ir;
    const vrt__plan *plan;
    int device;
    vrt__cuda_math math;
    int math_auto;          /* math chosen by the "auto" rule */
    vrt_engine_options opt; /* as the engine resolved them (vrt/engine.h) */
    int graphs;             /* graphs allowed */
    vrt_priority priority;  /* vrt_engine_params.priority */
    int stream_priority;    /* the stream's, as cudaStreamGetPriority reports it (0: the default) */
    int prio_applied;       /* 1: HIGH got the device's greatest stream priority */
    cudaStream_t stream;
    cudnnHandle_t dnn;
    cublasLtHandle_t lt;
    uint8_t *arena, *consts, *weights, *scratch, *ws, *lt_ws;
    float *zero_bias;
    size_t scratch_bytes, ws_bytes, lt_ws_bytes, zero_bias_n;
    uint8_t **ptr;  /* device pointer per tensor */
    uint8_t *hfmt;  /* per tensor: 1 = held as fp16 NHWC (vrt__cuda_plan_half) */
    uint8_t *hnode; /* per node: 1 = runs on fp16 NHWC */
    /* Concats done in place (vrt__cuda_plan_concat): per node, cat_skip = 1 for an
     * elided Concat; for each of its producer convs cat_out = the Concat's
     * output tensor + 1 and cat_off its first channel. cat_mem holds the
     * elided Concats' outputs (outside the arena: written before the Concat's
     * own lifetime starts). */
    uint8_t *cat_skip;
    int *cat_out, *cat_off;
    uint8_t *cat_mem;
    int n_cat;
    int n_add_fused;    /* Adds done in their conv's epilogue (plan_fuse.c) */
    int n_dw_fused;     /* depthwise convs computed inside the 1x1 conv after them (plan_fuse.c) */
    uint8_t **fuse_mem; /* tensors the fusions moved out of the arena (plan_fuse.c) */
    int n_fuse_mem;
    uint8_t *hbuf, *hweights; /* conversion buffers (x | residual | y), fp16 weights */
    /* fp16 rows (plan_rows.c): per tensor rfmt = 1 when held as fp16 in the ONNX layout, per
     * node rnode = 1 when it runs on fp16 rows; rbuf: the conversion buffer, rconst: fp16
     * copies of the weights those nodes read. */
    uint8_t *rfmt, *rnode, *rbuf, *rconst;
    step *steps;
    int n_steps;
    /* host I/O (io.c) */
    cuda_in *in;
    cuda_out *out;
    cudaEvent_t in_free; /* recorded after a run: its uploads have read the staging */
    cudaEvent_t up_done; /* set_input's upload on another stream than run()'s */
    int in_free_valid;
    /* graph */
    cudaGraph_t graph;
    cudaGraphExec_t gexec;
    int runs;
    /* report */
    vrt__algo_cache *cache;
    int cache_hits, cache_misses;
    double choose_ms;
    char err[512];
    const struct cuda_ctx *wbase; /* prepare_shared: weights (fp32 and fp16) borrowed from this context */
    /* The fp16 guard (fp16_guard.c): per node 1 = kept fp32 in the fp16 plan (no fp16 NHWC
     * storage, strict fp32 conv/gemm math); NULL: none. guard: what it measured (inspect). */
    uint8_t *keep32;
    struct vrt__cuda_guard *guard;
} cuda_ctx;

static inline int is_f(vrt__dtype d) {
    return d == VRT__DT_FLOAT || d == VRT__DT_FLOAT16;
}

static inline const vrt__shape *SI(const step *s, int k) {
    return &s->ti[k]->shape;
}
static inline const vrt__shape *SO(const step *s, int k) {
    return &s->to[k]->shape;
}

static inline void need_scratch(cuda_ctx *c, size_t b) {
    if (b > c->scratch_bytes) c->scratch_bytes = b;
}

/* Checks a CUDA runtime call against the context's error buffer. */
#define CUCK(call) VRT_CUDA_CHECK(c->err, sizeof(c->err), call)

/* ---- backend_cuda.c ---- */

/* Writes "node '<name>' (<op>, opset N): <detail>" into c->err; returns st. */
vrt_status vrt__cuda_nfail(cuda_ctx *c, const vrt__node *n, vrt_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* A launcher's failure, with its detail, against the node. */
vrt_status vrt__cuda_kfail(cuda_ctx *c, const vrt__node *n, vrt_status st);

/* One context (see backend_cuda.c): math < 0 = the options' precision, else
 * that mode as AUTO's choice; keep32: nodes kept fp32 (copied; may be NULL). */
vrt_status vrt__cuda_ctx_create(const cuda_ctx *base, const vrt__ir *ir, const vrt__plan *plan,
                                const vrt__backend_params *bp, int math, const uint8_t *keep32,
                                cuda_ctx **out, char *err, size_t cap);
void vrt__cuda_ctx_destroy(cuda_ctx *c);

/* ---- io.c ---- */

/* Staging and events (prepare) and their release (destroy; NULL-safe parts). */
vrt_status vrt__cuda_io_alloc(cuda_ctx *c);
void vrt__cuda_io_free(cuda_ctx *c);
/* The backend members (i checked, device current, sizes checked by the caller). */
vrt_status vrt__cuda_io_set_input(cuda_ctx *c, int i, const void *data, vrt__dtype dt, size_t nbytes,
                                  void *stream);
vrt_status vrt__cuda_io_get_output(cuda_ctx *c, int i, void *data, vrt__dtype dt, size_t nbytes,
                                   void *stream);
vrt_status vrt__cuda_io_sync(cuda_ctx *c, void *stream);
/* run(): the inputs' uploads set_input did not enqueue itself, on s. */
vrt_status vrt__cuda_io_upload(cuda_ctx *c, cudaStream_t s);
/* Staging of input (output = 0) or output i, NULL if none; *bytes its size. */
void *vrt__cuda_io_host_buffer(cuda_ctx *c, int output, int i, size_t *bytes);

/* ---- fp16_guard.c ---- */

/* *c: a context AUTO put on fp16. Compares it with an fp32 context node by
 * node on a representative input (options fp16_sample or a synthetic one),
 * keeps the nodes adding the most error fp32 and rebuilds until the outputs
 * are within options.fp16_tolerance (bounded rounds; else the whole model
 * fp32). *c is replaced by the chosen context, which records the findings. */
vrt_status vrt__cuda_fp16_guard(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_params *bp,
                                cuda_ctx **c, char *err, size_t cap);
void vrt__cuda_guard_free(struct vrt__cuda_guard *g);
/* The math a node's conv / gemm is built with (fp32 when the guard kept it). */
static inline vrt__cuda_math vrt__cuda_node_math(const cuda_ctx *c, int i) {
    return c->keep32 && c->keep32[i] && c->math == VRT__CUDA_MATH_FP16 ? VRT__CUDA_MATH_FP32 : c->math;
}

/* ---- steps.c ---- */

/* Builds every node's step with the shared builder (engine/step.h) over the
 * CUDA kernel table, then its cuDNN / cuBLASLt objects, into c->steps. */
vrt_status vrt__cuda_build_steps(cuda_ctx *c);
/* 1 when node i can run on fp16 NHWC storage (see plan_half.c). */
int vrt__cuda_node_half_ok(const cuda_ctx *c, int i);
/* Enqueues one step on strm (nothing for elided or fused steps). */
vrt_status vrt__cuda_exec_step(cuda_ctx *c, step *s, cudaStream_t strm);
/* The step on fp16 NHWC storage (s->h), conversions around it included. */
vrt_status vrt__cuda_exec_half(cuda_ctx *c, step *s, cudaStream_t strm);

/* ---- plan_half.c ---- */

/* Which nodes run and which tensors are held on fp16 NHWC (c->hnode, c->hfmt). */
vrt_status vrt__cuda_plan_half(cuda_ctx *c);
/* Concats done in place by their producer convs (c->cat_*). */
vrt_status vrt__cuda_plan_concat(cuda_ctx *c);
/* After the steps exist: conversion buffers, fp16 weights, pooling descriptors. */
vrt_status vrt__cuda_prep_half(cuda_ctx *c);
/* ---- plan_rows.c ---- */

/* Which nodes run and which tensors are held on fp16 rows (c->rnode, c->rfmt);
 * after vrt__cuda_plan_half, before the steps are built. */
vrt_status vrt__cuda_plan_rows(cuda_ctx *c);
/* 1 when node n, running on fp16 rows, reads input k as fp16. */
int vrt__cuda_rows_slot(const vrt__node *n, int k);
/* After the steps exist: their fp16 operands (weights copied, conversion slots). */
vrt_status vrt__cuda_prep_rows(cuda_ctx *c);
/* The step on fp16 rows (s->r), conversions around it included. */
vrt_status vrt__cuda_exec_rows(cuda_ctx *c, step *s, cudaStream_t strm);

/* The rewrites over the prepared fp16 steps (each after vrt__cuda_prep_half). */
vrt_status vrt__cuda_plan_focus(cuda_ctx *c);
void vrt__cuda_plan_spp(cuda_ctx *c);

/* ---- plan_fuse.c ---- */

/* A residual Add after a conv's activation done in that conv's epilogue
 * (option add_epilogue). After vrt__cuda_prep_half, before the conv choice. */
vrt_status vrt__cuda_plan_add(cuda_ctx *c);
/* The buffers the fusions moved tensors into (destroy). */
void vrt__cuda_fuse_free(cuda_ctx *c);
/* A depthwise conv and the 1x1 conv after it as one kernel where that times
 * faster (option dw_pointwise). After the conv choice (times both ways). */
vrt_status vrt__cuda_plan_dwpw(cuda_ctx *c);
/* The fused pair at the 1x1 step s (s->dwf). */
vrt_status vrt__cuda_exec_dwpw(cuda_ctx *c, step *s, cudaStream_t strm);

/* ---- conv_choice.c ---- */

typedef vrt_status (*step_fn)(cuda_ctx *c, step *s, cudaStream_t strm, int arg);
/* GPU time (ms) of fn(c, s, stream, arg) as a graph replay of `reps`
 * back-to-back copies; -1 when it fails. */
float vrt__cuda_time_in_graph(cuda_ctx *c, step *s, step_fn fn, int arg, int reps, cudaEvent_t e0,
                              cudaEvent_t e1);
/* cuDNN algorithms for every conv step (from the cache or timed on the real
 * buffers), our implicit GEMM against cuDNN where it can run, then the
 * workspace the choices need (c->ws) and the cache statistics. */
vrt_status vrt__cuda_choose_convs(cuda_ctx *c);

#endif
