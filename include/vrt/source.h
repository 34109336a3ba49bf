/*
 * vrt/source.h - frame sources behind one interface.
 *
 * A source is opened from a URI or a plain path:
 *   /dev/videoN, v4l2:/dev/videoN?width=&height=&fps=&format=&buffers=&mode=newest|all&reconnect=1
 *   file:PATH or PATH (mp4, mkv, avi, ... via FFmpeg) ?pace=native|none&loop=1&format=
 *   rtsp://..., http(s)://...                (FFmpeg network streams; our keys after '#')
 *   H.264/HEVC in any of these (and raw .h264/.h265 streams): ?decode=auto|nvdec|cpu picks the
 *   GPU's video decoder (NVDEC, NV12 frames in page-locked memory) or FFmpeg's; auto follows
 *   vrt_source_params.decode.
 *   image:PATH  (a file, a folder or a glob; JPEG/PNG) ?fps=&loop=1&format=
 *   synthetic:?width=&height=&fps=&format=&frames=   (moving pattern, frame number in pixels)
 * Query values override the params struct. Unknown keys are an error that
 * lists the keys the source understands.
 *
 * Lifecycle (after v4l-utils: open, init buffers, start, loop, stop, uninit,
 * close):
 *   open       opens the device/file and negotiates format, size and rate;
 *              vrt_source_get_info() tells what was granted.
 *   configure  optional, while stopped: where frames go (capture buffers
 *              supplied by the consumer, e.g. page-locked model inputs, or
 *              the driver's own) and the delivered format (compressed MJPEG
 *              decoded to a raw format in the capture layer).
 *   start      allocates/binds the buffers (V4L2: REQBUFS, QUERYBUF, mmap)
 *              and starts streaming; info.buffers and the timestamp flags are
 *              final from here.
 *   read ...   read() hands out one frame reference; unref it when done (for
 *              V4L2 that re-queues the driver buffer, so hold frames briefly).
 *   stop       stops streaming; buffers are kept for the next start (a new
 *              configure releases them once no frame is held).
 *   destroy    stops if needed, releases everything (frames still held stay
 *              valid until unref'd).
 * Changing the buffers never closes the device: a configure between stop and
 * start re-binds them on the same open file.
 *
 * read() answers VRT_OK (a frame), VRT_EAGAIN (no frame within timeout),
 * VRT_EOF (end of a file / image list without loop), VRT_ENODEV (device
 * unplugged; with reconnect=1 the next reads try to reopen with back-off).
 *
 * Threading: one thread drives a source; vrt_source_stats() may be read
 * from another (values are updated atomically, one field at a time).
 */
#ifndef VRT_SOURCE_H
#define VRT_SOURCE_H

#include "vrt/export.h"
#include "vrt/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vrt_source vrt_source_t;
struct vrt_v4l2_ops; /* vrt/v4l2.h */

typedef enum vrt_capture_mode {
    VRT_MODE_NEWEST = 0, /* hand over the newest ready frame, drop (and count) older ones */
    VRT_MODE_ALL = 1,    /* hand over every frame in order */
} vrt_capture_mode;

/* Which decoder takes H.264/HEVC files and streams when the URI says decode=auto or nothing. */
typedef enum vrt_decode_mode {
    VRT_DECODE_AUTO = 0,  /* NVDEC where the driver loads and it takes the stream, else FFmpeg */
    VRT_DECODE_CPU = 1,   /* FFmpeg's software decoders (what CPU pipelines use) */
    VRT_DECODE_NVDEC = 2, /* NVDEC, or an error that says why not */
} vrt_decode_mode;

typedef struct vrt_source_params {
    uint32_t fourcc;        /* wanted output format; 0: the source's native/default */
    uint32_t width, height; /* 0: source default (cameras: driver's current; files: native) */
    double fps;             /* 0: default (cameras: driver's current; files: native; images/synthetic: 30) */
    int buffers;            /* V4L2 driver buffers (>= 2); 0: 3 */
    vrt_capture_mode mode;  /* default NEWEST for cameras; files always deliver all frames */
    int pace;               /* files: 1 = at native rate, 0 = as fast as possible (default 0) */
    int loop;               /* files/images: restart at the end instead of VRT_EOF */
    int reconnect;          /* V4L2: reopen after unplug, with back-off */
    int64_t max_frames;     /* synthetic: end (VRT_EOF) after this many; 0: endless */
    int use_userptr;        /* V4L2: USERPTR streaming (buffers the source allocates, or the
                               consumer's given with vrt_source_configure) instead of mmap */
    const struct vrt_v4l2_ops *v4l2_ops; /* NULL: the real system calls */
    vrt_decode_mode decode; /* files/streams: decode=auto (or none) in the URI means this; decode=cpu
                               or decode=nvdec in the URI wins. Pipelines set CPU on the cpu backend */
} vrt_source_params;

