/* Fake V4L2 capture devices; see fake_v4l2.h. In the test library the MJPG
 * frames are made with the image layer's encoder; built with
 * VRT_FAKE_V4L2_STANDALONE (the LD_PRELOAD library, which must not link
 * libvrt) the file needs libc, pthreads and libjpeg only, and MJPG frames are
 * flat grey JPEGs encoded with libjpeg directly. */
#include "fake_v4l2.h"
#ifndef VRT_FAKE_V4L2_STANDALONE
#include "vrt/image.h"
#else
#include <setjmp.h>
#include <stdio.h>
#include <jpeglib.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FK_MAX_DEV 8
#define FK_MAX_FD 64
#define FK_MAX_BUF 32
#define FK_MAX_ALLOC 256

enum { B_USER = 0, B_QUEUED = 1, B_DONE = 2 };

typedef struct fk_buf {
    int state;
    uint32_t seq, bytesused, length;
    int64_t ts;
    uint8_t *mem;          /* MMAP: our allocation */
    unsigned long userptr; /* USERPTR: the caller's */
} fk_buf;

/* One MMAP allocation; lives until the queue released it and nobody maps it. */
typedef struct fk_alloc {
    uint8_t *ptr;
    size_t len;
    int mapped;
    int owned; /* still part of a queue */
} fk_alloc;

enum { C_CLASS, C_BRIGHTNESS, C_CONTRAST, C_WB_AUTO, C_GAIN, C_WB_TEMP, C_EXP_AUTO, C_EXP_ABS, C_NCTRL };

typedef struct fk_ctrl_def {
    uint32_t id;
    uint32_t type;
    const char *name;
    int32_t min, max, step, def;
    uint32_t flags;
} fk_ctrl_def;

static const fk_ctrl_def k_ctrls[C_NCTRL] = {
    {V4L2_CID_USER_CLASS, V4L2_CTRL_TYPE_CTRL_CLASS, "User Controls", 0, 0, 0, 0,
     V4L2_CTRL_FLAG_READ_ONLY | V4L2_CTRL_FLAG_WRITE_ONLY},
    {V4L2_CID_BRIGHTNESS, V4L2_CTRL_TYPE_INTEGER, "Brightness", -64, 64, 1, 0, 0},
    {V4L2_CID_CONTRAST, V4L2_CTRL_TYPE_INTEGER, "Contrast", 0, 95, 1, 32, 0},
    {V4L2_CID_AUTO_WHITE_BALANCE, V4L2_CTRL_TYPE_BOOLEAN, "White Balance, Automatic", 0, 1, 1, 1, 0},
    {V4L2_CID_GAIN, V4L2_CTRL_TYPE_INTEGER, "Gain", 0, 255, 1, 16, 0},
    {V4L2_CID_WHITE_BALANCE_TEMPERATURE, V4L2_CTRL_TYPE_INTEGER, "White Balance Temperature", 2800, 6500, 10,
     4600, 0},
    {V4L2_CID_EXPOSURE_AUTO, V4L2_CTRL_TYPE_MENU, "Auto Exposure", 0, 3, 1, 3, 0},
    {V4L2_CID_EXPOSURE_ABSOLUTE, V4L2_CTRL_TYPE_INTEGER, "Exposure Time, Absolute", 3, 2047, 1, 250, 0},
};
/* Like uvcvideo: auto_exposure offers only "Manual Mode" (1) and "Aperture Priority Mode" (3). */
static const char *exp_menu_name(uint32_t i) {
    return i == 1 ? "Manual Mode" : i == 3 ? "Aperture Priority Mode" : NULL;
}

typedef struct fk_dev {
    vrt_fake_v4l2_config c;
    int unplugged;
    int generation; /* bumped at unplug: older fds are dead */
    uint32_t fourcc, w, h, bpl, sizeimage, inum, iden;
    int64_t ctrl[C_NCTRL];
    /* vb2 queue */
    int owner; /* fd slot owning the queue, -1 none */
    uint32_t memory;
    int nbufs;
    fk_buf bufs[FK_MAX_BUF];
    int qfifo[FK_MAX_BUF], qhead, qn;
    int dfifo[FK_MAX_BUF], dhead, dn;
    int streaming;
    int64_t t0, period, next_k, produced, lost, produced_total;
    int64_t unplug_at; /* produced_total at which to unplug; 0 none */
    int eio_pending;
    int64_t eio_at, dqbuf_calls;
    int64_t eio_run;       /* EIOs in a row from eio_at (default 1) */
    int64_t stall_after;   /* >0: no frame after this many since STREAMON (until the next one) */
    int64_t short_every;   /* >0: frames with sequence N, 2N, ... report half their bytesused */
    int64_t over_every;    /* >0: frames with sequence N, 2N, ... report more bytes than the buffer */
    int64_t replug_every;  /* >0: unplugged after every N frames, back 50 ms later (unplug cycles) */
    int64_t unplugged_ns;  /* when the last unplug happened */
    int64_t replugs;       /* cycles done */
    int corrupt_pending;   /* the next n MJPG frames are corrupt */
    int64_t corrupt_every; /* >0: MJPG frames whose sequence is a multiple of this are corrupt */
    void *pic;             /* MJPG: raw picture the JPEGs are encoded from (vrt_frame *), lazily made */
    int opens_total, open_fds, dqbuf_ok;
} fk_dev;

typedef struct fk_fd {
    int fd; /* -1 free */
    int dev;
    int generation;
    int nonblock;
} fk_fd;

