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
 * ConvTranspose: per (batch, group), col = W_g^T x X_g (GEMM), then col2im
 * scatters each column into the output; one work item per output channel,
 * so no two threads write the same element.
 */
#include <string.h>

#include "engine/backend/cpu/kernels_nn.h"

void vrt__conv_default_params(vrt__conv_params *p) {
    memset(p, 0, sizeof(*p));
    p->nsp = 2;
    p->group = 1;
    for (int i = 0; i < VRT__MAX_SPATIAL; i++) {
        p->strides[i] = 1;
        p->dilations[i] = 1;
    }
    p->act.kind = VRT__ACT_NONE;
}

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

static vrt_status vrt__conv_check_common(const vrt__conv_params *p, const char *op, char *err,
                                         size_t errcap) {
    if (p->nsp < 1 || p->nsp > VRT__MAX_SPATIAL) {
        vrt_errbuf_set(err, errcap, "%s: %d spatial dims not supported; supported: 1, 2, 3", op,
                       p->nsp);
        return VRT_EUNSUPPORTED;
    }
    if (p->N <= 0 || p->C <= 0 || p->M <= 0 || p->group <= 0) {
        vrt_errbuf_set(err, errcap, "%s: N=%lld C=%lld M=%lld group=%lld must all be positive", op,
                       (long long)p->N, (long long)p->C, (long long)p->M, (long long)p->group);
        return VRT_EINVAL;
    }
    if (p->C % p->group || p->M % p->group) {
        vrt_errbuf_set(err, errcap,
                       "%s: group=%lld must divide input channels %lld and output channels %lld",
                       op, (long long)p->group, (long long)p->C, (long long)p->M);
        return VRT_EINVAL;
    }
    for (int i = 0; i < p->nsp; i++) {
        if (p->in[i] <= 0 || p->k[i] <= 0 || p->strides[i] <= 0 || p->dilations[i] <= 0) {
            vrt_errbuf_set(err, errcap,
                           "%s: spatial dim %d: input %lld, kernel %lld, stride %lld, dilation "
                           "%lld must all be positive",
                           op, i, (long long)p->in[i], (long long)p->k[i], (long long)p->strides[i],
                           (long long)p->dilations[i]);
            return VRT_EINVAL;
        }
    }
    if (p->auto_pad < VRT__AUTO_PAD_NOTSET || p->auto_pad > VRT__AUTO_PAD_VALID) {
        vrt_errbuf_set(err, errcap, "%s: unknown auto_pad %d; supported: NOTSET, SAME_UPPER, "
                       "SAME_LOWER, VALID", op, (int)p->auto_pad);
        return VRT_EINVAL;
    }
    return VRT_OK;
}

vrt_status vrt__conv_resolve(vrt__conv_params *p, char *err, size_t errcap) {
    vrt_status st = vrt__conv_check_common(p, "Conv", err, errcap);
    if (st) return st;
    for (int i = 0; i < p->nsp; i++) {
        int64_t ek = (p->k[i] - 1) * p->dilations[i] + 1;
        switch (p->auto_pad) {
        case VRT__AUTO_PAD_SAME_UPPER:
        case VRT__AUTO_PAD_SAME_LOWER: {
            int64_t o = (p->in[i] + p->strides[i] - 1) / p->strides[i];
            int64_t total = (o - 1) * p->strides[i] + ek - p->in[i];
            if (total < 0) total = 0;
            int64_t small = total / 2;
            p->pads_begin[i] = p->auto_pad == VRT__AUTO_PAD_SAME_UPPER ? small : total - small;
            p->pads_end[i] = total - p->pads_begin[i];
            break;
        }
        case VRT__AUTO_PAD_VALID: p->pads_begin[i] = p->pads_end[i] = 0; break;
        default: break;
        }
        if (p->pads_begin[i] < 0 || p->pads_end[i] < 0) {
            vrt_errbuf_set(err, errcap, "Conv: negative pads (%lld, %lld) on spatial dim %d",
                           (long long)p->pads_begin[i], (long long)p->pads_end[i], i);
            return VRT_EINVAL;
        }
        int64_t span = p->in[i] + p->pads_begin[i] + p->pads_end[i] - ek;
        if (span < 0) {
            vrt_errbuf_set(err, errcap,
                           "Conv: dilated kernel %lld is larger than padded input %lld on spatial "
                           "dim %d",
                           (long long)ek, (long long)(p->in[i] + p->pads_begin[i] + p->pads_end[i]),
                           i);
            return VRT_EINVAL;
        }
        p->out[i] = span / p->strides[i] + 1;
    }
    for (int i = p->nsp; i < VRT__MAX_SPATIAL; i++) p->out[i] = 0;
    p->auto_pad = VRT__AUTO_PAD_NOTSET;
    return VRT_OK;
}

