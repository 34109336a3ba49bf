/* CUDA twins of the CPU element-wise kernels: unary, Not, binary with numpy
 * broadcasting, comparisons, logic, Where, the fused chain, Cast, fp16
 * conversion, fill and copy. Also the per-thread error detail. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/backend/cuda/eltwise.h"
#include "engine/backend/cuda/cuda_kernels_impl.cuh"

#include "model/lowp.h"

extern "C" {
#include "model/plan.h" /* vrt__plan_dtype: the engine's held type of an ONNX type */
}

/* ---- error detail --------------------------------------------------------- */

static thread_local char g_cuk_err[256];

extern "C" const char *vrt__cuda_kernels_error(void) {
    return g_cuk_err;
}

vrt_status vrt__cuk_fail(const char *file, int line, const char *op, vrt_status st, const char *what) {
    const char *base = strrchr(file, '/');
    snprintf(g_cuk_err, sizeof(g_cuk_err), "%s:%d: %s: %s", base ? base + 1 : file, line, op, what);
    return st;
}

vrt_status vrt__cuk_check(const char *file, int line, const char *op) {
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return VRT_OK;
    return vrt__cuk_fail(file, line, op, VRT_EDEVICE, cudaGetErrorString(e));
}

static vrt_status vrt__cuk_no_stream(const char *op) {
    return VRT__CUK_FAIL(op, VRT_EINVAL,
                         "no stream given (the default stream is not used; pass a cudaStream_t)");
}

static int vrt__same_shape(const vrt__shape *a, const vrt__shape *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->d[i] != b->d[i]) return 0;
    return 1;
}

static vrt_status vrt__check_out_broadcast(const vrt__shape *sa, const vrt__shape *sb, const vrt__shape *sy) {
    vrt__shape want;
    vrt_status st = vrt__broadcast_shape(sa, sb, &want);
    if (st) return st;
    return vrt__same_shape(&want, sy) ? VRT_OK : VRT_EINVAL;
}

/* ---- unary ------------------------------------------------------------------ */

struct vrt__cuk_un {
    int op;
    float alpha, beta, min, max;
};

static vrt__cuk_un vrt__cuk_un_make(const vrt__unary_params *p) {
    vrt__cuk_un u = {(int)p->op, p->alpha, p->beta, p->min, p->max};
    return u;
}

__device__ __forceinline__ float vrt__cuk_sigmoid(float x) {
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

__device__ __forceinline__ float vrt__cuk_unary(const vrt__cuk_un &p, float x) {
    switch (p.op) {
    case VRT__UN_IDENTITY: return x;
    case VRT__UN_RELU: return x > 0 ? x : 0.0f;
    case VRT__UN_LEAKY_RELU: return x >= 0 ? x : __fmul_rn(p.alpha, x);
    case VRT__UN_SIGMOID: return vrt__cuk_sigmoid(x);
    case VRT__UN_TANH: return tanhf(x);
    case VRT__UN_HARD_SIGMOID: {
        /* Spelled out: nvcc turns fmaxf(0, fminf(1, t)) into a saturate,
         * which maps NaN to 0; fminf(1, NaN) is 1 on the CPU. */
        float t = __fadd_rn(__fmul_rn(p.alpha, x), p.beta);
        return t != t ? 1.0f : (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
    }
    case VRT__UN_HARD_SWISH: return __fmul_rn(x, fmaxf(0.0f, fminf(1.0f, __fadd_rn(x / 6.0f, 0.5f))));
    case VRT__UN_CLIP: return x < p.min ? p.min : (x > p.max ? p.max : x);
    case VRT__UN_ERF: return erff(x);
    case VRT__UN_EXP: return expf(x);
    case VRT__UN_LOG: return logf(x);
    case VRT__UN_SQRT: return sqrtf(x);
    case VRT__UN_NEG: return -x;
    case VRT__UN_ABS: return fabsf(x);
    case VRT__UN_RECIPROCAL: return 1.0f / x;
    case VRT__UN_SILU: return x * vrt__cuk_sigmoid(x);
    case VRT__UN_POW_SCALAR:
        if (p.alpha == 2.0f) return x * x;
        if (p.alpha == 0.5f) return sqrtf(x);
        return powf(x, p.alpha);
    case VRT__UN_FLOOR: return floorf(x);
    case VRT__UN_CEIL: return ceilf(x);
    case VRT__UN_ELU: return x >= 0 ? x : __fmul_rn(p.alpha, expf(x) - 1.0f);
    case VRT__UN_SOFTPLUS: return x > 20.0f ? x : log1pf(expf(x));
    case VRT__UN_MISH: return x * tanhf(x > 20.0f ? x : log1pf(expf(x)));
    case VRT__UN_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case VRT__UN_GELU_TANH:
        return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case VRT__UN_SIN: return sinf(x);
    case VRT__UN_COS: return cosf(x);
    default: return NAN;
    }
}

__global__ void vrt__k_unary(vrt__cuk_un p, const float *x, float *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) y[i] = vrt__cuk_unary(p, x[i]);
}

extern "C" vrt_status vrt__cuda_unary_f32(void *stream, const vrt__unary_params *p, const float *x, float *y,
                                          int64_t n) {
    if (!p || p->op < 0 || p->op >= VRT__UN_COUNT)
        return VRT__CUK_FAIL("unary", VRT_EUNSUPPORTED, "unknown op");
    if (n < 0 || (n > 0 && (!x || !y))) return VRT__CUK_FAIL("unary", VRT_EINVAL, "bad count or pointer");
    if (!stream) return vrt__cuk_no_stream("unary");
    if (n == 0) return VRT_OK;
    vrt__k_unary<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(vrt__cuk_un_make(p), x,
                                                                                       y, n);
    return VRT__CUK_CHECK(vrt__unary_name(p->op));
}

__global__ void vrt__k_not(const uint8_t *x, uint8_t *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) y[i] = !x[i];
}

extern "C" vrt_status vrt__cuda_not(void *stream, const uint8_t *x, uint8_t *y, int64_t n) {
    if (n < 0) return VRT__CUK_FAIL("Not", VRT_EINVAL, "negative count");
    if (!stream) return vrt__cuk_no_stream("Not");
    if (n == 0) return VRT_OK;
    vrt__k_not<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, n);
    return VRT__CUK_CHECK("Not");
}