struct vrt_fake_v4l2 {
    pthread_mutex_t mu;
    int ndev;
    fk_dev dev[FK_MAX_DEV];
    fk_fd fds[FK_MAX_FD];
    fk_alloc allocs[FK_MAX_ALLOC];
    struct vrt_v4l2_ops ops;
};

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t t) {
    struct timespec ts = {(time_t)(t / 1000000000LL), (long)(t % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* ---- formats ---- */

static void fmt_sizes(uint32_t cc, uint32_t w, uint32_t h, uint32_t *bpl, uint32_t *size) {
    switch (cc) {
    case V4L2_PIX_FMT_YUYV:
    case V4L2_PIX_FMT_UYVY:
        *bpl = w * 2;
        *size = w * h * 2;
        break;
    case V4L2_PIX_FMT_NV12:
        *bpl = w;
        *size = w * h * 3 / 2;
        break;
    case V4L2_PIX_FMT_GREY:
        *bpl = w;
        *size = w * h;
        break;
    default:
        *bpl = 0;
        *size = w * h;
        break; /* MJPG: like uvcvideo's max frame size */
    }
}

static const char *fmt_desc(uint32_t cc) {
    switch (cc) {
    case V4L2_PIX_FMT_YUYV: return "YUYV 4:2:2";
    case V4L2_PIX_FMT_UYVY: return "UYVY 4:2:2";
    case V4L2_PIX_FMT_NV12: return "Y/UV 4:2:0";
    case V4L2_PIX_FMT_GREY: return "8-bit Greyscale";
    case V4L2_PIX_FMT_MJPEG: return "Motion-JPEG";
    default: return "Unknown";
    }
}

static int dev_has_format(const fk_dev *d, uint32_t cc) {
    for (int i = 0; i < d->c.num_formats; i++)
        if (d->c.formats[i] == cc) return 1;
    return 0;
}

static void adjust_fmt(const fk_dev *d, struct v4l2_pix_format *p) {
    if (!dev_has_format(d, p->pixelformat)) p->pixelformat = d->c.formats[0];
    int best = 0;
    long bestd = -1;
    for (int i = 0; i < d->c.num_sizes; i++) {
        long dd =
            labs((long)d->c.sizes[i][0] - (long)p->width) + labs((long)d->c.sizes[i][1] - (long)p->height);
        if (bestd < 0 || dd < bestd) {
            bestd = dd;
            best = i;
        }
    }
    p->width = d->c.sizes[best][0];
    p->height = d->c.sizes[best][1];
    fmt_sizes(p->pixelformat, p->width, p->height, &p->bytesperline, &p->sizeimage);
    p->field = V4L2_FIELD_NONE;
    p->colorspace = V4L2_COLORSPACE_SRGB;
}

static void set_interval(fk_dev *d, uint32_t num, uint32_t den) {
    double want = (num && den) ? (double)den / num : (double)d->c.rates[0];
    int best = 0;
    for (int i = 1; i < d->c.num_rates; i++) {
        double a = d->c.rates[i] - want, b = d->c.rates[best] - want;
        if ((a < 0 ? -a : a) < (b < 0 ? -b : b)) best = i;
    }
    d->inum = 1;
    d->iden = d->c.rates[best];
}

static void dev_reset(fk_dev *d) {
    struct v4l2_pix_format p = {
        .width = d->c.sizes[0][0], .height = d->c.sizes[0][1], .pixelformat = d->c.formats[0]};
    adjust_fmt(d, &p);
    d->fourcc = p.pixelformat;
    d->w = p.width;
    d->h = p.height;
    d->bpl = p.bytesperline;
    d->sizeimage = p.sizeimage;
    set_interval(d, 1, d->c.rates[0]);
    for (int i = 0; i < C_NCTRL; i++)
        d->ctrl[i] = k_ctrls[i].def;
    d->owner = -1;
    d->memory = 0;
    d->nbufs = 0;
    d->qn = d->dn = d->qhead = d->dhead = 0;
    d->streaming = 0;
}

/* ---- memory ---- */

static uint8_t *alloc_mem(vrt_fake_v4l2 *k, size_t len) {
    for (int i = 0; i < FK_MAX_ALLOC; i++) {
        fk_alloc *a = &k->allocs[i];
        if (a->ptr) continue;
        void *p = NULL;
        if (posix_memalign(&p, 4096, len ? len : 1)) return NULL;
        memset(p, 0, len);
        a->ptr = p;
        a->len = len;
        a->mapped = 0;
        a->owned = 1;
        return p;
    }
    return NULL;
}

static fk_alloc *find_alloc(vrt_fake_v4l2 *k, const void *p) {
    for (int i = 0; i < FK_MAX_ALLOC; i++)
        if (k->allocs[i].ptr && k->allocs[i].ptr == p) return &k->allocs[i];
    return NULL;
}

static void alloc_put(fk_alloc *a) {
    if (!a->owned && a->mapped <= 0) {
        free(a->ptr);
        memset(a, 0, sizeof(*a));
    }
}

static int any_mapped(vrt_fake_v4l2 *k, fk_dev *d) {
    if (d->memory != V4L2_MEMORY_MMAP) return 0;
    for (int i = 0; i < d->nbufs; i++) {
        fk_alloc *a = find_alloc(k, d->bufs[i].mem);
        if (a && a->mapped > 0) return 1;
    }
    return 0;
}

static void release_queue(vrt_fake_v4l2 *k, fk_dev *d) {
    for (int i = 0; i < d->nbufs; i++) {
        if (d->memory == V4L2_MEMORY_MMAP) {
            fk_alloc *a = find_alloc(k, d->bufs[i].mem);
            if (a) {
                a->owned = 0;
                alloc_put(a);
            }
        }
        memset(&d->bufs[i], 0, sizeof(d->bufs[i]));
    }
    d->nbufs = 0;
    d->memory = 0;
    d->qn = d->dn = d->qhead = d->dhead = 0;
    d->streaming = 0;
    d->owner = -1;
}

/* ---- frame production ---- */

static void put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The COM segment that carries the sequence number: FF FE, length 14, "VRTF", seq (LE). */
#define FK_COM_LEN 16
static void put_com(uint8_t *m, uint64_t seq) {
    static const uint8_t hdr[] = {0xFF, 0xFE, 0x00, 0x0E, 'V', 'R', 'T', 'F'};
    memcpy(m, hdr, sizeof(hdr));
    put_le64(m + 8, seq);
}

#ifndef VRT_FAKE_V4L2_STANDALONE
/* Like a UVC camera: a real JPEG of the picture for frame seq (background grey
 * 16 + seq % 200 as in the raw formats, the synthetic source's number code at
 * the top), with the COM segment right after SOI. Returns the size written, 0
 * if encoding failed. Corrupt frames keep SOI, COM and EOI but lose the middle
 * of the entropy-coded data, as a frame with lost USB packets does. */
static uint32_t fill_jpeg(fk_dev *d, uint8_t *m, uint32_t cap, uint64_t seq, int corrupt) {
    vrt_frame *pic = d->pic;
    if (pic && (pic->width != d->w || pic->height != d->h)) {
        vrt_frame_unref(&pic);
        d->pic = NULL;
    }
    if (!pic) {
        if (vrt_image_alloc(VRT_FMT_RGB24, d->w, d->h, &pic)) return 0;
        d->pic = pic;
    }
    memset(pic->planes[0].data, (int)(16 + seq % 200), pic->bytesused);
    vrt_synthetic_encode_number(pic, seq);
    static const int qualities[] = {90, 50, 10};
    for (int qi = 0; qi < 3; qi++) {
        uint8_t *jpg = NULL;
        size_t n = 0;
        if (vrt_jpeg_encode(pic, qualities[qi], &jpg, &n, NULL, 0) || n < 4) return 0;
        uint32_t total = (uint32_t)n + FK_COM_LEN;
        if (total > cap) {
            vrt_free(jpg);
            continue;
        }
        memcpy(m, jpg, 2); /* SOI */
        put_com(m + 2, seq);
        memcpy(m + 2 + FK_COM_LEN, jpg + 2, n - 2);
        vrt_free(jpg);
        if (corrupt) {
            /* Keep the first third, then EOI: the decoder runs out of data mid-scan. */
            total = total / 3;
            m[total++] = 0xFF;
            m[total++] = 0xD9;
        }
        return total;
    }
    return 0;
}
#else
typedef struct sa_jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
} sa_jerr;
static void sa_error_exit(j_common_ptr c) {
    longjmp(((sa_jerr *)c->err)->jb, 1);
}
static void sa_output_message(j_common_ptr c) {
    (void)c;
}

/* libjpeg part of fill_jpeg, apart so that nothing it uses changes between setjmp and longjmp. */
static int sa_encode(uint32_t w, uint32_t h, const uint8_t *row, int quality, unsigned char **buf,
                     unsigned long *len) {
    struct jpeg_compress_struct ci;
    sa_jerr e;
    ci.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = sa_error_exit;
    e.pub.output_message = sa_output_message;
    jpeg_create_compress(&ci);
    if (setjmp(e.jb)) {
        jpeg_destroy_compress(&ci);
        return -1;
    }
    jpeg_mem_dest(&ci, buf, len);
    ci.image_width = w;
    ci.image_height = h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW r = (JSAMPROW)row;
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    return 0;
}

/* As above, without libvrt: a flat grey 16 + seq % 200 picture (no number code). */
static uint32_t fill_jpeg(fk_dev *d, uint8_t *m, uint32_t cap, uint64_t seq, int corrupt) {
    uint8_t *row = malloc((size_t)d->w * 3);
    if (!row) return 0;
    memset(row, (int)(16 + seq % 200), (size_t)d->w * 3);
    static const int qualities[] = {90, 50, 10};
    uint32_t total = 0;
    for (int qi = 0; qi < 3 && !total; qi++) {
        unsigned char *jpg = NULL;
        unsigned long n = 0;
        if (sa_encode(d->w, d->h, row, qualities[qi], &jpg, &n) || n < 4) {
            free(jpg);
            break;
        }
        if (n + FK_COM_LEN <= cap) {
            total = (uint32_t)n + FK_COM_LEN;
            memcpy(m, jpg, 2);
            put_com(m + 2, seq);
            memcpy(m + 2 + FK_COM_LEN, jpg + 2, n - 2);
            if (corrupt) {
                total = total / 3;
                m[total++] = 0xFF;
                m[total++] = 0xD9;
            }
        }
        free(jpg);
    }
    free(row);
    return total;
}
#endif

static void fill(fk_dev *d, fk_buf *b, uint64_t seq) {
    uint8_t *m = d->memory == V4L2_MEMORY_MMAP ? b->mem : (uint8_t *)b->userptr;
    if (d->fourcc == V4L2_PIX_FMT_MJPEG) {
        int corrupt = 0;
        if (d->corrupt_pending > 0) {
            d->corrupt_pending--;
            corrupt = 1;
        }
        if (d->corrupt_every > 0 && seq % (uint64_t)d->corrupt_every == 0 && seq > 0) corrupt = 1;
        uint32_t n = fill_jpeg(d, m, b->length, seq, corrupt);
        if (!n) {
            /* Encoding failed (out of memory): SOI, COM with the number, zeros, EOI. */
            n = 64 + (uint32_t)(seq % 32);
            if (n > b->length) n = b->length;
            memset(m, 0, n);
            m[0] = 0xFF;
            m[1] = 0xD8;
            put_com(m + 2, seq);
            m[n - 2] = 0xFF;
            m[n - 1] = 0xD9;
        }
        b->bytesused = n;
    } else {
        uint32_t n = d->sizeimage;
        /* A grey picture whose brightness follows the sequence, with the number in it. */
        memset(m, (int)(16 + seq % 200), n);
        put_le64(m, seq);
        memcpy(m + 8, "VRTF", 4);
        put_le64(m + n - 8, seq);
        b->bytesused = n;
    }
}

static void do_unplug(vrt_fake_v4l2 *k, fk_dev *d) {
    if (d->unplugged) return;
    d->unplugged = 1;
    d->unplugged_ns = now_ns();
    d->generation++;
    release_queue(k, d); /* mapped memory stays valid until munmap, as with a real vma */
}

static void produce_one(vrt_fake_v4l2 *k, fk_dev *d) {
    int64_t seq = d->next_k++;
    d->produced++;
    d->produced_total++;
    if (d->qn > 0) {
        int idx = d->qfifo[d->qhead];
        d->qhead = (d->qhead + 1) % FK_MAX_BUF;
        d->qn--;
        fk_buf *b = &d->bufs[idx];
        fill(d, b, (uint64_t)seq);
        b->seq = (uint32_t)seq;
        b->ts = d->t0 + seq * d->period;
        b->state = B_DONE;
        d->dfifo[(d->dhead + d->dn) % FK_MAX_BUF] = idx;
        d->dn++;
    } else {
        d->lost++;
    }
    if (d->unplug_at > 0 && d->produced_total >= d->unplug_at) {
        d->unplug_at = 0;
        do_unplug(k, d);
    }
}

static void advance(vrt_fake_v4l2 *k, fk_dev *d) {
    if (d->c.manual_time) return;
    int64_t now = now_ns();
    while (d->streaming && !d->unplugged && d->t0 + d->next_k * d->period <= now &&
           !(d->stall_after > 0 && d->produced >= d->stall_after))
        produce_one(k, d);
}

/* ---- fds ---- */

static fk_dev *find_dev(vrt_fake_v4l2 *k, const char *path) {
    for (int i = 0; i < k->ndev; i++)
        if (!strcmp(k->dev[i].c.path, path)) return &k->dev[i];
    return NULL;
}

static fk_fd *find_fd(vrt_fake_v4l2 *k, int fd) {
    if (fd < 0) return NULL;
    for (int i = 0; i < FK_MAX_FD; i++)
        if (k->fds[i].fd == fd) return &k->fds[i];
    return NULL;
}

/* Looks up fd; sets errno and returns NULL if it is not ours (EBADF) or its device is gone (ENODEV). */
static fk_dev *fd_dev(vrt_fake_v4l2 *k, int fd, fk_fd **slot) {
    fk_fd *f = find_fd(k, fd);
    if (!f) {
        errno = EBADF;
        return NULL;
    }
    fk_dev *d = &k->dev[f->dev];
    if (d->unplugged || f->generation != d->generation) {
        errno = ENODEV;
        return NULL;
    }
    if (slot) *slot = f;
    return d;
}

static int fk_open(void *ctx, const char *path, int flags) {
    vrt_fake_v4l2 *k = ctx;
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    if (d && d->unplugged && d->replug_every > 0 && now_ns() - d->unplugged_ns >= 50000000) {
        d->unplugged = 0; /* the cable is back: the next cycle starts */
        dev_reset(d);
        d->replugs++;
        d->unplug_at = d->produced_total + d->replug_every;
    }
    if (!d || d->unplugged) {
        pthread_mutex_unlock(&k->mu);
        errno = ENOENT;
        return -1;
    }
    fk_fd *slot = NULL;
    for (int i = 0; i < FK_MAX_FD && !slot; i++)
        if (k->fds[i].fd < 0) slot = &k->fds[i];
    if (!slot) {
        pthread_mutex_unlock(&k->mu);
        errno = EMFILE;
        return -1;
    }
    /* A real fd number, so ours never collide with the process's own. */
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        pthread_mutex_unlock(&k->mu);
        return -1;
    }
    slot->fd = fd;
    slot->dev = (int)(d - k->dev);
    slot->generation = d->generation;
    slot->nonblock = (flags & O_NONBLOCK) != 0;
    d->opens_total++;
    d->open_fds++;
    pthread_mutex_unlock(&k->mu);
    return fd;
}

static int fk_close(void *ctx, int fd) {
    vrt_fake_v4l2 *k = ctx;
    pthread_mutex_lock(&k->mu);
    fk_fd *f = find_fd(k, fd);
    if (!f) {
        pthread_mutex_unlock(&k->mu);
        errno = EBADF;
        return -1;
    }
    fk_dev *d = &k->dev[f->dev];
    int slot = (int)(f - k->fds);
    if (f->generation == d->generation && d->owner == slot) release_queue(k, d);
    d->open_fds--;
    f->fd = -1;
    syscall(SYS_close, fd);
    pthread_mutex_unlock(&k->mu);
    return 0;
}

/* ---- ioctls ---- */

static int ctrl_index(uint32_t id) {
    for (int i = 0; i < C_NCTRL; i++)
        if (k_ctrls[i].id == id) return i;
    return -1;
}

static void fill_buf(fk_dev *d, int idx, struct v4l2_buffer *b) {
    fk_buf *fb = &d->bufs[idx];
    uint32_t type = b->type;
    memset(b, 0, sizeof(*b));
    b->index = (uint32_t)idx;
    b->type = type;
    b->memory = d->memory;
    b->length = fb->length;
    b->bytesused = fb->state == B_QUEUED ? 0 : fb->bytesused;
    b->sequence = fb->seq;
    if (fb->state != B_QUEUED && fb->seq > 0 && d->short_every > 0 && fb->seq % d->short_every == 0)
        b->bytesused /= 2;
    if (fb->state != B_QUEUED && fb->seq > 0 && d->over_every > 0 && fb->seq % d->over_every == 0)
        b->bytesused = fb->length + 4096;
    b->field = V4L2_FIELD_NONE;
    b->timestamp.tv_sec = fb->ts / 1000000000LL;
    b->timestamp.tv_usec = (fb->ts % 1000000000LL) / 1000;
    b->flags = d->c.ts_unknown ? V4L2_BUF_FLAG_TIMESTAMP_UNKNOWN : V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
    b->flags |= V4L2_BUF_FLAG_TSTAMP_SRC_EOF;
    if (fb->state == B_QUEUED) b->flags |= V4L2_BUF_FLAG_QUEUED;
    if (fb->state == B_DONE) b->flags |= V4L2_BUF_FLAG_DONE;
    if (d->memory == V4L2_MEMORY_MMAP) {
        b->m.offset = (uint32_t)idx << 16;
        b->flags |= V4L2_BUF_FLAG_MAPPED;
    } else {
        b->m.userptr = fb->userptr;
    }
}

/* Waits (mutex released) until the next frame of d is due or deadline passes. */
static void wait_frame(vrt_fake_v4l2 *k, fk_dev *d, int64_t deadline) {
    int64_t t = d->t0 + d->next_k * d->period;
    if (deadline >= 0 && deadline < t) t = deadline;
    pthread_mutex_unlock(&k->mu);
    sleep_until(t);
    pthread_mutex_lock(&k->mu);
}

static int do_ioctl(vrt_fake_v4l2 *k, int fd, unsigned long req, void *arg) {
    fk_fd *f = NULL;
    fk_dev *d = fd_dev(k, fd, &f);
    if (!d) return -1;
    int slot = (int)(f - k->fds);
    int capture = !d->c.not_capture;
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof(*c));
        snprintf((char *)c->driver, sizeof(c->driver), "%s", d->c.driver);
        snprintf((char *)c->card, sizeof(c->card), "%s", d->c.card);
        snprintf((char *)c->bus_info, sizeof(c->bus_info), "platform:vrt-fake-%d", (int)(d - k->dev));
        c->version = (6u << 16) | (1u << 8);
        uint32_t io = d->c.no_streaming ? V4L2_CAP_READWRITE : V4L2_CAP_STREAMING;
        c->device_caps = (capture ? V4L2_CAP_VIDEO_CAPTURE : V4L2_CAP_META_CAPTURE) | io;
        c->capabilities = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_META_CAPTURE | io | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *e = arg;
        if (!capture || e->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || e->index >= (uint32_t)d->c.num_formats)
            break;
        uint32_t idx = e->index, type = e->type;
        memset(e, 0, sizeof(*e));
        e->index = idx;
        e->type = type;
        e->pixelformat = d->c.formats[idx];
        e->flags = e->pixelformat == V4L2_PIX_FMT_MJPEG ? V4L2_FMT_FLAG_COMPRESSED : 0;
        snprintf((char *)e->description, sizeof(e->description), "%s", fmt_desc(e->pixelformat));
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *e = arg;
        if (!capture || !dev_has_format(d, e->pixel_format) || e->index >= (uint32_t)d->c.num_sizes) break;
        e->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        e->discrete.width = d->c.sizes[e->index][0];
        e->discrete.height = d->c.sizes[e->index][1];
        return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *e = arg;
        if (!capture || !dev_has_format(d, e->pixel_format) || e->index >= (uint32_t)d->c.num_rates) break;
        int ok = 0;
        for (int i = 0; i < d->c.num_sizes; i++)
            if (d->c.sizes[i][0] == e->width && d->c.sizes[i][1] == e->height) ok = 1;
        if (!ok) break;
        e->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        e->discrete.numerator = 1;
        e->discrete.denominator = d->c.rates[e->index];
        return 0;
    }
    case VIDIOC_G_FMT:
    case VIDIOC_TRY_FMT:
    case VIDIOC_S_FMT: {
        struct v4l2_format *fm = arg;
        if (!capture || fm->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) break;
        struct v4l2_pix_format *p = &fm->fmt.pix;
        if (req == VIDIOC_G_FMT) {
            memset(p, 0, sizeof(*p));
            p->width = d->w;
            p->height = d->h;
            p->pixelformat = d->fourcc;
            adjust_fmt(d, p);
            return 0;
        }
        adjust_fmt(d, p);
        if (req == VIDIOC_TRY_FMT) return 0;
        if (d->nbufs > 0 || (d->owner >= 0 && d->owner != slot)) {
            errno = EBUSY;
            return -1;
        }
        d->fourcc = p->pixelformat;
        d->w = p->width;
        d->h = p->height;
        d->bpl = p->bytesperline;
        d->sizeimage = p->sizeimage;
        return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
        struct v4l2_streamparm *sp = arg;
        if (!capture || sp->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) break;
        if (req == VIDIOC_S_PARM) {
            if (d->streaming) {
                errno = EBUSY;
                return -1;
            }
            set_interval(d, sp->parm.capture.timeperframe.numerator,
                         sp->parm.capture.timeperframe.denominator);
        }
        memset(&sp->parm, 0, sizeof(sp->parm));
        sp->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        sp->parm.capture.timeperframe.numerator = d->inum;
        sp->parm.capture.timeperframe.denominator = d->iden;
        return 0;
    }
    case VIDIOC_QUERYCTRL: {
        struct v4l2_queryctrl *q = arg;
        int idx = -1;
        if (q->id & V4L2_CTRL_FLAG_NEXT_CTRL) {
            uint32_t after = q->id & ~(V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND);
            for (int i = 0; i < C_NCTRL; i++)
                if (k_ctrls[i].id > after && (idx < 0 || k_ctrls[i].id < k_ctrls[idx].id)) idx = i;
        } else {
            idx = ctrl_index(q->id);
        }
        if (idx < 0) break;
        const fk_ctrl_def *c = &k_ctrls[idx];
        memset(q, 0, sizeof(*q));
        q->id = c->id;
        q->type = c->type;
        snprintf((char *)q->name, sizeof(q->name), "%s", c->name);
        q->minimum = c->min;
        q->maximum = c->max;
        q->step = c->step;
        q->default_value = c->def;
        q->flags = c->flags;
        /* Like uvcvideo: the exposure time is inactive while auto exposure runs. */
        if (idx == C_EXP_ABS && d->ctrl[C_EXP_AUTO] != V4L2_EXPOSURE_MANUAL)
            q->flags |= V4L2_CTRL_FLAG_INACTIVE;
        if (idx == C_WB_TEMP && d->ctrl[C_WB_AUTO]) q->flags |= V4L2_CTRL_FLAG_INACTIVE;
        return 0;
    }
    case VIDIOC_QUERYMENU: {
        struct v4l2_querymenu *m = arg;
        if (m->id != V4L2_CID_EXPOSURE_AUTO || !exp_menu_name(m->index)) break;
        memset(m->name, 0, sizeof(m->name));
        snprintf((char *)m->name, sizeof(m->name), "%s", exp_menu_name(m->index));
        return 0;
    }
    case VIDIOC_G_CTRL:
    case VIDIOC_S_CTRL: {
        struct v4l2_control *c = arg;
        int idx = ctrl_index(c->id);
        if (idx < 0 || k_ctrls[idx].type == V4L2_CTRL_TYPE_CTRL_CLASS) break;
        const fk_ctrl_def *def = &k_ctrls[idx];
        if (req == VIDIOC_G_CTRL) {
            c->value = (int32_t)d->ctrl[idx];
            return 0;
        }
        int64_t v = c->value;
        if (def->type == V4L2_CTRL_TYPE_MENU) {
            if (v < def->min || v > def->max || !exp_menu_name((uint32_t)v)) break;
        } else {
            /* The control framework clamps integers into range and rounds to the step. */
            if (v < def->min) v = def->min;
            if (v > def->max) v = def->max;
            v = def->min + (v - def->min + def->step / 2) / def->step * def->step;
        }
        d->ctrl[idx] = v;
        c->value = (int32_t)v;
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *r = arg;
        if (!capture || r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) break;
        if (r->memory != V4L2_MEMORY_MMAP && r->memory != V4L2_MEMORY_USERPTR) break;
        if (d->owner >= 0 && d->owner != slot) {
            errno = EBUSY;
            return -1;
        }
        if (d->streaming || any_mapped(k, d)) {
            errno = EBUSY;
            return -1;
        }
        release_queue(k, d);
        uint32_t n = r->count > FK_MAX_BUF ? FK_MAX_BUF : r->count;
        if (n == 0) {
            r->count = 0;
            return 0;
        }
        if (n < 2) n = 2; /* min_buffers_needed */
        d->memory = r->memory;
        for (uint32_t i = 0; i < n; i++) {
            fk_buf *b = &d->bufs[i];
            memset(b, 0, sizeof(*b));
            b->length = d->sizeimage;
            if (d->memory == V4L2_MEMORY_MMAP) {
                b->mem = alloc_mem(k, d->sizeimage);
                if (!b->mem) {
                    d->nbufs = (int)i;
                    release_queue(k, d);
                    errno = ENOMEM;
                    return -1;
                }
            }
        }
        d->nbufs = (int)n;
        d->owner = slot;
        r->count = n;
        return 0;
    }
    case VIDIOC_QUERYBUF:
    case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->index >= (uint32_t)d->nbufs) break;
        if (req == VIDIOC_QUERYBUF) {
            fill_buf(d, (int)b->index, b);
            return 0;
        }
        if (d->owner != slot) {
            errno = EBUSY;
            return -1;
        }
        fk_buf *fb = &d->bufs[b->index];
        if (b->memory != d->memory || fb->state != B_USER) break;
        if (d->memory == V4L2_MEMORY_USERPTR) {
            if (!b->m.userptr || b->length < d->sizeimage) break;
            fb->userptr = b->m.userptr;
            fb->length = b->length;
        }
        fb->state = B_QUEUED;
        d->qfifo[(d->qhead + d->qn) % FK_MAX_BUF] = (int)b->index;
        d->qn++;
        fill_buf(d, (int)b->index, b);
        return 0;
    }
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *b = arg;
        if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != d->memory) break;
        if (d->owner != slot) {
            errno = EBUSY;
            return -1;
        }
        if (!d->streaming) break;
        advance(k, d);
        while (d->dn == 0) {
            if (f->nonblock || d->c.manual_time || d->qn == 0) {
                errno = EAGAIN;
                return -1;
            }
            wait_frame(k, d, -1);
            if (!(d = fd_dev(k, fd, &f))) return -1;
            advance(k, d);
        }
        d->dqbuf_calls++;
        if (d->eio_pending > 0 || (d->eio_at > 0 && d->dqbuf_calls == d->eio_at)) {
            if (d->eio_pending > 0)
                d->eio_pending--;
            else if (d->eio_run > 1)
                d->eio_pending = (int)d->eio_run - 1;
            errno = EIO;
            return -1;
        }
        int idx = d->dfifo[d->dhead];
        d->dhead = (d->dhead + 1) % FK_MAX_BUF;
        d->dn--;
        d->bufs[idx].state = B_USER;
        d->dqbuf_ok++;
        fill_buf(d, idx, b);
        return 0;
    }
    case VIDIOC_STREAMON:
    case VIDIOC_STREAMOFF: {
        int *type = arg;
        if (*type != V4L2_BUF_TYPE_VIDEO_CAPTURE) break;
        if (d->owner != slot) {
            errno = d->owner < 0 ? EINVAL : EBUSY;
            return -1;
        }
        if (req == VIDIOC_STREAMON) {
            if (d->streaming) return 0;
            d->streaming = 1;
            d->t0 = now_ns();
            d->period = (int64_t)d->inum * 1000000000LL / d->iden;
            d->next_k = d->produced = d->lost = 0;
            return 0;
        }
        d->streaming = 0;
        for (int i = 0; i < d->nbufs; i++)
            d->bufs[i].state = B_USER;
        d->qn = d->dn = d->qhead = d->dhead = 0;
        return 0;
    }
    default: errno = ENOTTY; return -1;
    }
    errno = EINVAL;
    return -1;
}

