#include "source-impl.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

void vrt_source_default_params(vrt_source_params *p) {
    memset(p, 0, sizeof(*p));
    p->mode = VRT_MODE_NEWEST;
}

static const vrt__source_vtbl *pick(const vrt__uri *u) {
    if (!strcmp(u->scheme, "v4l2")) return &vrt__source_v4l2;
    if (!strcmp(u->scheme, "image")) return &vrt__source_image;
    if (!strcmp(u->scheme, "synthetic")) return &vrt__source_synthetic;
    return &vrt__source_file; /* file: and network URLs */
}

/* Parses the URI and opens it with the backend `vt` (NULL: the one the URI names). *retry is set
 * when decode=auto chose NVDEC and NVDEC refused the stream: the caller tries again with FFmpeg. */
static vrt_status open_as(vrt_source_t **out, const char *uri, const vrt_source_params *p,
                          const vrt__source_vtbl *vt, int *retry, char *err, size_t err_cap) {
    vrt__uri *u = vrt_calloc(1, sizeof(*u));
    if (!u) {
        vrt_errbuf_set(err, err_cap, "out of memory");
        return VRT_ENOMEM;
    }
    vrt_status st = vrt__uri_parse(u, uri, err, err_cap);
    int fallback = 0;
    if (!st && !vt) {
        vt = pick(u);
        if (vt == &vrt__source_file)
            st = vrt__decode_pick(u, p ? p->decode : VRT_DECODE_AUTO, &vt, &fallback, err, err_cap);
    }
    vrt_source_t *s = st ? NULL : vrt_calloc(1, sizeof(*s));
    if (!st && !s) {
        vrt_errbuf_set(err, err_cap, "out of memory");
        st = VRT_ENOMEM;
    }
    if (st) {
        vrt_free(u);
        return st;
    }
    if (p)
        s->params = *p;
    else
        vrt_source_default_params(&s->params);
    s->vt = vt;
    snprintf(s->info.kind, sizeof(s->info.kind), "%s", s->vt->kind);
    snprintf(s->info.name, sizeof(s->info.name), "%s", u->path);
    s->info.frame_count = -1;
    st = s->vt->open(s, u, &s->params);
    vrt_free(u);
    if (st) {
        vrt_errbuf_set(err, err_cap, "%s", s->err[0] ? s->err : vrt_status_str(st));
        *retry = fallback && (st == VRT_ENOTSUP || st == VRT_ENOSYS || st == VRT_EDEVICE || st == VRT_ENODEV);
        s->vt->close(s);
        vrt__decode_free(s);
        vrt_free(s);
        return st;
    }
    if (!s->dec.fourcc) s->dec.delivered = s->info.fourcc;
    *out = s;
    return VRT_OK;
}

vrt_status vrt_source_open(vrt_source_t **out, const char *uri, const vrt_source_params *p, char *err,
                           size_t err_cap) {
    char tmp[1];
    if (!err) {
        err = tmp;
        err_cap = sizeof(tmp);
    }
    if (err_cap) err[0] = 0;
    if (!out) return VRT_EINVAL;
    *out = NULL;
    int retry = 0;
    vrt_status st = open_as(out, uri, p, NULL, &retry, err, err_cap);
    if (st && retry) {
        /* decode=auto: NVDEC does not take this stream; FFmpeg decodes it on the CPU. */
        vrt_log(VRT_LOG_INFO, "capture", "%s (decode=auto: FFmpeg decodes it instead)",
                err_cap > 1 ? err : uri);
        if (err_cap) err[0] = 0;
        st = open_as(out, uri, p, &vrt__source_file, &retry, err, err_cap);
    }
    return st;
}

void vrt_source_default_config(vrt_source_config *c) {
    memset(c, 0, sizeof(*c));
}

/* The delivered-format half of configure. */
static vrt_status configure_format(vrt_source_t *s, uint32_t fourcc) {
    char b1[8], b2[8];
    if (!fourcc || fourcc == s->dec.auto_fourcc) {
        s->dec.fourcc = s->dec.auto_fourcc;
    } else if (fourcc == s->dec.delivered) {
        s->dec.fourcc = 0;
    } else if (s->dec.delivered == VRT_FMT_MJPEG && vrt_fourcc_is_raw(fourcc) &&
               vrt_frame_size_for(fourcc, s->info.width, s->info.height)) {
        s->dec.fourcc = fourcc;
    } else {
        VRT__SRC_ERR(s,
                     "%s: delivers %s %ux%u; only MJPEG frames can be decoded to another format (raw formats "
                     "need even sizes for 4:2:2 and NV12); open it with format=%s instead",
                     s->info.name, vrt_fourcc_name(s->dec.delivered, b1), s->info.width, s->info.height,
                     vrt_fourcc_name(fourcc, b2));
        return VRT_ENOTSUP;
    }
    s->info.fourcc = s->dec.fourcc ? s->dec.fourcc : s->dec.delivered;
    return VRT_OK;
}

vrt_status vrt_source_configure(vrt_source_t *s, const vrt_source_config *c) {
    if (!s || !c) return VRT_EINVAL;
    s->err[0] = 0;
    if (s->started) {
        VRT__SRC_ERR(s, "%s: configure while started; stop it first", s->info.name);
        return VRT_EBUSY;
    }
    if (c->buffers && (c->count < 2 || !c->size)) {
        VRT__SRC_ERR(s, "%s: consumer buffers need count >= 2 (got %d) and a size", s->info.name, c->count);
        return VRT_EINVAL;
    }
    if (c->buffers && !s->vt->set_buffers) {
        VRT__SRC_ERR(s, "%s: %s sources cannot capture into consumer buffers", s->info.name, s->vt->kind);
        return VRT_ENOTSUP;
    }
    vrt_status st = s->vt->set_buffers ? s->vt->set_buffers(s, c->buffers, c->count, c->size) : VRT_OK;
    if (st) return st;
    return configure_format(s, c->fourcc);
}

