/* CUDA twins of the CPU normalisation kernels. Statistics in double, two
 * passes (mean, then squared deviations), as the CPU computes them. */
#include <math.h>

#include "engine/backend/cuda/norm.h"
#include "engine/backend/cuda/cuda_kernels_impl.cuh"

static vrt_status vrt__cuk_no_stream(const char *op) {
    return VRT__CUK_FAIL(op, VRT_EINVAL,
                         "no stream given (the default stream is not used; pass a cudaStream_t)");
}

__global__ void vrt__k_batchnorm(const float *x, float *y, int64_t n, int64_t C, int64_t spatial,
                                 const float *scale, const float *bias, const float *mean, const float *var,
                                 float eps) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t c = (i / spatial) % C;
        float s = __fdiv_rn(scale[c], sqrtf(__fadd_rn(var[c], eps)));
        float b = __fsub_rn(bias[c], __fmul_rn(mean[c], s));
        y[i] = __fadd_rn(__fmul_rn(x[i], s), b);
    }
}

extern "C" vrt_status vrt__cuda_batchnorm(void *stream, int64_t N, int64_t C, int64_t spatial, const float *x,
                                          const float *scale, const float *bias, const float *mean,
                                          const float *var, float eps, float *y) {
    if (N < 0 || C <= 0 || spatial < 0 || !x || !scale || !bias || !mean || !var || !y)
        return VRT__CUK_FAIL("BatchNormalization", VRT_EINVAL, "bad sizes or null pointers");
    if (!stream) return vrt__cuk_no_stream("BatchNormalization");
    int64_t n = N * C * spatial;
    if (n == 0) return VRT_OK;
    vrt__k_batchnorm<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(
        x, y, n, C, spatial, scale, bias, mean, var, eps);
    return VRT__CUK_CHECK("BatchNormalization");
}

/* Mean and 1/sqrt(var + eps) of one row, block-wide. */
__device__ void vrt__cuk_moments(const float *x, int64_t n, float eps, float *mean, float *inv_std,
                                 double *sh) {
    double s = 0.0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        s += x[i];
    s = vrt__cuk_block_sum(s, sh);
    double m = s / (double)n;
    double v = 0.0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
        double d = x[i] - m;
        v += d * d;
    }
    v = vrt__cuk_block_sum(v, sh) / (double)n;
    *mean = (float)m;
    *inv_std = (float)(1.0 / sqrt(v + (double)eps));
}

__global__ void vrt__k_instancenorm(const float *x, float *y, int64_t planes, int64_t C, int64_t spatial,
                                    const float *scale, const float *bias, float eps) {
    __shared__ double sh[32];
    for (int64_t np = blockIdx.x; np < planes; np += gridDim.x) {
        int64_t c = np % C;
        const float *xp = x + np * spatial;
        float *yp = y + np * spatial;
        float m, is;
        vrt__cuk_moments(xp, spatial, eps, &m, &is, sh);
        float s = __fmul_rn(scale[c], is), b = __fsub_rn(bias[c], __fmul_rn(m, s));
        for (int64_t i = threadIdx.x; i < spatial; i += blockDim.x)
            yp[i] = __fadd_rn(__fmul_rn(xp[i], s), b);
        __syncthreads();
    }
}

extern "C" vrt_status vrt__cuda_instancenorm(void *stream, int64_t N, int64_t C, int64_t spatial,
                                             const float *x, const float *scale, const float *bias, float eps,
                                             float *y) {
    if (N < 0 || C <= 0 || spatial <= 0 || !x || !scale || !bias || !y)
        return VRT__CUK_FAIL("InstanceNormalization", VRT_EINVAL, "bad sizes or null pointers");
    if (!stream) return vrt__cuk_no_stream("InstanceNormalization");
    int64_t planes = N * C;
    if (planes == 0) return VRT_OK;
    unsigned g = (unsigned)(planes < 65535 ? planes : 65535);
    vrt__k_instancenorm<<<g, VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, planes, C, spatial, scale,
                                                                             bias, eps);
    return VRT__CUK_CHECK("InstanceNormalization");
}

