/* CUDA twins of the CPU ReduceX, Softmax/LogSoftmax, ArgMax/ArgMin and TopK.
 * Sums accumulate in double as on the CPU; only the order differs. */
#include <math.h>
#include <string.h>

#include "engine/backend/cuda/eltwise.h"
#include "engine/backend/cuda/reduce.h"
#include "engine/backend/cuda/cuda_kernels_impl.cuh"

static vrt_status vrt__cuk_no_stream(const char *op) {
    return VRT__CUK_FAIL(op, VRT_EINVAL,
                         "no stream given (the default stream is not used; pass a cudaStream_t)");
}

static int vrt__norm_axis(int64_t axis, int ndim, int *out) {
    if (axis < -ndim || axis >= ndim) return 1;
    *out = (int)(axis < 0 ? axis + ndim : axis);
    return 0;
}

/* ---- ReduceX ---------------------------------------------------------------------- */

struct vrt__cuk_red {
    int op, nk, nr;
    int64_t kd[VRT__MAX_DIMS], ks[VRT__MAX_DIMS];
    int64_t rd[VRT__MAX_DIMS], rs[VRT__MAX_DIMS];
    int64_t rn, nout;
};

__device__ __forceinline__ int64_t vrt__cuk_red_base(const vrt__cuk_red &j, int64_t o) {
    int64_t r = o, off = 0;
    for (int i = j.nk - 1; i >= 0; i--) {
        off += (r % j.kd[i]) * j.ks[i];
        r /= j.kd[i];
    }
    return off;
}

__device__ __forceinline__ int64_t vrt__cuk_red_off(const vrt__cuk_red &j, int64_t r) {
    int64_t off = 0;
    for (int i = j.nr - 1; i >= 0; i--) {
        off += (r % j.rd[i]) * j.rs[i];
        r /= j.rd[i];
    }
    return off;
}

__device__ __forceinline__ double vrt__cuk_red_init(int op) {
    switch (op) {
    case VRT__RED_MAX: return -INFINITY;
    case VRT__RED_MIN: return INFINITY;
    case VRT__RED_PROD: return 1.0;
    default: return 0.0;
    }
}

/* Folds one value into the accumulator (m: the max for LogSumExp). */
__device__ __forceinline__ double vrt__cuk_red_step(int op, double acc, float x, float m) {
    double v = x;
    switch (op) {
    case VRT__RED_MAX: return (v > acc || v != v) ? v : acc;
    case VRT__RED_MIN: return (v < acc || v != v) ? v : acc;
    case VRT__RED_PROD: return acc * v;
    case VRT__RED_L1: return acc + fabs(v);
    case VRT__RED_L2:
    case VRT__RED_SUM_SQUARE: return acc + __dmul_rn(v, v);
    case VRT__RED_LOG_SUM_EXP: return acc + exp(v - (double)m);
    default: return acc + v;
    }
}

__device__ __forceinline__ double vrt__cuk_red_combine(int op, double a, double b) {
    switch (op) {
    case VRT__RED_MAX: return (a != a) ? a : ((b > a || b != b) ? b : a);
    case VRT__RED_MIN: return (a != a) ? a : ((b < a || b != b) ? b : a);
    case VRT__RED_PROD: return a * b;
    default: return a + b;
    }
}

__device__ __forceinline__ float vrt__cuk_red_final(const vrt__cuk_red &j, double acc, float m) {
    switch (j.op) {
    case VRT__RED_MEAN: return (float)(acc / (double)j.rn);
    case VRT__RED_L2: return (float)sqrt(acc);
    case VRT__RED_LOG_SUM_EXP: return (float)(log(acc) + m);
    default: return (float)acc;
    }
}

/* One thread per output, visiting its elements in the CPU's order. */
__global__ void vrt__k_reduce_thread(const float *x, float *y, vrt__cuk_red j) {
    VRT__CUK_GRID_LOOP(o, j.nout) {
        const float *base = x + vrt__cuk_red_base(j, o);
        double acc = vrt__cuk_red_init(j.op);
        if (j.rn == 0) {
            y[o] = j.op == VRT__RED_LOG_SUM_EXP ? -INFINITY : (float)acc;
            continue;
        }
        float m = -INFINITY;
        if (j.op == VRT__RED_LOG_SUM_EXP) {
            for (int64_t r = 0; r < j.rn; r++) {
                float v = base[vrt__cuk_red_off(j, r)];
                m = (v > m || v != v) ? v : m;
            }
            if (isinf(m) || m != m) {
                y[o] = m;
                continue;
            }
        }
        for (int64_t r = 0; r < j.rn; r++)
            acc = vrt__cuk_red_step(j.op, acc, base[vrt__cuk_red_off(j, r)], m);
        y[o] = vrt__cuk_red_final(j, acc, m);
    }
}

