/*
 * Private to the CPU backend: a broadcast iterator shared by the element-wise
 * kernels. Shapes are aligned to the output, size-1 output dims dropped and
 * adjacent dims merged where every input walks them contiguously, so the
 * common cases (same shape, per-channel bias, scalar) become one or two long
 * inner loops. The output is visited in segments of at most VRT__BC_BLOCK
 * elements; within a segment each input moves by a constant step (0 or 1).
 */
#ifndef VRT_CPU_BCAST_H
#define VRT_CPU_BCAST_H

#include "kernels.h"

#define VRT__BC_MAX_IN 10
#define VRT__BC_BLOCK 4096

typedef struct vrt__bcast {
    int nd;
    int nin;
    int64_t total;
    int64_t dim[VRT__MAX_DIMS];
    int64_t st[VRT__BC_MAX_IN][VRT__MAX_DIMS];
} vrt__bcast;

/* seg(ctx, out_offset, in_offsets[nin], in_steps[nin], len) */
typedef void (*vrt__bcast_seg_fn)(void *ctx, int64_t o, const int64_t *off, const int64_t *step, int64_t len);

/* VRT_EINVAL when an input does not broadcast to so. */
vrt_status vrt__bcast_init(vrt__bcast *b, const vrt__shape *so, int nin, const vrt__shape *const *ins);
/* Visits output elements [lo, hi). */
void vrt__bcast_range(const vrt__bcast *b, int64_t lo, int64_t hi, vrt__bcast_seg_fn seg, void *ctx);
/* Visits everything, over the pool when the work is large enough. */
void vrt__bcast_run(vrt__threadpool *tp, const vrt__bcast *b, vrt__bcast_seg_fn seg, void *ctx);

/* Splits [0, n) over the pool in contiguous chunks when n >= min_parallel. */
void vrt__parallel_ranges(vrt__threadpool *tp, int64_t n, int64_t min_parallel,
                          void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx);

#endif
