/*
 * fake_v4l2.h - a fake V4L2 capture "kernel" behind struct vrt_v4l2_ops.
 *
 * Emulates what the capture code relies on: QUERYCAP, ENUM_FMT,
 * ENUM_FRAMESIZES (discrete), ENUM_FRAMEINTERVALS (discrete), G/S/TRY_FMT
 * (unsupported sizes adjusted to the nearest one, unsupported formats to the
 * first one, as drivers do), G/S_PARM, QUERYCTRL (+NEXT_CTRL), QUERYMENU,
 * G/S_CTRL, and the vb2 buffer queue: REQBUFS/QUERYBUF/QBUF/DQBUF/
 * STREAMON/STREAMOFF for MMAP and USERPTR, with the kernel's errors (EINVAL
 * for bad index/type/memory, EBUSY when reallocating while streaming or
 * mapped, or from another file handle, EAGAIN on non-blocking DQBUF with
 * nothing done), poll (POLLERR when not streaming or nothing is queued).
 *
 * Frames are produced in real time at the set rate: frame k is complete at
 * t0 + k * period (t0 = STREAMON time) and stamped with that CLOCK_MONOTONIC
 * time (flag TIMESTAMP_MONOTONIC). A frame that finds no queued buffer is
 * lost and its sequence number is still used. In manual mode, time only
 * moves when the test calls vrt_fake_v4l2_advance(), and poll never sleeps.
 *
 * Pixel content: every frame carries its sequence number: 8 bytes little-
 * endian at offset 0 and again in the last 8 bytes of bytesused (raw formats),
 * or inside a JPEG COM segment right after SOI (MJPG). Read it back with
 * vrt_fake_v4l2_frame_seq(). Raw frames are grey 16 + seq % 200 otherwise.
 * MJPG frames are real JPEGs, like a UVC camera's: each produced frame is
 * encoded with the image layer (vrt_jpeg_encode, quality 90, lower if the
 * buffer is too small) from an RGB24 picture of grey 16 + seq % 200 with the
 * synthetic source's number code at the top (vrt_synthetic_encode_number), so
 * a decoded frame gives its sequence back through vrt_synthetic_decode_number.
 * bytesused is the JPEG size. (The LD_PRELOAD build, without libvrt, encodes
 * with libjpeg directly a flat grey 16 + seq % 200 picture without the code.)
 *
 * Faults: unplug now or after N produced frames (every call on open fds then
 * fails with ENODEV, poll reports POLLERR|POLLHUP, open fails with ENOENT until
 * vrt_fake_v4l2_replug), EIO on the next N DQBUFs, corrupt MJPG frames (the
 * JPEG cut short mid-scan and closed with EOI, COM segment intact, so the
 * frame still names its sequence but does not decode).
 *
 * File descriptors are real numbers reserved by opening /dev/null, so they
 * never clash with the process's other fds (needed for the LD_PRELOAD build).
 *
 * Environment (vrt_fake_v4l2_from_env, used by the LD_PRELOAD library):
 *   VRT_FAKE_V4L2="DEV[ DEV...]" with DEV = PATH:FORMATS:SIZES:FPS[:OPTS]
 *     (devices separated by spaces, '|' or ';' - not ';' inside CMake lists)
 *     FORMATS  comma list of YUYV, MJPG, NV12, UYVY, GREY
 *     SIZES    comma list of WxH (all formats offer all sizes)
 *     FPS      comma list of integer rates (all sizes offer all rates)
 *     OPTS     comma list of: unplug_after=N, eio_at=N (EIO on the Nth DQBUF),
 *              eio_run=N (N EIOs in a row from eio_at), stall_after=N (no frame
 *              after N since each STREAMON: a stalled camera, recovered by a reopen),
 *              short_every=N / over_every=N (frames with sequence N, 2N, ... report
 *              half their bytesused / more bytes than the buffer holds),
 *              replug_every=N (unplugged after every N frames, replugged 50 ms
 *              later at the next open: unplug/replug cycles),
 *              corrupt_every=N (MJPG frames with sequence N, 2N, ... are corrupt),
 *              no_streaming, not_capture, ts_unknown
 *   e.g. VRT_FAKE_V4L2="/dev/video0:YUYV,MJPG:640x480,1280x720:30,15"
 *   The first size/format/rate is the device's initial state.
 *
 * Threading: every entry point takes the fake's mutex (poll sleeps unlocked).
 */
#ifndef VRT_FAKE_V4L2_H
#define VRT_FAKE_V4L2_H

#include <stdint.h>

#include "vrt/v4l2.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VRT_FAKE_MAX_FORMATS 6
#define VRT_FAKE_MAX_SIZES 8
#define VRT_FAKE_MAX_RATES 6

typedef struct vrt_fake_v4l2 vrt_fake_v4l2;

