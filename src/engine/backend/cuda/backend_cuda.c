/*
 * The CUDA backend (host side): dispatch from IR nodes to cuDNN (Conv,
 * ConvTranspose), cuBLASLt (Gemm, MatMul) and our kernels (everything else:
 * one header per kernel family: eltwise.h, reduce.h, ...), behind the table
 * of engine/backend.h.
 *
 * prepare(): one device buffer for all weights (fp16 ones converted to fp32
 * on the host, uploaded once), the planned arena, the const region, one
 * scratch buffer (asymmetric-pad windows, casts, top-k, resize), the cuDNN
 * and cuBLASLt workspaces, the handles and one non-blocking stream; cuDNN
 * algorithms timed on the real buffers or read from the disk cache; const
 * nodes run once. Page-locked host staging per graph input/output (io.c).
 *
 * Per inference (io.c has the host I/O): set_input copies (or converts fp16,
 * double, bfloat16, float8/4 and sub-byte ints to the engine's wider
 * internal type, with the CPU backend's lowp.h functions) into the input's
 * page-locked staging, or notes a caller buffer that is page-locked already;
 * run() enqueues the uploads, then every step -- either directly or, from
 * the second run on, as ONE CUDA graph replay of the steps (captured once;
 * option graphs OFF keeps it eager); get_output enqueues the download;
 * sync() waits and copies (or converts fp32 -> fp16) into the caller's
 * buffer on the calling thread. Nothing in run() allocates, synchronises
 * or logs.
 *
 * Configuration: vrt__backend_params.opt (vrt_engine_options in vrt/engine.h;
 * the engine has applied the environment overrides). Math: precision AUTO is
 * fp16 NHWC storage for convolution-heavy models and strict fp32 otherwise.
 * fp16 plan (plan_half.c; each on by default, each with an option for
 * comparisons): our implicit-GEMM conv timed against cuDNN per conv (conv),
 * Concats in fp16 (half_concat) and in place (concat_in_place), our max pool
 * (own_maxpool) with the SPP cascade (spp_cascade), the Focus stem read in
 * the conv's gather (focus), a residual Add after a conv's activation in
 * that conv's epilogue (add_epilogue, plan_fuse.c), a depthwise conv and the
 * 1x1 conv after it as one kernel where timed faster (dw_pointwise),
 * programmatic dependent launch (pdl); the transformer tensors held as fp16
 * in the ONNX layout (plan_rows.c, half_rows). When AUTO
 * chose fp16, the fp16 guard (fp16_guard.c, option fp16_guard) compares it
 * with fp32 at prepare and keeps the nodes that need it in fp32.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend/cuda/cuda_impl.h"
#include "engine/backend/cuda/cuda_inspect.h"

vrt_status vrt__cuda_nfail(cuda_ctx *c, const vrt__node *n, vrt_status st, const char *fmt, ...) {
    int w = snprintf(c->err, sizeof(c->err), "node '%s' (%s, opset %d): ", n->name, n->op_type, n->opset);
    if (w > 0 && (size_t)w < sizeof(c->err)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + w, sizeof(c->err) - (size_t)w, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* A launcher's failure, with its detail, against the node. */
vrt_status vrt__cuda_kfail(cuda_ctx *c, const vrt__node *n, vrt_status st) {
    const char *d = vrt__cuda_kernels_error();
    if (!d || !d[0]) d = vrt__cuda_epilogue_error();
    return vrt__cuda_nfail(c, n, st, "kernel failed (%s)%s%s", vrt_status_name(st), d && d[0] ? ": " : "",
                           d ? d : "");
}

/* The model's non-const steps on s (no I/O copies). Capturable. */
static vrt_status enqueue_steps(cuda_ctx *c, cudaStream_t s) {
    vrt_status st;
    for (int i = 0; i < c->n_steps; i++) {
        if (c->plan->node_const[i]) continue;
        if ((st = vrt__cuda_exec_step(c, &c->steps[i], s))) return st;
    }
    return VRT_OK;
}

/* ---- interface ---- */

