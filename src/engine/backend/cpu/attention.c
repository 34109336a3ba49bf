/*
 * VrtAttention on the CPU: O = softmax(scale * Q K^T + mask) V, one query
 * row per job, keys in chunks with an online softmax (running max and sum,
 * the accumulator rescaled when the max grows), so no score matrix is
 * stored. Operands are read through the strides of vrt__attn_params; the
 * inner loops run over whichever index is contiguous.
 */
#include <math.h>
#include <string.h>

#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/kernels_nn.h"

#define CHUNK 128
#define MAXD 256

typedef struct attn_job {
    const vrt__attn_params *p;
    const float *q, *k, *v, *mask;
    float *o;
} attn_job;

/* s[j] = q . k_j for the chunk's keys. */
static void chunk_scores(const vrt__attn_params *p, const float *qv, const float *k, int64_t n, float *s) {
    int nb = p->nb;
    int64_t kr = p->k[nb], kc = p->k[nb + 1];
    if (kc == 1 || kr != 1) {
        for (int64_t j = 0; j < n; j++) {
            const float *kj = k + j * kr;
            float acc = 0.0f;
            if (kc == 1)
                for (int64_t d = 0; d < p->d; d++)
                    acc += qv[d] * kj[d];
            else
                for (int64_t d = 0; d < p->d; d++)
                    acc += qv[d] * kj[d * kc];
            s[j] = acc;
        }
        return;
    }
    /* K held as K^T (keys contiguous): accumulate over d, vectorised over keys. */
    memset(s, 0, (size_t)n * sizeof(float));
    for (int64_t d = 0; d < p->d; d++) {
        const float *kd = k + d * kc;
        float qd = qv[d];
        for (int64_t j = 0; j < n; j++)
            s[j] += qd * kd[j];
    }
}

/* acc[e] += sum_j w[j] v_j[e] over the chunk's values. */
static void chunk_values(const vrt__attn_params *p, const float *w, const float *v, int64_t n, float *acc) {
    int nb = p->nb;
    int64_t vr = p->v[nb], vc = p->v[nb + 1];
    if (vc == 1 || vr != 1) {
        for (int64_t j = 0; j < n; j++) {
            const float *vj = v + j * vr;
            float wj = w[j];
            if (vc == 1)
                for (int64_t e = 0; e < p->dv; e++)
                    acc[e] += wj * vj[e];
            else
                for (int64_t e = 0; e < p->dv; e++)
                    acc[e] += wj * vj[e * vc];
        }
        return;
    }
    for (int64_t e = 0; e < p->dv; e++) {
        const float *ve = v + e * vc;
        float t = 0.0f;
        for (int64_t j = 0; j < n; j++)
            t += w[j] * ve[j];
        acc[e] += t;
    }
}

static void attn_row(void *arg, int64_t row) {
    const attn_job *jb = arg;
    const vrt__attn_params *p = jb->p;
    int nb = p->nb;
    int64_t b = row / p->sq, i = row % p->sq, off[5];
    vrt__attn_offsets(p, b, off);
    float qv[MAXD], acc[MAXD], s[CHUNK];
    const float *q = jb->q + off[0] + i * p->q[nb];
    for (int64_t d = 0; d < p->d; d++)
        qv[d] = q[d * p->q[nb + 1]];
    memset(acc, 0, (size_t)p->dv * sizeof(float));
    const float *mrow = p->has_mask ? jb->mask + off[4] + i * p->m[nb] : NULL;
    float mx = -INFINITY, l = 0.0f;
    for (int64_t j0 = 0; j0 < p->sk; j0 += CHUNK) {
        int64_t n = p->sk - j0 < CHUNK ? p->sk - j0 : CHUNK;
        chunk_scores(p, qv, jb->k + off[1] + j0 * p->k[nb], n, s);
        float cm = -INFINITY;
        for (int64_t j = 0; j < n; j++) {
            s[j] *= p->scale;
            if (mrow) s[j] += mrow[(j0 + j) * p->m[nb + 1]];
            cm = s[j] > cm ? s[j] : cm;
        }
        if (cm > mx) {
            float corr = expf(mx - cm); /* 0 on the first chunk */
            l *= corr;
            for (int64_t e = 0; e < p->dv; e++)
                acc[e] *= corr;
            mx = cm;
        }
        for (int64_t j = 0; j < n; j++) {
            s[j] = expf(s[j] - mx);
            l += s[j];
        }
        chunk_values(p, s, jb->v + off[2] + j0 * p->v[nb], n, acc);
    }
    float *o = jb->o + off[3] + i * p->o[nb];
    /* nan_zero: every score -inf (l NaN from exp(-inf - -inf)) or a NaN score: 0, as the graph's
     * Where(IsNaN(P), 0, P) gives. */
    int zero = p->nan_zero && !(l > 0.0f);
    float inv = 1.0f / l;
    for (int64_t e = 0; e < p->dv; e++)
        o[e * p->o[nb + 1]] = zero ? 0.0f : acc[e] * inv;
}

vrt_status vrt__attention(vrt__threadpool *tp, const vrt__attn_params *p, const float *q, const float *k,
                          const float *v, const float *mask, float *o) {
    if (!p || !q || !k || !v || !o || (p->has_mask && !mask) || p->d > MAXD || p->dv > MAXD)
        return VRT_EINVAL;
    attn_job j = {p, q, k, v, mask, o};
    vrt__parallel_for(tp, p->batch * p->sq, attn_row, &j);
    return VRT_OK;
}
