/*
 * Private: conventions shared by the CPU reference kernels.
 *
 * A kernel is a plain function over dense, row-major (C order) buffers with
 * explicit shapes. Kernels never allocate: scratch memory (im2col buffers,
 * ...) is passed in by the caller, whose size the kernel's *_scratch()
 * function reports at plan time. Kernels return vrt_status for bad shapes or
 * attributes (VRT_EINVAL / VRT_EUNSUPPORTED), never assert on input data.
 * Element types, shapes and the op parameter structs are the op vocabulary
 * of model/dtype.h and model/op_params.h.
 *
 * Threading: a kernel may split its work over the thread pool in `ctx`
 * (NULL = single-threaded).
 */
#ifndef VRT_CPU_KERNELS_H
#define VRT_CPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "model/dtype.h"
#include "vrt/core.h"
#include "vrt/thread.h"

/* Thread pool for kernels: runs fn(arg, i) for i in [0, n) over the pool's
 * threads and waits. Created once at backend prepare. */
typedef struct vrt__threadpool vrt__threadpool;
vrt_status vrt__threadpool_create(vrt__threadpool **out, int nthreads);
void vrt__threadpool_destroy(vrt__threadpool **tp);
int vrt__threadpool_size(const vrt__threadpool *tp);
/* Raises every worker thread to prio (vrt/thread.h: HIGH = nice VRT_PRIORITY_HIGH_NICE; NORMAL: no
 * change); *nice_out (may be NULL) gets the workers' nice value, 0 when unchanged. VRT_EPERM with
 * the detail in err when the process may not (the workers keep their priority). The calling thread,
 * which works too, is the caller's to raise. */
vrt_status vrt__threadpool_set_priority(vrt__threadpool *tp, vrt_priority prio, int *nice_out, char *err,
                                        size_t cap);
void vrt__parallel_for(vrt__threadpool *tp, int64_t n, void (*fn)(void *arg, int64_t i), void *arg);

#endif