static void cuda_destroy(void *vctx) {
    cuda_ctx *c = vctx;
    if (!c) return;
    if (c->stream) cudaStreamSynchronize(c->stream);
    if (c->gexec) cudaGraphExecDestroy(c->gexec);
    if (c->graph) cudaGraphDestroy(c->graph);
    if (c->steps)
        for (int i = 0; i < c->n_steps; i++) {
            vrt__cuda_conv_destroy(&c->steps[i].conv);
            vrt__cuda_gemm_destroy(&c->steps[i].gemm);
            if (c->steps[i].pool) cudnnDestroyPoolingDescriptor(c->steps[i].pool);
            if (c->steps[i].pxd) cudnnDestroyTensorDescriptor(c->steps[i].pxd);
            if (c->steps[i].pyd) cudnnDestroyTensorDescriptor(c->steps[i].pyd);
            vrt_free(c->steps[i].rb);
        }
    vrt__cuda_io_free(c);
    vrt__cuda_fuse_free(c);
    cudaFree(c->arena);
    cudaFree(c->consts);
    cudaFree(c->weights);
    cudaFree(c->scratch);
    cudaFree(c->ws);
    cudaFree(c->lt_ws);
    cudaFree(c->zero_bias);
    cudaFree(c->hbuf);
    cudaFree(c->hweights);
    cudaFree(c->rbuf);
    cudaFree(c->rconst);
    vrt_free(c->rfmt);
    vrt_free(c->rnode);
    vrt_free(c->hfmt);
    vrt_free(c->hnode);
    vrt_free(c->cat_skip);
    vrt_free(c->cat_out);
    vrt_free(c->cat_off);
    cudaFree(c->cat_mem);
    vrt_free(c->keep32);
    vrt__cuda_guard_free(c->guard);
    if (c->dnn) cudnnDestroy(c->dnn);
    if (c->lt) cublasLtDestroy(c->lt);
    if (c->stream) cudaStreamDestroy(c->stream);
    vrt__algo_cache_destroy(&c->cache);
    vrt_free(c->ptr);
    vrt_free(c->steps);
    vrt_free(c);
}

/* Math mode: the caller's precision (the engine applied VRT_CUDA_MATH when
 * it was AUTO); AUTO is fp16 NHWC for convolution-heavy models
 * (VRT__AUTO_FP16_CONVS or more non-const 2-D Conv nodes), strict fp32
 * otherwise. */
#define VRT__AUTO_FP16_CONVS 8
static void choose_math(cuda_ctx *c, vrt_precision precision) {
    if (precision != VRT_PRECISION_AUTO) {
        c->math = precision == VRT_PRECISION_FP16   ? VRT__CUDA_MATH_FP16
                  : precision == VRT_PRECISION_TF32 ? VRT__CUDA_MATH_TF32
                                                    : VRT__CUDA_MATH_FP32;
        return;
    }
    int nconv = 0;
    for (int i = 0; i < c->ir->n_nodes; i++) {
        const vrt__node *n = &c->ir->nodes[i];
        if (n->op == VRT__OP_Conv && !c->plan->node_const[i] && n->n_inputs > 1 && n->inputs[1] >= 0 &&
            c->ir->tensors[n->inputs[1]].shape.ndim == 4)
            nconv++;
    }
    /* fp16 NHWC storage for convolution networks. YOLOX-Nano (SiLU convs,
     * unnormalised 0..255 input) then differs from fp32 by up to 0.65 on
     * background anchors' raw box terms: fp16 precision, the same as an fp16
     * emulation of the model (bench/gpu/fp16_emulate.py, README GPU
     * section); its detections stay. precision=fp32 keeps any model on fp32. */
    c->math = nconv >= VRT__AUTO_FP16_CONVS ? VRT__CUDA_MATH_FP16 : VRT__CUDA_MATH_FP32;
    c->math_auto = 1;
}

/* The context's stream, at the device's greatest priority for HIGH
 * (numerically the lowest: 0 is the default and the least, e.g. -5 the
 * greatest on an H100). A graph launched into it runs at its priority
 * (graphs are instantiated without per-node priorities). */
