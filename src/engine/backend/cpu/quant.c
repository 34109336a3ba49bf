/*
 * The CPU backend's quantization kernels: QuantizeLinear / DequantizeLinear
 * (per tensor, per axis, blocked), QLinearConv / ConvInteger (int8 conv with
 * int32 accumulation and the requantisation in the epilogue) and
 * QLinearMatMul / MatMulInteger.
 *
 * The conv: per image and group, the input minus its zero point is laid out
 * by im2col as int16 pairs along K ([K/2][P][2]), the weights minus theirs as
 * int16 rows; the GEMM multiplies pairs with pmaddwd (AVX2: 16 exact
 * multiply-adds into int32 per instruction; |x - zp| <= 255, so every
 * product and pair sum is exact, unlike pmaddubsw's saturating int16 sums)
 * and the epilogue adds the int32 bias, scales by x_scale * w_scale / y_scale
 * in fp32, rounds half to even and saturates, as onnxruntime does.
 */
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define VRT_QX86 1
#endif

#include "engine/backend/cpu/cpu_impl.h"
#include "model/plan.h"

#define SI(s, k) vrt__step_in_shape(s, k)
#define SO(s, k) vrt__step_out_shape(s, k)
#define CTX(v) ((vrt__cpu_ctx *)(v))

/* Element i of an integer tensor of internal type d (the quantized types). */
static int32_t qget(vrt__dtype d, const void *p, int64_t i) {
    switch (d) {
    case VRT__DT_INT8: return ((const int8_t *)p)[i];
    case VRT__DT_UINT8: return ((const uint8_t *)p)[i];
    case VRT__DT_INT16: return ((const int16_t *)p)[i];
    case VRT__DT_UINT16: return ((const uint16_t *)p)[i];
    case VRT__DT_INT32: return ((const int32_t *)p)[i];
    default: return 0;
    }
}

static void qset(vrt__dtype d, void *p, int64_t i, int32_t v) {
    switch (d) {
    case VRT__DT_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case VRT__DT_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case VRT__DT_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case VRT__DT_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    default: ((int32_t *)p)[i] = v; break;
    }
}

/* Zero point k of step s (0 when the input is absent). */
static int32_t zp_at(const vrt__step *s, int k, int64_t i) {
    if (k >= s->nin || !s->in[k]) return 0;
    return qget(vrt__plan_dtype(s->ti[k]->dtype), s->in[k], i);
}

/* Round half to even without a libm call (the default rounding mode; the
 * build has no SSE4.1 baseline for an inline roundss): adding and
 * subtracting 1.5 * 2^23 rounds any |v| < 2^22 to an integer. */
static inline float round_even(float v) {
    if (!(fabsf(v) < 4194304.0f)) return v; /* already an integer, inf or NaN */
    float t = v + 12582912.0f;              /* no -ffast-math: the compiler keeps the pair */
    return t - 12582912.0f;
}

/* round half to even, saturated to [lo, hi]. */
static int32_t requant(float v, int32_t zp, int32_t lo, int32_t hi) {
    float r = round_even(v) + (float)zp;
    if (!(r >= (float)lo)) return lo; /* NaN saturates low, as a cast would be undefined */
    if (r > (float)hi) return hi;
    return (int32_t)r;
}

/* ---- QuantizeLinear / DequantizeLinear ---- */

typedef struct {
    const vrt__step *s;
    int64_t nblk; /* blocked: scales along the axis */
} quant_job;

static int64_t scale_index(const vrt__quant_params *p, int64_t nblk, int64_t o, int64_t a, int64_t r) {
    switch (p->mode) {
    case VRT__QUANT_PER_AXIS: return a;
    case VRT__QUANT_BLOCKED: return (o * nblk + a / p->block) * p->inner + r;
    default: return 0;
    }
}

/* Element i of input 0 with scale sc and zero point zp. */
static void quant_one(const vrt__step *s, vrt__dtype qd, int64_t i, float sc, int32_t zp) {
    if (s->u.quant.dequant)
        ((float *)s->out[0])[i] = (float)((double)qget(qd, s->in[0], i) - zp) * sc;
    else
        qset(qd, s->out[0], i, requant(((const float *)s->in[0])[i] / sc, zp, s->u.quant.lo, s->u.quant.hi));
}

#define QCHUNK 4096