static int vrt__conv_is_pointwise(const vrt__conv3 *c) {
    for (int i = 0; i < 3; i++)
        if (c->k[i] != 1 || c->s[i] != 1 || c->pb[i] || c->pe[i]) return 0;
    return 1;
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
    if (vrt__conv_is_pointwise(&c)) return 0;
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
static void vrt__valid_range(int64_t in, int64_t out, int64_t s, int64_t pb, int64_t off,
                             int64_t *lo, int64_t *hi) {
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
        for (int64_t ow = ow0; ow < lo && ow < ow1; ow++) drow[ow] = 0.0f;
        if (c->s[2] == 1) {
            if (hi > lo) memcpy(drow + lo, xrow + lo + base, (size_t)(hi - lo) * sizeof(float));
        } else {
            for (int64_t ow = lo; ow < hi; ow++) drow[ow] = xrow[ow * c->s[2] + base];
        }
        for (int64_t ow = hi > ow0 ? hi : ow0; ow < ow1; ow++) drow[ow] = 0.0f;
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
        for (int64_t i = 0; i < j->plane; i++) y[i] += b;
    }
    if (j->residual) {
        const float *r = j->residual + np * j->plane;
        for (int64_t i = 0; i < j->plane; i++) y[i] += r[i];
    }
    vrt__act_apply(j->act, y, j->plane);
}

static void vrt__epi_task(void *arg, int64_t np) { vrt__epi_plane(arg, np); }

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
        for (int64_t q = 0; q < j->cw; q++) y[q] += b;
    }
    if (e->residual) {
        const float *r = e->residual + np * e->plane + j->c0;
        for (int64_t q = 0; q < j->cw; q++) y[q] += r[q];
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
                            for (int64_t ow = wlo; ow < whi; ow++) yrow[ow] += wv * xrow[ow];
                        } else {
                            int64_t s = c->s[2];
                            for (int64_t ow = wlo; ow < whi; ow++) yrow[ow] += wv * xrow[ow * s];
                        }
                    }
                }
            }
    vrt__epi_plane(&j->epi, np);
}

vrt_status vrt__conv(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                     const float *bias, const float *residual, float *y, void *scratch) {
    if (!p || !x || !w || !y) return VRT_EINVAL;
    if (p->auto_pad != VRT__AUTO_PAD_NOTSET || p->nsp < 1 || p->nsp > 3 || p->group <= 0 ||
        p->C % p->group || p->M % p->group)
        return VRT_EINVAL; /* not resolved */
    vrt__conv3 c;
    vrt__conv_to3(p, &c);
    int64_t cg = p->C / p->group, mg = p->M / p->group;
    vrt__epi_job epi = {p->M, c.outvol, bias, residual, &p->act, y};
    if (cg == 1 && p->group > 1) {
        vrt__dw_job j = {&c, p, x, w, y, epi};
        vrt__parallel_for(tp, p->N * p->M, vrt__dw_plane, &j);
        return VRT_OK;
    }
    int pointwise = vrt__conv_is_pointwise(&c);
    if (!pointwise && !scratch) return VRT_EINVAL;
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
                    vrt__sgemm(tp, 0, 0, mg, w_, kdim, 1.0f, w + g * mg * kdim, kdim, scratch, w_,
                               0.0f, yg + c0, c.outvol);
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
            vrt__sgemm(tp, 0, 0, mg, c.outvol, kdim, 1.0f, w + g * mg * kdim, kdim, xg, c.outvol,
                       0.0f, yg, c.outvol);
        }
    }
    if (has_epi) vrt__parallel_for(tp, p->N * p->M, vrt__epi_task, &epi);
    return VRT_OK;
}