__device__ double vrt__cuk_block_combine(int op, double v, double *sh) {
    for (int s = 16; s > 0; s >>= 1)
        v = vrt__cuk_red_combine(op, v, __shfl_xor_sync(0xffffffffu, v, s));
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? sh[lane] : vrt__cuk_red_init(op == VRT__RED_LOG_SUM_EXP ? VRT__RED_SUM : op);
        for (int s = 16; s > 0; s >>= 1)
            v = vrt__cuk_red_combine(op, v, __shfl_xor_sync(0xffffffffu, v, s));
        if (lane == 0) sh[0] = v;
    }
    __syncthreads();
    double r = sh[0];
    __syncthreads();
    return r;
}

/* One block per output (long reductions). */
__global__ void vrt__k_reduce_block(const float *x, float *y, vrt__cuk_red j) {
    __shared__ double sh[32];
    for (int64_t o = blockIdx.x; o < j.nout; o += gridDim.x) {
        const float *base = x + vrt__cuk_red_base(j, o);
        float m = -INFINITY;
        if (j.op == VRT__RED_LOG_SUM_EXP) {
            double mm = -INFINITY;
            for (int64_t r = threadIdx.x; r < j.rn; r += blockDim.x)
                mm = vrt__cuk_red_step(VRT__RED_MAX, mm, base[vrt__cuk_red_off(j, r)], 0.0f);
            m = (float)vrt__cuk_block_combine(VRT__RED_MAX, mm, sh);
            if (isinf(m) || m != m) {
                if (threadIdx.x == 0) y[o] = m;
                continue;
            }
        }
        double acc = vrt__cuk_red_init(j.op);
        for (int64_t r = threadIdx.x; r < j.rn; r += blockDim.x)
            acc = vrt__cuk_red_step(j.op, acc, base[vrt__cuk_red_off(j, r)], m);
        acc = vrt__cuk_block_combine(j.op, acc, sh);
        if (threadIdx.x == 0) y[o] = vrt__cuk_red_final(j, acc, m);
    }
}

extern "C" vrt_status vrt__cuda_reduce_f32(void *stream, const vrt__reduce_params *p, const float *x,
                                           const vrt__shape *sx, float *y) {
    vrt__shape so;
    vrt_status st = vrt__reduce_out_shape(p, sx, &so);
    if (st) return VRT__CUK_FAIL("Reduce", st, "bad op, axes (duplicates or out of range) or shape");
    if (!stream) return vrt__cuk_no_stream("Reduce");
    int64_t n = vrt__shape_numel(sx);
    if (n < 0) return VRT__CUK_FAIL("Reduce", VRT_EINVAL, "bad shape");
    if (p->naxes == 0 && p->noop_with_empty_axes)
        return vrt__cuda_copy(stream, x, y, (size_t)n * sizeof(float));
    int red[VRT__MAX_DIMS] = {0};
    if (p->naxes == 0) {
        for (int i = 0; i < sx->ndim; i++)
            red[i] = 1;
    } else {
        for (int i = 0; i < p->naxes; i++) {
            int a = 0;
            vrt__norm_axis(p->axes[i], sx->ndim, &a);
            red[a] = 1;
        }
    }
    vrt__cuk_red j;
    memset(&j, 0, sizeof(j));
    j.op = p->op;
    j.rn = 1;
    int64_t stride[VRT__MAX_DIMS], s = 1;
    for (int i = sx->ndim - 1; i >= 0; i--) {
        stride[i] = s;
        s *= sx->d[i];
    }
    int prev = -1;
    for (int i = 0; i < sx->ndim; i++) {
        int64_t d = sx->d[i];
        if (red[i]) j.rn *= d;
        if (d == 1) continue;
        int kind = red[i];
        if (kind && j.nr > 0 && prev == 1 && j.rs[j.nr - 1] == stride[i] * d) {
            j.rd[j.nr - 1] *= d;
            j.rs[j.nr - 1] = stride[i];
        } else if (!kind && j.nk > 0 && prev == 0 && j.ks[j.nk - 1] == stride[i] * d) {
            j.kd[j.nk - 1] *= d;
            j.ks[j.nk - 1] = stride[i];
        } else if (kind) {
            j.rd[j.nr] = d;
            j.rs[j.nr++] = stride[i];
        } else {
            j.kd[j.nk] = d;
            j.ks[j.nk++] = stride[i];
        }
        prev = kind;
    }
    j.nout = 1;
    for (int i = 0; i < j.nk; i++)
        j.nout *= j.kd[i];
    if (j.rn == 0) {
        j.nr = 0;
    } else if (n == 0) {
        return VRT_OK;
    }
    cudaStream_t cs = vrt__cuk_stream(stream);
    if (j.rn >= 512 && j.nout < 65536) {
        unsigned g = (unsigned)(j.nout < 65535 ? j.nout : 65535);
        vrt__k_reduce_block<<<g, VRT__CUK_THREADS, 0, cs>>>(x, y, j);
    } else {
        vrt__k_reduce_thread<<<vrt__cuk_blocks(j.nout), VRT__CUK_THREADS, 0, cs>>>(x, y, j);
    }
    return VRT__CUK_CHECK("Reduce");
}