static int fk_ioctl(void *ctx, int fd, unsigned long req, void *arg) {
    vrt_fake_v4l2 *k = ctx;
    pthread_mutex_lock(&k->mu);
    int r = do_ioctl(k, fd, req, arg);
    int e = errno;
    pthread_mutex_unlock(&k->mu);
    errno = e;
    return r;
}

static void *fk_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, int64_t off) {
    vrt_fake_v4l2 *k = ctx;
    pthread_mutex_lock(&k->mu);
    fk_dev *d = fd_dev(k, fd, NULL);
    void *r = MAP_FAILED;
    int e = EINVAL;
    if (!d) {
        e = errno;
    } else if (d->memory == V4L2_MEMORY_MMAP && !(off & 0xffff) && (off >> 16) < d->nbufs &&
               len <= d->bufs[off >> 16].length && (flags & MAP_SHARED)) {
        fk_alloc *a = find_alloc(k, d->bufs[off >> 16].mem);
        if (a) {
            a->mapped++;
            r = a->ptr;
        }
    }
    pthread_mutex_unlock(&k->mu);
    if (r == MAP_FAILED) errno = e;
    return r;
}

static int fk_munmap(void *ctx, void *addr, size_t len) {
    vrt_fake_v4l2 *k = ctx;
    pthread_mutex_lock(&k->mu);
    fk_alloc *a = find_alloc(k, addr);
    if (!a || a->mapped <= 0) {
        pthread_mutex_unlock(&k->mu);
        errno = EINVAL;
        return -1;
    }
    a->mapped--;
    alloc_put(a);
    pthread_mutex_unlock(&k->mu);
    return 0;
}

