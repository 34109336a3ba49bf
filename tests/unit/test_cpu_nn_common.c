/* CPU kernel helpers: dtypes, shapes, fp16 conversion, thread pool, activations. */
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "engine/backend/cpu/kernels_nn.h"
#include "harness.h"
#include "vrt/core.h"

TEST(dtypes_and_shapes) {
    ASSERT_EQ(vrt__dtype_size(VRT__DT_FLOAT), 4);
    ASSERT_EQ(vrt__dtype_size(VRT__DT_FLOAT16), 2);
    ASSERT_EQ(vrt__dtype_size(VRT__DT_INT64), 8);
    ASSERT_EQ(vrt__dtype_size(VRT__DT_BOOL), 1);
    ASSERT_EQ(vrt__dtype_size(VRT__DT_STRING), 0);
    ASSERT_EQ(vrt__dtype_size((vrt__dtype)99), 0);
    ASSERT_STREQ(vrt__dtype_name(VRT__DT_FLOAT16), "float16");
    ASSERT_STREQ(vrt__dtype_name(VRT__DT_UINT8), "uint8");
    vrt__shape s = {3, {2, 3, 4}};
    ASSERT_EQ(vrt__shape_numel(&s), 24);
    vrt__shape scalar = {0, {0}};
    ASSERT_EQ(vrt__shape_numel(&scalar), 1);
    vrt__shape empty = {2, {5, 0}};
    ASSERT_EQ(vrt__shape_numel(&empty), 0);
}

