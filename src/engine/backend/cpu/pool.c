/*
 * MaxPool, AveragePool (1-D to 3-D), GlobalAveragePool, GlobalMaxPool.
 *
 * Output size follows ONNX: floor or ceil of (in + pads - dilated kernel) /
 * stride + 1; with ceil_mode the last window must still start inside the
 * input or the leading pad (the rule ONNX's reference and PyTorch share).
 * Padded positions never take part in a max. For the average,
 * count_include_pad counts the window positions inside the padded input
 * (never the overhang that ceil_mode adds); otherwise only real positions.
 * One work item per (n, c) plane.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "engine/backend/cpu/kernels_nn.h"

typedef struct vrt__pool3 {
    int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
    int64_t invol, outvol;
} vrt__pool3;

static void vrt__pool_to3(const vrt__pool_params *p, vrt__pool3 *c) {
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
}

typedef struct vrt__pool_job {
    vrt__pool3 c;
    const vrt__pool_params *p;
    const float *x;
    float *y;
    int64_t *indices;
    int is_max;
    int hfast; /* MaxPool fast path: horizontal windows with AVX2 */
} vrt__pool_job;

static void vrt__pool_plane(void *arg, int64_t np) {
    const vrt__pool_job *j = arg;
    const vrt__pool3 *c = &j->c;
    const float *xp = j->x + np * c->invol;
    float *yp = j->y + np * c->outvol;
    int64_t *ip = j->indices ? j->indices + np * c->outvol : NULL;
    int64_t oi = 0;
    for (int64_t od = 0; od < c->out[0]; od++)
        for (int64_t oh = 0; oh < c->out[1]; oh++)
            for (int64_t ow = 0; ow < c->out[2]; ow++, oi++) {
                int64_t st[3] = {od * c->s[0] - c->pb[0], oh * c->s[1] - c->pb[1], ow * c->s[2] - c->pb[2]};
                float best = -INFINITY, sum = 0.0f;
                int64_t best_i = -1, nvalid = 0, npad = 1;
                /* Positions inside the padded input, per dim (for count_include_pad). */
                for (int a = 0; a < 3; a++) {
                    int64_t cnt = 0;
                    for (int64_t kk = 0; kk < c->k[a]; kk++) {
                        int64_t pos = st[a] + kk * c->d[a];
                        if (pos >= -c->pb[a] && pos < c->in[a] + c->pe[a]) cnt++;
                    }
                    npad *= cnt;
                }
                for (int64_t kd = 0; kd < c->k[0]; kd++) {
                    int64_t id = st[0] + kd * c->d[0];
                    if (id < 0 || id >= c->in[0]) continue;
                    for (int64_t kh = 0; kh < c->k[1]; kh++) {
                        int64_t ih = st[1] + kh * c->d[1];
                        if (ih < 0 || ih >= c->in[1]) continue;
                        const float *xrow = xp + (id * c->in[1] + ih) * c->in[2];
                        for (int64_t kw = 0; kw < c->k[2]; kw++) {
                            int64_t iw = st[2] + kw * c->d[2];
                            if (iw < 0 || iw >= c->in[2]) continue;
                            float v = xrow[iw];
                            nvalid++;
                            if (j->is_max) {
                                /* First maximum wins; a NaN propagates. */
                                if (v > best || best_i < 0 || (isnan(v) && !isnan(best))) {
                                    best = v;
                                    best_i = (id * c->in[1] + ih) * c->in[2] + iw;
                                }
                            } else {
                                sum += v;
                            }
                        }
                    }
                }
                if (j->is_max) {
                    yp[oi] = best;
                    if (ip) ip[oi] = best_i < 0 ? -1 : np * c->invol + best_i;
                } else {
                    int64_t div = j->p->count_include_pad ? npad : nvalid;
                    yp[oi] = div > 0 ? sum / (float)div : 0.0f;
                }
            }
}

/* Max of two for NaN-free data: among equal values the earlier one (a)
 * stays, as in the generic path. Branch-free (maxps). */