__global__ void vrt__k_isnan(int inf, int pos, int neg, const float *x, uint8_t *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) {
        float v = x[i];
        y[i] = (uint8_t)(inf ? (isinf(v) && ((v > 0 && pos) || (v < 0 && neg))) : isnan(v));
    }
}

extern "C" vrt_status vrt__cuda_isnan(void *stream, int inf, int pos, int neg, const float *x, uint8_t *y,
                                      int64_t n) {
    if (n < 0) return VRT__CUK_FAIL("IsNaN", VRT_EINVAL, "negative count");
    if (!stream) return vrt__cuk_no_stream("IsNaN");
    if (n == 0) return VRT_OK;
    vrt__k_isnan<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(inf, pos, neg, x, y,
                                                                                       n);
    return VRT__CUK_CHECK("IsNaN");
}

/* ---- binary ----------------------------------------------------------------- */

__device__ __forceinline__ float vrt__cuk_bin_f32(int op, float a, float b) {
    switch (op) {
    case VRT__BIN_ADD: return __fadd_rn(a, b);
    case VRT__BIN_SUB: return __fsub_rn(a, b);
    case VRT__BIN_MUL: return __fmul_rn(a, b);
    case VRT__BIN_DIV: return __fdiv_rn(a, b);
    case VRT__BIN_MAX: return (a != a || a > b) ? a : b;
    case VRT__BIN_MIN: return (a != a || a < b) ? a : b;
    case VRT__BIN_POW: return b == 2.0f ? __fmul_rn(a, a) : powf(a, b);
    case VRT__BIN_PRELU: return a < 0 ? __fmul_rn(a, b) : a;
    case VRT__BIN_MOD: return fmodf(a, b);
    default: return NAN;
    }
}

__device__ __forceinline__ int64_t vrt__cuk_sat_i64(double v) {
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

/* Integer Pow: exact by repeated squaring in double for b >= 0 (exact while
 * the result stays below 2^53, where the CPU's pow() is exact too); pow()
 * for negative exponents (results in (-1, 1] or inf, truncated). */
__device__ __forceinline__ int64_t vrt__cuk_ipow(int64_t a, int64_t b) {
    if (b < 0) return vrt__cuk_sat_i64(pow((double)a, (double)b));
    double r = 1.0, base = (double)a;
    while (b > 0) {
        if (b & 1) r *= base;
        b >>= 1;
        if (b) base *= base;
    }
    return vrt__cuk_sat_i64(r);
}

template <typename T> __device__ __forceinline__ T vrt__cuk_bin_int(int op, T a, T b) {
    switch (op) {
    case VRT__BIN_ADD: return (T)((uint64_t)a + (uint64_t)b);
    case VRT__BIN_SUB: return (T)((uint64_t)a - (uint64_t)b);
    case VRT__BIN_MUL: return (T)((uint64_t)a * (uint64_t)b);
    case VRT__BIN_DIV:
        if (b == 0) return 0;
        if (b == -1) return (T)(0 - (uint64_t)a);
        return a / b;
    case VRT__BIN_MAX: return a > b ? a : b;
    case VRT__BIN_MIN: return a < b ? a : b;
    case VRT__BIN_POW: return (T)vrt__cuk_ipow((int64_t)a, (int64_t)b);
    case VRT__BIN_MOD: {
        if (b == 0 || b == -1) return 0;
        T r = a % b;
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
    }
    default: return 0;
    }
}

/* uint64: the CPU's vrt__bin_u64 (wrapping add/sub/mul, division and
 * remainder by 0 give 0, Pow saturates at UINT64_MAX). Pow by repeated
 * squaring in double, exact while the result stays below 2^53 (as the CPU's
 * pow()); overflow gives inf, which saturates as on the CPU. */
__device__ __forceinline__ uint64_t vrt__cuk_bin_u64(int op, uint64_t a, uint64_t b) {
    switch (op) {
    case VRT__BIN_ADD: return a + b;
    case VRT__BIN_SUB: return a - b;
    case VRT__BIN_MUL: return a * b;
    case VRT__BIN_DIV: return b ? a / b : 0;
    case VRT__BIN_MAX: return a > b ? a : b;
    case VRT__BIN_MIN: return a < b ? a : b;
    case VRT__BIN_POW: {
        double r = 1.0, base = (double)a;
        while (b > 0) {
            if (b & 1) r *= base;
            b >>= 1;
            if (b) base *= base;
        }
        return r >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)r;
    }
    case VRT__BIN_MOD: return b ? a % b : 0;
    default: return 0;
    }
}

/* One overload per element type: the arithmetic the CPU backend does for it.
 * int8/uint8/int16/uint16/uint32 are computed in int64 and wrapped back to
 * the type's bits, as backend_cpu.c does (geti -> int64 binary -> seti). */
__device__ __forceinline__ float vrt__cuk_bin(int op, float a, float b) {
    return vrt__cuk_bin_f32(op, a, b);
}
__device__ __forceinline__ int64_t vrt__cuk_bin(int op, int64_t a, int64_t b) {
    return vrt__cuk_bin_int<int64_t>(op, a, b);
}
__device__ __forceinline__ int32_t vrt__cuk_bin(int op, int32_t a, int32_t b) {
    return vrt__cuk_bin_int<int32_t>(op, a, b);
}
__device__ __forceinline__ uint64_t vrt__cuk_bin(int op, uint64_t a, uint64_t b) {
    return vrt__cuk_bin_u64(op, a, b);
}
template <typename T> __device__ __forceinline__ T vrt__cuk_bin_narrow(int op, T a, T b) {
    return (T)vrt__cuk_bin_int<int64_t>(op, (int64_t)a, (int64_t)b);
}
__device__ __forceinline__ int8_t vrt__cuk_bin(int op, int8_t a, int8_t b) {
    return vrt__cuk_bin_narrow(op, a, b);
}
__device__ __forceinline__ uint8_t vrt__cuk_bin(int op, uint8_t a, uint8_t b) {
    return vrt__cuk_bin_narrow(op, a, b);
}
__device__ __forceinline__ int16_t vrt__cuk_bin(int op, int16_t a, int16_t b) {
    return vrt__cuk_bin_narrow(op, a, b);
}
__device__ __forceinline__ uint16_t vrt__cuk_bin(int op, uint16_t a, uint16_t b) {
    return vrt__cuk_bin_narrow(op, a, b);
}
__device__ __forceinline__ uint32_t vrt__cuk_bin(int op, uint32_t a, uint32_t b) {
    return vrt__cuk_bin_narrow(op, a, b);
}

