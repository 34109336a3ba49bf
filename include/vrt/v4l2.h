/*
 * vrt/v4l2.h - V4L2 cameras: the system-call table, device probing and listing.
 *
 * Capture itself goes through the generic source API (vrt/source.h) with a
 * "v4l2:/dev/videoN?..." URI (or a plain /dev/videoN path). Query keys:
 *   width=, height=, fps= (number or N/D), format= (YUYV, MJPG, NV12, ...),
 *   buffers= (driver buffers, >= 2, default 3), mode=newest|all,
 *   reconnect=0|1, io=mmap|userptr.
 * The driver may adjust the size and the rate: the source logs that at info
 * level and reports the values really in use in vrt_source_info. A raw format
 * (YUYV, UYVY, NV12, RGB24, BGR24, GREY) the device does not offer, on a
 * device that offers MJPG, is captured as MJPG and decoded on the CPU
 * (libjpeg-turbo) into frames from a pool made at open, one per driver
 * buffer: info.fourcc is the decoded format, info.device_fourcc MJPG, and an
 * info-level log line says so. Each driver buffer is re-queued right after
 * decoding; a JPEG that does not decode is counted in stats.errors (and
 * stats.dropped) and skipped. format=MJPG delivers the JPEGs as they are.
 * Any other format the device does not offer fails with a message that
 * lists the ones it does.
 *
 * Every system call the V4L2 code makes goes through a struct vrt_v4l2_ops,
 * so tests can plug in a fake device (tests/lib/fake_v4l2.h). Each function
 * behaves like the system call of the same name: it returns -1 (MAP_FAILED
 * for mmap) and sets errno on failure. NULL ops everywhere means
 * vrt_v4l2_system_ops().
 *
 * Probing describes a device as plain C structs (no V4L2 types): identity,
 * capabilities, formats -> frame sizes -> frame intervals, controls with
 * their menu items, and the current format and rate. The CLI prints them.
 *
 * Reads on a V4L2 source answer VRT_OK, VRT_EAGAIN (no frame within the
 * timeout, or every buffer is held by the caller), or VRT_ENODEV (unplugged).
 * With reconnect=1 each later read that finds the device gone makes at most
 * one reopen attempt, spaced by a back-off of 100 ms doubling to 2 s, and
 * answers VRT_ENODEV until one succeeds (stats.reconnects counts successes).
 *
 * Frames handed out by a V4L2 source are the driver buffers themselves
 * (decoded MJPG: pool frames): unref them promptly, the last unref re-queues
 * the buffer (returns the pool frame).
 *
 * Threading: probe/list are reentrant. An ops table must be safe to call
 * from the thread that reads the source and from threads that unref frames.
 */
#ifndef VRT_V4L2_H
#define VRT_V4L2_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "vrt/export.h"
#include "vrt/source.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- system-call table --------------------------------------------------- */

struct vrt_v4l2_ops {
    /* Like open(2); flags are O_RDWR | O_NONBLOCK etc. Returns an fd or -1. */
    int (*open)(void *ctx, const char *path, int flags);
    int (*close)(void *ctx, int fd);
    /* Like ioctl(2) with a pointer argument (VIDIOC_*). */
    int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
    /* Like mmap(2); returns MAP_FAILED ((void *)-1) on failure. */
    void *(*mmap)(void *ctx, void *addr, size_t length, int prot, int flags, int fd, int64_t offset);
    int (*munmap)(void *ctx, void *addr, size_t length);
    /* Like poll(2). timeout_ms: -1 forever. */
    int (*poll)(void *ctx, struct pollfd *fds, unsigned long nfds, int timeout_ms);
    void *ctx; /* passed as the first argument of every function above */
};

/* The real system calls (static table, never freed). */
VRT_API const struct vrt_v4l2_ops *vrt_v4l2_system_ops(void);

/* ---- probing --------------------------------------------------------------- */

/* A frame interval in seconds = num / den (1/30 is 30 fps). */
typedef struct vrt_v4l2_fract {
    uint32_t num, den;
} vrt_v4l2_fract;

typedef enum vrt_v4l2_size_kind {
    VRT_V4L2_SIZE_DISCRETE = 1,
    VRT_V4L2_SIZE_STEPWISE = 2,
    VRT_V4L2_SIZE_CONTINUOUS = 3, /* stepwise with step 1 */
} vrt_v4l2_size_kind;