#ifdef VRT_QX86
static int q_have_avx2(void) {
    return __builtin_cpu_supports("avx2");
}

/* Per tensor, 8-bit: y[i] = sat(round(x[i] / sc) + zp), 8 at a time; returns elements done. */
__attribute__((target("avx2"))) static int64_t quant8_avx2(const float *x, void *y, int64_t n, float sc,
                                                           int32_t zp, int sgn) {
    __m256 vs = _mm256_set1_ps(sc);
    __m256i vz = _mm256_set1_epi32(zp), lo = _mm256_set1_epi32(sgn ? -128 : 0),
            hi = _mm256_set1_epi32(sgn ? 127 : 255);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), vs),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        /* Bounded before the conversion (out of range converts to INT_MIN); NaN becomes the low bound. */
        v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-1073741824.0f)), _mm256_set1_ps(1073741824.0f));
        __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), vz);
        q = _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
        int32_t t[8];
        _mm256_storeu_si256((__m256i *)t, q);
        for (int k = 0; k < 8; k++)
            if (sgn)
                ((int8_t *)y)[i + k] = (int8_t)t[k];
            else
                ((uint8_t *)y)[i + k] = (uint8_t)t[k];
    }
    return i;
}

/* Per tensor, 8-bit: y[i] = (x[i] - zp) * sc, 8 at a time; returns elements done. */
__attribute__((target("avx2"))) static int64_t dequant8_avx2(const void *x, float *y, int64_t n, float sc,
                                                             int32_t zp, int sgn) {
    __m256 vs = _mm256_set1_ps(sc);
    __m256i vz = _mm256_set1_epi32(zp);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i b = _mm_loadl_epi64((const __m128i *)((const uint8_t *)x + i));
        __m256i v = sgn ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v, vz)), vs));
    }
    return i;
}
#endif

/* Per tensor: elements [i * QCHUNK, (i + 1) * QCHUNK). */
static void quant_flat_task(void *arg, int64_t i) {
    const quant_job *j = arg;
    const vrt__step *s = j->s;
    vrt__dtype qd = vrt__plan_dtype(s->u.quant.qt);
    float sc = ((const float *)s->in[1])[0];
    int32_t zp = zp_at(s, 2, 0);
    int64_t e = i * QCHUNK, end = (i + 1) * QCHUNK < s->on ? (i + 1) * QCHUNK : s->on;
#ifdef VRT_QX86
    if ((qd == VRT__DT_UINT8 || qd == VRT__DT_INT8) && q_have_avx2()) {
        int sgn = qd == VRT__DT_INT8;
        if (s->u.quant.dequant)
            e += dequant8_avx2((const uint8_t *)s->in[0] + e, (float *)s->out[0] + e, end - e, sc, zp, sgn);
        else if (s->u.quant.lo == (sgn ? -128 : 0) && s->u.quant.hi == (sgn ? 127 : 255))
            e += quant8_avx2((const float *)s->in[0] + e, (uint8_t *)s->out[0] + e, end - e, sc, zp, sgn);
    }
#endif
    for (; e < end; e++)
        quant_one(s, qd, e, sc, zp);
}

/* Per axis or blocked: one [len, inner] slab (index o) of the input. */
static void quant_task(void *arg, int64_t o) {
    const quant_job *j = arg;
    const vrt__step *s = j->s;
    const vrt__quant_params *p = &s->u.quant.p;
    const float *scale = s->in[1];
    vrt__dtype qd = vrt__plan_dtype(s->u.quant.qt);
    int64_t base = o * p->len * p->inner;
    for (int64_t a = 0; a < p->len; a++)
        for (int64_t r = 0; r < p->inner; r++) {
            int64_t si = scale_index(p, j->nblk, o, a, r);
            quant_one(s, qd, base + a * p->inner + r, scale[si], zp_at(s, 2, si));
        }
}

vrt_status vrt__cpu_quant(void *c, const vrt__step *s, void *stream) {
    (void)stream;
    const vrt__quant_params *p = &s->u.quant.p;
    quant_job j = {s, p->block > 0 ? (p->len + p->block - 1) / p->block : 1};
    if (p->mode == VRT__QUANT_PER_TENSOR)
        vrt__parallel_for(CTX(c)->tp, (s->on + QCHUNK - 1) / QCHUNK, quant_flat_task, &j);
    else
        vrt__parallel_for(CTX(c)->tp, p->outer, quant_task, &j);
    return VRT_OK;
}

