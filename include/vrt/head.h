/*
 * vrt/head.h - a profile's task head on the CPU, for programs that run the
 * engine themselves (vrt infer, bindings): the model's output in, a result
 * (vrt/result.h) out. Sessions (vrt/session.h) run the same heads inside
 * their frame path; use this only without a session.
 *
 *   vrt_model_tensor_info outs[n];                 // n = vrt_engine_num_outputs(engine)
 *   for (i = 0; i < n; i++) vrt_engine_output_info(engine, i, &outs[i]);
 *   vrt_head_t *h;
 *   if (vrt_head_open(&profile, outs, n, labels, &h, err, sizeof err)) ...;  // checks the shapes
 *   ... vrt_engine_run(engine, ...) into float buffers, one per output ...
 *   const vrt_result *r;
 *   vrt_head_run(h, buffers, counts, n, &geom, &r); // classes, boxes, ...: read with the accessors
 *   vrt_head_destroy(&h);
 *
 * Which head runs is the profile's `task`; its parameters (top-k, softmax,
 * thresholds, strides, classes, SSD priors) are the profile's, checked
 * against the outputs at open. Which outputs it reads: most heads output
 * 0, SSD heads two (scores, boxes) by name or by the profile's `outputs`.
 *
 * Ownership: open copies what it needs from the profile and the tensor
 * info; labels (may be NULL) are borrowed and must outlive the head. The
 * result belongs to the head and stays valid until the next run or destroy.
 * Memory: open (and vrt_head_reserve) allocate everything; run allocates nothing.
 * Threading: one head per thread at a time.
 */
#ifndef VRT_HEAD_H
#define VRT_HEAD_H

#include <stddef.h>

#include "vrt/export.h"
#include "vrt/model.h"
#include "vrt/profile.h"
#include "vrt/result.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vrt_head vrt_head_t;

/* outputs: the model's n_outputs outputs as the engine reports them (batch
 * 1 first), in the model's order. On success *out owns the head; on failure
 * it is NULL and err names the profile, the output and what would fit. */
VRT_API vrt_status vrt_head_open(const vrt_profile *prof, const vrt_model_tensor_info *outputs, int n_outputs,
                                 const vrt_labels_t *labels, vrt_head_t **out, char *err, size_t cap);
/* Heads whose results hold maps at frame resolution (depth, segment-*):
 * sizes the result for frames up to frame_w x frame_h (open sizes it for
 * frames of the network input's size); allocates when it grows. Call it
 * before vrt_head_run with a larger frame (vrt_head_run answers VRT_EINVAL
 * otherwise). Other heads: nothing to do, VRT_OK. */
VRT_API vrt_status vrt_head_reserve(vrt_head_t *h, int frame_w, int frame_h);
/* What the head's results hold. */
VRT_API vrt_result_type vrt_head_kind(const vrt_head_t *h);
/* outputs[i]: counts[i] fp32 values of model output i (the tensor's element
 * count), i < n_outputs as at open; outputs the head does not read may be
 * NULL. geom maps boxes to frame pixels (NULL: network-input pixels). *r
 * gets the result; its VRT_TIME_POSTPROCESS and VRT_TIME_TOTAL are this
 * call's duration. VRT_EINVAL for a missing output or a count that is not
 * the output's (detail in last_error). */
VRT_API vrt_status vrt_head_run(vrt_head_t *h, const float *const *outputs, const size_t *counts,
                                int n_outputs, const vrt_preprocess_geometry *geom, const vrt_result **r);
/* Detail of the last failure ("" if none). */
VRT_API const char *vrt_head_last_error(const vrt_head_t *h);
/* NULL-safe; sets *h = NULL. */
VRT_API void vrt_head_destroy(vrt_head_t **h);

#ifdef __cplusplus
}
#endif
#endif