template <typename T>
__global__ void vrt__k_binary(int op, const T *a, const T *b, T *y, int64_t n, vrt__cuk_bc<2> bc) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t off[2];
        vrt__cuk_bc_offsets<2>(bc, 2, i, off);
        y[i] = vrt__cuk_bin(op, a[off[0]], b[off[1]]);
    }
}

/* Same-shape fast path (no index math). */
template <typename T> __global__ void vrt__k_binary_flat(int op, const T *a, const T *b, T *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) y[i] = vrt__cuk_bin(op, a[i], b[i]);
}

/* bc == NULL: same shapes (flat kernel). */
template <typename T>
static void vrt__cuk_binary_launch(cudaStream_t s, int op, const void *a, const void *b, void *y, int64_t n,
                                   const vrt__cuk_bc<2> *bc) {
    unsigned g = vrt__cuk_blocks(n);
    if (!bc)
        vrt__k_binary_flat<T><<<g, VRT__CUK_THREADS, 0, s>>>(op, (const T *)a, (const T *)b, (T *)y, n);
    else
        vrt__k_binary<T><<<g, VRT__CUK_THREADS, 0, s>>>(op, (const T *)a, (const T *)b, (T *)y, n, *bc);
}

extern "C" int vrt__cuda_binary_type_ok(vrt__dtype dt) {
    switch (dt) {
    case VRT__DT_FLOAT:
    case VRT__DT_INT64:
    case VRT__DT_INT32:
    case VRT__DT_UINT64:
    case VRT__DT_INT8:
    case VRT__DT_UINT8:
    case VRT__DT_INT16:
    case VRT__DT_UINT16:
    case VRT__DT_UINT32: return 1;
    default: return 0;
    }
}

extern "C" vrt_status vrt__cuda_binary(void *stream, vrt__binary_op op, vrt__dtype dt, const void *a,
                                       const vrt__shape *sa, const void *b, const vrt__shape *sb, void *y,
                                       const vrt__shape *sy) {
    const char *name = vrt__binary_name(op);
    if (op < 0 || op >= VRT__BIN_COUNT) return VRT__CUK_FAIL("binary", VRT_EUNSUPPORTED, "unknown op");
    if (!vrt__cuda_binary_type_ok(dt))
        return VRT__CUK_FAIL(name, VRT_EUNSUPPORTED,
                             "element type not supported; supported: float, int8/16/32/64, uint8/16/32/64");
    if (op == VRT__BIN_PRELU && dt != VRT__DT_FLOAT)
        return VRT__CUK_FAIL(name, VRT_EUNSUPPORTED, "PRelu needs float");
    if (vrt__check_out_broadcast(sa, sb, sy))
        return VRT__CUK_FAIL(name, VRT_EINVAL, "output shape is not the broadcast of the inputs");
    if (!stream) return vrt__cuk_no_stream(name);
    int64_t n = vrt__shape_numel(sy);
    if (n <= 0) return VRT_OK;
    cudaStream_t s = vrt__cuk_stream(stream);
    vrt__cuk_bc<2> bc;
    const vrt__cuk_bc<2> *pbc = NULL;
    if (!(vrt__same_shape(sa, sy) && vrt__same_shape(sb, sy))) {
        const vrt__shape *ins[2] = {sa, sb};
        if (vrt__cuk_bc_make<2>(&bc, sy, 2, ins))
            return VRT__CUK_FAIL(name, VRT_EINVAL, "shapes do not broadcast");
        pbc = &bc;
    }
    switch (dt) {
    case VRT__DT_FLOAT: vrt__cuk_binary_launch<float>(s, op, a, b, y, n, pbc); break;
    case VRT__DT_INT64: vrt__cuk_binary_launch<int64_t>(s, op, a, b, y, n, pbc); break;
    case VRT__DT_INT32: vrt__cuk_binary_launch<int32_t>(s, op, a, b, y, n, pbc); break;
    case VRT__DT_UINT64: vrt__cuk_binary_launch<uint64_t>(s, op, a, b, y, n, pbc); break;
    case VRT__DT_INT8: vrt__cuk_binary_launch<int8_t>(s, op, a, b, y, n, pbc); break;
    case VRT__DT_UINT8: vrt__cuk_binary_launch<uint8_t>(s, op, a, b, y, n, pbc); break;
    case VRT__DT_INT16: vrt__cuk_binary_launch<int16_t>(s, op, a, b, y, n, pbc); break;
    case VRT__DT_UINT16: vrt__cuk_binary_launch<uint16_t>(s, op, a, b, y, n, pbc); break;
    default: vrt__cuk_binary_launch<uint32_t>(s, op, a, b, y, n, pbc); break;
    }
    return VRT__CUK_CHECK(name);
}

/* ---- comparisons and logic --------------------------------------------------- */

template <typename T>
__global__ void vrt__k_compare(int op, const T *a, const T *b, uint8_t *y, int64_t n, vrt__cuk_bc<2> bc) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t off[2];
        vrt__cuk_bc_offsets<2>(bc, 2, i, off);
        T va = a[off[0]], vb = b[off[1]];
        int r;
        switch (op) {
        case VRT__CMP_EQUAL: r = va == vb; break;
        case VRT__CMP_GREATER: r = va > vb; break;
        case VRT__CMP_LESS: r = va < vb; break;
        case VRT__CMP_GREATER_OR_EQUAL: r = va >= vb; break;
        default: r = va <= vb; break;
        }
        y[i] = (uint8_t)r;
    }
}

