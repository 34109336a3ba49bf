/*
 * vrt/engine.h - run an ONNX model on a backend ("cpu", or "cuda" when built in).
 *
 *   vrt_engine_params p;
 *   vrt_engine_default_params(&p);          // backend "cpu", threads = cores
 *   vrt_engine_t *e;
 *   if (vrt_engine_open("model.onnx", &p, &e, err, sizeof err)) ...;
 *   vrt_engine_tensor in = {pixels, VRT_DTYPE_FLOAT, nbytes}, out = {logits, VRT_DTYPE_FLOAT, cap};
 *   vrt_engine_run(e, &in, 1, &out, 1);     // as often as needed
 *   vrt_engine_destroy(&e);
 *
 * vrt_engine_open loads the model (vrt/model.h rules: unsupported ops fail
 * here, naming op, node and opset), runs the graph passes (BatchNorm
 * folding, activation and residual fusion, the transformer patterns:
 * attention, LayerNorm, GELU, MatMul + bias; views, no-op and dead-node
 * removal), plans every activation into one arena and lets the backend
 * prepare: weights converted or uploaded once, arena and scratch allocated
 * once. vrt_engine_run allocates nothing.
 *
 * Element types at the boundary: each input/output is given in the model's
 * type, or for FLOAT16/FLOAT tensors in either of the two (converted). The
 * computation itself is fp32 on the CPU backend.
 *
 * How a backend runs the model (CUDA precision, graphs, conv choice, the
 * algorithm cache folder, ...) is vrt_engine_params.options (vrt_engine_options
 * below): all AUTO by default. A few environment variables (VRT_CUDA_MATH,
 * VRT_CUDA_GRAPHS, VRT_CUDA_CONV, VRT_CUDA_PDL, VRT_CACHE_DIR, VRT_PROFILE_OPS;
 * table in src/engine/README.md) are read once per process and fill only the
 * fields left AUTO / NULL: an explicit option always wins.
 *
 * Threading: an engine is used by one thread at a time; distinct engines are
 * independent.
 */
#ifndef VRT_ENGINE_H
#define VRT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"
#include "vrt/export.h"
#include "vrt/model.h"
#include "vrt/thread.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vrt_engine vrt_engine_t;

/* ---- options ----
 * What a caller may choose about how a backend runs a model. Zero (what
 * vrt_engine_default_params sets) is "auto" everywhere: the backend's own
 * choice, which a documented environment variable may override (read once
 * per process; see src/engine/README.md). An explicit value always wins over
 * the environment. Fields a backend does not have are ignored by it. */

/* A three-way switch: AUTO (0) = the backend's default (and the environment
 * override, if any); ON / OFF = explicit. */
typedef enum vrt_switch { VRT_SWITCH_AUTO = 0, VRT_SWITCH_ON = 1, VRT_SWITCH_OFF = 2 } vrt_switch;

/* CUDA math. AUTO: fp16 for convolution-heavy models (8 or more Conv nodes;
 * YOLOX's fp16 difference is precision, see README), else fp32.
 * FP16: fp16 NHWC storage of conv chains, fp32 accumulation. FP32: strict
 * fp32 math (results within float rounding of the CPU backend). TF32: tensor
 * cores with TF32 inputs (~1e-3 relative). Env override: VRT_CUDA_MATH. */
typedef enum vrt_precision {
    VRT_PRECISION_AUTO = 0,
    VRT_PRECISION_FP16,
    VRT_PRECISION_FP32,
    VRT_PRECISION_TF32
} vrt_precision;

/* CUDA convolutions on fp16 NHWC. AUTO: per conv, the faster of cuDNN and
 * our implicit-GEMM kernel, timed at open (the choice is cached on disk).
 * CUDNN: cuDNN wherever our kernel is not required by a rewrite (in-place
 * Concat, Focus read). OWN: our kernel wherever it can run. Env override:
 * VRT_CUDA_CONV=cudnn|own. */
typedef enum vrt_conv_impl { VRT_CONV_AUTO = 0, VRT_CONV_CUDNN, VRT_CONV_OWN } vrt_conv_impl;

