/*
 * Private: the backend interface (ggml-style table of function pointers)
 * that the CPU reference backend and the CUDA backend implement.
 *
 * Lifecycle: prepare(ir, plan) once -> [set_input ... run ... get_output]
 * per inference -> destroy. prepare sizes and allocates everything (arena,
 * const region, weights in the backend's format, scratch and workspaces,
 * thread pool or streams) and runs the plan's const nodes once; set_input,
 * run and get_output never allocate. The IR and plan outlive the backend
 * context and do not change while it exists.
 *
 * Data at the boundary: set_input/get_output take host memory of the
 * tensor's element type or, for FLOAT16/FLOAT tensors, of either of the
 * two (converted; inside the engine fp16 is held as fp32). Likewise double,
 * bfloat16, float8/float4 and 4-/2-bit ints, held in a wider type
 * (model/lowp.h): both backends convert them with lowp.h's
 * functions (the engine refuses them for a backend that does not). `stream` is the
 * backend's queue (cudaStream_t for CUDA, ignored by the CPU backend);
 * CUDA may enqueue and return, the caller synchronises with sync().
 *
 * Threading: one context is used by one thread at a time.
 */
#ifndef VRT_ENGINE_BACKEND_H
#define VRT_ENGINE_BACKEND_H

#include <stddef.h>

#include "model/ir.h"
#include "model/plan.h"
#include "vrt/core.h"
#include "vrt/engine.h"

typedef struct vrt__backend_params {
    int threads;            /* CPU: pool size, 0 = number of cores */
    int device;             /* CUDA: device ordinal */
    vrt_engine_options opt; /* vrt/engine.h; the engine applied the environment overrides */
    vrt_priority priority;  /* vrt_engine_params.priority: CUDA stream priority, CPU worker nice value */
} vrt__backend_params;

typedef struct vrt__backend_iface {
    const char *name; /* "cpu", "cuda" */
    /* Builds a context for (ir, plan). err gets the detail on failure (e.g.
     * the op and node the backend cannot run). */
    vrt_status (*prepare)(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_params *params,
                          void **ctx, char *err, size_t cap);
    /* Copies graph input i (index into ir->inputs) from host memory of type dt.
     * A backend may instead read page-locked memory (CUDA: cudaHostAlloc,
     * cudaHostRegister, host_input's buffer) that needs no conversion in
     * every run() until the next set_input of that input: it must stay
     * valid and unchanged until then (vrt_engine_run sets every input before
     * each run and synchronises before it returns). */
    vrt_status (*set_input)(void *ctx, int i, const void *data, vrt__dtype dt, size_t nbytes, void *stream);
    /* Runs every non-const step in order. */
    vrt_status (*run)(void *ctx, void *stream);
    /* Copies graph output i (index into ir->outputs) to host memory as type dt;
     * a backend with a queue (CUDA) may finish the copy only in sync(): the
     * data is there when sync() has returned. */
    vrt_status (*get_output)(void *ctx, int i, void *data, vrt__dtype dt, size_t nbytes, void *stream);
    /* Waits for work enqueued on stream (CPU: no-op). */
    vrt_status (*sync)(void *ctx, void *stream);
    /* Detail of the last failure (static or owned by ctx). */
    const char *(*last_error)(void *ctx);
    void (*destroy)(void *ctx);
    /* Optional: a second context over the weights of `base` (a context this
     * backend made with prepare for the same ir and plan): its own arena,
     * const region, scratch, stream and graphs; the weights (and any
     * converted copies of them) borrowed, not copied. base must outlive the
     * new context. NULL: the backend cannot share (vrt_engine_open_shared
     * says so). */
    vrt_status (*prepare_shared)(const void *base, const vrt__ir *ir, const vrt__plan *plan,
                                 const vrt__backend_params *params, void **ctx, char *err, size_t cap);
    /* Optional device members, for a caller that drives the model inside its
     * own stream work and graph (the session's frame path; engine/device.h).
     * NULL on a backend without a device (CPU); set all four or none.
     * stream: the context's stream (cudaStream_t), which the backend's
     * libraries are bound to. input_ptr / output_ptr: device address of
     * graph input / output i (index into ir->inputs / ir->outputs) in the
     * backend's own buffers, fp32, fixed for the context's life; *bytes gets
     * its size. enqueue: the model's non-const steps on stream, without the
     * backend's own graph, so the caller may capture them into its graph. */
    void *(*stream)(void *ctx);
    void *(*input_ptr)(void *ctx, int i, size_t *bytes);
    void *(*output_ptr)(void *ctx, int i, size_t *bytes);
    vrt_status (*enqueue)(void *ctx, void *stream);
    /* Optional (vrt_engine_input_buffer / vrt_engine_output_buffer): the
     * backend's own host buffer for graph input / output i, of the engine's
     * element type (FLOAT for FLOAT16 tensors), *bytes its size, fixed for
     * the context's life (CUDA: the page-locked staging). Given back to
     * set_input / get_output as the data, it is used without a host copy.
     * NULL members or result: none. */
    void *(*host_input)(void *ctx, int i, size_t *bytes);
    void *(*host_output)(void *ctx, int i, size_t *bytes);
    /* Optional introspection (vrt_engine_num_choices / vrt_engine_choice /
     * vrt_engine_precision): the per-step choices made at prepare (CUDA:
     * conv/gemm algorithm, workspace, measured time) as text lines, and the
     * precision the context runs in. NULL: nothing to report. */
    int (*n_choices)(const void *ctx);
    const char *(*choice)(const void *ctx, int i, char *buf, size_t cap);
    const char *(*precision)(const void *ctx, int *is_auto);
    /* Optional: the fp16 guard's kept nodes (vrt_engine_fp32_kept; i = -1: the summary). */
    int (*n_kept)(const void *ctx);
    const char *(*kept)(const void *ctx, int i, char *buf, size_t cap);
    /* Optional: what params.priority became (vrt_engine_stats): *value = the CUDA stream's
     * priority or the CPU workers' nice value; returns 1 when a HIGH request took effect. NULL:
     * the backend has no priorities (value 0, not applied). */
    int (*priority)(const void *ctx, int *value);
    /* Optional: one line counting the steps by storage, conversions and copies
     * (vrt_engine_step_summary). */
    const char *(*steps)(const void *ctx, char *buf, size_t cap);
} vrt__backend_iface;

