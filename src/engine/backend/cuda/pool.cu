/* CUDA twins of the CPU pooling kernels: one thread per output element,
 * visiting its window in the CPU's order (so sums round the same way). */
#include <math.h>
#include <string.h>

#include "engine/backend/cuda/pool.h"
#include "engine/backend/cuda/cuda_kernels_impl.cuh"

static vrt_status vrt__cuk_no_stream(const char *op) {
    return VRT__CUK_FAIL(op, VRT_EINVAL,
                         "no stream given (the default stream is not used; pass a cudaStream_t)");
}

struct vrt__cuk_pool3 {
    int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
    int64_t invol, outvol, planes;
    int count_include_pad;
    int col_major; /* MaxPool storage_order=1: indices count the spatial dims first-dim fastest */
};

static void vrt__cuk_pool_to3(const vrt__pool_params *p, vrt__cuk_pool3 *c) {
    int off = 3 - p->nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - off, have = j >= 0;
        c->in[i] = have ? p->in[j] : 1;
        c->k[i] = have ? p->k[j] : 1;
        c->s[i] = have ? p->strides[j] : 1;
        c->d[i] = have ? p->dilations[j] : 1;
        c->pb[i] = have ? p->pads_begin[j] : 0;
        c->pe[i] = have ? p->pads_end[j] : 0;
        c->out[i] = have ? p->out[j] : 1;
    }
    c->invol = c->in[0] * c->in[1] * c->in[2];
    c->outvol = c->out[0] * c->out[1] * c->out[2];
    c->planes = p->N * p->C;
    c->count_include_pad = p->count_include_pad;
}

/* NaN test that integer element types compile to "never". */
__device__ __forceinline__ bool vrt__cuk_pool_isnan(float v) {
    return v != v;
}
template <typename T> __device__ __forceinline__ bool vrt__cuk_pool_isnan(T) {
    return false;
}

/* MaxPool of a window that holds only padding: -inf for float; for integers
 * the type's minimum, which is what the CPU's detour through fp32 gives
 * (-inf cast back saturates). */
template <typename T> __device__ __forceinline__ T vrt__cuk_pool_empty() {
    return (T)-1 < (T)0 ? (T)((uint64_t)1 << (8 * sizeof(T) - 1)) : (T)0;
}
template <> __device__ __forceinline__ float vrt__cuk_pool_empty<float>() {
    return -INFINITY;
}

/* T: the element type; AveragePool is float only (IS_MAX false). */
template <bool IS_MAX, typename T>
__global__ void vrt__k_pool(const T *x, T *y, int64_t *indices, vrt__cuk_pool3 c) {
    VRT__CUK_GRID_LOOP(e, c.planes * c.outvol) {
        int64_t np = e / c.outvol, oi = e % c.outvol;
        int64_t ow = oi % c.out[2], oh = (oi / c.out[2]) % c.out[1], od = oi / (c.out[2] * c.out[1]);
        const T *xp = x + np * c.invol;
        int64_t st[3] = {od * c.s[0] - c.pb[0], oh * c.s[1] - c.pb[1], ow * c.s[2] - c.pb[2]};
        T best = (T)0; /* replaced by the first element (best_i < 0) */
        float sum = 0.0f;
        int64_t best_i = -1, nvalid = 0, npad = 1;
        if (!IS_MAX && c.count_include_pad) {
            for (int a = 0; a < 3; a++) {
                int64_t cnt = 0;
                for (int64_t kk = 0; kk < c.k[a]; kk++) {
                    int64_t pos = st[a] + kk * c.d[a];
                    if (pos >= -c.pb[a] && pos < c.in[a] + c.pe[a]) cnt++;
                }
                npad *= cnt;
            }
        }
        for (int64_t kd = 0; kd < c.k[0]; kd++) {
            int64_t id = st[0] + kd * c.d[0];
            if (id < 0 || id >= c.in[0]) continue;
            for (int64_t kh = 0; kh < c.k[1]; kh++) {
                int64_t ih = st[1] + kh * c.d[1];
                if (ih < 0 || ih >= c.in[1]) continue;
                const T *xrow = xp + (id * c.in[1] + ih) * c.in[2];
                for (int64_t kw = 0; kw < c.k[2]; kw++) {
                    int64_t iw = st[2] + kw * c.d[2];
                    if (iw < 0 || iw >= c.in[2]) continue;
                    T v = xrow[iw];
                    nvalid++;
                    if (IS_MAX) {
                        if (v > best || best_i < 0 ||
                            (vrt__cuk_pool_isnan(v) && !vrt__cuk_pool_isnan(best))) {
                            best = v;
                            best_i = (id * c.in[1] + ih) * c.in[2] + iw;
                        }
                    } else {
                        sum = __fadd_rn(sum, (float)v);
                    }
                }
            }
        }
        if (IS_MAX) {
            /* A window with no element inside the input (only padding): -inf for float, as the CPU. */
            y[e] = best_i < 0 ? vrt__cuk_pool_empty<T>() : best;
            if (indices && best_i >= 0 && c.col_major) {
                /* storage_order=1 (the CPU backend's order): within the (n, c)
                 * plane the first spatial dim runs fastest. Padded leading
                 * dims have size 1 and coordinate 0, so they add nothing. */
                int64_t r = best_i, co[3], col = 0, st1 = 1;
                co[2] = r % c.in[2], r /= c.in[2];
                co[1] = r % c.in[1], r /= c.in[1];
                co[0] = r;
                for (int a = 0; a < 3; a++)
                    col += co[a] * st1, st1 *= c.in[a];
                best_i = col;
            }
            if (indices) indices[e] = best_i < 0 ? -1 : np * c.invol + best_i;
        } else {
            int64_t div = c.count_include_pad ? npad : nvalid;
            y[e] = (T)(div > 0 ? __fdiv_rn(sum, (float)div) : 0.0f);
        }
    }
}

