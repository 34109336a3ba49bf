/*
 * BatchNormalization (inference), InstanceNormalization, LayerNormalization.
 *
 * Statistics are accumulated in double: planes of 10^5 elements and more are
 * common, and fp32 sums would drift from the reference.
 */
#include <math.h>

#include "engine/backend/cpu/kernels_nn.h"

typedef struct vrt__bn_job {
    int64_t C, spatial;
    const float *x, *scale, *bias, *mean, *var;
    float eps;
    float *y;
} vrt__bn_job;

static void vrt__bn_plane(void *arg, int64_t np) {
    const vrt__bn_job *j = arg;
    int64_t c = np % j->C;
    float s = j->scale[c] / sqrtf(j->var[c] + j->eps);
    float b = j->bias[c] - j->mean[c] * s;
    const float *x = j->x + np * j->spatial;
    float *y = j->y + np * j->spatial;
    for (int64_t i = 0; i < j->spatial; i++)
        y[i] = x[i] * s + b;
}

vrt_status vrt__batchnorm(vrt__threadpool *tp, int64_t N, int64_t C, int64_t spatial, const float *x,
                          const float *scale, const float *bias, const float *mean, const float *var,
                          float eps, float *y) {
    if (N < 0 || C <= 0 || spatial < 0 || !x || !scale || !bias || !mean || !var || !y) return VRT_EINVAL;
    vrt__bn_job j = {C, spatial, x, scale, bias, mean, var, eps, y};
    vrt__parallel_for(tp, N * C, vrt__bn_plane, &j);
    return VRT_OK;
}

/* Mean and 1/sqrt(var + eps) of n floats (biased variance, two passes). */
static void vrt__moments(const float *x, int64_t n, float eps, float *mean, float *inv_std) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    double m = n > 0 ? s / (double)n : 0.0;
    double v = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = x[i] - m;
        v += d * d;
    }
    v = n > 0 ? v / (double)n : 0.0;
    *mean = (float)m;
    *inv_std = (float)(1.0 / sqrt(v + (double)eps));
}

typedef struct vrt__in_job {
    int64_t C, spatial;
    const float *x, *scale, *bias;
    float eps;
    float *y;
} vrt__in_job;

static void vrt__in_plane(void *arg, int64_t np) {
    const vrt__in_job *j = arg;
    int64_t c = np % j->C;
    const float *x = j->x + np * j->spatial;
    float *y = j->y + np * j->spatial;
    float m, is;
    vrt__moments(x, j->spatial, j->eps, &m, &is);
    float s = j->scale[c] * is, b = j->bias[c] - m * s;
    for (int64_t i = 0; i < j->spatial; i++)
        y[i] = x[i] * s + b;
}

vrt_status vrt__instancenorm(vrt__threadpool *tp, int64_t N, int64_t C, int64_t spatial, const float *x,
                             const float *scale, const float *bias, float eps, float *y) {
    if (N < 0 || C <= 0 || spatial <= 0 || !x || !scale || !bias || !y) return VRT_EINVAL;
    vrt__in_job j = {C, spatial, x, scale, bias, eps, y};
    vrt__parallel_for(tp, N * C, vrt__in_plane, &j);
    return VRT_OK;
}

typedef struct vrt__ln_job {
    int64_t inner;
    const float *x, *scale, *bias;
    float eps;
    float *y, *mean, *inv_std;
} vrt__ln_job;

static void vrt__ln_row(void *arg, int64_t r) {
    const vrt__ln_job *j = arg;
    const float *x = j->x + r * j->inner;
    float *y = j->y + r * j->inner;
    float m, is;
    vrt__moments(x, j->inner, j->eps, &m, &is);
    for (int64_t i = 0; i < j->inner; i++) {
        float v = (x[i] - m) * is * j->scale[i];
        y[i] = j->bias ? v + j->bias[i] : v;
    }
    if (j->mean) j->mean[r] = m;
    if (j->inv_std) j->inv_std[r] = is;
}

vrt_status vrt__layernorm(vrt__threadpool *tp, int64_t outer, int64_t inner, const float *x,
                          const float *scale, const float *bias, float eps, float *y, float *mean,
                          float *inv_std) {
    if (outer < 0 || inner <= 0 || !x || !scale || !y) return VRT_EINVAL;
    vrt__ln_job j = {inner, x, scale, bias, eps, y, mean, inv_std};
    vrt__parallel_for(tp, outer, vrt__ln_row, &j);
    return VRT_OK;
}

typedef struct vrt__addln_job {
    int64_t inner;
    const float *a, *b, *scale, *bias;
    float eps;
    float *y, *sum;
} vrt__addln_job;

/* The sum is rounded to fp32 before the moments, as the unfused Add then
 * LayerNormalization does: the same results bit for bit. */
static void vrt__addln_row(void *arg, int64_t r) {
    const vrt__addln_job *j = arg;
    const float *a = j->a + r * j->inner, *b = j->b + r * j->inner;
    float *y = j->y + r * j->inner, *s = j->sum ? j->sum + r * j->inner : y;
    for (int64_t i = 0; i < j->inner; i++)
        s[i] = a[i] + b[i];
    float m, is;
    vrt__moments(s, j->inner, j->eps, &m, &is);
    for (int64_t i = 0; i < j->inner; i++) {
        float v = (s[i] - m) * is * j->scale[i];
        y[i] = j->bias ? v + j->bias[i] : v;
    }
}

vrt_status vrt__add_layernorm(vrt__threadpool *tp, int64_t outer, int64_t inner, const float *a,
                              const float *b, const float *scale, const float *bias, float eps, float *y,
                              float *sum) {
    if (outer < 0 || inner <= 0 || !a || !b || !scale || !y) return VRT_EINVAL;
    vrt__addln_job j = {inner, a, b, scale, bias, eps, y, sum};
    vrt__parallel_for(tp, outer, vrt__addln_row, &j);
    return VRT_OK;
}
