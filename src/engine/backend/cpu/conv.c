/*
 * Conv and ConvTranspose (1-D, 2-D, 3-D) on the CPU.
 *
 * Everything is handled as 3-D: a 1-D or 2-D op gets leading spatial dims of
 * size 1 (kernel 1, stride 1, no pad), which costs nothing in the loops.
 *
 * Conv: per (batch, group), im2col into scratch (skipped for 1x1 stride-1
 * unpadded convs, where the input already is the column matrix) and one GEMM
 * W_g (Mg x Cg*kvol) x col (Cg*kvol x outvol). The im2col path works in
 * column chunks of about 512 KiB (im2col, GEMM, then bias/residual/activation
 * of the chunk while it is in cache), which also keeps the scratch small. Grouped convs with one input
 * channel per group (depthwise, incl. channel multipliers) take a direct
 * path instead: one work item per output plane. Bias, residual and the
 * activation are applied in one pass after the GEMM (fused epilogue).
 *
 * AVX2 fast paths (chosen at run time, same results up to rounding order):
 * 3x3 depthwise convs with stride 1 or 2 compute each output row with
 * 8-wide vectors (stride 2 de-interleaves even/odd input columns), the
 * borders scalar, and apply bias/residual/activation to the row while it is
 * in L1; dense convs with stride 1 or 2 (group 1, kernel up to 7x7,
 * dilation 1) copy the input once into a zero-padded buffer (split into
 * even/odd column phases for stride 2) and run an implicit GEMM straight
 * from it: a 6 x 16 register block (6 output channels x 16 output columns
 * of one row) summed over (channel, kh, kw), no im2col; pointwise group-1
 * convs run the same block reading the input planes in place, input
 * channels in blocks of 128, output channels in groups whose weights stay
 * in L2. Only the weights are packed: once at prepare by the backend
 * (vrt__conv_pack_weights, passed to vrt__conv_packed), else per run into
 * scratch (vrt__conv). Full blocks go from the registers
 * straight to the output with the bias; the residual and the activation
 * follow per output row while it is in cache.
 *
 * ConvTranspose: per (batch, group), col = W_g^T x X_g (GEMM), then col2im
 * scatters each column into the output; one work item per output channel,
 * so no two threads write the same element.
 */
#include <string.h>

#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cpu/tile6x16.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VRT__CONV_X86 1
#endif

/* The params as 3-D (index 0 = depth, 1 = height, 2 = width). */
typedef struct vrt__conv3 {
    int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
    int64_t invol, kvol, outvol;
} vrt__conv3;

static void vrt__conv_to3(const vrt__conv_params *p, vrt__conv3 *c) {
    int off = 3 - p->nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - off;
        int have = j >= 0;
        c->in[i] = have ? p->in[j] : 1;
        c->k[i] = have ? p->k[j] : 1;
        c->s[i] = have ? p->strides[j] : 1;
        c->d[i] = have ? p->dilations[j] : 1;
        c->pb[i] = have ? p->pads_begin[j] : 0;
        c->pe[i] = have ? p->pads_end[j] : 0;
        c->out[i] = have ? p->out[j] : 1;
    }
    c->invol = c->in[0] * c->in[1] * c->in[2];
    c->kvol = c->k[0] * c->k[1] * c->k[2];
    c->outvol = c->out[0] * c->out[1] * c->out[2];
}

static int vrt__conv_is_pointwise(const vrt__conv3 *c) {
    for (int i = 0; i < 3; i++)
        if (c->k[i] != 1 || c->s[i] != 1 || c->pb[i] || c->pe[i]) return 0;
    return 1;
}

/* ---- fast-path selection ---------------------------------------------------- */

