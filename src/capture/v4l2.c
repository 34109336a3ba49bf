/* V4L2 capture source, device probing and listing.
 *
 * Structure: a source owns at most one "stream" (one open of the device node
 * with its buffers). Frames handed out point into the stream's buffers and
 * hold a reference on it, so an unplug, a reconnect or destroying the source
 * never frees memory a caller still reads; the last reference unmaps and
 * closes. Capture loop after v4l-utils: every ioctl retried on EINTR, EAGAIN
 * from DQBUF means "no frame yet".
 *
 * Lifecycle after v4l-utils: open + configure at vrt_source_open (QUERYCAP,
 * S_FMT, S_PARM: connect_dev), buffers at start (REQBUFS, QUERYBUF, mmap or
 * the consumer's USERPTR buffers: bufs_init), STREAMON/OFF at start/stop,
 * buffers released (bufs_release) when the consumer configures other ones or
 * the last frame of the stream is gone, close last. So binding consumer
 * buffers never reopens the device.
 *
 * MJPG cameras: when the caller asks for a raw format the device does not
 * offer but it offers MJPG (most UVC webcams above 640x480), the stream runs
 * in MJPG and the capture layer's one decoder (decode.c) turns each frame
 * handed out into the raw format; the driver buffer goes back right after. */
#include "source-impl.h"
#include "vrt/image.h"
#include "vrt/v4l2.h"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define V4L2_MAX_BUF 32
#define V4L2_MAX_CTRLS 128
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* With reconnect=1, a streaming device that delivers nothing for this long
 * (or 4 frame periods, if longer) is reopened like an unplugged one: a
 * stalled UVC camera often recovers only through a new open. Shorter than
 * the pipeline's default frame timeout (5 s), which would end the stream. */
#define STALL_MIN_MS 2000

/* ---- system ops ------------------------------------------------------------ */

static int sys_open(void *ctx, const char *path, int flags) {
    return open(path, flags, 0);
}
static int sys_close(void *ctx, int fd) {
    return close(fd);
}
static int sys_ioctl(void *ctx, int fd, unsigned long req, void *arg) {
    return ioctl(fd, req, arg);
}
static void *sys_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, int64_t off) {
    return mmap(addr, len, prot, flags, fd, (off_t)off);
}
static int sys_munmap(void *ctx, void *addr, size_t len) {
    return munmap(addr, len);
}
static int sys_poll(void *ctx, struct pollfd *fds, unsigned long n, int timeout_ms) {
    return poll(fds, (nfds_t)n, timeout_ms);
}

static const struct vrt_v4l2_ops k_sys_ops = {sys_open,   sys_close, sys_ioctl, sys_mmap,
                                              sys_munmap, sys_poll,  NULL};

const struct vrt_v4l2_ops *vrt_v4l2_system_ops(void) {
    return &k_sys_ops;
}

static int xioctl(const struct vrt_v4l2_ops *ops, int fd, unsigned long req, void *arg) {
    int r;
    do {
        r = ops->ioctl(ops->ctx, fd, req, arg);
    } while (r < 0 && errno == EINTR);
    return r;
}

/* Four characters of a fourcc as V4L2 tools print them ("YUYV", "MJPG"). */
static const char *cc4(uint32_t cc, char b[8]) {
    for (int i = 0; i < 4; i++) {
        char c = (char)((cc >> (8 * i)) & 0xff);
        b[i] = (c >= 32 && c < 127) ? c : '?';
    }
    b[4] = 0;
    while (b[0] && b[strlen(b) - 1] == ' ')
        b[strlen(b) - 1] = 0;
    return b;
}