/* ---- QLinearConv / ConvInteger ---- */

#define QMR 4  /* GEMM rows per tile */
#define QNR 16 /* GEMM columns per micro-tile */
#define QPB 64 /* columns per task */

typedef struct {
    const vrt__step *s;
    int64_t G, Mg, Mp, Kg, Kp, P, Pp; /* groups; rows, padded rows; K, padded K; columns, padded */
    int16_t *a;                       /* [G][Mp][Kp] weights minus zero point */
    int16_t *col;                     /* [Kp / 2][Pp][2] input minus zero point */
    float *mult;                      /* [M] x_scale * w_scale / y_scale (SiLU: x_scale * w_scale) */
    int32_t *bias;                    /* [M] */
    float inv_ys;                     /* SiLU: 1 / y_scale */
    int32_t yzp, lo, hi;
    vrt__dtype yd;    /* output type */
    int fast;         /* 8-bit QLinearConv output on AVX2: the vector epilogue */
    const uint8_t *x; /* image n, group g */
    int64_t n, g;
} qconv_job;

static int64_t up(int64_t v, int64_t m) {
    return (v + m - 1) / m * m;
}

static void qconv_dims(const vrt__step *s, qconv_job *j) {
    const vrt__conv_params *p = &s->u.qconv.conv;
    int64_t ks = 1, P = 1;
    for (int i = 0; i < p->nsp; i++)
        ks *= p->k[i], P *= p->out[i];
    j->G = p->group, j->Mg = p->M / p->group, j->Mp = up(j->Mg, QMR);
    j->Kg = p->C / p->group * ks, j->Kp = up(j->Kg, 2);
    j->P = P, j->Pp = up(P, QNR);
}

size_t vrt__cpu_qconv_scratch(void *c, const vrt__step *s) {
    (void)c;
    qconv_job j;
    qconv_dims(s, &j);
    int64_t M = s->u.qconv.conv.M;
    return (size_t)(2 * j.G * j.Mp * j.Kp + 2 * j.Kp * j.Pp + 8 * M + 256);
}

/* Rows of the weights minus their zero points, K padded with zeros. */
static void qconv_pack_a(const vrt__step *s, qconv_job *j) {
    int wi = s->u.qconv.qlinear ? 3 : 1, wzpi = s->u.qconv.qlinear ? 5 : 3;
    const void *w = s->in[wi];
    int sw = s->u.qconv.w_signed;
    memset(j->a, 0, (size_t)(j->G * j->Mp * j->Kp) * 2);
    for (int64_t g = 0; g < j->G; g++)
        for (int64_t m = 0; m < j->Mg; m++) {
            int64_t om = g * j->Mg + m;
            int32_t zp = zp_at(s, wzpi, s->u.qconv.w_per_channel ? om : 0);
            int16_t *dst = j->a + (g * j->Mp + m) * j->Kp;
            for (int64_t k = 0; k < j->Kg; k++) {
                int64_t i = om * j->Kg + k;
                int32_t v = sw ? ((const int8_t *)w)[i] : ((const uint8_t *)w)[i];
                dst[k] = (int16_t)(v - zp);
            }
        }
}

