/* Broadcast iterator and range splitting shared by the element-wise kernels. */
#include "bcast.h"

void vrt__bcast_range(const vrt__bcast *b, int64_t lo, int64_t hi, vrt__bcast_seg_fn seg, void *ctx) {
    if (lo >= hi) return;
    int nd = b->nd, nin = b->nin;
    int64_t idx[VRT__MAX_DIMS];
    int64_t off[VRT__BC_MAX_IN] = {0}, step[VRT__BC_MAX_IN];
    int64_t r = lo;
    for (int i = nd - 1; i >= 0; i--) {
        idx[i] = r % b->dim[i];
        r /= b->dim[i];
    }
    for (int k = 0; k < nin; k++) {
        step[k] = b->st[k][nd - 1];
        for (int i = 0; i < nd; i++)
            off[k] += idx[i] * b->st[k][i];
    }
    int64_t inner = b->dim[nd - 1];
    int64_t o = lo;
    while (o < hi) {
        int64_t len = inner - idx[nd - 1];
        if (len > hi - o) len = hi - o;
        if (len > VRT__BC_BLOCK) len = VRT__BC_BLOCK;
        seg(ctx, o, off, step, len);
        o += len;
        idx[nd - 1] += len;
        for (int k = 0; k < nin; k++)
            off[k] += len * step[k];
        /* carry */
        for (int i = nd - 1; i > 0 && idx[i] == b->dim[i]; i--) {
            idx[i] = 0;
            idx[i - 1]++;
            for (int k = 0; k < nin; k++)
                off[k] += b->st[k][i - 1] - b->dim[i] * b->st[k][i];
        }
    }
}

typedef struct {
    const vrt__bcast *b;
    vrt__bcast_seg_fn seg;
    void *ctx;
} vrt__bcast_job;

static void vrt__bcast_chunk(void *ctx, int64_t lo, int64_t hi) {
    vrt__bcast_job *j = ctx;
    vrt__bcast_range(j->b, lo, hi, j->seg, j->ctx);
}

void vrt__bcast_run(vrt__threadpool *tp, const vrt__bcast *b, vrt__bcast_seg_fn seg, void *ctx) {
    vrt__bcast_job j = {b, seg, ctx};
    vrt__parallel_ranges(tp, b->total, 1 << 15, vrt__bcast_chunk, &j);
}

typedef struct {
    int64_t n, chunks;
    void (*fn)(void *, int64_t, int64_t);
    void *ctx;
} vrt__ranges_job;

static void vrt__ranges_task(void *arg, int64_t i) {
    vrt__ranges_job *j = arg;
    int64_t lo = j->n * i / j->chunks, hi = j->n * (i + 1) / j->chunks;
    j->fn(j->ctx, lo, hi);
}

void vrt__parallel_ranges(vrt__threadpool *tp, int64_t n, int64_t min_parallel,
                          void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx) {
    if (n <= 0) return;
    int nt = tp ? vrt__threadpool_size(tp) : 1;
    if (nt <= 1 || n < min_parallel) {
        fn(ctx, 0, n);
        return;
    }
    int64_t chunks = (int64_t)nt * 4;
    if (chunks > n) chunks = n;
    vrt__ranges_job j = {n, chunks, fn, ctx};
    vrt__parallel_for(tp, chunks, vrt__ranges_task, &j);
}