/* ---- ConvTranspose --------------------------------------------------------- */

vrt_status vrt__conv_transpose_resolve(vrt__conv_params *p, char *err, size_t errcap) {
    vrt_status st = vrt__conv_check_common(p, "ConvTranspose", err, errcap);
    if (st) return st;
    int have_shape = 0;
    for (int i = 0; i < p->nsp; i++) have_shape |= p->output_shape[i] != 0;
    for (int i = 0; i < p->nsp; i++) {
        int64_t ek = (p->k[i] - 1) * p->dilations[i] + 1;
        int64_t s = p->strides[i];
        if (p->output_padding[i] < 0 || (p->output_padding[i] >= s && p->output_padding[i] >= p->dilations[i])) {
            vrt_errbuf_set(err, errcap,
                           "ConvTranspose: output_padding %lld on spatial dim %d must be smaller "
                           "than the stride %lld or the dilation %lld",
                           (long long)p->output_padding[i], i, (long long)s,
                           (long long)p->dilations[i]);
            return VRT_EINVAL;
        }
        int64_t natural = s * (p->in[i] - 1) + p->output_padding[i] + ek;
        int64_t want = -1;
        if (have_shape)
            want = p->output_shape[i];
        else if (p->auto_pad == VRT__AUTO_PAD_SAME_UPPER || p->auto_pad == VRT__AUTO_PAD_SAME_LOWER)
            want = p->in[i] * s;
        if (want >= 0) {
            if (want <= 0) {
                vrt_errbuf_set(err, errcap, "ConvTranspose: output_shape %lld on spatial dim %d must be positive",
                               (long long)want, i);
                return VRT_EINVAL;
            }
            /* ONNX: total padding split in half, the odd one at the end for
             * SAME_UPPER and at the beginning otherwise. A negative total
             * (a larger output than the natural one) leaves the extra
             * elements at the end, holding only the bias. */
            int64_t total = natural - want;
            if (total >= 0) {
                int64_t half = total / 2;
                p->pads_begin[i] = p->auto_pad == VRT__AUTO_PAD_SAME_UPPER ? half : total - half;
                p->pads_end[i] = total - p->pads_begin[i];
            } else {
                p->pads_begin[i] = 0;
                p->pads_end[i] = total;
            }
            p->out[i] = want;
        } else {
            if (p->auto_pad == VRT__AUTO_PAD_VALID) p->pads_begin[i] = p->pads_end[i] = 0;
            if (p->pads_begin[i] < 0 || p->pads_end[i] < 0) {
                vrt_errbuf_set(err, errcap, "ConvTranspose: negative pads on spatial dim %d", i);
                return VRT_EINVAL;
            }
            p->out[i] = natural - p->pads_begin[i] - p->pads_end[i];
            if (p->out[i] <= 0) {
                vrt_errbuf_set(err, errcap,
                               "ConvTranspose: pads (%lld, %lld) leave no output on spatial dim %d",
                               (long long)p->pads_begin[i], (long long)p->pads_end[i], i);
                return VRT_EINVAL;
            }
        }
    }
    for (int i = p->nsp; i < VRT__MAX_SPATIAL; i++) p->out[i] = 0;
    p->auto_pad = VRT__AUTO_PAD_NOTSET;
    return VRT_OK;
}

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
    for (int64_t i = 0; i < j->plane; i++) y[i] = v;
}

vrt_status vrt__conv_transpose(vrt__threadpool *tp, const vrt__conv_params *p, const float *x,
                               const float *w, const float *bias, float *y, void *scratch) {
    if (!p || !x || !w || !y || !scratch) return VRT_EINVAL;
    if (p->auto_pad != VRT__AUTO_PAD_NOTSET || p->nsp < 1 || p->nsp > 3 || p->group <= 0 ||
        p->C % p->group || p->M % p->group)
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
            vrt__sgemm(tp, 1, 0, rows, c.invol, cg, 1.0f, wg, rows, xg, c.invol, 0.0f, scratch,
                       c.invol);
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