static inline float vrt__max_nan(float a, float v) {
    return v > a ? v : a;
}

/* 1 when x[0..n) holds a NaN (integer test: vectorises). */
static int vrt__has_nan(const float *x, int64_t n) {
    uint32_t any = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, 4);
        any |= (u & 0x7fffffffu) > 0x7f800000u;
    }
    return any != 0;
}

static void vrt__pool_plane(void *arg, int64_t np);

#define VRT__POOL_ROW_MAX 4096
/* The row buffer of the separable path has this many -inf entries before
 * and after the row, so the vectorised horizontal windows need no bounds. */
#define VRT__POOL_ROW_LEAD 16
#define VRT__POOL_ROW_TAIL 48

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VRT__POOL_X86 1

static int vrt__pool_has_avx2(void) {
    /* libgcc detects the CPU once, in a constructor before main: reading it
     * is thread-safe (a lazily filled cache here was a data race between
     * pool threads, reported by ThreadSanitizer). */
    return __builtin_cpu_supports("avx2");
}

/* Even (odd = 0) or odd (odd = 1) elements of p[0..16). */
__attribute__((target("avx2"))) static inline __m256 vrt__pool_deint8(const float *p, int odd) {
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    __m256 t = odd ? _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))
                   : _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* t[x] = max over rows r of x0[r*W + x] (rows >= 1), one pass; the earlier
 * of equal values stays (maxps(v, m) keeps m unless v > m). Returns 1 when
 * one of the rows holds a NaN (the caller then takes the generic path). */
__attribute__((target("avx2"))) static int vrt__vmax_rows(float *t, const float *x0, int64_t W,
                                                          int64_t rows) {
    __m256 nan = _mm256_setzero_ps();
    int64_t x = 0;
    for (; x + 8 <= W; x += 8) {
        __m256 v = _mm256_loadu_ps(x0 + x), m = v;
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        for (int64_t r = 1; r < rows; r++) {
            v = _mm256_loadu_ps(x0 + r * W + x);
            nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
            m = _mm256_max_ps(v, m);
        }
        _mm256_storeu_ps(t + x, m);
    }
    int any = _mm256_movemask_ps(nan) != 0;
    for (; x < W; x++) {
        float m = x0[x];
        any |= vrt__has_nan(x0 + x, 1);
        for (int64_t r = 1; r < rows; r++) {
            any |= vrt__has_nan(x0 + r * W + x, 1);
            m = vrt__max_nan(m, x0[r * W + x]);
        }
        t[x] = m;
    }
    return any;
}

/* yrow[ow] = max_{kw < k} t[ow*s - pb + kw] for stride s in {1, 2}; t has
 * -inf padding before and after the row (see VRT__POOL_ROW_LEAD/TAIL).
 * maxps(v, m) returns m unless v > m: the earlier of equal values stays, as
 * in the scalar path (NaN-free planes only). */
__attribute__((target("avx2"))) static void vrt__pool_hmax(const float *t, int64_t OW, int64_t s, int64_t k,
                                                           int64_t pb, float *yrow) {
    int64_t ow = 0;
    for (; ow + 8 <= OW; ow += 8) {
        const float *b = t + ow * s - pb;
        __m256 m = s == 1 ? _mm256_loadu_ps(b) : vrt__pool_deint8(b, 0);
        for (int64_t kw = 1; kw < k; kw++) {
            __m256 v = s == 1 ? _mm256_loadu_ps(b + kw) : vrt__pool_deint8(b + (kw & ~1), (int)(kw & 1));
            m = _mm256_max_ps(v, m);
        }
        _mm256_storeu_ps(yrow + ow, m);
    }
    for (; ow < OW; ow++) {
        const float *b = t + ow * s - pb;
        float m = b[0];
        for (int64_t kw = 1; kw < k; kw++)
            m = b[kw] > m ? b[kw] : m;
        yrow[ow] = m;
    }
}
#endif