/* ---- Softmax / LogSoftmax ------------------------------------------------------------ */

/* One thread per lane (short rows), as the CPU computes one lane. */
__global__ void vrt__k_softmax_thread(const float *x, float *y, int64_t lanes, int64_t n, int64_t inner,
                                      int lg) {
    VRT__CUK_GRID_LOOP(lane, lanes) {
        int64_t o = lane / inner, in = lane % inner;
        const float *xp = x + o * n * inner + in;
        float *yp = y + o * n * inner + in;
        float m = -INFINITY;
        for (int64_t i = 0; i < n; i++)
            if (xp[i * inner] > m) m = xp[i * inner];
        double sum = 0;
        if (lg) {
            for (int64_t i = 0; i < n; i++)
                sum += exp((double)xp[i * inner] - m);
            float ls = (float)log(sum);
            for (int64_t i = 0; i < n; i++)
                yp[i * inner] = __fsub_rn(__fsub_rn(xp[i * inner], m), ls);
        } else {
            for (int64_t i = 0; i < n; i++) {
                float e = expf(__fsub_rn(xp[i * inner], m));
                yp[i * inner] = e;
                sum += e;
            }
            float inv = (float)(1.0 / sum);
            for (int64_t i = 0; i < n; i++)
                yp[i * inner] = __fmul_rn(yp[i * inner], inv);
        }
    }
}

/* One block per lane (long rows). */
__global__ void vrt__k_softmax_block(const float *x, float *y, int64_t lanes, int64_t n, int64_t inner,
                                     int lg) {
    __shared__ double sh[32];
    for (int64_t lane = blockIdx.x; lane < lanes; lane += gridDim.x) {
        int64_t o = lane / inner, in = lane % inner;
        const float *xp = x + o * n * inner + in;
        float *yp = y + o * n * inner + in;
        float m = -INFINITY;
        for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
            if (xp[i * inner] > m) m = xp[i * inner];
        /* max of floats through the double combine: -inf init, no NaN (ignored as on the CPU) */
        m = (float)vrt__cuk_block_combine(VRT__RED_MAX, (double)m, sh);
        double sum = 0;
        if (lg) {
            for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
                sum += exp((double)xp[i * inner] - m);
            sum = vrt__cuk_block_combine(VRT__RED_SUM, sum, sh);
            float ls = (float)log(sum);
            for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
                yp[i * inner] = __fsub_rn(__fsub_rn(xp[i * inner], m), ls);
        } else {
            for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
                sum += (double)expf(__fsub_rn(xp[i * inner], m));
            sum = vrt__cuk_block_combine(VRT__RED_SUM, sum, sh);
            float inv = (float)(1.0 / sum);
            for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
                yp[i * inner] = __fmul_rn(expf(__fsub_rn(xp[i * inner], m)), inv);
        }
    }
}