typedef struct vrt_v4l2_frame_size {
    vrt_v4l2_size_kind kind;
    uint32_t width, height;                       /* DISCRETE */
    uint32_t min_width, max_width, step_width;    /* STEPWISE/CONTINUOUS */
    uint32_t min_height, max_height, step_height; /* STEPWISE/CONTINUOUS */
    /* Frame intervals for this size (DISCRETE sizes only; stepwise sizes are
     * queried at their maximum). intervals_kind uses the same enum: DISCRETE
     * fills intervals[], STEPWISE/CONTINUOUS fill interval_min/max/step. */
    vrt_v4l2_size_kind intervals_kind; /* 0 if the driver lists none */
    int num_intervals;
    vrt_v4l2_fract *intervals; /* owned by the device struct */
    vrt_v4l2_fract interval_min, interval_max, interval_step;
} vrt_v4l2_frame_size;

typedef struct vrt_v4l2_format {
    uint32_t fourcc;      /* V4L2_PIX_FMT_* == VRT_FMT_* where both exist */
    char description[32]; /* driver's text, e.g. "YUYV 4:2:2" */
    int compressed;       /* 1 for MJPG, H264, ... */
    int emulated;         /* 1 if libv4l emulates it (never for direct V4L2 access) */
    int num_sizes;
    vrt_v4l2_frame_size *sizes; /* owned by the device struct */
} vrt_v4l2_format;

typedef struct vrt_v4l2_menu_item {
    uint32_t index;
    char name[32]; /* for MENU controls */
    int64_t value; /* for INTEGER_MENU controls */
} vrt_v4l2_menu_item;

typedef struct vrt_v4l2_control {
    vrt_control c; /* id, name, key, type, range, default, current value, flags */
    int num_menu;
    vrt_v4l2_menu_item *menu; /* owned by the device struct; only valid indices */
} vrt_v4l2_control;

typedef struct vrt_v4l2_device {
    char path[256];
    char driver[32];
    char card[64];
    char bus_info[64];
    uint32_t version;      /* kernel/driver version, KERNEL_VERSION() encoding */
    uint32_t capabilities; /* V4L2_CAP_* of the physical device */
    uint32_t device_caps;  /* V4L2_CAP_* of this node (== capabilities if the driver has none) */
    int is_capture;        /* 1 if this node does single-planar video capture */
    int has_streaming;     /* 1 if it supports streaming I/O (mmap/userptr) */
    int has_readwrite;

    int num_formats;
    vrt_v4l2_format *formats;
    int num_controls;
    vrt_v4l2_control *controls;

    /* Current state (G_FMT / G_PARM); zero if the driver refused. */
    uint32_t cur_fourcc, cur_width, cur_height;
    uint32_t cur_bytesperline, cur_sizeimage;
    vrt_v4l2_fract cur_interval; /* {0,0} if unknown */
    double cur_fps;              /* den/num, 0 if unknown */
    int can_set_fps;             /* V4L2_CAP_TIMEPERFRAME */
} vrt_v4l2_device;

/* Opens path through ops (NULL: system calls), queries everything above and
 * closes it again. On success *out owns a new device (free with
 * vrt_v4l2_device_free). On failure *out is NULL, err (may be NULL) gets a
 * message naming the path and the reason, and the status is VRT_ENOENT (no
 * such node), VRT_EACCES (permission: add the user to group 'video'),
 * VRT_EBUSY, VRT_ENOTSUP (not a V4L2 node), or another errno-based code.
 * Non-capture nodes (metadata, output) still probe successfully, with
 * is_capture = 0 and no formats. */
VRT_API vrt_status vrt_v4l2_probe(const char *path, const struct vrt_v4l2_ops *ops, vrt_v4l2_device **out,
                                  char *err, size_t cap);
/* NULL-safe; sets *dev = NULL. */
VRT_API void vrt_v4l2_device_free(vrt_v4l2_device **dev);

/* Finds capture devices by trying /dev/video0 ... /dev/video63 through
 * ops->open (so an LD_PRELOAD fake device shows up) and probing those that
 * open and are capture nodes. On success *out is an array of *count probed
 * devices in path order (NULL and 0 if there are none: still VRT_OK), freed
 * with vrt_v4l2_list_free. Nodes that exist but cannot be probed (busy,
 * permission) are skipped with a warning log naming them. */
VRT_API vrt_status vrt_v4l2_list(const struct vrt_v4l2_ops *ops, vrt_v4l2_device ***out, int *count,
                                 char *err, size_t cap);
/* NULL-safe; frees every device and the array; sets *list = NULL. */
VRT_API void vrt_v4l2_list_free(vrt_v4l2_device ***list, int count);

/* Static name of a V4L2_CAP_* bit ("video_capture", "streaming", ...), NULL if unknown. */
VRT_API const char *vrt_v4l2_cap_name(uint32_t cap_bit);

#ifdef __cplusplus
}
#endif
#endif