static short fd_revents(vrt_fake_v4l2 *k, int fd) {
    fk_fd *f = find_fd(k, fd);
    if (!f) return POLLNVAL;
    fk_dev *d = &k->dev[f->dev];
    if (d->unplugged || f->generation != d->generation) return POLLERR | POLLHUP;
    if (d->owner != (int)(f - k->fds) || !d->streaming) return POLLERR;
    advance(k, d);
    if (d->unplugged) return POLLERR | POLLHUP;
    if (d->dn > 0) return POLLIN | POLLRDNORM;
    if (d->qn == 0) return POLLERR;
    return 0;
}

static int fk_poll(void *ctx, struct pollfd *fds, unsigned long nfds, int timeout_ms) {
    vrt_fake_v4l2 *k = ctx;
    int64_t deadline = timeout_ms < 0 ? -1 : now_ns() + (int64_t)timeout_ms * 1000000LL;
    pthread_mutex_lock(&k->mu);
    for (;;) {
        int n = 0;
        for (unsigned long i = 0; i < nfds; i++) {
            fds[i].revents = fd_revents(k, fds[i].fd) & (short)(fds[i].events | POLLERR | POLLHUP | POLLNVAL);
            if (fds[i].revents) n++;
        }
        if (n) {
            pthread_mutex_unlock(&k->mu);
            return n;
        }
        int64_t now = now_ns();
        if (timeout_ms == 0 || (deadline >= 0 && now >= deadline)) break;
        /* Sleep until the earliest next frame of any polled device (or the deadline). */
        fk_dev *d = NULL;
        for (unsigned long i = 0; i < nfds; i++) {
            fk_fd *f = find_fd(k, fds[i].fd);
            if (f && k->dev[f->dev].streaming && !k->dev[f->dev].c.manual_time) {
                fk_dev *c = &k->dev[f->dev];
                if (!d || c->t0 + c->next_k * c->period < d->t0 + d->next_k * d->period) d = c;
            }
        }
        if (!d) {
            if (deadline < 0) break; /* nothing can ever happen: do not hang the test */
            pthread_mutex_unlock(&k->mu);
            sleep_until(deadline);
            pthread_mutex_lock(&k->mu);
            continue;
        }
        wait_frame(k, d, deadline);
    }
    pthread_mutex_unlock(&k->mu);
    return 0;
}