static vrt_status create_stream(cuda_ctx *c) {
    int least = 0, greatest = 0, prio = 0;
    vrt_status st;
    if (c->priority == VRT_PRIORITY_HIGH) {
        if ((st = CUCK(cudaDeviceGetStreamPriorityRange(&least, &greatest)))) return st;
        prio = greatest;
    }
    if ((st = CUCK(cudaStreamCreateWithPriority(&c->stream, cudaStreamNonBlocking, prio))) ||
        (st = CUCK(cudaStreamGetPriority(c->stream, &c->stream_priority))))
        return st;
    c->prio_applied = c->priority == VRT_PRIORITY_HIGH && greatest < least && c->stream_priority == greatest;
    if (c->priority == VRT_PRIORITY_HIGH && !c->prio_applied)
        vrt_log(VRT_LOG_WARN, "cuda",
                "priority high: device %d has no stream priorities (range %d..%d); its stream runs at the "
                "default priority",
                c->device, least, greatest);
    return VRT_OK;
}

static int cuda_priority(const void *vctx, int *value) {
    const cuda_ctx *c = vctx;
    *value = c->stream_priority;
    return c->prio_applied;
}

/* Device, stream, cuDNN and cuBLASLt handles, the per-tensor and per-node
 * arrays. Fills c->err on failure. */
static vrt_status init_ctx(cuda_ctx *c) {
    const vrt__ir *ir = c->ir;
    vrt_status st;
    if ((st = CUCK(cudaSetDevice(c->device))) || (st = create_stream(c)) ||
        (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnCreate(&c->dnn))) ||
        (st = VRT_CUBLAS_CHECK(c->err, sizeof(c->err), cublasLtCreate(&c->lt))) ||
        (st = VRT_CUDNN_CHECK(c->err, sizeof(c->err), cudnnSetStream(c->dnn, c->stream))))
        return st;
    c->ptr = vrt_calloc((size_t)ir->n_tensors + 1, sizeof(*c->ptr));
    c->steps = vrt_calloc((size_t)ir->n_nodes + 1, sizeof(*c->steps));
    if (!c->ptr || !c->steps) return VRT_ENOMEM;
    return VRT_OK;
}

/* One weight uploaded into its slot; held in a wider type (fp16, double,
 * bfloat16, float8/float4 as fp32; 4-/2-bit ints as int8/uint8): converted
 * on the host as the CPU backend converts its weights (lowp.h). */
static vrt_status upload_weight(cuda_ctx *c, const vrt__tensor *t, void *dst, size_t bytes) {
    int64_t cnt = vrt__shape_numel(&t->shape);
    if (vrt__plan_dtype(t->dtype) == t->dtype)
        return CUCK(cudaMemcpy(dst, t->data, bytes < t->nbytes ? bytes : t->nbytes, cudaMemcpyHostToDevice));
    uint8_t *f = vrt_malloc(bytes);
    if (!f) return VRT_ENOMEM;
    if (t->dtype == VRT__DT_FLOAT16) {
        const uint16_t *h = t->data;
        vrt__half_to_float_n(h, (float *)(void *)f, cnt);
    } else {
        vrt__lowp_host_to_engine(t->dtype, t->data, f, cnt);
    }
    vrt_status st = CUCK(cudaMemcpy(dst, f, bytes, cudaMemcpyHostToDevice));
    vrt_free(f);
    return st;
}

/* Arena, const region and weights (one buffer, 256-byte aligned slots; base's
 * when sharing), and a device pointer per tensor. */
