/*
 * Private: compute-heavy CPU reference kernels (GEMM, convolution, pooling,
 * normalisation, Gemm/MatMul). Conventions in kernels.h: dense row-major
 * fp32 buffers, no allocation inside a kernel, scratch sized up front by the
 * matching *_scratch_bytes() function, VRT_EINVAL / VRT_EUNSUPPORTED for bad
 * shapes or attributes, optional thread pool (NULL = single-threaded).
 *
 * Each op has a params struct that mirrors its ONNX attributes after the
 * defaults are applied. Call the op's *_resolve() once at plan time: it
 * checks the attributes, turns auto_pad into explicit pads and fills in the
 * output sizes, so the kernel itself only reads the struct.
 *
 * Results never depend on the number of threads: every output element is
 * computed by one work item in a fixed order.
 */
#ifndef VRT_CPU_KERNELS_NN_H
#define VRT_CPU_KERNELS_NN_H

#include "engine/backend/cpu/kernels.h"

/* ---- fused activation ---------------------------------------------------- */

typedef enum vrt__act_kind {
    VRT__ACT_NONE = 0,
    VRT__ACT_RELU,
    VRT__ACT_LEAKY_RELU, /* alpha: negative slope (ONNX default 0.01) */
    VRT__ACT_CLIP,       /* alpha: min, beta: max (Relu6: 0, 6) */
    VRT__ACT_SIGMOID,
    VRT__ACT_SILU,         /* x * sigmoid(x) */
    VRT__ACT_HARD_SWISH,   /* x * max(0, min(1, x/6 + 0.5)) (ONNX HardSwish) */
    VRT__ACT_HARD_SIGMOID, /* max(0, min(1, alpha*x + beta)) (ONNX defaults 0.2, 0.5) */
    VRT__ACT_TANH,
} vrt__act_kind;

typedef struct vrt__activation {
    vrt__act_kind kind;
    float alpha, beta;
} vrt__activation;

const char *vrt__act_name(vrt__act_kind k);
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

#define VRT__MAX_SPATIAL 3

typedef enum vrt__auto_pad {
    VRT__AUTO_PAD_NOTSET = 0,
    VRT__AUTO_PAD_SAME_UPPER,
    VRT__AUTO_PAD_SAME_LOWER,
    VRT__AUTO_PAD_VALID,
} vrt__auto_pad;

/* Conv (X: N x C x in..., W: M x C/group x k..., B: M) and ConvTranspose
 * (X: N x C x in..., W: C x M/group x k..., B: M). */
typedef struct vrt__conv_params {
    int nsp;                              /* spatial dims: 1, 2 or 3 */
    int64_t N, C, M;                      /* batch, input channels, output channels */
    int64_t in[VRT__MAX_SPATIAL];         /* input spatial sizes */
    int64_t k[VRT__MAX_SPATIAL];          /* kernel spatial sizes */
    int64_t strides[VRT__MAX_SPATIAL];    /* default 1 */
    int64_t dilations[VRT__MAX_SPATIAL];  /* default 1 */
    int64_t pads_begin[VRT__MAX_SPATIAL]; /* ONNX pads[0..nsp) */
    int64_t pads_end[VRT__MAX_SPATIAL];   /* ONNX pads[nsp..2nsp) */
    vrt__auto_pad auto_pad;
    int64_t group; /* default 1 */
    /* ConvTranspose only: */
    int64_t output_padding[VRT__MAX_SPATIAL];
    int64_t output_shape[VRT__MAX_SPATIAL]; /* all 0: not given */
    /* Fused epilogue: y = act(conv + bias + residual). */
    vrt__activation act;
    /* Filled by resolve: */
    int64_t out[VRT__MAX_SPATIAL]; /* output spatial sizes */
} vrt__conv_params;

/* ONNX defaults (strides/dilations 1, group 1, no pads, no activation). */
void vrt__conv_default_params(vrt__conv_params *p);

/* Checks the params, applies auto_pad (sets pads_begin/end, auto_pad becomes
 * NOTSET) and fills p->out. err (may be NULL) receives a detail message. */