__global__ void vrt__k_layernorm(const float *x, float *y, int64_t outer, int64_t inner, const float *scale,
                                 const float *bias, float eps, float *mean, float *inv_std) {
    __shared__ double sh[32];
    for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
        const float *xp = x + r * inner;
        float *yp = y + r * inner;
        float m, is;
        vrt__cuk_moments(xp, inner, eps, &m, &is, sh);
        for (int64_t i = threadIdx.x; i < inner; i += blockDim.x) {
            float v = __fmul_rn(__fmul_rn(__fsub_rn(xp[i], m), is), scale[i]);
            yp[i] = bias ? __fadd_rn(v, bias[i]) : v;
        }
        if (threadIdx.x == 0) {
            if (mean) mean[r] = m;
            if (inv_std) inv_std[r] = is;
        }
        __syncthreads();
    }
}

extern "C" vrt_status vrt__cuda_layernorm(void *stream, int64_t outer, int64_t inner, const float *x,
                                          const float *scale, const float *bias, float eps, float *y,
                                          float *mean, float *inv_std) {
    if (outer < 0 || inner <= 0 || !x || !scale || !y)
        return VRT__CUK_FAIL("LayerNormalization", VRT_EINVAL, "bad sizes or null pointers");
    if (!stream) return vrt__cuk_no_stream("LayerNormalization");
    if (outer == 0) return VRT_OK;
    unsigned g = (unsigned)(outer < 65535 ? outer : 65535);
    vrt__k_layernorm<<<g, VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, outer, inner, scale, bias,
                                                                          eps, mean, inv_std);
    return VRT__CUK_CHECK("LayerNormalization");
}

/* VrtAddLayerNorm: the sum is written (to `sum`, or to y when nothing else
 * reads it) and normalised from there, rounded to fp32 first as the unfused
 * Add then LayerNormalization does. */
__global__ void vrt__k_add_layernorm(const float *a, const float *b, float *y, float *sum, int64_t outer,
                                     int64_t inner, const float *scale, const float *bias, float eps) {
    __shared__ double sh[32];
    for (int64_t r = blockIdx.x; r < outer; r += gridDim.x) {
        const float *ap = a + r * inner, *bp = b + r * inner;
        float *yp = y + r * inner, *sp = sum ? sum + r * inner : yp;
        for (int64_t i = threadIdx.x; i < inner; i += blockDim.x)
            sp[i] = __fadd_rn(ap[i], bp[i]);
        __syncthreads();
        float m, is;
        vrt__cuk_moments(sp, inner, eps, &m, &is, sh);
        for (int64_t i = threadIdx.x; i < inner; i += blockDim.x) {
            float v = __fmul_rn(__fmul_rn(__fsub_rn(sp[i], m), is), scale[i]);
            yp[i] = bias ? __fadd_rn(v, bias[i]) : v;
        }
        __syncthreads();
    }
}

extern "C" vrt_status vrt__cuda_add_layernorm(void *stream, int64_t outer, int64_t inner, const float *a,
                                              const float *b, const float *scale, const float *bias,
                                              float eps, float *y, float *sum) {
    if (outer < 0 || inner <= 0 || !a || !b || !scale || !y)
        return VRT__CUK_FAIL("VrtAddLayerNorm", VRT_EINVAL, "bad sizes or null pointers");
    if (!stream) return vrt__cuk_no_stream("VrtAddLayerNorm");
    if (outer == 0) return VRT_OK;
    unsigned g = (unsigned)(outer < 65535 ? outer : 65535);
    vrt__k_add_layernorm<<<g, VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(a, b, y, sum, outer, inner,
                                                                              scale, bias, eps);
    return VRT__CUK_CHECK("VrtAddLayerNorm");
}