static vrt_status vrt__cuk_pool_run(void *stream, const vrt__pool_params *p, vrt__dtype dt, const void *x,
                                    void *y, int64_t *indices, int is_max, int col_major) {
    const char *name = is_max ? "MaxPool" : "AveragePool";
    if (!p || !x || !y || p->nsp < 1 || p->nsp > 3 || p->auto_pad != VRT__AUTO_PAD_NOTSET)
        return VRT__CUK_FAIL(name, VRT_EINVAL,
                             "params not resolved (call vrt__pool_resolve) or null pointers");
    if (!is_max && dt != VRT__DT_FLOAT)
        return VRT__CUK_FAIL(name, VRT_EUNSUPPORTED, "AveragePool needs float");
    if (!stream) return vrt__cuk_no_stream(name);
    vrt__cuk_pool3 c;
    vrt__cuk_pool_to3(p, &c);
    c.col_major = col_major;
    int64_t n = c.planes * c.outvol;
    if (n <= 0) return VRT_OK;
    cudaStream_t s = vrt__cuk_stream(stream);
    unsigned g = vrt__cuk_blocks(n);
    if (!is_max) {
        vrt__k_pool<false, float><<<g, VRT__CUK_THREADS, 0, s>>>((const float *)x, (float *)y, NULL, c);
        return VRT__CUK_CHECK(name);
    }
    switch (dt) {
    case VRT__DT_FLOAT:
        vrt__k_pool<true, float><<<g, VRT__CUK_THREADS, 0, s>>>((const float *)x, (float *)y, indices, c);
        break;
    case VRT__DT_INT8:
        vrt__k_pool<true, int8_t><<<g, VRT__CUK_THREADS, 0, s>>>((const int8_t *)x, (int8_t *)y, indices, c);
        break;
    case VRT__DT_UINT8:
        vrt__k_pool<true, uint8_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((const uint8_t *)x, (uint8_t *)y, indices, c);
        break;
    case VRT__DT_INT16:
        vrt__k_pool<true, int16_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((const int16_t *)x, (int16_t *)y, indices, c);
        break;
    case VRT__DT_UINT16:
        vrt__k_pool<true, uint16_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((const uint16_t *)x, (uint16_t *)y, indices, c);
        break;
    case VRT__DT_INT32:
        vrt__k_pool<true, int32_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((const int32_t *)x, (int32_t *)y, indices, c);
        break;
    case VRT__DT_UINT32:
        vrt__k_pool<true, uint32_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((const uint32_t *)x, (uint32_t *)y, indices, c);
        break;
    case VRT__DT_INT64:
        vrt__k_pool<true, int64_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((const int64_t *)x, (int64_t *)y, indices, c);
        break;
    case VRT__DT_UINT64:
        vrt__k_pool<true, uint64_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((const uint64_t *)x, (uint64_t *)y, indices, c);
        break;
    default:
        return VRT__CUK_FAIL(name, VRT_EUNSUPPORTED,
                             "element type not supported; supported: float, int8/16/32/64, uint8/16/32/64");
    }
    return VRT__CUK_CHECK(name);
}

