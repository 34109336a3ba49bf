/* Per-box depth medians on the device (cuda/session_parallel.h). */
#include "pipeline/cuda/session_parallel.h"
#include "vision/dense.h"

#define OD_THREADS 256

typedef struct od_box {
    const uint8_t *base;
    size_t stride;
    int x0, y0, w, n; /* n = w * height of the box */
} od_box;

/* Valid (non-NaN) pixels of the box, summed over the block. */
static __device__ int od_count(const od_box *b, int *red) {
    int c = 0;
    for (int p = threadIdx.x; p < b->n; p += OD_THREADS) {
        const float *row = (const float *)(b->base + (size_t)(b->y0 + p / b->w) * b->stride);
        c += !isnan(row[b->x0 + p % b->w]);
    }
    for (int o = 16; o; o >>= 1)
        c += __shfl_down_sync(0xffffffffu, c, o);
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = c;
    __syncthreads();
    int n = 0;
    for (int i = 0; i < OD_THREADS / 32; i++)
        n += red[i];
    __syncthreads();
    return n;
}

/* The value of rank k among the valid pixels (result.c's select_rank). */
static __device__ float od_select(const od_box *b, long long k, unsigned *hist, long long *sh) {
    uint32_t prefix = 0, mask = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int i = threadIdx.x; i < 256; i += OD_THREADS)
            hist[i] = 0;
        __syncthreads();
        for (int p = threadIdx.x; p < b->n; p += OD_THREADS) {
            const float v =
                ((const float *)(b->base + (size_t)(b->y0 + p / b->w) * b->stride))[b->x0 + p % b->w];
            if (isnan(v)) continue;
            const uint32_t key = vrt__dn_fkey(v);
            if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            int d = 0;
            while (d < 255 && k >= (long long)hist[d])
                k -= hist[d++];
            sh[0] = k;
            sh[1] = d;
        }
        __syncthreads();
        k = sh[0];
        prefix |= (uint32_t)sh[1] << shift;
        mask |= 255u << shift;
        __syncthreads();
    }
    return vrt__dn_keyf(prefix);
}

static __global__ void vrt__k_object_depth(const vrt_detections *det, const vrt__depth_stats *st,
                                           const uint8_t *raw, size_t stride, int w, int h,
                                           vrt__object_depth *out) {
    __shared__ unsigned hist[256];
    __shared__ long long sh[2];
    __shared__ int red[OD_THREADS / 32];
    int count = det->count;
    count = count < 0 ? 0 : count > VRT_DETECT_MAX ? VRT_DETECT_MAX : count;
    if (blockIdx.x == 0 && threadIdx.x == 0) out->n = count;
    const int i = blockIdx.x;
    if (i >= count) return;
    od_box b;
    int x0, y0, x1, y1;
    const vrt_box box = det->det[i].box;
    vrt__dn_box_pixels(&box, w, h, &x0, &y0, &x1, &y1);
    b.base = raw;
    b.stride = stride;
    b.x0 = x0;
    b.y0 = y0;
    b.w = x1 - x0;
    b.n = b.w * (y1 - y0);
    const int n = b.n > 0 ? od_count(&b, red) : 0;
    if (n == 0) {
        if (threadIdx.x == 0) out->raw[i] = out->norm[i] = __int_as_float(0x7fc00000);
        return;
    }
    float med = od_select(&b, (n - 1) / 2, hist, sh);
    if (n % 2 == 0) med = (float)(((double)med + (double)od_select(&b, n / 2, hist, sh)) / 2.0);
    if (threadIdx.x == 0) {
        out->raw[i] = med;
        out->norm[i] = vrt__dense_norm(med, st->min, st->max);
    }
}

extern "C" cudaError_t vrt__object_depth_launch(const void *det, const void *depth, size_t raw_offset,
                                                size_t stride, int w, int h, vrt__object_depth *out,
                                                cudaStream_t s) {
    vrt__k_object_depth<<<VRT_DETECT_MAX, OD_THREADS, 0, s>>>(
        (const vrt_detections *)det, (const vrt__depth_stats *)depth, (const uint8_t *)depth + raw_offset,
        stride, w, h, out);
    return cudaGetLastError();
}
