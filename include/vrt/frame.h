/*
 * vrt/frame.h - pixel formats and the frame descriptor.
 *
 * A vrt_frame describes one image: pixel format (a V4L2-compatible fourcc),
 * size, planes with strides, bytes used, timestamp, sequence number and
 * where its memory lives. Frames are reference-counted: whoever hands out a
 * frame hands out one reference; call vrt_frame_unref() when done. The last
 * unref gives the frame back to whoever made it (a pool, or a V4L2 source,
 * which then re-queues the driver buffer), so holding a frame holds its buffer.
 *
 * Frames made with vrt_frame_pool_* come from a fixed set sized at creation:
 * nothing is allocated per frame, and an exhausted pool answers VRT_EAGAIN.
 *
 * Threading: ref/unref are atomic and may be called from any thread; a pool
 * may be used from several threads. The pixel data itself is not locked.
 */
#ifndef VRT_FRAME_H
#define VRT_FRAME_H

#include "vrt/core.h"
#include "vrt/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_FOURCC(a, b, c, d)                                                                               \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))

/* Same codes as V4L2's V4L2_PIX_FMT_*. */
#define VRT_FMT_YUYV VRT_FOURCC('Y', 'U', 'Y', 'V') /* packed 4:2:2 Y0 U Y1 V */
#define VRT_FMT_UYVY VRT_FOURCC('U', 'Y', 'V', 'Y') /* packed 4:2:2 U Y0 V Y1 */
#define VRT_FMT_NV12 VRT_FOURCC('N', 'V', '1', '2') /* Y plane + interleaved UV at half size */
#define VRT_FMT_RGB24 VRT_FOURCC('R', 'G', 'B', '3')
#define VRT_FMT_BGR24 VRT_FOURCC('B', 'G', 'R', '3')
#define VRT_FMT_GREY VRT_FOURCC('G', 'R', 'E', 'Y')
#define VRT_FMT_MJPEG VRT_FOURCC('M', 'J', 'P', 'G') /* compressed; bytesused is the JPEG size */

#define VRT_FRAME_MAX_PLANES 3

typedef enum vrt_memory {
    VRT_MEM_HOST = 0,   /* ordinary pageable memory */
    VRT_MEM_PINNED = 1, /* page-locked host memory (cudaHostAlloc / cudaHostRegister) */
    VRT_MEM_DEVICE = 2, /* GPU memory */
} vrt_memory;

typedef struct vrt_plane {
    uint8_t *data;
    uint32_t stride; /* bytes per row */
    uint32_t size;   /* bytes of this plane */
} vrt_plane;

typedef struct vrt_frame vrt_frame;
/* Called when the last reference is dropped; owner is vrt_frame.release_ctx. */
typedef void (*vrt_frame_release_fn)(void *ctx, vrt_frame *f);

struct vrt_frame {
    uint32_t fourcc;
    uint32_t width, height;
    int num_planes;
    vrt_plane planes[VRT_FRAME_MAX_PLANES];
    size_t bytesused;     /* bytes of valid data over all planes (JPEG size for MJPEG) */
    int64_t timestamp_ns; /* ns, CLOCK_MONOTONIC: exposure/capture time */
    int ts_from_driver;   /* 1: timestamp came from the driver; 0: source's own clock */
    int64_t dequeue_ns;   /* ns, CLOCK_MONOTONIC: when the source handed it out */
    uint64_t sequence;    /* source's frame counter (V4L2 sequence, file frame index) */
    int64_t pts_ns;       /* presentation time in the stream (files), else -1 */
    vrt_memory memory;
    int buffer_index; /* driver/pool buffer index, -1 if none */
    /* Owner's fields: set by whoever creates the frame. */
    vrt_frame_release_fn release;
    void *release_ctx;
    int refs; /* atomic; use vrt_frame_ref/unref */
};

/* "YUYV", "UYVY", "NV12", "RGB24", "BGR24", "GREY", "MJPEG", or the raw fourcc chars. */
VRT_API const char *vrt_fourcc_name(uint32_t fourcc, char buf[8]);
/* Accepts the names above, "RGB", "BGR", "GRAY", "MJPG", and any 4-char code. 0 if invalid. */
VRT_API uint32_t vrt_fourcc_parse(const char *name);
/* 1 for the formats the library converts (all of the above but MJPEG). */
VRT_API int vrt_fourcc_is_raw(uint32_t fourcc);
/* Number of bytes a tightly packed frame of this format needs; 0 if unknown/invalid
 * (odd widths for 4:2:2, odd sizes for NV12). MJPEG: worst case w*h*3. */
VRT_API size_t vrt_frame_size_for(uint32_t fourcc, uint32_t width, uint32_t height);
/* Fills planes/strides of f for a tightly packed buffer at data. */
VRT_API vrt_status vrt_frame_layout(vrt_frame *f, uint32_t fourcc, uint32_t width, uint32_t height,
                                    uint8_t *data);

VRT_API void vrt_frame_ref(vrt_frame *f);
/* Drops a reference; NULL-safe; sets *f = NULL. */
VRT_API void vrt_frame_unref(vrt_frame **f);

/* ---- pool of frames with their own memory -------------------------------- */

typedef struct vrt_frame_pool vrt_frame_pool_t;

typedef struct vrt_frame_pool_params {
    uint32_t fourcc;
    uint32_t width, height;
    uint32_t count;     /* frames in the pool */
    size_t buffer_size; /* 0: vrt_frame_size_for(); larger for MJPEG etc. */
} vrt_frame_pool_params;

VRT_API void vrt_frame_pool_default_params(vrt_frame_pool_params *p);
/* On success *out owns the pool. Fails with VRT_EINVAL for bad formats/sizes. */
VRT_API vrt_status vrt_frame_pool_create(vrt_frame_pool_t **out, const vrt_frame_pool_params *p);
/* Takes a free frame (refs = 1) laid out for the pool's format; VRT_EAGAIN when all are in use.
 * The frame's metadata (timestamps, sequence) is reset. */
VRT_API vrt_status vrt_frame_pool_get(vrt_frame_pool_t *pool, vrt_frame **out);
VRT_API uint32_t vrt_frame_pool_free_count(vrt_frame_pool_t *pool);
/* NULL-safe; sets *pool = NULL. Frames still referenced keep the pool alive until released. */
VRT_API void vrt_frame_pool_destroy(vrt_frame_pool_t **pool);

#ifdef __cplusplus
}
#endif
#endif
