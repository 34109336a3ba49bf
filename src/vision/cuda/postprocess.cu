/* Softmax + top-k per row on the GPU: one block per row. Each thread keeps
 * the top k of its strided share in the CPU twin's total order (value
 * descending, NaN lowest, ties: lower index first), then the block merges
 * the per-thread lists pairwise. The order is a total order, so the result
 * is vrt_topk's, whatever the merge tree. */
#include <cuda_fp16.h>
#include <math.h>

#include "vision/cuda/vision_cuda.h"

#define VRT__TOPK_THREADS 128
#define VRT__TOPK_K 32

/* a ranks before b (values va, vb; indices ia, ib). */
static __device__ __forceinline__ bool vrt__d_better(float a, float b) {
    if (isnan(a)) return false;
    if (isnan(b)) return true;
    return a > b;
}
static __device__ __forceinline__ bool vrt__d_before(float va, int ia, float vb, int ib) {
    return vrt__d_better(va, vb) || (!vrt__d_better(vb, va) && ia < ib);
}

static __device__ __forceinline__ float vrt__d_score(const void *s, int dtype, size_t i) {
    return dtype == VRT_TENSOR_F16 ? __half2float(((const __half *)s)[i]) : ((const float *)s)[i];
}

static __global__ void __launch_bounds__(VRT__TOPK_THREADS)
    vrt__k_topk(const void *scores, int dtype, int n, int k, int softmax, vrt_class_result *out) {
    __shared__ float sv[VRT__TOPK_THREADS][VRT__TOPK_K];
    __shared__ int si[VRT__TOPK_THREADS][VRT__TOPK_K];
    __shared__ int sc[VRT__TOPK_THREADS];
    __shared__ double red[VRT__TOPK_THREADS];
    const int t = threadIdx.x;
    const size_t row = blockIdx.x;
    const size_t base = row * (size_t)n;
    const int kk = k < n ? k : n;

    /* Per-thread top kk, insertion as in vrt_topk (ascending indices). */
    int cnt = 0;
    for (int i = t; i < n; i += VRT__TOPK_THREADS) {
        float v = vrt__d_score(scores, dtype, base + (size_t)i);
        if (cnt == kk && !vrt__d_better(v, sv[t][cnt - 1])) continue;
        int j = cnt < kk ? cnt++ : kk - 1;
        while (j > 0 && vrt__d_better(v, sv[t][j - 1])) {
            sv[t][j] = sv[t][j - 1];
            si[t][j] = si[t][j - 1];
            j--;
        }
        sv[t][j] = v;
        si[t][j] = i;
    }
    sc[t] = cnt;
    __syncthreads();

    /* Pairwise merge: list t absorbs list t + s. */
    for (int s = 1; s < VRT__TOPK_THREADS; s <<= 1) {
        if ((t % (2 * s)) == 0) {
            float mv[VRT__TOPK_K];
            int mi[VRT__TOPK_K];
            const int o = t + s, na = sc[t], nb = sc[o];
            int a = 0, b = 0, m = 0;
            while (m < kk && (a < na || b < nb)) {
                bool take_a = b >= nb || (a < na && vrt__d_before(sv[t][a], si[t][a], sv[o][b], si[o][b]));
                if (take_a) {
                    mv[m] = sv[t][a];
                    mi[m++] = si[t][a++];
                } else {
                    mv[m] = sv[o][b];
                    mi[m++] = si[o][b++];
                }
            }
            for (int j = 0; j < m; j++) {
                sv[t][j] = mv[j];
                si[t][j] = mi[j];
            }
            sc[t] = m;
        }
        __syncthreads();
    }

    vrt_class_result *r = &out[row];
    const int total = sc[0];
    double mx = -INFINITY, sum = 0.0;
    if (softmax) {
        /* As vrt_topk: max over non-NaN values, sum of exp(v - max) in double. */
        double m = -INFINITY;
        for (int i = t; i < n; i += VRT__TOPK_THREADS) {
            float v = vrt__d_score(scores, dtype, base + (size_t)i);
            if (!isnan(v) && (double)v > m) m = v;
        }
        red[t] = m;
        __syncthreads();
        for (int s = VRT__TOPK_THREADS / 2; s > 0; s >>= 1) {
            if (t < s && red[t + s] > red[t]) red[t] = red[t + s];
            __syncthreads();
        }
        mx = red[0];
        __syncthreads();
        double acc = 0.0;
        for (int i = t; i < n; i += VRT__TOPK_THREADS) {
            float v = vrt__d_score(scores, dtype, base + (size_t)i);
            if (!isnan(v)) acc += exp(__dsub_rn((double)v, mx));
        }
        red[t] = acc;
        __syncthreads();
        for (int s = VRT__TOPK_THREADS / 2; s > 0; s >>= 1) {
            if (t < s) red[t] = __dadd_rn(red[t], red[t + s]);
            __syncthreads();
        }
        sum = red[0];
    }
    for (int j = t; j < total; j += VRT__TOPK_THREADS) {
        float v = sv[0][j];
        if (softmax)
            v = isnan(v) || !(sum > 0.0) ? 0.0f
                                         : __double2float_rn(__ddiv_rn(exp(__dsub_rn((double)v, mx)), sum));
        r->index[j] = si[0][j];
        r->score[j] = v;
    }
    if (t == 0) r->count = total;
}

extern "C" cudaError_t vrt__cuda_topk_launch(const void *scores, vrt_tensor_type dtype, int rows, int n,
                                             int k, int softmax, vrt_class_result *out, cudaStream_t s) {
    vrt__k_topk<<<(unsigned)rows, VRT__TOPK_THREADS, 0, s>>>(scores, (int)dtype, n, k, softmax, out);
    return cudaGetLastError();
}
