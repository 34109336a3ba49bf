#include "vrt/hist.h"

#include <math.h>
#include <string.h>

/* Bucket layout (see hist.h): index 0..127 is the linear range [0, 1024) in
 * 8 ns steps; group g >= 1 covers [2^(g+9), 2^(g+10)) in 128 steps of
 * 2^(g+2) ns. The linear step equals the first group's step, so the layout
 * is continuous. */
#define LOW_SHIFT (VRT_HIST_LOW_BITS - VRT_HIST_SUB_BITS) /* 3: 8 ns linear step */

static int bucket_index(int64_t v) {
    if (v < ((int64_t)1 << VRT_HIST_LOW_BITS)) return v < 0 ? 0 : (int)(v >> LOW_SHIFT);
    if (v >= VRT_HIST_TOP_NS) return VRT_HIST_BUCKETS - 1;
    int k = 63 - __builtin_clzll((unsigned long long)v); /* floor(log2 v), LOW_BITS..TOP_BITS-1 */
    int shift = k - VRT_HIST_SUB_BITS;
    int sub = (int)(v >> shift) - VRT_HIST_SUB;
    return VRT_HIST_SUB * (k - VRT_HIST_LOW_BITS + 1) + sub;
}

static void bucket_bounds(int idx, int64_t *lo, int64_t *hi) {
    if (idx < VRT_HIST_SUB) {
        *lo = (int64_t)idx << LOW_SHIFT;
        *hi = *lo + ((int64_t)1 << LOW_SHIFT);
        return;
    }
    int k = idx / VRT_HIST_SUB + VRT_HIST_LOW_BITS - 1;
    int sub = idx % VRT_HIST_SUB;
    int shift = k - VRT_HIST_SUB_BITS;
    *lo = (int64_t)(VRT_HIST_SUB + sub) << shift;
    *hi = *lo + ((int64_t)1 << shift);
}

void vrt_hist_init(vrt_hist *h) {
    memset(h, 0, sizeof(*h));
}

void vrt_hist_reset(vrt_hist *h) {
    vrt_hist_init(h);
}

void vrt_hist_record_n(vrt_hist *h, int64_t ns, uint64_t n) {
    if (n == 0) return;
    if (h->count == 0) {
        h->min = h->max = ns;
    } else {
        if (ns < h->min) h->min = ns;
        if (ns > h->max) h->max = ns;
    }
    /* Welford's update for n copies of one value (Chan et al. with a zero-variance group). */
    double total = (double)h->count + (double)n;
    double delta = (double)ns - h->mean;
    h->mean += delta * ((double)n / total);
    h->m2 += delta * delta * ((double)h->count * (double)n / total);
    h->count += n;
    h->buckets[bucket_index(ns)] += n;
}

void vrt_hist_record(vrt_hist *h, int64_t ns) {
    vrt_hist_record_n(h, ns, 1);
}

void vrt_hist_merge(vrt_hist *dst, const vrt_hist *src) {
    if (src->count == 0) return;
    /* Read everything from src before touching dst: they may be the same. */
    uint64_t n2 = src->count;
    int64_t mn = src->min, mx = src->max;
    double mean2 = src->mean, m22 = src->m2;
    if (dst->count == 0) {
        dst->min = mn;
        dst->max = mx;
    } else {
        if (mn < dst->min) dst->min = mn;
        if (mx > dst->max) dst->max = mx;
    }
    double n1 = (double)dst->count, total = n1 + (double)n2;
    double delta = mean2 - dst->mean;
    dst->mean += delta * ((double)n2 / total);
    dst->m2 += m22 + delta * delta * (n1 * (double)n2 / total);
    dst->count += n2;
    for (int i = 0; i < VRT_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
}

uint64_t vrt_hist_count(const vrt_hist *h) {
    return h->count;
}
int64_t vrt_hist_min(const vrt_hist *h) {
    return h->count ? h->min : 0;
}
int64_t vrt_hist_max(const vrt_hist *h) {
    return h->count ? h->max : 0;
}
double vrt_hist_mean(const vrt_hist *h) {
    return h->count ? h->mean : 0.0;
}
double vrt_hist_stddev(const vrt_hist *h) {
    if (h->count < 2 || h->m2 <= 0) return 0.0;
    return sqrt(h->m2 / (double)h->count);
}

int64_t vrt_hist_percentile(const vrt_hist *h, double q) {
    if (h->count == 0) return 0;
    if (!(q > 0)) return h->min; /* also NaN */
    if (q >= 100) return h->max;
    /* Nearest rank: the ceil(q/100 * N)-th smallest sample (1-based). */
    double r = ceil(q / 100.0 * (double)h->count);
    uint64_t rank = r < 1 ? 1 : (r > (double)h->count ? h->count : (uint64_t)r);
    uint64_t seen = 0;
    int idx = VRT_HIST_BUCKETS - 1;
    for (int i = 0; i < VRT_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            idx = i;
            break;
        }
    }
    int64_t lo, hi;
    bucket_bounds(idx, &lo, &hi);
    int64_t v = lo + (hi - lo) / 2;
    if (v < h->min) v = h->min;
    if (v > h->max) v = h->max;
    return v;
}

void vrt_hist_summarize(const vrt_hist *h, vrt_hist_summary *out) {
    out->count = h->count;
    out->min = vrt_hist_min(h);
    out->max = vrt_hist_max(h);
    out->mean = vrt_hist_mean(h);
    out->stddev = vrt_hist_stddev(h);
    out->p50 = vrt_hist_percentile(h, 50);
    out->p90 = vrt_hist_percentile(h, 90);
    out->p99 = vrt_hist_percentile(h, 99);
    out->p999 = vrt_hist_percentile(h, 99.9);
}

int vrt_hist_next_bucket(const vrt_hist *h, int *iter, vrt_hist_bucket *b) {
    int i = *iter < 0 ? 0 : *iter;
    while (i < VRT_HIST_BUCKETS && h->buckets[i] == 0)
        i++;
    if (i >= VRT_HIST_BUCKETS) {
        *iter = VRT_HIST_BUCKETS;
        return 0;
    }
    bucket_bounds(i, &b->lower, &b->upper);
    if (i == VRT_HIST_BUCKETS - 1 && h->max >= b->upper)
        b->upper = h->max == INT64_MAX ? INT64_MAX : h->max + 1;
    b->count = h->buckets[i];
    *iter = i + 1;
    return 1;
}
