/*
 * Private: the ONNX writer of `vrt quantize` (a protobuf encoder over the
 * original file's bytes; onnx_write.c). The model is not re-serialised from
 * the IR: every field of the file is copied as it is, except the graph's
 * nodes (re-emitted with renamed inputs and Q/DQ nodes inserted) and the
 * float weights that quantized convs replace, so whatever the IR does not
 * model (metadata, doc strings, value_info, other domains) survives.
 *
 * Threading: plain functions over caller buffers; no shared state.
 */
#ifndef VRT_MODEL_ONNX_WRITE_H
#define VRT_MODEL_ONNX_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "vrt/core.h"

/* One activation to fake-quantize as uint8: Q/DQ after its producer, every
 * reader renamed to the dequantized copy. */
typedef struct vrt__qdq_act {
    const char *name;
    float scale;
    uint8_t zero_point;
} vrt__qdq_act;

/* One Conv whose weight (and bias) become int8 (int32) initializers behind
 * a DequantizeLinear: weight per output channel, symmetric; bias with scale
 * x_scale * w_scale[m]. */
typedef struct vrt__qdq_conv {
    const char *weight, *bias; /* initializer names (bias NULL: none) */
    const float *w;            /* [M][per] fp32 */
    int64_t M, per;
    const int64_t *wdims;
    int wndim;
    const float *b; /* [M] or NULL */
    float x_scale;
} vrt__qdq_conv;

/* c's weight as the writer quantizes it: ws[M] (max |w| / 127 per output
 * channel) and wq[M * per] (round to nearest, symmetric, zero point 0). */
void vrt__qdq_weights(const vrt__qdq_conv *c, float *ws, int8_t *wq);

/* src (len bytes, an ONNX ModelProto) with the activations and convs
 * quantized; *out (vrt_malloc'ed, the caller frees) and *out_len. */
vrt_status vrt__onnx_write_qdq(const uint8_t *src, size_t len, const vrt__qdq_act *acts, int n_acts,
                               const vrt__qdq_conv *convs, int n_convs, uint8_t **out, size_t *out_len,
                               char *err, size_t cap);

/* src with extra graph outputs (names only: the reader infers their types),
 * for calibration. */
vrt_status vrt__onnx_add_outputs(const uint8_t *src, size_t len, const char *const *names, int n,
                                 uint8_t **out, size_t *out_len);

#endif
