/*
 * Shared helpers of the CPU kernels: the thread pool and the fused
 * activations (see kernels.h for the conventions).
 *
 * The pool keeps nthreads-1 worker threads parked on a condition variable;
 * the calling thread works too, so a pool of size 1 has no threads at all.
 * Work items are handed out through an atomic counter, so which thread runs
 * item i never changes what item i computes: results are identical for any
 * pool size as long as each item writes only its own outputs.
 *
 * Workers spin briefly (yielding the CPU each round) before parking on the
 * condition variable, and the caller spins briefly before waiting for them:
 * a network runs hundreds of parallel_for calls of 10-500 us back to back,
 * and a futex wake-up costs tens of microseconds on a loaded machine. The
 * generation and active counters are read outside the mutex only as hints;
 * every decision that matters is taken again under the mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/backend/cpu/kernels.h"

/* ---- thread pool -------------------------------------------------------- */

struct vrt__threadpool {
    int nthreads; /* total, including the calling thread */
    pthread_t *threads;
    int nstarted;
    pid_t *tids; /* the workers' kernel thread ids, as they register (under mu) */
    int ntids;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;    /* workers wait here for a new generation */
    pthread_cond_t done_cv;    /* the caller waits here for workers to finish */
    pthread_mutex_t submit_mu; /* one parallel_for at a time per pool */
    atomic_ullong generation;  /* written under mu; read outside it only while spinning */
    int quit;
    atomic_int active; /* workers still inside the current job; written under mu */
    /* current job */
    void (*fn)(void *, int64_t);
    void *arg;
    int64_t n;
    atomic_llong next;
};

/* Set while a thread runs pool work: a nested parallel_for runs inline
 * instead of deadlocking on the pool it is part of. */
static _Thread_local int vrt__in_pool;

static void vrt__pool_drain(vrt__threadpool *tp) {
    for (;;) {
        int64_t i = (int64_t)atomic_fetch_add_explicit(&tp->next, 1, memory_order_relaxed);
        if (i >= tp->n) break;
        tp->fn(tp->arg, i);
    }
}

/* How long a worker (and the waiting caller) spins before sleeping. */
#define VRT__POOL_SPIN_NS 50000

static int64_t vrt__mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins (yielding each round) until *gen differs from seen or the budget is
 * spent. A hint only: the caller re-checks under the mutex. */
static void vrt__spin_for_generation(vrt__threadpool *tp, uint64_t seen) {
    int64_t t0 = vrt__mono_ns();
    for (int i = 1;; i++) {
        if (atomic_load_explicit(&tp->generation, memory_order_relaxed) != seen) return;
        if ((i & 15) == 0 && vrt__mono_ns() - t0 > VRT__POOL_SPIN_NS) return;
        sched_yield();
    }
}

static void *vrt__pool_main(void *p) {
    vrt__threadpool *tp = p;
    uint64_t seen = 0;
    vrt__in_pool = 1;
    /* Registered so that vrt__threadpool_set_priority can reach this thread. */
    pthread_mutex_lock(&tp->mu);
    tp->tids[tp->ntids++] = (pid_t)syscall(SYS_gettid);
    pthread_cond_broadcast(&tp->done_cv);
    pthread_mutex_unlock(&tp->mu);
    for (;;) {
        vrt__spin_for_generation(tp, seen);
        pthread_mutex_lock(&tp->mu);
        while (!tp->quit && atomic_load(&tp->generation) == seen)
            pthread_cond_wait(&tp->work_cv, &tp->mu);
        if (tp->quit) break;
        seen = atomic_load(&tp->generation);
        pthread_mutex_unlock(&tp->mu);
        vrt__pool_drain(tp);
        pthread_mutex_lock(&tp->mu);
        if (atomic_fetch_sub(&tp->active, 1) == 1) pthread_cond_signal(&tp->done_cv);
        pthread_mutex_unlock(&tp->mu);
    }
    pthread_mutex_unlock(&tp->mu);
    return NULL;
}

