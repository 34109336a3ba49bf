/* decode.c - the capture layer's one MJPEG decoder.
 *
 * Whenever frames arrive as MJPEG but the consumer wants a raw format (a
 * V4L2 camera that offers only MJPG at the wanted size, or a consumer that
 * configured fourcc=RGB24 on a source delivering JPEGs), read() decodes the
 * frame it is about to hand out on the CPU (libjpeg-turbo, through
 * vrt_image_convert) into a frame from a pool made at start, and releases
 * the compressed frame at once (for V4L2 that re-queues the driver buffer
 * right after decoding). In newest mode the backend has already dropped the
 * older frames, so only the frame handed out is decoded. A JPEG that does
 * not decode is counted (stats.errors and stats.dropped), logged (the first,
 * then every 100th) and skipped: the read goes on with the next ready frame
 * within its timeout. Nothing is allocated per frame. */
#include "source-impl.h"
#include "vrt/image.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static void stat_add(uint64_t *p, uint64_t v) {
    atomic_fetch_add_explicit((_Atomic uint64_t *)p, v, memory_order_relaxed);
}

void vrt__source_decode_to(vrt_source_t *s, uint32_t fourcc) {
    s->dec.fourcc = s->dec.auto_fourcc = fourcc;
    s->dec.delivered = VRT_FMT_MJPEG;
    s->info.device_fourcc = VRT_FMT_MJPEG;
    s->info.fourcc = fourcc;
}

vrt_status vrt__decode_prepare(vrt_source_t *s) {
    if (!s->dec.fourcc) {
        vrt_frame_pool_destroy(&s->dec.pool);
        return VRT_OK;
    }
    /* One decoded frame per capture buffer: the caller may hold as many as before. */
    uint32_t count = s->info.buffers >= 2 ? (uint32_t)s->info.buffers : 4;
    vrt_frame_pool_params pp;
    vrt_frame_pool_default_params(&pp);
    pp.fourcc = s->dec.fourcc;
    pp.width = s->info.width;
    pp.height = s->info.height;
    pp.count = count;
    vrt_frame_pool_destroy(&s->dec.pool); /* frames still held keep the old one alive */
    vrt_status st = vrt_frame_pool_create(&s->dec.pool, &pp);
    if (st) {
        char b[8];
        VRT__SRC_ERR(s, "%s: out of memory for %u decoded %s %ux%u frames", s->info.name, count,
                     vrt_fourcc_name(s->dec.fourcc, b), s->info.width, s->info.height);
    }
    return st;
}

void vrt__decode_free(vrt_source_t *s) {
    vrt_frame_pool_destroy(&s->dec.pool);
}

/* Decodes jf (released here in any case) into a pooled frame. VRT_EBADDATA
 * (counted, logged) when the JPEG does not decode. */
static vrt_status decode_one(vrt_source_t *s, vrt_frame *jf, vrt_frame **out) {
    vrt_frame *f = NULL;
    if (vrt_frame_pool_get(s->dec.pool, &f)) { /* checked before reading; only a racing caller gets here */
        vrt_frame_unref(&jf);
        stat_add(&s->stats.dropped, 1);
        VRT__SRC_ERR(
            s, "%s: all %d decoded frames are held by the caller; unref frames sooner or raise buffers=",
            s->info.name, s->info.buffers);
        return VRT_EAGAIN;
    }
    char derr[200];
    derr[0] = 0;
    vrt_status rc = vrt_image_convert(jf, f, derr, sizeof(derr));
    uint64_t seq = jf->sequence;
    f->sequence = jf->sequence;
    f->timestamp_ns = jf->timestamp_ns;
    f->ts_from_driver = jf->ts_from_driver;
    f->pts_ns = jf->pts_ns;
    vrt_frame_unref(&jf); /* V4L2: the driver buffer goes back now */
    if (rc) {
        vrt_frame_unref(&f);
        stat_add(&s->stats.errors, 1);
        stat_add(&s->stats.dropped, 1);
        s->dec.corrupt++;
        VRT__SRC_ERR(s, "%s: frame %llu: MJPG does not decode (%s); skipped", s->info.name,
                     (unsigned long long)seq, derr);
        /* The first one, then every 100th: a flaky USB link must not flood the log. */
        vrt_log_level lvl = (s->dec.corrupt == 1 || s->dec.corrupt % 100 == 0) ? VRT_LOG_WARN : VRT_LOG_DEBUG;
        if (vrt_log_enabled(lvl))
            vrt_log(lvl, s->info.name, "frame %llu: corrupt MJPG skipped (%llu so far): %s",
                    (unsigned long long)seq, (unsigned long long)s->dec.corrupt, derr);
        return VRT_EBADDATA;
    }
    /* Handed out now: the decode is part of the source's latency (the capture stage). */
    f->dequeue_ns = vrt_now_ns();
    *out = f;
    return VRT_OK;
}

vrt_status vrt__decode_read(vrt_source_t *s, vrt_frame **out, int timeout_ms) {
    int64_t deadline = timeout_ms < 0 ? -1 : vrt_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        if (!vrt_frame_pool_free_count(s->dec.pool)) {
            /* Checked before reading so that no captured frame is taken and thrown away. */
            VRT__SRC_ERR(s,
                         "%s: all %d decoded frames are held by the caller; unref frames sooner or raise "
                         "buffers=",
                         s->info.name, s->info.buffers);
            return VRT_EAGAIN;
        }
        int wait_ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - vrt_now_ns();
            wait_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        vrt_frame *jf = NULL;
        vrt_status st = s->vt->read(s, &jf, wait_ms);
        if (st) return st;
        if (jf->fourcc != VRT_FMT_MJPEG) { /* already raw */
            *out = jf;
            return VRT_OK;
        }
        st = decode_one(s, jf, out);
        /* A corrupt frame was skipped: take the next ready one, or wait within the timeout (a read
         * with no time left still drains the frames that are ready). */
        if (st != VRT_EBADDATA) return st;
    }
}