extern "C" vrt_status vrt__cuda_softmax_f32(void *stream, const vrt__softmax_params *p, const float *x,
                                            const vrt__shape *sx, float *y) {
    if (!stream) return vrt__cuk_no_stream("Softmax");
    int nd = sx->ndim, axis = 0;
    if (nd == 0) {
        float one = p->log ? 0.0f : 1.0f;
        return vrt__cuda_fill(stream, &one, sizeof(float), y, 1);
    }
    if (vrt__norm_axis(p->axis, nd, &axis)) return VRT__CUK_FAIL("Softmax", VRT_EINVAL, "axis out of range");
    int64_t outer = 1, n = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= sx->d[i];
    if (p->legacy) {
        for (int i = axis; i < nd; i++)
            n *= sx->d[i];
    } else {
        n = sx->d[axis];
        for (int i = axis + 1; i < nd; i++)
            inner *= sx->d[i];
    }
    if (n == 0 || outer * inner == 0) return VRT_OK;
    int64_t lanes = outer * inner;
    cudaStream_t cs = vrt__cuk_stream(stream);
    if (n >= 256 && lanes < 65536 * 4)
        vrt__k_softmax_block<<<(unsigned)(lanes < 65535 ? lanes : 65535), VRT__CUK_THREADS, 0, cs>>>(
            x, y, lanes, n, inner, p->log);
    else
        vrt__k_softmax_thread<<<vrt__cuk_blocks(lanes), VRT__CUK_THREADS, 0, cs>>>(x, y, lanes, n, inner,
                                                                                   p->log);
    return VRT__CUK_CHECK(p->log ? "LogSoftmax" : "Softmax");
}

/* ---- ArgMax / ArgMin --------------------------------------------------------------------- */

__global__ void vrt__k_argmax(const float *x, int64_t *y, int64_t lanes, int64_t n, int64_t inner, int is_min,
                              int last) {
    VRT__CUK_GRID_LOOP(lane, lanes) {
        int64_t o = lane / inner, in = lane % inner;
        const float *v = x + o * n * inner + in;
        int64_t best = 0;
        float bv = v[0];
        for (int64_t i = 1; i < n; i++) {
            float c = v[i * inner];
            int better = is_min ? (c < bv) : (c > bv);
            if (better || (last && c == bv)) {
                best = i;
                bv = c;
            }
        }
        y[lane] = best;
    }
}

extern "C" vrt_status vrt__cuda_argmax_f32(void *stream, const vrt__argmax_params *p, const float *x,
                                           const vrt__shape *sx, int64_t *y) {
    int axis = 0;
    if (vrt__norm_axis(p->axis, sx->ndim, &axis))
        return VRT__CUK_FAIL("ArgMax", VRT_EINVAL, "axis out of range");
    if (!stream) return vrt__cuk_no_stream("ArgMax");
    int64_t outer = 1, n = sx->d[axis], inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= sx->d[i];
    for (int i = axis + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    if (n == 0 && outer * inner > 0)
        return VRT__CUK_FAIL("ArgMax", VRT_EINVAL, "empty axis: no element to pick");
    int64_t lanes = outer * inner;
    if (lanes == 0) return VRT_OK;
    vrt__k_argmax<<<vrt__cuk_blocks(lanes), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(
        x, y, lanes, n, inner, p->is_min, p->select_last_index);
    return VRT__CUK_CHECK(p->is_min ? "ArgMin" : "ArgMax");
}

/* ---- TopK --------------------------------------------------------------------------------- */

/* 1 when (a, i) ranks before (b, j): the CPU twins' order (vrt__cpu_topk_f32,
 * vrt__cpu_topk_int: by value, ties by the lower index; NaN as in the float
 * twin). Integers compare as themselves, which is the order of the CPU's keys. */
__device__ __forceinline__ bool vrt__cuk_topk_before(float a, int64_t i, float b, int64_t j, int largest) {
    bool an = a != a, bn = b != b;
    if (an || bn) {
        if (an && bn) return i < j;
        return largest ? an : bn;
    }
    if (a != b) return largest ? a > b : a < b;
    return i < j;
}

template <typename T>
__device__ __forceinline__ bool vrt__cuk_topk_before(T a, int64_t i, T b, int64_t j, int largest) {
    if (a != b) return largest ? a > b : a < b;
    return i < j;
}

#define VRT__CUK_TOPK_THREADS 256

/* One block per lane; round r picks the best element ranked after pick r-1. */
template <typename T>
__global__ void vrt__k_topk(const T *x, T *values, int64_t *indices, int64_t lanes, int64_t n, int64_t inner,
                            int64_t k, int largest) {
    __shared__ T sv[VRT__CUK_TOPK_THREADS];
    __shared__ int64_t si[VRT__CUK_TOPK_THREADS];
    for (int64_t lane = blockIdx.x; lane < lanes; lane += gridDim.x) {
        int64_t o = lane / inner, in = lane % inner;
        const T *v = x + o * n * inner + in;
        T *vo = values + o * k * inner + in;
        int64_t *io = indices ? indices + o * k * inner + in : NULL;
        T pv = (T)0;
        int64_t pi = -1;
        for (int64_t r = 0; r < k; r++) {
            T bv = (T)0;
            int64_t bi = -1;
            for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
                T c = v[i * inner];
                if (pi >= 0 && !vrt__cuk_topk_before(pv, pi, c, i, largest)) continue;
                if (bi < 0 || vrt__cuk_topk_before(c, i, bv, bi, largest)) {
                    bv = c;
                    bi = i;
                }
            }
            sv[threadIdx.x] = bv;
            si[threadIdx.x] = bi;
            __syncthreads();
            for (int s = blockDim.x / 2; s > 0; s >>= 1) {
                if ((int)threadIdx.x < s) {
                    T ov = sv[threadIdx.x + s];
                    int64_t oi = si[threadIdx.x + s];
                    if (oi >= 0 && (si[threadIdx.x] < 0 || vrt__cuk_topk_before(ov, oi, sv[threadIdx.x],
                                                                                si[threadIdx.x], largest))) {
                        sv[threadIdx.x] = ov;
                        si[threadIdx.x] = oi;
                    }
                }
                __syncthreads();
            }
            pv = sv[0];
            pi = si[0];
            if (threadIdx.x == 0) {
                vo[r * inner] = pv;
                if (io) io[r * inner] = pi;
            }
            __syncthreads();
        }
    }
}