/* im2col row k (channel c, kernel offsets) of image n, group g. */
static void qconv_im2col_task(void *arg, int64_t k) {
    const qconv_job *j = arg;
    const vrt__conv_params *p = &j->s->u.qconv.conv;
    int16_t *dst = j->col + (k >> 1) * j->Pp * 2 + (k & 1);
    if (k >= j->Kg) {
        for (int64_t q = 0; q < j->Pp; q++)
            dst[2 * q] = 0;
        return;
    }
    int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, kk[3] = {1, 1, 1}, st[3] = {1, 1, 1}, dl[3] = {1, 1, 1},
            pb[3] = {0, 0, 0}, off[3] = {0, 0, 0};
    int o3 = 3 - p->nsp;
    for (int i = 0; i < p->nsp; i++) {
        in[o3 + i] = p->in[i], out[o3 + i] = p->out[i], kk[o3 + i] = p->k[i];
        st[o3 + i] = p->strides[i], dl[o3 + i] = p->dilations[i], pb[o3 + i] = p->pads_begin[i];
    }
    int64_t r = k;
    for (int i = 2; i >= 0; i--)
        off[i] = r % kk[i], r /= kk[i];
    int64_t ch = r, plane = in[0] * in[1] * in[2];
    int sx = j->s->u.qconv.x_signed;
    int32_t xzp = zp_at(j->s, 2, 0);
    const uint8_t *x = j->x + ch * plane;
    int64_t q = 0;
    for (int64_t a = 0; a < out[0]; a++)
        for (int64_t b = 0; b < out[1]; b++)
            for (int64_t d = 0; d < out[2]; d++, q++) {
                int64_t i0 = a * st[0] - pb[0] + off[0] * dl[0], i1 = b * st[1] - pb[1] + off[1] * dl[1],
                        i2 = d * st[2] - pb[2] + off[2] * dl[2];
                int32_t v = 0; /* padding holds the zero point: 0 after the subtraction */
                if (i0 >= 0 && i0 < in[0] && i1 >= 0 && i1 < in[1] && i2 >= 0 && i2 < in[2]) {
                    int64_t e = (i0 * in[1] + i1) * in[2] + i2;
                    v = (sx ? (int32_t)((const int8_t *)x)[e] : (int32_t)x[e]) - xzp;
                }
                dst[2 * q] = (int16_t)v;
            }
    for (; q < j->Pp; q++)
        dst[2 * q] = 0;
}

/* acc[QMR][QNR] = a rows [QMR][Kp] times col columns [p0, p0 + QNR). */
static void qgemm_tile_c(const int16_t *a, int64_t Kp, const int16_t *col, int64_t Pp, int64_t p0,
                         int32_t acc[QMR][QNR]) {
    memset(acc, 0, sizeof(int32_t) * QMR * QNR);
    for (int64_t kk = 0; kk < Kp / 2; kk++) {
        const int16_t *b = col + (kk * Pp + p0) * 2;
        for (int r = 0; r < QMR; r++) {
            int32_t a0 = a[r * Kp + 2 * kk], a1 = a[r * Kp + 2 * kk + 1];
            for (int q = 0; q < QNR; q++)
                acc[r][q] += a0 * b[2 * q] + a1 * b[2 * q + 1];
        }
    }
}

#ifdef VRT_QX86
__attribute__((target("avx2"))) static void qgemm_tile_avx2(const int16_t *a, int64_t Kp, const int16_t *col,
                                                            int64_t Pp, int64_t p0, int32_t acc[QMR][QNR]) {
    __m256i c[QMR][2];
    for (int r = 0; r < QMR; r++)
        c[r][0] = c[r][1] = _mm256_setzero_si256();
    for (int64_t kk = 0; kk < Kp / 2; kk++) {
        const int16_t *b = col + (kk * Pp + p0) * 2;
        __m256i b0 = _mm256_loadu_si256((const __m256i *)b),
                b1 = _mm256_loadu_si256((const __m256i *)(b + 16));
        for (int r = 0; r < QMR; r++) {
            int32_t pair;
            memcpy(&pair, a + r * Kp + 2 * kk, 4);
            __m256i av = _mm256_set1_epi32(pair);
            c[r][0] = _mm256_add_epi32(c[r][0], _mm256_madd_epi16(av, b0));
            c[r][1] = _mm256_add_epi32(c[r][1], _mm256_madd_epi16(av, b1));
        }
    }
    for (int r = 0; r < QMR; r++) {
        _mm256_storeu_si256((__m256i *)acc[r], c[r][0]);
        _mm256_storeu_si256((__m256i *)(acc[r] + 8), c[r][1]);
    }
}
#endif

typedef void (*qgemm_fn)(const int16_t *, int64_t, const int16_t *, int64_t, int64_t, int32_t[QMR][QNR]);

static qgemm_fn qgemm_pick(void) {
#ifdef VRT_QX86
    if (q_have_avx2()) return qgemm_tile_avx2;
#endif
    return qgemm_tile_c;
}

