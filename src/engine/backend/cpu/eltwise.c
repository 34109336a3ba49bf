/* CPU reference kernels: element-wise unary, binary (numpy broadcasting),
 * comparisons, Where, Expand and the fused element-wise chain. */
#include <math.h>
#include <string.h>

#include "bcast.h"
#include "kernels_tensor.h"

/* ---- broadcasting shapes -------------------------------------------------- */

static int vrt__same_shape(const vrt__shape *a, const vrt__shape *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->d[i] != b->d[i]) return 0;
    return 1;
}

/* ---- unary ---------------------------------------------------------------- */

static inline float vrt__sigmoidf(float x) {
    /* Split on the sign so exp never overflows to inf/inf. */
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

float vrt__unary_apply(const vrt__unary_params *p, float x) {
    switch (p->op) {
    case VRT__UN_IDENTITY: return x;
    case VRT__UN_RELU: return x > 0 ? x : 0.0f;
    case VRT__UN_LEAKY_RELU: return x >= 0 ? x : p->alpha * x;
    case VRT__UN_SIGMOID: return vrt__sigmoidf(x);
    case VRT__UN_TANH: return tanhf(x);
    case VRT__UN_HARD_SIGMOID: return fmaxf(0.0f, fminf(1.0f, p->alpha * x + p->beta));
    case VRT__UN_HARD_SWISH: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    case VRT__UN_CLIP: return x < p->min ? p->min : (x > p->max ? p->max : x);
    case VRT__UN_ERF: return erff(x);
    case VRT__UN_EXP: return expf(x);
    case VRT__UN_LOG: return logf(x);
    case VRT__UN_SQRT: return sqrtf(x);
    case VRT__UN_NEG: return -x;
    case VRT__UN_ABS: return fabsf(x);
    case VRT__UN_RECIPROCAL: return 1.0f / x;
    case VRT__UN_SILU: return x * vrt__sigmoidf(x);
    case VRT__UN_POW_SCALAR:
        if (p->alpha == 2.0f) return x * x;
        if (p->alpha == 0.5f) return sqrtf(x);
        return powf(x, p->alpha);
    case VRT__UN_FLOOR: return floorf(x);
    case VRT__UN_CEIL: return ceilf(x);
    case VRT__UN_ELU: return x >= 0 ? x : p->alpha * (expf(x) - 1.0f);
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

/* Loops with the op switch hoisted out, so the hot cases vectorise. */
static void vrt__unary_loop(const vrt__unary_params *p, const float *x, float *y, int64_t n) {
    switch (p->op) {
    case VRT__UN_IDENTITY:
        if (x != y) memmove(y, x, (size_t)n * sizeof(float));
        break;
    case VRT__UN_RELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] > 0 ? x[i] : 0.0f;
        break;
    case VRT__UN_LEAKY_RELU: {
        float a = p->alpha;
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] >= 0 ? x[i] : a * x[i];
        break;
    }
    case VRT__UN_CLIP: {
        float lo = p->min, hi = p->max;
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            y[i] = v < lo ? lo : (v > hi ? hi : v);
        }
        break;
    }
    case VRT__UN_NEG:
        for (int64_t i = 0; i < n; i++)
            y[i] = -x[i];
        break;
    case VRT__UN_ABS:
        for (int64_t i = 0; i < n; i++)
            y[i] = fabsf(x[i]);
        break;
    case VRT__UN_HARD_SWISH:
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] * fmaxf(0.0f, fminf(1.0f, x[i] / 6.0f + 0.5f));
        break;
    default:
        for (int64_t i = 0; i < n; i++)
            y[i] = vrt__unary_apply(p, x[i]);
        break;
    }
}

typedef struct {
    const vrt__unary_params *p;
    const float *x;
    float *y;
} vrt__unary_job;

static void vrt__unary_chunk(void *ctx, int64_t lo, int64_t hi) {
    vrt__unary_job *j = ctx;
    vrt__unary_loop(j->p, j->x + lo, j->y + lo, hi - lo);
}

vrt_status vrt__cpu_unary_f32(vrt__threadpool *tp, const vrt__unary_params *p, const float *x, float *y,
                              int64_t n) {
    if (!p || p->op < 0 || p->op >= VRT__UN_COUNT) return VRT_EUNSUPPORTED;
    if (n < 0 || (n > 0 && (!x || !y))) return VRT_EINVAL;
    vrt__unary_job j = {p, x, y};
    vrt__parallel_ranges(tp, n, 1 << 15, vrt__unary_chunk, &j);
    return VRT_OK;
}

