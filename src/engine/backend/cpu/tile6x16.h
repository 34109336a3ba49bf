/*
 * Private: the 6 x 16 fp32 register block shared by the AVX2+FMA SGEMM
 * micro-kernel (gemm.c) and the direct 3x3 convolution tile (conv.c).
 * Twelve __m256 accumulators, row r in c[r][0] (columns 0..7) and c[r][1]
 * (columns 8..15). The helpers are always inlined into their (AVX2+FMA)
 * callers and index the block only with constants (no loops), so the
 * compiler keeps it in registers; each accumulator is updated in
 * the same order as a hand-unrolled loop, so results are bit-identical.
 * x86-64 with GCC/Clang only.
 */
#ifndef VRT_CPU_TILE6X16_H
#define VRT_CPU_TILE6X16_H

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

typedef struct vrt__tile6x16 {
    __m256 c[6][2];
} vrt__tile6x16;

#define VRT__TILE6X16_FN __attribute__((always_inline, target("avx2,fma"))) static inline

VRT__TILE6X16_FN void vrt__tile6x16_zero(vrt__tile6x16 *t) {
    t->c[0][0] = t->c[0][1] = _mm256_setzero_ps();
    t->c[1][0] = t->c[1][1] = _mm256_setzero_ps();
    t->c[2][0] = t->c[2][1] = _mm256_setzero_ps();
    t->c[3][0] = t->c[3][1] = _mm256_setzero_ps();
    t->c[4][0] = t->c[4][1] = _mm256_setzero_ps();
    t->c[5][0] = t->c[5][1] = _mm256_setzero_ps();
}

/* Block += a[0..6) x b[0..16) (one k step: a column of A, a row of B). */
VRT__TILE6X16_FN void vrt__tile6x16_fma(vrt__tile6x16 *t, const float *a, const float *b) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a0 = _mm256_broadcast_ss(a + 0), a1 = _mm256_broadcast_ss(a + 1);
    t->c[0][0] = _mm256_fmadd_ps(a0, b0, t->c[0][0]);
    t->c[0][1] = _mm256_fmadd_ps(a0, b1, t->c[0][1]);
    t->c[1][0] = _mm256_fmadd_ps(a1, b0, t->c[1][0]);
    t->c[1][1] = _mm256_fmadd_ps(a1, b1, t->c[1][1]);
    a0 = _mm256_broadcast_ss(a + 2);
    a1 = _mm256_broadcast_ss(a + 3);
    t->c[2][0] = _mm256_fmadd_ps(a0, b0, t->c[2][0]);
    t->c[2][1] = _mm256_fmadd_ps(a0, b1, t->c[2][1]);
    t->c[3][0] = _mm256_fmadd_ps(a1, b0, t->c[3][0]);
    t->c[3][1] = _mm256_fmadd_ps(a1, b1, t->c[3][1]);
    a0 = _mm256_broadcast_ss(a + 4);
    a1 = _mm256_broadcast_ss(a + 5);
    t->c[4][0] = _mm256_fmadd_ps(a0, b0, t->c[4][0]);
    t->c[4][1] = _mm256_fmadd_ps(a0, b1, t->c[4][1]);
    t->c[5][0] = _mm256_fmadd_ps(a1, b0, t->c[5][0]);
    t->c[5][1] = _mm256_fmadd_ps(a1, b1, t->c[5][1]);
}

/* acc[6][16] (row stride 16) = block. */
VRT__TILE6X16_FN void vrt__tile6x16_store(const vrt__tile6x16 *t, float *acc) {
    _mm256_storeu_ps(acc + 0 * 16, t->c[0][0]);
    _mm256_storeu_ps(acc + 0 * 16 + 8, t->c[0][1]);
    _mm256_storeu_ps(acc + 1 * 16, t->c[1][0]);
    _mm256_storeu_ps(acc + 1 * 16 + 8, t->c[1][1]);
    _mm256_storeu_ps(acc + 2 * 16, t->c[2][0]);
    _mm256_storeu_ps(acc + 2 * 16 + 8, t->c[2][1]);
    _mm256_storeu_ps(acc + 3 * 16, t->c[3][0]);
    _mm256_storeu_ps(acc + 3 * 16 + 8, t->c[3][1]);
    _mm256_storeu_ps(acc + 4 * 16, t->c[4][0]);
    _mm256_storeu_ps(acc + 4 * 16 + 8, t->c[4][1]);
    _mm256_storeu_ps(acc + 5 * 16, t->c[5][0]);
    _mm256_storeu_ps(acc + 5 * 16 + 8, t->c[5][1]);
}

#undef VRT__TILE6X16_FN
#endif

#endif
