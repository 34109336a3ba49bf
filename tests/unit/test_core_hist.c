#include "harness.h"
#include "vrt/core.h"
#include "vrt/hist.h"

/* Reference percentiles come from sorting the samples here (nearest rank),
 * mean/stddev from a direct two-pass computation: neither uses the histogram. */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint64_t rng_next(void) { /* splitmix64 */
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double rng_unit(void) { /* (0, 1) */
    return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t exact_percentile(const int64_t *sorted, size_t n, double q) {
    if (q <= 0) return sorted[0];
    size_t rank = (size_t)ceil(q / 100.0 * (double)n);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

static vrt_hist g_h, g_h2; /* ~25 KiB each: keep them off the stack */

/* Records the samples, then checks count/min/max exactly, mean/stddev against a
 * direct computation, and many percentiles against the sorted samples within
 * 1% relative (or one 8 ns step below 1 us). */
static void check_distribution(const char *name, int64_t *v, size_t n) {
    vrt_hist_init(&g_h);
    long double sum = 0;
    for (size_t i = 0; i < n; i++) {
        vrt_hist_record(&g_h, v[i]);
        sum += v[i];
    }
    long double mean = sum / n, ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += ((long double)v[i] - mean) * ((long double)v[i] - mean);
    double sd = (double)sqrtl(ss / n);
    qsort(v, n, sizeof(*v), cmp_i64);

    ASSERT_EQ(vrt_hist_count(&g_h), n);
    ASSERT_EQ(vrt_hist_min(&g_h), v[0]);
    ASSERT_EQ(vrt_hist_max(&g_h), v[n - 1]);
    ASSERT_NEAR(vrt_hist_mean(&g_h), (double)mean, 1e-9 * fabs((double)mean) + 1e-9);
    ASSERT_NEAR(vrt_hist_stddev(&g_h), sd, 1e-7 * sd + 1e-6);

    static const double qs[] = {0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100};
    for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
        int64_t want = exact_percentile(v, n, qs[k]);
        int64_t got = vrt_hist_percentile(&g_h, qs[k]);
        double tol = want >= 1000 ? 0.01 * (double)want : 8.0;
        if (fabs((double)got - (double)want) > tol)
            vrt_test_fail(__FILE__, __LINE__, "%s: p%g = %lld, exact %lld (tol %.1f)", name, qs[k],
                          (long long)got, (long long)want, tol);
    }
    vrt_hist_summary s;
    vrt_hist_summarize(&g_h, &s);
    ASSERT_EQ(s.count, n);
    ASSERT_EQ(s.min, v[0]);
    ASSERT_EQ(s.max, v[n - 1]);
    ASSERT_EQ(s.p50, vrt_hist_percentile(&g_h, 50));
    ASSERT_EQ(s.p999, vrt_hist_percentile(&g_h, 99.9));
    ASSERT_NEAR(s.p99, (double)exact_percentile(v, n, 99), 0.01 * (double)exact_percentile(v, n, 99) + 8);
    ASSERT_NEAR(s.stddev, sd, 1e-7 * sd + 1e-6);
}

#define N 100000
static int64_t g_v[N];

TEST(uniform_1us_to_10ms) {
    for (size_t i = 0; i < N; i++)
        g_v[i] = 1000 + (int64_t)(rng_unit() * 9999000.0);
    check_distribution("uniform", g_v, N);
}

TEST(exponential_tail) {
    /* Mean 2 ms plus a 500 us floor: a typical latency shape with a long tail. */
    for (size_t i = 0; i < N; i++)
        g_v[i] = 500000 + (int64_t)(-log(rng_unit()) * 2e6);
    check_distribution("exponential", g_v, N);
}

TEST(bimodal) {
    for (size_t i = 0; i < N; i++) {
        double c = (rng_next() & 7) == 0 ? 33e6 : 4e6; /* 1 in 8 frames hits a slow path */
        g_v[i] = (int64_t)(c * (0.95 + 0.1 * rng_unit()));
    }
    check_distribution("bimodal", g_v, N);
}

TEST(log_uniform_1us_to_10s) {
    for (size_t i = 0; i < N; i++)
        g_v[i] = (int64_t)exp(log(1e3) + rng_unit() * (log(1e10) - log(1e3)));
    g_v[0] = 1000;        /* both extremes exactly */
    g_v[1] = 10000000000; /* 10 s */
    check_distribution("log-uniform", g_v, N);
}

TEST(sub_microsecond_linear_range) {
    for (size_t i = 0; i < 5000; i++)
        g_v[i] = (int64_t)(rng_next() % 1000);
    check_distribution("sub-us", g_v, 5000);
}

TEST(single_value_is_exact) {
    int64_t vals[] = {0, 1, 999, 1000, 1023, 1024, 1025, 123457, 16666667, 9999999999};
    for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
        vrt_hist_init(&g_h);
        vrt_hist_record_n(&g_h, vals[k], 37);
        ASSERT_EQ(vrt_hist_count(&g_h), 37);
        ASSERT_EQ(vrt_hist_percentile(&g_h, 50), vals[k]); /* clamped to [min, max] */
        ASSERT_EQ(vrt_hist_percentile(&g_h, 99.9), vals[k]);
        ASSERT_NEAR(vrt_hist_mean(&g_h), (double)vals[k], 1e-6);
        ASSERT_NEAR(vrt_hist_stddev(&g_h), 0, 1e-6);
        /* Exactly one bucket, holding the value, at most value/128 wide (8 ns below 1 us). */
        int it = 0, nb = 0;
        vrt_hist_bucket b;
        while (vrt_hist_next_bucket(&g_h, &it, &b)) {
            nb++;
            ASSERT_TRUE(b.lower <= vals[k] && vals[k] < b.upper);
            ASSERT_EQ(b.count, 37);
            if (vals[k] >= 1024)
                ASSERT_TRUE((b.upper - b.lower) * 128 <= b.lower);
            else
                ASSERT_EQ(b.upper - b.lower, 8);
        }
        ASSERT_EQ(nb, 1);
    }
}

TEST(above_top_clamps_but_max_exact) {
    vrt_hist_init(&g_h);
    vrt_hist_record(&g_h, 5000);
    vrt_hist_record(&g_h, 60000000000); /* 60 s, beyond the 2^34 ns top */
    vrt_hist_record(&g_h, 90000000000);
    ASSERT_EQ(vrt_hist_max(&g_h), 90000000000);
    ASSERT_EQ(vrt_hist_percentile(&g_h, 100), 90000000000);
    int64_t p90 = vrt_hist_percentile(&g_h, 90);
    ASSERT_TRUE(p90 >= VRT_HIST_TOP_NS - VRT_HIST_TOP_NS / 128 && p90 <= 90000000000);
    ASSERT_NEAR(vrt_hist_mean(&g_h), (5000 + 60e9 + 90e9) / 3, 1);
    /* The last bucket reports an upper bound beyond the true max. */
    int it = 0;
    vrt_hist_bucket b, last = {0, 0, 0};
    while (vrt_hist_next_bucket(&g_h, &it, &b))
        last = b;
    ASSERT_EQ(last.count, 2);
    ASSERT_TRUE(last.upper > 90000000000);
}

TEST(negative_values_counted_min_exact) {
    vrt_hist_init(&g_h);
    vrt_hist_record(&g_h, -500);
    vrt_hist_record(&g_h, 1500);
    ASSERT_EQ(vrt_hist_min(&g_h), -500);
    ASSERT_EQ(vrt_hist_percentile(&g_h, 0), -500);
    int64_t p50 = vrt_hist_percentile(&g_h, 50); /* the first bucket: [min, 8) */
    ASSERT_TRUE(p50 >= -500 && p50 < 8);
    ASSERT_NEAR(vrt_hist_mean(&g_h), 500, 1e-9);
    ASSERT_NEAR(vrt_hist_stddev(&g_h), 1000, 1e-9);
}

TEST(merge_equals_one_histogram) {
    vrt_hist all;
    vrt_hist_init(&all);
    vrt_hist_init(&g_h);
    vrt_hist_init(&g_h2);
    for (size_t i = 0; i < N; i++) {
        int64_t v = (int64_t)exp(log(2e3) + rng_unit() * 12.0);
        vrt_hist_record(&all, v);
        vrt_hist_record(i % 3 ? &g_h : &g_h2, v);
    }
    vrt_hist_merge(&g_h, &g_h2);
    ASSERT_EQ(vrt_hist_count(&g_h), vrt_hist_count(&all));
    ASSERT_EQ(vrt_hist_min(&g_h), vrt_hist_min(&all));
    ASSERT_EQ(vrt_hist_max(&g_h), vrt_hist_max(&all));
    ASSERT_NEAR(vrt_hist_mean(&g_h), vrt_hist_mean(&all), 1e-9 * vrt_hist_mean(&all));
    ASSERT_NEAR(vrt_hist_stddev(&g_h), vrt_hist_stddev(&all), 1e-9 * vrt_hist_stddev(&all));
    int it1 = 0, it2 = 0, n = 0;
    vrt_hist_bucket b1, b2;
    for (;;) {
        int r1 = vrt_hist_next_bucket(&g_h, &it1, &b1), r2 = vrt_hist_next_bucket(&all, &it2, &b2);
        ASSERT_EQ(r1, r2);
        if (!r1) break;
        ASSERT_EQ(b1.lower, b2.lower);
        ASSERT_EQ(b1.upper, b2.upper);
        ASSERT_EQ(b1.count, b2.count);
        n++;
    }
    ASSERT_TRUE(n > 100);
    for (double q = 0; q <= 100; q += 0.5)
        ASSERT_EQ(vrt_hist_percentile(&g_h, q), vrt_hist_percentile(&all, q));

    /* Merging into an empty one copies; merging an empty one changes nothing. */
    vrt_hist_init(&g_h2);
    vrt_hist_merge(&g_h2, &all);
    ASSERT_EQ(vrt_hist_min(&g_h2), vrt_hist_min(&all));
    ASSERT_NEAR(vrt_hist_stddev(&g_h2), vrt_hist_stddev(&all), 1e-9 * vrt_hist_stddev(&all));
    vrt_hist_init(&g_h);
    vrt_hist_merge(&g_h2, &g_h);
    ASSERT_EQ(vrt_hist_count(&g_h2), N);
    /* Self-merge doubles the counts, keeps mean and stddev. */
    vrt_hist_merge(&g_h2, &g_h2);
    ASSERT_EQ(vrt_hist_count(&g_h2), 2 * N);
    ASSERT_NEAR(vrt_hist_mean(&g_h2), vrt_hist_mean(&all), 1e-9 * vrt_hist_mean(&all));
    ASSERT_NEAR(vrt_hist_stddev(&g_h2), vrt_hist_stddev(&all), 1e-9 * vrt_hist_stddev(&all));
}

TEST(record_n_equals_repeated_records) {
    vrt_hist_init(&g_h);
    vrt_hist_init(&g_h2);
    int64_t vals[] = {1500, 20000, 3000000};
    uint64_t ns[] = {5, 1000, 17};
    for (int k = 0; k < 3; k++) {
        vrt_hist_record_n(&g_h, vals[k], ns[k]);
        for (uint64_t i = 0; i < ns[k]; i++)
            vrt_hist_record(&g_h2, vals[k]);
    }
    vrt_hist_record_n(&g_h, 42, 0); /* no-op */
    ASSERT_EQ(vrt_hist_count(&g_h), 1022);
    ASSERT_EQ(vrt_hist_min(&g_h), 1500);
    ASSERT_TRUE(memcmp(g_h.buckets, g_h2.buckets, sizeof(g_h.buckets)) == 0);
    ASSERT_NEAR(vrt_hist_mean(&g_h), vrt_hist_mean(&g_h2), 1e-6);
    ASSERT_NEAR(vrt_hist_stddev(&g_h), vrt_hist_stddev(&g_h2), 1e-6);
}

TEST(buckets_tile_the_range) {
    /* One sample per bucket: consecutive buckets must be adjacent and non-overlapping. */
    vrt_hist_init(&g_h);
    for (int64_t v = 0; v < VRT_HIST_TOP_NS;) {
        vrt_hist_record(&g_h, v);
        int64_t p2 = 1024; /* the power of two at or below v */
        while (p2 * 2 <= v)
            p2 *= 2;
        v += v < 1024 ? 8 : p2 / 128;
    }
    int it = 0, n = 0;
    vrt_hist_bucket b;
    int64_t prev_upper = 0;
    uint64_t total = 0;
    while (vrt_hist_next_bucket(&g_h, &it, &b)) {
        ASSERT_EQ(b.lower, prev_upper);
        ASSERT_TRUE(b.upper > b.lower);
        prev_upper = b.upper;
        total += b.count;
        n++;
    }
    ASSERT_EQ(n, VRT_HIST_BUCKETS);
    ASSERT_EQ(total, vrt_hist_count(&g_h));
    ASSERT_EQ(prev_upper, VRT_HIST_TOP_NS);
}

TEST(empty_and_reset) {
    vrt_hist_init(&g_h);
    vrt_hist_summary s;
    vrt_hist_summarize(&g_h, &s);
    ASSERT_EQ(s.count, 0);
    ASSERT_EQ(s.min, 0);
    ASSERT_EQ(s.max, 0);
    ASSERT_EQ(s.p99, 0);
    ASSERT_NEAR(s.mean, 0, 0);
    int it = 0;
    vrt_hist_bucket b;
    ASSERT_EQ(vrt_hist_next_bucket(&g_h, &it, &b), 0);
    vrt_hist_record(&g_h, 77777);
    ASSERT_EQ(vrt_hist_count(&g_h), 1);
    vrt_hist_reset(&g_h);
    ASSERT_EQ(vrt_hist_count(&g_h), 0);
    ASSERT_EQ(vrt_hist_max(&g_h), 0);
    vrt_hist_record(&g_h, 3000);
    ASSERT_EQ(vrt_hist_min(&g_h), 3000); /* reset forgot the old min/max */
    ASSERT_EQ(vrt_hist_max(&g_h), 3000);
}

TEST(record_does_not_allocate) {
    vrt_alloc_counting_begin();
    vrt_hist_init(&g_h);
    for (int i = 0; i < 1000; i++)
        vrt_hist_record(&g_h, i * 1000);
    vrt_hist_summary s;
    vrt_hist_summarize(&g_h, &s);
    ASSERT_EQ(vrt_alloc_counting_stats().allocs, 0);
    vrt_alloc_counting_end();
}

int main(void) {
    VRT_RUN(uniform_1us_to_10ms);
    VRT_RUN(exponential_tail);
    VRT_RUN(bimodal);
    VRT_RUN(log_uniform_1us_to_10s);
    VRT_RUN(sub_microsecond_linear_range);
    VRT_RUN(single_value_is_exact);
    VRT_RUN(above_top_clamps_but_max_exact);
    VRT_RUN(negative_values_counted_min_exact);
    VRT_RUN(merge_equals_one_histogram);
    VRT_RUN(record_n_equals_repeated_records);
    VRT_RUN(buckets_tile_the_range);
    VRT_RUN(empty_and_reset);
    VRT_RUN(record_does_not_allocate);
    return vrt_test_finish();
}