static vrt_status bind_tensors(cuda_ctx *c, const cuda_ctx *base) {
    const vrt__ir *ir = c->ir;
    const vrt__plan *plan = c->plan;
    vrt_status st;
    size_t wtotal = 0;
    for (int i = 0; i < ir->n_tensors; i++)
        if (plan->t[i].storage == VRT__ST_WEIGHT) {
            int64_t cnt = vrt__shape_numel(&ir->tensors[i].shape);
            wtotal += ((size_t)cnt * vrt__plan_elem_size(ir->tensors[i].dtype) + 255) & ~(size_t)255;
        }
    if ((st = CUCK(cudaMalloc((void **)&c->arena, plan->arena_bytes + VRT__PLAN_ALIGN))) ||
        (st = CUCK(cudaMalloc((void **)&c->consts, plan->const_bytes + VRT__PLAN_ALIGN))) ||
        (!base && (st = CUCK(cudaMalloc((void **)&c->weights, wtotal + VRT__PLAN_ALIGN)))))
        return st;
    size_t woff = 0;
    for (int i = 0; i < ir->n_tensors; i++) {
        const vrt__tensor *t = &ir->tensors[i];
        const vrt__tensor_plan *tp = &plan->t[i];
        if (tp->storage == VRT__ST_WEIGHT && base) {
            c->ptr[i] = base->ptr[i];
        } else if (tp->storage == VRT__ST_WEIGHT) {
            size_t bytes = (size_t)vrt__shape_numel(&t->shape) * vrt__plan_elem_size(t->dtype);
            c->ptr[i] = c->weights + woff;
            woff += (bytes + 255) & ~(size_t)255;
            if (bytes && t->data && (st = upload_weight(c, t, c->ptr[i], bytes))) return st;
        } else if (tp->storage == VRT__ST_ARENA) {
            c->ptr[i] = c->arena + tp->offset;
        } else if (tp->storage == VRT__ST_CONST) {
            c->ptr[i] = c->consts + tp->offset;
        }
    }
    for (int i = 0; i < ir->n_tensors; i++)
        if (plan->t[i].storage == VRT__ST_VIEW) c->ptr[i] = c->ptr[plan->t[i].base];
    return VRT_OK;
}

/* Scratch, the zero bias and the cuBLASLt workspace (the limit every
 * Gemm/MatMul heuristic was asked to respect), sized by the steps. */
static vrt_status alloc_buffers(cuda_ctx *c) {
    vrt_status st;
    if (c->scratch_bytes && (st = CUCK(cudaMalloc((void **)&c->scratch, c->scratch_bytes + 256)))) return st;
    if (c->zero_bias_n) {
        if ((st = CUCK(cudaMalloc((void **)&c->zero_bias, c->zero_bias_n * 4))) ||
            (st = CUCK(cudaMemset(c->zero_bias, 0, c->zero_bias_n * 4))))
            return st;
    }
    int ngemm = 0;
    for (int i = 0; i < c->n_steps; i++)
        ngemm += c->steps[i].gemm != NULL;
    if (ngemm) {
        c->lt_ws_bytes = LT_WS_LIMIT;
        if ((st = CUCK(cudaMalloc((void **)&c->lt_ws, c->lt_ws_bytes)))) return st;
    }
    return VRT_OK;
}

/* Page-locked I/O staging and its events, then the const nodes, run once. */
static vrt_status finish_prepare(cuda_ctx *c) {
    const vrt__plan *plan = c->plan;
    vrt_status st;
    if ((st = vrt__cuda_io_alloc(c))) return st;
    /* The uploads above are cudaMemcpy from pageable memory on the legacy
     * stream: they may still be in flight when it returns, and our stream
     * (non-blocking) does not wait for them. Seen as wrong constants under
     * load (Shape / Range node tests, with other programs on the GPU). */
    if ((st = CUCK(cudaDeviceSynchronize()))) return st;
    for (int i = 0; i < c->n_steps; i++)
        if (plan->node_const[i] && (st = vrt__cuda_exec_step(c, &c->steps[i], c->stream))) return st;
    return CUCK(cudaStreamSynchronize(c->stream));
}

/* The device ordinal, checked. */
/* The pipeline's worker threads and the caller's thread may last have used
 * another device: streams, graphs and buffers of this context are on
 * c->device, so it must be current. cudaGetDevice is a thread-local read;
 * the set happens only when the device changed (never with one GPU). */
static vrt_status use_device(cuda_ctx *c) {
    int cur = -1;
    if (cudaGetDevice(&cur) == cudaSuccess && cur == c->device) return VRT_OK;
    return CUCK(cudaSetDevice(c->device));
}

