/*
 * SGEMM: our own cache-blocked kernel, or OpenBLAS when the build found it.
 *
 * Own kernel (the usual Goto/BLIS structure): C is cut into MC x NC tiles,
 * one tile per work item of the pool; per tile, K is walked in KC blocks;
 * op(A) and op(B) blocks are packed into MR-row and NR-column panels (zero
 * padded at the edges) so the micro-kernel reads both contiguously and keeps
 * an MR x NR block of C in registers. The micro-kernel has an AVX2+FMA
 * version chosen at run time and a portable version written with GCC vector
 * extensions. The K blocking is fixed, so each C element is summed in the
 * same order whatever the tile shape or thread count: results are identical
 * for any pool size.
 */
#include <string.h>

#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cpu/tile6x16.h"

#ifdef VRT_HAVE_OPENBLAS
#include <cblas.h>
#include <pthread.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define VRT__GEMM_X86 1
#endif

#define MR 6
#define NR 16
#define KC 256
#define MC 72  /* multiple of MR */
#define NC 128 /* multiple of NR; may shrink to make enough tiles */

typedef float vrt__v8 __attribute__((vector_size(32)));

/* acc[MR][NR] = sum_k a[k][0..MR) x b[k][0..NR) (packed panels). */
typedef void (*vrt__ukernel_fn)(int64_t kc, const float *a, const float *b, float *acc);

static void vrt__ukernel_generic(int64_t kc, const float *a, const float *b, float *acc) {
    vrt__v8 c[MR][2];
    for (int r = 0; r < MR; r++)
        c[r][0] = c[r][1] = (vrt__v8){0};
    for (int64_t k = 0; k < kc; k++) {
        vrt__v8 b0, b1;
        memcpy(&b0, b + k * NR, sizeof(b0));
        memcpy(&b1, b + k * NR + 8, sizeof(b1));
        const float *ak = a + k * MR;
        for (int r = 0; r < MR; r++) {
            c[r][0] += ak[r] * b0;
            c[r][1] += ak[r] * b1;
        }
    }
    for (int r = 0; r < MR; r++) {
        memcpy(acc + r * NR, &c[r][0], sizeof(vrt__v8));
        memcpy(acc + r * NR + 8, &c[r][1], sizeof(vrt__v8));
    }
}

#ifdef VRT__GEMM_X86
__attribute__((target("avx2,fma"))) static void vrt__ukernel_avx2(int64_t kc, const float *a, const float *b,
                                                                  float *acc) {
    vrt__tile6x16 t;
    vrt__tile6x16_zero(&t);
    for (int64_t k = 0; k < kc; k++) {
        vrt__tile6x16_fma(&t, a, b);
        a += MR;
        b += NR;
    }
    vrt__tile6x16_store(&t, acc);
}
#endif

static vrt__ukernel_fn vrt__pick_ukernel(void) {
#ifdef VRT__GEMM_X86
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return vrt__ukernel_avx2;
#endif
    return vrt__ukernel_generic;
}

typedef struct vrt__gemm_job {
    int trans_a, trans_b;
    int64_t M, N, K;
    float alpha, beta;
    const float *A, *B;
    int64_t lda, ldb, ldc;
    float *C;
    int64_t nc;       /* tile width actually used */
    int64_t ntiles_n; /* tiles along N */
    vrt__ukernel_fn uk;
} vrt__gemm_job;

/* Packs op(A)[i0..i0+mc, k0..k0+kc) into MR-row panels: ap[p][k][r]. */
static void vrt__pack_a(const vrt__gemm_job *j, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float *ap) {
    for (int64_t p = 0; p < mc; p += MR) {
        int64_t rows = mc - p < MR ? mc - p : MR;
        float *dst = ap + p * kc;
        if (!j->trans_a) {
            for (int64_t r = 0; r < MR; r++) {
                if (r < rows) {
                    const float *src = j->A + (i0 + p + r) * j->lda + k0;
                    for (int64_t k = 0; k < kc; k++)
                        dst[k * MR + r] = src[k];
                } else {
                    for (int64_t k = 0; k < kc; k++)
                        dst[k * MR + r] = 0.0f;
                }
            }
        } else {
            for (int64_t k = 0; k < kc; k++) {
                const float *src = j->A + (k0 + k) * j->lda + i0 + p;
                int64_t r = 0;
                for (; r < rows; r++)
                    dst[k * MR + r] = src[r];
                for (; r < MR; r++)
                    dst[k * MR + r] = 0.0f;
            }
        }
    }
}