/* MaxPool fast path: 2-D (or 1-D), no dilation, no indices. Separable: for
 * each output row the window's input rows are combined column by column
 * (contiguous, vectorisable), then the horizontal windows are taken from
 * that one row. Same values as the generic path (a max over the same set);
 * a plane holding a NaN takes the generic path, which propagates it. */
static void vrt__maxpool2d_plane(void *arg, int64_t np) {
    const vrt__pool_job *j = arg;
    const vrt__pool3 *c = &j->c;
    const float *xp = j->x + np * c->invol;
    float *yp = j->y + np * c->outvol;
    float buf[VRT__POOL_ROW_LEAD + VRT__POOL_ROW_MAX + VRT__POOL_ROW_TAIL];
    float *tmp = buf + VRT__POOL_ROW_LEAD;
    int64_t H = c->in[1], W = c->in[2];
    for (int64_t i = 0; i < VRT__POOL_ROW_LEAD; i++)
        buf[i] = -INFINITY;
    for (int64_t i = 0; i < VRT__POOL_ROW_TAIL; i++)
        tmp[W + i] = -INFINITY;
    /* NaN propagation: the generic path. The AVX2 path checks the rows as
     * it reads them (a NaN outside every window changes nothing, and every
     * row of a window is read) and redoes the plane when it met one. */
    if (!j->hfast && vrt__has_nan(xp, c->invol)) {
        vrt__pool_plane(arg, np);
        return;
    }
    for (int64_t oh = 0; oh < c->out[1]; oh++) {
        int64_t h0 = oh * c->s[1] - c->pb[1], h1 = h0 + c->k[1];
        if (h0 < 0) h0 = 0;
        if (h1 > H) h1 = H;
        float *yrow = yp + oh * c->out[2];
        if (h0 >= h1) {
            for (int64_t ow = 0; ow < c->out[2]; ow++)
                yrow[ow] = -INFINITY;
            continue;
        }
#ifdef VRT__POOL_X86
        if (j->hfast) {
            if (vrt__vmax_rows(tmp, xp + h0 * W, W, h1 - h0)) {
                vrt__pool_plane(arg, np);
                return;
            }
            vrt__pool_hmax(tmp, c->out[2], c->s[2], c->k[2], c->pb[2], yrow);
            continue;
        }
#endif
        memcpy(tmp, xp + h0 * W, (size_t)W * sizeof(float));
        for (int64_t ih = h0 + 1; ih < h1; ih++) {
            const float *r = xp + ih * W;
            for (int64_t x = 0; x < W; x++)
                tmp[x] = vrt__max_nan(tmp[x], r[x]);
        }
        for (int64_t ow = 0; ow < c->out[2]; ow++) {
            int64_t w0 = ow * c->s[2] - c->pb[2], w1 = w0 + c->k[2];
            if (w0 < 0) w0 = 0;
            if (w1 > W) w1 = W;
            if (w0 >= w1) {
                yrow[ow] = -INFINITY;
                continue;
            }
            float m = tmp[w0];
            for (int64_t x = w0 + 1; x < w1; x++)
                m = vrt__max_nan(m, tmp[x]);
            yrow[ow] = m;
        }
    }
}