extern "C" size_t vrt__cuda_topk_scratch_bytes(const vrt__topk_params *p, const vrt__shape *sx) {
    (void)p;
    (void)sx;
    return 0;
}

extern "C" int vrt__cuda_topk_type_ok(vrt__dtype dt) {
    switch (dt) {
    case VRT__DT_FLOAT:
    case VRT__DT_INT8:
    case VRT__DT_UINT8:
    case VRT__DT_INT16:
    case VRT__DT_UINT16:
    case VRT__DT_INT32:
    case VRT__DT_UINT32:
    case VRT__DT_INT64:
    case VRT__DT_UINT64: return 1;
    default: return 0;
    }
}

template <typename T>
static void vrt__cuk_topk_launch(cudaStream_t s, unsigned g, const void *x, void *values, int64_t *indices,
                                 int64_t lanes, int64_t n, int64_t inner, int64_t k, int largest) {
    vrt__k_topk<T>
        <<<g, VRT__CUK_TOPK_THREADS, 0, s>>>((const T *)x, (T *)values, indices, lanes, n, inner, k, largest);
}

extern "C" vrt_status vrt__cuda_topk(void *stream, const vrt__topk_params *p, vrt__dtype dt, const void *x,
                                     const vrt__shape *sx, void *values, int64_t *indices, void *scratch) {
    (void)scratch;
    int axis = 0;
    if (!vrt__cuda_topk_type_ok(dt))
        return VRT__CUK_FAIL("TopK", VRT_EUNSUPPORTED,
                             "element type not supported; supported: float, int8/16/32/64, uint8/16/32/64");
    if (vrt__norm_axis(p->axis, sx->ndim, &axis))
        return VRT__CUK_FAIL("TopK", VRT_EINVAL, "axis out of range");
    int64_t n = sx->d[axis], k = p->k;
    if (k < 0 || k > n) return VRT__CUK_FAIL("TopK", VRT_EINVAL, "k must be in [0, axis length]");
    if (!stream) return vrt__cuk_no_stream("TopK");
    if (k == 0) return VRT_OK;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= sx->d[i];
    for (int i = axis + 1; i < sx->ndim; i++)
        inner *= sx->d[i];
    int64_t lanes = outer * inner;
    if (lanes == 0) return VRT_OK;
    unsigned g = (unsigned)(lanes < 65535 ? lanes : 65535);
    cudaStream_t s = vrt__cuk_stream(stream);
    switch (dt) {
    case VRT__DT_FLOAT:
        vrt__cuk_topk_launch<float>(s, g, x, values, indices, lanes, n, inner, k, p->largest);
        break;
    case VRT__DT_INT8:
        vrt__cuk_topk_launch<int8_t>(s, g, x, values, indices, lanes, n, inner, k, p->largest);
        break;
    case VRT__DT_UINT8:
        vrt__cuk_topk_launch<uint8_t>(s, g, x, values, indices, lanes, n, inner, k, p->largest);
        break;
    case VRT__DT_INT16:
        vrt__cuk_topk_launch<int16_t>(s, g, x, values, indices, lanes, n, inner, k, p->largest);
        break;
    case VRT__DT_UINT16:
        vrt__cuk_topk_launch<uint16_t>(s, g, x, values, indices, lanes, n, inner, k, p->largest);
        break;
    case VRT__DT_INT32:
        vrt__cuk_topk_launch<int32_t>(s, g, x, values, indices, lanes, n, inner, k, p->largest);
        break;
    case VRT__DT_UINT32:
        vrt__cuk_topk_launch<uint32_t>(s, g, x, values, indices, lanes, n, inner, k, p->largest);
        break;
    case VRT__DT_INT64:
        vrt__cuk_topk_launch<int64_t>(s, g, x, values, indices, lanes, n, inner, k, p->largest);
        break;
    default: vrt__cuk_topk_launch<uint64_t>(s, g, x, values, indices, lanes, n, inner, k, p->largest); break;
    }
    return VRT__CUK_CHECK("TopK");
}