/* v4l2-ctl's name2var(): lower-case words joined by '_'. */
static void ctrl_key(const char *name, char *key, size_t cap) {
    size_t n = 0;
    int under = 0;
    for (; *name && n + 2 < cap; name++) {
        char c = *name;
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (alnum) {
            if (under) key[n++] = '_';
            under = 0;
            key[n++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        } else if (n) {
            under = 1;
        }
    }
    key[n] = 0;
}

static vrt_control_type ctrl_type(uint32_t t) {
    switch (t) {
    case V4L2_CTRL_TYPE_INTEGER: return VRT_CTRL_INT;
    case V4L2_CTRL_TYPE_BOOLEAN: return VRT_CTRL_BOOL;
    case V4L2_CTRL_TYPE_MENU:
    case V4L2_CTRL_TYPE_INTEGER_MENU: return VRT_CTRL_MENU;
    case V4L2_CTRL_TYPE_BUTTON: return VRT_CTRL_BUTTON;
    case V4L2_CTRL_TYPE_INTEGER64: return VRT_CTRL_INT64;
    default: return VRT_CTRL_OTHER;
    }
}

static int read_ctrl_value(const struct vrt_v4l2_ops *ops, int fd, uint32_t id, uint32_t type, int64_t *v) {
    if (type == V4L2_CTRL_TYPE_INTEGER64) {
        struct v4l2_ext_control ec = {.id = id};
        struct v4l2_ext_controls ecs = {.which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &ec};
        if (xioctl(ops, fd, VIDIOC_G_EXT_CTRLS, &ecs) < 0) return -1;
        *v = ec.value64;
        return 0;
    }
    struct v4l2_control c = {.id = id};
    if (xioctl(ops, fd, VIDIOC_G_CTRL, &c) < 0) return -1;
    *v = c.value;
    return 0;
}

/* Enumerates the controls of fd into out[0..cap) (menus too when with_menus);
 * returns the total found. Control classes and disabled controls are skipped. */
static int enum_controls(const struct vrt_v4l2_ops *ops, int fd, vrt_v4l2_control *out, int cap,
                         int with_menus) {
    int n = 0;
    struct v4l2_queryctrl q;
    memset(&q, 0, sizeof(q));
    q.id = V4L2_CTRL_FLAG_NEXT_CTRL;
    int use_next = xioctl(ops, fd, VIDIOC_QUERYCTRL, &q) == 0;
    uint32_t legacy_id = V4L2_CID_BASE;
    for (int guard = 0; guard < 4096; guard++) {
        if (!use_next) {
            /* Old drivers without NEXT_CTRL: walk the user-class range, then private ids. */
            if (legacy_id == V4L2_CID_LASTP1) legacy_id = V4L2_CID_PRIVATE_BASE;
            memset(&q, 0, sizeof(q));
            q.id = legacy_id++;
            if (xioctl(ops, fd, VIDIOC_QUERYCTRL, &q) < 0) {
                if (legacy_id > V4L2_CID_PRIVATE_BASE) break;
                continue;
            }
        } else if (guard > 0) {
            q.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
            if (xioctl(ops, fd, VIDIOC_QUERYCTRL, &q) < 0) break;
        }
        if (q.type == V4L2_CTRL_TYPE_CTRL_CLASS || (q.flags & V4L2_CTRL_FLAG_DISABLED)) continue;
        if (n < cap && out) {
            vrt_v4l2_control *c = &out[n];
            memset(c, 0, sizeof(*c));
            c->c.id = q.id;
            snprintf(c->c.name, sizeof(c->c.name), "%.*s", (int)sizeof(q.name), (const char *)q.name);
            ctrl_key(c->c.name, c->c.key, sizeof(c->c.key));
            c->c.type = ctrl_type(q.type);
            c->c.min = q.minimum;
            c->c.max = q.maximum;
            c->c.step = q.step;
            c->c.def = q.default_value;
            if (q.flags & V4L2_CTRL_FLAG_READ_ONLY) c->c.flags |= VRT_CTRL_FLAG_READ_ONLY;
            if (q.flags & V4L2_CTRL_FLAG_INACTIVE) c->c.flags |= VRT_CTRL_FLAG_INACTIVE;
            if (!(q.flags & V4L2_CTRL_FLAG_WRITE_ONLY) && c->c.type != VRT_CTRL_BUTTON &&
                c->c.type != VRT_CTRL_OTHER)
                read_ctrl_value(ops, fd, q.id, q.type, &c->c.value);
            if (with_menus && (q.type == V4L2_CTRL_TYPE_MENU || q.type == V4L2_CTRL_TYPE_INTEGER_MENU) &&
                q.maximum >= q.minimum && q.maximum - q.minimum < 256) {
                int cnt = (int)(q.maximum - q.minimum + 1);
                c->menu = vrt_calloc((size_t)cnt, sizeof(vrt_v4l2_menu_item));
                for (int i = 0; c->menu && i < cnt; i++) {
                    struct v4l2_querymenu m = {.id = q.id, .index = (uint32_t)(q.minimum + i)};
                    if (xioctl(ops, fd, VIDIOC_QUERYMENU, &m) < 0) continue; /* holes are normal */
                    vrt_v4l2_menu_item *it = &c->menu[c->num_menu++];
                    it->index = m.index;
                    if (q.type == V4L2_CTRL_TYPE_MENU)
                        snprintf(it->name, sizeof(it->name), "%.*s", (int)sizeof(m.name),
                                 (const char *)m.name);
                    else
                        it->value = m.value;
                }
            }
        }
        n++;
    }
    return n;
}

/* ---- the stream: one open of the device with its buffers --------------------- */

enum { SLOT_FREE = 0, SLOT_DRIVER = 1, SLOT_OUT = 2 };

typedef struct v4l2_stream v4l2_stream;

typedef struct v4l2_slot {
    vrt_frame frame;
    uint8_t *mem;
    size_t length;
    int state;
    int mapped;
    v4l2_stream *st;
} v4l2_slot;

struct v4l2_stream {
    const struct vrt_v4l2_ops *ops;
    int fd;
    _Atomic int refs; /* 1 for the source + 1 per frame out */
    /* Guards slot states and `streaming`: frames may be released from any thread. */
    pthread_mutex_t mu;
    int streaming;
    uint32_t memory;
    int nbufs; /* 0 until start allocates/binds the buffers */
    v4l2_slot slots[V4L2_MAX_BUF];
    void *own_userptr;                              /* USERPTR memory we allocated ourselves (one block) */
    uint32_t fourcc, width, height, bpl, sizeimage; /* what the device delivers */
    char who[280];
};

/* Unmaps and frees the buffers (the uninit step); no frame may be out. */
static void bufs_release(v4l2_stream *st) {
    for (int i = 0; i < st->nbufs; i++) {
        if (st->slots[i].mapped) st->ops->munmap(st->ops->ctx, st->slots[i].mem, st->slots[i].length);
        memset(&st->slots[i], 0, sizeof(st->slots[i]));
    }
    if (st->fd >= 0 && st->nbufs) {
        struct v4l2_requestbuffers r = {
            .count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = st->memory};
        xioctl(st->ops, st->fd, VIDIOC_REQBUFS, &r);
    }
    st->nbufs = 0;
    vrt_free(st->own_userptr);
    st->own_userptr = NULL;
}

static void stream_put(v4l2_stream *st) {
    if (atomic_fetch_sub_explicit(&st->refs, 1, memory_order_acq_rel) != 1) return;
    bufs_release(st);
    if (st->fd >= 0) st->ops->close(st->ops->ctx, st->fd);
    pthread_mutex_destroy(&st->mu);
    vrt_free(st);
}

/* Queues slot i; caller holds st->mu. */
static int qbuf_locked(v4l2_stream *st, int i) {
    v4l2_slot *sl = &st->slots[i];
    struct v4l2_buffer b;
    memset(&b, 0, sizeof(b));
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = st->memory;
    b.index = (uint32_t)i;
    if (st->memory == V4L2_MEMORY_USERPTR) {
        b.m.userptr = (unsigned long)sl->mem;
        b.length = (uint32_t)sl->length;
    }
    if (xioctl(st->ops, st->fd, VIDIOC_QBUF, &b) < 0) {
        sl->state = SLOT_FREE;
        return -1;
    }
    sl->state = SLOT_DRIVER;
    return 0;
}

static void slot_release(void *ctx, vrt_frame *f) {
    v4l2_slot *sl = ctx;
    v4l2_stream *st = sl->st;
    pthread_mutex_lock(&st->mu);
    if (st->streaming && st->fd >= 0)
        qbuf_locked(st, (int)(sl - st->slots));
    else
        sl->state = SLOT_FREE;
    pthread_mutex_unlock(&st->mu);
    stream_put(st);
}

static void set_planes(vrt_frame *f, uint32_t cc, uint32_t w, uint32_t h, uint32_t bpl, uint8_t *data,
                       size_t length) {
    f->fourcc = cc;
    f->width = w;
    f->height = h;
    memset(f->planes, 0, sizeof(f->planes));
    f->num_planes = 1;
    f->planes[0].data = data;
    f->planes[0].stride = bpl;
    f->planes[0].size = (uint32_t)(bpl ? (size_t)bpl * h : length);
    if (cc == VRT_FMT_NV12) {
        f->num_planes = 2;
        f->planes[1].data = data + (size_t)bpl * h;
        f->planes[1].stride = bpl;
        f->planes[1].size = bpl * h / 2;
    }
    if (f->planes[0].size > length) f->planes[0].size = (uint32_t)length;
}

/* ---- the source ------------------------------------------------------------ */

typedef struct v4l2_src {
    vrt_source_t *s;
    char path[256];
    char who[280];
    const struct vrt_v4l2_ops *ops;
    v4l2_stream *st;          /* NULL while disconnected */
    int userptr;              /* USERPTR streaming: into ubuf[] if nubuf, else into memory of our own */
    void *ubuf[V4L2_MAX_BUF]; /* consumer buffers (vrt_source_configure), kept for reconnects */
    int nubuf;
    size_t ubuf_size;
    int connected_once; /* info holds the format negotiated at open */
    int reconnect;
    int want_streaming; /* started by the user: a reconnect restarts streaming */
    int have_seq;
    uint32_t last_seq;
    int warned_ts;
    int backoff_ms;
    int64_t next_retry_ns;
    int attempts;
    int64_t last_frame_ns; /* a frame handed out, or streaming (re)started */
} v4l2_src;

#define ERR(src, ...) vrt_errbuf_set((src)->s->err, sizeof((src)->s->err), __VA_ARGS__)

static void stat_add(uint64_t *p, uint64_t v) {
    atomic_fetch_add_explicit((_Atomic uint64_t *)p, v, memory_order_relaxed);
}

static vrt_status errno_status(int e) {
    return vrt_status_from_errno(e);
}

/* "YUYV, MJPG" for the error messages. */
static void list_formats(const struct vrt_v4l2_ops *ops, int fd, char *out, size_t cap, uint32_t *ccs,
                         int *ncc, int maxcc) {
    size_t n = 0;
    out[0] = 0;
    *ncc = 0;
    for (uint32_t i = 0; i < 64; i++) {
        struct v4l2_fmtdesc d = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
        if (xioctl(ops, fd, VIDIOC_ENUM_FMT, &d) < 0) break;
        char b[8];
        if (*ncc < maxcc) ccs[(*ncc)++] = d.pixelformat;
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", i ? ", " : "", cc4(d.pixelformat, b));
        if (n >= cap) break;
    }
}

static void list_sizes(const struct vrt_v4l2_ops *ops, int fd, uint32_t cc, char *out, size_t cap) {
    size_t n = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < 64 && n < cap; i++) {
        struct v4l2_frmsizeenum e = {.index = i, .pixel_format = cc};
        if (xioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &e) < 0) break;
        if (e.type == V4L2_FRMSIZE_TYPE_DISCRETE)
            n += (size_t)snprintf(out + n, cap - n, "%s%ux%u", i ? ", " : "", e.discrete.width,
                                  e.discrete.height);
        else {
            snprintf(out + n, cap - n, "%ux%u..%ux%u", e.stepwise.min_width, e.stepwise.min_height,
                     e.stepwise.max_width, e.stepwise.max_height);
            break;
        }
    }
}

static void list_rates(const struct vrt_v4l2_ops *ops, int fd, uint32_t cc, uint32_t w, uint32_t h, char *out,
                       size_t cap) {
    size_t n = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < 64 && n < cap; i++) {
        struct v4l2_frmivalenum e = {.index = i, .pixel_format = cc, .width = w, .height = h};
        if (xioctl(ops, fd, VIDIOC_ENUM_FRAMEINTERVALS, &e) < 0 || e.type != V4L2_FRMIVAL_TYPE_DISCRETE)
            break;
        if (e.discrete.numerator)
            n += (size_t)snprintf(out + n, cap - n, "%s%g", i ? ", " : "",
                                  (double)e.discrete.denominator / e.discrete.numerator);
    }
}

/* The open step: opens the node and checks it is a streaming capture device.
 * On success *out is a stream without buffers. */
static vrt_status dev_open(v4l2_src *src, v4l2_stream **out) {
    vrt_source_t *s = src->s;
    const struct vrt_v4l2_ops *ops = src->ops;
    int fd = ops->open(ops->ctx, src->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENXIO || e == ENODEV)
            ERR(src, "%s: no such device (is the camera plugged in? `vrt probe` lists cameras)", src->path);
        else if (e == EACCES || e == EPERM)
            ERR(src, "%s: permission denied (add the user to group 'video')", src->path);
        else if (e == EBUSY)
            ERR(src, "%s: device busy (another program is using it)", src->path);
        else
            ERR(src, "%s: cannot open: %s", src->path, strerror(e));
        return e == ENXIO ? VRT_ENOENT : errno_status(e);
    }
    v4l2_stream *st = vrt_calloc(1, sizeof(*st));
    if (!st) {
        ops->close(ops->ctx, fd);
        ERR(src, "%s: out of memory", src->path);
        return VRT_ENOMEM;
    }
    st->ops = ops;
    st->fd = fd;
    atomic_store(&st->refs, 1);
    pthread_mutex_init(&st->mu, NULL);
    snprintf(st->who, sizeof(st->who), "%s", src->who);
    *out = st;

    struct v4l2_capability cap;
    memset(&cap, 0, sizeof(cap));
    if (xioctl(ops, fd, VIDIOC_QUERYCAP, &cap) < 0) {
        int e = errno;
        if (e == ENOTTY || e == EINVAL) {
            ERR(src, "%s: not a V4L2 device", src->path);
            return VRT_ENOTSUP;
        }
        ERR(src, "%s: VIDIOC_QUERYCAP failed: %s", src->path, strerror(e));
        return errno_status(e);
    }
    uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    snprintf(s->info.driver, sizeof(s->info.driver), "%.*s", (int)sizeof(cap.driver),
             (const char *)cap.driver);
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
        ERR(src, "%s: not a video capture device (driver %s, card '%.32s'; capabilities 0x%08x)%s", src->path,
            s->info.driver, (const char *)cap.card, caps,
            (caps & V4L2_CAP_META_CAPTURE) ? "; this is a metadata node, try the neighbouring /dev/video node"
                                           : "");
        return VRT_ENOTSUP;
    }
    if (!(caps & V4L2_CAP_STREAMING)) {
        ERR(src,
            "%s: driver %s does not support streaming I/O (mmap/userptr); only read() is offered, "
            "which visionrt does not use",
            src->path, s->info.driver);
        return VRT_ENOTSUP;
    }
    return VRT_OK;
}