/* Packs op(B)[k0..k0+kc, j0..j0+nc) into NR-column panels: bp[q][k][c]. */
static void vrt__pack_b(const vrt__gemm_job *j, int64_t j0, int64_t nc, int64_t k0, int64_t kc, float *bp) {
    for (int64_t q = 0; q < nc; q += NR) {
        int64_t cols = nc - q < NR ? nc - q : NR;
        float *dst = bp + q * kc;
        if (!j->trans_b) {
            for (int64_t k = 0; k < kc; k++) {
                const float *src = j->B + (k0 + k) * j->ldb + j0 + q;
                int64_t c = 0;
                for (; c < cols; c++)
                    dst[k * NR + c] = src[c];
                for (; c < NR; c++)
                    dst[k * NR + c] = 0.0f;
            }
        } else {
            for (int64_t c = 0; c < NR; c++) {
                if (c < cols) {
                    const float *src = j->B + (j0 + q + c) * j->ldb + k0;
                    for (int64_t k = 0; k < kc; k++)
                        dst[k * NR + c] = src[k];
                } else {
                    for (int64_t k = 0; k < kc; k++)
                        dst[k * NR + c] = 0.0f;
                }
            }
        }
    }
}

static void vrt__gemm_tile(void *arg, int64_t t) {
    const vrt__gemm_job *j = arg;
    _Alignas(64) float ap[MC * KC];
    _Alignas(64) float bp[KC * NC];
    _Alignas(64) float acc[MR * NR];
    int64_t i0 = (t / j->ntiles_n) * MC, j0 = (t % j->ntiles_n) * j->nc;
    int64_t mc = j->M - i0 < MC ? j->M - i0 : MC;
    int64_t nc = j->N - j0 < j->nc ? j->N - j0 : j->nc;
    for (int64_t k0 = 0; k0 < j->K; k0 += KC) {
        int64_t kc = j->K - k0 < KC ? j->K - k0 : KC;
        int first = k0 == 0;
        vrt__pack_a(j, i0, mc, k0, kc, ap);
        vrt__pack_b(j, j0, nc, k0, kc, bp);
        for (int64_t q = 0; q < nc; q += NR) {
            int64_t cols = nc - q < NR ? nc - q : NR;
            for (int64_t p = 0; p < mc; p += MR) {
                int64_t rows = mc - p < MR ? mc - p : MR;
                j->uk(kc, ap + p * kc, bp + q * kc, acc);
                for (int64_t r = 0; r < rows; r++) {
                    float *c = j->C + (i0 + p + r) * j->ldc + j0 + q;
                    const float *s = acc + r * NR;
                    if (!first) {
                        for (int64_t x = 0; x < cols; x++)
                            c[x] += j->alpha * s[x];
                    } else if (j->beta == 0.0f) {
                        for (int64_t x = 0; x < cols; x++)
                            c[x] = j->alpha * s[x];
                    } else {
                        for (int64_t x = 0; x < cols; x++)
                            c[x] = j->alpha * s[x] + j->beta * c[x];
                    }
                }
            }
        }
    }
}

static void vrt__scale_c(int64_t M, int64_t N, float beta, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f)
            memset(c, 0, (size_t)N * sizeof(float));
        else if (beta != 1.0f)
            for (int64_t x = 0; x < N; x++)
                c[x] *= beta;
    }
}