vrt_status vrt_source_start(vrt_source_t *s) {
    if (!s) return VRT_EINVAL;
    if (s->started) return VRT_OK;
    s->err[0] = 0;
    vrt_status st = s->vt->start(s);
    if (st == VRT_OK && (st = vrt__decode_prepare(s))) s->vt->stop(s);
    if (st == VRT_OK) s->started = 1;
    return st;
}

vrt_status vrt_source_read(vrt_source_t *s, vrt_frame **out, int timeout_ms) {
    if (!s || !out) return VRT_EINVAL;
    *out = NULL;
    if (!s->started) {
        VRT__SRC_ERR(s, "%s: read before start", s->info.name);
        return VRT_EINVAL;
    }
    vrt_status st = s->dec.fourcc ? vrt__decode_read(s, out, timeout_ms) : s->vt->read(s, out, timeout_ms);
    if (st == VRT_OK) {
        if (!(*out)->dequeue_ns) (*out)->dequeue_ns = vrt_now_ns();
        atomic_fetch_add_explicit((_Atomic uint64_t *)&s->stats.delivered, 1, memory_order_relaxed);
    }
    return st;
}

vrt_status vrt_source_stop(vrt_source_t *s) {
    if (!s) return VRT_EINVAL;
    if (!s->started) return VRT_OK;
    s->started = 0;
    return s->vt->stop(s);
}

void vrt_source_destroy(vrt_source_t **ps) {
    if (!ps || !*ps) return;
    vrt_source_t *s = *ps;
    if (s->started) vrt_source_stop(s);
    s->vt->close(s);
    vrt__decode_free(s);
    vrt_free(s);
    *ps = NULL;
}

void vrt_source_get_info(const vrt_source_t *s, vrt_source_info *info) {
    *info = s->info;
}

void vrt_source_get_stats(const vrt_source_t *s, vrt_source_stats *st) {
    vrt_source_t *m = (vrt_source_t *)s;
    st->delivered = atomic_load_explicit((_Atomic uint64_t *)&m->stats.delivered, memory_order_relaxed);
    st->dropped = atomic_load_explicit((_Atomic uint64_t *)&m->stats.dropped, memory_order_relaxed);
    st->requeued = atomic_load_explicit((_Atomic uint64_t *)&m->stats.requeued, memory_order_relaxed);
    st->errors = atomic_load_explicit((_Atomic uint64_t *)&m->stats.errors, memory_order_relaxed);
    st->reconnects = atomic_load_explicit((_Atomic uint64_t *)&m->stats.reconnects, memory_order_relaxed);
}

const char *vrt_source_last_error(const vrt_source_t *s) {
    return s ? s->err : "";
}

vrt_status vrt_source_controls(vrt_source_t *s, vrt_control *c, int cap, int *n) {
    if (n) *n = 0;
    if (!s->vt->controls) {
        VRT__SRC_ERR(s, "%s: %s sources have no controls", s->info.name, s->vt->kind);
        return VRT_ENOTSUP;
    }
    return s->vt->controls(s, c, cap, n);
}

vrt_status vrt_source_control_get(vrt_source_t *s, const char *name, int64_t *v) {
    if (!s->vt->control_get) {
        VRT__SRC_ERR(s, "%s: %s sources have no controls", s->info.name, s->vt->kind);
        return VRT_ENOTSUP;
    }
    return s->vt->control_get(s, name, v);
}

vrt_status vrt_source_control_set(vrt_source_t *s, const char *name, int64_t v) {
    if (!s->vt->control_set) {
        VRT__SRC_ERR(s, "%s: %s sources have no controls", s->info.name, s->vt->kind);
        return VRT_ENOTSUP;
    }
    return s->vt->control_set(s, name, v);
}

vrt_status vrt__source_common_keys(vrt_source_t *s, vrt__uri *u) {
    int64_t w = s->params.width, h = s->params.height;
    vrt_status st;
    if ((st = vrt__uri_get_int(u, "width", &w, s->err, sizeof(s->err)))) return st;
    if ((st = vrt__uri_get_int(u, "height", &h, s->err, sizeof(s->err)))) return st;
    if (w < 0 || h < 0 || w > 16384 || h > 16384) {
        VRT__SRC_ERR(s, "size %lldx%lld out of range (1..16384)", (long long)w, (long long)h);
        return VRT_EINVAL;
    }
    s->params.width = (uint32_t)w;
    s->params.height = (uint32_t)h;
    if ((st = vrt__uri_get_double(u, "fps", &s->params.fps, s->err, sizeof(s->err)))) return st;
    if (s->params.fps < 0 || s->params.fps > 10000) {
        VRT__SRC_ERR(s, "fps=%g out of range (0..10000)", s->params.fps);
        return VRT_EINVAL;
    }
    const char *f = vrt__uri_get(u, "format");
    if (f) {
        uint32_t cc = vrt_fourcc_parse(f);
        if (!cc) {
            VRT__SRC_ERR(s, "format '%s' unknown; known: YUYV, UYVY, NV12, RGB24, BGR24, GREY, MJPEG", f);
            return VRT_EINVAL;
        }
        s->params.fourcc = cc;
    }
    return VRT_OK;
}