extern "C" vrt_status vrt__cuda_compare(void *stream, vrt__compare_op op, vrt__dtype dt, const void *a,
                                        const vrt__shape *sa, const void *b, const vrt__shape *sb, uint8_t *y,
                                        const vrt__shape *sy) {
    if (op < 0 || op >= VRT__CMP_COUNT) return VRT__CUK_FAIL("compare", VRT_EUNSUPPORTED, "unknown op");
    if (dt != VRT__DT_FLOAT && dt != VRT__DT_INT64 && dt != VRT__DT_INT32 &&
        !(dt == VRT__DT_BOOL && op == VRT__CMP_EQUAL))
        return VRT__CUK_FAIL("compare", VRT_EUNSUPPORTED,
                             "element type not supported; supported: float, int64, int32 (bool for Equal)");
    if (vrt__check_out_broadcast(sa, sb, sy))
        return VRT__CUK_FAIL("compare", VRT_EINVAL, "output shape is not the broadcast of the inputs");
    if (!stream) return vrt__cuk_no_stream("compare");
    int64_t n = vrt__shape_numel(sy);
    if (n <= 0) return VRT_OK;
    vrt__cuk_bc<2> bc;
    const vrt__shape *ins[2] = {sa, sb};
    if (vrt__cuk_bc_make<2>(&bc, sy, 2, ins))
        return VRT__CUK_FAIL("compare", VRT_EINVAL, "shapes do not broadcast");
    cudaStream_t s = vrt__cuk_stream(stream);
    unsigned g = vrt__cuk_blocks(n);
    switch (dt) {
    case VRT__DT_FLOAT:
        vrt__k_compare<float>
            <<<g, VRT__CUK_THREADS, 0, s>>>(op, (const float *)a, (const float *)b, y, n, bc);
        break;
    case VRT__DT_INT64:
        vrt__k_compare<int64_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>(op, (const int64_t *)a, (const int64_t *)b, y, n, bc);
        break;
    case VRT__DT_INT32:
        vrt__k_compare<int32_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>(op, (const int32_t *)a, (const int32_t *)b, y, n, bc);
        break;
    default:
        vrt__k_compare<uint8_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>(op, (const uint8_t *)a, (const uint8_t *)b, y, n, bc);
        break;
    }
    return VRT__CUK_CHECK("compare");
}

__global__ void vrt__k_logical(int op, const uint8_t *a, const uint8_t *b, uint8_t *y, int64_t n,
                               vrt__cuk_bc<2> bc) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t off[2];
        vrt__cuk_bc_offsets<2>(bc, 2, i, off);
        int va = a[off[0]] != 0, vb = b[off[1]] != 0;
        y[i] = (uint8_t)(op == 0 ? (va & vb) : op == 1 ? (va | vb) : (va ^ vb));
    }
}

extern "C" vrt_status vrt__cuda_logical(void *stream, int op, const uint8_t *a, const vrt__shape *sa,
                                        const uint8_t *b, const vrt__shape *sb, uint8_t *y,
                                        const vrt__shape *sy) {
    if (op < 0 || op > 2)
        return VRT__CUK_FAIL("logical", VRT_EUNSUPPORTED, "op must be 0 (and), 1 (or) or 2 (xor)");
    if (vrt__check_out_broadcast(sa, sb, sy))
        return VRT__CUK_FAIL("logical", VRT_EINVAL, "output shape is not the broadcast of the inputs");
    if (!stream) return vrt__cuk_no_stream("logical");
    int64_t n = vrt__shape_numel(sy);
    if (n <= 0) return VRT_OK;
    vrt__cuk_bc<2> bc;
    const vrt__shape *ins[2] = {sa, sb};
    if (vrt__cuk_bc_make<2>(&bc, sy, 2, ins))
        return VRT__CUK_FAIL("logical", VRT_EINVAL, "shapes do not broadcast");
    vrt__k_logical<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(op, a, b, y, n, bc);
    return VRT__CUK_CHECK("logical");
}

/* ---- Where ---------------------------------------------------------------------- */

template <typename T>
__global__ void vrt__k_where(const uint8_t *c, const T *x, const T *y, T *out, int64_t n, vrt__cuk_bc<3> bc) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t off[3];
        vrt__cuk_bc_offsets<3>(bc, 3, i, off);
        out[i] = c[off[0]] ? x[off[1]] : y[off[2]];
    }
}

/* Any element size: one thread per byte. */
__global__ void vrt__k_where_bytes(const uint8_t *c, const uint8_t *x, const uint8_t *y, uint8_t *out,
                                   int64_t n, int64_t elem, vrt__cuk_bc<3> bc) {
    VRT__CUK_GRID_LOOP(i, n * elem) {
        int64_t e = i / elem, bidx = i % elem;
        int64_t off[3];
        vrt__cuk_bc_offsets<3>(bc, 3, e, off);
        out[i] = c[off[0]] ? x[off[1] * elem + bidx] : y[off[2] * elem + bidx];
    }
}

extern "C" vrt_status vrt__cuda_where(void *stream, const uint8_t *cond, const vrt__shape *sc, const void *x,
                                      const vrt__shape *sx, const void *y, const vrt__shape *sy, size_t elem,
                                      void *out, const vrt__shape *so) {
    if (elem == 0) return VRT__CUK_FAIL("Where", VRT_EINVAL, "element size 0");
    vrt__shape t, want;
    if (vrt__broadcast_shape(sc, sx, &t) || vrt__broadcast_shape(&t, sy, &want) ||
        !vrt__same_shape(&want, so))
        return VRT__CUK_FAIL("Where", VRT_EINVAL, "output shape is not the broadcast of cond, x and y");
    if (!stream) return vrt__cuk_no_stream("Where");
    int64_t n = vrt__shape_numel(so);
    if (n <= 0) return VRT_OK;
    vrt__cuk_bc<3> bc;
    const vrt__shape *ins[3] = {sc, sx, sy};
    if (vrt__cuk_bc_make<3>(&bc, so, 3, ins))
        return VRT__CUK_FAIL("Where", VRT_EINVAL, "shapes do not broadcast");
    cudaStream_t s = vrt__cuk_stream(stream);
    unsigned g = vrt__cuk_blocks(n);
    switch (elem) {
    case 1:
        vrt__k_where<uint8_t><<<g, VRT__CUK_THREADS, 0, s>>>(cond, (const uint8_t *)x, (const uint8_t *)y,
                                                             (uint8_t *)out, n, bc);
        break;
    case 2:
        vrt__k_where<uint16_t><<<g, VRT__CUK_THREADS, 0, s>>>(cond, (const uint16_t *)x, (const uint16_t *)y,
                                                              (uint16_t *)out, n, bc);
        break;
    case 4:
        vrt__k_where<uint32_t><<<g, VRT__CUK_THREADS, 0, s>>>(cond, (const uint32_t *)x, (const uint32_t *)y,
                                                              (uint32_t *)out, n, bc);
        break;
    case 8:
        vrt__k_where<uint64_t><<<g, VRT__CUK_THREADS, 0, s>>>(cond, (const uint64_t *)x, (const uint64_t *)y,
                                                              (uint64_t *)out, n, bc);
        break;
    default:
        vrt__k_where_bytes<<<vrt__cuk_blocks(n * (int64_t)elem), VRT__CUK_THREADS, 0, s>>>(
            cond, (const uint8_t *)x, (const uint8_t *)y, (uint8_t *)out, n, (int64_t)elem, bc);
        break;
    }
    return VRT__CUK_CHECK("Where");
}