void vrt__sgemm_own(vrt__threadpool *tp, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                    float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                    float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == 0.0f) {
        vrt__scale_c(M, N, beta, C, ldc);
        return;
    }
    vrt__gemm_job j = {trans_a, trans_b, M,   N,   K, alpha, beta, A,
                       B,       lda,     ldb, ldc, C, NC,    0,    vrt__pick_ukernel()};
    int64_t mt = (M + MC - 1) / MC;
    int nthreads = vrt__threadpool_size(tp);
    /* Narrower tiles when there would be too few to keep every thread busy;
     * this changes which thread computes what, never the summation order. */
    if (nthreads > 1 && (double)M * N * K > 1e5) {
        int64_t want = 4 * (int64_t)nthreads;
        int64_t nt = (N + NC - 1) / NC;
        if (mt * nt < want) {
            int64_t need_nt = (want + mt - 1) / mt;
            int64_t w = (N + need_nt - 1) / need_nt;
            w = (w + NR - 1) / NR * NR;
            if (w < 2 * NR) w = 2 * NR;
            if (w < j.nc) j.nc = w;
        }
    } else {
        tp = NULL;
    }
    j.ntiles_n = (N + j.nc - 1) / j.nc;
    vrt__parallel_for(tp, mt * j.ntiles_n, vrt__gemm_tile, &j);
}

/* Process-wide constant configuration (a test switch), not instance state. */
static int vrt__blas_enabled = 1;

int vrt__sgemm_uses_blas(void) {
#ifdef VRT_HAVE_OPENBLAS
    return vrt__blas_enabled;
#else
    return 0;
#endif
}

void vrt__sgemm_set_blas(int on) {
    vrt__blas_enabled = on ? 1 : 0;
}

#ifdef VRT_HAVE_OPENBLAS
/* OpenBLAS runs one thread per call, on the threads of our pool: its own pool would add threads
 * beyond the engine's `threads` that keep spinning after each call and take cores from ours. */
static pthread_once_t vrt__blas_once = PTHREAD_ONCE_INIT;

static void vrt__blas_one_thread(void) {
    openblas_set_num_threads(1);
}

/* One pool work item: a block of C's rows (split_m) or columns, as one single-threaded call. */
typedef struct {
    int trans_a, trans_b, split_m;
    int64_t M, N, K, lda, ldb, ldc, block;
    float alpha, beta;
    const float *A, *B;
    float *C;
} vrt__blas_job;

static void vrt__blas_block(void *arg, int64_t i) {
    const vrt__blas_job *j = arg;
    int64_t o = i * j->block, n = (j->split_m ? j->M : j->N) - o;
    if (n > j->block) n = j->block;
    const float *a = j->A, *b = j->B;
    float *c = j->C;
    int64_t m = j->M, cols = j->N;
    if (j->split_m) {
        a += j->trans_a ? o : o * j->lda; /* row o of op(A) */
        c += o * j->ldc;
        m = n;
    } else {
        b += j->trans_b ? o * j->ldb : o; /* column o of op(B) */
        c += o;
        cols = n;
    }
    cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans, j->trans_b ? CblasTrans : CblasNoTrans,
                (int)m, (int)cols, (int)j->K, j->alpha, a, (int)j->lda, b, (int)j->ldb, j->beta, c,
                (int)j->ldc);
}

/* C's larger side cut into one block per pool thread (multiples of 16, the kernels' width). */
static void vrt__sgemm_blas(vrt__threadpool *tp, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                            float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                            float *C, int64_t ldc) {
    pthread_once(&vrt__blas_once, vrt__blas_one_thread);
    vrt__blas_job j = {trans_a, trans_b, M >= N, M, N, K, lda, ldb, ldc, 0, alpha, beta, A, B, C};
    int64_t side = j.split_m ? M : N, nt = vrt__threadpool_size(tp);
    if (nt < 1 || (double)M * N * K < 1e5) nt = 1;
    j.block = ((side + nt - 1) / nt + 15) / 16 * 16;
    int64_t blocks = (side + j.block - 1) / j.block;
    vrt__parallel_for(blocks > 1 ? tp : NULL, blocks, vrt__blas_block, &j);
}
#endif

