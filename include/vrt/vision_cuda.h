/*
 * vrt/vision_cuda.h - the GPU twins of vrt/vision.h (pre- and post-processing).
 *
 * Same parameter structs, same arithmetic, same results as the CPU reference:
 *   - vrt_cuda_preprocess_frame: raw frame in GPU memory -> network input
 *     tensor in ONE kernel (format conversion, bilinear resize, crop or
 *     letterbox, mean/std/scale, NCHW/NHWC, fp32/fp16). The float operations
 *     are done in the CPU twin's order with explicit round-to-nearest
 *     intrinsics (no fused multiply-add), so the tensor equals
 *     vrt_preprocess_frame's bit for bit.
 *   - vrt_cuda_preprocess_rois: N boxes (in GPU memory, e.g. a detector's
 *     result) of one frame -> an N-batch tensor; equals vrt_preprocess_rois.
 *   - vrt_cuda_topk: softmax (optional) + top-k (k <= VRT_CUDA_TOPK_MAX) per
 *     row of a [rows, n] score matrix into rows vrt_class_result structs in
 *     GPU memory. Same indices and order as vrt_topk; probabilities within
 *     float rounding (the sum is reduced in another order).
 *   - vrt_cuda_detector_*: YOLOX / YOLOv8 decode + class-aware NMS into one
 *     vrt_detections struct in GPU memory, so only that struct is copied
 *     back. Same boxes, classes and order as vrt_detector_run; scores equal
 *     unless apply_sigmoid (then within 1 ulp: exp() of another libm); box
 *     coordinates of YOLOX within 1-2 ulp for the same reason (exp of tw, th).
 *   - vrt_cuda_overlay_render: vrt_overlay_render on the GPU: the frame
 *     converted to an RGB24 copy and the result drawn on it in one kernel;
 *     the same pixels as the CPU twin.
 *
 * Streams are cudaStream_t passed as void * (this header has no CUDA types);
 * NULL is refused: the library never uses the legacy default stream.
 * Every call only ENQUEUES work on the given stream: nothing is allocated,
 * synchronised or copied to the host, so every call can be captured in a
 * CUDA graph. Errors found on the host (bad parameters, sizes) are returned
 * before anything is enqueued; launch errors come back as VRT_EDEVICE with
 * file and line. Values in GPU memory that the host cannot see (ROI boxes)
 * are handled on the GPU: see vrt_cuda_preprocess_rois.
 *
 * Memory: the caller owns every buffer; pointers documented "device" must be
 * GPU memory (or mapped page-locked memory) usable from the stream's device,
 * and stay valid until the enqueued work has completed.
 * Threading: the functions are reentrant; one vrt_cuda_detector_t per thread
 * (it keeps the last error message).
 * Available when the library is built with CUDA (VRT_HAVE_CUDA).
 */
#ifndef VRT_VISION_CUDA_H
#define VRT_VISION_CUDA_H

#include "vrt/export.h"
#include "vrt/overlay.h"
#include "vrt/vision.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pre-processing ------------------------------------------------------ */

/* f describes a frame whose planes are in GPU memory (f->memory
 * VRT_MEM_DEVICE or VRT_MEM_PINNED for mapped page-locked memory); the
 * descriptor itself is read on the host during the call only. out (device)
 * holds out_size bytes (>= vrt_preprocess_output_size(p)). geom (host, may be
 * NULL) receives the geometry, as vrt_preprocess_frame reports it.
 * VRT_EINVAL for bad params, formats, sizes, a too small buffer or a NULL
 * stream; VRT_EDEVICE if the launch fails. */
VRT_API vrt_status vrt_cuda_preprocess_frame(const vrt_frame *f, const vrt_preprocess_params *p, void *out,
                                             size_t out_size, vrt_preprocess_geometry *geom, void *stream,
                                             char *err, size_t cap);

/* ROI batch: boxes (device, n entries, frame pixels) -> image i of an
 * n-batch tensor out (device, >= n * vrt_preprocess_output_size(p) bytes),
 * exactly as vrt_preprocess_rois. Since the boxes are read on the GPU, a box
 * that the CPU version refuses (non-finite, no pixels inside the frame, or a
 * resized size out of range) cannot fail the call: its image is filled with
 * pad_value (normalised) and its geometry, when geoms (device, n entries, may
 * be NULL) is given, has roi_w = roi_h = 0. n = 0 enqueues nothing. */
VRT_API vrt_status vrt_cuda_preprocess_rois(const vrt_frame *f, const vrt_box *boxes, int n,
                                            const vrt_preprocess_params *p, void *out, size_t out_size,
                                            vrt_preprocess_geometry *geoms, void *stream, char *err,
                                            size_t cap);

/* ---- classification: softmax + top-k --------------------------------------- */

#define VRT_CUDA_TOPK_MAX 32

/* scores (device): rows x n values, row-major, fp32 or fp16 (uint16_t).
 * out (device): rows vrt_class_result structs, each as vrt_topk(row, ...)
 * writes it (count, index[0..count), score[0..count); the rest untouched).
 * k in 1..VRT_CUDA_TOPK_MAX, n >= 1, rows >= 1. */