typedef struct vrt_engine_options {
    vrt_precision precision; /* CUDA math (above) */
    vrt_switch graphs;      /* CUDA: replay each run as one CUDA graph (AUTO = on); env VRT_CUDA_GRAPHS=0|1 */
    vrt_conv_impl conv;     /* CUDA conv implementation (above) */
    vrt_switch pdl;         /* CUDA programmatic dependent launch of our fp16 kernels (AUTO and ON: on
                               for compute capability 9.0+, the GPUs that have it; process-wide);
                               env VRT_CUDA_PDL=0|1 */
    const char *cache_dir;  /* CUDA algorithm cache folder; NULL: env VRT_CACHE_DIR, else
                               $HOME/.cache/visionrt; "": no file (choices timed every open). Copied */
    vrt_switch profile_ops; /* CPU: time every op (AUTO = off); env VRT_PROFILE_OPS=1 */
    /* CUDA, for comparisons in tests and benchmarks (AUTO = on). The last seven are the fp16
     * plan's rewrites (precision fp16); they change speed, and results at most by fp16 rounding
     * where another kernel computes the same thing. */
    vrt_switch fused_epilogue; /* bias/activation/residual fused into cuDNN's conv call where it can */
    vrt_switch half_concat;    /* channel Concat of fp16 activations stays fp16 NHWC */
    vrt_switch
        concat_in_place;     /* a Concat's inputs are written in place by their producers (CUDA fp16, CPU) */
    vrt_switch focus;        /* Focus stem (4 stride-2 Slices + Concat) read in the first conv's gather */
    vrt_switch own_maxpool;  /* fp16 MaxPool on our kernel (OFF: cuDNN's) */
    vrt_switch spp_cascade;  /* SPP max pools (5, 9, 13) as a cascade of small pools */
    vrt_switch add_epilogue; /* a residual Add after a conv's activation done in that conv's epilogue
                                (y = act(conv) + r in one kernel; YOLOX / CSP bottlenecks) */
    vrt_switch dw_pointwise; /* a depthwise conv and the 1x1 conv after it in one kernel (the depthwise
                                output kept in shared memory), per pair where timed faster at open */
    /* CUDA fp16 (AUTO = on): transformer tensors held as fp16 in the ONNX layout between the ops
     * that take them (MatMul on fp16 cuBLASLt, attention, LayerNorm, Add/Sub/Mul/Div, reshapes,
     * Transpose, Slice, Concat, Split, Gather, Expand), fp32 accumulation; OFF: those tensors stay
     * fp32 (fp16 only inside the GEMMs and the attention). */
    vrt_switch half_rows;
    /* Transformer graph patterns (both backends; AUTO = on; see src/engine/README.md "Fused
     * patterns"). OFF runs the graph's own ops for that pattern, for comparisons; results differ
     * by float rounding only. */
    vrt_switch fuse_attention;   /* MatMul(Q, K^T) [scale] [+mask] Softmax MatMul(V) -> one attention op */
    vrt_switch fuse_layernorm;   /* decomposed LayerNorm -> LayerNormalization; residual Add + LayerNorm
                                    -> one op (the sum also written where it is read later) */
    vrt_switch fuse_gelu;        /* Erf and tanh GELU chains -> Gelu */
    vrt_switch fuse_matmul_bias; /* MatMul + bias Add (+ Gelu) -> one GEMM with a bias/GELU epilogue */
    /* Quantized models (AUTO = on): DequantizeLinear -> Conv [-> Relu] -> QuantizeLinear becomes
     * one integer conv (int32 accumulation, requantisation fused); OFF runs the Q/DQ ops and a
     * float Conv, for comparisons (results differ by rounding ties, at most one step per layer). */
    vrt_switch fuse_qdq;
    /* The fp16 guard (CUDA, precision AUTO when it chose fp16): at open the model runs once in fp32
     * and once in fp16 on a representative input, every node's output is compared, and the nodes
     * where fp16 adds the most error are kept in fp32 until every float output is within
     * fp16_tolerance of fp32 (the RMS of fp16 - fp32 over max |fp32|, per output), at most 6
     * rounds; if that is not reached the whole model runs fp32. What was kept, with the errors, is reported
     * by vrt_engine_fp32_kept and `vrt inspect --backend cuda`. Costs one extra prepare and run per round at
     * open, nothing per frame. AUTO = on; OFF: fp16 everywhere it can run (as FP16). */
    vrt_switch fp16_guard;
    float fp16_tolerance;     /* relative to the output's max |value|; 0 = 0.01 (1%) */
    const float *fp16_sample; /* the input the guard compares on: input 0's values, fp32, in the model's
                                 layout (e.g. a frame after the session's pre-processing); NULL, or a count
                                 other than input 0's element count: a synthetic image-like input in
                                 [0, 1] (the summary says which; other inputs: that pattern, integer
                                 inputs zero). Borrowed during vrt_engine_open only */
    size_t fp16_sample_count; /* elements at fp16_sample */
    /* The most bytes of memory one engine's planned buffers may take: the activation arena, the
     * constants computed at open, and the weights the backend holds a copy of (CUDA: every weight,
     * on the device; CPU: the weights it converts to fp32), plus the CPU backend's scratch. Checked
     * at open BEFORE anything is allocated: a model that needs more (a large --height/--width, a
     * declared input of millions of pixels) fails with VRT_ENOMEM naming its inputs' shapes, what it
     * needs and the limit. 0 = auto: CPU: the machine's physical memory (the cgroup's memory.max when
     * lower: a container's limit); CUDA: the device's free memory at open. SIZE_MAX: no limit but the
     * built-in bounds (a tensor 8 GiB, an arena 32 GiB). A shared engine (vrt_engine_open_shared) is
     * not checked again. */
    size_t memory_limit;
} vrt_engine_options;