/* ---- fused chain ------------------------------------------------------------------ */

struct vrt__cuk_chain {
    int nsteps;
    int nin; /* x plus one per binary step */
    int is_binary[VRT__CHAIN_MAX_STEPS];
    int bin[VRT__CHAIN_MAX_STEPS];
    int operand_first[VRT__CHAIN_MAX_STEPS];
    vrt__cuk_un un[VRT__CHAIN_MAX_STEPS];
    const float *operand[VRT__CHAIN_MAX_STEPS + 1]; /* [k]: operand of the k-th binary step (k >= 1) */
};

__global__ void vrt__k_chain(const float *x, float *y, int64_t n, vrt__cuk_chain c,
                             vrt__cuk_bc<VRT__CHAIN_MAX_STEPS + 1> bc) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t off[VRT__CHAIN_MAX_STEPS + 1];
        vrt__cuk_bc_offsets<VRT__CHAIN_MAX_STEPS + 1>(bc, c.nin, i, off);
        float v = x[i];
        int k = 1;
        for (int s = 0; s < c.nsteps; s++) {
            if (!c.is_binary[s]) {
                v = vrt__cuk_unary(c.un[s], v);
                continue;
            }
            float b = c.operand[k][off[k]];
            k++;
            v = c.operand_first[s] ? vrt__cuk_bin_f32(c.bin[s], b, v) : vrt__cuk_bin_f32(c.bin[s], v, b);
        }
        y[i] = v;
    }
}

extern "C" vrt_status vrt__cuda_chain_f32(void *stream, const float *x, const vrt__shape *sx,
                                          const vrt__chain_step *steps, int nsteps, float *y) {
    if (nsteps < 0 || nsteps > VRT__CHAIN_MAX_STEPS)
        return VRT__CUK_FAIL("chain", VRT_EINVAL, "too many steps (at most VRT__CHAIN_MAX_STEPS)");
    vrt__cuk_chain c;
    memset(&c, 0, sizeof(c));
    const vrt__shape *ins[VRT__CHAIN_MAX_STEPS + 1];
    int nin = 0;
    ins[nin++] = sx;
    for (int s = 0; s < nsteps; s++) {
        c.is_binary[s] = steps[s].is_binary;
        if (!steps[s].is_binary) {
            if (steps[s].un.op < 0 || steps[s].un.op >= VRT__UN_COUNT)
                return VRT__CUK_FAIL("chain", VRT_EUNSUPPORTED, "unknown unary op in a step");
            c.un[s] = vrt__cuk_un_make(&steps[s].un);
            continue;
        }
        if (steps[s].bin < 0 || steps[s].bin >= VRT__BIN_COUNT)
            return VRT__CUK_FAIL("chain", VRT_EUNSUPPORTED, "unknown binary op in a step");
        if (!steps[s].operand || !vrt__broadcasts_to(&steps[s].operand_shape, sx))
            return VRT__CUK_FAIL("chain", VRT_EINVAL,
                                 "a step's operand is missing or does not broadcast to x");
        c.bin[s] = steps[s].bin;
        c.operand_first[s] = steps[s].operand_first;
        c.operand[nin] = steps[s].operand;
        ins[nin++] = &steps[s].operand_shape;
    }
    c.nsteps = nsteps;
    c.nin = nin;
    if (!stream) return vrt__cuk_no_stream("chain");
    int64_t n = vrt__shape_numel(sx);
    if (n <= 0) return VRT_OK;
    vrt__cuk_bc<VRT__CHAIN_MAX_STEPS + 1> bc;
    if (vrt__cuk_bc_make<VRT__CHAIN_MAX_STEPS + 1>(&bc, sx, nin, ins))
        return VRT__CUK_FAIL("chain", VRT_EINVAL, "shapes do not broadcast");
    vrt__k_chain<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, n, c, bc);
    return VRT__CUK_CHECK("chain");
}

/* ---- Cast ------------------------------------------------------------------------- */

struct vrt__cuk_scalar {
    int is_float, is_u64;
    double f;
    int64_t i;
};

__device__ __forceinline__ vrt__cuk_scalar vrt__cuk_load(int t, const uint8_t *p) {
    vrt__cuk_scalar s = {0, 0, 0.0, 0};
    switch (t) {
    case VRT__DT_FLOAT: {
        float v;
        memcpy(&v, p, 4);
        s.is_float = 1;
        s.f = v;
        break;
    }
    case VRT__DT_DOUBLE: {
        memcpy(&s.f, p, 8);
        s.is_float = 1;
        break;
    }
    case VRT__DT_FLOAT16: {
        uint16_t h;
        memcpy(&h, p, 2);
        s.is_float = 1;
        s.f = vrt__cuk_half_to_float(h);
        break;
    }
    case VRT__DT_INT64: memcpy(&s.i, p, 8); break;
    case VRT__DT_UINT64:
        memcpy(&s.i, p, 8);
        s.is_u64 = 1;
        break;
    case VRT__DT_INT32: {
        int32_t v;
        memcpy(&v, p, 4);
        s.i = v;
        break;
    }
    case VRT__DT_UINT32: {
        uint32_t v;
        memcpy(&v, p, 4);
        s.i = v;
        break;
    }
    case VRT__DT_INT16: {
        int16_t v;
        memcpy(&v, p, 2);
        s.i = v;
        break;
    }
    case VRT__DT_UINT16: {
        uint16_t v;
        memcpy(&v, p, 2);
        s.i = v;
        break;
    }
    case VRT__DT_INT8: s.i = (int8_t)p[0]; break;
    case VRT__DT_UINT8: s.i = p[0]; break;
    case VRT__DT_BOOL: s.i = p[0] != 0; break;
    default: break;
    }
    return s;
}