extern "C" vrt_status vrt__cuda_topk_f32(void *stream, const vrt__topk_params *p, const float *x,
                                         const vrt__shape *sx, float *values, int64_t *indices,
                                         void *scratch) {
    return vrt__cuda_topk(stream, p, VRT__DT_FLOAT, x, sx, values, indices, scratch);
}

/* ---- CumSum ------------------------------------------------------------------------------- */

template <typename T>
__global__ void vrt__k_cumsum(const T *x, T *y, int64_t lanes, int64_t len, int64_t inner, int exclusive,
                              int reverse) {
    VRT__CUK_GRID_LOOP(l, lanes) {
        int64_t o = l / inner, i = l % inner;
        T acc = 0;
        for (int64_t k = 0; k < len; k++) {
            int64_t q = (o * len + (reverse ? len - 1 - k : k)) * inner + i;
            T v = x[q];
            if (exclusive) {
                y[q] = acc;
                acc += v;
            } else {
                acc += v;
                y[q] = acc;
            }
        }
    }
}

extern "C" int vrt__cuda_cumsum_type_ok(vrt__dtype dt) {
    return dt == VRT__DT_FLOAT || dt == VRT__DT_INT32 || dt == VRT__DT_INT64 || dt == VRT__DT_UINT32 ||
           dt == VRT__DT_UINT64;
}

template <typename T>
static void vrt__cuk_cumsum_launch(void *stream, const void *x, void *y, int64_t lanes, int64_t len,
                                   int64_t inner, int exclusive, int reverse) {
    vrt__k_cumsum<T><<<vrt__cuk_blocks(lanes), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(
        (const T *)x, (T *)y, lanes, len, inner, exclusive, reverse);
}

extern "C" vrt_status vrt__cuda_cumsum(void *stream, vrt__dtype dt, const void *x, void *y, int64_t outer,
                                       int64_t len, int64_t inner, int exclusive, int reverse) {
    if (!vrt__cuda_cumsum_type_ok(dt)) return VRT__CUK_FAIL("CumSum", VRT_EUNSUPPORTED, "element type");
    if (outer < 0 || len < 0 || inner < 0) return VRT__CUK_FAIL("CumSum", VRT_EINVAL, "bad shape");
    if (!stream) return vrt__cuk_no_stream("CumSum");
    int64_t lanes = outer * inner;
    if (lanes == 0 || len == 0) return VRT_OK;
    if (!x || !y) return VRT__CUK_FAIL("CumSum", VRT_EINVAL, "null pointer");
    switch (dt) {
    case VRT__DT_FLOAT:
        vrt__cuk_cumsum_launch<float>(stream, x, y, lanes, len, inner, exclusive, reverse);
        break;
    case VRT__DT_INT32:
        vrt__cuk_cumsum_launch<int32_t>(stream, x, y, lanes, len, inner, exclusive, reverse);
        break;
    case VRT__DT_UINT32:
        vrt__cuk_cumsum_launch<uint32_t>(stream, x, y, lanes, len, inner, exclusive, reverse);
        break;
    case VRT__DT_INT64:
        vrt__cuk_cumsum_launch<int64_t>(stream, x, y, lanes, len, inner, exclusive, reverse);
        break;
    default: vrt__cuk_cumsum_launch<uint64_t>(stream, x, y, lanes, len, inner, exclusive, reverse); break;
    }
    return VRT__CUK_CHECK("CumSum");
}
