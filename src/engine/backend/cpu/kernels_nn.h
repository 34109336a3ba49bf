/*
 * Private: compute-heavy CPU reference kernels (GEMM, convolution, pooling,
 * normalisation, Gemm/MatMul). Conventions in kernels.h: dense row-major
 * fp32 buffers, no allocation inside a kernel, scratch sized up front by the
 * matching *_scratch_bytes() function, VRT_EINVAL / VRT_EUNSUPPORTED for bad
 * shapes or attributes, optional thread pool (NULL = single-threaded).
 *
 * Each op's params struct, its defaults and its *_resolve() (called once at
 * plan time) are the op vocabulary of model/op_params.h; the kernel itself
 * only reads the resolved struct.
 *
 * Results never depend on the number of threads: every output element is
 * computed by one work item in a fixed order.
 */
#ifndef VRT_CPU_KERNELS_NN_H
#define VRT_CPU_KERNELS_NN_H

#include "engine/backend/cpu/kernels.h"
#include "model/op_params.h"

/* ---- fused activation ---------------------------------------------------- */

/* x[i] = act(x[i]) for i in [0, n). */
void vrt__act_apply(const vrt__activation *a, float *x, int64_t n);

/* ---- GEMM ---------------------------------------------------------------- */

/* C = alpha * op(A) * op(B) + beta * C, row-major; op(A) is M x K, op(B) is
 * K x N. lda/ldb/ldc are row strides in elements of the stored matrices
 * (A stored K x M when trans_a). beta == 0 overwrites C (NaNs in C ignored).
 * Uses OpenBLAS when the build has it (VRT_HAVE_OPENBLAS) unless
 * vrt__sgemm_set_blas(0) was called; otherwise our blocked kernel, threaded
 * over tp. No scratch: packing buffers live on the stack of the thread that
 * runs a tile (about 210 KiB), so callers need ordinary-size thread stacks. */
void vrt__sgemm(vrt__threadpool *tp, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc);
/* Our own kernel, never BLAS (tests compare both paths). */
void vrt__sgemm_own(vrt__threadpool *tp, int trans_a, int trans_b, int64_t M, int64_t N, int64_t K,
                    float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                    float *C, int64_t ldc);
/* 1 when vrt__sgemm calls OpenBLAS (built with it and not switched off). */
int vrt__sgemm_uses_blas(void);
/* Process-wide switch (constant configuration): 0 forces our own kernel. */
void vrt__sgemm_set_blas(int on);

/* ---- Conv / ConvTranspose ---------------------------------------------- */

size_t vrt__conv_scratch_bytes(const vrt__conv_params *p);
/* bias and residual (shaped like y) may be NULL. scratch: at least
 * vrt__conv_scratch_bytes(p) bytes, float-aligned. */
vrt_status vrt__conv(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                     const float *bias, const float *residual, float *y, void *scratch);
/* Floats of the weights packed for p's fast path (0: p's path reads w as it is). */
size_t vrt__conv_packed_floats(const vrt__conv_params *p);
/* Packs w (M x C x kernel) into dst (vrt__conv_packed_floats(p) floats), once at prepare. */
void vrt__conv_pack_weights(const vrt__conv_params *p, const float *w, float *dst);
/* vrt__conv with the weights already packed (wpacked from vrt__conv_pack_weights, or NULL:
 * packed per run into scratch); the same results. */
vrt_status vrt__conv_packed(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                            const float *wpacked, const float *bias, const float *residual, float *y,
                            void *scratch);

size_t vrt__conv_transpose_scratch_bytes(const vrt__conv_params *p);
vrt_status vrt__conv_transpose(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                               const float *bias, float *y, void *scratch);

/* ---- pooling ----------------------------------------------------------- */

/* indices (may be NULL): ONNX MaxPool's second output (flat index into x's
 * whole N x C x ... tensor, storage_order 0). */
vrt_status vrt__maxpool(vrt__threadpool *tp, const vrt__pool_params *p, const float *x, float *y,
                        int64_t *indices);
vrt_status vrt__avgpool(vrt__threadpool *tp, const vrt__pool_params *p, const float *x, float *y);
/* x: N x C x spatial (flattened), y: N x C. */
vrt_status vrt__global_avgpool(vrt__threadpool *tp, int64_t N, int64_t C, int64_t spatial, const float *x,
                               float *y);
vrt_status vrt__global_maxpool(vrt__threadpool *tp, int64_t N, int64_t C, int64_t spatial, const float *x,
                               float *y);

/* ---- normalisation ------------------------------------------------------ */

/* Inference BatchNormalization: y = (x - mean) / sqrt(var + eps) * scale + bias
 * over x: N x C x spatial. */
vrt_status vrt__batchnorm(vrt__threadpool *tp, int64_t N, int64_t C, int64_t spatial, const float *x,
                          const float *scale, const float *bias, const float *mean, const float *var,
                          float eps, float *y);
/* InstanceNormalization over each (n, c) plane of x: N x C x spatial. */
vrt_status vrt__instancenorm(vrt__threadpool *tp, int64_t N, int64_t C, int64_t spatial, const float *x,
                             const float *scale, const float *bias, float eps, float *y);
/* LayerNormalization over rows of `inner` elements. scale/bias have `inner`
 * elements (bias may be NULL). mean/inv_std (may be NULL): `outer` outputs. */
vrt_status vrt__layernorm(vrt__threadpool *tp, int64_t outer, int64_t inner, const float *x,
                          const float *scale, const float *bias, float eps, float *y, float *mean,
                          float *inv_std);
/* VrtAddLayerNorm: y = LayerNorm(a + b) over rows of `inner`; sum (may be
 * NULL) receives a + b. */
vrt_status vrt__add_layernorm(vrt__threadpool *tp, int64_t outer, int64_t inner, const float *a,
                              const float *b, const float *scale, const float *bias, float eps, float *y,
                              float *sum);

/* VrtAttention (model/op_params.h vrt__attn_params): one pass over the keys
 * per query row with an online softmax (no score matrix stored). */
vrt_status vrt__attention(vrt__threadpool *tp, const vrt__attn_params *p, const float *q, const float *k,
                          const float *v, const float *mask, float *o);

/* ---- ONNX Gemm / MatMul ------------------------------------------------- */

/* C may be NULL (no C input). Y must not alias A, B or C. */
vrt_status vrt__gemm(vrt__threadpool *tp, const vrt__gemm_params *p, const float *A, const float *B,
                     const float *C, float *Y);

vrt_status vrt__matmul(vrt__threadpool *tp, const vrt__shape *a, const float *A, const vrt__shape *b,
                       const float *B, float *Y);
/* Adds bias (n elements) to every row of Y (rows x n): a MatMul's "_bias". */
void vrt__add_bias_rows(float *Y, int64_t rows, int64_t n, const float *bias);

#endif