__device__ __forceinline__ int64_t vrt__cuk_f2i(double f, double lo, double hi) {
    if (f != f) return 0;
    f = trunc(f);
    if (f <= lo) return (int64_t)lo;
    if (f >= hi) return hi >= 9223372036854775807.0 ? INT64_MAX : (int64_t)hi;
    return (int64_t)f;
}

__device__ __forceinline__ void vrt__cuk_store(int t, uint8_t *p, vrt__cuk_scalar s) {
    double f = s.is_float ? s.f : (s.is_u64 ? (double)(uint64_t)s.i : (double)s.i);
    switch (t) {
    case VRT__DT_FLOAT: {
        float v = (float)f;
        memcpy(p, &v, 4);
        return;
    }
    case VRT__DT_DOUBLE: memcpy(p, &f, 8); return;
    case VRT__DT_FLOAT16: {
        uint16_t h = vrt__cuk_float_to_half((float)f);
        memcpy(p, &h, 2);
        return;
    }
    case VRT__DT_BOOL: p[0] = s.is_float ? (s.f != 0) : (s.i != 0); return;
    default: break;
    }
    int64_t i;
    uint64_t u = 0;
    int unsigned_big = 0;
    if (s.is_float) {
        switch (t) {
        case VRT__DT_INT64: i = vrt__cuk_f2i(f, -9223372036854775808.0, 9223372036854775807.0); break;
        case VRT__DT_UINT64:
            i = 0;
            if (!(f != f || f <= 0)) {
                u = f >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)trunc(f);
                unsigned_big = 1;
            }
            break;
        case VRT__DT_INT32: i = vrt__cuk_f2i(f, INT32_MIN, INT32_MAX); break;
        case VRT__DT_UINT32: i = vrt__cuk_f2i(f, 0, UINT32_MAX); break;
        case VRT__DT_INT16: i = vrt__cuk_f2i(f, INT16_MIN, INT16_MAX); break;
        case VRT__DT_UINT16: i = vrt__cuk_f2i(f, 0, UINT16_MAX); break;
        case VRT__DT_INT8: i = vrt__cuk_f2i(f, INT8_MIN, INT8_MAX); break;
        case VRT__DT_UINT8: i = vrt__cuk_f2i(f, 0, UINT8_MAX); break;
        default: i = 0; break;
        }
    } else {
        i = s.i;
    }
    if (!unsigned_big) u = (uint64_t)i;
    switch (t) {
    case VRT__DT_INT64:
    case VRT__DT_UINT64: memcpy(p, &u, 8); break;
    case VRT__DT_INT32:
    case VRT__DT_UINT32: {
        uint32_t v = (uint32_t)u;
        memcpy(p, &v, 4);
        break;
    }
    case VRT__DT_INT16:
    case VRT__DT_UINT16: {
        uint16_t v = (uint16_t)u;
        memcpy(p, &v, 2);
        break;
    }
    case VRT__DT_INT8:
    case VRT__DT_UINT8: p[0] = (uint8_t)u; break;
    default: break;
    }
}

__global__ void vrt__k_cast(int from, const uint8_t *x, int fs, int to, uint8_t *y, int ts, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) vrt__cuk_store(to, y + i * ts, vrt__cuk_load(from, x + i * fs));
}

/* What the Cast node does after the cast between the held types (see
 * vrt__cuda_cast_node and backend_cpu.c's Cast). */
enum { VRT__CUK_CAST_PLAIN, VRT__CUK_CAST_SUBBYTE, VRT__CUK_CAST_ROUND_HALF, VRT__CUK_CAST_ROUND_LOWP };

/* from/to: the held types (vrt__plan_dtype); lowp: the ONNX target type. */
__global__ void vrt__k_cast_node(int from, const uint8_t *x, int fs, int to, uint8_t *y, int ts, int64_t n,
                                 int post, int lowp, int saturate, int round_mode) {
    VRT__CUK_GRID_LOOP(i, n) {
        const uint8_t *px = x + i * fs;
        uint8_t *py = y + i * ts;
        if (post == VRT__CUK_CAST_SUBBYTE) {
            /* 4-/2-bit ints, held one per byte: floats truncate, integers wrap. */
            vrt__dtype t = (vrt__dtype)lowp;
            int8_t v;
            if (from == VRT__DT_FLOAT) {
                float f;
                memcpy(&f, px, 4);
                v = vrt__subbyte_from_float(t, f);
            } else if (from == VRT__DT_BOOL) {
                v = (int8_t)(px[0] != 0);
            } else {
                v = vrt__subbyte_wrap(t, vrt__cuk_load(from, px).i);
            }
            py[0] = (uint8_t)v;
            continue;
        }
        /* The same held type: a copy, as vrt__cpu_cast (no float round trip,
         * which could change a NaN's payload). */
        if (from == to)
            memcpy(py, px, (size_t)ts);
        else
            vrt__cuk_store(to, py, vrt__cuk_load(from, px));
        if (post == VRT__CUK_CAST_PLAIN) continue;
        float f;
        memcpy(&f, py, 4);
        if (post == VRT__CUK_CAST_ROUND_HALF)
            f = vrt__cuk_half_to_float(vrt__cuk_float_to_half(f));
        else
            f = vrt__lowp_round((vrt__dtype)lowp, f, saturate, round_mode);
        memcpy(py, &f, 4);
    }
}

__global__ void vrt__k_f32_to_f16(const float *x, uint16_t *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) y[i] = vrt__cuk_float_to_half(x[i]);
}

__global__ void vrt__k_f16_to_f32(const uint16_t *x, float *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) y[i] = vrt__cuk_half_to_float(x[i]);
}