vrt_status vrt__cpu_not(const uint8_t *x, uint8_t *y, int64_t n) {
    if (n < 0) return VRT_EINVAL;
    for (int64_t i = 0; i < n; i++)
        y[i] = !x[i];
    return VRT_OK;
}

vrt_status vrt__cpu_isnan(int inf, int pos, int neg, const float *x, uint8_t *y, int64_t n) {
    if (n < 0) return VRT_EINVAL;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        y[i] = (uint8_t)(inf ? (isinf(v) && ((v > 0 && pos) || (v < 0 && neg))) : isnan(v));
    }
    return VRT_OK;
}

/* ---- binary --------------------------------------------------------------- */

static inline float vrt__bin_f32(vrt__binary_op op, float a, float b) {
    switch (op) {
    case VRT__BIN_ADD: return a + b;
    case VRT__BIN_SUB: return a - b;
    case VRT__BIN_MUL: return a * b;
    case VRT__BIN_DIV: return a / b;
    /* numpy's maximum/minimum propagate NaN; so does ONNX's reference. */
    case VRT__BIN_MAX: return (a != a || a > b) ? a : b;
    case VRT__BIN_MIN: return (a != a || a < b) ? a : b;
    case VRT__BIN_POW: return b == 2.0f ? a * a : powf(a, b);
    case VRT__BIN_PRELU: return a < 0 ? a * b : a;
    case VRT__BIN_MOD: return fmodf(a, b);
    default: return NAN;
    }
}

/* Saturating double -> int64 for integer Pow. */
static inline int64_t vrt__sat_i64(double v) {
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

#define VRT__INT_BINARY(NAME, T, TMIN)                                                                       \
    static inline T NAME(vrt__binary_op op, T a, T b) {                                                      \
        switch (op) {                                                                                        \
        case VRT__BIN_ADD: return (T)((uint64_t)a + (uint64_t)b);                                            \
        case VRT__BIN_SUB: return (T)((uint64_t)a - (uint64_t)b);                                            \
        case VRT__BIN_MUL: return (T)((uint64_t)a * (uint64_t)b);                                            \
        case VRT__BIN_DIV:                                                                                   \
            if (b == 0) return 0;                                                                            \
            if (b == -1) return (T)(0 - (uint64_t)a);                                                        \
            return a / b;                                                                                    \
        case VRT__BIN_MAX: return a > b ? a : b;                                                             \
        case VRT__BIN_MIN: return a < b ? a : b;                                                             \
        case VRT__BIN_POW: return (T)vrt__sat_i64(pow((double)a, (double)b));                                \
        case VRT__BIN_MOD: {                                                                                 \
            if (b == 0 || b == -1) return 0;                                                                 \
            T r = a % b; /* ONNX Mod (fmod=0) on integers: the sign of the divisor */                        \
            if (r != 0 && ((r < 0) != (b < 0))) r += b;                                                      \
            return r;                                                                                        \
        }                                                                                                    \
        default: return 0;                                                                                   \
        }                                                                                                    \
    }
VRT__INT_BINARY(vrt__bin_i64, int64_t, INT64_MIN)
VRT__INT_BINARY(vrt__bin_i32, int32_t, INT32_MIN)

static inline uint64_t vrt__bin_u64(vrt__binary_op op, uint64_t a, uint64_t b) {
    switch (op) {
    case VRT__BIN_ADD: return a + b;
    case VRT__BIN_SUB: return a - b;
    case VRT__BIN_MUL: return a * b;
    case VRT__BIN_DIV: return b ? a / b : 0;
    case VRT__BIN_MAX: return a > b ? a : b;
    case VRT__BIN_MIN: return a < b ? a : b;
    case VRT__BIN_POW: {
        double p = pow((double)a, (double)b);
        return p >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)p;
    }
    case VRT__BIN_MOD: return b ? a % b : 0;
    default: return 0;
    }
}

typedef struct {
    vrt__binary_op op;
    vrt__dtype dt;
    const void *a, *b;
    void *y;
} vrt__binary_job;