/* Which fourcc to ask the driver for: the wanted one, or MJPG (decoded by
 * the capture layer into *decode_cc) for a raw format the device lacks. */
static vrt_status pick_format(v4l2_src *src, v4l2_stream *st, uint32_t current, uint32_t *want_cc,
                              uint32_t *decode_cc, char *supported, size_t cap) {
    const vrt_source_params *p = &src->s->params;
    uint32_t ccs[64];
    int ncc = 0;
    list_formats(src->ops, st->fd, supported, cap, ccs, &ncc, 64);
    *want_cc = p->fourcc ? p->fourcc : current;
    *decode_cc = 0;
    int found = 0, has_mjpg = 0;
    for (int i = 0; i < ncc; i++) {
        if (ccs[i] == *want_cc) found = 1;
        if (ccs[i] == V4L2_PIX_FMT_MJPEG) has_mjpg = 1;
    }
    if (!found && has_mjpg && p->fourcc && vrt_fourcc_is_raw(p->fourcc)) {
        *decode_cc = p->fourcc;
        *want_cc = V4L2_PIX_FMT_MJPEG;
        found = 1;
    }
    if (!found && ncc > 0) {
        char b1[8];
        ERR(src, "%s: format '%s' not supported; supported: %s", src->path, cc4(*want_cc, b1), supported);
        return VRT_ENOTSUP;
    }
    return VRT_OK;
}

/* The configure step, format half: S_FMT with what was asked (or the
 * device's current values). Fills st's format fields; *decode_cc as pick_format. */
static vrt_status dev_set_format(v4l2_src *src, v4l2_stream *st, uint32_t *decode_cc) {
    const vrt_source_params *p = &src->s->params;
    char b1[8], b2[8], supported[256];
    struct v4l2_format fmt;
    memset(&fmt, 0, sizeof(fmt));
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(src->ops, st->fd, VIDIOC_G_FMT, &fmt) < 0) {
        ERR(src, "%s: VIDIOC_G_FMT failed: %s", src->path, strerror(errno));
        return errno_status(errno);
    }
    uint32_t want_cc;
    vrt_status rc =
        pick_format(src, st, fmt.fmt.pix.pixelformat, &want_cc, decode_cc, supported, sizeof(supported));
    if (rc) return rc;
    uint32_t want_w = p->width ? p->width : fmt.fmt.pix.width;
    uint32_t want_h = p->height ? p->height : fmt.fmt.pix.height;
    fmt.fmt.pix.pixelformat = want_cc;
    fmt.fmt.pix.width = want_w;
    fmt.fmt.pix.height = want_h;
    fmt.fmt.pix.field = V4L2_FIELD_ANY;
    fmt.fmt.pix.bytesperline = 0;
    fmt.fmt.pix.sizeimage = 0;
    if (xioctl(src->ops, st->fd, VIDIOC_S_FMT, &fmt) < 0) {
        int e = errno;
        ERR(src, "%s: cannot set format %s %ux%u: %s", src->path, cc4(want_cc, b1), want_w, want_h,
            e == EBUSY ? "device busy (another program is streaming from it)" : strerror(e));
        return errno_status(e);
    }
    struct v4l2_pix_format *pf = &fmt.fmt.pix;
    if (pf->pixelformat != want_cc) {
        ERR(src, "%s: driver replaced format '%s' with '%s'; supported: %s", src->path, cc4(want_cc, b1),
            cc4(pf->pixelformat, b2), supported);
        return VRT_ENOTSUP;
    }
    if ((pf->width != want_w || pf->height != want_h) && vrt_log_enabled(VRT_LOG_INFO)) {
        char sizes[256];
        list_sizes(src->ops, st->fd, want_cc, sizes, sizeof(sizes));
        vrt_log(VRT_LOG_INFO, src->who, "driver adjusted %ux%u to %ux%u (sizes for %s: %s)", want_w, want_h,
                pf->width, pf->height, cc4(want_cc, b1), sizes);
    }
    uint32_t bpl = pf->bytesperline;
    if (!bpl && vrt_fourcc_is_raw(pf->pixelformat)) {
        size_t tight = vrt_frame_size_for(pf->pixelformat, pf->width, 1);
        bpl = pf->pixelformat == VRT_FMT_NV12 ? pf->width : (uint32_t)tight;
    }
    if (*decode_cc && !vrt_frame_size_for(*decode_cc, pf->width, pf->height)) {
        ERR(src,
            "%s: the device has no %s, and its MJPG frames of %ux%u cannot be decoded to it "
            "(4:2:2 needs an even width, NV12 even sizes); use format=RGB24 or another size",
            src->path, vrt_fourcc_name(*decode_cc, b1), pf->width, pf->height);
        return VRT_EINVAL;
    }
    if (*decode_cc && vrt_log_enabled(VRT_LOG_INFO))
        vrt_log(VRT_LOG_INFO, src->who,
                "device offers no %s (formats: %s): capturing MJPG and decoding it to %s on the CPU",
                vrt_fourcc_name(*decode_cc, b1), supported, vrt_fourcc_name(*decode_cc, b2));
    st->fourcc = pf->pixelformat;
    st->width = pf->width;
    st->height = pf->height;
    st->bpl = bpl;
    st->sizeimage = pf->sizeimage;
    if (!st->sizeimage) st->sizeimage = (uint32_t)vrt_frame_size_for(pf->pixelformat, pf->width, pf->height);
    return VRT_OK;
}

/* timeperframe for fps: exact for integers and NTSC-style x/1.001 rates. */
static void fps_fraction(double fps, uint32_t *num, uint32_t *den) {
    *num = 1000;
    *den = (uint32_t)(fps * 1000 + 0.5);
    if (fabs(fps - (double)(uint32_t)(fps + 0.5)) < 1e-6)
        *num = 1, *den = (uint32_t)(fps + 0.5);
    else if (fabs(fps * 1001 - (double)(uint32_t)(fps * 1001 + 0.5)) < 1e-3)
        *num = 1001, *den = (uint32_t)(fps * 1001 + 0.5);
}

