/*
 * IR node -> kernel parameters, shared by the backends (CPU, CUDA).
 *
 * Each function reads a node's attributes (and the fusion attributes of
 * model/plan.h: _act, _act_alpha, _act_beta) plus the inferred shapes and
 * fills one params struct of engine/backend/cpu/kernels_nn.h /
 * kernels_tensor.h. Data-type checks and scratch sizing stay with each
 * backend: they differ. Functions returning vrt_status write a message into
 * err (capacity cap) on failure, which the backend reports for the node.
 */
#ifndef VRT_ENGINE_OP_PARAMS_H
#define VRT_ENGINE_OP_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/kernels_nn.h"
#include "engine/backend/cpu/kernels_tensor.h"
#include "model/ir.h"

int vrt__op_same_shape(const vrt__shape *a, const vrt__shape *b);
/* The fused activation (_act, _act_alpha, _act_beta). */
vrt__activation vrt__op_activation(const vrt__node *n);
/* Elementwise op of an ONNX op; 0 when op is not one. */
int vrt__op_unary_of(int op, vrt__unary_op *u);
int vrt__op_binary_of(int op, vrt__binary_op *b);
/* Stores v as one element of dt (internal types) in out[0..7], rest zero. */
void vrt__op_put_value(vrt__dtype dt, double v, uint8_t out[8]);

/* Conv / ConvTranspose: filled, resolved, output checked against y. */
vrt_status vrt__op_conv_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *w,
                               const vrt__shape *y, vrt__activation act, vrt__conv_params *p, char *err,
                               size_t cap);
/* MaxPool / AveragePool: filled, resolved, output checked against y. */
vrt_status vrt__op_pool_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                               vrt__pool_params *p, char *err, size_t cap);
/* Softmax / LogSoftmax. */
void vrt__op_softmax_params(const vrt__node *n, vrt__softmax_params *p);
/* Gemm; c is the bias shape or NULL when absent. */
void vrt__op_gemm_params(const vrt__node *n, const vrt__shape *a, const vrt__shape *c, const vrt__shape *y,
                         vrt__activation act, vrt__gemm_params *p);
/* Unary ops (Relu ... Reciprocal): op and its attributes. */
void vrt__op_unary_params(const vrt__node *n, vrt__unary_params *p);
/* Slice (canonical attributes), output checked against y. */
vrt_status vrt__op_slice_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                                vrt__slice_params *p, char *err, size_t cap);
/* Transpose 'perm' / Tile 'repeats' into v[VRT__MAX_DIMS], count in *nv. */
vrt_status vrt__op_perm_params(const vrt__node *n, int64_t *v, int *nv, char *err, size_t cap);
/* Pad over rank r; value[8] receives the constant (element of dt), p->value points at it. */
vrt_status vrt__op_pad_params(const vrt__node *n, int r, vrt__dtype dt, uint8_t value[8], vrt__pad_params *p,
                              char *err, size_t cap);
/* DepthToSpace / SpaceToDepth: block size; *crd = 1 for mode CRD. */
void vrt__op_depth_space_params(const vrt__node *n, int64_t *blocksize, int *crd);
/* ConstantOfShape: the value's bytes (fp16 as fp32) in value[8]. */
void vrt__op_constant_value(const vrt__node *n, uint8_t value[8]);
/* Resize: filled from the attributes and x's rank, sizes taken from y when
 * the scales do not reproduce it; output checked against y. */
vrt_status vrt__op_resize_params(const vrt__node *n, const vrt__shape *x, const vrt__shape *y,
                                 vrt__resize_params *p, char *err, size_t cap);
/* ReduceMean / ReduceMax / ReduceSum. */
void vrt__op_reduce_params(const vrt__node *n, vrt__reduce_params *p);
void vrt__op_argmax_params(const vrt__node *n, vrt__argmax_params *p);
void vrt__op_topk_params(const vrt__node *n, vrt__topk_params *p);

#endif