static void vrt__binary_seg(void *ctx, int64_t o, const int64_t *off, const int64_t *step, int64_t len) {
    vrt__binary_job *j = ctx;
    int64_t sa = step[0], sb = step[1];
    if (j->dt == VRT__DT_FLOAT) {
        const float *a = (const float *)j->a + off[0], *b = (const float *)j->b + off[1];
        float *y = (float *)j->y + o;
        vrt__binary_op op = j->op;
        /* Specialise the hot cases (same-shape and per-channel/scalar operands). */
        if (op == VRT__BIN_ADD && sa == 1 && sb == 1) {
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i] + b[i];
        } else if (op == VRT__BIN_ADD && sa == 1 && sb == 0) {
            float bv = b[0];
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i] + bv;
        } else if (op == VRT__BIN_MUL && sa == 1 && sb == 1) {
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i] * b[i];
        } else if (op == VRT__BIN_MUL && sa == 1 && sb == 0) {
            float bv = b[0];
            for (int64_t i = 0; i < len; i++)
                y[i] = a[i] * bv;
        } else {
            for (int64_t i = 0; i < len; i++)
                y[i] = vrt__bin_f32(op, a[i * sa], b[i * sb]);
        }
    } else if (j->dt == VRT__DT_UINT64) {
        const uint64_t *a = (const uint64_t *)j->a + off[0], *b = (const uint64_t *)j->b + off[1];
        uint64_t *y = (uint64_t *)j->y + o;
        for (int64_t i = 0; i < len; i++)
            y[i] = vrt__bin_u64(j->op, a[i * sa], b[i * sb]);
    } else if (j->dt == VRT__DT_INT64) {
        const int64_t *a = (const int64_t *)j->a + off[0], *b = (const int64_t *)j->b + off[1];
        int64_t *y = (int64_t *)j->y + o;
        for (int64_t i = 0; i < len; i++)
            y[i] = vrt__bin_i64(j->op, a[i * sa], b[i * sb]);
    } else {
        const int32_t *a = (const int32_t *)j->a + off[0], *b = (const int32_t *)j->b + off[1];
        int32_t *y = (int32_t *)j->y + o;
        for (int64_t i = 0; i < len; i++)
            y[i] = vrt__bin_i32(j->op, a[i * sa], b[i * sb]);
    }
}

static vrt_status vrt__check_out_broadcast(const vrt__shape *sa, const vrt__shape *sb, const vrt__shape *sy) {
    vrt__shape want;
    vrt_status st = vrt__broadcast_shape(sa, sb, &want);
    if (st) return st;
    return vrt__same_shape(&want, sy) ? VRT_OK : VRT_EINVAL;
}

vrt_status vrt__cpu_binary(vrt__threadpool *tp, vrt__binary_op op, vrt__dtype dt, const void *a,
                           const vrt__shape *sa, const void *b, const vrt__shape *sb, void *y,
                           const vrt__shape *sy) {
    if (op < 0 || op >= VRT__BIN_COUNT) return VRT_EUNSUPPORTED;
    if (dt != VRT__DT_FLOAT && dt != VRT__DT_INT64 && dt != VRT__DT_INT32 && dt != VRT__DT_UINT64)
        return VRT_EUNSUPPORTED;
    if (op == VRT__BIN_PRELU && dt != VRT__DT_FLOAT) return VRT_EUNSUPPORTED;
    vrt_status st = vrt__check_out_broadcast(sa, sb, sy);
    if (st) return st;
    vrt__bcast bc;
    const vrt__shape *ins[2] = {sa, sb};
    if ((st = vrt__bcast_init(&bc, sy, 2, ins))) return st;
    vrt__binary_job j = {op, dt, a, b, y};
    vrt__bcast_run(tp, &bc, vrt__binary_seg, &j);
    return VRT_OK;
}

/* ---- comparisons and logic ------------------------------------------------ */

typedef struct {
    int op;
    vrt__dtype dt;
    const void *a, *b;
    uint8_t *y;
} vrt__cmp_job;

#define VRT__CMP_LOOP(T)                                                                                     \
    do {                                                                                                     \
        const T *a = (const T *)j->a + off[0], *b = (const T *)j->b + off[1];                                \
        for (int64_t i = 0; i < len; i++) {                                                                  \
            T va = a[i * sa], vb = b[i * sb];                                                                \
            int r;                                                                                           \
            switch (j->op) {                                                                                 \
            case VRT__CMP_EQUAL: r = va == vb; break;                                                        \
            case VRT__CMP_GREATER: r = va > vb; break;                                                       \
            case VRT__CMP_LESS: r = va < vb; break;                                                          \
            case VRT__CMP_GREATER_OR_EQUAL: r = va >= vb; break;                                             \
            default: r = va <= vb; break;                                                                    \
            }                                                                                                \
            y[i] = (uint8_t)r;                                                                               \
        }                                                                                                    \
    } while (0)