vrt_status vrt__threadpool_create(vrt__threadpool **out, int nthreads) {
    if (!out) return VRT_EINVAL;
    *out = NULL;
    if (nthreads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n > 0 ? (int)n : 1;
    }
    if (nthreads > 256) nthreads = 256;
    vrt__threadpool *tp = vrt_calloc(1, sizeof(*tp));
    if (!tp) return VRT_ENOMEM;
    tp->nthreads = nthreads;
    pthread_mutex_init(&tp->mu, NULL);
    pthread_mutex_init(&tp->submit_mu, NULL);
    pthread_cond_init(&tp->work_cv, NULL);
    pthread_cond_init(&tp->done_cv, NULL);
    atomic_init(&tp->next, 0);
    atomic_init(&tp->generation, 0);
    atomic_init(&tp->active, 0);
    if (nthreads > 1) {
        tp->threads = vrt_calloc((size_t)(nthreads - 1), sizeof(pthread_t));
        tp->tids = vrt_calloc((size_t)(nthreads - 1), sizeof(pid_t));
        if (!tp->threads || !tp->tids) {
            vrt__threadpool_destroy(&tp);
            return VRT_ENOMEM;
        }
        for (int i = 0; i < nthreads - 1; i++) {
            if (pthread_create(&tp->threads[i], NULL, vrt__pool_main, tp) != 0) {
                vrt__threadpool_destroy(&tp);
                return VRT_ENOMEM;
            }
            tp->nstarted++;
        }
    }
    *out = tp;
    return VRT_OK;
}

void vrt__threadpool_destroy(vrt__threadpool **ptp) {
    if (!ptp || !*ptp) return;
    vrt__threadpool *tp = *ptp;
    pthread_mutex_lock(&tp->mu);
    tp->quit = 1;
    pthread_cond_broadcast(&tp->work_cv);
    pthread_mutex_unlock(&tp->mu);
    for (int i = 0; i < tp->nstarted; i++)
        pthread_join(tp->threads[i], NULL);
    vrt_free(tp->threads);
    vrt_free(tp->tids);
    pthread_cond_destroy(&tp->work_cv);
    pthread_cond_destroy(&tp->done_cv);
    pthread_mutex_destroy(&tp->mu);
    pthread_mutex_destroy(&tp->submit_mu);
    vrt_free(tp);
    *ptp = NULL;
}

vrt_status vrt__threadpool_set_priority(vrt__threadpool *tp, vrt_priority prio, int *nice_out, char *err,
                                        size_t cap) {
    if (nice_out) *nice_out = 0;
    if (!tp || prio == VRT_PRIORITY_NORMAL) return VRT_OK;
    if (prio != VRT_PRIORITY_HIGH) {
        vrt_errbuf_set(err, cap, "priority %d unknown; use normal or high", (int)prio);
        return VRT_EINVAL;
    }
    pthread_mutex_lock(&tp->mu);
    while (tp->ntids < tp->nstarted) /* workers register as they start */
        pthread_cond_wait(&tp->done_cv, &tp->mu);
    pthread_mutex_unlock(&tp->mu);
    /* Another thread's nice value, by its id: the same permission rule as
     * for the calling thread (vrt_thread_set_priority). */
    for (int i = 0; i < tp->ntids; i++) {
        if (setpriority(PRIO_PROCESS, (id_t)tp->tids[i], VRT_PRIORITY_HIGH_NICE) == 0) continue;
        int e = errno;
        struct rlimit rl;
        long long lim = getrlimit(RLIMIT_NICE, &rl) == 0 ? (long long)rl.rlim_cur : -1;
        vrt_errbuf_set(err, cap,
                       "cannot raise the CPU backend's worker threads to nice %d (%s): that needs "
                       "CAP_SYS_NICE or an RLIMIT_NICE of at least %d (ulimit -e; it is %lld here)",
                       VRT_PRIORITY_HIGH_NICE, strerror(e), 20 - VRT_PRIORITY_HIGH_NICE, lim);
        return e == EPERM || e == EACCES ? VRT_EPERM : vrt_status_from_errno(e);
    }
    if (nice_out) *nice_out = VRT_PRIORITY_HIGH_NICE;
    return VRT_OK;
}

int vrt__threadpool_size(const vrt__threadpool *tp) {
    return tp ? tp->nthreads : 1;
}

void vrt__parallel_for(vrt__threadpool *tp, int64_t n, void (*fn)(void *arg, int64_t i), void *arg) {
    if (n <= 0 || !fn) return;
    if (!tp || tp->nstarted == 0 || n == 1 || vrt__in_pool) {
        for (int64_t i = 0; i < n; i++)
            fn(arg, i);
        return;
    }
    pthread_mutex_lock(&tp->submit_mu);
    pthread_mutex_lock(&tp->mu);
    tp->fn = fn;
    tp->arg = arg;
    tp->n = n;
    atomic_store_explicit(&tp->next, 0, memory_order_relaxed);
    atomic_store(&tp->active, tp->nstarted);
    atomic_fetch_add(&tp->generation, 1);
    pthread_cond_broadcast(&tp->work_cv);
    pthread_mutex_unlock(&tp->mu);

    vrt__in_pool = 1;
    vrt__pool_drain(tp);
    vrt__in_pool = 0;

    /* Workers usually finish within microseconds of the caller. */
    int64_t t0 = vrt__mono_ns();
    for (int i = 1; atomic_load_explicit(&tp->active, memory_order_acquire) > 0; i++) {
        if ((i & 15) == 0 && vrt__mono_ns() - t0 > VRT__POOL_SPIN_NS) break;
        sched_yield();
    }
    pthread_mutex_lock(&tp->mu);
    while (atomic_load(&tp->active) > 0)
        pthread_cond_wait(&tp->done_cv, &tp->mu);
    pthread_mutex_unlock(&tp->mu);
    pthread_mutex_unlock(&tp->submit_mu);
}