extern const vrt__backend_iface vrt__backend_cpu;
/* Defined by the CUDA backend when built with it (weak: NULL otherwise). */
extern const vrt__backend_iface vrt__backend_cuda __attribute__((weak));
/* Number of CUDA devices (0 on error); defined next to vrt__backend_cuda. */
int vrt__cuda_device_count(void) __attribute__((weak));
/* cudaMemGetInfo of a device; defined next to vrt__backend_cuda. */
vrt_status vrt__cuda_mem_info(int device, size_t *free_bytes, size_t *total_bytes) __attribute__((weak));

/* Applies the documented environment overrides (core/options.h) to the
 * fields of o the caller left AUTO / NULL (engine/options.c). VRT_EINVAL with
 * the detail in err for a value the variable does not take. */
vrt_status vrt__engine_options_apply_env(vrt_engine_options *o, char *err, size_t cap);

/* Resolves o->memory_limit (0 = auto: CPU physical memory or the cgroup's
 * limit, CUDA the device's free memory; vrt/engine.h) in place and checks
 * the plan's arena, constants and the weights `be` copies against it, before
 * anything is allocated (engine/memory.c). VRT_ENOMEM with the sizes, the
 * inputs' shapes and the limit in err when they do not fit. */
vrt_status vrt__engine_check_memory(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_iface *be,
                                    int device, vrt_engine_options *o, char *err, size_t cap);

/* The bytes of the weights `be` holds a copy of (CUDA: all; CPU: those converted
 * to fp32); *largest = the largest arena tensor (-1: none). */
size_t vrt__engine_weight_copy_bytes(const vrt__ir *ir, const vrt__plan *plan, const vrt__backend_iface *be,
                                     int *largest);

/* Backend by name ("cpu", "cuda"); NULL when not built in. */
const vrt__backend_iface *vrt__backend_find(const char *name);

/* Engine over an already loaded IR (the conformance runner binds parameter
 * inputs as constants this way). Takes ownership of ir on success and
 * failure. Declared here to keep it out of the public header. */
struct vrt_engine;
struct vrt_engine_params;
vrt_status vrt__engine_open_ir(struct vrt__ir *ir, const struct vrt_engine_params *params,
                               struct vrt_engine **out, char *err, size_t cap);
/* The engine's IR and plan (for tests and `vrt inspect`). */
const vrt__ir *vrt__engine_ir(const struct vrt_engine *e);
const vrt__plan *vrt__engine_plan(const struct vrt_engine *e);
/* The engine's backend and its context (vrt/session.h drives the CUDA
 * backend's stream and tensors directly). */
const vrt__backend_iface *vrt__engine_backend(const struct vrt_engine *e);
void *vrt__engine_backend_ctx(const struct vrt_engine *e);

#endif