static vrt_status vrt__pool_run(vrt__threadpool *tp, const vrt__pool_params *p, const float *x, float *y,
                                int64_t *indices, int is_max) {
    if (!p || !x || !y || p->nsp < 1 || p->nsp > 3 || p->auto_pad != VRT__AUTO_PAD_NOTSET) return VRT_EINVAL;
    vrt__pool_job j;
    memset(&j, 0, sizeof(j));
    vrt__pool_to3(p, &j.c);
    j.p = p;
    j.x = x;
    j.y = y;
    j.indices = indices;
    j.is_max = is_max;
    const vrt__pool3 *c = &j.c;
    if (is_max && !indices && c->in[0] == 1 && c->k[0] == 1 && c->out[0] == 1 && c->pb[0] == 0 &&
        c->d[1] == 1 && c->d[2] == 1 && c->in[2] <= VRT__POOL_ROW_MAX) {
#ifdef VRT__POOL_X86
        /* Every horizontal read, vector over-read included, stays inside
         * the -inf padding: index >= -pb >= -LEAD and
         * <= (OW-1)*s - pb + k - 1 + 16 < W + TAIL. */
        int64_t last = (c->out[2] - 1) * c->s[2] - c->pb[2] + c->k[2] - 1 + 16;
        j.hfast = vrt__pool_has_avx2() && (c->s[2] == 1 || c->s[2] == 2) && c->k[2] <= 8 &&
                  c->pb[2] <= VRT__POOL_ROW_LEAD && last < c->in[2] + VRT__POOL_ROW_TAIL;
#endif
        vrt__parallel_for(tp, p->N * p->C, vrt__maxpool2d_plane, &j);
        return VRT_OK;
    }
    vrt__parallel_for(tp, p->N * p->C, vrt__pool_plane, &j);
    return VRT_OK;
}

vrt_status vrt__maxpool(vrt__threadpool *tp, const vrt__pool_params *p, const float *x, float *y,
                        int64_t *indices) {
    return vrt__pool_run(tp, p, x, y, indices, 1);
}

vrt_status vrt__avgpool(vrt__threadpool *tp, const vrt__pool_params *p, const float *x, float *y) {
    return vrt__pool_run(tp, p, x, y, NULL, 0);
}

typedef struct vrt__gpool_job {
    int64_t spatial;
    const float *x;
    float *y;
} vrt__gpool_job;

#ifdef VRT__POOL_X86
/* Sum of x[0..n) in double, 8 lanes at a time (eight partial sums, added
 * at the end): the scalar loop's one dependent add per
 * element measured 3x slower than onnxruntime on SqueezeNet's 1000 planes. */
__attribute__((target("avx2"))) static double vrt__sum_d_avx2(const float *x, int64_t n) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    _Alignas(32) double t[4];
    _mm256_store_pd(t, _mm256_add_pd(a0, a1));
    double s = (t[0] + t[1]) + (t[2] + t[3]);
    for (; i < n; i++)
        s += x[i];
    return s;
}
#endif

static void vrt__gavg_plane(void *arg, int64_t np) {
    const vrt__gpool_job *j = arg;
    const float *xp = j->x + np * j->spatial;
    double s = 0.0; /* double: planes can be large (e.g. 160x160) */
#ifdef VRT__POOL_X86
    if (vrt__pool_has_avx2()) {
        j->y[np] = (float)(vrt__sum_d_avx2(xp, j->spatial) / (double)j->spatial);
        return;
    }
#endif
    for (int64_t i = 0; i < j->spatial; i++)
        s += xp[i];
    j->y[np] = (float)(s / (double)j->spatial);
}

static void vrt__gmax_plane(void *arg, int64_t np) {
    const vrt__gpool_job *j = arg;
    const float *xp = j->x + np * j->spatial;
    float m = xp[0];
    for (int64_t i = 1; i < j->spatial; i++)
        if (xp[i] > m || (isnan(xp[i]) && !isnan(m))) m = xp[i];
    j->y[np] = m;
}

vrt_status vrt__global_avgpool(vrt__threadpool *tp, int64_t N, int64_t C, int64_t spatial, const float *x,
                               float *y) {
    if (N < 0 || C < 0 || spatial <= 0 || !x || !y) return VRT_EINVAL;
    vrt__gpool_job j = {spatial, x, y};
    vrt__parallel_for(tp, N * C, vrt__gavg_plane, &j);
    return VRT_OK;
}

vrt_status vrt__global_maxpool(vrt__threadpool *tp, int64_t N, int64_t C, int64_t spatial, const float *x,
                               float *y) {
    if (N < 0 || C < 0 || spatial <= 0 || !x || !y) return VRT_EINVAL;
    vrt__gpool_job j = {spatial, x, y};
    vrt__parallel_for(tp, N * C, vrt__gmax_plane, &j);
    return VRT_OK;
}