/* The configure step, rate half; returns the rate granted (0: unknown). */
static double dev_set_rate(v4l2_src *src, v4l2_stream *st) {
    const vrt_source_params *p = &src->s->params;
    const struct vrt_v4l2_ops *ops = src->ops;
    struct v4l2_streamparm parm;
    memset(&parm, 0, sizeof(parm));
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    int have_parm = xioctl(ops, st->fd, VIDIOC_G_PARM, &parm) == 0;
    if (p->fps > 0) {
        if (!have_parm || !(parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
            vrt_log(VRT_LOG_WARN, src->who, "driver cannot set the frame rate; fps=%g ignored", p->fps);
        } else {
            memset(&parm, 0, sizeof(parm));
            parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
            fps_fraction(p->fps, &parm.parm.capture.timeperframe.numerator,
                         &parm.parm.capture.timeperframe.denominator);
            if (xioctl(ops, st->fd, VIDIOC_S_PARM, &parm) < 0)
                vrt_log(VRT_LOG_WARN, src->who, "VIDIOC_S_PARM(%g fps) failed: %s", p->fps, strerror(errno));
            memset(&parm, 0, sizeof(parm));
            parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
            have_parm = xioctl(ops, st->fd, VIDIOC_G_PARM, &parm) == 0;
        }
    }
    const struct v4l2_fract *tpf = &parm.parm.capture.timeperframe;
    double fps =
        have_parm && tpf->numerator && tpf->denominator ? (double)tpf->denominator / tpf->numerator : 0;
    if (p->fps > 0 && fps > 0 && fabs(fps - p->fps) > 0.01 * p->fps && vrt_log_enabled(VRT_LOG_INFO)) {
        char rates[256], b1[8];
        list_rates(ops, st->fd, st->fourcc, st->width, st->height, rates, sizeof(rates));
        vrt_log(VRT_LOG_INFO, src->who, "driver adjusted %g fps to %g fps (rates for %s %ux%u: %s)", p->fps,
                fps, cc4(st->fourcc, b1), st->width, st->height, rates);
    }
    return fps;
}

/* Open and configure: the device without buffers (they come at start). On
 * success src->st is the new stream; at the first connect s->info is filled. */
static vrt_status connect_dev(v4l2_src *src) {
    vrt_source_t *s = src->s;
    v4l2_stream *st = NULL;
    uint32_t decode_cc = 0;
    vrt_status rc = dev_open(src, &st);
    if (!rc) rc = dev_set_format(src, st, &decode_cc);
    if (rc) {
        if (st) stream_put(st);
        return rc;
    }
    double fps = dev_set_rate(src, st);
    if (!src->connected_once) {
        /* A reconnect keeps what open negotiated (and what the consumer configured). */
        s->info.fourcc = st->fourcc;
        s->info.device_fourcc = st->fourcc;
        s->info.width = st->width;
        s->info.height = st->height;
        s->info.fps = fps;
        s->info.buffers = s->params.buffers ? s->params.buffers : 3;
        s->info.mode = s->params.mode;
        s->info.driver_timestamps = s->info.monotonic_timestamps = 1; /* checked at start */
        if (decode_cc) vrt__source_decode_to(s, decode_cc);
        src->connected_once = 1;
    }
    src->st = st;
    return VRT_OK;
}

/* REQBUFS for the wanted count and memory; returns the count to use (0 on failure). */
static int request_buffers(v4l2_src *src, v4l2_stream *st, vrt_status *rc) {
    const vrt_source_params *p = &src->s->params;
    char b1[8];
    int want = src->nubuf ? src->nubuf : (p->buffers ? p->buffers : 3);
    st->memory = src->userptr ? V4L2_MEMORY_USERPTR : V4L2_MEMORY_MMAP;
    struct v4l2_requestbuffers req = {
        .count = (uint32_t)want, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = st->memory};
    if (xioctl(src->ops, st->fd, VIDIOC_REQBUFS, &req) < 0) {
        int e = errno;
        *rc = errno_status(e);
        if (e == EINVAL && src->userptr) {
            ERR(src, "%s: driver %s does not support USERPTR streaming; use io=mmap", src->path,
                src->s->info.driver);
            *rc = VRT_ENOTSUP;
        } else if (e == EBUSY) {
            ERR(src, "%s: cannot allocate buffers: device busy (another program is streaming from it)",
                src->path);
        } else {
            ERR(src, "%s: VIDIOC_REQBUFS(%d) failed: %s", src->path, want, strerror(e));
        }
        return 0;
    }
    int nb = req.count > V4L2_MAX_BUF ? V4L2_MAX_BUF : (int)req.count;
    if (src->nubuf && nb > src->nubuf) nb = src->nubuf; /* queue only what the consumer gave us */
    *rc = VRT_OK;
    if (req.count < 2) {
        ERR(src, "%s: driver granted only %u buffer(s); at least 2 are needed", src->path, req.count);
        *rc = VRT_ENOMEM;
    } else if (src->nubuf && src->ubuf_size < st->sizeimage) {
        ERR(src, "%s: USERPTR buffers of %zu bytes are too small; %s %ux%u needs %u bytes each", src->path,
            src->ubuf_size, cc4(st->fourcc, b1), st->width, st->height, st->sizeimage);
        *rc = VRT_EINVAL;
    } else if (src->userptr && !src->nubuf) {
        size_t each = ((size_t)st->sizeimage + 4095) & ~(size_t)4095;
        st->own_userptr = vrt_malloc(each * (size_t)nb + 4096);
        if (!st->own_userptr) {
            ERR(src, "%s: out of memory for %d USERPTR buffers of %zu bytes", src->path, nb, each);
            *rc = VRT_ENOMEM;
        }
    }
    if (*rc) {
        struct v4l2_requestbuffers r0 = {
            .count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = st->memory};
        xioctl(src->ops, st->fd, VIDIOC_REQBUFS, &r0);
        return 0;
    }
    return nb;
}

/* QUERYBUF + mmap (or the USERPTR memory) of buffer i; *flags gets the buffer's flags. */
static vrt_status setup_slot(v4l2_src *src, v4l2_stream *st, int i, uint32_t *flags) {
    v4l2_slot *sl = &st->slots[i];
    sl->st = st;
    struct v4l2_buffer b;
    memset(&b, 0, sizeof(b));
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = st->memory;
    b.index = (uint32_t)i;
    if (xioctl(src->ops, st->fd, VIDIOC_QUERYBUF, &b) < 0) {
        ERR(src, "%s: VIDIOC_QUERYBUF(%d) failed: %s", src->path, i, strerror(errno));
        return errno_status(errno);
    }
    *flags = b.flags;
    if (st->memory == V4L2_MEMORY_MMAP) {
        void *m = src->ops->mmap(src->ops->ctx, NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, st->fd,
                                 b.m.offset);
        if (m == MAP_FAILED) {
            ERR(src, "%s: mmap of buffer %d (%u bytes) failed: %s", src->path, i, b.length, strerror(errno));
            return errno_status(errno);
        }
        sl->mem = m;
        sl->length = b.length;
        sl->mapped = 1;
    } else if (src->nubuf) {
        if (!src->ubuf[i]) {
            ERR(src, "%s: consumer buffer %d is NULL", src->path, i);
            return VRT_EINVAL;
        }
        sl->mem = src->ubuf[i];
        sl->length = src->ubuf_size;
    } else {
        size_t each = ((size_t)st->sizeimage + 4095) & ~(size_t)4095;
        uintptr_t base = ((uintptr_t)st->own_userptr + 4095) & ~(uintptr_t)4095;
        sl->mem = (uint8_t *)(base + each * (size_t)i);
        sl->length = each;
    }
    vrt_frame *f = &sl->frame;
    set_planes(f, st->fourcc, st->width, st->height, st->bpl, sl->mem, sl->length);
    f->buffer_index = i;
    f->memory = VRT_MEM_HOST;
    f->pts_ns = -1;
    f->release = slot_release;
    f->release_ctx = sl;
    sl->state = SLOT_FREE;
    return VRT_OK;
}

/* The init-buffers step (at start): REQBUFS, QUERYBUF, mmap or USERPTR binding. */
static vrt_status bufs_init(v4l2_src *src) {
    vrt_source_t *s = src->s;
    v4l2_stream *st = src->st;
    vrt_status rc = VRT_OK;
    int nb = request_buffers(src, st, &rc);
    if (!nb) return rc;
    st->nbufs = nb;
    uint32_t flags = 0;
    for (int i = 0; i < nb && !rc; i++) {
        uint32_t f = 0;
        rc = setup_slot(src, st, i, &f);
        if (i == 0) flags = f;
    }
    if (rc) {
        bufs_release(st);
        return rc;
    }
    int ts_monotonic = (flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
    s->info.buffers = nb;
    s->info.driver_timestamps = ts_monotonic;
    s->info.monotonic_timestamps = ts_monotonic;
    if (!ts_monotonic && !src->warned_ts) {
        src->warned_ts = 1;
        vrt_log(VRT_LOG_WARN, src->who,
                "driver timestamps are not CLOCK_MONOTONIC; frames are stamped "
                "at dequeue time instead (latency numbers exclude the driver)");
    }
    if (vrt_log_enabled(VRT_LOG_INFO)) {
        char b1[8];
        vrt_log(VRT_LOG_INFO, src->who, "%s %ux%u, %g fps, %d %s buffers%s, driver %s", cc4(st->fourcc, b1),
                st->width, st->height, s->info.fps, nb, src->userptr ? "USERPTR" : "MMAP",
                src->nubuf ? " (the consumer's)" : "", s->info.driver);
    }
    return VRT_OK;
}

static vrt_status stream_on(v4l2_src *src) {
    v4l2_stream *st = src->st;
    if (!st->nbufs) {
        vrt_status rc = bufs_init(src);
        if (rc) return rc;
    }
    pthread_mutex_lock(&st->mu);
    st->streaming = 1;
    for (int i = 0; i < st->nbufs; i++) {
        if (st->slots[i].state == SLOT_FREE && qbuf_locked(st, i) < 0) {
            int e = errno;
            st->streaming = 0;
            pthread_mutex_unlock(&st->mu);
            ERR(src, "%s: VIDIOC_QBUF(%d) failed: %s", src->path, i, strerror(e));
            return errno_status(e);
        }
    }
    pthread_mutex_unlock(&st->mu);
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(src->ops, st->fd, VIDIOC_STREAMON, &type) < 0) {
        int e = errno;
        pthread_mutex_lock(&st->mu);
        st->streaming = 0;
        pthread_mutex_unlock(&st->mu);
        ERR(src, "%s: VIDIOC_STREAMON failed: %s", src->path, strerror(e));
        return errno_status(e);
    }
    src->have_seq = 0;
    src->last_frame_ns = vrt_now_ns();
    return VRT_OK;
}

static void stream_off(v4l2_src *src) {
    v4l2_stream *st = src->st;
    if (!st) return;
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    pthread_mutex_lock(&st->mu);
    if (st->streaming && st->fd >= 0) xioctl(src->ops, st->fd, VIDIOC_STREAMOFF, &type);
    st->streaming = 0;
    for (int i = 0; i < st->nbufs; i++)
        if (st->slots[i].state == SLOT_DRIVER) st->slots[i].state = SLOT_FREE;
    pthread_mutex_unlock(&st->mu);
}

/* The device went away: close it (frames still out keep their mapping). */
static vrt_status lost_device(v4l2_src *src, const char *why) {
    v4l2_stream *st = src->st;
    if (st) {
        pthread_mutex_lock(&st->mu);
        st->streaming = 0;
        for (int i = 0; i < st->nbufs; i++)
            if (st->slots[i].state == SLOT_DRIVER) st->slots[i].state = SLOT_FREE;
        if (st->fd >= 0) {
            st->ops->close(st->ops->ctx, st->fd);
            st->fd = -1;
        }
        pthread_mutex_unlock(&st->mu);
        stream_put(st);
        src->st = NULL;
    }
    src->backoff_ms = BACKOFF_MIN_MS;
    src->next_retry_ns = vrt_now_ns() + (int64_t)BACKOFF_MIN_MS * 1000000;
    src->attempts = 0;
    vrt_log(VRT_LOG_WARN, src->who, "device disconnected (%s)%s", why,
            src->reconnect ? "; will try to reopen" : "");
    ERR(src, "%s: device disconnected (%s)%s", src->path, why,
        src->reconnect ? "; reconnecting" : "; open it again or use reconnect=1");
    return VRT_ENODEV;
}

/* While disconnected: one reopen attempt when due. VRT_OK once streaming again. */
static vrt_status try_reconnect(v4l2_src *src, int64_t deadline) {
    if (!src->reconnect) {
        ERR(src, "%s: device disconnected; open it again or use reconnect=1", src->path);
        return VRT_ENODEV;
    }
    int64_t now = vrt_now_ns();
    if (now < src->next_retry_ns) {
        if (deadline >= 0 && deadline < src->next_retry_ns) {
            if (deadline > now) vrt_sleep_until_ns(deadline);
            ERR(src, "%s: device disconnected; next reopen attempt in %lld ms", src->path,
                (long long)((src->next_retry_ns - vrt_now_ns()) / 1000000));
            return VRT_ENODEV;
        }
        vrt_sleep_until_ns(src->next_retry_ns);
    }
    src->attempts++;
    char saved[512];
    vrt_status st = connect_dev(src);
    if (st == VRT_OK && src->want_streaming) {
        st = stream_on(src);
        if (st) {
            stream_put(src->st);
            src->st = NULL;
        }
    }
    if (st == VRT_OK) {
        stat_add(&src->s->stats.reconnects, 1);
        vrt_log(VRT_LOG_INFO, src->who, "reconnected after %d attempt(s)", src->attempts);
        src->attempts = 0;
        src->backoff_ms = BACKOFF_MIN_MS;
        src->s->err[0] = 0;
        return VRT_OK;
    }
    snprintf(saved, sizeof(saved), "%s", src->s->err);
    src->backoff_ms = src->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : src->backoff_ms * 2;
    src->next_retry_ns = vrt_now_ns() + (int64_t)src->backoff_ms * 1000000;
    ERR(src, "%s: device disconnected; reopen attempt %d failed (%s); next in %d ms", src->path,
        src->attempts, saved, src->backoff_ms);
    return VRT_ENODEV;
}

/* mode=, io=, buffers=, reconnect= and the common keys into s->params. */
static vrt_status v4l2_keys(vrt_source_t *s, vrt__uri *u) {
    vrt_status rc = vrt__source_common_keys(s, u);
    if (rc) return rc;
    int64_t buffers = s->params.buffers, reconnect = s->params.reconnect;
    if ((rc = vrt__uri_get_int(u, "buffers", &buffers, s->err, sizeof(s->err)))) return rc;
    if ((rc = vrt__uri_get_int(u, "reconnect", &reconnect, s->err, sizeof(s->err)))) return rc;
    const char *mode = vrt__uri_get(u, "mode");
    if (mode && strcasecmp(mode, "newest") && strcasecmp(mode, "all")) {
        VRT__SRC_ERR(s, "mode=%s unknown; use mode=newest or mode=all", mode);
        return VRT_EINVAL;
    }
    if (mode) s->params.mode = strcasecmp(mode, "all") ? VRT_MODE_NEWEST : VRT_MODE_ALL;
    const char *io = vrt__uri_get(u, "io");
    if (io && strcasecmp(io, "mmap") && strcasecmp(io, "userptr")) {
        VRT__SRC_ERR(s, "io=%s unknown; use io=mmap or io=userptr", io);
        return VRT_EINVAL;
    }
    if (io) s->params.use_userptr = !strcasecmp(io, "userptr");
    if ((rc = vrt__uri_check_unused(u, "width, height, fps, format, buffers, mode, reconnect, io", s->err,
                                    sizeof(s->err))))
        return rc;
    if (buffers != 0 && (buffers < 2 || buffers > V4L2_MAX_BUF)) {
        VRT__SRC_ERR(s, "buffers=%lld out of range (2..%d)", (long long)buffers, V4L2_MAX_BUF);
        return VRT_EINVAL;
    }
    s->params.buffers = (int)buffers;
    s->params.reconnect = reconnect != 0;
    return VRT_OK;
}

static vrt_status v4l2_open(vrt_source_t *s, vrt__uri *u, const vrt_source_params *p) {
    (void)p;
    vrt_status rc = v4l2_keys(s, u);
    if (rc) return rc;
    if (!u->path[0]) {
        VRT__SRC_ERR(s, "v4l2: needs a device path, e.g. v4l2:/dev/video0");
        return VRT_EINVAL;
    }
    v4l2_src *src = vrt_calloc(1, sizeof(*src));
    if (!src) return VRT_ENOMEM;
    s->priv = src;
    src->s = s;
    snprintf(src->path, sizeof(src->path), "%s", u->path);
    snprintf(src->who, sizeof(src->who), "v4l2:%s", u->path);
    src->ops = s->params.v4l2_ops ? s->params.v4l2_ops : &k_sys_ops;
    src->userptr = s->params.use_userptr;
    src->reconnect = s->params.reconnect;
    src->backoff_ms = BACKOFF_MIN_MS;
    snprintf(s->info.kind, sizeof(s->info.kind), "v4l2");
    s->info.mode = s->params.mode;
    return connect_dev(src);
}

/* Consumer buffers for the next start: the buffers of the open device are
 * released (uninit) and bound again at start, on the same file descriptor. */
static vrt_status v4l2_set_buffers(vrt_source_t *s, void *const *bufs, int count, size_t size) {
    v4l2_src *src = s->priv;
    v4l2_stream *st = src->st;
    if (st && st->nbufs) {
        int out = 0;
        pthread_mutex_lock(&st->mu);
        for (int i = 0; i < st->nbufs; i++)
            out += st->slots[i].state == SLOT_OUT;
        pthread_mutex_unlock(&st->mu);
        if (out) {
            ERR(src, "%s: %d frame(s) captured into the current buffers are still held; unref them first",
                src->path, out);
            return VRT_EBUSY;
        }
        bufs_release(st);
    }
    memset(src->ubuf, 0, sizeof(src->ubuf));
    src->nubuf = bufs ? (count > V4L2_MAX_BUF ? V4L2_MAX_BUF : count) : 0;
    for (int i = 0; i < src->nubuf; i++)
        src->ubuf[i] = bufs[i];
    src->ubuf_size = bufs ? size : 0;
    src->userptr = bufs ? 1 : s->params.use_userptr;
    s->info.buffers = src->nubuf ? src->nubuf : (s->params.buffers ? s->params.buffers : 3);
    return VRT_OK;
}

static vrt_status v4l2_start(vrt_source_t *s) {
    v4l2_src *src = s->priv;
    src->want_streaming = 1;
    if (!src->st) return VRT_OK; /* disconnected: read() reconnects and starts */
    vrt_status st = stream_on(src);
    if (st) src->want_streaming = 0;
    return st;
}

static vrt_status v4l2_stop(vrt_source_t *s) {
    v4l2_src *src = s->priv;
    src->want_streaming = 0;
    stream_off(src);
    return VRT_OK;
}

static void v4l2_close(vrt_source_t *s) {
    v4l2_src *src = s->priv;
    if (!src) return;
    if (src->st) {
        stream_off(src);
        stream_put(src->st);
    }
    vrt_free(src);
    s->priv = NULL;
}

/* Hands out slot b->index (just dequeued) as a frame, with the sequence and
 * the driver's timestamp (int64 ns, CLOCK_MONOTONIC) or the dequeue time. */
static void hand_out(v4l2_src *src, const struct v4l2_buffer *b, vrt_frame **out) {
    v4l2_stream *st = src->st;
    vrt_frame *f = &st->slots[b->index].frame;
    f->bytesused = b->bytesused;
    f->sequence = b->sequence;
    f->dequeue_ns = vrt_now_ns();
    if (src->s->info.monotonic_timestamps) {
        f->timestamp_ns = (int64_t)b->timestamp.tv_sec * 1000000000LL + (int64_t)b->timestamp.tv_usec * 1000;
        f->ts_from_driver = 1;
    } else {
        f->timestamp_ns = f->dequeue_ns;
        f->ts_from_driver = 0;
    }
    f->refs = 1;
    atomic_fetch_add_explicit(&st->refs, 1, memory_order_relaxed);
    src->last_frame_ns = f->dequeue_ns;
    *out = f;
}

static void requeue(v4l2_src *src, uint32_t index) {
    v4l2_stream *st = src->st;
    pthread_mutex_lock(&st->mu);
    if (st->streaming)
        qbuf_locked(st, (int)index);
    else
        st->slots[index].state = SLOT_FREE;
    pthread_mutex_unlock(&st->mu);
}

/* Waits for the device within the deadline. 1: ready (*pollerr set), 0: timed out, < 0: error status. */
static int wait_ready(v4l2_src *src, int64_t deadline, int timeout_ms, int *pollerr, int *pollin) {
    v4l2_stream *st = src->st;
    int in_driver = 0;
    pthread_mutex_lock(&st->mu);
    for (int i = 0; i < st->nbufs; i++)
        in_driver += st->slots[i].state == SLOT_DRIVER;
    pthread_mutex_unlock(&st->mu);
    if (!in_driver) {
        src->last_frame_ns = vrt_now_ns(); /* no buffer to fill: not a stall */
        ERR(src,
            "%s: all %d buffers are held by the caller; unref frames sooner or raise buffers=", src->path,
            st->nbufs);
        return VRT_EAGAIN;
    }
    for (;;) {
        struct pollfd pfd = {.fd = st->fd, .events = POLLIN};
        int wait_ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - vrt_now_ns();
            wait_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        int r = src->ops->poll(src->ops->ctx, &pfd, 1, wait_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            ERR(src, "%s: poll failed: %s", src->path, strerror(errno));
            return errno_status(errno);
        }
        if (r == 0) {
            ERR(src, "%s: no frame within %d ms", src->path, timeout_ms);
            return VRT_EAGAIN;
        }
        *pollerr = (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
        *pollin = (pfd.revents & POLLIN) != 0;
        return 1;
    }
}

/* Whether the driver's bytesused describes a usable frame in slot
 * b->index. bytesused is the driver's word, not the buffer's size: one
 * reporting more than the buffer holds is clamped (readers stop at the
 * buffer's end); a raw frame shorter than its format needs, and an empty one, are dropped
 * (webcams deliver such frames after USB errors). */
static int frame_fits(v4l2_src *src, v4l2_stream *st, struct v4l2_buffer *b) {
    if (b->index >= (uint32_t)st->nbufs) return 0;
    const v4l2_slot *sl = &st->slots[b->index];
    if (b->bytesused > sl->length) { /* counted: the driver is wrong about this frame */
        stat_add(&src->s->stats.errors, 1);
        b->bytesused = (uint32_t)sl->length;
    }
    if (b->bytesused == 0) return 0;
    if (vrt_fourcc_is_raw(st->fourcc)) {
        size_t need = 0;
        for (int p = 0; p < (int)sl->frame.num_planes; p++)
            need += sl->frame.planes[p].size;
        if (b->bytesused < need) return 0;
    }
    return 1;
}

/* A DQBUF failure e: lost device, a transient EIO (1: go on) or an error. */
static vrt_status dqbuf_failed(v4l2_src *src, int e, int pollerr, int *eio_in_row) {
    if (e == ENODEV || (e == EIO && pollerr))
        /* With reconnect=1 the next read makes the first reopen attempt. */
        return lost_device(src, e == ENODEV ? "ENODEV" : "EIO after POLLERR");
    if (e == EIO && ++*eio_in_row < 4) {
        stat_add(&src->s->stats.errors, 1);
        vrt_log(VRT_LOG_WARN, src->who, "VIDIOC_DQBUF: transient I/O error, continuing");
        return VRT_OK;
    }
    if (e == EIO && src->reconnect) { /* a run of EIOs: the device needs a new open */
        stat_add(&src->s->stats.errors, 1);
        return lost_device(src, "4 I/O errors in a row");
    }
    ERR(src, "%s: VIDIOC_DQBUF failed: %s", src->path, strerror(e));
    return errno_status(e);
}

/* Dequeues every ready buffer (one in mode all), keeps the newest in *keep
 * and re-queues the older ones at once, counting gaps and drops.
 * 1: *keep holds a frame; 0: none ready; < 0: a status. */
static int dequeue_newest(v4l2_src *src, int pollerr, int *eio_in_row, struct v4l2_buffer *keep) {
    vrt_source_t *s = src->s;
    v4l2_stream *st = src->st;
    int have = 0;
    for (;;) {
        struct v4l2_buffer b;
        memset(&b, 0, sizeof(b));
        b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b.memory = st->memory;
        if (xioctl(src->ops, st->fd, VIDIOC_DQBUF, &b) < 0) {
            int e = errno;
            if (e == EAGAIN) return have;
            if (have) requeue(src, keep->index);
            vrt_status rc = dqbuf_failed(src, e, pollerr, eio_in_row);
            return rc ? (int)rc : 0;
        }
        if (b.index >= (uint32_t)st->nbufs) { /* a driver bug: no slot to give back */
            stat_add(&s->stats.errors, 1);
            continue;
        }
        pthread_mutex_lock(&st->mu);
        st->slots[b.index].state = SLOT_OUT;
        pthread_mutex_unlock(&st->mu);
        if (src->have_seq) {
            uint32_t gap = b.sequence - src->last_seq - 1;
            if (gap && gap < 0x80000000u) stat_add(&s->stats.dropped, gap);
        }
        src->have_seq = 1;
        src->last_seq = b.sequence;
        if ((b.flags & V4L2_BUF_FLAG_ERROR) || !frame_fits(src, st, &b)) {
            /* A corrupt or short frame: nobody gets it. */
            stat_add(&s->stats.errors, 1);
            stat_add(&s->stats.dropped, 1);
            requeue(src, b.index);
            continue;
        }
        if (have) {
            requeue(src, keep->index);
            stat_add(&s->stats.requeued, 1);
            stat_add(&s->stats.dropped, 1);
        }
        *keep = b;
        have = 1;
        if (s->params.mode == VRT_MODE_ALL) return 1;
    }
}

/* POLLERR with nothing to dequeue: is the device still there? VRT_OK: go on waiting. */
static vrt_status check_pollerr(v4l2_src *src, int64_t deadline, int timeout_ms) {
    struct v4l2_capability cap;
    if (xioctl(src->ops, src->st->fd, VIDIOC_QUERYCAP, &cap) < 0 && (errno == ENODEV || errno == EIO))
        return lost_device(src, "POLLERR, device gone");
    if (deadline >= 0 && vrt_now_ns() >= deadline) {
        ERR(src, "%s: no frame within %d ms (poll reported an error)", src->path, timeout_ms);
        return VRT_EAGAIN;
    }
    vrt_sleep_ns(1000000); /* do not spin on a persistent error */
    return VRT_OK;
}

/* With reconnect=1: nothing for STALL_MIN_MS (or 4 frame periods) while streaming. */
static int stalled(const v4l2_src *src) {
    if (!src->reconnect || !src->want_streaming || !src->last_frame_ns) return 0;
    int64_t limit = (int64_t)STALL_MIN_MS * 1000000;
    double fps = src->s->info.fps;
    if (fps > 0 && 4e9 / fps > (double)limit) limit = (int64_t)(4e9 / fps);
    return vrt_now_ns() - src->last_frame_ns > limit;
}

static vrt_status v4l2_read(vrt_source_t *s, vrt_frame **out, int timeout_ms) {
    v4l2_src *src = s->priv;
    int64_t deadline = timeout_ms < 0 ? -1 : vrt_now_ns() + (int64_t)timeout_ms * 1000000;
    if (!src->st) {
        vrt_status rc = try_reconnect(src, deadline);
        if (rc) return rc;
    }
    int eio_in_row = 0;
    for (;;) {
        int pollerr = 0, pollin = 0;
        int r = wait_ready(src, deadline, timeout_ms, &pollerr, &pollin);
        if (r == (int)VRT_EAGAIN && stalled(src))
            return lost_device(src, "stalled: no frame within the stall limit");
        if (r <= 0) return (vrt_status)r;
        struct v4l2_buffer keep;
        memset(&keep, 0, sizeof(keep));
        r = dequeue_newest(src, pollerr, &eio_in_row, &keep);
        if (r < 0) return (vrt_status)r;
        if (r == 1) {
            hand_out(src, &keep, out);
            return VRT_OK;
        }
        if (pollerr && !pollin) {
            vrt_status rc = check_pollerr(src, deadline, timeout_ms);
            if (rc) return rc;
        }
        if (stalled(src)) return lost_device(src, "stalled: no frame within the stall limit");
        if (deadline >= 0 && vrt_now_ns() >= deadline) {
            ERR(src, "%s: no frame within %d ms", src->path, timeout_ms);
            return VRT_EAGAIN;
        }
    }
}

/* ---- controls on an open source ---- */

static vrt_status need_stream(v4l2_src *src) {
    if (src->st) return VRT_OK;
    ERR(src, "%s: device disconnected", src->path);
    return VRT_ENODEV;
}

static vrt_status v4l2_controls(vrt_source_t *s, vrt_control *c, int cap, int *n) {
    v4l2_src *src = s->priv;
    vrt_status rc = need_stream(src);
    if (rc) return rc;
    vrt_v4l2_control *tmp = vrt_calloc(V4L2_MAX_CTRLS, sizeof(*tmp));
    if (!tmp) return VRT_ENOMEM;
    int total = enum_controls(src->ops, src->st->fd, tmp, V4L2_MAX_CTRLS, 0);
    for (int i = 0; i < total && i < cap && i < V4L2_MAX_CTRLS; i++)
        c[i] = tmp[i].c;
    vrt_free(tmp);
    if (n) *n = total;
    return VRT_OK;
}

/* Finds a control by key or driver name; on failure names the known keys. */
static vrt_status find_control(v4l2_src *src, const char *name, vrt_v4l2_control *out) {
    vrt_status rc = need_stream(src);
    if (rc) return rc;
    vrt_v4l2_control *tmp = vrt_calloc(V4L2_MAX_CTRLS, sizeof(*tmp));
    if (!tmp) return VRT_ENOMEM;
    int total = enum_controls(src->ops, src->st->fd, tmp, V4L2_MAX_CTRLS, 1);
    if (total > V4L2_MAX_CTRLS) total = V4L2_MAX_CTRLS;
    int found = -1;
    for (int i = 0; i < total && found < 0; i++)
        if (!strcasecmp(tmp[i].c.key, name) || !strcasecmp(tmp[i].c.name, name)) found = i;
    if (found >= 0) {
        *out = tmp[found];
        tmp[found].menu = NULL; /* ownership moves to out */
    } else {
        char known[400];
        size_t k = 0;
        known[0] = 0;
        for (int i = 0; i < total && k < sizeof(known); i++)
            k += (size_t)snprintf(known + k, sizeof(known) - k, "%s%s", i ? ", " : "", tmp[i].c.key);
        ERR(src, "%s: no control '%s'; controls: %s", src->path, name, total ? known : "(none)");
    }
    for (int i = 0; i < total; i++)
        vrt_free(tmp[i].menu);
    vrt_free(tmp);
    return found >= 0 ? VRT_OK : VRT_ENOENT;
}

static vrt_status v4l2_control_get(vrt_source_t *s, const char *name, int64_t *v) {
    v4l2_src *src = s->priv;
    vrt_v4l2_control c;
    vrt_status rc = find_control(src, name, &c);
    if (rc) return rc;
    vrt_free(c.menu);
    uint32_t type = c.c.type == VRT_CTRL_INT64 ? V4L2_CTRL_TYPE_INTEGER64 : V4L2_CTRL_TYPE_INTEGER;
    if (read_ctrl_value(src->ops, src->st->fd, c.c.id, type, v) < 0) {
        int e = errno;
        ERR(src, "%s: cannot read control %s: %s", src->path, c.c.key, strerror(e));
        return errno_status(e);
    }
    return VRT_OK;
}

static vrt_status v4l2_control_set(vrt_source_t *s, const char *name, int64_t v) {
    v4l2_src *src = s->priv;
    vrt_v4l2_control c;
    vrt_status rc = find_control(src, name, &c);
    if (rc) return rc;
    if (c.c.flags & VRT_CTRL_FLAG_READ_ONLY) {
        vrt_free(c.menu);
        ERR(src, "%s: control %s is read-only", src->path, c.c.key);
        return VRT_EACCES;
    }
    if (c.c.type == VRT_CTRL_MENU) {
        int ok = 0;
        char items[300];
        size_t k = 0;
        items[0] = 0;
        for (int i = 0; i < c.num_menu; i++) {
            if ((int64_t)c.menu[i].index == v) ok = 1;
            if (k < sizeof(items))
                k += (size_t)snprintf(items + k, sizeof(items) - k, "%s%u (%s)", i ? ", " : "",
                                      c.menu[i].index, c.menu[i].name);
        }
        vrt_free(c.menu);
        if (!ok) {
            ERR(src, "%s: %s=%lld is not a menu item; items: %s", src->path, c.c.key, (long long)v, items);
            return VRT_ERANGE;
        }
    } else {
        vrt_free(c.menu);
        if ((c.c.type == VRT_CTRL_INT || c.c.type == VRT_CTRL_BOOL || c.c.type == VRT_CTRL_INT64) &&
            (v < c.c.min || v > c.c.max || (c.c.step > 1 && (v - c.c.min) % c.c.step))) {
            ERR(src, "%s: %s=%lld out of range %lld..%lld (step %lld)", src->path, c.c.key, (long long)v,
                (long long)c.c.min, (long long)c.c.max, (long long)c.c.step);
            return VRT_ERANGE;
        }
    }
    int r;
    if (c.c.type == VRT_CTRL_INT64) {
        struct v4l2_ext_control ec = {.id = c.c.id, .value64 = v};
        struct v4l2_ext_controls ecs = {.which = V4L2_CTRL_WHICH_CUR_VAL, .count = 1, .controls = &ec};
        r = xioctl(src->ops, src->st->fd, VIDIOC_S_EXT_CTRLS, &ecs);
    } else {
        struct v4l2_control ctl = {.id = c.c.id, .value = (int32_t)v};
        r = xioctl(src->ops, src->st->fd, VIDIOC_S_CTRL, &ctl);
    }
    if (r < 0) {
        int e = errno;
        if (e == EACCES || e == EBUSY)
            ERR(src, "%s: control %s cannot be set now (%s)%s", src->path, c.c.key, strerror(e),
                (c.c.flags & VRT_CTRL_FLAG_INACTIVE) ? "; it is inactive: switch its automatic mode off first"
                                                     : "");
        else
            ERR(src, "%s: cannot set %s=%lld: %s", src->path, c.c.key, (long long)v, strerror(e));
        return errno_status(e);
    }
    return VRT_OK;
}

const vrt__source_vtbl vrt__source_v4l2 = {
    .kind = "v4l2",
    .open = v4l2_open,
    .set_buffers = v4l2_set_buffers,
    .start = v4l2_start,
    .read = v4l2_read,
    .stop = v4l2_stop,
    .close = v4l2_close,
    .controls = v4l2_controls,
    .control_get = v4l2_control_get,
    .control_set = v4l2_control_set,
};

/* ---- probing ----------------------------------------------------------------- */

static void fill_intervals(const struct vrt_v4l2_ops *ops, int fd, uint32_t cc, vrt_v4l2_frame_size *fs,
                           uint32_t w, uint32_t h) {
    int n = 0;
    for (uint32_t i = 0; i < 256; i++) {
        struct v4l2_frmivalenum e = {.index = i, .pixel_format = cc, .width = w, .height = h};
        if (xioctl(ops, fd, VIDIOC_ENUM_FRAMEINTERVALS, &e) < 0) break;
        if (e.type != V4L2_FRMIVAL_TYPE_DISCRETE) {
            fs->intervals_kind =
                e.type == V4L2_FRMIVAL_TYPE_CONTINUOUS ? VRT_V4L2_SIZE_CONTINUOUS : VRT_V4L2_SIZE_STEPWISE;
            fs->interval_min = (vrt_v4l2_fract){e.stepwise.min.numerator, e.stepwise.min.denominator};
            fs->interval_max = (vrt_v4l2_fract){e.stepwise.max.numerator, e.stepwise.max.denominator};
            fs->interval_step = (vrt_v4l2_fract){e.stepwise.step.numerator, e.stepwise.step.denominator};
            return;
        }
        n++;
    }
    if (!n) return;
    fs->intervals = vrt_calloc((size_t)n, sizeof(vrt_v4l2_fract));
    if (!fs->intervals) return;
    fs->intervals_kind = VRT_V4L2_SIZE_DISCRETE;
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        struct v4l2_frmivalenum e = {.index = i, .pixel_format = cc, .width = w, .height = h};
        if (xioctl(ops, fd, VIDIOC_ENUM_FRAMEINTERVALS, &e) < 0) break;
        fs->intervals[fs->num_intervals++] = (vrt_v4l2_fract){e.discrete.numerator, e.discrete.denominator};
    }
}

static void fill_sizes(const struct vrt_v4l2_ops *ops, int fd, vrt_v4l2_format *f) {
    int n = 0;
    for (uint32_t i = 0; i < 256; i++) {
        struct v4l2_frmsizeenum e = {.index = i, .pixel_format = f->fourcc};
        if (xioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &e) < 0) break;
        n++;
        if (e.type != V4L2_FRMSIZE_TYPE_DISCRETE) break;
    }
    if (!n) return;
    f->sizes = vrt_calloc((size_t)n, sizeof(vrt_v4l2_frame_size));
    if (!f->sizes) return;
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        struct v4l2_frmsizeenum e = {.index = i, .pixel_format = f->fourcc};
        if (xioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &e) < 0) break;
        vrt_v4l2_frame_size *fs = &f->sizes[f->num_sizes++];
        if (e.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
            fs->kind = VRT_V4L2_SIZE_DISCRETE;
            fs->width = e.discrete.width;
            fs->height = e.discrete.height;
            fill_intervals(ops, fd, f->fourcc, fs, fs->width, fs->height);
        } else {
            fs->kind =
                e.type == V4L2_FRMSIZE_TYPE_CONTINUOUS ? VRT_V4L2_SIZE_CONTINUOUS : VRT_V4L2_SIZE_STEPWISE;
            fs->min_width = e.stepwise.min_width;
            fs->max_width = e.stepwise.max_width;
            fs->step_width = e.stepwise.step_width;
            fs->min_height = e.stepwise.min_height;
            fs->max_height = e.stepwise.max_height;
            fs->step_height = e.stepwise.step_height;
            fill_intervals(ops, fd, f->fourcc, fs, fs->max_width, fs->max_height);
        }
    }
}