static int vrt__cast_type_ok(vrt__dtype t) {
    return t != VRT__DT_STRING && t != VRT__DT_UNDEFINED && vrt__dtype_size(t) > 0;
}

extern "C" vrt_status vrt__cuda_f32_to_f16(void *stream, const float *x, uint16_t *y, int64_t n) {
    if (n < 0) return VRT__CUK_FAIL("f32_to_f16", VRT_EINVAL, "negative count");
    if (!stream) return vrt__cuk_no_stream("f32_to_f16");
    if (n == 0) return VRT_OK;
    vrt__k_f32_to_f16<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, n);
    return VRT__CUK_CHECK("f32_to_f16");
}

extern "C" vrt_status vrt__cuda_f16_to_f32(void *stream, const uint16_t *x, float *y, int64_t n) {
    if (n < 0) return VRT__CUK_FAIL("f16_to_f32", VRT_EINVAL, "negative count");
    if (!stream) return vrt__cuk_no_stream("f16_to_f32");
    if (n == 0) return VRT_OK;
    vrt__k_f16_to_f32<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(x, y, n);
    return VRT__CUK_CHECK("f16_to_f32");
}

extern "C" vrt_status vrt__cuda_copy(void *stream, const void *x, void *y, size_t bytes) {
    if (!stream) return vrt__cuk_no_stream("copy");
    if (bytes == 0 || x == y) return VRT_OK;
    cudaError_t e = cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, vrt__cuk_stream(stream));
    if (e != cudaSuccess) return VRT__CUK_FAIL("copy", VRT_EDEVICE, cudaGetErrorString(e));
    return VRT_OK;
}

extern "C" vrt_status vrt__cuda_cast(void *stream, vrt__dtype from, const void *x, vrt__dtype to, void *y,
                                     int64_t n) {
    if (!vrt__cast_type_ok(from) || !vrt__cast_type_ok(to))
        return VRT__CUK_FAIL("Cast", VRT_EUNSUPPORTED, "type not supported (string/undefined)");
    if (n < 0) return VRT__CUK_FAIL("Cast", VRT_EINVAL, "negative count");
    if (!stream) return vrt__cuk_no_stream("Cast");
    if (n == 0) return VRT_OK;
    if (from == to) return vrt__cuda_copy(stream, x, y, (size_t)n * vrt__dtype_size(from));
    if (from == VRT__DT_FLOAT16 && to == VRT__DT_FLOAT)
        return vrt__cuda_f16_to_f32(stream, (const uint16_t *)x, (float *)y, n);
    if (from == VRT__DT_FLOAT && to == VRT__DT_FLOAT16)
        return vrt__cuda_f32_to_f16(stream, (const float *)x, (uint16_t *)y, n);
    vrt__k_cast<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(
        (int)from, (const uint8_t *)x, (int)vrt__dtype_size(from), (int)to, (uint8_t *)y,
        (int)vrt__dtype_size(to), n);
    return VRT__CUK_CHECK("Cast");
}

extern "C" vrt_status vrt__cuda_cast_node(void *stream, vrt__dtype from, const void *x, vrt__dtype to,
                                          void *y, int64_t n, int saturate, int round_mode) {
    vrt__dtype hf = vrt__plan_dtype(from), ht = vrt__plan_dtype(to);
    if (!vrt__cast_type_ok(from) || !vrt__cast_type_ok(to) || !vrt__cast_type_ok(hf) ||
        !vrt__cast_type_ok(ht))
        return VRT__CUK_FAIL("Cast", VRT_EUNSUPPORTED, "type not supported (string/undefined)");
    if (n < 0) return VRT__CUK_FAIL("Cast", VRT_EINVAL, "negative count");
    if (!stream) return vrt__cuk_no_stream("Cast");
    if (n == 0) return VRT_OK;
    /* As backend_cpu.c: a 4-/2-bit target from any type; otherwise the cast
     * between the held types, then rounding to fp16 or to a low-precision
     * float's grid unless the source already is of that type. */
    int post = VRT__CUK_CAST_PLAIN;
    if (vrt__dtype_is_subbyte(to))
        post = VRT__CUK_CAST_SUBBYTE;
    else if (to == VRT__DT_FLOAT16 && from != VRT__DT_FLOAT16)
        post = VRT__CUK_CAST_ROUND_HALF;
    else if (vrt__dtype_is_lowp_float(to) && from != to)
        post = VRT__CUK_CAST_ROUND_LOWP;
    if (post != VRT__CUK_CAST_PLAIN && post != VRT__CUK_CAST_SUBBYTE && ht != VRT__DT_FLOAT)
        return VRT__CUK_FAIL("Cast", VRT_EINVAL, "a rounded target must be held as fp32");
    if (post == VRT__CUK_CAST_SUBBYTE && vrt__dtype_size(ht) != 1)
        return VRT__CUK_FAIL("Cast", VRT_EINVAL, "a 4-/2-bit target must be held in one byte");
    if (post == VRT__CUK_CAST_PLAIN && hf == ht)
        return vrt__cuda_copy(stream, x, y, (size_t)n * vrt__dtype_size(ht));
    vrt__k_cast_node<<<vrt__cuk_blocks(n), VRT__CUK_THREADS, 0, vrt__cuk_stream(stream)>>>(
        (int)hf, (const uint8_t *)x, (int)vrt__dtype_size(hf), (int)ht, (uint8_t *)y,
        (int)vrt__dtype_size(ht), n, post, (int)to, saturate, round_mode);
    return VRT__CUK_CHECK("Cast");
}

/* ---- Pow with an integer base and a float exponent -------------------------------- */

/* The CPU backend computes this as Cast(a, float) -> powf -> Cast(back). Here
 * in one pass: the base widened exactly, pow in double rounded once to fp32
 * (CUDA's powf may be a few ulp off, which truncation would turn into an
 * off-by-one; double pow rounded to float is exact wherever the true power is
 * an fp32 value, as glibc's powf is), then the CPU's float -> integer cast
 * rules (vrt__cuk_store: truncation, saturation, NaN -> 0). */