/* ---- fused activations --------------------------------------------------- */

#include <math.h>

#include "engine/backend/cpu/kernels_nn.h"

static inline float vrt__sigmoidf(float v) {
    /* Split by sign so exp never overflows. */
    if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
    float e = expf(v);
    return e / (1.0f + e);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VRT__ACT_X86 1

/* exp(x) for 8 lanes (Cephes expf: range reduction by ln 2, degree-5
 * polynomial; about 1 ulp). x is clamped to [-88.38, 88.38] so the result
 * stays finite; a NaN lane stays NaN (min/max return their second operand
 * when one is NaN). */
__attribute__((target("avx2,fma"))) static inline __m256 vrt__exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_set1_ps(88.3762626647949f), x);
    x = _mm256_max_ps(_mm256_set1_ps(-88.3762626647949f), x);
    __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500E-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127));
    e = _mm256_slli_epi32(e, 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* Sigmoid (silu = 0) or SiLU (silu = 1) over x[0..n8), n8 a multiple of 8. */
__attribute__((target("avx2,fma"))) static void vrt__sigmoid_avx2(float *x, int64_t n8, int silu) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t i = 0; i < n8; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = vrt__exp8(_mm256_sub_ps(_mm256_setzero_ps(), v));
        __m256 sg = _mm256_div_ps(one, _mm256_add_ps(one, e));
        _mm256_storeu_ps(x + i, silu ? _mm256_mul_ps(v, sg) : sg);
    }
}

static int vrt__act_has_avx2(void) {
    /* Detected once by libgcc's constructor before main; no lazy cache (a data race). */
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

void vrt__act_apply(const vrt__activation *a, float *x, int64_t n) {
    if (!a) return;
    float al = a->alpha, be = a->beta;
#ifdef VRT__ACT_X86
    if ((a->kind == VRT__ACT_SIGMOID || a->kind == VRT__ACT_SILU) && n >= 8 && vrt__act_has_avx2()) {
        int64_t n8 = n & ~(int64_t)7;
        vrt__sigmoid_avx2(x, n8, a->kind == VRT__ACT_SILU);
        x += n8;
        n -= n8;
    }
#endif
    switch (a->kind) {
    case VRT__ACT_NONE: break;
    case VRT__ACT_RELU:
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case VRT__ACT_LEAKY_RELU:
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] >= 0.0f ? x[i] : al * x[i];
        break;
    case VRT__ACT_CLIP:
        /* ONNX Clip: min first, then max; NaN passes through. */
        for (int64_t i = 0; i < n; i++) {
            float v = x[i];
            v = v < al ? al : v;
            x[i] = v > be ? be : v;
        }
        break;
    case VRT__ACT_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            x[i] = vrt__sigmoidf(x[i]);
        break;
    case VRT__ACT_SILU:
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] * vrt__sigmoidf(x[i]);
        break;
    case VRT__ACT_HARD_SWISH:
        for (int64_t i = 0; i < n; i++) {
            float t = x[i] * (1.0f / 6.0f) + 0.5f;
            t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
            x[i] = x[i] * t;
        }
        break;
    case VRT__ACT_HARD_SIGMOID:
        for (int64_t i = 0; i < n; i++) {
            float t = al * x[i] + be;
            x[i] = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        }
        break;
    case VRT__ACT_TANH:
        for (int64_t i = 0; i < n; i++)
            x[i] = tanhf(x[i]);
        break;
    case VRT__ACT_GELU: /* the same formulas as the Gelu unary op (eltwise.c) */
        for (int64_t i = 0; i < n; i++)
            x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
        break;
    case VRT__ACT_GELU_TANH:
        for (int64_t i = 0; i < n; i++)
            x[i] =
                0.5f * x[i] * (1.0f + tanhf(0.79788456080286536f * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
        break;
    }
}