vrt_status vrt_v4l2_probe(const char *path, const struct vrt_v4l2_ops *ops, vrt_v4l2_device **out, char *err,
                          size_t cap) {
    char tmp[1];
    if (!err) err = tmp, cap = sizeof(tmp);
    if (cap) err[0] = 0;
    if (!out || !path) return VRT_EINVAL;
    *out = NULL;
    if (!ops) ops = &k_sys_ops;
    int fd = ops->open(ops->ctx, path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == EACCES || e == EPERM)
            vrt_errbuf_set(err, cap, "%s: permission denied (add the user to group 'video')", path);
        else if (e == ENOENT || e == ENXIO || e == ENODEV)
            vrt_errbuf_set(err, cap, "%s: no such device", path);
        else
            vrt_errbuf_set(err, cap, "%s: cannot open: %s", path, strerror(e));
        return (e == ENXIO || e == ENODEV) ? VRT_ENOENT : errno_status(e);
    }
    struct v4l2_capability c;
    memset(&c, 0, sizeof(c));
    if (xioctl(ops, fd, VIDIOC_QUERYCAP, &c) < 0) {
        int e = errno;
        ops->close(ops->ctx, fd);
        if (e == ENOTTY || e == EINVAL) {
            vrt_errbuf_set(err, cap, "%s: not a V4L2 device", path);
            return VRT_ENOTSUP;
        }
        vrt_errbuf_set(err, cap, "%s: VIDIOC_QUERYCAP failed: %s", path, strerror(e));
        return errno_status(e);
    }
    vrt_v4l2_device *d = vrt_calloc(1, sizeof(*d));
    if (!d) {
        ops->close(ops->ctx, fd);
        vrt_errbuf_set(err, cap, "%s: out of memory", path);
        return VRT_ENOMEM;
    }
    snprintf(d->path, sizeof(d->path), "%s", path);
    snprintf(d->driver, sizeof(d->driver), "%.*s", (int)sizeof(c.driver), (const char *)c.driver);
    snprintf(d->card, sizeof(d->card), "%.*s", (int)sizeof(c.card), (const char *)c.card);
    snprintf(d->bus_info, sizeof(d->bus_info), "%.*s", (int)sizeof(c.bus_info), (const char *)c.bus_info);
    d->version = c.version;
    d->capabilities = c.capabilities;
    d->device_caps = (c.capabilities & V4L2_CAP_DEVICE_CAPS) ? c.device_caps : c.capabilities;
    d->is_capture = (d->device_caps & V4L2_CAP_VIDEO_CAPTURE) != 0;
    d->has_streaming = (d->device_caps & V4L2_CAP_STREAMING) != 0;
    d->has_readwrite = (d->device_caps & V4L2_CAP_READWRITE) != 0;
    if (d->is_capture) {
        int n = 0;
        for (uint32_t i = 0; i < 256; i++) {
            struct v4l2_fmtdesc fd_ = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
            if (xioctl(ops, fd, VIDIOC_ENUM_FMT, &fd_) < 0) break;
            n++;
        }
        d->formats = n ? vrt_calloc((size_t)n, sizeof(vrt_v4l2_format)) : NULL;
        for (uint32_t i = 0; d->formats && i < (uint32_t)n; i++) {
            struct v4l2_fmtdesc fd_ = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
            if (xioctl(ops, fd, VIDIOC_ENUM_FMT, &fd_) < 0) break;
            vrt_v4l2_format *f = &d->formats[d->num_formats++];
            f->fourcc = fd_.pixelformat;
            snprintf(f->description, sizeof(f->description), "%.*s", (int)sizeof(fd_.description),
                     (const char *)fd_.description);
            f->compressed = (fd_.flags & V4L2_FMT_FLAG_COMPRESSED) != 0;
            f->emulated = (fd_.flags & V4L2_FMT_FLAG_EMULATED) != 0;
            fill_sizes(ops, fd, f);
        }
        struct v4l2_format fmt;
        memset(&fmt, 0, sizeof(fmt));
        fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        if (xioctl(ops, fd, VIDIOC_G_FMT, &fmt) == 0) {
            d->cur_fourcc = fmt.fmt.pix.pixelformat;
            d->cur_width = fmt.fmt.pix.width;
            d->cur_height = fmt.fmt.pix.height;
            d->cur_bytesperline = fmt.fmt.pix.bytesperline;
            d->cur_sizeimage = fmt.fmt.pix.sizeimage;
        }
        struct v4l2_streamparm parm;
        memset(&parm, 0, sizeof(parm));
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        if (xioctl(ops, fd, VIDIOC_G_PARM, &parm) == 0) {
            d->can_set_fps = (parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME) != 0;
            d->cur_interval.num = parm.parm.capture.timeperframe.numerator;
            d->cur_interval.den = parm.parm.capture.timeperframe.denominator;
            if (d->cur_interval.num && d->cur_interval.den)
                d->cur_fps = (double)d->cur_interval.den / d->cur_interval.num;
        }
    }
    int nc = enum_controls(ops, fd, NULL, 0, 0);
    if (nc > 0) {
        d->controls = vrt_calloc((size_t)nc, sizeof(vrt_v4l2_control));
        if (d->controls) {
            int got = enum_controls(ops, fd, d->controls, nc, 1);
            d->num_controls = got < nc ? got : nc;
        }
    }
    ops->close(ops->ctx, fd);
    *out = d;
    return VRT_OK;
}

