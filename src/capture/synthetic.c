/* synthetic: a camera-like source that needs no hardware. It draws colour
 * bars, a moving box and, at the top, the frame number as black/white cells
 * (vrt_synthetic_encode_number), so a test can read back which frame a
 * result came from after any conversion, JPEG round trip or resize.
 *
 * Timing is that of a camera: frame n exists at t0 + n * period, where t0 is
 * the start time. In newest mode read() hands out the newest existing frame
 * not yet delivered and counts the skipped ones as dropped; in all mode it
 * hands out every frame in order. fps=0 in the URI means as fast as
 * possible (params.fps = 0 means the default, 30): no waiting, timestamps from the clock.
 *
 * Nothing is allocated per frame: frames come from a pool sized at open and
 * the bars are rendered once, in the output format, into a background that
 * each frame starts from.
 *
 * format=MJPEG: each frame is drawn in RGB24 into a scratch frame made at open
 * and encoded with vrt_jpeg_encode (quality 90, 4:2:0) into a pool frame sized
 * for the worst case (vrt_frame_size_for: 3 bytes a pixel + 4 KiB); bytesused
 * is the JPEG size. The encoder's output buffer is the one allocation per
 * frame (vrt/image.h has no encode-into-buffer call yet). */
#include "source-impl.h"
#include "vrt/image.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define KNOWN_KEYS "width, height, fps, format, mode (newest|all), frames, buffers"

typedef struct synth {
    vrt_frame_pool_t *pool;
    vrt_frame *bg;     /* pre-rendered bars, same format and layout as the pool's frames (RGB24 for MJPEG) */
    vrt_frame *raw;    /* MJPEG only: the frame drawn before encoding (RGB24) */
    int64_t period_ns; /* 0: as fast as possible */
    int64_t t0;        /* ns, CLOCK_MONOTONIC: when frame 0 exists */
    uint64_t next;     /* first frame number not yet handed out */
    int64_t max_frames;
    uint32_t band_h; /* height of the code band at the top */
    uint32_t box;    /* side of the moving box */
} synth;

static int has_key(const vrt__uri *u, const char *k) {
    for (int i = 0; i < u->nkeys; i++)
        if (!strcasecmp(u->keys[i], k)) return 1;
    return 0;
}

/* 75% colour bars, SMPTE order, below the code band. */
static void draw_bars(vrt_frame *f, uint32_t y0) {
    static const uint8_t bars[8][3] = {{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0},
                                       {191, 0, 191},   {191, 0, 0},   {0, 0, 191},   {32, 32, 32}};
    vrt_image_fill_rect(f, 0, 0, (int)f->width, (int)y0, 96, 96, 96);
    for (int i = 0; i < 8; i++) {
        int x0 = 2 * (int)((uint64_t)f->width * i / 16), x1 = 2 * (int)((uint64_t)f->width * (i + 1) / 16);
        vrt_image_fill_rect(f, x0, (int)y0, x1 - x0, (int)(f->height - y0), bars[i][0], bars[i][1],
                            bars[i][2]);
    }
}

/* Triangle wave: position in [0, span] after `step` steps of `speed` px. */
static uint32_t bounce(uint64_t step, uint32_t speed, uint32_t span) {
    if (!span) return 0;
    uint64_t p = (step * speed) % (2 * (uint64_t)span);
    return (uint32_t)(p <= span ? p : 2 * (uint64_t)span - p);
}

static void render(synth *p, vrt_frame *f, uint64_t n) {
    memcpy(f->planes[0].data, p->bg->planes[0].data, p->bg->bytesused);
    uint32_t span_x = f->width > p->box ? f->width - p->box : 0;
    uint32_t span_y = f->height > p->band_h + p->box ? f->height - p->band_h - p->box : 0;
    int bx = (int)bounce(n, 4, span_x), by = (int)(p->band_h + bounce(n, 2, span_y));
    vrt_image_fill_rect(f, bx, by, (int)p->box, (int)p->box, 255, 128, 0);
    vrt_synthetic_encode_number(f, n);
}

