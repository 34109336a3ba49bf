/*
 * vrt/hist.h - fixed-memory latency histogram (HdrHistogram-like).
 *
 * Values are nanoseconds (int64). Buckets are log-linear:
 *   - [0, 1024) ns: one linear range of 128 buckets, 8 ns wide;
 *   - each power-of-two range [2^k, 2^(k+1)) for k = 10 .. 33 is split into
 *     128 equal sub-buckets, so a bucket is at most 1/128 of its lower bound
 *     wide and a percentile (the bucket's midpoint) is within 0.4% of the
 *     true sample value from 1 us up to 2^34 ns (~17.2 s);
 *   - values >= 2^34 ns are counted in the last bucket (clamped); min, max,
 *     mean and stddev stay exact for every value (they come from running
 *     sums, not from the buckets). Negative values (clock skew) are counted
 *     in the first bucket; min/mean/stddev still see their true value.
 *
 * Memory: a vrt_hist is a plain struct of fixed size (~25 KiB) with no
 * pointers: embed it in another struct or put it on the heap; it never
 * allocates. All fields are private: use the functions below.
 *
 * Lifecycle: vrt_hist_init (or reset) -> record ... -> query. Copy it with
 * memcpy / assignment; combine per-thread histograms with vrt_hist_merge.
 *
 * Threading: not synchronised. One thread records into a histogram; others
 * may read it only when the writer is quiescent. For cross-thread reports
 * keep one histogram per thread (or per stage) and merge copies.
 */
#ifndef VRT_HIST_H
#define VRT_HIST_H

#include <stdint.h>

#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_HIST_SUB_BITS 7 /* 128 sub-buckets per power of two */
#define VRT_HIST_SUB (1 << VRT_HIST_SUB_BITS)
#define VRT_HIST_LOW_BITS 10 /* linear range [0, 2^10) ns */
#define VRT_HIST_TOP_BITS 34 /* values >= 2^34 ns clamp into the last bucket */
#define VRT_HIST_BUCKETS (VRT_HIST_SUB * (1 + VRT_HIST_TOP_BITS - VRT_HIST_LOW_BITS))
#define VRT_HIST_TOP_NS ((int64_t)1 << VRT_HIST_TOP_BITS)

/* Private fields; layout does not depend on build flags. */
typedef struct vrt_hist {
    uint64_t count;
    int64_t min, max; /* ns, exact */
    double mean, m2;  /* Welford running mean and sum of squared deviations */
    uint64_t buckets[VRT_HIST_BUCKETS];
} vrt_hist;

typedef struct vrt_hist_summary {
    uint64_t count;
    int64_t min, max;            /* ns, exact; 0 when empty */
    double mean, stddev;         /* ns, exact (population standard deviation); 0 when empty */
    int64_t p50, p90, p99, p999; /* ns, nearest-rank percentiles from the buckets */
} vrt_hist_summary;

/* One non-empty bucket: samples v with lower <= v < upper were counted here
 * (the first bucket also holds negative values, the last one all values >= its lower). */
typedef struct vrt_hist_bucket {
    int64_t lower; /* ns, inclusive */
    int64_t upper; /* ns, exclusive; for the last bucket max(upper, max + 1) */
    uint64_t count;
} vrt_hist_bucket;

/* Empties the histogram. init and reset are the same; both are cheap enough
 * to call outside the frame path (they clear the bucket array). */
VRT_API void vrt_hist_init(vrt_hist *h);
VRT_API void vrt_hist_reset(vrt_hist *h);

/* Records one value / n copies of one value (ns). O(1), no allocation, no lock. */
VRT_API void vrt_hist_record(vrt_hist *h, int64_t ns);
VRT_API void vrt_hist_record_n(vrt_hist *h, int64_t ns, uint64_t n);

/* Adds every sample of src to dst (dst == src is allowed and doubles it). */
VRT_API void vrt_hist_merge(vrt_hist *dst, const vrt_hist *src);

VRT_API uint64_t vrt_hist_count(const vrt_hist *h);
VRT_API int64_t vrt_hist_min(const vrt_hist *h);   /* 0 when empty */
VRT_API int64_t vrt_hist_max(const vrt_hist *h);   /* 0 when empty */
VRT_API double vrt_hist_mean(const vrt_hist *h);   /* 0 when empty */
VRT_API double vrt_hist_stddev(const vrt_hist *h); /* population stddev; 0 when empty */

/* Nearest-rank percentile, q in [0, 100] (clamped): the smallest recorded
 * value v such that at least q% of the samples are <= v, approximated by the
 * midpoint of its bucket and clamped to [min, max]. q <= 0 gives min exactly,
 * q >= 100 gives max exactly. 0 when empty. */
VRT_API int64_t vrt_hist_percentile(const vrt_hist *h, double q);

/* Fills every field of *out (all zeros when empty). */
VRT_API void vrt_hist_summarize(const vrt_hist *h, vrt_hist_summary *out);

/* Iterates the non-empty buckets in increasing order:
 *     int it = 0; vrt_hist_bucket b;
 *     while (vrt_hist_next_bucket(h, &it, &b)) draw(b.lower, b.upper, b.count);
 * Returns 1 and fills *b while there is another one, then 0. */
VRT_API int vrt_hist_next_bucket(const vrt_hist *h, int *iter, vrt_hist_bucket *b);

#ifdef __cplusplus
}
#endif
#endif