/* ---- public ---- */

void vrt_fake_v4l2_default_config(vrt_fake_v4l2_config *c, const char *path) {
    memset(c, 0, sizeof(*c));
    snprintf(c->path, sizeof(c->path), "%s", path);
    c->num_formats = 2;
    c->formats[0] = V4L2_PIX_FMT_YUYV;
    c->formats[1] = V4L2_PIX_FMT_MJPEG;
    c->num_sizes = 3;
    c->sizes[0][0] = 640, c->sizes[0][1] = 480;
    c->sizes[1][0] = 1280, c->sizes[1][1] = 720;
    c->sizes[2][0] = 320, c->sizes[2][1] = 240;
    c->num_rates = 2;
    c->rates[0] = 30;
    c->rates[1] = 15;
}

vrt_fake_v4l2 *vrt_fake_v4l2_create(void) {
    vrt_fake_v4l2 *k = calloc(1, sizeof(*k));
    if (!k) return NULL;
    pthread_mutex_init(&k->mu, NULL);
    for (int i = 0; i < FK_MAX_FD; i++)
        k->fds[i].fd = -1;
    k->ops.open = fk_open;
    k->ops.close = fk_close;
    k->ops.ioctl = fk_ioctl;
    k->ops.mmap = fk_mmap;
    k->ops.munmap = fk_munmap;
    k->ops.poll = fk_poll;
    k->ops.ctx = k;
    return k;
}