static vrt_status synth_open(vrt_source_t *s, vrt__uri *u, const vrt_source_params *prm) {
    (void)prm; /* s->params already holds them; the URI overrides below */
    synth *p = vrt_calloc(1, sizeof(*p));
    if (!p) return VRT_ENOMEM;
    s->priv = p;
    int fps_in_uri = has_key(u, "fps");
    vrt_status st = vrt__source_common_keys(s, u);
    if (st) return st;
    const char *mode = vrt__uri_get(u, "mode");
    if (mode) {
        if (!strcasecmp(mode, "newest"))
            s->params.mode = VRT_MODE_NEWEST;
        else if (!strcasecmp(mode, "all"))
            s->params.mode = VRT_MODE_ALL;
        else {
            VRT__SRC_ERR(s, "synthetic: mode '%s' unknown; use mode=newest or mode=all", mode);
            return VRT_EINVAL;
        }
    }
    int64_t frames = s->params.max_frames, buffers = s->params.buffers;
    if ((st = vrt__uri_get_int(u, "frames", &frames, s->err, sizeof(s->err)))) return st;
    if ((st = vrt__uri_get_int(u, "buffers", &buffers, s->err, sizeof(s->err)))) return st;
    if (frames < 0 || buffers < 0 || buffers > 64) {
        VRT__SRC_ERR(s, "synthetic: frames=%lld / buffers=%lld out of range (frames >= 0, buffers 1..64)",
                     (long long)frames, (long long)buffers);
        return VRT_EINVAL;
    }
    if ((st = vrt__uri_check_unused(u, KNOWN_KEYS, s->err, sizeof(s->err)))) return st;
    s->params.max_frames = frames;
    s->params.buffers = buffers ? (int)buffers : 4;
    if (!s->params.width) s->params.width = 640;
    if (!s->params.height) s->params.height = 480;
    if (!s->params.fourcc) s->params.fourcc = VRT_FMT_YUYV;
    if (!fps_in_uri && s->params.fps == 0) s->params.fps = 30;
    double fps = s->params.fps > 0 ? s->params.fps : 0;
    s->params.fps = fps;

    char nb[8];
    uint32_t cc = s->params.fourcc, w = s->params.width, h = s->params.height;
    if (!vrt_fourcc_is_raw(cc) && cc != VRT_FMT_MJPEG) {
        VRT__SRC_ERR(s,
                     "synthetic: format %s not supported; use YUYV, UYVY, NV12, RGB24, BGR24, GREY or MJPEG",
                     vrt_fourcc_name(cc, nb));
        return VRT_EINVAL;
    }
    /* What the pattern is drawn in: the output format, or RGB24 for MJPEG. */
    uint32_t draw_cc = cc == VRT_FMT_MJPEG ? VRT_FMT_RGB24 : cc;
    if (!vrt_frame_size_for(cc, w, h) || w < VRT_SYNTH_CELLS * 2 || h < VRT_SYNTH_ROWS_DIV * 2) {
        VRT__SRC_ERR(s,
                     "synthetic: size %ux%u not possible for %s (at least %dx%d; even width for "
                     "YUYV/UYVY, even width and height for NV12)",
                     w, h, vrt_fourcc_name(cc, nb), VRT_SYNTH_CELLS * 2, VRT_SYNTH_ROWS_DIV * 2);
        return VRT_EINVAL;
    }
    vrt_frame_pool_params pp;
    vrt_frame_pool_default_params(&pp);
    pp.fourcc = cc;
    pp.width = w;
    pp.height = h;
    pp.count = (uint32_t)s->params.buffers;
    if ((st = vrt_frame_pool_create(&p->pool, &pp))) {
        VRT__SRC_ERR(s, "synthetic: cannot create a pool of %u %ux%u frames: %s", pp.count, w, h,
                     vrt_status_str(st));
        return st;
    }
    if ((st = vrt_image_alloc(draw_cc, w, h, &p->bg)) ||
        (cc == VRT_FMT_MJPEG && (st = vrt_image_alloc(draw_cc, w, h, &p->raw)))) {
        VRT__SRC_ERR(s, "synthetic: out of memory");
        return st;
    }
    p->period_ns = fps > 0 ? (int64_t)(1e9 / fps + 0.5) : 0;
    p->max_frames = frames;
    p->band_h = 2 * (uint32_t)(((uint64_t)h * 2 + VRT_SYNTH_ROWS_DIV) / (2 * VRT_SYNTH_ROWS_DIV));
    p->box = (h / 6) & ~1u;
    if (p->box < 2) p->box = 2;
    draw_bars(p->bg, p->band_h);

    s->info.fourcc = cc;
    s->info.width = w;
    s->info.height = h;
    s->info.fps = fps;
    s->info.frame_count = frames ? frames : -1;
    s->info.driver_timestamps = 0;
    s->info.monotonic_timestamps = 1;
    s->info.buffers = (int)pp.count;
    s->info.mode = s->params.mode;
    snprintf(s->info.driver, sizeof(s->info.driver), "%s", "synthetic");
    return VRT_OK;
}