static void vrt__cmp_seg(void *ctx, int64_t o, const int64_t *off, const int64_t *step, int64_t len) {
    vrt__cmp_job *j = ctx;
    int64_t sa = step[0], sb = step[1];
    uint8_t *y = j->y + o;
    switch (j->dt) {
    case VRT__DT_FLOAT: VRT__CMP_LOOP(float); break;
    case VRT__DT_INT64: VRT__CMP_LOOP(int64_t); break;
    case VRT__DT_INT32: VRT__CMP_LOOP(int32_t); break;
    default: VRT__CMP_LOOP(uint8_t); break;
    }
}

vrt_status vrt__cpu_compare(vrt__compare_op op, vrt__dtype dt, const void *a, const vrt__shape *sa,
                            const void *b, const vrt__shape *sb, uint8_t *y, const vrt__shape *sy) {
    if (op < 0 || op >= VRT__CMP_COUNT) return VRT_EUNSUPPORTED;
    if (dt != VRT__DT_FLOAT && dt != VRT__DT_INT64 && dt != VRT__DT_INT32 &&
        !(dt == VRT__DT_BOOL && op == VRT__CMP_EQUAL))
        return VRT_EUNSUPPORTED;
    vrt_status st = vrt__check_out_broadcast(sa, sb, sy);
    if (st) return st;
    vrt__bcast bc;
    const vrt__shape *ins[2] = {sa, sb};
    if ((st = vrt__bcast_init(&bc, sy, 2, ins))) return st;
    vrt__cmp_job j = {op, dt, a, b, y};
    vrt__bcast_run(NULL, &bc, vrt__cmp_seg, &j);
    return VRT_OK;
}

static void vrt__logic_seg(void *ctx, int64_t o, const int64_t *off, const int64_t *step, int64_t len) {
    vrt__cmp_job *j = ctx;
    const uint8_t *a = (const uint8_t *)j->a + off[0], *b = (const uint8_t *)j->b + off[1];
    uint8_t *y = j->y + o;
    for (int64_t i = 0; i < len; i++) {
        int va = a[i * step[0]] != 0, vb = b[i * step[1]] != 0;
        y[i] = (uint8_t)(j->op == 0 ? (va & vb) : j->op == 1 ? (va | vb) : (va ^ vb));
    }
}

vrt_status vrt__cpu_logical(int op, const uint8_t *a, const vrt__shape *sa, const uint8_t *b,
                            const vrt__shape *sb, uint8_t *y, const vrt__shape *sy) {
    if (op < 0 || op > 2) return VRT_EUNSUPPORTED;
    vrt_status st = vrt__check_out_broadcast(sa, sb, sy);
    if (st) return st;
    vrt__bcast bc;
    const vrt__shape *ins[2] = {sa, sb};
    if ((st = vrt__bcast_init(&bc, sy, 2, ins))) return st;
    vrt__cmp_job j = {op, VRT__DT_BOOL, a, b, y};
    vrt__bcast_run(NULL, &bc, vrt__logic_seg, &j);
    return VRT_OK;
}

/* ---- Where and Expand ----------------------------------------------------- */

typedef struct {
    const uint8_t *c;
    const uint8_t *x, *y;
    uint8_t *out;
    size_t elem;
} vrt__where_job;

static void vrt__where_seg(void *ctx, int64_t o, const int64_t *off, const int64_t *step, int64_t len) {
    vrt__where_job *j = ctx;
    size_t e = j->elem;
    const uint8_t *c = j->c + off[0];
    const uint8_t *x = j->x + (size_t)off[1] * e, *y = j->y + (size_t)off[2] * e;
    uint8_t *out = j->out + (size_t)o * e;
    int64_t sc = step[0];
    size_t sx = (size_t)step[1] * e, sy = (size_t)step[2] * e;
    if (e == 4) {
        for (int64_t i = 0; i < len; i++) {
            uint32_t v;
            memcpy(&v, c[i * sc] ? x + (size_t)i * sx : y + (size_t)i * sy, 4);
            memcpy(out + (size_t)i * 4, &v, 4);
        }
    } else {
        for (int64_t i = 0; i < len; i++)
            memcpy(out + (size_t)i * e, c[i * sc] ? x + (size_t)i * sx : y + (size_t)i * sy, e);
    }
}