void vrt_fake_v4l2_destroy(vrt_fake_v4l2 **pk) {
    if (!pk || !*pk) return;
    vrt_fake_v4l2 *k = *pk;
    for (int i = 0; i < FK_MAX_FD; i++)
        if (k->fds[i].fd >= 0) syscall(SYS_close, k->fds[i].fd);
    for (int i = 0; i < FK_MAX_ALLOC; i++)
        free(k->allocs[i].ptr);
#ifndef VRT_FAKE_V4L2_STANDALONE
    for (int i = 0; i < k->ndev; i++) {
        vrt_frame *pic = k->dev[i].pic;
        vrt_frame_unref(&pic);
    }
#endif
    pthread_mutex_destroy(&k->mu);
    free(k);
    *pk = NULL;
}

int vrt_fake_v4l2_add(vrt_fake_v4l2 *k, const vrt_fake_v4l2_config *c) {
    pthread_mutex_lock(&k->mu);
    if (k->ndev >= FK_MAX_DEV || find_dev(k, c->path) || c->num_formats < 1 || c->num_sizes < 1 ||
        c->num_rates < 1) {
        pthread_mutex_unlock(&k->mu);
        return -1;
    }
    fk_dev *d = &k->dev[k->ndev++];
    memset(d, 0, sizeof(*d));
    d->c = *c;
    if (!d->c.driver[0]) snprintf(d->c.driver, sizeof(d->c.driver), "vrt_fake");
    if (!d->c.card[0]) snprintf(d->c.card, sizeof(d->c.card), "Fake Camera");
    d->unplug_at = c->unplug_after;
    d->corrupt_every = c->corrupt_every;
    dev_reset(d);
    pthread_mutex_unlock(&k->mu);
    return 0;
}