void vrt__sgemm(vrt__threadpool *tp, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
#ifdef VRT_HAVE_OPENBLAS
    /* BLAS ints are 32-bit: fall back to our kernel for anything larger. */
    if (vrt__blas_enabled && M > 0 && N > 0 && K > 0 && M < INT32_MAX && N < INT32_MAX && K < INT32_MAX &&
        lda < INT32_MAX && ldb < INT32_MAX && ldc < INT32_MAX) {
        vrt__sgemm_blas(tp, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#endif
    vrt__sgemm_own(tp, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* ---- ONNX Gemm ------------------------------------------------------------ */

vrt_status vrt__gemm(vrt__threadpool *tp, const vrt__gemm_params *p, const float *A, const float *B,
                     const float *C, float *Y) {
    if (!p || !A || !B || !Y || p->M < 0 || p->N < 0 || p->K < 0) return VRT_EINVAL;
    int64_t M = p->M, N = p->N;
    float beta = 0.0f;
    if (C && p->beta != 0.0f) {
        /* Unidirectional broadcast of C (ndim 0..2) to M x N. */
        const vrt__shape *cs = &p->c_shape;
        if (cs->ndim < 0 || cs->ndim > 2) return VRT_EINVAL;
        int64_t cr = cs->ndim == 2 ? cs->d[0] : 1;
        int64_t cc = cs->ndim >= 1 ? cs->d[cs->ndim - 1] : 1;
        if ((cr != 1 && cr != M) || (cc != 1 && cc != N)) return VRT_EINVAL;
        for (int64_t i = 0; i < M; i++) {
            const float *crow = C + (cr == 1 ? 0 : i) * cc;
            float *y = Y + i * N;
            if (cc == 1)
                for (int64_t x = 0; x < N; x++)
                    y[x] = crow[0];
            else
                memcpy(y, crow, (size_t)N * sizeof(float));
        }
        beta = p->beta;
    }
    vrt__sgemm(tp, p->trans_a, p->trans_b, M, N, p->K, p->alpha, A, p->trans_a ? M : p->K, B,
               p->trans_b ? p->K : N, beta, Y, N);
    if (p->act.kind != VRT__ACT_NONE) vrt__act_apply(&p->act, Y, M * N);
    return VRT_OK;
}

/* ---- MatMul --------------------------------------------------------------- */

vrt_status vrt__matmul(vrt__threadpool *tp, const vrt__shape *a, const float *A, const vrt__shape *b,
                       const float *B, float *Y) {
    vrt__shape o;
    vrt_status st = vrt__matmul_shape(a, b, &o);
    if (st) return st;
    if (!A || !B || !Y) return VRT_EINVAL;
    int64_t M = a->ndim >= 2 ? a->d[a->ndim - 2] : 1;
    int64_t K = a->d[a->ndim - 1];
    int64_t N = b->ndim >= 2 ? b->d[b->ndim - 1] : 1;
    int abatch = a->ndim > 2 ? a->ndim - 2 : 0, bbatch = b->ndim > 2 ? b->ndim - 2 : 0;
    int nb = abatch > bbatch ? abatch : bbatch;
    /* Batch strides (in matrices) of A and B over the broadcast batch dims. */
    int64_t bdim[VRT__MAX_DIMS], sa[VRT__MAX_DIMS], sb[VRT__MAX_DIMS];
    int64_t acc_a = 1, acc_b = 1, nbatch = 1;
    for (int i = nb - 1; i >= 0; i--) {
        int ia = i - (nb - abatch), ib = i - (nb - bbatch);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        bdim[i] = da == 1 ? db : da;
        sa[i] = da == 1 ? 0 : acc_a;
        sb[i] = db == 1 ? 0 : acc_b;
        acc_a *= da;
        acc_b *= db;
        nbatch *= bdim[i];
    }
    for (int64_t t = 0; t < nbatch; t++) {
        int64_t rem = t, ia = 0, ib = 0;
        for (int i = nb - 1; i >= 0; i--) {
            int64_t idx = rem % bdim[i];
            rem /= bdim[i];
            ia += idx * sa[i];
            ib += idx * sb[i];
        }
        vrt__sgemm(tp, 0, 0, M, N, K, 1.0f, A + ia * M * K, K, B + ib * K * N, N, 0.0f, Y + t * M * N, N);
    }
    return VRT_OK;
}

void vrt__add_bias_rows(float *Y, int64_t rows, int64_t n, const float *bias) {
    for (int64_t r = 0; r < rows; r++) {
        float *y = Y + r * n;
        for (int64_t i = 0; i < n; i++)
            y[i] += bias[i];
    }
}