static vrt_status synth_start(vrt_source_t *s) {
    synth *p = s->priv;
    /* A restart continues the numbering: frame `next` exists now. */
    p->t0 = vrt_now_ns() - (int64_t)p->next * p->period_ns;
    return VRT_OK;
}

static vrt_status synth_read(vrt_source_t *s, vrt_frame **out, int timeout_ms) {
    synth *p = s->priv;
    if (p->max_frames > 0 && p->next >= (uint64_t)p->max_frames) return VRT_EOF;
    int64_t now = vrt_now_ns();
    uint64_t n = p->next;
    int64_t ts = now;
    if (p->period_ns) {
        int64_t due = p->t0 + (int64_t)n * p->period_ns;
        if (now < due) {
            if (timeout_ms == 0) return VRT_EAGAIN;
            if (timeout_ms > 0 && now + (int64_t)timeout_ms * 1000000 < due) {
                vrt_sleep_until_ns(now + (int64_t)timeout_ms * 1000000);
                return VRT_EAGAIN;
            }
            vrt_sleep_until_ns(due);
            now = vrt_now_ns();
        }
        if (s->params.mode == VRT_MODE_NEWEST) {
            uint64_t newest = (uint64_t)((now - p->t0) / p->period_ns);
            if (p->max_frames > 0 && newest >= (uint64_t)p->max_frames) newest = (uint64_t)p->max_frames - 1;
            if (newest > n) n = newest;
        }
        ts = p->t0 + (int64_t)n * p->period_ns;
    }
    vrt_frame *f = NULL;
    if (vrt_frame_pool_get(p->pool, &f)) {
        VRT__SRC_ERR(s,
                     "synthetic: all %d frames are held by the caller; unref frames after use or "
                     "open with a larger buffers=",
                     s->info.buffers);
        return VRT_ENOSPC;
    }
    if (n > p->next)
        atomic_fetch_add_explicit((_Atomic uint64_t *)&s->stats.dropped, n - p->next, memory_order_relaxed);
    p->next = n + 1;
    if (p->raw) {
        render(p, p->raw, n);
        uint8_t *jpg = NULL;
        size_t size = 0;
        vrt_status est = vrt_jpeg_encode(p->raw, 90, &jpg, &size, s->err, sizeof(s->err));
        if (!est && size > f->planes[0].size) est = VRT_ENOSPC; /* cannot happen at 3 bytes a pixel */
        if (est) {
            vrt_free(jpg);
            vrt_frame_unref(&f);
            p->next = n; /* the frame was not handed out: the next read tries it again */
            if (est == VRT_ENOSPC)
                VRT__SRC_ERR(s, "synthetic: JPEG of %zu bytes exceeds the frame buffer", size);
            return est;
        }
        memcpy(f->planes[0].data, jpg, size);
        f->bytesused = size;
        vrt_free(jpg);
    } else {
        render(p, f, n);
    }
    f->timestamp_ns = ts;
    f->ts_from_driver = 0;
    f->sequence = n;
    f->pts_ns = p->period_ns ? (int64_t)n * p->period_ns : -1;
    *out = f;
    return VRT_OK;
}

static vrt_status synth_stop(vrt_source_t *s) {
    (void)s;
    return VRT_OK;
}

static void synth_close(vrt_source_t *s) {
    synth *p = s->priv;
    if (!p) return;
    vrt_frame_pool_destroy(&p->pool); /* frames still held keep the pool alive */
    vrt_frame_unref(&p->bg);
    vrt_frame_unref(&p->raw);
    vrt_free(p);
    s->priv = NULL;
}

const vrt__source_vtbl vrt__source_synthetic = {
    .kind = "synthetic",
    .open = synth_open,
    .start = synth_start,
    .read = synth_read,
    .stop = synth_stop,
    .close = synth_close,
};