static vrt_status check_device(int dev, char *err, size_t cap) {
    int ndev = 0;
    cudaError_t ce = cudaGetDeviceCount(&ndev);
    if (ce != cudaSuccess || ndev <= 0) {
        vrt_errbuf_set(err, cap, "CUDA backend: no CUDA device (%s); use the cpu backend",
                       ce != cudaSuccess ? cudaGetErrorString(ce) : "0 devices");
        return VRT_ENODEV;
    }
    if (dev < 0 || dev >= ndev) {
        vrt_errbuf_set(err, cap, "CUDA backend: device %d does not exist; %d device%s here: 0..%d", dev, ndev,
                       ndev == 1 ? "" : "s", ndev - 1);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

/* One context. base != NULL (prepare_shared): the weight buffers are base's
 * (same math mode and fp32-kept nodes, hence the same fp16 layout);
 * everything else is this context's. math < 0: the caller's precision (the
 * AUTO rule); else that math mode, as chosen by AUTO (the fp16 guard's
 * rounds). keep32 (may be NULL; copied): per node, 1 = stays fp32 in an fp16
 * plan. On failure *out is NULL and err has the detail. */
vrt_status vrt__cuda_ctx_create(const cuda_ctx *base, const vrt__ir *ir, const vrt__plan *plan,
                                const vrt__backend_params *bp, int math, const uint8_t *keep32,
                                cuda_ctx **out, char *err, size_t cap) {
    *out = NULL;
    int dev = bp ? bp->device : 0;
    vrt_status st = check_device(dev, err, cap);
    if (st) return st;
    cuda_ctx *c = vrt_calloc(1, sizeof(*c));
    if (!c) return VRT_ENOMEM;
    c->ir = ir;
    c->plan = plan;
    c->device = dev;
    c->wbase = base;
    if (bp) c->opt = bp->opt;
    c->priority = bp ? bp->priority : VRT_PRIORITY_NORMAL;
    /* Programmatic dependent launch for our fp16 kernels (pdl.cuh): Hopper and
     * newer (ON cannot force it on older GPUs) unless option pdl is OFF. Process-wide (one setting per
     * device generation; every context of a process sees the same GPU kind). */
    int major = 0;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev);
    vrt__cuda_set_pdl(major >= 9 && c->opt.pdl != VRT_SWITCH_OFF);
    if (base) {
        c->device = base->device;
        c->math = base->math;
        c->math_auto = base->math_auto;
        keep32 = base->keep32;
    } else if (math >= 0) {
        c->math = (vrt__cuda_math)math;
        c->math_auto = 1;
    } else {
        choose_math(c, c->opt.precision);
    }
    if (keep32) {
        if (!(c->keep32 = vrt_malloc((size_t)ir->n_nodes + 1))) {
            vrt_free(c);
            return VRT_ENOMEM;
        }
        memcpy(c->keep32, keep32, (size_t)ir->n_nodes);
    }
    c->graphs = c->opt.graphs != VRT_SWITCH_OFF;
    if ((st = init_ctx(c)) || (st = bind_tensors(c, base)) || (st = vrt__cuda_plan_half(c)) ||
        (st = vrt__cuda_plan_concat(c)) || (st = vrt__cuda_plan_rows(c)) || (st = vrt__cuda_build_steps(c)) ||
        (st = vrt__cuda_prep_half(c)) || (st = vrt__cuda_prep_rows(c)) || (st = vrt__cuda_plan_focus(c)))
        goto fail;
    vrt__cuda_plan_spp(c);
    if ((st = vrt__cuda_plan_add(c))) goto fail;
    if ((st = alloc_buffers(c)) || (st = vrt__cuda_choose_convs(c)) || (st = vrt__cuda_plan_dwpw(c)) ||
        (st = finish_prepare(c)))
        goto fail;
    *out = c;
    return VRT_OK;
fail:
    if (st == VRT_ENOMEM && !c->err[0])
        snprintf(c->err, sizeof(c->err), "out of memory preparing the CUDA backend (arena %zu bytes)",
                 plan->arena_bytes);
    vrt_errbuf_set(err, cap, "%s", c->err);
    cuda_destroy(c);
    return st;
}

void vrt__cuda_ctx_destroy(cuda_ctx *c) {
    cuda_destroy(c);
}

/* Precision AUTO that chose fp16 goes through the fp16 guard (fp16_guard.c),
 * which may keep nodes fp32 or fall back to fp32 altogether. */
static vrt_status cuda_prepare(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_params *bp,
                               void **out, char *err, size_t cap) {
    cuda_ctx *c = NULL;
    vrt_status st = vrt__cuda_ctx_create(NULL, ir, plan, bp, -1, NULL, &c, err, cap);
    if (!st && c->math_auto && c->math == VRT__CUDA_MATH_FP16 && c->opt.fp16_guard != VRT_SWITCH_OFF)
        st = vrt__cuda_fp16_guard(ir, plan, bp, &c, err, cap);
    *out = st ? NULL : c;
    return st;
}

static vrt_status cuda_prepare_shared(const void *base, const vrt__ir *ir, const vrt__plan *plan,
                                      const vrt__backend_params *bp, void **out, char *err, size_t cap) {
    cuda_ctx *c = NULL;
    vrt_status st = vrt__cuda_ctx_create(base, ir, plan, bp, -1, NULL, &c, err, cap);
    *out = c;
    return st;
}

static int io_ok(cuda_ctx *c, const char *what, int i, const vrt__tensor *x, vrt__dtype dt, size_t nbytes,
                 const void *data) {
    int64_t cnt = vrt__shape_numel(&x->shape);
    if (!(dt == x->dtype || (is_f(dt) && is_f(x->dtype))) || nbytes != (size_t)cnt * vrt__dtype_size(dt) ||
        (!data && cnt)) {
        snprintf(c->err, sizeof(c->err),
                 "%s %d ('%s'): expected %lld elements of %s (%zu bytes); got %zu bytes of %s", what, i,
                 x->name, (long long)cnt, vrt__dtype_name(x->dtype), (size_t)cnt * vrt__dtype_size(x->dtype),
                 nbytes, vrt__dtype_name(dt));
        return 0;
    }
    return 1;
}

static vrt_status cuda_set_input(void *vctx, int i, const void *data, vrt__dtype dt, size_t nbytes,
                                 void *stream) {
    cuda_ctx *c = vctx;
    if (i < 0 || i >= c->ir->n_inputs) return VRT_EINVAL;
    vrt_status st = use_device(c);
    if (st) return st;
    if (!io_ok(c, "input", i, &c->ir->tensors[c->ir->inputs[i]], dt, nbytes, data)) return VRT_EINVAL;
    return vrt__cuda_io_set_input(c, i, data, dt, nbytes, stream);
}

static vrt_status cuda_run(void *vctx, void *stream) {
    cuda_ctx *c = vctx;
    cudaStream_t s = stream ? (cudaStream_t)stream : c->stream;
    vrt_status st;
    if ((st = use_device(c)) || (st = vrt__cuda_io_upload(c, s))) return st;
    c->runs++;
    if (c->gexec) {
        if ((st = CUCK(cudaGraphLaunch(c->gexec, s)))) return st;
    } else if (c->graphs && c->runs >= 2) {
        /* Second run: capture once (the first was the warm-up), then replay. */
        cudaStream_t cs = c->stream;
        if (s != cs) {
            /* Capture on our stream, ordered after the caller's work. */
            if ((st = CUCK(cudaEventRecord(c->in_free, s))) ||
                (st = CUCK(cudaStreamWaitEvent(cs, c->in_free, 0))))
                return st;
        }
        if ((st = CUCK(cudaStreamBeginCapture(cs, cudaStreamCaptureModeThreadLocal)))) return st;
        vrt_status est = enqueue_steps(c, cs);
        cudaGraph_t g = NULL;
        vrt_status cst = CUCK(cudaStreamEndCapture(cs, &g));
        if (!est && !cst) {
            c->graph = g;
            if (cudaGraphInstantiate(&c->gexec, g, 0) != cudaSuccess) c->gexec = NULL;
        } else if (g) {
            cudaGraphDestroy(g);
        }
        if (c->gexec) {
            if ((st = CUCK(cudaGraphLaunch(c->gexec, s)))) return st;
        } else {
            /* Something in the steps cannot be captured: stay eager (the
             * detail stays in last_error; graph_active reports it). */
            cudaGetLastError();
            c->graphs = 0;
            if ((st = enqueue_steps(c, s))) return st;
        }
    } else {
        if ((st = enqueue_steps(c, s))) return st;
    }
    if ((st = CUCK(cudaEventRecord(c->in_free, s)))) return st;
    c->in_free_valid = 1;
    return VRT_OK;
}

static vrt_status cuda_get_output(void *vctx, int i, void *data, vrt__dtype dt, size_t nbytes, void *stream) {
    cuda_ctx *c = vctx;
    if (i < 0 || i >= c->ir->n_outputs) return VRT_EINVAL;
    vrt_status st = use_device(c);
    if (st) return st;
    int t = c->ir->outputs[i];
    const vrt__tensor *x = &c->ir->tensors[t];
    if (!io_ok(c, "output", i, x, dt, nbytes, data)) return VRT_EINVAL;
    if (!c->ptr[t]) {
        snprintf(c->err, sizeof(c->err), "output %d ('%s') has no storage", i, x->name);
        return VRT_EINVAL;
    }
    return vrt__cuda_io_get_output(c, i, data, dt, nbytes, stream);
}

static vrt_status cuda_sync(void *vctx, void *stream) {
    return vrt__cuda_io_sync(vctx, stream);
}

static void *cuda_host_input(void *vctx, int i, size_t *bytes) {
    return vrt__cuda_io_host_buffer(vctx, 0, i, bytes);
}

static void *cuda_host_output(void *vctx, int i, size_t *bytes) {
    return vrt__cuda_io_host_buffer(vctx, 1, i, bytes);
}

static const char *cuda_last_error(void *vctx) {
    return vctx ? ((cuda_ctx *)vctx)->err : "";
}

/* ---- device members: driving the backend from a caller's own graph
 * (engine/device.h, the session's frame path) ---- */

static void *cuda_stream(void *vctx) {
    return vctx ? (void *)((cuda_ctx *)vctx)->stream : NULL;
}

static void *io_ptr(cuda_ctx *c, int t, size_t *bytes) {
    if (bytes) *bytes = c->ptr[t] ? c->plan->t[t].bytes : 0;
    return c->ptr[t];
}

static void *cuda_input_ptr(void *vctx, int i, size_t *bytes) {
    cuda_ctx *c = vctx;
    if (bytes) *bytes = 0;
    if (!c || i < 0 || i >= c->ir->n_inputs) return NULL;
    return io_ptr(c, c->ir->inputs[i], bytes);
}

static void *cuda_output_ptr(void *vctx, int i, size_t *bytes) {
    cuda_ctx *c = vctx;
    if (bytes) *bytes = 0;
    if (!c || i < 0 || i >= c->ir->n_outputs) return NULL;
    return io_ptr(c, c->ir->outputs[i], bytes);
}

static vrt_status cuda_enqueue(void *vctx, void *stream) {
    cuda_ctx *c = vctx;
    if (!c) return VRT_EINVAL;
    return enqueue_steps(c, stream ? (cudaStream_t)stream : c->stream);
}

int vrt__cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky "no device" error */
        return 0;
    }
    return n;
}