typedef struct vrt_engine_params {
    const char *backend;        /* "cpu" (default) or "cuda"; copied */
    int threads;                /* CPU threads; 0 = number of online cores */
    int64_t batch;              /* 0: the file's (symbolic batch -> 1) */
    int64_t height;             /* 0: the file's; 4-D NCHW inputs */
    int64_t width;              /* 0: the file's; 4-D NCHW inputs */
    int optimize;               /* 1 (default): run the graph passes; 0: execute the graph as loaded */
    vrt_engine_options options; /* how the backend runs the model (above); all AUTO by default */
    int device;                 /* CUDA device ordinal (default 0); the cpu backend ignores it. A device
                                   that does not exist fails the open, naming it and the devices there are */
    /* Scheduling priority of this engine's work (vrt/thread.h), for a latency-critical stream beside
     * bulk ones. NORMAL (default): as before. HIGH: cuda: its stream is created with the device's
     * greatest priority (cudaStreamCreateWithPriority), so the GPU's scheduler runs its blocks (and
     * its graph replays) before those of normal streams waiting for the SMs; a kernel already
     * running is not preempted. cpu: the backend's worker threads run at nice
     * VRT_PRIORITY_HIGH_NICE where the process may raise them (CAP_SYS_NICE or RLIMIT_NICE >= 30),
     * else they keep their priority and a warning is logged: the open does not fail. The thread
     * that calls vrt_engine_run is the caller's (vrt_thread_set_priority). What took effect:
     * vrt_engine_stats.priority_applied. Shared engines (vrt_engine_open_shared) take their own. */
    vrt_priority priority;
} vrt_engine_params;

/* Backend "cpu", threads = cores, optimize on, every option AUTO. */
VRT_API void vrt_engine_default_params(vrt_engine_params *p);

/* 1 when the backend ("cpu", "cuda") is built in and can run here (for "cuda":
 * at least one GPU the CUDA runtime sees), else 0. Lets callers default to the
 * GPU when there is one and to the CPU otherwise. */
VRT_API int vrt_engine_backend_available(const char *name);

/* On success *out owns a new engine; on failure *out is NULL and err (cap
 * bytes, may be NULL) names what failed and what would work. params may be NULL. */
VRT_API vrt_status vrt_engine_open(const char *path, const vrt_engine_params *params, vrt_engine_t **out,
                                   char *err, size_t cap);
