/*
 * Private to the CPU backend: the broadcast iterator shared by the
 * element-wise kernels, over a vrt__bcast (model/dtype.h). The output is
 * visited in segments of at most VRT__BC_BLOCK elements; within a segment
 * each input moves by a constant step (0 or 1).
 */
#ifndef VRT_CPU_BCAST_H
#define VRT_CPU_BCAST_H

#include "kernels.h"

#define VRT__BC_BLOCK 4096

/* The broadcast itself (vrt__bcast, vrt__bcast_init) is in model/dtype.h. */

/* seg(ctx, out_offset, in_offsets[nin], in_steps[nin], len) */
typedef void (*vrt__bcast_seg_fn)(void *ctx, int64_t o, const int64_t *off, const int64_t *step, int64_t len);

/* Visits output elements [lo, hi). */
void vrt__bcast_range(const vrt__bcast *b, int64_t lo, int64_t hi, vrt__bcast_seg_fn seg, void *ctx);
/* Visits everything, over the pool when the work is large enough. */
void vrt__bcast_run(vrt__threadpool *tp, const vrt__bcast *b, vrt__bcast_seg_fn seg, void *ctx);

/* Splits [0, n) over the pool in contiguous chunks when n >= min_parallel. */
void vrt__parallel_ranges(vrt__threadpool *tp, int64_t n, int64_t min_parallel,
                          void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx);

#endif