extern "C" vrt_status vrt__cuda_maxpool(void *stream, const vrt__pool_params *p, const float *x, float *y,
                                        int64_t *indices) {
    return vrt__cuk_pool_run(stream, p, VRT__DT_FLOAT, x, y, indices, 1, 0);
}

extern "C" vrt_status vrt__cuda_maxpool_order(void *stream, const vrt__pool_params *p, const float *x,
                                              float *y, int64_t *indices, int col_major) {
    return vrt__cuk_pool_run(stream, p, VRT__DT_FLOAT, x, y, indices, 1, col_major);
}

extern "C" vrt_status vrt__cuda_maxpool_typed(void *stream, const vrt__pool_params *p, vrt__dtype dt,
                                              const void *x, void *y, int64_t *indices, int col_major) {
    return vrt__cuk_pool_run(stream, p, dt, x, y, indices, 1, col_major);
}

extern "C" vrt_status vrt__cuda_avgpool(void *stream, const vrt__pool_params *p, const float *x, float *y) {
    return vrt__cuk_pool_run(stream, p, VRT__DT_FLOAT, x, y, NULL, 0, 0);
}

/* ---- global pooling: one warp per plane --------------------------------------------------- */

__global__ void vrt__k_gavg(const float *x, float *y, int64_t planes, int64_t spatial) {
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t nwarps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t np = warp; np < planes; np += nwarps) {
        const float *xp = x + np * spatial;
        double s = 0.0;
        for (int64_t i = lane; i < spatial; i += 32)
            s += xp[i];
        for (int o = 16; o > 0; o >>= 1)
            s += __shfl_xor_sync(0xffffffffu, s, o);
        if (lane == 0) y[np] = (float)(s / (double)spatial);
    }
}

__global__ void vrt__k_gmax(const float *x, float *y, int64_t planes, int64_t spatial) {
    int lane = threadIdx.x & 31;
    int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    int64_t nwarps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t np = warp; np < planes; np += nwarps) {
        const float *xp = x + np * spatial;
        float m = -INFINITY, nanv = 0.0f;
        bool nan = false;
        for (int64_t i = lane; i < spatial; i += 32) {
            float v = xp[i];
            if (v != v) {
                if (!nan) nanv = v; /* keep the input's NaN (payload and sign), as the CPU does */
                nan = true;
            } else if (v > m) {
                m = v;
            }
        }
        for (int o = 16; o > 0; o >>= 1) {
            float om = __shfl_xor_sync(0xffffffffu, m, o);
            m = om > m ? om : m;
        }
        unsigned nanmask = __ballot_sync(0xffffffffu, nan);
        if (nanmask) m = __shfl_sync(0xffffffffu, nanv, __ffs(nanmask) - 1);
        if (lane == 0) y[np] = m;
    }
}

static vrt_status vrt__cuk_gpool(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                                 float *y, int is_max) {
    const char *name = is_max ? "GlobalMaxPool" : "GlobalAveragePool";
    if (N < 0 || C < 0 || spatial <= 0 || !x || !y)
        return VRT__CUK_FAIL(name, VRT_EINVAL, "bad sizes or null pointers");
    if (!stream) return vrt__cuk_no_stream(name);
    int64_t planes = N * C;
    if (planes == 0) return VRT_OK;
    unsigned g = vrt__cuk_blocks(planes * 32);
    if (is_max)
        vrt__k_gmax<<<g, VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, planes, spatial);
    else
        vrt__k_gavg<<<g, VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, planes, spatial);
    return VRT__CUK_CHECK(name);
}

extern "C" vrt_status vrt__cuda_global_avgpool(void *stream, int64_t N, int64_t C, int64_t spatial,
                                               const float *x, float *y) {
    return vrt__cuk_gpool(stream, N, C, spatial, x, y, 0);
}

extern "C" vrt_status vrt__cuda_global_maxpool(void *stream, int64_t N, int64_t C, int64_t spatial,
                                               const float *x, float *y) {
    return vrt__cuk_gpool(stream, N, C, spatial, x, y, 1);
}