vrt_status vrt__cpu_where(const uint8_t *cond, const vrt__shape *sc, const void *x, const vrt__shape *sx,
                          const void *y, const vrt__shape *sy, size_t elem, void *out, const vrt__shape *so) {
    if (elem == 0) return VRT_EINVAL;
    vrt__shape t, want;
    vrt_status st;
    if ((st = vrt__broadcast_shape(sc, sx, &t)) || (st = vrt__broadcast_shape(&t, sy, &want))) return st;
    if (!vrt__same_shape(&want, so)) return VRT_EINVAL;
    vrt__bcast bc;
    const vrt__shape *ins[3] = {sc, sx, sy};
    if ((st = vrt__bcast_init(&bc, so, 3, ins))) return st;
    vrt__where_job j = {cond, x, y, out, elem};
    vrt__bcast_run(NULL, &bc, vrt__where_seg, &j);
    return VRT_OK;
}

typedef struct {
    const uint8_t *x;
    uint8_t *y;
    size_t elem;
} vrt__copy_job;

static void vrt__expand_seg(void *ctx, int64_t o, const int64_t *off, const int64_t *step, int64_t len) {
    vrt__copy_job *j = ctx;
    size_t e = j->elem;
    const uint8_t *x = j->x + (size_t)off[0] * e;
    uint8_t *y = j->y + (size_t)o * e;
    if (step[0] == 1) {
        memcpy(y, x, (size_t)len * e);
    } else {
        for (int64_t i = 0; i < len; i++)
            memcpy(y + (size_t)i * e, x, e);
    }
}

vrt_status vrt__cpu_expand(const void *x, const vrt__shape *sx, size_t elem, void *y, const vrt__shape *sy) {
    if (elem == 0 || !vrt__broadcasts_to(sx, sy)) return VRT_EINVAL;
    vrt__bcast bc;
    const vrt__shape *ins[1] = {sx};
    vrt_status st = vrt__bcast_init(&bc, sy, 1, ins);
    if (st) return st;
    vrt__copy_job j = {x, y, elem};
    vrt__bcast_run(NULL, &bc, vrt__expand_seg, &j);
    return VRT_OK;
}

/* ---- fused chain ---------------------------------------------------------- */

typedef struct {
    const float *x;
    float *y;
    const vrt__chain_step *steps;
    int nsteps;
} vrt__chain_job;

static void vrt__chain_seg(void *ctx, int64_t o, const int64_t *off, const int64_t *step, int64_t len) {
    vrt__chain_job *j = ctx;
    float *y = j->y + o;
    const float *x = j->x + o;
    if (x != y) memcpy(y, x, (size_t)len * sizeof(float));
    int k = 1; /* input 0 is x itself */
    for (int s = 0; s < j->nsteps; s++) {
        const vrt__chain_step *cs = &j->steps[s];
        if (!cs->is_binary) {
            vrt__unary_loop(&cs->un, y, y, len);
            continue;
        }
        const float *b = cs->operand + off[k];
        int64_t sb = step[k];
        k++;
        if (cs->operand_first) {
            for (int64_t i = 0; i < len; i++)
                y[i] = vrt__bin_f32(cs->bin, b[i * sb], y[i]);
        } else if (cs->bin == VRT__BIN_ADD) {
            for (int64_t i = 0; i < len; i++)
                y[i] += b[i * sb];
        } else if (cs->bin == VRT__BIN_MUL) {
            for (int64_t i = 0; i < len; i++)
                y[i] *= b[i * sb];
        } else {
            for (int64_t i = 0; i < len; i++)
                y[i] = vrt__bin_f32(cs->bin, y[i], b[i * sb]);
        }
    }
}

vrt_status vrt__cpu_chain_f32(vrt__threadpool *tp, const float *x, const vrt__shape *sx,
                              const vrt__chain_step *steps, int nsteps, float *y) {
    if (nsteps < 0 || nsteps > VRT__CHAIN_MAX_STEPS) return VRT_EINVAL;
    const vrt__shape *ins[VRT__BC_MAX_IN];
    int nin = 0;
    ins[nin++] = sx;
    for (int s = 0; s < nsteps; s++) {
        if (!steps[s].is_binary) {
            if (steps[s].un.op < 0 || steps[s].un.op >= VRT__UN_COUNT) return VRT_EUNSUPPORTED;
            continue;
        }
        if (steps[s].bin < 0 || steps[s].bin >= VRT__BIN_COUNT) return VRT_EUNSUPPORTED;
        if (!steps[s].operand || !vrt__broadcasts_to(&steps[s].operand_shape, sx)) return VRT_EINVAL;
        ins[nin++] = &steps[s].operand_shape;
    }
    vrt__bcast bc;
    vrt_status st = vrt__bcast_init(&bc, sx, nin, ins);
    if (st) return st;
    vrt__chain_job j = {x, y, steps, nsteps};
    vrt__bcast_run(tp, &bc, vrt__chain_seg, &j);
    return VRT_OK;
}