static uint32_t parse_cc(const char *s, size_t n) {
    char b[8] = {0};
    if (n == 0 || n > 5) return 0;
    memcpy(b, s, n);
    if (!strcmp(b, "MJPEG") || !strcmp(b, "MJPG")) return V4L2_PIX_FMT_MJPEG;
    if (n != 4) return 0;
    return v4l2_fourcc(b[0], b[1], b[2], b[3]);
}

/* One device: PATH:FORMATS:SIZES:FPS[:OPTS]. */
static int parse_dev(vrt_fake_v4l2 *k, char *s) {
    char *field[5] = {0};
    int nf = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, ":", &save); t && nf < 5; t = strtok_r(NULL, ":", &save))
        field[nf++] = t;
    if (nf < 4) return -1;
    vrt_fake_v4l2_config c;
    vrt_fake_v4l2_default_config(&c, field[0]);
    c.num_formats = c.num_sizes = c.num_rates = 0;
    char *t;
    for (t = strtok_r(field[1], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint32_t cc = parse_cc(t, strlen(t));
        if (!cc || c.num_formats >= VRT_FAKE_MAX_FORMATS) return -1;
        c.formats[c.num_formats++] = cc;
    }
    for (t = strtok_r(field[2], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned w, h;
        if (sscanf(t, "%ux%u", &w, &h) != 2 || !w || !h || (w & 1) || (h & 1) ||
            c.num_sizes >= VRT_FAKE_MAX_SIZES)
            return -1;
        c.sizes[c.num_sizes][0] = w;
        c.sizes[c.num_sizes][1] = h;
        c.num_sizes++;
    }
    for (t = strtok_r(field[3], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned r;
        if (sscanf(t, "%u", &r) != 1 || !r || r > 1000 || c.num_rates >= VRT_FAKE_MAX_RATES) return -1;
        c.rates[c.num_rates++] = r;
    }
    int64_t eio_at = 0, extra[5] = {0}; /* eio_run, stall_after, short_every, over_every, replug_every */
    if (field[4]) {
        for (t = strtok_r(field[4], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            long long v;
            if (sscanf(t, "unplug_after=%lld", &v) == 1)
                c.unplug_after = v;
            else if (sscanf(t, "eio_at=%lld", &v) == 1)
                eio_at = v;
            else if (sscanf(t, "eio_run=%lld", &v) == 1)
                extra[0] = v;
            else if (sscanf(t, "stall_after=%lld", &v) == 1)
                extra[1] = v;
            else if (sscanf(t, "short_every=%lld", &v) == 1)
                extra[2] = v;
            else if (sscanf(t, "over_every=%lld", &v) == 1)
                extra[3] = v;
            else if (sscanf(t, "replug_every=%lld", &v) == 1)
                c.unplug_after = extra[4] = v;
            else if (sscanf(t, "corrupt_every=%lld", &v) == 1 && v > 0)
                c.corrupt_every = v;
            else if (!strcmp(t, "no_streaming"))
                c.no_streaming = 1;
            else if (!strcmp(t, "not_capture"))
                c.not_capture = 1;
            else if (!strcmp(t, "ts_unknown"))
                c.ts_unknown = 1;
            else
                return -1;
        }
    }
    if (vrt_fake_v4l2_add(k, &c)) return -1;
    fk_dev *nd = &k->dev[k->ndev - 1];
    nd->eio_at = eio_at;
    nd->eio_run = extra[0], nd->stall_after = extra[1], nd->short_every = extra[2], nd->over_every = extra[3];
    nd->replug_every = extra[4];
    return 0;
}

int vrt_fake_v4l2_add_spec(vrt_fake_v4l2 *k, const char *spec) {
    size_t n = strlen(spec);
    char *copy = malloc(n + 1);
    if (!copy) return -1;
    memcpy(copy, spec, n + 1);
    int rc = 0;
    char *save = NULL;
    for (char *d = strtok_r(copy, ";| \t\n", &save); d && !rc; d = strtok_r(NULL, ";| \t\n", &save))
        rc = parse_dev(k, d);
    free(copy);
    return rc;
}

vrt_fake_v4l2 *vrt_fake_v4l2_from_env(void) {
    const char *spec = getenv("VRT_FAKE_V4L2");
    if (!spec || !*spec) return NULL;
    vrt_fake_v4l2 *k = vrt_fake_v4l2_create();
    if (k && vrt_fake_v4l2_add_spec(k, spec)) {
        fprintf(stderr, "fake_v4l2: cannot parse VRT_FAKE_V4L2='%s' (want PATH:FORMATS:SIZES:FPS[:OPTS])\n",
                spec);
        vrt_fake_v4l2_destroy(&k);
    }
    return k;
}

const struct vrt_v4l2_ops *vrt_fake_v4l2_ops(vrt_fake_v4l2 *k) {
    return &k->ops;
}

int vrt_fake_v4l2_has_path(vrt_fake_v4l2 *k, const char *path) {
    pthread_mutex_lock(&k->mu);
    int r = path && find_dev(k, path) != NULL;
    pthread_mutex_unlock(&k->mu);
    return r;
}

int vrt_fake_v4l2_owns_fd(vrt_fake_v4l2 *k, int fd) {
    pthread_mutex_lock(&k->mu);
    int r = find_fd(k, fd) != NULL;
    pthread_mutex_unlock(&k->mu);
    return r;
}

int vrt_fake_v4l2_owns_mem(vrt_fake_v4l2 *k, const void *addr) {
    pthread_mutex_lock(&k->mu);
    int r = addr && find_alloc(k, addr) != NULL;
    pthread_mutex_unlock(&k->mu);
    return r;
}

void vrt_fake_v4l2_advance(vrt_fake_v4l2 *k, const char *path, int n) {
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    for (int i = 0; d && i < n && d->streaming && !d->unplugged; i++)
        produce_one(k, d);
    pthread_mutex_unlock(&k->mu);
}

void vrt_fake_v4l2_unplug(vrt_fake_v4l2 *k, const char *path) {
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    if (d) do_unplug(k, d);
    pthread_mutex_unlock(&k->mu);
}

void vrt_fake_v4l2_unplug_after(vrt_fake_v4l2 *k, const char *path, int64_t frames) {
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    if (d) d->unplug_at = d->produced_total + frames;
    pthread_mutex_unlock(&k->mu);
}

void vrt_fake_v4l2_replug(vrt_fake_v4l2 *k, const char *path) {
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    if (d && d->unplugged) {
        d->unplugged = 0;
        dev_reset(d);
    }
    pthread_mutex_unlock(&k->mu);
}

void vrt_fake_v4l2_fail_dqbuf(vrt_fake_v4l2 *k, const char *path, int n) {
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    if (d) d->eio_pending = n;
    pthread_mutex_unlock(&k->mu);
}

void vrt_fake_v4l2_corrupt_jpeg(vrt_fake_v4l2 *k, const char *path, int n) {
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    if (d) d->corrupt_pending = n;
    pthread_mutex_unlock(&k->mu);
}

void vrt_fake_v4l2_get_state(vrt_fake_v4l2 *k, const char *path, vrt_fake_v4l2_state *st) {
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    if (d) {
        advance(k, d);
        st->produced = d->produced;
        st->lost = d->lost;
        st->produced_total = d->produced_total;
        st->num_buffers = d->nbufs;
        st->queued = d->qn;
        st->done = d->dn;
        st->dequeued = d->nbufs - d->qn - d->dn;
        st->streaming = d->streaming;
        st->unplugged = d->unplugged;
        st->open_fds = d->open_fds;
        st->opens_total = d->opens_total;
        st->dqbuf_ok = d->dqbuf_ok;
        st->fourcc = d->fourcc;
        st->width = d->w;
        st->height = d->h;
        st->bytesperline = d->bpl;
        st->sizeimage = d->sizeimage;
        st->interval_num = d->inum;
        st->interval_den = d->iden;
        st->t0_ns = d->t0;
        st->period_ns = d->period;
    }
    pthread_mutex_unlock(&k->mu);
}

int64_t vrt_fake_v4l2_frame_time(vrt_fake_v4l2 *k, const char *path, uint64_t seq) {
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    int64_t t = d ? d->t0 + (int64_t)seq * d->period : 0;
    pthread_mutex_unlock(&k->mu);
    return t;
}

int64_t vrt_fake_v4l2_control(vrt_fake_v4l2 *k, const char *path, uint32_t id) {
    pthread_mutex_lock(&k->mu);
    fk_dev *d = find_dev(k, path);
    int idx = ctrl_index(id);
    int64_t v = (d && idx >= 0) ? d->ctrl[idx] : INT64_MIN;
    pthread_mutex_unlock(&k->mu);
    return v;
}

uint64_t vrt_fake_v4l2_frame_seq(const uint8_t *m, size_t n, uint32_t fourcc) {
    if (!m) return UINT64_MAX;
    if (fourcc == V4L2_PIX_FMT_MJPEG) {
        if (n < 20 || m[0] != 0xFF || m[1] != 0xD8 || m[2] != 0xFF || m[3] != 0xFE ||
            memcmp(m + 6, "VRTF", 4) || m[n - 2] != 0xFF || m[n - 1] != 0xD9)
            return UINT64_MAX;
        return get_le64(m + 10);
    }
    if (n < 24 || memcmp(m + 8, "VRTF", 4)) return UINT64_MAX;
    uint64_t a = get_le64(m), b = get_le64(m + n - 8);
    return a == b ? a : UINT64_MAX;
}
