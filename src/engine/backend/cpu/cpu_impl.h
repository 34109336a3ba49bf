/*
 * Private to the CPU backend: its context and its kernel table (one entry
 * per op family, engine/step.h). backend_cpu.c holds the interface
 * (prepare, I/O, run), cpu_steps.c the per-family kernels.
 */
#ifndef VRT_ENGINE_CPU_IMPL_H
#define VRT_ENGINE_CPU_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/backend.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/step.h"

typedef struct vrt__cpu_ctx {
    const vrt__ir *ir;
    const vrt__plan *plan;
    vrt__threadpool *tp;
    uint8_t *arena, *consts, *scratch;             /* VRT__PLAN_ALIGN-aligned inside the blocks below */
    uint8_t *arena_raw, *consts_raw, *scratch_raw; /* the allocations (freed at destroy) */
    size_t scratch_bytes;
    float **wcopies; /* fp32 copies of fp16 weights, per tensor (NULL otherwise) */
    uint8_t **ptr;   /* per tensor */
    float **wpack;   /* per step: Conv weights packed for the fast path at prepare (NULL: none) */
    int wpack_own;   /* 1: wpack[] allocated here; 0: the base context's (prepare_shared) */
    vrt__step *steps;
    int n_steps;
    double *prof_ns;     /* option profile_ops: time per step summed over runs (NULL when off) */
    double *prof_min_ns; /* option profile_ops: the step's fastest run */
    int64_t prof_runs;
    int prio_nice;    /* the workers' nice value after params.priority (0: unchanged) */
    int prio_applied; /* 1: a HIGH priority took effect on every worker */
    char err[512];
} vrt__cpu_ctx;

/* The CPU kernels by op family (cpu_steps.c). */
extern const vrt__step_kernel vrt__cpu_kernels[VRT__FAM_COUNT];

/* The quantization families (quant.c). */
vrt_status vrt__cpu_quant(void *c, const vrt__step *s, void *stream);
vrt_status vrt__cpu_qconv(void *c, const vrt__step *s, void *stream);
size_t vrt__cpu_qconv_scratch(void *c, const vrt__step *s);
vrt_status vrt__cpu_qmatmul(void *c, const vrt__step *s, void *stream);

#endif