#ifdef VRT_QX86
/* One full row of 16 outputs of an 8-bit QLinearConv: bias, scale, round, saturate. */
__attribute__((target("avx2"))) static void requant16_avx2(const int32_t *acc, int32_t bias, float mult,
                                                           int32_t zp, int32_t lo, int32_t hi, void *y,
                                                           int sgn) {
    __m256 m = _mm256_set1_ps(mult);
    __m256i b = _mm256_set1_epi32(bias), z = _mm256_set1_epi32(zp), l = _mm256_set1_epi32(lo),
            h = _mm256_set1_epi32(hi), r[2];
    for (int k = 0; k < 2; k++) {
        __m256 v = _mm256_mul_ps(
            _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + 8 * k)), b)), m);
        v = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-1073741824.0f)), _mm256_set1_ps(1073741824.0f));
        r[k] = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(v), z), l), h);
    }
    /* Saturating packs keep the values (already in range); the permute undoes the lane interleave. */
    __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(r[0], r[1]), 0xD8);
    __m128i lo16 = _mm256_castsi256_si128(w), hi16 = _mm256_extracti128_si256(w, 1);
    __m128i p = sgn ? _mm_packs_epi16(lo16, hi16) : _mm_packus_epi16(lo16, hi16);
    _mm_storeu_si128((__m128i *)y, p);
}
#endif

/* Bias, scale, round, saturate: rows [m0, m0 + QMR) and columns [p0, p0 + QNR) of the tile. */
static void qconv_epilogue(const qconv_job *j, int64_t m0, int64_t p0, int32_t acc[QMR][QNR]) {
    const vrt__step *s = j->s;
#ifdef VRT_QX86
    if (j->fast && p0 + QNR <= j->P) {
        int sgn = j->yd == VRT__DT_INT8;
        for (int r = 0; r < QMR && m0 + r < j->Mg; r++) {
            int64_t om = j->g * j->Mg + m0 + r;
            requant16_avx2(acc[r], j->bias[om], j->mult[om], j->yzp, j->lo, j->hi,
                           (uint8_t *)s->out[0] + (j->n * s->u.qconv.conv.M + om) * j->P + p0, sgn);
        }
        return;
    }
#endif
    vrt__dtype yd = vrt__plan_dtype(s->to[0]->dtype);
    int64_t M = s->u.qconv.conv.M;
    for (int r = 0; r < QMR && m0 + r < j->Mg; r++) {
        int64_t om = j->g * j->Mg + m0 + r;
        int64_t base = (j->n * M + om) * j->P;
        for (int q = 0; q < QNR && p0 + q < j->P; q++) {
            int32_t v = acc[r][q] + j->bias[om];
            if (s->u.qconv.silu) {
                /* The activation on the real value, then the output's rounding. */
                float f = (float)v * j->mult[om];
                v = requant(f / (1.0f + expf(-f)) * j->inv_ys, j->yzp, j->lo, j->hi);
            } else if (s->u.qconv.qlinear) {
                v = requant((float)v * j->mult[om], j->yzp, j->lo, j->hi);
            }
            qset(yd, s->out[0], base + p0 + q, v);
        }
    }
}

static void qconv_gemm_task(void *arg, int64_t t) {
    const qconv_job *j = arg;
    int64_t pblocks = (j->Pp + QPB - 1) / QPB;
    int64_t mb = t / pblocks, pb = t % pblocks;
    const int16_t *a = j->a + (j->g * j->Mp + mb * QMR) * j->Kp;
    qgemm_fn f = qgemm_pick();
    int32_t acc[QMR][QNR];
    for (int64_t p0 = pb * QPB; p0 < (pb + 1) * QPB && p0 < j->Pp; p0 += QNR) {
        f(a, j->Kp, j->col, j->Pp, p0, acc);
        qconv_epilogue(j, mb * QMR, p0, acc);
    }
}

/* Multipliers and bias per output channel; the output's range. */
static void qconv_epilogue_params(const vrt__step *s, qconv_job *j) {
    const vrt__qconv_params *q = &s->u.qconv;
    int64_t M = q->conv.M;
    j->lo = q->lo, j->hi = q->hi, j->yzp = 0;
    for (int64_t m = 0; m < M; m++) {
        j->bias[m] = q->qlinear && s->nin > 8 && s->in[8] ? ((const int32_t *)s->in[8])[m] : 0;
        j->mult[m] = 1.0f;
    }
    if (!q->qlinear) return;
    float xs = ((const float *)s->in[1])[0], ys = ((const float *)s->in[6])[0];
    const float *ws = s->in[4];
    j->inv_ys = 1.0f / ys;
    for (int64_t m = 0; m < M; m++)
        j->mult[m] = xs * ws[q->w_per_channel ? m : 0] / (q->silu ? 1.0f : ys);
    j->yzp = zp_at(s, 7, 0);
    if (q->relu && j->yzp > j->lo) j->lo = j->yzp;
}

