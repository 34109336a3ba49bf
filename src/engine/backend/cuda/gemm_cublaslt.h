/*
 * Private: ONNX Gemm and MatMul on cuBLASLt (gemm_cublaslt.c), with the
 * bias / ReLU epilogue in cuBLASLt where it can be and our epilogue kernel
 * otherwise.
 */
#ifndef VRT_CUDA_GEMM_CUBLASLT_H
#define VRT_CUDA_GEMM_CUBLASLT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/backend/cuda/cuda_math.h"

#ifndef __CUDACC__
#include "engine/cuda_check.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The CPU headers have no C++ guards of their own: included inside ours so
 * the .cu files see their declarations with C linkage. */
#include "model/dtype.h"
#include "model/op_params.h"

#ifndef __CUDACC__
typedef struct vrt__cuda_gemm vrt__cuda_gemm;

/* ONNX Gemm: Y = act(alpha op(A) op(B) + beta C). c_ptr: whether C is given. */
vrt_status vrt__cuda_gemm_create_gemm(cublasLtHandle_t h, const vrt__gemm_params *p, int has_c,
                                      vrt__cuda_math math, size_t ws_bytes, vrt__cuda_gemm **out, char *err,
                                      size_t cap);
/* numpy MatMul with broadcast batch dims, then (has_bias: the MatMul's
 * "_bias", N elements, passed as C to run) bias, then act. half: A, B, Y
 * and the bias are fp16 in memory (the fp16 rows plan; fp32 accumulation,
 * whatever math says); a bias without a multiply (K = 0) is then refused. */
vrt_status vrt__cuda_gemm_create_matmul(cublasLtHandle_t h, const vrt__shape *a, const vrt__shape *b,
                                        int has_bias, const vrt__activation *act, vrt__cuda_math math,
                                        int half, size_t ws_bytes, vrt__cuda_gemm **out, char *err,
                                        size_t cap);
/* Y = the op on device buffers (fp32, or fp16 for a half MatMul). */
vrt_status vrt__cuda_gemm_run(vrt__cuda_gemm *g, cudaStream_t s, const void *A, const void *B, const void *C,
                              void *Y, void *ws, size_t ws_bytes, char *err, size_t cap);
void vrt__cuda_gemm_describe(const vrt__cuda_gemm *g, char *buf, size_t cap);
void vrt__cuda_gemm_destroy(vrt__cuda_gemm **g);
#endif /* !__CUDACC__ */

#ifdef __cplusplus
}
#endif

#endif