static int vrt__conv_has_avx2(void) {
#ifdef VRT__CONV_X86
    /* Detected once by libgcc's constructor before main; no lazy cache (a data race). */
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* 2-D in effect: no depth extent, no depth padding. */
static int vrt__conv_is_2d(const vrt__conv3 *c) {
    return c->in[0] == 1 && c->k[0] == 1 && c->s[0] == 1 && c->pb[0] == 0 && c->pe[0] == 0 && c->out[0] == 1;
}

/* Depthwise 3x3, stride 1 or 2 (same both ways), dilation 1. */
static int vrt__conv_use_dw3(const vrt__conv_params *p, const vrt__conv3 *c) {
    return vrt__conv_has_avx2() && p->group > 1 && p->C == p->group && vrt__conv_is_2d(c) && c->k[1] == 3 &&
           c->k[2] == 3 && c->d[1] == 1 && c->d[2] == 1 && c->s[1] == c->s[2] &&
           (c->s[1] == 1 || c->s[1] == 2);
}

#define VRT__D3_MR 6
#define VRT__D3_NR 16

/* Padded input geometry of the direct path: per channel, s column phases of
 * Hp rows of Wp floats (phase q holds padded columns q, q+s, q+2s, ...), Wp
 * leaving room for the reads of a partial last 16-column block. */
static void vrt__direct_geom(const vrt__conv3 *c, int64_t *hp, int64_t *wp) {
    int64_t s = c->s[2];
    *hp = c->in[1] + c->pb[1] + c->pe[1];
    *wp = ((c->in[2] + c->pb[2] + c->pe[2] + s - 1) / s + 7) / 8 * 8 + VRT__D3_NR;
}

/* Dense stride-1 or stride-2 conv by implicit GEMM from a padded copy of the
 * input (split into even/odd column phases for stride 2, so that every
 * tap still reads 16 contiguous floats).
 * Narrow outputs (one partial 16-column block per row) with many output
 * channels are left to im2col + GEMM, which measured faster there, and so
 * are inputs whose padded copy would pass 32 MiB (im2col's scratch stays
 * at about 512 KiB). */
static int vrt__conv_use_direct(const vrt__conv_params *p, const vrt__conv3 *c) {
    if (!(vrt__conv_has_avx2() && p->group == 1 && vrt__conv_is_2d(c) && c->kvol > 1 && c->s[1] == c->s[2] &&
          (c->s[1] == 1 || c->s[1] == 2) && c->d[1] == 1 && c->d[2] == 1 && c->k[1] <= 7 && c->k[2] <= 7 &&
          (c->out[2] >= 16 || p->M < 64)))
        return 0;
    int64_t hp, wp;
    vrt__direct_geom(c, &hp, &wp);
    return (double)p->C * (double)(c->s[2] * hp * wp) <= 8.0 * 1024 * 1024;
}

/* Pointwise group-1 conv as a GEMM reading the input planes in place; the
 * packed weights live in scratch. */
#define VRT__PW_KC 128

/* Below 8 output channels most of the 6-row panel is padding (OpenBLAS
 * measured faster there). */
static int vrt__conv_use_pw(const vrt__conv_params *p, const vrt__conv3 *c) {
    return vrt__conv_has_avx2() && p->group == 1 && vrt__conv_is_pointwise(c) && p->M >= 8;
}

/* Other group-1 convs whose whole column matrix (C*kvol x outvol) fits in
 * 400 KiB (stays in L2 while every output-channel group reads it): im2col
 * once, then the pointwise GEMM over the column matrix with the packed
 * weights (SqueezeNet's 13x13 expand convs, narrower than one 16-column
 * block, measured 1.3-1.6x faster so than im2col + SGEMM). Larger ones
 * (ResNet's 256 x 14x14 and 512 x 7x7 3x3 convs, 1.8 and 0.9 MiB) measured
 * 1.2-2x slower so: they stay with im2col + SGEMM. */
#define VRT__COLPW_MAX_FLOATS (100 * 1024)

static int vrt__conv_use_direct(const vrt__conv_params *p, const vrt__conv3 *c);

static int vrt__conv_use_colpw(const vrt__conv_params *p, const vrt__conv3 *c) {
    return vrt__conv_has_avx2() && p->group == 1 && !vrt__conv_is_pointwise(c) && p->M >= 8 &&
           !vrt__conv_use_direct(p, c) && p->C * c->kvol * c->outvol <= VRT__COLPW_MAX_FLOATS;
}

static size_t vrt__pw_scratch_floats(const vrt__conv_params *p) {
    return (size_t)((p->M + VRT__D3_MR - 1) / VRT__D3_MR * VRT__D3_MR * p->C);
}

static size_t vrt__direct_scratch_floats(const vrt__conv_params *p, const vrt__conv3 *c) {
    int64_t hp, wp;
    vrt__direct_geom(c, &hp, &wp);
    int64_t mp = (p->M + VRT__D3_MR - 1) / VRT__D3_MR * VRT__D3_MR;
    return (size_t)(p->C * c->s[2] * hp * wp + mp * p->C * c->kvol);
}

/* im2col is done in column chunks of this many output positions, so that
 * the chunk's column matrix (about 512 KiB) stays in cache between im2col,
 * the GEMM and the epilogue. */
static int64_t vrt__conv_chunk(int64_t kdim, int64_t outvol) {
    int64_t cw = (int64_t)131072 / (kdim > 0 ? kdim : 1);
    if (cw < 512) cw = 512;
    cw = (cw + 15) / 16 * 16;
    return cw < outvol ? cw : outvol;
}

size_t vrt__conv_scratch_bytes(const vrt__conv_params *p) {
    vrt__conv3 c;
    vrt__conv_to3(p, &c);
    int64_t cg = p->C / (p->group ? p->group : 1);
    if (cg == 1 && p->group > 1) return 0; /* depthwise: direct */
    if (vrt__conv_is_pointwise(&c))
        return vrt__conv_use_pw(p, &c) ? vrt__pw_scratch_floats(p) * sizeof(float) : 0;
    if (vrt__conv_use_direct(p, &c)) return vrt__direct_scratch_floats(p, &c) * sizeof(float);
    if (vrt__conv_use_colpw(p, &c))
        return ((size_t)(p->C * c.kvol * c.outvol) + vrt__pw_scratch_floats(p) * (size_t)c.kvol) *
               sizeof(float);
    int64_t kdim = cg * c.kvol;
    return (size_t)(kdim * vrt__conv_chunk(kdim, c.outvol)) * sizeof(float);
}

/* ---- im2col ------------------------------------------------------------- */

typedef struct vrt__im2col_job {
    const vrt__conv3 *c;
    const float *x; /* Cg input planes */
    float *col;     /* (Cg*kvol) x cw: output positions [c0, c0+cw) */
    int64_t c0, cw;
} vrt__im2col_job;

/* Valid output range [lo, hi) along one dim where o*s - pb + kk*d lies in [0, in). */
static void vrt__valid_range(int64_t in, int64_t out, int64_t s, int64_t pb, int64_t off, int64_t *lo,
                             int64_t *hi) {
    /* i = o*s + (off - pb) with off = kk*d */
    int64_t base = off - pb;
    int64_t l = base >= 0 ? 0 : (-base + s - 1) / s;
    int64_t h = in - base <= 0 ? 0 : (in - base - 1) / s + 1;
    if (h > out) h = out;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

static void vrt__im2col_row(void *arg, int64_t r) {
    const vrt__im2col_job *j = arg;
    const vrt__conv3 *c = j->c;
    int64_t ch = r / c->kvol, kp = r % c->kvol;
    int64_t kw = kp % c->k[2], kh = (kp / c->k[2]) % c->k[1], kd = kp / (c->k[2] * c->k[1]);
    const float *xp = j->x + ch * c->invol;
    float *dst = j->col + r * j->cw;
    int64_t wlo, whi;
    vrt__valid_range(c->in[2], c->out[2], c->s[2], c->pb[2], kw * c->d[2], &wlo, &whi);
    int64_t base = kw * c->d[2] - c->pb[2];
    int64_t pos = j->c0, end = j->c0 + j->cw, ohw = c->out[1] * c->out[2];
    while (pos < end) {
        /* One output row (od, oh), columns [ow0, ow1) of it. */
        int64_t od = pos / ohw, oh = (pos % ohw) / c->out[2], ow0 = pos % c->out[2];
        int64_t ow1 = c->out[2];
        if (ow1 - ow0 > end - pos) ow1 = ow0 + (end - pos);
        float *drow = dst + (pos - j->c0) - ow0;
        pos += ow1 - ow0;
        int64_t id = od * c->s[0] - c->pb[0] + kd * c->d[0];
        int64_t ih = oh * c->s[1] - c->pb[1] + kh * c->d[1];
        if (id < 0 || id >= c->in[0] || ih < 0 || ih >= c->in[1]) {
            memset(drow + ow0, 0, (size_t)(ow1 - ow0) * sizeof(float));
            continue;
        }
        const float *xrow = xp + (id * c->in[1] + ih) * c->in[2];
        int64_t lo = wlo > ow0 ? wlo : ow0, hi = whi < ow1 ? whi : ow1;
        if (hi < lo) hi = lo;
        for (int64_t ow = ow0; ow < lo && ow < ow1; ow++)
            drow[ow] = 0.0f;
        if (c->s[2] == 1) {
            if (hi > lo) memcpy(drow + lo, xrow + lo + base, (size_t)(hi - lo) * sizeof(float));
        } else {
            for (int64_t ow = lo; ow < hi; ow++)
                drow[ow] = xrow[ow * c->s[2] + base];
        }
        for (int64_t ow = hi > ow0 ? hi : ow0; ow < ow1; ow++)
            drow[ow] = 0.0f;
    }
}

/* ---- epilogue ------------------------------------------------------------ */

typedef struct vrt__epi_job {
    int64_t M, plane;
    const float *bias, *residual;
    const vrt__activation *act;
    float *y;
} vrt__epi_job;

static void vrt__epi_plane(const vrt__epi_job *j, int64_t np) {
    float *y = j->y + np * j->plane;
    if (j->bias) {
        float b = j->bias[np % j->M];
        for (int64_t i = 0; i < j->plane; i++)
            y[i] += b;
    }
    if (j->residual) {
        const float *r = j->residual + np * j->plane;
        for (int64_t i = 0; i < j->plane; i++)
            y[i] += r[i];
    }
    vrt__act_apply(j->act, y, j->plane);
}

static void vrt__epi_task(void *arg, int64_t np) {
    vrt__epi_plane(arg, np);
}

/* Epilogue over output positions [c0, c0+cw) of planes np0 + i. */
typedef struct vrt__epi_chunk_job {
    const vrt__epi_job *e;
    int64_t np0, c0, cw;
} vrt__epi_chunk_job;

static void vrt__epi_chunk_task(void *arg, int64_t i) {
    const vrt__epi_chunk_job *j = arg;
    const vrt__epi_job *e = j->e;
    int64_t np = j->np0 + i;
    float *y = e->y + np * e->plane + j->c0;
    if (e->bias) {
        float b = e->bias[np % e->M];
        for (int64_t q = 0; q < j->cw; q++)
            y[q] += b;
    }
    if (e->residual) {
        const float *r = e->residual + np * e->plane + j->c0;
        for (int64_t q = 0; q < j->cw; q++)
            y[q] += r[q];
    }
    vrt__act_apply(e->act, y, j->cw);
}

/* ---- depthwise ------------------------------------------------------------ */

typedef struct vrt__dw_job {
    const vrt__conv3 *c;
    const vrt__conv_params *p;
    const float *x, *w;
    float *y;
    vrt__epi_job epi;
} vrt__dw_job;

static void vrt__dw_plane(void *arg, int64_t np) {
    const vrt__dw_job *j = arg;
    const vrt__conv3 *c = j->c;
    int64_t n = np / j->p->M, m = np % j->p->M;
    int64_t mg = j->p->M / j->p->group;
    int64_t ch = m / mg; /* the one input channel of m's group */
    const float *xp = j->x + (n * j->p->C + ch) * c->invol;
    const float *wm = j->w + m * c->kvol;
    float *yp = j->y + np * c->outvol;
    memset(yp, 0, (size_t)c->outvol * sizeof(float));
    for (int64_t kd = 0; kd < c->k[0]; kd++)
        for (int64_t kh = 0; kh < c->k[1]; kh++)
            for (int64_t kw = 0; kw < c->k[2]; kw++) {
                float wv = wm[(kd * c->k[1] + kh) * c->k[2] + kw];
                int64_t wlo, whi, base = kw * c->d[2] - c->pb[2];
                vrt__valid_range(c->in[2], c->out[2], c->s[2], c->pb[2], kw * c->d[2], &wlo, &whi);
                for (int64_t od = 0; od < c->out[0]; od++) {
                    int64_t id = od * c->s[0] - c->pb[0] + kd * c->d[0];
                    if (id < 0 || id >= c->in[0]) continue;
                    for (int64_t oh = 0; oh < c->out[1]; oh++) {
                        int64_t ih = oh * c->s[1] - c->pb[1] + kh * c->d[1];
                        if (ih < 0 || ih >= c->in[1]) continue;
                        const float *xrow = xp + (id * c->in[1] + ih) * c->in[2] + base;
                        float *yrow = yp + (od * c->out[1] + oh) * c->out[2];
                        if (c->s[2] == 1) {
                            for (int64_t ow = wlo; ow < whi; ow++)
                                yrow[ow] += wv * xrow[ow];
                        } else {
                            int64_t s = c->s[2];
                            for (int64_t ow = wlo; ow < whi; ow++)
                                yrow[ow] += wv * xrow[ow * s];
                        }
                    }
                }
            }
    vrt__epi_plane(&j->epi, np);
}

/* ---- AVX2 depthwise 3x3 ----------------------------------------------------- */

/* Applies bias (already summed in), residual and the activation to one output
 * row while it is in L1. */
static void vrt__row_epilogue(const vrt__epi_job *e, int64_t np, int64_t off, float *yrow, int64_t n) {
    if (e->residual) {
        const float *r = e->residual + np * e->plane + off;
        for (int64_t i = 0; i < n; i++)
            yrow[i] += r[i];
    }
    vrt__act_apply(e->act, yrow, n);
}

/* One output element of a 3x3 conv plane with bounds checks (borders).
 * rows[kh]: input row kh of the window, NULL when outside the input. */
static inline float vrt__dw3_at(const float *const rows[3], const float *wk, int64_t W, int64_t s, int64_t pb,
                                int64_t ow) {
    float acc = 0.0f;
    for (int kh = 0; kh < 3; kh++) {
        if (!rows[kh]) continue;
        for (int kw = 0; kw < 3; kw++) {
            int64_t iw = ow * s - pb + kw;
            if (iw >= 0 && iw < W) acc += wk[kh * 3 + kw] * rows[kh][iw];
        }
    }
    return acc;
}

#ifdef VRT__CONV_X86
/* Even (odd = 0) or odd (odd = 1) elements of p[0..16). */
__attribute__((target("avx2,fma"))) static inline __m256 vrt__deint8(const float *p, int odd) {
    __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    __m256 t = odd ? _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))
                   : _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* yrow[ow] = bias + sum_{kh,kw} wk[kh][kw] * rows[kh][ow*s - pb + kw]. */
__attribute__((target("avx2,fma"))) static void vrt__dw3_row(const float *const rows[3], const float *wk,
                                                             float bias, int64_t W, int64_t OW, int64_t s,
                                                             int64_t pb, float *yrow) {
    /* Interior [lo, hi): every tap of every output inside the input row. */
    int64_t lo = (pb + s - 1) / s;
    int64_t hi = W - 3 + pb >= 0 ? (W - 3 + pb) / s + 1 : 0;
    if (hi > OW) hi = OW;
    if (lo > hi) lo = hi;
    int64_t ow = 0;
    for (; ow < lo; ow++)
        yrow[ow] = vrt__dw3_at(rows, wk, W, s, pb, ow) + bias;
    __m256 wv[9];
    for (int i = 0; i < 9; i++)
        wv[i] = _mm256_set1_ps(wk[i]);
    const __m256 bv = _mm256_set1_ps(bias);
    for (; ow + 8 <= hi; ow += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (int kh = 0; kh < 3; kh++) {
            if (!rows[kh]) continue;
            const float *x = rows[kh] + ow * s - pb;
            if (s == 1) {
                acc = _mm256_fmadd_ps(wv[kh * 3 + 0], _mm256_loadu_ps(x), acc);
                acc = _mm256_fmadd_ps(wv[kh * 3 + 1], _mm256_loadu_ps(x + 1), acc);
                acc = _mm256_fmadd_ps(wv[kh * 3 + 2], _mm256_loadu_ps(x + 2), acc);
            } else {
                /* Reads x[0..17): the last output's last tap is x[16]. */
                acc = _mm256_fmadd_ps(wv[kh * 3 + 0], vrt__deint8(x, 0), acc);
                acc = _mm256_fmadd_ps(wv[kh * 3 + 1], vrt__deint8(x, 1), acc);
                acc = _mm256_fmadd_ps(wv[kh * 3 + 2], vrt__deint8(x + 1, 1), acc);
            }
        }
        _mm256_storeu_ps(yrow + ow, _mm256_add_ps(acc, bv));
    }
    for (; ow < OW; ow++)
        yrow[ow] = vrt__dw3_at(rows, wk, W, s, pb, ow) + bias;
}
#endif

static void vrt__dw3_plane(void *arg, int64_t np) {
#ifdef VRT__CONV_X86
    const vrt__dw_job *j = arg;
    const vrt__conv3 *c = j->c;
    int64_t n = np / j->p->M, m = np % j->p->M;
    int64_t ch = m / (j->p->M / j->p->group);
    int64_t H = c->in[1], W = c->in[2], OH = c->out[1], OW = c->out[2], s = c->s[1];
    const float *xp = j->x + (n * j->p->C + ch) * c->invol;
    const float *wk = j->w + m * 9;
    float bias = j->epi.bias ? j->epi.bias[m] : 0.0f;
    float *yp = j->y + np * c->outvol;
    for (int64_t oh = 0; oh < OH; oh++) {
        const float *rows[3];
        for (int kh = 0; kh < 3; kh++) {
            int64_t ih = oh * s - c->pb[1] + kh;
            rows[kh] = ih >= 0 && ih < H ? xp + ih * W : NULL;
        }
        float *yrow = yp + oh * OW;
        vrt__dw3_row(rows, wk, bias, W, OW, s, c->pb[2], yrow);
        vrt__row_epilogue(&j->epi, np, oh * OW, yrow, OW);
    }
#else
    (void)arg;
    (void)np;
#endif
}

/* ---- packed weights (direct and pointwise paths) ------------------------------ */

/* The micro-kernel's weight layout: ceil(M/6) panels of K x 6 floats (K =
 * C*kvol), panel mt holding output channels 6mt..6mt+5 (zero past M). */
typedef struct vrt__wpack_job {
    const float *w;
    float *dst;
    int64_t M, K;
} vrt__wpack_job;

static void vrt__wpack_task(void *arg, int64_t mt) {
    const vrt__wpack_job *j = arg;
    float *dst = j->dst + mt * j->K * VRT__D3_MR;
    for (int64_t k = 0; k < j->K; k++)
        for (int r = 0; r < VRT__D3_MR; r++) {
            int64_t m = mt * VRT__D3_MR + r;
            dst[k * VRT__D3_MR + r] = m < j->M ? j->w[m * j->K + k] : 0.0f;
        }
}

static void vrt__wpack(vrt__threadpool *tp, const vrt__conv_params *p, int64_t kvol, const float *w,
                       float *dst) {
    vrt__wpack_job j = {w, dst, p->M, p->C * kvol};
    vrt__parallel_for(tp, (p->M + VRT__D3_MR - 1) / VRT__D3_MR, vrt__wpack_task, &j);
}

size_t vrt__conv_packed_floats(const vrt__conv_params *p) {
    vrt__conv3 c;
    if (!p || p->nsp < 1 || p->nsp > 3 || p->group != 1) return 0;
    vrt__conv_to3(p, &c);
    int use = vrt__conv_is_pointwise(&c) ? vrt__conv_use_pw(p, &c)
                                         : vrt__conv_use_direct(p, &c) || vrt__conv_use_colpw(p, &c);
    return use ? (size_t)((p->M + VRT__D3_MR - 1) / VRT__D3_MR * VRT__D3_MR * p->C * c.kvol) : 0;
}

void vrt__conv_pack_weights(const vrt__conv_params *p, const float *w, float *dst) {
    vrt__conv3 c;
    vrt__conv_to3(p, &c);
    vrt__wpack(NULL, p, c.kvol, w, dst);
}

/* ---- AVX2 direct (implicit GEMM) dense stride-1 conv ----------------------- */

typedef struct vrt__direct_job {
    const vrt__conv3 *c;
    const vrt__conv_params *p;
    const float *x;     /* batch n's input, C planes */
    const float *w;     /* M x C x kh x kw */
    float *xpad;        /* C padded planes, Hp x Wp */
    const float *wpack; /* ceil(M/6) panels of K x 6, K = C*kh*kw */
    float *y;           /* batch n's output, M planes */
    int64_t hp, wp, n;
    vrt__epi_job epi;
} vrt__direct_job;

static void vrt__direct_pad_task(void *arg, int64_t ch) {
    const vrt__direct_job *j = arg;
    const vrt__conv3 *c = j->c;
    const float *src = j->x + ch * c->invol;
    int64_t H = c->in[1], W = c->in[2], pt = c->pb[1], pl = c->pb[2], s = c->s[2];
    if (s != 1) {
        for (int64_t q = 0; q < s; q++) {
            float *dst = j->xpad + (ch * s + q) * j->hp * j->wp;
            for (int64_t r = 0; r < j->hp; r++) {
                int64_t ih = r - pt;
                float *d = dst + r * j->wp;
                if (ih < 0 || ih >= H) {
                    memset(d, 0, (size_t)j->wp * sizeof(float));
                    continue;
                }
                const float *xr = src + ih * W;
                for (int64_t x = 0; x < j->wp; x++) {
                    int64_t iw = x * s + q - pl;
                    d[x] = iw >= 0 && iw < W ? xr[iw] : 0.0f;
                }
            }
        }
        return;
    }
    float *dst = j->xpad + ch * j->hp * j->wp;
    memset(dst, 0, (size_t)(pt * j->wp) * sizeof(float));
    for (int64_t h = 0; h < H; h++) {
        float *d = dst + (pt + h) * j->wp;
        memset(d, 0, (size_t)pl * sizeof(float));
        memcpy(d + pl, src + h * W, (size_t)W * sizeof(float));
        memset(d + pl + W, 0, (size_t)(j->wp - pl - W) * sizeof(float));
    }
    memset(dst + (pt + H) * j->wp, 0, (size_t)((j->hp - pt - H) * j->wp) * sizeof(float));
}

/* Where a 6 x 16 block goes when all 16 columns are valid: straight from
 * the registers into the output, bias added (first input-channel block) or
 * added to what is there (later blocks). */
typedef struct vrt__tile_out {
    float *y;          /* row 0, column 0 of the block in the output */
    int64_t ldy;       /* output row stride */
    int64_t rows;      /* valid rows, 1..6 */
    const float *bias; /* rows values, NULL = none; ignored when accumulating */
    int accumulate;    /* 1: y += block; 0: y = block + bias */
    int relu;          /* 1: the block is final and the epilogue is a plain ReLU: max(0, .) here */
} vrt__tile_out;

/* A ReLU with no residual is applied as the block leaves the registers
 * (vrt__tile_out.relu) and in the partial-block copies, instead of a second
 * pass over the output rows; max(v, 0) maps NaN to 0 like the generic
 * x > 0 ? x : 0. */
static int vrt__epi_relu_only(const vrt__epi_job *e) {
    return e->act && e->act->kind == VRT__ACT_RELU && !e->residual;
}

static inline float vrt__relu_if(float v, int relu) {
    return relu ? (v > 0.0f ? v : 0.0f) : v;
}

#ifdef VRT__CONV_X86
__attribute__((target("avx2,fma"))) static inline void vrt__tile_store_row(const vrt__tile_out *o, int64_t r,
                                                                           __m256 lo, __m256 hi) {
    if (r >= o->rows) return;
    float *yr = o->y + r * o->ldy;
    if (o->accumulate) {
        lo = _mm256_add_ps(_mm256_loadu_ps(yr), lo);
        hi = _mm256_add_ps(_mm256_loadu_ps(yr + 8), hi);
    } else if (o->bias) {
        __m256 b = _mm256_set1_ps(o->bias[r]);
        lo = _mm256_add_ps(lo, b);
        hi = _mm256_add_ps(hi, b);
    }
    if (o->relu) {
        lo = _mm256_max_ps(lo, _mm256_setzero_ps());
        hi = _mm256_max_ps(hi, _mm256_setzero_ps());
    }
    _mm256_storeu_ps(yr, lo);
    _mm256_storeu_ps(yr + 8, hi);
}

/* Block[6][16] = sum over (ch, tap) of a[k][0..6) x (x + ch*cstride + toff[tap])[0..16),
 * written through o when o is not NULL, else stored to acc. */
__attribute__((target("avx2,fma"))) static void vrt__direct_tile(const float *x, int64_t cstride, int64_t C,
                                                                 int64_t ntaps, const int64_t *toff,
                                                                 const float *a, float *acc,
                                                                 const vrt__tile_out *o) {
    vrt__tile6x16 tile;
    vrt__tile6x16_zero(&tile);
    for (int64_t ch = 0; ch < C; ch++) {
        const float *xc = x + ch * cstride;
        {
            for (int64_t t = 0; t < ntaps; t++) {
                vrt__tile6x16_fma(&tile, a, xc + toff[t]);
                a += VRT__D3_MR;
            }
        }
    }
    if (o) {
        vrt__tile_store_row(o, 0, tile.c[0][0], tile.c[0][1]);
        vrt__tile_store_row(o, 1, tile.c[1][0], tile.c[1][1]);
        vrt__tile_store_row(o, 2, tile.c[2][0], tile.c[2][1]);
        vrt__tile_store_row(o, 3, tile.c[3][0], tile.c[3][1]);
        vrt__tile_store_row(o, 4, tile.c[4][0], tile.c[4][1]);
        vrt__tile_store_row(o, 5, tile.c[5][0], tile.c[5][1]);
        return;
    }
    vrt__tile6x16_store(&tile, acc);
}
#endif

/* Work item: output row oh of the 6 output channels of panel mt. */
static void vrt__direct_task(void *arg, int64_t it) {
#ifdef VRT__CONV_X86
    const vrt__direct_job *j = arg;
    const vrt__conv3 *c = j->c;
    int64_t mtiles = (j->p->M + VRT__D3_MR - 1) / VRT__D3_MR;
    int64_t oh = it / mtiles, mt = it % mtiles, m0 = mt * VRT__D3_MR;
    int64_t OW = c->out[2], K = j->p->C * c->kvol;
    int64_t rows = j->p->M - m0 < VRT__D3_MR ? j->p->M - m0 : VRT__D3_MR;
    const float *a = j->wpack + mt * K * VRT__D3_MR;
    _Alignas(32) float acc[VRT__D3_MR * VRT__D3_NR];
    /* Tap (kh, kw) reads phase kw % s, row oh*s + kh, columns from ow0 + kw / s. */
    int64_t s = c->s[2], toff[49];
    for (int64_t kh = 0; kh < c->k[1]; kh++)
        for (int64_t kw = 0; kw < c->k[2]; kw++)
            toff[kh * c->k[2] + kw] = (kw % s) * j->hp * j->wp + kh * j->wp + kw / s;
    int relu = vrt__epi_relu_only(&j->epi);
    for (int64_t ow0 = 0; ow0 < OW; ow0 += VRT__D3_NR) {
        int64_t cols = OW - ow0 < VRT__D3_NR ? OW - ow0 : VRT__D3_NR;
        vrt__tile_out o = {j->y + m0 * c->outvol + oh * OW + ow0, c->outvol, rows,
                           j->epi.bias ? j->epi.bias + m0 : NULL, 0,         relu};
        vrt__direct_tile(j->xpad + oh * s * j->wp + ow0, s * j->hp * j->wp, j->p->C, c->kvol, toff, a, acc,
                         cols == VRT__D3_NR ? &o : NULL);
        if (cols == VRT__D3_NR) continue;
        for (int64_t r = 0; r < rows; r++) {
            float b = j->epi.bias ? j->epi.bias[m0 + r] : 0.0f;
            float *yr = j->y + (m0 + r) * c->outvol + oh * OW + ow0;
            const float *src = acc + r * VRT__D3_NR;
            for (int64_t q = 0; q < cols; q++)
                yr[q] = vrt__relu_if(src[q] + b, relu);
        }
    }
    for (int64_t r = 0; r < rows && !relu; r++) {
        int64_t np = j->n * j->p->M + m0 + r;
        vrt__row_epilogue(&j->epi, np, oh * OW, j->y + (m0 + r) * c->outvol + oh * OW, OW);
    }
#else
    (void)arg;
    (void)it;
#endif
}

static void vrt__conv_direct(vrt__threadpool *tp, const vrt__conv_params *p, const vrt__conv3 *c,
                             const float *x, const float *w, const float *wpacked, float *y,
                             const vrt__epi_job *epi, float *scratch) {
    vrt__direct_job j;
    memset(&j, 0, sizeof(j));
    j.c = c;
    j.p = p;
    j.w = w;
    vrt__direct_geom(c, &j.hp, &j.wp);
    j.xpad = scratch;
    j.epi = *epi;
    int64_t mtiles = (p->M + VRT__D3_MR - 1) / VRT__D3_MR;
    if (!wpacked) {
        float *dst = scratch + p->C * c->s[2] * j.hp * j.wp;
        vrt__wpack(tp, p, c->kvol, w, dst);
        wpacked = dst;
    }
    j.wpack = wpacked;
    for (int64_t n = 0; n < p->N; n++) {
        j.n = n;
        j.x = x + n * p->C * c->invol;
        j.y = y + n * p->M * c->outvol;
        vrt__parallel_for(tp, p->C, vrt__direct_pad_task, &j);
        vrt__parallel_for(tp, c->out[1] * mtiles, vrt__direct_task, &j);
    }
}

/* ---- AVX2 pointwise (1x1) conv: GEMM straight from the input planes ------- */

/* Pointwise convs read the 16-column blocks of B straight from the C input
 * planes (rows HW apart), so only the weights are packed. The last partial
 * block is copied into a zero-padded stack buffer of KC x 16 floats. */

typedef struct vrt__pw_job {
    const vrt__conv_params *p;
    const float *x;     /* batch n's input, C planes of hw */
    const float *w;     /* M x C */
    const float *wpack; /* ceil(M/6) panels of C x 6 */
    float *y;           /* batch n's output, M planes of hw */
    int64_t hw, n, chunk;
    int64_t gpanels, nchunks; /* output-channel panels per work item; column chunks */
    vrt__epi_job epi;
} vrt__pw_job;

/* Work item: output columns [c0, c0+chunk) of the output channels of
 * panels [mt0, mt1) (their packed weights stay in L2). */
static void vrt__pw_task(void *arg, int64_t it) {
#ifdef VRT__CONV_X86
    const vrt__pw_job *j = arg;
    int64_t M = j->p->M, C = j->p->C, hw = j->hw;
    int64_t ci = it % j->nchunks, gi = it / j->nchunks;
    int64_t c0 = ci * j->chunk, cw = hw - c0 < j->chunk ? hw - c0 : j->chunk;
    int64_t mtiles = (M + VRT__D3_MR - 1) / VRT__D3_MR;
    int64_t mt0 = gi * j->gpanels, mt1 = mt0 + j->gpanels < mtiles ? mt0 + j->gpanels : mtiles;
    _Alignas(32) float acc[VRT__D3_MR * VRT__D3_NR];
    _Alignas(32) float tail[VRT__PW_KC * VRT__D3_NR];
    const int64_t zero = 0;
    int relu = vrt__epi_relu_only(&j->epi);
    for (int64_t ow0 = c0; ow0 < c0 + cw; ow0 += VRT__D3_NR) {
        int64_t cols = hw - ow0 < VRT__D3_NR ? hw - ow0 : VRT__D3_NR;
        /* Input channels in blocks of KC: the block's B (KC x 16 floats)
         * stays in L1 while every output-channel panel uses it; the
         * first block stores (plus bias), the others accumulate. */
        for (int64_t k0 = 0; k0 < C; k0 += VRT__PW_KC) {
            int64_t kc = C - k0 < VRT__PW_KC ? C - k0 : VRT__PW_KC;
            const float *b = j->x + k0 * hw + ow0;
            int64_t cs = hw;
            if (cols < VRT__D3_NR) {
                for (int64_t ch = 0; ch < kc; ch++) {
                    memcpy(tail + ch * VRT__D3_NR, b + ch * hw, (size_t)cols * sizeof(float));
                    memset(tail + ch * VRT__D3_NR + cols, 0, (size_t)(VRT__D3_NR - cols) * sizeof(float));
                }
                b = tail;
                cs = VRT__D3_NR;
            }
            for (int64_t mt = mt0; mt < mt1; mt++) {
                int64_t m0 = mt * VRT__D3_MR;
                int64_t rows = M - m0 < VRT__D3_MR ? M - m0 : VRT__D3_MR;
                vrt__tile_out o = {
                    j->y + m0 * hw + ow0, hw, rows, j->epi.bias ? j->epi.bias + m0 : NULL, k0 > 0,
                    relu && k0 + kc == C};
                vrt__direct_tile(b, cs, kc, 1, &zero, j->wpack + (mt * C + k0) * VRT__D3_MR, acc,
                                 cols == VRT__D3_NR ? &o : NULL);
                if (cols == VRT__D3_NR) continue;
                int last = relu && k0 + kc == C;
                for (int64_t r = 0; r < rows; r++) {
                    float *yr = j->y + (m0 + r) * hw + ow0;
                    const float *s = acc + r * VRT__D3_NR;
                    if (k0 == 0) {
                        float bias = j->epi.bias ? j->epi.bias[m0 + r] : 0.0f;
                        for (int64_t q = 0; q < cols; q++)
                            yr[q] = vrt__relu_if(s[q] + bias, last);
                    } else {
                        for (int64_t q = 0; q < cols; q++)
                            yr[q] = vrt__relu_if(yr[q] + s[q], last);
                    }
                }
            }
        }
    }
    int64_t m1 = mt1 * VRT__D3_MR < M ? mt1 * VRT__D3_MR : M;
    for (int64_t m = mt0 * VRT__D3_MR; m < m1 && !relu; m++)
        vrt__row_epilogue(&j->epi, j->n * M + m, c0, j->y + m * hw + c0, cw);
#else
    (void)arg;
    (void)it;
#endif
}

static void vrt__conv_pw(vrt__threadpool *tp, const vrt__conv_params *p, const vrt__conv3 *c, const float *x,
                         const float *w, const float *wpacked, float *y, const vrt__epi_job *epi,
                         float *scratch) {
    vrt__pw_job j;
    memset(&j, 0, sizeof(j));
    j.p = p;
    j.w = w;
    if (!wpacked) {
        vrt__wpack(tp, p, 1, w, scratch);
        wpacked = scratch;
    }
    j.wpack = wpacked;
    j.hw = c->outvol;
    j.epi = *epi;
    /* Output channels in groups whose packed weights (about 192 KiB) stay
     * in L2 while the item walks its columns; column chunks so that the
     * item's output (group x chunk) stays in L2 for the epilogue, and
     * enough items for every thread. */
    int64_t mtiles = (p->M + VRT__D3_MR - 1) / VRT__D3_MR;
    int64_t gp = (int64_t)(192 * 1024 / sizeof(float)) / (VRT__D3_MR * p->C);
    if (gp < 1) gp = 1;
    if (gp > mtiles) gp = mtiles;
    int64_t ngroups = (mtiles + gp - 1) / gp;
    gp = (mtiles + ngroups - 1) / ngroups; /* even groups */
    int64_t chunk = gp * VRT__D3_MR >= 128 ? 128 : 256;
    int64_t want = 4 * (int64_t)vrt__threadpool_size(tp);
    if (ngroups * ((j.hw + chunk - 1) / chunk) < want) {
        int64_t nch = (want + ngroups - 1) / ngroups;
        chunk = (j.hw + nch - 1) / nch;
    }
    chunk = (chunk + VRT__D3_NR - 1) / VRT__D3_NR * VRT__D3_NR;
    if (chunk < VRT__D3_NR) chunk = VRT__D3_NR;
    j.chunk = chunk;
    j.gpanels = gp;
    j.nchunks = (j.hw + chunk - 1) / chunk;
    for (int64_t n = 0; n < p->N; n++) {
        j.n = n;
        j.x = x + n * p->C * c->invol;
        j.y = y + n * p->M * c->outvol;
        vrt__parallel_for(tp, j.nchunks * ngroups, vrt__pw_task, &j);
    }
}

/* im2col of the whole input, then vrt__conv_pw over the column matrix as a
 * pointwise conv of C*kvol input channels (the packed weights are the same:
 * K = C*kvol in im2col's row order). */
static void vrt__conv_colpw(vrt__threadpool *tp, const vrt__conv_params *p, const vrt__conv3 *c,
                            const float *x, const float *w, const float *wpacked, float *y,
                            const vrt__epi_job *epi, float *scratch) {
    int64_t kdim = p->C * c->kvol;
    float *col = scratch;
    if (!wpacked) {
        float *dst = scratch + kdim * c->outvol;
        vrt__wpack(tp, p, c->kvol, w, dst);
        wpacked = dst;
    }
    vrt__conv_params q = *p;
    q.N = 1;
    q.C = kdim;
    vrt__conv3 cq = *c;
    cq.invol = c->outvol;
    for (int64_t n = 0; n < p->N; n++) {
        vrt__im2col_job ij = {c, x + n * p->C * c->invol, col, 0, c->outvol};
        vrt__parallel_for(tp, kdim, vrt__im2col_row, &ij);
        vrt__epi_job e = *epi;
        e.y = y + n * p->M * c->outvol;
        if (e.residual) e.residual += n * p->M * c->outvol;
        vrt__conv_pw(tp, &q, &cq, col, w, wpacked, e.y, &e, NULL);
    }
}

vrt_status vrt__conv(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                     const float *bias, const float *residual, float *y, void *scratch) {
    return vrt__conv_packed(tp, p, x, w, NULL, bias, residual, y, scratch);
}

vrt_status vrt__conv_packed(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                            const float *wpacked, const float *bias, const float *residual, float *y,
                            void *scratch) {
    if (!p || !x || !w || !y) return VRT_EINVAL;
    if (p->auto_pad != VRT__AUTO_PAD_NOTSET || p->nsp < 1 || p->nsp > 3 || p->group <= 0 || p->C % p->group ||
        p->M % p->group)
        return VRT_EINVAL; /* not resolved */
    vrt__conv3 c;
    vrt__conv_to3(p, &c);
    int64_t cg = p->C / p->group, mg = p->M / p->group;
    vrt__epi_job epi = {p->M, c.outvol, bias, residual, &p->act, y};
    if (cg == 1 && p->group > 1) {
        vrt__dw_job j = {&c, p, x, w, y, epi};
        vrt__parallel_for(tp, p->N * p->M, vrt__conv_use_dw3(p, &c) ? vrt__dw3_plane : vrt__dw_plane, &j);
        return VRT_OK;
    }
    int pointwise = vrt__conv_is_pointwise(&c);
    if (!pointwise && !scratch) return VRT_EINVAL;
    if (pointwise && (scratch || wpacked) && vrt__conv_use_pw(p, &c)) {
        vrt__conv_pw(tp, p, &c, x, w, wpacked, y, &epi, scratch);
        return VRT_OK;
    }
    if (!pointwise && vrt__conv_use_direct(p, &c)) {
        vrt__conv_direct(tp, p, &c, x, w, wpacked, y, &epi, scratch);
        return VRT_OK;
    }
    if (vrt__conv_use_colpw(p, &c)) {
        vrt__conv_colpw(tp, p, &c, x, w, wpacked, y, &epi, scratch);
        return VRT_OK;
    }
    int64_t kdim = cg * c.kvol;
    int has_epi = bias || residual || p->act.kind != VRT__ACT_NONE;
    if (!pointwise) {
        /* Chunked: im2col of a column range, its GEMM, then its epilogue
         * while the chunk is still in cache. */
        int64_t cw = vrt__conv_chunk(kdim, c.outvol);
        for (int64_t n = 0; n < p->N; n++) {
            for (int64_t g = 0; g < p->group; g++) {
                const float *xg = x + (n * p->C + g * cg) * c.invol;
                float *yg = y + (n * p->M + g * mg) * c.outvol;
                for (int64_t c0 = 0; c0 < c.outvol; c0 += cw) {
                    int64_t w_ = c.outvol - c0 < cw ? c.outvol - c0 : cw;
                    vrt__im2col_job ij = {&c, xg, scratch, c0, w_};
                    vrt__parallel_for(tp, kdim, vrt__im2col_row, &ij);
                    vrt__sgemm(tp, 0, 0, mg, w_, kdim, 1.0f, w + g * mg * kdim, kdim, scratch, w_, 0.0f,
                               yg + c0, c.outvol);
                    if (has_epi) {
                        vrt__epi_chunk_job ej = {&epi, n * p->M + g * mg, c0, w_};
                        vrt__parallel_for(tp, mg, vrt__epi_chunk_task, &ej);
                    }
                }
            }
        }
        return VRT_OK;
    }
    for (int64_t n = 0; n < p->N; n++) {
        for (int64_t g = 0; g < p->group; g++) {
            const float *xg = x + (n * p->C + g * cg) * c.invol;
            float *yg = y + (n * p->M + g * mg) * c.outvol;
            vrt__sgemm(tp, 0, 0, mg, c.outvol, kdim, 1.0f, w + g * mg * kdim, kdim, xg, c.outvol, 0.0f, yg,
                       c.outvol);
        }
    }
    if (has_epi) vrt__parallel_for(tp, p->N * p->M, vrt__epi_task, &epi);
    return VRT_OK;
}

/* ---- ConvTranspose --------------------------------------------------------- */

size_t vrt__conv_transpose_scratch_bytes(const vrt__conv_params *p) {
    vrt__conv3 c;
    vrt__conv_to3(p, &c);
    int64_t mg = p->M / (p->group ? p->group : 1);
    return (size_t)(mg * c.kvol * c.invol) * sizeof(float);
}

typedef struct vrt__col2im_job {
    const vrt__conv3 *c;
    const float *col; /* (Mg*kvol) x invol */
    float *y;         /* Mg output planes */
} vrt__col2im_job;

static void vrt__col2im_channel(void *arg, int64_t m) {
    const vrt__col2im_job *j = arg;
    const vrt__conv3 *c = j->c;
    float *yp = j->y + m * c->outvol;
    for (int64_t kp = 0; kp < c->kvol; kp++) {
        int64_t kw = kp % c->k[2], kh = (kp / c->k[2]) % c->k[1], kd = kp / (c->k[2] * c->k[1]);
        const float *src = j->col + (m * c->kvol + kp) * c->invol;
        for (int64_t id = 0; id < c->in[0]; id++) {
            int64_t od = id * c->s[0] - c->pb[0] + kd * c->d[0];
            if (od < 0 || od >= c->out[0]) continue;
            for (int64_t ih = 0; ih < c->in[1]; ih++) {
                int64_t oh = ih * c->s[1] - c->pb[1] + kh * c->d[1];
                if (oh < 0 || oh >= c->out[1]) continue;
                const float *srow = src + (id * c->in[1] + ih) * c->in[2];
                float *yrow = yp + (od * c->out[1] + oh) * c->out[2];
                int64_t base = kw * c->d[2] - c->pb[2];
                for (int64_t iw = 0; iw < c->in[2]; iw++) {
                    int64_t ow = iw * c->s[2] + base;
                    if (ow >= 0 && ow < c->out[2]) yrow[ow] += srow[iw];
                }
            }
        }
    }
}

typedef struct vrt__fill_job {
    int64_t M, plane;
    const float *bias;
    float *y;
} vrt__fill_job;

static void vrt__fill_plane(void *arg, int64_t np) {
    const vrt__fill_job *j = arg;
    float v = j->bias ? j->bias[np % j->M] : 0.0f;
    float *y = j->y + np * j->plane;
    for (int64_t i = 0; i < j->plane; i++)
        y[i] = v;
}

vrt_status vrt__conv_transpose(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                               const float *bias, float *y, void *scratch) {
    if (!p || !x || !w || !y || !scratch) return VRT_EINVAL;
    if (p->auto_pad != VRT__AUTO_PAD_NOTSET || p->nsp < 1 || p->nsp > 3 || p->group <= 0 || p->C % p->group ||
        p->M % p->group)
        return VRT_EINVAL;
    vrt__conv3 c;
    vrt__conv_to3(p, &c);
    int64_t cg = p->C / p->group, mg = p->M / p->group;
    vrt__fill_job fj = {p->M, c.outvol, bias, y};
    vrt__parallel_for(tp, p->N * p->M, vrt__fill_plane, &fj);
    int64_t rows = mg * c.kvol;
    for (int64_t n = 0; n < p->N; n++) {
        for (int64_t g = 0; g < p->group; g++) {
            const float *xg = x + (n * p->C + g * cg) * c.invol;
            const float *wg = w + g * cg * rows; /* Cg x (Mg*kvol) */
            vrt__sgemm(tp, 1, 0, rows, c.invol, cg, 1.0f, wg, rows, xg, c.invol, 0.0f, scratch, c.invol);
            vrt__col2im_job cj = {&c, scratch, y + (n * p->M + g * mg) * c.outvol};
            vrt__parallel_for(tp, mg, vrt__col2im_channel, &cj);
        }
    }
    if (p->act.kind != VRT__ACT_NONE) {
        vrt__epi_job epi = {p->M, c.outvol, NULL, NULL, &p->act, y};
        vrt__parallel_for(tp, p->N * p->M, vrt__epi_task, &epi);
    }
    return VRT_OK;
}