template <typename T>
__global__ void vrt__k_pow_int_base(int dt, const T *a, const float *b, uint8_t *y, int es, int64_t n,
                                    vrt__cuk_bc<2> bc) {
    VRT__CUK_GRID_LOOP(i, n) {
        int64_t off[2];
        vrt__cuk_bc_offsets<2>(bc, 2, i, off);
        float fa = (float)(double)a[off[0]], fb = b[off[1]]; /* Cast(a, float) as the CPU: through double */
        float r = fb == 2.0f ? __fmul_rn(fa, fa) : (float)pow((double)fa, (double)fb);
        vrt__cuk_scalar sc = {1, 0, (double)r, 0};
        vrt__cuk_store(dt, y + i * es, sc);
    }
}

extern "C" vrt_status vrt__cuda_pow_int_base(void *stream, vrt__dtype dt, const void *a, const vrt__shape *sa,
                                             const float *b, const vrt__shape *sb, void *y,
                                             const vrt__shape *sy) {
    switch (dt) {
    case VRT__DT_INT8:
    case VRT__DT_UINT8:
    case VRT__DT_INT16:
    case VRT__DT_UINT16:
    case VRT__DT_INT32:
    case VRT__DT_UINT32:
    case VRT__DT_INT64:
    case VRT__DT_UINT64: break;
    default: return VRT__CUK_FAIL("Pow", VRT_EUNSUPPORTED, "base must be an integer type");
    }
    if (vrt__check_out_broadcast(sa, sb, sy))
        return VRT__CUK_FAIL("Pow", VRT_EINVAL, "output shape is not the broadcast of the inputs");
    if (!stream) return vrt__cuk_no_stream("Pow");
    int64_t n = vrt__shape_numel(sy);
    if (n <= 0) return VRT_OK;
    vrt__cuk_bc<2> bc;
    const vrt__shape *ins[2] = {sa, sb};
    if (vrt__cuk_bc_make<2>(&bc, sy, 2, ins))
        return VRT__CUK_FAIL("Pow", VRT_EINVAL, "shapes do not broadcast");
    cudaStream_t s = vrt__cuk_stream(stream);
    unsigned g = vrt__cuk_blocks(n);
    int es = (int)vrt__dtype_size(dt);
    uint8_t *yb = (uint8_t *)y;
    switch (dt) {
    case VRT__DT_INT8:
        vrt__k_pow_int_base<int8_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((int)dt, (const int8_t *)a, b, yb, es, n, bc);
        break;
    case VRT__DT_UINT8:
        vrt__k_pow_int_base<uint8_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((int)dt, (const uint8_t *)a, b, yb, es, n, bc);
        break;
    case VRT__DT_INT16:
        vrt__k_pow_int_base<int16_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((int)dt, (const int16_t *)a, b, yb, es, n, bc);
        break;
    case VRT__DT_UINT16:
        vrt__k_pow_int_base<uint16_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((int)dt, (const uint16_t *)a, b, yb, es, n, bc);
        break;
    case VRT__DT_INT32:
        vrt__k_pow_int_base<int32_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((int)dt, (const int32_t *)a, b, yb, es, n, bc);
        break;
    case VRT__DT_UINT32:
        vrt__k_pow_int_base<uint32_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((int)dt, (const uint32_t *)a, b, yb, es, n, bc);
        break;
    case VRT__DT_INT64:
        vrt__k_pow_int_base<int64_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((int)dt, (const int64_t *)a, b, yb, es, n, bc);
        break;
    default:
        vrt__k_pow_int_base<uint64_t>
            <<<g, VRT__CUK_THREADS, 0, s>>>((int)dt, (const uint64_t *)a, b, yb, es, n, bc);
        break;
    }
    return VRT__CUK_CHECK("Pow");
}

/* ---- fill ------------------------------------------------------------------------- */

struct vrt__cuk_val16 {
    uint8_t b[16];
};

template <typename T> __global__ void vrt__k_fill(T v, T *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n) y[i] = v;
}

__global__ void vrt__k_fill_bytes(vrt__cuk_val16 v, int elem, uint8_t *y, int64_t n) {
    VRT__CUK_GRID_LOOP(i, n * elem) y[i] = v.b[i % elem];
}

extern "C" vrt_status vrt__cuda_fill(void *stream, const void *value, size_t elem, void *y, int64_t n) {
    if (n < 0 || elem == 0 || elem > 16)
        return VRT__CUK_FAIL("fill", VRT_EINVAL, "negative count or element size not in 1..16");
    if (!stream) return vrt__cuk_no_stream("fill");
    if (n == 0) return VRT_OK;
    cudaStream_t s = vrt__cuk_stream(stream);
    if (!value) {
        cudaError_t e = cudaMemsetAsync(y, 0, (size_t)n * elem, s);
        if (e != cudaSuccess) return VRT__CUK_FAIL("fill", VRT_EDEVICE, cudaGetErrorString(e));
        return VRT_OK;
    }
    vrt__cuk_val16 v;
    memset(&v, 0, sizeof(v));
    memcpy(v.b, value, elem);
    unsigned g = vrt__cuk_blocks(n);
    switch (elem) {
    case 1: vrt__k_fill<uint8_t><<<g, VRT__CUK_THREADS, 0, s>>>(v.b[0], (uint8_t *)y, n); break;
    case 2: {
        uint16_t t;
        memcpy(&t, v.b, 2);
        vrt__k_fill<uint16_t><<<g, VRT__CUK_THREADS, 0, s>>>(t, (uint16_t *)y, n);
        break;
    }
    case 4: {
        uint32_t t;
        memcpy(&t, v.b, 4);
        vrt__k_fill<uint32_t><<<g, VRT__CUK_THREADS, 0, s>>>(t, (uint32_t *)y, n);
        break;
    }
    case 8: {
        uint64_t t;
        memcpy(&t, v.b, 8);
        vrt__k_fill<uint64_t><<<g, VRT__CUK_THREADS, 0, s>>>(t, (uint64_t *)y, n);
        break;
    }
    default:
        vrt__k_fill_bytes<<<vrt__cuk_blocks(n * (int64_t)elem), VRT__CUK_THREADS, 0, s>>>(v, (int)elem,
                                                                                          (uint8_t *)y, n);
        break;
    }
    return VRT__CUK_CHECK("fill");
}