VRT_API vrt_status vrt_cuda_topk(const void *scores, vrt_tensor_type dtype, int rows, int n, int k,
                                 int softmax, vrt_class_result *out, void *stream, char *err, size_t cap);

/* ---- detection: decode + class-aware NMS ------------------------------------ */

typedef struct vrt_cuda_detector vrt_cuda_detector_t;

/* Checks p as vrt_detector_create does and sizes the workspace. Host memory
 * only (no GPU work). On success *out owns the detector; on failure it is
 * NULL and err has the detail. */
VRT_API vrt_status vrt_cuda_detector_create(vrt_cuda_detector_t **out, const vrt_detect_params *p, char *err,
                                            size_t cap);
VRT_API int vrt_cuda_detector_num_anchors(const vrt_cuda_detector_t *d);
/* Bytes of GPU workspace that vrt_cuda_detector_run needs (room for every
 * (anchor, class) pair as a candidate, so no input can overflow it). */
VRT_API size_t vrt_cuda_detector_workspace_size(const vrt_cuda_detector_t *d);
/* Enqueues decode + NMS of output (device, count fp32 values laid out as for
 * vrt_detector_run) into *out (device). geom (host, may be NULL) maps boxes
 * to frame pixels; its values are copied into the launch (a captured graph
 * keeps the geometry it was captured with). workspace (device) holds
 * workspace_size bytes, 256-byte aligned, and must not be used by other
 * work in flight. Only out->count, out->candidates and det[0..count) are
 * written. */
VRT_API vrt_status vrt_cuda_detector_run(vrt_cuda_detector_t *d, const float *output, size_t count,
                                         const vrt_preprocess_geometry *geom, void *workspace,
                                         size_t workspace_size, vrt_detections *out, void *stream);
/* Last error detail; never NULL. */
VRT_API const char *vrt_cuda_detector_error(const vrt_cuda_detector_t *d);
/* NULL-safe; sets *d = NULL. */
VRT_API void vrt_cuda_detector_destroy(vrt_cuda_detector_t **d);

/* ---- overlay (vrt/overlay.h) ---------------------------------------------------- */

/* Allocates ov's GPU buffers (draw list, text, font, page-locked staging) and uploads the
 * font; once, before the first vrt_cuda_overlay_render (synchronous; not for the frame path). */
VRT_API vrt_status vrt_cuda_overlay_init(vrt_overlay_t *ov, char *err, size_t cap);
/* As vrt_overlay_render with src (raw format, not MJPEG) and dst (RGB24, same size) in GPU
 * memory: plans the draw list on the host, enqueues its copy and one kernel on stream. The
 * host staging is reused: a call waits until the previous call's copy has left it (not
 * for its kernel). Not capturable in a CUDA graph (the draw list changes every frame). */
VRT_API vrt_status vrt_cuda_overlay_render(vrt_overlay_t *ov, const vrt_frame *src, vrt_frame *dst,
                                           const vrt_result *r, const vrt_overlay_info *info, void *stream,
                                           char *err, size_t cap);

/* ---- guided filter ------------------------------------------------------------ */

/* The twins of vrt_guided_filter_map / _frame (vrt/vision.h): the guide
 * frame and the maps in GPU memory (or mapped page-locked memory); one
 * fused kernel (tiles with their halos in shared memory, nothing
 * intermediate in global memory) enqueued on stream, capturable into a
 * graph. Results equal the CPU twin's: the guide's and the frame channels'
 * window sums are exact integers on both, the sums of float maps and of a,
 * b are taken in double on both (the frame filter's bytes may differ by one
 * where q * 255 lands on a rounding tie). The map filter may run in place
 * (dst overlapping src): then the input is first copied into scratch
 * (device, vrt_cuda_guided_scratch_size bytes: one float per pixel);
 * otherwise scratch may be NULL. The frame filter needs no scratch (pass
 * NULL, 0) and its out must not overlap f. VRT_ENOTSUP where the GPU's
 * shared memory cannot hold the smallest tile at that radius (radius 16's
 * map filter needs ~90 KiB: sm_80 and newer). Run it on a stream of its own
 * (e.g. forked from the session's with an event) when nothing downstream
 * waits for it. */
VRT_API size_t vrt_cuda_guided_scratch_size(uint32_t w, uint32_t h);
VRT_API vrt_status vrt_cuda_guided_filter_map(const vrt_frame *guide, const float *src, size_t src_stride,
                                              float *dst, size_t dst_stride, const vrt_guided_params *p,
                                              void *scratch, size_t scratch_size, void *stream, char *err,
                                              size_t cap);
/* out: an RGB24 frame in GPU memory of f's size. */
VRT_API vrt_status vrt_cuda_guided_filter_frame(const vrt_frame *f, const vrt_guided_params *p,
                                                vrt_frame *out, void *scratch, size_t scratch_size,
                                                void *stream, char *err, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
