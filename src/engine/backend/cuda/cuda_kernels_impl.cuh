/*
 * Private to the CUDA kernel files (eltwise, reduce, tensor_ops, resize, pool,
 * norm): launch helpers, the per-thread error detail, by-value shape structs
 * and device twins of the CPU scalar helpers.
 *
 * Every launcher of those families (declared in its family's header):
 *   - takes the SAME params struct and host-side shapes as its CPU twin
 *     (kernels_tensor.h / kernels_nn.h), plus DEVICE pointers for every
 *     tensor and a stream (a cudaStream_t passed as void *; never the
 *     default stream: NULL is refused with VRT_EINVAL);
 *   - only enqueues work on that stream: no allocation, no synchronisation,
 *     no host<->device copies of tensor data, so it is safe inside CUDA graph
 *     capture. Shapes and attributes travel by value as kernel arguments;
 *   - checks shapes/attributes exactly as the CPU twin does (VRT_EINVAL /
 *     VRT_EUNSUPPORTED before anything is launched);
 *   - checks every launch with cudaGetLastError and returns VRT_EDEVICE on
 *     failure; vrt__cuda_kernels_error() then holds "file:line: op: cuda
 *     message" for the calling thread (as errno, per thread).
 * Data-dependent failures the CPU reports (Gather index out of range) cannot
 * be reported without a sync: on the GPU such indices are clamped into range
 * (documented per launcher).
 */
#ifndef VRT_CUDA_KERNELS_IMPL_CUH
#define VRT_CUDA_KERNELS_IMPL_CUH

#include <cuda_runtime.h>
#include <stdint.h>

/* No family header here: each family's .cu includes its own header first
 * (this file is shared by all of them, so including theirs would make every
 * family depend on every other). */

extern "C" {
#include "model/dtype.h"
}

#define VRT__CUK_THREADS 256
#define VRT__CUK_MAX_BLOCKS 8192

/* Records "file:line: op: what" as this thread's error detail; returns st. */
vrt_status vrt__cuk_fail(const char *file, int line, const char *op, vrt_status st, const char *what);
/* cudaGetLastError after a launch: VRT_OK or VRT_EDEVICE with the detail set. */
vrt_status vrt__cuk_check(const char *file, int line, const char *op);

#define VRT__CUK_CHECK(op) vrt__cuk_check(__FILE__, __LINE__, (op))
#define VRT__CUK_FAIL(op, st, what) vrt__cuk_fail(__FILE__, __LINE__, (op), (st), (what))

static inline cudaStream_t vrt__cuk_stream(void *s) {
    return (cudaStream_t)s;
}

/* Grid for a grid-stride loop over n items. */
static inline unsigned vrt__cuk_blocks(int64_t n) {
    int64_t b = (n + VRT__CUK_THREADS - 1) / VRT__CUK_THREADS;
    if (b < 1) b = 1;
    if (b > VRT__CUK_MAX_BLOCKS) b = VRT__CUK_MAX_BLOCKS;
    return (unsigned)b;
}

#define VRT__CUK_GRID_LOOP(i, n)                                                                             \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                                \
         i += (int64_t)blockDim.x * gridDim.x)

/* Broadcast layout by value: output dims and each input's element strides
 * (0 on broadcast dims), merged as the CPU iterator merges them. */
template <int NIN> struct vrt__cuk_bc {
    int nd;
    int64_t dim[VRT__MAX_DIMS];
    int64_t st[NIN][VRT__MAX_DIMS];
};

template <int NIN>
static inline vrt_status vrt__cuk_bc_make(vrt__cuk_bc<NIN> *out, const vrt__shape *so, int nin,
                                          const vrt__shape *const *ins) {
    vrt__bcast b;
    vrt_status st = vrt__bcast_init(&b, so, nin, ins);
    if (st) return st;
    out->nd = b.nd;
    for (int i = 0; i < VRT__MAX_DIMS; i++) {
        out->dim[i] = i < b.nd ? b.dim[i] : 1;
        for (int k = 0; k < NIN; k++)
            out->st[k][i] = (k < nin && i < b.nd) ? b.st[k][i] : 0;
    }
    return VRT_OK;
}

/* Offsets of every input for output element o. */
template <int NIN>
__device__ __forceinline__ void vrt__cuk_bc_offsets(const vrt__cuk_bc<NIN> &b, int nin, int64_t o,
                                                    int64_t *off) {
    for (int k = 0; k < NIN; k++)
        off[k] = 0;
    if (b.nd == 1) {
        for (int k = 0; k < NIN; k++)
            if (k < nin) off[k] = o * b.st[k][0];
        return;
    }
    int64_t r = o;
    for (int i = b.nd - 1; i >= 0; i--) {
        int64_t d = b.dim[i];
        int64_t idx = r % d;
        r /= d;
        for (int k = 0; k < NIN; k++)
            if (k < nin) off[k] += idx * b.st[k][i];
    }
}

/* fp16 bits <-> fp32, bit-identical to vrt__half_to_float / vrt__float_to_half. */
__device__ __forceinline__ float vrt__cuk_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t u;
    if (exp == 0x1f) {
        u = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else {
            float f = __fmul_rn((float)man, 1.0f / 16777216.0f);
            u = __float_as_uint(f) | sign;
        }
    } else {
        u = sign | ((exp + 112u) << 23) | (man << 13);
    }
    return __uint_as_float(u);
}

__device__ __forceinline__ uint16_t vrt__cuk_float_to_half(float f) {
    uint32_t x = __float_as_uint(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0u));
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10) return sign;
        uint32_t m = man | 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1u);
        uint32_t mid = 1u << (shift - 1u);
        if (rem > mid || (rem == mid && (half & 1u))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

/* Block-wide reductions (blockDim.x a multiple of 32, at most 1024). */
__device__ __forceinline__ double vrt__cuk_block_sum(double v, double *sh) {
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) sh[w] = v;
    __syncthreads();
    if (w == 0) {
        v = lane < nw ? sh[lane] : 0.0;
        for (int o = 16; o > 0; o >>= 1)
            v += __shfl_xor_sync(0xffffffffu, v, o);
        if (lane == 0) sh[0] = v;
    }
    __syncthreads();
    return sh[0];
}

#endif