vrt_status vrt__cpu_qconv(void *c, const vrt__step *s, void *stream) {
    (void)stream;
    qconv_job j;
    memset(&j, 0, sizeof(j));
    j.s = s;
    qconv_dims(s, &j);
    const vrt__conv_params *p = &s->u.qconv.conv;
    uint8_t *sc = CTX(c)->scratch;
    j.a = (int16_t *)sc;
    j.col = j.a + j.G * j.Mp * j.Kp;
    j.mult = (float *)(void *)(j.col + j.Kp * j.Pp);
    j.bias = (int32_t *)(void *)(j.mult + p->M);
    qconv_pack_a(s, &j);
    qconv_epilogue_params(s, &j);
    j.yd = vrt__plan_dtype(s->to[0]->dtype);
#ifdef VRT_QX86
    j.fast = s->u.qconv.qlinear && !s->u.qconv.silu && (j.yd == VRT__DT_UINT8 || j.yd == VRT__DT_INT8) &&
             q_have_avx2();
#endif
    int64_t plane = 1;
    for (int i = 0; i < p->nsp; i++)
        plane *= p->in[i];
    int64_t tasks = (j.Mp / QMR) * ((j.Pp + QPB - 1) / QPB);
    for (j.n = 0; j.n < p->N; j.n++)
        for (j.g = 0; j.g < j.G; j.g++) {
            j.x = (const uint8_t *)s->in[0] + (j.n * p->C + j.g * (p->C / j.G)) * plane;
            vrt__parallel_for(CTX(c)->tp, j.Kp, qconv_im2col_task, &j);
            vrt__parallel_for(CTX(c)->tp, tasks, qconv_gemm_task, &j);
        }
    return VRT_OK;
}

/* ---- QLinearMatMul / MatMulInteger ---- */

typedef struct {
    const vrt__step *s;
    float as, ys;
    const float *bs;
    int32_t yzp;
} qmm_job;

/* One row (batch b, row i) of the output. */
static void qmm_task(void *arg, int64_t t) {
    const qmm_job *j = arg;
    const vrt__step *s = j->s;
    int ql = s->u.qmm.qlinear, bi = ql ? 3 : 1, azi = 2, bzi = ql ? 5 : 3;
    int64_t M = s->u.qmm.M, K = s->u.qmm.K, N = s->u.qmm.N, b = t / M, i = t % M;
    vrt__dtype ad = s->dt, bd = vrt__plan_dtype(s->ti[bi]->dtype), yd = vrt__plan_dtype(s->to[0]->dtype);
    int64_t ao = b * s->u.qmm.a_bstride + i * K, bo = b * s->u.qmm.b_bstride;
    int32_t az = zp_at(s, azi, s->u.qmm.a_zp_rows ? i : 0);
    for (int64_t n = 0; n < N; n++) {
        int32_t bz = zp_at(s, bzi, s->u.qmm.b_per_col ? n : 0), acc = 0;
        for (int64_t k = 0; k < K; k++)
            acc += (qget(ad, s->in[0], ao + k) - az) * (qget(bd, s->in[bi], bo + k * N + n) - bz);
        int64_t o = (b * M + i) * N + n;
        if (ql)
            qset(yd, s->out[0], o,
                 requant((float)acc * (j->as * j->bs[s->u.qmm.b_per_col ? n : 0] / j->ys), j->yzp,
                         s->u.qmm.lo, s->u.qmm.hi));
        else
            qset(yd, s->out[0], o, acc);
    }
}

vrt_status vrt__cpu_qmatmul(void *c, const vrt__step *s, void *stream) {
    (void)stream;
    qmm_job j = {s, 1, 1, NULL, 0};
    if (s->u.qmm.qlinear) {
        j.as = ((const float *)s->in[1])[0], j.bs = s->in[4], j.ys = ((const float *)s->in[6])[0];
        j.yzp = zp_at(s, 7, 0);
    }
    vrt__parallel_for(CTX(c)->tp, s->u.qmm.batch * s->u.qmm.M, qmm_task, &j);
    return VRT_OK;
}
