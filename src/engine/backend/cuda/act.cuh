// Device-side fused activations (vrt__act_kind of model/op_params.h),
// the same formulas as the CPU twins; shared by the epilogue and conv kernels.
#ifndef VRT_CUDA_ACT_CUH
#define VRT_CUDA_ACT_CUH

#include <math.h>

extern "C" {
#include "model/op_params.h"
}

__device__ __forceinline__ float vrt__cuk_act(float v, int kind, float al, float be) {
    switch (kind) {
    case VRT__ACT_RELU: return v > 0.0f ? v : 0.0f;
    case VRT__ACT_LEAKY_RELU: return v >= 0.0f ? v : al * v;
    case VRT__ACT_CLIP: v = v < al ? al : v; return v > be ? be : v;
    case VRT__ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case VRT__ACT_SILU: return v / (1.0f + expf(-v));
    case VRT__ACT_HARD_SWISH: {
        float t = v * (1.0f / 6.0f) + 0.5f;
        t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        return v * t;
    }
    case VRT__ACT_HARD_SIGMOID: {
        float t = al * v + be;
        return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    }
    case VRT__ACT_TANH: return tanhf(v);
    case VRT__ACT_GELU: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case VRT__ACT_GELU_TANH:
        return 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    default: return v;
    }
}

/* The same with fast exponentials (__expf, ~2 ulp in fp32): for results
 * stored in fp16, where that error is far below the storage rounding. */
__device__ __forceinline__ float vrt__cuk_act_fast(float v, int kind, float al, float be) {
    switch (kind) {
    case VRT__ACT_SIGMOID: return __fdividef(1.0f, 1.0f + __expf(-v));
    case VRT__ACT_SILU: return __fdividef(v, 1.0f + __expf(-v));
    default: return vrt__cuk_act(v, kind, al, be);
    }
}

#endif