void vrt_v4l2_device_free(vrt_v4l2_device **pd) {
    if (!pd || !*pd) return;
    vrt_v4l2_device *d = *pd;
    for (int i = 0; i < d->num_formats; i++) {
        for (int j = 0; j < d->formats[i].num_sizes; j++)
            vrt_free(d->formats[i].sizes[j].intervals);
        vrt_free(d->formats[i].sizes);
    }
    vrt_free(d->formats);
    for (int i = 0; i < d->num_controls; i++)
        vrt_free(d->controls[i].menu);
    vrt_free(d->controls);
    vrt_free(d);
    *pd = NULL;
}

vrt_status vrt_v4l2_list(const struct vrt_v4l2_ops *ops, vrt_v4l2_device ***out, int *count, char *err,
                         size_t cap) {
    char tmp[1];
    if (!err) err = tmp, cap = sizeof(tmp);
    if (cap) err[0] = 0;
    if (!out || !count) return VRT_EINVAL;
    *out = NULL;
    *count = 0;
    if (!ops) ops = &k_sys_ops;
    vrt_v4l2_device **list = vrt_calloc(64, sizeof(*list));
    if (!list) {
        vrt_errbuf_set(err, cap, "out of memory");
        return VRT_ENOMEM;
    }
    int n = 0;
    for (int i = 0; i < 64; i++) {
        char path[32], perr[512];
        snprintf(path, sizeof(path), "/dev/video%d", i);
        int fd = ops->open(ops->ctx, path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (e != ENOENT && e != ENXIO && e != ENODEV)
                vrt_log(VRT_LOG_WARN, path, "skipped: cannot open: %s%s", strerror(e),
                        e == EACCES ? " (add the user to group 'video')" : "");
            continue;
        }
        ops->close(ops->ctx, fd);
        vrt_v4l2_device *d = NULL;
        if (vrt_v4l2_probe(path, ops, &d, perr, sizeof(perr))) {
            vrt_log(VRT_LOG_WARN, path, "skipped: %s", perr);
            continue;
        }
        if (d->is_capture)
            list[n++] = d;
        else
            vrt_v4l2_device_free(&d);
    }
    if (!n) {
        vrt_free(list);
        list = NULL;
    }
    *out = list;
    *count = n;
    return VRT_OK;
}