vrt_status vrt__cuda_mem_info(int device, size_t *free_bytes, size_t *total_bytes) {
    int n = vrt__cuda_device_count(), prev = 0;
    if (device < 0 || device >= n) return VRT_ENODEV;
    size_t fr = 0, tot = 0;
    cudaGetDevice(&prev);
    cudaError_t e = cudaSetDevice(device);
    if (e == cudaSuccess) e = cudaMemGetInfo(&fr, &tot);
    cudaSetDevice(prev); /* the caller's thread keeps its device */
    if (e != cudaSuccess) {
        cudaGetLastError();
        return VRT_EIO;
    }
    if (free_bytes) *free_bytes = fr;
    if (total_bytes) *total_bytes = tot;
    return VRT_OK;
}

/* The last four: the optional device members the session's frame path uses (engine/device.h). */
const vrt__backend_iface vrt__backend_cuda = {
    .name = "cuda",
    .prepare = cuda_prepare,
    .set_input = cuda_set_input,
    .run = cuda_run,
    .get_output = cuda_get_output,
    .sync = cuda_sync,
    .last_error = cuda_last_error,
    .destroy = cuda_destroy,
    .prepare_shared = cuda_prepare_shared,
    .stream = cuda_stream,
    .input_ptr = cuda_input_ptr,
    .output_ptr = cuda_output_ptr,
    .enqueue = cuda_enqueue,
    .host_input = cuda_host_input,
    .host_output = cuda_host_output,
    .n_choices = vrt__cuda_backend_n_engines,
    .choice = vrt__cuda_backend_engine,
    .precision = vrt__cuda_backend_math,
    .n_kept = vrt__cuda_backend_n_kept,
    .kept = vrt__cuda_backend_kept,
    .priority = cuda_priority,
    .steps = vrt__cuda_backend_steps,
};