/* Reference decode straight from the IEEE 754 binary16 definition. */
static double half_ref(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 0)
        v = ldexp(m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

TEST(fp16_known_values) {
    ASSERT_EQ(vrt__float_to_half(1.0f), 0x3c00);
    ASSERT_EQ(vrt__float_to_half(-2.0f), 0xc000);
    ASSERT_EQ(vrt__float_to_half(65504.0f), 0x7bff);
    ASSERT_EQ(vrt__float_to_half(65520.0f), 0x7c00); /* rounds up to inf */
    ASSERT_EQ(vrt__float_to_half(65519.0f), 0x7bff);
    ASSERT_EQ(vrt__float_to_half(0.1f), 0x2e66);
    ASSERT_EQ(vrt__float_to_half(5.9604645e-08f), 0x0001);  /* 2^-24 */
    ASSERT_EQ(vrt__float_to_half(2.98023224e-08f), 0x0000); /* 2^-25: tie to even -> 0 */
    ASSERT_EQ(vrt__float_to_half(4.4703484e-08f), 0x0001);  /* 1.5 * 2^-25 */
    ASSERT_EQ(vrt__float_to_half(-0.0f), 0x8000);
    ASSERT_EQ(vrt__float_to_half(INFINITY), 0x7c00);
    ASSERT_TRUE((vrt__float_to_half(NAN) & 0x7c00) == 0x7c00 && (vrt__float_to_half(NAN) & 0x3ff));
    /* 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1.0). */
    ASSERT_EQ(vrt__float_to_half(1.0f + 0.00048828125f), 0x3c00);
    ASSERT_EQ(vrt__float_to_half(1.0f + 3 * 0.00048828125f), 0x3c02);
}

TEST(fp16_all_values_round_trip) {
    for (uint32_t h = 0; h < 65536; h++) {
        double ref = half_ref((uint16_t)h);
        float f = vrt__half_to_float((uint16_t)h);
        if (isnan(ref)) {
            ASSERT_TRUE(isnan(f));
            continue;
        }
        if ((double)f != ref) vrt_test_fail(__FILE__, __LINE__, "half 0x%04x: %g vs %g", h, f, ref);
        ASSERT_EQ(vrt__float_to_half(f), h);
        /* Midpoints to the next value round to the even neighbour. */
        if ((h & 0x7fff) < 0x7bff) {
            double next = half_ref((uint16_t)(h + 1));
            float mid = (float)((ref + next) / 2);
            uint16_t want = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
            if (vrt__float_to_half(mid) != want)
                vrt_test_fail(__FILE__, __LINE__, "midpoint after 0x%04x -> 0x%04x, want 0x%04x", h,
                              vrt__float_to_half(mid), want);
        }
    }
}

/* The bulk conversions (F16C where the CPU has it) give the scalar
 * functions' bits for every half, and for floats across the whole range
 * (every exponent, rounding ties, subnormal results, inf and nan), also at
 * lengths that leave a scalar tail. */
TEST(fp16_bulk_matches_scalar) {
    enum { NH = 65536, NF = 1 << 20 };
    uint16_t *h = vrt_malloc(NH * sizeof(uint16_t)), *h2 = vrt_malloc(NF * sizeof(uint16_t));
    float *f = vrt_malloc(NF * sizeof(float)), *f2 = vrt_malloc(NH * sizeof(float));
    ASSERT_TRUE(h && h2 && f && f2);
    for (uint32_t q = 0; q < NH; q++)
        h[q] = (uint16_t)q;
    vrt__half_to_float_n(h, f2, NH);
    for (uint32_t q = 0; q < NH; q++) {
        float want = vrt__half_to_float(h[q]);
        if (memcmp(&want, &f2[q], 4)) vrt_test_fail(__FILE__, __LINE__, "half 0x%04x: bulk differs", q);
    }
    uint32_t r = 12345;
    for (int q = 0; q < NF; q++) {
        r = r * 1664525u + 1013904223u;
        uint32_t bits = r;
        if (q % 7 == 0)
            bits = (bits & 0x8000ffffu) | ((uint32_t)(103 + (q / 7) % 40) << 23); /* near the half range */
        if (q % 11 == 0) bits = (bits & 0xffffe000u) | 0x1000u;                   /* ties */
        memcpy(&f[q], &bits, 4);
    }
    f[5] = INFINITY, f[6] = -INFINITY, f[7] = NAN, f[9] = 65520.0f, f[10] = 5.96e-8f;
    for (int len = NF - 3; len <= NF; len += 3) {
        vrt__float_to_half_n(f, h2, len);
        for (int q = 0; q < len; q++)
            if (h2[q] != vrt__float_to_half(f[q]))
                vrt_test_fail(__FILE__, __LINE__, "float %a: bulk 0x%04x, scalar 0x%04x", (double)f[q], h2[q],
                              vrt__float_to_half(f[q]));
    }
    vrt_free(h);
    vrt_free(h2);
    vrt_free(f);
    vrt_free(f2);
}

typedef struct {
    atomic_llong sum;
    int *hits;
    vrt__threadpool *tp;
} pool_arg;

static void inner_task(void *arg, int64_t i) {
    pool_arg *a = arg;
    atomic_fetch_add(&a->sum, i);
}

static void outer_task(void *arg, int64_t i) {
    pool_arg *a = arg;
    a->hits[i]++;
    /* Nested use of the same pool must run inline, not deadlock. */
    pool_arg in;
    atomic_init(&in.sum, 0);
    vrt__parallel_for(a->tp, 10, inner_task, &in);
    if (atomic_load(&in.sum) == 45) atomic_fetch_add(&a->sum, 1);
}

TEST(threadpool_runs_every_item_once) {
    for (int nt = 1; nt <= 4; nt++) {
        vrt__threadpool *tp = NULL;
        ASSERT_OK(vrt__threadpool_create(&tp, nt));
        ASSERT_EQ(vrt__threadpool_size(tp), nt);
        for (int rep = 0; rep < 50; rep++) {
            int hits[1000] = {0};
            pool_arg a;
            atomic_init(&a.sum, 0);
            a.hits = hits;
            a.tp = tp;
            int64_t n = 1 + rep * 19 % 1000;
            vrt__parallel_for(tp, n, outer_task, &a);
            ASSERT_EQ(atomic_load(&a.sum), n);
            for (int64_t i = 0; i < n; i++)
                ASSERT_EQ(hits[i], 1);
            ASSERT_EQ(hits[n < 1000 ? n : 999], n < 1000 ? 0 : 1);
        }
        vrt__threadpool_destroy(&tp);
        ASSERT_TRUE(tp == NULL);
    }
    vrt__threadpool_destroy(NULL);
    ASSERT_EQ(vrt__threadpool_size(NULL), 1);
    vrt__threadpool *tp = NULL;
    ASSERT_OK(vrt__threadpool_create(&tp, 0)); /* 0: one per CPU */
    ASSERT_TRUE(vrt__threadpool_size(tp) >= 1);
    vrt__threadpool_destroy(&tp);
}

/* Back-to-back jobs (workers still spinning when the next one comes) and
 * jobs after a pause longer than the spin budget (workers parked on the
 * condition variable): every item runs once either way, and destroy wakes
 * parked and spinning workers alike. */
TEST(threadpool_spinning_and_parked_handoff) {
    for (int nt = 2; nt <= 3; nt++) {
        vrt__threadpool *tp = NULL;
        ASSERT_OK(vrt__threadpool_create(&tp, nt));
        for (int rep = 0; rep < 3000; rep++) {
            pool_arg a;
            atomic_init(&a.sum, 0);
            int64_t n = 2 + rep % 7;
            vrt__parallel_for(tp, n, inner_task, &a);
            ASSERT_EQ(atomic_load(&a.sum), n * (n - 1) / 2);
            if (rep % 1000 == 999) {
                struct timespec ts = {0, 2000000}; /* 2 ms: past the spin */
                nanosleep(&ts, NULL);
            }
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
        pool_arg a;
        atomic_init(&a.sum, 0);
        vrt__parallel_for(tp, 100, inner_task, &a);
        ASSERT_EQ(atomic_load(&a.sum), 4950);
        vrt__threadpool_destroy(&tp);
        ASSERT_TRUE(tp == NULL);
    }
}

TEST(threadpool_create_fails_cleanly_without_memory) {
    vrt_alloc_counting_begin();
    vrt_alloc_counting_fail_at(2); /* the thread array */
    vrt__threadpool *tp = (vrt__threadpool *)&tp;
    ASSERT_STATUS(vrt__threadpool_create(&tp, 3), VRT_ENOMEM);
    ASSERT_TRUE(tp == NULL);
    vrt_alloc_stats s = vrt_alloc_counting_stats();
    vrt_alloc_counting_end();
    ASSERT_EQ(s.allocs - s.failures, s.frees);
}

static double act_ref(vrt__act_kind k, double x, double al, double be) {
    switch (k) {
    case VRT__ACT_RELU: return x > 0 ? x : 0;
    case VRT__ACT_LEAKY_RELU: return x >= 0 ? x : al * x;
    case VRT__ACT_CLIP: return fmin(fmax(x, al), be);
    case VRT__ACT_SIGMOID: return 1 / (1 + exp(-x));
    case VRT__ACT_SILU: return x / (1 + exp(-x));
    case VRT__ACT_HARD_SWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
    case VRT__ACT_HARD_SIGMOID: return fmax(0, fmin(1, al * x + be));
    case VRT__ACT_TANH: return tanh(x);
    default: return x;
    }
}

TEST(activations_match_definitions) {
    struct {
        vrt__act_kind k;
        float a, b;
    } cases[] = {
        {VRT__ACT_NONE, 0, 0}, {VRT__ACT_RELU, 0, 0},        {VRT__ACT_LEAKY_RELU, 0.1f, 0},
        {VRT__ACT_CLIP, 0, 6}, {VRT__ACT_CLIP, -1.5f, 0.5f}, {VRT__ACT_SIGMOID, 0, 0},
        {VRT__ACT_SILU, 0, 0}, {VRT__ACT_HARD_SWISH, 0, 0},  {VRT__ACT_HARD_SIGMOID, 0.2f, 0.5f},
        {VRT__ACT_TANH, 0, 0},
    };
    float x[201];
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        for (int i = 0; i < 201; i++)
            x[i] = (float)(i - 100) * 0.1f;
        x[0] = -100.0f;
        x[200] = 100.0f;
        vrt__activation a = {cases[c].k, cases[c].a, cases[c].b};
        vrt__act_apply(&a, x, 201);
        for (int i = 0; i < 201; i++) {
            double xi = i == 0 ? -100.0 : i == 200 ? 100.0 : (double)(float)((float)(i - 100) * 0.1f);
            double r = act_ref(cases[c].k, xi, cases[c].a, cases[c].b);
            ASSERT_NEAR(x[i], r, 1e-5 * (1 + fabs(r)));
        }
        ASSERT_TRUE(vrt__act_name(cases[c].k) != NULL);
    }
}

int main(void) {
    VRT_RUN(dtypes_and_shapes);
    VRT_RUN(fp16_known_values);
    VRT_RUN(fp16_all_values_round_trip);
    VRT_RUN(fp16_bulk_matches_scalar);
    VRT_RUN(threadpool_runs_every_item_once);
    VRT_RUN(threadpool_spinning_and_parked_handoff);
    VRT_RUN(threadpool_create_fails_cleanly_without_memory);
    VRT_RUN(activations_match_definitions);
    return vrt_test_finish();
}