/* NULL-safe; sets *e = NULL. */
VRT_API void vrt_engine_destroy(vrt_engine_t **e);

/* A second engine over the model and weights of `base` (an engine from
 * vrt_engine_open, or itself a shared one: the weights' owner is used):
 * the IR, plan and weights (CPU: host arrays and fp32 copies; CUDA: the
 * device weight buffers) are held once, the new engine gets its own arena,
 * scratch, stream and graphs, so the two run concurrently from different
 * threads. params: only `threads` and `priority` are used (NULL: the
 * base's threads, normal priority); backend,
 * shapes and options are the base's. The weights live until the last
 * engine over them is destroyed, in any order. VRT_ENOTSUP when the
 * backend cannot share. */
VRT_API vrt_status vrt_engine_open_shared(vrt_engine_t *base, const vrt_engine_params *params,
                                          vrt_engine_t **out, char *err, size_t cap);

VRT_API int vrt_engine_num_inputs(const vrt_engine_t *e);
VRT_API int vrt_engine_num_outputs(const vrt_engine_t *e);
/* Shapes and types as in the model (name owned by the engine). VRT_EINVAL for a bad index. */
VRT_API vrt_status vrt_engine_input_info(const vrt_engine_t *e, int i, vrt_model_tensor_info *info);
VRT_API vrt_status vrt_engine_output_info(const vrt_engine_t *e, int i, vrt_model_tensor_info *info);

/* A caller buffer: `nbytes` must equal the tensor's element count times the
 * size of `dtype` (vrt_dtype). The caller owns `data`. */
typedef struct vrt_engine_tensor {
    void *data;
    int dtype;
    size_t nbytes;
} vrt_engine_tensor;

/* Runs one inference: inputs[i] feeds model input i (n_inputs must equal
 * vrt_engine_num_inputs), outputs[i] receives model output i (n_outputs may
 * be smaller: the rest are not copied). VRT_EINVAL for a wrong size or type
 * (vrt_engine_last_error says which); no allocation. Returns when the
 * outputs are in the caller's buffers.
 *
 * CUDA: ordinary memory is copied once each way through page-locked staging
 * (large buffers in chunks, the host copy of one overlapping the transfer
 * of the next). Page-locked memory given in the engine's element type
 * (FLOAT for FLOAT16 tensors; see vrt_engine_input_buffer) -- vrt_engine_input_buffer /
 * vrt_engine_output_buffer, or cudaHostAlloc / cudaHostRegister memory -- is
 * transferred directly, with no host copy. */
VRT_API vrt_status vrt_engine_run(vrt_engine_t *e, const vrt_engine_tensor *inputs, int n_inputs,
                                  vrt_engine_tensor *outputs, int n_outputs);

/* The backend's own host buffer for model input / output i (CUDA: page-locked,
 * allocated at open); *bytes (may be NULL) gets its size. It holds FLOAT for
 * FLOAT16 and FLOAT tensors, else the tensor's own type (the types the
 * engine holds wider -- double, bfloat16, 8-/4-bit floats, 4-/2-bit ints --
 * have no direct path: give those in their own type). Write the input there
 * and pass that pointer to vrt_engine_run in that type (likewise an
 * output's) to skip the host copies. Owned by the engine, valid until
 * vrt_engine_destroy. NULL for a bad index or a backend without one (CPU). */
VRT_API void *vrt_engine_input_buffer(vrt_engine_t *e, int i, size_t *bytes);
VRT_API void *vrt_engine_output_buffer(vrt_engine_t *e, int i, size_t *bytes);

/* Free and total memory of a backend's device (CUDA: cudaMemGetInfo on
 * device `device`), to size many sessions before allocating them.
 * VRT_ENOTSUP for the CPU backend (no device memory) or a build without
 * CUDA; VRT_ENODEV when the device is not there. */
VRT_API vrt_status vrt_engine_device_memory(const char *backend, int device, size_t *free_bytes,
                                            size_t *total_bytes);

/* Detail of the last failure of this engine ("" if none). */
VRT_API const char *vrt_engine_last_error(const vrt_engine_t *e);