vrt_status vrt__conv_resolve(vrt__conv_params *p, char *err, size_t errcap);
size_t vrt__conv_scratch_bytes(const vrt__conv_params *p);
/* bias and residual (shaped like y) may be NULL. scratch: at least
 * vrt__conv_scratch_bytes(p) bytes, float-aligned. */
vrt_status vrt__conv(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                     const float *bias, const float *residual, float *y, void *scratch);

vrt_status vrt__conv_transpose_resolve(vrt__conv_params *p, char *err, size_t errcap);
size_t vrt__conv_transpose_scratch_bytes(const vrt__conv_params *p);
vrt_status vrt__conv_transpose(vrt__threadpool *tp, const vrt__conv_params *p, const float *x, const float *w,
                               const float *bias, float *y, void *scratch);

/* ---- pooling ----------------------------------------------------------- */

typedef struct vrt__pool_params {
    int nsp; /* spatial dims: 1, 2 or 3 */
    int64_t N, C;
    int64_t in[VRT__MAX_SPATIAL];
    int64_t k[VRT__MAX_SPATIAL];         /* kernel_shape */
    int64_t strides[VRT__MAX_SPATIAL];   /* default 1 */
    int64_t dilations[VRT__MAX_SPATIAL]; /* default 1 */
    int64_t pads_begin[VRT__MAX_SPATIAL];
    int64_t pads_end[VRT__MAX_SPATIAL];
    vrt__auto_pad auto_pad;
    int ceil_mode;
    int count_include_pad;         /* AveragePool only */
    int64_t out[VRT__MAX_SPATIAL]; /* filled by resolve */
} vrt__pool_params;

void vrt__pool_default_params(vrt__pool_params *p);
vrt_status vrt__pool_resolve(vrt__pool_params *p, char *err, size_t errcap);
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
/* Splits a shape at ONNX LayerNormalization's axis (negative counts from the
 * end): outer = prod(d[0..axis)), inner = prod(d[axis..)). */
vrt_status vrt__layernorm_split(const vrt__shape *s, int64_t axis, int64_t *outer, int64_t *inner);
/* LayerNormalization over rows of `inner` elements. scale/bias have `inner`
 * elements (bias may be NULL). mean/inv_std (may be NULL): `outer` outputs. */
vrt_status vrt__layernorm(vrt__threadpool *tp, int64_t outer, int64_t inner, const float *x,
                          const float *scale, const float *bias, float eps, float *y, float *mean,
                          float *inv_std);
/* Folds an inference BatchNormalization that follows a Conv into the conv's
 * weights and bias: w (M x per_out) and conv_bias (M, NULL = zeros) in,
 * w_out / bias_out out (w_out may equal w, bias_out may equal conv_bias).
 * For ConvTranspose the output channel is not the leading weight dim: not
 * handled here. */
vrt_status vrt__bn_fold_into_conv(int64_t M, int64_t per_out, const float *w, const float *conv_bias,
                                  const float *scale, const float *bias, const float *mean, const float *var,
                                  float eps, float *w_out, float *bias_out);

/* ---- ONNX Gemm / MatMul ------------------------------------------------- */

typedef struct vrt__gemm_params {
    int64_t M, N, K; /* Y is M x N; op(A) M x K; op(B) K x N */
    int trans_a, trans_b;
    float alpha, beta;   /* defaults 1, 1 */
    vrt__shape c_shape;  /* C's shape (ndim 0..2), unidirectionally broadcast to M x N */
    vrt__activation act; /* fused activation */
} vrt__gemm_params;

void vrt__gemm_default_params(vrt__gemm_params *p);
/* C may be NULL (no C input). Y must not alias A, B or C. */
vrt_status vrt__gemm(vrt__threadpool *tp, const vrt__gemm_params *p, const float *A, const float *B,
                     const float *C, float *Y);

/* numpy matmul shape rule: 1-D operands promoted (and the added dim removed
 * from the result), batch dims broadcast. */
vrt_status vrt__matmul_shape(const vrt__shape *a, const vrt__shape *b, vrt__shape *out);
vrt_status vrt__matmul(vrt__threadpool *tp, const vrt__shape *a, const float *A, const vrt__shape *b,
                       const float *B, float *Y);

#endif