typedef struct vrt_source_info {
    char kind[16];   /* "v4l2", "file", "stream", "image", "synthetic" */
    char name[256];  /* device path, file path, URL, ... */
    char driver[64]; /* V4L2 driver or FFmpeg codec name, "" if none */
    uint32_t fourcc; /* format of delivered frames */
    uint32_t width, height;
    double fps;               /* nominal rate; 0 if unknown */
    int64_t frame_count;      /* files: frames in the stream if known, else -1 */
    int driver_timestamps;    /* 1 if frames carry driver timestamps */
    int monotonic_timestamps; /* 1 if the timestamps are CLOCK_MONOTONIC */
    int buffers;              /* driver buffers in use (V4L2: as requested until start grants them) */
    vrt_capture_mode mode;
    uint32_t device_fourcc; /* V4L2: format the device delivers (MJPG while visionrt decodes it
                               to `fourcc` on the CPU); 0 for other sources */
} vrt_source_info;

typedef struct vrt_source_stats {
    uint64_t delivered; /* frames handed out by read() */
    uint64_t dropped;   /* frames the device produced that nobody got (sequence gaps + newest-mode skips) */
    uint64_t requeued;  /* newest mode: older ready buffers re-queued unseen */
    uint64_t errors;    /* recoverable errors (EIO, corrupt frames skipped) */
    uint64_t reconnects;
} vrt_source_stats;

VRT_API void vrt_source_default_params(vrt_source_params *p);
/* Opens (but does not start) the source. On failure *out is NULL and err (may
 * be NULL) gets a one-line message naming the thing and what would work. */
VRT_API vrt_status vrt_source_open(vrt_source_t **out, const char *uri, const vrt_source_params *p, char *err,
                                   size_t err_cap);
/* The configure step (between open and start, or after stop). */
typedef struct vrt_source_config {
    /* 0: deliver what the source was opened for. A raw format (VRT_FMT_RGB24, YUYV, ...): a source
     * delivering compressed MJPEG frames has them decoded to it on the CPU (libjpeg-turbo) before read()
     * hands them out, into frames from a pool sized at start; one already delivering it is unchanged.
     * Anything else is VRT_ENOTSUP. */
    uint32_t fourcc;
    /* Capture buffers supplied by the consumer (V4L2: USERPTR streaming straight into them), `count`
     * (>= 2) of `size` bytes each, owned by the caller and kept alive until the source is destroyed or
     * configured again. NULL: the driver's (or the source's) own buffers. Sources that cannot capture
     * into caller memory answer VRT_ENOTSUP. */
    void *const *buffers;
    int count;
    size_t size;
} vrt_source_config;

VRT_API void vrt_source_default_config(vrt_source_config *c);
/* Replaces the configuration. Only while stopped (VRT_EBUSY when started, or when frames captured into
 * the previous buffers are still held). Buffers are checked at start (size against the negotiated
 * format; a driver without USERPTR fails start with VRT_ENOTSUP and a message), so a consumer can fall
 * back with another configure and start, without reopening the device. */
VRT_API vrt_status vrt_source_configure(vrt_source_t *s, const vrt_source_config *c);
VRT_API vrt_status vrt_source_start(vrt_source_t *s);
/* timeout_ms: -1 waits forever, 0 polls. On VRT_OK *out holds one reference. */
VRT_API vrt_status vrt_source_read(vrt_source_t *s, vrt_frame **out, int timeout_ms);
VRT_API vrt_status vrt_source_stop(vrt_source_t *s);
/* NULL-safe; stops if needed; sets *s = NULL. Frames still held stay valid
 * until unref'd (their memory is released then). */
VRT_API void vrt_source_destroy(vrt_source_t **s);

VRT_API void vrt_source_get_info(const vrt_source_t *s, vrt_source_info *info);
VRT_API void vrt_source_get_stats(const vrt_source_t *s, vrt_source_stats *st);
/* Detail of the last failure on this handle ("" if none). Valid until the next call. */
VRT_API const char *vrt_source_last_error(const vrt_source_t *s);

/* ---- controls (V4L2; other sources have none) ---------------------------- */

typedef enum vrt_control_type {
    VRT_CTRL_INT = 1,
    VRT_CTRL_BOOL = 2,
    VRT_CTRL_MENU = 3,
    VRT_CTRL_BUTTON = 4,
    VRT_CTRL_INT64 = 5,
    VRT_CTRL_OTHER = 0,
} vrt_control_type;

typedef struct vrt_control {
    uint32_t id;
    char name[32]; /* driver's name, e.g. "Exposure Time, Absolute" */
    char key[32];  /* v4l2-ctl style key, e.g. "exposure_time_absolute" */
    vrt_control_type type;
    int64_t min, max, step, def, value;
    int flags; /* VRT_CTRL_FLAG_* */
} vrt_control;

#define VRT_CTRL_FLAG_DISABLED 1
#define VRT_CTRL_FLAG_READ_ONLY 2
#define VRT_CTRL_FLAG_INACTIVE 4

/* Fills up to cap controls, *n gets the total. VRT_ENOTSUP for sources without controls. */
VRT_API vrt_status vrt_source_controls(vrt_source_t *s, vrt_control *ctrls, int cap, int *n);
/* name: key ("exposure_time_absolute", "gain", ...) or driver name, case-insensitive. */
VRT_API vrt_status vrt_source_control_get(vrt_source_t *s, const char *name, int64_t *value);
VRT_API vrt_status vrt_source_control_set(vrt_source_t *s, const char *name, int64_t value);

#ifdef __cplusplus
}
#endif
#endif