typedef struct vrt_engine_stats {
    const char *backend;
    int threads;
    int nodes;           /* steps after the passes */
    size_t arena_bytes;  /* planned activation arena */
    size_t naive_bytes;  /* sum of every activation tensor (no reuse) */
    size_t const_bytes;  /* tensors computed once at prepare */
    size_t weight_bytes; /* weights as held by the backend (fp32) */
    int bn_folded, act_fused, residual_fused, noops_removed, views, dead_removed;
    int n_fusions;        /* entries for vrt_engine_fusion */
    int weight_users;     /* engines alive over this engine's weights (1: not shared) */
    int weights_borrowed; /* 1: opened with vrt_engine_open_shared (weights held by another engine) */
    /* Transformer patterns fused (options fuse_*): attention ops, decomposed LayerNorm chains,
     * residual Add + LayerNorm pairs, GELU chains, MatMul + bias pairs. */
    int attention_fused, layernorm_fused, add_layernorm_fused, gelu_fused, matmul_bias_fused;
    int qdq_conv_fused;    /* QDQ Conv patterns run as integer convs (option fuse_qdq) */
    vrt_priority priority; /* params.priority */
    /* What it became: cuda: its stream's priority (cudaStreamGetPriority: 0 the default, lower runs
     * first, e.g. -5 on an H100); cpu: the worker threads' nice value (0: unchanged). */
    int priority_value;
    int priority_applied; /* 1: HIGH took effect (greatest stream priority / raised workers; an engine
                             with no worker threads counts as raised); 0: NORMAL, or HIGH not permitted */
} vrt_engine_stats;

VRT_API vrt_status vrt_engine_get_stats(const vrt_engine_t *e, vrt_engine_stats *s);
/* i-th fusion applied, e.g. "conv1+BatchNormalization", "conv1+Relu"; NULL past the end. */
VRT_API const char *vrt_engine_fusion(const vrt_engine_t *e, int i);

/* What the backend chose at open, for `vrt inspect` and benchmarks: the
 * number of per-step choices (CUDA: one per Conv/Gemm step; CPU: 0), the
 * i-th as one line of text in buf (cap bytes, e.g. "conv2d_1 Conv 16x32
 * 3x3: own igemm fp16, 0.004 ms"; NULL past the end), and the precision the
 * engine computes in ("fp32", "fp16", "tf32"; *is_auto (may be NULL) = 1
 * when precision AUTO chose it). */
VRT_API int vrt_engine_num_choices(const vrt_engine_t *e);
VRT_API const char *vrt_engine_choice(const vrt_engine_t *e, int i, char *buf, size_t cap);
VRT_API const char *vrt_engine_precision(const vrt_engine_t *e, int *is_auto);

/* The fp16 guard's findings (options.fp16_guard): the number of nodes kept in fp32 (0 when the
 * guard did not run or kept nothing), the i-th as one line in buf ("blocks.3.attn (MatMul): fp16
 * RMS error 4.1e-01 of the output's max |value| (+3.9e-01 at this node), round 1"), and for i = -1
 * the guard's summary ("fp16 guard: output RMS error 1.00e+00 with every node fp16 -> 2.1e-04 with
 * 3 nodes fp32 in 2 rounds (tolerance 1.0e-02)"); NULL past the end or when the guard did not run. */
VRT_API int vrt_engine_num_fp32_kept(const vrt_engine_t *e);
VRT_API const char *vrt_engine_fp32_kept(const vrt_engine_t *e, int i, char *buf, size_t cap);

/* The CUDA backend's steps counted, as one line in buf: steps run by storage (fp16 NHWC, fp16 rows,
 * fp32), the fp32<->fp16 conversions around them, the data-movement copies (Transpose, Slice,
 * Concat, ... that are not views) and the element-wise / normalisation steps left in fp32, each by op
 * type ("steps run: 253 (fp16 NHWC 40, fp16 rows 180, fp32 33); fp32<->fp16 conversions: ...").
 * NULL for a backend with nothing to report (the CPU's). */
VRT_API const char *vrt_engine_step_summary(const vrt_engine_t *e, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