typedef struct vrt_fake_v4l2_config {
    char path[64];   /* "/dev/video0" */
    char driver[16]; /* default "vrt_fake" */
    char card[32];   /* default "Fake Camera" */
    int num_formats;
    uint32_t formats[VRT_FAKE_MAX_FORMATS]; /* VRT_FMT_* */
    int num_sizes;
    uint32_t sizes[VRT_FAKE_MAX_SIZES][2]; /* width, height */
    int num_rates;
    uint32_t rates[VRT_FAKE_MAX_RATES]; /* fps */
    int no_streaming;                   /* QUERYCAP without V4L2_CAP_STREAMING */
    int not_capture;                    /* a metadata node: no VIDEO_CAPTURE */
    int ts_unknown;                     /* buffers flagged TIMESTAMP_UNKNOWN instead of MONOTONIC */
    int manual_time;                    /* frames only appear through vrt_fake_v4l2_advance() */
    int64_t unplug_after;               /* >0: unplug once this many frames were produced */
    int64_t corrupt_every;              /* >0: MJPG frames with sequence N, 2N, 3N, ... are corrupt JPEGs */
} vrt_fake_v4l2_config;

/* Fills a YUYV+MJPG, 640x480+1280x720+320x240, 30+15 fps config for path. */
void vrt_fake_v4l2_default_config(vrt_fake_v4l2_config *c, const char *path);

vrt_fake_v4l2 *vrt_fake_v4l2_create(void);
void vrt_fake_v4l2_destroy(vrt_fake_v4l2 **k);
/* Adds a device node; 0 on success, -1 if full (8 devices) or duplicate. */
int vrt_fake_v4l2_add(vrt_fake_v4l2 *k, const vrt_fake_v4l2_config *c);
/* Adds devices from a VRT_FAKE_V4L2-style spec; 0 on success, -1 on a parse error. */
int vrt_fake_v4l2_add_spec(vrt_fake_v4l2 *k, const char *spec);
/* The ops table for vrt_source_params.v4l2_ops / vrt_v4l2_probe; lives as long as k. */
const struct vrt_v4l2_ops *vrt_fake_v4l2_ops(vrt_fake_v4l2 *k);
/* 1 if path is one of k's device nodes (present or unplugged). */
int vrt_fake_v4l2_has_path(vrt_fake_v4l2 *k, const char *path);
/* 1 if fd is an open fd of k. */
int vrt_fake_v4l2_owns_fd(vrt_fake_v4l2 *k, int fd);
/* 1 if addr is the start of a buffer k handed out through mmap. */
int vrt_fake_v4l2_owns_mem(vrt_fake_v4l2 *k, const void *addr);

/* ---- test controls (path names the device) ---- */
/* Manual time: produce the next n frames now (their timestamps are still t0 + k * period). */
void vrt_fake_v4l2_advance(vrt_fake_v4l2 *k, const char *path, int n);
void vrt_fake_v4l2_unplug(vrt_fake_v4l2 *k, const char *path);
void vrt_fake_v4l2_unplug_after(vrt_fake_v4l2 *k, const char *path, int64_t frames);
/* The device re-appears (new opens work; old fds stay dead). */
void vrt_fake_v4l2_replug(vrt_fake_v4l2 *k, const char *path);
/* The next n DQBUFs that would succeed fail with EIO instead (buffer stays done). */
void vrt_fake_v4l2_fail_dqbuf(vrt_fake_v4l2 *k, const char *path, int n);
/* The next n MJPG frames filled into buffers are corrupt (see Faults above). */
void vrt_fake_v4l2_corrupt_jpeg(vrt_fake_v4l2 *k, const char *path, int n);

typedef struct vrt_fake_v4l2_state {
    int64_t produced;       /* frames produced since the last STREAMON (sequence numbers used) */
    int64_t lost;           /* of those, frames that found no queued buffer */
    int64_t produced_total; /* over all streams of this device */
    int num_buffers;
    int queued;   /* buffers queued, waiting to be filled */
    int done;     /* filled, waiting for DQBUF */
    int dequeued; /* owned by user space */
    int streaming;
    int unplugged;
    int open_fds;
    int opens_total; /* successful opens so far */
    int dqbuf_ok;    /* successful DQBUFs so far */
    uint32_t fourcc, width, height, bytesperline, sizeimage;
    uint32_t interval_num, interval_den;
    int64_t t0_ns; /* CLOCK_MONOTONIC of the last STREAMON */
    int64_t period_ns;
} vrt_fake_v4l2_state;
void vrt_fake_v4l2_get_state(vrt_fake_v4l2 *k, const char *path, vrt_fake_v4l2_state *st);
/* Timestamp (ns, CLOCK_MONOTONIC) the device gave frame seq of the current stream. */
int64_t vrt_fake_v4l2_frame_time(vrt_fake_v4l2 *k, const char *path, uint64_t seq);
/* Value of a control by id; INT64_MIN if unknown. */
int64_t vrt_fake_v4l2_control(vrt_fake_v4l2 *k, const char *path, uint32_t id);

/* Sequence number encoded in a frame's pixels; UINT64_MAX if absent/corrupt. */
uint64_t vrt_fake_v4l2_frame_seq(const uint8_t *data, size_t bytesused, uint32_t fourcc);

/* Creates a fake from $VRT_FAKE_V4L2; NULL if unset or malformed (message on stderr). */
vrt_fake_v4l2 *vrt_fake_v4l2_from_env(void);

#ifdef __cplusplus
}
#endif
#endif