void vrt_v4l2_list_free(vrt_v4l2_device ***plist, int count) {
    if (!plist || !*plist) return;
    for (int i = 0; i < count; i++)
        vrt_v4l2_device_free(&(*plist)[i]);
    vrt_free(*plist);
    *plist = NULL;
}

const char *vrt_v4l2_cap_name(uint32_t bit) {
    switch (bit) {
    case V4L2_CAP_VIDEO_CAPTURE: return "video_capture";
    case V4L2_CAP_VIDEO_CAPTURE_MPLANE: return "video_capture_mplane";
    case V4L2_CAP_VIDEO_OUTPUT: return "video_output";
    case V4L2_CAP_VIDEO_OUTPUT_MPLANE: return "video_output_mplane";
    case V4L2_CAP_VIDEO_M2M: return "video_m2m";
    case V4L2_CAP_VIDEO_M2M_MPLANE: return "video_m2m_mplane";
    case V4L2_CAP_VIDEO_OVERLAY: return "video_overlay";
    case V4L2_CAP_VBI_CAPTURE: return "vbi_capture";
    case V4L2_CAP_META_CAPTURE: return "meta_capture";
    case V4L2_CAP_META_OUTPUT: return "meta_output";
    case V4L2_CAP_TUNER: return "tuner";
    case V4L2_CAP_AUDIO: return "audio";
    case V4L2_CAP_RADIO: return "radio";
    case V4L2_CAP_READWRITE: return "readwrite";
    case V4L2_CAP_STREAMING: return "streaming";
    case V4L2_CAP_EXT_PIX_FORMAT: return "ext_pix_format";
    case V4L2_CAP_TOUCH: return "touch";
    case V4L2_CAP_IO_MC: return "io_mc";
    case V4L2_CAP_DEVICE_CAPS: return "device_caps";
    default: return NULL;
    }
}
