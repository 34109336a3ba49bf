/*
 * Private: what `vrt inspect --backend cuda` (and bench_engine) read from a
 * CUDA backend context, with no CUDA header needed by the caller. ctx is the
 * backend context (vrt__engine_backend_ctx() of an engine on "cuda"). Defined
 * in inspect.c.
 */
#ifndef VRT_CUDA_INSPECT_H
#define VRT_CUDA_INSPECT_H

#include <stddef.h>

#include "vrt/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Number of conv/gemm steps and a line per step: node, op, algorithm (or our
 * own kernel), workspace, time measured at the choice, layout conversions. */
int vrt__cuda_backend_n_engines(const void *ctx);
const char *vrt__cuda_backend_engine(const void *ctx, int i, char *buf, size_t cap);
/* One line: the steps run by storage (fp16 NHWC, fp16 rows, fp32), the
 * fp32<->fp16 conversions around them, the data-movement copies and the
 * element-wise steps left in fp32, each by op type (vrt_engine_step_summary). */
const char *vrt__cuda_backend_steps(const void *ctx, char *buf, size_t cap);
/* "fp16", "fp32" or "tf32", and whether the "auto" rule chose it. */
const char *vrt__cuda_backend_math(const void *ctx, int *is_auto);
/* The fp16 guard's kept nodes and (i = -1) its summary (fp16_guard.c). */
int vrt__cuda_backend_n_kept(const void *ctx);
const char *vrt__cuda_backend_kept(const void *ctx, int i, char *buf, size_t cap);
/* Debugging (bench_engine --profile): runs every step once eagerly on stream
 * (a cudaStream_t) with events around each: ms[i] per node (-1: not run),
 * half[i] (may be NULL) = 1 ran on fp16 NHWC, 2 on our implicit-GEMM conv, 3 on
 * fp16 rows; n >= the node count. Creates
 * events and synchronises: not for the frame path. */
int vrt__cuda_backend_profile(void *ctx, void *stream, float *ms, int *half, int n);

/* Statistics of a prepared context. */
typedef struct vrt__cuda_backend_stats {
    int cache_hits, cache_misses; /* cuDNN algorithm choices read from / missing in the disk cache */
    double choose_ms;             /* time spent choosing algorithms at prepare */
    int graphs_enabled, graph_active;
    const char *math; /* "fp32", "tf32", "fp16" */
    size_t workspace_bytes, lt_workspace_bytes, scratch_bytes;
    char cache_path[1024];
    int pdl; /* programmatic dependent launch on for our fp16 kernels */
    int own_convs, inplace_concats,
        focus_elided; /* convs on our igemm, Concats elided, Focus steps not run */
    int adds_fused;   /* residual Adds done in their conv's epilogue (option add_epilogue) */
    int dw_fused;     /* depthwise convs computed inside the 1x1 conv after them (option dw_pointwise) */
} vrt__cuda_backend_stats;
void vrt__cuda_backend_info(const void *ctx, vrt__cuda_backend_stats *st);

#ifdef __cplusplus
}
#endif

#endif
